"""``pyspec validate SPEC --model M TRACE [--tlc] [--json]``: is a logged
trace a behaviour of the spec?

TRACE is JSON lines (one event per labelled step, see docs/conformance.md)
or an ITF trace (``*.itf.json``: states only, each state after the first is
explained by any step).  The embedded validator runs by default; ``--tlc``
generates a trace-validation module and lets TLC decide instead.

Exit codes: 0 the trace is accepted, 1 it is rejected (the output names the
first event no behaviour of the spec explains), 2 bad input (spec errors,
an unknown model, an unreadable trace: the message names the line), 3 TLC
or Java is missing or failed (``--tlc``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .argtypes import name as arg_name
from .argtypes import positive_seconds
from .common import load_or_report, model_name

EXIT_ACCEPTED, EXIT_REJECTED, EXIT_BAD_INPUT, EXIT_TOOL = 0, 1, 2, 3
#: TLC exit codes that mean the spec went wrong at run time (not TLC itself)
SPEC_ERROR_EXITS = {10, 14, 75, 76, 77}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check that a logged trace is a behaviour of the spec",
                       description="Check that a trace logged by an implementation (JSON lines, or ITF) is a "
                                   "behaviour of a model of the spec; variables an event does not log are "
                                   "unconstrained. Exit code 0 accepted, 1 rejected, 2 bad input, 3 TLC missing "
                                   "or failed (--tlc).")
    p.add_argument("spec", metavar="SPEC", help="the spec file")
    p.add_argument("trace", metavar="TRACE", help="the trace: JSON lines, or ITF (*.itf.json)")
    p.add_argument("--model", "-m", type=arg_name, help="the model (default: the spec's only model)")
    p.add_argument("--tlc", action="store_true", help="validate with TLC (needs Java and tla2tools.jar)")
    p.add_argument("--jar", metavar="JAR", help="tla2tools.jar (default: $TLA2TOOLS_JAR, then the user cache)")
    p.add_argument("--timeout", type=positive_seconds, metavar="SECONDS", help="with --tlc: stop TLC after this long")
    p.add_argument("--keep", metavar="DIR", help="with --tlc: keep the generated modules in DIR")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def _fail(msg: str, code: int = EXIT_BAD_INPUT) -> int:
    print(f"pyspec: error: {msg}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    from ..conformance.traces import TraceFormatError, read_trace

    spec = load_or_report(args.spec)
    if spec is None:
        return EXIT_BAD_INPUT
    model = model_name(spec, args.spec, args.model)
    if model is None:
        return EXIT_BAD_INPUT
    try:
        trace = read_trace(spec, args.trace)
    except OSError as e:
        return _fail(f"{args.trace}: cannot read: {e.strerror or e}")
    except (TraceFormatError, UnicodeDecodeError) as e:
        return _fail(f"{args.trace}: {e}")
    if trace.init is None and not trace.events:
        # nothing to validate is not "valid": an empty log is a broken pipeline
        return _fail(f"{args.trace}: the trace is empty (no initial state, no events)")
    if args.tlc:
        return _with_tlc(args, spec, model, trace)
    return _embedded(args, spec, model, trace)


def _embedded(args, spec, model: str, trace) -> int:
    from ..compile import CompileError, EvalError, compile_model
    from ..conformance.validate import SHOW_CANDIDATES, validate

    try:
        cm = compile_model(spec, model)
        res = validate(cm, trace)
    except EvalError as e:
        return _fail(f"evaluation error: {e}")
    except CompileError as e:
        return _fail(f"{args.spec}: cannot compile model {model}: {e}")
    if args.json:
        data = _common_json(args, spec, model, "embedded", res.ok, res.explained, res.total, res.failed_event,
                            res.message)
        types = cm.state_types()
        data["candidates"] = [_itf_state(cm.to_values(s), types) for s in res.candidates[:SHOW_CANDIDATES]]
        data["candidate_count"] = len(res.candidates)
        data["enabled"] = sorted({_step_name(i.process, i.self, i.label) for i in res.enabled})
        print(json.dumps(data))
    else:
        print(res.render(cm))
    return EXIT_ACCEPTED if res.ok else EXIT_REJECTED


def _with_tlc(args, spec, model: str, trace) -> int:
    from ..conformance.tlc_trace import TraceExportError, validate_with_tlc
    from ..engines.tlc.jar import ToolMissing, resolve
    from ..tla.render import ExportError

    try:
        tools = resolve(args.jar)
    except ToolMissing as e:
        return _fail(str(e), EXIT_TOOL)
    try:
        res = validate_with_tlc(spec, model, trace, tools=tools, timeout=args.timeout, keep=args.keep)
    except (TraceExportError, ExportError) as e:
        return _fail(f"cannot write the trace check in TLA+: {e}")
    except OSError as e:
        return _fail(f"cannot run TLC: {e}", EXIT_TOOL)
    if res.error:
        code = EXIT_BAD_INPUT if res.tlc_exit in SPEC_ERROR_EXITS else EXIT_TOOL
        return _fail(f"TLC could not validate the trace: {res.error}", code)
    if args.json:
        from ..ir.state import state_types

        data = _common_json(args, spec, model, "tlc", res.ok, res.explained, res.total, res.failed_event,
                            res.message)
        types = state_types(spec)
        data["candidates"] = [_itf_state(s, types) for s in res.candidates]
        data["witness"] = [_itf_state(s, types) for s in res.witness]
        data["distinct_states"] = res.distinct_states
        data["seconds"] = res.seconds
        print(json.dumps(data))
    else:
        print(res.render())
    return EXIT_ACCEPTED if res.ok else EXIT_REJECTED


def _common_json(args, spec, model: str, engine: str, ok: bool, explained: int, total: int, ev, message: str) -> dict:
    from ..conformance.traces import Codec

    event = None
    if ev is not None:
        event = Codec(spec).encode(ev)
        event["where"] = ev.where
    return {
        "engine": engine, "spec": args.spec, "model": model, "trace": args.trace, "accepted": ok,
        "events": total, "explained": explained,
        # 1-based, as the human output counts; null when accepted or when no
        # initial state matches
        "rejected_event": None if ok or ev is None else explained + 1,
        "message": message, "event": event,
    }


def _itf_state(values: dict[str, Any], types) -> dict[str, Any]:
    from ..values import to_itf

    return {k: to_itf(v, types.get(k)) for k, v in values.items()}


def _step_name(process: str, self_value: Any, label: str) -> str:
    from ..values import format_value

    return f"{process}[{format_value(self_value)}].{label}" if self_value is not None else f"{process}.{label}"
