"""The KVM reference implementation (:mod:`pyspec.kvm`) seen through the
spec library (``spec/kvm/<version>.pyspec``): compiled models, traces of
implementation runs in spec values, and the :class:`~.drive.Adapter` that
makes the implementation take the steps a model (or a counterexample) picks.

:mod:`pyspec.kvm` does not import the toolchain: its refinement mapping
(:func:`pyspec.kvm.refinement.spec_state`) produces ITF JSON, which
:class:`Decoder` turns into the spec's values.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..values import ModelValue, from_itf
from .traces import Event, Trace

VERSIONS = ("v1", "patch2014", "v2", "v3")
#: the models of spec/kvm/<version>.pyspec that implementation runs are checked against
MODELS = ("small", "wrap")
SPEC_DIR = Path(__file__).resolve().parents[2] / "spec" / "kvm"

#: What a thread of the implementation can log about itself (partial
#: observation): a vCPU its own program counter, fault and per-vCPU cache
#: entry; userspace the memslot set and generation it installed and its own
#: progress.  The shadow MMU (``spte``, ``valid_root``), SRCU's snapshot
#: (``gp_wait``) and the other threads' locals are never logged.
OWN = {"vcpu": ("vcpu.gfn", "vcpu.pc", "vcache"), "writer": ("cov", "gen", "writer.n", "writer.pc", "writer.new_cov")}
#: keys of the indexed variables (maps keyed by vCPU) a vCPU logs only its own entry of
PER_VCPU = ("vcpu.gfn", "vcpu.pc", "vcache")


@functools.cache
def load(version: str):
    """The IR of ``spec/kvm/<version>.pyspec`` (once per process)."""
    import pyspec

    if version not in VERSIONS:
        raise ValueError(f"unknown KVM version {version!r}; one of {', '.join(VERSIONS)}")
    return pyspec.load(str(SPEC_DIR / f"{version}.pyspec"))


def compiled(version: str, model: str):
    """The compiled model ``model`` of ``spec/kvm/<version>.pyspec``, compiled
    once per process and shared with the embedded checker (which finds the
    library's counterexamples)."""
    from ..engines.embedded.runner import compiled as engine_compiled

    return engine_compiled(load(version), model)


@dataclass(frozen=True)
class Shape:
    """A model's constants in implementation terms (a :class:`pyspec.kvm.Scenario`'s fields)."""

    vcpus: int
    gfns: tuple[int, ...]
    updates: int
    gen_bits: int

    @classmethod
    def of(cls, model) -> Shape:
        c = model.constants
        return cls(vcpus=len(c["VCPUS"]), gfns=tuple(range(1, len(c["GFNS"]) + 1)),
                   updates=c["MAX_UPDATES"], gen_bits=c["GEN_BITS"])


class Decoder:
    """ITF JSON states of :func:`~pyspec.kvm.refinement.spec_state` -> spec
    values of one model.  Consecutive states of a run share most values, so
    decoded values are memoized per variable (keyed by their JSON text)."""

    LIMIT = 50_000  # memo entries per variable before the memo is cleared

    def __init__(self, model):
        self.types = model.state_types()
        self._memo: dict[str, dict[str, Any]] = {k: {} for k in self.types}

    def value(self, key: str, itf: Any) -> Any:
        memo = self._memo[key]
        text = repr(itf)  # spec_state lists set elements and map keys sorted: equal values, equal text
        v = memo.get(text)
        if v is None:
            if len(memo) >= self.LIMIT:
                memo.clear()
            v = memo[text] = from_itf(itf, self.types[key])
        return v

    def state(self, itf: dict[str, Any]) -> dict[str, Any]:
        return {k: self.value(k, v) for k, v in itf.items() if k in self.types}


def vcpu_value(ident: int) -> ModelValue:
    return ModelValue("Vcpu", f"v{ident}")


def observation(state: dict[str, Any], proc: str, me: Any, partial: bool) -> dict[str, Any]:
    """What the thread ``(proc, me)`` logs after its step: everything, or
    (``partial``) only what it knows about itself (:data:`OWN`)."""
    if not partial:
        return state
    out = {}
    for k in OWN[proc]:
        v = state[k]
        out[k] = type(v)({me: v[me]}) if k in PER_VCPU else v
    return out


def to_trace(decoder: Decoder, result, partial: bool = False) -> Trace:
    """A run of the implementation (``pyspec.kvm.run`` with the
    ``spec_state`` snapshot) as a trace of spec events.  Internal scheduling
    points of a step (``W3.scan1``) are left out: they change no spec variable."""
    events = []
    for e in result.events:
        if "." in e["label"]:
            continue
        me = None if e["proc"] == "writer" else vcpu_value(e["self"])
        observed = observation(decoder.state(e["state"]), e["proc"], me, partial)
        events.append(Event(e["proc"], me, e["label"], {}, observed))
    init = decoder.state(result.initial_state) if result.initial_state is not None else None
    if init is not None and partial:
        init = {k: init[k] for k in OWN["writer"]}
    return Trace(init, events)


# ---------------------------------------------------------------- driving


class KvmAdapter:
    """Spec-driven testing and replay (:mod:`.drive`, :mod:`.replay`) on the
    implementation of one version: a fresh VM under the deterministic
    scheduler per run, each spec step performed by the thread it names.

    ``version`` is the implementation's; ``model`` gives the shape (vCPUs,
    gfns, updates, generation width) and the spec values it is observed in.
    """

    def __init__(self, version: str, model, accesses: int = 1000):
        self.version = version
        self.shape = Shape.of(model)
        self.decoder = Decoder(model)
        self.accesses = accesses  # per vCPU; the spec's vCPUs never stop
        self.system = None

    def reset(self, initial: dict[str, Any]) -> None:
        from ..kvm import Chooser, DeterministicScheduler, Scenario, System, Tracer

        self.close()
        sh = self.shape
        cov = tuple(sorted(int(g.name.removeprefix("g")) for g in initial["cov"]))
        scenario = Scenario(version=self.version, vcpus=sh.vcpus, gfns=sh.gfns, initial_cov=cov,
                            accesses=self.accesses, updates=sh.updates, gen_bits=sh.gen_bits)
        self.system = System(scenario, Chooser(0, strict=True))
        self.system.spawn(DeterministicScheduler(0, Tracer()))

    def perform(self, step) -> None:
        from ..kvm.refinement import perform_spec_step

        perform_spec_step(self.system, step.process, step.self, step.label, step.params)

    def observe(self) -> dict[str, Any]:
        from ..kvm.refinement import spec_state

        return self.decoder.state(spec_state(self.system))

    def close(self) -> None:
        if self.system is not None and self.system.sched is not None:
            self.system.sched.close()
        self.system = None


class CrossVersionAdapter(KvmAdapter):
    """Replays a counterexample of one version on the implementation of
    another (a fixed one), translating the steps.

    W1..W3 (copy, publish, grace period) mean the same in every version; the
    steps after the grace period differ.  A post-grace step of the source
    that is its version's last step of the ioctl runs the target's writer to
    the end of the ioctl; an earlier one runs the target's step of the same
    label if the target has it and it is not the target's last.  A vCPU
    step whose label the target's vCPU is not at (the target took another
    path) first runs that vCPU forward, at most to the end of its access; a
    step the target cannot take yet (the grace period waiting for a reader)
    first runs the readers it waits for to the end of their accesses.  Every
    translated run is a schedule of the target, so the target's spec decides
    whether the misbehaviour can happen there.
    """

    def __init__(self, source: str, target: str, model, accesses: int = 1000):
        from ..kvm.versions import get_version

        super().__init__(target, model, accesses)
        self.source_labels = get_version(source).writer_labels
        self.target_labels = get_version(target).writer_labels

    def _pc(self, proc: str, ident: Any) -> str | None:
        pc = self.system.pc(proc, ident)
        return None if pc is None else pc.split(".", 1)[0]

    def _step(self, proc: str, ident: Any, label: str | None = None, choice: Any = None) -> None:
        from ..kvm import StepBlocked
        from ..kvm.refinement import prepare_spec_step

        for _ in range(64):
            try:
                prepare_spec_step(self.system, proc, self._pc(proc, ident) if label is None else label)
                self.system.perform(proc, ident, label, choice)
                return
            except StepBlocked:
                if not self._unblock():
                    raise
        raise RuntimeError(f"{proc} cannot take {label}")

    def _unblock(self) -> bool:
        """Run one vCPU that is inside an access one step further."""
        for v in self.system.vcpus:
            if self._pc("vcpu", v.vcpu_id) not in ("R0", "Done", None):
                try:
                    self.system.perform("vcpu", v.vcpu_id)
                    return True
                except Exception:  # noqa: BLE001 - that vCPU is blocked too; try the next
                    continue
        return False

    def perform(self, step) -> None:
        from ..kvm.refinement import Naming

        nm = Naming.for_system(self.system)
        choice = None
        for v in step.params.values():
            choice = nm.gfn_of(f"{v.sort}.{v.name}")
        if step.process == "writer":
            self._writer(step.label, choice)
        else:
            self._vcpu(nm.vcpu_of(f"{step.self.sort}.{step.self.name}"), step.label, choice)

    def _writer(self, label: str, choice: Any) -> None:
        if label in ("W1", "W2", "W3"):
            while self._pc("writer", None) != label:  # finish the previous ioctl's post-grace steps
                self._step("writer", None)
            self._step("writer", None, label, choice)
            return
        if label == self.source_labels[-1]:
            while self._pc("writer", None) not in ("W1", "Done"):
                self._step("writer", None)
        elif label in self.target_labels[:-1] and self._pc("writer", None) == label:
            self._step("writer", None, label)

    def _vcpu(self, ident: int, label: str, choice: Any) -> None:
        while self._pc("vcpu", ident) not in (label, "R0"):
            self._step("vcpu", ident)
        if self._pc("vcpu", ident) == label:
            self._step("vcpu", ident, label, choice)
