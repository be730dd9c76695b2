"""Schedulers: seeded replay, stepping from outside, threads, trace sinks."""

import io
import json

import pytest

from pyspec.kvm import Chooser, DeterministicScheduler, JsonLinesSink, Scenario, System, Tracer, run
from pyspec.kvm.harness import StepBlocked
from pyspec.kvm.sched import Deadlock, InlineScheduler, ThreadedScheduler, WouldBlock
from pyspec.kvm.trace import read_jsonl, step_labels


def comparable(events):
    return [(e["proc"], e["self"], e["label"], e["params"]) for e in events]


@pytest.mark.parametrize("version", ["v1", "patch2014", "v2", "v3"])
def test_same_seed_same_trace(version):
    from pyspec.kvm.refinement import spec_state
    a = run(version, seed=42, snapshot=spec_state)
    b = run(version, seed=42, snapshot=spec_state)
    assert a.events == b.events and a.schedule == b.schedule
    assert a.exits == b.exits


def test_different_seeds_give_different_schedules():
    traces = {tuple(step_labels(run("v2", seed=s).events)) for s in range(20)}
    assert len(traces) > 15


def test_replay_of_a_recorded_schedule():
    """A schedule (which thread moved at each step) and the choices replay
    the same trace, whatever the scheduler's seed."""
    first = run("v3", seed=7)
    sc = first.system.scenario
    chooser = Chooser(7)
    system = System(sc, chooser)
    tracer = Tracer()
    sched = DeterministicScheduler(seed=12345, tracer=tracer)
    system.spawn(sched)
    for name in first.schedule:
        sched.step(name)
    sched.close()
    assert comparable(tracer.events) == comparable(first.events)


def test_step_runs_a_thread_to_its_next_point():
    system = System(Scenario(version="v2", accesses=1, updates=1), Chooser(0, strict=True))
    sched = DeterministicScheduler(0, Tracer())
    system.spawn(sched)
    v1 = system.task("vcpu", 1)
    assert v1.label == "R0" and system.pc("writer") == "W1"
    with pytest.raises(RuntimeError, match="vcpu1 failed in step R0: LookupError"):  # strict: scripted choices only
        system.perform("vcpu", 1, "R0")
    sched.close()

    system = System(Scenario(version="v2", accesses=1, updates=1), Chooser(0, strict=True))
    sched = DeterministicScheduler(0, Tracer())
    system.spawn(sched)
    ev = system.perform("vcpu", 1, "R0", 2)
    assert [e["label"] for e in ev] == ["R0"] and ev[0]["params"]["gfn"] == 2
    assert system.pc("vcpu", 1) == "R1"
    with pytest.raises(ValueError):
        system.perform("vcpu", 1, "R3")
    labels = []
    while system.pc("vcpu", 1) != "Done":
        labels += [e["label"] for e in system.perform("vcpu", 1)]
    assert labels == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert ("writer", None, "W1") in system.enabled_steps()
    sched.close()


def test_blocked_step_and_deadlock():
    system = System(Scenario(version="v3", accesses=1, updates=1), Chooser(0, strict=True))
    sched = DeterministicScheduler(0, Tracer())
    system.spawn(sched)
    system.perform("vcpu", 1, "R0", 1)
    system.perform("writer", None, "W1", 2)
    system.perform("writer", None, "W2")
    with pytest.raises(StepBlocked):
        system.perform("writer", None, "W3")  # vcpu1 is inside its read-side section
    assert system.pc("writer") == "W3"
    sched.close()

    sched = DeterministicScheduler(0)
    sched.spawn(lambda: sched.point("never", until=lambda: False), proc="stuck")
    with pytest.raises(Deadlock):
        sched.run()
    sched.close()


def test_close_aborts_threads_midway():
    system = System(Scenario(version="v1", accesses=3, updates=3), Chooser(0))
    sched = DeterministicScheduler(0, Tracer())
    system.spawn(sched)
    sched.run(max_steps=5)
    sched.close()
    assert all(not t.thread.is_alive() for t in sched.tasks)


def test_errors_in_threads_surface():
    sched = DeterministicScheduler(0)

    def boom():
        sched.point("a")
        raise ZeroDivisionError

    t = sched.spawn(boom, proc="x")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        sched.step(t)
    sched.close()


def test_inline_scheduler_refuses_to_block():
    s = InlineScheduler()
    s.point("a")
    s.point("b", until=lambda: True)
    with pytest.raises(WouldBlock):
        s.point("c", until=lambda: False)


@pytest.mark.parametrize("version", ["v1", "patch2014", "v2", "v3"])
def test_threaded_runs_complete_with_one_event_per_step(version):
    for seed in range(5):
        r = run(version, seed=seed, mode="threaded", accesses=6, updates=3)
        labels = [e["label"] for e in r.events]
        assert labels.count("W1") == 3 and labels.count("R0") == 12
        assert [e["seq"] for e in r.events] == list(range(len(r.events)))
        assert r.system.userspace.n == 3


def test_threaded_scheduler_detects_deadlock():
    sched = ThreadedScheduler(timeout=10)
    sched.spawn(lambda: sched.point("never", until=lambda: False), proc="stuck")
    with pytest.raises(Deadlock):
        sched.run()


def test_json_lines_sink(tmp_path):
    path = str(tmp_path / "trace.jsonl")
    with JsonLinesSink(path) as sink:
        r = run("v2", seed=3, sink=sink)
    events = read_jsonl(path)
    assert len(events) == r.steps and events[0]["seq"] == 0
    assert set(events[0]) == {"seq", "proc", "self", "label", "params"}
    buf = io.StringIO()
    sink = JsonLinesSink(buf)
    run("v2", seed=3, sink=sink)
    sink.close()
    assert [json.loads(line) for line in buf.getvalue().splitlines()] == events
