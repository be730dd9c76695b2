"""Arguments out of range are refused (exit code 2, the option named), not
silently changed."""

from __future__ import annotations

import pytest

from pyspec import cli

SPEC = "spec/examples/counter.pyspec"


@pytest.mark.parametrize("argv,option", [
    (["check", SPEC, "--workers", "0"], "--workers"),
    (["check", SPEC, "--workers", "-1"], "--workers"),
    (["check", SPEC, "--workers", "abc"], "--workers"),
    (["check", SPEC, "--max-states", "0"], "--max-states"),
    (["check", SPEC, "--max-depth", "-3"], "--max-depth"),
    (["check", SPEC, "--checkpoint-every", "-5"], "--checkpoint-every"),
    (["check", SPEC, "--checkpoint-every", "inf"], "--checkpoint-every"),
    (["check", SPEC, "--checkpoint-every", "nan"], "--checkpoint-every"),
    (["simulate", SPEC, "--runs", "0"], "--runs"),
    (["simulate", SPEC, "--depth", "-1"], "--depth"),
    (["graph", SPEC, "--max-states", "0"], "--max-states"),
    (["tlc", SPEC, "--workers", "abc"], "--workers"),
    (["tlc", SPEC, "--workers", "0"], "--workers"),
    (["tlc", SPEC, "--timeout", "0"], "--timeout"),
    (["tlc", SPEC, "--distributed", "--port", "70000"], "--port"),
    (["validate", SPEC, "t.jsonl", "--timeout", "-1"], "--timeout"),
])
def test_out_of_range_argument_is_bad_input(argv, option, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err


def test_in_range_arguments_are_accepted(capsys):
    assert cli.main(["check", SPEC, "--workers", "1", "--max-states", "100000", "--max-depth", "50"]) == 0
    assert cli.main(["simulate", SPEC, "--runs", "3", "--depth", "5"]) in (0, 1)


@pytest.mark.parametrize("given,expected", [(None, "1"), ("3", "3")])
def test_the_command_keeps_numpy_to_one_blas_thread_unless_told(given, expected):
    """numpy's OpenBLAS starts a thread per core at import, which spins for
    a while: the pyspec command (which does no linear algebra) asks for one,
    unless the user's environment says otherwise."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = "import pyspec.cli, os, sys; import numpy; print(os.environ['OPENBLAS_NUM_THREADS'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
