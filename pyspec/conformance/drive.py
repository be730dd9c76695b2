"""Spec-driven testing: the compiled model chooses, the implementation follows.

At every step the model picks one of its enabled steps (at random with a
seed, or every path up to a depth), an :class:`Adapter` makes the
implementation perform that step, and the implementation's state, seen
through the adapter's refinement mapping, must equal the model's state.
The Hypothesis state machine of :mod:`pyspec.testing` runs the same
comparison and shrinks a failing run to a shortest one (it replaced a
shrinker built on ``hypothesis.find``: on the Peterson mutants and the
tutorial's buggy storage both found runs of the same length).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..values import format_value
from .validate import matches


class Adapter(Protocol):
    """What spec-driven testing needs from an implementation."""

    def reset(self, initial: dict[str, Any]) -> None:
        """Start a fresh implementation in the spec state ``initial``."""

    def perform(self, step) -> None:
        """Make the implementation take ``step`` (a ``StepInfo``: process,
        self, label and the ``any`` choices in ``params``)."""

    def observe(self) -> dict[str, Any]:
        """The refinement mapping: the implementation state as spec values
        (some or all state variables, keyed like reports)."""

    # Optional: ``enabled() -> set of (process, self, label)`` the steps the
    # implementation could take now.  When present it must equal the model's
    # enabled steps, which also catches an implementation that can do *more*
    # than the spec allows (a guard it forgot).


@dataclass
class Divergence:
    """The implementation disagreed with the model after ``path``."""

    run: int | None  # which of several runs (None: the run is the whole story)
    path: list[Any]  # StepInfo of every step taken, the failing one last
    key: str
    expected: Any
    got: Any
    error: str | None = None

    def render(self) -> str:
        head = f"implementation diverges from the spec after {len(self.path)} step(s):"
        lines = [head if self.run is None else f"run {self.run}: {head}"]
        for i, info in enumerate(self.path, 1):
            who = info.process if info.self is None else f"{info.process}[{format_value(info.self)}]"
            params = ", ".join(f"{k}={format_value(v)}" for k, v in info.params.items())
            lines.append(f"  {i}. {who} {info.label}" + (f" ({params})" if params else ""))
        if self.error:
            lines.append(f"  the implementation failed: {self.error}")
        else:
            lines.append(f"  {self.key}: spec {format_value(self.expected)}, implementation {format_value(self.got)}")
        return "\n".join(lines)


@dataclass
class DriveResult:
    runs: int = 0
    steps: int = 0
    failure: Divergence | None = None
    labels: dict[str, int] = field(default_factory=dict)  # how often each step ran

    @property
    def ok(self) -> bool:
        return self.failure is None


def _compare(model, t: int, adapter: Adapter) -> tuple[str, Any, Any] | None:
    want = model.to_values(t)
    got = adapter.observe()
    if hasattr(adapter, "enabled"):
        spec_steps = {(i.process, i.self, i.label) for i, _ in model.successors(t)}
        impl_steps = set(adapter.enabled())
        if spec_steps != impl_steps:
            return ("enabled steps", _steps(spec_steps), _steps(impl_steps))
    for k, v in got.items():
        if k not in want:
            return (k, None, v)
        if not matches(want[k], v):
            return (k, want[k], v)
    return None


def _steps(steps) -> frozenset:
    return frozenset(f"{p}[{format_value(s)}].{lab}" if s is not None else f"{p}.{lab}" for p, s, lab in steps)


def run_path(model, adapter: Adapter, choose: Callable[[int, list], int | None], run: int = 0,
             max_steps: int = 100, result: DriveResult | None = None) -> Divergence | None:
    """One run: ``choose(step_no, successors)`` returns an index or None to stop."""
    inits = model.initial_states()
    k = choose(-1, inits)
    s = inits[k if k is not None else 0]
    adapter.reset(model.to_values(s))
    path: list = []
    bad = _compare(model, s, adapter)
    if bad:
        return Divergence(run, path, *bad)
    for n in range(max_steps):
        succ = model.successors(s)
        if not succ:
            break
        k = choose(n, succ)
        if k is None:
            break
        info, t = succ[k]
        path.append(info)
        try:
            adapter.perform(info)
        except Exception as e:  # the implementation crashed or refused: a divergence
            return Divergence(run, path, "", None, None, f"{type(e).__name__}: {e}")
        if result is not None:
            result.steps += 1
            result.labels[f"{info.process}.{info.label}"] = result.labels.get(f"{info.process}.{info.label}", 0) + 1
        bad = _compare(model, t, adapter)
        if bad:
            return Divergence(run, path, *bad)
        s = t
    return None


def drive_random(model, adapter: Adapter, runs: int = 100, max_steps: int = 60, seed: int = 0) -> DriveResult:
    """``runs`` random runs of at most ``max_steps`` steps, reproducible from ``seed``."""
    rng = random.Random(seed)
    result = DriveResult()
    for r in range(runs):
        result.runs += 1
        fail = run_path(model, adapter, lambda n, succ: rng.randrange(len(succ)), r, max_steps, result)
        if fail:
            result.failure = fail
            break
    return result


def drive_exhaustive(model, adapter: Adapter, depth: int) -> DriveResult:
    """Every path of the model up to ``depth`` steps (each replayed from a
    fresh implementation)."""
    result = DriveResult()

    def paths(prefix: list[int]):
        # enumerate choice vectors depth-first by re-running the model only
        s_list = model.initial_states()
        for i0 in range(len(s_list)):
            yield from extend([i0], s_list[i0])

    def extend(choices: list[int], s: int):
        succ = model.successors(s)
        if len(choices) > depth or not succ:
            yield choices
            return
        for i in range(len(succ)):
            yield from extend(choices + [i], succ[i][1])

    for r, choices in enumerate(paths([])):
        result.runs += 1
        fail = run_path(model, adapter, lambda n, succ, c=choices: c[n + 1] if n + 1 < len(c) else None,
                        r, depth, result)
        if fail:
            result.failure = fail
            break
    return result
