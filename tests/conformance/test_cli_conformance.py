"""The ``pyspec validate`` and ``pyspec replay`` commands: output and exit
codes (validate: 0 accepted, 1 rejected, 2 bad input, 3 no TLC with --tlc;
replay: 0 not reproduced, 1 reproduced, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pyspec
from pyspec.cli import main
from pyspec.compile import compile_model
from pyspec.conformance.traces import to_itf

PETERSON = "spec/examples/peterson.pyspec"
NO_WAIT = "tests/conformance/specs/peterson_no_wait.pyspec"
CORPUS = Path("tests/conformance/traces")
GOOD = str(CORPUS / "peterson-two" / "good_full.jsonl")
BAD = str(CORPUS / "peterson-two" / "bad_label_full.jsonl")


@pytest.fixture
def no_tlc(tmp_path, monkeypatch):
    """No jar anywhere: not in the environment, not in the user cache."""
    monkeypatch.delenv("TLA2TOOLS_JAR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tlc_jar():
    from pyspec.engines.tlc.jar import ToolMissing, resolve

    try:
        return str(resolve().jar)
    except ToolMissing:
        pytest.skip("TLC not available: set TLA2TOOLS_JAR to tla2tools.jar (and have java on PATH)")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# --------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------


def test_validate_accepts_a_good_trace(capsys):
    code, out, _ = run(capsys, "validate", PETERSON, GOOD)
    assert code == 0 and out.strip() == "trace valid: 18 events explained by the spec"


def test_validate_rejects_and_names_the_event_and_its_line(capsys):
    code, out, _ = run(capsys, "validate", PETERSON, "--model", "two", BAD)
    assert code == 1
    first = out.splitlines()[0]
    assert first == "trace invalid: event 13 of 18 (line 14 of the trace) is not a step of the spec"
    assert "event: proc[1] wait" in out and "steps enabled there: proc[0].wait, proc[1].raise_flag" in out


def test_validate_json(capsys):
    code, out, _ = run(capsys, "validate", PETERSON, BAD, "--json")
    data = json.loads(out)
    assert code == 1 and data["engine"] == "embedded" and data["accepted"] is False
    assert (data["events"], data["explained"], data["rejected_event"]) == (18, 12, 13)
    assert data["event"]["where"] == "line 14" and data["event"]["label"] == "wait"
    assert data["candidate_count"] == 1 and data["enabled"] == ["proc[0].wait", "proc[1].raise_flag"]
    code, out, _ = run(capsys, "validate", PETERSON, GOOD, "--json")
    data = json.loads(out)
    assert code == 0 and data["accepted"] and data["rejected_event"] is None and data["event"] is None


def test_validate_itf_trace(capsys, tmp_path):
    spec = pyspec.load(PETERSON)
    cm = compile_model(spec, "two")
    s = cm.initial_states()[0]
    states = [cm.to_values(s)]
    for _ in range(6):
        _, s = cm.successors(s)[-1]
        states.append(cm.to_values(s))
    p = tmp_path / "run.itf.json"
    p.write_text(json.dumps(to_itf(spec, states)))
    code, out, _ = run(capsys, "validate", PETERSON, str(p))
    assert code == 0 and "6 events explained" in out
    states[3], states[4] = states[4], states[3]
    p.write_text(json.dumps(to_itf(spec, states)))
    code, out, _ = run(capsys, "validate", PETERSON, str(p))
    assert code == 1 and "(ITF state 3 of the trace)" in out and "some step (the log names none)" in out


@pytest.mark.parametrize("lines,message", [
    (['{"process": "proc", "self": 0, "label": "raise_flag"}', "{"], "line 2: not JSON"),
    (['{"process": "proc", "self": 0, "label": "nope"}'], "line 1: process 'proc' has no step 'nope'"),
    (['{"process": "proc", "self": 0, "label": "wait", "observed": {"flagg": 1}}'],
     "line 1: unknown state variable 'flagg'"),
    (['{"process": "proc", "self": 0, "label": "wait", "observed": {"turn": "x"}}'], "line 1: cannot decode"),
    (["[1, 2]"], "line 1: each line must be a JSON object"),
])
def test_validate_bad_trace_files_exit_2_naming_the_line(capsys, tmp_path, lines, message):
    p = tmp_path / "t.jsonl"
    p.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "validate", PETERSON, str(p))
    assert code == 2 and out == ""
    assert err.startswith(f"pyspec: error: {p}: {message}") and len(err.strip().splitlines()) == 1


def test_validate_bad_itf_names_the_state(capsys, tmp_path):
    p = tmp_path / "t.itf.json"
    p.write_text(json.dumps({"vars": ["turn"], "states": [{"turn": 0}, {"turn": "one"}]}))
    code, _, err = run(capsys, "validate", PETERSON, str(p))
    assert code == 2 and "ITF state 1: cannot decode" in err
    p.write_text(json.dumps({"vars": ["x"], "states": [{"x": 0}]}))
    assert run(capsys, "validate", PETERSON, str(p))[0] == 2


def test_validate_other_bad_input_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "validate", PETERSON, str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "validate", PETERSON, "--model", "three", GOOD)
    assert code == 2 and "no model 'three'" in err
    code, _, err = run(capsys, "validate", "spec/examples/two_phase_commit.pyspec", GOOD)
    assert code == 2 and "choose a model with --model (three, three_live, two)" in err
    bad = tmp_path / "bad.pyspec"
    bad.write_text("spec Bad\nvar x: int = y\n")
    code, _, err = run(capsys, "validate", str(bad), GOOD)
    assert code == 2 and f"{bad}:2:14: error:" in err


def test_validate_tlc_without_a_jar_exits_3(capsys, no_tlc, tmp_path):
    code, out, err = run(capsys, "validate", PETERSON, GOOD, "--tlc")
    assert code == 3 and out == "" and "tla2tools.jar was not found" in err
    code, _, err = run(capsys, "validate", PETERSON, GOOD, "--tlc", "--jar", str(tmp_path / "no.jar"))
    assert code == 3 and "which is not a file" in err


@pytest.mark.tlc
def test_validate_tlc_accepts_and_rejects_like_the_embedded_validator(capsys, tlc_jar):
    code, out, _ = run(capsys, "validate", PETERSON, GOOD, "--tlc", "--jar", tlc_jar)
    assert code == 0 and out.strip() == "trace valid: 18 events explained by the spec (TLC)"
    code, out, _ = run(capsys, "validate", PETERSON, BAD, "--tlc", "--jar", tlc_jar, "--json")
    data = json.loads(out)
    assert code == 1 and data["engine"] == "tlc" and data["rejected_event"] == 13
    assert data["event"]["where"] == "line 14" and len(data["candidates"]) == 1
    assert data["candidates"][0] == data["witness"][-1] and len(data["witness"]) == 13


# --------------------------------------------------------------------------
# replay
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_wait_report(tmp_path_factory):
    """The embedded engine's counterexample of the buggy Peterson spec."""
    path = tmp_path_factory.mktemp("reports") / "no_wait.json"
    from pyspec.engines.embedded import check

    rep = check(pyspec.load(NO_WAIT), "two", property="MutualExclusion")
    assert rep.verdict == "violated"
    path.write_text(rep.dumps())
    return str(path)


