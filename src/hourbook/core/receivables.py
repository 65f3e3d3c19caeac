"""Who owes what: issued invoices and payments received -> each invoice's state as of a day. Pure.

`make_receivables(records, payments, due_days, as_of)` replays, day by day, the register's
invoices and credit notes and the payments (docs/payments.md):

- a payment that names an invoice pays that invoice; one that names only a client pays
  the client's oldest open invoices first (by issue date, then number);
- what a payment pays beyond what is owed is a credit on the client's account, and that
  credit pays the client's open invoices, oldest first, and each later invoice when issued;
- a credit note (a corrective invoice with a negative total) reduces what its corrected
  invoice owes; what it credits beyond that is a credit on the account too. A corrective
  invoice with a positive total is owed like an invoice.

Only invoices issued and payments made on or before `as_of` count. Payments that
`hourbook.checks.payments` finds wrong are not given to it: here every payment names a
known invoice or client in its currency. Money is Decimal; nothing is rounded here, since
every amount already is (register totals, payments in the currency's minor digits).

Conservation (tests/test_payments.py): per client, the payments applied to invoices plus the
credit left equal the payments received; no invoice's outstanding is ever negative.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from hourbook.core.documents import CREDIT
from hourbook.core.money import ZERO
from hourbook.core.records import Books
from hourbook.core.records import ClientId
from hourbook.core.records import Payment
from hourbook.core.register import IssuedRecord
from hourbook.core.register import client_due_days

OPEN = "open"
PART_PAID = "part_paid"
PAID = "paid"
OVERDUE = "overdue"
CREDITED = "credited"
STATES = (OPEN, PART_PAID, PAID, OVERDUE, CREDITED)


@dataclass(frozen=True)
class Applied:
    """A part of a payment that paid an invoice: on the payment's date, or later from the account's credit."""

    payment: Payment
    amount: Decimal
    date: datetime.date                         # when it paid this invoice (the payment's date, or the invoice's
                                                # issue date when it came from the credit on the account)
    from_credit: bool = False


@dataclass(frozen=True)
class InvoiceState:
    """One issued invoice or credit note as of a day."""

    record: IssuedRecord
    due: datetime.date
    credited: Decimal                           # what credit notes took off it
    paid: Decimal                               # what payments paid of it
    outstanding: Decimal                        # total - credited - paid; never negative
    state: str                                  # one of STATES
    days_overdue: int                           # as_of - due, for an overdue invoice; else 0
    payments: tuple[Applied, ...] = ()
    settled: datetime.date | None = None        # the day nothing was left to pay (paid or credited)


@dataclass(frozen=True)
class ClientReceivables:
    """A client's invoices as of a day, what it owes, and the credit on its account."""

    client: ClientId
    currency: str
    invoices: tuple[InvoiceState, ...]
    outstanding: Decimal
    credit: Decimal                             # paid or credited beyond what was owed, not used yet


@dataclass(frozen=True)
class Receivables:
    """Every client's receivables as of `as_of`; `shown` when the books have a register or payments."""

    as_of: datetime.date
    clients: tuple[ClientReceivables, ...] = ()
    shown: bool = False
    payments: tuple[Payment, ...] = ()          # the payments applied: found right, made on or before `as_of`

    def client(self, client: ClientId) -> ClientReceivables | None:
        """The receivables of `client`, or None when it has no invoice and no payment."""
        for found in self.clients:
            if found.client == client:
                return found
        return None

    def outstanding(self) -> dict[str, Decimal]:
        """What is owed in all, per currency, currencies in alphabetical order."""
        totals: dict[str, Decimal] = {}
        for client in self.clients:
            for invoice in client.invoices:
                currency = invoice.record.currency
                totals[currency] = totals.get(currency, ZERO) + invoice.outstanding
        return dict(sorted(totals.items()))


def due_date(record: IssuedRecord, due_days: int) -> datetime.date:
    """An invoice's due date: the one its register record keeps (what its PDF and its Factur-X XML say);
    for a record from before the register kept it, its issue date plus the days the client's invoices
    give now (the contract's `due_days`, else hourbook.yaml's `invoice.due_days`)."""
    if record.due is not None:
        return record.due
    return record.issued + datetime.timedelta(days=due_days)


def invoice_order(record: IssuedRecord) -> tuple:
    """Oldest first: by issue date, then number (the series' sequence before the text)."""
    return (record.issued, record.seq, record.number)


