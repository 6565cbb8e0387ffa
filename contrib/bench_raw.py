#!/usr/bin/env python3
"""sidepod against raw podman scripts, side by side in one run: how close to the floor.

For N plain services in one pod, each round times, in alternating order:
  - `sidepod up -d`, then `sidepod down`;
  - a raw script: `podman pod create` and `pod start`, then every `podman run -d` through
    `xargs -P P`, for P = 0 (all at once) and each capped P given; then `podman pod rm
    --force`, the floor for `down`.
Then it checks the targets (medians): sidepod's `up -d` at most RATIO_UNCAPPED times the
uncapped script and at most RATIO_CAPPED times the best capped one; its `down` at most
RATIO_DOWN times `pod rm`. Exit status 1 when one is missed.

Usage: bench_raw.py --sidepod PATH [--services N ...] [--rounds R] [--caps 2,3,4]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RATIO_UNCAPPED = 0.6
RATIO_CAPPED = 1.05
RATIO_DOWN = 1.05


def timed(argv, cwd, shell=False):
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, shell=shell, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench: {argv} failed ({done.returncode}):\n{done.stderr}")
    return time.monotonic() - started


def running(project):
    out = subprocess.run(
        ["podman", "ps", "--filter", f"pod={project}", "--format", "{{.Names}}"],
        capture_output=True, text=True,
    ).stdout
    return [n for n in out.split() if not n.endswith("-infra")]


def raw_up(project, services, image, cap):
    runs = (
        f"seq 0 {services - 1} | xargs -P {cap} -I{{}} podman run -d --pod {project} "
        f"--name {project}-svc{{}}-1 --init {image} sleep 600 >/dev/null"
    )
    return f"podman pod create --name {project} >/dev/null && podman pod start {project} >/dev/null && {runs}"


def one_size(args, services, work):
    lines = ["services:"]
    for i in range(services):
        lines += [f"  svc{i}:", f"    image: {args.image}", "    init: true",
                  "    command: [\"sleep\", \"600\"]"]
    with open(os.path.join(work, "compose.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    variants = ["sidepod"] + [f"raw -P {c}" for c in [0] + args.caps]
    up = {v: [] for v in variants}
    down = {"sidepod": [], "raw pod rm": []}
    for r in range(args.rounds):
        order = variants if r % 2 == 0 else list(reversed(variants))
        for v in order:
            project = f"bench{os.getpid()}r{r}{v.replace(' ', '').replace('-', '')}"
            if v == "sidepod":
                base = [args.sidepod, "-p", project]
                up[v].append(timed(base + ["up", "-d"], work))
                ok = len(running(project)) == services
                down[v].append(timed(base + ["down"], work))
            else:
                cap = int(v.split()[-1])
                up[v].append(timed(raw_up(project, services, args.image, cap), work, shell=True))
                ok = len(running(project)) == services
                down["raw pod rm"].append(timed(["podman", "pod", "rm", "--force", project], work))
            if not ok:
                sys.exit(f"bench: {v}: not every one of the {services} services ran")
    return ({v: statistics.median(t) for v, t in up.items()},
            {v: statistics.median(t) for v, t in down.items()})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sidepod", required=True)
    parser.add_argument("--services", type=int, nargs="+", default=[8, 50])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--caps", type=lambda s: [int(c) for c in s.split(",")], default=[2, 3, 4])
    parser.add_argument("--image", default="localhost/sidepod-test/busybox:latest")
    args = parser.parse_args()
    mode = "rootless" if os.getuid() != 0 else "rootful"
    work = tempfile.mkdtemp(prefix="sidepod-bench-raw-")
    targets = []
    try:
        for n in args.services:
            up, down = one_size(args, n, work)
            print(f"{n} services, {args.rounds} rounds, {mode}: median seconds")
            for v, t in list(up.items()) + [("sidepod down", down["sidepod"]),
                                            ("raw pod rm", down["raw pod rm"])]:
                print(f"  {v:<16}{t:>8.2f}")
            best = min(t for v, t in up.items() if v.startswith("raw") and v != "raw -P 0")
            s = up["sidepod"]
            if n >= 50:
                targets.append((s <= RATIO_UNCAPPED * up["raw -P 0"],
                                f"N={n}: up -d at most {RATIO_UNCAPPED}x the uncapped script "
                                f"({s:.2f}s, {s / up['raw -P 0']:.2f}x)"))
                targets.append((s <= RATIO_CAPPED * best,
                                f"N={n}: up -d at most {RATIO_CAPPED}x the best capped script "
                                f"({s:.2f}s, {s / best:.2f}x)"))
            ratio = down["sidepod"] / down["raw pod rm"]
            targets.append((ratio <= RATIO_DOWN,
                            f"N={n}: down at most {RATIO_DOWN}x raw pod rm ({ratio:.2f}x)"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for ok, text in targets:
        print(f"{'met' if ok else 'MISSED':<7}{text}")
    sys.exit(0 if all(ok for ok, _ in targets) else 1)


if __name__ == "__main__":
    main()
