"""Fairness declarations: ``fair Name(p in S): A(p) or B(p, _) or proc[p].l``,
and the same parts as a temporal formula, ``weak_fair(A(p) or B(p, _))``.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.  One weak (strong) fairness
condition per value of the binders over the disjunction of the step
instances the parts name (TLA+'s ``\\A p \\in S : WF_vars(A(p) \\/ \\E q :
B(p, q) \\/ ...)``); ``next`` names every step of the spec
(``WF_vars(Next)``).  An argument may read the state: ``Return(c,
alloc[c])`` is TLA+'s ``WF_vars(Return(c, alloc[c]))``, the instance whose
argument is the value in the current state.  docs/language.md, "Fairness
of several actions".
"""

from __future__ import annotations

from dataclasses import replace

import lark

from ..ir import nodes as ir
from ..ir.nodes import BOOL, SetType
from ..ir.walk import iter_exprs
from .scope import (
    _FAIRNESS,
    Bail,
    Scope,
    _kind_word,
    _string_value,
    _suggest,
    _without_override,
)

#: what a disjunct may be, for messages
_FORMS = ("an action ('A', every instance; 'A(e, _)', '_' for any value of a parameter, "
          "e may read the state), "
          "a process ('p', every step of every instance; 'p[e]', one instance) or a step ('p.l', 'p[e].l'), "
          "or 'next' alone (every step of the spec)")


def _disjuncts(t) -> list:
    """The operands of ``a or b or ...`` (parentheses are gone already)."""
    if isinstance(t, lark.Tree) and t.data == "or_test":
        out = []
        for c in t.children:
            out.extend(_disjuncts(c))
        return out
    return [t]


def _is_wildcard(t) -> bool:
    return isinstance(t, lark.Tree) and t.data == "name" and str(t.children[0]) == "_"


