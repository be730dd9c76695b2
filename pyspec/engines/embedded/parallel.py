"""Breadth-first search with several worker processes (``--workers N``).

The state space is partitioned: a state belongs to worker ``owner(s)``,
computed from the packed int the same way in every process (the partition
is chosen before the workers are forked), and only its owner stores it.
The search is level-synchronous:

1. the coordinator (the calling process) tells every worker to expand the
   states it found in the previous level, and which of them to hand over
   to which peer (below);
2. each worker expands its frontier; a successor it owns goes straight into
   its batch (as in the one-process search), the others are sent, in one
   batch per peer, directly to their owner -- sender threads write while
   the main thread reads, so two workers never block each other on full
   pipes;
3. each worker stores the states it received (numpy, no Python object per
   state but the new ones), checks invariants on the new ones and reports
   its counts and violations; the coordinator decides whether to go on.

The partition is what makes more workers faster: a step changes a few
fields, so when the owner depends only on fields that steps rarely change,
a successor nearly always belongs to its parent's worker and costs no more
than in the one-process search (successors that move cost much more than
their transfer: the workers lose the locality of similar states).
:func:`choose_partition` picks such fields (slots) from seeded random walks
of the model; the owner is a multiplicative hash of their bits.

A few such fields take few values, some of them frequent, and the shares
of the workers drift from level to level; so before each level the
coordinator evens the frontiers out (:func:`share_frontiers`): a worker
with more than its share hands the tail of its frontier, with the states'
ids, to the others, which expand those states as if they were their own
(successors go to their owners as usual).  The order in which states are
stored depends only on the level sizes, so runs are deterministic.

Every property's first violation is at the least depth (levels are complete
before the next starts), so counterexamples stay shortest.  Parents are
global ids ``index * N + worker``; a counterexample is read back from the
workers, state by state.
"""

from __future__ import annotations

import marshal
import multiprocessing as mp
import random
import signal
import sys
import threading
import time
from array import array
from collections.abc import Callable
from itertools import compress
from multiprocessing.connection import wait

import numpy as np

from ...compile import CompiledModel
from .bfs import BLOCK, FLUSH, ExploreResult, Options, Violation
from .checkpoint import CheckpointWriteError
from .store import StateStore, _from_words

#: random walks (and steps per walk) that sample the model for the partition
PARTITION_WALKS = 100
PARTITION_DEPTH = 200
#: the owner hash's multiplier (odd; the 64-bit golden ratio of splitmix64)
_MULT = 0x9E3779B97F4A7C15
#: bits of the product above the masked value's width that the owner is
#: taken from (every bit of the value has reached them)
_MIX_BITS = 32
#: a worker with at least this many frontier states more than its share
#: hands them to the others (fewer are not worth the transfer)
SHARE_MIN = BLOCK


class Partition:
    """Which worker owns a state: ``owner(s)``, a multiplicative hash of the
    bits of ``s`` under ``mask``, modulo the number of workers ``n``.

    The search loop inlines the same expression:
    ``((s & mask) * _MULT >> shift) % n``."""

    def __init__(self, n: int, mask: int, fields: tuple[str, ...] = ()):
        self.n = n
        self.mask = mask
        self.fields = fields  # the state entries whose slots ``mask`` covers (for reports)
        self.shift = shift = mask.bit_length() + _MIX_BITS
        self.owner: Callable[[int], int] = lambda s: ((s & mask) * _MULT >> shift) % n


