"""The TLA+ of a refinement property (docs/tla.md, Refinement).

``import tcommit as TC`` and ``refinement TCSpec: TC`` become, in the
module of the refining spec, TLA+'s own form:

.. code-block:: text

    TC == INSTANCE TCommit WITH
        rm_state <- rm_state,
        RM <- RM

    TCSpec == TC!Spec

with every variable and constant of the abstract module substituted (its
model values, ``NoneValue`` and sort value sets by the constants of the
same name, which this module declares too), and the abstract spec's own
export, ``TCommit.tla``, written next to it (:func:`abstract_modules`).  A
model that checks the refinement lists ``TCSpec`` under ``PROPERTY``: TLC
checks the abstract ``Init`` on the initial states, ``[][Next]_vars`` on
every step and the abstract ``Fairness`` on the behaviours.
"""

from __future__ import annotations

from ..ir import nodes as ir
from ..ir.temporal import is_liveness
from .render import Block, ExportError, Renderer


def absorb(r: Renderer) -> None:
    """Give ``r`` a renderer per refinement of its spec, and declare in
    ``r``'s module the constants the abstract modules take from it by name:
    their model values, ``NoneValue`` and the value sets of their sorts."""
    for p in r.spec.properties:
        ref = p.refinement
        if ref is None:
            continue
        a = Renderer(ref.abstract, str(r.root))
        r.abstracts[p.name] = a
        for n, sv in a.model_values.items():
            r.model_values.setdefault(n, sv)
        r.uses_none = r.uses_none or a.uses_none
        for s in a.sorts_in_types:
            if s not in r.sorts_in_types:
                r.sorts_in_types.append(s)
    r.model_values = dict(sorted(r.model_values.items()))


def refinement_block(r: Renderer, prop: ir.Property) -> Block:
    """``TC == INSTANCE TCommit WITH ...`` and ``TCSpec == TC!Spec``."""
    ref = prop.refinement
    a = r.abstracts[prop.name]
    c = r.ctx()
    subs = [f"{a.tla(v)} <- {r.expr(e, c)}" for v, e in ref.variables]
    subs += [f"{a.tla(k)} <- {r.expr(e, c)}" for k, e in ref.constants]
    if a.uses_none and a.none != r.none:
        subs.append(f"{a.none} <- {r.none}")
    inst = r.names.instance[prop.name]
    name = r.tla(prop.name)
    head = f"{inst} == INSTANCE {ref.abstract.name}"
    text = head + (" WITH\n" + ",\n".join("    " + s for s in subs) if subs else "")
    text += f"\n\n\\* {r.src(prop.span)}\n{name} == {inst}!{a.gen('Spec')}"
    abstract_file = r.src(ref.abstract.span).rsplit(":", 1)[0]
    return Block(name, text, f"{r.src(prop.span)}: the module of {abstract_file} on this spec's state",
                 doc=prop.doc, lines=[(i, r.src(ref.span)) for i in range(len(subs) + 1)])


def abstract_modules(spec: ir.Spec, root: str | None = None) -> dict[str, str]:
    """The modules the refinements of ``spec`` instantiate (and those theirs
    do), by file name: each abstract spec's own export."""
    from .export import render_module

    out: dict[str, str] = {}
    seen: dict[str, str] = {}

    def visit(s: ir.Spec) -> None:
        for p in s.properties:
            ref = p.refinement
            if ref is None:
                continue
            abstract = ref.abstract
            where = seen.get(abstract.name)
            if where is not None:
                if where != abstract.path:
                    raise ExportError(f"two abstract specs named {abstract.name} ({where} and {abstract.path}): "
                                      f"their TLA+ modules would have one name")
                continue
            if abstract.name == spec.name:
                raise ExportError(f"the abstract spec {abstract.path} has the name of the spec that refines it")
            seen[abstract.name] = abstract.path
            text, _, _ = render_module(abstract, root)
            out[f"{abstract.name}.tla"] = text
            visit(abstract)

    visit(spec)
    return out


__all__ = ["absorb", "refinement_block", "abstract_modules", "is_liveness"]
