"""The notebook views and cell functions, without IPython: a spec from a
cell checked and rendered (table + counterexample), errors located in
``<cell>``, the TLA+ export of a cell.  These run in the default test
install; the magics themselves are tested in test_magic.py."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from pyspec.jupyter import CheckView, ErrorView, TlaView
from pyspec.jupyter.cells import check_spec, export_tla, load_spec

COUNTER = Path("spec/examples/counter.pyspec").read_text(encoding="utf-8")


def checked(text: str, **kw) -> CheckView | ErrorView:
    spec, notes = load_spec(text)
    assert spec is not None, notes
    return check_spec(spec, notes=notes, **kw)


def test_violated_invariant_renders_table_and_trace():
    view = checked(COUNTER)
    assert isinstance(view, CheckView) and view.ok  # BothCounted is declared violated
    page = view._repr_html_()
    table = page[page.index('<table class="pyspec-table">'):page.index("</table>")]
    for head in ("model", "property", "expected", "got", "states", "time"):
        assert f"<th>{head}</th>" in table
    assert "<td>race</td><td>BothCounted</td><td>violated</td>" in table
    # the counterexample: its headline and the text trace, steps located in the cell
    assert html.escape("<cell> model race: invariant BothCounted VIOLATED (expected: violated)") in page
    assert html.escape("State 5: inc[2] write  (<cell>:10)") in page
    assert "State 5: inc[2] write  (<cell>:10)" in repr(view)


def test_swimlane_drawn_when_the_html_renderer_is_there():
    from pyspec.jupyter.view import _swimlane_renderer

    page = checked(COUNTER)._repr_html_()
    if _swimlane_renderer() is None:
        assert "<svg" not in page and "<pre>" in page  # the seam: text trace only
    else:
        assert page.count("<svg") == 1 and 'class="swimlane"' in page


def test_two_views_on_one_page_do_not_share_svg_ids():
    from pyspec.jupyter.view import _swimlane_renderer

    if _swimlane_renderer() is None:
        pytest.skip("pyspec.report.html is not in this tree: no swimlanes to compare")
    a, b = checked(COUNTER)._repr_html_(), checked(COUNTER)._repr_html_()
    ids = lambda page: {x.split('"')[1] for x in page.split("<g id=")[1:]}  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)


def test_unexpected_outcome_is_marked():
    text = COUNTER.replace("check BothCounted: violated", "check BothCounted")
    view = checked(text)
    assert not view.ok
    assert '<td class="unmet">violated (unexpected)</td>' in view._repr_html_()
    assert "<-- UNEXPECTED" in repr(view)


def test_traces_none_shows_the_table_only():
    view = checked(COUNTER, traces="none")
    assert view.shown() == [] and "State 1" not in view._repr_html_()


def test_one_property():
    view = checked(COUNTER, model="race", properties=["deadlock"])
    assert [(r.property, r.verdict) for r in view.reports] == [("deadlock", "ok")]


def test_syntax_error_is_located_in_the_cell():
    spec, text = load_spec("spec Bad\nvar x: int = \n")
    assert spec is None
    lines = text.splitlines()
    assert lines[0] == "<cell>:2:14: error: unexpected end of line (expected an expression)"
    assert lines[2].strip() == "^"
    page = ErrorView(text)._repr_html_()
    assert html.escape(lines[0]) in page and "Traceback" not in page


@pytest.mark.parametrize("kw, message", [
    ({"model": "nope"}, "<cell>: no model 'nope' (models: race)"),
    ({"model": "race", "properties": ["Nope"]}, "<cell>: no property 'Nope' (properties: BothCounted, deadlock)"),
])
def test_bad_model_or_property_is_a_message(kw, message):
    view = checked(COUNTER, **kw)
    assert isinstance(view, ErrorView) and repr(view) == message


def test_spec_without_a_model_says_how_to_add_one():
    view = checked("spec A\nvar x: int = 0\ninvariant Zero: x == 0\n")
    assert isinstance(view, ErrorView)
    assert "declares no model" in repr(view) and "check Zero: holds" in repr(view)


def test_export_of_a_cell_is_what_pyspec_tla_writes():
    spec, _ = load_spec(COUNTER)
    view = export_tla(spec, ["race"])
    assert isinstance(view, TlaView)
    assert sorted(view.files) == ["Counter.tla", "MC_race.cfg", "MC_race.tla"]
    assert view["Counter.tla"].startswith("---- MODULE Counter ----")
    assert "INVARIANT\n    BothCounted" in view["MC_race.cfg"]
    assert html.escape("---- MODULE Counter ----") in view._repr_html_()
