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
  model value literally, so that the model is symmetric), `deadlock: ignore`;
- a variant (a set of variant messages and a variable holding one):
  constructing cases, `isinstance`, `.tag`, fields read under a test of
  the case, `match` (with bindings and `case _`), on the variable or on a
  message chosen by `any`;
- action-style specs: `action`, `fair action`, `strong fair action` with
  and without parameters, alone or mixed with processes;
- `maps`, `seqs`, `records`, `product` in type invariants (`x in ...`,
  `<=`, nested, under `subsets`), in quantifiers and in `any`;
- assumptions (holding ones, and now and then a false one: an error of
  the model in every engine);
- `any` with several binders, tuple patterns in `any`, quantifiers and set
  comprehensions, quantifiers with several binders;
- a macro, a procedure (`call` / `return`), a recursive def, a def
  replaced by the model, `unfair` steps, a labelled `while`.

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
    # variants and match
    "variant", "variant_var", "isinstance", "variant_tag", "variant_field", "match", "match_bind",
    "match_wildcard", "match_any", "variant_field_error",
    # action-style specs
    "action_step", "action_params", "fair_action", "strong_fair_action", "actions_only", "actions_mixed",
    # sets of maps, sequences, records, tuples
    "typeok_fset", "maps_set", "seqs_set", "records_set", "product_set", "fset_binder", "fset_any", "fset_init",
    # assumptions
    "assume", "assume_false",
    # binders
    "any_multi", "tuple_pattern_any", "tuple_pattern_quant", "tuple_pattern_comp", "quantifier_multi",
    # the rest
    "macro", "procedure", "recursive_def", "model_def", "unfair_step", "labelled_while",
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
    "inbox": ("var inbox: set[Msg] = set()", "variant"),
    "mail": ("var mail: Msg = Msg.Ping", "variant_var"),
}

#: The variant the messages are; its cases and fields (field: "S" or "int" of 0..1).
VARIANT = "variant Msg:\n    Req(src: S, n: 0..1)\n    Ack(dst: S)\n    Ping"
CASES = {"Req": {"src": "S", "n": "int"}, "Ack": {"dst": "S"}, "Ping": {}}

#: Type invariants over the sets of maps, sequences, records and tuples that
#: hold in every state of every generated spec (construct, text).
TYPE_FACTS = (
    ("seqs_set", "q in seqs(0..2, 2)"),
    ("maps_set", "net in maps(ELEMS, seqs(0..1, 2))"),
    ("maps_set", "box in maps(ELEMS, maps(ELEMS, 0..1))"),
    ("records_set", "msgs <= records(src=ELEMS, v=0..1)"),
    ("records_set", "msgs in subsets(records(v=0..1, src=ELEMS))"),
    ("product_set", "pair in product(0..2, {False, True})"),
    ("product_set", "(len(q), pair[0]) in product(0..2, 0..2)"),
    ("maps_set", "{e: len(net[e]) for e in ELEMS} in maps(ELEMS, 0..2)"),
)

#: Nondeterministic initial values from sets of maps, records, tuples.
FSET_INIT = {
    "box": "var box: map[S, map[S, 0..1]] in maps(ELEMS, maps(ELEMS, 0..1))",
    "net": "var net: map[S, seq[0..1]] in maps(ELEMS, seqs(0..1, 1))",
    "msgs": "var msgs: set[record(src: S, v: 0..1)] in subsets(records(src=ELEMS, v={0}))",
    "pair": "var pair: tuple[0..2, bool] in product(0..2, {False, True})",
}

#: Type tests that may fail (construct, text).
TYPE_TESTS = (
    ("seqs_set", "q in seqs(0..1, 2)"),
    ("seqs_set", "q in seqs({0, 2}, 1)"),
    ("maps_set", "net in maps(ELEMS, seqs({0}, 2))"),
    ("maps_set", "box in maps(ELEMS, maps(ELEMS, {0}))"),
    ("records_set", "msgs <= records(src=ELEMS, v={1})"),
    ("product_set", "pair in product(0..1, {False, True})"),
    ("product_set", "pair in product(0..2, {False})"),
)

