"""A refinement property on a compiled model: the mapping onto the abstract spec.

``refinement TCSpec: TC`` (docs/semantics.md, Refinement) maps every state
of the concrete model onto a state of the abstract spec: each abstract
variable is an expression over the concrete state, each abstract constant
a constant expression of the concrete model.  :class:`RefinementMap`
compiles the abstract spec with those constants (a model of its own, which
also knows every model value and string of the concrete model, so that
every mapped state can be packed), and answers, on packed states:

- :meth:`RefinementMap.init_ok`: the mapped initial state is an initial
  state of the abstract spec;
- :meth:`RefinementMap.step_ok`: a concrete step maps to a stutter or to a
  step of the abstract spec's ``next``;
- :meth:`RefinementMap.enabled` / :meth:`RefinementMap.takes`: for each
  fairness condition of the abstract spec, whether it is enabled in the
  mapped state and whether a concrete step is one of its steps (that
  changes the mapped state), for the liveness part
  (:mod:`pyspec.engines.embedded.liveness`).

Each answer has a checked variant that raises :class:`EvalError` with the
spec position (a mapping expression, or a step of the abstract spec, that
fails on a mapped state).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..ir import nodes as ir
from ..values import NONE, EnumValue, FMap, ModelValue, Record, sort_key
from .codegen import CompileError
from .codegen_base import Ctx
from .model import CompiledModel, Fairness, check_assumptions
from .runtime import EvalError

#: The name of the abstract spec's model (the constants the refinement binds).
MODEL = "refinement"


class RefinementMap:
    """The refinement property ``prop`` of the concrete model ``cm``."""

    def __init__(self, cm: CompiledModel, prop: ir.Property):
        ref = prop.refinement
        assert ref is not None
        self.name = prop.name
        self.cm = cm
        self.ref = ref
        self.abstract = ref.abstract
        cg = cm.codegen
        consts = []
        for (cname, e), c in zip(ref.constants, ref.abstract.consts):
            try:
                v = cm.conv.ext(cg.eval_const(e, Ctx()), e.type)
            except EvalError as err:
                raise CompileError(f"{err.where or e.span}: {err.message}") from None
            consts.append((cname, value_expr(v, c.type, e.span)))
        model = ir.Model(MODEL, tuple(consts), (), (), None, "ignore", "", ref.span)
        spec = dataclasses.replace(ref.abstract, models=(model,))
        try:
            self.acm = CompiledModel(spec, MODEL, values=(cm.conv.sort_names, list(cg.strings)))
            check_assumptions(self.acm)
            self.init = frozenset(self.acm.initial_states())
        except EvalError as err:
            raise CompileError(f"{err.where or ref.span}: {err.message}") from None
        except CompileError as err:
            raise CompileError(f"{ref.span}: refinement '{prop.name}': the abstract spec {ref.abstract.name} "
                               f"with the constants it is bound to: {err}") from None
        self.parts = [(v, cg.compile_predicate(e, {}), e.type) for v, e in ref.variables]
        self._checked_parts: list | None = None
        self._memo: dict[int, int] = {}
        self._lab: dict[int, dict[int, frozenset]] = {}
        self.fairness: list[Fairness] = self.acm.fairness

    # ------------------------------------------------------------ the mapping
    def _image(self, s: int, parts) -> int:
        ext = self.cm.conv.ext
        values = {}
        for v, fn, ty in parts:
            values[v] = ext(fn(s), ty)
        return self.acm.from_values(values)

    def image(self, s: int) -> int:
        """The abstract state a concrete state maps to (packed)."""
        a = self._memo.get(s)
        if a is None:
            a = self._memo[s] = self._image(s, self.parts)
        return a

    def image_checked(self, s: int) -> int:
        """:meth:`image`, an error of a mapping expression naming its position."""
        if self._checked_parts is None:
            cg = self.cm.codegen
            self._checked_parts = [(v, cg.compile_predicate(e, {}, checked=True), e.type)
                                   for v, e in self.ref.variables]
        return self._image(s, self._checked_parts)

    def values(self, a: int) -> dict[str, Any]:
        """An abstract state as spec values (messages)."""
        return self.acm.to_values(a)

    # ------------------------------------------------------------ init, steps
    def init_ok(self, s: int) -> bool:
        return self.image(s) in self.init

    def init_checked(self, s: int) -> bool:
        return self.image_checked(s) in self.init

    def labelled(self, a: int) -> dict[int, frozenset]:
        """The abstract successors of ``a`` that differ from it: target -> the
        step instances (abstract action ids) that reach it."""
        out = self._lab.get(a)
        if out is None:
            found: list = []
            self.acm.next_lab(a, found.append)
            by: dict[int, set] = {}
            for aid, t in found:
                if t != a:
                    by.setdefault(t, set()).add(aid)
            out = self._lab[a] = {t: frozenset(x) for t, x in by.items()}
        return out

    def read_mask(self) -> int:
        """The bits of a concrete state the mapping reads: whether a step
        maps to an abstract step depends on these bits of its two states
        alone (the compiled engine memoizes it by them)."""
        mask = 0
        for _, e in self.ref.variables:
            for _, part in self.cm.codegen.predicate_parts(e):
                mask |= part
        return mask

    def step_ok(self, s: int, t: int) -> bool:
        a, b = self.image(s), self.image(t)
        return a == b or b in self.labelled(a)

    def step_checked(self, s: int, t: int) -> bool:
        a, b = self.image_checked(s), self.image_checked(t)
        if a == b:
            return True
        found: list = []
        self.acm.next_full(a, found.append)  # an abstract step that fails names its position
        return b in self.labelled(a)

    # ------------------------------------------------------------ fairness
    def enabled(self, s: int, f: Fairness) -> bool:
        """Is the abstract fairness condition ``f`` enabled in the state ``s`` maps to?"""
        a = self.image(s)
        aids = f.named(a)  # the instances it names in the mapped state (an argument may read it)
        return any(x & aids for x in self.labelled(a).values())

    def what(self, f: Fairness) -> str:
        """A fairness condition of the abstract spec as it declares it
        (``fair action Finish``, ``strong fair Serve(c=...)``)."""
        actions = {p.name for p in self.abstract.processes if p.is_action}
        for kw in ("strong fair process ", "fair process "):
            if f.what.startswith(kw):
                rest = f.what[len(kw):]
                if rest.split("(")[0] in actions:
                    return kw.replace("process", "action") + rest
        return f.what

    def takes(self, s: int, t: int, f: Fairness) -> bool:
        """Is the concrete step (s, t) a step of ``f``'s actions that changes the mapped state?"""
        a, b = self.image(s), self.image(t)
        if a == b:
            return False
        return bool(self.labelled(a).get(b, frozenset()) & f.named(a))

    def describe(self, s: int, t: int) -> str:
        """The mapped step, for a message: what changes (``x: 1 -> 2``,
        ``m[k]: a -> b`` for the entries of a map that change)."""
        from ..values import format_typed

        types = {v.name: v.type for v in self.abstract.vars}
        a, b = self.values(self.image(s)), self.values(self.image(t))
        out = []
        for k, old in a.items():
            new, ty = b.get(k), types.get(k)
            if old == new:
                continue
            if isinstance(old, FMap) and isinstance(new, FMap) and isinstance(ty, ir.MapType) \
                    and set(old) == set(new):
                for key in sorted(old, key=sort_key):
                    if old[key] != new[key]:
                        out.append(f"{k}[{format_typed(key, ty.key)}]: {format_typed(old[key], ty.value)} -> "
                                   f"{format_typed(new[key], ty.value)}")
                continue
            out.append(f"{k}: {format_typed(old, ty)} -> {format_typed(new, ty)}")
        return ", ".join(out)


