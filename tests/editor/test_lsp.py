"""The language server, driven by a scripted LSP client (pygls') over stdio:
`python -m pyspec lsp` as an editor starts it."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

BASE = textwrap.dedent('''\
    spec Base
    """Shared declarations."""

    sort Node

    const NODES: set[Node] = {Node.a, Node.b}
    const LIMIT: int = 3      # how far a counter goes

    def bounded(x: int) -> bool:
        """Is x within the limit?"""
        return x <= LIMIT
    ''')

MAIN = textwrap.dedent('''\
    spec Main
    extends Base

    enum Phase: idle, busy

    var count: map[Node, int] = {n: 0 for n in NODES}
    var phase: Phase = Phase.idle

    process node(self in NODES):
        """A node counts up to the limit."""
        var steps: int = 0
        bump:
            await bounded(count[self] + 1) and phase == Phase.idle
            count[self] = count[self] + 1
            steps = steps + 1
            goto bump

    invariant InRange: forall n in NODES: bounded(count[n])

    model small:
        """Two nodes."""
        LIMIT = 2
        check InRange
    ''')


class Session:
    """An LSP client on a pyspec server; collects published diagnostics."""

    def __init__(self, root: Path):
        self.root = root
        self.client = LanguageClient("pyspec-test", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics
            self.changed.set()

    async def __aenter__(self) -> Session:
        await self.client.start_io(sys.executable, "-m", "pyspec", "lsp")
        result = await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(self.root))))
        self.capabilities = result.capabilities
        self.client.initialized(types.InitializedParams())
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def published(self, uri: str) -> list[types.Diagnostic]:
        """Wait for the next diagnostics of ``uri``."""
        self.diagnostics.pop(uri, None)
        while uri not in self.diagnostics:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 30)
        return list(self.diagnostics[uri])

    def open(self, path: Path, text: str) -> str:
        uri = from_fs_path(str(path))
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="pyspec", version=1, text=text)))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def position(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> types.Position:
    """The 0-based position of the ``occurrence``-th ``needle`` in ``text`` (plus ``offset`` columns)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    col = start - (text.rfind("\n", 0, start) + 1)
    return types.Position(line=line, character=col + offset)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "Base.pyspec").write_text(BASE)
    main = tmp_path / "main.pyspec"
    main.write_text(MAIN)
    return tmp_path, main


def test_capabilities_and_diagnostics_as_you_type(files):
    root, main = files

    async def scenario():
        async with Session(root) as s:
            caps = s.capabilities
            assert caps.hover_provider and caps.definition_provider and caps.document_symbol_provider
            assert caps.completion_provider is not None
            uri = s.open(main, MAIN)
            assert await s.published(uri) == []  # a good spec: no diagnostics
            broken = MAIN.replace("count[self] = count[self] + 1", "count[self] = cout[self] + 1")
            s.change(uri, broken, 2)
            [d] = await s.published(uri)
            assert d.severity == types.DiagnosticSeverity.Error
            assert "undefined name 'cout'" in d.message
            assert d.range.start == position(broken, "cout")  # the same place `pyspec lint` names
            # navigation keeps working on the last version that loaded
            h = await s.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=position(broken, "LIMIT", 0, 1)))
            assert "const LIMIT: int = 3" in h.contents.value
            s.change(uri, MAIN, 3)
            assert await s.published(uri) == []  # fixed: cleared

    run(scenario())


def test_hover_shows_declarations_docstrings_and_values(files):
    root, main = files

    async def scenario():
        async with Session(root) as s:
            uri = s.open(main, MAIN)
            await s.published(uri)

            async def hover(needle, occurrence=0, offset=1):
                h = await s.client.text_document_hover_async(types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=position(MAIN, needle, occurrence, offset)))
                return None if h is None else h.contents.value

            text = await hover("bounded(count[self]")
            assert "def bounded(x: int) -> bool" in text and "Is x within the limit?" in text
            assert "Base.pyspec:9" in text  # declared in the file it extends
            text = await hover("NODES", 1)
            assert "const NODES: set[Node] = {Node.a, Node.b}" in text
            text = await hover("steps = steps", 0)
            assert "var node.steps: int = 0" in text
            text = await hover("idle", 1)
            assert "enum value Phase.idle" in text
            text = await hover("InRange", 1)
            assert "invariant InRange" in text
            assert "A node counts up to the limit." in await hover("node(self")
            text = await hover("small", 0)
            assert "Two nodes." in text and "LIMIT = 2" in text
            assert "model small: LIMIT = 2" in await hover("LIMIT =", 0, 0)

    run(scenario())


def test_definition_across_extends_and_to_labels(files):
    root, main = files

    async def scenario():
        async with Session(root) as s:
            uri = s.open(main, MAIN)
            await s.published(uri)

            async def where(needle, occurrence=0):
                loc = await s.client.text_document_definition_async(types.DefinitionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=position(MAIN, needle, occurrence, 1)))
                return loc.uri, loc.range.start.line

            assert await where("bounded(count[self]") == (from_fs_path(str(root / "Base.pyspec")), 8)
            assert await where("LIMIT", 0) == (from_fs_path(str(root / "Base.pyspec")), 6)
            assert await where("bump", 1) == (uri, MAIN.splitlines().index("    bump:"))
            assert await where("count[n]") == (uri, 5)

    run(scenario())


def test_document_symbols_and_completion(files):
    root, main = files

    async def scenario():
        async with Session(root) as s:
            uri = s.open(main, MAIN)
            await s.published(uri)
            symbols = await s.client.text_document_document_symbol_async(types.DocumentSymbolParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
            names = [sym.name for sym in symbols]
            assert names == ["Phase", "count", "phase", "node", "InRange", "small"]  # this file's only
            node = symbols[names.index("node")]
            assert {c.name for c in node.children} == {"steps", "bump"}
            model = symbols[names.index("small")]
            assert [c.name for c in model.children] == ["InRange"]

            async def complete(line_text, col):
                lines = MAIN.splitlines()
                line = lines.index(line_text)
                result = await s.client.text_document_completion_async(types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=col)))
                return {i.label for i in result.items}

            in_body = await complete("        steps = steps + 1", 8)
            assert {"count", "steps", "bounded", "NODES", "LIMIT", "await", "len"} <= in_body
            assert "bump" in await complete("        goto bump", len("        goto "))
            assert await complete("        goto bump", len("        goto ")) == {"bump"}
            assert await complete("var phase: Phase = Phase.idle", len("var phase: Phase = Phase.")) \
                == {"idle", "busy"}

    run(scenario())


def test_errors_in_an_extended_file_are_published_for_that_file(files):
    root, main = files
    (root / "Base.pyspec").write_text(BASE.replace("return x <= LIMIT", "return x <= LIMT"))

    async def scenario():
        async with Session(root) as s:
            uri = s.open(main, MAIN)
            base_uri = from_fs_path(str(root / "Base.pyspec"))
            await s.published(uri)
            while base_uri not in s.diagnostics:
                s.changed.clear()
                await asyncio.wait_for(s.changed.wait(), 30)
            [d] = s.diagnostics[base_uri]
            assert "LIMT" in d.message and d.range.start.line == 10

    run(scenario())
