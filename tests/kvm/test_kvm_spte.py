"""MMIO SPTE packing: round trips for every width, bit positions, v2's bit 0."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyspec.kvm import spte as sp
from pyspec.kvm.spte import (
    SPTE_GFN_MASK,
    SpteLayout,
    get_mmio_spte_gfn,
    is_mmio_spte,
    is_shadow_present_pte,
    make_present_spte,
)

LAYOUTS = {"2013": (sp.layout_2013, 19), "2014": (sp.layout_2014, 20), "2019": (sp.layout_2019, 19),
           "today": (sp.layout_today, 19)}


def layouts():
    return st.sampled_from(sorted(LAYOUTS)).flatmap(
        lambda name: st.integers(1, LAYOUTS[name][1]).map(lambda bits: LAYOUTS[name][0](bits)))


@given(layouts(), st.data(), st.integers(0, (1 << 40) - 1))
def test_generation_and_gfn_round_trip(layout, data, gfn):
    gen = data.draw(st.integers(0, layout.mmio_gen_mask))
    spte = layout.make_mmio_spte(gfn, gen)
    assert is_mmio_spte(spte) and not is_shadow_present_pte(spte)
    assert spte < 1 << 63
    assert get_mmio_spte_gfn(spte) == gfn
    expected = gen & ~1 if layout.drop_bit0 else gen
    assert layout.get_mmio_spte_generation(spte) == expected


@given(layouts(), st.data())
def test_generation_bits_stay_in_their_fields(layout, data):
    gen = data.draw(st.integers(0, layout.mmio_gen_mask))
    bits = layout.generation_mmio_spte_mask(gen)
    assert bits & ~layout.reserved_gen_bits() == 0
    assert bits & (sp.SPTE_MMIO_MASK | SPTE_GFN_MASK) == 0


@pytest.mark.parametrize("bits", range(1, 21))
def test_v2_never_stores_bit_0(bits):
    layout = sp.layout_2014(bits)
    for gen in range(0, min(layout.mmio_gen_mask + 1, 256)):
        assert layout.get_mmio_spte_generation(layout.make_mmio_spte(5, gen)) & 1 == 0
    # an odd generation never matches what an SPTE reads back
    assert all(layout.get_mmio_spte_generation(layout.make_mmio_spte(5, g)) != g
               for g in range(1, min(layout.mmio_gen_mask + 1, 256), 2))


@pytest.mark.parametrize("bits", range(1, 20))
def test_every_width_round_trips_exhaustively_for_small_generations(bits):
    layout = sp.layout_today(bits)
    for gen in range(min(layout.mmio_gen_mask + 1, 1024)):
        assert layout.get_mmio_spte_generation(layout.make_mmio_spte(1, gen)) == gen


def test_bit_positions_today():
    layout = sp.layout_today(19)
    assert layout.generation_mmio_spte_mask(1 << 0) == 1 << 3
    assert layout.generation_mmio_spte_mask(1 << 7) == 1 << 10
    assert layout.generation_mmio_spte_mask(1 << 8) == 1 << 52
    assert layout.generation_mmio_spte_mask(1 << 18) == 1 << 62


def test_bit_positions_2013_and_2014():
    l13 = sp.layout_2013(19)
    assert l13.generation_mmio_spte_mask(1 << 8) == 1 << 11
    assert l13.generation_mmio_spte_mask(1 << 9) == 1 << 52
    l14 = sp.layout_2014(20)
    assert l14.generation_mmio_spte_mask(1) == 0  # bit 0 is dropped
    assert l14.generation_mmio_spte_mask(1 << 1) == 1 << 3
    assert l14.generation_mmio_spte_mask(1 << 9) == 1 << 11
    assert l14.generation_mmio_spte_mask(1 << 10) == 1 << 52
    assert l14.generation_mmio_spte_mask(1 << 19) == 1 << 61


def test_truncation_is_the_callers_job():
    with pytest.raises(ValueError):
        sp.layout_today(3).make_mmio_spte(1, 8)


def test_layout_limits():
    with pytest.raises(ValueError):
        SpteLayout(gen_bits=0)
    with pytest.raises(ValueError):
        SpteLayout(gen_bits=20, low_bits=8)  # 12 high bits do not fit in 52..62
    SpteLayout(gen_bits=19, low_bits=8)


def test_present_and_empty_sptes_are_not_mmio():
    assert not is_mmio_spte(0)
    spte = make_present_spte(0x1234)
    assert is_shadow_present_pte(spte) and not is_mmio_spte(spte) and sp.spte_pfn(spte) == 0x1234
