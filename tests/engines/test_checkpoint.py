"""Checkpoints: an interrupted run resumes from its checkpoint and reaches
the same final counts; Ctrl-C keeps the statistics so far."""

from __future__ import annotations

import pytest
from engine_util import InterruptAfter, load

from pyspec.compile import compile_model
from pyspec.engines.embedded.bfs import Options, explore
from pyspec.engines.embedded.checkpoint import CheckpointError, load_checkpoint


def test_recover_reaches_the_same_counts(tmp_path):
    cm = compile_model(load("counters"), "big")
    full = explore(cm, Options(invariants=["Fine"]))
    assert full.complete and full.distinct == 10_000
    cp = tmp_path / "run.ckpt"
    part = explore(cm, Options(invariants=["Fine"], checkpoint=str(cp), checkpoint_every=0,
                               progress=InterruptAfter(1)))
    assert part.stopped == "interrupted" and 0 < part.distinct < full.distinct  # statistics so far
    assert cp.exists()
    resumed = explore(cm, Options(invariants=["Fine"], recover=str(cp)))
    assert resumed.complete
    assert (resumed.distinct, resumed.depth) == (full.distinct, full.depth)
    assert resumed.store.states() == full.store.states()  # same states in the same order


def test_recover_keeps_violations_and_finds_the_same_shortest_one(tmp_path):
    cm = compile_model(load("counters"), "big")
    full = explore(cm, Options(invariants=["Fine", "NotAll9"]))
    cp = tmp_path / "run.ckpt"
    explore(cm, Options(invariants=["Fine", "NotAll9"], checkpoint=str(cp), checkpoint_every=0,
                        progress=InterruptAfter(1)))
    resumed = explore(cm, Options(invariants=["Fine", "NotAll9"], recover=str(cp)))
    assert resumed.violations["NotAll9"].depth == full.violations["NotAll9"].depth == 37
    assert resumed.distinct == full.distinct


def test_checkpoint_of_another_model_is_refused(tmp_path):
    cm = compile_model(load("counters"), "big")
    cp = tmp_path / "run.ckpt"
    explore(cm, Options(checkpoint=str(cp), checkpoint_every=0, progress=InterruptAfter(1)))
    other = compile_model(load("stmts"), "both")
    with pytest.raises(CheckpointError):
        load_checkpoint(str(cp), other)


@pytest.mark.parametrize("flush", [1000, 5])
@pytest.mark.parametrize("after", [1, 5, 10, 40])
def test_ctrl_c_with_successors_still_in_the_batch_loses_none(tmp_path, monkeypatch, after, flush):
    # small blocks, big batches: Ctrl-C comes while successors of expanded
    # states wait in the batch; the checkpoint's cursor goes back to them
    # (small batches: to the middle of a block, where the last batch was stored)
    from pyspec.engines.embedded import bfs

    monkeypatch.setattr(bfs, "BLOCK", 7)
    monkeypatch.setattr(bfs, "FLUSH", flush)
    cm = compile_model(load("counters"), "big")
    full = explore(cm, Options(invariants=["Fine"]))
    cp = tmp_path / "run.ckpt"
    part = explore(cm, Options(invariants=["Fine"], checkpoint=str(cp), checkpoint_every=1e9,
                               progress=InterruptAfter(after)))
    assert part.stopped == "interrupted" and part.queue > 0
    resumed = explore(cm, Options(invariants=["Fine"], recover=str(cp)))
    assert resumed.complete and resumed.store.states() == full.store.states()
    assert resumed.generated == full.generated
