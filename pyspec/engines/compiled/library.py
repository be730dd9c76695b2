"""The compiled functions the driver calls (:mod:`.search`, :mod:`.sets`,
:mod:`.scc`, the liveness check): from a module compiled ahead of time
once per machine, or from numba's JIT.

Why a module built ahead of time: numba's start-up is paid by every process
that runs the compiled loop, even with numba's on-disk cache: its import
(0.1-0.25 s) and the first load of the loop's machine code (its typing and
lowering registries, linking: 0.2-0.3 s), about 0.45 s of v2 big's 1.1 s.
numba's ahead-of-time compiler (``numba.pycc``) builds the same functions,
from the same source, into a CPython extension module that imports in
milliseconds and needs no numba when it runs. It is built on the first
compiled search of a machine (instead of numba compiling the loop then), in
a child process, beside numba's cache
(``pyspec/engines/compiled/__pycache__``, or ``~/.cache/pyspec/compiled``
where the package cannot be written), under a name that hashes the compiled
modules' sources and numpy's version: an edit of the loop builds a new one
(``PYSPEC_COMPILED_DIR`` chooses another folder). Where it cannot be built
(no C compiler, a numba without ``pycc``) the functions are numba's JIT
dispatchers, with numba's own cache, as before; ``PYSPEC_COMPILED=jit`` asks
for those.

The functions' types are declared here, once (:data:`PARAM_TYPES`: every
parameter name of the entry points means one type), for the build, and
checked on every call of the built module: its wrappers convert what
they get without checking it (an array of another dtype would be read as
this one), so a call whose arguments do not have the declared types goes
to the JIT dispatcher instead (and ``mismatches`` counts it; the tests
keep it at zero).  tests/engines/test_library.py checks that the
declarations are what numba infers from the driver's real calls.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

#: the functions the driver calls, by the module that defines them
ENTRY_POINTS: dict[str, tuple[str, ...]] = {
    "kernel": ("run", "rehash_states", "add_states", "step_memo_rehash", "memo_rehash", "memo_insert_steps",
               "memo_insert_preds", "memo_insert_images", "first_failing"),
    "set_kernel": ("set_find", "set_insert_all", "set_rehash"),
    "scc_kernel": ("tarjan", "blocked_components"),
}

#: what each returns (numba's short type names); the others return nothing
RETURNS = {"run": "i8", "first_failing": "i8", "set_find": "i8", "set_insert_all": "i8", "tarjan": "i8",
           "blocked_components": "u1[::1]"}

_SETS = "Tuple((i4[:, ::1], u1[::1], u4[::1], i8[::1], i4[::1], i8[::1], u4[::1]))"

#: The type of each parameter of the entry points, by name (a name means
#: the same array wherever it appears): K-word rows are ``u8[:, ::1]``,
#: memo tables ``i4[::1]``, the seen table ``u4[::1]``.
PARAM_TYPES = {
    "a": "u4[::1]", "aid": "i4[::1]", "aidmask": "u8[::1]", "akey": "u8[:, ::1]", "am_part": "i4[::1]",
    "am_words": "u8[:, ::1]",
    "asm": "u8[:, ::1]", "atab": "i4[::1]", "atm": "u8[:, ::1]", "atrk": "u1[::1]", "aval": "u1[::1]",
    "ckeep": "u8[::1]", "cmask": "u8[:, ::1]", "count": "i8", "counts": "i4[::1]", "csucc": "u8[:, ::1]",
    "ctl": "i8[::1]", "disp": "i4[:, ::1]", "done": "u8[::1]", "edge_aid": "i4[::1]", "edge_aids": "i8[::1]",
    "edge_mask": "u8[:, ::1]", "edge_start": "i8[::1]", "edge_to": "i4[::1]", "ent": "i8[::1]", "first": "i8",
    "flat": "u4[::1]", "ids": "i4[::1]", "idst": "i8[:, ::1]", "ient": "i8[::1]", "ifield": "i8[:, ::1]",
    "iid": "i4[::1]", "ikey": "u8[:, ::1]", "im_code": "u8[::1]", "im_id": "i4[::1]", "imask": "u8[::1]",
    "imgs": "u8[:, ::1]", "index": "i8[::1]", "inst_base": "i8[::1]", "inst_codes": "i8[::1]",
    "inst_mask": "u8[::1]", "inst_sh": "i8[::1]", "inst_two": "b1[::1]", "inst_w": "i8[::1]", "iok": "u1[::1]",
    "itab": "i4[::1]", "ival": "u8[:, ::1]", "kcol": "u8[::1]", "keymask": "u8[:, ::1]", "keys": "u8[:, ::1]",
    "low": "i8[::1]", "mcount": "i4[::1]", "member": "u1[::1]", "mid": "i4[::1]", "miss_state": "i8[::1]",
    "miss_step": "i4[::1]", "mkey": "u8[:, ::1]", "mref": "i4[::1]", "mstart": "i4[::1]", "mtab": "i4[::1]",
    "mval": "u8[:, ::1]", "n": "i8", "new": "b1[::1]", "nodes": "i8[::1]", "notw": "u8[:, ::1]", "npend": "i8",
    "offs": "i8[::1]", "out_nodes": "i8[::1]", "out_starts": "i8[::1]", "parents": "i4[::1]", "pars": "i4[::1]",
    "pcmask": "u8[::1]", "pend_gen": "i8[::1]", "pend_x": "i8[::1]", "pm_part": "i4[::1]",
    "pm_words": "u8[:, ::1]", "pmask": "u8[:, ::1]",
    "proj": "Tuple((i8[:, ::1], i8[::1], u8[::1], i8[::1], i8[::1], i8[::1]))", "ptrk": "u1[::1]",
    "qid": "i4[::1]", "qkey": "u8[:, ::1]", "qtab": "i4[::1]", "qval": "u1[::1]", "refs": "i8[::1]",
    "results": "u1[::1]", "sctl": "i8[::1]", "sel": "u4[::1]", "sets": _SETS, "shift": "i8",
    "simg": f"Tuple(({_SETS}, i4[:, ::1], i8[::1]))", "sm_chunk": "i4[::1]", "sm_words": "u8[:, ::1]",
    "soff": "i8[::1]", "stab": "i4[::1]", "stack": "i8[::1]", "start": "i8[::1]", "starts": "i8[::1]",
    "states": "u8[:, ::1]", "step_aid": "i4[::1]", "step_rows": "u1[:, ::1]", "succ": "u8[:, ::1]",
    "succ_step": "i4[::1]", "table": "u4[::1]", "tied": "i8[::1]", "to": "u4[::1]", "use_member": "b1",
    "use_steps": "b1[::1]", "vals": "u8[:, ::1]", "weak_at": "u8[::1]", "wk": "u8[:, ::1]", "words": "u8[:, ::1]",
    "work_k": "i8[::1]", "work_u": "i8[::1]", "yid": "i4[::1]", "ykey": "u8[:, ::1]", "yok": "u1[::1]",
    "ytab": "i4[::1]", "yval": "u8[:, ::1]",
}

#: the compiled modules (their sources name the built module), and what they import
_SOURCES = ("kernel.py", "set_kernel.py", "scc_kernel.py", "hashing.py", "ctl.py", "sets.py", "scc.py", "library.py")
_DTYPES = {"i8": np.int64, "i4": np.int32, "u8": np.uint64, "u4": np.uint32, "u1": np.uint8, "b1": np.bool_}


def signature(params: list[str], name: str) -> str:
    """numba's signature of entry point ``name`` with parameters ``params``."""
    return f"{RETURNS.get(name, 'void')}({', '.join(PARAM_TYPES[p] for p in params)})"


