"""A report as text, in the spec's own words: verdict, statistics and the
counterexample as a sequence of spec steps (process, index, label,
``file:line``) and spec values.

Only :class:`~pyspec.report.Report` and the spec's IR are used, so the text
is the same whichever engine produced the report.
"""

from __future__ import annotations

from ...ir import nodes as ir
from ...report import Report
from ...report.text import render_trace


def format_trace(rep: Report, spec: ir.Spec, indent: str = "  ") -> list[str]:
    """The counterexample exactly as ``pyspec check`` shows it (one display
    for both engines: :func:`pyspec.report.text.render_trace`)."""
    return [f"{indent}  {line}" for line in render_trace(rep, spec)]


def outcome_word(rep: Report, shout: bool = False) -> str:
    """``ok``, ``violated: invariant Inv``, ``error``; the verdict in capitals
    when ``shout`` (an outcome the model did not expect)."""
    word = rep.verdict.upper() if shout else rep.verdict
    if rep.verdict == "violated":
        what = "deadlock" if rep.kind == "deadlock" else f"{rep.kind} {rep.property}"
        return f"{word}: {what}"
    return word


def format_report(rep: Report, spec: ir.Spec, met: bool | None = None, title: str | None = None) -> str:
    head = title or f"{rep.spec}  model {rep.model}"
    checked = ", ".join(rep.properties) or "(nothing but errors)"
    exp = ""
    if rep.expected:
        exp = " as expected" if met else f" (expected: {rep.expected})"
    stats = (f"{rep.distinct_states:,} distinct states, {rep.generated_states:,} generated, depth {rep.depth}, "
             f"{rep.seconds:.1f} s")
    lines = [head, f"  checked: {checked}", f"  {outcome_word(rep, shout=met is False)}{exp}  [{rep.engine}: {stats}]"]
    if rep.message:
        lines += ["  " + ln for ln in rep.message.splitlines()]
    if rep.trace:
        lines.append("  trace:")
        lines += format_trace(rep, spec, "  ")
    return "\n".join(lines)
