"""A bank statement export -> its credit lines (`core.matching.BankLine`), or located errors.

Two formats: ISO 20022 camt.053 XML (`BkToCstmrStmt`, any version camt.053.001.02 onwards;
tested with .02, .04 and .08), and CSV with a column mapping (`CsvColumns`, from the command's
flags). Only credits are read: camt entries with `CdtDbtInd` CRDT, booked (`Sts` BOOK) and not
reversals, and CSV rows with a positive amount. The statement is not part of the books:
nothing here reads the books, and nothing is written. Bad input is an error at its line (`statement.xml:12: error: …`).
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import stat
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path


from hourbook.core.matching import BankLine
from hourbook.core.money import minor_digits
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source

MAX_STATEMENT_BYTES = 64 * 1024 * 1024
CAMT_053 = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d\d)$")
AMOUNT = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
NOT_PROVIDED = "NOTPROVIDED"                    # what banks put in an EndToEndId the payer left empty


class StatementError(Exception):
    """A problem at a 1-based line of the statement."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class CsvColumns:
    """Which columns of a CSV export hold what: a header name, or a 1-based column number."""

    date: str = "Date"
    amount: str = "Amount"
    text: tuple[str, ...] = ("Description",)    # joined with a space: banks split remittance text
    ref: str = ""
    payer: str = ""
    currency: str = ""                          # a column; without one every row is in `default_currency`
    default_currency: str = "EUR"
    date_format: str = "%Y-%m-%d"
    decimal_comma: bool = False                 # 1.234,56 rather than 1,234.56
    delimiter: str = ""                         # "" : guessed from the header line (, ; or tab)
    encoding: str = "utf-8"


