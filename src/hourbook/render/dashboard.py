"""The owner's figures: what each client really brings in and costs, and what needs action.

From priced books this computes, per client and period and in total: hours by status, revenue (the
statements' net), the cost of the time spent (hours × the worker's cost per hour from hourbook.yaml),
margin and effective hourly rate; for retainers, the work done against the fee; the suggested fee and
the schemes compared (core.fee, core.schemes); and what needs the owner's attention (blocks running
low or expiring, quotes near their estimate, held lines, free lines an unauthorised contact asked for,
open requests, and core.alerts'). Pure: no formatting, no I/O.

Every amount is in the owner's currency (`owner_currency`, default `currency`), converted on its own
date with hourbook.yaml's `exchange_rates` (render.owner_money), and revenue is counted when it is earned
(core.earned: blocks as used, quotes as their work is done), with the cash billed beside it (docs/owner.md).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from hourbook.core import alerts as alert_rules
from hourbook.core import periods
from hourbook.core.fee import SuggestedFee
from hourbook.core.fee import suggested_fee
from hourbook.core.money import MINUTES_PER_HOUR
from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.pickling import pickled_as_values
from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import TIME
from hourbook.core.records import Contract
from hourbook.core.records import Minutes
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings
from hourbook.core.records import Statement
from hourbook.core.schemes import Scheme
from hourbook.core.schemes import schemes
from hourbook.render.attention import BlockAlert
from hourbook.render.attention import FreeHeldLine
from hourbook.render.attention import HeldLine
from hourbook.render.attention import OpenRequest
from hourbook.render.attention import QuoteAlert
from hourbook.render.attention import block_alerts
from hourbook.render.attention import free_held_lines
from hourbook.render.attention import held_lines
from hourbook.render.attention import open_requests
from hourbook.render.attention import quote_alerts
from hourbook.render.monthly import client_lines
from hourbook.render.monthly import first_date
from hourbook.render.monthly import minutes_by_month
from hourbook.render.owner_money import OwedRow
from hourbook.render.owner_money import PeriodMoney
from hourbook.render.owner_money import QuoteRow
from hourbook.render.owner_money import client_money
from hourbook.render.owner_money import period_money
from hourbook.render.owner_money import target_currency

SUGGESTION_PERIODS = 3                  # a retainer's shortfall averaged over this many last periods
TOP_TAGS = 5
# Tags that say nothing about why the client asked.
_NOISE_TAGS = frozenset({"approved"})
_NOISE_PREFIXES = ("ticket-",)


# --------------------------------------------------------------- figures


@pickled_as_values
@dataclass(frozen=True)
class Figures:
    """Hours and money of a period, a client or a currency's clients.

    Minutes are logged minutes by status, except `billed_minutes`: the billable minutes
    charged (after minimum and increment). `cost` is in `cost_currency`.
    """

    currency: str
    cost_currency: str
    logged: int = 0
    billed_minutes: int = 0
    billed: int = 0
    covered: int = 0
    quote: int = 0
    no_charge: int = 0
    held: int = 0
    uncovered: int = 0
    given_away: Decimal = ZERO          # value of no-charge lines
    held_value: Decimal = ZERO          # value of held lines, billable once confirmed
    revenue: Decimal = ZERO             # earned (core.earned); net of the statements in statement_figures
    cost: Decimal = ZERO
    cost_known: bool = True             # every hour had a cost per hour
    revenue_cash: Decimal = ZERO        # what was billed (the statements' net)
    expired: Decimal = ZERO             # the part of `revenue` from blocks that expired unused

    def __add__(self, other: Figures) -> Figures:
        if (self.currency, self.cost_currency) != (other.currency, other.cost_currency):
            raise ValueError(f"cannot add figures in {self.currency} and {other.currency}")
        return Figures(
            self.currency, self.cost_currency,
            self.logged + other.logged, self.billed_minutes + other.billed_minutes,
            self.billed + other.billed, self.covered + other.covered, self.quote + other.quote,
            self.no_charge + other.no_charge, self.held + other.held, self.uncovered + other.uncovered,
            self.given_away + other.given_away, self.held_value + other.held_value,
            self.revenue + other.revenue, self.cost + other.cost, self.cost_known and other.cost_known,
            self.revenue_cash + other.revenue_cash, self.expired + other.expired)

    @property
    def margin(self) -> Decimal | None:
        """Revenue − cost; None when they are in different currencies."""
        if self.currency != self.cost_currency:
            return None
        return self.revenue - self.cost

    @property
    def margin_share(self) -> Decimal | None:
        """Margin as a share of revenue (0.25 = 25 %); None without a margin or without revenue."""
        margin = self.margin
        if margin is None or not self.revenue:
            return None
        return margin / self.revenue

    @property
    def rate(self) -> Decimal | None:
        """Effective hourly rate: revenue per logged hour; None without logged time."""
        if not self.logged:
            return None
        return round_money(self.revenue * MINUTES_PER_HOUR / self.logged, self.currency)


def owner_figures(statement: Statement, money: PeriodMoney, currency: str) -> Figures:
    """A statement's minutes with its money in the owner's `currency` (render.owner_money)."""
    minutes = statement.minutes
    return Figures(
        currency=currency, cost_currency=currency,
        logged=minutes.logged, billed_minutes=minutes.billed,
        billed=minutes.logged - minutes.covered - minutes.no_charge - minutes.held - minutes.quote - minutes.uncovered,
        covered=minutes.covered, quote=minutes.quote, no_charge=minutes.no_charge, held=minutes.held,
        uncovered=minutes.uncovered, given_away=money.given_away, held_value=money.held_value,
        revenue=money.revenue, cost=money.cost, cost_known=money.cost_known,
        revenue_cash=money.revenue_cash, expired=money.expired)


def total_figures(figures: list[Figures], currency: str, cost_currency: str) -> Figures:
    """The sum of `figures`, all in `currency` and costed in `cost_currency`; zeros for none."""
    total = Figures(currency, cost_currency)
    for item in figures:
        total = total + item
    return total


# --------------------------------------------------------------- retainers


@dataclass(frozen=True)
class RetainerPeriod:
    """A retainer period: the fee against the work done at the client's rate."""

    period: str
    fee: Decimal
    work_value: Decimal                 # value of covered + billed time lines
    billed: Decimal                     # amounts billed on top of the fee

    @property
    def shortfall(self) -> Decimal:
        """How much more the work was worth than the client paid (negative: paid more)."""
        return self.work_value - self.fee - self.billed


