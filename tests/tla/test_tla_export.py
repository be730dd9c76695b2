"""Export to files: the committed tla/ is up to date, writes are atomic, a
spec with errors leaves the output untouched, SANY accepts every module."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tla_helpers import SPECS, spec_paths

import pyspec.files
from pyspec.cli import main
from pyspec.commands.common import find_specs
from pyspec.commands.tla import collect
from pyspec.tla.export import output_subdir, write_atomic, write_tree

TLA_DIR = Path("tla")


def snapshot(d: Path, manifest: bool = False) -> dict[str, bytes]:
    """The files under ``d`` (without pyspec's manifest unless asked)."""
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and (manifest or p.name != pyspec.files.MANIFEST)}


def test_committed_tla_dir_is_up_to_date():
    """tla/ holds exactly what `make tla` generates; regenerate with `make tla` when this fails."""
    files, _ = collect(find_specs(["spec"]), None, ["spec"])
    assert files is not None, "a spec under spec/ does not export"
    committed = {k: v.decode("utf-8") for k, v in snapshot(TLA_DIR).items()}
    stale = sorted(k for k in files if committed.get(k) != files[k])
    extra = sorted(k for k in committed if k not in files)
    assert not stale and not extra, (f"tla/ is stale (run `make tla`): differing or missing {stale[:10]}, "
                                     f"not generated any more {extra[:10]}")


def test_output_layout_mirrors_the_spec_tree():
    assert output_subdir("spec/examples/peterson.pyspec", ["spec"]) == "examples/peterson"
    assert output_subdir("spec/examples/peterson.pyspec", []) == "examples/peterson"
    assert output_subdir("tests/tla/specs/lasso.pyspec", ["tests/tla/specs"]) == "lasso"


def test_cli_export_writes_module_and_model_files(tmp_path, capsys):
    assert main(["tla", "spec/examples/peterson.pyspec", "-o", str(tmp_path)]) == 0
    assert sorted(snapshot(tmp_path)) == ["examples/peterson/MC_two.cfg", "examples/peterson/MC_two.tla",
                                          "examples/peterson/Peterson.tla"]
    before = snapshot(tmp_path)
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.tla")}
    assert main(["tla", "spec/examples/peterson.pyspec", "-o", str(tmp_path)]) == 0
    assert snapshot(tmp_path) == before
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.tla")} == mtimes  # unchanged files untouched
    assert "0 written, 3 unchanged" in capsys.readouterr().out


def test_cli_export_one_model(tmp_path):
    assert main(["tla", "tests/tla/specs/lasso.pyspec", "--model", "invariant", "-o", str(tmp_path)]) == 0
    assert sorted(snapshot(tmp_path)) == ["lasso/Lasso.tla", "lasso/MC_invariant.cfg", "lasso/MC_invariant.tla"]


def test_spec_with_errors_leaves_output_untouched(tmp_path, capsys):
    good = tmp_path / "specs"
    good.mkdir()
    (good / "a.pyspec").write_text((SPECS / "lasso.pyspec").read_text())
    out = tmp_path / "out"
    assert main(["tla", "--all", str(good), "-o", str(out)]) == 0
    before = snapshot(out)
    (good / "b.pyspec").write_text("spec B\nvar x: int = \n")
    (good / "a.pyspec").write_text((SPECS / "lasso.pyspec").read_text().replace("LIMIT: int = 3", "LIMIT: int = 4"))
    assert main(["tla", "--all", str(good), "-o", str(out)]) == 2
    assert snapshot(out) == before
    assert "nothing written" in capsys.readouterr().err


