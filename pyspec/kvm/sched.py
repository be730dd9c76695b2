"""Running the implementation: real threads, or one step at a time.

Kernel-style code marks the start of each labelled step with

    sched.point("R2")                      # a scheduling point
    sched.point("W3", until=drained)       # a blocking wait: the step runs
                                           #   once ``drained()`` holds
    sched.note(hit=True)                   # an observed value of this step

and runs unchanged under three schedulers:

* :class:`InlineScheduler` -- no managed threads: points are no-ops (a wait
  whose condition is false raises :class:`WouldBlock`).  The default of a
  :class:`~pyspec.kvm.vm.Kvm`, for unit tests that call the code directly.
* :class:`ThreadedScheduler` -- real ``threading`` threads.  Each step runs
  under one step lock, so steps are atomic and the trace order is the
  execution order; between steps the lock is released (and the thread
  yields), and waits block on a ``threading.Condition``.
* :class:`DeterministicScheduler` -- every managed thread is a real thread,
  but only one runs at a time: at each point it parks and the scheduler
  chooses which enabled thread runs its next step, with a seeded RNG
  (``run()``) or as told from outside (``step(task)``: "run thread T until
  its next scheduling point").  Same seed, same schedule, same trace.

A step's event is emitted when it ends, i.e. when its thread reaches its next
point or returns; by then the thread's ``label`` (its program counter) is
already the next step's, so a state snapshot taken for the event is the state
*after* the step.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .trace import Event, Tracer

Pred = Callable[[], bool]


class Aborted(BaseException):
    """Raised inside a managed thread when its scheduler shuts down."""


class Deadlock(RuntimeError):
    """No managed thread can take a step, and not all of them have ended."""


class WouldBlock(RuntimeError):
    """A wait whose condition is false, outside any scheduler's control."""


class Task:
    """A managed thread: one process instance (a vCPU, the writer, ...)."""

    def __init__(self, sched: _Managed, fn: Callable[..., Any], args: tuple, proc: str, ident: Any, name: str):
        self.sched = sched
        self.fn = fn
        self.args = args
        self.proc = proc
        self.ident = ident
        self.name = name
        self.label: str | None = None  # the next step to run (the pc); None before the first point
        self.until: Pred | None = None  # the pending step's wait condition
        self.step_label: str | None = None  # the step now running
        self.params: dict[str, Any] = {}
        self.done = False
        self.error: BaseException | None = None
        self.failed_at: str | None = None
        self.result: Any = None
        self.steps = 0
        self.go = threading.Semaphore(0)
        self.rng = random.Random(f"{getattr(sched, 'seed', 0)}:{name}")  # jitter of the threaded scheduler
        self.thread = threading.Thread(target=sched._main, args=(self,), name=name, daemon=True)

    @property
    def pc(self) -> str | None:
        """The next step's label; "Done" once the thread has ended."""
        return "Done" if self.done else self.label

    def enabled(self) -> bool:
        return not self.done and (self.until is None or bool(self.until()))

    def __repr__(self) -> str:
        return f"<Task {self.name} at {self.pc}>"


class InlineScheduler:
    """Points are no-ops; for code run directly by the calling thread."""

    tracer: Tracer | None = None

    def current(self) -> Task | None:
        return None

    def point(self, label: str, until: Pred | None = None, **params: Any) -> None:
        if until is not None and not until():
            raise WouldBlock(f"{label}: would block outside a scheduler")

    def note(self, **observed: Any) -> None:
        pass

    def notify(self) -> None:
        pass


INLINE = InlineScheduler()


class _Managed:
    """What the threaded and the deterministic scheduler share."""

    def __init__(self, tracer: Tracer | None = None):
        self.tracer = tracer
        self.tasks: list[Task] = []
        self._local = threading.local()

    # -- called from managed threads

    def current(self) -> Task | None:
        return getattr(self._local, "task", None)

    def note(self, **observed: Any) -> None:
        t = self.current()
        if t is not None and t.step_label is not None:
            t.params.update(observed)

    def notify(self) -> None:
        pass

    def _end_step(self, t: Task, next_label: str | None) -> Event | None:
        """The running step of ``t`` ends; ``t`` will next run ``next_label``."""
        t.label = next_label
        if t.step_label is None:
            return None
        label, params = t.step_label, t.params
        t.step_label, t.params = None, {}
        t.steps += 1
        if self.tracer is None:
            return None
        return self.tracer.emit(t.proc, t.ident, label, params)

    def _begin_step(self, t: Task, label: str, params: dict[str, Any]) -> None:
        t.until = None
        t.step_label = label
        t.params = dict(params)

    # -- inspection

    def task(self, proc: str, ident: Any = None) -> Task:
        for t in self.tasks:
            if t.proc == proc and t.ident == ident:
                return t
        raise KeyError((proc, ident))

    def live(self) -> list[Task]:
        return [t for t in self.tasks if not t.done]

    def _raise_errors(self) -> None:
        for t in self.tasks:
            if t.error is not None:
                raise RuntimeError(f"{t.name} failed in step {t.failed_at}: {t.error!r}") from t.error


