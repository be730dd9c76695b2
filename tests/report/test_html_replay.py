"""``pyspec replay --html FILE``: the counterexample's page plus, per trace
state, what the implementation did (refinement mapping, the property on its
state), for an implementation that reproduces the violation and one that
does not."""

from __future__ import annotations

import pytest
from htmlcheck import external_urls, parse, step_boxes

import pyspec
from pyspec.cli import main
from pyspec.engines.embedded import check

NO_WAIT = "tests/conformance/specs/peterson_no_wait.pyspec"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rep = check(pyspec.load(NO_WAIT), "two", property="MutualExclusion")
    assert rep.verdict == "violated"
    path = tmp_path_factory.mktemp("reports") / "no_wait.json"
    path.write_text(rep.dumps())
    return rep, str(path)


def replay_page(capsys, tmp_path, report_path, *argv):
    out = tmp_path / "replay.html"
    code = main(["replay", report_path, *argv, "--html", str(out)])
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.err
    text = out.read_text(encoding="utf-8")
    tree = parse(text)
    assert tree.errors == [] and external_urls(text) == []
    return code, captured.out, text, tree.root


def rows(root):
    table = next(n for n in root.walk() if n.tag == "table" and "replay-steps" in n.classes())
    body = next(n for n in table.walk() if n.tag == "tbody")
    return [(r, [c.all_text().strip() for c in r.children if c.tag == "td"]) for r in body.children if r.tag == "tr"]


def test_a_reproducing_implementation(capsys, tmp_path, report):
    rep, path = report
    code, out, text, root = replay_page(capsys, tmp_path, path, "--adapter", "pyspec.examples.peterson:no_wait")
    assert code == 1 and "misbehaviour" in out  # the text output is unchanged by --html
    assert "<title>replay: pyspec.examples.peterson:no_wait() reproduces MutualExclusion invariant</title>" in text
    box = next(n for n in root.walk() if "replay" in n.classes())
    assert "reproduced" in box.classes()
    table = rows(root)
    # one row per state of the trace, the states numbered as in the swimlane
    assert [cells[0] for _, cells in table] == [str(i + 1) for i in range(len(rep.trace))]
    assert table[0][1][1] == "init"
    labels = [st.label for st in rep.trace[1:]]
    assert [cells[1].rsplit(" ", 1)[1] for _, cells in table[1:]] == labels
    assert all(cells[2] == "matches the trace" for _, cells in table)
    # the property fails on the implementation's state exactly at the trace's last state
    assert [cells[3] for _, cells in table] == ["holds"] * (len(rep.trace) - 1) + ["violated"]
    assert "violated" in table[-1][0].classes()
    verdict = next(n for n in root.walk() if "replay-verdict" in n.classes()).all_text()
    assert f"reproduces the violation of MutualExclusion at state {len(rep.trace)}" in verdict
    # and the counterexample itself is drawn as on check --html
    assert [b.label for b in step_boxes(root) if b.kind == "step"] == labels


def test_an_implementation_that_does_not_follow(capsys, tmp_path, report):
    rep, path = report
    code, _, text, root = replay_page(capsys, tmp_path, path, "--adapter", "pyspec.examples.peterson:Peterson")
    assert code == 0
    box = next(n for n in root.walk() if "replay" in n.classes())
    assert "not-reproduced" in box.classes()
    assert "does not reproduce the violation of MutualExclusion: it does not follow the trace" in box.all_text()
    assert "Stopped: the implementation failed at step" in box.all_text()
    table = rows(root)
    assert len(table) < len(rep.trace)  # it stopped where the correct implementation blocks
    assert "violated" not in [cells[3] for _, cells in table]


def test_refinement_differences_are_listed(capsys, tmp_path, report):
    _, path = report
    f = tmp_path / "lying.py"
    f.write_text("from pyspec.examples.peterson import Peterson\n\n"
                 "class Lying(Peterson):\n"
                 "    def observe(self):\n"
                 "        out = super().observe()\n"
                 "        out['turn'] = 1 - out['turn']\n"
                 "        return out\n\n"
                 "def make(mutant=None):\n"
                 "    return Lying(mutant)\n")
    code, _, _, root = replay_page(capsys, tmp_path, path, "--adapter", f"{f}:make", "--adapter-arg", "mutant=no_wait")
    assert code == 1
    differing = [cells for r, cells in rows(root) if "differs" in r.classes()]
    assert differing and all(c[2].startswith("differs:") and "turn: trace" in c[2] for c in differing)


def test_an_unwritable_html_path_exits_2(capsys, tmp_path, report):
    _, path = report
    code = main(["replay", path, "--adapter", "pyspec.examples.peterson:no_wait",
                 "--html", str(tmp_path / "missing" / "x.html")])
    assert code == 2
    assert "pyspec: error: cannot write" in capsys.readouterr().err
