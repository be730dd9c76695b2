"""Memoized steps keyed by places: a step that reads and writes a map
variable only through constant keys (``m[i]`` in ``action Bump(i in P)``)
caches its successors under those digits of the packed map, not under the
whole map.  The search (which uses the memoized code) must still reach
exactly the reference interpreter's states, in every pattern where a step
sees more of the map than its places: the whole map read after a place is
written, another place read after a write, nested places, conditional
writes, a whole-map write."""

from __future__ import annotations

import pytest
from engine_util import load
from refinterp import Reference, compiled_view, without_action_pcs
from tlc_direct import jar_path, run_tlc

from pyspec.compile import compile_model
from pyspec.engines.embedded.bfs import Options, explore

PLACES_DISTINCT = 337  # TLC's count on the export


@pytest.mark.parametrize("spec_name,model", [("places", "small"), ("interned", "nosym"), ("counters", "big")])
def test_search_with_memoized_places_reaches_the_reference_states(spec_name, model):
    spec = load(spec_name)
    cm = compile_model(spec, model)
    res = explore(cm, Options())
    assert res.complete
    mine = {compiled_view(cm, s) for s in res.store.states()}
    ref = without_action_pcs(spec, Reference(spec, model).reachable())
    assert mine == ref


def test_a_step_on_its_own_entry_is_keyed_by_that_entry():
    """Bump(i) reads and writes m[i] and writes total: its cache holds one
    entry per value of m[i] (and total), however the other entries vary."""
    cm = compile_model(load("places"), "small")
    res = explore(cm, Options())
    assert res.distinct == PLACES_DISTINCT
    caches = [v for k, v in cm.ns.items() if k.startswith("_M") and isinstance(v, dict) and v]
    assert caches
    # with whole-map keys the largest cache would hold about as many entries
    # as there are distinct (m, grid, ...) combinations a step reads
    assert max(len(c) for c in caches) < PLACES_DISTINCT // 4


@pytest.mark.skipif(jar_path() is None, reason="TLC: TLA2TOOLS_JAR is not set")
def test_tlc_agrees_on_places():
    r = run_tlc(load("places"), "small")
    assert (r.verdict, r.distinct) == ("ok", PLACES_DISTINCT)


def test_a_step_writing_one_entry_encodes_that_entry_only():
    """The successor of Bump(i) splices the new m[i]'s code into the packed
    map (a value encoder applied to the entry), instead of encoding all of m."""
    import re

    cm = compile_model(load("places"), "small")
    m_slot = next(sl.index for sl in cm.slots if sl.key == "m")
    src = cm.codegen.source
    bump = [b for b in src.split("\ndef ") if "_st_fast_" in b.split("(")[0]]
    assert any(re.search(rf"_P\d+\(_n{m_slot}_\d+\._d\[", b) for b in bump)
