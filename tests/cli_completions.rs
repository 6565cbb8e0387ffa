//! Completions that know the project: bash, zsh and fish each run sidepod's completion
//! function, as they do at a <TAB>, in a directory with a Compose file, a job file or a
//! GitHub workflow, and offer its service names, profiles and jobs.

use std::path::Path;
use std::process::Command;

const COMPOSE: &str = "services:\n  db:\n    image: postgres:16\n  web:\n    image: nginx\n    \
                       depends_on: [db]\n  debug:\n    image: busybox\n    profiles: [tools]\n";

const WORKFLOW: &str = "on: push\njobs:\n  unit-tests:\n    runs-on: ubuntu-latest\n    \
                        container: debian:12\n    steps:\n      - run: 'true'\n  lint:\n    \
                        runs-on: ubuntu-latest\n    container: debian:12\n    steps:\n      \
                        - run: 'true'\n";

/// A scratch project with the Compose file and a workflow.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), COMPOSE).unwrap();
    std::fs::create_dir_all(dir.path().join(".github/workflows")).unwrap();
    std::fs::write(dir.path().join(".github/workflows/ci.yml"), WORKFLOW).unwrap();
    dir
}

/// Runs `script` in `shell` in `dir`, with sidepod first on PATH; its stdout.
fn shell(shell: &str, args: &[&str], script: &str, dir: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_sidepod")).parent().unwrap();
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display());
    let out = Command::new(shell)
        .args(args)
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir)
        .output()
        .unwrap_or_else(|e| panic!("{shell} is missing ({e}): run contrib/setup-host.sh"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{shell} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// What bash's completion function offers for the line `words` (the last word is the one
/// being completed).
fn bash(dir: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(sidepod completions bash)\n\
         COMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         _clap_complete_sidepod sidepod '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    lines(&shell("bash", &["-c"], &script, dir))
}

/// What zsh's completion function hands to `_describe` for the line `words`.
fn zsh(dir: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    // Outside an interactive completion, compsys's `_describe` and `compdef` are not
    // there: these stand-ins print what the function offers.
    let script = format!(
        "compdef() {{ : }}\n\
         _describe() {{ local name=$3; printf '%s\\n' \"${{(@P)name}}\" }}\n\
         source <(sidepod completions zsh)\n\
         words=({})\nCURRENT={}\n_clap_dynamic_completer_sidepod",
        quoted.join(" "),
        words.len(),
    );
    lines(&shell("zsh", &["-f", "-c"], &script, dir))
        .into_iter()
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
        .collect()
}

/// What fish offers for the command line `line`.
fn fish(dir: &Path, line: &str) -> Vec<String> {
    let script = format!("sidepod completions fish | source\ncomplete -C '{line}'");
    lines(&shell("fish", &["--no-config", "-c"], &script, dir))
        .into_iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn has_all(offered: &[String], names: &[&str], what: &str) {
    for name in names {
        assert!(
            offered.iter().any(|o| o == name),
            "{what}: no {name:?} in {offered:?}"
        );
    }
}

/// What every shell must offer on the project: services where a service goes, the
/// profiles, and the workflow's jobs.
fn offers_the_project(complete: impl Fn(&[&str]) -> Vec<String>) {
    let services = ["db", "web", "debug"];
    for command in ["up", "logs", "exec"] {
        has_all(&complete(&["sidepod", command, ""]), &services, command);
    }
    let from = complete(&["sidepod", "up", "--exit-code-from", ""]);
    has_all(&from, &services, "--exit-code-from");
    assert!(!from.iter().any(|c| c == "compose.yaml"), "{from:?}");
    has_all(
        &complete(&["sidepod", "--profile", ""]),
        &["tools"],
        "--profile",
    );
    let workflow = ".github/workflows/ci.yml";
    let jobs = complete(&["sidepod", "job", "-f", workflow, "--job", ""]);
    has_all(&jobs, &["unit-tests", "lint"], "job --job");
}

#[test]
fn bash_completes_services_profiles_and_jobs_from_the_files_here() {
    let dir = project();
    offers_the_project(|words| bash(dir.path(), words));
    let from = bash(dir.path(), &["sidepod", "up", "--exit-code-from", ""]);
    assert_eq!(from, ["db", "web", "debug"], "services only");
    let narrowed = bash(dir.path(), &["sidepod", "up", "w"]);
    assert_eq!(narrowed, ["web"], "a prefix narrows it");
    // Flags are still offered where a flag is typed.
    let flags = bash(dir.path(), &["sidepod", "up", "--no-d"]);
    has_all(&flags, &["--no-deps"], "flags");
}

#[test]
fn zsh_completes_services_profiles_and_jobs_from_the_files_here() {
    let dir = project();
    offers_the_project(|words| zsh(dir.path(), words));
    // Not every command on PATH: only sidepod's own words.
    let first = zsh(dir.path(), &["sidepod", ""]);
    has_all(&first, &["up", "down", "job"], "commands");
    assert!(
        !first.iter().any(|c| c == "bash" || c == "cat"),
        "{first:?}"
    );
}

#[test]
fn fish_completes_services_profiles_and_jobs_from_the_files_here() {
    let dir = project();
    offers_the_project(|words| fish(dir.path(), &words.join(" ")));
}

#[test]
fn without_files_here_completion_offers_no_services_and_does_not_fail() {
    let dir = tempfile::tempdir().unwrap();
    let offered = bash(dir.path(), &["sidepod", "logs", ""]);
    assert!(!offered.iter().any(|o| o == "db"), "{offered:?}");
}
