"""Exports for other tools: priced lines as CSV, issued invoices as plain-text-accounting journals.

`lines.csv` has one row per priced line and per fee of every statement, so that a
spreadsheet's sum of `amount` per client and period is the statement's sum
(its net, or its gross when prices include tax). `invoices.journal` (hledger)
and `invoices.beancount` (beancount) have one balanced transaction per record
of `issued.yaml`: the receivable for the total, income for the net and output
VAT (one account per rate) for the tax; credit notes carry negative figures, so
they reverse. The journals are made from the register only, never re-priced.

Payments received (payments/, as `checks.payments` lets them through, made on or before the
day priced) follow the invoices: one transaction per payment on its date, the bank account
(`assets:bank`, beancount `Assets:Bank`) debited with the amount and the client's receivable
credited, one posting per invoice it paid as `core.receivables` applied it (a payment naming
only a client pays the oldest invoices first) and one for what it paid beyond what was owed.
That excess stays on the receivable: the account's balance goes negative, a credit balance
in accounts receivable, as accountants keep a customer's prepayment until it is used (the
next invoice's posting uses it up). So each client's receivable balance is hourbook's
`outstanding` minus its `credit`. Books without payments export exactly as before.

Nothing here decides figures: it formats what pricing and the register hold.

What is exported is safe on its own, whatever the books and the register hold (the
loader refuses control characters in names, but an export does not count on it):
- In the journals no value can start a line, a posting or a directive: control
  characters and line separators in any text (names, numbers, periods, commits) are
  escaped as `\n`, `\x1b`, `\u2028`; beancount strings are quoted; account names and
  commodities keep only letters, digits, `-`, `_` and `.` (the rest becomes `-`).
- In lines.csv a text cell that starts with `=`, `+`, `-`, `@`, a tab, CR or LF gets
  a leading `'` (OWASP's advice against formula injection), so a spreadsheet shows it
  as text. The number columns (minutes, rate, value, amount) are left as they are:
  hourbook writes them from numbers, so a negative amount stays a number (`-30.00`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hourbook.core.money import format_money
from hourbook.core.records import PricedBooks
from hourbook.core.documents import INVOICE
from hourbook.core.documents import split_statement
from hourbook.core.coverage import covering_record
from hourbook.core.coverage import records_by_key
from hourbook.core.register import IssuedRecord
from hourbook.core.register import client_numbers
from hourbook.core.records import Payment
from hourbook.load.register import read_register
from hourbook.site.files import write_file_atomically

CSV_COLUMNS = ("client", "period", "date", "source", "kind", "status", "reason", "by", "worker", "tags",
               "logged_minutes", "billed_minutes", "rate", "value", "amount", "currency", "cover", "invoice",
               "description")
# Columns hourbook writes from numbers; every other column is text from the books.
NUMBER_COLUMNS = frozenset({"logged_minutes", "billed_minutes", "rate", "value", "amount"})
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})     # control characters, line and paragraph separators


def csv_cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text: a leading `'` when it starts like a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_row(values: list) -> list:
    """A row with its text cells neutralised (`csv_cell`); the number columns as they are."""
    return [value if column in NUMBER_COLUMNS else csv_cell(str(value)) for column, value in zip(CSV_COLUMNS, values)]


def one_line(text: str) -> str:
    """Text that stays on its line: control characters and line separators escaped (`\\n`, `\\x1b`)."""
    if text.isprintable():
        return text
    return "".join(repr(char)[1:-1] if unicodedata.category(char) in LINE_BREAKING else char for char in text)


def invoice_number(key_records: list[IssuedRecord], day) -> str:
    """The number of the invoice (of one client, period and kind) whose dates hold `day`; '' if none yet."""
    record = covering_record(key_records, day)
    return record.number if record is not None else ""


def lines_csv(priced: PricedBooks, records: list[IssuedRecord]) -> str:
    """Every priced line and fee as CSV rows; `invoice` names the issued invoice that holds it."""
    grouped = records_by_key(records)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for client in priced.clients:
        contract, currency = client.contract, client.contract.currency
        numbers = client_numbers(records, contract.id)
        for statement in client.statements:
            for doc in split_statement(statement, contract, numbers):
                key_records = grouped.get(doc.key, [])
                for line in doc.lines:
                    entry = line.entry
                    number = invoice_number(key_records, entry.date)
                    writer.writerow(csv_row([
                        contract.id, statement.period, entry.date.isoformat(), str(entry.source), entry.kind,
                        line.status, line.reason or "", entry.by, entry.worker, " ".join(entry.tags),
                        line.logged_minutes, line.billed_minutes,
                        "" if line.rate is None else format_money(line.rate, currency),
                        format_money(line.value, currency), format_money(line.amount, currency), currency,
                        line.cover or "", number, entry.description]))
                for fee in doc.fees:
                    number = invoice_number(key_records, fee.date)
                    writer.writerow(csv_row([
                        contract.id, statement.period, fee.date.isoformat(), str(fee.source), fee.kind, "fee",
                        "", "", "", "", 0, 0, "", format_money(fee.amount, currency),
                        format_money(fee.amount, currency), currency, fee.ref, number, fee.label]))
    return out.getvalue()


# ------------------------------------------------------------------ journals


def _rate_name(record: IssuedRecord) -> str:
    """The VAT rate of a record as an account name part: 21, 10.5 -> 10-5, 0."""
    return f"{record.rate.normalize():f}".replace(".", "-")


def account_part(text: str) -> str:
    """One part of an account name: letters, digits, `_`, `.` and `-` (anything else, `:` too, becomes `-`)."""
    return re.sub(r"[^\w.-]+", "-", text) or "-"


def journal_postings(record: IssuedRecord) -> list[tuple[str, Decimal]]:
    """(account path, amount): receivable = income + VAT, so the transaction balances."""
    client = account_part(record.client)
    postings = [(f"assets:receivable:{client}", record.total), (f"income:services:{client}", -record.net)]
    if record.tax != 0:
        postings.append((f"liabilities:vat:output:{account_part(_rate_name(record))}", -record.tax))
    return postings


def _description(record: IssuedRecord, names: dict[str, str]) -> str:
    what = "Invoice" if record.type == INVOICE else f"Corrective invoice (corrects {record.corrects})"
    return one_line(f"{what} {record.number}, {names.get(record.client, record.client)}, {record.period}")


def hledger_commodity(currency: str) -> str:
    """A commodity symbol hledger reads as one: letters as they are, anything else in double quotes."""
    if re.fullmatch(r"[^\W\d_]+", currency):
        return currency
    return '"' + re.sub(r"[^\w .-]+", "-", currency) + '"'


def hledger_journal(records: list[IssuedRecord], names: dict[str, str],
                    payments: list[PaymentEntry] | None = None) -> str:
    """The register as an hledger journal: declared accounts and commodities, one entry per record,
    then one per payment received (`payment_entries`)."""
    payments = payments or []
    out = ["; Issued invoices, exported by hourbook from issued.yaml. Do not edit: export again.", ""]
    accounts = sorted({account for record in records for account, _ in journal_postings(record)}
                      | {posting[0] for entry in payments for posting in payment_postings(entry)})
    out += [f"account {account}" for account in accounts]
    currencies = sorted({record.currency for record in records} | {entry.currency for entry in payments})
    out += [f"commodity 1000{'.' + '0' * _digits(records, c, payments) if _digits(records, c, payments) else ''} "
            f"{hledger_commodity(c)}" for c in currencies]
    out.append("")
    for record in records:
        note = _description(record, names).replace(";", ",")
        code = re.sub(r"[()]", "-", one_line(record.number))
        tags = ", ".join(f"{key}:{one_line(value)}" for key, value in (
            ("invoice", record.number), ("client", record.client), ("period", record.period),
            ("commit", record.commit[:12])))
        out.append(f"{record.issued.isoformat()} * ({code}) {note}  ; {tags}")
        for account, amount in journal_postings(record):
            out.append(f"    {account:<44}  {format_money(amount, record.currency):>14} "
                       f"{hledger_commodity(record.currency)}")
        out.append("")
    if payments:
        out += ["; Payments received, from payments/.", ""] + hledger_payments(payments, names)
    return "\n".join(out)


def _digits(records: list[IssuedRecord], currency: str, payments: list[PaymentEntry] = ()) -> int:
    amounts = [r.total for r in records if r.currency == currency] + \
              [e.payment.amount for e in payments if e.currency == currency]
    text = format_money(amounts[0], currency)
    return len(text.partition(".")[2])


def beancount_account(path: str) -> str:
    """`assets:receivable:sofia-dent` -> `Assets:Receivable:Sofia-dent` (each part capitalised;
    a part that would not start with a letter or digit gets an `X` in front)."""
    parts = []
    for part in path.split(":"):
        part = re.sub(r"[^A-Za-z0-9-]", "-", part)
        if not part[:1].isalnum():
            part = "X" + part
        parts.append(part[:1].upper() + part[1:])
    return ":".join(parts)


def beancount_currency(currency: str) -> str:
    """A currency beancount reads: capitals, digits and `'._-`, starting with a capital and not ending in
    punctuation (an ISO 4217 code is one as it is)."""
    text = re.sub(r"[^A-Z0-9'._-]", "-", currency.upper())[:22]
    if not text[:1].isalpha():
        text = "X" + text
    return text if text[-1].isalnum() else text + "X"


def _quoted(text: str) -> str:
    """A beancount string: on one line, its backslashes and quotes escaped."""
    return '"' + one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_journal(records: list[IssuedRecord], names: dict[str, str],
                      payments: list[PaymentEntry] | None = None) -> str:
    """The register as a beancount ledger: accounts opened on the first invoice's date (or the first
    payment's), then one transaction per payment received (`payment_entries`)."""
    payments = payments or []
    out = ["; Issued invoices, exported by hourbook from issued.yaml. Do not edit: export again.",
           'option "title" "Issued invoices"', ""]
    first_use: dict[str, str] = {}
    for record in records:
        for account, _ in journal_postings(record):
            first_use.setdefault(beancount_account(account), record.issued.isoformat())
    for entry in payments:
        for account, _, _ in payment_postings(entry):
            name, day = beancount_account(account), entry.payment.date.isoformat()
            first_use[name] = min(first_use.get(name, day), day)
    currencies = sorted({record.currency for record in records} | {entry.currency for entry in payments})
    for account, day in sorted(first_use.items()):
        out.append(f"{day} open {account}")
    first_day = min(([records[0].issued.isoformat()] if records else [])
                    + [entry.payment.date.isoformat() for entry in payments], default="")
    for currency in sorted({beancount_currency(currency) for currency in currencies}):
        out.append(f"{first_day} commodity {currency}")
    out.append("")
    for record in records:
        out.append(f"{record.issued.isoformat()} * {_quoted(names.get(record.client, record.client))} "
                   f"{_quoted(_description(record, names))}")
        out.append(f"  invoice: {_quoted(record.number)}")
        out.append(f"  period: {_quoted(record.period)}")
        out.append(f"  commit: {_quoted(record.commit)}")
        for account, amount in journal_postings(record):
            out.append(f"  {beancount_account(account):<44}  {format_money(amount, record.currency):>14} "
                       f"{beancount_currency(record.currency)}")
        out.append("")
    if payments:
        out += ["; Payments received, from payments/.", ""] + beancount_payments(payments, names)
    return "\n".join(out)


