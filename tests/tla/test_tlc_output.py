"""TLC's output -> reports, on real TLC outputs recorded as fixtures
(tests/tla/record_fixtures.py), so the parser is tested on every machine."""

from __future__ import annotations

import json

import pytest
from tla_helpers import FIXTURES

import pyspec
from pyspec import values as V
from pyspec.engines.tlc.output import ToolParser, build_report, parse_output
from pyspec.engines.tlc.run import plan
from pyspec.engines.tlc.tlavalues import decode, parse_state, parse_tla
from pyspec.ir import nodes as ir
from pyspec.report import validate_report
from pyspec.tla.export import render_module


def fixture(case: str):
    d = FIXTURES / case
    meta = json.loads((d / "meta.json").read_text())
    stdout = (d / "stdout.txt").read_text() if (d / "stdout.txt").exists() else ""
    trace = json.loads((d / "trace.json").read_text()) if (d / "trace.json").exists() else None
    return meta, stdout, trace


def report_for(case: str):
    meta, stdout, trace = fixture(case)
    spec = pyspec.load(meta["spec"])
    _, sm, _ = render_module(spec)
    out = parse_output(stdout)
    job = next(j for j in plan(spec, spec.model(meta["model"])) if j.name == meta["run"])
    rep = build_report(out, spec=spec, spec_path=meta["spec"], model=meta["model"], sm=sm,
                       exit_code=meta["exit_code"], seconds=1.5, properties=job.checks,
                       expected=job.expected, trace_json=trace)
    validate_report(rep.to_json())
    return meta, out, rep


def test_ok_run_has_statistics_and_no_trace():
    meta, out, rep = report_for("ok")
    assert meta["exit_code"] == 0
    assert rep.verdict == "ok" and rep.property is None and rep.kind is None
    assert rep.distinct_states == 6 and rep.generated_states == 10 and rep.depth == 4
    assert rep.trace == [] and rep.loop_start is None
    assert out.version


def test_statistics_of_a_run_with_liveness_checking():
    _, stdout, _ = fixture("peterson")  # spec/examples/peterson.pyspec, model two, as recorded
    out = parse_output(stdout)
    assert out.outcome == "ok" and out.finished
    assert (out.distinct, out.generated, out.depth) == (26, 45, 8)


def test_invariant_violation_maps_trace_to_spec_steps():
    meta, out, rep = report_for("invariant")
    assert meta["exit_code"] == 12
    assert (rep.verdict, rep.kind, rep.property) == ("violated", "invariant", "Small")
    assert [s.state["x"] for s in rep.trace] == [0, 1, 2]
    first, step = rep.trace[0], rep.trace[1]
    assert first.process is None and first.label is None and first.source is None
    assert (step.process, step.self, step.label) == ("counter", None, "inc")
    assert step.source == "tests/tla/specs/lasso.pyspec:12"
    assert set(first.state) == {"x", "flag", "counter.pc", "toggler.pc"}
    assert first.state["counter.pc"] == "inc"


def test_action_property_violation():
    meta, _, rep = report_for("action")
    assert meta["exit_code"] == 13
    assert (rep.verdict, rep.kind, rep.property) == ("violated", "action", "NeverDecreases")
    assert [s.state["x"] for s in rep.trace] == [0, 1, 2, 0]


def test_liveness_lasso_loops_back():
    meta, out, rep = report_for("liveness")
    assert meta["exit_code"] == 13
    assert (rep.verdict, rep.kind, rep.property) == ("violated", "liveness", "EventuallyFlag")
    assert [s.state["x"] for s in rep.trace] == [0, 1, 2]
    assert rep.loop_start == 0


def test_liveness_lasso_from_stdout_alone():
    meta, stdout, _ = fixture("liveness")
    spec = pyspec.load(meta["spec"])
    _, sm, _ = render_module(spec)
    rep = build_report(parse_output(stdout), spec=spec, spec_path=meta["spec"], model=meta["model"], sm=sm,
                       exit_code=13, seconds=1.0, properties=["EventuallyFlag"])
    assert [s.state["x"] for s in rep.trace] == [0, 1, 2]
    assert rep.loop_start == 0


def test_deadlock():
    meta, _, rep = report_for("deadlock")
    assert meta["exit_code"] == 11
    assert (rep.verdict, rep.kind, rep.property) == ("violated", "deadlock", "deadlock")
    assert rep.trace[-1].state["left.pc"] == "wait_b"
    assert rep.trace[-1].process == "left" and rep.trace[-1].label == "raise_a"


def test_runtime_error_names_the_spec_position():
    meta, out, rep = report_for("error")
    assert meta["exit_code"] == 14
    assert rep.verdict == "error"
    assert rep.message.startswith("tests/tla/specs/errors.pyspec:14: key not in map")
    # no -dumpTrace file for errors: the trace comes from stdout
    assert [s.state["i"] for s in rep.trace] == [0, 1, 2]
    assert rep.trace[1].label == "write"


def test_parse_error():
    meta, stdout, _ = fixture("parse_error")
    assert meta["exit_code"] == 150
    out = parse_output(stdout)
    assert out.outcome == "error"
    assert "Parsing or semantic analysis failed" in out.error
    assert "Was expecting" in out.error