#: Assumptions on the constants that hold.
ASSUMPTIONS = (
    "len(ELEMS) == 2",
    "cap() >= 2",
    "len(maps(ELEMS, 0..1)) == 4 and len(seqs(0..1, 2)) == 7",
    "len(product(ELEMS, 0..1)) == len(records(src=ELEMS, v=0..1))",
    "forall (e, v) in product(ELEMS, 0..1): e in ELEMS and v <= 1",
)

DEFS = [
    # name, params, text, reads
    ("total", "", "def total() -> int: x + len(q)", {"x", "q"}),
    ("sent", "e: S", "def sent(e: S) -> bool: exists m in msgs: m.src == e", {"msgs"}),
    ("load", "e: S", "def load(e: S) -> int: len(net[e]) + box[e][e]", {"net", "box"}),
    ("free", "", "def free() -> bool: owner == none and not flag", {"owner", "flag"}),
    ("bump", "k: int", "def bump(k: int) -> int: (k + pair[0]) % 3", {"pair"}),
    # a let read only where its value is no error (TLA+'s LET is lazy)
    ("spread", "e: S", "def spread(e: S) -> int:\n    let n = len(net[e])\n    let h = head(net[e])\n"
     "    return (n + box[e][e]) % 3 if n == 0 else (h + n + box[e][e]) % 3", {"net", "box"}),
    ("sumq", "s: seq[int]", "def sumq(s: seq[int]) -> int: 0 if len(s) == 0 else head(s) + sumq(tail(s))", set()),
    ("cap", "", "def cap() -> int: len(ELEMS) + 1", set()),
]

