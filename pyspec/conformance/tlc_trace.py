"""Trace validation with TLC: the trace becomes a TLA+ module TLC checks.

The method is that of the TLA+ trace-validation work (Cirstea, Kuppe,
Loillier, Merz 2024): the trace is a sequence constant ``Trace_`` of the
logged events, a new variable ``i_`` counts the events explained so far,
and the spec's next-state relation is constrained to follow the trace::

    TraceInit_ == i_ = 0 /\\ Init /\\ Matches_
    TraceNext_ == i_ < Len(Trace_) /\\ i_' = i_ + 1
                  /\\ Step_(Trace_[i_ + 1])   \\* the action the event names
                  /\\ Matches_'               \\* the logged values, after the step

``Matches_`` constrains only the variables the event logged (partial
observation: the others are chosen existentially by TLC's search, as the
embedded validator does with its candidate set).  TLC checks the invariant
``TraceNotAccepted_ == i_ < Len(Trace_)``: a violation means some behaviour
of the spec explains every event, and its counterexample is that behaviour;
when TLC explores everything without a violation the trace is rejected, and
the depth of its breadth-first search minus one is the length of the longest
prefix a behaviour explains, so the event after it is the first one no
behaviour explains (the same event the embedded validator reports).

The module EXTENDS the model's ``MC_<model>`` module (constants bound as in
``pyspec tlc``); its own names all end in ``_``, which spec names never do
(docs/tla.md), so they cannot collide with the spec's.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engines.tlc.jar import Tools, resolve
from ..engines.tlc.output import EXIT_CODES, ToolParser, raw_trace_from_json
from ..engines.tlc.tlavalues import TlaValueError, decode
from ..ir import nodes as ir
from ..tla import render as R
from ..tla.export import TEMPLATES, model_values_of, render_model, render_module
from ..tla.sourcemap import SourceMap
from ..tla.values import tla_value
from ..values import format_value
from .traces import Event, Trace
from .validate import event_lines

#: The invariant whose violation means the trace is accepted.
GOAL = "TraceNotAccepted_"
#: JVM options of trace runs: their state spaces are small (the trace's length
#: times the states each event leaves possible), so TLC's run time is mostly
#: the JVM's start, which the client compiler alone shortens.
JVM = ("-XX:TieredStopAtLevel=1",)
#: The step name of an event that logged no step (a state of an ITF trace).
ANY_STEP = "*"


class TraceExportError(ValueError):
    """The trace cannot be written as TLA+ (a value TLA+ cannot hold)."""


# --------------------------------------------------------------------------
# The module
# --------------------------------------------------------------------------


class _ParamsRenderer(R.Renderer):
    """Renders a step as an operator that also takes the event's logged
    ``any`` choices (a function ``prm_`` from binder name): each ``any x in S``
    admits only the logged value of ``x``, when one was logged."""

    def _constrain(self, ex: R.Exists, binder: ir.Binder) -> R.Exists:
        name = ex.binder.split(" \\in ", 1)[0]
        ty = binder.domain.type.elem if isinstance(binder.domain.type, ir.SetType) else ir.ANY
        key = R.tla_string(binder.name)
        ok = match_expr(ty, name, f"prm_[{key}]", 1, self.none)
        atom = R.Atom(f"({key} \\in DOMAIN prm_) => ({ok})")
        body = ex.body.items if isinstance(ex.body, R.Conj) else [ex.body]
        return R.Exists(ex.binder, R.Conj([atom, *body]), ex.src)

    def _compound(self, s, c, step, rest):
        f = super()._compound(s, c, step, rest)
        return self._constrain(f, s.binder) if isinstance(s, ir.AnyStmt) else f

    def _joined(self, s, c, step):
        f, c2 = super()._joined(s, c, step)
        return (self._constrain(f, s.binder) if isinstance(s, ir.AnyStmt) else f), c2


def match_expr(ty: ir.Type, actual: str, observed: str, depth: int, none: str = R.NONE_NAME) -> str:
    """TLA+ for "``actual`` agrees with ``observed``", the logged value, as
    :func:`pyspec.conformance.validate.matches` decides: a map (not a record)
    constrains only the keys it lists, recursively; anything else is equal.
    ``none``: the constant standing for none."""
    if isinstance(ty, ir.MapType):
        k = f"k{depth}_"
        inner = match_expr(ty.value, f"{actual}[{k}]", f"{observed}[{k}]", depth + 1, none)
        return f"\\A {k} \\in DOMAIN {observed} : ({k} \\in DOMAIN {actual}) /\\ ({inner})"
    if isinstance(ty, ir.OptionalType) and isinstance(ty.inner, ir.MapType):
        inner = match_expr(ty.inner, actual, observed, depth, none)
        return f"IF {observed} = {none} \\/ {actual} = {none} THEN {actual} = {observed} ELSE {inner}"
    return f"{actual} = {observed}"


@dataclass
class TraceModule:
    """The files of one trace-validation run and how to read its result."""

    module: str  # the trace module's name (``TV_<model>``)
    files: dict[str, str]  # file name -> text: spec module, MC module, trace module and cfg
    sourcemap: SourceMap
    total: int  # events in the trace

    @property
    def cfg(self) -> str:
        return f"{self.module}.cfg"


def _step_names(spec: ir.Spec) -> dict[tuple[str, str], ir.Step]:
    return {(st.process, st.label): st for st in spec.steps}


def _has_any(step: ir.Step) -> bool:
    return any(isinstance(e, ir.AnyStmt) for e in _stmts(step.body))


def _stmts(stmts):
    for s in stmts:
        yield s
        if isinstance(s, ir.AnyStmt):
            yield from _stmts(s.body)
        elif isinstance(s, ir.If):
            for _, body in s.branches:
                yield from _stmts(body)
            yield from _stmts(s.orelse)
        elif isinstance(s, ir.Either):
            for body in s.branches:
                yield from _stmts(body)
        elif isinstance(s, ir.Let):
            yield from _stmts(s.body)


def variant_name(r: R.Renderer, process: str, label: str) -> str:
    """The operator of a step that takes logged ``any`` choices."""
    return f"{r.step_op(process, label)}_params_"


def render_trace_module(spec: ir.Spec, model, trace: Trace, root: str | None = None) -> TraceModule:
    """The TLA+ files that let TLC validate ``trace`` against a model of
    ``spec`` (``model``: its name, the IR model or a ``CompiledModel``)."""
    if not isinstance(model, (str, ir.Model)):  # a CompiledModel
        model = model.model
    m = model if isinstance(model, ir.Model) else spec.model(model)
    module_text, sm, r = render_module(spec, root)
    mc_tla, mc_cfg = render_model(spec, r, m)
    mc = f"MC_{m.name}"
    name = f"TV_{m.name}"
    if name == spec.name:
        raise R.ExportError(f"model '{m.name}' would give the trace module the spec's own name {name}")
    declared = {**r.model_values, **model_values_of(m, r)}
    used: dict[str, tuple[str, str]] = {}
    vars_by_key = {v.key: v for v in r.state_vars}
    order = {k: i for i, k in enumerate(vars_by_key)}
    procs = {p.name: p for p in spec.processes}
    steps = _step_names(spec)
    with_params = {key for key, st in steps.items() if _has_any(st)}

    def obs_text(observed: dict[str, Any]) -> str:
        fields = []
        for key in observed:
            if key not in order:
                raise TraceExportError(f"unknown state variable '{key}'")
        for key in sorted(observed, key=order.__getitem__):
            v = vars_by_key[key]
            fields.append((v.tla, observed[key], v.full_type))
        if not fields:
            return "<<>>"
        return "[" + ", ".join(f"{t} |-> {tla_value(x, ty, used, r.none)}" for t, x, ty in fields) + "]"

    def event_text(ev: Event) -> str:
        parts = [f"step |-> {R.tla_string(ANY_STEP if ev.process is None else f'{ev.process}.{ev.label}')}"]
        if ev.process is not None and procs[ev.process].index is not None:
            parts.append(f"self |-> {tla_value(ev.self, r.index_type(procs[ev.process]), used, r.none)}")
        if ev.params:
            ptypes = _param_types(steps[(ev.process, ev.label)])
            # keyed by strings: binder names need not be TLA+ record fields
            parts.append("params |-> (" + " @@ ".join(
                f"{R.tla_string(k)} :> {tla_value(v, ptypes.get(k), used, r.none)}"
                for k, v in sorted(ev.params.items()))
                + ")")
        elif (ev.process, ev.label) in with_params:
            parts.append("params |-> <<>>")
        parts.append(f"obs |-> {obs_text(ev.observed)}")
        return "[" + ", ".join(parts) + "]"

    try:
        init = obs_text(trace.init or {})
        events = [event_text(ev) for ev in trace.events]
    except R.ExportError as e:
        raise TraceExportError(str(e)) from None
    for n in used:
        if not R.IDENT.match(n):
            raise TraceExportError(f"model value {n} is not a TLA+ identifier")
    extra = {n: used[n] for n in sorted(used) if n not in declared}

    matches = []
    for v in r.state_vars:
        ok = match_expr(v.full_type, v.tla, f"o_.{v.tla}", 1, r.none)
        matches.append(f'("{v.tla}" \\in DOMAIN o_) => ({ok})')

    variants = []
    pr = None
    step_arms = []
    c = r.ctx()
    for (proc, label), st in steps.items():
        p = procs[proc]
        op = r.step_op(proc, label)
        guard = [f'e_.step = {R.tla_string(f"{proc}.{label}")}']
        if p.index is not None:
            guard.append(f"e_.self \\in {r._p(p.index_set, c)}")
        args = ["e_.self"] if p.index is not None else []
        if (proc, label) in with_params:
            if pr is None:
                pr = _ParamsRenderer(spec, root)
            block = pr.step_operator(st)
            head = f"{op}(self)" if p.index is not None else op
            vname = variant_name(r, proc, label)
            text = block.text.replace(f"{head} ==", f"{vname}({'self, ' if p.index is not None else ''}prm_) ==", 1)
            variants.append({"comment": block.comment, "text": text})
            op, args = vname, args + ["e_.params"]
        call = f"{op}({', '.join(args)})" if args else op
        step_arms.append(" /\\ ".join(guard + [call]))
    any_step = " \\/ ".join(x for x in r.next_items() if x != r.gen("Terminating")) or "FALSE"
    step_arms.append(f'e_.step = "{ANY_STEP}" /\\ ({any_step})')

    spec_file = r.src(spec.span).rsplit(":", 1)[0]
    tla = TEMPLATES.get_template("trace.tla.j2").render(
        module=name, spec_file=spec_file, model=m.name, mc_module=mc, events=len(trace.events),
        model_values=[{"name": n, "comment": f"{s}.{v}"} for n, (s, v) in extra.items()],
        init=init, init_op=r.gen("Init"), trace=events, matches=matches, variants=variants, steps=step_arms)
    constants = _cfg_constants(mc_cfg) + [f"{n} = {n}" for n in extra]
    cfg = TEMPLATES.get_template("trace.cfg.j2").render(spec_file=spec_file, model=m.name, constants=constants)
    files = {f"{spec.name}.tla": module_text, f"{mc}.tla": mc_tla, f"{name}.tla": tla, f"{name}.cfg": cfg}
    return TraceModule(name, files, sm, len(trace.events))


def _param_types(step: ir.Step) -> dict[str, ir.Type]:
    out = {}
    for s in _stmts(step.body):
        if isinstance(s, ir.AnyStmt):
            t = s.binder.domain.type
            out[s.binder.name] = t.elem if isinstance(t, ir.SetType) else ir.ANY
    return out


def _cfg_constants(cfg: str) -> list[str]:
    """The constant bindings of a model's cfg: the trace run binds the
    constants exactly as ``pyspec tlc`` does (one place decides them)."""
    out: list[str] = []
    inside = False
    for line in cfg.splitlines():
        if line == "CONSTANTS":
            inside = True
        elif inside and line.startswith("    "):
            out.append(line.strip())
        elif inside:
            break
    return out


# --------------------------------------------------------------------------
# Running TLC
# --------------------------------------------------------------------------


@dataclass
class TlcValidationResult:
    """The outcome of validating a trace with TLC; the fields shared with
    :class:`~pyspec.conformance.validate.ValidationResult` mean the same."""

    ok: bool
    explained: int  # events explained (all when ok): the longest prefix a behaviour follows
    total: int
    failed_event: Event | None = None
    message: str = ""
    #: the spec behaviour TLC found that explains the trace (ok), or, when
    #: ``explain`` was asked, the explained prefix: spec values by report key
    witness: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # TLC failed (no verdict): why
    tlc_exit: int | None = None
    distinct_states: int = 0
    seconds: float = 0.0

    @property
    def candidates(self) -> list[dict[str, Any]]:
        """A spec state before the first unexplained event (the last state
        of the witness), when known."""
        return self.witness[-1:] if not self.ok else []

    def render(self, model=None) -> str:
        if self.error:
            return f"TLC could not validate the trace: {self.error}"
        if self.ok:
            return f"trace valid: {self.total} events explained by the spec (TLC)"
        ev = self.failed_event
        if ev is None:
            return ("trace invalid: the logged initial values are not those of an initial state of the spec "
                    "(TLC)")
        where = f" ({ev.where} of the trace)" if ev.where else ""
        lines = [f"trace invalid: event {self.explained + 1} of {self.total}{where} is not a step of the spec "
                 "(TLC)", f"  {self.message}"]
        lines += event_lines(ev)
        if self.witness:
            lines.append(f"  a spec state after the {self.explained} explained event(s):")
            lines.append("    " + ", ".join(f"{k}={format_value(v)}" for k, v in self.witness[-1].items()))
        return "\n".join(lines)


def run_trace_module(tm: TraceModule, tools: Tools, timeout: float | None = None,
                     keep: str | Path | None = None) -> tuple[Any, int | None, dict | None, float]:
    """Run TLC on a trace module: (parsed output, exit code, dumped trace, seconds)."""
    from ..engines.tlc.run import _stream  # the runner's streaming and timeout handling

    with tempfile.TemporaryDirectory(prefix="pyspec-tv-") as tmp:
        work = Path(keep) if keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for fname, text in tm.files.items():
            (work / fname).write_text(text, encoding="utf-8")
        dump = work / "trace.json"
        dump.unlink(missing_ok=True)
        cmd = tools.command("tlc2.TLC", "-tool", "-config", tm.cfg, "-metadir", str(Path(tmp) / "states"),
                            "-noGenerateSpecTE", "-dumpTrace", "json", str(dump), "-workers", "1",
                            "-deadlock", f"{tm.module}.tla", jvm=JVM)
        parser = ToolParser()
        start = time.monotonic()
        code = _stream(cmd, work, parser, timeout)
        seconds = time.monotonic() - start
        out = parser.finish()
        data = None
        if dump.is_file():
            try:
                data = json.loads(dump.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = None
        return out, code, data, seconds


def _witness(data: dict | None, sm: SourceMap) -> list[dict[str, Any]]:
    if not data:
        return []
    steps, _ = raw_trace_from_json(data)
    out = []
    for st in steps:
        state = {}
        for v in sm.variables:
            if v.tla in st.state:
                try:
                    state[v.key] = decode(st.state[v.tla], v.full_type, sm.model_values)
                except TlaValueError:
                    return []
        out.append(state)
    return out


def validate_with_tlc(spec: ir.Spec | str, model, trace: Trace, jar: str | None = None,
                      tools: Tools | None = None, explain: bool = True, timeout: float | None = None,
                      keep: str | Path | None = None, root: str | None = None) -> TlcValidationResult:
    """Validate ``trace`` against a model of ``spec`` (IR or path) with TLC;
    ``model`` is a model name, the IR model or a ``CompiledModel``.

    Raises :class:`~pyspec.engines.tlc.jar.ToolMissing` without Java or a
    jar, :class:`TraceExportError` for a trace TLA+ cannot hold.  With
    ``explain``, a rejected trace costs a second run on the explained prefix,
    whose witness shows a spec state before the first unexplained event."""
    if isinstance(spec, str):
        from .. import load

        spec = load(spec)
    tools = tools or resolve(jar)
    tm = render_trace_module(spec, model, trace, root)
    out, code, data, seconds = run_trace_module(tm, tools, timeout, keep)
    total = tm.total
    base = {"tlc_exit": code, "distinct_states": out.distinct, "seconds": round(seconds, 3)}
    if code is None:
        return TlcValidationResult(False, 0, total, error=f"TLC did not finish within {timeout} seconds", **base)
    if out.outcome == "invariant" and out.property == GOAL:
        return TlcValidationResult(True, total, total, witness=_witness(data, tm.sourcemap), **base)
    if out.outcome != "ok":
        text = (out.error or "").strip() or f"TLC exited with code {code} ({EXIT_CODES.get(code, 'unknown')})"
        return TlcValidationResult(False, 0, total, error=_first_lines(text), **base)
    if out.distinct == 0:
        return TlcValidationResult(False, 0, total, None,
                                   "no initial state of the spec matches the observed initial values", **base)
    explained = max(0, out.depth - 1)
    ev = trace.events[explained] if explained < total else None
    res = TlcValidationResult(False, explained, total, ev, _why(ev), **base)
    if explain:
        prefix = validate_with_tlc(spec, model, Trace(trace.init, trace.events[:explained]), tools=tools,
                                   explain=False, timeout=timeout, root=root)
        res.witness = prefix.witness
        res.seconds = round(res.seconds + prefix.seconds, 3)
    return res


def _why(ev: Event | None) -> str:
    if ev is None:
        return "the trace ends early"
    if ev.process is None:
        return "no behaviour of the spec reaches the logged state with one more step"
    return (f"no behaviour of the spec explaining the events before it can take {ev.process}.{ev.label}"
            + (f" for {format_value(ev.self)}" if ev.self is not None else "")
            + " with the logged values")


def _first_lines(text: str, n: int = 8) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[:n])


__all__ = ["TraceModule", "TlcValidationResult", "TraceExportError", "render_trace_module", "validate_with_tlc",
           "match_expr", "GOAL"]
