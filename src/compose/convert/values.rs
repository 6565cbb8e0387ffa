//! Small value conversions shared by the others: labels, maps, flags, numbers, commands, environment, build and pull policy.

use super::*;

pub(super) fn scalar_map(m: Option<IndexMap<String, Scalar>>) -> BTreeMap<String, String> {
    m.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect()
}

pub(super) fn labels(l: Option<ListOrMap>) -> BTreeMap<String, String> {
    list_or_map(l)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

pub(super) fn list_or_map(l: Option<ListOrMap>) -> BTreeMap<String, Option<String>> {
    match l {
        None => BTreeMap::new(),
        Some(ListOrMap::Map(m)) => m.into_iter().collect(),
        Some(ListOrMap::List(items)) => items
            .into_iter()
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (item, None),
            })
            .collect(),
    }
}

pub(super) fn flag(f: Option<Flag>) -> bool {
    f.is_some_and(|f| f.0)
}

pub(super) fn whole<T: TryFrom<i64>>(n: Number) -> Result<T, String> {
    if n.0.fract() != 0.0 || !n.0.is_finite() {
        return Err(format!("expected a whole number, found {}", n.0));
    }
    // `as` would quietly saturate: 1e23 must not become i64::MAX.
    let limit = 2f64.powi(63);
    if n.0 >= limit || n.0 < -limit {
        return Err(format!("{} is out of range", n.0));
    }
    T::try_from(n.0 as i64).map_err(|_| format!("{} is out of range", n.0))
}

pub(super) fn command(c: Command, path: &str, ctx: &Context) -> Result<Vec<String>, LoadError> {
    match c {
        Command::Exec(v) => Ok(v),
        Command::Shell(s) => shell_words::split(&s)
            .map_err(|e| ctx.err(path, format!("cannot split {s:?} into words: {e}"))),
    }
}

pub(super) fn environment(
    name: &str,
    raw: &RawService,
    ctx: &Context,
) -> Result<BTreeMap<String, Option<String>>, LoadError> {
    let mut env = BTreeMap::new();
    let entries = raw
        .env_file
        .as_ref()
        .map(OneOrMany::to_vec)
        .unwrap_or_default();
    for (i, entry) in entries.into_iter().enumerate() {
        let (path, required) = match entry {
            EnvFileEntry::Path(p) => (p, true),
            EnvFileEntry::Full(f) => (f.path, f.required.is_none_or(|r| r.0)),
        };
        let full = ctx.host_path(&path);
        if !required && !full.exists() {
            continue;
        }
        let text = super::super::limits::read_file(&full).map_err(|e| {
            ctx.err(
                &format!("services.{name}.env_file[{i}]"),
                format!("cannot read env file {}: {}", full.display(), e.detail()),
            )
        })?;
        let vars =
            parse_env_file(&text, ctx.lookup).map_err(|(line, message)| LoadError::EnvFile {
                path: full.clone(),
                line,
                message,
            })?;
        env.extend(vars);
    }
    for (k, v) in list_or_map(raw.environment.clone()) {
        if k.is_empty() {
            return Err(ctx.err(
                &format!("services.{name}.environment"),
                "a variable has an empty name",
            ));
        }
        env.insert(k, v);
    }
    // A name without a value takes its value from the environment, if it has one.
    for (k, v) in env.iter_mut() {
        if v.is_none() {
            *v = (ctx.lookup)(k);
        }
    }
    Ok(env)
}

pub(super) fn convert_build(b: RawBuildSpec, ctx: &Context) -> Result<Build, LoadError> {
    let b = match b {
        RawBuildSpec::Context(c) => RawBuild {
            context: Some(c),
            ..RawBuild::default()
        },
        RawBuildSpec::Full(b) => b,
    };
    let context = b.context.unwrap_or_else(|| ".".to_string());
    Ok(Build {
        context: ctx.host_path(&context),
        dockerfile: b.dockerfile,
        args: list_or_map(b.args),
        target: b.target,
        labels: labels(b.labels),
    })
}

pub(super) fn pull_policy(p: &str) -> Result<PullPolicy, String> {
    match p {
        "always" => Ok(PullPolicy::Always),
        "missing" | "if_not_present" => Ok(PullPolicy::Missing),
        "never" => Ok(PullPolicy::Never),
        "build" => Ok(PullPolicy::Build),
        other => Err(format!(
            "unknown pull_policy {other:?}; use always, missing, never or build"
        )),
    }
}
