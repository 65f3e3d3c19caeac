"""Bank credit lines matched to issued invoices: proposed payment records. Pure.

`hourbook payments match FILE` reads a bank statement (`load.bank_statement`) into
`BankLine`s and asks `match_lines` what each credit pays, in this order:

1. a line whose bank `ref` is already in `payments/` is skipped (it was recorded);
2. an invoice number of the register found in the remittance text (as written, or with its
   separators dropped or changed, `2026-0001` ~ `20260001` ~ `2026/0001`) pays that invoice;
   several numbers of one client: the payment goes to the client (oldest open invoice first);
3. else the client is known by the payer's name (the contract's `name`, legal forms such as
   S.L. or GmbH and accents aside), or by an amount equal to exactly one open invoice's
   outstanding amount; an equal open invoice of that client is paid, else the client;
4. anything else is unmatched, and said why.

Nothing here reads files or knows today's date; the output is `Proposal`s, never the books.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from hourbook.core.documents import CREDIT
from hourbook.core.documents import INVOICE
from hourbook.core.records import ClientId
from hourbook.core.records import Source
from hourbook.core.register import IssuedRecord

# Legal forms left out when a payer's name is compared with a contract's name.
LEGAL_FORMS = frozenset({
    "sl", "slu", "sa", "sau", "sll", "scp", "cb", "gmbh", "ag", "kg", "ohg", "ug", "ev", "ltd", "limited",
    "plc", "llp", "llc", "inc", "corp", "co", "company", "bv", "nv", "srl", "spa", "sas", "sarl", "eurl",
    "oy", "ab", "as", "aps", "ooo", "oao", "zao", "pao", "ip", "ood", "eood", "ad", "ead", "et",
})
_SEPARATORS = re.compile(r"[\s\-/._]+")


@dataclass(frozen=True)
class BankLine:
    """One credit (money in) of a bank statement, at its place in the file."""

    date: datetime.date
    amount: Decimal                             # positive: money received
    currency: str
    text: str                                   # remittance information, every part joined
    ref: str                                    # the bank's reference of the line ("" when none)
    payer: str                                  # the debtor's name ("" when none)
    source: Source


@dataclass(frozen=True)
class Proposal:
    """What a bank line is taken to be: a payment of an invoice or of a client, or nothing (why)."""

    line: BankLine
    invoice: str = ""                           # the invoice it pays, or ""
    client: ClientId = ""                       # the client it pays (always set when matched)
    how: str = ""                               # why: shown as a comment beside the record
    skipped: str = ""                           # "" for a match; else why it is not proposed
    invoices: tuple[str, ...] = field(default=())   # for a client payment: the invoices it names

    @property
    def matched(self) -> bool:
        """Whether a payment record is proposed."""
        return not self.skipped


@dataclass
class _Open:
    """An invoice and what is still owed on it, as this run goes."""

    record: IssuedRecord
    outstanding: Decimal


def plain_words(text: str) -> list[str]:
    """Lowercase words without accents or punctuation; dots join (`ACME, S.L.` -> ["acme", "sl"])."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return [word for word in re.split(r"[^\w]+", bare.replace(".", "")) if word]


def name_words(name: str) -> tuple[str, ...]:
    """A party's name as the words that tell it apart: no legal form, no accents, no punctuation."""
    return tuple(word for word in plain_words(name) if word not in LEGAL_FORMS)


def number_pattern(number: str) -> re.Pattern:
    """An invoice number in free text: its separators may be dropped or changed; not inside a longer word."""
    parts = [re.escape(part) for part in _SEPARATORS.split(number) if part]
    return re.compile(r"(?<![0-9A-Za-z])" + r"[\s\-/._]?".join(parts) + r"(?![0-9A-Za-z])", re.IGNORECASE)


def open_invoices(records: list[IssuedRecord], paid: dict[str, Decimal],
                  client_paid: dict[ClientId, Decimal] | None = None) -> dict[str, _Open]:
    """Number -> what is still owed: invoices (and corrective invoices that add), their totals less the
    corrective invoices that take off and the payments already booked."""
    owed = {record.number: _Open(record, record.total) for record in records
            if record.type == INVOICE or (record.type == CREDIT and record.total > 0)}
    for record in records:
        # A corrective invoice that takes money off lowers what its invoice is owed; one that adds
        # (a forgotten hour) is a document of its own, paid by its own number.
        if record.type == CREDIT and record.total < 0 and record.corrects in owed:
            owed[record.corrects].outstanding += record.total
    for number, amount in paid.items():
        if number in owed:
            owed[number].outstanding -= amount
    # Payments that name only the client go to its oldest open invoices first (SPEC §8).
    for client, amount in (client_paid or {}).items():
        pay_client(owed, client, amount)
    return owed


def pay_client(owed: dict[str, _Open], client: ClientId, amount: Decimal) -> None:
    """A payment naming only the client: its oldest open invoices first, what is left over a credit (not kept)."""
    for entry in sorted((entry for entry in owed.values() if entry.record.client == client),
                        key=lambda entry: (entry.record.issued, entry.record.seq)):
        used = min(amount, max(entry.outstanding, Decimal(0)))
        entry.outstanding -= used
        amount -= used


