#!/usr/bin/env python3
"""Runs the script part of each CI recipe here, as the CI system would, and checks what
a user of it would see: the GitHub Action (action.yml), the GitLab CI template
(contrib/ci/gitlab-ci.yml) and the shell recipe (install.sh, then run-job.sh), on the
demo job. Rootful, and rootless as the test user through runuser: no login session,
as on most CI hosts.

  python3 contrib/ci/test_recipes.py SIDEPOD_BINARY [TEST_USER]

Steps that `uses:` another action (upload-artifact) are not run; the files they would
upload are checked instead.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FAILING_JOB = """container: {image: localhost/sidepod-test/busybox:latest}
steps:
  - name: Passes
    run: "true"
  - name: Fails
    run: exit 3
"""


def run(script, cwd, env, user):
    """SCRIPT in bash, in CWD, with ENV on top of a CI-like environment; as USER if given."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "CI": "true"}
    if user:
        base["HOME"] = f"/home/{user}"
        base["PATH"] = f"/home/{user}/.local/bin:/usr/local/bin:/usr/bin:/bin"
    base.update(env)
    argv = ["bash", "-euo", "pipefail", "-c", script]
    if user:
        argv = ["runuser", "-u", user, "--", "env", "-i"] + [f"{k}={v}" for k, v in base.items()] + argv
        base = None
    return subprocess.run(argv, cwd=cwd, env=base, text=True, capture_output=True).returncode


def workdir(user):
    d = Path(tempfile.mkdtemp(prefix="sidepod-recipe-"))
    shutil.copy(ROOT / "contrib/demo/sidepod.yaml", d / "sidepod.yaml")
    (d / "failing.yaml").write_text(FAILING_JOB)
    if user:
        shutil.chown(d, user)
        for f in d.iterdir():
            shutil.chown(f, user)
    return d


def expect(ok, what):
    if not ok:
        raise SystemExit(f"error: {what}")
    print(f"ok: {what}")


def reports(d, junit, logs, what):
    xml = (d / junit).read_text() if (d / junit).exists() else ""
    expect("<testcase" in xml, f"{what}: the JUnit report {junit} has the steps")
    expect((d / logs).is_dir() and any((d / logs).iterdir()),
           f"{what}: {logs}/ holds the containers' logs")


def github_action(binary, user):
    """action.yml's steps, with ${{ inputs.* }} and ${{ github.action_path }} filled in."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    defaults = {k: v.get("default", "") for k, v in action["inputs"].items()}
    mode = f"rootless as {user}" if user else "rootful"
    for job_file, want in [("sidepod.yaml", 0), ("failing.yaml", None)]:
        d = workdir(user)
        inputs = dict(defaults, file=job_file)
        output = d / "github-output"
        output.touch()
        if user:
            shutil.chown(output, user)
        code = 0
        for step in action["runs"]["steps"]:
            if "uses" in step:
                # upload-artifact: its paths must be the files the job wrote.
                paths = step["with"]["path"]
                expect("${{ inputs.junit }}" in paths and "${{ inputs.logs-dir }}" in paths,
                       "action.yml uploads the JUnit report and the logs")
                continue

            def fill(text):
                text = text.replace("${{ github.action_path }}", str(ROOT))
                return re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: inputs[m.group(1)], text)

            env = {k: fill(str(v)) for k, v in step.get("env", {}).items()}
            env.update(GITHUB_ACTION_PATH=str(ROOT), GITHUB_OUTPUT=str(output),
                       GITHUB_ACTIONS="true", SIDEPOD_BIN=binary,
                       SIDEPOD_PREFIX=str(d / "prefix"))
            code = run(fill(step["run"]), d, env, user)
            if code != 0:
                break
        said = output.read_text()
        if want == 0:
            expect(code == 0 and "exit-code=0" in said, f"GitHub Action, {mode}: the demo job passes")
            reports(d, inputs["junit"], inputs["logs-dir"], f"GitHub Action, {mode}")
        else:
            expect(code != 0 and re.search(r"exit-code=[1-9]", said),
                   f"GitHub Action, {mode}: a failing step fails the action, with its exit code as output")
        shutil.rmtree(d, ignore_errors=True)


def gitlab_template(binary, user):
    template = yaml.safe_load((ROOT / "contrib/ci/gitlab-ci.yml").read_text())[".sidepod"]
    mode = f"rootless as {user}" if user else "rootful"
    d = workdir(user)
    prefix = d / "prefix" / "bin"
    prefix.mkdir(parents=True)
    shutil.copy(binary, prefix / "sidepod")
    env = dict(template["variables"], SIDEPOD_FILE="sidepod.yaml", GITLAB_CI="true",
               CI_PROJECT_DIR=str(d))
    if user:
        shutil.chown(d / "prefix", user)
    script = f'export PATH="{prefix}:$PATH"\n' + "\n".join(template["script"])
    code = run(script, d, env, user)
    expect(code == 0, f"GitLab template, {mode}: the demo job passes")
    artifacts = template["artifacts"]
    expect(artifacts["when"] == "always" and artifacts["reports"]["junit"] == "sidepod-junit.xml",
           "the GitLab template keeps the JUnit report, also when the job fails")
    reports(d, "sidepod-junit.xml", "sidepod-logs", f"GitLab template, {mode}")
    shutil.rmtree(d, ignore_errors=True)


def shell_recipe(binary, user):
    """The README's shell recipe: install.sh, then run-job.sh, from a clean directory."""
    mode = f"rootless as {user}" if user else "rootful"
    d = workdir(user)
    script = (f'SIDEPOD_BIN="{binary}" SIDEPOD_PREFIX="{d}/prefix" "{ROOT}/contrib/ci/install.sh"\n'
              f'export PATH="{d}/prefix/bin:$PATH"\n'
              f'SIDEPOD_JUNIT=report.xml SIDEPOD_LOGS_DIR=logs "{ROOT}/contrib/ci/run-job.sh"\n')
    expect(run(script, d, {}, user) == 0, f"shell recipe, {mode}: the demo job passes")
    reports(d, "report.xml", "logs", f"shell recipe, {mode}")
    shutil.rmtree(d, ignore_errors=True)


def main():
    binary = str(Path(sys.argv[1]).resolve())
    users = [None] + sys.argv[2:3]
    for user in users:
        github_action(binary, user)
        gitlab_template(binary, user)
        shell_recipe(binary, user)


if __name__ == "__main__":
    main()
