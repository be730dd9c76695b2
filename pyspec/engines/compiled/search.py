"""The compiled engine's breadth-first search: the loop in compiled code
(:mod:`.kernel`), the spec's meaning in the generated Python step and
predicate functions, joined by memo tables.

The search visits states in the order of the Python engine's search
(pyspec/engines/embedded/bfs.py): successors in the order ``next_fast``
gives them, stored when first found, invariants checked on each new state
as it is stored.  So distinct and generated counts, verdicts and
counterexamples are the Python engine's (tests/engines/test_compiled.py
runs both on every model of spec/).  What it does not handle raises
:class:`Unsupported` before the search, or :class:`Fallback` during it (a
value that does not fit the packed layout, an evaluation error whose
report the Python engine builds): the caller then runs the Python engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ...compile import CompiledModel
from ..embedded.bfs import ExploreResult, Options, _Stop, _Tracking, no_cyclic_gc
from ..embedded.store import StateStore
from ..embedded.symmetry import SetImage, symmetry_of
from . import Fallback, Unsupported, unsupported_reason
from . import ctl as kn
from .library import library
from .sets import SetTable, no_table

__all__ = ["Fallback", "Unsupported", "explore", "unsupported_reason"]

#: States expanded per call of the compiled loop (progress and Ctrl-C in between).
BUDGET = 1 << 17
#: Misses (and pending states) one call of the loop records at most.
MISS_BUFFER = 1 << 12
#: Queued states a miss makes the loop scan for more misses, so that one
#: round of Python fills many.  Scanning costs the scanned states' step
#: keys (with symmetry: their successors and canonical forms) once more;
#: 1024 measured faster than 4096 (v2 small, symmetry: 1.8 s -> 1.6 s of
#: search; v2 big, lamport_mutex: 1.9 s -> 1.6 s) and than 256 on v2 big.
LOOKAHEAD = 1 << 10
#: With ``Options.handback_rate``: after this many seconds of search, at the
#: next level boundary, the search goes back to the Python engine when it
#: expands states more slowly than that rate; ``auto`` sets it to
#: HANDBACK_FACTOR times the Python engine's rate (steps that miss their
#: memo at almost every state: each miss is a Python call plus the loop's
#: round trip), or to what ``--workers N`` would reach
#: (pyspec/engines/embedded/runner.py, WORKER_GAIN).
HANDBACK_SECONDS = 0.5
HANDBACK_FACTOR = 0.8
#: ... the rate of the levels of the last HANDBACK_WINDOW seconds (at least
#: the last level): the compiled loop starts slowly, filling its memos for
#: every new key (multi_paxos: 12,000 states a second at its 12th level,
#: 25,000 at its 13th, 100,000-200,000 from its 16th on), so its rate since
#: the hand-over, judged after half a second, was below the Python
#: engine's and handed multi_paxos back (3 s -> 10-13 s in 3 of 4 runs).
#: (With numba's JIT that went unseen: the functions it loaded as the
#: search first needed them started the measure again.)
HANDBACK_WINDOW = 0.2
#: ... and judged only once that rate no longer rises by this factor from
#: the window before (its memos filled), or after HANDBACK_LATEST seconds
HANDBACK_RISING = 1.25
HANDBACK_LATEST = 2.0
#: The step memo keeps its keys up to this many entries (1.5 MB at three
#: words a key): a lookup then compares the key without reading the state
#: that named it.  Past it, an entry costs 4 bytes of key instead of K
#: words (multi_paxos without symmetry, 978,393 entries: 26 MB -> 4 MB,
#: 12 of its 94 bytes per state).
STEP_KEYS_MAX = 1 << 16
#: elements of the set table's scratch (a union of two sets, a subset), doubled when a set is larger
SET_SCRATCH = 1 << 10


def _word_place(off: int, mask: int) -> tuple[int, int, bool]:
    """Where a field of the packed state at bit ``off`` lies in a row of
    words: its word, its shift in it, and whether it runs into the next."""
    word, sh = divmod(off, 64)
    return word, sh, sh + mask.bit_length() > 64


def _words(x: int, k: int) -> np.ndarray:
    return np.frombuffer(x.to_bytes(8 * k, "little"), dtype="<u8").astype(np.uint64)


class _Tables:
    """A compiled model lowered to the arrays of :func:`kernel.run`."""

    def __init__(self, cm: CompiledModel, opts: Options) -> None:
        cg = cm.codegen
        cg.compile_extra("steps")
        layout = cm.layout
        self.bits = layout.bits
        k = self.k = max(1, (layout.bits + 63) // 64)
        self.kcol = kn.column_keys()
        steps = cg.step_table
        # process instances in next_fast's order, each with its pc field
        slots: list[int] = []
        for _, pk, _, _, _, _ in steps:
            if pk not in slots:
                slots.append(pk)
        ni = len(slots)
        self.inst_w = np.zeros(ni, np.int64)
        self.inst_sh = np.zeros(ni, np.int64)
        self.inst_two = np.zeros(ni, np.bool_)
        self.inst_mask = np.zeros(ni, np.uint64)
        self.inst_base = np.zeros(ni, np.int64)
        self.inst_codes = np.zeros(ni, np.int64)
        base = 0
        for p, pk in enumerate(slots):
            sl = layout.slots[pk]
            self.inst_w[p], self.inst_sh[p], self.inst_two[p] = _word_place(sl.off, sl.mask)
            self.inst_mask[p] = sl.mask
            self.inst_base[p] = base
            self.inst_codes[p] = sl.mask + 1
            base += sl.mask + 1
        # (pc field's place, pc code) -> the steps [first, last + 1): one, or
        # the parts of one step (gen_steps.split_parts), consecutive in the table
        self.disp = np.zeros((max(base, 1), 2), np.int32)
        # the guards of steps (gen_steps.leading_guard) follow the steps in
        # the tables, as steps that are never dispatched: a guard with no
        # result means its step has none either
        guards = [cg.step_guards[name] for *_, name in steps if name in cg.step_guards]
        ns = len(steps)
        rows = steps + guards
        self.gstep = np.full(max(ns, 1), -1, np.int64)
        g = ns
        for j, (*_, name) in enumerate(steps):
            if name in cg.step_guards:
                self.gstep[j] = g
                g += 1
        self.keymask = np.zeros((len(rows), k), np.uint64)
        self.notw = np.zeros((len(rows), k), np.uint64)
        self.key_int: list[int] = []
        self.wm_int: list[int] = []
        self.step_fns = []
        self.step_aid = np.array([aid for aid, *_ in rows] or [0], np.int32)  # the action of each step
        full = (1 << (64 * k)) - 1
        for j, (_, pk, code, key, wm, name) in enumerate(rows):
            if j < ns:
                d = self.inst_base[slots.index(pk)] + code
                if self.disp[d, 1] == 0:
                    self.disp[d, 0] = j
                self.disp[d, 1] = j + 1
            self.keymask[j] = _words(key, k)
            self.notw[j] = _words(full & ~wm, k)
            self.key_int.append(key)
            self.wm_int.append(wm)
            self.step_fns.append(cg.ns[name])
        # invariant parts: spec invariants, then the 'always' parts of temporal properties
        self.parts: list[tuple] = []  # (invariant name, function, read mask)
        for name in opts.invariants:
            for fn, mask in cg.predicate_parts(cm.spec.prop(name).expr):
                self.parts.append((name, fn, mask))
        for name, _, _ in opts.extra_invariants:
            for lf in cm.temporal_leaves(cm.spec.prop(name)):
                if lf.form == "always":
                    for fn, mask in cg.predicate_parts(lf.p_expr, lf.env):
                        self.parts.append((name, fn, mask))
        self.ninv_parts = len(self.parts)
        if cm.model.constraint is not None:
            for fn, mask in cg.predicate_parts(cm.model.constraint):
                self.parts.append(("", fn, mask))
        npart = len(self.parts)
        self.pmask = np.zeros((npart, k), np.uint64)
        for q, (_, _, mask) in enumerate(self.parts):
            self.pmask[q] = _words(mask, k)
        self.ptrk = np.zeros(max(npart, 1), np.uint8)
        # action properties: parts keyed by the bits read of s and of t
        self.aparts: list[tuple] = []  # (property name, function of (s, t), s mask, t mask)
        for name in opts.actions:
            for fn, smask, tmask in cg.action_parts(cm.spec.prop(name).expr):
                self.aparts.append((name, fn, smask, tmask))
        # refinements: a step maps to an abstract step or stutters, by the mapped bits of s and t
        for name, fn, _, read_mask in opts.extra_actions:
            mask = read_mask()
            self.aparts.append((name, fn, mask, mask))
        self.asm = np.zeros((len(self.aparts), k), np.uint64)
        self.atm = np.zeros((len(self.aparts), k), np.uint64)
        for q, (_, _, smask, tmask) in enumerate(self.aparts):
            self.asm[q] = _words(smask, k)
            self.atm[q] = _words(tmask, k)
        self.atrk = np.zeros(max(len(self.aparts), 1), np.uint8)
        self.pcmask = _words(cm._pc_mask, k)
        self.done = _words(cm._done_bits, k)
        self.never_terminal = cm._never_terminal
        # symmetry: the chunks of moved slots (pyspec/engines/embedded/symmetry.py),
        # each a K-word mask; their images per permutation fill a memo
        self.sym = symmetry_of(cm) if opts.symmetry is not None else None
        chunks = self.sym.chunks if self.sym is not None and self.sym.perms else []
        self.nperms = len(self.sym.perms) if chunks else 0
        self.cmask = np.zeros((len(chunks), k), np.uint64)
        self.chunk_off: list[int] = []
        self.chunk_mask: list[int] = []
        for ci, ch in enumerate(chunks):
            mask = (1 << sum(sl.width for sl in ch)) - 1
            self.chunk_off.append(ch[0].off)
            self.chunk_mask.append(mask)
            self.cmask[ci] = _words(mask << ch[0].off, k)
        self.ckeep = _words(self.sym.keep_mask if chunks else 0, k)
        # interned slots: compared last, among the permutations tied on the rest
        interned = self.sym.interned if chunks else []
        self.ninterned = len(interned)
        self.ifield = np.zeros((len(interned), 4), np.int64)
        self.idst = np.zeros((max(1, self.nperms * len(interned)), 3), np.int64)
        imask = 0
        for si, sl in enumerate(interned):
            self.ifield[si] = (*_word_place(sl.off, sl.mask), sl.mask)
            imask |= sl.mask << sl.off
            for pi in range(self.nperms):
                dst_off = self.sym.itables[pi][si][2]  # the slot the image goes to (same width)
                self.idst[pi * len(interned) + si] = _word_place(dst_off, sl.mask)
        self.imask = _words(imask, k)
        # steps keyed by a projection of an interned set (set_parts, sets.py):
        # per step (on, projection), the set's field, the projections' kinds
        self.pj = np.zeros((len(rows), 2), np.int64)
        self.pplace = np.zeros(4, np.int64)
        kinds: list[int] = []
        self.proj_slot: int | None = None
        if cg.step_proj:
            self.proj_slot, _, tags = cg.proj_slot
            sl = layout.slots[self.proj_slot]
            self.pplace[:] = (*_word_place(sl.off, sl.mask), sl.mask)
            self.proj_tags = {t: i for i, t in enumerate(tags)}
            field = sl.mask << sl.off
            for j, (*_, key, _, name) in enumerate(rows):
                bits = cg.step_proj.get(name)
                # (a step whose key leaves the set out neither reads it nor
                # adds to it: nothing to project, nothing to add)
                if bits is not None and key & field:
                    if bits not in kinds:
                        kinds.append(bits)
                    self.pj[j] = (1, kinds.index(bits))
        self.pkinds = np.array(kinds or [0], np.uint64)
        self._group_guards(ns)

    def _group_guards(self, ns: int) -> None:
        """Where two or more parts dispatched at one pc have guards (none
        of them keyed by a projection), one memo entry answers all of them:
        a *guard group*, a row after the guards keyed by the union of their
        keys, whose one value is a bitmask (bit ``gbit[j]``: part ``j``'s
        guard holds).  The loop looks it up once per state and instance
        where it looked each guard up (multi_paxos: six guards at a
        replica's first pc, two of them holding on average; 749 group keys
        per replica against 1,973 guard keys)."""
        self.ggrp = np.full(len(self.disp), -1, np.int64)  # per dispatch row: its group's row, or -1
        self.gbit = np.full(max(ns, 1), -1, np.int64)  # per part: its guard's bit in its group, or -1
        self.first_group = len(self.key_int)  # (group rows: their value is a bitmask, not a state)
        k = self.k
        extra_key, extra_aid = [], []
        for d in range(len(self.disp)):
            j0, j1 = int(self.disp[d, 0]), int(self.disp[d, 1])
            guarded = [j for j in range(j0, j1) if self.gstep[j] >= 0 and not self.pj[self.gstep[j], 0]]
            if not 2 <= len(guarded) <= 64:
                continue
            self.ggrp[d] = len(self.key_int)
            key = 0
            for b, j in enumerate(guarded):
                self.gbit[j] = b
                key |= self.key_int[int(self.gstep[j])]
            self.key_int.append(key)
            self.wm_int.append((1 << 64) - 1)
            self.step_fns.append(_guard_group([self.step_fns[int(self.gstep[j])] for j in guarded]))
            extra_key.append(_words(key, k))
            extra_aid.append(int(self.step_aid[guarded[0]]))
        if extra_key:
            self.keymask = np.vstack([self.keymask, np.array(extra_key, np.uint64)])
            self.notw = np.vstack([self.notw, np.zeros((len(extra_key), k), np.uint64)])
            self.step_aid = np.concatenate([self.step_aid, np.array(extra_aid, np.int32)])
            self.pj = np.vstack([self.pj, np.zeros((len(extra_key), 2), np.int64)])


class _Memo:
    """One open-addressing memo: (id, key words) -> entry."""

    def __init__(self, k: int, images: int = 0) -> None:
        self.tab = np.zeros(1 << 12, np.int32)
        self.key = np.zeros((1 << 11, k), np.uint64)
        self.id = np.zeros(1 << 11, np.int32)
        self.images = images
        if images:  # a row of ``images`` words per entry, and whether it is filled
            self.val = np.zeros((1 << 11, images), np.uint64)
        self.result = np.zeros(1 << 11, np.uint8)

    n = 0  # entries used

    def reserve(self, entries: int, kcol) -> None:
        """Room for ``entries`` entries in all.  The arrays grow by a
        quarter, in place, and the table doubles (at most half full): a
        memo of a million entries is a third of the memory of a search
        (multi_paxos without symmetry), and doubling every array left up
        to half of it unused."""
        cap = len(self.id)
        if entries > cap:
            new = max(entries, cap + cap // 4)
            for name, a in vars(self).items():
                if isinstance(a, np.ndarray) and len(a) and name not in self._not_per_entry:
                    setattr(self, name, _grow_rows(a, new))
        if 2 * entries > len(self.tab):
            size = len(self.tab)
            while 2 * entries > size:
                size *= 2
            self.tab = np.zeros(size, np.int32)
            self.rehash(kcol)

    _not_per_entry = frozenset({"tab"})

    def rehash(self, kcol) -> None:
        library().memo_rehash(self.tab, self.key, self.id, self.n, kcol)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray))


class _StepMemo(_Memo):
    """The step memo: (step, key) -> the written bits of the successors,
    ``count`` values from ``start`` on in ``val``.  An entry names the
    stored state it was first requested for (``ref``): the key is that
    state's words under the step's key mask.  The keys themselves are kept
    (``key``) until the memo passes STEP_KEYS_MAX entries, then dropped:
    the loop compares through the state's row from then on (see
    ``kernel._step_find``)."""

    def __init__(self, k: int, states, keymask: np.ndarray, keyed: bool = False) -> None:
        super().__init__(k)
        del self.result
        # a key with a set's projection is not the state's words under the
        # mask: such a memo keeps its keys
        self.keyed = keyed
        self.ref = np.zeros(1 << 11, np.int32)  # (states: fewer than 2**31, as the parent links)
        self.start = np.zeros(1 << 11, np.int32)  # (rows of val: fewer than 2**31)
        self.count = np.zeros(1 << 11, np.int32)
        self.val = np.zeros((1 << 12, k), np.uint64)
        self._states, self._keymask = states, keymask
        if len(self.id) > STEP_KEYS_MAX and not keyed:
            self.drop_keys()

    _not_per_entry = frozenset({"tab", "val", "_keymask"})

    def drop_keys(self) -> None:
        self.key = np.zeros((0, self.key.shape[1]), np.uint64)

    def reserve(self, entries: int, kcol) -> None:
        cap = len(self.id)
        if len(self.key) and entries > cap and max(entries, cap + cap // 4) > STEP_KEYS_MAX and not self.keyed:
            self.drop_keys()  # before the arrays grow: the keys are not copied
        super().reserve(entries, kcol)

    def rehash(self, kcol) -> None:
        if len(self.key):
            library().memo_rehash(self.tab, self.key, self.id, self.n, kcol)
        else:
            library().step_memo_rehash(self.tab, self.ref, self.id, self.n, self._states(), self._keymask, kcol)

    def reserve_values(self, values: int) -> None:
        if values > len(self.val):
            self.val = _grow_rows(self.val, max(values, len(self.val) + len(self.val) // 4))


def _guard_group(guards: list) -> Callable[[int, Callable[[int], None]], None]:
    """A guard group's step function (_Tables._group_guards): its one
    value, the bitmask of the guards that hold in ``s``."""

    def group(s: int, ap: Callable[[int], None]) -> None:
        bits = 0
        for b, guard in enumerate(guards):
            out: list[int] = []
            guard(s, out.append)
            if out:
                bits |= 1 << b
        ap(bits)

    return group


def _hand_back(marks: list[tuple[float, int]], rate: float) -> bool | None:
    """At a level boundary, ``marks`` the (time, cursor) of the boundaries
    since the measure started (the last one now): True to hand the search
    back (its rate below ``rate``, and no longer rising), False to keep it
    for good, None to judge again at the next boundary."""
    spent = marks[-1][0] - marks[0][0]
    if spent < HANDBACK_SECONDS:
        return None
    last, before = _window_rates(marks)
    if last >= rate:
        return False
    if last <= HANDBACK_RISING * before or spent >= HANDBACK_LATEST:
        return True
    return None  # its rate still rises (its memos filling): judged later


def _window_rates(marks: list[tuple[float, int]]) -> tuple[float, float]:
    """States expanded per second over the last HANDBACK_WINDOW seconds of
    level boundaries ``marks`` ((time, cursor), the last one now), and over
    the window before it (the same when there is none: no sign of a rise)."""
    def back(k: int) -> int:
        t = marks[k][0]
        j = k - 1
        while j > 0 and t - marks[j][0] < HANDBACK_WINDOW:
            j -= 1
        return max(j, 0)

    def per_second(a: int, b: int) -> float:
        return (marks[b][1] - marks[a][1]) / max(marks[b][0] - marks[a][0], 1e-9)

    end = len(marks) - 1
    mid = back(end)
    last = per_second(mid, end)
    return last, (per_second(back(mid), mid) if mid > 0 else last)


def _grow_rows(a: np.ndarray, rows: int) -> np.ndarray:
    """``a`` with ``rows`` rows, the new ones zero: in place (a realloc, no
    second copy alive beside it), as the store grows."""
    a.resize((rows,) + a.shape[1:], refcheck=False)
    return a


def explore(cm: CompiledModel, opts: Options) -> ExploreResult:
    """The compiled twin of :func:`pyspec.engines.embedded.bfs.explore`.

    ``opts.resume`` (a Checkpoint) continues a search another engine
    stopped at a level boundary (``stopped == "handover"``).  Raises
    :class:`Unsupported`, or :class:`Fallback` before the first level
    boundary (the caller runs the Python engine from the start then);
    after it, a fall-back is a result stopped at the last level boundary
    (``stopped == "fallback"``, ``fallback`` says why), from which the
    Python engine goes on.
    """
    reason = unsupported_reason(cm)
    if reason is not None:
        raise Unsupported(reason)
    with no_cyclic_gc():
        return _Search(cm, opts).run()


class _Search:
    """One search: the arrays the compiled loop works on, and what the
    driver does between its calls."""

    def __init__(self, cm: CompiledModel, opts: Options, edges: bool = False) -> None:
        self.t0 = time.monotonic()
        self.cm, self.opts = cm, opts
        tb = self.tb = _Tables(cm, opts)
        k = self.k = tb.k
        self.states = np.zeros((1 << 12, k), np.uint64)  # one row per state
        self.parents = np.zeros(1 << 12, np.int32)
        self.table = np.zeros(1 << 12, np.uint32)
        ctl = self.ctl = np.zeros(kn.CTL_SIZE, np.int64)
        ctl[kn.SHIFT] = 64 - 12
        ctl[kn.COMMIT] = -1
        ctl[kn.NEVER_TERMINAL] = 1 if tb.never_terminal else 0
        ctl[kn.LOOKAHEAD] = LOOKAHEAD
        ctl[kn.NINV_PARTS] = tb.ninv_parts
        # the Python engine stops after expanding the state that filled the
        # store to the bound (its batches are cut to the room left)
        ctl[kn.MAX_STATES] = opts.max_states if opts.max_states is not None else 1 << 62
        self.steps = _StepMemo(k, lambda: self.states, tb.keymask, keyed=tb.proj_slot is not None)
        self.sets = None
        if tb.proj_slot is not None:
            tags = tb.proj_tags
            self.sets = SetTable(cm.layout.slots[tb.proj_slot].codec, lambda m: tags[m._d["tag"]], len(tb.pkinds))
            if tb.nperms:
                # the loop permutes the table's sets itself (kernel._set_image)
                for si, sl in enumerate(tb.sym.interned):
                    images = [tb.sym.itables[pi][si][4] for pi in range(tb.nperms)]
                    if sl.index == tb.proj_slot and all(isinstance(im, SetImage) for im in images):
                        self.sets.permuted_by(si, images)
        self.stmp = np.zeros(SET_SCRATCH if self.sets is not None else 1, np.uint32)
        self._no_table = no_table()
        self._no_images = (np.zeros((1, 1), np.int32), np.array([-1, 0], np.int64))
        self.preds = _Memo(k)
        self.acts = _Memo(2 * k)
        self.am_words = np.zeros((MISS_BUFFER, k), np.uint64)
        self.am_part = np.zeros(MISS_BUFFER, np.int32)
        self.succ = np.zeros((1 << 10, k), np.uint64)
        self.succ_step = np.zeros(len(self.succ), np.int32)
        # the state graph (edges=True, liveness: state_graph below); a
        # one-element placeholder each otherwise (the loop never reads them)
        ctl[kn.EDGES_ON] = 1 if edges else 0
        size = 1 << 12 if edges else 1
        self.edge_to = np.zeros(size, np.int32)
        self.edge_aid = np.zeros(size, np.int32)
        self.edge_start = np.zeros(len(self.states) + 1 if edges else 1, np.int64)
        # (a row of words per state: a bit per action)
        self.edge_mask = np.zeros((len(self.states), (len(cm.actions) + 63) // 64 or 1) if edges else (1, 1),
                                  np.uint64)
        ctl[kn.NCHUNKS] = len(tb.cmask)
        self.csucc = np.zeros_like(self.succ) if len(tb.cmask) else self.succ  # canonical forms
        self.sym = _Memo(k, max(1, tb.nperms) * k)
        self.sm_words = np.zeros((MISS_BUFFER, k), np.uint64)
        self.sm_chunk = np.zeros(MISS_BUFFER, np.int32)
        self.isym = _Memo(1, 1)  # (permutation, interned slot), code -> the image's code
        self.im_code = np.zeros(MISS_BUFFER, np.uint64)
        self.im_id = np.zeros(MISS_BUFFER, np.int32)
        self.pend_x = np.zeros(MISS_BUFFER, np.int64)
        self.pend_gen = np.zeros(MISS_BUFFER, np.int64)
        self.miss_state = np.zeros(MISS_BUFFER, np.int64)
        self.miss_step = np.zeros(MISS_BUFFER, np.int32)
        self.pm_words = np.zeros((MISS_BUFFER, k), np.uint64)
        self.pm_part = np.zeros(MISS_BUFFER, np.int32)
        self.wk, self.ent, self.tied, self.ient = kn.scratch(k, len(tb.cmask), tb.nperms, tb.ninterned)
        self.res = ExploreResult(StateStore(k))
        self.tr = _Tracking(cm, opts, self.res, self.t0)
        self.level_ends = self.res.store.level_ends
        self.depth = 1
        self.cursor = 0
        # the last level boundary (the arrays only grow, so their prefix is
        # that boundary's store): --checkpoint writes it every
        # checkpoint_every seconds and on Ctrl-C, and a fall-back goes back
        # to it (the Python engine goes on from there)
        self.boundary: dict | None = None
        self.last_cp = time.monotonic()

    # -- the store ------------------------------------------------------------

    def state(self, i: int) -> int:
        return int.from_bytes(self.states[i].tobytes(), "little")

    def reserve(self, n: int) -> None:
        """Room for ``n`` states (the table at most half full)."""
        if n > len(self.states):
            # a quarter more, in place (as StateStore: realloc, no copy beside the old array)
            new = max(n, len(self.states) + len(self.states) // 4)
            self.states.resize((new, self.k), refcheck=False)
            self.parents.resize(new, refcheck=False)
            if self.ctl[kn.EDGES_ON]:
                self.edge_start.resize(new + 1, refcheck=False)  # zero-filled: resize, as the states
                self.edge_mask.resize((new, self.edge_mask.shape[1]), refcheck=False)
        if 2 * n > len(self.table):
            tbits = len(self.table).bit_length() - 1
            while 2 * n > (1 << tbits):
                tbits += 1  # at most half full, so at least a quarter after it doubles
            self.table = np.zeros(1 << tbits, np.uint32)
            self.ctl[kn.SHIFT] = 64 - tbits
            library().rehash_states(self.states, self.ctl[kn.N], self.table, self.ctl[kn.SHIFT], self.tb.kcol)

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` states (a stop on a violation)."""
        self.ctl[kn.N] = n
        self.table[:] = 0
        library().rehash_states(self.states, n, self.table, self.ctl[kn.SHIFT], self.tb.kcol)

    def track(self) -> None:
        """Tell the loop which properties are still tracked."""
        tb, tr = self.tb, self.tr
        names = {n for n, _ in tr.invs}
        for q, (name, _, _) in enumerate(tb.parts[:tb.ninv_parts]):
            tb.ptrk[q] = 1 if name in names else 0
        self.ctl[kn.NTRACKED] = int(tb.ptrk[:tb.ninv_parts].sum())
        acts = {n for n, _ in tr.acts}
        for q, (name, _, _, _) in enumerate(tb.aparts):
            tb.atrk[q] = 1 if name in acts else 0
        self.ctl[kn.NATRACKED] = int(tb.atrk[:len(tb.aparts)].sum())
        self.ctl[kn.DEADLOCK_ON] = 1 if tr.deadlock else 0

    # -- the first level, or the level another engine stopped at ----------------

    def initial(self) -> None:
        """The initial states, stored and checked as the Python engine does
        (evaluated here, in Python: an error is the Python engine's to report)."""
        tr, cm, ctl = self.tr, self.cm, self.ctl
        cand: list[int] = []
        init_generated: list[int] = []
        recent: set[int] = set()
        constraint = cm.constraint

        def flush() -> None:
            base = int(ctl[kn.N])
            self.reserve(base + len(cand))
            new = np.zeros(len(cand), np.bool_)
            if cand:
                library().add_states(self.states, self.parents, self.table, ctl, self.tb.kcol, _rows(cand, self.k),
                                     np.full(len(cand), -1, np.int32), new)
            inv = tr.check()
            total = tr.generated
            for j, r in enumerate(np.flatnonzero(new).tolist(), base):
                t = cand[r]
                bad_init = bool(tr.init_invs) and not all(f(t) for _, f in tr.init_invs)
                if not bad_init and (inv is None or inv(t)):
                    continue
                tr.found = j + 1
                tr.generated = init_generated[r]
                try:
                    if bad_init:
                        tr.failed_init(t, j)
                        inv = tr.check()
                    if inv is not None and not inv(t):
                        tr.failed_invariants(t, j, None, 1)
                        inv = tr.check()
                except _Stop:
                    self.truncate(j + 1)
                    raise
                tr.found = None
                tr.generated = total
            cand.clear()
            init_generated.clear()

        try:
            for s0 in cm.initial_states():
                tr.generated += 1
                if s0 >> self.tb.bits:
                    raise Fallback("an initial value does not fit the packed layout (escaped)")
                if self.opts.symmetry is not None:
                    s0 = self.opts.symmetry(s0)
                if constraint is not None and not constraint(s0):
                    if tr.invs and not all(f(s0) for _, f in tr.invs):
                        flush()
                        tr.failed_invariants(s0, -1, s0, 1)
                    continue
                if s0 not in recent:
                    recent.add(s0)
                    cand.append(s0)
                    init_generated.append(tr.generated)
            flush()
        except (_Stop, Fallback):
            raise
        except Exception as e:  # noqa: BLE001 - the Python engine reports it with its position
            raise Fallback(f"an evaluation error ({type(e).__name__})") from None
        self.level_ends.append(int(ctl[kn.N]))
        tr.init_invs = []
        if self.res.order and not tr.left():
            raise _Stop("all-violated")

    def resume(self, cp) -> None:
        """Go on from a search stopped at a level boundary (its store, counts, violations)."""
        if cp.store.ncols > self.k:
            raise Fallback("a value does not fit the packed layout (escaped)")
        n = len(cp.store)
        self.reserve(n)
        for c in range(cp.store.ncols):
            self.states[:n, c] = cp.store.cols[c][:n]
        self.parents[:n] = cp.store.parents[:n]
        self.ctl[kn.N] = n
        self.table[:] = 0
        library().rehash_states(self.states, n, self.table, self.ctl[kn.SHIFT], self.tb.kcol)
        self.level_ends.extend(cp.store.level_ends)
        self.cursor = cp.cursor
        self.ctl[kn.CUR] = cp.cursor
        tr, res = self.tr, self.res
        tr.generated, self.depth = cp.generated, cp.depth
        for prop, v in cp.violations.items():
            res.violations[prop] = v
            res.order.append(prop)
        tr.forget()
        tr.init_invs = []
        self.t0 -= cp.seconds
        tr.t0 = self.t0

    # -- filling the memo tables ----------------------------------------------------

    def fill_steps(self, cur: int) -> None:
        """Run the Python step function for each (state, step) the loop
        missed and put the written bits of its successors in the memo.
        Only the state being expanded must succeed: the others were looked
        at ahead, and an error there is reported when the search gets there."""
        ctl, tb, k = self.ctl, self.tb, self.k
        nmiss = int(ctl[kn.NMISS])
        rows = self.miss_state[:nmiss]
        # the states' packed ints, all at once (a miss buffer has few distinct states)
        uniq, inverse = np.unique(rows, return_inverse=True)
        packed = _ints(self.states[uniq])
        bits = tb.bits
        done: set[tuple[int, int]] = set()
        ids, refs, counts, vals = [], [], [], []
        key_int, wm_int, fns = tb.key_int, tb.wm_int, tb.step_fns
        first_group = tb.first_group
        proj = tb.pj[:, 0].tolist() if self.sets is not None else None
        keys: list[int] = []
        if proj is not None:
            sl = self.cm.layout.slots[tb.proj_slot]
            off, fmask = sl.off, sl.mask
            sproj, pf = self.sets.proj, tb.pj[:, 1].tolist()
        for r, j in enumerate(self.miss_step[:nmiss].tolist()):
            s = packed[inverse[r]]
            if proj is not None and proj[j]:
                # the step reads the set's projection (the loop numbered it for the key)
                p = int(sproj[pf[j], (s >> off) & fmask]) - 1
                s = (s & ~(fmask << off)) | (p << off)
            key = s & key_int[j]
            if (j, key) in done:
                continue
            out: list[int] = []
            try:
                fns[j](s, out.append)
            except Exception as e:  # noqa: BLE001 - the Python engine reports it with its position
                if int(rows[r]) == cur:
                    raise Fallback(f"an evaluation error ({type(e).__name__})") from None
                continue
            if out and j < first_group and max(out) >> bits:
                if int(rows[r]) == cur:
                    raise Fallback("a value does not fit the packed layout (escaped)")
                continue
            done.add((j, key))
            if proj is not None:
                keys.append(key)
            ids.append(j)
            refs.append(int(rows[r]))
            counts.append(len(out))
            wm = wm_int[j]
            vals.extend([t & wm for t in out])
        if not ids:
            return
        steps = self.steps
        steps.reserve(int(ctl[kn.MEMO_N]) + len(ids), tb.kcol)
        steps.reserve_values(int(ctl[kn.VALS_N]) + len(vals))
        library().memo_insert_steps(ctl, steps.tab, steps.key, steps.ref, steps.id, steps.start, steps.count, steps.val,
                                    self.states, tb.keymask, tb.kcol,
                                    np.array(ids, np.int32), np.array(refs, np.int64), np.array(counts, np.int32),
                                    _rows(vals, k) if vals else np.zeros((0, k), np.uint64),
                                    _rows(keys, k) if proj is not None else np.zeros((0, k), np.uint64))
        steps.n = int(ctl[kn.MEMO_N])

    def fill_preds(self) -> None:
        """Fill the predicate parts the loop requested.  An invariant part
        whose evaluation fails stays unfilled: its state is then evaluated
        in order by :meth:`settle`, where the error belongs; the constraint
        is evaluated on a successor right away, as the search needs it."""
        ctl, tb = self.ctl, self.tb
        ids, keys, results = [], [], []
        for r in range(int(ctl[kn.NPMISS])):
            q = int(self.pm_part[r])
            t = int.from_bytes(self.pm_words[r].tobytes(), "little")
            try:
                ok = bool(tb.parts[q][1](t))
            except Exception as e:  # noqa: BLE001
                if q >= tb.ninv_parts:
                    raise Fallback(f"an evaluation error ({type(e).__name__})") from None
                continue
            ids.append(q)
            keys.append(t & tb.parts[q][2])
            results.append(1 if ok else 0)
        ctl[kn.NPMISS] = 0
        self.insert_results(self.preds, kn.PRED_N, ids, keys, results, self.k)

    def fill_actions(self, cur: int) -> None:
        """Fill the action parts the loop requested for the steps from state ``cur``."""
        ctl, tb, k = self.ctl, self.tb, self.k
        s = self.state(cur)
        ids, keys, results = [], [], []
        for r in range(int(ctl[kn.NAMISS])):
            q = int(self.am_part[r])
            t = int.from_bytes(self.am_words[r].tobytes(), "little")
            _, fn, smask, tmask = tb.aparts[q]
            try:
                ok = bool(fn(s, t))
            except Exception as e:  # noqa: BLE001 - the Python engine reports it with its position
                raise Fallback(f"an evaluation error ({type(e).__name__})") from None
            ids.append(q)
            keys.append((s & smask) | ((t & tmask) << (64 * k)))  # the two halves of the key
            results.append(1 if ok else 0)
        ctl[kn.NAMISS] = 0
        self.insert_results(self.acts, kn.ACT_N, ids, keys, results, 2 * k)

    def fill_sym(self) -> None:
        """Fill the symmetry memos: the images, under every permutation, of
        the chunks the loop requested (``Symmetry.chunk_image``), and of the
        interned codes (``Symmetry.interned_image``)."""
        ctl, tb, k = self.ctl, self.tb, self.k
        ni = int(ctl[kn.NIMISS])
        if ni:
            ids = self.im_id[:ni].copy()
            codes = self.im_code[:ni].tolist()
            imgs = [tb.sym.interned_image(*divmod(d, tb.ninterned), c) for d, c in zip(ids.tolist(), codes)]
            ctl[kn.NIMISS] = 0
            isym = self.isym
            isym.reserve(int(ctl[kn.ISYM_N]) + ni, tb.kcol)
            library().memo_insert_images(ctl, kn.ISYM_N, isym.tab, isym.key, isym.id, isym.result, isym.val, tb.kcol,
                                         ids, np.array(codes, np.uint64).reshape(-1, 1),
                                         np.array(imgs, np.uint64).reshape(-1, 1))
            isym.n = int(ctl[kn.ISYM_N])
        nm = int(ctl[kn.NSMISS])
        if not nm:
            return
        chunks = self.sm_chunk[:nm].tolist()
        keys = _ints(self.sm_words[:nm])
        wide = 64 * k
        imgs = []
        for ci, kv in zip(chunks, keys):
            v = (kv >> tb.chunk_off[ci]) & tb.chunk_mask[ci]
            row = 0
            for pi in range(tb.nperms):
                row |= tb.sym.chunk_image(pi, ci, v) << (wide * pi)
            imgs.append(row)
        ctl[kn.NSMISS] = 0
        sym = self.sym
        sym.reserve(int(ctl[kn.SYM_N]) + nm, tb.kcol)
        library().memo_insert_images(ctl, kn.SYM_N, sym.tab, sym.key, sym.id, sym.result, sym.val, tb.kcol,
                                     np.array(chunks, np.int32), _rows(keys, k), _rows(imgs, tb.nperms * k))
        sym.n = int(ctl[kn.SYM_N])

    def insert_results(self, memo: _Memo, count: int, ids: list, keys: list, results: list, width: int) -> None:
        """Put filled predicate parts (keys of ``width`` words) into ``memo``
        (``ctl[count]``: its entries)."""
        ctl = self.ctl
        if ids:
            memo.reserve(int(ctl[count]) + len(ids), self.tb.kcol)
            library().memo_insert_preds(ctl, count, memo.tab, memo.key, memo.id, memo.result, self.tb.kcol,
                                        np.array(ids, np.int32), _rows(keys, width), np.array(results, np.uint8))
        memo.n = int(ctl[count])

    def check_python(self, t: int) -> bool:
        """Do the tracked invariants hold in ``t``?  (Python's evaluation.)"""
        try:
            inv = self.tr.check()
            return inv is None or bool(inv(t))
        except Exception as e:  # noqa: BLE001 - the Python engine reports it
            raise Fallback(f"an evaluation error ({type(e).__name__})") from None

    def settle(self) -> None:
        """The pending states in order: record the invariants each violates,
        as the Python engine does when it stores that state."""
        ctl, tb, tr, preds = self.ctl, self.tb, self.tr, self.preds
        npend = int(ctl[kn.NPEND])
        r = 0
        try:
            while r < npend:
                f = library().first_failing(r, self.pend_x, npend, self.states, tb.pmask, tb.ptrk, preds.tab, preds.key,
                                            preds.id, preds.result, tb.kcol, self.pm_words, self.pm_part, ctl,
                                            self.wk)
                if f == npend:
                    break
                if f < 0:  # a part the fill could not evaluate: the whole conjunction, here
                    f = -1 - f
                    if self.check_python(self.state(int(self.pend_x[f]))):
                        r = f + 1
                        continue
                x = int(self.pend_x[f])
                tr.found = x + 1
                tr.generated = int(self.pend_gen[f])
                try:
                    tr.failed_invariants(self.state(x), x, None, self.depth + 1)
                except _Stop as stop:
                    self.truncate(x + 1)
                    ctl[kn.GEN] = tr.generated
                    stop.cursor = max(int(self.parents[x]), 0)
                    raise
                except Exception as e:  # noqa: BLE001
                    raise Fallback(f"an evaluation error ({type(e).__name__})") from None
                finally:
                    tr.found = None
                self.track()
                r = f + 1
        finally:
            ctl[kn.NPEND] = 0

    # -- the search -------------------------------------------------------------------

    # -- checkpoints (the Python engine's format: either engine resumes them) ------

    def mark_boundary(self) -> None:
        """Remember where the search stands at a level boundary."""
        self.boundary = {
            "n": int(self.ctl[kn.N]), "cursor": self.cursor, "generated": self.tr.generated, "depth": self.depth,
            "level_ends": list(self.level_ends), "violations": dict(self.res.violations),
            "seconds": time.monotonic() - self.t0,
        }

    def rewind(self) -> None:
        """Go back to the last level boundary: what was found after it
        (states, counts, violations) is dropped, for the Python engine to
        find again from there."""
        b = self.boundary
        self.truncate(b["n"])
        self.cursor = b["cursor"]
        self.tr.generated = b["generated"]
        self.depth = b["depth"]
        self.level_ends[:] = b["level_ends"]
        res = self.res
        res.violations.clear()
        res.violations.update(b["violations"])
        res.order[:] = [p for p in res.order if p in res.violations]

    def save_checkpoint(self) -> None:
        from ..embedded.checkpoint import write_checkpoint

        b = self.boundary
        if b is None:
            return
        n = b["n"]
        write_checkpoint(self.opts.checkpoint, self.cm, self.states[:n].astype("<u8").tobytes(), self.k,
                         self.parents[:n].astype("<i4").tobytes(), b["level_ends"], b["cursor"], b["generated"],
                         b["depth"], b["seconds"], b["violations"])
        self.last_cp = time.monotonic()

    def loop(self) -> None:
        ctl, tb, tr = self.ctl, self.tb, self.tr
        max_depth = self.opts.max_depth if self.opts.max_depth is not None else 1 << 62
        progress = self.opts.progress
        # the end of the level being expanded: the store's end, except in a
        # checkpoint the Python engine wrote in the middle of a level
        ctl[kn.LEND] = self.level_ends[-1] if self.level_ends else ctl[kn.N]
        ctl[kn.GEN] = tr.generated
        self.track()
        lib = library()
        marks = None  # (time, cursor) at the level boundaries since the measure started
        loaded = 0  # lib.loaded() when it started
        measured = False
        while True:
            ctl[kn.BUDGET_LEFT] = BUDGET
            steps, preds = self.steps, self.preds
            # room for the placeholders of full miss buffers
            steps.reserve(int(ctl[kn.MEMO_N]) + MISS_BUFFER, tb.kcol)
            preds.reserve(int(ctl[kn.PRED_N]) + MISS_BUFFER, tb.kcol)
            self.acts.reserve(int(ctl[kn.ACT_N]) + MISS_BUFFER, tb.kcol)
            sym = self.sym
            sym.reserve(int(ctl[kn.SYM_N]) + MISS_BUFFER, tb.kcol)
            isym = self.isym
            isym.reserve(int(ctl[kn.ISYM_N]) + MISS_BUFFER, tb.kcol)
            st = self.sets
            if st is not None:
                st.push()  # the sets and elements the fills numbered
            table = st.arrays() if st is not None else self._no_table
            status = lib.run(ctl, self.states, self.parents, self.table, tb.kcol,
                            tb.inst_w, tb.inst_sh, tb.inst_two, tb.inst_mask, tb.inst_base, tb.inst_codes, tb.disp,
                            tb.keymask, tb.notw, steps.tab, steps.key, steps.ref, steps.id, steps.start, steps.count, steps.val,
                            tb.pmask, tb.ptrk, preds.tab, preds.key, preds.id, preds.result, tb.pcmask, tb.done,
                            self.succ, self.miss_state, self.miss_step, self.pm_words, self.pm_part,
                            self.pend_x, self.pend_gen, tb.asm, tb.atm, tb.atrk, self.acts.tab, self.acts.key,
                            self.acts.id, self.acts.result, self.am_words, self.am_part,
                            self.csucc, tb.ckeep, tb.cmask, sym.tab, sym.key, sym.id, sym.result, sym.val,
                            self.sm_words, self.sm_chunk, tb.imask, tb.ifield, tb.idst, isym.tab, isym.key, isym.id,
                            isym.result, isym.val, self.im_code, self.im_id,
                            self.succ_step, tb.step_aid, self.edge_to, self.edge_aid, self.edge_start, self.edge_mask,
                            self.wk, self.ent, self.tied, self.ient,
                            (tb.pj, tb.pplace, tb.pkinds, tb.gstep, tb.ggrp, tb.gbit), (*table, self.stmp),
                            ((*table, self.stmp), *(st.image_arrays() if st is not None else self._no_images)))
            if st is not None:
                st.pull()  # the unions and projections the loop numbered
            i = self.cursor = int(ctl[kn.CUR])
            steps.n = int(ctl[kn.MEMO_N])
            preds.n = int(ctl[kn.PRED_N])
            self.acts.n = int(ctl[kn.ACT_N])
            sym.n = int(ctl[kn.SYM_N])
            isym.n = int(ctl[kn.ISYM_N])
            if ctl[kn.NSMISS] or ctl[kn.NIMISS]:
                self.fill_sym()
            if ctl[kn.NPMISS]:
                self.fill_preds()
            if ctl[kn.NPEND]:
                self.settle()
            tr.generated = int(ctl[kn.GEN])
            if status == kn.DONE:
                return
            if status == kn.MISS:
                self.fill_steps(i)
                continue
            if status == kn.GROW:
                self.reserve(int(ctl[kn.N] + ctl[kn.NEED]))
                continue
            if status == kn.SET_GROW:
                # room for a set as large as the state's largest union, several times over
                self.sets.grow(elements=max(4 * len(self.stmp), len(self.sets.sel) // 2),
                               sets=max(1024, len(self.sets) // 2))
                continue
            if status == kn.EDGE_GROW:
                need = int(ctl[kn.NEDGES] + ctl[kn.NEED])
                new = max(need, len(self.edge_to) + len(self.edge_to) // 2)
                self.edge_to.resize(new, refcheck=False)
                self.edge_aid.resize(new, refcheck=False)
                continue
            if status == kn.SCRATCH:
                self.stmp = np.zeros(2 * len(self.stmp), np.uint32)  # (or the set table's scratch)
                self.succ_step = np.zeros(2 * len(self.succ), np.int32)
                self.succ = np.zeros((2 * len(self.succ), self.k), np.uint64)
                self.csucc = np.zeros_like(self.succ) if len(tb.cmask) else self.succ
                continue
            if status in (kn.PENDING, kn.CONSTRAINT_MISS, kn.SYM_MISS):
                continue
            if status == kn.OUTSIDE:
                # a successor outside the constraint: checked each time it is found, never stored
                t = int.from_bytes(self.csucc[int(ctl[kn.VIOL])].tobytes(), "little")
                if not self.check_python(t):
                    tr.found = int(ctl[kn.N])
                    tr.failed_invariants(t, i, t, self.depth + 1)
                    tr.found = None
                    self.track()
                continue
            if status == kn.DEADLOCK:
                tr.found = int(ctl[kn.N])
                tr.record("deadlock", "deadlock", int(ctl[kn.VIOL]), None, self.depth)
                tr.found = None
                tr.deadlock = False
                self.track()
                tr.after()
                continue
            if status == kn.ACTION_MISS:
                self.fill_actions(i)
                continue
            if status == kn.ACTION:
                t = int.from_bytes(self.succ[int(ctl[kn.VIOL])].tobytes(), "little")
                tr.found = int(ctl[kn.N])
                tr.failed_actions(self.state(i), t, i, self.depth + 1)
                tr.found = None
                self.track()
                continue
            if status == kn.FULL:
                raise _Stop("max-states")
            if status == kn.LEVEL:
                self.level_ends.append(int(ctl[kn.LEND]))
                self.depth += 1
                if self.depth > max_depth:
                    raise _Stop("max-depth")
                self.cursor = i
                self.mark_boundary()
                if self.opts.checkpoint and time.monotonic() - self.last_cp >= self.opts.checkpoint_every:
                    self.save_checkpoint()
                rate = self.opts.handback_rate
                if rate is not None and not measured:
                    now = time.monotonic()
                    if marks is None or lib.loaded() != loaded:
                        # the measure starts here: at the first level boundary
                        # (the first call's round of fills also generates the
                        # step functions and builds the symmetry tables:
                        # multi_paxos, 0.44 s for its first 520 states, 0.07 s
                        # for the next 1,117), and again when a kernel function
                        # was compiled (or loaded) since (a first run on a
                        # machine compiles for seconds, and handed a search
                        # that runs 10x the Python engine back to it)
                        marks, loaded = [(now, i)], lib.loaded()
                    else:
                        marks.append((now, i))
                        verdict = _hand_back(marks, rate)
                        if verdict:
                            raise _Stop("handback")  # at a level boundary, as a hand-over
                        measured = verdict is False  # once: then it keeps the search
            if progress is not None:
                n = int(ctl[kn.N])
                progress.update(distinct=n, generated=tr.generated, queue=n - i, depth=self.depth,
                                seconds=time.monotonic() - self.t0)

    def run(self) -> ExploreResult:
        res, tr, ctl = self.res, self.tr, self.ctl
        cp = self.opts.resume
        if cp is None and self.opts.recover:
            from ..embedded.checkpoint import load_checkpoint

            cp = load_checkpoint(self.opts.recover, self.cm)
        if cp is not None:
            self.resume(cp)
        try:
            if cp is None:
                self.initial()
            self.mark_boundary()
            self.loop()
        except Fallback as why:
            if self.boundary is None or self.ctl[kn.EDGES_ON]:
                raise  # (a state graph is built again from the start, in Python)
            self.rewind()
            res.stopped, res.fallback = "fallback", str(why)
        except _Stop as stop:
            res.stopped = str(stop)
            if stop.cursor is not None:
                self.cursor = stop.cursor
        except KeyboardInterrupt:
            res.stopped = "interrupted"
            if self.opts.checkpoint:
                self.save_checkpoint()  # from the last level boundary: that level is expanded again
        finally:
            library().release()  # (the search's arrays, held by the checks of the loop's calls)
        n = int(ctl[kn.N])
        # the result is a StateStore over the same arrays (same layout and hash)
        store = res.store
        store.cols = [self.states[:, c] for c in range(self.k)]
        store.parents = self.parents
        store.table = self.table
        store._shift = np.uint64(int(ctl[kn.SHIFT]))
        store.n = n
        res.distinct = n
        res.generated = max(tr.generated, int(ctl[kn.GEN])) if res.stopped is None else tr.generated
        res.depth = len(self.level_ends) if self.level_ends and self.level_ends[-1] else 0
        if res.stopped in ("max-states", "max-depth", "interrupted", "handback", "fallback"):
            res.depth = max(self.depth, 1) if n else 0
        res.queue = max(0, n - self.cursor)
        res.seconds = time.monotonic() - self.t0
        if self.opts.progress is not None:
            try:
                self.opts.progress.update(distinct=res.distinct, generated=res.generated, queue=res.queue,
                                          depth=res.depth, seconds=res.seconds)
            except KeyboardInterrupt:
                pass
        return res


def _ints(rows: np.ndarray) -> list[int]:
    """Rows of little-endian words as packed ints."""
    k = rows.shape[1]
    if k == 1:
        return rows[:, 0].tolist()
    if k == 2:  # Python's big-int arithmetic on lists beats a from_bytes per row
        return [hi << 64 | lo for lo, hi in zip(rows[:, 0].tolist(), rows[:, 1].tolist())]
    raw = rows.astype("<u8", copy=False).tobytes()
    n = 8 * k
    return [int.from_bytes(raw[i:i + n], "little") for i in range(0, len(raw), n)]


def _rows(xs: list[int], k: int) -> np.ndarray:
    """Packed ints as rows of ``k`` little-endian words."""
    if k == 1:
        return np.array(xs, dtype=np.uint64).reshape(-1, 1)
    n = 8 * k
    raw = b"".join(x.to_bytes(n, "little") for x in xs)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(-1, k)
