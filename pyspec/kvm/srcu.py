"""Sleepable RCU, the classic counter-based algorithm (kernel/rcu/srcu.c as
rewritten by Lai Jiangshan in 2012, the SRCU that KVM used through the years
modelled here).

Readers never block and never write shared cache lines: each CPU (here:
each thread) has its own counters.  ``srcu_read_lock`` reads the current
index (``completed & 1``) and counts one lock on that index; it returns the
index, which the reader hands back to ``srcu_read_unlock``, which counts one
unlock on the same index.  The counts only grow; a reader is active on index
``i`` while the locks of ``i`` outnumber its unlocks.

``synchronize_srcu`` waits twice, once per index:

1. wait until the *inactive* index has no active reader -- readers that read
   the index before the previous flip but counted themselves only after the
   previous grace period had checked it;
2. flip the index (``completed += 1``): readers that start from now on count
   on the other index and are not waited for;
3. wait until the index that was active before the flip has no active reader.

So it returns only after every reader that was inside a read-side section
when it started has left, and a reader that enters after the flip does not
hold it up.

The waits go through a scheduler (:mod:`pyspec.kvm.sched`): scheduling points
``<label>.scan1`` and ``<label>`` under the KVM harness, a Condition wait
when SRCU is used on its own with plain threads.
"""

from __future__ import annotations

import threading
from typing import Any

from .sched import ConditionScheduler, SchedMutex


class SRCU:
    """An srcu_struct."""

    def __init__(self, sched: Any = None, lock_point: str | None = None):
        self.sched = sched if sched is not None else ConditionScheduler()
        self.completed = 0
        # One [lock0, lock1, unlock0, unlock1] list per thread ("per CPU").
        self._percpu: list[list[int]] = []
        self._registry = threading.Lock()
        self._tls = threading.local()
        self.mutex = SchedMutex(lambda: self.sched)
        # When set, srcu_read_lock has a scheduling point with this label
        # between reading the index and counting the reader (the window the
        # first scan of synchronize_srcu exists for).
        self.lock_point = lock_point
        self.grace_periods = 0

    # ------------------------------------------------------------ readers

    def _this_cpu(self) -> list[int]:
        c = getattr(self._tls, "counts", None)
        if c is None:
            c = [0, 0, 0, 0]
            with self._registry:
                self._percpu.append(c)
            self._tls.counts = c
        return c

    def read_lock(self) -> int:
        idx = self.completed & 1
        if self.lock_point is not None:
            self.sched.point(self.lock_point)
        self._this_cpu()[idx] += 1
        return idx

    def read_unlock(self, idx: int) -> None:
        self._this_cpu()[2 + idx] += 1
        self.sched.notify()

    # ------------------------------------------------------------ counting

    def _snapshot(self) -> list[list[int]]:
        with self._registry:
            return list(self._percpu)

    def readers_lock_idx(self, idx: int) -> int:
        return sum(c[idx] for c in self._snapshot())

    def readers_unlock_idx(self, idx: int) -> int:
        return sum(c[2 + idx] for c in self._snapshot())

    def readers_active_idx_check(self, idx: int) -> bool:
        """No reader active on ``idx``: sum the unlocks first, then the locks
        (a reader that both locks and unlocks between the two sums makes the
        check fail, never pass wrongly)."""
        unlocks = self.readers_unlock_idx(idx)
        return self.readers_lock_idx(idx) == unlocks

    def readers_active(self) -> int:
        """How many readers are inside a read-side section now."""
        return sum(c[0] + c[1] - c[2] - c[3] for c in self._snapshot())

    # ------------------------------------------------------------ updaters

    def flip(self) -> None:
        self.completed += 1

    def synchronize(self, label: str = "synchronize_srcu") -> None:
        """synchronize_srcu(): wait for every pre-existing reader."""
        self.mutex.lock(f"{label}.mutex")
        try:
            idx = (self.completed - 1) & 1  # the inactive index
            self.sched.point(f"{label}.scan1", until=lambda: self.readers_active_idx_check(idx), idx=idx)
            self.flip()
            idx = (self.completed - 1) & 1  # active until the flip
            self.sched.point(label, until=lambda: self.readers_active_idx_check(idx), idx=idx)
            self.grace_periods += 1
        finally:
            self.mutex.unlock()


def srcu_read_lock(sp: SRCU) -> int:
    return sp.read_lock()


def srcu_read_unlock(sp: SRCU, idx: int) -> None:
    sp.read_unlock(idx)


def synchronize_srcu(sp: SRCU, label: str = "synchronize_srcu") -> None:
    sp.synchronize(label)


def synchronize_srcu_expedited(sp: SRCU, label: str = "synchronize_srcu") -> None:
    sp.synchronize(label)
