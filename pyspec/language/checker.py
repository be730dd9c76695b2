"""Syntax trees -> checked, typed IR.

This stage resolves names (bases first, then the overriding spec), checks
types, statements and control flow, and reports every problem it finds as a
located diagnostic.  It keeps going after an error so that one run reports
every independent problem; the IR is returned only when there are none.
"""

from __future__ import annotations

import ast as pyast
import itertools
from dataclasses import dataclass, field, replace

import lark

from .. import names as naming
from ..diagnostics import Diagnostics, Span
from ..ir import nodes as ir
from ..ir import temporal, walk
from ..ir.nodes import (
    ANY,
    BOOL,
    INT,
    NONE_T,
    STR,
    AnyType,
    EnumType,
    IntType,
    LabelType,
    MapType,
    OptionalType,
    RecordType,
    SeqType,
    SetType,
    SortType,
    StrType,
    TupleType,
    Type,
    VariantType,
)
from . import lints
from . import types as T
from .loader import Unit
from .procedures import ProcedureChecks


class Bail(Exception):
    """An expression could not be typed; its error has been reported."""


@dataclass
class Scope:
    """What an expression may refer to, and how."""

    kind: str  # const | init | local_init | def | step | invariant | action | temporal | model | constraint
    process: ir.Process | None = None  # the process whose step/local init this is
    proc_decl: ProcDecl | None = None
    bound: dict[str, Type] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)  # roots assigned so far ("v:x" / "l:x")
    in_next: bool = False
    allow_temporal: bool = False
    # initial values: what is being initialised ("v:x" / "l:x") and what is
    # initialised before it (declaration order, docs/semantics.md)
    initialising: str = ""
    ready: frozenset[str] = frozenset()
    # steps: the updates that may precede this point, and every root
    # assigned so far in order (a key that reads one of them after an
    # update may have changed since)
    updates: list[Update] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def child(self, extra: dict[str, Type]) -> Scope:
        return replace(self, bound={**self.bound, **extra}, allow_temporal=False)


@dataclass(frozen=True)
class Update:
    """An assignment of a step, for the check that two updates of one
    variable do not certainly hit the same place."""

    root: str  # "v:x" / "l:x"
    path: tuple[ir.Expr, ...]
    log_pos: int  # len(Scope.log) before it
    bound: frozenset[str]  # the names bound by 'any' or 'let' its keys read


class _Join:
    """The branches of an if or either: each starts from the state before
    the statement; after it, what any branch assigned counts as assigned
    and any branch's update may precede what follows."""

    def __init__(self, scope: Scope):
        self.assigned = set(scope.assigned)
        self.updates = list(scope.updates)
        self.after_assigned = set(self.assigned)
        self.after_updates = list(self.updates)

    def start(self, scope: Scope) -> None:
        scope.assigned = set(self.assigned)
        scope.updates = list(self.updates)

    def end(self, scope: Scope) -> None:
        self.after_assigned |= scope.assigned
        self.after_updates += scope.updates[len(self.updates):]

    def done(self, scope: Scope) -> None:
        scope.assigned = self.after_assigned
        scope.updates = self.after_updates


def _leave_binding(scope: Scope, inner: Scope, name: str) -> None:
    """The end of the block where 'any' or 'let' binds ``name``: what it
    assigned stays assigned; its updates keyed by ``name`` are not
    comparable with later ones (a later ``name`` is another binding)."""
    scope.assigned = inner.assigned
    scope.updates = [u for u in inner.updates if name not in u.bound]


@dataclass
class ProcDecl:
    name: str
    index: str | None
    index_type: Type | None
    locals: dict[str, ir.Var]
    labels: dict[str, Span]
    span: Span
    index_set: ir.Expr | None = None  # checked once, in the procs phase
    params: tuple[str, ...] | None = None  # an action's parameters; None for a process
    local_inits: dict[str, tuple[lark.Tree | ir.Expr, Type]] = field(default_factory=dict)  # phase "inits"
    # procedures (pyspec/language/procedures.py): those the process may run,
    # in declaration order; a view of the process for the steps of one of
    # them (``procedure`` its name, ``full`` the process's own ProcDecl)
    procedures: tuple[str, ...] = ()
    procedure: str | None = None
    full: ProcDecl | None = None
    # call sites: procedure -> [(calling label, where its return goes)]
    sites: dict[str, list[tuple[str, ir.Control]]] = field(default_factory=dict)


def span_of(node, path: str) -> Span:
    if isinstance(node, lark.Token):
        line = node.line or 1
        col = node.column or 1
        end_line = node.end_line or line
        end_col = node.end_column or col + len(str(node))
        return Span(path, line, col, end_line, end_col)
    meta = node.meta
    if getattr(meta, "empty", True):
        for c in node.children:
            if isinstance(c, (lark.Tree, lark.Token)):
                return span_of(c, path)
        return Span(path, 1, 1)
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


BUILTINS = {"len", "subsets", "keys", "min", "max", "unions", "append", "head", "tail", "abs",
            "set", "record", "replace", "next", "maps", "seqs"}

#: Words of the language that may stand where a name can (a statement, an
#: expression, a step label, a model item): a spec may not declare them.
#: (Python keywords such as 'if' or 'await' are refused by names.py.)
KEYWORDS = frozenset({"forall", "exists", "choose", "always", "eventually", "implies", "leads_to",
                      "none", "either", "any", "goto", "fair", "strong", "var", "symmetry", "let",
                      "constraint", "check", "deadlock", "record", "match", "case", "unfair", "variant",
                      "macro"})

BIN_INT = {"+": "add", "-": "sub", "*": "mul", "//": "floordiv", "%": "mod", "**": "pow",
           "&": "bitand", "|": "bitor", "^": "bitxor", "<<": "shl", ">>": "shr"}
CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "in": "in",
       "notin": "not_in"}


