"""Checkpoints: an interrupted run resumes from its checkpoint and reaches
the same final counts; Ctrl-C keeps the statistics so far."""

from __future__ import annotations

from pathlib import Path

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


SPEC = Path(__file__).resolve().parents[2] / "spec/examples/counter.pyspec"


class _Payload:
    """Unpickling this runs code: a crafted checkpoint must never get that far."""

    def __reduce__(self):
        import os

        return (os.system, ("touch PWNED",))


@pytest.mark.parametrize("content", ["pickle", "pickle_after_magic", "truncated", "bad_lengths", "bad_json"])
def test_a_crafted_checkpoint_is_refused_without_running_anything(tmp_path, monkeypatch, content):
    import json
    import pickle
    import struct

    from pyspec.cli import main
    from pyspec.engines.embedded.checkpoint import MAGIC

    monkeypatch.chdir(tmp_path)
    good = tmp_path / "good.ck"
    spec = str(SPEC)
    assert main(["check", spec, "--model", "race", "--property", "BothCounted", "--checkpoint", str(good),
                 "--checkpoint-every", "0"]) == 0
    blob = good.read_bytes()
    (size,) = struct.unpack_from("<Q", blob, len(MAGIC))
    header = json.loads(blob[len(MAGIC) + 8:len(MAGIC) + 8 + size])
    body = blob[len(MAGIC) + 8 + size:]
    evil = pickle.dumps({"format": 3, "x": _Payload()})
    if content == "pickle":
        data = evil
    elif content == "pickle_after_magic":
        data = MAGIC + struct.pack("<Q", len(evil)) + evil
    elif content == "truncated":
        data = blob[:-5]
    elif content == "bad_lengths":
        header["states_bytes"] += 8
        head = json.dumps(header).encode()
        data = MAGIC + struct.pack("<Q", len(head)) + head + body
    else:
        data = MAGIC + struct.pack("<Q", 10**12) + b"{"
    bad = tmp_path / "bad.ck"
    bad.write_bytes(data)
    code = main(["check", spec, "--model", "race", "--property", "BothCounted", "--recover", str(bad)])
    assert code == 2
    assert not (tmp_path / "PWNED").exists()


def test_checkpoint_file_holds_no_pickle(tmp_path):
    from pyspec.cli import main

    ck = tmp_path / "c.ck"
    assert main(["check", str(SPEC), "--model", "race", "--property", "BothCounted", "--checkpoint", str(ck),
                 "--checkpoint-every", "0"]) == 0
    assert ck.read_bytes().startswith(b"PYSPEC-CHECKPOINT\n")
    assert b"\x80\x04\x95" not in ck.read_bytes()[:64]  # no pickle protocol header
