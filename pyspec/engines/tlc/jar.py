"""Finding ``tla2tools.jar`` and ``java``, and downloading the pinned release.

Resolution order: the ``--jar`` option, then the ``TLA2TOOLS_JAR``
environment variable, then the per-user cache (``$XDG_CACHE_HOME/pyspec`` or
``~/.cache/pyspec``), where ``make tla2tools`` (``python -m
pyspec.engines.tlc.jar --download``) puts the official release, pinned by
version and checksum.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

#: The pinned release.  v1.7.4 is the latest stable release whose asset does
#: not change (the v1.8.0 asset is re-uploaded by upstream from time to time,
#: so a checksum of it goes stale).  The SHA-1 is the one the release page
#: lists; the SHA-256 is the one independent projects pin for this asset.
VERSION = "1.7.4"
URL = f"https://github.com/tlaplus/tlaplus/releases/download/v{VERSION}/tla2tools.jar"
SHA256 = "936a262061c914694dfd669a543be24573c45d5aa0ff20a8b96b23d01e050e88"
SHA1 = "bee4a54f3ee3d4afc347c3240ec2d9e93b075104"
SIZE = 2_274_532

ENV_VAR = "TLA2TOOLS_JAR"
EXIT_TOOL = 3


class ToolMissing(Exception):
    """No usable jar or java; the message says what to do."""


def cache_path() -> Path:
    from ...cache import cache_dir

    return cache_dir() / "tla2tools.jar"


def _options_text() -> str:
    return (
        "  1. pass --jar PATH/TO/tla2tools.jar\n"
        f"  2. set {ENV_VAR}=PATH/TO/tla2tools.jar\n"
        f"  3. run `make tla2tools` (downloads TLC v{VERSION} into {cache_path()})"
    )


def resolve_jar(option: str | None = None) -> Path:
    """The jar to use, or :class:`ToolMissing` naming the three ways to provide one."""
    tried = []
    for how, value in (("--jar", option), (ENV_VAR, os.environ.get(ENV_VAR)), ("cache", str(cache_path()))):
        if not value:
            continue
        p = Path(value).expanduser()
        if how == "cache" and p.is_file():
            from ...cache import own_file

            if not own_file(p):
                # pyspec downloaded it there: one of another user's is not run
                tried.append(f"the cached {p} belongs to another user (or others may write it): not used")
                continue
        if p.is_file():
            return p
        if how != "cache":
            tried.append(f"{how} names {p}, which is not a file")
    why = ("; ".join(tried) + "\n") if tried else ""
    raise ToolMissing(f"TLC's tla2tools.jar was not found.\n{why}Provide it in one of three ways:\n"
                      + _options_text())


def resolve_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        cand = Path(java_home) / "bin" / "java"
        if cand.is_file():
            return str(cand)
    found = shutil.which("java")
    if found:
        return found
    raise ToolMissing("Java was not found: TLC needs a Java runtime (11 or newer) on PATH or in JAVA_HOME.\n"
                      "Once Java is installed, provide tla2tools.jar in one of three ways:\n" + _options_text())


@dataclass(frozen=True)
class Tools:
    java: str
    jar: Path

    def command(self, main: str, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
        return [self.java, "-XX:+UseParallelGC", *jvm, "-cp", str(self.jar), main, *args]


def resolve(option: str | None = None) -> Tools:
    """Java and the jar, or :class:`ToolMissing`."""
    jar = resolve_jar(option)
    return Tools(resolve_java(), jar)


def digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(dest: Path | None = None, url: str = URL) -> Path:
    """Download the pinned release into ``dest`` (the cache by default),
    verifying its checksums before it replaces anything."""
    dest = dest or cache_path()
    if dest.is_file() and digest(dest, "sha256") == SHA256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tla2tools.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        with urllib.request.urlopen(url, timeout=120) as resp, open(tmp_path, "wb") as out:  # noqa: S310
            shutil.copyfileobj(resp, out)
        got256, got1 = digest(tmp_path, "sha256"), digest(tmp_path, "sha1")
        if got256 != SHA256 or got1 != SHA1:
            raise ToolMissing(f"the downloaded file does not match the pinned TLC v{VERSION}:\n"
                              f"  sha256 {got256} (expected {SHA256})\n  sha1   {got1} (expected {SHA1})\n"
                              "Nothing was installed.")
        os.replace(tmp_path, dest)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pyspec.engines.tlc.jar",
                                description="Find TLC's tla2tools.jar, or download the pinned release.")
    p.add_argument("--download", action="store_true",
                   help=f"download TLC v{VERSION} from GitHub into {cache_path()} (checksum-verified)")
    p.add_argument("--jar", help="a jar to check instead of the default resolution")
    args = p.parse_args(argv)
    try:
        if args.download:
            print(f"downloading {URL}", file=sys.stderr)
            path = download()
            print(f"TLC v{VERSION} installed at {path}")
            return 0
        tools = resolve(args.jar)
        print(f"java: {tools.java}\njar:  {tools.jar}")
        return 0
    except ToolMissing as e:
        print(f"pyspec: {e}", file=sys.stderr)
        return EXIT_TOOL
    except OSError as e:
        print(f"pyspec: cannot download TLC: {e}", file=sys.stderr)
        return EXIT_TOOL


if __name__ == "__main__":
    sys.exit(main())
