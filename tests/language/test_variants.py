"""Variants (tagged unions) and ``match``: a message set that mixes kinds
(Paxos' 1a/1b/2a/2b, a mutex's request/ack/release) without padding one
record type with placeholder fields.  A value is a record whose ``tag``
names its case, which is also the TLA+ export's form; both engines and TLC
agree on counts, with and without symmetry."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pyspec
from pyspec.engines.embedded import check
from pyspec.printer import format_spec
from pyspec.report.text import render_trace
from pyspec.tla.export import render_module

sys.path.insert(0, str(Path(__file__).parents[1] / "engines"))
from tlc_direct import jar_path  # noqa: E402

needs_tlc = pytest.mark.skipif(jar_path() is None, reason="TLA2TOOLS_JAR not set: TLC half skipped")

MSGS = """\
spec Msgs
sort Acc
const ACCS: set[Acc] = {Acc.a1, Acc.a2}
variant Msg:
    Prepare(bal: 0..2)
    Promise(bal: 0..2, acc: Acc)
    Ping

var msgs: set[Msg] = set()
var promised: set[Acc] = set()

action SendPrepare(b in 0..2):
    msgs = msgs | {Msg.Prepare(bal=b)}

action Promise(a in ACCS):
    any m in msgs if isinstance(m, Msg.Prepare) and m.bal > 0:
        msgs = msgs | {Msg.Promise(bal=m.bal, acc=a)}

action Receive:
    any m in msgs:
        match m:
            case Msg.Promise(acc=who):
                promised = promised | {who}
            case Msg.Ping:
                pass
            case _:
                await False

action SendPing:
    msgs = msgs | {Msg.Ping}

invariant PromisesHaveBallots: forall m in msgs: not isinstance(m, Msg.Promise) or m.bal > 0
invariant NotAllPromised: promised != ACCS
model m:
    check PromisesHaveBallots
    check NotAllPromised: violated
    deadlock: ignore
model sym:
    symmetry: ACCS
    check PromisesHaveBallots
    deadlock: ignore
