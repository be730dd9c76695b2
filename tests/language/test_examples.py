"""Every spec under spec/ loads, matches its golden IR, and round-trips
through the pretty-printer to an equal IR."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

import pyspec
from pyspec.ir.dump import dump
from pyspec.printer import format_spec

SPECS = sorted(str(p) for p in Path("spec").rglob("*.pyspec"))
EXAMPLES = sorted(str(p) for p in Path("spec/examples").glob("*.pyspec"))
GOLDEN = Path("tests/language/golden")


def golden_path(spec_path: str) -> Path:
    return GOLDEN / (spec_path.replace("/", "__").removesuffix(".pyspec") + ".ir")


@pytest.mark.parametrize("path", SPECS)
def test_spec_loads_without_errors(path):
    spec, diags = pyspec.load_with_diagnostics(path)
    assert spec is not None, diags.render()
    assert not diags.errors


@pytest.mark.parametrize("path", EXAMPLES)
def test_example_matches_golden_ir(path):
    """The IR of each example is pinned; regenerate with UPDATE_GOLDEN=1."""
    text = dump(pyspec.load(path))
    gp = golden_path(path)
    if os.environ.get("UPDATE_GOLDEN") or not gp.exists():
        gp.parent.mkdir(parents=True, exist_ok=True)
        gp.write_text(text, encoding="utf-8")
    assert text == gp.read_text(encoding="utf-8"), f"IR of {path} changed; UPDATE_GOLDEN=1 to accept"


@pytest.mark.parametrize("path", SPECS)
def test_round_trip_through_printer(path, tmp_path):
    spec = pyspec.load(path)
    printed = format_spec(spec)
    # (a spec imported with `import x as A`, for a refinement, is found next to the original)
    again = pyspec.load(str(tmp_path / "printed.pyspec"), text=printed, search_path=(str(Path(path).parent),))
    same = dataclasses.replace(again, path=spec.path, files=spec.files)
    assert same == spec
    # printing is a fixed point
    assert format_spec(again) == printed


def test_golden_files_have_a_spec():
    """No stale golden file outlives its example."""
    expected = {golden_path(p).name for p in EXAMPLES}
    assert {p.name for p in GOLDEN.glob("*.ir")} <= expected
