"""What the language server knows about one spec file: its diagnostics and
its declarations, and the answers to the editor's questions (hover, go to
definition, document symbols, completion), in plain Python types so that
they are tested without an LSP client (pyspec/editor/lsp.py only converts).

Positions here count lines and columns from 1, as spans do; the server
converts to LSP's 0-based positions.  Declarations come from the checked IR
(``extends`` and ``import`` merged in), so a name's definition may be in
another file; a file with errors keeps its last good IR for navigation.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Span
from ..ir import nodes as ir
from ..language import load_with_diagnostics

_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass
class Decl:
    """A declared name: what it is, where, and what hover shows."""

    name: str
    kind: str  # sort enum variant const var def procedure process action step local property model check
    span: Span
    detail: str  # one line of pyspec, shown as code
    doc: str = ""
    children: list[Decl] = field(default_factory=list)


@dataclass
class Location:
    file: str
    line: int
    col: int
    end_line: int
    end_col: int


def _norm(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _fairness(f: str | None) -> str:
    return {"weak": "fair ", "strong": "strong fair ", "unfair": "unfair "}.get(f or "", "")


class SpecIndex:
    """The declarations of a checked spec, by name and by file."""

    def __init__(self, spec: ir.Spec, sources: dict[str, str]):
        from ..printer import _fairness_decl, format_expr, format_type

        self.spec = spec
        self.sources = sources  # path -> text, for docstrings of decls the IR keeps none of
        self.globals: dict[str, Decl] = {}
        # a sort that shares its name with a constant (const RM: set[RM]):
        # the name in a type is the sort (these), elsewhere the constant (globals)
        self.sort_decls: dict[str, Decl] = {}
        self.processes: dict[str, Decl] = {}
        self.sorts = {s.name for s in spec.sorts}
        self.enums = {e.name: e.values for e in spec.enums}
        self.variants = {v.name: [c for c, _ in v.cases] for v in spec.variants}
        bindings: dict[str, list[str]] = {}
        for m in spec.models:
            for name, e in m.constants:
                bindings.setdefault(name, []).append(f"model {m.name}: {name} = {format_expr(e)}")

        def add(d: Decl) -> Decl:
            self.globals.setdefault(d.name, d)
            return d

        for s in spec.sorts:
            add(Decl(s.name, "sort", s.span, f"sort {s.name}", "an uninterpreted sort: its values are model "
                                                                 f"values such as {s.name}.a"))
        for e in spec.enums:
            add(Decl(e.name, "enum", e.span, f"enum {e.name}: {', '.join(e.values)}"))
        for v in spec.variants:
            span = self._find_decl(("variant",), v.name)
            if span is not None:
                cases = " | ".join(c + ("(" + ", ".join(f"{f}: {format_type(t)}" for f, t in fs) + ")" if fs else "")
                                   for c, fs in v.cases)
                add(Decl(v.name, "variant", span, f"variant {v.name}: {cases}"))
        for c in spec.consts:
            detail = f"const {c.name}: {format_type(c.type)}" + (f" = {format_expr(c.default)}" if c.default else "")
            const = Decl(c.name, "const", c.span, detail, "\n".join(bindings.get(c.name, [])))
            if c.name in self.sorts and self.globals.get(c.name, const).kind == "sort":
                self.sort_decls[c.name] = self.globals.pop(c.name)
                const.doc = "\n\n".join(x for x in (f"the set of model values of sort {c.name} (in a "
                                                      f"type, {c.name} is the sort)", const.doc) if x)
            add(const)
        for v in spec.vars:
            op = "=" if v.init_kind == "eq" else "in"
            add(Decl(v.name, "var", v.span, f"var {v.name}: {format_type(v.type)} {op} {format_expr(v.init)}"))
        for d in spec.defs:
            params = ", ".join(f"{p.name}: {format_type(p.type)}" for p in d.params)
            add(Decl(d.name, "def", d.span, f"def {d.name}({params}) -> {format_type(d.result)}",
                     self._docstring(d.span)))
        for p in spec.processes:
            if p.is_action:
                fair = _fairness(p.fairness)
                if fair and p.fair_by is not None:
                    fair = f"{fair[:-1]}({', '.join(p.fair_by)}) "
                head = f"{fair}action {p.name}"
                if p.params:
                    head += f"({', '.join(p.params)})"
                kind = "action"
            else:
                head = f"{_fairness(p.fairness)}process {p.name}"
                if p.index:
                    head += f"({p.index} in {format_expr(p.index_set)})" if p.index_set is not None else ""
                kind = "process"
            decl = add(Decl(p.name, kind, p.span, head, p.doc))
            for v in p.locals:
                op = "=" if v.init_kind == "eq" else "in"
                decl.children.append(Decl(v.name, "local", v.span,
                                          f"var {p.name}.{v.name}: {format_type(v.type)} {op} {format_expr(v.init)}"))
            if not p.is_action:
                for s in p.steps:
                    decl.children.append(Decl(s.label, "step", s.span,
                                              f"{_fairness(s.fairness)}step {p.name}.{s.label}"))
            self.processes[p.name] = decl
        # procedures live in the IR as the steps of the processes that run
        # them: their declarations are read from the source
        header = re.compile(r"^\s*procedure\s+([A-Za-z_]\w*)\s*(\(.*\))?\s*:")
        for path in spec.files:
            for n, line in enumerate(self._lines(path), 1):
                m = header.match(line)
                if m:
                    span = Span(path, n, m.start(1) + 1, n, m.end(1) + 1)
                    add(Decl(m.group(1), "procedure", span, f"procedure {m.group(1)}{m.group(2) or '()'}",
                             self._docstring(span)))
        for prop in spec.properties:
            what = format_expr(prop.expr) if prop.refinement is None else \
                f"{prop.refinement.alias} ({prop.refinement.abstract.name}, {prop.refinement.abstract.path})"
            add(Decl(prop.name, "property", prop.span, f"{prop.kind} {prop.name}: {what}", prop.doc))
        for a in spec.assumptions:
            add(Decl(a.name, "property", a.span, f"assume {a.name}: {format_expr(a.expr)}", a.doc))
        procs = {p.name: p for p in spec.processes}
        for f in spec.fairness:
            one_line = _fairness_decl(dataclasses.replace(f, doc=""), procs)[0]
            add(Decl(f.name, "property", f.span, one_line, f.doc))
        for m in spec.models:
            values = ", ".join(f"{n} = {format_expr(e)}" for n, e in m.constants)
            doc = "\n\n".join(x for x in (m.doc, f"constants: {values}" if values else "") if x)
            decl = add(Decl(m.name, "model", m.span, f"model {m.name}", doc))
            for c in m.checks:
                decl.children.append(Decl(c.property, "check", c.span, f"check {c.property}: {c.expected}"))

    # ------------------------------------------------------------ helpers

    def _lines(self, path: str) -> list[str]:
        text = self.sources.get(_norm(path))
        if text is None:
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                text = ""
            self.sources[_norm(path)] = text
        return text.splitlines()

    def _docstring(self, span: Span) -> str:
        """The docstring on the lines after a declaration (defs keep none in
        the IR)."""
        lines = self._lines(span.file)
        i = span.line  # the line after the declaration's first line (0-based index)
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].strip().startswith('"""'):
            return ""
        first = lines[i].strip()[3:]
        if '"""' in first:
            return first[: first.index('"""')].strip()
        out = [first]
        for line in lines[i + 1:]:
            if '"""' in line:
                out.append(line[: line.index('"""')])
                break
            out.append(line)
        return "\n".join(x.strip() for x in out).strip()

    def _find_decl(self, keywords: tuple[str, ...], name: str) -> Span | None:
        pattern = re.compile(rf"^\s*(?:{'|'.join(keywords)})\s+({re.escape(name)})\b")
        for path in self.spec.files:
            for n, line in enumerate(self._lines(path), 1):
                m = pattern.match(line)
                if m:
                    return Span(path, n, m.start(1) + 1, n, m.end(1) + 1)
        return None

    def enclosing_process(self, path: str, line: int) -> Decl | None:
        """The process (or action) whose body holds ``line`` of ``path``."""
        here = _norm(path)
        tops = sorted(d.span.line for d in [*self.globals.values(), *self.sort_decls.values()]
                      if _norm(d.span.file) == here)
        best = None
        for d in self.processes.values():
            if _norm(d.span.file) != here or d.span.line > line:
                continue
            later = [t for t in tops if t > d.span.line]
            if not later or line < later[0]:
                best = d
        return best


