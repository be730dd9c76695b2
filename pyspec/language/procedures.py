"""Procedures (PlusCal's ``procedure``, ``call`` and ``return``), checked
into the IR every engine already runs.

A procedure is a body of labelled steps with parameters and locals::

    procedure acquire(lock: Lock):
        var tries: int = 0
        try_it:
            await owner[lock] == none
            owner[lock] = self
            return

A process runs it with ``call acquire(Lock.l1)`` as the last statement of
a step; the process continues after that step when the procedure returns.
As in PlusCal's translation, every process that may run a procedure gets
the procedure's labels as labels of its own (one program counter), its
parameters and locals as locals of its own, and a local ``stack`` of
frames.  A call pushes a frame (the label of the calling step and the
caller's values of the procedure's parameters and locals, so recursion
works), assigns the arguments to the parameters and the locals their
initial values, and goes to the procedure's first step; ``return`` restores
the saved values, pops the frame and goes where the calling step would have
gone.  All of it is ordinary IR (assignments, a variant value per frame, an
``if`` over the call sites, gotos), so the embedded engine, the TLA+ export
and traces need nothing new; docs/language.md ("Procedures") and
docs/semantics.md say what it means.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import lark

from ..diagnostics import Span
from ..ir import nodes as ir
from ..ir.nodes import ANY, BOOL, INT, NONE_T, LabelType, SeqType, VariantType
from .scope import _LOOP_ITEMS, Bail, Scope, _label_token, _string_value

#: the end of a procedure's body: no step may fall through to it
END = ir.Jump("\x00end of procedure")
#: the fields of a frame besides the procedure's parameters and locals
FRAME_FIELDS = ("called_at", "tag")


@dataclass
class ProcedureDecl:
    name: str
    tok: lark.Token
    params: list[tuple[lark.Token, lark.Tree, lark.Tree | None]]  # name, type, default
    locals: list[lark.Tree]  # local_decl trees
    body: list[lark.Tree]
    doc: str
    path: str
    span: Span
    labels: dict[str, Span] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)  # the procedures its steps call


def _calls(trees) -> list[lark.Tree]:
    out = []
    for t in trees:
        if isinstance(t, lark.Tree):
            out.extend(t.find_data("proc_call_stmt"))
    return out


def _step_trees(items):
    """Every step and labelled while under ``items``."""
    for it in items:
        if not isinstance(it, lark.Tree):
            continue
        if it.data in ("step", "labelled_while"):
            yield it
        if it.data in ("while_loop", "labelled_while"):
            yield from _step_trees(it.children[1:])


def _replace_end(c: ir.Control) -> ir.Control:
    if c == END:
        return ir.Jump(ir.DONE)
    if isinstance(c, ir.Loop):
        return ir.Loop(c.cond, _replace_end(c.enter), _replace_end(c.exit))
    return c


def _reaches_end(c: ir.Control) -> bool:
    if c == END:
        return True
    return isinstance(c, ir.Loop) and (_reaches_end(c.enter) or _reaches_end(c.exit))


class ProcedureChecks:
    """The procedure part of the checker (pyspec/language/checker.py mixes
    it in): declarations, what each process runs, calls and returns."""

    # ------------------------------------------------------------ declarations
    def _procedure_decl(self, item: lark.Tree) -> None:
        kids = [c for c in item.children if c is not None]
        tok = kids[0]
        name = str(tok)
        self._new_name(name, tok)
        params = [tuple(p.children) for p in kids[1:] if isinstance(p, lark.Tree) and p.data == "proc_param"]
        rest = [c for c in kids[1:] if not (isinstance(c, lark.Tree) and c.data == "proc_param")]
        doc = ""
        if rest and isinstance(rest[0], lark.Tree) and rest[0].data == "docstring":
            doc = _string_value(rest[0].children[0])
            rest = rest[1:]
        decl = ProcedureDecl(name, tok, params, [c for c in rest if c.data == "local_decl"],
                             [c for c in rest if c.data in _LOOP_ITEMS], doc, self.path, self.sp(tok))
        seen: dict[str, Span] = {}
        for ptok, _, _ in params:
            self._check_reserved(str(ptok), self.sp(ptok))
            if str(ptok) in FRAME_FIELDS:
                self.err(f"'{ptok}' names a field of the frames a call pushes; choose another name", ptok)
            if str(ptok) in seen:
                self.err(f"parameter '{ptok}' is already defined at {self._at(seen[str(ptok)])}", ptok)
            seen[str(ptok)] = self.sp(ptok)
        for ld in decl.locals:
            ltok = ld.children[0]
            if str(ltok) in FRAME_FIELDS:
                self.err(f"'{ltok}' names a field of the frames a call pushes; choose another name", ltok)
            if str(ltok) in seen:
                self.err(f"local '{ltok}' is already defined at {self._at(seen[str(ltok)])}", ltok)
            seen[str(ltok)] = self.sp(ltok)
            if ld.children[2].data == "init_in":
                self.err("a local of a procedure starts with one value at each call ('= value'), "
                         "not 'in' a set", ltok)
        for it in _step_trees(decl.body):
            ltok = _label_token(it)
            if str(ltok) in decl.labels:
                self.err(f"label '{ltok}' is already used at {self._at(decl.labels[str(ltok)])}", ltok)
            elif str(ltok) == ir.DONE:
                self.err(f"'{ir.DONE}' is the label of a finished process; choose another label", ltok)
            else:
                decl.labels[str(ltok)] = self.sp(ltok)
                self._check_reserved(str(ltok), self.sp(ltok))
        decl.calls = [str(c.children[0]) for c in _calls(decl.body)]
        self.procedure_decls[name] = decl

    def _init_procedures(self) -> None:
        self.procedure_decls: dict[str, ProcedureDecl] = {}
        self._own_names: dict[str, tuple[set, set]] = {}  # process -> its own locals and labels
        self._renames: dict[tuple[str, str], dict[str, str]] = {}  # (process, procedure) -> {name: name in the process}
        self._owner: dict[tuple[str, str], str] = {}  # (process, name in the process) -> procedure
        self._entries: dict[tuple[str, str], ir.Control] = {}  # (process, procedure) -> its first step

    def _attach_procedures(self, pd, body) -> None:
        """Give process ``pd`` the labels, parameters, locals and stack of
        every procedure it may run (called from its steps, or from those of
        a procedure it may run)."""
        self._own_names[pd.name] = (set(pd.locals), set(pd.labels))
        todo = [str(c.children[0]) for c in _calls(body)]
        reach: set[str] = set()
        while todo:
            n = todo.pop()
            if n in reach or n not in self.procedure_decls:
                continue  # an undefined procedure is reported at its call
            reach.add(n)
            todo.extend(self.procedure_decls[n].calls)
        if not reach:
            return
        order = [n for n in self.procedure_decls if n in reach]
        saved = self.path
        try:
            for n in order:
                decl = self.procedure_decls[n]
                self.path = decl.path
                self._renames[(pd.name, n)] = {}
                for label, span in decl.labels.items():
                    if label in pd.labels:
                        self.err(f"label '{label}' of procedure '{n}' is also a label of process '{pd.name}' "
                                 f"(at {pd.labels[label]}): a process and the procedures it calls share "
                                 f"one program counter", span)
                    else:
                        pd.labels[label] = span
                for ptok, ty_tree, default in decl.params:
                    pname = str(ptok)
                    try:
                        ty = self.type_of(ty_tree, Scope("const"))
                    except Bail:
                        ty = ANY
                    real = self._add_procedure_local(pd, n, pname, ty, ptok)
                    if default is not None:
                        pd.local_inits[real] = (lark.Tree("init_eq", [default]), ty)
                    else:
                        zero = self._zero(ty, self.sp(ptok))
                        if zero is None:
                            self.err(f"parameter '{pname}' of procedure '{n}' needs a default "
                                     f"('{pname}: ... = value'): its value before the first call", ptok)
                        else:
                            pd.local_inits[real] = (zero, ty)
                for ld in decl.locals:
                    ltok, ty_tree, init = ld.children
                    try:
                        ty = self.type_of(ty_tree, Scope("const"))
                    except Bail:
                        ty = ANY
                    real = self._add_procedure_local(pd, n, str(ltok), ty, ltok)
                    if ty is not ANY:
                        pd.local_inits[real] = (init, ty)
        finally:
            self.path = saved
        if "stack" in pd.locals:
            self.err(f"process '{pd.name}' calls procedures, which keep their frames in its local 'stack': "
                     f"rename its own 'stack'", pd.locals["stack"].span)
            return
        labels = LabelType(pd.name, tuple(pd.labels) + (ir.DONE,))
        cases = []
        for n in order:
            fields = [("called_at", labels)] + [(x, pd.locals[real].type)
                                                for x, real in self._renames[(pd.name, n)].items()]
            cases.append((n, tuple(fields)))
        stack_t = SeqType(VariantType("Frame", tuple(cases)))
        pd.locals["stack"] = ir.Var("stack", stack_t, "eq", ir.SeqLit(pd.span, stack_t, ()), pd.span)
        pd.local_inits["stack"] = (ir.SeqLit(pd.span, stack_t, ()), stack_t)
        pd.procedures = tuple(order)

    def _add_procedure_local(self, pd, procedure: str, name: str, ty, tok) -> str:
        """Make a parameter or local of ``procedure`` a local of process
        ``pd``; the name it has there (renamed ``name_procedure`` when the
        process or another procedure it runs has a local of that name, as
        PlusCal's translator renames)."""
        if name in self.vars or name in self.consts:
            self.err(f"'{name}' of procedure '{procedure}' shadows the "
                     f"{'variable' if name in self.vars else 'constant'} defined at "
                     f"{self._at(self.declared_at.get(name))}", tok)
        real, k = name, 1
        while real in pd.locals or real == "stack":
            real = f"{name}_{procedure}" + (str(k) if k > 1 else "")
            k += 1
        pd.locals[real] = ir.Var(real, ty, "eq", ir.Lit(self.sp(tok), ty, 0), self.sp(tok))
        self._renames.setdefault((pd.name, procedure), {})[name] = real
        self._owner[(pd.name, real)] = procedure
        return real

    def _zero(self, ty, span: Span) -> ir.Expr | None:
        """A parameter's value before any call (PlusCal's defaultInitValue),
        for the types that have an obvious one."""
        if isinstance(ty, ir.BoolType):
            return ir.Lit(span, ty, False)
        if isinstance(ty, ir.IntType):
            return ty.lo if ty.lo is not None else ir.Lit(span, INT, 0)
        if isinstance(ty, ir.StrType):
            return ir.Lit(span, ty, "")
        if isinstance(ty, ir.SetType):
            return ir.SetLit(span, ty, ())
        if isinstance(ty, ir.SeqType):
            return ir.SeqLit(span, ty, ())
        if isinstance(ty, ir.OptionalType):
            return ir.NoneLit(span, NONE_T)
        return None

    # ------------------------------------------------------------ steps
    def _own_view(self, pd):
        """The process as its own steps see it: without the procedures'
        parameters, locals and labels (and the stack)."""
        if not pd.procedures:
            return pd
        locals_, labels = self._own_names[pd.name]
        return replace(pd, locals={n: v for n, v in pd.locals.items() if n in locals_},
                       labels={n: s for n, s in pd.labels.items() if n in labels}, full=pd, procedure=None,
                       local_inits={})

    def _procedure_view(self, pd, name: str):
        """Process ``pd`` as the steps of procedure ``name`` see it: its
        parameters and locals under their own names, its labels."""
        decl = self.procedure_decls[name]
        renames = self._renames.get((pd.name, name), {})
        return replace(pd, locals={n: pd.locals[real] for n, real in renames.items()},
                       labels=dict(decl.labels), full=pd, procedure=name, local_inits={})

    def _init_view(self, pd, local: str):
        """The scope of a local's initial value: a procedure's sees the procedure's names."""
        owner = self._owner.get((pd.name, local))
        return self._procedure_view(pd, owner) if owner is not None else pd

    def _procedure_controls(self, pd, fall: dict, whiles: dict) -> dict:
        """Each procedure's entry control and view (its steps' controls into
        ``fall``/``whiles``)."""
        out = {}
        saved = self.path
        try:
            for n in pd.procedures:
                decl = self.procedure_decls[n]
                self.path = decl.path
                view = self._procedure_view(pd, n)
                out[n] = (self._build_controls(decl.body, END, view, fall, whiles), view)
        finally:
            self.path = saved
        for n, (entry, _) in out.items():
            self._entries[(pd.name, n)] = entry
        return out

    def _find_call_sites(self, pd, body, bodies: dict, fall: dict, whiles: dict) -> None:
        """Where each call returns to: the control the calling step falls
        through to (for a labelled while's own statements, its body)."""

        pd.sites = {}
        groups = [body] + [self.procedure_decls[n].body for n in bodies]
        for items in groups:
            for it in _step_trees(items):
                if it.data == "step":
                    found, cont = _calls([it.children[-1]]), fall.get(id(it))
                else:
                    kids = [c for c in it.children if isinstance(c, lark.Tree) and c.data not in
                            ("weak_fair", "strong_fair", "no_fair")]
                    lead = [c for c in kids[1:] if c.data not in _LOOP_ITEMS]
                    found, cont = _calls(lead), whiles.get(id(it), (None, None))[1]
                for c in found:
                    callee = str(c.children[0])
                    sites = pd.sites.setdefault(callee, [])
                    label = str(_label_token(it))
                    if cont is not None and all(lab != label for lab, _ in sites):
                        sites.append((label, cont))

    def _procedure_steps(self, pd, bodies: dict, proc_stub, fall: dict, whiles: dict, steps: list,
                         targets: list) -> None:
        saved = self.path
        try:
            for n, (_, view) in bodies.items():
                decl = self.procedure_decls[n]
                self.path = decl.path
                mine: list[ir.Step] = []
                self._walk_steps(decl.body, view, proc_stub, fall, whiles, mine, targets)
                for st in mine:
                    if st.label not in self._goto_only and _reaches_end(st.fallthrough):
                        self.err(f"step '{st.label}' can reach the end of procedure '{n}': end the procedure's "
                                 f"last step with 'return' (or 'goto')", st.span)
                    steps.append(replace(st, fallthrough=_replace_end(st.fallthrough)))
        finally:
            self.path = saved

    # ------------------------------------------------------------ call and return
    def _proc_call(self, st, scope, pd) -> tuple[ir.Stmt | tuple, bool]:
        tok, *arg_trees = [c for c in st.children if c is not None]
        name = str(tok)
        span = self.sp(st)
        if pd.params is not None:
            self.err(f"'call' in action '{pd.name}': an action has no labels to return to; call procedures "
                     f"from the steps of a process", st)
            raise Bail
        decl = self.procedure_decls.get(name)
        if decl is None:
            what = (f"'{name}' is a macro: use it as a statement without 'call'" if name in self.macros else
                    f"'{name}' is a def: use it in an expression" if name in self.def_sigs else
                    f"undefined procedure '{name}'")
            self.err(what, tok)
            raise Bail
        full = pd.full or pd
        if name not in full.procedures:  # the process could not take the procedure (reported)
            raise Bail
        if len(arg_trees) != len(decl.params):
            self.err(f"procedure '{name}' takes {len(decl.params)} argument{'s' if len(decl.params) != 1 else ''}, "
                     f"got {len(arg_trees)}", st)
            raise Bail
        label_t = LabelType(full.name, tuple(full.labels) + (ir.DONE,))
        stack = full.locals["stack"]
        cont = next((c for lab, c in full.sites.get(name, []) if lab == self._cur_label), None)
        if cont is not None and _reaches_end(cont):
            self.err(f"after '{name}' returns, procedure '{pd.procedure}' would run past its end: "
                     f"return in a step after this one", st)
            return ir.Skip(span), True  # the step ends here all the same: no second error
        args = []
        for (ptok, _, _), at in zip(decl.params, arg_trees):
            value = self.expr(at, scope)
            self._expect_assignable(full.locals[str(ptok)].type, value, at, f"argument '{ptok}' of '{name}'")
            args.append(value)
        renames = self._renames[(full.name, name)]  # the procedure's names -> the process's
        saved = list(renames.items())
        for x, real in saved + [("stack", "stack")]:
            if "l:" + real in scope.assigned:
                self.err(f"'{x}' is assigned in this step before the call of '{name}', which assigns it "
                         f"again (assign it in another step)", st)
                raise Bail
            self.used.add(f"l:{full.name}.{real}")  # the frame reads them, and the return the stack
        frame_t = stack.type.elem
        fields = [("called_at", ir.Lit(span, label_t, self._cur_label))]
        fields += [(x, ir.LocalRef(span, full.locals[real].type, full.name, real)) for x, real in saved]
        push = ir.Binary(span, stack.type, "concat", ir.SeqLit(span, stack.type, (ir.VariantLit(span, frame_t, name,
                                                                                                tuple(fields)),)),
                         ir.LocalRef(span, stack.type, full.name, "stack"))
        out: list[ir.Stmt] = [ir.Assign(span, ir.LocalRef(span, stack.type, full.name, "stack"), (), push)]
        # The arguments are values of the state before the call: bind the
        # ones that read a parameter or local the call assigns first.
        lets = []
        reals = {real for _, real in saved}
        for (ptok, _, _), value in zip(decl.params, args):
            pname = renames[str(ptok)]
            reads = {e.name for e in _iter_exprs(value) if isinstance(e, ir.LocalRef) and e.process == full.name
                     and e.index is None}
            if reads & reals:
                bound = self._fresh_name(f"{ptok}_arg", scope)
                lets.append((bound, value))
                value = ir.BoundRef(span, value.type, bound)
            out.append(ir.Assign(span, ir.LocalRef(span, full.locals[pname].type, full.name, pname), (), value))
        # The locals' initial values read the parameters just assigned (the
        # call ends its path through the step: nothing after it sees these).
        view = self._procedure_view(full, name)
        inner = replace(scope, proc_decl=view, bound={}, updates=list(scope.updates), log=list(scope.log),
                        assigned=scope.assigned | {"l:stack"} | {"l:" + renames[str(p[0])] for p in decl.params})
        saved_path = self.path
        self.path = decl.path
        try:
            for ld in decl.locals:
                ltok, _, init = ld.children
                lname = renames.get(str(ltok))
                if lname is None or init.data != "init_eq":
                    continue
                value = self.expr(init.children[0], inner)
                self._expect_assignable(full.locals[lname].type, value, init.children[0],
                                        f"initial value of '{ltok}'")
                out.append(ir.Assign(self.sp(ltok), ir.LocalRef(span, full.locals[lname].type, full.name, lname),
                                     (), value))
                inner.assigned.add("l:" + lname)
        finally:
            self.path = saved_path
        entry = self._entries[(full.name, name)]
        out.append(ir.Goto(span, entry))
        self._goto_edges.append((self._cur_label, set(_labels(entry))))
        body: ir.Stmt | tuple = tuple(out)
        for bound, value in reversed(lets):
            body = (ir.Let(span, bound, value, body if isinstance(body, tuple) else (body,)),)
        return body if len(body) > 1 else body[0], True

    def _return(self, st, scope, pd) -> tuple[ir.Stmt, bool]:
        span = self.sp(st)
        if pd.procedure is None:
            self.err("'return' ends a procedure; a step of a process ends with 'goto' or by falling through "
                     "to the next step", st)
            raise Bail
        full = pd.full
        saved = list(self._renames[(full.name, pd.procedure)].items())
        for x, real in saved:
            if "l:" + real in scope.assigned:
                self.err(f"'{x}' is assigned in this step, and 'return' restores the caller's value of it "
                         f"(assign it in an earlier step)", st)
                raise Bail
        stack = full.locals["stack"]
        frame_t = stack.type.elem
        label_t = LabelType(full.name, tuple(full.labels) + (ir.DONE,))
        old = ir.LocalRef(span, stack.type, full.name, "stack")
        top = ir.Builtin(span, frame_t, "head", (old,))
        branches = []
        targets: set[str] = set()
        for label, cont in full.sites.get(pd.procedure, []):
            if _reaches_end(cont):
                continue  # refused at the call
            body: list[ir.Stmt] = [ir.Assign(span, ir.LocalRef(span, full.locals[real].type, full.name, real), (),
                                             ir.Field(span, full.locals[real].type, top, x)) for x, real in saved]
            body.append(ir.Assign(span, ir.LocalRef(span, stack.type, full.name, "stack"), (),
                                  ir.Builtin(span, stack.type, "tail", (old,))))
            body.append(ir.Goto(span, cont))
            cond = ir.Binary(span, BOOL, "eq", ir.Field(span, label_t, top, "called_at"),
                             ir.Lit(span, label_t, label))
            branches.append((cond, tuple(body)))
            targets.update(_labels(cont))
        self._goto_edges.append((self._cur_label, targets))
        if not branches:  # called from nowhere this process runs: the step never returns
            return ir.Await(span, ir.Lit(span, BOOL, False)), True
        if len(branches) == 1:
            return branches[0][1], True
        # the frame was pushed by one of the call sites: the last needs no test
        return ir.If(span, tuple(branches[:-1]), branches[-1][1]), True

    def _fresh_name(self, base: str, scope) -> str:
        taken = set(self.declared_at) | set(scope.bound) | set(self.procs)
        for p in self.procs.values():
            taken |= set(p.locals)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"
        return name


def _iter_exprs(e: ir.Expr):
    from ..ir import walk

    return walk.iter_exprs((e,))


def _labels(c: ir.Control):
    if isinstance(c, ir.Jump):
        if c != END:
            yield c.label
    else:
        yield from _labels(c.enter)
        yield from _labels(c.exit)
