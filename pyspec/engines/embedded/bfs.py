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

import bisect
import gc
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

import numpy as np

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
    stopped: str | None = None  # None: exhausted | first-violation | all-violated | max-states | max-depth | interrupted | error | handover | handback | fallback
    queue: int = 0
    worker_cpu: list = field(default_factory=list)  # --workers: CPU seconds of each worker process
    fallback: str | None = None  # stopped == "fallback": why the compiled engine gave the search back

    @property
    def complete(self) -> bool:
        return self.stopped is None


@dataclass
class Options:
    invariants: list[str] = field(default_factory=list)
    init_invariants: list[tuple] = field(default_factory=list)  # (name, fast, checked): initial states only
    extra_invariants: list[tuple] = field(default_factory=list)  # (name, fast, checked): implied invariants
    actions: list[str] = field(default_factory=list)
    # (name, fast, checked, read_mask) of (s, t): the steps of refinement
    # properties (pyspec.compile.refinement; read_mask(): the bits of s and
    # of t their verdict depends on, for the compiled engine's memo); their
    # initial parts are init_invariants
    extra_actions: list[tuple] = field(default_factory=list)
    deadlock: bool = False
    stop_first: bool = False
    symmetry: Callable[[int], int] | None = None
    max_states: int | None = None
    max_depth: int | None = None
    progress: Any = None  # an object with update(stats) and close()
    checkpoint: str | None = None  # file to write periodic checkpoints to
    checkpoint_every: float = 60.0  # seconds
    recover: str | None = None  # checkpoint file to resume from
    resume: Any = None  # a Checkpoint (in memory) to resume from: a search handed over by another engine
    handover: float | None = None  # seconds: stop at the first level boundary after this long ("handover")
    # seconds: stop sooner, at a level boundary where the next level would
    # take this long at the rate of the search so far ("handover")
    handover_ahead: float | None = None
    # seconds: ... or at a level boundary where the levels grow by
    # HANDOVER_GROWTH or more and the next would take this long
    handover_growing: float | None = None
    # states expanded per second below which the compiled engine hands a
    # search back ("handback"; set by the runner from the Python engine's
    # rate before the hand-over)
    handback_rate: float | None = None


def _hand_over(opts: Options, spent: float, expanded: int, level: int, previous: int) -> bool:
    """At a level boundary, ``spent`` seconds into a search that expanded
    ``expanded`` states, the next level ``level`` states and the one just
    expanded ``previous``: time to hand over?

    After ``opts.handover`` seconds, yes -- unless the levels shrink so fast
    that what is left would take the Python engine less than that again:
    ``level / (1 - r)`` states at the rate so far, the geometric sum of
    levels shrinking by ``r = level / previous`` (disruptor_mpmc at 0.4 s:
    87% expanded, its levels 2,444 then 2,312, about 0.2 s left; levels
    about as large as the one before count as shrinking slowly: see
    :func:`_levels_after`).  Sooner,
    when the next level alone would take ``opts.handover_ahead`` seconds,
    or ``opts.handover_growing`` seconds while the levels grow by
    HANDOVER_GROWTH or more: it and the two after it would then take the
    Python engine longer than numba's start-up (multi_paxos's levels double,
    at 20,000 states a second: handed over at 0.16 s, not 0.4 s; paxos's
    grow by a third at most, and its whole search takes 0.34 s)."""
    if expanded <= 0:
        return False
    if spent >= opts.handover:
        return _much_left(opts, spent, expanded, level, level, previous)
    ahead = opts.handover_ahead
    if ahead is not None and level * spent >= ahead * expanded:
        return True
    growing = opts.handover_growing
    return growing is not None and level >= HANDOVER_GROWTH * previous and level * spent >= growing * expanded


