"""``pyspec simulate SPEC --model M --runs N --depth D --seed S``: random walks.

Exit codes: 0 no violation found, 1 a violation found, 2 bad input
(an evaluation error of the spec included).
"""

from __future__ import annotations

import argparse
import sys

from .argtypes import name as arg_name
from .argtypes import positive_int
from .common import error_line, load_or_report
from .html_option import add_html_option, write_html_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="random walks through a model (not exhaustive)",
                       description="Walk a model at random from its initial states, checking invariants, "
                                   "action properties and deadlock on the way. The same seed gives the same walks.")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--model", "-m", type=arg_name, help="the model (default: the spec's only model)")
    p.add_argument("--runs", type=positive_int, default=100, help="number of walks (default 100)")
    p.add_argument("--depth", type=positive_int, default=100, help="states per walk at most (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--property", "-p", type=arg_name, help="check this property alone")
    p.add_argument("--no-deadlock", action="store_true", help="do not check for deadlocks")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_html_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engines.embedded import simulate
    from ..engines.embedded.progress import make_progress
    from ..report.text import render_report

    spec = load_or_report(args.spec)
    if spec is None:
        return 2
    models = [m.name for m in spec.models]
    model = args.model
    if model is None:
        if len(models) != 1:
            print(f"{args.spec}: error: choose a model with --model ({', '.join(models) or 'none'})", file=sys.stderr)
            return 2
        model = models[0]
    if model not in models:
        print(f"{args.spec}: error: no model '{model}' (models: {', '.join(models) or 'none'})", file=sys.stderr)
        return 2
    if args.property and args.property != "deadlock":
        try:
            spec.prop(args.property)
        except KeyError:
            print(f"{args.spec}: error: no property '{args.property}'", file=sys.stderr)
            return 2
    progress = make_progress(f"{spec.name}.{model} simulate", quiet=args.json)
    try:
        r = simulate(spec, model, runs=args.runs, depth=args.depth, seed=args.seed, property=args.property,
                     deadlock=not args.no_deadlock, progress=progress)
    finally:
        progress.close()
    if args.json:
        print(r.dumps())
    else:
        print(render_report(r, spec))
    if not write_html_option(args, [r], [spec]):
        return 2
    if r.verdict == "incomplete":
        return 130
    if r.verdict == "error":
        print(error_line(r.message or ""), file=sys.stderr)
        return 2  # the spec is wrong (an evaluation error), as `check` and `tlc` say
    return 0 if r.verdict == "ok" else 1
