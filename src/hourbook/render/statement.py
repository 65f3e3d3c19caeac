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
from dataclasses import field
from decimal import Decimal
from typing import Mapping

from babel.units import format_unit

from hourbook.core.incidents import IncidentUse
from hourbook.core.incidents import number_incidents
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
from hourbook.core.records import PricedClient
from hourbook.core.records import QuoteState
from hourbook.core.records import Source
from hourbook.core.records import Statement
from hourbook.core.records import Term
from hourbook.render.filters import babel_locale
from hourbook.render.filters import format_date
from hourbook.render.filters import format_hours
from hourbook.render.filters import format_money
from hourbook.render.filters import format_period
from hourbook.render.filters import describe_reason
from hourbook.render.filters import hours_of
from hourbook.render.filters import reason_tag
from hourbook.render.filters import translate
from hourbook.render.client_words import days_to_expiry
from hourbook.render.client_words import held_mailto
from hourbook.render.client_words import line_row
from hourbook.render.client_words import quote_mailto
from hourbook.render.client_words import incident_words
from hourbook.render.client_words import rate_words
from hourbook.render.client_words import shown_tags
from hourbook.render.client_words import surcharge_words
from hourbook.render.client_words import tag_name

RETAINER = "retainer"
DEFAULT_RETAINER_LABEL = "Support retainer"  # what pricing writes when a term has no label
ANNUAL_RETAINER_LABEL = "Annual support fee"  # ... and for an annual fee (`fee: {year: …}`)

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
    tags: tuple[str, ...] = ()      # the names of the tags the client may see (`show_tags`)
    surcharge_text: str = ""        # `urgent, +50 %`
    rate_text: str = ""             # `on-site rate`, when a per-tag rate priced the line


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
    def billed_minutes(self) -> int:
        """Minutes charged at a rate: the billed lines' hours (0 in every other group)."""
        return sum(shown.line.billed_minutes for shown in self.lines
                   if shown.line.status == BILLED and shown.line.entry.kind == TIME)

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
    expires_in: int | None = None   # days to its last day, when within 30 and something is left (flagged)

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
    quotes: tuple[QuoteState, ...] = ()     # the period's quotes, then quotes awaiting approval (latest only)

    @property
    def logged_minutes(self) -> int:
        """Logged minutes over the groups shown: the hours card's "worked"."""
        return sum(group.logged_minutes for group in self.groups)

    @property
    def billed_minutes(self) -> int:
        """Minutes charged at a rate over the groups shown: the hours card's "billed"."""
        return sum(group.billed_minutes for group in self.groups)

    @property
    def held(self) -> LineGroup | None:
        """The group of held lines, if any."""
        return next((group for group in self.groups if group.key == "held"), None)

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


def block_balance(state: BlockState, as_of: datetime.date, current: bool = True) -> Balance:
    """A block's state at the end of a period (or on the as-of date, in a running period).

    Args:
        current: the state is the block's latest (the client's last statement, or its index), so a
            block expiring within 30 days of `as_of` with something left is flagged.
    """
    block = state.block
    if block.incidents is not None:
        used, remaining, expired = state.used_incidents, state.remaining_incidents, state.expired_incidents
    else:
        used, remaining, expired = state.used_minutes, state.remaining_minutes, state.expired_minutes
    expires_in = days_to_expiry(block.expires, remaining, as_of) if current and not expired else None
    return Balance(state, used, remaining, expired, expires_in)


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


def line_note(line: Line, contract: Contract, messages: Mapping[str, str], locale: str = "en",
              incident: IncidentUse | None = None) -> str:
    """What covered the line (the incident of a pack it used), or why it is not charged or held;
    "" for billed lines. A no-charge tag is named as the client reads it."""
    if line.status == COVERED:
        if line.cover == RETAINER:
            return translate(messages, "cover_retainer")
        if incident is not None:
            return translate(messages, "cover_incident", id=line.cover or "", incident=incident_words(incident, messages))
        return translate(messages, "cover_block", id=line.cover or "")
    if line.status == QUOTE:
        return translate(messages, "cover_quote", id=line_quote_id(line, contract))
    if line.status in (NO_CHARGE, HELD):
        tag = reason_tag(line.reason)
        if tag is not None:
            return translate(messages, "reason_no_charge_tag", tag=tag_name(tag, contract, messages, locale))
        return describe_reason(line.reason, messages)
    return ""


def held_from_note(line: Line, messages: Mapping[str, str], locale: str) -> str:
    """`held from invoice 2026-0007 of 5 Nov 2026`: the invoice a late-approved line was held in."""
    held = line.held_from
    day = format_date(held.issued, locale, "medium")
    if not held.number:         # its period was issued while the client had nothing to invoice
        return translate(messages, "held_from_period", period=format_period(held.period, locale), date=day)
    return translate(messages, "held_from", number=held.number, date=day)


