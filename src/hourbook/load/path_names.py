"""How the books' files are named: a path's text below the books folder (`relative_posix`), as
diagnostics show it (`relative`, `shown`), a listed file's path made from its folder's
(`child_path`), and what `stat` says of a file that changes when its bytes do (`stat_mark`).

The listing (`listing.py`) names every file so, once a run: these run once for each of tens of
thousands of small logbooks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from pathlib import PurePath


def relative_posix(root: Path, path: Path) -> str:
    """`path.relative_to(root).as_posix()`, surrogate escapes (bytes that are not UTF-8) kept."""
    return relative_text(str(root), str(path)) or path.relative_to(root).as_posix()


def relative_text(top: str, whole: str) -> str | None:
    """`relative_posix` of paths given as text, when the text tells (None: ask `relative_to`)."""
    # The books' files are listed under their root as named: cut the root off the text when it
    # is there (thousands of files a build), as `relative_to` would.
    if os.sep == "/" and whole.startswith(top) and whole[len(top):len(top) + 1] == "/":
        return whole[len(top) + 1:]
    if os.sep == "/" and top == "." and not whole.startswith(("/", "..")):
        return whole                # `hourbook build` in the books folder: Path(".") / name is the name
    return None


_MAKE_CHILD = getattr(Path, "_make_child_relpath", None)
# Python 3.11's pathlib makes a path's text the first time it is asked for (`str`, `open`), from
# its parts; 3.12's `_make_child_relpath` keeps it as it makes the path.
_TEXT_KEPT = "_str" in getattr(PurePath, "__slots__", ()) and sys.version_info < (3, 12)


def child_path(folder: Path, name: str, text: str | None = None) -> Path:
    """`folder / name` for a name read from `folder` (one part, no separator), made the way
    pathlib makes the paths of a folder's listing when this Python has that way (a quarter of
    the time of `/`: books of 88 000 small logbooks make one for each).

    Args:
        text: the path as `os.scandir` names it (`DirEntry.path`, the folder's text, a slash,
            the name), kept as the path's text: every listed file's text was otherwise made again
            from its parts when first asked for (0.2 s of a cold `price --json` on 88 000 small
            logbooks, before any was read).

    `tests/test_listing_speed.py` pins it to `/`."""
    if _MAKE_CHILD is None:
        return folder / name
    path = _MAKE_CHILD(folder, name)
    if text is not None and _TEXT_KEPT and str(folder) != ".":     # `scandir(".")` names "./name"
        path._str = text
    return path


def relative(root: Path, path: Path) -> str:
    """The path as shown in diagnostics; bytes of a file name that are not UTF-8 appear as `\\xff`."""
    return shown(relative_posix(root, path))


def shown(rel: str) -> str:
    """A `relative_posix` name as diagnostics show it (`relative`)."""
    if rel.isascii():
        return rel
    # A name that is not UTF-8 arrives with surrogate escapes, which no UTF-8 output can carry.
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def stat_mark(info: os.stat_result) -> tuple:
    """What `stat` says of a file that changes when its bytes do (size, times in ns, inode, device)."""
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev
