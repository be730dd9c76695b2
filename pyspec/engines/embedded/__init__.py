"""The embedded explicit-state model checker.

- :func:`check`: one property (or all, stopping at the first violation), one report;
- :func:`check_model`: every declared check of a model, one report each;
- :func:`simulate`: random walks.

All work on the compiled model (:mod:`pyspec.compile`); see docs/checker.md.
"""

from .runner import check, check_model
from .simulate import simulate

__all__ = ["check", "check_model", "simulate"]