class FairnessChecks:
    def _fairness_decl(self, item) -> None:
        kids = _without_override(item)
        fair_tree, tok, params, body = kids
        name = str(tok)
        self._new_name(name, tok)
        kind = _FAIRNESS[fair_tree.data]
        if kind == "unfair":
            self.err(f"fairness condition '{name}' is 'fair' (weak) or 'strong fair'; 'unfair' leaves a step "
                     f"out of its fair process's fairness", fair_tree)
            raise Bail
        group = next((c for c in fair_tree.children if isinstance(c, lark.Tree) and c.data == "fair_group"), None)
        if group is not None:
            self.err(f"'fair(...)' groups the instances of one action; a fairness condition binds its own "
                     f"names: 'fair {name}(c in C): A(c, _) or B(c)'", group)
            raise Bail
        binders: list[ir.Binder] = []
        bound: dict = {}
        if params is not None:
            binders, bound = self._binders(params.children, Scope("const"))
            for b in binders:
                self._check_reserved(b.name, b.span)
        doc = ""
        parts_t = body.children
        if len(parts_t) >= 2 and isinstance(parts_t[0], lark.Tree) and parts_t[0].data == "docstring":
            doc = _string_value(parts_t[0].children[0])
        lets = [k for k in parts_t[:-1] if isinstance(k, lark.Tree) and k.data == "let_line"]
        if lets:
            self.err("'let' is not allowed in a fairness condition", lets[0])
            raise Bail
        # an argument may read the state (the instance named in each state)
        scope = Scope("temporal").child(bound)
        parts, everything = self._fair_parts(parts_t[-1], scope)
        unread = {b.name for b in binders} - {r for p in parts for r in _bound_reads(p)}
        if everything and binders:
            self.err(f"'next' does not depend on '{binders[0].name}': one condition per value of it would be "
                     f"the same condition", binders[0].span)
            raise Bail
        for b in binders:
            if b.name in unread:
                self.warn(f"'{b.name}' is bound but no part of fairness condition '{name}' reads it: "
                          f"every value of it gives the same condition", b.span)
        self.fairness_decls[name] = ir.FairnessDecl(name, kind, tuple(binders), tuple(parts), doc, self.sp(tok))

    def _fair_parts(self, t, scope: Scope) -> tuple[list[ir.FairPart], bool]:
        """The parts of ``A(p) or B(p, _) or w[p].l`` and whether it is
        ``next`` (every step, no parts)."""
        ds = _disjuncts(t)
        parts: list[ir.FairPart] = []
        everything = False
        ok = True
        for d in ds:
            if isinstance(d, lark.Tree) and d.data == "name" and str(d.children[0]) == "next" \
                    and "next" not in self.processes:
                if len(ds) > 1:
                    self.err("'next' is every step of the spec: write it alone", d)
                    ok = False
                everything = True
                continue
            try:
                parts.append(self._fair_part(d, scope))
            except Bail:
                ok = False
        if not ok:
            raise Bail
        return parts, everything

    def _fair_formula(self, fname: str, t, arg_trees, scope: Scope) -> ir.FairFormula:
        """``weak_fair(A(p) or B(p, _))`` / ``strong_fair(...)``: the fairness
        condition a declaration with these parts states, as a conjunct of a
        temporal property (TLA+'s ``WF_vars(A(p) \\/ \\E q : B(p, q))`` as a
        PROPERTY); the arguments may read the bound names and the state."""
        tla = "WF_vars" if fname == "weak_fair" else "SF_vars"
        if scope.kind != "temporal":
            self.err(f"'{fname}(...)' (TLA+'s {tla}) is a temporal formula: it is only allowed in a "
                     f"'temporal' property (the fairness a spec assumes is declared with 'fair')", t)
            raise Bail
        if not scope.allow_temporal:
            self.err(f"'{fname}(...)' cannot be used inside this expression (it is a conjunct of a temporal "
                     f"property: combine it with 'and' and 'forall')", t)
            raise Bail
        if len(arg_trees) != 1 or arg_trees[0].data == "kwarg":
            self.err(f"'{fname}' takes one argument, the steps a fairness declaration names: "
                     f"'{fname}(A(p))', '{fname}(A(p, _) or B(p))', '{fname}(next)'", t)
            raise Bail
        parts, _ = self._fair_parts(arg_trees[0].children[0], replace(scope, allow_temporal=False))
        actions = frozenset(p.process for p in parts if self.processes[p.process].is_action)
        kind = "weak" if fname == "weak_fair" else "strong"
        return ir.FairFormula(self.sp(t), BOOL, kind, tuple(parts), actions)

    def _fair_part(self, t, scope: Scope) -> ir.FairPart:
        """One disjunct: ``A``, ``A(args)``, ``p``, ``p[e]``, ``p.l``, ``p[e].l``."""
        span = self.sp(t)
        label_tok = None
        if isinstance(t, lark.Tree) and t.data == "field":
            t, label_tok = t.children
        index_t = None
        call_args = None
        if isinstance(t, lark.Tree) and t.data == "index":
            t, index_t = t.children
        elif isinstance(t, lark.Tree) and t.data == "call":
            t, *call_args = t.children
            call_args = [a for a in call_args if a is not None]
        if not (isinstance(t, lark.Tree) and t.data == "name"):
            self.err(f"a part of a fairness condition is {_FORMS}", t)
            raise Bail
        tok = t.children[0]
        n = str(tok)
        p = self.processes.get(n)
        if p is None:
            kind = self.item_kinds.get(n)
            if kind is not None and kind[0] not in ("process_decl", "action_def"):
                what = _kind_word(kind[0])
                self.err(f"'{n}' is a{'n' if what[0] in 'aeiou' else ''} {what}, not an action or a process", tok)
            elif kind is not None:
                raise Bail  # the action or process has errors of its own
            else:
                hint = _suggest(n, list(self.processes))
                self.err(f"'{n}' is not an action or a process" + (f" (did you mean '{hint}'?)" if hint else ""),
                         tok)
            raise Bail
        if p.is_action:
            if index_t is not None:
                self.err(f"'{n}' is an action: name an instance with its arguments, '{n}(...)'", index_t)
                raise Bail
            if label_tok is not None:
                self.err(f"'{n}' is an action, a single step: write '{n}'", label_tok)
                raise Bail
            if call_args is None:
                return ir.FairPart(n, None, None, span)
            if not p.params:
                self.err(f"action '{n}' has no parameters: write '{n}'", t)
                raise Bail
            if len(call_args) != len(p.params):
                shown = ", ".join(p.params)
                self.err(f"action '{n}' has {len(p.params)} parameter{'s' if len(p.params) > 1 else ''} "
                         f"({shown}), {len(call_args)} argument{'s' if len(call_args) != 1 else ''} given "
                         f"('_' for any value)", t)
                raise Bail
            if len(p.params) > 1:
                types = [b.domain.type.elem for b in p.index_set.binders]
            else:
                types = [p.index_set.type.elem]
            args: list[ir.Expr | None] = []
            for pname, ty, a in zip(p.params, types, call_args):
                if a.data == "kwarg":
                    self.err("arguments of an action are given by position", a)
                    raise Bail
                at = a.children[0]
                if _is_wildcard(at):
                    args.append(None)
                    continue
                e = self.expr(at, scope)
                self._expect_assignable(ty, e, at, f"the argument for parameter '{pname}' of action '{n}'")
                args.append(e)
            binders = p.index_set.binders if len(p.params) > 1 else ()
            for b, a, at in zip(binders, args, call_args):
                reads = sorted({e.name for e in iter_exprs(b.domain) if isinstance(e, ir.BoundRef)
                                and e.name in p.params and args[p.params.index(e.name)] is None})
                if a is not None and reads:
                    self.err(f"the domain of parameter '{b.name}' of action '{n}' reads '{reads[0]}', which is "
                             f"left out ('_'): give '{reads[0]}' too, or leave '{b.name}' out", at)
                    raise Bail
            return ir.FairPart(n, None, tuple(args), span)
        # a process
        if call_args is not None:
            self.err(f"'{n}' is a process: name an instance with '{n}[e]', a step with '{n}.label'", t)
            raise Bail
        args_p = None
        if index_t is not None:
            if p.index is None:
                self.err(f"process '{n}' has one instance: write '{n}'", index_t)
                raise Bail
            if _is_wildcard(index_t):
                args_p = (None,)
            else:
                e = self.expr(index_t, scope)
                assert isinstance(p.index_set.type, SetType)
                self._expect_assignable(p.index_set.type.elem, e, index_t, f"the instance of process '{n}'")
                args_p = (e,)
        label = None
        if label_tok is not None:
            label = str(label_tok)
            labels = [s.label for s in p.steps]
            if label not in labels:
                hint = _suggest(label, labels)
                self.err(f"process '{n}' has no step '{label}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                         label_tok)
                raise Bail
        return ir.FairPart(n, label, args_p, span)


def _bound_reads(part: ir.FairPart) -> set[str]:
    out: set[str] = set()
    for a in part.args or ():
        if a is not None:
            out |= {e.name for e in iter_exprs(a) if isinstance(e, ir.BoundRef)}
    return out
