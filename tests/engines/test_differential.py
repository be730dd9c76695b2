"""The differential fuzzer: random well-typed specs over the whole language
(tests/engines/specgen.py), checked by the embedded engine and by TLC on the
TLA+ export.  For each spec: lint finds no error; both engines give the same
verdict per property, the same distinct count for what holds, the same
shortest counterexample length for safety violations
(:func:`pyspec.engines.crosscheck.compare_model`), and both stop with an
error on a spec that has an evaluation error.

`make test` runs 25 seeds when a jar is found (``TLA2TOOLS_JAR``), plus a
hypothesis run whose failures shrink to a small spec; the slow test runs
500 seeds and prints the coverage report (how many specs used each
construct).  A disagreement prints the spec; the minimal ones become
regression fixtures in tests/engines/test_agreement.py.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from specgen import CONSTRUCTS, generate
from tlc_direct import jar_path

from pyspec import load_with_diagnostics
from pyspec.engines.embedded import check_model

#: Specs whose state space is larger than this are skipped (TLC takes long).
MAX_STATES = 4000

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: differential fuzzer needs TLC")


def _tools():
    from pyspec.engines.tlc.jar import resolve

    return resolve(jar_path())


def differential(rng: random.Random, tools) -> tuple[str, set[str]]:
    """Check one random spec in both engines; returns what happened and the
    constructs it used.  Raises AssertionError (with the spec) on a
    disagreement."""
    from pyspec.engines.crosscheck import compare_model, tlc_run

    text, used = generate(rng)
    spec, diags = load_with_diagnostics("fuzz.pyspec", text)
    assert spec is not None, "the generator wrote a spec that does not check:\n" + \
        "\n".join(str(d) for d in diags.errors) + "\n" + text
    reports = check_model(spec, "m", max_states=MAX_STATES)
    if any(r.verdict == "incomplete" for r in reports):
        return "too big", used
    errors = [r for r in reports if r.verdict == "error"]
    if errors:
        # TLC on the property whose check met the error alone: with the
        # others it may stop first at their violation
        tlc = tlc_run(spec, spec.model("m"), [errors[0].property], tools)
        assert tlc.verdict == "error", f"embedded: error ({errors[0].message}); TLC: {tlc.verdict}\n{text}"
        return "error", used
    problems = compare_model(spec, "m", tools)
    assert not problems, "\n".join(problems) + "\n" + text
    return "agree", used


def test_generator_writes_checkable_specs():
    """Without TLC: the generator's specs load, and the embedded engine
    checks them without an internal error."""
    for seed in range(60):
        text, _ = generate(seed)
        spec, diags = load_with_diagnostics("fuzz.pyspec", text)
        assert spec is not None, "\n".join(str(d) for d in diags.errors) + "\n" + text
        for r in check_model(spec, "m", max_states=MAX_STATES):
            assert r.verdict in ("ok", "violated", "incomplete", "error"), r
            if r.verdict == "error":
                assert r.message and r.message.startswith("fuzz.pyspec:"), (r.message, text)


def test_generator_covers_the_language():
    seen: Counter = Counter()
    for seed in range(300):
        seen.update(generate(seed)[1])
    missing = [c for c in CONSTRUCTS if not seen[c]]
    assert not missing, missing


@needs_tlc
@pytest.mark.tlc
@pytest.mark.parametrize("seed", range(25))
def test_engines_agree_on_random_spec(seed):
    differential(random.Random(seed), _tools())


@needs_tlc
@pytest.mark.tlc
@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.randoms(use_true_random=False))
def test_engines_agree_shrinking(rng):
    # a failure here shrinks through hypothesis' random draws to a small spec
    differential(rng, _tools())


@needs_tlc
@pytest.mark.slow
def test_engines_agree_on_500_specs(capsys):
    tools = _tools()
    outcomes: Counter = Counter()
    coverage: Counter = Counter()
    failures = []
    for seed in range(1000, 1500):
        try:
            what, used = differential(random.Random(seed), tools)
        except AssertionError as e:
            failures.append(f"seed {seed}: {e}")
            continue
        outcomes[what] += 1
        if what != "too big":
            coverage.update(used)
    with capsys.disabled():
        print(f"\ndifferential fuzzer: {dict(outcomes)}, {len(failures)} disagreements")
        for c in CONSTRUCTS:
            print(f"  {c:28} {coverage[c]:4}")
    assert not failures, "\n\n".join(failures[:5])
