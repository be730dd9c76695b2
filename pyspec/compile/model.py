"""The compiled model: what engines, trace replay and conformance use.

``compile_model(spec, "two")`` generates and compiles the model's Python code
(:mod:`pyspec.compile.codegen`) and wraps it in a :class:`CompiledModel`.
States are opaque ints (packed, see :mod:`pyspec.compile.layout`); use
:meth:`CompiledModel.to_values` / :meth:`CompiledModel.from_values` to see
them as spec values keyed like reports (``var``, ``proc.pc``,
``proc.local``; an indexed process's entries are maps index -> value).

Field widths come from the declared types; ints without declared bounds (and
sequence lengths) are sized by a short deterministic breadth-first pre-run of
the model with provisional widths: values outside the final widths still
work (they escape into the state's tail), only slower.  The pre-run is a pure
function of the model, so every worker process computes the same layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir import temporal
from ..ir.walk import def_reads, iter_exprs, root_of
from .codegen import ActionInfo, Codegen, CompileError
from .layout import observe
from .runtime import EvalError, fmap_own

PRERUN_STATES = 2000
#: memoised spec values per slot (and per indexed key); cleared when this large
VALUE_MEMO_LIMIT = 100_000
PRERUN_WALKS = 20  # the layout 100 walks give, on all 55 models of spec/ (measured), at a fifth of the cost
PRERUN_DEPTH = 100


@dataclass(frozen=True)
class StepInfo:
    """The step that produced a successor: process, instance, label and the
    values ``any`` chose (by binder name)."""

    process: str
    self: Any  # the instance's index value; None for a singleton process
    label: str
    params: dict = field(default_factory=dict, compare=False, hash=False)
    aid: int = -1  # the step instance's number in CompiledModel.actions
    span: Span | None = field(default=None, compare=False, hash=False)
    param_types: dict = field(default_factory=dict, compare=False, hash=False)  # binder -> type (display)


@dataclass(frozen=True)
class Fairness:
    """One fairness constraint: weak or strong fairness of the disjunction of
    the step instances ``aids`` (see docs/semantics.md).  ``at``: for a
    condition with an argument that reads the state (``Return(c,
    alloc[c])``), the step instances it names in a state (a subset of
    ``aids``): enabled when one of them has a step that changes the state,
    met by a step of one of them from that state."""

    kind: str  # "weak" | "strong"
    aids: frozenset
    what: str  # e.g. "fair process proc(0)" / "fair step writer.W2"
    at: Callable[[int], frozenset] | None = field(default=None, compare=False, hash=False)

    def named(self, s: int) -> frozenset:
        """The step instances the condition names in state ``s``."""
        return self.aids if self.at is None else self.at(s)


@dataclass(frozen=True)
class TemporalLeaf:
    """One conjunct of a temporal property after expanding ``forall``/``and``.

    form: one of :mod:`pyspec.ir.temporal`'s forms (``always``,
    ``leads_to``, ``implies_eventually``, ...) or ``initially``; ``p`` (and
    ``q`` for the forms with two predicates) are compiled state predicates.
    """

    form: str
    p: Callable[[int], bool]
    q: Callable[[int], bool] | None
    text: str  # the conjunct with its bindings, for messages
    p_checked: Callable[[int], bool] | None = None  # checked variants (errors name the position)
    q_checked: Callable[[int], bool] | None = None
    p_expr: ir.Expr | None = None  # p's expression and bindings (the compiled engine splits it into parts)
    env: dict | None = None
    fairness: Fairness | None = None  # weak_fair / strong_fair: the condition (p is None)
    q_expr: ir.Expr | None = None  # q's expression (bindings: env)


class CompiledModel:
    """One model of a spec, compiled to Python; see the module docstring."""

    def __init__(self, spec: ir.Spec, model_name: str, seeds: tuple[dict, dict] | None = None,
                 values: tuple[dict, list] | None = None):
        self.model = spec.model(model_name)
        spec = ir.spec_for_model(spec, self.model)  # the model's def overrides
        self.spec = spec
        cg = Codegen(spec, self.model, seeds, values)
        ns = cg.compile_module()
        self.codegen = cg
        self.conv = cg.conv
        self.ns = ns
        self.layout = cg.layout
        self.slots = cg.layout.slots
        self.actions: list[ActionInfo] = cg.actions
        self.constants: dict[str, Any] = dict(cg.consts)
        self.next_fast: Callable[[int, Callable], None] = ns["_next_fast"]
        self.invariants: dict[str, _Pair] = {n: _Pair(cg, names) for n, names in cg.inv_names.items()}
        self.action_properties: dict[str, _Pair] = {n: _Pair(cg, names) for n, names in cg.act_names.items()}
        self._constraint_pair = _Pair(cg, cg.constraint_names) if cg.constraint_names is not None else None
        self.constraint: Callable[[int], bool] | None = (
            self._constraint_pair[0] if self._constraint_pair is not None else None)
        pcs = [sl for sl in self.slots if sl.kind == "pc"]
        self._pc_mask = 0
        self._done_bits = 0
        # terminated: every process (not action) instance at Done (true of a
        # spec without processes); a spec of actions alone never terminates
        # (docs/semantics.md)
        self._never_terminal = bool(spec.processes) and all(p.is_action for p in spec.processes)
        for sl in pcs:
            if spec.process(sl.process).is_action:
                continue
            self._pc_mask |= sl.mask << sl.off
            self._done_bits |= sl.codec.enc(ir.DONE) << sl.off
        self._keys = sorted({sl.key for sl in self.slots}, key=lambda k: [sl.key for sl in self.slots].index(k))
        self.fairness = self._fairness()
        self._init: list[int] | None = None
        self._next_by_action: list | None = None
        # to_values: state keys in report order, each with its slot (None)
        # or its instances' slots; memos of spec values by field contents
        self._key_slot: dict[str, Any] = {}
        self._inst_ext: dict[int, Any] = {}
        groups: dict[str, list | None] = {}
        # an action's program counter never changes: it is no part of the
        # state the user sees (ir/state.py), so to_values leaves it out
        actions = {p.name for p in spec.processes if p.is_action}
        self._hidden = [sl for sl in self.slots if sl.kind == "pc" and sl.process in actions]
        for sl in self.slots:
            if sl.kind == "pc" and sl.process in actions:
                continue
            if sl.inst is None:
                groups[sl.key] = None
                self._key_slot[sl.key] = sl
            else:
                groups.setdefault(sl.key, []).append(sl)
                self._inst_ext[sl.index] = self.conv.ext(sl.inst_value, self._index_type(sl.process))
        self._key_groups: list[tuple[str, list | None]] = list(groups.items())
        self._slot_memo: list[dict[int, Any]] = [{} for _ in self.slots]
        self._map_memo: dict[str, dict[tuple, Any]] = {k: {} for k, g in self._key_groups if g is not None}
        self._implied: dict = {}
        self._conj: dict = {}

    @property
    def next_lab(self) -> Callable[[int, Callable], None]:
        """``next_lab(s, ap)`` calls ``ap((aid, t))`` for every successor."""
        self.codegen.compile_extra("lab")
        return self.ns["_next_lab"]

    @property
    def next_full(self) -> Callable[[int, Callable], None]:
        """``next_full(s, ap)`` calls ``ap((aid, params, t))``; checked evaluation."""
        self.codegen.compile_extra("full")
        return self.ns["_next_full"]

    @property
    def next_by_action(self) -> list[Callable[[int, Callable], None]]:
        """Per action id, the ``next_full`` of its process instance alone
        (successors by that instance's steps; trace validation, where an
        event names its step)."""
        if self._next_by_action is None:
            self.codegen.compile_extra("inst")
            order = {key: n for n, key in enumerate(self.codegen.full_blocks)}
            self._next_by_action = [self.ns[f"_next_full_i{order[(a.process, a.pos)]}"] for a in self.actions]
        return self._next_by_action

    @property
    def constraint_checked(self) -> Callable[[int], bool] | None:
        return self._constraint_pair[1] if self._constraint_pair is not None else None

    # ------------------------------------------------------------------ states
    def initial_states(self) -> list[int]:
        """Every initial state (distinct, in a deterministic order)."""
        if self._init is None:
            out = []
            seen = set()
            starts = self.codegen.start_names
            for values in self.codegen.initial_rows():
                for sl in self.slots:
                    if sl.kind == "pc":
                        proc = self.spec.process(sl.process)
                        values[sl.index] = proc.start.label if isinstance(proc.start, ir.Jump) else ir.DONE
                s = self.layout.pack(values)
                for (pname, pos), fname in starts.items():
                    if fname is not None:
                        code = self.ns[fname](s)
                        k = self.codegen.pc_slot[(pname, pos)]
                        values[k] = self.slots[k].codec.dec(code)
                if any(f is not None for f in starts.values()):
                    s = self.layout.pack(values)
                if s not in seen:
                    seen.add(s)
                    out.append(s)
            self._init = out
        return list(self._init)

    def successors(self, s: int) -> list[tuple[StepInfo, int]]:
        """Every successor of ``s`` with the step that produces it (checked
        evaluation: raises :class:`EvalError` naming the spec position)."""
        out: list = []
        self.next_full(s, out.append)
        return [(self.step_info(aid, params), t) for aid, params, t in out]

    def next_states(self, s: int) -> list[int]:
        out: list[int] = []
        self.next_fast(s, out.append)
        return out

    def is_terminal(self, s: int) -> bool:
        """Every process instance is at Done (actions aside)."""
        return not self._never_terminal and (s & self._pc_mask) == self._done_bits

    def step_info(self, aid: int, params: Iterable = ()) -> StepInfo:
        a = self.actions[aid]
        ext = self.conv.ext
        proc = self.spec.process(a.process)
        self_value = None
        if proc.index_set is not None:
            self_value = ext(a.self_value, proc.index_set.type.elem)
        ps = {n: ext(v, a.binder_types.get(n)) for n, v in params}
        return StepInfo(a.process, self_value, a.label, ps, aid, a.step.span, a.binder_types)

    # ------------------------------------------------------------------ values
    def to_values(self, s: int) -> dict[str, Any]:
        """The spec-level view of a state: ``var``, ``proc.pc``, ``proc.local``
        (maps index -> value for indexed processes).  Values are shared:
        a field with the same contents in two states gives the very same
        object (trace validation recognises unchanged values by identity)."""
        out: dict[str, Any] = {}
        slot_value = self.slot_value
        for key, group in self._key_groups:
            if group is None:
                out[key] = slot_value(s, self._key_slot[key])
                continue
            fields = tuple((s >> sl.off) & sl.mask for sl in group)
            memo = self._map_memo[key]
            m = memo.get(fields)
            if m is None:
                m = fmap_own({self._inst_ext[sl.index]: slot_value(s, sl) for sl in group})
                if not any(sl.escapable and not f & 1 for sl, f in zip(group, fields)):
                    if len(memo) >= VALUE_MEMO_LIMIT:
                        memo.clear()
                    memo[fields] = m
            out[key] = m
        return out

    def slot_value(self, s: int, sl) -> Any:
        """The spec value of slot ``sl`` in state ``s`` (memoised per field
        contents; a value escaped into the tail is not)."""
        f = (s >> sl.off) & sl.mask
        memo = self._slot_memo[sl.index]
        v = memo.get(f)
        if v is None:
            v = self.conv.ext(self.layout.read(s, sl.index), sl.type)
            if not sl.escapable or f & 1:  # an escaped value lives in the tail, not in the field
                if len(memo) >= VALUE_MEMO_LIMIT:
                    memo.clear()
                memo[f] = v
        return v

    def from_values(self, values: dict[str, Any]) -> int:
        """The packed state of a spec-level view (inverse of :meth:`to_values`)."""
        row = []
        ext = self.conv.ext
        hidden = set(map(id, self._hidden))
        for sl in self.slots:
            if id(sl) in hidden:  # an action's constant program counter
                row.append(self.conv.int(self.spec.process(sl.process).steps[0].label, sl.type))
                continue
            v = values[sl.key]
            if sl.inst is not None:
                v = v[ext(sl.inst_value, self._index_type(sl.process))]
            row.append(self.conv.int(v, sl.type))
        return self.layout.pack(row)

    def _index_type(self, process: str) -> ir.Type | None:
        p = self.spec.process(process)
        return p.index_set.type.elem if p.index_set is not None else None

    def internal(self, v: Any, ty: ir.Type) -> Any:
        """A spec value as the compiled code represents it."""
        return self.conv.int(v, ty)

    def external(self, v: Any, ty: ir.Type) -> Any:
        """An internal value as a spec value (model values, enum values)."""
        return self.conv.ext(v, ty)

    def state_types(self) -> dict[str, ir.Type]:
        from ..ir.state import state_types

        return state_types(self.spec)

    def format_state(self, s: int) -> str:
        from ..values import format_typed

        types = self.state_types()
        return ", ".join(f"{k} = {format_typed(v, types.get(k))}" for k, v in self.to_values(s).items())

    # ------------------------------------------------------------------ properties
    def state_predicate(self, expr: ir.Expr, env: dict[str, Any] | None = None) -> Callable[[int], bool]:
        return self.codegen.compile_predicate(expr, env or {})

    def temporal_leaves(self, prop: ir.Property) -> list[TemporalLeaf]:
        """The conjuncts of a temporal property, ``forall`` over constant sets expanded."""
        from ..values import format_value

        out: list[TemporalLeaf] = []

        types: dict[str, ir.Type] = {}

        def walk(e: ir.Expr, env: dict[str, Any]) -> None:
            if isinstance(e, ir.Quant) and e.kind == "forall":
                envs = [dict(env)]
                for b in e.binders:
                    nxt = []
                    if isinstance(b.domain.type, ir.SetType):
                        types[b.name] = b.domain.type.elem
                    for en in envs:
                        dom = self._const_eval(b.domain, en)
                        for v in sorted(dom, key=_skey):
                            nxt.append({**en, b.name: v})
                    envs = nxt
                for en in envs:
                    walk(e.body, en)
                return
            if isinstance(e, ir.Binary) and e.op == "and" and not temporal.is_state(e):
                walk(e.left, env)
                walk(e.right, env)
                return
            bind = ", ".join(f"{k}={format_value(self.conv.ext(v, types.get(k)))}" for k, v in env.items())
            text = f"{prop.name}" + (f" [{bind}]" if bind else "")

            def pred(x):
                return self.state_predicate(x, env), self.codegen.compile_predicate(x, env, checked=True)

            shape = temporal.conjunct(e)
            if shape is None:
                # a state predicate at the top: it must hold initially
                p, pc = pred(e)
                out.append(TemporalLeaf("initially", p, None, text, pc, None, e, env))
                return
            form, pe, qe = shape
            if isinstance(pe, ir.FairFormula):
                kw = "weak_fair" if pe.kind == "weak" else "strong_fair"
                f = self._parts_fairness(pe.kind, pe.parts, env, f"{kw}(...) of {text}",
                                         f"temporal property '{prop.name}'")
                out.append(TemporalLeaf(form, None, None, text, None, None, pe, env, f))
                return
            p, pc = pred(pe)
            q, qc = pred(qe) if qe is not None else (None, None)
            out.append(TemporalLeaf(form, p, q, text, pc, qc, pe, env, q_expr=qe))

        walk(prop.expr, {})
        return out

    def invariant_conjunction(self, names: list[str]) -> Callable[[int], bool] | None:
        """One function: do all these invariants hold in ``s``? (None when
        ``names`` is empty.)  Cached per set of names."""
        if not names:
            return None
        key = tuple(sorted(names))
        fn = self._conj.get(key)
        if fn is None:
            fn = self.codegen.compile_conjunction([self.spec.prop(n).expr for n in key])
            self._conj[key] = fn
        return fn

    def implied_invariants(self, prop: ir.Property) -> tuple[tuple | None, tuple | None, list[TemporalLeaf]]:
        """Split a temporal property as TLC does: the conjunction of its
        ``always P`` conjuncts (an invariant), of its state-predicate
        conjuncts (checked on initial states), and the remaining liveness
        conjuncts.  Each predicate as (fast, checked)."""
        key = prop.name
        hit = self._implied.get(key)
        if hit is not None:
            return hit
        leaves = self.temporal_leaves(prop)
        always = [lf for lf in leaves if lf.form == "always"]
        init = [lf for lf in leaves if lf.form == "initially"]
        live = [lf for lf in leaves if lf.form not in ("always", "initially")]

        def conj(ls):
            if not ls:
                return None
            fs = [lf.p for lf in ls]
            cs = [lf.p_checked for lf in ls]
            return (lambda s: all(f(s) for f in fs)), (lambda s: all(f(s) for f in cs))

        res = (conj(always), conj(init), live)
        self._implied[key] = res
        return res

    def _const_eval(self, e: ir.Expr, env: dict[str, Any]) -> Any:
        from .codegen import Ctx

        c = Ctx()
        for n, v in env.items():
            c.env[n] = self.codegen.k(v)
        return self.codegen.eval_const(e, c)

    def _fairness(self) -> list[Fairness]:
        out = []
        for p in self.spec.processes:
            insts = self.codegen.inst[p.name]
            if p.is_action and p.fairness and p.fair_by is not None:
                out.extend(self._group_fairness(p, insts))
                continue
            for pos, val in enumerate(insts):
                # a step marked 'unfair' is left out (PlusCal's "label:-")
                unfair = {st.label for st in p.steps if st.fairness == "unfair"}
                aids = frozenset(a.aid for a in self.actions
                                 if a.process == p.name and a.pos == pos and a.label not in unfair)
                who = p.name if p.index is None else f"{p.name}({val!r})"
                if p.fairness and aids:
                    kw = "strong fair" if p.fairness == "strong" else "fair"
                    out.append(Fairness(p.fairness, aids, f"{kw} process {who}"))
                for st in p.steps:
                    if st.fairness in ("weak", "strong"):
                        aid = next(a.aid for a in self.actions
                                   if a.process == p.name and a.pos == pos and a.label == st.label)
                        kw = "strong fair" if st.fairness == "strong" else "fair"
                        out.append(Fairness(st.fairness, frozenset([aid]), f"{kw} step {who}.{st.label}"))
        for d in self.spec.fairness:
            out.extend(self._decl_fairness(d))
        return out

    def _decl_fairness(self, d: ir.FairnessDecl) -> list[Fairness]:
        """``fair F(p in S): A(p) or B(p, _) or proc[p].l``: one constraint per
        value of the binders over the step instances the parts name (TLA+'s
        ``\\A p \\in S : WF_vars(A(p) \\/ \\E q : B(p, q) \\/ ...)``); no parts:
        every step instance of the spec (``WF_vars(Next)``).  An argument
        outside its parameter's domain names no instance: an error at it."""
        from ..values import format_value

        envs: list[dict[str, Any]] = [{}]
        types: dict[str, ir.Type] = {}
        for b in d.binders:
            if isinstance(b.domain.type, ir.SetType):
                types[b.name] = b.domain.type.elem
            envs = [{**en, b.name: v} for en in envs for v in sorted(self._const_eval(b.domain, en), key=_skey)]
        kw = "strong fair" if d.kind == "strong" else "fair"
        out = []
        for env in envs:
            shown = ", ".join(f"{k}={format_value(self.conv.ext(v, types.get(k)))}" for k, v in env.items())
            f = self._parts_fairness(d.kind, d.parts, env, f"{kw} {d.name}" + (f"({shown})" if shown else ""),
                                     f"fairness condition '{d.name}'")
            if f.aids:
                out.append(f)
        return out

    def _parts_fairness(self, kind: str, parts: tuple[ir.FairPart, ...], env: dict[str, Any], what: str,
                        owner: str) -> Fairness:
        """Weak (strong) fairness of the step instances ``parts`` name with
        the bound names ``env`` (no parts: every step instance).  A constant
        argument outside its parameter's domain is an error of the model; an
        argument that reads the state (``Return(c, alloc[c])``) names, in
        each state, the instances whose parameter is its value there (a
        value outside the domain: an error of the run, at the argument)."""
        from ..values import format_value

        if not parts:
            return Fairness(kind, frozenset(a.aid for a in self.actions), what)
        reads = getattr(self, "_def_reads", None)  # which defs read the state (computed once)
        if reads is None:
            reads = self._def_reads = def_reads(self.spec)

        def stateful(e: ir.Expr) -> bool:
            return any(root_of(x) is not None or (isinstance(x, ir.DefCall) and reads.get(x.name))
                       for x in iter_exprs(e))

        static: set[int] = set()
        dynamic = []  # per part with an argument that reads the state: _DynamicPart
        for part in parts:
            p = self.spec.process(part.process)
            insts = self.codegen.inst[p.name]
            many = p.is_action and len(p.params) > 1
            rows = [(pos, val if many else (val,)) for pos, val in enumerate(insts)]
            by_pos: dict[int, list[int]] = {}
            for a in self.actions:
                if a.process == p.name and (part.label is None or a.label == part.label):
                    by_pos.setdefault(a.pos, []).append(a.aid)

            def where(i: int, p: ir.Process = p) -> str:
                return (f"parameter '{p.params[i]}' of action '{p.name}'" if p.is_action
                        else f"the instances of process '{p.name}'")

            want: list = [None] * len(part.args or ())
            dyn: list[int] = []
            for i, a in enumerate(part.args or ()):
                if a is None:
                    continue
                if stateful(a):
                    dyn.append(i)
                    continue
                w = want[i] = self._const_eval(a, env)
                if not any(vals[i] == w for _, vals in rows):
                    raise CompileError(f"{a.span}: {format_value(self.conv.ext(w, a.type))} is not a value "
                                       f"of {where(i)}: no instance of {owner}")
            rows = [(pos, vals) for pos, vals in rows
                    if all(w is None or i in dyn or w == vals[i] for i, w in enumerate(want))]
            if not dyn:
                static |= {aid for pos, _ in rows for aid in by_pos.get(pos, ())}
                continue
            table: dict[tuple, set[int]] = {}
            for pos, vals in rows:
                table.setdefault(tuple(vals[i] for i in dyn), set()).update(by_pos.get(pos, ()))
            args = [part.args[i] for i in dyn]
            dynamic.append(_DynamicPart(
                [self.state_predicate(a, env) for a in args],
                [self.codegen.compile_predicate(a, env, checked=True) for a in args],
                args, [where(i) for i in dyn], [{vals[i] for _, vals in rows} for i in dyn],
                {k: frozenset(v) for k, v in table.items()}, owner, self.conv))
        aids = frozenset(static) | frozenset(x for dp in dynamic for v in dp.table.values() for x in v)
        if not dynamic:
            return Fairness(kind, aids, what)
        return Fairness(kind, aids, what, _StateAids(frozenset(static), dynamic))

    def _group_fairness(self, p: ir.Process, insts: list) -> list[Fairness]:
        """``fair(c) action A(c in C, S in T)``: one constraint per value of
        the named parameters, over the instances that share it (TLA+'s
        ``\\A c \\in C : WF_vars(\\E S \\in T : A(c, S))``)."""
        at = [p.params.index(n) for n in p.fair_by]
        groups: dict = {}
        for pos, val in enumerate(insts):
            vals = val if len(p.params) > 1 else (val,)
            key = tuple(vals[i] for i in at)
            groups.setdefault(key, []).append(pos)
        by_pos = {a.pos: a.aid for a in self.actions if a.process == p.name}
        kw = "strong fair" if p.fairness == "strong" else "fair"
        out = []
        for key, poss in groups.items():
            shown = ", ".join(f"{n}={v!r}" for n, v in zip(p.fair_by, key))
            out.append(Fairness(p.fairness, frozenset(by_pos[q] for q in poss), f"{kw} action {p.name}({shown})"))
        return out

    # ------------------------------------------------------------------ errors
    def explain(self, fn: Callable, *args) -> str:
        """Re-run a checked function to turn a fast-path exception into a
        positioned message."""
        try:
            fn(*args)
        except EvalError as e:
            return str(e)
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"
        return ""


