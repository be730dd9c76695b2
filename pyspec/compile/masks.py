"""Filters and quantifiers over an interned set, as bit masks.

A set of records held in a state variable (a message set) is interned
(:class:`pyspec.compile.layout.InternSetCodec`): its type's table numbers
every element once.  A shared expression (:mod:`pyspec.compile.shared`)
that filters such a set, or quantifies over it, by a condition of the
element alone

    {m for m in messages if m.ballot == b}        exists m in p1bs(): m.acceptor == a

is re-evaluated for every new value of the set, and a message set is new
in most states (every step adds a message): each evaluation meets the same
elements again.  Here the condition is evaluated once per *element*: its
truth is kept as a bit per element number, and the expression over a set
becomes bit operations on the set's element bits:

- a filter: the bits of the source and of each condition, anded; the set
  of those elements is built once per distinct subset (a memo), so equal
  results are one object and what is keyed by them hits;
- ``exists`` / ``forall``: the source's bits against the body's.

A filter may read another (``p1bs()`` is a filter of ``messages``; the
quorum's messages a filter of it): its source's bits come from that one's.

A condition is only evaluated where the plain code would evaluate it (a
second ``if`` on the elements the first keeps, a quantifier's body on the
elements its ``if`` keeps).  When it fails (an evaluation error) on an
element of the set at hand, the expression runs its plain code for that
set: the same value, or the same located error, as without masks.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from .runtime import BoundedMemo, IdentityMemo

#: elements a type's table may number before its masks give up (from then
#: on every masked expression of that type runs its plain code): a mask is
#: an int of one bit per element, and anding wide ints costs their width
MASK_ELEMS_LIMIT = 1 << 14
#: decoded sets whose element bits are kept (by identity), and distinct
#: subsets built from bits, per type
BITS_MEMO_LIMIT = 1 << 12
SUBSET_MEMO_LIMIT = 1 << 12


class SetMasks:
    """The element bits of the sets of one interned set type."""

    def __init__(self, codec: Any):
        self.codec = codec
        self.of = IdentityMemo(self._bits, BITS_MEMO_LIMIT)  # frozenset -> its element bits
        self.of_code = BoundedMemo(self._code_bits, BITS_MEMO_LIMIT)  # a set's code -> its element bits
        self.subsets = BoundedMemo(self._subset, SUBSET_MEMO_LIMIT)  # bits -> frozenset

    def usable(self) -> bool:
        return len(self.codec.elems) <= MASK_ELEMS_LIMIT

    def bits(self, v: Any) -> int | None:
        """The element bits of a set, given as a frozenset or as its code in
        the table (a memo keyed by the code of a state's field: the set is
        not even built); None for anything else."""
        t = type(v)
        if t is int:
            return self.of_code[v]
        if t is frozenset:
            return self.of.get_for(v)
        return None

    def _bits(self, v: frozenset) -> int:
        codec = self.codec
        key = codec._key(v)  # numbers new elements too (and may widen the keys: tc after it)
        nums = array(codec.tc)
        nums.frombytes(key)
        return _bits_of(nums)

    def _code_bits(self, c: int) -> int:
        return _bits_of(self.codec.numbers(c))

    def _subset(self, b: int) -> frozenset:
        elems = self.codec.elems
        out = []
        bits = b
        while bits:
            low = bits & -bits
            out.append(elems[low.bit_length() - 1])
            bits ^= low
        s = frozenset(out)
        # what is keyed by this result finds its bits without hashing its elements
        self.of.put(s, b)
        return s


def _bits_of(nums) -> int:
    """The int with a bit set at each of the element numbers ``nums``."""
    b = 0
    for i in nums:
        b |= 1 << i
    return b


class ElementCondition:
    """A condition of one element, its truth kept per element number."""

    __slots__ = ("fn", "masks", "known", "true", "failed")

    def __init__(self, fn: Callable[[Any], Any], masks: SetMasks):
        self.fn = fn
        self.masks = masks
        self.known = 0  # elements evaluated
        self.true = 0  # ... on which it holds
        self.failed = 0  # ... on which it failed (an evaluation error)

    def truth(self, b: int) -> int | None:
        """The bits of the elements of ``b`` where the condition holds
        (evaluated now on those not met yet); None if it fails on one."""
        new = b & ~self.known
        if new:
            elems, fn = self.masks.codec.elems, self.fn
            true = failed = 0
            while new:
                low = new & -new
                new ^= low
                try:
                    if fn(elems[low.bit_length() - 1]):
                        true |= low
                except Exception:  # the plain code reports it, where it meets it
                    failed |= low
            self.known |= b
            self.true |= true
            self.failed |= failed
        if b & self.failed:
            return None
        return self.true & b


class MaskedFilter:
    """``{x for x in S if c1 if c2 ...}``: the subset of S's elements where
    every condition holds (S: the set itself, or another masked filter)."""

    def __init__(self, masks: SetMasks, source: MaskedFilter | None, conds: list[ElementCondition],
                 plain: Callable[[Any], Any]):
        self.masks = masks
        self.source = source
        self.conds = conds
        self.plain = plain

    def bits(self, v: Any) -> int | None:
        b = self.source.bits(v) if self.source is not None else self.masks.bits(v)
        if b is None:
            return None
        for c in self.conds:
            if not b:
                return 0
            b = c.truth(b)
            if b is None:
                return None
        return b

    def __call__(self, v: Any) -> Any:
        if not self.masks.usable():
            return self.plain(v)
        b = self.bits(v)
        return self.plain(v) if b is None else self.masks.subsets[b]


class MaskedQuantifier:
    """``exists`` (``any(body for x in S if c ...)``) or ``forall``
    (``all(...)``) over a set or a masked filter's result."""

    def __init__(self, kind: str, source: MaskedFilter, body: ElementCondition, plain: Callable[[Any], Any]):
        self.exists = kind == "any"
        self.source = source
        self.body = body
        self.plain = plain

    def __call__(self, v: Any) -> Any:
        src = self.source
        if not src.masks.usable():
            return self.plain(v)
        b = src.bits(v)
        if b is None:
            return self.plain(v)
        if not b:
            return not self.exists
        t = self.body.truth(b)
        if t is None:
            return self.plain(v)
        return t != 0 if self.exists else t == b


__all__ = ["SetMasks", "ElementCondition", "MaskedFilter", "MaskedQuantifier", "MASK_ELEMS_LIMIT"]