def _hand_over_within(opts: Options, spent: float, expanded: int, rest: int, size: int, previous: int) -> bool:
    """In the middle of a level of ``size`` states (the one before it:
    ``previous``), ``spent`` seconds into a search that expanded
    ``expanded`` states, ``rest`` of the level left.  After
    ``opts.handover`` seconds, hand over now rather than at the level's end
    (the Python engine may be a second away: multi_paxos's levels take it
    0.3-0.7 s each) -- unless the levels shrink so fast that what is left
    would take it less than that again: the rest of the level and the
    levels after it, shrinking as this one did (:func:`_hand_over`'s
    estimate at a boundary; disruptor_mpmc at 0.4 s: levels of 2,444 then
    2,312 states, 0.2 s left).  Not when the rest of the level would take
    less than HANDOVER_REST of ``opts.handover``: the level's end is near,
    where the rule at the boundary sees the next level whole (disruptor_mpmc's
    levels are a few milliseconds, and go up and down by a few percent)."""
    if spent < opts.handover or rest <= 0 or expanded <= 0:
        return False
    if rest * spent < HANDOVER_REST * opts.handover * expanded:
        return False  # the level's end is near: the rule at the boundary decides
    return _much_left(opts, spent, expanded, rest, size, previous)


def _much_left(opts: Options, spent: float, expanded: int, rest: int, level: int, previous: int) -> bool:
    """Once the hand-over time is up: would what is left (``rest`` states
    of a level of ``level`` after one of ``previous``, then the levels after
    it) take the Python engine that long again, at the rate so far?"""
    after = _levels_after(level, previous)
    if after is None or spent >= HANDOVER_LONG * opts.handover:
        return True
    return (rest + after) * spent >= opts.handover * expanded


def _levels_after(level: int, previous: int) -> float | None:
    """States in the levels after one of ``level`` states that followed one
    of ``previous``: None (no bound) while the levels grow by
    HANDOVER_FLAT or more; else their geometric sum at the ratio ``r`` of
    the two, at most HANDOVER_FLAT_RATIO.  Levels about as large as the one
    before are taken to shrink slowly: disruptor_mpmc's grow by 1-2% up to
    its peak at 0.37 s, then fall, and its whole search takes the Python
    engine 0.47 s; counted as growing, the rule handed it over at 0.4 s
    when the machine was a little slow (1.1 s in all).  A search that keeps
    such levels is handed over at HANDOVER_LONG times the hand-over time."""
    if level >= HANDOVER_FLAT * previous:
        return None
    r = min(level / previous, HANDOVER_FLAT_RATIO)
    return level * r / (1 - r)


