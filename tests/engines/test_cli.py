"""The check and simulate commands."""

from __future__ import annotations

import json

from pyspec.cli import main


def test_check_all_table_and_exit_code(capsys):
    code = main(["check", "--all", "tests/engines/specs/deadlock.pyspec", "tests/engines/specs/fair.pyspec"])
    out = capsys.readouterr().out
    assert code == 0
    import re

    assert re.search(r"stuck +deadlock +violated +violated", out)
    assert "checks as expected" in out


def test_unexpected_outcome_exits_1(tmp_path, capsys):
    p = tmp_path / "wrong.pyspec"
    p.write_text("spec Wrong\nvar x: int = 0\nprocess p:\n    s:\n        x = 1\n"
                 "invariant Zero: x == 0\nmodel m:\n    check Zero\n")
    code = main(["check", str(p)])
    out = capsys.readouterr().out
    assert code == 1
    assert "UNEXPECTED" in out and "State 2: p s" in out


def test_check_property_json(capsys):
    code = main(["check", "spec/examples/counter.pyspec", "--model", "race", "--property", "BothCounted", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["verdict"] == "violated" and len(data["trace"]) == 5


def test_bad_input_exits_2(capsys):
    assert main(["check", "spec/examples/counter.pyspec", "--model", "nope"]) == 2
    assert main(["check", "spec/examples/counter.pyspec", "--model", "race", "--property", "Nope"]) == 2


def test_simulate_command(capsys):
    code = main(["simulate", "spec/examples/counter.pyspec", "--runs", "20", "--depth", "5", "--seed", "3",
                 "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "violated" and code == 1
    code = main(["simulate", "spec/examples/peterson.pyspec", "--runs", "5", "--depth", "20"])
    assert code == 0


def test_checkpoint_and_recover_with_workers(tmp_path, capsys):
    # a checkpoint written by two workers resumes in one process and in two;
    # a file that is not a checkpoint of this model is bad input
    cp = tmp_path / "run.ckpt"
    args = ["check", "tests/engines/specs/counters.pyspec", "--model", "big", "--property", "Fine", "--json",
            "--engine", "python"]  # (auto searches a model this small in one process)
    assert main(args + ["--workers", "2", "--checkpoint", str(cp), "--checkpoint-every", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["distinct_states"] == 10_000
    for workers in ("1", "2"):
        assert main(args + ["--workers", workers, "--recover", str(cp)]) == 0
        assert json.loads(capsys.readouterr().out)["distinct_states"] == 10_000
    (tmp_path / "junk.ckpt").write_text("junk")
    other = tmp_path / "other.ckpt"
    assert main(["check", "spec/examples/counter.pyspec", "--model", "race", "--property", "BothCounted",
                 "--checkpoint", str(other), "--checkpoint-every", "0"]) == 0
    assert other.exists()
    capsys.readouterr()
    for bad, why in [("junk.ckpt", "not a checkpoint"), ("other.ckpt", "another model"),
                     ("missing.ckpt", "No such file")]:
        for workers in ("1", "2"):
            assert main(args + ["--workers", workers, "--recover", str(tmp_path / bad)]) == 2
            err = capsys.readouterr().err
            assert "pyspec: error:" in err and why in err and "Traceback" not in err


def _table(out: str) -> list[list[str]]:
    """The rows of a ``check --all`` table without the time column."""
    return [line.split()[:-1] for line in out.splitlines() if line.startswith(("tests/", "spec/"))]


def test_check_all_jobs_gives_the_sequential_table(capsys):
    """``--jobs 2``: the models in two processes, the same table (in the
    same order), summary and exit code as one after the other."""
    files = [f"tests/engines/specs/{n}.pyspec" for n in ("deadlock", "fair", "symmetry", "counters", "liveness")]
    outs = []
    for jobs in ("1", "2"):
        code = main(["check", "--all", "--jobs", jobs, *files])
        out = capsys.readouterr().out
        outs.append((code, _table(out), out.splitlines()[-1]))
    assert outs[0] == outs[1]
    assert outs[0][0] == 0 and len(outs[0][1]) > 5


def test_check_all_jobs_exit_codes(tmp_path, capsys):
    """An unexpected outcome (1) and an evaluation error (2) in a worker
    process: the exit codes and messages of a sequential run."""
    p = tmp_path / "wrong.pyspec"
    p.write_text("spec Wrong\nvar x: int = 0\nprocess p:\n    s:\n        x = 1\n"
                 "invariant Zero: x == 0\nmodel m:\n    check Zero\n")
    assert main(["check", "--all", "--jobs", "2", str(p), "tests/engines/specs/deadlock.pyspec"]) == 1
    assert "1 unexpected" in capsys.readouterr().out
    assert main(["check", "--all", "--jobs", "2", "tests/engines/specs/errors.pyspec",
                 "tests/engines/specs/deadlock.pyspec"]) == 2
    assert "errors.pyspec:11:9: error: assignment to m[5]" in capsys.readouterr().err


def test_the_same_command_gives_the_same_output_whatever_the_hash_seed(tmp_path):
    """A quantifier over a set of variant records whose body fails on one
    case: which element comes first follows the records' hashes, so the
    command fixes Python's hash seed (pyspec.cli._fixed_hash_seed)."""
    import os
    import subprocess
    import sys

    p = tmp_path / "hs.pyspec"
    p.write_text("spec Hs\nvariant Msg:\n    Req(n: 0..1)\n    Ack(d: 0..1)\n"
                 "var inbox: set[Msg] = {Msg.Ack(d=0), Msg.Req(n=1)}\nvar x: int = 0\n"
                 "process p:\n    s:\n        x = 1\ninvariant I: exists m in inbox: m.n == 1\n"
                 "model m:\n    check I\n")
    outs = set()
    for seed in ("1", "2", "3", "4", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-m", "pyspec", "check", str(p), "--json"], capture_output=True,
                             text=True, env=env)
        outs.add((run.returncode, json.loads(run.stdout)[0]["verdict"]))
    assert len(outs) == 1, outs