# -- checking a call's arguments against the declared types ---------------------

def _parse(t: str):
    """A checker's view of a type: ('a', dtype, ndim), 'i', 'b', or a tuple of such."""
    t = t.strip()
    if t.startswith("Tuple(("):
        inner, parts, depth, cur = t[len("Tuple(("):-2], [], 0, ""
        for ch in inner:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch in "(["
            depth -= ch in ")]"
            cur += ch
        if cur.strip():
            parts.append(cur)
        return tuple(_parse(p) for p in parts)
    if "[" in t:
        return ("a", np.dtype(_DTYPES[t[:2]]), t.count(":") - 1)
    return {"i8": "i", "b1": "b"}[t]


def _fits(x, want) -> bool:
    if isinstance(want, tuple):  # ("a", dtype, ndim): tuples of types are _Arg's parts
        return (type(x) is np.ndarray and x.dtype == want[1] and x.ndim == want[2] and x.flags.c_contiguous
                and x.flags.writeable and x.flags.aligned)
    if want == "b":
        return isinstance(x, (bool, np.bool_))
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and -(1 << 63) <= x < 1 << 63


class Library:
    """The entry points, as attributes (``lib.run(...)``); ``kind`` says
    whose they are: "aot" (the built module) or "jit" (numba's);
    ``note``: why not the built module (None when it is used, or when
    ``PYSPEC_COMPILED=jit`` asked); ``built``: seconds spent building it
    in this process (0 when it was there)."""

    def __init__(self, kind: str, note: str | None = None, built: float = 0.0) -> None:
        self.kind, self.note, self.built = kind, note, built
        self.mismatches = 0
        self.checks: list[_Arg] = []

    def release(self) -> None:
        """Forget the arrays the checks of the built module's calls hold
        (at the end of a search: they are the search's)."""
        for c in self.checks:
            c.release()

    def loaded(self) -> int:
        """How many compiled versions of the JIT functions the process
        holds (it grows when numba compiles or loads one); 0 with the built
        module, which loads nothing more while it runs."""
        if self.kind != "jit":
            return 0
        from . import kernel

        return kernel.loaded()


