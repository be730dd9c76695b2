"""IR -> spec text.

Prints expressions in the spec's own syntax (reports, tables, error
messages) and whole specs (the golden round-trip test: print, re-parse and
compare the IR).  A printed spec is self-contained: what it extends is
already merged into it.
"""

from __future__ import annotations

import contextvars

from .ir import nodes as ir
from .ir.walk import iter_exprs

#: Singleton processes of the spec being printed: their locals print as
#: ``proc.local`` (valid inside and outside the process).
_SINGLETONS: contextvars.ContextVar[frozenset] = contextvars.ContextVar("singletons", default=frozenset())
#: The parameters of the action being printed: ``self`` prints as them.
_ACTION_PARAMS: contextvars.ContextVar[tuple] = contextvars.ContextVar("action_params", default=())

# Precedence levels, loosest first (mirrors grammar.lark).
P_QUANT, P_IMPLIES, P_IF, P_OR, P_AND, P_NOT, P_CMP, P_RANGE, P_BOR, P_BXOR, P_BAND, P_SHIFT, \
    P_SUM, P_TERM, P_UNARY, P_POWER, P_ATOM = range(17)

BIN = {
    "add": ("+", P_SUM), "sub": ("-", P_SUM), "mul": ("*", P_TERM), "floordiv": ("//", P_TERM),
    "mod": ("%", P_TERM), "pow": ("**", P_POWER), "bitand": ("&", P_BAND), "bitor": ("|", P_BOR),
    "bitxor": ("^", P_BXOR), "shl": ("<<", P_SHIFT), "shr": (">>", P_SHIFT),
    "union": ("|", P_BOR), "inter": ("&", P_BAND), "diff": ("-", P_SUM), "merge": ("|", P_BOR),
    "concat": ("+", P_SUM), "and": ("and", P_AND), "or": ("or", P_OR), "implies": ("implies", P_IMPLIES),
    "eq": ("==", P_CMP), "ne": ("!=", P_CMP), "lt": ("<", P_CMP), "le": ("<=", P_CMP),
    "gt": (">", P_CMP), "ge": (">=", P_CMP), "in": ("in", P_CMP), "not_in": ("not in", P_CMP),
    "subseteq": ("<=", P_CMP), "subset": ("<", P_CMP),
}


def _str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def format_type(t: ir.Type) -> str:
    if isinstance(t, ir.IntType):
        if t.lo is not None and t.hi is not None:
            return f"{format_expr(t.lo, P_SUM)}..{format_expr(t.hi, P_SUM)}"
        return "int"
    if isinstance(t, ir.RecordType):
        return "record(" + ", ".join(f"{n}: {format_type(ft)}" for n, ft in t.fields) + ")"
    if isinstance(t, ir.SetType):
        return f"set[{format_type(t.elem)}]"
    if isinstance(t, ir.SeqType):
        return f"seq[{format_type(t.elem)}]"
    if isinstance(t, ir.MapType):
        return f"map[{format_type(t.key)}, {format_type(t.value)}]"
    if isinstance(t, ir.TupleType):
        return "tuple[" + ", ".join(format_type(x) for x in t.elems) + "]"
    if isinstance(t, ir.OptionalType):
        return f"optional[{format_type(t.inner)}]"
    return str(t)


def format_expr(e: ir.Expr, ctx: int = P_QUANT) -> str:
    text, prec = _fmt(e)
    return f"({text})" if prec < ctx else text


def _pattern(name: str) -> str:
    """A bound name as written: the hidden name of a tuple pattern
    (``p__q``, which no spec can declare) as the pattern ``(p, q)``."""
    return "(" + ", ".join(name.split("__")) + ")" if "__" in name else name


def _binders(bs) -> str:
    return ", ".join(f"{_pattern(b.name)} in {format_expr(b.domain, P_OR)}" for b in bs)


