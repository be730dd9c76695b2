"""Paths and helpers shared by the TLA+/TLC tests (imported by test modules;
fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
FIXTURES = HERE / "fixtures"


def jar_or_none() -> Path | None:
    j = os.environ.get("TLA2TOOLS_JAR")
    if j and Path(j).is_file() and shutil.which("java"):
        return Path(j)
    return None


def spec_paths() -> list[str]:
    """The test specs, as paths relative to the repository root (the tests' cwd)."""
    return sorted(p.relative_to(HERE.parents[1]).as_posix() for p in SPECS.glob("*.pyspec"))


def example_paths() -> list[str]:
    root = HERE.parents[1]
    return sorted(p.relative_to(root).as_posix() for p in (root / "spec").rglob("*.pyspec"))
