"""Source text -> lark syntax tree, with syntax errors as located diagnostics.

The grammar lives in ``grammar.lark``; blocks are handled by lark's Indenter
post-lexer.  The parser is LALR (fast enough to lint thousands of lines per
second) and is built once per process.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter

from ..diagnostics import Diagnostics, Span
from ..ir.temporal import SUPPORTED

GRAMMAR = Path(__file__).with_name("grammar.lark")

#: deeper bracket nesting than this is refused before parsing, so that no
#: later recursive stage can overflow the interpreter's stack.
MAX_NESTING = 120


#: Binary operators whose line may continue on the next one (ending a line, or
#: starting an indented line: a "bullet"), and how tightly each binds
#: (grammar.lark, loosest first).  ``if`` of a conditional expression only
#: takes part in the checks that layout and precedence agree.
_STRENGTH = {"LEADS_TO": 1, "IMPLIES": 2, "IF": 3, "OR": 4, "AND": 5}
_TRAILING = frozenset({"LEADS_TO", "IMPLIES", "OR", "AND"})
_QUANTIFIERS = frozenset({"FORALL", "EXISTS", "CHOOSE"})
#: Prefix words whose operand runs to the end of the expression.
_RUNS_TO_END = frozenset({"ALWAYS", "EVENTUALLY", "ELSE"})
_LAYOUT = frozenset(_STRENGTH) | _QUANTIFIERS | _RUNS_TO_END | {"COLON", "LET"}
#: A line that starts with one of these words continues the expression above
#: (``or:`` is the clause of an ``either``, not a bullet).
_BULLET_LINE = re.compile(r"(?:and|or|implies|leads_to)(?![A-Za-z0-9_])(?![\t ]*:)")
_INLINE, _BULLET, _LEADING = 0, 1, 2  # how an operator sits on its line


class _Layout:
    """One expression laid out over lines: a statement (a declaration, a step
    statement or a block header) or the body of a quantifier whose ':' ends a line."""

    __slots__ = ("floor", "bullet_floor", "line", "quant", "ops", "bullet")

    def __init__(self, floor: int, line: int, quant=None):
        self.floor = floor  # the indentation of its first line
        self.bullet_floor = floor  # the least indentation of a bullet that continues it
        self.line = line  # its first line
        self.quant = quant  # the quantifier token whose body this is; None for a statement
        self.ops: list = []  # (strength, token, _INLINE/_BULLET/_LEADING) at its top level
        self.bullet = None  # (strength, token) of the operator starting the current line


class SpecIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]
    CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    #: the source being parsed (set by :func:`parse`): the layout rules look
    #: at the start of the next line and at the columns of operators.
    text = ""

    def process(self, stream):
        self.paren_level = 0
        self.indent_level = [0]
        self.indent_char = ""
        self.open_brackets = []  # the tokens of the brackets still open
        self.prev = self.last = None  # the last two tokens, for error messages
        self.frames = [_Layout(0, 1)]  # the statement, then the open quantifier bodies
        self.pending = []  # quantifiers (outside brackets) whose ':' is still to come
        self.open_quant = None  # (':', quantifier) when the last token is a quantifier's ':'
        self.line_start = 0  # where the current line's first token starts
        self.line_kind = _LEADING  # _LEADING: a statement or body starts there; _BULLET: it continues one
        return self._process(stream)

    def _process(self, stream):
        # lark's Indenter._process, which also refuses absurd nesting and
        # stray closing brackets (lark would assert on the latter), lays out
        # multi-line expressions and remembers what syntax errors need to
        # explain themselves.  (The hot loop of the parser: keep it lean.)
        opened = self.open_brackets
        open_types, close_types, nl_type = self.OPEN_PAREN_types, self.CLOSE_PAREN_types, self.NL_type
        token = None
        for token in stream:
            t = token.type
            if t == nl_type:
                if opened:
                    continue  # inside brackets a line break is only white space
                yield from self._newline(token)
                continue
            if self.open_quant is not None:  # the body follows the ':' on its line
                self._inline_operator(self.open_quant[1], 0)
                self.open_quant = None
            if t in open_types:
                opened.append(token)
                if len(opened) > MAX_NESTING:
                    raise NestingError(token)
                self.paren_level = len(opened)
            elif t in close_types:
                if not opened:
                    raise UnbalancedClose(token)
                opened.pop()
                self.paren_level = len(opened)
            elif t in _LAYOUT and not opened:
                self._layout_token(token, t)
            self.prev, self.last = self.last, token
            yield token
        if len(self.frames) > 1:  # the text always ends with a line break: only after a lexer oddity
            yield from self._close_bodies(0, token)
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            yield (lark.Token.new_borrow_pos(self.DEDENT_type, "", token) if token
                   else lark.Token(self.DEDENT_type, "", 0, 0, 0, 0, 0, 0))

    # ---------------------------------------------------------------- line breaks

    def _newline(self, nl):
        """A line break outside brackets: the expression goes on (nothing is
        yielded, or _QBEGIN/_QEND), or the statement ends (lark's indenter)."""
        text = self.text
        tail = nl.rsplit("\n", 1)[1]
        self._check_indent_chars(nl, tail)
        depth = _width(tail)
        pos = nl.end_pos
        at_end = pos >= len(text)
        last = self.last
        frames = self.frames
        top = frames[-1]
        if self.open_quant is not None:  # a quantifier's ':' ends the line: its body follows
            colon, quant = self.open_quant
            self.open_quant = None
            if at_end or depth <= self._indent_of(quant):
                where = _Where(colon) if at_end else _Where.next_line(nl)
                raise LayoutError(f"the body of the '{quant}' on line {quant.line} must be indented deeper "
                                  f"than that line (or follow its ':' on the same line)", where)
            frames.append(_Layout(depth, nl.end_line, quant))
            self.line_start, self.line_kind = pos, _LEADING
            yield _virtual("_QBEGIN", colon)
            return
        if last is not None and last.type in _TRAILING:  # 'and' ends the line: the next one goes on
            if top.quant is None:
                if not at_end and depth > top.floor:
                    top.bullet = None
                    self.line_start, self.line_kind = pos, _INLINE
                    return
                need = f"deeper than line {top.line}, where the statement starts"
            else:
                if not at_end and depth >= top.floor:
                    top.bullet = None
                    self.line_start, self.line_kind = pos, _INLINE
                    return
                need = (f"at least as deep as the body of the '{top.quant}' on line {top.quant.line} "
                        f"(column {top.floor + 1})")
            raise LayoutError(f"'{last}' at the end of a line continues the expression on the next line, "
                              f"which must be indented {need}", _Where(last))
        if (depth and last is not None and last.type not in ("COLON", "_NL") and not at_end
                and not (last.type == "STRING" and last.start_pos == self.line_start)  # a docstring
                and _BULLET_LINE.match(text, pos)):  # a bullet: 'and ...' continues an expression
            inner = len(frames) - 1
            while inner and depth < frames[inner].floor:
                body = frames[inner]
                if depth > self._indent_of(body.quant):
                    raise self._between(body, nl)
                inner -= 1
            if depth >= frames[inner].bullet_floor:
                yield from self._close_bodies(inner, last)
                frames[inner].bullet = None
                self.line_start, self.line_kind = pos, _BULLET
                return
        # the statement ends here
        if len(frames) > 1:
            for body in reversed(frames[1:]):
                if depth > self._indent_of(body.quant):
                    if depth < body.floor:
                        raise self._between(body, nl)
                    raise LayoutError(
                        f"this line is inside the body of the '{body.quant}' on line {body.quant.line} "
                        f"(it is indented deeper than that line) but does not continue it: a body goes on "
                        f"with lines that start with 'and', 'or' or 'implies', or after a line that ends "
                        f"with one", _Where.next_line(nl))
            yield from self._close_bodies(0, last)
        self.frames = [_Layout(depth, nl.end_line)]
        self.pending.clear()
        self.line_start, self.line_kind = pos, _LEADING
        self.prev, self.last = self.last, nl
        try:
            yield from super().handle_NL(nl)
        except DedentError:
            raise BadDedent(nl) from None

    def _close_bodies(self, keep: int, last):
        """_QEND for each quantifier body above the first ``keep + 1`` frames."""
        while len(self.frames) > keep + 1:
            self.frames.pop()
            yield _virtual("_QEND", last)

    def _between(self, body: _Layout, nl) -> LayoutError:
        quant = body.quant
        return LayoutError(
            f"ambiguous indentation: this line is less indented than the body of the '{quant}' on line "
            f"{quant.line} (column {body.floor + 1}, line {body.line}) but deeper than the line of the "
            f"'{quant}'; indent it to column {body.floor + 1} to continue the body, or at most to column "
            f"{self._indent_of(quant) + 1} to continue the expression around the '{quant}'",
            _Where.next_line(nl))

    def _check_indent_chars(self, token, indent: str) -> None:
        if indent:
            if (" " in indent and "\t" in indent) or (self.indent_char and self.indent_char not in indent):
                raise MixedIndent(token)
            self.indent_char = self.indent_char or indent[0]

    # ---------------------------------------------------------------- operators

    def _layout_token(self, token, t: str) -> None:
        """Bookkeeping of a token that matters to the layout, outside brackets."""
        if t in _QUANTIFIERS:
            self.pending.append(token)
            return
        if t == "COLON":
            if self.pending:
                self.open_quant = (token, self.pending.pop())
            return
        if self.pending:
            return  # inside the binders of a quantifier
        first = token.start_pos == self.line_start
        if t == "LET":
            if first and self.line_kind == _LEADING:
                # a bullet in the column of a 'let' starts the expression after it
                # (a TLA+ leading bullet); one continuing the let's value is deeper
                self.frames[-1].bullet_floor += 1
            return
        if t in _RUNS_TO_END:
            if not (t == "ELSE" and first and self.line_kind == _LEADING):  # not the statement 'else:'
                self._inline_operator(token, 0)
            return
        strength = _STRENGTH[t]
        frame = self.frames[-1]
        if not first:
            bullet = frame.bullet
            if bullet is not None and strength < bullet[0]:
                raise LayoutError(
                    f"ambiguous layout: '{token}' binds looser than the '{bullet[1]}' that starts this line, "
                    f"so it applies to the whole expression above, not only to this line; write the rest "
                    f"of the line in parentheses: {bullet[1]} (...)", _Where(token))
            frame.ops.append((strength, token, _INLINE))
            return
        if t == "IF":
            return  # the statement 'if'
        if self.line_kind == _BULLET:
            self._check_bullet(frame, token, strength)
        frame.ops.append((strength, token, self.line_kind))
        frame.bullet = (strength, token)

    def _inline_operator(self, token, strength: int) -> None:
        frame = self.frames[-1]
        frame.ops.append((strength, token, _INLINE))
        frame.bullet = None  # what follows on the line is its operand

    def _check_bullet(self, frame: _Layout, token, strength: int) -> None:
        """Refuse a bullet whose indentation says something else than the
        precedence of the operators: the layout must not mislead."""
        col = self._column(token)
        word = str(token)
        # what runs to the end of the expression first: it is the bigger surprise
        for other_strength, other, how in sorted(frame.ops, key=lambda op: op[0] != 0):
            other_word = str(other)
            other_col = self._column(other)
            if other_strength == 0 or strength > other_strength or word == other_word == "implies":
                # the bullet continues only what follows `other`
                if col > other_col:
                    continue
                if other_strength == 0:
                    what = {"else": "the 'else' branch", "always": "the operand of 'always'",
                            "eventually": "the operand of 'eventually'"}.get(other_word,
                                                                              f"the body of the '{other_word}'")
                    fix = ("write the quantifier in parentheses or put its body on the lines below its ':'"
                           if other.type in _QUANTIFIERS else f"write the '{other_word}' part in parentheses")
                    msg = (f"ambiguous layout: this '{word}' continues {what} on line {other.line}, which runs "
                           f"to the end of the expression; to show that, indent it deeper than the "
                           f"'{other_word}' (column {other_col + 1}); to end it before this line, {fix}")
                else:
                    why = ("'implies' groups to the right" if word == other_word
                           else f"'{word}' binds tighter than '{other_word}'")
                    msg = (f"ambiguous layout: {why}, so this line continues only what follows the "
                           f"'{other_word}' on line {other.line}, not the whole expression above; to show "
                           f"that, indent it deeper than that '{other_word}' (column {other_col + 1}), or use "
                           f"parentheses")
                raise LayoutError(msg, _Where(token))
            if how == _INLINE or word == other_word:
                continue
            # the bullet applies to the whole expression above, `other` included
            if how == _LEADING and col == other_col:
                raise LayoutError(
                    f"ambiguous layout: the list at this indentation starts with '{other_word}' on line "
                    f"{other.line}; an '{word}' here joins the whole list instead of adding an item to it: "
                    f"use parentheses", _Where(token))
            if col > other_col:
                raise LayoutError(
                    f"ambiguous layout: '{word}' binds looser than '{other_word}', so it applies to the whole "
                    f"expression above, yet it is indented deeper than the '{other_word}' on line "
                    f"{other.line}; indent it at most to column {other_col + 1}, or use parentheses",
                    _Where(token))

    # ---------------------------------------------------------------- columns

    def _column(self, token) -> int:
        """The (0-based) column of a token, tabs expanded."""
        start = self.text.rfind("\n", 0, token.start_pos) + 1
        return _width(self.text[start:token.start_pos])

    def _indent_of(self, token) -> int:
        """The indentation of the line holding a token."""
        text = self.text
        start = text.rfind("\n", 0, token.start_pos) + 1
        end = start
        while end < token.start_pos and text[end] in " \t":
            end += 1
        return _width(text[start:end])


def _width(prefix: str) -> int:
    return len(prefix.expandtabs(SpecIndenter.tab_len)) if "\t" in prefix else len(prefix)


def _virtual(kind: str, after) -> lark.Token:
    """A layout token placed right after ``after`` (so the nodes it closes end
    where their last real token ends)."""
    return lark.Token(kind, "", after.end_pos, after.end_line, after.end_column,
                      after.end_line, after.end_column, after.end_pos)


class _Where:
    """Where a layout error points: a token, or the first token of the line
    after a line break."""

    def __init__(self, token):
        self.line, self.column = token.line, token.column
        self.end_column = token.end_column if token.end_line == token.line else token.column + 1

    @classmethod
    def next_line(cls, nl) -> _Where:
        where = cls.__new__(cls)
        where.line, where.column = nl.end_line, nl.end_column
        where.end_column = nl.end_column + 1
        return where


class LayoutError(Exception):
    """An expression laid out over lines in a way that is ambiguous."""

    def __init__(self, message: str, where: _Where):
        super().__init__(message)
        self.message, self.where = message, where


class BadDedent(Exception):
    def __init__(self, token):
        self.token = token


class MixedIndent(Exception):
    def __init__(self, token):
        self.token = token


class NestingError(Exception):
    def __init__(self, token):
        self.token = token


class UnbalancedClose(Exception):
    def __init__(self, token):
        self.token = token


def _cache_file() -> str | bool:
    """Where lark may keep the built parser (a pickle): a per-user cache
    directory, never a shared temporary one; False when none is writable."""
    import hashlib

    from ..cache import ensure_cache_dir, own_file

    folder = ensure_cache_dir()
    if folder is None:
        return False
    digest = hashlib.sha256(GRAMMAR.read_bytes() + lark.__version__.encode()).hexdigest()[:16]
    path = folder / f"grammar-{digest}.lark-cache"
    return str(path) if own_file(path) else False  # lark unpickles it: only our own


@functools.cache
def _parser() -> lark.Lark:
    options = dict(parser="lalr", postlex=SpecIndenter(), propagate_positions=True, maybe_placeholders=True)
    cache = _cache_file()
    if cache:
        try:
            return lark.Lark(GRAMMAR.read_text(encoding="utf-8"), cache=cache, **options)
        except Exception:  # noqa: BLE001 - a damaged cache must never stop a lint
            import os

            try:
                os.unlink(cache)
            except OSError:
                pass
    return lark.Lark(GRAMMAR.read_text(encoding="utf-8"), **options)


def _describe_terminal(name: str) -> str:
    words = {
        "NAME": "a name",
        "INT": "a number",
        "STRING": "a string",
        "_NL": "end of line",
        "_INDENT": "an indented block",
        "_DEDENT": "end of the block",
        "_QBEGIN": "a quantifier body on the lines below",
        "_QEND": "end of line",
        "$END": "end of file",
    }
    if name in words:
        return words[name]
    try:
        term = _parser().get_terminal(name)
        return f"'{term.pattern.value}'"
    except (KeyError, AttributeError):
        return name.lower()


def _describe_token(token: lark.Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type == "_NL":
        return "end of line"
    if token.type == "_INDENT":
        return "unexpected indentation"
    if token.type == "_DEDENT":
        return "end of the block"
    if token.type in ("_QEND", "_QBEGIN"):
        return "end of line"
    text = str(token)
    if len(text) > 30:
        text = text[:27] + "..."
    if token.type == "NAME":
        return f"name '{text}'"
    if token.type == "INT":
        return f"number {text}"
    if token.type == "STRING":
        return f"string {text}"
    return f"'{text}'"


#: Terminals that can start an expression, and those that can continue one:
#: an expected-token list containing most of them is summarised in a word.
_EXPR_START = {"NAME", "INT", "STRING", "LPAR", "LSQB", "LBRACE", "MINUS", "TILDE", "TRUE", "FALSE",
               "NONE", "NOT", "FORALL", "EXISTS", "CHOOSE", "ALWAYS", "EVENTUALLY"}
_OPERATORS = {"PLUS", "MINUS", "STAR", "PERCENT", "AMPERSAND", "VBAR", "CIRCUMFLEX", "LESSTHAN",
              "MORETHAN", "AND", "OR", "NOT", "IN", "IF", "IMPLIES", "LEADS_TO", "DOT", "LPAR", "LSQB"}
_STATEMENT = {"AWAIT", "ASSERT", "GOTO", "PASS", "IF", "EITHER", "ANY", "NAME", "CALL", "RETURN"}
_DECLARATION = {"ACTION", "ASSUME", "CONST", "DEF", "ENUM", "EXTENDS", "FAIR", "IMPORT", "INVARIANT", "MODEL",
                "OVERRIDE", "PROCESS", "PROCEDURE", "SORT", "STRONG", "TEMPORAL", "MACRO", "TYPE", "UNFAIR", "VAR", "VARIANT",
                "REFINEMENT"}


#: Words of the grammar that are also ordinary names (record fields, ...).
_SOFT_KEYWORDS = {"type", "record", "model", "action", "check", "spec", "sort", "enum", "import"}


@functools.cache
def keywords() -> frozenset[str]:
    """The words of the grammar ('process', 'await', ...)."""
    return frozenset(t.pattern.value for t in _parser().terminals
                     if t.pattern.type == "str" and t.pattern.value.isidentifier())


def _expected_words(expected) -> str:
    names = {n for n in expected if not n.startswith("__ANON")}
    anon = {n for n in expected if n.startswith("__ANON")}
    summary = []
    if {"NAME", "INT", "LPAR"} <= names:
        names -= _EXPR_START
        summary.append("an expression")
    if len(names & _OPERATORS) + len(anon) >= 5:
        names -= _OPERATORS
        anon = {n for n in anon if _describe_terminal(n) == "'->'"}
        summary.append("an operator")
    if {"AWAIT", "GOTO", "PASS"} <= names:
        names -= _STATEMENT
        summary.append("a statement")
    if len(names & _DECLARATION) >= 5:
        names -= _DECLARATION | {"$END"}
        summary.append("a declaration such as const, var, def, process, invariant or model")
    names |= anon
    if "_QEND" in names:  # the end of a quantifier body laid out on lines is an end of line
        names = (names - {"_QEND"}) | {"_NL"}
    ends = {"_NL", "_DEDENT", "$END"}
    words = summary + sorted({_describe_terminal(n) for n in names - ends}) \
        + [_describe_terminal(n) for n in ("_NL", "_DEDENT", "$END") if n in names]
    if not words:
        return ""
    if len(words) > 8:
        return " (expected " + ", ".join(words[:8]) + ", ...)"
    return " (expected " + ", ".join(words) + ")"


def _token_span(path: str, token) -> Span:
    line = getattr(token, "line", None) or 1
    col = getattr(token, "column", None) or 1
    end_col = getattr(token, "end_column", None) or col + 1
    return Span(path, line, col, line, end_col if getattr(token, "end_line", line) == line else col + 1)


def parse(text: str, path: str, diags: Diagnostics) -> lark.Tree | None:
    """Parse ``text``; on a syntax error record a diagnostic and return None."""
    if not text.endswith("\n"):
        text += "\n"
    parser = _parser()
    parser.options.postlex.text = text
    try:
        return parser.parse(text)
    except LayoutError as e:
        w = e.where
        diags.error(e.message, Span(path, w.line, w.column, w.line, w.end_column))
    except UnexpectedToken as e:
        msg, span = _unexpected_token(e, text, path)
        diags.error(msg, span)
    except UnexpectedCharacters as e:
        pos = e.pos_in_stream
        ch = text[pos] if pos is not None and 0 <= pos < len(text) else ""
        line, col = e.line, e.column
        if ch == '"' and text[max(0, pos - 2):pos + 1] == '"""':
            msg, col = "unterminated string (a docstring opened with \"\"\" is never closed)", col - 2
        elif ch == '"':
            msg = "unterminated string"
        elif ch == "'":
            msg = "strings use double quotes"
        elif ch == "!" and text[pos + 1:pos + 2] != "=":
            msg = "'!' is written 'not' in pyspec"
        elif ch == "&" and text[pos + 1:pos + 2] == "&":
            msg = "'&&' is written 'and' in pyspec"
        elif ch.isprintable():
            msg = f"unexpected character '{ch}'"
        else:
            msg = f"unexpected character U+{ord(ch):04X}" if ch else "unexpected character"
        diags.error(msg, Span(path, line, col, line, col + 1))
    except UnexpectedEOF as e:
        diags.error("unexpected end of file" + _expected_words(e.expected),
                    _eof_or_line_span(path, text, e))
    except BadDedent as e:
        line = e.token.end_line or e.token.line
        col = (e.token.end_column or 1)
        diags.error("unindent does not match any outer indentation level", Span(path, line, col, line, col + 1))
    except MixedIndent as e:
        line = e.token.end_line or e.token.line
        col = e.token.end_column or 1
        diags.error("inconsistent use of tabs and spaces in indentation", Span(path, line, 1, line, col))
    except NestingError as e:
        diags.error(f"expression nested too deeply (more than {MAX_NESTING} brackets)",
                    _token_span(path, e.token))
    except UnbalancedClose as e:
        diags.error(f"unmatched '{e.token}'", _token_span(path, e.token))
    except UnexpectedInput as e:  # any other lark input error
        diags.error("syntax error", Span(path, getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1))
    return None


def _unexpected_token(e: UnexpectedToken, text: str, path: str) -> tuple[str, Span]:
    """Explain a token the grammar does not accept here, in plain words."""
    tok = e.token
    state: SpecIndenter = _parser().options.postlex
    expected = set(e.expected or ())
    if e.interactive_parser is not None:
        try:
            expected = set(e.interactive_parser.accepts())
        except Exception:  # noqa: BLE001 - only a better word list is lost
            pass
    # the token before the offending one (among those that reached the parser)
    last = state.last
    if last is tok or (last is not None and last.type == tok.type and last.line == tok.line
                       and last.column == tok.column):
        prev = state.prev
    else:
        prev = last
    lines = text.split("\n")

    def first_col(line: int) -> int | None:
        """The column of the first token of a line (1 when it is not indented)."""
        if not 1 <= line <= len(lines):
            return None
        src = lines[line - 1]
        return len(src) - len(src.lstrip(" \t\f")) + 1
    if tok.type in ("$END", "_DEDENT"):
        span = _eof_or_line_span(path, text, e)
    elif tok.type in ("_INDENT", "_NL"):
        span = Span(path, tok.line or 1, tok.column or 1)
    else:
        span = _token_span(path, tok)
    kws = keywords()

    # an opening bracket never closed: the file (or the declaration) ends inside it
    if state.open_brackets:
        b = state.open_brackets[-1]
        line = getattr(tok, "line", None)
        if tok.type == "$END" or (line and line > b.line and first_col(line) == 1):
            return f"'{b}' was never closed", _token_span(path, b)
    if "SPEC" in expected and expected <= {"SPEC", "_NL"}:
        if tok.type == "$END":
            return "empty file: a spec file starts with 'spec Name'", Span(path, 1, 1)
        return "a spec file must start with 'spec Name'", span
    if tok.type == "SPEC":
        return "a file has only one 'spec' header", span
    if tok.type == "_INDENT":
        line, col = tok.end_line or tok.line, tok.end_column or 1
        return "unexpected indentation", Span(path, line, col, line, col + 1)
    if expected == {"_INDENT"}:
        return "expected an indented block", span
    old = _old_action_property(lines, getattr(tok, "line", None))
    if old is not None:
        line, col, name = old
        return (f"'action {name}:' declares an action (a step of statements, TLA+'s {name} == ...); "
                f"a property over steps is written 'action invariant {name}: ...'",
                Span(path, line, col, line, col + len("action")))
    # multi-line expressions (docs/language.md)
    if tok.type == "COLON" and "_QEND" in expected and len(state.frames) > 1:
        quant = state.frames[-1].quant
        return (f"the body of the '{quant}' on line {quant.line} is laid out on the lines below its ':' "
                f"and ends with them: it cannot be followed by ':' (in an if, while or any header, write "
                f"the quantifier in parentheses)"), span
    word = str(tok)
    if (word in ("and", "or", "implies", "leads_to") and tok.line and first_col(tok.line) == tok.column
            and not text[tok.end_pos:].lstrip(" \t").startswith(":")):  # not the 'or:' of an either
        if state.line_kind == _BULLET and state.line_start == tok.start_pos:
            return (f"a line that starts with '{word}' continues the expression of the line above, but "
                    f"that line does not end with an expression"), span
        return (f"a line that starts with '{word}' continues the expression of the line above; it must be "
                f"indented at least as deep as the line where that expression's statement starts (a line "
                f"at the left margin starts a declaration)"), span
    # habits from other languages
    nxt = text[tok.end_pos:tok.end_pos + 1] if tok.end_pos is not None else ""
    doubled = prev is not None and str(prev) == str(tok) and prev.end_pos == tok.start_pos
    if str(tok) in ("&", "|") and (doubled or nxt == str(tok)):
        first = prev if doubled else tok
        word = "and" if str(tok) == "&" else "or"
        return (f"'{tok}{tok}' is written '{word}' in pyspec",
                Span(path, first.line, first.column, first.line, first.column + 2))
    if tok.type == "EQUAL" and "EQUAL" not in expected and ("__ANON_0" in expected or "AND" in expected
                                                             or "OR" in expected or "_NL" in expected):
        return "unexpected '=': to compare, write '==' ('=' assigns, in a step)", span
    # (where a def's result may follow, 'await' is read as a name)
    awaited = tok if tok.type == "AWAIT" or str(tok) == "await" else \
        prev if prev is not None and str(prev) == "await" and prev.line == tok.line else None
    if awaited is not None:
        return ("'await' is a statement of a step; a def computes a value (write the condition as a "
                "bool def and await it in the step)"), _token_span(path, awaited)
    if tok.type == "_DEDENT" and "RETURN" in expected and state.prev is not None and state.prev.type == "STRING" \
            and _declaration_word(lines, state.prev.line) == "def":
        return ("a string alone on the first line of a def's block is its docstring: write the result "
                "after it, or 'return \"...\"'"), _token_span(path, state.prev)
    if expected <= {"_DEDENT", "_NL"} and "_DEDENT" in expected and _declaration_word(lines, tok.line) == "def":
        return ("a def's result is the last line of its block (after its docstring and 'let' lines): "
                "nothing may follow it"), span
    nested = tok if str(tok) in ("eventually", "always") else \
        prev if prev is not None and str(prev) in ("eventually", "always") and prev.line == tok.line else None
    if nested is not None:
        span = _token_span(path, nested)
        return f"unsupported temporal formula: '{nested}' nested here; supported forms are {SUPPORTED}", span
    line_start = prev is not None and prev.type == "NAME" and first_col(prev.line) == prev.column
    if line_start and expected == {"COLON"}:
        return ("expected a step label ('name:'): statements in a process go inside "
                "labelled steps"), _token_span(path, prev)
    if prev is not None and prev.type == "NAME" and str(prev) in kws and str(prev) not in _SOFT_KEYWORDS \
            and prev.line == tok.line:
        # a keyword where the grammar only accepts a name (else: without if, ...)
        return f"unexpected '{prev}'", _token_span(path, prev)
    if line_start:
        if tok.type == "COLON" and "EQUAL" in expected and "COLON" not in expected:
            return (f"step label '{prev}:' inside a step: labels start steps at the level of "
                    f"the process body"), _token_span(path, prev)
    if tok.type == "EQUAL" and prev is not None and prev.type == "EQUAL" and prev.end_pos == tok.start_pos:
        return ("unexpected '==' (assign with '=', or use 'await' to wait for a condition)",
                Span(path, prev.line, prev.column, prev.line, prev.column + 2))
    return f"unexpected {_describe_token(tok)}" + _expected_words(expected), span


_ACTION_HEADER = re.compile(r"(?:override\s+)?(?:(?:strong\s+)?fair\s+)?(action)\s+([A-Za-z_]\w*)\s*:")


def _old_action_property(lines: list[str], line: int | None) -> tuple[int, int, str] | None:
    """The header of the declaration holding ``line`` when it is ``action
    Name:`` whose body is an expression (the spelling of action properties
    before actions existed): its line, column and name; else None."""
    if not line:
        return None
    for n in range(min(line, len(lines)), 0, -1):
        src = lines[n - 1]
        if not src.strip() or src.lstrip().startswith("#") or src[0] in " \t\f":
            continue
        m = _ACTION_HEADER.match(src)
        if m is None:
            return None
        body = src[m.end():].strip() or (lines[n].strip() if n < len(lines) else "")
        if re.search(r"\bnext\(|==|!=|\bimplies\b|<=|>=", body):
            return n, m.start(1) + 1, m.group(2)
        return None
    return None


def _declaration_word(lines: list[str], line: int | None) -> str | None:
    """The first word of the declaration holding ``line`` ('def',
    'invariant', ...; 'override' skipped), or None."""
    for n in range(min(line or 0, len(lines)), 0, -1):
        src = lines[n - 1]
        if not src.strip() or src.lstrip().startswith("#") or src[0] in " \t\f":
            continue
        words = src.split()
        return words[1] if words[0] == "override" and len(words) > 1 else words[0]
    return None


def _eof_or_line_span(path: str, text: str, e) -> Span:
    tok = getattr(e, "token", None)
    line = getattr(tok, "line", None)
    if line:
        return Span(path, line, getattr(tok, "column", 1) or 1)
    n = max(1, text.rstrip("\n").count("\n") + 1)
    last = text.rstrip("\n").split("\n")[-1] if text.strip() else ""
    return Span(path, n, len(last) + 1)
