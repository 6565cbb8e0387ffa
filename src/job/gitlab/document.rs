//! The pipeline file as GitLab reads it before any job runs: local `include:` files
//! merged in, a job's `extends:` merged over its bases, and `!reference` tags replaced by
//! what they point at.

use std::path::Path;

use serde_norway::{Mapping, Value};

use crate::compose::{parse_yaml, LoadError, Reader};
use crate::job::parts::job_error;

/// The file with its local includes merged in (theirs first, this file over them).
pub(super) fn document(
    file: &Path,
    dir: &Path,
    reader: &mut Reader,
    display: &str,
    depth: usize,
) -> Result<Mapping, LoadError> {
    if depth > 16 {
        return Err(job_error(
            display,
            "include",
            "includes nest more than 16 deep (a cycle?)",
        ));
    }
    let text = reader.read_text(file)?;
    let Value::Mapping(mut doc) = parse_yaml(&text, &reader.display(file))? else {
        return Err(job_error(
            display,
            "top level",
            "expected a mapping of jobs",
        ));
    };
    let Some(include) = doc.remove("include") else {
        return Ok(doc);
    };
    let entries = match include {
        Value::Sequence(items) => items,
        other => vec![other],
    };
    let mut merged = Mapping::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("include[{i}]");
        let local = match entry {
            Value::String(s) if !s.contains("://") => s.clone(),
            Value::Mapping(m) if m.contains_key("local") => m.get("local").and_then(Value::as_str).unwrap_or_default().to_string(),
            _ => {
                return Err(job_error(
                    display,
                    &at,
                    "only local includes can be read here (remote, project, template and component includes need GitLab); copy the file into the repository",
                ))
            }
        };
        let path = dir.join(local.trim_start_matches('/'));
        let other = document(&path, dir, reader, display, depth + 1)?;
        for (k, v) in other {
            merged.insert(k, v);
        }
    }
    for (k, v) in doc {
        merged.insert(k, v);
    }
    Ok(merged)
}

/// A job with its `extends:` merged in, as GitLab merges: mappings deeply, the rest
/// (lists included) replaced by the extending job.
pub(super) fn extended(
    doc: &Mapping,
    name: &str,
    display: &str,
    seen: &mut Vec<String>,
) -> Result<Mapping, LoadError> {
    if seen.iter().any(|s| s == name) {
        seen.push(name.to_string());
        return Err(job_error(
            display,
            name,
            &format!("extends forms a cycle: {}", seen.join(" -> ")),
        ));
    }
    let Some(Value::Mapping(job)) = doc.get(name) else {
        return Err(job_error(
            display,
            &format!("{}.extends", seen.last().cloned().unwrap_or_default()),
            &format!("{name:?} is not a job or template of this pipeline"),
        ));
    };
    let mut job = job.clone();
    let bases = match job.remove("extends") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s],
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => {
            return Err(job_error(
                display,
                &format!("{name}.extends"),
                "expected a job name or a list of them",
            ))
        }
    };
    seen.push(name.to_string());
    let mut merged = Mapping::new();
    for base in bases {
        let b = extended(doc, &base, display, seen)?;
        deep_merge(&mut merged, b);
    }
    seen.pop();
    deep_merge(&mut merged, job);
    Ok(merged)
}

fn deep_merge(base: &mut Mapping, over: Mapping) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Mapping(b)), Value::Mapping(o)) => deep_merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Replaces each `!reference [job, key, ...]` by what it points at; a list of script
/// lines that holds one is flattened into it.
pub(super) fn resolve_references(
    value: &mut Mapping,
    doc: &Mapping,
    display: &str,
) -> Result<(), LoadError> {
    for (_, v) in value.iter_mut() {
        resolve_value(v, doc, display, 0)?;
    }
    Ok(())
}

fn resolve_value(
    v: &mut Value,
    doc: &Mapping,
    display: &str,
    depth: usize,
) -> Result<(), LoadError> {
    if depth > 10 {
        return Err(job_error(
            display,
            "!reference",
            "references nest more than 10 deep",
        ));
    }
    match v {
        Value::Tagged(t) if t.tag == "reference" => {
            let path: Vec<String> = t
                .value
                .as_sequence()
                .map(|s| {
                    s.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let mut found = Value::Mapping(doc.clone());
            for p in &path {
                found = found.get(p.as_str()).cloned().ok_or_else(|| {
                    job_error(
                        display,
                        "!reference",
                        &format!("[{}] points at nothing", path.join(", ")),
                    )
                })?;
            }
            resolve_value(&mut found, doc, display, depth + 1)?;
            *v = found;
        }
        Value::Sequence(items) => {
            let mut out = Vec::new();
            for mut item in std::mem::take(items) {
                let was_reference = matches!(&item, Value::Tagged(_));
                resolve_value(&mut item, doc, display, depth + 1)?;
                match item {
                    Value::Sequence(inner) if was_reference => out.extend(inner),
                    other => out.push(other),
                }
            }
            *items = out;
        }
        Value::Mapping(m) => {
            for (_, inner) in m.iter_mut() {
                resolve_value(inner, doc, display, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}
