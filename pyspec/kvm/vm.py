"""struct kvm: the VM-wide state the protocol shares, and its ioctls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import memslots as ms
from .memslots import KvmMemorySlot, KvmMemslots, KvmUserspaceMemoryRegion, kvm_alloc_memslots
from .mmu import ShadowMmu
from .sched import INLINE, SchedMutex
from .srcu import SRCU
from .vcpu import KVM_REQ_MMU_RELOAD, KvmVcpu, kvm_make_request, kvm_mmu_reload
from .versions import InstallFrame, Version, get_version


@dataclass
class KvmConfig:
    """Build-time and run-time parameters of a VM."""

    version: str | Version = "v3"
    gen_bits: int | None = None  # width of the truncated generation; None: the version's own
    address_space_num: int = 1  # KVM_ADDRESS_SPACE_NUM (2 on x86 from 2015, with SMM)
    user_mem_slots: int = ms.KVM_USER_MEM_SLOTS
    private_mem_slots: int = ms.KVM_PRIVATE_MEM_SLOTS
    initial_generation: int = 0  # some kernels started at -150 to exercise the wrap early
    two_phase_delete: bool = False  # delete/move via an invalid-slot install first, as the kernel does

    @property
    def mem_slots_num(self) -> int:
        return self.user_mem_slots + self.private_mem_slots


class Kvm:
    """A VM: the published memslot sets, SRCU, the shadow MMU, the vCPUs.

    ``sched`` is where the labelled steps are scheduled (``INLINE``: plain
    calls); attach a scheduler with :meth:`attach` before spawning threads.
    """

    def __init__(self, config: KvmConfig | None = None, sched: Any = None,
                 initial_slots: tuple[tuple[int, int, int], ...] = ()):
        self.config = config or KvmConfig()
        self.version: Version = get_version(self.config.version)
        self.layout = self.version.spte_layout(self.config.gen_bits)
        self.sched: Any = INLINE
        self.srcu = SRCU()
        self._memslots: list[KvmMemslots] = [
            kvm_alloc_memslots(self.config.mem_slots_num, self.config.initial_generation + 2 * i)
            for i in range(self.config.address_space_num)]
        self.slots_lock = SchedMutex(lambda: self.sched)
        self.mmu = ShadowMmu(self.layout)
        self.mmu.reload_remote_mmus = self.kvm_reload_remote_mmus
        self.vcpus: list[KvmVcpu] = []
        self.exits: list = []
        self.updates_done = 0
        self.last_change: ms.MemoryRegionChange | None = None
        self.install: InstallFrame | None = None  # the latest install_new_memslots() frame
        self.installs = 0
        self.warnings: list[str] = []
        self._clock = 0  # ghost clock (auxiliary: orders srcu_read_lock and publish)
        for slot_id, base_gfn, npages in initial_slots:
            self.boot_slot(slot_id, base_gfn, npages)
        self.attach(sched if sched is not None else INLINE)

    def attach(self, sched: Any) -> None:
        self.sched = sched
        self.srcu.sched = sched

    # ------------------------------------------------------------ memslots

    @property
    def memslots(self) -> KvmMemslots:
        """kvm_memslots(kvm): rcu_dereference(kvm->memslots[0])."""
        return self._memslots[0]

    def memslots_of(self, as_id: int) -> KvmMemslots:
        return self._memslots[as_id]

    def rcu_assign_pointer(self, as_id: int, slots: KvmMemslots) -> None:
        self._memslots[as_id] = slots

    def boot_slot(self, slot_id: int, base_gfn: int, npages: int, flags: int = 0) -> None:
        """A slot present from the start (no install, generation unchanged):
        the harness's way to begin from any memslot set with generation 0."""
        slots = self._memslots[0]
        slot = KvmMemorySlot(id=slot_id, base_gfn=base_gfn, npages=npages,
                             userspace_addr=0x7f0000000000 + (base_gfn << ms.PAGE_SHIFT), flags=flags)
        ms.update_memslots(slots, slot)

    def covered(self, gfn: int) -> bool:
        """The published set maps ``gfn`` to RAM (a valid slot contains it)."""
        slot = ms.linear_search_memslots(self.memslots, gfn)
        return slot is not None and not slot.flags & ms.KVM_MEMSLOT_INVALID

    # ------------------------------------------------------------ the writer

    def set_user_memory_region(self, mem: KvmUserspaceMemoryRegion) -> int:
        """The KVM_SET_USER_MEMORY_REGION ioctl."""
        r = ms.kvm_vm_ioctl_set_memory_region(self, mem)
        if r == 0:
            self.updates_done += 1
        return r

    def begin_install(self, as_id: int, slots: KvmMemslots) -> InstallFrame:
        self.installs += 1
        self.install = InstallFrame(as_id, slots)
        return self.install

    def install_new_memslots(self, as_id: int, slots: KvmMemslots) -> KvmMemslots:
        return self.version.install_new_memslots(self, as_id, slots)

    def flush_shadow_memslot(self, slot: KvmMemorySlot | None) -> None:
        if slot is not None and slot.npages:
            self.mmu.zap_present_range(slot.base_gfn, slot.npages)

    def update_in_flight(self) -> bool:
        return self.slots_lock.locked()

    # ------------------------------------------------------------ vCPUs

    def create_vcpu(self, vcpu_id: int) -> KvmVcpu:
        """A vCPU that has already entered the guest once: it holds the
        current root (as the spec starts with every root valid)."""
        vcpu = KvmVcpu(self, vcpu_id)
        kvm_mmu_reload(vcpu)
        self.vcpus.append(vcpu)
        return vcpu

    def kvm_reload_remote_mmus(self) -> None:
        """kvm_make_all_cpus_request(kvm, KVM_REQ_MMU_RELOAD)."""
        for vcpu in self.vcpus:
            kvm_make_request(KVM_REQ_MMU_RELOAD, vcpu)

    def warn_on(self, cond: Any, msg: str) -> bool:
        """WARN_ON(): record, do not stop."""
        if cond:
            self.warnings.append(msg)
        return bool(cond)

    def tick(self) -> int:
        self._clock += 1
        return self._clock
