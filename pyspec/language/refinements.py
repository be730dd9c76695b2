"""Refinement: ``import tcommit as TC`` and ``refinement TCSpec: TC``.

``import NAME as Alias`` reads ``NAME.pyspec`` (next to the importing file,
then on the search path) and checks it as a spec of its own: its
declarations stay its own (unlike ``import NAME``, which merges sorts,
types, constants and defs).  ``refinement Name: Alias`` is a property of
this spec: every behaviour, mapped onto the abstract spec, is one of its
behaviours (TLA+'s ``Alias == INSTANCE Abs WITH ...`` and ``PROPERTY
Alias!Spec``; docs/semantics.md, Refinement).  Its indented lines map
abstract names: ``x = expr`` for an abstract variable (an expression over
this spec's state), ``C = expr`` for an abstract constant (a constant
expression); an abstract variable not mapped maps to this spec's variable
(or def without parameters) of the same name, an abstract constant to the
constant of the same name, as TLA+'s INSTANCE substitutes.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.
"""

from __future__ import annotations

from pathlib import Path

import lark

from ..diagnostics import Diagnostics
from ..ir import nodes as ir
from ..ir.walk import def_reads_of, iter_exprs, root_of
from . import types as T
from .scope import Bail, Scope, _string_value, _suggest, _without_override

#: The specs being checked, outermost first (resolved paths): an ``import
#: ... as`` that leads back to one of them is a cycle.
_LOADING: list[str] = []


def loading(path: str):
    """A context in which ``path`` counts as being checked (cycles of ``import ... as``)."""
    from contextlib import contextmanager

    @contextmanager
    def cm():
        _LOADING.append(_key(path))
        try:
            yield
        finally:
            _LOADING.pop()

    return cm()


