"""Shared evaluation of iterating expressions (pyspec/compile/shared.py,
ExpressionGen.shared): an expression whose only free name is one decoded
state value is computed once per value, for every step and state that
reads it; the results are those of evaluating it in place."""

from __future__ import annotations

import re

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.compile.shared import canonical, is_lookup
from pyspec.engines.embedded import check, check_model
from pyspec.engines.embedded.bfs import Options, explore


def _glob(name: str) -> bool:
    return name in {"_frozenset", "_any", "_all", "_rt", "_k1", "_srt", "_len"}


def test_one_decoded_value_and_globals_is_shared():
    got = canonical("_frozenset(_b_x_3 for _b_x_3 in _o0 if _b_x_3 > _k1)", _glob)
    assert got == ("_frozenset((_c1 for _c1 in _v if _c1 > _k1))", "_o0")


def test_equal_up_to_bound_names_is_one_canonical_form():
    a = canonical("_any(_b_m_10 == 2 for _b_m_10 in _x4)", _glob)
    b = canonical("_any(_b_m_77 == 2 for _b_m_77 in _o4)", _glob)
    assert a[0] == b[0] and (a[1], b[1]) == ("_x4", "_o4")


@pytest.mark.parametrize("src", [
    "_any(_b_m == _b_b_5 for _b_m in _o0)",     # a step's loop variable
    "_any(_b_m in _o1 for _b_m in _o0)",        # two state values
    "_any(_b_m == s for _b_m in _o0)",          # the packed state itself
    "_any(_b_m == 1 for _b_m in _l_M_3())",     # a let's local
    "_frozenset(_b_m for _b_m in _n0_4)",       # a value the step computed
    "_any(_k1 for _b_m in _k1)",                # nothing of the state
])
def test_anything_else_is_not_shared(src):
    assert canonical(src, _glob) is None


def test_lookup_form():
    assert is_lookup("_sh12.get_for(_o3)") and is_lookup("_sh12[_o3]")
    assert not is_lookup("_sh12.get_for(_o3) and x") and not is_lookup("_sh12[_o3] + 1")


SPEC = """\
spec S
var xs: set[int] = {1, 2}
var n: 0..5 = 0
def evens() -> set[int]: {x for x in xs if x % 2 == 0}
action Grow(i in 1..4):
    await len(xs) < 5
    await i not in evens()
    xs = xs | {len(xs) + i}
action Count(i in 1..4):
    await i in evens() and n < 5
    n = n + 1
invariant Small: len(evens()) <= 4
model m:
    check Small
    deadlock: ignore
"""


def test_a_def_read_by_many_step_instances_is_one_memo():
    spec = pyspec.load_with_diagnostics("s.pyspec", SPEC)[0]
    cm = compile_model(spec, "m")
    src = cm.codegen.core_source
    steps, invariant = src.split("\ndef _inv_0")
    # (xs is a set: its memos are keyed by the value, _sh5[_o0])
    shared = set(re.findall(r"(_sh\d+)\[_o0\]", steps))
    # evens() in the 8 step instances: one memo
    assert len(shared) == 1, src
    # the invariant's len(evens()) is the size of a set display, shared too
    # (the set itself is not built)
    assert re.search(r"_sh\d+\[_o0\]", invariant) and shared.pop() not in invariant


def test_shared_results_are_those_in_place():
    """The same states, counts and verdicts as the reference reading: the
    model has a state space small enough to enumerate by hand."""
    spec = pyspec.load_with_diagnostics("s.pyspec", SPEC)[0]
    reports = check_model(spec, "m", engine="python")
    assert [r.verdict for r in reports] == ["ok"]
    # xs grows by len(xs) + i with i odd-or-absent... the reference count:
    from refinterp import Reference

    ref = Reference(spec, "m")
    assert reports[0].distinct_states == len(ref.reachable())


FAILING = """\
spec F
var xs: set[int] = {1, 2}
var k: 0..3 = 0
action Step:
    either:
        await k == 3
        let big = choose x in xs: x > 5
        k = big % 3
    or:
        await k < 3
        k = k + 1
invariant T: k <= 3
model m:
    check T
    deadlock: ignore
"""


def test_a_shared_let_that_would_fail_fails_only_where_it_is_used():
    """``choose`` over no element fails; shared or not, the let is only
    evaluated on the branch that reads it (TLA+'s LET), so the error is
    met at k == 3, with its position."""
    spec = pyspec.load_with_diagnostics("f.pyspec", FAILING)[0]
    r = check(spec, "m", engine="python")
    assert r.verdict == "error"
    assert r.message.startswith("f.pyspec:7:19: choose found no element") and len(r.trace) == 4


TWO_TYPES = """\
spec T
var ints: set[int] = {1}
var bools: set[bool] = {True}
var seen_i: set[int] = set()
var seen_b: set[bool] = set()
action CopyInts:
    seen_i = {x for x in ints if x == x}
action CopyBools:
    seen_b = {x for x in bools if x == x}
action Flip:
    await len(ints) < 3
    ints = ints | {len(ints) - 1}
    bools = bools | {len(bools) == 1}
model m:
    deadlock: ignore
"""


