"""The HTML report and the SVG swimlane of counterexamples (pyspec/report/html.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from htmlcheck import external_urls, parse, step_boxes, text_lines

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check, check_model
from pyspec.report import Report, TraceStep
from pyspec.report.html import render_html, swimlane_svg
from pyspec.report.text import process_title

COUNTER = "spec/examples/counter.pyspec"
V1 = "spec/kvm/v1.pyspec"
LASSO = "tests/tla/specs/lasso.pyspec"
LIVENESS = "tests/engines/specs/liveness.pyspec"


@pytest.fixture(scope="module")
def counter():
    spec = pyspec.load(COUNTER)
    return spec, check(spec, "race", property="BothCounted")


@pytest.fixture(scope="module")
def v1():
    spec = pyspec.load(V1)
    return spec, check(spec, "small", property="NoStaleAfterIoctl")


def _wellformed(html: str):
    b = parse(html)
    assert b.errors == []
    assert b.doctype and b.doctype.lower() == "doctype html"
    tops = [n.tag for n in b.root.children]
    assert tops == ["html"]
    html_node = b.root.children[0]
    assert [c.tag for c in html_node.children] == ["head", "body"]
    titles = [n for n in b.root.walk() if n.tag == "title" and n.parent.tag == "head"]
    assert len(titles) == 1 and titles[0].all_text().strip()
    return b


def test_safety_violation_every_step_in_its_process_lane(counter):
    spec, r = counter
    assert r.verdict == "violated" and len(r.trace) == 5
    html = render_html([r], spec)
    b = _wellformed(html)
    boxes = [x for x in step_boxes(b.root) if x.kind == "step"]
    steps = [st for st in r.trace if st.process is not None]
    assert [(x.state, x.lane, x.label) for x in boxes] == \
        [(st.step + 1, process_title(st, spec), st.label) for st in steps]
    assert [x.lines[0].split()[0] for x in boxes] == [st.label for st in steps]
    # each step's file:line, and the shared counter's lost update as old -> new
    assert all("counter.pyspec:" in x.lines[0] for x in boxes)
    # inc[1] writes 1, then inc[2] writes its stale 1: the second write changes nothing
    assert boxes[-2].lines[1:] == ["count: 0 \u2192 1"] and boxes[-1].lines[1:] == []
    # one lane per process instance, in index order
    lanes = [n.all_text() for n in b.root.walk() if "lane-title" in n.classes()]
    assert lanes == ["inc[1]", "inc[2]"]
    # the violated property: named, with its text, and the final state where it fails
    banner = next(n for n in b.root.walk() if "sl-banner" in n.classes())
    assert banner.attrs["data-property"] == "BothCounted"
    lines = [line.strip() for line in text_lines(banner)]
    assert lines[0] == "\u2717 invariant BothCounted is violated in state 5"
    assert lines[1].startswith("invariant BothCounted: ") and "(spec/examples/counter.pyspec:13)" in " ".join(lines)
    assert "count = 1" in lines
    rows = {n.children[0].all_text(): n for n in b.root.walk() if n.tag == "tr" and "reads" in n.classes()}
    assert set(rows) == {"count", "inc[1].pc", "inc[2].pc"}
    assert external_urls(html) == []


def test_kvm_counterexample_shows_params_sources_and_narrowed_changes(v1):
    spec, r = v1
    html = render_html([r], spec)
    b = _wellformed(html)
    boxes = [x for x in step_boxes(b.root) if x.kind == "step"]
    assert {x.lane for x in boxes} == {"vcpu[Vcpu.v1]", "writer"}
    first = boxes[0]
    assert first.lines[0] == "R0  x = Gfn.g1  base.pyspec:136"
    text = [line for x in boxes for line in x.lines]
    assert "spte[Gfn.g1]: -1 \u2192 0" in text  # one entry of the map, not the whole map
    assert "vcache[Vcpu.v1].gfn: none \u2192 Gfn.g1" in text  # one field of one entry
    assert "gfn: none \u2192 Gfn.g1" in text  # the lane's own local, without the instance
    assert not any(line.startswith("pc:") for line in text)
    # the steps that changed what the property reads are highlighted
    marked = [n for n in b.root.walk() if "sl-mark" in n.classes()]
    assert len(marked) >= 3
    assert "NoStaleAfterIoctl" in next(n for n in b.root.walk() if "sl-banner" in n.classes()).all_text()
    # where each lane's instance is at the end
    finals = [n.all_text().strip() for n in b.root.walk() if n.tag == "g" and "sl-final" in n.classes()]
    assert finals == ["at R0", "at W1"]


def test_swimlane_svg_is_standalone_xml_with_every_step(v1):
    spec, r = v1
    svg = swimlane_svg(r, spec)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    ns = {"s": "http://www.w3.org/2000/svg"}
    labels = [t.text for t in root.iterfind(".//s:text", ns) if "step-label" in (t.get("class") or "")]
    assert labels == [st.label for st in r.trace if st.process is not None]
    assert external_urls(svg) == []


def test_liveness_lasso_is_drawn_as_a_loop():
    spec = pyspec.load(LASSO)
    r = check(spec, "liveness", property="EventuallyFlag")
    assert r.loop_start is not None and r.loop_start < len(r.trace) - 1
    b = _wellformed(render_html([r], spec))
    loop = next(n for n in b.root.walk() if n.tag == "g" and "sl-loop" in n.classes())
    assert loop.all_text().strip() == "loop"
    path = next(n for n in loop.walk() if n.tag == "path")
    assert path.attrs["marker-end"].startswith("url(#r1-")
    # the arrow runs from the last box back up to the loop start's box
    boxes = {n.attrs["data-state"]: n for n in b.root.walk() if "sl-box" in n.classes()}
    rect = lambda n: next(c for c in n.children if c.tag == "rect")  # noqa: E731
    last, start = rect(boxes[str(len(r.trace))]), rect(boxes[str(r.loop_start + 1)])
    nums = [int(float(v)) for v in path.attrs["d"].replace("M", " ").replace("H", " ").replace("V", " ").split()]
    y_from, y_to = nums[1], nums[3]
    assert int(last.attrs["y"]) <= y_from <= int(last.attrs["y"]) + int(last.attrs["height"])
    assert int(start.attrs["y"]) <= y_to <= int(start.attrs["y"]) + int(start.attrs["height"])
    assert any("sl-loop-band" in n.classes() for n in b.root.walk())
    banner = " ".join(text_lines(next(n for n in b.root.walk() if "sl-banner" in n.classes())))
    assert f"states {r.loop_start + 1}..{len(r.trace)} repeat forever" in banner


def test_a_lasso_that_stutters_says_so():
    spec = pyspec.load(LIVENESS)
    r = check(spec, "unfair", property="XReaches2")
    assert r.loop_start == len(r.trace) - 1
    b = _wellformed(render_html([r], spec))
    loop = next(n for n in b.root.walk() if n.tag == "g" and "sl-loop" in n.classes())
    assert loop.all_text().strip() == "stutters forever"


def test_ok_report_is_a_summary():
    spec = pyspec.load("spec/examples/peterson.pyspec")
    r = check(spec, "two")
    assert r.verdict == "ok"
    html = render_html([r], spec)
    b = _wellformed(html)
    assert not any(n.tag == "svg" for n in b.root.walk())
    summary = next(n for n in b.root.walk() if "ok-summary" in n.classes()).all_text()
    assert f"all {r.distinct_states:,} distinct states" in summary
    facts = {n.children[0].all_text(): n.children[1].all_text()
             for n in b.root.walk() if n.tag == "div" and n.parent.tag == "dl"}
    assert facts["spec"] == "spec/examples/peterson.pyspec" and facts["model"] == "two"
    assert facts["engine"] == "embedded" and facts["verdict"] == "holds"
    assert facts["distinct states"] == f"{r.distinct_states:,}" and facts["time"].endswith(" s")


def test_several_reports_one_section_per_violated_property():
    spec = pyspec.load(LASSO)
    reports = check_model(spec, "expected_failures")
    violated = [r.property for r in reports if r.verdict == "violated"]
    assert len(violated) == 3
    b = _wellformed(render_html(reports, spec))
    sections = [n for n in b.root.walk() if n.tag == "section"]
    assert [s.attrs["id"] for s in sections] == [f"r{i + 1}" for i, r in enumerate(reports) if r.verdict == "violated"]
    assert [next(n for n in s.walk() if "prop" in n.classes()).all_text() for s in sections] == violated
    rows = [n for n in b.root.walk() if n.tag == "tr" and n.parent.tag == "tbody" and
            n.parent.parent.attrs.get("class") == "summary"]
    assert len(rows) == len(reports)
    # element ids stay unique with several pictures on one page
    ids = [n.attrs["id"] for n in b.root.walk() if "id" in n.attrs]
    assert len(ids) == len(set(ids))


def test_output_is_byte_stable(v1):
    spec, r = v1
    again = Report.from_json(json.loads(r.dumps()))
    assert render_html([r], spec) == render_html([r], spec) == render_html([again], spec)
    assert swimlane_svg(r, spec) == swimlane_svg(again, spec)


def test_everything_is_escaped():
    evil = "<script>alert(1)</script>"
    r = Report(engine="embedded", spec="x.pyspec", model="m&m", verdict="violated", property=evil,
               kind="invariant", trace=[
                   TraceStep(0, None, None, None, {}, None, {"x": "<b>", "p.pc": "a"}),
                   TraceStep(1, "p", None, evil, {"v": "\"'<"}, "x.pyspec:3", {"x": "<i>", "p.pc": "Done"}),
               ], message="a < b & c")
    html = render_html([r])
    assert "<script" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "m&amp;m" in html
    b = _wellformed(html)
    assert [x.label for x in step_boxes(b.root) if x.kind == "step"] == [evil]
    ET.fromstring(swimlane_svg(r))


def test_cli_html_option(tmp_path, capsys):
    out = tmp_path / "c.html"
    assert main(["check", COUNTER, "--model", "race", "--property", "BothCounted", "--html", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "BothCounted" in page and parse(page).errors == []
    out2 = tmp_path / "s.html"
    assert main(["simulate", COUNTER, "--runs", "5", "--depth", "6", "--html", str(out2)]) == 1
    assert "sl-banner" in out2.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["check", COUNTER, "--model", "race", "--html", str(tmp_path / "no" / "such" / "dir.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def _tlc_report(case: str):
    """A report of the TLC runner, from TLC output recorded in tests/tla/fixtures."""
    from pathlib import Path

    from pyspec.engines.tlc.output import build_report, parse_output
    from pyspec.engines.tlc.run import plan
    from pyspec.tla.export import render_module

    d = Path("tests/tla/fixtures") / case
    meta = json.loads((d / "meta.json").read_text())
    trace = json.loads((d / "trace.json").read_text()) if (d / "trace.json").exists() else None
    spec = pyspec.load(meta["spec"])
    _, sm, _ = render_module(spec)
    job = next(j for j in plan(spec, spec.model(meta["model"])) if j.name == meta["run"])
    rep = build_report(parse_output((d / "stdout.txt").read_text()), spec=spec, spec_path=meta["spec"],
                       model=meta["model"], sm=sm, exit_code=meta["exit_code"], seconds=1.5,
                       properties=job.checks, expected=job.expected, trace_json=trace)
    return spec, rep


def test_tlc_lasso_report_is_drawn_too():
    spec, rep = _tlc_report("liveness")
    assert rep.engine == "tlc" and rep.loop_start is not None
    b = _wellformed(render_html([rep], spec))
    boxes = [x for x in step_boxes(b.root) if x.kind == "step"]
    assert [x.label for x in boxes] == [st.label for st in rep.trace if st.process is not None]
    assert any(n.tag == "g" and "sl-loop" in n.classes() for n in b.root.walk())


def test_tlc_command_html_option(tmp_path, monkeypatch, capsys):
    """``pyspec tlc --html`` writes the runs' reports (TLC itself replaced by a recorded run)."""
    import pyspec.commands.tlc as tlc_cmd
    from pyspec.engines.tlc.run import plan

    spec, rep = _tlc_report("invariant")
    monkeypatch.setattr(tlc_cmd, "resolve", lambda jar: object())
    # the recorded run is the model's "holds" run: plan only that one
    monkeypatch.setattr(tlc_cmd, "plan", lambda spec, model, prop: [j for j in plan(spec, model, prop)
                                                                    if j.name == "holds"])
    monkeypatch.setattr(tlc_cmd, "run_job", lambda *a, **k: rep)
    out = tmp_path / "tlc.html"
    code = main(["tlc", rep.spec, "--model", rep.model, "--html", str(out)])
    capsys.readouterr()
    assert code == 1  # the model expects Small to hold
    b = _wellformed(out.read_text(encoding="utf-8"))
    facts = {n.children[0].all_text(): n.children[1].all_text()
             for n in b.root.walk() if n.tag == "div" and n.parent.tag == "dl"}
    assert facts["engine"] == "tlc" and facts["property"] == "Small"
    assert [x.label for x in step_boxes(b.root) if x.kind == "step"] == \
        [st.label for st in rep.trace if st.process is not None]