# ------------------------------------------------------------------ payments

BANK = "assets:bank"


@dataclass(frozen=True)
class PaymentEntry:
    """One payment received, as the journals post it: to the invoices it paid, the rest a credit."""

    payment: Payment
    client: str
    currency: str
    parts: tuple[tuple[str, Decimal], ...]      # (invoice number, amount) paid on the payment's date
    credit: Decimal                             # what it paid beyond what was owed then


def payment_entries(priced: PricedBooks, records: list[IssuedRecord]) -> list[PaymentEntry]:
    """The payments the books apply (those `checks.payments` let through, made on or before the day
    priced: `Receivables.payments`), by date, each with the invoices `core.receivables` applied it to."""
    receivables = priced.receivables
    if receivables is None or not priced.books.payments:
        return []
    payments = receivables.payments
    client_of = {record.number: record.client for record in records}
    parts: dict[Payment, list[tuple[str, Decimal]]] = defaultdict(list)
    currencies = {}
    for client in receivables.clients:
        currencies[client.client] = client.currency
        for invoice in client.invoices:
            for applied in invoice.payments:
                if not applied.from_credit:
                    parts[applied.payment].append((invoice.record.number, applied.amount))
    entries = []
    for payment in sorted(payments, key=lambda payment: (payment.date, str(payment.source))):
        client = client_of.get(payment.invoice, payment.client) if payment.invoice else payment.client
        paid = tuple(parts.get(payment, ()))
        credit = payment.amount - sum((amount for _, amount in paid), Decimal(0))
        entries.append(PaymentEntry(payment, client, payment.currency or currencies.get(client, ""), paid, credit))
    return entries