def client_by_name(payer: str, names: dict[ClientId, str]) -> ClientId:
    """The one client whose contract name the payer's name is (its words all in the payer's), or ""."""
    payer_words = set(name_words(payer))
    if not payer_words:
        return ""
    found = [client for client, name in names.items()
             if name_words(name) and set(name_words(name)) <= payer_words]
    return found[0] if len(found) == 1 else ""


def match_lines(lines: list[BankLine], records: list[IssuedRecord], names: dict[ClientId, str],
                known_refs: frozenset[str] = frozenset(),
                paid: dict[str, Decimal] | None = None,
                client_paid: dict[ClientId, Decimal] | None = None) -> list[Proposal]:
    """Propose what each credit line pays, in the lines' order.

    Args:
        lines: the statement's credit lines.
        records: the register issued.yaml.
        names: client id -> the contract's `name` (the party the payer's name is compared with).
        known_refs: bank references already in `payments/`.
        paid: invoice number -> the amount `payments/` already pays on it.
        client_paid: client -> what `payments/` pays it without an invoice number (oldest invoice first).

    Returns:
        One Proposal per line. A proposed payment counts against its invoice for the lines after it.
    """
    owed = open_invoices(records, paid or {}, client_paid)
    patterns = {number: number_pattern(number) for number in owed}
    seen_refs = set(known_refs)
    proposals = []
    for line in lines:
        if line.ref and line.ref in seen_refs:
            proposals.append(Proposal(line, skipped=f"its ref {line.ref} is already in payments/"
                                      if line.ref in known_refs else f"its ref {line.ref} is on an earlier line"))
            continue
        if line.ref:
            seen_refs.add(line.ref)
        proposal = _by_number(line, owed, patterns) or _by_client(line, owed, names)
        if proposal.matched and proposal.invoice:
            owed[proposal.invoice].outstanding -= line.amount
        elif proposal.matched:
            pay_client(owed, proposal.client, line.amount)
        proposals.append(proposal)
    return proposals


def _by_number(line: BankLine, owed: dict[str, _Open], patterns: dict[str, re.Pattern]) -> Proposal | None:
    """The invoice(s) the remittance text names, or None when it names none."""
    named = [number for number, pattern in patterns.items() if pattern.search(line.text)]
    if not named:
        return None
    clients = {owed[number].record.client for number in named}
    currencies = {owed[number].record.currency for number in named}
    listed = ", ".join(named)
    if line.currency not in currencies or len(currencies) > 1:
        return Proposal(line, skipped=f"it names {listed} in {'/'.join(sorted(currencies))}, "
                        f"but is in {line.currency}")
    if len(clients) > 1:
        return Proposal(line, skipped=f"it names invoices of several clients: {listed}")
    client = clients.pop()
    if len(named) == 1:
        entry = owed[named[0]]
        return Proposal(line, invoice=named[0], client=client,
                        how=f"number in the text; {_against(line.amount, entry.outstanding)}")
    return Proposal(line, client=client, invoices=tuple(named),
                    how=f"names {listed}: paid to {client}, oldest open invoice first")


def _by_client(line: BankLine, owed: dict[str, _Open], names: dict[ClientId, str]) -> Proposal:
    """A line without an invoice number: by the payer's name, then by an amount owed on one invoice only."""
    client = client_by_name(line.payer, names)
    open_ = [entry for entry in owed.values()
             if entry.outstanding > 0 and entry.record.currency == line.currency]
    if client:
        equal = [entry for entry in open_ if entry.record.client == client and entry.outstanding == line.amount]
        if len(equal) == 1:
            number = equal[0].record.number
            return Proposal(line, invoice=number, client=client,
                            how=f"payer {line.payer!r} is {client}, and {number} is owed {line.amount}")
        return Proposal(line, client=client,
                        how=f"payer {line.payer!r} is {client}; no single open invoice of {line.amount}: "
                        "oldest open invoice first")
    equal = [entry for entry in open_ if entry.outstanding == line.amount]
    if len(equal) == 1:
        record = equal[0].record
        return Proposal(line, invoice=record.number, client=record.client,
                        how=f"amount: {record.number} ({record.client}) is the one open invoice owed {line.amount}")
    if equal:
        return Proposal(line, skipped=f"no issued invoice's number in the text, payer not a client, and {len(equal)} open invoices are owed "
                        f"{line.amount}: {', '.join(entry.record.number for entry in equal)}")
    return Proposal(line, skipped="no issued invoice's number in the text, payer not a client, no open invoice of this amount")


def _against(amount: Decimal, outstanding: Decimal) -> str:
    """`pays it in full`, `part payment, 22.60 left`, `pays 10.00 more than is owed`."""
    if amount == outstanding:
        return "pays it in full"
    if amount < outstanding:
        return f"part payment, {outstanding - amount} left"
    return f"pays {amount - outstanding} more than is owed ({max(outstanding, Decimal(0))})"
