"""Breadth-first search with several worker processes (``--workers N``).

The state space is partitioned: a state belongs to worker ``owner(s)``,
computed from the packed int the same way in every process (the partition
is chosen before the workers are forked).  The search is level-synchronous:

1. the coordinator (the calling process) tells every worker to expand the
   states it found in the previous level;
2. each worker expands its frontier; a successor it owns goes straight into
   its seen set (as in the one-process search), the others are sent, in
   one batch per peer, directly to their owner -- a sender thread writes
   while the main thread reads, so two workers never block each other on
   full pipes;
3. each worker adds the states it received, checks invariants on the new
   ones and reports its counts and violations; the coordinator decides
   whether to go on.

The partition is what makes more workers faster: a step changes a few
fields, so when the owner depends only on bits that steps rarely change, a
successor nearly always belongs to its parent's worker and costs no more
than in the one-process search.  :func:`choose_partition` picks such bits
from seeded random walks of the model: the owner is the parity of the
packed state's bits under a mask of the bits that change least often
(several of them, so that the parity splits the states evenly).  A mask
that does not split the walks' states evenly falls back to a mixing hash.

Every property's first violation is at the least depth (levels are complete
before the next starts), so counterexamples stay shortest.  Parents are
global ids ``index * N + worker``; a counterexample is read back from the
workers, state by state.
"""

from __future__ import annotations

import marshal
import multiprocessing as mp
import random
import threading
import time
from array import array
from collections.abc import Callable
from itertools import compress
from multiprocessing.connection import wait

import numpy as np

from ...compile import CompiledModel
from .bfs import BLOCK, FLUSH, ExploreResult, Options, Violation
from .store import StateStore

#: random walks (and steps per walk) that sample the model for the partition
PARTITION_WALKS = 100
PARTITION_DEPTH = 200
#: bits per parity mask: with fewer, correlated bits rarely split evenly
PARTITION_BITS = 8
#: a mask whose parity gives a worker less than this share of the sampled
#: states (per worker bit) is not used
PARTITION_MIN_SHARE = 0.35


class Partition:
    """Which worker owns a state: ``owner(s)``.

    ``masks`` (one per bit of the worker number, for a power-of-two worker
    count): worker bit ``i`` is the parity of ``s & masks[i]``.  Without
    masks, a mixing hash of every bit modulo the worker count."""

    def __init__(self, n: int, masks: tuple[int, ...] = ()):
        self.n = n
        self.masks = masks
        if len(masks) == 1:
            m = masks[0]
            self.owner: Callable[[int], int] = lambda s: (s & m).bit_count() & 1
        elif masks:
            def owner(s: int) -> int:
                w = 0
                for i, m in enumerate(masks):
                    w |= ((s & m).bit_count() & 1) << i
                return w
            self.owner = owner
        else:
            self.owner = lambda s: (s ^ (s >> 17) ^ (s >> 31) ^ (s >> 47)) % n


def choose_partition(model: CompiledModel, n: int, seed: int = 0) -> Partition:
    """A partition for ``n`` workers in which steps rarely move a state to
    another worker (see the module docstring); deterministic."""
    if n < 2 or n & (n - 1):
        return Partition(n)  # parities split into powers of two only
    rng = random.Random(seed)
    next_fast = model.next_fast
    try:
        inits = model.initial_states()
    except Exception:  # noqa: BLE001 - reported by the search
        return Partition(n)
    states: list[int] = []
    changed: dict[int, int] = {}  # bit -> transitions that flip it
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
            for t in out:
                d = (s ^ t) & model.layout.fixed_mask
                while d:
                    low = d & -d
                    changed[low] = changed.get(low, 0) + 1
                    d ^= low
            s = out[rng.randrange(len(out))]
    if not states:
        return Partition(n)
    # value bits (not an escapable field's escape flag) set in some sampled
    # states and clear in others, least often flipped first
    candidates = []
    for sl in model.slots:
        for b in range(1 if sl.escapable else 0, sl.width):
            bit = 1 << (sl.off + b)
            ones = sum(1 for x in states if x & bit)
            if 0 < ones < len(states):
                candidates.append((changed.get(bit, 0), sl.off + b))
    candidates.sort()
    groups = n.bit_length() - 1
    masks = [0] * groups
    for i, (_, b) in enumerate(candidates[:PARTITION_BITS * groups]):
        masks[i % groups] |= 1 << b
    part = Partition(n, tuple(masks))
    counts = [0] * n
    for x in states:
        counts[part.owner(x)] += 1
    if not all(masks) or min(counts) < PARTITION_MIN_SHARE * 2 / n * len(states):
        return Partition(n)
    return part


