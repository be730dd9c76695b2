"""Reading spec files: bytes -> text -> syntax tree, following ``extends`` and
``import`` to the files they name.

A spec ``extends base`` reads ``base.pyspec`` from the same directory (then
from each directory of the search path).  Every file is read once; cycles are
errors at the ``extends`` line that closes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lark

from ..diagnostics import Diagnostics, Span
from .parser import parse

SUFFIX = ".pyspec"
#: Larger files are refused: specs are written by people.
MAX_BYTES = 8 * 1024 * 1024
#: While a load that may be cached runs: the files it reads and looks for
#: (a load_cache.Recorder).
RECORDER = None


@dataclass
class Unit:
    """One parsed file."""

    path: str
    tree: lark.Tree
    role: str  # "root" | "extends" | "import"


def decode(data: bytes, path: str, diags: Diagnostics) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        diags.error(f"file is not valid UTF-8 (byte 0x{data[e.start]:02x})", Span(path, line, col, line, col + 1))
        diags.sources[path] = data.decode("utf-8", errors="replace")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        # Windows (CRLF) and old Mac (CR) line endings read as LF: the
        # columns of diagnostics stay those of the text
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    diags.sources[path] = text
    return text


def read_source(path: str, diags: Diagnostics, at: Span | None = None) -> str | None:
    p = Path(path)
    where = at or Span(path, 1, 1)
    try:
        if p.is_dir():
            diags.error(f"'{path}' is a directory, not a spec file", where)
            return None
        size = p.stat().st_size
        if size > MAX_BYTES:
            diags.error(f"file is too large ({size} bytes; at most {MAX_BYTES})", where)
            return None
        data = p.read_bytes()
        if RECORDER is not None:
            from .load_cache import digest

            RECORDER.reads[path] = digest(data)
    except FileNotFoundError:
        diags.error(f"no such file: '{path}'", where)
        return None
    except OSError as e:
        diags.error(f"cannot read '{path}': {e.strerror or e}", where)
        return None
    return decode(data, path, diags)


def load_units(path: str, diags: Diagnostics, text: str | None = None,
               search_path: tuple[str, ...] = ()) -> list[Unit]:
    """Parse ``path`` and every file it extends or imports, bases first."""
    units: list[Unit] = []
    seen: dict[str, Unit] = {}
    stack: list[str] = []

    def visit(file: str, role: str, source: str | None, at: Span | None) -> None:
        key = str(Path(file).resolve()) if source is None else file
        if key in stack:
            cycle = stack[stack.index(key):] + [key]
            diags.error(f"circular {'extends' if role == 'extends' else 'import'}: "
                        + " -> ".join(Path(s).name for s in cycle), at or Span(file, 1, 1))
            return
        if key in seen:
            return
        if source is None:
            source = read_source(file, diags, at)
        else:
            diags.sources[file] = source
        if source is None:
            return
        tree = parse(source, file, diags)
        if tree is None:
            return
        stack.append(key)
        for item in tree.children[1:]:
            if isinstance(item, lark.Tree) and item.data in ("extends_decl", "import_decl"):
                tok = item.children[0]
                sub = _find(str(tok), file, search_path)
                span = Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
                if sub is None:
                    diags.error(f"cannot find spec '{tok}' ('{tok}{SUFFIX}' next to this file"
                                + (" or on the search path" if search_path else "") + ")", span)
                    continue
                visit(sub, "extends" if item.data == "extends_decl" else "import", None, span)
        stack.pop()
        unit = Unit(file, tree, role)
        seen[key] = unit
        units.append(unit)

    visit(path, "root", text, None)
    return units


def _find(name: str, importer: str, search_path: tuple[str, ...]) -> str | None:
    here = Path(importer).parent
    for d in (here, *map(Path, search_path)):
        cand = d / f"{name}{SUFFIX}"
        found = cand.is_file()
        if RECORDER is not None:
            RECORDER.probes[str(cand)] = found
        if found:
            return str(cand) if not str(importer).startswith("/") else str(cand)
    return None
