"""The owner's view of receivables as of a day: who owes what, how late, how fast clients pay. Pure.

`make_ageing(receivables)` reads `core.receivables.Receivables` (docs/payments.md, "The owner's
receivables") and arranges, per currency (EUR is never added to GBP):

- outstanding per client and in total;
- ageing buckets of the outstanding by days past due on `as_of`: not due yet (due today or
  later), 1-30, 31-60, 61-90, over 90 days; each open invoice is in exactly one bucket;
- the overdue invoices, most overdue first (then oldest due, then number), with days and amount;
- per client, the average days to pay: the mean, over the invoices paid in full by payments
  (state paid, not settled by credit notes alone), of settled date - issue date; and the mean
  days late over the same invoices: max(0, settled date - due date). None without such invoice;
- cash received per month: the payments applied (made on or before `as_of`) by their date's
  month and currency, beside revenue per month: the net (without tax) of the invoices issued
  that month, credit notes taking theirs off (the sales ledger books revenue on the invoice's
  date), and the invoiced totals with tax, which cash is to be compared with;
- credit balances per client (paid or credited beyond what was owed, not used yet).

The means are Decimal, rounded half up to one decimal.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal

from hourbook.core.money import ZERO
from hourbook.core.receivables import PAID
from hourbook.core.receivables import ClientReceivables
from hourbook.core.receivables import InvoiceState
from hourbook.core.receivables import Receivables
from hourbook.core.records import ClientId

NOT_DUE = "not_due"
BUCKETS = (NOT_DUE, "1_30", "31_60", "61_90", "over_90")
_TENTH = Decimal("0.1")


def bucket_of(days_past_due: int) -> str:
    """The ageing bucket of an amount `days_past_due` days after its due date (0 or less: not due yet)."""
    if days_past_due <= 0:
        return NOT_DUE
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "over_90"


@dataclass(frozen=True)
class Overdue:
    """An invoice past its due date with something still owed."""

    client: ClientId
    invoice: InvoiceState
    days: int                                   # as_of - due
    amount: Decimal                             # what is still owed of it


@dataclass(frozen=True)
class ClientAgeing:
    """One client's receivables as the owner reads them."""

    client: ClientId
    currency: str
    outstanding: Decimal
    buckets: dict[str, Decimal]                 # BUCKETS -> outstanding in it; every bucket present
    credit: Decimal
    overdue: Decimal                            # outstanding past due (every bucket but NOT_DUE)
    average_days_to_pay: Decimal | None         # mean of settled - issued over invoices paid in full
    average_days_late: Decimal | None           # mean of max(0, settled - due) over the same invoices
    paid_invoices: int                          # how many invoices those means are over
    receivables: ClientReceivables


@dataclass(frozen=True)
class CurrencyTotals:
    """Every client's receivables in one currency."""

    currency: str
    outstanding: Decimal
    buckets: dict[str, Decimal]
    credit: Decimal
    overdue: Decimal
    overdue_count: int


@dataclass(frozen=True)
class MonthCash:
    """One month in one currency: cash received beside revenue invoiced."""

    month: datetime.date                        # the month's first day
    currency: str
    cash: Decimal                               # payments dated in the month
    revenue: Decimal                            # net of the invoices (less credit notes) issued in the month
    invoiced: Decimal                           # the same with tax


@dataclass(frozen=True)
class Ageing:
    """The owner's receivables as of `as_of`."""

    as_of: datetime.date
    clients: tuple[ClientAgeing, ...]           # in client id order
    totals: tuple[CurrencyTotals, ...]          # in currency order
    overdue: tuple[Overdue, ...]                # most overdue first
    months: tuple[MonthCash, ...]               # by month, then currency
    shown: bool = False                         # the books have a register or payments

    def client(self, client: ClientId) -> ClientAgeing | None:
        """The figures of `client`, or None when it has no invoice and no payment."""
        return next((found for found in self.clients if found.client == client), None)


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _empty_buckets() -> dict[str, Decimal]:
    return {bucket: ZERO for bucket in BUCKETS}


