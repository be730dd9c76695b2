"""Reports validate against the shared schema and render as spec-level traces."""

from __future__ import annotations

import json

from engine_util import load

import pyspec
from pyspec.engines.embedded import check, check_model, simulate
from pyspec.report import Report, validate_report
from pyspec.report.text import render_report


def all_reports():
    out = []
    out += check_model(pyspec.load("spec/examples/two_phase_commit.pyspec"), "three")
    out += check_model(load("liveness"), "unfair")
    out += check_model(load("deadlock"), "stuck")
    out.append(check(load("errors"), "bad_key"))
    out.append(check(load("stmts"), "both", property="TotalBound", max_states=10))
    out.append(check(load("actions"), "m", property="NeverDecreases"))
    out.append(simulate(load("stmts"), "both", runs=3, depth=5, seed=1))
    return out


def test_reports_validate_against_the_schema():
    for r in all_reports():
        data = json.loads(r.dumps())
        validate_report(data)
        assert Report.from_json(data).to_json() == r.to_json()
        assert data["engine"] == "embedded"


def test_text_shows_steps_sources_and_changed_variables():
    r = check(pyspec.load("spec/examples/counter.pyspec"), "race", property="BothCounted")
    text = render_report(r, pyspec.load("spec/examples/counter.pyspec"))
    assert "invariant BothCounted VIOLATED (expected: violated)" in text
    assert "State 1: initial state" in text
    assert "State 2: inc[1] read  (spec/examples/counter.pyspec:8)" in text
    assert "    inc[1].pc = \"write\"" in text
    assert "    count = 1" in text


def test_text_of_a_lasso():
    spec = load("liveness")
    r = check(spec, "unfair", property="XReaches2")
    text = render_report(r, spec)
    assert "loop starts here" in text
    assert "stutters forever" in text or "Back to state" in text


def test_any_choices_are_shown():
    spec = load("stmts")
    r = check(spec, "both", property="NeverBump")
    text = render_report(r, spec)
    assert "with v = " in text
