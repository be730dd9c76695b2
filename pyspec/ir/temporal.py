"""The shapes of a temporal property (docs/semantics.md, Properties).

A temporal property is a conjunction, possibly under ``forall x in S`` with
constant S, of conjuncts of these forms, P and Q state predicates:

=================================  ===============  ======================
conjunct                           TLA+             form
=================================  ===============  ======================
``always P``                       ``[]P``          ``always``
``eventually P``                   ``<>P``          ``eventually``
``always eventually P``            ``[]<>P``        ``always_eventually``
``eventually always P``            ``<>[]P``        ``eventually_always``
``P leads_to Q``                   ``P ~> Q``       ``leads_to``
``always (P implies eventually Q)``  ``[](P => <>Q)``  ``leads_to``
``P implies eventually Q``         ``P => <>Q``     ``implies_eventually``
``P implies always Q``             ``P => []Q``     ``implies_always``
``always (P implies always Q)``    ``[](P => []Q)``  ``always_implies_always``
``weak_fair(A)``                   ``WF_vars(A)``   ``weak_fair``
``strong_fair(A)``                 ``SF_vars(A)``   ``strong_fair``
=================================  ===============  ======================

and ``(always P) implies eventually Q`` (``[]P => <>Q``, form
``always_implies_eventually``), ``(always P) implies always eventually Q``
(``[]P => []<>Q``, ``always_implies_always_eventually``).

A in ``weak_fair(A)`` is what a fairness declaration names (an action
instance, ``A(p, _)``, steps and processes, their disjunction, ``next``;
:class:`pyspec.ir.nodes.FairFormula`): the conjunct is the fairness
condition itself, ``[]<>~ENABLED <<A>>_vars \\/ []<><<A>>_vars`` (strong:
``<>[]~ENABLED ...``), checked on the fair behaviours of the spec.

Outside ``always``, P in ``P implies ...`` is evaluated on the initial
state (TLA+'s meaning of a state predicate in a temporal formula).  The
checker accepts exactly these shapes (:func:`conjunct`); the embedded
engine checks each form (:mod:`pyspec.engines.embedded.liveness`), the
TLA+ export writes the formula as it is and TLC checks it.
"""

from __future__ import annotations

from . import nodes as ir
from .walk import iter_exprs

#: The supported shapes, for diagnostics.
SUPPORTED = ("always P, eventually P, always eventually P, eventually always P, P leads_to Q "
             "(or always (P implies eventually Q)), P implies eventually Q and P implies always Q "
             "(P on the initial state), always (P implies always Q), (always P) implies eventually Q, "
             "(always P) implies always eventually Q, with P, Q state predicates, weak_fair(A) and "
             "strong_fair(A) (A as in a fairness declaration), their conjunctions, and 'forall x in S:' "
             "over constants")


def is_state(e: ir.Expr) -> bool:
    """Does ``e`` contain no temporal operator (a state predicate)?"""
    return not any(isinstance(x, (ir.Temporal, ir.FairFormula)) for x in iter_exprs(e))


def _unary(e: ir.Expr, op: str) -> ir.Expr | None:
    """The operand of ``op e`` (always, eventually) when it is a state predicate."""
    if isinstance(e, ir.Temporal) and e.op == op and is_state(e.args[0]):
        return e.args[0]
    return None


def conjunct(e: ir.Expr) -> tuple[str, ir.Expr, ir.Expr | None] | None:
    """The form of one conjunct and its state predicates (p, q), or None
    when the conjunct has none of the supported shapes.  For ``weak_fair``
    and ``strong_fair``, p is the :class:`~pyspec.ir.nodes.FairFormula`."""
    if isinstance(e, ir.FairFormula):
        return f"{e.kind}_fair", e, None
    if isinstance(e, ir.Temporal) and e.op == "leads_to":
        return ("leads_to", e.args[0], e.args[1]) if all(is_state(a) for a in e.args) else None
    if isinstance(e, ir.Temporal):
        inner = e.args[0]
        if is_state(inner):
            return e.op, inner, None
        other = "eventually" if e.op == "always" else "always"
        p = _unary(inner, other)
        if p is not None:
            return f"{e.op}_{other}", p, None
        if e.op == "always" and _implies(inner) is not None:
            p, then, q = _implies(inner)
            return ("leads_to" if then == "eventually" else "always_implies_always"), p, q
        return None
    if _implies(e) is not None:
        p, then, q = _implies(e)
        return f"implies_{then}", p, q
    if isinstance(e, ir.Binary) and e.op == "implies" and _unary(e.left, "always") is not None:
        # (always P) implies eventually Q / (always P) implies always eventually Q
        p = _unary(e.left, "always")
        q = _unary(e.right, "eventually")
        if q is not None:
            return "always_implies_eventually", p, q
        if isinstance(e.right, ir.Temporal) and e.right.op == "always":
            q = _unary(e.right.args[0], "eventually")
            if q is not None:
                return "always_implies_always_eventually", p, q
    return None


def _implies(e: ir.Expr) -> tuple[ir.Expr, str, ir.Expr] | None:
    """``P implies always Q`` / ``P implies eventually Q``: (P, the operator, Q)."""
    if not (isinstance(e, ir.Binary) and e.op == "implies" and is_state(e.left)):
        return None
    for op in ("always", "eventually"):
        q = _unary(e.right, op)
        if q is not None:
            return e.left, op, q
    return None


def unsupported(e: ir.Expr) -> ir.Expr | None:
    """The first conjunct of a temporal property with an unsupported shape
    (None: every one is supported)."""
    if isinstance(e, ir.Quant) and e.kind == "forall":
        return unsupported(e.body)
    if isinstance(e, ir.Binary) and e.op == "and" and not is_state(e):
        return unsupported(e.left) or unsupported(e.right)
    return None if conjunct(e) is not None else e


def is_liveness(prop: ir.Property) -> bool:
    """Does checking ``prop`` check liveness: a temporal property, or a
    refinement of a spec with fairness (docs/semantics.md, Refinement)?
    Liveness is checked without symmetry (docs/semantics.md, Models)."""
    if prop.kind == "temporal":
        return True
    ref = prop.refinement
    if ref is None:
        return False
    a = ref.abstract
    return bool(a.fairness) or any(p.fairness in ("weak", "strong") or any(
        st.fairness in ("weak", "strong") for st in p.steps) for p in a.processes)