def test_replay_reproduces_the_violation_on_the_buggy_implementation(capsys, no_wait_report):
    code, out, _ = run(capsys, "replay", no_wait_report, "--adapter", "pyspec.examples.peterson:no_wait")
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == "adapter: pyspec.examples.peterson:no_wait()"
    assert all("refinement matches" in ln for ln in lines[2:-1])
    assert lines[-2].endswith("MutualExclusion violated")
    assert lines[-1].startswith("misbehaviour: the implementation reproduces the violation of MutualExclusion at")


def test_replay_on_the_correct_implementation_does_not_reproduce(capsys, no_wait_report):
    code, out, _ = run(capsys, "replay", no_wait_report, "--adapter", "pyspec.examples.peterson:Peterson")
    assert code == 0
    assert "stopped: the implementation failed at step" in out and "is blocked at wait" in out
    assert out.rstrip().endswith("does not reproduce the violation of MutualExclusion (it does not follow the trace)")


def test_replay_factory_arguments_and_json(capsys, no_wait_report):
    code, out, _ = run(capsys, "replay", no_wait_report, "--adapter", "pyspec.examples.peterson:Peterson",
                       "--adapter-arg", "mutant=no_wait", "--json")
    data = json.loads(out)
    assert code == 1 and data["reproduced"] and data["followed"] and data["error"] is None
    assert data["steps"][0]["label"] is None and all(st["matches"] for st in data["steps"])
    assert data["steps"][-1]["property_holds"] is False


def test_replay_adapter_from_a_file_and_refinement_differences(capsys, no_wait_report, tmp_path):
    f = tmp_path / "my_adapter.py"
    f.write_text("from pyspec.examples.peterson import Peterson\n\n"
                 "class Lying(Peterson):\n"
                 "    def observe(self):\n"
                 "        out = super().observe()\n"
                 "        out['turn'] = 1 - out['turn']\n"
                 "        return out\n\n"
                 "def make(mutant=None):\n"
                 "    return Lying(mutant)\n")
    code, out, _ = run(capsys, "replay", no_wait_report, "--adapter", f"{f}:make", "--adapter-arg", "mutant=no_wait")
    assert "refinement differs" in out and "turn: trace 0, implementation 1" in out
    assert code == 1  # it still reaches a state violating MutualExclusion


def test_replay_gives_a_factory_asking_for_it_the_compiled_model(capsys, no_wait_report, tmp_path):
    f = tmp_path / "shaped.py"
    f.write_text("from pyspec.examples.peterson import Peterson\n\n"
                 "def make(model, mutant=None):\n"
                 "    assert sorted(model.constants['PROCS']) == [0, 1], model.constants\n"
                 "    return Peterson(mutant)\n")
    code, out, _ = run(capsys, "replay", no_wait_report, "--adapter", f"{f}:make", "--adapter-arg", "mutant=no_wait")
    assert code == 1 and "misbehaviour" in out


