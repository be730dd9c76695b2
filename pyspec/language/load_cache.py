"""A cache of checked specs: ``pyspec.load`` of an unchanged spec unpickles
its IR instead of parsing and checking the files again (no lark, no checker).

One entry per spec path (with the working directory, the search path, the
Python version and pyspec's own code), in ``$XDG_CACHE_HOME/pyspec/specs/``,
private to the user like the rest of the cache (pyspec/cache.py).  An entry
holds what the load read and looked for, then the result:

- every file read (its path as the load named it and a hash of its bytes):
  the spec and each file it extends or imports (``import ... as`` included);
- every candidate file the load looked for (``extends base``: ``base.pyspec``
  next to the importer, then along the search path) and whether it was there,
  so that a new file earlier in that order is seen;
- the pickled ``(Spec, Diagnostics)``: its warnings print the same on a hit.

An entry is used only when every file still has the same bytes and every
candidate is still there or still missing; else the spec loads as usual and
the entry is replaced.  pyspec's code is part of the key as the sizes and
modification times of the package's ``.py`` and ``.lark`` files (one stat per
file, about 1 ms per process; hashing their 1.5 MB of text takes 5 ms): an
edit of pyspec's code, an upgrade or a checkout of other code changes them.

Only loads without errors are stored; the newest :data:`KEEP` entries are
kept.  A damaged, unreadable or foreign-owned entry is ignored (the spec loads
as usual); ``PYSPEC_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path

#: The environment variable that turns the cache off (any value but "" and "0").
ENV_VAR = "PYSPEC_NO_CACHE"
#: Entries kept (the most recently used): specs and what was computed from them.
KEEP = 128
#: Bumped when the layout of an entry changes.
FORMAT = 1
_MAGIC = b"pyspec-load-cache"


def enabled() -> bool:
    return os.environ.get(ENV_VAR, "") in ("", "0")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


class Recorder:
    """What one load read (path -> hash of the bytes) and looked for
    (candidate path -> was it a file); filled by loader.py."""

    __slots__ = ("reads", "probes")

    def __init__(self) -> None:
        self.reads: dict[str, str] = {}
        self.probes: dict[str, bool] = {}


_code_key: str | None = None


def _code_fingerprint() -> str:
    """pyspec's code: the path, size and modification time of each of the
    package's .py and .lark files (computed once per process)."""
    global _code_key
    if _code_key is None:
        root = str(Path(__file__).resolve().parent.parent)
        h = hashlib.blake2b(digest_size=20)
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                try:
                    if e.is_dir(follow_symlinks=False):
                        if e.name != "__pycache__":
                            stack.append(e.path)
                    elif e.name.endswith((".py", ".lark")):
                        st = e.stat()
                        h.update(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
                except OSError:
                    h.update(f"{e.path}\0?\n".encode())
        _code_key = h.hexdigest()
    return _code_key


def _folder() -> Path | None:
    from ..cache import ensure_cache_subdir

    return ensure_cache_subdir("specs")


def _entry_key(path: str, search_path: tuple[str, ...]) -> str:
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "?"
    parts = [str(FORMAT), sys.version, sys.implementation.cache_tag or "", _code_fingerprint(), cwd, path,
             *search_path]
    return digest("\0".join(parts).encode("utf-8", "surrogateescape"))


def _entry(path: str, search_path: tuple[str, ...]) -> tuple[Path, str] | None:
    folder = _folder()
    if folder is None:
        return None
    key = _entry_key(path, search_path)
    return folder / f"{key}.pickle", key


def _open_own(where: tuple[Path, str] | None):
    """``(the entry's file open for reading, its key)`` when it is this
    user's own file (pyspec/cache.py), else None."""
    if where is None:
        return None
    file, key = where
    from ..cache import own_file

    if not own_file(file):
        return None
    return open(file, "rb"), key


def _touch(file: str) -> None:
    """Recently used: kept by the pruning."""
    try:
        os.utime(file)
    except OSError:
        pass


def _fresh(reads: dict[str, str], probes: dict[str, bool]) -> bool:
    for cand, was_file in probes.items():
        if os.path.isfile(cand) != was_file:
            return False
    for file, want in reads.items():
        try:
            with open(file, "rb") as f:
                data = f.read()
        except OSError:
            return False
        if digest(data) != want:
            return False
    return True


def lookup(path: str, search_path: tuple[str, ...]):
    """The cached ``(Spec, Diagnostics)`` of ``path`` when still valid, else None."""
    try:
        opened = _open_own(_entry(path, search_path))
        if opened is None:
            return None
        f, key = opened
        with f:
            head = pickle.load(f)
            if (not isinstance(head, tuple) or len(head) != 4 or head[0] != _MAGIC or head[1] != key
                    or not _fresh(head[2], head[3])):
                return None
            payload = f.read()
        spec, diags = pickle.loads(payload)
        from ..diagnostics import Diagnostics
        from ..ir.nodes import Spec

        if not isinstance(spec, Spec) or not isinstance(diags, Diagnostics):
            return None
        _touch(f.name)
        _remember(spec, digest(payload))
        return spec, diags
    except Exception:  # noqa: BLE001 - a damaged entry is a miss, never an error
        return None


def store(path: str, search_path: tuple[str, ...], rec: Recorder, spec, diags) -> None:
    """Save a successful load."""
    try:
        where = _entry(path, search_path)
        if where is None:
            return
        file, key = where
        head = (_MAGIC, key, rec.reads, rec.probes)
        payload = pickle.dumps((spec, diags), protocol=pickle.HIGHEST_PROTOCOL)
        _write(file, pickle.dumps(head, protocol=pickle.HIGHEST_PROTOCOL) + payload)
        _remember(spec, digest(payload))
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache
        pass


def _write(file: Path, data: bytes) -> None:
    """Write ``data`` to ``file`` atomically (a temporary file, then a rename);
    prune the folder."""
    import tempfile

    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, file)
        tmp = None
        _prune(file.parent)
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(folder: Path) -> None:
    import time

    entries = []
    stale = time.time_ns() - 3600 * 10**9  # temporary files of a process that died writing
    with os.scandir(folder) as it:
        for e in it:
            if not e.name.endswith(".pickle"):
                continue
            try:
                mtime = e.stat(follow_symlinks=False).st_mtime_ns
            except OSError:
                continue
            if not e.name.startswith(".tmp-"):
                entries.append((mtime, e.path))
            elif mtime < stale:
                try:
                    os.unlink(e.path)
                except OSError:
                    pass
    if len(entries) <= KEEP:
        return
    entries.sort(reverse=True)
    for _, p in entries[KEEP:]:
        try:
            os.unlink(p)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# What is computed from a loaded spec (compile_model's pre-run: the widths of
