"""``make conformance``: the KVM reference implementation (:mod:`pyspec.kvm`)
against the KVM spec library (``spec/kvm/<version>.pyspec``).

For every version (v1, patch2014, v2, v3):

1. **trace validation** -- runs of the implementation under the
   deterministic scheduler and with real threads, alternating between the
   shapes of the models ``small`` and ``wrap``; every trace is validated
   against that model with full observation and with partial observation
   (each thread logs only what it knows about itself, see
   :data:`~.kvm_adapter.OWN`);
2. **spec-driven testing** -- the model picks the steps (at random, and every
   path up to a depth), the implementation performs them, the refinement
   mapping must equal the model's state after every step;
3. **counterexample replay** -- every counterexample of the library (each
   invariant a model declares violated) is replayed on the implementation of
   its version, which must reproduce the violation, and on every version
   whose same model declares the invariant to hold, which must not.

4. **trace validation with TLC** (when a jar and Java are found; skipped
   with the reason otherwise) -- a sample of the same runs, and the first
   trace of a mutant that the embedded validator rejects, validated again by
   TLC through the generated trace module
   (:mod:`~pyspec.conformance.tlc_trace`): both validators must give the
   same verdict and reject at the same event.

Then every mutant of :mod:`pyspec.kvm.mutants` must be caught (a trace that
no spec step explains).  The last line is ``mutants caught: N/M``; the exit
status is 0 only if every run validates, every drive agrees, every replay
behaves as expected and every mutant is caught.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

from .kvm_adapter import MODELS, VERSIONS, CrossVersionAdapter, Decoder, KvmAdapter, Shape, compiled, to_trace
from .validate import validate

#: initial memslot coverage of the i-th run (the spec's `cov in subsets(GFNS)`)
INITIAL_COVS = ((), (1,), (2,), (1, 2))
#: guest accesses per vCPU in a validated run
ACCESSES = 4


# ---------------------------------------------------------------- 1. trace validation


@dataclass
class ValidationStats:
    version: str
    mode: str
    runs: int = 0
    events: int = 0
    valid_full: int = 0
    valid_partial: int = 0
    per_model: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.valid_full == self.runs and self.valid_partial == self.runs

    def line(self) -> str:
        models = ", ".join(f"{n} {m}" for m, n in self.per_model.items())
        return (f"{self.version:10} {self.mode:13} {self.runs} runs ({models}), {self.events} events: "
                f"full {self.valid_full}/{self.runs} valid, partial {self.valid_partial}/{self.runs} valid "
                f"[{self.seconds:.1f} s]")


def implementation_run(version: str, model: str, index: int, seed: int, mode: str):
    """Run ``index`` of a series: the shape of ``model``, a varied initial coverage."""
    from ..kvm import Scenario, run
    from ..kvm.refinement import spec_state

    sh = Shape.of(compiled(version, model))
    scenario = Scenario(version=version, vcpus=sh.vcpus, gfns=sh.gfns, updates=sh.updates, gen_bits=sh.gen_bits,
                        accesses=ACCESSES, initial_cov=INITIAL_COVS[(index // len(MODELS)) % len(INITIAL_COVS)])
    return run(version, seed=seed, mode=mode, scenario=scenario, snapshot=spec_state)


_DECODERS: dict[tuple[str, str], Decoder] = {}


def decoder(version: str, model: str) -> Decoder:
    if (version, model) not in _DECODERS:
        _DECODERS[(version, model)] = Decoder(compiled(version, model))
    return _DECODERS[(version, model)]


def validate_runs(version: str, mode: str, runs: int, seed: int = 0, max_failures: int = 3) -> ValidationStats:
    """``runs`` implementation runs, run i with seed ``seed + i`` on model
    ``MODELS[i % 2]``; each trace validated with full and partial observation."""
    stats = ValidationStats(version, mode)
    t0 = time.perf_counter()
    for i in range(runs):
        model = MODELS[i % len(MODELS)]
        cm, dec = compiled(version, model), decoder(version, model)
        r = implementation_run(version, model, i, seed + i, mode)
        stats.runs += 1
        stats.per_model[model] = stats.per_model.get(model, 0) + 1
        for partial in (False, True):
            trace = to_trace(dec, r, partial)
            res = validate(cm, trace)
            if not partial:
                stats.events += len(trace.events)
            if res.ok:
                if partial:
                    stats.valid_partial += 1
                else:
                    stats.valid_full += 1
            elif len(stats.failures) < max_failures:
                what = "partial" if partial else "full"
                stats.failures.append(f"{version} {mode} seed {seed + i} (model {model}, {what} observation): "
                                      + res.render(cm))
    stats.seconds = time.perf_counter() - t0
    return stats


# ---------------------------------------------------------------- 2. spec-driven testing


@dataclass
class DriveStats:
    version: str
    model: str
    random_runs: int = 0
    exhaustive_runs: int = 0
    depth: int = 0
    steps: int = 0
    seconds: float = 0.0
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def line(self) -> str:
        paths = f" + {self.exhaustive_runs} paths to depth {self.depth}" if self.depth else ""
        return (f"{self.version:10} {self.model:6} {self.random_runs} random runs{paths}, {self.steps} steps: "
                f"{'agree' if self.ok else 'DIVERGE'} [{self.seconds:.1f} s]")


def drive_version(version: str, model: str, runs: int, max_steps: int, depth: int, seed: int = 0) -> DriveStats:
    from .drive import drive_exhaustive, drive_random

    cm = compiled(version, model)
    adapter = KvmAdapter(version, cm)
    stats = DriveStats(version, model, depth=depth)
    t0 = time.perf_counter()
    try:
        rnd = drive_random(cm, adapter, runs=runs, max_steps=max_steps, seed=seed)
        stats.random_runs, stats.steps = rnd.runs, rnd.steps
        if rnd.failure is not None:
            stats.failure = rnd.failure.render()
        elif depth > 0:
            exh = drive_exhaustive(cm, adapter, depth)
            stats.exhaustive_runs, stats.steps = exh.runs, stats.steps + exh.steps
            if exh.failure is not None:
                stats.failure = exh.failure.render()
    finally:
        adapter.close()
    stats.seconds = time.perf_counter() - t0
    return stats


# ---------------------------------------------------------------- 3. counterexample replay


@dataclass
class ReplayOutcome:
    version: str
    model: str
    property: str
    steps: int = 0
    reproduced: bool = False  # on its own version
    followed: bool = False  # ... agreeing with the trace's state at every step
    fixed: dict[str, bool] = field(default_factory=dict)  # fixed version -> reproduced there (must be False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.reproduced and self.followed and not any(self.fixed.values())

    def line(self) -> str:
        own = ("reproduced" if self.reproduced else "NOT REPRODUCED") + ("" if self.followed else " (diverged)")
        fixed = ", ".join(f"{v}: {'REPRODUCED' if rep else 'not reproduced'}" for v, rep in self.fixed.items())
        return (f"{self.version:10} {self.model:6} {self.property:20} {self.steps:3} steps: {own} on {self.version}"
                + (f"; fixed in {fixed}" if fixed else "; no version fixes it")
                + (f"; error: {self.error}" if self.error else ""))


def violated_invariants(version: str, model: str) -> list[str]:
    spec = compiled(version, model).spec
    invariants = {p.name for p in spec.properties if p.kind == "invariant"}
    return [c.property for c in spec.model(model).checks if c.expected == "violated" and c.property in invariants]


def fixed_versions(version: str, model: str, prop: str) -> list[str]:
    """The other versions whose model ``model`` declares ``prop`` to hold."""
    out = []
    for v in VERSIONS:
        if v == version:
            continue
        checks = {c.property: c.expected for c in compiled(v, model).spec.model(model).checks}
        if checks.get(prop) == "holds":
            out.append(v)
    return out


def counterexample(version: str, model: str, prop: str):
    """The embedded checker's counterexample to ``prop`` (a violated Report)."""
    from ..engines.embedded.runner import check

    cm = compiled(version, model)
    report = check(cm.spec, model, property=prop)
    if report.verdict != "violated":
        raise RuntimeError(f"{version} {model}: {prop} is declared violated but the checker says {report.verdict}")
    return report


