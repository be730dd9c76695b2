"""pyspec.testing: the public API for testing specs and implementations.

Everything a test suite needs, without importing pyspec's internals:

- :func:`load_model`: load a spec and compile one of its models (cached);
- :func:`check_model` / :func:`assert_outcomes`: model-check a model and
  compare every outcome with the one its ``check`` lines declare;
- :func:`validate_trace` / :func:`assert_trace_valid`: trace validation of
  a list of events (dicts), JSON lines, a ``.jsonl``/ITF file or a
  :class:`Trace` against the model;
- :func:`replay_counterexample`: drive an implementation along a
  counterexample and see whether it misbehaves the same way;
- :func:`spec_state_machine` / :func:`run_spec_driven`: spec-driven testing
  of an implementation through an adapter, as a Hypothesis state machine
  (the spec chooses the enabled steps, the adapter performs them, the
  refinement mapping is compared after each);
- the spec values an adapter builds (:class:`ModelValue`, :class:`FMap`,
  :data:`NONE`, ...).

With pytest, ``pytest spec/`` also collects every ``*.pyspec`` file (one
test per model and declared check, see :mod:`pyspec.testing.pytest_plugin`)
and the ``pyspec_model`` fixture loads models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any

from ..conformance.drive import Adapter, Divergence
from ..conformance.traces import Event, Trace, TraceFormatError, parse_jsonl, read_trace
from ..conformance.validate import ValidationResult
from ..diagnostics import SpecError
from ..values import NONE, EnumValue, FMap, ModelValue, Record, format_value
from .statemachine import SpecDivergence, SpecDrivenStats, run_state_machine, spec_state_machine

__all__ = [
    "load_spec", "load_model", "check_model", "assert_outcomes", "OutcomeMismatch",
    "validate_trace", "assert_trace_valid", "TraceInvalid", "replay_counterexample",
    "spec_state_machine", "run_spec_driven", "SpecDivergence", "SpecDrivenStats",
    "Adapter", "Divergence", "Event", "Trace", "TraceFormatError", "ValidationResult", "SpecError",
    "ModelValue", "EnumValue", "FMap", "Record", "NONE", "format_value",
]


def load_spec(path: str | PathLike):
    """The checked IR of the spec at ``path``; raises :class:`SpecError`
    (every diagnostic, located) for a spec with errors."""
    from .. import load

    return load(str(path))


@lru_cache(maxsize=64)
def _compiled(path: str, mtime_ns: int, model: str):
    from ..compile import compile_model

    return compile_model(load_spec(path), model)


def load_model(path: str | PathLike, model: str):
    """Load the spec at ``path`` and compile its model ``model``: the object
    trace validation and spec-driven testing run against (its ``spec`` is the
    IR; ``initial_states()``, ``successors(s)`` and ``to_values(s)`` walk the
    state space).  Compiled models are cached per file version, so every test
    of a session may call this freely."""
    p = Path(path)
    return _compiled(str(p), p.stat().st_mtime_ns, model)


# ----------------------------------------------------------- model checking


class OutcomeMismatch(AssertionError):
    """A check's outcome is not the one its model declares."""


def check_model(path: str | PathLike, model: str, property: str | None = None, workers: int = 1,
                max_states: int | None = None) -> list:
    """Model-check every declared check of ``model`` (and deadlock, unless the
    model ignores it) with the embedded engine: one report per check, each
    with ``property``, ``verdict`` (``ok``, ``violated``, ``error``,
    ``incomplete``), ``expected``, state counts and the counterexample.
    With ``property`` (or ``"deadlock"``), that check alone, stopping at its
    first violation as TLC does: a list of one report."""
    from ..engines.embedded import check
    from ..engines.embedded import check_model as run

    spec = load_spec(path)
    spec.model(model)  # KeyError for an unknown model
    if property is not None:
        if property != "deadlock":
            spec.prop(property)  # KeyError for an unknown property
        return [check(spec, model, property=property, workers=workers, max_states=max_states)]
    return run(spec, model, workers=workers, max_states=max_states)


def assert_outcomes(path: str | PathLike, model: str, workers: int = 1) -> list:
    """:func:`check_model`, then raise :class:`OutcomeMismatch` (with every
    unexpected outcome and its counterexample in spec terms) unless every
    outcome is the declared one.  Returns the reports."""
    from ..report.text import meets_expectation, render_report

    reports = check_model(path, model, workers=workers)
    bad = [r for r in reports if not meets_expectation(r)]
    if bad:
        spec = load_spec(path)
        raise OutcomeMismatch("\n\n".join(render_report(r, spec) for r in bad))
    return reports


# ----------------------------------------------------------- trace validation


class TraceInvalid(AssertionError):
    """The trace is not a behaviour of the spec; ``result`` says where."""

    def __init__(self, result: ValidationResult, model):
        super().__init__(result.render(model))
        self.result = result


def _as_trace(model, trace) -> Trace:
    if isinstance(trace, Trace):
        return trace
    if isinstance(trace, (str, PathLike)) and not str(trace).lstrip().startswith("{"):
        return read_trace(model.spec, trace)
    if isinstance(trace, str):  # JSON lines in one string
        return parse_jsonl(model.spec, trace.splitlines())
    lines: Iterable[str] = (item if isinstance(item, str) else json.dumps(item) for item in trace)
    return parse_jsonl(model.spec, lines)


def validate_trace(model, trace) -> ValidationResult:
    """Is ``trace`` a behaviour of ``model``?  ``trace`` is a :class:`Trace`,
    a path to a JSON-lines or ITF file, a string of JSON lines, or a list of
    events (dicts in the JSON-lines form, or their JSON text): ``{"process":
    ..., "self": ..., "label": ..., "params": {...}, "observed": {...}}``,
    optionally preceded by ``{"init": true, "observed": {...}}``.  Raises
    :class:`TraceFormatError` for an event that cannot be read."""
    from ..conformance.validate import validate

    return validate(model, _as_trace(model, trace))


def assert_trace_valid(model, trace) -> ValidationResult:
    """:func:`validate_trace`, raising :class:`TraceInvalid` (the first event
    no spec step explains, the spec states before it and the steps enabled
    there) when the trace is not a behaviour of the spec."""
    result = validate_trace(model, trace)
    if not result.ok:
        raise TraceInvalid(result, model)
    return result


# ----------------------------------------------------------- counterexample replay


def replay_counterexample(model, report, adapter: Adapter, property: str | None = None):
    """Drive the implementation behind ``adapter`` along ``report``'s trace
    (a report of :func:`check_model`, or of TLC): after every step its
    mapped state is compared with the trace's, and the violated invariant
    (or action property) is evaluated on the implementation's own state.
    The result's ``reproduced`` says whether the implementation violates it
    too, ``followed`` whether it could take every step; ``render()`` shows
    the run step by step."""
    from ..conformance.replay import replay

    return replay(model, report, adapter, property)


# ----------------------------------------------------------- spec-driven testing


def run_spec_driven(model, adapter_factory: Callable[[], Adapter], max_steps: int = 40, max_examples: int = 200,
                    settings: Any = None) -> SpecDrivenStats:
    """Spec-driven testing of the implementation behind ``adapter_factory``
    (a class or function returning a fresh :class:`Adapter`): Hypothesis
    runs the spec state machine and, when the implementation diverges,
    raises :class:`SpecDivergence` for the shortest run it shrinks to.
    Returns the runs' statistics (runs, steps, steps per label) otherwise."""
    return run_state_machine(model, adapter_factory, max_steps=max_steps, max_examples=max_examples, settings=settings)
