"""Conformance: the bridge between a spec and an implementation.

- :mod:`.traces`: the trace format (JSON lines of events) and ITF import/export;
- :mod:`.validate`: trace validation against the compiled model, with partial
  observations; :mod:`.tlc_trace`: the same with TLC (a trace-validation
  TLA+ module);
- :mod:`.drive`: spec-driven testing (the model picks steps, an adapter makes
  the implementation perform them, refinement mappings must agree);
- :mod:`.replay`: driving an implementation along a counterexample.
"""

from .traces import Event, Trace, read_jsonl, read_trace, write_jsonl
from .validate import ValidationResult, validate

__all__ = ["Event", "Trace", "read_jsonl", "read_trace", "write_jsonl", "validate", "ValidationResult"]