class DeterministicScheduler(_Managed):
    """One managed thread runs at a time; the schedule is a function of the seed.

    ``spawn`` starts a thread and lets it run to its first point.  ``step(t)``
    runs ``t``'s pending step (and whatever unlabelled code follows it) up
    to ``t``'s next point and returns the step's event.  ``run()`` repeats
    ``step`` on a thread chosen uniformly among the enabled ones with
    ``random.Random(seed)`` (or with ``policy(enabled, rng)``).
    """

    def __init__(self, seed: int | str | None = 0, tracer: Tracer | None = None,
                 policy: Callable[[list[Task], random.Random], Task] | None = None):
        super().__init__(tracer)
        self.seed = seed
        self.rng = random.Random(seed)
        self.policy = policy
        self._back = threading.Semaphore(0)
        self._aborting = False
        self._last: Event | None = None
        self.schedule: list[str] = []  # names of the tasks stepped, in order

    def spawn(self, fn: Callable[..., Any], *args: Any, proc: str, ident: Any = None, name: str | None = None) -> Task:
        t = Task(self, fn, args, proc, ident, name or (proc if ident is None else f"{proc}{ident}"))
        self.tasks.append(t)
        t.thread.start()
        self._back.acquire()  # runs up to its first point (or to its end)
        self._raise_errors()
        return t

    def _main(self, t: Task) -> None:
        self._local.task = t
        try:
            t.result = t.fn(*t.args)
        except Aborted:
            return
        except BaseException as e:  # reported by the driving thread
            t.error, t.failed_at, t.step_label = e, t.step_label or t.label, None
        if not self._aborting:
            try:
                self._last = self._end_step(t, "Done")
            except BaseException as e:
                t.error = t.error or e
        t.done = True
        t.until = None
        self._back.release()

    def point(self, label: str, until: Pred | None = None, **params: Any) -> None:
        t = self.current()
        if t is None:
            INLINE.point(label, until, **params)
            return
        self._last = self._end_step(t, label)
        t.until = until
        self._back.release()
        t.go.acquire()
        if self._aborting:
            raise Aborted
        self._begin_step(t, label, params)

    # -- driving from outside

    def enabled(self) -> list[Task]:
        return [t for t in self.tasks if t.enabled()]

    def step(self, t: Task | str) -> Event | None:
        """Run ``t`` (a task or its name) until its next scheduling point."""
        if isinstance(t, str):
            t = next(x for x in self.tasks if x.name == t)
        if t.done:
            raise ValueError(f"{t.name} has ended")
        if t.until is not None and not t.until():
            raise ValueError(f"{t.name} is blocked at {t.label}")
        self._last = None
        self.schedule.append(t.name)
        t.go.release()
        self._back.acquire()
        self._raise_errors()
        return self._last

    def choose(self, enabled: list[Task]) -> Task:
        if self.policy is not None:
            return self.policy(enabled, self.rng)
        return enabled[self.rng.randrange(len(enabled))]

    def run(self, max_steps: int | None = None) -> int:
        """Run seeded random steps until every thread has ended; the number of steps."""
        n = 0
        while self.live():
            if max_steps is not None and n >= max_steps:
                break
            enabled = self.enabled()
            if not enabled:
                raise Deadlock("no thread can move: " + ", ".join(f"{t.name} at {t.label}" for t in self.live()))
            self.step(self.choose(enabled))
            n += 1
        return n

    def run_until(self, cond: Pred, names: Iterable[str] | None = None, max_steps: int = 10_000) -> int:
        """Seeded random steps (of the named threads only, if given) until ``cond()``."""
        allowed = None if names is None else set(names)
        n = 0
        while not cond():
            enabled = [t for t in self.enabled() if allowed is None or t.name in allowed]
            if not enabled or n >= max_steps:
                raise Deadlock("run_until: no allowed thread can move")
            self.step(self.choose(enabled))
            n += 1
        return n

    def close(self) -> None:
        """Abort the threads that have not ended (they raise :class:`Aborted`)."""
        self._aborting = True
        for t in self.tasks:
            if not t.done and t.thread.is_alive():
                t.go.release()
        for t in self.tasks:
            t.thread.join(timeout=5)

    def __enter__(self) -> DeterministicScheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ThreadedScheduler(_Managed):
    """Real threads; each step runs under one lock, waits use a Condition.

    ``jitter`` is the probability that a thread sleeps a few microseconds
    after a step (besides always yielding the GIL), to vary interleavings;
    the sleeps are drawn from a per-thread ``random.Random(f"{seed}:{name}")``,
    but the interleaving itself is the operating system's: a threaded run is
    not reproducible, its trace is (it is recorded in execution order).
    """

    def __init__(self, tracer: Tracer | None = None, seed: int | str | None = 0, jitter: float = 0.3,
                 timeout: float = 60.0):
        super().__init__(tracer)
        self.seed = seed
        self.jitter = jitter
        self.timeout = timeout
        self._cond = threading.Condition(threading.Lock())
        self._deadlock = False

    def spawn(self, fn: Callable[..., Any], *args: Any, proc: str, ident: Any = None, name: str | None = None) -> Task:
        t = Task(self, fn, args, proc, ident, name or (proc if ident is None else f"{proc}{ident}"))
        self.tasks.append(t)
        return t

    def run(self) -> None:
        for t in self.tasks:
            t.thread.start()
        deadline = time.monotonic() + self.timeout
        for t in self.tasks:
            t.thread.join(max(0.0, deadline - time.monotonic()))
        if any(t.thread.is_alive() for t in self.tasks):
            with self._cond:
                self._deadlock = True
                self._cond.notify_all()
            raise Deadlock("timeout: " + ", ".join(f"{t.name} at {t.label}" for t in self.live()))
        self._raise_errors()
        if self._deadlock:
            raise Deadlock("no thread can move: " + ", ".join(f"{t.name} at {t.label}" for t in self.live()))
        self._raise_errors()

    def _main(self, t: Task) -> None:
        self._local.task = t
        with self._cond:
            try:
                t.result = t.fn(*t.args)
            except Aborted:
                pass
            except BaseException as e:
                t.error, t.failed_at, t.step_label = e, t.step_label or t.label, None
            try:
                self._end_step(t, "Done")
            except BaseException as e:
                t.error = t.error or e
            t.done = True
            t.until = None
            self._cond.notify_all()

    def notify(self) -> None:
        pass  # every step end notifies

    def _all_blocked(self) -> bool:
        return all(t.until is not None and not t.until() for t in self.tasks
                   if not t.done and t.thread.is_alive())

    def point(self, label: str, until: Pred | None = None, **params: Any) -> None:
        t = self.current()
        if t is None:
            INLINE.point(label, until, **params)
            return
        # we hold the step lock
        self._end_step(t, label)
        t.until = until
        self._cond.notify_all()
        self._cond.release()
        try:
            if t.rng.random() < self.jitter:
                time.sleep(t.rng.random() * 2e-5)
            else:
                time.sleep(0)
        finally:
            self._cond.acquire()
        if until is not None:
            while not until():
                if self._deadlock:
                    raise Aborted
                if self._all_blocked():
                    self._deadlock = True
                    self._cond.notify_all()
                    raise Aborted
                self._cond.wait(0.05)
        if self._deadlock:
            raise Aborted
        self._begin_step(t, label, params)


