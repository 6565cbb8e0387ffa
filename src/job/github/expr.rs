//! GitHub Actions expressions, as far as they mean something on one machine:
//! `${{ matrix.* }}`, `${{ env.* }}`, `${{ secrets.* }}`, `${{ vars.* }}`, the `github.*`
//! and `runner.*` values a local run has, and the `if:` conditions built from
//! `success()`, `failure()`, `always()`, `cancelled()`, `!`, `&&`, `||` and `==`/`!=`.

use std::collections::BTreeMap;

use crate::model::StepWhen;

/// What expressions read.
pub struct Contexts<'a> {
    /// `env.*`: the workflow's, the job's and the step's `env`, merged.
    pub env: &'a BTreeMap<String, String>,
    /// Variables of the environment sidepod runs in: `secrets.*`, `vars.*`, and the
    /// matrix combination (`MATRIX_<AXIS>`).
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
    /// `github.*` and `runner.*`.
    pub github: &'a BTreeMap<&'static str, String>,
}

/// Replaces every `${{ ... }}` in `text`. `secrets` collects the names of the secrets
/// read, whose values are masked.
pub fn substitute(text: &str, cx: &Contexts, secrets: &mut Vec<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("{:?} has no closing }}}}", &rest[start..]))?;
        out.push_str(&value(after[..end].trim(), cx, secrets)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The value of one expression: a context's property, or a quoted string.
fn value(expr: &str, cx: &Contexts, secrets: &mut Vec<String>) -> Result<String, String> {
    if let Some(s) = literal(expr) {
        return Ok(s);
    }
    let (context, name) = expr
        .split_once('.')
        .ok_or_else(|| format!("`{expr}` is not an expression sidepod can evaluate here"))?;
    let found = match context {
        "matrix" => Some(
            (cx.lookup)(&super::super::parts::matrix_variable(name)).ok_or_else(|| {
                format!("`{expr}`: the job has no matrix axis {name:?} (or none is chosen)")
            })?,
        ),
        "env" => cx.env.get(name).cloned(),
        "secrets" => {
            secrets.push(name.to_string());
            (cx.lookup)(name)
        }
        "vars" => (cx.lookup)(name),
        "github" | "runner" => cx.github.get(expr).cloned().or(Some(String::new())),
        "inputs" => Some(String::new()),
        other => {
            return Err(format!(
                "`{expr}`: the `{other}` context does not exist in a local run (sidepod \
                 evaluates matrix, env, secrets, vars, github and runner)"
            ))
        }
    };
    Ok(found.unwrap_or_default())
}

fn literal(expr: &str) -> Option<String> {
    let quoted = expr.len() >= 2 && expr.starts_with('\'') && expr.ends_with('\'');
    quoted.then(|| expr[1..expr.len() - 1].replace("''", "'"))
}

/// When a step with this `if:` runs. As in GitHub, a condition without a status
/// function means `success() && (condition)`.
pub fn condition(text: &str, cx: &Contexts, secrets: &mut Vec<String>) -> Result<StepWhen, String> {
    let expr = text.trim();
    let expr = expr
        .strip_prefix("${{")
        .and_then(|e| e.strip_suffix("}}"))
        .unwrap_or(expr)
        .trim();
    let status = ["success()", "failure()", "always()", "cancelled()"]
        .iter()
        .any(|f| expr.contains(f));
    let mut eval = |failed: bool| -> Result<bool, String> {
        let held = or(expr, failed, cx, secrets)?;
        Ok(if status { held } else { held && !failed })
    };
    Ok(match (eval(false)?, eval(true)?) {
        (true, true) => StepWhen::Always,
        (true, false) => StepWhen::OnSuccess,
        (false, true) => StepWhen::OnFailure,
        (false, false) => StepWhen::Never,
    })
}

fn or(expr: &str, failed: bool, cx: &Contexts, s: &mut Vec<String>) -> Result<bool, String> {
    let mut any = false;
    for part in expr.split("||") {
        let mut all = true;
        for atom in part.split("&&") {
            all &= atom_holds(atom.trim(), failed, cx, s)?;
        }
        any |= all;
    }
    Ok(any)
}

fn atom_holds(
    atom: &str,
    failed: bool,
    cx: &Contexts,
    s: &mut Vec<String>,
) -> Result<bool, String> {
    if let Some(inner) = atom.strip_prefix('!') {
        return atom_holds(inner.trim(), failed, cx, s).map(|b| !b);
    }
    let atom = atom
        .strip_prefix('(')
        .and_then(|a| a.strip_suffix(')'))
        .map(str::trim)
        .unwrap_or(atom);
    match atom {
        "success()" => return Ok(!failed),
        "failure()" => return Ok(failed),
        "always()" => return Ok(true),
        // A local run is never cancelled from the outside: a stop request ends it.
        "cancelled()" => return Ok(false),
        "true" => return Ok(true),
        "false" => return Ok(false),
        _ => {}
    }
    for (op, equal) in [("!=", false), ("==", true)] {
        if let Some((a, b)) = atom.split_once(op) {
            let (a, b) = (value(a.trim(), cx, s)?, value(b.trim(), cx, s)?);
            // GitHub compares strings without regard to case.
            return Ok(a.eq_ignore_ascii_case(&b) == equal);
        }
    }
    let v = value(atom, cx, s)?;
    Ok(!v.is_empty() && v != "false" && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<T>(f: impl FnOnce(&Contexts) -> T) -> T {
        let env: BTreeMap<String, String> = [("MODE".to_string(), "ci".to_string())].into();
        let lookup = |k: &str| match k {
            "MATRIX_NODE" => Some("20".to_string()),
            "TOKEN" => Some("s3cret".to_string()),
            _ => None,
        };
        let github: BTreeMap<&'static str, String> =
            [("github.workspace", "/workspace".to_string())].into();
        f(&Contexts {
            env: &env,
            lookup: &lookup,
            github: &github,
        })
    }

    #[test]
    fn expressions_read_the_local_contexts() {
        with(|cx| {
            let mut secrets = Vec::new();
            let text = "node ${{ matrix.node }} in ${{github.workspace}}, ${{ env.MODE }}, \
                        ${{ secrets.TOKEN }}, ${{ env.UNSET }}.";
            assert_eq!(
                substitute(text, cx, &mut secrets).unwrap(),
                "node 20 in /workspace, ci, s3cret, ."
            );
            assert_eq!(secrets, ["TOKEN"]);
            let err = substitute("${{ steps.build.outputs.x }}", cx, &mut secrets).unwrap_err();
            assert!(err.contains("`steps` context does not exist"), "{err}");
            let err = substitute("${{ matrix.os }}", cx, &mut secrets).unwrap_err();
            assert!(err.contains("no matrix axis \"os\""), "{err}");
            assert!(substitute("${{ env.MODE", cx, &mut secrets).is_err());
        });
    }

    #[test]
    fn conditions_say_when_a_step_runs() {
        with(|cx| {
            let mut s = Vec::new();
            let when = |c: &str, s: &mut Vec<String>| condition(c, cx, s).unwrap();
            assert_eq!(when("always()", &mut s), StepWhen::Always);
            assert_eq!(when("${{ failure() }}", &mut s), StepWhen::OnFailure);
            assert_eq!(when("success()", &mut s), StepWhen::OnSuccess);
            assert_eq!(when("env.MODE == 'CI'", &mut s), StepWhen::OnSuccess);
            assert_eq!(when("env.MODE != 'ci'", &mut s), StepWhen::Never);
            assert_eq!(
                when("failure() && matrix.node == '20'", &mut s),
                StepWhen::OnFailure
            );
            assert_eq!(when("!cancelled()", &mut s), StepWhen::Always);
            assert_eq!(when("false", &mut s), StepWhen::Never);
            assert_eq!(when("success() || failure()", &mut s), StepWhen::Always);
        });
    }
}
