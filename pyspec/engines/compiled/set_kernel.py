"""The compiled functions of the table of interned sets (:mod:`.sets`):
hash-consing a set of sorted element numbers, unions and projections, in
the loop's machine code (numba)."""

from __future__ import annotations

import numpy as np
from numba import njit

from .hashing import K0, K1, S64, mix
from .sets import LOGT, NEL, NSETS

set_jit = njit(cache=True, _nrt=False)
set_inline = njit(cache=True, inline="always", _nrt=False)


@set_inline
def _hash(a, n):
    h = np.uint64(n) * K0
    for i in range(n):
        h = mix(h ^ (np.uint64(a[i]) * K1))
    return h


@set_inline
def _same(a, n, sel, soff, c):
    lo = soff[c]
    if soff[c + 1] - lo != n:
        return False
    for i in range(n):
        if sel[lo + i] != a[i]:
            return False
    return True


@set_inline
def _slot(a, n, sel, soff, stab, sctl):
    """The hash table position of the set ``a[:n]``: its code + 1, or 0 (free)."""
    mask = stab.shape[0] - 1
    pos = np.int64((_hash(a, n) >> (S64 - np.uint64(sctl[LOGT]))) & np.uint64(mask))
    while True:
        e = stab[pos]
        if e == 0 or _same(a, n, sel, soff, e - 1):
            return pos
        pos = (pos + 1) & mask


@set_jit
def set_intern(a, n, sel, soff, stab, sctl):
    """The code of the set of sorted element numbers ``a[:n]``, numbered now
    if new; -1 when the arrays are full (the driver grows them: nothing
    was changed)."""
    pos = _slot(a, n, sel, soff, stab, sctl)
    e = stab[pos]
    if e != 0:
        return np.int64(e - 1)
    c = sctl[NSETS]
    used = sctl[NEL]
    if used + n > sel.shape[0] or c + 2 > soff.shape[0] or 2 * (c + 1) > stab.shape[0]:
        return np.int64(-1)
    for i in range(n):
        sel[used + i] = a[i]
    soff[c + 1] = used + n
    sctl[NEL] = used + n
    sctl[NSETS] = c + 1
    stab[pos] = np.int32(c + 1)
    return c


@set_jit
def set_find(a, n, sel, soff, stab, sctl):
    """The code of the set of sorted element numbers ``a[:n]``, -1 when it has none."""
    return np.int64(stab[_slot(a, n, sel, soff, stab, sctl)]) - 1


@set_jit
def set_union(x, y, tmp, sel, soff, stab, sctl):
    """The code of the union of the sets with codes ``x`` and ``y``
    (-1: the arrays are full, -2: ``tmp`` is too small)."""
    if x == y:
        return x
    i, ie = soff[x], soff[x + 1]
    j, je = soff[y], soff[y + 1]
    if (ie - i) + (je - j) > tmp.shape[0]:
        return np.int64(-2)
    n = 0
    while i < ie and j < je:
        a, b = sel[i], sel[j]
        if a == b:
            tmp[n] = a
            i += 1
            j += 1
        elif a < b:
            tmp[n] = a
            i += 1
        else:
            tmp[n] = b
            j += 1
        n += 1
    while i < ie:
        tmp[n] = sel[i]
        i += 1
        n += 1
    while j < je:
        tmp[n] = sel[j]
        j += 1
        n += 1
    if n == soff[x + 1] - soff[x]:
        return x
    if n == soff[y + 1] - soff[y]:
        return y
    return set_intern(tmp, n, sel, soff, stab, sctl)


@set_jit
def set_project(x, kinds, elem_kind, tmp, sel, soff, stab, sctl):
    """The code of the subset of the set ``x`` whose elements' kinds are
    bits of ``kinds`` (-1: the arrays are full, -2: ``tmp`` too small)."""
    lo, hi = soff[x], soff[x + 1]
    if hi - lo > tmp.shape[0]:
        return np.int64(-2)
    n = 0
    for i in range(lo, hi):
        e = sel[i]
        if (kinds >> np.uint64(elem_kind[e])) & np.uint64(1):
            tmp[n] = e
            n += 1
    if n == hi - lo:
        return x
    return set_intern(tmp, n, sel, soff, stab, sctl)


@set_jit
def set_insert_all(flat, offs, sel, soff, stab, sctl):
    """Number the sets ``flat[offs[i]:offs[i + 1]]`` in order (the Python
    side's new codes: the table has room for them)."""
    for i in range(offs.shape[0] - 1):
        a = flat[offs[i]:offs[i + 1]]
        c = set_intern(a, a.shape[0], sel, soff, stab, sctl)
        if c < 0:
            return i
    return offs.shape[0] - 1


@set_jit
def set_rehash(sel, soff, stab, sctl):
    stab[:] = 0
    mask = stab.shape[0] - 1
    for c in range(sctl[NSETS]):
        lo, hi = soff[c], soff[c + 1]
        pos = np.int64((_hash(sel[lo:hi], hi - lo) >> (S64 - np.uint64(sctl[LOGT]))) & np.uint64(mask))
        while stab[pos] != 0:
            pos = (pos + 1) & mask
        stab[pos] = np.int32(c + 1)
