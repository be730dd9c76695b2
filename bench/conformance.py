"""Benchmark: trace validation, embedded and with TLC, on a long KVM trace.

The trace is a seeded random walk of ``spec/kvm/v3.pyspec`` model ``small``
(the compiled model's successors, with the values ``any`` chose), thousands
of events long.  Figures, in events per second:

- embedded, fully observed, the trace held in memory as the model's values;
- embedded, fully observed, the trace read back from JSON lines (every value
  a fresh object, as when an implementation's log is validated; reading the
  file is timed separately);
- embedded, partially observed: only ``cov`` and ``gen`` logged;
- TLC on the same full and partial traces (the whole run: module
  generation, JVM start, SANY and the search), when a jar is found
  (``--jar``, ``TLA2TOOLS_JAR`` or the user cache).

Rates are given in CPU time (of this process; of TLC's for TLC) and in wall
time: on a shared machine the wall figures vary with the load, the CPU
figures much less.

    python bench/conformance.py                 # 5000 events
    python bench/conformance.py --events 20000 --no-tlc

Each embedded figure is the best of ``--repeat`` runs.  The target for the
embedded validator on the fully observed trace is 50,000 events/s (CPU).
Not part of the tests: it prints figures and ratios.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = 50_000
PARTIAL_KEYS = ("cov", "gen")


def walk(cm, events: int, seed: int):
    from pyspec.conformance import Event, Trace

    rng = random.Random(seed)
    inits = cm.initial_states()
    s = inits[rng.randrange(len(inits))]
    init = cm.to_values(s)
    out = []
    for _ in range(events):
        succ = cm.successors(s)
        if not succ:
            break  # a deadlock ends the run (the trace is what it is)
        info, t = succ[rng.randrange(len(succ))]
        out.append(Event(info.process, info.self, info.label, dict(info.params), cm.to_values(t)))
        s = t
    return Trace(init, out)


def partial(trace):
    from pyspec.conformance import Event, Trace

    keep = lambda obs: {k: v for k, v in obs.items() if k in PARTIAL_KEYS}  # noqa: E731
    return Trace(keep(trace.init or {}), [Event(e.process, e.self, e.label, dict(e.params), keep(e.observed))
                                          for e in trace.events])


def best_rate(fn, n: int, repeat: int) -> tuple[float, float, object]:
    """(best events/s in CPU time, best in wall time, result) over ``repeat`` runs."""
    cpu = wall = 0.0
    res = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        res = fn()
        cpu = max(cpu, n / max(time.process_time() - c0, 1e-9))
        wall = max(wall, n / (time.perf_counter() - w0))
    return cpu, wall, res


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=5000, help="events in the trace (default 5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5, help="embedded runs per figure, the best counts (default 5)")
    ap.add_argument("--no-tlc", action="store_true", help="skip the TLC runs")
    ap.add_argument("--jar", help="tla2tools.jar (default: $TLA2TOOLS_JAR, then the user cache)")
    args = ap.parse_args(argv)

    import pyspec
    from pyspec.compile import compile_model
    from pyspec.conformance import read_jsonl, validate, write_jsonl

    spec = pyspec.load(str(ROOT / "spec/kvm/v3.pyspec"))
    cm = compile_model(spec, "small")
    cm.next_full  # noqa: B018 - compile the successor function outside the timings
    full = walk(cm, args.events, args.seed)
    n = len(full.events)
    part = partial(full)
    print(f"trace: {n} events of spec/kvm/v3.pyspec model small (random walk, seed {args.seed})")
    rows: list[tuple[str, float, float, str]] = []  # (what, events/s CPU, events/s wall, note)

    cpu, wall, res = best_rate(lambda: validate(cm, full), n, args.repeat)
    assert res.ok, res.render(cm)
    rows.append(("embedded, full, in memory", cpu, wall, ""))
    full_cpu = cpu
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trace.jsonl"
        write_jsonl(spec, full, path)
        t0 = time.process_time()
        read_jsonl(spec, path)
        read_rate = n / (time.process_time() - t0)
        fresh = [read_jsonl(spec, path) for _ in range(args.repeat)]
    it = iter(fresh)
    cpu, wall, res = best_rate(lambda: validate(cm, next(it)), n, args.repeat)
    assert res.ok
    rows.append(("embedded, full, read from JSON lines", cpu, wall,
                 f"(reading the file: {read_rate:,.0f} events/s CPU)"))
    del fresh
    part_cpu, wall, res = best_rate(lambda: validate(cm, part), n, args.repeat)
    assert res.ok
    rows.append((f"embedded, partial ({', '.join(PARTIAL_KEYS)})", part_cpu, wall, ""))

    tlc_rates: dict[str, float] = {}
    if not args.no_tlc:
        from pyspec.conformance.tlc_trace import validate_with_tlc
        from pyspec.engines.tlc.jar import ToolMissing, resolve

        try:
            tools = resolve(args.jar)
        except ToolMissing as e:
            print(f"TLC skipped: {str(e).splitlines()[0]}")
            tools = None
        if tools is not None:
            for what, tr in (("full", full), ("partial", part)):
                c0, w0 = children_cpu(), time.perf_counter()
                r = validate_with_tlc(spec, "small", tr, tools=tools, explain=False)
                wall_s, cpu_s = time.perf_counter() - w0, children_cpu() - c0
                if r.error or not r.ok:
                    print(f"TLC {what}: {r.render()}")
                    continue
                tlc_rates[what] = n / cpu_s
                rows.append((f"TLC, {what}", n / cpu_s, n / wall_s,
                             f"({wall_s:.1f} s wall, {r.distinct_states:,} distinct states)"))

    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'':{width}}  {'events/s CPU':>13}  {'events/s wall':>13}")
    for name, cpu, wall, note in rows:
        print(f"{name.ljust(width)}  {cpu:>13,.0f}  {wall:>13,.0f}  {note}".rstrip())
    print()
    print(f"target: embedded, full >= {TARGET:,} events/s: {'met' if full_cpu >= TARGET else 'NOT met'} "
          f"({full_cpu:,.0f} CPU)")
    print(f"ratio embedded partial / full: {part_cpu / full_cpu:.2f}")
    if "full" in tlc_rates:
        print(f"ratio embedded / TLC, full (CPU): {full_cpu / tlc_rates['full']:.0f}x")
    if "partial" in tlc_rates:
        print(f"ratio embedded / TLC, partial (CPU): {part_cpu / tlc_rates['partial']:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
