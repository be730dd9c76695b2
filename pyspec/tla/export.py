"""Spec IR -> TLA+ files: the spec module and, per model, ``MC_<model>.tla``
and ``MC_<model>.cfg``, rendered through the jinja2 templates in
``templates/`` and written atomically.

Everything is rendered in memory first; files are written only when every
spec rendered, as a whole folder swapped in (:mod:`pyspec.files`: the folder
holds the old export or the new one, and files pyspec did not write are
never removed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .. import files
from ..ir import nodes as ir
from ..ir.walk import iter_exprs
from .render import (
    EXTENDS,
    Atom,
    Block,
    Conj,
    ExportError,
    Renderer,
    comment_lines,
    const_def_name,
    def_override_name,
    layout,
    mv_name,
    sort_values_name,
)
from .sourcemap import SourceMap

#: The TLA+ templates (module, model, trace module): one environment for all.
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("pyspec.tla", "templates"),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)


@dataclass
class ModelRun:
    """What one TLC run of a model checks (the cfg's contents)."""

    invariants: list[str] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)  # action and temporal properties
    check_deadlock: bool = True
    expected: list[str] = field(default_factory=list)  # comment lines
    symmetry: bool = True  # False: no SYMMETRY even if the model declares one


@dataclass
class Export:
    """The rendered TLA+ files of one spec, by file name, and its source map."""

    spec: ir.Spec
    module: str
    files: dict[str, str]
    sourcemap: SourceMap
    renderer: Renderer = field(repr=False)


def _block_text(items: list, indent: int = 4) -> tuple[str, list[tuple[int, str]]]:
    """A conjunction list as the indented body of a definition, and the spec
    position of its lines."""
    lines = layout(Conj(items), indent)
    text = "\n".join(" " * indent + ln if i == 0 else ln for i, (ln, _) in enumerate(lines))
    return text, [(i, s) for i, (_, s) in enumerate(lines) if s]


def render_module(spec: ir.Spec, root: str | None = None) -> tuple[str, SourceMap, Renderer]:
    """The TLA+ module of a spec, its source map and the renderer (which knows
    the generated names the model modules need)."""
    r = Renderer(spec, root)
    spec_src = r.src(spec.span)
    # the model modules (MC_<model>.tla) render constants, bindings and
    # constraints with this module's helpers (MinOf, ...): they must be
    # defined here, so render those expressions once for their helpers
    c = r.ctx()
    for e in [k.default for k in spec.consts if k.default is not None] + \
            [v for m in spec.models for _, v in m.constants] + \
            [m.constraint for m in spec.models if m.constraint is not None] + \
            [d.body for m in spec.models for d in m.defs]:
        try:
            r.expr(e, c)
        except ExportError:
            pass  # reported where the model module renders it
    defs = [r.render_def(d) for d in r.def_order()]
    assumes = [r.assumption_block(a) for a in spec.assumptions]
    recursive = r.recursive_decls()
    init_text, init_lines = _block_text(r.init_items())
    steps = [r.step_operator(s) for s in spec.steps]
    process_ops = [b for p in spec.processes if (b := r.process_operator(p)) is not None]
    process_ops += [b for d in spec.fairness if (b := r.fairness_operator(d)) is not None]
    next_items = r.next_items()
    terminating = r.terminating()
    fairness = r.fairness_items()
    typeok_items = r.typeok_items()
    typeok, _ = _block_text(typeok_items or [Atom("TRUE")])
    props = []
    prop_blocks = []
    for p in spec.properties:
        b = r.property_block(p)
        prop_blocks.append(b)
        props.append({"comment": b.comment, "doc": comment_lines(p.doc), "text": b.text, "name": b.name})
    constants = []
    if r.uses_none:
        constants.append({"name": r.none, "comment": "none"})
    for name, (sort, value) in r.model_values.items():
        constants.append({"name": name, "comment": f"{sort}.{value}"})
    for sort in r.sorts_in_types:
        constants.append({"name": sort_values_name(sort), "comment": f"every value of sort {sort} in the model (TypeOK)"})
    for c in spec.consts:
        constants.append({"name": r.tla(c.name), "comment": f"{r.src(c.span)}: {c.type}"})
    variables = [{"name": v.tla, "comment": _var_comment(r, v)} for v in r.state_vars]
    text = TEMPLATES.get_template("module.tla.j2").render(
        module=spec.name, spec_file=spec_src.rsplit(":", 1)[0], spec_src=spec_src,
        doc=comment_lines(spec.doc), renamed=r.renamed(), extends=EXTENDS, constants=constants,
        variables=variables, helpers=r.helper_texts(), recursive=recursive, defs=defs, init=init_text,
        assumes=[{"comment": b.comment, "doc": comment_lines(b.doc), "text": b.text} for b in assumes],
        steps=steps, process_ops=process_ops, terminating=terminating, next=next_items, fairness=fairness,
        typeok=typeok, properties=props, names=r.names.gen,
    )
    sm = r.sourcemap()
    init = r.gen("Init")
    sm.add_lines(spec.name, _line_map(text, [Block(init, f"{init} ==\n" + init_text, spec_src,
                                                   lines=[(i + 1, s) for i, s in init_lines])]
                                      + defs + assumes + steps + process_ops + prop_blocks))
    for i, ln in enumerate(text.split("\n")):
        for b in assumes:
            if ln == b.text.split("\n", 1)[0]:
                sm.assume_lines[(spec.name, i + 1)] = b.name
    return text, sm, r


