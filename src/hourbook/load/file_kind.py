"""What a file is, from its stat mode, in words for a message: the listing, the register, the
link secret and the site folder name what they find where a file or folder should be."""

from __future__ import annotations

import stat

_KINDS = ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def file_kind(mode: int, fifo: str = "a named pipe (FIFO)") -> str:
    """What a stat mode is, in words for a message: `a folder`, `a named pipe (FIFO)`, `a socket`...

    Args:
        mode: a stat mode (`st_mode`).
        fifo: the words for a FIFO: the site's messages (`hourbook.site`) say `a FIFO`.
    """
    if stat.S_ISFIFO(mode):
        return fifo
    return next((name for test, name in _KINDS if test(mode)), "a special file")
