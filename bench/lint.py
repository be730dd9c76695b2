"""Lint benchmark: generate a valid 2,000-line spec and time ``pyspec.load``.

Prints the time of the first run (which includes building the parser) and
the best of three further runs.  The target is under one second on one core;
nothing here asserts it.

    python bench/lint.py [--lines N] [--profile] [--keep PATH]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyspec  # noqa: E402


def generate(target_lines: int = 2000) -> str:
    """A valid spec of about ``target_lines`` lines using most of the language."""
    out: list[str] = [
        "spec Bench",
        '"""A generated spec for the lint benchmark."""',
        "",
        "sort Node",
        "enum Phase: idle, busy, done",
        "type Slot = record(owner: optional[Node], gen: int)",
        "const NODES: set[Node] = {Node.n1, Node.n2, Node.n3}",
        "const LIMIT: int = 5",
        "const MASK: int = 0xff",
        "",
    ]
    g = 0
    while len(out) < target_lines:
        g += 1
        out += [
            f"# ---- group {g}",
            f"const K{g}: int = {g % 7 + 1}",
            f"var count{g}: 0..LIMIT = 0",
            f"var flags{g}: map[Node, bool] = {{n: False for n in NODES}}",
            f"var owners{g}: set[Node] in subsets(NODES)",
            f"var phase{g}: Phase = Phase.idle",
            f"var log{g}: seq[int] = []",
            f"var slot{g}: Slot = record(owner=none, gen=0)",
            "",
            f"def step{g}(a: int, b: int) -> int: (a + b * K{g}) % LIMIT",
            f"def packed{g}(a: int) -> int: ((a << 4) | (a & 0xf)) & MASK",
            f"def ready{g}(x: Node) -> bool: flags{g}[x] or x in owners{g}",
            f"def all_ready{g}() -> bool: forall x in NODES: ready{g}(x)",
            f"def some_owner{g}() -> optional[Node]: (choose x in owners{g}: True) if len(owners{g}) > 0 else none",
            f"def busy{g}() -> set[Node]: {{x for x in NODES if flags{g}[x]}}",
            f"def gen_of{g}(s: Slot) -> int: s.gen",
            "",
            f"fair process worker{g}(self in NODES):",
            f'    """Worker of group {g}."""',
            "    var rounds: int = 0",
            "    var mine: optional[Node] = none",
            "    while rounds < LIMIT:",
            f"        acquire{g}:",
            f"            await not flags{g}[self] and count{g} < LIMIT",
            f"            flags{g}[self] = True",
            f"            count{g} = step{g}(count{g}, rounds)",
            "            mine = self",
            f"        work{g}:",
            "            either:",
            f"                owners{g} = owners{g} | {{self}}",
            f"                phase{g} = Phase.busy",
            "            or:",
            f"                owners{g} = owners{g} - {{self}}",
            f"                phase{g} = Phase.idle if count{g} == 0 else Phase.done",
            f"        release{g}:",
            f"            if len(log{g}) < 3:",
            f"                log{g} = append(log{g}, packed{g}(rounds))",
            f"            elif head(log{g}) > 0:",
            f"                log{g} = tail(log{g})",
            "            else:",
            f"                log{g} = []",
            f"            flags{g}[self] = False",
            f"            slot{g} = replace(slot{g}, owner=mine, gen=gen_of{g}(slot{g}) + 1)",
            "            rounds = rounds + 1",
            "",
            f"process monitor{g}:",
            f"    watch{g}:",
            f"        any x in NODES if flags{g}[x]:",
            f"            await worker{g}[x].pc == \"work{g}\" or worker{g}[x].rounds > 0",
            f"            goto watch{g}",
            "",
            f"invariant Bounded{g}: count{g} >= 0 and count{g} <= LIMIT",
            f"invariant Owners{g}: owners{g} <= NODES and len(busy{g}()) <= len(NODES)",
            f"invariant Phase{g}:",
            '    """Done only when something was logged or counted."""',
            f"    phase{g} == Phase.done implies (count{g} > 0 or len(log{g}) >= 0)",
            f"invariant Rounds{g}: forall x in NODES: worker{g}[x].rounds <= LIMIT",
            f"action Monotone{g}: next(slot{g}.gen) >= slot{g}.gen",
            f"temporal Progress{g}: forall x in NODES: worker{g}[x].pc == \"acquire{g}\" "
            f"leads_to worker{g}[x].pc != \"acquire{g}\"",
            f"temporal Finish{g}: eventually always (forall x in NODES: worker{g}[x].pc == \"Done\")",
            "",
            f"model group{g}:",
            f'    """Checks of group {g}."""',
            "    LIMIT = 3",
            f"    K{g} = 2",
            "    symmetry: NODES",
            f"    constraint: count{g} <= LIMIT",
            f"    check Bounded{g}",
            f"    check Owners{g}",
            f"    check Phase{g}: violated",
            f"    check Rounds{g}",
            f"    check Monotone{g}",
            f"    check Progress{g}",
            f"    check Finish{g}",
            "    deadlock: ignore",
            "",
        ]
    return "\n".join(out) + "\n"


def time_load(path: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one load: the CPU figure is the one to
    compare with the target, the wall figure also counts waiting for a core
    on a busy machine."""
    c0, t0 = time.process_time(), time.perf_counter()
    pyspec.load(path)
    return time.process_time() - c0, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2000, help="approximate size of the spec (default 2000)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile summary of one load")
    ap.add_argument("--keep", metavar="PATH", help="write the generated spec to PATH")
    args = ap.parse_args()

    text = generate(args.lines)
    if args.keep:
        Path(args.keep).write_text(text)
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "bench.pyspec")
        Path(path).write_text(text)
        first = time_load(path)
        runs = [time_load(path) for _ in range(3)]
        spec = pyspec.load(path)
        n_lines = text.count("\n")
        print(f"lint benchmark: {n_lines} lines, {len(spec.vars)} vars, {len(spec.defs)} defs, "
              f"{len(spec.processes)} processes, {sum(len(p.steps) for p in spec.processes)} steps, "
              f"{len(spec.properties)} properties, {len(spec.models)} models")
        best = min(runs)
        print(f"  first run (includes building the parser): {first[0]:.3f} s CPU ({first[1]:.3f} s wall)")
        print(f"  best of 3:                                 {best[0]:.3f} s CPU ({best[1]:.3f} s wall), "
              f"{n_lines / best[0]:,.0f} lines/s; target < 1 s")
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            pyspec.load(path)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
