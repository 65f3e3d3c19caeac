"""The old site a build swapped out, removed without holding the build up: in a thread (watch) or
in an `rm` that outlives the command (a one-off build of a big site)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

BEING_REMOVED: set[Path] = set()     # old sites that threads are removing: no build may take them for litter


def remove_in_background(folder: Path) -> None:
    """Watch mode: the old site's folder goes in a thread (unlinking 50 000 files takes seconds)."""
    old = _renamed_old(folder)
    BEING_REMOVED.add(old)

    def remove():
        shutil.rmtree(old, ignore_errors=True)
        BEING_REMOVED.discard(old)

    threading.Thread(target=remove, name="hourbook-remove-old-site", daemon=True).start()


def remove_detached(folder: Path) -> None:
    """A build's own process: a big old site (50 000 links at 100 000 entries, half a second to
    unlink) goes in an `rm` that outlives the build, so that the command ends once the new site
    is in place. Renamed `.<site>.old-…` first: whatever a killed `rm` leaves, the next build
    takes for litter (`site.tree.remove_stale`). Without `rm`, removed here."""
    old = _renamed_old(folder)
    rm = shutil.which("rm")
    if rm is not None:
        try:
            subprocess.Popen([rm, "-rf", "--", str(old)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
            BEING_REMOVED.add(old)         # not litter for this process's builds: the `rm` has it
            return
        except OSError:
            pass
    shutil.rmtree(old, ignore_errors=True)


def _renamed_old(folder: Path) -> Path:
    """The swapped-out site `.<site>.new-…` renamed `.<site>.old-…` (the same folder if it cannot be)."""
    old = folder.with_name(folder.name.replace(".new-", ".old-", 1))
    try:
        os.rename(folder, old)
    except OSError:
        return folder
    return old