def choose_partition(model: CompiledModel, n: int, seed: int = 0) -> Partition:
    """A partition for ``n`` workers in which few steps move a state to
    another worker and every worker gets a fair share of each level (see
    the module docstring); deterministic.

    Slots are taken in the order of how often the sampled steps change them
    (least first); each prefix of that order is a candidate mask, charged
    with the largest share of the sampled states a worker would own (plus
    one standard deviation of a random hash over the prefix's values: the
    sample has few of them where the state space has many, and shares must
    hold on all of it) times one plus the share of the sampled steps that
    change owner (a successor that moves is sent to its owner).  The
    cheapest prefix wins; without varying slots, every slot is hashed."""
    slots = [sl for sl in model.slots if sl.width]
    every = 0
    for sl in slots:
        every |= sl.mask << sl.off
    fallback = Partition(n, every, tuple(dict.fromkeys(sl.key for sl in slots)))
    if n < 2:
        return fallback
    rng = random.Random(seed)
    next_fast = model.next_fast
    try:
        inits = model.initial_states()
    except Exception:  # noqa: BLE001 - reported by the search
        return fallback
    states: list[int] = []
    steps: list[tuple[int, int]] = []  # sampled (state, successor) pairs
    out: list[int] = []
    for _ in range(PARTITION_WALKS):
        s = inits[rng.randrange(len(inits))]
        for _ in range(PARTITION_DEPTH):
            out.clear()
            try:
                next_fast(s, out.append)
            except Exception:  # noqa: BLE001 - an evaluation error: the search reports it
                break
            if not out:
                break
            states.append(s)
            steps.extend((s, t) for t in out)
            s = out[rng.randrange(len(out))]
    if not states:
        return fallback
    # the sample as numpy arrays (of Python ints for states wider than 64 bits)
    wide = max(max(states), max(t for _, t in steps)).bit_length() > 64
    dtype = object if wide else np.uint64
    word = int if wide else np.uint64
    xs = np.array(states, dtype=dtype)
    parents = np.array([x for x, _ in steps], dtype=dtype)
    children = np.array([t for _, t in steps], dtype=dtype)
    changed = parents ^ children
    ranked = []
    for sl in slots:
        m = word(sl.mask << sl.off)
        if len(np.unique(xs & m)) > 1:  # a slot that never varies splits nothing
            ranked.append((np.count_nonzero(changed & m) / len(steps), sl.off, sl))
    ranked.sort(key=lambda r: r[:2])
    best, best_cost = fallback, None
    mask = 0
    keys: list[str] = []
    for _, _, sl in ranked:
        mask |= sl.mask << sl.off
        keys.append(sl.key)
        part = Partition(n, mask, tuple(dict.fromkeys(keys)))
        m = word(mask)
        # every masked value of the sample (states and successors), its owner
        values, counts = np.unique(xs & m, return_counts=True)
        moving = (changed & m) != 0  # only these steps can change owner
        ends = np.unique(np.concatenate([values, children[moving] & m]))
        owners = np.array([part.owner(int(v)) for v in ends], dtype=np.int64)
        shares = np.bincount(owners[np.searchsorted(ends, values)], weights=counts, minlength=n)
        counts = counts.astype(np.int64)
        spread = int((counts * counts).sum()) ** 0.5 / len(states)  # 1/sqrt(effective values)
        load = float(shares.max()) / len(states) + spread * ((1 - 1 / n) / n) ** 0.5
        moved = np.count_nonzero(owners[np.searchsorted(ends, parents[moving] & m)] !=
                                 owners[np.searchsorted(ends, children[moving] & m)]) / len(steps)
        cost = load * (1 + moved)
        if best_cost is None or cost < best_cost - 1e-9:
            best, best_cost = part, cost
    return best


def _pack(states: list[int], pids: list[int]) -> bytes:
    try:
        return b"Q" + len(states).to_bytes(8, "little") + array("Q", states).tobytes() + array("q", pids).tobytes()
    except OverflowError:
        return b"M" + marshal.dumps((states, pids))


def _unpack(data: bytes) -> tuple[np.ndarray, np.ndarray] | tuple[list[int], list[int]]:
    """The states and parents of :func:`_pack`: numpy arrays (states of 64
    bits at most) or lists (wider ones)."""
    if data[:1] == b"Q":
        n = int.from_bytes(data[1:9], "little")
        return (np.frombuffer(data, dtype="<u8", count=n, offset=9),
                np.frombuffer(data, dtype="<i8", count=n, offset=9 + 8 * n))
    return marshal.loads(data[1:])


