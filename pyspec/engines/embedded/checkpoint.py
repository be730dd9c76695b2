"""Checkpoints of a breadth-first search, and resuming from one.

A checkpoint is the whole search state: the states in the order found
(which is also the queue: a cursor marks the next state to expand) as the
store's 64-bit words, the parent links, the BFS level boundaries, the
counters and the violations found so far.  The store's hash table is
rebuilt on recovery.  Since the search is deterministic, a resumed run reaches the
same final counts as an uninterrupted one.

The workers of ``--workers N`` write the same format (their stores merged
level by level): a checkpoint resumes with any number of workers.

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
from dataclasses import dataclass
from pathlib import Path

from ...compile import CompiledModel
from .store import StateStore

FORMAT = 2  # 1: states as variable-width bytes and a Python set


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
    n = len(store)
    write_checkpoint(path, model, store.words(), store.ncols, store.parents[:n].astype("<i4").tobytes(),
                     store.level_ends, cursor, generated, depth, seconds, violations)


def write_checkpoint(path: str, model: CompiledModel, states: bytes, ncols: int, parents: bytes,
                     level_ends: list[int], cursor: int, generated: int, depth: int, seconds: float,
                     violations: dict) -> None:
    """Write a checkpoint from its parts: ``states`` as ``ncols``
    little-endian 64-bit words each, ``parents`` as little-endian 32-bit
    indexes (the workers of :mod:`.parallel` merge their stores into these)."""
    data = {
        "format": FORMAT,
        "model": model_fingerprint(model),
        "words": ncols,  # 64-bit little-endian words per state
        "states": states,
        "parents": parents,
        "level_ends": list(level_ends),
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


def read_checkpoint(path: str, model: CompiledModel) -> dict:
    """The parts of a checkpoint (the keys of :func:`write_checkpoint`'s
    file), checked to be of this model."""
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e.strerror}") from None
    except Exception:  # noqa: BLE001 - unpickling garbage raises about anything
        raise CheckpointError(f"{path}: not a checkpoint (written by --checkpoint)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: unknown checkpoint format")
    if data.get("model") != model_fingerprint(model):
        raise CheckpointError(f"{path}: the checkpoint was written for another model (or another version of it)")
    if not data["level_ends"]:
        raise CheckpointError(f"{path}: the checkpoint was written before the initial states were stored")
    return data


def load_checkpoint(path: str, model: CompiledModel) -> Checkpoint:
    data = read_checkpoint(path, model)
    store = StateStore.from_words(data["states"], data["words"], data["parents"], data["level_ends"])
    return Checkpoint(store, data["cursor"], data["generated"], data["depth"], data["seconds"], data["violations"])
