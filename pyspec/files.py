"""Writing the files a user owns, safely.

- :func:`write_atomic`: a file is written to a temporary file in the same
  folder and renamed over the target, so that a kill leaves the old file or
  the new one, never a truncated one.  Temporary files are named
  ``.<name>.<pid>-<random>.tmp``; those of processes that are gone (killed
  writes) are removed the next time the same file is written.
- :func:`check_not_input`: an output path that is one of the inputs (the
  spec being checked, a file it extends) is refused, before anything runs.
- :func:`write_tree`: a folder of generated files (``pyspec tla -o DIR``) is
  built next to DIR and swapped in, so that DIR holds the old export or the
  new one, never a mix; a manifest in DIR lists the files pyspec wrote, and
  only those are ever replaced or removed (hand-written files stay).
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

#: The manifest of a generated folder: the files pyspec wrote there.
MANIFEST = ".pyspec-manifest.json"


class OutputError(Exception):
    """An output path that must not be written (it is an input); bad input."""


# --------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files of killed writes of ``path``."""
    removed = []
    prefix = f".{path.name}."
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        name = p.name
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):-4].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                if p.is_dir():
                    shutil.rmtree(p)
                else:
                    p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


def write_atomic(path: str | os.PathLike, data: str | bytes | list[bytes], *, if_changed: bool = False,
                 parents: bool = False) -> bool:
    """Write ``data`` to ``path`` through a temporary file in the same folder
    and a rename.  With ``if_changed``, leave a file that already holds
    these bytes alone and return False; with ``parents``, create missing
    folders (else a missing folder is an OSError, as for ``open``)."""
    path = Path(path)
    # a list of byte chunks is written one after the other (a checkpoint's
    # arrays are not concatenated in memory first)
    chunks = data if isinstance(data, list) else [data.encode("utf-8") if isinstance(data, str) else data]
    raw = b"".join(chunks) if if_changed or len(chunks) == 1 else None
    if if_changed:
        try:
            if path.read_bytes() == raw:
                return False
        except OSError:
            pass
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    if special:
        # a device, a pipe...: written in place, never replaced by a file
        # (`--html /dev/full` is a full disk, not a file to create in /dev)
        with open(path, "wb") as f:
            for c in chunks:
                f.write(c)
            f.flush()
        return True
    remove_stale_temps(path)
    tmp = _temp_name(path)
    try:
        with open(tmp, "xb") as f:
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def check_not_input(output: str | os.PathLike | None, inputs: Iterable[str | os.PathLike], what: str) -> None:
    """Refuse an output path that is one of the inputs (or a folder holding
    one, for a folder output that would be replaced)."""
    if output is None:
        return
    out = Path(output).resolve()
    for i in inputs:
        ip = Path(i).resolve()
        if ip == out or (out.exists() and ip.exists() and os.path.samefile(ip, out)):
            raise OutputError(f"{what} {output} is an input ({i}): refusing to overwrite it")


# --------------------------------------------------------------------------
# A folder of generated files
# --------------------------------------------------------------------------


def read_manifest(folder: Path) -> list[str]:
    """The files pyspec wrote in ``folder`` (relative paths); [] without a manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return []
    # only plain relative paths inside the folder
    return [f for f in files if isinstance(f, str) and f and not Path(f).is_absolute() and ".." not in Path(f).parts]


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False
    where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _check_tree_output(out: Path) -> None:
    """The whole folder is swapped: refuse one that is plainly not an export
    folder (the working directory or one above it, a repository's root)."""
    here, target = Path.cwd().resolve(), out.resolve()
    if target == here or target in here.parents:
        raise OutputError(f"output folder {out} holds the working directory: give a folder for the "
                          f"TLA+ files (e.g. -o tla)")
    if (target / ".git").exists():
        raise OutputError(f"output folder {out} is a repository's root: give a folder for the TLA+ files")


def write_tree(out_dir: str | os.PathLike, files: dict[str, str],
               prune: bool = False) -> tuple[list[Path], list[Path]]:
    """Write ``files`` (relative path -> text) under ``out_dir``, all at once.

    The new folder is built next to ``out_dir`` (every file of the old one
    that pyspec did not write is carried over), then swapped in.  With
    ``prune``, files that pyspec wrote earlier (the manifest) and that are not
    in ``files`` are removed; a file pyspec did not write is never removed or
    replaced... unless ``files`` names it (then it is replaced, as asked).
    Returns (written or changed, removed)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(20, "not a directory", str(out))
    up = next((u for u in out.parents if u.exists()), None)
    if up is not None and not up.is_dir():  # -o under a file: name the file, not the temporary folder
        raise NotADirectoryError(20, "not a directory", str(up))
    _check_tree_output(out)
    old_generated = set(read_manifest(out)) if out.is_dir() else set()
    remove_stale_temps(out)
    new_dir = _temp_name(out)
    written: list[Path] = []
    removed: list[Path] = []
    try:
        new_dir.mkdir(parents=True)
        keep = set(files)
        if out.is_dir():
            for p in sorted(out.rglob("*")):
                rel = p.relative_to(out).as_posix()
                if p.is_dir() or rel == MANIFEST or rel in keep:
                    continue
                if prune and rel in old_generated:
                    removed.append(out / rel)
                    continue
                target = new_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(p, target)
                except OSError:
                    shutil.copy2(p, target)
        for rel in sorted(files):
            target = new_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            raw = files[rel].encode("utf-8")
            target.write_bytes(raw)
            try:
                if (out / rel).read_bytes() != raw:
                    written.append(out / rel)
            except OSError:
                written.append(out / rel)
        # what pyspec has written in the folder: this export, and (without
        # prune) what earlier exports wrote and this one left in place
        generated = sorted(keep if prune else keep | old_generated)
        (new_dir / MANIFEST).write_text(json.dumps({"generator": "pyspec", "files": generated}, indent=1) + "\n",
                                        encoding="utf-8")
        if not written and not removed and out.is_dir() and set(read_manifest(out)) == set(generated):
            shutil.rmtree(new_dir)
            return written, removed
        if out.is_dir():
            if not _exchange(new_dir, out):
                # no atomic exchange here: two renames (a kill between them
                # leaves the old folder next to DIR, under its temporary name)
                aside = _temp_name(out)
                os.replace(out, aside)
                os.replace(new_dir, out)
                new_dir = aside
            shutil.rmtree(new_dir, ignore_errors=True)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new_dir, out)
    except BaseException:
        shutil.rmtree(new_dir, ignore_errors=True)
        raise
    return written, removed


__all__ = ["MANIFEST", "OutputError", "write_atomic", "remove_stale_temps", "check_not_input", "read_manifest",
           "write_tree"]
