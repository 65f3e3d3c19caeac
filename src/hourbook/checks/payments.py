"""Payments against the register and the contracts: what each payment may pay, each problem at its line.

`check_payments(books, records, as_of)` gives the payments that can be applied (each naming
its invoice exactly as the register numbers it) and the diagnostics of the others. What a
payment says on its own (fields, amount above 0) was checked when it was read
(`hourbook.load.payments`). Errors, as an accountant would have them, since a wrong one
would make a balance wrong (docs/payments.md):

- an unknown invoice or client; an invoice and a client that disagree; a credit note named
  as the invoice paid;
- a payment dated before the invoice it names was issued (a wrong date or number);
- a `currency` other than the invoice's (or, without one, the client's): hourbook converts none;
- an amount with more decimals than the currency has (`10.005` EUR);
- a bank `ref` that another payment has already: the same payment recorded twice.

A warning: a payment dated after the as-of date (it is not counted yet), as for entries.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from hourbook.core.money import minor_digits
from hourbook.core.records import ERROR
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import Payment
from hourbook.core.register import IssuedRecord
from hourbook.load.scalars import did_you_mean


def check_payments(books: Books, records: list[IssuedRecord],
                   as_of: datetime.date) -> tuple[list[Payment], list[Diagnostic]]:
    """The payments that can be applied, and what is wrong with the others.

    Args:
        books: the loaded books (their payments and contracts).
        records: the register's records.
        as_of: the day the books are priced on.

    Returns:
        (payments to apply, with `invoice` as the register numbers it; diagnostics).
    """
    by_number = {record.number.lower(): record for record in records}
    clients = {contract.id: contract.currency for contract in books.contracts}
    for record in records:
        clients.setdefault(record.client, record.currency)
    clients.update((client, "") for client in books.broken_clients if client not in clients)
    refs: dict[str, Payment] = {}
    good, problems = [], []
    for payment in books.payments:
        message, record = _problem(payment, by_number, clients)
        currency = record.currency if record is not None else clients.get(payment.client, "")
        if message is None and currency and payment.amount.as_tuple().exponent < -minor_digits(currency):
            message = (f"amount {payment.amount} has more decimals than {currency} has "
                       f"({minor_digits(currency)})")
        if message is None and payment.ref:
            first = refs.get(payment.ref.lower())
            if first is not None:
                message = (f"bank reference {payment.ref!r} is already the reference of the payment at "
                           f"{first.source}: the same payment recorded twice?")
            refs.setdefault(payment.ref.lower(), payment)
        if message is not None:
            problems.append(Diagnostic(payment.source, message, ERROR))
            continue
        if payment.date > as_of:
            problems.append(Diagnostic(payment.source, f"payment dated {payment.date}, after the as-of date "
                                       f"{as_of}: it is not counted yet", WARNING))
        good.append(replace(payment, invoice=record.number) if record is not None else payment)
    return good, problems


def _problem(payment: Payment, by_number: dict[str, IssuedRecord],
             clients: dict[str, str]) -> tuple[str | None, IssuedRecord | None]:
    """What is wrong with a payment against the register and the clients (None if nothing), and its invoice."""
    record = None
    if payment.invoice:
        record = by_number.get(payment.invoice.lower())
        if record is None:
            known = [found.number for found in by_number.values()]
            return f"unknown invoice {payment.invoice!r}{did_you_mean(payment.invoice, known)}: " \
                   "no issued invoice has this number (issued.yaml)", None
        if record.total < 0:
            return f"{record.number} is a credit note, which is not paid: name the invoice it corrects, " \
                   f"{record.corrects}", None
        if payment.client and payment.client != record.client:
            return f"invoice {record.number} is {record.client}'s, but the payment says client " \
                   f"{payment.client!r}", None
        if payment.date < record.issued:
            return f"payment dated {payment.date}, before invoice {record.number} was issued " \
                   f"({record.issued}): check the date or the invoice number", None
    elif payment.client not in clients:
        return f"unknown client {payment.client!r}{did_you_mean(payment.client, clients)}", None
    expected = record.currency if record is not None else clients.get(payment.client, "")
    if payment.currency and expected and payment.currency != expected:
        whose = f"invoice {record.number}" if record is not None else f"client {payment.client}"
        return f"payment in {payment.currency}, but {whose} is in {expected}: hourbook converts no " \
               "currency; record the amount received in " + expected, record
    return None, record
