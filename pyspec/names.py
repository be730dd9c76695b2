"""Reserved words and the names generated code uses.

One place decides which names a spec may not declare (Python keywords,
names reserved for generated code) and how generated TLA+ names are
spelled.  TLA+'s reserved words, its standard operators and the names the
export generates are free for specs: the export renames around them
(:mod:`pyspec.tla.names`).
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
#: Sequences, FiniteSets, TLC); a spec name equal to one is renamed in TLA+.
TLA_STANDARD = frozenset("""
Nat Int Real Seq Len Head Tail Append SubSeq SelectSeq Cardinality IsFiniteSet
Print PrintT Assert JavaTime TLCGet TLCSet Permutations SortSeq RandomElement Any
ToString TLCEval
Trace
""".split())
# (`Trace` is TLCExt's operator: TLC binds its Java override by name, and a
# spec variable called Trace breaks model checking even without TLCExt.)

#: TLA+'s standard modules (and those TLC ships): a spec's TLA+ module is
#: named after the spec, so a spec may not take one of these names.
TLA_MODULES = frozenset(
    "Naturals Integers Reals Sequences FiniteSets Bags TLC TLCExt Json Randomization RealTime "
    "Toolbox Apalache".split())

PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset({"None", "True", "False"})

#: Names the TLA+ module defines for itself (renamed when a spec declares
#: one; bound names of the export avoid them all).
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
    if name in PYTHON_RESERVED:
        return f"'{name}' is a Python keyword"
    if name.endswith("_") or "__" in name:
        return "names ending in '_' or containing '__' are reserved for generated code"
    return None


def spec_name_reason(name: str) -> str | None:
    """Why a spec may not be named ``name`` (its TLA+ module's name), or None."""
    if name in TLA_RESERVED:
        return f"'{name}' is a TLA+ reserved word, and the TLA+ module is named after the spec"
    if name in TLA_MODULES:
        return f"'{name}' is a TLA+ standard module, and the TLA+ module is named after the spec"
    return reserved_reason(name)