def _fmt(e: ir.Expr) -> tuple[str, int]:  # noqa: C901 - one case per node
    f = format_expr
    if isinstance(e, ir.Lit):
        if isinstance(e.value, bool):
            return ("True" if e.value else "False"), P_ATOM
        if isinstance(e.value, str):
            return _str(e.value), P_ATOM
        return str(e.value), (P_ATOM if e.value >= 0 else P_UNARY)
    if isinstance(e, ir.NoneLit):
        return "none", P_ATOM
    if isinstance(e, ir.SortValue):
        return f"{e.sort}.{e.name}", P_ATOM
    if isinstance(e, ir.EnumValue):
        return f"{e.enum}.{e.name}", P_ATOM
    if isinstance(e, (ir.ConstRef, ir.VarRef, ir.BoundRef)):
        return e.name, P_ATOM
    if isinstance(e, ir.SelfRef) and _ACTION_PARAMS.get():
        params = _ACTION_PARAMS.get()
        return (params[0], P_ATOM) if len(params) == 1 else ("(" + ", ".join(params) + ")", P_ATOM)
    if isinstance(e, ir.Index) and isinstance(e.base, ir.SelfRef) and len(_ACTION_PARAMS.get()) > 1 \
            and isinstance(e.key, ir.Lit):
        return _ACTION_PARAMS.get()[e.key.value], P_ATOM
    if isinstance(e, ir.SelfRef):
        return "self", P_ATOM
    if isinstance(e, ir.LocalRef):
        if e.index is None:
            return (f"{e.process}.{e.name}" if e.process in _SINGLETONS.get() else e.name), P_ATOM
        return f"{e.process}[{f(e.index)}].{e.name}", P_ATOM
    if isinstance(e, ir.PcRef):
        if e.index is None:
            return f"{e.process}.pc", P_ATOM
        return f"{e.process}[{f(e.index)}].pc", P_ATOM
    if isinstance(e, ir.DefCall):
        return f"{e.name}(" + ", ".join(f(a) for a in e.args) + ")", P_ATOM
    if isinstance(e, ir.Unary):
        if e.op == "not":
            return f"not {f(e.operand, P_NOT)}", P_NOT
        sym = "-" if e.op == "neg" else "~"
        return f"{sym}{f(e.operand, P_UNARY)}", P_UNARY
    if isinstance(e, ir.Binary):
        sym, prec = BIN[e.op]
        if e.op == "pow":  # right-associative
            return f"{f(e.left, P_ATOM)} ** {f(e.right, P_UNARY)}", P_POWER
        if e.op == "implies":
            return f"{f(e.left, P_IF)} implies {f(e.right, P_IMPLIES)}", P_IMPLIES
        if prec == P_CMP:  # comparisons do not chain in the IR
            return f"{f(e.left, P_RANGE)} {sym} {f(e.right, P_RANGE)}", P_CMP
        return f"{f(e.left, prec)} {sym} {f(e.right, prec + 1)}", prec
    if isinstance(e, ir.IfExpr):
        return f"{f(e.then, P_OR)} if {f(e.cond, P_OR)} else {f(e.orelse, P_IF)}", P_IF
    if isinstance(e, ir.SetLit):
        if not e.elems:
            return "set()", P_ATOM
        return "{" + ", ".join(f(x) for x in e.elems) + "}", P_ATOM
    if isinstance(e, ir.RangeSet):
        return f"{f(e.lo, P_BOR)}..{f(e.hi, P_BOR)}", P_RANGE
    if isinstance(e, ir.SetComp):
        fors = " ".join(f"for {_pattern(b.name)} in {f(b.domain, P_OR)}" for b in e.binders)
        cond = f" if {f(e.cond, P_OR)}" if e.cond is not None else ""
        return "{" + f"{f(e.elem)} {fors}{cond}" + "}", P_ATOM
    if isinstance(e, ir.MapLit):
        if not e.entries:
            return "{}", P_ATOM
        return "{" + ", ".join(f"{f(k)}: {f(v)}" for k, v in e.entries) + "}", P_ATOM
    if isinstance(e, ir.MapComp):
        b = e.binder
        cond = f" if {f(e.cond, P_OR)}" if e.cond is not None else ""
        return "{" + f"{b.name}: {f(e.value)} for {b.name} in {f(b.domain, P_OR)}{cond}" + "}", P_ATOM
    if isinstance(e, ir.Index) and isinstance(e.base, ir.BoundRef) and "__" in e.base.name \
            and isinstance(e.key, ir.Lit):  # a name of a tuple pattern
        return e.base.name.split("__")[e.key.value], P_ATOM
    if isinstance(e, ir.Index):
        return f"{f(e.base, P_ATOM)}[{f(e.key)}]", P_ATOM
    if isinstance(e, ir.Field):
        return f"{f(e.base, P_ATOM)}.{e.name}", P_ATOM
    if isinstance(e, ir.RecordLit):
        return "record(" + ", ".join(f"{n}={f(v)}" for n, v in e.fields) + ")", P_ATOM
    if isinstance(e, ir.RecordSet):
        return "records(" + ", ".join(f"{n}={f(v)}" for n, v in e.fields) + ")", P_ATOM
    if isinstance(e, ir.RecordUpdate):
        return f"replace({f(e.base)}, " + ", ".join(f"{n}={f(v)}" for n, v in e.updates) + ")", P_ATOM
    if isinstance(e, ir.SeqLit):
        return "[" + ", ".join(f(x) for x in e.elems) + "]", P_ATOM
    if isinstance(e, ir.TupleLit):
        if len(e.elems) == 1:
            return f"({f(e.elems[0])},)", P_ATOM
        return "(" + ", ".join(f(x) for x in e.elems) + ")", P_ATOM
    if isinstance(e, ir.Quant):
        return f"{e.kind} {_binders(e.binders)}: {f(e.body)}", P_QUANT
    if isinstance(e, ir.Choose):
        return f"choose {_binders([e.binder])}: {f(e.cond)}", P_QUANT
    if isinstance(e, ir.Builtin) and e.name == "slice":
        s, lo, hi = e.args
        lo_text = "" if isinstance(lo, ir.Lit) and lo.value == 0 and not isinstance(lo.value, bool) else f(lo)
        hi_text = "" if isinstance(hi, ir.Builtin) and hi.name == "len" and hi.args[0] == s else f(hi)
        return f"{f(s, P_ATOM)}[{lo_text}:{hi_text}]", P_ATOM
    if isinstance(e, ir.Builtin) and e.name == "elems":  # a sequence where a set is iterated
        return _fmt(e.args[0])
    if isinstance(e, ir.Builtin):
        return f"{e.name}(" + ", ".join(f(a) for a in e.args) + ")", P_ATOM
    if isinstance(e, ir.SeqComp):
        b = e.binder
        cond = f" if {f(e.cond, P_OR)}" if e.cond is not None else ""
        return f"[{f(e.elem)} for {b.name} in {f(b.domain, P_OR)}{cond}]", P_ATOM
    if isinstance(e, ir.VariantLit):
        name = f"{e.type.name}.{e.tag}"
        return (name + "(" + ", ".join(f"{n}={f(v)}" for n, v in e.fields) + ")" if e.fields else name), P_ATOM
    if isinstance(e, ir.IsCase):
        vt = e.base.type.inner if isinstance(e.base.type, ir.OptionalType) else e.base.type
        return f"isinstance({f(e.base)}, {vt.name}.{e.tag})", P_ATOM
    if isinstance(e, ir.Next):
        return f"next({f(e.operand)})", P_ATOM
    if isinstance(e, ir.FairFormula):
        word = "weak_fair" if e.kind == "weak" else "strong_fair"
        body = " or ".join(_part_text(p, p.process in e.actions) for p in e.parts) if e.parts else "next"
        return f"{word}({body})", P_ATOM
    if isinstance(e, ir.Temporal):
        if e.op == "leads_to":
            return f"{f(e.args[0], P_IMPLIES)} leads_to {f(e.args[1], P_IMPLIES)}", P_IF - 1
        return f"{e.op} {f(e.args[0], P_IF - 1)}", P_IF - 1
    raise TypeError(f"cannot print {type(e).__name__}")


