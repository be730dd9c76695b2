"""Running TLC for real (skipped without TLA2TOOLS_JAR): every model gives
its declared outcome, reports validate, the CLI's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pyspec
from pyspec.engines.tlc.run import check_model, met, plan
from pyspec.report import validate_report

pytestmark = pytest.mark.tlc


def models_of(paths):
    out = []
    for p in paths:
        spec = pyspec.load(p)
        out += [pytest.param(p, m.name, id=f"{p}:{m.name}") for m in spec.models]
    return out


EXAMPLES = sorted(str(p) for p in __import__("pathlib").Path("spec/examples").glob("*.pyspec"))


@pytest.mark.parametrize("path,model", models_of(EXAMPLES))
def test_example_model_gives_expected_outcome(tlc_tools, path, model):
    spec = pyspec.load(path)
    results = check_model(spec, spec.model(model), tlc_tools, spec_path=path)
    assert results
    for job, rep in results:
        validate_report(rep.to_json())
        assert met(job, rep), f"{path} {model} [{job.name}]: {rep.verdict} {rep.property} {rep.message or ''}"
        assert rep.distinct_states > 0


def kvm_models(big: bool):
    """The KVM models: the benchmark models (big*) or the others."""
    out = []
    for p in sorted(str(p) for p in __import__("pathlib").Path("spec/kvm").glob("*.pyspec")):
        spec = pyspec.load(p)
        for m in spec.models:
            if (m.name.startswith("big") or m.name.startswith("kvm_big")) == big:
                out.append(pytest.param(p, m.name, id=f"{p}:{m.name}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("path,model", kvm_models(big=False))
def test_kvm_model_gives_expected_outcome(tlc_tools, path, model):
    spec = pyspec.load(path)
    from pyspec.engines.tlc.run import Options

    for job, rep in check_model(spec, spec.model(model), tlc_tools, opts=Options(workers="auto"), spec_path=path):
        assert met(job, rep), f"{path} {model} [{job.name}]: {rep.verdict} {rep.property} {rep.message or ''}"


def test_constructs_spec_every_model_holds(tlc_tools):
    spec = pyspec.load("tests/tla/specs/constructs.pyspec")
    for m in spec.models:
        for job, rep in check_model(spec, m, tlc_tools):
            assert met(job, rep), f"{m.name} [{job.name}]: {rep.verdict} {rep.property} {rep.message}"


def test_plan_splits_expected_violations_into_runs():
    spec = pyspec.load("tests/tla/specs/lasso.pyspec")
    jobs = plan(spec, spec.model("expected_failures"))
    assert [(j.name, j.checks, j.expect_violation) for j in jobs] == [
        ("holds", ["InRange", "deadlock"], None),
        ("Small", ["Small"], "Small"),
        ("NeverDecreases", ["NeverDecreases"], "NeverDecreases"),
        ("EventuallyFlag", ["EventuallyFlag"], "EventuallyFlag"),
    ]
    stuck = pyspec.load("tests/tla/specs/stuck.pyspec")
    assert [(j.name, j.checks) for j in plan(stuck, stuck.model("deadlocks"))] == [
        ("holds", ["NotBoth"]), ("deadlock", ["deadlock"])]
    assert [(j.name, j.checks) for j in plan(spec, spec.model("invariant"), "EventuallyFlag")] == [
        ("EventuallyFlag", ["EventuallyFlag"])]


def test_expected_failures_and_deadlock_are_met(tlc_tools):
    for path, model in (("tests/tla/specs/lasso.pyspec", "expected_failures"),
                        ("tests/tla/specs/stuck.pyspec", "deadlocks"),
                        ("tests/tla/specs/stuck.pyspec", "ignored")):
        spec = pyspec.load(path)
        for job, rep in check_model(spec, spec.model(model), tlc_tools):
            assert met(job, rep), (path, model, job.name, rep.verdict, rep.property)


def test_runtime_errors_name_the_spec_position(tlc_tools):
    spec = pyspec.load("tests/tla/specs/errors.pyspec")
    (_, key), = check_model(spec, spec.model("missing_key"), tlc_tools)
    assert key.verdict == "error" and key.message.startswith("tests/tla/specs/errors.pyspec:14: key not in map")
    (_, div), = check_model(spec, spec.model("division"), tlc_tools)
    assert div.verdict == "error" and div.message.startswith("tests/tla/specs/errors.pyspec:19:")
    assert "right operand <= 0" in div.message


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


def run_cli(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "pyspec", *args], capture_output=True, text=True, env=e,
                          timeout=1800)


def test_cli_ok_prints_spec_terms_and_exits_0(tlc_jar):
    proc = run_cli("tlc", "spec/examples/peterson.pyspec", "--jar", str(tlc_jar))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok as expected" in proc.stdout and "26 distinct states" in proc.stdout


def test_cli_unexpected_violation_exits_1_with_spec_trace(tlc_jar):
    proc = run_cli("tlc", "tests/tla/specs/lasso.pyspec", "--model", "invariant", "--jar", str(tlc_jar))
    assert proc.returncode == 1
    out = proc.stdout
    assert "VIOLATED: invariant Small (expected: holds)" in out
    assert "counter inc  (tests/tla/specs/lasso.pyspec:12)" in out
    assert "x = 2" in out
    assert "pc_counter" not in out and "counter_inc" not in out  # no TLA+ names


def test_cli_json_reports_validate(tlc_jar):
    proc = run_cli("tlc", "tests/tla/specs/lasso.pyspec", "--model", "expected_failures", "--json",
                   env={"TLA2TOOLS_JAR": str(tlc_jar)})
    assert proc.returncode == 0, proc.stderr
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["verdict"] for r in reports] == ["ok", "violated", "violated", "violated"]
    for r in reports:
        validate_report(r)
    assert reports[3]["kind"] == "liveness" and reports[3]["loop_start"] == 0


def test_cli_property_option_checks_only_that_property(tlc_jar):
    proc = run_cli("tlc", "tests/tla/specs/lasso.pyspec", "--model", "all_hold", "--property", "Small", "--json",
                   "--jar", str(tlc_jar))
    (r,) = [json.loads(x) for x in proc.stdout.splitlines()]
    assert r["properties"] == ["Small"] and r["verdict"] == "violated" and r["expected"] == "holds"
    assert proc.returncode == 1
    proc = run_cli("tlc", "tests/tla/specs/lasso.pyspec", "--property", "Nope", "--jar", str(tlc_jar))
    assert proc.returncode == 2 and "no property 'Nope'" in proc.stderr


def test_cli_runtime_error_exits_2(tlc_jar):
    proc = run_cli("tlc", "tests/tla/specs/errors.pyspec", "--model", "missing_key", "--jar", str(tlc_jar))
    assert proc.returncode == 2
    assert "tests/tla/specs/errors.pyspec:14: key not in map" in proc.stdout


def test_cli_bad_spec_exits_2(tlc_jar, tmp_path):
    bad = tmp_path / "bad.pyspec"
    bad.write_text("spec Bad\nvar x: int =\n")
    proc = run_cli("tlc", str(bad), "--jar", str(tlc_jar))
    assert proc.returncode == 2 and "error" in proc.stderr


def test_cli_all_prints_a_table(tlc_jar, tmp_path):
    d = tmp_path / "specs"
    d.mkdir()
    for name in ("stuck.pyspec",):
        (d / name).write_text(open(f"tests/tla/specs/{name}").read())
    proc = run_cli("tlc", "--all", str(d), "--jar", str(tlc_jar))
    lines = proc.stdout.splitlines()
    table = lines[lines.index(next(x for x in lines if x.startswith("spec "))):]
    assert table[0].split() == ["spec", "model", "run", "verdict", "expected", "met", "distinct", "seconds"]
    assert any("deadlocks" in x and "violated deadlock" in x and " yes " in x for x in table)
    assert any("unexpected" in x and " NO " in x for x in table)
    assert table[-1] == "3 of 4 runs gave the expected outcome"
    assert proc.returncode == 1


def test_cli_without_jar_exits_3(tmp_path):
    proc = run_cli("tlc", "spec/examples/peterson.pyspec",
                   env={"TLA2TOOLS_JAR": str(tmp_path / "missing.jar"), "XDG_CACHE_HOME": str(tmp_path)})
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    for option in ("--jar", "TLA2TOOLS_JAR", "make tla2tools"):
        assert option in proc.stderr


def all_hold_models():
    """Models that expect every check to hold (TLC explores them completely)."""
    out = []
    for p in EXAMPLES:
        spec = pyspec.load(p)
        for m in spec.models:
            if all(c.expected == "holds" for c in m.checks) and m.deadlock != "violated":
                out.append(pytest.param(p, m.name, id=f"{p}:{m.name}"))
    for p, m in (("tests/tla/specs/constructs.pyspec", "small"), ("tests/tla/specs/constructs.pyspec", "sym"),
                 ("tests/tla/specs/lasso.pyspec", "all_hold"), ("tests/tla/specs/stuck.pyspec", "ignored")):
        out.append(pytest.param(p, m, id=f"{p}:{m}"))
    return out


@pytest.mark.parametrize("path,model", all_hold_models())
def test_tlc_and_embedded_engine_count_the_same_states(tlc_tools, path, model):
    embedded = pytest.importorskip("pyspec.engines.embedded.runner")
    spec = pyspec.load(path)
    ((job, rep),) = check_model(spec, spec.model(model), tlc_tools)
    if rep.verdict != "ok":
        pytest.skip(f"TLC stopped early ({rep.verdict} {rep.property}): no complete count to compare")
    other = embedded.check(spec, model)
    assert other.verdict == "ok"
    assert rep.distinct_states == other.distinct_states


def test_generated_typeok_holds(tlc_tools):
    """TypeOK (from the declared types) holds on the spec that uses every type."""
    spec = pyspec.load("tests/tla/specs/constructs.pyspec")
    ((job, rep),) = check_model(spec, spec.model("small"), tlc_tools, prop="TypeOK")
    assert rep.properties == ["TypeOK"] and rep.verdict == "ok", rep.message
