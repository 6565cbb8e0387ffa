//! Which watch rules a changed file triggers, and what each service then has to do.
//! Patterns are `.dockerignore`'s: relative to the rule's path, `*` stays inside one
//! directory, `**` crosses them, `!` makes an exception, and a pattern that matches a
//! directory matches everything under it. The build context's own `.dockerignore`
//! applies too, and so do the editor and version-control files nobody means to sync.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::model::{is_remote_context, Hook, Project, WatchAction, WatchRule};

/// `.dockerignore`-style patterns; the last one that matches decides.
#[derive(Debug, Default)]
pub struct Patterns {
    rules: Vec<(GlobMatcher, bool)>,
}

impl Patterns {
    pub fn new(patterns: &[String]) -> Result<Patterns, String> {
        let mut rules = Vec::new();
        for p in patterns {
            let p = p.trim();
            if p.is_empty() || p.starts_with('#') {
                continue;
            }
            let (exception, body) = match p.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, p),
            };
            let body = body.trim_start_matches("./").trim_start_matches('/');
            let body = body.trim_end_matches('/');
            if body.is_empty() || body == "." {
                continue;
            }
            let glob = GlobBuilder::new(body)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("pattern {p:?}: {e}"))?;
            rules.push((glob.compile_matcher(), exception));
        }
        Ok(Patterns { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `rel` (a path relative to the patterns' root) or a directory above it
    /// is matched.
    pub fn matches(&self, rel: &Path) -> bool {
        let mut hit = false;
        for (glob, exception) in &self.rules {
            let mut at = Some(rel);
            while let Some(p) = at.filter(|p| !p.as_os_str().is_empty()) {
                if glob.is_match(p) {
                    hit = !exception;
                    break;
                }
                at = p.parent();
            }
        }
        hit
    }
}

/// Files that editors and version control write beside the real ones.
fn ephemeral(rel: &Path) -> bool {
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    rel.components().any(|c| c.as_os_str() == ".git")
        || name.ends_with('~')
        || [".swp", ".swx", ".swo"].iter().any(|s| name.ends_with(s))
        || (name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".#")
        || name == "4913"
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
}

/// One rule, ready to match.
#[derive(Debug)]
struct Trigger {
    service: String,
    rule: WatchRule,
    ignore: Patterns,
    include: Patterns,
    /// The build context and its `.dockerignore`, when the rule's path is inside it.
    context: Option<(PathBuf, Patterns)>,
}

impl Trigger {
    /// The path of `changed` below the rule's path ("" for the path itself), when the
    /// rule cares about it.
    fn relative<'a>(&self, changed: &'a Path) -> Option<&'a Path> {
        let rel = changed.strip_prefix(&self.rule.path).ok()?;
        let ignored = ephemeral(rel)
            || self.ignore.matches(rel)
            || self.context.as_ref().is_some_and(|(dir, patterns)| {
                changed
                    .strip_prefix(dir)
                    .is_ok_and(|in_context| patterns.matches(in_context))
            });
        let included = self.include.is_empty() || self.include.matches(rel);
        (!ignored && included).then_some(rel)
    }

    /// Where a file at `rel` goes in the container: the directory it is copied into and
    /// its path there.
    fn destination(&self, rel: &Path) -> (String, PathBuf) {
        let target = self.rule.target.as_deref().unwrap_or("/");
        if self.rule.path.is_dir() || !rel.as_os_str().is_empty() {
            return (target.to_string(), rel.to_path_buf());
        }
        // A watched file: its target is a file path.
        let t = Path::new(target);
        let dir = t.parent().map_or("/".into(), |p| p.display().to_string());
        (dir, t.file_name().map(PathBuf::from).unwrap_or_default())
    }
}

/// What a service has to do after a batch of changes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub rebuild: bool,
    /// Files to copy in: by directory in the container, host file and path below it.
    pub copies: BTreeMap<String, BTreeSet<(PathBuf, PathBuf)>>,
    /// Paths in the container whose host files are gone.
    pub removals: BTreeSet<String>,
    pub restart: bool,
    pub exec: Vec<Hook>,
    /// How many changed files the service saw.
    pub files: usize,
}

/// Every rule of the watched services.
#[derive(Debug)]
pub struct WatchSet {
    triggers: Vec<Trigger>,
}

