"""Each version's known behaviour shows up in targeted deterministic schedules."""

import pytest

from pyspec.kvm import Chooser, DeterministicScheduler, Scenario, System, Tracer
from pyspec.kvm.harness import StepBlocked

VERSIONS = ("v1", "patch2014", "v2", "v3")


def system(version, gen_bits=3, initial_cov=(), **kw):
    sc = Scenario(version=version, vcpus=2, gfns=(1, 2), initial_cov=initial_cov, accesses=20, updates=6,
                  gen_bits=gen_bits, **kw)
    s = System(sc, Chooser(0, strict=True))
    s.spawn(DeterministicScheduler(0, Tracer()))
    return s


def access(s, vcpu, gfn, stop_before=None):
    """vCPU ``vcpu`` accesses ``gfn``; runs to the end of the access, or up to
    (not including) step ``stop_before``.  Returns the last exit if it made one."""
    n = len(s.kvm.exits)
    s.perform("vcpu", vcpu, "R0", gfn)
    finish(s, "vcpu", vcpu, stop_before)
    return s.kvm.exits[-1] if len(s.kvm.exits) > n else None


def finish(s, proc, ident, stop_before=None, end=("R0", "W1", "Done")):
    while s.pc(proc, ident) not in end and s.pc(proc, ident) != stop_before:
        s.perform(proc, ident)


def ioctl(s, gfn, stop_before=None):
    s.perform("writer", None, "W1", gfn)
    finish(s, "writer", None, stop_before)


def close(s):
    s.sched.close()


# ---------------------------------------------------------------- per-vCPU cache


@pytest.mark.parametrize("version", VERSIONS)
def test_stale_vcpu_cache_after_the_ioctl_returned_only_in_v1(version):
    s = system(version)
    first = access(s, 1, 1)
    assert first.path == "slow" and not first.covered
    assert s.vcpus[0].arch.mmio_gfn == 1
    ioctl(s, 1)  # create the slot of gfn 1; the ioctl returns
    assert s.kvm.covered(1) and not s.kvm.update_in_flight()
    again = access(s, 1, 1)
    if version == "v1":
        assert again is not None and again.path == "cache" and again.covered and not again.in_flight
        assert s.stale_entries() == [("vcpu_cache", 1, 1)]
    else:
        assert again is None and s.vcpus[0].ram_accesses == 1
        assert s.stale_entries() == []
    close(s)


# ---------------------------------------------------------------- SPTE race


@pytest.mark.parametrize("version", VERSIONS)
def test_v1_tags_an_spte_with_the_new_generation_and_exits_wrongly_forever(version):
    s = system(version)
    access(s, 1, 1, stop_before="R4")  # R3 looked gfn 1 up in the old set: not covered
    ioctl(s, 1, stop_before="W3")  # W1, W2: the set covering gfn 1 is published
    writer = s.task("writer")
    finish(s, "vcpu", 1)  # R4, R5 (the generation read again), R6: an exit while the ioctl is in flight
    assert s.kvm.exits[-1].in_flight
    finish(s, "writer", None)  # the grace period ends, the ioctl returns
    assert writer.label == "W1" and s.kvm.covered(1)
    exits = [access(s, 2, 1) for _ in range(3)]  # another vCPU, with an empty cache
    if version == "v1":
        # the stale SPTE hits, and the hit refills vCPU 2's (untagged) cache:
        # later accesses exit wrongly from the cache
        assert all(e is not None and e.covered and not e.in_flight for e in exits)
        assert [e.path for e in exits] == ["spte", "cache", "cache"]
        assert ("spte", None, 1) in s.stale_entries()
    else:
        assert exits == [None] * 3
    close(s)


@pytest.mark.parametrize("version", VERSIONS)
def test_grace_period_waits_for_the_reader_that_saw_the_old_set(version):
    s = system(version)
    access(s, 1, 1, stop_before="R4")
    ioctl(s, 1, stop_before="W3")
    with pytest.raises(StepBlocked):
        finish(s, "writer", None)
    assert s.pc("writer") == "W3"
    finish(s, "vcpu", 1)
    finish(s, "writer", None)
    assert s.pc("writer") == "W1"
    close(s)


