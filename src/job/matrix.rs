//! A job file's `matrix:`: axes of values, with `include` and `exclude` as GitHub Actions
//! has them. Each combination is the job loaded again with its values as variables
//! (`MATRIX_<AXIS>`), for interpolation and in the main container's environment.

use std::path::Path;

use indexmap::IndexMap;
use serde_norway::Value;

use super::parts::job_error;
use crate::compose::LoadError;

/// The combinations of a job's matrix, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub combinations: Vec<Combination>,
    /// `fail_fast: true`: after a failure, combinations not yet started are not run.
    pub fail_fast: bool,
    /// GitHub's `max-parallel`: how many combinations may run at once (`--parallel` wins).
    pub max_parallel: Option<usize>,
}

/// One combination: each key's value, in the file's order. A GitLab matrix sets its
/// variables by their own names (`as_is`); the others as `MATRIX_<AXIS>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination(pub IndexMap<String, String>, pub bool);

impl Combination {
    /// `db=postgres:16, mode=fast`.
    pub fn label(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The variables it sets: `MATRIX_DB=postgres:16`, ... (GitLab's: `DB=postgres:16`).
    pub fn variables(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(k, v)| {
                let name = if self.1 { k.clone() } else { variable(k) };
                (name, v.clone())
            })
            .collect()
    }
}

pub use super::parts::matrix_variable as variable;

/// The most combinations one file may expand to.
const MAX_COMBINATIONS: usize = 256;

/// The job file's matrix, if it has one: sidepod's `matrix:` and `fail_fast:`, or a
/// GitHub workflow job's `strategy` (`matrix`, `fail-fast`, true by default there, and
/// `max-parallel`).
pub fn read_matrix(
    file: &Path,
    display: &str,
    job: Option<&str>,
) -> Result<Option<Matrix>, LoadError> {
    let text = crate::compose::limits::read_file(file)?;
    let Ok(Value::Mapping(doc)) = serde_norway::from_str::<Value>(&text) else {
        // The loader says what is wrong with the file.
        return Ok(None);
    };
    if super::gitlab::is_pipeline(file, &doc) {
        return gitlab_matrix(&doc, job, display);
    }
    if super::github::is_workflow(file, &doc) {
        let jobs = doc.get("jobs").and_then(Value::as_mapping);
        let chosen = match (job, jobs) {
            (Some(j), Some(all)) => all.get(j),
            (None, Some(all)) if all.len() == 1 => all.values().next(),
            // The loader says which jobs there are.
            _ => None,
        };
        let Some(strategy) = chosen.and_then(|j| j.get("strategy")) else {
            return Ok(None);
        };
        let name = job
            .map(str::to_string)
            .or_else(|| jobs.and_then(|j| j.keys().next()).and_then(scalar))
            .unwrap_or_default();
        let at = format!("jobs.{name}.strategy");
        let fail_fast = match strategy.get("fail-fast") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(job_error(
                    display,
                    &format!("{at}.fail-fast"),
                    "expected true or false",
                ))
            }
        };
        let max_parallel = match strategy.get("max-parallel") {
            None => None,
            Some(v) => Some(
                scalar(v)
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        job_error(
                            display,
                            &format!("{at}.max-parallel"),
                            "expected a number above 0",
                        )
                    })?,
            ),
        };
        let Some(matrix) = strategy.get("matrix") else {
            return Ok(None);
        };
        let mut m = matrix_of(matrix, &format!("{at}.matrix"), display, fail_fast)?;
        m.max_parallel = max_parallel;
        return Ok(Some(m));
    }
    let fail_fast = match doc.get("fail_fast") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(job_error(display, "fail_fast", "expected true or false")),
    };
    let Some(matrix) = doc.get("matrix") else {
        return Ok(None);
    };
    matrix_of(matrix, "matrix", display, fail_fast).map(Some)
}

