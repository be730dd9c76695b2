"""Successors of steps that update parts of large values are encoded by
diff encoders (pyspec/compile/layout.py, ``make_diff_encoder``): the parts
of the new value that are the very objects of the old value (an update
copies the references of what it does not change) are copied from the old
state's bits, only the rest is encoded.  The encoding must stay exactly
the whole value's: the same successors as the checked variant (which
encodes whole values) and as the reference interpreter, with keys chosen
at run time, records inside maps inside records, values that do not fit
their fields (the slow path), a key outside a map (the located error) and
symmetry."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from engine_util import rename
from refinterp import Reference, compiled_view, without_action_pcs

import pyspec
from pyspec.compile import compile_model
from pyspec.compile.layout import (
    IdentityCodec,
    IntCodec,
    MapCodec,
    OptionalCodec,
    ProductCodec,
    SetCodec,
    make_diff_encoder,
    make_value_encoder,
)
from pyspec.compile.runtime import fmap_own, map_put, rec_own, rec_put
from pyspec.engines.embedded import check
from pyspec.engines.embedded.bfs import Options, explore
from pyspec.values import NONE, FMap, ModelValue, Record, format_value

RING = '''spec RingPlaces
"""Steps that update parts of large values: entries chosen at run time of
maps inside a record, fields of records inside those maps, an entry of a
map variable, a constant entry of a map of records holding maps, a
process's record local."""

sort Thread
enum Phase: Idle, Busy

const WRITERS: set[Thread] = {Thread.w1, Thread.w2}
const SIZE: int = 3
const INDEXES: set[int] = 0..SIZE - 1

type Cell = record(owners: set[Thread], phase: Phase)
type Ring = record(slots: map[int, optional[int]], owners: map[int, set[Thread]],
                   cells: map[int, Cell], head: int)
type Book = record(seen: map[int, int], count: int)

var ring: Ring = record(slots={i: none for i in INDEXES}, owners={i: set() for i in INDEXES},
                        cells={i: record(owners=set(), phase=Phase.Idle) for i in INDEXES}, head=0)
var flags: map[int, bool] = {i: False for i in INDEXES}
var books: map[Thread, Book] = {w: record(seen={i: 0 for i in INDEXES}, count=0) for w in WRITERS}

action Claim(w in WRITERS):
    let i = ring.head % SIZE
    await w not in ring.owners[i] and ring.head < 3
    ring.owners[i] = ring.owners[i] | {w}
    ring.slots[i] = ring.head * 4           # 8 is outside 0..7 (the field without the pre-run)
    ring.cells[i].owners = ring.cells[i].owners | {w}
    ring.cells[i].phase = Phase.Busy
    ring.head = ring.head + 1
    flags[i] = not flags[i]

action Release(w in WRITERS):
    either:
        let i = (ring.head + 2) % SIZE
        await w in ring.owners[i]
        ring.owners[i] = ring.owners[i] - {w}
        ring.cells[i] = record(owners=ring.cells[i].owners - {w}, phase=Phase.Idle)
        books[w].seen[i] = (books[w].seen[i] + 1) % 2
    or:
        let j = (ring.head + 1) % SIZE
        await w in ring.owners[j]
        if books[w].count == 1:
            ring.owners[j] = ring.owners[j] - {w}
        else:
            ring.slots[j] = none
        books[w].count = (books[w].count + 1) % 2

process auditor:
    var tally: record(hits: map[int, bool], last: int) = record(hits={i: False for i in 0..1}, last=0)
    while True:
        look:
            await ring.head > tally.last
            tally.hits[ring.head % 2] = not tally.hits[ring.head % 2]
            tally.last = ring.head

invariant Small: ring.head <= 3

model small:
    check Small
    deadlock: ignore

model sym:
    symmetry: WRITERS
    check Small
    deadlock: ignore
