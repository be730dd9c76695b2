"""Spec-driven testing as a Hypothesis state machine.

The compiled model chooses: every rule of the machine draws one of the
model's enabled steps (an index into its successors, so Hypothesis shrinks a
failing run towards fewer steps and towards the first successor), the
adapter makes the implementation take that step, and after every step the
implementation's state seen through the adapter's refinement mapping (and
its enabled steps, when the adapter can say) must equal the model's.

Users get Hypothesis' shrinking, its example database and ``@settings``;
a failure is reported as the run in spec terms (processes, steps, ``any``
choices) and the first variable that differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from ..conformance.drive import Adapter, Divergence, _compare


class SpecDivergence(AssertionError):
    """The implementation left the spec; ``divergence`` says where."""

    def __init__(self, divergence: Divergence):
        super().__init__(divergence.render())
        self.divergence = divergence


@dataclass
class SpecDrivenStats:
    """What the spec-driven runs did: runs started, steps taken, and how
    often each step (``process.label``) ran, for coverage."""

    runs: int = 0
    steps: int = 0
    labels: dict[str, int] = field(default_factory=dict)


def spec_state_machine(model, adapter_factory: Callable[[], Adapter], name: str | None = None,
                       stats: SpecDrivenStats | None = None) -> type[RuleBasedStateMachine]:
    """A :class:`hypothesis.stateful.RuleBasedStateMachine` that drives the
    implementation built by ``adapter_factory`` along runs of ``model`` (a
    compiled model, see :func:`pyspec.testing.load_model`).

    Use its ``TestCase`` in a test module (``TestLock =
    spec_state_machine(model, LockAdapter).TestCase``), or
    :func:`run_state_machine`; the number of steps per run is Hypothesis'
    ``stateful_step_count`` setting.  ``stats``, when given, counts the runs
    and the steps taken.
    """

    class SpecMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.adapter = adapter_factory()
            self.state: Any = None
            self.path: list = []
            if stats is not None:
                stats.runs += 1

        def _check(self) -> None:
            bad = _compare(model, self.state, self.adapter)
            if bad:
                raise SpecDivergence(Divergence(None, list(self.path), *bad))

        @initialize(data=st.data())
        def start(self, data) -> None:
            inits = model.initial_states()
            k = data.draw(st.integers(0, len(inits) - 1), label="initial state") if len(inits) > 1 else 0
            self.state = inits[k]
            self.adapter.reset(model.to_values(self.state))
            self._check()

        @rule(data=st.data())
        def step(self, data) -> None:
            successors = model.successors(self.state)
            if not successors:  # a final (or deadlocked) state: the run just stays there
                return
            k = data.draw(st.integers(0, len(successors) - 1), label="step")
            info, t = successors[k]
            self.path.append(info)
            try:
                self.adapter.perform(info)
            except Exception as e:  # the implementation crashed or refused the step
                raise SpecDivergence(Divergence(None, list(self.path), "", None, None,
                                                f"{type(e).__name__}: {e}")) from e
            self.state = t
            if stats is not None:
                key = f"{info.process}.{info.label}"
                stats.steps += 1
                stats.labels[key] = stats.labels.get(key, 0) + 1
            self._check()

    SpecMachine.__name__ = SpecMachine.__qualname__ = name or f"{getattr(adapter_factory, '__name__', 'Spec')}Machine"
    return SpecMachine


def run_state_machine(model, adapter_factory: Callable[[], Adapter], max_steps: int = 40,
                      max_examples: int = 200, settings: Settings | None = None) -> SpecDrivenStats:
    """Run the spec-driven state machine once (as a test would); raise
    :class:`SpecDivergence` for the shortest failing run Hypothesis finds.

    ``settings`` overrides everything; otherwise runs have at most
    ``max_steps`` steps, ``max_examples`` runs are tried, derandomized, and
    no example database is written (a test module that wants one uses the
    machine's ``TestCase`` with its own ``@settings``).  Returns what the
    runs did when no run diverges."""
    from hypothesis import HealthCheck
    from hypothesis.stateful import run_state_machine_as_test

    stats = SpecDrivenStats()
    machine = spec_state_machine(model, adapter_factory, stats=stats)
    chosen = settings or Settings(max_examples=max_examples, stateful_step_count=max_steps, deadline=None,
                                  database=None, derandomize=True,
                                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    run_state_machine_as_test(machine, settings=chosen)
    return stats
