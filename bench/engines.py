"""Benchmark: the embedded engine against TLC on the same models, in one run.

For each model: distinct states, wall time (start-up included: each run is
a fresh process), distinct states per second, peak memory, bytes per
distinct state (embedded: growth of the resident set during the search,
without the compiled engine's one-off import of numba and load of its loop,
about 110 MB whatever the model: the compiled rows load both before their
baseline, ``auto`` rows that hand a search over have it subtracted),
and the ratio embedded/TLC, with 1 and 2 workers.

    python bench/engines.py                      # default models
    python bench/engines.py --models spec/kvm/v1.pyspec:big:NoWrapAlias --workers 1
    python bench/engines.py --no-tlc             # embedded only
    python bench/engines.py --repeat 3           # keep the fastest of 3 runs of each (noisy machines)
    python bench/engines.py --models '' --liveness spec/kvm/v1.pyspec:live_wrap:EventuallyRam:deadlock
    python bench/engines.py --corpus --workers 1 --liveness ''   # every corpus model (spec/corpus/*.json)
    python bench/engines.py --engines python,compiled            # both search engines, one TLC run each

``--engines``: the search engine of each embedded run (docs/checker.md):
``python``, ``compiled`` (the numba search; a model it cannot run, e.g.
with symmetry, is searched by the Python engine and marked ``py``) or
``auto`` (what ``pyspec check`` does: Python first, handed to the
compiled engine after a second).  TLC runs once per model; each engine
gets its row and its ratio to TLC.

TLC is run directly on the modules ``pyspec tla`` exports
(``java -cp $TLA2TOOLS_JAR tlc2.TLC``), deadlock checking off, checking the
given invariant, so that both engines explore the whole state space.
Not part of the tests: it prints figures.

``--liveness SPEC:MODEL:TEMPORAL:SAFETY`` compares, on one model, the time
of checking a temporal property alone with the time of checking a safety
property (an invariant, or ``deadlock``) alone, each in a fresh process
(``check(spec, model, property=...)``, after compiling, so that caches
filled by one run do not help the other), and TLC's times for the same two
runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the children run as the pyspec command does (pyspec/cli.py: one BLAS thread,
# not one per core spinning after numpy's import)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_MODELS = [
    # with symmetry (over vCPUs and gfns): the largest symmetric model
    "spec/kvm/v2.pyspec:small:NoWrapAlias",
    # without symmetry
    "spec/kvm/v2.pyspec:big:NoWrapAlias",
    "spec/kvm/v1.pyspec:big3:NoWrapAlias",
    "spec/kvm/v2.pyspec:big3:NoWrapAlias",
]
#: temporal properties that hold (the whole behaviour graph is searched), and
#: one that is violated
DEFAULT_LIVENESS = [
    "spec/kvm/patch2014.pyspec:live:EventuallyRam:deadlock",
    "spec/kvm/patch2014.pyspec:live:Progress:deadlock",
    "spec/kvm/v3.pyspec:live:EventuallyRam:deadlock",
    "spec/kvm/v3.pyspec:live:Progress:deadlock",
    "spec/kvm/v2.pyspec:live_wrap:EventuallyRam:deadlock",
    "spec/kvm/v1.pyspec:live_wrap:EventuallyRam:deadlock",
]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


#: a model of a few states: searched once by the compiled engine before a
#: memory baseline, so that the baseline holds the loop's machine code
_WARM_SPEC = """\
spec Warm
var x: 0..3 = 0
action Step:
    x = (x + 1) % 4
model m:
    deadlock: ignore
