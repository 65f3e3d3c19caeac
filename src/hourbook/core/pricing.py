"""Pricing: entries and contracts -> statements, one per client and period. No I/O.

The rules are SPEC §5 and docs/pricing.md. Entries are priced in date, path,
line order; retainer allowances, prepaid blocks and quotes are consumed in that
order, so the result never depends on the order of files on disk.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.money import ZERO
from hourbook.core.money import add_tax
from hourbook.core.money import round_money
from hourbook.core.money import split_gross
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
from hourbook.core.records import BlockState
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import Minutes
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import QuoteState
from hourbook.core.records import Statement
from hourbook.core.records import Term

BUILT_IN_NO_CHARGE = ("warranty", "goodwill")
TICKET_PREFIX = "ticket-"
RETAINER = "retainer"


class PricingError(Exception):
    """A bug in pricing (a broken invariant), never a problem in the books."""


def format_minutes(minutes: int) -> str:
    """`1h05m`, or `45m` under an hour: minutes as messages write them."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m" if hours else f"{rest}m"


@dataclass
class _Ledger:
    """What a client has consumed so far, while its entries are priced in order."""

    allowance_used: dict = field(default_factory=lambda: defaultdict(int))   # (term start, period) -> minutes
    block_draws: list = field(default_factory=list)                          # (date, block id, minutes, incidents)
    block_totals: dict = field(default_factory=dict)                         # block id -> (minutes, incidents)
    draws_by_block: dict = field(default_factory=lambda: defaultdict(list))  # block id -> [(date, minutes, incidents)]
    orders: dict = field(default_factory=dict)                               # id(blocks) -> draw_order(blocks)
    tickets: dict = field(default_factory=dict)                              # ticket tag -> block id
    quote_work: list = field(default_factory=list)                           # (date, quote id, logged minutes)
    # block id -> ([draw dates], [minutes drawn up to each], [incidents up to each]): what a block had
    # used by a day is a bisection, not a pass over its draws for every statement.
    running: dict = field(default_factory=dict)
    in_order: bool = True                                                    # draws came in date order

    def block_used(self, block_id: str) -> tuple[int, int]:
        return self.block_totals.get(block_id, (0, 0))

    def draw(self, day: datetime.date, block_id: str, minutes: int, incidents: int) -> None:
        self.block_draws.append((day, block_id, minutes, incidents))
        self.draws_by_block[block_id].append((day, minutes, incidents))
        running = self.running.get(block_id)
        if running is None:
            self.running[block_id] = ([day], [minutes], [incidents])
        else:
            days, minutes_so_far, incidents_so_far = running
            self.in_order = self.in_order and day >= days[-1]
            days.append(day)
            minutes_so_far.append(minutes_so_far[-1] + minutes)
            incidents_so_far.append(incidents_so_far[-1] + incidents)
        used_minutes, used_incidents = self.block_used(block_id)
        self.block_totals[block_id] = (used_minutes + minutes, used_incidents + incidents)


def price_books(books: Books, as_of: datetime.date, price_one=None) -> PricedBooks:
    """Price every client's entries up to `as_of`.

    Args:
        books: what the loader read (unknown clients are skipped: validation reports them).
        as_of: the day the books are priced on; later entries and fees are left out.
        price_one: stands in for `price_client` (same arguments and result), e.g. to reuse
            a client priced before from the same inputs (`hourbook.build.builder`).

    Returns:
        PricedBooks with the pricing diagnostics (no term in force, uncovered time).
    """
    by_client = client_entries(books, as_of)
    clients, diagnostics = [], []
    price_one = price_one or price_client
    for contract in sorted(books.contracts, key=lambda c: c.id):
        priced, problems = price_one(contract, by_client.get(contract.id, []), as_of)
        clients.append(priced)
        diagnostics.extend(problems)
    return PricedBooks(books=books, clients=tuple(clients), as_of=as_of, diagnostics=tuple(diagnostics))


def client_entries(books: Books, as_of: datetime.date) -> dict[str, list[Entry]]:
    """Each client's entries up to `as_of`, in pricing order (what `price_client` takes)."""
    by_client: dict[str, list[Entry]] = defaultdict(list)
    # The pricing order, whatever order the entries came in: allowances and blocks depend on it.
    for entry in sorted(books.entries, key=lambda e: (e.date, e.source.path, e.source.line)):
        if entry.date <= as_of:
            by_client[entry.client].append(entry)
    return by_client


