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
#: (keyed by a slot's value, or by another lookup's result: through_lookup)
_ONE_LOOKUP = r"_sh\d+(?:\.get_for\(_[oxq]\d+\)|\[_[oxq]\d+\])"
LOOKUP = re.compile(rf"{_ONE_LOOKUP}|_sh\d+\[{_ONE_LOOKUP}\]")


#: a lookup of a shared memo by the value: ``_v`` in a canonical source, a
#: decoded slot's local in generated code
_VALUE_LOOKUP = re.compile(r"\b(_sh\d+)\[(_v|_[oxq]\d+)\]")


def rekey_lookups(src: str, memos: set[str], key: Callable[[str], str]) -> str:
    """``src`` with each lookup ``_shN[x]`` by the value, of a memo in
    ``memos``, keyed by ``key(x)`` instead (a memo keyed by the slot's
    field: ExpressionGen._share)."""
    return _VALUE_LOOKUP.sub(lambda m: f"{m[1]}[{key(m[2])}]" if m[1] in memos else m[0], src)


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
    found = canonical_tree(src, is_global)
    return None if found is None else (ast.unparse(found[0]), found[1])


def canonical_tree(src: str, is_global: Callable[[str], bool]) -> tuple[ast.Expression, str] | None:
    """:func:`canonical`, its source as a tree (the code generator analyses
    it further before it unparses it once)."""
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
    return _Rename(renames).visit(tree), var


def _lookup(node: ast.expr) -> tuple[str, str] | None:
    """``(memo name, argument name)`` when ``node`` is a shared
    expression's lookup (ExpressionGen._share): ``_sh7.get_for(x)``, or
    ``_sh7[x]`` for a memo keyed by the value; else None."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id.startswith("_sh")
            and isinstance(node.slice, ast.Name)):
        return node.value.id, node.slice.id
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_for"
            and isinstance(node.func.value, ast.Name) and not node.keywords and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)):
        return node.func.value.id, node.args[0].id
    return None


def _nested_lookup(node: ast.expr) -> tuple[str, str] | None:
    """``(outer memo name, inner memo name)`` when ``node`` is a lookup
    keyed by another lookup's result (``_sh9[_sh7[x]]``: through_lookup)."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id.startswith("_sh")):
        inner = _lookup(node.slice)
        if inner is not None:
            return node.value.id, inner[0]
    return None


class _InnerLookups(ast.NodeTransformer):
    """Replace the lookups ``_shN[_v]`` by the name ``_v``."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        found = _lookup(node)
        if found is not None and found[1] == "_v":
            return ast.copy_location(ast.Name("_v", ast.Load()), node)
        return self.generic_visit(node)


def through_lookup(canon: str) -> tuple[str, str] | None:
    """``(source reading the lookup's result as _v, its memo's name)`` when
    the canonical ``canon`` (:func:`canonical`) reads the value only
    through one shared expression keyed by the value (``_sh7[_v]``, once
    or more): it is then a function of that expression's result, and a memo
    keyed by the result is hit by every value that gives the same result
    (paxos: 33,889 message sets, 1,231 sets of promises among them; the
    quorum filters of the promises are computed once per set of promises)."""
    try:
        tree = ast.parse(canon, mode="eval")
    except SyntaxError:
        return None
    memo = through_lookup_tree(tree)
    return None if memo is None else (ast.unparse(tree), memo)


def through_lookup_tree(tree: ast.Expression) -> str | None:
    """:func:`through_lookup` on a canonical tree, rewritten in place when
    it applies (the memo's name returned), left as it is otherwise."""
    memos = set()
    inside = 0  # reads of the value inside a lookup
    for node in ast.walk(tree):
        found = _lookup(node) if isinstance(node, ast.Subscript) else None
        if found is not None and found[1] == "_v":
            memos.add(found[0])
            inside += 1
    if len(memos) != 1:
        return None
    reads = sum(1 for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "_v")
    if reads != inside:
        return None  # the value is read itself too
    _InnerLookups().visit(tree)
    (memo,) = memos
    return memo


def _source(node: ast.expr) -> str | None:
    """What a comprehension over the value iterates: ``""`` for the value
    itself (``_v``), a shared expression's memo name for its result
    (``_sh7.get_for(_v)`` or ``_sh7[_v]``), None for anything else."""
    if isinstance(node, ast.Name) and node.id == "_v":
        return ""
    found = _lookup(node)
    return found[0] if found is not None and found[1] == "_v" else None


def _reads_value(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "_v" for n in ast.walk(node))


def element_form(canon: str) -> tuple | None:
    """The shape of a canonical shared expression (:func:`canonical`) that
    :mod:`pyspec.compile.masks` evaluates per element, or None:

    - ``("filter", source, target, conds)``: ``_frozenset([x for x in SRC if c ...])``;
    - ``("any" | "all", source, target, conds, body)``: ``_any((body for x in SRC if c ...))``;

    ``source`` as :func:`_source` gives it, ``target`` the element's name,
    ``conds`` and ``body`` sources reading the element and module names
    only (never the value: what reads it is not a condition of one element)."""
    try:
        tree = ast.parse(canon, mode="eval")
    except SyntaxError:
        return None
    return element_form_tree(tree)


def element_form_tree(tree: ast.Expression) -> tuple | None:
    """:func:`element_form` of a canonical tree."""
    tree = tree.body
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and len(tree.args) == 1
            and not tree.keywords):
        return None
    fn, arg = tree.func.id, tree.args[0]
    if fn == "_frozenset" and isinstance(arg, ast.ListComp):
        kind = "filter"
    elif fn in ("_any", "_all") and isinstance(arg, ast.GeneratorExp):
        kind = fn[1:]
    else:
        return None
    if len(arg.generators) != 1:
        return None
    gen = arg.generators[0]
    if gen.is_async or not isinstance(gen.target, ast.Name):
        return None
    target = gen.target.id
    source = _source(gen.iter)
    if source is None or any(_reads_value(c) for c in gen.ifs) or _reads_value(arg.elt):
        return None
    conds = [ast.unparse(c) for c in gen.ifs]
    if kind == "filter":
        if not (isinstance(arg.elt, ast.Name) and arg.elt.id == target):
            return None
        return ("filter", source, target, conds)
    return (kind, source, target, conds, ast.unparse(arg.elt))


