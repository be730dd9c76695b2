"""TLC's output -> a :class:`~pyspec.report.Report` in the spec's own terms.

TLC runs with ``-tool``: its stdout is a sequence of messages framed by
``@!@!@STARTMSG <code>:<severity> @!@!@`` and ``@!@!@ENDMSG <code> @!@!@``
(codes from ``tlc2.output.EC``).  :class:`ToolParser` reads them as they
arrive (for live progress) and gathers the outcome, the statistics and the
counterexample printed on stdout; :func:`build_report` then maps the
counterexample (from ``-dumpTrace json`` when TLC wrote it, else from
stdout) back through the export's source map.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ... import values as V
from ...ir import nodes as ir
from ...ir.walk import recursive_defs
from ...report import Report, TraceStep
from ...tla.sourcemap import SourceMap, VarInfo
from .tlavalues import TlaValueError, decode, parse_state, parse_tla

# Message codes (tlc2.output.EC) this parser understands.
GENERAL = 1000
TLC_NESTED_EXPRESSION = 2103
TLC_ASSUMPTION_FALSE = 2104
TLC_INVARIANT_VIOLATED_INITIAL = 2107
TLC_PROPERTY_VIOLATED_INITIAL = 2108
TLC_INVARIANT_VIOLATED_BEHAVIOR = 2110
TLC_INVARIANT_EVALUATION_FAILED = 2111
TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR = 2112
TLC_DEADLOCK_REACHED = 2114
TLC_TEMPORAL_PROPERTY_VIOLATED = 2116
TLC_BEHAVIOR_UP_TO_THIS_POINT = 2121
TLC_BACK_TO_STATE = 2122
TLC_VALUE_ASSERT_FAILED = 2132
TLC_FINISHED = 2186
TLC_INIT_GENERATED1 = 2190
TLC_SUCCESS = 2193
TLC_SEARCH_DEPTH = 2194
TLC_STATS = 2199
TLC_PROGRESS_STATS = 2200
TLC_STATE_PRINT1 = 2216
TLC_STATE_PRINT2 = 2217
TLC_STATE_PRINT3 = 2218
TLC_VERSION = 2262
TLC_COUNTER_EXAMPLE = 2264

#: TLC exit codes (tlc2.output.EC.ExitStatus)
EXIT_CODES = {
    0: "success", 10: "assumption violated", 11: "deadlock", 12: "safety violation",
    13: "liveness violation", 14: "assertion failed", 75: "evaluation error (spec)",
    76: "evaluation error (safety property)", 77: "evaluation error (liveness property)",
    150: "parse error", 151: "configuration error", 152: "state space too large", 153: "system error",
    255: "error",
}

_START = re.compile(r"^@!@!@STARTMSG (\d+):(\d+) @!@!@$")
_END = re.compile(r"^@!@!@ENDMSG (\d+) @!@!@$")
_NUM = r"([\d,]+)"
_PROGRESS = re.compile(r"Progress\((\d+)\).*?: " + _NUM + r" states generated(?: \(" + _NUM
                       + r" s/min\))?, " + _NUM + r" distinct states found(?: \(" + _NUM + r" ds/min\))?, "
                       + _NUM + r" states left on queue")
_STATS = re.compile(_NUM + r" states generated, " + _NUM + r" distinct states found, " + _NUM
                    + r" states left on queue")
_INIT = re.compile(r"Finished computing initial states: " + _NUM + r" (?:distinct )?states? generated"
                   r"(?:, with " + _NUM + r" of them distinct)?")
_DEPTH = re.compile(r"depth of the complete state graph search is (\d+)")
_LOCATION = re.compile(r"line (\d+), col(?:umn)? (\d+) to line (\d+), col(?:umn)? (\d+) (?:of module|in) (\w+)",
                       re.I)
_ACTION = re.compile(r"^<(\w+)(?:\((.*)\))? line (\d+), col (\d+) to line (\d+), col (\d+) of module (\w+)>$",
                     re.S)


def _int(s: str | None) -> int:
    return int(s.replace(",", "")) if s else 0


@dataclass
class Message:
    code: int
    severity: int
    text: str


@dataclass
class Progress:
    depth: int
    generated: int
    distinct: int
    queue: int
    rate: int  # states generated per minute


@dataclass
class TraceState:
    """One state of a counterexample as printed on stdout."""

    number: int
    header: str  # "<Initial predicate>", "<Action line ... of module M>", "Stuttering", ...
    state: dict[str, Any]  # TLA+ variable -> neutral value
    back_to: int | None = None  # "Back to state N": the lasso loops to state N


@dataclass
class TlcOutput:
    version: str | None = None
    messages: list[Message] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # lines outside messages
    outcome: str | None = None  # ok | invariant | deadlock | liveness | action | error
    property: str | None = None
    violated: list[str] = field(default_factory=list)  # every temporal property TLC named as violated
    error: str | None = None  # text of the error message(s)
    positions: list[tuple[str, int]] = field(default_factory=list)  # (module, line) TLC pointed at
    generated: int = 0
    distinct: int = 0
    queue: int = 0
    depth: int = 0
    progress: list[Progress] = field(default_factory=list)
    trace: list[TraceState] = field(default_factory=list)
    finished: bool = False
    #: (module, line) of the ASSUME TLC found false
    assumption_false: tuple[str, int] | None = None


class ToolParser:
    """Incremental parser of ``tlc2.TLC -tool`` output; feed it lines."""

    def __init__(self, on_progress: Callable[[Progress], None] | None = None,
                 on_message: Callable[[Message], None] | None = None):
        self.out = TlcOutput()
        self._code: int | None = None
        self._sev = 0
        self._buf: list[str] = []
        self._outer: list[tuple[int, int, list[str]]] = []  # enclosing messages
        self.on_progress = on_progress
        self.on_message = on_message

    def feed(self, line: str) -> None:
        line = line.rstrip("\r\n")
        m = _START.match(line)
        if m:
            if self._code is not None:
                # TLC nests messages (an Assert's 2132 inside a 1000 raised
                # while computing initial states): the outer one resumes
                # after the inner one ends
                self._outer.append((self._code, self._sev, self._buf))
            self._code, self._sev, self._buf = int(m.group(1)), int(m.group(2)), []
            return
        if self._code is None:
            if line.strip():
                self.out.other.append(line)
            return
        m = _END.match(line)
        if m:
            msg = Message(self._code, self._sev, "\n".join(self._buf).strip("\n"))
            self._code = None
            if self._outer:
                self._code, self._sev, self._buf = self._outer.pop()
            self._handle(msg)
        else:
            self._buf.append(line)

    def feed_all(self, text: str) -> TlcOutput:
        for ln in text.splitlines():
            self.feed(ln)
        return self.finish()

    def finish(self) -> TlcOutput:
        o = self.out
        if o.outcome is None and not o.finished:
            o.outcome = "error"
        if o.outcome == "error":
            sany = _parse_error_text(o.other)
            if not o.error:
                o.error = sany or "TLC stopped without a result"
            elif sany and "Parsing or semantic analysis failed" in o.error:
                o.error += "\n" + sany
        return o

    def _error(self, text: str) -> None:
        if not text.strip():
            return  # an outer message whose text was a nested one
        o = self.out
        o.error = text if not o.error else o.error + "\n" + text

    def _handle(self, msg: Message) -> None:
        o = self.out
        o.messages.append(msg)
        if self.on_message:
            self.on_message(msg)
        c, t = msg.code, msg.text
        if c == TLC_VERSION:
            m = re.search(r"Version (\S+)", t)
            o.version = m.group(1) if m else t
        elif c == TLC_PROGRESS_STATS:
            m = _PROGRESS.search(t)
            if m:
                p = Progress(int(m.group(1)), _int(m.group(2)), _int(m.group(4)), _int(m.group(6)),
                             _int(m.group(3)))
                o.progress.append(p)
                o.generated, o.distinct, o.queue, o.depth = p.generated, p.distinct, p.queue, max(o.depth, p.depth)
                if self.on_progress:
                    self.on_progress(p)
        elif c == TLC_STATS:
            m = _STATS.search(t)
            if m:
                o.generated, o.distinct, o.queue = _int(m.group(1)), _int(m.group(2)), _int(m.group(3))
        elif c == TLC_INIT_GENERATED1:
            m = _INIT.search(t)
            if m and not o.distinct:
                gen = _int(m.group(1))
                o.generated, o.distinct = gen, _int(m.group(2)) if m.group(2) else gen
        elif c == TLC_SEARCH_DEPTH:
            m = _DEPTH.search(t)
            if m:
                o.depth = int(m.group(1))
        elif c == TLC_SUCCESS:
            o.outcome = o.outcome or "ok"
        elif c == TLC_FINISHED:
            o.finished = True
        elif c in (TLC_INVARIANT_VIOLATED_BEHAVIOR, TLC_INVARIANT_VIOLATED_INITIAL):
            o.outcome = "invariant"
            m = re.search(r"Invariant (\w+) is violated", t)
            o.property = m.group(1) if m else None
        elif c == TLC_DEADLOCK_REACHED:
            o.outcome, o.property = "deadlock", "deadlock"
        elif c == TLC_TEMPORAL_PROPERTY_VIOLATED:
            # "Temporal property P was violated.", "Temporal properties P and
            # Q were violated.", "... P, Q, and R were ...", or nameless
            o.outcome = "liveness"
            o.violated = temporal_names(t)
            o.property = o.violated[0] if o.violated else None
        elif c == TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR:
            o.outcome = "action"
            m = re.search(r"Action property (\w+) is violated", t)
            o.property = m.group(1) if m else None
        elif c == TLC_PROPERTY_VIOLATED_INITIAL:
            o.outcome = "liveness"
            m = re.search(r"[Pp]roperty (\w+) is violated", t)
            o.property = m.group(1) if m else None
        elif c in (TLC_STATE_PRINT1, TLC_STATE_PRINT2, TLC_STATE_PRINT3):
            self._state(t)
        elif c == TLC_BACK_TO_STATE:
            # "N: Back to state: <action ...>": the lasso closes on state N
            m = re.search(r"^(?:State )?(\d+):\s*Back to state", t) or re.search(r"Back to state:?\s*(\d+)", t)
            if m and o.trace:
                o.trace[-1].back_to = int(m.group(1))
        elif c == TLC_NESTED_EXPRESSION:
            o.positions.extend(_positions(t))
        elif c == TLC_ASSUMPTION_FALSE:
            # "Assumption line L, col C to line L2, col C2 of module M is false."
            o.outcome = "error"
            self._error(t)
            m = _LOCATION.search(t)
            if m:
                o.assumption_false = (m.group(5), int(m.group(1)))
                o.positions.append(o.assumption_false)
        elif c in (TLC_BEHAVIOR_UP_TO_THIS_POINT, TLC_COUNTER_EXAMPLE):
            pass
        elif msg.severity in (1, 2) or c in (GENERAL, TLC_VALUE_ASSERT_FAILED):
            # an error not in the list above: an evaluation or parse error
            if o.outcome in (None, "ok"):
                o.outcome = "error"
            if c == TLC_VALUE_ASSERT_FAILED:
                m = re.search(r'second argument was:\s*"(.*)"\s*$', t, re.S)
                self._error(m.group(1) if m else t)
            else:
                self._error(t)
            o.positions.extend(_positions(t))

    def _state(self, text: str) -> None:
        head, _, body = text.partition("\n")
        m = re.match(r"^(?:State )?(\d+):\s*(.*)$", head)
        if not m:
            return
        number, header = int(m.group(1)), m.group(2).strip()
        back = re.match(r"Back to state:?\s*(\d+)", header)
        if back:
            if self.out.trace:
                self.out.trace[-1].back_to = int(back.group(1))
            return
        try:
            state = parse_state(body) if body.strip() else {}
        except TlaValueError:
            state = {}
        self.out.trace.append(TraceState(number, header, state))


def _positions(text: str) -> list[tuple[str, int]]:
    return [(m.group(5), int(m.group(1))) for m in _LOCATION.finditer(text)]


def _parse_error_text(lines: list[str]) -> str | None:
    """Errors printed outside messages (SANY's parse errors)."""
    keep = [ln for ln in lines if ln.strip() and not ln.startswith(("Parsing file", "Semantic processing",
                                                                    "Linting of module"))]
    return "\n".join(keep[-30:]) if keep else None


def parse_output(text: str) -> TlcOutput:
    return ToolParser().feed_all(text)


# --------------------------------------------------------------------------
# Counterexample -> spec-level trace
# --------------------------------------------------------------------------


@dataclass
class RawStep:
    """A state of the counterexample and the action that reached it."""

    state: dict[str, Any]  # TLA+ variable -> neutral value
    action: str | None = None  # TLA+ operator
    params: dict[str, Any] = field(default_factory=dict)  # operator parameters (neutral values)
    module: str | None = None
    line: int | None = None


def raw_trace_from_json(data: dict) -> tuple[list[RawStep], int | None]:
    """The ``-dumpTrace json`` counterexample: steps and the index the lasso loops to."""
    ce = data.get("counterexample") or {}
    states = {int(i): s for i, s in ce.get("state", [])}
    if not states:
        return [], None
    steps = [RawStep(states[min(states)])]
    loop = None
    for src, act, dst in ce.get("action", []):
        i, j = int(src[0]), int(dst[0])
        loc = act.get("location") or {}
        name = act.get("name")
        if j <= i:  # the lasso closes: back to state j (stuttering when j == i)
            loop = j - 1
            break
        steps.append(RawStep(dst[1], name, dict(act.get("context") or {}), loc.get("module"),
                             loc.get("beginLine")))
    return steps, loop


def raw_trace_from_stdout(out: TlcOutput) -> tuple[list[RawStep], int | None]:
    steps: list[RawStep] = []
    loop = None
    for ts in out.trace:
        h = ts.header
        if h.startswith("Stuttering") or h.startswith("<Stuttering"):
            loop = len(steps) - 1
            continue
        m = _ACTION.match(h)
        if m:
            params = {}
            if m.group(2):
                try:
                    params = {"self": parse_tla(m.group(2))}
                except TlaValueError:
                    params = {}
            steps.append(RawStep(ts.state, m.group(1), params, m.group(7), int(m.group(3))))
        else:
            steps.append(RawStep(ts.state))
        if ts.back_to is not None:
            loop = ts.back_to - 1
    return steps, loop


def _decode_state(raw: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    """TLA+ variables (neutral values) -> spec values keyed by spec name."""
    out = {}
    for v in sm.variables:
        if v.tla in raw:
            out[v.key] = decode(raw[v.tla], v.full_type, sm.model_values)
    return out


def _itf_state(state: dict[str, Any], sm: SourceMap) -> dict[str, Any]:
    types = {v.key: v.full_type for v in sm.variables}
    return {k: V.to_itf(x, types.get(k)) for k, x in state.items()}


def _find_self(prev: dict[str, Any], cur: dict[str, Any], process: str, label: str,
               sm: SourceMap) -> Any:
    """The instance of an indexed process that took a step: the one whose pc
    was at the step's label and whose pc or locals changed."""
    pc = prev.get(f"{process}.pc")
    if not isinstance(pc, V.FMap):
        return None
    at_label = [i for i, lab in pc.items() if lab == label]
    if len(at_label) == 1:
        return at_label[0]
    keys = [v.key for v in sm.variables if v.process == process]
    changed = [i for i in at_label
               if any(isinstance(prev.get(k), V.FMap) and isinstance(cur.get(k), V.FMap)
                      and prev[k].get(i) != cur[k].get(i) for k in keys)]
    return changed[0] if len(changed) == 1 else None


def spec_trace(raw: list[RawStep], sm: SourceMap) -> list[TraceStep]:
    out: list[TraceStep] = []
    prev: dict[str, Any] | None = None
    for n, rs in enumerate(raw):
        state = _decode_state(rs.state, sm)
        process = label = source = None
        self_itf = None
        info = sm.actions.get(rs.action) if rs.action else None
        if info is not None:
            process, label, source = info.process, info.label, info.source
            if info.indexed:
                vi = sm.var_by_key(f"{info.process}.pc")
                it = vi.index_type if vi else None
                self_val = None
                if "self" in rs.params and it is not None:
                    try:
                        self_val = decode(rs.params["self"], it, sm.model_values)
                    except TlaValueError:
                        self_val = None
                if self_val is None and prev is not None:
                    self_val = _find_self(prev, state, info.process, info.label, sm)
                if self_val is not None:
                    self_itf = V.to_itf(self_val, it)
        elif rs.action and n > 0 and rs.module and rs.line:
            source = sm.source_at(rs.module, rs.line)
        out.append(TraceStep(step=n, process=process, self=self_itf, label=label, params={},
                             source=source, state=_itf_state(state, sm)))
        prev = state
    return out


def _spec_terms(text: str, sm: SourceMap) -> str:
    """TLC's "Attempted to apply function: F to argument A, which is not in
    the domain of the function." in the embedded engine's words and the
    spec's syntax (model values named as in the spec)."""
    m = re.search(r"Attempted to apply function:\s*(.+?)\s*to argument (.+?), which is not in the domain "
                  r"of the function\.", text, re.S)
    if not m:
        return text
    try:
        f, a = _value_text(m.group(1), sm), _value_text(m.group(2), sm)
    except Exception:  # noqa: BLE001 - TLC's own words stay
        return text
    return text[:m.start()] + f"map applied outside its keys: {a} is not a key of {f}" + text[m.end():]


def _value_text(tla: str, sm: SourceMap) -> str:
    """A value as TLC prints it, in the spec's syntax."""
    from ...values import FMap, ModelValue, Record, format_value
    from .tlavalues import parse_tla

    def value(j):
        if isinstance(j, dict) and "#mv" in j:
            sort_name = sm.model_values.get(j["#mv"])
            return ModelValue(*sort_name) if sort_name else j["#mv"]
        if isinstance(j, dict) and "#fun" in j:
            return FMap((value(k), value(v)) for k, v in j["#fun"])
        if isinstance(j, dict):
            return Record((k, value(v)) for k, v in j.items())
        if isinstance(j, list):
            return tuple(value(x) for x in j)
        return j

    return format_value(value(parse_tla(tla)))


def temporal_names(text: str) -> list[str]:
    """The properties a TLC_TEMPORAL_PROPERTY_VIOLATED message names, in order."""
    m = re.search(r"Temporal property (\w+) was violated", text)
    if m:
        return [m.group(1)]
    m = re.search(r"Temporal properties (.+?) were violated", text)
    if not m:
        return []
    return [n for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", m.group(1).strip()) if re.fullmatch(r"\w+", n)]


def error_source(out: TlcOutput, sm: SourceMap) -> str | None:
    """The spec position of an evaluation error: the innermost position TLC
    named inside the generated spec module."""
    for mod, line in reversed(out.positions):
        src = sm.source_at(mod, line)
        if src:
            return src
    return None


KIND = {"invariant": "invariant", "deadlock": "deadlock", "liveness": "liveness", "action": "action"}


def build_report(out: TlcOutput, *, spec: ir.Spec, spec_path: str, model: str, sm: SourceMap,
                 exit_code: int | None, seconds: float, properties: list[str],
                 expected: str | None = None, trace_json: dict | None = None) -> Report:
    """One report from a finished TLC run."""
    rep = Report(engine="tlc", spec=spec_path, model=model, verdict="ok",
                 distinct_states=out.distinct, generated_states=out.generated, depth=out.depth,
                 seconds=round(seconds, 3), properties=list(properties), expected=expected)
    outcome = out.outcome
    if outcome == "ok" and exit_code not in (0, None):
        outcome = "error"
    if outcome in KIND:
        rep.verdict = "violated"
        rep.kind = KIND[outcome]
        prop = sm.property(out.property)  # TLC's name -> the spec's
        if prop is None:
            # older TLCs do not name the temporal property: the only one checked
            cands = [p for p in properties if _kind_of(spec, p) == ("action" if outcome == "action" else "temporal")]
            prop = cands[0] if len(cands) == 1 else None
        if prop not in properties and outcome in ("action", "liveness"):
            # a part of a refinement's abstract Spec: TLC names the formula
            # by its place in the abstract module ("Action property line 58,
            # col 17 ... of module TCommit"), or by the abstract Init
            prop = _refinement_of(out, spec, properties) or prop
        if outcome == "liveness" and prop and _kind_of(spec, prop) == "action":
            rep.kind = "action"
        if prop and _kind_of(spec, prop) == "refinement":
            initial = any(m.code == TLC_PROPERTY_VIOLATED_INITIAL for m in out.messages)
            rep.kind = "invariant" if initial else ("action" if outcome == "action" else "liveness")
        if outcome == "invariant" and prop not in properties:
            # TLC checks the `[]P` part of a temporal property as an invariant
            # named by P's text ("Invariant flag is violated"): the temporal
            # property of the run it comes from
            cands = [p for p in properties if _kind_of(spec, p) == "temporal"]
            if len(cands) == 1:
                prop = cands[0]
                rep.message = "an 'always' (or initial) part of the temporal property is false in a reachable state"
        rep.property = prop
    elif outcome == "error":
        rep.verdict = "error"
        text = (out.error or "").strip()
        # TLC names the property it was evaluating, but its positions point
        # elsewhere (the action, or the MC module of a constraint)
        named = re.search(r"Evaluating (?:invariant|action property) (\w+) failed", text)
        prop_span = next((p.span for p in spec.properties if named and p.name == sm.property(named.group(1))),
                         None)
        model_ir = next((m for m in spec.models if m.name == model), None)
        if prop_span is not None:
            src = f"{prop_span.file}:{prop_span.line}"
        elif any(mod.startswith("MC_") for mod, _ in out.positions) and model_ir is not None \
                and model_ir.constraint is not None and not error_source(out, sm):
            c = model_ir.constraint.span
            src = f"{c.file}:{c.line}"
            text = "evaluating the state constraint: " + re.sub(r"TLC threw an unexpected exception\.\s*", "", text)
        else:
            src = error_source(out, sm)
        text = _spec_terms(sm.spec_words(text), sm)
        if exit_code is not None and exit_code not in (0,) and not text:
            text = f"TLC exited with code {exit_code} ({EXIT_CODES.get(exit_code, 'unknown')})"
        # an error of the spec (TLC evaluated it and failed), not of TLC or
        # Java: what `pyspec tlc` exits with (2, as the embedded engine)
        rep.spec_error = bool(src) or bool(named) or any(  # type: ignore[attr-defined]
            w in text for w in ("StackOverflowError", "Attempted to", "Assert", "is not in the domain",
                                "evaluating the state constraint"))
        if "StackOverflowError" in text:
            # TLC names no position: the recursive defs of the spec are the suspects
            recursive = sorted(recursive_defs(spec))
            text = ("a recursive def does not terminate (or recurses too deeply): TLC ran out of stack"
                    + (f" (recursive defs: {', '.join(recursive)})" if recursive else ""))
        rep.message = (f"{src}: " if src and not re.match(r"^\S+:\d+:", text) else "") + _first_lines(text)
        assumed = sm.assume_lines.get(out.assumption_false) if out.assumption_false else None
        if assumed is not None and assumed in sm.assumptions:
            # in the spec's words, as the embedded engine says it
            name, where = sm.assumptions[assumed]
            rep.message = f"{where}: the assumption '{name}' is false"
            rep.spec_error = True  # type: ignore[attr-defined]
        if "Overflow" in text:
            rep.message += "\n(TLC's integers are 32-bit; the spec's are unbounded: check this model with the embedded engine)"
    if rep.verdict in ("ok", "error") and len(properties) == 1:
        # one property asked: name it as the embedded engine does
        rep.property = properties[0]
        k = "deadlock" if rep.property == "deadlock" else _kind_of(spec, rep.property)
        if k == "refinement":
            from ...tla.refinement import is_liveness

            k = "temporal" if is_liveness(spec.prop(rep.property)) else "action"
        rep.kind = {"temporal": "liveness"}.get(k, k)
    if rep.verdict == "violated" and rep.kind == "liveness" and len(out.violated) > 1:
        rep.message = "TLC reports these temporal properties violated by the same behaviour: " + \
            ", ".join(sm.property(n) for n in out.violated)
    steps, loop = ([], None)
    if trace_json:
        steps, loop = raw_trace_from_json(trace_json)
    if not steps and out.trace:
        steps, loop = raw_trace_from_stdout(out)
    if steps:
        try:
            rep.trace = spec_trace(steps, sm)
        except (TlaValueError, KeyError, TypeError) as e:
            rep.message = (rep.message + "\n" if rep.message else "") + f"could not map TLC's trace back: {e}"
            rep.trace = []
        if rep.kind == "liveness" and loop is not None and rep.trace:
            rep.loop_start = max(0, min(loop, len(rep.trace) - 1))
        if rep.kind != "liveness":  # a lasso's loop may be longer than the search is deep
            rep.depth = max(rep.depth, len(rep.trace))
    return rep


def _refinement_of(out: TlcOutput, spec: ir.Spec, properties: list[str]) -> str | None:
    """The refinement property a violation TLC reports in the words of the
    abstract module belongs to: the one whose abstract module TLC names,
    else the only refinement the run checks."""
    refs = [p.name for p in spec.properties if p.refinement is not None and p.name in properties]
    if not refs:
        return None
    codes = (TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR, TLC_PROPERTY_VIOLATED_INITIAL, TLC_TEMPORAL_PROPERTY_VIOLATED)
    text = next((m.text for m in reversed(out.messages) if m.code in codes), "")
    m = re.search(r"of module (\w+)", text)
    if m:
        hits = [n for n in refs if spec.prop(n).refinement.abstract.name == m.group(1)]
        if len(hits) == 1:
            return hits[0]
    return refs[0] if len(refs) == 1 else None


def _kind_of(spec: ir.Spec, prop: str) -> str | None:
    for p in spec.properties:
        if p.name == prop:
            return p.kind
    return None


_BOILERPLATE = ("TLC threw an unexpected exception.", "This was probably caused by an error in the spec or model.",
                "See the User Output or TLC Console for clues to what happened.")


def _first_lines(text: str, n: int = 12) -> str:
    lines = []
    for ln in text.splitlines():
        s = ln.strip()
        if not s or s in _BOILERPLATE or re.match(r"^The exception was a [\w.$]+$", s):
            continue
        lines.append(ln[2:] if ln.startswith(": ") else ln)
    return "\n".join(lines[:n])


__all__ = ["ToolParser", "TlcOutput", "Progress", "parse_output", "build_report", "spec_trace",
           "raw_trace_from_json", "raw_trace_from_stdout", "VarInfo", "EXIT_CODES"]
