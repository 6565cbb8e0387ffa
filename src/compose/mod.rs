//! Compose files: the raw serde mirror, and loading them into a validated project. Every
//! source of services (Compose files, job files) ends in `load::resolve`.

mod convert;
mod discover;
mod dotenv;
mod environment;
mod error;
pub mod interpolate;
pub(crate) mod limits;
mod load;
mod merge;
pub(crate) mod raw;
mod reader;
mod render;
mod yaml;

pub use discover::CANDIDATES;
pub use error::LoadError;
pub use load::{interpolation_environment, load_project, LoadOptions};
pub(crate) use render::{
    escape_dollars, insert_file_objects, insert_volumes, service_value, services_value, to_text,
};
pub use render::{render_project, render_uninterpolated, Format};

pub(crate) use convert::{cli_mount, cli_ports, convert_service, Context};
pub(crate) use discover::checked_project_name;
pub(crate) use environment::Environment;
pub(crate) use load::{resolve, ComposeSource, Naming};
pub(crate) use merge::{apply_resets, merge_documents, take_tags};
pub(crate) use reader::Reader;
pub(crate) use yaml::{
    normalize_services, parse_yaml, strip_extensions, strip_service_extensions, validate,
    SIDEPOD_KEY, WAIT_KEY,
};
