"""Running TLC on a model of a spec.

A model declares, per property, whether it must hold or be violated, and
the same for deadlock.  TLC stops at the first violation, so a model is
checked in one or more runs (:func:`plan`): one run of everything expected
to hold, and one run per expected violation, checking just that.  Each run
exports the spec to a private temporary directory, runs
``tlc2.TLC -tool -metadir ... -noGenerateSpecTE -dumpTrace json ...`` there
and turns its output into one :class:`~pyspec.report.Report`.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...ir import nodes as ir
from ...report import Report
from ...tla.export import ModelRun, checks_liveness, render_model, render_module
from ...tla.refinement import abstract_modules, is_liveness
from .jar import Tools
from .output import Progress, ToolParser, build_report

#: The property name a run uses for the deadlock check.
DEADLOCK = "deadlock"
TYPEOK = "TypeOK"


@dataclass
class Job:
    """One TLC run of a model and the outcome the model expects of it."""

    name: str  # short description: "holds", "Inv", "deadlock"
    run: ModelRun
    expect_violation: str | None = None  # the property (or "deadlock") expected to be violated

    @property
    def checks(self) -> list[str]:
        out = self.run.invariants + self.run.properties
        return out + ([DEADLOCK] if self.run.check_deadlock else [])

    @property
    def expected(self) -> str:
        return "violated" if self.expect_violation else "holds"


def plan(spec: ir.Spec, model: ir.Model, prop: str | None = None) -> list[Job]:
    """The runs that check a model (or only ``prop`` of it)."""
    if prop is not None:
        declared = {c.property: c.expected for c in model.checks}
        if prop == DEADLOCK:
            exp = model.deadlock if model.deadlock != "ignore" else "holds"
            return [Job(DEADLOCK, ModelRun([], [], True, [f"expected: deadlock {exp}"]),
                        DEADLOCK if exp == "violated" else None)]
        # TypeOK: the generated one, unless the spec has a property of that name
        own = any(p.name == prop for p in spec.properties)
        kind = "invariant" if prop == TYPEOK and not own else _prop(spec, prop).kind
        exp = declared.get(prop, "holds")
        run = ModelRun([prop] if kind == "invariant" else [], [] if kind == "invariant" else [prop], False,
                       [f"expected: {prop} {exp}", "deadlock: not checked (--property)"],
                       symmetry=kind == "invariant" or not is_liveness(_prop(spec, prop)))
        return [Job(prop, run, prop if exp == "violated" else None)]
    jobs = []
    holds = ModelRun(check_deadlock=model.deadlock == "holds")
    for c in model.checks:
        if c.expected != "holds":
            continue
        p = _prop(spec, c.property)
        (holds.invariants if p.kind == "invariant" else holds.properties).append(p.name)
    holds.expected = [f"expected: {n} holds" for n in holds.invariants + holds.properties]
    holds.expected.append(f"expected: deadlock {model.deadlock}" if model.deadlock == "holds"
                          else "deadlock: not checked in this run")
    violated = [c for c in model.checks if c.expected == "violated"]
    live = None
    if model.symmetry and checks_liveness(spec, holds.properties):
        # liveness runs without symmetry; the rest keeps it (docs/semantics.md)
        temporal = [n for n in holds.properties if is_liveness(_prop(spec, n))]
        holds.properties = [n for n in holds.properties if n not in temporal]
        holds.expected = [e for e in holds.expected if not any(e == f"expected: {n} holds" for n in temporal)]
        live = Job("holds-liveness", ModelRun([], temporal, False,
                                              [f"expected: {n} holds" for n in temporal]
                                              + ["deadlock: not checked in this run"], symmetry=False))
    if holds.invariants or holds.properties or holds.check_deadlock or not (violated or model.deadlock == "violated"
                                                                            or live):
        jobs.append(Job("holds", holds))
    if live is not None:
        jobs.append(live)
    for c in violated:
        p = _prop(spec, c.property)
        run = ModelRun([p.name] if p.kind == "invariant" else [], [] if p.kind == "invariant" else [p.name],
                       False, [f"expected: {p.name} violated", "deadlock: not checked in this run"],
                       symmetry=not is_liveness(p))
        jobs.append(Job(p.name, run, p.name))
    if model.deadlock == "violated":
        jobs.append(Job(DEADLOCK, ModelRun([], [], True, ["expected: deadlock violated"]), DEADLOCK))
    return jobs


def _prop(spec: ir.Spec, name: str) -> ir.Property:
    try:
        return spec.prop(name)
    except KeyError:
        raise ValueError(f"spec {spec.name} has no property '{name}' "
                         f"(properties: {', '.join(p.name for p in spec.properties) or 'none'})") from None


def met(job: Job, rep: Report) -> bool:
    """Did a run give the outcome its model expects?"""
    if job.expect_violation is None:
        return rep.verdict == "ok"
    return rep.verdict == "violated" and rep.property == job.expect_violation


@dataclass
class Options:
    workers: str = "1"  # a number or "auto"
    extra: list[str] = field(default_factory=list)  # more TLC options
    keep: Path | None = None  # keep the run directory here (for debugging)
    timeout: float | None = None
    root: str | None = None  # paths in generated comments are relative to this
    distributed: bool = False  # run TLCServer and wait for TLCWorkers
    local_workers: int = 1  # distributed: workers started on this machine
    host: str = "127.0.0.1"  # distributed: the address workers connect to
    port: int = 10997  # distributed: TLC's RMI port


def run_job(spec: ir.Spec, model: ir.Model, job: Job, tools: Tools, opts: Options | None = None,
            on_progress: Callable[[Progress], None] | None = None,
            spec_path: str | None = None) -> Report:
    """Export, run TLC once, and report in the spec's terms."""
    opts = opts or Options()
    module_text, sm, r = render_module(spec, opts.root)
    mc_tla, mc_cfg = render_model(spec, r, model, job.run)
    spec_path = spec_path or sm.spec_file
    with tempfile.TemporaryDirectory(prefix="pyspec-tlc-") as tmp:
        work = Path(opts.keep) if opts.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        mc = f"MC_{model.name}"
        (work / f"{spec.name}.tla").write_text(module_text, encoding="utf-8")
        (work / f"{mc}.tla").write_text(mc_tla, encoding="utf-8")
        (work / f"{mc}.cfg").write_text(mc_cfg, encoding="utf-8")
        for fname, text in abstract_modules(spec, opts.root).items():  # what its refinements instantiate
            (work / fname).write_text(text, encoding="utf-8")
        trace_path = work / "trace.json"
        trace_path.unlink(missing_ok=True)
        workers: list[subprocess.Popen] = []
        if opts.distributed:
            if job.run.properties:
                raise ValueError(f"distributed TLC checks invariants and deadlock only, not "
                                 f"{', '.join(job.run.properties)}; check those without --distributed")
            args = ["-tool", "-config", f"{mc}.cfg", "-metadir", str(Path(tmp) / "states")]
            if not job.run.check_deadlock:
                args.append("-deadlock")
            args += [*opts.extra, f"{mc}.tla"]
            cmd = tools.command("tlc2.tool.distributed.TLCServer", *args, jvm=_rmi_props(opts))
        else:
            args = ["-tool", "-config", f"{mc}.cfg", "-metadir", str(Path(tmp) / "states"), "-noGenerateSpecTE",
                    "-dumpTrace", "json", str(trace_path), "-workers", str(opts.workers)]
            if not job.run.check_deadlock:
                args.append("-deadlock")
            args += [*opts.extra, f"{mc}.tla"]
            cmd = tools.command("tlc2.TLC", *args)
        parser = ToolParser(on_progress=on_progress)
        log = open(work / "tlc.out", "w", encoding="utf-8") if opts.keep else None
        start = time.monotonic()
        try:
            if opts.distributed:
                failed = threading.Event()

                def on_started(server: subprocess.Popen) -> None:
                    workers.extend(start_workers(tools, opts, opts.local_workers, work))
                    watch_workers(server, workers, failed)

                exit_code = _stream(cmd, work, parser, opts.timeout, log, on_started)
                if failed.is_set():
                    tail = "\n".join((work / "worker0.out").read_text(errors="replace").splitlines()[-8:])
                    parser.out.outcome = "error"
                    parser.out.error = f"the local TLC workers stopped before the server finished:\n{tail}"
            else:
                exit_code = _stream(cmd, work, parser, opts.timeout, log)
        finally:
            if log:
                log.close()
            stop_workers(workers)
        seconds = time.monotonic() - start
        if opts.keep:
            (work / "exit_code").write_text(f"{exit_code}\n", encoding="utf-8")
        out = parser.finish()
        if exit_code is None:
            out.outcome, out.error = "error", f"TLC did not finish within {opts.timeout} seconds"
        trace_json = None
        if trace_path.is_file():
            try:
                trace_json = json.loads(trace_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                trace_json = None
        rep = build_report(out, spec=spec, spec_path=spec_path, model=model.name, sm=sm, exit_code=exit_code,
                           seconds=seconds, properties=job.checks, expected=job.expected, trace_json=trace_json)
        _replay_params(spec, model, rep)
        rep.tlc_exit = exit_code  # type: ignore[attr-defined]  # for the CLI, not part of the JSON
        return rep


def _replay_params(spec: ir.Spec, model: ir.Model, rep: Report) -> None:
    """TLC's traces do not say what ``any`` chose, nor which instance of an
    action took a step: find each step again in
    the embedded engine's successor function (same process, label and next
    state), so that both engines show the same bindings.  Best effort: a
    trace that cannot be replayed keeps its steps without bindings."""
    if not rep.trace or not any(s.label is not None and (_has_any(spec, s.process, s.label) or s.self is None
                                                         and _is_indexed_action(spec, s.process))
                                for s in rep.trace):
        return
    try:
        from ..embedded.runner import compiled
        from ..embedded.trace import replay_params

        replay_params(compiled(spec, model.name), rep.trace)
    except Exception:  # noqa: BLE001 - the report stands without the bindings
        return


def _is_indexed_action(spec: ir.Spec, process: str | None) -> bool:
    p = next((p for p in spec.processes if p.name == process), None)
    return p is not None and p.is_action and p.index is not None


def _has_any(spec: ir.Spec, process: str | None, label: str | None) -> bool:
    try:
        step = spec.process(process).step(label)
    except (KeyError, ValueError):
        return False

    def walk(stmts) -> bool:
        for s in stmts:
            if isinstance(s, ir.AnyStmt):
                return True
            if isinstance(s, ir.If) and (any(walk(b) for _, b in s.branches) or walk(s.orelse)):
                return True
            if isinstance(s, ir.Either) and any(walk(b) for b in s.branches):
                return True
            if isinstance(s, ir.Let) and walk(s.body):
                return True
        return False

    return walk(step.body)


def _rmi_props(opts: Options) -> tuple[str, ...]:
    return (f"-Dtlc2.tool.distributed.TLCServer.port={opts.port}", f"-Djava.rmi.server.hostname={opts.host}")


def worker_command(tools: Tools, opts: Options, threads: int | None = None) -> list[str]:
    """The command that starts a TLCWorker for a server at ``opts.host``."""
    jvm = _rmi_props(opts)[:1] + ((f"-Dtlc2.tool.distributed.TLCWorker.threadCount={threads}",) if threads else ())
    return tools.command("tlc2.tool.distributed.TLCWorker", opts.host, jvm=jvm)


def start_workers(tools: Tools, opts: Options, n: int, work: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        with open(work / f"worker{i}.out", "w", encoding="utf-8") as out:
            procs.append(subprocess.Popen(worker_command(tools, opts, 1), cwd=work, stdout=out,
                                          stderr=subprocess.STDOUT))
    return procs


def watch_workers(server: subprocess.Popen, workers: list[subprocess.Popen], failed: threading.Event) -> None:
    """When every local worker has stopped while the server still runs (a
    worker that cannot connect or crashes), stop the server instead of
    letting it wait forever."""
    def loop():
        while server.poll() is None:
            if workers and all(w.poll() is not None for w in workers):
                time.sleep(2)
                if server.poll() is None:
                    failed.set()
                    server.kill()
                return
            time.sleep(0.5)

    threading.Thread(target=loop, daemon=True).start()


def stop_workers(procs: list[subprocess.Popen], grace: float = 10.0) -> None:
    """Workers stop when their server does; those that do not are killed."""
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _stream(cmd: list[str], cwd: Path, parser: ToolParser, timeout: float | None, log=None,
            on_started: Callable[[subprocess.Popen], None] | None = None) -> int | None:
    """Run TLC, feeding its stdout to the parser line by line; its exit code
    (None after a timeout)."""
    env = dict(os.environ)
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace", env=env)
    if on_started:
        on_started(proc)
    timer = None
    timed_out = threading.Event()
    if timeout:
        def kill():
            timed_out.set()
            proc.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if log is not None:
                log.write(line)
            parser.feed(line)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if timer:
            timer.cancel()
    return None if timed_out.is_set() else code


def check_model(spec: ir.Spec, model: ir.Model, tools: Tools, prop: str | None = None,
                opts: Options | None = None, on_progress: Callable[[Job, Progress], None] | None = None,
                on_report: Callable[[Job, Report], None] | None = None,
                spec_path: str | None = None) -> list[tuple[Job, Report]]:
    """Every run of a model (or of one property of it), in order."""
    results = []
    for job in plan(spec, model, prop):
        cb = (lambda p, j=job: on_progress(j, p)) if on_progress else None
        rep = run_job(spec, model, job, tools, opts, cb, spec_path)
        results.append((job, rep))
        if on_report:
            on_report(job, rep)
    return results
