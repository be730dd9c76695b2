"""Implementation mutants: small, named bugs patched in at run time.

Each :class:`Mutant` replaces one function or method of the implementation
(``unittest.mock.patch.object``) for the duration of ``with m.apply():``;
build the :class:`~pyspec.kvm.harness.System` inside the block (a few
patches act when a VM is created).  The patches are process-wide: do not
run a mutated and an unmutated system concurrently in one process.

    from pyspec.kvm import mutants, run
    with mutants.MUTANTS["skip_grace_period"].apply():
        result = run("v2", seed=7)

Conformance must catch every mutant against its own version's spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from . import memslots as ms
from . import spte as spte_mod
from . import vcpu as vcpu_mod
from .srcu import SRCU
from .versions import (
    KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS,
    V2,
    V3,
    Patch2014,
    Version,
)

ALL = ("v1", "patch2014", "v2", "v3")
Patch = tuple[object, str, Any]


@dataclass(frozen=True)
class Mutant:
    name: str
    versions: tuple[str, ...]
    description: str
    patches: Callable[[], list[Patch]]

    @contextmanager
    def apply(self) -> Iterator[Mutant]:
        with ExitStack() as stack:
            for target, attr, new in self.patches():
                stack.enter_context(mock.patch.object(target, attr, new))
            yield self

    def applies_to(self, version: str) -> bool:
        return version in self.versions


MUTANTS: dict[str, Mutant] = {}


def _mutant(name: str, versions: tuple[str, ...], description: str):
    def register(fn: Callable[[], list[Patch]]) -> Callable[[], list[Patch]]:
        MUTANTS[name] = Mutant(name, versions, description, fn)
        return fn
    return register


def for_version(version: str) -> list[Mutant]:
    return [m for m in MUTANTS.values() if m.applies_to(version)]


# ---------------------------------------------------------------- the writer


def _v3_install_mark_after_publish(self: V3, kvm: Any, as_id: int, slots: Any) -> Any:
    old_memslots = kvm.memslots_of(as_id)
    frame = kvm.begin_install(as_id, slots)
    gen = frame.gen = old_memslots.generation
    slots.generation = gen  # BUG: the copy is published without the in-progress bit
    kvm.sched.note(new_gen=slots.generation)
    kvm.sched.point("W2")
    self._publish(kvm, frame, slots)
    kvm.sched.point("W2.mark")
    slots.generation = gen | KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS  # ... and marked afterwards
    self._grace_period(kvm, frame)
    kvm.sched.point("W4")
    gen = (slots.generation & ~KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS) + kvm.config.address_space_num
    frame.gen = gen
    kvm.sched.point("W5")
    self.kvm_arch_memslots_updated(kvm, gen)
    kvm.sched.point("W6")
    slots.generation = gen
    return old_memslots


def _v2_install_mark_after_publish(self: V2, kvm: Any, as_id: int, slots: Any) -> Any:
    old_memslots = kvm.memslots_of(as_id)
    frame = kvm.begin_install(as_id, slots)
    slots.generation = frame.gen = old_memslots.generation  # BUG: published even ...
    kvm.sched.point("W2")
    self._publish(kvm, frame, slots)
    kvm.sched.point("W2.mark")
    slots.generation += 1  # ... and made odd afterwards
    frame.gen = slots.generation
    self._grace_period(kvm, frame)
    kvm.sched.point("W4")
    slots.generation += kvm.config.address_space_num * 2 - 1
    kvm.sched.point("W5")
    self.kvm_arch_memslots_updated(kvm, slots)
    return old_memslots


@_mutant("publish_before_mark", ("v2", "v3"),
         "publish the new set before marking its generation as in flight (odd / bit 63)")
def _publish_before_mark() -> list[Patch]:
    return [(V3, "install_new_memslots", _v3_install_mark_after_publish),
            (V2, "install_new_memslots", _v2_install_mark_after_publish)]


def _synchronize_no_wait(self: SRCU, label: str = "synchronize_srcu") -> None:
    self.sched.point(f"{label}.scan1")
    self.flip()
    self.sched.point(label)  # BUG: no wait for pre-existing readers
    self.grace_periods += 1


@_mutant("skip_grace_period", ALL, "synchronize_srcu_expedited returns without waiting for readers")
def _skip_grace_period() -> list[Patch]:
    return [(SRCU, "synchronize", _synchronize_no_wait)]


def _synchronize_no_flip(self: SRCU, label: str = "synchronize_srcu") -> None:
    self.mutex.lock(f"{label}.mutex")
    try:
        idx = (self.completed - 1) & 1
        self.sched.point(f"{label}.scan1", until=lambda: self.readers_active_idx_check(idx), idx=idx)
        # BUG: no flip; the second scan looks at the inactive index again
        self.sched.point(label, until=lambda: self.readers_active_idx_check(idx), idx=idx)
        self.grace_periods += 1
    finally:
        self.mutex.unlock()


@_mutant("srcu_no_flip", ALL, "synchronize_srcu scans the inactive index twice and never flips")
def _srcu_no_flip() -> list[Patch]:
    return [(SRCU, "synchronize", _synchronize_no_flip)]


def _v3_install_zap_after_store(self: V3, kvm: Any, as_id: int, slots: Any) -> Any:
    old_memslots = kvm.memslots_of(as_id)
    frame = kvm.begin_install(as_id, slots)
    gen = frame.gen = old_memslots.generation
    slots.generation = gen | KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS
    kvm.sched.point("W2")
    self._publish(kvm, frame, slots)
    self._grace_period(kvm, frame)
    kvm.sched.point("W4")
    gen = (slots.generation & ~KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS) + kvm.config.address_space_num
    frame.gen = gen
    kvm.sched.point("W5")
    slots.generation = gen  # BUG: the wrapped generation is visible ...
    kvm.sched.point("W6")
    self.kvm_arch_memslots_updated(kvm, gen)  # ... before the zap
    return old_memslots


@_mutant("zap_after_storing_gen", ("v3",),
         "W5/W6 swapped: store the new generation, then run the wrap check and zap")
def _zap_after_storing_gen() -> list[Patch]:
    return [(V3, "install_new_memslots", _v3_install_zap_after_store)]


def _v2_install_no_second_increment(self: Version, kvm: Any, as_id: int, slots: Any) -> Any:
    old_memslots = kvm.memslots_of(as_id)
    frame = kvm.begin_install(as_id, slots)
    slots.generation = frame.gen = old_memslots.generation + (1 if self.name == "v2" else 0)
    kvm.sched.point("W2")
    self._publish(kvm, frame, slots)
    self._grace_period(kvm, frame)
    kvm.sched.point("W4")
    pass  # BUG: the generation is not incremented after the grace period
    kvm.sched.point("W5")
    self.kvm_arch_memslots_updated(kvm, slots)
    return old_memslots


def _v3_install_no_increment(self: V3, kvm: Any, as_id: int, slots: Any) -> Any:
    old_memslots = kvm.memslots_of(as_id)
    frame = kvm.begin_install(as_id, slots)
    gen = frame.gen = old_memslots.generation
    slots.generation = gen | KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS
    kvm.sched.point("W2")
    self._publish(kvm, frame, slots)
    self._grace_period(kvm, frame)
    kvm.sched.point("W4")
    gen = slots.generation & ~KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS  # BUG: no += KVM_ADDRESS_SPACE_NUM
    frame.gen = gen
    kvm.sched.point("W5")
    self.kvm_arch_memslots_updated(kvm, gen)
    kvm.sched.point("W6")
    slots.generation = gen
    return old_memslots


@_mutant("no_increment_after_grace", ("patch2014", "v2", "v3"),
         "forget the generation increment after the grace period")
def _no_increment_after_grace() -> list[Patch]:
    return [(V2, "install_new_memslots", _v2_install_no_second_increment),
            (Patch2014, "install_new_memslots", _v2_install_no_second_increment),
            (V3, "install_new_memslots", _v3_install_no_increment)]


def _invalidate_untruncated(self: Version, kvm: Any, gen: int) -> bool:
    if self.gen_value(gen) == 0:  # BUG: the full generation, not gen & MMIO_GEN_MASK
        kvm.mmu.kvm_mmu_zap_all_fast()
        return True
    return False


@_mutant("wrap_check_untruncated", ALL,
         "the wrap check tests the full generation for 0 instead of the truncated one: no zap on wrap")
def _wrap_check_untruncated() -> list[Patch]:
    return [(Version, "kvm_mmu_invalidate_mmio_sptes", _invalidate_untruncated),
            (V3, "kvm_mmu_invalidate_mmio_sptes", _invalidate_untruncated)]


# ---------------------------------------------------------------- the reader


def _mark_mmio_spte_and_unlock(vcpu: Any, gfn: int) -> None:
    _ORIG["mark_mmio_spte"](vcpu, gfn)
    vcpu_mod.vcpu_srcu_read_unlock(vcpu)  # BUG: leaves the read-side section before R6


@_mutant("unlock_before_exit", ALL, "srcu_read_unlock at R5, before the MMIO exit of R6")
def _unlock_before_exit() -> list[Patch]:
    return [(vcpu_mod, "mark_mmio_spte", _mark_mmio_spte_and_unlock)]


@_mutant("cache_ignores_generation", ("patch2014", "v2", "v3"),
         "vcpu_match_mmio_gpa compares the per-vCPU cache without its generation")
def _cache_ignores_generation() -> list[Patch]:
    return [(Version, "vcpu_match_mmio_gen", lambda self, vcpu: True)]


def _generation_mask_shifted(self: spte_mod.SpteLayout, gen: int) -> int:
    mask = ((gen & self.gen_low_mask) << (self.low_shift + 1)) & self.spte_gen_low_mask  # BUG: one bit up
    mask |= ((gen >> self.high_gen_start) << spte_mod.SPTE_GEN_HIGH_START) & self.spte_gen_high_mask
    return mask


@_mutant("spte_gen_wrong_bits", ALL, "make_mmio_spte packs the low generation field one bit too high")
def _spte_gen_wrong_bits() -> list[Patch]:
    return [(spte_mod.SpteLayout, "generation_mmio_spte_mask", _generation_mask_shifted)]


def _v2_layout_with_bit0(self: V2, gen_bits: int | None = None) -> spte_mod.SpteLayout:
    return spte_mod.SpteLayout(gen_bits=self.default_gen_bits if gen_bits is None else gen_bits,
                               low_bits=9, drop_bit0=False)  # BUG: bit 0 stored


@_mutant("spte_stores_bit0", ("v2",), "MMIO SPTEs keep bit 0 of the generation, so odd generations can match")
def _spte_stores_bit0() -> list[Patch]:
    return [(V2, "spte_layout", _v2_layout_with_bit0)]


def _search_memslots_off_by_one(slots: ms.KvmMemslots, gfn: int) -> ms.KvmMemorySlot | None:
    start, end = 0, slots.used_slots
    memslots = slots.memslots
    if not slots.used_slots:
        return None
    slot = slots.lru_slot
    if 0 <= slot < len(memslots) and memslots[slot].contains(gfn):
        return memslots[slot]
    while start < end:
        slot = start + (end - start) // 2
        if gfn > memslots[slot].base_gfn:  # BUG: ">" where the kernel has ">="
            end = slot
        else:
            start = slot + 1
    if start < slots.used_slots and gfn >= memslots[start].base_gfn \
            and gfn < memslots[start].base_gfn + memslots[start].npages:
        slots.lru_slot = start
        return memslots[start]
    return None


@_mutant("search_off_by_one", ALL, "the memslot binary search compares gfn > base_gfn: a slot's first gfn is missed")
def _search_off_by_one() -> list[Patch]:
    return [(ms, "search_memslots", _search_memslots_off_by_one)]


def _mark_mmio_spte_r3_generation(vcpu: Any, gfn: int) -> None:
    kvm = vcpu.kvm
    gen = kvm.version.gen_value(vcpu.fault.memslots.generation)  # BUG: the set R3 looked at, not a fresh read
    spte = kvm.mmu.mark_mmio_spte(gfn, gen, root=vcpu.arch.mmu_root)
    kvm.sched.note(gen=gen, spte_gen=kvm.layout.get_mmio_spte_generation(spte))


# v1 only: in v2 the set R3 looked up can differ from the one R5 would read
# only by the next ioctl's publish (2k -> 2k+1; W4 is a store into the same
# set object, and the W4 of a later ioctl waits for this section), and the
# SPTE does not keep bit 0: the mutant writes the very same SPTE there.
@_mutant("r5_reuses_r3_generation", ("v1",),
         "mark_mmio_spte tags the SPTE with the generation of the set R3 looked up instead of reading it again")
def _r5_reuses_r3_generation() -> list[Patch]:
    return [(vcpu_mod, "mark_mmio_spte", _mark_mmio_spte_r3_generation)]


def _cache_mmio_info_r3_generation(self: Version, vcpu: Any, gva: int, gfn: int, access: int) -> bool:
    arch = vcpu.arch
    arch.mmio_gva, arch.mmio_access, arch.mmio_gfn = gva, access, gfn
    arch.mmio_gen = vcpu.fault.memslots.generation  # BUG: the generation R3 saw, not a fresh read
    return True


@_mutant("r4_tags_cache_with_r3_generation", ("v2",),
         "vcpu_cache_mmio_info tags the cache with the generation R3 saw instead of reading it again")
def _r4_tags_cache_with_r3_generation() -> list[Patch]:
    return [(Version, "vcpu_cache_mmio_info", _cache_mmio_info_r3_generation)]


def _v3_cache_mmio_info_always(self: V3, vcpu: Any, gva: int, gfn: int, access: int) -> bool:
    arch = vcpu.arch
    arch.mmio_gva, arch.mmio_access, arch.mmio_gfn = gva, access, gfn
    arch.mmio_gen = vcpu.kvm.memslots.generation  # BUG: cached even while an update is in progress
    return True


@_mutant("cache_while_in_progress", ("v3",), "vcpu_cache_mmio_info fills the cache while the in-progress bit is set")
def _cache_while_in_progress() -> list[Patch]:
    return [(V3, "vcpu_cache_mmio_info", _v3_cache_mmio_info_always)]


def _v3_check_mmio_spte_ignores_flag(self: V3, vcpu: Any, spte: int) -> bool:
    kvm = vcpu.kvm
    kvm_gen = kvm.memslots.generation & kvm.layout.mmio_gen_mask  # BUG: no in-progress test
    spte_gen = kvm.layout.get_mmio_spte_generation(spte)
    kvm.sched.note(kvm_gen=kvm_gen, spte_gen=spte_gen)
    return kvm_gen == spte_gen


@_mutant("spte_match_while_in_progress", ("v3",), "check_mmio_spte accepts a match while the in-progress bit is set")
def _spte_match_while_in_progress() -> list[Patch]:
    return [(V3, "check_mmio_spte", _v3_check_mmio_spte_ignores_flag)]


def _mark_mmio_spte_current_root(vcpu: Any, gfn: int) -> None:
    kvm = vcpu.kvm
    gen = kvm.version.mmio_spte_generation(kvm)
    spte = kvm.mmu.mark_mmio_spte(gfn, gen, root=kvm.mmu.root)  # BUG: not the vCPU's (maybe obsolete) root
    kvm.sched.note(gen=gen, spte_gen=kvm.layout.get_mmio_spte_generation(spte))


@_mutant("mmio_spte_through_obsolete_root", ALL,
         "mark_mmio_spte installs into the current root although the vCPU's root was made obsolete by the "
         "wrap zap: an SPTE tagged before the zap survives it")
def _mmio_spte_through_obsolete_root() -> list[Patch]:
    return [(vcpu_mod, "mark_mmio_spte", _mark_mmio_spte_current_root)]


_ORIG = {"mark_mmio_spte": vcpu_mod.mark_mmio_spte}


# ---------------------------------------------------------------- the R2 refill


def _no_refill(vcpu: Any, gfn: int) -> bool:
    return False  # BUG: no vcpu_cache_mmio_info() on an MMIO SPTE hit


@_mutant("no_refill_after_spte_hit", ALL,
         "handle_mmio_page_fault returns RET_PF_EMULATE on an MMIO SPTE hit without refilling the per-vCPU cache")
def _no_refill_after_spte_hit() -> list[Patch]:
    return [(vcpu_mod, "refill_mmio_cache", _no_refill)]


_real_match = vcpu_mod.vcpu_match_mmio_gpa


def _match_remembering_generation(vcpu: Any, gpa: int) -> bool:
    vcpu.fast_path_gen = vcpu.kvm.memslots.generation  # what the fast path read (R1)
    return _real_match(vcpu, gpa)


def _refill_early_generation(vcpu: Any, gfn: int) -> bool:
    cached = vcpu.kvm.version.vcpu_cache_mmio_info(vcpu, 0, gfn, vcpu_mod.ACC_ALL)
    if cached:
        vcpu.arch.mmio_gen = vcpu.fast_path_gen  # BUG: the generation read before the walk, not now
    return cached


# The 2014 versions, whose cache carries a generation (v1's carries none).
# In v3 the generation read before the walk differs from the one read at the
# refill only when an update's last store falls between them in a section
# that began after the update's publish (an earlier section holds the grace
# period back), and the refill is skipped while the update is in progress:
# random runs seldom produce that (60 conformance runs did not), so v3 is
# left out rather than counted as caught by luck.
@_mutant("refill_with_early_generation", ("patch2014", "v2"),
         "the refill after an MMIO SPTE hit tags the cache with the generation read before the SPTE walk "
         "(by the fast path) instead of reading it again")
def _refill_with_early_generation() -> list[Patch]:
    return [(vcpu_mod, "vcpu_match_mmio_gpa", _match_remembering_generation),
            (vcpu_mod, "refill_mmio_cache", _refill_early_generation)]
