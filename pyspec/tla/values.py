"""Spec values -> TLA+ text (the inverse of :mod:`pyspec.engines.tlc.tlavalues`).

Used where a run-time value becomes part of a generated module, such as the
logged values of a trace in a trace-validation module.  Rendering follows
the export's conventions (docs/tla.md): model values are the constants
``Sort__name``, enum values strings, ``none`` the constant ``NoneValue``,
maps ``(k :> v @@ ...)``, sequences and tuples ``<<...>>``.  Elements of
sets and keys of maps are written in the canonical value order
(:func:`pyspec.values.sort_key`), so equal values give equal text.
"""

from __future__ import annotations

from typing import Any

from .. import names as naming
from ..ir import nodes as ir
from ..values import NONE, EnumValue, FMap, ModelValue, Record, sort_key
from .render import IDENT, NONE_NAME, ExportError, mv_name, tla_string


def tla_value(v: Any, ty: ir.Type | None, model_values: dict[str, tuple[str, str]] | None = None,
              none: str = NONE_NAME) -> str:
    """The TLA+ text of spec value ``v`` of type ``ty``.  Every model value
    written is recorded in ``model_values`` (TLA+ name -> (sort, name)), so
    that the caller can declare those its modules do not.  ``none``: the
    constant standing for none (the renderer's ``none``: a spec that
    declares ``NoneValue`` itself has it renamed)."""
    mvs = model_values if model_values is not None else {}
    return _value(v, ty, mvs, none)


def _value(v: Any, ty: ir.Type | None, mvs: dict, none: str) -> str:
    if isinstance(ty, ir.OptionalType):
        return none if v is NONE else _value(v, ty.inner, mvs, none)
    if v is NONE:
        return none
    if isinstance(ty, ir.AnyType) or ty is None:
        return _untyped(v, mvs, none)
    if isinstance(ty, ir.BoolType):
        return "TRUE" if v else "FALSE"
    if isinstance(ty, ir.IntType):
        return _int(v)
    if isinstance(ty, (ir.StrType, ir.LabelType)):
        return tla_string(v)
    if isinstance(ty, ir.EnumType):
        return tla_string(v.name if isinstance(v, EnumValue) else str(v))
    if isinstance(ty, ir.SortType):
        return _model_value(v, mvs)
    if isinstance(ty, ir.SetType):
        return "{" + ", ".join(_value(x, ty.elem, mvs, none) for x in sorted(v, key=sort_key)) + "}"
    if isinstance(ty, ir.SeqType):
        return "<<" + ", ".join(_value(x, ty.elem, mvs, none) for x in v) + ">>"
    if isinstance(ty, ir.TupleType):
        return "<<" + ", ".join(_value(x, t, mvs, none) for x, t in zip(v, ty.elems)) + ">>"
    if isinstance(ty, ir.VariantType):
        ty = ir.value_type(ty, v)
    if isinstance(ty, ir.RecordType):
        return _record([(n, v[n], t) for n, t in ty.fields], mvs, none)
    if isinstance(ty, ir.MapType):
        return _map([(k, x) for k, x in v.items()], ty.key, ty.value, mvs, none)
    raise ExportError(f"cannot write a value of type {ty} in TLA+")


def _int(v: int) -> str:
    # values only appear as elements, fields, keys and map values, where a
    # negative literal needs no parentheses (prefix minus binds tighter than
    # :> and @@); TLC prints them the same way
    return str(v)


def _model_value(v: Any, mvs: dict) -> str:
    if not isinstance(v, ModelValue):
        raise ExportError(f"expected a model value, got {v!r}")
    name = mv_name(v.sort, v.name)
    if not IDENT.match(name):
        raise ExportError(f"model value {v.sort}.{v.name}: '{name}' is not a TLA+ identifier")
    mvs.setdefault(name, (v.sort, v.name))
    return name


def _record(fields: list[tuple[str, Any, ir.Type | None]], mvs: dict, none: str) -> str:
    for n, _, _ in fields:
        if not IDENT.match(n) or n in naming.TLA_RESERVED:
            raise ExportError(f"record field '{n}' is not a TLA+ identifier")
    if not fields:
        return "<<>>"
    return "[" + ", ".join(f"{n} |-> {_value(x, t, mvs, none)}" for n, x, t in fields) + "]"


def _map(items: list[tuple[Any, Any]], kt: ir.Type | None, vt: ir.Type | None, mvs: dict, none: str) -> str:
    if not items:
        return "<<>>"  # the empty function, as the export writes an empty map literal
    items = sorted(items, key=lambda kv: sort_key(kv[0]))
    return "(" + " @@ ".join(f"{_value(k, kt, mvs, none)} :> {_value(x, vt, mvs, none)}" for k, x in items) + ")"


def _untyped(v: Any, mvs: dict, none: str) -> str:
    """A value whose static type is unknown: its Python type decides."""
    if v is NONE:
        return none
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return _int(v)
    if isinstance(v, str):
        return tla_string(v)
    if isinstance(v, ModelValue):
        return _model_value(v, mvs)
    if isinstance(v, EnumValue):
        return tla_string(v.name)
    if isinstance(v, frozenset):
        return "{" + ", ".join(_untyped(x, mvs, none) for x in sorted(v, key=sort_key)) + "}"
    if isinstance(v, tuple):
        return "<<" + ", ".join(_untyped(x, mvs, none) for x in v) + ">>"
    if isinstance(v, Record):
        return _record([(n, x, None) for n, x in v.items()], mvs, none)
    if isinstance(v, FMap):
        return _map(list(v.items()), None, None, mvs, none)
    raise ExportError(f"cannot write {v!r} in TLA+")


__all__ = ["tla_value"]
