"""The packed state: one Python int per state, with a fixed bit field per slot.

A *slot* is one state variable, one program counter of one process instance,
or one local of one process instance (indexed processes get one slot per
index, so that a step of instance ``i`` reads and writes its own fields
directly).  Each slot has a :class:`Codec` derived from its declared type:

- enumerable leaves (bool, enum, sort, str, label) are numbered in the
  canonical value order;
- ints get a range ``lo..hi``: the declared range, else what a
  deterministic pre-run observed, widened (see :mod:`pyspec.compile.model`);
- sets over small domains are bit masks, maps over small key domains one
  digit per key (absent / present with a value), records and tuples the
  concatenation of their fields, sequences a length and a bounded number of
  elements.

Sets over large element domains and maps over large key domains are
*interned* (:class:`InternCodec`): the field holds a code numbered in the
order the value is first met.

Values a codec cannot represent (an int outside its range, a longer
sequence) are *escaped*: the slot's field is 0 and the value is serialised
into a tail above the fixed fields (``state >> layout.bits``).  The encoding
is canonical (equal states give equal ints) and deterministic (it depends
only on the layout), so worker processes agree on it.

Slots whose codec can escape carry one extra low bit in their field: 1 for
a value held in the field, 0 for an escaped value.
"""

from __future__ import annotations

from array import array as _array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ir import nodes as ir
from ..values import NONE, FMap, Record, sort_key
from .runtime import ESC, BoundedMemo, _get_uvarint, _put_uvarint, deser, fmap_own, rec_own, ser

#: Largest element domain of a set codec (one bit per element) and key domain
#: of a map codec (one digit per key).
SET_LIMIT = 64
KEY_LIMIT = 32
#: Default range of an int without declared bounds before the pre-run widens it.
DEFAULT_INT_SEED = (0, 7)
#: Fields this wide or narrower decode through a list built up front.
LIST_BITS = 14
#: Leaf codecs with at most this many values encode through a prefilled dict.
ENC_TABLE_LIMIT = 1 << 14
DEFAULT_SEQ_SEED = 3
#: Width of an interned value's code: 2**32 distinct values of one type are
#: more than memory holds, so the table never overflows in practice (and a
#: run that gets there stops with an error, never a wrong answer).
INTERN_BITS = 32


#: entries of the memo of a composite part's decodes (a map's values, a
#: sequence's elements, a record's fields) before it is cleared
PART_MEMO_LIMIT = 1 << 14


def part_decoder(codec: Codec) -> Callable[[int], Any]:
    """``codec.dec``, through a bounded memo when the codec is composite: the
    parts of a wide value recur from state to state (one channel of a
    network of channels, one process's record), so a decode is mostly a
    few dict lookups instead of rebuilding every nested map, sequence and
    record (an invariant reading LamportMutex's network decoded its 220 bits
    from scratch at every state)."""
    composite = (MapCodec, ProductCodec, SeqCodec, VariantCodec)
    inner = codec.inner if isinstance(codec, OptionalCodec) else codec
    if not isinstance(inner, composite) or inner.width <= 2:
        return codec.dec
    return BoundedMemo(codec.dec, PART_MEMO_LIMIT).__getitem__


