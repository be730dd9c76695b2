"""The TLA+ name of every declaration and of everything the export generates.

User names are free (docs/tla.md, Names): a spec may call a variable
``vars``, a def ``Next``, an invariant ``TypeOK`` or a constant ``Len``.
The export allocates one module-wide table, in a fixed order, so that the
output is byte-stable:

1. spec declarations (constants, variables, defs, processes, properties)
   keep their own names, unless TLA+ cannot use them as they are (a
   reserved word such as ``STATE``, an operator of the standard modules
   the module extends such as ``Len``, ``self``, a ``WF_``/``SF_``
   prefix): those are renamed ``<name>_<n>_``;
2. then the export's own names (``Init``, ``Next``, ``Spec``, ``vars``,
   ``TypeOK``, ..., the helper operators, and per process its program
   counter ``pc_<p>``, its locals ``<p>_<local>`` and its step operators
   ``<p>_<label>``) give way: one that is already taken is renamed
   ``<name>_<n>_``.

Spec names never end in ``_`` (the checker refuses them), so a renamed
name never collides with a spec name.  The source map records the
renamings, and the TLC runner maps TLC's names back (properties,
variables, actions): reports only show spec names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import names as naming
from ..ir import nodes as ir

IDENT = re.compile(r"^[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*$")

#: The export's own module-level names, in allocation order (helper
#: operators follow, in their own order).  ``StateConstraint`` and
#: ``Symmetry`` live in the MC modules, which extend the spec module.
GENERATED = ("NoneValue", "Init", "Next", "Spec", "vars", "Fairness", "TypeOK", "Terminating",
             "StateConstraint", "Symmetry")


def fresh(name: str, taken) -> str:
    """``name`` itself when free, else ``name_1_``, ``name_2_``, ..."""
    if name not in taken:
        return name
    return renamed(name, taken)


def renamed(name: str, taken) -> str:
    """The first of ``name_1_``, ``name_2_``, ... not in ``taken``."""
    i = 1
    while f"{name}_{i}_" in taken:
        i += 1
    return f"{name}_{i}_"


def usable(name: str) -> bool:
    """Can ``name`` stand as a TLA+ identifier of the generated module?"""
    return (IDENT.match(name) is not None and name not in naming.TLA_RESERVED
            and name not in naming.TLA_STANDARD and name != "self" and not name.startswith(("WF_", "SF_")))


def _base(name: str) -> str:
    """A stem for renaming ``name`` that TLA+ lexes as one identifier."""
    return name if IDENT.match(name) and not name.startswith(("WF_", "SF_")) else "x" + name


class TlaNames:
    """Spec names and generated names -> TLA+ names, for one spec."""

    def __init__(self, spec: ir.Spec, helpers: Iterable[str] = ()):
        taken: set[str] = set(naming.TLA_RESERVED) | set(naming.TLA_STANDARD) | {"self"}
        decls = [c.name for c in spec.consts] + [v.name for v in spec.vars] + [d.name for d in spec.defs] + \
            [p.name for p in spec.processes] + [p.name for p in spec.properties] + \
            [a.name for a in spec.assumptions] + [f.name for f in spec.fairness]
        #: spec declaration -> TLA+ name
        self.user: dict[str, str] = {}
        for n in decls:
            if usable(n):
                self.user[n] = n
                taken.add(n)
        for n in decls:
            if n not in self.user:
                self.user[n] = renamed(_base(n), taken)
                taken.add(self.user[n])

        def alloc(name: str) -> str:
            tla = name if usable(name) and name not in taken else renamed(_base(name), taken)
            taken.add(tla)
            return tla

        #: refinement property -> its INSTANCE of the abstract spec's module:
        #: the alias it was imported as (``TC == INSTANCE TCommit``), or
        #: ``<alias>_<property>`` when several refinements use one alias
        self.instance: dict[str, str] = {}
        refs = [p for p in spec.properties if p.refinement is not None]
        for p in refs:
            alias = p.refinement.alias
            shared = sum(q.refinement.alias == alias for q in refs) > 1
            self.instance[p.name] = alloc(f"{alias}_{p.name}" if shared else alias)

        #: generated name (as docs/tla.md spells it) -> TLA+ name
        self.gen: dict[str, str] = {g: alloc(g) for g in (*GENERATED, *helpers)}
        self.pc: dict[str, str] = {}
        self.local: dict[tuple[str, str], str] = {}
        self.step: dict[tuple[str, str], str] = {}
        for p in spec.processes:
            if p.is_action:  # no program counter; its one step is the action's own operator
                self.step[(p.name, p.steps[0].label)] = self.user[p.name]
                continue
            self.pc[p.name] = alloc(naming.pc_name(p.name))
            for lv in p.locals:
                self.local[(p.name, lv.name)] = alloc(naming.local_name(p.name, lv.name))
            for st in p.steps:
                self.step[(p.name, st.label)] = alloc(naming.step_name(p.name, st.label))
        #: every module-level name the table gave out (and the words TLA+ reserves)
        self.taken = frozenset(taken)

    def renamings(self) -> dict[str, str]:
        """The spec declarations and generated names whose TLA+ name differs."""
        out = {n: t for n, t in self.user.items() if n != t}
        out.update({g: t for g, t in self.gen.items() if g != t})
        return out
