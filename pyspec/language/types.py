"""Type rules: compatibility, joins and the result type of every operator.

Types are structural.  Integer ranges are all ``int`` for compatibility (the
bounds only inform TypeOK and state packing).  ``none`` joins with any type T
into ``optional[T]``; the element type of an empty literal is ``?`` until it
meets another type.
"""

from __future__ import annotations

from ..ir.nodes import (
    ANY,
    BOOL,
    INT,
    AnyType,
    BoolType,
    EnumType,
    IntType,
    LabelType,
    MapType,
    NoneType,
    OptionalType,
    RecordType,
    SeqType,
    SetType,
    SortType,
    StrType,
    TupleType,
    Type,
)


def join(a: Type, b: Type) -> Type | None:
    """The least type both ``a`` and ``b`` belong to, or None if there is none."""
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType):
        return a
    if isinstance(a, IntType) and isinstance(b, IntType):
        return a if a.lo is not None and a == b and a.lo is b.lo and a.hi is b.hi else INT
    if isinstance(a, NoneType):
        if isinstance(b, NoneType):
            return a
        return b if isinstance(b, OptionalType) else OptionalType(b)
    if isinstance(b, NoneType):
        return join(b, a)
    if isinstance(a, OptionalType) or isinstance(b, OptionalType):
        ia = a.inner if isinstance(a, OptionalType) else a
        ib = b.inner if isinstance(b, OptionalType) else b
        j = join(ia, ib)
        return OptionalType(j) if j is not None else None
    if type(a) is not type(b):
        return None
    if isinstance(a, SetType):
        j = join(a.elem, b.elem)
        return SetType(j) if j is not None else None
    if isinstance(a, SeqType):
        j = join(a.elem, b.elem)
        return SeqType(j) if j is not None else None
    if isinstance(a, MapType):
        k, v = join(a.key, b.key), join(a.value, b.value)
        return MapType(k, v) if k is not None and v is not None else None
    if isinstance(a, TupleType):
        if len(a.elems) != len(b.elems):
            return None
        parts = [join(x, y) for x, y in zip(a.elems, b.elems)]
        return None if any(p is None for p in parts) else TupleType(tuple(parts))
    if isinstance(a, RecordType):
        if [n for n, _ in a.fields] != [n for n, _ in b.fields]:
            return None
        parts = [join(x, y) for (_, x), (_, y) in zip(a.fields, b.fields)]
        if any(p is None for p in parts):
            return None
        return RecordType(tuple((n, p) for (n, _), p in zip(a.fields, parts)))
    if isinstance(a, LabelType):
        return a if a.process == b.process else None
    return a if a == b else None


def assignable(target: Type, value: Type) -> bool:
    """May a value of type ``value`` be stored where ``target`` is declared?"""
    j = join(target, value)
    if j is None:
        return False
    if isinstance(j, OptionalType) and not isinstance(target, OptionalType):
        return False  # storing none (or an optional) into a non-optional slot
    return _no_any_conflict(target, value)


def _no_any_conflict(target: Type, value: Type) -> bool:
    """No part of ``value`` may be optional where ``target`` is not: an
    ``optional[int]`` element in a ``seq[int]``, a ``none`` key in a
    ``map[K, int]`` (the top level is checked by the caller)."""
    if isinstance(value, (AnyType, NoneType)) or isinstance(target, AnyType):
        return True
    if isinstance(target, OptionalType):
        inner_v = value.inner if isinstance(value, OptionalType) else value
        return _no_any_conflict(target.inner, inner_v)
    if isinstance(value, OptionalType):
        return False
    if isinstance(target, (SetType, SeqType)) and isinstance(value, type(target)):
        return _no_any_conflict(target.elem, value.elem)
    if isinstance(target, MapType) and isinstance(value, MapType):
        return _no_any_conflict(target.key, value.key) and _no_any_conflict(target.value, value.value)
    if isinstance(target, TupleType) and isinstance(value, TupleType):
        return all(_no_any_conflict(a, b) for a, b in zip(target.elems, value.elems))
    if isinstance(target, RecordType) and isinstance(value, RecordType):
        return all(_no_any_conflict(a, b) for (_, a), (_, b) in zip(target.fields, value.fields))
    return True


def strip_optional(t: Type) -> Type:
    return t.inner if isinstance(t, OptionalType) else t


def is_int(t: Type) -> bool:
    """An int operand (arithmetic, ordering): an ``optional[int]`` is not one."""
    return isinstance(t, (IntType, AnyType))


def is_bool(t: Type) -> bool:
    return isinstance(strip_optional(t), (BoolType, AnyType))


def is_set(t: Type) -> bool:
    return isinstance(strip_optional(t), (SetType, AnyType))


def is_map(t: Type) -> bool:
    return isinstance(strip_optional(t), (MapType, AnyType))


def is_seq(t: Type) -> bool:
    return isinstance(strip_optional(t), (SeqType, AnyType))


def is_finite_enumerable(t: Type) -> bool:
    """Types whose values can be enumerated for TypeOK / nondeterminism."""
    return isinstance(t, (BoolType, EnumType, SortType, LabelType))


def describe(t: Type) -> str:
    return f"'{t}'"


__all__ = [
    "ANY", "BOOL", "INT", "join", "assignable", "strip_optional", "is_int", "is_bool",
    "is_set", "is_map", "is_seq", "describe", "StrType",
]
