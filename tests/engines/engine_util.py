"""Helpers of the engine tests (imported as a top-level module: pytest puts
this directory on sys.path)."""

from __future__ import annotations

import functools
from pathlib import Path

import pyspec
from pyspec.values import FMap, ModelValue

SPECS = Path(__file__).parent / "specs"


@functools.cache
def load(name: str):
    """A spec of tests/engines/specs by file stem, or any path."""
    p = SPECS / f"{name}.pyspec"
    return pyspec.load(str(p if p.exists() else name))


class InterruptAfter:
    """A progress display that raises KeyboardInterrupt (a Ctrl-C) at its
    n-th update (the one-process search updates after each block of
    states, the workers after each level)."""

    def __init__(self, n):
        self.n = n

    def update(self, **stats):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt

    def close(self):
        pass


def rename(v, perm):
    """``v`` with model values renamed by ``perm`` (value level, independent
    of the engine: symmetry tests count orbits with it)."""
    if isinstance(v, ModelValue):
        return perm.get(v, v)
    if isinstance(v, frozenset):
        return frozenset(rename(x, perm) for x in v)
    if isinstance(v, tuple):
        return tuple(rename(x, perm) for x in v)
    if isinstance(v, FMap):  # records too: type(v) keeps the kind
        return type(v)({rename(k, perm): rename(x, perm) for k, x in v.items()})
    return v


def memo_matches_checked(cm) -> None:
    """On every reachable state of ``cm``, twice (memo fills, then memo
    hits), ``next_fast``'s successors are the checked variant's, in the
    same order: a memo key too narrow hands a state another's successors."""
    from pyspec.engines.embedded.bfs import Options, explore

    res = explore(cm, Options())
    assert res.complete
    states = sorted(res.store.states())
    for _ in range(2):
        for s in states:
            fast, full = [], []
            cm.next_fast(s, fast.append)
            cm.next_full(s, full.append)
            assert fast == [t for _, _, t in full]
