"""The old site's files linked into the staging folder of the new one: what did not change is
the same inode in both (`PublishedSite._write_swap`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hourbook.site.tree import child_dies_with


def link_tree(out: Path, staging: Path, same: set[str], linked: bool = False) -> set[str]:
    """Hard-link the old site into `staging` (GNU `cp -al` when there is one: one process for
    fifty thousand links), then drop what is not to be kept. Returns the paths kept.

    Args:
        same: the paths to keep as they are.
        linked: `staging` holds the links already (`PublishedSite.link_early`: by `cp -al`, or the
            spare the last build kept, `spare_site`).
    """
    cp = shutil.which("cp")
    done = linked
    if cp is not None and not linked:
        result = subprocess.run([cp, "-al", "--", f"{out}/.", str(staging)], capture_output=True,
                                preexec_fn=child_dies_with(os.getpid()) if sys.platform == "linux" else None)
        done = result.returncode == 0
    if not done:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for rel in sorted(same):
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(out / rel, staging / rel)
        return set(same)
    # What is not kept as it is goes: what the last build wrote and this one changes or removes, and
    # anything else found there (not ours), each reached through real folders only (not followed links).
    present, folders = _files_in(staging)
    for rel in present - same:
        (staging / rel).unlink()
    for folder in sorted(folders, reverse=True):    # a folder after those in it
        try:
            os.rmdir(folder)                  # only empty folders go
        except OSError:
            pass
    return same & present                   # a file gone from the site since is written again


def _files_in(folder: Path) -> tuple[set[str], list[str]]:
    """The paths under `folder` of all but its real folders (files, links), relative, with `/`;
    and its real folders below it, as paths."""
    found, folders = set(), []
    start = len(str(folder)) + 1
    for here, names_of_folders, names in os.walk(folder):
        if len(here) > start:
            folders.append(here)
        prefix = f"{here[start:]}/" if len(here) > start else ""
        found.update(prefix + name for name in names)
        found.update(prefix + name for name in names_of_folders if os.path.islink(os.path.join(here, name)))
    return found, folders
