"""Distributed TLC: one TLCServer and one TLCWorker on the loopback address
(slow: run with ``pytest -m slow tests/tla``)."""

from __future__ import annotations

import socket

import pytest

import pyspec
from pyspec.engines.tlc.run import Options, met, plan, run_job

pytestmark = [pytest.mark.slow, pytest.mark.tlc]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_and_worker_on_loopback(tlc_tools, tmp_path):
    spec = pyspec.load("spec/examples/peterson.pyspec")
    model = spec.model("two")
    job = next(j for j in plan(spec, model, "MutualExclusion"))
    opts = Options(distributed=True, local_workers=1, port=free_port(), keep=tmp_path, timeout=600)
    rep = run_job(spec, model, job, tlc_tools, opts)
    worker_log = (tmp_path / "worker0.out").read_text(errors="replace")
    if "NotSerializableException" in worker_log and "FPSet" in worker_log:
        pytest.skip("this TLC build cannot run distributed mode: its FPSet is no longer an RMI remote object "
                    "(upstream commit 6fde5a9ea, Feb 2026); use the pinned release (make tla2tools)")
    assert met(job, rep), (rep.verdict, rep.message)
    assert rep.distinct_states == 26  # the same state space as TLC's single-process run


def test_distributed_mode_refuses_temporal_properties(tlc_tools):
    spec = pyspec.load("spec/examples/peterson.pyspec")
    model = spec.model("two")
    job = plan(spec, model)[0]
    with pytest.raises(ValueError, match="invariants and deadlock only"):
        run_job(spec, model, job, tlc_tools, Options(distributed=True))
