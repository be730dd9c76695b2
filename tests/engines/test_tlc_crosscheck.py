"""Both engines on the same models: the same verdict per property, the same
violated property, the same number of distinct states for models that hold
(with and without symmetry), counterexamples of safety properties of the
same length.

Runs TLC (through the TLC runner) on the modules ``pyspec.tla`` exports;
needs Java and ``TLA2TOOLS_JAR``, and skips visibly otherwise.  Every model of
every spec under spec/ is compared property by property
(:func:`pyspec.engines.crosscheck.compare_model`); the engine test specs
(tests/engines/specs) model by model, as TLC checks a cfg.  The benchmark
models (``big*``) take TLC minutes each: they are marked ``slow`` only (not
``tlc``), so ``-m 'tlc or not slow'`` leaves them out and ``-m slow`` runs
them; ``bench/crosscheck.py`` records them too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tlc_direct import jar_path, run_tlc

import pyspec
from pyspec.engines.crosscheck import compare_model
from pyspec.engines.embedded import check

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC cross-check skipped")]


def _corpus_sizes(path: Path) -> dict[str, int]:
    """model -> distinct states TLC found, for a corpus spec (its .json)."""
    meta = path.with_suffix(".json")
    if path.parent.name != "corpus" or not meta.exists():
        return {}
    import json

    return {r["model"]: r.get("distinct") or 0 for r in json.loads(meta.read_text(encoding="utf-8"))["runs"]}


def _cases(paths):
    out = []
    for f in paths:
        try:
            spec = pyspec.load(str(f))
        except pyspec.SpecError:
            continue
        sizes = _corpus_sizes(f)
        for m in spec.models:
            big = m.name.startswith("big") or m.name.startswith("kvm_big") or sizes.get(m.name, 0) > 100_000
            marks = [pytest.mark.slow] if big else [pytest.mark.tlc]
            out.append(pytest.param(str(f.relative_to(ROOT)), m.name, marks=marks,
                                    id=f"{f.relative_to(ROOT)}::{m.name}"))
    return out


LIBRARY = sorted((ROOT / "spec").rglob("*.pyspec"))
OWN = [ROOT / "tests/engines/specs" / n for n in (
    "actions.pyspec", "constraint.pyspec", "deadlock.pyspec", "fair.pyspec", "liveness.pyspec",
    "steps_fair.pyspec", "stmts.pyspec", "strongfair.pyspec", "symmetry.pyspec", "terminate.pyspec",
    "errors.pyspec", "counters.pyspec")]


def compare(path: str, model: str) -> None:
    spec = pyspec.load(path)
    emb = check(spec, model)
    tlc = run_tlc(spec, model)
    assert tlc.verdict != "error" or emb.verdict == "error", f"TLC failed:\n{tlc.output[-3000:]}"
    assert emb.verdict == tlc.verdict, (emb.verdict, emb.property, tlc.verdict, tlc.property)
    if emb.verdict == "ok":
        assert emb.distinct_states == tlc.distinct
        return
    if emb.verdict != "violated":
        return
    if tlc.property is not None and emb.property != tlc.property:
        # several properties fail at the same depth: TLC met another one first;
        # ours must fail that one too, with a counterexample of the same length
        other = check(spec, model, property=tlc.property)
        assert other.verdict == "violated", (tlc.property, other.verdict)
        emb = other
    if emb.kind in ("invariant", "action", "deadlock"):
        assert len(emb.trace) == tlc.trace_len, (emb.property, len(emb.trace), tlc.trace_len)


@pytest.fixture(scope="module")
def tools():
    from pyspec.engines.tlc.jar import resolve

    return resolve(jar_path())


@pytest.mark.parametrize("path,model", _cases(LIBRARY))
def test_library_model_agrees_with_tlc(path, model, tools):
    spec = pyspec.load(path)
    problems = compare_model(spec, model, tools)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path,model", _cases(OWN))
def test_engine_spec_agrees_with_tlc(path, model):
    compare(path, model)