#: Replacements of a def that a model may give (same signature).
MODEL_DEFS = (
    "def bump(k: int) -> int: (k + pair[0] + 1) % 3",
    "def free() -> bool: owner == none",
    "def total() -> int: x",
    "def sumq(s: seq[int]) -> int: len(s)",
)


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
        # a macro (name, the variable it assigns) and a procedure's name,
        # decided in spec()
        self.macro: tuple[str, str] | None = None
        self.procedure: str | None = None

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
        k = r.randint(0, 10)
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
        if k == 9:
            # a field read under a test of the case, a count of one case
            self.use("variant")
            if r.random() < 0.5:
                self.use("variant_field")
                self.use("isinstance")
                return f"(mail.n if isinstance(mail, Msg.Req) else {a})"
            b = self.fresh("m")
            case = r.choice(sorted(CASES))
            self.use("isinstance")
            return f"len({{{b} for {b} in inbox if isinstance({b}, Msg.{case})}})"
        if k == 10:
            self.use("recursive_def")
            return f"(sumq({r.choice(['q', f'[{a} % 3]', 'q[1:]'] + ([f'net[{e}]'] if e else []))}) % 4)"
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
        k = r.randint(0, 15)
        if k == 12:
            return self.variant_test(d, ctx)
        if k == 13:
            return self.fset_quant(d, ctx)
        if k == 14:
            c, text = r.choice(TYPE_TESTS + TYPE_FACTS)
            self.use(c)
            return f"({text})"
        if k == 15:
            self.use("quantifier_multi")
            a, b = self.fresh("e"), self.fresh("e")
            c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [a, b])
            dom = r.choice(["ELEMS", f"ELEMS - {{{a}}}"])
            return f"({r.choice(['forall', 'exists'])} {a} in ELEMS, {b} in {dom}: {self.bool_e(d - 1, c2)})"
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

    def variant_test(self, d: int, ctx: dict) -> str:
        """A test on the variant variables."""
        r = self.r
        self.use("variant")
        e = self.elem(ctx)
        k = r.randint(0, 6)
        if k == 0:
            self.use("isinstance")
            return f"isinstance(mail, Msg.{r.choice(sorted(CASES))})"
        if k == 1:
            self.use("variant_tag")
            return f"(mail.tag {r.choice(['==', '!='])} \"{r.choice(sorted(CASES))}\")"
        if k == 2 and e:
            return f"(mail == Msg.Ack(dst={e}))"
        if k == 3:
            self.use("isinstance")
            self.use("variant_field")
            b = self.fresh("m")
            return f"(exists {b} in inbox: isinstance({b}, Msg.Req) and {b}.n == ({self.int_e(d - 1, ctx)}) % 2)"
        if k == 4 and e:
            self.use("isinstance")
            self.use("variant_field")
            b = self.fresh("m")
            return f"(forall {b} in inbox: not isinstance({b}, Msg.Ack) or {b}.dst != {e})"
        if k == 5:
            self.use("variant_tag")
            b = self.fresh("m")
            return f"(len({{{b}.tag for {b} in inbox}}) >= {r.randint(1, 2)})"
        if k == 6 and r.random() < 0.3:
            # a field read without a test of the case: an error in every
            # engine once a message of another case is in the set (read on
            # every message: an `exists` may meet a witness first, and which
            # element comes first is not the same in both engines)
            self.use("variant_field_error")
            b = self.fresh("m")
            return f"(len({{{b}.n for {b} in inbox}}) >= 1)"
        return "(Msg.Ping in inbox)"

    def fset_quant(self, d: int, ctx: dict) -> str:
        """A quantifier over a set of maps, sequences, records or tuples
        (a tuple pattern for the tuples)."""
        r = self.r
        self.use("fset_binder")
        q = r.choice(["forall", "exists"])
        k = r.randint(0, 4)
        if k == 0:
            self.use("maps_set")
            g, b = self.fresh("g"), self.fresh("e")
            c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [b])
            return (f"({q} {g} in maps(ELEMS, 0..1): exists {b} in ELEMS: "
                    f"{g}[{b}] == ({self.int_e(d - 1, c2)}) % 2)")
        if k == 1:
            self.use("seqs_set")
            s = self.fresh("s")
            return f"({q} {s} in seqs(0..{r.randint(1, 2)}, {r.randint(1, 2)}): {s} != q or sumq({s}) > {r.randint(0, 2)})"
        if k == 2:
            self.use("records_set")
            m = self.fresh("m")
            c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [f"{m}.src"], lets=ctx.get("lets", []) + [f"{m}.v"])
            return f"({q} {m} in records(src=ELEMS, v=0..1): {m} not in msgs or {self.bool_e(d - 1, c2)})"
        if k == 3:
            self.use("product_set")
            self.use("tuple_pattern_quant")
            a, b = self.fresh("e"), self.fresh("v")
            c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [a], lets=ctx.get("lets", []) + [b])
            return f"({q} ({a}, {b}) in product(ELEMS, 0..2): {self.bool_e(d - 1, c2)})"
        self.use("product_set")
        self.use("tuple_pattern_comp")
        a, b = self.fresh("e"), self.fresh("v")
        c2 = dict(ctx, bound_s=ctx.get("bound_s", []) + [a], lets=ctx.get("lets", []) + [b])
        return (f"(len({{{a} for ({a}, {b}) in product(ELEMS, 0..1) if {self.bool_e(d - 1, c2)}}}) "
                f">= {r.randint(0, 2)})")

    def message(self, ctx: dict) -> str:
        """A value of the variant."""
        r = self.r
        e = self.elem(ctx)
        k = r.randint(0, 2)
        if k == 0 and e:
            return f"Msg.Req(src={e}, n=({self.int_e(1, ctx)}) % 2)"
        if k == 1 and e:
            return f"Msg.Ack(dst={e})"
        return "Msg.Ping"

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
        if var == "inbox":
            k = r.randint(0, 3)
            if k <= 1:
                return f"inbox = (inbox | {{{self.message(ctx)}}}) if len(inbox) < 2 else inbox - {{{self.message(ctx)}}}"
            if k == 2:
                b = self.fresh("m")
                self.use("isinstance")
                return f"inbox = {{{b} for {b} in inbox if not isinstance({b}, Msg.{r.choice(sorted(CASES))})}}"
            return "inbox = set()"
        if var == "mail":
            return f"mail = {self.message(ctx)}"
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
            k = r.randint(0, 13)
            free = [v for v in roots if v not in ctx["assigned"]]
            # (not after a macro updated the variable: its places are its own)
            again = [v for v in ("net", "box") if v in roots and v in ctx["assigned"]
                     and f"{v}!" not in ctx["assigned"]]
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
                if self.procedure and ctx.get("may_call") and r.random() < 0.5:
                    # a call ends its path through the step, as a goto
                    self.use("procedure")
                    out.append(f"{ind}call {self.procedure}(({self.int_e(1, ctx)}) % 3)")
                    break
                self.use("goto")
                out.append(f"{ind}goto {r.choice(labels + ['Done'])}")
                break
            elif k == 10 and depth > 0:
                out += self.match(ind, ctx, depth, labels, may_goto and last)
            elif k == 11 and depth > 0:
                out += self.any_multi(ind, ctx, depth, labels, may_goto and last)
            elif k == 12 and self.macro and self.macro[1] not in ctx["assigned"]:
                name, var = self.macro
                self.use("macro")
                e = self.elem(ctx)
                if not e:
                    # no element at hand: choose one first
                    b = self.fresh("w")
                    self.use("any")
                    out.append(f"{ind}any {b} in ELEMS:")
                    out.append(f"{ind}    {name}({b}, ({self.int_e(1, ctx)}) % 3)")
                else:
                    out.append(f"{ind}{name}({e}, ({self.int_e(1, ctx)}) % 3)")
                ctx["assigned"] |= {var, f"{var}!"}
            else:
                out.append(f"{ind}pass")
        return out

    def match(self, ind: str, ctx: dict, depth: int, labels: list[str], may_goto: bool) -> list[str]:
        """`match` on the variant variable, or on a message of the set
        chosen by `any`; each clause may bind fields; maybe `case _`."""
        r = self.r
        self.use("match")
        self.use("variant")
        out = []
        if r.random() < 0.5:
            subject = "mail"
        else:
            self.use("match_any")
            subject = self.fresh("m")
            out.append(f"{ind}any {subject} in inbox:")
            ind += "    "
        out.append(f"{ind}match {subject}:")
        cases = r.sample(sorted(CASES), r.randint(1, 3))
        before = set(ctx["assigned"])
        after = set(before)
        for case in cases:
            fields = CASES[case]
            binds = [f for f in sorted(fields) if r.random() < 0.5]
            c2 = dict(ctx)
            pattern = f"Msg.{case}"
            if binds:
                self.use("match_bind")
                parts = []
                for f in r.sample(binds, len(binds)):
                    name = self.fresh(f[0])
                    parts.append(f"{f}={name}")
                    if fields[f] == "S":
                        c2["bound_s"] = c2.get("bound_s", []) + [name]
                    else:
                        c2["lets"] = c2.get("lets", []) + [name]
                pattern += "(" + ", ".join(parts) + ")"
            out.append(f"{ind}    case {pattern}:")
            out += self.sub(ind + "    ", c2, before, after, depth, labels, may_goto)
        if len(cases) < 3 and r.random() < 0.5:
            self.use("match_wildcard")
            out.append(f"{ind}    case _:")
            out += self.sub(ind + "    ", ctx, before, after, depth, labels, may_goto)
        ctx["assigned"] = after
        return out

    def any_multi(self, ind: str, ctx: dict, depth: int, labels: list[str], may_goto: bool) -> list[str]:
        """`any` with several binders, a tuple pattern, or over a set of
        maps, sequences or records."""
        r = self.r
        self.use("any")
        k = r.randint(0, 6)
        c2 = dict(ctx)
        e = self.elem(ctx)
        if k == 5 and e:
            self.use("fset_any")
            self.use("maps_set")
            g = self.fresh("g")
            c2["lets"] = ctx.get("lets", []) + [f"{g}[{e}]"]
            head = f"any {g} in maps(ELEMS, 0..{r.randint(1, 2)})"
        elif k == 6:
            self.use("tuple_pattern_any")
            self.use("product_set")
            a, b, t = self.fresh("w"), self.fresh("v"), self.fresh("t")
            c2["bound_s"] = ctx.get("bound_s", []) + [a]
            c2["lets"] = ctx.get("lets", []) + [b, f"(1 if {t} else 0)"]
            head = f"any ({a}, {b}, {t}) in product(ELEMS, 0..1, {{False, True}})"
        elif k == 0:
            self.use("any_multi")
            a, b = self.fresh("w"), self.fresh("v")
            c2["bound_s"] = ctx.get("bound_s", []) + [a]
            c2["lets"] = ctx.get("lets", []) + [b]
            head = f"any {a} in ELEMS, {b} in {r.choice(['0..1', '{0, 2}', f'0..len(net[{a}])'])}"
        elif k == 1:
            self.use("any_multi")
            a, b = self.fresh("w"), self.fresh("w")
            c2["bound_s"] = ctx.get("bound_s", []) + [a, b]
            head = f"any {a} in ELEMS, {b} in ELEMS - {{{a}}}"
        elif k == 2:
            self.use("tuple_pattern_any")
            self.use("product_set")
            a, b = self.fresh("w"), self.fresh("v")
            c2["bound_s"] = ctx.get("bound_s", []) + [a]
            c2["lets"] = ctx.get("lets", []) + [b]
            head = f"any ({a}, {b}) in product(ELEMS, 0..{r.randint(1, 2)})"
        elif k == 3:
            self.use("fset_any")
            self.use("records_set")
            m = self.fresh("m")
            c2["bound_s"] = ctx.get("bound_s", []) + [f"{m}.src"]
            c2["lets"] = ctx.get("lets", []) + [f"{m}.v"]
            head = f"any {m} in records(src=ELEMS, v=0..1)"
        else:
            self.use("fset_any")
            self.use("seqs_set")
            sq = self.fresh("s")
            c2["lets"] = ctx.get("lets", []) + [f"len({sq})", f"sumq({sq})"]
            head = f"any {sq} in seqs(0..1, {r.randint(1, 2)})"
        if r.random() < 0.5:
            self.use("any_if")
            head += f" if {self.bool_e(1, c2)}"
        c2["assigned"] = set(ctx["assigned"])
        lines = [f"{ind}{head}:"] + self.block(ind + "    ", c2, depth - 1, labels, may_goto)
        ctx["assigned"] |= c2["assigned"]
        return lines

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
            cond = r.choice(['True', 'x != 3', 'not flag', 'len(q) < 2'])
            if r.random() < 0.35:
                # PlusCal's `L: while c do`: the test is a step of its own
                self.use("labelled_while")
                prefix = ""
                if fair in (1, 2) and r.random() < 0.5:
                    self.use("unfair_step")
                    prefix = "unfair "
                out.append(f"    {prefix}{name[0].upper()}W: while {cond}:")
                if r.random() < 0.5:
                    ctx = {"self": indexed, "local": local, "assigned": set()}
                    v = r.choice(self.active)
                    line = self.assign(v, ctx)
                    if line is not None:
                        out.append(f"        {line}")
            else:
                out.append(f"    while {cond}:")
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
            elif kind == 3 and fair in (1, 2):
                self.use("unfair_step")
                prefix = "unfair "
            out.append(f"{ind}{prefix}{lab}:")
            ctx = {"self": indexed, "local": local, "assigned": set(), "may_call": True}
            # every step changes something first, so that behaviours move
            first = r.choice(self.active)
            line = self.assign(first, ctx)
            if line is not None:
                out.append(f"{ind}    {line}")
                ctx["assigned"].add(first)
            out += self.block(ind + "    ", ctx, 2, labels, True)
        return out

    def action(self, name: str) -> list[str]:
        """An action: no program counter, maybe parameters, maybe fair."""
        r = self.r
        self.use("action_step")
        fair = r.randint(0, 3)
        prefix = ""
        if fair == 1:
            self.use("fair_action")
            prefix = "fair "
        elif fair == 2:
            self.use("strong_fair_action")
            prefix = "strong fair "
        ctx: dict = {"self": False, "local": False, "assigned": set(), "bound_s": [], "lets": []}
        k = r.randint(0, 3)
        params = []
        if k >= 1:
            self.use("action_params")
            a = self.fresh("p")
            params.append(f"{a} in ELEMS")
            ctx["bound_s"].append(a)
            if k == 2:
                b = self.fresh("p")
                params.append(f"{b} in ELEMS - {{{a}}}")
                ctx["bound_s"].append(b)
            elif k == 3:
                b = self.fresh("v")
                params.append(f"{b} in 0..1")
                ctx["lets"].append(b)
        head = f"{prefix}action {name}" + (f"({', '.join(params)})" if params else "") + ":"
        out = [head]
        first = r.choice(self.active)
        line = self.assign(first, ctx)
        if line is not None:
            out.append(f"    {line}")
            ctx["assigned"].add(first)
        out += self.block("    ", ctx, 2, [], False)
        return out

    def macro_decl(self, name: str, var: str) -> list[str]:
        """A macro that may wait, then assigns one variable from its
        parameters (an element and an int)."""
        ctx = {"self": False, "local": False, "assigned": set(), "bound_s": ["me"], "lets": ["mk"]}
        out = [f"macro {name}(me: S, mk: int):"]
        if self.r.random() < 0.5:
            out.append(f"    await {self.bool_e(1, ctx)}")
        line = self.assign(var, ctx)
        out.append(f"    {line}" if line is not None else "    pass")
        return out

    def procedure_decl(self, name: str) -> list[str]:
        """A procedure of one or two steps that ends with `return`; it reads
        its parameter, not `self`."""
        r = self.r
        out = [f"procedure {name}(pk: int):"]
        nsteps = r.randint(1, 2)
        for i in range(nsteps):
            out.append(f"    R{i}:")
            ctx = {"self": False, "local": False, "assigned": set(), "lets": ["pk"]}
            first = r.choice(self.active)
            line = self.assign(first, ctx)
            if line is not None:
                out.append(f"        {line}")
                ctx["assigned"].add(first)
            if r.random() < 0.5 or out[-1].endswith(":"):
                out += self.block("        ", ctx, 1, [], False)
            if i == nsteps - 1:
                out.append("        return")
        return out

    def declaration(self, var: str) -> str:
        """A variable's declaration; some initial values read the variables
        declared before them (sorted order: box, flag, msgs, net, owner,
        pair, q, x), directly or through a def."""
        r = self.r
        if var in FSET_INIT and var in self.active and r.random() < 0.25:
            # one initial state per element of a set of maps, records,
            # tuples (only for an active variable: its steps reach them anyway)
            self.use("fset_init")
            return FSET_INIT[var]
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
        style = r.random()
        if style < 0.15:
            # a spec of actions alone
            self.use("actions_only")
            procs = []
            nactions = r.randint(1, 3)
        else:
            procs = [("proc", True)] + ([("solo", False)] if r.random() < 0.6 else [])
            nactions = 0
            if style < 0.45:
                self.use("actions_mixed")
                nactions = r.randint(1, 2)
        for name, _ in procs:
            self.labels[name] = [f"{name[0].upper()}{i}" for i in range(r.randint(1, 3))]
        if r.random() < 0.25:
            self.macro = ("touch", r.choice(self.active))
        if procs and r.random() < 0.35:
            self.procedure = "work"
        lines = ["spec Fuzz", "sort S", "const ELEMS: set[S] = {S.a, S.b}", VARIANT]
        lines += [self.declaration(v) for v in sorted(VARS)]
        lines += [d[2] for d in DEFS]
        if r.random() < 0.4:
            for i in range(r.randint(1, 2)):
                self.use("assume")
                lines.append(f"assume Asm{i}: {r.choice(ASSUMPTIONS)}")
            if r.random() < 0.08:
                # a false assumption: an error of the model, in every engine
                self.use("assume_false")
                lines.append(f"assume Wrong: {r.choice(['len(ELEMS) > 2', 'cap() == 2', 'len(seqs(0..1, 2)) == 6'])}")
        if self.macro:
            lines += self.macro_decl(*self.macro)
        if self.procedure:
            lines += self.procedure_decl(self.procedure)
        for name, indexed in procs:
            lines += self.process(name, indexed)
        for i in range(nactions):
            lines += self.action(f"Do{i}")
        checks = []
        if r.random() < 0.35:
            self.use("typeok_fset")
            facts = r.sample(TYPE_FACTS, r.randint(1, 3))
            for c, _ in facts:
                self.use(c)
            lines.append("invariant TypeOK: " + " and ".join(f for _, f in facts))
            checks.append("TypeOK")
        for i in range(r.randint(1, 2)):
            self.use("invariant")
            body = self.bool_e(2, {})
            if r.random() < 0.6:
                # mostly true, so that the search goes deep before (if ever)
                # every property is violated
                body = f"{r.choice(TRUTHS)} or {body}" if r.random() < 0.5 else f"{body} or x <= {r.randint(1, 3)}"
            if r.random() < 0.2:
                self.use("let_invariant")
                lines += [f"invariant Inv{i}:", f"    let t{i} = len(q) + x", f"    let h{i} = head(q)",
                          f"    (h{i} <= 2 if len(q) > 0 else t{i} <= 5) or {body}"]
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
        if r.random() < 0.15:
            self.use("model_def")
            lines.append("    " + r.choice(MODEL_DEFS))
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