"""


def compiled_functions() -> str:
    """Where the compiled engine's functions come from here (building the
    module ahead of time first if need be, so that no timed run pays it)."""
    from pyspec.engines.compiled.library import library

    lib = library()
    if lib.kind == "aot":
        return "the module compiled ahead of time (numba.pycc; numba not imported by the runs)"
    return f"numba's JIT with its on-disk cache ({lib.note or 'PYSPEC_COMPILED=jit'})"


def warm_compiled_loop() -> None:
    """Load the compiled engine's loop (numba's cache) with a search of a
    few states: the first search of a process loads about 50 MB of machine
    code and compiler state, once, whatever the model; it is part of the
    engine's one-off cost, like its import, not of any state."""
    import pyspec
    from pyspec.compile import compile_model
    from pyspec.engines.compiled import search
    from pyspec.engines.embedded.bfs import Options

    spec = pyspec.load("warm.pyspec", text=_WARM_SPEC)
    search.explore(compile_model(spec, "m"), Options())


def child(spec_path: str, model: str, prop: str, workers: int, engine: str = "python",
          symmetry: bool = True) -> None:
    """Run inside a fresh interpreter: print one JSON line of figures."""
    t0 = time.monotonic()
    import pyspec
    from pyspec.compile import compile_model
    from pyspec.engines.embedded.bfs import Options, explore
    from pyspec.engines.embedded.runner import RunSettings, _explore

    if engine == "compiled":
        # numba and the compiled loop are loaded before the memory baseline:
        # bytes per state measure the search, not the import (auto imports
        # them only when it hands a search over, as `pyspec check` does);
        # the time of both stays in the row's figures
        warm_compiled_loop()

    spec = pyspec.load(spec_path)
    cm = compile_model(spec, model)
    cm.next_fast  # noqa: B018 - generate the successor function: per model, not per state
    t_compiled = time.monotonic()
    from pyspec.engines.embedded.runner import _symmetry

    canon = _symmetry(cm) if symmetry else None  # the model's symmetry sets, as `pyspec check` uses them
    rss0 = rss_mb()
    opts = Options(invariants=[prop] if prop else [], deadlock=False, symmetry=canon)
    used = engine
    if workers > 1:
        from pyspec.engines.embedded.parallel import explore_parallel

        res = explore_parallel(cm, opts, workers)
    elif engine == "python":
        res = explore(cm, opts)
    else:
        notes: list[str] = []
        res = _explore(cm, opts, RunSettings(engine=engine, note=notes.append))
        if notes:
            used = "py"  # the compiled engine could not run it (the note says why)
    t1 = time.monotonic()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({
        "distinct": res.distinct, "generated": res.generated, "depth": res.depth, "verdict":
        "violated" if res.order else ("ok" if res.complete else res.stopped),
        "search_seconds": t1 - t_compiled, "compile_seconds": t_compiled - t0,
        "rss_before_mb": rss0, "peak_mb": max(peak, kids), "bits": cm.layout.bits,
        "worker_cpu": res.worker_cpu, "engine": used,
        # auto loads the compiled functions during the search when it hands
        # over: a one-off cost the compiled rows pay before their baseline
        # (engine_import_mb)
        "imported_compiled": engine == "auto" and getattr(sys.modules.get("pyspec.engines.compiled.library"),
                                                          "_LIBRARY", None) is not None,
    }))


def child_import() -> None:
    """Run inside a fresh interpreter: the resident memory that importing the
    compiled engine (numba) and loading its loop (from numba's cache) add,
    in MB."""
    import pyspec.compile  # noqa: F401
    import pyspec.engines.embedded.runner  # noqa: F401

    rss0 = rss_mb()
    warm_compiled_loop()
    print(json.dumps({"import_mb": rss_mb() - rss0}))


_IMPORT_MB: list[float] = []


def engine_import_mb() -> float:
    """The compiled engine's one-off import and loop-load memory (measured
    once per run)."""
    if not _IMPORT_MB:
        p = subprocess.run([sys.executable, __file__, "--child-import"], capture_output=True, text=True, cwd=ROOT)
        _IMPORT_MB.append(json.loads(p.stdout.strip().splitlines()[-1])["import_mb"] if p.returncode == 0 else 0.0)
    return _IMPORT_MB[0]


