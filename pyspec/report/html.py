"""Counterexamples as pictures: a self-contained HTML page and an SVG swimlane.

- :func:`swimlane_svg` draws one report's trace as swimlanes: one column per
  process instance that takes a step (``vcpu[Vcpu.v1]``, ``writer``), time
  flowing down, each step a box in its lane with its label, the values
  ``any`` chose, its ``file:line`` and the variables it changed (old -> new);
  the initial state on top, where every instance is at the end, and a banner
  naming the violated property with the values it reads in the final state.
  A liveness lasso is drawn as a loop: an arrow from the last step back to
  the state the behaviour repeats from.  Pure SVG (docs embed it as an
  image), monospace text so that box sizes can be computed here.
- :func:`render_html` puts one or more reports on one page: a summary table,
  then one section per report with a trace (header, the property and its
  text, the swimlane, the final state, the trace as text).  Inline CSS and
  SVG only: the page needs no network and no script.
- :func:`render_replay_html` is the page of ``pyspec replay --html``: one
  counterexample's section with a replay block (per trace state, whether
  the implementation's refinement mapping matched and whether the property
  held on its state).

The changes shown are those of the text rendering
(:func:`pyspec.report.text.trace_changes`); here a changed map or record is
further narrowed to the entries or fields that changed
(``vcache[Vcpu.v1].gfn: none -> Gfn.g1``), and a process's own locals are
named without the instance, which the lane already says.  Markup lives in
``templates/*.j2`` (jinja2, autoescaped); this module computes the layout.
Output depends only on the reports and the spec: rendering twice gives the
same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..ir import nodes as ir
from ..ir.state import state_variables
from ..values import FMap, Record, sort_key
from .report import Report, TraceStep
from .text import (
    Change,
    _decode,
    _fmt,
    decoded_states,
    headline,
    meets_expectation,
    params_text,
    process_title,
    render_trace,
    step_title,
    trace_changes,
)

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("pyspec.report", "templates"),
    autoescape=True,  # every spec name and value is text, never markup
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)

# Geometry of the swimlane, in px.  The text is monospace, so a line's width
# is its length times CHAR_W (DejaVu Sans Mono and the usual fallbacks
# advance 0.6 em; a little slack keeps text inside its box).
FONT = 12
CHAR_W = 7.3
LINE_H = 16
PAD = 8
MARGIN = 16
GUTTER = 48  # state numbers
LANE_GAP = 18
ROW_GAP = 10
LANE_MIN_CHARS = 22
WRAP_CHARS = 46  # a lane's text is wrapped at this many characters
MIN_WIDTH = 560
LOOP_SPACE = 80  # right of the lanes, for the loop arrow and its label

# One hue per lane (stroke, fill, header text), in lane order.
PALETTE = [
    ("#1f6feb", "#eaf2ff"),
    ("#1a7f37", "#e6f6ea"),
    ("#bc4c00", "#fff0e3"),
    ("#8250df", "#f3ecff"),
    ("#0a7e8c", "#e2f6f8"),
    ("#bf3989", "#fdebf5"),
    ("#57606a", "#f2f4f6"),
]
RED, RED_FILL = "#cf222e", "#ffebe9"
LOOP = "#9a6700"

_VERDICT = {"ok": "holds", "violated": "violated", "error": "error", "incomplete": "incomplete"}
_KIND = {"invariant": "invariant", "action": "action property", "liveness": "temporal property",
         "deadlock": "deadlock"}


# ---------------------------------------------------------------------------
# What a trace says, lane by lane
# ---------------------------------------------------------------------------


@dataclass
class Lane:
    process: str
    self: Any  # ITF JSON of the instance, None for a singleton
    title: str  # vcpu[Vcpu.v1]
    color: str = ""
    fill: str = ""
    x: int = 0
    w: int = 0


@dataclass
class Seg:
    """A piece of text on a line: its class says how it looks."""

    text: str
    cls: str
    x: int = 0


@dataclass
class Line:
    segs: list[Seg]
    indent: int = 0  # characters
    mark: bool = False  # a change of a variable the violated property reads

    @property
    def chars(self) -> int:
        return self.indent + sum(len(s.text) for s in self.segs)


@dataclass
class Box:
    lines: list[Line]
    kind: str  # step | initial | banner
    lane: int | None = None  # None: spans every lane
    state: int = 0  # the state number (from 1, as the text rendering)
    x: int = 0
    y: int = 0
    w: int = 0
    h: int = 0
    stroke: str = "#57606a"
    fill: str = "#ffffff"
    width: float = 1.2
    label: str = ""  # the step label, for tests and the DOM
    texts: list = field(default_factory=list)  # (x, y, cls, text) after layout
    marks: list = field(default_factory=list)  # (x, y, w, h): highlighted lines


def _lane_key(process: str | None, self: Any) -> tuple[str, str]:
    return (process or "", json.dumps(self, sort_keys=True))


def lanes_of(report: Report, spec: ir.Spec | None) -> list[Lane]:
    """The process instances that take a step, in the spec's process order
    then index order (first appearance when the spec is unknown)."""
    seen: dict[tuple[str, str], Lane] = {}
    for st in report.trace:
        if st.process is None:
            continue
        k = _lane_key(st.process, st.self)
        if k not in seen:
            seen[k] = Lane(st.process, st.self, process_title(st, spec))
    lanes = list(seen.values())
    if spec is not None:
        order = {p.name: i for i, p in enumerate(spec.processes)}
        index_type = {p.name: p.index_set.type.elem for p in spec.processes if p.index_set is not None}

        def key(lane: Lane):
            ty = index_type.get(lane.process)
            idx = _decode(lane.self, ty) if lane.self is not None else None
            try:
                sk = sort_key(idx) if idx is not None else ()
            except Exception:  # noqa: BLE001 - an undecodable index: keep the trace's order
                sk = ()
            return (order.get(lane.process, len(order)), sk)

        lanes.sort(key=key)
    for i, lane in enumerate(lanes):
        lane.color, lane.fill = PALETTE[i % len(PALETTE)]
    return lanes


def _narrow(name: str, old: Any, new: Any, ty: ir.Type | None) -> list[tuple[str, str, str]]:
    """``name: old -> new`` narrowed to the map entries and record fields
    that differ, so that one changed entry of a big map reads as one line."""
    if isinstance(old, Record) and isinstance(new, Record) and list(old) == list(new):
        ty = ir.value_type(ty, new)
        ftypes = dict(ty.fields) if isinstance(ty, ir.RecordType) else {}
        out = []
        for k in new:
            if old[k] != new[k]:
                out += _narrow(f"{name}.{k}", old[k], new[k], ftypes.get(k))
        return out
    if isinstance(old, FMap) and isinstance(new, FMap) and not isinstance(old, Record) \
            and not isinstance(new, Record) and set(old) == set(new):
        kty = ty.key if isinstance(ty, ir.MapType) else None
        vty = ty.value if isinstance(ty, ir.MapType) else None
        out = []
        for k in sorted(new, key=sort_key):
            if old[k] != new[k]:
                out += _narrow(f"{name}[{_fmt(k, kty)}]", old[k], new[k], vty)
        return out
    return [(name, _fmt(old, ty), _fmt(new, ty))]


def _owned(change: Change, step: TraceStep, spec: ir.Spec | None) -> str | None:
    """The local's name when ``change`` is the stepping instance's own local
    (or pc), else None."""
    proc, dot, local = change.key.partition(".")
    if not dot or proc != step.process:
        return None
    if spec is not None and not any(p.name == proc for p in spec.processes):
        return None  # a variable whose name has a dot cannot be; be safe
    if step.self is None:
        return local if change.index is None else None
    if change.index is None:
        return None
    ty = None
    if spec is not None:
        p = next(p for p in spec.processes if p.name == proc)
        ty = p.index_set.type.elem if p.index_set is not None else None
    return local if change.index == _decode(step.self, ty) else None


def _wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into pieces of at most ``width`` characters, after a
    comma or a space where possible."""
    out = []
    while len(text) > width:
        cut = max(text.rfind(", ", 0, width - 1) + 2, text.rfind(" ", 0, width) + 1)
        if cut <= width // 3:
            cut = width
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    out.append(text)
    return out


