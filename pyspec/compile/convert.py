"""Spec values <-> the compiled model's internal values.

Inside generated code a model value (``Vcpu.v1``) and an enum value are
small ints: their position among the values of their sort / enum in the
canonical order (by name), so that hashing, equality and ordering are those
of ints (``ModelValue``/``EnumValue`` hash and compare in Python code, which
dominated the search time).  Everything else is unchanged.  The conversion
is directed by the static type, at the boundary of the compiled model
(initial values, traces, ``to_values``/``from_values``, step parameters).
"""

from __future__ import annotations

from typing import Any

from ..ir import nodes as ir
from ..values import NONE, EnumValue, FMap, ModelValue, Record
from .runtime import fmap_own, rec_own


class Converter:
    def __init__(self, sort_names: dict[str, list[str]], enum_names: dict[str, list[str]]):
        self.sort_names = sort_names  # sort -> value names in canonical order
        self.enum_names = enum_names
        self.sort_code = {s: {n: i for i, n in enumerate(ns)} for s, ns in sort_names.items()}
        self.enum_code = {e: {n: i for i, n in enumerate(ns)} for e, ns in enum_names.items()}
        self.mv = {s: [ModelValue(s, n) for n in ns] for s, ns in sort_names.items()}
        self.ev = {e: [EnumValue(e, n) for n in ns] for e, ns in enum_names.items()}

    def add_sort_value(self, sort: str, name: str) -> int:
        """The code of a model value (the sort's values must all be known
        before any code is handed out: see Codegen._collect_values)."""
        return self.sort_code[sort][name]

    # -- internal -> spec values
    def ext(self, v: Any, ty: ir.Type | None) -> Any:
        if ty is None or v is NONE:
            return v
        if isinstance(ty, ir.SortType):
            return self.mv[ty.name][v] if type(v) is int else v
        if isinstance(ty, ir.EnumType):
            return self.ev[ty.name][v] if type(v) is int else v
        if isinstance(ty, ir.OptionalType):
            return self.ext(v, ty.inner)
        if isinstance(ty, ir.SetType):
            if not _needs(ty.elem):
                return v
            return frozenset(self.ext(x, ty.elem) for x in v)
        if isinstance(ty, ir.SeqType):
            if not _needs(ty.elem):
                return v
            return tuple(self.ext(x, ty.elem) for x in v)
        if isinstance(ty, ir.TupleType):
            return tuple(self.ext(x, t) for x, t in zip(v, ty.elems))
        if isinstance(ty, ir.VariantType):
            ty = ir.value_type(ty, v)
        if isinstance(ty, ir.RecordType):
            ft = dict(ty.fields)
            return rec_own({k: self.ext(x, ft.get(k)) for k, x in v._d.items()})
        if isinstance(ty, ir.MapType):
            if not (_needs(ty.key) or _needs(ty.value)):
                return v
            return fmap_own({self.ext(k, ty.key): self.ext(x, ty.value) for k, x in v._d.items()})
        return v

    # -- spec values -> internal
    def int(self, v: Any, ty: ir.Type | None) -> Any:
        if ty is None or v is NONE or v is None:
            return NONE if v is None else v
        t = type(v)
        if t is ModelValue:
            return self.sort_code[v.sort][v.name]
        if t is EnumValue:
            return self.enum_code[v.enum][v.name]
        if isinstance(ty, ir.OptionalType):
            return self.int(v, ty.inner)
        if t is frozenset:
            et = ty.elem if isinstance(ty, ir.SetType) else None
            return frozenset(self.int(x, et) for x in v)
        if t is tuple:
            if isinstance(ty, ir.TupleType):
                return tuple(self.int(x, s) for x, s in zip(v, ty.elems))
            et = ty.elem if isinstance(ty, ir.SeqType) else None
            return tuple(self.int(x, et) for x in v)
        if t is Record:
            ty = ir.value_type(ty, v)
            ft = dict(ty.fields) if isinstance(ty, ir.RecordType) else {}
            return rec_own({k: self.int(x, ft.get(k)) for k, x in sorted(v._d.items())})
        if isinstance(v, FMap):
            kt = ty.key if isinstance(ty, ir.MapType) else None
            vt = ty.value if isinstance(ty, ir.MapType) else None
            return fmap_own({self.int(k, kt): self.int(x, vt) for k, x in v._d.items()})
        return v


def _needs(ty: ir.Type) -> bool:
    """Does the type contain sort or enum values (or is unknown)?"""
    if isinstance(ty, (ir.SortType, ir.EnumType, ir.AnyType)):
        return True
    if isinstance(ty, (ir.SetType, ir.SeqType)):
        return _needs(ty.elem)
    if isinstance(ty, ir.OptionalType):
        return _needs(ty.inner)
    if isinstance(ty, ir.MapType):
        return _needs(ty.key) or _needs(ty.value)
    if isinstance(ty, ir.TupleType):
        return any(_needs(t) for t in ty.elems)
    if isinstance(ty, ir.RecordType):
        return any(_needs(t) for _, t in ty.fields)
    if isinstance(ty, ir.VariantType):
        return any(_needs(t) for _, fields in ty.cases for _, t in fields)
    return False