def child_check(spec_path: str, model: str, prop: str) -> None:
    """Run inside a fresh interpreter: one property alone, as ``pyspec check -p``."""
    import pyspec
    from pyspec.engines.embedded import check
    from pyspec.engines.embedded.runner import compiled

    spec = pyspec.load(spec_path)
    cm = compiled(spec, model)
    if prop != "deadlock" and spec.prop(prop).kind == "temporal":
        cm.next_lab  # noqa: B018 - generate the labelled successor function up front
        cm.implied_invariants(spec.prop(prop))
    rss0 = rss_mb()
    t0, c0 = time.monotonic(), time.process_time()
    r = check(spec, model, property=prop)
    secs, cpu = time.monotonic() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"verdict": r.verdict, "distinct": r.distinct_states, "seconds": secs, "cpu": cpu,
                      "trace": len(r.trace), "rss_before_mb": rss0, "peak_mb": peak}))


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_check(spec_path: str, model: str, prop: str) -> dict:
    p = subprocess.run([sys.executable, __file__, "--child-check", spec_path, model, prop],
                       capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def best_of(n: int, fn, *args) -> dict:
    """The fastest of ``n`` runs (by ``seconds``)."""
    runs = [fn(*args) for _ in range(max(1, n))]
    return min(runs, key=lambda r: r["seconds"])


def run_embedded(spec_path: str, model: str, prop: str, workers: int, engine: str = "python",
                 env: dict | None = None, symmetry: bool = True) -> dict:
    cpu0 = _children_cpu()
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, __file__, "--child", spec_path, model, prop or "", str(workers), engine,
                        "sym" if symmetry else "nosym"], capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    data = json.loads(p.stdout.strip().splitlines()[-1])
    data["seconds"] = wall
    data["cpu"] = _children_cpu() - cpu0
    if workers == 1 and data["distinct"]:
        # per-state memory: the search's growth, without the one-off import of
        # numba and load of the loop when auto handed over (the compiled rows
        # do both before their baseline), so both engines' figures mean the same
        fixed = engine_import_mb() if data.get("imported_compiled") else 0.0
        data["bytes_per_state"] = max(0.0, data["peak_mb"] - data["rss_before_mb"] - fixed) * 2**20 / data["distinct"]
    return data


