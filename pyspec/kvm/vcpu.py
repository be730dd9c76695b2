"""A vCPU and its handling of one guest access: the reader, R0..R6.

The harness models every guest access as a VM exit that reaches KVM (an EPT
violation or misconfiguration, or an access the emulator performs).  One
access is one SRCU read-side section:

    R0  srcu_read_lock (vcpu->srcu_idx); a pending KVM_REQ_MMU_RELOAD is
        served (kvm_mmu_reload on guest entry: the vCPU loads the root of
        the current mmu_valid_gen); the guest touched gfn X
    R1  fast path, vcpu_match_mmio_gpa(): the per-vCPU MMIO cache holds X
        (and, from 2014 on, its generation is current) -> R6
    R2  handle_mmio_page_fault(): X has an MMIO SPTE whose generation
        check_mmio_spte() accepts -> R6; a missing, present or stale SPTE
        takes the slow path (RET_PF_INVALID)
    R3  slow path: look X up in kvm_memslots(kvm) (first dereference);
        covered: map RAM (a present SPTE replaces any MMIO SPTE),
        srcu_read_unlock, done
    R4  handle_abnormal_pfn(): vcpu_cache_mmio_info() for X
    R5  mark_mmio_spte(): an MMIO SPTE for X tagged with the generation read
        from kvm->memslots *now* (second dereference)
    R6  KVM_EXIT_MMIO to userspace; srcu_read_unlock

An MMIO SPTE hit at R2 refills the per-vCPU cache too
(handle_mmio_page_fault() calls vcpu_cache_mmio_info() before returning
RET_PF_EMULATE), with each version's tagging and in-progress skip, as the
spec's R2 does.

Walks and SPTE writes (R2, R3, R5) go through the root the vCPU loaded at
R0.  If the wraparound zap made that root obsolete in the meantime, the walk
finds nothing and the write is lost with the root at the next reload
(:mod:`pyspec.kvm.mmu`).

Each step starts at a scheduling point (``kvm.sched.point``); the harness
takes the point for R0 itself, where the guest chooses X.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import memslots as ms
from .memslots import PAGE_SHIFT, KvmMemorySlot
from .mmu import ShadowRoot
from .spte import get_mmio_spte_gfn, is_mmio_spte, is_shadow_present_pte

if TYPE_CHECKING:
    from .vm import Kvm

RET_PF_RETRY = 0
RET_PF_EMULATE = 1
RET_PF_INVALID = 2

KVM_PFN_NOSLOT = -1
KVM_EXIT_MMIO = 6
ACC_ALL = 0b111

# vcpu->requests bits (include/linux/kvm_host.h)
KVM_REQ_MMU_RELOAD = 1 << 1


@dataclass
class VcpuArch:
    """The MMIO cache fields of struct kvm_vcpu_arch."""

    mmio_gva: int = 0
    mmio_access: int = 0
    mmio_gfn: int = 0  # 0: empty (vcpu_match_mmio_gpa() never matches gfn 0)
    mmio_gen: int = 0  # from 2014 on
    mmu_root: ShadowRoot | None = None  # vcpu->arch.mmu->root_hpa (None: INVALID_PAGE)


@dataclass
class KvmRun:
    """The part of struct kvm_run an MMIO exit fills."""

    exit_reason: int = 0
    mmio_phys_addr: int = 0
    mmio_len: int = 0
    mmio_is_write: bool = False


@dataclass
class MmioExit:
    """An MMIO exit as userspace saw it, with what held at that moment."""

    vcpu_id: int
    gfn: int
    path: str  # "cache" (R1), "spte" (R2) or "slow" (R3..R5)
    covered: bool  # the set visible at the exit covers gfn: a wrong exit
    in_flight: bool  # a KVM_SET_USER_MEMORY_REGION was in flight
    updates_done: int  # ioctls completed before the exit


@dataclass
class PageFault:
    """The fault being handled (struct kvm_page_fault, 2021, in spirit)."""

    gfn: int
    memslots: object = None  # the set the slow path looked the gfn up in (R3)
    slot: KvmMemorySlot | None = None
    pfn: int = KVM_PFN_NOSLOT


@dataclass(eq=False)
class KvmVcpu:
    kvm: Kvm
    vcpu_id: int
    arch: VcpuArch = field(default_factory=VcpuArch)
    run: KvmRun = field(default_factory=KvmRun)
    srcu_idx: int | None = None  # held SRCU index while inside a read-side section
    requests: int = 0  # vcpu->requests (KVM_REQ_*)
    fault: PageFault | None = None
    exits: list[MmioExit] = field(default_factory=list)
    ram_accesses: int = 0
    # ghost clock value at srcu_read_lock (auxiliary, for the refinement mapping)
    entered_at: int | None = None

    def in_section(self) -> bool:
        return self.srcu_idx is not None


# ---------------------------------------------------------------- x86.h


def vcpu_match_mmio_gpa(vcpu: KvmVcpu, gpa: int) -> bool:
    kvm = vcpu.kvm
    return bool(kvm.version.vcpu_match_mmio_gen(vcpu) and vcpu.arch.mmio_gfn
                and vcpu.arch.mmio_gfn == gpa >> PAGE_SHIFT)


def vcpu_cache_mmio_info(vcpu: KvmVcpu, gva: int, gfn: int, access: int) -> bool:
    return vcpu.kvm.version.vcpu_cache_mmio_info(vcpu, gva, gfn, access)


# ---------------------------------------------------------------- mmu.c


def kvm_make_request(req: int, vcpu: KvmVcpu) -> None:
    vcpu.requests |= req


def kvm_check_request(req: int, vcpu: KvmVcpu) -> bool:
    """Test and clear a request bit."""
    if vcpu.requests & req:
        vcpu.requests &= ~req
        return True
    return False


def kvm_mmu_unload(vcpu: KvmVcpu) -> None:
    """Drop the vCPU's root (mmu_free_roots): an obsolete root goes with it."""
    vcpu.arch.mmu_root = None


