"""Random well-typed specs over the whole language, for the differential
fuzzer (tests/engines/test_differential.py).

:class:`SpecGen` draws every choice from ``rng`` (a ``random.Random``, or
hypothesis' ``st.randoms()`` so that a failing spec shrinks): small draws
give small specs (a leaf, no branch, no property), so shrinking makes the
spec simpler.  The generated spec uses, at random:

- variables of every kind of type: a declared int range, bool, a sequence,
  a map of sequences, a map of maps, a set of records, an optional model
  value, a tuple; ints are kept inside their ranges with ``%``; initial
  values that read earlier variables (directly and through defs), locals
  whose initial values read the variables;
- several updates of a map of sequences or a map of maps in one step (at
  keys that may coincide at run time: an error in both engines);
- defs (state-reading, with parameters), called before and after
  assignments of what they read;
- an indexed and a singleton process with locals, `while` loops, labels,
  `goto`, `if/elif/else`, `either/or`, `any ... if`, `await`;
- weak and strong fairness on processes and steps;
- invariants, an action property with `next(...)`, temporal properties of
  every supported form (under `forall` too);
- a model with a state constraint, symmetry (only in specs that name no
  model value literally, so that the model is symmetric), `deadlock: ignore`.

Only the variables a spec chooses as *active* are assigned, so that state
spaces stay in the hundreds or thousands of states.  ``constructs`` records
which constructs a spec used (for the coverage report).
"""

from __future__ import annotations

import random

#: Every construct the generator can use; the coverage report counts them.
CONSTRUCTS = (
    "range", "bool", "seq", "map_of_seq", "map_of_map", "set_of_records", "optional", "tuple",
    "def_before_assign", "def_after_assign", "def_with_param",
    "indexed_process", "singleton_process", "local", "while", "goto", "if", "elif", "else",
    "either", "any", "any_if", "await", "fair_process", "strong_fair_process", "fair_step",
    "strong_fair_step", "invariant", "action", "temporal_always", "temporal_eventually",
    "temporal_always_eventually", "temporal_eventually_always", "temporal_leads_to",
    "temporal_forall", "constraint", "symmetry", "deadlock_ignore", "quantifier", "choose",
    "set_comprehension", "record_field", "tuple_index", "pc_ref", "local_ref", "nondet_init",
    "let_stmt", "let_def", "let_invariant", "init_reads_var", "init_calls_def", "local_init_reads",
    "multi_update", "slice", "seq_comprehension", "seq_iterate",
)

VARS = {
    # name: (declaration, construct)
    "x": ("var x: 0..3 = 0", "range"),
    "flag": ("var flag: bool = False", "bool"),
    "q": ("var q: seq[0..2] = []", "seq"),
    "net": ("var net: map[S, seq[0..1]] = {e: [] for e in ELEMS}", "map_of_seq"),
    "box": ("var box: map[S, map[S, 0..1]] = {a: {b: 0 for b in ELEMS} for a in ELEMS}", "map_of_map"),
    "msgs": ("var msgs: set[record(src: S, v: 0..1)] = set()", "set_of_records"),
    "owner": ("var owner: optional[S] = none", "optional"),
    "pair": ("var pair: tuple[0..2, bool] = (0, False)", "tuple"),
}

DEFS = [
    # name, params, text, reads
    ("total", "", "def total() -> int: x + len(q)", {"x", "q"}),
    ("sent", "e: S", "def sent(e: S) -> bool: exists m in msgs: m.src == e", {"msgs"}),
    ("load", "e: S", "def load(e: S) -> int: len(net[e]) + box[e][e]", {"net", "box"}),
    ("free", "", "def free() -> bool: owner == none and not flag", {"owner", "flag"}),
    ("bump", "k: int", "def bump(k: int) -> int: (k + pair[0]) % 3", {"pair"}),
    ("spread", "e: S", "def spread(e: S) -> int:\n    let n = len(net[e])\n    return (n + box[e][e]) % 3",
     {"net", "box"}),
]


#: Invariants that hold in every state of every generated spec.
TRUTHS = ("len(q) <= 2", "(forall e in ELEMS: len(net[e]) <= 2)", "x <= 3", "pair[0] <= 2",
          "len(msgs) <= 4", "(forall e in ELEMS: box[e][e] <= 1)")