class _DynamicPart:
    """A part of a fairness condition with arguments that read the state:
    per state, their values pick the instances (``table``: values -> step
    instances)."""

    __slots__ = ("fns", "checked", "args", "where", "values", "table", "owner", "conv")

    def __init__(self, fns, checked, args, where, values, table, owner, conv):
        self.fns, self.checked, self.args, self.where = fns, checked, args, where
        self.values, self.table, self.owner, self.conv = values, table, owner, conv

    def named(self, s: int) -> frozenset:
        try:
            key = tuple(fn(s) for fn in self.fns)
        except EvalError:
            raise
        except Exception:  # noqa: BLE001 - the checked variant names the position
            for fn in self.checked:
                fn(s)
            raise
        try:
            hit = self.table.get(key)
        except TypeError:  # a value without a hash
            hit = next((v for k, v in self.table.items() if k == key), None)
        if hit is not None:
            return hit
        from ..values import format_value

        for v, allowed, a, where in zip(key, self.values, self.args, self.where):
            if v not in allowed:
                raise EvalError(f"{format_value(self.conv.ext(v, a.type))} is not a value of {where}: "
                                f"no instance of {self.owner} in this state", str(a.span))
        return frozenset()


class _StateAids:
    """``Fairness.at`` of a condition with arguments that read the state."""

    __slots__ = ("static", "parts", "memo")

    def __init__(self, static: frozenset, parts: list[_DynamicPart]):
        self.static, self.parts, self.memo = static, parts, {}

    def __call__(self, s: int) -> frozenset:
        out = self.static
        for dp in self.parts:
            got = dp.named(s)
            if got:
                out = out | got if out else got
        if len(self.memo) < 4096:  # one frozenset per distinct union
            out = self.memo.setdefault(out, out)
        return out


