"""What the compiled loop (:mod:`.kernel`) and its driver (:mod:`.search`)
share without numba: the status codes the loop returns, the slots of its
``ctl`` array, and the arrays the driver gives it once per search."""

from __future__ import annotations

import numpy as np

# status codes returned by run()
DONE = 0  # the queue is empty
LEVEL = 1  # a level was expanded: the next one starts (ctl[LEND] moved)
BUDGET = 2  # the budget of expansions for this call is used up
MISS = 3  # step lookups missed: see the miss buffers
GROW = 4  # the store or its table needs room for ctl[NEED] more states
PENDING = 5  # the pending buffers are full, or a new state violates an invariant part
DEADLOCK = 6  # state ctl[VIOL] has no successor and is not terminal
SCRATCH = 7  # a state has more successors than the scratch buffer holds
CONSTRAINT_MISS = 8  # a successor's constraint parts are not all memoized (requested)
OUTSIDE = 9  # successor ctl[VIOL] of ctl[CUR] is outside the constraint and its invariants are not known true
FULL = 10  # ctl[MAX_STATES] states are stored (--max-states)
ACTION = 11  # the step from ctl[CUR] to its successor ctl[VIOL] violates a tracked action property
ACTION_MISS = 12  # that step's action parts are not all memoized (requested)
SYM_MISS = 13  # the images of a successor's chunks are not all memoized (requested; symmetry)
EDGE_GROW = 14  # the edge arrays need room for ctl[NEED] more edges (recording the state graph)
SET_GROW = 15  # the table of interned sets (sets.py) needs room; SCRATCH when its scratch is too small

# ctl slots
CUR = 0  # the state being expanded
N = 1  # states stored
GEN = 2  # states generated (TLC's count)
LEND = 3  # one past the last state of the level being expanded
SHIFT = 4  # the seen table's hash shift (64 - log2 size)
DEADLOCK_ON = 5
COMMIT = 6  # -1, or the successor of ctl[CUR] to store next (after an INVARIANT stop)
NSUCC = 7  # successors of ctl[CUR] in the scratch buffer
BUDGET_LEFT = 8
NMISS = 9  # step misses recorded
NPMISS = 10  # predicate misses recorded (of pending states)
VIOL = 11
MEMO_N = 12  # entries of the step memo
VALS_N = 13  # values of the step memo
PRED_N = 14  # entries of the predicate memo
NEVER_TERMINAL = 15
NEED = 16
LOOKAHEAD = 17  # states scanned for more misses after one misses
NTRACKED = 18  # tracked predicate parts
SCANNED = 19  # states before it were scanned for step misses
NPEND = 20  # pending states: stored, their invariants not known (or false)
NINV_PARTS = 21  # parts 0..NINV_PARTS-1 are the invariants', the others the state constraint's
TOUCHED = 22  # (a sink for the prefetching loads, so that they are not optimised away)
MAX_STATES = 23  # stop before expanding a state once this many are stored
NATRACKED = 24  # tracked action property parts
NAMISS = 25  # action part misses recorded (successors of ctl[CUR])
ACT_N = 26  # entries of the action memo
NCHUNKS = 27  # symmetry: chunks of moved slots (0: no symmetry)
SYM_N = 28  # entries of the symmetry memo
NSMISS = 29  # symmetry memo misses recorded
SYM_SCANNED = 30  # states before it were scanned for symmetry misses
ISYM_N = 31  # entries of the memo of interned codes' images
NIMISS = 32  # its misses recorded
EDGES_ON = 33  # record the state graph: every edge to a stored state, with its action (liveness)
NEDGES = 34  # edges recorded
CTL_SIZE = 40


def column_keys() -> np.ndarray:
    """Per column, the multiplier of :meth:`StateStore._hash`."""
    return np.array([(0x9E3779B97F4A7C15 * (2 * c + 1)) & ((1 << 64) - 1) for c in range(64)], dtype=np.uint64)


def scratch(k: int, nchunks: int, nperms: int, ninterned: int) -> tuple[np.ndarray, ...]:
    """The scratch arrays of :func:`.kernel.run` (which allocates nothing), for
    states of ``k`` words, ``nchunks`` symmetry chunks, ``nperms``
    permutations and ``ninterned`` interned slots: ``wk``, five rows of 2K
    words (a state, its image, the least full image, a key, an action
    key); the memo entries of the chunks' images; the tied permutations
    (the identity and every permutation); the interned slots' images of
    each tied permutation."""
    nt = max(nperms, 1) + 1
    return (np.zeros((5, 2 * k), np.uint64), np.zeros(max(nchunks, 1), np.int64), np.zeros(nt, np.int64),
            np.zeros(max(1, nt * ninterned), np.int64))
