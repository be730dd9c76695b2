"""How a step part uses an interned set variable (a message set).

A step (or a part of one: gen_steps.split_parts) whose every read
of the set ``v`` is a filter whose *first* condition is a kind test of the
element (``{m for m in v if isinstance(m, Msg.P1b) and ...}``, ``any m in
v if isinstance(m, ...)``, ``exists m in v: isinstance(m, ...) and ...``,
``forall m in v: isinstance(m, ...) implies ...``, ``choose``), also
inside the defs it calls, and whose every write of ``v`` is ``v = v | E``,
computes the same successors from the set's projection on those kinds as
from the set itself: the elements of other kinds fail the first test and
are never looked at further (so not even an evaluation error can tell
them apart), and the union is rebuilt from the old set by the loop
(pyspec/engines/compiled/sets.py, docs/checker.md).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from ..ir import nodes as ir


class _NotProjectable(Exception):
    pass


def _first_conjunct(e: ir.Expr | None) -> ir.Expr | None:
    while isinstance(e, ir.Binary) and e.op == "and":
        e = e.left
    return e


def _kind_test(e: ir.Expr | None, name: str) -> str | None:
    """The tag of ``isinstance(name, V.tag)`` when ``e``'s first conjunct is one."""
    e = _first_conjunct(e)
    if isinstance(e, ir.IsCase) and isinstance(e.base, ir.BoundRef) and e.base.name == name:
        return e.tag
    return None


def kinds_read(stmts: tuple, var: str, defs: dict[str, ir.Def]) -> frozenset[str] | None:
    """The kinds (variant tags) of the elements of state variable ``var``
    that ``stmts`` can read, when it reads ``var`` only through filters by
    kind and writes it only by unions (see the module docstring); None
    otherwise."""
    kinds: set[str] = set()
    seen_defs: set[str] = set()

    def is_var(e) -> bool:
        return isinstance(e, ir.VarRef) and e.name == var

    def filtered(b: ir.Binder, test: ir.Expr | None) -> bool:
        if not is_var(b.domain):
            return False
        tag = _kind_test(test, b.name)
        if tag is None:
            raise _NotProjectable
        kinds.add(tag)
        return True

    def visit(x) -> None:
        if isinstance(x, tuple):
            for y in x:
                visit(y)
            return
        if is_var(x):
            raise _NotProjectable  # read other than through a filter by kind
        if isinstance(x, ir.Assign) and isinstance(x.root, ir.VarRef) and x.root.name == var:
            e = x.value
            if x.path or not (isinstance(e, ir.Binary) and e.op == "union"):
                raise _NotProjectable
            if is_var(e.left):
                visit(e.right)
            elif is_var(e.right):
                visit(e.left)
            else:
                raise _NotProjectable
            return
        if isinstance(x, ir.SetComp) and len(x.binders) == 1 and filtered(x.binders[0], x.cond):
            visit((x.elem, x.cond))
            return
        if isinstance(x, ir.Quant) and len(x.binders) == 1:
            b = x.binders[0]
            if x.kind == "exists" and filtered(b, x.body):
                visit(x.body)
                return
            if x.kind == "forall" and is_var(b.domain):
                body = x.body
                if not (isinstance(body, ir.Binary) and body.op == "implies"):
                    raise _NotProjectable
                filtered(b, body.left)
                visit(body)
                return
        if isinstance(x, ir.Choose) and filtered(x.binder, x.cond):
            visit(x.cond)
            return
        if isinstance(x, ir.AnyStmt) and filtered(x.binder, x.cond):
            visit((x.cond, x.body))
            return
        if isinstance(x, ir.DefCall):
            visit(x.args)
            d = defs.get(x.name)
            if d is not None and x.name not in seen_defs:
                seen_defs.add(x.name)
                visit(d.body)
            return
        if isinstance(x, ir.Spec):
            return
        if is_dataclass(x) and not isinstance(x, type):
            for f in fields(x):
                if f.name not in ("span", "type", "macro"):
                    visit(getattr(x, f.name))

    try:
        visit(stmts)
    except _NotProjectable:
        return None
    return frozenset(kinds)