class _Account:
    """One client's invoices and credit while the days are replayed."""

    def __init__(self):
        self.owed: dict[str, Decimal] = {}      # number -> what is still owed
        self.records: list[IssuedRecord] = []
        self.credited: dict[str, Decimal] = {}
        self.applied: dict[str, list[Applied]] = {}
        self.settled: dict[str, datetime.date] = {}
        self.credit: list[list] = []            # [payment or None, amount left], first in, first used

    def open_numbers(self) -> list[str]:
        return [record.number for record in sorted(self.records, key=invoice_order) if self.owed[record.number] > 0]

    def pay(self, number: str, payment: Payment | None, amount: Decimal, day: datetime.date,
            from_credit: bool) -> Decimal:
        """Pay up to `amount` of invoice `number`; what was not needed."""
        part = min(amount, self.owed[number])
        if part <= 0:
            return amount
        self.owed[number] -= part
        if payment is None:
            self.credited[number] += part
        else:
            self.applied[number].append(Applied(payment, part, day, from_credit))
        if self.owed[number] == 0:
            self.settled[number] = day
        return amount - part

    def spend_credit(self, day: datetime.date) -> None:
        """The credit on the account pays the open invoices, oldest first."""
        for number in self.open_numbers():
            for item in self.credit:
                if item[1] > 0:
                    item[1] = self.pay(number, item[0], item[1], day, from_credit=True)
        self.credit = [item for item in self.credit if item[1] > 0]

    def receive(self, payment: Payment) -> None:
        """A payment: to its invoice, then to the oldest open ones, the rest a credit."""
        left = payment.amount
        if payment.invoice and payment.invoice in self.owed:
            left = self.pay(payment.invoice, payment, left, payment.date, from_credit=False)
        for number in self.open_numbers():
            if left <= 0:
                break
            left = self.pay(number, payment, left, payment.date, from_credit=False)
        if left > 0:
            self.credit.append([payment, left])

    def issue(self, record: IssuedRecord) -> None:
        """An invoice is owed from its issue date; a credit note takes its amount off the invoice it corrects."""
        if record.total < 0:
            self.records.append(record)
            self.owed[record.number] = ZERO
            self.credited[record.number] = ZERO
            self.applied[record.number] = []
            left = -record.total
            if record.corrects in self.owed:
                left = self.pay(record.corrects, None, left, record.issued, from_credit=False)
            if left > 0:
                self.credit.append([None, left])
        else:
            self.records.append(record)
            self.owed[record.number] = record.total
            self.credited[record.number] = ZERO
            self.applied[record.number] = []
            if record.total == 0:
                self.settled[record.number] = record.issued
        self.spend_credit(record.issued)


def make_receivables(records: list[IssuedRecord], payments: list[Payment], due_days: dict[ClientId, int],
                     as_of: datetime.date, currencies: dict[ClientId, str] | None = None) -> Receivables:
    """Every client's invoices and their state as of `as_of`.

    Args:
        records: the register's records (issued.yaml), in any order.
        payments: the payments `checks.payments` found right: each names an invoice of `records`
            (and then its client is that invoice's) or a client.
        due_days: per client, the days an invoice gives (its contract's, else hourbook.yaml's); 30 if absent.
        as_of: the day the states are of; later invoices and payments do not count.
        currencies: per client, the currency of a client with payments but no invoice.

    Returns:
        The receivables, clients in id order.
    """
    client_of = {record.number: record.client for record in records}
    events: list[tuple] = []
    for record in records:
        if record.issued <= as_of:
            events.append((record.issued, 0, invoice_order(record), record))
    for index, payment in enumerate(payments):
        if payment.date <= as_of:
            events.append((payment.date, 1, (payment.source, index), payment))
    events.sort(key=lambda event: event[:3])
    accounts: dict[ClientId, _Account] = {}
    for _, kind, _, what in events:
        if kind == 0:
            accounts.setdefault(what.client, _Account()).issue(what)
        else:
            client = client_of.get(what.invoice, what.client) if what.invoice else what.client
            accounts.setdefault(client, _Account()).receive(what)
    clients = []
    for client in sorted(accounts):
        account = accounts[client]
        invoices = tuple(invoice_state(record, account, due_days.get(client, 30), as_of)
                         for record in sorted(account.records, key=invoice_order))
        currency = invoices[0].record.currency if invoices else (currencies or {}).get(client, "")
        clients.append(ClientReceivables(
            client=client, currency=currency, invoices=invoices,
            outstanding=sum((invoice.outstanding for invoice in invoices), ZERO),
            credit=sum((item[1] for item in account.credit), ZERO)))
    return Receivables(as_of=as_of, clients=tuple(clients), shown=bool(records or payments),
                       payments=tuple(payment for payment in payments if payment.date <= as_of))


def invoice_state(record: IssuedRecord, account: _Account, due_days: int, as_of: datetime.date) -> InvoiceState:
    """One invoice's figures and state as the replay left them."""
    number = record.number
    due = due_date(record, due_days)
    applied = tuple(account.applied[number])
    paid = sum((part.amount for part in applied), ZERO)
    credited = account.credited[number]
    outstanding = account.owed[number]
    days = 0
    if record.total < 0 or (record.type == CREDIT and record.total == 0):
        state = CREDITED
    elif outstanding == 0:
        state = CREDITED if paid == 0 and credited > 0 else PAID
    elif as_of > due:
        state, days = OVERDUE, (as_of - due).days
    elif paid > 0 or credited > 0:
        state = PART_PAID
    else:
        state = OPEN
    return InvoiceState(record=record, due=due, credited=credited, paid=paid, outstanding=outstanding, state=state,
                        days_overdue=days, payments=applied, settled=account.settled.get(number))


def books_receivables(books: Books, records: list[IssuedRecord], payments: list[Payment],
                      as_of: datetime.date) -> Receivables:
    """`make_receivables` with each client's due days and currency from its contract (or hourbook.yaml).

    Args:
        books: the loaded books; records: the register; payments: those `checks.payments` let through.
        as_of: the day the states are of.
    """
    due_days = {contract.id: client_due_days(contract, books.settings) for contract in books.contracts}
    currencies = {contract.id: contract.currency for contract in books.contracts}
    return make_receivables(records, payments, due_days, as_of, currencies)
