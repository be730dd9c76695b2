"""Checkpoints of a breadth-first search, and resuming from one.

A checkpoint is the whole search state: the states in the order found
(which is also the queue: a cursor marks the next state to expand) as the
store's 64-bit words, the parent links, the BFS level boundaries, the
counters and the violations found so far.  The store's hash table is
rebuilt on recovery.  Since the search is deterministic, a resumed run reaches the
same final counts as an uninterrupted one.

The workers of ``--workers N`` write the same format (their stores merged
level by level): a checkpoint resumes with any number of workers.

The file holds data only, never code (no pickle: loading a crafted file
must not run anything): a magic line, the length of a JSON header, the
header (format, the model's fingerprint, counters, level boundaries,
violations), then the states' words and the parent links as raw
little-endian arrays whose lengths the header gives, then the tables of
interned values (:class:`pyspec.compile.layout.InternCodec`: a state's
codes mean nothing without them), values in the serialised form of
:func:`pyspec.compile.runtime.ser`.  It is written to a
temporary file and renamed, so that an interruption while writing leaves
the previous checkpoint intact, and tagged with a fingerprint of the
model's layout: a checkpoint can only resume the same model compiled the
same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from dataclasses import dataclass

from ...compile import CompiledModel
from ...compile.runtime import _get_uvarint, _put_uvarint, deser, ser
from ...files import write_atomic
from .store import StateStore

FORMAT = 4  # 1: states as variable-width bytes and a Python set; 2: a pickle; 3: no interned tables
MAGIC = b"PYSPEC-CHECKPOINT\n"
#: A header larger than this is not a checkpoint's (it holds counters and
#: the level boundaries only).
MAX_HEADER = 1 << 26


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
    h.update(model.codegen.core_source.encode())
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
    interns = intern_tables_bytes(model)
    header = {
        "format": FORMAT,
        "model": model_fingerprint(model),
        "words": ncols,  # 64-bit little-endian words per state
        "states_bytes": len(states),
        "parents_bytes": len(parents),
        "interns_bytes": len(interns),
        "level_ends": [int(x) for x in level_ends],
        "cursor": int(cursor),
        "generated": int(generated),
        "depth": int(depth),
        "seconds": float(seconds),
        "violations": [dataclasses.asdict(v) for v in violations.values()],
    }
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # atomically (a kill leaves the previous checkpoint), temporary files of
    # killed writes removed (pyspec.files)
    try:
        write_atomic(path, [MAGIC + struct.pack("<Q", len(head)) + head, states, parents, interns], parents=True)
    except OSError as e:
        raise CheckpointWriteError(e.errno, f"cannot write checkpoint {path}: {e.strerror or e}") from None


class CheckpointError(Exception):
    pass


class CheckpointWriteError(OSError):
    """A checkpoint that cannot be written (a full disk, no permission):
    bad input of the command (``pyspec: error:``, exit 2), never a verdict
    of the model."""


def intern_tables_bytes(model: CompiledModel) -> bytes:
    """The model's interned values, table by table in layout order: a count,
    then each value serialised."""
    out = bytearray()
    for codec in model.layout.interns:
        _put_uvarint(out, codec.size())
        for c in range(codec.size()):
            ser(codec.dec(c), out)
    return bytes(out)


def restore_intern_tables(model: CompiledModel, blob: bytes) -> None:
    """Number the interned values as the checkpoint's run did.  The model
    was compiled the same way (the fingerprint says so), so what it has
    numbered already is a prefix of the checkpoint's tables."""
    pos = 0
    for codec in model.layout.interns:
        n, pos = _get_uvarint(blob, pos)
        values = []
        for _ in range(n):
            v, pos = deser(blob, pos)
            values.append(v)
        have = codec.size()
        if n < have or any(codec.dec(c) != values[c] for c in range(have)):
            raise ValueError("interned tables differ")
        for c in range(have, n):
            if codec.add(values[c]) != c:  # a value twice, or of the wrong kind
                raise ValueError("interned tables damaged")
    if pos != len(blob):
        raise ValueError("trailing bytes")


def read_checkpoint(path: str, model: CompiledModel) -> dict:
    """The parts of a checkpoint (the keys of :func:`write_checkpoint`'s
    header, with ``states`` and ``parents`` as bytes and ``violations`` as
    a dict), checked to be of this model.  Reads data only: anything that
    is not a checkpoint of this format is refused (:class:`CheckpointError`)."""
    from .bfs import Violation

    bad = CheckpointError(f"{path}: not a checkpoint (written by --checkpoint)")
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e.strerror}") from None
    if not blob.startswith(MAGIC):
        raise bad
    at = len(MAGIC)
    if len(blob) < at + 8:
        raise bad
    (size,) = struct.unpack_from("<Q", blob, at)
    at += 8
    if size > MAX_HEADER or at + size > len(blob):
        raise bad
    try:
        data = json.loads(blob[at:at + size].decode("utf-8"))
    except ValueError:
        raise bad from None
    at += size
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: unknown checkpoint format")
    if data.get("model") != model_fingerprint(model):
        raise CheckpointError(f"{path}: the checkpoint was written for another model (or another version of it)")
    try:
        ints = [data[k] for k in ("words", "states_bytes", "parents_bytes", "cursor", "generated", "depth",
                                  "interns_bytes")]
        ok = all(type(x) is int and x >= 0 for x in ints) and isinstance(data["seconds"], (int, float))
        ends = data["level_ends"]
        ok = ok and isinstance(ends, list) and all(type(x) is int and x >= 0 for x in ends)
        words, n_states, n_parents, n_interns = ints[0], ints[1], ints[2], ints[6]
        ok = ok and words >= 1 and at + n_states + n_parents + n_interns == len(blob)
        count = n_states // (8 * words) if ok else 0
        ok = ok and n_states == count * 8 * words and n_parents == count * 4
        violations = {}
        for v in data["violations"] if ok else ():
            fields = {f.name for f in dataclasses.fields(Violation)}
            if not isinstance(v, dict) or set(v) != fields:
                ok = False
                break
            violations[v["prop"]] = Violation(**v)
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise bad
    if not ends:
        raise CheckpointError(f"{path}: the checkpoint was written before the initial states were stored")
    data["states"] = blob[at:at + n_states]
    data["parents"] = blob[at + n_states:at + n_states + n_parents]
    data["interns"] = blob[at + n_states + n_parents:]
    data["violations"] = violations
    return data


def load_checkpoint(path: str, model: CompiledModel) -> Checkpoint:
    data = read_checkpoint(path, model)
    try:
        restore_intern_tables(model, data["interns"])
    except (ValueError, IndexError, UnicodeDecodeError, TypeError, OverflowError):
        raise CheckpointError(f"{path}: not a checkpoint (written by --checkpoint)") from None
    store = StateStore.from_words(data["states"], data["words"], data["parents"], data["level_ends"])
    return Checkpoint(store, data["cursor"], data["generated"], data["depth"], data["seconds"], data["violations"])
