"""The canonical layout of pyspec source (``pyspec fmt``).

The formatter works on the text of one file, token by token, like gofmt: it
never joins or splits lines of code (the line numbers of a spec stay those
its diagnostics, traces and generated files cite) and normalises what is
inside lines and between them:

- **Blocks** are indented 4 spaces per level.
- **Continuation lines** of a multi-line expression (inside brackets, after
  a ``\\``, bullets, after a trailing ``and``/``or``/..., quantifier bodies)
  keep their place relative to the lines above: a line lined up with a
  token above (the first item after a bracket, the operand after a keyword,
  a layout word such as ``and``) still lines up with it when that token
  moves; otherwise it keeps its offset from the nearest such token to its
  left (a tab of a tab-indented continuation counts as a level).
- **Inside a line**: one space around binary operators, ``=``, ``->`` and
  after ``,`` and ``:``; none inside brackets, around ``.``, ``..`` and the
  ``:`` of a slice, before ``,``/``:``, after a unary ``-``/``~``, around the
  ``=`` of a keyword argument, nor before the ``(``/``[`` of a call, an index
  or a generic type.
- **Comments** keep their text.  A full-line comment is indented like the
  code it sits in; an inline comment keeps its column (so that columns of
  comments stay aligned) when the code leaves it two spaces, else it moves
  right, together with the comments aligned with it on the lines around.
- **Strings and docstrings** are never altered.
- Trailing white space goes, tabs become spaces, at most one blank line in
  a row, none at the start, and the file ends with exactly one newline.

Safety: the result must parse to the same syntax tree (tokens and structure;
positions aside), hold the same tokens and comments, and load to an IR equal
to the original's; otherwise :class:`FormatError` is raised and nothing is
to be written.  A file that does not parse is refused the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostics, Span
from .parser import parse

__all__ = ["FormatError", "format_source"]

TAB = 8  # the width of a tab, as the parser counts it (parser.SpecIndenter.tab_len)
INDENT = 4

_TOKEN = re.compile(r'''
    (?P<STRING>"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*")
  | (?P<COMMENT>\#[^\n]*)
  | (?P<CONT>\\[\t \f]*\n)
  | (?P<NL>\n)
  | (?P<WS>[\t \f]+)
  | (?P<INT>0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<OP>\*\*|//|==|!=|<=|>=|<<|>>|->|\.\.|[-+*%<>=|^&~()\[\]{},:.])
  | (?P<OTHER>.)
''', re.VERBOSE)

_OPEN, _CLOSE = "([{", ")]}"
#: binary operators: one space on each side (``..`` and ``.`` have none)
_BINARY = frozenset({"+", "-", "*", "//", "%", "**", "==", "!=", "<=", ">=", "<", ">", "<<", ">>",
                     "|", "^", "&", "=", "->"})
#: words after which an expression starts (so a '-' after them is unary and a
#: '(' after them is a bracket, not a call)
_EXPR_WORDS = frozenset({"and", "or", "not", "in", "if", "elif", "else", "while", "await", "return",
                         "match", "implies", "leads_to", "always", "eventually"})
#: words that end a line and continue the expression on the next one
_TRAILING = frozenset({"and", "or", "implies", "leads_to"})
_QUANTIFIERS = frozenset({"forall", "exists", "choose"})
#: words a bound name (or a tuple pattern) follows
_BINDING_WORDS = _QUANTIFIERS | {"for", "any"}
#: a continuation line lines up with a token that follows one of these ...
_BEFORE_ANCHOR = frozenset({"(", "[", "{", "=", ":", ",", "->", "for"}) | _EXPR_WORDS | _QUANTIFIERS
#: ... or with one of these words (the operators the layout rules compare)
_ANCHOR_WORDS = frozenset({"and", "or", "implies", "leads_to", "if", "else", "always", "eventually", "not",
                           "for"}) | _QUANTIFIERS


class FormatError(Exception):
    """A file fmt refuses to format (it does not parse, or formatting would
    change it): its diagnostics, ``file:line:col: error: ...``."""

    def __init__(self, diagnostics: Diagnostics):
        self.diagnostics = diagnostics
        first = diagnostics.errors[0] if diagnostics.errors else None
        super().__init__(f"{first.span}: error: {first.message}" if first else "cannot format")

    def render(self) -> str:
        return self.diagnostics.render()


@dataclass
class _Tok:
    kind: str  # NAME INT STRING OP COMMENT CONT OTHER
    text: str
    col: int  # visual column (tabs expanded) on its first line
    new: int = 0  # its column in the output
    anchor: bool = False  # a continuation line may line up with it
    unary: bool = False  # a unary '-' or '~'
    kwarg: bool = False  # the '=' of a keyword argument
    slice: bool = False  # the ':' of a slice
    gap: int = 0  # (a comment) the white space before it in the input


@dataclass
class _Line:
    number: int  # 1-based, in the input
    head: str | None  # the end of a string begun on an earlier line (verbatim), else None
    indent: int  # visual width of the leading white space (when head is None)
    lead: str = ""  # the leading white space
    toks: list[_Tok] = field(default_factory=list)  # code tokens (and a trailing CONT)
    comment: _Tok | None = None
    tail_string: bool = False  # the line ends inside a string (its last token goes on)
    # filled by the layout
    kind: str = ""  # "blank" | "comment" | "stmt" | "cont" | "string" (wholly inside a string)
    new_indent: int = 0
    code: str = ""  # the output line without its comment


def format_source(text: str, path: str) -> str:
    """The canonical layout of ``text`` (the source of the spec file ``path``).

    Raises :class:`FormatError` when the file does not parse or (a bug of the
    formatter) when the result would not mean exactly what ``text`` means.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    diags = Diagnostics()
    diags.sources[path] = text
    tree = parse(text, path, diags)
    if tree is None:
        raise FormatError(diags)
    out = _layout(text)
    if out != text:
        _check_same_meaning(text, out, path, tree)
    return out


