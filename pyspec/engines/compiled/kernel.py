"""The compiled search loop (numba): breadth-first search over states of K
64-bit words, an exact seen set, parent links, memo tables of the steps'
results and of the invariants' parts.

Everything a model means lives in the generated Python step functions
(pyspec/compile/gen_steps.py, ``gen_step_functions``): a step instance is a
pure function of the bits of its key mask, so its successors are "the
state with the written bits replaced by one of a few values" and those
values, per key, are what the tables here hold.  The loop expands states
while every lookup hits; on a miss it returns the missing (step, state)
pairs, the driver (:mod:`.search`) runs the Python step function for them,
inserts the results, and calls the loop again.  The loop itself never
evaluates the spec, so the compiled and the Python engine cannot disagree
on what a step does; the number of misses is the number of distinct keys
(a few thousand on the KVM models, for millions of states).

The states found are ``states``, one row of K little-endian words per state
(the words of a state side by side: one cache line for a lookup), which
grows in place.  The seen set is a power-of-two table of ``index + 1`` with
:class:`pyspec.engines.embedded.store.StateStore`'s hash, so the result of a
search is a ``StateStore`` (over the columns of ``states``) without copying
or rehashing.

Every function is compiled once per machine (``cache=True``) whatever the
model: per-model data are arrays, not code.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core.registry import CPUDispatcher as Dispatcher

from .ctl import (
    ACT_N,
    ACTION,
    ACTION_MISS,
    BUDGET,
    BUDGET_LEFT,
    COMMIT,
    CONSTRAINT_MISS,
    CUR,
    DEADLOCK,
    DEADLOCK_ON,
    DONE,
    EDGE_GROW,
    EDGES_ON,
    FULL,
    GEN,
    GROW,
    ISYM_N,
    LEND,
    LEVEL,
    LOOKAHEAD,
    MAX_STATES,
    MEMO_N,
    MISS,
    NAMISS,
    NATRACKED,
    NCHUNKS,
    NEDGES,
    NEED,
    NEVER_TERMINAL,
    NIMISS,
    NINV_PARTS,
    NMISS,
    NPEND,
    NPMISS,
    NSMISS,
    NSUCC,
    NTRACKED,
    OUTSIDE,
    PENDING,
    PRED_N,
    SCANNED,
    SCRATCH,
    SET_GROW,
    SHIFT,
    SYM_MISS,
    SYM_N,
    SYM_SCANNED,
    TOUCHED,
    VALS_N,
    VIOL,
    N,
)
from .hashing import K0 as _K0
from .hashing import K1 as _K1
from .hashing import mix as _mix
from .set_kernel import set_intern, set_project, set_union

#: The search loop and the helpers it calls per state or per successor are
#: compiled without numba's reference counting (``_nrt=False``): with it,
#: every array argument of a helper, inlined or not, is incref'd and
#: decref'd on each call, two atomic calls per array, and the step lookup of
#: one state (twenty arrays) spent 5x more time in them than in the lookup
#: itself (v2 big: 0.76 s against 0.13 s for its 2.6M states).  Such
#: functions may not allocate: their scratch arrays come from the driver.
loop_jit = njit(cache=True, _nrt=False)
#: the same, inlined into its caller
loop_inline = njit(cache=True, inline="always", _nrt=False)



def loaded() -> int:
    """How many compiled versions of this module's functions the process
    holds: it grows when one is compiled, or loaded from numba's cache, at
    its first call."""
    return sum(len(f.overloads) for f in globals().values() if isinstance(f, Dispatcher))


@loop_inline
def _state_hash(w, kcol):
    """StateStore._hash of one state (its words ``w``), before the shift."""
    h = w[0] * _K0
    for c in range(1, w.shape[0]):
        h ^= w[c] * kcol[c % 64]
    return _mix(h)


@loop_inline
def _row_is(rows, i, w):
    """Is row ``i`` of ``rows`` the words ``w``?"""
    for c in range(w.shape[0]):
        if rows[i, c] != w[c]:
            return False
    return True


@loop_inline
def _store(w, parent, pos, states, parents, table, ctl):
    """Append the state ``w`` (not stored; ``pos``: the empty slot its probe
    ended on) found from ``parent``; its index."""
    x = ctl[N]
    for c in range(w.shape[0]):
        states[x, c] = w[c]
    parents[x] = np.int32(parent)
    table[pos] = np.uint32(x + 1)
    ctl[N] = x + 1
    return x


@loop_inline
def _new_entry(q, key, pos, count, tab, keys, ids, results, result, ctl):
    """A new entry ``(q, key) -> result`` of a predicate memo (``pos``: the
    empty slot of its probe; ``ctl[count]``: the memo's entries)."""
    e = ctl[count]
    ctl[count] = e + 1
    ids[e] = q
    for c in range(key.shape[0]):
        keys[e, c] = key[c]
    results[e] = result
    tab[pos] = np.int32(e + 1)
    return e


@loop_inline
def _find_state(w, states, table, shift, kcol):
    """(slot, index): the index of state ``w`` in the store, or -1 and the empty slot its probe ended on."""
    mask = table.shape[0] - 1
    pos = np.int64(_state_hash(w, kcol) >> np.uint64(shift))
    while True:
        v = np.int64(table[pos])
        if v == 0:
            return pos, -1
        i = v - 1
        if _row_is(states, i, w):
            return pos, i
        pos = (pos + 1) & mask


@njit(cache=True)
def rehash_states(states, n, table, shift, kcol):
    """Put states 0..n-1 into the (empty) table."""
    k = states.shape[1]
    w = np.empty(k, dtype=np.uint64)
    mask = table.shape[0] - 1
    for i in range(n):
        for c in range(k):
            w[c] = states[i, c]
        pos = np.int64(_state_hash(w, kcol) >> np.uint64(shift))
        while table[pos] != 0:
            pos = (pos + 1) & mask
        table[pos] = np.uint32(i + 1)


@njit(cache=True)
def add_states(states, parents, table, ctl, kcol, words, pars, new):
    """Store the rows of ``words`` (K words each) not stored yet, in order
    (initial states); ``new[r]`` tells which were new.  The caller made room."""
    for r in range(words.shape[0]):
        pos, i = _find_state(words[r], states, table, ctl[SHIFT], kcol)
        if i >= 0:
            new[r] = False
            continue
        _store(words[r], pars[r], pos, states, parents, table, ctl)
        new[r] = True


@loop_inline
def _key_hash(salt, key, kcol):
    h = np.uint64(salt + 1) * _K1
    for c in range(key.shape[0]):
        h ^= key[c] * kcol[c % 64]
    return _mix(h)


@loop_inline
def _memo_find(j, key, mtab, mkey, mid, kcol):
    """(slot, entry) of the memo entry of ``(j, key)``, entry -1 when absent."""
    mask = mtab.shape[0] - 1
    pos = np.int64(_key_hash(j, key, kcol) & np.uint64(mask))
    while True:
        v = np.int64(mtab[pos])
        if v == 0:
            return pos, -1
        e = v - 1
        if mid[e] == j and _row_is(mkey, e, key):
            return pos, e
        pos = (pos + 1) & mask


@loop_inline
def _key_of_row(states, r, keymask, j, key):
    """Is ``key`` step ``j``'s key in state ``r`` (the state's words under the step's key mask)?"""
    for c in range(key.shape[0]):
        if states[r, c] & keymask[j, c] != key[c]:
            return False
    return True


@loop_inline
def _step_find(j, key, mtab, mkey, mref, mid, states, keymask, kcol):
    """(slot, entry) of the step memo's entry of ``(j, key)``, entry -1 when
    absent.  Every entry names the stored state it was first requested for
    (``mref``): that state's words under the step's key mask are the key.
    While the memo is small it also keeps the keys (``mkey``, a row per
    entry): one dependent load less per lookup (compared through the row,
    the searches of v3 big and lamport_mutex took 8-9% longer); a large
    one drops them (``mkey`` of no rows) and compares through the state's
    row, 4 bytes an entry instead of K words (multi_paxos without
    symmetry: a million entries)."""
    if mkey.shape[0] > 0:
        return _memo_find(j, key, mtab, mkey, mid, kcol)
    mask = mtab.shape[0] - 1
    pos = np.int64(_key_hash(j, key, kcol) & np.uint64(mask))
    while True:
        v = np.int64(mtab[pos])
        if v == 0:
            return pos, -1
        e = v - 1
        if mid[e] == j and _key_of_row(states, mref[e], keymask, j, key):
            return pos, e
        pos = (pos + 1) & mask


@njit(cache=True)
def step_memo_rehash(mtab, mref, mid, count, states, keymask, kcol):
    mask = mtab.shape[0] - 1
    key = np.empty(states.shape[1], np.uint64)
    for e in range(count):
        j = mid[e]
        for c in range(key.shape[0]):
            key[c] = states[mref[e], c] & keymask[j, c]
        pos = np.int64(_key_hash(j, key, kcol) & np.uint64(mask))
        while mtab[pos] != 0:
            pos = (pos + 1) & mask
        mtab[pos] = np.int32(e + 1)


@njit(cache=True)
def memo_rehash(mtab, mkey, mid, count, kcol):
    mask = mtab.shape[0] - 1
    for e in range(count):
        pos = np.int64(_key_hash(mid[e], mkey[e], kcol) & np.uint64(mask))
        while mtab[pos] != 0:
            pos = (pos + 1) & mask
        mtab[pos] = np.int32(e + 1)


@njit(cache=True)
def memo_insert_steps(ctl, mtab, mkey, mref, mid, mstart, mcount, mval, states, keymask, kcol, ids, refs, counts, vals,
                      keys):
    """Insert step results: entry r is step ``ids[r]`` at its key in state
    ``refs[r]`` (``keys[r]`` when ``keys`` has rows: a key with a set's
    projection), with ``counts[r]`` values, the next ones of ``vals``.  Keys
    already present are skipped.  The caller made room."""
    key = np.empty(states.shape[1], np.uint64)
    v = 0
    for r in range(ids.shape[0]):
        j = ids[r]
        for c in range(key.shape[0]):
            key[c] = keys[r, c] if keys.shape[0] > 0 else states[refs[r], c] & keymask[j, c]
        pos, e = _step_find(j, key, mtab, mkey, mref, mid, states, keymask, kcol)
        if e < 0:
            e = ctl[MEMO_N]
            ctl[MEMO_N] = e + 1
            mid[e] = j
            mref[e] = np.int32(refs[r])
            if mkey.shape[0] > 0:
                mkey[e, :] = key
            mtab[pos] = np.int32(e + 1)
            mcount[e] = -1
        if mcount[e] < 0:  # new, or a placeholder (requested by the loop)
            start = ctl[VALS_N]
            mstart[e] = start
            mcount[e] = counts[r]
            for x in range(counts[r]):
                mval[start + x, :] = vals[v + x]
            ctl[VALS_N] = start + counts[r]
        v += counts[r]


@njit(cache=True)
def memo_insert_preds(ctl, count, qtab, qkey, qid, qval, kcol, ids, keys, results):
    """Insert (or fill the placeholders of) predicate part results
    (``ctl[count]``: the memo's number of entries)."""
    for r in range(ids.shape[0]):
        pos, e = _memo_find(ids[r], keys[r], qtab, qkey, qid, kcol)
        if e < 0:
            _new_entry(ids[r], keys[r], pos, count, qtab, qkey, qid, qval, results[r], ctl)
        else:
            qval[e] = results[r]


@loop_inline
def _row_field(w, word, sh, two, mask):
    v = w[word] >> np.uint64(sh)
    if two:
        v |= w[word + 1] << np.uint64(64 - sh)
    return v & mask


@loop_inline
def _put_field(w, word, sh, two, mask, v):
    """Set the field of ``w`` at (word, sh, two, mask) to ``v``."""
    w[word] = (w[word] & ~(mask << np.uint64(sh))) | (v << np.uint64(sh))
    if two:
        hi = mask >> np.uint64(64 - sh)
        w[word + 1] = (w[word + 1] & ~hi) | (v >> np.uint64(64 - sh))


@loop_jit
def _project_key(s, j, key, proj, sets):
    """:func:`_step_key` for a step keyed by a projection: the set's field
    of ``key`` becomes the code of the projection the step reads (memoized
    per set and projection).  (Called, not inlined: only such steps take
    it, and inlined at every use it doubled the loop's compile time.)"""
    pj, pplace, pkinds = proj[0], proj[1], proj[2]
    sproj, elem_kind, sel, soff, stab, sctl, stmp = sets
    pm = np.uint64(pplace[3])
    two = pplace[2] != 0
    x = np.int64(_row_field(s, pplace[0], pplace[1], two, pm))
    f = pj[j, 1]
    p = np.int64(sproj[f, x]) - 1
    if p < 0:
        p = set_project(x, pkinds[f], elem_kind, stmp, sel, soff, stab, sctl)
        if p < 0:
            return p
        sproj[f, x] = np.int32(p + 1)
    _put_field(key, pplace[0], pplace[1], two, pm, np.uint64(p))
    return 0


@loop_jit
def _add_to_set(s, t, proj, sets):
    """Successor ``t`` of ``s`` by a step keyed by a projection wrote the
    projection plus what it adds: its set becomes the union with ``s``'s
    (0, or < 0 when the set table needs room or scratch)."""
    pplace = proj[1]
    sel, soff, stab, sctl, stmp = sets[2], sets[3], sets[4], sets[5], sets[6]
    pm = np.uint64(pplace[3])
    two = pplace[2] != 0
    old = np.int64(_row_field(s, pplace[0], pplace[1], two, pm))
    wr = np.int64(_row_field(t, pplace[0], pplace[1], two, pm))
    u = set_union(old, wr, stmp, sel, soff, stab, sctl)
    if u < 0:
        return u
    _put_field(t, pplace[0], pplace[1], two, pm, np.uint64(u))
    return 0


@loop_jit
def _set_image(c, pi, simg):
    """Symmetry: the code of the image under permutation ``pi`` of the set
    of code ``c`` of the loop's table, as ``SetImage`` computes it: each
    element's image (``eimg[pi]``, filled by the driver for the elements
    numbered so far), sorted, interned.  -1 when an element is newer than
    its images here, or the table needs room or scratch: the driver
    computes it then.  (``simg``: the table's arrays with its scratch, the
    element images, (the table's interned slot, elements with images).)"""
    sets, eimg, einfo = simg
    sel, soff, stab, sctl, tmp = sets[2], sets[3], sets[4], sets[5], sets[6]
    lo, hi = soff[c], soff[c + 1]
    n = hi - lo
    if n > tmp.shape[0]:
        return np.int64(-1)
    known = einfo[1]
    for i in range(n):
        x = np.int64(sel[lo + i])
        if x >= known:
            return np.int64(-1)
        v = np.uint32(eimg[pi, x])
        j = i
        while j > 0 and tmp[j - 1] > v:  # (a set is a few dozen elements: insertion)
            tmp[j] = tmp[j - 1]
            j -= 1
        tmp[j] = v
    return set_intern(tmp, n, sel, soff, stab, sctl)


@loop_inline
def _step_key(s, j, keymask, key, proj, sets):
    """Step ``j``'s key in the state of words ``s`` into ``key``: the words
    under its key mask, its set's field replaced by the projection the step
    reads (sets.py).  0, or < 0 when the set table needs room or scratch.
    (``proj``, ``sets``: tuples of arrays, see :func:`run`.)"""
    for c in range(key.shape[0]):
        key[c] = s[c] & keymask[j, c]
    if proj[0][j, 0] == 0:
        return 0
    return _project_key(s, j, key, proj, sets)


#: a step memo entry whose results were requested, not filled yet
_REQUESTED = -1
#: a predicate memo entry requested, not filled yet
_PRED_REQUESTED = 2


@loop_jit
def _request(j, key, pos, e, i, cur, mtab, mkey, mref, mid, mcount, miss_state, miss_step, ctl):
    """Record a miss of step ``j`` at ``key`` (``e``: its entry, -1 when
    absent; ``pos``: the empty slot its probe ended on).

    A missed key gets a placeholder entry, so that the states looked at
    next do not request it again (only the state being expanded does,
    whose fill must not be skipped).  The driver keeps room for as many
    placeholders as the miss buffer holds.  Out of the hot path: not inlined.
    """
    if e >= 0 and i != cur:
        return
    m = ctl[NMISS]
    if m >= miss_state.shape[0]:
        return
    if e < 0:
        e = ctl[MEMO_N]
        ctl[MEMO_N] = e + 1
        mid[e] = j
        mref[e] = np.int32(i)
        if mkey.shape[0] > 0:
            for c in range(key.shape[0]):
                mkey[e, c] = key[c]
        mcount[e] = _REQUESTED
        mtab[pos] = np.int32(e + 1)
    miss_state[m] = i
    miss_step[m] = j
    ctl[NMISS] = m + 1


@loop_inline
def _successors(i, states, inst_w, inst_sh, inst_two, inst_mask, inst_base, inst_codes, disp,
                keymask, notw, mtab, mkey, mref, mid, mstart, mcount, mval, kcol, s, key, succ, succ_step,
                proj, sets):
    """Successors of state ``i`` into ``succ`` (the step of each into
    ``succ_step``): their number, -1 when a step's result is not memoized,
    -2 when ``succ`` (or the set table's scratch) is too small, -3 when the
    set table needs room.  It reads the memos (what a miss needs is
    recorded by :func:`_record_misses`) and only adds to the set table:
    the hot loop has no call that could change what it reads.  A step
    that reads a set's projection wrote the projection plus what it adds:
    the successor's set is the union with the state's."""
    pj, gstep, ggrp, gbit = proj[0], proj[3], proj[4], proj[5]
    k = states.shape[1]
    for c in range(k):
        s[c] = states[i, c]
    n = 0
    for p in range(inst_w.shape[0]):
        pc = _row_field(s, inst_w[p], inst_sh[p], inst_two[p], inst_mask[p])  # s: state i's words
        if pc >= np.uint64(inst_codes[p]):
            continue
        d = inst_base[p] + np.int64(pc)
        held = np.uint64(0)  # the guards of the group that hold
        gg = ggrp[d]
        if gg >= 0:  # the parts' guards, all in one lookup (a plain key)
            _step_key(s, gg, keymask, key, proj, sets)
            pos, e = _step_find(gg, key, mtab, mkey, mref, mid, states, keymask, kcol)
            if e < 0 or mcount[e] < 0:
                return -1
            held = mval[mstart[e], 0]
        for j in range(disp[d, 0], disp[d, 1]):  # the step's parts (gen_steps.split_parts), in order
            g = gstep[j]
            if gbit[j] >= 0:
                if (held >> np.uint64(gbit[j])) & np.uint64(1) == 0:
                    continue
            elif g >= 0:  # its guard first: no result, no successor
                r = _step_key(s, g, keymask, key, proj, sets)
                if r < 0:
                    return -3 if r == -1 else -2
                pos, e = _step_find(g, key, mtab, mkey, mref, mid, states, keymask, kcol)
                if e < 0 or mcount[e] < 0:
                    return -1
                if mcount[e] == 0:
                    continue
            r = _step_key(s, j, keymask, key, proj, sets)
            if r < 0:
                return -3 if r == -1 else -2
            pos, e = _step_find(j, key, mtab, mkey, mref, mid, states, keymask, kcol)
            if e < 0:
                return -1
            cnt = mcount[e]
            if cnt < 0:
                return -1
            if n + cnt > succ.shape[0]:
                return -2
            st = mstart[e]
            for x in range(cnt):
                for c in range(k):
                    succ[n, c] = (s[c] & notw[j, c]) | mval[st + x, c]
                if pj[j, 0] != 0:
                    u = _add_to_set(s, succ[n], proj, sets)
                    if u < 0:
                        return -3 if u == -1 else -2
                succ_step[n] = j
                n += 1
    return n


@loop_jit
def _record_misses(i, cur, states, inst_w, inst_sh, inst_two, inst_mask, inst_base, inst_codes, disp,
                   keymask, mtab, mkey, mref, mid, mstart, mcount, mval, kcol, key, miss_state, miss_step, ctl,
                   proj, sets):
    """Request the results of the steps of state ``i`` that are not
    memoized (False when the set table needs room first)."""
    for p in range(inst_w.shape[0]):
        pc = _row_field(states[i], inst_w[p], inst_sh[p], inst_two[p], inst_mask[p])
        if pc >= np.uint64(inst_codes[p]):
            continue
        d = inst_base[p] + np.int64(pc)
        held = np.uint64(0)
        known = True  # the group's result, if any
        gg = proj[4][d]
        if gg >= 0:
            _step_key(states[i], gg, keymask, key, proj, sets)
            pos, e = _step_find(gg, key, mtab, mkey, mref, mid, states, keymask, kcol)
            if e < 0 or mcount[e] < 0:
                _request(gg, key, pos, e, i, cur, mtab, mkey, mref, mid, mcount, miss_state, miss_step, ctl)
                known = False
            else:
                held = mval[mstart[e], 0]
        for j in range(disp[d, 0], disp[d, 1]):
            g = proj[3][j]
            b = proj[5][j]
            if b >= 0:  # its guard is in the group: the part only where it holds
                if not known or (held >> np.uint64(b)) & np.uint64(1) == 0:
                    continue
            elif g >= 0:  # the guard, then the part only where the guard holds
                if _step_key(states[i], g, keymask, key, proj, sets) < 0:
                    return False
                pos, e = _step_find(g, key, mtab, mkey, mref, mid, states, keymask, kcol)
                if e < 0 or mcount[e] < 0:
                    _request(g, key, pos, e, i, cur, mtab, mkey, mref, mid, mcount, miss_state, miss_step, ctl)
                    continue
                if mcount[e] == 0:
                    continue
            if _step_key(states[i], j, keymask, key, proj, sets) < 0:
                return False
            pos, e = _step_find(j, key, mtab, mkey, mref, mid, states, keymask, kcol)
            if e < 0 or mcount[e] < 0:
                _request(j, key, pos, e, i, cur, mtab, mkey, mref, mid, mcount, miss_state, miss_step, ctl)
    return True


@loop_inline
def _parts_hold(w, q0, q1, tracked_only, pmask, ptrk, qtab, qkey, qid, qval, kcol, key, pm_words, pm_part, ctl,
                record):
    """For the state of words ``w``: 1 if every part ``q0 <= q < q1`` (the
    tracked ones only, with ``tracked_only``) holds, 0 if one is false, -1
    if one is not memoized (requested when ``record``: a placeholder entry
    and the words in the miss buffer)."""
    k = w.shape[0]
    unknown = False
    for q in range(q0, q1):
        if tracked_only and ptrk[q] == 0:
            continue
        for c in range(k):
            key[c] = w[c] & pmask[q, c]
        pos, e = _memo_find(q, key, qtab, qkey, qid, kcol)
        if e >= 0:
            v = qval[e]
            if v == 0:
                return 0
            if v == 1:
                continue
        unknown = True
        if e < 0 and record:
            m = ctl[NPMISS]
            if m < pm_part.shape[0]:
                _new_entry(q, key, pos, PRED_N, qtab, qkey, qid, qval, _PRED_REQUESTED, ctl)
                for c in range(k):
                    pm_words[m, c] = w[c]
                pm_part[m] = q
                ctl[NPMISS] = m + 1
    return -1 if unknown else 1


@loop_jit
def _actions_hold(s, t, asm, atm, atrk, atab, akey, aid, aval, kcol, key2, am_words, am_part, ctl):
    """1 if every tracked action part holds on the step ``s -> t``, 0 if one
    is false, -1 if one is not memoized (requested: a placeholder entry and
    ``t`` in the miss buffer).  A part is keyed by the bits it reads of
    ``s`` and of ``t`` side by side (2K words)."""
    k = s.shape[0]
    unknown = False
    for q in range(asm.shape[0]):
        if atrk[q] == 0:
            continue
        for c in range(k):
            key2[c] = s[c] & asm[q, c]
            key2[k + c] = t[c] & atm[q, c]
        pos, e = _memo_find(q, key2, atab, akey, aid, kcol)
        if e >= 0:
            v = aval[e]
            if v == 0:
                return 0
            if v != 1:
                unknown = True
            continue
        unknown = True
        m = ctl[NAMISS]
        if m < am_part.shape[0]:
            _new_entry(q, key2, pos, ACT_N, atab, akey, aid, aval, _PRED_REQUESTED, ctl)
            for c in range(k):
                am_words[m, c] = t[c]
            am_part[m] = q
            ctl[NAMISS] = m + 1
    return -1 if unknown else 1


@loop_inline
def _row_less(a, b):
    """Is the state of words ``a`` less than ``b`` as packed ints?"""
    for c in range(a.shape[0] - 1, -1, -1):
        if a[c] != b[c]:
            return a[c] < b[c]
    return False


@loop_jit
def _canonical(t, out, img, full, ent, tied, ient, key, kcol, ctl, sm_words, sm_chunk,
               ckeep, cmask, ytab, ykey, yid, yok, yval,
               imask, ifield, idst, itab, ikey, iid, iok, ival, im_code, im_id, simg):
    """Symmetry: the least image of the state ``t`` (its own words
    included) into ``out``, as ``Symmetry.canonical`` computes it: the
    bits no permutation moves, or'ed with each chunk's image, the images
    compared as packed ints (most significant word first); interned slots
    (``ifield``: word, shift, two-words flag, mask of each) are left out of
    that comparison and decide among the permutations tied on the rest
    (their codes' images memoized per (permutation, slot); ``idst``: where
    slot si's image goes under permutation pi).  1 when done; 0 when an
    image is not memoized (requested: a placeholder entry and the chunk's
    bits, or the code, in a miss buffer).  The images of the sets of the
    loop's table (its slot: ``simg[2][0]``) are computed here
    (:func:`_set_image`) while the memo has room beyond its placeholders."""
    k = t.shape[0]
    nc = cmask.shape[0]
    missing = False
    for ci in range(nc):
        for c in range(k):
            key[c] = t[c] & cmask[ci, c]
        pos, e = _memo_find(ci, key, ytab, ykey, yid, kcol)
        if e >= 0 and yok[e] != 0:
            ent[ci] = e
            continue
        missing = True
        if e < 0:
            m = ctl[NSMISS]
            if m < sm_chunk.shape[0]:
                _new_entry(ci, key, pos, SYM_N, ytab, ykey, yid, yok, 0, ctl)
                for c in range(k):
                    sm_words[m, c] = key[c]
                sm_chunk[m] = ci
                ctl[NSMISS] = m + 1
    if missing:
        return 0
    ni = ifield.shape[0]
    for c in range(k):
        out[c] = t[c] & ~imask[c]
    ntied = 1
    tied[0] = -1  # the identity
    for pi in range(yval.shape[1] // k):
        for c in range(k):
            img[c] = t[c] & ckeep[c]
        for ci in range(nc):
            e = ent[ci]
            for c in range(k):
                img[c] |= yval[e, pi * k + c]
        if _row_less(img, out):
            for c in range(k):
                out[c] = img[c]
            tied[0] = pi
            ntied = 1
        elif ni > 0 and not _row_less(out, img):
            tied[ntied] = pi
            ntied += 1
    if ni == 0:
        return 1
    if ntied == 1 and tied[0] < 0:
        for c in range(k):
            out[c] = t[c]
        return 1
    # the interned codes decide among the tied permutations
    for x in range(ntied):
        pi = tied[x]
        if pi < 0:
            continue
        for si in range(ni):
            key[0] = _row_field(t, ifield[si, 0], ifield[si, 1], ifield[si, 2] != 0, np.uint64(ifield[si, 3]))
            pos, e = _memo_find(pi * ni + si, key[:1], itab, ikey, iid, kcol)
            if e >= 0 and iok[e] != 0:
                ient[x * ni + si] = e
                continue
            if e < 0 and si == simg[2][0] and 2 * (ctl[ISYM_N] + im_id.shape[0] + 1) <= itab.shape[0] \
                    and ctl[ISYM_N] + im_id.shape[0] + 1 < iid.shape[0]:
                code = _set_image(np.int64(key[0]), np.int64(pi), simg)
                if code >= 0:
                    e = _new_entry(pi * ni + si, key[:1], pos, ISYM_N, itab, ikey, iid, iok, 1, ctl)
                    ival[e, 0] = np.uint64(code)
                    ient[x * ni + si] = e
                    continue
            missing = True
            if e < 0:
                m = ctl[NIMISS]
                if m < im_id.shape[0]:
                    _new_entry(pi * ni + si, key[:1], pos, ISYM_N, itab, ikey, iid, iok, 0, ctl)
                    im_code[m] = key[0]
                    im_id[m] = pi * ni + si
                    ctl[NIMISS] = m + 1
    if missing:
        return 0
    for x in range(ntied):
        pi = tied[x]
        if pi < 0:
            for c in range(k):
                img[c] = t[c]
        else:
            for c in range(k):
                img[c] = out[c]
            for si in range(ni):
                code = ival[ient[x * ni + si], 0]
                d = pi * ni + si
                word, sh = idst[d, 0], np.uint64(idst[d, 1])
                img[word] |= code << sh
                if idst[d, 2] != 0:
                    img[word + 1] |= code >> (np.uint64(64) - sh)
        if x == 0 or _row_less(img, full):
            for c in range(k):
                full[c] = img[c]
    for c in range(k):
        out[c] = full[c]
    return 1


@njit(cache=True)
def memo_insert_images(ctl, count, ytab, ykey, yid, yok, yval, kcol, ids, keys, imgs):
    """Fill a symmetry memo (``ctl[count]``: its entries): entry ``ids[r]``
    at ``keys[r]`` has the image words ``imgs[r]``."""
    for r in range(ids.shape[0]):
        pos, e = _memo_find(ids[r], keys[r], ytab, ykey, yid, kcol)
        if e < 0:
            e = _new_entry(ids[r], keys[r], pos, count, ytab, ykey, yid, yok, 1, ctl)
        yok[e] = 1
        yval[e, :] = imgs[r]


@loop_jit
def first_failing(first, pend_x, npend, states, pmask, ptrk, qtab, qkey, qid, qval, kcol, pm_words, pm_part, ctl,
                  wk):
    """The first pending state from ``first`` on where a tracked part is
    false (every part filled by now): its position in the pending list,
    ``npend`` when none, -1 - r when state r's parts are still not known
    (``wk``: :func:`.ctl.scratch`'s words)."""
    k = states.shape[1]
    w, key = wk[0, :k], wk[3, :k]
    for r in range(first, npend):
        for c in range(k):
            w[c] = states[pend_x[r], c]
        h = _parts_hold(w, 0, ctl[NINV_PARTS], True, pmask, ptrk, qtab, qkey, qid, qval, kcol, key, pm_words,
                        pm_part, ctl, False)
        if h == 0:
            return r
        if h < 0:
            return -1 - r
    return npend


@loop_inline
def _edge(to, act, edge_to, edge_aid, ctl):
    e = ctl[NEDGES]
    edge_to[e] = np.int32(to)
    edge_aid[e] = np.int32(act)
    ctl[NEDGES] = e + 1


@loop_jit
def run(ctl, states, parents, table, kcol,
        inst_w, inst_sh, inst_two, inst_mask, inst_base, inst_codes, disp,
        keymask, notw, mtab, mkey, mref, mid, mstart, mcount, mval,
        pmask, ptrk, qtab, qkey, qid, qval,
        pcmask, done,
        succ, miss_state, miss_step, pm_words, pm_part, pend_x, pend_gen,
        asm, atm, atrk, atab, akey, aid, aval, am_words, am_part,
        csucc, ckeep, cmask, ytab, ykey, yid, yok, yval, sm_words, sm_chunk,
        imask, ifield, idst, itab, ikey, iid, iok, ival, im_code, im_id,
        succ_step, step_aid, edge_to, edge_aid, edge_start, edge_mask, wk, ent, tied, ient,
        proj, sets, simg):
    """Expand states from ctl[CUR] until the queue is empty, a level ends,
    the budget is spent, or the driver has something to do (the status).

    A new state whose invariant parts are not all memoized, or one of them
    false, is *pending*: stored, with the generated count of the moment;
    the driver fills the parts and settles the pending states in order
    (their violations are recorded as the Python engine records them).

    With symmetry (``ctl[NCHUNKS] > 0``) the successors' canonical forms
    are ``csucc`` (stored, looked up, checked), the successors themselves
    stay in ``succ`` (action properties read the step as it is, as the
    Python engine does); without, ``csucc`` is ``succ``.

    With ``ctl[EDGES_ON]`` (the state graph of a liveness check: no
    symmetry, invariants or action properties) every successor that is not
    a stutter sets its action's bit in ``edge_mask[cur]`` (a row of 64-bit
    words: action ``a`` is bit ``a % 64`` of word ``a // 64``) and, when it is
    stored (found, or new inside the constraint), is an edge
    ``edge_to``/``edge_aid``; the edges of state u are
    ``edge_start[u]:edge_start[u + 1]``, as ``liveness.build_graph`` records them.

    Steps keyed by a projection of an interned set (sets.py): ``proj`` is
    (per step: whether it is and which projection; the set's field: word,
    shift, two words, mask; per projection: its kinds' bits; per step: its
    guard's row, or -1: gen_steps.leading_guard; per dispatch row: its
    guard group's row, or -1; per step: its guard's bit in that group's
    value, or -1: search._Tables._group_guards), ``sets`` the
    table's arrays (``SetTable.arrays``) and its scratch; ``simg``: ``sets``
    with the element images of symmetry (:func:`_set_image`).  (Tuples: a call
    of more than 30 arguments compiles to ``f(*args)``, which numba cannot
    inline.)
    """
    k = states.shape[1]
    s, img, full, key, key2 = wk[0, :k], wk[1, :k], wk[2, :k], wk[3, :k], wk[4, :]  # (scratch)
    ctl[NMISS] = 0
    while True:
        cur = ctl[CUR]
        if ctl[COMMIT] < 0:
            if ctl[N] >= ctl[MAX_STATES]:
                return FULL  # before a level ends, as the Python engine checks after each batch
            if cur == ctl[LEND]:
                if ctl[N] == ctl[LEND]:
                    return DONE
                ctl[LEND] = ctl[N]
                return LEVEL
            if ctl[BUDGET_LEFT] <= 0:
                return BUDGET
            n = _successors(cur, states, inst_w, inst_sh, inst_two, inst_mask, inst_base, inst_codes, disp,
                            keymask, notw, mtab, mkey, mref, mid, mstart, mcount, mval, kcol, s, key, succ, succ_step,
                            proj, sets)
            if n == -2:
                return SCRATCH
            if n == -3:
                return SET_GROW
            if n == -1:
                # request the misses of this state, and of the states queued
                # after it (keys only), so that one round of Python fills
                # many; the states scanned before are not scanned again
                if not _record_misses(cur, cur, states, inst_w, inst_sh, inst_two, inst_mask, inst_base, inst_codes,
                                      disp, keymask, mtab, mkey, mref, mid, mstart, mcount, mval, kcol, key,
                                      miss_state, miss_step, ctl, proj, sets):
                    return SET_GROW
                i = max(cur + 1, ctl[SCANNED])
                last = min(ctl[N], cur + 1 + ctl[LOOKAHEAD])
                while i < last and ctl[NMISS] < miss_state.shape[0]:
                    if not _record_misses(i, cur, states, inst_w, inst_sh, inst_two, inst_mask, inst_base,
                                          inst_codes, disp, keymask, mtab, mkey, mref, mid, mstart, mcount, mval, kcol,
                                          key, miss_state, miss_step, ctl, proj, sets):
                        break  # (the misses so far are filled first; the set table grows on the next call)
                    if ctl[NMISS] >= miss_state.shape[0]:
                        break  # this state's misses may be cut: scanned again next time
                    i += 1
                ctl[SCANNED] = max(ctl[SCANNED], i)
                return MISS
            if ctl[N] + n > states.shape[0] or 2 * (ctl[N] + n) > table.shape[0] or (
                    ctl[EDGES_ON] != 0 and ctl[N] + n >= edge_start.shape[0]):
                ctl[NEED] = n
                return GROW
            if ctl[EDGES_ON] != 0 and ctl[NEDGES] + n > edge_to.shape[0]:
                ctl[NEED] = n
                return EDGE_GROW
            if ctl[NCHUNKS] > 0 and n > 0:
                complete = True
                for r in range(n):
                    if _canonical(succ[r], csucc[r], img, full, ent, tied, ient, key, kcol, ctl, sm_words, sm_chunk,
                                  ckeep, cmask, ytab, ykey, yid, yok, yval,
                                  imask, ifield, idst, itab, ikey, iid, iok, ival, im_code, im_id, simg) == 0:
                        complete = False  # the other successors' misses are requested too
                if not complete:
                    # the successors of the states queued after it too, as for
                    # step misses (succ and csucc are scratch until cur's
                    # successors are computed again)
                    i = max(cur + 1, ctl[SYM_SCANNED])
                    last = min(ctl[N], cur + 1 + ctl[LOOKAHEAD])
                    # the first state whose successors' canonical forms are not all
                    # requested: its steps missed, or a chunk's image did (the
                    # interned codes' images are requested once the chunks' are known)
                    unknown = -1
                    while i < last and ctl[NSMISS] < sm_chunk.shape[0] and ctl[NIMISS] < im_id.shape[0]:
                        n2 = _successors(i, states, inst_w, inst_sh, inst_two, inst_mask, inst_base, inst_codes,
                                         disp, keymask, notw, mtab, mkey, mref, mid, mstart, mcount, mval, kcol, s, key,
                                         succ, succ_step, proj, sets)
                        if n2 < -1:
                            break  # the set table needs room: what is requested so far is filled first
                        if n2 < 0 and unknown < 0:
                            unknown = i
                        for r in range(n2):
                            if _canonical(succ[r], csucc[r], img, full, ent, tied, ient, key, kcol, ctl, sm_words,
                                          sm_chunk, ckeep, cmask, ytab, ykey, yid, yok, yval,
                                          imask, ifield, idst, itab, ikey, iid, iok, ival, im_code, im_id, simg) == 0:
                                if unknown < 0:
                                    unknown = i
                        if ctl[NSMISS] >= sm_chunk.shape[0] or ctl[NIMISS] >= im_id.shape[0]:
                            break  # this state's misses may be cut: scanned again next time
                        i += 1
                    # such a state is scanned again after this round's fill: what
                    # its successors still miss is requested then, with others',
                    # not one state at a time when the loop reaches it
                    ctl[SYM_SCANNED] = unknown if unknown >= 0 else max(ctl[SYM_SCANNED], i)
                    return SYM_MISS
            ctl[GEN] += n
            ctl[BUDGET_LEFT] -= 1
            if n == 0:
                ctl[CUR] = cur + 1
                if ctl[EDGES_ON] != 0:
                    edge_start[cur + 1] = ctl[NEDGES]
                terminal = ctl[NEVER_TERMINAL] == 0
                if terminal:
                    for c in range(k):
                        if (states[cur, c] & pcmask[c]) != done[c]:
                            terminal = False
                            break
                if terminal:
                    ctl[GEN] += 1  # TLC's Terminating step (a stutter) counts as generated
                elif ctl[DEADLOCK_ON] != 0:
                    ctl[VIOL] = cur
                    return DEADLOCK
                continue
            ctl[NSUCC] = n
            start = 0
        else:
            start = ctl[COMMIT]
            ctl[COMMIT] = -1
        n = ctl[NSUCC]
        for c in range(k):
            s[c] = states[cur, c]
        # touch the table slots and stored states the probes below will
        # read, all at once: independent loads overlap their cache misses,
        # where the probes one after the other would wait for each in turn
        shift = np.uint64(ctl[SHIFT])
        touched = np.uint64(0)
        for r in range(start, n):
            v = table[np.int64(_state_hash(csucc[r], kcol) >> shift)]
            if v != 0:
                touched ^= states[np.int64(v) - 1, 0]
        ctl[TOUCHED] = np.int64(touched & np.uint64(1))
        edges = ctl[EDGES_ON] != 0
        for r in range(start, n):
            act = -1  # the step's action (recording the graph)
            if edges:
                if _row_is(succ, r, s):
                    continue  # stuttering is implicit in the graph
                act = step_aid[succ_step[r]]
                edge_mask[cur, act >> 6] |= np.uint64(1) << np.uint64(act & 63)
            if ctl[NATRACKED] > 0:
                # action properties: on every step that changes the state, also to a state seen before
                if not _row_is(succ, r, s):
                    h = _actions_hold(s, succ[r], asm, atm, atrk, atab, akey, aid, aval, kcol, key2, am_words,
                                      am_part, ctl)
                    if h != 1:
                        ctl[COMMIT] = r  # this successor again, once the driver has done its part
                        ctl[VIOL] = r
                        return ACTION if h == 0 else ACTION_MISS
            pos, idx = _find_state(csucc[r], states, table, ctl[SHIFT], kcol)
            if idx >= 0:
                if edges:
                    _edge(idx, act, edge_to, edge_aid, ctl)
                continue
            if ctl[NINV_PARTS] < pmask.shape[0]:
                # the state constraint: a state outside it is checked, not stored
                h = _parts_hold(csucc[r], ctl[NINV_PARTS], pmask.shape[0], False, pmask, ptrk, qtab, qkey, qid, qval,
                                kcol, key, pm_words, pm_part, ctl, True)
                if h < 0:
                    ctl[COMMIT] = r
                    return CONSTRAINT_MISS
                if h == 0:
                    if ctl[NTRACKED] > 0:
                        h = _parts_hold(csucc[r], 0, ctl[NINV_PARTS], True, pmask, ptrk, qtab, qkey, qid, qval,
                                        kcol, key, pm_words, pm_part, ctl, True)
                        if h != 1:
                            ctl[VIOL] = r
                            ctl[COMMIT] = r + 1
                            return OUTSIDE
                    continue
            x = _store(csucc[r], cur, pos, states, parents, table, ctl)
            if edges:
                _edge(x, act, edge_to, edge_aid, ctl)
            if ctl[NTRACKED] > 0:
                h = _parts_hold(csucc[r], 0, ctl[NINV_PARTS], True, pmask, ptrk, qtab, qkey, qid, qval, kcol, key,
                                pm_words, pm_part, ctl, True)
                if h == 1 and ctl[NPEND] == 0:
                    continue
                if h == 1:
                    continue  # holds: nothing for the driver to settle
                p = ctl[NPEND]
                pend_x[p] = x
                pend_gen[p] = ctl[GEN]
                ctl[NPEND] = p + 1
                if h == 0 or p + 1 >= pend_x.shape[0] or ctl[NPMISS] >= pm_part.shape[0]:
                    ctl[COMMIT] = r + 1
                    return PENDING
        ctl[CUR] = cur + 1
        if edges:
            edge_start[cur + 1] = ctl[NEDGES]