class _Pair:
    """(fast, checked) functions of a property; the checked one is compiled on first use."""

    __slots__ = ("cg", "names")

    def __init__(self, cg: Codegen, names: list[str]):
        self.cg = cg
        self.names = names

    def __getitem__(self, i: int) -> Callable:
        if i == 1:
            self.cg.compile_extra("full")
        return self.cg.ns[self.names[i]]

    def __iter__(self):
        yield self[0]
        yield self[1]


def _skey(v):
    from ..values import sort_key

    return sort_key(v)


def _observe_states(cm: CompiledModel, states, ints: dict, seqs: dict) -> None:
    """Observe every distinct value of every slot among ``states``."""
    layout = cm.layout
    fields: list[set] = [set() for _ in cm.slots]
    for s in states:
        if s >> layout.bits:
            for sl, v in zip(cm.slots, layout.unpack(s)):
                if sl.kind != "pc":
                    observe(v, sl.type, sl.key, (), ints, seqs)
            continue
        for sl, fs in zip(cm.slots, fields):
            fs.add((s >> sl.off) & sl.mask)
    for sl, fs in zip(cm.slots, fields):
        if sl.kind == "pc":
            continue
        for f in fs:
            observe(sl.D[f], sl.type, sl.key, (), ints, seqs)


def _seeds(ints: dict, seqs: dict, extra_bits: int = 1) -> tuple[dict, dict]:
    """Int ranges widened to 2**extra_bits times the span seen (rounded to a
    power of two), sequence bounds longer than seen."""
    widened = {}
    for key, (lo, hi) in ints.items():
        width = (hi - lo).bit_length() + extra_bits if hi > lo else 0
        widened[key] = (lo, lo + (1 << width) - 1)
    return widened, {k: max(1, n + extra_bits) for k, n in seqs.items()}