class Codec:
    """Bijection between representable values of a type and ``width``-bit codes."""

    width = 0
    closed = True  # every value of the type is representable
    count: int | None = None  # number of representable values when small

    def enc(self, v: Any) -> int | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def dec(self, c: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def all_values(self) -> list:
        """Every representable value, in canonical order (only when ``count`` is small)."""
        raise NotImplementedError


class ListCodec(Codec):
    """A finite list of values (bool, enum, sort, str, label), numbered in order."""

    def __init__(self, values: list, closed: bool = True):
        self.values = list(values)
        self.index = {v: i for i, v in enumerate(self.values)}
        self.width = max(0, (len(self.values) - 1).bit_length())
        self.count = len(self.values)
        self.closed = closed

    def enc(self, v):
        return self.index.get(v)

    def dec(self, c):
        return self.values[c]

    def all_values(self):
        return list(self.values)


class IdentityCodec(Codec):
    """Sort and enum values: the compiled model already numbers them 0..n-1."""

    def __init__(self, n: int):
        self.n = n
        self.count = n
        self.width = max(0, (n - 1).bit_length())
        self.values = list(range(n))

    def enc(self, v):
        return v if type(v) is int and 0 <= v < self.n else None

    def dec(self, c):
        return c

    def all_values(self):
        return list(range(self.n))


class BoolCodec(ListCodec):
    def __init__(self):
        super().__init__([False, True])

    def enc(self, v):
        return 1 if v is True else 0 if v is False else None


class IntCodec(Codec):
    closed = False

    def __init__(self, lo: int, hi: int):
        if hi < lo:
            hi = lo
        self.lo, self.hi = lo, hi
        self.width = (hi - lo).bit_length()
        self.count = hi - lo + 1

    def enc(self, v):
        if type(v) is int and self.lo <= v <= self.hi:
            return v - self.lo
        return None

    def dec(self, c):
        return c + self.lo

    def all_values(self):
        return list(range(self.lo, self.hi + 1))


class UnitCodec(Codec):
    """A type with one representable value (``none``, an empty literal's type)."""

    def __init__(self, value: Any, closed: bool):
        self.value = value
        self.closed = closed
        self.count = 1

    def enc(self, v):
        return 0 if v == self.value and type(v) is type(self.value) else None

    def dec(self, c):
        return self.value

    def all_values(self):
        return [self.value]


class OpaqueCodec(Codec):
    """Nothing is representable: every value escapes."""

    closed = False
    count = 0

    def enc(self, v):
        return None

    def dec(self, c):  # pragma: no cover - never called: nothing encodes
        raise ValueError("opaque codec")

    def all_values(self):
        return []


class OptionalCodec(Codec):
    def __init__(self, inner: Codec):
        self.inner = inner
        self.width = inner.width + 1
        self.closed = inner.closed
        self.count = None if inner.count is None else inner.count + 1

    def enc(self, v):
        if v is NONE:
            return 0
        c = self.inner.enc(v)
        return None if c is None else (c << 1) | 1

    def dec(self, c):
        return NONE if not c & 1 else self.inner.dec(c >> 1)

    def all_values(self):
        return [NONE] + self.inner.all_values()


class SetCodec(Codec):
    """A subset of a small element domain, as a bit mask."""

    def __init__(self, elem: Codec):
        self.elems = sorted(elem.all_values(), key=sort_key)
        self.bit = {v: i for i, v in enumerate(self.elems)}
        self.width = len(self.elems)
        self.closed = elem.closed
        self.count = 2 ** len(self.elems) if len(self.elems) <= 16 else None
        self._cache: dict[int, frozenset] = {}

    def enc(self, v):
        if type(v) is not frozenset:
            return None
        c = 0
        bit = self.bit
        for x in v:
            i = bit.get(x)
            if i is None:
                return None
            c |= 1 << i
        return c

    def dec(self, c):
        v = self._cache.get(c)
        if v is None:
            v = frozenset(e for i, e in enumerate(self.elems) if c >> i & 1)
            self._cache[c] = v
        return v

    def all_values(self):
        return sorted((self.dec(c) for c in range(2 ** self.width)), key=sort_key)


class MapCodec(Codec):
    """A map over a small key domain: one digit per key (0 absent, value code << 1 | 1)."""

    def __init__(self, key: Codec, value: Codec):
        self.keys = sorted(key.all_values(), key=sort_key)
        self.pos = {k: i for i, k in enumerate(self.keys)}
        self.value = value
        self._vdec = part_decoder(value)
        self.dw = value.width + 1
        self.dmask = (1 << self.dw) - 1
        self.width = self.dw * len(self.keys)
        self.closed = key.closed and value.closed
        n = value.count
        self.count = None if n is None or (n + 1) ** len(self.keys) > 4096 else (n + 1) ** len(self.keys)

    def enc(self, v):
        if not isinstance(v, FMap) or isinstance(v, Record):
            return None
        c = 0
        pos = self.pos
        venc = self.value.enc
        dw = self.dw
        for k, x in v._d.items():
            i = pos.get(k)
            if i is None:
                return None
            xc = venc(x)
            if xc is None:
                return None
            c |= ((xc << 1) | 1) << (i * dw)
        return c

    def dec(self, c):
        d = {}
        vdec = self._vdec
        dw, dm = self.dw, self.dmask
        for i, k in enumerate(self.keys):
            digit = (c >> (i * dw)) & dm
            if digit & 1:
                d[k] = vdec(digit >> 1)
        return fmap_own(d)

    def all_values(self):
        import itertools

        opts = [None] + self.value.all_values()
        out = []
        for combo in itertools.product(opts, repeat=len(self.keys)):
            out.append(fmap_own({k: x for k, x in zip(self.keys, combo) if x is not None}))
        return sorted(out, key=sort_key)


class ProductCodec(Codec):
    """Records (by sorted field name) and tuples: the concatenation of the parts."""

    def __init__(self, parts: list[Codec], names: list[str] | None):
        self.parts = parts
        self._pdecs = [part_decoder(p) for p in parts]
        self.names = names  # None for tuples
        self.offs = []
        off = 0
        for p in parts:
            self.offs.append(off)
            off += p.width
        self.width = off
        self.closed = all(p.closed for p in parts)
        n = 1
        for p in parts:
            n = None if n is None or p.count is None else n * p.count
        self.count = n if n is not None and n <= 4096 else None

    def enc(self, v):
        if self.names is None:
            if type(v) is not tuple or len(v) != len(self.parts):
                return None
            items = v
        else:
            if type(v) is not Record or len(v._d) != len(self.names):
                return None
            d = v._d
            try:
                items = [d[n] for n in self.names]
            except KeyError:
                return None
        c = 0
        for p, off, x in zip(self.parts, self.offs, items):
            xc = p.enc(x)
            if xc is None:
                return None
            c |= xc << off
        return c

    def dec(self, c):
        items = [dec((c >> off) & ((1 << p.width) - 1)) for p, dec, off in zip(self.parts, self._pdecs, self.offs)]
        if self.names is None:
            return tuple(items)
        return rec_own(dict(zip(self.names, items)))

    def all_values(self):
        import itertools

        out = []
        for combo in itertools.product(*[p.all_values() for p in self.parts]):
            out.append(tuple(combo) if self.names is None else rec_own(dict(zip(self.names, combo))))
        return sorted(out, key=sort_key)


class VariantCodec(Codec):
    """A variant: the case's index in the low bits, then the case's fields
    (sorted by name, ``tag`` aside) as a product, as wide as the widest case."""

    def __init__(self, cases: list[tuple[str, list[str], ProductCodec]]):
        self.cases = cases
        self.index = {tag: i for i, (tag, _, _) in enumerate(cases)}
        self.tag_bits = max(1, (len(cases) - 1).bit_length())
        self.width = self.tag_bits + max((pc.width for _, _, pc in cases), default=0)
        self.closed = all(pc.closed for _, _, pc in cases)
        counts = [pc.count for _, _, pc in cases]
        self.count = sum(counts) if all(c is not None for c in counts) and sum(counts) <= 4096 else None

    def enc(self, v):
        if type(v) is not Record:
            return None
        d = v._d
        i = self.index.get(d.get("tag"))
        if i is None:
            return None
        _, names, pc = self.cases[i]
        if len(d) != len(names) + 1:
            return None
        c = 0
        try:
            for p, off, n in zip(pc.parts, pc.offs, names):
                xc = p.enc(d[n])
                if xc is None:
                    return None
                c |= xc << off
        except KeyError:
            return None
        return i | (c << self.tag_bits)

    def dec(self, c):
        tag, names, pc = self.cases[c & ((1 << self.tag_bits) - 1)]
        rest = c >> self.tag_bits
        d = {n: p.dec((rest >> off) & ((1 << p.width) - 1)) for p, off, n in zip(pc.parts, pc.offs, names)}
        d["tag"] = tag
        return rec_own(d)

    def all_values(self):
        out = []
        for tag, names, pc in self.cases:
            for r in pc.all_values():
                d = dict(r._d) if names else {}
                d["tag"] = tag
                out.append(rec_own(d))
        return sorted(out, key=sort_key)


class InternCodes(dict):
    """value -> code of an :class:`InternCodec`; a miss numbers the value."""

    __slots__ = ("codec",)

    def __missing__(self, v: Any) -> int:
        c = self.codec.add(v)
        if c is None:
            raise KeyError(v)
        return c


class InternCodec(Codec):
    """Values of a type too large for a packed field (a set of records, a
    map over a large key domain): numbered in the order they are first met
    (hash-consing), so that the field holds a fixed-width code and a state
    stays a tuple of small codes, never a serialised value.

    The numbering depends on the order of the search, so it is the same in
    every run of one process but not across processes: a checkpoint carries
    the tables (:mod:`pyspec.engines.embedded.checkpoint`), and the parallel search does not
    use interning codecs (see :mod:`pyspec.engines.embedded.parallel`).
    One table serves every slot of the same type (:class:`Domains`), so a
    value copied from one slot to another keeps its code."""

    closed = True
    count = None
    width = INTERN_BITS

    def __init__(self, kind: str, type_key: str):
        self.kind = kind  # "set" | "map"
        self.type_key = type_key
        self.values: list = []
        self.codes = InternCodes()
        self.codes.codec = self
        self.decoder: Any = self.values  # code -> value, for generated code (D)

    def size(self) -> int:
        """How many values are numbered."""
        return len(self.values)

    def _admissible(self, v: Any) -> bool:
        if self.kind == "set":
            return type(v) is frozenset
        return isinstance(v, FMap) and not isinstance(v, Record)

    def add(self, v: Any) -> int | None:
        if not self._admissible(v):
            return None
        c = len(self.values)
        if c >> INTERN_BITS:
            raise OverflowError(f"more than 2**{INTERN_BITS} distinct values of type {self.type_key}")
        self.values.append(v)
        self.codes[v] = c
        return c

    def enc(self, v):
        c = self.codes.get(v)
        if c is None:
            c = self.add(v)
        return c

    def dec(self, c):
        return self.values[c]

    def all_values(self):  # pragma: no cover - count is None: never enumerated
        return sorted((self.dec(c) for c in range(self.size())), key=sort_key)


#: entries of the bounded value caches of a compact set table
SET_CACHE_LIMIT = 1 << 12


class InternSetCodec(InternCodec):
    """Interned sets, stored compactly: every element is numbered once (one
    table of elements per set type), a set is the bytes of its sorted
    element numbers (2 per element while the table numbers fewer than
    65,536 elements, then 4), and frozensets are built on demand through
    bounded caches.  A table of frozensets would hold a Python object per
    distinct set -- about a kilobyte for ten records -- where this holds
    the bytes and a dict entry (docs/checker.md)."""

    def __init__(self, type_key: str):
        super().__init__("set", type_key)
        self.elems: list = []
        self.elem_index: dict = {}
        # id of a numbered element (the object in elems, alive as long as
        # the table: its id is never another's) -> its number.  Records are
        # hashed in Python; the messages a step sends are mostly those very
        # objects (ExpressionGen._record), found here without hashing
        self.elem_ids: dict[int, int] = {}
        self.tc = "H"  # the array typecode of the numbers in a key (_widen)
        # code -> sorted element numbers; None: numbered by the compiled
        # loop (``backing``), read from its table when first needed
        self.keys: list[bytes | None] = []
        self.key_code: dict[bytes, int] = {}
        # the compiled loop's table of these sets (pyspec.engines.compiled.
        # sets.SetTable: ``fetch(code) -> key``, ``find(key) -> code or -1``),
        # while it numbers sets: the sets it makes are not copied here (a
        # search of multi_paxos makes 155,000, 15 bytes per state), only
        # those the Python side reads or builds again
        self.backing = None
        self.codes = BoundedMemo(self._code, SET_CACHE_LIMIT)  # frozenset -> code
        self.decoder = BoundedMemo(self.build, SET_CACHE_LIMIT)  # code -> frozenset

    def size(self) -> int:
        return len(self.keys)

    def elem_number(self, x: Any) -> int:
        """The number of element ``x`` (numbered now if new): by identity
        first (elem_ids), then by value."""
        i = self.elem_ids.get(id(x))
        if i is not None:
            return i
        i = self.elem_index.get(x)
        if i is None:
            i = self.elem_index[x] = len(self.elems)
            self.elems.append(x)
            self.elem_ids[id(x)] = i
            if i == 0xFFFF and self.tc == "H":
                self._widen()
        return i

    def _widen(self) -> None:
        """Keys of 4 bytes per number, from the 65,536th element on (every
        key so far rewritten; the codes stay).  Multi_paxos's 147,253
        message sets of 18 messages on average held 5 MB less with 2."""
        keys = [None if k is None else _array("I", _array("H", k)).tobytes() for k in self.keys]
        self.keys = keys
        self.key_code = {k: c for c, k in enumerate(keys) if k is not None}
        self.tc = "I"

    def numbers(self, c: int) -> _array:
        """The sorted element numbers of the set with code ``c``."""
        nums = _array(self.tc)
        key = self.keys[c]
        if key is None:
            key = self.keys[c] = self.backing.fetch(c)
            self.key_code[key] = c
        nums.frombytes(key)
        return nums

    def materialize(self) -> None:
        """Read every set the loop numbered from its table, and leave it
        (a new search's table starts from what this side holds)."""
        if self.backing is not None:
            for c, key in enumerate(self.keys):
                if key is None:
                    key = self.keys[c] = self.backing.fetch(c)
                    self.key_code[key] = c
            self.backing = None

    def key_of(self, nums) -> bytes:
        """The key of the sorted element numbers ``nums``."""
        return _array(self.tc, nums).tobytes()

    def _key(self, v: frozenset) -> bytes:
        number = self.elem_number
        nums = [number(x) for x in v]
        nums.sort()
        return self.key_of(nums)

    def code_of_key(self, key: bytes) -> int:
        """The code of the set whose sorted element numbers are ``key``
        (numbered now if new): symmetry permutes sets as numbers, without
        building them (pyspec.engines.embedded.symmetry)."""
        c = self.key_code.get(key)
        if c is None and self.backing is not None:
            self.backing.pull()  # (every code the loop numbered is known here)
            c = self.backing.find(key)  # numbered by the loop?
            if c >= 0:
                self.keys[c] = key
                self.key_code[key] = c
                return c
            c = None
        if c is None:
            c = len(self.keys)
            if c >> INTERN_BITS:
                raise OverflowError(f"more than 2**{INTERN_BITS} distinct values of type {self.type_key}")
            self.keys.append(key)
            self.key_code[key] = c
        return c

    def code_with(self, c: int, x: Any) -> int:
        """The code of the set with code ``c`` plus the element ``x``,
        without building either set: a step that sends a message
        (``msgs | {m}``) is encoded from the old set's code, one hash of
        ``m`` and its sorted element numbers (gen_steps: the set is built
        only if the step reads it again).  Not memoized: a search meets
        each (set, message) pair about once (paxos: 3,276 repeats in
        235,410)."""
        i = self.elem_number(x)  # (first: it may widen the keys)
        nums = self.numbers(c)
        j = bisect_left(nums, i)
        if j < len(nums) and nums[j] == i:
            return c
        nums.insert(j, i)
        return self.code_of_key(nums.tobytes())

    def code_union(self, c: int, xs: Any) -> int:
        """:meth:`code_with` for the elements of the set ``xs``
        (``msgs | {a, b}``, ``msgs | {m for ...}``): the old set is not built."""
        number = self.elem_number
        new = [number(x) for x in xs]  # (first: it may widen the keys)
        nums = self.numbers(c)
        n = len(nums)
        for i in new:
            j = bisect_left(nums, i)
            if j == len(nums) or nums[j] != i:
                nums.insert(j, i)
        if len(nums) == n:
            return c
        return self.code_of_key(nums.tobytes())

    def add(self, v: Any) -> int | None:
        if type(v) is not frozenset:
            return None
        return self.code_of_key(self._key(v))

    def _code(self, v: Any) -> int:
        c = self.add(v)
        if c is None:
            raise KeyError(v)
        return c

    def build(self, c: int) -> frozenset:
        elems = self.elems
        return frozenset([elems[i] for i in self.numbers(c)])

    def enc(self, v):
        return self.codes[v] if type(v) is frozenset else None

    def dec(self, c):
        return self.decoder[c]


class SeqCodec(Codec):
    """A sequence of at most ``maxlen`` elements: length, then the elements."""

    closed = False

    def __init__(self, elem: Codec, maxlen: int):
        self.elem = elem
        self._edec = part_decoder(elem)
        self.maxlen = maxlen
        self.lw = maxlen.bit_length()
        self.ew = elem.width
        self.width = self.lw + maxlen * elem.width
        n = elem.count
        self.count = None if n is None else sum(n ** k for k in range(maxlen + 1))
        if self.count is not None and self.count > 4096:
            self.count = None

    def enc(self, v):
        if type(v) is not tuple or len(v) > self.maxlen:
            return None
        c = len(v)
        off = self.lw
        enc = self.elem.enc
        for x in v:
            xc = enc(x)
            if xc is None:
                return None
            c |= xc << off
            off += self.ew
        return c

    def dec(self, c):
        n = c & ((1 << self.lw) - 1)
        em = (1 << self.ew) - 1
        dec = self._edec
        return tuple(dec((c >> (self.lw + i * self.ew)) & em) for i in range(n))

    def all_values(self):
        import itertools

        vals = self.elem.all_values()
        out = [tuple(c) for n in range(self.maxlen + 1) for c in itertools.product(vals, repeat=n)]
        return sorted(out, key=sort_key)


# --------------------------------------------------------------------------
# Building codecs from types
# --------------------------------------------------------------------------


@dataclass
class Domains:
    """What the codec builder needs to know about the model's values."""

    sorts: dict[str, int]  # sort name -> number of model values (coded 0..n-1)
    strings: list[str]  # every string the model can produce, sorted
    int_bounds: Callable[[ir.IntType], tuple[int, int] | None]  # evaluated declared range
    int_seeds: dict = field(default_factory=dict)  # (group, path) -> (lo, hi)
    seq_seeds: dict = field(default_factory=dict)  # (group, path) -> maxlen
    interns: dict = field(default_factory=dict)  # type key -> InternCodec (one table per type)
    seeded: bool = False  # a codec's width came from a seed (an int without declared range, a sequence)

    def intern(self, kind: str, ty: ir.Type) -> InternCodec:
        key = repr(ty)
        c = self.interns.get(key)
        if c is None:
            c = self.interns[key] = InternSetCodec(key) if kind == "set" else InternCodec(kind, key)
        return c


def build_codec(ty: ir.Type, dom: Domains, group: str, path: tuple = ()) -> Codec:
    if isinstance(ty, ir.BoolType):
        return BoolCodec()
    if isinstance(ty, ir.IntType):
        # A declared range is the field, exactly: both engines refuse a
        # value outside it (docs/semantics.md), so no guess may widen it.
        lo_hi = dom.int_bounds(ty)
        if lo_hi is None:
            dom.seeded = True
            lo_hi = dom.int_seeds.get((group, path), DEFAULT_INT_SEED)
        return IntCodec(*lo_hi)
    if isinstance(ty, ir.StrType):
        return ListCodec(dom.strings or [""], closed=True)
    if isinstance(ty, ir.SortType):
        n = dom.sorts.get(ty.name, 0)
        if not n:
            return OpaqueCodec()
        return IdentityCodec(n)
    if isinstance(ty, ir.EnumType):
        return IdentityCodec(len(ty.values))
    if isinstance(ty, ir.LabelType):
        return ListCodec(list(ty.labels))
    if isinstance(ty, ir.OptionalType):
        return OptionalCodec(build_codec(ty.inner, dom, group, path + ("o",)))
    if isinstance(ty, ir.NoneType):
        return UnitCodec(NONE, closed=True)
    if isinstance(ty, ir.SetType):
        if isinstance(ty.elem, ir.AnyType):
            return UnitCodec(frozenset(), closed=False)
        seeded = dom.seeded
        elem = build_codec(ty.elem, dom, group, path + ("e",))
        if elem.count is not None and 0 < elem.count <= SET_LIMIT:
            return SetCodec(elem)
        if elem.count == 0 and elem.closed:
            return UnitCodec(frozenset(), closed=True)
        dom.seeded = seeded  # the element codec is not used: its seeds do not matter
        return dom.intern("set", ty)
    if isinstance(ty, ir.MapType):
        if isinstance(ty.key, ir.AnyType):
            return UnitCodec(FMap(), closed=False)
        seeded = dom.seeded
        key = build_codec(ty.key, dom, group, path + ("k",))
        val = build_codec(ty.value, dom, group, path + ("v",))
        if key.count is not None and 0 < key.count <= KEY_LIMIT:
            return MapCodec(key, val)
        if key.count == 0 and key.closed:
            return UnitCodec(FMap(), closed=True)
        dom.seeded = seeded  # the key and value codecs are not used
        return dom.intern("map", ty)
    if isinstance(ty, ir.RecordType):
        names = [n for n, _ in ty.fields]
        parts = [build_codec(t, dom, group, path + ("f", n)) for n, t in ty.fields]
        return ProductCodec(parts, names)
    if isinstance(ty, ir.TupleType):
        parts = [build_codec(t, dom, group, path + ("i", i)) for i, t in enumerate(ty.elems)]
        return ProductCodec(parts, None)
    if isinstance(ty, ir.VariantType):
        cases = []
        for tag, fields in ty.cases:
            names = [n for n, _ in fields]
            parts = [build_codec(t, dom, group, path + ("c", tag, n)) for n, t in fields]
            cases.append((tag, names, ProductCodec(parts, names)))
        return VariantCodec(cases)
    if isinstance(ty, ir.SeqType):
        if isinstance(ty.elem, ir.AnyType):
            return UnitCodec((), closed=False)
        elem = build_codec(ty.elem, dom, group, path + ("e",))
        dom.seeded = True
        maxlen = dom.seq_seeds.get((group, path), DEFAULT_SEQ_SEED)
        return SeqCodec(elem, maxlen)
    return OpaqueCodec()


#: (ints, seqs, what observe has seen into them): a pre-run observes the
#: same values again and again (every state of a walk holds them), so a
#: compound value already observed at a place is skipped; one pre-run at a
#: time (a new ``ints`` dict starts afresh)
_observed: list = [None, None, set()]


def observe(v: Any, ty: ir.Type, group: str, path: tuple, ints: dict, seqs: dict) -> None:
    """Record the int ranges and sequence lengths that ``v`` exhibits (pre-run)."""
    if type(v) in (frozenset, tuple, FMap, Record):
        if _observed[0] is not ints or _observed[1] is not seqs:
            _observed[:] = [ints, seqs, set()]
        seen = _observed[2]
        key = (group, path, v)
        if key in seen:
            return  # the same value at the same place: nothing new to record
        seen.add(key)
    if isinstance(ty, ir.IntType):
        if type(v) is int:
            key = (group, path)
            r = ints.get(key)
            ints[key] = (v, v) if r is None else (min(r[0], v), max(r[1], v))
    elif isinstance(ty, ir.OptionalType):
        if v is not NONE:
            observe(v, ty.inner, group, path + ("o",), ints, seqs)
    elif isinstance(ty, ir.SetType):
        for x in v:
            observe(x, ty.elem, group, path + ("e",), ints, seqs)
    elif isinstance(ty, ir.MapType):
        for k, x in v.items():
            observe(k, ty.key, group, path + ("k",), ints, seqs)
            observe(x, ty.value, group, path + ("v",), ints, seqs)
    elif isinstance(ty, ir.RecordType):
        for n, t in ty.fields:
            if n in v._d:
                observe(v._d[n], t, group, path + ("f", n), ints, seqs)
    elif isinstance(ty, ir.TupleType):
        for i, (x, t) in enumerate(zip(v, ty.elems)):
            observe(x, t, group, path + ("i", i), ints, seqs)
    elif isinstance(ty, ir.VariantType):
        tag = getattr(v, "_d", {}).get("tag")
        for n, t in ty.case(tag) or ():
            if n in v._d:
                observe(v._d[n], t, group, path + ("c", tag, n), ints, seqs)
    elif isinstance(ty, ir.SeqType):
        key = (group, path)
        seqs[key] = max(seqs.get(key, 0), len(v))
        for x in v:
            observe(x, ty.elem, group, path + ("e",), ints, seqs)


# --------------------------------------------------------------------------
# Slots and the layout
# --------------------------------------------------------------------------


#: entries of a slot's decode memo before it is cleared: a breadth-first
#: search decodes the recent values again and again, and a wide composite
#: value (a map of records) costs kilobytes, so the memo holds the recent
#: ones only (1,000,000 of them were 100-200 MB on MultiPaxos; 65,536 held
#: 9 MB of multi_paxos's nodes at the end of its search without symmetry,
#: 16,384 as fast on lamport_mutex, slush, disruptor_mpmc, v2 and multi_paxos)
DECODE_MEMO_LIMIT = 1 << 14


def _decode_memo() -> BoundedMemo:
    """A slot's field -> value memo (the slot sets ``fill`` to its decoder)."""
    return BoundedMemo(None, DECODE_MEMO_LIMIT)  # type: ignore[arg-type]


class EncodeMemo(dict):
    """value -> field (None when the value escapes), filled on demand."""

    __slots__ = ("slot",)

    def __missing__(self, v: Any):
        f = self.slot.encode_field(v)
        if len(self) < 1_000_000:
            self[v] = f
        return f


@dataclass(eq=False)
class Slot:
    index: int
    key: str  # the state entry it belongs to: "x", "proc.pc", "proc.local"
    kind: str  # "var" | "pc" | "local"
    name: str | None  # var or local name (None for pc)
    process: str | None
    inst: int | None  # position of the process instance (None: singleton / var)
    inst_value: Any  # the instance's index value
    type: ir.Type
    codec: Codec
    escapable: bool = False
    off: int = 0
    width: int = 0
    mask: int = 0
    D: BoundedMemo = field(default_factory=_decode_memo, repr=False)
    E: EncodeMemo = field(default_factory=EncodeMemo, repr=False)

    def __post_init__(self):
        self.escapable = not self.codec.closed
        self.width = self.codec.width + (1 if self.escapable else 0)
        self.mask = (1 << self.width) - 1
        self.D.fill = self.decode_field
        self.E.slot = self
        if isinstance(self.codec, InternCodec):
            # the field is the code: decode and encode are the table itself
            self.D = self.codec.decoder  # type: ignore[assignment]
            self.E = self.codec.codes  # type: ignore[assignment]

    def fast_tables(self) -> tuple[Any, Any]:
        """(decode, encode) tables for generated code: a list indexed by the
        field when the field is at most LIST_BITS wide (every field decoded
        up front; None for fields no value has), else the decode memo; a
        plain dict of every representable value when the codec's domain is
        small (a miss, KeyError, means an escaped value), else the memo."""
        if isinstance(self.codec, InternCodec):
            return self.codec.decoder, self.codec.codes
        if self.width <= LIST_BITS:
            dec = []
            for f in range(1 << self.width):
                try:
                    dec.append(self.decode_field(f))
                except Exception:  # noqa: BLE001 - a field no value encodes to
                    dec.append(None)
        else:
            dec = self.D
        enc: Any = self.E
        count = self.codec.count
        if self.enc_is_memo and count is not None and count <= ENC_TABLE_LIMIT:
            table = {}
            for v in self.codec.all_values():
                f = self.encode_field(v)
                if f is not None:
                    table[v] = f
            enc = table
        return dec, enc

    def make_encoder(self) -> None:
        """``self.enc``: value -> field (None when it escapes).  Composite
        codecs get generated straight-line code (no hashing of FMap/Record,
        whose hashes are computed in Python); leaves use the memo ``E``."""
        self.enc = self.E.__getitem__
        self.enc_is_memo = True
        composite = (MapCodec, ProductCodec, SeqCodec, VariantCodec)
        if not isinstance(self.codec, (*composite, OptionalCodec)):
            return
        if isinstance(self.codec, OptionalCodec) and not isinstance(self.codec.inner, composite):
            return
        gen = _EncoderGen()
        body = gen.code(self.codec, "x", "        ")
        res = gen.last
        ret = f"({res} << 1) | 1" if self.escapable else res
        src = (["def _enc(x):", "    try:"] + body + [f"        return {ret}",
               "    except (KeyError, TypeError, AttributeError, IndexError):", "        return _generic(x)"])
        ns = dict(gen.ns)
        ns["_generic"] = self.encode_field
        ns["_NONE"] = NONE
        exec(compile("\n".join(src) + "\n", f"<pyspec encoder {self.key}>", "exec"), ns)  # generated
        self.enc = ns["_enc"]
        self.enc_is_memo = False
        self.enc_source = "\n".join(src)

    def decode_field(self, f: int) -> Any:
        if self.escapable:
            if not f & 1:
                return ESC
            return self.codec.dec(f >> 1)
        return self.codec.dec(f)

    def encode_field(self, v: Any) -> int | None:
        c = self.codec.enc(v)
        if c is None:
            if not self.escapable:
                raise ValueError(f"value {v!r} cannot be stored in {self.key} (type {self.type})")
            return None
        return (c << 1) | 1 if self.escapable else c


class _EncoderGen:
    """Straight-line Python computing a codec's code from a value; raises
    KeyError/TypeError/AttributeError/IndexError when the value is not
    representable (the caller then falls back to the codec's own enc)."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {}
        self.n = 0
        self.last = ""

    def tmp(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def table(self, codec: Codec) -> str:
        name = f"_T{len(self.ns)}"
        self.ns[name] = {v: i for i, v in enumerate(codec.all_values())} if not isinstance(codec, SetCodec) \
            else _SetMemo(codec)
        return name

    def code(self, codec: Codec, x: str, ind: str) -> list[str]:
        out: list[str] = []
        r = self.tmp()
        if isinstance(codec, MapCodec):
            d = self.tmp()
            out.append(f"{ind}{d} = {x}._d")
            # a map may lack keys of the codec's domain (digit 0): count the
            # keys found, so that a key outside the domain is noticed
            n = self.tmp()
            out.append(f"{ind}{r} = 0")
            out.append(f"{ind}{n} = 0")
            self.ns["_MISS"] = _MISS
            for i, k in enumerate(codec.keys):
                v = self.tmp()
                out.append(f"{ind}{v} = {d}.get({self.key_src(k)}, _MISS)")
                out.append(f"{ind}if {v} is not _MISS:")
                out.extend(self.code(codec.value, v, ind + "    "))
                c = self.last
                sh = i * codec.dw
                out.append(f"{ind}    {r} |= ((({c} << 1) | 1) << {sh})" if sh else f"{ind}    {r} |= (({c} << 1) | 1)")
                out.append(f"{ind}    {n} += 1")
            out.append(f"{ind}if {n} != len({d}): raise KeyError")
        elif isinstance(codec, ProductCodec):
            parts = []
            if codec.names is not None:
                d = self.tmp()
                out.append(f"{ind}{d} = {x}._d")
                out.append(f"{ind}if len({d}) != {len(codec.names)}: raise KeyError")
                items = [f"{d}[{n!r}]" for n in codec.names]
            else:
                out.append(f"{ind}if len({x}) != {len(codec.parts)}: raise KeyError")
                items = [f"{x}[{i}]" for i in range(len(codec.parts))]
            for p, off, item in zip(codec.parts, codec.offs, items):
                v = self.tmp()
                out.append(f"{ind}{v} = {item}")
                out.extend(self.code(p, v, ind))
                parts.append(f"({self.last} << {off})" if off else self.last)
            out.append(f"{ind}{r} = {' | '.join(parts) if parts else '0'}")
        elif isinstance(codec, SeqCodec):
            # tuples hash in C but their hash is not cached: a loop over the
            # elements, each encoded inline, instead of a memo
            if codec.maxlen == 0 or codec.ew == 0:
                out.append(f"{ind}if type({x}) is not tuple or len({x}) > {codec.maxlen}: raise KeyError")
                out.append(f"{ind}{r} = len({x})")
            else:
                off, e = self.tmp(), self.tmp()
                out.append(f"{ind}if type({x}) is not tuple or len({x}) > {codec.maxlen}: raise KeyError")
                out.append(f"{ind}{r} = len({x})")
                out.append(f"{ind}{off} = {codec.lw}")
                out.append(f"{ind}for {e} in {x}:")
                out.extend(self.code(codec.elem, e, ind + "    "))
                out.append(f"{ind}    {r} |= {self.last} << {off}")
                out.append(f"{ind}    {off} += {codec.ew}")
        elif isinstance(codec, VariantCodec):
            d, i = self.tmp(), self.tmp()
            index = f"_V{len(self.ns)}"
            self.ns[index] = dict(codec.index)
            out.append(f"{ind}if type({x}) is not _Record: raise KeyError")
            out.append(f"{ind}{d} = {x}._d")
            out.append(f"{ind}{i} = {index}[{d}['tag']]")
            self.ns["_Record"] = Record
            for ci, (_tag, names, pc) in enumerate(codec.cases):
                out.append(f"{ind}{'if' if ci == 0 else 'elif'} {i} == {ci}:")
                ind2 = ind + "    "
                out.append(f"{ind2}if len({d}) != {len(names) + 1}: raise KeyError")
                parts = []
                for p, off, n in zip(pc.parts, pc.offs, names):
                    v = self.tmp()
                    out.append(f"{ind2}{v} = {d}[{n!r}]")
                    out.extend(self.code(p, v, ind2))
                    parts.append(f"({self.last} << {off})" if off else self.last)
                body = " | ".join(parts) if parts else "0"
                out.append(f"{ind2}{r} = {i} | (({body}) << {codec.tag_bits})")
        elif isinstance(codec, OptionalCodec):
            out.append(f"{ind}if {x} is _NONE:")
            out.append(f"{ind}    {r} = 0")
            out.append(f"{ind}else:")
            inner = self.code(codec.inner, x, ind + "    ")
            out.extend(inner)
            out.append(f"{ind}    {r} = ({self.last} << 1) | 1")
        elif _table_leaf(codec):
            out.append(f"{ind}{r} = {self.table(codec)}[{x}]")
        else:
            name = f"_C{len(self.ns)}"
            self.ns[name] = codec
            out.append(f"{ind}{r} = {name}.enc({x})")
            out.append(f"{ind}if {r} is None: raise KeyError")
        self.last = r
        return out

    def key_src(self, k: Any) -> str:
        """The source of the map key ``k`` (a namespace name unless a literal)."""
        if type(k) in (int, str, bool):
            return repr(k)
        name = f"_K{len(self.ns)}"
        self.ns[name] = k
        return name

    def diff(self, codec: Codec, x: str, y: str, off: int, ind: str, old: str = "s") -> list[str]:
        """Lines setting ``self.last`` to the code of the value ``x`` placed
        at bit ``off`` of the int ``old`` (the state, or the state shifted
        down), from whose bits at ``off`` the value ``y`` (a source
        evaluated at most once) was decoded: a record's field or a map's
        entry that is the very object ``y`` holds there is copied from
        ``old`` instead of being encoded again.  A step that updates a few
        places of a large value builds the new value around the old one's
        parts (an update copies the references), so only the parts on the
        way to what changed are encoded.  Parts of other codecs are copied
        whole when identical, else encoded as :meth:`code` does; leaves
        looked up in a table are simply encoded (the lookup costs what the
        identity test would).  Raises what :meth:`code` raises for a value
        that is not representable."""
        out: list[str] = []
        if _table_leaf(codec):
            out.extend(self.code(codec, x, ind))
            self.last = f"({self.last} << {off})" if off else self.last
            return out
        r = self.tmp()
        w = y if y.isidentifier() else self.tmp()
        if w != y:
            out.append(f"{ind}{w} = {y}")
        out.append(f"{ind}if {x} is {w}:")
        out.append(f"{ind}    {r} = {old} & {((1 << codec.width) - 1) << off}")
        out.append(f"{ind}else:")
        ind2 = ind + "    "
        if not visits_parts(codec):
            out.extend(self.code(codec, x, ind2))
            out.append(f"{ind2}{r} = {self.last} << {off}" if off else f"{ind2}{r} = {self.last}")
        elif isinstance(codec, MapCodec):
            # the same keys: the old code with the digits of the entries
            # that are not the old ones replaced; else encoded afresh
            d, e, key, v, u, q, keep = (self.tmp() for _ in range(7))
            self.ns["_MISS"] = _MISS
            digits = f"_Q{len(self.ns)}"
            vmask = (1 << codec.value.width) - 1
            self.ns[digits] = {k: (off + i * codec.dw + 1, ~(vmask << (off + i * codec.dw + 1)))
                               for i, k in enumerate(codec.keys)}
            out.append(f"{ind2}{d} = {x}._d")
            out.append(f"{ind2}{e} = {w}._d")
            out.append(f"{ind2}{r} = None")
            out.append(f"{ind2}if len({d}) == len({e}):")
            ind3 = ind2 + "    "
            out.append(f"{ind3}{r} = {old} & {((1 << codec.width) - 1) << off}")
            out.append(f"{ind3}for {key}, {v} in {d}.items():")
            ind4 = ind3 + "    "
            out.append(f"{ind4}{u} = {e}.get({key}, _MISS)")
            out.append(f"{ind4}if {v} is not {u}:")
            ind5 = ind4 + "    "
            out.append(f"{ind5}if {u} is _MISS:")
            out.append(f"{ind5}    {r} = None")
            out.append(f"{ind5}    break")
            # (a key outside the codec's domain is in no old map: x is
            # encoded afresh below, and refused)
            out.append(f"{ind5}{q}, {keep} = {digits}[{key}]")
            if visits_parts(codec.value):
                # the entry's place is known at run time only: the entry's
                # old code is brought down to bit 0
                low = self.tmp()
                out.append(f"{ind5}{low} = {old} >> {q}")
                out.extend(self.diff(codec.value, v, u, 0, ind5, low))
            else:
                out.extend(self.code(codec.value, v, ind5))
            out.append(f"{ind5}{r} = ({r} & {keep}) | ({self.last} << {q})")
            out.append(f"{ind2}if {r} is None:")
            out.extend(self.code(codec, x, ind3))
            out.append(f"{ind3}{r} = {self.last} << {off}" if off else f"{ind3}{r} = {self.last}")
        else:  # a record
            d, e = self.tmp(), self.tmp()
            out.append(f"{ind2}{d} = {x}._d")
            out.append(f"{ind2}if len({d}) != {len(codec.names)}: raise KeyError")
            out.append(f"{ind2}{e} = {w}._d")
            parts = []
            for p, poff, fname in zip(codec.parts, codec.offs, codec.names):
                v = self.tmp()
                out.append(f"{ind2}{v} = {d}[{fname!r}]")
                out.extend(self.diff(p, v, f"{e}[{fname!r}]", off + poff, ind2, old))
                parts.append(self.last)
            out.append(f"{ind2}{r} = {' | '.join(parts) if parts else '0'}")
        self.last = r
        return out


def visits_parts(codec: Codec) -> bool:
    """Does :meth:`_EncoderGen.diff` visit the parts of ``codec``'s values
    (maps and records), so that it can copy some from the old code?  Not
    a map holding interned values: it visits a map's changed entries in
    the map's order, and a value met for the first time is numbered when
    it is encoded, so the numbers would follow that order instead of the
    keys' (as every other encoder's do)."""
    if isinstance(codec, MapCodec):
        return not _interns_of([codec.value])
    return isinstance(codec, ProductCodec) and codec.names is not None


def _table_leaf(codec: Codec) -> bool:
    """Does :meth:`_EncoderGen.code` encode ``codec``'s values by a table lookup?"""
    return isinstance(codec, (ListCodec, IdentityCodec, IntCodec, UnitCodec, SetCodec)) and \
        (codec.count or 0) <= 65536