# ---------------------------------------------------------------- statements


def _block(stmts: tuple[ir.Stmt, ...], indent: str) -> list[str]:
    if not stmts:
        return [indent + "pass"]
    return _lines(stmts, indent)


def _lines(stmts: tuple[ir.Stmt, ...], indent: str) -> list[str]:
    """Statements one after the other; the statements a macro call put in
    the block (``Stmt.macro``) print as the call, once."""
    out: list[str] = []
    i = 0
    while i < len(stmts):
        call = stmts[i].macro
        if call is None:
            out.extend(_stmt(stmts[i], indent))
            i += 1
            continue
        start = i
        i += 1
        while i < len(stmts) and stmts[i].macro == ir.MacroCall(call.name, call.args, i - start):
            i += 1
        out.append(f"{indent}{call.name}(" + ", ".join(format_expr(a) for a in call.args) + ")")
    return out


def _target(s: ir.Assign) -> str:
    text = s.root.name
    for p in s.path:
        if isinstance(p, ir.Index):
            text += f"[{format_expr(p.key)}]"
        else:
            text += f".{p.name}"
    return text


def _stmt(s: ir.Stmt, indent: str) -> list[str]:
    inner = indent + "    "
    if isinstance(s, ir.Assign):
        return [f"{indent}{_target(s)} = {format_expr(s.value)}"]
    if isinstance(s, ir.Await):
        return [f"{indent}await {format_expr(s.cond)}"]
    if isinstance(s, ir.Assert):
        return [f"{indent}assert {format_expr(s.cond)}" + (f", {_str(s.message)}" if s.message else "")]
    if isinstance(s, ir.Skip):
        return [f"{indent}pass"]
    if isinstance(s, ir.Let):
        # the let's body is the rest of its block: same indentation
        return [f"{indent}let {s.name} = {format_expr(s.value)}"] + _lines(s.body, indent)
    if isinstance(s, ir.Goto):
        return [f"{indent}goto {s.target.label}"]
    if isinstance(s, ir.If):
        out = []
        for i, (c, body) in enumerate(s.branches):
            out.append(f"{indent}{'if' if i == 0 else 'elif'} {format_expr(c)}:")
            out.extend(_block(body, inner))
        if s.orelse:
            out.append(f"{indent}else:")
            out.extend(_block(s.orelse, inner))
        return out
    if isinstance(s, ir.Either):
        out = []
        for i, body in enumerate(s.branches):
            out.append(f"{indent}{'either' if i == 0 else 'or'}:")
            out.extend(_block(body, inner))
        return out
    if isinstance(s, ir.AnyStmt):
        binders = [s.binder]
        while s.cond is None and len(s.body) == 1 and isinstance(s.body[0], ir.AnyStmt) \
                and s.body[0].span == s.span:  # `any a in A, b in B:` (one statement, nested)
            s = s.body[0]
            binders.append(s.binder)
        cond = f" if {format_expr(s.cond, ir_P_OR())}" if s.cond is not None else ""
        heads = ", ".join(f"{_pattern(b.name)} in {format_expr(b.domain, ir_P_OR())}" for b in binders)
        out = [f"{indent}any {heads}{cond}:"]
        out.extend(_block(s.body, inner))
        return out
    raise TypeError(f"cannot print {type(s).__name__}")