def kvm_mmu_reload(vcpu: KvmVcpu) -> bool:
    """Load a root if the vCPU has none (kvm_mmu_load); whether it loaded one."""
    if vcpu.arch.mmu_root is not None:
        return False
    vcpu.arch.mmu_root = vcpu.kvm.mmu.mmu_alloc_direct_roots()
    return True


def vcpu_enter_guest_mmu(vcpu: KvmVcpu) -> bool:
    """What vcpu_enter_guest() does for the MMU before entering the guest:
    serve KVM_REQ_MMU_RELOAD, then kvm_mmu_reload().  Whether it loaded a root."""
    if kvm_check_request(KVM_REQ_MMU_RELOAD, vcpu):
        kvm_mmu_unload(vcpu)
    return kvm_mmu_reload(vcpu)


def kvm_vcpu_gfn_to_memslot(vcpu: KvmVcpu, gfn: int) -> KvmMemorySlot | None:
    slots = vcpu.kvm.memslots  # kvm_vcpu_memslots(vcpu): rcu_dereference
    if vcpu.fault is not None:
        vcpu.fault.memslots = slots
    return ms.search_memslots(slots, gfn)


def __gfn_to_pfn_memslot(slot: KvmMemorySlot | None, gfn: int) -> int:
    """No slot, or a slot being deleted or moved: no pfn, the access is MMIO."""
    if slot is None or slot.flags & ms.KVM_MEMSLOT_INVALID:
        return KVM_PFN_NOSLOT
    return (slot.userspace_addr >> PAGE_SHIFT) + (gfn - slot.base_gfn)


def is_noslot_pfn(pfn: int) -> bool:
    return pfn == KVM_PFN_NOSLOT


def handle_mmio_page_fault(vcpu: KvmVcpu, gfn: int) -> int:
    """R2: the SPTE walk."""
    kvm = vcpu.kvm
    spte = kvm.mmu.walk_shadow_page_get_mmio_spte(gfn, vcpu.arch.mmu_root)
    if is_mmio_spte(spte):
        assert get_mmio_spte_gfn(spte) == gfn
        if not kvm.version.check_mmio_spte(vcpu, spte):
            kvm.sched.note(spte="mmio", hit=False)
            return RET_PF_INVALID
        cached = refill_mmio_cache(vcpu, gfn)
        kvm.sched.note(spte="mmio", hit=True, cached=cached, gen=kvm.memslots.generation)
        return RET_PF_EMULATE
    kvm.sched.note(spte="present" if is_shadow_present_pte(spte) else "none", hit=False)
    return RET_PF_INVALID


def refill_mmio_cache(vcpu: KvmVcpu, gfn: int) -> bool:
    """handle_mmio_page_fault(): an MMIO SPTE hit refills the per-vCPU MMIO
    cache (vcpu_cache_mmio_info) before returning RET_PF_EMULATE."""
    return vcpu_cache_mmio_info(vcpu, 0, gfn, ACC_ALL)


def try_async_pf(vcpu: KvmVcpu, gfn: int) -> int:
    """R3: the memslot lookup (first dereference of kvm->memslots)."""
    slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn)
    pfn = __gfn_to_pfn_memslot(slot, gfn)
    assert vcpu.fault is not None
    vcpu.fault.slot, vcpu.fault.pfn = slot, pfn
    vcpu.kvm.sched.note(covered=not is_noslot_pfn(pfn), slot=None if slot is None else slot.id,
                        gen=vcpu.fault.memslots.generation)  # type: ignore[attr-defined]
    return pfn