def _key(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


class RefinementChecks:
    # --------------------------------------------------------- import ... as
    def _instance_decl(self, unit, item: lark.Tree) -> None:
        """``import NAME as Alias``: check NAME.pyspec as a spec of its own."""
        from .checker import check
        from .loader import SUFFIX, _find, load_units

        file_tok, alias_tok = item.children
        alias = str(alias_tok)
        self.path = unit.path
        self._new_name(alias, alias_tok)
        self.item_kinds.setdefault(alias, ("instance_decl", self.sp(alias_tok)))
        self.instances[alias] = None
        sub = _find(str(file_tok), unit.path, self.search_path)
        if sub is None:
            self.err(f"cannot find spec '{file_tok}' ('{file_tok}{SUFFIX}' next to this file"
                     + (" or on the search path" if self.search_path else "") + ")", file_tok)
            return
        key = _key(sub)
        if key in _LOADING:
            cycle = _LOADING[_LOADING.index(key):] + [key]
            self.err("circular 'import ... as': " + " -> ".join(Path(s).name for s in cycle), file_tok)
            return
        diags = Diagnostics()
        units = load_units(sub, diags, search_path=self.search_path)
        abstract = check(units, diags, self.search_path) if units and not diags.errors else None  # (cycles: check)
        # its errors are this spec's (located in its file); its warnings are its own
        self.diags.sources.update(diags.sources)
        self.diags.items.extend(diags.errors)
        if abstract is None or diags.errors:
            self.err(f"the spec '{file_tok}' imported as {alias} has errors", file_tok)
            return
        self.instances[alias] = abstract

    # ------------------------------------------------------------ refinement
    def _refinement(self, item: lark.Tree) -> None:
        kids = _without_override(item)
        tok, alias_tok = kids[0], kids[1]
        rest = list(kids[2:])
        name = str(tok)
        self._new_name(name, tok)
        self.broken.add(name)  # until it checks: no cascade of "unknown property"
        doc = ""
        if rest and isinstance(rest[0], lark.Tree) and rest[0].data == "docstring":
            doc = _string_value(rest[0].children[0])
            rest = rest[1:]
        alias = str(alias_tok)
        if alias not in self.instances:
            kind = self.item_kinds.get(alias)
            what = "" if kind is None else f" ('{alias}' is not a spec imported with 'import ... as {alias}')"
            self.err(f"refinement '{name}' refines '{alias}', which names no spec imported with "
                     f"'import <spec> as {alias}'" + ("" if kind is None else what), alias_tok)
            raise Bail
        abstract: ir.Spec | None = self.instances[alias]
        if abstract is None:
            raise Bail  # reported at the import
        procs = [p.name for p in abstract.processes if not p.is_action]
        if procs:
            self.err(f"cannot refine {abstract.name}: it has processes ({', '.join(procs)}), whose program "
                     f"counters and locals a refinement cannot map; write the abstract spec with actions "
                     f"(its state is then its variables)", alias_tok)
            raise Bail
        own = str(self.units[-1].tree.children[0].children[0])
        if abstract.name == own:
            self.err(f"a spec cannot refine a spec of its own name '{own}' (their TLA+ modules would clash)",
                     alias_tok)
            raise Bail
        abs_vars = {v.name: v for v in abstract.vars}
        abs_consts = {c.name: c for c in abstract.consts}
        abs_enums = {e.name: e.values for e in abstract.enums}
        reads = def_reads_of(self.defs.values())
        failed = False
        bound: dict[str, ir.Expr] = {}
        for b in rest:
            ntok, etree = b.children
            n = str(ntok)
            if n in bound:
                self.err(f"'{n}' is mapped twice in refinement '{name}'", ntok)
                failed = True
                continue
            if n in abs_vars:
                what, target = "variable", abs_vars[n].type
            elif n in abs_consts:
                what, target = "constant", abs_consts[n].type
            else:
                hint = _suggest(n, list(abs_vars) + list(abs_consts))
                self.err(f"{abstract.name} has no variable or constant '{n}'"
                         + (f" (did you mean '{hint}'?)" if hint else "")
                         + f": a refinement maps the variables and constants of {abstract.name}", ntok)
                failed = True
                continue
            try:
                e = self.expr(etree, Scope("invariant"))
            except Bail:
                failed = True
                continue
            if what == "constant":
                reader = _state_read(e, reads)
                if reader is not None:
                    self.err(f"the constant '{n}' of {abstract.name} is bound to an expression that reads "
                             f"{reader}: bind it to a constant expression (constants, defs of constants)",
                             etree)
                    failed = True
                    continue
            why = self._mismatch(target, e.type, abs_enums, abstract.name)
            if why is not None:
                self.err(f"type mismatch: the {what} '{n}' of {abstract.name} has type {T.describe(target)}, "
                         f"the expression mapped to it has type {T.describe(e.type)}{why}", etree)
                failed = True
                continue
            bound[n] = e
        span = self.sp(tok)
        variables: list[tuple[str, ir.Expr]] = []
        for v in abstract.vars:
            if v.name in bound:
                variables.append((v.name, bound[v.name]))
                continue
            e = None
            if v.name in self.vars:
                self.used.add("v:" + v.name)
                e = ir.VarRef(self.sp(alias_tok), self.vars[v.name].type, v.name)
                mine = "variable"
            elif v.name in self.defs and not self.defs[v.name].params:
                d = self.defs[v.name]
                e = ir.DefCall(self.sp(alias_tok), d.result, d.name, ())
                mine = "def"
            if e is None:
                self.err(f"refinement '{name}' does not map the variable '{v.name}' of {abstract.name}: "
                         f"map it on a line of its own below ('{v.name} = <expression over this spec's "
                         f"state>'), or declare a variable '{v.name}'", tok)
                failed = True
                continue
            why = self._mismatch(v.type, e.type, abs_enums, abstract.name)
            if why is not None:
                self.err(f"type mismatch: the variable '{v.name}' of {abstract.name} has type "
                         f"{T.describe(v.type)}, this spec's {mine} '{v.name}' (mapped to it by name) has type "
                         f"{T.describe(e.type)}{why}: map it explicitly ('{v.name} = ...')", tok)
                failed = True
                continue
            variables.append((v.name, e))
        constants: list[tuple[str, ir.Expr]] = []
        for c in abstract.consts:
            if c.name in bound:
                constants.append((c.name, bound[c.name]))
                continue
            if c.name not in self.consts:
                self.err(f"refinement '{name}' does not bind the constant '{c.name}' of {abstract.name}: "
                         f"bind it on a line of its own below ('{c.name} = <constant expression>'), or "
                         f"declare a constant '{c.name}'", tok)
                failed = True
                continue
            e = ir.ConstRef(self.sp(alias_tok), self.consts[c.name].type, c.name)
            why = self._mismatch(c.type, e.type, abs_enums, abstract.name)
            if why is not None:
                self.err(f"type mismatch: the constant '{c.name}' of {abstract.name} has type "
                         f"{T.describe(c.type)}, this spec's constant '{c.name}' (bound to it by name) has type "
                         f"{T.describe(e.type)}{why}: bind it explicitly ('{c.name} = ...')", tok)
                failed = True
                continue
            constants.append((c.name, e))
        if failed:
            raise Bail
        ref = ir.Refinement(alias, abstract, tuple(variables), tuple(constants), span)
        self.properties[name] = ir.Property(name, "refinement", ir.Lit(span, ir.BOOL, True), doc, span, ref)
        self.broken.discard(name)

    def _mismatch(self, target: ir.Type, value: ir.Type, abs_enums: dict, abs_name: str) -> str | None:
        """Why a value of this spec's type ``value`` is no value of the
        abstract spec's type ``target`` (None: it is).  Sorts, enums and
        variants are the same when their names are (and an enum's values)."""
        if not T.assignable(target, value):
            return ""
        for a, b in _type_pairs(target, value):
            if isinstance(a, ir.EnumType) and isinstance(b, ir.EnumType):
                mine = self.enums[b.name].values if b.name in self.enums else ()
                theirs = abs_enums.get(a.name, ())
                if tuple(mine) != tuple(theirs):
                    return (f" (enum {a.name} has values {', '.join(theirs)} in {abs_name}, "
                            f"{', '.join(mine)} here)")
        return None


def _type_pairs(a: ir.Type, b: ir.Type):
    """The corresponding parts of two types of the same shape."""
    yield a, b
    if isinstance(a, ir.OptionalType) or isinstance(b, ir.OptionalType):
        ia = a.inner if isinstance(a, ir.OptionalType) else a
        ib = b.inner if isinstance(b, ir.OptionalType) else b
        if (ia, ib) != (a, b):
            yield from _type_pairs(ia, ib)
        return
    if isinstance(a, (ir.SetType, ir.SeqType)) and isinstance(b, type(a)):
        yield from _type_pairs(a.elem, b.elem)
    elif isinstance(a, ir.MapType) and isinstance(b, ir.MapType):
        yield from _type_pairs(a.key, b.key)
        yield from _type_pairs(a.value, b.value)
    elif isinstance(a, ir.TupleType) and isinstance(b, ir.TupleType):
        for x, y in zip(a.elems, b.elems):
            yield from _type_pairs(x, y)
    elif isinstance(a, ir.RecordType) and isinstance(b, ir.RecordType):
        for (_, x), (_, y) in zip(a.fields, b.fields):
            yield from _type_pairs(x, y)
    elif isinstance(a, ir.VariantType) and isinstance(b, ir.VariantType):
        for (_, fa), (_, fb) in zip(a.cases, b.cases):
            for (_, x), (_, y) in zip(fa, fb):
                yield from _type_pairs(x, y)


def _state_read(e: ir.Expr, reads: dict) -> str | None:
    """What piece of state ``e`` reads (for a message), or None."""
    for x in iter_exprs(e):
        r = root_of(x)
        if r is not None and r[0] == "var":
            return f"variable '{r[1]}'"
        if r is not None and r[0] == "local":
            return f"the local '{r[2]}' of process '{r[1]}'"
        if r is not None:
            return f"the program counter of process '{r[1]}'"
        if isinstance(x, ir.DefCall) and reads.get(x.name):
            return f"the state (through def '{x.name}')"
    return None
