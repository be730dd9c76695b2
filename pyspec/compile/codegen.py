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

from dataclasses import dataclass
from typing import Any

from ..ir import nodes as ir
from ..ir import walk
from ..values import NONE, FMap, Record, sort_key
from . import runtime as rt
from .convert import Converter
from .layout import Domains, Layout, MapCodec, Slot, build_codec, make_value_encoder

# --------------------------------------------------------------------------
# Compiled expressions and contexts
# --------------------------------------------------------------------------

_NOVAL = object()


class Py:
    """A compiled expression: Python source, and its value when constant."""

    __slots__ = ("src", "value")

    def __init__(self, src: str, value: Any = _NOVAL):
        self.src = src
        self.value = value

    @property
    def const(self) -> bool:
        return self.value is not _NOVAL

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Py({self.src!r}{', const' if self.const else ''})"


class Ctx:
    """Where an expression is compiled."""

    __slots__ = ("st", "env", "proc", "pos", "self_val", "label", "cur", "old", "need", "params",
                 "checked", "in_def", "post", "touched")

    def __init__(self, st: str = "s", checked: bool = False):
        self.st = st  # the Python name of the packed state that reads use
        self.env: dict[str, Py] = {}  # bound names
        self.proc: ir.Process | None = None  # the running process (steps, local inits)
        self.pos: int | None = None  # its instance position
        self.self_val: Any = _NOVAL
        self.label: str | None = None  # the running step
        self.cur: dict[int, str] | None = None  # slot -> local holding its new value (steps)
        self.old: dict[tuple[str, int], str] = {}  # decoded slots available here
        self.need: set[tuple[str, int]] = set()  # slots read by what is being compiled
        self.params: tuple = ()  # (name, local) chosen by `any` so far
        self.checked = checked
        self.in_def = False
        self.post = False  # a loop condition: everything (defs too) reads the state after the step
        # per slot assigned more than once in the step: the updates so far
        # on this execution, with their keys (for the overlap check)
        self.touched: dict[int, tuple] = {}

    def copy(self) -> Ctx:
        c = Ctx.__new__(Ctx)
        c.st, c.env, c.proc, c.pos, c.self_val, c.label = self.st, dict(self.env), self.proc, self.pos, \
            self.self_val, self.label
        c.cur = None if self.cur is None else dict(self.cur)
        c.old = dict(self.old)
        c.need = self.need
        c.params = self.params
        c.checked = self.checked
        c.in_def = self.in_def
        c.post = self.post
        c.touched = dict(self.touched)
        return c


class CompileError(Exception):
    """The model cannot be compiled (a constant fails to evaluate, ...)."""


@dataclass(frozen=True)
class ActionInfo:
    """One step instance: the unit of interleaving and of fairness."""

    aid: int
    process: str
    pos: int
    self_value: Any  # the instance's index value, internal (None for singletons)
    label: str
    step: ir.Step
    binder_types: dict  # `any` binder name -> element type (to convert chosen values)


def _binder_types(st: ir.Step) -> dict:
    out = {}

    def on(n):
        if isinstance(n, ir.AnyStmt):
            t = n.binder.domain.type
            out[n.binder.name] = t.elem if isinstance(t, ir.SetType) else None

    _walk(st.body, on)
    return out


def _lit_src(v: Any) -> str | None:
    t = type(v)
    if t is bool:
        return "True" if v else "False"
    if t is int:
        return repr(v) if v >= 0 else f"({v!r})"
    if t is str:
        return repr(v)
    return None


def _walk(node, fn) -> None:
    """Call fn on every IR node below ``node`` (expressions, statements, tuples)."""
    if isinstance(node, (list, tuple)):
        for x in node:
            _walk(x, fn)
        return
    if not hasattr(node, "__dataclass_fields__"):
        return
    fn(node)
    for f in node.__dataclass_fields__:
        if f in ("span", "type"):
            continue
        _walk(getattr(node, f), fn)


def _values_in(v: Any, fn) -> None:
    fn(v)
    if isinstance(v, (frozenset, tuple)):
        for x in v:
            _values_in(x, fn)
    elif isinstance(v, FMap):
        for k, x in v.items():
            _values_in(k, fn)
            _values_in(x, fn)


#: Memoize the successors of heavy steps by the fields they read and write
#: (see Codegen._memo_step); False generates the plain code only.
MEMO = True
#: Memoize a state predicate only when it reads at most this many bits.
MEMO_KEY_BITS = 32
UNROLL_LIMIT = 8  # unroll quantifiers/comprehensions over constant sets this small
UNROLL_TOTAL = 64


# --------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------