def replay_counterexample(version: str, model: str, prop: str) -> ReplayOutcome:
    from .replay import replay

    out = ReplayOutcome(version, model, prop)
    try:
        report = counterexample(version, model, prop)
        out.steps = len(report.trace) - 1
        cm = compiled(version, model)
        adapter = KvmAdapter(version, cm)
        try:
            own = replay(cm, report, adapter, prop)
        finally:
            adapter.close()
        out.reproduced, out.followed = own.reproduced, own.followed
        if own.error:
            out.error = own.error
        for fixed in fixed_versions(version, model, prop):
            fm = compiled(fixed, model)
            cross = CrossVersionAdapter(version, fixed, fm)
            try:
                res = replay(fm, report, cross, prop)
            finally:
                cross.close()
            out.fixed[fixed] = res.reproduced
            if res.error and out.error is None:
                out.error = f"on {fixed}: {res.error}"
    except Exception as e:  # noqa: BLE001 - reported on the outcome's line
        out.error = f"{type(e).__name__}: {e}"
    return out


# ---------------------------------------------------------------- mutants


@dataclass
class Catch:
    version: str
    model: str | None = None  # None: not caught
    run: int = 0  # runs tried (the catching one included)
    seed: int = 0
    event: int = 0  # the first event no spec step explains (from 1)
    step: str = ""  # that event's step, e.g. "vcpu R5"
    differs: tuple[str, ...] = ()  # the variables its spec step would have set otherwise (empty: not enabled)
    partial: bool = False  # the same run is also caught with partial observation

    def text(self) -> str:
        if self.model is None:
            return f"{self.version}: NOT CAUGHT in {self.run} runs"
        why = f"{'/'.join(self.differs)} differs" if self.differs else "not enabled"
        return (f"{self.version}: {self.model} seed {self.seed} event {self.event} {self.step} ({why})"
                + ("" if self.partial else " [full only]"))


