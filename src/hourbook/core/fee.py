"""The right fee for a client: the average cost of the work done for them, plus a markup, rounded up.

Over a window of the client's last `fee.window` ended periods (months, or quarters for quarterly
clients; fewer when the client's first time line is later), every time line counts, whatever its
status: billed, covered, free, goodwill, held. Each line costs its worker's `cost` per hour
(core.people.line_cost, in the owner's currency). Then:

    average minutes = all logged minutes / periods in the window, rounded half up to a minute
    cost per hour   = cost of those minutes × 60 / those minutes, rounded half up to the cent (minutes
                      whose worker has no cost are left out of this average)
    fee             = average minutes / 60 × cost per hour × (1 + markup), rounded UP to `round_to`

so the owner can redo it by hand from the figures shown beside it (docs/owner.md, "The right fee").
Pure: no formatting, no I/O.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING
from decimal import ROUND_HALF_UP
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.exchange import owner_currency
from hourbook.core.money import MINUTES_PER_HOUR
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.people import line_cost
from hourbook.core.records import TIME
from hourbook.core.records import Line
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings


@dataclass(frozen=True)
class SuggestedFee:
    """The suggested fee per period and every input to it, in the owner's `currency`."""

    amount: Decimal
    window: tuple[str, ...]             # the periods averaged, oldest first
    average_minutes: int
    cost_per_hour: Decimal
    markup: Decimal                     # 0.5 = 50 %
    round_to: Decimal
    currency: str
    cost_known: bool = True             # every line's worker had a cost

    @property
    def before_rounding(self) -> Decimal:
        """average minutes / 60 × cost per hour × (1 + markup), to the cent: the figure rounded up to `round_to`."""
        return round_money(Decimal(self.average_minutes) * self.cost_per_hour / MINUTES_PER_HOUR * (1 + self.markup),
                           self.currency)

    @property
    def window_periods(self) -> int:
        """How many periods the average is over."""
        return len(self.window)

    def record(self) -> dict:
        """The SPEC §9 record: {amount, window_periods, average_minutes, cost_per_hour, markup, round_to}."""
        return {"amount": str(self.amount), "window_periods": self.window_periods,
                "average_minutes": self.average_minutes, "cost_per_hour": str(self.cost_per_hour),
                "markup": percent_text(self.markup), "round_to": format(self.round_to.normalize(), "f")}


def percent_text(share: Decimal) -> str:
    """0.5 -> "50%", 0.375 -> "37.5%"."""
    text = format((share * 100).normalize(), "f")
    return f"{text}%"


def window(client: PricedClient, as_of: datetime.date, size: int) -> tuple[str, ...]:
    """The client's last `size` periods that ended by `as_of`, from its first time line on.

    Only the period in progress when no period has ended since the first line; () without time lines.
    """
    kind = client.contract.period
    days = [line.entry.date for line in time_lines(client) if line.entry.date <= as_of]
    if not days:
        return ()
    start, end = periods.bounds(periods.period_of(as_of, kind))
    last = as_of if end <= as_of else start - datetime.timedelta(days=1)
    first = min(days)
    if first > last:
        last = as_of
    return tuple(periods.periods_between(first, last, kind)[-size:])


def time_lines(client: PricedClient) -> list[Line]:
    """Every time line of the client, whatever its status."""
    return [line for statement in client.statements for line in statement.lines if line.entry.kind == TIME]


def window_lines(client: PricedClient, names: tuple[str, ...]) -> list[Line]:
    """The client's time lines dated in the periods `names` (by the entry's date: a line moved later counts
    where it was done)."""
    kind, wanted = client.contract.period, set(names)
    return [line for line in time_lines(client) if periods.period_of(line.entry.date, kind) in wanted]


def round_up(amount: Decimal, step: Decimal, currency: str) -> Decimal:
    """`amount` rounded up to a multiple of `step` (to the cent when `step` is 0)."""
    if step <= 0:
        return round_money(amount.quantize(Decimal("0.01"), ROUND_CEILING), currency)
    return round_money((amount / step).to_integral_value(ROUND_CEILING) * step, currency)


def markup_of(client: PricedClient, settings: Settings) -> Decimal:
    """The contract's `markup:`, else hourbook.yaml's `fee: {markup:}`."""
    return client.contract.markup if client.contract.markup is not None else settings.fee.markup


def suggested_fee(client: PricedClient, settings: Settings, as_of: datetime.date) -> SuggestedFee | None:
    """The fee that pays for the work done for the client, with its markup; None without logged time."""
    names = window(client, as_of, settings.fee.window)
    lines = window_lines(client, names)
    minutes = sum(line.logged_minutes for line in lines)
    if not names or not minutes:
        return None
    currency = owner_currency(settings)
    costs = [line_cost(line, settings) for line in lines]
    cost = sum((c for c in costs if c is not None), ZERO)
    costed = sum(line.logged_minutes for line, c in zip(lines, costs) if c is not None)
    # Minutes without a cost are left out of the cost per hour (the page says so), not counted as free.
    per_hour = round_money(cost * MINUTES_PER_HOUR / costed if costed else ZERO, currency)
    average = int((Decimal(minutes) / len(names)).to_integral_value(ROUND_HALF_UP))
    markup = markup_of(client, settings)
    exact = Decimal(average) * per_hour / MINUTES_PER_HOUR * (1 + markup)
    return SuggestedFee(round_up(exact, settings.fee.round_to, currency), names, average, per_hour, markup, settings.fee.round_to, currency,
                        all(c is not None for c in costs))
