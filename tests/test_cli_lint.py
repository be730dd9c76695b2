"""The command line: exit codes, diagnostic format, models listing."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from pyspec.cli import main

GOOD = "spec/examples/peterson.pyspec"


def test_lint_ok(capsys):
    assert main(["lint", GOOD]) == 0
    assert "1 of 1 spec file ok" in capsys.readouterr().out


def test_lint_error_format_and_exit_code(tmp_path, capsys):
    f = tmp_path / "bad.pyspec"
    f.write_text("spec Bad\nvar x: int = y + 1\n")
    assert main(["lint", str(f)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{f}:2:14: error: undefined name 'y'"
    assert err[1].strip() == "var x: int = y + 1"
    assert err[2].strip() == "^"


def test_lint_reports_independent_errors_together(tmp_path, capsys):
    f = tmp_path / "bad.pyspec"
    f.write_text("spec Bad\nvar x: int = True\nvar y: bool = 3\nconst C: int = {1}\n")
    assert main(["lint", str(f)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]
    assert [e.split(":")[1] for e in errors] == ["2", "3", "4"]


def test_warnings_do_not_fail_unless_strict(tmp_path, capsys):
    f = tmp_path / "warn.pyspec"
    f.write_text("spec W\nvar unused: int = 0\nprocess p:\n    a:\n        pass\n")
    assert main(["lint", str(f)]) == 0
    assert "warning: variable 'unused' is never read" in capsys.readouterr().err
    assert main(["lint", "--strict", str(f)]) == 2


def test_missing_file(capsys):
    assert main(["lint", "no/such/file.pyspec"]) == 2
    assert "error: no such file" in capsys.readouterr().err


def test_models_json_lists_every_model(capsys):
    assert main(["models", "--json", "spec/examples"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {(r["spec"], r["model"]) for r in rows}
    assert ("spec/examples/peterson.pyspec", "two") in names
    tpc = [r for r in rows if r["spec_name"] == "TwoPhaseCommit" and r["model"] == "three"][0]
    assert tpc["properties"]["NeverCommits"] == "violated"
    assert tpc["constants"]["RMS"] == "{RM.r1, RM.r2, RM.r3}"
    assert tpc["symmetry"] == ["RMS"]


def test_console_entry_point_runs_as_module():
    out = subprocess.run([sys.executable, "-m", "pyspec", "lint", GOOD], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert re.search(r"1 of 1 spec file ok", out.stdout)


def test_empty_directory_argument(tmp_path, capsys):
    d = tmp_path / "x.pyspec"
    d.mkdir()
    assert main(["lint", str(d)]) == 2
    assert "no spec files" in capsys.readouterr().err
