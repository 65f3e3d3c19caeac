"""A client statement arranged for reading: its lines in groups, its fees labelled.

Pricing gives a flat list of lines; a client reads them best grouped by what
happens to them: billed; covered by a retainer, a prepaid block or a quote; not
charged, with the reason; held until the client confirms; and work nothing could
be billed at. This module makes those groups and the translated labels that go
with them. It is pure: records and messages in, records out; `html.py` renders.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from babel.units import format_unit

from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import TIME
from hourbook.core.records import UNCOVERED
from hourbook.core.records import BlockState
from hourbook.core.records import Contract
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Statement
from hourbook.core.records import Term
from hourbook.render.filters import babel_locale
from hourbook.render.filters import describe_reason
from hourbook.render.filters import hours_of
from hourbook.render.filters import translate

RETAINER = "retainer"
DEFAULT_RETAINER_LABEL = "Support retainer"  # what pricing writes when a term has no label

# Groups in reading order, and the status each line's group comes from.
GROUPS = ("billed", "covered", "no-charge", "held", "uncovered")
GROUP_OF_STATUS = {BILLED: "billed", COVERED: "covered", QUOTE: "covered", NO_CHARGE: "no-charge",
                   HELD: "held", UNCOVERED: "uncovered"}


@dataclass(frozen=True)
class ShownLine:
    """A line as the statement shows it: the priced line plus its note (cover or reason)."""

    line: Line
    note: str
    requester: str          # the contact's name, or the handle when not a contact
    split: bool             # the entry also appears in another line (partly covered)
    surcharge: Decimal      # sum of the term's surcharges for the entry's tags (0.5 = +50 %)


@dataclass(frozen=True)
class LineGroup:
    """One group of a statement's lines, with its subtotals."""

    key: str                # billed | covered | no-charge | held | uncovered
    lines: tuple[ShownLine, ...]

    @property
    def minutes(self) -> int:
        """Billable minutes of the group (what the hours column adds up to)."""
        return sum(shown.line.billed_minutes for shown in self.lines)

    @property
    def logged_minutes(self) -> int:
        """Logged minutes of the group's time lines (expenses have none)."""
        return sum(shown.line.logged_minutes for shown in self.lines if shown.line.entry.kind == TIME)

    @property
    def value(self) -> Decimal:
        """What the group's lines are worth at their rates, charged or not."""
        return sum((shown.line.value for shown in self.lines), ZERO)

    @property
    def amount(self) -> Decimal:
        """What the group's lines charge."""
        return sum((shown.line.amount for shown in self.lines), ZERO)

    @property
    def shows_money(self) -> bool:
        """Uncovered work has no rate, so no value to show."""
        return self.key != "uncovered"

    @property
    def has_notes(self) -> bool:
        """Whether any line has a note (the group then shows a note column)."""
        return any(shown.note for shown in self.lines)


@dataclass(frozen=True)
class Balance:
    """A prepaid block as a reader sees it on a date: used, left, and lost to expiry.

    Counts are minutes, or incidents for an incident pack.
    """

    state: BlockState
    used: int
    remaining: int
    forfeited: int

    @property
    def block(self) -> PrepaidBlock:
        """The prepaid block."""
        return self.state.block

    @property
    def incidents(self) -> bool:
        """Whether the block is an incident pack: its counts are incidents, not minutes."""
        return self.state.block.incidents is not None

    @property
    def total(self) -> int:
        """The block's size: its incidents, or its minutes with the bonus."""
        block = self.state.block
        return block.incidents if block.incidents is not None else block.minutes


@dataclass(frozen=True)
class Allowance:
    """A retainer's included hours in one period: how much of them the period's work used."""

    label: str
    included: int           # minutes
    used: int               # minutes

    @property
    def remaining(self) -> int:
        """Included minutes the period's work has not used; never below zero."""
        return max(self.included - self.used, 0)


@dataclass(frozen=True)
class ShownFee:
    label: str
    amount: Decimal
    date: datetime.date


@dataclass(frozen=True)
class StatementView:
    """Everything a statement page shows, in the order it shows it."""

    statement: Statement
    contract: Contract
    groups: tuple[LineGroup, ...]
    fees: tuple[ShownFee, ...]
    blocks: tuple[Balance, ...]
    in_progress: bool       # the as-of date falls before the period's end
    allowances: tuple[Allowance, ...] = ()

    @property
    def work_amount(self) -> Decimal:
        """What the lines charge, fees left out."""
        return sum((group.amount for group in self.groups), ZERO)

    @property
    def fees_amount(self) -> Decimal:
        """What the fees charge."""
        return sum((fee.amount for fee in self.fees), ZERO)

    @property
    def empty(self) -> bool:
        """Whether the statement has no lines (fees only)."""
        return not self.statement.lines


def block_balance(state: BlockState, as_of: datetime.date) -> Balance:
    """A block's state at the end of a period (or on the as-of date, in a running period)."""
    block = state.block
    if block.incidents is not None:
        used, remaining, expired = state.used_incidents, state.remaining_incidents, state.expired_incidents
    else:
        used, remaining, expired = state.used_minutes, state.remaining_minutes, state.expired_minutes
    return Balance(state, used, remaining, expired)


