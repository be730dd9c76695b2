"""A VM with vCPU threads and a userspace thread, ready to run.

:class:`System` builds a :class:`~pyspec.kvm.vm.Kvm` of one version, its
vCPUs and a userspace writer, and spawns them as managed threads of a
scheduler:

* a vCPU thread makes ``accesses`` guest accesses; each starts at point R0,
  where the guest chooses the gfn among ``gfns``;
* the userspace thread makes ``updates`` KVM_SET_USER_MEMORY_REGION calls;
  each starts at point W1, where it chooses a gfn among ``gfns`` and creates
  the one-page slot of that gfn if it has none, or deletes it (the spec's
  ``toggle``).

Choices come from a :class:`Chooser`: seeded random (per thread, so a run is
a function of the seed), or scripted from outside -- the conformance layer
can drive a run along a model's counterexample by scripting the choices and
stepping the threads with :meth:`DeterministicScheduler.step`.

``run(version, seed=..., mode="deterministic"|"threaded")`` is the one-call
form; it returns a :class:`RunResult` with the trace and the MMIO exits.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .memslots import PAGE_SHIFT, KvmUserspaceMemoryRegion, strerror
from .sched import DeterministicScheduler, Task, ThreadedScheduler
from .trace import Event, ListSink, Sink, Tracer
from .vcpu import KvmVcpu, MmioExit, kvm_vcpu_access
from .vm import Kvm, KvmConfig

USERSPACE_BASE = 0x7F0000000000


class StepBlocked(RuntimeError):
    """The implementation cannot take the requested step now."""


class Chooser:
    """Where the threads' nondeterministic choices come from.

    ``choose(proc, ident, what, options)`` returns one of ``options``: from
    a script if one is queued for (proc, ident), else from a per-thread
    ``random.Random(f"{seed}:{proc}:{ident}")`` (or raises, if ``strict``).
    """

    def __init__(self, seed: int | str | None = 0, strict: bool = False):
        self.seed = seed
        self.strict = strict
        self._rngs: dict[tuple[str, Any], random.Random] = {}
        self._script: dict[tuple[str, Any], deque] = {}
        self.log: list[tuple[str, Any, str, Any]] = []

    def script(self, proc: str, ident: Any, *values: Any) -> None:
        """Queue the next choices of thread (proc, ident)."""
        self._script.setdefault((proc, ident), deque()).extend(values)

    def choose(self, proc: str, ident: Any, what: str, options: Sequence[Any]) -> Any:
        q = self._script.get((proc, ident))
        if q:
            v = q.popleft()
            if v not in options:
                raise ValueError(f"{proc}{'' if ident is None else ident}: scripted {what}={v!r} not in {options}")
        elif self.strict:
            raise LookupError(f"{proc}{'' if ident is None else ident}: no scripted {what}")
        else:
            rng = self._rngs.get((proc, ident))
            if rng is None:
                rng = self._rngs[(proc, ident)] = random.Random(f"{self.seed}:{proc}:{ident}")
            v = options[rng.randrange(len(options))]
        self.log.append((proc, ident, what, v))
        return v


@dataclass
class Scenario:
    """The shape of a run (the spec's constants, in implementation terms)."""

    version: str = "v3"
    vcpus: int = 2  # vcpu ids 1..vcpus
    gfns: tuple[int, ...] = (1, 2)  # the gfns accessed and toggled (0 is never cached by KVM)
    initial_cov: tuple[int, ...] = ()  # gfns covered by a slot from the start (generation 0)
    accesses: int = 4  # per vCPU
    updates: int = 3  # KVM_SET_USER_MEMORY_REGION calls
    gen_bits: int | None = 3
    two_phase_delete: bool = False

    def config(self) -> KvmConfig:
        return KvmConfig(version=self.version, gen_bits=self.gen_bits, two_phase_delete=self.two_phase_delete)


class Userspace:
    """The VMM's memory-region bookkeeping: one one-page slot per gfn."""

    def __init__(self, kvm: Kvm, gfns: Sequence[int], initial_cov: Sequence[int]):
        self.kvm = kvm
        self.gfns = list(gfns)
        self.slot_of = {g: i for i, g in enumerate(self.gfns)}  # slot id of gfn's slot
        self.present = set(initial_cov)
        self.n = 0  # ioctls done (the spec's writer.n)
        self.results: list[int] = []

    def region(self, gfn: int) -> KvmUserspaceMemoryRegion:
        create = gfn not in self.present
        return KvmUserspaceMemoryRegion(
            slot=self.slot_of[gfn], flags=0, guest_phys_addr=gfn << PAGE_SHIFT,
            memory_size=(1 << PAGE_SHIFT) if create else 0,
            userspace_addr=USERSPACE_BASE + (gfn << PAGE_SHIFT))

    def toggle(self, gfn: int) -> int:
        mem = self.region(gfn)
        self.kvm.sched.note(gfn=gfn, slot=mem.slot, change="create" if mem.memory_size else "delete")
        r = self.kvm.set_user_memory_region(mem)
        self.results.append(r)
        if r:
            raise RuntimeError(f"KVM_SET_USER_MEMORY_REGION({gfn:#x}) = {strerror(r)}")
        if mem.memory_size:
            self.present.add(gfn)
        else:
            self.present.discard(gfn)
        self.n += 1
        return r


class System:
    """A VM, its vCPUs and userspace, for one scenario."""

    def __init__(self, scenario: Scenario | None = None, chooser: Chooser | None = None, **kw: Any):
        self.scenario = scenario or Scenario(**kw)
        sc = self.scenario
        self.chooser = chooser or Chooser(0)
        self.kvm = Kvm(sc.config())
        for gfn in sc.initial_cov:
            self.kvm.boot_slot(sc.gfns.index(gfn), gfn, 1)
        self.vcpus: list[KvmVcpu] = [self.kvm.create_vcpu(i) for i in range(1, sc.vcpus + 1)]
        self.userspace = Userspace(self.kvm, sc.gfns, sc.initial_cov)
        self.sched: Any = None
        self.tasks: dict[tuple[str, Any], Task] = {}

    # ------------------------------------------------------------ threads

    def vcpu_thread(self, vcpu: KvmVcpu, accesses: int) -> None:
        kvm = self.kvm
        for _ in range(accesses):
            kvm.sched.point("R0")
            gfn = self.chooser.choose("vcpu", vcpu.vcpu_id, "gfn", self.scenario.gfns)
            kvm_vcpu_access(vcpu, gfn)

    def userspace_thread(self, updates: int) -> None:
        kvm = self.kvm
        for _ in range(updates):
            kvm.sched.point("W1")
            gfn = self.chooser.choose("writer", None, "gfn", self.scenario.gfns)
            self.userspace.toggle(gfn)

    def spawn(self, sched: DeterministicScheduler | ThreadedScheduler) -> System:
        """Attach the scheduler and create the threads (vCPUs first)."""
        self.sched = sched
        self.kvm.attach(sched)
        sc = self.scenario
        for v in self.vcpus:
            self.tasks[("vcpu", v.vcpu_id)] = sched.spawn(self.vcpu_thread, v, sc.accesses, proc="vcpu",
                                                          ident=v.vcpu_id, name=f"vcpu{v.vcpu_id}")
        self.tasks[("writer", None)] = sched.spawn(self.userspace_thread, sc.updates, proc="writer", name="writer")
        return self

    def task(self, proc: str, ident: Any = None) -> Task:
        return self.tasks[(proc, ident)]

    # ------------------------------------------------------------ driving

    def perform(self, proc: str, ident: Any = None, label: str | None = None, choice: Any = None) -> list[Event]:
        """Make thread (proc, ident) take one step of the spec (deterministic
        scheduler only): first its internal points of that step (``W3.scan1``
        before ``W3``), then the step itself; ``choice`` is the gfn chosen at
        R0 / W1.  Returns the events.  Raises :class:`StepBlocked` if the
        implementation cannot take the step now, ``ValueError`` if the thread
        is at another step than ``label``."""
        sched = self.sched
        if not isinstance(sched, DeterministicScheduler):
            raise TypeError("perform() needs the deterministic scheduler")
        t = self.task(proc, ident)
        events: list[Event] = []
        while t.label is not None and "." in t.label and (label is None or t.label.split(".", 1)[0] == label):
            if not t.enabled():
                raise StepBlocked(f"{t.name} is blocked at {t.label}")
            ev = sched.step(t)
            if ev is not None:
                events.append(ev)
            if label is None:
                return events
        if t.done or (label is not None and t.label != label):
            raise ValueError(f"{t.name} is at {t.pc}, not at {label}")
        if not t.enabled():
            raise StepBlocked(f"{t.name} is blocked at {t.label}")
        if choice is not None:
            self.chooser.script(proc, ident, choice)
        ev = sched.step(t)
        if ev is not None:
            events.append(ev)
        return events

    def enabled_steps(self) -> list[tuple[str, Any, str]]:
        """(proc, ident, spec label) of every thread that can move now."""
        out = []
        for (proc, ident), t in self.tasks.items():
            if t.enabled() and t.label is not None:
                out.append((proc, ident, t.label.split(".", 1)[0]))
        return out

    def pc(self, proc: str, ident: Any = None) -> str | None:
        """The next step of a thread (its label), "Done" once it has ended."""
        t = self.tasks.get((proc, ident))
        return None if t is None else t.pc

    # ------------------------------------------------------------ results

    @property
    def exits(self) -> list[MmioExit]:
        return self.kvm.exits

    def wrong_exits(self, idle_only: bool = False) -> list[MmioExit]:
        """MMIO exits for a gfn that the visible set covered (only those with
        no ioctl in flight, if ``idle_only``)."""
        return [e for e in self.kvm.exits if e.covered and (not idle_only or not e.in_flight)]

    def stale_entries(self) -> list[tuple[str, Any, int]]:
        """Cached MMIO information that would hit now for a covered gfn:
        (kind, where, gfn) for SPTEs and per-vCPU cache entries."""
        kvm = self.kvm
        out: list[tuple[str, Any, int]] = []
        for gfn, spte in kvm.mmu.mmio_sptes().items():
            if kvm.covered(gfn) and _spte_would_hit(kvm, spte):
                out.append(("spte", None, gfn))
        for v in self.vcpus:
            g = v.arch.mmio_gfn
            if g and kvm.covered(g) and kvm.version.vcpu_match_mmio_gen(v):
                out.append(("vcpu_cache", v.vcpu_id, g))
        return out


def _spte_would_hit(kvm: Kvm, spte: int) -> bool:
    """check_mmio_spte() without a vCPU (it only reads kvm)."""
    from .versions import KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS
    gen = kvm.memslots.generation
    if kvm.version.name == "v3" and gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS:
        return False
    return (gen & kvm.layout.mmio_gen_mask) == kvm.layout.get_mmio_spte_generation(spte)


@dataclass
class RunResult:
    system: System
    events: list[Event]
    steps: int
    seed: Any
    mode: str
    schedule: list[str] = field(default_factory=list)
    initial_state: dict | None = None  # snapshot(system) before the first step, when a snapshot is given

    @property
    def kvm(self) -> Kvm:
        return self.system.kvm

    @property
    def exits(self) -> list[MmioExit]:
        return self.system.exits


def run(version: str = "v3", seed: int | str | None = 0, mode: str = "deterministic",
        scenario: Scenario | None = None, sink: Sink | None = None,
        snapshot: Callable[[System], dict] | None = None, max_steps: int | None = None,
        **kw: Any) -> RunResult:
    """Run one scenario to the end and return its trace.

    Events go to ``sink`` (if given) and to ``RunResult.events``.
    ``snapshot(system)``, if given, is stored in every event as ``"state"``
    (pass :func:`pyspec.kvm.refinement.spec_state`) and taken once before
    the first step (``RunResult.initial_state``).  Extra keyword arguments
    are :class:`Scenario` fields.
    """
    if scenario is None:
        scenario = Scenario(version=version, **kw)
    elif kw:
        raise TypeError("pass either a scenario or its fields")
    events = ListSink()

    def tee(event: Event) -> None:
        events.append(event)
        if sink is not None:
            sink(event)

    system = System(scenario, Chooser(seed))
    tracer = Tracer(tee, None if snapshot is None else (lambda: snapshot(system)))
    initial = None
    if mode == "deterministic":
        sched = DeterministicScheduler(seed, tracer)
        try:
            system.spawn(sched)
            initial = None if snapshot is None else snapshot(system)
            steps = sched.run(max_steps)
        finally:
            sched.close()
        schedule = sched.schedule
    elif mode == "threaded":
        tsched = ThreadedScheduler(tracer, seed)
        system.spawn(tsched)
        initial = None if snapshot is None else snapshot(system)
        tsched.run()
        steps = tracer.seq
        schedule = []
    else:
        raise ValueError(f"mode must be 'deterministic' or 'threaded', not {mode!r}")
    return RunResult(system, events, steps, seed, mode, schedule, initial)
