"""payments/**/*.yaml -> `Payment` records, each at its line; what a payment says on its own is checked here.

A payments file is a mapping with `payments:`, a list of `{date, amount, invoice | client,
method?, ref?, currency?}` (SPEC §8 "Receivables", docs/payments.md). hourbook only reads
these files: it never writes into payments/.

Checked here, at the field's line: an unknown field, a missing `date` or `amount`, neither
`invoice` nor `client`, a date or amount that cannot be read, an amount that is not more
than 0. What needs the register or the contracts (an unknown invoice or client, the
currency, a payment before its invoice, a duplicate bank reference) is
`hourbook.checks.payments`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hourbook.core.records import Payment
from hourbook.core.records import Source
from hourbook.load.fields import Field
from hourbook.load.fields import currency_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.files import load_yaml_file
from hourbook.load.files import readable_name
from hourbook.load.listing import relative
from hourbook.load.problems import Problems
from hourbook.load.scalars import described
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_money
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

PAYMENT_FIELDS = {
    "date": Field(parse_date, required=True),
    "amount": Field(parse_money, required=True),
    "invoice": Field(text_field),
    "client": Field(text_field),
    "method": Field(text_field),
    "ref": Field(text_field),
    "currency": Field(currency_field),
}


def load_payments(root: Path, paths: tuple[Path, ...], diags: Problems) -> list[Payment]:
    """Every payment of the files `paths` (payments/**/*.yaml), in path and line order.

    Args:
        root: the books folder.
        paths: the payments files (`listing.BooksFiles.payments`).
        diags: where the problems go; a payment with one is left out.
    """
    payments: list[Payment] = []
    for path in paths:
        rel = relative(root, path)
        if not readable_name(rel, diags):
            continue
        payments.extend(parse_payments(load_yaml_file(root, path, diags), rel, diags))
    return payments


def parse_payments(data, rel: str, diags: Problems) -> list[Payment]:
    """A payments file's YAML document -> its payments; a payment with a problem is reported and left out."""
    if data is None:
        return []
    if not isinstance(data, YMap) or set(data) != {"payments"}:
        line = getattr(data, "line", 1)
        if isinstance(data, YMap):
            other = next((key for key in data if key != "payments"), None)
            if other is not None:
                diags.error(rel, data.line_of(other), f"unknown field {other!r} in a payments file: it holds "
                            "only 'payments:', a list of payments")
                return []
        diags.error(rel, line, f"a payments file must be a mapping with 'payments:', a list of payments; got "
                    f"{yaml_kind(data)}")
        return []
    items = data["payments"]
    if items is None:
        return []
    if not isinstance(items, YList):
        diags.error(rel, data.line_of("payments"), "'payments' must be a list of payments, got "
                    + (f"a number ({items})" if isinstance(items, (int, Decimal)) else described(items)))
        return []
    payments = []
    for index, item in enumerate(items):
        payment = parse_payment(item, rel, items.line_of(index), diags)
        if payment is not None:
            payments.append(payment)
    return payments


def parse_payment(item, rel: str, line: int, diags: Problems) -> Payment | None:
    """One item of `payments:` -> Payment, or None when it has an error (reported at its line)."""
    before = len(diags)
    values = read_fields(item, PAYMENT_FIELDS, rel, line, "payment", diags)
    if values is None:
        return None
    if "invoice" not in item and "client" not in item:
        diags.error(rel, item.line, "a payment needs the 'invoice' it pays, or the 'client' who paid "
                    "(then it pays the client's oldest open invoices first)")
    amount = values.get("amount")
    if amount is not None and amount <= 0:
        diags.error(rel, item.line_of("amount"), f"a payment's amount must be more than 0, got {amount}: money paid "
                    "back to a client is a credit note, not a payment")
    if len(diags) > before:
        return None
    return Payment(date=values["date"], amount=amount, source=Source(rel, item.line),
                   invoice=values.get("invoice", "").strip(), client=values.get("client", "").strip(),
                   method=values.get("method", ""), ref=values.get("ref", "").strip(),
                   currency=values.get("currency", ""))