def run_tlc(spec_path: str, model: str, prop: str, workers: int, jar: str, temporal: bool = False,
            symmetry: bool = True) -> dict:
    import re

    import pyspec
    from pyspec.tla import export_spec
    from pyspec.tla.export import ModelRun, render_model, render_module

    spec = pyspec.load(spec_path)
    m = spec.model(model)
    _, _, r = render_module(spec)
    run = ModelRun(check_deadlock=prop == "deadlock", symmetry=symmetry)
    run.invariants = [prop] if prop and prop != "deadlock" and not temporal else []
    run.properties = [prop] if temporal else []
    run.expected = []
    tla, cfg = render_model(spec, r, m, run)
    files = export_spec(spec, [model]).files
    with tempfile.TemporaryDirectory(prefix="bench-tlc-") as d:
        for name, text in files.items():
            Path(d, name).write_text(text)
        Path(d, f"MC_{model}.tla").write_text(tla)
        Path(d, f"MC_{model}.cfg").write_text(cfg)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        cpu0 = _children_cpu()
        t0 = time.monotonic()
        p = subprocess.run(["java", "-XX:+UseParallelGC", "-cp", jar, "tlc2.TLC", "-workers", str(workers),
                            "-metadir", str(Path(d, "states")), "-config", f"MC_{model}.cfg",
                            *([] if run.check_deadlock else ["-deadlock"]), f"MC_{model}.tla"],
                           cwd=d, capture_output=True, text=True)
        wall = time.monotonic() - t0
        cpu = _children_cpu() - cpu0
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = p.stdout + p.stderr
    ms = re.findall(r"([\d,]+) states generated, ([\d,]+) distinct states found", out)
    distinct = int(ms[-1][1].replace(",", "")) if ms else 0
    violated = "is violated" in out or "were violated" in out or "was violated" in out
    return {"distinct": distinct, "seconds": wall, "cpu": cpu, "peak_mb": max(after, before) / 1024,
            "verdict": "violated" if violated else ("ok" if "No error has been found" in out else "error")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS),
                    help="comma-separated SPEC:MODEL:INVARIANT[:nosym] (the invariant should hold; nosym: "
                         "without the model's symmetry, in both tools)")
    ap.add_argument("--workers", default="1,2", help="worker counts to run (default 1,2)")
    ap.add_argument("--no-tlc", action="store_true", help="embedded engine only")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest is kept")
    ap.add_argument("--liveness", default=",".join(DEFAULT_LIVENESS),
                    help="comma-separated SPEC:MODEL:TEMPORAL:SAFETY ('' for none)")
    ap.add_argument("--out", help="also write the output to this file, with the date, commit and machine")
    ap.add_argument("--corpus", action="store_true",
                    help="also every model of the public corpus whose TLC run on the original explores the "
                         "whole space (spec/corpus/*.json), with the original's count; prints the issue's "
                         "goals (ratios over models of >= 20,000 states)")
    ap.add_argument("--engines", default="python",
                    help="comma-separated search engines of the embedded runs: python, compiled, auto "
                         "(default python)")
    ap.add_argument("--first-run", action="store_true",
                    help="with the compiled engine: also run the first model once with an empty numba cache "
                         "(the first run on a machine compiles the search loop) and print that figure")
    ap.add_argument("--python-reference", action="store_true",
                    help="with --engines compiled or auto: also run the Python engine (once) on every model "
                         "where they found >= 1,000,000 states, and print the compiled engine issue's goals "
                         "there (>= 30x TLC, >= 10x the Python engine, <= 50 bytes per state)")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    ap.add_argument("--child-check", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--child-import", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2], int(args.child[3]), args.child[4], args.child[5] == "sym")
        return 0
    if args.child_check:
        child_check(*args.child_check)
        return 0
    if args.child_import:
        child_import()
        return 0
    if args.out:
        return _tee(args.out, lambda: run(args))
    return run(args)


def _tee(path: str, fn) -> int:
    """Run ``fn`` with its output also written to ``path`` (framed by when,
    where and on what it ran)."""
    import datetime
    import platform

    class Tee:
        def __init__(self, *streams):
            self.streams = streams

        def write(self, x):
            for st in self.streams:
                st.write(x)

        def flush(self):
            for st in self.streams:
                st.flush()

    def git(*a):
        p = subprocess.run(["git", *a], capture_output=True, text=True, cwd=ROOT)
        return p.stdout.strip()

    # the tree is "modified" by changes other than the results file itself
    pathspec = ["--", "."]
    if Path(path).resolve().is_relative_to(ROOT):
        pathspec.append(f":!{Path(path).resolve().relative_to(ROOT)}")
    modified = git("status", "--porcelain", "-uno", *pathspec)
    with open(path, "w") as f:
        f.write(f"$ python bench/engines.py {' '.join(sys.argv[1:])}\n")
        f.write(f"# {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}, commit "
                f"{git('rev-parse', '--short', 'HEAD')}{' (modified)' if modified else ''}, "
                f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average at start "
                f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
        f.write(f"# compiled functions: {compiled_functions()}\n\n")
        old = sys.stdout
        sys.stdout = Tee(old, f)
        try:
            rc = fn()
        finally:
            sys.stdout = old
        f.write(f"\n# load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    return rc


def run(args) -> int:
    # The package's bytecode, as an installed (non-editable) pyspec has it:
    # without it every run compiles pyspec's modules from source first (about
    # 0.1 s; PYTHONDONTWRITEBYTECODE machines never keep it).  Only stale or
    # missing files are compiled.
    import compileall

    compileall.compile_dir(str(ROOT / "pyspec"), quiet=1)
    jar = os.environ.get("TLA2TOOLS_JAR")
    if not args.no_tlc and not (jar and Path(jar).is_file()):
        print("TLA2TOOLS_JAR is not set: embedded engine only", file=sys.stderr)
        args.no_tlc = True
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    items = list(filter(None, args.models.split(",")))
    originals: dict[str, int] = {}
    if args.corpus:
        for path in sorted((ROOT / "spec" / "corpus").glob("*.json")):
            entry = json.loads(path.read_text(encoding="utf-8"))
            for r in entry["runs"]:
                if r["verdict"] == "holds" and not r.get("embedded_skip"):
                    key = f"spec/corpus/{entry['spec']}:{r['model']}"
                    items.append(key)
                    originals[f"{Path(entry['spec']).stem}.{r['model']}"] = r["distinct"]
        # a model with symmetry also without it, both tools (the goal holds
        # with and without symmetry); its count is checked against TLC's of the same run
        import pyspec

        for key in [k for k in items if k.startswith("spec/corpus/")]:
            spec_path, model = key.split(":")[:2]
            if pyspec.load(str(ROOT / spec_path)).model(model).symmetry:
                items.append(f"{key}::nosym")
    engines = [x for x in args.engines.split(",") if x]
    first_run = None
    if args.first_run and "compiled" in engines and items:
        # the compiled module is built once per machine (library.py, with
        # numba's cache): empty folders for both show what the very first
        # compiled run of a machine costs
        spec_path, model, prop = (items[0].split(":") + ["", ""])[:3]
        with tempfile.TemporaryDirectory(prefix="bench-numba-") as d:
            first_run = (f"{Path(spec_path).stem}.{model}",
                         run_embedded(spec_path, model, prop, 1, "compiled",
                                      dict(os.environ, NUMBA_CACHE_DIR=d, PYSPEC_COMPILED_DIR=d)))
    for item in items:
        spec_path, model, prop, sym = (item.split(":") + ["", "", ""])[:4]
        symmetry = sym != "nosym"
        for w in workers:
            tlc = None
            for engine in (engines if w == 1 else ["python"]):
                e = best_of(args.repeat, run_embedded, spec_path, model, prop, w, engine, None, symmetry)
                row = {"model": f"{Path(spec_path).stem}.{model}" + ("" if symmetry else "-nosym"), "workers": w,
                       "emb": e, "engine": e["engine"], "asked": engine,
                       "run": (spec_path, model, prop, symmetry)}
                if not args.no_tlc:
                    if tlc is None:
                        tlc = best_of(args.repeat, run_tlc, spec_path, model, prop, w, jar, False, symmetry)
                    row["tlc"] = tlc
                rows.append(row)
                print_row(row, flush=True)
    if rows and originals:
        for engine in engines:
            corpus_summary([r for r in rows if r["asked"] == engine or r["workers"] > 1], originals, engine=engine)
    if rows and args.python_reference:
        compiled_goals(rows)
    if first_run is not None:
        name, e = first_run
        warm = [r["emb"] for r in rows if r["model"] == name and r["asked"] == "compiled" and r["workers"] == 1]
        tl = [r["tlc"] for r in rows if r["model"] == name and r.get("tlc") and r["workers"] == 1]
        print()
        print(f"first run of the compiled engine on this machine (empty numba cache, module not built), {name}: "
              f"{e['seconds']:.1f} s whole process (compiling the loop {e['compile_seconds']:.1f} s, "
              f"search {e['search_seconds']:.1f} s)"
              + (f"; with the cache: {warm[0]['seconds']:.1f} s" if warm else "")
              + (f"; TLC {tl[0]['seconds']:.1f} s (ratio {tl[0]['seconds'] / e['seconds']:.1f} first run)" if tl else ""))
    if rows:
        print()
        print("ratio = embedded distinct states/s divided by TLC's with the same number of workers;")
        print("times are wall clock including start-up (Python import + compile + pre-run / JVM + SANY);")
        print("cpu: CPU seconds of the whole run (all processes / threads: TLC's JIT and GC threads too);")
        print("cpu r = TLC's CPU seconds / the embedded engine's (less sensitive to a loaded machine).")
        print("cpu/worker: CPU seconds of each worker process (--workers > 1): on a machine with as many free")
        print("cores as workers the search takes about the largest of them.")
    live = [x for x in args.liveness.split(",") if x]
    if live:
        if rows:
            print()
        print(f"{'model':<18} {'temporal':<19} {'safety':<10} {'distinct':>10} {'temporal s':>10} {'safety s':>9} "
              f"{'ratio':>6} {'t cpu':>6} {'s cpu':>6} {'cpu r':>6} {'tlc temporal s':>14} {'tlc safety s':>12}")
        for item in live:
            spec_path, model, tprop, sprop = item.split(":")
            t = best_of(args.repeat, run_check, spec_path, model, tprop)
            sf = best_of(args.repeat, run_check, spec_path, model, sprop)
            line = (f"{Path(spec_path).stem + '.' + model:<18} {tprop + ' ' + t['verdict']:<19} "
                    f"{sprop:<10} {t['distinct']:>10,} {t['seconds']:>10.2f} {sf['seconds']:>9.2f} "
                    f"{t['seconds'] / sf['seconds']:>6.1f} {t['cpu']:>6.2f} {sf['cpu']:>6.2f} "
                    f"{t['cpu'] / sf['cpu']:>6.1f}")
            if not args.no_tlc:
                tt = run_tlc(spec_path, model, tprop, 1, jar, temporal=True)
                ts = run_tlc(spec_path, model, sprop, 1, jar)
                line += f" {tt['seconds']:>14.1f} {ts['seconds']:>12.1f}"
            print(line, flush=True)
        print()
        print("ratio = embedded time of the temporal property alone / of the safety property alone (same model,")
        print("each in a fresh process after compiling: the search only; the temporal check explores the state")
        print("graph itself); cpu: the same in CPU seconds; cpu r = their ratio.  TLC: wall clock of one run")
        print("each, -workers 1, JVM start-up included.")
    return 0


_header_done = False


def corpus_summary(rows: list[dict], originals: dict[str, int], floor: int = 20_000, engine: str = "python") -> None:
    """The engine-speed issue's goals on the corpus: every model with at
    least ``floor`` states at >= 3x TLC (-workers 1), geometric mean >= 5x,
    never slower; and whether each count is TLC's on the original."""
    import math

    print()
    wrong = [r["model"] for r in rows if r["model"] in originals and r["emb"]["distinct"] != originals[r["model"]]]
    print(f"engine {engine}: corpus: {len(originals)} models; distinct counts equal to TLC's on the originals: "
          f"{len(originals) - len(wrong)} of {len(originals)}" + (f" (not: {', '.join(wrong)})" if wrong else ""))
    big = [r for r in rows if r["workers"] == 1 and r.get("tlc") and r["emb"]["distinct"] >= floor]
    if not big:
        return
    ratios = []
    for r in big:
        e, t = r["emb"], r["tlc"]
        ratios.append((e["distinct"] / e["seconds"]) / (t["distinct"] / t["seconds"]) if t["distinct"] else 0.0)
    geo = math.exp(sum(math.log(x) for x in ratios if x > 0) / len([x for x in ratios if x > 0]))
    slow = [r["model"] for r, x in zip(big, ratios) if x < 1]
    below3 = [r["model"] for r, x in zip(big, ratios) if x < 3]
    print(f"models with >= {floor:,} states (-workers 1): {len(big)}; ratio min {min(ratios):.2f}, "
          f"geometric mean {geo:.2f} (goal: min >= 3, mean >= 5); slower than TLC: "
          f"{', '.join(slow) or 'none'}; below 3x: {', '.join(below3) or 'none'}")
    million = [r for r in big if r["emb"]["distinct"] >= 1_000_000 and r["emb"].get("bytes_per_state") is not None]
    if million:
        worst = max(million, key=lambda r: r["emb"]["bytes_per_state"])
        print(f"bytes per state at >= 1,000,000 states: at most {worst['emb']['bytes_per_state']:.0f} "
              f"({worst['model']}; goal: <= 100)" + (
                  f"; the compiled engine's one-off import and load of its loop ({_IMPORT_MB[0]:.0f} MB) "
                  "is not counted"
                  if _IMPORT_MB else ""))


def compiled_goals(rows: list[dict], floor: int = 1_000_000) -> None:
    """The compiled engine issue's goals, on every model where the compiled
    engine (or auto) found at least ``floor`` states, -workers 1: >= 30x
    TLC and >= 10x the Python engine, whole process each (the Python
    engine run here once, in a fresh process as the others), and <= 50
    bytes per state."""
    big = [r for r in rows if r["workers"] == 1 and r["asked"] in ("compiled", "auto")
           and r["emb"]["distinct"] >= floor]
    if not big:
        return
    print()
    print(f"the compiled engine's goals on models of >= {floor:,} states (-workers 1; goals: >= 30x TLC, "
          ">= 10x the Python engine, <= 50 bytes per state):")
    python: dict[str, dict] = {}
    for r in big:
        e, name = r["emb"], r["model"]
        if name not in python:
            spec_path, model, prop, symmetry = r["run"]
            python[name] = run_embedded(spec_path, model, prop, 1, "python", None, symmetry)
        py = python[name]
        t = r.get("tlc")
        tlc = f"{t['seconds'] / e['seconds']:.1f}x TLC" if t and t["seconds"] else "TLC not run"
        bps = e.get("bytes_per_state")
        print(f"  {name:<28} {r['asked']:<8} {e['seconds']:>6.1f} s: {tlc}, "
              f"{py['seconds'] / e['seconds']:.1f}x the Python engine ({py['seconds']:.1f} s, "
              f"{py['distinct']:,} states), " + ("-" if bps is None else f"{bps:.0f}") + " bytes per state")


def print_row(row: dict, flush: bool = False) -> None:
    global _header_done
    if not _header_done:
        print(f"{'model':<16} {'engine':<8} {'w':>2} {'distinct':>10} {'emb s':>8} {'emb cpu':>8} {'emb st/s':>9} {'emb MB':>7} "
              f"{'B/state':>7} {'cpu/worker':>11} {'tlc s':>8} {'tlc cpu':>8} {'tlc st/s':>9} {'tlc MB':>7} "
              f"{'ratio':>6} {'cpu r':>6}  agree")
        _header_done = True
    e, t = row["emb"], row.get("tlc")
    e_rate = e["distinct"] / e["seconds"]
    bps = e.get("bytes_per_state")
    bps_s = "-" if bps is None else f"{bps:.0f}"
    cpu = e.get("worker_cpu") or []
    cpu_s = "/".join(f"{c:.1f}" for c in cpu) if cpu else "-"
    line = (f"{row['model']:<16} {row.get('engine', 'python'):<8} {row['workers']:>2} {e['distinct']:>10,} {e['seconds']:>8.1f} {e['cpu']:>8.1f} "
            f"{e_rate:>9,.0f} {e['peak_mb']:>7.0f} {bps_s:>7} {cpu_s:>11}")
    if t:
        t_rate = t["distinct"] / t["seconds"] if t["seconds"] else 0
        ratio = e_rate / t_rate if t_rate else float("nan")
        cpu_ratio = t["cpu"] / e["cpu"] if e["cpu"] else float("nan")
        agree = "yes" if t["distinct"] == e["distinct"] and t["verdict"] == e["verdict"] else "NO"
        line += (f" {t['seconds']:>8.1f} {t['cpu']:>8.1f} {t_rate:>9,.0f} {t['peak_mb']:>7.0f} {ratio:>6.1f} "
                 f"{cpu_ratio:>6.1f}  {agree}")
    print(line, flush=flush)


if __name__ == "__main__":
    sys.exit(main())
