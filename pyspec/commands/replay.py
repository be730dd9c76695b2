"""``pyspec replay REPORT.json --adapter MODULE:FACTORY``: drive an
implementation along a counterexample.

REPORT.json is what ``pyspec check --json``, ``pyspec simulate --json`` or
``pyspec tlc --json`` printed (one report, a list of reports, or JSON lines);
the first violation with a trace is replayed (``--property`` picks another).
The adapter (see ``pyspec/conformance/drive.py``: ``reset``, ``perform``,
``observe``) comes from ``FACTORY`` in ``MODULE``, a dotted module path
(importable from the current directory, as with ``python -m``) or a
``path/to/file.py``; ``--adapter-arg NAME=VALUE`` passes keyword arguments
to the factory (VALUE read as JSON when it parses, else as a string); a
factory with a parameter ``model`` also gets the compiled model of the
report's spec and model (``CompiledModel``), unless ``--adapter-arg`` sets it.

Exit codes: 0 the implementation does not reproduce the violation along the
trace, 1 it does (the counterexample is a misbehaviour of the code), 2 bad
input (an unreadable report, no counterexample, an adapter that cannot be
loaded).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..files import write_atomic
from .argtypes import name as arg_name

EXIT_NOT_REPRODUCED, EXIT_REPRODUCED, EXIT_BAD_INPUT = 0, 1, 2
#: What replay calls on an adapter.
ADAPTER_METHODS = ("reset", "perform", "observe")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="drive an implementation along a counterexample",
                       description="Make an implementation take the steps of a counterexample found by the "
                                   "embedded engine or TLC, compare its refinement mapping with the trace after "
                                   "every step and check the violated property on it. Exit code 0 the "
                                   "implementation does not reproduce the violation, 1 it does, 2 bad input.")
    p.add_argument("report", metavar="REPORT", help="a report from check/simulate/tlc --json")
    p.add_argument("--adapter", required=True, metavar="MODULE:FACTORY",
                   help="the adapter factory: a dotted module path or a .py file, then ':' and a callable")
    p.add_argument("--adapter-arg", action="append", default=[], metavar="NAME=VALUE",
                   help="a keyword argument for the factory (repeatable; VALUE is JSON or a string)")
    p.add_argument("--property", "-p", type=arg_name, help="replay the counterexample of this property")
    p.add_argument("--spec", help="the spec file (default: the path the report names)")
    p.add_argument("--json", action="store_true", help="print the replay as one JSON object")
    p.add_argument("--html", metavar="FILE", help="also write the counterexample and what the implementation did "
                                                  "at each of its states as a self-contained HTML page")
    p.set_defaults(func=run)


class BadInput(Exception):
    """A message for the user; the command exits 2."""


def _fail(msg: str) -> int:
    print(f"pyspec: error: {msg}", file=sys.stderr)
    return EXIT_BAD_INPUT


# --------------------------------------------------------------------------
# Reading the report
# --------------------------------------------------------------------------


def read_reports(path: str) -> list:
    """The reports in a file: one JSON object, a JSON list, or JSON lines."""
    from ..report import Report

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not a text file") from None
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else [data]
        where = [f"report {i + 1}" for i in range(len(items))] if isinstance(data, list) else ["the report"]
    except json.JSONDecodeError:
        items, where = [], []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise BadInput(f"{path}: line {n}: not JSON: {e.msg}") from None
            where.append(f"line {n}")
    if not items:
        raise BadInput(f"{path}: no report in the file")
    out = []
    for item, w in zip(items, where):
        if not isinstance(item, dict):
            raise BadInput(f"{path}: {w}: not a report (expected a JSON object)")
        try:
            out.append(Report.from_json(item))
        except TypeError as e:
            raise BadInput(f"{path}: {w}: not a pyspec report ({e})") from None
    return out


def pick(reports: list, prop: str | None, path: str):
    found = [r for r in reports if r.verdict == "violated" and r.trace and (prop is None or r.property == prop)]
    if not found:
        what = f"no counterexample of {prop}" if prop else "no counterexample (a violation with a trace)"
        props = sorted({r.property for r in reports if r.verdict == "violated" and r.trace})
        raise BadInput(f"{path}: contains {what}" + (f"; violated: {', '.join(props)}" if props else ""))
    return found[0]


# --------------------------------------------------------------------------
# Loading the adapter
# --------------------------------------------------------------------------


def load_factory(text: str) -> Callable[..., Any]:
    """The callable named by ``MODULE:FACTORY``.

    The adapter is the user's own code that the user asked to run (as pytest
    runs a conftest.py or a plugin), imported like any Python module; it is
    not spec text, which pyspec never executes."""
    module_name, sep, attr = text.rpartition(":")
    if not sep or not module_name or not attr:
        raise BadInput(f"--adapter {text!r}: expected MODULE:FACTORY (e.g. pyspec.examples.peterson:Peterson)")
    try:
        if module_name.endswith(".py") or "/" in module_name or os.sep in module_name:
            path = Path(module_name)
            if not path.is_file():
                raise BadInput(f"--adapter: no such file: {module_name}")
            spec = importlib.util.spec_from_file_location(f"pyspec_adapter_{path.stem}", path)
            if spec is None or spec.loader is None:
                raise BadInput(f"--adapter: cannot load {module_name} as a Python module")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())  # as `python -m` does: modules of the current project
            module = importlib.import_module(module_name)
    except BadInput:
        raise
    except ModuleNotFoundError as e:
        raise BadInput(f"--adapter: no module named '{e.name}'") from None
    except Exception as e:  # noqa: BLE001 - the user's module failed while importing
        raise BadInput(f"--adapter: importing {module_name} failed: {type(e).__name__}: {e}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise BadInput(f"--adapter: {module_name} has no '{attr}'")
        obj = getattr(obj, part)
    if not callable(obj):
        raise BadInput(f"--adapter: {module_name}:{attr} is not callable")
    return obj


def factory_args(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise BadInput(f"--adapter-arg {item!r}: expected NAME=VALUE")
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BadInput as e:
        return _fail(str(e))


def _run(args: argparse.Namespace) -> int:
    from ..compile import CompileError, EvalError, compile_model
    from ..conformance.replay import replay
    from .common import load_or_report

    rep = pick(read_reports(args.report), args.property, args.report)
    spec_path = args.spec or rep.spec
    if not Path(spec_path).is_file():
        raise BadInput(f"{args.report}: the report's spec {spec_path} is not a file (give it with --spec)")
    spec = load_or_report(spec_path)
    if spec is None:
        return EXIT_BAD_INPUT
    if rep.model not in [m.name for m in spec.models]:
        raise BadInput(f"{spec_path} has no model '{rep.model}' (the report's)")
    kwargs = factory_args(args.adapter_arg)
    factory = load_factory(args.adapter)
    try:
        model = compile_model(spec, rep.model)
    except CompileError as e:
        raise BadInput(f"{spec_path}: cannot compile model {rep.model}: {e}") from None
    if "model" not in kwargs and _takes(factory, "model"):
        # an adapter that needs the spec's shape (the KVM adapter: vCPUs,
        # gfns, the generation width) gets the compiled model of the report
        kwargs["model"] = model
    try:
        adapter = factory(**kwargs)
    except Exception as e:  # noqa: BLE001 - the user's factory failed
        raise BadInput(f"--adapter: {args.adapter}({_kwargs_text(kwargs)}) failed: {type(e).__name__}: {e}") from None
    missing = [m for m in ADAPTER_METHODS if not callable(getattr(adapter, m, None))]
    if missing:
        # not "does not reproduce": the adapter cannot be driven at all
        raise BadInput(f"--adapter: {args.adapter} gives an object without {', '.join(m + '()' for m in missing)} "
                       f"(an adapter has {', '.join(ADAPTER_METHODS)}; see docs/conformance.md)")
    try:
        res = replay(model, rep, adapter)
    except (KeyError, TypeError, ValueError) as e:
        raise BadInput(f"{args.report}: the report's trace does not fit {spec_path}: {e}") from None
    except EvalError as e:
        raise BadInput(f"evaluation error: {e}") from None
    finally:
        close = getattr(adapter, "close", None)
        if callable(close):
            try:
                close()
            except Exception as e:  # noqa: BLE001 - the user's adapter failed to clean up
                print(f"pyspec: warning: the adapter's close() failed: {type(e).__name__}: {e}",
                      file=sys.stderr)
    if args.json:
        print(json.dumps(_json(args, rep, res)))
    else:
        print(_text(args, rep, res, spec_path))
    if args.html:
        from ..report.html import render_replay_html

        page = render_replay_html(rep, spec, res, f"{args.adapter}({_kwargs_text(kwargs)})")
        try:
            write_atomic(args.html, page)
        except OSError as e:
            raise BadInput(f"cannot write {args.html}: {e.strerror or e}") from None
        print(f"wrote {args.html}", file=sys.stderr)
    return EXIT_REPRODUCED if res.reproduced else EXIT_NOT_REPRODUCED


def _takes(factory: Callable[..., Any], name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a callable without a signature
        return False


def _kwargs_text(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" if k != "model" else "model=<the report's model>" for k, v in kwargs.items())


def _who(st) -> str:
    from ..values import format_value

    if st.label is None:
        return "init"
    return (st.process if st.self is None else f"{st.process}[{format_value(st.self)}]") + f" {st.label}"


def _text(args, rep, res, spec_path: str) -> str:
    from ..values import format_value

    kw = _kwargs_text(factory_args(args.adapter_arg))
    lines = [f"replaying {rep.engine}'s counterexample: {rep.property} {rep.kind or ''} violation, "
             f"{spec_path} model {rep.model}, {len(rep.trace) - 1} step(s)".replace("  ", " "),
             f"adapter: {args.adapter}({kw})"]
    width = max([len(_who(st)) for st in res.steps] + [4])
    for st in res.steps:
        status = "refinement matches" if not st.mismatches else "refinement differs"
        flag = f"   {res.property} violated" if st.property_holds is False else ""
        # numbered as `pyspec check` numbers states: the initial state is 1
        lines.append(f"{st.index + 1:4}  {_who(st).ljust(width)}  {status}{flag}")
        for k, want, got in st.mismatches:
            lines.append(f"        {k}: trace {format_value(want)}, implementation {format_value(got)}")
    if res.error:
        lines.append(f"stopped: the implementation failed at {res.error}")
    if res.reproduced:
        at = next((st.index + 1 for st in res.steps if st.property_holds is False), None)
        how = f" at state {at}" if at is not None else (" (it follows every step of the trace)"
                                                        if rep.kind in ("deadlock", "liveness") else "")
        lines.append(f"misbehaviour: the implementation reproduces the violation of {res.property}{how}")
    else:
        why = ("it does not follow the trace" if not res.followed or res.error else
               "it follows the trace but its states satisfy the property")
        lines.append(f"the implementation does not reproduce the violation of {res.property} ({why})")
    return "\n".join(lines)


def _json(args, rep, res) -> dict[str, Any]:
    from ..values import to_itf

    steps = []
    for st in res.steps:
        steps.append({
            "index": st.index, "process": st.process, "self": _plain(st.self), "label": st.label,
            "matches": not st.mismatches,
            "differences": [{"key": k, "trace": to_itf(w), "implementation": to_itf(g)} for k, w, g in st.mismatches],
            "property_holds": st.property_holds,
        })
    return {"report": {"engine": rep.engine, "spec": rep.spec, "model": rep.model, "property": rep.property,
                       "kind": rep.kind},
            "adapter": args.adapter, "steps": steps, "followed": res.followed, "reproduced": res.reproduced,
            "error": res.error}


def _plain(v: Any) -> Any:
    from ..values import to_itf

    return None if v is None else to_itf(v)
