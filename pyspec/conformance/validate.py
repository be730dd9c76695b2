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

_ABSENT = object()

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
# cut out of the packed int and turned into a spec value through the model's
# memo per slot and field code (a finite model has few distinct field
# values), so a comparison costs a shift, a dict lookup and an ``==``.
# Observed values are never hashed: traces read from files hold fresh
# objects.  And most observations are not compared at all: a value that is
# the very object the previous event observed (trace readers and
# ``to_values`` share unchanged values) holds in a successor whose field is
# unchanged from its candidate, which agreed with it (``_Slots.split``).


class _Slots:
    """The slots of a model by state key and, for indexed processes, by
    instance (spec value of ``self``)."""

    def __init__(self, model):
        # per slot: (offset, mask, memo, slot), read in the inner loop; the
        # memo is the model's own (CompiledModel.slot_value)
        self.value = model.slot_value
        self.single: dict[str, tuple] = {}
        self.indexed: dict[str, dict[Any, tuple]] = {}
        for sl in model.slots:
            entry = (sl.off, sl.mask, model._slot_memo[sl.index], sl)
            if sl.inst is None:
                self.single[sl.key] = entry
            else:
                idx = model.external(sl.inst_value, model._index_type(sl.process))
                self.indexed.setdefault(sl.key, {})[idx] = entry
        # per state key: the bits of its slots (every instance's, for an
        # indexed process), with the escape tail when the slots can escape
        tail = -1 << model.layout.bits
        self.key_mask: dict[str, int] = {}
        for sl in model.slots:
            m = sl.mask << sl.off | (tail if sl.escapable else 0)
            self.key_mask[sl.key] = self.key_mask.get(sl.key, 0) | m
        self._last_keys: set[str] = set()
        self._last_mask = 0

    def split(self, observed: dict[str, Any], prev: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``(mask, changed)``: the bits of the slots whose observation is
        the very object ``prev`` holds for them, and the other observations.
        A state whose bits under ``mask`` equal those of a state that agreed
        with ``prev`` agrees with ``observed`` exactly when it agrees with
        ``changed``.  (An escape tail is covered by the mask, so the values
        stored there count as fields too.)"""
        changed = {k: v for k, v in observed.items() if prev.get(k, _ABSENT) is not v}
        if not changed:
            return self.observed_mask(observed), changed
        if len(changed) == len(observed):
            return 0, observed
        mask = self.observed_mask(observed)
        key_mask = self.key_mask
        for k in changed:
            m = key_mask.get(k)
            if m is not None:
                mask &= ~m
        return mask, changed

    def observed_mask(self, observed: dict[str, Any]) -> int:
        """The bits of the slots ``observed`` concerns (the last key set's
        mask is kept: traces usually log the same variables every event)."""
        keys = observed.keys()
        if keys != self._last_keys:
            key_mask = self.key_mask
            mask = 0
            for k in keys:
                mask |= key_mask.get(k, 0)
            self._last_keys, self._last_mask = set(keys), mask
        return self._last_mask

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

    def aids(self, ev: Event) -> tuple[frozenset, tuple]:
        """The action ids that may explain ``ev`` and the successor functions
        that generate their steps (the event's process instance's alone,
        when it names one)."""
        if ev.process is None:
            return self.every, (self.model.next_full,)
        key = (ev.process, ev.self, ev.label)
        hit = self._aids.get(key)
        if hit is None:
            self_value = ev.self
            aids: frozenset = frozenset()
            try:
                if self_value is not None:
                    self_value = self.model.internal(self_value, self.model._index_type(ev.process))
                aids = frozenset(self.by_key.get((ev.process, self_value, ev.label), ()))
            except (KeyError, TypeError, ValueError):
                pass  # not an instance of the process: no step explains the event
            by_action = self.model.next_by_action
            hit = self._aids[key] = (aids, tuple(dict.fromkeys(by_action[a] for a in sorted(aids))))
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
    agrees = slots.agrees
    out: list = []
    prev = init_obs
    for i, ev in enumerate(trace.events):
        aids, nexts = steps.aids(ev)
        params_ok = steps.params(ev)
        observed = ev.observed
        # The unchanged observations (the very objects of the previous event,
        # as trace readers share them) need no comparison in a successor
        # whose fields for them are those of the candidate it comes from:
        # the candidate agreed with them.
        same, changed = slots.split(observed, prev)
        prev = observed
        nxt: dict[int, None] = {}
        for s in candidates:
            out.clear()
            for next_of in nexts:
                next_of(s, out.append)
            for aid, params, t in out:
                if aid in aids and t not in nxt and (params_ok is None or params_ok(params)) \
                        and agrees(t, changed if not (t ^ s) & same else observed):
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
