"""The TLA+ Jupyter kernel of tlaplus-jupyter, run with pyspec's Java and jar.

``python -m pyspec.jupyter.tla_kernel -f CONNECTION_FILE`` is what the
kernelspec of ``pyspec jupyter install`` starts.  Cells behave as in
tlaplus-jupyter: a ``---- MODULE M ----`` cell is parsed by SANY and
remembered, a ``%tlc:M`` cell runs TLC on module M with the rest of the
cell as its configuration, anything else is a constant expression that TLC
evaluates.

Two differences from tlaplus-jupyter 0.1.1:

- ``java`` and ``tla2tools.jar`` are found as ``pyspec tlc`` finds them
  (``TLA2TOOLS_JAR``, which the kernelspec sets, then the per-user cache;
  ``JAVA_HOME`` then ``PATH``), not in tlaplus-jupyter's ``vendor/``
  directory; when either is missing a cell answers with what to do;
- ``do_execute`` takes its code as ``code``: ipykernel 7 passes the
  arguments by keyword, and 0.1.1 names the first one ``payload``.
"""

from __future__ import annotations

from tlaplus_jupyter.kernel import TLAPlusKernel

from ..engines.tlc.jar import ToolMissing, resolve


class PyspecTLAPlusKernel(TLAPlusKernel):
    implementation = "pyspec-tlaplus"

    def java_command(self) -> list[str]:
        tools = resolve()
        return [tools.java, "-XX:+UseParallelGC", "-cp", str(tools.jar)]

    async def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False):
        try:
            resolve()
        except ToolMissing as e:
            return self.respond_with_error(f"The TLA+ kernel cannot run TLC: {e}\n"
                                           "Then register the kernel again: pyspec jupyter install [--jar PATH]\n")
        return TLAPlusKernel.do_execute(self, code, silent, store_history, user_expressions, allow_stdin)


def main() -> None:
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=PyspecTLAPlusKernel)


if __name__ == "__main__":
    main()