def refinement_map(cm: CompiledModel, name: str) -> RefinementMap:
    """The :class:`RefinementMap` of refinement property ``name`` of the
    model (compiled once per compiled model)."""
    maps = cm.__dict__.setdefault("_refinement_maps", {})
    rm = maps.get(name)
    if rm is None:
        rm = maps[name] = RefinementMap(cm, cm.spec.prop(name))
    return rm


def value_expr(v: Any, ty: ir.Type, span) -> ir.Expr:
    """A spec value as an IR literal of type ``ty`` (a constant bound in the abstract model)."""
    if isinstance(ty, ir.OptionalType):
        return ir.NoneLit(span, ty) if v is NONE else value_expr(v, ty.inner, span)
    if v is NONE:
        return ir.NoneLit(span, ty)
    if isinstance(v, bool):
        return ir.Lit(span, ir.BOOL, v)
    if isinstance(v, int):
        return ir.Lit(span, ir.INT, v)
    if isinstance(v, str):
        return ir.Lit(span, ir.STR, v)
    if isinstance(v, ModelValue):
        return ir.SortValue(span, ir.SortType(v.sort), v.sort, v.name)
    if isinstance(v, EnumValue):
        return ir.EnumValue(span, ty, v.enum, v.name)
    if isinstance(v, frozenset):
        elem = ty.elem if isinstance(ty, ir.SetType) else ir.ANY
        return ir.SetLit(span, ty, tuple(value_expr(x, elem, span) for x in sorted(v, key=sort_key)))
    if isinstance(v, tuple):
        if isinstance(ty, ir.TupleType):
            return ir.TupleLit(span, ty, tuple(value_expr(x, t, span) for x, t in zip(v, ty.elems)))
        elem = ty.elem if isinstance(ty, ir.SeqType) else ir.ANY
        return ir.SeqLit(span, ty, tuple(value_expr(x, elem, span) for x in v))
    if isinstance(v, Record):
        if isinstance(ty, ir.VariantType):
            tag = v._d["tag"]
            fields = ty.case(tag) or ()
            return ir.VariantLit(span, ty, tag, tuple((n, value_expr(v._d[n], t, span)) for n, t in fields))
        ft = dict(ty.fields) if isinstance(ty, ir.RecordType) else {}
        return ir.RecordLit(span, ty, tuple((n, value_expr(x, ft.get(n, ir.ANY), span)) for n, x in v._d.items()))
    if isinstance(v, FMap):
        kt, vt = (ty.key, ty.value) if isinstance(ty, ir.MapType) else (ir.ANY, ir.ANY)
        return ir.MapLit(span, ty, tuple((value_expr(k, kt, span), value_expr(x, vt, span))
                                         for k, x in sorted(v.items(), key=lambda kv: sort_key(kv[0]))))
    raise CompileError(f"{span}: cannot bind a constant of the abstract spec to {v!r}")


__all__ = ["RefinementMap", "refinement_map", "value_expr", "MODEL"]
