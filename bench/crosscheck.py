"""Cross-check table: every (spec, model, property) of spec/kvm checked alone by
both engines, with verdicts, distinct states, counterexample lengths and times.

    TLA2TOOLS_JAR=/path/to/tla2tools.jar python bench/crosscheck.py            # small, wrap, live, live_wrap
    python bench/crosscheck.py --big                                           # also big and big3
    python bench/crosscheck.py --specs spec/kvm/v1.pyspec --models small

Writes ``bench/results/crosscheck.md`` (``--out``) from the rows it measured;
each finished row is also appended to ``<out>.jsonl`` so that ``--resume``
continues an interrupted run.  Every number in the table comes from a run
of this script: nothing is written by hand.

Each property is checked alone, the way ``pyspec check -p`` and ``pyspec tlc
--property`` do (deadlock is its own row; the other rows do not check it).
Times are wall clock on whatever machine runs this: the embedded time is
``check(spec, model, property=p)`` with the model already compiled (the
compile time is listed once per model), the TLC time is one run of TLC
``-workers 1`` through the TLC runner (JVM start-up and parsing included).
A TLC run longer than ``--timeout`` seconds is stopped and listed as such.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SMALL = ["small", "wrap", "live", "live_wrap"]
BIG = ["big", "big3"]


def _specs(args) -> list[str]:
    if args.specs:
        return args.specs.split(",")
    out = []
    for p in sorted((ROOT / "spec/kvm").glob("*.pyspec")):
        out.append(str(p.relative_to(ROOT)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--specs", help="comma-separated spec files (default: spec/kvm/*.pyspec)")
    ap.add_argument("--models", help="comma-separated model names (default: small,wrap,live,live_wrap)")
    ap.add_argument("--big", action="store_true", help="also the benchmark models big and big3")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds per TLC run (default 600); a model on which TLC takes longer is left out")
    ap.add_argument("--out", default=str(ROOT / "bench/results/crosscheck.md"))
    ap.add_argument("--resume", action="store_true", help="keep the rows already in <out>.jsonl")
    ap.add_argument("--render", action="store_true", help="only rewrite <out> from <out>.jsonl")
    args = ap.parse_args()

    import pyspec
    from pyspec.engines.tlc.jar import ToolMissing, resolve

    out = Path(args.out)
    log = Path(str(out) + ".jsonl")
    if args.render:
        render(out, log)
        return 0
    try:
        tools = resolve()
    except ToolMissing as e:
        print(f"crosscheck: {e}", file=sys.stderr)
        return 3
    models = args.models.split(",") if args.models else SMALL + (BIG if args.big else [])
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if args.resume and log.is_file():
        for line in log.read_text().splitlines():
            r = json.loads(line)
            if r.get("row"):
                done.add((r["spec"], r["model"], r["property"]))
    else:
        log.write_text("")
    from pyspec.engines.crosscheck import model_properties

    specs = {path: pyspec.load(str(ROOT / path)) for path in _specs(args)}
    with open(log, "a") as f:
        f.write(json.dumps({"meta": meta(tools)}) + "\n")
        # the models in the order given (all small models before the big ones)
        for wanted in models:
            for spec_rel, spec in specs.items():
                for m in spec.models:
                    # base.pyspec's shared bindings are named kvm_small, ...
                    if m.name.removeprefix("kvm_") != wanted:
                        continue
                    props = [p for p in model_properties(spec, m) if (spec_rel, m.name, p) not in done]
                    if props:
                        check_model(f, spec, spec_rel, m.name, props, tools, args.timeout)
    render(out, log)
    return 0


def check_model(f, spec, spec_rel: str, model: str, props: list[str], tools, timeout: float) -> None:
    """Each property alone in both engines; once TLC runs out of time on one,
    the model's other properties are left out (noted in the table)."""
    from pyspec.engines.crosscheck import compile_seconds, property_rows

    secs = compile_seconds(spec, model)
    f.write(json.dumps({"compile": {"spec": spec_rel, "model": model, "seconds": secs}}) + "\n")
    for prop in props:
        (row,) = property_rows(spec, model, tools, timeout=timeout, props=[prop])
        d = asdict(row)
        d["spec"] = spec_rel
        d["row"] = True
        f.write(json.dumps(d) + "\n")
        f.flush()
        e, t = row.emb, row.tlc
        print(f"{spec_rel} {row.model} {row.property}: embedded {e.verdict} {e.distinct} "
              f"{e.trace_len} {e.seconds:.2f}s | TLC {t.verdict} {t.distinct} {t.trace_len} "
              f"{t.seconds:.1f}s {'; '.join(row.problems) or 'agree'}", flush=True)
        if t.verdict == "timeout":
            rest = props[props.index(prop) + 1:]
            f.write(json.dumps({"left_out": {"spec": spec_rel, "model": model, "after": prop,
                                             "properties": rest, "timeout": timeout}}) + "\n")
            f.flush()
            print(f"{spec_rel} {model}: TLC took more than {timeout:.0f}s on {prop}; left out: "
                  f"{', '.join(rest) or 'nothing else'}", flush=True)
            return


