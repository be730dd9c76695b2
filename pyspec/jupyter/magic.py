"""IPython magics: ``%load_ext pyspec``, then

- ``%%pyspec [--model M] [--property P]...``: the cell is a spec; check it
  with the embedded engine and show the result inline (a table of model,
  property, expected, got, states, time, and the counterexamples);
- ``%pyspec FILE [--model M] [--property P]...``: the same for a spec file;
- ``%%pyspec_tla [--model M] [-o DIR]``, ``%pyspec_tla [FILE]``: the TLA+
  that ``pyspec tla`` exports for the cell's spec, for FILE, or (no FILE)
  for the spec of the last ``%%pyspec`` cell.

A spec with errors shows its located diagnostics (``<cell>:LINE:COL:
error: ...``), as ``pyspec lint`` prints them; bad magic options give
IPython's one-line ``UsageError``.  Neither shows a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .cells import check_spec, export_tla, load_spec
from .view import TRACE_MODES, ErrorView, TlaView


def _source(line_file: str | None, cell: str | None, magic: str) -> tuple[str | None, str | None]:
    """(cell text, file path): exactly one is given."""
    if cell is not None and line_file:
        raise UsageError(f"%%{magic}: the spec is the cell; a file ({line_file}) is for the line form %{magic} FILE")
    if cell is None and not line_file:
        raise UsageError(f"%{magic} needs a spec file (or write the spec in a %%{magic} cell)")
    return cell, line_file


@magics_class
class PyspecMagics(Magics):
    def __init__(self, shell=None):
        super().__init__(shell)
        # The text of the last %%pyspec cell, so that `%pyspec_tla` alone
        # shows the TLA+ of the spec just checked.
        self.last_cell: str | None = None
        self.last_search_path: list[str] = []

    @magic_arguments()
    @argument("file", nargs="?", help="a spec file (line form only; in the cell form the cell is the spec)")
    @argument("--model", "-m", help="the model to check (default: every model of the spec)")
    @argument("--property", "-p", action="append", default=[], metavar="P",
              help="check this property alone ('deadlock' for deadlock); repeatable")
    @argument("--max-states", type=int, default=None, help="stop after this many distinct states")
    @argument("--traces", choices=TRACE_MODES, default="all",
              help="which counterexamples to draw: all (default), unexpected, none")
    @argument("--path", action="append", default=[], metavar="DIR",
              help="also look for the specs an `extends` names in DIR; repeatable")
    @line_cell_magic
    def pyspec(self, line: str, cell: str | None = None):
        """Check a spec (the cell, or FILE) with pyspec's embedded model checker."""
        args = parse_argstring(self.pyspec, line)
        text, path = _source(args.file, cell, "pyspec")
        if text is not None:
            self.last_cell, self.last_search_path = text, list(args.path)
        spec, notes = load_spec(text, path, args.path)
        if spec is None:
            return ErrorView(notes)
        return check_spec(spec, args.model, args.property, max_states=args.max_states, traces=args.traces,
                          notes=notes)

    @magic_arguments()
    @argument("file", nargs="?", help="a spec file (default: the spec of the last %%%%pyspec cell)")
    @argument("--model", "-m", action="append", default=[], metavar="M", help="only this model's files; repeatable")
    @argument("-o", "--output", metavar="DIR", help="also write the files into DIR")
    @argument("--path", action="append", default=[], metavar="DIR",
              help="also look for the specs an `extends` names in DIR; repeatable")
    @line_cell_magic
    def pyspec_tla(self, line: str, cell: str | None = None):
        """The TLA+ modules and TLC configurations of a spec (the cell, FILE, or the last %%pyspec cell)."""
        args = parse_argstring(self.pyspec_tla, line)
        search_path = list(args.path)
        if cell is None and not args.file:
            if self.last_cell is None:
                raise UsageError("%pyspec_tla needs a spec file, a %%pyspec_tla cell, or a %%pyspec cell run before it")
            cell, search_path = self.last_cell, search_path + self.last_search_path
        text, path = _source(args.file, cell, "pyspec_tla")
        spec, notes = load_spec(text, path, search_path)
        if spec is None:
            return ErrorView(notes)
        view = export_tla(spec, args.model)
        if isinstance(view, TlaView) and args.output:
            from ..tla.export import write_tree

            try:
                written, _ = write_tree(Path(args.output), view.files)
            except OSError as e:
                return ErrorView(f"cannot write into {args.output}: {e.strerror or e}")
            print(f"{len(view.files)} files under {args.output}/: {len(written)} written, "
                  f"{len(view.files) - len(written)} unchanged", file=sys.stderr)
        return view


def load_ipython_extension(ipython) -> None:
    ipython.register_magics(PyspecMagics)
