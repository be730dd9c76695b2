"""What each generated TLA+ name and line stands for in the spec.

The export records, while it renders, how every TLA+ variable, action
operator and model value maps back to the spec; the TLC runner uses this map
to show counterexamples and errors in the spec's own words (variable names,
process, index, label and ``file:line``) instead of the generated TLA+.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..ir import nodes as ir

#: The ``model_values`` entry of the constant standing for ``none`` when the
#: spec declares ``NoneValue`` itself (the export then renames its own).
NONE_MV = ("", "none")


@dataclass(frozen=True)
class ActionInfo:
    """A TLA+ action operator: one labelled step of a process."""

    operator: str
    process: str
    label: str
    indexed: bool  # the operator takes the process index as parameter ``self``
    source: str  # "file:line" of the step's label


@dataclass(frozen=True)
class VarInfo:
    """A TLA+ variable and the spec state component it holds."""

    tla: str  # the TLA+ variable
    key: str  # the report key: ``x``, ``proc.local`` or ``proc.pc``
    kind: str  # var | local | pc
    type: ir.Type  # the type of one value (one instance's value for indexed processes)
    process: str | None = None
    index_type: ir.Type | None = None  # indexed processes: the type of ``self``

    @property
    def indexed(self) -> bool:
        return self.index_type is not None

    @property
    def full_type(self) -> ir.Type:
        """The type of the whole TLA+ variable (a map from index for indexed processes)."""
        if self.index_type is None:
            return self.type
        return ir.MapType(self.index_type, self.type)


@dataclass
class SourceMap:
    module: str  # the TLA+ module name
    spec_file: str
    actions: dict[str, ActionInfo] = field(default_factory=dict)
    variables: list[VarInfo] = field(default_factory=list)
    #: generated model-value names -> (sort, name); ``NoneValue`` (or its
    #: renaming, recorded as :data:`NONE_MV`) is none
    model_values: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (module, line) -> "file:line": every line of the generated module that
    #: starts a definition or a statement, for mapping TLC's error positions
    lines: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    #: TLA+ property name -> spec property name (``TypeOK``: the generated
    #: one, unless the spec has a property of that name)
    properties: dict[str, str] = field(default_factory=dict)
    #: TLA+ name of an ASSUME -> (the spec's assumption, its ``file:line:col``)
    assumptions: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: module line of each ASSUME -> its TLA+ name (TLC names a false one by position)
    assume_lines: dict[tuple[str, int], str] = field(default_factory=dict)
    #: TLA+ name -> spec name, for the declarations the export renamed
    renamed: dict[str, str] = field(default_factory=dict)

    def var(self, tla: str) -> VarInfo | None:
        for v in self.variables:
            if v.tla == tla:
                return v
        return None

    def var_by_key(self, key: str) -> VarInfo | None:
        """The variable holding a spec state component (``x``, ``p.local``, ``p.pc``)."""
        for v in self.variables:
            if v.key == key:
                return v
        return None

    def spec_words(self, text: str) -> str:
        """TLC's text with the renamed declarations in their spec names."""
        if not self.renamed:
            return text
        return re.sub(r"\b[A-Za-z0-9_]+_\b", lambda m: self.renamed.get(m.group(0), m.group(0)), text)

    def property(self, tla: str | None) -> str | None:
        """The spec name of a property TLC names (its own name when unknown)."""
        return None if tla is None else self.properties.get(tla, tla)

    def add_lines(self, module: str, pairs: list[tuple[int, str]]) -> None:
        self.lines[module] = sorted(pairs)

    def source_at(self, module: str, line: int) -> str | None:
        """The spec position of the closest recorded line at or before ``line``."""
        pairs = self.lines.get(module)
        if not pairs:
            return None
        i = bisect.bisect_right(pairs, (line, "\uffff")) - 1
        return pairs[i][1] if i >= 0 else None
