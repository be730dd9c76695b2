"""Steps keyed by a projection of the message set (pyspec/compile/set_parts.py,
pyspec/engines/compiled/sets.py): a step that reads an interned set only
through filters by message kind is keyed by the set's projection on those
kinds, and what it sends is added by the compiled loop to the state's set.
The reports are the Python engine's, field for field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pyspec
from pyspec.compile import compile_model
from pyspec.compile.gen_steps import leading_guard, split_parts
from pyspec.compile.set_parts import kinds_read
from pyspec.engines.embedded import check_model
from pyspec.engines.embedded.bfs import explore

pytest.importorskip("numba", reason="numba is not installed: the compiled engine cannot run")

from pyspec.engines.compiled import search, sets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

PINGS = """\
spec Pings
sort Node
variant Msg:
    Ping(src: Node, n: 0..15)
    Pong(src: Node, n: 0..15)  # (96 messages in all: the set is interned, not a bit mask)
const NODES: set[Node] = {Node.a, Node.b, Node.c}
var msgs: set[Msg] = set()
var count: map[Node, 0..15] = {x: 0 for x in NODES}
var seen: map[Node, 0..15] = {x: 0 for x in NODES}
action Send(x in NODES):
    await count[x] < 2
    count[x] = count[x] + 1
    msgs = msgs | {Msg.Ping(src=x, n=count[x])}
action Reply(x in NODES):
    any m in msgs if isinstance(m, Msg.Ping) and m.src != x and m.n > seen[x]:
        seen[x] = m.n
        msgs = msgs | {Msg.Pong(src=x, n=m.n)}
invariant FewPongs: len({m for m in msgs if isinstance(m, Msg.Pong)}) < 4
model m:
    deadlock: ignore
    check FewPongs