def price_client(contract: Contract, entries: list[Entry], as_of: datetime.date) -> tuple[PricedClient, list]:
    """One client's entries (in pricing order) -> its statements and problems."""
    ledger = _Ledger()
    lines_by_period: dict[str, list[Line]] = defaultdict(list)
    requests, problems = [], []
    for entry in entries:
        if entry.kind == REQUEST:
            requests.append(entry)
            continue
        term = contract.term_on(entry.date)
        if term is None:
            problems.append(Diagnostic(entry.source, no_term_message(contract, entry.date), ERROR))
            continue
        period = periods.period_of(entry.date, contract.period)
        lines = price_entry(entry, term, contract, period, ledger)
        if entry.kind == TIME and (lines[0].logged_minutes if len(lines) == 1 else
                                   sum(line.logged_minutes for line in lines)) != entry.minutes:
            raise PricingError(f"{entry.source}: split lines do not add up to the logged time")
        for line in lines:
            if line.status == UNCOVERED:
                problems.append(Diagnostic(entry.source, uncovered_message(line, contract, term), WARNING))
        lines_by_period[period].extend(lines)
    fees_by_period: dict[str, list[Fee]] = defaultdict(list)
    for fee in contract_fees(contract, as_of):
        fees_by_period[periods.period_of(fee.date, contract.period)].append(fee)
    statements = [
        make_statement(contract, period, lines_by_period.get(period, []), fees_by_period.get(period, []), ledger,
                       as_of)
        for period in sorted(set(lines_by_period) | set(fees_by_period))
    ]
    return PricedClient(contract, tuple(statements), tuple(requests)), problems


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
    rates = dict(term.rates)
    for tag in tags:
        if tag in rates:
            return rates[tag]
    return term.rate


def surcharge_for(term: Term, tags: tuple[str, ...]) -> Decimal:
    """The sum of the term's surcharges for `tags` (fractions: 0.5 = +50 %); zero when none applies."""
    if not term.surcharge:
        return ZERO
    return sum((pct for tag, pct in term.surcharge if tag in tags), ZERO)


