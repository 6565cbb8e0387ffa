//! Real podman, on a real pseudo-terminal: the live board that `up`, `down` and `job`
//! draw, replayed onto a virtual screen; and the plain, escape-free lines they write
//! when piped, or told `--progress plain`, `NO_COLOR` and the rest.

#[macro_use]
mod common;

use common::podman::{Project, BUSYBOX};

/// A database that turns healthy after a second, an app that waits for it, and a volume.
fn stack() -> String {
    format!(
        "services:\n  db:\n    image: {BUSYBOX}\n    \
         command: [\"sh\", \"-c\", \"sleep 1; touch /tmp/ok; exec sleep 300\"]\n    \
         healthcheck: {{test: [\"CMD\", \"test\", \"-f\", \"/tmp/ok\"], interval: 1s, start_period: 10s}}\n    \
         stop_grace_period: 1s\n    volumes: [data:/data]\n  \
         app:\n    image: {BUSYBOX}\n    command: [\"sleep\", \"300\"]\n    stop_grace_period: 2s\n    \
         depends_on: {{db: {{condition: service_healthy}}}}\nvolumes:\n  data:\n"
    )
}

/// What the screen shows once everything drawn has been replayed on it.
fn screen(drawn: &[u8]) -> vt100::Parser {
    let mut parser = vt100::Parser::new(32, 120, 0);
    parser.process(drawn);
    parser
}

/// The screen's row that holds `text`, and that row.
fn row_with(parser: &vt100::Parser, text: &str) -> (u16, String) {
    let found = parser
        .screen()
        .rows(0, 120)
        .enumerate()
        .find(|(_, l)| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} on the screen:\n{}", lines(parser)));
    (found.0 as u16, found.1)
}

/// The screen, row by row (a full row is a row of its own, not wrapped into the next).
fn lines(parser: &vt100::Parser) -> String {
    let rows: Vec<String> = parser.screen().rows(0, 120).collect();
    rows.join("\n").trim_end().to_string()
}

/// How many times the board moved the cursor up to draw itself again.
fn redraws(drawn: &[u8]) -> usize {
    let text = String::from_utf8_lossy(drawn);
    regex::Regex::new(r"\x1b\[\d+A")
        .unwrap()
        .find_iter(&text)
        .count()
}

#[test]
fn the_board_redraws_in_place_and_its_last_screen_shows_every_container_state() {
    let host = host!();
    let p = Project::with_files(&host, "board", &[("compose.yaml", &stack())]);
    let (code, drawn) = p.in_terminal(&["up", "-d"], &[]);
    let parser = screen(&drawn);
    let contents = lines(&parser);
    assert_eq!(code, 0, "{contents}");
    assert!(
        redraws(&drawn) >= 5,
        "the board was not redrawn in place:\n{contents}"
    );
    // While the app waited, the database's line said so, with a running timer.
    let text = String::from_utf8_lossy(&drawn);
    assert!(text.contains("Waiting"), "{text}");
    let (db, db_line) = row_with(&parser, &format!("Container {}", p.container("db")));
    let (_, app_line) = row_with(&parser, &format!("Container {}", p.container("app")));
    let (_, pod_line) = row_with(&parser, &format!("Pod {}", p.name));
    let (_, volume_line) = row_with(&parser, &format!("Volume {}_data", p.name));
    assert!(db_line.contains("Healthy"), "{contents}");
    assert!(app_line.contains("Started"), "{contents}");
    assert!(pod_line.contains("Created"), "{contents}");
    assert!(volume_line.contains("Created"), "{contents}");
    // The database became healthy a second or more after it started.
    let secs: f64 = db_line
        .split_whitespace()
        .last()
        .and_then(|t| t.strip_suffix('s'))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no elapsed time on {db_line:?}"));
    assert!(secs >= 0.8, "{db_line}");
    // The header counts four rows, all done, once, at the top of the board.
    assert_eq!(contents.matches("[+] Running").count(), 1, "{contents}");
    row_with(&parser, "[+] Running 4/4");
    // Healthy is green.
    let col = db_line.find("Healthy").unwrap() as u16;
    let cell = parser.screen().cell(db, col).unwrap();
    assert_eq!(cell.fgcolor(), vt100::Color::Idx(2), "{db_line}");

    // down: the stop timers run while the grace periods do, and every line ends done.
    let (code, drawn) = p.in_terminal(&["down", "-v"], &[]);
    let parser = screen(&drawn);
    let contents = lines(&parser);
    assert_eq!(code, 0, "{contents}");
    let text = String::from_utf8_lossy(&drawn);
    assert!(text.contains("Stopping"), "{text}");
    let (_, app_line) = row_with(&parser, &format!("Container {}", p.container("app")));
    assert!(
        app_line.contains("Stopped") || app_line.contains("Removed"),
        "{contents}"
    );
    row_with(&parser, &format!("Pod {}", p.name));
    assert!(
        !contents.contains("Stopping"),
        "a line still stops at the end:\n{contents}"
    );
    p.assert_nothing_left();
}

