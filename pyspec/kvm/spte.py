"""MMIO SPTEs as 64-bit integers (arch/x86/kvm/mmu/spte.h, mmu.c).

An MMIO SPTE is a non-present shadow page-table entry whose low bits make the
hardware fault in a recognisable way (an EPT misconfiguration: writable and
executable but not readable), and whose spare bits hold the gfn and a
*truncated* memslot generation:

    bits  0..2    MMIO mark: 0b110 (W and X set, R clear)
    bits  3..     generation, low field
    bits 12..51   gfn (the guest physical address, page aligned)
    bits 52..62   generation, high field

How many generation bits go to the low field and whether bit 0 of the
generation is stored at all changed over the years:

    2013 (v1) and 2019 (v3)   19 bits: generation bits 0-8 in SPTE bits 3-11,
                              bits 9-18 in SPTE bits 52-61
    Aug 2014 (v2)             20 bits, bit 0 never stored: generation bits 1-9
                              in SPTE bits 3-11, bits 10-19 in SPTE bits 52-61
                              (MMIO_GEN_LOW_MASK = (1 << 10) - 2)
    today                     19 bits: 0-7 in SPTE bits 3-10, 8-18 in 52-62

`SpteLayout` covers all of them; `gen_bits` is the width of the truncated
generation (MMIO_GEN_MASK = 2**gen_bits - 1), so that small widths (1..19)
can be tested and made to wrap.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SHIFT = 12

# The MMIO mark: an EPT entry that is writable and executable but not readable
# is a misconfiguration (VMX_EPT_MISCONFIG_WX_VALUE); a present entry has R set.
SPTE_MMIO_MASK = 0b111
SPTE_MMIO_VALUE = 0b110
PT_PRESENT_MASK = 1 << 0
PT_WRITABLE_MASK = 1 << 1
PT_EXEC_MASK = 1 << 2

SPTE_GFN_SHIFT = PAGE_SHIFT
SPTE_GFN_BITS = 40  # bits 12..51
SPTE_GFN_MASK = ((1 << SPTE_GFN_BITS) - 1) << SPTE_GFN_SHIFT

SPTE_GEN_LOW_START = 3
SPTE_GEN_HIGH_START = 52
SPTE_GEN_HIGH_MAX_BITS = 11  # bits 52..62; bit 63 stays clear


def _field(start: int, width: int) -> int:
    return ((1 << width) - 1) << start


@dataclass(frozen=True)
class SpteLayout:
    """Where an MMIO SPTE keeps its generation.

    gen_bits:  width of the truncated generation (MMIO_GEN_SHIFT).
    low_bits:  how many stored generation bits go to the low field, which
               starts at SPTE bit 3; the rest go to the high field at bit 52.
    drop_bit0: v2 (Aug 2014): bit 0 of the generation is never stored and
               reads back as 0, so an odd generation matches no SPTE.
    """

    gen_bits: int = 19
    low_bits: int = 8
    drop_bit0: bool = False

    def __post_init__(self) -> None:
        if self.gen_bits < 1:
            raise ValueError("gen_bits must be at least 1")
        if not 1 <= self.low_bits <= 9:
            raise ValueError("the low generation field is SPTE bits 3..11 at most")
        if self.high_width > SPTE_GEN_HIGH_MAX_BITS:
            raise ValueError(f"gen_bits={self.gen_bits} does not fit in SPTE bits 3..{2 + self.low_bits} "
                             f"and 52..62")

    # ------------------------------------------------------------ the fields

    @property
    def first_stored_bit(self) -> int:
        return 1 if self.drop_bit0 else 0

    @property
    def low_width(self) -> int:
        return max(0, min(self.low_bits, self.gen_bits - self.first_stored_bit))

    @property
    def high_width(self) -> int:
        return max(0, self.gen_bits - self.first_stored_bit - self.low_bits)

    @property
    def mmio_gen_mask(self) -> int:
        """MMIO_GEN_MASK: the generation bits an MMIO SPTE is compared on."""
        return (1 << self.gen_bits) - 1

    @property
    def gen_low_mask(self) -> int:
        """Generation bits kept in the low SPTE field (MMIO_GEN_LOW_MASK)."""
        return _field(self.first_stored_bit, self.low_width)

    @property
    def spte_gen_low_mask(self) -> int:
        return _field(SPTE_GEN_LOW_START, self.low_width)

    @property
    def spte_gen_high_mask(self) -> int:
        return _field(SPTE_GEN_HIGH_START, self.high_width)

    @property
    def low_shift(self) -> int:
        """Generation bit k (in the low field) sits at SPTE bit k + low_shift."""
        return SPTE_GEN_LOW_START - self.first_stored_bit

    @property
    def high_gen_start(self) -> int:
        """The first generation bit that goes to the high field."""
        return self.first_stored_bit + self.low_width

    # ------------------------------------------------------------ encoding

    def generation_mmio_spte_mask(self, gen: int) -> int:
        """The SPTE bits that encode the (truncated) generation ``gen``."""
        if gen & ~self.mmio_gen_mask:
            raise ValueError(f"generation {gen:#x} wider than {self.gen_bits} bits")
        mask = ((gen & self.gen_low_mask) << self.low_shift) & self.spte_gen_low_mask
        mask |= ((gen >> self.high_gen_start) << SPTE_GEN_HIGH_START) & self.spte_gen_high_mask
        return mask

    def get_mmio_spte_generation(self, spte: int) -> int:
        gen = ((spte & self.spte_gen_low_mask) >> self.low_shift) & self.gen_low_mask
        gen |= ((spte & self.spte_gen_high_mask) >> SPTE_GEN_HIGH_START) << self.high_gen_start
        return gen

    def make_mmio_spte(self, gfn: int, gen: int) -> int:
        """mark_mmio_spte(): an MMIO SPTE for ``gfn`` tagged with ``gen``
        (already truncated with :attr:`mmio_gen_mask`)."""
        if gfn < 0 or gfn >> SPTE_GFN_BITS:
            raise ValueError(f"gfn {gfn:#x} does not fit in SPTE bits 12..51")
        return SPTE_MMIO_VALUE | self.generation_mmio_spte_mask(gen) | (gfn << SPTE_GFN_SHIFT)

    def reserved_gen_bits(self) -> int:
        """All SPTE bits the generation may occupy."""
        return self.spte_gen_low_mask | self.spte_gen_high_mask


def is_mmio_spte(spte: int) -> bool:
    return (spte & SPTE_MMIO_MASK) == SPTE_MMIO_VALUE


def is_shadow_present_pte(spte: int) -> bool:
    return bool(spte & PT_PRESENT_MASK)


def get_mmio_spte_gfn(spte: int) -> int:
    return (spte & SPTE_GFN_MASK) >> SPTE_GFN_SHIFT


def make_present_spte(pfn: int, writable: bool = True) -> int:
    """A present (RAM) SPTE mapping host frame ``pfn``."""
    spte = PT_PRESENT_MASK | PT_EXEC_MASK | (pfn << PAGE_SHIFT & SPTE_GFN_MASK)
    if writable:
        spte |= PT_WRITABLE_MASK
    return spte


def spte_pfn(spte: int) -> int:
    return (spte & SPTE_GFN_MASK) >> PAGE_SHIFT


# Historical layouts (gen_bits may be lowered for testing).
def layout_2013(gen_bits: int = 19) -> SpteLayout:
    """v1 and the seed's patch: MMIO_GEN_LOW_SHIFT 9, all bits stored."""
    return SpteLayout(gen_bits=gen_bits, low_bits=9)


def layout_2014(gen_bits: int = 20) -> SpteLayout:
    """v2: MMIO_GEN_LOW_SHIFT 10, MMIO_GEN_LOW_MASK excludes bit 0."""
    return SpteLayout(gen_bits=gen_bits, low_bits=9, drop_bit0=True)


def layout_2019(gen_bits: int = 19) -> SpteLayout:
    """v3: MMIO_SPTE_GEN_LOW 3..11, HIGH 52..61."""
    return SpteLayout(gen_bits=gen_bits, low_bits=9)


def layout_today(gen_bits: int = 19) -> SpteLayout:
    """Generation bits 0-7 in SPTE bits 3-10, 8-18 in bits 52-62."""
    return SpteLayout(gen_bits=gen_bits, low_bits=8)