def test_all_prunes_files_no_spec_produces_and_only_those(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.pyspec").write_text((SPECS / "lasso.pyspec").read_text())
    (specs / "b.pyspec").write_text((SPECS / "lasso.pyspec").read_text().replace("spec Lasso", "spec Other"))
    out = tmp_path / "out"
    out.mkdir()
    # files the user wrote in the output folder
    (out / "README").write_text("kept: not a generated file")
    (out / "Mine.tla").write_text("---- MODULE Mine ----\n====\n")
    (out / "b").mkdir()
    (out / "b" / "notes.cfg").write_text("mine")
    assert main(["tla", "--all", str(specs), "-o", str(out)]) == 0
    assert (out / "b" / "Other.tla").exists()
    (specs / "b.pyspec").unlink()
    assert main(["tla", "--all", str(specs), "-o", str(out)]) == 0
    assert not (out / "b" / "Other.tla").exists() and not (out / "b" / "MC_invariant.cfg").exists()
    assert (out / "README").read_text() == "kept: not a generated file"
    assert (out / "Mine.tla").exists() and (out / "b" / "notes.cfg").read_text() == "mine"
    assert (out / "a" / "Lasso.tla").exists()
    manifest = json.loads((out / pyspec.files.MANIFEST).read_text())
    assert "Mine.tla" not in manifest["files"] and "a/Lasso.tla" in manifest["files"]


def test_export_is_all_old_or_all_new_when_killed(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert main(["tla", "tests/tla/specs/lasso.pyspec", "-o", str(out)]) == 0
    old = snapshot(out, manifest=True)
    spec = tmp_path / "lasso.pyspec"
    spec.write_text((SPECS / "lasso.pyspec").read_text().replace("LIMIT: int = 3", "LIMIT: int = 4"))

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(pyspec.files, "_exchange", killed)
    monkeypatch.setattr(pyspec.files.os, "replace", killed)
    assert main(["tla", str(spec), "-o", str(out)]) == 130  # interrupted
    assert snapshot(out, manifest=True) == old
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left
    monkeypatch.undo()
    assert main(["tla", str(spec), "-o", str(out)]) == 0
    assert snapshot(out, manifest=True) != old


def test_export_refuses_an_output_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["tla", "tests/tla/specs/lasso.pyspec", "-o", str(f)]) == 2
    assert main(["tla", "tests/tla/specs/lasso.pyspec", "-o", str(f / "under")]) == 2
    assert f.read_text() == "x"
    assert "Traceback" not in capsys.readouterr().err


def test_atomic_write_replaces_through_a_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "M.tla"
    target.write_text("old")
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((Path(src).name, Path(dst).name, Path(src).read_text()))
        assert Path(dst).read_text() == "old"  # the target is intact until the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    assert write_atomic(target, "new")
    assert target.read_text() == "new"
    assert seen and seen[0][1] == "M.tla" and seen[0][0] != "M.tla" and seen[0][2] == "new"
    assert not write_atomic(target, "new")  # same bytes: nothing written


def test_interrupted_write_leaves_target_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "M.tla"
    target.write_text("old")

    def boom(*args):
        raise KeyboardInterrupt

    # a kill at the moment the new folder would be swapped in
    monkeypatch.setattr(os, "replace", boom)
    monkeypatch.setattr(pyspec.files, "_exchange", boom)
    with pytest.raises(KeyboardInterrupt):
        write_tree(tmp_path, {"M.tla": "new"})
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["M.tla"]


@pytest.mark.tlc
def test_sany_accepts_every_generated_module(tlc_tools, tmp_path):
    """Every committed module (tla/) and every test spec's modules parse and
    pass SANY's semantic checks (run with -error-codes, so errors fail)."""
    dirs = sorted({p.parent for p in TLA_DIR.rglob("*.tla")})
    for path in spec_paths():
        d = tmp_path / Path(path).stem
        assert main(["tla", path, "-o", str(d), "-q"]) == 0
        dirs.append(next(p.parent for p in d.rglob("*.tla")))
    failures = []
    for d in dirs:
        # one SANY run per directory: it stops at the first module with errors
        mods = [p.name for p in sorted(d.glob("*.tla"))]
        proc = subprocess.run(tlc_tools.command("tla2sany.SANY", "-error-codes", *mods), cwd=d,
                              capture_output=True, text=True, timeout=600)
        checked = proc.stdout.count("Semantic processing of module ")
        if proc.returncode != 0 or "*** Errors" in proc.stdout or "Fatal errors" in proc.stdout:
            failures.append(f"{d}: exit {proc.returncode}\n{proc.stdout[-2000:]}")
        elif any(f"Semantic processing of module {m[:-4]}" not in proc.stdout for m in mods):
            failures.append(f"{d}: SANY did not check every module ({checked} modules processed)")
    assert not failures, "\n\n".join(failures)
