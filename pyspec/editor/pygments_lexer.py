"""A Pygments lexer for pyspec (``pygmentize -l pyspec``, Sphinx and MkDocs
code blocks, ``rich.syntax.Syntax(text, "pyspec")``); pyproject.toml
registers it under the ``pygments.lexers`` entry point (docs/editors.md).

The words are those of pyspec/language/grammar.lark (its quoted literals
that are names); tests/editor/test_pygments_lexer.py fails when the grammar
gains a word that is not listed here.  Like the parser
(``parser._SOFT_KEYWORDS``), the words that may also be names (a record
field ``type``, the builtin ``record(...)``) are keywords only where they
start a declaration or a model item: at the start of a line.
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

__all__ = ["PyspecLexer"]

#: declaration words that a name follows: the name's token
DECL_FUNCTION = ("def", "macro", "process", "procedure", "action", "invariant", "temporal", "assume", "refinement")
DECL_CLASS = ("sort", "enum", "variant", "type")
DECL_NAMESPACE = ("spec", "model", "extends", "import")

#: words that may also be names (parser._SOFT_KEYWORDS): keywords at the start of a line
SOFT_KEYWORDS = ("action", "check", "enum", "import", "model", "record", "sort", "spec", "type")

#: the other words of the grammar, keywords wherever they are
HARD_KEYWORDS = (
    "always", "and", "any", "as", "assert", "assume", "await", "call", "case", "choose", "const", "constraint", "deadlock", "def",
    "either", "elif", "else", "eventually", "exists", "extends", "fair", "for", "forall", "goto", "if",
    "implies", "in", "invariant", "leads_to", "let", "macro", "match", "not", "or", "override", "pass",
    "procedure", "process", "refinement", "return", "strong", "symmetry", "temporal", "unfair", "var", "variant", "while",
)
CONSTANTS = ("True", "False", "none")

#: every word of the grammar
KEYWORDS = frozenset(SOFT_KEYWORDS + HARD_KEYWORDS + CONSTANTS)

#: builtin functions (docs/language.md, "Reserved words")
BUILTINS = ("abs", "append", "head", "isinstance", "keys", "len", "maps", "max", "min", "next", "product",
            "record", "records", "replace", "seqs", "set", "strong_fair", "subsets", "tail", "unions",
            "weak_fair")
#: builtin types (set[T] is a type, set() a function)
TYPES = ("bool", "int", "str", "map", "seq", "tuple", "optional")

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
#: modifiers that may precede a declaration or a step label (``fair(c)``:
#: fairness by parameters of an action)
_MODIFIERS = (r"(?:(?:override|strong|unfair|fair(?:[ \t]*\([ \t]*(?:" + _NAME + r"(?:[ \t]*,[ \t]*" + _NAME
              + r")*)?[ \t]*\))?)[ \t]+)*")
_NOT_KEYWORD = r"(?!(?:" + "|".join(sorted(KEYWORDS)) + r")\b)"


def _hard(group):
    return tuple(w for w in group if w not in SOFT_KEYWORDS)


def _line_start(token):
    """A callback for a line that starts with modifiers and then a word:
    the indentation, each modifier and the word (as ``token``)."""

    def callback(lexer, match):
        pos = match.start()
        word = match.start("word")
        depth = 0
        for part in re.split(r"([ \t]+|[(),])", match.group(0)):
            if not part:
                continue
            if part.isspace():
                yield pos, Whitespace, part
            elif part in "(),":
                depth += {"(": 1, ")": -1}.get(part, 0)
                yield pos, Punctuation, part
            elif pos == word:
                yield pos, token, part
            else:
                yield pos, Name if depth else Keyword, part  # the parameters of fair(...)
            pos += len(part)

    return callback


def _soft(group):
    """A line starting with (modifiers and) one of the soft keywords in ``group``,
    not used as a name (``type = ...``, ``record(...)``, ``check.x``)."""
    return (r"^[ \t]*" + _MODIFIERS + r"(?P<word>" + "|".join(group) + r")\b(?![ \t]*(?:=(?!=)|\.|\(|:))",
            _line_start(Keyword))


class PyspecLexer(RegexLexer):
    """Lexer for pyspec specifications (``*.pyspec``)."""

    name = "pyspec"
    aliases = ["pyspec"]
    filenames = ["*.pyspec"]
    mimetypes = ["text/x-pyspec"]

    flags = re.MULTILINE

    tokens = {
        "root": [
            # a line's first word: soft keywords, then step labels (`name:`, `fair name:`)
            _soft(DECL_FUNCTION) + ("funcname",),
            _soft(DECL_CLASS) + ("classname",),
            _soft(DECL_NAMESPACE) + ("namespace",),
            _soft(SOFT_KEYWORDS),
            (r"^[ \t]+" + _MODIFIERS + _NOT_KEYWORD + r"(?P<word>" + _NAME + r")(?=[ \t]*:)", _line_start(Name.Label)),
            # a fairness declaration at the top level: `fair Name(p in S): A(p) or B(p)`
            (r"^(?:override[ \t]+)?(?:strong[ \t]+)?fair[ \t]+" + _NOT_KEYWORD + r"(?P<word>" + _NAME
             + r")(?=[ \t]*[(:])", _line_start(Name.Function)),
            (r"[(\[{]", Punctuation, "bracket"),
            (r"[)\]}]", Punctuation),
            include("expr"),
        ],
        # inside brackets a line is a continuation: no declarations, no labels
        "bracket": [
            (r"[(\[{]", Punctuation, "#push"),
            (r"[)\]}]", Punctuation, "#pop"),
            include("expr"),
        ],
        "expr": [
            (r"\n", Whitespace),
            (r"[ \t\f]+", Whitespace),
            (r"\\\r?\n", Text),
            (r"#.*$", Comment.Single),
            (r'"""', String.Doc, "docstring"),
            (r'"', String.Double, "string"),
            (r"0[xX][0-9a-fA-F_]+", Number.Hex),
            (r"0[bB][01_]+", Number.Bin),
            (r"[0-9][0-9_]*", Number.Integer),
            (r"\.\.", Operator),
            (r"(\.)([ \t]*)(" + _NAME + ")", bygroups(Punctuation, Whitespace, Name.Attribute)),
            (r"\bgoto\b", Keyword, "label"),
            # declaration words that are keywords anywhere (the soft ones are above)
            (words(_hard(DECL_FUNCTION), prefix=r"\b", suffix=r"\b"), Keyword, "funcname"),
            (words(_hard(DECL_CLASS), prefix=r"\b", suffix=r"\b"), Keyword, "classname"),
            (words(_hard(DECL_NAMESPACE), prefix=r"\b", suffix=r"\b"), Keyword, "namespace"),
            (words(CONSTANTS, prefix=r"\b", suffix=r"\b"), Keyword.Constant),
            (words(HARD_KEYWORDS, prefix=r"\b", suffix=r"\b"), Keyword),
            (r"set(?=[ \t]*\[)", Keyword.Type),
            (words(TYPES, prefix=r"\b", suffix=r"\b"), Keyword.Type),
            (words(BUILTINS, prefix=r"\b", suffix=r"\b"), Name.Builtin),
            (_NAME, Name),
            (r"->|==|!=|<=|>=|<<|>>|\*\*|//|[-+*%<>|^&~=]", Operator),
            (r"[,:.]", Punctuation),
            (r"[(\[{]", Punctuation),
            (r"[)\]}]", Punctuation),
        ],
        "funcname": [
            (r"[ \t]+", Whitespace),
            (r"invariant\b", Keyword),  # action invariant NAME
            (_NOT_KEYWORD + _NAME, Name.Function, "#pop"),
            default("#pop"),
        ],
        "classname": [
            (r"[ \t]+", Whitespace),
            (_NOT_KEYWORD + _NAME, Name.Class, "#pop"),
            default("#pop"),
        ],
        "namespace": [
            (r"[ \t]+", Whitespace),
            (_NOT_KEYWORD + _NAME, Name.Namespace, "#pop"),
            default("#pop"),
        ],
        "label": [
            (r"[ \t]+", Whitespace),
            (_NOT_KEYWORD + _NAME, Name.Label, "#pop"),
            default("#pop"),
        ],
        "docstring": [
            (r'"""', String.Doc, "#pop"),
            (r'\\.', String.Escape),
            (r'[^"\\]+', String.Doc),
            (r'"', String.Doc),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (r"\\.", String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r"\n", String.Double, "#pop"),  # unterminated: the line ends it
        ],
    }

    def analyse_text(text):
        """A file that starts with ``spec Name`` is most likely pyspec."""
        if re.match(r'\s*(#[^\n]*\n\s*)*spec[ \t]+[A-Za-z_]\w*[ \t]*(#[^\n]*)?\r?\n', text):
            return 0.5
        return 0.0
