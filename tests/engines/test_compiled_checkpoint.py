"""Checkpoints of the compiled engine: written in the Python engine's format
at level boundaries (every ``checkpoint_every`` seconds and on Ctrl-C), so
that either engine resumes either engine's checkpoint and reaches the
counts, states, order and violations of an uninterrupted search."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_util import InterruptAfter, load

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded.bfs import Options
from pyspec.engines.embedded.bfs import explore as python_explore
from pyspec.engines.embedded.checkpoint import CheckpointError, load_checkpoint

pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")

from pyspec.engines.compiled.search import explore as compiled_explore  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ENGINES = {"python": python_explore, "compiled": compiled_explore}


def _summary(r):
    return r.complete, r.distinct, r.generated, r.depth, r.store.states()


@pytest.fixture(scope="module")
def counters():
    cm = compile_model(load("counters"), "big")
    return cm, python_explore(cm, Options(invariants=["Fine", "NotAll9"]))


@pytest.mark.parametrize("after", [1, 3, 8])
@pytest.mark.parametrize("resume_with", ["python", "compiled"])
def test_a_compiled_checkpoint_resumes_in_either_engine(tmp_path, counters, after, resume_with):
    cm, full = counters
    cp = tmp_path / "run.ckpt"
    part = compiled_explore(cm, Options(invariants=["Fine", "NotAll9"], checkpoint=str(cp), checkpoint_every=0,
                                        progress=InterruptAfter(after)))
    assert part.stopped == "interrupted" and cp.exists()
    assert 0 < load_checkpoint(str(cp), cm).cursor < full.distinct
    resumed = ENGINES[resume_with](cm, Options(invariants=["Fine", "NotAll9"], recover=str(cp)))
    assert _summary(resumed) == _summary(full)
    assert resumed.violations["NotAll9"].depth == full.violations["NotAll9"].depth == 37


@pytest.mark.parametrize("after", [5, 10, 40])
def test_the_compiled_engine_resumes_a_python_checkpoint_from_the_middle_of_a_level(tmp_path, monkeypatch, counters,
                                                                                     after):
    from pyspec.engines.embedded import bfs

    monkeypatch.setattr(bfs, "BLOCK", 7)  # small blocks: Ctrl-C in the middle of a level
    monkeypatch.setattr(bfs, "FLUSH", 5)
    cm, full = counters
    cp = tmp_path / "run.ckpt"
    python_explore(cm, Options(invariants=["Fine", "NotAll9"], checkpoint=str(cp), checkpoint_every=1e9,
                               progress=InterruptAfter(after)))
    saved = load_checkpoint(str(cp), cm)
    assert saved.cursor not in saved.store.level_ends  # the Python engine stopped inside a level
    resumed = compiled_explore(cm, Options(invariants=["Fine", "NotAll9"], recover=str(cp)))
    assert _summary(resumed) == _summary(full)


def test_periodic_checkpoints_without_an_interruption_leave_the_result_alone(tmp_path, counters):
    cm, full = counters
    cp = tmp_path / "run.ckpt"
    done = compiled_explore(cm, Options(invariants=["Fine", "NotAll9"], checkpoint=str(cp), checkpoint_every=0))
    assert _summary(done) == _summary(full)
    last = load_checkpoint(str(cp), cm)  # written at the last level boundary reached
    assert last.depth >= 30 and len(last.store) <= full.distinct


def test_a_checkpoint_of_interned_values_resumes_in_the_compiled_engine(tmp_path):
    """Sets of records are interned: the checkpoint carries the tables."""
    spec = pyspec.load(str(ROOT / "spec/corpus/paxos.pyspec"))
    cm = compile_model(spec, "original")
    assert cm.layout.interns
    full = python_explore(cm, Options())
    cp = tmp_path / "run.ckpt"
    part = compiled_explore(cm, Options(checkpoint=str(cp), checkpoint_every=0, progress=InterruptAfter(2)))
    assert part.stopped == "interrupted"
    fresh = compile_model(spec, "original")  # a new process: no interned value numbered yet
    resumed = compiled_explore(fresh, Options(recover=str(cp)))
    assert (resumed.complete, resumed.distinct, resumed.generated, resumed.depth) == \
        (full.complete, full.distinct, full.generated, full.depth)


def test_a_checkpoint_of_another_model_is_refused_by_the_compiled_engine(tmp_path, counters):
    cm, _ = counters
    cp = tmp_path / "run.ckpt"
    compiled_explore(cm, Options(checkpoint=str(cp), checkpoint_every=0, progress=InterruptAfter(2)))
    other = compile_model(load("stmts"), "both")
    with pytest.raises(CheckpointError):
        compiled_explore(other, Options(recover=str(cp)))
