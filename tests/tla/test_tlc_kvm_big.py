"""The KVM benchmark models (big, big3) give their declared outcomes under
TLC.  TLC takes many minutes per model: marked ``slow`` and not ``tlc``, so
that ``pytest -m 'tlc or not slow'`` leaves them out; ``pytest -m slow
tests/tla/test_tlc_kvm_big.py`` runs them (skipped without TLA2TOOLS_JAR)."""

from __future__ import annotations

import pytest
from test_tlc_run import kvm_models

import pyspec
from pyspec.engines.tlc.run import Options, check_model, met

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path,model", kvm_models(big=True))
def test_kvm_big_model_gives_expected_outcome(tlc_tools, path, model):
    spec = pyspec.load(path)
    for job, rep in check_model(spec, spec.model(model), tlc_tools, opts=Options(workers="auto"), spec_path=path):
        assert met(job, rep), f"{path} {model} [{job.name}]: {rep.verdict} {rep.property} {rep.message or ''}"
