"""A table of interned sets that the compiled loop reads and extends.

In a message-passing spec the message set is new in most states, and a
step keyed by the set's code missed its memo at almost every state.  A
step that reads the set only through filters by message kind is keyed by
the set's *projection* on those kinds instead (pyspec/compile/set_parts.py),
and writes the code of ``projection | E``; the loop makes the successor's
code ``union(old, written)``, which is ``old | E`` (docs/checker.md).  Both
need, inside the loop, the sets as sorted element numbers and a
hash-consing table that numbers a new set: this module (its compiled
functions are :mod:`.set_kernel`'s).

The table mirrors one :class:`pyspec.compile.layout.InternSetCodec`: the
same codes, the same element numbers.  The Python side numbers elements
(only Python steps build messages) and sets (fills, symmetry images); the
loop numbers the unions and projections it makes.  The two sides take
turns: :meth:`SetTable.push` before the loop runs, :meth:`SetTable.pull`
after it returns, so both always agree on every code.
"""

from __future__ import annotations

import numpy as np

from ...compile.layout import InternSetCodec
from .library import library

#: ctl of a table: codes numbered, element slots used, log2 of the hash table's size
NSETS, NEL, LOGT = 0, 1, 2

def no_table() -> tuple[np.ndarray, ...]:
    """:meth:`SetTable.arrays` of a model without a table (the loop never
    reads them: no step is keyed by a projection)."""
    return (np.zeros((1, 1), np.int32), np.zeros(1, np.uint8), np.zeros(1, np.uint32), np.zeros(2, np.int64),
            np.zeros(2, np.int32), np.zeros(4, np.int64))


