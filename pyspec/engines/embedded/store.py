"""The state store of a breadth-first search.

States are packed ints (:mod:`pyspec.compile.layout`).  The store keeps

- ``seen``: a Python set of the packed states (exact, no fingerprint
  collisions);
- ``states``: every distinct state in the order it was found, which is
  also the BFS queue (a cursor walks it) and what traces are read from;
- ``parents``: for each state the index of the state it was found from
  (-1 for initial states), a 4-byte array.

Memory per distinct state: the int object (28 bytes up to 30 bits, +4 per
30 bits more), a set slot (16 bytes at 30-60% load), a list pointer (8) and
a parent index (4): about 75-90 bytes.
"""

from __future__ import annotations

from array import array


class StateStore:
    __slots__ = ("seen", "states", "parents", "level_ends")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.states: list[int] = []
        self.parents = array("i")
        self.level_ends: list[int] = []  # index one past the last state of each level

    def __len__(self) -> int:
        return len(self.states)

    def add(self, s: int, parent: int) -> bool:
        if s in self.seen:
            return False
        self.seen.add(s)
        self.states.append(s)
        self.parents.append(parent)
        return True

    def path(self, i: int) -> list[int]:
        """Indices from an initial state to state ``i``."""
        out = []
        while i >= 0:
            out.append(i)
            i = self.parents[i]
        out.reverse()
        return out

    def level_of(self, i: int) -> int:
        """1-based BFS level (initial states are level 1)."""
        import bisect

        return bisect.bisect_right(self.level_ends, i) + 1

    def rebuild_seen(self) -> None:
        self.seen = set(self.states)