def _jit_function(name: str):
    import importlib

    for module, names in ENTRY_POINTS.items():
        if name in names:
            return getattr(importlib.import_module(f"{__package__}.{module}"), name)
    raise KeyError(name)


class _Arg:
    """The check of one parameter; a tuple's elements are checked one by
    one.  With ``keep`` (the loop's parameters: the driver passes the same
    95 arrays call after call, some hundreds of calls a search), an array
    that passed is not checked again while it is the one passed: it is
    held (so that no other array can take its identity) until
    :meth:`Library.release`, at the end of each search.  (Not a weak
    reference: numpy refuses to resize an array in place, as the store
    grows, while one points to it.)"""

    __slots__ = ("want", "last", "parts", "keep")

    def __init__(self, want, keep: bool = False) -> None:
        self.want, self.keep = want, keep
        self.last = None  # the array that passed last
        tuple_of = isinstance(want, tuple) and not (want and want[0] == "a")
        self.parts = [_Arg(w, keep) for w in want] if tuple_of else None

    def release(self) -> None:
        self.last = None
        for p in self.parts or ():
            p.release()

    def fits(self, x) -> bool:
        parts = self.parts
        if parts is not None:
            if type(x) is not tuple or len(x) != len(parts):
                return False
            for p, y in zip(parts, x):
                if not p.fits(y):
                    return False
            return True
        if x is self.last:
            return True
        if not _fits(x, self.want):
            return False
        if self.keep and type(x) is np.ndarray:
            self.last = x
        return True


def _checked(lib: Library, name: str, fast, wants: tuple):
    """``fast`` (the built module's function) behind a check of its
    arguments' types; a call that does not fit goes to numba's JIT."""
    checks = [_Arg(w, keep=name == "run") for w in wants]
    lib.checks.extend(checks)
    n = len(checks)

    def call(*args):
        if len(args) == n:
            for c, a in zip(checks, args):
                if not c.fits(a):
                    break
            else:
                return fast(*args)
        lib.mismatches += 1
        return _jit_function(name)(*args)

    call.__name__ = name
    return call


#: seconds the build may take (45-65 s from nothing on a 2-core machine)
BUILD_TIMEOUT = 900

_LOCK = threading.Lock()
_LIBRARY: Library | None = None