class SetTable:
    """The loop's mirror of one table of interned sets (see the module's
    docstring).  ``kind_of(element) -> int`` (0..63) gives each element's
    kind, which projections select by; ``nproj`` projections (sets of
    kinds) are memoized per set in ``proj`` (code + 1, 0: not known yet)."""

    def __init__(self, codec: InternSetCodec, kind_of, nproj: int, elements: int = 1 << 12, sets: int = 1 << 10):
        self.codec = codec
        self.kind_of = kind_of
        self.proj = np.zeros((nproj, max(sets, 16) + 1), np.int32)
        self.sel = np.zeros(max(elements, 16), np.uint32)
        self.soff = np.zeros(max(sets, 16) + 1, np.int64)
        logt = max(5, (2 * max(sets, 16) - 1).bit_length())
        self.stab = np.zeros(1 << logt, np.int32)
        self.sctl = np.zeros(4, np.int64)
        self.sctl[LOGT] = logt
        self.elem_kind = np.zeros(max(len(codec.elems), 64), np.uint8)
        self.kinds_known = 0  # elements whose kind elem_kind holds
        # symmetry (permuted_by): per permutation, its SetImage of this
        # table's slot; the images of the elements for the loop, and
        # (the slot's index among the interned slots, elements with images)
        self.images: list = []
        self.eimg = np.zeros((1, 1), np.int32)
        self.einfo = np.array([-1, 0], np.int64)
        codec.materialize()  # (the sets a former search's table numbered)
        self.push()
        codec.backing = self

    def permuted_by(self, slot: int, images: list) -> None:
        """Symmetry: the loop permutes this table's sets itself, as the
        ``SetImage``s ``images`` (one per permutation) do; ``slot``: the
        index of the table's slot among the interned slots."""
        self.images = images
        self.eimg = np.zeros((len(images), max(64, len(self.codec.elems))), np.int32)
        self.einfo[:] = (slot, 0)
        self.push()

    def __len__(self) -> int:
        return int(self.sctl[NSETS])

    def arrays(self) -> tuple[np.ndarray, ...]:
        """What :func:`pyspec.engines.compiled.kernel.run` reads of the table
        (with the scratch the driver owns): (proj, elem_kind, sel, soff,
        stab, sctl)."""
        return self.proj, self.elem_kind, self.sel, self.soff, self.stab, self.sctl

    def grow(self, elements: int = 0, sets: int = 0) -> None:
        """Room for ``elements`` more element slots and ``sets`` more codes."""
        used, n = int(self.sctl[NEL]), int(self.sctl[NSETS])
        if used + elements > self.sel.shape[0]:
            sel = np.zeros(max(2 * self.sel.shape[0], used + elements), np.uint32)
            sel[:used] = self.sel[:used]
            self.sel = sel
        if n + sets + 2 > self.soff.shape[0]:
            soff = np.zeros(max(2 * self.soff.shape[0], n + sets + 2), np.int64)
            soff[:n + 1] = self.soff[:n + 1]
            self.soff = soff
            proj = np.zeros((self.proj.shape[0], len(soff)), np.int32)
            proj[:, :self.proj.shape[1]] = self.proj
            self.proj = proj
        if 2 * (n + sets + 1) > self.stab.shape[0]:
            logt = (2 * (n + sets + 1) - 1).bit_length()
            self.stab = np.zeros(1 << logt, np.int32)
            self.sctl[LOGT] = logt
            library().set_rehash(self.sel, self.soff, self.stab, self.sctl)

    def push(self) -> None:
        """Give the loop the sets and elements the Python side numbered since."""
        codec = self.codec
        n, m = int(self.sctl[NSETS]), codec.size()
        if m > n:
            parts = [np.frombuffer(codec.keys[c], dtype=codec.tc) for c in range(n, m)]
            offs = np.zeros(m - n + 1, np.int64)
            np.cumsum([len(p) for p in parts], out=offs[1:])
            flat = np.concatenate(parts).astype(np.uint32) if parts else np.zeros(0, np.uint32)
            self.grow(elements=len(flat), sets=m - n)
            done = library().set_insert_all(flat, offs, self.sel, self.soff, self.stab, self.sctl)
            assert done == m - n and int(self.sctl[NSETS]) == m, "the two sides numbered sets differently"
        elems = codec.elems
        if self.images:
            self._push_images()
        ne = len(elems)
        if ne > self.kinds_known:
            if ne > self.elem_kind.shape[0]:
                ek = np.zeros(max(2 * self.elem_kind.shape[0], ne), np.uint8)
                ek[:self.kinds_known] = self.elem_kind[:self.kinds_known]
                self.elem_kind = ek
            kind_of = self.kind_of
            self.elem_kind[self.kinds_known:ne] = [kind_of(elems[i]) for i in range(self.kinds_known, ne)]
            self.kinds_known = ne

    def _push_images(self) -> None:
        """Every element's image under every permutation, for the loop
        (an image may be an element numbered now: until none is new)."""
        elems = self.codec.elems
        while True:
            ne = len(elems)
            for im in self.images:
                im.extend(ne)
            if len(elems) == ne:
                break
        known = int(self.einfo[1])
        if ne > known:
            if ne > self.eimg.shape[1]:
                eimg = np.zeros((self.eimg.shape[0], max(2 * self.eimg.shape[1], ne)), np.int32)
                eimg[:, :known] = self.eimg[:, :known]
                self.eimg = eimg
            for pi, im in enumerate(self.images):
                self.eimg[pi, known:ne] = im.emap[known:ne]
            self.einfo[1] = ne

    def image_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """What the loop reads of the element images (kernel._set_image)."""
        return self.eimg, self.einfo

    def pull(self) -> None:
        """Tell the Python side how many sets the loop numbered: it reads
        one (:meth:`fetch`, :meth:`find`) only when it needs it."""
        codec = self.codec
        n, m = codec.size(), int(self.sctl[NSETS])
        if m > n:
            codec.keys.extend([None] * (m - n))

    def fetch(self, c: int) -> bytes:
        """The key (sorted element numbers, as the codec stores them) of the set of code ``c``."""
        return self.sel[self.soff[c]:self.soff[c + 1]].astype(self.codec.tc).tobytes()

    def find(self, key: bytes) -> int:
        """The code of the set of key ``key``, -1 when the table has none."""
        a = np.frombuffer(key, dtype=self.codec.tc).astype(np.uint32)
        return int(library().set_find(a, len(a), self.sel, self.soff, self.stab, self.sctl))