"""


def load(text: str = MSGS) -> pyspec.Spec:
    return pyspec.load("msgs.pyspec", text=text)


def errors(text: str) -> list[str]:
    _, diags = pyspec.load_with_diagnostics("bad.pyspec", text=text)
    return [d.message for d in diags.errors]


def test_counts():
    spec = load()
    assert check(spec, "m", property="PromisesHaveBallots").distinct_states == 272  # TLC: 272 (test_tlc_agrees)
    assert check(spec, "sym", property="PromisesHaveBallots").distinct_states < 272


def test_trace_shows_variant_values_in_spec_syntax():
    spec = load()
    rep = check(spec, "m", property="NotAllPromised")
    assert rep.verdict == "violated" and len(rep.trace) == 6
    text = "\n".join(render_trace(rep, spec))
    assert "msgs = {Msg.Prepare(bal=1)}" in text
    assert "with m = Msg.Promise(acc=Acc.a1, bal=1)" in text


def test_a_field_of_another_case_is_a_located_error():
    spec = load(MSGS.replace("isinstance(m, Msg.Prepare) and m.bal > 0", "m.bal > 0")
                .replace("action SendPing:", "action SendPing:\n    await len(msgs) > 0"))
    rep = check(spec, "m", property="PromisesHaveBallots")
    assert rep.verdict == "error"
    assert "Msg.Ping has no field 'bal'" in rep.message  # the value in spec syntax, not the internal record
    assert "msgs.pyspec:16" in rep.message


def test_the_message_shows_the_variant_value_with_its_model_values():
    spec = pyspec.load("f.pyspec", text=(
        "spec F\nsort S\nconst ELEMS: set[S] = {S.a, S.b}\nvariant Msg:\n    Req(n: 0..1)\n    Ack(dst: S)\n"
        "var mail: Msg = Msg.Ack(dst=S.a)\nvar x: int = 0\nprocess p:\n    s:\n        x = mail.n\n"
        "model m:\n    deadlock: ignore\n"))
    rep = check(spec, "m", property="deadlock")
    assert rep.verdict == "error"
    assert "Msg.Ack(dst=S.a) has no field 'n'" in rep.message, rep.message


def test_export_uses_records_with_a_tag():
    text, _, _ = render_module(load())
    assert "msgs' = msgs \\cup {[bal |-> b, tag |-> \"Prepare\"]}" in text
    assert "(m.tag = \"Prepare\") /\\ (m.bal > 0)" in text
    assert "IF m.tag = \"Promise\"" in text and "LET who == m.acc IN" in text
    assert "[tag |-> \"Ping\"]" in text


def test_printer():
    printed = format_spec(load())
    assert "variant Msg:\n    Prepare(bal: 0..2)\n    Promise(acc: Acc, bal: 0..2)\n    Ping\n" in printed
    assert "Msg.Promise(acc=a, bal=m.bal)" in printed or "Msg.Promise(bal=m.bal, acc=a)" in printed
    again = load(printed)
    assert check(again, "m", property="PromisesHaveBallots").distinct_states == 272


@pytest.mark.parametrize("body, message", [
    ("var x: Msg = Msg.Nope\n", "variant 'Msg' has no case 'Nope' (cases: A, B)"),
    ("var x: Msg = Msg.A\n", "'Msg.A' has fields: write Msg.A(n=...)"),
    ("var x: Msg = Msg.A(m=1)\n", "case 'Msg.A' has no field 'm' (fields: n)"),
    ("var x: Msg = Msg.A()\n", "'Msg.A(...)' misses field 'n'"),
    ("var x: Msg = Msg.A(n=True)\n", "field 'n' of 'Msg.A'"),
    ("var x: Msg = Msg.B\ninvariant I: x.zzz == 1\n", "no case of variant 'Msg' has a field 'zzz'"),
    ("var x: Msg = Msg.B\ninvariant I: isinstance(x, Msg.C)\n", "variant 'Msg' has no case 'C'"),
    ("var x: Msg = Msg.B\ninvariant I: isinstance(x, 3)\n", "the second argument of isinstance() is a case"),
    ("var x: int = 0\ninvariant I: isinstance(x, Msg.B)\n", "isinstance() needs a 'Msg', got 'int'"),
])
def test_errors(body, message):
    errs = errors("spec S\nvariant Msg:\n    A(n: int)\n    B\n" + body)
    assert any(message in e for e in errs), errs


@pytest.mark.parametrize("cases, message", [
    ("    A(tag: int)\n", "'tag' is the field that names a variant's case"),
    ("    A\n    A\n", "duplicate case 'A' in variant 'Msg'"),
    ("    A(n: int, n: int)\n", "duplicate field 'n'"),
])
def test_declaration_errors(cases, message):
    errs = errors("spec S\nvariant Msg:\n" + cases)
    assert any(message in e for e in errs), errs


@pytest.mark.parametrize("clauses, message", [
    ("        case Msg.A(n=k):\n            x = k\n        case Msg.A:\n            pass\n",
     "case 'Msg.A' is already matched above"),
    ("        case _:\n            pass\n        case Msg.B:\n            pass\n", "a 'case' after 'case _' is unreachable"),
    ("        case Other.A:\n            pass\n", "the subject is a 'Msg', not a 'Other'"),
    ("        case Msg.A(z=k):\n            pass\n", "case 'Msg.A' has no field 'z'"),
])
def test_match_errors(clauses, message):
    errs = errors("spec S\nvariant Msg:\n    A(n: int)\n    B\nvar m: Msg = Msg.B\nvar x: int = 0\n"
                  "action Go:\n    match m:\n" + clauses)
    assert any(message in e for e in errs), errs


@needs_tlc
@pytest.mark.parametrize("model", ["m", "sym"])
def test_tlc_agrees(model):
    from pyspec.engines.crosscheck import compare_model
    from pyspec.engines.tlc.jar import resolve

    problems = compare_model(load(), model, resolve(jar_path()))
    assert not problems, "\n".join(problems)


def test_printer_puts_the_constants_a_variant_uses_before_it():
    from pyspec.printer import format_spec

    text = ("spec P\nconst MAXB: int = 2\nvariant Msg:\n    Ping(bal: 0..MAXB)\n"
            "const FIRST: Msg = Msg.Ping(bal=0)\nvar msgs: set[Msg] = {FIRST}\n"
            "action A:\n    msgs = {Msg.Ping(bal=1)}\nmodel m:\n    deadlock: ignore\n")
    printed = format_spec(pyspec.load("p.pyspec", text=text))
    assert printed.index("const MAXB") < printed.index("variant Msg") < printed.index("const FIRST")
    assert format_spec(pyspec.load("p.pyspec", text=printed)) == printed
