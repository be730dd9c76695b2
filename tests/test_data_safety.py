"""Nothing a user owns is lost: outputs are written atomically, never over
an input, and the temporary files of killed writes are cleaned up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pyspec
import pyspec.files
from pyspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
COUNTER = ROOT / "spec/examples/counter.pyspec"


@pytest.fixture
def spec_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "counter.pyspec"
    p.write_text(COUNTER.read_text())
    (tmp_path / "base.pyspec").write_text("spec Base\nvar x: int = 0\n")
    return p


@pytest.mark.parametrize("argv", [
    ["check", "counter.pyspec", "--html", "counter.pyspec"],
    ["check", "counter.pyspec", "--html", "./counter.pyspec"],
    ["check", "counter.pyspec", "--checkpoint", "counter.pyspec"],
    ["simulate", "counter.pyspec", "--html", "counter.pyspec"],
    ["graph", "counter.pyspec", "-o", "counter.pyspec"],
    ["check", "counter.pyspec", "--html", "base.pyspec"],  # any spec file (one it extends, say)
])
def test_an_output_over_an_input_is_refused(spec_copy, argv, capsys):
    before = spec_copy.read_bytes()
    assert main(argv) == 2
    assert spec_copy.read_bytes() == before
    assert (spec_copy.parent / "base.pyspec").read_text().startswith("spec Base")
    err = capsys.readouterr().err
    assert err.startswith("pyspec: error: ") and "Traceback" not in err


def test_checkpoint_may_be_the_file_it_recovers_from(spec_copy):
    args = ["check", "counter.pyspec", "--model", "race", "--checkpoint", "ck", "--checkpoint-every", "0"]
    assert main(args) == 0
    assert main(args + ["--recover", "ck"]) == 0


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_html_report_is_replaced_atomically(spec_copy, monkeypatch, command):
    page = spec_copy.parent / "report.html"
    page.write_text("the old report")

    def killed(src, dst):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(pyspec.files.os, "replace", killed)
        assert main([command, "counter.pyspec", "--html", "report.html"]) == 130
    assert page.read_text() == "the old report"
    assert sorted(p.name for p in spec_copy.parent.iterdir()) == ["base.pyspec", "counter.pyspec", "report.html"]
    assert main([command, "counter.pyspec", "--html", "report.html"]) in (0, 1)
    assert page.read_text().startswith("<!DOCTYPE html>")


def test_sigkill_while_writing_the_report_keeps_the_old_one(spec_copy):
    """A real kill, at many moments of the write: the page is the old one or
    the new one, byte for byte, never a truncated one."""
    page = spec_copy.parent / "report.html"
    page.write_text("the old report")
    proc = subprocess.run([sys.executable, "-m", "pyspec", "check", "counter.pyspec", "--html", "new.html"],
                          capture_output=True, cwd=spec_copy.parent)
    new = (spec_copy.parent / "new.html").read_bytes()
    old = page.read_bytes()
    seen = set()
    for delay in (0.3, 0.5, 0.7, 0.9, 1.1, 1.3):
        p = subprocess.Popen([sys.executable, "-m", "pyspec", "check", "counter.pyspec", "--html", "report.html"],
                             cwd=spec_copy.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = page.read_bytes()
        # the old page or a whole new one (its timings differ from `new`'s)
        assert now == old or (now.startswith(new[:15]) and now.endswith(b"</html>\n")), now[-200:]
        seen.add(now == old)
        page.write_bytes(old)
    assert proc.returncode == 0


def test_temporary_files_of_killed_writes_are_removed(tmp_path):
    target = tmp_path / "report.html"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".report.html.{dead.pid}-deadbeef.tmp"
    stale.write_text("half a page")
    mine = tmp_path / f".report.html.{os.getpid()}-cafecafe.tmp"
    mine.write_text("being written by a live process")
    pyspec.files.write_atomic(target, "page")
    assert target.read_text() == "page"
    assert not stale.exists()
    assert mine.exists()  # a live writer's file is left alone


def test_output_under_a_file_or_on_a_full_disk_is_bad_input(spec_copy, capsys):
    (spec_copy.parent / "afile").write_text("x")
    for argv in (["check", "counter.pyspec", "--html", "afile/under.html"],
                 ["graph", "counter.pyspec", "-o", "afile/g.dot"],
                 ["check", "counter.pyspec", "--checkpoint", "afile/ck"],
                 ["tla", "counter.pyspec", "-o", "afile"]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err and "internal error" not in err, (argv, err)
    if Path("/dev/full").exists():
        code = main(["check", "counter.pyspec", "--html", "/dev/full"])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err, err
        assert Path("/dev/full").is_char_device()  # written to, never replaced


def _start(argv, cwd, **kw):
    return subprocess.Popen([sys.executable, "-m", "pyspec", *argv], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("workers,background", [("1", False), ("2", False), ("1", True), ("2", True)])
def test_sigterm_writes_the_checkpoint_as_ctrl_c_does(tmp_path, workers, background):
    """Also in a background job (Ctrl-C ignored, inherited by the command):
    the workers then finished no level and wrote no checkpoint, because
    the SIGTERM interrupted them in the middle of one."""
    ck = tmp_path / "ck"
    # v2's big3 (63 million states): v1's (6 million) can end, compiled,
    # before the first progress line
    spec = str(ROOT / "spec/kvm/v2.pyspec")
    ignore_ctrl_c = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if background else None
    p = _start(["check", spec, "--model", "big3", "--property", "NoWrapAlias", "--checkpoint", str(ck),
                "--workers", workers] + (["--engine", "python"] if workers != "1" else []), tmp_path,
               preexec_fn=ignore_ctrl_c)
    # signal once the search runs (its first progress line, after a few
    # seconds of search), however slow the start-up on a loaded machine
    first = p.stderr.readline()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=300)
    err = first + err
    assert p.returncode == 130, err
    assert ck.exists(), (first, err)  # (what the run printed, if it wrote none)
    assert ck.read_bytes().startswith(b"PYSPEC-CHECKPOINT\n"), err
    assert "Traceback" not in err
    assert [q.name for q in tmp_path.iterdir() if q.name.endswith(".tmp")] == []


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


@pytest.mark.skipif(not os.environ.get("TLA2TOOLS_JAR"), reason="TLA2TOOLS_JAR not set: TLC needed")
def test_sigterm_to_pyspec_tlc_stops_java(tmp_path):
    spec = str(ROOT / "spec/kvm/v1.pyspec")
    p = _start(["tlc", spec, "--model", "big3", "--property", "NoWrapAlias"], tmp_path)
    java = []
    for _ in range(100):
        time.sleep(0.1)
        java = _children(p.pid)
        if java:
            break
    assert java, "TLC did not start"
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=60)
    assert p.returncode == 130
    time.sleep(0.5)
    assert not [j for j in java if Path(f"/proc/{j}").exists() and "zombie" not in
                (Path(f"/proc/{j}/status").read_text() if Path(f"/proc/{j}/status").exists() else "")], \
        "TLC's java is still running"


def test_an_empty_trace_is_bad_input(tmp_path, capsys):
    t = tmp_path / "empty.jsonl"
    t.write_text("")
    assert main(["validate", str(COUNTER), str(t)]) == 2
    assert "the trace is empty" in capsys.readouterr().err


def test_an_adapter_without_the_methods_replay_needs_is_bad_input(tmp_path, capsys, monkeypatch):
    report = tmp_path / "r.json"
    code = main(["check", str(COUNTER), "--model", "race", "--property", "BothCounted", "--json"])
    report.write_text(capsys.readouterr().out)
    assert code == 0
    (tmp_path / "adapter.py").write_text("class NotAnAdapter:\n    def perform(self, step):\n        pass\n")
    code = main(["replay", str(report), "--adapter", f"{tmp_path / 'adapter.py'}:NotAnAdapter"])
    err = capsys.readouterr().err
    assert code == 2 and "without reset(), observe()" in err


def _snapshot(d: Path) -> dict:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_sigkill_during_the_export_leaves_the_old_folder_or_the_new_one(tmp_path, monkeypatch):
    """`pyspec tla --all spec -o out` killed at several moments: `out` is
    byte for byte the old export or the new one."""
    monkeypatch.chdir(tmp_path)  # paths in the generated comments: as the killed runs write them
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "spec", specs)
    out = tmp_path / "out"
    assert main(["tla", "--all", "specs", "-o", "out", "-q"]) == 0
    old = _snapshot(out)
    # a change to one spec: the new export differs in a few files
    ex = specs / "examples" / "counter.pyspec"
    ex.write_text(ex.read_text().replace("count = tmp + 1", "count = tmp + 2"))
    new_dir = tmp_path / "new"
    assert main(["tla", "--all", "specs", "-o", "new", "-q"]) == 0
    new = _snapshot(new_dir)
    assert new != old
    outcomes = set()
    for delay in (0.2, 0.5, 0.8, 1.1, 1.4, 1.8, 2.5):
        p = subprocess.Popen([sys.executable, "-m", "pyspec", "tla", "--all", "specs", "-o", "out", "-q"],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = _snapshot(out)
        assert now in (old, new), f"killed after {delay}s: a mix of old and new files"
        outcomes.add(now == new)
        if now == new:  # back to the old export for the next kill
            shutil.rmtree(out)
            ex.write_text(ex.read_text().replace("count = tmp + 2", "count = tmp + 1"))
            assert main(["tla", "--all", "specs", "-o", "out", "-q"]) == 0
            ex.write_text(ex.read_text().replace("count = tmp + 1", "count = tmp + 2"))
            assert _snapshot(out) == old


def test_sigkill_while_checkpointing_leaves_a_checkpoint_that_resumes(tmp_path):
    """Killed at several moments of a run that checkpoints at every
    opportunity: the file is always a whole checkpoint (the previous one or
    the next), and it resumes to the uninterrupted counts."""
    from pyspec.engines.embedded import check
    from pyspec.engines.embedded.checkpoint import read_checkpoint
    from pyspec.engines.embedded.runner import compiled

    spec_path = str(ROOT / "spec/kvm/v1.pyspec")
    spec = pyspec.load(spec_path)
    full = check(spec, "big", property="NoWrapAlias")
    ck = tmp_path / "ck"
    for delay in (0.0, 0.3, 0.6):
        p = subprocess.Popen([sys.executable, "-m", "pyspec", "check", spec_path, "--model", "big", "--property",
                              "NoWrapAlias", "--checkpoint", str(ck), "--checkpoint-every", "0"],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # kill after the run's first checkpoint (or a previous run's file is
        # there): start-up takes seconds or minutes depending on the load
        while not ck.exists() and p.poll() is None:
            time.sleep(0.05)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if ck.exists():
            read_checkpoint(str(ck), compiled(spec, "big"))  # a whole checkpoint, never a torn one
    assert ck.exists()
    resumed = check(spec, "big", property="NoWrapAlias", recover=str(ck))
    assert resumed.verdict == full.verdict and resumed.distinct_states == full.distinct_states


def test_single_spec_export_keeps_hand_written_files(spec_copy):
    """`pyspec tla SPEC -o out` (not only --all): files pyspec did not
    write, in out/ and in the spec's folder of it, survive every export,
    also one that changes or removes generated files."""
    assert main(["tla", "counter.pyspec", "-o", "out", "-q"]) == 0
    out = spec_copy.parent / "out"
    (sub,) = [d for d in out.iterdir() if d.is_dir()]
    (out / "Mine.tla").write_text("---- MODULE Mine ----\n====\n")
    (out / "notes.cfg").write_text("mine")
    (sub / "Mine.tla").write_text("---- MODULE Mine ----\n====\n")
    (sub / "notes.cfg").write_text("mine too")
    spec_copy.write_text(spec_copy.read_text().replace("count = tmp + 1", "count = tmp + 2"))
    assert main(["tla", "counter.pyspec", "-o", "out", "-q"]) == 0
    assert " + 2" in (sub / "Counter.tla").read_text()
    assert (out / "Mine.tla").read_text().startswith("---- MODULE Mine") and (out / "notes.cfg").read_text() == "mine"
    assert (sub / "Mine.tla").exists() and (sub / "notes.cfg").read_text() == "mine too"
    manifest = (out / pyspec.files.MANIFEST).read_text()
    assert "Mine.tla" not in manifest and "notes.cfg" not in manifest


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_stray_temporaries_of_a_killed_checkpoint_and_export_are_removed(spec_copy):
    """What a SIGKILL leaves (`.ck.<pid>-<random>.tmp` next to a checkpoint,
    `.out.<pid>-<random>.tmp/` next to an export folder) is removed by the
    next run writing the same output; a live writer's files are left alone."""
    d = spec_copy.parent
    pid = _dead_pid()
    stale_ck = d / f".ck.{pid}-deadbeef.tmp"
    stale_ck.write_bytes(b"PYSPEC-CHECKPOINT\nhalf")
    live_ck = d / f".ck.{os.getpid()}-cafecafe.tmp"
    live_ck.write_bytes(b"being written")
    stale_out = d / f".out.{pid}-deadbeef.tmp"
    (stale_out / "counter").mkdir(parents=True)
    (stale_out / "counter" / "Counter.tla").write_text("half an export")
    assert main(["check", "counter.pyspec", "--model", "race", "--checkpoint", "ck", "--checkpoint-every", "0"]) == 0
    assert main(["tla", "counter.pyspec", "-o", "out", "-q"]) == 0
    assert not stale_ck.exists() and not stale_out.exists()
    assert live_ck.exists()
    assert (d / "ck").read_bytes().startswith(b"PYSPEC-CHECKPOINT\n")
    assert [p.name for p in d.iterdir() if p.name.endswith(".tmp")] == [live_ck.name]


