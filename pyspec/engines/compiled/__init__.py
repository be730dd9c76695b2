"""The compiled engine: the breadth-first search in machine code (numba).

:func:`explore` has the contract of :func:`pyspec.engines.embedded.bfs.explore`
(same counts, verdicts and counterexamples); the spec's meaning stays in
the generated Python functions, which fill the compiled loop's memo tables
(:mod:`.kernel`, :mod:`.search`, docs/checker.md).  :func:`available`
tells whether the compiled functions can be loaded here (:mod:`.library`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # this module imports neither numba nor the loop: `auto` asks it first
    from ...compile import CompiledModel


def available() -> str | None:
    """None when the compiled engine can run here, else why not.  Its
    functions come from the module compiled ahead of time (built at the
    first call on a machine), or else from numba (:mod:`.library`)."""
    from .library import library

    try:
        library()
    except Exception as e:  # noqa: BLE001 - any import failure means: not here
        return f"numba cannot be imported ({type(e).__name__}: {e})"
    return None


class Unsupported(Exception):
    """The model or the options need the Python engine (the message says why)."""


class Fallback(Exception):
    """Met during the search: the Python engine must run it (the message says why)."""


def unsupported_reason(cm: CompiledModel) -> str | None:
    """Why the compiled engine cannot search this model or build its state
    graph (None: it can; numba is not asked).  Every property it checks
    (invariants, action properties, refinements, liveness's graph) it runs."""
    if not cm.spec.processes:
        return "the model has no process"
    return None