class _Worker:
    def __init__(self, k: int, n: int, model: CompiledModel, opts: Options, ctl, peers: dict,
                 partition: Partition, resume: _Resume | None = None):
        self.k, self.n = k, n
        self.partition = partition
        self.model = model
        self.opts = opts
        self.ctl = ctl
        self.peers = peers  # worker id -> Connection
        self.store = StateStore(parent_dtype=np.int64)  # parents are global ids
        # successors not stored yet (as in bfs.explore): recent ones, the batch in order
        self.recent: set[int] = set()
        self.cand: list[int] = []
        self.cpar = array("q")
        self.level_start = 0  # the frontier: the states from here on (to level_stop if set)
        self.level_stop: int | None = None
        self.level_ends: list[int] = []  # as StateStore.level_ends, in this worker's store
        self.resume = resume
        self.invs = [(name, model.invariants[name][0]) for name in opts.invariants] + \
            [(name, f) for name, f, _ in opts.extra_invariants]
        self.acts = [(name, model.action_properties[name][0]) for name in opts.actions]
        self.done_props: set[str] = set()
        self.generated = 0
        self.spec_invs = set(opts.invariants)

    def gid(self, i: int) -> int:
        return i * self.n + self.k

    def offer(self, t: int, pid: int, depth: int, viol: list) -> None:
        """Put ``t`` (canonical, owned by this worker) into the batch unless
        it is there already or outside the state constraint (checked then)."""
        if t in self.recent:
            return
        constraint = self.model.constraint
        if constraint is not None and not constraint(t):
            for name, f in self.invs:
                if name not in self.done_props and not f(t):
                    viol.append((name, "invariant", pid, t, depth))
            return
        self.recent.add(t)
        self.cand.append(t)
        self.cpar.append(pid)

    def flush(self, depth: int, viol: list) -> None:
        """Store the batch; invariants on the states new to the store, in order."""
        store, cand = self.store, self.cand
        if cand:
            base = len(store)
            new = store.add_batch(cand, self.cpar)
            if len(store) > base:
                self.check_new(base, lambda: compress(cand, new.tolist()), depth, viol)
        self.recent.clear()
        cand.clear()
        del self.cpar[:]

    def check_new(self, base: int, states: Callable, depth: int, viol: list) -> None:
        """Invariants on the states just stored from index ``base`` on
        (``states()``: them, in order)."""
        invs = [(nm, f) for nm, f in self.invs if nm not in self.done_props]
        if not invs:
            return
        inv_all = self.model.invariant_conjunction([nm for nm, _ in invs if nm in self.spec_invs])
        others = [(nm, f) for nm, f in invs if nm not in self.spec_invs]
        for j, t in enumerate(states(), base):
            if (inv_all is not None and not inv_all(t)) or others:
                for nm, f in invs:
                    if not f(t):
                        viol.append((nm, "invariant", self.gid(j), None, depth))

    def receive(self, states, pids, depth: int, viol: list) -> None:
        """Store the successors a peer sent (after this worker's own: the
        batch is flushed first), keeping the first of repeated ones."""
        if isinstance(states, np.ndarray) and self.model.constraint is None:
            # numpy all the way: no Python int per received state but the new ones
            _, first = np.unique(states, return_index=True)
            first.sort()
            states, pids = states[first], pids[first]
            base = len(self.store)
            new = self.store.add_words([states], pids)
            if len(self.store) > base:
                self.check_new(base, lambda: states[new].tolist(), depth, viol)
            return
        for lo in range(0, len(states), FLUSH):  # a batch at a time, as in the search loop
            for t, pid in zip(states[lo:lo + FLUSH], pids[lo:lo + FLUSH]):
                self.offer(int(t), int(pid), depth, viol)
            self.flush(depth, viol)

    def level(self, depth: int, gives: tuple = (), takes: tuple = ()) -> tuple:
        """Expand this worker's frontier (the states the last level stored)
        but the last ones, which ``gives`` (``(peer, count)`` pairs) hands
        over to less loaded peers, and the states the peers of ``takes``
        hand over; exchange the successors; store the ones it owns."""
        n, k = self.n, self.k
        store = self.store
        lo = self.level_start
        hi = len(store) if self.level_stop is None else self.level_stop
        peers = self.peers
        viol: list = []
        outbox: dict[int, tuple[list, list]] = {j: ([], []) for j in peers}
        senders: dict[int, threading.Thread] = {}

        def send(j: int, data: bytes) -> None:
            """Send in a thread (the peer may be busy and the pipe full),
            after what this level sent ``j`` before."""
            before = senders.get(j)

            def write() -> None:
                if before is not None:
                    before.join()
                peers[j].send_bytes(data)
            senders[j] = threading.Thread(target=write)
            senders[j].start()

        end = hi
        for j, count in gives:  # the frontier's tail, with the states' ids
            send(j, _pack(store.states(end - count, end), list(range((end - count) * n + k, end * n + k, n))))
            end -= count
        generated = 0
        for block in range(lo, end, BLOCK):
            top = min(end, block + BLOCK)
            generated += self.expand(store.states(block, top), range(block * n + k, top * n + k, n),
                                     depth, viol, outbox)
        for j in takes:
            states, gids = _unpack(peers[j].recv_bytes())
            if isinstance(states, np.ndarray):
                states, gids = states.tolist(), gids.tolist()
            for b in range(0, len(states), BLOCK):
                generated += self.expand(states[b:b + BLOCK], gids[b:b + BLOCK], depth, viol, outbox, own=False)
        self.generated += generated
        # exchange: send in a thread, receive here
        for j in peers:
            send(j, _pack(*outbox[j]))
        batches = [_unpack(peers[j].recv_bytes()) for j in sorted(peers)]
        for th in senders.values():
            th.join()
        self.flush(depth + 1, viol)
        for ts, pids in batches:
            self.receive(ts, pids, depth + 1, viol)
        self.level_start, self.level_stop = hi, None
        self.level_ends.append(len(store))
        return len(store) - hi, len(store), self.generated, viol

    def expand(self, states: list[int], pids, depth: int, viol: list, outbox: dict, own: bool = True) -> int:
        """Generate the successors of ``states`` (whose global ids are
        ``pids``; this worker's own states, or a peer's if not ``own``):
        this worker's go into its batch, the others into ``outbox``; the
        number generated."""
        model = self.model
        n, k = self.n, self.k
        canon = self.opts.symmetry
        constraint = model.constraint
        out: list[int] = []
        ap = out.append
        next_fast = model.next_fast
        recent, cand = self.recent, self.cand
        deadlock = self.opts.deadlock and "deadlock" not in self.done_props
        acts = [(nm, f) for nm, f in self.acts if nm not in self.done_props]
        simple = canon is None and not acts
        box_t = [outbox[j][0].append if j in outbox else None for j in range(n)]
        box_p = [outbox[j][1].append if j in outbox else None for j in range(n)]
        part = self.partition
        mask, shift, mult = part.mask, part.shift, _MULT
        offer = self.offer
        recent_add, cand_ap, cpar_ap = recent.add, cand.append, self.cpar.append
        generated = 0
        for pid, s in zip(pids, states):
            next_fast(s, ap)
            generated += len(out)
            if not out:
                if model.is_terminal(s):
                    generated += 1  # TLC's Terminating step
                elif deadlock:
                    viol.append(("deadlock", "deadlock", pid, None, depth))
                continue
            # most successors have the owner's bits of their parent, hence
            # its owner: no hash for them
            sm = s & mask
            so = k if own else (sm * mult >> shift) % n
            if simple:
                # a successor this worker owns goes into the batch here
                # and now, as in the one-process search (the hot loop,
                # hence inline, with Partition.owner written out).
                # ``recent`` holds the peers' successors too, so that a
                # repeat costs one lookup whoever owns it, and is sent once.
                for t in out:
                    if t in recent:
                        continue
                    tm = t & mask
                    owner = so if tm == sm else (tm * mult >> shift) % n
                    if owner == k:
                        if constraint is not None:
                            offer(t, pid, depth + 1, viol)
                            continue
                        recent_add(t)
                        cand_ap(t)
                        cpar_ap(pid)
                    else:
                        recent_add(t)
                        box_t[owner](t)
                        box_p[owner](pid)
            else:
                for t in out:
                    if acts and t != s:
                        for nm, f in acts:
                            if not f(s, t):
                                viol.append((nm, "action", pid, t, depth + 1))
                    if t in recent:
                        continue
                    if canon is not None:
                        # a representative already in the batch needs no canonicalisation
                        t = canon(t)
                        if t in recent:
                            continue
                    tm = t & mask
                    owner = so if tm == sm else (tm * mult >> shift) % n
                    if owner == k:
                        offer(t, pid, depth + 1, viol)
                    else:
                        recent_add(t)
                        box_t[owner](t)
                        box_p[owner](pid)
            out.clear()
        if len(cand) >= FLUSH:
            self.flush(depth + 1, viol)
        return generated

    def load(self, resume: _Resume) -> None:
        """Store this worker's states of a checkpoint (:class:`_Resume`)."""
        mine = resume.owned[self.k]
        rows = resume.rows[mine]
        parents = resume.parents[mine].astype(np.int64)
        parents = np.where(parents >= 0, resume.gid_of[np.maximum(parents, 0)], -1)
        self.store.add_words([np.ascontiguousarray(rows[:, c]) for c in range(rows.shape[1])], parents)
        self.level_ends = np.searchsorted(mine, resume.level_ends).tolist()
        self.level_start = int(np.searchsorted(mine, resume.cursor))
        self.level_stop = self.level_ends[-1]

    def run(self) -> None:
        ctl = self.ctl
        while True:
            msg = ctl.recv()
            cmd = msg[0]
            try:
                if cmd == "init":
                    viol: list = []
                    for t in msg[1]:
                        self.offer(t, -1, 1, viol)
                    self.flush(1, viol)
                    self.level_ends.append(len(self.store))
                    ctl.send(("ok", len(self.store), len(self.store), 0, viol))
                elif cmd == "resume":
                    self.load(self.resume)
                    self.resume = None
                    ctl.send(("ok", self.level_stop - self.level_start, len(self.store), 0, []))
                elif cmd == "level":
                    self.done_props = set(msg[2])
                    ctl.send(("ok",) + self.level(msg[1], msg[3], msg[4]))
                elif cmd == "dump":  # for a checkpoint (between levels)
                    store = self.store
                    ctl.send(("ok", store.ncols, store.words(), store.parents[:len(store)].astype("<i8").tobytes(),
                              self.level_ends))
                elif cmd == "get":
                    i = msg[1]
                    ctl.send(("ok", self.store.state(i), self.store.parent(i)))
                elif cmd == "stop":
                    ctl.send(("ok", time.process_time()))
                    return
            except Exception as e:  # noqa: BLE001 - reported by the coordinator
                ctl.send(("error", f"{type(e).__name__}: {e}"))
                if cmd == "level":
                    return


