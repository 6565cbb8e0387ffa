//! Matching changed files to watch rules, and what a service does about them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;
use crate::model::{Build, Service};

fn patterns(list: &[&str]) -> Patterns {
    Patterns::new(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
}

#[test]
fn patterns_follow_dockerignore() {
    let p = patterns(&["node_modules/", "*.log", "!keep.log", "**/*.tmp"]);
    assert!(p.matches(Path::new("node_modules")));
    assert!(
        p.matches(Path::new("node_modules/a/b.js")),
        "under a matched dir"
    );
    assert!(
        !p.matches(Path::new("lib/node_modules")),
        "anchored at the root"
    );
    assert!(p.matches(Path::new("x.log")));
    assert!(
        !p.matches(Path::new("keep.log")),
        "an exception wins when it comes last"
    );
    assert!(
        !p.matches(Path::new("sub/x.log")),
        "* stays in one directory"
    );
    assert!(p.matches(Path::new("a/b/c.tmp")), "** crosses directories");
    assert!(!p.matches(Path::new("main.rs")));
    assert!(patterns(&["# a comment", ""]).is_empty());
    assert!(Patterns::new(&["a[".to_string()]).is_err());
}

#[test]
fn editor_and_git_files_are_left_alone() {
    for f in [
        ".git/index",
        "a/.git/HEAD",
        "x.swp",
        "x~",
        "#x#",
        ".#x",
        "4913",
    ] {
        assert!(ephemeral(Path::new(f)), "{f}");
    }
    assert!(!ephemeral(Path::new("src/main.rs")));
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new(files: &[&str]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        Fixture { dir }
    }

    fn at(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn rule(&self, path: &str, action: WatchAction, target: Option<&str>) -> WatchRule {
        WatchRule::new(self.at(path), action, target)
    }

    fn project(&self, services: Vec<(&str, Vec<WatchRule>, bool)>) -> Project {
        let mut project = Project::default();
        for (name, watch, build) in services {
            let s = Service {
                name: name.into(),
                image: Some("img".into()),
                build: build.then(|| Build {
                    context: self.dir.path().to_path_buf(),
                    ..Build::default()
                }),
                watch,
                ..Service::default()
            };
            project.services.insert(name.into(), s);
        }
        project
    }
}

fn changed(paths: &[PathBuf]) -> BTreeSet<PathBuf> {
    paths.iter().cloned().collect()
}

#[test]
fn a_sync_copies_each_file_to_its_place_under_target_and_removes_what_is_gone() {
    let f = Fixture::new(&["src/a.js", "src/lib/b.js", "src/x.log"]);
    let mut rule = f.rule("src", WatchAction::Sync, Some("/app"));
    rule.ignore = vec!["*.log".into()];
    let set = WatchSet::new(&f.project(vec![("web", vec![rule], false)]), &[]).unwrap();
    let out = set.changes(&changed(&[
        f.at("src/a.js"),
        f.at("src/lib"),
        f.at("src/x.log"),
        f.at("src/gone.js"),
        f.at("elsewhere.js"),
    ]));
    let web = &out["web"];
    let copied: Vec<(PathBuf, PathBuf)> = web.copies["/app"].iter().cloned().collect();
    assert_eq!(
        copied,
        [
            (f.at("src/a.js"), PathBuf::from("a.js")),
            (f.at("src/lib/b.js"), PathBuf::from("lib/b.js")),
        ]
    );
    assert_eq!(web.removals, BTreeSet::from(["/app/gone.js".to_string()]));
    assert!(!web.restart && !web.rebuild);
    assert_eq!(
        web.files, 3,
        "the ignored log and the file outside are not counted"
    );
}

#[test]
fn a_watched_file_is_synced_to_its_target_path() {
    let f = Fixture::new(&["nginx.conf"]);
    let rule = f.rule(
        "nginx.conf",
        WatchAction::SyncRestart,
        Some("/etc/nginx/nginx.conf"),
    );
    let set = WatchSet::new(&f.project(vec![("proxy", vec![rule], false)]), &[]).unwrap();
    let out = set.changes(&changed(&[f.at("nginx.conf")]));
    let proxy = &out["proxy"];
    assert_eq!(
        proxy.copies["/etc/nginx"].iter().next().unwrap().1,
        PathBuf::from("nginx.conf")
    );
    assert!(proxy.restart);
}

#[test]
fn a_rebuild_makes_the_services_syncs_moot() {
    let f = Fixture::new(&["src/a.js", "package.json"]);
    let rules = vec![
        f.rule("src", WatchAction::Sync, Some("/app")),
        f.rule("package.json", WatchAction::Rebuild, None),
    ];
    let set = WatchSet::new(&f.project(vec![("web", rules, true)]), &[]).unwrap();
    let out = set.changes(&changed(&[f.at("src/a.js"), f.at("package.json")]));
    assert!(out["web"].rebuild);
    assert!(out["web"].copies.is_empty());
    let only_src = set.changes(&changed(&[f.at("src/a.js")]));
    assert!(!only_src["web"].rebuild);
}

#[test]
fn include_narrows_and_the_build_contexts_dockerignore_applies() {
    let f = Fixture::new(&["src/a.py", "src/a.txt", "src/cache/x.py", ".dockerignore"]);
    std::fs::write(f.at(".dockerignore"), "src/cache\n").unwrap();
    let mut rule = f.rule("src", WatchAction::Restart, None);
    rule.include = vec!["**/*.py".into()];
    let set = WatchSet::new(&f.project(vec![("api", vec![rule], true)]), &[]).unwrap();
    assert!(set.changes(&changed(&[f.at("src/a.txt")])).is_empty());
    assert!(set.changes(&changed(&[f.at("src/cache/x.py")])).is_empty());
    assert!(set.changes(&changed(&[f.at("src/a.py")]))["api"].restart);
}

#[test]
fn sync_exec_runs_its_command_once_per_batch() {
    let f = Fixture::new(&["src/a", "src/b"]);
    let mut rule = f.rule("src", WatchAction::SyncExec, Some("/app"));
    rule.exec = Some(crate::model::Hook {
        command: vec!["kill".into(), "-HUP".into(), "1".into()],
        ..Default::default()
    });
    let set = WatchSet::new(&f.project(vec![("web", vec![rule], false)]), &[]).unwrap();
    let out = set.changes(&changed(&[f.at("src/a"), f.at("src/b")]));
    assert_eq!(out["web"].exec.len(), 1);
    assert_eq!(out["web"].copies["/app"].len(), 2);
}

#[test]
fn initial_sync_takes_every_kept_file() {
    let f = Fixture::new(&["src/a", "src/b/c", "src/.git/HEAD"]);
    let mut rule = f.rule("src", WatchAction::Sync, Some("/app"));
    rule.initial_sync = true;
    let other = f.rule("src", WatchAction::Sync, Some("/other"));
    let set = WatchSet::new(&f.project(vec![("web", vec![rule, other], false)]), &[]).unwrap();
    let initial = set.initial();
    assert_eq!(initial["web"].files, 2);
    assert_eq!(initial["web"].copies.keys().collect::<Vec<_>>(), ["/app"]);
}

#[test]
fn rules_that_cannot_work_are_refused_by_name() {
    let f = Fixture::new(&["src/a"]);
    let missing = f.rule("nope", WatchAction::Sync, Some("/app"));
    let err = WatchSet::new(&f.project(vec![("web", vec![missing], false)]), &[]).unwrap_err();
    assert!(
        err.contains("service \"web\": develop.watch[0]") && err.contains("does not exist"),
        "{err}"
    );
    let rebuild = f.rule("src", WatchAction::Rebuild, None);
    let err = WatchSet::new(&f.project(vec![("web", vec![rebuild], false)]), &[]).unwrap_err();
    assert!(err.contains("needs a `build:` section"), "{err}");
    let project = f.project(vec![
        (
            "web",
            vec![f.rule("src", WatchAction::Restart, None)],
            false,
        ),
        ("db", vec![], false),
    ]);
    let err = WatchSet::new(&project, &["db".into()]).unwrap_err();
    assert!(err.contains("none of the selected services"), "{err}");
    assert!(WatchSet::new(&project, &[]).is_ok());
}
