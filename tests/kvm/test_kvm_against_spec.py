"""The implementation against the spec itself: spec/kvm/<version>.pyspec
compiled by the embedded checker's compiler.  Every mapped event must be a
step of the compiled model (full observation); every mutant must break this
for some seed.  The toolchain's conformance layer generalizes this (partial
observation, TLC, spec-driven testing); this test keeps the implementation
and its refinement mapping honest in the meantime.
"""

import functools

import pytest

from pyspec.kvm import mutants, run
from pyspec.kvm.refinement import spec_state

VERSIONS = ("v1", "patch2014", "v2", "v3")
MODELS = {"small": 3, "wrap": 1}  # model of spec/kvm/<version>.pyspec -> its GEN_BITS (2 vCPUs, 2 gfns, 3 updates)


@functools.cache
def compiled(version, model):
    try:
        import pyspec
        from pyspec.compile import compile_model
        cm = compile_model(pyspec.load(f"spec/kvm/{version}.pyspec"), model)
    except Exception as e:  # the toolchain is being written alongside
        pytest.skip(f"cannot compile spec/kvm/{version}.pyspec model {model}: {e!r}")
    consts = cm.constants
    assert consts["GEN_BITS"] == MODELS[model] and consts["MAX_UPDATES"] == 3
    return cm


def first_mismatch(cm, r):
    from pyspec.values import ModelValue, from_itf
    types = cm.state_types()

    def pack(itf):
        return cm.from_values({k: from_itf(v, types[k]) for k, v in itf.items()})

    s = pack(r.initial_state)
    if s not in set(cm.initial_states()):
        return -1, "not an initial state"
    for i, e in enumerate(r.events):
        t = pack(e["state"])
        if "." in e["label"]:
            if t != s:
                return i, "an internal point changed the state"
            continue
        me = None if e["proc"] == "writer" else ModelValue("Vcpu", f"v{e['self']}")
        succ = [u for info, u in cm.successors(s) if (info.process, info.self, info.label) == (e["proc"], me, e["label"])]
        if t not in succ:
            return i, f"{e['proc']} {e['self']} {e['label']}: {cm.format_state(t)} not among {len(succ)} successors"
        s = t
    return None


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("mode", ["deterministic", "threaded"])
def test_runs_are_behaviours_of_the_spec(version, model, mode):
    cm = compiled(version, model)
    for seed in range(8 if mode == "deterministic" else 3):
        r = run(version, seed=seed, mode=mode, gen_bits=MODELS[model], initial_cov=(1,) if seed % 2 else (),
                snapshot=spec_state)
        assert first_mismatch(cm, r) is None, f"seed {seed}: {first_mismatch(cm, r)}"


@pytest.mark.parametrize("name, version", [(m.name, v) for m in mutants.MUTANTS.values() for v in m.versions])
def test_every_mutant_leaves_the_spec(name, version):
    m = mutants.MUTANTS[name]
    models = ("wrap", "small") if any(w in name for w in ("wrap", "zap", "root")) else ("small", "wrap")
    for model in models:
        cm = compiled(version, model)
        for seed in range(30):
            with m.apply():
                r = run(version, seed=seed, gen_bits=MODELS[model], snapshot=spec_state)
            if first_mismatch(cm, r) is not None:
                return
    pytest.fail(f"{name} on {version}: every run is a behaviour of the spec")