class Codegen:
    """Compiles one model of a spec; see the module docstring."""

    # read while constants are folded, before __init__ sets them
    _reads: set[int] | None = None
    _place_root = None

    def __init__(self, spec: ir.Spec, model: ir.Model, seeds: tuple[dict, dict] | None = None):
        self.spec = spec
        self.model = model
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
        self._place_root = None  # the VarRef node whose read a place already accounts for
        self._venc: dict = {}  # codec -> namespace name of its value encoder
        self.consts_src: dict[str, Any] = {}  # sources of constant values assigned in steps
        self._multi: frozenset = frozenset()  # roots the step being generated may assign twice

    # ------------------------------------------------------------ namespace
    def _init_namespace(self) -> None:
        ns = self.ns
        ns.update({
            "_rt": rt, "_NONE": NONE, "_ESC": rt.ESC, "_EMPTY": rt.EMPTY, "_NOCHOICE": rt.NOCHOICE,
            "_fm": rt.fmap_own, "_rec": rt.rec_own, "_mget": rt.map_get, "_sget": rt.seq_get,
            "_mput": rt.map_put, "_sput": rt.seq_put, "_rput": rt.rec_put, "_srt": rt.sorted_elems,
            "_chosen": rt.chosen, "_frozenset": frozenset, "_sorted": sorted, "_len": len, "_all": all,
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
        try:
            return eval(compile(p.src, "<pyspec-const>", "eval"), self.ns)  # generated source, not spec text
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
        return {"s": "_o", "t": "_x"}.get(st, "_q") + str(k)

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
            field = f"{st} >> {sl.off} & {sl.mask}" if sl.off else f"{st} & {sl.mask}"
            out.append(f"{ind}{name} = _D{k}[{field}]")
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

    # ------------------------------------------------------------ expressions
    def ex(self, e: ir.Expr, c: Ctx) -> Py:
        return getattr(self, "_ex_" + type(e).__name__)(e, c)

    def _ex_Lit(self, e, c):
        return self.k(e.value)

    def _ex_NoneLit(self, e, c):
        return self.k(NONE)

    def _ex_SortValue(self, e, c):
        return self.k(self.conv.sort_code[e.sort][e.name])

    def _ex_EnumValue(self, e, c):
        return self.k(self.conv.enum_code[e.enum][e.name])

    def _ex_ConstRef(self, e, c):
        return self.k(self.const_value(e.name))

    def _ex_VarRef(self, e, c):
        k = self.var_slot[e.name]
        if self._reads is not None and c.st == "s" and e is not self._place_root:
            # also when the step assigned part of it already: the value read
            # is the old one with that part replaced, so it depends on all of it
            self._rwhole.add(k)
        if c.cur is not None and k in c.cur:
            return Py(c.cur[k])
        return self.read_slot(c, k)

    def _const_place(self, e, c) -> tuple[int, tuple] | None:
        """``m[k1][k2]...`` with constant keys on a map variable ``m`` held
        in a map codec: (m's slot, the keys); else None."""
        keys = []
        while isinstance(e, ir.Index):
            bt = e.base.type
            if not isinstance(bt, ir.MapType):
                return None
            key = self.ex(e.key, c)
            if not key.const:
                return None
            keys.append(key.value)
            e = e.base
        if not isinstance(e, ir.VarRef) or not keys:
            return None
        k = self.var_slot[e.name]
        if not isinstance(self.layout.slots[k].codec, MapCodec):
            return None
        return k, tuple(reversed(keys))

    def _place(self, k: int, keys: tuple) -> tuple[int, int, Any] | None:
        """Where slot ``k`` holds the place ``keys``: (the presence bits of
        the digits on the way, the offset of the place's code, the place's
        codec), or None when ``keys`` is not a path of map digits."""
        sl = self.layout.slots[k]
        codec = sl.codec
        off = sl.off + (1 if sl.escapable else 0)
        presence = 0
        for key in keys:
            if not isinstance(codec, MapCodec):
                return None
            i = codec.pos.get(key)
            if i is None:
                return None
            off += i * codec.dw
            presence |= 1 << off  # the digit's presence bit
            off += 1
            codec = codec.value
        return presence, off, codec

    def _place_mask(self, k: int, keys: tuple) -> int | None:
        """The bits of slot ``k`` that hold the place ``keys`` (with the
        presence bit of every digit on the way), or None."""
        place = self._place(k, keys)
        if place is None:
            return None
        presence, off, codec = place
        return presence | (((1 << codec.width) - 1) << off)

    def _own_pos(self, process: str, c: Ctx) -> int:
        if c.proc is not None and c.proc.name == process and c.pos is not None:
            return c.pos
        return 0  # a singleton process

    def _ex_LocalRef(self, e, c):
        if e.index is None:
            k = self.local_slot[(e.process, e.name, self._own_pos(e.process, c))]
            if c.cur is not None and k in c.cur:
                return Py(c.cur[k])
            return self.read_slot(c, k)
        return self._indexed_read(e.process, e.name, e.index, c, e)

    def _indexed_read(self, process: str, local: str | None, index: ir.Expr, c: Ctx, e) -> Py:
        idx = self.ex(index, c)
        if idx.const:
            pos = self.inst_pos[process].get(idx.value)
            if pos is None:
                return Py(f"_rt.no_instance({process!r}, {idx.src}, {self.where(e)}, {self.shown(index.type)})")
            if local is None:
                if c.label is not None and c.proc is not None and c.proc.name == process and pos == c.pos:
                    return self.k(c.label)
                k = self.pc_slot[(process, pos)]
            else:
                k = self.local_slot[(process, local, pos)]
                if c.post and c.cur and k in c.cur:
                    return Py(c.cur[k])
            return self.read_slot(c, k)
        g = self.groups[(process, local)]
        self._dyn = True
        src = (f"_read({c.st}, {g}[{idx.src}])" if not c.checked else
               f"_read({c.st}, {g}[{idx.src}] if {idx.src} in {g} else "
               f"_rt.no_instance({process!r}, {idx.src}, {self.where(e)}, {self.shown(index.type)}))")
        if local is not None and c.post and c.cur and c.proc is not None and c.proc.name == process:
            k = self.local_slot.get((process, local, c.pos))
            if k in c.cur:
                own = self.k(c.self_val).src
                src = f"({c.cur[k]} if {idx.src} == {own} else {src})"
        return Py(src)

    def _ex_PcRef(self, e, c):
        if e.index is None:
            if c.label is not None and c.proc is not None and c.proc.name == e.process:
                return self.k(c.label)
            return self.read_slot(c, self.pc_slot[(e.process, 0)])
        return self._indexed_read(e.process, None, e.index, c, e)

    def _ex_SelfRef(self, e, c):
        if c.self_val is _NOVAL:
            raise CompileError(f"{e.span}: 'self' outside a process instance")
        return self.k(c.self_val)

    def _ex_BoundRef(self, e, c):
        try:
            return c.env[e.name]
        except KeyError:
            raise CompileError(f"{e.span}: unbound name '{e.name}'") from None

    def _ex_LetIn(self, e, c):
        val = self.ex(e.value, c)
        c2 = c.copy()
        if val.const or val.src.isidentifier():
            c2.env[e.name] = val
            return self.ex(e.body, c2)
        pn = self.uniq(f"_l_{e.name}_")
        c2.env[e.name] = Py(pn)
        body = self.ex(e.body, c2)
        return Py(f"(lambda {pn}: {body.src})({val.src})")

    def _ex_DefCall(self, e, c):
        d = self.defs[e.name]
        args = [self.ex(a, c) for a in e.args]
        if e.name in self.recursive:
            fname = self.def_function(d, c.checked)
            self._dyn = True
            call = f"{fname}({c.st}{''.join(', ' + a.src for a in args)})"
            if c.checked and not c.in_def:
                # runaway recursion: an error at the outermost call, not a
                # Python RecursionError without a position
                return Py(f"_rt.recursion_guard(lambda: {call}, {e.name!r}, {self.where(e)})")
            return Py(call)
        c2 = c.copy()
        if not c.post:
            c2.cur = None  # defs read the state in which the step started
        c2.env = {}
        c2.in_def = True
        lam_params, lam_args = [], []
        uses = self._param_uses(d)
        for p, a in zip(d.params, args):
            if a.const or a.src.isidentifier() or (uses.get(p.name, 0) <= 1 and not uses.get("*" + p.name)):
                c2.env[p.name] = a if (a.const or a.src.isidentifier()) else Py(f"({a.src})")
            else:
                pn = self.uniq(f"_p_{p.name}_")
                c2.env[p.name] = Py(pn)
                lam_params.append(pn)
                lam_args.append(a.src)
        body = self.ex(d.body, c2)
        if not lam_params:
            return body
        return Py(f"(lambda {', '.join(lam_params)}: {body.src})({', '.join(lam_args)})")

    def _param_uses(self, d: ir.Def) -> dict[str, int]:
        """How often each parameter is read in the body; ``*name`` when a read
        sits inside a quantifier or comprehension (evaluated many times)."""
        cache = self.__dict__.setdefault("_uses_cache", {})
        if d.name in cache:
            return cache[d.name]
        out: dict[str, int] = {}

        def walk(e, loop: bool):
            if isinstance(e, ir.BoundRef):
                out[e.name] = out.get(e.name, 0) + 1
                if loop:
                    out["*" + e.name] = 1
                return
            inner = loop or isinstance(e, (ir.Quant, ir.SetComp, ir.SeqComp, ir.MapComp, ir.Choose))
            if hasattr(e, "__dataclass_fields__"):
                for f in e.__dataclass_fields__:
                    if f in ("span", "type"):
                        continue
                    walk(getattr(e, f), inner)
            elif isinstance(e, tuple):
                for x in e:
                    walk(x, loop)

        walk(d.body, False)
        cache[d.name] = out
        return out

    def def_function(self, d: ir.Def, checked: bool) -> str:
        """A module-level function for a recursive def (reads the state ``_S``)."""
        fname = f"_def{'c' if checked else ''}_{d.name}"
        if fname in self._fn_names:
            return fname
        self._fn_names.add(fname)
        c = Ctx("_S", checked)
        c.in_def = True
        params = []
        for p in d.params:
            pn = f"_b_{p.name}"
            c.env[p.name] = Py(pn)
            params.append(pn)
        body = self.ex(d.body, c)
        lines = [f"def {fname}(_S{''.join(', ' + p for p in params)}):"]
        self.decode_lines(c, "    ", lines)
        lines.append(f"    return {body.src}")
        self.lines.extend(lines)
        self.lines.append("")
        return fname

    def _ex_Unary(self, e, c):
        a = self.ex(e.operand, c)
        op = {"neg": "-", "bitnot": "~", "not": "not "}[e.op]
        return self.fold(f"({op}{a.src})", a)

    def _pc_compare(self, e, c) -> Py | None:
        """``p[i].pc == "L"`` on a statically known instance: compare the pc field."""
        if e.op not in ("eq", "ne"):
            return None
        for a, b in ((e.left, e.right), (e.right, e.left)):
            if isinstance(a, ir.PcRef) and isinstance(b, ir.Lit) and isinstance(b.value, str):
                if a.index is None:
                    if c.label is not None and c.proc is not None and c.proc.name == a.process:
                        return None
                    pos = 0
                else:
                    idx = self.ex(a.index, c)
                    if not idx.const:
                        return None
                    pos = self.inst_pos[a.process].get(idx.value)
                    if pos is None:
                        return None
                    if c.label is not None and c.proc is not None and c.proc.name == a.process and pos == c.pos:
                        return None
                k = self.pc_slot[(a.process, pos)]
                sl = self.layout.slots[k]
                code = sl.codec.enc(b.value)
                if code is None:
                    return self.k(e.op == "ne")
                field = f"{c.st} >> {sl.off} & {sl.mask}" if sl.off else f"{c.st} & {sl.mask}"
                if self._reads is not None and c.st == "s":
                    self._reads.add(k)
                return Py(f"(({field}) {'==' if e.op == 'eq' else '!='} {code})")
        return None

    _ARITH = {"add": "+", "sub": "-", "mul": "*", "bitand": "&", "bitor": "|", "bitxor": "^",
              "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "union": "|", "inter": "&", "diff": "-",
              "subseteq": "<=", "subset": "<", "concat": "+"}

    def _ex_Binary(self, e, c):
        op = e.op
        pc = self._pc_compare(e, c)
        if pc is not None:
            return pc
        if op in ("and", "or", "implies"):
            a = self.ex(e.left, c)
            if a.const:
                if op == "and":
                    return self.ex(e.right, c) if a.value else self.k(False)
                if op == "or":
                    return self.k(True) if a.value else self.ex(e.right, c)
                return self.ex(e.right, c) if a.value else self.k(True)
            b = self.ex(e.right, c)
            if b.const:
                if op == "and":
                    return a if b.value else Py(f"({a.src} and False)")
                if op == "or":
                    return Py(f"({a.src} or True)") if b.value else a
                return Py(f"(not {a.src} or True)") if b.value else Py(f"(not {a.src})")
            if op == "implies":
                return Py(f"(not {a.src} or {b.src})")
            return Py(f"({a.src} {op} {b.src})")
        a = self.ex(e.left, c)
        if op in ("in", "not_in") and isinstance(e.right, ir.Builtin) and e.right.name == "keys":
            m = self.ex(e.right.args[0], c)
            neg = "not " if op == "not_in" else ""
            return self.fold(f"({a.src} {neg}in {m.src}._d)", a, m)
        if op in ("in", "not_in"):
            test = self._member_test(a, e.right, c)
            if test is not None:
                return Py(f"(not {test.src})") if op == "not_in" else test
        b = self.ex(e.right, c)
        if op in self._ARITH:
            return self.fold(f"({a.src} {self._ARITH[op]} {b.src})", a, b)
        if op in ("eq", "ne"):
            sym = "==" if op == "eq" else "!="
            return self.fold(f"({a.src} {sym} {b.src})", a, b)
        if op == "in":
            return self.fold(f"({a.src} in {b.src})", a, b)
        if op == "not_in":
            return self.fold(f"({a.src} not in {b.src})", a, b)
        if op == "merge":
            return self.fold(f"_rt.merge({a.src}, {b.src})", a, b)
        w = self.where(e)
        if op in ("floordiv", "mod"):
            if b.const and type(b.value) is int and b.value > 0:
                return self.fold(f"({a.src} {'//' if op == 'floordiv' else '%'} {b.src})", a, b)
            return self.fold(f"_rt.{'floordiv' if op == 'floordiv' else 'mod'}({a.src}, {b.src}, {w})", a, b)
        if op in ("pow", "shl", "shr"):
            if b.const and type(b.value) is int and b.value >= 0:
                sym = {"pow": "**", "shl": "<<", "shr": ">>"}[op]
                return self.fold(f"({a.src} {sym} {b.src})", a, b)
            fn = {"pow": "power", "shl": "shl", "shr": "shr"}[op]
            return self.fold(f"_rt.{fn}({a.src}, {b.src}, {w})", a, b)
        raise CompileError(f"{e.span}: unsupported operator {op}")

    def _member_test(self, a: Py, s: ir.Expr, c) -> Py | None:
        """``a in s`` without building ``s`` when it is a set of maps or of
        sequences (``maps``, ``seqs``, ``subsets`` of them: a TypeOK over a
        network of channels would enumerate millions of values); None for
        any other set."""
        if not (isinstance(s, ir.Builtin) and s.name in ("maps", "seqs", "subsets")):
            return None
        v = self.uniq("_mv_")
        inner_set = s.args[1] if s.name == "maps" else s.args[0]
        inner = self._member_test(Py(v), inner_set, c)
        if inner is None:
            elems = self.ex(inner_set, c)
            inner = Py(f"({v} in {elems.src})")
        if s.name == "maps":
            dom = self.ex(s.args[0], c)
            return Py(f"_rt.is_map_over({a.src}, {dom.src}, lambda {v}: {inner.src})")
        if s.name == "seqs":
            n = self.ex(s.args[1], c)
            return Py(f"_rt.is_seq_over({a.src}, {n.src}, lambda {v}: {inner.src})")
        return Py(f"(type({a.src}) is frozenset and all({inner.src} for {v} in {a.src}))")

    def _ex_IfExpr(self, e, c):
        cond = self.ex(e.cond, c)
        if cond.const:
            return self.ex(e.then if cond.value else e.orelse, c)
        a = self.ex(e.then, c)
        b = self.ex(e.orelse, c)
        return Py(f"({a.src} if {cond.src} else {b.src})")

    def _ex_SetLit(self, e, c):
        if not e.elems:
            return self.k(frozenset())
        parts = [self.ex(x, c) for x in e.elems]
        return self.fold(f"_frozenset(({', '.join(p.src for p in parts)},))", *parts)

    def _ex_RangeSet(self, e, c):
        lo, hi = self.ex(e.lo, c), self.ex(e.hi, c)
        return self.fold(f"_frozenset(_range({lo.src}, {hi.src} + 1))", lo, hi)

    def _const_domain(self, b: ir.Binder, c: Ctx) -> list | None:
        d = self.ex(b.domain, c)
        if d.const and isinstance(d.value, frozenset):
            return sorted(d.value, key=sort_key)
        return None

    def _unroll(self, binders, c: Ctx) -> list[dict[str, Py]] | None:
        """The binder assignments of a small constant product, or None."""
        envs: list[dict[str, Py]] = [{}]
        for b in binders:
            nxt = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                dom = self._const_domain(b, c2)
                if dom is None or len(dom) > UNROLL_LIMIT:
                    return None
                for v in dom:
                    nxt.append({**env, b.name: self.k(v)})
            envs = nxt
            if len(envs) > UNROLL_TOTAL:
                return None
        return envs

    def _binder_loops(self, binders, c: Ctx) -> tuple[str, Ctx]:
        """``for x in S`` clauses of a comprehension and the context inside it."""
        c2 = c.copy()
        clauses = []
        for b in binders:
            dom = self.ex(b.domain, c2)
            name = self.uniq(f"_b_{b.name}_")
            clauses.append(f"for {name} in {dom.src}")
            c2.env[b.name] = Py(name)
        return " ".join(clauses), c2

    def _ex_SetComp(self, e, c):
        envs = self._unroll(e.binders, c)
        if envs is not None:
            parts = []
            conds = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                if e.cond is not None:
                    cond = self.ex(e.cond, c2)
                    if cond.const and not cond.value:
                        continue
                    conds.append(cond)
                else:
                    conds.append(self.k(True))
                parts.append(self.ex(e.elem, c2))
            if not parts:
                return self.k(frozenset())
            if all(cd.const for cd in conds):
                return self.fold(f"_frozenset(({', '.join(p.src for p in parts)},))", *parts)
            pairs = ", ".join(f"({p.src}, {cd.src})" for p, cd in zip(parts, conds))
            return Py(f"_frozenset([_e for _e, _c in ({pairs},) if _c])")
        loops, c2 = self._binder_loops(e.binders, c)
        elem = self.ex(e.elem, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        return Py(f"_frozenset({elem.src} {loops}{cond})")

    def _ex_SeqComp(self, e, c):
        b = e.binder
        c2 = c.copy()
        name = self.uniq(f"_b_{b.name}_")
        c2.env[b.name] = Py(name)
        if isinstance(b.domain, ir.RangeSet):  # ascending, as lo..hi reads
            lo, hi = self.ex(b.domain.lo, c), self.ex(b.domain.hi, c)
            loop = f"for {name} in range({lo.src}, ({hi.src}) + 1)"
        else:
            loop = f"for {name} in {self.ex(b.domain, c).src}"
        elem = self.ex(e.elem, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        return Py(f"tuple([{elem.src} {loop}{cond}])")

    def _ex_MapLit(self, e, c):
        parts = [(self.ex(k, c), self.ex(v, c)) for k, v in e.entries]
        src = "_fm({" + ", ".join(f"{k.src}: {v.src}" for k, v in parts) + "})"
        return self.fold(src, *[p for kv in parts for p in kv])

    def _ex_MapComp(self, e, c):
        envs = self._unroll((e.binder,), c) if e.cond is None else None
        if envs is not None:
            items = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                items.append((env[e.binder.name], self.ex(e.value, c2)))
            src = "_fm({" + ", ".join(f"{k.src}: {v.src}" for k, v in items) + "})"
            return self.fold(src, *[p for kv in items for p in kv])
        loops, c2 = self._binder_loops((e.binder,), c)
        key = c2.env[e.binder.name]
        val = self.ex(e.value, c2)
        cond = f" if {self.ex(e.cond, c2).src}" if e.cond is not None else ""
        return Py(f"_fm({{{key.src}: {val.src} {loops}{cond}}})")

    def _ex_Index(self, e, c):
        if self._reads is not None and c.st == "s" and self._place_root is None:
            place = self._const_place(e, c)
            if place is not None:
                self._rplaces.setdefault(place[0], set()).add(place[1])
                root = e
                while isinstance(root, ir.Index):
                    root = root.base
                self._place_root = root
                try:
                    return self._ex_Index(e, c)
                finally:
                    self._place_root = None
        base = self.ex(e.base, c)
        key = self.ex(e.key, c)
        bt = e.base.type
        if isinstance(bt, ir.OptionalType):
            bt = bt.inner
        w = self.where(e)
        if isinstance(bt, ir.MapType):
            if c.checked:
                return self.fold(f"_mget({base.src}, {key.src}, {w}, {self.shown(bt)})", base, key)
            return self.fold(f"{base.src}._d[{key.src}]", base, key)
        if isinstance(bt, ir.TupleType):
            return self.fold(f"{base.src}[{key.src}]", base, key)
        if isinstance(bt, ir.SeqType):
            return self.fold(f"_sget({base.src}, {key.src}, {w})", base, key)
        return self.fold(f"_rt.index({base.src}, {key.src}, {w}, {self.shown(bt)})", base, key)

    def _ex_Field(self, e, c):
        base = self.ex(e.base, c)
        if c.checked or not isinstance(e.base.type, ir.RecordType):
            return self.fold(f"_rt.field({base.src}, {e.name!r}, {self.where(e)})", base)
        return self.fold(f"{base.src}._d[{e.name!r}]", base)

    def _ex_RecordLit(self, e, c):
        parts = [(n, self.ex(x, c)) for n, x in sorted(e.fields, key=lambda f: f[0])]
        src = "_rec({" + ", ".join(f"{n!r}: {p.src}" for n, p in parts) + "})"
        return self.fold(src, *[p for _, p in parts])

    def _ex_VariantLit(self, e, c):
        # a record whose "tag" field names the case (the TLA+ export's form)
        parts = [(n, self.ex(x, c)) for n, x in e.fields] + [("tag", self.k(e.tag))]
        parts.sort(key=lambda f: f[0])
        src = "_rec({" + ", ".join(f"{n!r}: {p.src}" for n, p in parts) + "})"
        return self.fold(src, *[p for _, p in parts])

    def _ex_IsCase(self, e, c):
        base = self.ex(e.base, c)
        return self.fold(f"({base.src}._d['tag'] == {e.tag!r})", base)

    def _ex_RecordUpdate(self, e, c):
        base = self.ex(e.base, c)
        parts = [(n, self.ex(x, c)) for n, x in e.updates]
        src = f"_rt.rec_replace({base.src}, {{" + ", ".join(f"{n!r}: {p.src}" for n, p in parts) + "})"
        return self.fold(src, base, *[p for _, p in parts])

    def _ex_SeqLit(self, e, c):
        parts = [self.ex(x, c) for x in e.elems]
        if not parts:
            return self.k(())
        return self.fold("(" + ", ".join(p.src for p in parts) + ",)", *parts)

    _ex_TupleLit = _ex_SeqLit

    def _small_domain(self, ty: ir.Type) -> list | None:
        """Every value of a small closed type (internal values), or None."""
        if isinstance(ty, ir.BoolType):
            return [False, True]
        if isinstance(ty, ir.SortType):
            n = len(self.conv.sort_names.get(ty.name, ()))
            return list(range(n)) if 0 < n <= UNROLL_LIMIT else None
        if isinstance(ty, ir.EnumType):
            return list(range(len(ty.values))) if len(ty.values) <= UNROLL_LIMIT else None
        return None

    def _ex_Quant(self, e, c):
        if len(e.binders) == 1:
            b = e.binders[0]
            dom_t = b.domain.type
            elems = self._small_domain(dom_t.elem) if isinstance(dom_t, ir.SetType) else None
            dom = self.ex(b.domain, c)
            if elems is not None and not dom.const and (dom.src.isidentifier() or len(elems) <= 4):
                # `exists x in S: P` over a state set S of a small closed type:
                # one membership test and one folded P per possible value
                dname = dom.src if dom.src.isidentifier() else None
                parts = []
                for v in elems:
                    c2 = c.copy()
                    c2.env[b.name] = self.k(v)
                    body = self.ex(e.body, c2)
                    mem = f"({self.k(v).src} in {dname or dom.src})"
                    if e.kind == "exists":
                        if body.const and not body.value:
                            continue
                        parts.append(mem if body.const else f"({mem} and {body.src})")
                    else:
                        if body.const and body.value:
                            continue
                        parts.append(f"(not {mem})" if body.const else f"(not {mem} or {body.src})")
                if not parts:
                    return self.k(e.kind == "forall")
                joiner = " or " if e.kind == "exists" else " and "
                return Py("(" + joiner.join(parts) + ")")
        envs = self._unroll(e.binders, c)
        if envs is not None:
            parts = []
            for env in envs:
                c2 = c.copy()
                c2.env.update(env)
                p = self.ex(e.body, c2)
                if p.const:
                    if (e.kind == "forall") != bool(p.value):  # decides the quantifier
                        return self.k(e.kind == "exists")
                    continue
                parts.append(p)
            if not parts:
                return self.k(e.kind == "forall")
            joiner = " and " if e.kind == "forall" else " or "
            return Py("(" + joiner.join(p.src for p in parts) + ")")
        loops, c2 = self._binder_loops(e.binders, c)
        body = self.ex(e.body, c2)
        fn = "_all" if e.kind == "forall" else "_any"
        return Py(f"{fn}({body.src} {loops})")

    def _ex_Choose(self, e, c):
        dom = self.ex(e.binder.domain, c)
        if dom.const:
            dsrc = self.k(tuple(sorted(dom.value, key=sort_key))).src
        else:
            dsrc = f"_srt({dom.src})"
        c2 = c.copy()
        name = self.uniq(f"_b_{e.binder.name}_")
        c2.env[e.binder.name] = Py(name)
        cond = self.ex(e.cond, c2)
        return Py(f"_chosen(_next(({name} for {name} in {dsrc} if {cond.src}), _NOCHOICE), {self.where(e)})")

    def _ex_Builtin(self, e, c):
        args = [self.ex(a, c) for a in e.args]
        a = args[0] if args else None
        w = self.where(e)
        n = e.name
        if n == "len":
            return self.fold(f"_len({a.src})", a)
        if n == "abs":
            return self.fold(f"_abs({a.src})", a)
        if n == "append":
            return self.fold(f"({a.src} + ({args[1].src},))", *args)
        if n in ("subsets", "keys", "unions"):
            return self.fold(f"_rt.{n}({a.src})", a)
        if n == "maps":
            return self.fold(f"_rt.maps({a.src}, {args[1].src})", *args)
        if n == "seqs":
            return self.fold(f"_rt.seqs({a.src}, {args[1].src}, {w})", *args)
        if n in ("min", "max", "head", "tail"):
            fn = {"min": "smin", "max": "smax", "head": "head", "tail": "tail"}[n]
            return self.fold(f"_rt.{fn}({a.src}, {w})", a)
        if n == "slice":
            return self.fold(f"_rt.seq_slice({a.src}, {args[1].src}, {args[2].src}, {w})", *args)
        if n == "elems":
            return self.fold(f"_frozenset({a.src})", a)
        raise CompileError(f"{e.span}: unsupported builtin {n}()")

    def _ex_Next(self, e, c):
        c2 = c.copy()
        c2.st = "t"
        c2.cur = None
        return self.ex(e.operand, c2)

    def _ex_Temporal(self, e, c):
        raise CompileError(f"{e.span}: temporal operator outside a temporal property")

    # ------------------------------------------------------------ functions of states
    def function(self, name: str, args: str, expr: ir.Expr, c: Ctx) -> str:
        """``def name(args): return expr`` with the decodes it needs."""
        c.need = set()
        body = self.ex(expr, c)
        lines = [f"def {name}({args}):"]
        self.decode_lines(c, "    ", lines)
        lines.append(f"    return {body.src}")
        self.lines.extend(lines)
        self.lines.append("")
        return name

    # ------------------------------------------------------------ steps
    def gen_next(self, mode: str, esc: bool) -> None:
        """``_next_<mode>[_esc](s, _ap)`` for mode fast | lab | full.

        Without ``esc`` the function assumes that ``s`` has no escape tail
        (no ESC checks on reads, successors packed in place) and hands
        states with a tail to its ``_esc`` twin."""
        checked = mode == "full"
        name = f"_next_{mode}{'_esc' if esc else ''}"
        lines = [f"def {name}(s, _ap):"]
        body: list[str] = []
        if not esc and mode != "full" and self.layout.escapable:
            body.append(f"    if s >> {self.layout.bits}: return {name}_esc(s, _ap)")
        record_actions = not self.actions
        self._esc = esc or mode == "full"
        self._esc_emit = esc
        blocks: dict[tuple[str, int], int] = {}
        for p in self.spec.processes:
            for pos, val in enumerate(self.inst[p.name]):
                blocks[(p.name, pos)] = len(body)
                k = self.pc_slot[(p.name, pos)]
                sl = self.layout.slots[k]
                field = f"s >> {sl.off} & {sl.mask}" if sl.off else f"s & {sl.mask}"
                first = True
                body.append(f"    _pc = {field}")
                for st in p.steps:
                    code = sl.codec.enc(st.label)
                    if record_actions:
                        self.actions.append(ActionInfo(len(self.actions), p.name, pos, val, st.label, st,
                                                       _binder_types(st)))
                    aid = self._aid(p.name, pos, st.label)
                    c = Ctx("s", checked)
                    c.proc, c.pos, c.self_val, c.label = p, pos, (val if p.index else _NOVAL), st.label
                    c.cur = {}
                    c.need = set()
                    inner: list[str] = []
                    self._mode, self._aid_cur, self._step = mode, aid, st
                    self._multi = walk.multi_roots(st.body)
                    memo = MEMO and mode in ("fast", "lab") and not esc
                    if memo:
                        self._reads, self._dyn, self._wm = set(), False, 0
                        self._rplaces, self._wplaces, self._rwhole, self._wwhole = {}, {}, set(), set()
                    try:
                        self.gen_stmts(st.body, 0, (), c, "        ", inner)
                    finally:
                        reads, self._reads = self._reads, None
                    if not inner:
                        inner = ["        pass"]
                    body.append(f"    {'if' if first else 'elif'} _pc == {code}:")
                    if memo and not self._dyn and self._wm and self._memo_worth(inner):
                        body.extend(self._memo_step(mode, aid, k, reads, inner))
                    else:
                        body.extend(inner)
                    first = False
        self._esc = True
        if mode == "full":
            # each instance's block on its own, for ``compile_extra("inst")``
            ends = list(blocks.values())[1:] + [len(body)]
            self.full_blocks = {key: body[start:end] for (key, start), end in zip(blocks.items(), ends)}
        if not body:
            body = ["    pass"]
        self.lines.extend(lines + body + [""])

    @staticmethod
    def _memo_worth(inner: list[str]) -> bool:
        """Is a step's code heavier than a table lookup?  (Straight-line
        steps of a few integer operations are not worth memoizing.)"""
        heavy = ("_fm(", "_rec(", "_mput(", "_sput(", "_rput(", "_F", "_frozenset", "for ", "_srt(", "_rt.")
        return len(inner) > 3 or any(h in line for line in inner for h in heavy)

    def _memo_step(self, mode: str, aid: int, pc_k: int, reads: set[int], inner: list[str]) -> list[str]:
        """A step instance as a function of the fields it reads and writes:
        its code moves to ``_st_<mode>_<aid>(s, _ap)`` and the dispatcher
        looks its successors up in a cache keyed by those fields (the rest of
        the state is copied unchanged).  A successor with an escape tail
        depends on more than the key: such results are not cached."""
        slots = self.layout.slots
        rmask, wm = self._memo_masks(reads)
        rmask |= slots[pc_k].mask << slots[pc_k].off
        key = rmask | wm
        fname = f"_st_{mode}_{aid}"
        cache = self._bind({}, "_M")
        self.lines.append(f"def {fname}(s, _ap):")
        self.lines.extend(line[4:] for line in inner)
        self.lines.append("")
        fill = "_rt.memo_fill_lab" if mode == "lab" else "_rt.memo_fill"
        emit = f"({aid}, _u | _v)" if mode == "lab" else "_u | _v"
        return [
            f"        _r = {cache}.get(s & {key})",
            "        if _r is None:",
            f"            for _t in {fill}({cache}, s & {key}, s, {fname}, {wm}, {self.layout.bits}):",
            "                _ap(_t)",
            "        else:",
            f"            _u = s & {~wm}",
            "            for _v in _r:",
            f"                _ap({emit})",
        ]

    def _aid(self, process: str, pos: int, label: str) -> int:
        for a in self.actions:
            if a.process == process and a.pos == pos and a.label == label:
                return a.aid
        raise KeyError((process, pos, label))

    def gen_stmts(self, stmts: tuple, i: int, rest: tuple, c: Ctx, ind: str, out: list[str]) -> None:
        """Run ``stmts[i:]``, then the continuation frames ``rest``, then fall through."""
        while i < len(stmts) and isinstance(stmts[i], ir.Skip):
            i += 1
        if i == len(stmts):
            if rest:
                (s2, i2), more = rest[0], rest[1:]
                self.gen_stmts(s2, i2, more, c, ind, out)
            else:
                self.gen_emit(self._step.fallthrough, c, ind, out)
            return
        st = stmts[i]
        nxt = ((stmts, i + 1),) + rest
        if isinstance(st, ir.Assign):
            self.gen_assign(st, c, ind, out)
            self.gen_stmts(stmts, i + 1, rest, c, ind, out)
        elif isinstance(st, ir.Await):
            cond = self.ex(st.cond, c)
            if cond.const:
                if cond.value:
                    self.gen_stmts(stmts, i + 1, rest, c, ind, out)
                return
            self.decode_lines(c, ind, out)
            out.append(f"{ind}if {cond.src}:")
            n0 = len(out)
            self.gen_stmts(stmts, i + 1, rest, c.copy(), ind + "    ", out)
            if len(out) == n0:
                out.append(f"{ind}    pass")
        elif isinstance(st, ir.If):
            if self._mergeable(st):
                self.gen_if_merge(st, c, ind, out)
                self.gen_stmts(stmts, i + 1, rest, c, ind, out)
            else:
                self.gen_if_split(st, nxt, c, ind, out)
        elif isinstance(st, ir.Either):
            for br in st.branches:
                self.gen_stmts(br, 0, nxt, c.copy(), ind, out)
        elif isinstance(st, ir.AnyStmt):
            dom = self.ex(st.binder.domain, c)
            if dom.const:
                dsrc = self.k(tuple(sorted(dom.value, key=sort_key))).src
            else:
                dsrc = f"_srt({dom.src})"
            self.decode_lines(c, ind, out)
            name = self.uniq(f"_b_{st.binder.name}_")
            c2 = c.copy()
            c2.env[st.binder.name] = Py(name)
            c2.params = c.params + ((st.binder.name, name),)
            out.append(f"{ind}for {name} in {dsrc}:")
            ind2 = ind + "    "
            if st.cond is not None:
                cond = self.ex(st.cond, c2)
                if cond.const and not cond.value:
                    out.append(f"{ind2}pass")
                    return
                if not cond.const:
                    self.decode_lines(c2, ind2, out)
                    out.append(f"{ind2}if {cond.src}:")
                    ind2 += "    "
            n0 = len(out)
            self.gen_stmts(st.body, 0, nxt, c2, ind2, out)
            if len(out) == n0:
                out.append(f"{ind2}pass")
        elif isinstance(st, ir.Let):
            # the name is a local for the rest of the step (the let's body)
            val = self.ex(st.value, c)
            c2 = c.copy()
            if val.const:
                c2.env[st.name] = val
            else:
                self.decode_lines(c, ind, out)
                name = self.uniq(f"_l_{st.name}_")
                out.append(f"{ind}{name} = {val.src}")
                c2.env[st.name] = Py(name)
            self.gen_stmts(st.body, 0, nxt, c2, ind, out)
        elif isinstance(st, ir.Goto):
            self.gen_emit(st.target, c, ind, out)
        else:
            raise CompileError(f"{st.span}: unsupported statement {type(st).__name__}")

    # -- assignments
    def _root_slot(self, root, c: Ctx) -> int:
        if isinstance(root, ir.VarRef):
            return self.var_slot[root.name]
        return self.local_slot[(root.process, root.name, self._own_pos(root.process, c))]

    def _update_src(self, base: str, btype: ir.Type, path: tuple, val: str, c: Ctx,
                    keys: tuple | None = None) -> str:
        """``base`` with the place ``path`` set to ``val``; ``keys``: the
        path's keys already evaluated (None for a field), else evaluated here."""
        if not path:
            return val
        p = path[0]
        rest = None if keys is None else keys[1:]
        if isinstance(btype, ir.OptionalType):
            btype = btype.inner
        if isinstance(p, ir.Field):
            inner_base = f"{base}._d[{p.name!r}]" if not c.checked else f"_rt.field({base}, {p.name!r})"
            inner = self._update_src(inner_base, p.type, path[1:], val, c, rest)
            return f"_rput({base}, {p.name!r}, {inner})"
        key = self.ex(p.key, c) if keys is None else keys[0]
        w = self.where(p)
        if isinstance(btype, ir.MapType):
            sh = self.shown(btype) if c.checked else "None"
            if len(path) == 1:
                return f"_mput({base}, {key.src}, {val}, {w}, {sh})"
            inner = self._update_src(f"_mget({base}, {key.src}, {w}, {sh})", p.type, path[1:], val, c, rest)
            return f"_mput({base}, {key.src}, {inner}, {w}, {sh})"
        if isinstance(btype, ir.SeqType):
            inner = self._update_src(f"_sget({base}, {key.src}, {w})", p.type, path[1:], val, c, rest)
            return f"_sput({base}, {key.src}, {inner}, {w})"
        inner = self._update_src(f"_rt.index({base}, {key.src}, {w})", p.type, path[1:], val, c, rest)
        return f"_rt.put({base}, {key.src}, {inner}, {w})"

    def _path_keys(self, st: ir.Assign, c: Ctx, ind: str, out: list[str]) -> tuple:
        """The keys of ``st``'s path, evaluated into locals (None for a field)."""
        keys = []
        for p in st.path:
            if isinstance(p, ir.Field):
                keys.append(None)
                continue
            key = self.ex(p.key, c)
            if not (key.const or key.src.isidentifier()):
                self.decode_lines(c, ind, out)
                name = self.uniq("_pk")
                out.append(f"{ind}{name} = {key.src}")
                key = Py(name)
            keys.append(key)
        return tuple(keys)

    def gen_overlap_check(self, st: ir.Assign, keys: tuple, k: int, c: Ctx, ind: str, out: list[str]) -> None:
        """An error when ``st`` updates a place that an earlier update of the
        same slot on this execution updated, or a place inside or around it
        (docs/semantics.md); then ``st`` counts as one of those updates."""
        for prev, pkeys in c.touched.get(k, ()):
            positions = walk.overlap_keys(prev.path, st.path)
            if positions is None:
                continue
            conds = []
            for i in positions:
                a, b = pkeys[i], keys[i]
                if a.const and b.const:
                    if a.value != b.value:
                        break
                    continue
                conds.append(f"{a.src} == {b.src}")
            else:
                call = f"_rt.overlap_error({walk.overlap_message(prev, st)!r}, {self.where(st)})"
                out.append(f"{ind}if {' and '.join(conds)}: {call}" if conds else f"{ind}{call}")
        c.touched[k] = c.touched.get(k, ()) + ((st, keys),)

    def range_desc(self, ty: ir.Type) -> tuple | None:
        """Where ``ty`` holds ints with declared bounds (a descriptor for
        :func:`runtime.check_range`), or None when it holds none."""
        if isinstance(ty, ir.IntType):
            b = self._int_bounds(ty)
            return None if b is None else ("int", b[0], b[1])
        if isinstance(ty, ir.OptionalType):
            d = self.range_desc(ty.inner)
            return None if d is None else ("opt", d)
        if isinstance(ty, (ir.SetType, ir.SeqType)):
            d = self.range_desc(ty.elem)
            return None if d is None else ("set" if isinstance(ty, ir.SetType) else "seq", d)
        if isinstance(ty, ir.MapType):
            dk, dv = self.range_desc(ty.key), self.range_desc(ty.value)
            return None if dk is None and dv is None else ("map", dk, dv)
        if isinstance(ty, ir.TupleType):
            ds = tuple(self.range_desc(t) for t in ty.elems)
            return None if all(d is None for d in ds) else ("tup", ds)
        if isinstance(ty, ir.RecordType):
            ds = tuple((n, self.range_desc(t)) for n, t in ty.fields)
            return None if all(d is None for _, d in ds) else ("rec", ds)
        return None

    def gen_range_check(self, st: ir.Assign, d: tuple, src: str, ind: str, out: list[str]) -> str:
        """Check the value ``src`` assigned by ``st`` against ``d``, the
        declared ranges of the target's type (docs/semantics.md, Errors);
        returns the name holding the checked value."""
        what = repr(f"the value assigned to '{walk.target_text(st)}'")
        w = self.where(st)
        name = self.uniq("_rv_")
        if d[0] == "int":
            out.append(f"{ind}{name} = {src}")
            out.append(f"{ind}if not {d[1]} <= {name} <= {d[2]}: _rt.range_error({name}, {what}, {w})")
        else:
            out.append(f"{ind}{name} = _rt.check_range({src}, {self.k(d).src}, {what}, {w})")
        return name

    def gen_assign(self, st: ir.Assign, c: Ctx, ind: str, out: list[str]) -> None:
        k = self._root_slot(st.root, c)
        val = self.ex(st.value, c)
        d = self.range_desc(st.path[-1].type if st.path else st.root.type)
        if d is not None and not (val.const and rt.outside_range(val.value, d) is rt.NOCHOICE):
            self.decode_lines(c, ind, out)
            val = Py(self.gen_range_check(st, d, val.src, ind, out))
        keys = None
        if walk.root_of(st.root) in self._multi:
            keys = self._path_keys(st, c, ind, out)
            self.gen_overlap_check(st, keys, k, c, ind, out)
        if self._reads is not None:
            self._note_write(st, k, c)
        if st.path:
            base = c.cur[k] if k in c.cur else self.read_slot(c, k).src
            src = self._update_src(base, st.root.type, st.path, val.src, c, keys)
        else:
            src = val.src
            if val.const:
                self.decode_lines(c, ind, out)
                self.consts_src[val.src] = val.value
                c.cur[k] = val.src
                return
        self.decode_lines(c, ind, out)
        name = self.uniq(f"_n{k}_")
        out.append(f"{ind}{name} = {src}")
        c.cur[k] = name

    def _note_write(self, st: ir.Assign, k: int, c: Ctx) -> None:
        """Record what a memoized step's assignment writes (and, for an
        update of a place, reads: the old value around it)."""
        keys = []
        if isinstance(st.root, ir.VarRef) and isinstance(self.layout.slots[k].codec, MapCodec):
            for p in st.path:
                if isinstance(p, ir.Field):
                    break
                key = self.ex(p.key, c)
                if not key.const:
                    break
                keys.append(key.value)
        if keys and self._place_mask(k, tuple(keys)) is not None:
            self._wplaces.setdefault(k, set()).add(tuple(keys))
            if k not in c.cur:
                self._rplaces.setdefault(k, set()).add(tuple(keys))
        else:
            self._wwhole.add(k)
            if st.path and k not in c.cur:
                self._rwhole.add(k)

    def _place_writes(self, k: int, name: str) -> tuple[int, list[str]] | None:
        """When every write to slot ``k`` on the path being emitted is to a
        constant place (recorded by :meth:`_note_write`): the mask of those
        places and the sources of their encodings, read from the new value
        ``name`` and shifted into place (the presence bits on the way set);
        else None.  Only while a memoized step is generated (the writes are
        tracked then)."""
        if self._reads is None or k in self._wwhole or k not in self._wplaces:
            return None
        mask = 0
        srcs = []
        for keys in sorted(self._wplaces[k], key=repr):
            place = self._place(k, keys)
            if place is None:
                return None
            presence, off, codec = place
            src = name + "".join(f"._d[{self.k(key).src}]" for key in keys)
            mask |= presence | (((1 << codec.width) - 1) << off)
            srcs.append(f"({self._value_encoder(codec)}({src}) << {off}) | {presence}")
        return mask, srcs

    def _value_encoder(self, codec) -> str:
        """The namespace name of a function encoding values of ``codec``
        (KeyError when one is not representable)."""
        key = ("venc", id(codec))
        name = self._venc.get(key)
        if name is None:
            name = self._bind(make_value_encoder(codec), "_P")
            self._venc[key] = name
        return name

    def _memo_masks(self, reads: set[int]) -> tuple[int, int]:
        """(read mask, written mask) of the step just generated: a map
        variable read or written only through constant places contributes
        the bits of those places; anything else its whole field."""
        slots = self.layout.slots
        rmask = 0
        for k in reads:
            sl = slots[k]
            part = None
            if sl.kind == "var" and k not in self._rwhole and k in self._rplaces:
                part = 0
                for keys in self._rplaces[k]:
                    m = self._place_mask(k, keys)
                    if m is None:
                        part = None
                        break
                    part |= m
            rmask |= (sl.mask << sl.off) if part is None else part
        wm = self._wm
        for k, places in self._wplaces.items():
            if k in self._wwhole:
                continue
            part = 0
            for keys in places:
                part |= self._place_mask(k, keys)
            sl = slots[k]
            wm = (wm & ~(sl.mask << sl.off)) | part
        return rmask, wm

    # -- if statements
    def _mergeable(self, st: ir.If) -> bool:
        def ok(stmts) -> bool:
            for s in stmts:
                if isinstance(s, ir.Assign) and walk.root_of(s.root) in self._multi:
                    return False  # its overlap check needs the updates of its own execution
                if isinstance(s, (ir.Assign, ir.Skip)):
                    continue
                if isinstance(s, ir.If) and ok(s.orelse) and all(ok(b) for _, b in s.branches):
                    continue
                return False
            return True

        return ok(st.orelse) and all(ok(b) for _, b in st.branches)

    def _assigned_roots(self, stmts, c: Ctx, acc: set) -> set:
        for s in stmts:
            if isinstance(s, ir.Assign):
                acc.add(self._root_slot(s.root, c))
            elif isinstance(s, ir.If):
                for _, b in s.branches:
                    self._assigned_roots(b, c, acc)
                self._assigned_roots(s.orelse, c, acc)
        return acc

    def gen_if_merge(self, st: ir.If, c: Ctx, ind: str, out: list[str]) -> None:
        """An if whose branches only assign: plain Python if/elif/else, then merge."""
        roots = sorted(self._assigned_roots([st], c, set()))
        before = {}
        for k in roots:
            before[k] = c.cur[k] if k in c.cur else self.read_slot(c, k).src
        conds = []
        for cond_e, body in st.branches:
            cond = self.ex(cond_e, c)
            conds.append((cond, body))
            if cond.const and cond.value:
                break
        self.decode_lines(c, ind, out)
        merged = {k: self.uniq(f"_m{k}_") for k in roots}
        live = [(cd, b) for cd, b in conds if not (cd.const and not cd.value)]
        branches: list[tuple[str | None, tuple]] = []
        for cd, b in live:
            if cd.const:  # always true: the else of what precedes
                branches.append((None, b))
                break
            branches.append((cd.src, b))
        else:
            branches.append((None, st.orelse))
        if len(branches) == 1 and branches[0][0] is None:
            self._straight(branches[0][1], c, ind, out)
            return
        for n, (cond_src, body) in enumerate(branches):
            head = "else:" if cond_src is None else f"{'if' if n == 0 else 'elif'} {cond_src}:"
            out.append(ind + head)
            n0 = len(out)
            c2 = c.copy()
            self._straight(body, c2, ind + "    ", out)
            for k in roots:
                out.append(f"{ind}    {merged[k]} = {c2.cur.get(k, before[k])}")
            if len(out) == n0:
                out.append(f"{ind}    pass")
        for k in roots:
            c.cur[k] = merged[k]

    def _straight(self, stmts, c: Ctx, ind: str, out: list[str]) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign):
                self.gen_assign(s, c, ind, out)
            elif isinstance(s, ir.If):
                self.gen_if_merge(s, c, ind, out)

    def gen_if_split(self, st: ir.If, nxt: tuple, c: Ctx, ind: str, out: list[str]) -> None:
        """An if with awaits/gotos/either/any inside: the rest of the body is
        repeated in each branch."""
        conds = []
        for cond_e, body in st.branches:
            cond = self.ex(cond_e, c)
            if cond.const and not cond.value:
                continue
            conds.append((cond, body))
            if cond.const:
                break
        else:
            conds.append((None, st.orelse))
        self.decode_lines(c, ind, out)
        if conds and (conds[0][0] is None or conds[0][0].const):
            self.gen_stmts(conds[0][1], 0, nxt, c, ind, out)
            return
        for n, (cond, body) in enumerate(conds):
            if cond is None or cond.const:
                out.append(f"{ind}else:")
            else:
                out.append(f"{ind}{'if' if n == 0 else 'elif'} {cond.src}:")
            n0 = len(out)
            self.gen_stmts(body, 0, nxt, c.copy(), ind + "    ", out)
            if len(out) == n0:
                out.append(f"{ind}    pass")

    # -- the end of an execution: one successor
    def gen_emit(self, control: ir.Control, c: Ctx, ind: str, out: list[str]) -> None:
        if isinstance(control, ir.Loop):
            cpost = c.copy()
            cpost.post = True
            cond = self.ex(control.cond, cpost)
            if cond.const:
                self.gen_emit(control.enter if cond.value else control.exit, c, ind, out)
                return
            self.decode_lines(c, ind, out)
            out.append(f"{ind}if {cond.src}:")
            self.gen_emit(control.enter, c.copy(), ind + "    ", out)
            out.append(f"{ind}else:")
            self.gen_emit(control.exit, c.copy(), ind + "    ", out)
            return
        self.decode_lines(c, ind, out)
        pk = self.pc_slot[(c.proc.name, c.pos)]
        psl = self.layout.slots[pk]
        code = psl.codec.enc(control.label)
        wmask = psl.mask << psl.off
        bits = code << psl.off
        self._wm |= wmask
        parts = []
        unsafe = False  # an encoding may fail (value not representable): TypeError -> slow path
        slow = False
        writes = []
        for k, name in sorted(c.cur.items()):
            sl = self.layout.slots[k]
            writes.append((k, name))
            wmask |= sl.mask << sl.off
            self._wm |= sl.mask << sl.off
            if name in self.consts_src:
                f = sl.encode_field(self.consts_src[name])
                if f is None:
                    slow = True
                else:
                    bits |= f << sl.off
                continue
            placed = self._place_writes(k, name)
            if placed is not None:
                # only the places this path wrote are encoded and spliced in
                pmask, psrcs = placed
                wmask = (wmask & ~(sl.mask << sl.off)) | pmask
                parts.extend(psrcs)
                unsafe = True  # a place's value may not be representable: slow path
                continue
            enc = f"_E{k}[{name}]" if sl.enc_is_memo else f"_F{k}({name})"
            parts.append(f"({enc} << {sl.off})" if sl.off else enc)
            if sl.escapable:
                unsafe = True
        fast = f"(s & {~wmask})"
        for src in parts:
            fast += f" | {src}"
        if bits:
            fast += f" | {bits}"
        wsrc = "(" + "".join(f"({k}, {n}), " for k, n in writes) + ")"
        slow_src = f"_slow(s, {wsrc}, {pk}, {code})"
        mode = self._mode
        if mode == "fast":
            wrap = "{}"
        elif mode == "lab":
            wrap = f"({self._aid_cur}, {{}})"
        else:
            params = "(" + "".join(f"({n!r}, {v}), " for n, v in c.params) + ")"
            wrap = f"({self._aid_cur}, {params}, {{}})"
        if slow or self._esc_emit:
            out.append(f"{ind}_ap({wrap.format(slow_src)})")
            return
        if mode == "full" and self.layout.escapable:
            out.append(f"{ind}if s >> {self.layout.bits}:")
            out.append(f"{ind}    _ap({wrap.format(slow_src)})")
            out.append(f"{ind}else:")
            ind += "    "
        if unsafe:
            out.append(f"{ind}try:")
            out.append(f"{ind}    _t = {fast}")
            out.append(f"{ind}except (TypeError, KeyError):")
            out.append(f"{ind}    _t = {slow_src}")
            out.append(f"{ind}_ap({wrap.format('_t')})")
        else:
            out.append(f"{ind}_ap({wrap.format(fast)})")

    # ------------------------------------------------------------ initial states
    def initial_rows(self) -> list[list]:
        """Every combination of initial values: per row, one value per slot
        (pc slots: None), rows in lexicographic order of the slots' values.

        Slots are initialised in order (the variables in declaration order,
        then each instance's locals): an initial value may read the slots
        before it (docs/semantics.md), so it is evaluated once per
        combination of those when it reads any."""
        rows: list[list] = [[None] * len(self.layout.slots)]
        items = [(self.var_slot[v.name], v, Ctx()) for v in self.spec.vars]
        for p in self.spec.processes:
            for pos, val in enumerate(self.inst[p.name]):
                c = Ctx()
                c.proc, c.pos, c.self_val = p, pos, (val if p.index else _NOVAL)
                items += [(self.local_slot[(p.name, lv.name, pos)], lv, c) for lv in p.locals]
        for k, v, c in items:
            fn = self._init_function(k, v, c)
            if fn is None:
                vals = self._init_choices(v, self.eval_const(v.init, c))
                rows = [row[:k] + [x] + row[k + 1:] for row in rows for x in vals]
                continue
            out = []
            for row in rows:
                known = {i: x for i, x in enumerate(row[:k]) if self.layout.slots[i].kind != "pc"}
                for x in self._init_choices(v, fn(self.layout.pack_known(known))):
                    out.append(row[:k] + [x] + row[k + 1:])
            rows = out
        return rows

    def _init_function(self, k: int, v: ir.Var, c: Ctx):
        """A compiled function of the (partial) state computing ``v``'s
        initial value, or None when the value reads no state."""
        c = c.copy()
        c.need = set()
        dyn, self._dyn = self._dyn, False
        try:
            p = self.ex(v.init, c)
            reads = bool(c.need) or self._dyn
        finally:
            self._dyn = dyn
        if p.const or not reads:
            return None
        fc = Ctx("s", True)
        fc.proc, fc.pos, fc.self_val = c.proc, c.pos, c.self_val
        name = self.function(f"_init_{k}", "s", v.init, fc)
        self._exec_new("init")
        return self.ns[name]

    def _init_choices(self, v: ir.Var, val: Any) -> list:
        vals = [val] if v.init_kind == "eq" else sorted(val, key=sort_key)
        d = self.range_desc(v.type)
        if d is not None:
            for x in vals:
                bad = rt.outside_range(x, d)
                if bad is not rt.NOCHOICE:
                    raise CompileError(f"{v.init.span}: the initial value of '{v.name}' is outside its "
                                       f"declared type: {rt.fmt(bad)}")
        return vals

    def gen_start(self, p: ir.Process, pos: int) -> str | None:
        """``_start_<p>_<pos>(s) -> pc code`` when the start is a loop head."""
        if isinstance(p.start, ir.Jump):
            return None
        name = f"_start_{p.name}_{pos}"
        c = Ctx()
        c.proc, c.pos, c.self_val = p, pos, (self.inst[p.name][pos] if p.index else _NOVAL)
        c.need = set()
        sl = self.layout.slots[self.pc_slot[(p.name, pos)]]

        def resolve(ctl: ir.Control) -> str:
            if isinstance(ctl, ir.Jump):
                return str(sl.codec.enc(ctl.label))
            cond = self.ex(ctl.cond, c)
            return f"({resolve(ctl.enter)} if {cond.src} else {resolve(ctl.exit)})"

        expr = resolve(p.start)
        lines = [f"def {name}(s):"]
        self.decode_lines(c, "    ", lines)
        lines.append(f"    return {expr}")
        self.lines.extend(lines + [""])
        return name

    # ------------------------------------------------------------ the module
    def compile_module(self) -> dict[str, Any]:
        """The core of the model: ``_next_fast``, the fast property
        functions and the start functions.  The labelled and checked
        variants are generated on demand (:meth:`compile_extra`)."""
        self.gen_next("fast", False)
        if self.layout.escapable:
            self.gen_next("fast", True)
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
        self._extra_done: set[str] = set()
        return self.ns

    def _exec_new(self, what: str) -> None:
        """Compile and run the lines generated since the last call."""
        start = getattr(self, "_exec_mark", 0)
        src = "\n".join(self.lines[start:]) + "\n"
        self._exec_mark = len(self.lines)
        self.source = "\n".join(self.lines) + "\n"
        code = compile(src, f"<pyspec model {self.spec.name}.{self.model.name} {what}>", "exec")
        exec(code, self.ns)  # generated source, never spec text

    def compile_extra(self, what: str) -> None:
        """``lab``: ``_next_lab``; ``full``: ``_next_full`` and the checked
        property functions (traces, error positions); ``inst``: one
        ``_next_full_i<n>`` per process instance (in :attr:`full_blocks`
        order), the successors by that instance's steps alone."""
        if what in self._extra_done:
            return
        self._extra_done.add(what)
        if what == "lab":
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
        src = "\n".join(lines) + "\n"
        exec(compile(src, f"<pyspec invariants {name}>", "exec"), self.ns)  # generated source
        return self.ns[name]

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


def _is_literal(src: str) -> bool:
    try:
        import ast

        ast.literal_eval(src)
        return True
    except Exception:  # noqa: BLE001
        return False
