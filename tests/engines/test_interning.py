"""Interned values (pyspec.compile.layout.InternCodec): a set of records, a
map over a large key domain or a set of sets is numbered in the order met,
so a state is a few fixed-width codes and never a serialised tail.  The
numbering is per process: checkpoints carry the tables, the parallel search
falls back to one process, and symmetry compares interned codes last.
Counts are checked against the naive reference interpreter (value level,
orbits computed here) and against TLC when TLA2TOOLS_JAR is set."""

from __future__ import annotations

import itertools

import pytest
from engine_util import InterruptAfter, load, rename
from refinterp import Reference
from tlc_direct import jar_path, run_tlc

from pyspec.compile import compile_model
from pyspec.engines.embedded import check
from pyspec.engines.embedded.bfs import Options, explore
from pyspec.engines.embedded.checkpoint import CheckpointError, load_checkpoint
from pyspec.values import sort_key

#: distinct states of each model of interned.pyspec (TLC's counts)
COUNTS = {"plain": 19_262, "nosym": 3_183, "sym": 551}


def test_large_values_are_interned_and_states_have_no_tail():
    cm = compile_model(load("interned"), "plain")
    kinds = {(sl.key, type(sl.codec).__name__) for sl in cm.slots}
    for key in ("msgs", "groups", "node.seen"):
        assert (key, "InternSetCodec") in kinds
    assert ("table", "InternCodec") in kinds
    # one table per type: every instance's `seen` shares msgs' table
    seen_codecs = {id(sl.codec) for sl in cm.slots if sl.key in ("msgs", "node.seen")}
    assert len(seen_codecs) == 1
    res = explore(cm, Options(invariants=["Bounded"]))
    assert res.complete and res.distinct == COUNTS["plain"]
    assert all(s >> cm.layout.bits == 0 for s in res.store.states())


def test_sets_are_stored_as_element_numbers():
    """A set is the bytes of its sorted element numbers (2 bytes each in a
    table of fewer than 65,536 elements); every element is held once per
    set type, whatever the number of sets holding it."""
    cm = compile_model(load("interned"), "plain")
    explore(cm, Options())
    msgs = next(sl.codec for sl in cm.slots if sl.key == "msgs")
    assert msgs.size() > 50 and len(msgs.elems) < msgs.size()
    assert msgs.tc == "H"
    assert len(set(msgs.keys)) == msgs.size()  # one code per set
    for c in range(msgs.size()):
        assert type(msgs.keys[c]) is bytes and len(msgs.keys[c]) == 2 * len(msgs.dec(c))
        assert list(msgs.numbers(c)) == sorted(msgs.elems.index(x) for x in msgs.dec(c))
        assert msgs.codes[msgs.dec(c)] == c  # decode, then encode: the same code


def test_reachable_values_match_the_reference_interpreter():
    spec = load("interned")
    cm = compile_model(spec, "nosym")
    res = explore(cm, Options())
    mine = {tuple(sorted(cm.to_values(s).items())) for s in res.store.states()}
    ref = Reference(spec, "nosym").reachable()
    assert len(mine) == len(ref) == COUNTS["nosym"]
    assert {tuple(sorted(dict(r).items())) for r in ref} == mine


def test_symmetry_counts_the_orbits_of_the_reference_states():
    spec = load("interned")
    ref_states = Reference(spec, "nosym").reachable()
    nodes = sorted({x for st in ref_states for k, v in st if k == "node.pc" for x in v}, key=sort_key)
    perms = [dict(zip(nodes, p)) for p in itertools.permutations(nodes)]
    orbits = {min(sort_key(rename(st, p)) for p in perms) for st in ref_states}
    res = check(spec, "sym")
    assert res.verdict == "ok"
    assert res.distinct_states == len(orbits) == COUNTS["sym"]


def test_recover_restores_the_tables_in_a_fresh_process(tmp_path):
    full = explore(compile_model(load("interned"), "plain"), Options(invariants=["SeenOwn"]))
    cp = tmp_path / "run.ckpt"
    part = explore(compile_model(load("interned"), "plain"),
                   Options(invariants=["SeenOwn"], checkpoint=str(cp), checkpoint_every=0,
                           progress=InterruptAfter(2)))
    assert part.stopped == "interrupted" and part.distinct < full.distinct
    fresh = compile_model(load("interned"), "plain")  # tables hold only what compiling numbered
    before = [c.size() for c in fresh.layout.interns]
    resumed = explore(fresh, Options(invariants=["SeenOwn"], recover=str(cp)))
    assert resumed.complete and resumed.distinct == full.distinct == COUNTS["plain"]
    assert [c.size() for c in fresh.layout.interns] > before
    assert [fresh.to_values(s) for s in resumed.store.states()[:2000]] == \
        [fresh.to_values(s) for s in full.store.states()[:2000]]


def test_a_checkpoint_with_damaged_tables_is_refused(tmp_path):
    cp = tmp_path / "run.ckpt"
    explore(compile_model(load("interned"), "plain"),
            Options(checkpoint=str(cp), checkpoint_every=0, progress=InterruptAfter(2)))
    blob = cp.read_bytes()
    cp.write_bytes(blob[:-3] + b"\xff\xff\xff")  # the last interned value
    with pytest.raises(CheckpointError):
        load_checkpoint(str(cp), compile_model(load("interned"), "plain"))


def test_workers_fall_back_to_one_process_with_a_note(capsys):
    res = check(load("interned"), "plain", workers=2, engine="python")
    assert res.verdict == "ok" and res.distinct_states == COUNTS["plain"]
    assert "--workers 2 ignored" in capsys.readouterr().err


@pytest.mark.skipif(jar_path() is None, reason="TLC: TLA2TOOLS_JAR is not set")
@pytest.mark.parametrize("model", sorted(COUNTS))
def test_tlc_agrees(model):
    r = run_tlc(load("interned"), model)
    assert (r.verdict, r.distinct) == ("ok", COUNTS[model])


def test_no_prerun_when_no_width_depends_on_it(monkeypatch):
    """The pre-run fits the widths of ints without declared ranges and of
    sequences; ints inside interned values need none, so a model whose
    other ints are all declared (Paxos) compiles without a pre-run."""
    from pathlib import Path

    import pyspec
    import pyspec.compile.model as model

    calls = []
    real = model._prerun_bfs
    monkeypatch.setattr(model, "_prerun_bfs", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setenv("PYSPEC_NO_CACHE", "1")  # a pre-run's widths cached by an earlier run: no pre-run
    root = Path(__file__).resolve().parents[2]
    cm = compile_model(pyspec.load(str(root / "spec/corpus/paxos.pyspec")), "original")
    assert not calls and not cm.codegen.domains.seeded
    compile_model(load("places"), "small")  # total: int without a declared range
    assert calls
