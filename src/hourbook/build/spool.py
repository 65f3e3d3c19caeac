"""The files of a site being built that are not bytes in memory: kept on disk, by digest.

- `OnDisk`: a file the last build wrote into the site and nothing changed since (its
  digest; the writer links or copies it from the site);
- `Spooled`: a file rendered by this build that waits in the `Spool` (a folder of
  `.hourbook-cache/`) until the site is written, so that a clean build of big books does
  not hold the whole site in one process.

`put_file` writes a new file of the site from bytes or from the spool.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable

SPOOL_BYTES = 4096                  # a rendered file this big waits in the spool, not in memory
SPOOL_PREFIX = "spool-"


@dataclasses.dataclass(frozen=True)
class OnDisk:
    """A site file the last build wrote and nothing changed since: its digest, not its bytes."""

    sha256: str


def as_written(path: str | Path, sha256: str, size: int | None = None) -> bytes | None:
    """The bytes of the site's file at `path` while they are still those the last build wrote
    (digest `sha256`; a file of another `size`, when given, is not even read); None when gone,
    unreadable or changed since. What is now a link, a FIFO or a device is not what the build
    wrote: never followed, never waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with open(fd, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or (size is not None and status.st_size != size):
                return None
            data = file.read()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


@dataclasses.dataclass(frozen=True)
class Spooled:
    """A file rendered in this build that waits in the `Spool` until the site is written."""

    path: str                       # the spool's file, named by the digest
    sha256: str


class Spool:
    """Where `hourbook build` keeps the pages it rendered until it writes the site, so that a clean
    build of big books does not hold the whole site in memory (some 400 MB at 100 000 entries).

    A file is written once by its digest (identical pages once) and hard-linked into the new
    site (copied where the site is on another file system). The spool is a folder of the
    cache, removed when the build ends; one a killed build left is removed by the next.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def open(cls, cache_dir: Path) -> Spool | None:
        """A new spool in `cache_dir` (removing what a killed build left there); None where none can be
        made (a read-only books folder): the pages then wait in memory, as in watch mode."""
        for stale in cache_dir.glob(f"{SPOOL_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            return cls(Path(tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=cache_dir)))
        except OSError:
            return None

    def keep(self, files: dict, written: Callable[[str, str], bool] | None = None) -> dict:
        """`files` with each big one's bytes written to the spool and replaced by `Spooled` (kept as
        bytes when the spool cannot take them: a full disk must not fail the build here), or by
        `OnDisk` when `written(rel, sha256)` says the site's file holds those bytes as the last build
        wrote them (`publish.PublishedSite.still_written`): most pages of a client rendered again
        after an edit are the same bytes, which need not be written twice.

        Called in the processes that render (`rendering.render_changed_clients`), at once: each
        writes its files under a name of its own before it puts them in place."""
        kept = {}
        for rel, data in files.items():
            if isinstance(data, bytes) and len(data) >= SPOOL_BYTES:
                digest = hashlib.sha256(data).hexdigest()
                if written is not None and written(rel, digest):
                    kept[rel] = OnDisk(digest)
                    continue
                path = self.folder / digest
                try:
                    if not path.exists():
                        partial = self.folder / f".{digest}.{os.getpid()}"    # whole under its name, or not there
                        partial.write_bytes(data)
                        os.replace(partial, path)
                    data = Spooled(str(path), digest)
                except OSError:
                    pass
            kept[rel] = data
        return kept

    def keeper(self, site) -> Callable[[dict], dict]:
        """`keep`, told which files `site` (`publish.PublishedSite`) still holds as it wrote them."""
        return lambda files: self.keep(files, site.still_written)

    def remove(self) -> None:
        """Remove the spool (the site holds its own links to what it needed)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def put_file(data: bytes | Spooled, target: Path) -> None:
    """Write a new file of the site: its bytes, or a link to (a copy of) its spooled file."""
    if isinstance(data, Spooled):
        try:
            os.link(data.path, target)
        except OSError:
            shutil.copyfile(data.path, target)
        return
    target.write_bytes(data)