@dataclass(frozen=True)
class RetainerReport:
    fee: Decimal                        # the latest period's fee
    periods: tuple[RetainerPeriod, ...]  # newest first
    basis: tuple[str, ...]              # the periods the averages come from
    average_shortfall: Decimal


def retainer_report(client: PricedClient, as_of: datetime.date) -> RetainerReport | None:
    """The work done against the fee in every retainer period; None for other clients.

    An annual fee (`fee: {year: …}`) on shorter statements is one row: its period's work and that
    of the periods after it, up to the day before its next anniversary.

    The shortfall is averaged over the last SUGGESTION_PERIODS periods ended by `as_of` (the period in
    progress when none has); the fee to charge is core.fee's, for every client.
    """
    currency = client.contract.currency
    rows = []
    year_ends: datetime.date | None = None      # an annual fee's year: its later periods' work counts against it
    for statement in client.statements:
        fees = [f for f in statement.fees if f.kind == "retainer"]
        fee = sum((f.amount for f in fees), ZERO)
        work = [ln for ln in statement.lines if ln.entry.kind == TIME and ln.status in (COVERED, BILLED)]
        value = sum((ln.value for ln in work), ZERO)
        billed = sum((ln.amount for ln in work if ln.status == BILLED), ZERO)
        if not fee:
            if rows and year_ends is not None and statement.end <= year_ends:
                last, row = rows[-1]
                rows[-1] = (last, RetainerPeriod(row.period, row.fee, row.work_value + value, row.billed + billed))
            continue
        term = client.contract.term_on(fees[0].date)
        year_ends = (annual_end(fees[0].date) if term is not None and term.fee_per == "year" and
                     periods.bounds(statement.period)[1] < annual_end(fees[0].date) else None)
        rows.append((statement, RetainerPeriod(statement.period, fee, value, billed)))
    if not rows:
        return None
    ended = [r for s, r in rows if s.end <= as_of] or [r for _, r in rows]
    basis = ended[-SUGGESTION_PERIODS:]
    count = Decimal(len(basis))
    return RetainerReport(
        fee=rows[-1][1].fee,
        periods=tuple(r for _, r in reversed(rows)),
        basis=tuple(r.period for r in basis),
        average_shortfall=round_money(sum((r.shortfall for r in basis), ZERO) / count, currency))