@dataclass
class Analysis:
    """One version of a document: its diagnostics, and an index (the last
    good one when this version has errors)."""

    path: str
    diagnostics: list[Diagnostic]
    index: SpecIndex | None
    text: str
    _tree: object = field(default=None, repr=False, compare=False)  # the syntax tree, parsed when needed

    # ------------------------------------------------------------ queries

    def word_at(self, line: int, col: int) -> tuple[str, str | None] | None:
        """The name under the cursor and the name before a dot (``Client.c1``
        gives ``("c1", "Client")``)."""
        lines = self.text.splitlines()
        if not 1 <= line <= len(lines):
            return None
        text = lines[line - 1]
        for m in _WORD.finditer(text):
            if m.start() <= col - 1 <= m.end():
                qualifier = None
                if m.start() > 0 and text[m.start() - 1] == ".":
                    qm = re.search(r"([A-Za-z_][A-Za-z_0-9]*)$", text[: m.start() - 1])
                    qualifier = qm.group(1) if qm else None
                return m.group(0), qualifier
        return None

    def _in_type(self, line: int, col: int) -> bool:
        """Is the name at (line, col) a type (``set[RM]``, ``r: RM``, ``sort RM``)?  The
        file's syntax tree says so (a name that names a sort and a constant
        is the sort there); False when the text does not parse."""
        if self._tree is None:
            from ..diagnostics import Diagnostics
            from ..language.parser import parse

            self._tree = parse(self.text, self.path, Diagnostics()) or False
        if self._tree is False:
            return False
        for t in self._tree.find_pred(lambda t: t.data in ("named_type", "sort_decl")):
            tok = t.children[0]
            if tok.line == line and tok.column <= col <= tok.end_column:
                return True
        return False

    def _qualifies(self, line: int, col: int) -> bool:
        """Is the name at (line, col) followed by ``.name`` (``RM`` in ``RM.r1``)?"""
        text = self.text.splitlines()[line - 1]
        for m in _WORD.finditer(text):
            if m.start() <= col - 1 <= m.end():
                return re.match(r"\s*\.\s*[A-Za-z_]", text[m.end():]) is not None
        return False

    def resolve(self, line: int, col: int) -> tuple[Decl | None, str | None]:
        """The declaration the name at (line, col) refers to, or a short
        description for names that have none (model values, enum values,
        variant cases)."""
        if self.index is None:
            return None, None
        found = self.word_at(line, col)
        if found is None:
            return None, None
        word, qualifier = found
        ix = self.index
        if qualifier is not None:
            if qualifier in ix.sorts:
                return None, f"model value {qualifier}.{word} (sort {qualifier})"
            if qualifier in ix.enums and word in ix.enums[qualifier]:
                return ix.globals.get(qualifier), f"enum value {qualifier}.{word}"
            if qualifier in ix.variants and word in ix.variants[qualifier]:
                return ix.globals.get(qualifier), f"case {word} of variant {qualifier}"
            proc = ix.processes.get(qualifier)
            if proc is not None:
                for c in proc.children:
                    if c.name == word:
                        return c, None
            return None, None
        proc = ix.enclosing_process(self.path, line)
        if proc is not None:
            for c in proc.children:
                if c.name == word:
                    return c, None
        if word in ix.sort_decls and (self._in_type(line, col) or self._qualifies(line, col)):
            return ix.sort_decls[word], None
        if word in ix.globals:
            return ix.globals[word], None
        for p in ix.processes.values():  # a local or label named from a property (proc.pc == "label")
            for c in p.children:
                if c.name == word and c.kind == "local":
                    return c, None
        return None, None

    def hover(self, line: int, col: int) -> str | None:
        """Markdown: the declaration as code, its docstring, where it is."""
        decl, note = self.resolve(line, col)
        if decl is None and note is None:
            return None
        parts = []
        if note is not None:
            parts.append(f"```pyspec\n{note}\n```")
        if decl is not None:
            parts.append(f"```pyspec\n{decl.detail}\n```")
            if decl.doc:
                parts.append(decl.doc)
            if _norm(decl.span.file) != _norm(self.path):
                parts.append(f"defined in `{os.path.relpath(decl.span.file)}:{decl.span.line}`")
        return "\n\n".join(parts)

    def definition(self, line: int, col: int) -> Location | None:
        decl, _ = self.resolve(line, col)
        if decl is None:
            return None
        s = decl.span
        return Location(s.file, s.line, s.col, s.end_line or s.line, s.end_col or s.col)

    def symbols(self) -> list[Decl]:
        """The declarations of this file (not those it extends), in order."""
        if self.index is None:
            return []
        here = _norm(self.path)
        decls = [*self.index.globals.values(), *self.index.sort_decls.values()]
        return sorted((d for d in decls if _norm(d.span.file) == here),
                      key=lambda d: (d.span.line, d.span.col))

    def completions(self, line: int, col: int) -> list[tuple[str, str, str]]:
        """(label, kind, detail) of what may be written at the cursor."""
        from ..language.parser import keywords
        from ..language.scope import BUILTINS, KEYWORDS

        lines = self.text.splitlines()
        before = lines[line - 1][: col - 1] if 1 <= line <= len(lines) else ""
        ix = self.index
        if ix is None:
            return [(k, "keyword", "") for k in sorted(keywords() | KEYWORDS)]
        proc = ix.enclosing_process(self.path, line)
        if re.search(r"\bcall\s+\w*$", before):
            return [(d.name, d.kind, d.detail) for d in ix.globals.values() if d.kind == "procedure"]
        if re.search(r"\bgoto\s+\w*$", before):
            return [(c.name, "step", c.detail) for c in (proc.children if proc else []) if c.kind == "step"]
        dotted = re.search(r"([A-Za-z_][A-Za-z_0-9]*)\.\w*$", before)
        if dotted:
            q = dotted.group(1)
            if q in ix.enums:
                return [(v, "enum value", f"{q}.{v}") for v in ix.enums[q]]
            if q in ix.variants:
                return [(c, "variant case", f"{q}.{c}") for c in ix.variants[q]]
            if q in ix.processes:
                return [(c.name, c.kind, c.detail) for c in ix.processes[q].children]
            return []
        out = [(d.name, d.kind, d.detail) for d in ix.globals.values()]
        out += [(d.name, d.kind, d.detail) for d in ix.sort_decls.values()]
        if proc is not None:
            out += [(c.name, c.kind, c.detail) for c in proc.children]
        out += [(b, "builtin", f"{b}(...)") for b in sorted(BUILTINS)]
        out += [(k, "keyword", "") for k in sorted(keywords() | KEYWORDS)]
        return out


def analyse(path: str, text: str, previous: Analysis | None = None) -> Analysis:
    """Load ``text`` as the file ``path`` (the files it extends or imports
    are read from disk) and index it; never raises on bad input."""
    spec, diags = load_with_diagnostics(path, text)
    items = diags.sorted()
    if spec is not None:
        index = SpecIndex(spec, {_norm(path): text})
    else:
        index = previous.index if previous is not None else None
    return Analysis(path, items, index, text)
