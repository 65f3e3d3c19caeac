"""Reading the register `issued.yaml`: its records, or located diagnostics for what cannot be read.

The register is an input of the books like the logbooks: `read_register` reads the
file (never through a link, never blocking on a FIFO: `read_regular`) and
`read_register_text` parses it into `IssuedRecord`s, each problem an error at its
line. Whether the records hold together (hash chain, numbering) and agree with the
books is `hourbook.checks.issued`; nothing here checks or writes.
"""

from __future__ import annotations

import datetime
import errno
import os
import re
import stat
from decimal import Decimal
from pathlib import Path

from hourbook.core.documents import CREDIT
from hourbook.core.documents import INVOICE
from hourbook.core.documents import Item
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.core.register import LATER_FIELDS
from hourbook.core.register import RECORD_FIELDS
from hourbook.core.register import REGISTER
from hourbook.core.register import IssuedRecord
from hourbook.core.register import record_hash
from hourbook.load.file_kind import file_kind
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap
from hourbook.load.yaml_reader import parse_yaml

PDF_PATH = re.compile(r"^invoices/[A-Za-z0-9._-]+\.pdf$")   # what register.pdf_name makes: one file in invoices/
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class RegisterError(Exception):
    """A record that cannot be read, at its line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def read_register_text(text: str) -> tuple[list[IssuedRecord], list[Diagnostic]]:
    """Parse issued.yaml's text; every problem is a located diagnostic.

    Returns:
        (the records that could be read, diagnostics). Verification is `checks.register.verify_register`.
    """
    try:
        data = parse_yaml(text)
    except YamlError as exc:
        return [], [Diagnostic(Source(REGISTER, exc.line), f"{exc.message}; restore the register from git "
                               "(git checkout -- issued.yaml)", ERROR)]
    if data is None:
        return [], []
    if not isinstance(data, YList):
        return [], [Diagnostic(Source(REGISTER, getattr(data, "line", 1)),
                               "issued.yaml must be a list of records; restore it from git", ERROR)]
    records, problems = [], []
    for index, item in enumerate(data):
        line = data.line_of(index)
        try:
            records.append(parse_record(item, line))
        except RegisterError as exc:
            problems.append(Diagnostic(Source(REGISTER, exc.line), exc.message, ERROR))
    return records, problems


def parse_record(item, line: int) -> IssuedRecord:
    """One YAML mapping -> IssuedRecord; RegisterError for anything out of shape."""
    if not isinstance(item, YMap):
        raise RegisterError(line, "a register record must be a mapping of fields")
    unknown = [key for key in item if key not in RECORD_FIELDS and key != "hash"]
    if unknown:
        raise RegisterError(item.line_of(unknown[0]), f"unknown register field {unknown[0]!r}: "
                            "the register was edited by hand")
    missing = [key for key in (*RECORD_FIELDS, "hash") if key not in item and key not in LATER_FIELDS]
    if missing:
        raise RegisterError(line, f"record lacks {', '.join(missing)}: the register was edited by hand")

    def text_field(key: str) -> str:
        value = item[key]
        if not isinstance(value, str):
            raise RegisterError(item.line_of(key), f"register field {key!r} must be text, got {value!r}")
        return value

    def amount_field(key: str) -> Decimal:
        try:
            return Decimal(text_field(key))
        except ArithmeticError:
            raise RegisterError(item.line_of(key), f"register field {key!r} is not an amount: {item[key]!r}") from None

    try:
        issued = datetime.date.fromisoformat(text_field("issued"))
    except ValueError:
        raise RegisterError(item.line_of("issued"),
                            f"register field 'issued' is not a date: {item['issued']!r}") from None
    seq = item["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise RegisterError(item.line_of("seq"), f"register field 'seq' must be a whole number from 1, got {seq!r}")
    lines = item["lines"]
    if not isinstance(lines, YList) or not all(
            isinstance(entry, YList) and len(entry) == 3 and all(isinstance(part, str) for part in entry)
            for entry in lines):
        raise RegisterError(item.line_of("lines"), "register field 'lines' must be a list of [source, hash, summary]")
    kind = text_field("type")
    if kind not in (INVOICE, CREDIT):
        raise RegisterError(item.line_of("type"), f"register field 'type' must be invoice or credit, got {kind!r}")
    if not PDF_PATH.match(text_field("pdf")):
        raise RegisterError(item.line_of("pdf"), f"register field 'pdf' must name a file in invoices/ like "
                            f"invoices/2026-0001.pdf, got {item['pdf']!r}: the register was edited by hand")
    due = None
    if "due" in item:
        try:
            due = datetime.date.fromisoformat(text_field("due"))
        except ValueError:
            raise RegisterError(item.line_of("due"), f"register field 'due' is not a date: {item['due']!r}") from None
    pdf_sha256 = text_field("pdf_sha256") if "pdf_sha256" in item else ""
    if "pdf_sha256" in item and not SHA256_HEX.match(pdf_sha256):
        raise RegisterError(item.line_of("pdf_sha256"), "register field 'pdf_sha256' must be 64 hexadecimal "
                            f"digits, got {pdf_sha256!r}: the register was edited by hand")
    through = None
    if "through" in item:
        try:
            through = datetime.date.fromisoformat(text_field("through"))
        except ValueError:
            raise RegisterError(item.line_of("through"), "register field 'through' is not a date: "
                                f"{item['through']!r}: the register was edited by hand") from None
    return IssuedRecord(
        number=text_field("number"), type=kind, corrects=text_field("corrects"), scope=text_field("scope"), seq=seq,
        client=text_field("client"), period=text_field("period"), issued=issued, currency=text_field("currency"),
        rate=amount_field("rate"), net=amount_field("net"), tax=amount_field("tax"), total=amount_field("total"),
        content=text_field("content"), commit=text_field("commit"), pdf=text_field("pdf"),
        lines=tuple(Item(*entry) for entry in lines), previous=text_field("previous"), pdf_sha256=pdf_sha256, due=due,
        through=through, hash=text_field("hash"), source=Source(REGISTER, line), read_hash=record_hash(plain_data(item)))


def plain_data(value):
    """YMap/YList -> dict/list, as the record's fields were when they were hashed."""
    if isinstance(value, dict):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return value