def differing_variables(model, res) -> tuple[str, ...]:
    """For a failed validation: the observed variables on which every spec
    step of the failing event's kind disagrees (the fewest over candidates)."""
    from .validate import matches

    ev = res.failed_event
    best: tuple[str, ...] | None = None
    for s in res.candidates:
        for info, t in model.successors(s):
            if (info.process, info.self, info.label) != (ev.process, ev.self, ev.label):
                continue
            values = model.to_values(t)
            keys = tuple(k for k, v in ev.observed.items() if not matches(values[k], v))
            if best is None or len(keys) < len(best):
                best = keys
    return best or ()


def catch_mutant(mutant, version: str, runs: int, seed: int = 0) -> Catch:
    """Deterministic runs of the mutated implementation, alternating between
    the models, until a trace fails full-observation validation."""
    catch = Catch(version)
    for i in range(runs):
        model = MODELS[i % len(MODELS)]
        cm, dec = compiled(version, model), decoder(version, model)
        with mutant.apply():
            r = implementation_run(version, model, i, seed + i, "deterministic")
        catch.run = i + 1
        res = validate(cm, to_trace(dec, r))
        if not res.ok:
            catch.model, catch.seed, catch.event = model, seed + i, res.explained + 1
            ev = res.failed_event
            catch.step = f"{ev.process} {ev.label}"
            catch.differs = differing_variables(cm, res)
            catch.partial = not validate(cm, to_trace(dec, r, partial=True)).ok
            return catch
    return catch


# ---------------------------------------------------------------- 4. the TLC validator


#: the mutant whose rejected trace TLC must reject too (applies to every version)
TLC_MUTANT = "unlock_before_exit"


@dataclass
class TlcAgreement:
    version: str
    traces: int = 0
    agree: int = 0
    events: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.agree == self.traces and not self.failures

    def line(self) -> str:
        return (f"{self.version:10} {self.traces} traces ({self.events} events), TLC and embedded agree on "
                f"{self.agree}/{self.traces} [{self.seconds:.1f} s of TLC]")


def tlc_agreement(version: str, runs: int, tools, seed: int = 0, mutant_runs: int = 60) -> TlcAgreement:
    """``runs`` implementation runs (full and partial observation) and one
    rejected mutant trace, each validated by both validators."""
    from ..kvm import mutants
    from ..language import load
    from .tlc_trace import validate_with_tlc

    spec = load(f"spec/kvm/{version}.pyspec")
    out = TlcAgreement(version)
    cases = []
    for i in range(runs):
        model = MODELS[i % len(MODELS)]
        r = implementation_run(version, model, i, seed + i, "deterministic")
        for partial in (False, True):
            cases.append((model, f"seed {seed + i} ({'partial' if partial else 'full'})",
                          to_trace(decoder(version, model), r, partial)))
    m = mutants.MUTANTS[TLC_MUTANT]
    for i in range(mutant_runs):
        model = MODELS[i % len(MODELS)]
        with m.apply():
            r = implementation_run(version, model, i, seed + i, "deterministic")
        trace = to_trace(decoder(version, model), r)
        if not validate(compiled(version, model), trace).ok:
            cases.append((model, f"mutant {m.name} seed {seed + i}", trace))
            break
    for model, what, trace in cases:
        emb = validate(compiled(version, model), trace)
        tlc = validate_with_tlc(spec, model, trace, tools=tools, explain=False)
        out.traces += 1
        out.events += len(trace.events)
        out.seconds += tlc.seconds
        if tlc.error:
            out.failures.append(f"{version} {model} {what}: {tlc.error}")
        elif tlc.ok == emb.ok and tlc.explained == emb.explained:
            out.agree += 1
        else:
            out.failures.append(f"{version} {model} {what}: embedded {'accepts' if emb.ok else 'rejects'} "
                                f"(explains {emb.explained}), TLC {'accepts' if tlc.ok else 'rejects'} "
                                f"(explains {tlc.explained})")
    return out


