"""Plans, estimates and the alerts that matter to the owner: pure rules over priced clients. No I/O, no words.

Each rule returns `Alert` records (kind, client, figures); `render.dashboard` words them in the books'
language and links each to the client's report, and they serialise as they are (SPEC §9 "alerts").
The rules and their thresholds are docs/alerts.md; plans and estimates are docs/pricing.md
"Plans and estimates".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core import periods
from hourbook.core.money import ZERO
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import TIME
from hourbook.core.records import BlockState
from hourbook.core.records import Estimate
from hourbook.core.records import PricedClient
from hourbook.core.records import Statement

NEAR_SHARE = Decimal("0.8")             # a plan, an estimate: an alert from 80 % used
PAST_SHARE = Decimal(1)                 # ... and another from 100 %
EXPIRING_DAYS = 30                      # a block expiring within this many days with hours left
EXPIRED_DAYS = 90                       # a block that expired unused within this many days

RETAINER_LOSING = "retainer_losing"     # margin < 0 in the last two ended retainer periods
GIVEN_AWAY = "given_away"               # no-charge value / billed at or above hourbook.yaml's alerts.given_away
BLOCK_EXPIRING = "block_expiring"
BLOCK_EXPIRED = "block_expired"
QUOTE_PAST = "quote_past_estimate"      # work on a quote at or past its estimate
ESTIMATE_NEAR = "estimate_near"         # 80 % to under 100 % of an estimate
ESTIMATE_PAST = "estimate_past"         # 100 % or more
PLAN_NEAR = "plan_near"                 # the period in progress: 80 % to under 100 % of the planned hours
PLAN_PAST = "plan_past"
KINDS = (RETAINER_LOSING, GIVEN_AWAY, BLOCK_EXPIRING, BLOCK_EXPIRED, QUOTE_PAST, ESTIMATE_PAST, ESTIMATE_NEAR,
         PLAN_PAST, PLAN_NEAR)


@dataclass(frozen=True)
class Alert:
    """One thing that needs the owner: its kind (KINDS), the client, and the figures behind it.

    `ref` is the block, quote or estimate id ("" otherwise); `period` the period(s) concerned;
    minutes are logged minutes (or incidents for a pack, `incidents` True); `share` a fraction
    (0.8 = 80 %); amounts are in `currency`.
    """

    kind: str
    client: str
    ref: str = ""
    period: str = ""
    used: int = 0                       # minutes used (or incidents)
    limit: int = 0                      # minutes planned or estimated, or left in a block (or incidents)
    share: Decimal | None = None
    amounts: tuple[Decimal, ...] = ()   # RETAINER_LOSING: the two margins; GIVEN_AWAY: given away, billed
    currency: str = ""
    day: datetime.date | None = None    # a block's expiry day
    days: int | None = None             # days from the as-of date to `day` (negative: past)
    incidents: bool = False


@dataclass(frozen=True)
class PlanPeriod:
    """A retainer period with planned hours: the plan against the minutes worked under the retainer."""

    period: str
    planned: int                        # minutes
    actual: int                         # logged minutes of time worked while a retainer with a plan was in force

    @property
    def share(self) -> Decimal:
        """Actual / planned (1 = the plan reached)."""
        return Decimal(self.actual) / self.planned


@dataclass(frozen=True)
class EstimatePeriod:
    period: str
    minutes: int                        # logged that period under the estimate's tag
    total: int                          # logged up to the end of that period


@dataclass(frozen=True)
class EstimateState:
    """An estimate and the work logged under its tag up to the as-of date, by period (oldest first)."""

    estimate: Estimate
    used: int                           # minutes
    periods: tuple[EstimatePeriod, ...]

    @property
    def share(self) -> Decimal:
        """Used / estimated (1 = the estimate reached)."""
        return Decimal(self.used) / self.estimate.minutes


def upto(client: PricedClient, as_of: datetime.date) -> list[Statement]:
    """The client's statements that start by `as_of`, oldest first."""
    return sorted((s for s in client.statements if s.start <= as_of), key=lambda s: s.start)


def plan_periods(client: PricedClient, as_of: datetime.date) -> list[PlanPeriod]:
    """Per period (oldest first) whose retainer term states `planned:`, the plan and the time worked.

    The plan is that of the retainer in force at the period's end (or its start, the term having
    ended within it); the time is every time line's logged minutes whose date falls under a
    retainer with a plan, whatever its status (covered, billed, free or held) except work on a
    quote, which has its own price and estimate.
    """
    contract = client.contract
    rows = []
    for statement in plan_statements(client, as_of):
        term = contract.term_on(statement.end) or contract.term_on(statement.start)
        actual = 0
        for line in statement.lines:
            if line.entry.kind != TIME or line.status == QUOTE:
                continue
            under = contract.term_on(line.entry.date)
            if under is not None and under.kind == "retainer" and under.planned:
                actual += line.logged_minutes
        rows.append(PlanPeriod(statement.period, term.planned, actual))
    return rows