def ir_P_OR() -> int:
    return P_OR


# ---------------------------------------------------------------- processes


def _action(p: ir.Process) -> list[str]:
    fair = {"weak": "fair ", "strong": "strong fair ", "unfair": "unfair ", None: ""}[p.fairness]
    if p.fairness and p.fair_by is not None:
        fair = f"{fair[:-1]}({', '.join(p.fair_by)}) "
    head = f"{fair}action {p.name}"
    if p.params:
        binders = p.index_set.binders if len(p.params) > 1 else (ir.Binder(p.params[0], p.index_set),)
        head += "(" + ", ".join(f"{b.name} in {format_expr(b.domain, P_OR)}" for b in binders) + ")"
    out = [head + ":"]
    if p.doc:
        out.append("    " + _str(p.doc))
    token = _ACTION_PARAMS.set(p.params)
    try:
        out.extend(_block(p.steps[0].body, "    ") or ["    pass"])
    finally:
        _ACTION_PARAMS.reset(token)
    return out


def _fair_part(part: ir.FairPart, procs: dict[str, ir.Process]) -> str:
    """``A``, ``A(e, _)``, ``w``, ``w[e]``, ``w.l``, ``w[_].l``."""
    return _part_text(part, procs[part.process].is_action)


def _part_text(part: ir.FairPart, is_action: bool) -> str:
    text = part.process
    if part.args is not None:
        args = ", ".join("_" if a is None else format_expr(a) for a in part.args)
        text += f"({args})" if is_action else f"[{args}]"
    if part.label is not None:
        text += f".{part.label}"
    return text