def test_replay_a_kvm_counterexample_on_the_kvm_implementation(capsys, tmp_path):
    """The KVM adapter takes the version (a string) and the model (given)."""
    from pyspec.engines.embedded import check

    rep = check(pyspec.load("spec/kvm/v1.pyspec"), "small", property="NoStaleAfterIoctl")
    p = tmp_path / "v1.json"
    p.write_text(rep.dumps())
    adapter = ["--adapter", "pyspec.conformance.kvm_adapter:KvmAdapter"]
    code, out, _ = run(capsys, "replay", str(p), *adapter, "--adapter-arg", "version=v1")
    assert code == 1 and "reproduces the violation of NoStaleAfterIoctl" in out
    code, out, _ = run(capsys, "replay", str(p), *adapter, "--adapter-arg", "version=v3")
    assert code == 0 and "does not reproduce" in out


@pytest.mark.parametrize("adapter,message", [
    ("pyspec.examples.peterson", "expected MODULE:FACTORY"),
    ("no_such_module_xyz:make", "no module named 'no_such_module_xyz'"),
    ("pyspec.examples.peterson:nope", "has no 'nope'"),
    ("pyspec.examples.peterson:MUTANTS", "is not callable"),
    ("missing/file.py:make", "no such file: missing/file.py"),
])
def test_replay_bad_adapter_exits_2(capsys, no_wait_report, adapter, message):
    code, out, err = run(capsys, "replay", no_wait_report, "--adapter", adapter)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_replay_factory_failure_exits_2(capsys, no_wait_report):
    code, _, err = run(capsys, "replay", no_wait_report, "--adapter", "pyspec.examples.peterson:Peterson",
                       "--adapter-arg", "mutant=bogus")
    assert code == 2 and "Peterson(mutant='bogus') failed: ValueError: unknown mutant 'bogus'" in err


def test_replay_bad_reports_exit_2(capsys, tmp_path, no_wait_report):
    adapter = ["--adapter", "pyspec.examples.peterson:Peterson"]
    p = tmp_path / "r.jsonl"
    p.write_text('{"a": 1}\n{\n')
    code, _, err = run(capsys, "replay", str(p), *adapter)
    assert code == 2 and "line 2: not JSON" in err
    p.write_text('{"a": 1}\n')
    code, _, err = run(capsys, "replay", str(p), *adapter)
    assert code == 2 and "not a pyspec report" in err
    ok = json.loads(Path(no_wait_report).read_text())
    ok.update(verdict="ok", trace=[])
    p.write_text(json.dumps([ok]))
    code, _, err = run(capsys, "replay", str(p), *adapter)
    assert code == 2 and err.strip().endswith("contains no counterexample (a violation with a trace)")
    code, _, err = run(capsys, "replay", no_wait_report, *adapter, "--property", "Other")
    assert code == 2 and "contains no counterexample of Other; violated: MutualExclusion" in err
    code, _, err = run(capsys, "replay", no_wait_report, *adapter, "--spec", str(tmp_path / "none.pyspec"))
    assert code == 2 and "is not a file" in err
    code, _, err = run(capsys, "replay", str(tmp_path / "missing.json"), *adapter)
    assert code == 2 and "cannot read" in err


@pytest.mark.tlc
def test_replay_a_tlc_counterexample(capsys, tmp_path, tlc_jar):
    code, out, _ = run(capsys, "tlc", NO_WAIT, "--model", "two", "--json", "--jar", tlc_jar)
    assert code == 0  # every run gave the model's expected outcome
    p = tmp_path / "tlc.jsonl"
    p.write_text(out)
    code, out, _ = run(capsys, "replay", str(p), "--adapter", "pyspec.examples.peterson:no_wait")
    assert code == 1 and out.startswith("replaying tlc's counterexample: MutualExclusion invariant violation")
    code, out, _ = run(capsys, "replay", str(p), "--adapter", "pyspec.examples.peterson:Peterson")
    assert code == 0


@pytest.mark.parametrize("name,text,message", [
    ("t.jsonl", '{"process": "proc", "self": 0, "label": "raise_flag"}\n'
                '{"process": "proc", "self": 0, "label": "wait", "observed": {"turn": [1, 2]}}\n',
     "line 2: cannot decode: expected an integer, got [1, 2]"),
    ("t.jsonl", '{"process": "proc", "self": 0, "label": "raise_flag", "observed": {"turn": "0"}}\n',
     'line 1: cannot decode: expected an integer, got "0"'),
    ("t.itf.json", json.dumps({"vars": ["turn"], "states": [{"turn": 0}, {"turn": [1]}]}),
     "ITF state 1: cannot decode: expected an integer, got [1]"),
])
def test_a_trace_value_of_the_wrong_type_says_what_was_expected_and_where(capsys, tmp_path, name, text, message):
    """Messages that teach (issue 18): 'expected an int, got a list at line N'."""
    p = tmp_path / name
    p.write_text(text)
    code, out, err = run(capsys, "validate", PETERSON, str(p))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"pyspec: error: {p}: {message}"], err
