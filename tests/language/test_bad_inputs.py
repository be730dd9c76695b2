"""The bad-input corpus: every malformed spec under tests/language/bad/ gives
its exact first diagnostic, located, with the source line and a caret, exit
code 2 and never a traceback.  Files under tests/language/warn/ give a
warning: exit code 0, or 2 with --strict.

Each corpus file starts with ``# expect: LINE:COL: error: MESSAGE``.  In a
subfolder (a case made of several files), only the file with that line is
linted; its expectation may name another file of the folder
(``# expect: other.pyspec:LINE:COL: ...``) when the error is located there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyspec import cli, load_with_diagnostics

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BAD = HERE / "bad"
WARN = HERE / "warn"

DIAG = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): (?P<msg>.+)$")


def rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


def expectation(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    m = re.match(r"# expect: (.+)$", first)
    assert m, f"{path}: the first line must be '# expect: LINE:COL: SEVERITY: MESSAGE'"
    return m.group(1)


def corpus(root: Path) -> list[Path]:
    out = []
    for p in sorted(root.rglob("*.pyspec")):
        if p.parent == root or p.read_bytes().startswith(b"# expect:"):
            out.append(p)
    return out


BAD_FILES = corpus(BAD)
WARN_FILES = corpus(WARN)


def lint(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["lint", *args])
    return code, capsys.readouterr().err


def expected_line(path: Path) -> str:
    expect = expectation(path)
    m = re.match(r"([\w.-]+\.pyspec):(\d+:\d+: .*)$", expect)
    if m:  # located in another file of the case's folder
        return f"{rel(path.parent / m.group(1))}:{m.group(2)}"
    return f"{rel(path)}:{expect}"


def test_corpus_is_large_enough():
    assert len(BAD_FILES) >= 45
    assert len(WARN_FILES) >= 2


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: str(p.relative_to(BAD)))
def test_bad_input(path: Path, capsys):
    code, err = lint(capsys, rel(path))
    assert "Traceback" not in err
    assert code == 2, err
    lines = err.splitlines()
    assert lines, "no diagnostic printed"
    assert lines[0] == expected_line(path), err
    # the first diagnostic is followed by its source line and a caret under the column
    m = DIAG.match(lines[0])
    assert m and m.group("sev") == "error"
    assert len(lines) >= 3, err
    source, caret = lines[1], lines[2]
    assert source.startswith("    ") and caret.startswith("    ")
    assert re.fullmatch(r" *\^~*", caret[4:]), caret
    col = int(m.group("col"))
    shown = Path(m.group("file")).read_bytes().decode("utf-8", "replace").split("\n")[int(m.group("line")) - 1]
    if len(shown) <= 200:  # longer lines are shown as a window around the column
        assert caret.index("^") - 4 == col - 1


@pytest.mark.parametrize("path", WARN_FILES, ids=lambda p: p.name)
def test_warning(path: Path, capsys):
    code, err = lint(capsys, rel(path))
    assert "Traceback" not in err
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == expected_line(path), err
    assert DIAG.match(lines[0]).group("sev") == "warning"
    assert "^" in lines[2]
    code, err = lint(capsys, "--strict", rel(path))
    assert code == 2, err
    assert err.splitlines()[0] == expected_line(path)


def test_several_errors_reported_in_one_run(tmp_path, capsys):
    spec = tmp_path / "many.pyspec"
    spec.write_text(
        "spec Many\n"                                   # 1
        "const N: int = 3\n"                            # 2
        "var x: int = 0\n"                              # 3
        "var flag: bool = {1}\n"                        # 4  type error
        "process p:\n"                                  # 5
        "    step:\n"                                   # 6
        "        N = 4\n"                               # 7  assignment to a constant
        "        x = x + y\n"                           # 8  undefined name
        "        goto nowhere\n"                        # 9  missing label
        "invariant Count: x + 1\n"                      # 10 not a bool
        "model m:\n"                                    # 11
        "    M = 2\n"                                   # 12 unknown constant
        "    check Missing\n"                           # 13 unknown property
    )
    code, err = lint(capsys, str(spec))
    assert code == 2
    located = [(int(m.group("line")), int(m.group("col")), m.group("msg"))
               for m in map(DIAG.match, err.splitlines()) if m]
    assert [(line, col) for line, col, _ in located] == [
        (4, 18), (7, 9), (8, 17), (9, 14), (10, 18), (12, 5), (13, 11)], err
    assert located[0][2] == "type mismatch: initial value of 'flag' has type 'set[int]', expected 'bool'"
    assert located[2][2] == "undefined name 'y'"
    assert "Traceback" not in err


def test_several_syntax_files_in_one_run(capsys):
    files = [rel(BAD / "01_missing_colon.pyspec"), rel(BAD / "29_undefined_name.pyspec"),
             rel(ROOT / "spec" / "examples" / "peterson.pyspec")]
    code, err = lint(capsys, *files)
    assert code == 2
    heads = [line for line in err.splitlines() if DIAG.match(line)]
    assert heads[0] == expected_line(BAD / "01_missing_colon.pyspec")
    assert heads[1] == expected_line(BAD / "29_undefined_name.pyspec")


def test_truly_empty_file(tmp_path, capsys):
    empty = tmp_path / "empty.pyspec"
    empty.write_bytes(b"")
    code, err = lint(capsys, str(empty))
    assert code == 2
    assert err.splitlines()[0] == f"{empty}:1:1: error: empty file: a spec file starts with 'spec Name'"


def test_missing_file_and_directory(tmp_path, capsys):
    code, err = lint(capsys, str(tmp_path / "nope.pyspec"))
    assert code == 2
    assert err.splitlines()[0] == f"{tmp_path / 'nope.pyspec'}:1:1: error: no such file: '{tmp_path / 'nope.pyspec'}'"


@pytest.mark.parametrize("text", [
    "spec A\ninvariant I: " + "not " * 3000 + "True\n",
    "spec A\nconst N: int = " + "2 ** " * 3000 + "1\n",
    "spec A\nconst N: int = " + "-" * 3000 + "1\n",
    "spec A\nconst N: int = " + "1 if True else " * 2000 + "1\n",
    "spec A\nconst N: int = x" + ".a" * 3000 + "\n",
    "spec A\nconst N: int = x" + "[1]" * 3000 + "\n",
    "spec A\ninvariant I: " + "forall x in {1}: " * 2000 + "True\n",
    "spec A\ntemporal T: " + "always " * 3000 + "True\n",
    "spec A\nvar x: int = 0\nprocess p:\n    s:\n"
    + "".join("    " * (i + 2) + "if True:\n" for i in range(400)) + "    " * 402 + "x = 1\n",
], ids=["not", "pow", "neg", "ifexpr", "field", "index", "forall", "always", "blocks"])
def test_deep_input_never_overflows(text, tmp_path):
    path = tmp_path / "deep.pyspec"
    path.write_text(text)
    spec, diags = load_with_diagnostics(str(path))
    for d in diags.errors:
        assert d.span.line >= 1 and d.span.col >= 1
        assert d.render(diags.sources)
