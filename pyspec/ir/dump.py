"""A stable, readable dump of the IR (for golden tests and `pyspec ir`).

Every node prints as its class name and fields; expression types print after
a colon; spans are left out unless asked for, so that a dump only changes
when the meaning of a spec changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import nodes as ir

#: fields left out of a dump when unset (None or empty): Stmt.macro, Spec.macros,
#: Property.refinement
_ONLY_WHEN_SET = frozenset({"macro", "macros", "refinement"})


def to_data(node: Any, spans: bool = False) -> Any:
    """The IR as nested lists/dicts of plain values."""
    if isinstance(node, tuple):
        return [to_data(x, spans) for x in node]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        out: dict[str, Any] = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if f.name == "span":
                if spans:
                    out["span"] = str(v)
                continue
            if f.name == "type" and isinstance(node, ir.Expr):
                out["type"] = str(v)
                continue
            if f.name in _ONLY_WHEN_SET and not v:  # a statement no macro call inlined, a spec without macros
                continue
            out[f.name] = to_data(v, spans)
        return out
    return node


def dump(node: Any, spans: bool = False) -> str:
    lines: list[str] = []
    _emit(to_data(node, spans), "", lines, None)
    return "\n".join(lines) + "\n"


def _emit(data: Any, indent: str, lines: list[str], key: str | None) -> None:
    prefix = f"{indent}{key}: " if key is not None else indent
    if isinstance(data, dict):
        head = data.get("node", "")
        typed = isinstance(data.get("type"), str)
        extra = f" : {data['type']}" if typed else ""
        scalars = [(k, v) for k, v in data.items()
                   if k != "node" and not (k == "type" and typed) and not isinstance(v, (dict, list))]
        nested = [(k, v) for k, v in data.items() if isinstance(v, (dict, list))]
        attrs = " ".join(f"{k}={v!r}" for k, v in scalars)
        lines.append(f"{prefix}{head}{extra}" + (f" {attrs}" if attrs else ""))
        for k, v in nested:
            _emit(v, indent + "  ", lines, k)
    elif isinstance(data, list):
        if not data:
            lines.append(f"{prefix}[]")
            return
        lines.append(f"{prefix}[")
        for v in data:
            _emit(v, indent + "  ", lines, None)
        lines.append(f"{indent}]")
    else:
        lines.append(f"{prefix}{data!r}")
