"""The site's files compared with the last build's manifest in a forked process, while the books
are read and priced.

A new process keeps a client's files when each still has the size and mtime the last build wrote
it with (`publish.PublishedSite.files_on_disk`): at 100 000 entries that is a `stat` of 51 000
files, 0.27-0.4 s of the build after appending one entry, all after the books were priced. A big
site's files (`EARLY_CHECK_FILES`) are looked at by a process forked when the build starts, on
the other core; the build asks it which files are not as written (`FilesCheck.changed`) once it
needs to know, and looks at each file itself when that process failed.

The same answer as looking then: `files_not_as_written` is what both do.
"""

from __future__ import annotations

import os
from pathlib import Path

from hourbook.build.workers import fork_pool
from hourbook.build.workers import handed_down

EARLY_CHECK_FILES = 5_000           # a site this big has its files looked at in a forked process
_UNASKED = object()


class FilesCheck:
    """The paths of the manifest whose files are not as the last build wrote them, made beside this process."""

    def __init__(self, pool, future):
        self.pool = pool
        self.future = future
        self._changed = _UNASKED

    @classmethod
    def start(cls, out: Path, manifest: dict, jobs: int) -> FilesCheck | None:
        """Start looking; None when the site is small, there is one core, or no fork."""
        if jobs < 2 or len(manifest) < EARLY_CHECK_FILES:
            return None
        pool = fork_pool(1, site_check=(str(out), manifest))
        if pool is None:
            return None
        try:
            return cls(pool, pool.submit(_changed_forked))
        except Exception:           # noqa: BLE001 - no process: the build looks at each file itself
            pool.shutdown(wait=False, cancel_futures=True)
            return None

    def changed(self) -> frozenset[str] | None:
        """The paths not as written (gone, or another size or mtime), waiting for them the first
        time; None when the process failed (look at the files then)."""
        if self._changed is _UNASKED:
            try:
                self._changed = frozenset(self.future.result())
            except Exception:       # noqa: BLE001 - any failure there: looked at here
                self._changed = None
            finally:
                self.close()
        return self._changed

    def close(self) -> None:
        """Stop the process (a build that ends before asking)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def files_not_as_written(out: str, manifest: dict) -> list[str]:
    """The paths of `manifest` ({path: [sha256, size, mtime_ns]}) whose file under `out` is gone or
    has another size or mtime."""
    return [rel for rel, entry in manifest.items() if not as_written(out, rel, entry)]


def as_written(out: str, rel: str, entry) -> bool:
    """Whether the file `rel` of the site at `out` has the size and mtime of its manifest `entry`
    ([sha256, size, mtime_ns]; None: not in the manifest, never as written)."""
    try:
        stat = os.stat(f"{out}/{rel}")     # os.stat of a string: 0.06 s for 25 000 files, Path.stat 0.18 s
    except OSError:
        return False
    return entry is not None and stat.st_size == entry[1] and stat.st_mtime_ns == entry[2]


def _changed_forked() -> list[str]:
    """In the forked process: `files_not_as_written` of what was handed down."""
    return files_not_as_written(*handed_down("site_check"))
