"""Where a site may go: the one place that decides whether a folder may be replaced by a site.

A build replaces the site's folder as a whole (`site.tree.swap_in`), so the folder must
never be the books or anything in them but the site, and never a folder hourbook did not
write: every site carries `SITE_MARKER` at its top. This module only judges; it writes
and removes nothing, and what goes into the site is the render stage's business.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

from hourbook.core.printable import escape_controls
from hourbook.load.file_kind import file_kind
from hourbook.site.files import link_target

SITE_MARKER = ".hourbook-site"  # at the top of every site hourbook writes: the folder may be replaced
SITE_MARKER_TEXT = (b"This folder is a site written by hourbook: every `hourbook build` replaces it as a whole.\n"
                    b"Keep nothing else in it.\n")
# Folders of the books the site must never be, be inside, or contain (the cache: build's CACHE_DIR).
BOOKS_FOLDERS = ("logbook", "contracts", "templates", "invoices", "payments", ".git", ".hourbook-cache")


def check_site_folder(root: Path, out: Path, known: Iterable[str] = ()) -> str | None:
    """Why the site must not be written to `out`, or None when it may (the one place that decides).

    A build replaces `out` as a whole, so `out` must not be the books folder, contain it, or
    be, contain or be inside one of its `BOOKS_FOLDERS` (compared by real path and by the
    file system's identity of each folder, so `..`, symbolic links and a case-insensitive
    file system change nothing). What is at `out` must be nothing yet, an empty folder, or a
    site hourbook wrote: a folder with `SITE_MARKER` at its top.

    Args:
        root: the books folder.
        out: where the site goes.
        known: the files the last build recorded writing to `out` (its cache manifest): a
            site written before sites carried the marker is recognised by holding only those.
    """
    shown = escape_controls(str(out))
    overlap = _books_overlap(root, out)
    if overlap:
        return (f"refusing to write the site to {shown}: {overlap}, and every build replaces the whole site "
                f"folder; give --out another folder, such as {escape_controls(str(Path(root) / 'site'))}")
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot use {shown} for the site: {exc.strerror or exc}"
    if stat.S_ISLNK(mode):
        return (f"{shown} is a symbolic link (to {link_target(out)}): hourbook replaces the site folder "
                f"itself, so give --out the real folder, or remove the link")
    if not stat.S_ISDIR(mode):
        return (f"{shown} is {file_kind(mode, fifo='a FIFO')}, not a site folder: hourbook will not replace it; "
                f"move it away or give --out another folder")
    return _foreign_folder(out, shown, known)


def _foreign_folder(out: Path, shown: str, known: Iterable[str]) -> str | None:
    """Why the existing folder `out` is not a site hourbook may replace, or None."""
    try:
        if stat.S_ISREG(os.lstat(out / SITE_MARKER).st_mode):
            return None
    except OSError:
        pass
    try:
        empty = not os.listdir(out)
    except OSError as exc:
        return f"cannot use {shown} for the site: {exc.strerror or exc}"
    if empty or _only_known(out, frozenset(known)):
        return None
    return (f"{shown} is a folder hourbook did not write (it has no {SITE_MARKER}): a build would replace "
            f"everything in it; give --out a new or empty folder, or move what is in it away (a site an older "
            f"hourbook wrote can be removed: the build writes it anew)")


def _only_known(out: Path, known: frozenset[str]) -> bool:
    """`out` holds nothing but files the last build recorded writing there (a site from before the marker)."""
    if not known:
        return False
    for folder, folders, names in os.walk(out):
        base = Path(folder).relative_to(out)
        for name in names + [name for name in folders if os.path.islink(os.path.join(folder, name))]:
            if (base / name).as_posix() not in known:
                return False
    return True


def _books_overlap(root: Path, out: Path) -> str:
    """How `out` overlaps the books folder or one of its own folders ('' when it does not)."""
    real_root = os.path.realpath(root)
    real_out = os.path.realpath(out)
    guarded = {f"the books' {name}/ folder": os.path.realpath(os.path.join(real_root, name)) for name in BOOKS_FOLDERS}
    git = _enclosing_git(real_root)
    if git:
        guarded["the git repository's .git folder"] = git
    out_chain = [(path, _identity(path)) for path in _chain(real_out)]
    root_id = _identity(real_root)
    if real_out == real_root or (root_id is not None and out_chain[0][1] == root_id):
        return "it is the books folder itself"
    if _contains(out_chain[0], real_root):
        return f"it holds the books folder {escape_controls(real_root)}"
    for name, folder in guarded.items():
        folder_id = _identity(folder)
        for depth, (path, identity) in enumerate(out_chain):
            if path == folder or (folder_id is not None and identity == folder_id):
                return f"it is {name}" if depth == 0 else f"it is inside {name}"
        if _contains(out_chain[0], folder):
            return f"it holds {name}"
    return ""


def _contains(out: tuple[str, tuple[int, int] | None], path: str) -> bool:
    """Whether the folder `out` (real path, identity) holds `path` (a real path), at any depth."""
    real_out, out_id = out
    for ancestor in _chain(path)[1:]:
        if ancestor == real_out or (out_id is not None and _identity(ancestor) == out_id):
            return True
    return False


def _chain(path: str) -> list[str]:
    """`path` and every folder above it, up to the file system's root."""
    chain = [path]
    while os.path.dirname(chain[-1]) != chain[-1]:
        chain.append(os.path.dirname(chain[-1]))
    return chain


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of what `path` leads to: the same for two names of one folder; None when missing."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _enclosing_git(real_root: str) -> str:
    """The `.git` of the repository the books are in (in the books folder or above it), or ''."""
    for folder in _chain(real_root):
        candidate = os.path.join(folder, ".git")
        if os.path.lexists(candidate):
            return os.path.realpath(candidate)
    return ""
