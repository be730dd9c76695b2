"""Helpers for the HTML/SVG report tests: a strict well-formedness check
with html.parser, and the swimlane's step boxes read back from the markup."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)
    content: list = field(default_factory=list)  # text and child nodes, in document order
    parent: Node | None = None

    def all_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.all_text() for c in self.content)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class TreeBuilder(HTMLParser):
    """Builds a tree; every problem (unclosed or mismatched tag, end tag
    without start) is recorded in ``errors``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.cur = self.root
        self.errors: list[str] = []
        self.doctype = None

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), parent=self.cur)
        self.cur.children.append(node)
        self.cur.content.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, dict(attrs), parent=self.cur)
        self.cur.children.append(node)
        self.cur.content.append(node)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.cur.tag != tag:
            self.errors.append(f"</{tag}> closes <{self.cur.tag}> at {self.getpos()}")
            return
        self.cur = self.cur.parent

    def handle_data(self, data):
        self.cur.content.append(data)


def parse(html: str) -> TreeBuilder:
    b = TreeBuilder()
    b.feed(html)
    b.close()
    if b.cur is not b.root:
        b.errors.append(f"<{b.cur.tag}> is never closed")
    return b


def external_urls(text: str) -> list[str]:
    """Every http(s) URL in the page except the SVG namespace name (an
    identifier, never fetched)."""
    return [u for u in re.findall(r"https?://[^\s\"'<>)]+", text) if u != "http://www.w3.org/2000/svg"]


@dataclass
class StepBox:
    state: int
    lane: str | None
    label: str
    kind: str
    lines: list[str]


def text_lines(node: Node) -> list[str]:
    """The SVG text inside ``node`` as lines: text elements on the same
    baseline make one line, left to right."""
    rows: dict[int, list[tuple[int, str]]] = {}
    for t in node.walk():
        if t.tag == "text" and "y" in t.attrs and "sl-num" not in t.classes():
            rows.setdefault(int(t.attrs["y"]), []).append((int(t.attrs["x"]), t.all_text()))
    return ["".join(s for _, s in sorted(v)) for _, v in sorted(rows.items())]


def step_boxes(root: Node) -> list[StepBox]:
    """The swimlane's boxes in document order, each with its text lines."""
    out = []
    for n in root.walk():
        if n.tag == "g" and "sl-box" in n.classes():
            lines = text_lines(n)
            kind = next(c for c in n.classes() if c != "sl-box").removeprefix("sl-")
            out.append(StepBox(int(n.attrs["data-state"]), n.attrs.get("data-lane"), n.attrs["data-label"],
                               kind, lines))
    return out