# ------------------------------------------------------------------ safety

def _check_same_meaning(text: str, out: str, path: str, tree) -> None:
    def refuse(why: str) -> None:
        a, b = text.split("\n"), out.split("\n")
        line = next((i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        diags = Diagnostics()
        diags.sources[path] = text
        diags.error(f"cannot format this file: {why} (this is a bug of pyspec fmt; the file is left "
                    f"as it is)", Span(path, line, 1))
        raise FormatError(diags)

    if _significant(text) != _significant(out):
        refuse("the canonical layout would change its tokens or comments")
    diags = Diagnostics()
    again = parse(out, path, diags)
    if again is None:
        refuse("the canonical layout does not parse: " + (diags.errors[0].message if diags.errors else "?"))
    if again != tree:
        refuse("the canonical layout would change the meaning of a multi-line expression")
    from . import load_with_diagnostics  # the checker: only when the text changes

    before, _ = load_with_diagnostics(path, text=text)
    if before is not None:
        after, _ = load_with_diagnostics(path, text=out)
        if after != before:
            refuse("the canonical layout would load to a different IR")


def _significant(text: str) -> list[str]:
    """The tokens and comments of a text, without white space."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("WS", "NL"):
            continue
        out.append(m.group().rstrip() if kind in ("COMMENT", "CONT") else m.group())
    return out


# ------------------------------------------------------------------ lines

def _width(s: str, start: int = 0) -> int:
    """The visual width of ``s`` written from column ``start``."""
    if "\t" not in s:
        return len(s)
    return len((" " * start + s).expandtabs(TAB)) - start


def _lines(text: str) -> list[_Line]:
    """Split ``text`` into lines of tokens with their visual columns."""
    lines: list[_Line] = []
    line = _Line(1, None, 0)
    col = 0
    at_start = True  # no token yet on this line: white space is its indentation
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "WS":
            if at_start and line.head is None:
                line.indent, line.lead = _width(tok), tok
            col += _width(tok, col)
            continue
        at_start = False
        if kind in ("NL", "CONT"):
            if kind == "CONT":
                line.toks.append(_Tok(kind, "\\", col))
            lines.append(line)
            line, col, at_start = _Line(line.number + 1, None, 0), 0, True
            continue
        if kind == "COMMENT":
            line.comment = _Tok(kind, tok.rstrip(), col)
            end = (line.toks[-1].col + _width(line.toks[-1].text, line.toks[-1].col) if line.toks
                   else _width(line.head) if line.head is not None else 0)
            line.comment.gap = col - end
            col += _width(tok, col)
            continue
        if kind == "STRING" and "\n" in tok:
            parts = tok.split("\n")
            line.toks.append(_Tok(kind, parts[0], col))
            line.tail_string = True
            lines.append(line)
            number = line.number
            for part in parts[1:-1]:  # the lines the string covers
                number += 1
                inner = _Line(number, part, 0, kind="string")
                lines.append(inner)
            line = _Line(number + 1, parts[-1], 0)  # and the one it ends on
            col = _width(parts[-1])
            continue
        line.toks.append(_Tok(kind, tok, col))
        col += _width(tok, col)
    lines.append(line)
    return lines


# ------------------------------------------------------------------ spacing

def _gap(prev: _Tok, tok: _Tok) -> str:
    """The white space between two tokens of a line (``unary`` and ``kwarg``
    already set on both)."""
    p, t = prev.text, tok.text
    if p in _OPEN or t in _CLOSE or t in (",", ":") or prev.slice:
        return ""
    if p in (",", ":") or t == "\\":
        return " "
    if p in (".", "..") or t in (".", "..") or prev.unary:
        return ""
    if t == "=" or p == "=":
        return "" if (tok if t == "=" else prev).kwarg else " "
    if t in ("(", "["):  # a call, an index, a generic type: no space after a name
        # (a tuple pattern after a binding word is a bracket: `forall (p, q) in S`)
        name_like = (prev.kind in ("NAME", "STRING") and p not in _EXPR_WORDS and p not in _BINDING_WORDS) \
            or p in _CLOSE
        return "" if name_like else " "
    return " "


def _mark(tok: _Tok, prev: _Tok | None, before: _Tok | None, bracket: str) -> None:
    """Set what the spacing of ``tok`` depends on: a unary '-' or '~' (after
    an operator, a bracket or a keyword), the '=' of a keyword argument
    (``f(name=value)``; ``name: type = value`` has spaces)."""
    t = tok.text
    if t in ("-", "~"):
        tok.unary = (prev is None or (prev.kind == "OP" and prev.text not in _CLOSE)
                     or (prev.kind == "NAME" and prev.text in _EXPR_WORDS))
    elif t == "=":
        tok.kwarg = (bracket == "(" and prev is not None and prev.kind == "NAME"
                     and before is not None and before.text in ("(", ","))


# ------------------------------------------------------------------ layout

def _layout(text: str) -> str:
    lines = _lines(text)
    _classify_and_indent(lines)
    _place_comments(lines)
    out: list[str] = []
    blank = True  # no blank line at the start
    for line in lines:
        if line.kind == "string":
            out.append(line.head)
            blank = False
            continue
        if line.kind == "blank":
            if not blank:
                out.append("")
            blank = True
            continue
        out.append(line.code.rstrip() if not line.tail_string else line.code)
        blank = False
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _classify_and_indent(lines: list[_Line]) -> None:
    """Decide each line's kind and indentation and lay out its code."""
    stack: list[tuple[int, int]] = [(0, 0)]  # (input indentation, output indentation) of open blocks
    brackets: list[str] = []  # the brackets open at this point
    inner_quants: list[int] = []  # for each, the quantifiers in it whose ':' is still to come
    statement: list[_Line] = []  # the lines of the current statement (anchors for continuations)
    pending_comments: list[_Line] = []
    prev: _Tok | None = None  # the last code token of the statement
    before_prev: _Tok | None = None  # the one before
    prev_line_kind = None  # what ended the last code line: "cont" (\), "trailing", "quant", "colon", "docstring"
    quants = 0  # quantifiers (outside brackets) whose ':' is still to come
    stmt_start_indent = (0, 0)

    for line in lines:
        if line.kind == "string":
            continue
        if line.head is None and not line.toks:
            if line.comment is None:
                line.kind = "blank"
            else:
                line.kind = "comment"
                pending_comments.append(line)
            continue
        if line.head is not None:
            kind = "cont"  # it goes on after a string
        elif brackets or prev_line_kind in ("cont", "trailing", "quant"):
            kind = "cont"
        elif line.indent and prev is not None and prev_line_kind not in ("colon", "docstring") and _bullet(line):
            kind = "cont"
        else:
            kind = "stmt"
        line.kind = kind
        if kind == "stmt":
            # the comments before it, then the line itself
            before = list(stack)
            w = line.indent
            if w > stack[-1][0]:
                stack.append((w, stack[-1][1] + INDENT))
            else:
                while len(stack) > 1 and stack[-1][0] > w:
                    stack.pop()
            line.new_indent = stack[-1][1]
            for c in pending_comments:
                c.new_indent = _comment_indent(c.indent, line, before)
            pending_comments = []
            statement = [line]
            stmt_start_indent = (line.indent, line.new_indent)
            prev = before_prev = None
            quants = 0
        else:
            line.new_indent = (_anchor(line.indent, statement, stmt_start_indent, line.lead)
                               if line.head is None else 0)
            for c in pending_comments:
                c.new_indent = _anchor(c.indent, statement, stmt_start_indent, c.lead)
            pending_comments = []
            statement.append(line)
        # the code of the line
        if line.head is not None:
            parts, col = [line.head], _width(line.head)
        else:
            parts, col = [" " * line.new_indent], line.new_indent
        # a line that only ends a string leaves what ended the line before as it was
        last_kind = prev_line_kind if line.head is not None else None
        previous = None  # the token before on this line
        for tok in line.toks:
            _mark(tok, prev, before_prev, brackets[-1] if brackets else "")
            gap = _gap(prev, tok) if previous is not None or (line.head is not None and prev) else ""
            tok.anchor = ((previous is None and line.head is None)
                          or (previous is not None and previous.text in _BEFORE_ANCHOR)
                          or tok.text in _ANCHOR_WORDS)
            previous = tok
            parts.append(gap)
            col += len(gap)
            tok.new = col
            parts.append(tok.text)
            col += _width(tok.text, col)
            if tok.kind == "CONT":
                last_kind = "cont"
                continue
            t = tok.text
            if tok.kind == "OP":
                if t in _OPEN:
                    brackets.append(t)
                    inner_quants.append(0)
                elif t in _CLOSE and brackets:
                    brackets.pop()
                    inner_quants.pop()
            if tok.kind == "NAME" and t in _QUANTIFIERS:
                if brackets:
                    inner_quants[-1] += 1
                else:
                    quants += 1
            if t == ":" and brackets:
                if inner_quants[-1]:
                    inner_quants[-1] -= 1
                elif brackets[-1] == "[":
                    tok.slice = True  # x[a:b]
            elif t == ":":
                if quants:
                    quants -= 1
                    last_kind = "quant"
                else:
                    last_kind = "colon"
            elif not brackets and tok.kind == "NAME" and t in _TRAILING:
                last_kind = "trailing"
            elif tok.kind == "STRING" and tok is line.toks[0] and line.head is None:
                last_kind = "docstring"
            else:
                last_kind = None
            before_prev, prev = prev, tok
        line.code = "".join(parts)
        prev_line_kind = last_kind
    for c in pending_comments:  # comments at the end of the file
        c.new_indent = _comment_indent(c.indent, None, stack)


def _bullet(line: _Line) -> bool:
    """The line starts with 'and', 'or', 'implies' or 'leads_to' (not the
    'or:' of an either): it continues the expression above (as the parser's
    _BULLET_LINE, when the line is indented and follows an expression)."""
    toks = line.toks
    return toks[0].kind == "NAME" and toks[0].text in _TRAILING and not (len(toks) > 1 and toks[1].text == ":")


def _comment_indent(w: int, following: _Line | None, stack: list[tuple[int, int]]) -> int:
    """The indentation of a full-line comment between statements: that of the
    statement after it when it is indented alike, else that of the open block
    it lines up with, else its offset from the nearest block to its left."""
    if following is not None and w == following.indent:
        return following.new_indent
    best = stack[0]
    for orig, new in stack:
        if orig == w:
            return new
        if orig <= w:
            best = (orig, new)
    return best[1] + (w - best[0])


def _anchor(w: int, statement: list[_Line], start: tuple[int, int], lead: str | None = None) -> int:
    """The indentation of a continuation line (or comment) indented ``w`` in
    the input: its offset from the nearest anchor to its left on the lines
    above (of its statement), so that a line lined up with an anchor stays
    lined up with it.  Anchors are the tokens that start a line, an operand
    (after a bracket, a separator or a keyword) or a layout word."""
    if lead and "\t" in lead:
        for line in reversed(statement):  # indented by tabs from a line above: a tab is a level
            extra = lead[len(line.lead):] if line.head is None and lead.startswith(line.lead) else ""
            if extra and extra == "\t" * len(extra):
                return line.new_indent + INDENT * len(extra)
    best: _Tok | None = None
    for line in reversed(statement):
        for tok in line.toks:
            if tok.anchor and tok.col <= w and (best is None or tok.col > best.col):
                best = tok
    if best is None:
        return max(0, w + start[1] - start[0])
    return best.new + (w - best.col)


def _place_comments(lines: list[_Line]) -> None:
    """Inline comments: each keeps its column (moved with its line's
    indentation) when the code leaves it two spaces; a comment that must move
    right takes the comments aligned with it on adjacent lines along."""
    for line in lines:
        if line.kind == "comment":
            line.code = " " * line.new_indent + line.comment.text
    group: list[_Line] = []

    def flush() -> None:
        if not group:
            return
        col = max(max(_want(x), _width(x.code) + 2) for x in group)
        for x in group:
            x.code = x.code + " " * (col - _width(x.code)) + x.comment.text
        group.clear()

    for line in lines:
        inline = line.comment is not None and line.kind in ("stmt", "cont")
        if not inline:
            flush()
            continue
        if group and line.number == group[-1].number + 1 and line.comment.col == group[-1].comment.col:
            group.append(line)
        else:
            flush()
            group.append(line)
    flush()


def _want(line: _Line) -> int:
    """The column an inline comment keeps: its own, moved as its line's start
    (none when it was not two spaces clear of the code: it was not placed)."""
    if line.comment.gap < 2:
        return 0
    shift = line.new_indent - line.indent if line.head is None else 0
    return line.comment.col + shift