def _fairness_decl(d: ir.FairnessDecl, procs: dict[str, ir.Process]) -> list[str]:
    """``fair Name(p in S): A(p) or B(p, _)`` (``next`` without parts)."""
    word = "strong fair" if d.kind == "strong" else "fair"
    head = f"{word} {d.name}"
    if d.binders:
        head += "(" + ", ".join(f"{b.name} in {format_expr(b.domain, P_OR)}" for b in d.binders) + ")"
    body = " or ".join(_fair_part(p, procs) for p in d.parts) if d.parts else "next"
    if d.doc:
        return [f"{head}:", "    " + _str(d.doc), "    " + body]
    return [f"{head}: {body}"]


def _process(p: ir.Process) -> list[str]:
    if p.is_action:
        return _action(p)
    fair = {"weak": "fair ", "strong": "strong fair ", "unfair": "unfair ", None: ""}[p.fairness]
    head = f"{fair}process {p.name}"
    if p.index is not None:
        head += f"(self in {format_expr(p.index_set, P_OR)})"
    out = [head + ":"]
    if p.doc:
        out.append("    " + _str(p.doc))
    for lv in p.locals:
        op = "=" if lv.init_kind == "eq" else "in"
        out.append(f"    var {lv.name}: {format_type(lv.type)} {op} {format_expr(lv.init)}")
    # Rebuild while loops from backward fallthroughs: step i falling back to
    # step j <= i closes a loop over steps j..i.
    index = {s.label: i for i, s in enumerate(p.steps)}
    loops: list[tuple[int, int, ir.Expr | None]] = []
    for i, s in enumerate(p.steps):
        c = s.fallthrough
        if isinstance(c, ir.Jump) and c.label in index and index[c.label] <= i:
            loops.append((index[c.label], i, None))
        elif isinstance(c, ir.Loop):
            _collect_loops(c, i, index, loops)
    loops = sorted(set((j, i, id(c) if c is not None else None, c) for j, i, c in loops),
                   key=lambda x: (x[0], -x[1]))
    out.extend(_emit_steps(p.steps, 0, len(p.steps) - 1, [(j, i, c) for j, i, _, c in loops], "    "))
    return out


def _collect_loops(c: ir.Control, i: int, index, loops) -> None:
    if isinstance(c, ir.Loop):
        j = index[c.enter.label] if isinstance(c.enter, ir.Jump) else None
        if j is not None and j <= i:
            loops.append((j, i, c.cond))
        _collect_loops(c.exit, i, index, loops)


