"""Issued invoices: the register `issued.yaml`, gap-free numbers, frozen periods and corrections.

A statement becomes an invoice when `hourbook issue PERIOD` gives it a number and
appends a record to `issued.yaml`. From then on the period is frozen: every
`check` and `build` re-prices it and compares the result, item by item, with
what the register says was invoiced (`check_issued`). Mistakes are corrected by
a `#correction` entry in an open period, which becomes a corrective invoice
(credit note) in a separate number series when that period is issued.

The register is append-only. Each record carries the hash of the record before
it (a hash chain, like Spain's Verifactu records), so a record that is edited,
removed or reordered is reported. New records are appended by writing the old
bytes plus the new records to a temporary file and renaming it over the
register: a crash leaves the old register or the new one, never half of one.

This module computes and compares (pure functions over records), reads and
writes `issued.yaml` and `invoices/`, and asks git for the commit. The invoice
document itself (PDF/A-3 with Factur-X XML) is `einvoice`'s work.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import signal
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
from hourbook.core.money import ZERO
from hourbook.core.money import add_tax
from hourbook.core.money import format_money
from hourbook.core.money import round_money
from hourbook.core.money import split_gross
from hourbook.core.pricing import format_minutes
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import WARNING
from hourbook.core.records import ClientId
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import Source
from hourbook.core.records import Statement
from hourbook.yamlfile import YamlError
from hourbook.yamlfile import YList
from hourbook.yamlfile import YMap
from hourbook.yamlfile import parse_yaml

if TYPE_CHECKING:
    from collections.abc import Iterator

REGISTER = "issued.yaml"
INVOICES_DIR = "invoices"
CORRECTION_TAG = "correction"
INVOICE = "invoice"
CREDIT = "credit"
GENESIS = "0" * 64
BOOKS_PATHS = ("hourbook.yaml", "contracts", "logbook", "templates")
CRASH_ENV = "HOURBOOK_TEST_CRASH_AT"        # tests: die by SIGKILL at a named point of `issue`
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}$")   # tempfile.mkstemp(prefix=".NAME.")
PERIOD_NAME = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2]|Q[1-4])$")
FINGERPRINT_HEX = 12
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
    currency = contract.currency
    gross = round_money(sum((line.amount for line in lines), ZERO) + sum((fee.amount for fee in fees), ZERO),
                        currency)
    if contract.prices_include_tax:
        net, tax = split_gross(gross, contract.tax, currency)
        total = gross
    else:
        net = gross
        tax, total = add_tax(net, contract.tax, currency)
    return Document(kind, contract.id, statement.period, corrects, tuple(lines), tuple(fees), net, tax, total,
                    currency, contract.tax, contract.prices_include_tax)


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
                 "rate", "net", "tax", "total", "content", "commit", "pdf", "lines", "previous")


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
        """The record as written: strings, one int, and lists of strings."""
        return {
            "number": self.number, "type": self.type, "corrects": self.corrects, "scope": self.scope,
            "seq": self.seq, "client": self.client, "period": self.period, "issued": self.issued.isoformat(),
            "currency": self.currency, "rate": f"{self.rate.normalize():f}",
            "net": format_money(self.net, self.currency),
            "tax": format_money(self.tax, self.currency), "total": format_money(self.total, self.currency),
            "content": self.content, "commit": self.commit, "pdf": self.pdf,
            "lines": [item.as_list() for item in self.lines], "previous": self.previous,
        }


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
    missing = [key for key in (*RECORD_FIELDS, "hash") if key not in item]
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
    return IssuedRecord(
        number=text("number"), type=kind, corrects=text("corrects"), scope=text("scope"), seq=seq,
        client=text("client"), period=text("period"), issued=issued, currency=text("currency"),
        rate=money("rate"), net=money("net"), tax=money("tax"), total=money("total"), content=text("content"),
        commit=text("commit"), pdf=text("pdf"), lines=tuple(Item(*entry) for entry in lines),
        previous=text("previous"), hash=text("hash"), source=Source(REGISTER, line),
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


def read_register(root: Path) -> tuple[list[IssuedRecord], list[Diagnostic], bytes]:
    """Read and verify BOOKS/issued.yaml (no file: no records).

    Returns:
        (records, diagnostics, the file's bytes).
    """
    path = root / REGISTER
    if not path.is_file():
        return [], [], b""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [Diagnostic(Source(REGISTER, 1), f"cannot read the register: {exc.strerror or exc}", ERROR)], b""
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
    result = git(root, "status", "--porcelain", "--untracked-files=all", "--", *BOOKS_PATHS)
    if result is None or result.returncode != 0:
        return []
    return [line for line in result.stdout.decode("utf-8", "replace").splitlines() if line.strip()]


def git_committed_register(root: Path) -> bytes | None:
    """issued.yaml as committed at HEAD; None when it isn't (or outside git)."""
    result = git(root, "show", f"HEAD:./{REGISTER}")
    if result is None or result.returncode != 0:
        return None
    return result.stdout


def check_append_only(committed: bytes | None, current: bytes) -> list[Diagnostic]:
    """The register may only grow: the committed version must be where the current one starts. Pure."""
    if committed is None or current.startswith(committed):
        return []
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
    Records issued after the as-of date are not compared.
    """
    records = [record for record in records if record.issued <= priced.as_of]
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
                       "the next `hourbook issue` of its period writes it again", WARNING)
            for path in sorted(folder.glob("*.pdf")) if f"{INVOICES_DIR}/{path.name}" not in known]


def check_issued(root: Path, priced: PricedBooks) -> list[Diagnostic]:
    """Everything `check` says about issued invoices: the register, frozen periods, corrections.

    Reads BOOKS/issued.yaml (if any) and the committed version of it; the rest is pure.
    """
    records, problems, data = read_register(root)
    problems += check_exemptions(priced)
    problems += check_corrections(records, priced)
    if not data:
        return problems
    readable = not any(problem.source.path == REGISTER for problem in problems)
    problems += check_append_only(git_committed_register(root), data)
    problems += check_frozen(records, priced)
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


def parse_period(text: str) -> str:
    """A period name as `issue` takes it: 2026-10 or 2026-Q4.

    Raises:
        ValueError: with the expected form.
    """
    name = text.strip().upper()
    if not PERIOD_NAME.match(name):
        raise ValueError(f"PERIOD must be a month like 2026-10 or a quarter like 2026-Q4, got {text!r}")
    return name


def number_scope(kind: str, pattern: str, year: int) -> str:
    """A numbering series: per kind, and per year when the pattern shows the year."""
    return f"{kind}/{year}" if "{year" in pattern else kind


def pdf_name(number: str) -> str:
    return f"{INVOICES_DIR}/{re.sub(r'[^A-Za-z0-9._-]+', '-', number)}.pdf"


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


def issue(root: Path, period: str, as_of: datetime.date) -> IssueOutcome:
    """Number, record and write the invoices of one period: `hourbook issue PERIOD`.

    Refuses (nothing written) when the books have errors, the books' files have
    uncommitted changes, the period is already issued, or an invoice would lack
    what the law asks for. Otherwise writes every PDF first, then appends all
    records to the register in one atomic write: a crash before that leaves no
    record (so no gap and no duplicate: the next run reuses the numbers).

    Args:
        root: the books folder.
        period: a period name (`parse_period`).
        as_of: the issue date; pricing is done as on this day.
    """
    from hourbook import einvoice
    from hourbook.pipeline import has_errors
    from hourbook.pipeline import load_and_price
    from hourbook.site import build_info
    from hourbook.site import write_file_atomically

    outcome = IssueOutcome()
    priced, diagnostics = load_and_price(root, as_of)
    outcome.diagnostics = diagnostics
    if has_errors(diagnostics):
        outcome.refusal = "the books have errors (above)"
        return outcome
    commit = git_head(root)
    if commit is None:
        outcome.refusal = ("the books are not in a git repository with a commit: git is the audit trail of "
                           "invoices; run git init, commit the books, then issue")
        return outcome
    dirty = git_uncommitted_books(root)
    if dirty:
        outcome.refusal = ("the books have uncommitted changes; commit them first, so that the invoice names the "
                           "commit it was made from:\n  " + "\n  ".join(dirty))
        return outcome
    start, end = periods.bounds(period)
    if start > as_of:
        outcome.refusal = f"period {period} has not started on {as_of}"
        return outcome
    with register_lock(root):
        for stale in [*root.glob(f".{REGISTER}.*"), *(root / INVOICES_DIR).glob(".*.pdf.*")]:
            if TEMP_NAME.match(stale.name):
                stale.unlink(missing_ok=True)   # temp files (site.write_file_atomically) of an interrupted run
        records, problems, old_bytes = read_register(root)
        if problems:
            outcome.diagnostics = sorted(set(diagnostics + problems), key=Diagnostic.sort_key)
            outcome.refusal = "the register issued.yaml has errors (above)"
            return outcome
        already = [record for record in records if record.period == period]
        if already:
            outcome.refusal = (f"period {period} was already issued on {already[0].issued}: "
                               + ", ".join(f"{r.number} ({r.client})" for r in already)
                               + "; an issued invoice never changes: correct it with a #correction entry "
                               "in an open period")
            return outcome
        if records and as_of < records[-1].issued:
            outcome.refusal = (f"the issue date {as_of} is before that of the last invoice, {records[-1].number} "
                               f"of {records[-1].issued}: numbers must follow the dates")
            return outcome
        docs = [(doc, contract) for key, (doc, contract) in sorted(current_documents(priced, records, {period}).items())
                if doc.total != 0]
        docs.sort(key=lambda pair: (pair[0].kind != INVOICE, pair[0].client, pair[0].corrects))
        if not docs:
            outcome.notes.append(f"nothing to invoice in {period}: no client has a non-zero total; nothing written")
            return outcome
        settings = priced.books.settings
        legal = [problem for doc, contract in docs for problem in einvoice.legal_problems(doc, contract, settings)]
        if legal:
            outcome.diagnostics = sorted(set(diagnostics + legal), key=Diagnostic.sort_key)
            outcome.refusal = "an invoice would lack what the law asks for (above)"
            return outcome
        planned = plan_records(docs, records, settings, as_of, commit)
        taken = {record.number.lower() for record in records} | {record.pdf for record in records}
        clash = [r.number for r in planned if r.number.lower() in taken or r.pdf in taken]
        if clash:
            outcome.refusal = (f"number {clash[0]} (or its file name) is already used: make the number patterns "
                               "in hourbook.yaml (invoice: number, credit_number) tell the series apart")
            return outcome
        issued_by_number = {record.number: record for record in records}
        info = build_info(root)
        # Gather every file before writing any (STYLE §1).
        pdfs = {record.pdf: einvoice.invoice_pdf(einvoice.make_invoice(
                    doc, record, contract, settings, issued_by_number.get(doc.corrects), info), root)
                for (doc, contract), record in zip(docs, planned)}
        for index, (path, data) in enumerate(pdfs.items()):
            write_file_atomically(root / path, data)
            if index == 0:
                crash_point("after-first-pdf")
        crash_point("after-pdfs")
        new_bytes = old_bytes if old_bytes else REGISTER_HEADER.encode("utf-8")
        if not new_bytes.endswith(b"\n"):
            new_bytes += b"\n"
        new_bytes += "".join(record_text(record) for record in planned).encode("utf-8")
        if not new_bytes.startswith(old_bytes):
            raise AssertionError("the register append would rewrite existing bytes")
        write_file_atomically(root / REGISTER, new_bytes)
        crash_point("after-register")
    outcome.records = planned
    if as_of < end:
        outcome.notes.append(f"period {period} runs until {end}: entries dated after today in it will count "
                             "as changes to issued invoices")
    outcome.notes.append("commit the register and the invoices: git add issued.yaml invoices && "
                         f"git commit -m 'Issue {period}'")
    return outcome
