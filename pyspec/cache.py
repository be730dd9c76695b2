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
    """The cache directory, created if needed; None when it cannot be written."""
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


__all__ = ["cache_dir", "ensure_cache_dir"]
