"""``pyspec graph SPEC --model M [--dot|--svg] [-o FILE] [--max-states N] [--property P]``:
the reachable state graph of a small model.

Nodes are states (only the variables that vary), edges the steps between
them; ``--property P`` checks P with the embedded engine and draws its
counterexample over the graph.  ``--dot`` (the default) prints Graphviz DOT
text; ``--svg`` runs Graphviz's ``dot`` on it.  Every state is drawn (no
symmetry reduction), so a model with symmetry shows more states than
``pyspec check`` counts.

Exit codes: 0 the graph was written, 2 bad input (unknown model or
property, a spec error, more states than ``--max-states``, an unwritable
output), 3 ``dot`` is missing or failed (``--svg``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from ..files import write_atomic
from .argtypes import name as arg_name
from .argtypes import positive_int
from .common import error_line, load_or_report, model_name

EXIT_OK, EXIT_BAD_INPUT, EXIT_TOOL = 0, 2, 3
DEFAULT_MAX_STATES = 2000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("graph", help="draw the reachable state graph of a small model (DOT or SVG)",
                       description="Explore every reachable state of a small model and print its state graph: "
                                   "states as nodes, steps as edges, optionally with a property's "
                                   "counterexample highlighted.")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--model", "-m", type=arg_name, help="the model (default: the spec's only model)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--dot", dest="format", action="store_const", const="dot",
                     help="Graphviz DOT text (the default)")
    fmt.add_argument("--svg", dest="format", action="store_const", const="svg",
                     help="SVG, drawn by Graphviz's `dot` program")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument("--max-states", type=positive_int, default=DEFAULT_MAX_STATES, metavar="N",
                   help=f"refuse models with more than N reachable states (default {DEFAULT_MAX_STATES})")
    p.add_argument("--property", "-p", type=arg_name, metavar="P",
                   help="highlight the counterexample of P ('deadlock' for deadlock), found by the embedded engine")
    p.set_defaults(func=run, format="dot")


def _located(spec: str, message: str) -> str:
    """A run-time error of the spec as `file:line:col: error: ...` (as
    check and simulate print it), else `SPEC: error: ...`."""
    line = error_line(message)
    return f"{spec}: error: {line[len('pyspec: error: '):]}" if line.startswith("pyspec: error: ") else line


def run(args: argparse.Namespace) -> int:
    from ..compile import CompileError, EvalError
    from ..engines.embedded import check
    from ..engines.embedded.graph import TooManyStates, state_graph
    from ..engines.embedded.runner import compiled
    from ..report.dot import highlight_trace, render_dot

    if args.max_states < 1:
        print("pyspec: error: --max-states must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    dot_exe = None
    if args.format == "svg":
        dot_exe = shutil.which("dot")
        if dot_exe is None:
            print("pyspec: error: --svg needs Graphviz's `dot` program, which is not on PATH "
                  "(install Graphviz, e.g. `apt-get install graphviz`), or use --dot", file=sys.stderr)
            return EXIT_TOOL
    spec = load_or_report(args.spec)
    if spec is None:
        return EXIT_BAD_INPUT
    model = model_name(spec, args.spec, args.model)
    if model is None:
        return EXIT_BAD_INPUT
    if args.property and args.property != "deadlock":
        try:
            spec.prop(args.property)
        except KeyError:
            print(f"{args.spec}: error: no property '{args.property}'", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        cm = compiled(spec, model)
        graph = state_graph(cm, args.max_states)
    except TooManyStates as e:
        print(f"pyspec: error: model {model} of {args.spec} has {e}; the graph is drawn for small models only "
              f"(raise --max-states, or draw a smaller model)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (CompileError, EvalError) as e:
        print(_located(args.spec, str(e)), file=sys.stderr)
        return EXIT_BAD_INPUT
    highlight = None
    if args.property:
        report = check(spec, model, property=args.property)
        if report.verdict == "error":
            print(_located(args.spec, report.message or ""), file=sys.stderr)
            return EXIT_BAD_INPUT
        if report.trace:
            highlight = highlight_trace(graph, cm, report)
        else:
            print(f"pyspec: error: {args.property} is not violated in model {model}: nothing to highlight",
                  file=sys.stderr)
    text = render_dot(graph, cm, highlight)
    if args.format == "svg":
        try:
            proc = subprocess.run([dot_exe, "-Tsvg"], input=text.encode("utf-8"), capture_output=True, check=False)
        except OSError as e:
            print(f"pyspec: error: cannot run {dot_exe}: {e}", file=sys.stderr)
            return EXIT_TOOL
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip()
            print(f"pyspec: error: dot failed (exit code {proc.returncode}): {err}", file=sys.stderr)
            return EXIT_TOOL
        data = proc.stdout
    else:
        data = text.encode("utf-8")
    if args.output:
        try:
            write_atomic(args.output, data)
        except OSError as e:
            print(f"pyspec: error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return EXIT_OK