def _child(k, n, model, opts, ctl, peers, partition, resume):
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's business
    try:
        _Worker(k, n, model, opts, ctl, peers, partition, resume).run()
    finally:
        os._exit(0)


class _Resume:
    """A checkpoint split between the workers (built before they are
    forked, which inherit it): the states ``owned[k]`` (indexes into the
    checkpoint's store, increasing) go to worker ``k``, whose state ``i``
    has the global id ``gid_of[owned[k][i]]``."""

    def __init__(self, data: dict, partition: Partition):
        n = partition.n
        ncols = data["words"]
        self.rows = np.frombuffer(data["states"], dtype="<u8").reshape(-1, ncols)
        self.parents = np.frombuffer(data["parents"], dtype="<i4")
        total = len(self.rows)
        owners = np.empty(total, dtype=np.int64)
        owner = partition.owner
        for lo in range(0, total, 1 << 20):  # a chunk at a time: a Python int per state
            hi = min(total, lo + (1 << 20))
            owners[lo:hi] = [owner(t) for t in _from_words([self.rows[lo:hi, c] for c in range(ncols)])]
        self.owned = [np.flatnonzero(owners == k) for k in range(n)]
        local = np.empty(total, dtype=np.int64)
        for mine in self.owned:
            local[mine] = np.arange(len(mine))
        self.gid_of = local * n + owners
        self.level_ends = list(data["level_ends"])
        self.cursor = data["cursor"]
        self.depth = data["depth"]
        self.generated = data["generated"]
        self.seconds = data["seconds"]
        self.violations = data["violations"]
        if self.cursor == self.level_ends[-1] and total > self.cursor:
            # stopped at the end of a level: the next one is the frontier
            self.level_ends.append(total)
            self.depth += 1