/// A GitLab job's `parallel: matrix:`: each entry's values multiplied, the entries'
/// combinations one after the other; each value a variable by its own name.
fn gitlab_matrix(
    doc: &serde_norway::Mapping,
    job: Option<&str>,
    display: &str,
) -> Result<Option<Matrix>, LoadError> {
    let jobs: Vec<&Value> = match job {
        Some(j) => doc.get(j).into_iter().collect(),
        None => doc
            .iter()
            .filter(|(k, v)| {
                k.as_str().is_some_and(|k| !k.starts_with('.')) && v.get("script").is_some()
            })
            .map(|(_, v)| v)
            .collect(),
    };
    let [chosen] = jobs.as_slice() else {
        // The loader says which jobs there are.
        return Ok(None);
    };
    let Some(entries) = chosen.get("parallel").and_then(|p| p.get("matrix")) else {
        return Ok(None);
    };
    let at = format!("{}.parallel.matrix", job.unwrap_or("job"));
    let Value::Sequence(entries) = entries else {
        return Err(job_error(
            display,
            &at,
            "expected a list of mappings of variables",
        ));
    };
    let mut combinations = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        // A single value is a list of one.
        let mut entry = entry.clone();
        if let Value::Mapping(m) = &mut entry {
            for v in m.values_mut() {
                if !v.is_sequence() {
                    *v = Value::Sequence(vec![v.clone()]);
                }
            }
        }
        let m = matrix_of(&entry, &format!("{at}[{i}]"), display, false)?;
        combinations.extend(m.combinations.into_iter().map(|c| Combination(c.0, true)));
    }
    if combinations.len() > MAX_COMBINATIONS {
        return Err(job_error(
            display,
            &at,
            &format!("more than {MAX_COMBINATIONS} combinations"),
        ));
    }
    Ok(Some(Matrix {
        combinations,
        fail_fast: false,
        max_parallel: None,
    }))
}

/// The combinations of one `matrix` mapping (at `root`, for errors).
fn matrix_of(
    matrix: &Value,
    root: &str,
    display: &str,
    fail_fast: bool,
) -> Result<Matrix, LoadError> {
    let Value::Mapping(m) = matrix else {
        return Err(job_error(
            display,
            root,
            "give axes of values (db: [postgres:15, postgres:16]), with include and exclude",
        ));
    };
    let mut axes: IndexMap<String, Vec<String>> = IndexMap::new();
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    for (k, v) in m {
        let key = scalar(k).unwrap_or_default();
        let at = format!("{root}.{key}");
        match key.as_str() {
            "include" | "exclude" => {
                let entries = entries(v, &at, display)?;
                if key == "include" {
                    include = entries;
                } else {
                    exclude = entries;
                }
            }
            _ => {
                if variable(&key) == "MATRIX_" || key.is_empty() {
                    return Err(job_error(display, &at, "an axis needs a name"));
                }
                let Value::Sequence(values) = v else {
                    return Err(job_error(display, &at, "expected a list of values"));
                };
                let values: Option<Vec<String>> = values.iter().map(scalar).collect();
                match values {
                    Some(vals) if !vals.is_empty() => {
                        axes.insert(key, vals);
                    }
                    _ => {
                        return Err(job_error(
                            display,
                            &at,
                            "expected a non-empty list of plain values (strings or numbers)",
                        ))
                    }
                }
            }
        }
    }
    let mut combos: Vec<IndexMap<String, String>> = vec![IndexMap::new()];
    for (axis, values) in &axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.insert(axis.clone(), v.clone());
                    c
                })
            })
            .collect();
        if combos.len() > MAX_COMBINATIONS {
            return Err(job_error(
                display,
                root,
                &format!("more than {MAX_COMBINATIONS} combinations; exclude some"),
            ));
        }
    }
    if axes.is_empty() {
        combos.clear();
    }
    combos.retain(|c| !exclude.iter().any(|e| matches(c, e)));
    for extra in include {
        // Extends the combinations whose axis values it shares; else is one of its own.
        let mut extended = false;
        for c in combos.iter_mut() {
            let shares = extra
                .iter()
                .filter(|(k, _)| axes.contains_key(*k))
                .all(|(k, v)| c.get(k) == Some(v));
            let adds = extra.keys().any(|k| !axes.contains_key(k));
            if shares && adds {
                for (k, v) in &extra {
                    c.entry(k.clone()).or_insert_with(|| v.clone());
                }
                extended = true;
            }
        }
        if !extended {
            combos.push(extra);
        }
    }
    if combos.is_empty() {
        return Err(job_error(
            display,
            root,
            "no combination is left (every one is excluded)",
        ));
    }
    Ok(Matrix {
        combinations: combos.into_iter().map(|c| Combination(c, false)).collect(),
        fail_fast,
        max_parallel: None,
    })
}

