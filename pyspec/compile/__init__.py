"""IR -> Python: the compiled model that the embedded engine explores.

``compile_model(spec, model_name)`` returns a :class:`CompiledModel`: initial
states, successors with the step that produced them, invariant and action
predicates, and the conversion between packed states and spec values.
"""

from .codegen import CompileError
from .model import CompiledModel, Fairness, StepInfo, TemporalLeaf, compile_model
from .runtime import EvalError

__all__ = ["compile_model", "CompiledModel", "StepInfo", "Fairness", "TemporalLeaf", "CompileError", "EvalError"]