class NotAFile(Exception):
    """A path that exists but is not a regular file: a folder, a symbolic link, a FIFO..."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def read_regular(path: Path) -> bytes | None:
    """A regular file's bytes; None when nothing is there.

    Never follows a symbolic link and never blocks on a FIFO: the file is opened without
    following links and without waiting, and read only once fstat says it is a regular file.

    Raises:
        NotAFile: something else is there.
        OSError: it cannot be read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:            # O_NOFOLLOW met a symbolic link
            raise NotAFile("a symbolic link") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotAFile(file_kind(mode))
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def read_register(root: Path) -> tuple[list[IssuedRecord], list[Diagnostic], bytes]:
    """Read BOOKS/issued.yaml (no file: no records), unverified: see `checks.register.read_verified_register`.

    Returns:
        (records, diagnostics of what could not be read, the file's bytes).
    """
    try:
        data = read_regular(root / REGISTER)
    except NotAFile as exc:
        return [], [Diagnostic(Source(REGISTER, 1), f"issued.yaml is {exc.kind}, not a file: the register must be "
                               "the file `hourbook issue` writes; move this away and restore the register from "
                               "git (git checkout -- issued.yaml)", ERROR)], b""
    except OSError as exc:
        return [], [Diagnostic(Source(REGISTER, 1), f"cannot read the register: {exc.strerror or exc}", ERROR)], b""
    if data is None:
        return [], [], b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [Diagnostic(Source(REGISTER, line), "the register is not valid UTF-8; restore it from git",
                               ERROR)], data
    return *read_register_text(text), data
