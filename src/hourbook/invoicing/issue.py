"""Issued invoices: the register `issued.yaml`, gap-free numbers, frozen periods and corrections.

A statement becomes an invoice when `hourbook issue PERIOD` gives it a number and
appends a record to `issued.yaml`. From then on the period is frozen: every
`check` and `build` re-prices it and compares the result, item by item, with
what the register says was invoiced (`check_issued`). Mistakes are corrected by
a `#correction` entry in an open period, which becomes a corrective invoice
(credit note) in a separate number series when that period is issued.

The register is append-only. Each record carries the hash of the record before
it (a hash chain, like Spain's Verifactu records), so a record that is edited,
removed or reordered is reported, and the SHA-256 of its PDF, so a changed,
replaced or missing invoice file is reported too. The committed register (git
HEAD) must be where the working one starts: a register removed, emptied,
shortened or replaced by something that is not a file is an error. New records
are appended by writing the old bytes plus the new records to a temporary file
and renaming it over the register: a crash leaves the old register or the new
one, never half of one. An invoice's PDF is never written over.

`issue` dates invoices today (or earlier, never later), and refuses when a file
it reads is not recorded by git as it is (uncommitted, untracked, ignored,
assume-unchanged, skip-worktree): the commit a record names reproduces it.

This module computes and compares (pure functions over records), reads and
writes `issued.yaml` and `invoices/`, and asks git for the commit. The invoice
document itself (PDF/A-3 with Factur-X XML) is `einvoice`'s work.
"""

from __future__ import annotations

import datetime
import errno
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from hourbook.core import periods
from hourbook.core.money import format_money
from hourbook.core.pricing import format_minutes
from hourbook.core.pricing import totals
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import WARNING
from hourbook.core.records import ClientId
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import sorted_diagnostics
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import Source
from hourbook.core.records import Statement
from hourbook.load.listing import file_kind
from hourbook.git import build_info
from hourbook.load.listing import BOOKS_PARTS
from hourbook.site.files import write_file_atomically
from hourbook.site.files import write_new_file
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap
from hourbook.load.yaml_reader import parse_yaml

if TYPE_CHECKING:
    from collections.abc import Iterator

REGISTER = "issued.yaml"
INVOICES_DIR = "invoices"
CORRECTION_TAG = "correction"
INVOICE = "invoice"
CREDIT = "credit"
GENESIS = "0" * 64
CRASH_ENV = "HOURBOOK_TEST_CRASH_AT"        # tests: die by SIGKILL at a named point of `issue`
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}$")   # tempfile.mkstemp(prefix=".NAME.")
PERIOD_NAME = re.compile(r"^(\d{4})-(?:0[1-9]|1[0-2]|Q[1-4])$")
PDF_PATH = re.compile(r"^invoices/[A-Za-z0-9._-]+\.pdf$")   # what pdf_name makes: one file in invoices/
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
FINGERPRINT_HEX = 12
MAX_FILE_NAME = 200                         # characters of an invoice PDF's name
REGISTER_HEADER = (
    "# Register of issued invoices, written only by `hourbook issue`. Append-only: never edit it.\n"
    "# Each record carries the hash of the one before it; `hourbook check` verifies the chain\n"
    "# and compares every issued period with the books.\n"
)
HOW_TO_CORRECT = ("restore it as it was invoiced (git checkout) and record the difference as a "
                  "#correction entry in an open period instead (see docs/invoicing.md)")
HOW_TO_ADD = ("date it in an open period instead (tag it #correction #{number} if it corrects that "
              "invoice; see docs/invoicing.md)")


# ------------------------------------------------------------------ documents


@dataclass(frozen=True)
class Document:
    """What one invoice or corrective invoice is made of: a statement, or its corrections.

    A statement's `#correction` lines are split off into one corrective document per
    invoice they correct; everything else (charged or not) and the fees form the invoice.
    """

    kind: str                                   # invoice | credit
    client: ClientId
    period: str
    corrects: str                               # number of the corrected invoice; "" for invoices
    lines: tuple[Line, ...]
    fees: tuple[Fee, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    tax_rate: Decimal
    prices_include_tax: bool

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.client, self.period, self.kind, self.corrects.lower())


def is_correction(line: Line) -> bool:
    return CORRECTION_TAG in line.entry.tags


def corrected_number(line: Line, numbers: dict[str, str]) -> str:
    """The invoice number a #correction line names among its tags ('' if none does).

    Args:
        numbers: lowercased number -> number, for the client's issued invoices.
    """
    for tag in line.entry.tags:
        if tag in numbers:
            return numbers[tag]
    return ""


def split_statement(statement: Statement, contract: Contract, numbers: dict[str, str]) -> list[Document]:
    """A statement -> its invoice and one corrective document per corrected invoice.

    Totals follow SPEC §5 per document: tax on each document's own net (or, with
    prices that include tax, split out of its own gross).

    Args:
        numbers: lowercased number -> number of the client's issued invoices, to
            resolve which invoice a `#correction` line corrects.
    """
    regular = [line for line in statement.lines if not is_correction(line)]
    groups: dict[str, list[Line]] = defaultdict(list)
    for line in statement.lines:
        if is_correction(line):
            groups[corrected_number(line, numbers)].append(line)
    documents = [make_document(INVOICE, "", statement, contract, regular, list(statement.fees))]
    for number in sorted(groups):
        documents.append(make_document(CREDIT, number, statement, contract, groups[number], []))
    return documents


def make_document(kind: str, corrects: str, statement: Statement, contract: Contract,
                  lines: list[Line], fees: list[Fee]) -> Document:
    net, tax, total = totals(contract, lines, fees)
    return Document(kind, contract.id, statement.period, corrects, tuple(lines), tuple(fees), net, tax, total,
                    contract.currency, contract.tax, contract.prices_include_tax)


# ------------------------------------------------------------------ fingerprints


