"""The register of issued invoices as records: their fields, hash chain, text, numbers and files. Pure.

`issued.yaml` holds one `IssuedRecord` per issued invoice or corrective invoice. Each
record carries the hash of the record before it (a hash chain, like Spain's Verifactu
records), so a record that is edited, removed or reordered is found, and the SHA-256
of its PDF. Here are the record, its chain hash (`record_hash`, `sealed`), its text
as appended to the register (`record_text`), and the numbering of new documents
(`plan_records`: next in each series, chained after the register; `name_clashes`).

Reading the file is `hourbook.load.register`; checking it, `hourbook.checks.register`
(and against the books, `hourbook.checks.issued`); writing it, `hourbook.invoicing.register_file`.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from decimal import Decimal

from hourbook.core.documents import INVOICE
from hourbook.core.documents import Document
from hourbook.core.documents import Item
from hourbook.core.documents import canonical_json
from hourbook.core.documents import content_hash
from hourbook.core.documents import document_items
from hourbook.core.documents import sha256
from hourbook.core.documents import split_statement
from hourbook.core.money import format_money
from hourbook.core.records import ClientId
from hourbook.core.records import Contract
from hourbook.core.records import PricedBooks
from hourbook.core.records import Settings
from hourbook.core.records import Source

REGISTER = "issued.yaml"
INVOICES_DIR = "invoices"
GENESIS = "0" * 64                              # the `previous` of the first record
MAX_FILE_NAME = 200                             # characters of an invoice PDF's name
REGISTER_HEADER = (
    "# Register of issued invoices, written only by `hourbook issue`. Append-only: never edit it.\n"
    "# Each record carries the hash of the one before it; `hourbook check` verifies the chain\n"
    "# and compares every issued period with the books.\n"
)
# The fields of a record, in the order they are written. Every one is covered by its hash.
RECORD_FIELDS = ("number", "type", "corrects", "scope", "seq", "client", "period", "through", "issued", "due", "currency",
                 "rate", "net", "tax", "total", "content", "commit", "pdf", "pdf_sha256", "lines", "previous")
# Fields that records written by earlier versions lack. Such a record is read with the field
# empty and hashed without it (as it was written), so its chain still verifies; a record that
# has the field is hashed with it.
LATER_FIELDS = ("pdf_sha256", "through", "due")


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
    # `issue --client ID --through DATE`: the last day of the client's work it covers in its period;
    # None: the rest of the period (`hourbook issue PERIOD`, and records from before the field).
    through: datetime.date | None = None
    due: datetime.date | None = None            # the due date the invoice states; None in records from before it
    hash: str = ""
    source: Source = field(default=Source(REGISTER, 0), compare=False)
    read_hash: str = field(default="", compare=False)   # the hash of the fields as read from the file

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(client, period, type, corrected number): the `Document.key` of what it invoiced."""
        return (self.client, self.period, self.type, self.corrects.lower())

    @property
    def label(self) -> str:
        """`invoice 2026-0001 (acme, 2026-10)`: the record as messages name it (`, through 2026-10-15`
        for one that covers the client's work up to a date)."""
        what = "invoice" if self.type == INVOICE else "corrective invoice"
        through = f", through {self.through}" if self.through is not None else ""
        return f"{what} {self.number} ({self.client}, {self.period}{through})"

    def fields(self) -> dict:
        """The record as written: strings, one int, and lists of strings.

        `pdf_sha256` is left out when empty, and `through` and `due` when None: a record from before
        those fields is hashed as it was written.
        """
        fields = {
            "number": self.number, "type": self.type, "corrects": self.corrects, "scope": self.scope,
            "seq": self.seq, "client": self.client, "period": self.period,
            "through": self.through.isoformat() if self.through is not None else "",
            "issued": self.issued.isoformat(),
            "due": self.due.isoformat() if self.due is not None else "",
            "currency": self.currency, "rate": f"{self.rate.normalize():f}",
            "net": format_money(self.net, self.currency),
            "tax": format_money(self.tax, self.currency), "total": format_money(self.total, self.currency),
            "content": self.content, "commit": self.commit, "pdf": self.pdf, "pdf_sha256": self.pdf_sha256,
            "lines": [item.as_list() for item in self.lines], "previous": self.previous,
        }
        if not self.pdf_sha256:
            del fields["pdf_sha256"]
        if self.through is None:
            del fields["through"]
        if self.due is None:
            del fields["due"]
        return fields


def record_hash(fields: dict) -> str:
    """The chain hash: over every field but `hash`, the previous record's hash included."""
    return sha256(canonical_json({key: value for key, value in fields.items() if key != "hash"}))


def sealed(record: IssuedRecord) -> IssuedRecord:
    """The record with its chain hash."""
    return replace(record, hash=record_hash(record.fields()))


