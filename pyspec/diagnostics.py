"""Source positions and diagnostics.

Every message a user sees about their spec is a :class:`Diagnostic`: a
severity, a message and a :class:`Span`.  It renders as
``file:line:col: error: message`` followed by the source line and a caret,
the format compilers and editors understand.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a source file; lines and columns count from 1."""

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def short(self) -> str:
        """``file:line``, the form shown beside trace steps."""
        return f"{self.file}:{self.line}"


NOWHERE = Span("<generated>", 0, 0)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "note"
    message: str
    span: Span

    def render(self, sources: dict[str, str] | None = None) -> str:
        head = f"{self.span}: {self.severity}: {self.message}"
        text = (sources or {}).get(self.span.file)
        if text is None or self.span.line <= 0:
            return head
        lines = text.splitlines()
        if self.span.line > len(lines):
            return head
        line = lines[self.span.line - 1].replace("\t", " ")
        if len(line) > 200:  # keep giant lines (minified garbage) readable
            start = max(0, self.span.col - 100)
            line = line[start : start + 200]
            col = self.span.col - start
        else:
            col = self.span.col
        width = 1
        if self.span.end_line == self.span.line and self.span.end_col > self.span.col:
            width = min(self.span.end_col - self.span.col, max(1, len(line) - col + 1))
        caret = " " * max(0, col - 1) + "^" + "~" * (width - 1)
        return f"{head}\n    {line}\n    {caret}"


@dataclass
class Diagnostics:
    """An ordered collection of diagnostics gathered during one load."""

    items: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    def error(self, message: str, span: Span) -> None:
        self.items.append(Diagnostic("error", message, span))

    def warning(self, message: str, span: Span) -> None:
        self.items.append(Diagnostic("warning", message, span))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        # Stable order: by file, then position, errors before warnings at a tie.
        seen: set[tuple] = set()
        out = []
        for d in sorted(self.items, key=lambda d: (d.span.file, d.span.line, d.span.col,
                                                    d.severity != "error")):
            key = (d.severity, d.message, d.span)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out

    def render(self) -> str:
        return "\n".join(d.render(self.sources) for d in self.sorted())


class SpecError(Exception):
    """Raised by :func:`pyspec.load` when a spec has errors; carries them all."""

    def __init__(self, diagnostics: Diagnostics):
        self.diagnostics = diagnostics
        first = diagnostics.errors[0] if diagnostics.errors else None
        super().__init__(f"{first.span}: error: {first.message}" if first else "spec error")

    def render(self) -> str:
        return self.diagnostics.render()