def read_statement(path: Path, label: str, columns: CsvColumns) -> tuple[list[BankLine], list[Diagnostic]]:
    """Read a statement file: camt.053 when it is XML, else CSV read by `columns`.

    Args:
        path: the file.
        label: the path as diagnostics show it.
        columns: the CSV mapping (unused for XML).

    Returns:
        (its credit lines, in the file's order; errors). With an error the lines are those read before it.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):      # a folder, or a FIFO that would block the read
            return [], [Diagnostic(Source(label, 1), "the statement is not a file: give the exported file", ERROR)]
        with open(path, "rb") as handle:
            data = handle.read(MAX_STATEMENT_BYTES + 1)
    except OSError as exc:
        return [], [Diagnostic(Source(label, 1), f"cannot read the statement: {exc.strerror or exc}", ERROR)]
    if len(data) > MAX_STATEMENT_BYTES:
        return [], [Diagnostic(Source(label, 1), f"the statement is over {MAX_STATEMENT_BYTES // 2**20} MB; "
                               "export a shorter date range", ERROR)]
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_camt(data, label)
    try:
        text = data.decode(columns.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: exc.start].count(b"\n") + 1 if isinstance(exc, UnicodeDecodeError) else 1
        return [], [Diagnostic(Source(label, line), f"the CSV is not {columns.encoding} text; "
                               "give its encoding with --encoding (e.g. cp1252)", ERROR)]
    return read_csv(text.removeprefix("\ufeff"), label, columns)


# ------------------------------------------------------------------ camt.053


def read_camt(data: bytes, label: str) -> tuple[list[BankLine], list[Diagnostic]]:
    """camt.053 XML -> credit lines: one per transaction (`TxDtls`) of each CRDT entry (`Ntry`).

    Returns:
        (lines, errors); an entry that cannot be read is an error at its line, and the others are read.
    """
    from lxml import etree  # deferred: lxml costs every command (`price`, `check`) 40 ms to import

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return [], [Diagnostic(Source(label, exc.lineno or 1), "not well-formed XML: " + re.sub(r", line \d+, column \d+$", "", exc.msg), ERROR)]
    namespace = etree.QName(root).namespace or ""
    if not CAMT_053.match(namespace) or etree.QName(root).localname != "Document":
        return [], [Diagnostic(Source(label, root.sourceline or 1), "not a camt.053 bank statement: expected "
                               "<Document> in urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN, got "
                               f"<{etree.QName(root).localname}>" + (f" in {namespace}" if namespace else ""),
                               ERROR)]
    ns = {"c": namespace}
    lines, problems = [], []
    for statement in root.iterfind("c:BkToCstmrStmt/c:Stmt", ns):
        account_currency = _text(statement, "c:Acct/c:Ccy", ns)
        for entry in statement.iterfind("c:Ntry", ns):
            try:
                lines.extend(_camt_entry(entry, ns, label, account_currency))
            except StatementError as exc:
                problems.append(Diagnostic(Source(label, exc.line), exc.message, ERROR))
    return lines, problems


def _text(element, path: str, ns: dict) -> str:
    """The stripped text at `path` under `element`, or ""."""
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _camt_entry(entry, ns: dict, label: str, account_currency: str) -> list[BankLine]:
    """One `Ntry`: nothing for a debit or a reversal, else one line per transaction."""
    line = entry.sourceline or 1
    indicator = _text(entry, "c:CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(line, f"entry's CdtDbtInd must be CRDT or DBIT, got {indicator!r}")
    status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)     # .08 wraps it in Cd
    if indicator == "DBIT" or _text(entry, "c:RvslInd", ns).lower() == "true" or status not in ("", "BOOK"):
        return []                               # money out, a returned payment, or not booked (PDNG, INFO)
    amount, currency = _camt_amount(entry.find("c:Amt", ns), line, account_currency)
    day = _camt_date(entry, ns, line)
    transactions = entry.findall("c:NtryDtls/c:TxDtls", ns)
    entry_ref = _text(entry, "c:AcctSvcrRef", ns) or _text(entry, "c:NtryRef", ns)
    if not transactions:
        return [BankLine(day, amount, currency, "", clean(entry_ref), "", Source(label, line))]
    result = []
    for index, tx in enumerate(transactions, 1):
        if _text(tx, "c:CdtDbtInd", ns) == "DBIT":
            continue
        tx_line = tx.sourceline or line
        tx_amount, tx_currency = amount, currency
        amount_element = tx.find("c:Amt", ns)
        if amount_element is None:
            amount_element = tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
        if len(transactions) > 1 or amount_element is not None:
            if amount_element is None:
                raise StatementError(tx_line, "a batch entry's transaction has no amount (Amt or AmtDtls/TxAmt/Amt)")
            tx_amount, tx_currency = _camt_amount(amount_element, tx_line, account_currency)
        texts = [element.text.strip() for element in tx.iterfind("c:RmtInf/c:Ustrd", ns) if element.text]
        texts += [element.text.strip() for element in tx.iterfind("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
                  if element.text]
        end_to_end = _text(tx, "c:Refs/c:EndToEndId", ns)
        ref = (_text(tx, "c:Refs/c:AcctSvcrRef", ns) or (entry_ref if len(transactions) == 1 else "")
               or (end_to_end if end_to_end != NOT_PROVIDED else "")
               or (f"{entry_ref}/{index}" if entry_ref else ""))
        payer = (_text(tx, "c:RltdPties/c:Dbtr/c:Nm", ns) or _text(tx, "c:RltdPties/c:Dbtr/c:Pty/c:Nm", ns)
                 or _text(tx, "c:RltdPties/c:UltmtDbtr/c:Nm", ns)
                 or _text(tx, "c:RltdPties/c:UltmtDbtr/c:Pty/c:Nm", ns))
        result.append(BankLine(day, tx_amount, tx_currency, clean(" ".join(texts)), clean(ref), clean(payer),
                               Source(label, tx_line)))
    return result


def _camt_amount(element, line: int, account_currency: str) -> tuple[Decimal, str]:
    """`<Amt Ccy="EUR">226.88</Amt>` -> (226.88, EUR)."""
    if element is None:
        raise StatementError(line, "entry has no amount (Amt)")
    text = (element.text or "").strip()
    if not AMOUNT.match(text):
        raise StatementError(element.sourceline or line, f"amount must be a number like 226.88, got {text!r}")
    currency = element.get("Ccy") or account_currency
    if not CURRENCY.match(currency or ""):
        raise StatementError(element.sourceline or line, f"amount's currency (Ccy) must be a code like EUR, "
                             f"got {currency!r}")
    return checked_digits(Decimal(text), currency, element.sourceline or line), currency


def checked_digits(amount: Decimal, currency: str, line: int) -> Decimal:
    """The amount, if it has no more decimals than the currency's minor unit (12.345 EUR is refused, not rounded)."""
    if -amount.as_tuple().exponent > minor_digits(currency) and amount != amount.quantize(
            Decimal(1).scaleb(-minor_digits(currency))):
        raise StatementError(line, f"amount {amount} has more decimals than {currency} has ({minor_digits(currency)})")
    return amount


def clean(text: str) -> str:
    """A field as one line: runs of white space (line breaks, tabs) one space, other control characters gone."""
    return " ".join("".join(char for char in text if char.isprintable() or char.isspace()).split())


