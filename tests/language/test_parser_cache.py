"""The parser cache (a pickle lark loads) is used only from a private folder
of this user's, and only when the file is this user's own."""

from __future__ import annotations

import os

import pytest

from pyspec.cache import ensure_cache_dir, own_file
from pyspec.language import parser


def test_cache_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = ensure_cache_dir()
    assert folder is not None and folder.stat().st_mode & 0o777 == 0o700


def test_a_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "pyspec").mkdir(mode=0o777)
    os.chmod(tmp_path / "pyspec", 0o777)
    assert ensure_cache_dir() is None
    assert parser._cache_file() is False


@pytest.mark.skipif(os.getuid() != 0, reason="changing a file's owner needs root")
def test_a_cache_file_of_another_user_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = parser._cache_file()
    assert path
    with open(path, "wb") as f:
        f.write(b"not a pickle of ours")
    os.chown(path, 12345, 12345)
    assert not own_file(type(tmp_path)(path))
    assert parser._cache_file() is False


def test_a_group_writable_cache_file_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = parser._cache_file()
    assert path
    with open(path, "wb") as f:
        f.write(b"x")
    os.chmod(path, 0o666)
    assert parser._cache_file() is False


def _owned_by_another_user(monkeypatch, target) -> None:
    """Make ``target`` look like another user's file (os.stat reports
    another owner): runs without root, unlike a real chown."""
    real = os.stat
    target = os.fspath(target)

    def stat(p, *args, **kwargs):
        st = real(p, *args, **kwargs)
        if os.fspath(p) == target:
            fields = list(st)
            fields[4] = st.st_uid + 1  # st_uid
            return os.stat_result(fields)
        return st

    monkeypatch.setattr(os, "stat", stat)


def test_a_cache_file_of_another_user_is_not_loaded_simulated(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = parser._cache_file()
    assert path
    with open(path, "wb") as f:
        f.write(b"not a pickle of ours")
    os.chmod(path, 0o600)
    assert own_file(type(tmp_path)(path))
    _owned_by_another_user(monkeypatch, path)
    assert not own_file(type(tmp_path)(path))
    assert parser._cache_file() is False


def test_a_cache_folder_of_another_user_is_not_used_simulated(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = ensure_cache_dir()
    assert folder is not None
    _owned_by_another_user(monkeypatch, folder)
    assert ensure_cache_dir() is None
    assert parser._cache_file() is False


def test_a_cached_jar_of_another_user_is_not_run(tmp_path, monkeypatch):
    """The downloaded TLC jar is in the cache too: one another user put
    there is not run (and the message says why)."""
    from pyspec.engines.tlc.jar import ENV_VAR, ToolMissing, cache_path, resolve_jar

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    jar = cache_path()
    jar.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    jar.write_bytes(b"PK\x03\x04 not really a jar")
    os.chmod(jar, 0o644)
    assert resolve_jar() == jar
    _owned_by_another_user(monkeypatch, jar)
    with pytest.raises(ToolMissing, match="belongs to another user"):
        resolve_jar()


def test_internal_error_log_is_not_written_into_a_folder_others_can_write(tmp_path, monkeypatch, capsys):
    import pyspec.commands.check as check_cmd
    from pyspec.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "pyspec").mkdir(mode=0o777)
    os.chmod(tmp_path / "pyspec", 0o777)

    def boom(args):
        raise ValueError("simulated bug")

    monkeypatch.setattr(check_cmd, "run", boom)
    assert main(["check", "spec/examples/counter.pyspec"]) == 3
    assert "no writable cache directory" in capsys.readouterr().err
    assert list((tmp_path / "pyspec").iterdir()) == []
