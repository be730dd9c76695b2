"""The per-user cache directory (``$XDG_CACHE_HOME/pyspec``, else
``~/.cache/pyspec``): the lark parser cache, a downloaded TLC jar, logs of
internal errors.  Created private (mode 0700)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pyspec"


def ensure_cache_dir() -> Path | None:
    """The cache directory, created private (0700) if needed; None when it
    cannot be written, or when another user could have put files in it (a
    folder owned by someone else, or writable by group or others): what is
    loaded from it (the parser cache is a pickle) must be the user's own."""
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return None
    return folder if os.access(folder, os.W_OK) else None


def ensure_cache_subdir(name: str) -> Path | None:
    """A private folder ``name`` in the cache directory (created if
    needed), or None when it cannot be used (see :func:`ensure_cache_dir`)."""
    base = ensure_cache_dir()
    if base is None:
        return None
    folder = base / name
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    if not folder.is_dir() or not own_file(folder):
        return None
    return folder


def own_file(path: Path) -> bool:
    """Is ``path`` missing, or a file of this user that only this user can write?"""
    try:
        st = path.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


__all__ = ["cache_dir", "ensure_cache_dir", "ensure_cache_subdir"]