def _prerun_bfs(cm: CompiledModel, limit: int) -> tuple[list[int], bool]:
    """Up to ``limit`` states breadth-first; True when that is all of them."""
    frontier = cm.initial_states()
    seen = set(frontier)
    order = list(frontier)
    i = 0
    out: list = []
    while i < len(order) and len(order) < limit:
        s = order[i]
        i += 1
        if cm.constraint is not None and not cm.constraint(s):
            continue
        out.clear()
        cm.next_fast(s, out.append)
        for t in out:
            if t not in seen:
                seen.add(t)
                order.append(t)
    return order, i >= len(order)


def _prerun_walks(cm: CompiledModel, walks: int, depth: int) -> list[int]:
    """Random walks from the initial states (fixed seed: deterministic)."""
    import random

    rng = random.Random(20140818)
    init = cm.initial_states()
    visited = []
    out: list = []
    for _ in range(walks):
        s = rng.choice(init)
        for _ in range(depth):
            if cm.constraint is not None and not cm.constraint(s):
                break
            out.clear()
            cm.next_fast(s, out.append)
            if not out:
                break
            s = out[rng.randrange(len(out))]
            visited.append(s)
    return visited


def compile_model(spec: ir.Spec, model_name: str, prerun: bool = True) -> CompiledModel:
    """Compile one model of a spec (raises :class:`CompileError` when a
    constant or an initial value cannot be evaluated).

    With ``prerun`` (the default) the field widths of ints and sequences are
    fitted in two deterministic rounds: a short breadth-first exploration,
    then random walks with a fixed seed on the layout the first round gave."""
    spec.model(model_name)  # KeyError for an unknown model
    cm = _compile(spec, model_name, prerun)
    try:
        cm.initial_states()  # an evaluation error in an initial value is a compile error
    except EvalError as e:
        raise CompileError(str(e)) from None
    return cm


