"""The cache of loaded specs (pyspec/language/load_cache.py) and the
pre-run widths cached beside them (pyspec/compile/model.py): a hit gives
what a real load gives, without lark; a change of any file read is a miss; a damaged or
foreign entry is ignored; PYSPEC_NO_CACHE=1 turns them off.  Every test
points XDG_CACHE_HOME at a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.language import load_cache, load_with_diagnostics, loader

ROOT = Path(__file__).resolve().parents[2]
NBACG = str(ROOT / "spec/corpus/nbacg_guer01.pyspec")
WARN = "tests/language/warn/02_unused_variable.pyspec"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PYSPEC_NO_CACHE", raising=False)
    return tmp_path / "xdg" / "pyspec" / "specs"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def no_real_load(monkeypatch):
    """Any load from here on that parses a file fails the test."""
    def boom(*a, **k):
        raise AssertionError("the spec was parsed: expected a cache hit")

    monkeypatch.setattr(loader, "load_units", boom)


def test_a_hit_gives_an_equal_spec_without_parsing(monkeypatch, private_cache):
    spec, diags = load_with_diagnostics(NBACG)
    assert spec is not None and len(entries(private_cache)) == 1
    no_real_load(monkeypatch)
    again, diags2 = load_with_diagnostics(NBACG)
    assert again == spec and again is not spec
    assert repr(again) == repr(spec) and diags2.render() == diags.render()


def test_a_hit_does_not_import_lark_or_the_checker(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("PYSPEC_NO_CACHE", None)
    code = ("import sys, pyspec; s = pyspec.load(sys.argv[1]); "
            "print('lark' in sys.modules, 'pyspec.language.checker' in sys.modules, hash(repr(s)))")

    def run(**extra):
        p = subprocess.run([sys.executable, "-c", code, NBACG], capture_output=True, text=True,
                           env=dict(env, **extra), cwd=ROOT, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout.split()

    first = run(PYTHONHASHSEED="0")
    assert first[:2] == ["True", "True"]
    second = run(PYTHONHASHSEED="0")
    assert second[:2] == ["False", "False"]
    assert second[2] == first[2]  # the same IR


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


BASE = """\
spec Base

const N: int = {n}
var x: int = 0
"""

TOP = """\
spec Top

extends base

action Inc:
    await x < N
    x = x + 1

invariant Small: x <= N

model m:
    check Small: holds
