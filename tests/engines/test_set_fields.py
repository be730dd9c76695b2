"""A message set in a state is used through its field, not built.

A set held in a table of sets (layout.InternSetCodec) is a code in its
field.  A step that sends a message (``msgs = msgs | {m}``) encodes the new
set from the old one's code and the message (InternSetCodec.code_with,
StepGen._gen_set_add); a shared expression of a slot's value (a filter of
the messages, a quantifier over them) is looked up by the slot's field
(Codegen.finish_lines); and a decode or set-add local that nothing reads
any more is dropped (codegen_base.drop_unread_locals).  A step that only
filters and extends the set never builds it.  Each gives the reference
interpreter's states and the checked code's successors.
"""

from __future__ import annotations

import random
import re

import pytest
from refinterp import Reference, compiled_view, without_action_pcs

import pyspec
from pyspec.compile import compile_model
from pyspec.compile.codegen_base import drop_unread_locals
from pyspec.compile.layout import InternSetCodec
from pyspec.engines.embedded.bfs import Options, explore

# more than 64 possible messages: the set is interned, not a bitset field
MSGS = """\
spec M
variant Msg:
    Req(n: 0..9)
    Ack(n: 0..9, who: 0..5)
var msgs: set[Msg] = set()
var sent: int = 0
def reqs() -> set[Msg]: {m for m in msgs if isinstance(m, Msg.Req)}
def acks() -> set[Msg]: {m for m in msgs if isinstance(m, Msg.Ack)}
action Send(n in 0..1):
    await not exists m in reqs(): m.n == n
    msgs = msgs | {Msg.Req(n=n)}
action Answer(who in 0..0):
    any m in reqs() if forall a in acks(): a.n != m.n or a.who != who:
        msgs = {Msg.Ack(n=m.n, who=who)} | msgs
action Pair:
    await len(reqs()) == 1
    msgs = msgs | {Msg.Req(n=8), Msg.Ack(n=8, who=0)}
action AckAll:
    await len(acks()) == 1
    msgs = msgs | {Msg.Ack(n=m.n, who=2) for m in reqs()}
action Count:
    # the new set read again in the step: it is built
    await sent < 2
    msgs = msgs | {Msg.Req(n=7)}
    sent = len(msgs) % 3
invariant FewAcks: len(acks()) < 9
model m:
    check FewAcks
    deadlock: ignore
"""


def _function(src: str, name: str) -> str:
    m = re.search(rf"^def {name}\(.*?(?=^def |\Z)", src, re.S | re.M)
    assert m, name
    return m.group(0)


@pytest.mark.parametrize("many", [False, True])
def test_the_code_of_the_set_with_new_elements(many):
    """code_with (one element) and code_union (a set of them) give the code
    of the union, on random sets of a table numbered as the search meets them."""
    codec = InternSetCodec("test")
    rnd = random.Random(11 if many else 7)
    sets = [frozenset()]
    for _ in range(3000):
        base = rnd.choice(sets)
        if many:
            xs = frozenset(rnd.randint(0, 80) for _ in range(rnd.randint(0, 4)))
            code = codec.code_union(codec.codes[base], xs)
        else:
            xs = frozenset({rnd.randint(0, 60)})
            code = codec.code_with(codec.codes[base], next(iter(xs)))
        assert code == codec.codes[base | xs]
        assert codec.dec(code) == base | xs
        sets.append(base | xs)
    assert codec.code_with(codec.codes[frozenset({3, 5})], 5) == codec.codes[frozenset({3, 5})]


def test_keys_widen_past_65536_elements_and_codes_stay():
    """A key holds 2 bytes per element number until the table numbers
    65,536 elements, then 4: every code keeps its set."""
    codec = InternSetCodec("test")
    rnd = random.Random(5)
    sets, codes = [frozenset()], {}
    for n in range(70_000):
        base = rnd.choice(sets[-50:]) if n % 3 else frozenset()
        s = base | {n}
        codes[s] = codec.code_with(codec.codes[base], n)
        sets.append(s)
        if n == 100:
            assert codec.tc == "H" and len(codec.keys[codes[s]]) == 2 * len(s)
    assert codec.tc == "I"
    for s, code in list(codes.items())[::97]:
        assert codec.codes[s] == code == codec.code_union(codec.codes[frozenset()], s)
        assert codec.dec(code) == s and len(codec.keys[code]) == 4 * len(s)


