"""Which scheme fits a client: what the window's work (core.fee.window) would have cost the client, and
earned the owner, under their contract and under each alternative the owner sells.

Every alternative is priced by the real pricing engine (`core.pricing.price_client`) on the client's own
entries of the window, with an alternative contract: the client's term in force at the window's end, its
rate, free rules, increments and surcharges kept, only its kind and fee changed, so there is one pricing
formula. What the client pays is the net billed over the window (lines and fees, in the owner's currency,
each converted on its date); the owner's margin is that minus the cost of the work, the same for every
scheme (core.people.line_cost, plus expenses at their amount).

- actual: the revenue the window earned under the contract in force (core.earned: blocks as used).
- hourly: every minute billed at the client's rate (no scheme without a rate in the contract).
- retainer: the suggested fee (core.fee) every period, covering all work.
- block-N: blocks of N hours at the client's rate (price N × rate), bought at the window's start, as
  many as the work needs; the hours left over stay the client's (`left_minutes`).
- incident-pack: hourbook.yaml's pack (incidents, price), as many as the work needs.
Pure: no formatting, no I/O.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.earned import earned_revenue
from hourbook.core.earned import net_of_tax
from hourbook.core.exchange import convert
from hourbook.core.exchange import rate_on
from hourbook.core.fee import SuggestedFee
from hourbook.core.fee import window_lines
from hourbook.core.money import MINUTES_PER_HOUR
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.people import line_cost
from hourbook.core.pricing import price_client
from hourbook.core.records import BILLED
from hourbook.core.records import EXPENSE
from hourbook.core.records import TIME
from hourbook.core.records import UNCOVERED
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import Term

ACTUAL = "actual"
HOURLY = "hourly"
RETAINER = "retainer"
INCIDENT_PACK = "incident-pack"
MAX_UNITS = 1000                        # blocks or packs tried at most
_SOURCE = Source("<schemes>", 0)


@dataclass(frozen=True)
class Scheme:
    """One way of charging the window's work, in the owner's currency."""

    scheme: str                         # actual | hourly | retainer | block-<hours> | incident-pack
    client_pays: Decimal
    owner_margin: Decimal
    units: int = 0                      # blocks or packs bought
    size: int = 0                       # a block's hours, a pack's incidents
    left_minutes: int = 0               # block hours left over at the window's end
    left_incidents: int = 0
    cheapest: bool = False              # the least the client pays
    best_margin: bool = False           # the most the owner keeps

    def record(self) -> dict:
        """The SPEC §9 record: {scheme, client_pays, owner_margin}."""
        return {"scheme": self.scheme, "client_pays": str(self.client_pays), "owner_margin": str(self.owner_margin)}


def window_entries(client: PricedClient, names: tuple[str, ...]) -> list[Entry]:
    """The client's time and expense entries dated in the periods `names`, in pricing order."""
    kind, wanted, seen = client.contract.period, set(names), {}
    for statement in client.statements:
        for line in statement.lines:
            if periods.period_of(line.entry.date, kind) in wanted:
                seen.setdefault(line.entry.source, line.entry)
    return sorted(seen.values(), key=lambda e: (e.date, e.source.path, e.source.line))


def client_rate(contract: Contract, day: datetime.date) -> Decimal | None:
    """The client's hourly rate: the term in force on `day`'s, else the latest term's that has one."""
    term = contract.term_on(day)
    if term is not None and term.rate is not None:
        return term.rate
    rated = sorted((t for t in contract.terms if t.rate is not None), key=lambda t: t.start)
    return rated[-1].rate if rated else None


def paid(client: PricedClient, settings: Settings) -> Decimal:
    """The net a priced client is billed, lines and fees, each net of tax (as core.earned counts it) and
    converted on its date."""
    contract, currency = client.contract, client.contract.currency
    total = ZERO
    for statement in client.statements:
        total += sum((convert(net_of_tax(contract, line.amount), currency, line.entry.date, settings)
                      for line in statement.lines), ZERO)
        total += sum((convert(net_of_tax(contract, fee.amount), currency, fee.date, settings)
                      for fee in statement.fees), ZERO)
    return total


def priced_under(contract: Contract, term: Term, blocks: tuple[PrepaidBlock, ...], entries: list[Entry],
                 start: datetime.date, end: datetime.date) -> PricedClient:
    """The entries priced under `contract` with only `term` and `blocks`, fees from `start` to `end`."""
    alternative = dataclasses.replace(contract, terms=(term,), prepaid=blocks)
    return price_client(alternative, entries, end, start)[0]


def short(priced: PricedClient) -> tuple[int, int]:
    """(minutes, lines) of time the blocks did not cover: billed at the rate or uncovered."""
    lines = [line for s in priced.statements for line in s.lines
             if line.entry.kind == TIME and line.status in (BILLED, UNCOVERED)]
    return sum(line.billed_minutes for line in lines), len(lines)


