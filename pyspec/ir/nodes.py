"""The typed intermediate representation (IR) of a checked spec.

The IR is the only input of every backend (TLA+ export, the embedded model
checker, conformance): nothing downstream looks at the parse tree or at source
text.  Every node is an immutable dataclass carrying the :class:`Span` it comes
from, and every expression carries its :class:`Type`.

Names in the IR are the spec's own names, already checked: each backend escapes
them for its target language.  See docs/ir.md for the full reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import NOWHERE, Span

# --------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoolType:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class IntType:
    """An integer; ``lo``/``hi`` bound it when declared as ``lo..hi``.

    Bounds are expressions over constants (models may rebind them); two int
    types are always compatible, bounds only inform TypeOK and packing.
    """

    lo: Expr | None = field(default=None, compare=False)
    hi: Expr | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return "int"


@dataclass(frozen=True, slots=True)
class StrType:
    def __str__(self) -> str:
        return "str"


@dataclass(frozen=True, slots=True)
class SortType:
    """An uninterpreted sort; its values are model values like ``Vcpu.v1``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str
    values: tuple[str, ...] = field(compare=False, default=())

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class LabelType:
    """The program counter of a process: one of its labels or ``"Done"``."""

    process: str
    labels: tuple[str, ...] = field(compare=False, default=())

    def __str__(self) -> str:
        return f"label[{self.process}]"


@dataclass(frozen=True, slots=True)
class SetType:
    elem: Type

    def __str__(self) -> str:
        return f"set[{self.elem}]"


@dataclass(frozen=True, slots=True)
class MapType:
    key: Type
    value: Type

    def __str__(self) -> str:
        return f"map[{self.key}, {self.value}]"


@dataclass(frozen=True, slots=True)
class SeqType:
    elem: Type

    def __str__(self) -> str:
        return f"seq[{self.elem}]"


@dataclass(frozen=True, slots=True)
class TupleType:
    elems: tuple[Type, ...]

    def __str__(self) -> str:
        return "tuple[" + ", ".join(map(str, self.elems)) + "]"


@dataclass(frozen=True, slots=True)
class RecordType:
    fields: tuple[tuple[str, Type], ...]

    def field_type(self, name: str) -> Type | None:
        for n, t in self.fields:
            if n == name:
                return t
        return None

    def __str__(self) -> str:
        return "record(" + ", ".join(f"{n}: {t}" for n, t in self.fields) + ")"


@dataclass(frozen=True, slots=True)
class VariantType:
    """A tagged union (``variant Msg: Prepare(bal: int) ...``).  A value is a
    record whose field ``tag`` is its case's name and whose other fields are
    the case's (TLA+'s records with a type field, as message sets mix them)."""

    name: str
    cases: tuple[tuple[str, tuple[tuple[str, Type], ...]], ...]

    def case(self, tag: str) -> tuple[tuple[str, Type], ...] | None:
        for t, fields in self.cases:
            if t == tag:
                return fields
        return None

    def record_type(self, tag: str) -> RecordType:
        """The record type of the values of one case (fields sorted, ``tag`` among them)."""
        return RecordType(tuple(sorted((("tag", STR),) + (self.case(tag) or ()))))

    def field_types(self, name: str) -> list[Type]:
        """The types of field ``name`` in the cases that have it."""
        return [t for _, fields in self.cases for n, t in fields if n == name]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class OptionalType:
    inner: Type

    def __str__(self) -> str:
        return f"optional[{self.inner}]"


@dataclass(frozen=True, slots=True)
class NoneType:
    """The type of the literal ``none`` before it meets an optional."""

    def __str__(self) -> str:
        return "none"


@dataclass(frozen=True, slots=True)
class AnyType:
    """The still-unknown element type of an empty literal (``set()``, ``[]``)."""

    def __str__(self) -> str:
        return "?"


def value_type(ty: Type | None, v) -> Type | None:
    """The type to read value ``v`` with: for a variant, the record type of
    ``v``'s case (its ``tag`` field); else ``ty`` itself."""
    if isinstance(ty, VariantType):
        d = getattr(v, "_d", None)
        if isinstance(d, dict) and isinstance(d.get("tag"), str) and ty.case(d["tag"]) is not None:
            return ty.record_type(d["tag"])
        if isinstance(v, dict) and isinstance(v.get("tag"), str) and ty.case(v["tag"]) is not None:
            return ty.record_type(v["tag"])  # a JSON record (ITF, TLC's -dumpTrace json)
    return ty


