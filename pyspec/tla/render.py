"""IR -> TLA+ text: expressions, statements (step bodies) and declarations.

The renderer works on the checked IR only.  It produces the pieces the
templates assemble into modules (see ``templates/``) and records, for every
TLA+ name and operator, what it stands for in the spec (:mod:`.sourcemap`).

Names: :class:`.names.TlaNames` gives every declaration and every generated
operator its TLA+ name (spec names as they are unless TLA+ cannot use them;
generated names give way to spec names); model values are
``<Sort>__<name>``, model definitions end in ``_`` (spec names never
contain ``__`` nor end in ``_``).  Bound names that would clash in TLA+
(which forbids shadowing) get a fresh suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import names as naming
from ..ir import nodes as ir
from ..ir import walk
from ..ir.walk import iter_exprs
from ..ir.walk import target_text as _target_text
from .names import IDENT, TlaNames, fresh
from .sourcemap import NONE_MV, ActionInfo, SourceMap, VarInfo

#: The constant standing for ``none`` (unless the spec declares this name itself).
NONE_NAME = "NoneValue"
#: Modules the generated module extends, and every module TLC loads with them.
EXTENDS = ("Integers", "Sequences", "FiniteSets", "TLC")
STANDARD_MODULES = naming.TLA_MODULES


class ExportError(Exception):
    """The spec cannot be expressed in TLA+ (a name or a construct)."""


def mv_name(sort: str, name: str) -> str:
    """The TLA+ model value of ``Sort.name``."""
    return f"{sort}__{name}"


def sort_values_name(sort: str) -> str:
    """The constant holding every model value of a sort in a model (for TypeOK)."""
    return f"{sort}_values_"


def const_def_name(const: str) -> str:
    """The MC definition a constant is bound to with ``<-``."""
    return f"const_{const}_"


def def_override_name(name: str) -> str:
    """The MC definition a model's replacement of def ``name`` is bound to with ``<-``."""
    return f"def_{name}_"


def tla_string(s: str) -> str:
    out = []
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\f":
            out.append("\\f")
        elif not (" " <= ch <= "~"):
            raise ExportError(f"string {s!r}: TLA+ strings hold printable ASCII characters only")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# --------------------------------------------------------------------------
# Helper operators (emitted only when used, in this order)
# --------------------------------------------------------------------------

HELPERS: dict[str, tuple[tuple[str, ...], str]] = {
    # name: (helpers it uses, definition)
    "Div_": ((), 'Div_(a, b) == IF b > 0 THEN a \\div b ELSE Assert(FALSE, "// with a right operand <= 0")'),
    "Pow_": ((), 'Pow_(a, b) == IF b = 0 THEN 1 ELSE IF b > 0 THEN a ^ b ELSE Assert(FALSE, "** with a negative exponent")'),
    "Abs_": ((), "Abs_(a) == IF a < 0 THEN -a ELSE a"),
    "MinOf": ((), "MinOf(S) == CHOOSE x \\in S : \\A y \\in S : x <= y"),
    "MaxOf": ((), "MaxOf(S) == CHOOSE x \\in S : \\A y \\in S : x >= y"),
    "BitNot": ((), "BitNot(a) == -a - 1"),
    "SeqsUpTo": ((), "SeqsUpTo(S, n) == UNION {[1..k -> S] : k \\in 0..n}"),
    "Pow2": ((), "Pow2(n) == 2 ^ n"),
    "ElemsOf": ((), "ElemsOf(s) == {s[i] : i \\in DOMAIN s}"),
    "SliceOf": ((), 'SliceOf(s, lo, hi) == IF lo < 0 \\/ hi < 0 THEN Assert(FALSE, "negative slice bound") '
                    "ELSE SubSeq(s, lo + 1, IF hi < Len(s) THEN hi ELSE Len(s))"),
    "SeqOfRange": ((), "SeqOfRange(lo, hi) == [i \\in 1..(hi - lo + 1) |-> lo + i - 1]"),
    "BitAnd": ((), "RECURSIVE BitAnd(_, _)\n"
                   "BitAnd(a, b) ==\n"
                   "    IF a = 0 \\/ b = 0 THEN 0\n"
                   "    ELSE IF a = -1 THEN b\n"
                   "    ELSE IF b = -1 THEN a\n"
                   "    ELSE 2 * BitAnd(a \\div 2, b \\div 2) + (a % 2) * (b % 2)"),
    "BitOr": ((), "RECURSIVE BitOr(_, _)\n"
                  "BitOr(a, b) ==\n"
                  "    IF a = -1 \\/ b = -1 THEN -1\n"
                  "    ELSE IF a = 0 THEN b\n"
                  "    ELSE IF b = 0 THEN a\n"
                  "    ELSE 2 * BitOr(a \\div 2, b \\div 2) + (IF a % 2 = 1 \\/ b % 2 = 1 THEN 1 ELSE 0)"),
    "BitXor": (("BitNot",), "RECURSIVE BitXor(_, _)\n"
                            "BitXor(a, b) ==\n"
                            "    IF a = 0 THEN b\n"
                            "    ELSE IF b = 0 THEN a\n"
                            "    ELSE IF a = -1 THEN BitNot(b)\n"
                            "    ELSE IF b = -1 THEN BitNot(a)\n"
                            "    ELSE 2 * BitXor(a \\div 2, b \\div 2) + (((a % 2) + (b % 2)) % 2)"),
    "ShiftLeft": (("Pow2",), 'ShiftLeft(a, n) == IF n < 0 THEN Assert(FALSE, "negative shift count") ELSE a * Pow2(n)'),
    "ShiftRight": (("Pow2",), 'ShiftRight(a, n) == IF n < 0 THEN Assert(FALSE, "negative shift count") ELSE a \\div Pow2(n)'),
}


#: A helper's text as strings and identifiers (to rename its names).
_HELPER_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*')


# --------------------------------------------------------------------------
# Walking the IR
# --------------------------------------------------------------------------


def iter_types(t: ir.Type):
    yield t
    if isinstance(t, (ir.SetType, ir.SeqType)):
        yield from iter_types(t.elem)
    elif isinstance(t, ir.MapType):
        yield from iter_types(t.key)
        yield from iter_types(t.value)
    elif isinstance(t, ir.TupleType):
        for x in t.elems:
            yield from iter_types(x)
    elif isinstance(t, ir.RecordType):
        for _, x in t.fields:
            yield from iter_types(x)
    elif isinstance(t, ir.OptionalType):
        yield from iter_types(t.inner)
    elif isinstance(t, ir.VariantType):  # the fields of its cases (TypeOK reads S_values_ for them)
        for _, fields in t.cases:
            for _, x in fields:
                yield from iter_types(x)


def strip(t: ir.Type) -> ir.Type:
    return t.inner if isinstance(t, ir.OptionalType) else t


def _is_place(e: ir.Expr, s: ir.Assign) -> bool:
    """Does ``e`` read the place that ``s`` assigns (its root, same fields,
    same keys)?"""
    for el in reversed(s.path):
        if isinstance(el, ir.Field):
            if not (isinstance(e, ir.Field) and e.name == el.name):
                return False
        elif not (isinstance(e, ir.Index) and e.key == el.key):
            return False
        e = e.base
    r = s.root
    if isinstance(r, ir.VarRef):
        return isinstance(e, ir.VarRef) and e.name == r.name
    return isinstance(e, ir.LocalRef) and e.process == r.process and e.name == r.name and e.index is None


def contains_goto(stmt: ir.Stmt) -> bool:
    if isinstance(stmt, ir.Goto):
        return True
    if isinstance(stmt, ir.If):
        return any(contains_goto(s) for _, b in stmt.branches for s in b) or \
            any(contains_goto(s) for s in stmt.orelse)
    if isinstance(stmt, ir.Either):
        return any(contains_goto(s) for b in stmt.branches for s in b)
    if isinstance(stmt, (ir.AnyStmt, ir.Let)):
        return any(contains_goto(s) for s in stmt.body)
    return False


# --------------------------------------------------------------------------
# Formulas of a step body and their layout as TLA+ bullet lists
# --------------------------------------------------------------------------


@dataclass
class Atom:
    text: str
    src: str | None = None


@dataclass
class Conj:
    items: list


@dataclass
class Disj:
    items: list


@dataclass
class IfF:
    cond: str
    then: object
    orelse: object
    src: str | None = None


@dataclass
class LetF:
    """``LET name == value IN body`` (a ``let`` statement and what follows it)."""

    name: str
    value: str
    body: object
    src: str | None = None


@dataclass
class Exists:
    binder: str  # "x \in S"
    body: object
    src: str | None = None


def _flat(f, cls) -> list:
    out = []
    for it in f.items:
        if isinstance(it, cls):
            out.extend(_flat(it, cls))
        else:
            out.append(it)
    return out


