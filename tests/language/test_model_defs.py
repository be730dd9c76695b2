"""A model may replace a def (TLC's ``Send <- MCSend``): the same
signature, its own body, for this model only; models that extend it
inherit the replacement.  Both engines and TLC agree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.printer import format_spec
from pyspec.tla.export import export_spec

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

SPEC = """\
spec Override
const N: int = 3
var x: int = 0
def step_size(v: int) -> int: 1
def limit() -> int: N
process p:
    while x < limit():
        s:
            x = x + step_size(x)
invariant Small: x <= 3
model normal:
    check Small
model doubled:
    \"\"\"Steps of two: x jumps past 3.\"\"\"
    def step_size(v: int) -> int: 2 if v < 2 else min({2, v})
    check Small: violated
model doubled_low extends doubled:
    def limit() -> int: 2
    check Small
"""


def load(text: str = SPEC) -> pyspec.Spec:
    return pyspec.load("override.pyspec", text=text)


def test_each_model_uses_its_defs():
    spec = load()
    assert check(spec, "normal", property="deadlock").distinct_states == 4
    assert check(spec, "doubled", property="Small").verdict == "violated"
    low = check(spec, "doubled_low", property="Small")
    assert low.verdict == "ok" and low.distinct_states == 2  # x = 0, 2: the inherited step and its own limit


def test_export_replaces_the_operator_in_the_cfg():
    files = export_spec(load()).files
    assert "def_step_size_(v) == IF v < 2 THEN 2 ELSE MinOf({2, v})" in files["MC_doubled_low.tla"]
    assert "    step_size <- def_step_size_\n    limit <- def_limit_\n" in files["MC_doubled_low.cfg"]
    assert "def_" not in files["MC_normal.cfg"]
    # MinOf's bound names cannot clash with the spec's variable x
    assert "MinOf(S) == CHOOSE x_1_ \\in S : \\A y \\in S : x_1_ <= y" in files["Override.tla"]


def test_printer_round_trips():
    printed = format_spec(load())
    assert "    def step_size(v: int) -> int: (2 if v < 2 else min({2, v}))" in printed or \
        "    def step_size(v: int) -> int: 2 if v < 2 else min({2, v})" in printed
    assert format_spec(load(printed)) == printed


@pytest.mark.parametrize("item, message", [
    ("    def nope() -> int: 1\n", "model 'm' replaces def 'nope', which the spec does not define"),
    ("    def step_size(v: bool) -> int: 1\n",
     "the replacement of 'step_size' in model 'm' must have its signature (v: 'int') -> 'int'"),
    ("    def step_size(v: int) -> bool: True\n", "must have its signature"),
    ("    def step_size(v: int) -> int: True\n", "result of 'step_size' in model 'm'"),
    ("    override def limit() -> int: 1\n", "a def in a model replaces the spec's def of that name: drop 'override'"),
])
def test_errors(item, message):
    text = SPEC.split("model normal:")[0] + "model m:\n" + item + "    check Small\n"
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    assert any(message in d.message for d in diags.errors), [d.message for d in diags.errors]


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")
@pytest.mark.parametrize("model", ["normal", "doubled", "doubled_low"])
def test_tlc_agrees(model):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(), model, resolve(jar_path()))
    assert not problems, "\n".join(problems)
