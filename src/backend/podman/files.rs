//! Files podman mounts that sidepod writes itself: a secret's or config's `content:` or
//! `environment:` value. Each is written once, by its fingerprint, read-only, in a
//! directory only this user can enter.

use std::borrow::Cow;
use std::path::PathBuf;

use crate::backend::{BackendError, ContainerSpec, MountSpec};

/// `spec` with every `Content` mount turned into a read-only bind mount of a file that
/// holds the text. In a dry run the files are named but not written.
pub fn materialize(
    spec: &ContainerSpec,
    dry_run: bool,
) -> Result<Cow<'_, ContainerSpec>, BackendError> {
    if !spec
        .mounts
        .iter()
        .any(|m| matches!(m, MountSpec::Content { .. }))
    {
        return Ok(Cow::Borrowed(spec));
    }
    let mut spec = spec.clone();
    for mount in &mut spec.mounts {
        let MountSpec::Content { text, target, mode } = mount else {
            continue;
        };
        let file = text_file(text, mode.unwrap_or(0o444), dry_run)?;
        *mount = MountSpec::Volume {
            source: file.display().to_string(),
            target: target.clone(),
            options: vec!["ro".into()],
        };
    }
    Ok(Cow::Owned(spec))
}

/// The file that holds `text` (written unless this is a dry run): a secret's content,
/// an inline Dockerfile.
pub fn text_file(text: &str, mode: u32, dry_run: bool) -> Result<PathBuf, BackendError> {
    let dir = content_dir();
    let name = format!("{}-{mode:o}", crate::model::fingerprint(text.as_bytes()));
    let file = dir.join(name);
    if !dry_run && !file.is_file() {
        write(&dir, &file, text, mode).map_err(|source| BackendError::Spawn {
            program: format!("writing {}", file.display()),
            source,
        })?;
    }
    Ok(file)
}

/// A containers-auth.json file with one login, readable by this user only, for one
/// pull; the caller removes it.
pub fn auth_file(
    image: &str,
    auth: &crate::model::RegistryAuth,
    dry_run: bool,
) -> Result<PathBuf, BackendError> {
    let registry = crate::model::RegistryAuth::registry_of(image);
    let token = auth.token();
    let text = serde_json::json!({ "auths": { registry: { "auth": token } } }).to_string();
    let dir = content_dir();
    let file = dir.join(format!(
        "auth-{}-{}.json",
        std::process::id(),
        crate::model::fingerprint(image.as_bytes())
    ));
    if !dry_run {
        write(&dir, &file, &text, 0o600).map_err(|source| BackendError::Spawn {
            program: format!("writing {}", file.display()),
            source,
        })?;
    }
    Ok(file)
}

/// `$XDG_RUNTIME_DIR/sidepod/files`, else a directory of this user's under the
/// temporary directory.
fn content_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("sidepod/files"),
        None => std::env::temp_dir().join(format!(
            "sidepod-{}/files",
            // SAFETY: getuid has no preconditions and cannot fail.
            unsafe { libc::getuid() }
        )),
    }
}

fn write(
    dir: &std::path::Path,
    file: &std::path::Path,
    text: &str,
    mode: u32,
) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    // Written beside, then renamed: a reader never sees half a file.
    let partial = file.with_extension(format!("part-{}", std::process::id()));
    std::fs::write(&partial, text)?;
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&partial, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_written_for_its_registry_readable_by_this_user_only() {
        let auth = crate::model::RegistryAuth {
            username: "tester".into(),
            password: "s3cret".into(),
        };
        let file = auth_file("127.0.0.1:5099/private/app:1", &auth, false).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            r#"{"auths":{"127.0.0.1:5099":{"auth":"dGVzdGVyOnMzY3JldA=="}}}"#
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_file(file).unwrap();
        assert_eq!(
            crate::model::RegistryAuth::registry_of("postgres:16"),
            "docker.io"
        );
        assert_eq!(
            crate::model::RegistryAuth::registry_of("ghcr.io/org/app:1"),
            "ghcr.io"
        );
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[test]
    fn content_becomes_a_read_only_file_with_that_text() {
        let spec = ContainerSpec {
            mounts: vec![MountSpec::Content {
                text: "s3cret-value\n".into(),
                target: "/run/secrets/token".into(),
                mode: None,
            }],
            ..ContainerSpec::default()
        };
        let done = materialize(&spec, false).unwrap();
        let owner_only = ContainerSpec {
            mounts: vec![MountSpec::Content {
                text: "s3cret-value\n".into(),
                target: "/run/secrets/token".into(),
                mode: Some(0o400),
            }],
            ..ContainerSpec::default()
        };
        let MountSpec::Volume {
            source: private, ..
        } = &materialize(&owner_only, false).unwrap().mounts[0]
        else {
            panic!()
        };
        let mode = |p: &str| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode(private), 0o400);
        let MountSpec::Volume {
            source,
            target,
            options,
        } = &done.mounts[0]
        else {
            panic!("{:?}", done.mounts)
        };
        assert_eq!(target, "/run/secrets/token");
        assert_eq!(options, &["ro"]);
        assert_eq!(std::fs::read_to_string(source).unwrap(), "s3cret-value\n");
        assert_eq!(mode(source), 0o444);
    }
}
