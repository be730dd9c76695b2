"""Run-time values of spec expressions, shared by every engine and report.

Both engines (embedded and TLC) report states as these Python values, so that
states can be compared, shown in the spec's own syntax and written as ITF
JSON (the trace format of Apalache and Quint):

=================  ==========================  ============================
spec type          Python value                ITF JSON
=================  ==========================  ============================
bool, int, str     bool, int, str              true, 3 (or {"#bigint"}), "s"
sort value         ModelValue("Vcpu", "v1")    "Vcpu.v1" (with type: sort)
enum value         EnumValue("Phase", "idle")  "idle"
label (pc)         str                         "W2"
none               NONE                        {"tag": "None", "value": {"#tup": []}}
set[T]             frozenset                   {"#set": [...]}
map[K, V]          FMap                        {"#map": [[k, v], ...]}
seq[T]             tuple                       [...]
tuple[...]         tuple                       {"#tup": [...]}
record(...)        Record                      {"f": v, ...}
=================  ==========================  ============================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .ir import nodes as ir


class _Interned:
    """A value named by two strings, interned: constructing it again with
    the same strings returns the same object.  Equal values are then
    identical, and the identity shortcut of dict and tuple comparisons
    applies to values decoded afresh from a trace file as much as to the
    model's own (trace validation of logged traces compares every observed
    value with the model's)."""

    __slots__ = ()
    _fields: tuple[str, str]
    _tag: str
    _interned: dict

    def __new__(cls, a: str, b: str):
        v = cls._interned.get((a, b))
        if v is None:
            v = object.__new__(cls)
            setattr(v, cls._fields[0], a)
            setattr(v, cls._fields[1], b)
            v._hash = hash((cls._tag, a, b))
            cls._interned[(a, b)] = v
        return v


class ModelValue(_Interned):
    """An uninterpreted value of a sort (a TLA+ model value); interned."""

    __slots__ = ("sort", "name", "_hash")
    _fields, _tag, _interned = ("sort", "name"), "mv", {}

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, ModelValue) and other.sort == self.sort
                                 and other.name == self.name)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"{self.sort}.{self.name}"

    def __reduce__(self):
        return (ModelValue, (self.sort, self.name))


class EnumValue(_Interned):
    """A value of an enum; interned."""

    __slots__ = ("enum", "name", "_hash")
    _fields, _tag, _interned = ("enum", "name"), "ev", {}

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, EnumValue) and other.enum == self.enum
                                 and other.name == self.name)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"{self.enum}.{self.name}"

    def __reduce__(self):
        return (EnumValue, (self.enum, self.name))


class _NoneValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "none"

    def __reduce__(self):
        return (_none, ())


def _none() -> _NoneValue:
    return NONE


NONE = _NoneValue.__new__(_NoneValue)


class FMap(Mapping):
    """An immutable, hashable map (a total function on its keys)."""

    __slots__ = ("_d", "_hash")

    def __init__(self, items: Iterable[tuple[Any, Any]] | Mapping = ()):
        self._d = dict(items.items() if isinstance(items, Mapping) else items)
        self._hash = None

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self) -> Iterator:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._d.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FMap):
            return self._d == other._d
        return NotImplemented

    def set(self, k, v) -> FMap:
        d = dict(self._d)
        d[k] = v
        return FMap(d)

    def merge(self, other: Mapping) -> FMap:
        d = dict(self._d)
        d.update(other)
        return FMap(d)

    def __repr__(self) -> str:
        return "FMap(" + repr(self._d) + ")"

    def __reduce__(self):
        return (FMap, (tuple(self._d.items()),))


class Record(FMap):
    """An immutable record; fields are kept sorted by name."""

    __slots__ = ()

    def __init__(self, items: Iterable[tuple[str, Any]] | Mapping = ()):
        pairs = items.items() if isinstance(items, Mapping) else items
        super().__init__(sorted(pairs, key=lambda kv: kv[0]))

    def __getattr__(self, name: str):
        try:
            return self._d[name]
        except KeyError:
            raise AttributeError(name) from None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return self._d == other._d
        return NotImplemented

    # FMap's own function, not a call of it: one Python frame less per hash
    # (records are hashed millions of times in message sets)
    __hash__ = FMap.__hash__

    def __repr__(self) -> str:
        return "Record(" + repr(self._d) + ")"

    def __reduce__(self):
        return (Record, (tuple(self._d.items()),))


# --------------------------------------------------------------------------
# Canonical order: used by `choose`, by sorted display and by symmetry.
# --------------------------------------------------------------------------

_RANK = {bool: 0, int: 1, str: 2}


