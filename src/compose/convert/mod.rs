//! Raw → model: parses every short syntax, resolves paths and env files, and checks
//! each value, so that the model holds only valid, long-form data. One file per
//! concern; each takes the shared imports below with `use super::*`.

mod context;
mod develop;
mod health;
mod mounts;
mod networks;
mod objects;
mod ports;
mod resources;
mod service;
mod validate;
mod values;
mod wait;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;

use super::dotenv::parse_env_file;
use super::error::describe_path;
use super::limits::MAX_REPLICAS;
use super::raw::*;
use super::LoadError;
use crate::model::*;

use self::develop::watch_rules;
use self::health::*;
use self::mounts::*;
use self::networks::*;
use self::objects::file_refs;
use self::ports::*;
use self::resources::*;
use self::values::*;
use self::wait::wait_strategies;

pub use self::context::{clean_path, Context};
pub use self::networks::network_warnings;
pub use self::objects::{convert_file_objects, convert_networks, convert_volumes};
pub use self::service::convert_service;
pub use self::validate::{check_file_refs, check_references, unapplied_warnings};

/// A `run -v` value, read as the files' short syntax is (relative paths from the
/// project's directory).
pub fn cli_mount(spec: &str, project_dir: &Path) -> Result<Mount, String> {
    let lookup = |_: &str| None;
    let ctx = Context {
        file: "the command line",
        project_dir,
        lookup: &lookup,
    };
    short_mount(spec, &ctx)
}

/// A `run -p` value, read as the files' short syntax is.
pub fn cli_ports(spec: &str) -> Result<Vec<Port>, String> {
    short_port(spec)
}
