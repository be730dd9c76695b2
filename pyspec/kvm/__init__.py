"""The KVM reference implementation: the code under test of conformance.

Memslots, SRCU, MMIO SPTEs, the per-vCPU MMIO cache and the four generation
schemes (``v1``, ``patch2014``, ``v2``, ``v3``), written the way the kernel
writes them -- not the way the spec does -- and runnable with real threads
or under a deterministic, seeded scheduler, emitting one trace event per
labelled step (R0..R6, W1..W6).  It does not import the spec toolchain.

Modules, one concern each:

=================  ===========================================================
``memslots``       the sorted slot array, binary search, update_memslots,
                   KVM_SET_USER_MEMORY_REGION validation and error codes
``srcu``           classic counter-based SRCU
``spte``           MMIO SPTE bit layouts, make/is/get helpers
``mmu``            the shadow page table, zaps
``vcpu``           the per-vCPU MMIO cache and the reader path R0..R6
``versions``       install_new_memslots (W1..W6) and the generation checks,
                   per version; the wrap zap
``vm``             struct kvm and its configuration
``sched``          inline / threaded / deterministic schedulers
``trace``          trace events and sinks
``harness``        a VM with vCPU and userspace threads; ``run()``
``refinement``     implementation state -> the spec's variables (ITF JSON)
``mutants``        named implementation bugs, patched in at run time
=================  ===========================================================
"""

from .harness import Chooser, RunResult, Scenario, StepBlocked, System, run
from .sched import Deadlock, DeterministicScheduler, ThreadedScheduler
from .trace import JsonLinesSink, ListSink, Tracer
from .versions import VERSIONS, get_version
from .vm import Kvm, KvmConfig

__all__ = [
    "VERSIONS", "Chooser", "Deadlock", "DeterministicScheduler", "JsonLinesSink", "Kvm", "KvmConfig",
    "ListSink", "RunResult", "Scenario", "StepBlocked", "System", "ThreadedScheduler", "Tracer",
    "get_version", "run",
]
