"""A naive, direct interpreter of the IR: the semantics of docs/semantics.md
written as plainly as possible, with spec values (ModelValue, FMap, ...) and
states as dicts.  Slow, independent of pyspec.compile, and only here to
cross-check the compiled model: same initial states, same successors, same
reachable states.

States are frozen as tuples of (key, value) in the order of
``pyspec.ir.state.state_variables`` so that they can be put in sets and
compared with ``CompiledModel.to_values``.
"""

from __future__ import annotations

import itertools
from typing import Any

from pyspec.ir import nodes as ir
from pyspec.ir.state import state_variables
from pyspec.values import NONE, EnumValue, FMap, ModelValue, Record, sort_key


class RefError(Exception):
    pass


#: The key of the places updated so far in a step, in the state being built.
TOUCHED = "__touched__"


def _sorted(s):
    return sorted(s, key=sort_key)


class _Lazy:
    """A let's value, evaluated on its first read (TLA+'s LET: a value
    that would be an error is no error where it is not read)."""

    __slots__ = ("thunk", "value")

    def __init__(self, thunk):
        self.thunk = thunk

    def get(self):
        if self.thunk is not None:
            self.value, self.thunk = self.thunk(), None
        return self.value


class Reference:
    def __init__(self, spec: ir.Spec, model_name: str):
        self.spec = spec
        self.model = spec.model(model_name)
        self.defs = {d.name: d for d in spec.defs}
        self.const_exprs = dict(self.model.constants)
        self.consts: dict[str, Any] = {}
        for name in self.const_exprs:
            self.const(name)
        self.keys = [sv.key for sv in state_variables(spec)]
        self.instances = {}
        for p in spec.processes:
            if p.index_set is None:
                self.instances[p.name] = [None]
            else:
                self.instances[p.name] = _sorted(self.eval(p.index_set, {}, None))

    def assumptions_hold(self) -> bool:
        """TLA+'s ASSUME: every assumption of the spec is true on this model's constants."""
        return all(self.eval(a.expr, {}, None) is True for a in self.spec.assumptions)

    # ------------------------------------------------------------- values
    def const(self, name):
        if name not in self.consts:
            self.consts[name] = self.eval(self.const_exprs[name], {}, None)
        return self.consts[name]

    def freeze(self, st: dict) -> tuple:
        return tuple((k, st[k]) for k in self.keys)

    def thaw(self, t: tuple) -> dict:
        st = dict(t)
        for p in self.spec.processes:
            if p.is_action and f"{p.name}.pc" not in st:  # never changes, not part of a state
                pcs = {inst: self.resolve(p.start, (st, st, p.name, inst)) for inst in self.instances[p.name]}
                st[f"{p.name}.pc"] = pcs[None] if p.index is None else FMap(pcs)
        return st

    # ------------------------------------------------------------- reads
    # A "view" is (old_state, new_state, proc, self): reads of VarRef/own
    # locals use new_state when primed, old_state otherwise.
    def read_var(self, name, view, primed):
        old, new, _, _ = view
        return (new if primed and new is not None else old)[name]

    def read_local(self, proc, name, index, view, primed, env):
        old, new, cur_proc, cur_self = view
        key = f"{proc}.{name}"
        p = self.spec.process(proc)
        if index is None:
            src = new if (primed and new is not None) else old
            if p.index is None:
                return src[key]
            return src[key][cur_self]
        idx = self.eval(index, env, view)
        m = old[key]
        if idx not in m:
            raise RefError(f"no instance {idx}")
        return m[idx]

    def read_pc(self, proc, index, view, env):
        old = view[0]
        key = f"{proc}.pc"
        p = self.spec.process(proc)
        if index is None:
            if p.index is None:
                return old[key]
            return old[key][view[3]]
        idx = self.eval(index, env, view)
        if idx not in old[key]:
            raise RefError(f"no instance {idx}")
        return old[key][idx]

    # ------------------------------------------------------------- expressions
    def eval(self, e: ir.Expr, env: dict, view) -> Any:
        k = type(e).__name__
        if k == "Lit":
            return e.value
        if k == "NoneLit":
            return NONE
        if k == "SortValue":
            return ModelValue(e.sort, e.name)
        if k == "EnumValue":
            return EnumValue(e.enum, e.name)
        if k == "ConstRef":
            return self.const(e.name)
        if k == "VarRef":
            return self.read_var(e.name, view, e.primed)
        if k == "LocalRef":
            return self.read_local(e.process, e.name, e.index, view, e.primed, env)
        if k == "PcRef":
            return self.read_pc(e.process, e.index, view, env)
        if k == "SelfRef":
            return view[3]
        if k == "BoundRef":
            v = env[e.name]
            return v.get() if type(v) is _Lazy else v
        if k == "DefCall":
            d = self.defs[e.name]
            args = [self.eval(a, env, view) for a in e.args]
            # defs read the state in which the step started
            dview = (view[0], None, view[2], view[3]) if view is not None else None
            return self.eval(d.body, {p.name: a for p, a in zip(d.params, args)}, dview)
        if k == "Unary":
            v = self.eval(e.operand, env, view)
            return {"neg": lambda: -v, "bitnot": lambda: ~v, "not": lambda: not v}[e.op]()
        if k == "Binary":
            return self.binary(e, env, view)
        if k == "IfExpr":
            return self.eval(e.then if self.eval(e.cond, env, view) else e.orelse, env, view)
        if k == "SetLit":
            return frozenset(self.eval(x, env, view) for x in e.elems)
        if k == "RangeSet":
            return frozenset(range(self.eval(e.lo, env, view), self.eval(e.hi, env, view) + 1))
        if k == "SetComp":
            out = set()
            for en in self.binds(e.binders, env, view):
                if e.cond is None or self.eval(e.cond, en, view):
                    out.add(self.eval(e.elem, en, view))
            return frozenset(out)
        if k == "MapLit":
            return FMap((self.eval(a, env, view), self.eval(b, env, view)) for a, b in e.entries)
        if k == "MapComp":
            d = {}
            for en in self.binds((e.binder,), env, view):
                if e.cond is None or self.eval(e.cond, en, view):
                    d[en[e.binder.name]] = self.eval(e.value, en, view)
            return FMap(d)
        if k == "Index":
            base = self.eval(e.base, env, view)
            key = self.eval(e.key, env, view)
            if isinstance(base, FMap):
                if key not in base:
                    raise RefError("map applied outside its keys")
                return base[key]
            if not 0 <= key < len(base):
                raise RefError("index out of range")
            return base[key]
        if k == "Field":
            return self.eval(e.base, env, view)[e.name]
        if k == "RecordLit":
            return Record({n: self.eval(x, env, view) for n, x in e.fields})
        if k == "RecordSet":  # every record with each field in its set
            names = [n for n, _ in e.fields]
            sets = [_sorted(self.eval(x, env, view)) for _, x in e.fields]
            return frozenset(Record(dict(zip(names, combo))) for combo in itertools.product(*sets))
        if k == "RecordUpdate":
            r = dict(self.eval(e.base, env, view).items())
            for n, x in e.updates:
                r[n] = self.eval(x, env, view)
            return Record(r)
        if k == "SeqComp":
            b = e.binder
            if type(b.domain).__name__ == "RangeSet":
                dom = range(self.eval(b.domain.lo, env, view), self.eval(b.domain.hi, env, view) + 1)
            else:
                dom = self.eval(b.domain, env, view)
            return tuple(self.eval(e.elem, {**env, b.name: x}, view) for x in dom
                         if e.cond is None or self.eval(e.cond, {**env, b.name: x}, view))
        if k == "VariantLit":  # a record whose field 'tag' names its case
            return Record({"tag": e.tag, **{n: self.eval(x, env, view) for n, x in e.fields}})
        if k == "IsCase":
            return self.eval(e.base, env, view)["tag"] == e.tag
        if k in ("SeqLit", "TupleLit"):
            return tuple(self.eval(x, env, view) for x in e.elems)
        if k == "Quant":
            vals = (self.eval(e.body, en, view) for en in self.binds(e.binders, env, view))
            return all(vals) if e.kind == "forall" else any(vals)
        if k == "Choose":
            for x in _sorted(self.eval(e.binder.domain, env, view)):
                if self.eval(e.cond, {**env, e.binder.name: x}, view):
                    return x
            raise RefError("choose: no witness")
        if k == "Builtin":
            return self.builtin(e, env, view)
        if k == "LetIn":
            return self.eval(e.body, {**env, e.name: _Lazy(lambda: self.eval(e.value, env, view))}, view)
        if k == "Next":
            _, new, p, s = view
            return self.eval(e.operand, env, (new, None, p, s))
        raise RefError(f"unsupported {k}")

    def binds(self, binders, env, view):
        envs = [env]
        for b in binders:
            nxt = []
            for en in envs:
                for x in _sorted(self.eval(b.domain, en, view)):
                    nxt.append({**en, b.name: x})
            envs = nxt
        return envs

    def binary(self, e, env, view):
        op = e.op
        a = self.eval(e.left, env, view)
        if op == "and":
            return a and self.eval(e.right, env, view)
        if op == "or":
            return a or self.eval(e.right, env, view)
        if op == "implies":
            return (not a) or self.eval(e.right, env, view)
        b = self.eval(e.right, env, view)
        if op in ("floordiv", "mod") and b <= 0:
            raise RefError("division by a non-positive number")
        if op == "pow" and b < 0:
            raise RefError("negative exponent")
        if op in ("shl", "shr") and b < 0:
            raise RefError("negative shift")
        if op == "merge":
            d = dict(a.items())
            d.update(b.items())
            return FMap(d)
        f = {
            "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "floordiv": lambda: a // b,
            "mod": lambda: a % b, "pow": lambda: a ** b, "bitand": lambda: a & b, "bitor": lambda: a | b,
            "bitxor": lambda: a ^ b, "shl": lambda: a << b, "shr": lambda: a >> b, "lt": lambda: a < b,
            "le": lambda: a <= b, "gt": lambda: a > b, "ge": lambda: a >= b, "union": lambda: a | b,
            "inter": lambda: a & b, "diff": lambda: a - b, "subseteq": lambda: a <= b, "subset": lambda: a < b,
            "concat": lambda: a + b, "eq": lambda: a == b, "ne": lambda: a != b,
            "in": lambda: (a in b), "not_in": lambda: (a not in b),
        }[op]
        return f()

    def builtin(self, e, env, view):
        args = [self.eval(a, env, view) for a in e.args]
        n = e.name
        if n == "len":
            return len(args[0])
        if n == "subsets":
            s = _sorted(args[0])
            return frozenset(frozenset(c) for r in range(len(s) + 1) for c in itertools.combinations(s, r))
        if n == "keys":
            return frozenset(args[0].keys())
        if n == "elems":
            return frozenset(args[0])
        if n == "slice":
            q, lo, hi = args
            if lo < 0 or hi < 0:
                raise RefError("negative slice bound")
            return q[lo:hi]
        if n in ("min", "max"):
            if not args[0]:
                raise RefError("empty")
            return min(args[0]) if n == "min" else max(args[0])
        if n == "unions":
            return frozenset().union(*args[0])
        if n == "append":
            return args[0] + (args[1],)
        if n in ("head", "tail"):
            if not args[0]:
                raise RefError("empty")
            return args[0][0] if n == "head" else args[0][1:]
        if n == "abs":
            return abs(args[0])
        if n == "product":
            return frozenset(itertools.product(*args))
        if n == "maps":
            ks = _sorted(args[0])
            return frozenset(FMap(zip(ks, combo)) for combo in itertools.product(_sorted(args[1]), repeat=len(ks)))
        if n == "seqs":
            if args[1] < 0:
                raise RefError("seqs() with a negative maximum length")
            return frozenset(c for k in range(args[1] + 1) for c in itertools.product(_sorted(args[0]), repeat=k))
        raise RefError(n)

    # ------------------------------------------------------------- states
    def initial_states(self) -> list[tuple]:
        # in declaration order, each initial value evaluated in the state
        # initialised so far (the variables, then each instance's locals)
        states: list[dict] = [{}]

        def extend(var: ir.Var, key: str, proc, inst) -> None:
            nonlocal states
            out = []
            for st in states:
                val = self.eval(var.init, {}, (st, None, proc, inst))
                for x in ([val] if var.init_kind == "eq" else _sorted(val)):
                    if proc is not None and self.spec.process(proc).index is not None:
                        x = {**st.get(key, {}), inst: x}
                    out.append({**st, key: x})
            states = out

        for v in self.spec.vars:
            extend(v, v.name, None, None)
        for p in self.spec.processes:
            for inst in self.instances[p.name]:
                for lv in p.locals:
                    extend(lv, f"{p.name}.{lv.name}", p.name, inst)
        out = []
        for st in states:
            for p in self.spec.processes:
                if p.index is not None:
                    for lv in p.locals:
                        st[f"{p.name}.{lv.name}"] = FMap(st[f"{p.name}.{lv.name}"])
                pcs = {}
                for inst in self.instances[p.name]:
                    pcs[inst] = self.resolve(p.start, (st, st, p.name, inst))
                st[f"{p.name}.pc"] = pcs[None] if p.index is None else FMap(pcs)
            out.append(self.freeze(st))
        return list(dict.fromkeys(out))

    def resolve(self, ctl: ir.Control, view) -> str:
        while isinstance(ctl, ir.Loop):
            # the loop condition is evaluated in the state after the step
            st = view[1] if view[1] is not None else view[0]
            ctl = ctl.enter if self.eval(ctl.cond, {}, (st, st, view[2], view[3])) else ctl.exit
        return ctl.label

    def successors(self, t: tuple) -> list[tuple[tuple, tuple]]:
        """[((process, self, label), successor)]"""
        st = self.thaw(t)
        out = []
        for p in self.spec.processes:
            for inst in self.instances[p.name]:
                pc = st[f"{p.name}.pc"] if p.index is None else st[f"{p.name}.pc"][inst]
                for step in p.steps:
                    if step.label != pc:
                        continue
                    for new in self.run_block(list(step.body), st, dict(st), p, inst, step, {}):
                        out.append(((p.name, inst, step.label), self.freeze(new)))
        return out

    def run_block(self, stmts, old, new, p, inst, step, env):
        """Executions of ``stmts`` followed by the fallthrough: list of new states."""
        return list(self._run(stmts, 0, (), old, new, p, inst, step, env))

    def _run(self, stmts, i, rest, old, new, p, inst, step, env):
        if i == len(stmts):
            if rest:
                (s2, i2, env2), more = rest[0], rest[1:]
                yield from self._run(s2, i2, more, old, new, p, inst, step, env2)
                return
            yield self.finish(step.fallthrough, old, new, p, inst)
            return
        s = stmts[i]
        view = (old, new, p.name, inst)
        nxt = ((stmts, i + 1, env),) + rest
        k = type(s).__name__
        if k == "Skip":
            yield from self._run(stmts, i + 1, rest, old, new, p, inst, step, env)
        elif k == "Assign":
            val = self.eval(s.value, env, view)
            root = s.root
            if isinstance(root, ir.VarRef):
                key = root.name
                cur = new[key]
            else:
                key = f"{root.process}.{root.name}"
                cur = new[key] if p.index is None else new[key][inst]
            # no two updates of one step at the same place (or one inside the other)
            place = tuple(("f", el.name) if isinstance(el, ir.Field) else ("k", self.eval(el.key, env, view))
                          for el in s.path)
            touched = new.get(TOUCHED, ())
            for k2, other in touched:
                if k2 == key and place[:len(other)] == other[:len(place)]:
                    raise RefError("two updates of one place in a step")
            updated = self.update(cur, list(s.path), val, env, view)
            new2 = dict(new)
            new2[TOUCHED] = touched + ((key, place),)
            if isinstance(root, ir.LocalRef) and p.index is not None:
                d = dict(new[key].items())
                d[inst] = updated
                new2[key] = FMap(d)
            else:
                new2[key] = updated
            yield from self._run(stmts, i + 1, rest, old, new2, p, inst, step, env)
        elif k == "Assert":
            if not self.eval(s.cond, env, view):
                raise RefError("assertion failed")
            yield from self._run(stmts, i + 1, rest, old, new, p, inst, step, env)
        elif k == "Await":
            if self.eval(s.cond, env, view):
                yield from self._run(stmts, i + 1, rest, old, new, p, inst, step, env)
        elif k == "If":
            for cond, body in s.branches:
                if self.eval(cond, env, view):
                    yield from self._run(list(body), 0, nxt, old, new, p, inst, step, env)
                    return
            yield from self._run(list(s.orelse), 0, nxt, old, new, p, inst, step, env)
        elif k == "Either":
            for body in s.branches:
                yield from self._run(list(body), 0, nxt, old, new, p, inst, step, env)
        elif k == "AnyStmt":
            for x in _sorted(self.eval(s.binder.domain, env, view)):
                en = {**env, s.binder.name: x}
                if s.cond is None or self.eval(s.cond, en, view):
                    yield from self._run(list(s.body), 0, nxt, old, new, p, inst, step, en)
        elif k == "Let":
            en = {**env, s.name: _Lazy(lambda: self.eval(s.value, env, view))}
            yield from self._run(list(s.body), 0, nxt, old, new, p, inst, step, en)
        elif k == "Goto":
            yield self.finish(s.target, old, new, p, inst)
        else:
            raise RefError(k)

    def update(self, cur, path, val, env, view):
        if not path:
            return val
        e = path[0]
        if isinstance(e, ir.Field):
            d = dict(cur.items())
            d[e.name] = self.update(cur[e.name], path[1:], val, env, view)
            return Record(d)
        key = self.eval(e.key, env, view)
        if isinstance(cur, FMap):
            if key not in cur:
                raise RefError("assignment outside the keys")
            d = dict(cur.items())
            d[key] = self.update(cur[key], path[1:], val, env, view)
            return FMap(d)
        if not 0 <= key < len(cur):
            raise RefError("index out of range")
        return cur[:key] + (self.update(cur[key], path[1:], val, env, view),) + cur[key + 1:]

    def finish(self, ctl, old, new, p, inst) -> dict:
        label = self.resolve(ctl, (old, new, p.name, inst))
        out = dict(new)
        out.pop(TOUCHED, None)
        key = f"{p.name}.pc"
        if p.index is None:
            out[key] = label
        else:
            d = dict(out[key].items())
            d[inst] = label
            out[key] = FMap(d)
        return out

    def is_terminal(self, t: tuple) -> bool:
        st = self.thaw(t)
        for p in self.spec.processes:
            pc = st[f"{p.name}.pc"]
            if p.index is None:
                if pc != ir.DONE:
                    return False
            elif any(v != ir.DONE for v in pc.values()):
                return False
        return True

    def reachable(self, limit: int = 200000, constraint=True) -> set[tuple]:
        seen = set(self.initial_states())
        todo = list(seen)
        while todo:
            t = todo.pop()
            if constraint and self.model.constraint is not None:
                st = self.thaw(t)
                if not self.eval(self.model.constraint, {}, (st, st, None, None)):
                    continue
            for _, u in self.successors(t):
                if u not in seen:
                    seen.add(u)
                    todo.append(u)
                    if len(seen) > limit:
                        raise RefError("too many states")
        return seen

    def holds(self, prop: str, t: tuple) -> bool:
        st = self.thaw(t)
        return bool(self.eval(self.spec.prop(prop).expr, {}, (st, st, None, None)))


def compiled_view(cm, s: int) -> tuple:
    """A compiled state as the reference freezes it (the program counters of
    actions, which never change and which states do not show, left out:
    compare with :func:`without_action_pcs` of the reference's states)."""
    from pyspec.ir.state import state_variables

    vals = cm.to_values(s)
    return tuple((sv.key, vals[sv.key]) for sv in state_variables(cm.spec) if sv.key in vals)


def without_action_pcs(spec: ir.Spec, states) -> set[tuple]:
    """The reference's states without the program counters of actions."""
    hidden = {f"{p.name}.pc" for p in spec.processes if p.is_action}
    return {tuple((k, v) for k, v in st if k not in hidden) for st in states}
