"""Record real TLC outputs as fixtures for the output parser tests.

Run from the repository root with a jar:

    TLA2TOOLS_JAR=/path/to/tla2tools.jar python tests/tla/record_fixtures.py

Each case runs TLC through the runner on a small spec of tests/tla/specs/
and keeps, in tests/tla/fixtures/<case>/: ``stdout.txt`` (TLC's ``-tool``
output), ``trace.json`` (its ``-dumpTrace json`` file, when TLC wrote one)
and ``meta.json`` (spec, model, run, TLC's exit code).  The ``parse_error``
case runs TLC on a deliberately broken module; ``jar_missing`` records what
``pyspec tlc`` prints when no jar can be found.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import pyspec  # noqa: E402
from pyspec.engines.tlc.jar import resolve  # noqa: E402
from pyspec.engines.tlc.run import Options, plan, run_job  # noqa: E402

FIXTURES = ROOT / "tests" / "tla" / "fixtures"

#: case -> (spec, model, run name)
CASES = {
    "ok": ("tests/tla/specs/lasso.pyspec", "all_hold", "holds"),
    "invariant": ("tests/tla/specs/lasso.pyspec", "invariant", "holds"),
    "action": ("tests/tla/specs/lasso.pyspec", "action", "holds"),
    "liveness": ("tests/tla/specs/lasso.pyspec", "liveness", "holds"),
    "deadlock": ("tests/tla/specs/stuck.pyspec", "unexpected", "holds"),
    "error": ("tests/tla/specs/errors.pyspec", "missing_key", "holds"),
    "peterson": ("spec/examples/peterson.pyspec", "two", "holds"),
}


def record(case: str, spec_path: str, model: str, job_name: str, tools) -> None:
    spec = pyspec.load(spec_path)
    m = spec.model(model)
    job = next(j for j in plan(spec, m) if j.name == job_name)
    with tempfile.TemporaryDirectory() as tmp:
        rep = run_job(spec, m, job, tools, Options(keep=Path(tmp)), spec_path=spec_path)
        out = FIXTURES / case
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        shutil.copy(Path(tmp) / "tlc.out", out / "stdout.txt")
        if (Path(tmp) / "trace.json").is_file():
            shutil.copy(Path(tmp) / "trace.json", out / "trace.json")
        code = int((Path(tmp) / "exit_code").read_text())
    meta = {"spec": spec_path, "model": model, "run": job_name, "exit_code": code,
            "checks": job.checks, "verdict": rep.verdict, "property": rep.property}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"{case}: exit {code}, {rep.verdict} {rep.property or ''}")


def record_parse_error(tools) -> None:
    """TLC on a module with a syntax error (what TLC says when SANY fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Broken.tla").write_text(
            "---- MODULE Broken ----\nEXTENDS Integers\nVARIABLE x\nInit == x = \nNext == x' = x + 1\n====\n")
        (Path(tmp) / "Broken.cfg").write_text("INIT Init\nNEXT Next\n")
        cmd = tools.command("tlc2.TLC", "-tool", "-config", "Broken.cfg", "-metadir", str(Path(tmp) / "states"),
                            "-noGenerateSpecTE", "-workers", "1", "Broken.tla")
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
    out = FIXTURES / "parse_error"
    out.mkdir(parents=True, exist_ok=True)
    (out / "stdout.txt").write_text(proc.stdout.replace(tmp, "/tmp/TLCRUN"), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps({"module": "Broken", "exit_code": proc.returncode}, indent=2) + "\n")
    print(f"parse_error: exit {proc.returncode}")


def record_jar_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TLA2TOOLS_JAR"}
    env["TLA2TOOLS_JAR"] = "/nonexistent/tla2tools.jar"
    env["XDG_CACHE_HOME"] = "/nonexistent-cache"
    proc = subprocess.run([sys.executable, "-m", "pyspec", "tlc", "spec/examples/peterson.pyspec"],
                          capture_output=True, text=True, env=env)
    out = FIXTURES / "jar_missing"
    out.mkdir(parents=True, exist_ok=True)
    (out / "stderr.txt").write_text(proc.stderr, encoding="utf-8")
    (out / "meta.json").write_text(json.dumps({"exit_code": proc.returncode}, indent=2) + "\n")
    print(f"jar_missing: exit {proc.returncode}")


def main() -> int:
    tools = resolve(None)
    for case, (spec, model, job) in CASES.items():
        record(case, spec, model, job, tools)
    record_parse_error(tools)
    record_jar_missing()
    return 0


if __name__ == "__main__":
    sys.exit(main())
