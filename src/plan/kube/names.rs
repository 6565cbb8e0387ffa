//! Kubernetes names and labels for what sidepod names freely: a project `ecokube_job`,
//! a service `api_v2` or a volume `ecokube_sightings` is no valid object name there.
//! Each name is made a DNS-1123 label the same way every time; a name that had to change
//! and then meets another keeps apart by a short hash of what it was.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::model::fingerprint;

/// The longest DNS-1123 label, and so the longest name of a container or a pod.
const LABEL_MAX: usize = 63;

/// The names given so far, each original once, and their changed ones for the comment.
#[derive(Default)]
pub struct Names {
    given: BTreeMap<String, String>,
    changed: Vec<(String, String)>,
}

impl Names {
    /// Gives `original` its own name now if it is valid as it is, so that a name that
    /// has to change later never takes it.
    pub fn reserve(&mut self, original: &str) {
        let valid = !original.is_empty() && dns_name(original) == original;
        if valid && !self.given.contains_key(original) && !self.taken(original) {
            self.given
                .insert(original.to_string(), original.to_string());
        }
    }

    /// The DNS-1123 label for `original`: the same for the same original, and never
    /// the same as another original's.
    pub fn get(&mut self, original: &str) -> String {
        if let Some(name) = self.given.get(original) {
            return name.clone();
        }
        let mut name = dns_name(original);
        if name.is_empty() || self.taken(&name) {
            let hash = &fingerprint(original.as_bytes())[..8];
            name.truncate(LABEL_MAX - hash.len() - 1);
            name = format!("{}-{hash}", name.trim_end_matches('-'))
                .trim_start_matches('-')
                .to_string();
        }
        if name != original {
            self.changed.push((original.to_string(), name.clone()));
        }
        self.given.insert(original.to_string(), name.clone());
        name
    }

    fn taken(&self, name: &str) -> bool {
        self.given.values().any(|v| v == name)
    }

    /// A YAML comment that shows each changed name beside the one it came from, or
    /// nothing when no name changed.
    pub fn comment(&self) -> String {
        if self.changed.is_empty() {
            return String::new();
        }
        let mut text =
            String::from("# Kubernetes names (DNS-1123 labels) for the project's own:\n");
        for (original, name) in &self.changed {
            text.push_str(&format!("#   {original} -> {name}\n"));
        }
        text
    }
}

/// A DNS-1123 label: lower-case letters, digits and `-`, starting and ending with a
/// letter or digit, at most 63 characters. Runs of other characters become one `-`.
pub fn dns_name(text: &str) -> String {
    let mut name = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_start_matches('-');
    let mut name: String = name.chars().take(LABEL_MAX).collect();
    while name.ends_with('-') {
        name.pop();
    }
    name
}

/// A label value as Kubernetes takes it: at most 63 characters of letters, digits,
/// `-`, `_` and `.`, beginning and ending with a letter or digit.
pub fn label_value(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = kept.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut value: String = trimmed.chars().take(LABEL_MAX).collect();
    while value.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        value.pop();
    }
    value
}

/// The labels Kubernetes recommends (`app.kubernetes.io/*`), for an object of
/// `project`; `component` names the service or volume it is for, if one.
pub fn recommended_labels(project: &str, component: Option<&str>) -> Value {
    let mut labels = json!({
        "app.kubernetes.io/name": label_value(project),
        "app.kubernetes.io/instance": label_value(project),
        "app.kubernetes.io/part-of": label_value(project),
        "app.kubernetes.io/managed-by": "sidepod",
    });
    if let Some(component) = component {
        labels["app.kubernetes.io/component"] = label_value(component).into();
    }
    labels
}