def _pack(states: list[int], pids: list[int]) -> bytes:
    try:
        return b"Q" + len(states).to_bytes(8, "little") + array("Q", states).tobytes() + array("q", pids).tobytes()
    except OverflowError:
        return b"M" + marshal.dumps((states, pids))


def _unpack(data: bytes) -> tuple[list[int], list[int]]:
    if data[:1] == b"Q":
        n = int.from_bytes(data[1:9], "little")
        a = array("Q")
        a.frombytes(data[9:9 + 8 * n])
        b = array("q")
        b.frombytes(data[9 + 8 * n:])
        return a.tolist(), b.tolist()
    return marshal.loads(data[1:])


class _Worker:
    def __init__(self, k: int, n: int, model: CompiledModel, opts: Options, ctl, peers: dict,
                 partition: Partition):
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
        self.level_start = 0
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
            invs = [(nm, f) for nm, f in self.invs if nm not in self.done_props]
            if invs and len(store) > base:
                inv_all = self.model.invariant_conjunction([nm for nm, _ in invs if nm in self.spec_invs])
                others = [(nm, f) for nm, f in invs if nm not in self.spec_invs]
                for j, t in enumerate(compress(cand, new.tolist()), base):
                    if (inv_all is not None and not inv_all(t)) or others:
                        for nm, f in invs:
                            if not f(t):
                                viol.append((nm, "invariant", self.gid(j), None, depth))
        self.recent.clear()
        cand.clear()
        del self.cpar[:]

    def level(self, depth: int) -> tuple:
        model = self.model
        n, k = self.n, self.k
        canon = self.opts.symmetry
        constraint = model.constraint
        out: list[int] = []
        ap = out.append
        outbox: dict[int, tuple[list, list]] = {j: ([], []) for j in self.peers}
        viol: list = []
        store = self.store
        lo, hi = self.level_start, len(store)
        next_fast = model.next_fast
        recent, cand = self.recent, self.cand
        deadlock = self.opts.deadlock and "deadlock" not in self.done_props
        acts = [(nm, f) for nm, f in self.acts if nm not in self.done_props]
        simple = canon is None and not acts
        boxes = [outbox.get(j) for j in range(n)]
        box_t = [b[0].append if b is not None else None for b in boxes]
        box_p = [b[1].append if b is not None else None for b in boxes]
        owner_of = self.partition.owner
        mask = self.partition.masks[0] if n == 2 and self.partition.masks else 0
        offer = self.offer
        recent_add, cand_ap, cpar_ap = recent.add, cand.append, self.cpar.append
        generated = 0
        for block in range(lo, hi, BLOCK):
            for i, s in enumerate(store.states(block, min(hi, block + BLOCK)), block):
                next_fast(s, ap)
                generated += len(out)
                pid = i * n + k
                if not out:
                    if model.is_terminal(s):
                        generated += 1  # TLC's Terminating step
                    elif deadlock:
                        viol.append(("deadlock", "deadlock", pid, None, depth))
                    continue
                if simple and mask:
                    # two workers: a successor this worker owns goes into
                    # the batch here and now, as in the one-process search
                    # (the hot loop, hence inline)
                    for t in out:
                        if (t & mask).bit_count() & 1 == k:
                            if t in recent:
                                continue
                            if constraint is not None:
                                offer(t, pid, depth + 1, viol)
                                continue
                            recent_add(t)
                            cand_ap(t)
                            cpar_ap(pid)
                        else:
                            box_t[1 - k](t)
                            box_p[1 - k](pid)
                else:
                    for t in out:
                        if acts and t != s:
                            for nm, f in acts:
                                if not f(s, t):
                                    viol.append((nm, "action", pid, t, depth + 1))
                        if canon is not None:
                            # a representative already in the batch needs no canonicalisation
                            if t in recent:
                                continue
                            t = canon(t)
                        owner = owner_of(t)
                        if owner == k:
                            offer(t, pid, depth + 1, viol)
                        else:
                            box_t[owner](t)
                            box_p[owner](pid)
                out.clear()
            if len(cand) >= FLUSH:
                self.flush(depth + 1, viol)
        self.generated += generated
        # exchange: send in a thread, receive here
        senders = []
        for j, conn in self.peers.items():
            data = _pack(*outbox[j])
            th = threading.Thread(target=conn.send_bytes, args=(data,))
            th.start()
            senders.append(th)
        batches = [_unpack(self.peers[j].recv_bytes()) for j in sorted(self.peers)]
        for th in senders:
            th.join()
        for ts, pids in batches:
            for t, pid in zip(ts, pids):
                offer(t, pid, depth + 1, viol)
        self.flush(depth + 1, viol)
        self.level_start = hi
        return len(store) - hi, len(store), self.generated, viol

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
                    ctl.send(("ok", len(self.store), len(self.store), 0, viol))
                elif cmd == "level":
                    self.done_props = set(msg[2])
                    ctl.send(("ok",) + self.level(msg[1]))
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


