"""One mistake, one error: a refused declaration still declares its name, so
that its uses raise no errors of their own."""

from __future__ import annotations

import pytest

from pyspec import load_with_diagnostics

CASES = {
    "var init reads a later variable": ("""\
spec C
var b: int = a + 1
var a: int = 0
process p:
    s:
        b = b + 1
        a = b
invariant I: b >= 0
model m:
    check I
""", "2:14: error: the initial value of 'b' reads 'a', which is declared after it (at line 3): initial "
        "values are evaluated in declaration order, so 'a' has no value yet"),
    "var type unknown": ("""\
spec C
var b: Nope = 0
process p:
    s:
        b = b
invariant I: b == b
model m:
    check I
""", "2:8: error: unknown type 'Nope'"),
    "constant default undefined": ("""\
spec C
const N: int = undefined_thing
const M: set[int] = 0..N
var a: int = 0
process p(self in M):
    s:
        a = a + N
invariant I: a >= 0
model m:
    check I
""", "2:16: error: undefined name 'undefined_thing'"),
    "process index set undefined": ("""\
spec C
var a: int = 0
process p(self in NOPE):
    var loc: int = 0
    s:
        loc = loc + 1
        a = loc
invariant I: a >= 0 and p[0].loc >= 0 and p[0].pc == "s"
model m:
    check I
""", "3:19: error: undefined name 'NOPE'"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_one_mistake_one_error(name):
    text, first = CASES[name]
    spec, diags = load_with_diagnostics("c.pyspec", text)
    assert spec is None
    errors = [d for d in diags.errors]
    assert [f"{d.span.file}:{d.span.line}:{d.span.col}: error: {d.message}" for d in errors] == [f"c.pyspec:{first}"]


def test_override_of_a_property(tmp_path):
    """docs/language.md shows `override invariant`: the grammar accepts it
    (for invariants, action and temporal properties)."""
    from pyspec import load

    (tmp_path / "base.pyspec").write_text("spec Base\nvar x: int = 0\nprocess p:\n    s:\n        x = 1\n"
                                          "invariant I: x >= 0\naction invariant A: next(x) >= x\n"
                                          "temporal L: eventually x == 1\n")
    (tmp_path / "child.pyspec").write_text("spec Child\nextends base\noverride invariant I: x >= 1\n"
                                           "override action invariant A: next(x) > x\noverride temporal L: always x == 0\n"
                                           "model m:\n    check I: violated\n")
    spec = load(str(tmp_path / "child.pyspec"))
    from pyspec.printer import format_expr

    texts = {p.name: format_expr(p.expr) for p in spec.properties}
    assert texts == {"I": "x >= 1", "A": "next(x) > x", "L": "always x == 0"}


def test_override_of_a_variable(tmp_path):
    """`override var` replaces the base's variable in its place: the
    initial values are evaluated in the order of the final spec."""
    from pyspec import load

    (tmp_path / "base.pyspec").write_text("spec Base\nvar a: int = 0\nvar b: int = a + 1\nprocess p:\n"
                                          "    s:\n        a = b\n")
    (tmp_path / "child.pyspec").write_text("spec Child\nextends base\noverride var a: int in {1, 2}\n")
    spec = load(str(tmp_path / "child.pyspec"))
    assert [(v.name, v.init_kind) for v in spec.vars] == [("a", "in"), ("b", "eq")]
    (tmp_path / "late.pyspec").write_text("spec Late\nextends base\nvar c: int = 0\noverride var a: int = c\n")
    spec, diags = load_with_diagnostics(str(tmp_path / "late.pyspec"))
    assert spec is None and "the initial value of 'a' reads 'c', which is declared after it" in diags.render()
    (tmp_path / "none.pyspec").write_text("spec None_\nvar z: int = 0\noverride var a: int = 0\n")
    spec, diags = load_with_diagnostics(str(tmp_path / "none.pyspec"))
    assert spec is None and "'a' overrides nothing: no base spec defines it" in diags.render()