def _lines(segs: list[Seg], width: int, indent: int = 0, mark: bool = False) -> list[Line]:
    """One logical line as display lines: a segment that does not fit goes
    to the next line when it would fit there, else it wraps in place
    (continuations indented)."""
    out: list[Line] = []
    cur = Line([], indent, mark)
    for seg in segs:
        room = width - cur.chars
        if cur.segs and room < len(seg.text) <= width - indent - 2:
            out.append(cur)
            cur = Line([], indent + 2, mark)
            room = width - cur.chars
        pieces = _wrap(seg.text, max(room, 8))
        cur.segs.append(Seg(pieces[0], seg.cls))
        for piece in pieces[1:]:
            out.append(cur)
            cur = Line([Seg(piece, seg.cls)], indent + 4, mark)
    out.append(cur)
    return out


def _short_source(source: str, spec_path: str) -> str:
    """``file:line`` with the file relative to the checked spec's directory
    (``base.pyspec:136`` beside ``spec/kvm/v1.pyspec``): lanes stay narrow;
    the header names the spec's path."""
    file, sep, line = source.rpartition(":")
    if not sep:
        return source
    folder = str(Path(spec_path).parent)
    if folder not in ("", ".") and file.startswith(folder + "/"):
        file = file[len(folder) + 1:]
    return f"{file}:{line}"