'''

RING_DISTINCT = 2121

OUTSIDE_KEYS = '''spec RingKeys
type Ring = record(owners: map[int, set[int]], head: int)
var ring: Ring = record(owners={i: set() for i in 0..2}, head=0)
action Step:
    await ring.head < 5
    ring.owners[ring.head] = {ring.head}
    ring.head = ring.head + 1
model m:
    deadlock: ignore
'''


def _ring():
    return pyspec.load("ring_places.pyspec", text=RING)


@pytest.fixture(scope="module")
def ring_reference():
    spec = _ring()
    return without_action_pcs(spec, Reference(spec, "small").reachable())


def _slot(cm, key):
    return next(sl.index for sl in cm.slots if sl.key == key)


def test_a_write_to_an_entry_under_a_record_field_is_not_encoded_with_the_whole_value():
    """``ring.owners[i] = ...`` with ``i`` known at run time: the successor
    reuses the old bits of ``ring`` (a diff encoder given the old value),
    never the whole-record encoder; so do the record local ``tally`` and
    the constant entry ``books[w]`` (a record holding a map)."""
    cm = compile_model(_ring(), "small")
    src = cm.codegen.source
    steps = [b for b in src.split("\ndef ") if b.startswith("_st_fast_")]
    assert steps
    for key in ("ring", "auditor.tally"):
        k = _slot(cm, key)
        writes = [b for b in steps if re.search(rf"_[nm]{k}_\d+ = ", b)]
        assert writes, key
        for b in writes:
            assert f"_F{k}(" not in b and f"_E{k}[" not in b, b
            # the whole value, or its parts (record fields) one by one
            part = r"(\._d\['\w+'\])*"
            assert re.search(rf"_FD\d+\(_[nm]{k}_\d+{part}, _o{k}{part}, s\)", b), b
    b = _slot(cm, "books")
    assert any(re.search(rf"_FD\d+\(_[nm]{b}_\d+\._d\[\d+\]{part}, _o{b}\._d\[\d+\]{part}, s\)", st) for st in steps)


@pytest.mark.parametrize("prerun", [True, False])
def test_successors_are_those_of_the_checked_variant(prerun):
    """On every reachable state (twice: memo fills, then memo hits), the
    memoized successors (fast and labelled) are the checked variant's,
    which encodes whole values.  Without the pre-run most states hold an
    int outside its field (escaped: the slow path)."""
    cm = compile_model(_ring(), "small", prerun=prerun)
    res = explore(cm, Options())
    assert res.complete and res.distinct == RING_DISTINCT
    states = sorted(res.store.states())
    escaped = sum(1 for s in states if s >> cm.layout.bits)
    assert (escaped > 0) == (not prerun)
    # the twin for escaped states is generated when the first one is met
    assert ("esc" in cm.codegen._extra_done) == (escaped > 0)
    fast, lab, full = cm.next_fast, cm.next_lab, cm.next_full
    for _ in range(2):
        for s in states:
            a, b, c = [], [], []
            fast(s, a.append)
            lab(s, b.append)
            full(s, c.append)
            want = sorted(t for _, _, t in c)
            assert sorted(a) == want
            assert sorted(t for _, t in b) == want


@pytest.mark.parametrize("prerun", [True, False])
def test_search_reaches_the_reference_states(prerun, ring_reference):
    cm = compile_model(_ring(), "small", prerun=prerun)
    res = explore(cm, Options())
    assert {compiled_view(cm, s) for s in res.store.states()} == ring_reference


def test_symmetry_counts_the_reference_orbits(ring_reference):
    writers = [ModelValue("Thread", n) for n in ("w1", "w2")]
    perms = [dict(zip(writers, p)) for p in itertools.permutations(writers)]
    orbits = {min(tuple(sorted((k, format_value(rename(v, perm))) for k, v in st)) for perm in perms)
              for st in ring_reference}
    rep = check(_ring(), "sym", property="Small")
    assert rep.verdict == "ok"
    assert rep.distinct_states == len(orbits) < len(ring_reference)


def test_a_key_outside_the_map_is_the_located_error():
    rep = check(pyspec.load("ringkeys.pyspec", text=OUTSIDE_KEYS), "m")
    assert rep.verdict == "error"
    assert rep.message == "ringkeys.pyspec:6:5: assignment to m[3]: 3 is not a key of {0: {0}, 1: {1}, 2: {2}}"


# -- the diff encoder on its own


def _codec() -> ProductCodec:
    """record(cells: map[0..2, record(n: 0..3, tags: set[0..2])], slots: map[0..3, optional[0..7]])"""
    cell = ProductCodec([IntCodec(0, 3), SetCodec(IdentityCodec(3))], ["n", "tags"])
    return ProductCodec([MapCodec(IdentityCodec(3), cell), MapCodec(IntCodec(0, 3), OptionalCodec(IntCodec(0, 7)))],
                        ["cells", "slots"])


def _random_value(rng: random.Random):
    cells = {}
    for k in range(3):
        if rng.random() < 0.8:
            cells[k] = rec_own({"n": rng.randrange(4), "tags": frozenset(x for x in range(3) if rng.random() < 0.5)})
    slots = {k: rng.choice([NONE, *range(8)]) for k in range(4) if rng.random() < 0.8}
    return rec_own({"cells": fmap_own(cells), "slots": fmap_own(slots)})


def _variants(y, rng: random.Random):
    """Values built from ``y`` the way steps build them (sharing what they
    do not change), equal copies that share nothing, and values that do not
    fit the codec."""
    cells, slots = y._d["cells"], y._d["slots"]
    yield y
    yield _random_value(rng)
    yield _copy(y)
    for k in cells._d:
        c = cells._d[k]
        yield rec_put(y, "cells", map_put(cells, k, rec_put(c, "n", (c._d["n"] + 1) % 4)))
        yield rec_put(y, "cells", map_put(cells, k, rec_put(c, "tags", c._d["tags"] | {rng.randrange(3)})))
        yield rec_put(y, "cells", map_put(cells, k, rec_put(c, "n", 4)))  # outside 0..3
        rest = dict(cells._d)
        del rest[k]
        yield rec_put(y, "cells", fmap_own(rest))  # an entry less
    for k in slots._d:
        yield rec_put(y, "slots", map_put(slots, k, rng.randrange(8)))
        yield rec_put(y, "slots", map_put(slots, k, 9))  # outside 0..7
    more = dict(slots._d)
    more[7] = 1  # a key outside 0..3
    yield rec_put(y, "slots", fmap_own(more))
    missing = [k for k in range(4) if k not in slots._d]
    if missing:
        yield rec_put(y, "slots", fmap_own({**slots._d, missing[0]: 0}))  # an entry more
        if slots._d:  # as many entries, other keys
            other = {k: x for k, x in slots._d.items() if k != min(slots._d)}
            yield rec_put(y, "slots", fmap_own({**other, missing[0]: 0}))


def _copy(v):
    """An equal value sharing no composite part with ``v``."""
    if type(v) is Record:
        return rec_own({k: _copy(x) for k, x in v._d.items()})
    if isinstance(v, FMap):
        return fmap_own({k: _copy(x) for k, x in v._d.items()})
    return v


@pytest.mark.parametrize("off", [0, 5, 70])
def test_the_diff_encoding_is_the_whole_encoding(off):
    codec = _codec()
    diff = make_diff_encoder(codec, off)
    whole = make_value_encoder(codec)
    rng = random.Random(off)
    noise = ((1 << (off + codec.width + 40)) - 1) & ~(((1 << codec.width) - 1) << off)  # the other fields
    tried = refused = 0
    for _ in range(200):
        y = _random_value(rng)
        s = (whole(y) << off) | (rng.getrandbits(off + codec.width + 40) & noise)
        for x in _variants(y, rng):
            tried += 1
            try:
                want = whole(x) << off
            except KeyError:
                refused += 1
                with pytest.raises(KeyError):
                    diff(x, y, s)
                continue
            assert diff(x, y, s) == want
    assert tried > refused > 0