def _var_comment(r: Renderer, v) -> str:
    if v.kind == "var":
        return f"{v.key}: {v.type}"
    if v.kind == "local":
        return f"{v.key}: {v.type}" + (f" (per {v.process} instance)" if v.indexed else "")
    return f"{v.key}: the label of process {v.process}" + (" (per instance)" if v.indexed else "")


def _line_map(text: str, blocks: list[Block]) -> list[tuple[int, str]]:
    """(module line, spec position) for each recorded line of each block."""
    lines = text.split("\n")
    index = {}
    for i, ln in enumerate(lines):
        if " ==" in ln and not ln.startswith((" ", "\\*")):
            index.setdefault(ln, i + 1)
    out = []
    for b in blocks:
        first = b.text.split("\n", 1)[0]
        start = index.get(first)
        if start is None:
            continue
        out.append((start, b.comment))
        for rel, src in b.lines:
            out.append((start + rel, src))
    return out


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


def model_values_of(model: ir.Model, r: Renderer) -> dict[str, tuple[str, str]]:
    """Model values a model's bindings and constraint use that the spec module does not declare."""
    found = {}
    for e in iter_exprs((model.constants, model.constraint)):
        if isinstance(e, ir.SortValue):
            n = mv_name(e.sort, e.name)
            if n not in r.model_values:
                found[n] = (e.sort, e.name)
    return dict(sorted(found.items()))


def default_run(spec: ir.Spec, model: ir.Model) -> ModelRun:
    """The committed cfg of a model: every property it checks."""
    run = ModelRun(check_deadlock=model.deadlock != "ignore")
    for chk in model.checks:
        prop = spec.prop(chk.property)
        (run.invariants if prop.kind == "invariant" else run.properties).append(prop.name)
    run.expected = expectations(model)
    run.symmetry = not checks_liveness(spec, run.properties)
    return run


def checks_liveness(spec: ir.Spec, properties: list[str]) -> bool:
    """Does a run of these properties check liveness?  Then it runs without
    symmetry: a reduced graph can hide a liveness violation, and can show a
    lasso that is none (docs/semantics.md, Models)."""
    from .refinement import is_liveness

    return any(is_liveness(spec.prop(n)) for n in properties if n in {p.name for p in spec.properties})


#: The cfg comment of a run that drops the model's symmetry.
NO_SYMMETRY_NOTE = "symmetry: not used in this run (liveness is checked without symmetry)"


def expectations(model: ir.Model) -> list[str]:
    out = [f"expected: {c.property} {c.expected}" for c in model.checks]
    out.append(f"expected: deadlock {model.deadlock}" if model.deadlock != "ignore" else "deadlock: not checked")
    return out


