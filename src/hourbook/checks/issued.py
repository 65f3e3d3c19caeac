"""Issued invoices against the books: every issued period re-priced and compared, item by item.

From the day a period is issued it is frozen: `check` and `build` price it again and
compare the result with what the register says was invoiced (`check_frozen`), and
every difference is an error at the line that changed, saying how to correct it
instead (a `#correction` entry in an open period, `check_corrections`). `check_issued`
is everything `check` says about issued invoices: these, the register's own checks
(`hourbook.checks.register`) and the VAT exemptions of hourbook.yaml.

Only `check_issued` and `register_inputs` read files (the register, its committed
version, the invoices' folder) and the clock (`real_today`); the rest is pure.
"""

from __future__ import annotations

import datetime
import os
import re
from collections import defaultdict
from pathlib import Path

from hourbook.core.coverage import covered_pieces
from hourbook.core.coverage import full_periods
from hourbook.core.coverage import records_by_key
from hourbook.core.documents import CORRECTION_TAG
from hourbook.core.documents import INVOICE
from hourbook.core.documents import Document
from hourbook.core.documents import Item
from hourbook.core.documents import content_hash
from hourbook.core.documents import corrected_number
from hourbook.core.documents import document_items
from hourbook.core.documents import is_correction
from hourbook.core.late import plan_late
from hourbook.core.money import format_money
from hourbook.core.pricing import price_books
from hourbook.core.records import ERROR
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import Source
from hourbook.core.register import INVOICES_DIR
from hourbook.core.register import REGISTER
from hourbook.core.register import IssuedRecord
from hourbook.core.register import client_numbers
from hourbook.core.register import current_documents
from hourbook.checks.register import check_append_only
from hourbook.checks.register import check_issue_dates
from hourbook.checks.register import check_pdfs
from hourbook.checks.register import orphan_pdfs
from hourbook.checks.register import read_verified_register
from hourbook.git import git_committed_register

HOW_TO_CORRECT = ("restore it as it was invoiced (git checkout) and record the difference as a "
                  "#correction entry in an open period instead (see docs/invoicing.md)")
HOW_TO_ADD = ("date it in an open period instead (tag it #correction #{number} if it corrects that "
              "invoice; see docs/invoicing.md)")


def check_frozen(records: list[IssuedRecord], priced: PricedBooks) -> list[Diagnostic]:
    """Re-price every issued period and compare it with the register. Pure.

    Every difference is an error at the source line that changed: an edited
    entry (at its line), an added one (at its line), a removed one (at the line
    it had when invoiced), a changed fee (at its contract line), and changed
    totals without a changed line (tax rate, currency: at the contract).
    Every record is compared, whatever its date: `register_priced` gives books
    priced late enough for all of them.
    """
    if not records:
        return []
    issued_periods = {record.period for record in records}
    documents = current_documents(priced, records, issued_periods)
    grouped = records_by_key(records)
    closed = full_periods(records)
    moved = moved_items(priced)
    problems = check_coverage(records)
    for key, key_records in grouped.items():
        doc, contract = documents.get(key, (None, None))
        if doc is None:
            for record in key_records:
                problems += compare_document(record, None, None, moved.get(record.number, frozenset()))
            continue
        pieces, rest = covered_pieces(doc, contract, key_records)
        for record, piece in pieces:
            problems += compare_document(record, piece, contract, moved.get(record.number, frozenset()))
        if rest is not None and doc.period in closed:
            problems += added_to_issued_period(rest, records)
    for key, (doc, _) in sorted(documents.items()):
        if key in grouped or doc.period not in closed:
            continue                            # a period invoiced only for some clients (`--client`) is open
        problems += added_to_issued_period(doc, records)
    return problems