def assumption_message(a: ir.Assumption) -> str:
    """What both engines say of a false assumption (TLC: "Assumption ... is false")."""
    return f"{a.span}: the assumption '{a.name}' is false"


def check_assumptions(cm: CompiledModel) -> None:
    """TLA+'s ASSUME: every assumption of the spec holds on the model's
    constants (checked before any state is explored, as TLC does); a false
    one, or one that fails to evaluate, is a :class:`CompileError` at its
    position (an error of the model, as an evaluation error is)."""
    from .codegen_base import Ctx

    for a in cm.spec.assumptions:
        v = cm.codegen.eval_const(a.expr, Ctx("s", True))
        if v is not True:
            raise CompileError(assumption_message(a))


def _compile(spec: ir.Spec, model_name: str, prerun: bool) -> CompiledModel:
    # The pre-run's outcome (the seeds of the layout, or None: no pre-run)
    # depends only on the spec, the model and this code: a spec loaded through
    # the load cache keeps it beside the spec (pyspec/language/load_cache.py)
    what = f"prerun:{model_name}:{PRERUN_STATES}:{PRERUN_WALKS}:{PRERUN_DEPTH}"
    if prerun:
        from ..language import load_cache

        known = load_cache.derived_lookup(spec, what)
        if known is not None:
            cm = CompiledModel(spec, model_name, known[0])
            check_assumptions(cm)
            return cm
    cm, seeds, final = _fit(spec, model_name, prerun)
    if prerun and final:  # (not after an evaluation error in the pre-run)
        load_cache.derived_store(spec, what, seeds)
    return cm


