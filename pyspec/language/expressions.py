"""Expressions: names, operators by type, comprehensions, quantifiers, calls and builtins, temporal formulas.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.
"""

from __future__ import annotations

from dataclasses import fields, replace

import lark

from .. import names as naming
from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir import walk
from ..ir.nodes import (
    ANY,
    BOOL,
    INT,
    NONE_T,
    STR,
    AnyType,
    EnumType,
    LabelType,
    MapType,
    RecordType,
    SeqType,
    SetType,
    SortType,
    StrType,
    TupleType,
    Type,
    VariantType,
)
from . import types as T
from .scope import (
    BIN_INT,
    BUILTINS,
    CMP,
    KEYWORDS,
    Bail,
    ProcDecl,
    Scope,
    _kind_word,
    _scope_word,
    _string_value,
    _suggest,
    none_facts,
)


class ExpressionChecks:
    _def_reads_cache: dict | None = None

    def _variant_value(self, vt: VariantType, ctok, kwarg_trees, scope: Scope, span, called: bool):
        """``Msg.Case(f=e, ...)`` (``Msg.Case`` for a case without fields)."""
        tag = str(ctok)
        fields = vt.case(tag)
        if fields is None:
            self.err(f"variant '{vt.name}' has no case '{tag}' (cases: {', '.join(t for t, _ in vt.cases)})", ctok)
            raise Bail
        if not called and fields:
            self.err(f"'{vt.name}.{tag}' has fields: write {vt.name}.{tag}("
                     + ", ".join(f"{n}=..." for n, _ in fields) + ")", ctok)
            raise Bail
        given: dict[str, ir.Expr] = {}
        for kw in kwarg_trees:
            if kw.data != "kwarg":
                self.err(f"'{vt.name}.{tag}(...)' takes field=value arguments", kw)
                raise Bail
            k = str(kw.children[0])
            ft = dict(fields).get(k)
            if ft is None:
                self.err(f"case '{vt.name}.{tag}' has no field '{k}'"
                         + (f" (fields: {', '.join(n for n, _ in fields)})" if fields else ""), kw)
                raise Bail
            if k in given:
                self.err(f"field '{k}' given twice", kw)
                raise Bail
            v = self.expr(kw.children[1], self._nontemporal(scope))
            self._expect_assignable(ft, v, kw.children[1], f"field '{k}' of '{vt.name}.{tag}'")
            given[k] = v
        missing = [n for n, _ in fields if n not in given]
        if missing:
            self.err(f"'{vt.name}.{tag}(...)' misses field{'s' if len(missing) > 1 else ''} "
                     + ", ".join(f"'{n}'" for n in missing), span)
            raise Bail
        return ir.VariantLit(span, vt, tag, tuple((n, given[n]) for n, _ in fields))

    def _case_ref(self, t) -> tuple[VariantType, str] | None:
        """``Msg.Case`` as the second argument of isinstance / a case pattern."""
        if t.data == "field" and t.children[0].data == "name":
            vn, ctok = str(t.children[0].children[0]), t.children[1]
            if vn in self.variants:
                vt = self.variants[vn]
                if vt.case(str(ctok)) is None:
                    self.err(f"variant '{vn}' has no case '{ctok}' (cases: {', '.join(c for c, _ in vt.cases)})",
                             ctok)
                    raise Bail
                return vt, str(ctok)
        return None

    # ------------------------------------------------------------ expressions
    def _expect_bool(self, e: ir.Expr, node, what: str) -> None:
        if not T.is_bool(e.type):
            self.err(f"{what} must be a bool, got {T.describe(e.type)}", node)

    def _expect_int(self, e: ir.Expr, node, what: str) -> None:
        if not T.is_int(e.type):
            self.err(f"{what} needs an int, got {T.describe(e.type)}", node)
            raise Bail

    def expr(self, t, scope: Scope) -> ir.Expr:
        method = getattr(self, "_e_" + t.data, None)
        if method is None:
            self.err("unsupported expression", t)
            raise Bail
        return method(t, scope)

    def _e_int_lit(self, t, scope):
        text = str(t.children[0]).replace("_", "")
        try:
            v = int(text, 0)
        except ValueError:
            self.err(f"invalid number '{t.children[0]}'", t)
            raise Bail from None
        return ir.Lit(self.sp(t), INT, v)

    def _e_str_lit(self, t, scope):
        return ir.Lit(self.sp(t), STR, _string_value(t.children[0]))

    def _e_true_lit(self, t, scope):
        return ir.Lit(self.sp(t), BOOL, True)

    def _e_false_lit(self, t, scope):
        return ir.Lit(self.sp(t), BOOL, False)

    def _e_none_lit(self, t, scope):
        return ir.NoneLit(self.sp(t), NONE_T)

    def _narrow(self, ref: ir.Expr, key: tuple[str, str], scope: Scope) -> ir.Expr:
        """An optional name read where it is known not to be none has the
        inner type (the value is the same: an optional is its value or none)."""
        inner = scope.narrowed.get(key)
        if inner is None or not isinstance(ref.type, ir.OptionalType) or getattr(ref, "primed", False):
            return ref
        return replace(ref, type=inner)

    def _e_name(self, t, scope: Scope):
        tok = t.children[0]
        n = str(tok)
        span = self.sp(t)
        if n in scope.places:  # a macro's parameter bound to a place: the place, read here
            return self._place(n, scope)
        if n in scope.aliases:  # a macro's parameter, renamed
            real = scope.aliases[n]
            return self._narrow(ir.BoundRef(span, scope.bound[real], real), ("b", real), scope)
        if n in scope.bound:
            return self._narrow(ir.BoundRef(span, scope.bound[n], n), ("b", n), scope)
        pd = scope.proc_decl
        if pd is not None and pd.params and n in pd.params:
            if len(pd.params) == 1:
                return ir.SelfRef(span, pd.index_type, pd.name)
            i = pd.params.index(n)
            whole = ir.SelfRef(span, pd.index_type, pd.name)
            return ir.Index(span, pd.index_type.elems[i], whole, ir.Lit(span, INT, i))
        if n == "self":
            if pd is not None and pd.params is not None:
                self.err(f"'self' is not defined in action '{pd.name}': name its parameters "
                         f"(action {pd.name}(p in S): ...)", tok)
                raise Bail
            if pd is not None and pd.index is not None:
                return ir.SelfRef(span, pd.index_type, pd.name)
            self.err("'self' is only defined inside an indexed process", tok)
            raise Bail
        if pd is not None and n in pd.locals:
            real = pd.locals[n].name  # a procedure's local may be renamed in its process
            if scope.kind == "local_init":
                self._check_initialised("l:" + real, scope, tok)
            self.used.add("l:" + pd.name + "." + real)
            return self._narrow(ir.LocalRef(span, pd.locals[n].type, pd.name, real, None,
                                            ("l:" + real) in scope.assigned), ("l", real), scope)
        if n in self.vars:
            if scope.kind in ("const", "model", "assume"):
                self.err(f"variable '{n}' cannot be used in {_scope_word(scope.kind)}", tok)
                raise Bail
            if scope.kind in ("init", "local_init"):
                self._check_initialised("v:" + n, scope, tok)
                self.used.add("v:" + n)
            if scope.kind == "step" or scope.kind in ("invariant", "action", "temporal", "constraint", "def"):
                self.used.add("v:" + n)
            return self._narrow(ir.VarRef(span, self.vars[n].type, n, ("v:" + n) in scope.assigned), ("v", n), scope)
        if n in self.consts:
            return ir.ConstRef(span, self.consts[n].type, n)
        if scope.kind in ("invariant", "action", "temporal", "constraint", "def"):
            for p in self.procs.values():
                if n in p.locals:
                    how = f"{p.name}[i].{n}" if p.index else f"{p.name}.{n}"
                    self.err(f"'{n}' is a local of process '{p.name}'; outside the process write '{how}'", tok)
                    raise Bail
        if n in self.def_sigs:
            self.err(f"'{n}' is a def; call it with arguments: {n}(...)", tok)
            raise Bail
        if (n in self.sorts and self.item_kinds.get(n, ("",))[0] != "const_decl") or n in self.enums:
            self.err(f"'{n}' is a type; write a value as {n}.name", tok)
            raise Bail
        if n in self.procs and self.procs[n].params is not None:
            self.err(f"'{n}' is an action, not a value (it has no program counter or locals)", tok)
            raise Bail
        if n in self.procs:
            p = self.procs[n]
            self.err(f"'{n}' is a process; write {n}[i].pc or {n}[i].local" if p.index else
                     f"'{n}' is a process; write {n}.pc or {n}.local", tok)
            raise Bail
        if n in KEYWORDS or n in naming.PYTHON_RESERVED:
            self.err("'None' is written 'none'" if n == "None" else f"unexpected keyword '{n}'", tok)
            raise Bail
        other = {"true": "True", "false": "False", "TRUE": "True", "FALSE": "False", "null": "none",
                 "nil": "none", "NULL": "none"}.get(n)
        if other is not None and n not in self.vars and n not in self.consts:
            self.err(f"'{n}' is written '{other}' in pyspec", tok)
            raise Bail
        if n in self.item_kinds:
            # declared, but not (yet) usable here
            kind, where = self.item_kinds[n]
            if kind == "var_decl":
                self.err(f"variable '{n}' cannot be used in {_scope_word(scope.kind)}", tok)
            elif kind == "const_decl":
                self.err(f"constant '{n}' is used before its declaration at {self._at(where)}", tok)
            else:
                self.err(f"'{n}' is a{'n' if _kind_word(kind)[0] in 'aeiou' else ''} {_kind_word(kind)}, "
                         f"not a value", tok)
            raise Bail
        hint = _suggest(n, list(scope.bound) + list(self.vars) + list(self.consts) + list(self.def_sigs)
                        + (list(pd.locals) if pd else []))
        self.err(f"undefined name '{n}'" + (f" (did you mean '{hint}'?)" if hint else ""), tok)
        raise Bail

    def _initialised_at(self, key: str, pd: ProcDecl | None) -> Span | None:
        name = key[2:]
        if key.startswith("v:"):
            return self.vars[name].span if name in self.vars else None
        return pd.locals[name].span if pd is not None and name in pd.locals else None

    def _check_initialised(self, key: str, scope: Scope, tok) -> None:
        """An initial value reads only what is initialised before it: the
        variables declared before it (and, for a local, every variable and
        the locals of its process declared before it)."""
        if key in scope.ready:
            return
        me = scope.initialising[2:]
        n = key[2:]
        if key == scope.initialising:
            self.err(f"the initial value of '{me}' reads '{me}' itself", tok)
        else:
            where = self._at(self._initialised_at(key, scope.proc_decl))
            self.err(f"the initial value of '{me}' reads '{n}', which is declared after it (at {where}): "
                     f"initial values are evaluated in declaration order, so '{n}' has no value yet", tok)
        raise Bail

    def _check_def_in_init(self, fname: str, scope: Scope, node) -> None:
        """A def called in an initial value reads only what is initialised
        before that value."""
        for root in sorted(self._def_reads(fname)):
            if root[0] == "var":
                key = "v:" + root[1]
                if key in scope.ready:
                    continue
                me = scope.initialising[2:]
                if key == scope.initialising:
                    why = f"'{fname}' is called in the initial value of '{me}' itself"
                else:
                    why = f"'{root[1]}' is declared after '{me}' (at " \
                          f"{self._at(self._initialised_at(key, None))}), and initial values are " \
                          f"evaluated in declaration order"
                self.err(f"'{fname}' reads '{root[1]}', which has no value yet when the initial value of "
                         f"'{me}' is evaluated: {why}", node)
            else:
                what = f"the pc of process '{root[1]}'" if root[0] == "pc" else \
                    f"the local '{root[2]}' of process '{root[1]}'"
                self.err(f"'{fname}' reads {what}, which an initial value cannot read (a def called "
                         f"in an initial value may read the variables initialised before it)", node)
            raise Bail

    def _record_set(self, t, arg_trees, scope: Scope, span):
        """``records(f=S, g=T)``: every record with field f in S and g in T (TLA+'s [f: S, g: T])."""
        if not arg_trees or any(a.data != "kwarg" for a in arg_trees):
            self.err("records(...) takes field=set arguments only: records(f=S, g=T) is every record "
                     "with field f in S and g in T", t)
            raise Bail
        fields = self._field_arguments(arg_trees, scope)
        for kw, (k, v) in zip(arg_trees, fields):
            if not isinstance(T.strip_optional(v.type), (SetType, AnyType)):
                self.err(f"records() needs a set for field '{k}', got {T.describe(v.type)}", kw.children[1])
                raise Bail
        fields.sort(key=lambda kv: kv[0])
        rt = RecordType(tuple((k, v.type.elem if isinstance(v.type, SetType) else ANY) for k, v in fields))
        return ir.RecordSet(span, SetType(rt), tuple(fields))

    def _field_arguments(self, kws, scope) -> list[tuple[str, ir.Expr]]:
        """``f=e`` arguments (record, replace, records) in the order written:
        each field once, a name TLA+ accepts, its expression checked."""
        seen = set()
        fields = []
        for kw in kws:
            k = str(kw.children[0])
            if k in seen:
                self.err(f"field '{k}' given twice", kw)
                raise Bail
            seen.add(k)
            self._check_field_name(k, kw.children[0])
            fields.append((k, self.expr(kw.children[1], self._nontemporal(scope))))
        return fields

    def _check_def_in_assume(self, fname: str, node) -> None:
        """A def called in an assumption reads no state (the assumption is
        checked once per model, before there is a state)."""
        for root in sorted(self._def_reads(fname)):
            what = f"the variable '{root[1]}'" if root[0] == "var" else \
                f"the pc of process '{root[1]}'" if root[0] == "pc" else \
                f"the local '{root[2]}' of process '{root[1]}'"
            self.err(f"'{fname}' reads {what}, which an assumption cannot read (an assumption is "
                     f"checked once, before the search: it may read constants and defs of them)", node)
            raise Bail

    def _def_reads(self, fname: str) -> frozenset:
        if self._def_reads_cache is None:
            self._def_reads_cache = walk.def_reads_of(self.defs.values())
        return self._def_reads_cache.get(fname, frozenset())

    def _e_field(self, t, scope: Scope):
        base_t, ftok = t.children
        fname = str(ftok)
        span = self.sp(t)
        # Sort.value / Enum.value / singleton.local / proc[i].local
        if base_t.data == "name":
            bn = str(base_t.children[0])
            # a constant with its sort's name (const RM: set[RM]) is a set:
            # RM.r1 is still the model value r1 of the sort RM
            shadowed = bn in scope.bound or bn in self.vars or (bn in self.consts and bn not in self.sorts)
            if not shadowed and bn in self.sorts:
                self._check_reserved(fname, self.sp(ftok))
                return ir.SortValue(span, SortType(bn), bn, fname)
            if not shadowed and bn in self.variants:
                return self._variant_value(self.variants[bn], ftok, [], scope, span, called=False)
            if not shadowed and bn in self.enums:
                if fname not in self.enums[bn].values:
                    self.err(f"enum '{bn}' has no value '{fname}' (values: {', '.join(self.enums[bn].values)})", ftok)
                    raise Bail
                return ir.EnumValue(span, EnumType(bn, self.enums[bn].values), bn, fname)
            if not shadowed and bn in self.procs:
                p = self.procs[bn]
                if p.index is not None:
                    self.err(f"process '{bn}' is indexed: write {bn}[i].{fname}", base_t)
                    raise Bail
                return self._proc_member(p, None, ftok, span, scope)
        if base_t.data == "index" and base_t.children[0].data == "name":
            bn = str(base_t.children[0].children[0])
            if bn in self.procs and bn not in scope.bound and bn not in self.vars and bn not in self.consts:
                p = self.procs[bn]
                if p.index is None:
                    self.err(f"process '{bn}' is a singleton: write {bn}.{fname}", base_t)
                    raise Bail
                idx = self.expr(base_t.children[1], scope)
                if not T.assignable(p.index_type, idx.type):
                    self.err(f"process '{bn}' is indexed by {T.describe(p.index_type)}, "
                             f"not {T.describe(idx.type)}", base_t.children[1])
                return self._proc_member(p, idx, ftok, span, scope)
        base = self.expr(base_t, scope)
        bt = T.strip_optional(base.type)
        if isinstance(bt, VariantType):
            if fname == "tag":
                return ir.Field(span, STR, base, "tag")
            types = bt.field_types(fname)
            if not types:
                self.err(f"no case of variant '{bt.name}' has a field '{fname}'", ftok)
                raise Bail
            ft = types[0]
            for other in types[1:]:
                ft = T.join(ft, other)
                if ft is None:
                    self.err(f"field '{fname}' has different types in the cases of '{bt.name}'", ftok)
                    raise Bail
            # a value of a case without the field: a located run-time error
            # in both engines (TLC's "record has no field")
            return ir.Field(span, ft, base, fname)
        if isinstance(bt, RecordType):
            ft = bt.field_type(fname)
            if ft is None:
                self.err(f"record {T.describe(bt)} has no field '{fname}'", ftok)
                raise Bail
            return ir.Field(span, ft, base, fname)
        if isinstance(bt, AnyType):
            return ir.Field(span, ANY, base, fname)
        self.err(f"{T.describe(base.type)} has no field '{fname}'", ftok)
        raise Bail

    def _proc_member(self, p: ProcDecl, idx, ftok, span, scope: Scope):
        fname = str(ftok)
        if p.params is not None:
            self.err(f"'{p.name}' is an action: it has no program counter or locals", ftok)
            raise Bail
        if scope.kind == "assume":
            self.err(f"an assumption cannot read the state of process '{p.name}': it is checked once, "
                     f"before the search, on the constants", span)
            raise Bail
        if scope.kind in ("init", "local_init"):
            me = scope.initialising[2:]
            if scope.kind == "init":
                why = "the locals and program counters of processes are initialised after the variables"
            else:
                why = "a local's initial value reads the variables and the locals of its own instance " \
                      "declared before it"
                if scope.proc_decl is p and fname in p.locals:
                    why += f" (write '{fname}')"
            self.err(f"the initial value of '{me}' cannot read the state of process '{p.name}': {why}", span)
            raise Bail
        if fname == "pc":
            return ir.PcRef(span, LabelType(p.name, tuple(p.labels) + (ir.DONE,)), p.name, idx)
        if fname in p.locals:
            self.used.add("l:" + p.name + "." + fname)
            primed = False
            if scope.proc_decl is p and idx is None:
                primed = ("l:" + fname) in scope.assigned
            return ir.LocalRef(span, p.locals[fname].type, p.name, fname, idx, primed)
        self.err(f"process '{p.name}' has no local '{fname}' (locals: "
                 f"{', '.join(p.locals) or 'none'}; 'pc' is its label)", ftok)
        raise Bail

    def _e_slice(self, t, scope):
        """``s[lo:hi]``: the elements at positions lo..hi-1 (lo defaults to
        0, hi to len(s)); docs/semantics.md says what is out of range."""
        base_t, lo_t, hi_t = t.children
        base = self.expr(base_t, scope)
        if not isinstance(base.type, SeqType):
            self.err(f"only a sequence can be sliced, not {T.describe(base.type)}", base_t)
            raise Bail
        span = self.sp(t)
        lo = self.expr(lo_t, scope) if lo_t is not None else ir.Lit(span, INT, 0)
        hi = self.expr(hi_t, scope) if hi_t is not None else ir.Builtin(span, INT, "len", (base,))
        for e, et in ((lo, lo_t), (hi, hi_t)):
            if et is not None:
                self._expect_int(e, et, "a slice bound")
        return ir.Builtin(span, base.type, "slice", (base, lo, hi))

    def _seq_elements(self, dom: ir.Expr) -> ir.Expr:
        """A sequence where a set is iterated (``for x in s``): the set of its elements."""
        if isinstance(dom.type, SeqType):
            return ir.Builtin(dom.span, SetType(dom.type.elem), "elems", (dom,))
        return dom

    def _e_seq_comp(self, t, scope):
        """``[e for x in D if c]`` over a sequence (in its order) or an int range."""
        head, comp_for, *rest = [c for c in t.children if c is not None]
        tok, dom_t = comp_for.children
        if isinstance(tok, lark.Tree):
            self.err("a sequence comprehension binds one name: [f(t[0], t[1]) for t in s]", tok)
            raise Bail
        dom = self.expr(dom_t, self._nontemporal(scope))
        if isinstance(dom.type, SeqType):
            elem_t = dom.type.elem
        elif isinstance(dom, ir.RangeSet):
            elem_t = INT
        else:
            self.err(f"a sequence comprehension iterates a sequence or a range lo..hi (in order), not "
                     f"{T.describe(dom.type)}; for a set, write a set comprehension {{... for ...}}", dom_t)
            raise Bail
        self._check_shadow(str(tok), tok, scope)
        inner = self._nontemporal(scope).child({str(tok): elem_t})
        cond = None
        if rest:
            cond = self.expr(rest[0].children[0], inner)
            self._expect_bool(cond, rest[0].children[0], "a comprehension condition")
        elem = self.expr(head, inner)
        return ir.SeqComp(self.sp(t), SeqType(elem.type), elem, ir.Binder(str(tok), dom, self.sp(tok)), cond)

    def _e_index(self, t, scope):
        base_t, key_t = t.children
        if base_t.data == "name" and str(base_t.children[0]) in self.procs and \
                str(base_t.children[0]) not in scope.bound:
            self.err(f"write {base_t.children[0]}[i].pc or {base_t.children[0]}[i].local to read a process", t)
            raise Bail
        base = self.expr(base_t, scope)
        key = self.expr(key_t, scope)
        bt = T.strip_optional(base.type)
        span = self.sp(t)
        if isinstance(bt, MapType):
            if T.join(bt.key, key.type) is None:
                self.err(f"map {T.describe(bt)} has keys of type {T.describe(bt.key)}, "
                         f"not {T.describe(key.type)}", key_t)
                raise Bail
            return ir.Index(span, bt.value, base, key)
        if isinstance(bt, SeqType):
            self._expect_int(key, key_t, "a sequence index")
            return ir.Index(span, bt.elem, base, key)
        if isinstance(bt, TupleType):
            if not (isinstance(key, ir.Lit) and isinstance(key.value, int) and not isinstance(key.value, bool)):
                self.err("a tuple index must be an int literal", key_t)
                raise Bail
            if not 0 <= key.value < len(bt.elems):
                self.err(f"tuple index {key.value} out of range for {T.describe(bt)}", key_t)
                raise Bail
            return ir.Index(span, bt.elems[key.value], base, key)
        if isinstance(bt, AnyType):
            return ir.Index(span, ANY, base, key)
        self.err(f"cannot index into {T.describe(base.type)}", base_t)
        raise Bail

    def _binders(self, binder_trees, scope: Scope) -> tuple[list[ir.Binder], dict[str, Type]]:
        """Binders of names only (an action's parameters)."""
        for b in binder_trees:
            if isinstance(b.children[0], lark.Tree):
                self.err("a tuple of names cannot be bound here: bind one name and index it", b.children[0])
                raise Bail
        out, bound, _ = self._pattern_binders(binder_trees, scope)
        return out, bound

    def _pattern_binders(self, binder_trees, scope: Scope, word: str = "") -> tuple[list[ir.Binder], dict[str, Type],
                                                                                  dict]:
        """``x in S`` and ``(p, q) in S`` binders: the IR binders, the names
        they bind with their types, and what each name of a tuple pattern
        stands for.  A pattern binds one hidden name, its names joined by
        ``__`` (a name no spec may declare), to each tuple of S: ``p`` is
        ``p__q[0]`` (the caller substitutes it with :func:`subst_bound` in
        what it checks under the binders; later domains are substituted
        here).  The printer shows the pattern again."""
        out = []
        bound: dict[str, Type] = {}
        parts: dict[str, ir.Expr] = {}
        for b in binder_trees:
            pat, dom_t = b.children
            inner = scope.child(bound)
            dom = subst_bound(self._seq_elements(self.expr(dom_t, inner)), parts)
            if isinstance(pat, lark.Token):
                if not isinstance(dom.type, SetType):
                    self.err(f"'{word}{pat} in ...' needs a set or a sequence, got {T.describe(dom.type)}", dom_t)
                    raise Bail
                self._check_shadow(str(pat), pat, scope.child(bound))
                bound[str(pat)] = dom.type.elem
                out.append(ir.Binder(str(pat), dom, self.sp(pat)))
                continue
            toks = list(pat.children)
            names = [str(x) for x in toks]
            shown = "(" + ", ".join(names) + ")"
            et = dom.type.elem if isinstance(dom.type, SetType) else None
            if not (isinstance(et, TupleType) and len(et.elems) == len(names)):
                self.err(f"'{word}{shown} in ...' needs a set of {len(names)}-tuples, got {T.describe(dom.type)}", dom_t)
                raise Bail
            for i, (tok, n) in enumerate(zip(toks, names)):
                if n in names[:i]:
                    self.err(f"'{n}' is bound twice in {shown}", tok)
                    raise Bail
                self._check_shadow(n, tok, scope.child(bound))
            hidden = "__".join(names)
            span = self.sp(pat)
            whole = ir.BoundRef(span, et, hidden)
            for i, (tok, n) in enumerate(zip(toks, names)):
                bound[n] = et.elems[i]
                parts[n] = ir.Index(self.sp(tok), et.elems[i], whole, ir.Lit(self.sp(tok), INT, i))
            out.append(ir.Binder(hidden, dom, span))
        return out, bound, parts

    def _e_quantified(self, t, scope: Scope):
        kind = str(t.children[0].children[0])
        binders, bound, parts = self._pattern_binders(t.children[1:-1], scope)
        inner = scope.child(bound)
        inner.allow_temporal = scope.allow_temporal and kind == "forall"
        body = subst_bound(self.expr(t.children[-1], inner), parts)
        span = self.sp(t)
        if kind == "choose":
            if len(binders) != 1:
                self.err("'choose' takes exactly one binder", t)
                raise Bail
            self._expect_bool(body, t.children[-1], "the condition of 'choose'")
            return ir.Choose(span, binders[0].domain.type.elem, binders[0], body)
        self._expect_bool(body, t.children[-1], f"the body of '{kind}'")
        return ir.Quant(span, BOOL, kind, tuple(binders), body)

    def _temporal(self, t, scope: Scope, op: str, args):
        if not scope.allow_temporal:
            if scope.kind == "temporal":
                self.err(f"temporal operator '{op}' cannot be used inside this expression (temporal formulas "
                         f"combine only with 'and', 'forall', 'always', 'eventually', 'leads_to' and the right "
                         f"side of 'implies', whose left side may be 'always P')", t)
                raise Bail
            where = {"invariant": "an invariant", "action": "an action property", "def": "a def",
                     "step": "a step", "constraint": "a state constraint"}.get(scope.kind) \
                or _scope_word(scope.kind)
            hint = " (an action property is checked on every step: it needs no 'always', as TLA+'s [][A]_vars)" \
                if scope.kind == "action" and op == "always" else ""
            self.err(f"temporal operator '{op}' is only allowed in a 'temporal' property, not in {where}{hint}", t)
            raise Bail
        inner = replace(scope, in_next=False, allow_temporal=True)
        vals = [self.expr(a, inner) for a in args]
        for v, a in zip(vals, args):
            self._expect_bool(v, a, f"the operand of '{op}'")
        return ir.Temporal(self.sp(t), BOOL, op, tuple(vals))

    def _e_always(self, t, scope):
        return self._temporal(t, scope, "always", t.children)

    def _e_eventually(self, t, scope):
        return self._temporal(t, scope, "eventually", t.children)

    def _e_leads_to(self, t, scope):
        return self._temporal(t, scope, "leads_to", t.children)

    def _nontemporal(self, scope: Scope) -> Scope:
        if not scope.allow_temporal:
            return scope
        return replace(scope, allow_temporal=False)

    def _e_implies_op(self, t, scope):
        # in a temporal property the left side may be 'always P' ((always P)
        # implies eventually Q, TLA+'s []P => <>Q)
        left_t = t.children[0]
        always_left = scope.allow_temporal and isinstance(left_t, lark.Tree) and left_t.data == "always"
        a = self.expr(left_t, scope if always_left else self._nontemporal(scope))
        # in a temporal property the right side may be temporal (P implies
        # eventually Q); it knows what P says of optional names
        when_true = none_facts(a)[0]
        b = self.expr(t.children[1], replace(scope, narrowed={**scope.narrowed, **when_true}) if when_true else scope)
        self._expect_bool(a, t.children[0], "an operand of 'implies'")
        self._expect_bool(b, t.children[1], "an operand of 'implies'")
        return ir.Binary(self.sp(t), BOOL, "implies", a, b)

    def _e_if_expr(self, t, scope):
        s = self._nontemporal(scope)
        cond = self.expr(t.children[1], s)
        when_true, when_false = none_facts(cond)
        then = self.expr(t.children[0], replace(s, narrowed={**s.narrowed, **when_true}))
        orelse = self.expr(t.children[2], replace(s, narrowed={**s.narrowed, **when_false}))
        self._expect_bool(cond, t.children[1], "an 'if' condition")
        j = T.join(then.type, orelse.type)
        if j is None:
            self.err(f"the branches of 'if ... else' have different types: {T.describe(then.type)} "
                     f"and {T.describe(orelse.type)}", t)
            raise Bail
        return ir.IfExpr(self.sp(t), j, cond, then, orelse)

    def _bool_chain(self, t, scope, op):
        # 'and' may join temporal conjuncts in a temporal property; each
        # operand knows what the ones before it say of optional names
        # (`x != none and x.f`, `x == none or x.f`)
        base = scope if op == "and" else self._nontemporal(scope)
        items = []
        known = dict(base.narrowed)
        for c in t.children:
            item = self.expr(c, replace(base, narrowed=known) if known != base.narrowed else base)
            items.append(item)
            when_true, when_false = none_facts(item)
            known = {**known, **(when_true if op == "and" else when_false)}
        for v, c in zip(items, t.children):
            self._expect_bool(v, c, f"an operand of '{op}'")
        acc = items[0]
        for v in items[1:]:
            acc = ir.Binary(Span(self.path, acc.span.line, acc.span.col, v.span.end_line, v.span.end_col),
                            BOOL, op, acc, v)
        return acc

    def _e_or_test(self, t, scope):
        return self._bool_chain(t, scope, "or")

    def _e_and_test(self, t, scope):
        return self._bool_chain(t, scope, "and")

    def _e_not_op(self, t, scope):
        v = self.expr(t.children[0], self._nontemporal(scope))
        self._expect_bool(v, t.children[0], "the operand of 'not'")
        return ir.Unary(self.sp(t), BOOL, "not", v)

    def _e_comparison(self, t, scope):
        s = self._nontemporal(scope)
        kids = t.children
        operands = [self.expr(kids[0], s)]
        ops = []
        for i in range(1, len(kids), 2):
            ops.append("".join(str(x) for x in kids[i].children))
            operands.append(self.expr(kids[i + 1], s))
        parts = []
        for i, op in enumerate(ops):
            parts.append(self._compare(op, operands[i], operands[i + 1], kids[2 * i], kids[2 * i + 2], t))
        acc = parts[0]
        for p in parts[1:]:
            acc = ir.Binary(self.sp(t), BOOL, "and", acc, p)
        return acc

    def _compare(self, op, a, b, na, nb, t):
        span = self.sp(t)
        if op in ("in", "notin"):
            bt = T.strip_optional(b.type)
            if isinstance(bt, MapType):
                # key in map: membership in its domain
                if T.join(bt.key, a.type) is None:
                    self.err(f"cannot test {T.describe(a.type)} against the keys of {T.describe(bt)}", na)
                    raise Bail
                b = ir.Builtin(b.span, SetType(bt.key), "keys", (b,))
                bt = b.type
            if isinstance(bt, SeqType) and b.type is bt:  # x in s: one of its elements
                b = self._seq_elements(b)
                bt = b.type
            if not isinstance(bt, (SetType, AnyType)):
                self.err(f"'{'not in' if op == 'notin' else 'in'}' needs a set, a map or a sequence on its right, "
                         f"got {T.describe(b.type)}", nb)
                raise Bail
            if isinstance(bt, SetType) and isinstance(a.type, LabelType) and isinstance(b, ir.SetLit):
                b = ir.SetLit(b.span, SetType(a.type), tuple(self._coerce_label(x, a.type, nb) for x in b.elems))
                bt = b.type
            if isinstance(bt, SetType) and T.join(bt.elem, a.type) is None:
                self.err(f"cannot test whether {T.describe(a.type)} is in {T.describe(bt)}", na)
                raise Bail
            return ir.Binary(span, BOOL, CMP[op], a, b)
        if op in ("==", "!="):
            a = self._coerce_label(a, b.type, na)
            b = self._coerce_label(b, a.type, nb)
            if T.join(a.type, b.type) is None:
                self.err(f"cannot compare {T.describe(a.type)} with {T.describe(b.type)}", t)
                raise Bail
            return ir.Binary(span, BOOL, CMP[op], a, b)
        at, bt = T.strip_optional(a.type), T.strip_optional(b.type)
        if isinstance(at, SetType) and isinstance(bt, SetType):
            if T.join(at, bt) is None:
                self.err(f"cannot compare {T.describe(a.type)} with {T.describe(b.type)}", t)
                raise Bail
            name = {"<=": "subseteq", "<": "subset", ">=": "supseteq", ">": "supset"}[op]
            if name.startswith("sup"):
                return ir.Binary(span, BOOL, "subseteq" if op == ">=" else "subset", b, a)
            return ir.Binary(span, BOOL, name, a, b)
        if not T.is_int(a.type):
            self.err(f"'{op}' compares ints (or sets), got {T.describe(a.type)}", na)
            raise Bail
        if not T.is_int(b.type):
            self.err(f"'{op}' compares ints (or sets), got {T.describe(b.type)}", nb)
            raise Bail
        return ir.Binary(span, BOOL, CMP[op], a, b)

    def _coerce_label(self, e: ir.Expr, other: Type, node) -> ir.Expr:
        """A string literal compared with a program counter names a label."""
        if isinstance(other, LabelType) and isinstance(e, ir.Lit) and isinstance(e.type, StrType):
            if e.value not in other.labels:
                self.err(f"process '{other.process}' has no label '{e.value}' "
                         f"(labels: {', '.join(other.labels)})", node)
                raise Bail
            return ir.Lit(e.span, other, e.value)
        return e

    def _e_range_lit(self, t, scope):
        lo = self.expr(t.children[0], scope)
        hi = self.expr(t.children[1], scope)
        self._expect_int(lo, t.children[0], "'..'")
        self._expect_int(hi, t.children[1], "'..'")
        return ir.RangeSet(self.sp(t), SetType(INT), lo, hi)

    def _arith_chain(self, t, scope, ops_from_tree: bool, fixed_op: str | None = None):
        s = self._nontemporal(scope)
        kids = t.children
        acc = self.expr(kids[0], s)
        i = 1
        while i < len(kids):
            if ops_from_tree:
                op = str(kids[i].children[0])
                rt = kids[i + 1]
                i += 2
            else:
                op = fixed_op
                rt = kids[i]
                i += 1
            right = self.expr(rt, s)
            acc = self._binop(op, acc, right, t, rt)
        return acc

    def _binop(self, op, a, b, t, nb):
        at, bt = T.strip_optional(a.type), T.strip_optional(b.type)
        span = Span(self.path, a.span.line, a.span.col, b.span.end_line, b.span.end_col)
        if isinstance(at, SetType) or isinstance(bt, SetType):
            setops = {"|": "union", "&": "inter", "-": "diff"}
            if op not in setops:
                self.err(f"'{op}' is not defined on sets (use |, & or -)", t)
                raise Bail
            j = T.join(at, bt)
            if j is None or not isinstance(j, SetType):
                self.err(f"cannot combine {T.describe(a.type)} and {T.describe(b.type)} with '{op}'", t)
                raise Bail
            return ir.Binary(span, j, setops[op], a, b)
        if isinstance(at, MapType) or isinstance(bt, MapType):
            if op != "|":
                self.err(f"'{op}' is not defined on maps (use m | {{k: v}} to update)", t)
                raise Bail
            j = T.join(at, bt)
            if j is None:
                self.err(f"cannot merge {T.describe(a.type)} with {T.describe(b.type)}", t)
                raise Bail
            return ir.Binary(span, j, "merge", a, b)
        if isinstance(at, SeqType) or isinstance(bt, SeqType) or isinstance(at, TupleType):
            if op != "+":
                self.err(f"'{op}' is not defined on sequences (use + to concatenate)", t)
                raise Bail
            j = T.join(at, bt)
            if j is None:
                self.err(f"cannot concatenate {T.describe(a.type)} and {T.describe(b.type)}", t)
                raise Bail
            return ir.Binary(span, j, "concat", a, b)
        if not T.is_int(a.type):
            self.err(f"'{op}' needs ints, got {T.describe(a.type)} on its left", t)
            raise Bail
        if not T.is_int(b.type):
            self.err(f"'{op}' needs ints, got {T.describe(b.type)} on its right", nb)
            raise Bail
        return ir.Binary(span, INT, BIN_INT[op], a, b)

    def _e_bitor_expr(self, t, scope):
        return self._arith_chain(t, scope, False, "|")

    def _e_bitxor_expr(self, t, scope):
        return self._arith_chain(t, scope, False, "^")

    def _e_bitand_expr(self, t, scope):
        return self._arith_chain(t, scope, False, "&")

    def _e_shift_expr(self, t, scope):
        return self._arith_chain(t, scope, True)

    def _e_sum_expr(self, t, scope):
        return self._arith_chain(t, scope, True)

    def _e_term(self, t, scope):
        return self._arith_chain(t, scope, True)

    def _e_power(self, t, scope):
        a = self.expr(t.children[0], scope)
        b = self.expr(t.children[1], scope)
        return self._binop("**", a, b, t, t.children[1])

    def _e_unary(self, t, scope):
        op = str(t.children[0].children[0])
        v = self.expr(t.children[1], self._nontemporal(scope))
        self._expect_int(v, t.children[1], f"unary '{op}'")
        if op == "-" and isinstance(v, ir.Lit):
            return ir.Lit(self.sp(t), INT, -v.value)
        return ir.Unary(self.sp(t), INT, "neg" if op == "-" else "bitnot", v)

    def _elems(self, trees, scope, what) -> tuple[list[ir.Expr], Type]:
        vals = [self.expr(c, self._nontemporal(scope)) for c in trees if c is not None]
        ty: Type = ANY
        for v, c in zip(vals, [c for c in trees if c is not None]):
            j = T.join(ty, v.type)
            if j is None:
                self.err(f"{what} mixes {T.describe(ty)} and {T.describe(v.type)}", c)
                raise Bail
            ty = j
        return vals, ty

    def _e_set_lit(self, t, scope):
        vals, ty = self._elems(t.children, scope, "set literal")
        return ir.SetLit(self.sp(t), SetType(ty), tuple(vals))

    def _e_seq_lit(self, t, scope):
        vals, ty = self._elems(t.children, scope, "sequence literal")
        return ir.SeqLit(self.sp(t), SeqType(ty), tuple(vals))

    def _e_tuple_lit(self, t, scope):
        vals = [self.expr(c, self._nontemporal(scope)) for c in t.children if c is not None]
        return ir.TupleLit(self.sp(t), TupleType(tuple(v.type for v in vals)), tuple(vals))

    def _comp(self, t, scope):
        kids = t.children
        head = kids[0]
        fors = [c for c in kids[1:] if c is not None and c.data == "comp_for"]
        cond_t = kids[-1] if kids[-1] is not None and kids[-1].data == "comp_if" else None
        binders, bound, parts = self._pattern_binders(fors, self._nontemporal(scope))
        inner = self._nontemporal(scope).child(bound)
        cond = None
        if cond_t is not None:
            cond = subst_bound(self.expr(cond_t.children[0], inner), parts)
            self._expect_bool(cond, cond_t.children[0], "a comprehension condition")
        return head, binders, inner, cond, parts

    def _e_set_comp(self, t, scope):
        head, binders, inner, cond, parts = self._comp(t, scope)
        elem = subst_bound(self.expr(head, inner), parts)
        return ir.SetComp(self.sp(t), SetType(elem.type), elem, tuple(binders), cond)

    def _e_map_comp(self, t, scope):
        head, binders, inner, cond, parts = self._comp(t, scope)
        if parts:
            self.err("a map comprehension binds its keys to one name ({t: ... for t in product(P, Q)})", t)
            raise Bail
        if len(binders) != 1:
            self.err("a map comprehension takes one 'for' (maps are total functions on a set)", t)
            raise Bail
        key_t, val_t = head.children
        if not (key_t.data == "name" and str(key_t.children[0]) == binders[0].name):
            self.err(f"the key of a map comprehension must be its loop variable '{binders[0].name}'", key_t)
            raise Bail
        value = self.expr(val_t, inner)
        return ir.MapComp(self.sp(t), MapType(binders[0].domain.type.elem, value.type), binders[0], value, cond)

    def _e_map_lit(self, t, scope):
        s = self._nontemporal(scope)
        entries = []
        kt: Type = ANY
        vt: Type = ANY
        for entry in t.children:
            if entry is None:
                continue
            k = self.expr(entry.children[0], s)
            v = self.expr(entry.children[1], s)
            jk, jv = T.join(kt, k.type), T.join(vt, v.type)
            if jk is None or jv is None:
                what, t1, t2 = ("key", kt, k.type) if jk is None else ("value", vt, v.type)
                self.err(f"map literal mixes {what} types {T.describe(t1)} and {T.describe(t2)}", entry)
                raise Bail
            kt, vt = jk, jv
            entries.append((k, v))
        return ir.MapLit(self.sp(t), MapType(kt, vt), tuple(entries))

    def _e_empty_map(self, t, scope):
        return ir.MapLit(self.sp(t), MapType(ANY, ANY), ())

    def _e_call(self, t, scope: Scope):
        func_t = t.children[0]
        arg_trees = [a for a in t.children[1:] if a is not None]
        span = self.sp(t)
        if func_t.data == "field" and func_t.children[0].data == "name" and \
                str(func_t.children[0].children[0]) in self.variants and \
                str(func_t.children[0].children[0]) not in scope.bound:
            vt = self.variants[str(func_t.children[0].children[0])]
            return self._variant_value(vt, func_t.children[1], arg_trees, scope, span, called=True)
        if func_t.data == "name" and str(func_t.children[0]) == "isinstance" and "isinstance" not in scope.bound:
            if len(arg_trees) != 2 or any(a.data == "kwarg" for a in arg_trees):
                self.err("isinstance(value, Variant.Case) takes a value and a case", t)
                raise Bail
            ref = self._case_ref(arg_trees[1].children[0])
            if ref is None:
                self.err("the second argument of isinstance() is a case of a variant: Variant.Case",
                         arg_trees[1])
                raise Bail
            vt, tag = ref
            base = self.expr(arg_trees[0].children[0], self._nontemporal(scope))
            if not T.assignable(vt, T.strip_optional(base.type)):
                self.err(f"isinstance() needs a '{vt.name}', got {T.describe(base.type)}", arg_trees[0])
                raise Bail
            return ir.IsCase(span, BOOL, base, tag)
        if func_t.data != "name":
            self.err("only defs and builtins can be called", func_t)
            raise Bail
        fname = str(func_t.children[0])
        if fname in scope.bound:
            self.err(f"'{fname}' is a bound value, not a def", func_t)
            raise Bail
        if fname in self.def_sigs:
            params, rt = self.def_sigs[fname]
            if any(a.data == "kwarg" for a in arg_trees):
                self.err(f"'{fname}' takes positional arguments only", t)
                raise Bail
            args = [self.expr(a.children[0], self._nontemporal(scope)) for a in arg_trees]
            if len(args) != len(params):
                self.err(f"'{fname}' takes {len(params)} argument{'s' if len(params) != 1 else ''}, "
                         f"got {len(args)}", t)
                raise Bail
            for p, a, at in zip(params, args, arg_trees):
                if not T.assignable(p.type, a.type):
                    self.err(f"argument '{p.name}' of '{fname}' has type {T.describe(p.type)}, "
                             f"got {T.describe(a.type)}", at)
            if scope.kind in ("init", "local_init"):
                self._check_def_in_init(fname, scope, func_t)
            if scope.kind == "assume":
                self._check_def_in_assume(fname, func_t)
            if rt is None:
                if scope.kind == "def":
                    self.err(f"'{fname}' is used before its result type is known: "
                             f"declare it with '-> type'", func_t)
                    raise Bail
                rt = ANY
            return ir.DefCall(span, rt, fname, tuple(args))
        if fname in ("weak_fair", "strong_fair"):  # TLA+'s WF_vars(A) / SF_vars(A) as a formula
            return self._fair_formula(fname, t, arg_trees, scope)
        if fname in BUILTINS:
            return self._builtin(fname, t, arg_trees, scope, span)
        if fname in self.def_names:
            self.err(f"def '{fname}' cannot be used in {_scope_word(scope.kind)}", func_t)
            raise Bail
        hint = _suggest(fname, list(self.def_sigs) + sorted(BUILTINS))
        self.err(f"undefined function '{fname}'" + (f" (did you mean '{hint}'?)" if hint else ""), func_t)
        raise Bail

    def _builtin(self, fname, t, arg_trees, scope: Scope, span):
        if fname == "records":
            return self._record_set(t, arg_trees, scope, span)
        if fname in ("record", "replace"):
            pos = [a for a in arg_trees if a.data != "kwarg"]
            kws = [a for a in arg_trees if a.data == "kwarg"]
            fields = self._field_arguments(kws, scope)
            if fname == "record":
                if pos or not kws:
                    self.err("record(...) takes field=value arguments only", t)
                    raise Bail
                fields.sort(key=lambda kv: kv[0])
                return ir.RecordLit(span, RecordType(tuple((k, v.type) for k, v in fields)), tuple(fields))
            if len(pos) != 1 or not kws:
                self.err("replace(r, field=value, ...) takes one record and field=value arguments", t)
                raise Bail
            base = self.expr(pos[0].children[0], self._nontemporal(scope))
            bt = T.strip_optional(base.type)
            if not isinstance(bt, RecordType):
                self.err(f"replace(...) needs a record, got {T.describe(base.type)}", pos[0])
                raise Bail
            for k, v in fields:
                ft = bt.field_type(k)
                if ft is None:
                    self.err(f"record {T.describe(bt)} has no field '{k}'", t)
                    raise Bail
                if not T.assignable(ft, v.type):
                    self.err(f"field '{k}' has type {T.describe(ft)}, got {T.describe(v.type)}", t)
                    raise Bail
            return ir.RecordUpdate(span, bt, base, tuple(fields))
        if any(a.data == "kwarg" for a in arg_trees):
            self.err(f"'{fname}' takes positional arguments only", t)
            raise Bail
        if fname == "next":
            if scope.kind != "action":
                hint = " (TLA+'s [][A]_vars is 'action Name: A', without 'always')" if scope.kind == "temporal" else ""
                self.err(f"next(...) is only allowed in an 'action invariant'{hint}", t)
                raise Bail
            if scope.in_next:
                self.err("next(...) cannot be nested", t)
                raise Bail
            if len(arg_trees) != 1:
                self.err("next(...) takes one expression", t)
                raise Bail
            inner = replace(scope, in_next=True, allow_temporal=False)
            v = self.expr(arg_trees[0].children[0], inner)
            return ir.Next(span, v.type, v)
        args = [self.expr(a.children[0], self._nontemporal(scope)) for a in arg_trees]
        if fname == "product":
            # TLA+'s S \X T: the set of tuples (s, t) with s in S and t in T
            if len(args) < 2:
                self.err(f"product() takes two or more sets, got {len(args)} argument{'s' if len(args) != 1 else ''}",
                         t)
                raise Bail
            elems = []
            for a, tree in zip(args, arg_trees):
                ta = T.strip_optional(a.type)
                if not isinstance(ta, (SetType, AnyType)):
                    self.err(f"product() needs sets, got {T.describe(a.type)}", tree)
                    raise Bail
                elems.append(ta.elem if isinstance(ta, SetType) else ANY)
            return ir.Builtin(span, SetType(TupleType(tuple(elems))), "product", tuple(args))
        arity = {"len": 1, "subsets": 1, "keys": 1, "min": 1, "max": 1, "unions": 1, "append": 2,
                 "head": 1, "tail": 1, "abs": 1, "set": 0, "maps": 2, "seqs": 2}
        if len(args) != arity[fname]:
            n = arity[fname]
            self.err(f"{fname}() takes {n} argument{'s' if n != 1 else ''}, got {len(args)}", t)
            raise Bail
        if fname == "set":
            return ir.SetLit(span, SetType(ANY), ())
        a0 = args[0]
        t0 = T.strip_optional(a0.type)
        if fname == "len":
            if not isinstance(t0, (SetType, SeqType, TupleType, AnyType)):
                self.err(f"len() needs a set or sequence, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, INT, "len", (a0,))
        if fname == "subsets":
            if not isinstance(t0, SetType):
                self.err(f"subsets() needs a set, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, SetType(t0), "subsets", (a0,))
        if fname == "maps":
            # TLA+'s [S -> T]: every map with keys S and values in T
            t1 = T.strip_optional(args[1].type)
            for a, ta, tree in ((a0, t0, arg_trees[0]), (args[1], t1, arg_trees[1])):
                if not isinstance(ta, (SetType, AnyType)):
                    self.err(f"maps() needs two sets (keys, values), got {T.describe(a.type)}", tree)
                    raise Bail
            key = t0.elem if isinstance(t0, SetType) else ANY
            val = t1.elem if isinstance(t1, SetType) else ANY
            return ir.Builtin(span, SetType(MapType(key, val)), "maps", tuple(args))
        if fname == "seqs":
            # every sequence over S of length at most n
            if not isinstance(t0, (SetType, AnyType)):
                self.err(f"seqs() needs a set and a maximum length, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            self._expect_int(args[1], arg_trees[1], "the maximum length of seqs()")
            return ir.Builtin(span, SetType(SeqType(t0.elem if isinstance(t0, SetType) else ANY)), "seqs",
                              tuple(args))
        if fname == "keys":
            if not isinstance(t0, MapType):
                self.err(f"keys() needs a map, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, SetType(t0.key), "keys", (a0,))
        if fname in ("min", "max"):
            if not (isinstance(t0, SetType) and T.is_int(t0.elem)):
                self.err(f"{fname}() needs a set of ints, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, INT, fname, (a0,))
        if fname == "unions":
            if not (isinstance(t0, SetType) and isinstance(t0.elem, (SetType, AnyType))):
                self.err(f"unions() needs a set of sets, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, t0.elem if isinstance(t0.elem, SetType) else SetType(ANY), "unions", (a0,))
        if fname == "append":
            if not isinstance(t0, SeqType):
                self.err(f"append() needs a sequence, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            j = T.join(t0.elem, args[1].type)
            if j is None:
                self.err(f"cannot append {T.describe(args[1].type)} to {T.describe(t0)}", arg_trees[1])
                raise Bail
            return ir.Builtin(span, SeqType(j), "append", tuple(args))
        if fname in ("head", "tail"):
            if not isinstance(t0, SeqType):
                self.err(f"{fname}() needs a sequence, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, t0.elem if fname == "head" else t0, fname, (a0,))
        if fname == "abs":
            self._expect_int(a0, arg_trees[0], "abs()")
            return ir.Builtin(span, INT, "abs", (a0,))
        raise Bail


def subst_bound(x, parts: dict):
    """``x`` (an expression or statements) with each bound name of
    ``parts`` replaced by what it stands for (the names of a tuple pattern:
    ``p`` by ``p__q[0]``).  Bound names never hide one another (the checker
    refuses it), so a plain replacement is right."""
    if not parts:
        return x
    if isinstance(x, ir.BoundRef):
        return parts.get(x.name, x)
    if isinstance(x, tuple):
        new = tuple(subst_bound(y, parts) for y in x)
        return x if all(a is b for a, b in zip(new, x)) else new
    if isinstance(x, (ir.Expr, ir.Stmt, ir.Binder, ir.MacroCall, ir.FairPart)):
        changes = {}
        for f in fields(x):
            if f.name in ("span", "type"):
                continue
            v = getattr(x, f.name)
            w = subst_bound(v, parts)
            if w is not v:
                changes[f.name] = w
        return replace(x, **changes) if changes else x
    return x
