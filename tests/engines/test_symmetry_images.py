"""The generated canonicalisation (per-permutation tables, maps over a
permuted sort imaged digit by digit, interned sets permuted as element
numbers) picks exactly the representative that the value-level definition
gives: every permutation applied to the decoded values and packed again,
the least image in the non-interned slots, ties broken by the interned
codes (pyspec/engines/embedded/symmetry.py).  Checked on the states of the
unreduced graph, so that non-canonical states (the ones the search hands
to it) are covered."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_util import load

import pyspec
from pyspec.compile import compile_model
from pyspec.compile.layout import InternCodec
from pyspec.engines.embedded.symmetry import Symmetry

ROOT = Path(__file__).resolve().parents[2]

TWO_SORTS = '''spec Two
sort A
sort B
const AS: set[A] = {A.a1, A.a2}
const BS: set[B] = {B.b1, B.b2, B.b3}
var owner: map[B, optional[A]] = {b: none for b in BS}
var seen: map[A, set[B]] = {a: set() for a in AS}
process p(self in AS):
    run:
        any b in BS if owner[b] == none:
            owner[b] = self
            seen[self] = seen[self] | {b}
model sym:
    symmetry: AS, BS
    deadlock: ignore
'''


def _reference(sym: Symmetry, s: int) -> int:
    """The least image by the value-level definition."""
    imask = 0
    for sl in sym.interned:
        imask |= sl.mask << sl.off
    images = [s] + [sym.apply(s, perm, pm) for perm, pm in zip(sym.perms, sym.permuters)]
    return min(images, key=lambda t: (t & ~imask, t))


def _states(cm, limit: int) -> list[int]:
    """Up to ``limit`` states of the unreduced graph, breadth first."""
    seen = list(dict.fromkeys(cm.initial_states()))
    known = set(seen)
    i = 0
    while i < len(seen) and len(seen) < limit:
        for t in cm.next_states(seen[i]):
            if t not in known:
                known.add(t)
                seen.append(t)
        i += 1
    return seen[:limit]


@pytest.mark.parametrize("spec_name, model, limit", [
    (str(ROOT / "spec/corpus/multi_paxos.pyspec"), "one_write", 3000),
    (str(ROOT / "spec/corpus/paxos.pyspec"), "original", 2000),
    ("interned", "sym", 2000),
    ("symmetry", "sym", 2000),
    ("two_sorts", "sym", 2000),
])
def test_fast_canonical_form_is_the_least_image(spec_name, model, limit):
    spec = pyspec.load("two.pyspec", text=TWO_SORTS) if spec_name == "two_sorts" else load(spec_name)
    cm = compile_model(spec, model)
    sym = Symmetry(cm)
    states = _states(cm, limit)
    assert len(states) > 10
    reduced = set()
    for s in states:
        fast = sym.canonical(s)  # first: it numbers the interned images it needs
        assert fast == _reference(sym, s)
        assert sym.canonical(fast) == fast
        reduced.add(fast)
    assert len(reduced) < len(states)
    if spec_name in ("interned",) or "corpus" in spec_name:
        assert any(isinstance(sl.codec, InternCodec) for sl in sym.interned)
