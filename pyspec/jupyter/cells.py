"""What the notebook magics do, without IPython: load a spec from a cell (or
a file), check it with the embedded engine, export it to TLA+.  Each
function returns a view (:mod:`.view`); bad input gives an
:class:`~.view.ErrorView` with the located diagnostic, never an exception.

A spec written in a cell is named ``<cell>`` in diagnostics; an ``extends``
in it finds its base next to the notebook (the kernel's working directory)
or in the directories of ``search_path``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..diagnostics import SpecError
from ..ir import nodes as ir
from ..language import load_with_diagnostics
from .view import CheckView, ErrorView, TlaView

CELL = "<cell>"


def load_spec(text: str | None = None, path: str | None = None,
              search_path: Sequence[str] = ()) -> tuple[ir.Spec | None, str]:
    """The spec in ``text`` (named ``<cell>``) or in the file ``path``, and
    the rendered diagnostics (warnings when it loads, errors when it does not)."""
    spec, diags = load_with_diagnostics(path or CELL, text=text if path is None else None,
                                        search_path=tuple(search_path))
    return spec, diags.render()


def _names(items) -> str:
    return ", ".join(x.name for x in items) or "none"


def check_spec(spec: ir.Spec, model: str | None = None, properties: Sequence[str] = (),
               max_states: int | None = None, traces: str = "all", notes: str = "") -> CheckView | ErrorView:
    """Check ``spec``: every declared check of ``model`` (default: of every
    model), or only ``properties`` (each alone, stopping at its first
    violation, as ``pyspec check --property`` does)."""
    from ..engines.embedded import check, check_model

    models = [m.name for m in spec.models]
    if not models:
        return ErrorView(f"{spec.path}: the spec declares no model to check; add one, for example\n\n"
                         "model default:\n    check " + (spec.properties[0].name if spec.properties else "P")
                         + ": holds")
    if model is not None and model not in models:
        return ErrorView(f"{spec.path}: no model '{model}' (models: {', '.join(models)})")
    chosen = [model] if model else models
    if properties and len(chosen) != 1:
        return ErrorView(f"{spec.path}: --property needs --model (models: {', '.join(models)})")
    declared = {p.name for p in spec.properties} | {"deadlock"}
    unknown = [p for p in properties if p not in declared]
    if unknown:
        return ErrorView(f"{spec.path}: no property {', '.join(repr(p) for p in unknown)} "
                         f"(properties: {_names(spec.properties)}, deadlock)")
    try:
        if properties:
            reports = [check(spec, chosen[0], property=p, max_states=max_states) for p in properties]
        else:
            reports = [r for m in chosen for r in check_model(spec, m, max_states=max_states)]
    except SpecError as e:  # a model whose constants do not evaluate, and the like
        return ErrorView(e.render())
    return CheckView(reports, spec, traces=traces, notes=notes)


def export_tla(spec: ir.Spec, models: Sequence[str] = ()) -> TlaView | ErrorView:
    """The TLA+ modules and TLC configurations ``pyspec tla`` writes for ``spec``."""
    from ..tla.export import export_spec
    from ..tla.render import ExportError

    unknown = [m for m in models if m not in {x.name for x in spec.models}]
    if unknown:
        return ErrorView(f"{spec.path}: no model {', '.join(repr(m) for m in unknown)} "
                         f"(models: {_names(spec.models)})")
    try:
        exp = export_spec(spec, list(models) or None)
    except ExportError as e:
        return ErrorView(f"{spec.path}: error: cannot export to TLA+: {e}")
    return TlaView(exp.files)