class SpecGen:
    def __init__(self, rng: random.Random):
        self.r = rng
        self.used: set[str] = set()
        self.n = 0
        # symmetric specs name no model value literally (S.a / S.b)
        self.symmetric = self.r.random() < 0.3
        k = self.r.randint(2, 4)
        self.active = self.r.sample(sorted(VARS), k)
        self.labels: dict[str, list[str]] = {}

    # ---------------------------------------------------------------- helpers
    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def fresh(self, base: str) -> str:
        self.n += 1
        return f"{base}{self.n}"

    def use(self, construct: str) -> None:
        self.used.add(construct)

    # ---------------------------------------------------------------- expressions
    def elem(self, ctx: dict) -> str:
        opts = list(ctx.get("bound_s", []))
        if ctx.get("self"):
            opts.append("self")
        if not self.symmetric:
            opts += ["S.a", "S.b"]
        if not opts:
            opts = ["self"] if ctx.get("self") else []
        if not opts:
            return ""
        return self.r.choice(opts)

    def int_e(self, d: int, ctx: dict) -> str:
        r = self.r
        leaves = ["x", "len(q)", "pair[0]", "len(msgs)", str(r.randint(0, 2))]
        e = self.elem(ctx)
        if e:
            leaves += [f"len(net[{e}])", f"box[{e}][{e}]"]
        if ctx.get("local"):
            leaves.append("loc")
            self.use("local_ref")
        leaves += ctx.get("lets", [])
        leaf = r.choice(leaves)
        if "pair[0]" in leaf:
            self.use("tuple_index")
        if d <= 0 or r.random() < 0.35:
            return leaf
        k = r.randint(0, 8)
        a = self.int_e(d - 1, ctx)
        if k == 0:
            return f"({a} + {self.int_e(d - 1, ctx)})"
        if k == 1:
            return f"({a} - {self.int_e(d - 1, ctx)})"
        if k == 2:
            return f"({a} * {self.int_e(d - 1, ctx)})"
        if k == 3:
            return f"({a} // {r.randint(1, 3)})"
        if k == 4:
            return f"({a} if {self.bool_e(d - 1, ctx)} else {self.int_e(d - 1, ctx)})"
        if k == 5:
            self.use("def_with_param")
            return self.call("bump", f"{a}", ctx)
        if k == 6:
            return self.call("total", "", ctx)
        if k == 7 and e:
            self.use("def_with_param")
            if r.random() < 0.5:
                self.use("let_def")
                return self.call("spread", e, ctx)
            return self.call("load", e, ctx)
        self.use("choose")
        b = self.fresh("i")
        return f"(choose {b} in 0..3: {b} >= {a} % 4)"

    def call(self, name: str, args: str, ctx: dict) -> str:
        reads = next(d[3] for d in DEFS if d[0] == name)
        assigned = ctx.get("assigned", set())
        self.use("def_after_assign" if reads & assigned else "def_before_assign")
        return f"{name}({args})"

    def bool_e(self, d: int, ctx: dict) -> str:
        r = self.r
        leaves = ["flag", "True", "(owner == none)", "pair[1]", "(len(q) < 2)"]
        if d <= 0 or r.random() < 0.3:
            return r.choice(leaves)
        k = r.randint(0, 11)
        if k == 0:
            op = r.choice(["<", "<=", "==", "!=", ">", ">="])
            return f"({self.int_e(d - 1, ctx)} {op} {self.int_e(d - 1, ctx)})"
        if k == 1:
            return f"({self.bool_e(d - 1, ctx)} and {self.bool_e(d - 1, ctx)})"
        if k == 2:
            return f"({self.bool_e(d - 1, ctx)} or {self.bool_e(d - 1, ctx)})"
        if k == 3:
            return f"(not {self.bool_e(d - 1, ctx)})"
        if k == 4:
            self.use("quantifier")
            b = self.fresh("e")
            c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [b])
            return f"({r.choice(['forall', 'exists'])} {b} in ELEMS: {self.bool_e(d - 1, c2)})"
        if k == 5:
            e = self.elem(ctx)
            if e:
                return self.call("sent", e, ctx)
            return self.call("free", "", ctx)
        if k == 6:
            return self.call("free", "", ctx)
        if k == 7:
            e = self.elem(ctx)
            if e:
                return f"(owner == {e})"
            return "(owner != none)"
        if k == 8:
            self.use("record_field")
            b = self.fresh("m")
            return f"(exists {b} in msgs: {b}.v == {self.int_e(d - 1, ctx)} % 2)"
        if k == 9 and self.labels.get("proc"):
            self.use("pc_ref")
            e = self.elem(ctx) or ("S.a" if not self.symmetric else "")
            if e:
                return f"(proc[{e}].pc == \"{r.choice(self.labels['proc'] + ['Done'])}\")"
        if k == 11:
            self.use("seq_iterate")  # a quantifier over a sequence's elements
            b = self.fresh("v")
            return f"({r.choice(['forall', 'exists'])} {b} in q: {b} != {self.int_e(d - 1, ctx)} % 3)"
        if k == 10:
            self.use("set_comprehension")
            b = self.fresh("e")
            c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [b])
            return f"(len({{{b} for {b} in ELEMS if {self.bool_e(d - 1, c2)}}}) >= {r.randint(0, 2)})"
        return r.choice(leaves)

    # ---------------------------------------------------------------- statements
    def assign(self, var: str, ctx: dict) -> str | None:
        r = self.r
        e = self.elem(ctx)
        if var == "x":
            return f"x = ({self.int_e(2, ctx)}) % 4"
        if var == "flag":
            return f"flag = {self.bool_e(2, ctx)}"
        if var == "q":
            k = r.randint(0, 3)
            if k == 1:
                self.use("slice")
                if r.random() < 0.5:
                    return "q = q[1:] + q[:1]"  # a rotation: the length stays
                return f"q = q[({self.int_e(1, ctx)}) % 3:]"
            if k == 2:
                self.use("seq_comprehension")
                b = self.fresh("v")
                return f"q = [({b} + {self.int_e(1, ctx)}) % 3 for {b} in q if {b} != {r.randint(0, 2)}]"
            return f"q = append(q, ({self.int_e(1, ctx)}) % 3) if len(q) < 2 else tail(q)"
        if var == "net" and e and self.place(f"net[{e}]", ctx):
            return f"net[{e}] = append(net[{e}], ({self.int_e(1, ctx)}) % 2) if len(net[{e}]) < 2 else tail(net[{e}])"
        if var == "box" and e:
            f = self.elem(ctx)
            if self.place(f"box[{e}][{f}]", ctx):
                return f"box[{e}][{f}] = 1 - box[{e}][{f}]"
        if var == "msgs" and e:
            if r.random() < 0.6:
                return f"msgs = msgs | {{record(src={e}, v=({self.int_e(1, ctx)}) % 2)}}"
            return f"msgs = {{m for m in msgs if m.src != {e}}}"
        if var == "owner":
            if e and r.random() < 0.6:
                return f"owner = {e}"
            return "owner = none"
        if var == "pair":
            return f"pair = (({self.int_e(1, ctx)}) % 3, {self.bool_e(1, ctx)})"
        if var == "loc":
            return f"loc = ({self.int_e(1, ctx)}) % 3"
        return None

    @staticmethod
    def place(text: str, ctx: dict) -> bool:
        """A place of net or box not updated yet on this path (the checker
        refuses the same key text twice; different keys may still hit the
        same place at run time: an error in both engines)."""
        if text in ctx["assigned"]:
            return False
        ctx["assigned"].add(text)
        return True

    def block(self, ind: str, ctx: dict, depth: int, labels: list[str], may_goto: bool) -> list[str]:
        r = self.r
        out: list[str] = []
        n = r.randint(1, 3)
        roots = list(self.active) + (["loc"] if ctx.get("local") else [])
        for i in range(n):
            last = i == n - 1
            k = r.randint(0, 9)
            free = [v for v in roots if v not in ctx["assigned"]]
            again = [v for v in ("net", "box") if v in roots and v in ctx["assigned"]]
            if k <= 3 and (free or again):
                if again and (not free or r.random() < 0.25):
                    # another place of a variable this step updated already
                    v = r.choice(again)
                    self.use("multi_update")
                else:
                    v = r.choice(free)
                line = self.assign(v, ctx)
                if line is None:
                    out.append(f"{ind}pass")
                    continue
                out.append(ind + line)
                ctx["assigned"].add(v)
            elif k == 4 and r.random() < 0.5:
                self.use("await")
                out.append(f"{ind}await {self.bool_e(2, ctx)}")
            elif k == 5 and depth > 0:
                self.use("if")
                before = set(ctx["assigned"])
                after = set(before)
                out.append(f"{ind}if {self.bool_e(2, ctx)}:")
                out += self.sub(ind, ctx, before, after, depth, labels, may_goto and last)
                if r.random() < 0.4:
                    self.use("elif")
                    out.append(f"{ind}elif {self.bool_e(1, ctx)}:")
                    out += self.sub(ind, ctx, before, after, depth, labels, may_goto and last)
                if r.random() < 0.6:
                    self.use("else")
                    out.append(f"{ind}else:")
                    out += self.sub(ind, ctx, before, after, depth, labels, may_goto and last)
                ctx["assigned"] = after
            elif k == 6 and depth > 0:
                self.use("either")
                before = set(ctx["assigned"])
                after = set(before)
                out.append(f"{ind}either:")
                out += self.sub(ind, ctx, before, after, depth, labels, may_goto and last)
                out.append(f"{ind}or:")
                out += self.sub(ind, ctx, before, after, depth, labels, may_goto and last)
                ctx["assigned"] = after
            elif k == 7 and depth > 0:
                self.use("any")
                b = self.fresh("w")
                c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [b])
                cond = ""
                if r.random() < 0.5:
                    self.use("any_if")
                    cond = f" if {self.bool_e(1, c2)}"
                out.append(f"{ind}any {b} in ELEMS{cond}:")
                inner = self.block(ind + "    ", c2, depth - 1, labels, may_goto and last)
                out += inner
                ctx["assigned"] |= c2["assigned"]
            elif k == 9 and r.random() < 0.5:
                # a name for a value, for the rest of this block
                self.use("let_stmt")
                name = self.fresh("lv")
                out.append(f"{ind}let {name} = ({self.int_e(1, ctx)}) % 3")
                ctx["lets"] = ctx.get("lets", []) + [name]
            elif k == 8 and may_goto and last:
                self.use("goto")
                out.append(f"{ind}goto {r.choice(labels + ['Done'])}")
                break
            else:
                out.append(f"{ind}pass")
        return out

    def sub(self, ind, ctx, before, after, depth, labels, may_goto) -> list[str]:
        c2 = dict(ctx, assigned=set(before))
        lines = self.block(ind + "    ", c2, depth - 1, labels, may_goto)
        after |= c2["assigned"]
        return lines

    def process(self, name: str, indexed: bool) -> list[str]:
        r = self.r
        self.use("indexed_process" if indexed else "singleton_process")
        head = f"process {name}(self in ELEMS):" if indexed else f"process {name}:"
        fair = r.randint(0, 4)
        if fair == 1:
            self.use("fair_process")
            head = "fair " + head
        elif fair == 2:
            self.use("strong_fair_process")
            head = "strong fair " + head
        out = [head]
        local = r.random() < 0.5
        if local:
            self.use("local")
            k = r.randint(0, 9)
            if k <= 2:
                self.use("nondet_init")
                out.append("    var loc: 0..2 in {0, 1}")
            elif k <= 4:
                # a local's initial value reads the variables (and self)
                self.use("local_init_reads")
                out.append("    var loc: 0..2 = " + r.choice(["x % 3", "len(q)", "1 if flag else 0"]
                                                             + (["len(net[self])"] if indexed else [])))
            else:
                out.append("    var loc: 0..2 = 0")
        labels = self.labels[name]
        ind = "    "
        if r.random() < 0.6:
            self.use("while")
            out.append(f"    while {r.choice(['True', 'x != 3', 'not flag', 'len(q) < 2'])}:")
            ind = "        "
        for lab in labels:
            kind = r.randint(0, 6)
            prefix = ""
            if kind == 1:
                self.use("fair_step")
                prefix = "fair "
            elif kind == 2:
                self.use("strong_fair_step")
                prefix = "strong fair "
            out.append(f"{ind}{prefix}{lab}:")
            ctx = {"self": indexed, "local": local, "assigned": set()}
            # every step changes something first, so that behaviours move
            first = r.choice(self.active)
            line = self.assign(first, ctx)
            if line is not None:
                out.append(f"{ind}    {line}")
                ctx["assigned"].add(first)
            out += self.block(ind + "    ", ctx, 2, labels, True)
        return out

    def declaration(self, var: str) -> str:
        """A variable's declaration; some initial values read the variables
        declared before them (sorted order: box, flag, msgs, net, owner,
        pair, q, x), directly or through a def."""
        r = self.r
        if var == "flag" and r.random() < 0.3:
            self.use("nondet_init")
            return "var flag: bool in {False, True}"
        if var == "pair" and r.random() < 0.3:
            self.use("init_reads_var")
            return "var pair: tuple[0..2, bool] = (len(msgs) % 3, flag)"
        if var == "x" and r.random() < 0.4:
            if r.random() < 0.5:
                self.use("init_calls_def")
                return "var x: 0..3 = bump(1) + (1 if free() else 0)"
            self.use("init_reads_var")
            return "var x: 0..3 = (1 if flag else 0) + pair[0]"
        return VARS[var][0]

    # ---------------------------------------------------------------- properties
    def temporal(self) -> str:
        r = self.r
        k = r.randint(0, 4)
        p = self.bool_e(1, {})
        form = ["always", "eventually", "always_eventually", "eventually_always", "leads_to"][k]
        self.use("temporal_" + form)
        if form == "leads_to":
            body = f"{p} leads_to {self.bool_e(1, {})}"
        else:
            body = f"{form.replace('_', ' ')} {p}"
        if r.random() < 0.3:
            self.use("temporal_forall")
            b = self.fresh("t")
            q = self.bool_e(1, {"bound_s": [b]})
            body = f"forall {b} in ELEMS: {form.replace('_', ' ')} {q}" if form != "leads_to" else \
                f"forall {b} in ELEMS: {q} leads_to {self.bool_e(1, {'bound_s': [b]})}"
        return body

    def spec(self) -> str:
        r = self.r
        for v in self.active:
            self.use(VARS[v][1])
        procs = [("proc", True)] + ([("solo", False)] if r.random() < 0.6 else [])
        for name, _ in procs:
            self.labels[name] = [f"{name[0].upper()}{i}" for i in range(r.randint(1, 3))]
        lines = ["spec Fuzz", "sort S", "const ELEMS: set[S] = {S.a, S.b}"]
        lines += [self.declaration(v) for v in sorted(VARS)]
        lines += [d[2] for d in DEFS]
        for name, indexed in procs:
            lines += self.process(name, indexed)
        checks = []
        for i in range(r.randint(1, 2)):
            self.use("invariant")
            body = self.bool_e(2, {})
            if r.random() < 0.6:
                # mostly true, so that the search goes deep before (if ever)
                # every property is violated
                body = f"{r.choice(TRUTHS)} or {body}" if r.random() < 0.5 else f"{body} or x <= {r.randint(1, 3)}"
            if r.random() < 0.2:
                self.use("let_invariant")
                lines += [f"invariant Inv{i}:", f"    let t{i} = len(q) + x", f"    t{i} <= 5 or {body}"]
            else:
                lines.append(f"invariant Inv{i}: {body}")
            checks.append(f"Inv{i}")
        if r.random() < 0.4:
            self.use("action")
            v = r.choice(["x", "len(q)", "len(msgs)", "pair[0]"])
            op = r.choice(["<=", ">=", "!="])
            lines.append(f"action invariant Act: next({v}) {op} {v} or {self.bool_e(1, {})}")
            checks.append("Act")
        if r.random() < 0.5:
            lines.append(f"temporal Live: {self.temporal()}")
            checks.append("Live")
        lines.append("model m:")
        if self.symmetric and r.random() < 0.7:
            self.use("symmetry")
            lines.append("    symmetry: ELEMS")
        if r.random() < 0.3:
            self.use("constraint")
            lines.append(f"    constraint: x + len(q) + len(msgs) <= {r.randint(2, 4)}")
        lines += [f"    check {c}" for c in checks]
        if r.random() < 0.7:
            self.use("deadlock_ignore")
            lines.append("    deadlock: ignore")
        return "\n".join(lines) + "\n"


def generate(seed_or_rng) -> tuple[str, set[str]]:
    """A spec's text and the constructs it uses."""
    rng = seed_or_rng if isinstance(seed_or_rng, random.Random) else random.Random(seed_or_rng)
    g = SpecGen(rng)
    text = g.spec()
    return text, g.used
