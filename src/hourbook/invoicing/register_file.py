"""Writing what `issue` issues: the invoices' PDFs, then the register, so that a crash leaves no half.

One `hourbook issue` at a time holds the books folder's lock (`register_lock`). Every
PDF is written first, each as a new file (an invoice file is never written over), then
the register is replaced in one atomic rename by its old bytes plus the new records: a
crash before the rename leaves no record (the next run reuses the numbers and keeps
the PDFs it finds with the very same bytes), and a failed write removes the PDFs this
run wrote. Tests stop a run at a named point (`crash_point`) as a kill -9 would.

What to write is decided by `hourbook.invoicing.issue`; the bytes of the register by
`hourbook.core.register`.
"""

from __future__ import annotations

import os
import re
import signal
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from hourbook.core.register import INVOICES_DIR
from hourbook.core.register import REGISTER
from hourbook.load.file_kind import file_kind
from hourbook.load.register import NotAFile
from hourbook.load.register import read_regular
from hourbook.site.files import write_file_atomically
from hourbook.site.files import write_new_file

if TYPE_CHECKING:
    from collections.abc import Iterator

CRASH_ENV = "HOURBOOK_TEST_CRASH_AT"        # tests: die by SIGKILL at a named point of `issue`
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}$")   # tempfile.mkstemp(prefix=".NAME.")


@contextmanager
def register_lock(root: Path) -> Iterator[None]:
    """One `hourbook issue` at a time per books folder (an flock on the folder itself, where there is flock)."""
    try:
        import fcntl  # here, not at the top: POSIX only, and its absence is handled
    except ImportError:                         # not POSIX: no lock, as before fcntl existed
        yield
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def crash_point(name: str) -> None:
    """Tests only: die here, as a kill -9 would, when $HOURBOOK_TEST_CRASH_AT names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def remove_stale_temp_files(root: Path) -> None:
    """Remove the temporary files of an interrupted run (the register's and the PDFs'). Under the lock only."""
    for stale in [*root.glob(f".{REGISTER}.*"), *(root / INVOICES_DIR).glob(".*.pdf.*")]:
        if TEMP_NAME.match(stale.name):
            stale.unlink(missing_ok=True)


def invoices_folder_problem(root: Path) -> str:
    """Why BOOKS/invoices cannot take the PDFs ('' when it is a folder or not there yet)."""
    try:
        mode = os.lstat(root / INVOICES_DIR).st_mode
    except FileNotFoundError:
        return ""
    if stat.S_ISDIR(mode):
        return ""
    return (f"{INVOICES_DIR} is {file_kind(mode)}, not a folder: `hourbook issue` writes the invoices' PDFs into "
            "the folder invoices/ of the books; move it away")


def existing_pdfs(root: Path, pdfs: dict[str, bytes]) -> tuple[list[str], set[str]]:
    """The PDFs to write that are already there: (what is in the way, names already there with these very bytes).

    A PDF with no record in the register is left by an issue killed after it wrote it: the same
    bytes are kept as they are; anything else is in the way, as an invoice file is never written over.
    """
    in_the_way, same = [], set()
    for name, data in pdfs.items():
        try:
            there = read_regular(root / name)
        except NotAFile as exc:
            in_the_way.append(f"{name} ({exc.kind})")
            continue
        if there == data:
            same.add(name)
        elif there is not None:
            in_the_way.append(name)
    return in_the_way, same


def write_invoices(root: Path, pdfs: dict[str, bytes], keep: set[str]) -> list[Path]:
    """Write every PDF but those in `keep` (already there); on any failure, remove what was written and raise.

    Returns:
        The paths written (the invoices folder last, if this run made it): what to remove if
        the register cannot be written after them.
    """
    written: list[Path] = []
    folder = root / INVOICES_DIR
    made_folder = not folder.exists()
    try:
        folder.mkdir(exist_ok=True)
        for index, (name, data) in enumerate(pdfs.items()):
            if name not in keep:
                write_new_file(root / name, data)
                written.append(root / name)
            if index == 0:
                crash_point("after-first-pdf")
    except BaseException:
        remove_written(written + [folder] * made_folder)
        raise
    return written + [folder] * made_folder


def write_register(root: Path, data: bytes, written: list[Path]) -> None:
    """Replace issued.yaml by `data` in one atomic rename; when that fails, remove the `written` PDFs and raise."""
    try:
        write_file_atomically(root / REGISTER, data)
    except BaseException:
        remove_written(written)
        raise


def remove_written(paths: list[Path]) -> None:
    """Undo a failed `issue`: remove the files it wrote, and a folder it made if nothing else is in it."""
    for path in paths:
        try:
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass                                # a folder something else was put in stays
