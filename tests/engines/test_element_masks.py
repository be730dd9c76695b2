"""Filters and quantifiers over an interned set evaluated per element, with
bit masks (pyspec/compile/masks.py); record literals met again are the same
object (ExpressionGen._record); the search runs without the cyclic garbage
collector (bfs.no_cyclic_gc).  Each gives the results of the plain code."""

from __future__ import annotations

import gc

import pytest

import pyspec
from pyspec.compile import compile_model, masks
from pyspec.compile.masks import ElementCondition, MaskedFilter, MaskedQuantifier, SetMasks
from pyspec.compile.runtime import BoundedMemo, IdentityMemo
from pyspec.compile.shared import element_form
from pyspec.engines.embedded import check_model
from pyspec.engines.embedded.bfs import Options, explore

# ---------------------------------------------------------------- shapes


def test_a_filter_of_the_value():
    assert element_form("_frozenset([_c1 for _c1 in _v if _c1._d['tag'] == 'A'])") == \
        ("filter", "", "_c1", ["_c1._d['tag'] == 'A'"])


def test_a_filter_of_a_filter_with_two_conditions():
    assert element_form("_frozenset([_c1 for _c1 in _sh7.get_for(_v) if _c1 > 1 if _c1 < 5])") == \
        ("filter", "_sh7", "_c1", ["_c1 > 1", "_c1 < 5"])


@pytest.mark.parametrize("fn", ["_any", "_all"])
def test_quantifiers(fn):
    assert element_form(f"{fn}((_c1 == 2 for _c1 in _sh3.get_for(_v) if _c1 > 0))") == \
        (fn[1:], "_sh3", "_c1", ["_c1 > 0"], "_c1 == 2")


@pytest.mark.parametrize("canon", [
    "_frozenset([_c1 + 1 for _c1 in _v])",                        # a map, not a filter
    "_frozenset([_c1 for _c1 in _v if _c1 in _v])",               # the condition reads the set
    "_any((_len(_v) > _c1 for _c1 in _v))",                       # the body reads the set
    "_any((_c1 == 1 for _c1 in _sh3.get_for(_v) if _sh4.get_for(_v)))",
    "_frozenset([_c1 for _c1 in _k1 if _c1 > 0])",                # not over the value
    "_any((_c1 == _c2 for _c1 in _v for _c2 in _v))",             # two loops
    "_frozenset([_c1 for (_c1, _c2) in _v if _c2])",              # a tuple pattern
    "_chosen(_next((_c1 for _c1 in _srt(_v) if _c1 > 0), _NOCHOICE), 'x')",
])
def test_other_shapes_are_not_masked(canon):
    assert element_form(canon) is None


# ---------------------------------------------------------------- the runtime


class _Table:
    """The part of an InternSetCodec that masks read: numbered elements."""

    tc = "I"  # the typecode of the numbers in a key

    def __init__(self):
        self.elems: list = []
        self.index: dict = {}

    def _key(self, v):
        from array import array

        nums = []
        for x in v:
            if x not in self.index:
                self.index[x] = len(self.elems)
                self.elems.append(x)
            nums.append(self.index[x])
        return array("I", sorted(nums)).tobytes()


def test_a_condition_is_evaluated_once_per_element():
    calls = []

    def even(x):
        calls.append(x)
        return x % 2 == 0

    m = SetMasks(_Table())
    f = MaskedFilter(m, None, [ElementCondition(even, m)], lambda v: frozenset(x for x in v if even(x)))
    assert f(frozenset({1, 2, 3, 4})) == {2, 4}
    assert f(frozenset({2, 3, 4, 5, 6})) == {2, 4, 6}
    assert f(frozenset({1, 6})) == {6}
    assert sorted(calls) == [1, 2, 3, 4, 5, 6]
    # an equal subset is one object
    assert f(frozenset({6, 7})) is f(frozenset({1, 6}))


def test_a_second_condition_only_where_the_first_holds():
    """``if isinstance(m, A) if m.a == 1``: the second condition is only
    evaluated on the elements the first keeps, as the plain code does."""
    seen = []

    def second(x):
        seen.append(x)
        return x[1] == 1

    m = SetMasks(_Table())
    f = MaskedFilter(m, None, [ElementCondition(lambda x: x[0] == "a", m), ElementCondition(second, m)], None)
    assert f(frozenset({("a", 1), ("b", 1), ("a", 2)})) == {("a", 1)}
    assert sorted(seen) == [("a", 1), ("a", 2)]


def test_a_failing_condition_runs_the_plain_code():
    def cond(x):
        return 10 // x > 1

    plain_calls = []

    def plain(v):
        plain_calls.append(v)
        return any(cond(x) for x in v)

    m = SetMasks(_Table())
    q = MaskedQuantifier("any", MaskedFilter(m, None, [], plain), ElementCondition(cond, m), plain)
    assert q(frozenset({1, 2})) is True and not plain_calls
    with pytest.raises(ZeroDivisionError):
        q(frozenset({0, 20}))  # no element decides before 0 fails: the plain code's error
    assert len(plain_calls) == 1


@pytest.mark.parametrize("kind,sets", [
    ("any", [set(), {1}, {2}, {1, 3}, {3, 4}]),
    ("all", [set(), {1}, {2}, {1, 3}, {3, 4}]),
])
def test_quantifiers_agree_with_python(kind, sets):
    def odd(x):
        return x % 2 == 1

    m = SetMasks(_Table())
    fn = any if kind == "any" else all
    q = MaskedQuantifier(kind, MaskedFilter(m, None, [], None), ElementCondition(odd, m), None)
    for s in sets:
        assert q(frozenset(s)) == fn(odd(x) for x in s), s


