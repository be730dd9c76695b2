"""The pytest plugin: *.pyspec files collected as tests, one item per
(model, declared check), outcomes compared with the declared ones.

Each run is a fresh pytest process (numpy, which the engine imports, cannot
be loaded twice in one process as an in-process run would need)."""

from __future__ import annotations

import textwrap

import pytest

COUNTER = textwrap.dedent('''\
    spec Counter
    """A counter that two steps may push past its bound."""

    var x: 0..5 = 0

    process inc:
        while True:
            up:
                await x < 4
                x = x + 1

    invariant Small: x < 4
    invariant Bounded: x <= 4

    model declared_right:
        deadlock: ignore
        check Small: violated
        check Bounded

    model declared_wrong:
        deadlock: ignore
        check Small
        check Bounded

    model states:
        """Only the state count: nothing checked."""
        deadlock: ignore
    ''')

BROKEN = textwrap.dedent('''\
    spec Broken
    var x: int = 0
    invariant Ok: y > 0
    model m:
        check Ok
    ''')


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".pyspec", counter=COUNTER)
    return pytester


def test_items_are_model_and_check(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        "counter.pyspec::declared_right::Small",
        "counter.pyspec::declared_right::Bounded",
        "counter.pyspec::declared_wrong::Small",
        "counter.pyspec::declared_wrong::Bounded",
        "counter.pyspec::states::explore",
    ])
    assert "deadlock" not in result.stdout.str()  # both models ignore it


def test_declared_outcomes_pass_unexpected_fail_with_the_counterexample(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-v")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines([
        "*declared_right::Small PASSED*",  # violated, as declared
        "*declared_wrong::Small FAILED*",
        "*declared_wrong: Small: expected holds, got violated*",
    ])
    out = result.stdout.str()
    # the counterexample in spec terms: the states the counter went through
    assert "x = 4" in out and "inc up" in out


def test_k_selects_one_check_which_runs_alone(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("-v", "-k", "declared_wrong and Bounded")
    result.assert_outcomes(passed=1, deselected=4)


def test_last_failed_reruns_only_the_failure(project: pytest.Pytester) -> None:
    project.runpytest_subprocess()
    result = project.runpytest_subprocess("--lf", "-v")
    result.assert_outcomes(failed=1, deselected=4)
    result.stdout.fnmatch_lines(["*declared_wrong::Small FAILED*"])


def test_x_stops_at_the_first_failure(project: pytest.Pytester) -> None:
    project.makefile(".pyspec", counter2=COUNTER)
    result = project.runpytest_subprocess("-x")
    result.assert_outcomes(passed=2, failed=1)  # counter2.pyspec never runs
    assert "counter2.pyspec" not in result.stdout.str()


def test_a_spec_that_does_not_load_is_one_located_failure(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pyspec", broken=BROKEN)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*broken.pyspec does not load:*", "*broken.pyspec:3:*: error: *y*"])
    assert "Traceback" not in result.stdout.str()


def test_collection_can_be_switched_off(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\npyspec_collect = false\n")
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_pyspec_model_fixture_compiles_a_model(project: pytest.Pytester) -> None:
    project.makepyfile(test_fixture='''
        def test_model(pyspec_model):
            model = pyspec_model("counter.pyspec", "declared_right")
            assert model is pyspec_model("counter.pyspec", "declared_right")  # cached
            [s] = model.initial_states()
            assert model.to_values(s)["x"] == 0
            assert [info.label for info, _ in model.successors(s)] == ["up"]
        ''')
    result = project.runpytest_subprocess("test_fixture.py")
    result.assert_outcomes(passed=1)


def test_a_model_that_only_explores_fails_on_an_evaluation_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pyspec", boom=textwrap.dedent('''\
        spec Boom
        var m: map[int, int] = {0: 0}
        var k: int = 0
        process p:
            s:
                k = m[k + 1]
        model states:
            deadlock: ignore
        '''))
    result = pytester.runpytest_subprocess("-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*boom.pyspec::states::explore FAILED*", "*boom.pyspec:6:*"])
