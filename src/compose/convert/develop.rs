//! `develop.watch`: each rule's path made absolute, its action and the keys that action
//! needs checked.

use super::service::hook;
use super::*;

pub fn watch_rules(
    develop: Option<&RawDevelop>,
    at: &str,
    ctx: &Context,
) -> Result<Vec<WatchRule>, LoadError> {
    let rules = develop.and_then(|d| d.watch.as_deref()).unwrap_or_default();
    let mut out = Vec::new();
    for (i, raw) in rules.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let Some(path) = raw.path.as_deref().filter(|p| !p.is_empty()) else {
            return Err(ctx.err(&at, "a watch rule needs a `path` to watch"));
        };
        let Some(name) = raw.action.as_deref() else {
            return Err(ctx.err(&at, "a watch rule needs an `action`"));
        };
        let Some(action) = WatchAction::parse(name) else {
            return Err(ctx.err(
                &format!("{at}.action"),
                format!(
                    "unknown action {name:?}: use sync, sync+restart, sync+exec, restart \
                     or rebuild"
                ),
            ));
        };
        let target = raw.target.clone().filter(|t| !t.is_empty());
        match &target {
            None if action.syncs() => {
                return Err(ctx.err(
                    &at,
                    format!("action {name} copies files into the container: give a `target`"),
                ))
            }
            Some(t) if action.syncs() && !t.starts_with('/') => {
                return Err(ctx.err(
                    &format!("{at}.target"),
                    format!("{t:?} is not an absolute path in the container"),
                ))
            }
            _ => {}
        }
        let exec = match (&raw.exec, action) {
            (Some(h), WatchAction::SyncExec) => Some(hook(h, &format!("{at}.exec"), false, ctx)?),
            (None, WatchAction::SyncExec) => {
                return Err(ctx.err(&at, "action sync+exec needs an `exec` command to run"))
            }
            (Some(_), _) => {
                return Err(ctx.err(
                    &format!("{at}.exec"),
                    format!("only action sync+exec runs a command; this rule's is {name}"),
                ))
            }
            (None, _) => None,
        };
        let patterns = |v: &Option<OneOrMany<String>>| v.as_ref().map(OneOrMany::to_vec);
        let mut rule = WatchRule::new(ctx.host_path(path), action, target.as_deref());
        rule.ignore = patterns(&raw.ignore).unwrap_or_default();
        rule.include = patterns(&raw.include).unwrap_or_default();
        rule.initial_sync = flag(raw.initial_sync);
        rule.exec = exec;
        out.push(rule);
    }
    Ok(out)
}
