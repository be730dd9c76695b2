"""SRCU: synchronize waits exactly for the readers that were inside when it
started; a reader that enters after the flip does not hold it up."""

import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from pyspec.kvm.sched import DeterministicScheduler
from pyspec.kvm.srcu import SRCU

# ---------------------------------------------------------------- real threads


def test_threads_synchronize_waits_for_a_pre_existing_reader_only():
    srcu = SRCU()
    a_in, a_go, b_in, b_go = (threading.Event() for _ in range(4))
    idx = {}

    def reader(name, entered, go):
        idx[name] = srcu.read_lock()
        entered.set()
        go.wait(10)
        srcu.read_unlock(idx[name])

    a = threading.Thread(target=reader, args=("a", a_in, a_go))
    a.start()
    assert a_in.wait(5)
    done = threading.Event()
    w = threading.Thread(target=lambda: (srcu.synchronize(), done.set()))
    w.start()
    deadline = time.monotonic() + 5
    while srcu.completed == 0 and time.monotonic() < deadline:  # wait for the flip
        time.sleep(0.001)
    assert srcu.completed == 1
    b = threading.Thread(target=reader, args=("b", b_in, b_go))
    b.start()
    assert b_in.wait(5)
    assert idx["b"] != idx["a"]
    assert not done.wait(0.2), "synchronize returned while a pre-existing reader was inside"
    a_go.set()
    assert done.wait(5), "synchronize waited for a reader that entered after the flip"
    assert srcu.readers_active() == 1  # b is still inside
    b_go.set()
    for t in (a, b, w):
        t.join(5)
    assert srcu.readers_active() == 0


def test_threads_many_readers_and_updaters():
    srcu = SRCU()
    inside = set()  # (reader, round): one read-side section each
    guard = threading.Lock()
    errors = []

    def reader(n):
        for k in range(300):
            i = srcu.read_lock()
            with guard:
                inside.add((n, k))
            if k % 7 == 0:
                time.sleep(0.0005)
            with guard:
                inside.discard((n, k))
            srcu.read_unlock(i)

    def updater():
        for _ in range(20):
            with guard:
                before = set(inside)
            srcu.synchronize()
            with guard:
                if before & inside:
                    errors.append((before, set(inside)))

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)] + \
              [threading.Thread(target=updater) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert srcu.readers_active() == 0 and not errors
    assert srcu.grace_periods == 40


# ---------------------------------------------------------------- deterministic


def reader(sched, srcu, log, name, rounds=1):
    for _ in range(rounds):
        sched.point("lock")
        i = srcu.read_lock()
        log.append((name, "in", i))
        sched.point("unlock")
        log.append((name, "out", i))
        srcu.read_unlock(i)


def updater(sched, srcu, rounds=1):
    for _ in range(rounds):
        sched.point("sync")
        srcu.synchronize("gp")


def test_deterministic_synchronize_waits_exactly_for_pre_existing_readers():
    sched = DeterministicScheduler(0)
    srcu = SRCU(sched)
    log = []
    a = sched.spawn(reader, sched, srcu, log, "a", proc="reader", ident="a")
    w = sched.spawn(updater, sched, srcu, proc="writer")
    b = sched.spawn(reader, sched, srcu, log, "b", proc="reader", ident="b")
    sched.step(a)  # a inside, on index 0
    sched.step(w)  # synchronize starts: at gp.scan1
    assert w.label == "gp.scan1" and w.enabled()  # index 1 has no reader
    sched.step(w)  # scan1 passes, flip: now waiting for index 0
    assert w.label == "gp" and not w.enabled()
    sched.step(b)  # b enters after the flip, on index 1
    assert log[-1] == ("b", "in", 1)
    assert not w.enabled()
    sched.step(a)  # a leaves
    assert w.enabled(), "b entered after the flip and must not hold synchronize up"
    sched.step(w)
    assert w.done and b.label == "unlock"
    sched.run()
    sched.close()


def test_deterministic_first_scan_catches_a_reader_that_counted_itself_late():
    """A reader reads the index, is preempted before counting itself, and is
    counted on what has become the inactive index: the next grace period's
    first scan must wait for it."""
    sched = DeterministicScheduler(0)
    srcu = SRCU(sched, lock_point="lock.count")
    log = []
    r = sched.spawn(reader, sched, srcu, log, "r", proc="reader", ident="r")
    w = sched.spawn(updater, sched, srcu, 2, proc="writer")
    sched.step(r)  # read index 0, parked before counting
    assert r.label == "lock.count"
    while w.label != "sync" or srcu.grace_periods == 0:  # a whole grace period: r is not counted yet
        sched.step(w)
    assert srcu.grace_periods == 1 and srcu.completed == 1
    sched.step(r)  # now counted on index 0, the inactive one
    assert log[-1] == ("r", "in", 0)
    sched.step(w)  # second synchronize: first scan, on index 0
    assert w.label == "gp.scan1" and not w.enabled()
    sched.step(r)  # r leaves
    assert w.enabled()
    sched.run()
    sched.close()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 3), st.integers(1, 3), st.booleans())
def test_deterministic_grace_period_property(seed, readers, updaters, split_lock):
    """Under any schedule: when synchronize returns, no reader that was inside
    (counted) when it started is still inside."""
    sched = DeterministicScheduler(seed)
    srcu = SRCU(sched, lock_point="lock.count" if split_lock else None)
    inside: set[tuple[str, int]] = set()
    violations = []

    def rd(name):
        for k in range(3):
            sched.point("lock")
            i = srcu.read_lock()
            inside.add((name, k))  # one read-side section
            sched.point("unlock")
            inside.discard((name, k))
            srcu.read_unlock(i)

    def up():
        for _ in range(2):
            sched.point("sync")
            before = set(inside)
            srcu.synchronize("gp")
            if before & inside:
                violations.append((before, set(inside)))

    for n in range(readers):
        sched.spawn(rd, f"r{n}", proc="reader", ident=n)
    for n in range(updaters):
        sched.spawn(up, proc="updater", ident=n)
    sched.run()
    sched.close()
    assert not violations
    assert srcu.readers_active() == 0 and srcu.grace_periods == 2 * updaters
