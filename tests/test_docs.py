"""Code blocks in the README and docs/ are tested, so the documentation cannot
rot.  What each block's info string asks for is listed in
docs/gen/doc_blocks.py (and docs/getting-started.md, "How the docs are
tested"):

- every ```pyspec block must lint;
- a ```pyspec check block must also meet its declared outcomes under the
  embedded engine (``fails=P,Q``: except P and Q, which must not);
- a block with ``excerpt=PATH`` must appear verbatim in PATH;
- a ```console block's commands are run again and must print the output
  shown (timings aside);
- a ```tla pluscal file=NAME.tla block, with the ```cfg file=NAME.cfg
  block of the same page, must translate (PlusCal) and pass TLC;
- a ```quint invariant=P block must typecheck with Quint and pass
  ``quint run --invariant P`` (its simulator), when a ``quint`` is found
  (``QUINT``, then PATH)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

import pyspec


def _doc_blocks():
    spec = importlib.util.spec_from_file_location("doc_blocks", Path("docs/gen/doc_blocks.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["doc_blocks"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


doc_blocks = _doc_blocks()
DOCS = doc_blocks.pages()
BLOCKS = [b for doc in DOCS for b in doc_blocks.fenced_blocks(doc)]
#: the options a block's info string may carry, by language ("*": any language)
KNOWN_OPTIONS = {"pyspec": {"check", "fails", "file"}, "tla": {"pluscal", "file"}, "quint": {"invariant", "file"},
                 "*": {"excerpt", "file"}}


def _params(blocks):
    return [pytest.param(b, id=b.where) for b in blocks]


SPEC_BLOCKS = [b for b in BLOCKS if b.lang == "pyspec" and "excerpt" not in b.options]
CHECK_BLOCKS = [b for b in SPEC_BLOCKS if b.options.get("check")]
EXCERPTS = [b for b in BLOCKS if "excerpt" in b.options]
CONSOLE_PAGES = sorted({b.doc for b in BLOCKS if b.lang == "console"})
PLUSCAL_BLOCKS = [b for b in BLOCKS if b.lang == "tla" and b.options.get("pluscal")]
QUINT_BLOCKS = [b for b in BLOCKS if b.lang == "quint" and b.options.get("invariant")]
TLC_PAGES = sorted({b.doc for b in BLOCKS if b.lang == "console"
                    and any(doc_blocks.needs_tlc(c.command) for c in doc_blocks.commands_of(b))})


@pytest.mark.parametrize("block", _params(SPEC_BLOCKS))
def test_doc_spec_block_lints(block, tmp_path):
    name = block.options.get("file") or f"{block.doc.stem}_{block.line}.pyspec"
    spec, diags = pyspec.load_with_diagnostics(str(tmp_path / name), text=block.body)
    assert spec is not None, f"{block.where}: spec block does not lint:\n{diags.render()}"


@pytest.mark.parametrize("block", _params(CHECK_BLOCKS))
def test_doc_spec_block_meets_declared_outcomes(block, tmp_path):
    from pyspec.engines.embedded import check_model
    from pyspec.report.text import meets_expectation

    spec = pyspec.load(str(tmp_path / "block.pyspec"), text=block.body)
    assert spec.models, f"{block.where}: a `pyspec check` block needs a model"
    fails = block.options.get("fails")
    want_unmet = set(fails.split(",")) if isinstance(fails, str) else set()
    unmet = set()
    for model in spec.models:
        for r in check_model(spec, model.name):
            assert r.verdict in ("ok", "violated"), f"{block.where}: {model.name} {r.property}: {r.message}"
            if not meets_expectation(r):
                unmet.add(r.property)
    assert unmet == want_unmet, (f"{block.where}: properties not meeting their declared outcome: "
                                 f"{sorted(unmet) or 'none'}; the block says {sorted(want_unmet) or 'none'}")


@pytest.mark.parametrize("block", _params(EXCERPTS))
def test_doc_excerpt_is_in_its_file(block):
    path = Path(block.options["excerpt"])
    assert path.is_file(), f"{block.where}: excerpt of {path}, which does not exist"
    assert block.body in path.read_text(encoding="utf-8"), f"{block.where}: not (any more) an excerpt of {path}"


@pytest.mark.parametrize("block", _params(BLOCKS))
def test_doc_block_options_are_known(block):
    known = KNOWN_OPTIONS.get(block.lang, set()) | KNOWN_OPTIONS["*"]
    unknown = set(block.options) - known
    assert not unknown, f"{block.where}: unknown option(s) {sorted(unknown)} for a `{block.lang}` block"
    if "fails" in block.options:
        assert block.options.get("check"), f"{block.where}: fails= needs check"


def _assert_outputs_current(commands):
    changed = [c for c in commands if c.changed]
    assert not changed, "\n\n".join(
        f"{c.block.where}: `{c.command}` now prints:\n{c.got}\n"
        "(`python docs/gen/doc_blocks.py --write` updates the page)" for c in changed)


@pytest.mark.parametrize("doc", CONSOLE_PAGES, ids=str)
def test_doc_console_output_is_current(doc):
    commands = doc_blocks.run_page(doc, lambda command: not doc_blocks.needs_tlc(command))
    assert commands
    _assert_outputs_current(commands)


@pytest.mark.tlc
@pytest.mark.parametrize("doc", TLC_PAGES, ids=str)
def test_doc_console_output_of_tlc_is_current(doc):
    missing = doc_blocks.tlc_missing()
    if missing:
        pytest.skip(f"TLC not available: {missing}")
    _assert_outputs_current(doc_blocks.run_page(doc, doc_blocks.needs_tlc))


@pytest.mark.tlc
@pytest.mark.parametrize("block", _params(PLUSCAL_BLOCKS))
def test_doc_pluscal_block_translates_and_passes_tlc(block, tmp_path):
    import subprocess

    from pyspec.engines.tlc.jar import ToolMissing, resolve

    try:
        tools = resolve()
    except ToolMissing as e:
        pytest.skip(f"TLC not available: {str(e).splitlines()[0]}")
    module = block.options.get("file")
    assert isinstance(module, str) and module.endswith(".tla"), f"{block.where}: a pluscal block needs file=NAME.tla"
    cfg_name = module.removesuffix(".tla") + ".cfg"
    cfg = [b for b in doc_blocks.fenced_blocks(block.doc) if b.options.get("file") == cfg_name]
    assert cfg, f"{block.where}: no block with file={cfg_name} on the page"
    (tmp_path / module).write_text(block.body, encoding="utf-8")
    (tmp_path / cfg_name).write_text(cfg[0].body, encoding="utf-8")
    for main, args in (("pcal.trans", ["-nocfg", module]),
                       ("tlc2.TLC", ["-config", cfg_name, "-workers", "1", "-metadir", "states", module])):
        done = subprocess.run(tools.command(main, *args), cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{block.where}: {main} failed:\n{done.stdout}\n{done.stderr}"
    assert "Model checking completed. No error has been found." in done.stdout


def _quint() -> str:
    import os
    import shutil

    exe = os.environ.get("QUINT") or shutil.which("quint")
    if not exe:
        pytest.skip("quint not found (npm install @informalsystems/quint, then put it on PATH or set QUINT)")
    return exe


def _quint_run(exe: str, path: Path, invariant: str):
    import subprocess

    # the TypeScript simulator: the default Rust one downloads its evaluator
    # on first use; seeded, so the run is reproducible
    return subprocess.run([exe, "run", "--backend", "typescript", "--invariant", invariant, "--max-samples", "300",
                           "--max-steps", "30", "--seed", "1", str(path)],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("block", _params(QUINT_BLOCKS))
def test_doc_quint_block_typechecks_and_its_invariant_survives_simulation(block, tmp_path):
    import subprocess

    exe = _quint()
    path = tmp_path / (block.options.get("file") or "doc.qnt")
    path.write_text(block.body, encoding="utf-8")
    done = subprocess.run([exe, "typecheck", str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{block.where}: quint typecheck failed:\n{done.stdout}\n{done.stderr}"
    done = _quint_run(exe, path, block.options["invariant"])
    assert done.returncode == 0 and "[ok] No violation found" in done.stdout, \
        f"{block.where}: quint run found a violation or failed:\n{done.stdout}\n{done.stderr}"


def test_coming_from_lock_without_its_guard_fails_in_quint_and_in_pyspec(tmp_path):
    """The Quint and pyspec versions of docs/coming-from.md agree on a bug:
    without the test of ``locked`` both lose mutual exclusion (so the
    simulation above is not vacuous)."""
    from pyspec.engines.embedded import check

    page = Path("docs/coming-from.md")
    blocks = doc_blocks.fenced_blocks(page)
    spec_block = next(b for b in blocks if b.lang == "pyspec" and "spec Lock" in b.body)
    assert "            await not locked\n" in spec_block.body
    spec = pyspec.load(str(tmp_path / "lock.pyspec"), text=spec_block.body.replace("            await not locked\n", ""))
    assert check(spec, "two", property="MutualExclusion").verdict == "violated"
    exe = _quint()
    quint_block = next(b for b in blocks if b.lang == "quint")
    assert "    not(locked),\n" in quint_block.body
    path = tmp_path / "lock_bad.qnt"
    path.write_text(quint_block.body.replace("    not(locked),\n", ""), encoding="utf-8")
    done = _quint_run(exe, path, "MutualExclusion")
    assert done.returncode == 1 and "[violation]" in done.stdout, f"{done.stdout}\n{done.stderr}"


#: pages whose links and file paths must all resolve (the guides; reference
#: pages generated from other sources are tested by their generators)
GUIDES = [Path(p) for p in ("README.md", "docs/getting-started.md", "docs/tutorial.md", "docs/coming-from.md",
                            "docs/architecture.md", "docs/cli.md")]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
REPO_PATH = re.compile(r"`((?:pyspec|spec|tests|docs|tla|bench)/[\w./-]+)`")


@pytest.mark.parametrize("doc", GUIDES, ids=str)
def test_links_and_repository_paths_of_a_guide_resolve(doc):
    text = doc.read_text(encoding="utf-8")
    for m in LINK.finditer(text):
        if "://" not in m.group(1):
            assert (doc.parent / m.group(1)).exists(), f"{doc}: broken link {m.group(1)}"
    for m in REPO_PATH.finditer(text):
        assert Path(m.group(1)).exists(), f"{doc}: names {m.group(1)}, which does not exist"


def test_readme_example_is_the_counter_example():
    block = next(b for b in doc_blocks.fenced_blocks(Path("README.md")) if b.lang == "pyspec")
    assert block.body == Path("spec/examples/counter.pyspec").read_text(encoding="utf-8")


def test_language_page_lists_every_reserved_word():
    """docs/language.md's list is the grammar's words and the checker's."""
    from pyspec.language.parser import keywords
    from pyspec.language.scope import KEYWORDS

    page = Path("docs/language.md").read_text(encoding="utf-8")
    listed = re.search(r"<!-- reserved-words -->\n(.*?)\n<!-- /reserved-words -->", page, re.S).group(1)
    words = {w.strip("`") for w in listed.split(", ")}
    assert words == set(keywords()) | set(KEYWORDS)
