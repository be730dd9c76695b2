"""The shadow MMU, reduced to what the protocol touches: one last-level SPTE
per gfn (a TDP/EPT table flattened to a dict), MMIO SPTE creation, present
SPTEs for RAM, the zap of everything on generation wrap and the zap of a
slot's mappings on delete or move.

Every change happens inside a labelled step, which stands for the kernel's
``mmu_lock`` critical section.

``history`` is an auxiliary (ghost) variable for the refinement mapping: for
each MMIO SPTE, the *full* generation it was tagged from (the SPTE itself
keeps only the truncated bits).  The implementation never reads it.
"""

from __future__ import annotations

from .spte import SpteLayout, is_mmio_spte, is_shadow_present_pte, make_present_spte


class ShadowMmu:
    def __init__(self, layout: SpteLayout):
        self.layout = layout
        self.sptes: dict[int, int] = {}  # gfn -> 64-bit SPTE (absent: 0)
        self.history: dict[int, int] = {}  # ghost: gfn -> full generation of its MMIO SPTE
        self.zap_all_count = 0
        self.mmu_valid_gen = 0  # kvm->arch.mmu_valid_gen, bumped by the fast zap

    # ------------------------------------------------------------ reads

    def walk_shadow_page_get_mmio_spte(self, gfn: int) -> int:
        """The last-level SPTE of ``gfn`` (0 when there is none)."""
        return self.sptes.get(gfn, 0)

    def mmio_sptes(self) -> dict[int, int]:
        return {g: s for g, s in self.sptes.items() if is_mmio_spte(s)}

    # ------------------------------------------------------------ writes

    def mark_mmio_spte(self, gfn: int, gen: int) -> int:
        """Install an MMIO SPTE for ``gfn`` tagged with the full generation
        ``gen`` (stored truncated to the layout's width)."""
        spte = self.layout.make_mmio_spte(gfn, gen & self.layout.mmio_gen_mask)
        self.sptes[gfn] = spte
        self.history[gfn] = gen
        return spte

    def set_present_spte(self, gfn: int, pfn: int, writable: bool = True) -> int:
        """mmu_set_spte() for RAM: replaces whatever SPTE the gfn had."""
        spte = make_present_spte(pfn, writable)
        self.sptes[gfn] = spte
        self.history.pop(gfn, None)
        return spte

    def drop_spte(self, gfn: int) -> None:
        self.sptes.pop(gfn, None)
        self.history.pop(gfn, None)

    def kvm_mmu_zap_all_fast(self) -> None:
        """Zap every shadow page (2019's kvm_mmu_zap_all_fast: obsolete all
        pages by bumping mmu_valid_gen, then free them)."""
        self.mmu_valid_gen += 1
        self.zap_all_count += 1
        self.sptes.clear()
        self.history.clear()

    # 2013's name for the same thing
    def kvm_mmu_invalidate_zap_all_pages(self) -> None:
        self.kvm_mmu_zap_all_fast()

    def zap_present_range(self, base_gfn: int, npages: int) -> int:
        """kvm_arch_flush_shadow_memslot(): drop the slot's mappings (its
        rmaps, which hold present SPTEs only); returns how many."""
        gone = [g for g, s in self.sptes.items() if base_gfn <= g < base_gfn + npages and is_shadow_present_pte(s)]
        for g in gone:
            self.drop_spte(g)
        return len(gone)
