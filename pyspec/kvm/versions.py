"""The four generation schemes, selectable per run.

Each :class:`Version` holds what changed between kernel versions:

* the writer, ``install_new_memslots`` -- steps W1..W6 of the notes, with a
  scheduling point at the start of each (W1 starts in the caller, where
  userspace enters the ioctl; W3 is ``synchronize_srcu_expedited`` and has
  two internal points, ``W3.scan1`` and ``W3``);
* ``kvm_mmu_invalidate_mmio_sptes``, the wrap check and zap, called from
  ``kvm_arch_memslots_updated`` at the point each version calls it;
* the readers' generation checks: ``check_mmio_spte`` (SPTE walk, R2),
  ``vcpu_match_mmio_gen`` (per-vCPU cache, R1), ``vcpu_cache_mmio_info``
  (cache fill, R4) and the generation an MMIO SPTE is tagged with (R5);
* the MMIO SPTE layout (:mod:`pyspec.kvm.spte`).

============  =====================================================
``v1``        2013 - Aug 2014: generation + 1 before publishing;
              per-vCPU cache without generation
``patch2014`` the seed's patch: keep the old generation through the
              publish and the grace period, ++ afterwards
``v2``        Aug 2014: odd generation while an update is in flight,
              SPTEs never store bit 0, cache tagged with the full
              generation
``v3``        2019: in-progress bit 63, no SPTE match and no caching
              while it is set, wrap zap before the new generation is
              stored
============  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import spte as spte_mod
from .spte import SpteLayout

if TYPE_CHECKING:
    from .memslots import KvmMemslots
    from .vcpu import KvmVcpu
    from .vm import Kvm

KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS = 1 << 63
U64 = (1 << 64) - 1


@dataclass
class InstallFrame:
    """The local state of one install_new_memslots() call (its stack frame),
    kept for the refinement mapping: the private copy and the ``gen`` local."""

    as_id: int
    slots: KvmMemslots
    gen: int = 0
    published_at: int | None = None  # ghost clock at W2 (auxiliary, for SRCU's snapshot)
    grace_done: bool = False


class Version:
    """One generation scheme.  Subclasses override what their kernel changed."""

    name = "?"
    title = "?"
    writer_labels: tuple[str, ...] = ()
    default_gen_bits = 19
    cache_has_gen = True

    # ------------------------------------------------------------ layout

    def spte_layout(self, gen_bits: int | None = None) -> SpteLayout:
        return spte_mod.layout_2013(self.default_gen_bits if gen_bits is None else gen_bits)

    def gen_value(self, gen: int) -> int:
        """The generation without flag bits (what an SPTE is tagged from)."""
        return gen

    # ------------------------------------------------------------ readers

    def kvm_current_mmio_generation(self, kvm: Kvm, slots: KvmMemslots | None = None) -> int:
        """generation & MMIO_GEN_MASK of the current set (a fresh dereference)."""
        slots = kvm.memslots if slots is None else slots
        return slots.generation & kvm.layout.mmio_gen_mask

    def check_mmio_spte(self, vcpu: KvmVcpu, spte: int) -> bool:
        kvm = vcpu.kvm
        kvm_gen = self.kvm_current_mmio_generation(kvm)
        spte_gen = kvm.layout.get_mmio_spte_generation(spte)
        kvm.sched.note(kvm_gen=kvm_gen, spte_gen=spte_gen)
        return kvm_gen == spte_gen

    def vcpu_match_mmio_gen(self, vcpu: KvmVcpu) -> bool:
        return vcpu.arch.mmio_gen == vcpu.kvm.memslots.generation

    def vcpu_cache_mmio_info(self, vcpu: KvmVcpu, gva: int, gfn: int, access: int) -> bool:
        """Fill the per-vCPU MMIO cache; False if this version skipped it."""
        arch = vcpu.arch
        arch.mmio_gva = gva
        arch.mmio_access = access
        arch.mmio_gfn = gfn
        arch.mmio_gen = vcpu.kvm.memslots.generation
        return True

    def mmio_spte_generation(self, kvm: Kvm) -> int:
        """The full generation mark_mmio_spte() tags a new MMIO SPTE with
        (read from kvm->memslots now, the second dereference)."""
        return self.gen_value(kvm.memslots.generation)

    # ------------------------------------------------------------ writer

    def install_new_memslots(self, kvm: Kvm, as_id: int, slots: KvmMemslots) -> KvmMemslots:
        raise NotImplementedError

    def kvm_arch_memslots_updated(self, kvm: Kvm, slots: KvmMemslots) -> None:
        kvm.sched.note(gen=slots.generation, zapped=self.kvm_mmu_invalidate_mmio_sptes(kvm, slots.generation))

    def kvm_mmu_invalidate_mmio_sptes(self, kvm: Kvm, gen: int) -> bool:
        """The wrap check: zap every shadow page when the truncated generation
        is 0 again.  Returns whether it zapped."""
        if (gen & kvm.layout.mmio_gen_mask) == 0:
            kvm.mmu.kvm_mmu_invalidate_zap_all_pages()
            return True
        return False

    # helpers shared by the writers

    @staticmethod
    def _publish(kvm: Kvm, frame: InstallFrame, slots: KvmMemslots) -> None:
        kvm.rcu_assign_pointer(frame.as_id, slots)
        frame.published_at = kvm.tick()

    @staticmethod
    def _grace_period(kvm: Kvm, frame: InstallFrame) -> None:
        kvm.srcu.synchronize("W3")
        frame.grace_done = True

    def __repr__(self) -> str:
        return f"<version {self.name}>"


class V1(Version):
    name = "v1"
    title = "2013 to Aug 2014: mmio generation support (f8f559422b6c)"
    writer_labels = ("W1", "W2", "W3", "W4")
    default_gen_bits = 19
    cache_has_gen = False

    def vcpu_match_mmio_gen(self, vcpu: KvmVcpu) -> bool:
        return True  # the cache has no generation

    def vcpu_cache_mmio_info(self, vcpu: KvmVcpu, gva: int, gfn: int, access: int) -> bool:
        arch = vcpu.arch
        arch.mmio_gva = gva
        arch.mmio_access = access
        arch.mmio_gfn = gfn
        return True

    def install_new_memslots(self, kvm: Kvm, as_id: int, slots: KvmMemslots) -> KvmMemslots:
        old_memslots = kvm.memslots_of(as_id)
        frame = kvm.begin_install(as_id, slots)
        # W1 (update_memslots(slots, new, kvm->memslots->generation))
        slots.generation = frame.gen = old_memslots.generation + 1
        kvm.sched.note(new_gen=slots.generation)
        kvm.sched.point("W2")
        self._publish(kvm, frame, slots)
        kvm.sched.note(gen=slots.generation)
        self._grace_period(kvm, frame)
        kvm.sched.point("W4")
        self.kvm_arch_memslots_updated(kvm, slots)
        return old_memslots


class Patch2014(Version):
    """The per-vCPU cache is tagged with the full generation (56f17dd3fbc4,
    the same month), so the only difference from v2 is when the generation
    changes."""

    name = "patch2014"
    title = "Aug 2014, the seed's patch: generation++ after the grace period"
    writer_labels = ("W1", "W2", "W3", "W4", "W5")
    default_gen_bits = 19
    cache_has_gen = True

    def install_new_memslots(self, kvm: Kvm, as_id: int, slots: KvmMemslots) -> KvmMemslots:
        old_memslots = kvm.memslots_of(as_id)
        frame = kvm.begin_install(as_id, slots)
        # W1: ensure generation number is always increased
        slots.generation = frame.gen = old_memslots.generation
        kvm.sched.note(new_gen=slots.generation)
        kvm.sched.point("W2")
        self._publish(kvm, frame, slots)
        kvm.sched.note(gen=slots.generation)
        self._grace_period(kvm, frame)
        kvm.sched.point("W4")
        slots.generation += 1  # a plain store into the published set
        kvm.sched.note(gen=slots.generation)
        kvm.sched.point("W5")
        self.kvm_arch_memslots_updated(kvm, slots)
        return old_memslots


class V2(Version):
    name = "v2"
    title = "Aug 2014: ee3d1570b586 + 56f17dd3fbc4, low bit marks an update in flight"
    writer_labels = ("W1", "W2", "W3", "W4", "W5")
    default_gen_bits = 20
    cache_has_gen = True

    def spte_layout(self, gen_bits: int | None = None) -> SpteLayout:
        return spte_mod.layout_2014(self.default_gen_bits if gen_bits is None else gen_bits)

    def install_new_memslots(self, kvm: Kvm, as_id: int, slots: KvmMemslots) -> KvmMemslots:
        old_memslots = kvm.memslots_of(as_id)
        frame = kvm.begin_install(as_id, slots)
        # W1: set the low bit, which disables SPTE caching until the end of
        # synchronize_srcu_expedited.
        kvm.warn_on(old_memslots.generation & 1, "WARN_ON(old_memslots->generation & 1)")
        slots.generation = frame.gen = old_memslots.generation + 1
        kvm.sched.note(new_gen=slots.generation)
        kvm.sched.point("W2")
        self._publish(kvm, frame, slots)
        kvm.sched.note(gen=slots.generation)
        self._grace_period(kvm, frame)
        kvm.sched.point("W4")
        # Increment the new memslot generation a second time (even again);
        # generations are split evenly across address spaces.
        slots.generation += kvm.config.address_space_num * 2 - 1
        kvm.sched.note(gen=slots.generation)
        kvm.sched.point("W5")
        self.kvm_arch_memslots_updated(kvm, slots)
        return old_memslots


class V3(Version):
    name = "v3"
    title = "2019: update-in-progress bit 63 (361209e054a2, 164bf7e56c5a, ddfd1730fd82, 152482580a1b)"
    writer_labels = ("W1", "W2", "W3", "W4", "W5", "W6")
    default_gen_bits = 19

    def spte_layout(self, gen_bits: int | None = None) -> SpteLayout:
        return spte_mod.layout_2019(self.default_gen_bits if gen_bits is None else gen_bits)

    def gen_value(self, gen: int) -> int:
        return gen & ~KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS

    def kvm_current_mmio_generation(self, kvm: Kvm, slots: KvmMemslots | None = None) -> int:
        slots = kvm.memslots if slots is None else slots
        return slots.generation & kvm.layout.mmio_gen_mask  # MMIO_SPTE_GEN_MASK drops bit 63

    def check_mmio_spte(self, vcpu: KvmVcpu, spte: int) -> bool:
        kvm = vcpu.kvm
        gen = kvm.memslots.generation
        if gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS:
            kvm.sched.note(in_progress=True)
            return False
        kvm_gen = gen & kvm.layout.mmio_gen_mask
        spte_gen = kvm.layout.get_mmio_spte_generation(spte)
        kvm.sched.note(kvm_gen=kvm_gen, spte_gen=spte_gen)
        return kvm_gen == spte_gen

    def vcpu_cache_mmio_info(self, vcpu: KvmVcpu, gva: int, gfn: int, access: int) -> bool:
        gen = vcpu.kvm.memslots.generation
        if gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS:
            return False
        arch = vcpu.arch
        arch.mmio_gva = gva
        arch.mmio_access = access
        arch.mmio_gfn = gfn
        arch.mmio_gen = gen
        return True

    def install_new_memslots(self, kvm: Kvm, as_id: int, slots: KvmMemslots) -> KvmMemslots:
        old_memslots = kvm.memslots_of(as_id)
        frame = kvm.begin_install(as_id, slots)
        # W1
        gen = frame.gen = old_memslots.generation
        kvm.warn_on(gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS, "WARN_ON(gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS)")
        slots.generation = gen | KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS
        kvm.sched.note(new_gen=slots.generation)
        kvm.sched.point("W2")
        self._publish(kvm, frame, slots)
        kvm.sched.note(gen=slots.generation)
        self._grace_period(kvm, frame)
        kvm.sched.point("W4")
        # Increment the generation by the number of address spaces, which
        # keeps generations unique across them.
        gen = slots.generation & ~KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS
        gen += kvm.config.address_space_num
        frame.gen = gen
        kvm.sched.note(new_gen=gen)
        kvm.sched.point("W5")
        self.kvm_arch_memslots_updated(kvm, gen)
        kvm.sched.point("W6")
        slots.generation = gen
        kvm.sched.note(gen=gen)
        return old_memslots

    def kvm_arch_memslots_updated(self, kvm: Kvm, gen: int) -> None:  # type: ignore[override]
        kvm.sched.note(zapped=self.kvm_mmu_invalidate_mmio_sptes(kvm, gen))

    def kvm_mmu_invalidate_mmio_sptes(self, kvm: Kvm, gen: int) -> bool:
        kvm.warn_on(gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS, "WARN_ON(gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS)")
        gen &= kvm.layout.mmio_gen_mask
        # Strip what is effectively the address space modifier before
        # checking for a wrap, so that a wrap in any address space is seen.
        gen &= ~(kvm.config.address_space_num - 1)
        if gen == 0:
            kvm.mmu.kvm_mmu_zap_all_fast()
            return True
        return False


VERSIONS: dict[str, Version] = {v.name: v for v in (V1(), Patch2014(), V2(), V3())}


def get_version(v: str | Version) -> Version:
    if isinstance(v, Version):
        return v
    try:
        return VERSIONS[v]
    except KeyError:
        raise ValueError(f"unknown version {v!r}; one of {', '.join(VERSIONS)}") from None


def version_names() -> list[str]:
    return list(VERSIONS)


def describe(v: Any) -> str:
    return f"{get_version(v).name}: {get_version(v).title}"
