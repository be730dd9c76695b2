"""The IPython magics in an in-process shell: ``%load_ext pyspec``, a
``%%pyspec`` cell with a violated invariant (the HTML has the table and the
trace), a syntax error (the located message, no traceback), the line form,
``%pyspec_tla``, and bad options (IPython's one-line UsageError)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

pytest.importorskip("IPython", reason="IPython is not installed: it comes with the jupyter extra "
                                      "(make test-jupyter, or pip install 'pyspec[jupyter]')")

from IPython.core.error import UsageError  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

from pyspec.jupyter import CheckView, ErrorView, TlaView  # noqa: E402

COUNTER = Path("spec/examples/counter.pyspec").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shell():
    sh = InteractiveShell.instance()
    result = sh.run_cell("%load_ext pyspec")
    assert result.success, result.error_in_exec
    return sh


def run(shell, source: str):
    """Run one cell; its result, and what it printed (which must hold no traceback)."""
    with capture_output() as out:
        result = shell.run_cell(source)
    printed = out.stdout + out.stderr
    assert "Traceback" not in printed
    return result, printed


def test_cell_with_a_violated_invariant(shell):
    result, _ = run(shell, "%%pyspec\n" + COUNTER)
    assert result.success
    view = result.result
    assert isinstance(view, CheckView)
    page = view._repr_html_()
    assert '<table class="pyspec-table">' in page
    assert "<td>race</td><td>BothCounted</td><td>violated</td>" in page
    assert html.escape("<cell> model race: invariant BothCounted VIOLATED (expected: violated)") in page
    for step in ("State 2: inc[1] read  (<cell>:8)", "State 5: inc[2] write  (<cell>:10)"):
        assert html.escape(step) in page


def test_cell_with_a_syntax_error_shows_the_located_message(shell):
    result, _ = run(shell, "%%pyspec\nspec Bad\nvar x: int = \n")
    assert result.success  # a spec error is the cell's output, not an exception
    view = result.result
    assert isinstance(view, ErrorView)
    first = "<cell>:2:14: error: unexpected end of line (expected an expression)"
    assert repr(view).splitlines()[0] == first
    assert html.escape(first) in view._repr_html_()


def test_line_form_checks_a_file(shell):
    result, _ = run(shell, "%pyspec spec/examples/peterson.pyspec --model two --property MutualExclusion")
    view = result.result
    assert [(r.model, r.property, r.verdict) for r in view.reports] == [("two", "MutualExclusion", "ok")]
    assert '<td class="met">holds</td>' in view._repr_html_()


def test_repeated_property_checks_each(shell):
    result, _ = run(shell, "%%pyspec --model race -p BothCounted -p deadlock\n" + COUNTER)
    assert [(r.property, r.verdict) for r in result.result.reports] == [("BothCounted", "violated"),
                                                                        ("deadlock", "ok")]


def test_pyspec_tla_after_a_cell_exports_that_cell(shell):
    run(shell, "%%pyspec --traces none\n" + COUNTER)
    result, _ = run(shell, "%pyspec_tla")
    assert isinstance(result.result, TlaView)
    assert sorted(result.result.files) == ["Counter.tla", "MC_race.cfg", "MC_race.tla"]


def test_pyspec_tla_writes_files(shell, tmp_path):
    result, printed = run(shell, f"%pyspec_tla spec/examples/counter.pyspec -o {tmp_path}")
    assert (tmp_path / "Counter.tla").read_text(encoding="utf-8") == result.result["Counter.tla"]
    assert f"3 files under {tmp_path}/: 3 written" in printed


def test_pyspec_tla_cell(shell):
    result, _ = run(shell, "%%pyspec_tla --model race\n" + COUNTER)
    assert "SPECIFICATION Spec" in result.result["MC_race.cfg"]


@pytest.mark.parametrize("source, message", [
    ("%pyspec", "%pyspec needs a spec file (or write the spec in a %%pyspec cell)"),
    ("%pyspec spec/examples/counter.pyspec --bogus", "unrecognized arguments: --bogus"),
    ("%%pyspec spec/examples/counter.pyspec\n" + COUNTER, "%%pyspec: the spec is the cell"),
])
def test_bad_usage_is_one_line(shell, source, message):
    result, printed = run(shell, source)
    assert isinstance(result.error_in_exec, UsageError)
    assert message in str(result.error_in_exec) and "UsageError" in printed


def test_missing_file_is_a_located_message(shell):
    result, _ = run(shell, "%pyspec spec/examples/no_such.pyspec")
    assert repr(result.result).startswith("spec/examples/no_such.pyspec:1:1: error: no such file")
