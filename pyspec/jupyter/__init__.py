"""pyspec in Jupyter (docs/jupyter.md).

- ``%load_ext pyspec``: the ``%%pyspec`` and ``%pyspec_tla`` magics (:mod:`.magic`);
- :class:`CheckView`, :class:`TlaView`: check results and TLA+ exports that
  render inline (:mod:`.view`), for notebooks that call the Python API;
- ``pyspec jupyter install``: registers the tlaplus-jupyter TLA+ kernel with
  the ``tla2tools.jar`` pyspec resolves (:mod:`.kernelspec`, :mod:`.tla_kernel`).

Only the magics need IPython, and only the kernel needs the ``jupyter``
extra; importing this package needs neither.
"""

from __future__ import annotations

from .view import CheckView, ErrorView, TlaView

__all__ = ["CheckView", "ErrorView", "TlaView", "load_ipython_extension"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext pyspec`` (or ``%load_ext pyspec.jupyter``)."""
    from .magic import load_ipython_extension as load

    load(ipython)
