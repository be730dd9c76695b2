"""The fenced code blocks of README.md and docs/, and what their info strings
(the words after the opening fence) ask tests/test_docs.py to verify:

=============================  ==============================================
info string                    verified
=============================  ==============================================
``pyspec``                     the block is a whole spec and lints
``pyspec check``               ... and every model of it meets its declared
                               outcomes under the embedded engine
``pyspec check fails=P,Q``     ... except P and Q, which do not (a spec shown
                               with its bug, before the fix)
``LANG file=NAME``             the reader saves the block as NAME: console
                               blocks further down the page run in a
                               directory that holds it
``LANG excerpt=PATH``          the block appears verbatim in PATH (a spec, a
                               Python file, a generated TLA+ module)
``tla pluscal file=NAME.tla``  with the ``cfg file=NAME.cfg`` block of the
                               page: translated by PlusCal and checked by TLC
                               without error (when TLC is available)
``quint invariant=P``          typechecked by Quint, and ``quint run
                               --invariant P`` (300 seeded simulations) finds
                               no violation (when a ``quint`` is found)
``console``                    each ``$ `` line is a command (``pyspec ...``
                               or ``python ...``), the lines after it its
                               output; the command is run again and its
                               output must be the same, timings aside
=============================  ==============================================

Console commands of a page run in order in one scratch directory that holds
the page's ``file=`` blocks and a copy of the repository's spec/ (so that
paths print as they would in the repository).
``pyspec tlc`` commands are skipped when TLC is not available.

    python docs/gen/doc_blocks.py [--write] [DOC...]

re-runs the console blocks of the given pages (default: every page with
one) and lists the outputs that changed; ``--write`` puts the new output
into the page instead.  An output that differs only in timings is left as
it is, so regenerating is byte-stable.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FENCE = re.compile(r"^```(?P<lang>[^\s`]*)(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
#: a duration as the commands print it: 0.01s, 2.0 s
TIMING = re.compile(r"\b\d+\.\d+ ?s\b")


@dataclass
class Block:
    """One fenced block: its language, its options (``word`` -> True,
    ``key=value`` -> value), its text and the line its text starts on."""

    doc: Path
    line: int
    lang: str
    options: dict[str, str | bool]
    body: str
    start: int = 0  # offsets of the body in the page
    end: int = 0

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def fenced_blocks(doc: Path, text: str | None = None) -> list[Block]:
    text = doc.read_text(encoding="utf-8") if text is None else text
    out = []
    for m in FENCE.finditer(text):
        options: dict[str, str | bool] = {}
        for word in m.group("info").split():
            key, eq, value = word.partition("=")
            options[key] = value if eq else True
        line = text[: m.start()].count("\n") + 2
        out.append(Block(doc, line, m.group("lang"), options, m.group("body"), m.start("body"), m.end("body")))
    return out


def pages() -> list[Path]:
    """README.md and every page under docs/, relative to the repository."""
    return [Path("README.md"), *sorted(p.relative_to(ROOT) for p in (ROOT / "docs").rglob("*.md"))]


# ------------------------------------------------------------------ console


@dataclass
class Command:
    """One ``$ `` line of a console block and the output shown under it."""

    block: Block
    index: int  # the command's position in its block
    command: str
    shown: str
    got: str | None = None  # None: not run (skipped)
    skipped: str = ""

    @property
    def changed(self) -> bool:
        return self.got is not None and normalise(self.got) != normalise(self.shown)


def commands_of(block: Block) -> list[Command]:
    out: list[Command] = []
    for line in block.body.splitlines():
        if line.startswith("$ "):
            out.append(Command(block, len(out), line[2:], ""))
        elif not out:
            raise ValueError(f"{block.where}: a console block starts with a `$ ` command line")
        else:
            out[-1].shown += line + "\n"
    return out


def normalise(output: str) -> str:
    """What must stay the same between runs: timings are dropped, runs of
    spaces (table alignment) and of dashes (table rules) shortened."""
    lines = []
    for line in output.splitlines():
        line = TIMING.sub("<t>s", line.rstrip())
        line = re.sub(r" {2,}", " ", re.sub(r"-{3,}", "---", line))
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def tlc_missing() -> str:
    """Why TLC cannot run here ("" when it can)."""
    from pyspec.engines.tlc.jar import ToolMissing, resolve

    try:
        resolve()
    except ToolMissing as e:
        return str(e).splitlines()[0]
    return ""


def run(command: str, cwd: Path) -> str:
    """Run one console command in ``cwd``; its stdout and stderr, interleaved,
    without TLC's ``progress:`` lines (a terminal shows them as a status line
    that disappears)."""
    return "".join(line for line in _run(command, cwd).splitlines(keepends=True)
                   if not line.startswith("progress: "))


def _run(command: str, cwd: Path) -> str:
    argv = shlex.split(command)
    if argv[0] == "pyspec":
        from pyspec.cli import main

        buf = io.StringIO()
        old = os.getcwd()
        os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                main(argv[1:])
        except SystemExit:  # argparse refused the arguments: its message is the output
            pass
        finally:
            os.chdir(old)
        return buf.getvalue()
    if argv[0] == "python":
        done = subprocess.run([sys.executable, *argv[1:]], cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                              timeout=600)
        return done.stdout
    raise ValueError(f"cannot run `{command}`: console blocks run `pyspec ...` or `python ...`")


def needs_tlc(command: str) -> bool:
    return command.startswith("pyspec tlc")


def run_page(doc: Path, which: Callable[[str], bool] = lambda command: True) -> list[Command]:
    """Run the console commands of a page that ``which`` selects, in order,
    in one scratch directory; commands that need TLC are skipped without it."""
    blocks = fenced_blocks(doc)
    commands: list[Command] = []
    if not any(b.lang == "console" for b in blocks):
        return commands
    no_tlc: str | None = None
    with tempfile.TemporaryDirectory(prefix="pyspec-doc-") as tmp:
        scratch = Path(tmp)
        shutil.copytree(ROOT / "spec", scratch / "spec", ignore=shutil.ignore_patterns("__pycache__"))
        for b in blocks:
            if isinstance(b.options.get("file"), str):
                (scratch / b.options["file"]).write_text(b.body, encoding="utf-8")
            if b.lang != "console":
                continue
            for c in commands_of(b):
                if not which(c.command):
                    continue
                if needs_tlc(c.command):
                    if no_tlc is None:
                        no_tlc = tlc_missing()
                    if no_tlc:
                        c.skipped = no_tlc
                        commands.append(c)
                        continue
                c.got = run(c.command, scratch)
                commands.append(c)
    return commands


def rewrite(doc: Path, commands: list[Command]) -> str:
    """The page with the changed outputs replaced by the new ones."""
    text = doc.read_text(encoding="utf-8")
    by_block: dict[int, list[Command]] = {}
    for c in commands:
        by_block.setdefault(c.block.start, []).append(c)
    for start in sorted(by_block, reverse=True):
        cmds = by_block[start]
        if len(cmds) != len(commands_of(cmds[0].block)):
            raise ValueError(f"{cmds[0].block.where}: rewrite a console block from all of its commands")
        if not any(c.changed for c in cmds):
            continue
        body = "".join(f"$ {c.command}\n" + (c.got if c.changed else c.shown) for c in cmds)
        if not body.endswith("\n"):
            body += "\n"
        text = text[:start] + body + text[cmds[0].block.end:]
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Re-run the console blocks of the docs.")
    ap.add_argument("docs", nargs="*", type=Path, help="pages (default: every page with a console block)")
    ap.add_argument("--write", action="store_true", help="replace outputs that changed")
    args = ap.parse_args(argv)
    os.chdir(ROOT)
    changed = 0
    for doc in args.docs or pages():
        commands = run_page(doc)
        for c in commands:
            if c.skipped:
                print(f"{c.block.where}: skipped `{c.command}`: {c.skipped}")
            elif c.changed:
                changed += 1
                print(f"{c.block.where}: output of `{c.command}` changed")
        if args.write and any(c.changed for c in commands):
            doc.write_text(rewrite(doc, commands), encoding="utf-8")
    if changed and not args.write:
        print(f"{changed} output(s) changed; `python docs/gen/doc_blocks.py --write` updates the pages")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
