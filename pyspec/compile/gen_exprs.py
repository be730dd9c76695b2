"""Expressions to Python source: one ``_ex_<Node>`` per IR expression,
constants folded, reads of the state decoded once per step, places of
maps recorded for the memo keys.

A stage of the code generator (pyspec/compile/codegen.py mixes the stages
into one ``Codegen``); ``self`` is that generator.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..ir import nodes as ir
from ..ir.walk import iter_exprs, names_bound_in, names_read_in
from ..values import NONE, sort_key
from .codegen_base import _NOVAL, UNROLL_LIMIT, UNROLL_TOTAL, CompileError, Ctx, Py
from .layout import InternSetCodec, MapCodec, ProductCodec
from .masks import ElementCondition, MaskedFilter, MaskedQuantifier, SetMasks
from .shared import cannot_fail, canonical_tree, element_form_tree, is_lookup, rekey_lookups, through_lookup_tree

#: expressions that iterate over a value (a set, a sequence, a map): worth
#: sharing between the steps and states that read the same value (ExpressionGen.shared)
_ITERATING = (ir.SetComp, ir.SeqComp, ir.MapComp, ir.Quant, ir.Choose, ir.DefCall, ir.LetIn)

#: entries of one shared expression's memo before it is cleared (the values
#: recur within a state and among neighbours; a larger memo only costs memory)
SHARED_LIMIT = 256
#: entries of one record literal's memo before it is cleared
RECORD_MEMO_LIMIT = 1 << 14


class ExpressionGen:
    #: What the code being generated may assume of variant values: (the
    #: source of an expression, a case, whether its value is of that case
    #: or not), from tests of cases that hold wherever that code runs (the
    #: left of an ``and``, an ``if``'s condition, an ``await``).  Keyed by
    #: source, not by IR: two equal sources read the same locals, so they
    #: have the same value, and a name bound again inside (a quantifier over
    #: ``m`` within ``m``'s narrowing) compiles to another source.
    _facts: tuple[tuple[str, str, bool], ...] = ()

    # ------------------------------------------------------------ expressions
    def ex(self, e: ir.Expr, c: Ctx) -> Py:
        p = getattr(self, "_ex_" + type(e).__name__)(e, c)
        if isinstance(e, _ITERATING) and not p.const and " for " in p.src:
            return self.shared(p)
        return p

    def shared(self, p: Py) -> Py:
        """``p`` computed once per value it reads.  An expression that iterates
        (a comprehension, a quantifier, ``choose``, an inlined def) and whose
        only free name is one decoded state slot (``_o3``: the value of a
        variable) is a pure function of that value: it becomes a lookup in a
        memo keyed by the value's identity (decoded values are the tables'
        interned objects, so steps and states that read the same value share
        one evaluation: `spec/corpus/paxos.pyspec` evaluates ``p2as()`` once
        for the 40 step instances of a state that read it).  Equal
        expressions, up to the names of what they bind, share a memo.
        Anything else (a step's locals, ``s`` itself, two slots) is left as it is."""
        cache = self.__dict__.setdefault("_shared", {})
        hit = cache.get(p.src)
        if hit is None:
            hit = cache[p.src] = self._share(p.src)
        return Py(hit) if hit else p

    def _share(self, src: str) -> str:
        import builtins

        from . import runtime as rt

        found = canonical_tree(src, lambda n: n in self.ns or hasattr(builtins, n))
        if found is None:
            return ""
        tree, var = found
        memos = self.__dict__.setdefault("_shared_memos", {})
        slot = self.layout.slots[int(var[2:])]
        by_value = _hashed_in_c(slot.type)
        # an expression of another one's result is keyed by that result
        inner = through_lookup_tree(tree) if by_value else None
        via = inner is not None
        # else by the slot's field: no decode, no hash of the value
        by_field = not via and self.keyed_by_field(slot.index)
        canon = ast.unparse(tree)
        form = element_form_tree(tree)
        codec = slot.codec if form is not None else None
        if not isinstance(codec, InternSetCodec):
            form = codec = None
        if via and codec is not None:
            # per element only over a subset of the variable's set: the
            # result of a masked filter of it (else: its plain code)
            inner_fill = getattr(self.ns.get(inner), "fill", None)
            if not (isinstance(inner_fill, MaskedFilter) and inner_fill.masks.codec is codec):
                form = codec = None
        # a masked expression is bound to its type's table: the same source
        # over a set of another type is another memo
        key = canon if codec is None else f"{canon}\0{codec.type_key}"
        if via:
            # keyed by the results of one memo, all of one type
            key = f"{key}\0{inner}"
        elif by_field:
            # keyed by fields of one codec (a field is a code of its codec only)
            key = f"{key}\0field\0{id(slot.codec)}"
        elif by_value:
            # keyed by the value, of this one type (equal values of two types,
            # {1} and {True}, must not meet in one memo)
            key = f"{key}\0{slot.type!r}"
        name = memos.get(key)
        if name is None:
            fill = eval(compile(self._fill_source(canon, slot.index if by_field else None), "<pyspec shared>",
                                "eval"), self.ns)  # generated source
            if form is not None:
                fill = self._masked(form, codec, fill) or fill
            by_key = by_value or by_field
            memo = rt.BoundedMemo(fill, SHARED_LIMIT) if by_key else rt.IdentityMemo(fill, SHARED_LIMIT)
            name = memos[key] = self._bind(memo, "_sh")
            self.__dict__.setdefault("_shared_sources", {})[name] = canon
            if by_field:
                self.__dict__.setdefault("_field_memos", set()).add(name)
        if via:
            return f"{name}[{inner}[{var}]]"
        # a memo keyed by the field is looked up by it when the code runs
        # (Codegen.finish_lines); the analyses of shared.py see the value
        return f"{name}[{var}]" if by_value or by_field else f"{name}.get_for({var})"

    def _fill_source(self, canon: str, k: int | None) -> str:
        """The fill of a shared memo: a function of the value (``_v``), or,
        keyed by slot ``k``'s field, of the field (``_f``), where the memos
        of that slot it reads are looked up by the field too and the value
        is decoded only if the expression reads it itself."""
        if k is None:
            return f"lambda _v: {canon}"
        body = rekey_lookups(canon, self.__dict__.get("_field_memos", set()), lambda _: "_f")
        if re.search(r"\b_v\b", body):
            return f"lambda _f: (lambda _v: {body})(_D{k}[_f])"
        return f"lambda _f: {body}"

    def _masked(self, form: tuple, codec: InternSetCodec, plain) -> MaskedFilter | MaskedQuantifier | None:
        """The fill of a shared expression of :func:`element_form`'s shape
        over a set of ``codec``'s type: per element, with bit masks
        (pyspec/compile/masks.py); None when its source is not masked."""
        every = self.__dict__.setdefault("_set_masks", {})
        masks = every.get(codec.type_key)
        if masks is None:
            masks = every[codec.type_key] = SetMasks(codec)
        kind, source, target, conds = form[:4]
        src = None
        if source:  # another shared expression's memo: masked if its fill is
            src = getattr(self.ns.get(source), "fill", None)
            if not isinstance(src, MaskedFilter) or src.masks is not masks:
                return None

        def condition(text: str) -> ElementCondition:
            fn = eval(compile(f"lambda {target}: {text}", "<pyspec shared>", "eval"), self.ns)  # generated source
            return ElementCondition(fn, masks)

        kept = MaskedFilter(masks, src, [condition(t) for t in conds], plain)
        return kept if kind == "filter" else MaskedQuantifier(kind, kept, condition(form[4]), plain)

    def case_facts(self, e: ir.Expr, c: Ctx, holds: bool = True) -> list[tuple[str, str, bool]]:
        """What the truth (``holds``), or the falsity, of the condition
        ``e`` says of the cases of variant values (see :attr:`_facts`)."""
        return [(self.ex(base, c).src, tag, h) for base, tag, h in _case_tests(e, holds)]

    @contextmanager
    def narrowed(self, facts: list[tuple[str, str, bool]]) -> Iterator[None]:
        """``facts`` known (:attr:`_facts`) while the code inside is generated."""
        saved = self._facts
        self._facts = saved + tuple(facts)
        try:
            yield
        finally:
            self._facts = saved

    def _has_field(self, vt: ir.VariantType, src: str, name: str) -> bool:
        """Has the variant value compiled to ``src`` a field ``name``: every
        case it may be of (:attr:`_facts`) has it."""
        cases = _narrow(frozenset(tag for tag, _ in vt.cases),
                        ((tag, holds) for fsrc, tag, holds in self._facts if fsrc == src))
        return all(any(n == name for n, _ in vt.case(tag)) for tag in cases)

    def _ex_Lit(self, e, c):
        return self.k(e.value)

    def _ex_NoneLit(self, e, c):
        return self.k(NONE)

    def _ex_SortValue(self, e, c):
        return self.k(self.conv.sort_code[e.sort][e.name])

    def _ex_EnumValue(self, e, c):
        return self.k(self.conv.enum_code[e.enum][e.name])

    def _ex_ConstRef(self, e, c):
        return self.k(self.const_value(e.name))

    def _ex_VarRef(self, e, c):
        k = self.var_slot[e.name]
        pending = next((p for p in self._place_roots if p[0] is e and not p[1]), None)
        if pending is not None:
            # the root of a place being read, which the place accounts for
            # (once: the same node may stand again in one of the place's
            # keys, a macro's argument, and that read counts on its own)
            pending[1] = True
        elif self._reads is not None and c.st == "s":
            # also when the step assigned part of it already: the value read
            # is the old one with that part replaced, so it depends on all of it
            self._rwhole.add(k)
        if c.cur is not None and k in c.cur:
            return Py(c.cur[k])
        return self.read_slot(c, k)

    def _read_place(self, e, c) -> tuple[int, tuple] | None:
        """The place of a variable that ``e``, a chain of fields and keys
        applied to it (``r.f[k1].g``), reads: its slot and the longest
        prefix of the chain that names a part of the slot's encoding
        (record fields, map keys known at compile time), or None when that
        prefix is empty.  ``r.f[i]`` with ``i`` chosen at run time reads
        the place ``r.f``."""
        chain = []
        while isinstance(e, (ir.Index, ir.Field)):
            chain.append(e)
            e = e.base
        if not isinstance(e, ir.VarRef):
            return None
        k = self.var_slot[e.name]
        codec = self.layout.slots[k].codec
        keys: list = []
        for x in reversed(chain):
            step = self._place_step(codec, x, c)
            if step is None:
                break
            key, codec = step
            keys.append(key)
        return (k, tuple(keys)) if keys else None

    def _place_step(self, codec, x, c) -> tuple[Any, Any] | None:
        """One element of a place's path on a codec: ``x`` (an ir.Field, or
        an ir.Index whose key is known at compile time) as a key of
        :meth:`_place` and the codec of the part it reaches; None when
        ``codec`` holds no such part apart."""
        bt = x.base.type if x.base is not None else None
        if isinstance(x, ir.Field):
            if not (isinstance(codec, ProductCodec) and codec.names is not None) or x.name not in codec.names:
                return None
            if bt is not None and not isinstance(bt, ir.RecordType):
                return None
            return x.name, codec.parts[codec.names.index(x.name)]
        if not isinstance(codec, MapCodec) or (bt is not None and not isinstance(bt, ir.MapType)):
            return None
        key = self.ex(x.key, c)
        if not key.const or key.value not in codec.pos:
            return None
        return key.value, codec.value

    def _place(self, k: int, keys: tuple) -> tuple[int, int, Any] | None:
        """Where slot ``k`` holds the place ``keys``: (the presence bits of
        the digits on the way, the offset of the place's code, the place's
        codec), or None when ``keys`` is not a path of map digits and
        record fields.  (A key is a map key where the codec is a map's, a
        field name where it is a record's: the codecs on a slot's paths are
        fixed, so the two never meet at one depth.)"""
        sl = self.layout.slots[k]
        codec = sl.codec
        off = sl.off + (1 if sl.escapable else 0)
        presence = 0
        for key in keys:
            if isinstance(codec, ProductCodec) and codec.names is not None:
                if key not in codec.names:
                    return None
                i = codec.names.index(key)
                off += codec.offs[i]
                codec = codec.parts[i]
                continue
            if not isinstance(codec, MapCodec):
                return None
            i = codec.pos.get(key)
            if i is None:
                return None
            off += i * codec.dw
            presence |= 1 << off  # the digit's presence bit
            off += 1
            codec = codec.value
        return presence, off, codec

    def _place_mask(self, k: int, keys: tuple) -> int | None:
        """The bits of slot ``k`` that hold the place ``keys`` (with the
        presence bit of every digit on the way), or None."""
        place = self._place(k, keys)
        if place is None:
            return None
        presence, off, codec = place
        return presence | (((1 << codec.width) - 1) << off)

    def _own_pos(self, process: str, c: Ctx) -> int:
        if c.proc is not None and c.proc.name == process and c.pos is not None:
            return c.pos
        return 0  # a singleton process

    def _ex_LocalRef(self, e, c):
        if e.index is None:
            k = self.local_slot[(e.process, e.name, self._own_pos(e.process, c))]
            if c.cur is not None and k in c.cur:
                return Py(c.cur[k])
            return self.read_slot(c, k)
        return self._indexed_read(e.process, e.name, e.index, c, e)

    def _indexed_read(self, process: str, local: str | None, index: ir.Expr, c: Ctx, e) -> Py:
        idx = self.ex(index, c)
        if idx.const:
            pos = self.inst_pos[process].get(idx.value)
            if pos is None:
                return Py(f"_rt.no_instance({process!r}, {idx.src}, {self.where(e)}, {self.shown(index.type)})")
            if local is None:
                if c.label is not None and c.proc is not None and c.proc.name == process and pos == c.pos:
                    return self.k(c.label)
                k = self.pc_slot[(process, pos)]
            else:
                k = self.local_slot[(process, local, pos)]
                if c.post and c.cur and k in c.cur:
                    return Py(c.cur[k])
            return self.read_slot(c, k)
        g = self.groups[(process, local)]
        self._dyn = True
        src = (f"_read({c.st}, {g}[{idx.src}])" if not c.checked else
               f"_read({c.st}, {g}[{idx.src}] if {idx.src} in {g} else "
               f"_rt.no_instance({process!r}, {idx.src}, {self.where(e)}, {self.shown(index.type)}))")
        if local is not None and c.post and c.cur and c.proc is not None and c.proc.name == process:
            k = self.local_slot.get((process, local, c.pos))
            if k in c.cur:
                own = self.k(c.self_val).src
                src = f"({c.cur[k]} if {idx.src} == {own} else {src})"
        return Py(src)

    def _ex_PcRef(self, e, c):
        if e.index is None:
            if c.label is not None and c.proc is not None and c.proc.name == e.process:
                return self.k(c.label)
            return self.read_slot(c, self.pc_slot[(e.process, 0)])
        return self._indexed_read(e.process, None, e.index, c, e)

    def _ex_SelfRef(self, e, c):
        if c.self_val is _NOVAL:
            raise CompileError(f"{e.span}: 'self' outside a process instance")
        return self.k(c.self_val)

    def _ex_BoundRef(self, e, c):
        try:
            return c.env[e.name]
        except KeyError:
            raise CompileError(f"{e.span}: unbound name '{e.name}'") from None

    def _ex_LetIn(self, e, c):
        # TLA+'s LET is evaluated only where it is used (a value that would
        # fail on an unused path must not fail): one use outside a loop gets
        # the value in its place, several a value computed on first use.
        val = self.ex(e.value, c)
        c2 = c.copy()
        uses = bound_reads(e.body)
        if val.const or val.src.isidentifier() or is_lookup(val.src) or (
                uses.get(e.name, 0) <= 1 and "*" + e.name not in uses):
            c2.env[e.name] = val if val.const or val.src.isidentifier() or is_lookup(val.src) else Py(f"({val.src})")
            return self.ex(e.body, c2)
        pn = self.uniq(f"_l_{e.name}_")
        if always_reads(e.body, e.name) or self.cannot_fail(val.src):
            # every evaluation of the body reads it: computed first, at no cost
            c2.env[e.name] = Py(pn)
            body = self.ex(e.body, c2)
            return Py(f"(lambda {pn}: {body.src})({val.src})")
        c2.env[e.name] = Py(f"{pn}()")
        body = self.ex(e.body, c2)
        return Py(f"(lambda {pn}: {body.src})(_lazy(lambda: {val.src}))")

    def _ex_DefCall(self, e, c):
        d = self.defs[e.name]
        args = [self.ex(a, c) for a in e.args]
        if e.name in self.recursive:
            fname = self.def_function(d, c.checked)
            self._dyn = True
            call = f"{fname}({c.st}{''.join(', ' + a.src for a in args)})"
            if c.checked and not c.in_def:
                # runaway recursion: an error at the outermost call, not a
                # Python RecursionError without a position
                return Py(f"_rt.recursion_guard(lambda: {call}, {e.name!r}, {self.where(e)})")
            return Py(call)
        c2 = c.copy()
        if not c.post:
            c2.cur = None  # defs read the state in which the step started
        c2.env = {}
        c2.in_def = True
        lam_params, lam_args = [], []
        uses = self._param_uses(d)
        for p, a in zip(d.params, args):
            if a.const or a.src.isidentifier() or is_lookup(a.src) or (
                    uses.get(p.name, 0) <= 1 and not uses.get("*" + p.name)):
                c2.env[p.name] = a if (a.const or a.src.isidentifier() or is_lookup(a.src)) else Py(f"({a.src})")
            else:
                pn = self.uniq(f"_p_{p.name}_")
                c2.env[p.name] = Py(pn)
                lam_params.append(pn)
                lam_args.append(a.src)
        body = self.ex(d.body, c2)
        if not lam_params:
            return body
        return Py(f"(lambda {', '.join(lam_params)}: {body.src})({', '.join(lam_args)})")

    def _param_uses(self, d: ir.Def) -> dict[str, int]:
        """How often each parameter is read in the body; ``*name`` when a read
        sits inside a quantifier or comprehension (evaluated many times)."""
        cache = self.__dict__.setdefault("_uses_cache", {})
        if d.name not in cache:
            cache[d.name] = bound_reads(d.body)
        return cache[d.name]

    def def_function(self, d: ir.Def, checked: bool) -> str:
        """A module-level function for a recursive def (reads the state ``_S``)."""
        fname = f"_def{'c' if checked else ''}_{d.name}"
        if fname in self._fn_names:
            return fname
        self._fn_names.add(fname)
        c = Ctx("_S", checked)
        c.in_def = True
        params = []
        for p in d.params:
            pn = f"_b_{p.name}"
            c.env[p.name] = Py(pn)
            params.append(pn)
        self._emit_function(f"{fname}(_S{''.join(', ' + p for p in params)})", self.ex(d.body, c), c)
        return fname

    def _ex_Unary(self, e, c):
        a = self.ex(e.operand, c)
        op = {"neg": "-", "bitnot": "~", "not": "not "}[e.op]
        return self.fold(f"({op}{a.src})", a)

    def _pc_compare(self, e, c) -> Py | None:
        """``p[i].pc == "L"`` on a statically known instance: compare the pc field."""
        if e.op not in ("eq", "ne"):
            return None
        for a, b in ((e.left, e.right), (e.right, e.left)):
            if isinstance(a, ir.PcRef) and isinstance(b, ir.Lit) and isinstance(b.value, str):
                if a.index is None:
                    if c.label is not None and c.proc is not None and c.proc.name == a.process:
                        return None
                    pos = 0
                else:
                    idx = self.ex(a.index, c)
                    if not idx.const:
                        return None
                    pos = self.inst_pos[a.process].get(idx.value)
                    if pos is None:
                        return None
                    if c.label is not None and c.proc is not None and c.proc.name == a.process and pos == c.pos:
                        return None
                k = self.pc_slot[(a.process, pos)]
                sl = self.layout.slots[k]
                code = sl.codec.enc(b.value)
                if code is None:
                    return self.k(e.op == "ne")
                field = f"{c.st} >> {sl.off} & {sl.mask}" if sl.off else f"{c.st} & {sl.mask}"
                if self._reads is not None and c.st == "s":
                    self._reads.add(k)
                return Py(f"(({field}) {'==' if e.op == 'eq' else '!='} {code})")
        return None

    _ARITH = {"add": "+", "sub": "-", "mul": "*", "bitand": "&", "bitor": "|", "bitxor": "^",
              "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "union": "|", "inter": "&", "diff": "-",
              "subseteq": "<=", "subset": "<", "concat": "+"}

    def _ex_Binary(self, e, c):
        op = e.op
        pc = self._pc_compare(e, c)
        if pc is not None:
            return pc
        if op in ("and", "or", "implies"):
            a = self.ex(e.left, c)
            if a.const:
                if op == "and":
                    return self.ex(e.right, c) if a.value else self.k(False)
                if op == "or":
                    return self.k(True) if a.value else self.ex(e.right, c)
                return self.ex(e.right, c) if a.value else self.k(True)
            # the right operand runs only when the left holds (or, for
            # `or`, fails): what that says of cases holds in it
            with self.narrowed(self.case_facts(e.left, c, op != "or")):
                b = self.ex(e.right, c)
            if b.const:
                if op == "and":
                    return a if b.value else Py(f"({a.src} and False)")
                if op == "or":
                    return Py(f"({a.src} or True)") if b.value else a
                return Py(f"(not {a.src} or True)") if b.value else Py(f"(not {a.src})")
            if op == "implies":
                return Py(f"(not {a.src} or {b.src})")
            return Py(f"({a.src} {op} {b.src})")
        a = self.ex(e.left, c)
        if op in ("in", "not_in") and isinstance(e.right, ir.Builtin) and e.right.name == "keys":
            m = self.ex(e.right.args[0], c)
            neg = "not " if op == "not_in" else ""
            return self.fold(f"({a.src} {neg}in {m.src}._d)", a, m)
        if op in ("in", "not_in"):
            test = self._member_test(a, e.right, c)
            if test is not None:
                return Py(f"(not {test.src})") if op == "not_in" else test
            b = self._members(e.right, c)
            if b is not None:
                return self.fold(f"({a.src} {'in' if op == 'in' else 'not in'} {b.src})", a, b)
        b = self.ex(e.right, c)
        if op in self._ARITH:
            return self.fold(f"({a.src} {self._ARITH[op]} {b.src})", a, b)
        if op in ("eq", "ne"):
            sym = "==" if op == "eq" else "!="
            return self.fold(f"({a.src} {sym} {b.src})", a, b)
        if op == "in":
            return self.fold(f"({a.src} in {b.src})", a, b)
        if op == "not_in":
            return self.fold(f"({a.src} not in {b.src})", a, b)
        if op == "merge":
            return self.fold(f"_rt.merge({a.src}, {b.src})", a, b)
        w = self.where(e)
        if op in ("floordiv", "mod"):
            if b.const and type(b.value) is int and b.value > 0:
                return self.fold(f"({a.src} {'//' if op == 'floordiv' else '%'} {b.src})", a, b)
            return self.fold(f"_rt.{'floordiv' if op == 'floordiv' else 'mod'}({a.src}, {b.src}, {w})", a, b)
        if op in ("pow", "shl", "shr"):
            if b.const and type(b.value) is int and b.value >= 0:
                sym = {"pow": "**", "shl": "<<", "shr": ">>"}[op]
                return self.fold(f"({a.src} {sym} {b.src})", a, b)
            fn = {"pow": "power", "shl": "shl", "shr": "shr"}[op]
            return self.fold(f"_rt.{fn}({a.src}, {b.src}, {w})", a, b)
        raise CompileError(f"{e.span}: unsupported operator {op}")

    def _member_test(self, a: Py, s: ir.Expr, c) -> Py | None:
        """``a in s`` without building ``s`` when it is a set of maps or of
        sequences (``maps``, ``seqs``, ``subsets`` of them: a TypeOK over a
        network of channels would enumerate millions of values); None for
        any other set."""
        if isinstance(s, ir.RecordSet):
            return self._record_member_test(a, s, c)
        if isinstance(s, ir.Builtin) and s.name == "product":
            return self._product_member_test(a, s, c)
        if not (isinstance(s, ir.Builtin) and s.name in ("maps", "seqs", "subsets")):
            return None
        v = self.uniq("_mv_")
        inner_set = s.args[1] if s.name == "maps" else s.args[0]
        inner = self._member_test(Py(v), inner_set, c)
        if inner is None:
            elems = self.ex(inner_set, c)
            inner = Py(f"({v} in {elems.src})")
        if s.name == "maps":
            dom = self.ex(s.args[0], c)
            return Py(f"_rt.is_map_over({a.src}, {dom.src}, lambda {v}: {inner.src})")
        if s.name == "seqs":
            n = self.ex(s.args[1], c)
            return Py(f"_rt.is_seq_over({a.src}, {n.src}, lambda {v}: {inner.src})")
        return Py(f"(type({a.src}) is frozenset and all({inner.src} for {v} in {a.src}))")

    def _members(self, s: ir.Expr, c: Ctx) -> Py | None:
        """A container with the elements of the set ``s`` for ``in``, when
        the set need not be built: a sequence's elements are the sequence,
        a set written element by element is a tuple of them (``in`` compares
        as a frozenset's does; every element is still computed).  None for
        any other set (nothing compiled)."""
        if isinstance(s, ir.Builtin) and s.name == "elems":
            return self.ex(s.args[0], c)
        if isinstance(s, ir.SetLit):
            parts = [self.ex(x, c) for x in s.elems]
        elif isinstance(s, ir.SetComp) and self._unroll(s.binders, c) is not None:
            parts, conds = self._unrolled_comp(s, c)
            if not all(cd.const for cd in conds):
                pairs = ", ".join(f"({p.src}, {cd.src})" for p, cd in zip(parts, conds))
                return Py(f"_frozenset([_e for _e, _c in ({pairs},) if _c])")
        else:
            return None
        if all(p.const for p in parts):
            return self.k(frozenset(p.value for p in parts))
        return Py(f"({', '.join(p.src for p in parts)},)")

    def _part_tests(self, parts: list[tuple[str, ir.Expr]], d: str, c) -> list[str]:
        """``part in S`` for each (part's source, S), each without building S when it can."""
        tests = []
        for src, dom in parts:
            t = self._member_test(Py(src), dom, c)
            tests.append(t.src if t is not None else f"({src} in {self.ex(dom, c).src})")
        return tests

    def _record_member_test(self, a: Py, s: ir.RecordSet, c) -> Py:
        """``a in records(f=S, ...)``: a record with exactly these fields, each in its set."""
        d = self.uniq("_rd_")
        tests = self._part_tests([(f"{d}[{n!r}]", dom) for n, dom in s.fields], d, c)
        names = self.k(frozenset(n for n, _ in s.fields))
        return Py(f"_rt.is_record_over({a.src}, {names.src}, lambda {d}: {' and '.join(tests)})")

    def _product_member_test(self, a: Py, s: ir.Builtin, c) -> Py:
        """``a in product(S, T, ...)``: a tuple of that length, each part in its set."""
        t = self.uniq("_pt_")
        tests = self._part_tests([(f"{t}[{i}]", dom) for i, dom in enumerate(s.args)], t, c)
        return Py(f"(lambda {t}: type({t}) is tuple and len({t}) == {len(s.args)} and {' and '.join(tests)})"
                  f"({a.src})")

    def _ex_RecordSet(self, e, c):
        names = tuple(n for n, _ in e.fields)
        sets = [self.ex(x, c) for _, x in e.fields]
        return self.fold(f"_rt.record_set({names!r}, ({', '.join(x.src for x in sets)},))", *sets)

    def _ex_IfExpr(self, e, c):
        cond = self.ex(e.cond, c)
        if cond.const:
            return self.ex(e.then if cond.value else e.orelse, c)
        with self.narrowed(self.case_facts(e.cond, c, True)):
            a = self.ex(e.then, c)
        with self.narrowed(self.case_facts(e.cond, c, False)):
            b = self.ex(e.orelse, c)
        return Py(f"({a.src} if {cond.src} else {b.src})")

    def _ex_SetLit(self, e, c):
        if not e.elems:
            return self.k(frozenset())
        parts = [self.ex(x, c) for x in e.elems]
        return self.fold(f"_frozenset(({', '.join(p.src for p in parts)},))", *parts)

    def _ex_RangeSet(self, e, c):
        lo, hi = self.ex(e.lo, c), self.ex(e.hi, c)
        return self.fold(f"_frozenset(_range({lo.src}, {hi.src} + 1))", lo, hi)

    def _const_domain(self, b: ir.Binder, c: Ctx) -> list | None:
        d = self.ex(b.domain, c)
        if d.const and isinstance(d.value, frozenset):
            return sorted(d.value, key=sort_key)
        return None

    def _unroll(self, binders, c: Ctx) -> list[dict[str, Py]] | None:
        """The binder assignments of a small constant product, or None."""
        envs: list[dict[str, Py]] = [{}]
        for b in binders:
            nxt = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                dom = self._const_domain(b, c2)
                if dom is None or len(dom) > UNROLL_LIMIT:
                    return None
                for v in dom:
                    nxt.append({**env, b.name: self.k(v)})
            envs = nxt
            if len(envs) > UNROLL_TOTAL:
                return None
        return envs

    def cannot_fail(self, src: str) -> bool:
        """:func:`shared.cannot_fail` of generated source, shared lookups
        resolved to the expressions they stand for."""
        return cannot_fail(src, self.__dict__.get("_shared_sources", {}).get)

    def _binder_loops(self, binders, c: Ctx, any_order: bool = False) -> tuple[str, Ctx]:
        """``for x in S`` clauses of a comprehension and the context inside
        it.  ``any_order``: the order the elements come in, and how often,
        changes nothing (a set whose size alone is used): the elements of a
        sequence are the sequence itself."""
        c2 = c.copy()
        clauses = []
        for b in binders:
            if any_order and isinstance(b.domain, ir.Builtin) and b.domain.name == "elems":
                dom = self.ex(b.domain.args[0], c2)
            else:
                dom = self.ex(b.domain, c2)
            name = self.uniq(f"_b_{b.name}_")
            clauses.append(f"for {name} in {dom.src}")
            c2.env[b.name] = Py(name)
            self.note_element_cases(name, b.domain, c)
        return " ".join(clauses), c2

    def note_element_cases(self, name: str, domain: ir.Expr, c: Ctx) -> None:
        """``name`` (a unique local) takes the elements of ``domain``: what
        :meth:`element_cases` knows of their cases becomes a fact about
        ``name`` wherever it is read (its fields read without a check)."""
        cases = self.element_cases(domain, c)
        if cases is None:
            return
        vt = domain.type.elem
        self._facts = self._facts + tuple((name, tag, False) for tag, _ in vt.cases if tag not in cases)

    def element_cases(self, e: ir.Expr, c: Ctx | None) -> frozenset | None:
        """The cases the elements of the set ``e`` (of variant values) can
        be of, when fewer than its type's: a comprehension that keeps its
        binder where ``isinstance(x, T.Case)`` is a conjunct of its
        condition (``p2bs()``: ``{m for m in messages if isinstance(m,
        Msg.P2b)}``), a filter of such a set (``{m for m in p2bs() if
        m.ballot == b}``), a def without parameters returning one, a
        ``let`` bound to one (:attr:`_let_cases`).  None: nothing known.
        ``c`` None: inside a def's body (its names are not the caller's)."""
        if not (isinstance(e.type, ir.SetType) and isinstance(e.type.elem, ir.VariantType)):
            return None
        if isinstance(e, ir.DefCall):
            if e.args or e.name in self.recursive:
                return None
            return self.element_cases(self.defs[e.name].body, None)
        if isinstance(e, ir.BoundRef):
            bound = c.env.get(e.name) if c is not None else None
            return None if bound is None else self._let_cases.get(bound.src)
        if not (isinstance(e, ir.SetComp) and len(e.binders) == 1 and isinstance(e.elem, ir.BoundRef)
                and e.elem.name == e.binders[0].name):
            return None
        b = e.binders[0]
        cases = self.element_cases(b.domain, c)
        tests = [(tag, h) for base, tag, h in (_case_tests(e.cond, True) if e.cond is not None else ())
                 if isinstance(base, ir.BoundRef) and base.name == b.name]
        if tests:
            cases = _narrow(cases if cases is not None else frozenset(tag for tag, _ in e.type.elem.cases), tests)
        return cases


    def _unrolled_comp(self, e: ir.SetComp, c: Ctx) -> tuple[list[Py], list[Py]] | None:
        """A comprehension over a small constant product, unrolled: each
        combination's element and condition (combinations whose condition
        is false left out); None when the product is not small and constant."""
        envs = self._unroll(e.binders, c)
        if envs is None:
            return None
        parts = []
        conds = []
        for env in envs:
            c2 = c.copy()
            c2.env.update(env)
            if e.cond is not None:
                cond = self.ex(e.cond, c2)
                if cond.const and not cond.value:
                    continue
                conds.append(cond)
            else:
                conds.append(self.k(True))
            parts.append(self.ex(e.elem, c2))
        return parts, conds

    def hoisted(self, b: ir.Binder, cond: ir.Expr | None, c: Ctx) -> tuple[ir.Binder, ir.Expr | None]:
        """``x in S if c1 and ... and cn`` as ``x in {x for x in S if c1 and
        ... and ck} if ck+1 and ... and cn``, where c1..ck (the longest such
        prefix) read nothing but the element and constants, when S is a set
        the state holds: the filter is then a shared expression of S's value
        (computed per element, once per set: message-passing specs filter the
        messages by kind, then by the receiver's state), and what is left
        meets only the elements of the right kind.  Each element meets its
        conjuncts in the same order; the elements come in another (a filter's
        order), which only the checked variant's choice of the first
        failing element could tell: it keeps the plain loop."""
        if cond is None or c.checked or not isinstance(b.domain.type, ir.SetType):
            return b, cond
        conjuncts = _conjuncts(cond)
        k = 0
        while k < len(conjuncts) and _element_only(conjuncts[k], b.name):
            k += 1
        if k == 0 or k == len(conjuncts):
            return b, cond
        if self.ex(b.domain, c).const:
            return b, cond
        prefix = _conjoin(conjuncts[:k])
        elem = ir.BoundRef(span=b.span, type=b.domain.type.elem, name=b.name)
        kept = ir.SetComp(span=prefix.span, type=b.domain.type, elem=elem, binders=(b,), cond=prefix)
        return ir.Binder(b.name, kept, b.span), _conjoin(conjuncts[k:])

    def _ex_SetComp(self, e, c):
        if len(e.binders) == 1 and e.cond is not None:
            b, cond = self.hoisted(e.binders[0], e.cond, c)
            if cond is not e.cond:
                e = ir.SetComp(span=e.span, type=e.type, elem=e.elem, binders=(b,), cond=cond)
        unrolled = self._unrolled_comp(e, c)
        if unrolled is not None:
            parts, conds = unrolled
            if not parts:
                return self.k(frozenset())
            if all(cd.const for cd in conds):
                return self.fold(f"_frozenset(({', '.join(p.src for p in parts)},))", *parts)
            pairs = ", ".join(f"({p.src}, {cd.src})" for p, cd in zip(parts, conds))
            return Py(f"_frozenset([_e for _e, _c in ({pairs},) if _c])")
        # (unrolled above, every element is computed, whatever its condition:
        # only here does the condition guard the element)
        loops, c2 = self._binder_loops(e.binders, c)
        elem = self._guarded(e.elem, e.cond, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        # (a list, then the set: faster than from a generator, and the set is
        # built the same way, element after element, so it iterates in the
        # same order, which a quantifier over it follows)
        return Py(f"_frozenset([{elem.src} {loops}{cond}])")

    def _size_of(self, e: ir.Expr, c: Ctx) -> Py | None:
        """``len(e)`` when ``e`` is a comprehension, or a call of a def
        without parameters whose body is one (``reqs_made()``): see
        :meth:`_set_size`; else None (nothing compiled)."""
        if isinstance(e, ir.DefCall) and not e.args and e.name not in self.recursive:
            d = self.defs[e.name]
            if not isinstance(d.body, ir.SetComp):
                return None
            c2 = c.copy()  # as _ex_DefCall compiles the body
            if not c.post:
                c2.cur = None
            c2.env = {}
            c2.in_def = True
            return self._set_size(d.body, c2)
        return self._set_size(e, c) if isinstance(e, ir.SetComp) else None

    def _set_size(self, e: ir.SetComp, c: Ctx) -> Py | None:
        """``len`` of a comprehension, without the frozen set: the size of a
        set display, its elements met in any order (an unchecked variant:
        when two elements fail, the checked one says which fails first).
        None for a comprehension that unrolls (nothing compiled)."""
        if c.checked or self._unroll(e.binders, c) is not None:
            return None
        loops, c2 = self._binder_loops(e.binders, c, any_order=True)
        elem = self._guarded(e.elem, e.cond, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        # shared like the comprehension it counts (a function of one value:
        # ``len(reqs_made())`` in every step instance of a state)
        return self.shared(Py(f"_len({{{elem.src} {loops}{cond}}})"))

    def _guarded(self, e: ir.Expr, cond: ir.Expr | None, c: Ctx) -> Py:
        """``e``, computed only where ``cond`` (None: always) holds."""
        if cond is None:
            return self.ex(e, c)
        with self.narrowed(self.case_facts(cond, c)):
            return self.ex(e, c)

    def _ex_SeqComp(self, e, c):
        b = e.binder
        c2 = c.copy()
        name = self.uniq(f"_b_{b.name}_")
        c2.env[b.name] = Py(name)
        if isinstance(b.domain, ir.RangeSet):  # ascending, as lo..hi reads
            lo, hi = self.ex(b.domain.lo, c), self.ex(b.domain.hi, c)
            loop = f"for {name} in range({lo.src}, ({hi.src}) + 1)"
        else:
            loop = f"for {name} in {self.ex(b.domain, c).src}"
        elem = self._guarded(e.elem, e.cond, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        return Py(f"tuple([{elem.src} {loop}{cond}])")

    def _ex_MapLit(self, e, c):
        parts = [(self.ex(k, c), self.ex(v, c)) for k, v in e.entries]
        src = "_fm({" + ", ".join(f"{k.src}: {v.src}" for k, v in parts) + "})"
        return self.fold(src, *[p for kv in parts for p in kv])

    def _ex_MapComp(self, e, c):
        envs = self._unroll((e.binder,), c) if e.cond is None else None
        if envs is not None:
            items = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                items.append((env[e.binder.name], self.ex(e.value, c2)))
            src = "_fm({" + ", ".join(f"{k.src}: {v.src}" for k, v in items) + "})"
            return self.fold(src, *[p for kv in items for p in kv])
        loops, c2 = self._binder_loops((e.binder,), c)
        key = c2.env[e.binder.name]
        val = self._guarded(e.value, e.cond, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        return Py(f"_fm({{{key.src}: {val.src} {loops}{cond}}})")

    def _placed(self, e, c, gen) -> Py | None:
        """``gen(e, c)`` with the place ``e`` reads recorded for the memo
        keys instead of the whole variable (:meth:`_read_place`), while the
        reads of a memoized step are tracked; None when there is no such
        place, or ``e`` is part of a place being compiled.  The keys inside
        a place are expressions of their own (their places count)."""
        if self._reads is None or c.st != "s" or id(e) in self._place_chains:
            return None
        place = self._read_place(e, c)
        if place is None:
            return None
        self._rplaces.setdefault(place[0], set()).add(place[1])
        chain = []
        root = e
        while isinstance(root, (ir.Index, ir.Field)):
            chain.append(id(root))
            root = root.base
        # the chain's own nodes compile as plain code; its root is read
        # (first, before any key) without counting as a whole read
        fresh = [x for x in chain if x not in self._place_chains]
        self._place_chains.update(fresh)
        pending = [root, False]  # [the root, read yet]
        self._place_roots.append(pending)
        try:
            return gen(e, c)
        finally:
            self._place_chains.difference_update(fresh)
            roots = self._place_roots
            del roots[next(i for i, p in enumerate(roots) if p is pending)]

    def _ex_Index(self, e, c):
        placed = self._placed(e, c, self._index)
        return placed if placed is not None else self._index(e, c)

    def _index(self, e, c):
        base = self.ex(e.base, c)
        key = self.ex(e.key, c)
        bt = e.base.type
        if isinstance(bt, ir.OptionalType):
            bt = bt.inner
        w = self.where(e)
        if isinstance(bt, ir.MapType):
            if c.checked:
                return self.fold(f"_mget({base.src}, {key.src}, {w}, {self.shown(bt)})", base, key)
            return self.fold(f"{base.src}._d[{key.src}]", base, key)
        if isinstance(bt, ir.TupleType):
            return self.fold(f"{base.src}[{key.src}]", base, key)
        if isinstance(bt, ir.SeqType):
            return self.fold(f"_sget({base.src}, {key.src}, {w})", base, key)
        return self.fold(f"_rt.index({base.src}, {key.src}, {w}, {self.shown(bt)})", base, key)

    def _ex_Field(self, e, c):
        placed = self._placed(e, c, self._field)
        return placed if placed is not None else self._field(e, c)

    def _field(self, e, c):
        base = self.ex(e.base, c)
        bt = e.base.type
        if not c.checked and (isinstance(bt, ir.RecordType) or
                              (isinstance(bt, ir.VariantType) and self._has_field(bt, base.src, e.name))):
            return self.fold(f"{base.src}._d[{e.name!r}]", base)
        # a case without the field is an error at this position
        return self.fold(f"_rt.field({base.src}, {e.name!r}, {self.where(e)}, {self.shown(bt)})", base)

    def _ex_RecordLit(self, e, c):
        parts = [(n, self.ex(x, c)) for n, x in sorted(e.fields, key=lambda f: f[0])]
        return self._record(parts)

    def _ex_VariantLit(self, e, c):
        # a record whose "tag" field names the case (the TLA+ export's form)
        parts = [(n, self.ex(x, c)) for n, x in e.fields] + [("tag", self.k(e.tag))]
        parts.sort(key=lambda f: f[0])
        return self._record(parts)

    def _record(self, parts: list[tuple[str, Py]]) -> Py:
        """A record literal (fields in sorted order).  One that is not a
        constant is looked up in a memo keyed by the tuple of its computed
        fields: the records a search builds recur (the message a step sends
        is sent again from the next state), and a record met again is the
        same object, its hash computed once (a record's hash is Python code,
        a tuple of ints' is not) and found by identity in the sets that
        hold it.  The fields of one literal have fixed types, so equal
        tuples are equal records (never 1 for True)."""
        src = "_rec({" + ", ".join(f"{n!r}: {p.src}" for n, p in parts) + "})"
        if all(p.const for _, p in parts):
            return self.fold(src, *[p for _, p in parts])
        from . import runtime as rt

        computed = [p for _, p in parts if not p.const]
        fields, i = [], 0
        for n, p in parts:
            if p.const:
                fields.append(f"{n!r}: {p.src}")
            else:
                fields.append(f"{n!r}: _f[{i}]")
                i += 1
        build = eval(compile("lambda _f: _rec({" + ", ".join(fields) + "})", "<pyspec record>", "eval"),
                     self.ns)  # generated source
        memo = self._bind(rt.BoundedMemo(build, RECORD_MEMO_LIMIT), "_rm")
        return Py(f"{memo}[({', '.join(p.src for p in computed)},)]")

    def _ex_IsCase(self, e, c):
        base = self.ex(e.base, c)
        return self.fold(f"({base.src}._d['tag'] == {e.tag!r})", base)

    def _ex_RecordUpdate(self, e, c):
        base = self.ex(e.base, c)
        parts = [(n, self.ex(x, c)) for n, x in e.updates]
        # (rec_replace's copy and update in one dict display, no call: the
        # fields replaced keep their places, so the record stays sorted)
        src = f"_rec({{**{base.src}._d, " + ", ".join(f"{n!r}: {p.src}" for n, p in parts) + "})"
        return self.fold(src, base, *[p for _, p in parts])

    def _ex_SeqLit(self, e, c):
        parts = [self.ex(x, c) for x in e.elems]
        if not parts:
            return self.k(())
        return self.fold("(" + ", ".join(p.src for p in parts) + ",)", *parts)

    _ex_TupleLit = _ex_SeqLit

    def _small_domain(self, ty: ir.Type) -> list | None:
        """Every value of a small closed type (internal values), or None."""
        if isinstance(ty, ir.BoolType):
            return [False, True]
        if isinstance(ty, ir.SortType):
            n = len(self.conv.sort_names.get(ty.name, ()))
            return list(range(n)) if 0 < n <= UNROLL_LIMIT else None
        if isinstance(ty, ir.EnumType):
            return list(range(len(ty.values))) if len(ty.values) <= UNROLL_LIMIT else None
        return None

    def _ex_Quant(self, e, c):
        if len(e.binders) == 1:
            b = e.binders[0]
            dom_t = b.domain.type
            elems = self._small_domain(dom_t.elem) if isinstance(dom_t, ir.SetType) else None
            dom = self.ex(b.domain, c)
            if elems is not None and not dom.const and (dom.src.isidentifier() or len(elems) <= 4):
                # `exists x in S: P` over a state set S of a small closed type:
                # one membership test and one folded P per possible value
                dname = dom.src if dom.src.isidentifier() else None
                parts = []
                for v in elems:
                    c2 = c.copy()
                    c2.env[b.name] = self.k(v)
                    body = self.ex(e.body, c2)
                    mem = f"({self.k(v).src} in {dname or dom.src})"
                    if e.kind == "exists":
                        if body.const and not body.value:
                            continue
                        parts.append(mem if body.const else f"({mem} and {body.src})")
                    else:
                        if body.const and body.value:
                            continue
                        parts.append(f"(not {mem})" if body.const else f"(not {mem} or {body.src})")
                if not parts:
                    return self.k(e.kind == "forall")
                joiner = " or " if e.kind == "exists" else " and "
                return Py("(" + joiner.join(parts) + ")")
        envs = self._unroll(e.binders, c)
        if envs is not None:
            parts = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                p = self.ex(e.body, c2)
                if p.const:
                    if (e.kind == "forall") != bool(p.value):  # decides the quantifier
                        return self.k(e.kind == "exists")
                    continue
                parts.append(p)
            if not parts:
                return self.k(e.kind == "forall")
            joiner = " and " if e.kind == "forall" else " or "
            return Py("(" + joiner.join(p.src for p in parts) + ")")
        loops, c2 = self._binder_loops(e.binders, c)
        body = self.ex(e.body, c2)
        fn = "_all" if e.kind == "forall" else "_any"
        return Py(f"{fn}({body.src} {loops})")

    def _ex_Choose(self, e, c):
        dom = self.ex(e.binder.domain, c)
        if dom.const and len(dom.value) <= UNROLL_LIMIT:
            # a small constant domain whose condition folds for each element
            # (`choose j in 0..len(order) - 1: order[j] == c` with a constant
            # order): the witness is a constant, the first in canonical order
            for v in sorted(dom.value, key=sort_key):
                c2 = c.copy()
                c2.env[e.binder.name] = self.k(v)
                cond = self.ex(e.cond, c2)
                if not cond.const:
                    break
                if cond.value:
                    return self.k(v)
        if dom.const:
            dsrc = self.k(tuple(sorted(dom.value, key=sort_key))).src
        elif isinstance(e.binder.domain, ir.RangeSet):
            # lo..hi in canonical order is the range itself: no set to build and sort
            lo, hi = self.ex(e.binder.domain.lo, c), self.ex(e.binder.domain.hi, c)
            dsrc = f"_range({lo.src}, {hi.src} + 1)"
        else:
            dsrc = f"_srt({dom.src})"
        c2 = c.copy()
        name = self.uniq(f"_b_{e.binder.name}_")
        c2.env[e.binder.name] = Py(name)
        cond = self.ex(e.cond, c2)
        return Py(f"_chosen(_next(({name} for {name} in {dsrc} if {cond.src}), _NOCHOICE), {self.where(e)})")

    def _ex_Builtin(self, e, c):
        if e.name == "len":
            size = self._size_of(e.args[0], c)
            if size is not None:
                return size
        args = [self.ex(a, c) for a in e.args]
        a = args[0] if args else None
        w = self.where(e)
        n = e.name
        if n == "len":
            return self.fold(f"_len({a.src})", a)
        if n == "abs":
            return self.fold(f"_abs({a.src})", a)
        if n == "append":
            return self.fold(f"({a.src} + ({args[1].src},))", *args)
        if n in ("subsets", "keys", "unions"):
            return self.fold(f"_rt.{n}({a.src})", a)
        if n == "maps":
            return self.fold(f"_rt.maps({a.src}, {args[1].src})", *args)
        if n == "seqs":
            return self.fold(f"_rt.seqs({a.src}, {args[1].src}, {w})", *args)
        if n == "product":
            return self.fold(f"_rt.product_set({', '.join(x.src for x in args)})", *args)
        if n in ("min", "max", "head", "tail"):
            fn = {"min": "smin", "max": "smax", "head": "head", "tail": "tail"}[n]
            return self.fold(f"_rt.{fn}({a.src}, {w})", a)
        if n == "slice":
            return self.fold(f"_rt.seq_slice({a.src}, {args[1].src}, {args[2].src}, {w})", *args)
        if n == "elems":
            return self.fold(f"_frozenset({a.src})", a)
        raise CompileError(f"{e.span}: unsupported builtin {n}()")

    def _ex_Next(self, e, c):
        c2 = c.copy()
        c2.st = "t"
        c2.cur = None
        return self.ex(e.operand, c2)

    def _ex_Temporal(self, e, c):
        raise CompileError(f"{e.span}: temporal operator outside a temporal property")

    # ------------------------------------------------------------ functions of states
    def function(self, name: str, args: str, expr: ir.Expr, c: Ctx) -> str:
        """``def name(args): return expr`` with the decodes it needs."""
        c.need = set()
        self._emit_function(f"{name}({args})", self.ex(expr, c), c)
        return name

    def _emit_function(self, head: str, body: Py, c: Ctx) -> None:
        """``def head: return body``, after the decodes the body needs."""
        lines = [f"def {head}:"]
        self.decode_lines(c, "    ", lines)
        lines.append(f"    return {body.src}")
        self.lines.extend(lines)
        self.lines.append("")


def _hashed_in_c(ty: ir.Type) -> bool:
    """Do values of ``ty`` hash without Python code, and cheaply once
    hashed: sets (a frozenset keeps its hash), numbers, booleans, sort and
    enum codes.  A shared expression over such a value is looked up by the
    value, a dict subscript (``_sh3[_o0]``: no Python frame on a hit), not
    by its identity (``IdentityMemo.get_for``); a record's or a map's hash
    is Python code, a tuple's is computed again at each lookup."""
    if isinstance(ty, ir.SetType):
        return not _mentions_any(ty)
    return isinstance(ty, (ir.IntType, ir.BoolType, ir.SortType, ir.EnumType))


def _mentions_any(ty: Any) -> bool:
    if isinstance(ty, ir.AnyType):
        return True
    if isinstance(ty, (ir.SetType, ir.SeqType)):
        return _mentions_any(ty.elem)
    return False


def _case_tests(e: ir.Expr, holds: bool) -> list[tuple[ir.Expr, str, bool]]:
    """What the truth (``holds``), or the falsity, of the condition ``e``
    says of the cases of variant values: (the expression tested, a case,
    whether its value is of that case) for each ``isinstance`` test that
    the outcome decides."""
    if isinstance(e, ir.IsCase):
        return [(e.base, e.tag, holds)]
    if isinstance(e, ir.Unary) and e.op == "not":
        return _case_tests(e.operand, not holds)
    if isinstance(e, ir.Binary):
        if e.op == ("and" if holds else "or"):
            return _case_tests(e.left, holds) + _case_tests(e.right, holds)
        if e.op == "implies" and not holds:  # false: the left holds, the right does not
            return _case_tests(e.left, True) + _case_tests(e.right, False)
    return []


def _narrow(cases: frozenset, tests) -> frozenset:
    """``cases`` narrowed by (case, whether the value is of it) tests."""
    for tag, holds in tests:
        cases = cases & {tag} if holds else cases - {tag}
    return cases


def bound_reads(e) -> dict[str, int]:
    """How often each bound name is read in ``e``; ``*name`` when a read
    sits inside a quantifier, comprehension or choose (evaluated many times)."""
    out: dict[str, int] = {}

    def walk(x, loop: bool) -> None:
        if isinstance(x, ir.BoundRef):
            out[x.name] = out.get(x.name, 0) + 1
            if loop:
                out["*" + x.name] = 1
            return
        inner = loop or isinstance(x, (ir.Quant, ir.SetComp, ir.SeqComp, ir.MapComp, ir.Choose))
        if hasattr(x, "__dataclass_fields__"):
            for f in x.__dataclass_fields__:
                if f not in ("span", "type"):
                    walk(getattr(x, f), inner)
        elif isinstance(x, tuple):
            for y in x:
                walk(y, loop)

    walk(e, False)
    return out


def always_reads(e, name: str) -> bool:
    """Whether every evaluation of ``e`` reads the bound name ``name``
    (conservative: False when unsure).  A ``let`` whose body always reads
    it is computed before the body at no cost to laziness: an error in its
    value would be met anyway."""
    if isinstance(e, ir.BoundRef):
        return e.name == name
    if isinstance(e, ir.Binary):
        if e.op in ("and", "or", "implies"):  # the right operand may be skipped
            return always_reads(e.left, name)
        return always_reads(e.left, name) or always_reads(e.right, name)
    if isinstance(e, ir.Unary):
        return always_reads(e.operand, name)
    if isinstance(e, ir.IfExpr):
        return always_reads(e.cond, name) or (always_reads(e.then, name) and always_reads(e.orelse, name))
    if isinstance(e, ir.Index):
        return always_reads(e.base, name) or always_reads(e.key, name)
    if isinstance(e, ir.Field):
        return always_reads(e.base, name)
    if isinstance(e, (ir.SetLit, ir.SeqLit, ir.TupleLit)):
        return any(always_reads(x, name) for x in e.elems)
    if isinstance(e, ir.RecordLit):
        return any(always_reads(x, name) for _, x in e.fields)
    if isinstance(e, ir.LetIn):
        return always_reads(e.body, name)
    return False


def _conjuncts(e: ir.Expr) -> list[ir.Expr]:
    """The operands of a chain of ``and``, left to right."""
    if isinstance(e, ir.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _conjoin(es: list[ir.Expr]) -> ir.Expr:
    out = es[0]
    for e in es[1:]:
        out = ir.Binary(span=out.span, type=out.type, op="and", left=out, right=e)
    return out


#: what an element-only condition may not read: the state, the running
#: process, another step's choice, a def (which may read the state)
_NOT_ELEMENT = (ir.VarRef, ir.LocalRef, ir.PcRef, ir.SelfRef, ir.Next, ir.DefCall, ir.Temporal, ir.FairFormula)


def _element_only(e: ir.Expr, name: str) -> bool:
    """Does ``e`` read nothing but the bound name ``name``, constants and
    names bound inside it?"""
    return (not any(isinstance(x, _NOT_ELEMENT) for x in iter_exprs(e))
            and names_read_in(e) <= names_bound_in(e) | {name})


def stmts_always_read(stmts, name: str) -> bool:
    """Whether every execution of the statements reads the bound name
    before anything that could end it without an error (an ``await``, a
    branch, a ``goto``)."""
    for st in stmts:
        if isinstance(st, ir.Skip):
            continue
        if isinstance(st, ir.Assign):
            if always_reads(st.value, name) or any(isinstance(p, ir.Index) and always_reads(p.key, name)
                                                   for p in st.path):
                return True
            continue
        if isinstance(st, (ir.Await, ir.Assert)):
            return always_reads(st.cond, name)
        if isinstance(st, ir.If):
            return always_reads(st.branches[0][0], name) if st.branches else False
        if isinstance(st, ir.Let):
            return stmts_always_read(st.body, name)
        return False
    return False
