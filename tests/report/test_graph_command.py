"""``pyspec graph``: the reachable state graph as DOT (and SVG through Graphviz)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from dotcheck import parse_dot

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check
from pyspec.engines.embedded.liveness import build_graph
from pyspec.engines.embedded.runner import compiled
from pyspec.report.dot import quote

COUNTER = "spec/examples/counter.pyspec"


def graph(capsys, *argv) -> tuple[int, str, str]:
    code = main(["graph", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("path,model,holds", [
    ("spec/examples/peterson.pyspec", "two", "MutualExclusion"),
    ("spec/examples/bounded_queue.pyspec", "one_slot", "BoundedLength"),
    ("tests/engines/specs/constraint.pyspec", "cut", "Small"),  # states outside the constraint left out
    (COUNTER, "race", "deadlock"),
])
def test_dot_has_the_engines_states_and_transitions(capsys, path, model, holds):
    code, out, _ = graph(capsys, path, "--model", model, "--dot")
    assert code == 0
    _name, nodes, edges, _ = parse_dot(out)
    spec = pyspec.load(path)
    report = check(spec, model, property=holds)
    assert report.verdict == "ok"  # a full exploration: its count is every reachable state
    g = build_graph(compiled(spec, model))
    transitions = {(u, g.to[k], g.aid[k]) for u in range(len(g)) for k in range(g.start[u], g.start[u + 1])}
    assert len(nodes) == report.distinct_states == len(g)
    assert len(edges) == len(transitions)
    assert all(u in nodes and v in nodes for u, v, _ in edges)
    assert all(a["label"] for _, _, a in edges)


def test_nodes_show_states_and_edges_steps(capsys):
    code, out, _ = graph(capsys, COUNTER)
    _name, nodes, edges, defaults = parse_dot(out)
    assert nodes["s0"]["label"] == "count = 0\\linc.pc = {1: read, 2: read}\\linc.tmp = {1: 0, 2: 0}\\l"
    assert nodes["s0"].get("peripheries") == "2"  # the initial state
    assert {a["label"] for _, _, a in edges} == {"inc[1].read", "inc[2].read", "inc[1].write", "inc[2].write"}
    assert "13 states, 14 transitions" in defaults["graph"]["label"]


def test_counterexample_is_highlighted(capsys):
    spec = pyspec.load(COUNTER)
    report = check(spec, "race", property="BothCounted")
    code, out, _ = graph(capsys, COUNTER, "--property", "BothCounted")
    assert code == 0
    _name, nodes, edges, _ = parse_dot(out)
    red_edges = [(u, v, a["label"]) for u, v, a in edges if a.get("color") == "#cf222e"]
    steps = [st for st in report.trace if st.process is not None]
    assert [lab.split(".")[-1] for _, _, lab in red_edges] == [st.label for st in steps]
    # the red edges form one path from an initial state, ending in the filled violating state
    assert all(red_edges[k][1] == red_edges[k + 1][0] for k in range(len(red_edges) - 1))
    assert nodes[red_edges[0][0]].get("peripheries") == "2"
    assert nodes[red_edges[-1][1]].get("style") == "rounded,filled"


def test_a_lasso_loops_back(capsys):
    code, out, _ = graph(capsys, "tests/tla/specs/lasso.pyspec", "-m", "liveness", "-p", "EventuallyFlag")
    assert code == 0
    _name, _nodes, edges, _ = parse_dot(out)
    loops = [a for _, _, a in edges if a["label"].endswith("(loop)")]
    assert len(loops) == 1 and loops[0]["color"] == "#9a6700"


def test_output_is_byte_stable(capsys, tmp_path):
    a, b = tmp_path / "a.dot", tmp_path / "b.dot"
    assert graph(capsys, "spec/examples/peterson.pyspec", "-o", str(a))[0] == 0
    assert graph(capsys, "spec/examples/peterson.pyspec", "-o", str(b))[0] == 0
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 1000


def test_too_many_states_is_refused(capsys):
    code, out, err = graph(capsys, "spec/examples/peterson.pyspec", "--max-states", "10")
    assert code == 2 and out == ""
    assert "more than 10 reachable states" in err and "--max-states" in err


def test_bad_input(capsys):
    assert graph(capsys, COUNTER, "--model", "nope")[0] == 2
    assert graph(capsys, COUNTER, "--property", "Nope")[0] == 2
    code, _, err = graph(capsys, COUNTER, "-o", "/nonexistent/dir/g.dot")
    assert code == 2 and "cannot write" in err


def test_svg_without_dot_exits_3(capsys, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, out, err = graph(capsys, COUNTER, "--svg")
    assert code == 3 and out == ""
    assert "Graphviz" in err and "--dot" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_and_graphviz_accepts_the_dot(capsys, tmp_path):
    code, out, _ = graph(capsys, COUNTER, "--property", "BothCounted")
    # Graphviz itself reads the DOT and finds the same graph
    canon = subprocess.run(["dot", "-Tcanon"], input=out, capture_output=True, text=True, check=True).stdout
    _n, nodes, edges, _ = parse_dot(out)
    assert canon.count(" -> ") == len(edges) == 14
    svg = tmp_path / "g.svg"
    assert graph(capsys, COUNTER, "--svg", "-o", str(svg))[0] == 0
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and text.count('class="node"') == len(nodes) == 13


def test_quote_escapes_labels():
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("x = 1\ny = {2}") == '"x = 1\\ly = {2}\\l"'
