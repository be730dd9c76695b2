"""What a notebook shows: check results, spec errors and TLA+ exports as
objects with ``_repr_html_`` (Jupyter renders them inline) and a plain-text
``__repr__`` (terminals, ``print``, doctests).

Nothing here imports IPython: the views are plain objects, so the Python API
(``CheckView(reports, specs)``) works in any notebook front end and in tests.

A counterexample is drawn as swimlanes by :func:`pyspec.report.html.swimlane_svg`
when that renderer is importable, and always also given as the text trace of
``pyspec check`` (in a ``<pre>``), which is what a reader copies into an issue.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Sequence

from ..diagnostics import Diagnostics
from ..ir import nodes as ir
from ..report import Report
from ..report.text import headline, meets_expectation, render_report, render_table

#: Which counterexamples a view draws: every report with a trace, only those
#: whose outcome is not the declared one, or none (the table alone).
TRACE_MODES = ("all", "unexpected", "none")

# Every view on a page gets its own prefix for the ids inside its SVGs: a
# notebook is one HTML document, and two swimlanes with the same ids would
# restyle each other.  A counter (not a random value) keeps a re-executed
# notebook's output the same.
_VIEW_IDS = itertools.count(1)

_CSS = """<style>
.pyspec-table { border-collapse: collapse; font-family: monospace; font-size: 12px; margin: 4px 0; }
.pyspec-table th, .pyspec-table td { border: 1px solid #d0d7de; padding: 2px 8px; text-align: left; }
.pyspec-table td.num { text-align: right; }
.pyspec-table td.met { color: #1a7f37; }
.pyspec-table td.unmet { color: #cf222e; font-weight: bold; }
.pyspec-trace h4 { font-family: monospace; font-size: 13px; margin: 12px 0 4px 0; }
.pyspec-trace pre, .pyspec-error, .pyspec-tla pre { font-size: 12px; background: #f6f8fa; padding: 6px; }
.pyspec-error { color: #cf222e; }
</style>"""


def _swimlane_renderer():
    """:func:`pyspec.report.html.swimlane_svg`, or None when the HTML report
    renderer is not part of this installation (the text trace is shown then)."""
    try:
        from ..report.html import swimlane_svg
    except ImportError:
        return None
    return swimlane_svg


def _got(report: Report) -> str:
    return {"ok": "holds"}.get(report.verdict, report.verdict)


class CheckView:
    """Reports of one or more checks: a table (spec, model, property,
    expected, got, states, time) and the counterexamples.

    ``specs`` supply the types values are shown with (a report finds its spec
    by path); ``traces`` is one of :data:`TRACE_MODES`; ``notes`` (the spec's
    warnings, say) are shown above the table.
    """

    def __init__(self, reports: Sequence[Report], specs: ir.Spec | Iterable[ir.Spec] | None = None,
                 traces: str = "all", notes: str = ""):
        if traces not in TRACE_MODES:
            raise ValueError(f"traces must be one of {', '.join(TRACE_MODES)}, not {traces!r}")
        self.reports = list(reports)
        spec_list = [specs] if isinstance(specs, ir.Spec) else list(specs or [])
        self._specs = {s.path: s for s in spec_list}
        self.traces = traces
        self.notes = notes
        self._id = next(_VIEW_IDS)

    @property
    def ok(self) -> bool:
        """Does every outcome match what its model declares?"""
        return all(meets_expectation(r) for r in self.reports)

    def spec_of(self, report: Report) -> ir.Spec | None:
        return self._specs.get(report.spec)

    def shown(self) -> list[Report]:
        """The reports whose counterexample (or error) the view shows."""
        if self.traces == "none":
            return []
        out = [r for r in self.reports if r.trace or r.verdict in ("error", "incomplete")]
        if self.traces == "unexpected":
            out = [r for r in out if not meets_expectation(r)]
        return out

    def rows(self) -> list[dict]:
        """The table's rows, in the form of :func:`pyspec.report.text.render_table`."""
        return [{"spec": r.spec, "model": r.model, "property": r.property or "-",
                 "expected": r.expected or "holds", "got": _got(r), "distinct": r.distinct_states,
                 "seconds": r.seconds, "ok": meets_expectation(r)} for r in self.reports]

    def __repr__(self) -> str:
        parts = ([self.notes] if self.notes else []) + [render_table(self.rows())]
        for r in self.shown():
            parts.append(render_report(r, self.spec_of(r)))
        return "\n\n".join(parts)

    def _repr_pretty_(self, p, cycle: bool) -> None:  # IPython's plain-text display
        p.text(repr(self))

    def _table_html(self) -> str:
        several_specs = len({r.spec for r in self.reports}) > 1
        heads = (["spec"] if several_specs else []) + ["model", "property", "expected", "got", "states", "time"]
        out = ['<table class="pyspec-table"><thead><tr>'
               + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead><tbody>"]
        for row in self.rows():
            cells = [row["spec"]] if several_specs else []
            cells += [row["model"], row["property"], row["expected"]]
            got = html.escape(row["got"]) + ("" if row["ok"] else " (unexpected)")
            tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            tds += f'<td class="{"met" if row["ok"] else "unmet"}">{got}</td>'
            tds += f'<td class="num">{row["distinct"]:,}</td><td class="num">{row["seconds"]:.2f}s</td>'
            out.append(f"<tr>{tds}</tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def _trace_html(self, n: int, report: Report) -> str:
        spec = self.spec_of(report)
        text = render_report(report, spec)
        parts = [f'<div class="pyspec-trace"><h4>{html.escape(headline(report))}</h4>']
        swimlane = _swimlane_renderer() if report.trace else None
        if swimlane is not None:
            parts.append(swimlane(report, spec, id_prefix=f"pyspec{self._id}-{n}"))
            parts.append(f"<details><summary>the trace as text</summary><pre>{html.escape(text)}</pre></details>")
        else:
            parts.append(f"<pre>{html.escape(text)}</pre>")
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        parts = [_CSS]
        if self.notes:
            parts.append(f'<pre class="pyspec-error">{html.escape(self.notes)}</pre>')
        parts.append(self._table_html())
        parts.extend(self._trace_html(i, r) for i, r in enumerate(self.shown(), 1))
        return "\n".join(parts)


class ErrorView:
    """A spec that does not load (or a check that cannot start): the located
    diagnostics (``<cell>:3:7: error: ...`` with the line and a caret), as the
    command line prints them."""

    def __init__(self, text: str):
        self.text = text

    @classmethod
    def of(cls, diags: Diagnostics) -> ErrorView:
        return cls(diags.render())

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(self.text)

    def _repr_html_(self) -> str:
        return f'{_CSS}<pre class="pyspec-error">{html.escape(self.text)}</pre>'


class TlaView:
    """The TLA+ export of a spec: file name -> text, as ``pyspec tla`` writes them."""

    def __init__(self, files: dict[str, str]):
        self.files = dict(files)

    def __getitem__(self, name: str) -> str:
        return self.files[name]

    def __repr__(self) -> str:
        return "\n".join(f"=== {name}\n{text}" for name, text in self.files.items())

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(repr(self))

    def _repr_html_(self) -> str:
        parts = [_CSS, '<div class="pyspec-tla">']
        for name, text in self.files.items():
            parts.append(f"<h4><code>{html.escape(name)}</code></h4><pre>{html.escape(text)}</pre>")
        parts.append("</div>")
        return "\n".join(parts)
