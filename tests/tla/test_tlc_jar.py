"""Finding tla2tools.jar and java; the pinned download refuses a wrong file."""

from __future__ import annotations

import hashlib
import io

import pytest

from pyspec.engines.tlc import jar as J


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    monkeypatch.delenv(J.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def test_resolution_order_option_env_cache(no_env, monkeypatch):
    a, b, c = (no_env / n for n in ("a.jar", "b.jar", "c.jar"))
    for p in (a, b):
        p.write_bytes(b"jar")
    cache = J.cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"jar")
    monkeypatch.setenv(J.ENV_VAR, str(b))
    assert J.resolve_jar(str(a)) == a
    assert J.resolve_jar(None) == b
    monkeypatch.delenv(J.ENV_VAR)
    assert J.resolve_jar(None) == cache
    assert cache == no_env / "cache" / "pyspec" / "tla2tools.jar"


def test_missing_jar_names_the_three_options(no_env, monkeypatch):
    monkeypatch.setenv(J.ENV_VAR, str(no_env / "nope.jar"))
    with pytest.raises(J.ToolMissing) as e:
        J.resolve_jar(None)
    text = str(e.value)
    assert "nope.jar, which is not a file" in text
    assert "--jar" in text and J.ENV_VAR in text and "make tla2tools" in text


def test_missing_java_is_a_clear_message(no_env, monkeypatch):
    monkeypatch.setattr(J.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(J.ToolMissing, match="Java was not found"):
        J.resolve_java()


def test_main_without_jar_exits_3(no_env, capsys):
    assert J.main([]) == 3
    assert "make tla2tools" in capsys.readouterr().err


def test_download_verifies_checksums_before_installing(no_env, monkeypatch):
    payload = b"not the real jar"
    monkeypatch.setattr(J.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    dest = no_env / "dl" / "tla2tools.jar"
    with pytest.raises(J.ToolMissing, match="does not match the pinned"):
        J.download(dest)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no partial file left behind


def test_download_installs_a_matching_file(no_env, monkeypatch):
    payload = b"pretend jar"
    monkeypatch.setattr(J, "SHA256", hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(J, "SHA1", hashlib.sha1(payload).hexdigest())
    monkeypatch.setattr(J.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    dest = no_env / "dl" / "tla2tools.jar"
    assert J.download(dest) == dest
    assert dest.read_bytes() == payload


def test_pin_is_complete():
    assert J.URL.endswith(f"/v{J.VERSION}/tla2tools.jar") and J.URL.startswith("https://github.com/tlaplus/")
    assert len(J.SHA256) == 64 and len(J.SHA1) == 40
