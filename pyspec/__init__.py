"""pyspec: a Python-flavoured protocol-spec language with TLA+/TLC export and
an embedded model checker."""

from __future__ import annotations

from .diagnostics import Diagnostic, Diagnostics, Span, SpecError


def __getattr__(name: str):
    # The language (lark, the checker) loads on first use: `pyspec` on the
    # command line installs its Ctrl-C and SIGTERM handling before that.
    if name in ("load", "load_with_diagnostics"):
        from . import language

        return getattr(language, name)
    raise AttributeError(f"module 'pyspec' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = ["load", "load_with_diagnostics", "SpecError", "Diagnostic", "Diagnostics", "Span", "__version__"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext pyspec``: the notebook magics (pyspec/jupyter/magic.py)."""
    from .jupyter import load_ipython_extension as load

    load(ipython)
