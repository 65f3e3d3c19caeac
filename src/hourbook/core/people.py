"""Who did the work: each worker's hours, cost, billed value and no-charge value, per client and period.

A worker is a time entry's `worker:` (a member of hourbook.yaml's `team:`), or the owner ("" in the
entries, `OWNER` here) for lines without one. Every amount is in the owner's currency, converted on
the line's date (core.exchange). An hour costs the team member's `cost`, else hourbook.yaml's `cost`
(`worker_cost`): the margins, the verdict and the suggested fee all cost each line with it.

- minutes: logged minutes of every time line, whatever its status.
- paid minutes: logged minutes of lines the client pays for: billed, covered by a retainer, a block
  or a pack, or done for a fixed-price quote.
- billed value: the value of those lines at the client's rate (covered lines included).
- no-charge value: the value of the no-charge lines (free and goodwill work).
- utilisation: paid minutes / minutes (the billed share of logged time).
Pure: no formatting, no I/O.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.exchange import convert
from hourbook.core.exchange import owner_currency
from hourbook.core.money import MINUTES_PER_HOUR
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import TIME
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings

OWNER = "owner"                         # the worker id of lines logged without `worker:`
PAID = frozenset({BILLED, COVERED, QUOTE})


def worker_cost(worker: str, settings: Settings) -> Decimal | None:
    """What an hour of `worker` costs: the team member's `cost`, else the seller's."""
    for member in settings.team:
        if member.id == worker and member.cost is not None:
            return member.cost
    return settings.cost


def line_cost(line: Line, settings: Settings) -> Decimal | None:
    """The cost of a time line's logged minutes in the owner's currency (rounded half up in `currency`,
    then converted on its date); None when its worker has no cost."""
    return _cost(line.logged_minutes, worker_cost(line.entry.worker, settings), line.entry.date,
                 settings)


def _cost(minutes: int, per_hour: Decimal | None, day: datetime.date,
          settings: Settings) -> Decimal | None:
    """`minutes` at `per_hour` (in the books' currency), rounded half up, in the owner's currency on `day`."""
    if per_hour is None:
        return None
    amount = round_money(Decimal(minutes) * per_hour / MINUTES_PER_HOUR, settings.currency)
    return convert(amount, settings.currency, day, settings)


@dataclass(frozen=True)
class WorkerFigures:
    """One worker's time and money (in the owner's currency) over some lines."""

    minutes: int = 0
    paid_minutes: int = 0
    cost: Decimal = ZERO
    billed_value: Decimal = ZERO
    no_charge_value: Decimal = ZERO
    cost_known: bool = True

    def __add__(self, other: WorkerFigures) -> WorkerFigures:
        return WorkerFigures(self.minutes + other.minutes, self.paid_minutes + other.paid_minutes,
                             self.cost + other.cost, self.billed_value + other.billed_value,
                             self.no_charge_value + other.no_charge_value, self.cost_known and other.cost_known)

    @property
    def utilisation(self) -> Decimal | None:
        """Paid minutes / logged minutes, 0..1; None without logged time."""
        return Decimal(self.paid_minutes) / self.minutes if self.minutes else None


@dataclass(frozen=True)
class Worker:
    """A worker's totals, and the same per client and per period (the books' `period`), sorted."""

    id: str
    name: str
    total: WorkerFigures
    clients: tuple[tuple[str, WorkerFigures], ...]
    periods: tuple[tuple[str, WorkerFigures], ...]

    def record(self, currency: str) -> dict:
        """The SPEC §9 record: {id, minutes, cost, billed_value, no_charge_value, utilisation}."""
        share = self.total.utilisation
        return {"id": self.id, "minutes": self.total.minutes, "cost": str(round_money(self.total.cost, currency)),
                "billed_value": str(round_money(self.total.billed_value, currency)),
                "no_charge_value": str(round_money(self.total.no_charge_value, currency)),
                "utilisation": None if share is None else str(share.quantize(Decimal("0.01")))}


def workers(priced: PricedBooks, as_of: datetime.date | None = None, sums_of=None) -> tuple[Worker, ...]:
    """Every worker who logged time up to `as_of` (default the books' as-of date), most minutes first.

    The sum of the workers' minutes is every logged minute of every client (a property test checks it).
    Each client's sums (`client_sums`; `sums_of(client)` stands in for it, `build` keeping them on
    disk) are added up: every amount in them is rounded to its currency's cents, so the order of the
    additions changes nothing.
    """
    settings = priced.books.settings
    as_of = as_of or priced.as_of
    sums: tuple[dict, dict, dict] = ({}, {}, {})     # totals by worker, by (worker, client), by (worker, period)
    for client in priced.clients:
        by_worker, by_period = sums_of(client) if sums_of is not None else client_sums(client, settings, as_of)
        cid = client.contract.id
        for into, cells in ((sums[0], by_worker.items()), (sums[2], by_period.items())):
            for key, cell in cells:
                total = into.get(key)
                if total is None:
                    into[key] = list(cell)
                else:
                    total[:5] = [a + b for a, b in zip(total[:5], cell[:5])]
                    total[5] = total[5] and cell[5]
        for who, cell in by_worker.items():
            sums[1][(who, cid)] = list(cell)
    totals, by_client, by_period = ({key: WorkerFigures(*cell) for key, cell in by.items()} for by in sums)
    names = {member.id: member.name for member in settings.team}
    result = []
    for who, total in totals.items():
        name = settings.seller.name if who == OWNER else names.get(who) or who
        result.append(Worker(who, name, total,
                             tuple(sorted(((c, f) for (w, c), f in by_client.items() if w == who),
                                          key=lambda item: (-item[1].minutes, item[0]))),
                             tuple(sorted(((p, f) for (w, p), f in by_period.items() if w == who), reverse=True))))
    return tuple(sorted(result, key=lambda w: (-w.total.minutes, w.id)))


def client_sums(client: PricedClient, settings: Settings, as_of: datetime.date) -> tuple[dict, dict]:
    """One client's time lines up to `as_of` summed by worker and by (worker, period): each a list of
    minutes, paid minutes, cost, billed value, no-charge value, and whether every hour had a cost."""
    # Sums are kept as lists while they grow, made records at the end (`workers`): a record per line
    # cost more than the rest of the page.
    by_worker: dict[str, list] = {}
    by_period: dict[tuple[str, str], list] = {}
    period_of: dict[datetime.date, str] = {}
    costs: dict[str, Decimal | None] = {}
    currency = client.contract.currency
    for statement in client.statements:
        for line in statement.lines:
            entry = line.entry
            if entry.kind != TIME or entry.date > as_of:
                continue
            period = period_of.get(entry.date)
            if period is None:
                period = period_of[entry.date] = periods.period_of(entry.date, settings.period)
            who = entry.worker or OWNER
            if entry.worker not in costs:
                costs[entry.worker] = worker_cost(entry.worker, settings)
            cost = _cost(line.logged_minutes, costs[entry.worker], entry.date, settings)
            value = convert(line.value, currency, entry.date, settings)
            paid = line.status in PAID
            for by, key in ((by_worker, who), (by_period, (who, period))):
                cell = by.get(key)
                if cell is None:
                    cell = by[key] = [0, 0, ZERO, ZERO, ZERO, True]
                cell[0] += line.logged_minutes
                if paid:
                    cell[1] += line.logged_minutes
                    cell[3] += value
                elif line.status == NO_CHARGE:
                    cell[4] += value
                if cost is None:
                    cell[5] = False
                else:
                    cell[2] += cost
    return by_worker, by_period


def owner_currency_of(priced: PricedBooks) -> str:
    """The owner's currency of the books (re-exported for the people page)."""
    return owner_currency(priced.books.settings)
