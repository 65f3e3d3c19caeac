"""Pricing: entries and contracts -> statements, one per client and period. No I/O.

The rules are SPEC §5 and docs/pricing.md. Entries are priced in date, path,
line order; retainer allowances, prepaid blocks and quotes are consumed in that
order, so the result never depends on the order of files on disk.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.money import time_value
from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import UNCOVERED
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import SortedEntries
from hourbook.core.records import pricing_order
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import Fee
from hourbook.core.records import HeldFrom
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Source
from hourbook.core.records import Term
from hourbook.core.ledger import Ledger
from hourbook.core.period_figures import books_begin
from hourbook.core.period_figures import contract_fees
from hourbook.core.period_figures import draw_order
from hourbook.core.period_figures import make_statement
from hourbook.core.thresholds import deductible_for
from hourbook.core.thresholds import free_time_reason

BUILT_IN_NO_CHARGE = ("warranty", "goodwill")
TICKET_PREFIX = "ticket-"
RETAINER = "retainer"


class PricingError(Exception):
    """A bug in pricing (a broken invariant), never a problem in the books."""


def format_minutes(minutes: int) -> str:
    """`1h05m`, or `45m` under an hour: minutes as messages write them."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m" if hours else f"{rest}m"


def price_books(books: Books, as_of: datetime.date, price_one=None,
                late: dict[str, dict[Source, HeldFrom]] | None = None) -> PricedBooks:
    """Price every client's entries up to `as_of`.

    Args:
        books: what the loader read (unknown clients are skipped: validation reports them).
        as_of: the day the books are priced on; later entries and fees are left out.
        price_one: stands in for `price_client` (same arguments and result), e.g. to reuse
            a client priced before from the same inputs (`hourbook.build.builder`).
        late: per client, the held lines approved after their invoice was issued and where they
            go (`hourbook.core.late.plan_late`); given to `price_one` only for clients that have some.

    Returns:
        PricedBooks with the pricing diagnostics (no term in force, uncovered time).
    """
    by_client = client_entries(books, as_of)
    clients, diagnostics = [], []
    price_one = price_one or price_client
    begins = books_begin(books)
    for contract in sorted(books.contracts, key=lambda c: c.id):
        moves = (late or {}).get(contract.id)
        if moves:
            priced, problems = price_one(contract, by_client.get(contract.id, []), as_of, begins, late=moves)
        else:
            priced, problems = price_one(contract, by_client.get(contract.id, []), as_of, begins)
        clients.append(priced)
        diagnostics.extend(problems)
    return PricedBooks(books=books, clients=tuple(clients), as_of=as_of, diagnostics=tuple(diagnostics))


def client_entries(books: Books, as_of: datetime.date) -> dict[str, list[Entry]]:
    """Each client's entries up to `as_of`, in pricing order (what `price_client` takes)."""
    by_client: dict[str, list[Entry]] = defaultdict(list)
    # The pricing order, whatever order the entries came in: allowances and blocks depend on it.
    entries = books.entries
    for entry in entries if type(entries) is SortedEntries else sorted(entries, key=pricing_order):
        if entry.date <= as_of:
            by_client[entry.client].append(entry)
    return by_client


