"""Checkpoints and Ctrl-C with ``--workers N``: the workers' stores are
merged into the one-process checkpoint format between levels, so that a
checkpoint resumes with any number of workers and reaches the same final
counts; the first Ctrl-C lets the level finish, a second stops at once."""

from __future__ import annotations

import os
import signal
import time

import pytest
from engine_util import InterruptAfter, load

from pyspec.compile import compile_model
from pyspec.engines.embedded import bfs, parallel
from pyspec.engines.embedded.bfs import Options, explore
from pyspec.engines.embedded.checkpoint import load_checkpoint
from pyspec.engines.embedded.parallel import explore_parallel

INVS = ["Fine", "NotAll9"]


@pytest.fixture(scope="module")
def counters():
    cm = compile_model(load("counters"), "big")
    return cm, explore(cm, Options(invariants=INVS))


def run(cm, workers, **kw):
    opts = Options(invariants=INVS, **kw)
    return explore(cm, opts) if workers == 1 else explore_parallel(cm, opts, workers)


def same_end(res, full):
    assert res.complete
    assert (res.distinct, res.generated, res.depth) == (full.distinct, full.generated, full.depth)
    assert sorted(res.violations) == sorted(full.violations)
    for prop, v in res.violations.items():
        assert v.depth == full.violations[prop].depth
        assert len(res.store.path(v.index)) == v.depth  # the path was read back


@pytest.mark.parametrize("writers", [2, 3])
@pytest.mark.parametrize("levels", [1, 5, 30, 37])  # 37: after the last level
def test_workers_checkpoint_resumes_with_any_number_of_workers(tmp_path, counters, writers, levels):
    cm, full = counters
    cp = tmp_path / "run.ckpt"
    part = run(cm, writers, checkpoint=str(cp), checkpoint_every=1e9, progress=InterruptAfter(levels))
    assert part.stopped == "interrupted"
    assert part.distinct == full.store.level_ends[min(levels, len(full.store.level_ends) - 1)]
    for readers in (1, 2, 3):
        same_end(run(cm, readers, recover=str(cp)), full)


def test_workers_checkpoint_is_a_breadth_first_store(tmp_path, counters):
    # the merged store: the same states at the same levels as the
    # one-process search, each state's parent one level up and a predecessor
    cm, full = counters
    cp = tmp_path / "run.ckpt"
    run(cm, 2, checkpoint=str(cp), checkpoint_every=1e9, progress=InterruptAfter(20))
    store = load_checkpoint(str(cp), cm).store
    assert store.level_ends == full.store.level_ends[:21]
    lo = 0
    for hi in store.level_ends:
        assert set(store.states(lo, hi)) == set(full.store.states(lo, hi))
        lo = hi
    for i in range(len(store)):
        p = store.parent(i)
        if i < store.level_ends[0]:
            assert p == -1
        else:
            assert store.level_of(p) == store.level_of(i) - 1
            assert store.state(i) in {t for _, t in cm.successors(store.state(p))}


def test_periodic_checkpoints_between_levels(tmp_path, counters):
    cm, full = counters
    cp = tmp_path / "run.ckpt"
    res = run(cm, 2, checkpoint=str(cp), checkpoint_every=0)
    same_end(res, full)
    last = load_checkpoint(str(cp), cm)  # written before the last level
    assert last.store.level_ends == full.store.level_ends
    assert last.cursor == full.store.level_ends[-2] and last.depth == full.depth
    assert list(last.violations) == ["NotAll9"]
    same_end(run(cm, 2, recover=str(cp)), full)


@pytest.mark.parametrize("after", [4, 10, 40])
def test_one_process_checkpoint_inside_a_level_resumes_with_workers(tmp_path, monkeypatch, counters, after):
    # small blocks and batches: the cursor is inside a level, part of the
    # next level stored (10, 40), or at the end of a level, the next one stored (4)
    cm, full = counters
    monkeypatch.setattr(bfs, "BLOCK", 7)
    monkeypatch.setattr(bfs, "FLUSH", 5)
    cp = tmp_path / "run.ckpt"
    part = run(cm, 1, checkpoint=str(cp), checkpoint_every=1e9, progress=InterruptAfter(after))
    assert part.stopped == "interrupted" and part.queue > 0
    cursor = load_checkpoint(str(cp), cm).cursor
    assert (cursor in full.store.level_ends) == (after == 4)
    same_end(run(cm, 2, recover=str(cp)), full)


@pytest.fixture
def ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt in this process, as in a terminal
    (the tests may run as a background job, where it is ignored)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def interrupting_level(monkeypatch, at_depth, presses):
    """Worker 0 sends the coordinator ``presses`` Ctrl-Cs when told to
    expand depth ``at_depth``, then takes its time over the level."""
    level = parallel._Worker.level

    def slow_level(self, depth, *args):
        if self.k == 0 and depth == at_depth:
            for _ in range(presses):
                os.kill(os.getppid(), signal.SIGINT)
                time.sleep(0.3)
            time.sleep(0.3)
        return level(self, depth, *args)

    monkeypatch.setattr(parallel._Worker, "level", slow_level)


def test_ctrl_c_lets_the_workers_finish_the_level(tmp_path, monkeypatch, capsys, counters, ctrl_c_raises):
    cm, full = counters
    interrupting_level(monkeypatch, 6, presses=1)
    cp = tmp_path / "run.ckpt"
    res = explore_parallel(cm, Options(invariants=INVS + ["ALow"], checkpoint=str(cp), checkpoint_every=1e9), 2)
    assert res.stopped == "interrupted"
    assert "Ctrl-C: the workers finish depth 6" in capsys.readouterr().err
    assert res.distinct == full.store.level_ends[6]  # levels 1..7
    alow = res.violations["ALow"]  # found at depth 4, its path read back
    assert alow.message is None and len(res.store.path(alow.index)) == alow.depth == 4
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    resumed = explore_parallel(cm, Options(invariants=INVS + ["ALow"], recover=str(cp)), 2)
    assert (resumed.distinct, resumed.generated) == (full.distinct, full.generated)
    assert resumed.violations["ALow"].depth == 4


def test_second_ctrl_c_stops_the_workers_at_once(tmp_path, monkeypatch, counters, ctrl_c_raises):
    cm, full = counters
    interrupting_level(monkeypatch, 6, presses=2)
    cp = tmp_path / "run.ckpt"
    res = explore_parallel(cm, Options(invariants=INVS + ["ALow"], checkpoint=str(cp), checkpoint_every=1e9), 2)
    assert res.stopped == "interrupted"
    assert res.distinct == full.store.level_ends[5]  # levels 1..6: the level in progress is not counted
    alow = res.violations["ALow"]
    assert alow.index == -1 and "second Ctrl-C" in alow.message
    assert not cp.exists()  # no checkpoint of a level in progress
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_ctrl_c_stays_ignored(counters):
    # a background job (or a caller with its own handler) keeps its SIGINT disposition
    cm, full = counters
    seen = []

    class Watch:
        def update(self, **stats):
            seen.append(signal.getsignal(signal.SIGINT))

        def close(self):
            pass

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        res = explore_parallel(cm, Options(invariants=INVS, progress=Watch()), 2)
    finally:
        signal.signal(signal.SIGINT, before)
    assert res.distinct == full.distinct
    assert seen and set(seen) == {signal.SIG_IGN}
