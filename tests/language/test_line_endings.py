"""A spec with CRLF (Windows) or CR-only (old Mac) line endings reads as one
with LF, and its diagnostics point at the same lines and columns."""

from __future__ import annotations

import pytest

from pyspec import cli

SPEC = "spec T\nvar x: int = 0\nprocess p:\n    s:\n        x = 1\ninvariant I: x >= 0\nmodel m:\n    check I\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path, capsys, newline):
    p = tmp_path / "t.pyspec"
    p.write_bytes(SPEC.replace("\n", newline).encode())
    assert cli.main(["lint", str(p)]) == 0
    assert cli.main(["check", str(p)]) == 0
    bad = tmp_path / "bad.pyspec"
    bad.write_bytes(SPEC.replace("x >= 0", "x >= nope").replace("\n", newline).encode())
    capsys.readouterr()
    assert cli.main(["lint", str(bad)]) == 2
    assert f"{bad}:6:19: error: undefined name 'nope'" in capsys.readouterr().err
