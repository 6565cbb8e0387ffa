//! `sidepod cache ls|prune`: the volumes that keep jobs' `cache:` paths between runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::backend::VolumeInfo;
use crate::cli::CacheCommand;
use crate::error::Error;
use crate::exit;
use crate::model::format_duration;
use crate::output;
use crate::plan::{LABEL_CACHE, LABEL_CACHE_PATH};
use crate::session::Session;

pub async fn cache(s: &Session, what: &CacheCommand) -> Result<i32, Error> {
    let backend = s.backend()?;
    let mut caches = backend
        .volumes(LABEL_CACHE, "")
        .await
        .map_err(crate::engine::EngineError::from)?;
    caches.sort_by(|a, b| a.name.cmp(&b.name));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let age = |v: &VolumeInfo| {
        v.created
            .map(|c| Duration::from_secs((now - c).max(0) as u64))
    };
    match what {
        CacheCommand::Ls => {
            output::print(&table(&caches, &age)).map_err(Error::Output)?;
            Ok(exit::SUCCESS)
        }
        CacheCommand::Prune { older_than } => {
            let mut code = exit::SUCCESS;
            for v in &caches {
                // Without a known age, a cache is only pruned when all are.
                let old = older_than.is_none_or(|limit| age(v).is_some_and(|a| a > limit));
                if !old {
                    continue;
                }
                match backend.volume_remove(std::slice::from_ref(&v.name)).await {
                    Ok(()) => output::print(&format!("{}\n", v.name)).map_err(Error::Output)?,
                    Err(e) if e.to_string().contains("being used") => {
                        s.warn_all(&[format!("{} is in use by a running job; it is left", v.name)])
                    }
                    Err(e) => {
                        s.warn_all(&[format!("{}: {e}", v.name)]);
                        code = exit::RUNTIME;
                    }
                }
            }
            Ok(code)
        }
    }
}

fn table(caches: &[VolumeInfo], age: &dyn Fn(&VolumeInfo) -> Option<Duration>) -> String {
    let rows: Vec<[String; 4]> = caches
        .iter()
        .map(|v| {
            let label = |k: &str| v.labels.get(k).cloned().unwrap_or_default();
            let age = age(v).map_or("?".into(), |a| {
                format_duration(
                    Duration::from_secs(a.as_secs() / 60 * 60).max(Duration::from_secs(60)),
                )
            });
            [
                v.name.clone(),
                label(LABEL_CACHE),
                label(LABEL_CACHE_PATH),
                age,
            ]
        })
        .collect();
    super::ps::columns(["VOLUME", "KEY", "PATH", "AGE"], &rows)
}
