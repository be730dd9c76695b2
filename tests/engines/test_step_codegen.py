"""The shape of the step code the compiler generates, and that it changes
no result.

A run of assignments to places of one variable (``node[self].leader = r;
node[self].bal = b; ...``) is one update in the unchecked variants: each
record and map on the way is copied once, not once per statement; the
checked variant keeps one update per statement.  A field of a variant value
is read without the checked read where the code runs only on values of a
case that has the field (after a test of the case, in an ``if``, a
``match``, an ``await``), and with it everywhere else.

Every spec here is compared with the reference interpreter
(tests/engines/refinterp.py): the same reachable states; and the unchecked
code (the search's) with the checked one: the same successors in the same
order, the same error at the same position.
"""

from __future__ import annotations

import re

import pytest
from refinterp import Reference, compiled_view, without_action_pcs

import pyspec
from pyspec.compile import compile_model
from pyspec.compile.runtime import EvalError
from pyspec.engines.embedded import check
from pyspec.engines.embedded.bfs import Options, explore


def load(name: str, text: str) -> pyspec.Spec:
    return pyspec.load(f"{name}.pyspec", text=text)


def states(cm) -> list[int]:
    """Every reachable state, by the checked successors."""
    seen = set(cm.initial_states())
    todo = list(seen)
    out = []
    while todo:
        s = todo.pop()
        out.append(s)
        for _, t in cm.successors(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return out


def agrees_with_reference(spec, model: str = "m") -> int:
    """The search (unchecked code) reaches the reference's states, and on
    each of them the unchecked successors are the checked ones, in order."""
    cm = compile_model(spec, model)
    res = explore(cm, Options())
    assert res.complete and res.error is None
    mine = {compiled_view(cm, s) for s in res.store.states()}
    assert mine == without_action_pcs(spec, Reference(spec, model).reachable())
    for s in states(cm):
        assert cm.next_states(s) == [t for _, t in cm.successors(s)]
    return res.distinct


def fast_source(cm) -> str:
    """The unchecked code of the steps, as the search runs it on states
    without an escape tail (each step once: a memoized step's function, or
    the step inline in ``_next_fast``)."""
    cm.next_fast  # noqa: B018 - generated with the model
    return "\n".join("def " + f for f in re.split(r"(?m)^def ", cm.codegen.core_source)
                     if f.startswith(("_st_fast_", "_next_fast(")))


def checked_source(cm) -> str:
    cm.next_full  # noqa: B018 - generate the checked variant
    src = cm.codegen.source
    return src[src.index("def _next_full("):]


def same_error_both_ways(cm) -> EvalError:
    """The first state (breadth first) whose successors fail, checked:
    the unchecked code fails there too, at the same position with the same
    message.  Returns the checked error."""
    seen = set(cm.initial_states())
    todo = sorted(seen)
    while todo:
        s = todo.pop(0)
        try:
            succ = cm.successors(s)
        except EvalError as e:
            with pytest.raises(EvalError) as fast:
                cm.next_states(s)
            assert (fast.value.where, fast.value.message) == (e.where, e.message)
            return e
        for _, t in succ:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    raise AssertionError("no error met")


# ---------------------------------------------------------------- runs of assignments

ONE_RUN = """\
spec OneRun
sort P
type R = record(leader: optional[P], bal: 0..3, known: 0..3, tries: 0..3)
var node: map[P, R] = {P.a: record(leader=none, bal=0, known=0, tries=0),
                       P.b: record(leader=none, bal=0, known=0, tries=0)}
process p:
    while True:
        s:
            any b in 1..3 if b > node[P.a].known:
                node[P.a].leader = P.a
                node[P.a].bal = 0
                node[P.a].known = b
                node[P.a].tries = (node[P.a].tries + 1) % 4
model m:
    deadlock: ignore
"""


def test_a_run_of_field_assignments_is_one_update():
    spec = load("onerun", ONE_RUN)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    # one copy of node and one of node[P.a], not one of each per statement
    assert "_mput(" not in fast and "_rput(" not in fast
    assert fast.count("._d.copy()") == 2
    assert fast.count("_mget(") == 1  # node[P.a] is there: checked once
    # the checked variant: one update per statement
    assert checked_source(cm).count("_rput(") == 4
    agrees_with_reference(spec)


RUNS = """\
spec Runs
sort P
const PS: set[P] = {P.a, P.b}
type R = record(a: 0..3, b: 0..3, c: bool, m: map[0..1, 0..3])
var node: map[P, R] = {p: record(a=0, b=0, c=False, m={0: 0, 1: 0}) for p in PS}
var k: 0..1 = 0
var turns: 0..3 = 0
var q: seq[0..3] = [0, 0]
process w(self in PS):
    var loc: record(x: 0..3, y: 0..3) = record(x=0, y=0)
    while True:
        s:
            await turns < 3
            turns = turns + 1
            either:
                # the second reads the place the first wrote: a new run
                node[self].a = (node[self].a + 1) % 4
                node[self].b = node[self].a
                node[self].c = not node[self].c
            or:
                # a constant key beside a key computed at run time (k may be 1)
                node[self].m[k] = node[self].b
                node[self].a = node[self].m[1]
            or:
                # a key reading a place the run wrote
                node[self].b = k
                node[self].m[node[self].b] = 3
            or:
                # values reading places the run did not write: one run
                node[self].a = node[self].b
                node[self].b = 3 - node[self].b
                node[self].c = node[self].m[0] > node[self].m[1]
            or:
                # another entry: for P.b, node[P.b].a was written
                node[self].a = 2
                node[P.a].b = node[P.b].a
            or:
                # keys that may or may not be equal
                k = 1 - k
                node[self].m[k] = 1
                node[self].m[1 - k] = 2
            or:
                # the same key expression: one entry
                any p in PS if node[p].a < 3:
                    node[p].a = node[p].a + 1
                    node[p].c = node[p].a == 0
                    node[p].m[0] = node[p].m[1]
            or:
                q[0] = (q[1] + 1) % 4
                q[1] = q[0]
            or:
                q[0] = 2
                q[1] = (q[0] + 1) % 4
            or:
                loc.x = (loc.y + 1) % 4
                loc.y = loc.x
            or:
                loc.y = (loc.x + 2) % 4
                loc.x = 1
model m:
    deadlock: ignore
"""


def test_runs_reach_the_reference_states():
    spec = load("runs", RUNS)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    # node[self].b = node[self].a reads the new a: after the update of line 17
    assert re.search(r"_n0_\d+ = _mput\(_o0, 0, _rput\(.*'a', _rv_\d+\), 'runs.pyspec:17:17'", fast)
    # node[self].m[node[self].b] = 3: its key reads the b just written
    assert re.search(r"_pk\d+ = _n0_\d+\._d\[0\]\._d\['b'\]", fast)
    # lines 30-32: one update (node[self] checked once)
    assert not re.search(r"_mput\([^\n]*runs\.pyspec:3[012]:", fast)
    assert re.search(r"_mget\(_o0, 0, 'runs\.pyspec:30:17', None\)", fast)
    assert re.search(r"_mget\(_o0, 1, 'runs\.pyspec:30:17', None\)", fast)
    # lines 35-36: one update for P.a; for P.b, line 36 reads the node[P.b].a line 35 wrote
    assert re.search(r"_mput\(_n0_\d+, 0, _rput\(_mget\(_n0_\d+, 0, 'runs\.pyspec:36:17'", fast)
    assert re.search(r"_mget\(_o0, 0, 'runs\.pyspec:35:17', None\)", fast)
    assert agrees_with_reference(spec) > 100


OVERLAP = """\
spec Overlap
type R = record(a: 0..3, b: 0..3)
var m: map[0..1, R] = {j: record(a=0, b=0) for j in 0..1}
var i: 0..1 = 1
var n: 0..2 = 0
process p:
    while True:
        s:
            await n < 2
            n = n + 1
            m[0].a = 1
            m[0].b = n
            m[i].a = 2
            i = 0
model m:
    deadlock: ignore
"""


def test_a_run_writing_one_place_twice_is_the_overlap_error():
    spec = load("overlap", OVERLAP)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    assert not re.search(r"_mput\([^\n]*overlap\.pyspec:1[12]:", fast)  # lines 11-12: one run
    e = same_error_both_ways(cm)
    assert e.where == "overlap.pyspec:13:13"
    assert e.message.startswith("the assignment to 'm[...].a' overlaps the assignment to 'm[...].a' at line 11")
    rep = check(spec, "m")
    assert rep.verdict == "error" and rep.message == f"{e.where}: {e.message}"


KEYS = """\
spec Keys
type R = record(a: 0..3, b: 0..3)
var m: map[int, R] = {0: record(a=0, b=0), 1: record(a=0, b=0)}
var f: map[int, 0..3] = {0: 0}
var x: 0..2 = 0
var y: 0..1 = 1
process p:
    while True:
        s:
            either:
                await x < 2
                x = x + 1
            or:
                await x == 2
                # node m[2] is missing (the first statement's error), and the
                # second's value fails too: the first error is the first's
                m[x].a = 1
                m[x].b = 3 // (y - 1)
model m1:
    deadlock: ignore
"""


def test_a_missing_key_in_a_run_is_the_first_statements_error():
    spec = load("keys", KEYS)
    e = same_error_both_ways(compile_model(spec, "m1"))
    assert e.where == "keys.pyspec:17:17"
    assert e.message.startswith("map applied outside its keys: 2 is not a key of")


LEAF_KEY = """\
spec LeafKey
var g: record(f: map[int, 0..3], n: 0..3) = record(f={0: 0, 1: 0}, n=0)
var x: 0..2 = 0
var y: 0..1 = 1
process p:
    while True:
        s:
            x = (x + 1) % 3
            g.f[x] = 3
            g.n = 3 // (y - 1) if x == 2 else x
model m:
    deadlock: ignore
"""


def test_a_missing_key_of_the_assigned_place_is_an_assignment_error():
    spec = load("leafkey", LEAF_KEY)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    assert "_mput(" in checked_source(cm) and "_mput(" not in fast.replace("_mput(_", "")  # one run
    # the key of the place assigned is checked after the value, before the next statement
    e = same_error_both_ways(cm)
    assert e.where == "leafkey.pyspec:9:13"
    assert e.message.startswith("assignment to m[2]: 2 is not a key of")


# ---------------------------------------------------------------- fields of variants

NARROW = """\
spec Narrow
variant Msg:
    A(x: 0..3)
    B(y: 0..3, x: 0..3)
    C(z: 0..3)
var msgs: set[Msg] = {Msg.A(x=0), Msg.B(y=1, x=2), Msg.C(z=3)}
var got: 0..3 = 0
var seen: seq[Msg] = []
process p:
    while True:
        s:
            either:
                any m in msgs if isinstance(m, Msg.C) and m.z > 0 and len(msgs) < 5:
                    msgs = msgs | {Msg.C(z=m.z - 1)}
            or:
                any m in msgs:
                    if isinstance(m, Msg.C):
                        got = m.z
                    elif not isinstance(m, Msg.A):
                        got = m.y
                    else:
                        got = 3 - m.x
            or:
                any m in msgs:
                    match m:
                        case Msg.B(y=v):
                            got = v
                        case Msg.C(z=v):
                            got = (v + m.z) % 4
                        case _:
                            pass
            or:
                await exists m in msgs: not isinstance(m, Msg.C) or m.z == 1
                got = len({m.z for m in msgs if isinstance(m, Msg.C)} | {m.x for m in msgs if not isinstance(m, Msg.C)}) % 4
            or:
                any m in msgs if (m.z if isinstance(m, Msg.C) else m.x) == got and m not in seen and len(seen) < 2:
                    seen = append(seen, m)
model m:
    deadlock: ignore
"""


def test_a_field_read_after_a_test_of_the_case_is_unchecked():
    spec = load("narrow", NARROW)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    # every field read is known to be there: after a test of the case,
    # in a branch of an if or a match, or a field of every case (x)
    assert "_rt.field(" not in fast
    assert "_rt.field(" in checked_source(cm)
    agrees_with_reference(spec)


NO_FIELD = """\
spec NoField
variant Msg:
    A(x: 0..3)
    B(y: 0..3)
var msgs: set[Msg] = {Msg.A(x=0)}
var got: 0..3 = 0
process p:
    while True:
        s:
            either:
                await isinstance(Msg.B(y=1), Msg.B) and len(msgs) == 1
                msgs = msgs | {Msg.B(y=1)}
            or:
                any m in msgs if isinstance(m, Msg.A) and m.x == got:
                    got = (m.x + 1) % 4
            or:
                any m in msgs if m.x == got:
                    got = 2
model m:
    deadlock: ignore
"""


def test_a_field_read_without_a_test_of_the_case_is_the_located_error():
    spec = load("nofield", NO_FIELD)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    # m.x of any Msg is checked; of a Msg.A, not
    assert re.findall(r"_rt\.field\(_b_m_\d+, 'x', '([^']*)'", fast) == ["nofield.pyspec:17:34"]
    e = same_error_both_ways(cm)
    assert (e.where, e.message) == ("nofield.pyspec:17:34", "Msg.B(y=1) has no field 'x'")
    rep = check(spec, "m")
    assert rep.verdict == "error" and rep.message == "nofield.pyspec:17:34: Msg.B(y=1) has no field 'x'"


FILTERED = """\
spec Filtered
variant Msg:
    A(x: 0..3)
    B(y: 0..3)
    C(y: 0..3, z: 0..3)
var msgs: set[Msg] = {Msg.A(x=0), Msg.B(y=1)}
var got: 0..3 = 0
def bs() -> set[Msg]: {m for m in msgs if isinstance(m, Msg.B)}
def ys() -> set[Msg]: {m for m in msgs if not isinstance(m, Msg.A) and m.y > 0}
process p:
    while True:
        s:
            either:
                await len(msgs) < 4
                msgs = msgs | {Msg.C(y=got, z=(got + 1) % 4), Msg.B(y=(got + 2) % 4)}
            or:
                any m in bs():
                    got = m.y
            or:
                let recent = {m for m in bs() if m.y >= got}
                await exists m in recent: m.y == 2
                got = len({m.y for m in recent}) % 4
            or:
                any m in {m for m in msgs if isinstance(m, Msg.C) and m.z > 0}:
                    got = (m.y + m.z) % 4
            or:
                any m in ys():
                    got = m.y
model m:
    deadlock: ignore
"""


def test_a_field_of_the_elements_of_a_filter_by_case_is_unchecked():
    """The elements of ``bs()`` (a def keeping one case), of a filter of it,
    of a let bound to one, of a comprehension testing the case, of
    ``ys()`` (every case but one, and all those have ``y``): their fields
    are read without a check."""
    spec = load("filtered", FILTERED)
    cm = compile_model(spec, "m")
    assert "_rt.field(" not in fast_source(cm)
    assert "_rt.field(" in checked_source(cm)
    agrees_with_reference(spec)


# ---------------------------------------------------------------- sets not built

SIZES = """\
spec Sizes
var q: seq[0..3] = [1, 1, 2]
var n: 0..3 = 0
def evens() -> set[int]: {x for x in q if x % 2 == 0}
process p:
    while True:
        s:
            either:
                await len(q) < 4
                q = append(q, (n + 1) % 4)
            or:
                await len(q) > 0
                q = tail(q)
            or:
                n = len({x // 2 for x in q}) % 4
            or:
                n = (len(evens()) + (1 if n in q else 0) + (1 if n not in {len(q), 3} else 0)) % 4
model m:
    deadlock: ignore
"""


def test_sizes_and_memberships_of_sets_never_built():
    spec = load("sizes", SIZES)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    # len of a comprehension (in a def too): the size of a set display over
    # the sequence itself, shared (a function of q alone: computed once per
    # value of q); `in` a sequence or a set of a few elements: no set
    assert "_frozenset(" not in fast
    sizes = [canon for canon in cm.codegen._shared_memos if canon.startswith("_len({")]
    assert len(sizes) == 2 and all(f"{cm.codegen._shared_memos[x]}.get_for(" in fast or
                                   f"{cm.codegen._shared_memos[x]}[" in fast for x in sizes)
    checked = checked_source(cm)
    # the checked code builds the sets, in place or in a shared lookup's fill
    # (pyspec/compile/shared.py: a comprehension over one state value)
    assert "_frozenset(" in checked or ".get_for(_o" in checked or re.search(r"_sh\d+\[_o", checked)
    agrees_with_reference(spec)


QUORUM_ANY = """\
spec Q
var votes: set[tuple[int, int]] = set()
var decided: 0..3 = 0
action Vote(b in 1..2, a in 0..2):
    await len(votes) < 4
    votes = votes | {(b, a)}
action Decide:
    any b in {1, 2}, q in {{0, 1}, {1, 2}, {0, 2}, {0, 1, 2}}:
        let M = {v for v in votes if v[0] == b and v[1] in q}
        await forall a in q: exists v in M: v[1] == a
        any v in M if v[1] == 0:
            decided = b
action Lower:
    any b in {1, 2} if b < decided:
        decided = b
model m:
    deadlock: ignore
"""


def test_any_over_a_constant_set_is_unrolled_when_its_body_iterates_with_it():
    """``any b in {1, 2}, q in QUORUMS`` whose body filters the state by b
    and q: one copy of the body per (b, q), each a constant, so the
    filters are shared expressions (no loop over the binders left); an
    ``any`` whose body does not iterate with its value stays a loop.  The
    successors are the reference's, in the same order."""
    spec = load("q", QUORUM_ANY)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    decide = fast[fast.index("def _st_fast_6"):]
    decide = decide[:decide.index("\ndef ", 1)]
    assert "for _b_b_" not in decide and "for _b_q_" not in decide, decide
    assert len(re.findall(r"_sh\d+\[_o0\]", decide)) >= 8, decide
    assert re.search(r"for _b_b_\d+ in", fast[fast.index("def _st_fast_7"):]), fast
    agrees_with_reference(spec)


KINDS = """\
spec K
variant Msg:
    Ping(n: 0..3)
    Pong(n: 0..3)
var msgs: set[Msg] = set()
var level: 0..3 = 0
action Send(i in 0..3):
    await len(msgs) < 3
    msgs = msgs | {Msg.Ping(n=i), Msg.Pong(n=(i + 1) % 4)}
action Hear:
    any m in msgs if isinstance(m, Msg.Ping) and m.n > level:
        level = m.n
action Count:
    let pongs = {m for m in msgs if isinstance(m, Msg.Pong) and m.n != level}
    await len(pongs) > 1 and level < 3
    level = level + 1
action Late:
    any m in msgs if m.n < level and isinstance(m, Msg.Pong):
        level = m.n
model m:
    deadlock: ignore
"""


def test_element_conditions_first_filter_the_set_once_per_value():
    """``any m in msgs if isinstance(m, Msg.Ping) and m.n > level``: the
    conjuncts that read only the element come first, so they become a
    shared filter of the message set (one per value of the set) and the rest
    meets only the pings; a conjunct of the element after one that reads the
    state stays where it is (each element meets them in the written order),
    and the checked variant keeps the plain loop."""
    spec = load("k", KINDS)
    cm = compile_model(spec, "m")
    fast = fast_source(cm)
    steps = dict(re.findall(r"def (_st_fast_\d+)\(s, _ap\):\n(.*?)(?=\ndef |\Z)", fast, re.S))
    hear, count, late = steps["_st_fast_4"], steps["_st_fast_5"], steps["_st_fast_6"]
    assert re.search(r"for _b_m_\d+ in _sh\d+\[_o0\] if", hear), hear
    assert re.search(r"for _b_m_\d+ in _sh\d+\[_o0\] if", count), count
    assert re.search(r"for _b_m_\d+ in _o0 if", late), late
    cm.successors(cm.initial_states()[0])  # the checked variant, generated on demand
    full = cm.codegen.source[cm.codegen.source.index("def _next_full"):]
    assert not re.search(r"in _sh\d+\[_o0\] if", full)
    agrees_with_reference(spec)
