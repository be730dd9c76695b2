"""Conformance of impl_lease_lock.py to spec/tutorial/lease_lock.pyspec, the
last part of docs/tutorial.md:

1. trace validation: traces the implementation logs while it runs must be
   behaviours of the spec;
2. spec-driven testing: the spec chooses every step, the implementation
   takes it, and its state must map to the spec's state;
3. both catch the buggy variant whose storage checks fencing tokens on
   writes only.

    python spec/tutorial/lease_lock_conformance.py

tests/tutorial/test_lease_lock.py runs the same functions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # impl_lease_lock, next to this file

from impl_lease_lock import LeaseLockSystem  # noqa: E402

from pyspec.testing import (  # noqa: E402
    NONE,
    Divergence,
    FMap,
    ModelValue,
    SpecDivergence,
    SpecDrivenStats,
    ValidationResult,
    load_model,
    run_spec_driven,
    validate_trace,
)

SPEC = HERE / "lease_lock.pyspec"
MODEL = "two_clients"


def the_model():
    """The compiled model the implementation is checked against."""
    return load_model(SPEC, MODEL)


def logged_run(seed: int, fence_reads: bool = True) -> list[str]:
    """Run the implementation on a random schedule; its log, as JSON lines."""
    lines: list[str] = []
    LeaseLockSystem(fence_reads=fence_reads, log=lambda event: lines.append(json.dumps(event))).run(seed)
    return lines


def validate_run(model, seed: int, fence_reads: bool = True) -> ValidationResult:
    return validate_trace(model, logged_run(seed, fence_reads))


def first_invalid_trace(model, seeds: range, fence_reads: bool) -> tuple[int, ValidationResult] | None:
    """The first seed whose trace the spec does not explain."""
    for seed in seeds:
        result = validate_run(model, seed, fence_reads)
        if not result.ok:
            return seed, result
    return None


class LeaseLockAdapter:
    """Spec-driven testing of :class:`LeaseLockSystem`: ``perform`` makes the
    implementation take the step the spec chose, ``observe`` is the
    refinement mapping (implementation state -> spec variables) and
    ``enabled`` the steps the implementation could take."""

    def __init__(self, fence_reads: bool = True):
        self.fence_reads = fence_reads
        self.system = LeaseLockSystem(fence_reads=fence_reads)

    def reset(self, initial) -> None:
        self.system = LeaseLockSystem(fence_reads=self.fence_reads)

    def perform(self, step) -> None:
        self.system.perform(step.process, None if step.self is None else step.self.name, step.label)

    def enabled(self) -> set:
        return {(process, None if who is None else ModelValue("Client", who), label)
                for process, who, label in self.system.ready()}

    def observe(self) -> dict:
        server, storage, clients = self.system.server, self.system.storage, self.system.clients.values()

        def per_client(field: str) -> FMap:
            return FMap({ModelValue("Client", c.name): getattr(c, field) for c in clients})

        return {
            "now": server.now,
            "holder": NONE if server.holder is None else ModelValue("Client", server.holder),
            "expires": server.expires,
            "next_token": server.next_token,
            "value": storage.value,
            "fence": storage.fence,
            "increments": self.system.increments,
            "refusals": storage.refusals,
            "clock.pc": self.system.clock.next_step,
            "client.pc": per_client("next_step"),
            "client.seen": per_client("seen"),
            "client.token": per_client("token"),
        }


def spec_driven(model, fence_reads: bool = True, runs: int = 200) -> SpecDrivenStats | Divergence:
    """Hypothesis drives the implementation along runs of the spec: the
    statistics of the runs, or the shortest divergence it shrinks to."""
    try:
        return run_spec_driven(model, lambda: LeaseLockAdapter(fence_reads), max_steps=40, max_examples=runs)
    except SpecDivergence as e:
        return e.divergence


def main() -> None:
    model = the_model()

    print("== a trace logged by the implementation (first 3 of its lines)")
    for line in logged_run(seed=0)[:3]:
        print(line)

    print("\n== trace validation: 100 random runs of the implementation")
    events = 0
    for seed in range(100):
        result = validate_run(model, seed)
        assert result.ok, result.render(model)
        events += result.total
    print(f"100 traces valid ({events} events)")

    print("\n== trace validation of the buggy storage (fences writes only)")
    found = first_invalid_trace(model, range(100), fence_reads=False)
    if found is None:
        print("every trace valid")
    else:
        seed, result = found
        print(f"seed {seed}: {result.render(model)}")

    print("\n== spec-driven testing")
    result = spec_driven(model)
    if isinstance(result, Divergence):
        print(result.render())
    else:
        # (how many runs Hypothesis makes depends on its version: not printed)
        print("no divergence; steps taken: " + ", ".join(sorted(result.labels)))

    print("\n== spec-driven testing of the buggy storage, shrunk by Hypothesis")
    result = spec_driven(model, fence_reads=False)
    print(result.render() if isinstance(result, Divergence) else "no divergence")


if __name__ == "__main__":
    main()