def payment_postings(entry: PaymentEntry) -> list[tuple[str, Decimal, str]]:
    """(account path, amount, what it pays): the bank gets the amount, the receivable is cleared."""
    receivable = f"assets:receivable:{account_part(entry.client)}"
    postings = [(BANK, entry.payment.amount, "")]
    postings += [(receivable, -amount, number) for number, amount in entry.parts]
    if entry.credit > 0:
        postings.append((receivable, -entry.credit, ""))
    return postings


def _payment_description(entry: PaymentEntry, names: dict[str, str]) -> str:
    payment = entry.payment
    what = f"Payment {payment.ref}" if payment.ref else "Payment"
    paid = ", ".join(number for number, _ in entry.parts)
    return one_line(f"{what}, {names.get(entry.client, entry.client)}" + (f", pays {paid}" if paid else "")
                    + (f", {payment.method}" if payment.method else ""))


def hledger_payments(entries: list[PaymentEntry], names: dict[str, str]) -> list[str]:
    """The payments as hledger transactions: tags ref, method, client; each posting's invoice as a tag."""
    out = []
    for entry in entries:
        payment = entry.payment
        note = _payment_description(entry, names).replace(";", ",")
        tags = ", ".join(f"{key}:{one_line(value).replace(',', ' ')}" for key, value in (
            ("payment", payment.ref), ("method", payment.method), ("client", entry.client),
            ("source", str(payment.source))) if value)
        out.append(f"{payment.date.isoformat()} * {note}  ; {tags}")
        for account, amount, number in payment_postings(entry):
            comment = (f"  ; invoice:{one_line(number).replace(',', ' ')}" if number
                       else "  ; credit on account" if account != BANK else "")
            out.append(f"    {account:<44}  {format_money(amount, entry.currency):>14} "
                       f"{hledger_commodity(entry.currency)}{comment}")
        out.append("")
    return out