def library() -> Library:
    """The entry points of this process (chosen, and built if need be, at the first call)."""
    global _LIBRARY
    with _LOCK:
        if _LIBRARY is None:
            _LIBRARY = _choose()
        return _LIBRARY


def _jit_library(note: str | None) -> Library:
    lib = Library("jit", note)
    for names in ENTRY_POINTS.values():
        for name in names:
            setattr(lib, name, _jit_function(name))
    return lib


def ready() -> bool:
    """Will this process's compiled functions be the built module (whose
    start-up is milliseconds, not numba's 0.45 s)?  Neither builds nor
    imports anything."""
    if _LIBRARY is not None:
        return _LIBRARY.kind == "aot"
    if os.environ.get("PYSPEC_COMPILED", "").strip().lower() == "jit":
        return False
    folder = _folder()
    if folder is None:
        return False
    return _built(folder, module_name())


@functools.lru_cache(maxsize=1)
def module_name() -> str:
    """The built module's name: a hash of the compiled modules' sources,
    numpy's version and the Python it is built for."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for f in _SOURCES:
        h.update((here / f).read_bytes())
    h.update(f"{np.__version__} {sys.implementation.cache_tag} {sys.platform}".encode())
    return f"pyspec_compiled_{h.hexdigest()[:20]}"


def _folder() -> Path | None:
    """Where the module is built: ``PYSPEC_COMPILED_DIR`` when set, else
    beside the compiled modules' sources, as numba's cache
    (``__pycache__``), where it can be written, else in the per-user cache."""
    chosen = os.environ.get("PYSPEC_COMPILED_DIR")
    if chosen:
        try:
            Path(chosen).mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return Path(chosen) if os.access(chosen, os.W_OK) else None
    here = Path(__file__).parent / "__pycache__"
    try:
        here.mkdir(exist_ok=True)
        if os.access(here, os.W_OK):
            return here
    except OSError:
        pass
    from ...cache import ensure_cache_subdir

    return ensure_cache_subdir("compiled")


def _suffix() -> str:
    import importlib.machinery

    return importlib.machinery.EXTENSION_SUFFIXES[0]


def _choose() -> Library:
    if os.environ.get("PYSPEC_COMPILED", "").strip().lower() == "jit":
        return _jit_library(None)
    folder = _folder()
    if folder is None:
        return _jit_library("the per-user cache cannot be written: numba compiles the loop in each process")
    name = module_name()
    so, sig, failed = folder / f"{name}{_suffix()}", folder / f"{name}.json", folder / f"{name}.failed"
    built = 0.0
    if not _built(folder, name):
        if failed.exists():  # (a failed build is not tried again by every process)
            return _jit_library(_read_failure(failed))
        t0 = time.monotonic()
        why = _build(folder, name)
        built = time.monotonic() - t0
        if why is not None:
            try:
                failed.write_text(why)
            except OSError:
                pass
            return _jit_library(why)
    try:
        mod = _load(name, so)
        params = json.loads(sig.read_text())
    except (ImportError, OSError, ValueError) as e:
        return _jit_library(f"the module built ahead of time does not load ({type(e).__name__}: {e})")
    lib = Library("aot", None, built)
    for names in ENTRY_POINTS.values():
        for fname in names:
            wants = tuple(_parse(PARAM_TYPES[p]) for p in params[fname])
            setattr(lib, fname, _checked(lib, fname, getattr(mod, fname), wants))
    return lib


def _built(folder: Path, name: str) -> bool:
    """Are module ``name`` and its parameter list in ``folder``?"""
    return (folder / f"{name}{_suffix()}").exists() and (folder / f"{name}.json").exists()


def _read_failure(path: Path) -> str:
    try:
        why = path.read_text().strip()
    except OSError:
        why = "an earlier build failed"
    return f"{why} (delete {path} to try the build again)"


def _load(name: str, path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no loader for {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _build(folder: Path, name: str) -> str | None:
    """Build the module in a child process (numba and a C compiler at work
    for about half a minute, once per machine), one process at a time;
    None, or why it could not be built."""
    try:
        import fcntl
    except ImportError:
        return "the loop is compiled ahead of time only where fcntl exists: numba compiles it in each process"
    lock = folder / f"{name}.lock"
    try:
        with open(lock, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another process may be building it: wait for it
            if _built(folder, name):
                return None
            env = dict(os.environ, PYTHONWARNINGS="ignore")
            p = subprocess.run([sys.executable, "-m", f"{__package__}.library", str(folder), name],
                               capture_output=True, text=True, env=env, timeout=BUILD_TIMEOUT)
            if p.returncode != 0:
                last = [ln for ln in (p.stderr or p.stdout).strip().splitlines() if ln.strip()]
                why = last[-1] if last else f"exit {p.returncode}"
                return f"the loop could not be compiled ahead of time ({why}): numba compiles it in each process"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"the loop could not be compiled ahead of time ({e}): numba compiles it in each process"
    for old in folder.glob("pyspec_compiled_*"):
        if not old.name.startswith(name):  # modules of the loop's earlier sources (a process that
            try:                           # loaded one keeps its mapping)
                old.unlink()
            except OSError:
                pass
    return None


def _warm(names: list[str]) -> None:
    """Compile entry points for their declared signatures into numba's cache."""
    import inspect

    from numba.core import sigutils

    for name in names:
        f = _jit_function(name)
        args, _ = sigutils.normalize_signature(signature(list(inspect.signature(f.py_func).parameters), name))
        f.compile(args)