def test_jar_missing_message_names_three_options():
    meta = json.loads((FIXTURES / "jar_missing" / "meta.json").read_text())
    text = (FIXTURES / "jar_missing" / "stderr.txt").read_text()
    assert meta["exit_code"] == 3
    assert "--jar" in text and "TLA2TOOLS_JAR" in text and "make tla2tools" in text
    assert "Traceback" not in text


def test_progress_lines_are_reported_as_they_arrive():
    _, stdout, _ = fixture("peterson")
    seen = []
    p = ToolParser(on_progress=seen.append)
    for line in stdout.splitlines():
        p.feed(line)
    assert seen and seen[-1].distinct == 26


def test_indexed_process_self_from_json_context_and_from_diff():
    spec = pyspec.load("spec/examples/peterson.pyspec")
    _, sm, _ = render_module(spec)
    s0 = {"flag": {"0": False, "1": False}, "turn": 0, "pc_proc": {"0": "raise_flag", "1": "raise_flag"}}
    s1 = {"flag": {"0": True, "1": False}, "turn": 0, "pc_proc": {"0": "give_turn", "1": "raise_flag"}}
    data = {"counterexample": {"state": [[1, s0], [2, s1]], "action": [
        [[1, s0], {"name": "proc_raise_flag", "context": {"self": 0}}, [2, s1]]]}}
    from pyspec.engines.tlc.output import raw_trace_from_json, spec_trace

    steps, loop = raw_trace_from_json(data)
    trace = spec_trace(steps, sm)
    assert (trace[1].process, trace[1].self, trace[1].label) == ("proc", 0, "raise_flag")
    assert trace[1].state["flag"] == {"#map": [[0, True], [1, False]]}
    # without TLC's context: the instance whose pc was at the label and changed
    steps[1].params = {}
    s0b = dict(s0, pc_proc={"0": "give_turn", "1": "raise_flag"})
    steps[0].state = s0b
    steps[1].state = dict(s1, pc_proc={"0": "give_turn", "1": "give_turn"})
    trace = spec_trace(steps, sm)
    assert trace[1].self == 1


# --------------------------------------------------------------------------
# TLA+ values
# --------------------------------------------------------------------------

def test_parse_tla_values():
    assert parse_tla('<<1, -2, "a\\"b">>') == [1, -2, 'a"b']
    assert parse_tla("{}") == [] and parse_tla("<<>>") == []
    assert parse_tla("[a |-> 1, b |-> {TRUE}]") == {"a": 1, "b": [True]}
    assert parse_tla("(Node__a :> 1 @@ Node__b :> 2)") == {"#fun": [[{"#mv": "Node__a"}, 1],
                                                                    [{"#mv": "Node__b"}, 2]]}


def test_parse_state_multiline_values():
    text = "/\\ x = <<1,\n   2>>\n/\\ y = [a |-> 1]\n"
    assert parse_state(text) == {"x": [1, 2], "y": {"a": 1}}
    assert parse_state("x = 3") == {"x": 3}


@pytest.mark.parametrize("j,ty,value", [
    ({"<<1, 2>>": "t"}, ir.MapType(ir.TupleType((ir.INT, ir.INT)), ir.STR), V.FMap({(1, 2): "t"})),
    ([5, 6], ir.MapType(ir.INT, ir.INT), V.FMap({1: 5, 2: 6})),
    ([], ir.MapType(ir.INT, ir.INT), V.FMap()),
    ({"s": 1}, ir.MapType(ir.STR, ir.INT), V.FMap({"s": 1})),
    ({"Node__a": True}, ir.MapType(ir.SortType("Node"), ir.BOOL), V.FMap({V.ModelValue("Node", "a"): True})),
    ("NoneValue", ir.OptionalType(ir.INT), V.NONE),
    (3, ir.OptionalType(ir.INT), 3),
    ([[1, "a"]], ir.SetType(ir.TupleType((ir.INT, ir.STR))), frozenset({(1, "a")})),
    ({"seq": 1, "tag": "x"}, ir.RecordType((("seq", ir.INT), ("tag", ir.STR))), V.Record({"seq": 1, "tag": "x"})),
    ("idle", ir.EnumType("Phase", ("idle",)), V.EnumValue("Phase", "idle")),
    ({"{1, 2}": 0, "{}": 1}, ir.MapType(ir.SetType(ir.INT), ir.INT), V.FMap({frozenset({1, 2}): 0, frozenset(): 1})),
])
def test_decode_tlc_json(j, ty, value):
    assert decode(j, ty) == value


def test_human_output_speaks_the_spec_not_tla():
    from pyspec.engines.tlc.text import format_report

    meta, _, rep = report_for("liveness")
    text = format_report(rep, pyspec.load(meta["spec"]), met=False)
    assert "VIOLATED: liveness EventuallyFlag (expected: holds)" in text
    assert "State 2: counter inc  (tests/tla/specs/lasso.pyspec:12)" in text
    assert "flag = False" in text and 'counter.pc = "inc"' in text
    assert "Back to state 1: the loop repeats forever." in text
    for tla in ("pc_counter", "counter_inc", "FALSE", "\\/", "'"):
        assert tla not in text.replace("'s ", ""), tla