def layout(f, col: int) -> list[tuple[str, str | None]]:
    """Lines of formula ``f`` placed at column ``col``: the first line without
    indentation (the caller places it), later lines indented absolutely."""
    if isinstance(f, Atom):
        return [(f.text, f.src)]
    if isinstance(f, (Conj, Disj)):
        items = _flat(f, type(f))
        if not items:
            return [("TRUE", None)]
        if len(items) == 1:
            return layout(items[0], col)
        bullet = "/\\ " if isinstance(f, Conj) else "\\/ "
        out = []
        for i, it in enumerate(items):
            sub = layout(it, col + 3)
            text, src = sub[0]
            out.append(((" " * col if i else "") + bullet + text, src))
            out.extend(sub[1:])
        return out
    if isinstance(f, IfF):
        out = [("IF " + f.cond, f.src)]
        for word, part in (("THEN ", f.then), ("ELSE ", f.orelse)):
            sub = layout(part, col + 8)
            out.append((" " * (col + 3) + word + sub[0][0], sub[0][1]))
            out.extend(sub[1:])
        return out
    if isinstance(f, LetF):
        sub = layout(f.body, col + 3)
        out = [(f"LET {f.name} == {f.value} IN", f.src), (" " * (col + 3) + sub[0][0], sub[0][1])]
        out.extend(sub[1:])
        return out
    if isinstance(f, Exists):
        sub = layout(f.body, col + 3)
        out = [(f"\\E {f.binder} :", f.src), (" " * (col + 3) + sub[0][0], sub[0][1])]
        out.extend(sub[1:])
        return out
    raise TypeError(f)


# --------------------------------------------------------------------------
# Rendering context
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """An update of a variable that the step updates again later: the
    updates of one variable become one ``EXCEPT`` with several paths,
    written after the last of them (docs/tla.md)."""

    assign: ir.Assign
    selector: str  # the EXCEPT path: "[q][p]", "[self].a"
    keys: tuple  # per element of assign.path: its key in TLA+ (None for a field)
    value: str


@dataclass(frozen=True)
class Ctx:
    bound: dict = field(default_factory=dict)  # spec bound name -> TLA+ name
    taken: frozenset = frozenset()  # TLA+ names a new binder may not use
    process: ir.Process | None = None  # the process whose step (or local init) this is
    assigned: frozenset = frozenset()  # TLA+ variables whose reads are primed
    pending: tuple = ()  # (TLA+ variable, its Pending updates) not written yet
    at: ir.Assign | None = None  # an update whose value reads its own place as '@'
    unchanged: frozenset = frozenset()  # ids of references to a place no pending update touched

    def bind(self, name: str) -> tuple[Ctx, str]:
        tla = fresh(name, self.taken)
        return replace(self, bound={**self.bound, name: tla}, taken=self.taken | {tla}), tla

    def with_assigned(self, assigned) -> Ctx:
        return replace(self, assigned=frozenset(assigned))

    def updates(self, var: str) -> tuple:
        for v, ups in self.pending:
            if v == var:
                return ups
        return ()


@dataclass
class Block:
    """A rendered definition: its text and the spec position of its lines."""

    name: str
    text: str
    comment: str = ""  # "file:line" the definition comes from
    doc: str = ""
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line within text, "file:line")


# --------------------------------------------------------------------------
# The renderer
# --------------------------------------------------------------------------


