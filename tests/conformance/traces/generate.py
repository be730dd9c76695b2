"""Regenerate the trace corpus of tests/conformance/test_tlc_trace.py.

    python tests/conformance/traces/generate.py

For each spec and model in ``SOURCES`` it writes, under a directory named
like the source, JSON-lines traces (pyspec/conformance/traces.py):

- ``good_full.jsonl``, ``good_partial.jsonl``: a real run (the Peterson
  implementation of pyspec/examples/peterson.py under a seeded scheduler) or
  a seeded random walk of the compiled model, with every variable logged, and
  with only what the acting thread knows (``partial``);
- ``bad_<kind>_<full|partial>.jsonl``: the good trace broken once, where the
  embedded validator rejects it: ``value`` (a logged value from elsewhere in
  the trace), ``skip`` (an event left out), ``process`` (the step of another
  instance or process), ``label`` (a label its process is not at).

Everything is a pure function of the seeds, so regenerating gives the same
bytes.  The test asserts that the embedded validator and TLC agree on every
trace (good ones accepted, bad ones rejected at the same event).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

import pyspec  # noqa: E402
from pyspec.compile import compile_model  # noqa: E402
from pyspec.conformance import Event, Trace, validate, write_jsonl  # noqa: E402
from pyspec.values import FMap  # noqa: E402

STEPS = 18
KINDS = ("value", "skip", "process", "label")


def own(ev: Event, keys: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """What the acting thread logs: its own entries of the given keys."""
    out = {}
    for k in keys.get(ev.process, ()):
        v = ev.observed[k]
        if ev.self is not None and isinstance(v, FMap) and ev.self in v:
            v = FMap({ev.self: v[ev.self]})
        out[k] = v
    return out


PARTIAL: dict[str, dict[str, tuple[str, ...]]] = {
    "peterson-two": {"proc": ("flag", "proc.pc")},
    "counter-race": {"inc": ("count",)},
    "two_phase_commit-two": {"coordinator": ("decision",), "rm": ("rm_state",)},
    "bounded_queue-default": {"producer": ("queue", "producer.left"), "consumer": ("consumed", "consumer.last")},
    "kvm_v3-small": {"vcpu": ("vcpu.gfn", "vcpu.pc"), "writer": ("cov", "gen", "writer.n", "writer.pc")},
}
#: what is logged before the first event in the partial traces
PARTIAL_INIT = {"peterson-two": ("turn",), "kvm_v3-small": ("cov", "gen")}

SOURCES = {
    "peterson-two": ("spec/examples/peterson.pyspec", "two"),
    "counter-race": ("spec/examples/counter.pyspec", "race"),
    "two_phase_commit-two": ("spec/examples/two_phase_commit.pyspec", "two"),
    "bounded_queue-default": ("spec/examples/bounded_queue.pyspec", "default"),
    "kvm_v3-small": ("spec/kvm/v3.pyspec", "small"),
}


def walk(cm, steps: int, seed: int) -> Trace:
    """A seeded random walk of the model, fully observed."""
    rng = random.Random(seed)
    inits = cm.initial_states()
    s = inits[rng.randrange(len(inits))]
    init = cm.to_values(s)
    events = []
    for _ in range(steps):
        succ = cm.successors(s)
        if not succ:
            break
        info, t = succ[rng.randrange(len(succ))]
        events.append(Event(info.process, info.self, info.label, dict(info.params), cm.to_values(t)))
        s = t
    return Trace(init, events)


def peterson_run(cm, steps: int, seed: int) -> Trace:
    """A run of the Peterson implementation, logged through its refinement mapping."""
    from pyspec.examples.peterson import Peterson, run

    impl = Peterson()
    init = impl.observe()
    events = [Event("proc", me, label, {}, obs) for me, label, obs in run(impl, steps, seed)]
    return Trace(init, events)


def partial(name: str, full: Trace) -> Trace:
    keys = PARTIAL[name]
    init = {k: v for k, v in (full.init or {}).items() if k in PARTIAL_INIT.get(name, ())}
    return Trace(init, [Event(e.process, e.self, e.label, dict(e.params), own(e, keys)) for e in full.events])


def breakages(cm, trace: Trace, kind: str, rng: random.Random) -> list[Trace]:
    """Every way (in a seeded order) to break ``trace`` once by ``kind``."""
    spec = cm.spec
    procs = {p.name: p for p in spec.processes}
    n = len(trace.events)
    order = list(range(n))
    rng.shuffle(order)
    out = []
    for k in order:
        ev = trace.events[k]
        evs = list(trace.events)
        if kind == "skip":
            del evs[k]
            out.append(Trace(trace.init, evs))
        elif kind == "value":
            keys = sorted(ev.observed)
            rng.shuffle(keys)
            for key in keys:
                others = [e.observed[key] for e in trace.events if key in e.observed and e.observed[key] != ev.observed[key]]
                if others:
                    evs[k] = Event(ev.process, ev.self, ev.label, dict(ev.params),
                                   {**ev.observed, key: others[rng.randrange(len(others))]})
                    out.append(Trace(trace.init, evs))
                    break
        elif kind == "process":
            selves = sorted({e.self for e in trace.events if e.process == ev.process and e.self != ev.self}, key=repr)
            if ev.self is not None and selves:
                evs[k] = Event(ev.process, selves[rng.randrange(len(selves))], ev.label, dict(ev.params), ev.observed)
            else:
                other = [p for p in spec.processes if p.name != ev.process and p.index is None and p.steps]
                if not other:
                    continue
                p = other[rng.randrange(len(other))]
                evs[k] = Event(p.name, None, p.steps[0].label, {}, ev.observed)
            out.append(Trace(trace.init, evs))
        elif kind == "label":
            labels = [st.label for st in procs[ev.process].steps if st.label != ev.label]
            if labels:
                evs[k] = Event(ev.process, ev.self, labels[rng.randrange(len(labels))], {}, ev.observed)
                out.append(Trace(trace.init, evs))
    return out


def main() -> int:
    index = {}
    for name, (path, model) in SOURCES.items():
        spec = pyspec.load(str(ROOT / path))
        cm = compile_model(spec, model)
        full = peterson_run(cm, STEPS, 1) if name == "peterson-two" else walk(cm, STEPS, 1)
        part = partial(name, full)
        out = HERE / name
        out.mkdir(exist_ok=True)
        for old in out.glob("*.jsonl"):
            old.unlink()
        files = {"good_full": full, "good_partial": part}
        for mode, good in (("full", full), ("partial", part)):
            assert validate(cm, good).ok, f"{name}: the {mode} good trace is not valid"
            rng = random.Random(f"{name}-{mode}")
            for kind in KINDS:
                for bad in breakages(cm, good, kind, rng):
                    if not validate(cm, bad).ok:
                        files[f"bad_{kind}_{mode}"] = bad
                        break
                else:
                    print(f"{name}: no rejected {kind} breakage of the {mode} trace", file=sys.stderr)
        for fname, tr in files.items():
            write_jsonl(spec, tr, out / f"{fname}.jsonl")
        index[name] = {"spec": path, "model": model, "traces": sorted(f"{f}.jsonl" for f in files)}
        print(f"{name}: {len(files)} traces")
    (HERE / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