def _child(k, n, model, opts, ctl, peers, partition):
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's business
    try:
        _Worker(k, n, model, opts, ctl, peers, partition).run()
    finally:
        os._exit(0)


def explore_parallel(model: CompiledModel, opts: Options, n: int) -> ExploreResult:
    """As :func:`pyspec.engines.embedded.bfs.explore`, with ``n`` processes."""
    t0 = time.monotonic()
    partition = choose_partition(model, n)
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
        p = ctx.Process(target=_child, args=(k, n, model, opts, child_end, peers, partition), daemon=True)
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

    init_generated = 0
    try:
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
        for k in range(n):
            ctls[k].send(("init", per[k]))
        replies = gather()
        # initial-state-only invariants (state predicates of temporal properties)
        for name, f, _ in opts.init_invariants:
            for s in sorted(seen0):
                if constraint_ok(model, s) and not f(s):
                    violations.setdefault(name, ("invariant", None, s, 1, 0, 0, 0.0))
                    order.append(name)
                    break
        absorb(replies, 1)
        depth = 1 if distinct else 0
        new = distinct
        while new:
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
            for k in range(n):
                ctls[k].send(("level", depth, sorted(violations)))
            replies = gather()
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
    except RuntimeError as e:
        stopped = "error"
        error = str(e)
    except (EOFError, OSError) as e:  # a worker died (killed, out of memory)
        stopped = "error"
        error = f"a worker process exited ({type(e).__name__}: {e})"

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
            idx = fetch(gid) if gid is not None and gid >= 0 else -1
            res.violations[prop] = Violation(prop, kind, idx, state, dist, gen, vdepth, secs)
            res.order.append(prop)
    except (EOFError, OSError, RuntimeError) as e:  # the worker holding a path is gone
        stopped = "error"
        error = error or f"a worker process exited ({type(e).__name__}: {e})"
    finally:
        for k in range(n):
            try:
                ctls[k].send(("stop",))
                r = receive(k, timeout=None if error is None else 0.5)
                res.worker_cpu.append(r[1])
            except (OSError, EOFError, IndexError, TimeoutError):
                pass
        for p in procs:
            p.join(timeout=5 if error is None else 0.5)
            if p.is_alive():  # e.g. waiting for a batch from a dead peer
                p.kill()
                p.join()
    store.level_ends = [len(store)]
    if error is not None:
        res.error = Violation("error", "error", -1, None, distinct, generated, 0, time.monotonic() - t0,
                              f"a worker failed: {error} (run with --workers 1 for the position)")
    res.stopped = stopped
    res.distinct = distinct
    res.generated = generated
    res.depth = depth
    res.seconds = time.monotonic() - t0
    return res


def constraint_ok(model: CompiledModel, s: int) -> bool:
    return model.constraint is None or model.constraint(s)