"""


def _fields(r):
    return (r.property, r.verdict, r.kind, r.distinct_states, r.generated_states, r.depth,
            r.message, [(s.process, s.self, s.label, s.params, s.state) for s in r.trace])


def _projected_steps(spec, model) -> int:
    cm = compile_model(spec, model)
    tb = search._Tables(cm, search.Options())
    return int(tb.pj[:, 0].sum())


def test_the_kinds_each_step_of_paxos_reads():
    spec = pyspec.load(str(ROOT / "spec/corpus/paxos.pyspec"))
    defs = {d.name: d for d in spec.defs}
    got = {p.name: kinds_read(p.steps[0].body, "messages", defs) for p in spec.processes}
    assert got == {"Prepare": frozenset(), "Promise": {"P1a"}, "Accept": {"P1b", "P2a"},
                   "Accepted": {"P2a"}, "Decide": {"P2b"}}


def test_each_branch_of_multi_paxos_reads_one_kind():
    spec = pyspec.load(str(ROOT / "spec/corpus/multi_paxos.pyspec"))
    defs = {d.name: d for d in spec.defs}
    (step,) = spec.processes[0].steps
    parts = split_parts(step.body)
    assert [kinds_read(b, "msgs", defs) for b in parts] == [
        {"Prepare"}, {"Prepare"}, {"PrepareReply"}, set(), {"Accept"}, {"AcceptReply"}, {"CommitNotice"}]
    # the whole step reads every kind: only its parts are worth a projection
    assert kinds_read(step.body, "msgs", defs) == {"Prepare", "PrepareReply", "Accept", "AcceptReply",
                                                   "CommitNotice"}


def test_guards_of_multi_paxos_parts_stop_before_the_message_set():
    """A part's leading awaits, through the macro's lets, up to the first
    condition or let that reads the message set: handle_accept_replies's
    guard is its first await (its leader state), not the await on the
    replies it counts."""
    spec = pyspec.load(str(ROOT / "spec/corpus/multi_paxos.pyspec"))
    defs = {d.name: d for d in spec.defs}
    (step,) = spec.processes[0].steps
    reads = lambda e: kinds_read((e,), "msgs", defs) != frozenset()  # noqa: E731
    guards = [leading_guard(b, reads) for b in split_parts(step.body)]
    assert guards[0] is None  # the first part holds the loop's exit
    assert all(g is not None and kinds_read((g,), "msgs", defs) == frozenset() for g in guards[1:])
    cm = compile_model(spec, "original")
    cm.codegen.compile_extra("steps")
    assert len(cm.codegen.step_guards) == 3 * 6  # (every replica; where the guard's key is the part's, none)


def test_the_guards_of_a_replicas_parts_are_one_lookup():
    """The six guarded parts at a replica's first pc are answered by one
    memo entry per key, a guard group whose value is the bitmask of the
    guards that hold; the grouped guards themselves are never looked up."""
    spec = pyspec.load(str(ROOT / "spec/corpus/multi_paxos.pyspec"))
    cm = compile_model(spec, "one_write")
    run = search._Search(cm, search.Options())
    res = run.run()
    tb, memo = run.tb, run.steps
    groups = sorted(set(tb.ggrp[tb.ggrp >= 0].tolist()))
    assert len(groups) == 3 and all(g >= tb.first_group for g in groups)  # one per replica
    members = {g: [int(tb.gstep[j]) for j in range(len(tb.gbit)) if tb.gbit[j] >= 0
                   and tb.ggrp[np.flatnonzero((tb.disp[:, 0] <= j) & (j < tb.disp[:, 1]))[0]] == g] for g in groups}
    assert [len(m) for m in members.values()] == [6, 6, 6]
    ids = memo.id[:memo.n]
    assert not set(ids.tolist()) & {x for m in members.values() for x in m}
    entries = np.flatnonzero(np.isin(ids, groups))
    assert len(entries) > 0
    for e in entries.tolist():
        s = run.state(int(memo.ref[e]))
        want = 0
        for b, guard in enumerate(members[int(ids[e])]):
            out = []
            tb.step_fns[guard](s, out.append)
            want |= (1 << b) if out else 0
        assert int(memo.val[memo.start[e], 0]) == want
    assert (res.distinct, res.generated) == (15709, 28027)  # without symmetry (15,709: TLC's count too)
    py = explore(compile_model(spec, "one_write"), search.Options())
    assert (py.distinct, py.generated) == (15709, 28027)


def test_the_loop_permutes_the_message_sets_itself(monkeypatch):
    """With symmetry, the images of the message sets under the replicas'
    permutations are computed in the loop from the images of their
    elements (SetImage's, as the driver hands them over), not asked of
    Python: the same codes, and the Python engine's count."""
    spec = pyspec.load(str(ROOT / "spec/corpus/multi_paxos.pyspec"))
    cm = compile_model(spec, "one_write")
    from pyspec.engines.embedded.runner import _symmetry

    opts = search.Options(symmetry=_symmetry(cm))
    run = search._Search(cm, opts)
    asked = []
    real = run.tb.sym.interned_image
    monkeypatch.setattr(run.tb.sym, "interned_image", lambda *a: asked.append(a) or real(*a))
    res = run.run()
    assert res.distinct == 2628  # TLC's count with symmetry
    tb, memo = run.tb, run.isym
    assert run.sets.einfo[0] >= 0 and memo.n > 4 * len(asked)  # most images made in the loop
    for e in range(memo.n):
        pi, si = divmod(int(memo.id[e]), tb.ninterned)
        assert int(memo.val[e, 0]) == tb.sym.itables[pi][si][4](int(memo.key[e, 0]))


@pytest.mark.parametrize("change", [
    # a read that is not a filter by kind
    ("await count[x] < 2", "await count[x] < 2 and len(msgs) < 9"),
    # a kind test that is not the filter's first condition: the others would meet every element
    ("if isinstance(m, Msg.Ping) and m.src != x", "if m.src != x and isinstance(m, Msg.Ping)"),
    # a write other than a union with the old set
    ("msgs = msgs | {Msg.Ping(src=x, n=count[x])}", "msgs = {Msg.Ping(src=x, n=count[x])}"),
])
def test_a_step_that_reads_more_than_kinds_is_keyed_by_the_whole_set(change):
    spec = pyspec.load("pings.pyspec", text=PINGS.replace(*change))
    defs = {d.name: d for d in spec.defs}
    steps = {p.name: kinds_read(p.steps[0].body, "msgs", defs) for p in spec.processes}
    assert None in steps.values()
    # and the engines still agree
    assert [_fields(r) for r in check_model(spec, "m", engine="compiled")] == \
        [_fields(r) for r in check_model(spec, "m", engine="python")]


def test_projected_steps_give_the_python_engines_reports():
    spec = pyspec.load("pings.pyspec", text=PINGS)
    assert _projected_steps(spec, "m") == 6  # Send and Reply, three nodes each
    cp = check_model(spec, "m", engine="compiled")
    py = check_model(spec, "m", engine="python")
    assert [_fields(r) for r in cp] == [_fields(r) for r in py]
    assert [r.verdict for r in cp] == ["violated"]  # a counterexample, rebuilt from the parent links


def test_a_step_that_leaves_the_set_alone_is_not_projected():
    """Tick neither reads nor sends messages: its key leaves the set out,
    and the loop must not put a projection there (the fills' keys would
    not be the loop's; the set starts non-empty, so its empty projection's
    code is not 0)."""
    text = PINGS.replace("var msgs: set[Msg] = set()", "var msgs: set[Msg] = {Msg.Pong(src=Node.a, n=9)}").replace(
        "invariant FewPongs", "var t: 0..2 = 0\naction Tick:\n    await t < 2\n    t = t + 1\ninvariant FewPongs")
    spec = pyspec.load("pings.pyspec", text=text)
    assert _projected_steps(spec, "m") == 6  # Send and Reply; not Tick
    cp = check_model(spec, "m", engine="compiled")
    assert [_fields(r) for r in cp] == [_fields(r) for r in check_model(spec, "m", engine="python")]


@pytest.mark.parametrize("path,model", [("spec/corpus/multi_paxos.pyspec", "one_write"),  # symmetry
                                        ("spec/corpus/multi_paxos.pyspec", "one_replica"),
                                        ("spec/corpus/paxos.pyspec", "original"),  # symmetry
                                        ("pings", "m")])
def test_tiny_set_tables_and_buffers_give_the_same_reports(monkeypatch, path, model):
    """A set table of 16 element slots and 4 codes, and a scratch of 2
    elements: the loop stops to let the driver grow them many times."""
    real = sets.SetTable.__init__

    def tiny(self, codec, kind_of, nproj, elements=16, sets=4):
        real(self, codec, kind_of, nproj, 16, 4)

    monkeypatch.setattr(sets.SetTable, "__init__", tiny)
    monkeypatch.setattr(search, "SET_SCRATCH", 2)
    monkeypatch.setattr(search, "MISS_BUFFER", 5)
    spec = pyspec.load("pings.pyspec", text=PINGS) if path == "pings" else pyspec.load(str(ROOT / path))
    assert _projected_steps(spec, model) > 0
    cp = check_model(spec, model, engine="compiled")
    py = check_model(spec, model, engine="python")
    assert [_fields(r) for r in cp] == [_fields(r) for r in py]


def test_auto_hands_a_projected_model_over_whatever_its_python_misses(monkeypatch):
    """paxos without symmetry misses the Python engine's memo about 40
    times per state (keyed by the whole message set), far above
    runner.HANDOVER_MISSES; its compiled steps are keyed by projections and
    miss about twice: ``auto`` hands it over all the same."""
    from pyspec.engines.embedded import runner
    from pyspec.engines.embedded.bfs import Options

    monkeypatch.setattr(runner, "HANDOVER_SECONDS", 0.0)
    monkeypatch.setattr(runner, "HANDOVER_MISSES", 0.0)  # every miss rate is "too many" for a model without projections
    ran = []
    real = search.explore
    monkeypatch.setattr(search, "explore", lambda cm, opts: ran.append(True) or real(cm, opts))
    spec = pyspec.load(str(ROOT / "spec/corpus/paxos.pyspec"))
    cm = compile_model(spec, "original")
    assert cm.codegen.projects_a_set()
    res = runner._explore(cm, Options(invariants=["Nontriviality"], deadlock=False),
                          runner.RunSettings(engine="auto"))
    assert ran and res.distinct == 48514  # (without symmetry: no option asks for it)
    # a model without projections stays with the Python engine under the same rule
    ran.clear()
    spec = pyspec.load(str(ROOT / "spec/corpus/lamport_mutex.pyspec"))
    cm = compile_model(spec, "original")
    assert not cm.codegen.projects_a_set()
    runner._explore(cm, Options(invariants=[], deadlock=False, max_states=3000), runner.RunSettings(engine="auto"))
    assert not ran
