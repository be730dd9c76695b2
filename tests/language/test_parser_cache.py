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