# ---------------------------------------------------------------- during an update


@pytest.mark.parametrize("version, wrong", [("v1", False), ("patch2014", True), ("v2", False), ("v3", False)])
def test_old_spte_hits_after_publish_only_with_the_seed_patch(version, wrong):
    """patch2014 publishes the new set with the old generation: an MMIO SPTE
    from before the update still hits for a gfn the new set covers, until the
    increment after the grace period (a wrong exit while the ioctl runs)."""
    s = system(version)
    access(s, 1, 1)  # MMIO SPTE for gfn 1, tagged with generation 0
    ioctl(s, 1, stop_before="W3")  # published: gfn 1 is RAM now
    e = access(s, 2, 1)
    if wrong:
        assert e is not None and e.path == "spte" and e.covered and e.in_flight
    else:
        assert e is None
    finish(s, "writer", None)
    assert access(s, 2, 1) is None
    close(s)


def test_v2_odd_generation_matches_no_spte_and_v3_flag_blocks_caching():
    s = system("v2")
    ioctl(s, 2, stop_before="W3")
    assert s.kvm.memslots.generation & 1
    access(s, 1, 1)  # cached and tagged while the generation is odd
    assert s.vcpus[0].arch.mmio_gen == 1
    e = access(s, 2, 1)  # the SPTE from that access does not match an odd generation
    assert e is not None and e.path == "slow"
    close(s)
    s = system("v3")
    ioctl(s, 2, stop_before="W3")
    access(s, 1, 1)
    assert s.vcpus[0].arch.mmio_gfn == 0, "v3 does not cache while an update is in progress"
    close(s)


# ---------------------------------------------------------------- wraparound


def test_v2_wrap_alias_between_the_increment_and_the_zap_is_kept_by_the_cache_refill():
    """2-bit generation: the second update makes it 4 (truncated 0); until
    W5 zaps, an SPTE from lap 0 (tagged 0) hits for a gfn that is now RAM,
    and the hit refills the per-vCPU cache tagged with generation 4, the
    current one: W5's zap does not touch the cache, so the wrong exit
    outlives the ioctl (docs/memslots.md, v2 wrap NoStaleAfterIoctl)."""
    s = system("v2", gen_bits=2)
    access(s, 1, 1)  # SPTE(gfn 1, gen 0)
    ioctl(s, 2)  # generation 2
    ioctl(s, 1, stop_before="W5")  # generation 4: truncated 0, not zapped yet
    assert s.kvm.memslots.generation == 4 and s.kvm.covered(1)
    e = access(s, 2, 1)
    assert e is not None and e.path == "spte" and e.covered and e.in_flight
    assert s.vcpus[1].arch.mmio_gfn == 1 and s.vcpus[1].arch.mmio_gen == 4  # refilled at R2
    finish(s, "writer", None)  # W5 zaps the SPTEs, the ioctl returns
    assert s.kvm.mmu.zap_all_count == 1
    after = access(s, 2, 1)
    assert after is not None and after.path == "cache" and after.covered and not after.in_flight
    close(s)


@pytest.mark.parametrize("stop_before", ["W5", "W6"])
def test_v3_zaps_before_the_wrapped_generation_is_visible(stop_before):
    s = system("v3", gen_bits=1)
    access(s, 1, 1)  # SPTE(gfn 1, gen 0)
    ioctl(s, 2)  # generation 1
    ioctl(s, 1, stop_before=stop_before)  # the next generation, 2, wraps to 0
    assert access(s, 2, 1) is None  # in progress: no match; after W5: zapped
    finish(s, "writer", None)
    assert s.kvm.memslots.generation == 2 and s.kvm.mmu.zap_all_count == 1
    assert access(s, 2, 1) is None
    close(s)


def test_v1_without_wrap_zap_width_keeps_spte_tags_distinct():
    s = system("v1", gen_bits=3)
    access(s, 1, 1)
    for _ in range(3):
        ioctl(s, 2)
    assert s.kvm.mmu.zap_all_count == 0 and s.kvm.memslots.generation == 3
    close(s)


# ---------------------------------------------------------------- random runs


