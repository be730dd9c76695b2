"""The editor support files (docs/editors.md): the Pygments lexer
(pyspec/editor/pygments_lexer.py, found through the ``pygments.lexers``
entry point of pyproject.toml) and the VS Code extension (editors/vscode/).

The words of the language are computed here from pyspec/language/grammar.lark,
so a word added to the grammar fails these tests until the lexer and the
TextMate grammar know it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, String

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "pyspec" / "language" / "grammar.lark"
VSCODE = ROOT / "editors" / "vscode"
TM_GRAMMAR = VSCODE / "syntaxes" / "pyspec.tmLanguage.json"
SPECS = sorted((ROOT / "spec").rglob("*.pyspec"))


def grammar_words() -> set[str]:
    """The quoted literals of grammar.lark that are names ("process", "await",
    "True", ...): the words of the language."""
    words = set()
    for line in GRAMMAR.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("//"):
            continue
        words.update(w for w in re.findall(r'"([^"\\\s]*)"', line) if w.isidentifier())
    return words


WORDS = sorted(grammar_words())


def lexer():
    # the whole text, as it is: no stripped or added newlines
    return get_lexer_by_name("pyspec", stripnl=False, ensurenl=False)


def tokens(text: str) -> list[tuple]:
    return [(t, v) for t, v in lexer().get_tokens(text) if v.strip()]


def test_grammar_words_are_the_parsers():
    from pyspec.language import parser

    assert len(WORDS) > 40
    assert set(WORDS) == parser.keywords()


def test_lexer_is_found_by_name_and_file_name():
    by_name = get_lexer_by_name("pyspec")
    by_file = get_lexer_for_filename("x.pyspec")
    for lx in (by_name, by_file):
        assert type(lx).__module__ == "pyspec.editor.pygments_lexer"
        assert type(lx).__name__ == "PyspecLexer"
        assert lx.name == "pyspec"
    assert "*.pyspec" in by_name.filenames


def test_there_are_specs_to_lex():
    assert len(SPECS) >= 10


@pytest.mark.parametrize("path", SPECS, ids=[str(p.relative_to(ROOT)) for p in SPECS])
def test_every_spec_lexes_without_error_and_round_trips(path):
    source = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    toks = list(lexer().get_tokens(source))
    errors = [(t, v) for t, v in toks if t in Error]
    assert not errors, f"{path}: {errors[:5]}"
    assert "".join(v for _, v in toks) == source


@pytest.mark.parametrize("word", WORDS)
def test_every_grammar_word_is_a_keyword(word):
    """A word at the start of a line (where every word of the grammar may stand,
    including those that may also be names, like ``type``) is a keyword."""
    toks = tokens(f"{word} x\n")
    assert toks[0][1] == word
    assert toks[0][0] in Keyword, toks


def test_words_are_keywords_in_their_places():
    text = (
        "strong fair process p(self in S):\n"
        "    step: either:\n"
        "        await forall x in S: x > 0 and not (x == 1) or True\n"
        "    or:\n"
        "        goto Done\n"
        "action invariant Mono: always eventually x == 1 leads_to none implies False\n"
        "model small extends base:\n"
        "    check Mono\n"
    )
    words = {v for t, v in tokens(text) if t in Keyword}
    assert words == {"strong", "fair", "process", "in", "either", "await", "forall", "and", "not", "or",
                     "True", "goto", "action", "invariant", "always", "eventually", "leads_to", "none",
                     "implies", "False", "model", "extends", "check"}


def test_words_that_are_also_names_stay_names_where_names_stand():
    toks = tokens("const M: Message = record(type=Kind.req, check=0)\ninvariant I: m.type == m.model\n")
    names = {v: t for t, v in toks}
    assert names["type"] in Name and names["check"] in Name and names["model"] in Name
    assert names["record"] in Name.Builtin


def test_comments_docstrings_numbers_strings_and_names():
    text = (
        "spec S  # the spec\n"
        '"""A docstring,\nover "two" lines."""\n'
        "const N: int = 42\n"
        "const H: int = 0x1F + 0b101\n"
        "def f(x: int) -> set[int]: {x} if len(\"a\\\"b\") > 1 else set()\n"
        "process p(self in 1..N):\n"
        "    fair wait:\n"
        "        await x == \"Done\"\n"
    )
    toks = tokens(text)
    kinds = {v: t for t, v in toks}
    assert kinds["# the spec"] in Comment.Single
    doc = "".join(v for t, v in lexer().get_tokens(text) if t in String.Doc)
    assert doc == '"""A docstring,\nover "two" lines."""'
    assert kinds["42"] in Number.Integer
    assert kinds["0x1F"] in Number.Hex
    assert kinds["0b101"] in Number.Bin
    assert kinds["1"] in Number and kinds["N"] is Name
    assert kinds["\\\""] in String.Escape
    assert kinds["Done"] in String
    assert kinds["S"] in Name.Namespace
    assert kinds["f"] in Name.Function and kinds["p"] in Name.Function
    assert kinds["wait"] in Name.Label
    assert kinds["len"] in Name.Builtin
    assert kinds["int"] in Keyword.Type
    assert not [t for t, _ in toks if t in Error]


def test_lexer_knows_every_builtin():
    from pyspec.editor.pygments_lexer import BUILTINS
    from pyspec.language.scope import BUILTINS as CHECKED

    assert CHECKED | {"isinstance"} <= set(BUILTINS)


# ---- the VS Code extension ----

def _rules(rule):
    """Every rule (a dict with a match or a begin) of a TextMate grammar, wherever it is."""
    if "match" in rule or "begin" in rule:
        yield rule
    for sub in rule.get("patterns", []):
        yield from _rules(sub)
    for sub in rule.get("repository", {}).values():
        yield from _rules(sub)


def _keyword_scope(scope) -> bool:
    return bool(scope) and scope.startswith(("keyword.", "storage.", "constant.language."))


def _keyword_hits(rule, line):
    """The texts a rule gives a keyword scope on a line."""
    m = re.search(rule["match"], line)
    if not m:
        return []
    hits = [m.group(0)] if _keyword_scope(rule.get("name")) else []
    for i, cap in (rule.get("captures") or {}).items():
        if _keyword_scope(cap.get("name")) and m.group(int(i)):
            hits.append(m.group(int(i)))
    return hits


def tm_grammar():
    return json.loads(TM_GRAMMAR.read_text(encoding="utf-8"))


def test_textmate_grammar_is_json_and_its_regexes_compile():
    g = tm_grammar()
    assert g["scopeName"] == "source.pyspec"
    rules = list(_rules(g))
    assert len(rules) > 15
    for rule in rules:
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])


@pytest.mark.parametrize("word", WORDS)
def test_textmate_grammar_matches_every_grammar_word(word):
    line = f"{word} x"
    hits = [h for rule in _rules(tm_grammar()) if "match" in rule for h in _keyword_hits(rule, line)]
    assert word in hits, f"no keyword rule of {TM_GRAMMAR.name} matches {word!r}"


def test_package_json_points_at_files_that_exist():
    pkg = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert (VSCODE / pkg["main"]).is_file()
    assert "onLanguage:pyspec" in pkg["activationEvents"]
    assert "vscode-languageclient" in pkg["dependencies"]
    (lang,) = pkg["contributes"]["languages"]
    assert lang["id"] == "pyspec" and ".pyspec" in lang["extensions"]
    (grammar,) = pkg["contributes"]["grammars"]
    assert grammar["language"] == "pyspec" and grammar["scopeName"] == "source.pyspec"
    assert (VSCODE / grammar["path"]).resolve() == TM_GRAMMAR
    config = json.loads((VSCODE / lang["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    assert ["(", ")"] in config["brackets"]
    setting = pkg["contributes"]["configuration"]["properties"]["pyspec.command"]
    assert setting["default"] == "pyspec"
    extension = (VSCODE / pkg["main"]).read_text(encoding="utf-8")
    assert '"lsp"' in extension and 'getConfiguration("pyspec")' in extension
    assert (VSCODE / "README.md").is_file()


def test_language_configuration_indents_after_a_colon():
    config = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    increase = re.compile(config["indentationRules"]["increaseIndentPattern"])
    for line in ("process p(self in S):", "    fair wait:", "    if x > 0:  # positive", "model m:"):
        assert increase.search(line), line
    for line in ("var x: int = 0", "    x = 1", "# a comment:", "    x = 1  # note:"):
        assert not increase.search(line), line
    decrease = re.compile(config["indentationRules"]["decreaseIndentPattern"])
    assert decrease.search("        else:") and decrease.search("    or:") and not decrease.search("    x = 1")
