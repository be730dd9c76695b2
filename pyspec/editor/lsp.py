"""``pyspec lsp``: the language server (pygls), over stdio.

Diagnostics as you type (the located errors and warnings of ``pyspec
lint``, for the file and for the files it extends), hover (the declaration
as pyspec, its docstring, a constant's value in each model), go to
definition (across ``extends`` and ``import``), document symbols
(processes with their steps and locals, properties, models with their
checks) and completion (names in scope, a process's labels after ``goto``,
the members after ``Enum.``/``process.``, keywords and builtins).  The
answers come from :mod:`pyspec.editor.analysis`; this module converts
between LSP's 0-based positions and pyspec's 1-based spans.
"""

from __future__ import annotations

import os

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from .analysis import Analysis, Decl, analyse

_SYMBOL_KINDS = {
    "sort": types.SymbolKind.Class, "enum": types.SymbolKind.Enum, "variant": types.SymbolKind.Struct,
    "const": types.SymbolKind.Constant, "var": types.SymbolKind.Variable, "def": types.SymbolKind.Function,
    "procedure": types.SymbolKind.Function,
    "process": types.SymbolKind.Module, "action": types.SymbolKind.Event, "step": types.SymbolKind.Method,
    "local": types.SymbolKind.Field, "property": types.SymbolKind.Boolean, "model": types.SymbolKind.Namespace,
    "check": types.SymbolKind.Key,
}
_COMPLETION_KINDS = {
    "sort": types.CompletionItemKind.Class, "enum": types.CompletionItemKind.Enum,
    "variant": types.CompletionItemKind.Struct, "const": types.CompletionItemKind.Constant,
    "var": types.CompletionItemKind.Variable, "def": types.CompletionItemKind.Function,
    "procedure": types.CompletionItemKind.Function,
    "process": types.CompletionItemKind.Module, "action": types.CompletionItemKind.Event,
    "step": types.CompletionItemKind.Reference, "local": types.CompletionItemKind.Field,
    "property": types.CompletionItemKind.Value, "model": types.CompletionItemKind.Module,
    "builtin": types.CompletionItemKind.Function, "keyword": types.CompletionItemKind.Keyword,
    "enum value": types.CompletionItemKind.EnumMember, "variant case": types.CompletionItemKind.EnumMember,
}


def _range(line: int, col: int, end_line: int = 0, end_col: int = 0) -> types.Range:
    start = types.Position(line=max(line - 1, 0), character=max(col - 1, 0))
    if end_line and (end_line, end_col) > (line, col):
        end = types.Position(line=end_line - 1, character=max(end_col - 1, 0))
    else:
        end = types.Position(line=start.line, character=start.character + 1)
    return types.Range(start=start, end=end)


class PyspecServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("pyspec", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}
        self.published: dict[str, set[str]] = {}  # document uri -> other uris it published diagnostics to

    def refresh(self, uri: str) -> Analysis:
        doc = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) or uri
        try:
            analysis = analyse(path, doc.source, self.analyses.get(uri))
        except Exception as e:  # a bug of pyspec must not take the editor's server down
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"pyspec: internal error analysing {path}: {e!r}"))
            previous = self.analyses.get(uri)
            analysis = Analysis(path, [], previous.index if previous else None, doc.source)
        self.analyses[uri] = analysis
        self.publish(uri, analysis)
        return analysis

    def publish(self, uri: str, analysis: Analysis) -> None:
        """Diagnostics per file: this document's own, and those found in the
        files it extends or imports (cleared when they go away)."""
        here = os.path.normcase(os.path.abspath(analysis.path))
        by_uri: dict[str, list[types.Diagnostic]] = {uri: []}
        for d in analysis.diagnostics:
            same = os.path.normcase(os.path.abspath(d.span.file)) == here
            target = uri if same else from_fs_path(os.path.abspath(d.span.file))
            severity = types.DiagnosticSeverity.Error if d.severity == "error" else types.DiagnosticSeverity.Warning
            by_uri.setdefault(target, []).append(types.Diagnostic(
                range=_range(d.span.line, d.span.col, d.span.end_line, d.span.end_col),
                message=d.message, severity=severity, source="pyspec"))
        for stale in self.published.get(uri, set()) - set(by_uri):
            by_uri[stale] = []
        self.published[uri] = {u for u in by_uri if u != uri}
        for target, diags in by_uri.items():
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=diags))

    def analysis(self, uri: str) -> Analysis:
        return self.analyses.get(uri) or self.refresh(uri)


server = PyspecServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PyspecServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PyspecServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PyspecServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PyspecServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.analyses.pop(uri, None)
    for target in ls.published.pop(uri, set()) | {uri}:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: PyspecServer, params: types.HoverParams) -> types.Hover | None:
    pos = params.position
    text = ls.analysis(params.text_document.uri).hover(pos.line + 1, pos.character + 1)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: PyspecServer, params: types.DefinitionParams) -> types.Location | None:
    pos = params.position
    loc = ls.analysis(params.text_document.uri).definition(pos.line + 1, pos.character + 1)
    if loc is None:
        return None
    return types.Location(uri=from_fs_path(os.path.abspath(loc.file)),
                          range=_range(loc.line, loc.col, loc.end_line, loc.end_col))


def _symbol(d: Decl) -> types.DocumentSymbol:
    r = _range(d.span.line, d.span.col, d.span.end_line, d.span.end_col)
    return types.DocumentSymbol(name=d.name, kind=_SYMBOL_KINDS.get(d.kind, types.SymbolKind.Object),
                                range=r, selection_range=r, detail=d.detail,
                                children=[_symbol(c) for c in d.children] or None)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(ls: PyspecServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    return [_symbol(d) for d in ls.analysis(params.text_document.uri).symbols()]


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
def completion(ls: PyspecServer, params: types.CompletionParams) -> types.CompletionList:
    pos = params.position
    items = [types.CompletionItem(label=label, kind=_COMPLETION_KINDS.get(kind), detail=detail or None)
             for label, kind, detail in ls.analysis(params.text_document.uri).completions(pos.line + 1,
                                                                                            pos.character + 1)]
    return types.CompletionList(is_incomplete=False, items=items)


def main() -> None:
    """Serve over stdin/stdout until the client says exit."""
    server.start_io()