def group_lines(lines: tuple[Line, ...], contract: Contract, messages: Mapping[str, str], locale: str = "en",
                incidents: Mapping[tuple[Source, str], IncidentUse] | None = None) -> tuple[LineGroup, ...]:
    """The lines in GROUPS order, each group in date-then-source order; empty groups left out.

    Args:
        incidents: the incident each pack-covered line used (`core.incidents.number_incidents`).
    """
    sources = [line.entry.source for line in lines]
    split = {source for source in sources if sources.count(source) > 1}
    grouped: dict[str, list[ShownLine]] = {key: [] for key in GROUPS}
    incidents = incidents or {}
    for line in sorted(lines, key=lambda ln: (ln.entry.date, ln.entry.source)):
        entry = line.entry
        incident = incidents.get((entry.source, line.cover or ""))
        note = line_note(line, contract, messages, locale, incident)
        if line.held_from is not None:
            note = "; ".join(filter(None, (note, held_from_note(line, messages, locale))))
        shown = ShownLine(line, note,
                          requester_name(entry.by, contract) if entry.by else "",
                          entry.source in split, line.surcharge,
                          # the tag that is the line's no-charge reason is named in the reason already
                          shown_tags([tag for tag in entry.tags if tag != line.reason], contract, messages, locale),
                          surcharge_words(entry, contract, messages, locale) if line.surcharge else "",
                          rate_words(entry, contract, messages, locale))
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
    if fee.kind == RETAINER and fee.label == ANNUAL_RETAINER_LABEL:
        return translate(messages, "fee_retainer_year")
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


def pending_quotes(contract: Contract, listed: tuple[QuoteState, ...]) -> tuple[QuoteState, ...]:
    """`listed`, then the contract's quotes awaiting approval that `listed` does not have (no work yet)."""
    ids = {state.quote.id for state in listed}
    return listed + tuple(QuoteState(quote, 0) for quote in contract.quotes
                          if not quote.approved and quote.id not in ids)


def make_view(statement: Statement, contract: Contract, messages: Mapping[str, str], locale: str,
              as_of: datetime.date, *, latest: bool = True,
              incidents: Mapping[tuple[Source, str], IncidentUse] | None = None) -> StatementView:
    """Arrange a statement for its page.

    Args:
        latest: the client's last statement: its blocks are flagged when they expire soon, and
            quotes awaiting approval are listed even without work.
        incidents: the incident each pack-covered line used, over the client's history.
    """
    fees = tuple(ShownFee(fee_label(fee, contract, messages, locale), round_money(fee.amount, contract.currency), fee.date)
                 for fee in statement.fees)
    return StatementView(statement, contract, group_lines(statement.lines, contract, messages, locale, incidents), fees,
                         tuple(block_balance(state, as_of, latest) for state in statement.prepaid),
                         in_progress=as_of < statement.end, allowances=allowances(statement, contract, messages),
                         quotes=pending_quotes(contract, statement.quotes) if latest else statement.quotes)


@dataclass(frozen=True)
class ConfirmLinks:
    """The "confirm by e-mail" links of a page: one for its held lines, one per quote awaiting approval."""

    held: str = ""
    quotes: Mapping[str, str] = field(default_factory=dict)     # quote id -> mailto URL


def confirm_links(contract: Contract, view: StatementView | None, quotes: tuple[QuoteState, ...], address: str,
                  period: str, messages: Mapping[str, str], locale: str) -> ConfirmLinks:
    """Mailto links to the seller (`address`) in the client's language; none without an address.

    Args:
        view: the statement whose held lines the link names (None on the index: quotes only).
        quotes: the quotes shown; those not approved get a link.
        period: the period's name as the page shows it ("" on the index).
    """
    if not address:
        return ConfirmLinks()
    form, currency = contract.hours, contract.currency
    held = ""
    group = view.held if view is not None else None
    if group is not None:
        rows = [line_row(format_date(shown.line.entry.date, locale, "medium"),
                         shown.line.entry.description or translate(messages, "no_description"),
                         format_hours(shown.line.billed_minutes, locale, form) if shown.line.entry.kind == TIME else "",
                         format_money(shown.line.value, currency, locale))
                for shown in group.lines]
        held = held_mailto(address, contract.party.name, period, rows, messages)
    links = {}
    for state in quotes:
        quote = state.quote
        if quote.approved:
            continue
        price = format_money(quote.price, currency, locale) if quote.price is not None else ""
        estimate = format_hours(quote.estimate, locale, form) if quote.estimate else ""
        links[quote.id] = quote_mailto(address, contract.party.name, quote, price, estimate, messages)
    return ConfirmLinks(held, links)


def client_statement(client: PricedClient, statement: Statement, messages: Mapping[str, str], locale: str,
                     as_of: datetime.date, address: str) -> tuple[StatementView, ConfirmLinks]:
    """A statement's view and its mailto links (to `address`, the seller's), as the client's page shows them.

    The client's last statement flags blocks expiring soon and lists quotes awaiting approval;
    incidents are numbered over the client's whole history.
    """
    contract = client.contract
    latest = statement is max(client.statements, key=lambda s: s.start)
    incidents = number_incidents((line for s in client.statements for line in s.lines), contract)
    view = make_view(statement, contract, messages, locale, as_of, latest=latest, incidents=incidents)
    links = confirm_links(contract, view, view.quotes, address, format_period(statement.period, locale),
                          messages, locale)
    return view, links
