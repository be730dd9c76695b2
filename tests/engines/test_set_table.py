"""The compiled loop's table of interned sets (pyspec/engines/compiled/sets.py)
numbers the same sets with the same codes as the Python side's
InternSetCodec, whichever side numbers a set first."""

from __future__ import annotations

import random

import numpy as np
import pytest

pytest.importorskip("numba")

from pyspec.compile.layout import InternSetCodec  # noqa: E402
from pyspec.engines.compiled import set_kernel, sets  # noqa: E402


def _codec_with(elems: list, sets_of: list[frozenset]) -> InternSetCodec:
    codec = InternSetCodec("t")
    for x in elems:
        codec.elem_number(x)
    for s in sets_of:
        codec.enc(s)
    return codec


def _union(table: sets.SetTable, x: int, y: int) -> int:
    tmp = np.zeros(4096, np.uint32)
    while True:
        c = set_kernel.set_union(np.int64(x), np.int64(y), tmp, table.sel, table.soff, table.stab, table.sctl)
        if c != -1:
            return int(c)
        table.grow(elements=4096, sets=16)


def _project(table: sets.SetTable, x: int, kinds: int) -> int:
    tmp = np.zeros(4096, np.uint32)
    while True:
        c = set_kernel.set_project(np.int64(x), np.uint64(kinds), table.elem_kind, tmp, table.sel, table.soff,
                             table.stab, table.sctl)
        if c != -1:
            return int(c)
        table.grow(elements=4096, sets=16)


@pytest.mark.parametrize("nelems", [40, 70_000])  # 70,000: the codec's keys widen to 4 bytes
def test_unions_and_projections_agree_with_the_codec(nelems):
    rnd = random.Random(7)
    elems = [("m", i % 5, i) for i in range(nelems)]
    some = [frozenset(rnd.sample(elems, rnd.randrange(0, 12))) for _ in range(50)]
    codec = _codec_with(elems, some)
    table = sets.SetTable(codec, kind_of=lambda m: m[1], nproj=1, elements=16, sets=4)  # tiny: every array grows
    assert len(table) == codec.size()
    for _ in range(400):
        a, b = rnd.randrange(codec.size()), rnd.randrange(codec.size())
        want = codec.dec(a) | codec.dec(b)
        c = _union(table, a, b)
        table.pull()
        assert codec.dec(c) == want
        assert codec.enc(want) == c  # one code per set, whoever numbered it
        kinds = rnd.randrange(1, 32)
        p = _project(table, c, kinds)
        table.pull()
        assert codec.dec(p) == frozenset(m for m in want if (kinds >> m[1]) & 1)
        # the Python side numbers a set; the loop finds it under the same code
        fresh = frozenset(rnd.sample(elems, 3))
        f = codec.enc(fresh)
        table.push()
        assert _union(table, f, f) == f
        assert _union(table, c, f) == codec.enc(want | fresh)
        table.pull()
    assert len(table) == codec.size()


def test_the_python_side_reads_only_the_sets_it_needs():
    """The sets the loop numbers stay in its table (a placeholder code on
    the Python side) until Python reads or builds one; a new search's table
    starts from a codec that holds every set again."""
    elems = [("m", i % 5, i) for i in range(20)]
    codec = _codec_with(elems, [frozenset(elems[:3]), frozenset(elems[3:6])])
    table = sets.SetTable(codec, kind_of=lambda m: m[1], nproj=1)
    c = _union(table, 0, 1)
    table.pull()
    assert c == 2 and codec.size() == 3 and codec.keys[2] is None
    assert codec.enc(frozenset(elems[:6])) == 2  # built on the Python side: found in the loop's table
    assert codec.keys[2] is not None
    one = codec.enc(frozenset(elems[6:7]))
    table.push()
    d = _union(table, 2, one)
    table.pull()
    assert codec.keys[d] is None
    sets.SetTable(codec, kind_of=lambda m: m[1], nproj=1)  # (a second search)
    assert codec.keys[d] is not None and codec.dec(d) == frozenset(elems[:7])
