"""One memo for a run of step instances memoized alike.

Consecutive one-step process instances (the instances of an action) whose
memo keys and written bits are the same but for their own pc fields
(``Send(b)`` for every ``b``: each keyed by the whole message set) are
looked up in one memo of ``_next_fast``: one lookup per state for the run
and one entry per key, where there was one per instance.  Instances keyed
by their own places (``Bump(i)``: ``counts[i]``) are not grouped.  The
successors, their order included, must be those of the checked variant,
from the memo too (every reachable state twice)."""

from __future__ import annotations

import re

from engine_util import memo_matches_checked
from refinterp import Reference, compiled_view, without_action_pcs

import pyspec
from pyspec.compile import compile_model
from pyspec.engines.embedded.bfs import Options, explore

SPEC = '''spec Groups
variant Msg:
    Ask(b: 0..2)
    Tell(b: 0..2, v: 0..1)
var msgs: set[Msg] = set()
var counts: map[int, int] = {i: 0 for i in 0..2}
var told: 0..3 = 0

action Send(b in 0..2):
    await len(msgs) < 4
    await not (exists m in msgs: isinstance(m, Msg.Ask) and m.b == b)
    msgs = msgs | {Msg.Ask(b=b)}

action Answer(b in 0..2, v in 0..1):
    await exists m in msgs: isinstance(m, Msg.Ask) and m.b == b
    await len(msgs) < 4
    msgs = msgs | {Msg.Tell(b=b, v=v)}

action Bump(i in 0..2):
    await counts[i] < 2
    counts[i] = counts[i] + 1

action Count:
    told = len({m for m in msgs if isinstance(m, Msg.Tell)}) % 4

model m:
    deadlock: ignore
'''


def _model():
    return compile_model(pyspec.load("groups.pyspec", text=SPEC), "m")


def test_instances_keyed_alike_share_one_lookup():
    cm = _model()
    cm.next_fast  # noqa: B018 - generated with the model
    src = cm.codegen.core_source
    groups = re.findall(r"(?ms)^def (_grp_fast_\d+)\(s, _ap\):\n(.*?)\n\n", src)
    assert len(groups) == 1, src
    name, body = groups[0]
    # Send(0..2) and Answer(0..2, 0..1): keyed by msgs alone, 9 instances
    assert len(re.findall(r"_st_fast_\d+\(s, _ap\)", body)) == 9
    nxt = src[src.index("def _next_fast("):]
    nxt = nxt[:nxt.index("\n\n")]
    assert nxt.count(f"{name})") == 0 and nxt.count(f", {name},") == 1
    # Bump(i): one memo each (keyed by counts[i])
    assert nxt.count(".get(s & ") == 1 + 3 + 1


def test_grouped_successors_are_those_of_the_checked_variant():
    memo_matches_checked(_model())


def test_the_search_reaches_the_reference_states():
    spec = pyspec.load("groups.pyspec", text=SPEC)
    cm = compile_model(spec, "m")
    res = explore(cm, Options())
    assert {compiled_view(cm, s) for s in res.store.states()} == without_action_pcs(
        spec, Reference(spec, "m").reachable())