#: calls of runtime names that cannot fail on values of the right types
_SAFE_CALLS = frozenset({"_frozenset", "_len", "_any", "_all"})
_SAFE_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.BitOr, ast.BitAnd, ast.BitXor)


def cannot_fail(src: str, shared_source: Callable[[str], str | None]) -> bool:
    """Can the generated expression ``src`` be evaluated in any state
    without raising: it reads names, record fields (``x._d['f']``: the
    code generator reads a field so only where the value has it),
    shared lookups whose own expression cannot fail (``shared_source``:
    a memo's name -> its canonical source, or None), and applies
    comparisons, boolean and set operations, ``+ - *``, ``%`` and ``//``
    by a non-zero constant, comprehensions and the calls of
    :data:`_SAFE_CALLS` -- no map entry (it may be absent), no local
    computed on first use (it may fail), no other call.  A ``let`` whose
    value cannot fail is computed where it stands, not on first use: the
    same results and errors (none), without a closure and a ``Lazy`` per
    evaluation (ExpressionGen, StepGen)."""
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError:
        return False
    seen: set[str] = set()

    def ok(node: ast.AST) -> bool:
        if isinstance(node, ast.Expression):
            return ok(node.body)
        if isinstance(node, (ast.Name, ast.Constant)):
            return True
        if isinstance(node, ast.BoolOp):
            return all(ok(v) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, (ast.Not, ast.USub)) and ok(node.operand)
        if isinstance(node, ast.Compare):
            return ok(node.left) and all(ok(c) for c in node.comparators)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Mod, ast.FloorDiv)):
                r = node.right
                if not (isinstance(r, ast.Constant) and type(r.value) is int and r.value != 0):
                    return False
            elif not isinstance(node.op, _SAFE_BINOPS):
                return False
            return ok(node.left) and ok(node.right)
        if isinstance(node, ast.IfExp):
            return ok(node.test) and ok(node.body) and ok(node.orelse)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(ok(e) for e in node.elts)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return ok(node.elt) and all(
                isinstance(g.target, ast.Name) and not g.is_async and ok(g.iter) and all(ok(i) for i in g.ifs)
                for g in node.generators)
        found = _lookup(node)
        if found is not None:
            return memo_ok(found[0])
        found = _nested_lookup(node)
        if found is not None:
            return memo_ok(found[0]) and memo_ok(found[1])
        if isinstance(node, ast.Subscript):
            # a record's field
            return (isinstance(node.value, ast.Attribute) and node.value.attr == "_d"
                    and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
                    and ok(node.value.value))
        if isinstance(node, ast.Call):
            f = node.func
            return (not node.keywords and isinstance(f, ast.Name) and f.id in _SAFE_CALLS
                    and all(ok(a) for a in node.args))
        return False

    def memo_ok(name: str) -> bool:
        if name in seen:
            return True
        seen.add(name)
        inner = shared_source(name)
        return inner is not None and cannot_fail(inner, shared_source)

    return ok(tree)


__all__ = ["canonical", "canonical_tree", "cannot_fail", "element_form", "element_form_tree", "is_lookup",
           "rekey_lookups", "through_lookup", "through_lookup_tree", "DECODED", "LOOKUP"]
