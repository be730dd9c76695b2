"""Declarations: merging the units, names, constants, variables, types, defs and the initial values.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.
"""

from __future__ import annotations

import itertools

import lark

from .. import names as naming
from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir.nodes import (
    ANY,
    BOOL,
    INT,
    STR,
    EnumType,
    IntType,
    MapType,
    OptionalType,
    RecordType,
    SeqType,
    SetType,
    SortType,
    TupleType,
    Type,
    VariantType,
)
from . import types as T
from .loader import Unit
from .scope import (
    KEYWORDS,
    Bail,
    Scope,
    _kind_word,
    _name_token,
    _without_override,
    span_of,
)


class DeclarationChecks:
    def _item_name(self, item: lark.Tree) -> tuple[str, lark.Token, bool]:
        kids = [c for c in item.children if not (isinstance(c, lark.Tree) and c.data in
                                                   ("override", "weak_fair", "strong_fair", "no_fair"))]
        override = any(isinstance(c, lark.Tree) and c.data == "override" for c in item.children)
        tok = kids[0]
        return str(tok), tok, override

    def _merge(self, items):
        """Apply ``override``: a later definition replaces an earlier one of
        the same name in place; a duplicate without ``override`` is an error."""
        out: list = []
        where: dict[tuple[str, str], int] = {}
        for unit, item in items:
            self.path = unit.path
            name, tok, override = self._item_name(item)
            ns = "model" if item.data == "model_decl" else "sort" if item.data == "sort_decl" else "global"
            key = (ns, name)
            # a sort and a constant may share a name (`const RM: set[RM]`,
            # checked in the constants phase); any other pair may not
            hit = key if key in where else None
            if hit is None and ns == "sort" and ("global", name) in where and \
                    out[where[("global", name)]][1].data != "const_decl":
                hit = ("global", name)
            elif hit is None and ns == "global" and item.data != "const_decl" and ("sort", name) in where:
                hit = ("sort", name)
            if hit is not None:
                prev_unit, prev = out[where[hit]]
                if unit is prev_unit:
                    pspan = span_of(_name_token(prev), prev_unit.path)
                    why = ""
                    if hit != key:  # a sort and something else than a constant
                        why = f" (only a constant may share a sort's name: const {name}: set[{name}])"
                    self.err(f"'{name}' is already defined at {self._at(pspan)}{why}", tok)
                    continue
                if ns == "model":
                    # models of a base spec are not inherited, only reusable
                    # through ``model X extends Y``.
                    self._base_model_items.append((prev_unit, prev))
                    out[where[key]] = (unit, item)
                    continue
                if not override:
                    pspan = span_of(_name_token(prev), prev_unit.path)
                    self.err(f"'{name}' is already defined at {self._at(pspan)}; write 'override' to replace it", tok)
                    continue
                if prev.data != item.data:
                    self.err(f"'override' must replace a definition of the same kind "
                             f"('{name}' is a {_kind_word(prev.data)} in the base)", tok)
                    continue
                out[where[key]] = (unit, item)
            else:
                if override:
                    self.err(f"'{name}' overrides nothing: no base spec defines it", tok)
                where[key] = len(out)
                out.append((unit, item))
        # models of bases: only reusable via extends
        final = []
        for unit, item in out:
            if item.data == "model_decl" and unit.role != "root":
                self._base_model_items.append((unit, item))
                continue
            final.append((unit, item))
        return final

    def _declare(self, phase: str, unit: Unit, item: lark.Tree) -> None:
        d = item.data
        if phase == "types":
            if d == "sort_decl":
                tok = item.children[0]
                self._new_name(str(tok), tok)
                self.sorts[str(tok)] = ir.Sort(str(tok), self.sp(tok))
            elif d == "enum_decl":
                tok = item.children[0]
                self._new_name(str(tok), tok)
                vals = []
                for v in item.children[1:]:
                    if str(v) in vals:
                        self.err(f"duplicate value '{v}' in enum '{tok}'", v)
                    else:
                        vals.append(str(v))
                self.enums[str(tok)] = ir.Enum(str(tok), tuple(vals), self.sp(tok))
            elif d in ("variant_decl", "type_decl"):
                # resolved when first used, or in the constants phase at the
                # latest: a type may use constants declared above it
                tok = item.children[0]
                self._new_name(str(tok), tok)
                self._pending_types[str(tok)] = (item, self.path)
        elif phase == "consts" and d in ("variant_decl", "type_decl"):
            self._resolve_type_decl(str(item.children[0]))
        elif phase == "consts" and d == "const_decl":
            kids = _without_override(item)
            tok, ty_tree, default = kids[0], kids[1], kids[2]
            shared = str(tok) in self.sorts
            if shared:
                self._check_reserved(str(tok), self.sp(tok))  # the sort's name: declared already
            else:
                self._new_name(str(tok), tok)
            try:
                ty = self.type_of(ty_tree, Scope("const"))
            except Bail:
                ty = ANY
            if shared:
                self._check_sort_constant(str(tok), ty, tok)
            dv = None
            try:
                if default is not None:
                    dv = self.expr(default, Scope("const"))
                    self._expect_assignable(ty, dv, default, f"default of constant '{tok}'")
            except Bail:
                dv = None  # reported; the constant still exists for its uses
                self.broken_consts.add(str(tok))
            self.consts[str(tok)] = ir.Const(str(tok), ty, dv, self.sp(tok))
        elif phase == "vars" and d == "var_decl":
            # the type now, the initial value once the defs it may call are
            # checked (phase "inits")
            tok, ty_tree, _ = _without_override(item)
            self._new_name(str(tok), tok)
            try:
                ty = self.type_of(ty_tree, Scope("const"))
            except Bail:
                ty = ANY
            self.vars[str(tok)] = ir.Var(str(tok), ty, "eq", ir.Lit(self.sp(tok), ty, 0), self.sp(tok))
        elif phase == "inits" and d == "var_decl":
            self._var_init(item)
        elif phase == "inits" and d == "process_decl":
            self._local_inits(item)
        elif phase == "def_sigs" and d == "def_decl":
            self._def_sig(item)
        elif phase == "def_sigs" and d == "macro_decl":
            self._macro_decl(item)
        elif phase == "def_sigs" and d == "procedure_decl":
            self._procedure_decl(item)
        elif phase == "procs" and d == "process_decl":
            self._proc_decl(item)
        elif phase == "procs" and d == "action_def":
            self._action_decl(item)
        elif phase == "defs" and d == "def_decl":
            self._def_body(item)
        elif phase == "steps" and d == "process_decl":
            self._process(item)
        elif phase == "steps" and d == "action_def":
            self._action(item)
        elif phase == "props" and d in ("invariant_decl", "action_decl", "temporal_decl"):
            self._property(item)
        elif phase == "props" and d == "refinement_decl":
            self._refinement(item)
        elif phase == "props" and d == "assume_decl":
            self._assumption(item)
        elif phase == "props" and d == "fairness_decl":
            self._fairness_decl(item)
        elif phase == "models" and d == "model_decl":
            self._model(item, self.models)

    def _new_name(self, name: str, tok) -> None:
        self._check_reserved(name, self.sp(tok))
        if name in self.declared_at and self.declared_at[name] != self.sp(tok):
            self.err(f"'{name}' is already defined at {self._at(self.declared_at[name])}", tok)
            raise Bail
        self.declared_at[name] = self.sp(tok)

    def _check_sort_constant(self, name: str, ty: Type, tok) -> None:
        """A constant with the name of a sort (TLA+'s ``CONSTANT RM``, a set
        of model values): in a type the name is the sort, in an expression
        the constant, so the constant must be a set of that sort's values
        (else ``RM`` would mean two unrelated things)."""
        if ty == SetType(SortType(name)) or ty == ANY:
            return
        where = self._at(self.sorts[name].span)
        self.err(f"constant '{name}' has the name of the sort '{name}' (at {where}): a constant may "
                 f"share a sort's name only as a set of that sort's model values, 'const {name}: "
                 f"set[{name}]', not {T.describe(ty)}", tok)

    def _check_reserved(self, name: str, span: Span) -> None:
        why = naming.reserved_reason(name)
        if why is None and name in KEYWORDS:
            why = f"'{name}' is a pyspec keyword"
        if why:
            self.err(f"cannot use '{name}' as a name: {why}", span)

    def _var_init(self, item: lark.Tree) -> None:
        """The initial value of a variable: it may read the variables
        declared before it (initialised in declaration order)."""
        tok, _, init = _without_override(item)
        name = str(tok)
        v = self.vars.get(name)
        if v is None or self.declared_at.get(name) != self.sp(tok):
            return  # refused declaration (already reported)
        ready = frozenset("v:" + n for n in itertools.takewhile(lambda n: n != name, self.vars))
        scope = Scope("init", initialising="v:" + name, ready=ready)
        try:
            kind, value = self._init(init, v.type, scope, name)
        except Bail:
            return  # reported; the variable keeps its placeholder, so that its uses raise no errors
        self.vars[name] = ir.Var(name, v.type, kind, value, v.span)

    def _local_inits(self, item: lark.Tree) -> None:
        """The initial values of a process's locals: each may read ``self``,
        the variables and the locals declared before it (of the same
        instance)."""
        tok = self._proc_parts(item)[0]
        pd = self.procs.get(str(tok))
        if pd is None or pd.span != self.sp(tok):
            return
        done: list[str] = []
        for lname, (linit, lty) in pd.local_inits.items():
            scope = Scope("local_init", proc_decl=self._init_view(pd, lname), initialising="l:" + lname,
                          ready=frozenset(["v:" + n for n in self.vars] + ["l:" + n for n in done]))
            done.append(lname)
            lv = pd.locals[lname]
            if isinstance(linit, ir.Expr):
                pd.locals[lname] = ir.Var(lname, lty, "eq", linit, lv.span)
                continue
            saved, self.path = self.path, lv.span.file  # a procedure's local may come from another file
            try:
                kind, value = self._init(linit, lty, scope, lname)
            except Bail:
                continue
            finally:
                self.path = saved
            pd.locals[lname] = ir.Var(lname, lty, kind, value, lv.span)

    def _check_field_name(self, name: str, tok) -> None:
        # spec names are renamed in TLA+ when needed; a record field is part
        # of every value TLC prints, so it keeps its name and TLA+ must accept it
        if name in naming.TLA_RESERVED:
            self.err(f"cannot use '{name}' as a record field: '{name}' is a TLA+ reserved word", tok)

    def _init(self, init: lark.Tree, ty: Type, scope: Scope, what: str):
        value = self.expr(init.children[0], scope)
        if init.data == "init_eq":
            self._expect_assignable(ty, value, init.children[0], f"initial value of '{what}'")
            return "eq", value
        if not isinstance(value.type, SetType):
            self.err(f"'{what} in ...' needs a set of possible initial values, got {T.describe(value.type)}",
                     init.children[0])
            raise Bail
        if not T.assignable(ty, value.type.elem):
            self.err(f"initial values of '{what}' have type {T.describe(value.type.elem)}, "
                     f"but '{what}' is declared {T.describe(ty)}", init.children[0])
        return "in", value

    def _expect_assignable(self, ty: Type, value: ir.Expr, node, what: str) -> None:
        if not T.assignable(ty, value.type):
            self.err(f"type mismatch: {what} has type {T.describe(value.type)}, expected {T.describe(ty)}", node)

    # ------------------------------------------------------------------ defs
    def _def_parts(self, item):
        kids = _without_override(item)
        tok = kids[0]
        body = kids[-1]
        ret = kids[-2]
        params = [c for c in kids[1:-2] if isinstance(c, lark.Tree) and c.data == "param"]
        return tok, params, ret, body

    def _def_sig(self, item) -> None:
        tok, params, ret, _ = self._def_parts(item)
        self._new_name(str(tok), tok)
        ps = []
        seen = set()
        for p in params:
            ptok, pty = p.children
            if str(ptok) in seen:
                self.err(f"duplicate parameter '{ptok}'", ptok)
            seen.add(str(ptok))
            self._check_shadow(str(ptok), ptok, Scope("const"))
            try:
                ps.append(ir.Param(str(ptok), self.type_of(pty, Scope("const")), self.sp(ptok)))
            except Bail:
                ps.append(ir.Param(str(ptok), ANY, self.sp(ptok)))
        rt = self.type_of(ret, Scope("const")) if ret is not None else None
        self.def_sigs[str(tok)] = (tuple(ps), rt)

    def _def_body(self, item) -> None:
        tok, _, ret, body = self._def_parts(item)
        if str(tok) not in self.def_sigs:
            return
        params, rt = self.def_sigs[str(tok)]
        expr_tree = body.children[-1]
        scope = Scope("def", bound={p.name: p.type for p in params})
        scope, lets = self._let_lines([c for c in body.children[:-1]
                                       if isinstance(c, lark.Tree) and c.data == "let_line"], scope)
        value = self._wrap_lets(lets, self.expr(expr_tree, scope))
        if rt is not None:
            self._expect_assignable(rt, value, expr_tree, f"result of '{tok}'")
        else:
            rt = value.type
            self.def_sigs[str(tok)] = (params, rt)
        self.defs[str(tok)] = ir.Def(str(tok), params, rt, value, self.sp(tok))

    def _resolve_type_decl(self, name: str) -> None:
        """Check a ``type`` or ``variant`` declaration (once; a cycle is an error)."""
        entry = self._pending_types.pop(name, None)
        if entry is None:
            return
        item, path = entry
        saved, self.path = self.path, path
        self._resolving.add(name)
        try:
            if item.data == "variant_decl":
                self._variant_decl(item)
            else:
                try:
                    self.aliases[name] = self.type_of(item.children[1], Scope("const"))
                except Bail:
                    self.aliases[name] = ANY
        finally:
            self._resolving.discard(name)
            self.path = saved

    # -------------------------------------------------------------- variants
    def _variant_decl(self, item) -> None:
        tok = item.children[0]
        cases: list = []
        for c in item.children[1:]:
            if not isinstance(c, lark.Tree) or c.data != "variant_case":
                continue
            ctok, fields_t = c.children
            if any(t == str(ctok) for t, _ in cases):
                self.err(f"duplicate case '{ctok}' in variant '{tok}'", ctok)
                continue
            self._check_reserved(str(ctok), self.sp(ctok))
            fields: list = []
            for ft in (fields_t.children if fields_t is not None else ()):
                fn = str(ft.children[0])
                if fn == "tag":
                    self.err("'tag' is the field that names a variant's case; choose another field name",
                             ft.children[0])
                elif fn in (n for n, _ in fields):
                    self.err(f"duplicate field '{fn}'", ft.children[0])
                try:
                    fields.append((fn, self.type_of(ft.children[1], Scope("const"))))
                except Bail:
                    fields.append((fn, ANY))
            cases.append((str(ctok), tuple(sorted(fields))))
        self.variants[str(tok)] = VariantType(str(tok), tuple(cases))

    # ------------------------------------------------------------------ types
    def type_of(self, t: lark.Tree, scope: Scope) -> Type:
        d = t.data
        if d == "named_type":
            n = str(t.children[0])
            simple = {"bool": BOOL, "int": INT, "str": STR}
            if n in simple:
                return simple[n]
            if n in self.sorts:
                return SortType(n)
            if n in self.enums:
                return EnumType(n, self.enums[n].values)
            if n in self._resolving:
                self.err(f"type '{n}' is defined in terms of itself (types cannot be recursive)", t)
                raise Bail
            if n in self._pending_types:
                self._resolve_type_decl(n)
            if n in self.aliases:
                return self.aliases[n]
            if n in self.variants:
                return self.variants[n]
            if n in ("set", "map", "seq", "tuple", "optional"):
                self.err(f"'{n}' needs type arguments, e.g. {n}[int]", t)
            else:
                self.err(f"unknown type '{n}'", t)
            raise Bail
        if d == "generic_type":
            n = str(t.children[0])
            args = [self.type_of(a, scope) for a in t.children[1:]]
            arity = {"set": 1, "seq": 1, "optional": 1, "map": 2}
            if n in arity:
                if len(args) != arity[n]:
                    self.err(f"'{n}' takes {arity[n]} type argument{'s' if arity[n] > 1 else ''}, got {len(args)}", t)
                    raise Bail
                if n == "set":
                    return SetType(args[0])
                if n == "seq":
                    return SeqType(args[0])
                if n == "optional":
                    return OptionalType(args[0])
                return MapType(args[0], args[1])
            if n == "tuple":
                return TupleType(tuple(args))
            self.err(f"unknown generic type '{n}' (use set, map, seq, tuple or optional)", t)
            raise Bail
        if d == "range_type":
            lo = self.expr(t.children[0], Scope("const"))
            hi = self.expr(t.children[1], Scope("const"))
            for e, node in ((lo, t.children[0]), (hi, t.children[1])):
                if not T.is_int(e.type):
                    self.err(f"range bounds must be ints, got {T.describe(e.type)}", node)
                    raise Bail
            return IntType(lo, hi)
        if d == "record_type":
            fields = []
            seen = set()
            for ft in t.children:
                fn = str(ft.children[0])
                if fn in seen:
                    self.err(f"duplicate field '{fn}'", ft.children[0])
                seen.add(fn)
                self._check_field_name(fn, ft.children[0])
                fields.append((fn, self.type_of(ft.children[1], scope)))
            return RecordType(tuple(sorted(fields)))
        self.err("expected a type", t)
        raise Bail