def sort_key(v: Any):
    """A total order on values: numbers ascending, strings lexicographic,
    model values by (sort, name), collections element-wise."""
    if v is NONE:
        return (-1,)
    t = type(v)
    if t is bool:
        return (0, v)
    if t is int:
        return (1, v)
    if t is str:
        return (2, v)
    if t is ModelValue:
        return (3, v.sort, v.name)
    if t is EnumValue:
        return (4, v.enum, v.name)
    if t is frozenset:
        return (5, len(v), tuple(sorted([sort_key(x) for x in v])))
    if t is tuple:
        return (6, len(v), tuple([sort_key(x) for x in v]))
    if t is Record:
        return (8, tuple([(k, sort_key(x)) for k, x in v._d.items()]))
    if isinstance(v, FMap):
        return (7, tuple(sorted([(sort_key(k), sort_key(x)) for k, x in v._d.items()])))
    raise TypeError(f"not a spec value: {v!r}")


def sorted_values(vs: Iterable[Any]) -> list:
    return sorted(vs, key=sort_key)


# --------------------------------------------------------------------------
# Display in the spec's own syntax
# --------------------------------------------------------------------------


def format_value(v: Any) -> str:
    if v is NONE:
        return "none"
    t = type(v)
    if t is bool:
        return "True" if v else "False"
    if t is int:
        return str(v)
    if t is str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if t is ModelValue or t is EnumValue:
        return repr(v)
    if t is frozenset:
        if not v:
            return "set()"
        return "{" + ", ".join(format_value(x) for x in sorted_values(v)) + "}"
    if t is tuple:
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if t is Record:
        return "record(" + ", ".join(f"{k}={format_value(x)}" for k, x in v.items()) + ")"
    if isinstance(v, FMap):
        if not v:
            return "{}"
        keys = sorted_values(v.keys())
        return "{" + ", ".join(f"{format_value(k)}: {format_value(v[k])}" for k in keys) + "}"
    return repr(v)


def format_typed(v: Any, ty: ir.Type | None) -> str:
    """Like :func:`format_value`, but tuples typed as ``tuple[...]`` print
    with parentheses and labels print as strings."""
    if isinstance(ty, ir.TupleType) and isinstance(v, tuple):
        inner = ", ".join(format_typed(x, t) for x, t in zip(v, ty.elems))
        return "(" + inner + ("," if len(v) == 1 else "") + ")"
    if isinstance(ty, ir.OptionalType):
        return format_typed(v, ty.inner) if v is not NONE else "none"
    if isinstance(ty, ir.SetType) and isinstance(v, frozenset):
        if not v:
            return "set()"
        return "{" + ", ".join(format_typed(x, ty.elem) for x in sorted_values(v)) + "}"
    if isinstance(ty, ir.SeqType) and isinstance(v, tuple):
        return "[" + ", ".join(format_typed(x, ty.elem) for x in v) + "]"
    if isinstance(ty, ir.MapType) and isinstance(v, FMap) and not isinstance(v, Record):
        if not v:
            return "{}"
        return "{" + ", ".join(f"{format_typed(k, ty.key)}: {format_typed(v[k], ty.value)}"
                               for k in sorted_values(v.keys())) + "}"
    if isinstance(ty, ir.VariantType) and isinstance(v, Record) and ty.case(v._d.get("tag")) is not None:
        ft = dict(ty.case(v._d["tag"]))
        args = ", ".join(f"{k}={format_typed(x, ft.get(k))}" for k, x in v.items() if k != "tag")
        return f"{ty.name}.{v._d['tag']}" + (f"({args})" if ft else "")
    if isinstance(ty, ir.RecordType) and isinstance(v, Record):
        ft = dict(ty.fields)
        return "record(" + ", ".join(f"{k}={format_typed(x, ft.get(k))}" for k, x in v.items()) + ")"
    return format_value(v)


# --------------------------------------------------------------------------
# ITF JSON (https://apalache-mc.org/docs/adr/015adr-trace.html)
# --------------------------------------------------------------------------

_BIG = 2**53
#: none, encoded as Quint encodes an empty option (a variant); ``{"#none": null}``
#: is accepted when decoding.
ITF_NONE = {"tag": "None", "value": {"#tup": []}}


def _is_none(j: Any) -> bool:
    return isinstance(j, dict) and ("#none" in j or (j.get("tag") == "None" and "value" in j and len(j) == 2))


