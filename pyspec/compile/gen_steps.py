"""Steps and initial states to Python source: statements, assignments and
their range checks, the successor functions with their memos, the
initial rows.

A stage of the code generator (pyspec/compile/codegen.py mixes the stages
into one ``Codegen``); ``self`` is that generator.
"""

from __future__ import annotations

from typing import Any

from ..ir import nodes as ir
from ..ir import walk
from ..values import sort_key
from . import runtime as rt
from .codegen_base import _NOVAL, DECODE_LINE, MEMO, ActionInfo, CompileError, Ctx, Py, _binder_types
from .gen_exprs import _ITERATING, stmts_always_read
from .layout import InternSetCodec, make_diff_encoder, make_value_encoder, visits_parts
from .set_parts import kinds_read
from .shared import is_lookup


def split_parts(body: tuple) -> list[tuple]:
    """The statements of a step cut at its first ``either`` into one list
    per branch, whose successors, in order, are the step's (docs/checker.md,
    the compiled engine): each part is keyed by what it reads, so a state
    met again in the fields of one branch finds that branch's successors
    memoized, whatever the other branches read.  The ``either`` may follow
    statements that do not branch (assignments, awaits, asserts, lets) and
    sit in one branch of an ``if`` (a labelled ``while``'s body): the
    ``if``'s other branches then go with the first part, and the other
    parts have no successor there.  ``[body]`` when there is no such
    ``either``."""
    for i, st in enumerate(body):
        if isinstance(st, ir.Either):
            return [body[:i] + br + body[i + 1:] for br in st.branches]
        if isinstance(st, ir.Let):
            inner = split_parts(st.body)
            if len(inner) == 1:
                return [body]
            return [body[:i] + (ir.Let(st.span, macro=st.macro, name=st.name, value=st.value, body=b),) + body[i + 1:]
                    for b in inner]
        if isinstance(st, ir.If):
            n = next((n for n, (_, block) in enumerate(st.branches) if len(split_parts(block)) > 1), None)
            if n is None:
                return [body]
            inner = split_parts(st.branches[n][1])
            never = (ir.Await(st.span, cond=ir.Lit(st.span, ir.BOOL, False)),)
            parts = []
            for m, b in enumerate(inner):
                branches = tuple((c2, b if n2 == n else (blk if m == 0 else never))
                                 for n2, (c2, blk) in enumerate(st.branches))
                orelse = st.orelse if m == 0 else never
                parts.append(body[:i] + (ir.If(st.span, macro=st.macro, branches=branches, orelse=orelse),)
                             + body[i + 1:])
            return parts
        if not isinstance(st, (ir.Assign, ir.Await, ir.Assert, ir.Skip)):
            return [body]
    return [body]


def leading_guard(body: tuple, stop=lambda e: False) -> ir.Expr | None:
    """The conditions a step (or part) tests before anything else: its
    leading awaits, through the lets before them (a macro's parameters),
    and the condition of a leading ``if`` whose other branch has no
    successor (a labelled ``while`` in a part other than the first:
    :func:`split_parts`), then that branch's; up to the first condition
    (or let) for which ``stop`` holds; their conjunction, or None.  When it is
    false the step has no successor."""
    if not body:
        return None
    st = body[0]
    if isinstance(st, ir.Skip):
        return leading_guard(body[1:], stop)
    if isinstance(st, ir.Await) and not stop(st.cond):
        return _and(st.cond, leading_guard(body[1:], stop))
    if isinstance(st, ir.If) and len(st.branches) == 1 and _never(st.orelse) and not stop(st.branches[0][0]):
        return _and(st.branches[0][0], leading_guard(st.branches[0][1], stop))
    if isinstance(st, ir.Let) and not stop(st.value):
        inner = leading_guard(st.body, stop)
        return None if inner is None else ir.LetIn(span=st.span, type=ir.BOOL, name=st.name, value=st.value,
                                                    body=inner)
    return None


def _and(a: ir.Expr, b: ir.Expr | None) -> ir.Expr:
    return a if b is None else ir.Binary(span=a.span, type=ir.BOOL, op="and", left=a, right=b)


def _never(stmts: tuple) -> bool:
    """Is ``stmts`` the ``await False`` of split_parts (no successor)?"""
    return (len(stmts) == 1 and isinstance(stmts[0], ir.Await) and isinstance(stmts[0].cond, ir.Lit)
            and stmts[0].cond.value is False)


class _Place:
    """A place of the variable that a run of assignments updates (see
    :meth:`StepGen.gen_assign_run`): its type, the source of its value
    before the run (``src``, once emitted), and either the places under it
    that the run updates (``kids``: (path element, place), in the order of
    the run) or, for a place the run assigns, the source of the value
    (``value``).  A map or sequence entry keeps its key (compiled, and the
    IR of the statement that first reached it)."""

    __slots__ = ("ty", "src", "kids", "key", "key_ir", "value", "assigned")

    def __init__(self, ty: ir.Type, key: Py | None = None, key_ir: ir.Expr | None = None):
        self.ty = ty
        self.src: str | None = None
        self.kids: list[tuple[ir.Expr, _Place]] = []
        self.key = key
        self.key_ir = key_ir
        self.value: str | None = None
        self.assigned = False


#: Expressions whose value depends on more than constants.
_VARYING = (ir.VarRef, ir.LocalRef, ir.PcRef, ir.BoundRef, ir.DefCall, ir.Next)


def _sub_exprs(e) -> list:
    """The expressions directly inside ``e`` (binders' domains included)."""
    out = []

    def add(v) -> None:
        if isinstance(v, ir.Expr):
            out.append(v)
        elif isinstance(v, ir.Binder):
            out.append(v.domain)
        elif isinstance(v, tuple):
            for x in v:
                add(x)

    for f in e.__dataclass_fields__:
        if f not in ("span", "type"):
            add(getattr(e, f))
    return out


def _shared_decodes(branches: list[list[str]], ind: str) -> list[str]:
    """The code of an either's branches, one after the other, with the
    slots that two branches or more decode on entry decoded once before
    them (each branch decodes what it reads where it first reads it: on
    the way into the next branch the value is decoded again).  A slot's
    local always holds the same value, the decode of ``s``: the branches'
    own decodes of a slot decoded before them are left out."""
    first: dict[str, list[str]] = {}  # a local -> its decode (and escape test), on entry
    count: dict[str, int] = {}
    for lines in branches:
        for n, line in enumerate(lines):
            m = DECODE_LINE.match(line)
            if m and m.group(1) == ind:
                name = m.group(2)
                count[name] = count.get(name, 0) + 1
                esc = lines[n + 1:n + 2]
                first.setdefault(name, [line] + [x for x in esc if x.startswith(f"{ind}if {name} is _ESC:")])
    shared = {name for name, n in count.items() if n > 1}
    out = [x for name in sorted(shared) for x in first[name]]
    for lines in branches:
        skip = None
        for line in lines:
            m = DECODE_LINE.match(line)
            if m and m.group(2) in shared:
                skip = m.group(2)
                continue
            if skip is not None and line.lstrip().startswith(f"if {skip} is _ESC:"):
                continue
            skip = None
            out.append(line)
    return out


#: ``any x in S`` over a constant set is unrolled (gen_any_unrolled) while
#: the copies of a body, nested ``any`` statements multiplied, stay this few
ANY_UNROLL_TOTAL = 16


def _unroll_pays(st: ir.AnyStmt) -> bool:
    """Does the condition or the body of ``st`` iterate over something with
    the chosen value (what unrolling makes a shared expression: with the
    value a constant, one that reads a state value besides is shared)?"""
    name = st.binder.name
    return any(isinstance(e, _ITERATING) and any(isinstance(x, ir.BoundRef) and x.name == name
                                                  for x in walk.iter_exprs(e))
               for e in walk.iter_exprs((st.cond, st.body)))


