"""The site a build swapped out, kept as the next build's staging folder.

A one-off build of a big site (`publish.DETACHED_REMOVAL_FILES` files) makes the new site in a
staging folder beside it: every file that did not change hard-linked from the site (`cp -al`:
51 000 links at 100 000 entries, 0.65 s of system time), the rest written, then the two folders
swapped. The old site's folder holds the very files of the new one (the same inodes), but for
those the build wrote anew or removed; removing it cost 0.4 s more. It is kept instead, renamed
`.hourbook-cache/site-spare-<token>`, with the paths it differs by (`rewritten`) in the build
state (`PublishedSite.save_state`). The next build takes it as its staging folder
(`PublishedSite.link_early`): the paths it differs by are not linked from it but written, the
rest is linked already.

It is trusted as far as the staging folder `cp -al` makes: used only when the state names it,
the cache folder may be used (`cache_folder.usable_folder`) and it is a folder itself, renamed
beside the site (the same file system) and checked there: the files the state's probe names are
the site's own (same inode). A build that writes nothing puts it back. Watch mode swaps folders
one by one: its first write drops the spare. Whatever a killed build leaves is a staging folder
beside the site (litter, `site.tree.remove_stale`) or a spare the state does not name, removed
by the next build that keeps one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Callable

from hourbook.build.cache_folder import usable_folder
from hourbook.site.files import is_folder

SPARE_PREFIX = "site-spare-"
MIN_KEPT_SHARE = 4          # kept when at least three quarters of the new site are linked from it


class SpareSite:
    """The spare named by the build state's `record` ({"name", "rewritten"}), in `cache_dir`."""

    def __init__(self, cache_dir: Path | None, record: dict | None):
        self.cache_dir = cache_dir
        self.record = record if isinstance(record, dict) and _well_formed(record) else None
        self._taken: dict | None = None         # the record of the spare `take` moved to a staging folder

    def take(self, staging: Path, out: Path, probe: list[str], remove: Callable[[Path], None]) -> frozenset[str] | None:
        """Move the spare to `staging` (an empty folder beside the site `out`) and return the paths
        to write rather than link from it; None when there is none to trust (`staging` then empty,
        an untrusted spare handed to `remove`). The state no longer names it: `give_back` puts it
        back when the build writes nothing."""
        record, self.record = self.record, None
        folder = usable_folder(self.cache_dir, record["name"]) if record is not None else None
        if folder is None or not is_folder(folder):
            return None
        try:
            os.rename(folder, staging)          # over the empty staging folder; never across file systems
        except OSError:
            remove(folder)
            return None
        rewritten = frozenset(record["rewritten"])
        if not is_folder(staging) or not _same_files(staging, out, [rel for rel in probe if rel not in rewritten]):
            try:
                os.rename(staging, folder)
                os.mkdir(staging)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
                os.mkdir(staging)
                return None
            remove(folder)
            return None
        self._taken = record
        return rewritten

    def give_back(self, staging: Path) -> bool:
        """Put the spare `take` moved to `staging` back, untouched; False when it was not taken."""
        record, self._taken = self._taken, None
        if record is None:
            return False
        try:
            os.rename(staging, self.cache_dir / record["name"])
        except OSError:
            return False
        self.record = record
        return True

    def keep(self, old: Path, rewritten: set[str], files: int, remove: Callable[[Path], None]) -> None:
        """After a whole-site swap: keep the swapped-out site `old` as the spare, the new site differing
        from it by `rewritten` (of its `files`), when most of it is linked; else `remove` it. Spares
        the state no longer names go."""
        self._taken = None
        self.record = None
        folder = self.cache_dir
        if folder is not None and len(rewritten) * MIN_KEPT_SHARE <= files:
            name = f"{SPARE_PREFIX}{secrets.token_hex(8)}"
            try:
                folder.mkdir(exist_ok=True)
                os.rename(old, folder / name)
                self.record = {"name": name, "rewritten": sorted(rewritten)}
            except OSError:
                pass
        if self.record is None:
            remove(old)
        self.drop_others(remove)

    def drop(self, remove: Callable[[Path], None]) -> None:
        """After a write that keeps none (watch's folder swaps, a small site): no spare any more."""
        self.record = None
        self.drop_others(remove)

    def drop_others(self, remove: Callable[[Path], None]) -> None:
        """Remove the spares but the one the state names now."""
        self._taken = None
        folder = self.cache_dir
        if folder is None or not is_folder(folder):
            return
        keep = self.record["name"] if self.record is not None else None
        for name in os.listdir(folder):
            if name.startswith(SPARE_PREFIX) and name != keep and is_folder(folder / name):
                remove(folder / name)


def _well_formed(record: dict) -> bool:
    name, rewritten = record.get("name"), record.get("rewritten")
    return (isinstance(name, str) and name.startswith(SPARE_PREFIX) and "/" not in name
            and isinstance(rewritten, list) and all(isinstance(rel, str) for rel in rewritten))


def _same_files(staging: Path, out: Path, probe: list[str]) -> bool:
    """Whether the files of `probe` under `staging` are those under `out` (the same inodes), and some are."""
    for rel in probe:
        try:
            if os.lstat(staging / rel).st_ino != os.lstat(out / rel).st_ino:
                return False
        except OSError:
            return False
    return bool(probe)

