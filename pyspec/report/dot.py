"""A state graph as Graphviz DOT text (``pyspec graph``).

Nodes are states, shown compactly: only the variables whose value differs
somewhere in the graph (the others are listed once, in the graph's
caption), one ``name = value`` per line in the spec's syntax, program
counters without quotes.  Edges carry the step: ``proc[i].label`` and the
values ``any`` chose.  A counterexample (a report's trace) is drawn over
the graph: its states and steps in red, the violating state filled, and a
lasso's way back to its loop start in amber.

The DOT text is generated here rather than with the ``graphviz`` PyPI
package: that package only assembles the same text and runs the same
``dot`` program, so it would add a dependency without adding anything;
every label goes through :func:`quote`.  Output is deterministic (states in
BFS order, edges by source).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..ir import nodes as ir
from ..ir.state import state_types
from ..values import FMap, format_typed, sort_key
from .report import Report

RED = "#cf222e"
RED_FILL = "#ffebe9"
LOOP = "#9a6700"


def quote(text: str) -> str:
    """A DOT double-quoted string; newlines become left-justified line breaks."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    if "\n" in body:
        body = body.replace("\n", "\\l") + "\\l"
    return f'"{body}"'


@dataclass
class Highlight:
    """A counterexample over the graph: node indices and edge positions."""

    nodes: list[int] = field(default_factory=list)  # the trace's states, in order
    edges: set[int] = field(default_factory=set)  # positions in graph.edges
    loop_edge: int | None = None  # the edge back to the loop start
    final: int | None = None  # the violating state
    title: str = ""


def _fmt(v: Any, ty: ir.Type | None, pc: bool) -> str:
    if pc:
        if isinstance(v, str):
            return v
        if isinstance(v, FMap):
            kty = ty.key if isinstance(ty, ir.MapType) else None
            return "{" + ", ".join(f"{format_typed(k, kty)}: {_fmt(v[k], None, True)}"
                                   for k in sorted(v, key=sort_key)) + "}"
    try:
        return format_typed(v, ty)
    except Exception:  # noqa: BLE001 - show something rather than fail
        return repr(v)


def step_text(info, spec: ir.Spec) -> str:
    """``proc[i].label x = v``: an edge's label."""
    who = info.process
    if info.self is not None:
        p = spec.process(info.process)
        who += f"[{format_typed(info.self, p.index_set.type.elem if p.index_set is not None else None)}]"
    text = f"{who}.{info.label}"
    if info.params:
        text += " " + ", ".join(f"{k} = {format_typed(v, None)}" for k, v in info.params.items())
    return text


def render_dot(graph, cm, highlight: Highlight | None = None) -> str:
    """DOT text of a :class:`~pyspec.engines.embedded.graph.StateGraph` of
    the compiled model ``cm`` (``extra`` states of a highlight that lie
    outside the graph are drawn too)."""
    spec = cm.spec
    types = state_types(spec)
    values = [cm.to_values(s) for s in graph.states]
    keys = list(values[0]) if values else []
    varying = [k for k in keys if any(v[k] != values[0][k] for v in values[1:])]
    constant = [k for k in keys if k not in varying]
    hl = highlight or Highlight()
    on_path = set(hl.nodes)
    init = set(graph.init)
    n_edges = len(graph.edges)
    caption = [f"{spec.name} model {cm.model.name}: {len(graph):,} states, {n_edges:,} transitions"]
    if hl.title:
        caption.append(hl.title + ("; amber: back to the loop start" if hl.loop_edge is not None else ""))
    if constant and values:
        caption.append("in every state: " + ", ".join(
            f"{k} = {_fmt(values[0][k], types.get(k), k.endswith('.pc'))}" for k in constant))
    out = [
        f"digraph {quote(f'{spec.name}.{cm.model.name}')} {{",
        f"  graph [label={quote(chr(10).join(caption))}, labelloc=t, labeljust=l, fontname=\"DejaVu Sans Mono\", "
        "fontsize=11, rankdir=TB, nodesep=0.3, ranksep=0.45];",
        "  node [shape=box, style=rounded, fontname=\"DejaVu Sans Mono\", fontsize=10, margin=\"0.12,0.06\"];",
        "  edge [fontname=\"DejaVu Sans Mono\", fontsize=9, color=\"#57606a\", fontcolor=\"#424a53\"];",
    ]
    for i, vals in enumerate(values):
        lines = [f"{k} = {_fmt(vals[k], types.get(k), k.endswith('.pc'))}" for k in varying] or ["(the only state)"]
        attrs = [f"label={quote(chr(10).join(lines))}"]
        if i in init:
            attrs.append("peripheries=2")
        if i == hl.final:
            attrs += [f'color="{RED}"', f'fillcolor="{RED_FILL}"', 'style="rounded,filled"', "penwidth=2.5"]
        elif i in on_path:
            attrs += [f'color="{RED}"', "penwidth=2"]
        out.append(f"  s{i} [{', '.join(attrs)}];")
    for pos, (u, v, info) in enumerate(graph.edges):
        text = step_text(info, spec)
        if pos == hl.loop_edge:
            text += "  (loop)"
        attrs = [f"label={quote(text)}"]
        if pos == hl.loop_edge:
            attrs += [f'color="{LOOP}"', f'fontcolor="{LOOP}"', "penwidth=2.5"]
        elif pos in hl.edges:
            attrs += [f'color="{RED}"', f'fontcolor="{RED}"', "penwidth=2.5"]
        out.append(f"  s{u} -> s{v} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def highlight_trace(graph, cm, report: Report) -> Highlight:
    """Where ``report``'s counterexample runs in ``graph``: its states are
    found by value (ITF), each step by its process, instance and label."""
    from ..engines.embedded.trace import state_itf

    hl = Highlight(title=f"red: the counterexample of {report.property} ({report.kind})")
    if not report.trace:
        return hl
    types = state_types(cm.spec)
    key = {json.dumps(state_itf(cm, s, types), sort_keys=True): i for i, s in enumerate(graph.states)}
    nodes = [key.get(json.dumps(st.state, sort_keys=True)) for st in report.trace]
    hl.nodes = [n for n in nodes if n is not None]
    by_pair: dict[tuple[int, int], list[int]] = {}
    for pos, (u, v, _info) in enumerate(graph.edges):
        by_pair.setdefault((u, v), []).append(pos)

    def edge(u, v, st) -> int | None:
        cands = by_pair.get((u, v), [])
        for pos in cands:
            info = graph.edges[pos][2]
            if st is None or (info.process == st.process and info.label == st.label):
                return pos
        return cands[0] if cands else None

    for k in range(1, len(nodes)):
        u, v = nodes[k - 1], nodes[k]
        if u is not None and v is not None:
            pos = edge(u, v, report.trace[k])
            if pos is not None:
                hl.edges.add(pos)
    last = nodes[-1]
    if report.loop_start is not None:
        start = nodes[report.loop_start] if report.loop_start < len(nodes) else None
        if last is not None and start is not None and report.loop_start < len(nodes) - 1:
            hl.loop_edge = edge(last, start, None)
    elif report.verdict == "violated":
        hl.final = last
    return hl
