"""Source text -> lark syntax tree, with syntax errors as located diagnostics.

The grammar lives in ``grammar.lark``; blocks are handled by lark's Indenter
post-lexer.  The parser is LALR (fast enough to lint thousands of lines per
second) and is built once per process.
"""

from __future__ import annotations

import functools
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


class SpecIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB", "LBRACE"]
    CLOSE_PAREN_types = ["RPAR", "RSQB", "RBRACE"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def process(self, stream):
        self.paren_level = 0
        self.indent_level = [0]
        self.indent_char = ""
        self.open_brackets = []  # the tokens of the brackets still open
        self.prev = self.last = None  # the last two tokens, for error messages
        return self._process(stream)

    def _process(self, stream):
        # lark's Indenter._process, which also refuses absurd nesting and
        # stray closing brackets (lark would assert on the latter) and
        # remembers what syntax errors need to explain themselves.
        # (The hot loop of the parser: keep it lean.)
        opened = self.open_brackets
        open_types, close_types, nl_type = self.OPEN_PAREN_types, self.CLOSE_PAREN_types, self.NL_type
        token = None
        for token in stream:
            t = token.type
            if t == nl_type:
                self.prev, self.last = self.last, token
                yield from self.handle_NL(token)
                continue
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
            self.prev, self.last = self.last, token
            yield token
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            yield (lark.Token.new_borrow_pos(self.DEDENT_type, "", token) if token
                   else lark.Token(self.DEDENT_type, "", 0, 0, 0, 0, 0, 0))

    def handle_NL(self, token):
        if self.paren_level == 0:
            indent = token.rsplit("\n", 1)[1]
            if indent:
                if (" " in indent and "\t" in indent) or (self.indent_char and self.indent_char not in indent):
                    raise MixedIndent(token)
                self.indent_char = self.indent_char or indent[0]
        try:
            yield from super().handle_NL(token)
        except DedentError:
            raise BadDedent(token) from None


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
_STATEMENT = {"AWAIT", "GOTO", "PASS", "IF", "EITHER", "ANY", "NAME"}
_DECLARATION = {"ACTION", "CONST", "DEF", "ENUM", "EXTENDS", "FAIR", "IMPORT", "INVARIANT", "MODEL",
                "OVERRIDE", "PROCESS", "SORT", "STRONG", "TEMPORAL", "TYPE", "VAR"}


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
    try:
        return _parser().parse(text)
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
    if tok.type == "AWAIT" or str(tok) == "await":
        return ("'await' is a statement of a step; a def computes a value (write the condition as a "
                "bool def and await it in the step)"), span
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


def _eof_or_line_span(path: str, text: str, e) -> Span:
    tok = getattr(e, "token", None)
    line = getattr(tok, "line", None)
    if line:
        return Span(path, line, getattr(tok, "column", 1) or 1)
    n = max(1, text.rstrip("\n").count("\n") + 1)
    last = text.rstrip("\n").split("\n")[-1] if text.strip() else ""
    return Span(path, n, len(last) + 1)