impl WatchSet {
    /// The rules of `services` (every service with rules when empty). A rule whose path
    /// is missing, or a `rebuild` without a `build:` section, is an error naming it.
    pub fn new(project: &Project, services: &[String]) -> Result<WatchSet, String> {
        let mut triggers = Vec::new();
        for (name, s) in &project.services {
            if !services.is_empty() && !services.contains(name) {
                continue;
            }
            for (i, rule) in s.watch.iter().enumerate() {
                let at = format!("service {name:?}: develop.watch[{i}]");
                if !rule.path.exists() {
                    return Err(format!(
                        "{at}: {} does not exist; create it, or fix `path`",
                        rule.path.display()
                    ));
                }
                if rule.action == WatchAction::Rebuild && s.build.is_none() {
                    return Err(format!(
                        "{at}: action rebuild needs a `build:` section to build the image from"
                    ));
                }
                let context = s
                    .build
                    .as_ref()
                    .filter(|b| !is_remote_context(&b.context.display().to_string()))
                    .filter(|b| rule.path.starts_with(&b.context))
                    .map(|b| {
                        let text = std::fs::read_to_string(b.context.join(".dockerignore"));
                        let lines: Vec<String> =
                            text.unwrap_or_default().lines().map(String::from).collect();
                        Patterns::new(&lines)
                            .map(|p| (b.context.clone(), p))
                            .map_err(|e| format!("{}/.dockerignore: {e}", b.context.display()))
                    })
                    .transpose()?;
                triggers.push(Trigger {
                    service: name.clone(),
                    ignore: Patterns::new(&rule.ignore).map_err(|e| format!("{at}.ignore: {e}"))?,
                    include: Patterns::new(&rule.include)
                        .map_err(|e| format!("{at}.include: {e}"))?,
                    rule: rule.clone(),
                    context,
                });
            }
        }
        if triggers.is_empty() {
            return Err(
                "none of the selected services has `develop.watch` rules; add a `develop:` \
                 section to the services to watch"
                    .into(),
            );
        }
        Ok(WatchSet { triggers })
    }

    /// The paths to watch, each once.
    pub fn roots(&self) -> BTreeSet<PathBuf> {
        self.triggers.iter().map(|t| t.rule.path.clone()).collect()
    }

    pub fn services(&self) -> BTreeSet<&str> {
        self.triggers.iter().map(|t| t.service.as_str()).collect()
    }

    /// What each service does about `changed` (host paths that were written, created or
    /// removed). A rebuild makes the service's syncs moot.
    pub fn changes(&self, changed: &BTreeSet<PathBuf>) -> BTreeMap<String, Changes> {
        let mut out: BTreeMap<String, Changes> = BTreeMap::new();
        for path in changed {
            let mut seen = BTreeSet::new();
            for t in &self.triggers {
                let Some(rel) = t.relative(path) else {
                    continue;
                };
                let c = out.entry(t.service.clone()).or_default();
                if seen.insert(&t.service) {
                    c.files += 1;
                }
                self.apply(t, path, rel, c);
            }
        }
        for c in out.values_mut().filter(|c| c.rebuild) {
            c.copies.clear();
            c.removals.clear();
            c.restart = false;
            c.exec.clear();
        }
        out
    }

    /// Every file below the sync rules' paths that the rules keep, for `initial_sync`.
    pub fn initial(&self) -> BTreeMap<String, Changes> {
        let mut out: BTreeMap<String, Changes> = BTreeMap::new();
        for t in self.triggers.iter().filter(|t| t.rule.initial_sync) {
            if !t.rule.action.syncs() {
                continue;
            }
            let c = out.entry(t.service.clone()).or_default();
            for path in files_below(&t.rule.path) {
                if let Some(rel) = t.relative(&path) {
                    let (dir, at) = t.destination(rel);
                    c.copies.entry(dir).or_default().insert((path.clone(), at));
                    c.files += 1;
                }
            }
        }
        out.retain(|_, c| c.files > 0);
        out
    }

    fn apply(&self, t: &Trigger, path: &Path, rel: &Path, c: &mut Changes) {
        let action = t.rule.action;
        if action == WatchAction::Rebuild {
            c.rebuild = true;
            return;
        }
        if action.syncs() {
            let (dir, at) = t.destination(rel);
            if path.exists() {
                for file in files_below(path) {
                    let below = file.strip_prefix(path).unwrap_or(Path::new(""));
                    let full = if below.as_os_str().is_empty() {
                        at.clone()
                    } else {
                        at.join(below)
                    };
                    let keep = file
                        .strip_prefix(&t.rule.path)
                        .is_ok_and(|r| t.relative(&t.rule.path.join(r)).is_some());
                    if keep {
                        c.copies
                            .entry(dir.clone())
                            .or_default()
                            .insert((file, full));
                    }
                }
            } else {
                c.removals.insert(join_container(&dir, &at));
            }
        }
        match action {
            WatchAction::SyncRestart | WatchAction::Restart => c.restart = true,
            WatchAction::SyncExec => {
                if let Some(hook) = t.rule.exec.as_ref().filter(|h| !c.exec.contains(h)) {
                    c.exec.push(hook.clone());
                }
            }
            _ => {}
        }
    }
}

/// A container path: `dir` joined with `rel`.
fn join_container(dir: &str, rel: &Path) -> String {
    let rel = rel.display().to_string();
    match (dir.trim_end_matches('/'), rel.as_str()) {
        (d, "") => {
            if d.is_empty() {
                "/".into()
            } else {
                d.to_string()
            }
        }
        (d, r) => format!("{d}/{r}"),
    }
}

/// `path` itself when it is a file, else every file under it (symlinks not followed).
fn files_below(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![path.to_path_buf()];
    while let Some(p) = todo.pop() {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {
                let entries = std::fs::read_dir(&p).into_iter().flatten().flatten();
                todo.extend(entries.map(|e| e.path()));
            }
            Ok(_) => out.push(p),
            Err(_) => {}
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests;