def make_diff_encoder(codec: Codec, off: int) -> Callable[[Any, Any, int], int]:
    """``(x, y, s) -> code of x << off``, where ``y`` is the value decoded
    from the bits of state ``s`` at ``off``: the parts of ``x`` identical
    to ``y``'s (``is``) are copied from ``s`` (:meth:`_EncoderGen.diff`);
    raises KeyError when ``x`` is not representable."""
    gen = _EncoderGen()
    return _encoder_function(gen, "x, y, s", gen.diff(codec, "x", "y", off, "        "), "<pyspec diff encoder>")


def _encoder_function(gen: _EncoderGen, params: str, body: list[str], filename: str) -> Callable:
    """``_enc(params)`` returning ``gen.last`` after ``body`` (lines at depth
    two), a value that is not representable raising KeyError."""
    src = [f"def _enc({params}):", "    try:"] + body + [f"        return {gen.last}",
           "    except (TypeError, AttributeError, IndexError):", "        raise KeyError(x) from None"]
    ns = dict(gen.ns)
    ns["_NONE"] = NONE
    exec(compile("\n".join(src) + "\n", filename, "exec"), ns)  # generated
    return ns["_enc"]


def make_value_encoder(codec: Codec) -> Callable[[Any], int]:
    """value -> code of ``codec``, raising KeyError when the value is not
    representable (generated straight-line code for composite codecs, the
    lookup of the table :meth:`_EncoderGen.code` uses for a leaf's values)."""
    if _table_leaf(codec):
        gen = _EncoderGen()
        return gen.ns[gen.table(codec)].__getitem__
    if not isinstance(codec, (MapCodec, ProductCodec, SeqCodec, VariantCodec, OptionalCodec)):
        def leaf(v, enc=codec.enc):
            c = enc(v)
            if c is None:
                raise KeyError(v)
            return c
        return leaf
    gen = _EncoderGen()
    return _encoder_function(gen, "x", gen.code(codec, "x", "        "), "<pyspec value encoder>")