def price_client(contract: Contract, entries: list[Entry], as_of: datetime.date,
                 begins: datetime.date | None = None,
                 late: dict[Source, HeldFrom] | None = None) -> tuple[PricedClient, list]:
    """One client's entries (in pricing order) -> its statements and problems.

    `begins` is the first day of the books (`period_figures.books_begin`, over every client):
    a retainer's fees start there at the earliest. `late` (entry source -> HeldFrom) moves held
    lines approved after their invoice was issued to the period they are billed in now
    (`late_order`, `price_late`).
    """
    ledger = Ledger()
    lines_by_period: dict[str, list[Line]] = defaultdict(list)
    requests, problems = [], []
    if late:
        entries = late_order(entries, late)
    for entry in entries:
        if entry.kind == REQUEST:
            requests.append(entry)
            continue
        term = contract.term_on(entry.date)
        if term is None:
            problems.append(Diagnostic(entry.source, no_term_message(contract, entry.date), ERROR))
            continue
        moved = late.get(entry.source) if late else None
        if moved is None:
            period = periods.period_of(entry.date, contract.period)
            lines = price_entry(entry, term, contract, period, ledger)
        else:
            period = moved.target
            lines = price_late(entry, moved, term, contract, ledger)
        if entry.kind == TIME and (lines[0].logged_minutes if len(lines) == 1 else
                                   sum(line.logged_minutes for line in lines)) != entry.minutes:
            raise PricingError(f"{entry.source}: split lines do not add up to the logged time")
        for line in lines:
            if line.status == UNCOVERED:
                problems.append(Diagnostic(entry.source, uncovered_message(line, contract, term), WARNING))
        lines_by_period[period].extend(lines)
    fees_by_period: dict[str, list[Fee]] = defaultdict(list)
    for fee in contract_fees(contract, as_of, begins):
        fees_by_period[periods.period_of(fee.date, contract.period)].append(fee)
    statements = [
        make_statement(contract, period, lines_by_period.get(period, []), fees_by_period.get(period, []), ledger,
                       as_of)
        for period in sorted(set(lines_by_period) | set(fees_by_period))
    ]
    return PricedClient(contract, tuple(statements), tuple(requests)), problems


def late_order(entries: list[Entry], late: dict[Source, HeldFrom]) -> list[Entry]:
    """The pricing order with each moved entry at the start of the period it moves to (before that day's own)."""
    def key(entry: Entry):
        moved = late.get(entry.source)
        day = periods.bounds(moved.target)[0] if moved is not None else entry.date
        return (day, moved is None, entry.source.path, entry.source.line)

    return sorted(entries, key=key)


def price_late(entry: Entry, moved: HeldFrom, term: Term, contract: Contract, ledger: Ledger) -> list[Line]:
    """A moved entry, priced by the term of its own date as work of its new period's first day.

    Allowances and blocks are drawn in the new period (a block must be usable then); each line
    keeps the entry as logged, its own date included, and names the invoice it was held from.
    """
    start = periods.bounds(moved.target)[0]
    lines = price_entry(replace(entry, date=start), term, contract, moved.target, ledger)
    return [replace(line, entry=entry, held_from=moved) for line in lines]


def no_term_message(contract: Contract, day: datetime.date) -> str:
    """Why no term is in force on `day`: no terms at all, a day before the first, or the term before it has ended."""
    starts = sorted(term.start for term in contract.terms)
    if not starts:
        return f"no term in force on {day} for client {contract.id!r}: its contract has no terms"
    if day < starts[0]:
        return f"entry before any term: client {contract.id!r} has terms from {starts[0]}, this entry is {day}"
    return f"no term in force on {day} for client {contract.id!r} (the term before it has ended)"


def uncovered_message(line: Line, contract: Contract, term: Term) -> str:
    """The warning for time that nothing covers and no rate can bill, with the fix (a `rate:`)."""
    why = "beyond the retainer allowance" if term.kind == "retainer" and line.entry.minutes else "not covered"
    if term.kind == "prepaid":
        why = "beyond every prepaid block"
    return (f"{format_minutes(line.billed_minutes)} {why} and no rate to bill it at "
            f"(client {contract.id!r}, {term.kind} term from {term.start}): add a rate: to the term")


# --------------------------------------------------------------- one entry


def rate_for(term: Term, tags: tuple[str, ...]) -> Decimal | None:
    """The rate of the first of `tags` that `term.rates` names, else the term's `rate`; None if neither."""
    if term.rates:
        rates = dict(term.rates)
        for tag in tags:
            if tag in rates:
                return rates[tag]
    return term.rate


def surcharge_for(term: Term, tags: tuple[str, ...]) -> Decimal:
    """The sum of the term's surcharges for `tags` (fractions: 0.5 = +50 %); zero when none applies."""
    total = ZERO
    for tag, pct in term.surcharge:
        if tag in tags:
            total += pct
    return total