def canonical(value) -> bytes:
    """The one byte form that is hashed: JSON, sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def line_item(line: Line, currency: str) -> dict:
    """What an invoice says about a line: everything but its place in the file."""
    entry = line.entry
    return {
        "date": entry.date.isoformat(), "kind": entry.kind, "status": line.status, "reason": line.reason,
        "by": entry.by, "tags": list(entry.tags), "description": entry.description,
        "logged": line.logged_minutes, "billed": line.billed_minutes,
        "rate": None if line.rate is None else format_money(line.rate, currency),
        "value": format_money(line.value, currency), "amount": format_money(line.amount, currency),
        "cover": line.cover,
    }


def fee_item(fee: Fee, currency: str) -> dict:
    return {"fee": fee.kind, "ref": fee.ref, "label": fee.label, "date": fee.date.isoformat(),
            "amount": format_money(fee.amount, currency)}


def line_summary(line: Line, currency: str) -> str:
    """`billed 1h30m at 60.00 = 90.00`: the money of a line, as messages show it."""
    status = line.status + (f" ({line.reason})" if line.reason else "")
    amount = format_money(line.amount, currency)
    if line.entry.kind == EXPENSE:
        return f"{status} expense {format_money(line.value, currency)} = {amount}"
    rate = f" at {format_money(line.rate, currency)}" if line.rate is not None else ""
    cover = f" from {line.cover}" if line.cover else ""
    return f"{status} {format_minutes(line.billed_minutes)}{rate} = {amount}{cover}"


def fee_summary(fee: Fee, currency: str) -> str:
    return f"fee {fee.kind} '{fee.label}' = {format_money(fee.amount, currency)}"


@dataclass(frozen=True)
class Item:
    """One line or fee of an invoice as the register keeps it: where, what (hashed), how much."""

    source: str                                 # path:line, as it was at issue time
    fingerprint: str                            # FINGERPRINT_HEX hex digits of the item's hash
    summary: str

    def as_list(self) -> list[str]:
        return [self.source, self.fingerprint, self.summary]


def document_items(doc: Document) -> list[Item]:
    items = [Item(str(line.entry.source), sha256(canonical(line_item(line, doc.currency)))[:FINGERPRINT_HEX],
                  line_summary(line, doc.currency)) for line in doc.lines]
    items += [Item(str(fee.source), sha256(canonical(fee_item(fee, doc.currency)))[:FINGERPRINT_HEX],
                   fee_summary(fee, doc.currency)) for fee in doc.fees]
    return items


def content_hash(doc: Document) -> str:
    """sha256 of the priced lines and fees, the currency, the tax rate and the totals."""
    return "sha256:" + sha256(canonical({
        "lines": [line_item(line, doc.currency) for line in doc.lines],
        "fees": [fee_item(fee, doc.currency) for fee in doc.fees],
        "currency": doc.currency, "tax_rate": str(doc.tax_rate), "prices_include_tax": doc.prices_include_tax,
        "net": format_money(doc.net, doc.currency), "tax": format_money(doc.tax, doc.currency),
        "total": format_money(doc.total, doc.currency),
    }))


# ------------------------------------------------------------------ the register

# The fields of a record, in the order they are written. Every one is covered by its hash.
RECORD_FIELDS = ("number", "type", "corrects", "scope", "seq", "client", "period", "issued", "currency",
                 "rate", "net", "tax", "total", "content", "commit", "pdf", "pdf_sha256", "lines", "previous")
# Fields that records written by earlier versions lack. Such a record is read with the field
# empty and hashed without it (as it was written), so its chain still verifies; a record that
# has the field is hashed with it.
LATER_FIELDS = ("pdf_sha256",)


@dataclass(frozen=True)
class IssuedRecord:
    """One issued invoice or corrective invoice, as `issued.yaml` keeps it."""

    number: str
    type: str                                   # invoice | credit
    corrects: str                               # "" for invoices
    scope: str                                  # numbering series: "invoice/2026", or "invoice" without {year}
    seq: int
    client: ClientId
    period: str
    issued: datetime.date
    currency: str
    rate: Decimal                               # VAT rate in percent: 21 for 21 %
    net: Decimal
    tax: Decimal
    total: Decimal
    content: str
    commit: str
    pdf: str
    lines: tuple[Item, ...]
    previous: str
    pdf_sha256: str = ""                        # hex SHA-256 of the PDF's bytes; "" in records from before it
    hash: str = ""
    source: Source = field(default=Source(REGISTER, 0), compare=False)
    read_hash: str = field(default="", compare=False)   # the hash of the fields as read from the file

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.client, self.period, self.type, self.corrects.lower())

    @property
    def label(self) -> str:
        what = "invoice" if self.type == INVOICE else "corrective invoice"
        return f"{what} {self.number} ({self.client}, {self.period})"

    def fields(self) -> dict:
        """The record as written: strings, one int, and lists of strings.

        `pdf_sha256` is left out when empty: a record from before that field is hashed as it was written.
        """
        fields = {
            "number": self.number, "type": self.type, "corrects": self.corrects, "scope": self.scope,
            "seq": self.seq, "client": self.client, "period": self.period, "issued": self.issued.isoformat(),
            "currency": self.currency, "rate": f"{self.rate.normalize():f}",
            "net": format_money(self.net, self.currency),
            "tax": format_money(self.tax, self.currency), "total": format_money(self.total, self.currency),
            "content": self.content, "commit": self.commit, "pdf": self.pdf, "pdf_sha256": self.pdf_sha256,
            "lines": [item.as_list() for item in self.lines], "previous": self.previous,
        }
        if not self.pdf_sha256:
            del fields["pdf_sha256"]
        return fields


def record_hash(fields: dict) -> str:
    """The chain hash: over every field but `hash`, the previous record's hash included."""
    return sha256(canonical({key: value for key, value in fields.items() if key != "hash"}))


def sealed(record: IssuedRecord) -> IssuedRecord:
    """The record with its chain hash."""
    return replace(record, hash=record_hash(record.fields()))


