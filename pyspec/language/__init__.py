"""The front end: text -> syntax tree -> checked IR."""

from __future__ import annotations

from ..diagnostics import Diagnostics, SpecError
from ..ir.nodes import Spec
from .checker import check
from .loader import load_units


def load_with_diagnostics(path: str, text: str | None = None,
                          search_path: tuple[str, ...] = ()) -> tuple[Spec | None, Diagnostics]:
    """Load and check a spec; never raises on bad input."""
    diags = Diagnostics()
    try:
        units = load_units(str(path), diags, text=text, search_path=search_path)
        spec = check(units, diags, search_path) if units and not diags.errors else None
    except RecursionError:
        from ..diagnostics import Span

        diags.error("spec is nested too deeply to check", Span(str(path), 1, 1))
        spec = None
    if diags.errors:
        spec = None
    return spec, diags


def load(path: str, text: str | None = None, search_path: tuple[str, ...] = ()) -> Spec:
    """Load, parse and check the spec at ``path``; return its IR.

    Raises :class:`SpecError` carrying every diagnostic when the spec has errors.
    """
    spec, diags = load_with_diagnostics(path, text, search_path)
    if spec is None:
        raise SpecError(diags)
    return spec