def added_to_issued_period(doc: Document, records: list[IssuedRecord]) -> list[Diagnostic]:
    """An error at every charged line and fee of `doc`, which no invoice of its issued period covers."""
    if doc.total == 0:
        return []
    invoices = sorted({r.number for r in records if r.period == doc.period})
    label = f"the invoices of {doc.period} ({', '.join(invoices)}) were issued"
    number = next((r.number for r in records if r.period == doc.period and r.client == doc.client), "NUMBER")
    problems = []
    for item, amount in zip(document_items(doc), [*(line.amount for line in doc.lines),
                                                  *(fee.amount for fee in doc.fees)]):
        if amount != 0:
            what = "fee" if item.summary.startswith("fee ") else "entry"
            problems.append(diagnostic_at(item.source, f"{what} for {doc.client} added to {doc.period} after "
                                          f"{label}: {item.summary}; " + HOW_TO_ADD.format(number=number)))
    return problems


def check_coverage(records: list[IssuedRecord]) -> list[Diagnostic]:
    """No two invoices of one client and period cover the same days: each later one starts after the
    `through` of the one before, and none follows one that covered the rest of the period. Pure."""
    problems = []
    for key_records in records_by_key(records).values():
        previous = None
        for record in key_records:
            if previous is not None and (previous.through is None or (
                    record.through is not None and record.through <= previous.through)):
                upto = f"up to {previous.through}" if previous.through is not None else "to the end of the period"
                problems.append(Diagnostic(record.source, f"{record.label} covers days that "
                                           f"{previous.label} already invoiced ({upto}): a line would be invoiced "
                                           "twice; the register was edited by hand", ERROR))
            previous = record
    return problems


def diagnostic_at(source: str, message: str, severity: str = ERROR) -> Diagnostic:
    """A diagnostic at an item's `path:line` (as the register keeps it; no line: line 0)."""
    path, _, line = source.rpartition(":")
    return Diagnostic(Source(path, int(line)) if line.isdigit() else Source(source, 0), message, severity)


def moved_items(priced: PricedBooks) -> dict[str, frozenset[str]]:
    """Invoice number -> fingerprints of its held items that were approved or waived since and moved
    to a later period (`hourbook.core.late`): not removed from that invoice, which never billed them."""
    moved: dict[str, set[str]] = defaultdict(set)
    for client in priced.clients:
        for statement in client.statements:
            for line in statement.lines:
                if line.held_from is not None:
                    moved[line.held_from.number].add(line.held_from.item)
    return {number: frozenset(items) for number, items in moved.items()}


