"""Which overdue invoices get a reminder as of a day, at which level, with what late-payment interest. Pure.

One reminder per overdue invoice (docs/reminders.md): its level by days overdue (`friendly`
from the first day, `second` and `final` from the contract's `ReminderRules`), and for a
business client with `late_interest` (EU Directive 2011/7/EU as the model):

    interest = sum over each day d after the due date up to as_of of
               outstanding(d) x (reference rate in force on d + points) / 365

where outstanding(d) is the invoice's total less what credit notes took off it and the
payments applied to it on or before d (a part payment lowers the principal from its date).
Exact Decimal each day, rounded half up to the currency's minor unit once per invoice. The
fixed compensation is per invoice, in the invoice's currency, when the books state one.
Neither is ever added to the invoice's total: they are separate lines of the letter.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core.money import ZERO
from hourbook.core.money import round_money
from hourbook.core.receivables import OVERDUE
from hourbook.core.receivables import InvoiceState
from hourbook.core.receivables import Receivables
from hourbook.core.records import Contract
from hourbook.core.records import LateInterest
from hourbook.core.records import ReminderRules

FRIENDLY = "friendly"
SECOND = "second"
FINAL = "final"
LEVELS = (FRIENDLY, SECOND, FINAL)
DAYS_A_YEAR = Decimal(365)


@dataclass(frozen=True)
class RatePart:
    """A run of days overdue at one annual rate and one outstanding amount (for the letter's interest line)."""

    start: datetime.date
    end: datetime.date
    days: int
    principal: Decimal
    rate: Decimal                               # annual fraction: reference + points


@dataclass(frozen=True)
class Reminder:
    """One overdue invoice to remind its client of."""

    contract: Contract
    invoice: InvoiceState
    level: str                                  # one of LEVELS
    interest: Decimal | None                    # None: no interest for this client
    parts: tuple[RatePart, ...] = ()
    compensation: Decimal | None = None         # None: none (consumer, interest off, or no amount stated)


def reminder_level(days_overdue: int, rules: ReminderRules) -> str:
    """`friendly` before `rules.second` days overdue, `second` before `rules.final`, then `final`."""
    if days_overdue >= rules.final:
        return FINAL
    if days_overdue >= rules.second:
        return SECOND
    return FRIENDLY


def outstanding_on(invoice: InvoiceState, day: datetime.date) -> Decimal:
    """What the invoice owed at the end of `day`: total, less credit notes and the payments applied by then."""
    paid = sum((part.amount for part in invoice.payments if part.date <= day), ZERO)
    return max(invoice.record.total - invoice.credited - paid, ZERO)


def interest_parts(invoice: InvoiceState, rule: LateInterest, as_of: datetime.date) -> tuple[RatePart, ...]:
    """The days from the day after the due date to `as_of`, in runs of one rate and one principal."""
    parts: list[RatePart] = []
    day = invoice.due + datetime.timedelta(days=1)
    while day <= as_of:
        principal = outstanding_on(invoice, day)
        rate = rule.rate_on(day)
        last = parts[-1] if parts else None
        if last and last.principal == principal and last.rate == rate and last.end + datetime.timedelta(days=1) == day:
            parts[-1] = RatePart(last.start, day, last.days + 1, principal, rate)
        elif principal > 0:
            parts.append(RatePart(day, day, 1, principal, rate))
        if day >= datetime.date.max:
            break                               # the calendar ends here
        day += datetime.timedelta(days=1)
    return tuple(part for part in parts if part.principal > 0)


def late_interest(invoice: InvoiceState, rule: LateInterest, as_of: datetime.date) -> Decimal:
    """The interest to `as_of`, to the day: each day's outstanding x annual rate / 365, summed exactly,
    rounded half up to the currency's minor unit once."""
    total = sum((part.principal * part.rate * part.days / DAYS_A_YEAR
                 for part in interest_parts(invoice, rule, as_of)), ZERO)
    return round_money(total, invoice.record.currency)


def make_reminders(receivables: Receivables, contracts: dict[str, Contract]) -> list[Reminder]:
    """Every overdue invoice as of `receivables.as_of`, with its level and interest.

    Args:
        receivables: the books' receivables (`PricedBooks.receivables`).
        contracts: by client id; a client without a contract gets no reminder.

    Returns:
        The reminders, by client id, then oldest invoice first.
    """
    reminders = []
    for client in receivables.clients:
        contract = contracts.get(client.client)
        if contract is None:
            continue
        for invoice in client.invoices:
            if invoice.state != OVERDUE or invoice.outstanding <= 0:
                continue
            rule = contract.late_interest
            interest = parts = compensation = None
            if rule is not None:
                parts = interest_parts(invoice, rule, receivables.as_of)
                interest = late_interest(invoice, rule, receivables.as_of)
                compensation = rule.compensation_in(invoice.record.currency)
                if compensation is not None:
                    compensation = round_money(compensation, invoice.record.currency)
            reminders.append(Reminder(contract=contract, invoice=invoice,
                                      level=reminder_level(invoice.days_overdue, contract.reminders),
                                      interest=interest, parts=parts or (), compensation=compensation))
    return reminders