"""


def project(folder: Path, n: int = 2) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "base.pyspec", BASE.format(n=n))
    write(folder / "top.pyspec", TOP)
    return str(folder / "top.pyspec")


def n_of(spec) -> str:
    return next(repr(c) for c in spec.consts if c.name == "N")


def test_editing_an_extended_file_misses(tmp_path, monkeypatch):
    top = project(tmp_path / "p")
    first = pyspec.load(top)
    write(tmp_path / "p" / "base.pyspec", BASE.format(n=3))
    second = pyspec.load(top)
    assert n_of(first) != n_of(second) and "3" in n_of(second)
    no_real_load(monkeypatch)
    assert pyspec.load(top) == second  # and that one is cached in turn


def test_editing_the_spec_misses(tmp_path):
    top = project(tmp_path / "p")
    first = pyspec.load(top)
    write(tmp_path / "p" / "top.pyspec", TOP.replace("x <= N", "x <= N + 1"))
    assert pyspec.load(top) != first


def test_a_new_file_earlier_on_the_search_path_misses(tmp_path):
    # base.pyspec is found on the search path; then one appears next to top.pyspec
    lib = tmp_path / "lib"
    lib.mkdir()
    write(lib / "base.pyspec", BASE.format(n=2))
    here = tmp_path / "here"
    here.mkdir()
    write(here / "top.pyspec", TOP)
    top = str(here / "top.pyspec")
    first = pyspec.load(top, search_path=(str(lib),))
    write(here / "base.pyspec", BASE.format(n=5))
    second = pyspec.load(top, search_path=(str(lib),))
    assert "5" in n_of(second) and n_of(first) != n_of(second)


def test_a_damaged_entry_is_ignored(private_cache):
    spec = pyspec.load(NBACG)
    for junk in (b"", b"not a pickle", b"\x80\x05garbage", b"\x80\x04K\x01."):
        for e in entries(private_cache):
            e.write_bytes(junk)
        assert pyspec.load(NBACG) == spec
    # half an entry: the header, then nothing
    e = entries(private_cache)[0]
    e.write_bytes(e.read_bytes()[:200])
    assert pyspec.load(NBACG) == spec


def loads_really(monkeypatch) -> bool:
    """Does loading NBACG again parse it (no hit)?"""
    calls = []
    real = loader.load_units
    monkeypatch.setattr(loader, "load_units", lambda *a, **k: calls.append(1) or real(*a, **k))
    pyspec.load(NBACG)
    return bool(calls)


def test_an_entry_others_can_write_is_ignored(monkeypatch, private_cache):
    pyspec.load(NBACG)
    for e in entries(private_cache):
        os.chmod(e, 0o666)
    assert loads_really(monkeypatch)


def test_warnings_print_the_same_from_the_cache(monkeypatch):
    spec, diags = load_with_diagnostics(WARN)
    assert spec is not None and diags.warnings
    no_real_load(monkeypatch)
    spec2, diags2 = load_with_diagnostics(WARN)
    assert spec2 == spec and diags2.render() == diags.render() and diags2.items == diags.items


def test_lint_output_is_the_same_cold_warm_and_off(tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("PYSPEC_NO_CACHE", None)
    args = [sys.executable, "-m", "pyspec", "lint", "tests/language/warn", "spec/corpus/nbacg_guer01.pyspec"]

    def run(**extra):
        p = subprocess.run(args, capture_output=True, text=True, env=dict(env, **extra), cwd=ROOT, timeout=120)
        return p.returncode, p.stdout, p.stderr

    off = run(PYSPEC_NO_CACHE="1")
    assert not (tmp_path / "xdg" / "pyspec" / "specs").exists() or not list(
        (tmp_path / "xdg" / "pyspec" / "specs").glob("*.pickle"))
    cold = run()
    warm = run()
    assert "warning" in off[2]
    assert off == cold == warm


def test_the_env_var_turns_it_off(monkeypatch, private_cache):
    monkeypatch.setenv("PYSPEC_NO_CACHE", "1")
    pyspec.load(NBACG)
    assert entries(private_cache) == []
    assert loads_really(monkeypatch)


def test_text_loads_are_not_cached(private_cache):
    text = Path(NBACG).read_text(encoding="utf-8")
    assert pyspec.load(NBACG, text=text) is not None
    assert entries(private_cache) == []


def test_specs_with_errors_are_not_cached(tmp_path, private_cache):
    bad = tmp_path / "bad.pyspec"
    write(bad, "spec Bad\n\nvar x: int = y\n")
    spec, diags = load_with_diagnostics(str(bad))
    assert spec is None and diags.errors
    assert entries(private_cache) == []


def test_the_cache_keeps_the_newest_entries(tmp_path, monkeypatch, private_cache):
    monkeypatch.setattr(load_cache, "KEEP", 3)
    for i in range(5):
        project(tmp_path / f"p{i}", n=i + 1)
        pyspec.load(str(tmp_path / f"p{i}" / "top.pyspec"))
    assert len(entries(private_cache)) == 3
    assert not list(private_cache.glob(".tmp-*"))


def test_the_prerun_widths_come_from_the_cache(monkeypatch):
    import pyspec.compile.model as model
    from pyspec.compile import compile_model

    calls = []
    real = model._prerun_bfs
    monkeypatch.setattr(model, "_prerun_bfs", lambda *a: calls.append(1) or real(*a))
    cm = compile_model(pyspec.load(NBACG), "original")
    assert calls == [1]
    again = compile_model(pyspec.load(NBACG), "original")
    assert calls == [1]  # no pre-run: its widths were cached with the spec
    assert [(s.name, s.off, s.width) for s in again.slots] == [(s.name, s.off, s.width) for s in cm.slots]
    assert again.layout.bits == cm.layout.bits
    assert sorted(again.initial_states()) == sorted(cm.initial_states())
    # without the cache: the same layout, from a pre-run
    monkeypatch.setenv("PYSPEC_NO_CACHE", "1")
    fresh = compile_model(pyspec.load(NBACG), "original")
    assert calls == [1, 1] and fresh.layout.bits == cm.layout.bits
