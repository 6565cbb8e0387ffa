#!/usr/bin/env python3
"""Tests of crates.py's licence logic: python3 contrib/packaging/test_crates.py"""
import sys
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))
import crates  # noqa: E402


class Licences(unittest.TestCase):
    def test_an_expression_passes_when_allowed_licences_alone_satisfy_it(self):
        for expr, ok in [
            ("MIT", True),
            ("MIT OR Apache-2.0", True),
            ("GPL-3.0-only", False),
            ("GPL-3.0-only OR MIT", True),
            ("MIT AND GPL-2.0-only", False),
            ("(MIT OR Apache-2.0) AND Unicode-3.0", True),
            ("(MIT OR Apache-2.0) AND SSPL-1.0", False),
            ("Apache-2.0 WITH LLVM-exception OR GPL-2.0-only", True),
            ("GPL-2.0-only WITH Classpath-exception-2.0", False),
        ]:
            self.assertEqual(crates.satisfiable(expr), ok, expr)

    def test_the_old_slash_form_is_an_or(self):
        self.assertEqual(crates.normalize("MIT/Apache-2.0"), "MIT OR Apache-2.0")

    def test_the_spdx_expression_names_each_licence_once(self):
        linked = {("a", "1"): "MIT OR Apache-2.0", ("b", "1"): "Apache-2.0 OR MIT",
                  ("c", "1"): "Apache-2.0 AND ISC", ("d", "1"): "MIT"}
        with mock.patch.object(crates, "own_licence", return_value="Apache-2.0"):
            self.assertEqual(crates.spdx(linked),
                             "Apache-2.0 AND (Apache-2.0 OR MIT) AND ISC AND MIT")

    def test_check_names_a_crate_whose_licence_is_not_allowed(self):
        linked = {("leftpad", "0.1.0"): "GPL-3.0-only", ("twice", "1.0.0"): "MIT",
                  ("twice", "2.0.0"): "MIT"}
        with mock.patch.object(crates, "vendored", return_value=[]), \
                mock.patch("sys.stderr") as err:
            self.assertEqual(crates.check(linked), 1)
        said = "".join(c.args[0] for c in err.write.call_args_list)
        self.assertIn("leftpad 0.1.0: licence `GPL-3.0-only` is not in the allowed list", said)
        self.assertIn("twice is linked at 2 versions (1.0.0, 2.0.0)", said)
        self.assertIn("sidepod.spec: License: or the bundled() Provides are out of date", said)

    def test_check_names_a_crate_from_elsewhere_than_crates_io(self):
        linked = crates.linked()
        with mock.patch.object(crates, "vendored",
                               return_value=[("forked", "1.0.0", "git+https://example.org/f")]), \
                mock.patch("sys.stderr") as err:
            self.assertEqual(crates.check(linked), 1)
        said = "".join(c.args[0] for c in err.write.call_args_list)
        self.assertIn("forked 1.0.0: comes from `git+https://example.org/f`, not crates.io", said)

    def test_the_tree_here_passes(self):
        self.assertEqual(crates.check(crates.linked()), 0)


if __name__ == "__main__":
    unittest.main()