def _fit(spec: ir.Spec, model_name: str, prerun: bool) -> tuple[CompiledModel, tuple[dict, dict] | None, bool]:
    """The model compiled on the layout its pre-run fits; its seeds; whether
    the pre-run ran to its end (no evaluation error)."""
    cm = CompiledModel(spec, model_name)
    check_assumptions(cm)  # before any state is explored, the pre-run's included
    if not prerun or not cm.codegen.domains.seeded:
        # no width of the layout depends on what a pre-run would observe
        # (every int has a declared range, no sequences): nothing to fit
        return cm, None, True
    ints: dict = {}
    seqs: dict = {}
    try:
        states, complete = _prerun_bfs(cm, PRERUN_STATES)
        _observe_states(cm, states, ints, seqs)
    except Exception:  # noqa: BLE001 - evaluation errors are reported by the real run
        return cm, None, False
    if complete:
        seeds = _seeds(ints, seqs)
        return CompiledModel(spec, model_name, seeds), seeds, True
    cm = CompiledModel(spec, model_name, _seeds(ints, seqs, 3))  # roomy: walks go deeper
    try:
        _observe_states(cm, _prerun_walks(cm, PRERUN_WALKS, PRERUN_DEPTH), ints, seqs)
    except Exception:  # noqa: BLE001
        return cm, None, False
    seeds = _seeds(ints, seqs)
    return CompiledModel(spec, model_name, seeds), seeds, True


__all__ = ["compile_model", "CompiledModel", "StepInfo", "Fairness", "TemporalLeaf", "CompileError", "EvalError"]
