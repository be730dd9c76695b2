"""Memslot sets and KVM_SET_USER_MEMORY_REGION (virt/kvm/kvm_main.c,
include/linux/kvm_host.h), in the array layout KVM used from 2014 to 2020.

A memslot set (``struct kvm_memslots``) is an array of KVM_MEM_SLOTS_NUM
slots: the used ones first, sorted by ``base_gfn`` in *descending* order,
then the unused ones (``npages == 0``); ``id_to_index`` finds a slot by id and
``search_memslots`` finds the slot of a gfn by binary search (with a one-entry
``lru_slot`` cache in front).  A published set is never changed, except for
its ``generation`` field and the lru cache: an update builds a private copy
(``kvm_dup_memslots``), applies the change (``update_memslots``) and hands it
to ``install_new_memslots`` (per version, :mod:`pyspec.kvm.versions`).

Error codes are the kernel's, as negative ints: ``-EINVAL``, ``-EEXIST``...
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, replace
from typing import Any

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
U16 = (1 << 16) - 1
U32 = (1 << 32) - 1
U64 = (1 << 64) - 1

# include/uapi/linux/kvm.h
KVM_MEM_LOG_DIRTY_PAGES = 1 << 0
KVM_MEM_READONLY = 1 << 1
# include/linux/kvm_host.h: internal flag of a slot being deleted or moved
KVM_MEMSLOT_INVALID = 1 << 16
KVM_MEM_MAX_NR_PAGES = (1 << 31) - 1

# arch/x86/include/asm/kvm_host.h (x86, 2015-2020)
KVM_USER_MEM_SLOTS = 509
KVM_PRIVATE_MEM_SLOTS = 3
KVM_MEM_SLOTS_NUM = KVM_USER_MEM_SLOTS + KVM_PRIVATE_MEM_SLOTS
KVM_ADDRESS_SPACE_NUM = 1

# x86-64: the highest user address + 1 (access_ok)
TASK_SIZE_MAX = (1 << 47) - PAGE_SIZE

EPERM = 1
ENOMEM = 12
EFAULT = 14
EEXIST = 17
EINVAL = 22

ERRNO_NAMES = {EPERM: "EPERM", ENOMEM: "ENOMEM", EFAULT: "EFAULT", EEXIST: "EEXIST", EINVAL: "EINVAL"}


def strerror(r: int) -> str:
    return "0" if r == 0 else "-" + ERRNO_NAMES.get(-r, str(-r))


class KvmMrChange(enum.Enum):
    """enum kvm_mr_change"""

    CREATE = "create"
    DELETE = "delete"
    MOVE = "move"
    FLAGS_ONLY = "flags_only"


@dataclass(frozen=True)
class KvmUserspaceMemoryRegion:
    """struct kvm_userspace_memory_region: the ioctl's argument.  ``slot``
    holds the address space in bits 16..31 and the slot id in bits 0..15."""

    slot: int
    flags: int = 0
    guest_phys_addr: int = 0
    memory_size: int = 0
    userspace_addr: int = 0


@dataclass(frozen=True, slots=True)
class KvmMemorySlot:
    """struct kvm_memory_slot (copied by value, as the kernel does)."""

    id: int
    base_gfn: int = 0
    npages: int = 0
    userspace_addr: int = 0
    flags: int = 0
    dirty_bitmap: bool = False

    def contains(self, gfn: int) -> bool:
        return self.base_gfn <= gfn < self.base_gfn + self.npages


@dataclass(eq=False)
class KvmMemslots:
    """struct kvm_memslots."""

    memslots: list[KvmMemorySlot]
    id_to_index: list[int]
    used_slots: int = 0
    generation: int = 0
    lru_slot: int = 0  # atomic_t in the kernel: a lookup cache, written by readers
    name: str = field(default="", compare=False)  # for debugging: which copy this is

    def __repr__(self) -> str:
        used = ", ".join(f"{s.id}:[{s.base_gfn:#x}+{s.npages}]" for s in kvm_for_each_memslot(self))
        return f"<memslots gen={self.generation:#x} {used}>"


@functools.cache
def _empty_slots(nslots: int) -> tuple[KvmMemorySlot, ...]:
    # Slots are immutable values, so every new set can share the empty ones
    # (building 512 frozen dataclasses took ~4 ms, per VM).
    return tuple(KvmMemorySlot(id=i) for i in range(nslots))


def kvm_alloc_memslots(nslots: int = KVM_MEM_SLOTS_NUM, generation: int = 0) -> KvmMemslots:
    """kvm_alloc_memslots(): every id present, every slot empty."""
    return KvmMemslots(memslots=list(_empty_slots(nslots)), id_to_index=list(range(nslots)), generation=generation)


def kvm_dup_memslots(old: KvmMemslots) -> KvmMemslots:
    """The private copy of a set (kvzalloc + memcpy of struct kvm_memslots)."""
    return KvmMemslots(memslots=list(old.memslots), id_to_index=list(old.id_to_index),
                       used_slots=old.used_slots, generation=old.generation, lru_slot=old.lru_slot)


def kvm_for_each_memslot(slots: KvmMemslots):
    """The used slots, in array order (descending base_gfn)."""
    for s in slots.memslots:
        if not s.npages:
            break
        yield s


def id_to_memslot(slots: KvmMemslots, id: int) -> KvmMemorySlot:
    index = slots.id_to_index[id]
    slot = slots.memslots[index]
    assert slot.id == id, f"id_to_index[{id}] -> slot {slot.id}"
    return slot


def search_memslots(slots: KvmMemslots, gfn: int) -> KvmMemorySlot | None:
    """The slot that contains ``gfn``, by binary search over the array sorted
    by descending base_gfn: find the first slot whose base_gfn <= gfn."""
    start, end = 0, slots.used_slots
    memslots = slots.memslots
    if not slots.used_slots:
        return None
    slot = slots.lru_slot
    if 0 <= slot < len(memslots) and memslots[slot].contains(gfn):
        return memslots[slot]
    while start < end:
        slot = start + (end - start) // 2
        if gfn >= memslots[slot].base_gfn:
            end = slot
        else:
            start = slot + 1
    if start < slots.used_slots and gfn >= memslots[start].base_gfn \
            and gfn < memslots[start].base_gfn + memslots[start].npages:
        slots.lru_slot = start
        return memslots[start]
    return None


def __gfn_to_memslot(slots: KvmMemslots, gfn: int) -> KvmMemorySlot | None:
    return search_memslots(slots, gfn)


def linear_search_memslots(slots: KvmMemslots, gfn: int) -> KvmMemorySlot | None:
    """A reference lookup (tests compare the binary search with it)."""
    for s in kvm_for_each_memslot(slots):
        if s.contains(gfn):
            return s
    return None


def update_memslots(slots: KvmMemslots, new: KvmMemorySlot) -> None:
    """Put ``new`` in the (private) array, keeping it sorted: the slot moves
    towards the end while its successors have a larger-or-equal base, then
    towards the front while its predecessors have a smaller-or-equal base.
    A deleted slot (npages == 0) ends up at the start of the unused part."""
    id = new.id
    mslots = slots.memslots
    i = slots.id_to_index[id]
    nslots = len(mslots)
    assert mslots[i].id == id
    if not new.npages:
        assert mslots[i].npages, "deleting an empty slot"
        if mslots[i].npages:
            slots.used_slots -= 1
    else:
        if not mslots[i].npages:
            slots.used_slots += 1

    while i < nslots - 1 and new.base_gfn <= mslots[i + 1].base_gfn:
        if not mslots[i + 1].npages:
            break
        mslots[i] = mslots[i + 1]
        slots.id_to_index[mslots[i].id] = i
        i += 1

    # ">=" moves a slot created with base_gfn 0 in front of the empty ones;
    # a deleted slot must not move back into the used part.
    if new.npages:
        while i > 0 and new.base_gfn >= mslots[i - 1].base_gfn:
            mslots[i] = mslots[i - 1]
            slots.id_to_index[mslots[i].id] = i
            i -= 1
    else:
        assert i == slots.used_slots, "a deleted slot must land at the start of the unused slots"

    mslots[i] = new
    slots.id_to_index[mslots[i].id] = i


# ---------------------------------------------------------------- the ioctl


def check_memory_region_flags(mem: KvmUserspaceMemoryRegion, readonly_mem: bool = True) -> int:
    valid_flags = KVM_MEM_LOG_DIRTY_PAGES
    if readonly_mem:  # __KVM_HAVE_READONLY_MEM (x86 since 2012)
        valid_flags |= KVM_MEM_READONLY
    if mem.flags & ~valid_flags:
        return -EINVAL
    return 0


def access_ok(addr: int, size: int) -> bool:
    """x86-64 access_ok(): [addr, addr + size) lies in user space."""
    end = addr + size
    return end <= U64 and end <= TASK_SIZE_MAX


@dataclass
class MemoryRegionChange:
    """What __kvm_set_memory_region() decided (for traces and tests)."""

    r: int
    as_id: int = 0
    id: int = 0
    change: KvmMrChange | None = None
    old: KvmMemorySlot | None = None
    new: KvmMemorySlot | None = None


def kvm_check_memory_region(kvm: Any, mem: KvmUserspaceMemoryRegion) -> MemoryRegionChange:
    """The checks of __kvm_set_memory_region(), up to deciding the change."""
    cfg = kvm.config
    r = check_memory_region_flags(mem)
    if r:
        return MemoryRegionChange(r)

    r = -EINVAL
    slot_field = mem.slot & U32
    as_id = slot_field >> 16
    id = slot_field & U16
    gpa = mem.guest_phys_addr & U64
    size = mem.memory_size & U64
    uaddr = mem.userspace_addr & U64

    # General sanity checks
    if size & (PAGE_SIZE - 1):
        return MemoryRegionChange(r, as_id, id)
    if gpa & (PAGE_SIZE - 1):
        return MemoryRegionChange(r, as_id, id)
    # We can read the guest memory with __xxx_user() later on.
    if id < cfg.user_mem_slots and ((uaddr & (PAGE_SIZE - 1)) or not access_ok(uaddr, size)):
        return MemoryRegionChange(r, as_id, id)
    if as_id >= cfg.address_space_num or id >= cfg.mem_slots_num:
        return MemoryRegionChange(r, as_id, id)
    if (gpa + size) & U64 < gpa:
        return MemoryRegionChange(r, as_id, id)

    slots = kvm.memslots_of(as_id)
    slot = id_to_memslot(slots, id)
    base_gfn = gpa >> PAGE_SHIFT
    npages = size >> PAGE_SHIFT

    if npages > KVM_MEM_MAX_NR_PAGES:
        return MemoryRegionChange(r, as_id, id)

    old = slot
    new = replace(slot, id=id, base_gfn=base_gfn, npages=npages, flags=mem.flags)

    if npages:
        if not old.npages:
            change = KvmMrChange.CREATE
        else:  # Modify an existing slot.
            if uaddr != old.userspace_addr or npages != old.npages \
                    or (new.flags ^ old.flags) & KVM_MEM_READONLY:
                return MemoryRegionChange(r, as_id, id, old=old)
            if base_gfn != old.base_gfn:
                change = KvmMrChange.MOVE
            elif new.flags != old.flags:
                change = KvmMrChange.FLAGS_ONLY
            else:  # Nothing to change.
                return MemoryRegionChange(0, as_id, id, None, old, old)
    else:
        if not old.npages:
            return MemoryRegionChange(r, as_id, id, old=old)
        change = KvmMrChange.DELETE
        new = replace(new, base_gfn=0, flags=0)

    if change in (KvmMrChange.CREATE, KvmMrChange.MOVE):
        # Check for overlaps
        for s in kvm_for_each_memslot(slots):
            if s.id >= cfg.user_mem_slots or s.id == id:
                continue
            if not (base_gfn + npages <= s.base_gfn or base_gfn >= s.base_gfn + s.npages):
                return MemoryRegionChange(-EEXIST, as_id, id, change, old, new)

    # Free page dirty bitmap if unneeded
    if not new.flags & KVM_MEM_LOG_DIRTY_PAGES:
        new = replace(new, dirty_bitmap=False)
    if change is KvmMrChange.CREATE:
        new = replace(new, userspace_addr=uaddr)
    # Allocate page dirty bitmap if needed
    if new.flags & KVM_MEM_LOG_DIRTY_PAGES and not new.dirty_bitmap:
        new = replace(new, dirty_bitmap=True)
    return MemoryRegionChange(0, as_id, id, change, old, new)


def __kvm_set_memory_region(kvm: Any, mem: KvmUserspaceMemoryRegion) -> int:
    """Validate, build the private copy, install it (called with slots_lock held).

    ``kvm`` provides ``config``, ``memslots_of(as_id)``,
    ``install_new_memslots(as_id, slots)`` (the version's writer) and
    ``flush_shadow_memslot(slot)``; ``kvm.last_change`` records the decision.

    With ``config.two_phase_delete`` a delete or a move runs as the kernel
    runs it (since "KVM: Add KVM_MEMSLOT_INVALID"): a first install of a copy
    in which the slot is marked invalid, a flush of its shadow pages, then
    the final install -- two generation bumps per ioctl.  Without it (the
    default, and what the KVM spec models) every ioctl installs once and the
    slot's present SPTEs are flushed after that install.
    """
    ch = kvm_check_memory_region(kvm, mem)
    kvm.last_change = ch
    if ch.r or ch.change is None:
        return ch.r
    as_id, id, change, new = ch.as_id, ch.id, ch.change, ch.new
    assert new is not None

    slots = kvm_dup_memslots(kvm.memslots_of(as_id))

    if kvm.config.two_phase_delete and change in (KvmMrChange.DELETE, KvmMrChange.MOVE):
        # The kernel first installs a copy in which the slot is marked
        # invalid (lookups treat it as absent), zaps its shadow pages, and
        # re-uses the old array for the final update.
        slot = id_to_memslot(slots, id)
        slots.memslots[slots.id_to_index[id]] = replace(slot, flags=slot.flags | KVM_MEMSLOT_INVALID)
        old_memslots = kvm.install_new_memslots(as_id, slots)
        # From this point no new shadow pages pointing to the slot are created.
        kvm.flush_shadow_memslot(slot)
        # The grace period is over: no reader holds the old array, re-use it.
        slots = old_memslots

    if change is KvmMrChange.DELETE:
        new = replace(new, dirty_bitmap=False)

    update_memslots(slots, new)
    kvm.install_new_memslots(as_id, slots)

    if change in (KvmMrChange.DELETE, KvmMrChange.MOVE) and not kvm.config.two_phase_delete:
        kvm.flush_shadow_memslot(ch.old)
    return 0


def kvm_set_memory_region(kvm: Any, mem: KvmUserspaceMemoryRegion) -> int:
    kvm.slots_lock.lock("slots_lock")
    try:
        return __kvm_set_memory_region(kvm, mem)
    finally:
        kvm.slots_lock.unlock()


def kvm_vm_ioctl_set_memory_region(kvm: Any, mem: KvmUserspaceMemoryRegion) -> int:
    """KVM_SET_USER_MEMORY_REGION: 0 or a negative errno."""
    if (mem.slot & U16) >= kvm.config.user_mem_slots:
        return -EINVAL
    return kvm_set_memory_region(kvm, mem)
