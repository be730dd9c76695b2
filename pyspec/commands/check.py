"""``pyspec check``: model-check with the embedded engine.

- ``pyspec check --all [PATH...]``: every model of every spec under the
  paths (default: spec/); one table (spec, model, property, expected, got,
  distinct states, time); exit 0 only when every model meets its declared
  expected outcomes.
- ``pyspec check SPEC [--model M]``: every declared check of the model(s),
  one exploration for the safety properties and one for the temporal ones.
- ``pyspec check SPEC --model M --property P``: that property alone (TLC's
  way: stop at the first violation); ``--property deadlock`` for deadlock.

Exit codes: 0 every outcome as declared, 1 an unexpected outcome (or an
incomplete run), 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..diagnostics import SpecError
from .argtypes import name as arg_name
from .argtypes import positive_int, seconds
from .common import error_line, find_specs, load_or_report
from .html_option import add_html_option, write_html_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="model-check specs with the embedded engine",
                       description="Explore every reachable state of a model with the embedded engine and "
                                   "check its properties (invariants, action properties, temporal properties "
                                   "under fairness, refinements of other specs, deadlock).")
    p.add_argument("paths", nargs="*", metavar="SPEC", help="spec file (or, with --all, files and directories)")
    p.add_argument("--all", action="store_true", help="check every model of every spec under the paths "
                                                      "(default spec/) and print one table")
    p.add_argument("--model", "-m", type=arg_name, help="the model to check (default: every model of the spec)")
    p.add_argument("--property", "-p", type=arg_name, help="check this property alone ('deadlock' for deadlock)")
    p.add_argument("--json", action="store_true", help="print the report(s) as JSON")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="worker processes of the Python engine (default 1); with --engine auto, a search handed to "
                        "the compiled engine stays in its one process while that is faster")
    p.add_argument("--jobs", "-j", type=positive_int, default=1,
                   help="models checked at the same time, each in its own process (default 1); the table "
                        "and the exit code are those of checking them one after the other")
    p.add_argument("--engine", choices=("auto", "compiled", "python"), default="auto",
                   help="search engine: compiled (numba), python, or auto (default: compiled when it can run "
                        "the model, else python, with a note saying why)")
    p.add_argument("--seed", type=int, default=None, help="random seed (exploration is deterministic; "
                                                          "accepted for symmetry with simulate)")
    p.add_argument("--max-states", type=positive_int, default=None, help="stop after this many distinct states")
    p.add_argument("--max-depth", type=positive_int, default=None, help="explore at most this many BFS levels")
    p.add_argument("--no-deadlock", action="store_true", help="do not check for deadlocks")
    p.add_argument("--checkpoint", metavar="FILE", help="write a checkpoint to FILE periodically (and on Ctrl-C)")
    p.add_argument("--checkpoint-every", type=seconds, default=60.0, metavar="SECONDS",
                   help="seconds between checkpoints (default 60)")
    p.add_argument("--recover", metavar="FILE", help="resume from a checkpoint written by --checkpoint")
    p.add_argument("--traces", action="store_true", help="print the counterexample of every violation "
                                                         "(default: only of unexpected outcomes)")
    add_html_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engines.embedded import check, check_model
    from ..engines.embedded.checkpoint import CheckpointError
    from ..engines.embedded.progress import make_progress
    from ..report.text import meets_expectation, render_report, render_table

    if args.all or (not args.paths):
        files = find_specs(args.paths)
        if not files:
            print("pyspec: error: no spec files found", file=sys.stderr)
            return 2
    else:
        files = args.paths
    if (args.property or args.recover or args.checkpoint) and (len(files) != 1):
        print("pyspec: error: --property, --checkpoint and --recover need one spec file", file=sys.stderr)
        return 2
    rows = []
    all_reports = []
    specs = []
    jobs = []  # (file, spec, model), in the order of the table
    bad_input = False
    interrupted = False
    for f in files:
        spec = load_or_report(f)
        if spec is None:
            bad_input = True
            rows.append({"spec": f, "model": "-", "property": "(spec does not load)", "expected": "-",
                         "got": "error", "distinct": 0, "seconds": 0.0, "ok": False})
            continue
        specs.append(spec)
        models = [m.name for m in spec.models]
        if args.model:
            if args.model not in models:
                print(f"{f}: error: no model '{args.model}' (models: {', '.join(models) or 'none'})", file=sys.stderr)
                return 2
            models = [args.model]
        elif args.property and len(models) != 1:
            print(f"{f}: error: --property needs --model (models: {', '.join(models)})", file=sys.stderr)
            return 2
        if args.property and args.property != "deadlock":
            try:
                spec.prop(args.property)
            except KeyError:
                print(f"{f}: error: no property '{args.property}'", file=sys.stderr)
                return 2
        jobs.extend((f, spec, mname) for mname in models)

    def done(f: str, spec, mname: str, reports: list, elapsed: float) -> None:
        nonlocal interrupted
        for r in reports:
            all_reports.append(r)
            if r.verdict == "incomplete" and r.message and r.message.startswith("interrupted"):
                interrupted = True
            rows.append({"spec": f, "model": mname, "property": r.property or "-",
                         "expected": r.expected or "holds",
                         "got": {"ok": "holds"}.get(r.verdict, r.verdict), "distinct": r.distinct_states,
                         "seconds": r.seconds, "ok": meets_expectation(r)})
            if not args.json and not args.all:
                show_trace = args.traces or args.property or not meets_expectation(r)
                if show_trace:
                    print(render_report(r, spec))
                    print()
        if not args.json and not args.all and len(reports) > 1:
            print(f"model {mname}: {len(reports)} checks in {elapsed:.2f}s")
        if args.all and not args.json:
            n_bad = sum(1 for r in reports if not meets_expectation(r))
            states = max((r.distinct_states for r in reports), default=0)
            print(f"{f} {mname}: {len(reports)} checks, {states:,} states, {elapsed:.1f}s"
                  + (f", {n_bad} UNEXPECTED" if n_bad else ""), file=sys.stderr, flush=True)

    kw = dict(workers=args.workers, max_states=args.max_states, max_depth=args.max_depth,
              deadlock=not args.no_deadlock, engine=args.engine)
    if args.jobs > 1 and len(jobs) > 1 and not (args.property or args.checkpoint or args.recover):
        try:
            for (f, spec, mname), (reports, error, elapsed) in zip(jobs, _run_jobs(jobs, kw, args.jobs)):
                if error is not None:
                    print(error, file=sys.stderr)
                    return 2
                done(f, spec, mname, reports, elapsed)
        except KeyboardInterrupt:
            return 130
        jobs = []
    for f, spec, mname in jobs:
        label = f"{spec.name}.{mname}"
        progress = make_progress(label, quiet=args.json or args.all)
        t0 = time.monotonic()
        try:
            if args.property:
                reports = [check(spec, mname, property=args.property, checkpoint=args.checkpoint,
                                 recover=args.recover, progress=progress, checkpoint_every=args.checkpoint_every,
                                 note=_note, **kw)]
            else:
                reports = check_model(spec, mname, progress=progress, checkpoint=args.checkpoint,
                                      recover=args.recover, checkpoint_every=args.checkpoint_every, note=_note,
                                      **kw)
        except SpecError as e:
            print(e.render(), file=sys.stderr)
            return 2
        except CheckpointError as e:
            progress.close()
            print(f"pyspec: error: {e}", file=sys.stderr)
            return 2
        finally:
            progress.close()
        done(f, spec, mname, reports, time.monotonic() - t0)
    if args.json:
        if args.property and len(all_reports) == 1:
            print(all_reports[0].dumps())
        else:
            print(json.dumps([r.to_json() for r in all_reports], indent=2))
    else:
        print(render_table(rows))
        bad = [r for r in rows if not r["ok"]]
        total = len(rows)
        print(f"\n{total - len(bad)} of {total} checks as expected"
              + (f", {len(bad)} unexpected" if bad else ""))
    if not write_html_option(args, all_reports, specs):
        return 2
    if interrupted:
        return 130
    errors = sorted({error_line(r.message or "") for r in all_reports if r.verdict == "error"})
    for line in errors:
        print(line, file=sys.stderr)
    if bad_input or errors:
        return 2  # the spec is wrong (an evaluation error at run time), as `pyspec tlc` says
    return 0 if all(r["ok"] for r in rows) else 1


def _note(line: str) -> None:
    print(f"note: {line}", file=sys.stderr, flush=True)


#: the specs of a ``--jobs`` run, by path: the worker processes are forked
#: with them (nothing to pickle or to parse again)
_JOB_SPECS: dict = {}


def _check_job(job: tuple) -> tuple:
    """One model, in a worker process of ``--jobs``: (reports, rendered
    error or None, seconds)."""
    path, mname, kw = job
    from ..engines.embedded import check_model

    t0 = time.monotonic()
    try:
        reports = check_model(_JOB_SPECS[path], mname, note=_note, **kw)
    except SpecError as e:
        return None, e.render(), 0.0
    return reports, None, time.monotonic() - t0


def _run_jobs(jobs: list, kw: dict, n: int):
    """Check the models of ``jobs`` in ``n`` processes; yields their results
    in the order of ``jobs``, each as soon as it and those before it are done."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _JOB_SPECS.clear()
    _JOB_SPECS.update({f: spec for f, spec, _ in jobs})
    # fork: the workers start with the specs loaded (and numba imported only
    # by a worker whose model needs it)
    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_check_job, (f, mname, kw)) for f, _, mname in jobs]
        try:
            for fut in futures:
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()
