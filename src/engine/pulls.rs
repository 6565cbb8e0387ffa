//! When sidepod last pulled each image, for `pull_policy: daily|weekly|every_<duration>`.
//! podman records no pull time, so sidepod keeps one line per image in a small file of
//! its own (`$SIDEPOD_STATE_DIR/pulls`, else `$XDG_STATE_HOME/sidepod/pulls`, else
//! `~/.local/state/sidepod/pulls`). Losing it is safe: an image with no record is pulled
//! once more.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file of pull times, by image.
pub struct PullLog {
    path: Option<PathBuf>,
}

impl PullLog {
    /// The log of this user's pulls.
    pub fn here() -> PullLog {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dir = var("SIDEPOD_STATE_DIR")
            .or_else(|| var("XDG_STATE_HOME").map(|d| d.join("sidepod")))
            .or_else(|| var("HOME").map(|h| h.join(".local/state/sidepod")));
        PullLog {
            path: dir.map(|d| d.join("pulls")),
        }
    }

    fn read(&self) -> BTreeMap<String, u64> {
        let Some(text) = self
            .path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
        else {
            return BTreeMap::new();
        };
        text.lines()
            .filter_map(|l| {
                let (when, image) = l.split_once(' ')?;
                Some((image.to_string(), when.parse().ok()?))
            })
            .collect()
    }

    /// When `image` was last pulled by sidepod, in seconds since the epoch.
    pub fn last_pull(&self, image: &str) -> Option<u64> {
        self.read().get(image).copied()
    }

    /// Notes that `image` was pulled now. A log that cannot be written is only said in
    /// the debug log: the next run pulls once more.
    pub fn record(&self, image: &str) {
        let Some(path) = &self.path else { return };
        let mut all = self.read();
        all.insert(image.to_string(), now());
        let text: String = all.iter().map(|(i, t)| format!("{t} {i}\n")).collect();
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let partial = path.with_extension(format!("part-{}", std::process::id()));
                std::fs::write(&partial, text)?;
                std::fs::rename(&partial, path)
            });
        if let Err(e) = written {
            tracing::debug!("recording the pull of {image} in {}: {e}", path.display());
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether an image that is here, last pulled at `last`, is due for a pull under a
/// refresh policy of `every`: never recorded, or recorded longer ago than that.
pub fn due(every: Duration, last: Option<u64>, now: u64) -> bool {
    last.is_none_or(|t| now.saturating_sub(t) >= every.as_secs())
}

/// `due` for now.
pub fn due_now(every: Duration, last: Option<u64>) -> bool {
    due(every, last, now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_due_when_unrecorded_or_older_than_the_policy() {
        let day = Duration::from_secs(86_400);
        assert!(due(day, None, 1_000_000));
        assert!(!due(day, Some(1_000_000 - 3_600), 1_000_000));
        assert!(due(day, Some(1_000_000 - 86_400), 1_000_000));
        // A clock that went back is not a reason to pull.
        assert!(!due(day, Some(2_000_000), 1_000_000));
    }

    #[test]
    fn pulls_are_recorded_per_image_and_a_lost_or_broken_log_is_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = PullLog {
            path: Some(dir.path().join("state/pulls")),
        };
        assert_eq!(log.last_pull("postgres:16"), None);
        log.record("postgres:16");
        log.record("ghcr.io/org/app:1");
        let when = log.last_pull("postgres:16").unwrap();
        assert!(now() - when < 5);
        assert!(log.last_pull("ghcr.io/org/app:1").is_some());
        std::fs::write(dir.path().join("state/pulls"), "garbage\n12 x y\n").unwrap();
        assert_eq!(log.last_pull("postgres:16"), None);
        assert_eq!(log.last_pull("x y"), Some(12));
        let nowhere = PullLog {
            path: Some("/proc/sidepod-cannot-write-here/pulls".into()),
        };
        nowhere.record("busybox");
        assert_eq!(nowhere.last_pull("busybox"), None);
    }
}
