"""A Peterson mutual-exclusion implementation written as code, not as a spec
(arrays and an explicit program counter per thread), with the adapter
protocol of :mod:`pyspec.conformance.drive` (``reset``, ``perform``,
``observe``, ``enabled``) for ``spec/examples/peterson.pyspec``.

Mutants (``Peterson(mutant=...)``) each break the algorithm in one place:

- ``keep_turn``: a thread gives the turn to itself;
- ``no_wait``: a thread enters without waiting;
- ``keep_flag``: a thread leaves without lowering its flag.

Adapters for the command line (``--adapter pyspec.examples.peterson:FACTORY``):
:class:`Peterson` (``--adapter-arg mutant=no_wait`` for a mutant), or the
factories :func:`no_wait`, :func:`keep_turn`, :func:`keep_flag`.
"""

from __future__ import annotations

import random
from typing import Any

from ..values import FMap

MUTANTS = ("keep_turn", "no_wait", "keep_flag")


class Peterson:
    """Two threads; ``perform`` raises when a step is not possible now."""

    STEPS = ["raise_flag", "give_turn", "wait", "critical", "leave"]

    def __init__(self, mutant: str | None = None):
        if mutant is not None and mutant not in MUTANTS:
            raise ValueError(f"unknown mutant '{mutant}' (mutants: {', '.join(MUTANTS)})")
        self.mutant = mutant
        self.reset(None)

    def reset(self, initial: dict[str, Any] | None) -> None:
        # the implementation has one initial state; the spec's is the same
        self.flag = [False, False]
        self.turn = 0
        self.at = [0, 0]

    def perform(self, step) -> None:
        me = step.self
        label = self.STEPS[self.at[me]]
        if label != step.label:
            raise RuntimeError(f"thread {me} is at {label}, not {step.label}")
        if label == "raise_flag":
            self.flag[me] = True
        elif label == "give_turn":
            self.turn = me if self.mutant == "keep_turn" else 1 - me
        elif label == "wait":
            ok = (not self.flag[1 - me]) or self.turn == me
            if self.mutant == "no_wait":
                ok = True
            if not ok:
                raise RuntimeError(f"thread {me} is blocked at wait")
        elif label == "leave":
            self.flag[me] = self.mutant == "keep_flag"
        self.at[me] = (self.at[me] + 1) % len(self.STEPS)

    def enabled(self) -> set[tuple[str, int, str]]:
        out = set()
        for me in (0, 1):
            label = self.STEPS[self.at[me]]
            if label == "wait" and self.mutant != "no_wait" and self.flag[1 - me] and self.turn != me:
                continue
            out.add(("proc", me, label))
        return out

    def observe(self) -> dict[str, Any]:
        """The refinement mapping: the implementation state as spec values."""
        return {"flag": FMap({0: self.flag[0], 1: self.flag[1]}), "turn": self.turn,
                "proc.pc": FMap({i: self.STEPS[self.at[i]] for i in (0, 1)})}


class _Step:
    """What ``perform`` needs of a step (the fields of a ``StepInfo``)."""

    def __init__(self, process: str, self_value: Any, label: str):
        self.process, self.self, self.label, self.params = process, self_value, label, {}


def run(impl: Peterson, steps: int, seed: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
    """A run of the implementation under a seeded random scheduler:
    (thread, label, observed state after the step) per step."""
    rng = random.Random(seed)
    impl.reset(None)
    out = []
    for _ in range(steps):
        choices = sorted(impl.enabled())
        if not choices:
            break
        _, me, label = rng.choice(choices)
        impl.perform(_Step("proc", me, label))
        out.append((me, label, impl.observe()))
    return out


def no_wait() -> Peterson:
    return Peterson("no_wait")


def keep_turn() -> Peterson:
    return Peterson("keep_turn")


def keep_flag() -> Peterson:
    return Peterson("keep_flag")