def estimate_states(client: PricedClient, as_of: datetime.date) -> list[EstimateState]:
    """Each of the contract's estimates (in contract order) with the time logged under its tag, by period.

    Every time line counts whatever its status (an estimate changes no price); a period appears
    when work under the estimate was logged in it.
    """
    states = []
    statements = upto(client, as_of)
    for estimate in client.contract.estimates:
        total, rows = 0, []
        for statement in statements:
            minutes = sum(line.logged_minutes for line in statement.lines
                          if line.entry.kind == TIME and estimate.tag in line.entry.tags)
            total += minutes
            if minutes:
                rows.append(EstimatePeriod(statement.period, minutes, total))
        states.append(EstimateState(estimate, total, tuple(rows)))
    return states


def share_kind(share: Decimal, near: str | None, past: str) -> str | None:
    """`past` from PAST_SHARE, `near` from NEAR_SHARE, else None."""
    if share >= PAST_SHARE:
        return past
    if share >= NEAR_SHARE:
        return near
    return None


def plan_alerts(client: PricedClient, as_of: datetime.date) -> list[Alert]:
    """The period in progress on `as_of` at 80 % (PLAN_NEAR) or 100 % (PLAN_PAST) of its plan, and the period
    just before it at 100 % (after its end, being near the plan is no news; going over it is)."""
    ends = [statement.end for statement in plan_statements(client, as_of)]
    rows = [(end <= as_of, row) for end, row in zip(ends, plan_periods(client, as_of))]
    alerts = []
    ended = [row for (done, row), end in zip(rows, ends) if done and just_before(row.period, end, as_of)][-1:]
    running = [row for done, row in rows if not done][-1:]
    for row, near in [(r, None) for r in ended] + [(r, PLAN_NEAR) for r in running]:
        kind = share_kind(row.share, near, PLAN_PAST)
        if kind is not None:
            alerts.append(Alert(kind, client.contract.id, period=row.period, used=row.actual, limit=row.planned,
                                share=row.share))
    return alerts


def just_before(period: str, end: datetime.date, as_of: datetime.date) -> bool:
    """Whether `period` (ending on `end`, by `as_of`) is the one just before the period holding `as_of`."""
    kind = periods.YEAR if "-" not in period else periods.QUARTER if "-Q" in period else periods.MONTH
    if end >= datetime.date.max:
        return False                            # the calendar's last period has none after it
    following = end + datetime.timedelta(days=1)
    return following <= as_of <= periods.bounds(periods.period_of(following, kind))[1]


def plan_statements(client: PricedClient, as_of: datetime.date) -> list[Statement]:
    """The statements `plan_periods` makes a row of, in the same order."""
    contract = client.contract
    found = []
    for statement in upto(client, as_of):
        term = contract.term_on(statement.end) or contract.term_on(statement.start)
        if term is not None and term.kind == "retainer" and term.planned:
            found.append(statement)
    return found


def estimate_alerts(client: PricedClient, as_of: datetime.date) -> list[Alert]:
    """Estimates at 80 % (ESTIMATE_NEAR) or 100 % (ESTIMATE_PAST) of their hours."""
    alerts = []
    for state in estimate_states(client, as_of):
        kind = share_kind(state.share, ESTIMATE_NEAR, ESTIMATE_PAST)
        if kind is not None:
            alerts.append(Alert(kind, client.contract.id, ref=state.estimate.id, used=state.used,
                                limit=state.estimate.minutes, share=state.share))
    return alerts


def latest_blocks(client: PricedClient, as_of: datetime.date) -> dict[str, BlockState]:
    """Each block's state in the latest statement (starting by `as_of`) that shows it."""
    blocks: dict[str, BlockState] = {}
    for statement in upto(client, as_of):
        blocks.update((state.block.id, state) for state in statement.prepaid)
    return blocks


def block_alerts(client: PricedClient, as_of: datetime.date) -> list[Alert]:
    """Blocks expiring within EXPIRING_DAYS with hours (or incidents) left, and blocks that expired with
    some unused within the last EXPIRED_DAYS (the expiry day itself still counts as usable)."""
    alerts = []
    for state in latest_blocks(client, as_of).values():
        block = state.block
        if block.expires is None:
            continue
        pack = block.incidents is not None
        days = (block.expires - as_of).days
        left = state.remaining_incidents if pack else state.remaining_minutes
        expired = state.expired_incidents if pack else state.expired_minutes
        if 0 <= days <= EXPIRING_DAYS and left > 0:
            alerts.append(Alert(BLOCK_EXPIRING, client.contract.id, ref=block.id, limit=left, day=block.expires,
                                days=days, incidents=pack))
        elif -EXPIRED_DAYS <= days < 0 and expired > 0:
            alerts.append(Alert(BLOCK_EXPIRED, client.contract.id, ref=block.id, limit=expired, day=block.expires,
                                days=days, incidents=pack))
    return alerts