@pytest.mark.parametrize("argv,says", [
    (["check", "counter.pyspec", "--html", "afile/under.html"], "--html afile/under.html: afile is a file"),
    (["simulate", "counter.pyspec", "--html", "afile/under.html"], "--html afile/under.html: afile is a file"),
    (["graph", "counter.pyspec", "-o", "afile/g.dot"], "-o afile/g.dot: afile is a file"),
    (["check", "counter.pyspec", "--checkpoint", "afile/ck"], "--checkpoint afile/ck: afile is a file"),
    (["tla", "counter.pyspec", "-o", "afile"], "not a directory: afile"),
    (["tla", "counter.pyspec", "-o", "afile/sub"], "not a directory: afile"),  # not its temporary folder
    (["graph", "counter.pyspec", "-o", "/dev/full"], "cannot write /dev/full: No space left on device"),
    (["tla", "counter.pyspec", "-o", "/dev/full"], "not a directory: /dev/full"),
    (["check", "counter.pyspec", "--checkpoint", "/dev/full", "--checkpoint-every", "0"],
     "cannot write checkpoint /dev/full: No space left on device"),
    (["check", "counter.pyspec", "--checkpoint", "/dev/full", "--checkpoint-every", "0", "--workers", "2",
      "--engine", "python"],
     "cannot write checkpoint /dev/full: No space left on device"),
])
def test_an_output_that_cannot_be_written_is_one_error_line_and_no_verdict(spec_copy, capsys, argv, says):
    if "/dev/full" in argv and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    (spec_copy.parent / "afile").write_text("x")
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1 and err.startswith(f"pyspec: error: {says}"), err
    # refused or stopped: no verdict of the model (a checkpoint that cannot be
    # written is not an "error" of the spec)
    assert out == "", out


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_a_report_on_a_full_disk_is_one_error_line_after_the_results(spec_copy, capsys, command):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    assert main([command, "counter.pyspec", "--html", "/dev/full"]) == 2
    out, err = capsys.readouterr()
    # the results were found (and are printed) before the report is written
    assert "ERROR" not in out and "error" not in out.lower()
    assert err.splitlines() == ["pyspec: error: cannot write /dev/full: No space left on device"], err


def test_too_many_workers_for_the_open_file_limit_is_bad_input(spec_copy):
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    p = subprocess.run([sys.executable, "-m", "pyspec", "check", "counter.pyspec", "--workers", "40", "--engine",
                        "python"],
                       cwd=spec_copy.parent, capture_output=True, text=True, preexec_fn=low_limit, timeout=300)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines() == ["pyspec: error: Too many open files"], p.stderr
    assert "holds" not in p.stdout and "violated" not in p.stdout and "error" not in p.stdout.lower()
