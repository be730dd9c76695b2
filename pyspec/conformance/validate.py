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
        for k, v in observed.items():
            if k not in actual or not matches(actual[k], v):
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
        lines = [f"trace invalid: event {self.explained + 1} of {self.total} is not a step of the spec",
                 f"  {self.message}"]
        ev = self.failed_event
        if ev is not None:
            who = ev.process if ev.self is None else f"{ev.process}[{format_value(ev.self)}]"
            lines.append(f"  event: {who} {ev.label}"
                         + (f" params {{{', '.join(f'{k}={format_value(v)}' for k, v in ev.params.items())}}}"
                            if ev.params else ""))
            for k, v in ev.observed.items():
                lines.append(f"    observed {k} = {format_value(v)}")
        lines.append(f"  {len(self.candidates)} candidate spec state(s) before it"
                     + (f"; the first {SHOW_CANDIDATES}:" if len(self.candidates) > SHOW_CANDIDATES else ":"))
        for s in self.candidates[:SHOW_CANDIDATES]:
            vals = model.to_values(s)
            lines.append("    " + ", ".join(f"{k}={format_value(v)}" for k, v in vals.items()))
        names = sorted({(i.process, format_value(i.self) if i.self is not None else "", i.label) for i in self.enabled})
        lines.append("  steps enabled there: " + (", ".join(
            f"{p}[{s}].{lab}" if s else f"{p}.{lab}" for p, s, lab in names) or "none (deadlock)"))
        return "\n".join(lines)


def _explains(info, ev: Event) -> bool:
    if info.process != ev.process or info.label != ev.label or info.self != ev.self:
        return False
    for k, v in ev.params.items():
        if k not in info.params or not matches(info.params[k], v):
            return False
    return True


def validate(model, trace: Trace) -> ValidationResult:
    """Check ``trace`` against a :class:`pyspec.compile.CompiledModel`."""
    init_obs = trace.init or {}
    candidates = [s for s in model.initial_states() if state_matches(model, s, init_obs)]
    total = len(trace.events)
    if not candidates:
        return ValidationResult(False, 0, total, None, model.initial_states(), [],
                                "no initial state of the spec matches the observed initial values")
    for i, ev in enumerate(trace.events):
        nxt: dict[int, None] = {}
        enabled = []
        for s in candidates:
            for info, t in model.successors(s):
                if _explains(info, ev):
                    if t not in nxt and state_matches(model, t, ev.observed):
                        nxt[t] = None
                else:
                    enabled.append(info)
        if not nxt:
            step_seen = any(_explains(info, ev) for s in candidates for info, _ in model.successors(s))
            msg = ("the step is enabled but no successor agrees with the observed values" if step_seen
                   else f"no candidate state enables {ev.process}.{ev.label}"
                   + (f" for {format_value(ev.self)}" if ev.self is not None else "")
                   + (" with these params" if ev.params else ""))
            return ValidationResult(False, i, total, ev, candidates, enabled, msg)
        if len(nxt) > MAX_CANDIDATES:
            return ValidationResult(False, i, total, ev, candidates, [],
                                    f"more than {MAX_CANDIDATES} spec states match: log more variables")
        candidates = list(nxt)
    return ValidationResult(True, total, total, final_states=candidates)
