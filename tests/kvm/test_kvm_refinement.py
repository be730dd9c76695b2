"""The refinement mapping: every run of the implementation, mapped to the
spec's variables, is a behaviour of its version's spec, and every mutant
produces one that is not.

The spec side here is a hand transcription (kvm_spec_oracle.py) of
spec/kvm/*.pyspec with full observation; the toolchain's trace validator
(compiled model, partial observation, TLC) replaces it in `make conformance`.
"""

import pytest
from kvm_spec_oracle import spec_for, validate

from pyspec.kvm import Chooser, DeterministicScheduler, Scenario, System, Tracer, mutants, run
from pyspec.kvm.refinement import SPEC_LOCALS, SPEC_VARIABLES, Naming, perform_spec_step, spec_event, spec_state

VERSIONS = ("v1", "patch2014", "v2", "v3")


def check(r):
    return validate(spec_for(r.system), r.initial_state, r.events)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("gen_bits", [1, 3])
def test_deterministic_runs_refine_the_spec(version, gen_bits):
    for seed in range(25):
        r = run(version, seed=seed, gen_bits=gen_bits, initial_cov=(1,) if seed % 2 else (), snapshot=spec_state)
        m = check(r)
        assert m is None, f"seed {seed}: event {m.index} {m.event.get('label')}: {m.reason}"


@pytest.mark.parametrize("version", VERSIONS)
def test_threaded_runs_refine_the_spec(version):
    for seed in range(8):
        r = run(version, seed=seed, mode="threaded", gen_bits=1 + seed % 3, snapshot=spec_state)
        m = check(r)
        assert m is None, f"seed {seed}: event {m.index} {m.event.get('label')}: {m.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mode", ["deterministic", "threaded"])
def test_many_runs_refine_the_spec(version, mode):
    for seed in range(1000 if mode == "deterministic" else 200):
        r = run(version, seed=seed, mode=mode, gen_bits=1 + seed % 3, initial_cov=(2,) if seed % 5 == 0 else (),
                snapshot=spec_state)
        m = check(r)
        assert m is None, f"seed {seed}: event {m.index} {m.event.get('label')}: {m.reason}"


def test_state_has_every_spec_variable_in_itf_form():
    r = run("v3", seed=1, snapshot=spec_state)
    st = r.events[-1]["state"]
    assert set(st) == set(SPEC_VARIABLES) | set(SPEC_LOCALS)
    assert st["writer.pc"] == "Done" and st["writer.n"] == 3
    assert "#set" in st["cov"] and "#map" in st["spte"] and "#map" in st["vcache"]
    assert r.initial_state["gen"] == 0 and r.initial_state["vcpu.pc"] == {"#map": [["Vcpu.v1", "R0"], ["Vcpu.v2", "R0"]]}


def test_v3_in_progress_bit_maps_to_the_spec_constant():
    r = run("v3", seed=0, snapshot=spec_state)
    gens = {e["state"]["gen"] for e in r.events}
    assert any(g & 256 for g in gens) and all(g < 512 for g in gens)
    nm = Naming(update_in_progress=1 << 20)
    assert nm.gen((1 << 63) | 5) == (1 << 20) | 5


def test_spec_event_names_things_as_the_spec_does():
    r = run("v2", seed=2)
    nm = Naming.for_system(r.system)
    evs = [spec_event(e, r.system, nm) for e in r.events]
    r0 = next(e for e in evs if e["label"] == "R0")
    assert r0["self"] in ("Vcpu.v1", "Vcpu.v2") and r0["params"]["gfn"] in ("Gfn.g1", "Gfn.g2")
    scan = next(e for e in evs if e["internal"])
    assert scan["label"] == "W3" and scan["proc"] == "writer"
    assert nm.gfn_of("Gfn.g2") == 2 and nm.vcpu_of("Vcpu.v1") == 1


def test_driving_the_implementation_along_spec_steps():
    """A v1 counterexample to NoStaleAfterIoctl, as spec steps: vcpu v1 makes
    gfn g1 MMIO (cached), the writer creates its slot, v1 touches g1 again."""
    steps = [("vcpu", "Vcpu.v1", "R0", {"x": "Gfn.g1"})] + \
        [("vcpu", "Vcpu.v1", lab, {}) for lab in ("R1", "R2", "R3", "R4", "R5", "R6")] + \
        [("writer", None, "W1", {"x": "Gfn.g1"})] + [("writer", None, lab, {}) for lab in ("W2", "W3", "W4")] + \
        [("vcpu", "Vcpu.v1", "R0", {"x": "Gfn.g1"}), ("vcpu", "Vcpu.v1", "R1", {})]
    system = System(Scenario(version="v1", accesses=5, updates=3), Chooser(0, strict=True))
    tracer = Tracer(snapshot=lambda: spec_state(system))
    system.spawn(DeterministicScheduler(0, tracer))
    initial = spec_state(system)
    for proc, me, label, params in steps:
        perform_spec_step(system, proc, me, label, params)
    state = tracer.events[-1]["state"]
    assert state["vcpu.pc"]["#map"][0] == ["Vcpu.v1", "R6"]  # the cache hit: an MMIO exit follows
    assert state["cov"] == {"#set": ["Gfn.g1"]} and state["writer.pc"] == "W1"
    assert validate(spec_for(system), initial, tracer.events) is None
    system.sched.close()


# ---------------------------------------------------------------- mutants


def test_at_least_ten_named_mutants():
    assert len(mutants.MUTANTS) >= 10
    for m in mutants.MUTANTS.values():
        assert m.versions and set(m.versions) <= set(VERSIONS)
        assert m.description and "\n" not in m.description
    for v in VERSIONS:
        assert len(mutants.for_version(v)) >= 5


def test_a_mutant_is_undone_after_its_block():
    from pyspec.kvm.srcu import SRCU
    orig = SRCU.synchronize
    with mutants.MUTANTS["skip_grace_period"].apply():
        assert SRCU.synchronize is not orig
    assert SRCU.synchronize is orig


CASES = [(m.name, v) for m in mutants.MUTANTS.values() for v in m.versions]


@pytest.mark.parametrize("name, version", CASES)
def test_every_mutant_is_caught_against_its_versions_spec(name, version):
    m = mutants.MUTANTS[name]
    widths = (1, 3) if any(w in name for w in ("wrap", "zap", "root")) else (3, 1)
    for gen_bits in widths:
        for seed in range(40):
            with m.apply():
                r = run(version, seed=seed, gen_bits=gen_bits, snapshot=spec_state)
            if check(r) is not None:
                return
    pytest.fail(f"{name} on {version}: no run left the spec")
