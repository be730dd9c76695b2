"""The front end: text -> syntax tree -> checked IR.

A spec loaded from its file is cached (load_cache.py): loading it again
unchanged unpickles the checked IR without importing the parser (lark) or
the checker, which this module therefore imports only when it loads.
"""

from __future__ import annotations

from ..diagnostics import Diagnostics, SpecError
from ..ir.nodes import Spec


def load_with_diagnostics(path: str, text: str | None = None,
                          search_path: tuple[str, ...] = ()) -> tuple[Spec | None, Diagnostics]:
    """Load and check a spec; never raises on bad input."""
    path = str(path)
    search_path = tuple(map(str, search_path))
    rec = None
    if text is None:
        from . import load_cache

        if load_cache.enabled():
            hit = load_cache.lookup(path, search_path)
            if hit is not None:
                return hit
            rec = load_cache.Recorder()
    spec, diags = _load(path, text, search_path, rec)
    if rec is not None and spec is not None:
        load_cache.store(path, search_path, rec, spec, diags)
    return spec, diags


def _load(path: str, text: str | None, search_path: tuple[str, ...], rec) -> tuple[Spec | None, Diagnostics]:
    from . import loader
    from .checker import check

    diags = Diagnostics()
    outer = loader.RECORDER
    loader.RECORDER = rec
    try:
        units = loader.load_units(path, diags, text=text, search_path=search_path)
        spec = check(units, diags, search_path) if units and not diags.errors else None
    except RecursionError:
        from ..diagnostics import Span

        diags.error("spec is nested too deeply to check", Span(str(path), 1, 1))
        spec = None
    finally:
        loader.RECORDER = outer
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
