"""Statements of a step: assignments, await, goto, if/either/any/match, let, macros.

A stage of the checker (pyspec/language/checker.py mixes the stages into
one ``Checker``); ``self`` is that checker.
"""

from __future__ import annotations

from dataclasses import replace

import lark

from ..ir import nodes as ir
from ..ir import walk
from ..ir.nodes import (
    ANY,
    BOOL,
    MapType,
    RecordType,
    SeqType,
    Type,
    VariantType,
)
from . import types as T
from .expressions import subst_bound
from .parser import _SOFT_KEYWORDS, keywords
from .scope import (
    Bail,
    ProcDecl,
    Scope,
    Update,
    _Join,
    _leave_binding,
    _string_value,
    none_facts,
)

#: statements without a block (the last line of a block is the end of one)
_SIMPLE_STMTS = frozenset({"assign", "await_stmt", "assert_stmt", "goto_stmt", "pass_stmt", "let_stmt",
                           "call_stmt", "proc_call_stmt", "return_stmt", "docstring"})


def _root_name(t: lark.Tree) -> str | None:
    """The name an argument ``q``, ``q[i]``, ``q.f`` starts from (None: not such a path)."""
    while isinstance(t, lark.Tree) and t.data in ("index", "field"):
        t = t.children[0]
    return str(t.children[0]) if isinstance(t, lark.Tree) and t.data == "name" else None


