"""Fuzzing the command line: random commands, options, spec files (good,
mutated, missing, binary), traces and output paths, run in process.

Whatever the input, no traceback reaches the user, the exit code is one the
CLI documents (0, 1, 2, 3, 130), and an exit code of 3 is never an internal
error of pyspec ("internal error" on stderr): bad input is exit 2 with a
message.  Without a TLC jar, `tlc` and `validate --tlc` must say so (exit 3)
and nothing else.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyspec import cli

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "tests" / "conformance" / "traces" / "counter-race"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A folder of inputs: good specs, broken ones, traces, odd files."""
    d = tmp_path_factory.mktemp("cli-fuzz")
    shutil.copy(ROOT / "spec/examples/counter.pyspec", d / "counter.pyspec")
    shutil.copy(ROOT / "spec/examples/peterson.pyspec", d / "peterson.pyspec")
    text = (ROOT / "spec/examples/counter.pyspec").read_text()
    (d / "broken.pyspec").write_text(text.replace("count = tmp + 1", "count = tmp +"))
    (d / "runtime_error.pyspec").write_text(
        "spec R\nvar x: 0..1 = 0\nprocess p:\n    while True:\n        s:\n            x = x + 1\n"
        "model m:\n    deadlock: ignore\n")
    (d / "empty.pyspec").write_text("")
    (d / "binary.pyspec").write_bytes(b"\x00\xff\xfe spec \x80")
    (d / "good.jsonl").write_text((TRACES / "good_full.jsonl").read_text())
    (d / "bad.jsonl").write_text((TRACES / "bad_value_full.jsonl").read_text())
    (d / "garbage.jsonl").write_bytes(b"{not json\n\x00\xff")
    (d / "empty.jsonl").write_text("")
    (d / "list.itf.json").write_text("[1, 2, 3]")
    (d / "adir").mkdir()
    (d / "afile").write_text("x")
    return d


# the good specs more often than the bad ones: most runs get past the arguments
SPECS = ["counter.pyspec"] * 3 + ["peterson.pyspec"] * 3 + ["broken.pyspec", "runtime_error.pyspec", "empty.pyspec",
         "binary.pyspec", "missing.pyspec", "adir", "/dev/null"]
TRACE_FILES = ["good.jsonl", "bad.jsonl", "garbage.jsonl", "empty.jsonl", "list.itf.json", "missing.jsonl", "adir"]
MODELS = ["race", "two", "m", "nope", ""]
PROPS = ["BothCounted", "MutualExclusion", "deadlock", "Nope", ""]
NUMBERS = ["0", "1", "5", "-1", "abc", "1e9", ""]
OUTPUTS = ["out", "out.html", "adir", "afile/under", "/dev/full", "counter.pyspec", "new/dir/file"]

OPTIONS = {
    "lint": [("--strict",), ("--quiet",)],
    "models": [("--json",)],
    "tla": [("-o", OUTPUTS), ("--all",), ("--model", MODELS), ("--quiet",)],
    "check": [("--model", MODELS), ("--property", PROPS), ("--max-states", NUMBERS), ("--max-depth", NUMBERS),
              ("--json",), ("--all",), ("--no-deadlock",), ("--html", OUTPUTS), ("--traces",), ("--seed", NUMBERS),
              ("--checkpoint", OUTPUTS), ("--checkpoint-every", NUMBERS), ("--recover", OUTPUTS + SPECS),
              ("--workers", ["0", "-1", "abc", "1"])],
    "simulate": [("--model", MODELS), ("--runs", NUMBERS), ("--depth", NUMBERS), ("--seed", NUMBERS),
                 ("--property", PROPS), ("--no-deadlock",), ("--json",), ("--html", OUTPUTS)],
    "graph": [("--model", MODELS), ("-o", OUTPUTS), ("--svg",), ("--dot",), ("--max-states", NUMBERS),
              ("--property", PROPS)],
    "validate": [("--model", MODELS), ("--json",)],
}


@st.composite
def command_lines(draw):
    cmd = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [cmd]
    n_pos = 2 if cmd == "validate" else 1
    for i in range(n_pos if draw(st.integers(0, 4)) else draw(st.integers(0, n_pos + 1))):
        pool = TRACE_FILES if (cmd == "validate" and i == 1) else SPECS
        argv.append(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(0, 4))):
        opt = draw(st.sampled_from(OPTIONS[cmd]))
        argv.append(opt[0])
        if len(opt) > 1:
            argv.append(draw(st.sampled_from(opt[1])))
    return argv


def run(argv: list[str], where: Path) -> tuple[int, str, str]:
    # text streams over bytes, as a terminal's: `graph --svg` writes bytes to stdout.buffer
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    cwd = os.getcwd()
    os.chdir(where)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv)
            except SystemExit as e:  # argparse: bad usage
                code = e.code if isinstance(e.code, int) else 2
    finally:
        os.chdir(cwd)
    return (code, out.buffer.getvalue().decode("utf-8", "replace"),
            err.buffer.getvalue().decode("utf-8", "replace"))


OUTCOMES: dict = {}
PREFIX = re.compile(r"^(pyspec: error: |\S.*?(:\d+){0,2}: error: )")


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(command_lines())
def test_no_command_line_ends_in_a_traceback(sandbox, monkeypatch, argv):
    monkeypatch.setenv("XDG_CACHE_HOME", str(sandbox / "cache"))
    code, out, err = run(argv, sandbox)
    OUTCOMES[code] = OUTCOMES.get(code, 0) + 1
    assert "Traceback" not in out + err, (argv, err)
    assert "internal error" not in err, (argv, err)
    assert code in (0, 1, 2, 3, 130), (argv, code, err)
    if code == 2:
        # one prefix for every error: `pyspec: error:` or a location (`file[:line[:col]]: error:`)
        lines = [ln for ln in err.splitlines() if not ln.startswith(("usage:", " "))]
        assert not lines or any(PREFIX.match(ln) for ln in lines), (argv, lines)
    assert (sandbox / "counter.pyspec").read_text().startswith("spec Counter"), f"{argv} overwrote an input"
