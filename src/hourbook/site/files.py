"""Files written whole or not at all, for the site, the invoices and the link secret.

A reader (a browser, a later build, an editor) sees a file as it was or as it is
now, never half-written: the bytes go to a temporary file in the same folder, are
synced, and the temporary file is renamed (or linked) into place. For the messages
about such files, `link_target` says where a symbolic link leads. What the files
hold, and where the site's folder may go, is decided elsewhere (`site.folder`).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from hourbook.core.printable import escape_controls


class SiteError(Exception):
    """The site could not be written (disk full, permissions): not a problem in the books."""


def is_folder(path: Path) -> bool:
    """A folder itself, not a link to one (nor a file, nor nothing)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def write_file_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Temp file in the same folder, fsync, rename: the file is whole or as it was.

    Args:
        path: where the file goes; its folder is made when missing. A file there is replaced.
        data: the file's bytes.
        mode: the file's permissions.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _synced_copy(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file that must not exist yet, whole or not at all: temp file, fsync, hard link.

    The link fails if anything is at `path`, so nothing is ever written over; where the file
    system has no hard links, the file is renamed into place after a last look.

    Raises:
        FileExistsError: something is at `path`.
        OSError: the write failed (full disk, read-only folder...), naming `path`.
    """
    try:
        tmp = _synced_copy(path, data, mode)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                                 errno.ENOSYS):
                raise
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
            os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)


def _synced_copy(path: Path, data: bytes, mode: int) -> str:
    """A temporary file beside `path` holding `data`, synced to disk, with `mode`: its name.

    Nothing is left behind when this fails; the caller puts the file in place or removes it.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def link_target(path: Path) -> str:
    """Where the symbolic link `path` leads, for a message (control characters escaped).

    Returns:
        The link's target as written in the link, or `a place that cannot be read`.
    """
    try:
        return escape_controls(os.readlink(path))
    except OSError:
        return "a place that cannot be read"
