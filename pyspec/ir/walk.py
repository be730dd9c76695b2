"""Walking the IR: the expressions inside a node, and what defs read and call.

Every backend and the linter ask the same questions of defs (which state
they read, which defs they call, which are recursive); the answers are
computed here once.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from . import nodes as ir

#: A piece of state a def can read: ("var", name), ("local", process, name)
#: or ("pc", process).
StateRoot = tuple


def _is_type(x) -> bool:
    return isinstance(x, (ir.BoolType, ir.IntType, ir.StrType, ir.SortType, ir.EnumType, ir.LabelType,
                          ir.SetType, ir.MapType, ir.SeqType, ir.TupleType, ir.RecordType, ir.VariantType,
                          ir.OptionalType, ir.NoneType, ir.AnyType))


def iter_exprs(obj):
    """Every expression node inside ``obj`` (IR nodes, tuples, binders, controls),
    not looking into types."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, tuple):
            stack.extend(reversed(x))
        elif isinstance(x, ir.Expr):
            yield x
            for f in fields(x):
                if f.name not in ("span", "type"):
                    stack.append(getattr(x, f.name))
        elif is_dataclass(x) and not isinstance(x, type) and not _is_type(x):
            for f in fields(x):
                if f.name != "span":
                    stack.append(getattr(x, f.name))


def root_of(e: ir.Expr) -> StateRoot | None:
    """The piece of state a reference reads, or None for anything else."""
    if isinstance(e, ir.VarRef):
        return ("var", e.name)
    if isinstance(e, ir.LocalRef):
        return ("local", e.process, e.name)
    if isinstance(e, ir.PcRef):
        return ("pc", e.process)
    return None


def target_text(st: ir.Assign) -> str:
    """An assignment's target as messages show it: ``x``, ``m[...]``, ``r.f``."""
    out = st.root.name
    for p in st.path:
        out += f".{p.name}" if isinstance(p, ir.Field) else "[...]"
    return out


def def_calls(spec: ir.Spec) -> dict[str, frozenset[str]]:
    """def name -> the defs its body calls directly."""
    return {d.name: frozenset(e.name for e in iter_exprs(d.body) if isinstance(e, ir.DefCall))
            for d in spec.defs}


def _closure(start, edges: dict) -> set:
    seen, todo = set(), list(start)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(edges.get(n, ()))
    return seen


def def_reads(spec: ir.Spec) -> dict[str, frozenset[StateRoot]]:
    """def name -> every piece of state it reads, through the defs it calls too."""
    calls = def_calls(spec)
    direct = {d.name: {r for e in iter_exprs(d.body) if (r := root_of(e)) is not None} for d in spec.defs}
    return {name: frozenset().union(*(direct[n] for n in _closure([name], calls) if n in direct))
            for name in direct}


def recursive_defs(spec: ir.Spec) -> frozenset[str]:
    """The defs that call themselves, directly or through other defs."""
    calls = def_calls(spec)
    return frozenset(name for name, cs in calls.items() if name in _closure(cs, calls))


__all__ = ["iter_exprs", "root_of", "target_text", "def_calls", "def_reads", "recursive_defs", "StateRoot"]
