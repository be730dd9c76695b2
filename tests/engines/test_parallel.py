"""``--workers N``: the same answers as one worker, the partition that
makes two workers faster (states owned by a hash of the slots that steps
rarely change, chosen from seeded random walks), and the frontier states
handed from a loaded worker to the others."""

from __future__ import annotations

import os

import pytest
from engine_util import load

from pyspec.compile import compile_model
from pyspec.engines.embedded import check, check_model, parallel
from pyspec.engines.embedded.bfs import Options, explore
from pyspec.engines.embedded.parallel import Partition, choose_partition, explore_parallel
from pyspec.values import from_itf

MODELS = [
    ("spec/examples/peterson.pyspec", "two"),
    ("spec/examples/two_phase_commit.pyspec", "two"),
    ("spec/examples/bounded_queue.pyspec", "default"),
    ("counters", "big"),
    ("stmts", "both"),
    ("symmetry", "sym"),  # symmetry reduction
    ("symmetry", "plain"),
    ("constraint", "cut"),  # a state constraint
    ("constraint", "cut_violated"),
    ("actions", "m"),  # action properties
    ("deadlock", "stuck"),
    ("spec/kvm/v1.pyspec", "small"),  # symmetry, 94k states
    ("spec/kvm/patch2014.pyspec", "wrap"),
]


def outcome(reports):
    return sorted((r.property, r.verdict, r.kind, r.distinct_states if r.verdict == "ok" else None,
                   r.generated_states if r.verdict == "ok" else None, len(r.trace or ()))
                  for r in reports if r.kind != "temporal")


@pytest.mark.parametrize("path,model", MODELS)
def test_two_workers_give_the_one_worker_answers(path, model):
    spec = load(path)
    one = check_model(spec, model, workers=1)
    two = check_model(spec, model, workers=2, engine="python")
    assert outcome(two) == outcome(one)


@pytest.mark.parametrize("workers", [3, 4])
def test_more_workers_give_the_same_counts(workers):
    spec = load("stmts")
    one = check_model(spec, "both", workers=1)
    more = check_model(spec, "both", workers=workers, engine="python")
    assert outcome(more) == outcome(one)


@pytest.mark.parametrize("share_min", [parallel.SHARE_MIN, 1])
def test_a_counterexample_found_by_two_workers_is_a_path_of_the_model(monkeypatch, share_min):
    # with share_min 1, through states expanded by the worker that does not own them
    monkeypatch.setattr(parallel, "SHARE_MIN", share_min)
    spec = load("counters")
    r = check(spec, "big", property="NotAll9", workers=2, engine="python")
    assert r.verdict == "violated"
    one = check(spec, "big", property="NotAll9", workers=1)
    assert len(r.trace) == len(one.trace)  # both shortest
    cm = compile_model(spec, "big")
    types = cm.state_types()
    states = [cm.from_values({k: from_itf(v, types[k]) for k, v in st.state.items()}) for st in r.trace]
    assert states[0] in cm.initial_states()
    for s, t in zip(states, states[1:]):
        assert t in cm.next_states(s)


