"""Trace events of the reference implementation, and where they go.

One event per executed labelled step, emitted when the step ends (when its
thread reaches its next scheduling point, or ends):

    {"seq": 7,                 # position in the trace, from 0
     "proc": "vcpu",           # process kind: "vcpu" or "writer"
     "self": 1,                # instance id (the vcpu_id; None for the writer)
     "label": "R2",            # the step: R0..R6, W1..W6, or an internal
                               #   point of a step, "W3.lock" / "W3.scan1"
     "params": {"gfn": 1, "spte": "mmio", "hit": false, ...},
                               # the step's inputs and observed values,
                               #   implementation terms (ints, bools, str)
     "state": {...}}           # optional: the spec-level state after the step
                               #   (refinement mapping, ITF JSON), when the
                               #   tracer has a snapshot function

Labels containing a dot are internal scheduling points of the step named
before the dot (SRCU's waits inside W3): they change no spec variable.

Parameters by label (implementation values; generations are the kernel's
64-bit values, v3's in-progress flag is bit 63):

    R0        gfn (the access), idx (SRCU index taken), reload (a root was
              loaded: KVM_REQ_MMU_RELOAD after a wraparound zap)
    R1        hit, mmio_gfn, mmio_gen (the cache), gen (current)
    R2        spte ("none" | "present" | "mmio"), hit; kvm_gen, spte_gen
              (truncated, when compared); in_progress (v3, refused)
    R3        covered, slot (id or None), gen (of the set looked up)
    R4        cached (False: v3 skipped it), gen
    R5        gen (full, the SPTE's tag), spte_gen (as read back),
              obsolete_root (the SPTE went into an obsolete root: lost)
    R6        gfn, path ("cache" | "spte" | "slow"), wrong (the visible set
              covers gfn)
    W1        gfn, slot, change ("create" | "delete"), new_gen
    W2        gen (published)
    W3.scan1  idx (inactive index scanned; the flip follows)
    W3        idx (index drained: synchronize_srcu returns)
    W4..W6    gen / new_gen, zapped (the wrap check)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

Event = dict[str, Any]
Sink = Callable[[Event], None]


class ListSink(list):
    """Collects events in memory (a list of dicts)."""

    def __call__(self, event: Event) -> None:
        self.append(event)


class JsonLinesSink:
    """Writes one JSON object per line to a file (path or open text file)."""

    def __init__(self, target: str | IO[str]):
        if isinstance(target, str):
            self._file: IO[str] = open(target, "w", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._file = target
            self._owned = False

    def __call__(self, event: Event) -> None:
        self._file.write(json.dumps(event, separators=(",", ":")) + "\n")

    def close(self) -> None:
        if self._owned:
            self._file.close()
        else:
            self._file.flush()

    def __enter__(self) -> JsonLinesSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Tracer:
    """Numbers events and hands them to a sink.

    ``snapshot``, when given, is called after every step (with every thread
    parked, or under the threaded scheduler's step lock) and its result is
    stored under ``"state"``: the conformance layer passes the refinement
    mapping here.
    """

    def __init__(self, sink: Sink | None = None, snapshot: Callable[[], dict] | None = None):
        self.sink: Sink = sink if sink is not None else ListSink()
        self.snapshot = snapshot
        self.seq = 0

    def emit(self, proc: str, ident: Any, label: str, params: dict[str, Any]) -> Event:
        event: Event = {"seq": self.seq, "proc": proc, "self": ident, "label": label, "params": params}
        if self.snapshot is not None:
            event["state"] = self.snapshot()
        self.seq += 1
        self.sink(event)
        return event

    @property
    def events(self) -> list[Event]:
        """The events so far, when the sink is a :class:`ListSink`."""
        if isinstance(self.sink, ListSink):
            return self.sink
        raise TypeError("the sink does not keep events")


def read_jsonl(path: str) -> list[Event]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def step_labels(events: list[Event]) -> list[tuple[str, Any, str]]:
    """(proc, self, label) of each event: the schedule, for comparisons."""
    return [(e["proc"], e["self"], e["label"]) for e in events]