def billable_minutes(term: Term, logged: int) -> int:
    """max(logged, minimum), rounded up to the increment."""
    minutes = max(logged, term.minimum)
    increment = max(term.increment, 1)
    return -(-minutes // increment) * increment


def held_reason(entry: Entry, contract: Contract) -> str | None:
    """Why an entry waits for the client, or None.

    Held: a requester who is not one of the contract's contacts (when it lists any), unless the
    entry is approved; or work on a quote not approved yet.
    """
    handles = [handle for handle, _ in contract.contacts]
    if entry.by and handles and entry.by not in handles and not entry.approved:
        return f"requester '{entry.by}' is not an authorised contact"
    quote = entry_quote(entry, contract)
    if quote is not None and not quote.approved:
        return f"quote {quote.id} is not approved"
    return None


def no_charge_reason(entry: Entry, term: Term) -> str | None:
    """Why an entry is not charged, or None.

    The reason is its first no-charge tag (`warranty`, `goodwill` or one of the term's `no_charge`),
    else `free_under` for time shorter than the term's `free_under`, else `included` under a free term.
    """
    for tag in entry.tags:
        if tag in BUILT_IN_NO_CHARGE or tag in term.no_charge:
            return tag
    if entry.kind == TIME and entry.minutes < term.free_under:
        return "free_under"
    if term.kind == "free":
        return "included"
    return None


def entry_quote(entry: Entry, contract: Contract):
    """The contract's quote named by the first of the entry's tags that is one of its quote ids, or None."""
    for tag in entry.tags:
        quote = contract.quote(tag)
        if quote is not None:
            return quote
    return None


def price_entry(entry: Entry, term: Term, contract: Contract, period: str, ledger: _Ledger) -> list[Line]:
    """Status and money of one entry; several lines when coverage splits it."""
    currency = contract.currency
    if entry.kind == EXPENSE:
        rate, surcharge, billable = None, ZERO, 0
        value = round_money(entry.amount, currency)
    else:
        rate = rate_for(term, entry.tags)
        surcharge = surcharge_for(term, entry.tags)
        billable = billable_minutes(term, entry.minutes)
        value = time_value(billable, rate, surcharge, currency) if rate is not None else round_money(ZERO, currency)

    def whole(status: str, reason: str | None, amount: Decimal = ZERO) -> list[Line]:
        return [Line(entry, status, reason, entry.minutes, billable, rate, value,
                     round_money(amount, currency), surcharge=surcharge)]

    reason = held_reason(entry, contract)
    if reason:
        return whole(HELD, reason)
    reason = no_charge_reason(entry, term)
    if reason:
        return whole(NO_CHARGE, reason)
    quote = entry_quote(entry, contract)
    if quote is not None:
        ledger.quote_work.append((entry.date, quote.id, entry.minutes))
        return whole(QUOTE, None)
    if entry.kind == EXPENSE:
        return whole(BILLED, None, value)
    parts = cover_parts(entry, term, contract, period, billable, ledger)
    covered = sum(minutes for _, minutes in parts)
    rest = billable - covered
    lines = []
    logged_left = entry.minutes
    for index, (cover, minutes) in enumerate(parts):
        last = index == len(parts) - 1 and rest == 0
        logged = logged_left if last else min(logged_left, minutes)
        logged_left -= logged
        part_value = time_value(minutes, rate, surcharge, currency) if rate is not None else round_money(ZERO, currency)
        lines.append(Line(entry, COVERED, None, logged, minutes, rate, part_value, round_money(ZERO, currency), cover,
                          surcharge))
    if rest > 0 or not parts:
        rest_value = value if not parts else (
            time_value(rest, rate, surcharge, currency) if rate is not None else round_money(ZERO, currency))
        status = BILLED if rate is not None else UNCOVERED
        amount = rest_value if status == BILLED else ZERO
        lines.append(Line(entry, status, None, logged_left, rest, rate, rest_value, round_money(amount, currency),
                          surcharge=surcharge))
    return lines


def cover_parts(entry: Entry, term: Term, contract: Contract, period: str, billable: int,
                ledger: _Ledger) -> list[tuple[str, int]]:
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


def draw_order(blocks: tuple[PrepaidBlock, ...]) -> list[PrepaidBlock]:
    """Earliest expiry first (none last), then earliest bought, then file order."""
    indexed = list(enumerate(blocks))
    indexed.sort(key=lambda item: (item[1].expires is None, item[1].expires or datetime.date.max,
                                   item[1].bought, item[0]))
    return [block for _, block in indexed]


def draw_blocks(entry: Entry, blocks, billable: int, ledger: _Ledger) -> list[tuple[str, int]]:
    """Draw an entry's `billable` minutes from the blocks usable on its date, in `draw_order`: [(block id, minutes)].

    A block of hours gives what it has left, and the next block the rest. An incident pack takes the whole entry:
    free when one of the entry's `#ticket-…` tags already drew on it, else for one incident (its new tickets
    then belong to the pack). What no block can take is left out of the parts.
    """
    parts = []
    need = billable
    tickets = [tag for tag in entry.tags if tag.startswith(TICKET_PREFIX)]
    order = ledger.orders.get(id(blocks))
    if order is None:
        order = ledger.orders[id(blocks)] = draw_order(blocks)
    for block in order:
        if need <= 0:
            break
        if not block.usable(entry.date):
            continue
        used_minutes, used_incidents = ledger.block_used(block.id)
        if block.incidents is not None:
            known = [t for t in tickets if ledger.tickets.get(t) == block.id]
            if known:
                ledger.draw(entry.date, block.id, need, 0)
            elif used_incidents < block.incidents:
                ledger.draw(entry.date, block.id, need, 1)
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
        ledger.draw(entry.date, block.id, take, 0)
        parts.append((block.id, take))
        need -= take
    return parts


# --------------------------------------------------------------- periods


def contract_fees(contract: Contract, as_of: datetime.date) -> list[Fee]:
    """Retainer fees, prepaid block prices and quote prices, up to the as-of date."""
    fees = []
    for term in contract.terms:
        if term.kind != "retainer" or term.fee is None or term.start > as_of:
            continue
        # A term without `until` ends where the next term begins.
        later = [other.start for other in contract.terms if other.start > term.start]
        ends = [as_of] + ([term.until] if term.until else []) + (
            [min(later) - datetime.timedelta(days=1)] if later else [])
        last = min(ends)
        for period in periods.periods_between(term.start, last, contract.period):
            start, _ = periods.bounds(period)
            fees.append(Fee("retainer", "", term.label or "Support retainer", term.fee,
                            max(start, term.start), term.source))
    for block in contract.prepaid:
        if block.price is not None and block.bought <= as_of:
            size = (f"{block.incidents} incidents" if block.incidents is not None else
                    format_hours(block.minutes - block.bonus_minutes)
                    + (f" + {format_hours(block.bonus_minutes)} bonus" if block.bonus_minutes else ""))
            fees.append(Fee("prepaid", block.id, f"Prepaid block {block.id} ({size})", block.price,
                            block.bought, block.source))
    for quote in contract.quotes:
        if quote.price is not None and quote.invoice is not None and quote.invoice <= as_of:
            label = f"Quote {quote.id}" + (f": {quote.title}" if quote.title else "")
            fees.append(Fee("quote", quote.id, label, quote.price, quote.invoice, quote.source))
    fees.sort(key=lambda fee: (fee.date, fee.kind, fee.ref))
    return fees


def format_hours(minutes: int) -> str:
    """`20h`, `2h30m`, `0h45m`: a block's size in its fee label."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" + (f"{rest}m" if rest else "")


def make_statement(contract: Contract, period: str, lines: list[Line], fees: list[Fee],
                   ledger: _Ledger, as_of: datetime.date) -> Statement:
    """One period's statement: lines, fees, totals and minutes, and its blocks and quotes.

    Blocks are as at the period's end, or at `as_of` when that comes first; quotes as at its end.
    """
    start, end = periods.bounds(period)
    net, tax, total = totals(contract, lines, fees)
    return Statement(
        client=contract.id, period=period, start=start, end=end,
        lines=tuple(lines), fees=tuple(fees), net=net, tax=tax, total=total,
        minutes=count_minutes(lines),
        prepaid=tuple(block_states(contract, start, min(end, as_of), ledger)),
        quotes=tuple(quote_states(contract, start, end, ledger)),
    )


def totals(contract: Contract, lines, fees) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of lines and fees under the contract's tax: a statement's, an invoice's.

    Each line is rounded already; the sum is rounded once, and the tax is worked out on it, added
    to the net or taken out of a gross price (`prices_include_tax`).
    """
    currency = contract.currency
    gross = round_money(sum((line.amount for line in lines), ZERO) + sum((fee.amount for fee in fees), ZERO),
                        currency)
    if contract.prices_include_tax:
        net, tax = split_gross(gross, contract.tax, currency)
        return net, tax, gross
    tax, total = add_tax(gross, contract.tax, currency)
    return gross, tax, total


def count_minutes(lines: list[Line]) -> Minutes:
    """Logged minutes of the time lines by status, and the billable minutes of the billed ones; expenses count none."""
    logged = {status: 0 for status in (BILLED, COVERED, NO_CHARGE, HELD, QUOTE, UNCOVERED)}
    billed = 0
    for line in lines:
        if line.entry.kind != TIME:
            continue
        logged[line.status] += line.logged_minutes
        if line.status == BILLED:
            billed += line.billed_minutes
    return Minutes(logged=sum(logged.values()), billed=billed, covered=logged[COVERED],
                   no_charge=logged[NO_CHARGE], held=logged[HELD], quote=logged[QUOTE],
                   uncovered=logged[UNCOVERED])


def block_states(contract: Contract, start: datetime.date, end: datetime.date, ledger: _Ledger) -> list[BlockState]:
    """Each block bought by `end` and not expired before `start`, as at the close of `end`.

    `end` is the period's last day, or the as-of date in a period still running: a
    block whose last day is still to come is not expired yet.
    """
    states = []
    order = ledger.orders.get(id(contract.prepaid))
    if order is None:
        order = ledger.orders[id(contract.prepaid)] = draw_order(contract.prepaid)
    for block in order:
        if block.bought > end or (block.expires is not None and block.expires < start):
            continue
        running = ledger.running.get(block.id)
        if running is None:
            used = used_incidents = 0
        elif ledger.in_order:
            drawn = bisect.bisect_right(running[0], end)
            used, used_incidents = (running[1][drawn - 1], running[2][drawn - 1]) if drawn else (0, 0)
        else:
            draws = [(m, i) for day, m, i in ledger.draws_by_block.get(block.id, ()) if day <= end]
            used = sum(m for m, _ in draws)
            used_incidents = sum(i for _, i in draws)
        expired = block.expires is not None and block.expires <= end
        if block.incidents is not None:
            left = block.incidents - used_incidents
            states.append(BlockState(block, used, 0, 0, used_incidents,
                                     0 if expired else left, left if expired else 0))
        else:
            left = block.minutes - used
            states.append(BlockState(block, used, 0 if expired else left, left if expired else 0))
    return states


def quote_states(contract: Contract, start: datetime.date, end: datetime.date,
                 ledger: _Ledger) -> list[QuoteState]:
    """Quotes with work or an approval by the period's end, not invoiced before its start."""
    states = []
    for quote in contract.quotes:
        if quote.invoice is not None and quote.invoice < start:
            continue
        work = [day for day, qid, _ in ledger.quote_work if qid == quote.id]
        if not (work and work[0] <= end) and not (quote.approved_on is not None and quote.approved_on <= end):
            continue
        used = sum(minutes for day, qid, minutes in ledger.quote_work if qid == quote.id and day <= end)
        states.append(QuoteState(quote, used))
    return states
