"""``pyspec jupyter install [--user | --sys-prefix | --prefix DIR] [--jar PATH]``:
register the tlaplus-jupyter TLA+ kernel, running TLC from the
``tla2tools.jar`` pyspec resolves (``--jar``, ``$TLA2TOOLS_JAR``, the
per-user cache of ``make tla2tools``).  Nothing is downloaded.

Exit codes: 0 installed; 3 the jupyter extra or the jar is missing, or the
kernelspec cannot be written.  The ``%%pyspec`` magic needs no install:
``%load_ext pyspec`` in a Python notebook (docs/jupyter.md).
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_TOOL = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("jupyter", help="Jupyter: register the TLA+ kernel (tlaplus-jupyter) with pyspec's TLC jar",
                       description="Jupyter integration. `install` registers the tlaplus-jupyter TLA+ kernel "
                                   "with the tla2tools.jar pyspec resolves; the %%pyspec magic needs no install "
                                   "(`%load_ext pyspec` in a Python notebook).")
    actions = p.add_subparsers(dest="jupyter_command", metavar="ACTION")
    inst = actions.add_parser("install", help="register the TLA+ kernel with pyspec's tla2tools.jar",
                              description="Register the tlaplus-jupyter TLA+ kernel (as 'tlaplus_jupyter'), "
                                          "running TLC from the jar given by --jar, $TLA2TOOLS_JAR or the "
                                          "per-user cache (`make tla2tools`). Nothing is downloaded.")
    where = inst.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user (the default)")
    where.add_argument("--sys-prefix", action="store_true",
                       help=f"install into this Python environment ({sys.prefix}/share/jupyter/kernels)")
    where.add_argument("--prefix", metavar="DIR", help="install into DIR/share/jupyter/kernels")
    inst.add_argument("--jar", metavar="PATH", help="tla2tools.jar (default: $TLA2TOOLS_JAR, then the user cache)")
    inst.add_argument("--name", default=None, metavar="NAME",
                      help="the kernel's name (default tlaplus_jupyter, the name tlaplus-jupyter notebooks ask for)")
    inst.set_defaults(func=run_install)
    p.set_defaults(func=lambda args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def _jar_origin(option: str | None) -> str:
    if option:
        return "--jar"
    if os.environ.get("TLA2TOOLS_JAR"):
        return "TLA2TOOLS_JAR"
    return "the per-user cache"


def run_install(args: argparse.Namespace) -> int:
    from ..engines.tlc.jar import ToolMissing, resolve_jar, resolve_java
    from ..jupyter.kernelspec import KERNEL_NAME, ExtraMissing, install, require_extra

    try:
        require_extra()
    except ExtraMissing as e:
        print(f"pyspec: error: {e}", file=sys.stderr)
        return EXIT_TOOL
    try:
        jar = resolve_jar(args.jar).resolve()
    except ToolMissing as e:
        print(f"pyspec: error: {e}", file=sys.stderr)
        return EXIT_TOOL
    prefix = sys.prefix if args.sys_prefix else args.prefix
    name = args.name or KERNEL_NAME
    try:
        dest = install(jar, user=prefix is None, prefix=prefix, name=name)
    except (OSError, ValueError) as e:  # no write access; an invalid --name
        print(f"pyspec: error: cannot install the kernelspec: {getattr(e, 'strerror', None) or e}",
              file=sys.stderr)
        return EXIT_TOOL
    print(f"installed the TLA+ kernel '{name}' in {dest}\n  tla2tools.jar: {jar} (from {_jar_origin(args.jar)})")
    try:
        print(f"  java: {resolve_java()} (looked up again each time the kernel runs TLC)")
    except ToolMissing:
        print("pyspec: warning: Java was not found; the kernel needs Java 11 or newer "
              "on PATH or in JAVA_HOME to run TLC", file=sys.stderr)
    return 0