class ConditionScheduler:
    """Plain threads with no step lock (SRCU used on its own): a wait blocks
    on a ``threading.Condition`` until its condition holds; ``notify()``
    wakes the waiters (they also re-check every few milliseconds)."""

    tracer: Tracer | None = None

    def __init__(self, poll: float = 0.005):
        self._cond = threading.Condition()
        self.poll = poll

    def current(self) -> Task | None:
        return None

    def point(self, label: str, until: Pred | None = None, **params: Any) -> None:
        if until is None:
            return
        with self._cond:
            while not until():
                self._cond.wait(self.poll)

    def note(self, **observed: Any) -> None:
        pass

    def notify(self) -> None:
        with self._cond:
            self._cond.notify_all()


class SchedMutex:
    """A sleeping lock (a kernel mutex) that schedulers can see.

    ``lock(label)`` takes it, waiting at the scheduling point ``label`` only
    if it is held.  Usable from managed threads of either scheduler, from
    plain threads under a :class:`ConditionScheduler`, and from plain code
    (where a held lock raises :class:`WouldBlock`).
    """

    def __init__(self, sched_of: Callable[[], Any]):
        self._sched_of = sched_of
        self._guard = threading.Lock()
        self.owner: Any = None

    def lock(self, label: str) -> None:
        sched = self._sched_of()
        me = sched.current() or threading.current_thread()
        while True:
            with self._guard:
                if self.owner is None:
                    self.owner = me
                    return
            sched.point(label, until=lambda: self.owner is None)

    def unlock(self) -> None:
        with self._guard:
            self.owner = None
        self._sched_of().notify()

    def locked(self) -> bool:
        return self.owner is not None
