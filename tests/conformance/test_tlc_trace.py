"""Trace validation with TLC (pyspec/conformance/tlc_trace.py) against the
embedded validator, on the corpus under traces/ (see traces/generate.py).

The embedded half runs everywhere; the TLC half needs Java and
tla2tools.jar (TLA2TOOLS_JAR or the user cache) and is skipped, with the
reason shown by ``pytest -rs``, without them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.conformance import Event, Trace, read_jsonl, validate
from pyspec.conformance.tlc_trace import GOAL, TraceExportError, match_expr, render_trace_module, validate_with_tlc
from pyspec.ir import nodes as ir
from pyspec.values import FMap, ModelValue

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "traces"
INDEX = json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))
WORDS = "tests/conformance/specs/tla_words.pyspec"

CASES = [(name, f) for name, info in INDEX.items() for f in info["traces"]]


@cache
def _compiled(name: str):
    info = INDEX[name]
    spec = pyspec.load(info["spec"])
    return spec, compile_model(spec, info["model"])


def _trace(name: str, fname: str) -> Trace:
    spec, _ = _compiled(name)
    return read_jsonl(spec, CORPUS / name / fname)


@pytest.fixture(scope="module")
def tools():
    from pyspec.engines.tlc.jar import ToolMissing, resolve

    try:
        return resolve()
    except ToolMissing:
        pytest.skip("TLC not available: set TLA2TOOLS_JAR to tla2tools.jar (and have java on PATH) "
                    "to validate the corpus with TLC")


def test_corpus_covers_every_kind_of_trace():
    for name, info in INDEX.items():
        kinds = {f.rsplit("_", 1)[0] for f in info["traces"]}
        assert {"good_full.jsonl", "good_partial.jsonl"} <= set(info["traces"]), name
        assert len(kinds) >= 4, f"{name}: only {sorted(kinds)}"
    all_kinds = {f.split("_")[1] for _, f in CASES if f.startswith("bad_")}
    assert all_kinds == {"value", "skip", "process", "label"}


@pytest.mark.parametrize("name,fname", CASES, ids=[f"{n}/{f}" for n, f in CASES])
def test_embedded_validator_on_corpus(name, fname):
    _, cm = _compiled(name)
    trace = _trace(name, fname)
    res = validate(cm, trace)
    if fname.startswith("good_"):
        assert res.ok, res.render(cm)
        assert res.explained == len(trace.events)
    else:
        assert not res.ok, f"{fname} is accepted"
        assert res.explained < len(trace.events)
        assert res.failed_event is trace.events[res.explained]


@pytest.mark.tlc
@pytest.mark.parametrize("name,fname", CASES, ids=[f"{n}/{f}" for n, f in CASES])
def test_tlc_agrees_with_embedded_validator(name, fname, tools):
    spec, cm = _compiled(name)
    trace = _trace(name, fname)
    emb = validate(cm, trace)
    tlc = validate_with_tlc(spec, INDEX[name]["model"], trace, tools=tools, explain=False)
    assert tlc.error is None, tlc.error
    assert (tlc.ok, tlc.explained) == (emb.ok, emb.explained), (
        f"embedded: {emb.render(cm)}\nTLC: {tlc.render()}")
    if not tlc.ok:
        assert tlc.failed_event is emb.failed_event


@pytest.mark.tlc
def test_tlc_witness_is_a_behaviour_explaining_the_trace(tools):
    spec, cm = _compiled("peterson-two")
    trace = _trace("peterson-two", "good_partial.jsonl")
    res = validate_with_tlc(spec, "two", trace, tools=tools)
    assert res.ok and len(res.witness) == len(trace.events) + 1
    # the witness is fully observed: validating it as a trace must succeed
    full = Trace(res.witness[0], [Event(e.process, e.self, e.label, {}, s)
                                  for e, s in zip(trace.events, res.witness[1:])])
    assert validate(cm, full).ok


@pytest.mark.tlc
def test_tlc_rejection_shows_a_state_before_the_failing_event(tools):
    spec, cm = _compiled("peterson-two")
    trace = _trace("peterson-two", "bad_label_full.jsonl")
    res = validate_with_tlc(spec, "two", trace, tools=tools)
    emb = validate(cm, trace)
    assert not res.ok and res.explained == emb.explained
    assert res.candidates and cm.from_values(res.candidates[0]) in emb.candidates
    text = res.render()
    assert f"event {emb.explained + 1} of {len(trace.events)}" in text and "a spec state after" in text


@pytest.mark.tlc
def test_tlc_initial_state_mismatch_and_empty_trace(tools):
    spec, cm = _compiled("peterson-two")
    bad_init = Trace({"turn": 1}, [])
    res = validate_with_tlc(spec, "two", bad_init, tools=tools)
    assert not res.ok and res.explained == 0 and res.failed_event is None
    assert res.message == validate(cm, bad_init).message
    assert validate_with_tlc(spec, "two", Trace(None, []), tools=tools).ok


@pytest.mark.tlc
def test_events_without_a_step_match_any_step(tools):
    """ITF traces log states only: each event stands for some step."""
    spec, cm = _compiled("peterson-two")
    trace = _trace("peterson-two", "good_full.jsonl")
    anon = Trace(trace.init, [Event(None, None, None, {}, e.observed) for e in trace.events])
    assert validate(cm, anon).ok
    assert validate_with_tlc(spec, "two", anon, tools=tools, explain=False).ok
    anon.events[3], anon.events[4] = anon.events[4], anon.events[3]
    emb = validate(cm, anon)
    tlc = validate_with_tlc(spec, "two", anon, tools=tools, explain=False)
    assert not emb.ok and (tlc.ok, tlc.explained) == (emb.ok, emb.explained)


# --------------------------------------------------------------------------
# The generated module
# --------------------------------------------------------------------------


def test_module_extends_the_model_and_checks_the_standard_invariant():
    spec, _ = _compiled("kvm_v3-small")
    tm = render_trace_module(spec, "small", _trace("kvm_v3-small", "good_full.jsonl"))
    tla = tm.files["TV_small.tla"]
    assert "EXTENDS MC_small\n" in tla
    assert "TraceNext_ ==\n    /\\ i_ < Len(Trace_)\n    /\\ i_' = i_ + 1\n" in tla
    assert f"{GOAL} == i_ < Len(Trace_)" in tla
    # steps with `any` get a variant taking the logged choices
    assert 'vcpu_R0_params_(self, prm_) ==' in tla and '("x" \\in DOMAIN prm_) => (x = prm_["x"])' in tla
    cfg = tm.files["TV_small.cfg"]
    assert "INIT TraceInit_\nNEXT TraceNext_\n" in cfg and f"INVARIANT {GOAL}" in cfg
    assert "SYMMETRY" not in cfg and "CONSTRAINT" not in cfg  # the trace pins every value
    assert set(tm.files) == {"KvmMemslotsV3.tla", "MC_small.tla", "TV_small.tla", "TV_small.cfg"}


_RENDER = """
import json, sys
import pyspec
from pyspec.conformance import read_jsonl
from pyspec.conformance.tlc_trace import render_trace_module
spec = pyspec.load(sys.argv[1])
tm = render_trace_module(spec, sys.argv[2], read_jsonl(spec, sys.argv[3]))
sys.stdout.write(json.dumps(tm.files, sort_keys=True))
"""


def test_module_is_byte_stable_across_hash_seeds():
    info = INDEX["kvm_v3-small"]
    path = str(CORPUS / "kvm_v3-small" / "good_partial.jsonl")
    outs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run([sys.executable, "-c", _RENDER, info["spec"], info["model"], path],
                           capture_output=True, text=True, env=env, check=True)
        outs.add(r.stdout)
    assert len(outs) == 1
    spec, _ = _compiled("kvm_v3-small")
    here = render_trace_module(spec, "small", read_jsonl(spec, path)).files
    assert json.dumps(here, sort_keys=True) == outs.pop()


def test_trace_model_values_not_in_the_model_are_declared():
    spec, _ = _compiled("kvm_v3-small")
    trace = _trace("kvm_v3-small", "good_partial.jsonl")
    trace.events[0].observed = {"cov": frozenset({ModelValue("Gfn", "g9")})}
    tm = render_trace_module(spec, "small", trace)
    assert "CONSTANTS\n    Gfn__g9  \\* Gfn.g9\n" in tm.files["TV_small.tla"]
    assert "    Gfn__g9 = Gfn__g9\n" in tm.files["TV_small.cfg"]


def test_values_tla_cannot_hold_are_refused():
    spec, _ = _compiled("kvm_v3-small")
    trace = Trace({"cov": frozenset({ModelValue("Gfn", "not an identifier")})}, [])
    with pytest.raises(TraceExportError, match="not a TLA\\+ identifier"):
        render_trace_module(spec, "small", trace)


def test_values_written_as_tla_read_back_as_tlc_prints_them():
    """tla_value is the inverse of the TLC output reader on every value of
    the KVM model's states (sets, maps, records, optionals, model values,
    negative ints)."""
    from pyspec.engines.tlc.tlavalues import decode, parse_tla
    from pyspec.ir.state import state_types
    from pyspec.tla.values import tla_value

    spec, cm = _compiled("kvm_v3-small")
    types = state_types(spec)
    trace = _trace("kvm_v3-small", "good_full.jsonl")
    seen = 0
    for state in [trace.init, *(e.observed for e in trace.events)]:
        for k, v in state.items():
            text = tla_value(v, types[k])
            assert decode(parse_tla(text), types[k]) == v, text
            seen += 1
    assert seen == 19 * len(types)
    assert tla_value(-3, ir.INT) == "-3" and tla_value("a\"b", ir.STR) == '"a\\"b"'


def test_strings_tla_cannot_hold_are_refused():
    spec = pyspec.load(WORDS)
    with pytest.raises(TraceExportError, match="printable ASCII"):
        render_trace_module(spec, "m", Trace({"note": "caf\u00e9"}, []))


def test_partial_match_follows_the_map_type():
    m = ir.MapType(ir.INT, ir.MapType(ir.INT, ir.BOOL))
    assert match_expr(m, "v", "o", 1) == ("\\A k1_ \\in DOMAIN o : (k1_ \\in DOMAIN v) /\\ "
                                          "(\\A k2_ \\in DOMAIN o[k1_] : (k2_ \\in DOMAIN v[k1_]) /\\ "
                                          "(v[k1_][k2_] = o[k1_][k2_]))")
    assert match_expr(ir.SetType(ir.INT), "v", "o", 1) == "v = o"


@pytest.mark.tlc
def test_names_like_tla_words_and_the_modules_own_still_validate(tools):
    spec = pyspec.load(WORDS)
    cm = compile_model(spec, "m")
    s = cm.initial_states()[0]
    events = []
    for _ in range(4):
        info, t = cm.successors(s)[0]
        events.append(Event(info.process, info.self, info.label, dict(info.params), cm.to_values(t)))
        s = t
    trace = Trace(cm.to_values(cm.initial_states()[0]), events)
    tla = render_trace_module(spec, "m", trace).files["TV_m.tla"]
    assert 'obs |-> "THEN"' in tla or 'obs |-> "CASE"' in tla  # enum values that are TLA+ keywords
    assert 'note |-> "it\'s \\"done\\""' in tla or 'note |-> "say \\"hi\\" \\\\ bye"' in tla
    # the spec's Init and NoneValue keep their names; the export's are renamed
    assert "    /\\ Init_1_\n" in tla and "NoneValue |-> NoneValue_1_" in tla
    assert validate(cm, trace).ok
    assert validate_with_tlc(spec, "m", trace, tools=tools, explain=False).ok
    # and a wrong choice of `any` is rejected by both, at the same event
    wrong = Trace(trace.init, list(trace.events))
    first = wrong.events[0]
    other = next(v for v in (ModelValue("Node", "a"), ModelValue("Node", "b")) if v != first.params["o"])
    wrong.events[0] = Event(first.process, first.self, first.label, {"o": other}, {})
    emb = validate(cm, wrong)
    tlc = validate_with_tlc(spec, "m", wrong, tools=tools, explain=False)
    assert not emb.ok and (tlc.ok, tlc.explained) == (False, emb.explained) == (False, 1)
    # each event logging only its own entry of a map of optional values
    own = Trace(None, [Event(e.process, e.self, e.label, {}, {"TraceLog": FMap({e.self: e.observed["TraceLog"][e.self]})})
                       for e in trace.events])
    assert validate(cm, own).ok and validate_with_tlc(spec, "m", own, tools=tools, explain=False).ok