class StatementChecks:
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
        self.macro_decls[str(tok)] = ir.Macro(
            str(tok), tuple(ir.Param(n, t, self.sp(p)) for (n, t), p in zip(params, rest[:-1])),
            self._block_text(block), self.sp(tok))

    def _block_text(self, block: lark.Tree) -> str:
        """A block's lines as the spec wrote them (the comments between its
        statements too), dedented: a macro's body, kept for the printer."""
        stmts = [c for c in block.children if isinstance(c, lark.Tree)]
        if not stmts:
            return "pass"
        last = stmts[-1]
        while last.data not in _SIMPLE_STMTS:  # a compound statement ends with its last block's last statement
            kids = [c for c in last.children if isinstance(c, lark.Tree)]
            if not kids:
                break
            last = kids[-1]
        first = stmts[0]
        lines = self.diags.sources.get(self.path, "").split("\n")[first.meta.line - 1:last.meta.end_line]
        if not lines:
            return "pass"
        col = first.meta.column - 1  # `macro m(): x = 1` on one line: the statement's own column
        lines[0] = " " * col + lines[0][col:]
        out = []
        for line in lines:
            line = line.rstrip()
            out.append(line[min(col, len(line) - len(line.lstrip(" "))):])
        return "\n".join(out)

    def _macro_assigns(self, name: str, seen: tuple[str, ...] = ()) -> set[str]:
        """The parameters of macro ``name`` that its body assigns (``q =
        ...``, ``q[i] = ...``), or passes to a macro that assigns its own."""
        params, block, _, _ = self.macros[name]
        names = {n for n, _ in params}
        out: set[str] = set()
        for t in block.iter_subtrees():
            if t.data == "assign":
                target = t.children[0]
                while target.data != "target_name":
                    target = target.children[0]
                if str(target.children[0]) in names:
                    out.add(str(target.children[0]))
            elif t.data == "call_stmt" and str(t.children[0]) in self.macros \
                    and str(t.children[0]) not in seen + (name,):
                callee = str(t.children[0])
                theirs = self._macro_assigns(callee, seen + (name,))
                args = [a for a in t.children[1:] if a is not None]
                for (cp, _), a in zip(self.macros[callee][0], args):
                    if a.data == "arg" and cp in theirs and _root_name(a.children[0]) in names:
                        out.add(_root_name(a.children[0]))
        return out

    def _not_a_place(self, e: ir.Expr, pd: ProcDecl) -> str | None:
        """Why argument ``e`` is not a place a step may assign (None: it is
        one, a variable or an own local or a path into one)."""
        while isinstance(e, (ir.Index, ir.Field)):
            base = T.strip_optional(e.base.type)
            if isinstance(e, ir.Index) and not isinstance(base, (MapType, SeqType)):
                return f"a part of {T.describe(e.base.type)} cannot be assigned"
            e = e.base
        if isinstance(e, ir.VarRef) or (isinstance(e, ir.LocalRef) and e.index is None and e.process == pd.name):
            return None
        if isinstance(e, ir.ConstRef):
            return f"'{e.name}' is a constant"
        if isinstance(e, ir.BoundRef):
            return f"'{e.name.replace('__', ', ')}' is bound by a quantifier, 'any', 'let' or a macro parameter"
        if isinstance(e, ir.SelfRef):
            return "'self' and an action's parameters cannot be assigned"
        if isinstance(e, ir.LocalRef):
            return f"'{e.name}' is a local of another process instance"
        return "it is an expression, not a variable"

    def _place(self, name: str, scope: Scope) -> ir.Expr:
        """The place a macro's parameter names, read here: its argument
        checked again in the caller's scope, with what the step has
        assigned so far (a read after an assignment sees the new value)."""
        tree, at, path = scope.places[name]
        here = replace(at, assigned=scope.assigned, updates=scope.updates, log=scope.log,
                       narrowed=scope.narrowed)
        saved, self.path = self.path, path
        try:
            return self.expr(tree, here)
        finally:
            self.path = saved

    def _place_target(self, name: str, scope: Scope, pd: ProcDecl) -> tuple[ir.VarRef | ir.LocalRef, list, Type]:
        """An assignment through a macro's parameter bound to a place: the
        root, the path (``Index``/``Field`` with no base) and its type."""
        e = self._place(name, scope)
        chain = []
        while isinstance(e, (ir.Index, ir.Field)):
            chain.append(e)
            e = e.base
        if isinstance(e, ir.VarRef):
            ty = self.vars[e.name].type
        else:
            ty = next(v.type for v in pd.locals.values() if v.name == e.name)
        root = replace(e, type=ty, primed=False)
        path: list[ir.Expr] = []
        for el in reversed(chain):
            base = T.strip_optional(ty)
            if isinstance(el, ir.Index):
                ty = base.value if isinstance(base, MapType) else base.elem
                path.append(ir.Index(el.span, ty, None, el.key))
            else:
                ty = base.field_type(el.name)
                path.append(ir.Field(el.span, ty, None, el.name))
        return root, path, ty

    def _macro_call(self, st, scope: Scope, pd: ProcDecl) -> tuple[ir.Stmt, bool]:
        """``m(a, b)``: the macro's statements, checked here, with each
        parameter a ``let`` of its argument (evaluated once, at the call),
        or, when the macro assigns it, the place its argument names (PlusCal's
        substitution: each use reads or assigns that place).  Each
        statement the call puts in the block carries it (``Stmt.macro``)."""
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
        # A parameter named like something the call site sees (a binder, a
        # variable: `send(car)` inside `any car in ...`) is bound under a
        # fresh name, so the IR and the TLA+ export never rebind a name; in
        # the body the parameter wins, as PlusCal's substitution has it.
        aliases: dict[str, str] = {}
        places: dict[str, tuple] = {}
        assigned = self._macro_assigns(name)
        args = []
        for (pname, pty), at in zip(params, arg_trees):
            v = self.expr(at.children[0], scope)
            args.append(v)
            if not T.assignable(pty, v.type):
                self.err(f"argument '{pname}' of macro '{name}' has type {T.describe(pty)}, "
                         f"got {T.describe(v.type)}", at)
            if pname in assigned:
                why = self._not_a_place(v, pd)
                if why is not None:
                    self.err(f"macro '{name}' assigns its parameter '{pname}', so the argument must be a "
                             f"variable or a part of one (x, m[k], r.f): {why}", at)
                    raise Bail
                places[pname] = (at.children[0], scope, self.path)
                continue
            real = pname
            if pname in scope.bound or pname in scope.aliases or pname in self.declared_at:
                real = aliases[pname] = self._fresh_name(f"{pname}_{name}", scope)
            lets.append((real, pty, v))
        # the body sees the caller's state, locals and bound names, and its
        # parameters
        inner = scope.child({real: t for real, t, _ in lets})
        inner.aliases = {**scope.aliases, **aliases}
        own = {n for n, _ in params}
        inner.places = {**{k: v for k, v in scope.places.items() if k not in own}, **places}
        saved, self.path = self.path, path
        self._expanding.append(name)
        try:
            body, ends = self._block(block, inner, pd)
        finally:
            self._expanding.pop()
            self.path = saved
        scope.assigned, scope.updates = inner.assigned, inner.updates
        for real, _, _ in lets:
            _leave_binding(scope, inner, real)
            inner = replace(inner, updates=scope.updates)
        span = self.sp(st)
        for real, _, v in reversed(lets):
            body = (ir.Let(span, real, v, body),)
        call = ir.MacroCall(name, tuple(args))
        body = tuple(replace(s, macro=replace(call, index=i)) for i, s in enumerate(body))
        return (body[0] if len(body) == 1 else body), ends

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

    def _block(self, block: lark.Tree, scope: Scope, pd: ProcDecl) -> tuple[tuple[ir.Stmt, ...], bool]:
        """Check a block; returns its statements and whether it always ends in goto."""
        # what an `await` in the block tells of optional names holds to its end
        # (the blocks of an either, an if, an any are separate paths)
        narrowed = scope.narrowed
        try:
            return self._stmts([st for st in block.children
                                if not (isinstance(st, lark.Tree) and st.data == "docstring")], scope, pd)
        finally:
            scope.narrowed = narrowed

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
        if d == "step":
            # left by pyspec/language/branch_labels.py: not in a branch of an if/either of a step
            label = [c for c in st.children if isinstance(c, lark.Token)][0]
            if str(label) in keywords() and str(label) not in _SOFT_KEYWORDS:
                self.err(f"unexpected '{label}'", label)  # `else:` without its `if`, ...
                raise Bail
            self.err(f"step label '{label}:' inside a step: labels start steps at the level of the process "
                     f"body, or in the branches of an 'if'/'either' of a step (PlusCal)", label)
            raise Bail
        if d == "assert_stmt":
            cond = self.expr(st.children[0], scope)
            self._expect_bool(cond, st.children[0], "the condition of 'assert'")
            msg = _string_value(st.children[1]) if len(st.children) > 1 and st.children[1] is not None else ""
            scope.narrowed = {**scope.narrowed, **none_facts(cond)[0]}  # past it, the condition holds
            return ir.Assert(span, cond, msg), False
        if d == "await_stmt":
            cond = self.expr(st.children[0], scope)
            self._expect_bool(cond, st.children[0], "the condition of 'await'")
            scope.narrowed = {**scope.narrowed, **none_facts(cond)[0]}  # the rest of the step knows
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
            outer = scope.narrowed
            known = dict(outer)  # reaching a branch: every earlier condition was false
            for ct, bt in conds:
                # an elif's condition reads the state before the if (not what
                # an earlier branch assigned: that branch did not run)
                join.start(scope)
                scope.narrowed = known
                cond = self.expr(ct, scope)
                self._expect_bool(cond, ct, "an 'if' condition")
                when_true, when_false = none_facts(cond)
                scope.narrowed = {**known, **when_true}
                body, ends = self._block(bt, scope, pd)
                join.end(scope)
                all_end = all_end and ends
                branches.append((cond, body))
                known = {**known, **when_false}
            orelse: tuple[ir.Stmt, ...] = ()
            join.start(scope)
            scope.narrowed = known
            if orelse_tree is not None:
                orelse, ends = self._block(orelse_tree, scope, pd)
                all_end = all_end and ends
            else:
                all_end = False
            join.end(scope)
            join.done(scope)
            # after the if, what every branch assigned is no longer known
            scope.narrowed = {k: v for k, v in outer.items() if f"{k[0]}:{k[1]}" not in scope.assigned}
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
            # `any a in A, b in B if c:` is `any a in A: any b in B if c:`
            # (one execution per pair satisfying c); `any (p, q) in S:`
            # binds the tuples of S (expressions.py, _pattern_binders)
            *binder_trees, cond_tree, bt = st.children
            binders, bound, parts = self._pattern_binders(binder_trees, scope, "any ")
            inner = scope.child(bound)
            cond = None
            if cond_tree is not None:
                cond = subst_bound(self.expr(cond_tree, inner), parts)
                self._expect_bool(cond, cond_tree, "an 'any ... if' condition")
            body, ends = self._block(bt, inner, pd)
            body = subst_bound(body, parts)
            _leave_binding(scope, inner, "")
            for name in bound:  # updates keyed by a name bound here are not comparable with later ones
                _leave_binding(scope, scope, name)
            stmt = ir.AnyStmt(span, binders[-1], cond, body)
            for b in reversed(binders[:-1]):
                stmt = ir.AnyStmt(span, b, None, (stmt,))
            return stmt, ends
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
        through = name in scope.places
        if through:  # a macro's parameter bound to a place: assign the place
            root, path, ty = self._place_target(name, scope, pd)
            key = ("v:" if isinstance(root, ir.VarRef) else "l:") + root.name
            name = root.name  # what the messages below name
        elif name in scope.bound or name in scope.aliases:
            self.err(f"cannot assign to '{name}': it is bound by a quantifier, 'any' or a macro parameter", tok)
            raise Bail
        elif name in pd.locals:
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
        if not through:
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
        scope.narrowed = {k: v for k, v in scope.narrowed.items() if (k[0], k[1]) != (key[0], key[2:])}
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
        elif name in scope.bound or name in scope.aliases or name in scope.places:
            self.err(f"'{name}' is already bound in this expression; choose another name", tok)
        elif scope.proc_decl is not None and name in (scope.proc_decl.params or ()):
            self.err(f"'{name}' hides a parameter of action '{scope.proc_decl.name}'; choose another name", tok)
        elif name in self.declared_at:
            self.err(f"'{name}' hides the declaration at {self._at(self.declared_at[name])}; choose another name", tok)
