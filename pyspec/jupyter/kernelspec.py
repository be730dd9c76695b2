"""Registering the tlaplus-jupyter TLA+ kernel with pyspec's ``tla2tools.jar``.

tlaplus-jupyter (0.1.1) runs ``java -cp <its package>/vendor/tla2tools.jar``,
a jar its own installer downloads (TLC 1.6.0) into site-packages.  pyspec
never downloads at this point and never writes into another package: the
kernelspec it writes starts :mod:`pyspec.jupyter.tla_kernel` (the same
kernel, finding Java and the jar the way ``pyspec tlc`` does) and sets
``TLA2TOOLS_JAR`` in the kernel's environment to the jar pyspec resolved
(``--jar``, ``$TLA2TOOLS_JAR`` or the per-user cache), as an absolute path.

The kernel keeps tlaplus-jupyter's name, ``tlaplus_jupyter``, so notebooks
written for it (their metadata names that kernel) open with this one.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "tlaplus_jupyter"
DISPLAY_NAME = "TLA⁺ (pyspec)"
#: what the jupyter extra provides, and which of its parts needs each module
REQUIRED = (("jupyter_client", "jupyter-client"), ("ipykernel", "ipykernel"), ("tlaplus_jupyter", "tlaplus-jupyter"))
INSTALL_HINT = "pip install 'pyspec[jupyter]'"


class ExtraMissing(Exception):
    """The ``jupyter`` extra is not installed; the message says how to install it."""


def require_extra() -> None:
    """Raise :class:`ExtraMissing` unless the kernel's packages import."""
    missing = []
    for module, dist in REQUIRED:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise ExtraMissing(f"the Jupyter extra is not installed (missing: {', '.join(missing)}).\n"
                           f"Install it with:  {INSTALL_HINT}")


def kernel_json(jar: Path, python: str | None = None) -> dict:
    """The kernelspec: tlaplus-jupyter's with pyspec's kernel module and the
    jar in its environment.  (tlaplus-jupyter also writes "codemirror_mode"
    here, a key kernelspecs do not have; the kernel's language_info says it.)"""
    return {
        "argv": [python or sys.executable, "-m", "pyspec.jupyter.tla_kernel", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "tla",
        "env": {"TLA2TOOLS_JAR": str(jar)},
    }


def install(jar: Path, user: bool = True, prefix: str | None = None, name: str = KERNEL_NAME) -> Path:
    """Write the kernelspec for ``jar`` and install it (per user, or under
    ``prefix``/share/jupyter/kernels); return the directory it went to."""
    from jupyter_client.kernelspec import KernelSpecManager

    jar = Path(jar).expanduser().resolve()
    with tempfile.TemporaryDirectory() as td:
        Path(td).chmod(0o755)  # mkdtemp makes it 0700; the installed copy keeps the mode
        (Path(td) / "kernel.json").write_text(json.dumps(kernel_json(jar), indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        # tlaplus-jupyter's kernel.js: TLA+ syntax highlighting in the classic notebook
        import tlaplus_jupyter

        js = Path(tlaplus_jupyter.__file__).parent / "assets" / "kernel.js"
        if js.is_file():
            shutil.copy(js, td)
        dest = KernelSpecManager().install_kernel_spec(td, name, user=user and prefix is None, prefix=prefix)
    return Path(dest)
