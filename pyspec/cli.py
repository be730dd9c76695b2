"""The ``pyspec`` command: a thin layer over the library API.

Each subcommand lives in ``pyspec/commands/<name>.py`` and provides
``register(subparsers)``; the function it sets as ``func`` returns the exit
code.  Exit codes: 0 ok, 1 a property did not meet its declared outcome,
2 bad input (a spec error, static or at run time), 3 a tool is missing or
failed, or an internal error of pyspec (its traceback is written to a file
in the cache directory, never to the terminal).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# pyspec does no linear algebra: numpy's OpenBLAS would start a thread per
# core when numpy is imported, which spins for a while (0.13 s of CPU per
# process here, taken from the other worker on a machine of two cores)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import __version__
from .files import OutputError

COMMANDS = ("lint", "fmt", "models", "tla", "tlc", "check", "simulate", "graph", "replay", "validate",
            "conformance", "jupyter", "lsp")

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_TOOL = 0, 1, 2, 3
EXIT_INTERNAL = 3


class Parser(argparse.ArgumentParser):
    """argparse with pyspec's one error prefix (``pyspec: error: ...``)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"pyspec: error: {self.prog.split(' ', 1)[-1]}: {message}\n"
                  if " " in self.prog else f"pyspec: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    # Ctrl-C and SIGTERM are handled from the first moment: a stop while the
    # commands load is an orderly exit (130), not a traceback or a bare kill.
    restore = sigterm_as_interrupt()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        refuse_outputs_over_inputs(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OutputError as e:
        print(f"pyspec: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        # a file that cannot be read or written (missing, a folder, under a
        # file, a full disk, no permission): bad input, not a pyspec bug
        where = f": {e.filename}" if e.filename else ""
        print(f"pyspec: error: {e.strerror or e}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:
        print("pyspec: error: the spec nests too deeply (or a def recurses without end) to be evaluated",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as e:  # noqa: BLE001 - a bug of pyspec, never a traceback on the terminal
        return internal_error(e, sys.argv[1:] if argv is None else argv)
    finally:
        restore()


def sigterm_as_interrupt():
    """SIGTERM (``kill``, a CI timeout, a service manager) stops a command as
    Ctrl-C does: a checkpoint is written, TLC's java is stopped, statistics
    are printed.  It is turned into a SIGINT, so that whatever handles
    Ctrl-C (the parallel search lets the level finish) handles it too; where
    SIGINT is ignored (a background job), it interrupts at once.  Returns a
    function restoring the default handler (main() called in process, by
    tests or a notebook, leaves the caller's handler as it was)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None

    def on_sigterm(signum, frame):
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGINT)

    signal.signal(signal.SIGTERM, on_sigterm)
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL)


#: Arguments that name files a command reads, and files it writes.
INPUT_ARGS = ("paths", "spec", "specs", "files", "report", "trace")  # not --recover: it may be --checkpoint too
OUTPUT_ARGS = {"html": "--html", "checkpoint": "--checkpoint", "output": "-o"}


def refuse_outputs_over_inputs(args: argparse.Namespace) -> None:
    """An output file may not be one of the command's inputs, nor any spec
    file (a spec it extends is an input too): refused before anything runs
    (:class:`OutputError`, exit 2)."""
    from pathlib import Path

    from .files import check_not_input

    inputs: list[str] = []
    for name in INPUT_ARGS:
        v = getattr(args, name, None)
        inputs += [v] if isinstance(v, str) else [x for x in (v or []) if isinstance(x, str)]
    for name, flag in OUTPUT_ARGS.items():
        path = getattr(args, name, None)
        if not isinstance(path, str) or not path or (name == "output" and args.command == "tla"):
            continue
        check_not_input(path, inputs, flag)
        if Path(path).suffix == ".pyspec":
            raise OutputError(f"{flag} {path}: refusing to write over a spec file")
        if Path(path).is_dir():
            raise OutputError(f"{flag} {path} is a folder: give a file name")
        for up in Path(path).parents:
            if up.exists():
                if not up.is_dir():
                    raise OutputError(f"{flag} {path}: {up} is a file, not a folder")
                break


def internal_error(e: BaseException, argv: list[str]) -> int:
    """Report an unexpected exception as a pyspec bug: one line naming it and
    the command that reproduces it; the traceback goes to a file."""
    import shlex
    import time
    import traceback

    from .cache import ensure_cache_dir

    text = "".join(traceback.format_exception(e))
    where = "(no writable cache directory: traceback not kept)"
    folder = ensure_cache_dir()
    if folder is not None:
        path = folder / f"internal-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"pyspec {__version__}\ncommand: pyspec {shlex.join(argv)}\n\n{text}")
            where = f"traceback in {path}"
        except OSError:
            pass
    print(f"pyspec: internal error (a bug in pyspec, please report it): {type(e).__name__}: {e}\n"
          f"  reproduce with: pyspec {shlex.join(argv)}\n  {where}", file=sys.stderr)
    return EXIT_INTERNAL


def _fixed_hash_seed() -> None:
    """Run the command under ``PYTHONHASHSEED=0`` (re-executing it once):
    the iteration order of a set of records or strings follows their
    hashes, which Python otherwise salts per process, and a quantifier
    stops at the first element that decides it, so a spec whose
    quantifier body fails on some elements (a field read on the wrong
    variant case) would get a value in one run and an error in another
    (docs/semantics.md).  The same command gives the same output."""
    argv = getattr(sys, "orig_argv", None)  # the interpreter's own command line: the same command again
    if os.environ.get("PYTHONHASHSEED") == "0" or not argv or not sys.executable:
        return
    env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        os.execve(sys.executable, [sys.executable, *argv[1:]], env)
    except OSError:  # pragma: no cover - go on with a salted hash
        pass


def run() -> None:
    _fixed_hash_seed()
    try:
        code = main()
    except KeyboardInterrupt:  # between main's return and here: still an interrupt
        code = 130
    # CPython marks the process "killed by SIGINT" (exit status -2, not 130)
    # when an interrupt leaves code run by exec() of a string (a dataclass's
    # generated methods, while a module loads), even though main() caught it;
    # the next exec() of a string clears the mark.
    exec("pass")
    sys.exit(code)