fn matches(c: &IndexMap<String, String>, pattern: &IndexMap<String, String>) -> bool {
    pattern.iter().all(|(k, v)| c.get(k) == Some(v))
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn entries(v: &Value, at: &str, display: &str) -> Result<Vec<IndexMap<String, String>>, LoadError> {
    let bad = || job_error(display, at, "expected a list of mappings of plain values");
    let Value::Sequence(items) = v else {
        return Err(bad());
    };
    items
        .iter()
        .map(|item| {
            let Value::Mapping(m) = item else {
                return Err(bad());
            };
            m.iter()
                .map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                .collect::<Option<IndexMap<_, _>>>()
                .filter(|e| !e.is_empty())
                .ok_or_else(bad)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(yaml: &str) -> Result<Option<Matrix>, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sidepod.yaml");
        std::fs::write(&file, yaml).unwrap();
        read_matrix(&file, "sidepod.yaml", None)
    }

    fn labels(m: &Matrix) -> Vec<String> {
        m.combinations.iter().map(Combination::label).collect()
    }

    #[test]
    fn axes_multiply_then_exclude_removes_and_include_extends_or_adds() {
        let m = matrix(
            "matrix:\n  db: [pg15, pg16]\n  mode: [fast, slow]\n  exclude:\n    - {db: pg15, mode: slow}\n  \
             include:\n    - {db: pg16, extra: x}\n    - {db: mariadb, mode: fast}\nfail_fast: true\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            labels(&m),
            [
                "db=pg15, mode=fast",
                "db=pg16, mode=fast, extra=x",
                "db=pg16, mode=slow, extra=x",
                "db=mariadb, mode=fast"
            ]
        );
        assert!(m.fail_fast);
        assert_eq!(
            m.combinations[0].variables(),
            [
                ("MATRIX_DB".into(), "pg15".into()),
                ("MATRIX_MODE".into(), "fast".into())
            ]
        );
        assert_eq!(variable("node-version"), "MATRIX_NODE_VERSION");
        assert_eq!(matrix("steps: []\n").unwrap(), None);
    }

    #[test]
    fn a_github_job_strategy_is_its_matrix() {
        let dir = tempfile::tempdir().unwrap();
        let flows = dir.path().join(".github/workflows");
        std::fs::create_dir_all(&flows).unwrap();
        let file = flows.join("ci.yml");
        let workflow = "on: push\njobs:\n  test:\n    runs-on: x\n    strategy:\n      max-parallel: 2\n      \
                        matrix:\n        node: [18, 20]\n        os: [linux]\n        exclude: [{node: 18}]\n        \
                        include: [{node: 22, os: linux}]\n    container: node:${{ matrix.node }}\n    \
                        steps: [{run: 'true'}]\n  lint:\n    runs-on: x\n    steps: [{run: 'true'}]\n";
        std::fs::write(&file, workflow).unwrap();
        let m = read_matrix(&file, "ci.yml", Some("test")).unwrap().unwrap();
        assert_eq!(labels(&m), ["node=20, os=linux", "node=22, os=linux"]);
        // GitHub's default.
        assert!(m.fail_fast);
        assert_eq!(m.max_parallel, Some(2));
        assert_eq!(read_matrix(&file, "ci.yml", Some("lint")).unwrap(), None);
        let bad = workflow.replace("max-parallel: 2", "max-parallel: none");
        std::fs::write(&file, bad).unwrap();
        let err = read_matrix(&file, "ci.yml", Some("test"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("jobs.test.strategy.max-parallel"), "{err}");
    }

    #[test]
    fn a_gitlab_parallel_matrix_sets_variables_by_their_own_names() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".gitlab-ci.yml");
        std::fs::write(
            &file,
            "deploy:\n  image: alpine\n  script: [echo $PROVIDER $STACK]\n  parallel:\n    matrix:\n      \
             - PROVIDER: aws\n        STACK: [monitoring, app1]\n      - PROVIDER: [gcp, vultr]\n        STACK: data\n",
        )
        .unwrap();
        let m = read_matrix(&file, ".gitlab-ci.yml", None).unwrap().unwrap();
        assert_eq!(
            labels(&m),
            [
                "PROVIDER=aws, STACK=monitoring",
                "PROVIDER=aws, STACK=app1",
                "PROVIDER=gcp, STACK=data",
                "PROVIDER=vultr, STACK=data"
            ]
        );
        assert!(!m.fail_fast);
        assert_eq!(
            m.combinations[2].variables(),
            [
                ("PROVIDER".into(), "gcp".into()),
                ("STACK".into(), "data".into())
            ]
        );
    }

    #[test]
    fn bad_matrices_name_the_key() {
        for (yaml, at, phrase) in [
            ("matrix: [a, b]\n", "matrix", "give axes"),
            ("matrix:\n  db: pg\n", "matrix.db", "expected a list"),
            ("matrix:\n  db: []\n", "matrix.db", "non-empty"),
            (
                "matrix:\n  db: [a]\n  exclude: [{db: a}]\n",
                "matrix",
                "no combination",
            ),
            (
                "matrix:\n  db: [a]\n  include: [x]\n",
                "matrix.include",
                "mappings",
            ),
            (
                "matrix:\n  db: [a]\nfail_fast: maybe\n",
                "fail_fast",
                "true or false",
            ),
        ] {
            let e = matrix(yaml).unwrap_err().to_string();
            assert!(e.contains(at) && e.contains(phrase), "{yaml}: {e}");
        }
    }
}
