"""pyspec.testing, the public testing API: model loading, outcome checks,
trace validation from every form a log comes in, and spec-driven testing as
a Hypothesis state machine (on the tutorial's lease lock and Peterson)."""

from __future__ import annotations

import json
import sys
import unittest

import pytest

from pyspec import testing
from pyspec.examples.peterson import Peterson

sys.path.insert(0, "spec/tutorial")
import lease_lock_conformance as tutorial  # noqa: E402

LEASE = "spec/tutorial/lease_lock.pyspec"


@pytest.fixture(scope="module")
def lease():
    return testing.load_model(LEASE, "two_clients")


@pytest.fixture(scope="module")
def peterson():
    return testing.load_model("spec/examples/peterson.pyspec", "two")


def test_public_names_are_importable():
    for name in testing.__all__:
        assert getattr(testing, name) is not None, name


def test_load_model_is_cached_per_file_version(lease, tmp_path):
    assert testing.load_model(LEASE, "two_clients") is lease
    with pytest.raises(KeyError):
        testing.load_model(LEASE, "no_such_model")
    bad = tmp_path / "bad.pyspec"
    bad.write_text("spec Bad\nvar x: int = y\n")
    with pytest.raises(testing.SpecError) as caught:
        testing.load_model(bad, "m")
    assert "bad.pyspec:2:14: error:" in caught.value.render()


def test_assert_outcomes_passes_declared_and_names_unexpected(tmp_path):
    reports = testing.assert_outcomes(LEASE, "two_clients")
    assert {r.property: r.verdict for r in reports}["NeverRefused"] == "violated"  # declared so
    wrong = tmp_path / "wrong.pyspec"
    wrong.write_text(open(LEASE).read().replace("check NeverRefused: violated", "check NeverRefused"))
    with pytest.raises(testing.OutcomeMismatch) as caught:
        testing.assert_outcomes(wrong, "two_clients")
    text = str(caught.value)
    assert "NeverRefused" in text and "State 1: initial state" in text


def test_validate_trace_takes_every_form_of_a_log(lease, tmp_path):
    lines = tutorial.logged_run(seed=3)
    dicts = [json.loads(line) for line in lines]
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(lines) + "\n")
    results = [testing.validate_trace(lease, form) for form in (lines, dicts, "\n".join(lines), path, str(path))]
    assert all(r.ok for r in results)
    assert {r.total for r in results} == {len(lines)}


def test_assert_trace_valid_raises_at_the_first_unexplained_event(lease):
    seed, _ = tutorial.first_invalid_trace(lease, range(100), fence_reads=False)
    with pytest.raises(testing.TraceInvalid) as caught:
        testing.assert_trace_valid(lease, tutorial.logged_run(seed, fence_reads=False))
    assert "is not a step of the spec" in str(caught.value)
    assert caught.value.result.failed_event.label == "write"


def test_a_malformed_log_line_is_a_located_format_error(lease):
    with pytest.raises(testing.TraceFormatError) as caught:
        testing.validate_trace(lease, ['{"process": "client", "self": "c1", "label": "acquire"}', "not json"])
    assert caught.value.line == 2


def test_spec_driven_agrees_and_counts_every_step(peterson):
    stats = testing.run_spec_driven(peterson, Peterson, max_steps=30, max_examples=50)
    assert stats.runs >= 50 and stats.steps > 500
    assert set(stats.labels) == {f"proc.{s}" for s in Peterson.STEPS}


def test_spec_driven_shrinks_a_divergence_to_the_shortest_run(lease):
    with pytest.raises(testing.SpecDivergence) as caught:
        testing.run_spec_driven(lease, lambda: tutorial.LeaseLockAdapter(fence_reads=False))
    d = caught.value.divergence
    assert [(s.self.name, s.label) for s in d.path] == [("c1", "acquire"), ("c1", "read")]
    assert (d.key, d.expected, d.got) == ("fence", 1, 0)
    assert str(caught.value).startswith("implementation diverges from the spec after 2 step(s)")


class Crashing(Peterson):
    def perform(self, step):
        if step.label == "critical":
            raise RuntimeError("lock lost")
        super().perform(step)


def test_an_implementation_that_raises_diverges_with_its_error(peterson):
    with pytest.raises(testing.SpecDivergence) as caught:
        testing.run_spec_driven(peterson, Crashing, max_steps=30, max_examples=100)
    d = caught.value.divergence
    assert d.error == "RuntimeError: lock lost" and d.path[-1].label == "critical"


def test_the_state_machine_runs_as_a_unittest_test_case(peterson):
    from hypothesis import settings

    machine = testing.spec_state_machine(peterson, lambda: Peterson("no_wait"))
    machine.TestCase.settings = settings(max_examples=100, stateful_step_count=20, database=None,
                                         derandomize=True, deadline=None)
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(machine.TestCase).run(result)
    assert len(result.failures) == 1
    assert "implementation diverges from the spec after 3 step(s)" in result.failures[0][1]


def test_check_one_property_and_replay_its_counterexample_on_the_implementation(lease):
    [report] = testing.check_model("spec/tutorial/lease_lock_buggy.pyspec", "two_clients", property="NoLostUpdate")
    assert report.verdict == "violated"
    with pytest.raises(KeyError):
        testing.check_model(LEASE, "two_clients", property="NoSuchProperty")
    # the fenced implementation cannot follow the buggy spec's lost update;
    # replayed on the fenced spec's own witness, it reproduces it
    [witness] = testing.check_model(LEASE, "two_clients", property="NeverRefused")
    result = testing.replay_counterexample(lease, witness, tutorial.LeaseLockAdapter())
    assert result.reproduced and result.followed, result.render()
    assert not testing.replay_counterexample(lease, witness, tutorial.LeaseLockAdapter(fence_reads=False)).followed
