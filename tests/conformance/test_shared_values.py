"""Unchanged values are shared, and the validator's shortcut on them.

``CompiledModel.to_values`` and the JSON-lines reader hand out the very same
object for a value that did not change; the validator then skips comparing
an observation that is the previous event's object, in a successor whose
fields for it are those of the candidate it comes from.  These tests pin the
sharing down and show that the shortcut never accepts a wrong observation:
an identical object in a successor whose field did change is compared.
Also here: the per-instance successor functions validation uses
(``CompiledModel.next_by_action``) give exactly ``next_full``'s successors.
"""

from __future__ import annotations

import json
import random

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.conformance import Event, Trace, validate
from pyspec.conformance.traces import Codec, parse_jsonl, to_itf
from pyspec.values import FMap


@pytest.fixture(scope="module")
def kvm():
    return compile_model(pyspec.load("spec/kvm/v3.pyspec"), "small")


@pytest.fixture(scope="module")
def peterson():
    return compile_model(pyspec.load("spec/examples/peterson.pyspec"), "two")


def walk(cm, steps: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    s = cm.initial_states()[0]
    out = [s]
    for _ in range(steps):
        succ = cm.next_states(s)
        if not succ:
            break
        s = succ[rng.randrange(len(succ))]
        out.append(s)
    return out


def test_to_values_gives_the_same_object_for_an_unchanged_value(kvm):
    states = walk(kvm, 300, 3)
    shared = changed = 0
    for s, t in zip(states, states[1:]):
        a, b = kvm.to_values(s), kvm.to_values(t)
        assert kvm.from_values(b) == t  # still the state's values
        for k in a:
            if a[k] == b[k]:
                assert a[k] is b[k], k
                shared += 1
            else:
                changed += 1
    assert shared > 5 * changed > 0  # most variables keep their value in a step
    # an indexed process's locals are one map; it is shared as a whole
    assert kvm.to_values(states[0])["vcpu.pc"] is kvm.to_values(states[0])["vcpu.pc"]


def test_reader_shares_a_value_logged_again_with_the_same_json(kvm):
    states = walk(kvm, 60, 4)
    codec = Codec(kvm.spec)
    lines = []
    for s, t in zip(states, states[1:]):
        info = next(i for i, u in kvm.successors(s) if u == t)
        lines.append(json.dumps(codec.encode(Event(info.process, info.self, info.label, dict(info.params),
                                                   kvm.to_values(t)))))
    trace = parse_jsonl(kvm.spec, lines)
    for n, (before, after) in enumerate(zip(trace.events, trace.events[1:])):
        # each event decodes to the values a fresh reader gives that line alone
        alone = parse_jsonl(kvm.spec, [lines[n + 1]]).events[0]
        assert after.observed == alone.observed
        for k, v in after.observed.items():
            assert (v is before.observed[k]) == (json.loads(lines[n])["observed"][k]
                                                 == json.loads(lines[n + 1])["observed"][k]), k
    assert validate(kvm, trace).ok


def test_reader_does_not_share_across_json_types(peterson):
    # 1 == True in Python: a value logged as 1 after true must be decoded
    # (and rejected as the wrong type), not taken for the earlier True
    head = '{"process": "proc", "self": 0, "label": "raise_flag", "observed": {"flag": {"#map": [[0, %s], [1, false]]}}}'
    good = parse_jsonl(peterson.spec, [head % "true", head % "true"])
    assert good.events[1].observed["flag"] is good.events[0].observed["flag"]
    with pytest.raises(ValueError, match="line 2"):
        parse_jsonl(peterson.spec, ['{"process": "proc", "self": 0, "label": "raise_flag", "observed": {"turn": 0}}',
                                    '{"process": "proc", "self": 0, "label": "raise_flag", "observed": {"turn": false}}'])


def events_along(cm, states):
    out = []
    for s, t in zip(states, states[1:]):
        info = next(i for i, u in cm.successors(s) if u == t)
        out.append(Event(info.process, info.self, info.label, dict(info.params), cm.to_values(t)))
    return out


def test_an_unchanged_object_is_still_compared_when_the_step_changed_its_field(peterson):
    # proc 0 raises its flag, then gives the turn away: turn 0 -> 1.  A log
    # that repeats the previous event's turn object (0) for give_turn lies.
    init = peterson.initial_states()[0]
    path = [init]
    for label in ("raise_flag", "give_turn"):
        path.append(next(t for i, t in peterson.successors(path[-1]) if i.self == 0 and i.label == label))
    events = events_along(peterson, path)
    assert validate(peterson, Trace(peterson.to_values(init), events)).ok
    lie = dict(events[1].observed)
    lie["turn"] = events[0].observed["turn"]  # the very object logged one event before
    assert lie["turn"] is events[0].observed["turn"] and lie["turn"] != events[1].observed["turn"]
    result = validate(peterson, Trace(peterson.to_values(init), [events[0], Event("proc", 0, "give_turn", {}, lie)]))
    assert not result.ok and result.explained == 1
    # the same with a shared map: flag[0] reverts to the object before raise_flag
    lie = dict(events[0].observed)
    lie["flag"] = peterson.to_values(init)["flag"]
    assert lie["flag"] is peterson.to_values(init)["flag"]
    result = validate(peterson, Trace(peterson.to_values(init), [Event("proc", 0, "raise_flag", {}, lie)]))
    assert not result.ok and result.explained == 0


def test_a_partial_map_observation_shared_across_events(peterson):
    # the same partial observation object (flag of proc 1 only) in two events
    # while proc 0 changes its own flag: valid, the unobserved entry is free
    init = peterson.initial_states()[0]
    path = [init]
    for label in ("raise_flag", "give_turn"):
        path.append(next(t for i, t in peterson.successors(path[-1]) if i.self == 0 and i.label == label))
    only_1 = FMap({1: False})
    events = [Event("proc", 0, "raise_flag", {}, {"flag": only_1}), Event("proc", 0, "give_turn", {}, {"flag": only_1})]
    assert validate(peterson, Trace({"flag": only_1}, events)).ok
    # and a shared partial observation that a step contradicts is caught
    only_0 = FMap({0: False})
    events = [Event("proc", 0, "raise_flag", {}, {"flag": only_0})]
    assert not validate(peterson, Trace({"flag": only_0}, events)).ok


@pytest.mark.parametrize("path,model", [("spec/examples/peterson.pyspec", "two"),
                                        ("spec/examples/two_phase_commit.pyspec", "two"),
                                        ("spec/kvm/patch2014.pyspec", "small")])
def test_next_by_action_is_next_full_split_by_instance(path, model):
    cm = compile_model(pyspec.load(path), model)
    seen = set(cm.initial_states())
    frontier = list(seen)
    checked = 0
    while frontier and checked < 3000:
        s = frontier.pop()
        full: list = []
        cm.next_full(s, full.append)
        by_instance: list = []
        for fn in dict.fromkeys(cm.next_by_action):
            got: list = []
            fn(s, got.append)
            # one instance's function gives only that instance's steps
            assert len({(cm.actions[a].process, cm.actions[a].pos) for a, _, _ in got}) <= 1
            by_instance += got
        assert sorted(by_instance, key=repr) == sorted(full, key=repr)
        for _, _, t in full:
            if t not in seen:
                seen.add(t)
                frontier.append(t)
        checked += 1
    assert checked == len(seen) > 20 or checked == 3000  # every reachable state, or 3000


def test_itf_states_validate_with_shared_values(kvm):
    # an ITF trace names no steps: every step may explain each state
    states = walk(kvm, 40, 5)
    itf = to_itf(kvm.spec, [kvm.to_values(s) for s in states])
    from pyspec.conformance.traces import trace_from_itf

    assert validate(kvm, trace_from_itf(kvm.spec, itf)).ok
