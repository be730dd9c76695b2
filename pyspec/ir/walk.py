"""Walking the IR: the expressions inside a node, and what defs read and call.

Every backend and the linter ask the same questions of defs (which state
they read, which defs they call, which are recursive); the answers are
computed here once.
"""

from __future__ import annotations

from collections.abc import Iterable
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
        elif isinstance(x, ir.Spec) and x is not obj:
            continue  # the abstract spec of a refinement: another spec's IR
        elif is_dataclass(x) and not isinstance(x, type) and not _is_type(x):
            for f in fields(x):
                if f.name != "span":
                    stack.append(getattr(x, f.name))


def names_bound_in(e: ir.Expr) -> set[str]:
    """The names that binders and lets inside ``e`` bind."""
    out: set[str] = set()
    for x in iter_exprs(e):
        for f in ("binders", "binder"):
            bs = getattr(x, f, None)
            for b in (bs if isinstance(bs, tuple) else (bs,) if bs is not None else ()):
                out.add(b.name)
        if isinstance(x, ir.LetIn):
            out.add(x.name)
    return out


def names_read_in(e: ir.Expr) -> set[str]:
    """The bound names ``e`` reads."""
    return {x.name for x in iter_exprs(e) if isinstance(x, ir.BoundRef)}


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


# --------------------------------------------------------------------------
# Several updates of one variable in a step (docs/semantics.md): both
# backends check, on each execution, that no update hits a place an earlier
# one of the same step hit (the same place, or one inside the other).


def _inner_blocks(s: ir.Stmt) -> list[tuple[ir.Stmt, ...]]:
    """The statement lists directly inside ``s`` that run one after the
    other with what follows (If/Either: alternatives; Any/Let: the body)."""
    if isinstance(s, ir.If):
        return [b for _, b in s.branches] + [s.orelse]
    if isinstance(s, ir.Either):
        return list(s.branches)
    if isinstance(s, (ir.AnyStmt, ir.Let)):
        return [s.body]
    return []


def _most_assignments(stmts) -> dict[StateRoot, int]:
    """Per root, the most assignments of it on one execution of ``stmts``."""
    out: dict[StateRoot, int] = {}
    for s in stmts:
        if isinstance(s, ir.Assign):
            r = root_of(s.root)
            out[r] = out.get(r, 0) + 1
            continue
        inner: dict[StateRoot, int] = {}
        for b in _inner_blocks(s):
            for r, n in _most_assignments(b).items():
                inner[r] = max(inner.get(r, 0), n)
        for r, n in inner.items():
            out[r] = out.get(r, 0) + n
    return out


def multi_roots(stmts) -> frozenset[StateRoot]:
    """The roots (variables, own locals) that some execution of ``stmts``
    assigns more than once."""
    return frozenset(r for r, n in _most_assignments(stmts).items() if n > 1)


def assigns(stmts, root: StateRoot) -> bool:
    """Does some statement in ``stmts`` (at any depth) assign ``root``?"""
    for s in stmts:
        if isinstance(s, ir.Assign):
            if root_of(s.root) == root:
                return True
        elif any(assigns(b, root) for b in _inner_blocks(s)):
            return True
    return False


_LITERALS = (ir.Lit, ir.SortValue, ir.EnumValue, ir.NoneLit)


def overlap_keys(first: tuple[ir.Expr, ...], second: tuple[ir.Expr, ...]) -> list[int] | None:
    """When do two update paths of one root overlap (one a prefix of the
    other)?  None: never (a field differs, or two literal keys do); else the
    positions whose keys must be equal (none: always)."""
    positions = []
    for i, (a, b) in enumerate(zip(first, second)):
        if isinstance(a, ir.Field) or isinstance(b, ir.Field):
            if not (isinstance(a, ir.Field) and isinstance(b, ir.Field) and a.name == b.name):
                return None
            continue
        if isinstance(a.key, _LITERALS) and isinstance(b.key, _LITERALS):
            if a.key != b.key:
                return None
            continue
        positions.append(i)
    return positions


def overlap_message(first: ir.Assign, second: ir.Assign) -> str:
    """The error at ``second``, which updates a place that ``first`` (earlier
    in the same step) updated too, or a place inside or around it."""
    where = f"line {first.span.line}" if first.span.file == second.span.file else \
        f"{first.span.file}:{first.span.line}"
    return (f"the assignment to '{target_text(second)}' overlaps the assignment to '{target_text(first)}' "
            f"at {where}: a step may update different parts of a variable, not the same part twice")


def def_calls(spec: ir.Spec) -> dict[str, frozenset[str]]:
    """def name -> the defs its body calls directly."""
    return _def_calls(spec.defs)


def _def_calls(defs: Iterable[ir.Def]) -> dict[str, frozenset[str]]:
    return {d.name: frozenset(e.name for e in iter_exprs(d.body) if isinstance(e, ir.DefCall)) for d in defs}


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
    return def_reads_of(spec.defs)


def def_reads_of(defs: Iterable[ir.Def]) -> dict[str, frozenset[StateRoot]]:
    """:func:`def_reads` of these defs (the checker asks before the spec exists)."""
    defs = tuple(defs)
    calls = _def_calls(defs)
    direct = {d.name: {r for e in iter_exprs(d.body) if (r := root_of(e)) is not None} for d in defs}
    return {name: frozenset().union(*(direct[n] for n in _closure([name], calls) if n in direct))
            for name in direct}


def recursive_defs(spec: ir.Spec) -> frozenset[str]:
    """The defs that call themselves, directly or through other defs."""
    calls = def_calls(spec)
    return frozenset(name for name, cs in calls.items() if name in _closure(cs, calls))


__all__ = ["iter_exprs", "names_bound_in", "names_read_in", "root_of", "target_text", "def_calls", "def_reads", "def_reads_of", "recursive_defs",
           "StateRoot", "multi_roots", "assigns", "overlap_keys", "overlap_message"]