def test_an_equal_element_that_is_another_object_has_the_same_number():
    codec = InternSetCodec("test")
    first, again = (1, 2), tuple([1, 2])
    assert first == again and first is not again
    one = codec.code_with(codec.codes[frozenset()], first)
    assert codec.code_with(codec.codes[frozenset()], again) == one
    assert codec.code_union(one, [again]) == one
    assert codec.elems == [first]  # numbered once, the first object kept


def test_a_send_encodes_from_the_field_and_builds_no_set():
    spec = pyspec.load("m.pyspec", text=MSGS)
    cm = compile_model(spec, "m")
    cm.next_fast  # noqa: B018
    src = cm.codegen.source
    sends = [_function(src, n) for n in re.findall(r"^def (_st_fast_\d+)\(", src, re.M)]
    plain_sends = [b for b in sends if "_A0(" in b and "len(" not in b]
    assert plain_sends, src
    for body in plain_sends:
        # the filter of the messages by the field, the new set from the old code
        assert re.search(r"_sh\d+\[s(?: >> \d+)? & \d+\]", body), body
        assert "_o0 = _D0[" not in body, body
        assert "_E0[" not in body, body
    # two messages, and a set of them computed in the step: one union of codes
    assert re.search(r"_U0\(s & \d+, _k\d+\)", src) and re.search(r"_U0\(s & \d+, _e\d+\)", src), src
    # the step that reads the new set again builds it
    count = [b for b in sends if "% 3" in b]
    assert count and all("_o0 = _D0[" in b and "_A0(" in b for b in count), count


def test_the_states_are_the_reference_ones():
    spec = pyspec.load("m.pyspec", text=MSGS)
    cm = compile_model(spec, "m")
    res = explore(cm, Options())
    assert res.complete and res.error is None
    mine = {compiled_view(cm, s) for s in res.store.states()}
    assert mine == without_action_pcs(spec, Reference(spec, "m").reachable())
    for s in res.store.states():
        assert cm.next_states(s) == [t for _, t in cm.successors(s)]


def test_an_invariant_over_the_set_is_looked_up_by_the_field():
    spec = pyspec.load("m.pyspec", text=MSGS)
    cm = compile_model(spec, "m")
    inv = _function(cm.codegen.core_source, "_inv_0")
    assert re.search(r"_sh\d+\[s(?: >> \d+)? & \d+\]", inv) and "_D0[" not in inv, inv


# ---------------------------------------------------------------- dropping unread locals


def test_an_unread_decode_is_dropped_and_a_read_one_kept():
    lines = ["def f(s, _ap):",
             "    _o0 = _D0[s & 7]",
             "    _o1 = _D1[s >> 3 & 7]",
             "    _ap(_sh4[s & 7] + _o1)",
             "",
             "def g(s):",
             "    _o0 = _D0[s & 7]",
             "    return _o0"]
    assert drop_unread_locals(lines) == [lines[0], *lines[2:]]


def test_a_decode_goes_with_its_escape_fix():
    lines = ["def f(s, _ap):",
             "    _o2 = _D2[s & 7]",
             "    if _o2 is _ESC: _o2 = _read(s, 2)",
             "    _ap(s)"]
    assert drop_unread_locals(lines) == ["def f(s, _ap):", "    _ap(s)"]


def test_a_dropped_set_add_frees_the_decode_it_read():
    lines = ["def f(s, _ap):",
             "    _o0 = _D0[s & 7]",
             "    _n0_3 = (_o0 | _frozenset((_k1,)))",
             "    _ap(_A0(s & 7, _k1))"]
    assert drop_unread_locals(lines, {"_n0_3"}) == ["def f(s, _ap):", "    _ap(_A0(s & 7, _k1))"]
    # not named droppable: an assignment is kept (its value may fail)
    assert drop_unread_locals(lines) == lines


def test_a_block_left_empty_gets_a_pass():
    lines = ["def f(s, _ap):",
             "    if s:",
             "        _o0 = _D0[s & 7]",
             "    _ap(s)"]
    out = drop_unread_locals(lines)
    assert out == ["def f(s, _ap):", "    if s:", "        pass", "    _ap(s)"]
    compile("\n".join(out), "<test>", "exec")
