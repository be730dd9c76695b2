"""``pyspec lint FILE...``: static checks only."""

from __future__ import annotations

import argparse
import sys

from ..language import load_with_diagnostics
from .common import find_specs, print_diagnostics


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lint", help="check spec files for errors (syntax, names, types)",
                       description="Run the static checks on spec files. Exit code 2 when any "
                                   "file has an error (or a warning, with --strict).")
    p.add_argument("files", nargs="*", metavar="FILE", help="spec files or directories (default: spec/)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("-q", "--quiet", action="store_true", help="print only diagnostics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = find_specs(args.files)
    if not files:
        print(f"pyspec: error: no spec files (*.pyspec) found in {', '.join(args.files) or 'spec/'}", file=sys.stderr)
        return 2
    bad = 0
    for f in files:
        spec, diags = load_with_diagnostics(f)
        print_diagnostics(diags)
        if spec is None or (args.strict and diags.warnings):
            bad += 1
    if not args.quiet:
        print(f"{len(files) - bad} of {len(files)} spec file{'s' if len(files) != 1 else ''} ok")
    return 2 if bad or not files else 0
