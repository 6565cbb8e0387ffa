//! A job's secret values in Kubernetes YAML: never written out. An environment variable
//! that carries one reads it from a `Secret` instead, which the user creates from the
//! command in the YAML's header comment.

use serde_json::{json, Value};

use crate::model::FileSource;

pub struct Secrets<'a> {
    values: Vec<&'a str>,
    /// The `Secret`'s name.
    name: String,
    /// Its keys, in the order first referenced, with the host file each is made from,
    /// if it is one.
    keys: Vec<(String, Option<String>)>,
}

impl<'a> Secrets<'a> {
    pub fn new(values: &'a [String], name: String) -> Self {
        Secrets {
            values: values
                .iter()
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .collect(),
            name,
            keys: Vec::new(),
        }
    }

    /// The `env` entry of `variable` in `container`: its value, or a reference to the
    /// `Secret` when the value holds a secret.
    pub fn env(&mut self, container: &str, variable: &str, value: &str) -> Value {
        if !self.values.iter().any(|s| value.contains(s)) {
            return json!({"name": variable, "value": value});
        }
        let key = format!("{container}.{variable}");
        self.key(&key, None);
        json!({
            "name": variable,
            "valueFrom": {"secretKeyRef": {"name": self.name, "key": key}},
        })
    }

    fn key(&mut self, key: &str, file: Option<String>) {
        if !self.keys.iter().any(|(k, _)| k == key) {
            self.keys.push((key.to_string(), file));
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key of a `secrets:` entry (`secret.<name>`), which is made from its host
    /// file when it has one.
    pub fn file(&mut self, name: &str, source: &FileSource) -> String {
        let key = format!("secret.{name}");
        let file = source.file().map(|f| f.to_string_lossy().into_owned());
        self.key(&key, file);
        key
    }

    /// The header comment saying how to create the `Secret`, or nothing if no variable
    /// refers to it.
    pub fn comment(&self) -> String {
        if self.keys.is_empty() {
            return String::new();
        }
        let mut text = format!(
            "# Secret values are not written here. Create the Secret first:\n\
             #   kubectl create secret generic {}",
            self.name
        );
        for (key, file) in &self.keys {
            match file {
                Some(f) => text.push_str(&format!(" \\\n#     --from-file={key}={f}")),
                None => text.push_str(&format!(" \\\n#     --from-literal={key}=...")),
            }
        }
        text.push('\n');
        text
    }
}