def _emit_steps(steps, lo: int, hi: int, loops, indent: str) -> list[str]:
    out: list[str] = []
    k = lo
    while k <= hi:
        outer = [lp for lp in loops if lp[0] == k and lp[1] <= hi]
        head = steps[k]
        if head.loop_cond is not None:
            # ``l: while c:``: the statements of step l's then-branch (its
            # last goto aside), then the steps that fall back to l
            last = max((lp[1] for lp in outer), default=k)
            fair = {"weak": "fair ", "strong": "strong fair ", "unfair": "unfair ", None: ""}[head.fairness]
            out.append(f"{indent}{fair}{head.label}: while {format_expr(head.loop_cond)}:")
            then = head.body[0].branches[0][1]
            lead = then[:-1] if then and isinstance(then[-1], ir.Goto) else then
            if lead or last == k:
                out.extend(_block(lead, indent + "    "))
            rest = [lp for lp in loops if not (lp[0] == k and lp[1] <= last)]
            out.extend(_emit_steps(steps, k + 1, last, rest, indent + "    "))
            k = last + 1
            continue
        if outer:
            chosen = max(outer, key=lambda lp: lp[1])
            j, i, cond = chosen
            out.append(f"{indent}while {format_expr(cond) if cond is not None else 'True'}:")
            rest = [lp for lp in loops if lp is not chosen]
            out.extend(_emit_steps(steps, j, i, rest, indent + "    "))
            k = i + 1
            continue
        s = steps[k]
        fair = {"weak": "fair ", "strong": "strong fair ", "unfair": "unfair ", None: ""}[s.fairness]
        out.append(f"{indent}{fair}{s.label}:")
        out.extend(_block(s.body, indent + "    "))
        k += 1
    return out


# ---------------------------------------------------------------- the spec


def _lets(e: ir.Expr) -> tuple[list[tuple[str, ir.Expr]], ir.Expr]:
    """The ``let`` lines heading a def's or a property's expression, and the rest."""
    out = []
    while isinstance(e, ir.LetIn):
        out.append((e.name, e.value))
        e = e.body
    return out, e


_PROPERTY_WORD = {"invariant": "invariant", "action": "action invariant", "temporal": "temporal"}


def _def_lines(d: ir.Def) -> list[str]:
    params = ", ".join(f"{p.name}: {format_type(p.type)}" for p in d.params)
    lets, body = _lets(d.body)
    if not lets:
        return [f"def {d.name}({params}) -> {format_type(d.result)}: {format_expr(d.body)}"]
    return ([f"def {d.name}({params}) -> {format_type(d.result)}:"]
            + [f"    let {n} = {format_expr(v)}" for n, v in lets] + [f"    return {format_expr(body)}"])


def _has_variant(t) -> bool:
    if isinstance(t, ir.VariantType):
        return True
    if isinstance(t, (ir.SetType, ir.SeqType, ir.OptionalType)):
        return _has_variant(t.elem if not isinstance(t, ir.OptionalType) else t.inner)
    if isinstance(t, ir.MapType):
        return _has_variant(t.key) or _has_variant(t.value)
    if isinstance(t, (ir.RecordType, ir.TupleType)):
        parts = [ft for _, ft in t.fields] if isinstance(t, ir.RecordType) else list(t.elems)
        return any(_has_variant(x) for x in parts)
    return False


def format_spec(spec: ir.Spec) -> str:
    token = _SINGLETONS.set(frozenset(p.name for p in spec.processes if p.index is None))
    try:
        return _format_spec(spec)
    finally:
        _SINGLETONS.reset(token)


def _instance_lines(spec: ir.Spec) -> list[str]:
    """``import tcommit as TC`` for the specs the refinements refine (the
    file next to the spec's, or on the search path)."""
    from pathlib import Path

    seen: dict[str, str] = {}
    for pr in spec.properties:
        if pr.refinement is not None:
            seen.setdefault(pr.refinement.alias, Path(pr.refinement.abstract.path).stem)
    return [f"import {stem} as {alias}" for alias, stem in seen.items()] + ([""] if seen else [])


