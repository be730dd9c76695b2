"""Checkpoints of a breadth-first search, and resuming from one.

A checkpoint is the whole search state: the list of states in the order
found (which is also the queue: a cursor marks the next state to expand),
the parent links, the BFS level boundaries, the counters and the
violations found so far.  The seen set is rebuilt from the list on
recovery.  Since the search is deterministic, a resumed run reaches the
same final counts as an uninterrupted one.

The file is a pickle (written to a temporary file and renamed, so that an
interruption while writing leaves the previous checkpoint intact), tagged
with a fingerprint of the model's layout: a checkpoint can only resume the
same model compiled the same way.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path

from ...compile import CompiledModel
from .store import StateStore

FORMAT = 1


@dataclass
class Checkpoint:
    store: StateStore
    cursor: int
    generated: int
    depth: int
    seconds: float
    violations: dict


def model_fingerprint(model: CompiledModel) -> str:
    h = hashlib.sha256()
    h.update(model.spec.name.encode())
    h.update(model.model.name.encode())
    for line in model.layout.describe():
        h.update(line.encode())
    for sl in model.slots:
        c = sl.codec
        h.update(repr((type(c).__name__, c.width, getattr(c, "lo", None), getattr(c, "hi", None),
                       getattr(c, "maxlen", None))).encode())
    h.update(model.codegen.source.encode())
    return h.hexdigest()


def save_checkpoint(path: str, model: CompiledModel, store: StateStore, cursor: int, generated: int, depth: int,
                    seconds: float, violations: dict) -> None:
    # states as bytes: fixed-width little-endian ints when they fit, else a pickled list
    width = max(((s.bit_length() + 7) // 8 for s in store.states), default=1) or 1
    packed = b"".join(s.to_bytes(width, "little") for s in store.states)
    data = {
        "format": FORMAT,
        "model": model_fingerprint(model),
        "width": width,
        "states": packed,
        "parents": store.parents.tobytes(),
        "level_ends": list(store.level_ends),
        "cursor": cursor,
        "generated": generated,
        "depth": depth,
        "seconds": seconds,
        "violations": violations,
    }
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class CheckpointError(Exception):
    pass


def load_checkpoint(path: str, model: CompiledModel) -> Checkpoint:
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e}") from None
    if data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: unknown checkpoint format")
    if data.get("model") != model_fingerprint(model):
        raise CheckpointError(f"{path}: the checkpoint was written for another model (or another version of it)")
    store = StateStore()
    w = data["width"]
    raw = data["states"]
    store.states = [int.from_bytes(raw[i:i + w], "little") for i in range(0, len(raw), w)]
    store.parents = array("i")
    store.parents.frombytes(data["parents"])
    store.level_ends = list(data["level_ends"])
    store.rebuild_seen()
    return Checkpoint(store, data["cursor"], data["generated"], data["depth"], data["seconds"], data["violations"])