Type = (BoolType | IntType | StrType | SortType | EnumType | LabelType | SetType | MapType
        | SeqType | TupleType | RecordType | VariantType | OptionalType | NoneType | AnyType)

BOOL = BoolType()
INT = IntType()
STR = StrType()
ANY = AnyType()
NONE_T = NoneType()

# --------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expr:
    span: Span = field(compare=False, repr=False)
    type: Type = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    """A bool, int or str literal."""

    value: bool | int | str = 0


@dataclass(frozen=True, slots=True)
class NoneLit(Expr):
    pass


@dataclass(frozen=True, slots=True)
class SortValue(Expr):
    """A model value ``Sort.name``."""

    sort: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class EnumValue(Expr):
    enum: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class ConstRef(Expr):
    name: str = ""


@dataclass(frozen=True, slots=True)
class VarRef(Expr):
    """A state variable; ``primed`` when read after its assignment in a step."""

    name: str = ""
    primed: bool = False


@dataclass(frozen=True, slots=True)
class LocalRef(Expr):
    """A process-local variable of one process instance.

    ``index`` is None for a singleton process and for the running instance
    (``self``) inside its own steps.
    """

    process: str = ""
    name: str = ""
    index: Expr | None = None
    primed: bool = False


@dataclass(frozen=True, slots=True)
class PcRef(Expr):
    """The label a process instance is at (``proc[i].pc`` / ``writer.pc``)."""

    process: str = ""
    index: Expr | None = None


@dataclass(frozen=True, slots=True)
class SelfRef(Expr):
    process: str = ""


@dataclass(frozen=True, slots=True)
class BoundRef(Expr):
    """A name bound by a quantifier, comprehension, ``any`` or def parameter."""

    name: str = ""


@dataclass(frozen=True, slots=True)
class DefCall(Expr):
    name: str = ""
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    """op: ``neg`` | ``bitnot`` | ``not``."""

    op: str = ""
    operand: Expr | None = None


# Binary operators, resolved by operand types:
#   ints:   add sub mul floordiv mod pow bitand bitor bitxor shl shr lt le gt ge
#   sets:   union inter diff subseteq subset (proper)
#   maps:   merge (right operand wins)
#   seqs:   concat
#   bools:  and or implies
#   any:    eq ne in not_in
@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str = ""
    left: Expr | None = None
    right: Expr | None = None


@dataclass(frozen=True, slots=True)
class IfExpr(Expr):
    cond: Expr | None = None
    then: Expr | None = None
    orelse: Expr | None = None


@dataclass(frozen=True, slots=True)
class Binder:
    """``name in domain``: one bound name ranging over a set."""

    name: str
    domain: Expr
    span: Span = field(compare=False, repr=False, default=NOWHERE)


@dataclass(frozen=True, slots=True)
class SetLit(Expr):
    elems: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class RangeSet(Expr):
    """``lo..hi``, both ends included."""

    lo: Expr | None = None
    hi: Expr | None = None


@dataclass(frozen=True, slots=True)
class SetComp(Expr):
    """``{elem for b1 in S1 for b2 in S2 if cond}``."""

    elem: Expr | None = None
    binders: tuple[Binder, ...] = ()
    cond: Expr | None = None


@dataclass(frozen=True, slots=True)
class SeqComp(Expr):
    """``[elem for x in D if cond]``: a sequence, in the order of ``D`` (a
    sequence, or an int range ``lo..hi`` ascending)."""

    elem: Expr | None = None
    binder: Binder | None = None
    cond: Expr | None = None