class Checker(ProcedureChecks):
    def __init__(self, units: list[Unit], diags: Diagnostics):
        self.units = units
        self.diags = diags
        self.path = ""
        self.sorts: dict[str, ir.Sort] = {}
        self.enums: dict[str, ir.Enum] = {}
        self.aliases: dict[str, Type] = {}
        self.variants: dict[str, VariantType] = {}
        self._pending_types: dict[str, tuple] = {}  # type/variant declarations not resolved yet
        self.macros: dict[str, tuple] = {}  # name -> (params, block tree, file, span)
        self._init_procedures()  # procedure declarations and what each process runs (procedures.py)
        self._expanding: list[str] = []  # macros being inlined (a cycle is an error)
        self._resolving: set[str] = set()  # ... being resolved (a use inside is a cycle)
        self.consts: dict[str, ir.Const] = {}
        self.vars: dict[str, ir.Var] = {}
        self.defs: dict[str, ir.Def] = {}
        self.def_sigs: dict[str, tuple[tuple[ir.Param, ...], Type | None]] = {}
        self.procs: dict[str, ProcDecl] = {}
        self.processes: dict[str, ir.Process] = {}
        self.properties: dict[str, ir.Property] = {}
        self.models: dict[str, ir.Model] = {}
        self.base_models: dict[str, ir.Model] = {}
        self.declared_at: dict[str, Span] = {}
        self.used: set[str] = set()  # variables read somewhere
        self.broken: set[str] = set()  # properties whose own check failed
        self.broken_consts: set[str] = set()  # constants whose default failed to check
        self._pending_warnings: list[tuple[str, Span]] = []  # issued if there is no error
        self._model_stack: list[str] = []  # models whose parent is being resolved
        self._root_models: set[str] = set()
        self._goto_only: set[str] = set()  # steps of the current process that always end in goto
        self.def_names: set[str] = set()  # every def, known before their signatures are
        self.item_kinds: dict[str, tuple[str, Span]] = {}  # every declared name: its kind and place

    # ------------------------------------------------------------------ utils
    def err(self, msg: str, node_or_span) -> None:
        span = node_or_span if isinstance(node_or_span, Span) else span_of(node_or_span, self.path)
        self.diags.error(msg, span)

    def warn(self, msg: str, node_or_span) -> None:
        span = node_or_span if isinstance(node_or_span, Span) else span_of(node_or_span, self.path)
        self.diags.warning(msg, span)

    def sp(self, node) -> Span:
        return span_of(node, self.path)

    def _at(self, span: Span | None) -> str:
        """Where something is, for a message about the current file: its
        line when it is in this file, else file:line:col."""
        if span is None:
            return "?"
        return f"line {span.line}" if span.file == self.path else str(span)

    # ------------------------------------------------------------ declarations
    def run(self) -> ir.Spec | None:
        root = self.units[-1]
        # Gather items: bases and imports first, the root spec last, so that
        # later definitions override earlier ones.
        items: list[tuple[Unit, lark.Tree]] = []
        for unit in self.units:
            for item in unit.tree.children[1:]:
                if not isinstance(item, lark.Tree) or item.data in ("extends_decl", "import_decl"):
                    continue
                if unit.role == "import" and item.data not in (
                        "sort_decl", "enum_decl", "variant_decl", "type_decl", "const_decl", "def_decl"):
                    continue
                items.append((unit, item))
        items = self._merge(items)
        for unit, item in items:
            if item.data != "model_decl":
                name, tok, _ = self._item_name(item)
                self.item_kinds.setdefault(str(name), (item.data, span_of(tok, unit.path)))
        self.def_names = {n for n, (d, _) in self.item_kinds.items() if d == "def_decl"}
        self._root_models = {str(item.children[0]) for _, item in items if item.data == "model_decl"}
        for phase in ("types", "consts", "vars", "def_sigs", "procs", "defs", "inits", "steps", "props",
                      "models"):
            for unit, item in items:
                self.path = unit.path
                try:
                    self._declare(phase, unit, item)
                except Bail:
                    pass
                except RecursionError:
                    self.err("expression nested too deeply", item)
        self.path = root.path
        if not self.diags.errors:
            # Only for a spec without errors: a statement or expression that
            # failed to check may not have recorded its reads and gotos.
            for msg, span in self._pending_warnings:
                self.warn(msg, span)
            self._warn_unused()
        header = root.tree.children[0]
        name = str(header.children[0])
        doc = ""
        if len(header.children) > 1 and isinstance(header.children[1], lark.Tree):
            doc = _string_value(header.children[1].children[0])
        why = naming.spec_name_reason(name)
        if why:
            self.err(f"cannot use '{name}' as a spec name: {why}", self.sp(header.children[0]))
        if self.diags.errors:
            return None
        spec = ir.Spec(
            name=name, path=root.path, doc=doc,
            files=tuple(u.path for u in reversed(self.units)),
            sorts=tuple(self.sorts.values()), enums=tuple(self.enums.values()),
            consts=tuple(self.consts.values()), vars=tuple(self.vars.values()),
            defs=tuple(self.defs.values()), processes=tuple(self.processes.values()),
            properties=tuple(self.properties.values()), models=tuple(self.models.values()),
            span=span_of(header, root.path), variants=tuple(self.variants.values()),
        )
        for msg, span in lints.all_lints(spec):
            self.warn(msg, span)
        return spec

    def _item_name(self, item: lark.Tree) -> tuple[str, lark.Token, bool]:
        kids = [c for c in item.children if not (isinstance(c, lark.Tree) and c.data in
                                                   ("override", "weak_fair", "strong_fair", "no_fair"))]
        override = any(isinstance(c, lark.Tree) and c.data == "override" for c in item.children)
        tok = kids[0]
        return str(tok), tok, override

    def _merge(self, items):
        """Apply ``override``: a later definition replaces an earlier one of
        the same name in place; a duplicate without ``override`` is an error."""
        out: list = []
        where: dict[tuple[str, str], int] = {}
        for unit, item in items:
            self.path = unit.path
            name, tok, override = self._item_name(item)
            ns = "model" if item.data == "model_decl" else "global"
            key = (ns, name)
            if key in where:
                prev_unit, prev = out[where[key]]
                if unit is prev_unit:
                    pspan = span_of(_name_token(prev), prev_unit.path)
                    self.err(f"'{name}' is already defined at {self._at(pspan)}", tok)
                    continue
                if ns == "model":
                    # models of a base spec are not inherited, only reusable
                    # through ``model X extends Y``.
                    self._base_model_items.append((prev_unit, prev))
                    out[where[key]] = (unit, item)
                    continue
                if not override:
                    pspan = span_of(_name_token(prev), prev_unit.path)
                    self.err(f"'{name}' is already defined at {self._at(pspan)}; write 'override' to replace it", tok)
                    continue
                if prev.data != item.data:
                    self.err(f"'override' must replace a definition of the same kind "
                             f"('{name}' is a {_kind_word(prev.data)} in the base)", tok)
                    continue
                out[where[key]] = (unit, item)
            else:
                if override:
                    self.err(f"'{name}' overrides nothing: no base spec defines it", tok)
                where[key] = len(out)
                out.append((unit, item))
        # models of bases: only reusable via extends
        final = []
        for unit, item in out:
            if item.data == "model_decl" and unit.role != "root":
                self._base_model_items.append((unit, item))
                continue
            final.append((unit, item))
        return final

    _base_model_items: list = []

    def _declare(self, phase: str, unit: Unit, item: lark.Tree) -> None:
        d = item.data
        if phase == "types":
            if d == "sort_decl":
                tok = item.children[0]
                self._new_name(str(tok), tok)
                self.sorts[str(tok)] = ir.Sort(str(tok), self.sp(tok))
            elif d == "enum_decl":
                tok = item.children[0]
                self._new_name(str(tok), tok)
                vals = []
                for v in item.children[1:]:
                    if str(v) in vals:
                        self.err(f"duplicate value '{v}' in enum '{tok}'", v)
                    else:
                        vals.append(str(v))
                self.enums[str(tok)] = ir.Enum(str(tok), tuple(vals), self.sp(tok))
            elif d in ("variant_decl", "type_decl"):
                # resolved when first used, or in the constants phase at the
                # latest: a type may use constants declared above it
                tok = item.children[0]
                self._new_name(str(tok), tok)
                self._pending_types[str(tok)] = (item, self.path)
        elif phase == "consts" and d in ("variant_decl", "type_decl"):
            self._resolve_type_decl(str(item.children[0]))
        elif phase == "consts" and d == "const_decl":
            kids = _without_override(item)
            tok, ty_tree, default = kids[0], kids[1], kids[2]
            self._new_name(str(tok), tok)
            try:
                ty = self.type_of(ty_tree, Scope("const"))
            except Bail:
                ty = ANY
            dv = None
            try:
                if default is not None:
                    dv = self.expr(default, Scope("const"))
                    self._expect_assignable(ty, dv, default, f"default of constant '{tok}'")
            except Bail:
                dv = None  # reported; the constant still exists for its uses
                self.broken_consts.add(str(tok))
            self.consts[str(tok)] = ir.Const(str(tok), ty, dv, self.sp(tok))
        elif phase == "vars" and d == "var_decl":
            # the type now, the initial value once the defs it may call are
            # checked (phase "inits")
            tok, ty_tree, _ = _without_override(item)
            self._new_name(str(tok), tok)
            try:
                ty = self.type_of(ty_tree, Scope("const"))
            except Bail:
                ty = ANY
            self.vars[str(tok)] = ir.Var(str(tok), ty, "eq", ir.Lit(self.sp(tok), ty, 0), self.sp(tok))
        elif phase == "inits" and d == "var_decl":
            self._var_init(item)
        elif phase == "inits" and d == "process_decl":
            self._local_inits(item)
        elif phase == "def_sigs" and d == "def_decl":
            self._def_sig(item)
        elif phase == "def_sigs" and d == "macro_decl":
            self._macro_decl(item)
        elif phase == "def_sigs" and d == "procedure_decl":
            self._procedure_decl(item)
        elif phase == "procs" and d == "process_decl":
            self._proc_decl(item)
        elif phase == "procs" and d == "action_def":
            self._action_decl(item)
        elif phase == "defs" and d == "def_decl":
            self._def_body(item)
        elif phase == "steps" and d == "process_decl":
            self._process(item)
        elif phase == "steps" and d == "action_def":
            self._action(item)
        elif phase == "props" and d in ("invariant_decl", "action_decl", "temporal_decl"):
            self._property(item)
        elif phase == "models" and d == "model_decl":
            self._model(item, self.models)

    def _new_name(self, name: str, tok) -> None:
        self._check_reserved(name, self.sp(tok))
        if name in self.declared_at and self.declared_at[name] != self.sp(tok):
            self.err(f"'{name}' is already defined at {self._at(self.declared_at[name])}", tok)
            raise Bail
        self.declared_at[name] = self.sp(tok)

    def _check_reserved(self, name: str, span: Span) -> None:
        why = naming.reserved_reason(name)
        if why is None and name in KEYWORDS:
            why = f"'{name}' is a pyspec keyword"
        if why:
            self.err(f"cannot use '{name}' as a name: {why}", span)

    def _var_init(self, item: lark.Tree) -> None:
        """The initial value of a variable: it may read the variables
        declared before it (initialised in declaration order)."""
        tok, _, init = _without_override(item)
        name = str(tok)
        v = self.vars.get(name)
        if v is None or self.declared_at.get(name) != self.sp(tok):
            return  # refused declaration (already reported)
        ready = frozenset("v:" + n for n in itertools.takewhile(lambda n: n != name, self.vars))
        scope = Scope("init", initialising="v:" + name, ready=ready)
        try:
            kind, value = self._init(init, v.type, scope, name)
        except Bail:
            return  # reported; the variable keeps its placeholder, so that its uses raise no errors
        self.vars[name] = ir.Var(name, v.type, kind, value, v.span)

    def _local_inits(self, item: lark.Tree) -> None:
        """The initial values of a process's locals: each may read ``self``,
        the variables and the locals declared before it (of the same
        instance)."""
        tok = self._proc_parts(item)[0]
        pd = self.procs.get(str(tok))
        if pd is None or pd.span != self.sp(tok):
            return
        done: list[str] = []
        for lname, (linit, lty) in pd.local_inits.items():
            scope = Scope("local_init", proc_decl=self._init_view(pd, lname), initialising="l:" + lname,
                          ready=frozenset(["v:" + n for n in self.vars] + ["l:" + n for n in done]))
            done.append(lname)
            lv = pd.locals[lname]
            if isinstance(linit, ir.Expr):
                pd.locals[lname] = ir.Var(lname, lty, "eq", linit, lv.span)
                continue
            saved, self.path = self.path, lv.span.file  # a procedure's local may come from another file
            try:
                kind, value = self._init(linit, lty, scope, lname)
            except Bail:
                continue
            finally:
                self.path = saved
            pd.locals[lname] = ir.Var(lname, lty, kind, value, lv.span)

    def _check_field_name(self, name: str, tok) -> None:
        # spec names are renamed in TLA+ when needed; a record field is part
        # of every value TLC prints, so it keeps its name and TLA+ must accept it
        if name in naming.TLA_RESERVED:
            self.err(f"cannot use '{name}' as a record field: '{name}' is a TLA+ reserved word", tok)

    def _init(self, init: lark.Tree, ty: Type, scope: Scope, what: str):
        value = self.expr(init.children[0], scope)
        if init.data == "init_eq":
            self._expect_assignable(ty, value, init.children[0], f"initial value of '{what}'")
            return "eq", value
        if not isinstance(value.type, SetType):
            self.err(f"'{what} in ...' needs a set of possible initial values, got {T.describe(value.type)}",
                     init.children[0])
            raise Bail
        if not T.assignable(ty, value.type.elem):
            self.err(f"initial values of '{what}' have type {T.describe(value.type.elem)}, "
                     f"but '{what}' is declared {T.describe(ty)}", init.children[0])
        return "in", value

    def _expect_assignable(self, ty: Type, value: ir.Expr, node, what: str) -> None:
        if not T.assignable(ty, value.type):
            self.err(f"type mismatch: {what} has type {T.describe(value.type)}, expected {T.describe(ty)}", node)

    # ------------------------------------------------------------------ defs
    def _def_parts(self, item):
        kids = _without_override(item)
        tok = kids[0]
        body = kids[-1]
        ret = kids[-2]
        params = [c for c in kids[1:-2] if isinstance(c, lark.Tree) and c.data == "param"]
        return tok, params, ret, body

    def _def_sig(self, item) -> None:
        tok, params, ret, _ = self._def_parts(item)
        self._new_name(str(tok), tok)
        ps = []
        seen = set()
        for p in params:
            ptok, pty = p.children
            if str(ptok) in seen:
                self.err(f"duplicate parameter '{ptok}'", ptok)
            seen.add(str(ptok))
            self._check_shadow(str(ptok), ptok, Scope("const"))
            try:
                ps.append(ir.Param(str(ptok), self.type_of(pty, Scope("const")), self.sp(ptok)))
            except Bail:
                ps.append(ir.Param(str(ptok), ANY, self.sp(ptok)))
        rt = self.type_of(ret, Scope("const")) if ret is not None else None
        self.def_sigs[str(tok)] = (tuple(ps), rt)

    def _def_body(self, item) -> None:
        tok, _, ret, body = self._def_parts(item)
        if str(tok) not in self.def_sigs:
            return
        params, rt = self.def_sigs[str(tok)]
        expr_tree = body.children[-1]
        scope = Scope("def", bound={p.name: p.type for p in params})
        scope, lets = self._let_lines([c for c in body.children[:-1]
                                       if isinstance(c, lark.Tree) and c.data == "let_line"], scope)
        value = self._wrap_lets(lets, self.expr(expr_tree, scope))
        if rt is not None:
            self._expect_assignable(rt, value, expr_tree, f"result of '{tok}'")
        else:
            rt = value.type
            self.def_sigs[str(tok)] = (params, rt)
        self.defs[str(tok)] = ir.Def(str(tok), params, rt, value, self.sp(tok))

    def _resolve_type_decl(self, name: str) -> None:
        """Check a ``type`` or ``variant`` declaration (once; a cycle is an error)."""
        entry = self._pending_types.pop(name, None)
        if entry is None:
            return
        item, path = entry
        saved, self.path = self.path, path
        self._resolving.add(name)
        try:
            if item.data == "variant_decl":
                self._variant_decl(item)
            else:
                try:
                    self.aliases[name] = self.type_of(item.children[1], Scope("const"))
                except Bail:
                    self.aliases[name] = ANY
        finally:
            self._resolving.discard(name)
            self.path = saved

    # ---------------------------------------------------------------- macros
    def _macro_decl(self, item) -> None:
        tok, *rest = [c for c in item.children if c is not None]
        block = rest[-1]
        self._new_name(str(tok), tok)
        params: list[tuple[str, Type]] = []
        for p in rest[:-1]:
            ptok, pty = p.children
            self._check_reserved(str(ptok), self.sp(ptok))
            if str(ptok) in (n for n, _ in params):
                self.err(f"parameter '{ptok}' is already defined", ptok)
            try:
                params.append((str(ptok), self.type_of(pty, Scope("const"))))
            except Bail:
                params.append((str(ptok), ANY))
        self.macros[str(tok)] = (params, block, self.path, self.sp(tok))

    def _macro_call(self, st, scope: Scope, pd: ProcDecl) -> tuple[ir.Stmt, bool]:
        """``m(a, b)``: the macro's statements, checked here, with each
        parameter a ``let`` of its argument (evaluated once, at the call)."""
        tok = st.children[0]
        name = str(tok)
        arg_trees = [a for a in st.children[1:] if a is not None]
        if name not in self.macros:
            what = ("a def computes a value: use it in an expression" if name in self.def_sigs else
                    f"undefined macro '{name}'")
            self.err(f"'{name}(...)' as a statement: {what}", tok)
            raise Bail
        if name in self._expanding:
            self.err(f"macro '{name}' calls itself (through {' -> '.join(self._expanding + [name])})", tok)
            raise Bail
        params, block, path, _ = self.macros[name]
        self.used.add("m:" + name)
        if any(a.data == "kwarg" for a in arg_trees) or len(arg_trees) != len(params):
            self.err(f"macro '{name}' takes {len(params)} positional argument{'s' if len(params) != 1 else ''}", st)
            raise Bail
        lets = []
        for (pname, pty), at in zip(params, arg_trees):
            v = self.expr(at.children[0], scope)
            if not T.assignable(pty, v.type):
                self.err(f"argument '{pname}' of macro '{name}' has type {T.describe(pty)}, "
                         f"got {T.describe(v.type)}", at)
            lets.append((pname, v))
        # the body sees the caller's state, locals and bound names, and its
        # parameters (which hide nothing: they are checked like binders)
        inner = scope.child({n: t for n, t in params})
        saved, self.path = self.path, path
        self._expanding.append(name)
        try:
            for pname, _ in params:
                if pname in scope.bound or pname in self.declared_at:
                    self.err(f"parameter '{pname}' of macro '{name}' hides a name the call site sees", tok)
                    raise Bail
            body, ends = self._block(block, inner, pd)
        finally:
            self._expanding.pop()
            self.path = saved
        scope.assigned, scope.updates = inner.assigned, inner.updates
        for pname, _ in params:
            _leave_binding(scope, inner, pname)
            inner = replace(inner, updates=scope.updates)
        span = self.sp(st)
        for pname, v in reversed(lets):
            body = (ir.Let(span, pname, v, body),)
        return (body[0] if len(body) == 1 else body), ends

    # -------------------------------------------------------------- variants
    def _variant_decl(self, item) -> None:
        tok = item.children[0]
        cases: list = []
        for c in item.children[1:]:
            if not isinstance(c, lark.Tree) or c.data != "variant_case":
                continue
            ctok, fields_t = c.children
            if any(t == str(ctok) for t, _ in cases):
                self.err(f"duplicate case '{ctok}' in variant '{tok}'", ctok)
                continue
            self._check_reserved(str(ctok), self.sp(ctok))
            fields: list = []
            for ft in (fields_t.children if fields_t is not None else ()):
                fn = str(ft.children[0])
                if fn == "tag":
                    self.err("'tag' is the field that names a variant's case; choose another field name",
                             ft.children[0])
                elif fn in (n for n, _ in fields):
                    self.err(f"duplicate field '{fn}'", ft.children[0])
                try:
                    fields.append((fn, self.type_of(ft.children[1], Scope("const"))))
                except Bail:
                    fields.append((fn, ANY))
            cases.append((str(ctok), tuple(sorted(fields))))
        self.variants[str(tok)] = VariantType(str(tok), tuple(cases))

    def _variant_value(self, vt: VariantType, ctok, kwarg_trees, scope: Scope, span, called: bool):
        """``Msg.Case(f=e, ...)`` (``Msg.Case`` for a case without fields)."""
        tag = str(ctok)
        fields = vt.case(tag)
        if fields is None:
            self.err(f"variant '{vt.name}' has no case '{tag}' (cases: {', '.join(t for t, _ in vt.cases)})", ctok)
            raise Bail
        if not called and fields:
            self.err(f"'{vt.name}.{tag}' has fields: write {vt.name}.{tag}("
                     + ", ".join(f"{n}=..." for n, _ in fields) + ")", ctok)
            raise Bail
        given: dict[str, ir.Expr] = {}
        for kw in kwarg_trees:
            if kw.data != "kwarg":
                self.err(f"'{vt.name}.{tag}(...)' takes field=value arguments", kw)
                raise Bail
            k = str(kw.children[0])
            ft = dict(fields).get(k)
            if ft is None:
                self.err(f"case '{vt.name}.{tag}' has no field '{k}'"
                         + (f" (fields: {', '.join(n for n, _ in fields)})" if fields else ""), kw)
                raise Bail
            if k in given:
                self.err(f"field '{k}' given twice", kw)
                raise Bail
            v = self.expr(kw.children[1], self._nontemporal(scope))
            self._expect_assignable(ft, v, kw.children[1], f"field '{k}' of '{vt.name}.{tag}'")
            given[k] = v
        missing = [n for n, _ in fields if n not in given]
        if missing:
            self.err(f"'{vt.name}.{tag}(...)' misses field{'s' if len(missing) > 1 else ''} "
                     + ", ".join(f"'{n}'" for n in missing), span)
            raise Bail
        return ir.VariantLit(span, vt, tag, tuple((n, given[n]) for n, _ in fields))

    def _case_ref(self, t) -> tuple[VariantType, str] | None:
        """``Msg.Case`` as the second argument of isinstance / a case pattern."""
        if t.data == "field" and t.children[0].data == "name":
            vn, ctok = str(t.children[0].children[0]), t.children[1]
            if vn in self.variants:
                vt = self.variants[vn]
                if vt.case(str(ctok)) is None:
                    self.err(f"variant '{vn}' has no case '{ctok}' (cases: {', '.join(c for c, _ in vt.cases)})",
                             ctok)
                    raise Bail
                return vt, str(ctok)
        return None

    def _match(self, st, scope: Scope, pd: ProcDecl) -> tuple[ir.Stmt, bool]:
        """``match e:`` with ``case Msg.A(f=x): ...`` clauses: an if/elif chain
        on the case, each body under lets binding the fields it names."""
        subject_t, *clauses = st.children
        subject = self.expr(subject_t, scope)
        vt = T.strip_optional(subject.type)
        if not isinstance(vt, VariantType):
            self.err(f"'match' needs a variant value, got {T.describe(subject.type)}", subject_t)
            raise Bail
        join = _Join(scope)
        branches: list = []
        orelse: tuple[ir.Stmt, ...] = ()
        all_end = True
        seen: set[str] = set()
        has_default = False
        for cl in clauses:
            pat, block = cl.children
            join.start(scope)
            if has_default:
                self.err("a 'case' after 'case _' is unreachable", pat)
                raise Bail
            if pat.data == "case_wildcard":
                if str(pat.children[0]) != "_":
                    self.err("a case pattern is 'Variant.Case(field=name, ...)' or '_'", pat)
                    raise Bail
                has_default = True
                orelse, ends = self._block(block, scope, pd)
            else:
                vtok, ctok, binds = pat.children
                if str(vtok) != vt.name:
                    self.err(f"the subject is a '{vt.name}', not a '{vtok}'", vtok)
                    raise Bail
                fields = vt.case(str(ctok))
                if fields is None:
                    self.err(f"variant '{vt.name}' has no case '{ctok}' "
                             f"(cases: {', '.join(c for c, _ in vt.cases)})", ctok)
                    raise Bail
                if str(ctok) in seen:
                    self.err(f"case '{vt.name}.{ctok}' is already matched above", ctok)
                    raise Bail
                seen.add(str(ctok))
                lets = []
                bound: dict[str, Type] = {}
                for b in (binds.children if binds is not None else ()):
                    if b is None:
                        continue
                    ftok, ntok = b.children
                    ft = dict(fields).get(str(ftok))
                    if ft is None:
                        self.err(f"case '{vt.name}.{ctok}' has no field '{ftok}'", ftok)
                        raise Bail
                    self._check_shadow(str(ntok), ntok, scope.child(bound))
                    bound[str(ntok)] = ft
                    lets.append((str(ntok), ir.Field(self.sp(b), ft, subject, str(ftok)), self.sp(b)))
                inner = scope.child(bound)
                body, ends = self._block(block, inner, pd)
                for name in bound:
                    _leave_binding(scope, inner, name)
                    inner = replace(inner, updates=scope.updates)
                if not bound:
                    scope.assigned, scope.updates = inner.assigned, inner.updates
                for name, value, span in reversed(lets):
                    body = (ir.Let(span, name, value, body),)
                branches.append((ir.IsCase(self.sp(pat), BOOL, subject, str(ctok)), body))
            join.end(scope)
            all_end = all_end and ends
        if not has_default:
            all_end = False
            join.start(scope)  # no clause matches: nothing happens
            join.end(scope)
        join.done(scope)
        if not branches:
            return (ir.If(self.sp(st), ((ir.Lit(self.sp(st), BOOL, True), orelse),), ()), all_end)
        return ir.If(self.sp(st), tuple(branches), orelse), all_end

    # ------------------------------------------------------------- processes
    def _proc_parts(self, item):
        fairness = None
        kids = []
        for c in item.children:
            if isinstance(c, lark.Tree) and c.data == "override":
                continue
            if isinstance(c, lark.Tree) and c.data in _FAIRNESS:
                fairness = _FAIRNESS[c.data]
                if fairness == "unfair":
                    self.err("'unfair' applies to a step of a fair process (PlusCal's 'label:-')", c)
                    fairness = None
                continue
            kids.append(c)
        tok, index = kids[0], kids[1]
        rest = kids[2:]
        doc = ""
        if rest and isinstance(rest[0], lark.Tree) and rest[0].data == "docstring":
            doc = _string_value(rest[0].children[0])
            rest = rest[1:]
        locals_ = [c for c in rest if c.data == "local_decl"]
        body = [c for c in rest if c.data in _LOOP_ITEMS]
        return tok, fairness, index, doc, locals_, body

    def _proc_decl(self, item) -> None:
        tok, fairness, index, doc, locals_, body = self._proc_parts(item)
        name = str(tok)
        self._new_name(name, tok)
        index_name = None
        index_type = None
        if index is not None:
            itok, iset = index.children
            index_name = str(itok)
            if index_name != "self":
                self.err("the index of a process is written 'self' (process p(self in S))", itok)
            try:
                dom = self.expr(iset, Scope("const"))
            except Bail:  # reported; the process still exists for its uses
                dom = ir.SetLit(self.sp(iset), SetType(ANY), ())
            if isinstance(dom.type, AnyType):
                dom = ir.SetLit(self.sp(iset), SetType(ANY), ())
            if not isinstance(dom.type, SetType):
                self.err(f"process index set must be a set, got {T.describe(dom.type)}", iset)
                raise Bail
            index_type = dom.type.elem
        labels: dict[str, Span] = {}

        def claim(ltok) -> None:
            if str(ltok) == ir.DONE:
                self.err(f"'{ir.DONE}' is the label of a finished process; choose another label", ltok)
            elif str(ltok) in labels:
                self.err(f"label '{ltok}' is already used at {self._at(labels[str(ltok)])}", ltok)
            else:
                labels[str(ltok)] = self.sp(ltok)
                self._check_reserved(str(ltok), self.sp(ltok))

        def collect(items):
            for it in items:
                if not isinstance(it, lark.Tree):
                    continue
                if it.data in ("step", "labelled_while"):
                    claim(_label_token(it))
                if it.data in ("while_loop", "labelled_while"):
                    collect(it.children[1:])

        collect(body)
        pd = ProcDecl(name, index_name, index_type, {}, labels, self.sp(tok), dom if index is not None else None)
        self.procs[name] = pd
        for ld in locals_:
            ltok, lty_tree, linit = ld.children
            lname = str(ltok)
            self._check_reserved(lname, self.sp(ltok))
            if lname in pd.locals:
                self.err(f"local '{lname}' is already defined at {self._at(pd.locals[lname].span)}", ltok)
                continue
            if lname in self.vars or lname in self.consts:
                self.err(f"local '{lname}' shadows the {'variable' if lname in self.vars else 'constant'} "
                         f"defined at {self._at(self.declared_at.get(lname))}", ltok)
            try:
                lty = self.type_of(lty_tree, Scope("const"))
            except Bail:
                lty = ANY
            # the initial value is checked in phase "inits"
            pd.locals[lname] = ir.Var(lname, lty, "eq", ir.Lit(self.sp(ltok), lty, 0), self.sp(ltok))
            if lty is not ANY:
                pd.local_inits[lname] = (linit, lty)
        self._attach_procedures(pd, body)

    def _build_controls(self, items, after: ir.Control, pd: ProcDecl, fall: dict, whiles: dict) -> ir.Control:
        """The control of each step of ``items`` (built back to front: each
        falls through to the one after it, the last to ``after``): into
        ``fall`` (step -> its fallthrough) and ``whiles`` (labelled while ->
        exit, first of body, condition tree, leading statements)."""
        nxt = after
        for it in reversed(items):
            if it.data == "step":
                fall[id(it)] = nxt
                ltok = [c for c in it.children if isinstance(c, lark.Token)][0]
                nxt = ir.Jump(str(ltok))
            elif it.data == "labelled_while":
                head = ir.Jump(str(_label_token(it)))
                kids = [c for c in it.children if isinstance(c, lark.Tree) and c.data not in _FAIRNESS]
                cond_tree, inner = kids[0], kids[1:]
                n_lead = next((i for i, c in enumerate(inner) if c.data in _LOOP_ITEMS), len(inner))
                rest = inner[n_lead:]
                stray = next((c for c in rest if c.data not in _LOOP_ITEMS), None)
                if stray is not None:
                    self.err("a statement after a labelled step of a loop belongs to a step: "
                             "label it, or move it into the step above", stray)
                    raise Bail
                whiles[id(it)] = (nxt, self._build_controls(rest, head, pd, fall, whiles) if rest else head,
                                  cond_tree, inner[:n_lead])
                nxt = head
            else:
                cond_tree = it.children[0]
                inner = it.children[1:]
                if not inner or inner[0].data not in ("step", "labelled_while"):
                    self.err("the body of a 'while' must start with a labelled step", it)
                    raise Bail
                first = ir.Jump(str(_label_token(inner[0])))
                cond = self.expr(cond_tree, Scope("step", proc_decl=pd))
                self._expect_bool(cond, cond_tree, "a 'while' condition")
                if isinstance(cond, ir.Lit) and cond.value is True:
                    head: ir.Control = first
                else:
                    head = ir.Loop(cond, first, nxt)
                self._build_controls(inner, head, pd, fall, whiles)
                nxt = head
        return nxt

    def _walk_steps(self, items, pd: ProcDecl, proc_stub: ir.Process, fall: dict, whiles: dict,
                    steps: list, targets: list) -> None:
        for it in items:
            if it.data == "step":
                steps.append(self._step(it, pd, proc_stub, fall[id(it)], targets))
            elif it.data == "labelled_while":
                steps.append(self._while_step(it, pd, proc_stub, whiles[id(it)]))
                self._walk_steps([c for c in it.children if isinstance(c, lark.Tree) and c.data in _LOOP_ITEMS],
                                 pd, proc_stub, fall, whiles, steps, targets)
            elif it.data == "while_loop":
                self._walk_steps(it.children[1:], pd, proc_stub, fall, whiles, steps, targets)

    def _process(self, item) -> None:
        tok, fairness, index, doc, locals_, body = self._proc_parts(item)
        pd = self.procs.get(str(tok))
        if pd is None:
            return
        self._goto_edges, self._goto_only = [], set()
        steps: list[ir.Step] = []
        targets: list[tuple[str, Span]] = []  # gotos, for reachability
        fall: dict[int, ir.Control] = {}
        whiles: dict[int, tuple] = {}  # labelled while -> (exit, first of body, cond tree, leading stmts)
        own = self._own_view(pd)
        start = self._build_controls(body, ir.Jump(ir.DONE), own, fall, whiles)
        bodies = self._procedure_controls(pd, fall, whiles)
        self._find_call_sites(pd, body, bodies, fall, whiles)
        proc_stub = ir.Process(pd.name, pd.index, None, tuple(pd.locals.values()), (), start,
                               fairness, doc, pd.span)
        self._walk_steps(body, own, proc_stub, fall, whiles, steps, targets)
        self._procedure_steps(pd, bodies, proc_stub, fall, whiles, steps, targets)
        index_set = None
        if index is not None:
            index_set = pd.index_set
        # Reachability of labels: from the start and every fallthrough/goto.
        reach: set[str] = set()

        def entry_labels(c: ir.Control):
            if isinstance(c, ir.Jump):
                yield c.label
            else:
                yield from entry_labels(c.enter)
                yield from entry_labels(c.exit)

        edges: dict[str, set[str]] = {s.label: set() if s.label in self._goto_only
                                      else set(entry_labels(s.fallthrough)) for s in steps}
        for src, tgt in self._goto_edges:
            edges.setdefault(src, set()).update(tgt)
        todo = list(entry_labels(start))
        while todo:
            lab = todo.pop()
            if lab in reach:
                continue
            reach.add(lab)
            todo.extend(edges.get(lab, ()))
        for s in steps:
            if s.label not in reach:
                self._pending_warnings.append((f"step '{s.label}' of process '{pd.name}' is unreachable", s.span))
        self._goto_edges = []
        self._goto_only = set()
        self.processes[pd.name] = ir.Process(pd.name, pd.index, index_set, tuple(pd.locals.values()),
                                             tuple(steps), start, fairness, doc, pd.span)

    _goto_edges: list = []

    # --------------------------------------------------------------- actions
    # An action is a named, parameterised atomic step without a program
    # counter (TLA+'s action operators).  It is checked and exported as a
    # process with one step that loops to itself, one instance per tuple of
    # parameters; ``Process.params`` tells the backends to show it as an
    # action (no pc in states, TLA+ or traces).
    def _action_parts(self, item):
        fairness = None
        kids = []
        for c in item.children:
            if isinstance(c, lark.Tree) and c.data == "override":
                continue
            if isinstance(c, lark.Tree) and c.data in _FAIRNESS:
                fairness = _FAIRNESS[c.data]
                if fairness == "unfair":
                    self.err("'unfair' applies to a step of a fair process (PlusCal's 'label:-')", c)
                    fairness = None
                continue
            kids.append(c)
        tok, params, block = kids
        return tok, fairness, params, block

    def _action_decl(self, item) -> None:
        tok, fairness, params, block = self._action_parts(item)
        name = str(tok)
        self._new_name(name, tok)
        span = self.sp(tok)
        index_type = index_set = None
        names: tuple[str, ...] = ()
        if params is not None:
            try:
                binders, bound = self._binders(params.children, Scope("const"))
            except Bail:  # reported; the action still exists for its uses
                binders = []
            names = tuple(b.name for b in binders)
            for b in binders:
                self._check_reserved(b.name, b.span)
            if len(binders) == 1:
                index_set, index_type = binders[0].domain, bound[names[0]]
            elif binders:
                index_type = TupleType(tuple(bound[n] for n in names))
                elem = ir.TupleLit(span, index_type, tuple(ir.BoundRef(b.span, bound[b.name], b.name)
                                                           for b in binders))
                index_set = ir.SetComp(span, SetType(index_type), elem, tuple(binders), None)
        pd = ProcDecl(name, "self" if index_set is not None else None, index_type, {}, {name: span}, span,
                      index_set, params=names)
        self.procs[name] = pd

    def _action(self, item) -> None:
        tok, fairness, params, block = self._action_parts(item)
        pd = self.procs.get(str(tok))
        if pd is None:
            return
        doc = ""
        docs = [c for c in block.children if isinstance(c, lark.Tree) and c.data == "docstring"]
        if docs:
            doc = _string_value(docs[0].children[0])
        self._goto_edges, self._goto_only = [], set()
        self._cur_label = pd.name
        again = ir.Jump(pd.name)
        body, _ = self._block(block, Scope("step", proc_decl=pd), pd)
        step = ir.Step(pd.name, pd.name, body, again, None, pd.span)
        self.processes[pd.name] = ir.Process(pd.name, pd.index, pd.index_set, (), (step,), again,
                                             fairness, doc, pd.span, params=pd.params)

    def _while_step(self, it, pd: ProcDecl, proc: ir.Process, info) -> ir.Step:
        """Step ``l`` of ``l: while c:`` (PlusCal's labelled while): it tests
        ``c``; when it holds it runs the statements before the body's first
        label and goes to that label (or back to ``l``), else it leaves the loop."""
        exit_ctl, inner_ctl, cond_tree, lead = info
        fairness = next((_FAIRNESS[c.data] for c in it.children
                         if isinstance(c, lark.Tree) and c.data in _FAIRNESS), None)
        if fairness == "unfair" and proc.fairness is None:
            self.err(f"'unfair' leaves a step out of its process's fairness, and process '{pd.name}' "
                     f"is not fair", it)
        ltok = _label_token(it)
        span = self.sp(ltok)
        scope = Scope("step", proc_decl=pd)
        self._cur_label = str(ltok)
        cond = self.expr(cond_tree, scope)
        self._expect_bool(cond, cond_tree, "a 'while' condition")
        body, ends = self._stmts(lead, scope, pd)
        then = body if ends else body + (ir.Goto(span, inner_ctl),)
        stmt = ir.If(span, ((cond, then),), (ir.Goto(span, exit_ctl),))
        self._goto_only.add(str(ltok))
        self._goto_edges.append((str(ltok), set(_control_labels(inner_ctl)) | set(_control_labels(exit_ctl))))
        return ir.Step(pd.name, str(ltok), (stmt,), exit_ctl, fairness, span, loop_cond=cond)

    def _step(self, it, pd: ProcDecl, proc: ir.Process, fallthrough, targets) -> ir.Step:
        fairness = next((_FAIRNESS[c.data] for c in it.children
                         if isinstance(c, lark.Tree) and c.data in _FAIRNESS), None)
        if fairness == "unfair" and proc.fairness is None:
            self.err(f"'unfair' leaves a step out of its process's fairness, and process '{pd.name}' "
                     f"is not fair", it)
        ltok = [c for c in it.children if isinstance(c, lark.Token)][0]
        block = it.children[-1]
        scope = Scope("step", proc_decl=pd)
        self._cur_label = str(ltok)
        body, ends = self._block(block, scope, pd)
        if ends:  # always leaves by 'goto': never falls through
            self._goto_only.add(str(ltok))
        return ir.Step(pd.name, str(ltok), body, fallthrough, fairness, self.sp(ltok))

    def _block(self, block: lark.Tree, scope: Scope, pd: ProcDecl) -> tuple[tuple[ir.Stmt, ...], bool]:
        """Check a block; returns its statements and whether it always ends in goto."""
        return self._stmts([st for st in block.children
                            if not (isinstance(st, lark.Tree) and st.data == "docstring")], scope, pd)

    def _stmts(self, stmts: list, scope: Scope, pd: ProcDecl) -> tuple[tuple[ir.Stmt, ...], bool]:
        out: list[ir.Stmt] = []
        ended = False
        for i, st in enumerate(stmts):
            if ended:
                self.err("statement after 'goto' is unreachable", st)
                break
            if st.data == "let_stmt":
                # the name is bound in the rest of the block: it is the let's body
                try:
                    s, ends = self._let(st, stmts[i + 1:], scope, pd)
                except Bail:
                    break
                out.append(s)
                ended = ends
                break
            try:
                s, ends = self._stmt(st, scope, pd)
            except Bail:
                continue
            except RecursionError:
                self.err("expression nested too deeply", st)
                continue
            if isinstance(s, tuple):  # an inlined macro without parameters
                out.extend(s)
            else:
                out.append(s)
            ended = ended or ends
        return tuple(out), ended

    def _stmt(self, st: lark.Tree, scope: Scope, pd: ProcDecl) -> tuple[ir.Stmt, bool]:
        d = st.data
        span = self.sp(st)
        if d == "pass_stmt":
            return ir.Skip(span), False
        if d == "await_stmt":
            cond = self.expr(st.children[0], scope)
            self._expect_bool(cond, st.children[0], "the condition of 'await'")
            return ir.Await(span, cond), False
        if d == "goto_stmt":
            tok = st.children[0]
            if pd.params is not None:
                self.err(f"'goto' in action '{pd.name}': an action has no labels; it may fire again "
                         f"whenever it is enabled", st)
                raise Bail
            if str(tok) != ir.DONE and str(tok) not in pd.labels:
                self.err(f"'goto {tok}': process '{pd.name}' has no label '{tok}'", tok)
                raise Bail
            self._goto_edges.append((self._cur_label, {str(tok)}))
            return ir.Goto(span, ir.Jump(str(tok))), True
        if d == "assign":
            return self._assign(st, scope, pd), False
        if d == "if_stmt":
            branches = []
            conds = [(st.children[0], st.children[1])]
            orelse_tree = None
            for c in st.children[2:]:
                if c is None:
                    continue
                if c.data == "elif_clause":
                    conds.append((c.children[0], c.children[1]))
                else:
                    orelse_tree = c.children[0]
            join = _Join(scope)
            all_end = True
            for ct, bt in conds:
                cond = self.expr(ct, scope)
                self._expect_bool(cond, ct, "an 'if' condition")
                join.start(scope)
                body, ends = self._block(bt, scope, pd)
                join.end(scope)
                all_end = all_end and ends
                branches.append((cond, body))
            orelse: tuple[ir.Stmt, ...] = ()
            join.start(scope)
            if orelse_tree is not None:
                orelse, ends = self._block(orelse_tree, scope, pd)
                all_end = all_end and ends
            else:
                all_end = False
            join.end(scope)
            join.done(scope)
            return ir.If(span, tuple(branches), orelse), all_end
        if d == "either_stmt":
            join = _Join(scope)
            blocks = [st.children[0]] + [c.children[0] for c in st.children[1:]]
            branches = []
            all_end = True
            for bt in blocks:
                join.start(scope)
                body, ends = self._block(bt, scope, pd)
                join.end(scope)
                all_end = all_end and ends
                branches.append(body)
            join.done(scope)
            return ir.Either(span, tuple(branches)), all_end
        if d == "match_stmt":
            return self._match(st, scope, pd)
        if d == "call_stmt":
            return self._macro_call(st, scope, pd)
        if d == "proc_call_stmt":
            return self._proc_call(st, scope, pd)
        if d == "return_stmt":
            return self._return(st, scope, pd)
        if d == "any_stmt":
            tok, dom_tree, cond_tree, bt = st.children
            dom = self._seq_elements(self.expr(dom_tree, scope))
            if not isinstance(dom.type, SetType):
                self.err(f"'any {tok} in ...' needs a set or a sequence, got {T.describe(dom.type)}", dom_tree)
                raise Bail
            name = str(tok)
            self._check_shadow(name, tok, scope)
            inner = scope.child({name: dom.type.elem})
            cond = None
            if cond_tree is not None:
                cond = self.expr(cond_tree, inner)
                self._expect_bool(cond, cond_tree, "an 'any ... if' condition")
            body, ends = self._block(bt, inner, pd)
            _leave_binding(scope, inner, name)
            return ir.AnyStmt(span, ir.Binder(name, dom, self.sp(tok)), cond, body), ends
        self.err(f"unexpected statement {d}", st)
        raise Bail

    def _let(self, st, rest: list, scope: Scope, pd: ProcDecl) -> tuple[ir.Let, bool]:
        tok, value_tree = st.children
        name = str(tok)
        self._check_shadow(name, tok, scope)
        try:
            value = self.expr(value_tree, scope)
        except Bail:
            # reported; the rest is still checked (with the name known), then dropped
            inner = scope.child({name: ANY})
            self._stmts(rest, inner, pd)
            raise
        inner = scope.child({name: value.type})
        body, ends = self._stmts(rest, inner, pd)
        _leave_binding(scope, inner, name)
        return ir.Let(self.sp(st), name, value, body), ends

    def _let_lines(self, lines: list, scope: Scope) -> tuple[Scope, list[tuple[lark.Tree, str, ir.Expr]]]:
        """``let name = value`` lines before a def's result or a property:
        each name is bound in the lines after it and in the result."""
        out = []
        for line in lines:
            tok, value_tree = line.children
            self._check_shadow(str(tok), tok, scope)
            value = self.expr(value_tree, scope)
            scope = scope.child({str(tok): value.type})
            out.append((line, str(tok), value))
        return scope, out

    def _wrap_lets(self, lets: list, body: ir.Expr) -> ir.Expr:
        for line, name, value in reversed(lets):
            body = ir.LetIn(self.sp(line), body.type, name, value, body)
        return body

    def _assign(self, st, scope: Scope, pd: ProcDecl) -> ir.Assign:
        target, value_tree = st.children
        path_trees = []
        t = target
        while t.data != "target_name":
            path_trees.append(t)
            t = t.children[0]
        path_trees.reverse()
        tok = t.children[0]
        name = str(tok)
        if name in scope.bound:
            self.err(f"cannot assign to '{name}': it is bound by a quantifier or 'any'", tok)
            raise Bail
        if name in pd.locals:
            real = pd.locals[name].name  # a procedure's local may be renamed in its process
            root: ir.VarRef | ir.LocalRef = ir.LocalRef(self.sp(tok), pd.locals[name].type, pd.name, real)
            key = "l:" + real
        elif name in self.vars:
            root = ir.VarRef(self.sp(tok), self.vars[name].type, name)
            key = "v:" + name
        elif name in self.consts:
            self.err(f"cannot assign to constant '{name}'", tok)
            raise Bail
        elif name == "self":
            self.err("cannot assign to 'self'", tok)
            raise Bail
        elif name in self.defs or name in self.def_sigs:
            self.err(f"cannot assign to '{name}': it is a def, not a variable", tok)
            raise Bail
        elif name in self.procs:
            self.err(f"a step assigns the variables and its own process's locals only; '{name}' is a "
                     f"process, and the locals of another process (or instance) cannot be assigned", tok)
            raise Bail
        else:
            self.err(f"undefined variable '{name}'", tok)
            raise Bail
        ty = root.type
        path: list[ir.Expr] = []
        for pt in path_trees:
            if pt.data == "target_index":
                key_e = self.expr(pt.children[1], scope)
                base = T.strip_optional(ty)
                if isinstance(base, MapType):
                    if not T.assignable(base.key, T.strip_optional(key_e.type)):  # none: "key not in map" at run time
                        self.err(f"key of type {T.describe(key_e.type)} does not fit map {T.describe(base)}",
                                 pt.children[1])
                    ty = base.value
                elif isinstance(base, SeqType):
                    if not T.is_int(key_e.type):
                        self.err("sequence index must be an int", pt.children[1])
                    ty = base.elem
                else:
                    self.err(f"cannot index into {T.describe(ty)}", pt)
                    raise Bail
                path.append(ir.Index(self.sp(pt), ty, None, key_e))
            else:
                fname = str(pt.children[1])
                base = T.strip_optional(ty)
                if not isinstance(base, RecordType) or base.field_type(fname) is None:
                    self.err(f"{T.describe(ty)} has no field '{fname}'", pt.children[1])
                    raise Bail
                ty = base.field_type(fname)
                path.append(ir.Field(self.sp(pt), ty, None, fname))
        value = self.expr(value_tree, scope)
        self._expect_assignable(ty, value, value_tree, f"the value assigned to '{name}'")
        # Several updates of one variable in a step are fine at different
        # places (m[p] = ... and m[q] = ...); two that hit the same place
        # whenever both run are refused here, the others checked at run time
        # (docs/semantics.md).
        if any(u.root == key and self._same_place(u, path, scope) for u in scope.updates):
            self.err(f"'{name}' is assigned twice in step '{self._cur_label}' "
                     f"(combine the updates into one assignment)", tok)
        bound = frozenset(e.name for e in walk.iter_exprs(tuple(path)) if isinstance(e, ir.BoundRef))
        scope.updates.append(Update(key, tuple(path), len(scope.log), bound))
        scope.log.append(key)
        scope.assigned.add(key)
        return ir.Assign(self.sp(st), root, tuple(path), value)

    def _same_place(self, u: Update, path: list[ir.Expr], scope: Scope) -> bool:
        """Does the update ``u`` certainly hit the place ``path`` assigns, or
        a place inside or around it (one path a prefix of the other, with
        the same fields and keys that read nothing assigned since ``u``)?"""
        changed = set(scope.log[u.log_pos:])
        for a, b in zip(u.path, path):
            if isinstance(a, ir.Field) or isinstance(b, ir.Field):
                if not (isinstance(a, ir.Field) and isinstance(b, ir.Field) and a.name == b.name):
                    return False
                continue
            if a.key != b.key:
                return False
            for e in walk.iter_exprs(a.key):
                if isinstance(e, ir.VarRef) and "v:" + e.name in changed:
                    return False
                if isinstance(e, ir.LocalRef) and "l:" + e.name in changed:
                    return False
        return True

    def _check_shadow(self, name: str, tok, scope: Scope) -> None:
        """A bound name may not hide another name: TLA+ forbids it, and a
        reader would not know which one is meant."""
        self._check_reserved(name, self.sp(tok))
        if name == "self":
            self.err("'self' cannot be rebound", tok)
        elif name in scope.bound:
            self.err(f"'{name}' is already bound in this expression; choose another name", tok)
        elif scope.proc_decl is not None and name in (scope.proc_decl.params or ()):
            self.err(f"'{name}' hides a parameter of action '{scope.proc_decl.name}'; choose another name", tok)
        elif name in self.declared_at:
            self.err(f"'{name}' hides the declaration at {self._at(self.declared_at[name])}; choose another name", tok)

    # ------------------------------------------------------------ properties
    def _property(self, item) -> None:
        tok, body = _without_override(item)
        name = str(tok)
        self._new_name(name, tok)
        doc = ""
        kids = body.children
        if len(kids) >= 2 and isinstance(kids[0], lark.Tree) and kids[0].data == "docstring":
            doc = _string_value(kids[0].children[0])
        expr_tree = kids[-1]
        kind = {"invariant_decl": "invariant", "action_decl": "action", "temporal_decl": "temporal"}[item.data]
        self.broken.add(name)  # until it checks: no cascade of "unknown property"
        scope = Scope(kind, allow_temporal=(kind == "temporal"))
        lines = [k for k in kids[:-1] if isinstance(k, lark.Tree) and k.data == "let_line"]
        if lines and kind == "temporal":
            self.err("'let' is not allowed in a temporal property (write the predicate as a def)", lines[0])
            raise Bail
        scope, lets = self._let_lines(lines, scope)
        e = self._wrap_lets(lets, self.expr(expr_tree, scope))
        self._expect_bool(e, expr_tree, f"{kind} '{name}'")
        if kind == "temporal":
            self._check_temporal_shape(e, expr_tree)
        self.properties[name] = ir.Property(name, kind, e, doc, self.sp(tok))
        self.broken.discard(name)

    def _check_temporal_shape(self, e: ir.Expr, node) -> None:
        """Temporal properties are conjunctions (possibly under forall over
        constant sets) of the shapes :mod:`pyspec.ir.temporal` lists; the
        error points at the first conjunct of another shape."""
        bad = temporal.unsupported(e)
        if bad is not None:
            what = ": a state predicate alone (did you mean 'always P'?)" if temporal.is_state(bad) else ""
            self.err(f"unsupported temporal formula{what}; supported forms are {temporal.SUPPORTED}", bad.span)

    # ----------------------------------------------------------------- models
    def _model(self, item, into: dict) -> None:
        kids = list(item.children)
        tok, parent_tok = kids[0], kids[1]
        rest = kids[2:]
        doc = ""
        if rest and isinstance(rest[0], lark.Tree) and rest[0].data == "docstring":
            doc = _string_value(rest[0].children[0])
            rest = rest[1:]
        name = str(tok)
        bindings: dict[str, ir.Expr] = {}
        checks: dict[str, ir.Check] = {}
        symmetry: tuple[str, ...] = ()
        constraint = None
        deadlock = "holds"
        overrides: dict[str, ir.Def] = {}
        if parent_tok is not None:
            pname = str(parent_tok)
            parent = None
            if pname == name or pname in self._model_stack:
                cycle = self._model_stack[self._model_stack.index(pname):] if pname != name else []
                self.err(f"model '{name}' extends itself" if pname == name else
                         "models extend each other in a cycle: " + " -> ".join(cycle + [name, pname]),
                         parent_tok)
            else:
                self._model_stack.append(name)
                try:
                    parent = self.models.get(pname) or self._base_model(pname)
                finally:
                    self._model_stack.pop()
                if parent is None and pname in self._root_models:
                    self.err(f"model '{name}' extends model '{pname}', which is defined after it "
                             f"(define '{pname}' first)", parent_tok)
                elif parent is None:
                    self.err(f"model '{name}' extends unknown model '{parent_tok}'", parent_tok)
            if parent is not None:
                defaults = {c.name: c.default for c in self.consts.values()}
                for cname, value in parent.constants:
                    if defaults.get(cname) is not value:
                        bindings[cname] = value
                checks = {c.property: c for c in parent.checks}
                symmetry, constraint, deadlock = parent.symmetry, parent.constraint, parent.deadlock
                overrides.update({d.name: d for d in parent.defs})
        seen_bind: dict[str, Span] = {}
        for it in rest:
            d = it.data
            if d == "binding":
                ctok, vt = it.children
                cname = str(ctok)
                if cname in seen_bind:
                    self.err(f"constant '{cname}' is bound twice in model '{name}'", ctok)
                    continue
                seen_bind[cname] = self.sp(ctok)
                if cname not in self.consts:
                    what = "a variable" if cname in self.vars else "not a constant of this spec"
                    self.err(f"model '{name}' binds '{cname}', which is {what}", ctok)
                    continue
                try:
                    v = self.expr(vt, Scope("model"))
                except Bail:
                    continue
                cty = self.consts[cname].type
                if not T.assignable(cty, v.type):
                    self.err(f"model '{name}' binds constant '{cname}' of type {T.describe(cty)} "
                             f"to a value of type {T.describe(v.type)}", vt)
                    continue
                bindings[cname] = v
            elif d == "symmetry":
                syms = []
                for s in it.children:
                    c = self.consts.get(str(s))
                    if c is None:
                        self.err(f"symmetry set '{s}' is not a constant", s)
                    elif not (isinstance(c.type, SetType) and isinstance(c.type.elem, SortType)):
                        self.err(f"symmetry set '{s}' must be a set of model values (a set of a sort), "
                                 f"not {T.describe(c.type)}", s)
                    else:
                        syms.append(str(s))
                symmetry = tuple(syms)
            elif d == "constraint":
                try:
                    constraint = self.expr(it.children[0], Scope("constraint"))
                    self._expect_bool(constraint, it.children[0], "a state constraint")
                except Bail:
                    pass
            elif d == "check":
                ptok, otok = it.children
                pname = str(ptok)
                outcome = str(otok) if otok is not None else "holds"
                if outcome not in ("holds", "violated"):
                    self.err(f"expected outcome must be 'holds' or 'violated', not '{otok}'", otok)
                    continue
                if pname in self.broken:
                    continue
                if pname not in self.properties:
                    self.err(f"model '{name}' checks unknown property '{pname}'", ptok)
                    continue
                checks[pname] = ir.Check(pname, outcome, self.sp(ptok))
            elif d == "def_decl":
                dv = self._model_def(it, name)
                if dv is not None:
                    overrides[dv.name] = dv
            elif d == "deadlock":
                v = str(it.children[0])
                if v not in ("holds", "violated", "ignore"):
                    self.err(f"'deadlock:' takes 'holds', 'violated' or 'ignore', not '{v}'", it.children[0])
                    continue
                deadlock = v
        constants = []
        for c in self.consts.values():
            if c.name in bindings:
                constants.append((c.name, bindings[c.name]))
            elif c.default is not None:
                constants.append((c.name, c.default))
            elif c.name not in self.broken_consts:
                self.err(f"model '{name}' does not bind constant '{c.name}', which has no default", tok)
        # Symmetry needs a symmetric model: a symmetry set must be bound to a
        # set literal of distinct model values of its sort.
        for s in symmetry:
            v = dict(constants).get(s)
            if v is not None and not (isinstance(v, ir.SetLit) and all(isinstance(x, ir.SortValue) for x in v.elems)):
                self.err(f"symmetry set '{s}' must be bound to a set literal of model values in model '{name}'", tok)
        into[name] = ir.Model(name, tuple(constants), tuple(checks.values()), symmetry, constraint,
                              deadlock, doc, self.sp(tok), tuple(overrides.values()))

    def _model_def(self, item, model: str) -> ir.Def | None:
        """``def f(...)`` inside a model: replaces the spec's def ``f`` in
        this model (TLC's ``f <- MC_f``); same parameters and result type."""
        tok, params_t, ret_t, body = self._def_parts(item)
        fname = str(tok)
        if any(isinstance(c, lark.Tree) and c.data == "override" for c in item.children):
            self.err("a def in a model replaces the spec's def of that name: drop 'override'", tok)
            return None
        if fname not in self.defs:
            self.err(f"model '{model}' replaces def '{fname}', which the spec does not define"
                     + ("" if fname not in self.def_sigs else " (or which has errors)"), tok)
            return None
        orig = self.defs[fname]
        try:
            params = [ir.Param(str(p.children[0]), self.type_of(p.children[1], Scope("const")), self.sp(p))
                      for p in params_t]
            rt = self.type_of(ret_t, Scope("const")) if ret_t is not None else orig.result
        except Bail:
            return None
        if [p.type for p in params] != [p.type for p in orig.params] or rt != orig.result:
            sig = ", ".join(f"{p.name}: {T.describe(p.type)}" for p in orig.params)
            self.err(f"the replacement of '{fname}' in model '{model}' must have its signature "
                     f"({sig}) -> {T.describe(orig.result)}", tok)
            return None
        scope = Scope("def", bound={p.name: p.type for p in params})
        try:
            scope, lets = self._let_lines([c for c in body.children[:-1]
                                           if isinstance(c, lark.Tree) and c.data == "let_line"], scope)
            value = self._wrap_lets(lets, self.expr(body.children[-1], scope))
        except Bail:
            return None
        self._expect_assignable(rt, value, body.children[-1], f"result of '{fname}' in model '{model}'")
        return ir.Def(fname, tuple(params), rt, value, self.sp(tok))

    def _base_model(self, name: str) -> ir.Model | None:
        for unit, item in self._base_model_items:
            if str(item.children[0]) == name:
                saved = self.path
                self.path = unit.path
                tmp: dict = {}
                try:
                    self._model(item, tmp)
                finally:
                    self.path = saved
                return tmp.get(name)
        return None

    # ------------------------------------------------------------------ types
    def type_of(self, t: lark.Tree, scope: Scope) -> Type:
        d = t.data
        if d == "named_type":
            n = str(t.children[0])
            simple = {"bool": BOOL, "int": INT, "str": STR}
            if n in simple:
                return simple[n]
            if n in self.sorts:
                return SortType(n)
            if n in self.enums:
                return EnumType(n, self.enums[n].values)
            if n in self._resolving:
                self.err(f"type '{n}' is defined in terms of itself (types cannot be recursive)", t)
                raise Bail
            if n in self._pending_types:
                self._resolve_type_decl(n)
            if n in self.aliases:
                return self.aliases[n]
            if n in self.variants:
                return self.variants[n]
            if n in ("set", "map", "seq", "tuple", "optional"):
                self.err(f"'{n}' needs type arguments, e.g. {n}[int]", t)
            else:
                self.err(f"unknown type '{n}'", t)
            raise Bail
        if d == "generic_type":
            n = str(t.children[0])
            args = [self.type_of(a, scope) for a in t.children[1:]]
            arity = {"set": 1, "seq": 1, "optional": 1, "map": 2}
            if n in arity:
                if len(args) != arity[n]:
                    self.err(f"'{n}' takes {arity[n]} type argument{'s' if arity[n] > 1 else ''}, got {len(args)}", t)
                    raise Bail
                if n == "set":
                    return SetType(args[0])
                if n == "seq":
                    return SeqType(args[0])
                if n == "optional":
                    return OptionalType(args[0])
                return MapType(args[0], args[1])
            if n == "tuple":
                return TupleType(tuple(args))
            self.err(f"unknown generic type '{n}' (use set, map, seq, tuple or optional)", t)
            raise Bail
        if d == "range_type":
            lo = self.expr(t.children[0], Scope("const"))
            hi = self.expr(t.children[1], Scope("const"))
            for e, node in ((lo, t.children[0]), (hi, t.children[1])):
                if not T.is_int(e.type):
                    self.err(f"range bounds must be ints, got {T.describe(e.type)}", node)
                    raise Bail
            return IntType(lo, hi)
        if d == "record_type":
            fields = []
            seen = set()
            for ft in t.children:
                fn = str(ft.children[0])
                if fn in seen:
                    self.err(f"duplicate field '{fn}'", ft.children[0])
                seen.add(fn)
                self._check_field_name(fn, ft.children[0])
                fields.append((fn, self.type_of(ft.children[1], scope)))
            return RecordType(tuple(sorted(fields)))
        self.err("expected a type", t)
        raise Bail

    # ------------------------------------------------------------ expressions
    def _expect_bool(self, e: ir.Expr, node, what: str) -> None:
        if not T.is_bool(e.type):
            self.err(f"{what} must be a bool, got {T.describe(e.type)}", node)

    def _expect_int(self, e: ir.Expr, node, what: str) -> None:
        if not T.is_int(e.type):
            self.err(f"{what} needs an int, got {T.describe(e.type)}", node)
            raise Bail

    def expr(self, t, scope: Scope) -> ir.Expr:
        method = getattr(self, "_e_" + t.data, None)
        if method is None:
            self.err("unsupported expression", t)
            raise Bail
        return method(t, scope)

    def _e_int_lit(self, t, scope):
        text = str(t.children[0]).replace("_", "")
        try:
            v = int(text, 0)
        except ValueError:
            self.err(f"invalid number '{t.children[0]}'", t)
            raise Bail from None
        return ir.Lit(self.sp(t), INT, v)

    def _e_str_lit(self, t, scope):
        return ir.Lit(self.sp(t), STR, _string_value(t.children[0]))

    def _e_true_lit(self, t, scope):
        return ir.Lit(self.sp(t), BOOL, True)

    def _e_false_lit(self, t, scope):
        return ir.Lit(self.sp(t), BOOL, False)

    def _e_none_lit(self, t, scope):
        return ir.NoneLit(self.sp(t), NONE_T)

    def _e_name(self, t, scope: Scope):
        tok = t.children[0]
        n = str(tok)
        span = self.sp(t)
        if n in scope.bound:
            return ir.BoundRef(span, scope.bound[n], n)
        pd = scope.proc_decl
        if pd is not None and pd.params and n in pd.params:
            if len(pd.params) == 1:
                return ir.SelfRef(span, pd.index_type, pd.name)
            i = pd.params.index(n)
            whole = ir.SelfRef(span, pd.index_type, pd.name)
            return ir.Index(span, pd.index_type.elems[i], whole, ir.Lit(span, INT, i))
        if n == "self":
            if pd is not None and pd.params is not None:
                self.err(f"'self' is not defined in action '{pd.name}': name its parameters "
                         f"(action {pd.name}(p in S): ...)", tok)
                raise Bail
            if pd is not None and pd.index is not None:
                return ir.SelfRef(span, pd.index_type, pd.name)
            self.err("'self' is only defined inside an indexed process", tok)
            raise Bail
        if pd is not None and n in pd.locals:
            real = pd.locals[n].name  # a procedure's local may be renamed in its process
            if scope.kind == "local_init":
                self._check_initialised("l:" + real, scope, tok)
            self.used.add("l:" + pd.name + "." + real)
            return ir.LocalRef(span, pd.locals[n].type, pd.name, real, None, ("l:" + real) in scope.assigned)
        if n in self.vars:
            if scope.kind in ("const", "model"):
                self.err(f"variable '{n}' cannot be used in {_scope_word(scope.kind)}", tok)
                raise Bail
            if scope.kind in ("init", "local_init"):
                self._check_initialised("v:" + n, scope, tok)
                self.used.add("v:" + n)
            if scope.kind == "step" or scope.kind in ("invariant", "action", "temporal", "constraint", "def"):
                self.used.add("v:" + n)
            return ir.VarRef(span, self.vars[n].type, n, ("v:" + n) in scope.assigned)
        if n in self.consts:
            return ir.ConstRef(span, self.consts[n].type, n)
        if scope.kind in ("invariant", "action", "temporal", "constraint", "def"):
            for p in self.procs.values():
                if n in p.locals:
                    how = f"{p.name}[i].{n}" if p.index else f"{p.name}.{n}"
                    self.err(f"'{n}' is a local of process '{p.name}'; outside the process write '{how}'", tok)
                    raise Bail
        if n in self.def_sigs:
            self.err(f"'{n}' is a def; call it with arguments: {n}(...)", tok)
            raise Bail
        if n in self.sorts or n in self.enums:
            self.err(f"'{n}' is a type; write a value as {n}.name", tok)
            raise Bail
        if n in self.procs and self.procs[n].params is not None:
            self.err(f"'{n}' is an action, not a value (it has no program counter or locals)", tok)
            raise Bail
        if n in self.procs:
            p = self.procs[n]
            self.err(f"'{n}' is a process; write {n}[i].pc or {n}[i].local" if p.index else
                     f"'{n}' is a process; write {n}.pc or {n}.local", tok)
            raise Bail
        if n in KEYWORDS or n in naming.PYTHON_RESERVED:
            self.err("'None' is written 'none'" if n == "None" else f"unexpected keyword '{n}'", tok)
            raise Bail
        other = {"true": "True", "false": "False", "TRUE": "True", "FALSE": "False", "null": "none",
                 "nil": "none", "NULL": "none"}.get(n)
        if other is not None and n not in self.vars and n not in self.consts:
            self.err(f"'{n}' is written '{other}' in pyspec", tok)
            raise Bail
        if n in self.item_kinds:
            # declared, but not (yet) usable here
            kind, where = self.item_kinds[n]
            if kind == "var_decl":
                self.err(f"variable '{n}' cannot be used in {_scope_word(scope.kind)}", tok)
            elif kind == "const_decl":
                self.err(f"constant '{n}' is used before its declaration at {self._at(where)}", tok)
            else:
                self.err(f"'{n}' is a{'n' if _kind_word(kind)[0] in 'aeiou' else ''} {_kind_word(kind)}, "
                         f"not a value", tok)
            raise Bail
        hint = _suggest(n, list(scope.bound) + list(self.vars) + list(self.consts) + list(self.def_sigs)
                        + (list(pd.locals) if pd else []))
        self.err(f"undefined name '{n}'" + (f" (did you mean '{hint}'?)" if hint else ""), tok)
        raise Bail

    def _initialised_at(self, key: str, pd: ProcDecl | None) -> Span | None:
        name = key[2:]
        if key.startswith("v:"):
            return self.vars[name].span if name in self.vars else None
        return pd.locals[name].span if pd is not None and name in pd.locals else None

    def _check_initialised(self, key: str, scope: Scope, tok) -> None:
        """An initial value reads only what is initialised before it: the
        variables declared before it (and, for a local, every variable and
        the locals of its process declared before it)."""
        if key in scope.ready:
            return
        me = scope.initialising[2:]
        n = key[2:]
        if key == scope.initialising:
            self.err(f"the initial value of '{me}' reads '{me}' itself", tok)
        else:
            where = self._at(self._initialised_at(key, scope.proc_decl))
            self.err(f"the initial value of '{me}' reads '{n}', which is declared after it (at {where}): "
                     f"initial values are evaluated in declaration order, so '{n}' has no value yet", tok)
        raise Bail

    def _check_def_in_init(self, fname: str, scope: Scope, node) -> None:
        """A def called in an initial value reads only what is initialised
        before that value."""
        for root in sorted(self._def_reads(fname)):
            if root[0] == "var":
                key = "v:" + root[1]
                if key in scope.ready:
                    continue
                me = scope.initialising[2:]
                if key == scope.initialising:
                    why = f"'{fname}' is called in the initial value of '{me}' itself"
                else:
                    why = f"'{root[1]}' is declared after '{me}' (at " \
                          f"{self._at(self._initialised_at(key, None))}), and initial values are " \
                          f"evaluated in declaration order"
                self.err(f"'{fname}' reads '{root[1]}', which has no value yet when the initial value of "
                         f"'{me}' is evaluated: {why}", node)
            else:
                what = f"the pc of process '{root[1]}'" if root[0] == "pc" else \
                    f"the local '{root[2]}' of process '{root[1]}'"
                self.err(f"'{fname}' reads {what}, which an initial value cannot read (a def called "
                         f"in an initial value may read the variables initialised before it)", node)
            raise Bail

    def _def_reads(self, fname: str) -> frozenset:
        if self._def_reads_cache is None:
            self._def_reads_cache = walk.def_reads_of(self.defs.values())
        return self._def_reads_cache.get(fname, frozenset())

    _def_reads_cache: dict | None = None

    def _e_field(self, t, scope: Scope):
        base_t, ftok = t.children
        fname = str(ftok)
        span = self.sp(t)
        # Sort.value / Enum.value / singleton.local / proc[i].local
        if base_t.data == "name":
            bn = str(base_t.children[0])
            shadowed = bn in scope.bound or bn in self.vars or bn in self.consts
            if not shadowed and bn in self.sorts:
                self._check_reserved(fname, self.sp(ftok))
                return ir.SortValue(span, SortType(bn), bn, fname)
            if not shadowed and bn in self.variants:
                return self._variant_value(self.variants[bn], ftok, [], scope, span, called=False)
            if not shadowed and bn in self.enums:
                if fname not in self.enums[bn].values:
                    self.err(f"enum '{bn}' has no value '{fname}' (values: {', '.join(self.enums[bn].values)})", ftok)
                    raise Bail
                return ir.EnumValue(span, EnumType(bn, self.enums[bn].values), bn, fname)
            if not shadowed and bn in self.procs:
                p = self.procs[bn]
                if p.index is not None:
                    self.err(f"process '{bn}' is indexed: write {bn}[i].{fname}", base_t)
                    raise Bail
                return self._proc_member(p, None, ftok, span, scope)
        if base_t.data == "index" and base_t.children[0].data == "name":
            bn = str(base_t.children[0].children[0])
            if bn in self.procs and bn not in scope.bound and bn not in self.vars and bn not in self.consts:
                p = self.procs[bn]
                if p.index is None:
                    self.err(f"process '{bn}' is a singleton: write {bn}.{fname}", base_t)
                    raise Bail
                idx = self.expr(base_t.children[1], scope)
                if not T.assignable(p.index_type, idx.type):
                    self.err(f"process '{bn}' is indexed by {T.describe(p.index_type)}, "
                             f"not {T.describe(idx.type)}", base_t.children[1])
                return self._proc_member(p, idx, ftok, span, scope)
        base = self.expr(base_t, scope)
        bt = T.strip_optional(base.type)
        if isinstance(bt, VariantType):
            if fname == "tag":
                return ir.Field(span, STR, base, "tag")
            types = bt.field_types(fname)
            if not types:
                self.err(f"no case of variant '{bt.name}' has a field '{fname}'", ftok)
                raise Bail
            ft = types[0]
            for other in types[1:]:
                ft = T.join(ft, other)
                if ft is None:
                    self.err(f"field '{fname}' has different types in the cases of '{bt.name}'", ftok)
                    raise Bail
            # a value of a case without the field: a located run-time error
            # in both engines (TLC's "record has no field")
            return ir.Field(span, ft, base, fname)
        if isinstance(bt, RecordType):
            ft = bt.field_type(fname)
            if ft is None:
                self.err(f"record {T.describe(bt)} has no field '{fname}'", ftok)
                raise Bail
            return ir.Field(span, ft, base, fname)
        if isinstance(bt, AnyType):
            return ir.Field(span, ANY, base, fname)
        self.err(f"{T.describe(base.type)} has no field '{fname}'", ftok)
        raise Bail

    def _proc_member(self, p: ProcDecl, idx, ftok, span, scope: Scope):
        fname = str(ftok)
        if p.params is not None:
            self.err(f"'{p.name}' is an action: it has no program counter or locals", ftok)
            raise Bail
        if scope.kind in ("init", "local_init"):
            me = scope.initialising[2:]
            if scope.kind == "init":
                why = "the locals and program counters of processes are initialised after the variables"
            else:
                why = "a local's initial value reads the variables and the locals of its own instance " \
                      "declared before it"
                if scope.proc_decl is p and fname in p.locals:
                    why += f" (write '{fname}')"
            self.err(f"the initial value of '{me}' cannot read the state of process '{p.name}': {why}", span)
            raise Bail
        if fname == "pc":
            return ir.PcRef(span, LabelType(p.name, tuple(p.labels) + (ir.DONE,)), p.name, idx)
        if fname in p.locals:
            self.used.add("l:" + p.name + "." + fname)
            primed = False
            if scope.proc_decl is p and idx is None:
                primed = ("l:" + fname) in scope.assigned
            return ir.LocalRef(span, p.locals[fname].type, p.name, fname, idx, primed)
        self.err(f"process '{p.name}' has no local '{fname}' (locals: "
                 f"{', '.join(p.locals) or 'none'}; 'pc' is its label)", ftok)
        raise Bail

    def _e_slice(self, t, scope):
        """``s[lo:hi]``: the elements at positions lo..hi-1 (lo defaults to
        0, hi to len(s)); docs/semantics.md says what is out of range."""
        base_t, lo_t, hi_t = t.children
        base = self.expr(base_t, scope)
        if not isinstance(base.type, SeqType):
            self.err(f"only a sequence can be sliced, not {T.describe(base.type)}", base_t)
            raise Bail
        span = self.sp(t)
        lo = self.expr(lo_t, scope) if lo_t is not None else ir.Lit(span, INT, 0)
        hi = self.expr(hi_t, scope) if hi_t is not None else ir.Builtin(span, INT, "len", (base,))
        for e, et in ((lo, lo_t), (hi, hi_t)):
            if et is not None:
                self._expect_int(e, et, "a slice bound")
        return ir.Builtin(span, base.type, "slice", (base, lo, hi))

    def _seq_elements(self, dom: ir.Expr) -> ir.Expr:
        """A sequence where a set is iterated (``for x in s``): the set of its elements."""
        if isinstance(dom.type, SeqType):
            return ir.Builtin(dom.span, SetType(dom.type.elem), "elems", (dom,))
        return dom

    def _e_seq_comp(self, t, scope):
        """``[e for x in D if c]`` over a sequence (in its order) or an int range."""
        head, comp_for, *rest = [c for c in t.children if c is not None]
        tok, dom_t = comp_for.children
        dom = self.expr(dom_t, self._nontemporal(scope))
        if isinstance(dom.type, SeqType):
            elem_t = dom.type.elem
        elif isinstance(dom, ir.RangeSet):
            elem_t = INT
        else:
            self.err(f"a sequence comprehension iterates a sequence or a range lo..hi (in order), not "
                     f"{T.describe(dom.type)}; for a set, write a set comprehension {{... for ...}}", dom_t)
            raise Bail
        self._check_shadow(str(tok), tok, scope)
        inner = self._nontemporal(scope).child({str(tok): elem_t})
        cond = None
        if rest:
            cond = self.expr(rest[0].children[0], inner)
            self._expect_bool(cond, rest[0].children[0], "a comprehension condition")
        elem = self.expr(head, inner)
        return ir.SeqComp(self.sp(t), SeqType(elem.type), elem, ir.Binder(str(tok), dom, self.sp(tok)), cond)

    def _e_index(self, t, scope):
        base_t, key_t = t.children
        if base_t.data == "name" and str(base_t.children[0]) in self.procs and \
                str(base_t.children[0]) not in scope.bound:
            self.err(f"write {base_t.children[0]}[i].pc or {base_t.children[0]}[i].local to read a process", t)
            raise Bail
        base = self.expr(base_t, scope)
        key = self.expr(key_t, scope)
        bt = T.strip_optional(base.type)
        span = self.sp(t)
        if isinstance(bt, MapType):
            if T.join(bt.key, key.type) is None:
                self.err(f"map {T.describe(bt)} has keys of type {T.describe(bt.key)}, "
                         f"not {T.describe(key.type)}", key_t)
                raise Bail
            return ir.Index(span, bt.value, base, key)
        if isinstance(bt, SeqType):
            self._expect_int(key, key_t, "a sequence index")
            return ir.Index(span, bt.elem, base, key)
        if isinstance(bt, TupleType):
            if not (isinstance(key, ir.Lit) and isinstance(key.value, int) and not isinstance(key.value, bool)):
                self.err("a tuple index must be an int literal", key_t)
                raise Bail
            if not 0 <= key.value < len(bt.elems):
                self.err(f"tuple index {key.value} out of range for {T.describe(bt)}", key_t)
                raise Bail
            return ir.Index(span, bt.elems[key.value], base, key)
        if isinstance(bt, AnyType):
            return ir.Index(span, ANY, base, key)
        self.err(f"cannot index into {T.describe(base.type)}", base_t)
        raise Bail

    def _binders(self, binder_trees, scope: Scope) -> tuple[list[ir.Binder], dict[str, Type]]:
        out = []
        bound: dict[str, Type] = {}
        for b in binder_trees:
            tok, dom_t = b.children
            inner = scope.child(bound)
            dom = self._seq_elements(self.expr(dom_t, inner))
            if not isinstance(dom.type, SetType):
                self.err(f"'{tok} in ...' needs a set or a sequence, got {T.describe(dom.type)}", dom_t)
                raise Bail
            self._check_shadow(str(tok), tok, scope.child(bound))
            bound[str(tok)] = dom.type.elem
            out.append(ir.Binder(str(tok), dom, self.sp(tok)))
        return out, bound

    def _e_quantified(self, t, scope: Scope):
        kind = str(t.children[0].children[0])
        binders, bound = self._binders(t.children[1:-1], scope)
        inner = scope.child(bound)
        inner.allow_temporal = scope.allow_temporal and kind == "forall"
        body = self.expr(t.children[-1], inner)
        span = self.sp(t)
        if kind == "choose":
            if len(binders) != 1:
                self.err("'choose' takes exactly one binder", t)
                raise Bail
            self._expect_bool(body, t.children[-1], "the condition of 'choose'")
            return ir.Choose(span, binders[0].domain.type.elem, binders[0], body)
        self._expect_bool(body, t.children[-1], f"the body of '{kind}'")
        return ir.Quant(span, BOOL, kind, tuple(binders), body)

    def _temporal(self, t, scope: Scope, op: str, args):
        if not scope.allow_temporal:
            if scope.kind == "temporal":
                self.err(f"temporal operator '{op}' cannot be used inside this expression (temporal formulas "
                         f"combine only with 'and', 'forall', 'always', 'eventually', 'leads_to' and the right "
                         f"side of 'implies')", t)
                raise Bail
            where = {"invariant": "an invariant", "action": "an action property", "def": "a def",
                     "step": "a step", "constraint": "a state constraint"}.get(scope.kind) \
                or _scope_word(scope.kind)
            hint = " (an action property is checked on every step: it needs no 'always', as TLA+'s [][A]_vars)" \
                if scope.kind == "action" and op == "always" else ""
            self.err(f"temporal operator '{op}' is only allowed in a 'temporal' property, not in {where}{hint}", t)
            raise Bail
        inner = replace(scope, in_next=False, allow_temporal=True)
        vals = [self.expr(a, inner) for a in args]
        for v, a in zip(vals, args):
            self._expect_bool(v, a, f"the operand of '{op}'")
        return ir.Temporal(self.sp(t), BOOL, op, tuple(vals))

    def _e_always(self, t, scope):
        return self._temporal(t, scope, "always", t.children)

    def _e_eventually(self, t, scope):
        return self._temporal(t, scope, "eventually", t.children)

    def _e_leads_to(self, t, scope):
        return self._temporal(t, scope, "leads_to", t.children)

    def _nontemporal(self, scope: Scope) -> Scope:
        if not scope.allow_temporal:
            return scope
        return replace(scope, allow_temporal=False)

    def _e_implies_op(self, t, scope):
        a = self.expr(t.children[0], self._nontemporal(scope))
        # in a temporal property the right side may be temporal (P implies eventually Q)
        b = self.expr(t.children[1], scope)
        self._expect_bool(a, t.children[0], "an operand of 'implies'")
        self._expect_bool(b, t.children[1], "an operand of 'implies'")
        return ir.Binary(self.sp(t), BOOL, "implies", a, b)

    def _e_if_expr(self, t, scope):
        s = self._nontemporal(scope)
        then = self.expr(t.children[0], s)
        cond = self.expr(t.children[1], s)
        orelse = self.expr(t.children[2], s)
        self._expect_bool(cond, t.children[1], "an 'if' condition")
        j = T.join(then.type, orelse.type)
        if j is None:
            self.err(f"the branches of 'if ... else' have different types: {T.describe(then.type)} "
                     f"and {T.describe(orelse.type)}", t)
            raise Bail
        return ir.IfExpr(self.sp(t), j, cond, then, orelse)

    def _bool_chain(self, t, scope, op):
        # 'and' may join temporal conjuncts in a temporal property
        items = [self.expr(c, scope if op == "and" else self._nontemporal(scope)) for c in t.children]
        for v, c in zip(items, t.children):
            self._expect_bool(v, c, f"an operand of '{op}'")
        acc = items[0]
        for v in items[1:]:
            acc = ir.Binary(Span(self.path, acc.span.line, acc.span.col, v.span.end_line, v.span.end_col),
                            BOOL, op, acc, v)
        return acc

    def _e_or_test(self, t, scope):
        return self._bool_chain(t, scope, "or")

    def _e_and_test(self, t, scope):
        return self._bool_chain(t, scope, "and")

    def _e_not_op(self, t, scope):
        v = self.expr(t.children[0], self._nontemporal(scope))
        self._expect_bool(v, t.children[0], "the operand of 'not'")
        return ir.Unary(self.sp(t), BOOL, "not", v)

    def _e_comparison(self, t, scope):
        s = self._nontemporal(scope)
        kids = t.children
        operands = [self.expr(kids[0], s)]
        ops = []
        for i in range(1, len(kids), 2):
            ops.append("".join(str(x) for x in kids[i].children))
            operands.append(self.expr(kids[i + 1], s))
        parts = []
        for i, op in enumerate(ops):
            parts.append(self._compare(op, operands[i], operands[i + 1], kids[2 * i], kids[2 * i + 2], t))
        acc = parts[0]
        for p in parts[1:]:
            acc = ir.Binary(self.sp(t), BOOL, "and", acc, p)
        return acc

    def _compare(self, op, a, b, na, nb, t):
        span = self.sp(t)
        if op in ("in", "notin"):
            bt = T.strip_optional(b.type)
            if isinstance(bt, MapType):
                # key in map: membership in its domain
                if T.join(bt.key, a.type) is None:
                    self.err(f"cannot test {T.describe(a.type)} against the keys of {T.describe(bt)}", na)
                    raise Bail
                b = ir.Builtin(b.span, SetType(bt.key), "keys", (b,))
                bt = b.type
            if isinstance(bt, SeqType) and b.type is bt:  # x in s: one of its elements
                b = self._seq_elements(b)
                bt = b.type
            if not isinstance(bt, (SetType, AnyType)):
                self.err(f"'{'not in' if op == 'notin' else 'in'}' needs a set, a map or a sequence on its right, "
                         f"got {T.describe(b.type)}", nb)
                raise Bail
            if isinstance(bt, SetType) and isinstance(a.type, LabelType) and isinstance(b, ir.SetLit):
                b = ir.SetLit(b.span, SetType(a.type), tuple(self._coerce_label(x, a.type, nb) for x in b.elems))
                bt = b.type
            if isinstance(bt, SetType) and T.join(bt.elem, a.type) is None:
                self.err(f"cannot test whether {T.describe(a.type)} is in {T.describe(bt)}", na)
                raise Bail
            return ir.Binary(span, BOOL, CMP[op], a, b)
        if op in ("==", "!="):
            a = self._coerce_label(a, b.type, na)
            b = self._coerce_label(b, a.type, nb)
            if T.join(a.type, b.type) is None:
                self.err(f"cannot compare {T.describe(a.type)} with {T.describe(b.type)}", t)
                raise Bail
            return ir.Binary(span, BOOL, CMP[op], a, b)
        at, bt = T.strip_optional(a.type), T.strip_optional(b.type)
        if isinstance(at, SetType) and isinstance(bt, SetType):
            if T.join(at, bt) is None:
                self.err(f"cannot compare {T.describe(a.type)} with {T.describe(b.type)}", t)
                raise Bail
            name = {"<=": "subseteq", "<": "subset", ">=": "supseteq", ">": "supset"}[op]
            if name.startswith("sup"):
                return ir.Binary(span, BOOL, "subseteq" if op == ">=" else "subset", b, a)
            return ir.Binary(span, BOOL, name, a, b)
        if not T.is_int(a.type):
            self.err(f"'{op}' compares ints (or sets), got {T.describe(a.type)}", na)
            raise Bail
        if not T.is_int(b.type):
            self.err(f"'{op}' compares ints (or sets), got {T.describe(b.type)}", nb)
            raise Bail
        return ir.Binary(span, BOOL, CMP[op], a, b)

    def _coerce_label(self, e: ir.Expr, other: Type, node) -> ir.Expr:
        """A string literal compared with a program counter names a label."""
        if isinstance(other, LabelType) and isinstance(e, ir.Lit) and isinstance(e.type, StrType):
            if e.value not in other.labels:
                self.err(f"process '{other.process}' has no label '{e.value}' "
                         f"(labels: {', '.join(other.labels)})", node)
                raise Bail
            return ir.Lit(e.span, other, e.value)
        return e

    def _e_range_lit(self, t, scope):
        lo = self.expr(t.children[0], scope)
        hi = self.expr(t.children[1], scope)
        self._expect_int(lo, t.children[0], "'..'")
        self._expect_int(hi, t.children[1], "'..'")
        return ir.RangeSet(self.sp(t), SetType(INT), lo, hi)

    def _arith_chain(self, t, scope, ops_from_tree: bool, fixed_op: str | None = None):
        s = self._nontemporal(scope)
        kids = t.children
        acc = self.expr(kids[0], s)
        i = 1
        while i < len(kids):
            if ops_from_tree:
                op = str(kids[i].children[0])
                rt = kids[i + 1]
                i += 2
            else:
                op = fixed_op
                rt = kids[i]
                i += 1
            right = self.expr(rt, s)
            acc = self._binop(op, acc, right, t, rt)
        return acc

    def _binop(self, op, a, b, t, nb):
        at, bt = T.strip_optional(a.type), T.strip_optional(b.type)
        span = Span(self.path, a.span.line, a.span.col, b.span.end_line, b.span.end_col)
        if isinstance(at, SetType) or isinstance(bt, SetType):
            setops = {"|": "union", "&": "inter", "-": "diff"}
            if op not in setops:
                self.err(f"'{op}' is not defined on sets (use |, & or -)", t)
                raise Bail
            j = T.join(at, bt)
            if j is None or not isinstance(j, SetType):
                self.err(f"cannot combine {T.describe(a.type)} and {T.describe(b.type)} with '{op}'", t)
                raise Bail
            return ir.Binary(span, j, setops[op], a, b)
        if isinstance(at, MapType) or isinstance(bt, MapType):
            if op != "|":
                self.err(f"'{op}' is not defined on maps (use m | {{k: v}} to update)", t)
                raise Bail
            j = T.join(at, bt)
            if j is None:
                self.err(f"cannot merge {T.describe(a.type)} with {T.describe(b.type)}", t)
                raise Bail
            return ir.Binary(span, j, "merge", a, b)
        if isinstance(at, SeqType) or isinstance(bt, SeqType) or isinstance(at, TupleType):
            if op != "+":
                self.err(f"'{op}' is not defined on sequences (use + to concatenate)", t)
                raise Bail
            j = T.join(at, bt)
            if j is None:
                self.err(f"cannot concatenate {T.describe(a.type)} and {T.describe(b.type)}", t)
                raise Bail
            return ir.Binary(span, j, "concat", a, b)
        if not T.is_int(a.type):
            self.err(f"'{op}' needs ints, got {T.describe(a.type)} on its left", t)
            raise Bail
        if not T.is_int(b.type):
            self.err(f"'{op}' needs ints, got {T.describe(b.type)} on its right", nb)
            raise Bail
        return ir.Binary(span, INT, BIN_INT[op], a, b)

    def _e_bitor_expr(self, t, scope):
        return self._arith_chain(t, scope, False, "|")

    def _e_bitxor_expr(self, t, scope):
        return self._arith_chain(t, scope, False, "^")

    def _e_bitand_expr(self, t, scope):
        return self._arith_chain(t, scope, False, "&")

    def _e_shift_expr(self, t, scope):
        return self._arith_chain(t, scope, True)

    def _e_sum_expr(self, t, scope):
        return self._arith_chain(t, scope, True)

    def _e_term(self, t, scope):
        return self._arith_chain(t, scope, True)

    def _e_power(self, t, scope):
        a = self.expr(t.children[0], scope)
        b = self.expr(t.children[1], scope)
        return self._binop("**", a, b, t, t.children[1])

    def _e_unary(self, t, scope):
        op = str(t.children[0].children[0])
        v = self.expr(t.children[1], self._nontemporal(scope))
        self._expect_int(v, t.children[1], f"unary '{op}'")
        if op == "-" and isinstance(v, ir.Lit):
            return ir.Lit(self.sp(t), INT, -v.value)
        return ir.Unary(self.sp(t), INT, "neg" if op == "-" else "bitnot", v)

    def _elems(self, trees, scope, what) -> tuple[list[ir.Expr], Type]:
        vals = [self.expr(c, self._nontemporal(scope)) for c in trees if c is not None]
        ty: Type = ANY
        for v, c in zip(vals, [c for c in trees if c is not None]):
            j = T.join(ty, v.type)
            if j is None:
                self.err(f"{what} mixes {T.describe(ty)} and {T.describe(v.type)}", c)
                raise Bail
            ty = j
        return vals, ty

    def _e_set_lit(self, t, scope):
        vals, ty = self._elems(t.children, scope, "set literal")
        return ir.SetLit(self.sp(t), SetType(ty), tuple(vals))

    def _e_seq_lit(self, t, scope):
        vals, ty = self._elems(t.children, scope, "sequence literal")
        return ir.SeqLit(self.sp(t), SeqType(ty), tuple(vals))

    def _e_tuple_lit(self, t, scope):
        vals = [self.expr(c, self._nontemporal(scope)) for c in t.children if c is not None]
        return ir.TupleLit(self.sp(t), TupleType(tuple(v.type for v in vals)), tuple(vals))

    def _comp(self, t, scope):
        kids = t.children
        head = kids[0]
        fors = [c for c in kids[1:] if c is not None and c.data == "comp_for"]
        cond_t = kids[-1] if kids[-1] is not None and kids[-1].data == "comp_if" else None
        binders, bound = self._binders(fors, self._nontemporal(scope))
        inner = self._nontemporal(scope).child(bound)
        cond = None
        if cond_t is not None:
            cond = self.expr(cond_t.children[0], inner)
            self._expect_bool(cond, cond_t.children[0], "a comprehension condition")
        return head, binders, inner, cond

    def _e_set_comp(self, t, scope):
        head, binders, inner, cond = self._comp(t, scope)
        elem = self.expr(head, inner)
        return ir.SetComp(self.sp(t), SetType(elem.type), elem, tuple(binders), cond)

    def _e_map_comp(self, t, scope):
        head, binders, inner, cond = self._comp(t, scope)
        if len(binders) != 1:
            self.err("a map comprehension takes one 'for' (maps are total functions on a set)", t)
            raise Bail
        key_t, val_t = head.children
        if not (key_t.data == "name" and str(key_t.children[0]) == binders[0].name):
            self.err(f"the key of a map comprehension must be its loop variable '{binders[0].name}'", key_t)
            raise Bail
        value = self.expr(val_t, inner)
        return ir.MapComp(self.sp(t), MapType(binders[0].domain.type.elem, value.type), binders[0], value, cond)

    def _e_map_lit(self, t, scope):
        s = self._nontemporal(scope)
        entries = []
        kt: Type = ANY
        vt: Type = ANY
        for entry in t.children:
            if entry is None:
                continue
            k = self.expr(entry.children[0], s)
            v = self.expr(entry.children[1], s)
            jk, jv = T.join(kt, k.type), T.join(vt, v.type)
            if jk is None or jv is None:
                what, t1, t2 = ("key", kt, k.type) if jk is None else ("value", vt, v.type)
                self.err(f"map literal mixes {what} types {T.describe(t1)} and {T.describe(t2)}", entry)
                raise Bail
            kt, vt = jk, jv
            entries.append((k, v))
        return ir.MapLit(self.sp(t), MapType(kt, vt), tuple(entries))

    def _e_empty_map(self, t, scope):
        return ir.MapLit(self.sp(t), MapType(ANY, ANY), ())

    def _e_call(self, t, scope: Scope):
        func_t = t.children[0]
        arg_trees = [a for a in t.children[1:] if a is not None]
        span = self.sp(t)
        if func_t.data == "field" and func_t.children[0].data == "name" and \
                str(func_t.children[0].children[0]) in self.variants and \
                str(func_t.children[0].children[0]) not in scope.bound:
            vt = self.variants[str(func_t.children[0].children[0])]
            return self._variant_value(vt, func_t.children[1], arg_trees, scope, span, called=True)
        if func_t.data == "name" and str(func_t.children[0]) == "isinstance" and "isinstance" not in scope.bound:
            if len(arg_trees) != 2 or any(a.data == "kwarg" for a in arg_trees):
                self.err("isinstance(value, Variant.Case) takes a value and a case", t)
                raise Bail
            ref = self._case_ref(arg_trees[1].children[0])
            if ref is None:
                self.err("the second argument of isinstance() is a case of a variant: Variant.Case",
                         arg_trees[1])
                raise Bail
            vt, tag = ref
            base = self.expr(arg_trees[0].children[0], self._nontemporal(scope))
            if not T.assignable(vt, T.strip_optional(base.type)):
                self.err(f"isinstance() needs a '{vt.name}', got {T.describe(base.type)}", arg_trees[0])
                raise Bail
            return ir.IsCase(span, BOOL, base, tag)
        if func_t.data != "name":
            self.err("only defs and builtins can be called", func_t)
            raise Bail
        fname = str(func_t.children[0])
        if fname in scope.bound:
            self.err(f"'{fname}' is a bound value, not a def", func_t)
            raise Bail
        if fname in self.def_sigs:
            params, rt = self.def_sigs[fname]
            if any(a.data == "kwarg" for a in arg_trees):
                self.err(f"'{fname}' takes positional arguments only", t)
                raise Bail
            args = [self.expr(a.children[0], self._nontemporal(scope)) for a in arg_trees]
            if len(args) != len(params):
                self.err(f"'{fname}' takes {len(params)} argument{'s' if len(params) != 1 else ''}, "
                         f"got {len(args)}", t)
                raise Bail
            for p, a, at in zip(params, args, arg_trees):
                if not T.assignable(p.type, a.type):
                    self.err(f"argument '{p.name}' of '{fname}' has type {T.describe(p.type)}, "
                             f"got {T.describe(a.type)}", at)
            if scope.kind in ("init", "local_init"):
                self._check_def_in_init(fname, scope, func_t)
            if rt is None:
                if scope.kind == "def":
                    self.err(f"'{fname}' is used before its result type is known: "
                             f"declare it with '-> type'", func_t)
                    raise Bail
                rt = ANY
            return ir.DefCall(span, rt, fname, tuple(args))
        if fname in BUILTINS:
            return self._builtin(fname, t, arg_trees, scope, span)
        if fname in self.def_names:
            self.err(f"def '{fname}' cannot be used in {_scope_word(scope.kind)}", func_t)
            raise Bail
        hint = _suggest(fname, list(self.def_sigs) + sorted(BUILTINS))
        self.err(f"undefined function '{fname}'" + (f" (did you mean '{hint}'?)" if hint else ""), func_t)
        raise Bail

    def _builtin(self, fname, t, arg_trees, scope: Scope, span):
        if fname in ("record", "replace"):
            pos = [a for a in arg_trees if a.data != "kwarg"]
            kws = [a for a in arg_trees if a.data == "kwarg"]
            seen = set()
            fields = []
            for kw in kws:
                k = str(kw.children[0])
                if k in seen:
                    self.err(f"field '{k}' given twice", kw)
                    raise Bail
                seen.add(k)
                self._check_field_name(k, kw.children[0])
                fields.append((k, self.expr(kw.children[1], self._nontemporal(scope))))
            if fname == "record":
                if pos or not kws:
                    self.err("record(...) takes field=value arguments only", t)
                    raise Bail
                fields.sort(key=lambda kv: kv[0])
                return ir.RecordLit(span, RecordType(tuple((k, v.type) for k, v in fields)), tuple(fields))
            if len(pos) != 1 or not kws:
                self.err("replace(r, field=value, ...) takes one record and field=value arguments", t)
                raise Bail
            base = self.expr(pos[0].children[0], self._nontemporal(scope))
            bt = T.strip_optional(base.type)
            if not isinstance(bt, RecordType):
                self.err(f"replace(...) needs a record, got {T.describe(base.type)}", pos[0])
                raise Bail
            for k, v in fields:
                ft = bt.field_type(k)
                if ft is None:
                    self.err(f"record {T.describe(bt)} has no field '{k}'", t)
                    raise Bail
                if not T.assignable(ft, v.type):
                    self.err(f"field '{k}' has type {T.describe(ft)}, got {T.describe(v.type)}", t)
                    raise Bail
            return ir.RecordUpdate(span, bt, base, tuple(fields))
        if any(a.data == "kwarg" for a in arg_trees):
            self.err(f"'{fname}' takes positional arguments only", t)
            raise Bail
        if fname == "next":
            if scope.kind != "action":
                hint = " (TLA+'s [][A]_vars is 'action Name: A', without 'always')" if scope.kind == "temporal" else ""
                self.err(f"next(...) is only allowed in an 'action invariant'{hint}", t)
                raise Bail
            if scope.in_next:
                self.err("next(...) cannot be nested", t)
                raise Bail
            if len(arg_trees) != 1:
                self.err("next(...) takes one expression", t)
                raise Bail
            inner = replace(scope, in_next=True, allow_temporal=False)
            v = self.expr(arg_trees[0].children[0], inner)
            return ir.Next(span, v.type, v)
        args = [self.expr(a.children[0], self._nontemporal(scope)) for a in arg_trees]
        arity = {"len": 1, "subsets": 1, "keys": 1, "min": 1, "max": 1, "unions": 1, "append": 2,
                 "head": 1, "tail": 1, "abs": 1, "set": 0, "maps": 2, "seqs": 2}
        if len(args) != arity[fname]:
            n = arity[fname]
            self.err(f"{fname}() takes {n} argument{'s' if n != 1 else ''}, got {len(args)}", t)
            raise Bail
        if fname == "set":
            return ir.SetLit(span, SetType(ANY), ())
        a0 = args[0]
        t0 = T.strip_optional(a0.type)
        if fname == "len":
            if not isinstance(t0, (SetType, SeqType, TupleType, AnyType)):
                self.err(f"len() needs a set or sequence, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, INT, "len", (a0,))
        if fname == "subsets":
            if not isinstance(t0, SetType):
                self.err(f"subsets() needs a set, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, SetType(t0), "subsets", (a0,))
        if fname == "maps":
            # TLA+'s [S -> T]: every map with keys S and values in T
            t1 = T.strip_optional(args[1].type)
            for a, ta, tree in ((a0, t0, arg_trees[0]), (args[1], t1, arg_trees[1])):
                if not isinstance(ta, (SetType, AnyType)):
                    self.err(f"maps() needs two sets (keys, values), got {T.describe(a.type)}", tree)
                    raise Bail
            key = t0.elem if isinstance(t0, SetType) else ANY
            val = t1.elem if isinstance(t1, SetType) else ANY
            return ir.Builtin(span, SetType(MapType(key, val)), "maps", tuple(args))
        if fname == "seqs":
            # every sequence over S of length at most n
            if not isinstance(t0, (SetType, AnyType)):
                self.err(f"seqs() needs a set and a maximum length, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            self._expect_int(args[1], arg_trees[1], "the maximum length of seqs()")
            return ir.Builtin(span, SetType(SeqType(t0.elem if isinstance(t0, SetType) else ANY)), "seqs",
                              tuple(args))
        if fname == "keys":
            if not isinstance(t0, MapType):
                self.err(f"keys() needs a map, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, SetType(t0.key), "keys", (a0,))
        if fname in ("min", "max"):
            if not (isinstance(t0, SetType) and T.is_int(t0.elem)):
                self.err(f"{fname}() needs a set of ints, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, INT, fname, (a0,))
        if fname == "unions":
            if not (isinstance(t0, SetType) and isinstance(t0.elem, (SetType, AnyType))):
                self.err(f"unions() needs a set of sets, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, t0.elem if isinstance(t0.elem, SetType) else SetType(ANY), "unions", (a0,))
        if fname == "append":
            if not isinstance(t0, SeqType):
                self.err(f"append() needs a sequence, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            j = T.join(t0.elem, args[1].type)
            if j is None:
                self.err(f"cannot append {T.describe(args[1].type)} to {T.describe(t0)}", arg_trees[1])
                raise Bail
            return ir.Builtin(span, SeqType(j), "append", tuple(args))
        if fname in ("head", "tail"):
            if not isinstance(t0, SeqType):
                self.err(f"{fname}() needs a sequence, got {T.describe(a0.type)}", arg_trees[0])
                raise Bail
            return ir.Builtin(span, t0.elem if fname == "head" else t0, fname, (a0,))
        if fname == "abs":
            self._expect_int(a0, arg_trees[0], "abs()")
            return ir.Builtin(span, INT, "abs", (a0,))
        raise Bail

    def _warn_unused(self) -> None:
        for name, (_, _, _, span) in self.macros.items():
            if "m:" + name not in self.used:
                self.warn(f"macro '{name}' is never called (its body is checked where it is called)", span)
        for v in self.vars.values():
            if "v:" + v.name not in self.used:
                self.warn(f"variable '{v.name}' is never read", v.span)
        for p in self.procs.values():
            for lv in p.locals.values():
                if "l:" + p.name + "." + lv.name not in self.used:
                    self.warn(f"local '{lv.name}' of process '{p.name}' is never read", lv.span)


def _string_value(tok) -> str:
    s = str(tok)
    try:
        v = pyast.literal_eval(s)
    except (ValueError, SyntaxError):
        return s.strip('"')
    return v if isinstance(v, str) else s


def _without_override(item: lark.Tree) -> list:
    return [c for c in item.children if not (isinstance(c, lark.Tree) and c.data == "override")]


def _name_token(item: lark.Tree):
    for c in item.children:
        if isinstance(c, lark.Token):
            return c
    return item


#: fairness words of the grammar -> Step/Process.fairness
_FAIRNESS = {"weak_fair": "weak", "strong_fair": "strong", "no_fair": "unfair"}


#: what a loop body holds after its leading statements
_LOOP_ITEMS = ("step", "while_loop", "labelled_while")


def _control_labels(c: ir.Control):
    """The labels control ``c`` may go to."""
    if isinstance(c, ir.Jump):
        yield c.label
    else:
        yield from _control_labels(c.enter)
        yield from _control_labels(c.exit)


def _label_token(it: lark.Tree) -> lark.Token:
    """The label of a step or of a labelled while."""
    return [c for c in it.children if isinstance(c, lark.Token)][0]


def _kind_word(data: str) -> str:
    return {"const_decl": "constant", "var_decl": "variable", "def_decl": "def", "process_decl": "process",
            "action_def": "action", "invariant_decl": "invariant", "action_decl": "action invariant", "temporal_decl": "temporal property",
            "sort_decl": "sort", "enum_decl": "enum", "variant_decl": "variant", "type_decl": "type", "model_decl": "model"}.get(data, data)


def _scope_word(kind: str) -> str:
    return {"const": "a constant expression", "model": "a model binding", "init": "an initial value",
            "local_init": "a local's initial value"}.get(kind, f"a{'n' if kind[0] in 'aeiou' else ''} {kind}")


def _suggest(name: str, candidates: list[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return m[0] if m else None


def check(units: list[Unit], diags: Diagnostics) -> ir.Spec | None:
    checker = Checker(units, diags)
    checker._base_model_items = []
    checker._goto_edges = []
    return checker.run()