def compare_document(record: IssuedRecord, doc: Document | None, contract: Contract | None,
                     moved: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """One record against its document as priced now. Pure.

    `moved`: fingerprints of the record's held items now billed or waived in a later period; they
    are not missing from the document, and when they are all that differs, the document is as issued.
    """
    if doc is not None and content_hash(doc) == record.content:
        return []
    unmatched_new = document_items(doc) if doc is not None else []
    priced_lines = dict(zip(unmatched_new, doc.lines)) if doc is not None else {}
    rate_changes: dict[Source, list[tuple[Item, Item]]] = defaultdict(list)
    unmatched_old = []
    skipped = False
    for item in record.lines:
        same = next((i for i, now in enumerate(unmatched_new) if now.fingerprint == item.fingerprint), None)
        if same is None and item.fingerprint in moved:
            skipped = True
        elif same is None:
            unmatched_old.append(item)
        else:
            del unmatched_new[same]
    by_source: dict[str, list[Item]] = defaultdict(list)
    for item in unmatched_new:
        by_source[item.source].append(item)
    problems = []
    for item in unmatched_old:
        what = "fee" if item.summary.startswith("fee ") else "entry"
        if by_source.get(item.source):
            now = by_source[item.source].pop(0)
            unmatched_new.remove(now)
            term = rate_change_term(item, now, priced_lines.get(now), contract)
            if term is not None:
                rate_changes[term].append((item, now))
                continue
            change = (f"invoiced as {item.summary}, now {now.summary}" if now.summary != item.summary else
                      f"invoiced as {item.summary}; its date, text, tags or requester differ now")
            problems.append(diagnostic_at(now.source, f"{what} changed after {record.label} was issued: "
                                          f"{change}; " + HOW_TO_CORRECT))
        else:
            problems.append(diagnostic_at(item.source, f"{what} removed after {record.label} was issued: it was "
                                          f"invoiced as {item.summary} (at {item.source}); " + HOW_TO_CORRECT))
    for item in unmatched_new:
        what = "fee" if item.summary.startswith("fee ") else "entry"
        number = record.number if record.type == INVOICE else record.corrects
        problems.append(diagnostic_at(item.source, f"{what} added after {record.label} was issued: {item.summary}; "
                                      + HOW_TO_ADD.format(number=number)))
    for term_source, changes in sorted(rate_changes.items()):
        old_rates = sorted({_rate_in(old) for old, _ in changes})
        new_rates = sorted({_rate_in(now) for _, now in changes})
        problems.append(Diagnostic(term_source, f"rate changed after {record.label} was issued: "
                                   f"{len(changes)} of its entries were invoiced at {', '.join(old_rates)} and "
                                   f"would now be priced at {', '.join(new_rates)} (first: {changes[0][1].source}); "
                                   "restore the term as it was and add a new term with a later from: for the new "
                                   "rate instead", ERROR))
    if not problems and skipped and doc is not None and (doc.net, doc.tax, doc.total, doc.currency) == (
            record.net, record.tax, record.total, record.currency):
        return []
    if not problems:
        where = contract.source if contract is not None else record.source
        if doc is None:
            problems.append(Diagnostic(where, f"{record.label} is no longer in the books ({record.client} has no "
                                       f"statement for {record.period}); restore the contract and entries "
                                       "as they were invoiced", ERROR))
        else:
            cur = record.currency
            problems.append(Diagnostic(where, f"{record.label} was issued for net {format_money(record.net, cur)}, "
                                       f"tax {format_money(record.tax, cur)}, total {format_money(record.total, cur)} "
                                       f"{cur}; the books now give net {format_money(doc.net, doc.currency)}, "
                                       f"tax {format_money(doc.tax, doc.currency)}, total "
                                       f"{format_money(doc.total, doc.currency)} {doc.currency}: the contract's "
                                       "tax, currency or prices_include_tax changed; restore it, and put a new "
                                       "term with a later `from:` for the new terms instead", ERROR))
    return problems


# The rate and the amounts in an item's summary (`billed 1h30m at 60.00 = 90.00`).
RATE_IN_SUMMARY = re.compile(r" at (-?[0-9.]+)")
MONEY_IN_SUMMARY = re.compile(r" (?:at|=) -?[0-9.]+")


def _rate_in(item: Item) -> str:
    # The rate an item was priced at, as its summary says it ("no rate" for expenses and fees).
    match = RATE_IN_SUMMARY.search(item.summary)
    return match.group(1) if match else "no rate"


def rate_change_term(old: Item, now: Item, line: Line | None, contract: Contract | None) -> Source | None:
    """The contract term whose rate explains a changed line (same status and minutes), if that is all."""
    if line is None or contract is None or _rate_in(old) == _rate_in(now):
        return None
    if MONEY_IN_SUMMARY.sub("", old.summary) != MONEY_IN_SUMMARY.sub("", now.summary):
        return None
    term = contract.term_on(line.entry.date)
    return term.source if term is not None else None


def check_corrections(records: list[IssuedRecord], priced: PricedBooks) -> list[Diagnostic]:
    """Every `#correction` entry names one of its client's issued invoices by number. Pure."""
    problems = []
    # Few entries correct an invoice: only their clients' lines are looked at (a build after an edit
    # does not go through every line of the books for none).
    correcting = {entry.client for entry in priced.books.entries if CORRECTION_TAG in entry.tags}
    for client in priced.clients:
        if client.contract.id not in correcting:
            continue
        numbers = client_numbers(records, client.contract.id)
        seen = set()
        for statement in client.statements:
            for line in statement.lines:
                if not is_correction(line) or line.entry.source in seen:
                    continue
                seen.add(line.entry.source)
                if corrected_number(line, numbers):
                    continue
                known = (f"{client.contract.id}'s invoices: {', '.join(sorted(numbers.values()))}" if numbers
                         else f"{client.contract.id} has no issued invoices yet")
                example = next(iter(numbers.values()), "2026-0001")
                problems.append(Diagnostic(line.entry.source, "a #correction entry must name the invoice it "
                                           f"corrects by its number as a tag, e.g. #{example} ({known})", ERROR))
    return problems


def check_exemptions(priced: PricedBooks) -> list[Diagnostic]:
    """invoice: {exemptions: ...} in hourbook.yaml names known clients that charge no VAT. Pure."""
    problems = []
    for exemption in priced.books.settings.vat_exemptions:
        contract = priced.books.contract(exemption.client)
        if contract is None:
            problems.append(Diagnostic(exemption.source, f"exemption for unknown client {exemption.client!r}", ERROR))
        elif contract.tax != 0:
            problems.append(Diagnostic(exemption.source, f"exemption for {exemption.client!r}, whose contract "
                                       f"charges tax {contract.tax * 100:g}%: set tax: 0% there, or remove the "
                                       "exemption", ERROR))
    return problems


def register_priced(records: list[IssuedRecord], priced: PricedBooks, today: datetime.date) -> PricedBooks:
    """The priced books to compare the register with.

    A record issued after the as-of date (`check --as-of` an earlier day) is compared too:
    then the books are priced again as of the latest issue date (no later than today), so
    that entries up to the day each invoice was issued count, as they did when it was issued.
    """
    horizon = min(max((record.issued for record in records), default=priced.as_of), today)
    if horizon <= priced.as_of:
        return priced
    return price_books(priced.books, horizon, late=plan_late(priced.books, records))


def register_inputs(root: Path) -> bytes:
    """What `check_issued` reads besides the books' files, as bytes for a cache key.

    issued.yaml as committed at HEAD (whether or not there is a working one), the name,
    size and change times of everything in invoices/ (a PDF rewritten in place changes its
    ctime, which no one can set back), and today's date (records dated after it are errors).
    """
    committed = git_committed_register(root)
    parts = [real_today().isoformat().encode(), b"<none>" if committed is None else b"committed\0" + committed]
    try:
        entries = sorted(os.scandir(root / INVOICES_DIR), key=lambda entry: entry.name)
    except OSError:
        entries = []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        parts.append(os.fsencode(entry.name) + f"\0{info.st_mode} {info.st_size} {info.st_mtime_ns} "
                     f"{info.st_ctime_ns} {info.st_ino}".encode())
    return b"\0\0".join(parts)


def check_issued(root: Path, priced: PricedBooks) -> list[Diagnostic]:
    """Everything `check` says about issued invoices: the register, frozen periods, corrections, PDFs.

    Reads BOOKS/issued.yaml (if any), the committed version of it (even when the working
    one is missing or empty) and the invoices' PDFs; the rest is pure.
    """
    records, problems, data = read_verified_register(root)
    readable = not problems
    opened = bool(data) or not problems         # else not a file, or unreadable: that is its one error
    problems += check_exemptions(priced)
    problems += check_corrections(records, priced)
    if opened:
        problems += check_append_only(git_committed_register(root), data, os.path.lexists(root / REGISTER))
    if records:
        today = real_today()
        problems += check_issue_dates(records, today)
        problems += check_frozen(records, register_priced(records, priced, today))
        problems += check_pdfs(root, records)
    if readable:
        problems += orphan_pdfs(root, records)
    return problems


def real_today() -> datetime.date:
    """The date on this machine's clock: `issue` dates no invoice after it.

    Not $HOURBOOK_TODAY and not --as-of, which can name any day: tests that need another
    "real" date replace this function (monkeypatch): `issue` looks it up here too.
    """
    return datetime.date.today()
