"""``pyspec tlc SPEC [--all] [--model M] [--property P] [--json] [--workers N] [--jar J]``:
check models with TLC and report in the spec's terms.

Exit codes: 0 every run gave the model's expected outcome, 1 a property was
violated unexpectedly (or an expected violation did not happen), 2 a spec
has errors (static, or at run time), 3 TLC or Java is missing or failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from ..engines.tlc.jar import ToolMissing, resolve
from ..engines.tlc.output import EXIT_CODES
from ..engines.tlc.run import Job, Options, met, plan, run_job
from ..engines.tlc.text import format_report, outcome_word
from ..language import load_with_diagnostics
from ..report import Report
from ..tla.render import ExportError
from .argtypes import name as arg_name
from .argtypes import natural_int, port, positive_seconds, tlc_workers
from .common import find_specs, print_diagnostics
from .html_option import add_html_option, write_html_option

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_SPEC, EXIT_TOOL = 0, 1, 2, 3
#: TLC exit codes that mean the spec went wrong at run time (not TLC itself)
SPEC_ERROR_EXITS = {10, 14, 75, 76, 77}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tlc", help="check models with TLC (needs Java and tla2tools.jar)",
                       description="Export a spec and check its models with TLC; counterexamples are shown "
                                   "as spec steps and values. Exit code 0 when every model gives its expected "
                                   "outcome, 1 on an unexpected outcome, 2 on spec errors, 3 when TLC or Java "
                                   "is missing or fails.")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec file (with --all: files or directories, "
                                                            "default spec/)")
    p.add_argument("--all", action="store_true", help="check every model of every spec and print a table")
    p.add_argument("--model", "-m", type=arg_name, metavar="M", help="check only this model")
    p.add_argument("--property", "-p", type=arg_name, metavar="P",
                   help="check only this property (or 'deadlock', or 'TypeOK'); the cfg names just it")
    p.add_argument("--json", action="store_true", help="print one JSON report per TLC run, one per line")
    p.add_argument("--workers", "-w", type=tlc_workers, default="1", metavar="N", help="TLC worker threads, or 'auto' (default 1)")
    p.add_argument("--jar", metavar="JAR", help="tla2tools.jar (default: $TLA2TOOLS_JAR, then the user cache)")
    p.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", help="stop TLC after this long (exit code 3)")
    p.add_argument("--keep", metavar="DIR", help="keep the generated modules and TLC's files in DIR")
    d = p.add_argument_group("distributed TLC (TLCServer/TLCWorker; invariants and deadlock only)")
    d.add_argument("--distributed", action="store_true", help="run TLC's server and explore with worker processes")
    d.add_argument("--local-workers", type=natural_int, default=1, metavar="N",
                   help="workers to start on this machine (default 1; 0: only remote workers)")
    d.add_argument("--host", default="127.0.0.1", help="the address workers reach this server at (default 127.0.0.1)")
    d.add_argument("--port", type=port, default=10997, help="TLC's RMI port (default 10997)")
    add_html_option(p)
    p.set_defaults(func=run)


@dataclass
class Row:
    spec: str
    model: str
    job: str
    report: Report | None
    met: bool
    note: str = ""


def classify(rep: Report, ok: bool) -> int:
    if ok:
        return EXIT_OK
    if rep.verdict == "error":
        code = getattr(rep, "tlc_exit", None)
        spec_error = code in SPEC_ERROR_EXITS or getattr(rep, "spec_error", False)
        return EXIT_BAD_SPEC if spec_error else EXIT_TOOL
    return EXIT_VIOLATED


class ProgressView:
    """TLC's periodic progress: a live line on a terminal, plain lines otherwise."""

    def __init__(self, enabled: bool = True):
        self.tty = sys.stderr.isatty()
        self.enabled = enabled
        self._status = None
        self._console = None
        if self.tty and enabled:
            from rich.console import Console

            self._console = Console(stderr=True)

    def start(self, what: str) -> None:
        if not self.enabled:
            return
        if self._console is not None:
            self._status = self._console.status(f"{what}: starting TLC ...")
            self._status.start()
        self.what = what

    def update(self, job: Job, p) -> None:
        if not self.enabled:
            return
        text = (f"{self.what}: {p.generated:,} states, {p.distinct:,} distinct, queue {p.queue:,}, "
                f"depth {p.depth}, {p.rate:,} states/min")
        if self._status is not None:
            self._status.update(text)
        else:
            print(f"progress: {text}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def run(args: argparse.Namespace) -> int:
    try:
        tools = resolve(args.jar)
    except ToolMissing as e:
        print(f"pyspec: error: {e}", file=sys.stderr)
        return EXIT_TOOL
    if args.all:
        paths = find_specs(args.specs)
    else:
        if len(args.specs) != 1:
            print("pyspec: error: give one spec file (or --all [PATH...] to check every model)", file=sys.stderr)
            return EXIT_BAD_SPEC
        paths = args.specs
    if not paths:
        print("pyspec: error: no spec files found", file=sys.stderr)
        return EXIT_BAD_SPEC
    opts = Options(workers=args.workers, timeout=args.timeout, keep=args.keep, distributed=args.distributed,
                   local_workers=args.local_workers, host=args.host, port=args.port)
    if args.distributed:
        from ..engines.tlc.run import worker_command

        print("distributed TLC: start workers elsewhere with\n  " + " ".join(worker_command(tools, opts))
              + "\n(with the jar's path on that machine)", file=sys.stderr)
    view = ProgressView(enabled=True)
    rows: list[Row] = []
    specs = []
    worst = EXIT_OK
    for path in paths:
        spec, diags = load_with_diagnostics(path)
        print_diagnostics(diags)
        if spec is None:
            rows.append(Row(path, "-", "-", None, False, "spec has errors"))
            worst = max(worst, EXIT_BAD_SPEC)
            continue
        specs.append(spec)
        models = spec.models
        if args.model:
            models = [m for m in spec.models if m.name == args.model]
            if not models:
                if args.all:
                    continue
                print(f"pyspec: error: {path} has no model '{args.model}' "
                      f"(models: {', '.join(m.name for m in spec.models) or 'none'})", file=sys.stderr)
                return EXIT_BAD_SPEC
        if not models and not args.all:
            print(f"pyspec: error: {path} declares no model", file=sys.stderr)
            return EXIT_BAD_SPEC
        for model in models:
            def on_report(job: Job, rep: Report, model=model, spec=spec, path=path) -> None:
                view.stop()
                ok = met(job, rep)
                rows.append(Row(path, model.name, job.name, rep, ok))
                if args.json:
                    print(json.dumps(rep.to_json(), separators=(",", ":")), flush=True)
                elif not args.all or not ok:
                    print(format_report(rep, spec, ok, f"{path}  model {model.name}  [{job.name}]"), flush=True)
                    print(flush=True)
                else:
                    print(f"{path}  model {model.name}  [{job.name}]: {outcome_word(rep)} as expected, "
                          f"{rep.distinct_states:,} distinct states, {rep.seconds:.1f} s", flush=True)

            def on_progress(job: Job, p, model=model, path=path) -> None:
                view.update(job, p)

            try:
                for job in plan(spec, model, args.property):
                    view.start(f"{path} {model.name} [{job.name}]")
                    rep = run_job(spec, model, job, tools, opts, lambda p, j=job: on_progress(j, p), spec_path=path)
                    on_report(job, rep)
            except ValueError as e:  # an unknown --property
                view.stop()
                print(f"pyspec: error: {e}", file=sys.stderr)
                return EXIT_BAD_SPEC
            except ExportError as e:
                view.stop()
                print(f"{path}: error: cannot export to TLA+: {e}", file=sys.stderr)
                rows.append(Row(path, model.name, "-", None, False, "cannot export"))
                worst = max(worst, EXIT_BAD_SPEC)
                break
            except OSError as e:
                view.stop()
                print(f"pyspec: error: cannot run TLC: {e}", file=sys.stderr)
                return EXIT_TOOL
            finally:
                view.stop()
    for r in rows:
        if r.report is not None:
            worst = max(worst, classify(r.report, r.met))
    if args.all and not args.json:
        print(format_table(rows))
    if not write_html_option(args, [r.report for r in rows if r.report is not None], specs):
        return max(worst, EXIT_BAD_SPEC)
    return worst


def format_table(rows: list[Row]) -> str:
    header = ("spec", "model", "run", "verdict", "expected", "met", "distinct", "seconds")
    table = [header]
    for r in rows:
        rep = r.report
        if rep is None:
            table.append((r.spec, r.model, r.job, "error", "-", "no", "-", "-"))
            continue
        verdict = rep.verdict if rep.verdict != "violated" else f"violated {rep.property}"
        if rep.verdict == "error":
            code = getattr(rep, "tlc_exit", None)
            verdict = f"error ({EXIT_CODES.get(code, code)})"
        expected = "holds" if rep.expected == "holds" else f"violated {r.job}"
        table.append((r.spec, r.model, r.job, verdict, expected, "yes" if r.met else "NO",
                      f"{rep.distinct_states:,}", f"{rep.seconds:.1f}"))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i < len(header) - 2 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_bad = sum(1 for r in rows if not r.met)
    lines.append(f"{len(rows) - n_bad} of {len(rows)} runs gave the expected outcome")
    return "\n".join(lines)