def client_ageing(client: ClientReceivables, as_of: datetime.date) -> ClientAgeing:
    """One client's outstanding by bucket, credit and average days to pay, as of `as_of`."""
    buckets = _empty_buckets()
    to_pay: list[int] = []
    late: list[int] = []
    for invoice in client.invoices:
        if invoice.outstanding > 0:
            buckets[bucket_of((as_of - invoice.due).days)] += invoice.outstanding
        if invoice.state == PAID and invoice.paid > 0 and invoice.settled is not None:
            to_pay.append((invoice.settled - invoice.record.issued).days)
            late.append(max(0, (invoice.settled - invoice.due).days))
    return ClientAgeing(
        client=client.client, currency=client.currency, outstanding=client.outstanding, buckets=buckets,
        credit=client.credit, overdue=sum((buckets[b] for b in BUCKETS if b != NOT_DUE), ZERO),
        average_days_to_pay=_mean(to_pay), average_days_late=_mean(late), paid_invoices=len(to_pay),
        receivables=client)


def overdue_invoices(receivables: Receivables) -> tuple[Overdue, ...]:
    """Every invoice past due with something owed, most overdue first, then by due date and number."""
    found = [Overdue(client.client, invoice, (receivables.as_of - invoice.due).days, invoice.outstanding)
             for client in receivables.clients for invoice in client.invoices
             if invoice.outstanding > 0 and receivables.as_of > invoice.due]
    return tuple(sorted(found, key=lambda item: (-item.days, item.invoice.due, item.invoice.record.number)))


def cash_by_month(receivables: Receivables) -> tuple[MonthCash, ...]:
    """Payments received and invoices issued, per month and currency, oldest month first."""
    currency_of_invoice = {invoice.record.number: invoice.record.currency
                           for client in receivables.clients for invoice in client.invoices}
    client_of_invoice = {invoice.record.number: client.client
                         for client in receivables.clients for invoice in client.invoices}
    currency_of_client = {client.client: client.currency for client in receivables.clients}
    sums: dict[tuple[datetime.date, str], list[Decimal]] = {}
    for payment in receivables.payments:
        currency = (payment.currency or currency_of_invoice.get(payment.invoice)
                    or currency_of_client.get(client_of_invoice.get(payment.invoice, payment.client), ""))
        key = (payment.date.replace(day=1), currency)
        sums.setdefault(key, [ZERO, ZERO, ZERO])[0] += payment.amount
    for client in receivables.clients:
        for invoice in client.invoices:
            record = invoice.record
            figures = sums.setdefault((record.issued.replace(day=1), record.currency), [ZERO, ZERO, ZERO])
            figures[1] += record.net
            figures[2] += record.total
    return tuple(MonthCash(month, currency, *figures) for (month, currency), figures in sorted(sums.items()))


def currency_totals(clients: tuple[ClientAgeing, ...], overdue: tuple[Overdue, ...]) -> tuple[CurrencyTotals, ...]:
    """The clients' figures added up per currency, never across currencies."""
    currencies = sorted({client.currency for client in clients})
    totals = []
    for currency in currencies:
        mine = [client for client in clients if client.currency == currency]
        buckets = _empty_buckets()
        for client in mine:
            for bucket, amount in client.buckets.items():
                buckets[bucket] += amount
        totals.append(CurrencyTotals(
            currency=currency, outstanding=sum((client.outstanding for client in mine), ZERO), buckets=buckets,
            credit=sum((client.credit for client in mine), ZERO),
            overdue=sum((client.overdue for client in mine), ZERO),
            overdue_count=sum(1 for item in overdue if item.invoice.record.currency == currency)))
    return tuple(totals)


def make_ageing(receivables: Receivables | None, as_of: datetime.date) -> Ageing:
    """The owner's receivables from `receivables` (as of its own day); an empty one for None.

    Args:
        receivables: `PricedBooks.receivables`, or None when the books were priced without them.
        as_of: the day of an empty result, when `receivables` is None (else the receivables' own day).
    """
    if receivables is None:
        return Ageing(as_of=as_of, clients=(), totals=(), overdue=(), months=())
    clients = tuple(client_ageing(client, receivables.as_of) for client in receivables.clients)
    overdue = overdue_invoices(receivables)
    return Ageing(as_of=receivables.as_of, clients=clients, totals=currency_totals(clients, overdue),
                  overdue=overdue, months=cash_by_month(receivables), shown=receivables.shown)
