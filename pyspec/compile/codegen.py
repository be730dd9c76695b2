"""IR -> Python source for one model, compiled once with ``compile()``.

The generated module works on packed states (Python ints, see
:mod:`pyspec.compile.layout`).  It defines:

- ``_next_fast(s, _ap)``: calls ``_ap(t)`` for every successor ``t`` of ``s``;
- ``_next_lab(s, _ap)``: calls ``_ap((aid, t))`` (``aid`` numbers the step
  instance: process, index, label), for liveness and simulation;
- ``_next_full(s, _ap)``: calls ``_ap((aid, params, t))`` with the values
  chosen by ``any``; partial operations check their arguments and raise
  :class:`~pyspec.compile.runtime.EvalError` with the spec position;
- ``_inv_<i>(s)`` / ``_act_<i>(s, t)`` / ``_pred_<i>(s)``: properties, each
  also in a checked variant (``_invc_<i>``...);
- ``_start_<proc>_<pos>(s)``: the initial pc of an instance whose start is
  a loop head.

How the code is shaped:

- process instances are expanded: a step of instance ``i`` is generated once
  per ``i`` with ``self`` folded to its value, and ``_next_*`` dispatches on
  each instance's pc field (one ``if`` chain per instance: the guards of the
  steps at a pc are fused into the chain);
- constants are folded: model constants, ``self``, defs applied to
  constants, quantifiers over small constant sets (unrolled);
- a step's body is compiled in continuation style: ``await c`` becomes
  ``if c:`` around the rest of the body, ``either``/``any`` repeat the rest
  of the body in each branch, so that every execution path ends in one
  ``_ap(...)`` of its successor;
- slots are decoded into locals (``_o<k>``) just before the statement that
  first reads them; assignments bind new values to fresh locals; the
  successor is the old int with the written fields replaced;
- a step instance is a function of the fields it reads and writes: unless
  it is a few integer operations, its code becomes ``_st_<mode>_<aid>`` and
  the dispatcher looks its successors' written fields up in a cache keyed
  by ``s & (read | written bits)`` (filled on a miss; a successor with an
  escape tail is not cached).  State predicates (invariants, temporal
  leaves) are memoized the same way by the bits they read.

Spec names never become Python names: bound names are mangled to
``_b<n>_<name>`` and everything else the module defines starts with ``_``.
"""


from __future__ import annotations

from typing import Any

from ..ir import nodes as ir
from ..ir import walk
from ..values import NONE, FMap, Record, sort_key
from . import runtime as rt
from .codegen_base import MEMO, MEMO_KEY_BITS, ActionInfo, CompileError, Ctx, Py, _lit_src, _walk, drop_unread_locals
from .convert import Converter
from .gen_exprs import ExpressionGen
from .gen_steps import StepGen
from .layout import Domains, InternSetCodec, Layout, Slot, build_codec
from .shared import rekey_lookups

__all__ = ["ActionInfo", "Codegen", "CompileError", "Ctx", "Py"]

#: the local a slot of a packed state is decoded into: its prefix per
#: state name (the state of a step ``s``, the next state ``t`` of an
#: action property, ``_S`` in a recursive def), and back
_DECODED_PREFIX = {"s": "_o", "t": "_x", "_S": "_q"}
_STATE_OF_PREFIX = {p: st for st, p in _DECODED_PREFIX.items()}


