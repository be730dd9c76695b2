"""The generic conformance layer on a small protocol: a hand-written Peterson
implementation (pyspec/examples/peterson.py), its traces, spec-driven
testing, and mutants it must catch."""

from __future__ import annotations

import json

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.conformance import Event, Trace, read_jsonl, validate, write_jsonl
from pyspec.conformance.drive import drive_exhaustive, drive_random
from pyspec.conformance.traces import from_itf, parse_jsonl, to_itf
from pyspec.examples.peterson import Peterson
from pyspec.testing import SpecDivergence, run_spec_driven
from pyspec.values import FMap


@pytest.fixture(scope="module")
def model():
    return compile_model(pyspec.load("spec/examples/peterson.pyspec"), "two")


def test_spec_driven_random_runs_agree(model):
    result = drive_random(model, Peterson(), runs=50, max_steps=40, seed=1)
    assert result.ok, result.failure.render()
    assert result.steps > 1000
    assert set(result.labels) == {f"proc.{s}" for s in Peterson.STEPS}


def test_spec_driven_exhaustive_to_depth(model):
    result = drive_exhaustive(model, Peterson(), depth=6)
    assert result.ok
    assert result.runs > 10


@pytest.mark.parametrize("mutant", ["keep_turn", "no_wait", "keep_flag"])
def test_mutants_are_caught_and_shrunk(model, mutant):
    result = drive_random(model, Peterson(mutant), runs=200, max_steps=40, seed=2)
    assert not result.ok, f"mutant {mutant} not caught"
    with pytest.raises(SpecDivergence) as caught:
        run_spec_driven(model, lambda: Peterson(mutant), max_steps=20, max_examples=200)
    short = caught.value.divergence
    # the shortest divergence of each mutant (the length a hypothesis.find
    # shrinker found too)
    assert len(short.path) == {"keep_turn": 2, "no_wait": 3, "keep_flag": 5}[mutant]
    assert "diverges" in short.render()


def run_impl(impl, steps):
    impl.reset(None)
    events = []
    for who, label in steps:
        class S:  # a StepInfo-like event for the implementation
            pass
        s = S()
        s.self, s.label, s.process, s.params = who, label, "proc", {}
        impl.perform(s)
        events.append(Event("proc", who, label, {}, impl.observe()))
    return Trace(None, events)


def test_valid_trace_full_and_partial_observation(model):
    trace = run_impl(Peterson(), [(0, "raise_flag"), (0, "give_turn"), (0, "wait"), (1, "raise_flag"),
                                  (0, "critical"), (0, "leave")])
    assert validate(model, trace).ok
    for ev in trace.events:  # keep only thread-local knowledge: own flag, no turn
        ev.observed = {"flag": FMap({ev.self: ev.observed["flag"][ev.self]})}
    assert validate(model, trace).ok


def test_invalid_trace_names_first_unexplained_event(model):
    trace = run_impl(Peterson("no_wait"), [(0, "raise_flag"), (1, "raise_flag"), (0, "give_turn"),
                                            (1, "give_turn"), (0, "wait"), (1, "wait")])
    result = validate(model, trace)
    assert not result.ok
    assert result.explained == 5  # the sixth event: both threads passed the wait
    text = result.render(model)
    assert "event 6 of 6" in text and "proc[1] wait" in text
    assert "steps enabled there" in text


def test_jsonl_round_trip(model, tmp_path):
    trace = run_impl(Peterson(), [(0, "raise_flag"), (1, "raise_flag")])
    trace.init = {"turn": 0}
    path = tmp_path / "t.jsonl"
    write_jsonl(model.spec, trace, path)
    back = read_jsonl(model.spec, path)
    assert back == trace
    lines = path.read_text().splitlines()
    assert json.loads(lines[1])["observed"]["flag"] == {"#map": [[0, True], [1, False]]}


def test_jsonl_errors_are_located(model):
    with pytest.raises(ValueError, match="line 2: process 'proc' has no step 'nope'"):
        parse_jsonl(model.spec, ['{"process": "proc", "self": 0, "label": "raise_flag"}',
                                 '{"process": "proc", "self": 0, "label": "nope"}'])
    with pytest.raises(ValueError, match="line 1: not JSON"):
        parse_jsonl(model.spec, ["{"])


def test_itf_round_trip_through_itf_py(model):
    s = model.initial_states()[0]
    states = [model.to_values(s)] + [model.to_values(t) for _, t in model.successors(s)]
    data = to_itf(model.spec, states)
    back, loop = from_itf(model.spec, json.loads(json.dumps(data)))
    assert back == states and loop is None
