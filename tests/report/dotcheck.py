"""A parser for the DOT that ``pyspec graph`` writes (the subset it uses:
one digraph of attribute, node and edge statements).  Strict: anything
else, an unterminated string or a stray token, is an error."""

from __future__ import annotations

import re

TOKEN = re.compile(r'\s*(?:(?P<id>[A-Za-z_][A-Za-z_0-9]*|-?\d+(?:\.\d+)?)|(?P<str>"(?:[^"\\]|\\.)*")'
                   r'|(?P<arrow>->)|(?P<punct>[{}\[\]=;,]))', re.S)


def tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad DOT at {pos}: {text[pos:pos + 30]!r}")
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", lambda x: x.group(1) if x.group(1) in '"\\' else "\\" + x.group(1), val[1:-1])
        out.append((kind, val))
        pos = m.end()
    return out


def parse_dot(text: str) -> tuple[str, dict[str, dict], list[tuple[str, str, dict]], dict[str, dict]]:
    """(graph name, nodes id -> attributes, edges (from, to, attributes),
    default attributes of graph/node/edge)."""
    toks = tokens(text)
    i = 0

    def take(kind=None, value=None):
        nonlocal i
        if i >= len(toks):
            raise ValueError("unexpected end of DOT")
        k, v = toks[i]
        if (kind and k != kind) or (value is not None and v != value):
            raise ValueError(f"expected {value or kind}, got {v!r}")
        i += 1
        return v

    def attrs() -> dict:
        out = {}
        if i < len(toks) and toks[i] == ("punct", "["):
            take("punct", "[")
            while toks[i] != ("punct", "]"):
                k = take("id")
                take("punct", "=")
                kind, v = toks[i]
                if kind not in ("id", "str"):
                    raise ValueError(f"bad attribute value {v!r}")
                out[k] = take()
                if toks[i] == ("punct", ","):
                    take("punct", ",")
            take("punct", "]")
        return out

    take("id", "digraph")
    name = take("str") if toks[i][0] == "str" else take("id")
    take("punct", "{")
    nodes: dict[str, dict] = {}
    edges: list[tuple[str, str, dict]] = []
    defaults: dict[str, dict] = {}
    while toks[i] != ("punct", "}"):
        first = take("id")
        if first in ("graph", "node", "edge"):
            defaults[first] = attrs()
        elif toks[i] == ("arrow", "->"):
            take("arrow")
            second = take("id")
            edges.append((first, second, attrs()))
        else:
            if first in nodes:
                raise ValueError(f"node {first} declared twice")
            nodes[first] = attrs()
        take("punct", ";")
    take("punct", "}")
    if i != len(toks):
        raise ValueError("text after the graph")
    return name, nodes, edges, defaults
