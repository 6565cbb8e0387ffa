//! Job files: the format, loading, and rendering.

mod file;
mod junit;
mod render;
pub mod runner;

pub use file::{find_job_file, is_job_file, load_job, Job, Step, DEFAULT_WORKDIR, JOB_FILES, MAIN};
pub use render::render_job;
pub use runner::{job_project, plan_job, reap_stale, run_job, JobOptions, Outcome};

#[cfg(test)]
mod tests;
