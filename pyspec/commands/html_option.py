"""``--html FILE``, shared by ``check``, ``simulate`` and ``tlc``: the
reports of the run as one self-contained page (:mod:`pyspec.report.html`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence

from ..ir.nodes import Spec
from ..report import Report


def add_html_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--html", metavar="FILE", help="also write the report(s) as a self-contained HTML page "
                                                  "(counterexamples drawn as swimlanes)")


def write_html_option(args: argparse.Namespace, reports: Sequence[Report], specs: Iterable[Spec]) -> bool:
    """Write ``--html`` if given; False (after a message) when the file cannot be written."""
    path = getattr(args, "html", None)
    if not path:
        return True
    from ..report.html import write_html

    try:
        write_html(path, reports, list(specs))
    except OSError as e:
        print(f"pyspec: error: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return False
    print(f"wrote {path}", file=sys.stderr)
    return True
