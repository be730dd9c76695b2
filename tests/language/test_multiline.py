"""Multi-line expressions without brackets (docs/language.md, "Multi-line
expressions"): quantifier bodies on the lines below their ':', lines that
start or end with and/or/implies/leads_to, a TLA+-style leading bullet.

They are layout only: each form gives the IR of its one-line twin, node
positions stay exact, both engines and TLC count the same states, and
ambiguous layouts are one located error.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import re
from pathlib import Path

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyspec
from pyspec import cli
from pyspec.engines.embedded import check
from pyspec.ir.walk import iter_exprs
from pyspec.language import parser
from pyspec.printer import format_expr, format_spec
from pyspec.tla import export_spec

HEAD = "spec T\nconst P: set[int] = {1, 2}\nvar x: int = 0\nvar y: int = 0\n"


def load(text: str, name: str = "t.pyspec") -> pyspec.Spec:
    return pyspec.load(name, text=text)


def same_ir(a: pyspec.Spec, b: pyspec.Spec) -> bool:
    return dataclasses.replace(a, path=b.path, files=b.files) == b


# ---------------------------------------------------------------- each form = its one-line twin

FORMS = {
    "bullets in a property block": (
        "invariant I:\n    x >= 0\n    and y >= 0\n    or x == y\n",
        "invariant I: x >= 0 and y >= 0 or x == y\n"),
    "bullets after a one-line header": (
        "invariant I: x >= 0\n    and y >= 0\n",
        "invariant I: x >= 0 and y >= 0\n"),
    "implies and leads_to bullets": (
        "temporal T:\n    forall p in P:\n        x == p\n        leads_to y == p\n"
        "invariant I:\n    x > 0\n    implies y > 0\n        implies x > y\n",
        "temporal T: forall p in P: x == p leads_to y == p\ninvariant I: x > 0 implies y > 0 implies x > y\n"),
    "trailing operators": (
        "invariant I: x >= 0 and\n    y >= 0 or\n    x == y\n",
        "invariant I: x >= 0 and y >= 0 or x == y\n"),
    "quantifier body below its colon": (
        "invariant I:\n    forall p in P:\n        p > 0\n        and x >= 0\n",
        "invariant I: forall p in P: p > 0 and x >= 0\n"),
    "nested bodies": (
        "invariant I:\n    forall p in P:\n        forall q in P:\n            p != q implies x == y\n",
        "invariant I: forall p in P: forall q in P: p != q implies x == y\n"),
    "a bullet after a body continues around the quantifier": (
        "invariant I:\n    forall p in P:\n        forall q in P:\n            p == q\n            or p != q\n"
        "        and p > 0\n    and x >= 0\n",
        "invariant I: (forall p in P: (forall q in P: p == q or p != q) and p > 0) and x >= 0\n"),
    "a laid-out quantifier is an operand": (
        "invariant I: x >= 0 and exists p in P:\n    p > x\n",
        "invariant I: x >= 0 and (exists p in P: p > x)\n"),
    "not before a laid-out quantifier": (
        "invariant I:\n    not exists p in P:\n        p > 5\n",
        "invariant I: not (exists p in P: p > 5)\n"),
    "choose and the else branch": (
        "def c() -> int:\n    return 0 if x > 0 else choose p in P:\n        p > 0\n        and p < 9\n",
        "def c() -> int: 0 if x > 0 else (choose p in P: p > 0 and p < 9)\n"),
    "a def returning a laid-out quantifier": (
        "def e(v: int) -> bool:\n    return exists p in P:\n        p == v\n        or p > v\n",
        "def e(v: int) -> bool: exists p in P: p == v or p > v\n"),
    "a one-line def body laid out": (
        "def e(v: int) -> bool: forall p in P:\n    p >= v\n",
        "def e(v: int) -> bool: forall p in P: p >= v\n"),
    "leading bullets": (
        "invariant I:\n    and x >= 0\n    and (forall p in P:\n             p > 0)\n"
        "invariant J:\n    or x == 0\n    or y == 0\n"
        "invariant K:\n    forall p in P:\n        and p > 0\n        and p < 3\n"
        "invariant L:\n    \"\"\"A docstring.\"\"\"\n    and x == 0\n    and y == 0\n",
        "invariant I: x >= 0 and (forall p in P: p > 0)\ninvariant J: x == 0 or y == 0\n"
        "invariant K: forall p in P: p > 0 and p < 3\n"
        "invariant L:\n    \"\"\"A docstring.\"\"\"\n    x == 0 and y == 0\n"),
    "let lines before the expression": (
        "invariant I:\n    let z = x + 1\n    and z > 0\n    and y >= 0\n"
        "invariant J:\n    let b = x > 0\n        or y > 0\n    b\n    or x == y\n",
        "invariant I:\n    let z = x + 1\n    z > 0 and y >= 0\n"
        "invariant J:\n    let b = x > 0 or y > 0\n    b or x == y\n"),
    "an inline quantifier after an operator (its body runs to the end, as in TLA+)": (
        "invariant I: x > 0 and forall p in P: p > 0 or y > 0\n"
        "invariant J:\n    x > 0 or exists p in P: p > 0\n                        and y > 0\n",
        "invariant I: x > 0 and (forall p in P: p > 0 or y > 0)\n"
        "invariant J: x > 0 or (exists p in P: p > 0 and y > 0)\n"),
    "an inline quantifier continued right of it": (
        "invariant I: forall p in P: p > 0\n                             and x >= 0\n",
        "invariant I: forall p in P: p > 0 and x >= 0\n"),
    "a tighter bullet right of the looser operator": (
        "invariant I:\n    x > 0 or y > 0\n             and x > 1\n    or x == 9\n",
        "invariant I: x > 0 or y > 0 and x > 1 or x == 9\n"),
    "comments and blank lines inside": (
        "invariant I:\n    forall p in P:   # every p\n        # the first condition\n        p > 0\n\n"
        "        and p < 9  # done\n",
        "invariant I: forall p in P: p > 0 and p < 9\n"),
    "steps: await, if, elif, while, any and let": (
        "process q:\n    while x < 3\n          and y < 3:\n        s1: await x >= 0\n"
        "                and y >= 0\n        s2:\n            if x == 0\n               or y == 0:\n"
        "                x = x + 1\n            elif x == 1\n                 and y == 0:\n"
        "                y = 1\n            else:\n                y = 0\n"
        "        s3:\n            any p in P if p > 0\n                          and p < 3:\n"
        "                let z = p > 0\n                    and p < 3\n"
        "                await z\n",
        "process q:\n    while x < 3 and y < 3:\n        s1: await x >= 0 and y >= 0\n        s2:\n"
        "            if x == 0 or y == 0:\n                x = x + 1\n            elif x == 1 and y == 0:\n"
        "                y = 1\n            else:\n                y = 0\n"
        "        s3:\n            any p in P if p > 0 and p < 3:\n                let z = p > 0 and p < 3\n"
        "                await z\n"),
    "either/or clauses are not bullets": (
        "process q:\n    s:\n        either: x = 1\n        or: x = 2\n        or : x = 3\n"
        "    t:\n        either:\n            y = 1\n        or:\n            y = 2\n",
        "process q:\n    s:\n        either:\n            x = 1\n        or:\n            x = 2\n        or:\n"
        "            x = 3\n    t:\n        either:\n            y = 1\n        or:\n            y = 2\n"),
    "a step body laid out in a quantifier": (
        "process q:\n    s: await forall p in P:\n           p > x\n    and y == 0\n",
        "process q:\n    s: await (forall p in P: p > x) and y == 0\n"),
    "brackets and backslashes are unchanged": (
        "invariant I: (x >= 0\n  and\n y >= 0) and \\\n    x == 0\n",
        "invariant I: x >= 0 and y >= 0 and x == 0\n"),
    "tabs": (
        "invariant I:\n\tforall p in P:\n\t\tp > 0\n\t\tand p < 9\n\tand x >= 0\n"
        "process main:\n\ts:\n\t\tawait x >= 0\n\t\t\tand y >= 0\n",
        "invariant I: (forall p in P: p > 0 and p < 9) and x >= 0\n"
        "process main:\n\ts:\n\t\tawait x >= 0 and y >= 0\n"),
    "CRLF line ends": (
        "invariant I:\r\n    forall p in P:\r\n        p > 0\r\n        and p < 9\r\n",
        "invariant I: forall p in P: p > 0 and p < 9\n"),
}
PROCESS = "process main:\n    s:\n        x = x\n"


@pytest.mark.parametrize("name", FORMS)
def test_form_means_its_one_line_twin(name):
    multi, one = FORMS[name]
    tail = "" if "process" in multi else PROCESS
    assert same_ir(load(HEAD + multi + tail), load(HEAD + one + tail))


def test_the_one_line_forms_differ_where_layout_says_so():
    """A bullet after a body is outside the body: the twins above are not
    trivially equal to the body-swallows-everything reading."""
    layout = load(HEAD + FORMS["quantifier body below its colon"][0].replace(
        "        and x >= 0", "    and x >= 0") + PROCESS)
    inline = load(HEAD + "invariant I: forall p in P: p > 0 and x >= 0\n" + PROCESS)
    outside = load(HEAD + "invariant I: (forall p in P: p > 0) and x >= 0\n" + PROCESS)
    assert same_ir(layout, outside) and not same_ir(layout, inline)


# ---------------------------------------------------------------- ambiguous or inconsistent layouts

REJECTED = {
    "body not deeper than the quantifier's line": (
        "invariant I:\n    forall p in P:\n    p > 0\n",
        "7:5: error: the body of the 'forall' on line 6 must be indented deeper than that line"),
    "no body at the end of the file": (
        "invariant I: forall p in P:",
        "5:27: error: the body of the 'forall' on line 5 must be indented deeper"),
    "a line between the body and the quantifier": (
        "invariant I:\n    forall p in P:\n        p > 0\n      and x > 0\n",
        "8:7: error: ambiguous indentation: this line is less indented than the body of the 'forall' on "
        "line 6 (column 9, line 7) but deeper than the line of the 'forall'; indent it to column 9 to "
        "continue the body, or at most to column 5"),
    "a step: the body is deeper than the outer bullet must be": (
        "process q:\n    s: await forall p in P:\n           p > 0\n       and x > 0\n",
        "8:8: error: ambiguous indentation: this line is less indented than the body of the 'forall' on "
        "line 6"),
    "a body line that does not continue the body": (
        "invariant I:\n    forall p in P:\n        p > 0\n        x > 0\n",
        "8:9: error: this line is inside the body of the 'forall' on line 6 (it is indented deeper than "
        "that line) but does not continue it"),
    "a bullet swallowed by an inline quantifier": (
        "invariant I:\n    forall p in P: p > 0\n    and x > 0\n",
        "7:5: error: ambiguous layout: this 'and' continues the body of the 'forall' on line 6, which runs "
        "to the end of the expression; to show that, indent it deeper than the 'forall' (column 5)"),
    "a bullet swallowed by always": (
        "temporal T:\n    always x >= 0\n    and eventually y > 0\n",
        "7:5: error: ambiguous layout: this 'and' continues the operand of 'always' on line 6"),
    "a bullet swallowed by an else branch": (
        "invariant I: x == 0 if y > 0 else x == 1\n    and y == 0\n",
        "6:5: error: ambiguous layout: this 'and' continues the 'else' branch on line 5"),
    "a tighter bullet under a looser inline operator": (
        "invariant I:\n    x > 0 or y > 0\n    and x > 1\n",
        "7:5: error: ambiguous layout: 'and' binds tighter than 'or', so this line continues only what "
        "follows the 'or' on line 6, not the whole expression above; to show that, indent it deeper than "
        "that 'or' (column 11), or use parentheses"),
    "a tighter bullet in the column of a looser one": (
        "invariant I:\n    x > 0\n    or y > 0\n    and x > 1\n",
        "8:5: error: ambiguous layout: 'and' binds tighter than 'or'"),
    "a looser bullet deeper than a tighter one": (
        "invariant I:\n    x > 0\n    and y > 0\n        or x > 1\n",
        "8:9: error: ambiguous layout: 'or' binds looser than 'and', so it applies to the whole expression "
        "above, yet it is indented deeper than the 'and' on line 7; indent it at most to column 5"),
    "implies groups to the right": (
        "invariant I:\n    x > 0\n        implies y > 0\n    implies x > 1\n",
        "8:5: error: ambiguous layout: 'implies' groups to the right"),
    "a looser operator inside a bullet line": (
        "invariant I:\n    x > 0\n    and y > 0 or x > 1\n",
        "7:15: error: ambiguous layout: 'or' binds looser than the 'and' that starts this line"),
    "a conditional inside a bullet line": (
        "invariant I:\n    x > 0\n    and y if x > 0 else x\n",
        "7:11: error: ambiguous layout: 'if' binds looser than the 'and' that starts this line"),
    "a leading bullet list mixed with the other junction": (
        "invariant I:\n    and x > 0\n    and y > 0\n    or x > 1\n",
        "8:5: error: ambiguous layout: the list at this indentation starts with 'and' on line 6; an 'or' "
        "here joins the whole list"),
    "a trailing and before a line that is not deeper": (
        "invariant I:\n    x > 0 and\n    y > 0\n",
        "6:11: error: 'and' at the end of a line continues the expression on the next line, which must be "
        "indented deeper than line 6, where the statement starts"),
    "a trailing or before a line less indented than the body": (
        "invariant I:\n    forall p in P:\n        p > 0 or\n      p < 9\n",
        "7:15: error: 'or' at the end of a line continues the expression on the next line, which must be "
        "indented at least as deep as the body of the 'forall' on line 6 (column 9)"),
    "a trailing and at the end of a declaration": (
        "const C: bool = True and\nconst D: int = 1\n",
        "5:22: error: 'and' at the end of a line continues the expression on the next line"),
    "a bullet at the left margin": (
        "invariant I: x > 0\nand y > 0\n",
        "6:1: error: a line that starts with 'and' continues the expression of the line above; it must be "
        "indented at least as deep as the line where that expression's statement starts"),
    "a bullet after a line without an expression": (
        "process q:\n    s:\n        goto s\n            and x > 0\n",
        "8:13: error: a line that starts with 'and' continues the expression of the line above, but that "
        "line does not end with an expression"),
    "a bullet after an inline quantifier after an operator": (
        "invariant I:\n    x > 0\n    and exists p in P: p > 0\n    and y > 0\n",
        "8:5: error: ambiguous layout: this 'and' continues the body of the 'exists' on line 7, which runs "
        "to the end of the expression; to show that, indent it deeper than the 'exists' (column 9)"),
    "a laid-out body in a block header": (
        "process q:\n    s:\n        if forall p in P:\n                p > 0:\n            x = 1\n",
        "8:22: error: the body of the 'forall' on line 7 is laid out on the lines below its ':' and ends "
        "with them: it cannot be followed by ':'"),
    "an operator error inside a body line": (
        "invariant I:\n    forall p in P:\n        p > 0\n        and p +\n",
        "8:16: error: unexpected end of line (expected an expression)"),
}


@pytest.mark.parametrize("name", REJECTED)
def test_ambiguous_layout_is_one_located_error(name, tmp_path, capsys):
    text, expected = REJECTED[name]
    path = tmp_path / "t.pyspec"
    path.write_text(HEAD + text + ("" if "process" in text or not text.endswith("\n") else PROCESS))
    capsys.readouterr()
    assert cli.main(["lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    first, source, caret = err.splitlines()[:3]
    assert first.startswith(f"{path}:{expected}"), first
    line, col = (int(n) for n in expected.split(":")[:2])
    assert source[4:] == (HEAD + text).replace("\r", "").split("\n")[line - 1]
    assert re.fullmatch(r" *\^~*", caret[4:]) and caret.index("^") - 4 == col - 1, caret


# ---------------------------------------------------------------- a spec using every form

SPEC = Path(__file__).with_name("multiline") / "lock.pyspec"
TWIN = Path(__file__).with_name("multiline") / "lock_one_line.pyspec"


def test_the_lock_spec_is_its_one_line_twin():
    assert same_ir(pyspec.load(str(SPEC)), pyspec.load(str(TWIN)))


def test_the_lock_spec_exports_as_its_twin():
    """The TLA+ export differs only in the source lines it cites."""
    def text(path):
        files = export_spec(pyspec.load(str(path))).files
        return {name: re.sub(r"\.pyspec:\d+(:\d+)?", ".pyspec:N", body.replace(path.name, "S.pyspec"))
                for name, body in files.items()}
    assert text(SPEC) == text(TWIN)


def test_the_lock_spec_round_trips_through_the_printer():
    spec = pyspec.load(str(SPEC))
    assert same_ir(load(format_spec(spec), "printed.pyspec"), spec)


# ---------------------------------------------------------------- positions

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_]\w*|\d+|==|!=|<=|>=|\.\.|//|\*\*|<<|>>|\S')


def _tokens(text: str) -> list[str]:
    out = [t for t in TOKEN.findall(text) if t not in "()"]
    # a leading bullet is layout, not an operator of the tree
    return [t for i, t in enumerate(out) if not (t in ("and", "or") and i and out[i - 1] == ":")]


def test_every_node_spans_exactly_its_own_text():
    """Each expression's span covers its tokens across the lines it is laid
    out on: what the checker, the engines and the TLA+ sourcemap cite."""
    spec = pyspec.load(str(SPEC))
    lines = SPEC.read_text().split("\n")
    seen = 0
    for e in iter_exprs(spec):
        sp = e.span
        if sp is None or sp.file != str(SPEC) or sp.line <= 0:
            continue
        if sp.line == sp.end_line:
            text = lines[sp.line - 1][sp.col - 1:sp.end_col - 1]
        else:
            text = "\n".join([lines[sp.line - 1][sp.col - 1:], *lines[sp.line:sp.end_line - 1],
                              lines[sp.end_line - 1][:sp.end_col - 1]])
        assert _tokens(text) == _tokens(format_expr(e)), (sp, text)
        seen += sp.end_line > sp.line
    assert seen >= 15  # many nodes do span several lines


def test_a_type_error_on_a_continued_line_is_located_there():
    text = HEAD + "invariant I:\n    forall p in P:\n        p > 0\n        and p == \"a\"\n" + PROCESS
    spec, diags = pyspec.load_with_diagnostics("t.pyspec", text=text)
    assert spec is None
    first = diags.errors[0]
    assert (first.span.line, first.span.col) == (8, 13), diags.render()


def test_a_run_time_error_on_a_continued_line_is_located_there():
    text = ("spec R\nvar m: map[int, int] = {0: 0}\nvar x: int = 0\nprocess p:\n    while True:\n"
            "        s:\n            x = (x + 1) % 3\ninvariant I:\n    x >= 0\n    and forall k in keys(m):\n"
            "        k >= 0\n        and m[x] >= 0\nmodel mm:\n    check I\n")
    rep = check(load(text, "r.pyspec"), "mm", property="I")
    assert rep.verdict == "error"
    assert rep.message.startswith("evaluating I: r.pyspec:12:13: map applied outside its keys"), rep.message


# ---------------------------------------------------------------- the grammar

#: Shift/reduce conflicts of the grammar before multi-line expressions (lark
#: resolves them as shift); the layout tokens must not add any.
KNOWN_CONFLICTS = {("_NL", "atom : STRING"), ("LSQB", "atom : NAME"), ("LEADS_TO", "leads_to : implies"),
                   ("IMPLIES", "implies : ifexpr")}
#: The one-line quantifier is an atom whose body is any expression: the body
#: could end before each operator that follows it, and every such conflict
#: is resolved as shift, so the body runs as far right as the expression
#: goes (TLA+'s reading of `x \/ \E m \in S : p /\ q`).  Those conflicts
#: reduce a rule of the expression hierarchy, and only they are added.
INLINE_QUANTIFIER = '     | quant_kind _binders ":" expr -> quantified\n'
EXPRESSION_RULES = {"leads_to", "implies", "ifexpr", "or_test", "and_test", "comparison", "range_expr",
                    "bitor_expr", "bitxor_expr", "bitand_expr", "shift_expr", "sum_expr", "term", "power"}


def _conflicts(grammar: str) -> set[tuple[str, str]]:
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    lark.logger.addHandler(handler)
    level = lark.logger.level
    lark.logger.setLevel(logging.DEBUG)
    try:
        lark.Lark(grammar, parser="lalr", postlex=parser.SpecIndenter(),
                  propagate_positions=True, maybe_placeholders=True, debug=True)
    finally:
        lark.logger.removeHandler(handler)
        lark.logger.setLevel(level)
    assert "Reduce/Reduce" not in log.getvalue()
    return set(re.findall(r"Shift/Reduce conflict for terminal (\S+): \(resolving as shift\)\n \* <(.+?)>",
                          log.getvalue()))


def test_the_grammar_has_no_new_conflicts():
    grammar = parser.GRAMMAR.read_text(encoding="utf-8")
    assert INLINE_QUANTIFIER in grammar
    assert _conflicts(grammar.replace(INLINE_QUANTIFIER, "")) == KNOWN_CONFLICTS
    added = _conflicts(grammar) - KNOWN_CONFLICTS
    assert added and {item.split(" : ")[0] for _, item in added} <= EXPRESSION_RULES, added


def test_layout_keeps_keywords_soft():
    """The contextual lexer still reads grammar words as names where the
    grammar expects a name (a record field named 'type'), on continued lines too."""
    text = (HEAD + "var r: record(type: int, model: int) = record(type=0, model=0)\n"
            "invariant I:\n    r.type >= 0\n    and r.model >= 0\n" + PROCESS)
    assert load(text) is not None


# ---------------------------------------------------------------- fuzzing the layout

SOURCE = SPEC.read_bytes()
LINES = SOURCE.split(b"\n")


def _relayout(edits) -> bytes:
    lines = list(LINES)
    for kind, a, b in edits:
        i = a % len(lines)
        if kind == "indent":
            lines[i] = b" " * (b % 5) + lines[i]
        elif kind == "dedent":
            lines[i] = lines[i][min(b % 5, len(lines[i]) - len(lines[i].lstrip(b" "))):]
        elif kind == "bullet":
            stripped = lines[i].lstrip(b" ")
            indent = lines[i][:len(lines[i]) - len(stripped)]
            lines[i] = indent + [b"and ", b"or ", b"implies ", b"leads_to "][b % 4] + stripped
        elif kind == "join":
            if i + 1 < len(lines):
                lines[i:i + 2] = [lines[i] + b" " + lines[i + 1].lstrip(b" ")]
        elif kind == "split":
            words = lines[i].split(b" ")
            if len(words) > 2:
                cut = 1 + b % (len(words) - 1)
                lines[i:i + 1] = [b" ".join(words[:cut]), b" " * (b % 13) + b" ".join(words[cut:])]
        elif kind == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return b"\n".join(lines)


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(["indent", "dedent", "bullet", "join", "split", "swap"]),
                                st.integers(0, 1 << 16), st.integers(0, 1 << 16)), min_size=1, max_size=4))
def test_relaid_out_specs_never_crash(edits, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "relayout.pyspec"
    path.write_bytes(_relayout(edits))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["lint", str(path)])
    assert code in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: error: .+", err.getvalue()), err.getvalue()