#: a key absent from a map (generated encoders)
_MISS = object()


class _SetMemo(dict):
    """frozenset -> bit mask (frozensets hash in C and cache their hash)."""

    def __init__(self, codec: SetCodec):
        super().__init__()
        self.codec = codec

    def __missing__(self, v):
        c = self.codec.enc(v)
        if c is None:
            raise KeyError(v)
        self[v] = c
        return c


def _interns_of(codecs: list[Codec]) -> list[InternCodec]:
    """The distinct interning codecs among ``codecs`` and their parts, in
    the order first met (the layout's order: deterministic)."""
    out: list[InternCodec] = []
    seen: set[int] = set()

    def walk(c: Codec) -> None:
        if isinstance(c, InternCodec):
            if id(c) not in seen:
                seen.add(id(c))
                out.append(c)
        elif isinstance(c, OptionalCodec):
            walk(c.inner)
        elif isinstance(c, MapCodec):
            walk(c.value)
        elif isinstance(c, ProductCodec):
            for p in c.parts:
                walk(p)
        elif isinstance(c, VariantCodec):
            for _, _, pc in c.cases:
                walk(pc)
        elif isinstance(c, SeqCodec):
            walk(c.elem)

    for c in codecs:
        walk(c)
    return out


class Layout:
    """The slots of a model and how they pack into one int."""

    def __init__(self, slots: list[Slot]):
        self.slots = slots
        off = 0
        for s in slots:
            s.off = off
            off += s.width
        self.bits = off
        self.fixed_mask = (1 << off) - 1
        self.escapable = any(s.escapable for s in slots)
        self.interns = _interns_of([sl.codec for sl in slots])
        self._tail_cache: dict[int, dict[int, Any]] = {}
        for sl in slots:
            sl.make_encoder()

    # -- reading
    def read(self, s: int, k: int) -> Any:
        sl = self.slots[k]
        v = sl.D[(s >> sl.off) & sl.mask]
        if v is ESC:
            v = self.tail_values(s)[k]
        return v

    def unpack(self, s: int) -> list:
        tail = self.tail_values(s) if s >> self.bits else {}
        out = []
        for sl in self.slots:
            v = sl.D[(s >> sl.off) & sl.mask]
            if v is ESC:
                v = tail[sl.index]
            out.append(v)
        return out

    def tail_values(self, s: int) -> dict[int, Any]:
        t = s >> self.bits
        if not t:
            return {}
        r = self._tail_cache.get(t)
        if r is None:
            r = self._decode_tail(t)
            if len(self._tail_cache) > 100_000:
                self._tail_cache.clear()
            self._tail_cache[t] = r
        return r

    def _decode_tail(self, t: int) -> dict[int, Any]:
        b = t.to_bytes((t.bit_length() + 7) // 8, "little")[:-1]  # drop the 0x01 sentinel
        pos = 0
        out = {}
        while pos < len(b):
            k, pos = _get_uvarint(b, pos)
            v, pos = deser(b, pos)
            out[k] = v
        return out

    # -- writing
    def pack(self, values: list) -> int:
        return self._pack(zip(self.slots, values))

    def pack_known(self, values: dict[int, Any]) -> int:
        """A state with the given slots set and every other field 0: what an
        initial value reads while the slots after it have no value yet."""
        return self._pack((self.slots[k], v) for k, v in sorted(values.items()))

    def _pack(self, pairs) -> int:
        s = 0
        escaped = []
        for sl, v in pairs:
            f = sl.E[v]
            if f is None:
                escaped.append((sl.index, v))
            else:
                s |= f << sl.off
        if escaped:
            buf = bytearray()
            for k, v in escaped:
                _put_uvarint(buf, k)
                ser(v, buf)
            buf.append(1)
            s |= int.from_bytes(bytes(buf), "little") << self.bits
        return s

    def pack_slow(self, s: int, writes, pc_slot: int, pc_code: int) -> int:
        """``s`` with the given slot values (and the pc field) replaced; the
        general path when an escaped value is involved."""
        values = self.unpack(s)
        for k, v in writes:
            values[k] = v
        if pc_slot >= 0:
            values[pc_slot] = self.slots[pc_slot].codec.dec(pc_code)
        return self.pack(values)

    def describe(self) -> list[str]:
        out = []
        for sl in self.slots:
            out.append(f"{sl.key}{'' if sl.inst is None else f'[{sl.inst_value!r}]'}: bits {sl.off}..{sl.off + sl.width}"
                       f"{' (escapable)' if sl.escapable else ''} {type(sl.codec).__name__}")
        return out
