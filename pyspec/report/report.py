"""The result of checking one model (or one property of it), by any engine.

The embedded engine and the TLC runner both produce a :class:`Report`; its
JSON form is specified by ``schema.json`` (documented in
docs/report-schema.md).  Trace states hold values in ITF JSON encoding
(see :mod:`pyspec.values`), keyed by the spec's own variable names; process
locals appear as ``process.local`` and program counters as ``process.pc``,
each a map from process index to value for indexed processes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("schema.json")

VERDICTS = ("ok", "violated", "error", "incomplete")
KINDS = ("invariant", "deadlock", "liveness", "action", None)


@dataclass
class TraceStep:
    """One state of a counterexample and the step that led to it.

    The first entry of a trace is the initial state: its ``process``,
    ``label`` and ``source`` are None.
    """

    step: int
    process: str | None
    self: Any  # ITF-encoded process index, or None for singletons
    label: str | None
    params: dict[str, Any]  # values chosen by `any` (ITF), by binder name
    source: str | None  # "file:line" of the step in the spec
    state: dict[str, Any]  # spec variable -> ITF value
    display: dict[str, str] = field(default_factory=dict)  # params in spec syntax (``Gfn.g1``, ``{1, 2}``)


@dataclass
class Report:
    engine: str  # "embedded" | "tlc"
    spec: str  # path of the spec file
    model: str
    verdict: str  # ok | violated | error | incomplete
    property: str | None = None  # the violated property (or "deadlock")
    kind: str | None = None  # invariant | deadlock | liveness | action
    distinct_states: int = 0
    generated_states: int = 0
    depth: int = 0
    seconds: float = 0.0
    trace: list[TraceStep] = field(default_factory=list)
    loop_start: int | None = None  # index into trace where a liveness lasso loops back
    properties: list[str] = field(default_factory=list)  # what was checked
    expected: str | None = None  # the model's declared outcome for `property` / the run
    message: str | None = None  # errors and incomplete runs: why

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        data = dict(data)
        data["trace"] = [TraceStep(**s) for s in data.get("trace", [])]
        return cls(**data)


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_report(data: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` does not match the schema."""
    import jsonschema

    jsonschema.validate(data, schema())
