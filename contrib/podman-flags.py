#!/usr/bin/env python3
"""The flags of each podman command sidepod runs, as podman 4.3 and podman 5 define them.

Writes tests/fixtures/podman/flags-*.txt, which the argv builders' unit tests read
(src/backend/podman/args/flags.rs): every flag sidepod passes must be in both files.

  podman-flags.py help > tests/fixtures/podman/flags-4.3.txt
      from the installed podman's `--help` (these hosts run podman 4.3.1);
  podman-flags.py docs REPO TAG... > tests/fixtures/podman/flags-5.txt
      from the man page sources (docs/source/markdown) of a podman git repository, at each
      TAG; a flag is listed only when every TAG has it, so `v5.0.0 v5.8.2` gives the
      flags all of 5.x has.

One line per command: `pod rm: --force -f --time= -t=`. In the `help` list, a trailing `=`
marks a flag that takes a value. The man pages do not say so reliably, so the `docs` list
has the names only, and the builders' tests take the value-taking flags from podman 4.3.
"""

import re
import subprocess
import sys

# The podman commands sidepod runs (src/backend/podman/), as their man pages name them.
# "podman" stands for the global flags, which every command takes too.
COMMANDS = [
    "podman", "attach", "build", "container inspect", "cp", "create", "events", "exec", "export",
    "healthcheck run", "image exists", "image inspect", "image rm", "info", "kill", "logs",
    "network create", "network ls", "network rm", "pause", "pod create", "pod ps",
    "pod rm", "pod start", "pod stop", "port", "ps", "pull", "push", "restart", "rm",
    "run", "start", "stats", "stop", "top", "unpause", "unshare", "version",
    "volume create", "volume exists", "volume ls", "volume rm", "wait",
]

HELP_LINE = re.compile(r"^\s+(?:-(\w), )?--([\w-]+)( \S.*?)?(?:\s{2,}|$)")
HEADING = re.compile(r"^#### (.*)$")
FLAG = re.compile(r"\*\*(--?[\w-]+)\*\*")


def words(command):
    return [] if command == "podman" else command.split()


def from_help(command):
    out = subprocess.run(
        ["podman", *words(command), "--help"], capture_output=True, text=True, check=True
    ).stdout
    flags = set()
    for line in out.split("Options:", 1)[-1].splitlines():
        m = HELP_LINE.match(line)
        if not m:
            continue
        # `--pull string[="true"]`: the value is optional, so a bare flag takes none.
        value = "=" if m.group(3) and "[=" not in m.group(3) else ""
        flags.add(f"--{m.group(2)}{value}")
        if m.group(1):
            flags.add(f"-{m.group(1)}{value}")
    return flags


def git_show(repo, tag, path):
    done = subprocess.run(
        ["git", "-C", repo, "show", f"{tag}:{path}"], capture_output=True, text=True
    )
    return done.stdout if done.returncode == 0 else None


def page(repo, tag, command):
    """The man page source of `command` at `tag`, following `.so` links."""
    name = "-".join(["podman", *words(command)])
    base = "docs/source/markdown/"
    for path in (f"{base}{name}.1.md.in", f"{base}{name}.1.md"):
        text = git_show(repo, tag, path)
        if text is not None:
            return text
    link = git_show(repo, tag, f"{base}links/{name}.1")
    if link and link.startswith(".so man1/"):
        target = link.split("man1/", 1)[1].strip()[: -len(".1")]
        return page(repo, tag, target[len("podman-"):].replace("-", " ", 1))
    raise SystemExit(f"{tag}: no man page for podman {command}")


def heading_flags(text):
    flags = set()
    for line in text.splitlines():
        m = HEADING.match(line)
        if not m:
            continue
        flags.update(FLAG.findall(m.group(1)))
    return flags


def from_docs(repo, tag, command):
    flags = set()
    for line in page(repo, tag, command).splitlines():
        if line.startswith("@@option "):
            option = line.split()[1]
            text = git_show(repo, tag, f"docs/source/markdown/options/{option}.md")
            if text is None:
                raise SystemExit(f"{tag}: podman {command}: no option file {option}")
            flags |= heading_flags(text)
        else:
            flags |= heading_flags(line)
    return flags


def main(argv):
    if argv[:1] == ["help"]:
        table = {c: from_help(c) for c in COMMANDS}
    elif argv[:1] == ["docs"] and len(argv) >= 3:
        repo, tags = argv[1], argv[2:]
        table = {}
        for c in COMMANDS:
            sets = [from_docs(repo, t, c) for t in tags]
            table[c] = set.intersection(*sets)
    else:
        raise SystemExit(__doc__)
    for command, flags in table.items():
        print(f"{command}: {' '.join(sorted(flags))}")


if __name__ == "__main__":
    main(sys.argv[1:])
