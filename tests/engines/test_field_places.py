"""Memo keys at the grain of record fields.

A memoized step is a function of the bits it reads and writes (its memo
key).  A step that reads or updates ``r.f[i]`` of a record variable ``r``,
``i`` chosen at run time, reads the place ``r.f``: its key holds the bits
of ``r.f`` (and of what ``i`` reads), not the other fields of ``r``
(spec/corpus/disruptor_mpmc.pyspec: each step touches one of the ring
buffer's three maps, and keyed by the whole buffer they missed their memo
at almost every state).  Too narrow a key would hand a state the
successors of another: every reachable state's successors are checked
against the checked variant (no memo) twice, the second time from the
memo, and the search against the reference interpreter.

Nor is a value that every successor of the step assigns anew (``flag =
1`` on every path, ``marks[1] = ...``): its new bits do not depend on its
old ones, so they are written but not part of the key."""

from __future__ import annotations

import pytest
from engine_util import memo_matches_checked
from refinterp import Reference, compiled_view, without_action_pcs

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded.bfs import Options, explore

SPEC = '''spec FieldPlaces
type Pair = record(a: map[int, int], b: map[int, int], n: int, m: int)
type Box = record(inner: Pair, count: int)

var r: Pair = record(a={i: 0 for i in 0..2}, b={i: 0 for i in 0..2}, n=0, m=0)
var box: Box = record(inner=record(a={i: 0 for i in 0..1}, b={i: 0 for i in 0..1}, n=0, m=0), count=0)

macro flip_a(i: int):
    r.a[i] = (r.a[i] + 1) % 2

# reads r.n and r.a, writes r.a and r.n: never r.b, r.m
action StepA:
    let i = r.n % 3
    flip_a(i)
    r.n = (r.n + 1) % 3

# reads r.m and r.b (the key of r.b[...] is r.m), writes r.b and r.m
action StepB:
    r.b[r.m] = (r.b[r.m] + r.a[0]) % 2
    r.m = (r.m + 1) % 3

# r.a at a key read from r.n: r.a and r.n
action ReadA:
    await r.a[r.n % 3] == 1
    r.m = 0

var flag: 0..2 = 0
var marks: map[int, bool] = {i: False for i in 0..2}

# flag is assigned on every path (if/else merged, or split by an await):
# its old value is not read; on one path only: the other keeps it
action SetBoth:
    if r.n == 0:
        flag = 1
    else:
        flag = 2
    marks[1] = not marks[2]
action SetOne:
    if r.n == 0:
        flag = 1
action SetSplit:
    if r.n == 1:
        await r.m == 0
        flag = 0
    else:
        flag = 2

# a place two fields deep, its key chosen at run time
action Deep:
    box.inner.a[box.count % 2] = (box.inner.a[box.count % 2] + 1) % 2
    box.count = (box.count + 1) % 2

invariant Bounded: r.n < 3

model m:
    check Bounded
    deadlock: ignore
'''


def _spec():
    return pyspec.load("field_places.pyspec", text=SPEC)


def _steps(cm):
    """label -> (key mask, written mask) of the compiled engine's step functions."""
    cg = cm.codegen
    cg.compile_extra("steps")
    return {cg.actions[aid].label: (key, wm) for aid, _, _, key, wm, _ in cg.step_table}


def _bits(cm, var, *path):
    """The bits of a variable's place (without its escape flag: 0 in every
    state the memoized steps see)."""
    k = next(sl.index for sl in cm.slots if sl.key == var)
    if not path:
        sl = cm.slots[k]
        return (sl.mask << sl.off) & ~(int(sl.escapable) << sl.off)
    mask = cm.codegen._place_mask(k, path)
    assert mask is not None, path
    return mask


@pytest.fixture(scope="module")
def cm():
    return compile_model(_spec(), "m")


def test_a_step_is_keyed_by_the_fields_it_reads_and_writes(cm):
    steps = _steps(cm)
    a, b, n, m = (_bits(cm, "r", f) for f in "abnm")
    assert a | b | n | m == _bits(cm, "r")
    key, wm = steps["StepA"]
    assert key & (a | n) == a | n and key & (b | m) == 0
    assert wm & _bits(cm, "r") == a | n
    key, wm = steps["StepB"]
    # r.a[0] is read (a constant place of r.a), not the rest of r.a
    assert key & (b | m) == b | m and key & (a | n) == _bits(cm, "r", "a", 0)
    key, wm = steps["ReadA"]
    # r.m is assigned, never read: written, not part of the key
    assert key & (a | n | m) == a | n and key & b == 0 and wm & m == m


def test_what_every_successor_assigns_anew_is_not_read(cm):
    steps = _steps(cm)
    flag, n, m = _bits(cm, "flag"), _bits(cm, "r", "n"), _bits(cm, "r", "m")
    mark1, mark2 = _bits(cm, "marks", 1), _bits(cm, "marks", 2)
    key, wm = steps["SetBoth"]
    assert wm & flag == flag and key & flag == 0
    assert wm & _bits(cm, "marks") == mark1 and key & _bits(cm, "marks") == mark2
    key, wm = steps["SetOne"]
    assert wm & flag == flag and key & flag == flag  # the successor of r.n != 0 keeps flag
    key, wm = steps["SetSplit"]
    assert key & flag == 0 and key & (n | m) == n | m


def test_a_place_under_two_fields(cm):
    key, wm = _steps(cm)["Deep"]
    inner_a = _bits(cm, "box", "inner", "a")
    count = _bits(cm, "box", "count")
    assert key & _bits(cm, "box") == inner_a | count
    assert wm & _bits(cm, "box") == inner_a | count
    assert key & _bits(cm, "r") == 0


def test_successors_from_the_memo_are_those_of_the_checked_variant(cm):
    memo_matches_checked(cm)


def test_the_search_reaches_the_reference_states(cm):
    spec = _spec()
    want = without_action_pcs(spec, Reference(spec, "m").reachable())
    res = explore(compile_model(spec, "m"), Options())
    assert {compiled_view(cm, s) for s in res.store.states()} == want