def with_units(contract: Contract, term: Term, entries: list[Entry], start: datetime.date, end: datetime.date,
               block_of, per_unit) -> tuple[PricedClient, int]:
    """Priced with as many blocks `block_of(n)` as the work needs (at most MAX_UNITS): (priced, how many).

    From one block, each round adds what the time left uncovered needs: `per_unit(minutes, lines)` more.
    """
    count = 1
    while True:
        priced = priced_under(contract, term, tuple(block_of(n) for n in range(count)), entries, start, end)
        minutes, lines = short(priced)
        if not lines or count >= MAX_UNITS:
            return priced, count
        count = min(MAX_UNITS, count + max(1, per_unit(minutes, lines)))


def left_over(priced: PricedClient) -> tuple[int, int]:
    """(minutes, incidents) the blocks still hold at the end."""
    states = {}
    for statement in priced.statements:
        states.update((state.block.id, state) for state in statement.prepaid)
    return (int(sum(s.remaining_minutes for s in states.values())), int(sum(s.remaining_incidents for s in states.values())))


def work_cost(client: PricedClient, names: tuple[str, ...], settings: Settings) -> Decimal:
    """The cost of the window's work: each time line at its worker's cost, expenses at their amount."""
    cost = sum((line_cost(line, settings) or ZERO for line in window_lines(client, names)), ZERO)
    for entry in window_entries(client, names):
        if entry.kind == EXPENSE:
            cost += convert(entry.amount or ZERO, settings.currency, entry.date, settings)
    return cost


def schemes(client: PricedClient, settings: Settings, as_of: datetime.date,
            fee: SuggestedFee | None) -> tuple[Scheme, ...]:
    """The window's work under each scheme, cheapest for the client and best margin marked; () without work."""
    if fee is None:
        return ()
    names, contract, currency = fee.window, client.contract, client.contract.currency
    start, end = periods.bounds(names[0])[0], min(periods.bounds(names[-1])[1], as_of)
    entries = window_entries(client, names)
    cost = work_cost(client, names, settings)
    earned = earned_revenue(client, as_of)
    actual = sum((convert(item.amount, currency, item.day, settings)
                  for name in names for item in earned.earned.get(name, ())), ZERO)
    rows = [(ACTUAL, actual, 0, 0, 0, 0)]
    base = contract.term_on(end) or sorted(contract.terms, key=lambda t: t.start)[-1]
    plain = dataclasses.replace(base, start=start, until=None, fee=None, covers=None, included=None, planned=None,
                                fee_per="", source=_SOURCE)
    rate = client_rate(contract, end)
    if rate is not None:
        plain = dataclasses.replace(plain, rate=rate)
        rows.append((HOURLY, paid(priced_under(contract, dataclasses.replace(plain, kind="hourly"), (), entries,
                                               start, end), settings), 0, 0, 0, 0))
    back, _ = rate_on(settings, currency, end)          # the suggested fee (net) in the client's currency,
    gross = 1 + contract.tax if contract.prices_include_tax else 1      # as its prices are written
    retainer = dataclasses.replace(plain, kind="retainer", fee=round_money(fee.amount / back * gross, currency))
    rows.append((RETAINER, paid(priced_under(contract, retainer, (), entries, start, end), settings), 0, 0, 0, 0))
    prepaid = dataclasses.replace(plain, kind="prepaid")
    for hours in settings.fee.blocks if rate is not None else ():
        price = round_money(rate * hours, currency)
        priced, count = with_units(contract, prepaid, entries, start, end, lambda n, h=hours, p=price: PrepaidBlock(
            f"alt-{h}h-{n + 1}", start, _SOURCE, minutes=h * MINUTES_PER_HOUR, price=p),
            lambda minutes, lines, h=hours: -(-minutes // (h * MINUTES_PER_HOUR)))
        rows.append((f"block-{hours}", paid(priced, settings), count, hours, *left_over(priced)))
    if settings.fee.incident_pack is not None:
        incidents, price = settings.fee.incident_pack
        priced, count = with_units(contract, prepaid, entries, start, end, lambda n: PrepaidBlock(
            f"alt-pack-{n + 1}", start, _SOURCE, incidents=incidents, price=price),
            lambda minutes, lines: -(-lines // incidents))
        rows.append((INCIDENT_PACK, paid(priced, settings), count, incidents, *left_over(priced)))
    low = min(pays for _, pays, *_ in rows)
    best = max(pays - cost for _, pays, *_ in rows)
    return tuple(Scheme(name, pays, pays - cost, units, size, minutes, incidents, pays == low, pays - cost == best)
                 for name, pays, units, size, minutes, incidents in rows)