def _step_lines(step: TraceStep, changes: list[Change], spec: ir.Spec | None, width: int,
                reads: set[str], spec_path: str) -> list[Line]:
    title = [Seg(step.label or "", "sl-label step-label")]
    if step.params:
        title.append(Seg("  " + params_text(step), "sl-param"))
    if step.source:
        title.append(Seg("  " + _short_source(step.source, spec_path), "sl-src"))
    lines = _lines(title, width)
    for c in changes:
        own = _owned(c, step, spec)
        if own == "pc":
            continue  # the lane's next box (or its final position) says where it went
        cls = "sl-local" if own is not None or "." in c.key else "sl-glob"
        name = own if own is not None else c.name
        for n, old, new in _narrow(name, c.old, c.new, c.type):
            lines += _lines([Seg(f"{n}: ", cls), Seg(old, "sl-old"), Seg(" \u2192 ", "sl-arrow"),
                             Seg(new, "sl-new")], width, mark=c.key in reads)
    return lines


def _initial_lines(report: Report, spec: ir.Spec | None, changes: list[Change], width: int) -> list[Line]:
    lines = _lines([Seg("State 1", "sl-label"), Seg("  initial state", "sl-param")], width)
    grouped: dict[str, list[str]] = {}
    order: list[str] = []
    entries: list[list[Seg]] = []
    state0 = decoded_states(report, spec)[0] if report.trace else {}
    for c in changes:
        proc, dot, local = c.key.partition(".")
        entry = isinstance(state0.get(c.key), FMap) and spec is not None and any(
            p.name == proc and p.index is not None for p in spec.processes)
        if dot and (spec is None or any(p.name == proc for p in spec.processes)):
            if entry:
                pty = c.type.key if isinstance(c.type, ir.MapType) else None
                vty = c.type.value if isinstance(c.type, ir.MapType) else None
                for idx in sorted(c.new, key=sort_key):
                    who = f"{proc}[{_fmt(idx, pty)}]"
                    if who not in grouped:
                        grouped[who] = []
                        order.append(who)
                    grouped[who].append(f"{local} = {_pc_text(c.new[idx]) if local == 'pc' else _fmt(c.new[idx], vty)}")
                continue
            if proc not in grouped:
                grouped[proc] = []
                order.append(proc)
            grouped[proc].append(f"{local} = {_pc_text(c.new) if local == 'pc' else _fmt(c.new, c.type)}")
            continue
        entries.append([Seg(f"{c.name} = ", "sl-glob"), Seg(_fmt(c.new, c.type), "sl-new")])
    # short variables share a line, so that the interesting part (the steps) starts high on the page
    cur: list[Seg] = []
    for e in entries:
        size = sum(len(x.text) for x in e)
        if cur and sum(len(x.text) for x in cur) + 4 + size <= width:
            cur += [Seg("    ", "sl-param")] + e
            continue
        if cur:
            lines += _lines(cur, width)
        cur = list(e)
    if cur:
        lines += _lines(cur, width)
    for who in order:
        lines += _lines([Seg(f"{who}: ", "sl-local"), Seg(", ".join(grouped[who]), "sl-new")], width)
    return lines


