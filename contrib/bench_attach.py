#!/usr/bin/env python3
"""An attached `sidepod up`, against raw podman, in one run:

- memory: the total RSS of sidepod and every process under it, attached to 20 services,
  against one raw `podman logs --follow --names` of the same 20 containers. Target: at
  most 80 MiB.
- relay lag: a service prints 100,000 lines at once; sidepod's stdout and a raw
  `podman logs --follow` of the same container are read side by side, and the moment
  each shows the last line is taken. Target: sidepod at most 0.1 s after raw (median of
  the rounds).

Exit status 1 when a target is missed.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SERVICES = 20
RSS_TARGET_MIB = 80
LINES = 100_000
LAG_TARGET = 0.1


def descendants(pid):
    """pid and every process under it."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def rss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def running(project):
    out = subprocess.run(["podman", "ps", "--format", "{{.Names}}", "--filter",
                          f"label=io.sidepod.project={project}", "--filter", "status=running"],
                         capture_output=True, text=True)
    # Not the pod's infra container, which carries the project's labels too.
    return len([n for n in out.stdout.split() if not n.endswith("-infra")])


def wait_until(what, check, limit=120):
    start = time.time()
    while not check():
        if time.time() - start > limit:
            sys.exit(f"bench: timed out waiting for {what}")
        time.sleep(0.2)


def up(binary, work, project, compose):
    with open(os.path.join(work, "compose.yaml"), "w") as f:
        f.write(compose)
    return subprocess.Popen([binary, "-p", project, "up"], cwd=work, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def down(binary, work, project, proc):
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    subprocess.run([binary, "-p", project, "down", "-t", "0"], cwd=work, capture_output=True)


def memory(binary, image, work, project):
    compose = "services:\n" + "".join(
        f"  s{i}:\n    image: {image}\n    init: true\n"
        f"    command: [sh, -c, 'echo s{i}; exec sleep 600']\n" for i in range(SERVICES))
    proc = up(binary, work, project, compose)
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    try:
        wait_until(f"{SERVICES} services running", lambda: running(project) == SERVICES)
        time.sleep(3)
        tree = descendants(proc.pid)
        sidepod = rss_kib(tree)
        names = [f"{project}-s{i}-1" for i in range(SERVICES)]
        raw = subprocess.Popen(["podman", "logs", "--follow", "--names", *names],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
        raw_kib = rss_kib(descendants(raw.pid))
        raw.kill()
        raw.wait()
        return sidepod, len(tree), raw_kib
    finally:
        down(binary, work, project, proc)


def first_line_time(stream, marker, out):
    for line in stream:
        if marker in line:
            out.append(time.time())
            return


def lag(binary, image, work, project):
    compose = (f"services:\n  burst:\n    image: {image}\n    init: true\n"
               f"    command: [sh, -c, 'sleep 4; seq 1 {LINES}; echo burst-end; exec sleep 600']\n")
    proc = up(binary, work, project, compose)
    container = f"{project}-burst-1"
    try:
        wait_until("the burst service", lambda: running(project) == 1)
        raw = subprocess.Popen(["podman", "logs", "--follow", container],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        seen_raw, seen_sidepod = [], []
        readers = [threading.Thread(target=first_line_time, args=(raw.stdout, "burst-end", seen_raw)),
                   threading.Thread(target=first_line_time,
                                    args=(proc.stdout, "burst-end", seen_sidepod))]
        for r in readers:
            r.start()
        for r in readers:
            r.join(timeout=60)
        raw.kill()
        raw.wait()
        if not seen_raw or not seen_sidepod:
            sys.exit("bench: the last line of the burst never came")
        return seen_sidepod[0] - seen_raw[0]
    finally:
        down(binary, work, project, proc)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sidepod", required=True)
    parser.add_argument("--image", default="localhost/sidepod-test/busybox:latest")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.sidepod = os.path.abspath(args.sidepod)
    work = tempfile.mkdtemp(prefix="sidepod-bench-attach-")
    os.chmod(work, 0o755)
    project = f"benchattach{os.getpid()}"
    try:
        sidepod_kib, processes, raw_kib = memory(args.sidepod, args.image, work, project)
        lags = [lag(args.sidepod, args.image, work, f"{project}l{i}") for i in range(args.rounds)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = []
    print(f"{'attached to 20 services':<40} {'sidepod':>10} {'raw podman':>12}")
    print(f"{'RSS MiB, all processes':<40} {sidepod_kib / 1024:>10.1f} {raw_kib / 1024:>12.1f}"
          f"   ({processes} processes: sidepod and its children)")
    med = statistics.median(lags)
    print(f"{'last line of 100,000, after raw, s':<40} {med:>10.3f} {'0':>12}"
          f"   (rounds: {', '.join(f'{x:.3f}' for x in lags)})")
    if sidepod_kib / 1024 > RSS_TARGET_MIB:
        failed.append(f"RSS attached to 20 services {sidepod_kib / 1024:.1f} MiB > {RSS_TARGET_MIB}")
    if med > LAG_TARGET:
        failed.append(f"relay lag {med:.3f} s after raw > {LAG_TARGET}")
    for f in failed:
        print(f"bench: target missed: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