class Renderer:
    """Renders one spec; create one per spec (it accumulates helper usage)."""

    def __init__(self, spec: ir.Spec, root: str | None = None):
        self.spec = spec
        self.root = Path(root or ".").resolve()
        self._paths: dict[str, str] = {}
        self.procs = {p.name: p for p in spec.processes}
        self._multi: frozenset = frozenset()  # roots the step being rendered may update twice
        self.defs = {d.name: d for d in spec.defs}
        self.helpers: set[str] = set()
        self._check_names()
        self.names = TlaNames(spec, HELPERS)
        self.none = self.names.gen["NoneValue"]
        self.state_vars: list[VarInfo] = self._state_vars()
        self.all_vars = [v.tla for v in self.state_vars]
        self.pc_vars = frozenset(v.tla for v in self.state_vars if v.kind == "pc")
        self.model_values = self._spec_model_values()
        self.uses_none = self._uses_none()
        self.sorts_in_types = self._sorts_in_types()
        # refinement property -> the renderer of its abstract spec, whose
        # model values, none and sorts this module declares too (refinement.py)
        self.abstracts: dict[str, Renderer] = {}
        if any(p.refinement is not None for p in spec.properties):
            from .refinement import absorb

            absorb(self)
        self.globals = self._globals()
        self.def_calls = walk.def_calls(spec)
        self.def_reads = walk.def_reads(spec)
        self.recursive = walk.recursive_defs(spec)

    # ------------------------------------------------------------ names
    def src(self, span) -> str:
        """``file:line`` of a span, the file relative to the root when under it."""
        key = span.file
        rel = self._paths.get(key)
        if rel is None:
            p = Path(span.file).resolve()
            try:
                rel = p.relative_to(self.root).as_posix()
            except ValueError:
                rel = p.as_posix()
            self._paths[key] = rel
        return f"{rel}:{span.line}"

    def _check_ident(self, name: str, what: str) -> None:
        what = what if "'" in what else f"{what} '{name}'"
        if not IDENT.match(name):
            raise ExportError(f"{what} is not a TLA+ identifier")
        if name in naming.TLA_RESERVED:
            raise ExportError(f"{what} is a TLA+ reserved word")
        if name.startswith(("WF_", "SF_")):
            raise ExportError(f"{what} starts like TLA+'s fairness operators WF_/SF_")

    def _check_names(self) -> None:
        """What TLA+ cannot express however names are allocated (a spec named
        like a standard module, a record field that is a reserved word)."""
        s = self.spec
        if s.name in STANDARD_MODULES:
            raise ExportError(f"spec name '{s.name}' is the name of a TLA+ standard module")
        self._check_ident(s.name, "spec name")
        decl_types = [v.type for v in s.vars] + [c.type for c in s.consts] + \
            [lv.type for p in s.processes for lv in p.locals] + [d.result for d in s.defs]
        for dt in decl_types:
            for t in iter_types(dt):
                if isinstance(t, ir.RecordType):
                    for n, _ in t.fields:
                        self._check_ident(n, "record field")
        for e in iter_exprs((s.vars, s.consts, s.defs, s.processes, s.properties, s.models)):
            if isinstance(e, (ir.Field, ir.RecordUpdate, ir.RecordLit, ir.RecordSet)):
                names = [e.name] if isinstance(e, ir.Field) else [n for n, _ in (e.updates if isinstance(
                    e, ir.RecordUpdate) else e.fields)]
                for n in names:
                    self._check_ident(n, "record field")

    def tla(self, name: str) -> str:
        """The TLA+ name of a spec declaration (constant, variable, def, process, property)."""
        return self.names.user[name]

    def gen(self, name: str) -> str:
        """The TLA+ name of a generated operator (``Init``, ``vars``, ``TypeOK``, a helper, ...)."""
        return self.names.gen[name]

    def check_name(self, name: str) -> str:
        """The TLA+ name of something a cfg checks: a property of the spec,
        or the generated ``TypeOK`` (when the spec has no property of that name)."""
        if name in self.names.user and any(p.name == name for p in self.spec.properties):
            return self.names.user[name]
        if name == "TypeOK":
            return self.gen("TypeOK")
        raise ExportError(f"spec {self.spec.name} has no property '{name}'")

    def step_op(self, process: str, label: str) -> str:
        """The action operator of a step."""
        return self.names.step[(process, label)]

    def _state_vars(self) -> list[VarInfo]:
        n = self.names
        out = [VarInfo(n.user[v.name], v.name, "var", v.type) for v in self.spec.vars]
        for p in self.spec.processes:
            it = self.index_type(p)
            for lv in p.locals:
                out.append(VarInfo(n.local[(p.name, lv.name)], f"{p.name}.{lv.name}", "local", lv.type, p.name, it))
        for p in self.spec.processes:
            if p.is_action:  # an action's program counter never changes: not exported
                continue
            out.append(VarInfo(n.pc[p.name], f"{p.name}.pc", "pc",
                               ir.LabelType(p.name, p.labels), p.name, self.index_type(p)))
        return out

    def index_type(self, p: ir.Process) -> ir.Type | None:
        if p.index is None:
            return None
        t = p.index_set.type
        return t.elem if isinstance(t, ir.SetType) else ir.ANY

    def _spec_model_values(self) -> dict[str, tuple[str, str]]:
        s = self.spec
        found = {}
        for e in iter_exprs((s.vars, s.consts, s.defs, s.processes, s.properties)):
            if isinstance(e, ir.SortValue):
                found[mv_name(e.sort, e.name)] = (e.sort, e.name)
        return dict(sorted(found.items()))

    def _uses_none(self) -> bool:
        s = self.spec
        if any(isinstance(e, ir.NoneLit) for e in iter_exprs((s.vars, s.consts, s.defs, s.processes,
                                                                 s.properties, s.models))):
            return True
        decl_types = [v.type for v in s.vars] + [c.type for c in s.consts] + \
            [lv.type for p in s.processes for lv in p.locals]
        return any(isinstance(t, ir.OptionalType) for dt in decl_types for t in iter_types(dt))

    def _sorts_in_types(self) -> list[str]:
        found = []
        for v in self.state_vars:
            for t in iter_types(v.full_type):
                if isinstance(t, ir.SortType) and t.name not in found:
                    found.append(t.name)
        return [s.name for s in self.spec.sorts if s.name in found]

    def _globals(self) -> frozenset:
        s = self.spec
        # the canonical generated names too, taken or not: bound names stay
        # the same whatever the spec declares
        g = set(naming.TLA_RESERVED) | set(naming.TLA_STANDARD) | set(naming.TLA_GENERATED)
        g |= {"self", NONE_NAME, s.name} | set(HELPERS) | set(self.model_values) | self.names.taken
        g |= {c.name for c in s.consts} | {d.name for d in s.defs} | {p.name for p in s.properties}
        g |= {p.name for p in s.processes}
        g |= {sort_values_name(x.name) for x in s.sorts} | {const_def_name(c.name) for c in s.consts}
        return frozenset(g)

    def ctx(self, process: ir.Process | None = None) -> Ctx:
        taken = self.globals
        if process is not None and process.is_action:  # its operator's parameters
            taken = taken | set(process.params)
        return Ctx({}, taken, process)

    # ------------------------------------------------------------ defs
    def def_order(self) -> list[ir.Def]:
        """Defs so that each comes after the (non-recursive) defs it calls."""
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str) -> None:
            if state.get(n):
                return
            state[n] = 1
            for m in sorted(self.def_calls.get(n, ()), key=list(self.defs).index):
                if m not in self.recursive or n not in self.recursive:
                    visit(m)
            order.append(n)

        for d in self.spec.defs:
            visit(d.name)
        return [self.defs[n] for n in order]

    def render_def(self, d: ir.Def, name: str | None = None) -> Block:
        """``Name(params) == body``; ``name``: another operator name (a model's replacement)."""
        c = self.ctx()
        params = []
        for p in d.params:
            c, tla = c.bind(p.name)
            params.append(tla)
        op = name or self.tla(d.name)
        head = f"{op}({', '.join(params)})" if params else op
        return Block(d.name, f"{head} == {self.expr(d.body, c)}", self.src(d.span))

    def recursive_decls(self) -> list[str]:
        """RECURSIVE declarations, all before the defs so that any order works."""
        return [f"RECURSIVE {self.tla(d.name)}({', '.join('_' for _ in d.params)})"
                for d in self.spec.defs if d.name in self.recursive and d.params]

    # ------------------------------------------------------------ expressions
    def expr(self, e: ir.Expr, c: Ctx) -> str:
        return self._x(e, c)[0]

    #: Operators that bind more loosely than ``=`` (or as loosely): an operand
    #: of ``x' = ...`` or ``![k] = ...`` built with one needs parentheses.
    LOOSE = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "subseteq", "subset",
                       "and", "or", "implies"})

    def rhs(self, e: ir.Expr, c: Ctx) -> str:
        """``e`` as the right side of ``=``: parenthesised when its top
        operator is a comparison or a connective (``flag' = (a = b)``)."""
        text = self.expr(e, c)
        if (isinstance(e, ir.Binary) and e.op in self.LOOSE) or (isinstance(e, ir.Unary) and e.op == "not") \
                or isinstance(e, ir.IsCase):  # m.tag = "Case"
            return f"({text})"
        return text

    def _p(self, e: ir.Expr, c: Ctx) -> str:
        text, atomic = self._x(e, c)
        return text if atomic else f"({text})"

    def _x(self, e: ir.Expr, c: Ctx) -> tuple[str, bool]:
        if c.at is not None and _is_place(e, c.at):
            return "@", True
        if c.pending and isinstance(e, (ir.Index, ir.Field)):
            c = self._unchanged_place(e, c)
        m = getattr(self, "_e_" + type(e).__name__, None)
        if m is None:
            raise ExportError(f"{self.src(e.span)}: cannot export {type(e).__name__} to TLA+")
        return m(e, c)

    def _use(self, helper: str) -> str:
        todo = [helper]
        while todo:
            h = todo.pop()
            if h not in self.helpers:
                self.helpers.add(h)
                todo.extend(HELPERS[h][0])
        return self.gen(helper)

    def helper_texts(self) -> list[str]:
        """The definitions of the helpers used, in HELPERS order, with their
        allocated names; their parameters and bound names (one letter each)
        renamed when the spec declares them (TLA+ forbids shadowing)."""
        return [self._helper_text(text) for name, (_, text) in HELPERS.items() if name in self.helpers]

    def _helper_text(self, text: str) -> str:
        local: dict[str, str] = {}

        def sub(m: re.Match) -> str:
            w = m.group(0)
            if w in HELPERS:
                return self.gen(w)
            if len(w) == 1 and w.isalpha():
                if w not in local:
                    local[w] = fresh(w, self.globals | set(local.values()))
                return local[w]
            return w  # a string, a keyword, a standard operator

        return _HELPER_TOKEN.sub(sub, text)

    def _e_Lit(self, e: ir.Lit, c: Ctx):
        v = e.value
        if isinstance(v, bool):
            return ("TRUE" if v else "FALSE"), True
        if isinstance(v, int):
            return str(v), v >= 0
        return tla_string(v), True

    def _e_NoneLit(self, e, c):
        return self.none, True

    def _e_SortValue(self, e: ir.SortValue, c):
        return mv_name(e.sort, e.name), True

    def _e_EnumValue(self, e: ir.EnumValue, c):
        return tla_string(e.name), True

    def _e_ConstRef(self, e: ir.ConstRef, c):
        return self.tla(e.name), True

    def _unchanged_place(self, e: ir.Expr, c: Ctx) -> Ctx:
        """A read of a place of a variable with pending updates, none of
        which can touch it (a field or a literal key differs): it reads the
        variable as the step found it (``r.b`` after ``r.a = ...``)."""
        path = []
        root = e
        while isinstance(root, (ir.Index, ir.Field)):
            path.append(root)
            root = root.base
        if not isinstance(root, (ir.VarRef, ir.LocalRef)) or (isinstance(root, ir.LocalRef) and root.index is not None):
            return c
        ups = c.updates(self._root_var(root))
        if ups and all(walk.overlap_keys(u.assign.path, tuple(reversed(path))) is None for u in ups):
            return replace(c, unchanged=c.unchanged | {id(root)})
        return c

    def _var(self, tla: str, c: Ctx) -> str:
        ups = c.updates(tla)
        if ups:
            # updated earlier in the step, written later: the value so far
            return f"[{tla} EXCEPT {', '.join(f'!{u.selector} = {u.value}' for u in ups)}]"
        return tla + "'" if tla in c.assigned else tla

    def _e_VarRef(self, e: ir.VarRef, c: Ctx):
        tla = self.tla(e.name)
        return (tla if id(e) in c.unchanged else self._var(tla, c)), True

    def _instance(self, process: str, index: ir.Expr | None, c: Ctx) -> str | None:
        p = self.procs[process]
        if p.index is None:
            return None
        if index is None:
            if c.process is None or c.process.name != process:
                raise ExportError(f"process '{process}' read without an index outside its own steps")
            return "self"
        return self.expr(index, c)

    def _e_LocalRef(self, e: ir.LocalRef, c: Ctx):
        tla = self.names.local[(e.process, e.name)]
        v = tla if id(e) in c.unchanged else self._var(tla, c)
        i = self._instance(e.process, e.index, c)
        return (v if i is None else f"{v}[{i}]"), True

    def _e_PcRef(self, e: ir.PcRef, c: Ctx):
        v = self._var(self.names.pc[e.process], c)
        i = self._instance(e.process, e.index, c)
        return (v if i is None else f"{v}[{i}]"), True

    def _e_SelfRef(self, e, c):
        p = self.procs[e.process]
        if p.is_action:  # the action's operator takes its parameters by name
            return (p.params[0], True) if len(p.params) == 1 else ("<<" + ", ".join(p.params) + ">>", True)
        return "self", True

    def action_args(self, p: ir.Process) -> str:
        """``(p, q)`` after an action's operator name; ``(self)`` for an indexed process."""
        if p.is_action:
            return f"({', '.join(p.params)})" if p.params else ""
        return "(self)" if p.index is not None else ""

    def over_instances(self, p: ir.Process, quant: str, body: str, c: Ctx) -> str:
        """``body`` under ``\\E``/``\\A`` over the instances of ``p`` (none for a singleton)."""
        if p.index is None:
            return body
        if p.is_action and len(p.params) > 1:
            for b in reversed(p.index_set.binders):
                body = f"{quant} {b.name} \\in {self._p(b.domain, c)} : {body}"
            return body
        name = p.params[0] if p.is_action else "self"
        return f"{quant} {name} \\in {self._p(p.index_set, c)} : {body}"

    def _e_BoundRef(self, e: ir.BoundRef, c: Ctx):
        return c.bound.get(e.name, e.name), True

    def _e_DefCall(self, e: ir.DefCall, c: Ctx):
        # A def reads the state in which the step started, wherever it is
        # called (docs/semantics.md): its TLA+ operator reads unprimed
        # variables, so the call is never expanded with primes.
        args = [self.expr(a, c) for a in e.args]
        name = self.tla(e.name)
        return (f"{name}({', '.join(args)})" if args else name), True

    def _e_LetIn(self, e: ir.LetIn, c: Ctx):
        c2, name = c.bind(e.name)
        return f"LET {name} == {self.expr(e.value, c)} IN {self.expr(e.body, c2)}", False

    def _e_Unary(self, e: ir.Unary, c: Ctx):
        if e.op == "neg":
            return f"-{self._p(e.operand, c)}", False
        if e.op == "not":
            return f"~{self._p(e.operand, c)}", False
        if e.op == "bitnot":
            return f"{self._use('BitNot')}({self.expr(e.operand, c)})", True
        raise ExportError(f"unknown unary operator {e.op}")

    INFIX = {"add": "+", "sub": "-", "mul": "*", "mod": "%", "lt": "<", "le": "<=", "gt": ">",
             "ge": ">=", "union": "\\cup", "inter": "\\cap", "diff": "\\", "subseteq": "\\subseteq",
             "concat": "\\o", "implies": "=>", "eq": "=", "ne": "#", "in": "\\in", "not_in": "\\notin"}
    CALLS = {"bitand": "BitAnd", "bitor": "BitOr", "bitxor": "BitXor", "shl": "ShiftLeft",
             "shr": "ShiftRight"}

    def _e_Binary(self, e: ir.Binary, c: Ctx):
        op = e.op
        if op in ("and", "or"):
            parts = []

            def collect(x):
                if isinstance(x, ir.Binary) and x.op == op:
                    collect(x.left)
                    collect(x.right)
                else:
                    parts.append(self._p(x, c))

            collect(e)
            return (" /\\ " if op == "and" else " \\/ ").join(parts), False
        if op in self.CALLS:
            return f"{self._use(self.CALLS[op])}({self.expr(e.left, c)}, {self.expr(e.right, c)})", True
        if op == "floordiv":
            r = e.right
            if isinstance(r, ir.Lit) and not isinstance(r.value, bool) and isinstance(r.value, int) and r.value > 0:
                return f"{self._p(e.left, c)} \\div {self._p(r, c)}", False
            return f"{self._use('Div_')}({self.expr(e.left, c)}, {self.expr(r, c)})", True
        if op == "pow":
            r = e.right
            if isinstance(r, ir.Lit) and not isinstance(r.value, bool) and isinstance(r.value, int) and r.value > 0:
                return f"{self._p(e.left, c)} ^ {self._p(r, c)}", False
            return f"{self._use('Pow_')}({self.expr(e.left, c)}, {self.expr(r, c)})", True
        if op == "merge":
            return f"{self._p(e.right, c)} @@ {self._p(e.left, c)}", False
        if op == "subset":
            a, b = self._p(e.left, c), self._p(e.right, c)
            return f"{a} \\subseteq {b} /\\ {a} # {b}", False
        if op in self.INFIX:
            return f"{self._p(e.left, c)} {self.INFIX[op]} {self._p(e.right, c)}", False
        raise ExportError(f"{self.src(e.span)}: unknown operator {op}")

    def _e_IfExpr(self, e: ir.IfExpr, c: Ctx):
        return f"IF {self.expr(e.cond, c)} THEN {self.expr(e.then, c)} ELSE {self.expr(e.orelse, c)}", False

    def _e_SetLit(self, e: ir.SetLit, c: Ctx):
        return "{" + ", ".join(self.expr(x, c) for x in e.elems) + "}", True

    def _e_RangeSet(self, e: ir.RangeSet, c: Ctx):
        return f"{self._p(e.lo, c)}..{self._p(e.hi, c)}", False

    def _binder(self, b: ir.Binder, c: Ctx) -> tuple[Ctx, str]:
        dom = self._p(b.domain, c)
        c2, name = c.bind(b.name)
        return c2, f"{name} \\in {dom}"

    def _e_SetComp(self, e: ir.SetComp, c: Ctx):
        binders = list(e.binders)
        if len(binders) == 1 and e.cond is None:
            c2, b = self._binder(binders[0], c)
            return "{" + f"{self.expr(e.elem, c2)} : {b}" + "}", True
        if len(binders) == 1 and isinstance(e.elem, ir.BoundRef) and e.elem.name == binders[0].name:
            c2, b = self._binder(binders[0], c)
            return "{" + f"{b} : {self.expr(e.cond, c2)}" + "}", True

        def build(i: int, c: Ctx) -> str:
            b = binders[i]
            if i == len(binders) - 1:
                c2, bt = self._binder(b, c)
                if e.cond is not None:
                    c3, name = c.bind(b.name)
                    dom = "{" + f"{bt} : {self.expr(e.cond, c2)}" + "}"
                    return "{" + f"{self.expr(e.elem, c3)} : {name} \\in {dom}" + "}"
                return "{" + f"{self.expr(e.elem, c2)} : {bt}" + "}"
            c2, bt = self._binder(b, c)
            return "UNION {" + f"{build(i + 1, c2)} : {bt}" + "}"

        text = build(0, c)
        return text, not text.startswith("UNION")

    def _e_SeqComp(self, e: ir.SeqComp, c: Ctx):
        b = e.binder
        if isinstance(b.domain, ir.RangeSet):
            src = f"{self._use('SeqOfRange')}({self.expr(b.domain.lo, c)}, {self.expr(b.domain.hi, c)})"
        else:
            src = self.expr(b.domain, c)
        c2, x = c.bind(b.name)
        seq = f"SelectSeq({src}, LAMBDA {x} : {self.expr(e.cond, c2)})" if e.cond is not None else src
        if isinstance(e.elem, ir.BoundRef) and e.elem.name == b.name:
            return seq, e.cond is not None
        c3, t = c2.bind("s")
        c3, i = c3.bind("i")
        return (f"LET {t} == {seq} IN [{i} \\in 1..Len({t}) |-> LET {x} == {t}[{i}] IN "
                f"{self.expr(e.elem, c2)}]"), False

    def _e_MapComp(self, e: ir.MapComp, c: Ctx):
        c2, bt = self._binder(e.binder, c)
        if e.cond is not None:
            c3, name = c.bind(e.binder.name)
            dom = "{" + f"{bt} : {self.expr(e.cond, c2)}" + "}"
            return f"[{name} \\in {dom} |-> {self.expr(e.value, c3)}]", True
        return f"[{bt} |-> {self.expr(e.value, c2)}]", True

    def _e_MapLit(self, e: ir.MapLit, c: Ctx):
        if not e.entries:
            return "<<>>", True
        # `@@` prefers its left operand; the last entry of a literal wins
        parts = [f"{self._p(k, c)} :> {self._p(v, c)}" for k, v in reversed(e.entries)]
        return "(" + " @@ ".join(parts) + ")", True

    def _seq_key(self, key: ir.Expr, c: Ctx) -> str:
        if isinstance(key, ir.Lit) and isinstance(key.value, int) and not isinstance(key.value, bool):
            return str(key.value + 1)
        return f"{self._p(key, c)} + 1"

    def _e_Index(self, e: ir.Index, c: Ctx):
        if isinstance(e.base, ir.SelfRef) and self.procs[e.base.process].is_action and isinstance(e.key, ir.Lit):
            return self.procs[e.base.process].params[e.key.value], True  # one parameter of several
        base = self._p(e.base, c)
        bt = strip(e.base.type)
        if isinstance(bt, (ir.SeqType, ir.TupleType)):
            return f"{base}[{self._seq_key(e.key, c)}]", True
        return f"{base}[{self.expr(e.key, c)}]", True

    def _e_Field(self, e: ir.Field, c: Ctx):
        return f"{self._p(e.base, c)}.{e.name}", True

    def _e_RecordLit(self, e: ir.RecordLit, c: Ctx):
        return "[" + ", ".join(f"{n} |-> {self.expr(v, c)}" for n, v in e.fields) + "]", True

    def _e_RecordSet(self, e: ir.RecordSet, c: Ctx):
        return "[" + ", ".join(f"{n} : {self.expr(v, c)}" for n, v in e.fields) + "]", True

    def _e_VariantLit(self, e: ir.VariantLit, c: Ctx):
        fields = sorted([("tag", tla_string(e.tag))] + [(n, self.expr(v, c)) for n, v in e.fields])
        return "[" + ", ".join(f"{n} |-> {v}" for n, v in fields) + "]", True

    def _e_IsCase(self, e: ir.IsCase, c: Ctx):
        return f"{self._p(e.base, c)}.tag = {tla_string(e.tag)}", False

    def _e_RecordUpdate(self, e: ir.RecordUpdate, c: Ctx):
        cv = replace(c, at=None)  # '@' in its values would mean the place of this EXCEPT
        ups = ", ".join(f"!.{n} = {self.expr(v, cv)}" for n, v in e.updates)
        return f"[{self.expr(e.base, c)} EXCEPT {ups}]", True

    def _e_SeqLit(self, e: ir.SeqLit, c: Ctx):
        return "<<" + ", ".join(self.expr(x, c) for x in e.elems) + ">>", True

    _e_TupleLit = _e_SeqLit

    def _e_Quant(self, e: ir.Quant, c: Ctx):
        q = "\\A" if e.kind == "forall" else "\\E"
        heads = []
        for b in e.binders:
            c, bt = self._binder(b, c)
            heads.append(f"{q} {bt} : ")
        return "".join(heads) + self.expr(e.body, c), False

    def _e_Choose(self, e: ir.Choose, c: Ctx):
        c2, bt = self._binder(e.binder, c)
        return f"CHOOSE {bt} : {self.expr(e.cond, c2)}", False

    def _e_Builtin(self, e: ir.Builtin, c: Ctx):
        n, args = e.name, e.args
        if n == "len":
            t = strip(args[0].type)
            if isinstance(t, ir.SetType):
                return f"Cardinality({self.expr(args[0], c)})", True
            return f"Len({self.expr(args[0], c)})", True
        if n == "subsets":
            return f"SUBSET {self._p(args[0], c)}", False
        if n == "keys":
            return f"DOMAIN {self._p(args[0], c)}", False
        if n == "maps":
            return f"[{self.expr(args[0], c)} -> {self.expr(args[1], c)}]", True
        if n == "product":
            # n-ary, as TLA+'s \X is: A \X B \X C is a set of triples
            return "(" + " \\X ".join(self._p(a, c) for a in args) + ")", True
        if n == "seqs":
            return f"{self._use('SeqsUpTo')}({self.expr(args[0], c)}, {self.expr(args[1], c)})", True
        if n == "unions":
            return f"UNION {self._p(args[0], c)}", False
        if n in ("min", "max"):
            return f"{self._use('MinOf' if n == 'min' else 'MaxOf')}({self.expr(args[0], c)})", True
        if n == "abs":
            return f"{self._use('Abs_')}({self.expr(args[0], c)})", True
        if n == "append":
            return f"Append({self.expr(args[0], c)}, {self.expr(args[1], c)})", True
        if n == "head":
            return f"Head({self.expr(args[0], c)})", True
        if n == "tail":
            return f"Tail({self.expr(args[0], c)})", True
        if n == "slice":
            a, lo, hi = args
            if isinstance(lo, ir.Lit) and lo.value == 0 and isinstance(hi, ir.Builtin) and hi.name == "len" \
                    and hi.args[0] == a:
                return self.expr(a, c), False  # s[:]
            if isinstance(lo, ir.Lit) and isinstance(lo.value, int) and lo.value >= 0 \
                    and isinstance(hi, ir.Builtin) and hi.name == "len" and hi.args[0] == a:
                # s[k:] with a literal k: SubSeq is total there
                return f"SubSeq({self.expr(a, c)}, {lo.value + 1}, Len({self.expr(a, c)}))", True
            return f"{self._use('SliceOf')}({self.expr(a, c)}, {self.expr(lo, c)}, {self.expr(hi, c)})", True
        if n == "elems":
            return f"{self._use('ElemsOf')}({self.expr(args[0], c)})", True
        raise ExportError(f"{self.src(e.span)}: cannot export builtin '{n}' to TLA+")

    def _e_Next(self, e: ir.Next, c: Ctx):
        return f"({self.expr(e.operand, c)})'", True

    def _e_FairFormula(self, e: ir.FairFormula, c: Ctx):
        """``weak_fair(A(p) or B(p, _))``: ``WF_vars(A(p) \\/ (\\E q \\in T : B(p, q)))``."""
        kind = "WF" if e.kind == "weak" else "SF"
        body = " \\/ ".join(self.fair_part(part, c) for part in e.parts) if e.parts else self.gen("Next")
        return f"{kind}_{self.gen('vars')}({body})", True

    def _e_Temporal(self, e: ir.Temporal, c: Ctx):
        if e.op == "always":
            return f"[]{self._p(e.args[0], c)}", False
        if e.op == "eventually":
            return f"<>{self._p(e.args[0], c)}", False
        if e.op == "leads_to":
            return f"{self._p(e.args[0], c)} ~> {self._p(e.args[1], c)}", False
        raise ExportError(f"unknown temporal operator {e.op}")

    # ------------------------------------------------------------ steps
    def post_ctx(self, c: Ctx) -> Ctx:
        """Reads in the state after a step (a loop condition at the end of
        a step): every variable primed but the program counters."""
        return c.with_assigned(frozenset(self.all_vars) - self.pc_vars)

    def control(self, ctl: ir.Control, c: Ctx) -> str:
        if isinstance(ctl, ir.Jump):
            return tla_string(ctl.label)
        return f"IF {self.expr(ctl.cond, c)} THEN {self.control(ctl.enter, c)} ELSE {self.control(ctl.exit, c)}"

    def step_operator(self, step: ir.Step) -> Block:
        p = self.procs[step.process]
        c = self.ctx(p)
        self._multi = walk.multi_roots(step.body)
        name = self.step_op(p.name, step.label)
        items = []
        if not p.is_action:
            pc = self.names.pc[p.name]
            me = f"{pc}[self]" if p.index is not None else pc
            items.append(Atom(f"{me} = {tla_string(step.label)}", self.src(step.span)))
        items += self._stmts(list(step.body), c, step, finish=True)[0]
        if not items:
            items.append(Atom("TRUE", self.src(step.span)))
        head = name + self.action_args(p)
        lines = layout(Conj(items), 4)
        text = head + " ==\n" + "\n".join("    " + ln if i == 0 else ln for i, (ln, _) in enumerate(lines))
        srcs = [(i + 1, s) for i, (_, s) in enumerate(lines) if s]
        return Block(name, text, self.src(step.span), lines=[(0, self.src(step.span))] + srcs)

    def _finish(self, c: Ctx, step: ir.Step, target: ir.Control, src: str | None) -> list:
        p = self.procs[step.process]
        pc = self.names.pc.get(p.name)  # None for an action
        out = [self._written(var, ups) for var, ups in c.pending]
        c = replace(c, pending=())
        untouched = [v for v in self.all_vars if v not in c.assigned and v != pc]
        if untouched:
            out.append(Atom(f"UNCHANGED <<{', '.join(untouched)}>>"))
        if p.is_action:
            return out
        nxt = self.control(target, self.post_ctx(c))
        if p.index is not None:
            out.append(Atom(f"{pc}' = [{pc} EXCEPT ![self] = {nxt}]", src))
        else:
            out.append(Atom(f"{pc}' = {nxt}", src))
        return out

    def _stmts(self, stmts: list, c: Ctx, step: ir.Step, finish: bool) -> tuple[list, Ctx]:
        """Translate a statement list.  With ``finish`` every path ends with
        the step's UNCHANGED and pc update; otherwise the list is a branch of
        a compound statement whose paths join after it (returns the items
        and the context with the variables assigned on this branch)."""
        items: list = []
        for i, s in enumerate(stmts):
            src = self.src(s.span)
            if isinstance(s, ir.Skip):
                continue
            if isinstance(s, ir.Await):
                items.append(Atom(self.expr(s.cond, c), src))
            elif isinstance(s, ir.Assert):  # TLC stops with an error when it is false
                text = "assertion failed" + (f": {s.message}" if s.message else "")
                items.append(Atom(f"Assert({self.expr(s.cond, c)}, {tla_string(text)})", src))
            elif isinstance(s, ir.Assign) and walk.root_of(s.root) in self._multi:
                assert finish, "an update of a variable updated twice inside a joined branch"
                last = not walk.assigns(stmts[i + 1:], walk.root_of(s.root))
                atoms, c = self._update(s, c, last)
                items.extend(atoms)
            elif isinstance(s, ir.Assign):
                items.extend(self._assign(s, c))
                c = c.with_assigned(c.assigned | {self._root_var(s.root)})
            elif isinstance(s, ir.Goto):
                assert finish, "goto inside a joined branch"
                items.extend(self._finish(c, step, s.target, src))
                return items, c
            elif contains_goto(s) or any(walk.assigns([s], r) for r in self._multi):
                # (a variable updated twice: its updates are written
                # together, so the rest of the step follows in each branch)
                # a branch may end the step: the rest of the body follows
                # inside each branch that does not
                rest = stmts[i + 1:]
                items.append(self._compound(s, c, step, rest))
                return items, c
            else:
                f, c = self._joined(s, c, step)
                items.append(f)
        if finish:
            items.extend(self._finish(c, step, step.fallthrough, None))
        return items, c

    def _compound(self, s: ir.Stmt, c: Ctx, step: ir.Step, rest: list):
        src = self.src(s.span)

        def branch(body) -> object:
            return Conj(self._stmts(list(body) + rest, c, step, finish=True)[0])

        if isinstance(s, ir.If):
            f = branch(s.orelse)
            for cond, body in reversed(s.branches):
                f = IfF(self.expr(cond, c), branch(body), f, src)
            return f
        if isinstance(s, ir.Either):
            return Disj([branch(b) for b in s.branches])
        if isinstance(s, ir.AnyStmt):
            c2, bt = self._binder(s.binder, c)
            inner = self._stmts(list(s.body) + rest, c2, step, finish=True)[0]
            if s.cond is not None:
                inner = [Atom(self.expr(s.cond, c2))] + inner
            return Exists(bt, Conj(inner), src)
        if isinstance(s, ir.Let):
            c2, name = c.bind(s.name)
            inner = self._stmts(list(s.body) + rest, c2, step, finish=True)[0]
            return LetF(name, self.expr(s.value, c), Conj(inner), src)
        raise ExportError(f"{src}: unexpected statement {type(s).__name__}")

    def _joined(self, s: ir.Stmt, c: Ctx, step: ir.Step):
        """A compound statement without goto: each branch assigns what any
        branch assigns (``x' = x`` where it does not), then the paths join."""
        src = self.src(s.span)
        if isinstance(s, ir.AnyStmt):
            c2, bt = self._binder(s.binder, c)
            inner, c3 = self._stmts(list(s.body), c2, step, finish=False)
            if s.cond is not None:
                inner = [Atom(self.expr(s.cond, c2))] + inner
            out = c.with_assigned(c3.assigned)
            return Exists(bt, Conj(inner or [Atom("TRUE")]), src), out
        if isinstance(s, ir.Let):
            c2, name = c.bind(s.name)
            inner, c3 = self._stmts(list(s.body), c2, step, finish=False)
            return LetF(name, self.expr(s.value, c), Conj(inner or [Atom("TRUE")]), src), \
                c.with_assigned(c3.assigned)
        if isinstance(s, ir.If):
            bodies = [b for _, b in s.branches] + [s.orelse]
        elif isinstance(s, ir.Either):
            bodies = list(s.branches)
        else:
            raise ExportError(f"{src}: unexpected statement {type(s).__name__}")
        done = [self._stmts(list(b), c, step, finish=False) for b in bodies]
        union = set(c.assigned)
        for _, cb in done:
            union |= cb.assigned
        parts = []
        for items, cb in done:
            fill = [v for v in self.all_vars if v in union and v not in cb.assigned]
            items = items + [Atom(f"{v}' = {v}") for v in fill]
            parts.append(Conj(items) if items else Atom("TRUE"))
        if isinstance(s, ir.If):
            f = parts[-1]
            for (cond, _), part in zip(reversed(s.branches), reversed(parts[:-1])):
                f = IfF(self.expr(cond, c), part, f, src)
        else:
            f = Disj(parts)
        return f, c.with_assigned(union)

    def _root_var(self, root) -> str:
        if isinstance(root, ir.VarRef):
            return self.tla(root.name)
        return self.names.local[(root.process, root.name)]

    def _target(self, s: ir.Assign, c: Ctx) -> tuple[str, list[str], list, list[Atom]]:
        """An assignment's TLA+ variable, EXCEPT path selectors, the key of
        each element of its path (atomic; None for a field) and the Asserts
        that the keys are in the domains they index."""
        src = self.src(s.span)
        root = s.root
        var = self._root_var(root)
        path: list[str] = []  # EXCEPT path selectors
        keys: list = []
        checks: list[Atom] = []
        base = var  # TLA+ expression of the value at the current path prefix
        if isinstance(root, ir.LocalRef) and self.procs[root.process].index is not None:
            path.append("[self]")
            base = f"{var}[self]"
        ty = root.type
        for el in s.path:
            bt = strip(ty)
            if isinstance(el, ir.Field):
                path.append(f".{el.name}")
                base = f"{base}.{el.name}"
                keys.append(None)
            else:
                if isinstance(bt, ir.SeqType):
                    key = self._seq_key(el.key, c)
                    atomic = key.isdigit()
                    what = "sequence index out of range"
                else:
                    key, atomic = self._x(el.key, c)
                    what = "key not in map"
                checks.append(Atom(f"Assert({key} \\in DOMAIN {base}, {tla_string(src + ': ' + what)})", src))
                path.append(f"[{key}]")
                base = f"{base}[{key}]"
                keys.append(key if atomic else f"({key})")
            ty = el.type
        return var, path, keys, checks

    def _range_check(self, s: ir.Assign, value: str, c: Ctx) -> list[Atom]:
        """The declared ranges of an assignment's target, checked on the new
        value ``value`` (atomic) (docs/semantics.md, Errors; the embedded
        engine's message)."""
        ty = s.path[-1].type if s.path else s.root.type
        in_range = self.range_pred(ty, value, c)
        if in_range is None:
            return []
        src = self.src(s.span)
        msg = f"{src}: the value assigned to {_target_text(s)!r} is outside its declared type"
        return [Atom(f"Assert({in_range}, {tla_string(msg)})", src)]

    def _assign(self, s: ir.Assign, c: Ctx) -> list:
        src = self.src(s.span)
        var, path, _, checks = self._target(s, c)
        value = self.rhs(s.value, c)
        after = self._range_check(s, f"{var}'{''.join(path)}", c)
        if not path:
            return [Atom(f"{var}' = {value}", src)] + after
        return checks + [Atom(f"{var}' = [{var} EXCEPT !{''.join(path)} = {value}]", src)] + after

    def _update(self, s: ir.Assign, c: Ctx, last: bool) -> tuple[list, Ctx]:
        """An update of a variable the step updates more than once: an
        Assert that it hits no place an earlier one hit (docs/semantics.md),
        then, at the last update of the execution, one ``EXCEPT`` with the
        path of each (``@`` for a read of the place being updated)."""
        src = self.src(s.span)
        var, path, keys, checks = self._target(s, c)
        before = c.updates(var)
        overlaps = []
        for u in before:
            positions = walk.overlap_keys(u.assign.path, s.path)
            if positions is None:
                continue
            pairs = [(u.keys[i], keys[i]) for i in positions if u.keys[i] != keys[i]]
            if not pairs:
                differ = "FALSE"
            elif len(pairs) == 1:
                differ = f"{pairs[0][0]} # {pairs[0][1]}"
            else:
                differ = f"<<{', '.join(a for a, _ in pairs)}>> # <<{', '.join(b for _, b in pairs)}>>"
            msg = f"{src}: {walk.overlap_message(u.assign, s)}"
            overlaps.append(Atom(f"Assert({differ}, {tla_string(msg)})", src))
        value = self.rhs(s.value, replace(c, at=s))
        ups = before + (Pending(s, "".join(path), tuple(keys), value),)
        pending = tuple((v, u) for v, u in c.pending if v != var)
        if not last:
            # not written yet: the new value's ranges are checked here, on the value
            in_place = self._range_check(s, self._p(s.value, c), c)
            c = replace(c, assigned=c.assigned | {var}, pending=pending + ((var, ups),))
            return overlaps + checks + in_place, c
        c = replace(c, assigned=c.assigned | {var}, pending=pending)
        return overlaps + checks + [self._written(var, ups)] + self._range_check(s, f"{var}'{''.join(path)}", c), c

    def _written(self, var: str, ups: tuple) -> Atom:
        """``var' = ...``: the updates of ``var`` in one EXCEPT."""
        src = self.src(ups[0].assign.span)
        if len(ups) == 1 and not ups[0].selector:
            return Atom(f"{var}' = {ups[0].value}", src)
        if any(not u.selector for u in ups):
            raise ExportError(f"{src}: '{var}' is assigned as a whole and updated in the same step")
        return Atom(f"{var}' = [{var} EXCEPT {', '.join(f'!{u.selector} = {u.value}' for u in ups)}]", src)

    # ------------------------------------------------------------ declarations
    def _init_range(self, v: ir.Var, tla: str, c: Ctx, instances: str | None = None) -> list[Atom]:
        """``Assert`` that the initial value of ``v`` (TLA+ ``tla``; a local of
        every instance in ``instances`` when given) is inside its declared ranges."""
        if instances is None:
            in_range = self.range_pred(v.type, tla, c)
        else:
            cs, me = c.bind("self")
            in_range = self.range_pred(v.type, f"{tla}[{me}]", cs)
            in_range = None if in_range is None else f"\\A {me} \\in {instances} : {in_range}"
        if in_range is None:
            return []
        msg = f"{self.src(v.init.span)}: the initial value of '{v.name}' is outside its declared type"
        return [Atom(f"Assert({in_range}, {tla_string(msg)})", self.src(v.span))]

    def init_items(self) -> list[Atom]:
        out = []
        c = self.ctx()
        for v in self.spec.vars:
            op = "=" if v.init_kind == "eq" else "\\in"
            out.append(Atom(f"{self.tla(v.name)} {op} {self.rhs(v.init, c)}", self.src(v.span)))
            out += self._init_range(v, self.tla(v.name), c)
        for p in self.spec.processes:
            pc_ = self.ctx(p)
            for lv in p.locals:
                tla = self.names.local[(p.name, lv.name)]
                src = self.src(lv.span)
                if p.index is None:
                    op = "=" if lv.init_kind == "eq" else "\\in"
                    out.append(Atom(f"{tla} {op} {self.rhs(lv.init, pc_)}", src))
                    out += self._init_range(lv, tla, c)
                    continue
                dom = self._p(p.index_set, c)
                if lv.init_kind == "eq":
                    out.append(Atom(f"{tla} = [self \\in {dom} |-> {self.expr(lv.init, pc_)}]", src))
                elif not any(isinstance(x, ir.SelfRef) for x in iter_exprs(lv.init)):
                    out.append(Atom(f"{tla} \\in [{dom} -> {self._p(lv.init, pc_)}]", src))
                else:
                    cf, f = c.bind("f")
                    s_ = self._p(lv.init, pc_)
                    out.append(Atom(f"{tla} \\in {{{f} \\in [{dom} -> UNION {{{s_} : self \\in {dom}}}] : "
                                    f"\\A self \\in {dom} : {f}[self] \\in {s_}}}", src))
                out += self._init_range(lv, tla, c, instances=dom)
        for p in self.spec.processes:
            if p.is_action:
                continue
            pc_ = self.ctx(p)
            tla = self.names.pc[p.name]
            start = self.control(p.start, pc_)
            if p.index is None:
                out.append(Atom(f"{tla} = {start}", self.src(p.span)))
            else:
                out.append(Atom(f"{tla} = [self \\in {self._p(p.index_set, c)} |-> {start}]", self.src(p.span)))
        return out

    def process_operator(self, p: ir.Process) -> Block | None:
        if p.is_action:  # its step operator is the action
            return None
        ops = [self.step_op(p.name, s.label) + ("(self)" if p.index is not None else "") for s in p.steps]
        name = self.tla(p.name)
        head = f"{name}(self)" if p.index is not None else name
        body = " \\/ ".join(ops) if ops else "FALSE"
        return Block(name, f"{head} == {body}", self.src(p.span))

    def next_items(self) -> list[str]:
        out = []
        c = self.ctx()
        for p in self.spec.processes:
            if p.index is None:
                out.append(self.tla(p.name))
            else:
                head = (self.step_op(p.name, p.steps[0].label) if p.is_action else self.tla(p.name)) + self.action_args(p)
                out.append("(" + self.over_instances(p, "\\E", head, c) + ")")
        if self.terminating() is not None:
            out.append(self.gen("Terminating"))
        return out

    def terminating(self) -> str | None:
        """Every process is done: a stuttering step, so that termination is
        not a deadlock (a spec without processes stutters); None for a spec
        of actions alone, which never terminates (docs/semantics.md)."""
        c = self.ctx()
        conds = []
        for p in self.spec.processes:
            if p.is_action:
                continue
            pc = self.names.pc[p.name]
            if p.index is None:
                conds.append(f'{pc} = "Done"')
            else:
                conds.append(f'(\\A self \\in {self._p(p.index_set, c)} : {pc}[self] = "Done")')
        if not conds and any(p.is_action for p in self.spec.processes):
            return None
        return " /\\ ".join(conds + [f"UNCHANGED {self.gen('vars')}"])

    def fairness_items(self) -> list[str]:
        out = []
        c = self.ctx()
        vars_ = self.gen("vars")
        for p in self.spec.processes:
            prefix = f"\\A self \\in {self._p(p.index_set, c)} : " if p.index is not None else ""
            arg = "(self)" if p.index is not None else ""
            if p.is_action:
                if p.fairness:
                    kind = "WF" if p.fairness == "weak" else "SF"
                    op = self.step_op(p.name, p.steps[0].label)
                    if p.fair_by is not None:
                        out.append(self.group_fairness(p, kind, f"{op}{self.action_args(p)}", c))
                    else:
                        out.append(self.over_instances(p, "\\A", f"{kind}_{vars_}({op}{self.action_args(p)})", c))
                continue
            if p.fairness:
                kind = "WF" if p.fairness == "weak" else "SF"
                unfair = [s.label for s in p.steps if s.fairness == "unfair"]
                if unfair:  # PlusCal's translation of "label:-"
                    pc = self.names.pc[p.name] + ("[self]" if p.index is not None else "")
                    labels = ", ".join(tla_string(lab) for lab in unfair)
                    out.append(f"{prefix}{kind}_{vars_}(({pc} \\notin {{{labels}}}) /\\ {self.tla(p.name)}{arg})")
                else:
                    out.append(f"{prefix}{kind}_{vars_}({self.tla(p.name)}{arg})")
            for s in p.steps:
                if s.fairness in ("weak", "strong"):
                    kind = "WF" if s.fairness == "weak" else "SF"
                    out.append(f"{prefix}{kind}_{vars_}({self.step_op(p.name, s.label)}{arg})")
        out.extend(self.decl_fairness(d) for d in self.spec.fairness)
        return out

    # ------------------------------------------------------------ fairness declarations
    def fairness_operator(self, d: ir.FairnessDecl) -> Block | None:
        """``fair F(p in S): A(p) or B(p, _) or w[p].l`` as the operator
        ``F(p) == A(p) \\/ (\\E q \\in T : B(p, q)) \\/ w_l(p)``, which
        ``Fairness`` takes WF/SF of for every ``p``; None for ``next`` (its
        fairness is ``WF_vars(Next)`` itself) and for one part that needs no
        ``\\E`` (``Fairness`` takes WF/SF of the part itself, as TLA+ writes
        ``\\A c \\in Clients : WF_vars(Return(c, alloc[c]))``)."""
        if not d.parts or self._inline_fairness(d):
            return None
        c = self.ctx()
        formals = []
        for b in d.binders:
            c, tla = c.bind(b.name)
            formals.append(tla)
        name = self.tla(d.name)
        head = f"{name}({', '.join(formals)})" if formals else name
        ops = [self.fair_part(part, c) for part in d.parts]
        if len(ops) == 1:
            text = f"{head} == {ops[0]}"
        else:
            text = f"{head} ==\n" + "\n".join(f"    \\/ {op}" for op in ops)
        return Block(name, text, self.src(d.span), d.doc)

    def fair_part(self, part: ir.FairPart, c: Ctx) -> str:
        """One disjunct of a fairness declaration: the action or step
        operator applied to its arguments, the parameters given as ``_``
        (or all, without arguments) under ``\\E`` (a domain that reads a
        given parameter reads its argument)."""
        p = self.procs[part.process]
        if p.is_action:
            op = self.step_op(p.name, p.steps[0].label)
            if not p.params:
                return op
            if len(p.params) > 1:
                binders = p.index_set.binders
            else:
                binders = (ir.Binder(p.params[0], p.index_set, p.span),)
            args = part.args if part.args is not None else (None,) * len(binders)
        else:
            op = self.tla(p.name) if part.label is None else self.step_op(p.name, part.label)
            if p.index is None:
                return op
            binders = (ir.Binder("self", p.index_set, p.span),)
            args = part.args if part.args is not None else (None,)
        cc = c
        quants = []
        texts = []
        for b, a in zip(binders, args):
            if a is not None:
                t = self._p(a, c)
                cc = replace(cc, bound={**cc.bound, b.name: t})
                texts.append(t)
            else:
                dom = self._p(b.domain, cc)
                cc, tla = cc.bind(b.name)
                quants.append(f"\\E {tla} \\in {dom} : ")
                texts.append(tla)
        call = f"{op}({', '.join(texts)})"
        return f"({''.join(quants)}{call})" if quants else call

    def _inline_fairness(self, d: ir.FairnessDecl) -> bool:
        """One part that names its instances without ``\\E`` (every argument
        given, or none to give): no operator, the part itself in ``Fairness``."""
        if len(d.parts) != 1:
            return False
        part = d.parts[0]
        p = self.procs[part.process]
        if p.is_action:
            return not p.params or (part.args is not None and None not in part.args)
        return p.index is None or (part.args is not None and None not in part.args)

    def decl_fairness(self, d: ir.FairnessDecl) -> str:
        """``\\A p \\in S : WF_vars(F(p))`` (``WF_vars(Next)`` for ``next``;
        ``WF_vars(A(p, e))`` for one part that needs no ``\\E``)."""
        kind = "WF" if d.kind == "weak" else "SF"
        if not d.parts:
            return f"{kind}_{self.gen('vars')}({self.gen('Next')})"
        c = self.ctx()
        quants = []
        formals = []
        for b in d.binders:
            dom = self._p(b.domain, c)
            c, tla = c.bind(b.name)
            quants.append(f"\\A {tla} \\in {dom} : ")
            formals.append(tla)
        if self._inline_fairness(d):
            return f"{''.join(quants)}{kind}_{self.gen('vars')}({self.fair_part(d.parts[0], c)})"
        name = self.tla(d.name)
        call = f"{name}({', '.join(formals)})" if formals else name
        return f"{''.join(quants)}{kind}_{self.gen('vars')}({call})"

    def group_fairness(self, p: ir.Process, kind: str, call: str, c: Ctx) -> str:
        """``fair(c) action A(c in C, S in T)``: ``\\A c \\in C :
        WF_vars(\\E S \\in T : A(c, S))``, the named parameters outside
        (their domains read only named ones, the checker makes sure), the
        others under ``\\E`` inside, each in declaration order."""
        if p.index is None:
            binders: tuple = ()
        elif len(p.params) > 1:
            binders = p.index_set.binders
        else:
            binders = (ir.Binder(p.params[0], p.index_set, p.span),)
        inner = call
        for b in reversed([b for b in binders if b.name not in p.fair_by]):
            inner = f"\\E {b.name} \\in {self._p(b.domain, c)} : {inner}"
        body = f"{kind}_{self.gen('vars')}({inner})"
        for b in reversed([b for b in binders if b.name in p.fair_by]):
            body = f"\\A {b.name} \\in {self._p(b.domain, c)} : {body}"
        return body

    def range_pred(self, t: ir.Type, x: str, c: Ctx) -> str | None:
        """A predicate saying that every int of ``x`` (atomic) with a declared
        range in ``t`` is inside it; None when ``t`` declares no range.  Only
        the ranges: the rest of the type is the type checker's guarantee."""
        if isinstance(t, ir.IntType):
            if t.lo is None or t.hi is None:
                return None
            return f"{x} \\in {self._p(t.lo, c)}..{self._p(t.hi, c)}"
        if isinstance(t, ir.OptionalType):
            inner = self.range_pred(t.inner, x, c)
            return None if inner is None else f"({x} = {self.none} \\/ {inner})"
        if isinstance(t, ir.SetType):
            c2, e = c.bind("e")
            inner = self.range_pred(t.elem, e, c2)
            return None if inner is None else f"\\A {e} \\in {x} : {inner}"
        if isinstance(t, ir.MapType):
            c2, k = c.bind("k")
            parts = [q for q in (self.range_pred(t.key, k, c2), self.range_pred(t.value, f"{x}[{k}]", c2)) if q]
            if not parts:
                return None
            return f"\\A {k} \\in DOMAIN {x} : " + " /\\ ".join(f"({q})" for q in parts)
        if isinstance(t, ir.SeqType):
            c2, i = c.bind("i")
            inner = self.range_pred(t.elem, f"{x}[{i}]", c2)
            return None if inner is None else f"\\A {i} \\in 1..Len({x}) : {inner}"
        if isinstance(t, (ir.TupleType, ir.RecordType)):
            items = (((f"{x}[{n + 1}]", et) for n, et in enumerate(t.elems)) if isinstance(t, ir.TupleType)
                     else ((f"{x}.{n}", ft) for n, ft in t.fields))
            parts = [q for sub, st in items if (q := self.range_pred(st, sub, c))]
            return " /\\ ".join(f"({q})" for q in parts) if parts else None
        if isinstance(t, ir.VariantType):
            parts = [f"({x}.tag = {tla_string(tag)} => {q})" for tag, fields in t.cases
                     if (q := self.range_pred(t.record_type(tag), x, c))]
            return " /\\ ".join(parts) if parts else None
        return None

    def type_pred(self, t: ir.Type, x: str, c: Ctx) -> str | None:
        """A predicate saying that TLA+ expression ``x`` (atomic) has type ``t``;
        None when every value does."""
        if isinstance(t, ir.BoolType):
            return f"{x} \\in BOOLEAN"
        if isinstance(t, ir.IntType):
            if t.lo is not None and t.hi is not None:
                return f"{x} \\in {self._p(t.lo, c)}..{self._p(t.hi, c)}"
            return f"{x} \\in Int"
        if isinstance(t, ir.StrType):
            return f"{x} \\in STRING"
        if isinstance(t, ir.SortType):
            return f"{x} \\in {sort_values_name(t.name)}"
        if isinstance(t, ir.EnumType):
            return f"{x} \\in {{{', '.join(tla_string(v) for v in t.values)}}}"
        if isinstance(t, ir.LabelType):
            return f"{x} \\in {{{', '.join(tla_string(v) for v in t.labels)}}}"
        if isinstance(t, ir.NoneType):
            return f"{x} = {self.none}"
        if isinstance(t, ir.OptionalType):
            inner = self.type_pred(t.inner, x, c)
            return None if inner is None else f"({x} = {self.none} \\/ ({inner}))"
        if isinstance(t, ir.SetType):
            c2, e = c.bind("e")
            inner = self.type_pred(t.elem, e, c2)
            return f"IsFiniteSet({x})" if inner is None else f"\\A {e} \\in {x} : {inner}"
        if isinstance(t, ir.MapType):
            c2, k = c.bind("k")
            pk = self.type_pred(t.key, k, c2)
            pv = self.type_pred(t.value, f"{x}[{k}]", c2)
            parts = [q for q in (pk, pv) if q]
            if not parts:
                return f"IsFiniteSet(DOMAIN {x})"
            return f"\\A {k} \\in DOMAIN {x} : " + " /\\ ".join(f"({q})" if len(parts) > 1 else q for q in parts)
        if isinstance(t, ir.SeqType):
            c2, i = c.bind("i")
            inner = self.type_pred(t.elem, f"{x}[{i}]", c2)
            head = f"DOMAIN {x} = 1..Len({x})"
            return head if inner is None else f"{head} /\\ \\A {i} \\in 1..Len({x}) : {inner}"
        if isinstance(t, ir.TupleType):
            parts = [f"DOMAIN {x} = 1..{len(t.elems)}"]
            for n, et in enumerate(t.elems):
                q = self.type_pred(et, f"{x}[{n + 1}]", c)
                if q:
                    parts.append(f"({q})")
            return " /\\ ".join(parts)
        if isinstance(t, ir.RecordType):
            parts = [f"DOMAIN {x} = {{{', '.join(tla_string(n) for n, _ in t.fields)}}}"]
            for n, ft in t.fields:
                q = self.type_pred(ft, f"{x}.{n}", c)
                if q:
                    parts.append(f"({q})")
            return " /\\ ".join(parts)
        if isinstance(t, ir.VariantType):
            # a record of one of the cases: "tag" names it
            alts = []
            for tag, _ in t.cases:
                q = self.type_pred(t.record_type(tag), x, c)
                alts.append(f"({q} /\\ {x}.tag = {tla_string(tag)})")
            return "(" + " \\/ ".join(alts) + ")"
        return None

    def typeok_items(self) -> list[Atom]:
        out = []
        c = self.ctx()
        for v in self.state_vars:
            if v.index_type is None:
                q = self.type_pred(v.type, v.tla, c)
                if q:
                    out.append(Atom(q))
            else:
                p = self.procs[v.process]
                dom = self._p(p.index_set, c)
                q = self.type_pred(v.type, f"{v.tla}[self]", c)
                out.append(Atom(f"DOMAIN {v.tla} = {dom}" + (f" /\\ \\A self \\in {dom} : {q}" if q else "")))
        return out

    def reads_state(self, e: ir.Expr) -> bool:
        return any(walk.root_of(x) is not None or (isinstance(x, ir.DefCall) and self.def_reads[x.name])
                   for x in iter_exprs(e))

    def property_block(self, prop: ir.Property) -> Block:
        if prop.refinement is not None:
            from .refinement import refinement_block

            return refinement_block(self, prop)
        c = self.ctx()
        body = self.expr(prop.expr, c)
        if prop.kind == "invariant" and not self.reads_state(prop.expr):
            # TLC evaluates a constant invariant once and refuses a FALSE one
            # as a configuration error; as a state predicate it is checked
            # (and violated) in the initial state, as the embedded engine does
            body = f"{self.gen('vars')} = {self.gen('vars')} /\\ ({body})"
        if prop.kind == "action":
            body = f"[][{body}]_{self.gen('vars')}"
        name = self.tla(prop.name)
        return Block(name, f"{name} == {body}", self.src(prop.span), doc=prop.doc)

    def assumption_block(self, a: ir.Assumption) -> Block:
        """``ASSUME Name == expr`` (TLC checks it before the search and
        reports a false one as "Assumption line L, col C ... is false")."""
        name = self.tla(a.name)
        return Block(name, f"ASSUME {name} == {self.expr(a.expr, self.ctx())}", self.src(a.span), doc=a.doc)

    def sourcemap(self) -> SourceMap:
        sm = SourceMap(self.spec.name, self.src(self.spec.span).rsplit(":", 1)[0])
        for st in self.spec.steps:
            op = self.step_op(st.process, st.label)
            sm.actions[op] = ActionInfo(op, st.process, st.label, self.procs[st.process].index is not None,
                                        self.src(st.span))
        sm.variables = list(self.state_vars)
        sm.model_values = dict(self.model_values)
        if self.none != NONE_NAME:
            sm.model_values[self.none] = NONE_MV
        sm.renamed = {tla: name for name, tla in self.names.user.items() if name != tla}
        sm.properties = {self.tla(p.name): p.name for p in self.spec.properties}
        sm.assumptions = {self.tla(a.name): (a.name, str(a.span)) for a in self.spec.assumptions}
        if "TypeOK" not in sm.properties.values():
            sm.properties[self.gen("TypeOK")] = "TypeOK"
        return sm

    def renamed(self) -> list[str]:
        """What the module names differently from the spec (a comment at its top)."""
        n = self.names
        out = [f"{name} -> {tla}" for name, tla in n.user.items() if name != tla]
        out += [f"{g} (generated) -> {tla}" for g, tla in n.gen.items() if g != tla and
                (g not in HELPERS or g in self.helpers)]
        for p in self.spec.processes:
            if p.is_action:  # its operator is its (user) name: in n.user
                continue
            if n.pc[p.name] != naming.pc_name(p.name):
                out.append(f"program counter of {p.name} -> {n.pc[p.name]}")
            for lv in p.locals:
                if n.local[(p.name, lv.name)] != naming.local_name(p.name, lv.name):
                    out.append(f"{p.name}.{lv.name} -> {n.local[(p.name, lv.name)]}")
            for st in p.steps:
                if n.step[(p.name, st.label)] != naming.step_name(p.name, st.label):
                    out.append(f"step {p.name}.{st.label} -> {n.step[(p.name, st.label)]}")
        return out


def comment_lines(text: str) -> list[str]:
    """A docstring as TLA+ line comments."""
    return [("\\* " + ln).rstrip() for ln in text.strip().splitlines()] if text.strip() else []
