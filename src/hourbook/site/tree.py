"""Writing the site's folder: a fresh staging folder beside it, swapped in at once.

The render stage returns every page as bytes by path; the builder writes them into a
staging folder made here beside the site, and `swap_in` makes it the site with one atomic
rename exchange where the system has it (two renames elsewhere). A failed or interrupted
build leaves the previous site as it was; what killed builds leave beside it is removed
by `remove_stale`. Whether the site's folder may be replaced at all is `site.folder`'s
decision, made before anything here runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from pathlib import Path

from hourbook.site.files import is_folder

# Folders of the site that `hourbook remind` writes and no build does: every build carries them over.
CARRIED_FOLDERS = ("owner/reminders",)

# What `new_staging` and a swap leave beside the site: mkdtemp's 8 characters, or token_hex(4).
STAGING_SUFFIX = r"\.(?:new|old)-[a-z0-9_]{8}"


def new_staging(out: Path, keep: frozenset[Path] | set[Path] = frozenset()) -> Path:
    """A fresh, empty folder beside `out` to build the next site in.

    What earlier builds left beside `out` (killed half-way: a staging folder, an old site
    not yet removed) goes first, except the folders in `keep` (being removed elsewhere).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out, keep)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))


def carry_over(out: Path, staging: Path, folders: tuple[str, ...] = CARRIED_FOLDERS) -> int:
    """Hard-link (or copy, where links fail) the files of `out`'s `folders` into `staging`, before the swap.

    What `hourbook remind` wrote survives the build that replaces the site. Symbolic links
    are not followed nor carried; a file the new build wrote at the same path wins.

    Returns:
        The number of files carried.
    """
    carried = 0
    for folder in folders:
        source = out / folder
        if not is_folder(source):
            continue
        for here, names, files in os.walk(source):
            names[:] = [name for name in names if is_folder(Path(here) / name)]
            target_dir = staging / Path(here).relative_to(out)
            for name in files:
                path = Path(here) / name
                target = target_dir / name
                if not stat.S_ISREG(os.lstat(path).st_mode) or os.path.lexists(target):
                    continue
                target_dir.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)
                carried += 1
    return carried


def remove_stale(out: Path, keep: frozenset[Path] | set[Path] = frozenset()) -> None:
    """Remove what killed builds left beside `out`, except the folders in `keep`.

    Only real folders named exactly as `new_staging` and `swap_in` name them go: never a
    file, a link, or a folder of the owner's that merely starts like one.
    """
    ours = re.compile(re.escape(f".{out.name}") + STAGING_SUFFIX)
    try:
        names = os.listdir(out.parent)
    except OSError:
        return
    for name in names:
        stale = out.parent / name
        if ours.fullmatch(name) and stale not in keep and is_folder(stale):
            remove_folder(stale)


def remove_folder(folder: Path, patience: float = 2.0) -> None:
    """Remove a folder and everything in it, even while a dying process still adds to it.

    A killed build's `cp` may still be linking files into its staging folder for a moment
    after hourbook died: keep removing, a little slower each time, for up to `patience` seconds.
    """
    deadline = time.monotonic() + patience
    pause = 0.001
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder) or time.monotonic() > deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def child_dies_with(parent: int):
    """A `preexec_fn` for a child process, or an `initializer` for a pool's forked workers: the
    kernel kills the child when hourbook dies, so a killed build leaves no `cp` behind still
    writing into a staging folder, and no worker waiting for ever on a pipe nobody reads
    (Linux; elsewhere a no-op).

    Args:
        parent: hourbook's process id, taken before the fork: when hourbook died between the
            fork and the `prctl`, the child is already an orphan and ends at once.
    """
    prctl = getattr(_libc(), "prctl", None)     # looked up here, not in the child just forked

    def preexec() -> None:
        if prctl is not None:
            pr_set_pdeathsig = 1
            prctl(pr_set_pdeathsig, 9)          # SIGKILL
            if os.getppid() != parent:
                os._exit(1)
    return preexec


@functools.lru_cache(maxsize=1)
def _libc():
    """The C library (None when there is none to find): `find_library` runs `ldconfig`, once a process."""
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


_RENAME_EXCHANGE = 2


def _renameat2():
    return getattr(_libc(), "renameat2", None)


def swap_in(staging: Path, out: Path, remove_old=None) -> None:
    """Make `staging` the site at `out`: an atomic exchange on Linux, two renames elsewhere.

    Args:
        remove_old: removes the old site's folder (default: at once, `shutil.rmtree`);
            watch mode hands it to a background thread.
    """
    remove_old = remove_old or (lambda folder: shutil.rmtree(folder, ignore_errors=True))
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    renameat2 = _renameat2()
    at_fdcwd = -100
    if renameat2 is not None:
        result = renameat2(at_fdcwd, os.fsencode(staging), at_fdcwd, os.fsencode(out), _RENAME_EXCHANGE)
        if result == 0:
            remove_old(staging)  # now holds the old site
            return
    old = out.with_name(f".{out.name}.old-{secrets.token_hex(4)}")
    os.rename(out, old)
    os.rename(staging, out)
    remove_old(old)
