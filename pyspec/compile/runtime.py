"""What generated model code calls: value operations with the spec's semantics.

The code generator (:mod:`pyspec.compile.codegen`) inlines the cheap, total
operations (arithmetic, comparisons, set algebra on frozensets) and calls the
helpers below for everything that can fail (a map applied outside its keys,
a sequence index out of range, ``min`` of an empty set, ...) or that needs
more than one Python expression.  Failing helpers raise :class:`EvalError`
carrying the spec position, so that a run ends with a message naming it.

Values are those of :mod:`pyspec.values`: frozenset, :class:`FMap`,
:class:`Record`, tuples, :class:`ModelValue`, :class:`EnumValue`, ``NONE``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations, product
from typing import Any

from ..values import NONE, EnumValue, FMap, ModelValue, Record, sort_key


class EvalError(Exception):
    """An evaluation error of the spec (not a bug of the checker)."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


class _Escaped:
    """Decoded slot marker: the value lives in the state's escape tail."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ESC"


ESC = _Escaped()
EMPTY = frozenset()
_new_fmap = FMap.__new__
_new_record = Record.__new__


#: Entries per memoized step (a cache that is full is only read).
MEMO_LIMIT = 1 << 16


def memo_full(fn, raw, cache: dict) -> None:
    """A memoized predicate whose cache is full: from now on ``fn`` runs the
    plain code (the inputs vary too much for a cache to pay)."""
    fn.__code__ = raw.__code__
    cache.clear()


def memo_fill(cache: dict, key: int, s: int, fn, wmask: int, bits: int) -> list:
    """Run a memoized step on ``s`` and cache its successors' written fields
    under ``key`` (unless one has an escape tail, or the cache is full)."""
    out: list = []
    fn(s, out.append)
    if len(cache) < MEMO_LIMIT:
        vals = []
        for t in out:
            if t >> bits:
                return out
            vals.append(t & wmask)
        cache[key] = tuple(vals)
    return out


def memo_fill_lab(cache: dict, key: int, s: int, fn, wmask: int, bits: int) -> list:
    """:func:`memo_fill` for steps that give ``(aid, successor)``."""
    out: list = []
    fn(s, out.append)
    if len(cache) < MEMO_LIMIT:
        vals = []
        for _, t in out:
            if t >> bits:
                return out
            vals.append(t & wmask)
        cache[key] = tuple(vals)
    return out


def fmap_own(d: dict) -> FMap:
    """An FMap adopting ``d`` (the caller gives up ``d``)."""
    m = _new_fmap(FMap)
    m._d = d
    m._hash = None
    return m


def rec_own(d: dict) -> Record:
    """A Record adopting ``d``, whose keys are already in sorted order."""
    r = _new_record(Record)
    r._d = d
    r._hash = None
    return r


def fmt(v: Any) -> str:
    from ..values import format_value

    try:
        return format_value(v)
    except Exception:  # pragma: no cover - defensive
        return repr(v)


# --------------------------------------------------------------------------
# Declared ranges
# --------------------------------------------------------------------------
# A range descriptor says where a type holds ints with declared bounds:
# ("int", lo, hi), ("opt", d), ("set", d), ("seq", d), ("map", dk, dv)
# (dk or dv may be None), ("tup", (d, ...)), ("rec", ((name, d), ...)).


def outside_range(v: Any, d: tuple) -> Any:
    """The first int of ``v`` outside its declared range, or NOCHOICE."""
    tag = d[0]
    if tag == "int":
        return NOCHOICE if d[1] <= v <= d[2] else v
    if tag == "opt":
        return NOCHOICE if v is NONE else outside_range(v, d[1])
    if tag in ("set", "seq"):
        parts = ((x, d[1]) for x in v)
    elif tag == "map":
        parts = ((part, dd) for k, x in v._d.items() for part, dd in ((k, d[1]), (x, d[2])))
    elif tag == "tup":
        parts = zip(v, d[1])
    else:
        parts = ((v._d[n], dd) for n, dd in d[1])
    for x, dd in parts:
        if dd is not None:
            r = outside_range(x, dd)
            if r is not NOCHOICE:
                return r
    return NOCHOICE


def _in_range_fn(d: tuple) -> Callable[[Any], bool]:
    """A predicate: every int of a value is inside the ranges ``d`` says
    (the fast test; :func:`outside_range` then finds the culprit)."""
    tag = d[0]
    if tag == "int":
        lo, hi = d[1], d[2]
        return lambda v: lo <= v <= hi
    if tag == "opt":
        f = _in_range_fn(d[1])
        return lambda v: v is NONE or f(v)
    if tag in ("set", "seq"):
        if d[1][0] == "int":
            lo, hi = d[1][1], d[1][2]
            return lambda v: not v or (lo <= min(v) and max(v) <= hi)
        f = _in_range_fn(d[1])
        return lambda v: all(map(f, v))
    if tag == "map":
        kf = None if d[1] is None else _in_range_fn(d[1])
        vf = None if d[2] is None else _in_range_fn(d[2])
        if d[1] is not None and d[1][0] == "int":
            lo, hi = d[1][1], d[1][2]

            def kf_all(m):
                return not m or (lo <= min(m) and max(m) <= hi)
        elif kf is not None:
            def kf_all(m):
                return all(map(kf, m))
        else:
            def kf_all(m):
                return True
        if vf is None:
            return lambda v: kf_all(v._d)
        return lambda v: kf_all(v._d) and all(map(vf, v._d.values()))
    if tag == "tup":
        fs = [(i, _in_range_fn(dd)) for i, dd in enumerate(d[1]) if dd is not None]
        return lambda v: all(f(v[i]) for i, f in fs)
    fs = [(n, _in_range_fn(dd)) for n, dd in d[1] if dd is not None]
    return lambda v: all(f(v._d[n]) for n, f in fs)


_in_range_fns: dict = {}


def check_range(v: Any, d: tuple, what: str, where: str) -> Any:
    """``v`` if every int in it is inside its declared range, else an EvalError."""
    f = _in_range_fns.get(d)
    if f is None:
        f = _in_range_fns[d] = _in_range_fn(d)
    try:
        if f(v):
            return v
    except TypeError:  # not an int where one is declared: the generic walk says which
        pass
    bad = outside_range(v, d)
    if bad is not NOCHOICE:
        range_error(bad, what, where)
    return v


def assert_failed(message: str, where: str) -> None:
    raise EvalError("assertion failed" + (f": {message}" if message else ""), where)


def range_error(v: Any, what: str, where: str) -> None:
    raise EvalError(f"{what} is outside its declared type: {fmt(v)}", where)


def overlap_error(message: str, where: str) -> None:
    """Two updates of one variable in a step hit the same place."""
    raise EvalError(message, where)


# --------------------------------------------------------------------------
# Partial operations
# --------------------------------------------------------------------------


class Shown:
    """Formats the compiled model's values of one static type in spec syntax
    (model values are small ints inside generated code): the checked
    variants pass one to the helpers below, for their error messages."""

    __slots__ = ("conv", "ty")

    def __init__(self, conv, ty):
        self.conv, self.ty = conv, ty

    def __call__(self, v: Any) -> str:
        from ..values import format_typed

        try:
            return format_typed(self.conv.ext(v, self.ty), self.ty)  # variants as Msg.Ack(dst=S.a)
        except Exception:  # noqa: BLE001 - a message must not fail
            return fmt(v)

    def key(self, k: Any) -> str:
        """A key (an index) of a value of this type."""
        from ..ir import nodes as ir

        ty = self.ty.inner if isinstance(self.ty, ir.OptionalType) else self.ty
        return Shown(self.conv, ty.key)(k) if isinstance(ty, ir.MapType) else fmt(k)


def map_get(m: FMap, k: Any, where: str = "", shown: Shown | None = None) -> Any:
    try:
        return m._d[k]
    except KeyError:
        ks, ms = (shown.key(k), shown(m)) if shown else (fmt(k), fmt(m))
        raise EvalError(f"map applied outside its keys: {ks} is not a key of {ms}", where) from None


def seq_get(q: tuple, i: int, where: str = "") -> Any:
    if 0 <= i < len(q):
        return q[i]
    raise EvalError(f"sequence index {i} out of range for a sequence of length {len(q)}", where)


def index(v: Any, k: Any, where: str = "", shown: Shown | None = None) -> Any:
    """``v[k]`` when the static type does not say whether v is a map or a sequence."""
    if isinstance(v, FMap):
        return map_get(v, k, where, shown)
    return seq_get(v, k, where)


def map_put(m: FMap, k: Any, v: Any, where: str = "", shown: Shown | None = None) -> FMap:
    d = m._d
    if k not in d:
        ks, ms = (shown.key(k), shown(m)) if shown else (fmt(k), fmt(m))
        raise EvalError(f"assignment to m[{ks}]: {ks} is not a key of {ms}", where)
    d = d.copy()
    d[k] = v
    return fmap_own(d)


def seq_put(q: tuple, i: int, v: Any, where: str = "") -> tuple:
    if 0 <= i < len(q):
        return q[:i] + (v,) + q[i + 1:]
    raise EvalError(f"assignment to index {i} out of range for a sequence of length {len(q)}", where)


def put(c: Any, k: Any, v: Any, where: str = "", shown: Shown | None = None) -> Any:
    if isinstance(c, FMap):
        return map_put(c, k, v, where, shown)
    return seq_put(c, k, v, where)


def rec_put(r: Record, f: str, v: Any) -> Record:
    d = r._d.copy()
    d[f] = v
    return rec_own(d)


def rec_replace(r: Record, updates: dict) -> Record:
    d = r._d.copy()
    d.update(updates)
    return rec_own(d)


def field(r: Any, f: str, where: str = "", shown: Shown | None = None) -> Any:
    try:
        return r._d[f]
    except (AttributeError, KeyError):
        raise EvalError(f"{shown(r) if shown else fmt(r)} has no field '{f}'", where) from None


def merge(a: FMap, b: FMap) -> FMap:
    d = a._d.copy()
    d.update(b._d)
    return fmap_own(d)


def floordiv(a: int, b: int, where: str = "") -> int:
    if b <= 0:
        raise EvalError(f"'//' with right operand {b} (must be > 0)", where)
    return a // b


def mod(a: int, b: int, where: str = "") -> int:
    if b <= 0:
        raise EvalError(f"'%' with right operand {b} (must be > 0)", where)
    return a % b


def power(a: int, b: int, where: str = "") -> int:
    if b < 0:
        raise EvalError(f"'**' with negative exponent {b}", where)
    return a ** b


def shl(a: int, b: int, where: str = "") -> int:
    if b < 0:
        raise EvalError(f"'<<' by a negative amount {b}", where)
    return a << b


def shr(a: int, b: int, where: str = "") -> int:
    if b < 0:
        raise EvalError(f"'>>' by a negative amount {b}", where)
    return a >> b


def smin(s: frozenset, where: str = "") -> int:
    if not s:
        raise EvalError("min() of an empty set", where)
    return min(s)


def smax(s: frozenset, where: str = "") -> int:
    if not s:
        raise EvalError("max() of an empty set", where)
    return max(s)


def head(q: tuple, where: str = "") -> Any:
    if not q:
        raise EvalError("head() of an empty sequence", where)
    return q[0]


def tail(q: tuple, where: str = "") -> tuple:
    if not q:
        raise EvalError("tail() of an empty sequence", where)
    return q[1:]


def seq_slice(q: tuple, lo: int, hi: int, where: str = "") -> tuple:
    """``q[lo:hi]`` as Python slices it (bounds past the end are cut to
    the length; empty when lo >= hi), but a negative bound is an error
    rather than a count from the end (docs/semantics.md)."""
    if lo < 0 or hi < 0:
        raise EvalError(f"negative slice bound [{lo}:{hi}]", where)
    return q[lo:hi]


def subsets(s: frozenset) -> frozenset:
    elems = sorted_elems(s)
    return frozenset(frozenset(c) for n in range(len(elems) + 1) for c in combinations(elems, n))


def maps(keys_: frozenset, values: frozenset) -> frozenset:
    """Every map with keys ``keys_`` and values in ``values`` (TLA+'s [S -> T])."""
    ks = sorted_elems(keys_)
    vs = sorted_elems(values)
    return frozenset(FMap(zip(ks, combo)) for combo in product(vs, repeat=len(ks)))


def seqs(elems: frozenset, n: int, where: str = "") -> frozenset:
    """Every sequence over ``elems`` of length 0..n."""
    if n < 0:
        raise EvalError(f"seqs() with a negative maximum length ({n})", where)
    es = sorted_elems(elems)
    return frozenset(c for k in range(n + 1) for c in product(es, repeat=k))


def record_set(names: tuple, sets: tuple) -> frozenset:
    """Every record with field ``names[i]`` in ``sets[i]`` (TLA+'s [f: S, g: T]);
    ``names`` are sorted."""
    return frozenset(rec_own(dict(zip(names, combo))) for combo in product(*(sorted_elems(x) for x in sets)))


def product_set(*sets: frozenset) -> frozenset:
    """The tuples of one element of each set (TLA+'s S \\X T)."""
    return frozenset(product(*(sorted_elems(x) for x in sets)))


def is_record_over(r: Any, names: frozenset, field_ok) -> bool:
    """``r in records(f=S, ...)`` without building the set: a record with
    exactly these fields, ``field_ok(r)`` testing each field's value."""
    return type(r) is Record and r._d.keys() == names and field_ok(r._d)


def is_map_over(m: Any, keys_: frozenset, value_ok) -> bool:
    """``m in maps(keys_, V)`` without building the set: its keys are exactly
    ``keys_`` and ``value_ok`` holds for each value."""
    return isinstance(m, FMap) and m._d.keys() == keys_ and all(value_ok(v) for v in m._d.values())


def is_seq_over(q: Any, n: int, elem_ok) -> bool:
    """``q in seqs(S, n)`` without building the set."""
    return isinstance(q, tuple) and len(q) <= n and all(elem_ok(x) for x in q)


def unions(s: frozenset) -> frozenset:
    return frozenset().union(*s)


def keys(m: FMap) -> frozenset:
    return frozenset(m._d)


class _NoChoice:
    __slots__ = ()


NOCHOICE = _NoChoice()


def recursion_guard(call, name: str, where: str) -> Any:
    """Evaluate a call of a recursive def; a recursion too deep for Python's
    stack is an evaluation error at the call (TLA+'s RECURSIVE operators
    would not terminate either)."""
    try:
        return call()
    except RecursionError:
        raise EvalError(f"the recursive def '{name}' does not terminate (or recurses too deeply)", where) from None


def chosen(v: Any, where: str = "") -> Any:
    if v is NOCHOICE:
        raise EvalError("choose found no element satisfying its condition", where)
    return v


def no_instance(process: str, index: Any, where: str = "", shown: Shown | None = None) -> Any:
    raise EvalError(f"process '{process}' has no instance {shown(index) if shown else fmt(index)}", where)


def _is_int(v: Any) -> bool:
    return type(v) is int


class Lazy:
    """A ``let`` value computed on its first use, then kept: TLA+'s LET is
    evaluated only where it is used, so a value that would fail (``choose``
    over an empty set) fails only on a path that reads it, in both engines."""

    __slots__ = ("f", "v")

    def __init__(self, f: Callable[[], Any]):
        self.f = f

    def __call__(self) -> Any:
        f = self.f
        if f is not None:
            self.v = f()
            self.f = None
        return self.v


class BoundedMemo(dict):
    """key -> ``fill(key)``, filled on a miss and cleared when it holds
    ``limit`` entries (a search reuses recent values; old ones are rebuilt
    if they come back).  ``fill`` may raise KeyError for a key it refuses."""

    __slots__ = ("fill", "limit")

    def __init__(self, fill: Callable[[Any], Any], limit: int):
        super().__init__()
        self.fill = fill
        self.limit = limit

    def __missing__(self, k: Any) -> Any:
        v = self.fill(k)
        if len(self) >= self.limit:
            self.clear()
        self[k] = v
        return v


#: entries of the sorted-elements and sort-key memos before they are cleared
SORTED_MEMO_LIMIT = 1 << 16


class IdentityMemo(dict):
    """value -> ``fill(value)``, keyed by identity, not equality: Python's
    equality makes {0, 1} equal to {False, True} (and any value holding 1
    equal to the same one holding True), so an equality memo handed a set
    of bools the elements of an earlier set of ints (maps(S, {False, True})
    built maps of 0/1: states counted twice).  An entry holds its value, so
    the id is not reused while it is there; cleared when ``limit`` full."""

    __slots__ = ("fill", "limit")

    def __init__(self, fill: Callable[[Any], Any], limit: int):
        super().__init__()
        self.fill = fill
        self.limit = limit

    def get_for(self, x: Any) -> Any:
        hit = self.get(id(x))
        if hit is not None and hit[0] is x:
            return hit[1]
        v = self.fill(x)
        self.put(x, v)
        return v

    def put(self, x: Any, v: Any) -> None:
        """Remember ``v`` for ``x`` (known without ``fill``)."""
        if len(self) >= self.limit:
            self.clear()
        self[id(x)] = (x, v)


#: element -> its sort key (the elements of the sets a search sorts are
#: mostly the same objects: the records of a message set come from the
#: interned tables), so a record's key is built once, not once per set
_element_keys = IdentityMemo(sort_key, SORTED_MEMO_LIMIT)


#: the element types of a set of ints only (bools sort apart: not ints here)
_INTS_ONLY = {int}


def _ints_only(s) -> bool:
    """Every element an int (not a bool).  One element decides most sets
    (records: no), set(map(type, s)) the rest, in C: a generator testing each
    element was the larger part of sorting a small set of ints."""
    for x in s:
        return type(x) is int and set(map(type, s)) <= _INTS_ONLY
    return True


def _sorted_tuple(s: frozenset) -> tuple:
    return tuple(sorted(s) if _ints_only(s) else sorted(s, key=_element_keys.get_for))


#: frozenset -> its elements in canonical order (a set held in a state is
#: the same object at every decode, so its order is computed once)
_sorted_memo = IdentityMemo(_sorted_tuple, SORTED_MEMO_LIMIT)


def sorted_elems(s) -> tuple | list:
    """The elements of a set in the canonical value order (deterministic
    iteration for ``any`` and ``choose``; callers only iterate)."""
    if type(s) is frozenset:
        return _sorted_memo.get_for(s)
    try:
        if _ints_only(s):
            return sorted(s)
    except TypeError:  # pragma: no cover
        pass
    return sorted(s, key=sort_key)


def sorted_some(xs: list) -> list:
    """Distinct elements of a set (a list of those an ``any`` may choose),
    sorted as :func:`sorted_elems` orders the set: the same order, without
    sorting the whole set when few of its elements qualify."""
    if len(xs) > 1:
        xs.sort(key=None if _ints_only(xs) else _element_keys.get_for)
    return xs


def sorted_ints(s) -> list:
    return sorted(s)


# --------------------------------------------------------------------------
# Deterministic serialisation of values (escape tails, checkpoints)
# --------------------------------------------------------------------------
# A compact, canonical byte encoding: equal values give equal bytes (sets and
# maps in canonical order), so that packed states stay canonical and agree
# between worker processes.

_T_NONE, _T_FALSE, _T_TRUE, _T_INT, _T_STR, _T_MV, _T_EV, _T_SET, _T_SEQ, _T_MAP, _T_REC = range(11)


def _put_uvarint(out: bytearray, n: int) -> None:
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def _get_uvarint(buf: bytes, pos: int) -> tuple[int, int]:
    n = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


def _put_str(out: bytearray, s: str) -> None:
    b = s.encode("utf-8")
    _put_uvarint(out, len(b))
    out += b


def _get_str(buf: bytes, pos: int) -> tuple[str, int]:
    n, pos = _get_uvarint(buf, pos)
    return buf[pos:pos + n].decode("utf-8"), pos + n


def ser(v: Any, out: bytearray) -> None:
    if v is NONE:
        out.append(_T_NONE)
        return
    t = type(v)
    if t is bool:
        out.append(_T_TRUE if v else _T_FALSE)
    elif t is int:
        out.append(_T_INT)
        _put_uvarint(out, (v << 1) if v >= 0 else ((-v) << 1) - 1)
    elif t is str:
        out.append(_T_STR)
        _put_str(out, v)
    elif t is ModelValue:
        out.append(_T_MV)
        _put_str(out, v.sort)
        _put_str(out, v.name)
    elif t is EnumValue:
        out.append(_T_EV)
        _put_str(out, v.enum)
        _put_str(out, v.name)
    elif t is frozenset:
        out.append(_T_SET)
        _put_uvarint(out, len(v))
        for x in sorted_elems(v):
            ser(x, out)
    elif t is tuple:
        out.append(_T_SEQ)
        _put_uvarint(out, len(v))
        for x in v:
            ser(x, out)
    elif t is Record:
        out.append(_T_REC)
        _put_uvarint(out, len(v._d))
        for k in sorted(v._d):
            _put_str(out, k)
            ser(v._d[k], out)
    elif isinstance(v, FMap):
        out.append(_T_MAP)
        _put_uvarint(out, len(v._d))
        for k in sorted_elems(v._d.keys()):
            ser(k, out)
            ser(v._d[k], out)
    else:
        raise TypeError(f"cannot serialise {v!r}")


def deser(buf: bytes, pos: int, intern: dict | None = None) -> tuple[Any, int]:
    tag = buf[pos]
    pos += 1
    if tag == _T_NONE:
        return NONE, pos
    if tag == _T_FALSE:
        return False, pos
    if tag == _T_TRUE:
        return True, pos
    if tag == _T_INT:
        z, pos = _get_uvarint(buf, pos)
        return (z >> 1) if not z & 1 else -((z + 1) >> 1), pos
    if tag == _T_STR:
        return _get_str(buf, pos)
    if tag in (_T_MV, _T_EV):
        a, pos = _get_str(buf, pos)
        b, pos = _get_str(buf, pos)
        v = ModelValue(a, b) if tag == _T_MV else EnumValue(a, b)
        if intern is not None:
            v = intern.setdefault(v, v)
        return v, pos
    if tag in (_T_SET, _T_SEQ):
        n, pos = _get_uvarint(buf, pos)
        items = []
        for _ in range(n):
            x, pos = deser(buf, pos, intern)
            items.append(x)
        return (frozenset(items) if tag == _T_SET else tuple(items)), pos
    if tag == _T_REC:
        n, pos = _get_uvarint(buf, pos)
        d = {}
        for _ in range(n):
            k, pos = _get_str(buf, pos)
            d[k], pos = deser(buf, pos, intern)
        return rec_own(d), pos
    if tag == _T_MAP:
        n, pos = _get_uvarint(buf, pos)
        d = {}
        for _ in range(n):
            k, pos = deser(buf, pos, intern)
            d[k], pos = deser(buf, pos, intern)
        return fmap_own(d), pos
    raise ValueError(f"bad serialised value tag {tag}")


def ser_value(v: Any) -> bytes:
    out = bytearray()
    ser(v, out)
    return bytes(out)


def deser_value(b: bytes, intern: dict | None = None) -> Any:
    v, _ = deser(b, 0, intern)
    return v