def build(folder: Path, name: str) -> None:
    """Compile every entry point into the extension module ``name`` in
    ``folder`` (run by :func:`_build` in a child process).  Each is a
    wrapper that calls numba's dispatcher of the function: the function
    itself is compiled with its own options (``_nrt=False`` for the loop)
    and linked into the module."""
    import importlib
    import inspect
    import tempfile
    import warnings

    warnings.simplefilter("ignore")
    from numba.pycc import CC

    # numba compiles the functions into its cache first, the loop here and
    # the others in a second process, on the machine's other core (from
    # nothing: 54 s of CPU in 45 s on this 2-core machine); pycc then links
    # what the cache holds
    others = [n for names in ENTRY_POINTS.values() for n in names if n != "run"]
    helper = subprocess.Popen([sys.executable, "-m", f"{__package__}.library", "--warm", *others],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _warm(["run"])
    helper.wait()  # (had it failed, pycc would compile what it left)

    params: dict[str, list[str]] = {}
    cc = CC(name)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as tmp:
        cc.output_dir = tmp
        for module, names in ENTRY_POINTS.items():
            mod = importlib.import_module(f"{__package__}.{module}")
            for fname in names:
                f = getattr(mod, fname)
                ps = list(inspect.signature(f.py_func).parameters)
                for p in ps:
                    if not p.isidentifier() or p not in PARAM_TYPES:
                        raise SystemExit(f"{module}.{fname}: parameter {p!r} has no declared type")
                params[fname] = ps
                # (source made here from the function's own parameter names, checked above)
                scope = {"target": f}
                exec(f"def wrapper({', '.join(ps)}):\n    return target({', '.join(ps)})\n", scope)  # noqa: S102
                cc.export(fname, signature(ps, fname))(scope["wrapper"])
        cc.compile()
        built = [p for p in Path(tmp).iterdir() if p.name.startswith(name) and p.name.endswith(_suffix())]
        if not built:
            raise SystemExit("numba.pycc wrote no module")
        (Path(tmp) / "sig.json").write_text(json.dumps(params))
        os.replace(built[0], folder / f"{name}{_suffix()}")
        os.replace(Path(tmp) / "sig.json", folder / f"{name}.json")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--warm"]:
        _warm(sys.argv[2:])  # the helper of build
    elif len(sys.argv) == 3:
        build(Path(sys.argv[1]), sys.argv[2])  # the child of _build
    else:
        # `make`'s set-up: the module built before the checks start (on an
        # idle machine: 45-65 s from nothing), not by the first search
        lib = library()
        if lib.built:
            print(f"pyspec: compiled the search loop ahead of time ({lib.built:.0f} s, once per machine)")
        elif lib.note:
            print(f"pyspec: {lib.note}")
