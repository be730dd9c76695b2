"""Counterexample replay: drive an implementation along a spec trace.

A report's trace (from the embedded engine or TLC) names every step by
process, instance, label and ``any`` choices.  :func:`replay` makes the
implementation take the same steps through an :class:`~.drive.Adapter`, and
after each one compares the implementation's state (its refinement mapping)
with the trace's state and evaluates the violated property on it, so the
output shows, step by step, that the implementation misbehaves the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ir.state import state_types
from ..report import Report
from ..values import format_value
from ..values import from_itf as value_from_itf
from .traces import step_param_types
from .validate import matches


@dataclass
class ReplayStep:
    index: int
    process: str | None
    self: Any
    label: str | None
    mismatches: list[tuple[str, Any, Any]] = field(default_factory=list)
    property_holds: bool | None = None


@dataclass
class ReplayResult:
    steps: list[ReplayStep]
    reproduced: bool  # the implementation reached a state violating the property
    followed: bool  # the implementation took every step and agreed with the trace
    property: str | None
    error: str | None = None

    def render(self) -> str:
        out = []
        for st in self.steps:
            who = "init" if st.label is None else (
                st.process if st.self is None else f"{st.process}[{format_value(st.self)}]") + f" {st.label}"
            flag = "" if st.property_holds is None else ("" if st.property_holds else f"   <-- {self.property} violated")
            out.append(f"{st.index:3}  {who}{flag}")
            for k, want, got in st.mismatches:
                out.append(f"       differs: {k}: trace {format_value(want)}, implementation {format_value(got)}")
        if self.error:
            out.append(f"stopped: {self.error}")
        verdict = ("the implementation reproduces the violation of " + str(self.property)) if self.reproduced else \
            ("the implementation does not violate " + str(self.property) + " along this trace")
        out.append(verdict)
        return "\n".join(out)


def decode_trace(spec, report: Report) -> list[tuple[Any, dict[str, Any]]]:
    """[(step description, state values)] of a report's trace."""
    types = state_types(spec)
    ptypes = step_param_types(spec)
    index_types = {p.name: (p.index_set.type.elem if p.index_set is not None else None) for p in spec.processes}
    out = []
    for st in report.trace:
        state = {k: value_from_itf(v, types[k]) for k, v in st.state.items() if k in types}
        if st.label is None:
            out.append((None, state))
            continue
        it = index_types.get(st.process)
        self_v = value_from_itf(st.self, it) if it is not None and st.self is not None else None
        pt = ptypes.get((st.process, st.label), {})
        params = {k: value_from_itf(v, pt[k]) for k, v in (st.params or {}).items() if k in pt}
        out.append(((st.process, self_v, st.label, params), state))
    return out


def replay(model, report: Report, adapter, prop: str | None = None) -> ReplayResult:
    """Drive ``adapter`` along ``report``'s trace on ``model``'s spec.

    The violation is reproduced when the implementation's mapped state
    violates the invariant (or a step of it the action property), and, for a
    deadlock or a liveness lasso, when the implementation follows every step
    of the trace (back to where the lasso loops)."""
    from ..compile.model import StepInfo

    spec = model.spec
    prop = prop or report.property
    check = act = None
    if prop and prop in model.invariants:
        check = model.invariants[prop][1]
    elif prop and prop in model.action_properties:
        act = model.action_properties[prop][1]
    steps = decode_trace(spec, report)
    if not steps:
        return ReplayResult([], False, False, prop, "the report has no trace")
    out: list[ReplayStep] = []
    reproduced = False
    followed = True
    prev: list[int | None] = [None]  # the packed mapped state before the step (action properties)
    _, init = steps[0]
    try:
        adapter.reset(init)
    except Exception as e:  # noqa: BLE001 - the implementation's own failure, reported as such
        return ReplayResult([], False, False, prop, f"reset: {type(e).__name__}: {e}")

    def compare(index, desc, want) -> ReplayStep:
        nonlocal reproduced, followed
        got = adapter.observe()
        st = ReplayStep(index, *(desc[:3] if desc else (None, None, None)))
        for k, v in got.items():
            if k in want and not matches(want[k], v):
                st.mismatches.append((k, want[k], v))
                followed = False
        if check is not None or act is not None:
            try:
                cur = model.from_values({**want, **got})
            except Exception:  # noqa: BLE001 - a partial mapping cannot be packed
                cur = None
            if cur is not None and check is not None:
                st.property_holds = bool(check(cur))
            elif cur is not None and prev[0] is not None and cur != prev[0]:
                st.property_holds = bool(act(prev[0], cur))
            prev[0] = cur
            if st.property_holds is False:
                reproduced = True
        return st

    def observed(index, desc, want) -> ReplayStep | str:
        try:
            return compare(index, desc, want)
        except Exception as e:  # noqa: BLE001 - the refinement mapping failed
            return f"step {index}: observe: {type(e).__name__}: {e}"

    first = observed(0, None, init)
    if isinstance(first, str):
        return ReplayResult(out, False, False, prop, first)
    out.append(first)
    for i, (desc, want) in enumerate(steps[1:], 1):
        proc, self_v, label, params = desc
        info = StepInfo(proc, self_v, label, params)
        try:
            adapter.perform(info)
        except Exception as e:  # noqa: BLE001 - report how far the implementation got
            who = proc if self_v is None else f"{proc}[{format_value(self_v)}]"
            return ReplayResult(out, reproduced, False, prop, f"step {i} ({who} {label}): {type(e).__name__}: {e}")
        st = observed(i, desc, want)
        if isinstance(st, str):
            return ReplayResult(out, reproduced, False, prop, st)
        out.append(st)
    if report.kind in ("deadlock", "liveness"):
        reproduced = followed
    return ReplayResult(out, reproduced, followed, prop)
