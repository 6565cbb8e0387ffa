//! The loaders on arbitrary bytes, as a Compose file and as a job file: any input ends
//! in a project or a config error, never a panic, a hang or unbounded memory.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sidepod::compose::{load_project, LoadOptions};

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sidepod-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    for name in ["compose.yaml", "sidepod.yaml"] {
        let file = dir.join(name);
        if std::fs::write(&file, data).is_err() {
            return;
        }
        let opts = LoadOptions {
            files: vec![file],
            working_dir: dir.clone(),
            environ: [("HOME".to_string(), "/nonexistent".to_string())].into(),
            ..LoadOptions::default()
        };
        let _ = if name == "compose.yaml" {
            load_project(&opts).map(drop)
        } else {
            sidepod::job::load_job(&opts, &sidepod::job::JobChoice::default()).map(drop)
        };
    }
});
