"""Human rendering of a :class:`~pyspec.report.Report`: the verdict, the
numbers, and the counterexample as a spec-level trace.

Every step shows the process (and instance), the label, ``file:line`` of
the step in the spec and the values ``any`` chose, then only the variables
that changed, written in the spec's own syntax (``values.format_typed``);
for an indexed process only the instances whose entry changed.  Used by both
engines (``render_report(report, spec)``).
"""

from __future__ import annotations

from typing import Any

from ..ir import nodes as ir
from ..ir.state import state_types
from ..values import FMap, format_typed, format_value, from_itf
from .report import Report

_VERDICT = {"ok": "holds", "violated": "VIOLATED", "error": "ERROR", "incomplete": "INCOMPLETE"}


def _decode(j: Any, ty: ir.Type | None) -> Any:
    if ty is None:
        return j
    try:
        return from_itf(j, ty)
    except Exception:  # noqa: BLE001 - show the raw JSON rather than fail
        return j


def _fmt(v: Any, ty: ir.Type | None) -> str:
    try:
        return format_typed(v, ty)
    except Exception:  # noqa: BLE001
        return repr(v)


def headline(report: Report) -> str:
    what = report.property or "all properties"
    kind = f"{report.kind} " if report.kind and report.property != "deadlock" else ""
    verdict = _VERDICT.get(report.verdict, report.verdict)
    exp = ""
    if report.expected:
        met = meets_expectation(report)
        exp = f" (expected: {report.expected}{'' if met else ' -- UNEXPECTED'})"
    return f"{report.spec} model {report.model}: {kind}{what} {verdict}{exp}"


def meets_expectation(report: Report) -> bool:
    """Does the report's outcome match what the model declares?"""
    expected = report.expected or "holds"
    if report.verdict == "ok":
        return expected == "holds"
    if report.verdict == "violated":
        return expected == "violated"
    return False


def render_report(report: Report, spec: ir.Spec | None = None) -> str:
    lines = [headline(report)]
    stats = (f"  {report.distinct_states:,} distinct states, {report.generated_states:,} generated, "
             f"depth {report.depth}, {report.seconds:.2f}s ({report.engine})")
    lines.append(stats)
    if report.message:
        lines.append(f"  {report.message}")
    if report.trace:
        lines.append("")
        lines.extend(render_trace(report, spec))
    return "\n".join(lines)


def render_trace(report: Report, spec: ir.Spec | None) -> list[str]:
    types = state_types(spec) if spec is not None else {}
    index_types = {}
    if spec is not None:
        for p in spec.processes:
            if p.index_set is not None:
                index_types[p.name] = p.index_set.type.elem
    out: list[str] = []
    prev: dict[str, Any] | None = None
    n = len(report.trace)
    for i, st in enumerate(report.trace):
        state = {k: _decode(v, types.get(k)) for k, v in st.state.items()}
        loop_mark = "   <- the loop starts here" if report.loop_start == i else ""
        if st.process is None:
            out.append(f"State {i + 1}: initial state{loop_mark}")
        else:
            who = st.process
            if st.self is not None:
                it = index_types.get(st.process)
                who += f"[{_fmt(_decode(st.self, it), it)}]"
            where = f"  ({st.source})" if st.source else ""
            params = ""
            if st.params:
                params = "  with " + ", ".join(f"{k} = {_fmt_any(v)}" for k, v in st.params.items())
            out.append(f"State {i + 1}: {who} {st.label}{where}{params}{loop_mark}")
        for key, val in state.items():
            ty = types.get(key)
            old = prev.get(key) if prev is not None else None
            if prev is not None and old == val:
                continue
            if isinstance(val, FMap) and isinstance(ty, ir.MapType) and key.count(".") == 1 and \
                    prev is not None and isinstance(old, FMap) and _is_process_entry(key, spec):
                for idx in val:
                    if old.get(idx) != val[idx]:
                        out.append(f"    {key_at(key, _fmt(idx, ty.key))} = {_fmt(val[idx], ty.value)}")
                continue
            out.append(f"    {key} = {_fmt(val, ty)}")
        prev = state
    if report.loop_start is not None and n:
        if report.loop_start == n - 1:
            out.append(f"State {n} stutters forever (no fair step must happen).")
        else:
            out.append(f"Back to state {report.loop_start + 1}: the loop repeats forever.")
    return out


def key_at(key: str, idx: str) -> str:
    proc, _, rest = key.partition(".")
    return f"{proc}[{idx}].{rest}"


def _is_process_entry(key: str, spec: ir.Spec | None) -> bool:
    if spec is None:
        return False
    proc = key.split(".", 1)[0]
    return any(p.name == proc and p.index is not None for p in spec.processes)


def _fmt_any(j: Any) -> str:
    if isinstance(j, str):
        return j
    try:
        return format_value(j)
    except Exception:  # noqa: BLE001
        return repr(j)


def render_table(rows: list[dict]) -> str:
    """The ``check --all`` table: spec, model, property, expected, got, states, time."""
    heads = ["spec", "model", "property", "expected", "got", "distinct states", "time"]
    data = [[r["spec"], r["model"], r["property"], r["expected"], r["got"], f"{r['distinct']:,}",
             f"{r['seconds']:.2f}s"] for r in rows]
    widths = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, h in enumerate(heads)]
    fmt_row = lambda cells: "  ".join(c.rjust(w) if i >= 5 else c.ljust(w)  # noqa: E731
                                      for i, (c, w) in enumerate(zip(cells, widths)))
    lines = [fmt_row(heads), fmt_row(["-" * w for w in widths])]
    for r, d in zip(rows, data):
        line = fmt_row(d)
        if not r.get("ok", True):
            line += "   <-- UNEXPECTED"
        lines.append(line)
    return "\n".join(lines)