def _yaml_scalar(value) -> str:
    # JSON strings are YAML double-quoted scalars: no implicit types, every character escaped safely.
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def record_text(record: IssuedRecord) -> str:
    """A record as YAML text, to append to the register."""
    fields = {**record.fields(), "hash": record.hash}
    out = []
    for index, (key, value) in enumerate(fields.items()):
        lead = "- " if index == 0 else "  "
        if isinstance(value, list):
            out.append(f"{lead}{key}:" + ("" if value else " []"))
            out.extend(f"    - [{', '.join(_yaml_scalar(part) for part in item)}]" for item in value)
        else:
            out.append(f"{lead}{key}: {_yaml_scalar(value)}")
    return "\n".join(out) + "\n"


class RegisterError(Exception):
    """A record that cannot be read, at its line."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def read_register_text(text: str) -> tuple[list[IssuedRecord], list[Diagnostic]]:
    """Parse issued.yaml's text; every problem is a located diagnostic. Pure.

    Returns:
        (the records that could be read, diagnostics). Verification is `verify_register`.
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

    def text(key: str) -> str:
        value = item[key]
        if not isinstance(value, str):
            raise RegisterError(item.line_of(key), f"register field {key!r} must be text, got {value!r}")
        return value

    def money(key: str) -> Decimal:
        try:
            return Decimal(text(key))
        except ArithmeticError:
            raise RegisterError(item.line_of(key), f"register field {key!r} is not an amount: {item[key]!r}") from None

    try:
        issued = datetime.date.fromisoformat(text("issued"))
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
    kind = text("type")
    if kind not in (INVOICE, CREDIT):
        raise RegisterError(item.line_of("type"), f"register field 'type' must be invoice or credit, got {kind!r}")
    if not PDF_PATH.match(text("pdf")):
        raise RegisterError(item.line_of("pdf"), f"register field 'pdf' must name a file in invoices/ like "
                            f"invoices/2026-0001.pdf, got {item['pdf']!r}: the register was edited by hand")
    pdf_sha256 = text("pdf_sha256") if "pdf_sha256" in item else ""
    if "pdf_sha256" in item and not SHA256_HEX.match(pdf_sha256):
        raise RegisterError(item.line_of("pdf_sha256"), "register field 'pdf_sha256' must be 64 hexadecimal "
                            f"digits, got {pdf_sha256!r}: the register was edited by hand")
    return IssuedRecord(
        number=text("number"), type=kind, corrects=text("corrects"), scope=text("scope"), seq=seq,
        client=text("client"), period=text("period"), issued=issued, currency=text("currency"),
        rate=money("rate"), net=money("net"), tax=money("tax"), total=money("total"), content=text("content"),
        commit=text("commit"), pdf=text("pdf"), lines=tuple(Item(*entry) for entry in lines),
        previous=text("previous"), pdf_sha256=pdf_sha256, hash=text("hash"), source=Source(REGISTER, line),
        read_hash=record_hash(plain(item)))


