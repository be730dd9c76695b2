"""Human rendering of a :class:`~pyspec.report.Report`: the verdict, the
numbers, and the counterexample as a spec-level trace.

Every step shows the process (and instance), the label, ``file:line`` of
the step in the spec and the values ``any`` chose, then only the variables
that changed, written in the spec's own syntax (``values.format_typed``);
for an indexed process only the instances whose entry changed.  Used by both
engines (``render_report(report, spec)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ir import nodes as ir
from ..ir.state import state_types
from ..values import FMap, format_typed, format_value, from_itf
from .report import Report, TraceStep

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


@dataclass(frozen=True)
class Change:
    """One variable (or one process instance's entry) that a step changed.

    ``old`` is None in the initial state, where every variable is listed;
    ``old``/``new`` are decoded values of type ``type`` (raw ITF JSON when
    the spec is unknown or a value does not decode).  ``index`` is the
    process instance of an indexed process's entry (``key`` is then
    ``proc.local``/``proc.pc`` and ``name`` ``proc[i].local``), else None.
    """

    key: str
    name: str
    old: Any
    new: Any
    type: ir.Type | None
    index: Any = None


def decoded_states(report: Report, spec: ir.Spec | None) -> list[dict[str, Any]]:
    """Every trace state with its values decoded with the spec's types."""
    types = state_types(spec) if spec is not None else {}
    return [{k: _decode(v, types.get(k)) for k, v in st.state.items()} for st in report.trace]


def trace_changes(report: Report, spec: ir.Spec | None) -> list[list[Change]]:
    """Per trace state, the variables that changed from the previous state
    (every variable for the initial state).  The text and HTML renderings
    both show exactly these."""
    types = state_types(spec) if spec is not None else {}
    out: list[list[Change]] = []
    prev: dict[str, Any] | None = None
    for state in decoded_states(report, spec):
        changes: list[Change] = []
        for key, val in state.items():
            ty = types.get(key)
            old = prev.get(key) if prev is not None else None
            if prev is not None and old == val:
                continue
            if isinstance(val, FMap) and isinstance(ty, ir.MapType) and key.count(".") == 1 and \
                    prev is not None and isinstance(old, FMap) and _is_process_entry(key, spec):
                # an indexed process's entry: only the instances whose value changed
                for idx in val:
                    if old.get(idx) != val[idx]:
                        changes.append(Change(key, key_at(key, _fmt(idx, ty.key)), old.get(idx), val[idx],
                                              ty.value, idx))
                continue
            changes.append(Change(key, key, old, val, ty))
        out.append(changes)
        prev = state
    return out


def process_title(step: TraceStep, spec: ir.Spec | None) -> str:
    """``proc`` or ``proc[index]`` in the spec's syntax (None: no process);
    an action with its arguments, ``Request(p1)`` or ``Send(p1, p2)``."""
    who = step.process or ""
    proc = None
    if spec is not None:
        proc = next((p for p in spec.processes if p.name == step.process), None)
    it = proc.index_set.type.elem if proc is not None and proc.index_set is not None else None
    if proc is not None and proc.is_action:
        if step.self is None:
            return who
        if len(proc.params) == 1:
            return f"{who}({_fmt(_decode(step.self, it), it)})"
        args = _decode(step.self, it)
        return f"{who}({', '.join(_fmt(a, t) for a, t in zip(args, it.elems))})"
    if step.self is not None:
        who += f"[{_fmt(_decode(step.self, it), it)}]"
    return who


def step_title(step: TraceStep, spec: ir.Spec | None) -> str:
    """``proc[index] Label``, or an action's ``Request(p1)`` (its label is its name)."""
    who = process_title(step, spec)
    if spec is not None and any(p.name == step.process and p.is_action for p in spec.processes):
        return who
    return f"{who} {step.label}"


def params_text(step: TraceStep) -> str:
    """The values ``any`` chose: ``x = Gfn.g1, y = 2`` (empty when none), in
    spec syntax (the step's ``display``; raw ITF only for a report without it)."""
    return ", ".join(f"{_binder_text(k)} = {step.display[k] if k in step.display else _fmt_any(v)}"
                     for k, v in step.params.items())


def _binder_text(name: str) -> str:
    """A bound name as the spec wrote it: the hidden name of a tuple
    pattern (``p__q``, docs/language.md) as the pattern ``(p, q)``."""
    return "(" + ", ".join(name.split("__")) + ")" if "__" in name else name


def render_trace(report: Report, spec: ir.Spec | None) -> list[str]:
    out: list[str] = []
    n = len(report.trace)
    for i, (st, changes) in enumerate(zip(report.trace, trace_changes(report, spec))):
        loop_mark = "   <- the loop starts here" if report.loop_start == i else ""
        if st.process is None:
            out.append(f"State {i + 1}: initial state{loop_mark}")
        else:
            where = f"  ({st.source})" if st.source else ""
            params = f"  with {params_text(st)}" if st.params else ""
            out.append(f"State {i + 1}: {step_title(st, spec)}{where}{params}{loop_mark}")
        for c in changes:
            out.append(f"    {c.name} = {_fmt(c.new, c.type)}")
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
