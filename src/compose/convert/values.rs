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

/// `build:`, every key mapped to what `podman build` takes; `at` is its key path.
pub(super) fn convert_build(b: RawBuildSpec, at: &str, ctx: &Context) -> Result<Build, LoadError> {
    let b = match b {
        RawBuildSpec::Context(c) => RawBuild {
            context: Some(c),
            ..RawBuild::default()
        },
        RawBuildSpec::Full(b) => *b,
    };
    let context = b.context.clone().unwrap_or_else(|| ".".to_string());
    let context = if is_remote_context(&context) {
        PathBuf::from(context)
    } else {
        ctx.host_path(&context)
    };
    if b.dockerfile.is_some() && b.dockerfile_inline.is_some() {
        return Err(ctx.err(
            &format!("{at}.dockerfile_inline"),
            "give `dockerfile` or `dockerfile_inline`, not both",
        ));
    }
    let shm_size = b
        .shm_size
        .as_ref()
        .map(|s| parse_bytes(&s.0).map_err(|m| ctx.err(&format!("{at}.shm_size"), m)))
        .transpose()?;
    let additional_contexts = list_or_map(b.additional_contexts.clone())
        .into_iter()
        .map(|(k, v)| {
            let v = v.unwrap_or_default();
            // A relative path is the Compose file's; images and URLs stay as written.
            let local = v.starts_with('.') || v.starts_with('/') || v.starts_with('~');
            let v = if local {
                ctx.host_path(&v).to_string_lossy().to_string()
            } else {
                v
            };
            (k, v)
        })
        .collect();
    let unapplied: BTreeMap<String, serde_json::Value> = [
        (
            "entitlements",
            b.entitlements.as_ref().map(|v| serde_json::json!(v)),
        ),
        ("privileged", b.privileged.map(|f| serde_json::json!(f.0))),
        (
            "isolation",
            b.isolation.as_ref().map(|v| serde_json::json!(v)),
        ),
        (
            "provenance",
            b.provenance
                .as_ref()
                .and_then(|v| serde_json::to_value(v).ok()),
        ),
        (
            "sbom",
            b.sbom.as_ref().and_then(|v| serde_json::to_value(v).ok()),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), v?)))
    .collect();
    Ok(Build {
        context,
        dockerfile: b.dockerfile,
        dockerfile_inline: b.dockerfile_inline,
        args: list_or_map(b.args),
        target: b.target,
        labels: labels(b.labels),
        platforms: b.platforms.unwrap_or_default(),
        secrets: file_refs(b.secrets, "build secrets", &format!("{at}.secrets"), ctx)?,
        ssh: list_or_map(b.ssh),
        additional_contexts,
        tags: b.tags.unwrap_or_default(),
        cache_from: b.cache_from.unwrap_or_default(),
        cache_to: b.cache_to.unwrap_or_default(),
        no_cache: flag(b.no_cache),
        pull: flag(b.pull),
        network: b.network,
        extra_hosts: extra_hosts(b.extra_hosts, &format!("{at}.extra_hosts"), ctx)?,
        shm_size,
        ulimits: super::service::ulimits(b.ulimits, &format!("{at}.ulimits"), ctx)?,
        unapplied,
    })
}

pub(super) fn pull_policy(p: &str) -> Result<PullPolicy, String> {
    match p {
        "always" => Ok(PullPolicy::Always),
        "missing" | "if_not_present" => Ok(PullPolicy::Missing),
        "never" => Ok(PullPolicy::Never),
        "build" => Ok(PullPolicy::Build),
        "daily" => Ok(PullPolicy::Refresh(std::time::Duration::from_secs(
            24 * 3600,
        ))),
        "weekly" => Ok(PullPolicy::Refresh(std::time::Duration::from_secs(
            7 * 24 * 3600,
        ))),
        other => match other.strip_prefix("every_") {
            Some(d) => parse_duration(d)
                .map(PullPolicy::Refresh)
                .map_err(|m| format!("pull_policy {other:?}: {m}")),
            None => Err(format!(
                "unknown pull_policy {other:?}; use always, missing, never, build, daily, \
                 weekly or every_<duration>"
            )),
        },
    }
}
