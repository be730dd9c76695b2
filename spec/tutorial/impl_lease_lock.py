"""A lock service with leases and fencing tokens, and a storage service, as
plain Python: the implementation that docs/tutorial.md checks against
spec/tutorial/lease_lock.pyspec.

Nothing here knows about pyspec.  Two things make the code testable:

- every actor (the clock, each client) is a small state machine whose
  ``step()`` does one step, so that a scheduler (the random one in
  :meth:`LeaseLockSystem.run`, or a test) decides the interleaving, the way
  the network and the operating system do in a real deployment;
- every step reports what its actor knows afterwards to ``log``, as one
  JSON-ready event; a run's events are the trace that pyspec.conformance
  validates.

``LeaseLockSystem(fence_reads=False)`` is a buggy variant: its storage checks
fencing tokens on writes only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]


class LockServer:
    """Grants one lease at a time; a lease ends ``lease`` ticks after its grant."""

    def __init__(self, lease: int):
        self.lease = lease
        self.now = 0
        self.holder: str | None = None
        self.expires = 0
        self.next_token = 1

    def tick(self) -> None:
        self.now += 1

    def lease_free(self) -> bool:
        return self.holder is None or self.now >= self.expires

    def grant(self, client: str) -> int:
        """Grant the lease to ``client``; returns its fencing token."""
        if not self.lease_free():
            raise RuntimeError(f"lease held by {self.holder} until {self.expires}")
        self.holder, self.expires = client, self.now + self.lease
        token, self.next_token = self.next_token, self.next_token + 1
        return token

    def holds(self, client: str) -> bool:
        return self.holder == client and self.now < self.expires

    def release(self, client: str) -> None:
        if self.holder == client:
            self.holder = None


class StaleToken(Exception):
    """The storage refused a request: it has seen a newer fencing token."""


class Storage:
    """A counter that admits a request only if its fencing token is at least
    the newest one seen so far."""

    def __init__(self, fence_reads: bool = True):
        self.fence_reads = fence_reads
        self.value = 0
        self.fence = 0
        self.refusals = 0

    def _admit(self, token: int) -> None:
        if token < self.fence:
            self.refusals += 1
            raise StaleToken(f"token {token} < {self.fence}")
        self.fence = token

    def read(self, token: int) -> int:
        if self.fence_reads:
            self._admit(token)
        return self.value

    def write(self, token: int, value: int) -> None:
        self._admit(token)
        self.value = value


class Clock:
    """The lock server's clock, advanced by the scheduler up to a limit."""

    def __init__(self, server: LockServer, limit: int):
        self.server = server
        self.limit = limit

    @property
    def next_step(self) -> str:
        return "tick" if self.server.now < self.limit else "Done"

    def ready(self) -> bool:
        return self.next_step != "Done"

    def step(self) -> dict[str, Any]:
        self.server.tick()
        return {"now": self.server.now}


class Client:
    """Increments the storage's counter once: acquire the lease, read, confirm
    the lease, write, release.  A refused request or a lost lease sends it
    back to ``acquire``.  ``next_step`` names the step it takes next."""

    def __init__(self, name: str, server: LockServer, storage: Storage):
        self.name = name
        self.server = server
        self.storage = storage
        self.next_step = "acquire"
        self.token = 0
        self.seen = 0
        self.wrote = False

    def ready(self) -> bool:
        if self.next_step == "acquire":
            return self.server.lease_free()
        return self.next_step != "Done"

    def step(self) -> dict[str, Any]:
        """Take the next step; returns what this client knows afterwards."""
        knows: dict[str, Any] = {}
        at = self.next_step
        if at == "acquire":
            self.token = self.server.grant(self.name)
            self.next_step = "read"
        elif at == "read":
            try:
                self.seen = self.storage.read(self.token)
                self.next_step = "confirm"
            except StaleToken:
                self.next_step = "acquire"
        elif at == "confirm":
            self.next_step = "write" if self.server.holds(self.name) else "acquire"
        elif at == "write":
            try:
                self.storage.write(self.token, self.seen + 1)
                self.wrote = True
                self.next_step = "release"
                knows["value"] = self.seen + 1
            except StaleToken:
                self.next_step = "acquire"
        elif at == "release":
            self.server.release(self.name)
            self.next_step = "Done"
        else:
            raise RuntimeError(f"client {self.name} has finished")
        knows.update({"client.pc": self._entry(self.next_step), "client.token": self._entry(self.token),
                      "client.seen": self._entry(self.seen)})
        return knows

    def _entry(self, value: Any) -> dict[str, Any]:
        """This client's entry of a per-client map, in ITF JSON."""
        return {"#map": [[self.name, value]]}


class LeaseLockSystem:
    """A lock server, a storage, a clock and the clients, wired together."""

    def __init__(self, clients: tuple[str, ...] = ("c1", "c2"), lease: int = 2, max_time: int = 4,
                 fence_reads: bool = True, log: Callable[[Event], None] | None = None):
        self.server = LockServer(lease)
        self.storage = Storage(fence_reads)
        self.clock = Clock(self.server, max_time)
        self.clients = {c: Client(c, self.server, self.storage) for c in clients}
        self.log = log

    def actor(self, process: str, who: str | None):
        return self.clock if process == "clock" else self.clients[who]

    def ready(self) -> list[tuple[str, str | None, str]]:
        """The steps that can happen now: (process, client or None, step)."""
        out: list[tuple[str, str | None, str]] = []
        if self.clock.ready():
            out.append(("clock", None, "tick"))
        out.extend(("client", c.name, c.next_step) for c in self.clients.values() if c.ready())
        return out

    def perform(self, process: str, who: str | None, step: str) -> None:
        """Take one step, which must be the named actor's next step."""
        actor = self.actor(process, who)
        if actor.next_step != step:
            raise RuntimeError(f"{process} {who or ''} is at {actor.next_step}, not {step}")
        knows = actor.step()
        if self.log is not None:
            self.log({"process": process, "self": who, "label": step, "observed": knows})

    def run(self, seed: int, max_steps: int = 100) -> None:
        """Random interleaving (reproducible from ``seed``) until nothing can happen."""
        rng = random.Random(seed)
        for _ in range(max_steps):
            steps = self.ready()
            if not steps:
                return
            self.perform(*rng.choice(steps))

    @property
    def increments(self) -> int:
        return sum(c.wrote for c in self.clients.values())
