"""Books files that are on disk and not in memory: the kernel asked to read them all ahead, at once.

Two readers go through many files one by one: the forked loader of `check` and `price`
(`build/workers.py`, the logbooks) and a clean build's digest of every input
(`build/digests.py`). Both call `ask_ahead_if_on_disk` first.

After a reboot, or once other work has pushed them out of the page cache, books kept as a
logbook a day (88 000 files at 100 000 entries) took 5.4 s to read one file after another,
each read waiting on the disk, against 0.4 s when the files were in memory. Asked first for
all of them (`posix_fadvise(..., POSIX_FADV_WILLNEED)`: the kernel queues the reads and
returns at once), the same reads took 0.8 s of asking and 0.4 s of reading. Asking costs an
open and a close a file, 0.3 s for those 88 000 files when they are in memory already, so it
is done only when most of a sample of the files is not in memory (`on_disk`: a read that must
not wait, `RWF_NOWAIT`, says so without reading from the disk). It is advice: what is read is
the same either way, and a file that cannot be opened is left to the reader, which reports it.
Where the system cannot tell (no `RWF_NOWAIT`, or a file system that refuses it), nothing is asked.
"""

from __future__ import annotations

import os
import stat
from typing import Sequence

SAMPLE = 32                 # files looked at, spread over the books


def on_disk(paths: Sequence) -> bool:
    """Whether most of a sample of `paths` (spread over them) is not in the page cache: reading
    them one by one would wait on the disk for each."""
    nowait = getattr(os, "RWF_NOWAIT", None)
    if nowait is None or not hasattr(os, "preadv"):
        return False
    probed = missing = 0
    byte = bytearray(1)
    for path in paths[::max(1, len(paths) // SAMPLE)][:SAMPLE]:
        fd = _open_plain_file(path)
        if fd is None:
            continue
        try:
            os.preadv(fd, [byte], 0, nowait)
        except BlockingIOError:
            missing += 1
        except OSError:                 # this file system cannot tell
            return False
        finally:
            os.close(fd)
        probed += 1
    return probed > 0 and 2 * missing >= probed


def ask_ahead_if_on_disk(paths: Sequence) -> bool:
    """`ask_ahead(paths)` when `on_disk(paths)` says they are not in memory; whether it asked."""
    if not on_disk(paths):
        return False
    ask_ahead(paths)
    return True


def ask_ahead(paths: Sequence) -> int:
    """Ask the kernel to read each regular file of `paths` into memory now; how many were asked for."""
    if not hasattr(os, "posix_fadvise"):
        return 0
    asked = 0
    for path in paths:
        fd = _open_plain_file(path)
        if fd is None:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            asked += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return asked


def _open_plain_file(path) -> int | None:
    """A descriptor of `path` when it is a regular file (never waiting on a FIFO), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None
