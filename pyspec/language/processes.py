"""Processes and actions: labels, the control flow between steps, each step's statements.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.
"""

from __future__ import annotations

import lark

from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir.nodes import ANY, AnyType, SetType, TupleType
from ..ir.walk import iter_exprs
from . import types as T
from .branch_labels import group_of
from .scope import (
    _FAIRNESS,
    _LOOP_ITEMS,
    Bail,
    ProcDecl,
    Scope,
    _control_labels,
    _label_token,
    _string_value,
)


def _fair_group(fairness: lark.Tree) -> lark.Tree | None:
    """The ``(c, ...)`` of ``fair(c, ...)`` / ``strong fair(c, ...)``, or None."""
    return next((c for c in fairness.children if isinstance(c, lark.Tree) and c.data == "fair_group"), None)


class ProcessChecks:
    _goto_edges: list = []
    _branch_gotos: dict = {}

    # ------------------------------------------------------------- processes
    def _fairness_and_parts(self, item) -> tuple[str | None, list, lark.Tree | None]:
        """A process's or action's fairness, its other children (``override``
        left out) and its group of parameters (``fair(c)``; None without)."""
        fairness = None
        group = None
        kids = []
        for c in item.children:
            if isinstance(c, lark.Tree) and c.data == "override":
                continue
            if isinstance(c, lark.Tree) and c.data in _FAIRNESS:
                fairness = _FAIRNESS[c.data]
                if fairness == "unfair":
                    self.err("'unfair' applies to a step of a fair process (PlusCal's 'label:-')", c)
                    fairness = None
                group = _fair_group(c)
                continue
            kids.append(c)
        return fairness, kids, group

    def _no_fair_group(self, group: lark.Tree | None, what: str) -> None:
        if group is not None:
            self.err(f"'fair(...)' names parameters of an action (one fairness condition per value of "
                     f"them); the fairness of {what} is per instance: write 'fair' or 'strong fair'", group)

    def _step_fairness(self, it, pd: ProcDecl, proc: ir.Process) -> str | None:
        """A step's own fairness (``fair``, ``strong fair``, ``unfair``)."""
        tree = next((c for c in it.children if isinstance(c, lark.Tree) and c.data in _FAIRNESS), None)
        fairness = _FAIRNESS[tree.data] if tree is not None else None
        if tree is not None:
            self._no_fair_group(_fair_group(tree), "a step")
        if fairness == "unfair" and proc.fairness is None:
            self.err(f"'unfair' leaves a step out of its process's fairness, and process '{pd.name}' "
                     f"is not fair", it)
        return fairness

    def _proc_parts(self, item):
        fairness, kids, group = self._fairness_and_parts(item)
        self._no_fair_group(group, "a process")
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
        entry: dict[int, ir.Control] = {}  # position -> the control entering the item there
        pos = {id(it): i for i, it in enumerate(items)}
        cont: dict[int, ir.Control] = {}

        def cont_of(step) -> ir.Control:
            """Where a step goes at the end of its unlabelled branches (and,
            for the last step of a branch, at its end): past its group of
            moved steps, or where its head goes (pyspec/language/branch_labels.py)."""
            c = cont.get(id(step))
            if c is None:
                g = group_of(step)
                if g.ends_branch and g.head is not None:
                    c = cont_of(g.head)
                else:
                    j = pos[id(step)] + 1 + g.size
                    c = entry[j] if j < len(items) else after
                cont[id(step)] = c
            return c

        for i in range(len(items) - 1, -1, -1):
            it = items[i]
            if it.data == "step":
                c = nxt if group_of(it) is None else cont_of(it)
                if c != nxt and isinstance(c, ir.Jump):
                    # an explicit goto, as a user writes it by hand (the
                    # printed spec then reads back to the same IR)
                    self._branch_gotos[id(it)] = c
                    c = nxt
                fall[id(it)] = c
                ltok = [c for c in it.children if isinstance(c, lark.Token)][0]
                nxt = ir.Jump(str(ltok))
                entry[i] = nxt
                continue
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
            entry[i] = nxt
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
        self._branch_gotos = {}  # step -> the goto ending it (labels in branches)
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

    # --------------------------------------------------------------- actions
    # An action is a named, parameterised atomic step without a program
    # counter (TLA+'s action operators).  It is checked and exported as a
    # process with one step that loops to itself, one instance per tuple of
    # parameters; ``Process.params`` tells the backends to show it as an
    # action (no pc in states, TLA+ or traces).
    def _action_parts(self, item):
        fairness, kids, group = self._fairness_and_parts(item)
        tok, params, block = kids
        return tok, fairness, params, block, group

    def _fair_by(self, name: str, group: lark.Tree | None, binders: list[ir.Binder]) -> tuple[str, ...] | None:
        """The parameters ``fair(...)`` names, in declaration order (None
        without a group): one fairness condition per tuple of their values,
        over the instances that share it.  A named parameter's domain may
        not read a parameter left out (the TLA+ export quantifies the named
        ones outside: ``\\A c \\in C : WF_vars(\\E S \\in T : A(c, S))``)."""
        if group is None:
            return None
        params = [b.name for b in binders]
        if not params:
            self.err(f"'fair(...)' groups the instances of an action by parameters, and action '{name}' "
                     f"has none: write 'fair' or 'strong fair'", group)
            return None
        named: list[str] = []
        where: dict[str, lark.Token] = {}
        for tok in (t for t in group.children if isinstance(t, lark.Token)):
            n = str(tok)
            where.setdefault(n, tok)
            if n in named:
                self.err(f"'{n}' is named twice in 'fair(...)'", tok)
            elif n not in params:
                known = ", ".join(f"'{p}'" for p in params)
                self.err(f"'{n}' is not a parameter of action '{name}' (its parameters: {known})", tok)
            else:
                named.append(n)
        left_out = set(params) - set(named)
        for b in binders:
            if b.name not in named:
                continue
            reads = sorted({e.name for e in iter_exprs(b.domain)
                            if isinstance(e, ir.BoundRef) and e.name in left_out})
            if reads:
                self.err(f"'{b.name}' is named in 'fair(...)' but its domain reads '{reads[0]}', which is not: "
                         f"the values of '{b.name}' must not depend on the parameters left out "
                         f"(name '{reads[0]}' too)", where[b.name])
        return tuple(p for p in params if p in named)

    def _action_decl(self, item) -> None:
        tok, fairness, params, block, group = self._action_parts(item)
        name = str(tok)
        self._new_name(name, tok)
        span = self.sp(tok)
        index_type = index_set = None
        names: tuple[str, ...] = ()
        binders: list[ir.Binder] = []
        if params is not None:
            try:
                binders, bound = self._binders(params.children, Scope("const"))
            except Bail:  # reported; the action still exists for its uses
                binders = []
                group = None  # nothing to name
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
        pd.fair_by = self._fair_by(name, group, binders)
        self.procs[name] = pd

    def _action(self, item) -> None:
        tok, fairness, params, block, _ = self._action_parts(item)
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
                                             fairness, doc, pd.span, params=pd.params, fair_by=pd.fair_by)

    def _while_step(self, it, pd: ProcDecl, proc: ir.Process, info) -> ir.Step:
        """Step ``l`` of ``l: while c:`` (PlusCal's labelled while): it tests
        ``c``; when it holds it runs the statements before the body's first
        label and goes to that label (or back to ``l``), else it leaves the loop."""
        exit_ctl, inner_ctl, cond_tree, lead = info
        fairness = self._step_fairness(it, pd, proc)
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
        fairness = self._step_fairness(it, pd, proc)
        ltok = [c for c in it.children if isinstance(c, lark.Token)][0]
        block = it.children[-1]
        scope = Scope("step", proc_decl=pd)
        self._cur_label = str(ltok)
        body, ends = self._block(block, scope, pd)
        extra = self._branch_gotos.get(id(it))
        if extra is not None and not ends:  # the end of a branch with labels (branch_labels.py)
            body = body + (ir.Goto(self.sp(ltok), extra),)
            self._goto_edges.append((str(ltok), {extra.label}))
            ends = True
        if ends:  # always leaves by 'goto': never falls through
            self._goto_only.add(str(ltok))
        return ir.Step(pd.name, str(ltok), body, fallthrough, fairness, self.sp(ltok))
