"""Fuzzing the front end: mutated example specs never crash ``pyspec lint``.

Hypothesis takes the valid specs under spec/examples/, applies a few random
mutations (delete, duplicate or insert characters and lines, swap tokens or
lines, insert random bytes including invalid UTF-8) and lints the result in
process.  Whatever the input: no exception escapes, the exit code is 0, 1 or
2, and on 2 the first line of stderr is a located error.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyspec import cli

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = sorted((ROOT / "spec" / "examples").glob("*.pyspec"))
SOURCES = [p.read_bytes() for p in EXAMPLES]

# Pieces worth inserting: the grammar's punctuation and words, indentation,
# quotes, brackets, and a few bytes that are not UTF-8.
FRAGMENTS = [
    b":", b"(", b")", b"[", b"]", b"{", b"}", b",", b".", b"..", b"=", b"==", b"!=", b"<", b">=",
    b"+", b"-", b"*", b"//", b"%", b"**", b"&", b"|", b"^", b"~", b"<<", b">>", b"->",
    b"\n", b"    ", b"\t", b" ", b"\\\n", b"\r\n", b"\"", b"'", b"\"\"\"", b"#", b"0", b"42", b"0x1f", b"_",
    b"spec", b"extends", b"import", b"sort", b"enum", b"type", b"const", b"var", b"def", b"return",
    b"override", b"process", b"fair", b"strong", b"while", b"await", b"goto", b"pass", b"if", b"elif",
    b"else", b"either", b"or", b"any", b"in", b"not", b"and", b"implies", b"forall", b"exists",
    b"choose", b"always", b"eventually", b"leads_to", b"invariant", b"action", b"temporal", b"model",
    b"symmetry", b"constraint", b"check", b"deadlock", b"holds", b"violated", b"next", b"self",
    b"none", b"True", b"False", b"Done", b"record", b"set", b"map", b"seq", b"tuple", b"optional",
    b"int", b"bool", b"str", b"len", b"subsets", b"keys", b"min", b"max", b"unions", b"append",
    b"head", b"tail", b"abs", b"replace", b"UNION", b"lambda", b"x_", b"pc",
    b"\xff", b"\xfe", b"\x80", b"\xc3", b"\xe9", b"\x00", b"\x0c", b"\x1b", b"\xef\xbb\xbf",
    "é".encode(), "λ".encode(), "\u2028".encode(),
]

TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*|\d+|\"(?:[^\"\\\n]|\\.)*\"|\S")


def _mutate(data: bytes, kind: str, a: int, b: int, payload: bytes) -> bytes:
    n = len(data)
    if kind == "delete_chars":
        i = a % (n + 1)
        return data[:i] + data[i + 1 + b % 8:]
    if kind == "duplicate_chars":
        i = a % (n + 1)
        return data[:i] + data[i:i + 1 + b % 16] + data[i:]
    if kind == "insert":
        i = a % (n + 1)
        return data[:i] + payload + data[i:]
    lines = data.split(b"\n")
    m = len(lines)
    if kind == "delete_line":
        del lines[a % m]
    elif kind == "duplicate_line":
        i = a % m
        lines.insert(i, lines[i])
    elif kind == "swap_lines":
        i, j = a % m, b % m
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "insert_line":
        lines.insert(a % (m + 1), payload)
    elif kind == "indent_line":
        i = a % m
        lines[i] = (b" " * (b % 9)) + lines[i].lstrip(b" \t")
    elif kind in ("swap_tokens", "replace_token", "delete_token"):
        toks = list(TOKEN.finditer(data))
        if not toks:
            return data
        t1 = toks[a % len(toks)]
        if kind == "delete_token":
            return data[:t1.start()] + data[t1.end():]
        if kind == "replace_token":
            return data[:t1.start()] + payload + data[t1.end():]
        t2 = toks[b % len(toks)]
        if t1.start() > t2.start():
            t1, t2 = t2, t1
        if t1.end() > t2.start():
            return data
        return (data[:t1.start()] + t2.group() + data[t1.end():t2.start()] + t1.group()
                + data[t2.end():])
    return b"\n".join(lines)


KINDS = ["delete_chars", "duplicate_chars", "insert", "delete_line", "duplicate_line", "swap_lines",
         "insert_line", "indent_line", "swap_tokens", "replace_token", "delete_token"]

payloads = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map(b" ".join),
    st.binary(min_size=1, max_size=6),
)
mutation = st.tuples(st.sampled_from(KINDS), st.integers(0, 1 << 20), st.integers(0, 1 << 20), payloads)

_TMP = Path(tempfile.mkdtemp(prefix="pyspec-fuzz-"))


def lint_bytes(data: bytes) -> tuple[int, str, str]:
    path = _TMP / "mutant.pyspec"
    path.write_bytes(data)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["lint", str(path)])
    return code, err.getvalue(), str(path)


def check_outcome(data: bytes) -> None:
    code, err, path = lint_bytes(data)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        first = err.splitlines()[0] if err else ""
        assert re.match(rf"^{re.escape(path)}:\d+:\d+: error: .+", first), (first, data)


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=st.sampled_from(range(len(SOURCES))), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_examples_never_crash(source, mutations):
    data = SOURCES[source]
    for kind, a, b, payload in mutations:
        data = _mutate(data, kind, a, b, payload)
    check_outcome(data)


IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
OPERATOR = re.compile(rb"\*\*|//|<<|>>|==|!=|<=|>=|\.\.|[-+*%&|^<>]")
OPERATORS = [b"+", b"-", b"*", b"//", b"%", b"**", b"&", b"|", b"^", b"<<", b">>", b"==", b"!=", b"<",
             b"<=", b">", b">=", b"in", b"not in", b"and", b"or", b"implies", b"leads_to", b".."]
EXTRA_NAMES = [b"self", b"pc", b"Done", b"none", b"True", b"len", b"next", b"set", b"record", b"replace",
               b"subsets", b"head", b"append", b"keys", b"always"]


@settings(max_examples=100, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(range(len(SOURCES))),
       edits=st.lists(st.tuples(st.booleans(), st.integers(0, 1 << 20), st.integers(0, 1 << 20)),
                      min_size=1, max_size=3))
def test_renamed_names_and_operators_never_crash(source, edits):
    """Mutations that mostly keep the syntax valid, to exercise the checker:
    a name replaced by another name of the file, an operator by another."""
    data = SOURCES[source]
    names = sorted({m.group() for m in IDENT.finditer(data)}) + EXTRA_NAMES
    for rename, a, b in edits:
        found = list((IDENT if rename else OPERATOR).finditer(data))
        if not found:
            continue
        m = found[a % len(found)]
        new = names[b % len(names)] if rename else OPERATORS[b % len(OPERATORS)]
        data = data[:m.start()] + new + data[m.end():]
    check_outcome(data)


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash(data):
    check_outcome(data)


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_token_soup_never_crashes(body):
    check_outcome(b"spec Soup\n" + b" ".join(body))


def test_examples_are_valid():
    assert EXAMPLES, "no example specs"
    for data in SOURCES:
        code, err, _ = lint_bytes(data)
        assert code == 0, err
