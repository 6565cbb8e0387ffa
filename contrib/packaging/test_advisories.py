#!/usr/bin/env python3
"""Tests of advisories.py: python3 contrib/packaging/test_advisories.py"""
import io
import json
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))
import advisories  # noqa: E402


def advisory(id, package, patched=(), unaffected=(), informational=""):
    return {"id": id, "package": package, "title": f"{package} is bad",
            "informational": informational, "patched": list(patched),
            "unaffected": list(unaffected)}


class Requirements(unittest.TestCase):
    def test_cargo_requirements_hold_as_cargo_reads_them(self):
        for req, ver, ok in [
            (">= 0.10.55", "0.10.55", True),
            (">= 0.10.55", "0.10.54", False),
            ("^0.9.5", "0.9.9", True),
            ("^0.9.5", "0.10.0", False),
            ("^1.2", "1.9.0", True),
            ("^1.2", "2.0.0", False),
            ("^0.0.3", "0.0.4", False),
            ("~1.2.3", "1.2.9", True),
            ("~1.2.3", "1.3.0", False),
            ("< 0.2.0", "0.1.9", True),
            (">= 1.2, < 1.3", "1.2.5", True),
            (">= 1.2, < 1.3", "1.3.0", False),
            ("=1.0.1", "1.0.1", True),
            (">= 1.0.0", "1.0.0-rc.1", False),
            ("1.4", "1.5.0", True),
        ]:
            self.assertEqual(advisories.matches(req, advisories.version(ver)), ok, (req, ver))

    def test_a_version_is_affected_unless_patched_or_unaffected(self):
        a = advisory("R-1", "x", patched=[">= 1.2.1"], unaffected=["< 1.0.0"])
        self.assertTrue(advisories.affects(a, "1.2.0"))
        self.assertFalse(advisories.affects(a, "1.2.1"))
        self.assertFalse(advisories.affects(a, "0.9.0"))
        self.assertTrue(advisories.affects(advisory("R-2", "x"), "9.9.9"))


class Check(unittest.TestCase):
    def run_check(self, db, crates, ignored=None):
        with tempfile.TemporaryDirectory() as tmp:
            snap = Path(tmp, "advisories.json")
            snap.write_text(json.dumps({"date": "2026-08-21", "advisories": db}))
            out = io.StringIO()
            with mock.patch.object(advisories, "SNAPSHOT", snap), \
                 mock.patch.object(advisories, "locked_crates", return_value=crates), \
                 mock.patch.object(advisories, "IGNORED", ignored or {}), \
                 redirect_stdout(out):
                try:
                    advisories.check()
                    code = 0
                except SystemExit as e:
                    code = e.code
            return code, out.getvalue()

    def test_a_vulnerable_locked_crate_fails_and_is_named_with_the_fix(self):
        db = [advisory("RUSTSEC-2099-0001", "leaky", patched=[">= 1.0.1"])]
        code, out = self.run_check(db, [("leaky", "1.0.0"), ("fine", "2.0.0")])
        self.assertEqual(code, 1)
        self.assertIn("error: RUSTSEC-2099-0001 (vulnerability) leaky 1.0.0", out)
        self.assertIn("cargo update -p leaky", out)

    def test_a_patched_crate_passes_and_unmaintained_only_warns(self):
        db = [advisory("R-1", "leaky", patched=[">= 1.0.1"]),
              advisory("R-2", "old", informational="unmaintained")]
        code, out = self.run_check(db, [("leaky", "1.0.1"), ("old", "0.3.0")])
        self.assertEqual(code, 0, out)
        self.assertIn("warning: R-2 (unmaintained) old 0.3.0", out)
        self.assertNotIn("R-1", out)

    def test_unsound_fails_unless_ignored_with_a_reason(self):
        db = [advisory("R-3", "wobbly", informational="unsound")]
        code, out = self.run_check(db, [("wobbly", "0.1.0")])
        self.assertEqual(code, 1)
        code, out = self.run_check(db, [("wobbly", "0.1.0")],
                                   {"R-3": "only its Windows code is affected"})
        self.assertEqual(code, 0)
        self.assertIn("ignored: R-3", out)

    def test_an_old_snapshot_is_reported(self):
        code, out = self.run_check([], [])
        self.assertEqual(code, 0)
        self.assertIn("days old", out)


if __name__ == "__main__":
    unittest.main()