def plain(value):
    """YMap/YList -> dict/list, as the record's fields were when they were hashed."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def verify_register(records: list[IssuedRecord]) -> list[Diagnostic]:
    """The hash chain, gap-free sequences per series, unique numbers. Pure.

    A record whose hash does not match its fields was edited; one whose `previous`
    does not match the record before it follows a removed or reordered record.
    """
    problems = []

    def error(record: IssuedRecord, message: str) -> None:
        problems.append(Diagnostic(record.source, message, ERROR))

    previous_hash, previous_number = GENESIS, None
    last_seq: dict[str, int] = {}
    numbers: dict[str, IssuedRecord] = {}
    for record in records:
        if (record.read_hash or record_hash(record.fields())) != record.hash:
            error(record, f"record {record.number} was changed after it was written: its hash does not match "
                  "its fields; restore issued.yaml from git (git checkout -- issued.yaml)")
        if record.previous != previous_hash:
            after = f"the record before it ({previous_number})" if previous_number else "the start of the register"
            error(record, f"record {record.number} does not follow {after}: its 'previous' hash does not match, "
                  "so a record was removed, reordered or edited; restore issued.yaml from git")
        expected = last_seq.get(record.scope, 0) + 1
        if record.seq != expected:
            error(record, f"number {record.number} is number {record.seq} of series {record.scope!r}, "
                  f"but the series is at {expected - 1}: the series must have no gaps and no repeats")
        last_seq[record.scope] = max(record.seq, last_seq.get(record.scope, 0))
        if record.number.lower() in numbers:
            error(record, f"number {record.number} is used twice (also at {numbers[record.number.lower()].source})")
        numbers.setdefault(record.number.lower(), record)
        previous_hash, previous_number = record.hash, record.number
    return problems


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
    """Read and verify BOOKS/issued.yaml (no file: no records).

    Returns:
        (records, diagnostics, the file's bytes).
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
    records, problems = read_register_text(text)
    return records, problems + verify_register(records), data


# ------------------------------------------------------------------ git


def git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    """Run git in the books folder; None when git is missing or fails to start."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None


def git_head(root: Path) -> str | None:
    """The full commit hash the books are at; None outside git or before the first commit."""
    result = git(root, "rev-parse", "--verify", "-q", "HEAD")
    if result is None or result.returncode != 0:
        return None
    return result.stdout.decode().strip()


def git_uncommitted_books(root: Path) -> list[str]:
    """`git status --porcelain` lines for the books' own files (untracked ones too)."""
    result = git(root, "status", "--porcelain", "--untracked-files=all", "--", *BOOKS_PARTS)
    if result is None or result.returncode != 0:
        return []
    return [line for line in result.stdout.decode("utf-8", "replace").splitlines() if line.strip()]


def _git_names(root: Path, *args: str) -> list[str]:
    """The NUL-separated names a `git ls-files -z ...` prints ([] when git fails)."""
    result = git(root, "ls-files", "-z", *args)
    if result is None or result.returncode != 0:
        return []
    return [os.fsdecode(name) for name in result.stdout.split(b"\0") if name]


def hourbook_reads(name: str) -> bool:
    """Whether `issue` reads this file of the books: hidden files and editor backups
    (a part starting with `.` or `#`, or ending with `~`) under contracts/ and logbook/ it never reads."""
    parts = name.split("/")
    if parts[0] in ("contracts", "logbook"):
        return not any(part.startswith((".", "#")) or part.endswith("~") for part in parts[1:])
    return True


def git_unrecorded(root: Path, paths: tuple[str, ...]) -> list[str]:
    """Files under `paths` that git does not record as they are, each `NAME: why, and what to do`.

    A file git ignores or does not track is not in the commit; one marked assume-unchanged or
    skip-worktree may differ from it without `git status` saying so. Either way the commit
    would not reproduce what was read.
    """
    found = {}
    for listed in _git_names(root, "-v", "--", *paths):
        tag, name = listed[:1], listed[2:]
        if tag in ("S", "s"):
            found[name] = (f"git is told to skip it (skip-worktree, as a sparse checkout does), so its changes are "
                           f"not seen; run git update-index --no-skip-worktree -- {name}, then commit it")
        elif tag.islower():
            found[name] = (f"git is told to assume it unchanged (assume-unchanged), so its changes are not seen; "
                           f"run git update-index --no-assume-unchanged -- {name}, then commit it")
    for name in _git_names(root, "--others", "--exclude-standard", "--", *paths):
        found[name] = f"not in git (untracked); git add -- {name}, then commit it"
    for name in _git_names(root, "--others", "--ignored", "--exclude-standard", "--", *paths):
        if hourbook_reads(name):
            found[name] = (f"ignored by git (a .gitignore rule, .git/info/exclude or core.excludesFile; see git "
                           f"check-ignore -v -- {name}); take it out of the ignore rules, git add it and commit it")
    return [f"{name}: {why}" for name, why in sorted(found.items())]


def git_register_uncommitted(root: Path) -> bool:
    """Whether issued.yaml differs from its committed version (staged, changed, added or removed)."""
    result = git(root, "status", "--porcelain", "--", REGISTER)
    return result is not None and result.returncode == 0 and bool(result.stdout.strip())


def git_committed_register(root: Path) -> bytes | None:
    """issued.yaml as committed at HEAD; None when it isn't (or outside git)."""
    result = git(root, "show", f"HEAD:./{REGISTER}")
    if result is None or result.returncode != 0:
        return None
    return result.stdout


def check_append_only(committed: bytes | None, current: bytes, exists: bool = True) -> list[Diagnostic]:
    """The register may only grow: the committed version must be where the current one starts. Pure.

    Args:
        committed: issued.yaml at git HEAD (None: not committed, or outside git).
        current: the working register's bytes (b"" when it is missing or empty).
        exists: whether there is a working register at all.
    """
    if not committed or current.startswith(committed):
        return []
    if not current.strip():
        count = len(read_register_text(committed.decode("utf-8", "replace"))[0])
        state = "empty" if exists else "missing"
        return [Diagnostic(Source(REGISTER, 1), f"issued.yaml is {state}, but the last commit has it with "
                           f"{count} record{'' if count == 1 else 's'}: the register is append-only, so issued "
                           "invoices never disappear; restore it with git checkout -- issued.yaml", ERROR)]
    old, new = committed.decode("utf-8", "replace").split("\n"), current.decode("utf-8", "replace").split("\n")
    line = next((i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    return [Diagnostic(Source(REGISTER, line), "issued.yaml differs from the committed version from this line on: "
                       "the register is append-only, so committed records must never change or disappear; "
                       "restore it with git checkout -- issued.yaml", ERROR)]


# ------------------------------------------------------------------ frozen periods


def client_numbers(records: list[IssuedRecord], client: ClientId) -> dict[str, str]:
    return {record.number.lower(): record.number for record in records
            if record.client == client and record.type == INVOICE}


def current_documents(priced: PricedBooks, records: list[IssuedRecord],
                      period_names: set[str] | None = None) -> dict[tuple, tuple[Document, Contract]]:
    """Every document of every statement (in the given periods), by key."""
    result = {}
    for client in priced.clients:
        numbers = client_numbers(records, client.contract.id)
        for statement in client.statements:
            if period_names is not None and statement.period not in period_names:
                continue
            for doc in split_statement(statement, client.contract, numbers):
                result[doc.key] = (doc, client.contract)
    return result


def check_frozen(records: list[IssuedRecord], priced: PricedBooks) -> list[Diagnostic]:
    """Re-price every issued period and compare it with the register. Pure.

    Every difference is an error at the source line that changed: an edited
    entry (at its line), an added one (at its line), a removed one (at the line
    it had when invoiced), a changed fee (at its contract line), and changed
    totals without a changed line (tax rate, currency: at the contract).
    Every record is compared, whatever its date: `register_priced` gives books
    priced late enough for all of them.
    """
    if not records:
        return []
    issued_periods = {record.period for record in records}
    documents = current_documents(priced, records, issued_periods)
    by_key = {record.key: record for record in records}
    problems = []
    for record in records:
        doc, contract = documents.get(record.key, (None, None))
        problems += compare_document(record, doc, contract)
    for key, (doc, _) in sorted(documents.items()):
        if key in by_key or doc.total == 0:
            continue
        invoices = sorted({r.number for r in records if r.period == doc.period})
        label = f"the invoices of {doc.period} ({', '.join(invoices)}) were issued"
        number = next((r.number for r in records if r.period == doc.period and r.client == doc.client), "NUMBER")
        for item, amount in zip(document_items(doc), [*(line.amount for line in doc.lines),
                                                      *(fee.amount for fee in doc.fees)]):
            if amount != 0:
                what = "fee" if item.summary.startswith("fee ") else "entry"
                problems.append(_at(item.source, f"{what} for {doc.client} added to {doc.period} after {label}: "
                                    f"{item.summary}; " + HOW_TO_ADD.format(number=number)))
    return problems


def _at(source: str, message: str, severity: str = ERROR) -> Diagnostic:
    path, _, line = source.rpartition(":")
    return Diagnostic(Source(path, int(line)) if line.isdigit() else Source(source, 0), message, severity)


def compare_document(record: IssuedRecord, doc: Document | None, contract: Contract | None) -> list[Diagnostic]:
    """One record against its document as priced now. Pure."""
    if doc is not None and content_hash(doc) == record.content:
        return []
    unmatched_new = document_items(doc) if doc is not None else []
    priced_lines = dict(zip(unmatched_new, doc.lines)) if doc is not None else {}
    rate_changes: dict[Source, list[tuple[Item, Item]]] = defaultdict(list)
    unmatched_old = []
    for item in record.lines:
        same = next((i for i, now in enumerate(unmatched_new) if now.fingerprint == item.fingerprint), None)
        if same is None:
            unmatched_old.append(item)
        else:
            del unmatched_new[same]
    by_source: dict[str, list[Item]] = defaultdict(list)
    for item in unmatched_new:
        by_source[item.source].append(item)
    problems = []
    for item in unmatched_old:
        what = "fee" if item.summary.startswith("fee ") else "entry"
        if by_source.get(item.source):
            now = by_source[item.source].pop(0)
            unmatched_new.remove(now)
            term = rate_change_term(item, now, priced_lines.get(now), contract)
            if term is not None:
                rate_changes[term].append((item, now))
                continue
            change = (f"invoiced as {item.summary}, now {now.summary}" if now.summary != item.summary else
                      f"invoiced as {item.summary}; its date, text, tags or requester differ now")
            problems.append(_at(now.source, f"{what} changed after {record.label} was issued: {change}; "
                                + HOW_TO_CORRECT))
        else:
            problems.append(_at(item.source, f"{what} removed after {record.label} was issued: it was invoiced "
                                f"as {item.summary} (at {item.source}); " + HOW_TO_CORRECT))
    for item in unmatched_new:
        what = "fee" if item.summary.startswith("fee ") else "entry"
        problems.append(_at(item.source, f"{what} added after {record.label} was issued: {item.summary}; "
                            + HOW_TO_ADD.format(number=record.number if record.type == INVOICE else record.corrects)))
    for term_source, changes in sorted(rate_changes.items()):
        old_rates = sorted({_rate_in(old) for old, _ in changes})
        new_rates = sorted({_rate_in(now) for _, now in changes})
        problems.append(Diagnostic(term_source, f"rate changed after {record.label} was issued: "
                                   f"{len(changes)} of its entries were invoiced at {', '.join(old_rates)} and "
                                   f"would now be priced at {', '.join(new_rates)} (first: {changes[0][1].source}); "
                                   "restore the term as it was and add a new term with a later from: for the new "
                                   "rate instead", ERROR))
    if not problems:
        where = contract.source if contract is not None else record.source
        if doc is None:
            problems.append(Diagnostic(where, f"{record.label} is no longer in the books ({record.client} has no "
                                       f"statement for {record.period}); restore the contract and entries "
                                       "as they were invoiced", ERROR))
        else:
            cur = record.currency
            problems.append(Diagnostic(where, f"{record.label} was issued for net {format_money(record.net, cur)}, "
                                       f"tax {format_money(record.tax, cur)}, total {format_money(record.total, cur)} "
                                       f"{cur}; the books now give net {format_money(doc.net, doc.currency)}, "
                                       f"tax {format_money(doc.tax, doc.currency)}, total "
                                       f"{format_money(doc.total, doc.currency)} {doc.currency}: the contract's "
                                       "tax, currency or prices_include_tax changed; restore it, and put a new "
                                       "term with a later `from:` for the new terms instead", ERROR))
    return problems


_RATE = re.compile(r" at (-?[0-9.]+)")
_MONEY = re.compile(r" (?:at|=) -?[0-9.]+")


def _rate_in(item: Item) -> str:
    match = _RATE.search(item.summary)
    return match.group(1) if match else "no rate"


def rate_change_term(old: Item, now: Item, line: Line | None, contract: Contract | None) -> Source | None:
    """The contract term whose rate explains a changed line (same status and minutes), if that is all."""
    if line is None or contract is None or _rate_in(old) == _rate_in(now):
        return None
    if _MONEY.sub("", old.summary) != _MONEY.sub("", now.summary):
        return None
    term = contract.term_on(line.entry.date)
    return term.source if term is not None else None


def check_corrections(records: list[IssuedRecord], priced: PricedBooks) -> list[Diagnostic]:
    """Every `#correction` entry names one of its client's issued invoices by number. Pure."""
    problems = []
    for client in priced.clients:
        numbers = client_numbers(records, client.contract.id)
        seen = set()
        for statement in client.statements:
            for line in statement.lines:
                if not is_correction(line) or line.entry.source in seen:
                    continue
                seen.add(line.entry.source)
                if corrected_number(line, numbers):
                    continue
                known = (f"{client.contract.id}'s invoices: {', '.join(sorted(numbers.values()))}" if numbers
                         else f"{client.contract.id} has no issued invoices yet")
                example = next(iter(numbers.values()), "2026-0001")
                problems.append(Diagnostic(line.entry.source, "a #correction entry must name the invoice it "
                                           f"corrects by its number as a tag, e.g. #{example} ({known})", ERROR))
    return problems


def check_exemptions(priced: PricedBooks) -> list[Diagnostic]:
    """invoice: {exemptions: ...} in hourbook.yaml names known clients that charge no VAT. Pure."""
    problems = []
    for exemption in priced.books.settings.vat_exemptions:
        contract = priced.books.contract(exemption.client)
        if contract is None:
            problems.append(Diagnostic(exemption.source, f"exemption for unknown client {exemption.client!r}", ERROR))
        elif contract.tax != 0:
            problems.append(Diagnostic(exemption.source, f"exemption for {exemption.client!r}, whose contract "
                                       f"charges tax {contract.tax * 100:g}%: set tax: 0% there, or remove the "
                                       "exemption", ERROR))
    return problems


def orphan_pdfs(root: Path, records: list[IssuedRecord]) -> list[Diagnostic]:
    """invoices/*.pdf without a record: left by an interrupted `hourbook issue` (a warning)."""
    folder = root / INVOICES_DIR
    if not folder.is_dir():
        return []
    known = {record.pdf for record in records}
    return [Diagnostic(Source(f"{INVOICES_DIR}/{path.name}", 1),
                       "invoice PDF without a record in issued.yaml (left by an interrupted `hourbook issue`?); "
                       "running `hourbook issue` for its period again with the same --date finishes it; an invoice PDF is never written over", WARNING)
            for path in sorted(folder.glob("*.pdf")) if f"{INVOICES_DIR}/{path.name}" not in known]


def check_pdfs(root: Path, records: list[IssuedRecord]) -> list[Diagnostic]:
    """Each record's PDF is there, a regular file, with the SHA-256 the record holds.

    Records written before `pdf_sha256` existed can only be checked for a missing file.
    Every problem is an error at the record's line.
    """
    problems = []
    for record in records:
        how = f"restore it from git (git checkout -- {record.pdf}); an issued invoice is kept as it was sent"
        try:
            data = read_regular(root / record.pdf)
        except NotAFile as exc:
            problems.append(Diagnostic(record.source, f"the PDF of {record.label}, {record.pdf}, is {exc.kind}, "
                                       f"not a file: move it away and {how}", ERROR))
            continue
        except OSError as exc:
            problems.append(Diagnostic(record.source, f"cannot read the PDF of {record.label}, {record.pdf}: "
                                       f"{exc.strerror or exc}; {how}", ERROR))
            continue
        if data is None:
            problems.append(Diagnostic(record.source, f"the PDF of {record.label}, {record.pdf}, is missing: {how}",
                                       ERROR))
        elif record.pdf_sha256 and sha256(data) != record.pdf_sha256:
            problems.append(Diagnostic(record.source, f"the PDF of {record.label}, {record.pdf}, was changed or "
                                       "replaced after it was issued (its SHA-256 is not the one in issued.yaml): "
                                       f"{how}", ERROR))
    return problems


def check_issue_dates(records: list[IssuedRecord], today: datetime.date) -> list[Diagnostic]:
    """No record is dated after today (a day of grace for clocks in other time zones). Pure."""
    return [Diagnostic(record.source, f"{record.label} is dated {record.issued}, after today ({today}): an invoice "
                       "is never dated in the future; restore issued.yaml from git (git checkout -- issued.yaml)",
                       ERROR)
            for record in records if record.issued > today + datetime.timedelta(days=1)]


def register_priced(records: list[IssuedRecord], priced: PricedBooks, today: datetime.date) -> PricedBooks:
    """The priced books to compare the register with.

    A record issued after the as-of date (`check --as-of` an earlier day) is compared too:
    then the books are priced again as of the latest issue date (no later than today), so
    that entries up to the day each invoice was issued count, as they did when it was issued.
    """
    horizon = min(max((record.issued for record in records), default=priced.as_of), today)
    if horizon <= priced.as_of:
        return priced
    from hourbook.core.pricing import price_books

    return price_books(priced.books, horizon)


def register_inputs(root: Path) -> bytes:
    """What `check_issued` reads besides the books' files, as bytes for a cache key.

    issued.yaml as committed at HEAD (whether or not there is a working one), the name,
    size and change times of everything in invoices/ (a PDF rewritten in place changes its
    ctime, which no one can set back), and today's date (records dated after it are errors).
    """
    committed = git_committed_register(root)
    parts = [real_today().isoformat().encode(), b"<none>" if committed is None else b"committed\0" + committed]
    try:
        entries = sorted(os.scandir(root / INVOICES_DIR), key=lambda entry: entry.name)
    except OSError:
        entries = []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        parts.append(os.fsencode(entry.name) + f"\0{info.st_mode} {info.st_size} {info.st_mtime_ns} "
                     f"{info.st_ctime_ns} {info.st_ino}".encode())
    return b"\0\0".join(parts)


def check_issued(root: Path, priced: PricedBooks) -> list[Diagnostic]:
    """Everything `check` says about issued invoices: the register, frozen periods, corrections, PDFs.

    Reads BOOKS/issued.yaml (if any), the committed version of it (even when the working
    one is missing or empty) and the invoices' PDFs; the rest is pure.
    """
    records, problems, data = read_register(root)
    readable = not problems
    opened = bool(data) or not problems         # else not a file, or unreadable: that is its one error
    problems += check_exemptions(priced)
    problems += check_corrections(records, priced)
    if opened:
        problems += check_append_only(git_committed_register(root), data, os.path.lexists(root / REGISTER))
    if records:
        today = real_today()
        problems += check_issue_dates(records, today)
        problems += check_frozen(records, register_priced(records, priced, today))
        problems += check_pdfs(root, records)
    if readable:
        problems += orphan_pdfs(root, records)
    return problems


# ------------------------------------------------------------------ issuing


@dataclass
class IssueOutcome:
    """What `issue` did: the records it appended, or why it refused (then nothing was written)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    refusal: str = ""
    records: list[IssuedRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def real_today() -> datetime.date:
    """The date on this machine's clock: `issue` dates no invoice after it.

    Not $HOURBOOK_TODAY and not --as-of, which can name any day: tests that need another
    "real" date replace this function (monkeypatch).
    """
    return datetime.date.today()


def parse_period(text: str) -> str:
    """A period name as `issue` takes it: 2026-10 or 2026-Q4, in the years 0001 to 9998.

    Raises:
        ValueError: with the expected form.
    """
    name = text.strip().upper()
    match = PERIOD_NAME.match(name)
    if not match:
        raise ValueError(f"PERIOD must be a month like 2026-10 or a quarter like 2026-Q4, got {text!r}")
    if not 1 <= int(match.group(1)) <= 9998:
        raise ValueError(f"PERIOD must be in the years 0001 to 9998, got {text!r}")
    return name


def number_scope(kind: str, pattern: str, year: int) -> str:
    """A numbering series: per kind, and per year when the pattern shows the year."""
    return f"{kind}/{year}" if "{year" in pattern else kind


def pdf_name(number: str) -> str:
    """`invoices/NAME.pdf` for an invoice number: what is not a letter, a digit, `.`, `_` or `-`
    becomes `-`, and so does a leading dot (no hidden files). Two numbers can give one name
    (`2026/1` and `2026-1`): `name_clashes` refuses those."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", number)
    return f"{INVOICES_DIR}/{'-' + stem[1:] if stem.startswith('.') else stem}.pdf"


def plan_records(docs: list[tuple[Document, Contract]], records: list[IssuedRecord], settings, issued: datetime.date,
                 commit: str) -> list[IssuedRecord]:
    """Number the documents (next in each series) and chain them after the register. Pure."""
    next_seq: dict[str, int] = {}
    for record in records:
        next_seq[record.scope] = max(next_seq.get(record.scope, 0), record.seq)
    previous = records[-1].hash if records else GENESIS
    planned = []
    for doc, _ in docs:
        pattern = settings.number_format if doc.kind == INVOICE else settings.credit_number_format
        scope = number_scope(doc.kind, pattern, issued.year)
        seq = next_seq.get(scope, 0) + 1
        next_seq[scope] = seq
        number = pattern.format(year=issued.year, seq=seq)
        record = sealed(IssuedRecord(
            number=number, type=doc.kind, corrects=doc.corrects, scope=scope, seq=seq, client=doc.client,
            period=doc.period, issued=issued, currency=doc.currency, rate=doc.tax_rate * 100, net=doc.net,
            tax=doc.tax, total=doc.total,
            content=content_hash(doc), commit=commit, pdf=pdf_name(number), lines=tuple(document_items(doc)),
            previous=previous))
        planned.append(record)
        previous = record.hash
    return planned


def name_clashes(planned: list[IssuedRecord], records: list[IssuedRecord]) -> list[str]:
    """Numbers or PDF names of `planned` that an earlier record or another planned one has. Pure.

    Both are compared ignoring case: on a case-insensitive file system `A-1.pdf` and `a-1.pdf`
    are one file, and numbers are unique ignoring case (`verify_register`).
    """
    numbers = {record.number.lower(): record for record in records}
    files = {record.pdf.lower(): record for record in records}
    clashes = []
    for record in planned:
        number_of, file_of = numbers.get(record.number.lower()), files.get(record.pdf.lower())
        if number_of is not None:
            clashes.append(f"number {record.number} is already the number of {number_of.label}")
        elif file_of is not None:
            clashes.append(f"{record.label} would be written to {record.pdf}, the file of {file_of.label}")
        elif len(record.pdf) - len(INVOICES_DIR) - 1 > MAX_FILE_NAME:
            clashes.append(f"number {record.number} is too long for a file name")
        numbers.setdefault(record.number.lower(), record)
        files.setdefault(record.pdf.lower(), record)
    return clashes


def seal_with_pdfs(planned: list[IssuedRecord], pdfs: dict[str, bytes], previous: str) -> list[IssuedRecord]:
    """The planned records with their PDFs' SHA-256, chained again after `previous`. Pure."""
    chained = []
    for record in planned:
        record = sealed(replace(record, pdf_sha256=sha256(pdfs[record.pdf]), previous=previous))
        chained.append(record)
        previous = record.hash
    return chained


@contextmanager
def register_lock(root: Path) -> Iterator[None]:
    """One `hourbook issue` at a time per books folder (an flock on the folder itself, where there is flock)."""
    try:
        import fcntl
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


def date_refusal(issued_on: datetime.date, records: list[IssuedRecord], today: datetime.date) -> str:
    """Why an invoice cannot be dated `issued_on` ('' when it can): never after today, never before the last."""
    if issued_on > today:
        return (f"the issue date {issued_on} is after today ({today}): an invoice is dated the day it is issued, "
                "or earlier with --date, never later")
    if records and issued_on < records[-1].issued:
        return (f"the issue date {issued_on} is before that of the last invoice, {records[-1].number} of "
                f"{records[-1].issued}: numbers must follow the dates")
    return ""


def books_refusal(root: Path) -> str:
    """Why the commit `issue` would record does not reproduce the books ('' when it does)."""
    dirty = git_uncommitted_books(root)
    if dirty:
        return ("the books have uncommitted changes; commit them first, so that the invoice names the commit it "
                "was made from:\n  " + "\n  ".join(dirty))
    unrecorded = git_unrecorded(root, BOOKS_PARTS)
    if unrecorded:
        return ("files the invoices are made from are not in git as they are, so the commit an invoice names "
                "would not reproduce it:\n  " + "\n  ".join(unrecorded))
    return ""


def register_refusal(root: Path) -> str:
    """Why issued.yaml is not in git as it is ('' when it is, or when there is none)."""
    if not os.path.lexists(root / REGISTER):
        return ""
    unrecorded = git_unrecorded(root, (REGISTER,))
    if unrecorded:
        return "the register must be in git before more invoices follow it: " + "; ".join(unrecorded)
    if git_register_uncommitted(root):
        return ("issued.yaml has changes that are not committed (the records of the last `hourbook issue`?): "
                "commit the register and the invoices first: git add issued.yaml invoices && git commit")
    return ""


def issue(root: Path, period: str, issued_on: datetime.date) -> IssueOutcome:
    """Number, record and write the invoices of one period: `hourbook issue PERIOD`.

    Refuses (nothing written) when the issue date is after today or before the last
    invoice's, the books have errors, a file the invoices are made from is not in git as
    it is, the register is not committed as it is, the period is already issued, two
    invoices would share a number or a file, a PDF is in the way, or an invoice would
    lack what the law asks for. Otherwise writes every PDF first (never over a file),
    then appends all records to the register in one atomic write: a crash before that
    leaves no record (so no gap and no duplicate: the next run reuses the numbers), and
    a failed write removes the PDFs this run wrote.

    Args:
        root: the books folder.
        period: a period name (`parse_period`).
        issued_on: the issue date (today, or earlier to back-date); the books are priced as on it.
    """
    from hourbook.pipeline import has_errors
    from hourbook.pipeline import load_and_price

    outcome = IssueOutcome()
    outcome.refusal = date_refusal(issued_on, [], real_today())
    if outcome.refusal:
        return outcome
    priced, diagnostics = load_and_price(root, issued_on)
    outcome.diagnostics = diagnostics
    if has_errors(diagnostics):
        outcome.refusal = "the books have errors (above)"
        return outcome
    commit = git_head(root)
    if commit is None:
        outcome.refusal = ("the books are not in a git repository with a commit: git is the audit trail of "
                           "invoices; run git init, commit the books, then issue")
        return outcome
    outcome.refusal = books_refusal(root) or invoices_folder_problem(root)
    if outcome.refusal:
        return outcome
    start, end = periods.bounds(period)
    if start > issued_on:
        outcome.refusal = f"period {period} has not started on {issued_on}"
        return outcome
    with register_lock(root):
        issue_locked(root, period, issued_on, priced, commit, outcome)
    if outcome.records and issued_on < end:
        outcome.notes.append(f"period {period} runs until {end}: entries dated after today in it will count "
                             "as changes to issued invoices")
    if outcome.records:
        outcome.notes.append("commit the register and the invoices: git add issued.yaml invoices && "
                             f"git commit -m 'Issue {period}'")
    return outcome


def issue_locked(root: Path, period: str, issued_on: datetime.date, priced: PricedBooks, commit: str,
                 outcome: IssueOutcome) -> None:
    """The part of `issue` that holds the register's lock: read it, number, write PDFs, append."""
    from hourbook.invoicing import einvoice
    from hourbook.render.html import TemplateProblem

    for stale in [*root.glob(f".{REGISTER}.*"), *(root / INVOICES_DIR).glob(".*.pdf.*")]:
        if TEMP_NAME.match(stale.name):
            stale.unlink(missing_ok=True)       # temp files of an interrupted run
    records, problems, old_bytes = read_register(root)
    if not problems:
        problems = check_append_only(git_committed_register(root), old_bytes, os.path.lexists(root / REGISTER))
    if problems:
        outcome.diagnostics = sorted_diagnostics(outcome.diagnostics, problems)
        outcome.refusal = "the register issued.yaml has errors (above)"
        return
    already = [record for record in records if record.period == period]
    if already:
        outcome.refusal = (f"period {period} was already issued on {already[0].issued}: "
                           + ", ".join(f"{r.number} ({r.client})" for r in already)
                           + "; an issued invoice never changes: correct it with a #correction entry "
                           "in an open period")
        return
    outcome.refusal = register_refusal(root) or date_refusal(issued_on, records, real_today())
    if outcome.refusal:
        return
    docs = [(doc, contract) for key, (doc, contract) in sorted(current_documents(priced, records, {period}).items())
            if doc.total != 0]
    docs.sort(key=lambda pair: (pair[0].kind != INVOICE, pair[0].client, pair[0].corrects))
    if not docs:
        outcome.notes.append(f"nothing to invoice in {period}: no client has a non-zero total; nothing written")
        return
    settings = priced.books.settings
    legal = [problem for doc, contract in docs for problem in einvoice.legal_problems(doc, contract, settings)]
    if legal:
        outcome.diagnostics = sorted_diagnostics(outcome.diagnostics, legal)
        outcome.refusal = "an invoice would lack what the law asks for (above)"
        return
    planned = plan_records(docs, records, settings, issued_on, commit)
    clashes = name_clashes(planned, records)
    if clashes:
        outcome.refusal = ("; ".join(clashes) + ": make the number patterns in hourbook.yaml (invoice: number, "
                           "credit_number) tell the series apart by more than case or punctuation")
        return
    issued_by_number = {record.number: record for record in records}
    info = build_info(root)
    # Gather every file before writing any (STYLE §1).
    try:
        pdfs = {record.pdf: einvoice.invoice_pdf(einvoice.make_invoice(
                    doc, record, contract, settings, issued_by_number.get(doc.corrects), info), root)
                for (doc, contract), record in zip(docs, planned)}
    except TemplateProblem as problem:          # templates/invoice.html failed for an invoice check did not try
        outcome.diagnostics = sorted_diagnostics(outcome.diagnostics, [problem.diagnostic])
        outcome.refusal = "a template of the books failed (above)"
        return
    in_the_way, same = existing_pdfs(root, pdfs)
    if in_the_way:
        outcome.refusal = (f"{', '.join(in_the_way)} {'is' if len(in_the_way) == 1 else 'are'} already there, "
                           "and an invoice file is never written over; no record in issued.yaml has it (left by "
                           "an interrupted `hourbook issue` of another day, or put there by hand): if that invoice "
                           "was never sent, move the file out of invoices/ and issue again")
        return
    planned = seal_with_pdfs(planned, pdfs, records[-1].hash if records else GENESIS)
    new_bytes = old_bytes if old_bytes else REGISTER_HEADER.encode("utf-8")
    if not new_bytes.endswith(b"\n"):
        new_bytes += b"\n"
    new_bytes += "".join(record_text(record) for record in planned).encode("utf-8")
    if not new_bytes.startswith(old_bytes):
        raise AssertionError("the register append would rewrite existing bytes")
    try:
        created = write_invoices(root, pdfs, same)
    except FileExistsError as exc:
        outcome.refusal = (f"{exc.filename} appeared while the invoices were written; an invoice file is never "
                           "written over")
        return
    crash_point("after-pdfs")
    try:
        write_file_atomically(root / REGISTER, new_bytes)
    except BaseException:
        remove_written(created)
        raise
    crash_point("after-register")
    outcome.records = planned
