"""pyspec: a Python-flavoured protocol-spec language with TLA+/TLC export and
an embedded model checker."""

from __future__ import annotations

from .diagnostics import Diagnostic, Diagnostics, Span, SpecError
from .language import load, load_with_diagnostics

__version__ = "0.1.0"

__all__ = ["load", "load_with_diagnostics", "SpecError", "Diagnostic", "Diagnostics", "Span", "__version__"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext pyspec``: the notebook magics (pyspec/jupyter/magic.py)."""
    from .jupyter import load_ipython_extension as load

    load(ipython)
