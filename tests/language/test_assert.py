"""`assert cond, "message"` (PlusCal's assert, TLC's Assert): a false
condition stops both engines with an error located at the statement, with
the same trace; a true one changes nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.printer import format_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

SPEC = """\
spec Asserts
var x: 0..3 = 0
process p:
    while True:
        s:
            x = (x + 1) % 4
            assert x != 3, "x reached 3"
model m:
    deadlock: ignore
"""


def load(text: str = SPEC) -> pyspec.Spec:
    return pyspec.load("asserts.pyspec", text=text)


def test_a_false_assert_is_a_located_error_with_its_trace():
    r = check(load(), "m", property="deadlock")
    assert r.verdict == "error"
    assert r.message.startswith("asserts.pyspec:7:13: assertion failed: x reached 3"), r.message
    assert [st.state["x"] for st in r.trace] == [0, 1, 2]


def test_a_true_assert_changes_nothing():
    ok = load(SPEC.replace('x != 3, "x reached 3"', "x <= 3"))
    plain = load(SPEC.replace('            assert x != 3, "x reached 3"\n', ""))
    assert check(ok, "m", property="deadlock").distinct_states == check(plain, "m", property="deadlock").distinct_states == 4


def test_printer_round_trips_and_the_condition_is_typed():
    printed = format_spec(load())
    assert 'assert x != 3, "x reached 3"' in printed
    assert format_spec(load(printed)) == printed
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", SPEC.replace("x != 3", "x + 1"))
    assert any("the condition of 'assert'" in d.message for d in diags.errors)


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
def test_tlc_stops_at_the_same_state_with_the_same_place():
    from pyspec.engines.tlc.jar import resolve
    from pyspec.engines.tlc.run import check_model

    spec = load()
    [(_, rep)] = check_model(spec, spec.model("m"), resolve(jar_path()))
    assert rep.verdict == "error"
    assert rep.message.startswith("asserts.pyspec:7: assertion failed: x reached 3"), rep.message
    assert [st.state["x"] for st in rep.trace] == [0, 1, 2]
