"""TLC's values -> spec values.

TLC shows values in two forms: TLA+ text (its stdout traces, and the keys
of functions in ``-dumpTrace json``) and JSON (``-dumpTrace json``: sets and
sequences as arrays, records and functions as objects keyed by the TLA+ text
of the key, model values and strings both as JSON strings).  Both are first
read into a neutral form and then decoded against the spec type of the
variable, which resolves what the forms leave ambiguous (a function with
domain 1..n looks like a sequence; a function with string keys like a
record; an empty function like an empty sequence).

Neutral form: int, bool, str (a string, or in JSON possibly a model value),
``{"#mv": name}`` (a model value, TLA+ text only), list (set, sequence or
tuple), dict (record or function keyed by TLA+ text), ``{"#fun": [[k, v], ...]}``
(a function from TLA+ text).
"""

from __future__ import annotations

import re
from typing import Any

from ... import values as V
from ...ir import nodes as ir
from ...tla.render import NONE_NAME
from ...tla.sourcemap import NONE_MV


class TlaValueError(ValueError):
    pass


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<int>-?\d+)
    | (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<op><<|>>|\|->|:>|@@|[{}\[\](),])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.X | re.S)


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise TlaValueError(f"cannot read TLA+ value at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _unquote(s: str) -> str:
    body = s[1:-1]
    out, i = [], 0
    esc = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", '"': '"', "\\": "\\"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(esc.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_tla(text: str) -> Any:
    """Read one value printed by TLC into the neutral form."""
    toks = _tokens(text)
    pos = 0

    def peek(k=0):
        return toks[pos + k] if pos + k < len(toks) else ("eof", "")

    def take(value=None):
        nonlocal pos
        t = peek()
        if value is not None and t[1] != value:
            raise TlaValueError(f"expected {value!r}, found {t[1]!r} in {text[:80]!r}")
        pos += 1
        return t

    def items(close: str) -> list:
        out = []
        if peek()[1] == close:
            take(close)
            return out
        while True:
            out.append(value())
            t = take()
            if t[1] == close:
                return out
            if t[1] != ",":
                raise TlaValueError(f"expected ',' or {close!r}, found {t[1]!r}")

    def value():
        kind, tok = take()
        if kind == "int":
            return int(tok)
        if kind == "str":
            return _unquote(tok)
        if kind == "name":
            if tok == "TRUE":
                return True
            if tok == "FALSE":
                return False
            return {"#mv": tok}
        if tok == "<<":
            return items(">>")
        if tok == "{":
            return items("}")
        if tok == "[":
            rec = {}
            if peek()[1] == "]":
                take("]")
                return rec
            while True:
                k = take()[1]
                take("|->")
                rec[k] = value()
                t = take()
                if t[1] == "]":
                    return rec
                if t[1] != ",":
                    raise TlaValueError(f"expected ',' or ']' in a record, found {t[1]!r}")
        if tok == "(":
            pairs = []
            while True:
                k = value()
                take(":>")
                pairs.append([k, value()])
                t = take()
                if t[1] == ")":
                    return {"#fun": pairs}
                if t[1] != "@@":
                    raise TlaValueError(f"expected '@@' or ')' in a function, found {t[1]!r}")
        raise TlaValueError(f"unexpected {tok!r} in TLA+ value {text[:80]!r}")

    v = value()
    if pos != len(toks):
        raise TlaValueError(f"trailing text after TLA+ value: {text[:80]!r}")
    return v


def parse_state(text: str) -> dict[str, Any]:
    """A state as TLC prints it (``/\\ x = v`` lines, or ``x = v`` for one
    variable) -> {TLA+ variable: neutral value}."""
    lines = text.strip("\n").split("\n")
    out: dict[str, Any] = {}
    cur_name, cur = None, []
    head = re.compile(r"^(?:/\\ )?([A-Za-z_][A-Za-z0-9_]*) = (.*)$")
    for ln in lines:
        m = head.match(ln)
        if m and (ln.startswith("/\\ ") or not cur_name):
            if cur_name:
                out[cur_name] = parse_tla(" ".join(cur))
            cur_name, cur = m.group(1), [m.group(2)]
        elif cur_name:
            cur.append(ln)
    if cur_name:
        out[cur_name] = parse_tla(" ".join(cur))
    return out


# --------------------------------------------------------------------------
# Typed decoding
# --------------------------------------------------------------------------


def _mv(j: Any) -> str | None:
    if isinstance(j, dict) and set(j) == {"#mv"}:
        return j["#mv"]
    return None


def _seq_items(j: Any) -> list:
    if isinstance(j, list):
        return j
    if isinstance(j, dict) and "#fun" in j:
        pairs = sorted(j["#fun"], key=lambda kv: kv[0])
        return [v for _, v in pairs]
    if isinstance(j, dict) and not j:
        return []
    raise TlaValueError(f"expected a sequence, got {j!r}")


def _pairs(j: Any, key_type: ir.Type) -> list[tuple[Any, Any]]:
    """The (key, value) pairs of a function in any of TLC's forms, keys decoded."""
    if isinstance(j, list):  # domain 1..n, printed as a sequence
        return [(i + 1, v) for i, v in enumerate(j)]
    if isinstance(j, dict) and "#fun" in j:
        return [(k, v) for k, v in j["#fun"]]
    if isinstance(j, dict):
        out = []
        for k, v in j.items():
            if isinstance(strip(key_type), (ir.StrType, ir.EnumType, ir.LabelType)):
                out.append((k, v))  # record-like: the raw field name
            else:
                out.append((parse_tla(k), v))
        return out
    raise TlaValueError(f"expected a function, got {j!r}")


def strip(t: ir.Type) -> ir.Type:
    return t.inner if isinstance(t, ir.OptionalType) else t


def decode(j: Any, ty: ir.Type, model_values: dict[str, tuple[str, str]] | None = None) -> Any:
    """A neutral-form value of spec type ``ty`` -> the spec value (pyspec.values)."""
    mvs = model_values or {}
    if isinstance(ty, (ir.OptionalType, ir.NoneType)):
        name = _mv(j) or (j if isinstance(j, str) else None)
        if name == NONE_NAME or (name is not None and mvs.get(name) == NONE_MV):
            return V.NONE
        if isinstance(ty, ir.NoneType):
            raise TlaValueError(f"expected none, got {j!r}")
        return decode(j, ty.inner, mvs)
    if isinstance(ty, ir.BoolType):
        if not isinstance(j, bool):
            raise TlaValueError(f"expected a bool, got {j!r}")
        return j
    if isinstance(ty, ir.IntType):
        if isinstance(j, bool) or not isinstance(j, int):
            raise TlaValueError(f"expected an int, got {j!r}")
        return j
    if isinstance(ty, (ir.StrType, ir.LabelType)):
        if not isinstance(j, str):
            raise TlaValueError(f"expected a string, got {j!r}")
        return j
    if isinstance(ty, ir.EnumType):
        return V.EnumValue(ty.name, str(j))
    if isinstance(ty, ir.SortType):
        name = _mv(j) or (j if isinstance(j, str) else None)
        if name is None:
            raise TlaValueError(f"expected a model value of sort {ty.name}, got {j!r}")
        if name in mvs:
            return V.ModelValue(*mvs[name])
        sort, sep, value = name.partition("__")
        return V.ModelValue(ty.name, value if sep and sort == ty.name else name)
    if isinstance(ty, ir.SetType):
        if not isinstance(j, list):
            raise TlaValueError(f"expected a set, got {j!r}")
        return frozenset(decode(x, ty.elem, mvs) for x in j)
    if isinstance(ty, ir.SeqType):
        return tuple(decode(x, ty.elem, mvs) for x in _seq_items(j))
    if isinstance(ty, ir.TupleType):
        items = _seq_items(j)
        return tuple(decode(x, t, mvs) for x, t in zip(items, ty.elems))
    if isinstance(ty, ir.VariantType):
        if not isinstance(j, dict) or ir.value_type(ty, j) is ty:
            raise TlaValueError(f"expected a record of a case of {ty.name}, got {j!r}")
        ty = ir.value_type(ty, j)
    if isinstance(ty, ir.RecordType):
        if not isinstance(j, dict):
            raise TlaValueError(f"expected a record, got {j!r}")
        return V.Record((n, decode(j[n], t, mvs)) for n, t in ty.fields)
    if isinstance(ty, ir.MapType):
        return V.FMap((decode(k, ty.key, mvs), decode(v, ty.value, mvs)) for k, v in _pairs(j, ty.key))
    if isinstance(ty, ir.AnyType):
        return _untyped(j)
    raise TlaValueError(f"cannot decode {j!r} as {ty}")


def _untyped(j: Any) -> Any:
    if isinstance(j, list):
        return tuple(_untyped(x) for x in j)
    if isinstance(j, dict):
        if "#mv" in j:
            return j["#mv"]
        if "#fun" in j:
            return V.FMap((_untyped(k), _untyped(v)) for k, v in j["#fun"])
        return V.Record((k, _untyped(v)) for k, v in j.items())
    return j
