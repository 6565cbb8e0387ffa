#!/usr/bin/env python3
"""Validates what `sidepod generate kube` prints for every scenario, Compose fixture and
CI-format fixture: against the Kubernetes OpenAPI schemas of two versions, strictly
(kubernetes-validate, offline), and for what the schemas do not check: every object,
container, volume and claim name a DNS-1123 label, every label value valid, and no
secret value anywhere in the YAML. Exit status 1 when anything fails.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

import kubernetes_validate
import yaml

VERSIONS = ["1.33.0", "1.37.0"]
SECRET = "sidepod-validate-s3cret"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


def targets(root, shared):
    """(what, sidepod arguments, whether it is a job) for each thing to generate from."""
    found = []
    for d in sorted(glob.glob(os.path.join(shared, "scenarios", "*", ""))):
        for name in ["compose.yaml", "sidepod.yaml"]:
            f = os.path.join(d, name)
            if os.path.exists(f):
                found.append((f, ["-f", f], name == "sidepod.yaml"))
    for d in sorted(glob.glob(os.path.join(root, "tests/fixtures/corpus/*/"))):
        found.append((d, ["--project-directory", d], False))
    found.append(("kitchen-sink", ["--project-directory",
                                   os.path.join(root, "tests/fixtures/kitchen-sink")], False))
    for d in sorted(glob.glob(os.path.join(root, "tests/fixtures/kube-snapshots/*/"))):
        for name in ["compose.yaml", "sidepod.yaml"]:
            f = os.path.join(d, name)
            if os.path.exists(f):
                found.append((os.path.relpath(f, root), ["-f", f], name == "sidepod.yaml"))
    ci = os.path.join(root, "tests/fixtures/kube")
    # The CI files sit in hidden places (.github/workflows, .gitlab-ci.yml), which
    # glob skips.
    for d, _, files in sorted(os.walk(ci)):
        for name in sorted(files):
            f = os.path.join(d, name)
            found.append((os.path.relpath(f, root), ["-f", f], True))
    return found


def names(doc):
    """Every name in `doc` that must be a DNS-1123 label, with where it is."""
    out = [("metadata.name", doc["metadata"]["name"])]
    spec = doc.get("spec", {})
    if doc["kind"] == "Job":
        spec = spec["template"]["spec"]
    if doc["kind"] in ("Pod", "Job"):
        for key in ["containers", "initContainers"]:
            for c in spec.get(key) or []:
                out.append((f"{key}.name", c["name"]))
                for e in c.get("env") or []:
                    ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                    if ref:
                        out.append(("secretKeyRef.name", ref["name"]))
        for v in spec.get("volumes") or []:
            out.append(("volumes.name", v["name"]))
            claim = v.get("persistentVolumeClaim")
            if claim:
                out.append(("claimName", claim["claimName"]))
    return out


def job_problems(doc):
    """What a Job must be: no retries, a pod that never restarts, and native sidecars
    (init containers restarted always) before the main container's steps."""
    problems = []
    if doc["spec"].get("backoffLimit") != 0:
        problems.append("Job backoffLimit is not 0")
    spec = doc["spec"]["template"]["spec"]
    if spec.get("restartPolicy") != "Never":
        problems.append("the Job's pod restarts")
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    if not sidecars:
        problems.append("the Job has no native sidecars")
    if len(spec["containers"]) != 1:
        problems.append("the Job's pod has more than the main container")
    return problems


def check(what, text, kind):
    problems = []
    if SECRET in text:
        problems.append("a secret value is written in the YAML")
    docs = [d for d in yaml.safe_load_all(text) if d]
    if not any(d.get("kind") == kind for d in docs):
        problems.append(f"no {kind}")
    for doc in docs:
        kind = doc.get("kind")
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                where = ".".join(str(p) for p in e.path)
                problems.append(f"{kind} against {version}: {where}: {e.message}")
        for where, name in names(doc):
            if not DNS_LABEL.match(str(name)):
                problems.append(f"{kind} {where} {name!r} is not a DNS-1123 label")
        if kind == "Job":
            problems += job_problems(doc)
        for key, value in (doc["metadata"].get("labels") or {}).items():
            if not isinstance(value, str) or not LABEL_VALUE.match(value):
                problems.append(f"{kind} label {key}={value!r} is not a valid label value")
    for p in problems:
        print(f"FAIL {what}: {p}")
    return not problems, len(docs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sidepod", required=True)
    parser.add_argument("--shared", default="../shared")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # The CI fixtures' secrets come from the environment, as under `sidepod job`.
    env = dict(os.environ, DB_PASSWORD=SECRET)
    ok = True
    checked = 0
    for what, argv, is_job in targets(root, args.shared):
        # Both forms: for a cluster, and for podman's kube play (a job as a Pod there);
        # a job also with each kind of workspace.
        forms = [(["--for", "kubernetes"], "Job" if is_job else "Pod"),
                 (["--for", "podman"], "Pod")]
        if is_job:
            forms += [(["--workspace", "pvc:ci-workspace"], "Job"),
                      (["--workspace", "git:https://example.com/app.git#main"], "Job")]
        for flags, kind in forms:
            run = subprocess.run([args.sidepod, *argv, "generate", "kube", *flags], env=env,
                                 capture_output=True, text=True)
            label = f"{what} ({' '.join(flags)})"
            if run.returncode != 0:
                print(f"FAIL {label}: generate kube exited {run.returncode}: "
                      f"{run.stderr.strip()}")
                ok = False
                continue
            passed, docs = check(label, run.stdout, kind)
            ok = ok and passed
            checked += 1
            if passed:
                print(f"ok   {label}: {docs} objects valid for Kubernetes "
                      f"{', '.join(VERSIONS)}")
    if checked < 10:
        print(f"FAIL: only {checked} inputs were checked")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
