"""Syntax trees -> checked, typed IR.

This stage resolves names (bases first, then the overriding spec), checks
types, statements and control flow, and reports every problem it finds as a
located diagnostic.  It keeps going after an error so that one run reports
every independent problem; the IR is returned only when there are none.

The stages, one module each: declarations.py (names, types, defs, initial
values), processes.py (labels and control flow), statements.py (a step's
statements), procedures.py (PlusCal's procedures), expressions.py (types
of expressions), properties.py (properties and models), fairness.py
(fairness declarations); scope.py holds what
they share.  ``Checker`` mixes them.
"""

from __future__ import annotations

import lark

from .. import names as naming
from ..diagnostics import Diagnostics, Span
from ..ir import nodes as ir
from ..ir.nodes import Type, VariantType
from . import lints
from .branch_labels import hoist_branch_labels
from .declarations import DeclarationChecks
from .expressions import ExpressionChecks
from .fairness import FairnessChecks
from .loader import Unit
from .procedures import ProcedureChecks
from .processes import ProcessChecks
from .properties import PropertyChecks
from .refinements import RefinementChecks, loading
from .scope import (
    Bail,
    ProcDecl,
    _string_value,
    span_of,
)
from .statements import StatementChecks


class Checker(DeclarationChecks, ProcessChecks, StatementChecks, ProcedureChecks, ExpressionChecks,
              PropertyChecks, FairnessChecks, RefinementChecks):
    def __init__(self, units: list[Unit], diags: Diagnostics, search_path: tuple[str, ...] = ()):
        self.units = units
        self.diags = diags
        self.search_path = search_path
        self.instances: dict[str, ir.Spec | None] = {}  # `import x as A`: A -> x's checked IR (refinements.py)
        self.path = ""
        self.sorts: dict[str, ir.Sort] = {}
        self.enums: dict[str, ir.Enum] = {}
        self.aliases: dict[str, Type] = {}
        self.variants: dict[str, VariantType] = {}
        self._pending_types: dict[str, tuple] = {}  # type/variant declarations not resolved yet
        self.macros: dict[str, tuple] = {}  # name -> (params, block tree, file, span)
        self.macro_decls: dict[str, ir.Macro] = {}  # ... as the IR keeps them (for the printer)
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
        self.assumptions: dict[str, ir.Assumption] = {}
        self.fairness_decls: dict[str, ir.FairnessDecl] = {}
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
        self._base_model_items: list = []  # models of the bases: reusable through `model X extends Y`

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
        instances: list[tuple[Unit, lark.Tree]] = []
        for unit in self.units:
            for item in unit.tree.children[1:]:
                if not isinstance(item, lark.Tree) or item.data in ("extends_decl", "import_decl"):
                    continue
                if unit.role == "import" and item.data not in (
                        "sort_decl", "enum_decl", "variant_decl", "type_decl", "const_decl", "def_decl"):
                    continue
                if item.data == "instance_decl":  # `import x as A`: a spec of its own (refinements.py)
                    instances.append((unit, item))
                    continue
                items.append((unit, item))
        items = self._merge(items)
        for unit, item in instances:
            try:
                self._instance_decl(unit, item)
            except Bail:
                pass
        for unit, item in items:
            if item.data in ("process_decl", "procedure_decl"):
                self.path = unit.path
                hoist_branch_labels(item, self.err)
        for unit, item in items:
            if item.data != "model_decl":
                name, tok, _ = self._item_name(item)
                prev = self.item_kinds.get(str(name))
                # a constant with its sort's name (const RM: set[RM]): the name as a value is the constant
                if prev is None or (prev[0] == "sort_decl" and item.data == "const_decl"):
                    self.item_kinds[str(name)] = (item.data, span_of(tok, unit.path))
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
            assumptions=tuple(self.assumptions.values()),
            fairness=tuple(self.fairness_decls.values()),
            macros=tuple(self.macro_decls.values()),
        )
        for msg, span in lints.all_lints(spec):
            self.warn(msg, span)
        return spec


def check(units: list[Unit], diags: Diagnostics, search_path: tuple[str, ...] = ()) -> ir.Spec | None:
    checker = Checker(units, diags, search_path)
    checker._base_model_items = []
    checker._goto_edges = []
    with loading(units[-1].path):
        return checker.run()
