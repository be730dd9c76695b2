"""The ``pyspec`` command: a thin layer over the library API.

Each subcommand lives in ``pyspec/commands/<name>.py`` and provides
``register(subparsers)``; the function it sets as ``func`` returns the exit
code.  Exit codes: 0 ok, 1 a property violated (unexpectedly), 2 bad input,
3 a tool is missing or failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

COMMANDS = ("lint", "models", "tla", "tlc", "check", "simulate", "graph", "replay", "validate",
            "conformance", "jupyter")

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_TOOL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyspec",
        description="Check protocol specs: lint, export to TLA+, model-check with the embedded "
                    "engine or TLC.",
    )
    parser.add_argument("--version", action="version", version=f"pyspec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"pyspec.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"pyspec.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> None:
    sys.exit(main())
