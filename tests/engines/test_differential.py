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
regression fixtures in tests/engines/test_agreement.py, or in ``FOUND``
below.  One difference is accepted: when a state's expansion holds both a
violation and an evaluation error, TLC may report the violation (it checks
each successor as it generates it) where the embedded engine reports the
error (``FOUND["violation_before_error"]``).
"""

from __future__ import annotations

import random
import re
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
    text, used = generate(rng)
    return differential_text(text, tools), used


def differential_text(text: str, tools) -> str:
    """Check one spec's model m in both engines: "agree", "error" (both
    met an evaluation error) or "too big"."""
    from pyspec.engines.crosscheck import compare_model, tlc_run

    spec, diags = load_with_diagnostics("fuzz.pyspec", text)
    assert spec is not None, "the generator wrote a spec that does not check:\n" + \
        "\n".join(str(d) for d in diags.errors) + "\n" + text
    reports = check_model(spec, "m", max_states=MAX_STATES)
    if any(r.verdict == "incomplete" for r in reports):
        return "too big"
    errors = [r for r in reports if r.verdict == "error"]
    if errors:
        # TLC on the property whose check met the error alone: with the
        # others it may stop first at their violation (a false assumption
        # is an error of the model, before any property: none is named
        # when the model checks nothing)
        err = errors[0]
        # an error evaluating a property is reported for every property of
        # the search: run TLC on the one it evaluated
        evaluated = re.match(r"evaluating (\w+):", err.message or "")
        if evaluated:
            err = next((r for r in errors if r.property == evaluated.group(1)), err)
        props = [err.property] if err.property else []
        tlc = tlc_run(spec, spec.model("m"), props, tools)
        if tlc.verdict == "violated" and err.trace and len(tlc.trace) == len(err.trace) + 1 \
                and tlc.trace[-2].state == err.trace[-1].state:
            # the violation is in the expansion of the state where the
            # embedded engine met the error: TLC checks each successor as it
            # generates it (here one before the error), the embedded engine
            # computes a state's successors before checking them
            # (FOUND["violation_before_error"])
            return "error"
        assert tlc.verdict == "error", f"embedded: error ({err.message}); TLC: {tlc.verdict}\n{text}"
        if "the assumption" in (err.message or ""):
            # every property meets it, in the same words in both
            assert all(r.verdict == "error" and r.message == err.message for r in reports), reports
            assert tlc.message == err.message, f"embedded: {err.message}; TLC: {tlc.message}\n{text}"
        return "error"
    problems = compare_model(spec, "m", tools)
    assert not problems, "\n".join(problems) + "\n" + text
    return "agree"


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


#: Minimal specs of what the fuzzer found: bugs fixed since, and the
#: difference the fuzzer accepts (violation_before_error).
FOUND = {
    # the export wrote `flag' = mail.tag = "Req"` (TLC: precedence conflict
    # between = and =): an isinstance() assigned needs its parentheses
    "isinstance_assigned": """\
spec Found
variant Msg:
    Req
    Ping
var mail: Msg = Msg.Ping
var flag: bool = isinstance(mail, Msg.Ping)
action Go:
    flag = isinstance(mail, Msg.Req)
    mail = Msg.Req
invariant T: flag or isinstance(mail, Msg.Ping)
model m:
    check T
    deadlock: ignore
""",
}


FOUND["liveness_error_after_safety"] = """\
spec Found
var x: int = 0
var y: int = 0
process p:
    s:
        x = 1 // y
invariant Inv: x == 1
temporal Live: eventually x == 1
model m:
    check Inv
    check Live
    deadlock: ignore
"""
# the invariant fails in the initial state, which ended the safety pass;
# the state graph for Live then met the division by zero, which escaped
# check_model as an exception instead of an error report for Live


FOUND["initial_batch_after_a_flush"] = """\
spec Found
var flag: bool in {False, True}
var y: 0..2 in 0..2
var x: 0..3 = (1 + y) % 3 + (0 if flag else 1)
action A:
    pass
invariant Inv0: not flag or x <= 1
invariant Inv1: x <= 1
model m:
    constraint: x <= 2
    check Inv0
    check Inv1
"""
# the second initial state is outside the constraint and violates Inv1: the
# batch of initial states is flushed there; the Python engine then counted
# 4 states generated at Inv0's violation (the 5th initial state), 5 without
# Inv1, the compiled engine 5 (the counts of the batch were not cleared)


FOUND["violation_before_error"] = """\
spec Found
var x: int = 0
var mp: map[int, int] = {1: 0, 2: 0}
process a:
    s:
        x = 1
process b:
    s:
        any i in {1, 2}:
            mp[1] = 1
            mp[i] = 1
invariant Inv: x == 0
model m:
    check Inv
"""
# the initial state's successors: a's violates Inv, b's (i = 1) is an
# overlap error; TLC reports the violation (it meets a's successor first),
# the embedded engine the error (the expansion fails before any check)


FOUND["sort_only_in_a_variant"] = """\
spec Found
sort S
const ELEMS: set[S] = {S.a, S.b}
variant Msg:
    Req(src: S)
    Ping
var inbox: set[Msg] = set()
action Send(p in ELEMS):
    inbox = inbox | {Msg.Req(src=p)}
invariant T: len(inbox) <= 2
model m:
    check T
    deadlock: ignore
"""
# the export's TypeOK read S_values_ for the field of Req, but declared it
# only for the sorts of the variables' types outside variants (TLC:
# "Unknown operator: `S_values_'")


def test_found_specs_check_without_internal_errors():
    spec = load_with_diagnostics("found.pyspec", FOUND["liveness_error_after_safety"])[0]
    reports = {r.property: r for r in check_model(spec, "m")}
    assert reports["Inv"].verdict == "violated"
    assert reports["Live"].verdict == "error" and reports["Live"].message.startswith("found.pyspec:6:13: '//'")


def test_found_initial_counts():
    spec = load_with_diagnostics("found.pyspec", FOUND["initial_batch_after_a_flush"])[0]
    reports = {r.property: r for r in check_model(spec, "m", engine="python")}
    assert (reports["Inv0"].distinct_states, reports["Inv0"].generated_states) == (4, 5)
    assert (reports["Inv1"].distinct_states, reports["Inv1"].generated_states) == (1, 1)


@needs_tlc
@pytest.mark.tlc
@pytest.mark.parametrize("name", sorted(FOUND))
def test_engines_agree_on_found_specs(name):
    assert differential_text(FOUND[name], _tools()) in ("agree", "error")