@pytest.mark.parametrize("version", VERSIONS)
def test_random_runs_show_each_versions_guarantees(version):
    """Seeded random runs (3-bit generation, no wrap): once the writer is done,
    only v1 can be left with cached MMIO information that hits for a covered
    gfn; v3 never makes a wrong MMIO exit with no ioctl in flight."""
    from pyspec.kvm import run
    stale = idle_wrong = 0
    for seed in range(100):
        r = run(version, seed=seed, gen_bits=3, accesses=5, updates=3)
        stale += len(r.system.stale_entries())
        idle_wrong += len(r.system.wrong_exits(idle_only=True))
    assert (stale > 0) == (version == "v1")
    if version == "v3":
        assert idle_wrong == 0


def test_patch2014_wrong_exit_after_the_ioctl_returned():
    """The seed email's case 2: a fault that starts after the flip of
    synchronize_srcu hits a pre-update cache entry (the generation is not
    incremented yet), and its exit reaches userspace after the ioctl returned."""
    s = system("patch2014")
    access(s, 1, 1)  # cache (gfn 1, generation 0)
    ioctl(s, 1, stop_before="W3")
    s.perform("writer", None, "W3")  # W3.scan1 (and the flip), W3: no reader inside, the grace period ends
    access(s, 1, 1, stop_before="R6")  # R1: cache hit, generation still 0
    finish(s, "writer", None)  # W4 increments, W5; the ioctl returns
    e = access_exit(s, 1)
    assert e.path == "cache" and e.covered and not e.in_flight
    close(s)


def access_exit(s, vcpu):
    finish(s, "vcpu", vcpu)
    return s.kvm.exits[-1]


def test_v2_wrong_exit_after_the_ioctl_returned_from_an_odd_cache_tag():
    """v2 caches while the generation is odd: a reader that saw the old set
    tags its cache entry with the odd generation; a later fault of the same
    vCPU, started after the grace period but before the second increment,
    hits it and exits after the ioctl returned."""
    s = system("v2")
    access(s, 1, 1, stop_before="R4")  # R3: gfn 1 not covered in the old set
    ioctl(s, 1, stop_before="W3")  # published, generation 1 (odd)
    access_exit(s, 1)  # R4 caches (gfn 1, generation 1), R5, R6
    assert s.vcpus[0].arch.mmio_gen == 1
    s.perform("writer", None, "W3")  # the grace period ends
    access(s, 1, 1, stop_before="R6")  # R1: the cache tag equals the odd generation
    finish(s, "writer", None)  # W4: generation 2, W5; the ioctl returns
    e = access_exit(s, 1)
    assert e.path == "cache" and e.covered and not e.in_flight
    close(s)


def test_v3_same_schedule_no_wrong_exit():
    s = system("v3")
    access(s, 1, 1, stop_before="R4")
    ioctl(s, 1, stop_before="W3")
    access_exit(s, 1)
    assert s.vcpus[0].arch.mmio_gfn == 0  # not cached while in progress
    s.perform("writer", None, "W3")
    assert access(s, 1, 1, stop_before="R6") is None  # R1 misses, R2 refuses (in progress), R3: RAM
    assert s.pc("vcpu", 1) == "R0"
    close(s)


@pytest.mark.parametrize("version", VERSIONS)
def test_plain_calls_without_a_scheduler(version):
    """The kernel-style functions run directly too (points are no-ops)."""
    from pyspec.kvm import Kvm, KvmConfig
    from pyspec.kvm.harness import Userspace
    from pyspec.kvm.vcpu import kvm_vcpu_access
    kvm = Kvm(KvmConfig(version=version, gen_bits=3))
    vcpu = kvm.create_vcpu(1)
    user = Userspace(kvm, (1, 2), ())
    assert kvm_vcpu_access(vcpu, 1) == "mmio"
    user.toggle(1)
    expected = "mmio" if version == "v1" else "ram"  # v1: the per-vCPU cache still holds gfn 1
    assert kvm_vcpu_access(vcpu, 1) == expected
    assert kvm_vcpu_access(vcpu, 2) == "mmio" and kvm_vcpu_access(vcpu, 1) == "ram"
    assert kvm.srcu.readers_active() == 0 and kvm.srcu.grace_periods == 1
