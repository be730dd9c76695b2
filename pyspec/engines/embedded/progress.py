"""Live progress of a run: states, distinct, queue, states/s, memory.

On a terminal the display is a rich live line; otherwise a plain line every
few seconds (on stderr); ``--json`` runs show nothing.  Engines call
``update(distinct=, generated=, queue=, depth=, seconds=)`` now and then.
"""

from __future__ import annotations

import sys
import time


def peak_memory_mb() -> float:
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb / 1024.0
    except Exception:  # noqa: BLE001 - not on every platform
        return 0.0


def current_memory_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except Exception:  # noqa: BLE001
        return peak_memory_mb()


def _line(label: str, st: dict) -> str:
    secs = max(st.get("seconds", 0.0), 1e-9)
    rate = st.get("distinct", 0) / secs
    return (f"{label}: {st.get('generated', 0):,} states, {st.get('distinct', 0):,} distinct, "
            f"{st.get('queue', 0):,} queued, depth {st.get('depth', 0)}, {rate:,.0f} distinct/s, "
            f"{current_memory_mb():,.0f} MB, {secs:.1f}s")


class PlainProgress:
    def __init__(self, label: str, every: float = 5.0, stream=None):
        self.label = label
        self.every = every
        self.stream = stream or sys.stderr
        self.last = time.monotonic()
        self.stats: dict = {}

    def update(self, **stats) -> None:
        self.stats = stats
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            print(_line(self.label, stats), file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    def __init__(self, label: str):
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        self.label = label
        self._Text = Text
        self.console = Console(stderr=True)
        self.live = Live(Text(f"{label}: starting"), console=self.console, refresh_per_second=4, transient=True)
        self.live.start()
        self.stats: dict = {}

    def update(self, **stats) -> None:
        self.stats = stats
        self.live.update(self._Text(_line(self.label, stats)))

    def close(self) -> None:
        self.live.stop()


class NoProgress:
    stats: dict = {}

    def update(self, **stats) -> None:
        self.stats = stats

    def close(self) -> None:
        pass


def make_progress(label: str, quiet: bool = False):
    if quiet:
        return NoProgress()
    if sys.stderr.isatty():
        try:
            return RichProgress(label)
        except Exception:  # noqa: BLE001 - fall back to plain lines
            pass
    return PlainProgress(label)
