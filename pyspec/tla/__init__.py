"""TLA+ export: spec IR -> TLA+ modules and TLC model configurations."""

from .export import Export, ModelRun, export_spec, render_model, render_module
from .render import ExportError
from .sourcemap import SourceMap

__all__ = ["Export", "ExportError", "ModelRun", "SourceMap", "export_spec", "render_model", "render_module"]
