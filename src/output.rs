//! The one writer of stdout (results, logs) and stderr (warnings, status, errors).

use std::io::Write;

/// Writes a command's result to stdout. A closed pipe (`sidepod config | head`) is a
/// normal end, not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A warning on stderr, one line each.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// An error report on stderr.
pub fn error(report: &str) {
    eprintln!("{report}");
}