def yaml_scalar(value) -> str:
    """A field's value as YAML: JSON strings are YAML double-quoted scalars (no implicit types,
    every character escaped safely); the one number, `seq`, as it is."""
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def record_text(record: IssuedRecord) -> str:
    """A record as YAML text, to append to the register."""
    fields = {**record.fields(), "hash": record.hash}
    out = []
    for index, (key, value) in enumerate(fields.items()):
        lead = "- " if index == 0 else "  "
        if isinstance(value, list):
            out.append(f"{lead}{key}:" + ("" if value else " []"))
            out.extend(f"    - [{', '.join(yaml_scalar(part) for part in item)}]" for item in value)
        else:
            out.append(f"{lead}{key}: {yaml_scalar(value)}")
    return "\n".join(out) + "\n"


def appended_register(old: bytes, records: list[IssuedRecord]) -> bytes:
    """The register's bytes with `records` appended: the old bytes exactly as they were, then the records
    (a new register starts with REGISTER_HEADER)."""
    data = old if old else REGISTER_HEADER.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    data += "".join(record_text(record) for record in records).encode("utf-8")
    if not data.startswith(old):
        raise AssertionError("the register append would rewrite existing bytes")
    return data


# ------------------------------------------------------------------ issued periods in the books


def client_numbers(records: list[IssuedRecord], client: ClientId) -> dict[str, str]:
    """Lowercased number -> number of the client's issued invoices (what a #correction tag may name)."""
    return {record.number.lower(): record.number for record in records
            if record.client == client and record.type == INVOICE}


def current_documents(priced: PricedBooks, records: list[IssuedRecord],
                      period_names: set[str] | None = None) -> dict[tuple, tuple[Document, Contract]]:
    """Every document of every statement (in the given periods), by key, as the books price it now."""
    result = {}
    for client in priced.clients:
        numbers = client_numbers(records, client.contract.id)
        for statement in client.statements:
            if period_names is not None and statement.period not in period_names:
                continue
            for doc in split_statement(statement, client.contract, numbers):
                result[doc.key] = (doc, client.contract)
    return result


# ------------------------------------------------------------------ numbering


def number_scope(kind: str, pattern: str, year: int) -> str:
    """A numbering series: per kind, and per year when the pattern shows the year."""
    return f"{kind}/{year}" if "{year" in pattern else kind


def pdf_name(number: str) -> str:
    """`invoices/NAME.pdf` for an invoice number: what is not a letter, a digit, `.`, `_` or `-`
    becomes `-`, and so does a leading dot (no hidden files). Two numbers can give one name
    (`2026/1` and `2026-1`): `name_clashes` refuses those."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", number)
    return f"{INVOICES_DIR}/{'-' + stem[1:] if stem.startswith('.') else stem}.pdf"


def client_due_days(contract: Contract | None, settings: Settings) -> int:
    """The days a client's invoices give for payment: its contract's `due_days`, else hourbook.yaml's."""
    if contract is not None and contract.due_days is not None:
        return contract.due_days
    return settings.due_days


def plan_records(docs: list[tuple[Document, Contract]], records: list[IssuedRecord], settings: Settings,
                 issued: datetime.date, commit: str) -> list[IssuedRecord]:
    """Number the documents (next in each series) and chain them after the register."""
    next_seq: dict[str, int] = {}
    for record in records:
        next_seq[record.scope] = max(next_seq.get(record.scope, 0), record.seq)
    previous = records[-1].hash if records else GENESIS
    planned = []
    for doc, contract in docs:
        due = issued + datetime.timedelta(days=client_due_days(contract, settings))
        pattern = settings.number_format if doc.kind == INVOICE else settings.credit_number_format
        scope = number_scope(doc.kind, pattern, issued.year)
        seq = next_seq.get(scope, 0) + 1
        next_seq[scope] = seq
        number = pattern.format(year=issued.year, seq=seq)
        record = sealed(IssuedRecord(
            number=number, type=doc.kind, corrects=doc.corrects, scope=scope, seq=seq, client=doc.client,
            period=doc.period, issued=issued, due=due, currency=doc.currency, rate=doc.tax_rate * 100, net=doc.net,
            tax=doc.tax, total=doc.total,
            content=content_hash(doc), commit=commit, pdf=pdf_name(number), lines=tuple(document_items(doc)),
            previous=previous))
        planned.append(record)
        previous = record.hash
    return planned


def name_clashes(planned: list[IssuedRecord], records: list[IssuedRecord]) -> list[str]:
    """Numbers or PDF names of `planned` that an earlier record or another planned one has.

    Both are compared ignoring case: on a case-insensitive file system `A-1.pdf` and `a-1.pdf`
    are one file, and numbers are unique ignoring case (`checks.register.verify_register`).
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
    """The planned records with their PDFs' SHA-256, chained again after `previous`."""
    chained = []
    for record in planned:
        record = sealed(replace(record, pdf_sha256=sha256(pdfs[record.pdf]), previous=previous))
        chained.append(record)
        previous = record.hash
    return chained
