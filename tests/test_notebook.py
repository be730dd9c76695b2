"""The notebooks under docs/notebooks/: committed as docs/gen/notebooks.py
writes them (without outputs; the TLA+ notebook's module equal to tla/),
and executed here: memslots.ipynb in a Python kernel (needs the jupyter
extra), memslots-tla.ipynb in pyspec's TLA+ kernel (also needs Java and
tla2tools.jar).  Each skips with the reason when what it needs is missing."""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path

import pytest

NOTEBOOKS = Path("docs/notebooks")
EXTRA = "the jupyter extra is not installed (make test-jupyter, or pip install 'pyspec[jupyter]')"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_notebooks", Path("docs/gen/notebooks.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_notebooks_are_generated_and_have_no_outputs():
    gen = _generator()
    for path, text in gen.build().items():
        rel = path.relative_to(gen.ROOT)
        assert path.read_text(encoding="utf-8") == text, f"{rel} is stale: run `python docs/gen/notebooks.py`"
        for cell in json.loads(text)["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, rel


def test_tla_notebook_holds_the_exported_module():
    cells = json.loads((NOTEBOOKS / "memslots-tla.ipynb").read_text(encoding="utf-8"))["cells"]
    module = Path("tla/kvm/v3/KvmMemslotsV3.tla").read_text(encoding="utf-8")
    assert "".join(cells[1]["source"]) == module.strip("\n")


def execute(path: Path, kernel: str):
    for module in ("nbclient", "nbformat", "ipykernel"):
        pytest.importorskip(module, reason=EXTRA)
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # a cell that fails raises CellExecutionError, with the cell and its error
    NotebookClient(nb, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def outputs(cell, kind: str) -> str:
    """All of a cell's output of one kind: 'stream', or a MIME type of a rich output."""
    out = []
    for o in cell.get("outputs", []):
        if kind == "stream" and o["output_type"] == "stream":
            out.append(o["text"])
        elif o["output_type"] in ("execute_result", "display_data") and kind in o["data"]:
            out.append(o["data"][kind])
    return "".join(out)


def by_id(nb, cell_id: str):
    return next(c for c in nb.cells if c.get("id") == cell_id)


def test_memslots_notebook_executes():
    nb = execute(NOTEBOOKS / "memslots.ipynb", "python3")
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error", cell.get("id")
            if o["output_type"] == "stream":
                assert o["name"] == "stdout", (cell.get("id"), o["text"])  # nothing on stderr
    # the %%pyspec cell: table and counterexample
    toy = outputs(by_id(nb, "memslots-04"), "text/html")
    assert '<table class="pyspec-table">' in toy
    assert html.escape("<cell> model untagged: invariant NoStaleAfterIoctl VIOLATED (expected: violated)") in toy
    # the verdicts of the four versions
    verdicts = outputs(by_id(nb, "memslots-08"), "stream").splitlines()
    expected = [("v1", "small", "NoStaleAfterIoctl", "violated"), ("v1", "small", "NoWrongExitWhenIdle", "violated"),
                ("patch2014", "small", "NoStaleAfterIoctl", "holds"),
                ("patch2014", "small", "NoWrongExitWhenIdle", "violated"),
                ("v2", "small", "NoStaleAfterIoctl", "holds"), ("v2", "small", "NoWrongExitWhenIdle", "violated"),
                ("v3", "small", "NoStaleAfterIoctl", "holds"), ("v3", "small", "NoWrongExitWhenIdle", "holds"),
                ("v3", "wrap", "NoWrapAlias", "violated")]
    assert [tuple(line.split()[:4]) for line in verdicts[:-1]] == expected
    assert verdicts[-1] == "every verdict as the models declare: True"
    assert "<table" in outputs(by_id(nb, "memslots-07"), "text/html")
    # a counterexample rendered
    cex = outputs(by_id(nb, "memslots-11"), "text/html")
    assert "spec/kvm/v2.pyspec model small: invariant NoWrongExitWhenIdle VIOLATED (expected: violated)" in cex
    assert "State 15: writer W5" in cex
    # the TLA+ export equals the committed one
    assert "same as tla/kvm/v3/KvmMemslotsV3.tla: True" in outputs(by_id(nb, "memslots-14"), "stream")
    # conformance: four valid runs, and the mutant caught
    runs = outputs(by_id(nb, "memslots-18"), "stream")
    assert runs.count("full observation valid, partial observation valid") == 4 and "INVALID" not in runs
    assert "trace invalid: event" in outputs(by_id(nb, "memslots-20"), "stream")


def test_tla_notebook_runs_tlc_in_the_tla_kernel(tmp_path, monkeypatch):
    pytest.importorskip("tlaplus_jupyter", reason=EXTRA)
    from pyspec.engines.tlc.jar import ToolMissing, resolve

    try:
        tools = resolve()
    except ToolMissing as e:
        pytest.skip(f"TLC not available ({str(e).splitlines()[0]}): set TLA2TOOLS_JAR and have java on PATH")
    from pyspec.cli import main

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    assert main(["jupyter", "install", "--jar", str(tools.jar)]) == 0
    nb = execute(NOTEBOOKS / "memslots-tla.ipynb", "tlaplus_jupyter")
    assert outputs(by_id(nb, "memslots-tla-03"), "stream").strip() == "{0, 2, 4, 6}"
    tlc = outputs(by_id(nb, "memslots-tla-07"), "stream")
    assert "Model checking completed. No error has been found." in tlc, tlc[-2000:]
    assert "582 distinct states found" in tlc
