"""``pyspec tla SPEC... [--all] [--model M] [-o DIR]``: export specs to TLA+.

Each spec goes to ``DIR/<path of the spec under its root, without suffix>/``:
its module ``<Spec>.tla`` and, per model, ``MC_<model>.tla`` and
``MC_<model>.cfg``.  Nothing is written unless every spec exports; files are
replaced atomically, unchanged files are left alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..language import load_with_diagnostics
from ..tla.export import export_spec, output_subdir, write_tree
from ..tla.render import ExportError
from .argtypes import name as arg_name
from .common import find_specs, print_diagnostics

DEFAULT_OUT = "tla"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tla", help="export specs to TLA+ modules and TLC configurations",
                       description="Export specs to TLA+: one module per spec and, per model, an MC module "
                                   "and a .cfg for TLC. Exit code 2 when a spec has errors (then nothing is "
                                   "written).")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files (with --all: files or directories; "
                                                            "default spec/)")
    p.add_argument("--all", action="store_true",
                   help="export every spec under the given paths and remove generated files under DIR "
                        "that no spec produces any more (`make tla`)")
    p.add_argument("--model", "-m", type=arg_name, action="append", metavar="M", help="only this model (repeatable)")
    p.add_argument("-o", "--output", default=DEFAULT_OUT, metavar="DIR", help=f"output directory (default {DEFAULT_OUT}/)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


def collect(paths: list[str], models: list[str] | None, roots: list[str]) -> tuple[dict[str, str] | None, int]:
    """Render every spec in memory: (relative path -> text, number of specs),
    or (None, n) when any spec has errors (which are printed)."""
    files: dict[str, str] = {}
    bad = 0
    for path in paths:
        spec, diags = load_with_diagnostics(path)
        print_diagnostics(diags)
        if spec is None:
            bad += 1
            continue
        if models:
            unknown = [m for m in models if m not in {x.name for x in spec.models}]
            if unknown and len(paths) == 1:
                print(f"{path}: error: no model {', '.join(repr(u) for u in unknown)} "
                      f"(models: {', '.join(m.name for m in spec.models) or 'none'})", file=sys.stderr)
                bad += 1
                continue
        try:
            exp = export_spec(spec, models)
        except ExportError as e:
            print(f"{path}: error: cannot export to TLA+: {e}", file=sys.stderr)
            bad += 1
            continue
        sub = output_subdir(path, roots)
        for name, text in exp.files.items():
            files[f"{sub}/{name}"] = text
    return (None if bad else files), len(paths)


def run(args: argparse.Namespace) -> int:
    if args.all:
        roots = args.specs or ["spec"]
        paths = find_specs(roots)
    else:
        if not args.specs:
            print("pyspec: error: give spec files, or --all to export every spec under spec/", file=sys.stderr)
            return 2
        roots = []
        paths = args.specs
    if not paths:
        print("pyspec: error: no spec files found", file=sys.stderr)
        return 2
    files, n = collect(paths, args.model, roots)
    if files is None:
        print(f"pyspec: error: nothing written to {args.output}/ (fix the errors above)", file=sys.stderr)
        return 2
    out = Path(args.output)
    written, removed = write_tree(out, files, prune=bool(args.all and not args.model))
    if not args.quiet:
        unchanged = len(files) - len(written)
        print(f"{len(files)} files for {n} spec{'s' if n != 1 else ''} under {out}/: "
              f"{len(written)} written, {unchanged} unchanged" + (f", {len(removed)} stale removed" if removed else ""))
    return 0
