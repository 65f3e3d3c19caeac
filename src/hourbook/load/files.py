"""Reading one file of the books safely: its text, or a located error saying why there is none.

A file is read whole, as UTF-8 (a byte-order mark at the start is allowed), up to the size
`limits` allows; a NUL byte, text that is not UTF-8 or a control character anywhere is an
error at its line, and the file is not read. Line ends come out as `\\n`. Which files there
are is `listing`'s business; what they say is the business of the readers of each kind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat

from pathlib import Path
from typing import Iterator

from hourbook.load import limits
from hourbook.load.file_kind import is_yaml
from hourbook.load.file_kind import not_a_plain_file
from hourbook.load.listing import relative
from hourbook.load.path_names import stat_mark
from hourbook.load.problems import Problems
from hourbook.load.scalars import BIDI
from hourbook.load.scalars import FILE_CONTROLS
from hourbook.load.scalars import LINE_CONTROLS
from hourbook.load.scalars import character_name
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import parse_yaml


def content_digest(data: bytes) -> str:
    """The digest of a file's bytes, as `recorded_reads` and `hourbook.build.file_index` keep it."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


# The records `recorded_reads` keeps open: each file read whole is told to all of them.
_RECORDS: list[dict[str, tuple]] = []


@contextlib.contextmanager
def recorded_reads() -> Iterator[dict[str, tuple]]:
    """Within the block, every file `read_file` reads is recorded: name -> (its `stat` mark, the
    digest of the bytes read), the mark as `hourbook.build.file_index` takes it.

    A cold `price --json` keys its cache by the digest of every input file: the files just read
    need not be read a second time for it (thousands of small logbooks cost two opens each).
    """
    record: dict[str, tuple] = {}
    _RECORDS.append(record)
    try:
        yield record
    finally:
        _RECORDS.remove(record)


def record_read(name: str, mark: tuple, digest: str) -> None:
    """Tell the open records (`recorded_reads`) of a file read elsewhere (by a forked process)."""
    for record in _RECORDS:
        record[name] = (mark, digest)


def read_file(root: Path, path: Path, diags: Problems, yaml_file: bool | None = None) -> str | None:
    """A file's text as UTF-8 (a BOM is allowed); None, with an error, if it can't be read.

    Args:
        root: the books folder, for the path the errors name.
        path: the file.
        diags: where the errors go.
        yaml_file: whether it is YAML (`is_yaml(path)`, asked when not given), which bounds its size.

    Returns:
        The text with `\\n` line ends, or None.
    """
    if yaml_file is None:
        yaml_file = is_yaml(path)
    limit = limits.MAX_YAML_BYTES if yaml_file else limits.MAX_FILE_BYTES
    try:
        # The descriptor itself, not a file object: thousands of small logbooks a build, and the
        # buffered file object cost more than the reading. Not blocking: a file that became a
        # FIFO since it was listed is reported, not waited on.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(descriptor)
            size = info.st_size
            if not stat.S_ISREG(info.st_mode):
                diags.error(relative(root, path), 1, not_a_plain_file(info.st_mode))
                return None
            if size <= limit:
                data = _read_up_to(descriptor, size, limit)
                if _RECORDS and len(data) == size:
                    record_read(os.fsdecode(path), stat_mark(info), content_digest(data))
                size = len(data)  # the file may have grown, or be one whose size stat does not tell
        finally:
            os.close(descriptor)
        if size > limit:
            rel = relative(root, path)
            kind = "YAML files" if yaml_file else "files"
            diags.error(rel, 1, f"file is {size} bytes; hourbook reads {kind} up to {limit} bytes"
                        + (" (split it, e.g. one file per year)" if yaml_file and rel.startswith("logbook/") else ""))
            return None
    except OSError as exc:
        diags.error(relative(root, path), 1, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rel = relative(root, path)
        line = data[: exc.start].count(b"\n") + 1
        diags.error(rel, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "save the file as UTF-8")
        return None
    if "\x00" in text:
        rel = relative(root, path)
        line = text[: text.index("\x00")].count("\n") + 1
        diags.error(rel, line, "file contains a NUL byte; is it a text file?")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if data.translate(None, _PLAIN_BYTES) and not report_controls(text, relative(root, path), diags):
        return None
    return text


def _read_up_to(descriptor: int, size: int, limit: int) -> bytes:
    """The bytes of an open file to its end, or the first `limit + 1` of them (then it is too big).

    `size` is what `stat` said: a file read at once is two reads, the second finding its end."""
    parts, total = [], 0
    while total <= limit:
        want = size + 1 - total if total <= size else 1 << 16
        chunk = os.read(descriptor, min(want, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


# Bytes that are neither a control character nor the start of one in UTF-8 (C1 controls begin
# with 0xC2; U+2028, U+2029 with 0xE2; U+FEFF with 0xEF): a file of only these needs no closer look,
# and deleting them is a hundred times faster than searching the text.
_PLAIN_BYTES = bytes([*range(0x20, 0x7F), *b"\t\n\r", *(b for b in range(0x80, 0x100) if b not in b"\xc2\xe2\xef")])


def report_controls(text: str, rel: str, diags: Problems) -> bool:
    """Report each line with a character no books file may hold; True when there is none.

    A control character would reach a document, a journal or a terminal (where an escape
    sequence acts); a byte-order mark inside a file is a sign of files joined together.
    """
    found = FILE_CONTROLS.search(text)
    line, counted_to, reported = 1, 0, 0
    while found is not None:
        line += text.count("\n", counted_to, found.start())
        counted_to = found.start()
        if reported == limits.MAX_SHOWN_LINES:
            diags.error(rel, line, "this line and more after it hold control characters; is it a text file?")
            break
        char = found.group()
        if char == "\ufeff":
            diags.error(rel, line, "line holds a byte-order mark (U+FEFF) inside the file: was it joined "
                        "from two files? remove it")
        else:
            diags.error(rel, line, f"line holds {character_name(char)}: remove it (documents, journals "
                        "and terminals act on control characters)")
        reported += 1
        next_line = text.find("\n", found.start())
        found = None if next_line < 0 else FILE_CONTROLS.search(text, next_line)
    return reported == 0


def load_yaml_file(root: Path, path: Path, diags: Problems):
    """A YAML file's document (`YMap`, `YList`, a scalar), or None: empty, unreadable or not YAML (reported)."""
    text = read_file(root, path, diags)
    if text is None:
        return None
    try:
        return parse_yaml(text)
    except YamlError as exc:
        diags.error(relative(root, path), exc.line, exc.message)
        return None


def readable_name(rel: str, diags: Problems) -> bool:
    """True for a logbook's path that can name the entries' source; else an error, and the file is not read.

    Entries carry their file's path to every page, export and message: a line break or an
    escape sequence in it would reach them all.
    """
    if rel.isprintable():
        return True
    bad = LINE_CONTROLS.search(rel) or BIDI.search(rel)
    if bad is None:
        return True
    diags.error(rel, 1, f"the file's name holds {character_name(bad.group())}: rename the file "
                "(its entries are not read, since their source would carry it)")
    return False
