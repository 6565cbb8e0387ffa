#!/usr/bin/env python3
"""How soon readiness is seen: sidepod's wait strategies (a TCP port, a log line) against
a raw podman poll loop, side by side, in one run.

A sidecar opens its port (or writes its line) 3 s after it starts. The delay is from that
moment (the container's StartedAt + 3 s) until the readiness is seen: for sidepod, the
moment it prints `Container ... Healthy`; for the raw loop, the first successful poll.
The target: within one check interval (0.5 s) plus 0.2 s. Exit status 1 when missed.
"""

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

INTERVAL = 0.5
AFTER = 3
TARGET = INTERVAL + 0.2
PORT_CMD = f"sleep {AFTER}; exec httpd -f -p 8080 -h /etc"
LOG_CMD = f"sleep {AFTER}; echo ready to serve; exec sleep 600"


def started_at(name):
    out = subprocess.run(["podman", "container", "inspect", "--format",
                          "{{.State.StartedAt.UnixNano}}", name],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip()) / 1e9


def job_file(image, kind):
    command = PORT_CMD if kind == "port" else LOG_CMD
    wait = ("{port: 8080, interval: 500ms}" if kind == "port"
            else "{log: ready to serve}")
    return (f"container:\n  image: {image}\nservices:\n  side:\n    image: {image}\n"
            f"    command: [\"sh\", \"-c\", \"{command}\"]\n    wait: {wait}\n"
            f"steps:\n  - run: \"true\"\n")


def sidepod_delay(binary, image, kind, work, project):
    with open(os.path.join(work, "sidepod.yaml"), "w") as f:
        f.write(job_file(image, kind))
    proc = subprocess.Popen([binary, "-p", project, "job", "--keep"], cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = None
    for line in proc.stderr:
        if seen is None and "-side-1" in line and "Healthy" in line:
            seen = time.time()
    proc.wait()
    try:
        if proc.returncode != 0 or seen is None:
            sys.exit(f"bench: sidepod job ({kind}) failed with {proc.returncode}")
        return seen - (started_at(f"{project}-side-1") + AFTER)
    finally:
        subprocess.run([binary, "-p", project, "down"], cwd=work, capture_output=True)


def raw_delay(image, kind, name):
    command = PORT_CMD if kind == "port" else LOG_CMD
    subprocess.run(["podman", "run", "-d", "--name", name, image, "sh", "-c", command],
                   capture_output=True, check=True)
    try:
        while True:
            if kind == "port":
                probe = ["podman", "exec", name, "sh", "-c", "netstat -ltn | grep -q ':8080 '"]
                ok = subprocess.run(probe, capture_output=True).returncode == 0
            else:
                logs = subprocess.run(["podman", "logs", name], capture_output=True, text=True)
                ok = "ready to serve" in logs.stdout
            if ok:
                return time.time() - (started_at(name) + AFTER)
            time.sleep(INTERVAL)
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sidepod", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--image", default="localhost/sidepod-test/busybox:latest")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sidepod-bench-ready-")
    try:
        rows = {}
        for kind in ("port", "log"):
            s = [sidepod_delay(args.sidepod, args.image, kind, work, f"bready{os.getpid()}{kind}{r}")
                 for r in range(args.rounds)]
            p = [raw_delay(args.image, kind, f"bready{os.getpid()}raw{kind}{r}")
                 for r in range(args.rounds)]
            rows[kind] = (max(s), statistics.median(p))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mode = "rootless" if os.getuid() != 0 else "rootful"
    print(f"readiness, {args.rounds} rounds, {mode}: seconds from the port opening or the "
          f"line appearing until it is seen (poll interval {INTERVAL}s)")
    print(f"{'':<26}{'sidepod (max)':>14}{'raw podman loop (median)':>26}")
    for kind, (s, p) in rows.items():
        print(f"{kind + ' ready':<26}{s:>14.2f}{p:>26.2f}")
    targets = [(s <= TARGET, f"{kind}: sidepod sees it within {TARGET:.1f}s ({s:.2f}s)")
               for kind, (s, p) in rows.items()]
    for ok, text in targets:
        print(f"{'met' if ok else 'MISSED':<7}{text}")
    sys.exit(0 if all(ok for ok, _ in targets) else 1)


if __name__ == "__main__":
    main()