def _refinement_lines(pr: ir.Property) -> list[str]:
    """``refinement Name: Alias`` and every mapping, explicitly."""
    ref = pr.refinement
    out = [f"refinement {pr.name}: {ref.alias}"]
    if pr.doc:
        out.append("    " + _str(pr.doc))
    out.extend(f"    {n} = {format_expr(e)}" for n, e in ref.variables + ref.constants)
    return out


def _format_spec(spec: ir.Spec) -> str:
    out = [f"spec {spec.name}"]
    if spec.doc:
        out.append(_str(spec.doc))
    out.append("")
    out.extend(_instance_lines(spec))
    for s in spec.sorts:
        out.append(f"sort {s.name}")
    for en in spec.enums:
        out.append(f"enum {en.name}: {', '.join(en.values)}")
    # A variant's field types may use constants (0..MAX) and a constant may
    # be of a variant type: the constants that use no variant come first.
    def const_line(c: ir.Const) -> str:
        default = f" = {format_expr(c.default)}" if c.default is not None else ""
        return f"const {c.name}: {format_type(c.type)}{default}"

    def uses_variant(c: ir.Const) -> bool:
        return _has_variant(c.type) or any(isinstance(e, ir.VariantLit) or _has_variant(e.type)
                                           for e in iter_exprs(c.default) if c.default is not None)

    out.extend(const_line(c) for c in spec.consts if not uses_variant(c))
    for vt in spec.variants:
        out.append(f"variant {vt.name}:")
        for tag, fields in vt.cases:
            args = ", ".join(f"{n}: {format_type(t)}" for n, t in fields)
            out.append(f"    {tag}({args})" if fields else f"    {tag}")
    out.extend(const_line(c) for c in spec.consts if uses_variant(c))
    for v in spec.vars:
        op = "=" if v.init_kind == "eq" else "in"
        out.append(f"var {v.name}: {format_type(v.type)} {op} {format_expr(v.init)}")
    for d in spec.defs:
        out.extend(_def_lines(d))
    for m in spec.macros:
        out.append("")
        out.append(f"macro {m.name}(" + ", ".join(f"{p.name}: {format_type(p.type)}" for p in m.params) + "):")
        out.extend(("    " + line) if line else "" for line in m.body.split("\n"))
    for p in spec.processes:
        out.append("")
        out.extend(_process(p))
    procs = {p.name: p for p in spec.processes}
    for d in spec.fairness:
        out.append("")
        out.extend(_fairness_decl(d, procs))
    out.append("")
    named = [(_PROPERTY_WORD.get(pr.kind, pr.kind), pr.name, pr.doc, pr.expr) for pr in spec.properties] + \
        [("assume", a.name, a.doc, a.expr) for a in spec.assumptions]
    for word, name, doc, expr in named:
        if word == "refinement":
            out.extend(_refinement_lines(spec.prop(name)))
            continue
        lets, body = _lets(expr)
        if doc or lets:
            out.append(f"{word} {name}:")
            if doc:
                out.append("    " + _str(doc))
            out.extend(f"    let {n} = {format_expr(v)}" for n, v in lets)
            out.append("    " + format_expr(body))
        else:
            out.append(f"{word} {name}: {format_expr(expr)}")
    for m in spec.models:
        out.append("")
        out.append(f"model {m.name}:")
        if m.doc:
            out.append("    " + _str(m.doc))
        for n, v in m.constants:
            out.append(f"    {n} = {format_expr(v)}")
        if m.symmetry:
            out.append("    symmetry: " + ", ".join(m.symmetry))
        if m.constraint is not None:
            out.append(f"    constraint: {format_expr(m.constraint)}")
        for d in m.defs:
            out.extend("    " + line for line in _def_lines(d))
        for c in m.checks:
            out.append(f"    check {c.property}: {c.expected}")
        out.append(f"    deadlock: {m.deadlock}")
    return "\n".join(out) + "\n"
