"""The shadow MMU, reduced to what the protocol touches: shadow roots, one
last-level SPTE per gfn below each root (a TDP/EPT table flattened to a
dict), MMIO SPTE creation, present SPTEs for RAM, the zap of everything on
generation wrap and the zap of a slot's mappings on delete or move.

Roots and obsolescence follow the kernel's fast zap (2013's
``kvm_mmu_invalidate_zap_all_pages``, 2019's ``kvm_mmu_zap_all_fast``): every
shadow page carries the ``mmu_valid_gen`` it was created in; the zap bumps
``kvm->arch.mmu_valid_gen``, which makes every existing root *obsolete*,
zaps what hangs below it and asks every vCPU to reload
(``KVM_REQ_MMU_RELOAD``).  A vCPU keeps using the obsolete root it loaded
until its next guest entry (``kvm_mmu_reload``, the reader's R0): its walks
find nothing, and what it installs goes into the obsolete root, which is
freed at the reload -- no other vCPU ever sees it.  All vCPUs share the
root of the current generation (with TDP every vCPU has the same role, so
``kvm_mmu_get_page`` finds the same root).

Every change happens inside a labelled step, which stands for the kernel's
``mmu_lock`` critical section.

``history`` is an auxiliary (ghost) variable for the refinement mapping: for
each MMIO SPTE of a root, the *full* generation it was tagged from (the SPTE
itself keeps only the truncated bits).  The implementation never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .spte import SpteLayout, is_mmio_spte, is_shadow_present_pte, make_present_spte


@dataclass(eq=False)
class ShadowRoot:
    """A root shadow page (``struct kvm_mmu_page`` at the root level) and the
    last-level SPTEs below it, flattened to gfn -> 64-bit SPTE."""

    mmu_valid_gen: int  # sp->mmu_valid_gen: the generation it was created in
    sptes: dict[int, int] = field(default_factory=dict)  # gfn -> SPTE (absent: 0)
    history: dict[int, int] = field(default_factory=dict)  # ghost: gfn -> full generation of its MMIO SPTE


class ShadowMmu:
    def __init__(self, layout: SpteLayout):
        self.layout = layout
        self.mmu_valid_gen = 0  # kvm->arch.mmu_valid_gen, bumped by the fast zap
        self.root = ShadowRoot(self.mmu_valid_gen)  # the root of the current generation
        self.zap_all_count = 0
        # vCPUs to kick with KVM_REQ_MMU_RELOAD when the roots become obsolete
        # (kvm_reload_remote_mmus); set by the VM as vCPUs are created.
        self.reload_remote_mmus = lambda: None

    # ------------------------------------------------------------ roots

    @property
    def sptes(self) -> dict[int, int]:
        """The SPTEs below the current root (what every vCPU with a valid root sees)."""
        return self.root.sptes

    @property
    def history(self) -> dict[int, int]:
        return self.root.history

    def is_obsolete_root(self, root: ShadowRoot | None) -> bool:
        """is_obsolete_sp(): created before the last fast zap (or no root at all)."""
        return root is None or root.mmu_valid_gen != self.mmu_valid_gen

    def mmu_alloc_direct_roots(self) -> ShadowRoot:
        """The root a vCPU loads: the current generation's, shared by every vCPU."""
        return self.root

    # ------------------------------------------------------------ reads

    def walk_shadow_page_get_mmio_spte(self, gfn: int, root: ShadowRoot | None = None) -> int:
        """The last-level SPTE of ``gfn`` below ``root`` (default: the current
        root); 0 when there is none.  An obsolete root was zapped: nothing is
        found below it."""
        root = self.root if root is None else root
        if self.is_obsolete_root(root):
            return 0
        return root.sptes.get(gfn, 0)

    def mmio_sptes(self) -> dict[int, int]:
        return {g: s for g, s in self.root.sptes.items() if is_mmio_spte(s)}

    # ------------------------------------------------------------ writes

    def mark_mmio_spte(self, gfn: int, gen: int, root: ShadowRoot | None = None) -> int:
        """Install an MMIO SPTE for ``gfn`` below ``root`` (default: the
        current root) tagged with the full generation ``gen`` (stored
        truncated to the layout's width).  Into an obsolete root it is lost."""
        root = self.root if root is None else root
        spte = self.layout.make_mmio_spte(gfn, gen & self.layout.mmio_gen_mask)
        root.sptes[gfn] = spte
        root.history[gfn] = gen
        return spte

    def set_present_spte(self, gfn: int, pfn: int, writable: bool = True, root: ShadowRoot | None = None) -> int:
        """mmu_set_spte() for RAM: replaces whatever SPTE the gfn had below ``root``."""
        root = self.root if root is None else root
        spte = make_present_spte(pfn, writable)
        root.sptes[gfn] = spte
        root.history.pop(gfn, None)
        return spte

    def drop_spte(self, gfn: int) -> None:
        self.root.sptes.pop(gfn, None)
        self.root.history.pop(gfn, None)

    def kvm_mmu_zap_all_fast(self) -> None:
        """Zap every shadow page (2019's kvm_mmu_zap_all_fast): bump
        mmu_valid_gen, which makes every root obsolete, request a root reload
        on every vCPU, and zap the obsolete pages (the old root's SPTEs).
        The next vCPU to load a root gets a fresh, empty one."""
        self.mmu_valid_gen += 1
        self.zap_all_count += 1
        self.reload_remote_mmus()
        old = self.root
        old.sptes.clear()  # kvm_zap_obsolete_pages(); vCPUs may still hold the root
        old.history.clear()
        self.root = ShadowRoot(self.mmu_valid_gen)

    # 2013's name for the same thing
    def kvm_mmu_invalidate_zap_all_pages(self) -> None:
        self.kvm_mmu_zap_all_fast()

    def zap_present_range(self, base_gfn: int, npages: int) -> int:
        """kvm_arch_flush_shadow_memslot(): drop the slot's mappings (its
        rmaps, which hold present SPTEs only) below the current root; returns
        how many.  (Obsolete roots are freed at the next reload anyway.)"""
        gone = [g for g, s in self.root.sptes.items()
                if base_gfn <= g < base_gfn + npages and is_shadow_present_pte(s)]
        for g in gone:
            self.drop_spte(g)
        return len(gone)
