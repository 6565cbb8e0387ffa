#!/usr/bin/env python3
"""The crates sidepod is built from, for packagers and for the licence check.

  crates.py licenses   each licence and the linked crates under it (what Fedora's
                       %cargo_license_summary prints)
  crates.py spdx       the SPDX expression of the binary: sidepod's own licence AND every
                       linked crate's
  crates.py provides   one `Provides: bundled(crate(NAME)) = VERSION` per linked crate
  crates.py vendored   NAME VERSION of every crate cargo builds on this platform,
                       dev-dependencies included (for %check): the vendor archive's content
  crates.py filter DIR stubs every crate of the vendor directory DIR that cargo does not
                       build on this platform (windows-sys and the like): an empty library
                       under its Cargo.toml, as cargo-vendor-filterer does
  crates.py write      regenerates the spec's License: line and bundled() block, and
                       contrib/packaging/crate-licenses.txt
  crates.py check      fails when a linked crate's licence is outside ALLOWED, when a crate
                       comes from elsewhere than crates.io, when a crate is linked at two
                       versions that DUPLICATES does not explain, or when the spec or the
                       licence list is out of date

"Linked" means what ends up in the binary: normal dependencies on this platform, without
build scripts' dependencies, proc-macros or dev-dependencies, as Fedora counts them. The
lists come from `cargo tree` and `cargo metadata`, offline, from Cargo.lock.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "contrib/packaging/sidepod.spec"
LIST = ROOT / "contrib/packaging/crate-licenses.txt"

# Licences a linked crate may carry: permissive ones that Fedora and Debian accept in an
# Apache-2.0 program. An expression passes when it can be satisfied with these alone.
ALLOWED = {
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "MIT",
    "ISC",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSL-1.0",
    "CC0-1.0",
    "Unicode-3.0",
    "Unlicense",
    "Zlib",
}

# Crates linked at two versions, each with why it cannot be one yet.
DUPLICATES = {}


def cargo(*args):
    return subprocess.run(
        ["cargo", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def host():
    return re.search(r"^host: (\S+)$", subprocess.run(
        ["rustc", "-vV"], check=True, capture_output=True, text=True).stdout, re.M).group(1)


def normalize(expr):
    """The SPDX form of a Cargo licence field: `MIT/Apache-2.0` is the old `OR`."""
    return re.sub(r"\s*/\s*", " OR ", expr.strip())


def linked():
    """{(name, version): licence} of the crates in the binary, sidepod itself left out."""
    out = cargo("tree", "--locked", "--offline", "-e", "no-build,no-dev,no-proc-macro",
                "--target", host(), "--prefix", "none", "--format", "{p}|{l}")
    crates = {}
    for line in out.splitlines():
        spec, _, lic = line.replace(" (*)", "").partition("|")
        name, version = spec.split()[:2]
        if name != "sidepod":
            crates[(name, version.lstrip("v"))] = normalize(lic)
    return crates


def own_licence():
    return re.search(r'^license = "(.*)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)


def tokens(expr):
    return re.findall(r"\(|\)|[^\s()]+", expr)


def satisfiable(expr):
    """Whether EXPR can be met with ALLOWED licences only (AND binds tighter than OR)."""
    toks = tokens(expr)
    pos = 0

    def atom():
        nonlocal pos
        if toks[pos] == "(":
            pos += 1
            value = either()
            pos += 1  # ")"
            return value
        name = toks[pos]
        pos += 1
        if pos < len(toks) and toks[pos] == "WITH":
            name = f"{name} WITH {toks[pos + 1]}"
            pos += 2
        return name.rstrip("+") in ALLOWED

    def joined(operator, operand, combine):
        """OPERAND (OPERATOR OPERAND)*, folded with COMBINE."""
        nonlocal pos
        value = operand()
        while pos < len(toks) and toks[pos] == operator:
            pos += 1
            value = combine(operand(), value)
        return value

    def both():
        return joined("AND", atom, lambda a, b: a and b)

    def either():
        return joined("OR", both, lambda a, b: a or b)

    return either()


def spdx(crates):
    parts = {own_licence()}
    for lic in crates.values():
        simple = "(" not in lic
        if simple and " OR " not in lic:
            parts.update(lic.split(" AND "))
        elif simple and " AND " not in lic:
            parts.add("(" + " OR ".join(sorted(set(lic.split(" OR ")))) + ")")
        else:
            parts.add(f"({lic})")
    first = own_licence()
    return " AND ".join([first] + sorted(parts - {first}))


def provides(crates):
    return [f"Provides:       bundled(crate({n})) = {v}" for n, v in sorted(crates)]


def licence_list(crates):
    by = {}
    for (name, version), lic in crates.items():
        by.setdefault(lic, []).append(f"{name} {version}")
    lines = ["# The licences of the crates linked into sidepod on Linux, one per licence.",
             "# Generated by contrib/packaging/crates.py write; checked in CI.", ""]
    for lic in sorted(by):
        lines.append(f"{lic}:")
        lines.extend(f"    {c}" for c in sorted(by[lic]))
    return "\n".join(lines) + "\n"


BEGIN = "# BEGIN bundled crates: generated by contrib/packaging/crates.py write"
END = "# END bundled crates"


def spec_text(crates):
    text = SPEC.read_text()
    text = re.sub(r"^License:.*$", f"License:        {spdx(crates)}", text, count=1, flags=re.M)
    block = "\n".join([BEGIN, *provides(crates), END])
    return re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), block, text, flags=re.S)


def vendored():
    meta = json.loads(cargo("metadata", "--locked", "--offline", "--format-version", "1",
                            "--filter-platform", host()))
    ids = {n["id"] for n in meta["resolve"]["nodes"]}
    return sorted((p["name"], p["version"], p.get("source") or "")
                  for p in meta["packages"] if p["id"] in ids and p["name"] != "sidepod")


def filter_vendor(directory):
    """Stubs the vendored crates that are not built here; returns how many were kept."""
    keep = {(n, v) for n, v, _ in vendored()}
    kept = 0
    for crate in sorted(Path(directory).iterdir()):
        manifest = (crate / "Cargo.toml").read_text()
        package = manifest[manifest.index("[package]"):]
        name = re.search(r'^name = "(.*)"', package, re.M).group(1)
        version = re.search(r'^version = "(.*)"', package, re.M).group(1)
        if (name, version) in keep:
            kept += 1
            continue
        checksum = json.loads((crate / ".cargo-checksum.json").read_text())["package"]
        for path in sorted(crate.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        # The manifest stays, so Cargo.lock resolves as before; each file it names (or
        # src/lib.rs, which cargo looks for) is left empty.
        (crate / "Cargo.toml").write_text(manifest)
        named = re.findall(r'^(?:path|build) = "(.*)"', manifest, re.M)
        for target in named or ["src/lib.rs"]:
            (crate / target).parent.mkdir(parents=True, exist_ok=True)
            (crate / target).write_text("")
        (crate / ".cargo-checksum.json").write_text(
            json.dumps({"files": {}, "package": checksum}))
    return kept


def check(crates):
    problems = []
    for (name, version), lic in sorted(crates.items()):
        if not lic:
            problems.append(f"{name} {version}: no licence in its Cargo.toml")
        elif not satisfiable(lic):
            problems.append(f"{name} {version}: licence `{lic}` is not in the allowed list "
                            "(contrib/packaging/crates.py ALLOWED); choose another crate, "
                            "or add the licence there after checking it")
    for name, version, source in vendored():
        if not source.startswith("registry+https://github.com/rust-lang/crates.io-index"):
            problems.append(f"{name} {version}: comes from `{source}`, not crates.io")
    versions = {}
    for name, version in crates:
        versions.setdefault(name, []).append(version)
    for name, vs in sorted(versions.items()):
        if len(vs) > 1 and name not in DUPLICATES:
            problems.append(f"{name} is linked at {len(vs)} versions ({', '.join(sorted(vs))}): "
                            "align the dependents, or explain it in DUPLICATES")
    if SPEC.read_text() != spec_text(crates):
        problems.append(f"{SPEC.relative_to(ROOT)}: License: or the bundled() Provides are "
                        "out of date; run contrib/packaging/crates.py write")
    if not LIST.exists() or LIST.read_text() != licence_list(crates):
        problems.append(f"{LIST.relative_to(ROOT)} is out of date; "
                        "run contrib/packaging/crates.py write")
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if not problems:
        print(f"{len(crates)} linked crates: licences allowed, all from crates.io, "
              "one version each; the spec and the licence list are current")
    return 1 if problems else 0


def main(argv):
    command = argv[1] if len(argv) > 1 else "check"
    crates = linked()
    if command == "licenses":
        sys.stdout.write(licence_list(crates))
    elif command == "spdx":
        print(spdx(crates))
    elif command == "provides":
        print("\n".join(provides(crates)))
    elif command == "vendored":
        print("\n".join(f"{n} {v}" for n, v, _ in vendored()))
    elif command == "filter" and len(argv) == 3:
        kept = filter_vendor(argv[2])
        print(f"{kept} crates kept for this platform, the rest stubbed", file=sys.stderr)
    elif command == "write":
        SPEC.write_text(spec_text(crates))
        LIST.write_text(licence_list(crates))
    elif command == "check":
        return check(crates)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
