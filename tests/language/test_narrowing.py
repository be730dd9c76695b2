"""Optional narrowing: where a condition says an optional name is not none
(`if x != none:`, `await x != none`, `x != none and ...`, `... if x != none
else ...`, `x == none or ...`), the name has the inner type; an assignment
of the name, the end of the branch or of the block ends it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

HEAD = """\
spec Narrow
sort Node
const NODES: set[Node] = {Node.a, Node.b}
var leader: optional[Node] = none
var votes: map[Node, int] = {n: 0 for n in NODES}
def score(n: Node) -> int: votes[n] + 1
action Elect(n in NODES):
    await leader == none
    leader = n
"""
TAIL = """
model m:
    deadlock: ignore
"""
SPEC = HEAD + """\
action Vote:
    await leader != none
    votes[leader] = votes[leader] + score(leader)
    await votes[leader] < 3
action Reset:
    if leader != none and score(leader) > 2:
        leader = none
    elif leader == none or score(leader) < 0:
        pass
invariant Bounded: leader == none or votes[leader] <= 3
invariant Both: (score(leader) if leader != none else 0) >= 0
model m:
    check Bounded
    check Both
    deadlock: ignore
"""


def errors(body: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("narrow.pyspec", HEAD + body + TAIL)
    return [d.message for d in diags.errors]


def test_narrowed_names_have_the_inner_type():
    spec = pyspec.load("narrow.pyspec", text=SPEC)
    r = check(spec, "m", property="Bounded")
    assert (r.verdict, r.distinct_states) == ("ok", 5)  # TLC on the export: 5


@pytest.mark.parametrize("body", [
    "action V:\n    votes[Node.a] = score(leader)\n",                                  # no test
    "action V:\n    await leader != none\n    leader = none\n    votes[Node.a] = score(leader)\n",  # assigned
    "action V:\n    if leader != none:\n        pass\n    votes[Node.a] = score(leader)\n",   # after the if
    "action V:\n    either:\n        await leader != none\n    or:\n        votes[Node.a] = score(leader)\n",
    "action V:\n    if leader == none:\n        votes[Node.a] = score(leader)\n",      # the wrong branch
    "invariant I: leader != none or score(leader) > 0\n",                            # or: the other way
])
def test_where_nothing_is_known_an_optional_stays_optional(body):
    assert any("score" in e and "optional[Node]" in e for e in errors(body)), errors(body)


@pytest.mark.parametrize("body", [
    "action V:\n    if leader == none:\n        pass\n    else:\n        votes[Node.a] = score(leader)\n",
    "action V:\n    if leader == none:\n        pass\n    elif score(leader) > 1:\n        pass\n",
    "invariant I: leader == none or score(leader) > 0\n",
    "invariant I: not (leader == none) implies score(leader) > 0\n",
])
def test_what_a_false_condition_tells_is_known_too(body):
    assert errors(body) == []


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
def test_tlc_agrees():
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(pyspec.load("narrow.pyspec", text=SPEC), "m", resolve(jar_path()))
    assert not problems, "\n".join(problems)


def test_an_assert_narrows_what_follows():
    assert errors("action V:\n    assert leader != none, \"elected\"\n    votes[Node.a] = score(leader)\n") == []
