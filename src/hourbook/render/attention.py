"""What needs the owner's attention, client by client: blocks running low or expiring, quotes near
their estimate, held lines, free lines an unauthorised contact asked for, and open requests.

Each client's are made with its owner report (`dashboard.client_report`), which the dashboard
lists them from: a report kept on disk stands for the client's statements. Pure: no formatting, no I/O.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core.money import ZERO
from hourbook.core.pricing import held_reason
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import BlockState
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Line
from hourbook.core.records import PricedClient
from hourbook.core.records import QuoteState
from hourbook.render.statement import Balance
from hourbook.render.statement import block_balance

LOW_BLOCK_SHARE = Decimal("0.2")        # a block with less than this left is running low
EXPIRY_WARNING_DAYS = 30
QUOTE_WARNING_SHARE = Decimal("0.8")    # a quote past this share of its estimate


@dataclass(frozen=True)
class BlockAlert:
    contract: Contract
    balance: Balance
    left_share: Decimal                 # what is left of the block, 0..1
    days_left: int | None               # days from as-of to the expiry date
    low: bool
    expiring: bool


@dataclass(frozen=True)
class QuoteAlert:
    contract: Contract
    state: QuoteState
    used_share: Decimal


@dataclass(frozen=True)
class HeldLine:
    contract: Contract
    period: str
    line: Line


@dataclass(frozen=True)
class FreeHeldLine:
    """A no-charge line that would have been held: free whoever asked, but the owner still sees who."""

    contract: Contract
    period: str
    line: Line
    held_reason: str                    # why it would have been held (pricing.held_reason)


@dataclass(frozen=True)
class OpenRequest:
    contract: Contract
    entry: Entry
    age_days: int


def latest_states(client: PricedClient, as_of: datetime.date) -> tuple[dict[str, BlockState], dict[str, QuoteState]]:
    """Each block's and quote's state in the latest statement that shows it."""
    blocks: dict[str, BlockState] = {}
    quotes: dict[str, QuoteState] = {}
    for statement in sorted(client.statements, key=lambda s: s.start):
        if statement.start > as_of:
            continue
        blocks.update((state.block.id, state) for state in statement.prepaid)
        quotes.update((state.quote.id, state) for state in statement.quotes)
    return blocks, quotes


def block_alerts(client: PricedClient, as_of: datetime.date) -> list[BlockAlert]:
    """Blocks in use with less than LOW_BLOCK_SHARE left or expiring within EXPIRY_WARNING_DAYS."""
    alerts = []
    for state in latest_states(client, as_of)[0].values():
        block = state.block
        if block.expires is not None and block.expires < as_of:
            continue
        balance = block_balance(state, as_of)
        left = Decimal(balance.remaining) / balance.total if balance.total else ZERO
        days = (block.expires - as_of).days if block.expires is not None else None
        low = left < LOW_BLOCK_SHARE
        expiring = days is not None and days <= EXPIRY_WARNING_DAYS
        if low or expiring:
            alerts.append(BlockAlert(client.contract, balance, left, days, low, expiring))
    return alerts


def quote_alerts(client: PricedClient, as_of: datetime.date) -> list[QuoteAlert]:
    """Quotes past QUOTE_WARNING_SHARE of their estimate, not invoiced more than a month ago."""
    alerts = []
    for state in latest_states(client, as_of)[1].values():
        quote = state.quote
        if not quote.estimate:
            continue
        if quote.invoice is not None and (as_of - quote.invoice).days > EXPIRY_WARNING_DAYS:
            continue
        share = Decimal(state.used_minutes) / quote.estimate
        if share >= QUOTE_WARNING_SHARE:
            alerts.append(QuoteAlert(client.contract, state, share))
    return alerts


def held_lines(client: PricedClient) -> list[HeldLine]:
    """The client's held lines, each with its statement's period."""
    return [HeldLine(client.contract, statement.period, line)
            for statement in client.statements for line in statement.lines if line.status == HELD]


def free_held_lines(client: PricedClient) -> list[FreeHeldLine]:
    """The client's no-charge lines that would be held were they not free: an unauthorised requester
    (or an unapproved quote). No-charge wins over held (docs/pricing.md), so they are not in `held_lines`."""
    found = []
    for statement in client.statements:
        for line in statement.lines:
            if line.status != NO_CHARGE:
                continue
            reason = held_reason(line.entry, client.contract)
            if reason:
                found.append(FreeHeldLine(client.contract, statement.period, line, reason))
    return found


def open_requests(client: PricedClient, as_of: datetime.date) -> list[OpenRequest]:
    """The client's requests not done yet, with their age in days on `as_of`."""
    return [OpenRequest(client.contract, entry, (as_of - entry.date).days)
            for entry in client.requests if not entry.done]