def render_model(spec: ir.Spec, r: Renderer, model: ir.Model, run: ModelRun | None = None,
                 mc_name: str | None = None) -> tuple[str, str]:
    """``MC_<model>.tla`` and its ``.cfg`` for one run of a model."""
    run = run or default_run(spec, model)
    mc = mc_name or f"MC_{model.name}"
    c = r.ctx()
    own_mvs = model_values_of(model, r)
    all_mvs = {**r.model_values, **own_mvs}
    definitions: list[dict] = []
    cfg_consts: list[str] = []
    if r.uses_none:
        cfg_consts.append(f"{r.none} = {r.none}")
    for name in sorted(all_mvs):
        cfg_consts.append(f"{name} = {name}")
    for sort in r.sorts_in_types:
        vals = sorted(n for n, (s, _) in all_mvs.items() if s == sort)
        cfg_consts.append(f"{sort_values_name(sort)} = {{{', '.join(vals)}}}")
    model_src = r.src(model.span)
    for cname, value in model.constants:
        if isinstance(value, ir.SortValue):
            cfg_consts.append(f"{r.tla(cname)} = {mv_name(value.sort, value.name)}")
            continue
        d = const_def_name(cname)
        definitions.append({"comment": f"{r.src(value.span)}: {cname}", "text": f"{d} == {r.expr(value, c)}"})
        cfg_consts.append(f"{r.tla(cname)} <- {d}")
    for d in model.defs:
        # TLC replaces the module's operator by the model's (``f <- def_f_``)
        block = r.render_def(d, name=def_override_name(d.name))
        definitions.append({"comment": f"{r.src(d.span)}: {d.name} in model {model.name}", "text": block.text})
        cfg_consts.append(f"{r.tla(d.name)} <- {def_override_name(d.name)}")
    constraint = None
    if model.constraint is not None:
        constraint = r.gen("StateConstraint")
        definitions.append({"comment": f"{r.src(model.constraint.span)}: state constraint of model {model.name}",
                            "text": f"{constraint} == {r.expr(model.constraint, c)}"})
    symmetry = None
    expected = list(run.expected)
    if model.symmetry and not run.symmetry:
        expected.append(NO_SYMMETRY_NOTE)
    if model.symmetry and run.symmetry:
        perms = " \\cup ".join(f"Permutations({s})" for s in model.symmetry)
        symmetry = r.gen("Symmetry")
        definitions.append({"comment": f"{model_src}: symmetry of model {model.name}",
                            "text": f"{symmetry} == {perms}"})
    mvs = [{"name": n, "comment": f"{s}.{v}"} for n, (s, v) in own_mvs.items()]
    spec_file = r.src(spec.span).rsplit(":", 1)[0]
    tla = TEMPLATES.get_template("mc.tla.j2").render(
        module=mc, spec_file=spec_file, model=model.name, doc=comment_lines(model.doc),
        spec_module=spec.name, model_values=mvs, definitions=definitions)
    cfg = TEMPLATES.get_template("mc.cfg.j2").render(
        spec_file=spec_file, model=model.name, expected=expected, specification=r.gen("Spec"),
        constants=cfg_consts, invariants=[r.check_name(n) for n in run.invariants],
        properties=[r.check_name(n) for n in run.properties], constraint=constraint, symmetry=symmetry,
        check_deadlock=run.check_deadlock)
    return tla, cfg


def export_spec(spec: ir.Spec, models: list[str] | None = None, root: str | None = None) -> Export:
    """Render a spec's module and the MC files of its models (all by default)."""
    text, sm, r = render_module(spec, root)
    for m in spec.models:
        if f"MC_{m.name}" == spec.name:
            raise ExportError(f"model '{m.name}' would be exported as module MC_{m.name}, the spec's own name")
    files = {f"{spec.name}.tla": text}
    # the modules its refinements instantiate (docs/tla.md, Refinement)
    from .refinement import abstract_modules

    for fname, mod in abstract_modules(spec, root).items():
        if any(fname == f"MC_{m.name}.tla" for m in spec.models):
            raise ExportError(f"the abstract spec's module {fname} would have the name of the module of a model")
        files[fname] = mod
    for m in spec.models:
        if models is not None and m.name not in models:
            continue
        tla, cfg = render_model(spec, r, m)
        files[f"MC_{m.name}.tla"] = tla
        files[f"MC_{m.name}.cfg"] = cfg
    return Export(spec, spec.name, files, sm, r)


# --------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename;
    returns False (and leaves the file alone) when it already holds those bytes."""
    return files.write_atomic(path, text, if_changed=True, parents=True)


def write_tree(out_dir: Path, tree: dict[str, str], prune: bool = False) -> tuple[list[Path], list[Path]]:
    """Write ``tree`` (relative path -> text) under ``out_dir``, swapped in as
    a whole (:func:`pyspec.files.write_tree`); with ``prune``, files earlier
    exports wrote that this one does not are removed (never a hand-written
    file).  Returns (written, removed)."""
    return files.write_tree(out_dir, tree, prune)


def output_subdir(spec_path: str, roots: list[str]) -> str:
    """Where a spec's files go under the output directory: its path relative
    to the directory it was found under (or to ``spec/``), without suffix."""
    p = Path(spec_path).resolve()
    for r in [*roots, "spec"]:
        rp = Path(r).resolve()
        if rp.is_dir():
            try:
                return p.relative_to(rp).with_suffix("").as_posix()
            except ValueError:
                continue
    return p.stem


__all__ = ["Export", "ExportError", "ModelRun", "export_spec", "render_module", "render_model",
           "write_atomic", "write_tree", "output_subdir", "default_run", "expectations"]
