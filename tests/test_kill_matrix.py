"""The fault-injection matrix: every output a command writes (an HTML
report, a TLA+ export folder, a checkpoint), every way a user stops it
(SIGINT, SIGTERM, SIGKILL), at several moments of the run.  After each kill
the output is byte for byte the old one or a whole new one, and no stray
temporary file is left once a later write has run.  `make test` runs one
moment per (output, signal); the slow test runs ten."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
FAST_DELAYS = (0.8,)
SLOW_DELAYS = (0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.4, 1.7, 2.0, 2.5)


def _snapshot(d: Path) -> dict:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _run_and_signal(argv: list[str], cwd: Path, sig: int, delay: float) -> int:
    p = subprocess.Popen([sys.executable, "-m", "pyspec", *argv], cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(sig)
    try:
        return p.wait(timeout=120)
    except subprocess.TimeoutExpired:  # a stop that does not stop is a failure too
        p.kill()
        raise


class Report:
    """`check --html report.html` over an existing report."""

    def __init__(self, d: Path):
        self.d = d
        shutil.copy(ROOT / "spec/kvm/v1.pyspec", d / "v1.pyspec")
        for dep in ("base.pyspec",):
            shutil.copy(ROOT / "spec/kvm" / dep, d / dep)
        self.page = d / "report.html"
        self.old = b"the old report"
        self.page.write_bytes(self.old)
        self.argv = ["check", "v1.pyspec", "--model", "small", "--html", "report.html"]

    def check(self) -> bool:
        now = self.page.read_bytes()
        assert now == self.old or (now.startswith(b"<!DOCTYPE html>") and now.rstrip().endswith(b"</html>")), \
            now[-200:]
        changed = now != self.old
        self.page.write_bytes(self.old)
        return changed


class Export:
    """`tla --all specs -o out` over a previous export of other specs."""

    def __init__(self, d: Path):
        self.d = d
        specs = d / "specs"
        shutil.copytree(ROOT / "spec/examples", specs)
        subprocess.run([sys.executable, "-m", "pyspec", "tla", "--all", "specs", "-o", "out", "-q"], cwd=d,
                       check=True)
        self.old = _snapshot(d / "out")
        ex = specs / "counter.pyspec"
        self.orig = ex.read_text()
        ex.write_text(self.orig.replace("count = tmp + 1", "count = tmp + 2"))
        subprocess.run([sys.executable, "-m", "pyspec", "tla", "--all", "specs", "-o", "new", "-q"], cwd=d,
                       check=True)
        self.new = _snapshot(d / "new")
        assert self.new != self.old
        self.argv = ["tla", "--all", "specs", "-o", "out", "-q"]

    def check(self) -> bool:
        now = _snapshot(self.d / "out")
        assert now in (self.old, self.new), "a mix of old and new files"
        if now == self.new:  # back to the old export for the next kill
            ex = self.d / "specs" / "counter.pyspec"
            ex.write_text(self.orig)
            shutil.rmtree(self.d / "out")
            subprocess.run([sys.executable, "-m", "pyspec", "tla", "--all", "specs", "-o", "out", "-q"],
                           cwd=self.d, check=True)
            ex.write_text(self.orig.replace("count = tmp + 1", "count = tmp + 2"))
        return now == self.new


class Checkpoint:
    """`check --checkpoint ck --checkpoint-every 0` (a checkpoint at every chance)."""

    def __init__(self, d: Path):
        self.d = d
        self.spec_path = str(ROOT / "spec/kvm/v1.pyspec")
        self.ck = d / "ck"
        self.argv = ["check", self.spec_path, "--model", "big", "--property", "NoWrapAlias", "--checkpoint",
                     str(self.ck), "--checkpoint-every", "0"]

    def check(self) -> bool:
        import pyspec
        from pyspec.engines.embedded.checkpoint import read_checkpoint
        from pyspec.engines.embedded.runner import compiled

        if not self.ck.exists():
            return False  # stopped before its first checkpoint: nothing of the user's was touched
        read_checkpoint(str(self.ck), compiled(pyspec.load(self.spec_path), "big"))  # whole, never torn
        return True


OUTPUTS = {"report": Report, "export": Export, "checkpoint": Checkpoint}


def _matrix(tmp_path: Path, output: str, sig: str, delays) -> None:
    target = OUTPUTS[output](tmp_path)
    for delay in delays:
        code = _run_and_signal(target.argv, tmp_path, SIGNALS[sig], delay)
        if sig != "SIGKILL":
            # a stop asked for is an orderly exit (130, or done before the
            # signal); only a signal in the interpreter's own start-up,
            # before pyspec runs, ends the process as the signal does
            assert code in (0, 1, 130, -SIGNALS[sig]), (output, sig, delay, code)
        target.check()
    stray = [p.name for p in tmp_path.rglob(".*.tmp")] + [p.name for p in tmp_path.rglob(".ck.*")]
    if sig != "SIGKILL":
        assert not stray, stray  # an orderly exit cleans up after itself


@pytest.mark.parametrize("sig", list(SIGNALS))
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_a_stopped_write_leaves_the_old_output_or_the_new_one(tmp_path, monkeypatch, output, sig):
    monkeypatch.chdir(tmp_path)
    _matrix(tmp_path, output, sig, FAST_DELAYS)


@pytest.mark.slow
@pytest.mark.parametrize("sig", list(SIGNALS))
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_the_whole_matrix_at_ten_moments(tmp_path, monkeypatch, output, sig):
    monkeypatch.chdir(tmp_path)
    _matrix(tmp_path, output, sig, SLOW_DELAYS)


def test_an_interrupt_caught_while_a_module_loads_still_exits_130(tmp_path):
    """A SIGTERM in the first tenth of a second (while main() imports the
    commands) is caught and main() returns 130; yet CPython exited through
    SIGINT (status -2) when the interrupt had left code run by exec() of a
    string (a dataclass's generated methods), and `python -m pyspec` showed
    that.  The slow matrix found it; this is the mechanism, deterministic."""
    pkg = tmp_path / "fake_pyspec_main"
    pkg.mkdir()
    (pkg / "__main__.py").write_text(
        "from pyspec import cli\n"
        "def main():\n"
        "    try:\n"
        "        exec('raise KeyboardInterrupt')  # as a dataclass's __init__ is created\n"
        "    except KeyboardInterrupt:\n"
        "        return 130\n"
        "cli.main = main\n"
        "cli.run()\n")
    p = subprocess.run([sys.executable, "-m", "fake_pyspec_main"], cwd=tmp_path, capture_output=True, timeout=60)
    assert p.returncode == 130, p