def to_itf(v: Any, ty: ir.Type | None = None) -> Any:
    if v is NONE:
        return dict(ITF_NONE)
    t = type(v)
    if t is bool or t is str:
        return v
    if t is int:
        return v if -_BIG < v < _BIG else {"#bigint": str(v)}
    if t is ModelValue:
        return f"{v.sort}.{v.name}"
    if t is EnumValue:
        return v.name
    if t is frozenset:
        et = ty.elem if isinstance(ty, ir.SetType) else None
        return {"#set": [to_itf(x, et) for x in sorted_values(v)]}
    if t is tuple:
        if isinstance(ty, ir.TupleType):
            return {"#tup": [to_itf(x, s) for x, s in zip(v, ty.elems)]}
        et = ty.elem if isinstance(ty, ir.SeqType) else None
        return [to_itf(x, et) for x in v]
    if t is Record:
        ty = ir.value_type(ty, v)
        ft = dict(ty.fields) if isinstance(ty, ir.RecordType) else {}
        return {k: to_itf(x, ft.get(k)) for k, x in v.items()}
    if isinstance(v, FMap):
        kt = ty.key if isinstance(ty, ir.MapType) else None
        vt = ty.value if isinstance(ty, ir.MapType) else None
        return {"#map": [[to_itf(k, kt), to_itf(v[k], vt)] for k in sorted_values(v.keys())]}
    raise TypeError(f"not a spec value: {v!r}")


def from_itf(j: Any, ty: ir.Type) -> Any:
    """Decode ITF JSON into a value of type ``ty``."""
    return itf_decoder(ty)(j)


#: decoders by type: a trace file decodes the same few types many times
_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def itf_decoder(ty: ir.Type) -> Callable[[Any], Any]:
    """A function decoding ITF JSON into values of type ``ty``, built once
    per type: the type is dispatched on here, not for every value (logged
    traces are decoded event by event).  ``none`` is accepted for any type;
    malformed JSON raises TypeError, KeyError or ValueError."""
    dec = _DECODERS.get(ty)
    if dec is None:
        dec = _DECODERS[ty] = _make_decoder(ty)
    return dec


def json_text(j: Any) -> str:
    """A JSON value as it was written, shortened, for messages."""
    import json

    text = json.dumps(j)
    return text if len(text) <= 40 else text[:37] + "..."


def _string(j: Any) -> str:
    if type(j) is not str:
        raise TypeError(f"expected a string, got {json_text(j)}")
    return j


def _make_decoder(ty: ir.Type) -> Callable[[Any], Any]:
    def none_or(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def dec(j):
            if type(j) is dict and _is_none(j):
                return NONE
            return f(j)
        return dec

    if isinstance(ty, ir.OptionalType):
        inner = itf_decoder(ty.inner)

        def optional(j):
            if type(j) is dict and j.get("tag") == "Some" and len(j) == 2:
                j = j["value"]
            return inner(j)
        return none_or(optional)
    # JSON types are checked, not coerced: ``true`` is no int and ``1`` no
    # boolean (a logger writing the wrong type has a bug worth reporting)
    if isinstance(ty, ir.BoolType):
        def boolean(j):
            if type(j) is not bool:
                raise TypeError(f"expected a boolean, got {json_text(j)}")
            return j
        return none_or(boolean)
    if isinstance(ty, ir.IntType):
        def integer(j):
            if type(j) is int:
                return j
            if type(j) is dict and type(j.get("#bigint")) is str:
                return int(j["#bigint"])
            raise TypeError(f"expected an integer, got {json_text(j)}")
        return none_or(integer)
    if isinstance(ty, (ir.StrType, ir.LabelType)):
        return none_or(_string)
    if isinstance(ty, ir.SortType):
        sort_name = ty.name

        def model_value(j):
            text = _string(j)
            sort, _, name = text.rpartition(".")
            return ModelValue(sort_name, name if sort == sort_name else text)
        return none_or(model_value)
    if isinstance(ty, ir.EnumType):
        enum_name = ty.name
        return none_or(lambda j: EnumValue(enum_name, _string(j)))
    if isinstance(ty, ir.SetType):
        elem = itf_decoder(ty.elem)
        return none_or(lambda j: frozenset(map(elem, j["#set"])))
    if isinstance(ty, ir.MapType):
        key, value = itf_decoder(ty.key), itf_decoder(ty.value)
        return none_or(lambda j: FMap([(key(k), value(x)) for k, x in j["#map"]]))
    if isinstance(ty, ir.SeqType):
        elem = itf_decoder(ty.elem)
        return none_or(lambda j: tuple(map(elem, j)))
    if isinstance(ty, ir.TupleType):
        elems = [itf_decoder(t) for t in ty.elems]

        def tup(j):
            items = j["#tup"] if isinstance(j, dict) else j
            return tuple(d(x) for x, d in zip(items, elems))
        return none_or(tup)
    if isinstance(ty, ir.RecordType):
        fields = [(k, itf_decoder(t)) for k, t in ty.fields]
        return none_or(lambda j: Record([(k, d(j[k])) for k, d in fields]))
    if isinstance(ty, ir.VariantType):
        cases = {tag: itf_decoder(ty.record_type(tag)) for tag, _ in ty.cases}
        return none_or(lambda j: cases[j["tag"]](j))

    def unknown(j):
        raise TypeError(f"cannot decode {j!r} as {ty}")
    return unknown
