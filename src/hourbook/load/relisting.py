"""The books' files again, from the last listing and the paths that changed (watch).

A walk of tens of thousands of small logbooks costs a second; when the file system says
which paths changed, `relist` answers from the last listing (`listing.list_books`) exactly as
a walk would, or declines (None) where only a walk can say: a folder, a link, a file outside
logbook/, books whose listing had links or problems.
"""

from __future__ import annotations

import bisect
import os
import stat
from pathlib import Path
from typing import Callable
from typing import Iterable

from hourbook.load.listing import FOLDERS
from hourbook.load.listing import BooksFiles
from hourbook.load.listing import ListingStopped
from hourbook.load.listing import relative_posix
from hourbook.load.listing import shown
from hourbook.load.path_names import stat_mark


def relist(previous: BooksFiles, changed: Iterable[str]) -> BooksFiles | None:
    """The listing `list_books(previous.root)` would give now, when only the `changed` paths may
    have changed since `previous` was made (watch hears of them from the file system): their
    logbooks added, dropped or given their new `stat`, every other file taken as it was.

    Books of tens of thousands of small logbooks cost a second to list; an edit costs its file.
    It answers only what it can answer exactly as `list_books` would: None, for a full listing,
    when the books had links or problems, or a changed path is anything but a plain file in
    logbook/ or a name the listing skips (a folder, a link, hourbook.yaml, a contract, a template).

    Args:
        previous: the last listing of the books (`list_books` or `relist`).
        changed: the paths that changed, absolute or as they are under the books folder's own path.
    """
    if previous.problems or previous.links:
        return None
    root = previous.root
    spec = FOLDERS["logbook"]
    logbooks, shown_names = list(previous.logbooks), list(previous.logbook_names)
    sizes = list(previous.logbook_sizes)
    marks, names = dict(previous.marks), dict(previous.names)
    moved = False
    for raw in sorted(set(changed)):
        try:
            rel = relative_posix(root, Path(os.fsdecode(raw)))
        except ValueError:                      # not under the books folder
            return None
        parts = rel.split("/")
        if len(parts) < 2 or parts[0] != spec.name or "" in parts or "." in parts or ".." in parts:
            return None                         # not in logbook/ (or logbook/ itself)
        if any(spec.skipped(part) for part in parts[1:]):
            continue                            # hidden or a backup: never listed
        path = root / rel
        key = str(path)
        try:
            info = os.lstat(key)
        except FileNotFoundError:
            if key in marks:                    # a logbook gone
                index = bisect.bisect_left(shown_names, shown(names[key]))
                del logbooks[index], shown_names[index], sizes[index], marks[key], names[key]
                moved = True
                continue
            inside = shown(rel) + "/"           # a folder gone with the logbooks in it (names sort together)
            index = bisect.bisect_left(shown_names, inside)
            if index < len(shown_names) and shown_names[index].startswith(inside):
                return None
            continue
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None                         # a folder, a link, a pipe: the full listing says what
        if not spec.wanted(parts[-1]):
            continue                            # a file that is no logbook
        if key in marks:
            marks[key] = stat_mark(info)        # a logbook edited
            sizes[bisect.bisect_left(shown_names, shown(names[key]))] = info.st_size
            continue
        if not _plain_folders(root, parts[:-1]):
            return None
        shown_rel = shown(rel)                  # a new logbook, in its place in path order
        index = bisect.bisect(shown_names, shown_rel)
        logbooks.insert(index, path)
        shown_names.insert(index, shown_rel)
        sizes.insert(index, info.st_size)
        marks[key], names[key] = stat_mark(info), rel
        moved = True
    # When no logbook came or went, the same names in the same order: the very tuples, kept.
    listed = BooksFiles(previous.settings, previous.contracts, tuple(logbooks) if moved else previous.logbooks,
                        previous.templates, previous.problems, previous.payments, root, marks, names, 0)
    listed.__dict__["logbook_names"] = tuple(shown_names) if moved else previous.logbook_names   # the cached
    listed.__dict__["logbook_sizes"] = tuple(sizes)                     # properties, known already
    if not moved and "printable_logbooks" in previous.__dict__:
        listed.__dict__["printable_logbooks"] = previous.printable_logbooks
    return listed


def as_listed(root: Path, paths: Iterable[str]) -> set[str] | None:
    """Changed paths (as the file system names them: absolute, or relative to the working folder)
    named as the listing of the books folder `root` names its files (`str(root / rel)`), links not
    followed; None when one is not under `root`."""
    top = os.path.abspath(root)
    prefix = top.rstrip(os.sep) + os.sep
    names = set()
    for raw in paths:
        full = os.path.abspath(os.fsdecode(raw))
        if full != top and not full.startswith(prefix):
            return None
        names.add(str(root / full[len(prefix):]) if full != top else str(root))
    return names


def _plain_folders(root: Path, parts: list[str]) -> bool:
    """Whether each folder of `parts` (logbook/ and those under it) is a real folder, no link."""
    folder = root
    for part in parts:
        folder = folder / part
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return False
        except OSError:
            return False
    return True


COMPARED_AT_ONCE = 4096     # logbooks' paths compared between two asks of `stop`


def same_listing(now: BooksFiles, before: BooksFiles, stop: Callable[[], bool] | None = None) -> bool:
    """Whether two listings are equal (`==`) and found the same `stat` marks.

    The paths are compared a slice at a time, asking `stop` before each (`ListingStopped` when it
    says so): watch compares the walk after a build with that build's listing, and 88 000 paths
    compared one by one in Python take 0.1-0.2 s that the next change would wait for.
    """
    if (now.settings, now.contracts, now.templates, now.problems, now.payments, now.root, now.links) != \
            (before.settings, before.contracts, before.templates, before.problems, before.payments, before.root,
             before.links) or len(now.logbooks) != len(before.logbooks):
        return False
    for start in range(0, len(now.logbooks), COMPARED_AT_ONCE):
        if stop is not None and stop():
            raise ListingStopped
        if now.logbooks[start:start + COMPARED_AT_ONCE] != before.logbooks[start:start + COMPARED_AT_ONCE]:
            return False
    if stop is not None and stop():
        raise ListingStopped
    return now.marks == before.marks
