"""Traces of an implementation: one event per labelled step.

A trace file is JSON lines.  The optional first line describes the initial
state; every other line one step::

    {"init": true, "observed": {"gen": 0, "cov": {"#set": []}}}
    {"process": "vcpu", "self": "Vcpu.v1", "label": "R0", "params": {"x": "Gfn.g1"},
     "observed": {"vcpu.gfn": {"#map": [["Vcpu.v1", "Gfn.g1"]]}}}

Values are ITF JSON (see :mod:`pyspec.values`).  ``observed`` holds the
values of some or all state variables after the step, keyed like reports
(``var``, ``proc.pc``, ``proc.local``).  Observations may be partial: a
variable left out is unconstrained, and a map value constrains only the keys
it lists (so a vCPU thread can log its own locals without knowing the
others').  ``params`` gives the values chosen by ``any`` in the step (also
partial).

ITF (the trace format of Apalache and Quint) is supported for full-state
traces: :func:`to_itf` / :func:`from_itf`; :func:`trace_from_itf` reads an
ITF trace as a trace to validate (ITF names no steps: each state after the
first is an event any step may explain).  :func:`read_trace` reads either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ir import nodes as ir
from ..ir.state import state_types
from ..values import from_itf as value_from_itf
from ..values import itf_decoder
from ..values import to_itf as value_to_itf


@dataclass
class Event:
    """One labelled step of an implementation run (values are spec values).

    ``process`` (and ``label``) None: a step of the spec that the log does
    not name (the states of an ITF trace), so any step may explain it."""

    process: str | None
    self: Any
    label: str | None
    params: dict[str, Any] = field(default_factory=dict)
    observed: dict[str, Any] = field(default_factory=dict)
    #: where the event was read from ("line 3" of a JSON-lines file, "state 2"
    #: of an ITF trace), for messages; not part of the event's value
    where: str | None = field(default=None, compare=False, repr=False)


@dataclass
class Trace:
    init: dict[str, Any] | None  # observed initial state (partial), or None
    events: list[Event]


class TraceFormatError(ValueError):
    """A trace line (or ITF state) that cannot be decoded; the message starts
    with where it is (``line 3:``, ``state 2:``)."""

    def __init__(self, line: int, message: str, where: str | None = None):
        super().__init__(f"{where or f'line {line}'}: {message}")
        self.line = line


def step_param_types(spec: ir.Spec) -> dict[tuple[str, str], dict[str, ir.Type]]:
    """For each (process, label): the types of the names its ``any`` binds."""
    out: dict[tuple[str, str], dict[str, ir.Type]] = {}

    def walk(stmts, acc):
        for s in stmts:
            if isinstance(s, ir.AnyStmt):
                acc[s.binder.name] = s.binder.domain.type.elem
                walk(s.body, acc)
            elif isinstance(s, ir.If):
                for _, body in s.branches:
                    walk(body, acc)
                walk(s.orelse, acc)
            elif isinstance(s, ir.Either):
                for body in s.branches:
                    walk(body, acc)
            elif isinstance(s, ir.Let):
                walk(s.body, acc)

    for p in spec.processes:
        for st in p.steps:
            acc: dict[str, ir.Type] = {}
            walk(st.body, acc)
            out[(p.name, st.label)] = acc
    return out


class Codec:
    """Encodes and decodes events of one spec (types come from the IR)."""

    def __init__(self, spec: ir.Spec):
        self.spec = spec
        self.types = state_types(spec)
        #: one decoder per state variable, built once (see values.itf_decoder)
        self.decoders = {k: itf_decoder(t) for k, t in self.types.items()}
        self.params = step_param_types(spec)
        self.index_types = {p.name: (p.index_set.type.elem if p.index_set is not None else None)
                            for p in spec.processes}
        #: per variable: the JSON last decoded and its value
        self._last: dict[str, tuple[Any, Any]] = {}

    def _obs_from(self, obs: dict, line: int) -> dict[str, Any]:
        # A variable logged with the same JSON as on the line before gets
        # the very value decoded there: most steps change few variables, so
        # most values are not decoded again, and the validator recognises an
        # unchanged observation by identity (validate.py).
        out = {}
        decoders = self.decoders
        last = self._last
        for k, v in obs.items():
            hit = last.get(k)
            if hit is not None and type(hit[0]) is type(v) and hit[0] == v:
                out[k] = hit[1]
                continue
            dec = decoders.get(k)
            if dec is None:
                raise TraceFormatError(line, f"unknown state variable '{k}'")
            out[k] = value = dec(v)
            last[k] = (v, value)
        return out

    def _obs_to(self, obs: dict[str, Any]) -> dict:
        return {k: value_to_itf(v, self.types.get(k)) for k, v in obs.items()}

    def decode(self, data: dict, line: int = 0) -> Event | dict:
        if data.get("init"):
            return self._obs_from(data.get("observed", {}), line)
        proc = data.get("process")
        if proc not in self.index_types:
            raise TraceFormatError(line, f"unknown process '{proc}'")
        label = data.get("label")
        if (proc, label) not in self.params:
            raise TraceFormatError(line, f"process '{proc}' has no step '{label}'")
        it = self.index_types[proc]
        self_v = value_from_itf(data["self"], it) if it is not None and data.get("self") is not None else None
        ptypes = self.params[(proc, label)]
        params = {}
        for k, v in (data.get("params") or {}).items():
            if k not in ptypes:
                raise TraceFormatError(line, f"step {proc}.{label} chooses no '{k}'")
            params[k] = value_from_itf(v, ptypes[k])
        return Event(proc, self_v, label, params, self._obs_from(data.get("observed") or {}, line))

    def encode(self, ev: Event) -> dict:
        it = self.index_types.get(ev.process)
        ptypes = self.params.get((ev.process, ev.label), {})
        return {
            "process": ev.process,
            "self": value_to_itf(ev.self, it) if ev.self is not None else None,
            "label": ev.label,
            "params": {k: value_to_itf(v, ptypes.get(k)) for k, v in ev.params.items()},
            "observed": self._obs_to(ev.observed),
        }


def write_jsonl(spec: ir.Spec, trace: Trace, path: str | Path) -> None:
    from ..files import write_atomic

    codec = Codec(spec)
    lines = []
    if trace.init is not None:
        lines.append(json.dumps({"init": True, "observed": codec._obs_to(trace.init)}) + "\n")
    for ev in trace.events:
        lines.append(json.dumps(codec.encode(ev)) + "\n")
    write_atomic(path, "".join(lines))


def read_jsonl(spec: ir.Spec, path: str | Path) -> Trace:
    return parse_jsonl(spec, Path(path).read_text(encoding="utf-8").splitlines())


def parse_jsonl(spec: ir.Spec, lines: Iterable[str]) -> Trace:
    codec = Codec(spec)
    init = None
    events: list[Event] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise TraceFormatError(n, f"not JSON: {e.msg}") from None
        if not isinstance(data, dict):
            raise TraceFormatError(n, "each line must be a JSON object")
        try:
            item = codec.decode(data, n)
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, TraceFormatError):
                raise
            raise TraceFormatError(n, f"cannot decode: {e}") from None
        if isinstance(item, Event):
            item.where = f"line {n}"
            events.append(item)
        elif n == 1 or init is None and not events:
            init = item
        else:
            raise TraceFormatError(n, "an init line must come first")
    return Trace(init, events)


# ------------------------------------------------------------------- ITF


def to_itf(spec: ir.Spec, states: list[dict[str, Any]], loop: int | None = None,
           description: str = "") -> dict:
    """Full states (spec values keyed like reports) as an ITF trace."""
    types = state_types(spec)
    keys = list(types)
    return {
        "#meta": {"format": "ITF", "source": spec.path, "description": description or f"trace of {spec.name}"},
        "vars": keys,
        "states": [{"#meta": {"index": i}, **{k: value_to_itf(s[k], types[k]) for k in keys if k in s}}
                   for i, s in enumerate(states)],
        **({"loop": loop} if loop is not None else {}),
    }


def trace_from_itf(spec: ir.Spec, data: Any) -> Trace:
    """An ITF trace as a trace to validate: its first state is the observed
    initial state, every later state an event that some step of the spec must
    explain (ITF names no steps), observing the variables the state lists."""
    if not isinstance(data, dict) or not isinstance(data.get("states"), list):
        raise TraceFormatError(0, "expected an object with a list of 'states'", "not an ITF trace")
    types = state_types(spec)
    states = []
    for n, raw in enumerate(data["states"]):
        where = f"ITF state {n}"
        if not isinstance(raw, dict):
            raise TraceFormatError(n, "not an object", where)
        unknown = [k for k in raw if k not in types and not k.startswith("#")]
        if unknown:
            raise TraceFormatError(n, f"unknown state variable '{unknown[0]}'", where)
        try:
            states.append({k: value_from_itf(v, types[k]) for k, v in raw.items() if k in types})
        except (KeyError, TypeError, ValueError) as e:
            raise TraceFormatError(n, f"cannot decode: {e}", where) from None
    if not states:
        return Trace(None, [])
    events = [Event(None, None, None, {}, st, where=f"ITF state {n}") for n, st in enumerate(states[1:], 1)]
    return Trace(states[0], events)


def read_trace(spec: ir.Spec, path: str | Path) -> Trace:
    """A trace file: ITF (``*.itf.json``, or a JSON object with ``states``)
    or JSON lines.  Raises :class:`TraceFormatError` (and ``OSError``)."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".itf.json"):
        try:
            return trace_from_itf(spec, json.loads(text))
        except json.JSONDecodeError as e:
            raise TraceFormatError(e.lineno, f"not JSON: {e.msg}") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None  # several lines: JSON lines
    if isinstance(whole, dict) and "states" in whole:  # ITF under another name
        return trace_from_itf(spec, whole)
    return parse_jsonl(spec, text.splitlines())


def from_itf(spec: ir.Spec, data: dict) -> tuple[list[dict[str, Any]], int | None]:
    """An ITF trace (as produced by :func:`to_itf`, Apalache or Quint over the
    same variables) as a list of states of spec values."""
    import itf_py  # validates the envelope: vars, states, loop

    envelope = itf_py.trace_from_json(data)
    types = state_types(spec)
    states = []
    for raw in data["states"]:
        states.append({k: value_from_itf(v, types[k]) for k, v in raw.items() if k in types})
    return states, envelope.loop
