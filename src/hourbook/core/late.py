"""Late approval: a line held in an issued invoice, approved or waived since, moves to an open period. Pure.

An invoice keeps its held lines (amount 0). When such a line is approved afterwards
(`#approved`, or its requester added to the contacts) or waived (a no-charge tag such as
`#goodwill`), it was never invoiced, so it is not a change to the issued invoice: it is billed
(or recorded free) in the first open period, the first period after the last one issued,
as a line that names its date and the invoice it was held from.

`plan_late` decides which entries move and where, from the books and the register's records:

- "was held when issued": the register record of the entry's client and period lists an item
  whose fingerprint is the fingerprint the entry has when priced held, as it was before it was
  approved (without `#approved`, without the no-charge tags added since, its requester not a
  contact, its quote not approved). An entry edited in any other way matches no item and stays
  where it is, so `check` reports the change as before.
- "is not held now": priced as the books stand, its status is no longer `held`.
- where it goes: the later period of the same client whose record already invoiced it (its
  register summary names the held item, `[abc123def456]`), so it stays put once invoiced; else
  the first period after the last one issued (for any client).

`hourbook.core.pricing.price_client` prices the moved entries at the start of that period (with
the term of their own date), and `hourbook.checks.issued` does not count the held item as removed
from the invoice it was held in.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from itertools import combinations

from hourbook.core import periods
from hourbook.core.documents import FINGERPRINT_HEX
from hourbook.core.documents import INVOICE
from hourbook.core.documents import canonical_json
from hourbook.core.documents import line_item
from hourbook.core.documents import sha256
from hourbook.core.ledger import Ledger
from hourbook.core.pricing import entry_quote
from hourbook.core.pricing import no_charge_reason
from hourbook.core.pricing import price_entry
from hourbook.core.records import EXPENSE
from hourbook.core.records import HELD
from hourbook.core.records import REQUEST
from hourbook.core.records import Books
from hourbook.core.records import ClientId
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import HeldFrom
from hourbook.core.records import Source
from hourbook.core.records import Term

APPROVED_TAG = "approved"                       # `tags: [approved]` in a YAML logbook keeps the word among the tags
MAX_REMOVABLE = 4                               # tags tried as added since the invoice: 2**4 variants at most
HELD_SUMMARY = "held"                           # how the register's summary of a held item starts


def item_mark(item: str) -> str:
    """`[abc123def456]`: how a moved line's register summary names the held item it came from."""
    return f"[{item}]"


def plan_late(books: Books, records) -> dict[ClientId, dict[Source, HeldFrom]]:
    """Which entries were held in an issued invoice and are approved or waived now, and where they go.

    Args:
        books: the loaded books.
        records: the register's records (`IssuedRecord`s), verified or not.

    Returns:
        client id -> {entry source: HeldFrom}; clients without such entries are left out.
    """
    issued_on: dict[str, datetime.date] = {}
    for record in records:
        # An invoice of one client's work up to a date (`issue --client`, a record with `through`) leaves its
        # period open: only periods issued for everyone move late-approved lines out (docs/invoicing.md).
        if getattr(record, "through", None) is None:
            issued_on[record.period] = min(record.issued, issued_on.get(record.period, record.issued))
    held_records: dict[tuple[str, str], list] = {}
    later: dict[str, list] = {}
    invoiced = set()
    for record in records:
        if record.type != INVOICE:
            continue
        later.setdefault(record.client, []).append(record)
        invoiced.add((record.client, record.period))
        if any(item.summary.startswith(HELD_SUMMARY) for item in record.lines):
            held_records.setdefault((record.client, record.period), []).append(record)
    if not issued_on:
        return {}
    contracts = {contract.id: contract for contract in books.contracts}
    plan: dict[ClientId, dict[Source, HeldFrom]] = {}
    for entry in books.entries:
        contract = contracts.get(entry.client)
        if contract is None or entry.kind == REQUEST:
            continue
        period = periods.period_of(entry.date, contract.period)
        if period not in issued_on:
            continue
        moved = None
        if (contract.id, period) not in invoiced:
            if entry.by:
                moved = unrecorded_move(entry, contract, period, issued_on[period], later.get(contract.id, []),
                                        set(issued_on))
        else:
            for record in held_records.get((contract.id, period), ()):
                moved = late_move(entry, contract, period, record, later[contract.id], set(issued_on))
                if moved is not None:
                    break
        if moved is not None:
            plan.setdefault(contract.id, {})[entry.source] = moved
    return plan