def _pc_text(v: Any) -> str:
    return v if isinstance(v, str) else _fmt(v, None)


def reads_of(spec: ir.Spec | None, prop: str | None) -> list[str]:
    """The state keys (``x``, ``proc.pc``, ``proc.local``) a property reads,
    through the defs it calls, in the spec's state order."""
    if spec is None or prop is None or prop == "deadlock":
        return []
    try:
        root = spec.prop(prop).expr
    except KeyError:
        return []
    defs = {d.name: d for d in spec.defs}
    keys: set[str] = set()
    done: set[str] = set()
    stack: list[Any] = [root]
    while stack:
        x = stack.pop()
        if isinstance(x, tuple):
            stack.extend(x)
        elif isinstance(x, ir.VarRef):
            keys.add(x.name)
        elif isinstance(x, ir.LocalRef):
            keys.add(f"{x.process}.{x.name}")
        elif isinstance(x, ir.PcRef):
            keys.add(f"{x.process}.pc")
        if isinstance(x, ir.DefCall) and x.name in defs and x.name not in done:
            done.add(x.name)
            stack.append(defs[x.name].body)
        if is_dataclass(x) and not isinstance(x, type) and isinstance(x, (ir.Expr, ir.Binder)):
            stack.extend(getattr(x, f.name) for f in fields(x) if f.name not in ("span", "type"))
    return [sv.key for sv in state_variables(spec) if sv.key in keys]


def property_text(spec: ir.Spec | None, prop: str | None) -> tuple[str, str, str]:
    """(``invariant Name: expr``, ``file:line``, doc) of a property, or empty strings."""
    if spec is None or not prop or prop == "deadlock":
        return "", "", ""
    try:
        p = spec.prop(prop)
    except KeyError:
        return "", "", ""
    from .. import printer

    # a singleton's locals print as `proc.x` only when the printer knows the singletons
    token = printer._SINGLETONS.set(frozenset(q.name for q in spec.processes if q.index is None))
    try:
        text = printer.format_expr(p.expr)
    finally:
        printer._SINGLETONS.reset(token)
    kw = {"temporal": "temporal", "action": "action", "invariant": "invariant"}.get(p.kind, p.kind)
    if p.refinement is not None:  # what it refines, not its placeholder expression
        text = f"{p.refinement.alias} ({p.refinement.abstract.name}, {p.refinement.abstract.path})"
    return f"{kw} {p.name}: {text}", p.span.short, p.doc or ""


