"""Reserved words and the names generated code uses.

One place decides how spec names appear in TLA+ and Python, so that the
checker can refuse, at the spec's own position, any name that would collide
after export, and the backends can trust every name they receive.
"""

from __future__ import annotations

import keyword

#: TLA+ reserved words (keywords and proof-language words).
TLA_RESERVED = frozenset("""
ASSUME ASSUMPTION AXIOM BOOLEAN CASE CHOOSE CONSTANT CONSTANTS DOMAIN ELSE ENABLED
EXCEPT EXTENDS FALSE IF IN INSTANCE LET LOCAL MODULE OTHER SF_ STRING SUBSET THEN
THEOREM TRUE UNCHANGED UNION VARIABLE VARIABLES WF_ WITH ACTION BY COROLLARY DEF
DEFINE DEFS HAVE HIDE LAMBDA LEMMA NEW OBVIOUS OMITTED ONLY PICK PROOF PROPOSITION
PROVE QED RECURSIVE STATE SUFFICES TAKE TEMPORAL USE WITNESS
""".split())

#: Operators of the standard modules the generated TLA+ extends (Integers,
#: Sequences, FiniteSets, TLC); a spec name equal to one would shadow it.
TLA_STANDARD = frozenset("""
Nat Int Real Seq Len Head Tail Append SubSeq SelectSeq Cardinality IsFiniteSet
Print PrintT Assert JavaTime TLCGet TLCSet Permutations SortSeq RandomElement Any
ToString TLCEval
Trace
""".split())
# (`Trace` is TLCExt's operator: TLC binds its Java override by name, and a
# spec variable called Trace breaks model checking even without TLCExt.)

PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset({"None", "True", "False"})

#: Names the TLA+ module defines for itself.
TLA_GENERATED = frozenset("""
Init Next Spec vars Fairness TypeOK Terminating StateConstraint Symmetry
BitAnd BitOr BitXor BitNot ShiftLeft ShiftRight Pow2 NoneValue Min Max MinOf MaxOf SeqsUpTo
""".split())


def pc_name(process: str) -> str:
    """The TLA+ variable holding a process's program counter."""
    return f"pc_{process}"


def local_name(process: str, local: str) -> str:
    """The TLA+ variable holding a process-local variable."""
    return f"{process}_{local}"


def step_name(process: str, label: str) -> str:
    """The TLA+ action operator of one labelled step."""
    return f"{process}_{label}"


def reserved_reason(name: str) -> str | None:
    """Why ``name`` may not be declared by a spec, or None when it may."""
    if name in TLA_RESERVED:
        return f"'{name}' is a TLA+ reserved word"
    if name in PYTHON_RESERVED:
        return f"'{name}' is a Python keyword"
    if name in TLA_STANDARD:
        return f"'{name}' is a TLA+ standard operator"
    if name in TLA_GENERATED:
        return f"'{name}' is a name the TLA+ export defines"
    if name.endswith("_") or "__" in name:
        return "names ending in '_' or containing '__' are reserved for generated code"
    return None