def test_a_memo_keyed_by_value_holds_one_type():
    """A set's shared expressions are looked up by the value (``_sh[_o0]``)
    or by its field (``_sh[s >> 5 & 3]``), one memo per type: {1} and
    {True} are equal in Python, and a result computed for one must not be
    handed to the other."""
    spec = pyspec.load_with_diagnostics("t.pyspec", TWO_TYPES)[0]
    cm = compile_model(spec, "m")
    src = cm.codegen.core_source
    memos = set(re.findall(r"(_sh\d+)\[(?:_o[01]|s(?: >> \d+)? & \d+)\]", src))
    assert len(memos) == 2, src  # the same source over the two variables
    from refinterp import Reference

    reports = check_model(spec, "m", engine="python")
    assert reports[0].distinct_states == len(Reference(spec, "m").reachable())


@pytest.mark.parametrize("src,safe", [
    ("_frozenset([_b_m for _b_m in _sh3[_o0] if _b_m._d['ballot'] == _b_b_1])", True),
    ("(_l_seq_1 % 4) + _len(_o2) - 1", True),
    ("_any((_b_m._d['acceptor'] == 0) for _b_m in _l_M_5)", True),
    ("_o1._d[0]", False),                 # a map's entry: may be absent
    ("_o1._d[_l_i_3]._d['x']", False),
    ("_l_next_3() % 4", False),           # a local computed on first use: may fail
    ("_l_seq_1 % _l_n_2", False),         # division by what may be 0
    ("_l_seq_1 // 0", False),
    ("_rt.field(_b_m, 'x', 'w', None)", False),
    ("_sh9[_o0] + 1", False),             # a shared expression that may fail
    ("_sh3.get_for(_o0)", True),
])
def test_what_cannot_fail(src, safe):
    from pyspec.compile.shared import cannot_fail

    memos = {"_sh3": "_frozenset([_c1 for _c1 in _v if _c1._d['tag'] == 'B'])", "_sh9": "_v._d[3]"}
    assert cannot_fail(src, memos.get) is safe


LAZY = """\
spec L
var m: map[int, int] = {0: 1}
var n: 0..3 = 0
action Step:
    let big = m[n]                  # fails when n is not a key: only where read
    let small = (n + 1) % 4         # cannot fail: computed where it stands
    if n == 0:
        n = (big + small) % 4
    else:
        n = small
model m:
    deadlock: ignore
"""


def test_a_let_that_may_fail_stays_lazy():
    spec = pyspec.load_with_diagnostics("l.pyspec", LAZY)[0]
    cm = compile_model(spec, "m")
    cm.next_fast  # noqa: B018
    src = cm.codegen.core_source
    assert re.search(r"_l_big_\d+ = _lazy\(", src) and re.search(r"_l_small_\d+ = \(", src)
    reports = check_model(spec, "m", engine="python")
    assert [r.verdict for r in reports] == ["ok"] and reports[0].distinct_states == 3  # n: 0, 2, 3


@pytest.mark.parametrize("canon,expect", [
    ("_all((_c1._d['ballot'] != 0 for _c1 in _sh97[_v]))", ("_all((_c1._d['ballot'] != 0 for _c1 in _v))", "_sh97")),
    ("_len(_sh3[_v]) + _len(_sh3[_v])", ("_len(_v) + _len(_v)", "_sh3")),
    ("_frozenset([_c1 for _c1 in _v if _c1 in _sh3[_v]])", None),  # the value itself too
    ("_sh3[_v] | _sh4[_v]", None),                                   # two results
    ("_sh3.get_for(_v)", None),                                      # keyed by identity: no value to key by
    ("_len(_v)", None),
])
def test_what_is_keyed_by_another_shared_result(canon, expect):
    from pyspec.compile.shared import through_lookup

    assert through_lookup(canon) == expect


def test_nested_lookup_form():
    assert is_lookup("_sh12[_sh3[_o0]]") and is_lookup("_sh12[_sh3.get_for(_o0)]")
    assert not is_lookup("_sh12[_sh3[_o0]] + 1") and not is_lookup("_sh12[_sh3[_o0]")


MESSAGES = """\
spec M
var msgs: set[int] = set()
def low() -> set[int]: {m for m in msgs if m < 3}
action Send(i in 0..5):
    await len(msgs) < 4
    msgs = msgs | {i}
invariant Ordered: forall x in low(): exists y in low(): y <= x
model m:
    check Ordered
    deadlock: ignore
"""


def test_an_expression_of_a_shared_result_is_keyed_by_that_result():
    """``forall x in low(): ...`` reads the message set only through
    ``low()``: its memo is keyed by ``low()``'s value, so it is computed
    once per set of low messages (8), not once per message set (57)."""
    spec = pyspec.load_with_diagnostics("m.pyspec", MESSAGES)[0]
    from refinterp import Reference

    res = check_model(spec, "m", engine="python")
    assert res[0].verdict == "ok" and res[0].distinct_states == len(Reference(spec, "m").reachable())
    cm = compile_model(spec, "m")
    explore(cm, Options(invariants=["Ordered"]))
    src = cm.codegen.core_source
    found = re.search(r"(_sh\d+)\[(_sh\d+)\[_o0\]\]", src)
    assert found, src
    outer, inner = (cm.codegen.ns[n] for n in found.groups())
    assert len(outer) == 8 and len(inner) == 57
