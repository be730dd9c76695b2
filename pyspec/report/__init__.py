"""One report for every engine: data model, JSON schema and renderings."""

from .report import Report, TraceStep, validate_report

__all__ = ["Report", "TraceStep", "validate_report"]