def meta(tools) -> dict:
    def cmd(*c):
        try:
            p = subprocess.run(c, capture_output=True, text=True, cwd=ROOT, timeout=60)
            return (p.stdout + p.stderr).strip()
        except OSError:
            return "?"

    tlc_version = ""
    p = cmd(tools.java, "-cp", str(tools.jar), "tlc2.TLC", "-version")
    for line in p.splitlines():
        if "TLC" in line and "Version" in line:
            tlc_version = line.strip()
            break
    java = cmd(tools.java, "-version").splitlines()
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": cmd("git", "rev-parse", "--short", "HEAD"),
        "python": platform.python_version(),
        "java": java[0] if java else "?",
        "tlc": tlc_version or "?",
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def _fmt_n(n) -> str:
    return "-" if n is None else f"{n:,}"


def _verdict(a: dict) -> str:
    v = a["verdict"]
    return {"ok": "holds", "violated": "violated"}.get(v, v)


def render(out: Path, log: Path) -> None:
    rows, compile_s, metas, left_out = [], {}, [], []
    for line in log.read_text().splitlines():
        r = json.loads(line)
        if "meta" in r:
            metas.append(r["meta"])
        elif "left_out" in r:
            left_out.append(r["left_out"])
        elif "compile" in r:
            c = r["compile"]
            compile_s[(c["spec"], c["model"])] = c["seconds"]
        elif r.get("row"):
            rows.append(r)
    order = {}
    for r in rows:
        order.setdefault((r["spec"], r["model"]), len(order))
    rows.sort(key=lambda r: order[(r["spec"], r["model"])])
    lines = ["# Cross-check: embedded engine vs TLC on spec/kvm", "",
             "Generated by `python bench/crosscheck.py` (do not edit by hand).  Each property is checked "
             "alone by each engine (deadlock is its own row).  *cex* is the number of states in the "
             "counterexample (a lasso's prefix and loop for liveness); *distinct* is the number of "
             "distinct states when the run ended (for a violation it depends on where in the last level "
             "each engine stopped, so only the counts of holding properties must agree).  Embedded times: "
             "the check with the model already compiled (compile times below); TLC times: one TLC run "
             "(`-workers 1`, JVM start-up and parsing included, a few seconds).  Times are wall clock "
             "on a shared machine: noisy.", ""]
    for m in metas[-1:]:
        lines.append(f"Measured {m['date']} at commit {m['commit']}: Python {m['python']}, {m['java']}, "
                     f"{m['tlc']}, {m['cpus']} CPUs (load average at start {m['loadavg']}).")
        lines.append("")
    bad = [r for r in rows if r["problems"]]
    timeouts = [r for r in rows if r["tlc"]["verdict"] == "timeout"]
    lines.append(f"{len(rows)} rows; {len(rows) - len(bad) - len(timeouts)} agree, {len(bad)} disagree, "
                 f"{len(timeouts)} TLC timeouts.")
    lines.append("")
    lines.append("| spec | model | property | kind | embedded | distinct | cex | s | TLC | distinct | cex | s "
                 "| agree |")
    lines.append("|---|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---|")
    for r in rows:
        e, t = r["emb"], r["tlc"]
        ok = "yes" if not r["problems"] and t["verdict"] != "timeout" else \
            ("-" if t["verdict"] == "timeout" else "**NO**: " + "; ".join(r["problems"]))
        lines.append(f"| {Path(r['spec']).name} | {r['model']} | {r['property']} | {r['kind']} | "
                     f"{_verdict(e)} | {_fmt_n(e['distinct'])} | {_fmt_n(e['trace_len'])} | {e['seconds']:.2f} | "
                     f"{_verdict(t)} | {_fmt_n(t['distinct']) if t['verdict'] != 'timeout' else '-'} | "
                     f"{_fmt_n(t['trace_len'])} | {t['seconds']:.1f} | {ok} |")
    lines.append("")
    for lo in left_out:
        lines.append(f"- {Path(lo['spec']).name} {lo['model']}: TLC took more than {lo['timeout']:.0f} s on "
                     f"{lo['after']} (stopped; the row says timeout), so "
                     f"{', '.join(lo['properties']) or 'no other property'} "
                     f"{'is' if len(lo['properties']) == 1 else 'are'} left out.")
    if left_out:
        lines.append("")
    if compile_s:
        lines.append("Embedded compile times (code generation, layout pre-run, `compile()`), once per model:")
        lines.append("")
        lines.append("| spec | model | s |")
        lines.append("|---|---|---:|")
        for (s, m), secs in sorted(compile_s.items(), key=lambda kv: order.get(kv[0], 0)):
            lines.append(f"| {Path(s).name} | {m} | {secs:.2f} |")
        lines.append("")
    out.write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