@dataclass(frozen=True, slots=True)
class MapLit(Expr):
    entries: tuple[tuple[Expr, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class MapComp(Expr):
    """``{k: value for k in S if cond}``: the total function on S (filtered)."""

    binder: Binder | None = None
    value: Expr | None = None
    cond: Expr | None = None


@dataclass(frozen=True, slots=True)
class Index(Expr):
    """``base[key]``: map application, 0-based sequence or tuple indexing."""

    base: Expr | None = None
    key: Expr | None = None


@dataclass(frozen=True, slots=True)
class Field(Expr):
    base: Expr | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class RecordLit(Expr):
    fields: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class RecordSet(Expr):
    """``records(f=S, g=T)``: every record with field f in S and g in T
    (TLA+'s ``[f: S, g: T]``); fields sorted by name."""

    fields: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class RecordUpdate(Expr):
    """``replace(base, f=v, ...)``."""

    base: Expr | None = None
    updates: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class VariantLit(Expr):
    """``Msg.Promise(bal=1, acc=a)``: a value of one case of a variant."""

    tag: str = ""
    fields: tuple[tuple[str, Expr], ...] = ()


@dataclass(frozen=True, slots=True)
class IsCase(Expr):
    """``isinstance(m, Msg.Promise)``: ``m`` is a value of that case."""

    base: Expr | None = None
    tag: str = ""


@dataclass(frozen=True, slots=True)
class SeqLit(Expr):
    elems: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class TupleLit(Expr):
    elems: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Quant(Expr):
    """``forall``/``exists`` over one or more binders."""

    kind: str = "forall"
    binders: tuple[Binder, ...] = ()
    body: Expr | None = None


@dataclass(frozen=True, slots=True)
class Choose(Expr):
    """``choose x in S: cond``: the least element (in value order) satisfying cond."""

    binder: Binder | None = None
    cond: Expr | None = None


# Builtins: len subsets keys min max unions append head tail abs set seq maps seqs
# product (``product(S, T, ...)``: the set of tuples, TLA+'s ``S \X T``)
@dataclass(frozen=True, slots=True)
class Builtin(Expr):
    """A builtin function; also two the checker writes itself: ``slice``
    (``s[lo:hi]``, args s, lo, hi) and ``elems`` (the set of a sequence's
    elements: ``for x in s`` over a sequence in a set comprehension or a
    quantifier)."""

    name: str = ""
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class LetIn(Expr):
    """``let name = value`` before the result of a def or a property:
    ``body`` with ``name`` (a BoundRef in it) bound to ``value``."""

    name: str = ""
    value: Expr | None = None
    body: Expr | None = None


@dataclass(frozen=True, slots=True)
class Next(Expr):
    """``next(e)``: e evaluated in the new state (action properties only)."""

    operand: Expr | None = None


@dataclass(frozen=True, slots=True)
class Temporal(Expr):
    """op: ``always`` | ``eventually`` (args: (f,)) or ``leads_to`` (args: (p, q))."""

    op: str = ""
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class FairFormula(Expr):
    """``weak_fair(A(p) or B(p, _))`` / ``strong_fair(...)`` in a temporal
    property: TLA+'s ``WF_vars(A(p) \\/ \\E q : B(p, q))`` (``SF_vars``) as a
    formula, ``[]<>~ENABLED <<A>>_vars \\/ []<><<A>>_vars`` (SF: ``<>[]~ENABLED
    ...``), over the step instances ``parts`` name as a fairness
    declaration's parts do (empty: every step, ``next``).  ``actions``: the
    processes among the parts that are actions (for the printer)."""

    kind: str = ""  # "weak" | "strong"
    parts: tuple[FairPart, ...] = ()
    actions: frozenset = field(default=frozenset(), compare=False, repr=False)


# --------------------------------------------------------------------------
# Statements (the body of one atomic step)
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MacroCall:
    """A macro call written in a block, ``name(args...)``, that put the
    statement carrying it there: its body, checked at the call, is inlined
    (``Let``s of the parameters bound to values around it, the parameters
    bound to places substituted).  ``index``: the position of the statement
    among those the call put in that block (the printer prints the call
    once, in place of them; backends ignore it)."""

    name: str
    args: tuple[Expr, ...]
    index: int = 0


@dataclass(frozen=True, slots=True)
class Stmt:
    span: Span = field(compare=False, repr=False)
    # set on the statements a macro call inlined into the block where the
    # call is written (see MacroCall); None elsewhere
    macro: MacroCall | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """``root[path...] = value``; root is a VarRef or LocalRef (unprimed).

    path elements are Index (key expression) or Field (record field name);
    their ``base`` is None.
    """

    root: VarRef | LocalRef | None = None
    path: tuple[Expr, ...] = ()
    value: Expr | None = None


@dataclass(frozen=True, slots=True)
class Await(Stmt):
    cond: Expr | None = None


@dataclass(frozen=True, slots=True)
class If(Stmt):
    branches: tuple[tuple[Expr, tuple[Stmt, ...]], ...] = ()
    orelse: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class Either(Stmt):
    branches: tuple[tuple[Stmt, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class AnyStmt(Stmt):
    """``any x in S if cond: body``: one step per choice of x."""

    binder: Binder | None = None
    cond: Expr | None = None
    body: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class Let(Stmt):
    """``let name = value``: ``name`` (a BoundRef) is ``value`` in the
    statements after it in its block, which are the ``body``."""

    name: str = ""
    value: Expr | None = None
    body: tuple[Stmt, ...] = ()


@dataclass(frozen=True, slots=True)
class Goto(Stmt):
    target: Control | None = None


@dataclass(frozen=True, slots=True)
class Skip(Stmt):
    pass


@dataclass(frozen=True, slots=True)
class Assert(Stmt):
    """``assert cond, "message"`` (PlusCal's assert, TLC's Assert): a false
    condition is an evaluation error of the spec at this statement."""

    cond: Expr | None = None
    message: str = ""


# --------------------------------------------------------------------------
# Control flow between steps
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Jump:
    """Continue at a label (``"Done"`` when the process terminates)."""

    label: str


@dataclass(frozen=True, slots=True)
class Loop:
    """The head of ``while cond:``; cond is evaluated in the state after the
    step that arrives here."""

    cond: Expr
    enter: Control
    exit: Control


Control = Jump | Loop
DONE = "Done"

# --------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sort:
    name: str
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    values: tuple[str, ...]
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Const:
    name: str
    type: Type
    default: Expr | None
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Var:
    """A state variable (or a process local).  ``init_kind`` is ``eq`` for
    ``= expr`` and ``in`` for a nondeterministic ``in expr``."""

    name: str
    type: Type
    init_kind: str
    init: Expr
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: Type
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Def:
    name: str
    params: tuple[Param, ...]
    result: Type
    body: Expr
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Macro:
    """``macro name(params): body`` (PlusCal's macro).  Its statements are
    checked at each call, in the caller's step, and inlined there (see
    ``MacroCall``): they have no meaning apart from a call, so the
    declaration keeps its ``body`` as the spec wrote it (the block's lines,
    dedented), for the printer only; no backend reads it."""

    name: str
    params: tuple[Param, ...]
    body: str
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Step:
    """One labelled atomic step: the unit of interleaving."""

    process: str
    label: str
    body: tuple[Stmt, ...]
    fallthrough: Control
    fairness: str | None  # None | "weak" | "strong" | "unfair" (left out of its process's fairness)
    span: Span = field(compare=False, repr=False)
    # the head of a labelled while (``l: while c:``): its condition; the body
    # is then ``if c: <statements>; goto <first step of the loop> else: goto
    # <after the loop>`` (kept for the printer and for readers of the IR)
    loop_cond: Expr | None = None


@dataclass(frozen=True, slots=True)
class Process:
    """A singleton (``index`` None) or indexed process (``self in index_set``).

    An action (``params`` not None) is a process with one step, labelled with
    its name, that loops to itself: it has no program counter for the user
    (states, traces and the TLA+ export leave it out).  Its instances are
    the values of its parameters: ``self`` is the single parameter, or the
    tuple of them (each parameter reads ``self[i]``).

    ``fair_by`` (actions with ``fair(c, ...)``): the parameters, in
    declaration order, whose values identify one fairness condition, over
    the disjunction of the instances that share them (TLA+'s ``\\A c :
    WF_vars(\\E S : A(c, S))``); None: one condition per instance."""

    name: str
    index: str | None
    index_set: Expr | None
    locals: tuple[Var, ...]
    steps: tuple[Step, ...]
    start: Control
    fairness: str | None
    doc: str
    span: Span = field(compare=False, repr=False)
    params: tuple[str, ...] | None = None
    fair_by: tuple[str, ...] | None = None

    @property
    def is_action(self) -> bool:
        return self.params is not None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.steps) + (DONE,)

    def step(self, label: str) -> Step:
        for s in self.steps:
            if s.label == label:
                return s
        raise KeyError(label)


@dataclass(frozen=True, slots=True)
class FairPart:
    """One disjunct of a fairness declaration: steps of the action or
    process ``process``.  ``label``: one step of a process (None: all its
    steps).  ``args``: for an action, one expression per parameter, None
    for ``_`` (any value); for an indexed process, ``(index,)`` or
    ``(None,)``; None: every instance.  An argument may read the state
    (``Return(c, alloc[c])``): it picks the instance in each state."""

    process: str
    label: str | None
    args: tuple[Expr | None, ...] | None
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FairnessDecl:
    """``fair Name(p in S): A(p) or B(p, _) or proc[p].l`` (``strong fair``):
    for every value of the binders, one weak (strong) fairness condition
    over the disjunction of the step instances ``parts`` name (TLA+'s
    ``\\A p \\in S : WF_vars(A(p) \\/ \\E q : B(p, q) \\/ ...)``): enabled when
    one of them can take a step that changes the state, met by a step of
    any of them.  ``parts`` empty: ``next``, every step of the spec
    (``WF_vars(Next)``)."""

    name: str
    kind: str  # "weak" | "strong"
    binders: tuple[Binder, ...]
    parts: tuple[FairPart, ...]
    doc: str
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Property:
    """kind: ``invariant`` (state predicate), ``action`` (over a step: old
    state and ``next(...)``), ``temporal`` or ``refinement`` (``expr`` is
    ``True``; what it checks is ``refinement``)."""

    name: str
    kind: str
    expr: Expr
    doc: str
    span: Span = field(compare=False, repr=False)
    refinement: Refinement | None = None


@dataclass(frozen=True, slots=True)
class Refinement:
    """``refinement Name: Alias`` (TLA+'s ``Alias == INSTANCE Abs WITH ...``
    and ``PROPERTY Alias!Spec``): every behaviour of this spec, mapped, is a
    behaviour of ``abstract``, the spec imported ``as alias``.  ``variables``
    maps every variable of the abstract spec to an expression over this
    spec's state, ``constants`` every constant of it to a constant
    expression of this spec (both in the abstract spec's declaration
    order).  The abstract spec is another spec's IR: walks of this spec's
    expressions do not enter it (docs/semantics.md, Refinement)."""

    alias: str
    abstract: Spec
    variables: tuple[tuple[str, Expr], ...]
    constants: tuple[tuple[str, Expr], ...]
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Assumption:
    """``assume Name: expr`` (TLA+'s ASSUME): a condition on the constants
    (and defs that read only constants), checked once per model before the
    search; a false one is an error of the model at ``span``."""

    name: str
    expr: Expr
    doc: str
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Check:
    """A property a model checks and the outcome it expects."""

    property: str
    expected: str  # "holds" | "violated"
    span: Span = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Model:
    """A model: every constant bound to a value, and what to check.

    ``constants`` lists every constant of the spec in declaration order with
    the expression that binds it in this model (the model's binding or the
    constant's default).  ``deadlock`` is the expected outcome of the deadlock
    check, or ``"ignore"`` to switch it off.
    """

    name: str
    constants: tuple[tuple[str, Expr], ...]
    checks: tuple[Check, ...]
    symmetry: tuple[str, ...]
    constraint: Expr | None
    deadlock: str
    doc: str
    span: Span = field(compare=False, repr=False)
    # defs this model replaces (TLC's ``Send <- MCSend``): same signature
    defs: tuple[Def, ...] = ()


def spec_for_model(spec: Spec, model: Model) -> Spec:
    """The spec as ``model`` checks it: its def overrides in place of the defs."""
    if not model.defs:
        return spec
    import dataclasses

    over = {d.name: d for d in model.defs}
    return dataclasses.replace(spec, defs=tuple(over.get(d.name, d) for d in spec.defs))


@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    path: str
    doc: str
    files: tuple[str, ...]  # this spec's file, then those it extends/imports
    sorts: tuple[Sort, ...]
    enums: tuple[Enum, ...]
    consts: tuple[Const, ...]
    vars: tuple[Var, ...]
    defs: tuple[Def, ...]
    processes: tuple[Process, ...]
    properties: tuple[Property, ...]
    models: tuple[Model, ...]
    span: Span = field(compare=False, repr=False)
    variants: tuple[VariantType, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    fairness: tuple[FairnessDecl, ...] = ()
    macros: tuple[Macro, ...] = ()  # for the printer (their calls are inlined in the steps)

    def model(self, name: str) -> Model:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)

    def prop(self, name: str) -> Property:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)

    def process(self, name: str) -> Process:
        for p in self.processes:
            if p.name == name:
                return p
        raise KeyError(name)

    def definition(self, name: str) -> Def:
        for d in self.defs:
            if d.name == name:
                return d
        raise KeyError(name)

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(s for p in self.processes for s in p.steps)