def _checkpoint_parts(cp) -> dict:
    """An in-memory Checkpoint (a hand-over) in the parts of a checkpoint
    file (:func:`pyspec.engines.embedded.checkpoint.read_checkpoint`)."""
    store = cp.store
    n = len(store)
    return {"words": store.ncols, "states": store.words(), "parents": store.parents[:n].astype("<i4").tobytes(),
            "level_ends": list(store.level_ends), "cursor": cp.cursor, "generated": cp.generated,
            "depth": cp.depth, "seconds": cp.seconds, "violations": dict(cp.violations)}


def merge_stores(dumps: list[tuple], n: int) -> tuple[bytes, int, bytes, list[int], list[np.ndarray]]:
    """The workers' stores (``(ncols, words, parents, level_ends)`` each,
    parents as global ids) as one store in the one-process checkpoint
    format: level by level, worker 0's states of the level, then worker
    1's...; parents as indexes into it.  Returns its words, words per state,
    parents, level ends and, per worker, the merged index of each of its
    states."""
    ncols = max(d[0] for d in dumps)
    rows = [np.frombuffer(words, dtype="<u8").reshape(-1, nc) for nc, words, _, _ in dumps]
    parents = [np.frombuffer(p, dtype="<i8") for _, _, p, _ in dumps]
    ends = [d[3] for d in dumps]
    position = [np.empty(len(r), dtype=np.int64) for r in rows]
    level_ends = []
    base = 0
    for lv in range(len(ends[0])):
        for k in range(n):
            lo, hi = (ends[k][lv - 1] if lv else 0), ends[k][lv]
            position[k][lo:hi] = np.arange(base, base + hi - lo)
            base += hi - lo
        level_ends.append(base)
    words = np.zeros((base, ncols), dtype="<u8")
    merged_parents = np.full(base, -1, dtype="<i4")
    for k in range(n):
        words[position[k], :rows[k].shape[1]] = rows[k]
        p = parents[k]
        for j in range(n):
            of_j = (p >= 0) & (p % n == j)
            merged_parents[position[k][of_j]] = position[j][p[of_j] // n]
    return words.tobytes(), ncols, merged_parents.tobytes(), level_ends, position


def explore_parallel(model: CompiledModel, opts: Options, n: int) -> ExploreResult:
    """As :func:`pyspec.engines.embedded.bfs.explore`, with ``n`` processes.

    Checkpoints (``opts.checkpoint``) are written between levels, in the
    one-process format; ``opts.recover`` resumes from one written with any
    number of workers.  The first Ctrl-C lets the workers finish the level
    (then the run stops as the one-process search does, with its
    checkpoint and counterexamples); a second one stops them at once.
    """
    if model.layout.interns:
        # interned codes are numbered per process: workers would not agree
        # on them (pyspec.compile.layout.InternCodec); one process searches
        from .bfs import explore

        return explore(model, opts)
    t0 = time.monotonic()
    partition = choose_partition(model, n)
    resume = None
    if opts.recover:
        from .checkpoint import read_checkpoint

        resume = _Resume(read_checkpoint(opts.recover, model), partition)
        t0 -= resume.seconds
    elif opts.resume is not None:  # a search another engine stopped at a level boundary
        resume = _Resume(_checkpoint_parts(opts.resume), partition)
        t0 -= resume.seconds
    ctx = mp.get_context("fork")
    ctls, procs = [], []
    pipes: dict[tuple[int, int], tuple] = {}
    for a in range(n):
        for b in range(a + 1, n):
            pipes[(a, b)] = ctx.Pipe(duplex=True)
    for k in range(n):
        peers = {}
        for (a, b), (ca, cb) in pipes.items():
            if a == k:
                peers[b] = ca
            elif b == k:
                peers[a] = cb
        parent_end, child_end = ctx.Pipe(duplex=True)
        p = ctx.Process(target=_child, args=(k, n, model, opts, child_end, peers, partition, resume), daemon=True)
        p.start()
        ctls.append(parent_end)
        procs.append(p)

    res = ExploreResult(StateStore())
    violations: dict[str, tuple] = {}  # prop -> (kind, gid, state, depth, distinct, generated, seconds)
    order: list[str] = []
    tracked = set(opts.invariants) | set(opts.actions) | {x[0] for x in opts.extra_invariants}
    if opts.deadlock:
        tracked.add("deadlock")
    distinct = generated = 0
    depth = 0
    stopped = None
    error = None
    in_flight = False  # the workers are expanding a level
    hard_stop = False  # a second Ctrl-C: the workers are stopped wherever they are
    interrupted = False  # a first Ctrl-C: stop after this level

    def on_sigint(signum, frame):
        nonlocal interrupted
        if interrupted or not in_flight:
            raise KeyboardInterrupt
        interrupted = True
        what = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        sys.stderr.write(f"pyspec: {what}: the workers finish depth {depth} ({what} again to stop them at once)\n")

    def receive(k: int, timeout: float | None = None):
        """Worker ``k``'s reply; EOFError when it exited instead (every
        process holds copies of every pipe end, so a dead worker's pipe
        never reports end-of-file: its process sentinel does)."""
        ready = wait([ctls[k], procs[k].sentinel], timeout)
        if ctls[k] in ready:
            return ctls[k].recv()
        if not ready:
            raise TimeoutError(f"worker {k} did not answer")
        raise EOFError(f"worker {k} exited")

    def gather() -> list:
        """Every worker's reply to a command.  A worker that fails or dies
        ends the wait at once: its peers may be blocked waiting for its
        batch and would never answer."""
        replies: dict[int, tuple] = {}
        while len(replies) < n:
            waiting = {ctls[k]: k for k in range(n) if k not in replies}
            ready = wait([*waiting, *(p.sentinel for p in procs)])
            for conn in ready:
                if conn in waiting:
                    r = conn.recv()
                    if r[0] == "error":
                        raise RuntimeError(r[1])
                    replies[waiting[conn]] = r
            for k, p in enumerate(procs):
                if p.sentinel in ready and k not in replies and not ctls[k].poll():
                    raise EOFError(f"worker {k} exited")
        return [replies[k] for k in range(n)]

    def command(msgs: list) -> list:
        """Send each worker its message; their replies (``in_flight``
        meanwhile: a Ctrl-C then waits for them)."""
        nonlocal in_flight
        in_flight = True
        for k in range(n):
            ctls[k].send(msgs[k])
        replies = gather()
        in_flight = False
        return replies

    def ask(k, msg):
        ctls[k].send(msg)
        r = receive(k)
        if r[0] == "error":
            raise RuntimeError(r[1])
        return r

    def absorb(replies, d):
        nonlocal distinct, generated
        distinct = sum(r[2] for r in replies)
        generated = sum(r[3] for r in replies) + init_generated
        found = sorted((v for r in replies for v in r[4]), key=lambda v: (v[4], v[2], v[0]))
        for prop, kind, gid, state, vdepth in found:
            if prop not in violations:
                violations[prop] = (kind, gid, state, vdepth, distinct, generated, time.monotonic() - t0)
                order.append(prop)

    def checkpoint() -> None:
        """Write ``opts.checkpoint`` (between levels): the workers' stores
        merged, the cursor at the frontier."""
        from .checkpoint import write_checkpoint

        nonlocal checkpoint_depth
        dumps = [r[1:] for r in command([("dump",)] * n)]
        words, ncols, parents, level_ends, position = merge_stores(dumps, n)
        found = {}
        for prop in order:
            kind, gid, state, vdepth, dist, gen, secs = violations[prop]
            index = int(position[gid % n][gid // n]) if gid is not None and gid >= 0 else -1
            found[prop] = Violation(prop, kind, index, state, dist, gen, vdepth, secs)
        cursor = level_ends[-2] if len(level_ends) > 1 else 0
        if len(level_ends) > 1 and level_ends[-1] == cursor:  # the last level found nothing: done
            level_ends.pop()
        write_checkpoint(opts.checkpoint, model, words, ncols, parents, level_ends, cursor, generated, depth,
                         time.monotonic() - t0, found)
        checkpoint_depth = depth

    init_generated = 0
    checkpoint_depth = -1  # the depth of the last checkpoint written
    write_error = None  # a checkpoint that could not be written
    sigint = sigterm = None
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            # (not where Ctrl-C is ignored, e.g. a background job, or handled otherwise)
            sigint = signal.signal(signal.SIGINT, on_sigint)
        elif signal.getsignal(signal.SIGINT) is signal.SIG_IGN and callable(signal.getsignal(signal.SIGTERM)):
            # a background job: the command line's SIGTERM (``kill``) would
            # interrupt at once, in the middle of a level, and write no
            # checkpoint; it lets the workers finish the level instead
            sigterm = signal.signal(signal.SIGTERM, on_sigint)
    try:
        if resume is None:
            inits = model.initial_states()
            init_generated = len(inits)
            canon = opts.symmetry
            per: list[list[int]] = [[] for _ in range(n)]
            seen0 = set()
            for s in inits:
                if canon is not None:
                    s = canon(s)
                if s in seen0:
                    continue
                seen0.add(s)
                per[partition.owner(s)].append(s)
            replies = command([("init", per[k]) for k in range(n)])
            # initial-state-only invariants (state predicates of temporal properties)
            for name, f, _ in opts.init_invariants:
                for s in sorted(seen0):
                    if constraint_ok(model, s) and not f(s):
                        violations.setdefault(name, ("invariant", None, s, 1, 0, 0, 0.0))
                        order.append(name)
                        break
            absorb(replies, 1)
            depth = 1 if distinct else 0
        else:
            replies = command([("resume",)] * n)
            init_generated = resume.generated
            for prop, v in resume.violations.items():
                gid = int(resume.gid_of[v.index]) if v.index >= 0 else -1
                violations[prop] = (v.kind, gid, v.state, v.depth, v.distinct, v.generated, v.seconds)
                order.append(prop)
            absorb(replies, resume.depth)
            depth = resume.depth
            resume = None  # the workers have their states: free the checkpoint's
        new = sum(r[1] for r in replies)
        last_checkpoint = time.monotonic()
        while new:
            if interrupted:
                raise KeyboardInterrupt
            if opts.stop_first and order:
                stopped = "first-violation"
                break
            if tracked and tracked <= set(violations):
                stopped = "all-violated"
                break
            if opts.max_depth is not None and depth >= opts.max_depth:
                stopped = "max-depth"
                break
            if opts.max_states is not None and distinct >= opts.max_states:
                stopped = "max-states"
                break
            if opts.checkpoint and time.monotonic() - last_checkpoint >= opts.checkpoint_every:
                checkpoint()
                last_checkpoint = time.monotonic()
            gives, takes = share_frontiers([r[1] for r in replies])
            replies = command([("level", depth, sorted(violations), gives[k], takes[k]) for k in range(n)])
            new = sum(r[1] for r in replies)
            absorb(replies, depth + 1)
            if new:
                depth += 1
            if opts.progress is not None:
                opts.progress.update(distinct=distinct, generated=generated, queue=new, depth=depth,
                                     seconds=time.monotonic() - t0)
        if stopped is None and opts.stop_first and order:
            stopped = "first-violation"
        elif stopped is None and tracked and order and tracked <= set(violations):
            stopped = "all-violated"
    except KeyboardInterrupt:
        stopped = "interrupted"
        hard_stop = in_flight
        if opts.checkpoint and not hard_stop and checkpoint_depth != depth:
            try:
                checkpoint()
            except KeyboardInterrupt:
                hard_stop = True
            except CheckpointWriteError as e:
                write_error = e
    except CheckpointWriteError as e:  # raised once the workers are stopped
        stopped = "error"
        error = str(e)
        write_error = e
    except RuntimeError as e:
        stopped = "error"
        error = str(e)
    except (EOFError, OSError) as e:  # a worker died (killed, out of memory)
        stopped = "error"
        error = f"a worker process exited ({type(e).__name__}: {e})"
    finally:
        if sigint is not None:
            signal.signal(signal.SIGINT, sigint)
        if sigterm is not None:
            signal.signal(signal.SIGTERM, sigterm)

    # counterexamples: fetch the paths from the workers into a small store
    store = res.store
    index_of: dict[int, int] = {}

    def fetch(gid: int) -> int:
        chain = []
        while gid >= 0 and gid not in index_of:
            w, i = gid % n, gid // n
            _, s, parent = ask(w, ("get", i))
            chain.append((gid, s, parent))
            gid = parent
        for g, s, parent in reversed(chain):
            index_of[g] = len(store)
            store.add(s, index_of[parent] if parent >= 0 else -1)
        return index_of[chain[0][0]] if chain else index_of.get(gid, -1)

    try:
        # (after an error a worker may be stuck waiting for a dead peer's
        # batch: no paths are read back then)
        for prop in order if error is None else ():
            kind, gid, state, vdepth, dist, gen, secs = violations[prop]
            message = None
            if hard_stop:  # the workers are busy with a level: not asked
                idx, message = -1, "stopped at once (second Ctrl-C) before its counterexample was read back"
            else:
                idx = fetch(gid) if gid is not None and gid >= 0 else -1
            res.violations[prop] = Violation(prop, kind, idx, state, dist, gen, vdepth, secs, message)
            res.order.append(prop)
    except (EOFError, OSError, RuntimeError) as e:  # the worker holding a path is gone
        stopped = "error"
        error = error or f"a worker process exited ({type(e).__name__}: {e})"
    finally:
        quick = error is not None or hard_stop
        for k in range(n):
            try:
                ctls[k].send(("stop",))
                r = receive(k, timeout=0.5 if quick else None)
                if not quick:
                    res.worker_cpu.append(r[1])
            except (OSError, EOFError, IndexError, TimeoutError):
                pass
        for p in procs:
            p.join(timeout=0.5 if quick else 5)
            if p.is_alive():  # e.g. waiting for a batch from a dead peer
                p.kill()
                p.join()
    store.level_ends = [len(store)]
    if write_error is not None:
        raise write_error
    if error is not None:
        res.error = Violation("error", "error", -1, None, distinct, generated, 0, time.monotonic() - t0,
                              f"a worker failed: {error} (run with --workers 1 for the position)")
    res.stopped = stopped
    res.distinct = distinct
    res.generated = generated
    res.depth = depth
    res.seconds = time.monotonic() - t0
    return res



def share_frontiers(sizes: list[int]) -> tuple[list[tuple], list[tuple]]:
    """Who hands how many frontier states to whom so that every worker
    expands about as many: per worker, the ``(peer, count)`` it gives and
    the peers it takes from (in the order it reads them).  Excesses below
    :data:`SHARE_MIN` states stay where they are."""
    n = len(sizes)
    target = -(-sum(sizes) // n)
    donors = [[k, x - target] for k, x in enumerate(sizes) if x - target >= SHARE_MIN]
    takers = [[k, target - x] for k, x in enumerate(sizes) if x < target]
    gives: list[list] = [[] for _ in range(n)]
    takes: list[list] = [[] for _ in range(n)]
    for d in donors:
        for t in takers:
            count = min(d[1], t[1])
            if count <= 0:
                continue
            gives[d[0]].append((t[0], count))
            takes[t[0]].append(d[0])
            d[1] -= count
            t[1] -= count
    return [tuple(g) for g in gives], [tuple(t) for t in takes]


def constraint_ok(model: CompiledModel, s: int) -> bool:
    return model.constraint is None or model.constraint(s)