# ---------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m pyspec.conformance.kvm",
                                 description="Conformance of the KVM reference implementation with spec/kvm.")
    ap.add_argument("--runs", type=int, default=1000, help="validated runs per version and scheduler (default 1000)")
    ap.add_argument("--drive-runs", type=int, default=100, help="random spec-driven runs per version and model")
    ap.add_argument("--drive-steps", type=int, default=60, help="steps per random spec-driven run")
    ap.add_argument("--depth", type=int, default=4, help="spec-driven testing of every path to this depth (model small)")
    ap.add_argument("--mutant-runs", type=int, default=60, help="runs per mutant and version before giving up")
    ap.add_argument("--versions", default=",".join(VERSIONS), help="comma-separated (default: all four)")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--no-replay", action="store_true", help="skip counterexample replay")
    ap.add_argument("--tlc-runs", type=int, default=3,
                    help="runs per version also validated by TLC when a jar is found (default 3; 0: skip)")
    ap.add_argument("--jar", help="tla2tools.jar (default: TLA2TOOLS_JAR, then the per-user cache)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    versions = [v for v in args.versions.split(",") if v]
    unknown = [v for v in versions if v not in VERSIONS]
    if unknown:
        print(f"error: unknown version(s) {', '.join(unknown)}; one of {', '.join(VERSIONS)}", file=sys.stderr)
        return 2
    try:
        return _run(args, versions)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a one-line error, never a traceback
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


def _run(args, versions: list[str]) -> int:
    from ..kvm import mutants

    t_start = time.perf_counter()
    ok = True
    totals = {"deterministic": 0, "threaded": 0}

    print(f"== trace validation (models {', '.join(MODELS)}; full and partial observation)", flush=True)
    for version in versions:
        for mode in ("deterministic", "threaded"):
            st = validate_runs(version, mode, args.runs, args.seed)
            totals[mode] += st.runs
            print(st.line(), flush=True)
            for f in st.failures:
                print("  " + f.replace("\n", "\n  "))
            ok &= st.ok

    print("== spec-driven testing", flush=True)
    for version in versions:
        for model in MODELS:
            ds = drive_version(version, model, args.drive_runs, args.drive_steps,
                               args.depth if model == "small" else 0, args.seed)
            print(ds.line(), flush=True)
            if ds.failure:
                print("  " + ds.failure.replace("\n", "\n  "))
            ok &= ds.ok

    replays = 0
    if not args.no_replay:
        print("== counterexample replay", flush=True)
        for version in versions:
            for model in MODELS:
                for prop in violated_invariants(version, model):
                    ro = replay_counterexample(version, model, prop)
                    replays += 1
                    print(ro.line(), flush=True)
                    ok &= ro.ok

    tlc_traces = 0
    if args.tlc_runs > 0:
        from ..engines.tlc.jar import ToolMissing, resolve

        try:
            tools = resolve(args.jar)
        except ToolMissing as e:
            print(f"== trace validation with TLC: skipped ({str(e).splitlines()[0]})", flush=True)
        else:
            print("== trace validation with TLC (the embedded validator's verdicts, checked by TLC)", flush=True)
            for version in versions:
                ag = tlc_agreement(version, args.tlc_runs, tools, args.seed, args.mutant_runs)
                tlc_traces += ag.traces
                print(ag.line(), flush=True)
                for f in ag.failures:
                    print("  " + f)
                ok &= ag.ok

    print("== mutants", flush=True)
    caught = total = 0
    for m in mutants.MUTANTS.values():
        vs = [v for v in m.versions if v in versions]
        if not vs:
            continue
        total += 1
        catches = [catch_mutant(m, v, args.mutant_runs, args.seed) for v in vs]
        hit = all(c.model is not None for c in catches)
        caught += hit
        print(f"{'caught' if hit else 'MISSED':7}{m.name:34}" + "; ".join(c.text() for c in catches), flush=True)

    elapsed = time.perf_counter() - t_start
    runs = ", ".join(f"{n} {mode}" for mode, n in totals.items())
    print(f"runs: {runs} ({len(versions)} versions); counterexamples replayed: {replays}; "
          f"traces validated by TLC: {tlc_traces}; wall time {elapsed:.0f} s")
    print(f"mutants caught: {caught}/{total}")
    return 0 if ok and caught == total else 1


if __name__ == "__main__":
    sys.exit(main())
