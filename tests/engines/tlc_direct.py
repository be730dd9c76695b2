"""Run TLC directly on the modules ``pyspec.tla`` exports (for cross-checks
and benchmarks, independent of the TLC runner's own parsing).

Not a test module: imported by tests/engines/test_tlc_crosscheck.py and
bench/engines.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def jar_path() -> str | None:
    j = os.environ.get("TLA2TOOLS_JAR")
    if j and Path(j).is_file():
        return j
    return None


@dataclass
class TlcResult:
    verdict: str  # ok | violated | error
    property: str | None
    kind: str | None
    distinct: int | None
    generated: int | None
    depth: int | None
    trace_len: int | None
    seconds: float
    output: str = field(repr=False, default="")


_INV = re.compile(r"Error: Invariant (\S+) is violated")
_ACT = re.compile(r"Error: Action property (\S+) is violated")
_STATES = re.compile(r"([\d,]+) states generated, ([\d,]+) distinct states found")
_DEPTH = re.compile(r"The depth of the complete state graph search is (\d+)")
_STATE_HDR = re.compile(r"^State (\d+): ", re.M)
_TEMP = re.compile(r"Temporal propert(?:y (\S+) was|ies were) violated")


def run_tlc(spec, model: str, invariants=None, properties=None, deadlock: bool | None = None,
            workers: int = 1, timeout: float = 1800, extra_jvm: tuple = ()) -> TlcResult:
    """Export ``spec`` and run TLC on one model.  ``invariants``/``properties``
    (lists) override the model's cfg; ``deadlock`` overrides CHECK_DEADLOCK."""
    from pyspec.tla import export_spec
    from pyspec.tla.export import ModelRun, default_run, render_model, render_module

    jar = jar_path()
    if jar is None:
        raise RuntimeError("TLA2TOOLS_JAR is not set")
    m = spec.model(model)
    text, sm, r = render_module(spec)
    run = default_run(spec, m)
    if invariants is not None or properties is not None:
        run = ModelRun(check_deadlock=run.check_deadlock)
        run.invariants = list(invariants or [])
        run.properties = list(properties or [])
        run.expected = []
    if deadlock is not None:
        run.check_deadlock = deadlock
    tla, cfg = render_model(spec, r, m, run)
    files = export_spec(spec, [model]).files
    with tempfile.TemporaryDirectory(prefix="pyspec-tlc-") as d:
        for name, t in files.items():
            Path(d, name).write_text(t)
        Path(d, f"MC_{model}.tla").write_text(tla)
        Path(d, f"MC_{model}.cfg").write_text(cfg)
        cmd = ["java", "-XX:+UseParallelGC", *extra_jvm, "-cp", jar, "tlc2.TLC", "-workers", str(workers),
               "-metadir", str(Path(d, "states")), "-config", f"MC_{model}.cfg", f"MC_{model}.tla"]
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=timeout)
        secs = time.monotonic() - t0
    out = p.stdout + p.stderr
    return parse(out, secs)


def parse(out: str, secs: float) -> TlcResult:
    verdict, prop, kind = "ok", None, None
    m = _INV.search(out)
    if m:
        verdict, prop, kind = "violated", m.group(1), "invariant"
    elif _ACT.search(out):
        verdict, prop, kind = "violated", _ACT.search(out).group(1), "action"
    elif "Error: Deadlock reached" in out:
        verdict, prop, kind = "violated", "deadlock", "deadlock"
    elif _TEMP.search(out):
        verdict, prop, kind = "violated", _TEMP.search(out).group(1), "liveness"
    elif "Error:" in out or "error" in out.lower() and "No error has been found" not in out:
        verdict = "error"
    distinct = generated = depth = None
    ms = _STATES.findall(out)
    if ms:
        generated = int(ms[-1][0].replace(",", ""))
        distinct = int(ms[-1][1].replace(",", ""))
    md = _DEPTH.search(out)
    if md:
        depth = int(md.group(1))
    hdrs = _STATE_HDR.findall(out)
    trace_len = max(int(h) for h in hdrs) if hdrs else None
    return TlcResult(verdict, prop, kind, distinct, generated, depth, trace_len, secs, out)