def _camt_date(entry, ns: dict, line: int) -> datetime.date:
    """The booking date, else the value date (`Dt`, or the day of `DtTm`)."""
    for path in ("c:BookgDt/c:Dt", "c:BookgDt/c:DtTm", "c:ValDt/c:Dt", "c:ValDt/c:DtTm"):
        text = _text(entry, path, ns)
        if text:
            try:
                return datetime.date.fromisoformat(text[:10])
            except ValueError:
                raise StatementError(entry.find(path, ns).sourceline or line,
                                     f"date must be like 2026-11-10, got {text!r}") from None
    raise StatementError(line, "entry has no booking or value date (BookgDt, ValDt)")


# ------------------------------------------------------------------ CSV


def read_csv(text: str, label: str, columns: CsvColumns) -> tuple[list[BankLine], list[Diagnostic]]:
    """A CSV export with a header line -> credit lines (rows with a positive amount).

    Returns:
        (lines, errors): a row that cannot be read is an error at its line; the other rows are read.
    """
    if not text.strip():
        return [], [Diagnostic(Source(label, 1), "the CSV is empty: expected a header line, then one row "
                               "per bank line", ERROR)]
    delimiter = columns.delimiter or _guess_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        index = {name: _column(header, getattr(columns, name), name) for name in ("date", "amount")}
        index.update({name: _column(header, getattr(columns, name), name)
                      for name in ("ref", "payer", "currency") if getattr(columns, name)})
        texts = [_column(header, name, "text") for name in columns.text]
    except StatementError as exc:
        return [], [Diagnostic(Source(label, exc.line), exc.message, ERROR)]
    except csv.Error as exc:
        return [], [Diagnostic(Source(label, 1), f"cannot read the CSV: {exc}", ERROR)]
    lines, problems = [], []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Diagnostic(Source(label, line), f"cannot read the CSV: {exc}", ERROR))
            break
        if not any(cell.strip() for cell in row):
            continue
        try:
            found = _csv_row(row, index, texts, columns, line)
        except StatementError as exc:
            problems.append(Diagnostic(Source(label, exc.line), exc.message, ERROR))
            continue
        if found is not None:
            lines.append(BankLine(*found, Source(label, line)))
    return lines, problems


def _guess_delimiter(header: str) -> str:
    """The header's most frequent of `;`, tab and `,` (`,` when none)."""
    counts = {delimiter: header.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _column(header: list[str], name: str, what: str) -> int:
    """A column's index: by its header name (case and spaces aside), or by a 1-based number."""
    if name.isdigit() and 1 <= int(name) <= len(header):
        return int(name) - 1
    wanted = name.strip().casefold()
    for position, cell in enumerate(header):
        if cell.strip().casefold() == wanted:
            return position
    raise StatementError(1, f"no {what} column {name!r} in the CSV header; its columns are "
                         f"{', '.join(repr(cell) for cell in header)} (give --{what}-column NAME or NUMBER)")


def _csv_row(row: list[str], index: dict[str, int], texts: list[int], columns: CsvColumns,
             line: int) -> tuple | None:
    """(date, amount, currency, text, ref, payer) of a credit row; None for a debit or zero."""
    def cell(position: int) -> str:
        return row[position].strip() if position < len(row) else ""

    amount = parse_amount(cell(index["amount"]), columns.decimal_comma, line)
    if amount <= 0:
        return None
    raw_date = cell(index["date"])
    try:
        day = datetime.datetime.strptime(raw_date, columns.date_format).date()
    except ValueError:
        raise StatementError(line, f"date {raw_date!r} does not match --date-format {columns.date_format}") from None
    currency = (cell(index["currency"]).upper() if "currency" in index else "") or columns.default_currency
    if not CURRENCY.match(currency):
        raise StatementError(line, f"currency must be a code like EUR, got {currency!r}")
    text = " ".join(cell(position) for position in texts if cell(position))
    return (day, checked_digits(amount, currency, line), currency, clean(text),
            clean(cell(index["ref"])) if "ref" in index else "", clean(cell(index["payer"])) if "payer" in index else "")


def parse_amount(text: str, decimal_comma: bool, line: int) -> Decimal:
    """`1,234.56`, `-80.00`, `+12`, with --decimal-comma `1.234,56` or `12,50`: an amount; else an error.

    Without --decimal-comma a comma is only a thousands separator (`1,234.56`): `12,50` is refused
    rather than read as 1250.
    """
    point, group = (",", ".") if decimal_comma else (".", ",")
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    shape = (rf"^[-+]?(?:[0-9]{{1,3}}(?:{re.escape(group)}[0-9]{{3}})+|[0-9]+)"
             rf"(?:{re.escape(point)}[0-9]+)?$")
    if not re.match(shape, cleaned):
        hint = " (give --decimal-comma for amounts like 1.234,56)" if not decimal_comma and "," in text else ""
        raise StatementError(line, f"amount must be a number like 226.88, got {text!r}{hint}")
    return Decimal(cleaned.replace(group, "").replace(point, "."))