class Codegen(ExpressionGen, StepGen):
    """Compiles one model of a spec; see the module docstring."""

    # read while constants are folded, before __init__ sets them
    _reads: set[int] | None = None

    _place_roots: list | tuple = ()  # (read before __init__ sets them)
    _place_chains: set = frozenset()

    def __init__(self, spec: ir.Spec, model: ir.Model, seeds: tuple[dict, dict] | None = None,
                 values: tuple[dict, list] | None = None):
        self.spec = spec
        self.model = model
        self._extra_values = values  # (sort -> value names, strings) the model must also know
        self.ns: dict[str, Any] = {}
        self._kn = 0
        self._un = 0
        self._kcache: dict[Any, str] = {}
        self._shown: dict[tuple, str] = {}  # static type -> namespace name of its Shown
        self.defs = {d.name: d for d in spec.defs}
        self.props = {p.name: p for p in spec.properties}
        self._init_namespace()
        self._collect_values()
        self.const_exprs = dict(model.constants)
        self.consts: dict[str, Any] = {}
        self.const_types = {c.name: c.type for c in spec.consts}
        self._evaluating: set[str] = set()
        for name, _ in model.constants:
            self.const_value(name)
        self.recursive = set(walk.recursive_defs(self.spec))
        self._instances()
        ints, seqs = seeds if seeds is not None else ({}, {})
        self.domains = Domains({k: len(v) for k, v in self.conv.sort_names.items()}, self.strings,
                               self._int_bounds, ints, seqs)
        self._slots()
        self.lines: list[str] = []
        self.actions: list[ActionInfo] = []
        self._fn_names: set[str] = set()
        self._esc = True  # decodes check for escaped values (False: the state has no tail)
        self._esc_emit = False
        # while a step is generated for memoization: the slots it reads from
        # ``s``, whether it reads the state in a way not tracked (dynamic
        # instance index, recursive def), and the fields it may write
        self._reads: set[int] | None = None
        self._dyn = False
        self._wm = 0
        # places of map variables a memoized step reads / writes through
        # constant keys (slot -> set of key paths), and the variable slots
        # it reads / writes as a whole: a step that touches m[k] only is
        # keyed by m[k]'s digit, not by all of m (see _memo_masks)
        self._rplaces: dict[int, set] = {}
        self._wplaces: dict[int, set] = {}
        self._rwhole: set[int] = set()
        self._wwhole: set[int] = set()
        # VarRef nodes whose next read a recorded place accounts for, and the
        # Field/Index nodes of the places being compiled (ExpressionGen._placed)
        self._place_roots: list = []
        # source of a let's local -> the cases of its elements (ExpressionGen.element_cases)
        self._let_cases: dict[str, frozenset] = {}
        self._place_chains: set[int] = set()
        self._venc: dict = {}  # codec -> namespace name of its value encoder
        # the step memos of _next_fast, each with the step instances it holds
        # the results of (a group's: several), for memo_fills()
        self.fast_memos: list[tuple[dict, int]] = []
        self.consts_src: dict[str, Any] = {}  # sources of constant values assigned in steps
        self._multi: frozenset = frozenset()  # roots the step being generated may assign twice

    # ------------------------------------------------------------ namespace
    def _init_namespace(self) -> None:
        ns = self.ns
        ns.update({
            "_rt": rt, "_NONE": NONE, "_ESC": rt.ESC, "_EMPTY": rt.EMPTY, "_NOCHOICE": rt.NOCHOICE,
            "_fm": rt.fmap_own, "_rec": rt.rec_own, "_mget": rt.map_get, "_sget": rt.seq_get,
            "_mput": rt.map_put, "_sput": rt.seq_put, "_rput": rt.rec_put, "_srt": rt.sorted_elems,
            "_chosen": rt.chosen, "_lazy": rt.Lazy, "_frozenset": frozenset, "_sorted": sorted, "_len": len, "_all": all,
            "_any": any, "_next": next, "_abs": abs, "_range": range, "_FMap": FMap, "_Record": Record,
        })

    def k(self, v: Any) -> Py:
        """A constant as a Py (a literal, or a name bound in the namespace)."""
        src = _lit_src(v)
        if src is not None:
            return Py(src, v)
        if v is NONE:
            return Py("_NONE", v)
        if v == frozenset() and type(v) is frozenset:
            return Py("_EMPTY", v)
        return Py(self._bind(v), v)

    def _bind(self, v: Any, prefix: str = "_k") -> str:
        self._kn += 1
        name = f"{prefix}{self._kn}"
        self.ns[name] = v
        return name

    def uniq(self, prefix: str) -> str:
        self._un += 1
        return f"{prefix}{self._un}"

    # ------------------------------------------------------------ constants
    def const_value(self, name: str) -> Any:
        if name in self.consts:
            return self.consts[name]
        if name in self._evaluating:
            raise CompileError(f"constant '{name}' is defined in terms of itself")
        if name not in self.const_exprs:
            raise CompileError(f"constant '{name}' has no value in model '{self.model.name}'")
        self._evaluating.add(name)
        try:
            e = self.const_exprs[name]
            v = self.eval_const(e, Ctx())
        finally:
            self._evaluating.discard(name)
        self.consts[name] = v
        return v

    def eval_const(self, e: ir.Expr, c: Ctx) -> Any:
        """Evaluate an expression that reads no state."""
        c = c.copy()
        c.need = set()
        p = self.ex(e, c)
        if p.const:
            return p.value
        if c.need:
            raise CompileError(f"{e.span}: expected a constant expression")
        if len(getattr(self, "lines", ())) > getattr(self, "_exec_mark", 0):
            # a recursive def it calls became a module-level function (whole
            # functions only: each is appended once generated)
            self._exec_new("const")
        try:
            # a recursive def is called with the state, which a constant
            # expression never reads: bound to 0
            fn = eval(compile(f"lambda {c.st or '_S'}: {p.src}", "<pyspec-const>", "eval"), self.ns)  # generated
            return fn(0)
        except rt.EvalError as err:
            raise CompileError(f"{err.where or e.span}: {err.message}") from None
        except Exception as err:  # noqa: BLE001
            raise CompileError(f"{e.span}: cannot evaluate: {err}") from None

    def _int_bounds(self, ty: ir.IntType) -> tuple[int, int] | None:
        if ty.lo is None or ty.hi is None:
            return None
        try:
            lo = self.eval_const(ty.lo, Ctx())
            hi = self.eval_const(ty.hi, Ctx())
        except CompileError:
            return None
        if type(lo) is not int or type(hi) is not int:
            return None
        return lo, hi

    # ------------------------------------------------------------ analysis
    def _collect_values(self) -> None:
        """Every model value (by sort), enum value and string the model can
        produce: the literals of the spec and of this model."""
        sorts: dict[str, set] = {s.name: set() for s in self.spec.sorts}
        strings: set[str] = set()

        def on_node(n):
            if isinstance(n, ir.SortValue):
                sorts.setdefault(n.sort, set()).add(n.name)
            elif isinstance(n, ir.Lit) and isinstance(n.type, ir.StrType) and isinstance(n.value, str):
                strings.add(n.value)

        _walk([self.spec.vars, self.spec.defs, self.spec.processes, self.spec.properties,
               [c.default for c in self.spec.consts], [e for _, e in self.model.constants],
               self.model.constraint], on_node)
        if self._extra_values is not None:  # the abstract model of a refinement: the concrete one's values
            for sort, names in self._extra_values[0].items():
                sorts.setdefault(sort, set()).update(names)
            strings.update(self._extra_values[1])
        self.conv = Converter({k: sorted(v) for k, v in sorts.items()},
                              {e.name: sorted(e.values) for e in self.spec.enums})
        self.strings = sorted(strings)

    def _instances(self) -> None:
        self.inst: dict[str, list[Any]] = {}
        self.inst_pos: dict[str, dict[Any, int]] = {}
        for p in self.spec.processes:
            if p.index_set is None:
                vals = [None]
            else:
                s = self.eval_const(p.index_set, Ctx())
                vals = sorted(s, key=sort_key)
            self.inst[p.name] = vals
            self.inst_pos[p.name] = {v: i for i, v in enumerate(vals)}

    def _slots(self) -> None:
        slots: list[Slot] = []
        self.var_slot: dict[str, int] = {}
        self.pc_slot: dict[tuple[str, int], int] = {}
        self.local_slot: dict[tuple[str, str, int], int] = {}

        def add(key, kind, name, proc, pos, val, ty, group):
            codec = build_codec(ty, self.domains, group)
            sl = Slot(len(slots), key, kind, name, proc, pos, val, ty, codec)
            slots.append(sl)
            return sl.index

        for v in self.spec.vars:
            self.var_slot[v.name] = add(v.name, "var", v.name, None, None, None, v.type, v.name)
        for p in self.spec.processes:
            lt = ir.LabelType(p.name, p.labels)
            for pos, val in enumerate(self.inst[p.name]):
                self.pc_slot[(p.name, pos)] = add(f"{p.name}.pc", "pc", None, p.name,
                                                  pos if p.index else None, val, lt, f"{p.name}.pc")
                for lv in p.locals:
                    self.local_slot[(p.name, lv.name, pos)] = add(
                        f"{p.name}.{lv.name}", "local", lv.name, p.name, pos if p.index else None, val, lv.type,
                        f"{p.name}.{lv.name}")
        self.layout = Layout(slots)
        for sl in slots:
            dec, enc = sl.fast_tables()
            self.ns[f"_D{sl.index}"] = dec
            self.ns[f"_E{sl.index}"] = enc
            self.ns[f"_F{sl.index}"] = sl.enc
            if isinstance(sl.codec, InternSetCodec) and not sl.escapable:
                self.ns[f"_A{sl.index}"] = sl.codec.code_with
                self.ns[f"_U{sl.index}"] = sl.codec.code_union
        self.ns["_L"] = self.layout
        self.ns["_read"] = self.layout.read
        self.ns["_slow"] = self.layout.pack_slow
        # dynamic access to the slots of a process by index value
        self.groups: dict[tuple[str, str | None], str] = {}
        for p in self.spec.processes:
            names = [None] + [lv.name for lv in p.locals]
            for n in names:
                table = {}
                for pos, val in enumerate(self.inst[p.name]):
                    table[val] = self.pc_slot[(p.name, pos)] if n is None else self.local_slot[(p.name, n, pos)]
                self.groups[(p.name, n)] = self._bind(table, "_G")

    # ------------------------------------------------------------ slot reads
    def _decoded_name(self, st: str, k: int) -> str:
        return _DECODED_PREFIX[st] + str(k)

    def field_src(self, st: str, k: int) -> str:
        """The source of slot ``k``'s field in the packed state named ``st``."""
        sl = self.layout.slots[k]
        return f"{st} >> {sl.off} & {sl.mask}" if sl.off else f"{st} & {sl.mask}"

    def keyed_by_field(self, k: int) -> bool:
        """Can what is computed from slot ``k``'s value be keyed by its field?
        A field is the value's one code (the codecs are bijections) unless
        the value may escape to the tail."""
        sl = self.layout.slots[k]
        return not sl.escapable and sl.width > 0

    def finish_lines(self, lines: list[str], start: int = 0) -> None:
        """Rewrite generated lines, from ``start`` on, in place before they
        run: the lookups of memos keyed by a field read the field itself
        (``_sh7[_o0]`` -> ``_sh7[s & 4294967295]``), and the decodes (and
        other pure locals: set-adds, gen_steps) that nothing reads any more
        are dropped, so a state whose set is only filtered and extended never
        builds the set."""
        by_field = self.__dict__.get("_field_memos")
        if by_field:
            def field(var: str) -> str:
                return self.field_src(_STATE_OF_PREFIX[var[:2]], int(var[2:]))

            for i in range(start, len(lines)):
                if "_sh" in lines[i]:
                    lines[i] = rekey_lookups(lines[i], by_field, field)
        lines[start:] = drop_unread_locals(lines[start:], self.__dict__.get("_droppable", ()))

    def read_slot(self, c: Ctx, k: int) -> Py:
        sl = self.layout.slots[k]
        if sl.width == 0 and not sl.escapable:
            return self.k(sl.codec.dec(0))
        c.need.add((c.st, k))
        return Py(self._decoded_name(c.st, k))

    def decode_lines(self, c: Ctx, ind: str, out: list[str]) -> None:
        """Emit the decodes of the slots ``c.need`` lists that are not decoded yet."""
        for st, k in sorted(c.need):
            if (st, k) in c.old:
                continue
            sl = self.layout.slots[k]
            name = self._decoded_name(st, k)
            out.append(f"{ind}{name} = _D{k}[{self.field_src(st, k)}]")
            if self._reads is not None and st == "s":
                self._reads.add(k)
            if sl.escapable and self._esc:
                out.append(f"{ind}if {name} is _ESC: {name} = _read({st}, {k})")
            c.old[(st, k)] = name
        c.need.clear()

    # ------------------------------------------------------------ folding
    def fold(self, src: str, *parts: Py) -> Py:
        if all(p.const for p in parts):
            try:
                v = eval(compile(src, "<pyspec-fold>", "eval"), self.ns)  # generated source
            except Exception:  # noqa: BLE001 - errors stay for run time, at their position
                return Py(src)
            return self.k(v)
        return Py(src)

    def shown(self, ty: ir.Type) -> str:
        """A namespace name for a :class:`runtime.Shown` of ``ty`` (error
        messages of the checked variants show values in spec syntax)."""
        key = ("shown", str(ty), repr(ty))
        name = self._shown.get(key)
        if name is None:
            name = f"_shown{len(self._shown)}"
            self._shown[key] = name
            self.ns[name] = rt.Shown(self.conv, ty)
        return name

    @staticmethod
    def where(e) -> str:
        return repr(str(e.span))

    # ------------------------------------------------------------ the module
    def compile_module(self) -> dict[str, Any]:
        """The core of the model: ``_next_fast``, the fast property
        functions and the start functions.  The labelled and checked
        variants are generated on demand (:meth:`compile_extra`)."""
        self.gen_next("fast", False)
        if self.layout.escapable:
            # the twin for states with an escape tail is generated the first
            # time one is met (few searches meet a value the packed layout
            # does not hold; generating it was a third of paxos's compile
            # time): the stub generates it, which rebinds the name, and calls it
            self.ns["_compile_extra"] = self.compile_extra
            self.lines.extend(["def _next_fast_esc(s, _ap):", "    _compile_extra('esc')",
                               "    return _next_fast_esc(s, _ap)", ""])
        self.inv_names: dict[str, list] = {}
        self.act_names: dict[str, list] = {}
        for i, p in enumerate(self.spec.properties):
            if p.kind == "invariant":
                self.inv_names[p.name] = [self.function(f"_inv_{i}", "s", p.expr, Ctx("s")), f"_invc_{i}"]
            elif p.kind == "action":
                self.act_names[p.name] = [self.function(f"_act_{i}", "s, t", p.expr, Ctx("s")), f"_actc_{i}"]
        self.constraint_names = None
        if self.model.constraint is not None:
            self.constraint_names = [self.function("_constraint", "s", self.model.constraint, Ctx("s")),
                                     "_constraintc"]
        self.start_names = {}
        for p in self.spec.processes:
            for pos in range(len(self.inst[p.name])):
                self.start_names[(p.name, pos)] = self.gen_start(p, pos)
        self._exec_new("core")
        # what a model compiles to whatever was generated on demand since
        # (checkpoints are keyed by it: an engine that generated more must
        # still recognise the model)
        self.core_source = self.source
        self._extra_done: set[str] = set()
        return self.ns

    def _exec_new(self, what: str) -> None:
        """Compile and run the lines generated since the last call."""
        start = getattr(self, "_exec_mark", 0)
        self.finish_lines(self.lines, start)
        src = "\n".join(self.lines[start:]) + "\n"
        self._exec_mark = len(self.lines)
        self.source = "\n".join(self.lines) + "\n"
        code = compile(src, f"<pyspec model {self.spec.name}.{self.model.name} {what}>", "exec")
        exec(code, self.ns)  # generated source, never spec text

    def memo_fills(self) -> int:
        """Step results computed so far by ``_next_fast`` for its memos: the
        misses of a search, per step instance (a memo of a group of
        instances counts each).  A memo stops growing when full: a lower
        bound then."""
        return sum(len(memo) * n for memo, n in self.fast_memos)

    def compile_extra(self, what: str) -> None:
        """``esc``: ``_next_fast_esc``; ``lab``: ``_next_lab``; ``full``:
        ``_next_full`` and the checked property functions (traces, error
        positions); ``inst``: one
        ``_next_full_i<n>`` per process instance (in :attr:`full_blocks`
        order), the successors by that instance's steps alone."""
        if what in self._extra_done:
            return
        self._extra_done.add(what)
        if what == "esc":
            self.gen_next("fast", True)
        elif what == "lab":
            self.gen_next("lab", False)
            if self.layout.escapable:
                self.gen_next("lab", True)
        elif what == "full":
            self.gen_next("full", False)
            for i, p in enumerate(self.spec.properties):
                if p.kind == "invariant":
                    self.function(f"_invc_{i}", "s", p.expr, Ctx("s", True))
                elif p.kind == "action":
                    self.function(f"_actc_{i}", "s, t", p.expr, Ctx("s", True))
            if self.model.constraint is not None:
                self.function("_constraintc", "s", self.model.constraint, Ctx("s", True))
        elif what == "steps":
            self.step_table = self.gen_step_functions()
        elif what == "inst":
            self.compile_extra("full")
            for n, block in enumerate(self.full_blocks.values()):
                self.lines.extend([f"def _next_full_i{n}(s, _ap):", *block, ""])
        self._exec_new(what)

    def compile_conjunction(self, exprs: list[ir.Expr]) -> Any:
        """One function testing several state predicates at once: True when
        all hold.  Each predicate that reads few bits of the state is
        memoized by those bits; the others share their decodes."""
        name = self.uniq("_conj_")
        calls: list[str] = []
        lines: list[str] = []
        plain: list[ir.Expr] = []

        def flush():
            if plain:
                c = Ctx("s")
                c.need = set()
                parts = [self.ex(e, c) for e in plain]
                pname = self.uniq("_conjp_")
                lines.append(f"def {pname}(s):")
                self.decode_lines(c, "    ", lines)
                body = " and ".join(f"({p.src})" for p in parts if not (p.const and p.value)) or "True"
                lines.extend([f"    return {body}", ""])
                calls.append(f"{pname}(s)")
                plain.clear()

        for e in exprs:
            c = Ctx("s")
            c.need = set()
            self._reads, self._dyn = set(), False
            try:
                p = self.ex(e, c)
                decodes: list[str] = []
                self.decode_lines(c, "    ", decodes)
            finally:
                reads, self._reads = self._reads, None
            if p.const:
                if not p.value:
                    flush()
                    calls.append("False")
                continue
            rmask = 0
            for k in reads:
                sl = self.layout.slots[k]
                rmask |= sl.mask << sl.off
            if not (MEMO and not self._dyn and 0 < rmask.bit_count() <= MEMO_KEY_BITS):
                plain.append(e)
                continue
            flush()
            pname = self.uniq("_conjm_")
            lines.extend(self._memo_pred(pname, decodes, p.src, rmask))
            calls.append(f"{pname}(s)")
        flush()
        if len(calls) == 1 and calls[0].endswith("(s)"):
            lines.append(f"{name} = {calls[0][:-3]}")
        else:
            lines.extend([f"def {name}(s):", f"    return {' and '.join(calls) or 'True'}"])
        self.finish_lines(lines)
        src = "\n".join(lines) + "\n"
        exec(compile(src, f"<pyspec invariants {name}>", "exec"), self.ns)  # generated source
        return self.ns[name]

    def predicate_parts(self, expr: ir.Expr, env: dict[str, Any] | None = None) -> list[tuple[Any, int]]:
        """A state predicate in parts (:meth:`formula_parts`): per part a
        function of a packed state and the mask of the bits it reads."""
        return [(fn, smask) for fn, smask, _ in self.formula_parts(expr, env, action=False)]

    def action_parts(self, expr: ir.Expr) -> list[tuple[Any, int, int]]:
        """An action property in parts (:meth:`formula_parts`): per part a
        function of two packed states ``(s, t)`` and the masks of the bits it
        reads of ``s`` and of ``t`` (``next(...)``)."""
        return self.formula_parts(expr, None, action=True)

    def formula_parts(self, expr: ir.Expr, env: dict[str, Any] | None, action: bool) -> list[tuple[Any, int, int]]:
        """A formula split at its top-level ``and``s and ``forall``s over
        small constant sets: per part a plain function of ``s`` (an action:
        of ``s, t``; packed states without escape tail), the mask of the bits it reads of ``s``
        (the places of a map read at constant keys) and of ``t`` (whole
        fields); every bit when it reads fields chosen at run time.  The
        compiled engine memoizes each part by those bits
        (pyspec/engines/compiled)."""
        parts: list[tuple[ir.Expr, dict[str, Py]]] = []
        top = {n: self.k(v) for n, v in (env or {}).items()}

        def split(e: ir.Expr, bound: dict[str, Py]) -> None:
            if isinstance(e, ir.Binary) and e.op == "and":
                split(e.left, bound)
                split(e.right, bound)
                return
            if isinstance(e, ir.Quant) and e.kind == "forall":
                # over a small constant set: one part per element, each
                # reading only its own places (a smaller key)
                c = Ctx("s")
                c.env.update(bound)
                envs = self._unroll(e.binders, c)
                if envs is not None:
                    for en in envs:
                        split(e.body, {**bound, **en})
                    return
            parts.append((e, bound))

        split(expr, top)
        start = len(self.lines)
        full = (1 << self.layout.bits) - 1
        args = "s, t" if action else "s"
        names: list[tuple[str, int, int]] = []
        for e, bound in parts:
            c = Ctx("s")
            c.env.update(bound)
            c.need = set()
            self.track_reads()
            try:
                body = self.ex(e, c)
                tmask = 0
                for st, k in c.need:  # (before decode_lines empties it)
                    if st == "t":
                        tmask |= self.layout.slots[k].mask << self.layout.slots[k].off
                decodes: list[str] = []
                self.decode_lines(c, "    ", decodes)
            finally:
                reads, self._reads = self._reads, None
            smask = full if self._dyn else self._memo_masks(reads)[0]
            if self._dyn:
                tmask = full if action else 0
            name = self.uniq("_part_")
            self.lines.extend([f"def {name}({args}):", *decodes, f"    return {body.src}", ""])
            names.append((name, smask, tmask))
        self.finish_lines(self.lines, start)
        src = "\n".join(self.lines[start:]) + "\n"
        exec(compile(src, "<pyspec formula parts>", "exec"), self.ns)  # generated source
        return [(self.ns[n], sm, tm) for n, sm, tm in names]

    def compile_predicate(self, expr: ir.Expr, env: dict[str, Any], checked: bool = False) -> Any:
        """A state predicate (temporal leaves) with bound names set to constants."""
        c = Ctx("s", checked)
        for n, v in env.items():
            c.env[n] = self.k(v)
        name = self.uniq("_pred_")
        start = len(self.lines)
        if checked or not MEMO:
            self.function(name, "s", expr, c)
        else:
            c.need = set()
            self._reads, self._dyn = set(), False
            try:
                body = self.ex(expr, c)
                decodes: list[str] = []
                self.decode_lines(c, "    ", decodes)
            finally:
                reads, self._reads = self._reads, None
            rmask = 0
            for k in reads:
                sl = self.layout.slots[k]
                rmask |= sl.mask << sl.off
            if not self._dyn and 0 < rmask.bit_count() <= MEMO_KEY_BITS:
                self.lines.extend(self._memo_pred(name, decodes, body.src, rmask))
            else:
                self.lines.extend([f"def {name}(s):", *decodes, f"    return {body.src}", ""])
        self.finish_lines(self.lines, start)
        src = "\n".join(self.lines[start:]) + "\n"
        exec(compile(src, f"<pyspec predicate {name}>", "exec"), self.ns)
        return self.ns[name]

    def _memo_pred(self, name: str, decodes: list[str], src: str, rmask: int) -> list[str]:
        """``name(s)``: a state predicate as a function of the fields it reads
        (``rmask``), cached; a state with an escape tail is evaluated, and a
        full cache turns the function into the plain one."""
        cache = self._bind({}, "_M")
        lines = [f"def {name}_raw(s):", *decodes, f"    return {src}", "", f"def {name}(s):"]
        if self.layout.escapable:
            lines.append(f"    if s >> {self.layout.bits}: return {name}_raw(s)")
        lines.extend([f"    _r = {cache}.get(s & {rmask})",
                      "    if _r is None:",
                      f"        _r = {cache}[s & {rmask}] = {name}_raw(s)",
                      f"        if len({cache}) >= {rt.MEMO_LIMIT}: _rt.memo_full({name}, {name}_raw, {cache})",
                      "    return _r", ""])
        return lines