class _Stop(Exception):
    cursor: int | None = None  # the state being expanded, when not the search's cursor


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
        self.acts = [(n, model.action_properties[n][0]) for n in opts.actions] + \
            [(n, f) for n, f, _, _ in opts.extra_actions]
        self.deadlock = opts.deadlock
        self.generated = 0
        self.found: int | None = None  # distinct states when the violation being recorded was found

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
        found = len(res.store) if self.found is None else self.found
        res.violations[prop] = Violation(prop, kind, index, state, found, self.generated, length,
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
                self.acts = [x for x in self.acts if x[0] != name]  # (a refinement: decided)
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


#: Successors collected (after the set of recent ones) before they are
#: handed to the store in one batch; bounds the Python set, which then stays
#: in the CPU cache.
FLUSH = 1 << 15
#: States read from the store per block of the queue.
BLOCK = 1 << 12
#: In the middle of a level, the hand-over rule (_hand_over_within) is
#: asked every this many + 1 states (a mask of the cursor) ...
HANDOVER_EVERY = (1 << 8) - 1
#: ... where it waits for the level's end if that is less than this share
#: of the hand-over time away
HANDOVER_REST = 0.25
#: levels growing by this factor or more (_hand_over's handover_growing rule)
HANDOVER_GROWTH = 1.5
#: levels growing by less than this factor count as shrinking slowly, by
#: this ratio at most (_levels_after) ...
HANDOVER_FLAT = 1.05
HANDOVER_FLAT_RATIO = 0.95
#: ... until the search has run this many times the hand-over time
HANDOVER_LONG = 2.5


class _Pending:
    """Successors not stored yet: a set of the recent ones, and the batch in the order found.

    ``blocks``: (first state, generated count before it) of each block of
    states expanded into the batch, to count what a violation found in the
    batch had generated (:func:`_generated_after`).
    """

    __slots__ = ("recent", "states", "parents", "blocks", "first", "init_generated")

    def __init__(self, first: int) -> None:
        self.recent: set[int] = set()
        self.states: list[int] = []
        self.parents = array("i")
        self.blocks: list[tuple[int, int]] = []
        self.first = first
        self.init_generated: list[int] = []  # initial states: the generated count when each was found

    def clear(self, first: int) -> None:
        self.recent.clear()
        self.states.clear()
        del self.parents[:]
        self.blocks.clear()
        self.init_generated.clear()  # (a flush among the initial states: they index the batch)
        self.first = first


def _generated_after(model: CompiledModel, store: StateStore, blocks: list[tuple[int, int]], parent: int,
                     default: int) -> int:
    """The generated count right after expanding state ``parent`` (re-expanding its block up to it)."""
    k = bisect.bisect_right(blocks, (parent, 1 << 62)) - 1
    if parent < 0 or k < 0:
        return default
    first, generated = blocks[k]
    out: list[int] = []
    for s in store.states(first, parent + 1):
        model.next_fast(s, out.append)
        generated += len(out) if out else (1 if model.is_terminal(s) else 0)
        out.clear()
    return generated


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off for a search.  A search keeps
    many container objects alive (memo tables, interned values, the
    decoded values the memos are keyed by) and makes no reference cycles;
    the collector, run every 700 allocations, traverses the young ones over
    and over and, from time to time, all of them: a quarter of the time of
    spec/corpus/paxos.pyspec without symmetry, for nothing to collect.
    Reference counting frees what a search drops, as before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def explore(model: CompiledModel, opts: Options) -> ExploreResult:
    """Breadth-first search, with :func:`no_cyclic_gc`.

    Successors go through a small set of recent ones into a batch, which
    goes into the store (:mod:`.store`) when it is full, at the end of each
    level and before any violation found while expanding is recorded; the
    invariants are checked on the states of a batch the store found new, in
    order.  So every count and trace is what a one-by-one insertion gives:
    on a stop, the store is cut after the violating state.
    """
    with no_cyclic_gc():
        return _explore(model, opts)


def _explore(model: CompiledModel, opts: Options) -> ExploreResult:
    t0 = time.monotonic()
    store = StateStore()
    res = ExploreResult(store)
    tr = _Tracking(model, opts, res, t0)
    canon = opts.symmetry
    constraint = model.constraint
    i = 0  # the next state to expand
    depth = 1
    in_init = not opts.recover and opts.resume is None
    flushing = -1  # while a batch is checked: the index of its first new state
    if opts.recover or opts.resume is not None:
        if opts.resume is not None:
            cp = opts.resume
        else:
            from .checkpoint import load_checkpoint

            cp = load_checkpoint(opts.recover, model)
        store = res.store = cp.store
        i = cp.cursor
        tr.generated, depth = cp.generated, cp.depth
        for prop, v in cp.violations.items():
            res.violations[prop] = v
            res.order.append(prop)
        tr.forget()
        tr.init_invs = []
        t0 -= cp.seconds
        tr.t0 = t0
    pending = _Pending(i)
    recent, cand = pending.recent, pending.states
    recent_add, cand_append, cpar_append = recent.add, cand.append, pending.parents.append
    inv = tr.check()
    bound = opts.max_states
    # a batch holds at most as many successors as there is room for below
    # the bound, so that the search stops where a one-at-a-time search does
    flush_at = FLUSH if bound is None else max(1, min(FLUSH, bound))

    def flush(length: int, upto: int, initial: bool = False) -> None:
        """Store the batch; check the invariants on its new states (at depth ``length``).

        ``upto``: the states before it are expanded, their successors all in the batch.
        """
        nonlocal inv, flushing, flush_at
        if cand:
            base = len(store)
            new = store.add_batch(cand, pending.parents)
            if (inv is not None or initial) and len(store) > base:
                flushing = base
                generated = tr.generated
                for j, t in enumerate(compress(cand, new.tolist()), base):
                    bad_init = initial and tr.init_invs and not all(f(t) for _, f in tr.init_invs)
                    if not bad_init and (inv is None or inv(t)):
                        continue
                    tr.found = j + 1
                    if initial:
                        tr.generated = pending.init_generated[int(np.flatnonzero(new)[j - base])]
                    else:
                        tr.generated = _generated_after(model, store, pending.blocks, store.parent(j), generated)
                    try:
                        if bad_init:
                            tr.failed_init(t, j)
                            inv = tr.check()
                        if inv is not None and not inv(t):
                            tr.failed_invariants(t, j, None, length)
                            inv = tr.check()
                    except _Stop as stop:
                        # as if stopped while expanding its parent, right after finding it
                        store.truncate(j + 1)
                        stop.cursor = max(store.parent(j), 0)
                        raise
                    tr.found = None
                    tr.generated = generated
                flushing = -1
        pending.clear(upto)
        if bound is not None:  # the bound is checked after each flush
            flush_at = max(1, min(FLUSH, bound - len(store)))

    def settle(length: int, i: int, generated: int, before_i: int) -> None:
        """Before recording a violation found while expanding state ``i``:
        store what was found before it (so that the counts are those of the
        moment), and restart the batch at ``i`` (``before_i``: the generated
        count before its expansion)."""
        tr.generated = generated
        flush(length, i)
        pending.blocks.append((i, before_i))

    generated = 0
    try:
        if in_init:
            for s0 in model.initial_states():
                tr.generated += 1
                if canon is not None:
                    s0 = canon(s0)
                if constraint is not None and not constraint(s0):
                    if tr.invs and not all(f(s0) for _, f in tr.invs):
                        flush(1, 0, initial=True)
                        tr.failed_invariants(s0, -1, s0, 1)
                        inv = tr.check()
                    continue
                if s0 not in recent:
                    recent_add(s0)
                    cand_append(s0)
                    cpar_append(-1)
                    pending.init_generated.append(tr.generated)
            flush(1, 0, initial=True)
            store.level_ends.append(len(store))
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
        handover = opts.handover
        while True:
            if i == level_end:
                tr.generated = generated
                flush(depth + 1, i)
                if len(store) == level_end:
                    break
                level_end = len(store)
                level_ends.append(level_end)
                depth += 1
                if depth > max_depth:
                    raise _Stop("max-depth")
                previous = i - (level_ends[-3] if len(level_ends) > 2 else 0)
                if opts.handover is not None and _hand_over(opts, time.monotonic() - t0, i, level_end - i, previous):
                    # every state of the new level stored, none expanded: the
                    # compiled engine goes on from here (runner._explore)
                    raise _Stop("handover")
            if len(store) >= max_states:
                raise _Stop("max-states")
            pending.blocks.append((i, generated))
            for s in store.states(i, min(level_end, i + BLOCK)):
                next_fast(s, ap)
                generated += len(out)
                if not out:
                    if is_terminal(s):
                        generated += 1  # TLC's Terminating step (a stutter) counts as generated
                    elif check_deadlock:
                        settle(depth + 1, i, generated, generated)
                        tr.record("deadlock", "deadlock", i, None, depth)
                        tr.deadlock = check_deadlock = False
                        tr.after()
                elif simple:
                    for t in out:
                        if t in recent:
                            continue
                        if canon is not None:
                            t = canon(t)
                            if t in recent:
                                continue
                        recent_add(t)
                        cand_append(t)
                        cpar_append(i)
                else:
                    for t in out:
                        if acts and t != s:
                            for _, f in acts:
                                if not f(s, t):
                                    settle(depth + 1, i, generated, generated - len(out))
                                    tr.failed_actions(s, t, i, depth + 1)
                                    acts = tr.acts
                                    break
                        if t in recent:
                            continue
                        if canon is not None:
                            t = canon(t)
                            if t in recent:
                                continue
                        if constraint is not None and not constraint(t):
                            # not stored: checked here, each time it is found
                            if inv is not None and not inv(t):
                                settle(depth + 1, i, generated, generated - len(out))
                                tr.failed_invariants(t, i, t, depth + 1)
                                inv = tr.check()
                            continue
                        recent_add(t)
                        cand_append(t)
                        cpar_append(i)
                out.clear()
                i += 1
                if handover is not None and not i & HANDOVER_EVERY and i < level_end:
                    start = level_ends[-2] if len(level_ends) > 1 else 0
                    before = start - (level_ends[-3] if len(level_ends) > 2 else 0)
                    if _hand_over_within(opts, time.monotonic() - t0, i, level_end - i, level_end - start, before):
                        # the level's states up to i expanded and their
                        # successors stored (as a checkpoint in the middle of
                        # a level): the compiled engine expands the rest from i
                        tr.generated = generated
                        flush(depth + 1, i)
                        raise _Stop("handover")
                if len(cand) >= flush_at:
                    tr.generated = generated
                    flush(depth + 1, i)
                    # the rest of the block starts the next batch (a Ctrl-C rewinds to it)
                    pending.blocks.append((i, generated))
                    if len(store) >= max_states:
                        raise _Stop("max-states")
            tr.generated = generated
            now = time.monotonic()
            if progress is not None:
                # distinct: the states stored, known distinct (successors still
                # in the batch are not de-duplicated yet, and would overshoot)
                progress.update(distinct=len(store), generated=generated,
                                queue=len(store) - i, depth=depth, seconds=now - t0)
            if opts.checkpoint and now - last_cp >= opts.checkpoint_every:
                from .checkpoint import save_checkpoint

                flush(depth + 1, i)
                save_checkpoint(opts.checkpoint, model, store, i, generated, depth, now - t0, res.violations)
                last_cp = time.monotonic()
        tr.generated = generated
    except _Stop as stop:
        res.stopped = str(stop)
        if stop.cursor is not None:
            i, generated = stop.cursor, tr.generated
    except KeyboardInterrupt:
        res.stopped = "interrupted"
        # the successors of the states from pending.first on were in the batch, lost:
        # they are expanded again on recovery, and counted again from there
        i = pending.first
        if pending.blocks and pending.blocks[0][0] == i:
            tr.generated = pending.blocks[0][1]
        generated = tr.generated
        if opts.checkpoint:
            from .checkpoint import save_checkpoint

            save_checkpoint(opts.checkpoint, model, store, i, tr.generated, depth, time.monotonic() - t0,
                            res.violations)
    except OSError:
        raise  # a checkpoint that cannot be written: bad input, not an error of the spec
    except Exception as e:  # noqa: BLE001 - evaluation errors of the spec
        res.stopped = "error"
        at = -1 if in_init else (i if flushing < 0 else flushing)
        res.error = _diagnose(model, store, at, e, opts, tr.generated, time.monotonic() - t0,
                              expanding=flushing < 0)
    res.distinct = len(store)
    res.generated = max(tr.generated, generated)
    res.depth = len(store.level_ends) if store.level_ends and store.level_ends[-1] else 0
    if res.stopped in ("max-states", "max-depth", "interrupted", "handover"):
        res.depth = max(depth, 1) if len(store) else 0
    res.queue = max(0, len(store) - i)
    res.seconds = time.monotonic() - t0
    if opts.progress is not None:
        try:
            opts.progress.update(distinct=res.distinct, generated=res.generated, queue=res.queue,
                                 depth=res.depth, seconds=res.seconds)
        except KeyboardInterrupt:
            pass
    return res


def _diagnose(model: CompiledModel, store: StateStore, i: int, exc: Exception, opts: Options, generated: int,
              seconds: float, expanding: bool = True) -> Violation:
    """Find which evaluation failed (checked variants name the spec position).

    ``i``: the state being expanded, or (``expanding`` false) the first new
    state of the batch whose invariants were being checked.
    """
    from ...compile.runtime import EvalError

    def viol(index, state, msg):
        length = (len(store.path(index)) if index >= 0 else 0) + (1 if state is not None else 0)
        return Violation("error", "error", index, state, len(store), generated, length, seconds, msg)

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
    if i < 0 or i >= len(store):  # failed on an initial state
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
    s = store.state(i)
    m = first_error(model.next_full, s, lambda x: None) if expanding else None
    if m:
        return viol(i, None, m)
    for _, t in model.successors(s) if expanding else ():
        for n in opts.actions:
            m = first_error(model.action_properties[n][1], s, t)
            if m:
                return viol(i, t, f"evaluating action property {n}: {m}")
        for n, _, checked, _ in opts.extra_actions:
            m = first_error(checked, s, t)
            if m:
                return viol(i, t, f"evaluating refinement {n}: {m}")
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
    for j, t in enumerate(store.states(i), i):
        for n, f in invs:
            m = first_error(f, t)
            if m:
                return viol(j, None, f"evaluating {n}: {m}")
    return viol(i, None, f"{type(exc).__name__}: {exc}")
