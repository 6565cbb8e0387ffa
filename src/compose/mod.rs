//! Compose files: the raw serde mirror, and loading them into a validated project.

mod convert;
mod discover;
mod dotenv;
mod error;
pub mod interpolate;
mod load;
mod merge;
pub(crate) mod raw;
mod render;

pub use discover::CANDIDATES;
pub use error::LoadError;
pub use load::{load_project, LoadOptions};
pub(crate) use render::{
    escape_dollars, insert_file_objects, insert_volumes, service_value, to_text,
};
pub use render::{render_project, Format};

pub(crate) use convert::{
    check_file_refs, convert_file_objects, convert_networks, convert_service, convert_volumes,
    Context,
};
pub(crate) use discover::{checked_project_name, project_name_from_dir};
pub(crate) use load::{
    active_profiles, convert_services, normalize_services, parse_yaml, strip_extensions,
    strip_service_extensions, unset_warnings, validate, Environment, Reader,
};
pub(crate) use merge::merge_value;
