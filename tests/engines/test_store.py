"""The state store: exact membership per batch, insertion order, growth,
states wider than 64 bits, truncation and checkpoint round trips."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pyspec.engines.embedded.store import StateStore


def _fill(store: StateStore, states: list[int], batch: int, rng: random.Random) -> dict[int, int]:
    """Add ``states`` in batches (each with some repeats of earlier ones); check every answer."""
    ref: dict[int, int] = {}
    for lo in range(0, len(states), batch):
        chunk = states[lo:lo + batch] + rng.sample(states[:lo], min(lo, batch // 3))
        chunk = list(dict.fromkeys(chunk))  # a batch holds no duplicates
        parents = [rng.randrange(-1, 1000) for _ in chunk]
        new = store.add_batch(chunk, parents)
        assert new.dtype == bool and len(new) == len(chunk)
        for s, p, is_new in zip(chunk, parents, new.tolist()):
            assert is_new == (s not in ref)
            if is_new:
                assert store.parent(len(ref)) == p
                ref[s] = len(ref)
    return ref


@pytest.mark.parametrize("bits", [8, 40, 64, 65, 100, 200])
def test_batches_store_each_state_once_in_order(bits):
    rng = random.Random(bits)
    states = list(dict.fromkeys(rng.getrandbits(bits) for _ in range(30_000)))
    store = StateStore()
    ref = _fill(store, states, 4096, rng)
    assert len(store) == len(ref) == len(states)
    assert store.states() == list(ref)  # the order found
    assert [store.state(i) for i in (0, 17, len(ref) - 1)] == [states[0], states[17], states[-1]]
    assert all(s in store for s in states[::97])
    assert (1 << (bits + 70)) not in store and (states[0] ^ (1 << bits)) not in store
    assert store.ncols == (bits + 63) // 64


def test_structured_keys_do_not_collide_into_long_probes():
    # packed states differ in a few fields: multiples of powers of two, all
    # sharing their low bits
    states = [(a << 40) | (b << 20) | (c << 3) for a in range(40) for b in range(40) for c in range(40)]
    store = StateStore()
    ref = _fill(store, states, 5000, random.Random(1))
    assert store.states() == list(ref) and len(store) == 64_000
    assert 2 * len(store) <= len(store.table)  # at most half full


def test_a_wider_state_widens_every_stored_state():
    store = StateStore()
    store.add_batch([1, 2, 3], [-1, -1, -1])
    assert store.ncols == 1
    wide = (1 << 150) | 5
    new = store.add_batch([2, wide, 7], [0, 0, 1])
    assert new.tolist() == [False, True, True] and store.ncols == 3
    assert store.states() == [1, 2, 3, wide, 7]
    assert wide in store and 2 in store and (1 << 150) not in store
    assert store.add_batch([wide, 1], [0, 0]).tolist() == [False, False]


def test_paths_levels_and_single_adds():
    store = StateStore()
    assert store.add(10, -1) and not store.add(10, -1)
    store.add_batch([11, 12], [0, 0])
    store.add_batch([13], [2])
    store.level_ends = [1, 3, 4]
    assert store.path(3) == [0, 2, 3] and store.path(0) == [0]
    assert [store.level_of(i) for i in range(4)] == [1, 2, 2, 3]
    with pytest.raises(IndexError):
        store.state(4)


def test_truncate_forgets_the_states_after():
    rng = random.Random(3)
    states = list(dict.fromkeys(rng.getrandbits(70) for _ in range(5000)))
    store = StateStore()
    store.add_batch(states, [-1] * len(states))
    store.truncate(1234)
    assert len(store) == 1234 and store.states() == states[:1234]
    assert states[1233] in store and states[1234] not in store
    assert store.add_batch(states[1230:1240], [0] * 10).tolist() == [False] * 4 + [True] * 6
    assert store.states() == states[:1240]


def test_words_round_trip():
    rng = random.Random(4)
    states = list(dict.fromkeys(rng.getrandbits(90) for _ in range(3000)))
    store = StateStore()
    store.add_batch(states, list(range(-1, len(states) - 1)))
    copy = StateStore.from_words(store.words(), store.ncols, store.parents[:len(store)].tobytes(), [1, 3000])
    assert copy.states() == states and copy.level_ends == [1, 3000]
    assert [copy.parent(i) for i in range(5)] == [-1, 0, 1, 2, 3]
    assert copy.add_batch(states[:10] + [1 << 95], [0] * 11).tolist() == [False] * 10 + [True]


def test_memory_per_state_is_a_few_words():
    # the arrays alone: 8 bytes per word of state, 4 of parent, 8-32 of table
    rng = random.Random(5)
    states = list(dict.fromkeys(rng.getrandbits(60) for _ in range(200_000)))
    store = StateStore()
    for lo in range(0, len(states), 32768):
        store.add_batch(states[lo:lo + 32768], np.zeros(len(states[lo:lo + 32768]), dtype=np.int32))
    per_state = (store.cols[0][:len(store)].nbytes + store.parents[:len(store)].nbytes + store.table.nbytes) / len(store)
    assert per_state <= 12 + 32
