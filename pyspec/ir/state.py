"""The variables that make up a state, as reports and traces name them.

A state has one entry per state variable (``var``), per process program
counter (``proc.pc``) and per process local (``proc.local``); actions
(processes without a program counter for the user) add nothing.  For an indexed
process the entry is a map from the process index to the value.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import nodes as ir


@dataclass(frozen=True, slots=True)
class StateVar:
    key: str  # "x", "writer.pc", "vcpu.gfn"
    type: ir.Type  # the type of the whole entry (a map for indexed processes)
    kind: str  # "var" | "pc" | "local"
    process: str | None = None
    name: str | None = None  # the variable/local name (None for pc)


def state_variables(spec: ir.Spec) -> list[StateVar]:
    out = [StateVar(v.name, v.type, "var", None, v.name) for v in spec.vars]
    for p in spec.processes:
        label_t = ir.LabelType(p.name, p.labels)
        idx_t = p.index_set.type.elem if p.index_set is not None else None
        wrap = (lambda t, k=idx_t: ir.MapType(k, t)) if idx_t is not None else (lambda t: t)
        if not p.is_action:  # an action's program counter never changes: not shown
            out.append(StateVar(f"{p.name}.pc", wrap(label_t), "pc", p.name, None))
        for lv in p.locals:
            out.append(StateVar(f"{p.name}.{lv.name}", wrap(lv.type), "local", p.name, lv.name))
    return out


def state_types(spec: ir.Spec) -> dict[str, ir.Type]:
    return {sv.key: sv.type for sv in state_variables(spec)}
