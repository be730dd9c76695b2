"""The language server's analysis layer without a client: procedures (which
the IR keeps only as the steps of the processes that run them) are
declarations too."""

from __future__ import annotations

from pyspec.editor.analysis import analyse

LOCKS = "tests/language/procedures/locks.pyspec"


def test_procedures_are_symbols_with_hover_and_definition():
    text = open(LOCKS).read()
    a = analyse(LOCKS, text)
    assert [(d.name, d.kind) for d in a.symbols() if d.kind == "procedure"] == \
        [("acquire", "procedure"), ("release", "procedure"), ("work", "procedure")]
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines, 1) if "call work(2)" in x)
    col = lines[line - 1].index("work") + 2
    assert "procedure work(times: int)" in a.hover(line, col)
    loc = a.definition(line, col)
    assert (loc.line, lines[loc.line - 1].strip()) == (20, "procedure work(times: int):")
    # inside the procedure, its parameter is a local of the process that runs it
    tline = next(i for i, x in enumerate(lines, 1) if "while i < times" in x)
    assert "var p.times: int" in a.hover(tline, lines[tline - 1].index("times") + 2)


def test_completion_after_call_offers_the_procedures():
    text = open(LOCKS).read()
    a = analyse(LOCKS, text)
    lines = text.splitlines()
    line = next(i for i, x in enumerate(lines, 1) if "call work(2)" in x)
    col = lines[line - 1].index("work") + 1
    assert {label for label, _, _ in a.completions(line, col)} == {"acquire", "release", "work"}