def billable_minutes(term: Term, logged: int, tags: tuple[str, ...] = ()) -> int:
    """max(logged - deductible, minimum), rounded up to the increment; 0 when the deductible takes it all.

    The deductible is taken off the logged time first (`core.thresholds`), so the minimum and
    the increment apply to what is left to bill: a 25-minute call with `deductible: 10m` and
    `increment: 15m` bills 15 minutes.
    """
    deductible = deductible_for(term, tags)
    if deductible and logged <= deductible:
        return 0
    minutes = max(logged - deductible, term.minimum)
    increment = max(term.increment, 1)
    return -(-minutes // increment) * increment


def held_reason(entry: Entry, contract: Contract) -> str | None:
    """Why an entry waits for the client, or None.

    Held: a requester who is not one of the contract's contacts (when it lists any), unless the
    entry is approved; or work on a quote not approved yet.
    """
    if entry.by and contract.contacts and not entry.approved and all(entry.by != handle
                                                                     for handle, _ in contract.contacts):
        return f"requester '{entry.by}' is not an authorised contact"
    quote = entry_quote(entry, contract)
    if quote is not None and not quote.approved:
        return f"quote {quote.id} is not approved"
    return None


def no_charge_reason(entry: Entry, term: Term) -> str | None:
    """Why an entry is not charged, or None.

    The reason is its first no-charge tag (`warranty`, `goodwill` or one of the term's `no_charge`),
    else `free_under`, `free_up_to` or `deductible` for time those thresholds make free
    (`core.thresholds`), else `included` under a free term.
    """
    for tag in entry.tags:
        if tag in BUILT_IN_NO_CHARGE or tag in term.no_charge:
            return tag
    reason = free_time_reason(entry, term)
    if reason:
        return reason
    if term.kind == "free":
        return "included"
    return None


def entry_quote(entry: Entry, contract: Contract):
    """The contract's quote named by the first of the entry's tags that is one of its quote ids, or None."""
    if not contract.quotes:
        return None
    for tag in entry.tags:
        quote = contract.quote(tag)
        if quote is not None:
            return quote
    return None


def entry_figures(entry: Entry, term: Term, currency: str):
    """(rate, surcharge, billable minutes, value, no-charge reason) of an entry under `term`, before
    anything is drawn: they depend on its kind, minutes, tags and amount only (`price_entry` keeps
    them by those in the ledger)."""
    if entry.kind == EXPENSE:
        rate, surcharge, billable = None, ZERO, 0
        value = round_money(entry.amount, currency)
    else:
        rate = rate_for(term, entry.tags)
        surcharge = surcharge_for(term, entry.tags)
        billable = billable_minutes(term, entry.minutes, entry.tags)
        value = time_value(billable, rate, surcharge, currency) if rate is not None else round_money(ZERO, currency)
    return rate, surcharge, billable, value, no_charge_reason(entry, term)


def price_entry(entry: Entry, term: Term, contract: Contract, period: str, ledger: Ledger) -> list[Line]:
    """Status and money of one entry; several lines when coverage splits it."""
    currency = contract.currency
    key = (id(term), entry.kind, entry.minutes, entry.tags, entry.amount)
    figures = ledger.figures.get(key)
    if figures is None:
        figures = ledger.figures[key] = entry_figures(entry, term, currency)
    rate, surcharge, billable, value, reason = figures
    zero = ledger.zeros.get(currency)
    if zero is None:
        zero = ledger.zeros[currency] = round_money(ZERO, currency)
    # No-charge before held: free work is free whoever asked (the requester stays on the line,
    # and the owner's dashboard still lists it: render.dashboard.free_but_held).
    if reason:
        return [Line(entry, NO_CHARGE, reason, entry.minutes, billable, rate, value, zero, surcharge=surcharge)]
    reason = held_reason(entry, contract)
    if reason:
        return [Line(entry, HELD, reason, entry.minutes, billable, rate, value, zero, surcharge=surcharge)]
    quote = entry_quote(entry, contract)
    if quote is not None:
        ledger.quote_work.append((entry.date, quote.id, entry.minutes))
        return [Line(entry, QUOTE, None, entry.minutes, billable, rate, value, zero, surcharge=surcharge)]
    if entry.kind == EXPENSE:
        return [_uncovered_part(entry, entry.minutes, billable, rate, value, surcharge, currency, zero)]
    parts = cover_parts(entry, term, contract, period, billable, ledger)
    if not parts:
        return [_uncovered_part(entry, entry.minutes, billable, rate, value, surcharge, currency, zero)]
    covered = sum(minutes for _, minutes in parts)
    rest = billable - covered
    lines = []
    logged_left = entry.minutes
    for index, (cover, minutes) in enumerate(parts):
        last = index == len(parts) - 1 and rest == 0
        logged = logged_left if last else min(logged_left, minutes)
        logged_left -= logged
        # A part of all the billable minutes is worth the entry's value, worked out once already.
        part_value = value if minutes == billable else (
            time_value(minutes, rate, surcharge, currency) if rate is not None else zero)
        lines.append(Line(entry, COVERED, None, logged, minutes, rate, part_value, zero, cover, surcharge))
    if rest > 0:
        rest_value = time_value(rest, rate, surcharge, currency) if rate is not None else zero
        lines.append(_uncovered_part(entry, logged_left, rest, rate, rest_value, surcharge, currency, zero))
    return lines


def _uncovered_part(entry: Entry, logged: int, minutes: int, rate: Decimal | None, value: Decimal,
                    surcharge: Decimal, currency: str, zero: Decimal) -> Line:
    """What no cover takes of an entry (all of an expense): billed at its value, or uncovered
    when the term has no rate (an expense always has its amount)."""
    if rate is None and entry.kind != EXPENSE:
        return Line(entry, UNCOVERED, None, logged, minutes, rate, value, zero, surcharge=surcharge)
    return Line(entry, BILLED, None, logged, minutes, rate, value, round_money(value, currency), surcharge=surcharge)


def cover_parts(entry: Entry, term: Term, contract: Contract, period: str, billable: int,
                ledger: Ledger) -> list[tuple[str, int]]:
    """The covered parts of an entry: [(cover, minutes)], consuming allowance or blocks."""
    if term.kind == "retainer":
        if term.covers is not None and not term.covers.intersection(entry.tags):
            return []
        if term.included is None:
            return [(RETAINER, billable)]
        key = (term.start, period)
        take = min(billable, term.included - ledger.allowance_used[key])
        if take <= 0:
            return []
        ledger.allowance_used[key] += take
        return [(RETAINER, take)]
    if term.kind == "prepaid":
        return draw_blocks(entry, contract.prepaid, billable, ledger)
    return []


def draw_blocks(entry: Entry, blocks, billable: int, ledger: Ledger) -> list[tuple[str, int]]:
    """Draw an entry's `billable` minutes from the blocks usable on its date, in `draw_order`: [(block id, minutes)].

    A block of hours gives what it has left, and the next block the rest. An incident pack takes the whole entry:
    free when one of the entry's `#ticket-…` tags already drew on it, else for one incident (its new tickets
    then belong to the pack). What no block can take is left out of the parts.
    """
    parts = []
    need = billable
    day = entry.date
    tickets = None                          # the entry's `#ticket-…` tags, once a pack asks
    order = ledger.orders.get(id(blocks))
    if order is None:
        order = ledger.orders[id(blocks)] = draw_order(blocks)
    for block in order:
        if need <= 0:
            break
        if not block.usable(day):
            continue
        used_minutes, used_incidents = ledger.used_by(block)
        if block.incidents is not None:
            if tickets is None:
                tickets = [tag for tag in entry.tags if tag.startswith(TICKET_PREFIX)]
            known = [t for t in tickets if ledger.tickets.get(t) == block.id]
            if known:
                ledger.draw(day, block.id, need, 0)
            elif used_incidents < block.incidents:
                ledger.draw(day, block.id, need, 1)
                for ticket in tickets:
                    ledger.tickets.setdefault(ticket, block.id)
            else:
                continue
            parts.append((block.id, need))
            need = 0
            continue
        take = min(need, block.minutes - used_minutes)
        if take <= 0:
            continue
        ledger.draw(day, block.id, take, 0)
        parts.append((block.id, take))
        need -= take
    return parts
