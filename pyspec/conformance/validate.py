"""Trace validation: is an implementation's trace a behaviour of the spec?

The validator keeps the set of spec states consistent with the trace so far
(initially: the initial states matching the observed initial values).  For
each event it takes, from every candidate, the successors by the event's
step (process, instance, label, and the ``any`` choices it logged) whose
values agree with what the event observed.  Variables that were not logged
are thereby chosen existentially, as in the TLA+ trace-validation method of
Cirstea, Kuppe, Merz et al. (2024).  The trace is valid when every event is
explained; otherwise the report names the first event no spec step explains,
the candidate states before it, and the steps that were enabled there.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from ..values import FMap, Record, format_value
from .traces import Event, Trace

#: How many candidate states a failure report shows.
SHOW_CANDIDATES = 3
#: Candidate sets larger than this mean the trace observes too little.
MAX_CANDIDATES = 100_000


def matches(actual: Any, observed: Any) -> bool:
    """Does a spec value agree with an observation?  Maps (not records) may
    be observed partially: only the listed keys are compared."""
    if type(observed) is FMap and isinstance(actual, FMap) and not isinstance(actual, Record):
        got = actual._d
        want = observed._d
        if got == want:  # fully observed: one comparison of the underlying dicts
            return True
        for k, v in want.items():
            if k not in got or not matches(got[k], v):
                return False
        return True
    return actual == observed


def state_matches(model, s: int, observed: dict[str, Any]) -> bool:
    if not observed:
        return True
    values = model.to_values(s)
    return all(matches(values[k], v) for k, v in observed.items())


@dataclass
class ValidationResult:
    ok: bool
    explained: int  # events explained (all of them when ok)
    total: int
    failed_event: Event | None = None
    candidates: list[int] = field(default_factory=list)  # spec states before the failing event
    enabled: list[Any] = field(default_factory=list)  # StepInfo of steps enabled in them
    message: str = ""
    final_states: list[int] = field(default_factory=list)

    def render(self, model) -> str:
        if self.ok:
            return f"trace valid: {self.total} events explained by the spec"
        ev = self.failed_event
        if ev is None:  # the initial state
            lines = ["trace invalid: the logged initial values are not those of an initial state of the spec",
                     f"  {len(self.candidates)} initial state(s) of the spec"
                     + (f"; the first {SHOW_CANDIDATES}:" if len(self.candidates) > SHOW_CANDIDATES else ":")]
        else:
            where = f" ({ev.where} of the trace)" if ev.where else ""
            lines = [f"trace invalid: event {self.explained + 1} of {self.total}{where} is not a step of the spec",
                     f"  {self.message}"]
            lines += event_lines(ev)
            lines.append(f"  {len(self.candidates)} candidate spec state(s) before it"
                         + (f"; the first {SHOW_CANDIDATES}:" if len(self.candidates) > SHOW_CANDIDATES else ":"))
        for s in self.candidates[:SHOW_CANDIDATES]:
            vals = model.to_values(s)
            lines.append("    " + ", ".join(f"{k}={format_value(v)}" for k, v in vals.items()))
        if ev is not None:
            names = sorted({(i.process, format_value(i.self) if i.self is not None else "", i.label)
                            for i in self.enabled})
            lines.append("  steps enabled there: " + (", ".join(
                f"{p}[{s}].{lab}" if s else f"{p}.{lab}" for p, s, lab in names) or "none (deadlock)"))
        return "\n".join(lines)


def event_lines(ev: Event) -> list[str]:
    """An event as the failure reports show it."""
    if ev.process is None:
        who = "some step (the log names none)"
    else:
        who = (ev.process if ev.self is None else f"{ev.process}[{format_value(ev.self)}]") + f" {ev.label}"
    params = ", ".join(f"{k}={format_value(v)}" for k, v in ev.params.items())
    out = [f"  event: {who}" + (f" params {{{params}}}" if params else "")]
    out += [f"    observed {k} = {format_value(v)}" for k, v in ev.observed.items()]
    return out


def _explains(info, ev: Event) -> bool:
    """Is ``info`` the step ``ev`` logged?  An event without a process
    (from an ITF trace: states only) stands for any step."""
    if ev.process is not None and (info.process != ev.process or info.label != ev.label
                                   or info.self != ev.self):
        return False
    for k, v in ev.params.items():
        if k not in info.params or not matches(info.params[k], v):
            return False
    return True


# --------------------------------------------------------------------------
# Comparing packed states with observations
# --------------------------------------------------------------------------
#
# Decoding every candidate successor into spec values (``to_values``) cost
# ~0.25 ms per state on the KVM model.  Instead each observed entry is
# compared with the one slot (state field) it concerns: the slot's field is
# cut out of the packed int and turned into a spec value through a memo per
# slot and field code (a finite model has few distinct field values), so a
# comparison costs a shift, a dict lookup and an ``==``.  Observed values are
# never hashed: traces read from files hold fresh objects in every event.


class _Slots:
    """The slots of a model by state key and, for indexed processes, by
    instance (spec value of ``self``)."""

    #: memoised spec values per slot; cleared when this large
    MEMO_LIMIT = 100_000

    def __init__(self, model):
        self.layout = model.layout
        self.conv = model.conv
        self.memo: list[dict[int, Any]] = [{} for _ in model.slots]
        # per slot: (offset, mask, memo, slot), read in the inner loop
        self.single: dict[str, tuple] = {}
        self.indexed: dict[str, dict[Any, tuple]] = {}
        for sl in model.slots:
            entry = (sl.off, sl.mask, self.memo[sl.index], sl)
            if sl.inst is None:
                self.single[sl.key] = entry
            else:
                idx = model.external(sl.inst_value, model._index_type(sl.process))
                self.indexed.setdefault(sl.key, {})[idx] = entry

    def value(self, t: int, sl) -> Any:
        """The spec value of slot ``sl`` in packed state ``t``."""
        f = (t >> sl.off) & sl.mask
        memo = self.memo[sl.index]
        v = memo.get(f)
        if v is None:
            v = self.conv.ext(self.layout.read(t, sl.index), sl.type)
            if not sl.escapable or f & 1:  # an escaped value lives in the tail, not in the field
                if len(memo) >= self.MEMO_LIMIT:
                    memo.clear()
                memo[f] = v
        return v

    def agrees(self, t: int, observed: dict[str, Any]) -> bool:
        """Does packed state ``t`` agree with ``observed`` (see :func:`matches`)?"""
        single = self.single
        for key, want in observed.items():
            entry = single.get(key)
            if entry is not None:
                off, mask, memo, sl = entry
                got = memo.get((t >> off) & mask)
                if got is None:
                    got = self.value(t, sl)
                if got != want and (type(want) is not FMap or not matches(got, want)):
                    return False
                continue
            # an indexed process: one slot per instance; the observation is a
            # map from (some of) the instances to their values
            inst = self.indexed.get(key)
            if inst is None or type(want) is not FMap:
                return False
            for idx, v in want._d.items():
                entry = inst.get(idx)
                if entry is None:
                    return False
                off, mask, memo, sl = entry
                got = memo.get((t >> off) & mask)
                if got is None:
                    got = self.value(t, sl)
                if got != v and (type(v) is not FMap or not matches(got, v)):
                    return False
        return True


class _Steps:
    """The step instances (action ids) of a model by (process, self, label)."""

    def __init__(self, model):
        self.model = model
        self.conv = model.conv
        self.by_key: dict[tuple, list[int]] = {}
        self.binder_types: dict[tuple[str, str], dict] = {}
        for a in model.actions:
            self.by_key.setdefault((a.process, a.self_value, a.label), []).append(a.aid)
            self.binder_types.setdefault((a.process, a.label), a.binder_types)
        self.every = frozenset(a.aid for a in model.actions)
        self._aids: dict[tuple, frozenset] = {}

    def aids(self, ev: Event) -> frozenset:
        if ev.process is None:
            return self.every
        key = (ev.process, ev.self, ev.label)
        hit = self._aids.get(key)
        if hit is None:
            self_value = ev.self
            hit = frozenset()
            try:
                if self_value is not None:
                    self_value = self.model.internal(self_value, self.model._index_type(ev.process))
                hit = frozenset(self.by_key.get((ev.process, self_value, ev.label), ()))
            except (KeyError, TypeError, ValueError):
                pass  # not an instance of the process: no step explains the event
            self._aids[key] = hit
        return hit

    def params(self, ev: Event):
        """A predicate on the raw ``any`` choices of a successor (internal
        values, by binder name), or None when the event logged none."""
        if not ev.params:
            return None
        conv = self.conv
        types = self.binder_types.get((ev.process, ev.label), {})
        exact = []
        partial = []
        for k, v in ev.params.items():
            ty = types.get(k)
            if type(v) is FMap:
                partial.append((k, ty, v))
                continue
            try:
                exact.append((k, conv.int(v, ty)))
            except (KeyError, TypeError, ValueError):
                return _refuse  # not a value of the binder's type

        def check(raw) -> bool:
            got = dict(raw)
            for k, v in exact:
                if k not in got or got[k] != v:
                    return False
            for k, ty, v in partial:
                if k not in got or not matches(conv.ext(got[k], ty), v):
                    return False
            return True

        return check


def _refuse(raw) -> bool:
    return False


#: per compiled model, its slot tables and memos: validating many traces of
#: one model (the KVM conformance runs) reuses the decoded field values
_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _index(model) -> tuple[_Slots, _Steps]:
    hit = _INDEX.get(model)
    if hit is None:
        hit = _INDEX[model] = (_Slots(model), _Steps(model))
    return hit


def validate(model, trace: Trace) -> ValidationResult:
    """Check ``trace`` against a :class:`pyspec.compile.CompiledModel`."""
    slots, steps = _index(model)
    init_obs = trace.init or {}
    candidates = [s for s in model.initial_states() if slots.agrees(s, init_obs)]
    total = len(trace.events)
    if not candidates:
        return ValidationResult(False, 0, total, None, model.initial_states(), [],
                                "no initial state of the spec matches the observed initial values")
    next_full = model.next_full
    out: list = []
    for i, ev in enumerate(trace.events):
        aids = steps.aids(ev)
        params_ok = steps.params(ev)
        observed = ev.observed
        agrees = slots.agrees
        nxt: dict[int, None] = {}
        for s in candidates:
            out.clear()
            next_full(s, out.append)
            for aid, params, t in out:
                if aid in aids and t not in nxt and (params_ok is None or params_ok(params)) \
                        and agrees(t, observed):
                    nxt[t] = None
        if not nxt:
            return _failure(model, i, total, ev, candidates)
        if len(nxt) > MAX_CANDIDATES:
            return ValidationResult(False, i, total, ev, candidates, [],
                                    f"more than {MAX_CANDIDATES} spec states match: log more variables")
        candidates = list(nxt)
    return ValidationResult(True, total, total, final_states=candidates)


def _failure(model, i: int, total: int, ev: Event, candidates: list[int]) -> ValidationResult:
    """The report for event ``i``, which no successor of the candidates explains."""
    enabled = []
    step_seen = False
    for s in candidates:
        for info, _ in model.successors(s):
            step_seen = step_seen or _explains(info, ev)
            enabled.append(info)
    if step_seen:
        msg = "the step is enabled but no successor agrees with the observed values"
    elif ev.process is None:
        msg = "no step of the spec is enabled"
    else:
        msg = (f"no candidate state enables {ev.process}.{ev.label}"
               + (f" for {format_value(ev.self)}" if ev.self is not None else "")
               + (" with these params" if ev.params else ""))
    return ValidationResult(False, i, total, ev, candidates, enabled, msg)
