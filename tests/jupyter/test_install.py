"""``pyspec jupyter install``: the kernelspec it writes (into a temporary
JUPYTER_DATA_DIR or prefix) runs pyspec's TLA+ kernel and points at the jar
pyspec resolved; without a jar, or without the jupyter extra, a message and
exit code 3; the installed kernel answers a missing jar with what to do."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from pyspec.cli import main

EXTRA = "the jupyter extra is not installed (make test-jupyter, or pip install 'pyspec[jupyter]')"


@pytest.fixture
def jupyter_dirs(tmp_path, monkeypatch):
    """Jupyter's per-user directory and pyspec's jar cache under tmp_path; no TLA2TOOLS_JAR."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TLA2TOOLS_JAR", raising=False)
    return tmp_path


@pytest.fixture
def extra():
    pytest.importorskip("tlaplus_jupyter", reason=EXTRA)
    pytest.importorskip("jupyter_client", reason=EXTRA)


@pytest.fixture
def jar(tmp_path) -> Path:
    # installing only records the path (TLC is not run), so any file stands for the jar here
    p = tmp_path / "jars" / "tla2tools.jar"
    p.parent.mkdir()
    p.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    return p


def kernel_json(d: Path) -> dict:
    return json.loads((d / "kernel.json").read_text(encoding="utf-8"))


def test_user_install_points_the_kernel_at_the_jar(extra, jupyter_dirs, jar, capsys):
    assert main(["jupyter", "install", "--jar", str(jar)]) == 0
    d = jupyter_dirs / "data" / "kernels" / "tlaplus_jupyter"
    spec = kernel_json(d)
    assert spec["env"] == {"TLA2TOOLS_JAR": str(jar.resolve())}
    assert spec["argv"] == [sys.executable, "-m", "pyspec.jupyter.tla_kernel", "-f", "{connection_file}"]
    assert spec["language"] == "tla" and (d / "kernel.js").is_file()
    out = capsys.readouterr().out
    assert f"installed the TLA+ kernel 'tlaplus_jupyter' in {d}" in out
    assert f"tla2tools.jar: {jar.resolve()} (from --jar)" in out

    from jupyter_client.kernelspec import KernelSpecManager

    assert KernelSpecManager().get_kernel_spec("tlaplus_jupyter").env["TLA2TOOLS_JAR"] == str(jar.resolve())


def test_jar_from_the_environment_and_prefix_install(extra, jupyter_dirs, jar, monkeypatch, capsys):
    monkeypatch.setenv("TLA2TOOLS_JAR", str(jar))
    prefix = jupyter_dirs / "prefix"
    assert main(["jupyter", "install", "--prefix", str(prefix), "--name", "tla-test"]) == 0
    spec = kernel_json(prefix / "share" / "jupyter" / "kernels" / "tla-test")
    assert spec["env"]["TLA2TOOLS_JAR"] == str(jar.resolve())
    assert "(from TLA2TOOLS_JAR)" in capsys.readouterr().out
    assert not (jupyter_dirs / "data").exists()


def test_jar_from_the_user_cache_and_sys_prefix(extra, jupyter_dirs, monkeypatch):
    cached = jupyter_dirs / "cache" / "pyspec" / "tla2tools.jar"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.setattr(sys, "prefix", str(jupyter_dirs / "env"))
    assert main(["jupyter", "install", "--sys-prefix"]) == 0
    spec = kernel_json(jupyter_dirs / "env" / "share" / "jupyter" / "kernels" / "tlaplus_jupyter")
    assert spec["env"]["TLA2TOOLS_JAR"] == str(cached.resolve())


def test_no_jar_says_what_to_do_and_exits_3(extra, jupyter_dirs, capsys):
    assert main(["jupyter", "install"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("pyspec: error: TLC's tla2tools.jar was not found.")
    for option in ("pass --jar PATH/TO/tla2tools.jar", "set TLA2TOOLS_JAR=PATH/TO/tla2tools.jar",
                   "run `make tla2tools`"):
        assert option in err
    assert "Traceback" not in err and not (jupyter_dirs / "data").exists()


def test_a_jar_option_naming_no_file_is_refused(extra, jupyter_dirs, capsys):
    assert main(["jupyter", "install", "--jar", str(jupyter_dirs / "nope.jar")]) == 3
    assert f"--jar names {jupyter_dirs / 'nope.jar'}, which is not a file" in capsys.readouterr().err


def test_without_the_extra_says_pip_install_and_exits_3(jupyter_dirs, jar, monkeypatch, capsys):
    # a None entry in sys.modules makes `import tlaplus_jupyter` fail, as when it is not installed
    monkeypatch.setitem(sys.modules, "tlaplus_jupyter", None)
    assert main(["jupyter", "install", "--jar", str(jar)]) == 3
    err = capsys.readouterr().err
    # (without the extra, jupyter-client and ipykernel are listed as missing too)
    assert re.search(r"the Jupyter extra is not installed \(missing: [^)]*tlaplus-jupyter\)", err), err
    assert "pip install 'pyspec[jupyter]'" in err
    assert not (jupyter_dirs / "data").exists()


def test_kernel_without_its_jar_answers_with_what_to_do(extra, jupyter_dirs, jar):
    """The real kernel process, started from the installed kernelspec: once
    its jar is gone, a cell answers with the way out instead of a traceback."""
    pytest.importorskip("ipykernel", reason=EXTRA)
    from jupyter_client.manager import start_new_kernel

    assert main(["jupyter", "install", "--jar", str(jar)]) == 0
    jar.unlink()
    km, kc = start_new_kernel(kernel_name="tlaplus_jupyter", startup_timeout=120)
    outputs = []
    try:
        reply = kc.execute_interactive("1 + 1", output_hook=outputs.append, timeout=120)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "error"
    text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert "The TLA+ kernel cannot run TLC: TLC's tla2tools.jar was not found." in text
    assert f"TLA2TOOLS_JAR names {jar.resolve()}, which is not a file" in text
    assert "pyspec jupyter install [--jar PATH]" in text and "Traceback" not in text
