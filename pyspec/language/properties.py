"""Properties and models: invariants, action properties, temporal shapes, models and their defs.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.
"""

from __future__ import annotations

import lark

from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir import temporal
from ..ir.nodes import SetType, SortType
from . import types as T
from .scope import (
    Bail,
    Scope,
    _string_value,
    _without_override,
)


class PropertyChecks:
    # ------------------------------------------------------------ properties
    def _named_formula(self, item) -> tuple:
        """The parts of ``invariant/action invariant/temporal/assume Name:``:
        name token, name (declared), docstring, ``let`` lines, the formula's tree."""
        tok, body = _without_override(item)
        name = str(tok)
        self._new_name(name, tok)
        doc = ""
        kids = body.children
        if len(kids) >= 2 and isinstance(kids[0], lark.Tree) and kids[0].data == "docstring":
            doc = _string_value(kids[0].children[0])
        lines = [k for k in kids[:-1] if isinstance(k, lark.Tree) and k.data == "let_line"]
        return tok, name, doc, lines, kids[-1]

    def _property(self, item) -> None:
        tok, name, doc, lines, expr_tree = self._named_formula(item)
        kind = {"invariant_decl": "invariant", "action_decl": "action", "temporal_decl": "temporal"}[item.data]
        self.broken.add(name)  # until it checks: no cascade of "unknown property"
        scope = Scope(kind, allow_temporal=(kind == "temporal"))
        if lines and kind == "temporal":
            self.err("'let' is not allowed in a temporal property (write the predicate as a def)", lines[0])
            raise Bail
        scope, lets = self._let_lines(lines, scope)
        e = self._wrap_lets(lets, self.expr(expr_tree, scope))
        self._expect_bool(e, expr_tree, f"{kind} '{name}'")
        if kind == "temporal":
            self._check_temporal_shape(e, expr_tree)
        self.properties[name] = ir.Property(name, kind, e, doc, self.sp(tok))
        self.broken.discard(name)

    def _assumption(self, item) -> None:
        """``assume Name: expr``: a boolean over constants and defs of them
        (TLA+'s ASSUME), checked by the engines once per model."""
        tok, name, doc, lines, expr_tree = self._named_formula(item)
        scope, lets = self._let_lines(lines, Scope("assume"))
        e = self._wrap_lets(lets, self.expr(expr_tree, scope))
        self._expect_bool(e, expr_tree, f"assumption '{name}'")
        self.assumptions[name] = ir.Assumption(name, e, doc, self.sp(tok))

    def _check_temporal_shape(self, e: ir.Expr, node) -> None:
        """Temporal properties are conjunctions (possibly under forall over
        constant sets) of the shapes :mod:`pyspec.ir.temporal` lists; the
        error points at the first conjunct of another shape."""
        bad = temporal.unsupported(e)
        if bad is not None:
            what = ": a state predicate alone (did you mean 'always P'?)" if temporal.is_state(bad) else ""
            self.err(f"unsupported temporal formula{what}; supported forms are {temporal.SUPPORTED}", bad.span)

    # ----------------------------------------------------------------- models
    def _model(self, item, into: dict) -> None:
        kids = list(item.children)
        tok, parent_tok = kids[0], kids[1]
        rest = kids[2:]
        doc = ""
        if rest and isinstance(rest[0], lark.Tree) and rest[0].data == "docstring":
            doc = _string_value(rest[0].children[0])
            rest = rest[1:]
        name = str(tok)
        bindings: dict[str, ir.Expr] = {}
        checks: dict[str, ir.Check] = {}
        symmetry: tuple[str, ...] = ()
        constraint = None
        deadlock = "holds"
        overrides: dict[str, ir.Def] = {}
        if parent_tok is not None:
            pname = str(parent_tok)
            parent = None
            if pname == name or pname in self._model_stack:
                cycle = self._model_stack[self._model_stack.index(pname):] if pname != name else []
                self.err(f"model '{name}' extends itself" if pname == name else
                         "models extend each other in a cycle: " + " -> ".join(cycle + [name, pname]),
                         parent_tok)
            else:
                self._model_stack.append(name)
                try:
                    parent = self.models.get(pname) or self._base_model(pname)
                finally:
                    self._model_stack.pop()
                if parent is None and pname in self._root_models:
                    self.err(f"model '{name}' extends model '{pname}', which is defined after it "
                             f"(define '{pname}' first)", parent_tok)
                elif parent is None:
                    self.err(f"model '{name}' extends unknown model '{parent_tok}'", parent_tok)
            if parent is not None:
                defaults = {c.name: c.default for c in self.consts.values()}
                for cname, value in parent.constants:
                    if defaults.get(cname) is not value:
                        bindings[cname] = value
                checks = {c.property: c for c in parent.checks}
                symmetry, constraint, deadlock = parent.symmetry, parent.constraint, parent.deadlock
                overrides.update({d.name: d for d in parent.defs})
        seen_bind: dict[str, Span] = {}
        for it in rest:
            d = it.data
            if d == "binding":
                ctok, vt = it.children
                cname = str(ctok)
                if cname in seen_bind:
                    self.err(f"constant '{cname}' is bound twice in model '{name}'", ctok)
                    continue
                seen_bind[cname] = self.sp(ctok)
                if cname not in self.consts:
                    what = "a variable" if cname in self.vars else "not a constant of this spec"
                    self.err(f"model '{name}' binds '{cname}', which is {what}", ctok)
                    continue
                try:
                    v = self.expr(vt, Scope("model"))
                except Bail:
                    continue
                cty = self.consts[cname].type
                if not T.assignable(cty, v.type):
                    self.err(f"model '{name}' binds constant '{cname}' of type {T.describe(cty)} "
                             f"to a value of type {T.describe(v.type)}", vt)
                    continue
                bindings[cname] = v
            elif d == "symmetry":
                syms = []
                for s in it.children:
                    c = self.consts.get(str(s))
                    if c is None:
                        self.err(f"symmetry set '{s}' is not a constant", s)
                    elif not (isinstance(c.type, SetType) and isinstance(c.type.elem, SortType)):
                        self.err(f"symmetry set '{s}' must be a set of model values (a set of a sort), "
                                 f"not {T.describe(c.type)}", s)
                    else:
                        syms.append(str(s))
                symmetry = tuple(syms)
            elif d == "constraint":
                try:
                    constraint = self.expr(it.children[0], Scope("constraint"))
                    self._expect_bool(constraint, it.children[0], "a state constraint")
                except Bail:
                    pass
            elif d == "check":
                ptok, otok = it.children
                pname = str(ptok)
                outcome = str(otok) if otok is not None else "holds"
                if outcome not in ("holds", "violated"):
                    self.err(f"expected outcome must be 'holds' or 'violated', not '{otok}'", otok)
                    continue
                if pname in self.broken:
                    continue
                if pname not in self.properties:
                    self.err(f"model '{name}' checks unknown property '{pname}'", ptok)
                    continue
                checks[pname] = ir.Check(pname, outcome, self.sp(ptok))
            elif d == "def_decl":
                dv = self._model_def(it, name)
                if dv is not None:
                    overrides[dv.name] = dv
            elif d == "deadlock":
                v = str(it.children[0])
                if v not in ("holds", "violated", "ignore"):
                    self.err(f"'deadlock:' takes 'holds', 'violated' or 'ignore', not '{v}'", it.children[0])
                    continue
                deadlock = v
        constants = []
        for c in self.consts.values():
            if c.name in bindings:
                constants.append((c.name, bindings[c.name]))
            elif c.default is not None:
                constants.append((c.name, c.default))
            elif c.name not in self.broken_consts:
                self.err(f"model '{name}' does not bind constant '{c.name}', which has no default", tok)
        # Symmetry needs a symmetric model: a symmetry set must be bound to a
        # set literal of distinct model values of its sort.
        for s in symmetry:
            v = dict(constants).get(s)
            if v is not None and not (isinstance(v, ir.SetLit) and all(isinstance(x, ir.SortValue) for x in v.elems)):
                self.err(f"symmetry set '{s}' must be bound to a set literal of model values in model '{name}'", tok)
        into[name] = ir.Model(name, tuple(constants), tuple(checks.values()), symmetry, constraint,
                              deadlock, doc, self.sp(tok), tuple(overrides.values()))

    def _model_def(self, item, model: str) -> ir.Def | None:
        """``def f(...)`` inside a model: replaces the spec's def ``f`` in
        this model (TLC's ``f <- MC_f``); same parameters and result type."""
        tok, params_t, ret_t, body = self._def_parts(item)
        fname = str(tok)
        if any(isinstance(c, lark.Tree) and c.data == "override" for c in item.children):
            self.err("a def in a model replaces the spec's def of that name: drop 'override'", tok)
            return None
        if fname not in self.defs:
            self.err(f"model '{model}' replaces def '{fname}', which the spec does not define"
                     + ("" if fname not in self.def_sigs else " (or which has errors)"), tok)
            return None
        orig = self.defs[fname]
        try:
            params = [ir.Param(str(p.children[0]), self.type_of(p.children[1], Scope("const")), self.sp(p))
                      for p in params_t]
            rt = self.type_of(ret_t, Scope("const")) if ret_t is not None else orig.result
        except Bail:
            return None
        if [p.type for p in params] != [p.type for p in orig.params] or rt != orig.result:
            sig = ", ".join(f"{p.name}: {T.describe(p.type)}" for p in orig.params)
            self.err(f"the replacement of '{fname}' in model '{model}' must have its signature "
                     f"({sig}) -> {T.describe(orig.result)}", tok)
            return None
        scope = Scope("def", bound={p.name: p.type for p in params})
        try:
            scope, lets = self._let_lines([c for c in body.children[:-1]
                                           if isinstance(c, lark.Tree) and c.data == "let_line"], scope)
            value = self._wrap_lets(lets, self.expr(body.children[-1], scope))
        except Bail:
            return None
        self._expect_assignable(rt, value, body.children[-1], f"result of '{fname}' in model '{model}'")
        return ir.Def(fname, tuple(params), rt, value, self.sp(tok))

    def _base_model(self, name: str) -> ir.Model | None:
        for unit, item in self._base_model_items:
            if str(item.children[0]) == name:
                saved = self.path
                self.path = unit.path
                tmp: dict = {}
                try:
                    self._model(item, tmp)
                finally:
                    self.path = saved
                return tmp.get(name)
        return None

    def _warn_unused(self) -> None:
        for name, (_, _, _, span) in self.macros.items():
            if "m:" + name not in self.used:
                self.warn(f"macro '{name}' is never called (its body is checked where it is called)", span)
        for v in self.vars.values():
            if "v:" + v.name not in self.used:
                self.warn(f"variable '{v.name}' is never read", v.span)
        for p in self.procs.values():
            for lv in p.locals.values():
                if "l:" + p.name + "." + lv.name not in self.used:
                    self.warn(f"local '{lv.name}' of process '{p.name}' is never read", lv.span)
