"""Shared fixtures of the TLA+ export and TLC runner tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tla_helpers import jar_or_none


@pytest.fixture(scope="session")
def tlc_jar() -> Path:
    """tla2tools.jar from TLA2TOOLS_JAR; the test is skipped (visibly, see -rs) without it."""
    jar = jar_or_none()
    if jar is None:
        pytest.skip("TLC not available: set TLA2TOOLS_JAR to tla2tools.jar (and have java on PATH) "
                    "to run the TLC tests")
    return jar


@pytest.fixture(scope="session")
def tlc_tools(tlc_jar):
    from pyspec.engines.tlc.jar import resolve

    return resolve(str(tlc_jar))
