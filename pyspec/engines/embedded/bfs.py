"""Breadth-first exhaustive search: safety properties and deadlock.

One exploration checks any number of invariants, action properties and the
deadlock condition; each property is tracked until its first (shortest)
violation, then dropped.  ``stop_first`` ends the run at the first violation
of any of them (what ``pyspec check --property``/TLC do); otherwise the run
goes on until every tracked property is violated or the state space is
exhausted, so that one exploration answers every safety property of a model.

Semantics follow TLC (docs/semantics.md):

- a state is checked against the invariants when it is first found;
- action properties are checked on every step ``s -> t`` with ``s != t``
  (also when ``t`` was seen before);
- a state with no successor is a deadlock unless every process is Done;
- a state violating the state constraint is checked (invariants, action
  properties) but neither counted as a distinct state nor expanded (TLC
  does not put it in its fingerprint set);
- with symmetry, every state is replaced by its canonical representative
  before the seen-set lookup, so distinct states are orbits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...compile import CompiledModel
from .store import StateStore


@dataclass
class Violation:
    """The first violation of one property."""

    prop: str  # property name, "deadlock", or "error"
    kind: str  # invariant | action | deadlock | error
    index: int  # the last stored state of the counterexample (-1: none)
    state: int | None  # a final state that is not stored (a successor), or None
    distinct: int
    generated: int
    depth: int  # length of the counterexample in states
    seconds: float
    message: str | None = None


@dataclass
class ExploreResult:
    store: StateStore
    violations: dict[str, Violation] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # violated properties in the order found
    error: Violation | None = None
    distinct: int = 0
    generated: int = 0
    depth: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # None: exhausted | first-violation | all-violated | max-states | max-depth | interrupted | error
    queue: int = 0
    worker_cpu: list = field(default_factory=list)  # --workers: CPU seconds of each worker process

    @property
    def complete(self) -> bool:
        return self.stopped is None


@dataclass
class Options:
    invariants: list[str] = field(default_factory=list)
    init_invariants: list[tuple] = field(default_factory=list)  # (name, fast, checked): initial states only
    extra_invariants: list[tuple] = field(default_factory=list)  # (name, fast, checked): implied invariants
    actions: list[str] = field(default_factory=list)
    deadlock: bool = False
    stop_first: bool = False
    symmetry: Callable[[int], int] | None = None
    max_states: int | None = None
    max_depth: int | None = None
    progress: Any = None  # an object with update(stats) and close()
    checkpoint: str | None = None  # file to write periodic checkpoints to
    checkpoint_every: float = 60.0  # seconds
    recover: str | None = None  # checkpoint file to resume from


class _Stop(Exception):
    pass


class _Tracking:
    """The properties still tracked, and what to do when one fails."""

    def __init__(self, model: CompiledModel, opts: Options, res: ExploreResult, t0: float):
        self.model = model
        self.opts = opts
        self.res = res
        self.t0 = t0
        self.spec_invs = set(opts.invariants)
        self.invs = [(n, model.invariants[n][0]) for n in opts.invariants] + \
            [(n, f) for n, f, _ in opts.extra_invariants]
        self.init_invs = [(n, f) for n, f, _ in opts.init_invariants]
        self.acts = [(n, model.action_properties[n][0]) for n in opts.actions]
        self.deadlock = opts.deadlock
        self.generated = 0

    def forget(self) -> None:
        """Stop tracking what ``res`` already reports violated (recovery)."""
        v = self.res.violations
        self.invs = [x for x in self.invs if x[0] not in v]
        self.acts = [x for x in self.acts if x[0] not in v]
        self.init_invs = [x for x in self.init_invs if x[0] not in v]
        if "deadlock" in v:
            self.deadlock = False

    def left(self) -> int:
        return len(self.invs) + len(self.acts) + (1 if self.deadlock else 0) + len(self.init_invs)

    def record(self, prop: str, kind: str, index: int, state: int | None, length: int) -> None:
        res = self.res
        if prop in res.violations:
            return
        res.violations[prop] = Violation(prop, kind, index, state, len(res.store.states), self.generated, length,
                                         time.monotonic() - self.t0)
        res.order.append(prop)

    def after(self) -> None:
        if self.opts.stop_first:
            raise _Stop("first-violation")
        if not self.left():
            raise _Stop("all-violated")

    def check(self) -> Callable[[int], bool] | None:
        """One function: do all tracked invariants hold?  (None: none tracked.)"""
        invs = self.invs
        if not invs:
            return None
        names = [n for n, _ in invs if n in self.spec_invs]
        others = [f for n, f in invs if n not in self.spec_invs]
        fn = self.model.invariant_conjunction(names)
        if not others:
            return fn
        if fn is None and len(others) == 1:
            return others[0]
        fs = ([fn] if fn is not None else []) + others
        return lambda t: all(f(t) for f in fs)

    def failed_invariants(self, t: int, index: int, state: int | None, length: int) -> None:
        keep = []
        for name, f in self.invs:
            if f(t):
                keep.append((name, f))
            else:
                self.record(name, "invariant", index, state, length)
        self.invs = keep
        self.after()

    def failed_init(self, t: int, index: int) -> None:
        keep = []
        for name, f in self.init_invs:
            if f(t):
                keep.append((name, f))
            else:
                self.record(name, "invariant", index, None, 1)
                self.invs = [x for x in self.invs if x[0] != name]
        self.init_invs = keep
        self.after()

    def failed_actions(self, s: int, t: int, index: int, length: int) -> None:
        keep = []
        for name, f in self.acts:
            if f(s, t):
                keep.append((name, f))
            else:
                self.record(name, "action", index, t, length)
        self.acts = keep
        self.after()


def explore(model: CompiledModel, opts: Options) -> ExploreResult:
    t0 = time.monotonic()
    store = StateStore()
    res = ExploreResult(store)
    tr = _Tracking(model, opts, res, t0)
    canon = opts.symmetry
    constraint = model.constraint
    i = 0
    depth = 1
    in_init = not opts.recover
    if opts.recover:
        from .checkpoint import load_checkpoint

        cp = load_checkpoint(opts.recover, model)
        store = res.store = cp.store
        i, tr.generated, depth = cp.cursor, cp.generated, cp.depth
        for prop, v in cp.violations.items():
            res.violations[prop] = v
            res.order.append(prop)
        tr.forget()
        tr.init_invs = []
        t0 -= cp.seconds
        tr.t0 = t0
    seen, states, parents = store.seen, store.states, store.parents
    seen_add, states_append, parents_append = seen.add, states.append, parents.append
    generated = 0
    try:
        if not opts.recover:
            for s0 in model.initial_states():
                tr.generated += 1
                if canon is not None:
                    s0 = canon(s0)
                if constraint is not None and not constraint(s0):
                    if tr.invs and not all(f(s0) for _, f in tr.invs):
                        tr.failed_invariants(s0, -1, s0, 1)
                    continue
                if s0 in seen:
                    continue
                seen_add(s0)
                states_append(s0)
                parents_append(-1)
                if tr.init_invs and not all(f(s0) for _, f in tr.init_invs):
                    tr.failed_init(s0, len(states) - 1)
                if tr.invs and not all(f(s0) for _, f in tr.invs):
                    tr.failed_invariants(s0, len(states) - 1, None, 1)
            store.level_ends.append(len(states))
            tr.init_invs = []
            if res.order and not tr.left():
                raise _Stop("all-violated")
        in_init = False

        next_fast = model.next_fast
        is_terminal = model.is_terminal
        out: list[int] = []
        ap = out.append
        max_states = opts.max_states if opts.max_states is not None else 1 << 62
        max_depth = opts.max_depth if opts.max_depth is not None else 1 << 62
        progress = opts.progress
        last_cp = time.monotonic()
        level_ends = store.level_ends
        level_end = level_ends[-1]
        inv = tr.check()
        acts = tr.acts
        check_deadlock = tr.deadlock
        generated = tr.generated
        simple = constraint is None and not acts
        n_states = len(states)
        while i < n_states:
            if i == level_end:
                level_end = n_states
                level_ends.append(level_end)
                depth += 1
                if depth > max_depth:
                    raise _Stop("max-depth")
            if n_states >= max_states:
                raise _Stop("max-states")
            s = states[i]
            next_fast(s, ap)
            generated += len(out)
            if not out:
                if is_terminal(s):
                    generated += 1  # TLC's Terminating step (a stutter) counts as generated
                elif check_deadlock:
                    tr.generated = generated
                    tr.record("deadlock", "deadlock", i, None, depth)
                    tr.deadlock = check_deadlock = False
                    tr.after()
            elif simple:
                # with symmetry, ``seen`` holds representatives only, so a
                # successor that is itself in ``seen`` needs no
                # canonicalisation (most successors of a symmetric model)
                for t in out:
                    if t in seen:
                        continue
                    if canon is not None:
                        t = canon(t)
                        if t in seen:
                            continue
                    seen_add(t)
                    states_append(t)
                    parents_append(i)
                    if inv is not None and not inv(t):
                        tr.generated = generated
                        tr.failed_invariants(t, len(states) - 1, None, depth + 1)
                        inv = tr.check()
                n_states = len(states)
            else:
                for t in out:
                    if acts and t != s:
                        for _, f in acts:
                            if not f(s, t):
                                tr.generated = generated
                                tr.failed_actions(s, t, i, depth + 1)
                                acts = tr.acts
                                break
                    if t in seen:
                        continue
                    if canon is not None:
                        t = canon(t)
                        if t in seen:
                            continue
                    if constraint is not None and not constraint(t):
                        if inv is not None and not inv(t):
                            tr.generated = generated
                            tr.failed_invariants(t, i, t, depth + 1)
                            inv = tr.check()
                        continue
                    seen_add(t)
                    states_append(t)
                    parents_append(i)
                    if inv is not None and not inv(t):
                        tr.generated = generated
                        tr.failed_invariants(t, len(states) - 1, None, depth + 1)
                        inv = tr.check()
                n_states = len(states)
            out.clear()
            i += 1
            if not i & 4095:
                tr.generated = generated
                now = time.monotonic()
                if progress is not None:
                    progress.update(distinct=n_states, generated=generated, queue=n_states - i,
                                    depth=depth, seconds=now - t0)
                if opts.checkpoint and now - last_cp >= opts.checkpoint_every:
                    from .checkpoint import save_checkpoint

                    save_checkpoint(opts.checkpoint, model, store, i, generated, depth, now - t0, res.violations)
                    last_cp = time.monotonic()
        tr.generated = generated
        if len(states) and store.level_ends[-1] < len(states):
            store.level_ends.append(len(states))
    except _Stop as stop:
        res.stopped = str(stop)
    except KeyboardInterrupt:
        res.stopped = "interrupted"
        if opts.checkpoint:
            from .checkpoint import save_checkpoint

            save_checkpoint(opts.checkpoint, model, store, i, tr.generated, depth, time.monotonic() - t0,
                            res.violations)
    except Exception as e:  # noqa: BLE001 - evaluation errors of the spec
        res.stopped = "error"
        res.error = _diagnose(model, store, -1 if in_init else i, e, opts, tr.generated, time.monotonic() - t0)
    res.distinct = len(store.states)
    res.generated = max(tr.generated, generated)
    res.depth = len(store.level_ends) if store.level_ends and store.level_ends[-1] else 0
    if res.stopped in ("max-states", "max-depth", "interrupted"):
        res.depth = max(depth, 1) if store.states else 0
    res.queue = max(0, len(store.states) - i)
    res.seconds = time.monotonic() - t0
    if opts.progress is not None:
        try:
            opts.progress.update(distinct=res.distinct, generated=res.generated, queue=res.queue,
                                 depth=res.depth, seconds=res.seconds)
        except KeyboardInterrupt:
            pass
    return res


def _diagnose(model: CompiledModel, store: StateStore, i: int, exc: Exception, opts: Options, generated: int,
              seconds: float) -> Violation:
    """Find which evaluation failed (checked variants name the spec position)."""
    from ...compile.runtime import EvalError

    def viol(index, state, msg):
        length = (len(store.path(index)) if index >= 0 else 0) + (1 if state is not None else 0)
        return Violation("error", "error", index, state, len(store.states), generated, length, seconds, msg)

    def first_error(fn, *args):
        try:
            fn(*args)
        except EvalError as e:
            return str(e)
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"
        return None

    invs = [(n, model.invariants[n][1]) for n in opts.invariants] + \
        [(n, c) for n, _, c in opts.extra_invariants]
    inits = [(n, c) for n, _, c in opts.init_invariants]
    if i < 0 or i >= len(store.states):  # failed on an initial state
        for s0 in model.initial_states():
            if opts.symmetry is not None:
                s0 = opts.symmetry(s0)
            for n, f in inits + invs:
                m = first_error(f, s0)
                if m:
                    return viol(-1, s0, f"evaluating {n}: {m}")
            if model.constraint_checked is not None:
                m = first_error(model.constraint_checked, s0)
                if m:
                    return viol(-1, s0, f"evaluating the state constraint: {m}")
        return viol(-1, None, f"{type(exc).__name__}: {exc}")
    s = store.states[i]
    m = first_error(model.next_full, s, lambda x: None)
    if m:
        return viol(i, None, m)
    for _, t in model.successors(s):
        for n in opts.actions:
            m = first_error(model.action_properties[n][1], s, t)
            if m:
                return viol(i, t, f"evaluating action property {n}: {m}")
        if opts.symmetry is not None:
            t = opts.symmetry(t)
        if model.constraint_checked is not None:
            m = first_error(model.constraint_checked, t)
            if m:
                return viol(i, t, f"evaluating the state constraint: {m}")
        for n, f in invs:
            m = first_error(f, t)
            if m:
                return viol(i, t, f"evaluating {n}: {m}")
    # the error came from a state found later in the same expansion
    for j in range(i, len(store.states)):
        t = store.states[j]
        for n, f in invs:
            m = first_error(f, t)
            if m:
                return viol(j, None, f"evaluating {n}: {m}")
    return viol(i, None, f"{type(exc).__name__}: {exc}")
