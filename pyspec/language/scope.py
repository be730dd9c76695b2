"""What every stage of the checker shares: scopes, process declarations,
the statement joins, the keyword and builtin tables, and small tree helpers."""

from __future__ import annotations

import ast as pyast
from dataclasses import dataclass, field, replace

import lark

from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir.nodes import OptionalType, Type


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
    # a macro's parameter that has the name of something the call site sees
    # is bound under a fresh name: its name -> the bound name (PlusCal's
    # macros substitute, so inside the body the parameter wins)
    aliases: dict[str, str] = field(default_factory=dict)
    # a macro's parameter that the macro assigns, bound to a place (a
    # variable or a path into one, `net[p]`): its name -> (the argument's
    # tree, the scope and the file of the call); each use checks the
    # argument again there, as PlusCal's substitution does
    # (statements.py, _place)
    places: dict[str, tuple] = field(default_factory=dict)
    # optional names known not to be none here (after `if x != none:`,
    # `await x != none`, `x != none and ...`): ("v" | "l" | "b", name) ->
    # the inner type; an assignment of the name ends it
    narrowed: dict[tuple[str, str], Type] = field(default_factory=dict)

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
    fair_by: tuple[str, ...] | None = None  # the parameters of ``fair(...)`` (actions; ir.Process.fair_by)
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
            "set", "record", "replace", "next", "maps", "seqs", "records", "product"}


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
            "action_def": "action", "invariant_decl": "invariant", "action_decl": "action invariant", "temporal_decl": "temporal property", "assume_decl": "assumption",
            "fairness_decl": "fairness condition", "refinement_decl": "refinement", "instance_decl": "spec imported with 'as'", "sort_decl": "sort", "enum_decl": "enum", "variant_decl": "variant", "type_decl": "type", "model_decl": "model"}.get(data, data)


def _scope_word(kind: str) -> str:
    return {"const": "a constant expression", "model": "a model binding", "init": "an initial value",
            "assume": "an assumption",
            "local_init": "a local's initial value"}.get(kind, f"a{'n' if kind[0] in 'aeiou' else ''} {kind}")


def _suggest(name: str, candidates: list[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return m[0] if m else None


def none_facts(cond: ir.Expr) -> tuple[dict, dict]:
    """What a condition says of optional names: (known not none when it is
    true, known not none when it is false), each ("v" | "l" | "b", name) ->
    the inner type.  `x != none`, `x == none`, `not`, `and`, `or`."""

    def ref_key(e):
        if isinstance(e, ir.VarRef) and not e.primed:
            return ("v", e.name)
        if isinstance(e, ir.LocalRef) and e.index is None and not e.primed:
            return ("l", e.name)
        if isinstance(e, ir.BoundRef):
            return ("b", e.name)
        return None

    if isinstance(cond, ir.Unary) and cond.op == "not":
        t, f = none_facts(cond.operand)
        return f, t
    if isinstance(cond, ir.Binary) and cond.op in ("ne", "eq"):
        for a, b in ((cond.left, cond.right), (cond.right, cond.left)):
            k = ref_key(a)
            if k is not None and isinstance(b, ir.NoneLit) and isinstance(a.type, OptionalType):
                fact = {k: a.type.inner}
                return (fact, {}) if cond.op == "ne" else ({}, fact)
        return {}, {}
    if isinstance(cond, ir.Binary) and cond.op == "and":
        lt, _ = none_facts(cond.left)
        rt, _ = none_facts(cond.right)
        return {**lt, **rt}, {}
    if isinstance(cond, ir.Binary) and cond.op == "or":
        _, lf = none_facts(cond.left)
        _, rf = none_facts(cond.right)
        return {}, {**lf, **rf}
    return {}, {}
