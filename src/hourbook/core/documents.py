"""Invoice documents: what one invoice or corrective invoice is made of, and its fingerprints. Pure.

A statement becomes one invoice (its regular lines and its fees) and one corrective
document per invoice its `#correction` lines correct (`split_statement`). What a
document says is hashed in one canonical form (`canonical_json`): each line and fee
gets a short fingerprint (`Item`) and the whole document a content hash. The register
keeps both (`hourbook.core.register`), so `check` can tell which line of an issued
invoice changed.

Nothing here numbers, reads or writes anything.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core.money import format_money
from hourbook.core.pricing import format_minutes
from hourbook.core.period_figures import totals
from hourbook.core.records import EXPENSE
from hourbook.core.records import ClientId
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import Statement

CORRECTION_TAG = "correction"
INVOICE = "invoice"
CREDIT = "credit"
FINGERPRINT_HEX = 12                            # hex digits of an item's hash that the register keeps


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
        """(client, period, kind, corrected number): what a register record of this document matches on."""
        return (self.client, self.period, self.kind, self.corrects.lower())


def is_correction(line: Line) -> bool:
    """Whether the line's entry is tagged #correction."""
    return corrects(line.entry)


def corrects(entry: Entry) -> bool:
    """Whether the entry is tagged #correction."""
    return CORRECTION_TAG in entry.tags


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
    """One document of `statement`: these lines and fees, with their own totals (`period_figures.totals`)."""
    net, tax, total = totals(contract, lines, fees)
    return Document(kind, contract.id, statement.period, corrects, tuple(lines), tuple(fees), net, tax, total,
                    contract.currency, contract.tax, contract.prices_include_tax)


# ------------------------------------------------------------------ fingerprints


def canonical_json(value) -> bytes:
    """The one byte form that is hashed: JSON, sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    """The hex SHA-256 of `data`."""
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
    } | held_from_item(line)


def held_from_item(line: Line) -> dict:
    """A late-approved line's origin, as invoices say it: {} for every other line (their hashes stay as they were)."""
    held = line.held_from
    if held is None:
        return {}
    return {"held_from": {"invoice": held.number, "issued": held.issued.isoformat(), "item": held.item}}


def fee_item(fee: Fee, currency: str) -> dict:
    """What an invoice says about a fee: everything but its place in the contract."""
    return {"fee": fee.kind, "ref": fee.ref, "label": fee.label, "date": fee.date.isoformat(),
            "amount": format_money(fee.amount, currency)}


def line_summary(line: Line, currency: str) -> str:
    """`billed 1h30m at 60.00 = 90.00`: the money of a line, as messages show it."""
    status = line.status + (f" ({line.reason})" if line.reason else "")
    amount = format_money(line.amount, currency)
    held = ""
    if line.held_from is not None:
        held = f" held from {line.held_from.number or line.held_from.period} [{line.held_from.item}]"
    if line.entry.kind == EXPENSE:
        return f"{status} expense {format_money(line.value, currency)} = {amount}{held}"
    rate = f" at {format_money(line.rate, currency)}" if line.rate is not None else ""
    cover = f" from {line.cover}" if line.cover else ""
    return f"{status} {format_minutes(line.billed_minutes)}{rate} = {amount}{cover}{held}"


def fee_summary(fee: Fee, currency: str) -> str:
    """`fee retainer 'Support retainer' = 500.00`: the money of a fee, as messages show it."""
    return f"fee {fee.kind} '{fee.label}' = {format_money(fee.amount, currency)}"


@dataclass(frozen=True)
class Item:
    """One line or fee of an invoice as the register keeps it: where, what (hashed), how much."""

    source: str                                 # path:line, as it was at issue time
    fingerprint: str                            # FINGERPRINT_HEX hex digits of the item's hash
    summary: str

    def as_list(self) -> list[str]:
        """[source, fingerprint, summary]: the item as the register writes it."""
        return [self.source, self.fingerprint, self.summary]


def document_items(doc: Document) -> list[Item]:
    """The items of a document: its lines, then its fees."""
    items = [Item(str(line.entry.source), sha256(canonical_json(line_item(line, doc.currency)))[:FINGERPRINT_HEX],
                  line_summary(line, doc.currency)) for line in doc.lines]
    items += [Item(str(fee.source), sha256(canonical_json(fee_item(fee, doc.currency)))[:FINGERPRINT_HEX],
                   fee_summary(fee, doc.currency)) for fee in doc.fees]
    return items


def content_hash(doc: Document) -> str:
    """sha256 of the priced lines and fees, the currency, the tax rate and the totals."""
    return "sha256:" + sha256(canonical_json({
        "lines": [line_item(line, doc.currency) for line in doc.lines],
        "fees": [fee_item(fee, doc.currency) for fee in doc.fees],
        "currency": doc.currency, "tax_rate": str(doc.tax_rate), "prices_include_tax": doc.prices_include_tax,
        "net": format_money(doc.net, doc.currency), "tax": format_money(doc.tax, doc.currency),
        "total": format_money(doc.total, doc.currency),
    }))