def annual_end(day: datetime.date) -> datetime.date:
    """The last day of the year that starts on `day` (an annual fee's): the day before its anniversary."""
    try:
        return day.replace(year=day.year + 1) - datetime.timedelta(days=1)
    except ValueError:              # 29 February
        return day.replace(year=day.year + 1, day=28) - datetime.timedelta(days=1)


def top_tags(client: PricedClient) -> list[tuple[str, int, int]]:
    """The tags clients ask for most: (tag, entries and requests, logged minutes), top TOP_TAGS.

    Quote ids, `#approved` and `#ticket-…` tags are left out: they say nothing about why.
    """
    counts: Counter[str] = Counter()
    minutes: Counter[str] = Counter()
    seen = set()
    for statement in client.statements:
        for line in statement.lines:
            entry = line.entry
            first = entry.source not in seen
            seen.add(entry.source)
            for tag in entry.tags:
                if tag in _NOISE_TAGS or tag.startswith(_NOISE_PREFIXES) or client.contract.quote(tag):
                    continue
                if first:
                    counts[tag] += 1
                if entry.kind == TIME:
                    minutes[tag] += line.logged_minutes
    for entry in client.requests:
        for tag in entry.tags:
            if tag not in _NOISE_TAGS and not tag.startswith(_NOISE_PREFIXES):
                counts[tag] += 1
    ranked = sorted(counts, key=lambda tag: (-counts[tag], -minutes[tag], tag))
    return [(tag, counts[tag], minutes[tag]) for tag in ranked[:TOP_TAGS]]


# --------------------------------------------------------------- the dashboard


@pickled_as_values
@dataclass(frozen=True)
class PeriodRow:
    """A statement's period and its figures for the owner: no reference to the statement itself, so
    that a report kept on disk is read back without the client's statements (`build.disk_cache`)."""

    period: str
    start: datetime.date
    figures: Figures


@dataclass(frozen=True)
class ClientReport:
    client: PricedClient
    rows: tuple[PeriodRow, ...]         # newest first
    total: Figures
    retainer: RetainerReport | None
    tags: tuple[tuple[str, int, int], ...]
    monthly: dict = field(default_factory=dict)     # month -> status -> logged minutes, up to the as-of date
    first_day: datetime.date | None = None          # of its first line up to the as-of date
    rates: tuple[tuple[datetime.date, float], ...] = ()   # effective rate by period start, for the chart
    owed: tuple[OwedRow, ...] = ()                  # blocks and packs still owing hours or incidents
    quote_rows: tuple[QuoteRow, ...] = ()           # fixed-price quotes: price against the cost of the work

    @property
    def owed_amount(self) -> Decimal:
        """What the client's blocks still owe, in the owner's currency."""
        return sum((row.amount for row in self.owed), ZERO)

    @property
    def owed_pairs(self) -> tuple[tuple[Contract, OwedRow], ...]:
        """(contract, row) for each block still owing: the shape of the owner's table of everyone's."""
        return tuple((self.contract, row) for row in self.owed)
    plans: tuple[alert_rules.PlanPeriod, ...] = ()          # planned vs worked, oldest first (core.alerts)
    estimates: tuple[alert_rules.EstimateState, ...] = ()
    alerts: tuple[alert_rules.Alert, ...] = ()
    fee: SuggestedFee | None = None                 # the right fee, its inputs beside it (core.fee)
    schemes: tuple[Scheme, ...] = ()                # the window's work under each scheme (core.schemes)
    # What the dashboard lists of every client, made here from the client's lines so that the dashboard
    # reads the reports only (a report kept on disk stands for its client's 200 statements).
    block_alerts: tuple[BlockAlert, ...] = ()
    quote_alerts: tuple[QuoteAlert, ...] = ()
    held: tuple[HeldLine, ...] = ()
    free_held: tuple[FreeHeldLine, ...] = ()

    @property
    def contract(self) -> Contract:
        """The client's contract."""
        return self.client.contract


@dataclass(frozen=True)
class Dashboard:
    as_of: datetime.date
    settings: Settings
    clients: tuple[ClientReport, ...]   # lowest margin first
    totals: tuple[Figures, ...]         # one, in the owner's currency
    blocks: tuple[BlockAlert, ...] = field(default=())
    quotes: tuple[QuoteAlert, ...] = field(default=())
    held: tuple[HeldLine, ...] = field(default=())
    free_held: tuple[FreeHeldLine, ...] = field(default=())
    requests: tuple[OpenRequest, ...] = field(default=())
    alerts: tuple[tuple[Contract, alert_rules.Alert], ...] = field(default=())   # with its client's contract

    @property
    def owed(self) -> tuple[tuple[Contract, OwedRow], ...]:
        """(contract, row) for every client's blocks still owing hours or incidents."""
        return tuple(pair for report in self.clients for pair in report.owed_pairs)

    @property
    def owed_totals(self) -> tuple[int, int, Decimal]:
        """(minutes, incidents, amount) all clients' blocks still owe, the amount in the owner's currency."""
        pairs = self.owed
        return (sum(row.minutes for _, row in pairs), sum(row.incidents for _, row in pairs),
                sum((row.amount for _, row in pairs), ZERO))


