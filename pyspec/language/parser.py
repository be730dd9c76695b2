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
        return self._process(self._watch(stream))

    def _watch(self, stream):
        # Refuse absurd nesting and stray closing brackets before lark's
        # Indenter sees them (it would assert on the latter).
        depth = 0
        for token in stream:
            if token.type in self.OPEN_PAREN_types:
                depth += 1
                if depth > MAX_NESTING:
                    raise NestingError(token)
            elif token.type in self.CLOSE_PAREN_types:
                if depth == 0:
                    raise UnbalancedClose(token)
                depth -= 1
            yield token

    def handle_NL(self, token):
        try:
            yield from super().handle_NL(token)
        except DedentError:
            raise BadDedent(token) from None


class BadDedent(Exception):
    def __init__(self, token):
        self.token = token


class NestingError(Exception):
    def __init__(self, token):
        self.token = token


class UnbalancedClose(Exception):
    def __init__(self, token):
        self.token = token


@functools.cache
def _parser() -> lark.Lark:
    return lark.Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        postlex=SpecIndenter(),
        propagate_positions=True,
        maybe_placeholders=True,
        cache=False,
    )


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


def _expected_words(expected) -> str:
    names = sorted({_describe_terminal(n) for n in expected if not n.startswith("__ANON")})
    if not names:
        return ""
    if len(names) > 8:
        return " (expected " + ", ".join(names[:8]) + ", ...)"
    return " (expected " + ", ".join(names) + ")"


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
        tok = e.token
        if tok.type == "_DEDENT" or tok.type == "$END":
            span = _eof_or_line_span(path, text, e)
        else:
            span = _token_span(path, tok)
        if tok.type == "_INDENT":
            msg = "unexpected indentation"
        else:
            msg = f"unexpected {_describe_token(tok)}"
        diags.error(msg + _expected_words(e.expected), span)
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        shown = repr(ch)[1:-1] if ch.isprintable() and ch not in "'\"" else f"U+{ord(ch):04X}" if ch else "?"
        if ch in "'\"":
            msg = "unterminated string" if ch == '"' else "strings use double quotes"
        else:
            msg = f"unexpected character '{shown}'"
        diags.error(msg, Span(path, e.line, e.column, e.line, e.column + 1))
    except UnexpectedEOF as e:
        diags.error("unexpected end of file" + _expected_words(e.expected),
                    _eof_or_line_span(path, text, e))
    except BadDedent as e:
        line = e.token.end_line or e.token.line
        col = (e.token.end_column or 1)
        diags.error("unindent does not match any outer indentation level", Span(path, line, col, line, col + 1))
    except NestingError as e:
        diags.error(f"expression nested too deeply (more than {MAX_NESTING} brackets)",
                    _token_span(path, e.token))
    except UnbalancedClose as e:
        diags.error(f"unmatched '{e.token}'", _token_span(path, e.token))
    except UnexpectedInput as e:  # any other lark input error
        diags.error("syntax error", Span(path, getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1))
    return None


def _eof_or_line_span(path: str, text: str, e) -> Span:
    tok = getattr(e, "token", None)
    line = getattr(tok, "line", None)
    if line:
        return Span(path, line, getattr(tok, "column", 1) or 1)
    n = max(1, text.rstrip("\n").count("\n") + 1)
    last = text.rstrip("\n").split("\n")[-1] if text.strip() else ""
    return Span(path, n, len(last) + 1)
