"""The compiled engine: the breadth-first search in machine code (numba).

:func:`explore` has the contract of :func:`pyspec.engines.embedded.bfs.explore`
(same counts, verdicts and counterexamples); the spec's meaning stays in
the generated Python functions, which fill the compiled loop's memo tables
(:mod:`.kernel`, :mod:`.search`, docs/checker.md).  :func:`available`
tells whether numba can be imported here.
"""

from __future__ import annotations


def available() -> str | None:
    """None when the compiled engine can run here, else why not."""
    try:
        import numba  # noqa: F401
    except Exception as e:  # noqa: BLE001 - any import failure means: not here
        return f"numba cannot be imported ({type(e).__name__}: {e})"
    return None
