"""Generate docs/memslots.md from real checker runs (`make docs`).

Every verdict, state count and counterexample on the generated page comes
from running the embedded engine on spec/kvm/<version>.pyspec now; nothing
numeric is written by hand.  What *is* written by hand are the paragraphs
that explain a counterexample in kernel terms: they live in
docs/gen/memslots-explanations.md, keyed by version, property and (where it
matters) model.  The generator refuses to produce a page on which a
violation of a protocol property has no explanation, or on which an
explanation talks about a violation the checkers no longer find, so the
prose cannot drift away from the results.

    python docs/gen/memslots.py [-o docs/memslots.md] [--reports DIR] [--svg-dir DIR]

--reports DIR reads `<version>-<model>.json` files written by
`pyspec check spec/kvm/<version>.pyspec --model <model> --json` instead of
running the engine (same reports, for iterating on the prose).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from pyspec.engines.embedded import check_model  # noqa: E402
from pyspec.language import load  # noqa: E402
from pyspec.report import Report  # noqa: E402
from pyspec.report.html import swimlane_svg  # noqa: E402
from pyspec.report.text import render_trace  # noqa: E402

VERSIONS = {
    "v1": "2013 scheme (f8f559422b6c): generation + 1 before publish, untagged per-vCPU cache",
    "patch2014": "the seed's patch (Aug 2014): generation kept through the grace period, + 1 after",
    "v2": "Aug 2014 fix (ee3d1570b586, 56f17dd3fbc4): odd generation while in flight, tagged cache",
    "v3": "2019 (361209e054a2, ddfd1730fd82, 152482580a1b): in-progress flag, zap before the store",
}
MODELS = ("small", "wrap", "live", "live_wrap")
PROTOCOL = ("NoStaleAfterIoctl", "NoWrongExitWhenIdle", "NoWrongExit", "NoWrapAlias", "EventuallyRam", "Progress")
WITNESSES = ("NoCacheHit", "NoSpteHit", "NoGraceWait", "NoWrapZap")
EXPLANATIONS = os.path.join(ROOT, "docs", "gen", "memslots-explanations.md")
# Swimlane pictures of the counterexamples, embedded in the page.
IMG_DIR = os.path.join("docs", "img", "memslots")


@dataclass
class Result:
    version: str
    model: str
    report: Report

    @property
    def prop(self) -> str:
        return self.report.property or "-"

    @property
    def violated(self) -> bool:
        return self.report.verdict == "violated"


def write_atomic(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def run_reports(version: str, model: str, reports_dir: str | None) -> list[Report]:
    if reports_dir:
        with open(os.path.join(reports_dir, f"{version}-{model}.json"), encoding="utf-8") as f:
            data = json.load(f)
        return [Report.from_json(d) for d in (data if isinstance(data, list) else [data])]
    spec = load(os.path.join("spec", "kvm", f"{version}.pyspec"))
    return check_model(spec, model)


def parse_explanations(path: str) -> dict[tuple[str, str | None, str], str]:
    """`## <version> [<model>] <Property>` headings, each followed by its
    paragraphs; a key without a model applies to every model."""
    out: dict[tuple[str, str | None, str], str] = {}
    key = None
    buf: list[str] = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines + ["## end"]:
        m = re.match(r"^## (\S+)(?: (\S+))? (\S+)\s*$", line)
        if m or line == "## end":
            if key is not None:
                out[key] = "\n".join(buf).strip()
            if m:
                key = (m.group(1), m.group(2), m.group(3))
                buf = []
            continue
        if key is not None:
            buf.append(line)
    return out


def explanation_for(expl, r: Result) -> str | None:
    return expl.get((r.version, r.model, r.prop)) or expl.get((r.version, None, r.prop))


def find_problems(results: list[Result], expl) -> list[str]:
    """Why the page must not be written: a violated protocol property with no
    explanation, an explanation of a violation nobody found, or a verdict
    that differs from the outcome the model declares."""
    problems = []
    for r in results:
        if r.prop in PROTOCOL and r.violated and explanation_for(expl, r) is None:
            problems.append(f"no explanation for {r.version} {r.model} {r.prop} (violated)")
    for (version, model, prop) in expl:
        if version == "all":
            continue
        hits = [r for r in results if r.version == version and r.prop == prop and r.violated
                and (model is None or r.model == model)]
        if not hits:
            problems.append(f"explanation for {version} {model or '*'} {prop}: the checkers find no such violation")
    for r in results:
        got = "holds" if r.report.verdict == "ok" else r.report.verdict
        if r.report.expected is not None and r.report.expected != got:
            problems.append(f"{r.version} {r.model} {r.prop}: expected {r.report.expected}, got {got}")
    return problems


def cell(r: Result | None) -> str:
    if r is None:
        return ""
    rep = r.report
    mark = "" if rep.expected in (None, "holds" if rep.verdict == "ok" else "violated") else " (unexpected)"
    if rep.verdict == "ok":
        return f"holds ({rep.distinct_states:,} states){mark}"
    if rep.verdict == "violated":
        what = f"lasso of {len(rep.trace)}" if rep.loop_start is not None else f"{len(rep.trace)} states"
        return f"**violated** ({what}){mark}"
    return f"{rep.verdict}: {rep.message or ''}{mark}"


def anchor(r: Result) -> str:
    return f"{r.version}-{r.model}-{r.prop}".lower()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=os.path.join("docs", "memslots.md"))
    ap.add_argument("--reports", help="read reports from DIR instead of running the engine")
    args = ap.parse_args(argv)
    os.chdir(ROOT)

    t0 = time.monotonic()
    results: list[Result] = []
    specs = {}
    for version in VERSIONS:
        specs[version] = load(os.path.join("spec", "kvm", f"{version}.pyspec"))
        for model in MODELS:
            t = time.monotonic()
            reps = run_reports(version, model, args.reports)
            results += [Result(version, model, rep) for rep in reps]
            print(f"{version:10} {model:10} {len(reps)} checks {time.monotonic() - t:7.1f}s", file=sys.stderr)
    elapsed = time.monotonic() - t0

    expl = parse_explanations(EXPLANATIONS)
    problems = find_problems(results, expl)
    if problems:
        for p in problems:
            print(f"docs/gen/memslots.py: error: {p}", file=sys.stderr)
        return 1

    os.makedirs(IMG_DIR, exist_ok=True)
    wanted = set()
    for r in results:
        if r.violated and r.prop in PROTOCOL:
            name = f"{anchor(r)}.svg"
            wanted.add(name)
            write_atomic(os.path.join(IMG_DIR, name), swimlane_svg(r.report, specs[r.version], id_prefix=anchor(r)))
    for old in os.listdir(IMG_DIR):  # pictures of violations that are gone
        if old.endswith(".svg") and old not in wanted:
            os.remove(os.path.join(IMG_DIR, old))
    out = render(results, specs, expl)
    write_atomic(args.output, out)
    print(f"wrote {args.output} ({len(results)} checks, {elapsed:.0f}s of checking)", file=sys.stderr)
    return 0


def render(results: list[Result], specs, expl) -> str:
    by = {(r.version, r.model, r.prop): r for r in results}
    L: list[str] = []
    L.append("# KVM memslots and MMIO caching: what the checkers found")
    L.append("")
    L.append("<!-- Generated by `make docs` (docs/gen/memslots.py) from real runs of the embedded")
    L.append("     engine; the explanations come from docs/gen/memslots-explanations.md.  Do not edit. -->")
    L.append("")
    L.append(expl.get(("all", None, "intro"), ""))
    L.append("")
    L.append("## Verdicts")
    L.append("")
    L.append("Models (see [the model page](memslots-model.md)): `small` = 2 vCPUs, 2 gfns, at most 3 "
             "updates, `GEN_BITS = 3`, symmetry; `wrap` = the same with `GEN_BITS = 1`; `live` = 2 updates, "
             "`GEN_BITS = 3`, no symmetry; `live_wrap` = 3 updates, `GEN_BITS = 1`.  A cell gives the verdict, "
             "the distinct states explored for a property that holds, and the length of the shortest "
             "counterexample (in states, initial state included) for one that is violated; a liveness "
             "counterexample is a lasso.  Empty: the property is not checked on that model.")
    L.append("")
    for version, what in VERSIONS.items():
        L.append(f"### {version}: {what}")
        L.append("")
        L.append("| property | " + " | ".join(MODELS) + " |")
        L.append("|---" * (len(MODELS) + 1) + "|")
        props = [p for p in PROTOCOL + WITNESSES + ("deadlock",)
                 if any((version, m, p) in by for m in MODELS)]
        for p in props:
            cells = []
            for m in MODELS:
                r = by.get((version, m, p))
                c = cell(r)
                if r is not None and r.violated and p in PROTOCOL:
                    c = f"[{c}](#{anchor(r)})"
                cells.append(c)
            L.append(f"| `{p}` | " + " | ".join(cells) + " |")
        L.append("")
    L.append("State counts are distinct states after symmetry reduction where the model declares "
             "symmetry (`small`, `wrap`).  The page holds no timings, so that it is byte-stable; "
             "`make docs` prints them.  The TLC cross-check of the same models is in "
             "`bench/results/crosscheck.md`.")
    L.append("")
    L.append("## Counterexamples")
    L.append("")
    L.append("Each picture has one lane per process instance, time flowing down; highlighted lines are "
             "the changes to what the violated property reads.  ")
    L.append("Each trace is what `pyspec check spec/kvm/<version>.pyspec --model <model> --property <P>` "
             "prints: one line per step (process, label, `file:line`, the values `any` chose), then the "
             "variables that step changed.")
    L.append("")
    for version in VERSIONS:
        for r in [r for r in results if r.version == version and r.violated and r.prop in PROTOCOL]:
            L.append(f'<a id="{anchor(r)}"></a>')
            L.append(f"### {version} / {r.model} / {r.prop}")
            L.append("")
            L.append(explanation_for(expl, r) or "")
            L.append("")
            L.append(f"![{version} {r.model} {r.prop}: swimlanes of the counterexample]"
                     f"(img/memslots/{anchor(r)}.svg)")
            L.append("")
            L.append("<details><summary>the same trace as text</summary>")
            L.append("")
            L.append("```text")
            L.extend(render_trace(r.report, specs[version]))
            L.append("```")
            L.append("")
            L.append("</details>")
            L.append("")
    L.append("## Non-vacuity witnesses")
    L.append("")
    L.append("Each witness claims that something never happens and is expected to be violated: its "
             "counterexample proves that the model reaches a per-vCPU cache hit (`NoCacheHit`), an MMIO "
             "SPTE hit (`NoSpteHit`), a grace period that really waits (`NoGraceWait`) and, with a wrapping "
             "width, the wraparound zap (`NoWrapZap`), so that the properties above do not hold vacuously.")
    L.append("")
    for version in VERSIONS:
        for r in [r for r in results if r.version == version and r.violated and r.prop in WITNESSES]:
            L.append("<details>")
            L.append(f"<summary>{version} / {r.model} / {r.prop}: {len(r.report.trace)} states</summary>")
            L.append("")
            L.append("```text")
            L.extend(render_trace(r.report, specs[version]))
            L.append("```")
            L.append("")
            L.append("</details>")
            L.append("")
    return "\n".join(L).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
