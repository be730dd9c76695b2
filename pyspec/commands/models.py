"""``pyspec models [--json] [PATH...]``: every model of every spec."""

from __future__ import annotations

import argparse
import json

from ..language import load_with_diagnostics
from ..printer import format_expr
from .common import find_specs, print_diagnostics


def model_rows(files: list[str]) -> tuple[list[dict], int]:
    rows = []
    bad = 0
    for f in files:
        spec, diags = load_with_diagnostics(f)
        if spec is None:
            print_diagnostics(diags)
            bad += 1
            continue
        for m in spec.models:
            rows.append({
                "spec": f,
                "spec_name": spec.name,
                "model": m.name,
                "version": spec_version(spec),
                "constants": {n: format_expr(v) for n, v in m.constants},
                "properties": {c.property: c.expected for c in m.checks},
                "deadlock": m.deadlock,
                "symmetry": list(m.symmetry),
                "constraint": format_expr(m.constraint) if m.constraint is not None else None,
                "doc": m.doc,
            })
    return rows, bad


def spec_version(spec) -> str | None:
    """The version a spec models: its VERSION constant when it declares one."""
    for c in spec.consts:
        if c.name == "VERSION" and c.default is not None and isinstance(getattr(c.default, "value", None), str):
            return c.default.value
    return None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list every model of every spec",
                       description="List every model of every spec under the given paths "
                                   "(default: spec/) with its constants, properties and expected outcomes.")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows, bad = model_rows(find_specs(args.paths))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            props = ", ".join(f"{p}:{o}" for p, o in r["properties"].items()) or "-"
            consts = ", ".join(f"{k}={v}" for k, v in r["constants"].items())
            print(f"{r['spec']}  {r['model']}  [{consts}]  {props}")
    return 2 if bad else 0
