"""The HTML report as a browser renders it: headless Chromium loads the page
from a file (no network), every step label is in the rendered DOM, and a
screenshot is drawn.  Skipped when /usr/bin/chromium is not installed."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from htmlcheck import parse

import pyspec
from pyspec.engines.embedded import check
from pyspec.report.html import write_html

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                                                              "(apt-get install chromium to run this test)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    spec = pyspec.load("spec/examples/counter.pyspec")
    report = check(spec, "race", property="BothCounted")
    path = tmp_path_factory.mktemp("page") / "counter.html"
    write_html(path, [report], spec)
    return path, report


def test_rendered_dom_has_every_step_label(page, tmp_path):
    path, report = page
    res = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    dom = parse(res.stdout)
    labels = [n.all_text() for n in dom.root.walk() if "step-label" in n.classes()]
    assert labels == [st.label for st in report.trace if st.process is not None]
    lanes = [n.all_text() for n in dom.root.walk() if "lane-title" in n.classes()]
    assert lanes == ["inc[1]", "inc[2]"]


def test_screenshot(page, tmp_path):
    path, _ = page
    shot = tmp_path / "shot.png"
    res = chromium(tmp_path, "--hide-scrollbars", "--window-size=1000,900", f"--screenshot={shot}", path.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (1000, 900)
    assert len(data) > 20_000  # a drawn page, not a blank one
