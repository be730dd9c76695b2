"""``pyspec lsp``: start the language server on stdin/stdout (editors start
it; see docs/editors.md)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lsp", help="run the language server over stdio (for editors)",
                       description="Run the pyspec language server (Language Server Protocol over "
                                   "stdin/stdout): diagnostics as you type, hover, go to definition, "
                                   "document symbols, completion.  Editors start it; see docs/editors.md.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..editor.lsp import main

    main()
    return 0
