"""``pyspec fmt [--check] [--diff] [PATH...]``: the canonical layout of spec
files (pyspec/language/formatter.py)."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..diagnostics import Diagnostics
from ..files import write_atomic
from ..language.formatter import FormatError, format_source
from ..language.loader import read_source
from .common import find_specs, print_diagnostics


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="lay out spec files in the canonical style",
                       description="Rewrite spec files in the canonical layout: 4-space blocks, single "
                                   "spaces around operators, no trailing white space, at most one blank "
                                   "line in a row. Lines are never joined or split; comments, strings and "
                                   "docstrings are kept; the meaning never changes (a file that does not "
                                   "parse is left as it is, exit code 2). With --check or --diff nothing "
                                   "is written.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="spec files or directories (default: spec/)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; list the files that are not formatted, exit code 1 if any")
    p.add_argument("--diff", action="store_true",
                   help="write nothing; print the changes as a unified diff")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = find_specs(args.paths)
    if not files:
        print(f"pyspec: error: no spec files (*.pyspec) found in {', '.join(args.paths) or 'spec/'}",
              file=sys.stderr)
        return 2
    write = not (args.check or args.diff)
    bad = changed = 0
    for f in files:
        diags = Diagnostics()
        text = read_source(f, diags)
        if text is None:
            print_diagnostics(diags)
            bad += 1
            continue
        data = Path(f).read_bytes()
        try:
            out = format_source(text, f)
        except FormatError as e:
            print(e.render(), file=sys.stderr)
            bad += 1
            continue
        if out.encode("utf-8") == data:
            continue
        changed += 1
        if args.diff:
            old = data.decode("utf-8", errors="replace")
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(keepends=True),
                                                       out.splitlines(keepends=True),
                                                       *_diff_names(f)))
        elif args.check:
            print(f)
        if write:
            write_atomic(f, out)
            print(f"reformatted {f}")
    n = len(files)
    if write:
        summary = f"{changed} of {n} spec file{'s' if n != 1 else ''} reformatted"
    else:
        summary = (f"{changed} of {n} spec file{'s' if n != 1 else ''} would be reformatted" if changed
                   else f"{n - bad} spec file{'s' if n - bad != 1 else ''} already formatted")
    print(summary + (f", {bad} not formatted (errors)" if bad else ""), file=sys.stderr)
    if bad:
        return 2
    return 1 if args.check and changed else 0


def _diff_names(path: str) -> tuple[str, str]:
    """The file names of a diff: git's a/ and b/ for a relative path."""
    return (path, path) if Path(path).is_absolute() else (f"a/{path}", f"b/{path}")
