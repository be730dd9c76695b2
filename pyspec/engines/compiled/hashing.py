"""The hash mixing that the compiled loop's tables share (the seen set,
the memos, the table of sets): splitmix64's finaliser, the same as
StateStore._hash's in Python."""

from __future__ import annotations

import numpy as np
from numba import njit

K0 = np.uint64(0x9E3779B97F4A7C15)
K1 = np.uint64(0xBF58476D1CE4E5B9)
K2 = np.uint64(0x94D049BB133111EB)
S64 = np.uint64(64)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)


@njit(cache=True, inline="always", _nrt=False)
def mix(h):
    h ^= h >> _S30
    h *= K1
    h ^= h >> _S27
    h *= K2
    h ^= h >> _S31
    return h
