"""KVM_SET_USER_MEMORY_REGION validation, the sorted memslot array, lookups."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyspec.kvm import memslots as ms
from pyspec.kvm.memslots import (
    EEXIST,
    EINVAL,
    KVM_MEM_LOG_DIRTY_PAGES,
    KVM_MEM_MAX_NR_PAGES,
    KVM_MEM_READONLY,
    PAGE_SIZE,
    KvmMrChange,
    KvmUserspaceMemoryRegion,
    linear_search_memslots,
    search_memslots,
)
from pyspec.kvm.vm import Kvm, KvmConfig

UADDR = 0x7F0000000000


def region(slot, gfn, npages, flags=0, uaddr=None):
    return KvmUserspaceMemoryRegion(slot=slot, flags=flags, guest_phys_addr=gfn * PAGE_SIZE,
                                    memory_size=npages * PAGE_SIZE,
                                    userspace_addr=UADDR + gfn * PAGE_SIZE if uaddr is None else uaddr)


def vm(version="v3", **kw):
    return Kvm(KvmConfig(version=version, **kw))


def slots_of(kvm):
    return [(s.id, s.base_gfn, s.npages) for s in ms.kvm_for_each_memslot(kvm.memslots)]


# ---------------------------------------------------------------- error codes


@pytest.mark.parametrize("mem, why", [
    (region(0, 16, 1, flags=1 << 2), "unknown flag"),
    (KvmUserspaceMemoryRegion(0, 0, 16 * PAGE_SIZE, PAGE_SIZE + 1, UADDR), "size not page aligned"),
    (KvmUserspaceMemoryRegion(0, 0, 16 * PAGE_SIZE + 8, PAGE_SIZE, UADDR), "gpa not page aligned"),
    (KvmUserspaceMemoryRegion(0, 0, 16 * PAGE_SIZE, PAGE_SIZE, UADDR + 8), "uaddr not page aligned"),
    (KvmUserspaceMemoryRegion(0, 0, 16 * PAGE_SIZE, PAGE_SIZE, ms.TASK_SIZE_MAX), "uaddr outside user space"),
    (region(ms.KVM_USER_MEM_SLOTS, 16, 1), "slot id of a private slot"),
    (region(1 << 16, 16, 1), "address space 1 with one address space"),
    (region(0, 16, 0), "delete a slot that does not exist"),
])
def test_invalid_regions_are_einval(mem, why):
    kvm = vm()
    assert kvm.set_user_memory_region(mem) == -EINVAL, why
    assert kvm.memslots.generation == 0 and kvm.installs == 0


def test_size_limit_and_gpa_overflow_are_einval():
    kvm = vm()
    too_big = KvmUserspaceMemoryRegion(0, 0, 0, (KVM_MEM_MAX_NR_PAGES + 1) * PAGE_SIZE, PAGE_SIZE)
    assert kvm.set_user_memory_region(too_big) == -EINVAL
    # A private slot skips the userspace-address checks; the gpa range must not wrap.
    private = ms.KVM_USER_MEM_SLOTS
    wrap = KvmUserspaceMemoryRegion(private, 0, (1 << 64) - PAGE_SIZE, 2 * PAGE_SIZE, 0)
    assert ms.kvm_set_memory_region(kvm, wrap) == -EINVAL


def test_modifying_a_slot_needs_same_size_address_and_readonly_flag():
    kvm = vm()
    assert kvm.set_user_memory_region(region(0, 16, 4)) == 0
    assert kvm.set_user_memory_region(region(0, 16, 8)) == -EINVAL  # size changes
    assert kvm.set_user_memory_region(region(0, 16, 4, uaddr=UADDR)) == -EINVAL  # userspace address changes
    assert kvm.set_user_memory_region(region(0, 16, 4, flags=KVM_MEM_READONLY)) == -EINVAL
    assert kvm.installs == 1


def test_overlap_is_eexist_for_create_and_move():
    kvm = vm()
    assert kvm.set_user_memory_region(region(0, 16, 4)) == 0
    assert kvm.set_user_memory_region(region(1, 19, 2)) == -EEXIST  # create overlapping [16, 20)
    assert kvm.set_user_memory_region(region(1, 20, 2)) == 0  # adjacent is fine
    assert kvm.set_user_memory_region(region(1, 14, 2, uaddr=UADDR + 20 * PAGE_SIZE)) == 0  # move to [14, 16)
    assert kvm.set_user_memory_region(region(1, 15, 2, uaddr=UADDR + 20 * PAGE_SIZE)) == -EEXIST  # move onto 16


def test_private_slots_do_not_count_as_overlap():
    kvm = vm()
    private = ms.KVM_USER_MEM_SLOTS
    assert ms.kvm_set_memory_region(kvm, KvmUserspaceMemoryRegion(private, 0, 0x100 * PAGE_SIZE, PAGE_SIZE, 0)) == 0
    assert kvm.set_user_memory_region(region(0, 0x100, 1)) == 0


def test_nothing_to_change_returns_0_without_an_install():
    kvm = vm()
    assert kvm.set_user_memory_region(region(0, 16, 1)) == 0
    gen = kvm.memslots.generation
    assert kvm.set_user_memory_region(region(0, 16, 1)) == 0
    assert kvm.last_change.change is None and kvm.installs == 1 and kvm.memslots.generation == gen


@pytest.mark.parametrize("version, step", [("v1", 1), ("patch2014", 1), ("v2", 2), ("v3", 1)])
def test_change_kinds_and_generation_steps(version, step):
    kvm = vm(version)
    changes = []
    for mem in (region(0, 16, 2), region(0, 16, 2, flags=KVM_MEM_LOG_DIRTY_PAGES),
                region(0, 32, 2, flags=KVM_MEM_LOG_DIRTY_PAGES, uaddr=UADDR + 16 * PAGE_SIZE),
                region(0, 32, 0)):
        assert kvm.set_user_memory_region(mem) == 0
        changes.append(kvm.last_change.change)
    assert changes == [KvmMrChange.CREATE, KvmMrChange.FLAGS_ONLY, KvmMrChange.MOVE, KvmMrChange.DELETE]
    assert kvm.memslots.generation == 4 * step
    assert slots_of(kvm) == []


def test_flags_only_keeps_the_slot_and_sets_the_dirty_bitmap():
    kvm = vm()
    kvm.set_user_memory_region(region(3, 16, 2))
    kvm.set_user_memory_region(region(3, 16, 2, flags=KVM_MEM_LOG_DIRTY_PAGES))
    s = ms.id_to_memslot(kvm.memslots, 3)
    assert (s.base_gfn, s.npages, s.flags, s.dirty_bitmap) == (16, 2, KVM_MEM_LOG_DIRTY_PAGES, True)


def test_two_phase_delete_installs_twice_and_flushes_the_slot():
    kvm = vm("v3", two_phase_delete=True)
    kvm.set_user_memory_region(region(0, 16, 1))
    kvm.mmu.set_present_spte(16, 0x1234)
    assert kvm.memslots.generation == 1
    assert kvm.set_user_memory_region(region(0, 16, 0)) == 0
    assert kvm.installs == 3 and kvm.memslots.generation == 3
    assert 16 not in kvm.mmu.sptes and not kvm.covered(16)


def test_one_phase_delete_flushes_present_sptes_but_not_mmio_sptes():
    kvm = vm("v3")
    kvm.set_user_memory_region(region(0, 16, 2))
    kvm.mmu.set_present_spte(16, 0x1234)
    kvm.mmu.mark_mmio_spte(40, 0)
    kvm.set_user_memory_region(region(0, 16, 0))
    assert 16 not in kvm.mmu.sptes and 40 in kvm.mmu.sptes


def test_invalid_slot_is_not_covered():
    kvm = vm()
    kvm.set_user_memory_region(region(0, 16, 1))
    slots = kvm.memslots
    i = slots.id_to_index[0]
    slots.memslots[i] = replace(slots.memslots[i], flags=ms.KVM_MEMSLOT_INVALID)
    assert search_memslots(slots, 16) is not None and not kvm.covered(16)


# ---------------------------------------------------------------- the array


def check_array(slots):
    used = list(ms.kvm_for_each_memslot(slots))
    assert len(used) == slots.used_slots
    assert [s.base_gfn for s in used] == sorted((s.base_gfn for s in used), reverse=True)
    assert all(not s.npages for s in slots.memslots[slots.used_slots:])
    for i, s in enumerate(slots.memslots):
        assert slots.id_to_index[s.id] == i
    assert sorted(s.id for s in slots.memslots) == list(range(len(slots.memslots)))


ops = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 60), st.integers(0, 5)), max_size=40)


@settings(max_examples=100, deadline=None)
@given(ops, st.lists(st.integers(0, 70), min_size=1, max_size=30), st.integers(0, 11))
def test_binary_search_agrees_with_linear_search(program, gfns, lru):
    kvm = vm(user_mem_slots=8, private_mem_slots=4)
    model: dict[int, tuple[int, int]] = {}  # slot id -> (base, npages)
    for sid, base, npages in program:
        old = model.get(sid)
        uaddr = UADDR + (old[0] if old else base) * PAGE_SIZE
        mem = region(sid, base, npages if not old or not npages else old[1], uaddr=uaddr)
        r = kvm.set_user_memory_region(mem)
        if r == 0:
            if mem.memory_size:
                model[sid] = (base, mem.memory_size // PAGE_SIZE)
            else:
                model.pop(sid, None)
        check_array(kvm.memslots)
    assert {s.id: (s.base_gfn, s.npages) for s in ms.kvm_for_each_memslot(kvm.memslots)} == model
    slots = kvm.memslots
    slots.lru_slot = lru
    for g in gfns:
        assert search_memslots(slots, g) == linear_search_memslots(slots, g)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 4)), max_size=8))
def test_created_slots_are_found_at_every_gfn_and_nowhere_else(ranges):
    kvm = vm(user_mem_slots=8, private_mem_slots=0)
    covered: dict[int, int] = {}
    for sid, (base, npages) in enumerate(ranges):
        if kvm.set_user_memory_region(region(sid, base, npages)) == 0:
            covered.update({g: sid for g in range(base, base + npages)})
    for g in range(0, 50):
        s = search_memslots(kvm.memslots, g)
        assert (s.id if s else None) == covered.get(g)


def test_search_uses_and_updates_the_lru_slot():
    kvm = vm()
    for sid, base in enumerate((10, 20, 30)):
        kvm.set_user_memory_region(region(sid, base, 2))
    slots = kvm.memslots
    assert search_memslots(slots, 11).id == 0
    assert slots.lru_slot == slots.id_to_index[0]
    assert search_memslots(slots, 5) is None and search_memslots(slots, 22) is None