def unrecorded_move(entry: Entry, contract: Contract, period: str, issued: datetime.date, client_records,
                    issued_periods: set[str]) -> HeldFrom | None:
    """Where `entry` goes if its period was issued while its client had nothing to invoice, it could
    have been held then (it names a requester), and it is charged now; None if it stays.

    Such a client got no invoice, so no record says what was held: a line that charges nothing now
    stays (no invoice would change), and one that charges something and could not have been held
    (no requester) is an addition to an issued period, which `check` reports.
    """
    term = contract.term_on(entry.date)
    if term is None or all(line.amount == 0 for line in price_entry(entry, term, contract, period, Ledger())):
        return None
    item = next(iter(held_fingerprints(entry, term, contract, period)), None)
    if item is None:
        return None
    return HeldFrom("", issued, period, item, target_period(period, item, contract, client_records, issued_periods))


def late_move(entry: Entry, contract: Contract, period: str, record, client_records,
              issued_periods: set[str]) -> HeldFrom | None:
    """Where `entry` goes if `record` held it and it is not held now; None if it stays in its period."""
    term = contract.term_on(entry.date)
    if term is None or price_entry(entry, term, contract, period, Ledger())[0].status == HELD:
        return None
    fingerprints = {item.fingerprint for item in record.lines if item.summary.startswith(HELD_SUMMARY)}
    item = next((fp for fp in held_fingerprints(entry, term, contract, period) if fp in fingerprints), None)
    if item is None:
        return None
    return HeldFrom(record.number, record.issued, period, item,
                    target_period(period, item, contract, client_records, issued_periods))


def held_fingerprints(entry: Entry, term: Term, contract: Contract, period: str):
    """The fingerprints `entry` may have had when it was held: each way of undoing an approval or waiver."""
    removable = [tag for tag in entry.tags if tag == APPROVED_TAG or waiving_tag(tag, term)][:MAX_REMOVABLE]
    unapproved = [contract, without_requester(contract, entry)]
    quote = entry_quote(entry, contract)
    if quote is not None:
        unapproved.append(replace(contract, quotes=tuple(
            replace(q, approved_on=None, approved_by="") if q.id == quote.id else q for q in contract.quotes)))
    seen = set()
    for count in range(len(removable) + 1):
        for dropped in combinations(removable, count):
            tags = tuple(t for t in entry.tags if t not in dropped)
            # `#approved` added since, or there already (then the quote was approved since).
            for approved in dict.fromkeys((False, entry.approved)):
                variant = replace(entry, approved=approved, tags=tags)
                for held_contract in unapproved:
                    line = price_entry(variant, term, held_contract, period, Ledger())[0]
                    if line.status == HELD:
                        fingerprint = sha256(canonical_json(line_item(line, contract.currency)))[:FINGERPRINT_HEX]
                        if fingerprint not in seen:
                            seen.add(fingerprint)
                            yield fingerprint


def waiving_tag(tag: str, term: Term) -> bool:
    """Whether `tag` alone makes an entry no-charge (a tag that waives a held line)."""
    probe = Entry(EXPENSE, datetime.date.min, "", Source("<late>", 0), tags=(tag,))
    return no_charge_reason(probe, replace(term, kind="hourly")) is not None


def without_requester(contract: Contract, entry: Entry) -> Contract:
    """The contract as it was before the entry's requester was added to its contacts."""
    if not entry.by:
        return contract
    contacts = tuple(c for c in contract.contacts if c[0] != entry.by) or (("\0", ""),)
    return replace(contract, contacts=contacts)


def target_period(period: str, item: str, contract: Contract, client_records, issued_periods: set[str]) -> str:
    """The period a moved line is priced in: the later invoice that already billed it, else the first open one.

    The first open period is the client's period after the last period issued for anyone: a period in
    between that got no invoice (nothing to invoice then) is not open, since billing the line there
    could draw on a block or an allowance ahead of lines that a later invoice covered with them.
    """
    mark = item_mark(item)
    for record in sorted(client_records, key=lambda r: r.period):
        if record.period > period and any(mark in line.summary for line in record.lines):
            return record.period
    last = max(periods.bounds(name)[1] for name in issued_periods | {period})
    return periods.period_of(last + datetime.timedelta(days=1), contract.period)
