"""The tutorial's protocol (docs/tutorial.md): the checker finds the lease
lock's lost update, the fencing-token fix meets every declared outcome, and
the conformance layer accepts the implementation (spec/tutorial/
impl_lease_lock.py) and catches its variant whose storage fences writes only."""

from __future__ import annotations

import sys

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.testing import Divergence, assert_outcomes

sys.path.insert(0, "spec/tutorial")
import lease_lock_conformance as conformance  # noqa: E402


@pytest.fixture(scope="module")
def model():
    return conformance.the_model()


def test_buggy_spec_loses_an_update_written_after_the_lease_expired():
    r = check(pyspec.load("spec/tutorial/lease_lock_buggy.pyspec"), "two_clients", property="NoLostUpdate")
    assert r.verdict == "violated"
    assert r.distinct_states == 240 and len(r.trace) == 11
    writes = [st for st in r.trace if st.label == "write"]
    late = [st for st in writes if st.state["holder"] != st.self]
    assert late, "no write by a client whose lease another client holds"
    assert r.trace[-1].state["value"] < r.trace[-1].state["increments"]


def test_fenced_spec_meets_every_declared_outcome():
    reports = assert_outcomes("spec/tutorial/lease_lock.pyspec", "two_clients")
    live = assert_outcomes("spec/tutorial/lease_lock.pyspec", "two_clients_live")
    assert {r.property: r.verdict for r in reports} == {"NoLostUpdate": "ok", "NeverRefused": "violated",
                                                        "deadlock": "ok"}
    assert {r.property: r.verdict for r in live} == {"deadlock": "ok", "AllIncrement": "ok"}
    assert max(r.distinct_states for r in reports) == 585  # with symmetry
    assert max(r.distinct_states for r in live) == 1165  # liveness: the full graph


def test_traces_of_the_implementation_are_behaviours_of_the_spec(model):
    for seed in range(20):
        result = conformance.validate_run(model, seed)
        assert result.ok, result.render(model)


def test_trace_validation_catches_the_storage_that_fences_writes_only(model):
    found = conformance.first_invalid_trace(model, range(100), fence_reads=False)
    assert found is not None, "no trace of the buggy storage was refused"
    seed, result = found
    assert result.failed_event.label == "write"  # a stale write the spec's storage refuses
    assert result.failed_event.observed["client.pc"][result.failed_event.self] == "release"


def test_spec_driven_testing_agrees_with_the_implementation(model):
    result = conformance.spec_driven(model, runs=100)
    assert not isinstance(result, Divergence), result.render()
    assert set(result.labels) == {"clock.tick", "client.acquire", "client.read", "client.confirm", "client.write",
                                  "client.release"}


def test_spec_driven_testing_catches_the_storage_that_fences_writes_only(model):
    short = conformance.spec_driven(model, fence_reads=False, runs=100)
    assert isinstance(short, Divergence), "the buggy storage was not caught"
    # Hypothesis shrinks to the shortest run: c1 takes the lease and reads
    assert [(s.self.name, s.label) for s in short.path] == [("c1", "acquire"), ("c1", "read")]
    assert (short.key, short.expected, short.got) == ("fence", 1, 0)
