"""The state store of a breadth-first search: packed states without Python objects.

States are packed ints (:mod:`pyspec.compile.layout`).  A Python set of
them costs 80-130 bytes per state (the int object: 32 bytes up to 60 bits,
48 up to 90; the set's slot at 30-60% fill; a list pointer for the queue;
and, at the peak, the old table of the set's last resize).  This store
keeps them as numbers instead:

- ``cols``: every distinct state in the order it was found, as ``ncols``
  numpy columns of 64-bit words (least significant first), which is also
  the BFS queue (a cursor walks it) and what traces are read from.
  ``ncols`` grows when a wider state arrives (a value escaped into the
  tail);
- ``table``: an open-addressing hash table (linear probing, at most half
  full, four times bigger when it is) of ``index + 1`` as 32-bit words, 0
  for an empty slot.  Equality is checked against ``cols``, so the store is
  exact (no fingerprints);
- ``parents``: for each state the index of the state it was found from (-1
  for initial states), 32 bits (64 for the workers' global ids).

That is 8 to 32 bytes of table, 8 bytes per word and 4 of parent link:
20-60 bytes per state.

Membership is answered per batch (:meth:`StateStore.add_batch`): numpy
probes every key of the batch at once, so the search loop collects the
successors of a few thousand states (de-duplicated by a small Python set,
which stays in the CPU cache) and hands them over together.  Batches are
inserted in order, so the order of states, and thus every count and every
trace, is the same as with a one-by-one insertion.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import repeat

import numpy as np

_WORD = (1 << 64) - 1
_U64 = np.uint64
# splitmix64's constants: the packed fields are structured (low bits change
# most), so keys are mixed before their top bits pick a slot.
_K0 = _U64(0x9E3779B97F4A7C15)
_K1 = _U64(0xBF58476D1CE4E5B9)
_K2 = _U64(0x94D049BB133111EB)
_KCOL = [_U64((0x9E3779B97F4A7C15 * (2 * c + 1)) & _WORD) for c in range(64)]  # per column (mod 64)
_MIN_TABLE_BITS = 12
_MAX_TABLE_INDEX = (1 << 32) - 2  # table entries are 32-bit "index + 1"
_REHASH_CHUNK = 1 << 20


class StoreFullError(Exception):
    pass


def _to_words(states: Sequence[int], ncols: int) -> list[np.ndarray]:
    """``states`` as ``ncols`` columns of 64-bit words, least significant first.

    Raises OverflowError for a state wider than ``ncols`` words.
    """
    if ncols == 1:
        return [np.fromiter(states, dtype=_U64, count=len(states))]
    n = 8 * ncols
    rows = np.frombuffer(b"".join(map(int.to_bytes, states, repeat(n), repeat("little"))), dtype="<u8")
    rows = rows.reshape(-1, ncols)
    return [rows[:, c] for c in range(ncols)]


def _from_words(cols: list[np.ndarray]) -> list[int]:
    """The inverse of :func:`_to_words`."""
    if len(cols) == 1:
        return cols[0].tolist()
    if len(cols) == 2:
        return [lo | hi << 64 for lo, hi in zip(cols[0].tolist(), cols[1].tolist())]
    raw = np.stack(cols, axis=1).astype("<u8", copy=False).tobytes()
    n = 8 * len(cols)
    return [int.from_bytes(raw[i:i + n], "little") for i in range(0, len(raw), n)]


class StateStore:
    __slots__ = ("cols", "parents", "table", "n", "level_ends", "_shift")

    def __init__(self, ncols: int = 1, parent_dtype=np.int32) -> None:
        self.n = 0
        self.cols = [np.zeros(1024, dtype=_U64) for _ in range(ncols)]
        self.parents = np.zeros(1024, dtype=parent_dtype)  # int64 for the workers' global ids
        self.table = np.zeros(1 << _MIN_TABLE_BITS, dtype=np.uint32)
        self._shift = _U64(64 - _MIN_TABLE_BITS)
        self.level_ends: list[int] = []  # index one past the last state of each level

    def __len__(self) -> int:
        return self.n

    @property
    def ncols(self) -> int:
        return len(self.cols)

    # -- reading -------------------------------------------------------------

    def state(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return _from_words([c[i:i + 1] for c in self.cols])[0]

    def states(self, lo: int = 0, hi: int | None = None) -> list[int]:
        """The states ``lo .. hi-1`` as packed ints."""
        hi = self.n if hi is None else min(hi, self.n)
        return _from_words([c[lo:hi] for c in self.cols]) if lo < hi else []

    def words(self) -> bytes:
        """The states as ``ncols`` little-endian 64-bit words each (checkpoints)."""
        n = self.n
        return np.stack([c[:n] for c in self.cols], axis=1).astype("<u8").tobytes()

    def parent(self, i: int) -> int:
        return int(self.parents[i])

    def path(self, i: int) -> list[int]:
        """Indices from an initial state to state ``i``."""
        out = []
        while i >= 0:
            out.append(i)
            i = int(self.parents[i])
        out.reverse()
        return out

    def level_of(self, i: int) -> int:
        """1-based BFS level (initial states are level 1)."""
        return bisect.bisect_right(self.level_ends, i) + 1

    def __contains__(self, s: int) -> bool:
        if s.bit_length() > 64 * self.ncols:
            return False
        return not self._probe(_to_words([s], self.ncols))[0][0]

    def nbytes(self) -> int:
        """Bytes held by the arrays (allocated, whether touched or not)."""
        return sum(c.nbytes for c in self.cols) + self.parents.nbytes + self.table.nbytes

    # -- adding --------------------------------------------------------------

    def add(self, s: int, parent: int) -> bool:
        """Add one state (slow path: initial states, merged results)."""
        return bool(self.add_batch([s], [parent])[0])

    def add_batch(self, states: Sequence[int], parents: Sequence[int]) -> np.ndarray:
        """Store the states of ``states`` not stored yet, in order; return the mask of the new ones.

        ``states`` must hold no duplicates (the search loop de-duplicates
        with a set first).  The new states get the indices ``n, n+1, ...``
        in their order in ``states``.
        """
        if not len(states):
            return np.zeros(0, dtype=bool)
        try:
            words = _to_words(states, self.ncols)
        except OverflowError:  # a wider state (an escaped value): more words for every state
            self._widen((max(states).bit_length() + 63) // 64)
            words = _to_words(states, self.ncols)
        return self.add_words(words, parents)

    def add_words(self, words: list[np.ndarray], parents: Sequence[int] | np.ndarray) -> np.ndarray:
        """:meth:`add_batch` for states given as columns of 64-bit words
        (least significant first; fewer columns than the store's are its
        low words, the others zero)."""
        if len(words) > self.ncols:
            self._widen(len(words))
        elif len(words) < self.ncols:
            words = list(words) + [np.zeros(len(words[0]), dtype=_U64)] * (self.ncols - len(words))
        if not len(words[0]):
            return np.zeros(0, dtype=bool)
        new, slots = self._probe(words)
        k = len(slots)
        if k:
            n = self.n
            limit = min(_MAX_TABLE_INDEX, int(np.iinfo(self.parents.dtype).max))
            if n + k > limit:
                raise StoreFullError(f"more than {limit:,} distinct states")
            self._reserve(n + k)
            for c, w in zip(self.cols, words):
                c[n:n + k] = w[new]
            self.parents[n:n + k] = np.asarray(parents, dtype=self.parents.dtype)[new]
            idx = np.arange(n, n + k, dtype=np.int64)
            if self._grow_table(n + k):
                self._insert(idx)
            else:  # start at the empty slot each probe ended on
                self._insert(idx, slots)
            self.n = n + k  # last: an interrupted batch leaves the store as it was
        return new

    # -- the hash table --------------------------------------------------------

    def _hash(self, words: list[np.ndarray]) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = words[0] * _K0
            for c in range(1, len(words)):
                h ^= words[c] * _KCOL[c % 64]
            h ^= h >> _U64(30)
            h *= _K1
            h ^= h >> _U64(27)
            h *= _K2
            h ^= h >> _U64(31)
        return (h >> self._shift).astype(np.int64)

    def _probe(self, words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The mask of the states (``words``) that are not stored, and for
        those, in order, the empty slot their probe ended on."""
        table, cols = self.table, self.cols
        mask = len(table) - 1
        m = len(words[0])
        absent = np.zeros(m, dtype=bool)
        slots = np.empty(m, dtype=np.int64)
        todo = None  # every state, in the first round
        pos = self._hash(words)
        while True:
            v = table[pos].astype(np.int64)
            empty = v == 0
            if todo is None:
                absent[empty] = True
                slots[empty] = pos[empty]
                w = words
            else:
                at = todo[empty]
                absent[at] = True
                slots[at] = pos[empty]
                w = [x[todo] for x in words]
            v -= 1  # 0 (empty): -1, the last row, masked out below
            same = cols[0][v] == w[0]
            for c in range(1, len(cols)):
                same &= cols[c][v] == w[c]
            again = ~(same | empty)
            if not again.any():
                break
            todo = again.nonzero()[0] if todo is None else todo[again]
            pos = (pos[again] + 1) & mask
        return absent, slots[absent]

    def _insert(self, idx: np.ndarray, pos: np.ndarray | None = None) -> None:
        """Put the indices ``idx`` (of states not in the table) into the table,
        probing from ``pos`` (default: their hash)."""
        table = self.table
        mask = len(table) - 1
        if pos is None:
            pos = self._hash([c[idx] for c in self.cols])
        vals = (idx + 1).astype(np.uint32)
        while True:
            free = table[pos] == 0
            p, v = pos[free], vals[free]
            table[p] = v  # where several claim one slot, one of them wins
            won = np.zeros(len(vals), dtype=bool)
            won[free] = table[p] == v
            if won.all():
                return
            lost = ~won
            vals, pos = vals[lost], (pos[lost] + 1) & mask

    def _rehash(self) -> None:
        self.table[:] = 0
        for lo in range(0, self.n, _REHASH_CHUNK):
            self._insert(np.arange(lo, min(self.n, lo + _REHASH_CHUNK), dtype=np.int64))

    def _grow_table(self, n: int) -> bool:
        """Make room for ``n`` states (at most half full): False if there was room."""
        bits = len(self.table).bit_length() - 1
        if 2 * n <= len(self.table):
            return False
        while 2 * n > (1 << bits):
            bits += 2  # four times as big: a quarter of the rehashing of doubling
        self.table = np.zeros(1 << bits, dtype=np.uint32)
        self._shift = _U64(64 - bits)
        self._rehash()
        return True

    def _reserve(self, n: int) -> None:
        cap = len(self.parents)
        if n <= cap:
            return
        # A quarter more each time: ndarray.resize zero-fills the new part, so
        # all of the capacity is resident; it reallocates in place (mremap for
        # big arrays), without a copy next to the old array.  Nothing else
        # holds a view of these arrays.
        cap = max(n, cap + cap // 4)
        for c in self.cols:
            c.resize(cap, refcheck=False)
        self.parents.resize(cap, refcheck=False)

    def _widen(self, ncols: int) -> None:
        self.cols += [np.zeros(len(self.parents), dtype=_U64) for _ in range(ncols - self.ncols)]
        self._rehash()

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` states only (a search stopped inside a batch)."""
        if n < self.n:
            self.n = n
            self._rehash()

    # -- whole stores ----------------------------------------------------------

    def owned(self) -> StateStore:
        """A copy whose arrays are its own (the compiled engine's result is
        a view of its arrays, which cannot grow in place)."""
        store = StateStore(self.ncols, self.parents.dtype)
        n = self.n
        store.cols = [np.array(c[:max(n, 1)]) for c in self.cols]
        store.parents = np.array(self.parents[:max(n, 1)])
        store.table = self.table.copy()
        store._shift = self._shift
        store.n = n
        store.level_ends = list(self.level_ends)
        return store

    @classmethod
    def from_words(cls, states: bytes, ncols: int, parents: bytes, level_ends: list[int]) -> StateStore:
        """A store of the states ``states`` (``ncols`` little-endian 64-bit words each, distinct)."""
        store = cls(ncols)
        rows = np.frombuffer(states, dtype="<u8").reshape(-1, ncols)
        n = len(rows)
        store._reserve(n)
        for c in range(ncols):
            store.cols[c][:n] = rows[:, c]
        store.parents[:n] = np.frombuffer(parents, dtype="<i4")
        store.n = n
        store._grow_table(n) or store._rehash()
        store.level_ends = list(level_ends)
        return store