# the layout), cached beside it: keyed by the bytes of the cached spec.
# ---------------------------------------------------------------------------

#: id(spec) -> (spec, digest of its pickle in the cache), for the specs this
#: process loaded through the cache (the spec is kept: its id stays its own).
_DIGESTS: dict[int, tuple[object, str]] = {}


def _remember(spec, spec_digest: str) -> None:
    if len(_DIGESTS) >= 64:
        _DIGESTS.clear()
    _DIGESTS[id(spec)] = (spec, spec_digest)


def spec_digest(spec) -> str | None:
    """The digest of ``spec`` as the cache holds it; None for a spec that
    did not come through the cache (loaded from text, or the cache is off)."""
    got = _DIGESTS.get(id(spec))
    return got[1] if got is not None and got[0] is spec else None


def _derived_entry(spec, what: str) -> tuple[Path, str] | None:
    d = spec_digest(spec)
    if d is None or not enabled():
        return None
    folder = _folder()
    if folder is None:
        return None
    key = digest("\0".join((str(FORMAT), sys.version, _code_fingerprint(), d, what,
                            os.environ.get("PYTHONHASHSEED", ""))).encode("utf-8", "surrogateescape"))
    return folder / f"{key}.pickle", key


def derived_lookup(spec, what: str):
    """``(value,)`` as :func:`derived_store` saved it for this spec, else None."""
    try:
        opened = _open_own(_derived_entry(spec, what))
        if opened is None:
            return None
        f, key = opened
        with f:
            got = pickle.load(f)
        if not isinstance(got, tuple) or len(got) != 3 or got[0] != _MAGIC or got[1] != key:
            return None
        _touch(f.name)
        return (got[2],)
    except Exception:  # noqa: BLE001 - a damaged entry is a miss
        return None


def derived_store(spec, what: str, value) -> None:
    try:
        where = _derived_entry(spec, what)
        if where is not None:
            file, key = where
            _write(file, pickle.dumps((_MAGIC, key, value), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001
        pass