class StepGen:
    #: copies of the body being generated made by unrolled ``any`` statements
    _any_copies = 1

    # ------------------------------------------------------------ steps
    def gen_next(self, mode: str, esc: bool) -> None:
        """``_next_<mode>[_esc](s, _ap)`` for mode fast | lab | full.

        Without ``esc`` the function assumes that ``s`` has no escape tail
        (no ESC checks on reads, successors packed in place) and hands
        states with a tail to its ``_esc`` twin."""
        checked = mode == "full"
        name = f"_next_{mode}{'_esc' if esc else ''}"
        lines = [f"def {name}(s, _ap):"]
        body: list[str] = []
        if not esc and mode != "full" and self.layout.escapable:
            body.append(f"    if s >> {self.layout.bits}: return {name}_esc(s, _ap)")
        record_actions = not self.actions
        self._esc = esc or mode == "full"
        self._esc_emit = esc
        blocks: dict[tuple[str, int], int] = {}
        members: list[tuple[int, int, tuple | None]] = []  # per instance: its lines, how it is memoized
        for p in self.spec.processes:
            for pos, val in enumerate(self.inst[p.name]):
                blocks[(p.name, pos)] = len(body)
                k = self.pc_slot[(p.name, pos)]
                sl = self.layout.slots[k]
                field = f"s >> {sl.off} & {sl.mask}" if sl.off else f"s & {sl.mask}"
                first = True
                start = len(body)
                member = None
                body.append(f"    _pc = {field}")
                for st in p.steps:
                    code = sl.codec.enc(st.label)
                    if record_actions:
                        self.actions.append(ActionInfo(len(self.actions), p.name, pos, val, st.label, st,
                                                       _binder_types(st)))
                    c = self._step_context(p, pos, val, st, mode, checked)
                    aid = self._aid_cur
                    inner: list[str] = []
                    memo = MEMO and mode in ("fast", "lab") and not esc
                    if memo:
                        self.track_reads()
                    try:
                        self.gen_stmts(st.body, 0, (), c, "        ", inner)
                    finally:
                        reads, self._reads = self._reads, None
                    if not inner:
                        inner = ["        pass"]
                    body.append(f"    {'if' if first else 'elif'} _pc == {code}:")
                    if memo and not self._dyn and self._wm and self._memo_worth(inner):
                        lookup, memo_of = self._memo_step(mode, aid, k, reads, inner)
                        body.extend(lookup)
                        if len(p.steps) == 1:
                            member = (field, code, k, *memo_of)
                    else:
                        body.extend(inner)
                    first = False
                members.append((start, len(body), member))
        if mode == "fast":
            body = self._group_memos(body, members)
        self._esc = True
        if mode == "full":
            # each instance's block on its own, for ``compile_extra("inst")``
            ends = list(blocks.values())[1:] + [len(body)]
            self.full_blocks = {key: body[start:end] for (key, start), end in zip(blocks.items(), ends)}
        if not body:
            body = ["    pass"]
        self.lines.extend(lines + body + [""])

    def _step_context(self, p: ir.Process, pos: int, val: Any, st: ir.Step, mode: str, checked: bool) -> Ctx:
        """The context of generating step ``st`` of instance ``pos`` (self
        ``val``) of process ``p`` in ``mode`` (fast | lab | full)."""
        c = Ctx("s", checked)
        c.proc, c.pos, c.self_val, c.label = p, pos, (val if p.index else _NOVAL), st.label
        c.cur = {}
        c.need = set()
        self._mode, self._aid_cur, self._step = mode, self._aid(p.name, pos, st.label), st
        self._multi = walk.multi_roots(st.body)
        return c

    def track_reads(self) -> None:
        """Record what the code generated next reads and writes: slots,
        constant places of maps, whether it reads fields chosen at run
        time (memo keys: :meth:`_memo_masks`)."""
        self._reads, self._dyn, self._wm = set(), False, 0
        self._rplaces, self._wplaces, self._rwhole, self._wwhole = {}, {}, set(), set()
        self._wfresh = set()  # slots assigned a value as a whole (not through a place)
        self._fresh_all: frozenset | None = None  # Ctx.fresh common to every successor emitted

    def gen_step_functions(self) -> list[tuple[int, int, int, int, int, str]]:
        """Every step instance as its own function ``_st_c_<aid>(s, _ap)``
        (as ``_next_fast``'s code, for states without an escape tail), with
        ``(aid, pc slot, pc code, key mask, written mask, name)``: the step
        is a function of ``s & key``, and its successors differ from ``s``
        only in the written bits.  The compiled engine
        (pyspec/engines/compiled) keeps their results in its memo tables.
        A step that reads fields chosen at run time is keyed by every bit."""
        table = []
        self.step_proj: dict[str, int] = {}  # step function -> the kinds bits of the set it reads (set_parts)
        self.step_guards: dict[str, tuple] = {}  # step function -> its guard's row (leading_guard)
        self.proj_slot = proj = self._projected_slot()
        for p in self.spec.processes:
            # (the same statements in every instance)
            chosen = {st.label: self._projected_parts(st) if proj is not None else None for st in p.steps}
            for pos, val in enumerate(self.inst[p.name]):
                k = self.pc_slot[(p.name, pos)]
                sl = self.layout.slots[k]
                for st in p.steps:
                    code = sl.codec.enc(st.label)
                    parts = chosen[st.label] or [(st.body, None)]
                    for n, (body, tags) in enumerate(parts):
                        suffix = f"_{n}" if len(parts) > 1 else ""
                        aid, key, wm, name = self._step_function(p, pos, val, st, body, suffix)
                        table.append((aid, k, code, key, wm, name))
                        if tags is None:
                            continue
                        self.step_proj[name] = sum(1 << proj[2].index(t) for t in tags)
                        # its leading awaits, keyed by what they read: a state
                        # where they fail finds that the part has no
                        # successor without the part's (larger) key
                        # (up to the first condition that reads the set: the
                        # guard's key is then much smaller than the part's)
                        guard = leading_guard(body, lambda e: kinds_read((e,), proj[1], self.defs) != frozenset())
                        gtags = kinds_read((guard,), proj[1], self.defs) if guard is not None else None
                        if gtags is not None:
                            g = self._step_function(p, pos, val, st, (ir.Await(guard.span, cond=guard),),
                                                    f"{suffix}_g")
                            if g[1] != key:
                                self.step_guards[name] = (aid, k, code, *g[1:])
                                self.step_proj[g[3]] = sum(1 << proj[2].index(t) for t in gtags)
        self._esc = True
        return table

    def _step_function(self, p: ir.Process, pos: int, val: Any, st: ir.Step, body: tuple,
                       suffix: str) -> tuple[int, int, int, str]:
        """Step ``st`` of instance ``pos`` of ``p``, its statements ``body``
        (the step's, or one part of them: :func:`split_parts`), as the
        function ``_st_c_<aid><suffix>(s, _ap)``: (aid, key mask, written
        mask, name)."""
        k = self.pc_slot[(p.name, pos)]
        sl = self.layout.slots[k]
        c = self._step_context(p, pos, val, st, "fast", False)
        if body is not st.body:
            self._multi = walk.multi_roots(body)
        aid = self._aid_cur
        inner: list[str] = []
        self._esc = self._esc_emit = False
        self.track_reads()
        try:
            self.gen_stmts(body, 0, (), c, "    ", inner)
        finally:
            reads, self._reads = self._reads, None
        key, wm = self._memo_masks(reads)
        if self._dyn:
            key = (1 << self.layout.bits) - 1
        key |= sl.mask << sl.off
        name = f"_st_c_{aid}{suffix}"
        self.lines.extend([f"def {name}(s, _ap):", *(inner or ["    pass"]), ""])
        return aid, key, wm, name

    def projects_a_set(self) -> bool:
        """Does the compiled engine key a step by a projection of an
        interned set (:meth:`_projected_parts`)?  Told from the IR, without
        generating the steps: ``auto`` asks before it hands a search over."""
        proj = self.proj_slot = self._projected_slot()
        return proj is not None and any(self._projected_parts(st) is not None
                                        for p in self.spec.processes for st in p.steps)

    def _projected_parts(self, st: ir.Step) -> list[tuple[tuple, frozenset[str]]] | None:
        """The statements of step ``st`` to key by a projection of the set
        :meth:`_projected_slot` names, each with the kinds it reads
        (set_parts.kinds_read): the parts of its ``either`` when every part
        reads only some kinds (the whole step reads them all), else the
        whole step when it does; None when the step reads the set otherwise."""
        var = self.proj_slot[1]
        parts = split_parts(st.body)
        kinds = [kinds_read(b, var, self.defs) for b in parts]
        if len(parts) > 1 and all(x is not None for x in kinds):
            return list(zip(parts, kinds))
        whole = kinds_read(st.body, var, self.defs) if len(parts) > 1 else kinds[0]
        return [(st.body, whole)] if whole is not None else None

    def _projected_slot(self) -> tuple[int, str, list[str]] | None:
        """The interned set variable the compiled loop projects (set_parts,
        pyspec/engines/compiled/sets.py): (slot, variable, the tags of its
        element variant in order), or None.  One per model for now: the
        first set of variant values held in a table of sets."""
        for k, sl in enumerate(self.layout.slots):
            if sl.kind != "var" or not isinstance(sl.codec, InternSetCodec) or sl.escapable:
                continue
            ty = sl.type
            if isinstance(ty, ir.SetType) and isinstance(ty.elem, ir.VariantType) and len(ty.elem.cases) <= 64:
                return k, sl.name, [tag for tag, _ in ty.elem.cases]
        return None

    @staticmethod
    def _memo_worth(inner: list[str]) -> bool:
        """Is a step's code heavier than a table lookup?  (Straight-line
        steps of a few integer operations are not worth memoizing.)"""
        heavy = ("_fm(", "_rec(", "_mput(", "_sput(", "_rput(", "_F", "_frozenset", "for ", "_srt(", "_rt.")
        return len(inner) > 3 or any(h in line for line in inner for h in heavy)

    def _memo_step(self, mode: str, aid: int, pc_k: int, reads: set[int],
                   inner: list[str]) -> tuple[list[str], tuple[int, int, str]]:
        """A step instance as a function of the fields it reads and writes:
        its code moves to ``_st_<mode>_<aid>(s, _ap)`` and the dispatcher
        looks its successors up in a cache keyed by those fields (the rest of
        the state is copied unchanged).  A successor with an escape tail
        depends on more than the key: such results are not cached."""
        slots = self.layout.slots
        key, wm = self._memo_masks(reads)
        key |= slots[pc_k].mask << slots[pc_k].off
        fname = f"_st_{mode}_{aid}"
        cache = self._bind({}, "_M")
        if mode == "fast":
            self.fast_memos.append((self.ns[cache], 1))
        self.lines.append(f"def {fname}(s, _ap):")
        self.lines.extend(line[4:] for line in inner)
        self.lines.append("")
        return self._memo_lookup(mode, aid, cache, key, wm, fname, "        "), (key, wm, fname)

    def _memo_lookup(self, mode: str, aid: int | None, cache: str, key: int, wm: int, fname: str,
                     ind: str) -> list[str]:
        """The dispatcher's lines: the successors of ``fname`` from ``cache``
        (keyed by ``s & key``, holding the ``wm`` bits of each), the
        function run and its results stored on a miss."""
        fill = "_rt.memo_fill_lab" if mode == "lab" else "_rt.memo_fill"
        emit = f"({aid}, _u | _v)" if mode == "lab" else "_u | _v"
        return [
            f"{ind}_r = {cache}.get(s & {key})",
            f"{ind}if _r is None:",
            f"{ind}    for _t in {fill}({cache}, s & {key}, s, {fname}, {wm}, {self.layout.bits}):",
            f"{ind}        _ap(_t)",
            f"{ind}else:",
            f"{ind}    _u = s & {~wm}",
            f"{ind}    for _v in _r:",
            f"{ind}        _ap({emit})",
        ]

    def _group_memos(self, body: list[str], members: list[tuple[int, int, tuple | None]]) -> list[str]:
        """``_next_fast``'s body with each run of consecutive one-step
        process instances that are memoized alike -- the same key and
        written bits but for their own pc fields (``Accept(b, q, v)`` for
        every ``b``, ``q``, ``v``: each keyed by the message set) -- looked
        up in one memo: one lookup per state for the run, not one per
        instance, and one entry per key.  Its key holds the pc fields of
        every member (a member runs only at its label), its written bits
        theirs too: a member's successor keeps the others' pc fields, which
        the key fixes.  Successors come in the same order."""
        slots = self.layout.slots
        out = body[:members[0][0]] if members else list(body)
        i = 0
        while i < len(members):
            start, end, m = members[i]
            j = i + 1
            if m is not None:
                pc = slots[m[2]].mask << slots[m[2]].off
                while j < len(members) and members[j][2] is not None:
                    n = members[j][2]
                    npc = slots[n[2]].mask << slots[n[2]].off
                    if (n[3] & ~npc, n[4] & ~npc) != (m[3] & ~pc, m[4] & ~pc):
                        break
                    j += 1
            if j - i < 2:
                out.extend(body[start:end])
                i += 1
                continue
            run = [x for _, _, x in members[i:j]]
            key = wm = 0
            for _, _, _, mkey, mwm, _ in run:
                key |= mkey
                wm |= mwm
            fname = self.uniq("_grp_fast_")
            self.lines.append(f"def {fname}(s, _ap):")
            for field, code, _, _, _, member_fn in run:
                self.lines.append(f"    if ({field}) == {code}:")
                self.lines.append(f"        {member_fn}(s, _ap)")
            self.lines.append("")
            cache = self._bind({}, "_M")
            self.fast_memos.append((self.ns[cache], len(run)))
            out.extend(self._memo_lookup("fast", None, cache, key, wm, fname, "    "))
            i = j
        return out

    def _aid(self, process: str, pos: int, label: str) -> int:
        for a in self.actions:
            if a.process == process and a.pos == pos and a.label == label:
                return a.aid
        raise KeyError((process, pos, label))

    def gen_stmts(self, stmts: tuple, i: int, rest: tuple, c: Ctx, ind: str, out: list[str]) -> None:
        """Run ``stmts[i:]``, then the continuation frames ``rest``, then fall through."""
        while i < len(stmts) and isinstance(stmts[i], ir.Skip):
            i += 1
        if i == len(stmts):
            if rest:
                (s2, i2), more = rest[0], rest[1:]
                self.gen_stmts(s2, i2, more, c, ind, out)
            else:
                self.gen_emit(self._step.fallthrough, c, ind, out)
            return
        st = stmts[i]
        nxt = ((stmts, i + 1),) + rest
        if isinstance(st, ir.Assign):
            planned = self._plan_run(stmts, i, c)
            if planned is not None:
                self.gen_assign_run(*planned, c, ind, out)
                self.gen_stmts(stmts, i + len(planned[1]), rest, c, ind, out)
                return
            self.gen_assign(st, c, ind, out)
            self.gen_stmts(stmts, i + 1, rest, c, ind, out)
        elif isinstance(st, ir.Assert):
            cond = self.ex(st.cond, c)
            if not (cond.const and cond.value):
                self.decode_lines(c, ind, out)
                out.append(f"{ind}if not ({cond.src}):")
                out.append(f"{ind}    _rt.assert_failed({st.message!r}, {self.where(st)})")
            self.gen_stmts(stmts, i + 1, rest, c, ind, out)
        elif isinstance(st, ir.Await):
            cond = self.ex(st.cond, c)
            if cond.const:
                if cond.value:
                    self.gen_stmts(stmts, i + 1, rest, c, ind, out)
                return
            facts = self.case_facts(st.cond, c)
            self.decode_lines(c, ind, out)
            out.append(f"{ind}if {cond.src}:")
            n0 = len(out)
            with self.narrowed(facts):
                self.gen_stmts(stmts, i + 1, rest, c.copy(), ind + "    ", out)
            if len(out) == n0:
                out.append(f"{ind}    pass")
        elif isinstance(st, ir.If):
            if self._mergeable(st):
                self.gen_if_merge(st, c, ind, out)
                self.gen_stmts(stmts, i + 1, rest, c, ind, out)
            else:
                self.gen_if_split(st, nxt, c, ind, out)
        elif isinstance(st, ir.Either):
            branches = []
            for br in st.branches:
                lines: list[str] = []
                self.gen_stmts(br, 0, nxt, c.copy(), ind, lines)
                branches.append(lines)
            out.extend(_shared_decodes(branches, ind))
        elif isinstance(st, ir.AnyStmt):
            binder, cond = self.hoisted(st.binder, st.cond, c)
            if cond is not st.cond:
                st = ir.AnyStmt(span=st.span, macro=st.macro, binder=binder, cond=cond, body=st.body)
            dom = self.ex(st.binder.domain, c)
            if dom.const and 0 < self._any_copies * len(dom.value) <= ANY_UNROLL_TOTAL and _unroll_pays(st):
                self.gen_any_unrolled(st, sorted(dom.value, key=sort_key), nxt, c, ind, out)
                return
            if dom.const:
                dsrc = self.k(tuple(sorted(dom.value, key=sort_key))).src
            else:
                dsrc = f"_srt({dom.src})"
            name = self.uniq(f"_b_{st.binder.name}_")
            c2 = c.copy()
            c2.env[st.binder.name] = Py(name)
            c2.params = c.params + ((st.binder.name, name),)
            self.note_element_cases(name, st.binder.domain, c)
            cond = self.ex(st.cond, c2) if st.cond is not None else self.k(True)
            facts = [] if cond.const else self.case_facts(st.cond, c2)
            # the slots the condition reads are decoded once, not once per element
            self.decode_lines(c2, ind, out)
            ind2 = ind + "    "
            if not (dom.const or cond.const or c.checked):
                # the elements that qualify, then those in order: few of a
                # set usually do (a message of one kind), and sorting a whole
                # set costs more than testing each element.  Every condition
                # is tested before the first body runs, which only the order
                # of errors tells apart: the checked variant, which names
                # them, tests each before its body.
                out.append(f"{ind}for {name} in _rt.sorted_some([{name} for {name} in {dom.src} if {cond.src}]):")
            else:
                out.append(f"{ind}for {name} in {dsrc}:")
                if cond.const and not cond.value:
                    out.append(f"{ind2}pass")
                    return
                if not cond.const:
                    out.append(f"{ind2}if {cond.src}:")
                    ind2 += "    "
            n0 = len(out)
            with self.narrowed(facts):
                self.gen_stmts(st.body, 0, nxt, c2, ind2, out)
            if len(out) == n0:
                out.append(f"{ind2}pass")
        elif isinstance(st, ir.Let):
            # the name is a local for the rest of the step (the let's body),
            # computed on its first use: TLA+'s LET fails only where it is
            # used (the names it reads are bound once: the closure sees the
            # values of the let's point in the step); computed at once when
            # the statements after it read it before they can stop
            val = self.ex(st.value, c)
            c2 = c.copy()
            if val.const or is_lookup(val.src):
                c2.env[st.name] = val
            else:
                self.decode_lines(c, ind, out)
                name = self.uniq(f"_l_{st.name}_")
                if stmts_always_read(st.body, st.name) or self.cannot_fail(val.src):
                    out.append(f"{ind}{name} = {val.src}")
                    c2.env[st.name] = Py(name)
                else:
                    out.append(f"{ind}{name} = _lazy(lambda: {val.src})")
                    c2.env[st.name] = Py(f"{name}()")
            cases = self.element_cases(st.value, c)
            if cases is not None:
                self._let_cases[c2.env[st.name].src] = cases
            self.gen_stmts(st.body, 0, nxt, c2, ind, out)
        elif isinstance(st, ir.Goto):
            self.gen_emit(st.target, c, ind, out)
        else:
            raise CompileError(f"{st.span}: unsupported statement {type(st).__name__}")

    def gen_any_unrolled(self, st: ir.AnyStmt, values: list, nxt, c: Ctx, ind: str, out: list[str]) -> None:
        """``any x in S if cond: body`` over a small constant set, one copy
        of the body per element (in the loop's order), ``x`` a constant in
        each: what the body computes from ``x`` and one state value is then
        a shared expression (paxos's Decide, ``any b in ballots(), q in
        QUORUMS``: the quorum's accepted messages, computed once per set of
        accepted messages rather than once per state)."""
        base = c.copy()
        self._any_copies *= len(values)
        start = len(out)
        try:
            for v in values:
                k = self.k(v)
                c2 = base.copy()
                c2.env[st.binder.name] = k
                c2.params = c.params + ((st.binder.name, k.src),)
                cond = self.ex(st.cond, c2) if st.cond is not None else self.k(True)
                if cond.const and not cond.value:
                    continue
                facts = [] if cond.const else self.case_facts(st.cond, c2)
                self.decode_lines(c2, ind, out)
                base.old.update(c2.old)  # decoded at this level: for the next copies too
                ind2 = ind
                if not cond.const:
                    out.append(f"{ind}if {cond.src}:")
                    ind2 = ind + "    "
                n0 = len(out)
                with self.narrowed(facts):
                    self.gen_stmts(st.body, 0, nxt, c2, ind2, out)
                if len(out) == n0 and ind2 != ind:
                    out.append(f"{ind2}pass")
            if len(out) == start:
                out.append(f"{ind}pass")  # no element qualifies: still a block
        finally:
            self._any_copies //= len(values)

    # -- assignments
    def _root_slot(self, root, c: Ctx) -> int:
        if isinstance(root, ir.VarRef):
            return self.var_slot[root.name]
        return self.local_slot[(root.process, root.name, self._own_pos(root.process, c))]

    def _update_src(self, base: str, btype: ir.Type, path: tuple, val: str, c: Ctx,
                    keys: tuple | None = None) -> str:
        """``base`` with the place ``path`` set to ``val``; ``keys``: the
        path's keys already evaluated (None for a field), else evaluated here."""
        if not path:
            return val
        p = path[0]
        rest = None if keys is None else keys[1:]
        if isinstance(btype, ir.OptionalType):
            btype = btype.inner
        if isinstance(p, ir.Field):
            inner_base = f"{base}._d[{p.name!r}]" if not c.checked else f"_rt.field({base}, {p.name!r})"
            inner = self._update_src(inner_base, p.type, path[1:], val, c, rest)
            return f"_rput({base}, {p.name!r}, {inner})"
        key = self.ex(p.key, c) if keys is None else keys[0]
        w = self.where(p)
        if isinstance(btype, ir.MapType):
            sh = self.shown(btype) if c.checked else "None"
            if len(path) == 1:
                return f"_mput({base}, {key.src}, {val}, {w}, {sh})"
            inner = self._update_src(f"_mget({base}, {key.src}, {w}, {sh})", p.type, path[1:], val, c, rest)
            return f"_mput({base}, {key.src}, {inner}, {w}, {sh})"
        if isinstance(btype, ir.SeqType):
            inner = self._update_src(f"_sget({base}, {key.src}, {w})", p.type, path[1:], val, c, rest)
            return f"_sput({base}, {key.src}, {inner}, {w})"
        inner = self._update_src(f"_rt.index({base}, {key.src}, {w})", p.type, path[1:], val, c, rest)
        return f"_rt.put({base}, {key.src}, {inner}, {w})"

    # -- runs of assignments to one variable
    # `node[self].leader = none; node[self].bal_prepared = 0; ...` one update
    # after the other would copy node and node[self] once per statement; a run
    # of such statements is one update with every field set.  The statements
    # still compute their values, keys, range and overlap checks and the
    # checks that the keys are there, each at its turn and in the order a
    # statement on its own does; only the copies wait for the end of the run.
    # A value or a key is computed on the variable as it was before the run,
    # so a statement joins the run only when it reads no place the run has
    # updated; a key must be known to be equal to, or different from, the
    # keys beside it (constants, or the same expression).

    def _plan_run(self, stmts: tuple, i: int, c: Ctx) -> tuple[_Place, list] | None:
        """The run of assignments starting at ``stmts[i]``: the place of the
        variable and, per statement, the places along its path and whether
        it is the first to reach each; None when fewer than two statements
        make one.  Only in the unchecked variants: the checked one keeps
        each statement's own update, the reference for error positions."""
        first = stmts[i]
        if c.checked or not first.path:
            return None
        k = self._root_slot(first.root, c)
        root = _Place(first.root.type)
        written: list[list] = []  # the path of each statement of the run so far
        run = []
        probe = c.copy()
        probe.need = set()  # (keys compiled here again when emitted: no decode from this)
        for st in stmts[i:]:
            if not (isinstance(st, ir.Assign) and st.path and self._root_slot(st.root, c) == k):
                break
            if written and (self._reads_places(st.value, k, written, probe) or
                            any(isinstance(p, ir.Index) and self._reads_places(p.key, k, written, probe)
                                for p in st.path)):
                break
            nodes = self._insert_path(root, st, probe)
            if nodes is None:
                break
            run.append((st, nodes))
            written.append([(p, n) for p, (n, _) in zip(st.path, nodes)])
        return (root, run) if len(run) >= 2 else None

    def _insert_path(self, root: _Place, st: ir.Assign, c: Ctx) -> list[tuple[_Place, bool]] | None:
        """Add ``st``'s path to the places of a run: per path element the
        place it reaches and whether ``st`` is the first to; None (nothing
        added) when ``st`` cannot join: a path through a type other than
        records, maps and sequences, a place the run assigned or a place
        inside or around it (that is an overlap error, which the statement
        raises on its own), or a key that may or may not be another's."""
        steps: list[tuple[_Place, ir.Expr, _Place, bool]] = []
        node = root
        for n, p in enumerate(st.path):
            if isinstance(p, ir.Field):
                if not isinstance(node.ty, ir.RecordType):
                    return None
                kid = next((x for q, x in node.kids if q.name == p.name), None)
                key = None
            else:
                if not isinstance(node.ty, (ir.MapType, ir.SeqType)):
                    return None
                key = self.ex(p.key, c)
                kid = None
                for _, x in node.kids:
                    same = self._same_key(x.key, x.key_ir, key, p.key)
                    if same is None:
                        return None
                    if same:
                        kid = x
                        break
            if kid is not None and (n == len(st.path) - 1 or kid.assigned):
                return None
            new = kid is None
            if new:
                kid = _Place(p.type, key, None if key is None else p.key)
            steps.append((node, p, kid, new))
            node = kid
        for parent, p, kid, new in steps:
            if new:
                parent.kids.append((p, kid))
        node.assigned = True
        return [(kid, new) for _, _, kid, new in steps]

    @staticmethod
    def _same_key(a: Py, a_ir: ir.Expr, b: Py, b_ir: ir.Expr) -> bool | None:
        """Are two keys of a run the same (True), different (False), or may
        they be either (None)?  Written side by side in a run, the same
        expression has the same value: it reads no place the run updates."""
        if a.const and b.const:
            return a.value == b.value
        if not a.const and not b.const and a_ir == b_ir:
            return True
        return None

    def _reads_places(self, e: ir.Expr, k: int, written: list[list], c: Ctx) -> bool:
        """May ``e`` read a place of slot ``k`` that one of the ``written``
        paths (per element: the path element and the run's place) updated,
        or a place inside or around one?  The places ``e`` reads are the
        chains of fields and keys applied to the variable (the whole of it
        for any other use); a def's body reads the state in which the step
        started, its arguments are read here."""
        bound = walk.names_bound_in(e)

        def scan(x) -> bool:
            if isinstance(x, (ir.Field, ir.Index)):
                chain = []
                y = x
                while isinstance(y, (ir.Field, ir.Index)):
                    chain.append(y)
                    y = y.base
                chain.reverse()
                if self._is_root(y, k, c):
                    if any(self._may_overlap(chain, w, bound, c) for w in written):
                        return True
                elif scan(y):
                    return True
                return any(scan(z.key) for z in chain if isinstance(z, ir.Index))
            if self._is_root(x, k, c):
                return True
            return any(scan(y) for y in _sub_exprs(x))

        return scan(e)

    def _is_root(self, e: ir.Expr, k: int, c: Ctx) -> bool:
        """Does ``e`` read slot ``k`` as the step has updated it so far
        (a variable, or the running instance's own local)?"""
        if isinstance(e, ir.VarRef):
            return self.var_slot[e.name] == k
        if isinstance(e, ir.LocalRef) and e.index is None:
            return self.local_slot.get((e.process, e.name, self._own_pos(e.process, c))) == k
        return False

    def _may_overlap(self, chain: list, path: list, bound: set, c: Ctx) -> bool:
        """May the place ``chain`` (fields and keys applied to the
        variable, in an expression binding ``bound``) be the place of
        ``path``, or inside or around it?"""
        for z, (p, node) in zip(chain, path):
            if isinstance(z, ir.Field) and isinstance(p, ir.Field):
                if z.name != p.name:
                    return False
                continue
            if not (isinstance(z, ir.Index) and isinstance(p, ir.Index)):
                return True
            read = self._fixed_key(z.key, bound, c)
            if read is not None and node.key.const:
                if read.value != node.key.value:
                    return False
                continue
            if read is None and not node.key.const and z.key == node.key_ir and not (walk.names_read_in(z.key) & bound):
                continue  # the same expression, its names bound outside: the same key
            return True
        return True

    def _fixed_key(self, e: ir.Expr, bound: set, c: Ctx) -> Py | None:
        """The value of a key that reads no state and only names bound to
        constants outside the expression being scanned, else None."""
        for x in walk.iter_exprs(e):
            if isinstance(x, _VARYING) and not (isinstance(x, ir.BoundRef) and x.name not in bound
                                                 and x.name in c.env and c.env[x.name].const):
                return None
        key = self.ex(e, c)
        return key if key.const else None

    def gen_assign_run(self, root: _Place, run: list[tuple[ir.Assign, list[tuple[_Place, bool]]]], c: Ctx,
                       ind: str, out: list[str]) -> None:
        """A run of assignments to one variable (:meth:`_plan_run`) as one
        update.  Each statement, at its turn: its value (with the range
        check), its keys, the overlap check, the checks that the keys it is
        the first to use are there (for a key of the place it assigns: after
        the value, as a statement's own update does).  Then, once, the new
        value: each updated record or map copied once with its new fields
        or entries set."""
        k = self._root_slot(run[0][0].root, c)
        root.src = c.cur[k] if k in c.cur else self.read_slot(c, k).src
        for st, nodes in run:
            val = self.ex(st.value, c)
            d = self.range_desc(st.path[-1].type)
            if d is not None and not (val.const and rt.outside_range(val.value, d) is rt.NOCHOICE):
                self.decode_lines(c, ind, out)
                val = Py(self.gen_range_check(st, d, val.src, ind, out))
            keys = []
            for p, (node, new) in zip(st.path, nodes):
                if isinstance(p, ir.Field):
                    keys.append(None)
                    continue
                if new:
                    node.key = self._key_local(p, c, ind, out)
                keys.append(node.key)  # (a key met before: the same value, computed then)
            self.gen_overlap_check(st, tuple(keys), k, c, ind, out)
            if self._reads is not None:
                self._note_write(st, k, c)
            # written from now on, as after a statement on its own; the
            # statements after read it as it was before the run (they read
            # no place the run updated)
            c.cur[k] = root.src
            self.decode_lines(c, ind, out)
            parent = root
            for p, (node, new) in zip(st.path[:-1], nodes):
                if new:
                    if isinstance(p, ir.Field):
                        node.src = f"{parent.src}._d[{p.name!r}]"
                    else:
                        node.src = self.uniq("_at")
                        w = self.where(p)
                        get = (f"_mget({parent.src}, {node.key.src}, {w}, None)"
                               if isinstance(parent.ty, ir.MapType) else f"_sget({parent.src}, {node.key.src}, {w})")
                        out.append(f"{ind}{node.src} = {get}")
                parent = node
            if not (val.const or val.src.isidentifier()):
                name = self.uniq("_av")
                out.append(f"{ind}{name} = {val.src}")
                val = Py(name)
            leaf = nodes[-1][0]
            leaf.value = val.src
            p = st.path[-1]
            if isinstance(p, ir.Index):
                ks, w = leaf.key.src, self.where(p)
                if isinstance(parent.ty, ir.MapType):
                    out.append(f"{ind}if {ks} not in {parent.src}._d: _mput({parent.src}, {ks}, None, {w}, None)")
                else:
                    out.append(f"{ind}if not 0 <= {ks} < _len({parent.src}): _sput({parent.src}, {ks}, None, {w})")
        src = self._run_value(root, ind, out)
        name = self.uniq(f"_n{k}_")
        out.append(f"{ind}{name} = {src}")
        c.cur[k] = name

    def _run_value(self, place: _Place, ind: str, out: list[str]) -> str:
        """The source of the new value of ``place`` after a run, with the
        lines computing it: a record or a map copied once with its updated
        fields or entries set, a sequence's entries put one by one."""
        if place.value is not None:
            return place.value
        kids = [(p, kid, self._run_value(kid, ind, out)) for p, kid in place.kids]
        if isinstance(place.ty, ir.SeqType):
            src = place.src
            for p, kid, v in kids:
                src = f"_sput({src}, {kid.key.src}, {v}, {self.where(p)})"
            return src
        d = self.uniq("_ad")
        out.append(f"{ind}{d} = {place.src}._d.copy()")
        for p, kid, v in kids:
            out.append(f"{ind}{d}[{repr(p.name) if isinstance(p, ir.Field) else kid.key.src}] = {v}")
        return f"_rec({d})" if isinstance(place.ty, ir.RecordType) else f"_fm({d})"

    def _path_keys(self, st: ir.Assign, c: Ctx, ind: str, out: list[str]) -> tuple:
        """The keys of ``st``'s path, evaluated into locals (None for a field)."""
        return tuple(None if isinstance(p, ir.Field) else self._key_local(p, c, ind, out) for p in st.path)

    def _key_local(self, p, c: Ctx, ind: str, out: list[str]) -> Py:
        """The key of the path element ``p``, evaluated once into a local
        (unless a constant or a name already)."""
        key = self.ex(p.key, c)
        if not (key.const or key.src.isidentifier()):
            self.decode_lines(c, ind, out)
            name = self.uniq("_pk")
            out.append(f"{ind}{name} = {key.src}")
            key = Py(name)
        return key

    def gen_overlap_check(self, st: ir.Assign, keys: tuple, k: int, c: Ctx, ind: str, out: list[str]) -> None:
        """An error when ``st`` updates a place that an earlier update of the
        same slot on this execution updated, or a place inside or around it
        (docs/semantics.md); then ``st`` counts as one of those updates."""
        # a key may be a slot read as it is (``m[i]``): decoded before the test
        self.decode_lines(c, ind, out)
        for prev, pkeys in c.touched.get(k, ()):
            positions = walk.overlap_keys(prev.path, st.path)
            if positions is None:
                continue
            conds = []
            for i in positions:
                a, b = pkeys[i], keys[i]
                if a.const and b.const:
                    if a.value != b.value:
                        break
                    continue
                conds.append(f"{a.src} == {b.src}")
            else:
                call = f"_rt.overlap_error({walk.overlap_message(prev, st)!r}, {self.where(st)})"
                out.append(f"{ind}if {' and '.join(conds)}: {call}" if conds else f"{ind}{call}")
        c.touched[k] = c.touched.get(k, ()) + ((st, keys),)

    def range_desc(self, ty: ir.Type) -> tuple | None:
        """Where ``ty`` holds ints with declared bounds (a descriptor for
        :func:`runtime.check_range`), or None when it holds none."""
        if isinstance(ty, ir.IntType):
            b = self._int_bounds(ty)
            return None if b is None else ("int", b[0], b[1])
        if isinstance(ty, ir.OptionalType):
            d = self.range_desc(ty.inner)
            return None if d is None else ("opt", d)
        if isinstance(ty, (ir.SetType, ir.SeqType)):
            d = self.range_desc(ty.elem)
            return None if d is None else ("set" if isinstance(ty, ir.SetType) else "seq", d)
        if isinstance(ty, ir.MapType):
            dk, dv = self.range_desc(ty.key), self.range_desc(ty.value)
            return None if dk is None and dv is None else ("map", dk, dv)
        if isinstance(ty, ir.TupleType):
            ds = tuple(self.range_desc(t) for t in ty.elems)
            return None if all(d is None for d in ds) else ("tup", ds)
        if isinstance(ty, ir.RecordType):
            ds = tuple((n, self.range_desc(t)) for n, t in ty.fields)
            return None if all(d is None for _, d in ds) else ("rec", ds)
        return None

    def gen_range_check(self, st: ir.Assign, d: tuple, src: str, ind: str, out: list[str]) -> str:
        """Check the value ``src`` assigned by ``st`` against ``d``, the
        declared ranges of the target's type (docs/semantics.md, Errors);
        returns the name holding the checked value."""
        what = repr(f"the value assigned to '{walk.target_text(st)}'")
        w = self.where(st)
        name = self.uniq("_rv_")
        if d[0] == "int":
            out.append(f"{ind}{name} = {src}")
            out.append(f"{ind}if not {d[1]} <= {name} <= {d[2]}: _rt.range_error({name}, {what}, {w})")
        else:
            out.append(f"{ind}{name} = _rt.check_range({src}, {self.k(d).src}, {what}, {w})")
        return name

    def gen_assign(self, st: ir.Assign, c: Ctx, ind: str, out: list[str]) -> None:
        k = self._root_slot(st.root, c)
        if self._gen_set_add(st, k, c, ind, out):
            return
        val = self.ex(st.value, c)
        d = self.range_desc(st.path[-1].type if st.path else st.root.type)
        if d is not None and not (val.const and rt.outside_range(val.value, d) is rt.NOCHOICE):
            self.decode_lines(c, ind, out)
            val = Py(self.gen_range_check(st, d, val.src, ind, out))
        keys = None
        if walk.root_of(st.root) in self._multi:
            keys = self._path_keys(st, c, ind, out)
            self.gen_overlap_check(st, keys, k, c, ind, out)
        if self._reads is not None:
            self._note_write(st, k, c)
        if st.path:
            base = c.cur[k] if k in c.cur else self.read_slot(c, k).src
            src = self._update_src(base, st.root.type, st.path, val.src, c, keys)
        else:
            src = val.src
            if val.const:
                self.decode_lines(c, ind, out)
                self.consts_src[val.src] = val.value
                c.cur[k] = val.src
                return
        self.decode_lines(c, ind, out)
        name = self.uniq(f"_n{k}_")
        out.append(f"{ind}{name} = {src}")
        c.cur[k] = name

    def _gen_set_add(self, st: ir.Assign, k: int, c: Ctx, ind: str, out: list[str]) -> bool:
        """``v = v | {x}`` (or ``{x} | v``, or ``v | S`` for any set ``S``),
        ``v`` a set variable held in a table of sets (layout.InternSetCodec)
        and not yet assigned in the step: the new set is encoded from the old
        one's field and ``x`` (``_A3(field, x)``, InternSetCodec.code_with)
        or the elements of ``S`` (``_U3(field, S)``, code_union).  Its local
        is still assigned for what reads the new value later in the step,
        and dropped when nothing does (Codegen.finish_lines), so a step that
        sends messages into a message set builds no set.  Not for a set
        whose elements hold declared int ranges (the whole new value is
        range-checked then, as docs/semantics.md says)."""
        if st.path or not isinstance(st.root, ir.VarRef) or c.cur is None or k in c.cur or c.st != "s":
            return False
        sl = self.layout.slots[k]
        e = st.value
        if (not isinstance(sl.codec, InternSetCodec) or sl.escapable or not isinstance(e, ir.Binary)
                or e.op != "union" or walk.root_of(st.root) in self._multi
                or self.range_desc(st.root.type) is not None):
            return False

        def is_old(x: ir.Expr) -> bool:
            return isinstance(x, ir.VarRef) and x.name == st.root.name and not x.primed

        if is_old(e.left):
            old, new = e.left, e.right
        elif is_old(e.right):
            old, new = e.right, e.left
        else:
            return False
        one = isinstance(new, ir.SetLit) and len(new.elems) == 1
        x = self.ex(new.elems[0] if one else new, c)
        self.decode_lines(c, ind, out)
        if not (x.const or x.src.isidentifier()):
            elem = self.uniq("_e")
            out.append(f"{ind}{elem} = {x.src}")
            x = Py(elem)
        if self._reads is not None:
            self._note_write(st, k, c)
        added = f"_frozenset(({x.src},))" if one else x.src
        src = f"({self.ex(old, c).src} | {added})"  # reads the old set: part of a memo's key
        self.decode_lines(c, ind, out)
        name = self.uniq(f"_n{k}_")
        out.append(f"{ind}{name} = {src}")
        c.cur[k] = name
        self.__dict__.setdefault("_droppable", set()).add(name)
        self.__dict__.setdefault("_set_adds", {})[name] = (f"_A{k}" if one else f"_U{k}", x.src, added)
        return True

    def _note_write(self, st: ir.Assign, k: int, c: Ctx) -> None:
        """Record what a memoized step's assignment writes (and, for an
        update of a place, reads: the old value around it)."""
        if not st.path:
            self._wfresh.add(k)
        keys = []
        if isinstance(st.root, ir.VarRef):
            # the longest prefix of the path that names a part of the
            # encoding: ``r.f[i] = v`` with ``i`` chosen at run time writes r.f
            codec = self.layout.slots[k].codec
            for p in st.path:
                step = self._place_step(codec, p, c)
                if step is None:
                    break
                key, codec = step
                keys.append(key)
        if keys and self._place_mask(k, tuple(keys)) is not None:
            self._wplaces.setdefault(k, set()).add(tuple(keys))
            if len(keys) < len(st.path):
                # part of the place is updated: the rest of it is the old value's
                if k not in c.cur:
                    self._rplaces.setdefault(k, set()).add(tuple(keys))
            else:
                c.fresh = c.fresh | {(k, tuple(keys))}
        else:
            self._wwhole.add(k)
            if st.path and k not in c.cur:
                self._rwhole.add(k)
            elif not st.path:
                c.fresh = c.fresh | {(k, ())}

    def _place_writes(self, k: int, name: str, old: str | None) -> tuple[int, list[str], int] | None:
        """When every write to slot ``k`` on the path being emitted is to a
        constant place (recorded by :meth:`_note_write`): the mask of those
        places, the sources of their encodings, read from the new value
        ``name`` and shifted into place, and the presence bits of the
        digits on the way; else None.  ``old``: the old value of the slot,
        decoded (see :meth:`_diff_source`), or None.  Only while a memoized
        step is generated (the writes are tracked then)."""
        if self._reads is None or k in self._wwhole or k not in self._wplaces:
            return None
        mask = 0
        srcs = []
        presences = 0
        for keys in sorted(self._wplaces[k], key=repr):
            place = self._place(k, keys)
            if place is None:
                return None
            presence, off, codec = place
            path = "".join(f"._d[{self.k(key).src}]" for key in keys)  # a record's fields are in _d too
            mask |= presence | (((1 << codec.width) - 1) << off)
            presences |= presence
            if old is not None and visits_parts(codec):
                srcs.append(f"{self._diff_encoder(codec, off)}({name}{path}, {old}{path}, s)")
            else:
                srcs.append(f"({self._value_encoder(codec)}({name}{path}) << {off})")
        return mask, srcs, presences

    def _diff_source(self, k: int, c: Ctx) -> str | None:
        """The local holding slot ``k``'s old value, decoded, when the
        encoding of its new value should copy the bits of the parts it
        shares with it (:func:`layout.make_diff_encoder`): a map or a
        record that the step updates through places and never assigns as a
        whole (a new value shares nothing: the identity tests would be
        lost time), in code for states without an escape tail whose writes
        are tracked (the fast and labelled variants, the compiled engine's
        step functions); else None."""
        if self._reads is None or k in self._wfresh or not visits_parts(self.layout.slots[k].codec):
            return None
        return c.old.get(("s", k))

    def _diff_encoder(self, codec, off: int) -> str:
        """The namespace name of :func:`layout.make_diff_encoder` ``(codec, off)``."""
        key = ("diff", id(codec), off)
        name = self._venc.get(key)
        if name is None:
            name = self._bind(make_diff_encoder(codec, off), "_FD")
            self._venc[key] = name
        return name

    def _value_encoder(self, codec) -> str:
        """The namespace name of a function encoding values of ``codec``
        (KeyError when one is not representable)."""
        key = ("venc", id(codec))
        name = self._venc.get(key)
        if name is None:
            name = self._bind(make_value_encoder(codec), "_P")
            self._venc[key] = name
        return name

    def _memo_masks(self, reads: set[int]) -> tuple[int, int]:
        """(read mask, written mask) of the step just generated: a variable
        read or written only through places (record fields, map entries at
        keys known when compiling) contributes the bits of those places;
        anything else its whole field.  A variable that is only written
        reads nothing; the bits of a variable or place that every
        successor assigns a new value as a whole (:attr:`Ctx.fresh`) are
        written but not part of what the step reads, unless it reads them."""
        slots = self.layout.slots
        rmask = 0
        for k in reads:
            sl = slots[k]
            part = None
            if sl.kind == "var" and k not in self._rwhole and (
                    k in self._rplaces or k in self._wplaces or k in self._wwhole):
                part = 0
                for keys in self._rplaces.get(k, ()):
                    m = self._place_mask(k, keys)
                    if m is None:
                        part = None
                        break
                    part |= m
            rmask |= (sl.mask << sl.off) if part is None else part
        wm = self._wm
        for k, places in self._wplaces.items():
            if k in self._wwhole:
                continue
            part = 0
            for keys in places:
                part |= self._place_mask(k, keys)
            sl = slots[k]
            wm = (wm & ~(sl.mask << sl.off)) | part
        fresh = 0
        for k, keys in self._fresh_all or ():
            sl = slots[k]
            fresh |= (sl.mask << sl.off) if not keys else self._place_mask(k, keys)
        # the memo key: what is read, and what is written but not fresh
        return rmask | (wm & ~fresh), wm

    # -- if statements
    def _mergeable(self, st: ir.If) -> bool:
        def ok(stmts) -> bool:
            for s in stmts:
                if isinstance(s, ir.Assign) and walk.root_of(s.root) in self._multi:
                    return False  # its overlap check needs the updates of its own execution
                if isinstance(s, (ir.Assign, ir.Skip)):
                    continue
                if isinstance(s, ir.If) and ok(s.orelse) and all(ok(b) for _, b in s.branches):
                    continue
                return False
            return True

        return ok(st.orelse) and all(ok(b) for _, b in st.branches)

    def _assigned_roots(self, stmts, c: Ctx, acc: set) -> set:
        for s in stmts:
            if isinstance(s, ir.Assign):
                acc.add(self._root_slot(s.root, c))
            elif isinstance(s, ir.If):
                for _, b in s.branches:
                    self._assigned_roots(b, c, acc)
                self._assigned_roots(s.orelse, c, acc)
        return acc

    def gen_if_merge(self, st: ir.If, c: Ctx, ind: str, out: list[str]) -> None:
        """An if whose branches only assign: plain Python if/elif/else, then merge."""
        roots = sorted(self._assigned_roots([st], c, set()))
        before = {}
        for k in roots:
            before[k] = c.cur[k] if k in c.cur else self.read_slot(c, k).src
        conds = []
        for cond_e, body in st.branches:
            cond = self.ex(cond_e, c)
            conds.append((cond, body, cond_e))
            if cond.const and cond.value:
                break
        facts = self._branch_facts([(cd, ce) for cd, _, ce in conds], c)
        self.decode_lines(c, ind, out)
        merged = {k: self.uniq(f"_m{k}_") for k in roots}
        live = [(cd, b, f) for (cd, b, _), f in zip(conds, facts) if not (cd.const and not cd.value)]
        branches: list[tuple[str | None, tuple, list]] = []
        for cd, b, f in live:
            if cd.const:  # always true: the else of what precedes
                branches.append((None, b, f))
                break
            branches.append((cd.src, b, f))
        else:
            branches.append((None, st.orelse, facts[-1]))
        if len(branches) == 1 and branches[0][0] is None:
            with self.narrowed(branches[0][2]):
                self._straight(branches[0][1], c, ind, out)
            return
        fresh = None  # what every branch assigned anew
        for n, (cond_src, body, f) in enumerate(branches):
            head = "else:" if cond_src is None else f"{'if' if n == 0 else 'elif'} {cond_src}:"
            out.append(ind + head)
            n0 = len(out)
            c2 = c.copy()
            with self.narrowed(f):
                self._straight(body, c2, ind + "    ", out)
            fresh = c2.fresh if fresh is None else fresh & c2.fresh
            for k in roots:
                out.append(f"{ind}    {merged[k]} = {c2.cur.get(k, before[k])}")
            if len(out) == n0:
                out.append(f"{ind}    pass")
        for k in roots:
            c.cur[k] = merged[k]
        c.fresh = fresh if fresh is not None else c.fresh

    def _branch_facts(self, conds: list[tuple[Py, ir.Expr]], c: Ctx) -> list[list]:
        """What each branch of an if/elif chain may assume of variant values
        (its condition holds, those above it do not), and after them what
        the else may (one more entry)."""
        out = []
        failed: list = []  # what the conditions above say by failing
        for cond, cond_e in conds:
            if cond.const:
                out.append(list(failed))
                continue
            out.append(failed + self.case_facts(cond_e, c, True))
            failed = failed + self.case_facts(cond_e, c, False)
        out.append(failed)
        return out

    def _straight(self, stmts, c: Ctx, ind: str, out: list[str]) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign):
                self.gen_assign(s, c, ind, out)
            elif isinstance(s, ir.If):
                self.gen_if_merge(s, c, ind, out)

    def gen_if_split(self, st: ir.If, nxt: tuple, c: Ctx, ind: str, out: list[str]) -> None:
        """An if with awaits/gotos/either/any inside: the rest of the body is
        repeated in each branch."""
        conds = []
        tested = []
        for cond_e, body in st.branches:
            cond = self.ex(cond_e, c)
            if cond.const and not cond.value:
                continue
            conds.append((cond, body))
            tested.append((cond, cond_e))
            if cond.const:
                break
        else:
            conds.append((None, st.orelse))
        facts = self._branch_facts(tested, c)
        self.decode_lines(c, ind, out)
        if conds and (conds[0][0] is None or conds[0][0].const):
            with self.narrowed(facts[0]):
                self.gen_stmts(conds[0][1], 0, nxt, c, ind, out)
            return
        for n, (cond, body) in enumerate(conds):
            if cond is None or cond.const:
                out.append(f"{ind}else:")
            else:
                out.append(f"{ind}{'if' if n == 0 else 'elif'} {cond.src}:")
            n0 = len(out)
            with self.narrowed(facts[n]):
                self.gen_stmts(body, 0, nxt, c.copy(), ind + "    ", out)
            if len(out) == n0:
                out.append(f"{ind}    pass")

    # -- the end of an execution: one successor
    def gen_emit(self, control: ir.Control, c: Ctx, ind: str, out: list[str]) -> None:
        if isinstance(control, ir.Loop):
            cpost = c.copy()
            cpost.post = True
            cond = self.ex(control.cond, cpost)
            if cond.const:
                self.gen_emit(control.enter if cond.value else control.exit, c, ind, out)
                return
            self.decode_lines(c, ind, out)
            out.append(f"{ind}if {cond.src}:")
            self.gen_emit(control.enter, c.copy(), ind + "    ", out)
            out.append(f"{ind}else:")
            self.gen_emit(control.exit, c.copy(), ind + "    ", out)
            return
        self.decode_lines(c, ind, out)
        if self._reads is not None:
            self._fresh_all = c.fresh if self._fresh_all is None else self._fresh_all & c.fresh
        pk = self.pc_slot[(c.proc.name, c.pos)]
        psl = self.layout.slots[pk]
        code = psl.codec.enc(control.label)
        wmask = psl.mask << psl.off
        bits = code << psl.off
        self._wm |= wmask
        parts = []
        unsafe = False  # an encoding may fail (value not representable): TypeError -> slow path
        slow = False
        writes = []
        set_adds = self.__dict__.get("_set_adds", {})
        for k, name in sorted(c.cur.items()):
            sl = self.layout.slots[k]
            added = set_adds.get(name)
            field = self.field_src("s", k)
            # a set-add's new set (_gen_set_add): the old set from s, plus the elements
            writes.append((k, name if added is None else f"(_D{k}[{field}] | {added[2]})"))
            wmask |= sl.mask << sl.off
            self._wm |= sl.mask << sl.off
            if added is not None:
                enc = f"{added[0]}({field}, {added[1]})"
                parts.append(f"({enc} << {sl.off})" if sl.off else enc)
                unsafe = True  # the element may not be representable
                continue
            if name in self.consts_src:
                f = sl.encode_field(self.consts_src[name])
                if f is None:
                    slow = True
                else:
                    bits |= f << sl.off
                continue
            old = self._diff_source(k, c)
            placed = self._place_writes(k, name, old)
            if placed is not None:
                # only the places this path wrote are encoded and spliced in
                pmask, psrcs, presences = placed
                wmask = (wmask & ~(sl.mask << sl.off)) | pmask
                parts.extend(psrcs)
                bits |= presences
                unsafe = True  # a place's value may not be representable: slow path
                continue
            if old is not None:
                # the parts the step did not touch are copied from s
                off = sl.off + (1 if sl.escapable else 0)
                parts.append(f"{self._diff_encoder(sl.codec, off)}({name}, {old}, s)")
                if sl.escapable:
                    bits |= 1 << sl.off
                unsafe = True
                continue
            enc = f"_E{k}[{name}]" if sl.enc_is_memo else f"_F{k}({name})"
            parts.append(f"({enc} << {sl.off})" if sl.off else enc)
            if sl.escapable:
                unsafe = True
        fast = f"(s & {~wmask})"
        for src in parts:
            fast += f" | {src}"
        if bits:
            fast += f" | {bits}"
        wsrc = "(" + "".join(f"({k}, {n}), " for k, n in writes) + ")"
        slow_src = f"_slow(s, {wsrc}, {pk}, {code})"
        mode = self._mode
        if mode == "fast":
            wrap = "{}"
        elif mode == "lab":
            wrap = f"({self._aid_cur}, {{}})"
        else:
            params = "(" + "".join(f"({n!r}, {v}), " for n, v in c.params) + ")"
            wrap = f"({self._aid_cur}, {params}, {{}})"
        if slow or self._esc_emit:
            out.append(f"{ind}_ap({wrap.format(slow_src)})")
            return
        if mode == "full" and self.layout.escapable:
            out.append(f"{ind}if s >> {self.layout.bits}:")
            out.append(f"{ind}    _ap({wrap.format(slow_src)})")
            out.append(f"{ind}else:")
            ind += "    "
        if unsafe:
            out.append(f"{ind}try:")
            out.append(f"{ind}    _t = {fast}")
            out.append(f"{ind}except (TypeError, KeyError):")
            out.append(f"{ind}    _t = {slow_src}")
            out.append(f"{ind}_ap({wrap.format('_t')})")
        else:
            out.append(f"{ind}_ap({wrap.format(fast)})")

    # ------------------------------------------------------------ initial states
    def initial_rows(self) -> list[list]:
        """Every combination of initial values: per row, one value per slot
        (pc slots: None), rows in lexicographic order of the slots' values.

        Slots are initialised in order (the variables in declaration order,
        then each instance's locals): an initial value may read the slots
        before it (docs/semantics.md), so it is evaluated once per
        combination of those when it reads any."""
        rows: list[list] = [[None] * len(self.layout.slots)]
        items = [(self.var_slot[v.name], v, Ctx()) for v in self.spec.vars]
        for p in self.spec.processes:
            for pos, val in enumerate(self.inst[p.name]):
                c = Ctx()
                c.proc, c.pos, c.self_val = p, pos, (val if p.index else _NOVAL)
                items += [(self.local_slot[(p.name, lv.name, pos)], lv, c) for lv in p.locals]
        for k, v, c in items:
            fn = self._init_function(k, v, c)
            if fn is None:
                vals = self._init_choices(v, self.eval_const(v.init, c))
                rows = [row[:k] + [x] + row[k + 1:] for row in rows for x in vals]
                continue
            out = []
            for row in rows:
                known = {i: x for i, x in enumerate(row[:k]) if self.layout.slots[i].kind != "pc"}
                for x in self._init_choices(v, fn(self.layout.pack_known(known))):
                    out.append(row[:k] + [x] + row[k + 1:])
            rows = out
        return rows

    def _init_function(self, k: int, v: ir.Var, c: Ctx):
        """A compiled function of the (partial) state computing ``v``'s
        initial value, or None when the value reads no state."""
        c = c.copy()
        c.need = set()
        dyn, self._dyn = self._dyn, False
        try:
            p = self.ex(v.init, c)
            reads = bool(c.need) or self._dyn
        finally:
            self._dyn = dyn
        if p.const or not reads:
            return None
        fc = Ctx("s", True)
        fc.proc, fc.pos, fc.self_val = c.proc, c.pos, c.self_val
        name = self.function(f"_init_{k}", "s", v.init, fc)
        self._exec_new("init")
        return self.ns[name]

    def _init_choices(self, v: ir.Var, val: Any) -> list:
        vals = [val] if v.init_kind == "eq" else sorted(val, key=sort_key)
        d = self.range_desc(v.type)
        if d is not None:
            for x in vals:
                bad = rt.outside_range(x, d)
                if bad is not rt.NOCHOICE:
                    raise CompileError(f"{v.init.span}: the initial value of '{v.name}' is outside its "
                                       f"declared type: {rt.fmt(bad)}")
        return vals

    def gen_start(self, p: ir.Process, pos: int) -> str | None:
        """``_start_<p>_<pos>(s) -> pc code`` when the start is a loop head."""
        if isinstance(p.start, ir.Jump):
            return None
        name = f"_start_{p.name}_{pos}"
        c = Ctx()
        c.proc, c.pos, c.self_val = p, pos, (self.inst[p.name][pos] if p.index else _NOVAL)
        c.need = set()
        sl = self.layout.slots[self.pc_slot[(p.name, pos)]]

        def resolve(ctl: ir.Control) -> str:
            if isinstance(ctl, ir.Jump):
                return str(sl.codec.enc(ctl.label))
            cond = self.ex(ctl.cond, c)
            return f"({resolve(ctl.enter)} if {cond.src} else {resolve(ctl.exit)})"

        expr = resolve(p.start)
        lines = [f"def {name}(s):"]
        self.decode_lines(c, "    ", lines)
        lines.append(f"    return {expr}")
        self.lines.extend(lines + [""])
        return name