def _banner_lines(report: Report, spec: ir.Spec | None, width: int) -> list[Line]:
    n = len(report.trace)
    what = report.property or "the spec"
    kind = _KIND.get(report.kind or "", report.kind or "")
    if report.verdict == "error":
        head = f"\u2717 error in state {n}"
    elif report.property == "deadlock":
        head = f"\u2717 deadlock in state {n}: no step can happen and not every process is done"
    elif report.kind == "action":
        head = f"\u2717 {kind} {what} is violated by the step to state {n}"
    elif report.kind == "liveness":
        head = f"\u2717 {kind} {what} is violated by this behaviour"
    else:
        head = f"\u2717 {kind} {what} is violated in state {n}"
    lines = _lines([Seg(head, "sl-bad")], width)
    text, where, _doc = property_text(spec, report.property)
    if text:
        lines += _lines([Seg(text, "sl-expr"), Seg(f"  ({where})", "sl-src")], width, 2)
    if report.message:
        lines += _lines([Seg(report.message, "sl-param")], width, 2)
    if report.loop_start is not None and n:
        if report.loop_start == n - 1:
            lines += _lines([Seg(f"then state {n} stutters forever: no fair step has to happen", "sl-loop")],
                            width, 2)
        else:
            lines += _lines([Seg(f"then states {report.loop_start + 1}..{n} repeat forever (the loop)", "sl-loop")],
                            width, 2)
    reads = reads_of(spec, report.property)
    if reads and report.trace:
        types = {sv.key: sv.type for sv in state_variables(spec)} if spec is not None else {}
        final = decoded_states(report, spec)[-1]
        lines += _lines([Seg(f"in state {n}:", "sl-param")], width, 2)
        for k in reads:
            if k in final:
                lines += _lines([Seg(f"{k} = ", "sl-glob"), Seg(_fmt(final[k], types.get(k)), "sl-new")],
                                width, 4)
        if report.verdict == "violated":
            legend = _lines([Seg(f"highlighted above: the steps that changed what {what} reads", "sl-param")],
                            width, 2)
            legend[0].mark = True
            lines += legend
    return lines


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


def _r(v: float) -> int:
    return int(round(v))


def _place_text(box: Box) -> None:
    y = box.y + PAD + FONT
    for line in box.lines:
        x = box.x + PAD + line.indent * CHAR_W
        if line.mark:
            w = box.w - 9 if box.kind == "step" else _r((line.chars - line.indent) * CHAR_W + 6)
            mx = box.x + 6 if box.kind == "step" else _r(x - 3)
            box.marks.append((mx, y - FONT + 1, w, LINE_H))
        for seg in line.segs:
            box.texts.append((_r(x), y, seg.cls, seg.text))
            x += len(seg.text) * CHAR_W
        y += LINE_H


def _height(lines: list[Line]) -> int:
    return 2 * PAD + len(lines) * LINE_H - (LINE_H - FONT) + 4