def client_report(client: PricedClient, settings: Settings, as_of: datetime.date) -> ClientReport:
    """One client's report: figures by period (newest first) and in total in the owner's currency, revenue
    counted when earned, what its blocks still owe, its quotes, the retainer report, top tags, and the chart
    data up to `as_of`."""
    currency = target_currency(settings)
    earned, owed, quote_rows = client_money(client, settings, as_of)
    statements = [s for s in client.statements if s.start <= as_of]
    shown = {s.period for s in statements}
    # A block can expire in a period with nothing else: an empty row shows what it earned then.
    statements += [empty_statement(client.contract.id, period) for period in earned.earned if period not in shown]
    statements.sort(key=lambda s: s.start)
    rows = [PeriodRow(s.period, s.start,
                      owner_figures(s, period_money(s, earned, client.contract.currency, settings), currency))
            for s in statements]
    total = total_figures([row.figures for row in rows], currency, currency)
    lines = client_lines(client, as_of)
    rates = tuple((row.start, float(row.figures.rate)) for row in rows
                  if row.figures.rate is not None and row.start <= as_of)
    margins = alert_rules.retainer_margins([(s, row.figures.margin) for s, row in zip(statements, rows)], as_of)
    alerts = alert_rules.client_alerts(client, as_of, settings.given_away_alert, margins, settings.currency)
    fee = suggested_fee(client, settings, as_of)
    return ClientReport(client, tuple(reversed(rows)), total, retainer_report(client, as_of), tuple(top_tags(client)),
                        minutes_by_month(lines), first_date(lines), rates, owed, quote_rows,
                        tuple(alert_rules.plan_periods(client, as_of)), tuple(alert_rules.estimate_states(client, as_of)),
                        tuple(alerts), fee, schemes(client, settings, as_of, fee),
                        tuple(block_alerts(client, as_of)), tuple(quote_alerts(client, as_of)),
                        tuple(held_lines(client)), tuple(free_held_lines(client)))


def empty_statement(client: str, period: str) -> Statement:
    """A statement with nothing in it, for a period that only earned (a block expiring)."""
    start, end = periods.bounds(period)
    return Statement(client, period, start, end, (), (), ZERO, ZERO, ZERO, Minutes())


def margin_order(report: ClientReport) -> tuple:
    """Clients that lose money first; clients without a margin (other currency) last."""
    margin = report.total.margin
    return (margin is None, margin if margin is not None else ZERO, report.contract.id)


def make_dashboard(priced: PricedBooks, report_of=client_report) -> Dashboard:
    """Every figure of the owner's dashboard.

    Args:
        report_of: `client_report`, or a stand-in that gives the same (watch mode keeps the
            reports of clients that did not change).
    """
    settings, as_of = priced.books.settings, priced.as_of
    in_order = [report_of(c, settings, as_of) for c in priced.clients]      # the clients' order: id
    reports = sorted(in_order, key=margin_order)
    currency = target_currency(settings)
    totals = (total_figures([r.total for r in reports], currency, currency),)
    return Dashboard(
        as_of=as_of, settings=settings, clients=tuple(reports), totals=totals,
        blocks=tuple(a for r in in_order for a in r.block_alerts),
        quotes=tuple(a for r in in_order for a in r.quote_alerts),
        held=tuple(sorted((h for r in in_order for h in r.held),
                          key=lambda h: (h.line.entry.date, h.line.entry.source))),
        free_held=tuple(sorted((h for r in in_order for h in r.free_held),
                               key=lambda h: (h.line.entry.date, h.line.entry.source))),
        requests=tuple(sorted((r for c in priced.clients for r in open_requests(c, as_of)),
                              key=lambda r: (-r.age_days, r.contract.id, r.entry.source))),
        alerts=tuple(sorted(((r.contract, a) for r in reports for a in r.alerts),
                            key=lambda item: (alert_rules.KINDS.index(item[1].kind), item[0].id, item[1].ref))))