def beancount_payments(entries: list[PaymentEntry], names: dict[str, str]) -> list[str]:
    """The payments as beancount transactions: ref and method as metadata; each posting's invoice too."""
    out = []
    for entry in entries:
        payment = entry.payment
        out.append(f"{payment.date.isoformat()} * {_quoted(names.get(entry.client, entry.client))} "
                   f"{_quoted(_payment_description(entry, names))}")
        for key, value in (("ref", payment.ref), ("method", payment.method), ("source", str(payment.source))):
            if value:
                out.append(f"  {key}: {_quoted(value)}")
        for account, amount, number in payment_postings(entry):
            out.append(f"  {beancount_account(account):<44}  {format_money(amount, entry.currency):>14} "
                       f"{beancount_currency(entry.currency)}")
            if number:
                out.append(f"    invoice: {_quoted(number)}")
            elif account != BANK:
                out.append(f"    credit: {_quoted('on account')}")
        out.append("")
    return out


def register_totals(records: list[IssuedRecord]) -> dict[str, dict[str, Decimal]]:
    """currency -> {net, tax, total} summed over the register: what the journals must add up to."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for record in records:
        totals[record.currency]["net"] += record.net
        totals[record.currency]["tax"] += record.tax
        totals[record.currency]["total"] += record.total
    return {currency: dict(values) for currency, values in totals.items()}


def write_exports(priced: PricedBooks, root: Path, out: Path) -> list[Path]:
    """Write lines.csv, invoices.journal and invoices.beancount into `out`, each atomically.

    Returns:
        The paths written.
    """
    records, _, _ = read_register(root)
    names = {contract.id: contract.party.name for contract in priced.books.contracts}
    payments = payment_entries(priced, records)
    files = {
        "lines.csv": lines_csv(priced, records),
        "invoices.journal": hledger_journal(records, names, payments),
        "invoices.beancount": beancount_journal(records, names, payments),
    }
    written = []
    for name, text in files.items():
        write_file_atomically(out / name, text.encode("utf-8"))
        written.append(out / name)
    return written
