#!/usr/bin/env python3
"""sidepod against podman-compose, side by side in one run, on the same stack.

Each round runs `up -d` then `down` with both tools, in alternating order so that neither
always goes first on a warm cache. For each command it measures the wall time, the
number of podman calls (through a counting wrapper given to both tools as their podman),
and the peak memory of the tool's own process (VmHWM, sampled until it exits). After
each `up -d` it checks that every service runs, after each `down` that nothing is left.

Then it checks sidepod's targets: `up -d` of N plain services in at most N+5 podman
calls, fewer calls than podman-compose, a faster median `up -d` and `down`, a smaller
peak memory. Exit status 1 when a target is missed.

With --network bridge, both tools run the stack on a project network, each container in
its own network namespace: sidepod's bridge mode (`x-sidepod: {network: bridge}`) against
podman-compose without a pod (`--in-pod false`, its own network mode).

Usage: bench.py --sidepod PATH --podman-compose PATH [--services N] [--rounds R]
                [--image IMAGE] [--network pod|bridge] [--json FILE]
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

TOOLS = ("sidepod", "podman-compose")


def compose_file(services, image, network):
    lines = [f"x-sidepod: {{network: {network}}}", "services:"]
    for i in range(services):
        lines += [
            f"  svc{i}:",
            f"    image: {image}",
            "    init: true",
            "    command: [\"sleep\", \"600\"]",
        ]
    return "\n".join(lines) + "\n"


def counting_podman(directory):
    """A podman that appends each call to $BENCH_CALLS, then runs the real one."""
    real = shutil.which("podman")
    if real is None:
        sys.exit("bench: podman is not installed (run contrib/setup-host.sh as root)")
    path = os.path.join(directory, "podman")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\necho "$*" >> "$BENCH_CALLS"\nexec {real} "$@"\n')
    os.chmod(path, 0o755)
    return path


def peak_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def measure(argv, cwd, calls_file):
    """Runs argv; returns (seconds, podman calls, peak KiB of the process itself)."""
    if os.path.exists(calls_file):
        os.remove(calls_file)
    env = dict(os.environ, BENCH_CALLS=calls_file)
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    while proc.poll() is None:
        # VmHWM only grows, so the last sample before the exit is the peak, give or take
        # the last few milliseconds.
        peak = max(peak, peak_kib(proc.pid) or 0)
        time.sleep(0.01)
    seconds = time.monotonic() - started
    stderr = proc.stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({proc.returncode}):\n{stderr}")
    with open(calls_file) as f:
        calls = sum(1 for _ in f)
    return seconds, calls, peak


def containers(project, state):
    """Names of the project's service containers (podman-compose and sidepod both name
    them <project>_<service>_1 or <project>-<service>-1), in one state or all."""
    argv = ["podman", "ps", "--format", "{{.Names}}"]
    if state == "all":
        argv.insert(2, "-a")
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [n for n in out.split() if n.startswith(project + "-") or n.startswith(project + "_")]


def commands(tool, binary, podman, project, network):
    if tool == "sidepod":
        base = [binary, "--podman", podman, "-p", project]
        return base + ["up", "-d"], base + ["down"]
    base = [binary, "--podman-path", podman, "-p", project]
    if network == "bridge":
        base += ["--in-pod", "false"]
    return base + ["up", "-d"], base + ["down"]


def run(args):
    work = tempfile.mkdtemp(prefix="sidepod-bench-")
    try:
        with open(os.path.join(work, "compose.yaml"), "w") as f:
            f.write(compose_file(args.services, args.image, args.network))
        podman = counting_podman(work)
        calls_file = os.path.join(work, "calls")
        binaries = {"sidepod": args.sidepod, "podman-compose": args.podman_compose}
        results = {t: {"up": [], "down": []} for t in TOOLS}
        for r in range(args.rounds):
            order = TOOLS if r % 2 == 0 else tuple(reversed(TOOLS))
            for tool in order:
                project = f"bench{'s' if tool == 'sidepod' else 'p'}{os.getpid()}r{r}"
                up, down = commands(tool, binaries[tool], podman, project, args.network)
                try:
                    results[tool]["up"].append(measure(up, work, calls_file))
                    running = containers(project, "running")
                    if len(running) != args.services:
                        sys.exit(f"bench: {tool} up -d: {len(running)} of {args.services} running")
                finally:
                    results[tool]["down"].append(measure(down, work, calls_file))
                left = containers(project, "all")
                if left:
                    sys.exit(f"bench: {tool} down left {left}")
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summary(results):
    def med(tool, cmd, i):
        return statistics.median(m[i] for m in results[tool][cmd])

    rows = {
        "up -d, median seconds": [round(med(t, "up", 0), 2) for t in TOOLS],
        "down, median seconds": [round(med(t, "down", 0), 2) for t in TOOLS],
        "podman calls, up -d": [max(m[1] for m in results[t]["up"]) for t in TOOLS],
        "podman calls, down": [max(m[1] for m in results[t]["down"]) for t in TOOLS],
        "peak memory MiB, up -d": [
            round(max(m[2] for m in results[t]["up"]) / 1024, 1) for t in TOOLS
        ],
    }
    return rows


def check(rows, services, network):
    (s_up, p_up) = rows["up -d, median seconds"]
    (s_down, p_down) = rows["down, median seconds"]
    (s_calls, p_calls) = rows["podman calls, up -d"]
    (s_mem, p_mem) = rows["peak memory MiB, up -d"]
    targets = [
        (s_calls <= services + 5, f"sidepod up -d makes at most N+5 = {services + 5} podman calls ({s_calls})"),
    ] if network == "pod" else []
    targets += [
        (s_calls < p_calls, f"fewer podman calls than podman-compose for up -d ({s_calls} < {p_calls})"),
        (s_up < p_up, f"faster up -d than podman-compose ({s_up}s < {p_up}s)"),
        (s_down < p_down, f"faster down than podman-compose ({s_down}s < {p_down}s)"),
        (s_mem < p_mem, f"less memory than podman-compose ({s_mem} MiB < {p_mem} MiB)"),
    ]
    return targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sidepod", required=True)
    parser.add_argument("--podman-compose", required=True)
    parser.add_argument("--services", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--image", default="localhost/sidepod-test/busybox:latest")
    parser.add_argument("--network", choices=("pod", "bridge"), default="pod")
    parser.add_argument("--json")
    args = parser.parse_args()

    results = run(args)
    rows = summary(results)
    mode = "rootless" if os.getuid() != 0 else "rootful"
    print(f"{args.services} services, {args.rounds} rounds, {mode}, {args.network} mode")
    print(f"{'':<26}{'sidepod':>10}{'podman-compose':>16}")
    for name, (s, p) in rows.items():
        print(f"{name:<26}{s:>10}{p:>16}")
    targets = check(rows, args.services, args.network)
    for ok, text in targets:
        print(f"{'met' if ok else 'MISSED':<7}{text}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mode": mode, "network": args.network, "services": args.services, "rows": rows,
                       "targets": [{"met": ok, "target": t} for ok, t in targets]}, f, indent=2)
    sys.exit(0 if all(ok for ok, _ in targets) else 1)


if __name__ == "__main__":
    main()