def quote_alerts(client: PricedClient, as_of: datetime.date) -> list[Alert]:
    """Quotes with an estimate whose work has reached it (used >= estimate), as at `as_of`."""
    used: dict[str, int] = {}
    for statement in upto(client, as_of):
        used.update((state.quote.id, state.used_minutes) for state in statement.quotes)
    alerts = []
    for quote in client.contract.quotes:
        if quote.estimate and used.get(quote.id, 0) >= quote.estimate:
            alerts.append(Alert(QUOTE_PAST, client.contract.id, ref=quote.id, used=used[quote.id],
                                limit=quote.estimate, share=Decimal(used[quote.id]) / quote.estimate))
    return alerts


def given_away_alert(client: PricedClient, as_of: datetime.date, threshold: Decimal) -> list[Alert]:
    """A client whose no-charge work (its lines' value: goodwill, warranty, free time, free terms) is at least
    `threshold` of what it was billed (the statements' net), over every period up to `as_of`.

    Work given away to a client billed nothing is always an alert (share None).
    """
    given, billed = ZERO, ZERO
    for statement in upto(client, as_of):
        given += sum((line.value for line in statement.lines if line.status == NO_CHARGE), ZERO)
        billed += statement.net
    if given <= 0:
        return []
    share = given / billed if billed > 0 else None
    if share is not None and share < threshold:
        return []
    return [Alert(GIVEN_AWAY, client.contract.id, share=share, amounts=(given, billed),
                  currency=client.contract.currency)]


def losing_alert(client: str, margins: list[tuple[str, Decimal | None]], currency: str) -> list[Alert]:
    """A retainer that lost money in its last two ended periods running.

    `margins` are the client's ended retainer periods, oldest first, each with its margin as the
    dashboard computes it (None: no margin, e.g. another currency); the last two must follow each
    other (no period without a fee between them: the caller leaves such a gap as (period, None)).
    """
    if len(margins) < 2:
        return []
    (first, one), (second, two) = margins[-2], margins[-1]
    if one is None or two is None or one >= 0 or two >= 0:
        return []
    return [Alert(RETAINER_LOSING, client, period=f"{first} {second}", amounts=(one, two), currency=currency)]


def retainer_margins(rows: list[tuple[Statement, Decimal | None]], as_of: datetime.date
                     ) -> list[tuple[str, Decimal | None]]:
    """(statement, its margin as the dashboard computes it) -> what `losing_alert` takes: the ended periods,
    oldest first, each with its margin when a retainer fee was billed in it, else None; none at all when the
    last of them is not the period just before the one in progress (a client gone is no longer losing money)."""
    ended = sorted((pair for pair in rows if pair[0].end <= as_of), key=lambda pair: pair[0].start)
    if not ended:
        return []
    last = ended[-1][0]
    if not just_before(last.period, last.end, as_of):
        return []
    return [(statement.period, margin if any(fee.kind == "retainer" for fee in statement.fees) else None)
            for statement, margin in ended]


def client_alerts(client: PricedClient, as_of: datetime.date, given_away: Decimal,
                  margins: list[tuple[str, Decimal | None]] | None = None, cost_currency: str = "") -> list[Alert]:
    """Every alert of one client, in KINDS order. `margins`: see `losing_alert` (None: not checked)."""
    alerts = losing_alert(client.contract.id, margins, cost_currency) if margins else []
    alerts += given_away_alert(client, as_of, given_away)
    alerts += block_alerts(client, as_of)
    alerts += quote_alerts(client, as_of)
    alerts += estimate_alerts(client, as_of)
    alerts += plan_alerts(client, as_of)
    return sorted(alerts, key=lambda a: KINDS.index(a.kind))


def to_json(alert: Alert, message: str = "") -> dict:
    """An alert as SPEC §9 "alerts" gives it: kind, client, message, and its figures (amounts as strings)."""
    record: dict = {"kind": alert.kind, "client": alert.client, "message": message}
    if alert.ref:
        record["ref"] = alert.ref
    if alert.period:
        record["period"] = alert.period
    if alert.kind not in (RETAINER_LOSING, GIVEN_AWAY):
        record["incidents" if alert.incidents else "minutes"] = {"used": alert.used, "limit": alert.limit}
    if alert.share is not None:
        record["share"] = str(alert.share.quantize(Decimal("0.0001")))
    if alert.amounts:
        record["amounts"] = [str(amount) for amount in alert.amounts]
        record["currency"] = alert.currency
    if alert.day is not None:
        record["day"] = alert.day.isoformat()
        record["days"] = alert.days
    return record