def swimlane_layout(report: Report, spec: ir.Spec | None = None, id_prefix: str = "sl") -> dict[str, Any]:
    """Everything the SVG template draws, positioned."""
    lanes = lanes_of(report, spec)
    index = {_lane_key(lane.process, lane.self): i for i, lane in enumerate(lanes)}
    changes = trace_changes(report, spec)
    reads = set(reads_of(spec, report.property)) if report.verdict == "violated" else set()
    step_lines: dict[int, list[Line]] = {}
    chars = [LANE_MIN_CHARS] * len(lanes)
    for i, (st, ch) in enumerate(zip(report.trace, changes)):
        if st.process is None:
            continue
        ls = _step_lines(st, ch, spec, WRAP_CHARS, reads, report.spec)
        k = index[_lane_key(st.process, st.self)]
        chars[k] = max(chars[k], max(line.chars for line in ls), len(lanes[k].title) + 2)
        step_lines[i] = ls
    x = MARGIN + GUTTER
    for lane, c in zip(lanes, chars):
        lane.w = _r(c * CHAR_W + 2 * PAD)
    total = sum(lane.w for lane in lanes) + LANE_GAP * max(len(lanes) - 1, 0)
    if total < MIN_WIDTH:  # a single narrow lane: widen so the spanning boxes stay readable
        extra = (MIN_WIDTH - total) // max(len(lanes), 1)
        for lane in lanes:
            lane.w += extra
        total = sum(lane.w for lane in lanes) + LANE_GAP * max(len(lanes) - 1, 0)
    for lane in lanes:
        lane.x = x
        x += lane.w + LANE_GAP
    span_chars = int((total - 2 * PAD) // CHAR_W)

    boxes: list[Box] = []
    y = MARGIN + 34  # below the lane headers
    lane_top = y - 6
    # the initial state, across every lane
    if report.trace:
        first = report.trace[0]
        if first.process is None:
            init = Box(_initial_lines(report, spec, changes[0], span_chars), "initial", None, 1,
                       stroke="#57606a", fill="#f6f8fa", label="initial state")
            boxes.append(init)
    by_state: dict[int, Box] = {}
    for i, st in enumerate(report.trace):
        if st.process is None and i == 0:
            by_state[0] = boxes[0]
            continue
        if st.process is None:  # the stuttering of a finished system
            b = Box(_lines([Seg(f"State {i + 1}", "sl-label"), Seg("  stutter (every process is done)",
                                                                   "sl-param")], span_chars),
                    "initial", None, i + 1, label="stutter")
        else:
            lane_i = index[_lane_key(st.process, st.self)]
            lane = lanes[lane_i]
            b = Box(step_lines[i], "step", lane_i, i + 1, stroke=lane.color, fill="#ffffff", label=st.label or "")
        boxes.append(b)
        by_state[i] = b
    for b in boxes:
        if b.lane is None:
            b.x, b.w = MARGIN + GUTTER, total
        else:
            b.x, b.w = lanes[b.lane].x, lanes[b.lane].w
        b.y = y
        b.h = _height(b.lines)
        y += b.h + ROW_GAP
    last = by_state.get(len(report.trace) - 1)
    violated = report.verdict in ("violated", "error") and report.trace
    if violated and last is not None and report.loop_start is None:
        # the state (or step) where a safety property fails; a lasso fails as a whole (the loop)
        last.stroke, last.width = RED, 2.6
        if last.kind == "step":
            last.fill = RED_FILL
    # where every lane's instance is at the end
    final_pcs = []
    if report.trace and lanes:
        final = decoded_states(report, spec)[-1]
        types = {sv.key: sv.type for sv in state_variables(spec)} if spec is not None else {}
        for lane in lanes:
            pc = final.get(f"{lane.process}.pc")
            if isinstance(pc, FMap) and lane.self is not None:
                ty = types.get(f"{lane.process}.pc")
                idx = _decode(lane.self, ty.key if isinstance(ty, ir.MapType) else None)
                pc = pc.get(idx)
            if pc is None:
                continue
            final_pcs.append({"x": lane.x + lane.w // 2, "y": y + 14, "text": f"at {_pc_text(pc)}",
                              "color": lane.color, "fill": lane.fill,
                              "w": _r((len(_pc_text(pc)) + 3) * CHAR_W + 12)})
        y += 30
    lane_bottom = y - 4
    banner = None
    if violated:
        banner = Box(_banner_lines(report, spec, span_chars), "banner", None, len(report.trace),
                     stroke=RED, fill=RED_FILL, width=2.0, label=report.property or "")
        banner.x, banner.w, banner.y = MARGIN + GUTTER, total, y + 4
        banner.h = _height(banner.lines)
        y = banner.y + banner.h + ROW_GAP
    for b in boxes + ([banner] if banner else []):
        _place_text(b)

    loop = None
    right = MARGIN + GUTTER + total
    if report.loop_start is not None and report.trace and last is not None:
        target = by_state.get(report.loop_start)
        if target is not None and report.loop_start < len(report.trace) - 1:
            lx = right + 30
            y1 = last.y + last.h // 2
            y0 = target.y + min(target.h // 2, 14)
            band_top = target.y - ROW_GAP // 2
            loop = {
                "path": f"M {last.x + last.w} {y1} H {lx} V {y0} H {target.x + target.w + 4}",
                "label_x": lx + 8, "label_y": (y0 + y1) // 2 + 4, "label": "loop",
                "band": {"x": MARGIN + GUTTER - 8, "y": band_top, "w": total + 16,
                         "h": last.y + last.h + ROW_GAP // 2 - band_top},
                "stutter": False,
            }
        elif target is not None:
            cx = target.x + target.w + 18
            cy = target.y + 18
            loop = {
                "path": f"M {target.x + target.w} {cy - 6} C {cx + 14} {cy - 22}, {cx + 14} {cy + 10}, "
                        f"{target.x + target.w + 4} {cy + 4}",
                "label_x": cx + 14, "label_y": cy + 4, "label": "stutters forever",
                "band": None, "stutter": True,
            }
    width = right + MARGIN + (LOOP_SPACE if loop else 0)
    if loop and loop["stutter"]:
        width = max(width, loop["label_x"] + _r(len(loop["label"]) * CHAR_W) + MARGIN)
    height = y + MARGIN
    title = headline(report)
    return {
        "id": id_prefix, "width": _r(width), "height": _r(height), "title": title, "font": FONT,
        "lanes": [{"title": lane.title, "x": lane.x, "w": lane.w, "cx": lane.x + lane.w // 2,
                   "color": lane.color, "fill": lane.fill, "process": lane.process} for lane in lanes],
        "lane_top": lane_top, "lane_bottom": lane_bottom, "header_y": MARGIN,
        "boxes": boxes, "banner": banner, "loop": loop, "final_pcs": final_pcs,
        "gutter_x": MARGIN + GUTTER // 2 - 4, "red": RED, "loop_color": LOOP,
        "separators": [b.y - ROW_GAP // 2 for b in boxes[1:]], "left": MARGIN + GUTTER - 8, "right": right + 8,
        "empty": not report.trace,
    }


def swimlane_svg(report: Report, spec: ir.Spec | None = None, id_prefix: str = "sl") -> str:
    """The trace of ``report`` as a standalone SVG document (also valid
    inline in HTML); ``id_prefix`` keeps element ids unique when several
    pictures share a page."""
    if not re.fullmatch(r"[A-Za-z][\w-]*", id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier, not {id_prefix!r}")
    return _ENV.get_template("swimlane.svg.j2").render(**swimlane_layout(report, spec, id_prefix))


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------


def _spec_for(report: Report, specs: dict[str, ir.Spec], only: ir.Spec | None) -> ir.Spec | None:
    s = specs.get(report.spec)
    if s is None and only is not None:
        return only
    return s


def _final_rows(report: Report, spec: ir.Spec | None, reads: list[str], last_changed: set[str]) -> list[dict]:
    if not report.trace:
        return []
    types = {sv.key: sv.type for sv in state_variables(spec)} if spec is not None else {}
    final = decoded_states(report, spec)[-1]
    rows = []
    for k, v in final.items():
        ty = types.get(k)
        proc = k.split(".", 1)[0]
        indexed = spec is not None and "." in k and isinstance(v, FMap) and any(
            p.name == proc and p.index is not None for p in spec.processes)
        if indexed:
            for idx in sorted(v, key=sort_key):
                name = f"{proc}[{_fmt(idx, ty.key if isinstance(ty, ir.MapType) else None)}].{k.split('.', 1)[1]}"
                rows.append({"name": name, "value": _fmt(v[idx], ty.value if isinstance(ty, ir.MapType) else None),
                             "reads": k in reads, "changed": name in last_changed})
        else:
            rows.append({"name": k, "value": _fmt(v, ty), "reads": k in reads, "changed": k in last_changed})
    return rows


def _replay_view(replay: Any, adapter: str, report: Report, spec: ir.Spec | None) -> dict[str, Any]:
    """The rows of a counterexample replay (a
    :class:`pyspec.conformance.replay.ReplayResult`, read by attribute so that
    reports do not depend on the conformance layer): per trace state, did the
    implementation's refinement mapping agree, and does the property hold on
    the implementation's state."""
    types = {sv.key: sv.type for sv in state_variables(spec)} if spec is not None else {}
    rows = []
    for st in replay.steps:
        if st.label is None:
            who = "init"
        elif st.index < len(report.trace):
            who = step_title(report.trace[st.index], spec)
        else:
            who = f"{st.process} {st.label}"
        rows.append({
            "state": st.index + 1,
            "who": who,
            "matches": not st.mismatches,
            "differences": [{"name": k, "trace": _fmt(w, types.get(k)), "impl": _fmt(g, types.get(k))}
                            for k, w, g in st.mismatches],
            "holds": st.property_holds,
        })
    at = next((r["state"] for r in rows if r["holds"] is False), None)
    return {"adapter": adapter, "rows": rows, "reproduced": replay.reproduced, "followed": replay.followed,
            "error": replay.error, "property": replay.property, "violated_at": at}


def _section(n: int, report: Report, spec: ir.Spec | None, replay: Any = None,
             adapter: str = "") -> dict[str, Any]:
    text, where, doc = property_text(spec, report.property)
    changes = trace_changes(report, spec)
    last_changed = {c.name for c in changes[-1]} if len(changes) > 1 else set()
    reads = reads_of(spec, report.property)
    return {
        "id": f"r{n}",
        "report": report,
        "headline": headline(report),
        "met": meets_expectation(report),
        "verdict": _VERDICT.get(report.verdict, report.verdict),
        "kind": _KIND.get(report.kind or "", report.kind or ""),
        "prop_text": text, "prop_where": where, "prop_doc": doc,
        "svg": Markup(swimlane_svg(report, spec, f"r{n}-sl")) if report.trace else None,
        "final_rows": _final_rows(report, spec, reads, last_changed),
        "trace_text": "\n".join(render_trace(report, spec)) if report.trace else "",
        "steps": len(report.trace),
        "replay": _replay_view(replay, adapter, report, spec) if replay is not None else None,
    }


def render_html(reports: Sequence[Report], specs: ir.Spec | Iterable[ir.Spec] | None = None) -> str:
    """One self-contained page for ``reports`` (the specs, when given, supply
    the types that values are shown with and the properties' text; a report
    finds its spec by path)."""
    if isinstance(specs, ir.Spec):
        spec_list = [specs]
    else:
        spec_list = list(specs or [])
    by_path = {s.path: s for s in spec_list}
    only = spec_list[0] if len(spec_list) == 1 else None
    sections = [_section(i + 1, r, _spec_for(r, by_path, only)) for i, r in enumerate(reports)]
    # a section for every report with something to show (one section per
    # violated property); reports that hold are rows of the summary table
    shown = [s for s in sections if s["report"].trace or s["report"].verdict != "ok"]
    if len(sections) == 1:
        shown = sections
    specs_named = sorted({r.spec for r in reports})
    models = sorted({f"{r.spec} model {r.model}" for r in reports})
    if len(reports) == 1:
        title = sections[0]["headline"]
    else:
        title = f"pyspec: {len(reports)} checks of {', '.join(models) if len(models) <= 2 else f'{len(models)} models'}"
    return _ENV.get_template("report.html.j2").render(
        title=title, sections=sections, shown=shown, specs=specs_named, n_bad=sum(not s["met"] for s in sections),
    )


def render_replay_html(report: Report, spec: ir.Spec | None, replay: Any, adapter: str) -> str:
    """The page of ``pyspec replay --html``: the counterexample as in
    :func:`render_html`, then what the implementation (``adapter``) did at
    each of its states."""
    section = _section(1, report, spec, replay, adapter)
    verb = "reproduces" if replay.reproduced else "does not reproduce"
    title = f"replay: {adapter} {verb} {report.property or 'the'} {section['kind'] or 'violation'}".strip()
    return _ENV.get_template("report.html.j2").render(
        title=title, sections=[section], shown=[section], specs=[report.spec], n_bad=0,
    )


def write_html(path: str | Path, reports: Sequence[Report], specs: ir.Spec | Iterable[ir.Spec] | None = None) -> None:
    """Write :func:`render_html` to ``path`` (UTF-8, atomically: a kill leaves
    the old page); OSError when it cannot."""
    from ..files import write_atomic

    write_atomic(path, render_html(reports, specs))
