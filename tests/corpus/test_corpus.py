"""The public corpus (spec/corpus/): protocols written from published TLA+
specifications reproduce the counts and verdicts TLC reports on the
ORIGINAL specs, in both engines.

Each ``spec/corpus/<name>.json`` names its source (repository, commit,
paths), the TLC runs on the original (configuration, command, verdict,
distinct states, depth) and the pyspec model that reproduces each run.
The embedded engine must find the same number of distinct states when
everything holds, and the same violation (for an invariant, a
counterexample of the same length) otherwise; with a jar
(``TLA2TOOLS_JAR``) TLC on the export must agree with the embedded engine
(:func:`pyspec.engines.crosscheck.compare_model`).  Runs of more than
100,000 states are ``slow`` (``pytest -m slow``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check, check_model

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

CORPUS = Path(__file__).parents[2] / "spec" / "corpus"
BIG = 100_000


def _entries() -> list[dict]:
    out = []
    for path in sorted(CORPUS.glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        entry["_path"] = path
        out.append(entry)
    return out


ENTRIES = _entries()


def _runs():
    for e in ENTRIES:
        for run in e["runs"]:
            # big runs, and runs the embedded engine is still slow on (its time
            # on the original is in the .json), are for `pytest -m slow`
            seconds = (run.get("embedded") or {}).get("seconds") or 0
            marks = [pytest.mark.slow] if run["distinct"] > BIG or seconds > 60 else []
            if run.get("embedded_skip"):
                marks.append(pytest.mark.skip(reason=f"{e['name']} {run['model']}: {run['embedded_skip']}"))
            yield pytest.param(e, run, id=f"{e['name']}-{run['model']}", marks=marks)


def _spec(entry: dict) -> pyspec.Spec:
    return pyspec.load(str(CORPUS / entry["spec"]))


def test_corpus_is_big_enough():
    """The issue's floor: 15 protocols, 3 of them above 100,000 states."""
    assert len(ENTRIES) >= 15
    assert sum(1 for e in ENTRIES if any(r["distinct"] > BIG for r in e["runs"])) >= 3
    for e in ENTRIES:
        assert e["source"]["repository"] and len(e["source"]["commit"]) == 40
        assert (CORPUS / e["spec"]).exists()


@pytest.mark.parametrize("entry, run", list(_runs()))
def test_embedded_engine_reproduces_tlc_on_the_original(entry, run):
    spec = _spec(entry)
    if run["verdict"] == "holds":
        reports = check_model(spec, run["model"])
        bad = [f"{r.property or 'deadlock'}: {r.verdict}" for r in reports if r.verdict != "ok"]
        assert not bad, bad
        assert max(r.distinct_states for r in reports) == run["distinct"]
    else:
        rep = check(spec, run["model"], property=run["property"])
        assert rep.verdict == "violated", rep.message
        if rep.kind in ("invariant", "deadlock", "action"):
            assert len(rep.trace) == run["counterexample_states"]


@pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC on the corpus exports skipped")
@pytest.mark.parametrize("entry, run", list(_runs()))
def test_tlc_agrees_on_the_export(entry, run):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(_spec(entry), run["model"], resolve(jar_path()))
    assert not problems, "\n".join(problems)


def test_corpus_page_is_up_to_date():
    import subprocess

    done = subprocess.run([sys.executable, "docs/gen/corpus.py", "--check"], cwd=CORPUS.parents[1],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
