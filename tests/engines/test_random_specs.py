"""Random well-typed specs: the compiled model must agree with the reference
interpreter on initial states, successors and reachable states.

The generator writes spec text (statements of every kind, expressions of
every type, indexed and singleton processes, loops, gotos); ints are kept
small with ``% 4`` so that state spaces stay small.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from refinterp import Reference, RefError, compiled_view

import pyspec
from pyspec.compile import compile_model


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.labels = 0
        self.nb = 0
        self.pr_labels = [f"A{i}" for i in range(self.r.randint(1, 3))]

    def fresh(self, base: str) -> str:
        self.nb += 1
        return f"{base}{self.nb}"

    def pick(self, *xs):
        return self.r.choice(xs)

    # ---------------------------------------------------------------- expressions
    def int_e(self, d: int, ctx) -> str:
        r = self.r
        leaves = ["x", "len(st)", "len(q)", str(r.randint(0, 3)), "mp[S.a]", "mp[S.b]", "cnt"]
        if ctx.get("local"):
            leaves.append("loc")
        if ctx.get("bound"):
            leaves.append(f"mp[{ctx['bound']}]")
        if d <= 0 or r.random() < 0.3:
            return r.choice(leaves)
        k = r.randint(0, 9)
        a, b = self.int_e(d - 1, ctx), self.int_e(d - 1, ctx)
        if k == 0:
            return f"({a} + {b})"
        if k == 1:
            return f"({a} - {b})"
        if k == 2:
            return f"({a} * {b})"
        if k == 3:
            return f"({a} // {r.randint(1, 3)})"
        if k == 4:
            return f"({a} % {r.randint(1, 4)})"
        if k == 5:
            return f"max({{{a}, {b}}})"
        if k == 6:
            return f"({a} if {self.bool_e(d - 1, ctx)} else {b})"
        if k == 7:
            return f"abs({a})"
        if k == 8:
            b = self.fresh("v")
            return f"(choose {b} in 0..3: {b} >= {a} % 4)"
        return f"len({{{a}, {b}}})"

    def bool_e(self, d: int, ctx) -> str:
        r = self.r
        leaves = ["y", "True", "False", "(o == none)", "(S.a in st)", "(len(q) < 2)"]
        if d <= 0 or r.random() < 0.25:
            return r.choice(leaves)
        k = r.randint(0, 8)
        if k == 0:
            return f"({self.int_e(d - 1, ctx)} {r.choice(['<', '<=', '==', '!=', '>'])} {self.int_e(d - 1, ctx)})"
        if k == 1:
            return f"({self.bool_e(d - 1, ctx)} and {self.bool_e(d - 1, ctx)})"
        if k == 2:
            return f"({self.bool_e(d - 1, ctx)} or {self.bool_e(d - 1, ctx)})"
        if k == 3:
            return f"(not {self.bool_e(d - 1, ctx)})"
        if k == 4:
            b = self.fresh("e")
            c2 = dict(ctx, bound=b)
            return f"({r.choice(['forall', 'exists'])} {b} in ELEMS: mp[{b}] {r.choice(['<', '>=', '=='])} " \
                   f"{self.int_e(d - 1, c2)})"
        if k == 5:
            return f"({self.elem_e(d - 1, ctx)} in {self.set_e(d - 1, ctx)})"
        if k == 6:
            return f"(pr[{self.pick('S.a', 'S.b')}].pc == \"{self.pick(*self.pr_labels, 'Done')}\")"
        if k == 7:
            return f"({self.set_e(d - 1, ctx)} <= {self.set_e(d - 1, ctx)})"
        return f"(o == {self.elem_e(d - 1, ctx)})"

    def elem_e(self, d: int, ctx) -> str:
        opts = ["S.a", "S.b"]
        if ctx.get("self"):
            opts.append("self")
        if ctx.get("bound"):
            opts.append(ctx["bound"])
        return self.r.choice(opts)

    def set_e(self, d: int, ctx) -> str:
        r = self.r
        if d <= 0 or r.random() < 0.3:
            return r.choice(["st", "ELEMS", "set()", "{S.a}"])
        k = r.randint(0, 4)
        if k == 0:
            return f"({self.set_e(d - 1, ctx)} | {{{self.elem_e(d - 1, ctx)}}})"
        if k == 1:
            return f"({self.set_e(d - 1, ctx)} - {{{self.elem_e(d - 1, ctx)}}})"
        if k == 2:
            return f"({self.set_e(d - 1, ctx)} & {self.set_e(d - 1, ctx)})"
        if k == 3:
            b = self.fresh("e")
            c2 = dict(ctx, bound=b)
            return f"{{{b} for {b} in ELEMS if {self.bool_e(d - 1, c2)}}}"
        return f"({self.set_e(d - 1, ctx)} - {self.set_e(d - 1, ctx)})"

    # ---------------------------------------------------------------- statements
    def assign(self, root: str, ctx) -> str:
        d = 2
        if root == "x":
            return f"x = ({self.int_e(d, ctx)}) % 4"
        if root == "y":
            return f"y = {self.bool_e(d, ctx)}"
        if root == "st":
            return f"st = {self.set_e(d, ctx)}"
        if root == "cnt":
            return "cnt = (cnt + 1) % 3"
        if root == "q":
            return f"q = append(q, ({self.int_e(1, ctx)}) % 4) if len(q) < 2 else tail(q)"
        if root == "o":
            return f"o = {self.pick('none', self.elem_e(1, ctx))}"
        if root.startswith("mp["):  # one place of mp (another may be updated in the same step)
            return f"{root} = ({self.int_e(d, ctx)}) % 3"
        if root == "mp":
            k = self.r.randint(0, 2)
            if k == 0:
                return f"mp[{self.elem_e(1, ctx)}] = ({self.int_e(d, ctx)}) % 3"
            if k == 1:
                b = self.fresh("e")
                c2 = dict(ctx, bound=b)
                return f"mp = {{{b}: ({self.int_e(1, c2)}) % 3 for {b} in ELEMS}}"
            return f"mp = mp | {{{self.elem_e(1, ctx)}: ({self.int_e(1, ctx)}) % 3}}"
        if root == "loc":
            return f"loc = ({self.int_e(d, ctx)}) % 3"
        raise AssertionError(root)

    def block(self, ind: str, ctx, assigned: set, depth: int, labels: list[str], may_goto: bool) -> list[str]:
        r = self.r
        out = []
        n = r.randint(1, 3)
        roots = ["x", "y", "st", "q", "o", "mp", "cnt"] + (["loc"] if ctx.get("local") else [])
        ended = False
        for i in range(n):
            k = r.randint(0, 9)
            free = [x for x in roots if x not in assigned and not (x == "mp" and any(a.startswith("mp[") for a in assigned))]
            if "mp" not in assigned:
                # several places of mp in one step: each key text once (the
                # same key twice is refused by the checker), overlaps of
                # different keys at run time are errors in every engine
                free += [p for p in (f"mp[{e}]" for e in ["S.a", "S.b"] + (["self"] if ctx.get("self") else [])
                                     + ([ctx["bound"]] if ctx.get("bound") else [])) if p not in assigned]
            if k <= 3 and free:
                root = r.choice(free)
                out.append(ind + self.assign(root, ctx))
                assigned.add(root)
            elif k == 4:
                out.append(f"{ind}await {self.bool_e(2, ctx)}")
            elif k == 5 and depth > 0:
                before = set(assigned)
                after = set(assigned)
                out.append(f"{ind}if {self.bool_e(2, ctx)}:")
                a1 = set(before)
                out += self.block(ind + "    ", ctx, a1, depth - 1, labels, may_goto and i == n - 1)
                after |= a1
                if r.random() < 0.5:
                    out.append(f"{ind}elif {self.bool_e(1, ctx)}:")
                    a2 = set(before)
                    out += self.block(ind + "    ", ctx, a2, depth - 1, labels, may_goto and i == n - 1)
                    after |= a2
                if r.random() < 0.6:
                    out.append(f"{ind}else:")
                    a3 = set(before)
                    out += self.block(ind + "    ", ctx, a3, depth - 1, labels, may_goto and i == n - 1)
                    after |= a3
                assigned |= after
            elif k == 6 and depth > 0:
                before = set(assigned)
                after = set(assigned)
                out.append(f"{ind}either:")
                a1 = set(before)
                out += self.block(ind + "    ", ctx, a1, depth - 1, labels, may_goto and i == n - 1)
                out.append(f"{ind}or:")
                a2 = set(before)
                out += self.block(ind + "    ", ctx, a2, depth - 1, labels, may_goto and i == n - 1)
                assigned |= a1 | a2
            elif k == 7 and depth > 0:
                b = self.fresh("w")
                c2 = dict(ctx, bound=b)
                cond = f" if {self.bool_e(1, c2)}" if r.random() < 0.5 else ""
                out.append(f"{ind}any {b} in {self.set_e(1, ctx)}{cond}:")
                a1 = set(assigned)
                out += self.block(ind + "    ", c2, a1, depth - 1, labels, may_goto and i == n - 1)
                assigned |= a1
            elif k == 8 and may_goto and i == n - 1:
                out.append(f"{ind}goto {r.choice(labels + ['Done'])}")
                ended = True
            else:
                out.append(f"{ind}pass")
            if ended:
                break
        return out

    def process(self, name: str, indexed: bool, prefix: str) -> list[str]:
        r = self.r
        ctx = {"self": indexed, "local": True}
        head = f"process {name}(self in ELEMS):" if indexed else f"process {name}:"
        if r.random() < 0.5:
            head = "fair " + head
        # a local's initial value may read self, the variables and earlier locals
        out = [head, "    var loc: int = " + r.choice(["0", "cnt % 2", "x + 1"] + (["1 if self == S.a else 0"] if indexed else []))]
        labels = list(self.pr_labels) if prefix == "A" else [f"{prefix}{i}" for i in range(r.randint(1, 3))]
        loop = r.random() < 0.6
        ind = "    "
        if loop:
            out.append(f"    while {self.pick('True', 'cnt < 2', 'loc < 2', 'x != 3')}:")
            ind = "        "
        for lab in labels:
            out.append(f"{ind}{lab}:")
            out += self.block(ind + "    ", ctx, set(), 2, labels, True)
        return out

    def spec(self) -> str:
        r = self.r
        lines = [
            "spec Rand",
            "sort S",
            "const ELEMS: set[S] = {S.a, S.b}",
            f"var x: int = {r.randint(0, 3)}",
            "var y: bool in {True, False}" if r.random() < 0.3 else "var y: bool = False",
            "var st: set[S] = set()",
            "var q: seq[int] = []",
            "var o: optional[S] = none",
            # initial values may read the variables declared before them
            r.choice(["var mp: map[S, int] = {e: 0 for e in ELEMS}", "var mp: map[S, int] = {e: x for e in ELEMS}",
                      "var mp: map[S, int] = {e: (1 if y else 0) for e in ELEMS}"]),
            r.choice(["var cnt: int = 0", "var cnt: int = mp[S.a] % 3", "var cnt: int in {x % 3, 1}"]),
        ]
        lines += self.process("pr", True, "A")
        lines += self.process("solo", False, "B")
        lines += [
            "invariant Inv1: x < 3 or y",
            "invariant Inv2: len(st) < 2 or cnt != 2",
            "model m:",
            "    check Inv1: violated",
            "    check Inv2: violated",
            "    deadlock: ignore",
        ]
        return "\n".join(lines) + "\n"


def check_spec(seed: int) -> None:
    text = Gen(seed).spec()
    try:
        spec = pyspec.load("rand.pyspec", text=text)
    except pyspec.SpecError as e:  # the generator wrote something the checker refuses
        pytest.skip(f"generated spec does not check: {e}")
    ref = Reference(spec, "m")
    cm = compile_model(spec, "m")
    assert {compiled_view(cm, s) for s in cm.initial_states()} == set(ref.initial_states()), text
    try:
        ref_states = ref.reachable(limit=1500)
    except RefError:
        # evaluation error (e.g. choose without witness) or too big: compare what both see first
        ref_states = None
    seen = set(cm.initial_states())
    todo = list(seen)
    n = 0
    while todo and n < 400:
        s = todo.pop()
        n += 1
        v = compiled_view(cm, s)
        try:
            expected = set(ref.successors(v))
        except RefError:
            with pytest.raises(Exception):  # noqa: B017 - the compiled model must fail too
                cm.successors(s)
            continue
        got = {((i.process, i.self, i.label), compiled_view(cm, t)) for i, t in cm.successors(s)}
        assert got == expected, f"seed {seed}: successors differ at {v}\n{text}"
        fast = {compiled_view(cm, t) for t in cm.next_states(s)}
        assert fast == {u for _, u in expected}, f"seed {seed}: fast successors differ\n{text}"
        for t in cm.next_states(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    if ref_states is not None and not todo:
        assert {compiled_view(cm, s) for s in seen} == ref_states, text


@pytest.mark.parametrize("seed", range(30))
def test_random_spec_matches_reference(seed):
    check_spec(seed)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1000, max_value=2**31))
def test_random_specs_hypothesis(seed):
    check_spec(seed)