def direct_map(vcpu: KvmVcpu, gfn: int, pfn: int) -> None:
    vcpu.kvm.mmu.set_present_spte(gfn, pfn, root=vcpu.arch.mmu_root)


def handle_abnormal_pfn(vcpu: KvmVcpu, gfn: int) -> None:
    """R4: a noslot pfn is MMIO; remember it in the per-vCPU cache."""
    cached = vcpu_cache_mmio_info(vcpu, 0, gfn, ACC_ALL)
    vcpu.kvm.sched.note(cached=cached, gen=vcpu.kvm.memslots.generation)


def mark_mmio_spte(vcpu: KvmVcpu, gfn: int) -> None:
    """R5: install the MMIO SPTE, tagged with the generation read now."""
    kvm = vcpu.kvm
    gen = kvm.version.mmio_spte_generation(kvm)
    spte = kvm.mmu.mark_mmio_spte(gfn, gen, root=vcpu.arch.mmu_root)
    kvm.sched.note(gen=gen, spte_gen=kvm.layout.get_mmio_spte_generation(spte),
                   obsolete_root=kvm.mmu.is_obsolete_root(vcpu.arch.mmu_root))


# ---------------------------------------------------------------- the section


def vcpu_srcu_read_lock(vcpu: KvmVcpu) -> None:
    kvm = vcpu.kvm
    vcpu.srcu_idx = kvm.srcu.read_lock()
    vcpu.entered_at = kvm.tick()


def vcpu_srcu_read_unlock(vcpu: KvmVcpu) -> None:
    if vcpu.srcu_idx is None:
        return  # already left
    idx, vcpu.srcu_idx = vcpu.srcu_idx, None
    vcpu.entered_at = None
    vcpu.kvm.srcu.read_unlock(idx)


def vcpu_mmio_exit(vcpu: KvmVcpu, gfn: int, path: str) -> str:
    """R6: KVM_EXIT_MMIO, then leave the read-side section."""
    kvm = vcpu.kvm
    kvm.sched.point("R6")
    vcpu.run.exit_reason = KVM_EXIT_MMIO
    vcpu.run.mmio_phys_addr = gfn << PAGE_SHIFT
    vcpu.run.mmio_len = 8
    slot = ms.linear_search_memslots(kvm.memslots, gfn)
    covered = slot is not None and not slot.flags & ms.KVM_MEMSLOT_INVALID
    exit_ = MmioExit(vcpu.vcpu_id, gfn, path, covered, kvm.update_in_flight(), kvm.updates_done)
    vcpu.exits.append(exit_)
    kvm.exits.append(exit_)
    kvm.sched.note(gfn=gfn, path=path, wrong=covered)
    vcpu_srcu_read_unlock(vcpu)
    vcpu.fault = None
    return "mmio"


def kvm_vcpu_access(vcpu: KvmVcpu, gfn: int) -> str:
    """Handle one guest access to ``gfn``; runs from inside step R0 to the end
    of the section.  Returns ``"mmio"`` or ``"ram"``."""
    kvm = vcpu.kvm
    # R0 (the caller took the point)
    vcpu_srcu_read_lock(vcpu)
    reloaded = vcpu_enter_guest_mmu(vcpu)
    vcpu.fault = PageFault(gfn)
    kvm.sched.note(gfn=gfn, idx=vcpu.srcu_idx, reload=reloaded)

    kvm.sched.point("R1")
    hit = vcpu_match_mmio_gpa(vcpu, gfn << PAGE_SHIFT)
    kvm.sched.note(hit=hit, mmio_gfn=vcpu.arch.mmio_gfn, mmio_gen=vcpu.arch.mmio_gen, gen=kvm.memslots.generation)
    if hit:
        return vcpu_mmio_exit(vcpu, gfn, "cache")

    kvm.sched.point("R2")
    if handle_mmio_page_fault(vcpu, gfn) == RET_PF_EMULATE:
        return vcpu_mmio_exit(vcpu, gfn, "spte")

    kvm.sched.point("R3")
    pfn = try_async_pf(vcpu, gfn)
    if not is_noslot_pfn(pfn):
        direct_map(vcpu, gfn, pfn)
        vcpu.ram_accesses += 1
        vcpu_srcu_read_unlock(vcpu)
        vcpu.fault = None
        return "ram"

    kvm.sched.point("R4")
    handle_abnormal_pfn(vcpu, gfn)

    kvm.sched.point("R5")
    mark_mmio_spte(vcpu, gfn)

    return vcpu_mmio_exit(vcpu, gfn, "slow")