@pytest.mark.parametrize("path,model", [m for m in MODELS if m[0] != "spec/kvm/v1.pyspec"])
@pytest.mark.parametrize("workers", [2, 3])
def test_handing_frontier_states_over_gives_the_same_answers(monkeypatch, path, model, workers):
    # every excess is handed over (the coordinator plans in this process):
    # the taker expands the donor's states under their ids, and routes
    # their successors back to their owner
    monkeypatch.setattr(parallel, "SHARE_MIN", 1)
    handed, uneven = [], []
    plan = parallel.share_frontiers

    def share(sizes):
        uneven.append(max(sizes) > -(-sum(sizes) // len(sizes)))
        handed.append(any(plan(sizes)[0]))
        return plan(sizes)
    monkeypatch.setattr(parallel, "share_frontiers", share)
    spec = load(path)
    one = check_model(spec, model, workers=1)
    more = check_model(spec, model, workers=workers, engine="python")
    assert outcome(more) == outcome(one)
    assert handed == uneven  # every uneven level was shared


def test_share_frontiers_evens_the_levels_out():
    assert parallel.share_frontiers([100_000, 50_000]) == ([((1, 25_000),), ()], [(), (0,)])
    assert parallel.share_frontiers([100_000, 0, 20_000, 80_000]) == (
        [((1, 50_000),), (), (), ((2, 30_000),)], [(), (0,), (3,), ()])
    # small excesses stay: a transfer costs more than it saves
    assert parallel.share_frontiers([50_000 + parallel.SHARE_MIN - 1, 50_000]) == ([(), ()], [(), ()])
    gives, takes = parallel.share_frontiers([7, 90_000, 3])
    after = [7, 90_000, 3]
    for k, g in enumerate(gives):
        for j, c in g:
            after[k] -= c
            after[j] += c
            assert k in takes[j]
    assert max(after) - min(after) <= 2


def test_partition_of_a_kvm_model_keeps_successors_with_their_parent():
    cm = compile_model(load("spec/kvm/v1.pyspec"), "small")
    part = choose_partition(cm, 2)
    again = choose_partition(cm, 2)
    assert (part.mask, part.fields) == (again.mask, again.fields)  # deterministic
    assert part.fields and "vcpu.pc" not in part.fields  # the program counters change at every step
    covered = 0
    for sl in cm.slots:
        if sl.key in part.fields:
            covered |= sl.mask << sl.off
    assert part.mask == covered
    # over every state: balanced, and most steps stay with their worker
    states = explore(cm, Options()).store.states()
    assert len(states) == 357018  # v1 small without its symmetry reduction
    owners = [part.owner(s) for s in states]
    assert 0.35 < sum(owners) / len(owners) < 0.65
    sample = states[::10]
    steps = sum(len(cm.next_states(s)) for s in sample)
    moved = sum(part.owner(t) != part.owner(s) for s in sample for t in cm.next_states(s))
    assert moved / steps < 0.15, moved / steps
    # a hash of every slot moves many more (half of them)
    every = Partition(2, cm.layout.fixed_mask)
    assert sum(every.owner(t) != every.owner(s) for s in sample for t in cm.next_states(s)) > 3 * moved


def test_partition_of_states_wider_than_64_bits():
    # the sample is costed in numpy arrays of Python ints then
    import random

    cm = compile_model(load("spec/kvm/v3.pyspec"), "small")
    assert cm.layout.bits > 64
    part = choose_partition(cm, 2)
    assert part.mask.bit_length() > 64  # slots above the low word are hashed too
    assert part.mask != cm.layout.fixed_mask and "vcpu.pc" not in part.fields
    assert (part.mask, part.fields) == (choose_partition(cm, 2).mask, choose_partition(cm, 2).fields)
    rng = random.Random(7)  # walks other than the partition's
    steps = moved = 0
    for _ in range(50):
        s = cm.initial_states()[0]
        for _ in range(100):
            succ = cm.next_states(s)
            if not succ:
                break
            steps += len(succ)
            moved += sum(part.owner(t) != part.owner(s) for t in succ)
            s = rng.choice(succ)
    assert moved / steps < 0.15, moved / steps


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_partition_owners_are_workers(workers):
    cm = compile_model(load("stmts"), "both")
    part = choose_partition(cm, workers)
    owners = {part.owner(s) for s in explore(cm, Options()).store.states()}
    assert owners <= set(range(workers))
    assert len(owners) == min(workers, 2) or workers > 2  # (a small model: some workers may own nothing)


def test_a_worker_that_dies_is_reported_not_raised(monkeypatch):
    # the workers are forked: the patched method is what they run
    monkeypatch.setattr(parallel._Worker, "level", lambda self, *args: os._exit(3))
    cm = compile_model(load("counters"), "big")
    res = explore_parallel(cm, Options(invariants=["Fine"]), 2)
    assert res.stopped == "error"
    assert "worker process exited" in res.error.message


def test_an_evaluation_error_in_a_worker_is_reported():
    # one worker fails mid-level while its peer waits for its batch
    spec = load("errors")
    for model in [m.name for m in spec.models]:
        one = check_model(spec, model, workers=1)
        two = check_model(spec, model, workers=2, engine="python")
        assert [r.verdict for r in two] == [r.verdict for r in one], model
