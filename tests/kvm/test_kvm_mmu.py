"""Shadow roots after the wraparound zap: obsolete roots, KVM_REQ_MMU_RELOAD,
lost writes, and how the refinement mapping shows them (valid_root, spte)."""

from kvm_spec_oracle import spec_for, validate

from pyspec.kvm import Chooser, DeterministicScheduler, Scenario, System, Tracer
from pyspec.kvm.mmu import ShadowMmu
from pyspec.kvm.refinement import spec_state
from pyspec.kvm.spte import layout_2013, layout_2014


def system(version, gen_bits):
    sc = Scenario(version=version, vcpus=2, gfns=(1, 2), accesses=6, updates=4, gen_bits=gen_bits)
    s = System(sc, Chooser(0, strict=True))
    tracer = Tracer(snapshot=lambda: spec_state(s))
    s.spawn(DeterministicScheduler(0, tracer))
    return s, tracer


def run_to(s, proc, ident, stop_before):
    while s.pc(proc, ident) != stop_before:
        s.perform(proc, ident)


def test_the_zap_makes_every_root_obsolete_and_a_reload_loads_a_fresh_one():
    mmu = ShadowMmu(layout_2013(3))
    held = mmu.mmu_alloc_direct_roots()
    mmu.mark_mmio_spte(5, 2, root=held)
    assert mmu.walk_shadow_page_get_mmio_spte(5, held) != 0
    mmu.kvm_mmu_zap_all_fast()
    assert mmu.is_obsolete_root(held) and not mmu.is_obsolete_root(mmu.root)
    assert mmu.walk_shadow_page_get_mmio_spte(5, held) == 0 and mmu.sptes == {}
    mmu.mark_mmio_spte(6, 3, root=held)  # a write through the obsolete root ...
    assert 6 not in mmu.sptes  # ... is not in the root any vCPU loads now
    assert mmu.mmu_alloc_direct_roots() is mmu.root and mmu.root.mmu_valid_gen == 1


def test_an_mmio_spte_installed_through_an_obsolete_root_is_lost():
    """v1, 1-bit generation: the second ioctl wraps and zaps at W4 while vCPU 1
    is between its R0 and R5; its MMIO SPTE goes into the obsolete root."""
    s, tracer = system("v1", gen_bits=1)
    initial = spec_state(s)
    s.perform("writer", None, "W1", 2)
    run_to(s, "writer", None, "W1")  # generation 1: no wrap
    s.perform("writer", None, "W1", 2)
    run_to(s, "writer", None, "W4")  # generation 2 published, grace period over
    s.perform("vcpu", 1, "R0", 1)
    run_to(s, "vcpu", 1, "R5")  # gfn 1 is MMIO: R3 and R4 taken
    assert tracer.events[-1]["state"]["valid_root"] == {"#set": ["Vcpu.v1", "Vcpu.v2"]}
    s.perform("writer", None, "W4")  # truncated generation 0: zap, roots obsolete
    assert s.kvm.mmu.zap_all_count == 1
    assert tracer.events[-1]["state"]["valid_root"] == {"#set": []}
    s.perform("vcpu", 1, "R5")
    assert tracer.events[-1]["params"]["obsolete_root"] is True
    assert 1 not in s.kvm.mmu.sptes and tracer.events[-1]["state"]["spte"]["#map"][0] == ["Gfn.g1", -1]
    s.perform("vcpu", 1, "R6")
    s.perform("vcpu", 1, "R0", 2)  # the next guest entry serves KVM_REQ_MMU_RELOAD
    assert tracer.events[-1]["params"]["reload"] is True
    assert tracer.events[-1]["state"]["valid_root"] == {"#set": ["Vcpu.v1"]}
    assert s.vcpus[0].arch.mmu_root is s.kvm.mmu.root
    assert validate(spec_for(s), initial, tracer.events) is None
    s.sched.close()


def test_v2_spte_record_keeps_no_bit_0_but_the_lap():
    """v2 with GEN_BITS = 2: an SPTE made while the generation is odd (5, in
    flight) keeps bits 1 only (0) and the lap 5 // 4 = 1: record 4."""
    s, tracer = system("v2", gen_bits=2)
    initial = spec_state(s)
    for gfn in (2, 2):
        s.perform("writer", None, "W1", gfn)
        run_to(s, "writer", None, "W1")  # generation 4 after two ioctls (the zap at 4 included)
    s.perform("writer", None, "W1", 2)
    run_to(s, "writer", None, "W3")  # generation 5 published
    s.perform("vcpu", 2, "R0", 1)  # after the publish: not waited for
    run_to(s, "vcpu", 2, "R6")
    assert s.kvm.memslots.generation == 5 and s.kvm.mmu.history[1] == 5
    assert s.kvm.layout.get_mmio_spte_generation(s.kvm.mmu.sptes[1]) == 0
    assert tracer.events[-1]["state"]["spte"]["#map"][0] == ["Gfn.g1", 4]
    assert validate(spec_for(s), initial, tracer.events) is None
    s.sched.close()
    assert layout_2014(2).get_mmio_spte_generation(layout_2014(2).make_mmio_spte(1, 3)) == 2
