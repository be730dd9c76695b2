"""The compiled functions' library (pyspec/engines/compiled/library.py): the
module compiled ahead of time, its declared types, the checks of its
calls, and numba's JIT where it cannot be built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

from pyspec import load  # noqa: E402
from pyspec.engines.compiled import library as libmod  # noqa: E402
from pyspec.engines.compiled import search  # noqa: E402
from pyspec.engines.embedded import check, check_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _searches() -> list:
    """Reports of searches that call every entry point: invariants (one
    violated: pending states, first_failing), symmetry with a projected
    message set (images, the set table), a liveness check with fairness
    (the graph's components), a step memo past the size where it drops
    its keys (step_memo_rehash)."""
    out = []
    out += check_model(load(str(ROOT / "spec/kvm/v2.pyspec")), "small", engine="compiled")
    out += check_model(load(str(ROOT / "spec/corpus/multi_paxos.pyspec")), "one_write", engine="compiled")
    out.append(check(load(str(ROOT / "spec/kvm/v3.pyspec")), "live", property="EventuallyRam", engine="compiled"))
    return out


def test_the_declared_types_are_those_numba_infers_from_the_driver(monkeypatch):
    """Every entry point, called by real searches through numba's JIT,
    was compiled for exactly the signature the library declares (the
    built module's wrappers do not check types: the declarations must be
    right, and its calls are checked against them)."""
    from numba.core import sigutils

    jit = libmod._jit_library(None)
    monkeypatch.setattr(libmod, "_LIBRARY", jit)
    monkeypatch.setattr(search, "STEP_KEYS_MAX", 16)  # the step memo drops its keys: step_memo_rehash
    reports = _searches()
    assert all(r.verdict in ("ok", "violated") for r in reports)
    for names in libmod.ENTRY_POINTS.values():
        for name in names:
            f = getattr(jit, name)
            import inspect

            params = list(inspect.signature(f.py_func).parameters)
            declared, _ = sigutils.normalize_signature(libmod.signature(params, name))
            assert f.signatures, f"{name} was never called: the searches above must cover it"
            assert set(f.signatures) == {tuple(declared)}, name


def test_every_parameter_of_an_entry_point_has_one_declared_type():
    import inspect

    for names in libmod.ENTRY_POINTS.values():
        for name in names:
            params = inspect.signature(libmod._jit_function(name).py_func).parameters
            assert set(params) <= set(libmod.PARAM_TYPES), name


def test_a_call_whose_arguments_do_not_fit_goes_to_the_jit():
    """The built module's wrappers would read an int64 array as uint64
    words, or a column of a 2-D array as a row: such a call is sent to
    numba's dispatcher (which types it, and compiles for it) instead."""
    calls = []
    lib = libmod.Library("aot")
    fast = libmod._checked(lib, "set_find", lambda *a: calls.append(a) or 7,
                           tuple(libmod._parse(libmod.PARAM_TYPES[p])
                                 for p in ("a", "n", "sel", "soff", "stab", "sctl")))
    sel, soff, stab, sctl = (np.zeros(4, np.uint32), np.zeros(2, np.int64), np.zeros(8, np.int32),
                             np.array([0, 0, 3, 0], np.int64))
    a = np.zeros(2, np.uint32)
    assert fast(a, 2, sel, soff, stab, sctl) == 7 and lib.mismatches == 0
    ro = np.zeros(2, np.uint32)
    ro.flags.writeable = False
    for bad in (a.astype(np.int64), np.zeros((2, 2), np.uint32)[:, 0], ro):
        r = fast(bad, 2, sel, soff, stab, sctl)  # the JIT's answer: the table is empty
        assert r == -1
    with pytest.raises(Exception, match="(?i)typing"):  # numba cannot type it: no silent misreading
        fast(a.reshape(1, 2), 2, sel, soff, stab, sctl)
    fast(a, 2.0, sel, soff, stab, sctl)  # (numba types a float count; pycc's wrapper would not be asked)
    assert lib.mismatches == 5 and len(calls) == 1


def test_type_strings_parse_to_checks():
    assert libmod._parse("u8[:, ::1]") == ("a", np.dtype(np.uint64), 2)
    assert libmod._parse("i4[::1]") == ("a", np.dtype(np.int32), 1)
    assert libmod._parse("i8") == "i" and libmod._parse("b1") == "b"
    t = libmod._parse(libmod.PARAM_TYPES["simg"])
    assert len(t) == 3 and len(t[0]) == 7 and t[1] == ("a", np.dtype(np.int32), 2)


_PROBE = """
import json, sys
from pyspec import load
from pyspec.engines.embedded import check_model
from pyspec.engines.compiled.library import library
reports = check_model(load(sys.argv[1]), sys.argv[2], engine="compiled")
lib = library()
print(json.dumps({"kind": lib.kind, "note": lib.note, "mismatches": lib.mismatches,
                  "numba": "numba" in sys.modules,
                  "reports": [[r.property, r.verdict, r.distinct_states] for r in reports]}))
"""


def _probe(path: str, model: str, env: dict | None = None) -> dict:
    p = subprocess.run([sys.executable, "-c", _PROBE, path, model], capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_a_compiled_search_runs_without_numba_once_the_module_is_built():
    """The built module is what a process uses (numba's start-up, 0.45 s
    of v2 big's run, is not paid: numba is not even imported), and it
    finds what numba's JIT finds, on models that use every part of the
    loop (invariants, symmetry with a message set)."""
    for path, model in (("spec/kvm/v2.pyspec", "small"), ("spec/corpus/multi_paxos.pyspec", "one_write")):
        aot = _probe(path, model)
        if aot["kind"] != "aot":
            pytest.skip(f"the module cannot be built here: {aot['note']}")
        assert not aot["numba"] and aot["mismatches"] == 0
        jit = _probe(path, model, env=dict(os.environ, PYSPEC_COMPILED="jit"))
        assert jit["kind"] == "jit" and jit["numba"] and jit["note"] is None
        assert aot["reports"] == jit["reports"]


def test_without_a_c_compiler_numba_compiles_the_loop(tmp_path):
    """Where the module cannot be built (here: no C compiler on PATH),
    the search runs with numba's JIT, and the library says why; the
    failure is recorded, so that the next process does not pay a build
    that fails again (here: not tried, though a compiler is back)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python")
    env = dict(os.environ, PATH=str(bin_dir), CC="/nonexistent/cc")
    probe = _PROBE.replace("from pyspec.engines.compiled.library import library",
                           "from pyspec.engines.compiled import library as L\n"
                           "L._folder = lambda: __import__('pathlib').Path(sys.argv[3])\nlibrary = L.library")
    p = subprocess.run([sys.executable, "-c", probe, "spec/kvm/v1.pyspec", "small", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["kind"] == "jit" and "could not be compiled ahead of time" in out["note"]
    assert all(v in ("ok", "violated") for _, v, _ in out["reports"])
    assert not list(tmp_path.glob("pyspec_compiled_*.so"))
    [failed] = tmp_path.glob("pyspec_compiled_*.failed")
    p = subprocess.run([sys.executable, "-c", probe, "spec/kvm/v1.pyspec", "small", str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    again = json.loads(p.stdout.strip().splitlines()[-1])
    assert again["kind"] == "jit" and f"delete {failed} to try the build again" in again["note"]
    assert again["reports"] == out["reports"] and not list(tmp_path.glob("pyspec_compiled_*.so"))


def test_auto_hands_over_sooner_once_the_module_is_built(monkeypatch):
    """The module's start-up is milliseconds: ``auto`` hands a search over
    after 0.05 s (HANDOVER_SECONDS); with numba's JIT (0.45 s of start-up
    at the hand-over) after 8 times that, as before the module."""
    from pyspec.engines.embedded import runner

    monkeypatch.setattr(libmod, "_LIBRARY", None)
    monkeypatch.setenv("PYSPEC_COMPILED", "jit")
    assert not libmod.ready() and runner._startup_factor() == runner.JIT_STARTUP_FACTOR
    monkeypatch.setattr(libmod, "_LIBRARY", libmod.Library("aot"))
    assert libmod.ready() and runner._startup_factor() == 1.0
    monkeypatch.setattr(libmod, "_LIBRARY", libmod.Library("jit", "no C compiler"))
    assert not libmod.ready()
    assert runner.HANDOVER_SECONDS * runner.JIT_STARTUP_FACTOR == pytest.approx(0.4)


def test_the_module_is_built_where_pyspec_compiled_dir_says(monkeypatch, tmp_path):
    monkeypatch.setenv("PYSPEC_COMPILED_DIR", str(tmp_path / "mods"))
    assert libmod._folder() == tmp_path / "mods" and (tmp_path / "mods").is_dir()
    monkeypatch.delenv("PYSPEC_COMPILED_DIR")
    assert libmod._folder() == Path(libmod.__file__).parent / "__pycache__"


def test_a_new_build_removes_the_modules_of_earlier_sources(monkeypatch, tmp_path):
    """An edit of the loop builds a module under a new name; the modules of
    the earlier sources go (a megabyte each), the new one stays."""
    for old in ("pyspec_compiled_aaaa.cpython-311-x86_64-linux-gnu.so", "pyspec_compiled_aaaa.json",
                "pyspec_compiled_aaaa.failed"):
        (tmp_path / old).write_text("")

    class Done:
        returncode, stdout, stderr = 0, "", ""

    def fake_build(argv, **kw):
        folder, name = Path(argv[-2]), argv[-1]
        (folder / f"{name}{libmod._suffix()}").write_text("")
        (folder / f"{name}.json").write_text("{}")
        return Done()

    monkeypatch.setattr(libmod.subprocess, "run", fake_build)
    assert libmod._build(tmp_path, "pyspec_compiled_bbbb") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["pyspec_compiled_bbbb.json", "pyspec_compiled_bbbb.lock", f"pyspec_compiled_bbbb{libmod._suffix()}"])
