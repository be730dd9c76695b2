"""Helpers shared by the subcommands: loading specs with diagnostics."""

from __future__ import annotations

import sys
from pathlib import Path

from ..diagnostics import Diagnostics
from ..ir.nodes import Spec
from ..language import load_with_diagnostics

SPEC_ROOT = "spec"


def print_diagnostics(diags: Diagnostics, strict: bool = False) -> None:
    text = diags.render()
    if text:
        print(text, file=sys.stderr)


def load_or_report(path: str, strict: bool = False) -> Spec | None:
    """Load a spec, printing its diagnostics; None when it has errors."""
    spec, diags = load_with_diagnostics(path)
    print_diagnostics(diags)
    if spec is None or (strict and diags.warnings):
        return None
    return spec


def model_name(spec: Spec, path: str, requested: str | None) -> str | None:
    """The model a command runs: the one asked for, or the spec's only model;
    None (after saying why) when there is no such model or a choice is needed."""
    models = [m.name for m in spec.models]
    if requested is None:
        if len(models) == 1:
            return models[0]
        print(f"{path}: error: choose a model with --model ({', '.join(models) or 'none'})", file=sys.stderr)
        return None
    if requested not in models:
        print(f"{path}: error: no model '{requested}' (models: {', '.join(models) or 'none'})", file=sys.stderr)
        return None
    return requested


def find_specs(paths: list[str]) -> list[str]:
    """Spec files under the given paths (default: spec/), sorted."""
    roots = paths or [SPEC_ROOT]
    out: list[str] = []
    for r in roots:
        p = Path(r)
        if p.is_dir():
            out.extend(str(x) for x in sorted(p.rglob("*.pyspec")))
        else:
            out.append(r)
    return out


def error_line(message: str) -> str:
    """A run-time error of a spec as a diagnostic line: ``file:line:col:
    error: ...`` when the message starts with its position, else
    ``pyspec: error: ...``."""
    import re

    first = message.strip().splitlines()[0] if message.strip() else "evaluation error"
    m = re.match(r"^(?:evaluating [^:]+: )?(\S+?:\d+(?::\d+)?): (.*)$", first)
    if m:
        return f"{m.group(1)}: error: {m.group(2)}"
    return f"pyspec: error: {first}"