def requester_name(handle: str, contract: Contract) -> str:
    """The contact's description from the contract (`Marta Sánchez (CTO)`), or the handle."""
    for known, description in contract.contacts:
        if known == handle:
            return description or handle
    return handle


def line_quote_id(line: Line, contract: Contract) -> str:
    """The id of the contract's quote that a tag of the line names; "" when none does."""
    for tag in line.entry.tags:
        quote = contract.quote(tag)
        if quote is not None:
            return quote.id
    return ""


def line_note(line: Line, contract: Contract, messages: Mapping[str, str]) -> str:
    """What covered the line, or why it is not charged or held; "" for billed lines."""
    if line.status == COVERED:
        if line.cover == RETAINER:
            return translate(messages, "cover_retainer")
        return translate(messages, "cover_block", id=line.cover or "")
    if line.status == QUOTE:
        return translate(messages, "cover_quote", id=line_quote_id(line, contract))
    if line.status in (NO_CHARGE, HELD):
        return describe_reason(line.reason, messages)
    return ""


def group_lines(lines: tuple[Line, ...], contract: Contract, messages: Mapping[str, str]) -> tuple[LineGroup, ...]:
    """The lines in GROUPS order, each group in date-then-source order; empty groups left out."""
    sources = [line.entry.source for line in lines]
    split = {source for source in sources if sources.count(source) > 1}
    grouped: dict[str, list[ShownLine]] = {key: [] for key in GROUPS}
    for line in sorted(lines, key=lambda ln: (ln.entry.date, ln.entry.source)):
        shown = ShownLine(line, line_note(line, contract, messages),
                          requester_name(line.entry.by, contract) if line.entry.by else "",
                          line.entry.source in split, line.surcharge)
        grouped[GROUP_OF_STATUS[line.status]].append(shown)
    return tuple(LineGroup(key, tuple(shown)) for key, shown in grouped.items() if shown)


def format_hours_unit(minutes: int, locale: str) -> str:
    """`20 h`, `20 Std.`, `1,5 ч`: hours with the unit, by Babel."""
    hours = hours_of(minutes)
    hours = hours.quantize(Decimal(1)) if hours == hours.to_integral_value() else hours.normalize()
    return format_unit(hours, "duration-hour", length="short", locale=babel_locale(locale))


def block_size(block: PrepaidBlock, messages: Mapping[str, str], locale: str) -> str:
    """`20 h + 1 h bonus`, or `10 incidents`."""
    if block.incidents is not None:
        return translate(messages, "incident_pack", count=block.incidents)
    bought = format_hours_unit(block.minutes - block.bonus_minutes, locale)
    if block.bonus_minutes:
        return translate(messages, "block_with_bonus", hours=bought,
                         bonus=format_hours_unit(block.bonus_minutes, locale))
    return bought


def fee_label(fee: Fee, contract: Contract, messages: Mapping[str, str], locale: str) -> str:
    """A fee in the statement's language; a retainer's own `label` is kept as written."""
    if fee.kind == RETAINER:
        return fee.label if fee.label and fee.label != DEFAULT_RETAINER_LABEL else translate(messages, "fee_retainer")
    if fee.kind == "prepaid":
        for block in contract.prepaid:
            if block.id == fee.ref:
                return translate(messages, "fee_prepaid", id=block.id, size=block_size(block, messages, locale))
    if fee.kind == "quote":
        for quote in contract.quotes:
            if quote.id == fee.ref:
                key = "fee_quote_titled" if quote.title else "fee_quote"
                return translate(messages, key, id=quote.id, title=quote.title)
    return fee.label


def term_label(term: Term, messages: Mapping[str, str]) -> str:
    """A retainer term's own `label`, or the translated word for a retainer."""
    return term.label if term.label and term.label != DEFAULT_RETAINER_LABEL else translate(messages, "fee_retainer")


def allowances(statement: Statement, contract: Contract, messages: Mapping[str, str]) -> tuple[Allowance, ...]:
    """The allowance of every capped retainer term in force in the period, with the time it covered.

    Pricing caps each term's covered time per period (`included`); a covered line is counted
    against the term in force on its entry's date.
    """
    shown = []
    for term in contract.terms:
        if term.kind != RETAINER or term.included is None:
            continue
        if term.start > statement.end or (term.until is not None and term.until < statement.start):
            continue
        used = sum(line.billed_minutes for line in statement.lines
                   if line.status == COVERED and line.cover == RETAINER and contract.term_on(line.entry.date) == term)
        shown.append(Allowance(term_label(term, messages), term.included, used))
    return tuple(shown)


def make_view(statement: Statement, contract: Contract, messages: Mapping[str, str], locale: str,
              as_of: datetime.date) -> StatementView:
    """Arrange a statement for its page."""
    fees = tuple(ShownFee(fee_label(fee, contract, messages, locale), round_money(fee.amount, contract.currency), fee.date)
                 for fee in statement.fees)
    return StatementView(statement, contract, group_lines(statement.lines, contract, messages), fees,
                         tuple(block_balance(state, as_of) for state in statement.prepaid),
                         in_progress=as_of < statement.end, allowances=allowances(statement, contract, messages))
