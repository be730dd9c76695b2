"""What the stages of the code generator share: the generated-source value
(``Py``), the generation context (``Ctx``), the errors, and small helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..ir import nodes as ir
from ..values import FMap

_NOVAL = object()


class Py:
    """A compiled expression: Python source, and its value when constant."""

    __slots__ = ("src", "value")

    def __init__(self, src: str, value: Any = _NOVAL):
        self.src = src
        self.value = value

    @property
    def const(self) -> bool:
        return self.value is not _NOVAL

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Py({self.src!r}{', const' if self.const else ''})"


class Ctx:
    """Where an expression is compiled."""

    __slots__ = ("st", "env", "proc", "pos", "self_val", "label", "cur", "old", "need", "params",
                 "checked", "in_def", "post", "touched", "fresh")

    def __init__(self, st: str = "s", checked: bool = False):
        self.st = st  # the Python name of the packed state that reads use
        self.env: dict[str, Py] = {}  # bound names
        self.proc: ir.Process | None = None  # the running process (steps, local inits)
        self.pos: int | None = None  # its instance position
        self.self_val: Any = _NOVAL
        self.label: str | None = None  # the running step
        self.cur: dict[int, str] | None = None  # slot -> local holding its new value (steps)
        self.old: dict[tuple[str, int], str] = {}  # decoded slots available here
        self.need: set[tuple[str, int]] = set()  # slots read by what is being compiled
        self.params: tuple = ()  # (name, local) chosen by `any` so far
        self.checked = checked
        self.in_def = False
        self.post = False  # a loop condition: everything (defs too) reads the state after the step
        # per slot assigned more than once in the step: the updates so far
        # on this execution, with their keys (for the overlap check)
        self.touched: dict[int, tuple] = {}
        # (slot, place) assigned a whole new value on this execution so far:
        # its new bits do not depend on its old ones (StepGen._memo_masks)
        self.fresh: frozenset = frozenset()

    def copy(self) -> Ctx:
        c = Ctx.__new__(Ctx)
        c.st, c.env, c.proc, c.pos, c.self_val, c.label = self.st, dict(self.env), self.proc, self.pos, \
            self.self_val, self.label
        c.cur = None if self.cur is None else dict(self.cur)
        c.old = dict(self.old)
        c.need = self.need
        c.params = self.params
        c.checked = self.checked
        c.in_def = self.in_def
        c.post = self.post
        c.touched = dict(self.touched)
        c.fresh = self.fresh
        return c


class CompileError(Exception):
    """The model cannot be compiled (a constant fails to evaluate, ...)."""


@dataclass(frozen=True)
class ActionInfo:
    """One step instance: the unit of interleaving and of fairness."""

    aid: int
    process: str
    pos: int
    self_value: Any  # the instance's index value, internal (None for singletons)
    label: str
    step: ir.Step
    binder_types: dict  # `any` binder name -> element type (to convert chosen values)


def _binder_types(st: ir.Step) -> dict:
    out = {}

    def on(n):
        if isinstance(n, ir.AnyStmt):
            t = n.binder.domain.type
            out[n.binder.name] = t.elem if isinstance(t, ir.SetType) else None

    _walk(st.body, on)
    return out


def _lit_src(v: Any) -> str | None:
    t = type(v)
    if t is bool:
        return "True" if v else "False"
    if t is int:
        return repr(v) if v >= 0 else f"({v!r})"
    if t is str:
        return repr(v)
    return None


def _walk(node, fn) -> None:
    """Call fn on every IR node below ``node`` (expressions, statements, tuples)."""
    if isinstance(node, (list, tuple)):
        for x in node:
            _walk(x, fn)
        return
    if not hasattr(node, "__dataclass_fields__") or isinstance(node, ir.Spec):
        return  # (a Spec below a node: the abstract spec of a refinement, another spec's IR)
    fn(node)
    for f in node.__dataclass_fields__:
        if f in ("span", "type"):
            continue
        _walk(getattr(node, f), fn)


def _values_in(v: Any, fn) -> None:
    fn(v)
    if isinstance(v, (frozenset, tuple)):
        for x in v:
            _values_in(x, fn)
    elif isinstance(v, FMap):
        for k, x in v.items():
            _values_in(k, fn)
            _values_in(x, fn)


#: Memoize the successors of heavy steps by the fields they read and write
#: (see Codegen._memo_step); False generates the plain code only.
MEMO = True


#: Memoize a state predicate only when it reads at most this many bits (a
#: cache is bounded anyway: MEMO_LIMIT entries; multi_paxos' invariants read
#: 35 bits and, memoized, take 40% less time).
MEMO_KEY_BITS = 64


UNROLL_LIMIT = 8  # unroll quantifiers/comprehensions over constant sets this small


UNROLL_TOTAL = 64


def _is_literal(src: str) -> bool:
    try:
        import ast

        ast.literal_eval(src)
        return True
    except Exception:  # noqa: BLE001
        return False



#: a slot's decode into a local (Codegen.decode_lines): its indent and local
DECODE_LINE = re.compile(r"(\s*)(_[oxq]\d+) = _D\d+\[[^\]]*\]$")
_ASSIGN_LINE = re.compile(r"(\s*)(\w+) = ")


def drop_unread_locals(lines: list[str], droppable=()) -> list[str]:
    """``lines`` (whole top-level functions) without the assignments that
    nothing reads: slot decodes (``_o3 = _D3[...]``, with their escape fix)
    and the locals named in ``droppable``, whose right-hand sides cannot
    fail (a set-add's new set).  A local is dropped only if no other line of
    its function names it; a block left empty gets a ``pass``."""
    out: list[str] = []
    seg: list[str] = []

    def flush():
        if seg:
            out.extend(_drop_in_function(seg, droppable))
            seg.clear()

    for line in lines:
        if line and not line[0].isspace():
            flush()
        seg.append(line)
    flush()
    return out


def _drop_in_function(lines: list[str], droppable) -> list[str]:
    defs: dict[str, list[int]] = {}  # local -> the lines that assign it
    for i, line in enumerate(lines):
        m = DECODE_LINE.match(line)
        if m is None and droppable:
            m = _ASSIGN_LINE.match(line)
            if m is not None and m.group(2) not in droppable:
                m = None
        if m is not None:
            name = m.group(2)
            defs.setdefault(name, []).append(i)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if nxt.startswith(f"{m.group(1)}if {name} is _ESC: {name} = "):
                defs[name].append(i + 1)
    if not defs:
        return lines
    dropped: set[int] = set()
    changed = True
    while changed:  # a dropped set-add may have been a decode's last reader
        changed = False
        for name, idx in defs.items():
            if idx[0] in dropped:
                continue
            word = re.compile(rf"\b{name}\b")
            own = set(idx)
            if any(word.search(line) for i, line in enumerate(lines) if i not in own and i not in dropped):
                continue
            dropped |= own
            changed = True
    if not dropped:
        return lines
    out: list[str] = []
    for i, line in enumerate(lines):
        if i not in dropped:
            out.append(line)
            continue
        # keep a block that would be left empty a block
        ind = line[:len(line) - len(line.lstrip())]
        prev = out[-1] if out else ""
        nxt = next((x for j, x in enumerate(lines[i + 1:], i + 1) if j not in dropped and x.strip()), "")
        if prev.rstrip().endswith(":") and len(prev) - len(prev.lstrip()) < len(ind) \
                and len(nxt) - len(nxt.lstrip()) < len(ind):
            out.append(f"{ind}pass")
    return out
