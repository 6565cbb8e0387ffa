#!/usr/bin/env python3
"""A job's own cost and how soon a healthcheck's pass is seen, against raw podman, in one
run:

- job overhead on the ci-job scenario (PostgreSQL and Redis sidecars, three steps): the
  wall time of `sidepod job`, minus its readiness (from the first sidecar's `Started`
  to the last sidecar's `ready`, events of `--progress json` timed as they arrive),
  minus the steps' own seconds. Beside it, the same for a raw podman script doing the
  same work (pod, sidecars, `podman healthcheck run` every 0.1 s, the steps with
  `podman exec`, `pod rm --force`). Target: sidepod's overhead at most 1.0 s.
- readiness detection: a sidecar's healthcheck starts passing a known time X after the
  container starts (a file it tests appears then), for several X; the delay until
  sidepod reports it healthy, and the probes it ran (the check counts itself). Target:
  a median of at most 0.3 s, with no more probes per second than a fixed 250 ms
  interval (4 a second), the interval that gave 0.3 s before probes backed off.

Exit status 1 when a target is missed.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OVERHEAD_TARGET = 1.0
DETECT_TARGET = 0.3
PROBES_PER_SECOND = 4
AFTER = [0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8]


def run_job(binary, work, project, args):
    """Runs `sidepod job`; the wall time and each event with its arrival time."""
    start = time.time()
    proc = subprocess.Popen([binary, "-p", project, "-f", "sidepod.yaml", "job",
                             "--progress", "json", *args], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    events = []
    for line in proc.stderr:
        try:
            events.append((time.time(), json.loads(line)))
        except json.JSONDecodeError:
            pass
    proc.wait()
    wall = time.time() - start
    if proc.returncode != 0:
        sys.exit(f"bench: sidepod job failed with {proc.returncode}")
    return wall, events


def sidepod_overhead(binary, scenario, project):
    work = tempfile.mkdtemp(prefix="sidepod-bench-job-")
    os.chmod(work, 0o755)
    try:
        shutil.copy(os.path.join(scenario, "sidepod.yaml"), work)
        wall, events = run_job(binary, work, project, [])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    started = [t for t, e in events if e.get("type") == "container"
               and e.get("status") == "Started" and not e["name"].endswith("-main-1")]
    ready = [t for t, e in events if e.get("type") == "sidecar" and e.get("status") == "ready"]
    steps = sum(e.get("seconds", 0) for _, e in events
                if e.get("type") == "step" and e.get("status") != "started")
    readiness = max(ready) - min(started)
    return wall - readiness - steps, wall, readiness, steps


def podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)


def raw_overhead(binary, scenario, project):
    """The ci-job scenario by hand with podman, measured the same way (the job file read
    through `sidepod config`, before the clock starts)."""
    job = json.loads(subprocess.run([binary, "-f", "sidepod.yaml", "config", "--format", "json"],
                                    cwd=scenario, capture_output=True, text=True,
                                    check=True).stdout)
    pod = f"{project}-raw"
    start = time.time()
    podman("pod", "create", "--name", pod, "--add-host", "db:127.0.0.1",
           "--add-host", "cache:127.0.0.1")
    try:
        first = None
        for name, svc in job["services"].items():
            hc = svc["healthcheck"]["test"][1:]
            podman("run", "-d", "--pod", pod, "--name", f"{pod}-{name}",
                   "--health-cmd", json.dumps(hc), svc["image"], *svc["command"])
            first = first or time.time()
        waiting = set(job["services"])
        while waiting:
            for name in sorted(waiting):
                if podman("healthcheck", "run", f"{pod}-{name}", check=False).returncode == 0:
                    waiting.discard(name)
            if waiting:
                time.sleep(0.1)
        ready = time.time()
        env = [a for k, v in job["container"]["environment"].items() for a in ("-e", f"{k}={v}")]
        podman("run", "-d", "--pod", pod, "--name", f"{pod}-main", *env,
               job["container"]["image"], "sleep", "infinity")
        steps = 0.0
        for step in job["steps"]:
            t = time.time()
            podman("exec", f"{pod}-main", "sh", "-c", step["run"])
            steps += time.time() - t
    finally:
        podman("pod", "rm", "--force", "-t", "0", pod, check=False)
    wall = time.time() - start
    return wall - (ready - first) - steps, wall, ready - first, steps


def detection(binary, image, after, project):
    """Seconds from the check starting to pass until sidepod says healthy, and probes."""
    work = tempfile.mkdtemp(prefix="sidepod-bench-detect-")
    os.chmod(work, 0o755)
    job = (f"container:\n  image: {image}\nservices:\n  side:\n    image: {image}\n"
           f"    command: [sh, -c, 'sleep {after}; touch /tmp/ready; exec sleep 600']\n"
           f"    healthcheck:\n"
           f"      test: [CMD-SHELL, 'echo p >> /tmp/probes; test -f /tmp/ready']\n"
           f"      interval: 1s\n      retries: 30\n"
           f"steps:\n  - run: 'true'\n")
    with open(os.path.join(work, "sidepod.yaml"), "w") as f:
        f.write(job)
    container = f"{project}-side-1"
    try:
        _, events = run_job(binary, work, project, ["--keep"])
        healthy = [t for t, e in events if e.get("name") == container
                   and e.get("status") == "Healthy"]
        nanos = podman("container", "inspect", "--format", "{{.State.StartedAt.UnixNano}}",
                       container).stdout
        probes = podman("exec", container, "wc", "-l", "/tmp/probes").stdout.split()[0]
        if not healthy:
            sys.exit("bench: sidepod never reported the sidecar healthy")
        passing = int(nanos.strip()) / 1e9 + after
        return healthy[0] - passing, int(probes), healthy[0] - (passing - after)
    finally:
        subprocess.run([binary, "-p", project, "-f", "sidepod.yaml", "down", "-t", "0"],
                       cwd=work, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sidepod", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", default="../shared/scenarios/ci-job")
    parser.add_argument("--image", default="localhost/sidepod-test/busybox:latest")
    args = parser.parse_args()
    args.sidepod = os.path.abspath(args.sidepod)
    scenario = os.path.abspath(args.scenario)
    tag = os.getpid()
    mine, raw = [], []
    for r in range(args.rounds):
        mine.append(sidepod_overhead(args.sidepod, scenario, f"bjob{tag}s{r}"))
        raw.append(raw_overhead(args.sidepod, scenario, f"bjob{tag}r{r}"))
    detected = [detection(args.sidepod, args.image, x, f"bjob{tag}d{i}")
                for i, x in enumerate(AFTER)]

    mode = "rootless" if os.getuid() != 0 else "rootful"
    med = lambda rows, i: statistics.median(row[i] for row in rows)  # noqa: E731
    print(f"the ci-job scenario, {args.rounds} rounds, {mode}, medians in seconds")
    print(f"{'':<28}{'sidepod':>10}{'raw podman':>12}")
    for i, what in enumerate(["overhead", "wall time", "readiness", "steps"]):
        print(f"{what:<28}{med(mine, i):>10.2f}{med(raw, i):>12.2f}")
    delays = [d for d, _, _ in detected]
    rate = sum(p for _, p, _ in detected) / sum(t for _, _, t in detected)
    print(f"healthcheck passing after X s, {mode}: seconds until sidepod reports it healthy")
    print("  " + "  ".join(f"X={x}: {d:.2f} ({p} probes)" for x, (d, p, _) in
                           zip(AFTER, detected)))
    print(f"{'median detection':<28}{statistics.median(delays):>10.2f}")
    print(f"{'probes per second':<28}{rate:>10.2f}")
    failed = []
    if med(mine, 0) > OVERHEAD_TARGET:
        failed.append(f"job overhead {med(mine, 0):.2f} s > {OVERHEAD_TARGET}")
    if statistics.median(delays) > DETECT_TARGET:
        failed.append(f"median readiness detection {statistics.median(delays):.2f} s > "
                      f"{DETECT_TARGET}")
    if rate > PROBES_PER_SECOND:
        failed.append(f"{rate:.2f} probes a second > {PROBES_PER_SECOND}")
    for f in failed:
        print(f"bench: target missed: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
