"""Lint rules over the checked IR: legal specs whose meaning may surprise.

Each rule returns (message, span) pairs; the checker issues them as
warnings (exit code 0, 2 with ``--strict``).
"""

from __future__ import annotations

from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir.temporal import is_liveness
from ..ir.walk import StateRoot, def_reads, iter_exprs


def _describe(root: StateRoot) -> str:
    if root[0] == "var":
        return f"'{root[1]}'"
    if root[0] == "local":
        return f"'{root[2]}'"
    return f"the pc of '{root[1]}'"


def stale_def_reads(spec: ir.Spec) -> list[tuple[str, Span]]:
    """A def called after an assignment to state it reads, in the same step.

    A def reads the state in which the step started (docs/semantics.md, as a
    PlusCal ``define``), so such a call sees the old value: legal, and
    sometimes what the author meant, but worth a warning."""
    reads = def_reads(spec)
    out: list[tuple[str, Span]] = []
    seen: set = set()

    def check(obj, assigned: frozenset) -> None:
        if not assigned:
            return
        for e in iter_exprs(obj):
            if isinstance(e, ir.DefCall):
                stale = reads.get(e.name, frozenset()) & assigned
                if stale and (e.span, e.name) not in seen:
                    seen.add((e.span, e.name))
                    names = ", ".join(sorted(_describe(r) for r in stale))
                    out.append((f"'{e.name}' reads {names}, assigned earlier in this step: a def reads "
                                f"the state before the step, so it sees the old value (read it directly "
                                f"for the new one, or call the def before the assignment)", e.span))

    def block(stmts, assigned: frozenset) -> frozenset:
        for s in stmts:
            if isinstance(s, ir.Assign):
                check((s.path, s.value), assigned)
                r = s.root
                key = ("var", r.name) if isinstance(r, ir.VarRef) else ("local", r.process, r.name)
                assigned = assigned | {key}
            elif isinstance(s, ir.Await):
                check(s.cond, assigned)
            elif isinstance(s, ir.If):
                after = assigned
                for cond, body in s.branches:
                    check(cond, assigned)
                    after |= block(body, assigned)
                after |= block(s.orelse, assigned)
                assigned = after
            elif isinstance(s, ir.Either):
                after = assigned
                for body in s.branches:
                    after |= block(body, assigned)
                assigned = after
            elif isinstance(s, ir.AnyStmt):
                check((s.binder, s.cond), assigned)
                assigned = block(s.body, assigned)
            elif isinstance(s, ir.Let):
                check(s.value, assigned)
                assigned = block(s.body, assigned)
        return assigned

    for p in spec.processes:
        for st in p.steps:
            block(st.body, frozenset())
    return out


def symmetry_with_liveness(spec: ir.Spec) -> list[tuple[str, Span]]:
    """A model with symmetry that checks a temporal property: both engines
    check liveness without symmetry (a reduced graph can hide a violation or
    show a false one), so those checks explore the full state space."""
    temporal = {p.name for p in spec.properties if is_liveness(p)}  # (a refinement of a spec with fairness too)
    out = []
    for m in spec.models:
        live = [c for c in m.checks if c.property in temporal]
        if m.symmetry and live:
            names = ", ".join(c.property for c in live)
            out.append((f"model '{m.name}' declares symmetry and checks liveness ({names}): liveness is "
                        f"checked without symmetry, on the full state space (symmetry still reduces the "
                        f"other checks)", live[0].span))
    return out


def all_lints(spec: ir.Spec) -> list[tuple[str, Span]]:
    return stale_def_reads(spec) + symmetry_with_liveness(spec)


__all__ = ["stale_def_reads", "symmetry_with_liveness", "all_lints"]
