//! Job files: the format, loading, and rendering.

mod file;
mod render;

pub use file::{find_job_file, is_job_file, load_job, Job, Step, DEFAULT_WORKDIR, JOB_FILES, MAIN};
pub use render::render_job;