# ---------------------------------------------------------------- in a search

# (more than 64 possible messages: the set is interned, not a bitset field)
MSGS = """\
spec M
variant Msg:
    Req(n: 0..9)
    Ack(n: 0..9, who: 0..5)
var msgs: set[Msg] = set()
var done: bool = False
def reqs() -> set[Msg]: {m for m in msgs if isinstance(m, Msg.Req)}
def acks() -> set[Msg]: {m for m in msgs if isinstance(m, Msg.Ack)}
action Send(n in 0..3):
    await not exists m in reqs(): m.n == n
    msgs = msgs | {Msg.Req(n=n)}
action Answer(who in 0..1):
    any m in reqs() if forall a in acks(): a.n != m.n or a.who != who:
        msgs = msgs | {Msg.Ack(n=m.n, who=who)}
action Finish:
    await len({m for m in acks() if m.who == 1}) >= 2 and not done
    done = True
invariant FewAcks: len(acks()) < 9
model m:
    check FewAcks
    deadlock: ignore
"""

# `m.who` of a Req is an error; whether a quantifier meets it before an
# element that decides depends on the order (docs/semantics.md): masked or
# not, the engine gives what its plain code gives
FAILING = """\
spec F
variant Msg:
    Req(n: 0..70)
    Ack(n: 0..2, who: 0..1)
var msgs: set[Msg] = {Msg.Ack(n=0, who=1)}
action Send(n in 0..2):
    msgs = msgs | {Msg.Req(n=n)}
action Ack(n in 0..2):
    await exists m in msgs: m.who == 0
    msgs = msgs | {Msg.Ack(n=n, who=1)}
invariant T: True
model m:
    check T
    deadlock: ignore
"""


def _masked_fills(cm) -> list:
    cm.next_fast  # noqa: B018 - the step code, generated on demand
    ns = cm.codegen.ns
    return [v.fill for v in ns.values() if isinstance(v, (IdentityMemo, BoundedMemo))
            and isinstance(getattr(v, "fill", None), (MaskedFilter, MaskedQuantifier))]


def _reports(spec, model: str, masked: bool, monkeypatch) -> list:
    with monkeypatch.context() as mp:
        if not masked:
            mp.setattr(masks, "MASK_ELEMS_LIMIT", -1)  # every masked expression runs its plain code
        return [(r.verdict, r.distinct_states, r.message, [(st.label, st.params, st.state) for st in r.trace])
                for r in check_model(spec, model, engine="python")]


def test_the_message_filters_are_masked():
    spec = pyspec.load_with_diagnostics("m.pyspec", MSGS)[0]
    cm = compile_model(spec, "m")
    fills = _masked_fills(cm)
    assert any(isinstance(f, MaskedFilter) for f in fills)
    assert any(isinstance(f, MaskedQuantifier) for f in fills)


@pytest.mark.parametrize("text,name", [(MSGS, "m.pyspec"), (FAILING, "f.pyspec")])
def test_masked_and_plain_give_the_same_reports(text, name, monkeypatch):
    spec = pyspec.load_with_diagnostics(name, text)[0]
    assert _reports(spec, "m", True, monkeypatch) == _reports(spec, "m", False, monkeypatch)


def test_the_violation_and_its_trace_are_those_of_the_plain_code(monkeypatch):
    spec = pyspec.load_with_diagnostics("m.pyspec", MSGS.replace("len(acks()) < 9", "len(acks()) < 3"))[0]
    masked = _reports(spec, "m", True, monkeypatch)
    assert masked[0][0] == "violated" and len(masked[0][3]) >= 4
    assert masked == _reports(spec, "m", False, monkeypatch)


@pytest.mark.parametrize("model", ["original"])
def test_paxos_masked_and_plain(model, monkeypatch):
    spec = pyspec.load("spec/corpus/paxos.pyspec")
    assert _reports(spec, model, True, monkeypatch) == _reports(spec, model, False, monkeypatch)


# ---------------------------------------------------------------- records


def test_a_record_built_again_is_the_same_object():
    spec = pyspec.load_with_diagnostics("m.pyspec", MSGS)[0]
    cm = compile_model(spec, "m")
    src = cm.codegen.core_source
    assert "_rm" in src and "_rec({'n': _b_m" not in src
    r = explore(cm, Options(invariants=["FewAcks"], deadlock=False))
    assert r.distinct > 0
    codec = next(c for c in cm.layout.interns if hasattr(c, "elems"))
    # every message numbered once, and each one object: a Req(n=1) sent
    # from many states is the table's element itself
    assert len({id(x) for x in codec.elems}) == len(codec.elems) == len(set(codec.elems))


# ---------------------------------------------------------------- garbage collector


def test_no_cyclic_collector_during_a_search():
    spec = pyspec.load_with_diagnostics("m.pyspec", MSGS)[0]
    cm = compile_model(spec, "m")
    step = cm.next_fast
    enabled = []

    def spy(s, ap):
        enabled.append(gc.isenabled())
        step(s, ap)

    cm.next_fast = spy
    assert gc.isenabled()
    r = explore(cm, Options(invariants=["FewAcks"], deadlock=False))
    assert r.distinct > 100 and len(enabled) > 100 and not any(enabled)
    assert gc.isenabled()  # on again after the search
