"""Which generated expressions are pure functions of one state value.

The code generator (gen_exprs.ExpressionGen.shared) shares the evaluation
of an iterating expression between the steps and the states that read the
same value of a variable.  It may only when the expression's one free name
is that value (a decoded slot: ``_o3`` in the state ``s``, ``_x3`` in
``t``, ``_q3`` elsewhere) and every other name it reads is the module's
(constants, runtime functions) or bound inside it.  This module decides
that on the generated source itself (Python's own parser: what the source
reads is what runs), and gives the expression a canonical form, the same
for two expressions that differ only in the names of what they bind.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

#: the local a step decodes a slot's value into (codegen.Codegen._decoded_name)
DECODED = re.compile(r"_[oxq]\d+")
#: a shared expression's lookup (ExpressionGen.shared): pure and cheap, so a
#: ``let`` or a def argument bound to it is used in place, not computed
#: into a local first (and what reads it can be shared in turn)
LOOKUP = re.compile(r"_sh\d+\.get_for\(_[oxq]\d+\)")


def is_lookup(src: str) -> bool:
    return LOOKUP.fullmatch(src) is not None


class _Names(ast.NodeVisitor):
    """Names loaded, and names bound (comprehension targets, lambda
    parameters), in source order."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.bound: list[str] = []

    def visit_Name(self, node: ast.Name) -> None:
        (self.loaded if isinstance(node.ctx, ast.Load) else self.bound).append(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.append(node.arg)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:  # never generated: refuse rather than guess
        raise ValueError("assignment expression")


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(self.names.get(node.id, node.id), node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.names.get(node.arg, node.arg)
        return node


def canonical(src: str, is_global: Callable[[str], bool]) -> tuple[str, str] | None:
    """``(canonical source reading the value as _v, the decoded slot's name)``
    when ``src`` reads exactly one decoded slot and otherwise only globals
    (``is_global``) and names it binds; None otherwise."""
    try:
        tree = ast.parse(src, mode="eval")
        names = _Names()
        names.visit(tree)
    except (SyntaxError, ValueError):
        return None
    bound = set(names.bound)
    free = {n for n in names.loaded if n not in bound and not is_global(n)}
    if len(free) != 1:
        return None
    (var,) = free
    if not DECODED.fullmatch(var) or var in bound:
        return None
    renames = {var: "_v"}
    for n in names.bound:
        if n not in renames:
            renames[n] = f"_c{len(renames)}"
    return ast.unparse(_Rename(renames).visit(tree)), var


__all__ = ["canonical", "is_lookup", "DECODED", "LOOKUP"]
