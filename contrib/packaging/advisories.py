#!/usr/bin/env python3
"""RustSec advisories against the crates in Cargo.lock, offline.

cargo-deny and cargo-audit fetch the RustSec advisory database from GitHub when they
run, which CI here cannot reach. So the database is kept as a snapshot beside this
script (advisories.json: each advisory's crate, kind and affected versions), and
refreshed wherever a clone of https://github.com/rustsec/advisory-db is at hand.

  advisories.py snapshot DB   rewrites advisories.json from the advisory-db clone DB
  advisories.py check         fails when a crate of Cargo.lock, at its locked version,
                              has a vulnerability or soundness advisory that IGNORED
                              does not explain; lists informational ones (unmaintained
                              crates) without failing; says how old the snapshot is

The database is in the public domain (CC0-1.0); the snapshot keeps its ids, titles and
version ranges only.
"""
import datetime
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "contrib/packaging/advisories.json"

# Advisories that apply to a locked crate but not to sidepod, each with why.
IGNORED = {}

# The informational kinds that only warn, as cargo-deny's defaults do.
WARN_ONLY = {"unmaintained", "notice"}

# A snapshot older than this is reported as such; refresh it where GitHub is reachable.
STALE_DAYS = 120


def git(db, *args):
    return subprocess.run(
        ["git", "-C", str(db), *args], check=True, capture_output=True, text=True
    ).stdout


def front_matter(text):
    """The TOML between the ```toml fence and the next ``` of an advisory file."""
    m = re.search(r"```toml\n(.*?)\n```", text, re.S)
    return tomllib.loads(m.group(1)) if m else None


def snapshot(db):
    """From a clone (or a bare mirror) of advisory-db, at its HEAD."""
    advisories = []
    paths = git(db, "ls-tree", "-r", "--name-only", "HEAD", "crates").split()
    for path in sorted(p for p in paths if p.endswith(".md")):
        text = git(db, "show", f"HEAD:{path}")
        data = front_matter(text)
        if not data:
            continue
        a, versions = data.get("advisory", {}), data.get("versions", {})
        if a.get("withdrawn"):
            continue
        title = next((l[2:].strip() for l in text.splitlines() if l.startswith("# ")), "")
        advisories.append(
            {
                "id": a["id"],
                "package": a["package"],
                "informational": a.get("informational", ""),
                "title": title,
                "patched": versions.get("patched", []),
                "unaffected": versions.get("unaffected", []),
            }
        )
    commit, date = git(db, "log", "-1", "--format=%H %cs").split()
    out = {
        "source": "https://github.com/rustsec/advisory-db",
        "license": "CC0-1.0",
        "commit": commit,
        "date": date,
        "advisories": advisories,
    }
    SNAPSHOT.write_text(json.dumps(out, indent=0, sort_keys=True) + "\n")
    print(f"{len(advisories)} advisories from {commit[:12]} ({date})")


# ---- Cargo's version requirements ------------------------------------------------------


def version(text):
    """`1.2.3-rc.1` as ((1, 2, 3), is_release), for ordering."""
    core, _, pre = text.strip().partition("-")
    parts = [int(p) for p in core.split("+")[0].split(".")]
    return tuple(parts + [0] * (3 - len(parts))), not pre


def comparator_holds(comparator, have):
    m = re.fullmatch(r"\s*(>=|<=|>|<|=|\^|~)?\s*([0-9][0-9A-Za-z.+-]*)\s*", comparator)
    if not m:
        raise ValueError(f"cannot read version requirement {comparator!r}")
    op, text = m.group(1) or "^", m.group(2)
    given = len(text.split("-")[0].split("."))
    want = version(text)
    if op == ">=":
        return have >= want
    if op == ">":
        return have > want
    if op == "<=":
        return have <= want
    if op == "<":
        return have < want
    if op == "=":
        return have[0] == want[0]
    (major, minor, patch) = want[0]
    if op == "~":
        upper = (major + 1, 0, 0) if given == 1 else (major, minor + 1, 0)
    elif major > 0 or given == 1:
        upper = (major + 1, 0, 0)
    elif minor > 0 or given == 2:
        upper = (0, minor + 1, 0)
    else:
        upper = (0, 0, patch + 1)
    return want <= have < (upper, False)


def matches(requirement, have):
    """Whether the version `have` meets `requirement` (comparators joined by commas)."""
    return all(comparator_holds(c, have) for c in requirement.split(","))


def affects(advisory, locked):
    have = version(locked)
    ranges = advisory["patched"] + advisory["unaffected"]
    return not any(matches(r, have) for r in ranges)


# ---- The check ----------------------------------------------------------------------------


def locked_crates():
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text())
    return [(p["name"], p["version"]) for p in lock["package"] if "source" in p]


def findings(db, crates):
    by_crate = {}
    for a in db["advisories"]:
        by_crate.setdefault(a["package"], []).append(a)
    found = []
    for name, ver in crates:
        for a in by_crate.get(name, []):
            if affects(a, ver):
                found.append((name, ver, a))
    return found


def check():
    db = json.loads(SNAPSHOT.read_text())
    crates = locked_crates()
    failed = False
    for name, ver, a in findings(db, crates):
        what = a["informational"] or "vulnerability"
        line = f"{a['id']} ({what}) {name} {ver}: {a['title']}"
        if a["id"] in IGNORED:
            print(f"ignored: {line} ({IGNORED[a['id']]})")
        elif what in WARN_ONLY:
            print(f"warning: {line}")
        else:
            print(f"error: {line}; upgrade it (cargo update -p {name}) or say in IGNORED why it does not apply")
            failed = True
    age = (datetime.date.today() - datetime.date.fromisoformat(db["date"])).days
    print(
        f"{len(crates)} crates checked against {len(db['advisories'])} RustSec advisories "
        f"of {db['date']} ({age} days old)"
    )
    if age > STALE_DAYS:
        print(
            f"warning: the snapshot is over {STALE_DAYS} days old: run `advisories.py "
            "snapshot DB` on a clone of https://github.com/rustsec/advisory-db"
        )
    if failed:
        sys.exit(1)


def main(argv):
    if argv[:1] == ["snapshot"] and len(argv) == 2:
        snapshot(argv[1])
    elif argv == ["check"]:
        check()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
