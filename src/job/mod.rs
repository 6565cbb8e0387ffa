//! Job files: a source of services for the one loading path, which adds the main
//! container and the steps; and their rendering for `config`.

mod file;
mod load;
pub mod matrix;
mod parts;
mod render;
pub mod restrict;

pub use file::{is_job_file, JOB_FILES};
pub use load::{find_job_file, load_job};
pub use parts::JobParts;
pub use render::render_job;