#[test]
fn piped_or_plain_or_uncoloured_output_has_no_escape_codes() {
    let host = host!();
    let p = Project::with_files(&host, "plain", &[("compose.yaml", &stack())]);
    // Piped: plain lines, as before the board.
    let up = p.sidepod(&["up", "-d"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(!up.stderr.contains('\x1b'), "{:?}", up.stderr);
    assert!(
        up.stderr
            .contains(&format!("Container {}  Healthy", p.container("db"))),
        "{}",
        up.stderr
    );
    // --progress plain on a terminal: lines, no cursor movement, no colour.
    let (code, drawn) = p.in_terminal(&["--progress", "plain", "restart"], &[]);
    let text = String::from_utf8_lossy(&drawn);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!("Container {}  Restarted", p.container("db"))),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "{text:?}");
    // NO_COLOR, CLICOLOR=0 and TERM=dumb on a terminal: no colour, and -v's debug lines
    // are plain too. TERM=dumb also draws no board.
    for env in [("NO_COLOR", "1"), ("CLICOLOR", "0"), ("TERM", "dumb")] {
        let (code, drawn) = p.in_terminal(&["-v", "ps"], &[env]);
        let text = String::from_utf8_lossy(&drawn);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("DEBUG"), "{env:?}: no debug lines:\n{text}");
        assert!(!text.contains("\x1b["), "{env:?}: escape codes:\n{text:?}");
    }
    // ... where without them the debug lines are coloured on a terminal.
    let (_, drawn) = p.in_terminal(&["-v", "ps"], &[]);
    assert!(
        String::from_utf8_lossy(&drawn).contains("\x1b["),
        "no colour at all on a terminal"
    );
    // --ansi never beats a terminal; the board still draws, without colour.
    let (code, drawn) = p.in_terminal(&["--ansi", "never", "down", "-v"], &[]);
    let text = String::from_utf8_lossy(&drawn);
    assert_eq!(code, 0, "{text}");
    assert!(redraws(&drawn) >= 1, "{text:?}");
    assert!(
        !regex::Regex::new(r"\x1b\[[0-9;]*m")
            .unwrap()
            .is_match(&text),
        "{text:?}"
    );
    p.assert_nothing_left();
}

#[test]
fn a_job_shows_its_sidecars_and_steps_on_the_board_and_folds_steps_in_ci_logs() {
    let host = host!();
    let job = format!(
        "container:\n  image: {BUSYBOX}\nservices:\n  db:\n    image: {BUSYBOX}\n    \
         command: [\"sh\", \"-c\", \"while true; do nc -l -p 5432 -e echo hi; done\"]\n    ports: [\"5432\"]\n\
         steps:\n  - name: greet\n    run: echo hello from the step\n  - name: count\n    run: seq 3\n"
    );
    let p = Project::with_files(&host, "boardjob", &[("sidepod.yaml", &job)]);
    let (code, drawn) = p.in_terminal(&["job"], &[]);
    let parser = screen(&drawn);
    let contents = lines(&parser);
    assert_eq!(code, 0, "{contents}");
    let text = String::from_utf8_lossy(&drawn);
    assert!(redraws(&drawn) >= 1, "{text:?}");
    // The step's output appears above the board, which is drawn again below it.
    assert!(contents.contains("hello from the step"), "{contents}");
    assert!(
        text.contains("Running"),
        "a step under way shows it: {text:?}"
    );
    for line in ["Step 1/2 greet", "Step 2/2 count"] {
        let (_, l) = row_with(&parser, line);
        assert!(l.contains("Passed"), "{contents}");
    }
    let (_, sidecar) = row_with(&parser, "Sidecar db");
    assert!(sidecar.contains("Ready"), "{contents}");
    row_with(&parser, "passed");

    // Piped, in GitHub Actions: each step's output in its own group.
    let out = p.sidepod_env(&["job"], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let open = out
        .stdout
        .find("::group::Step 1/2: greet")
        .expect(&out.stdout);
    let said = out.stdout.find("hello from the step").unwrap();
    let close = out.stdout.find("::endgroup::").expect(&out.stdout);
    assert!(open < said && said < close, "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("::endgroup::").count(),
        2,
        "{}",
        out.stdout
    );
    // In GitLab CI: its section markers.
    let out = p.sidepod_env(&["job"], &[("GITLAB_CI", "true")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let start = out
        .stdout
        .find(":sidepod_step_1[collapsed=false]")
        .expect(&out.stdout);
    let end = out.stdout.find("section_end:").expect(&out.stdout);
    assert!(
        out.stdout[..start].contains("section_start:"),
        "{}",
        out.stdout
    );
    assert!(
        start < out.stdout.find("hello from the step").unwrap(),
        "{}",
        out.stdout
    );
    assert!(end > start, "{}", out.stdout);
    // Outside CI, no markers.
    let out = p.sidepod(&["job"]);
    assert!(!out.stdout.contains("::group::") && !out.stdout.contains("section_start"));
    p.assert_nothing_left();
}

#[test]
fn a_one_off_container_gets_the_terminal_below_the_board_and_nothing_is_drawn_over_it() {
    let host = host!();
    let p = Project::with_files(&host, "boardrun", &[("compose.yaml", &stack())]);
    let (code, drawn) = p.in_terminal(
        &[
            "run",
            "--rm",
            "app",
            "sh",
            "-c",
            "echo first line; echo second line",
        ],
        &[],
    );
    let parser = screen(&drawn);
    let contents = lines(&parser);
    assert_eq!(code, 0, "{contents}");
    // The board of what run started first stays above the container's own output.
    let (board, _) = row_with(&parser, &format!("Container {}", p.container("db")));
    let (first, _) = row_with(&parser, "first line");
    let (second, _) = row_with(&parser, "second line");
    assert!(board < first && first < second, "{contents}");
    assert_eq!(p.sidepod(&["down", "-v"]).code, 0);
    p.assert_nothing_left();
}
