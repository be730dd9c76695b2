"""Spec blocks in the README and docs/ are real specs: each ```pyspec block
must lint cleanly, so the documentation cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pyspec

DOCS = [Path("README.md"), *sorted(Path("docs").rglob("*.md"))]
FENCE = re.compile(r"^```pyspec\n(.*?)^```", re.S | re.M)


def spec_blocks():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text[: m.start()].count("\n") + 2
            yield pytest.param(doc, line, m.group(1), id=f"{doc}:{line}")


@pytest.mark.parametrize("doc,line,text", list(spec_blocks()))
def test_doc_spec_block_lints(doc, line, text, tmp_path):
    spec, diags = pyspec.load_with_diagnostics(str(tmp_path / f"{doc.stem}_{line}.pyspec"), text=text)
    assert spec is not None, f"{doc}:{line}: spec block does not lint:\n{diags.render()}"


def test_readme_example_is_the_counter_example():
    block = next(FENCE.finditer(Path("README.md").read_text(encoding="utf-8"))).group(1)
    assert block == Path("spec/examples/counter.pyspec").read_text(encoding="utf-8")
