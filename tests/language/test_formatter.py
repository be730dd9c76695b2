"""``pyspec fmt`` (pyspec/language/formatter.py): the canonical layout keeps
lines, comments, strings and meaning; it is idempotent, and the library is
already in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pyspec
from pyspec.cli import main
from pyspec.diagnostics import Diagnostics
from pyspec.language import formatter
from pyspec.language.formatter import FormatError, format_source
from pyspec.language.parser import parse

SPECS = sorted(str(p) for p in Path("spec").rglob("*.pyspec"))


def fmt(text: str, path: str = "sample.pyspec") -> str:
    return format_source(text, path)


# ------------------------------------------------------------------ the library

@pytest.mark.parametrize("path", SPECS)
def test_library_spec_round_trips(path, tmp_path):
    """Formatting is idempotent, keeps every line where it is, and loads to
    the IR of the original (the equality of test_examples' round trip)."""
    text = Path(path).read_text(encoding="utf-8")
    once = fmt(text, path)
    assert fmt(once, path) == once
    assert once.count("\n") == text.count("\n")
    original = pyspec.load(path)
    again = pyspec.load(path, text=once)
    assert again == original
    # and a copy of the spec laid out badly comes back to the same layout
    messy = _mess_up(once)
    assert messy != once
    assert fmt(messy, path) == once


def _mess_up(text: str) -> str:
    """Trailing white space, extra blank lines, white space on blank lines:
    what fmt removes (never inside a string)."""
    out = []
    inside = False  # in a triple-quoted string
    for line in text.split("\n"):
        was_inside = inside
        inside ^= line.count('"""') % 2 == 1
        if was_inside or inside or '"' in line:
            out.append(line)
            continue
        out.append(line + (" \t " if line.strip() else "\n  \n"))
    return "\n\n" + "\n".join(out) + "\n\n\n"


def test_library_is_formatted(capsys):
    """`make test` keeps the library in the canonical layout."""
    assert main(["fmt", "--check", "spec"]) == 0, capsys.readouterr().out


# ------------------------------------------------------------------ comments and docstrings

COMMENTED = '''\
# A comment before the header.
spec Commented
"""The docstring:   its spacing,

    its indentation    and trailing spaces are kept.\x20\x20\x20
"""

# Between items.
const N: int = 2            # aligned with the comment below
var x: int = 0              # an inline comment
#no space after the hash: kept as written

def f(a: int) -> int:
    """A def's docstring."""
    # inside a def
    return a + 1  # two spaces

fair process p(self in {1, 2}):
    """The process."""
    # before a step
    s1:
        # inside a step
        x = x + 1     # after a statement
        # after the last statement of a step
    # between steps
    s2:
        x = (x +      # inside brackets
             1) % N
            # odd column inside brackets
# at the margin, inside the process

invariant Small: x <= N + 2
# at the end of the file
'''


def test_comments_and_docstrings_are_kept_exactly():
    assert fmt(COMMENTED) == COMMENTED


def test_inline_comments_move_right_together_when_the_code_grows():
    text = ("spec S\n"
            "var x: int = 1+2    # a\n"
            "var y: int = 10*20  # b\n"
            "var z: int = 1  # c\n")
    assert fmt(text) == ("spec S\n"
                         "var x: int = 1 + 2    # a\n"
                         "var y: int = 10 * 20  # b\n"
                         "var z: int = 1  # c\n")


def test_inline_comment_gets_two_spaces_and_keeps_its_text():
    assert fmt("spec S\nvar x: int = 0# tight   \nvar y: int = 0 #one\n") == \
        "spec S\nvar x: int = 0  # tight\nvar y: int = 0  #one\n"


def test_strings_are_never_altered():
    text = 'spec S\nconst A: str = "a  ,  b (  )"\nconst B: str = """x\n   y  =  z   \n\tq"""   +   "c"\n'
    assert fmt(text) == 'spec S\nconst A: str = "a  ,  b (  )"\nconst B: str = """x\n   y  =  z   \n\tq""" + "c"\n'


# ------------------------------------------------------------------ messy samples

MESSY = '''

spec   Messy
"""Doc."""
const N:int=3\x20\x20\x20
const S : set[ int ] = { 1 ,2,3 ,}



var x : int = - 1
var m: map[int,int] = {k : k*2 for k in S if k!=0}
def f( a:int , b : int )->int : a+b* -1 if not(a in S) else abs( - a )
def g(a: int) -> record(v: int):
  let y=f(a , 2)
  return record( v = y )
process p( self in S ):
  var l : int = 0
  s1 :
    x = x+1
    x = max( { x , min(x,0) } )
    if x>2 and (
        x<3):
        l = m[ 1 ]**2 // 3 % 4
    else :
        m[ 1 ] = - m[1]
  s2:
      await x > 0
          and x >= 0
      # end of s2
invariant I:
  forall k in S:
      m[k] >= 0
  and x > ~ 5
model t:
  N=2
  check I
'''

MESSY_FORMATTED = '''\
spec Messy
"""Doc."""
const N: int = 3
const S: set[int] = {1, 2, 3,}

var x: int = -1
var m: map[int, int] = {k: k * 2 for k in S if k != 0}
def f(a: int, b: int) -> int: a + b * -1 if not (a in S) else abs(-a)
def g(a: int) -> record(v: int):
    let y = f(a, 2)
    return record(v=y)
process p(self in S):
    var l: int = 0
    s1:
        x = x + 1
        x = max({x, min(x, 0)})
        if x > 2 and (
            x < 3):
            l = m[1] ** 2 // 3 % 4
        else:
            m[1] = -m[1]
    s2:
        await x > 0
            and x >= 0
        # end of s2
invariant I:
    forall k in S:
        m[k] >= 0
    and x > ~5
model t:
    N = 2
    check I
'''


def test_messy_sample_comes_out_canonical():
    assert fmt(MESSY) == MESSY_FORMATTED
    assert fmt(MESSY_FORMATTED) == MESSY_FORMATTED


def _parses(text: str) -> bool:
    return parse(text, "probe.pyspec", Diagnostics()) is not None


@pytest.mark.skipif(not _parses("spec P\nprocedure p(w: int = 0):\n    a:\n        return\n"),
                    reason="no procedures in the grammar")
def test_keyword_argument_and_parameter_default():
    text = ("spec P\nvar x: int = 0\nprocedure put(v: int, w: int=0):\n  p1:\n    x = v+w\n    return\n"
            "process q:\n  a:\n    call put(x , 1)\n")
    assert fmt(text) == ("spec P\nvar x: int = 0\nprocedure put(v: int, w: int = 0):\n    p1:\n"
                         "        x = v + w\n        return\nprocess q:\n    a:\n        call put(x, 1)\n")


@pytest.mark.skipif(not _parses("spec S\ndef f(q: seq[int]) -> seq[int]: q[1:]\n"),
                    reason="no slices in the grammar")
def test_slices_have_no_spaces_around_their_colon():
    text = "spec S\ndef f(q: seq[int]) -> seq[int]: q[1 : 2] + q[ :1] + q[len(q) - 1: ] + [q[0]]\n"
    assert fmt(text) == "spec S\ndef f(q: seq[int]) -> seq[int]: q[1:2] + q[:1] + q[len(q) - 1:] + [q[0]]\n"


def test_tab_indentation_becomes_four_spaces_per_level():
    text = ("spec T\nconst S: set[int] = {1, 2}\nvar x: int = 0\n"
            "process p(self in S):\n\twhile True:\n\t\ta:\n\t\t\tawait x >= 0\n\t\t\t\tand x < 9\n"
            "\t\t\tx = (x +\n\t\t\t     1) % 3\n")
    assert fmt(text) == ("spec T\nconst S: set[int] = {1, 2}\nvar x: int = 0\n"
                         "process p(self in S):\n    while True:\n        a:\n            await x >= 0\n"
                         "                and x < 9\n            x = (x +\n                 1) % 3\n")


def test_continuation_lines_keep_their_alignment_when_blocks_are_reindented():
    text = ("spec A\nconst S: set[int] = {1, 2}\nvar x: int = 0\n"
            "process p(self in S):\n  s:\n    await x == 0\n          and self in S\n"
            "    x = max({x,\n             1})\n")
    assert fmt(text) == ("spec A\nconst S: set[int] = {1, 2}\nvar x: int = 0\n"
                         "process p(self in S):\n    s:\n        await x == 0\n              and self in S\n"
                         "        x = max({x,\n                 1})\n")


def test_line_endings_blank_lines_and_end_of_file():
    assert fmt("\ufeffspec A\r\n\r\n\r\n\r\nconst N: int = 1\r\n\r\n") == "spec A\n\nconst N: int = 1\n"
    assert fmt("spec A\nconst N: int = 1") == "spec A\nconst N: int = 1\n"


def test_the_example_of_the_language_page_is_what_fmt_does():
    text = Path("docs/language.md").read_text(encoding="utf-8")
    section = text[text.index("\n## pyspec fmt\n"):]
    before, after = re.findall(r"```pyspec\n(.*?)```", section, re.S)[:2]
    assert before != after
    assert fmt(before) == after


# ------------------------------------------------------------------ safety

def test_a_file_that_does_not_parse_is_refused_with_a_located_error(tmp_path, capsys):
    bad = tmp_path / "bad.pyspec"
    data = b"spec Bad\nconst N: int =   (1 +\nvar  x: int = 0\n"
    bad.write_bytes(data)
    with pytest.raises(FormatError) as e:
        format_source(data.decode(), str(bad))
    assert str(e.value).startswith(f"{bad}:2:")
    assert main(["fmt", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:18: error: '(' was never closed" in err
    assert "Traceback" not in err
    assert bad.read_bytes() == data


def test_a_layout_that_would_change_the_meaning_is_refused(monkeypatch, tmp_path, capsys):
    """The result is re-parsed and compared: a layout bug cannot reach a file."""
    text = "spec A\nvar x: int = 0\ninvariant I:\n    x >= 0\n    and x < 3\n"
    path = tmp_path / "a.pyspec"
    path.write_text(text)
    wrong = "spec A\nvar x: int = 0\ninvariant I:\n    x >= 0\n    or x < 3\n"
    monkeypatch.setattr(formatter, "_layout", lambda t: wrong)
    with pytest.raises(FormatError, match="cannot format"):
        format_source(text, str(path))
    # a different grouping of the same tokens is caught too
    regroup = ("spec A\nvar x: int = 0\ninvariant I:\n    forall y in {1}:\n        x >= y\n    and x < 3\n")
    monkeypatch.setattr(formatter, "_layout", lambda t: regroup.replace("\n    and", "\n        and"))
    with pytest.raises(FormatError, match="meaning"):
        format_source(regroup, str(path))
    assert main(["fmt", str(path)]) == 2
    assert "error: cannot format this file" in capsys.readouterr().err
    assert path.read_text() == text


# ------------------------------------------------------------------ the command

def _files(tmp_path):
    good = tmp_path / "good.pyspec"
    good.write_text(MESSY_FORMATTED)
    messy = tmp_path / "sub" / "messy.pyspec"
    messy.parent.mkdir()
    messy.write_text(MESSY)
    return good, messy


def test_check_exit_codes_and_writes_nothing(tmp_path, capsys):
    good, messy = _files(tmp_path)
    assert main(["fmt", "--check", str(good)]) == 0
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [str(messy)]
    assert messy.read_text() == MESSY
    bad = tmp_path / "bad.pyspec"
    bad.write_text("spec Bad\nconst N: int = (\n")
    assert main(["fmt", "--check", str(tmp_path)]) == 2


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path, capsys):
    good, messy = _files(tmp_path)
    assert main(["fmt", "--diff", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"--- {messy}\n+++ {messy}\n@@ ")
    assert "\n-const N:int=3   \n" in out and "\n+const N: int = 3\n" in out
    assert str(good) not in out
    assert messy.read_text() == MESSY
    assert main(["fmt", "--check", "--diff", str(tmp_path)]) == 1


def test_fmt_rewrites_only_what_changes(tmp_path, capsys):
    good, messy = _files(tmp_path)
    before = good.stat().st_mtime_ns
    assert main(["fmt", str(tmp_path)]) == 0
    assert messy.read_text() == MESSY_FORMATTED
    assert good.stat().st_mtime_ns == before
    assert f"reformatted {messy}" in capsys.readouterr().out
    assert main(["fmt", "--check", str(tmp_path)]) == 0
    assert not list(tmp_path.rglob("*.tmp"))


def test_fmt_without_specs_is_bad_input(tmp_path, capsys):
    assert main(["fmt", str(tmp_path)]) == 2
    assert "no spec files" in capsys.readouterr().err
    assert main(["fmt", str(tmp_path / "missing.pyspec")]) == 2
