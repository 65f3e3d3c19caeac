"""`hourbook issue PERIOD`: give the period's invoices numbers, record them in issued.yaml, write their PDFs.

A statement becomes an invoice when `issue` gives it a number and appends a record to
`issued.yaml`; from then on the period is frozen (`hourbook.checks.issued`), and
mistakes are corrected by `#correction` entries in an open period, which become
corrective invoices in a number series of their own.

`issue` takes the books as the pipeline priced them, and refuses (writing nothing)
unless the invoices are dated today or earlier but not before the last one, the books
have no errors, git holds the books and the register as they are (so the commit a
record names reproduces it), the period is not issued yet, the numbers and files are
new, and every invoice says what the law asks. Then it writes every PDF and appends
the records (`hourbook.invoicing.register_file`).
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path

from hourbook.checks import issued as issued_checks
from hourbook.checks.register import check_append_only
from hourbook.checks.register import read_verified_register
from hourbook.core import periods
from hourbook.core.coverage import CoverageRefusal
from hourbook.core.coverage import client_documents
from hourbook.core.coverage import period_documents
from hourbook.core.coverage import service_days
from hourbook.core.documents import INVOICE
from hourbook.core.invoice import legal_problems
from hourbook.core.incidents import number_incidents
from hourbook.core.invoice import make_invoice
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import sorted_diagnostics
from hourbook.core.register import GENESIS
from hourbook.core.register import REGISTER
from hourbook.core.register import IssuedRecord
from hourbook.core.register import appended_register
from hourbook.core.register import name_clashes
from hourbook.core.register import plan_records
from hourbook.core.register import seal_with_pdfs
from hourbook.git import git_committed_register
from hourbook.git import git_head
from hourbook.git import git_register_uncommitted
from hourbook.git import git_uncommitted_books
from hourbook.git import git_unrecorded
from hourbook.invoicing.einvoice import invoice_pdf
from hourbook.invoicing.register_file import crash_point
from hourbook.invoicing.register_file import existing_pdfs
from hourbook.invoicing.register_file import invoices_folder_problem
from hourbook.invoicing.register_file import register_lock
from hourbook.invoicing.register_file import remove_stale_temp_files
from hourbook.invoicing.register_file import write_invoices
from hourbook.invoicing.register_file import write_register
from hourbook.render.invoice import invoice_wording
from hourbook.load.listing import BOOKS_PARTS
from hourbook.output.progress import Progress
from hourbook.render.html import TemplateProblem

PERIOD_NAME = re.compile(r"^(\d{4})(?:-(?:0[1-9]|1[0-2]|Q[1-4]))?$")


@dataclass
class IssueOutcome:
    """What `issue` did: the records it appended, or why it refused (then nothing was written)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    refusal: str = ""
    records: list[IssuedRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_period(text: str) -> str:
    """A period name as `issue` takes it: 2026-10, 2026-Q4 or 2026 (a year), in the years 0001 to 9998.

    Raises:
        ValueError: with the expected form.
    """
    name = text.strip().upper()
    match = PERIOD_NAME.match(name)
    if not match:
        raise ValueError(f"PERIOD must be a month like 2026-10, a quarter like 2026-Q4 or a year like 2026, "
                         f"got {text!r}")
    if not 1 <= int(match.group(1)) <= 9998:
        raise ValueError(f"PERIOD must be in the years 0001 to 9998, got {text!r}")
    return name


def date_refusal(issued_on: datetime.date, records: list[IssuedRecord], today: datetime.date) -> str:
    """Why an invoice cannot be dated `issued_on` ('' when it can): never after today, never before the last."""
    if issued_on > today:
        return (f"the issue date {issued_on} is after today ({today}): an invoice is dated the day it is issued, "
                "or earlier with --date, never later")
    if records and issued_on < records[-1].issued:
        return (f"the issue date {issued_on} is before that of the last invoice, {records[-1].number} of "
                f"{records[-1].issued}: numbers must follow the dates")
    return ""


def future_date_refusal(issued_on: datetime.date) -> str:
    """Why no invoice can be dated `issued_on` whatever the register holds ('' when one can): after today.

    Asked before the books are priced as on that date (a far-future day cannot be).
    """
    # The clock is looked up on its module, so a test that sets it sets it for `check` and `issue` alike.
    return date_refusal(issued_on, [], issued_checks.real_today())


def books_refusal(root: Path) -> str:
    """Why the commit `issue` would record does not reproduce the books ('' when it does)."""
    dirty = git_uncommitted_books(root)
    if dirty:
        return ("the books have uncommitted changes; commit them first, so that the invoice names the commit it "
                "was made from:\n  " + "\n  ".join(dirty))
    unrecorded = git_unrecorded(root, BOOKS_PARTS)
    if unrecorded:
        return ("files the invoices are made from are not in git as they are, so the commit an invoice names "
                "would not reproduce it:\n  " + "\n  ".join(unrecorded))
    return ""


def register_refusal(root: Path) -> str:
    """Why issued.yaml is not in git as it is ('' when it is, or when there is none)."""
    if not os.path.lexists(root / REGISTER):
        return ""
    unrecorded = git_unrecorded(root, (REGISTER,))
    if unrecorded:
        return "the register must be in git before more invoices follow it: " + "; ".join(unrecorded)
    if git_register_uncommitted(root):
        return ("issued.yaml has changes that are not committed (the records of the last `hourbook issue`?): "
                "commit the register and the invoices first: git add issued.yaml invoices && git commit")
    return ""


def issue(root: Path, period: str, issued_on: datetime.date, priced: PricedBooks,
          diagnostics: list[Diagnostic], progress: Progress | None = None, client: str = "",
          through: datetime.date | None = None) -> IssueOutcome:
    """Number, record and write the invoices of one period: `hourbook issue PERIOD`; or, with `client`,
    that client's work up to `through` (`hourbook issue --client ID --through DATE`, `core.coverage`).

    Refuses (nothing written) when the issue date is after today or before the last
    invoice's, the books have errors, a file the invoices are made from is not in git as
    it is, the register is not committed as it is, the period is already issued, two
    invoices would share a number or a file, a PDF is in the way, or an invoice would
    lack what the law asks for. Otherwise writes every PDF first (never over a file),
    then appends all records to the register in one atomic write: a crash before that
    leaves no record (so no gap and no duplicate: the next run reuses the numbers), and
    a failed write removes the PDFs this run wrote.

    The books may be priced before the register's lock is taken: pricing reads only the
    books' own files (hourbook.yaml, contracts/, logbook/), which `issue` never writes and
    which must be committed as they are (`books_refusal`); what `issue` writes, the register
    and invoices/, is read again under the lock.

    Args:
        root: the books folder.
        period: a period name (`parse_period`).
        issued_on: the issue date (today, or earlier to back-date; `future_date_refusal` first).
        priced, diagnostics: the books priced as on `issued_on` (`pipeline.load_and_price`).
        progress: told of each invoice's PDF as it is made (`output.progress`).
        client: a client id: invoice only its work not invoiced yet, up to `through` (`period` is then
            ignored), leaving the period open for everyone else.
        through: the last day of the client's work to invoice (default: the issue date).
    """
    outcome = IssueOutcome(diagnostics=list(diagnostics))
    if any(diagnostic.severity == ERROR for diagnostic in diagnostics):
        outcome.refusal = "the books have errors (above)"
        return outcome
    commit = git_head(root)
    if commit is None:
        outcome.refusal = ("the books are not in a git repository with a commit: git is the audit trail of "
                           "invoices; run git init, commit the books, then issue")
        return outcome
    outcome.refusal = books_refusal(root) or invoices_folder_problem(root)
    if outcome.refusal:
        return outcome
    if client:
        through = through or issued_on
        outcome.refusal = client_refusal(priced, client, through, issued_on)
        if outcome.refusal:
            return outcome
        with register_lock(root):
            issue_locked(root, "", issued_on, priced, commit, outcome, progress or Progress("issuing"),
                         client=client, through=through)
        if outcome.records:
            outcome.notes.append(f"{client}'s work after {through} goes on its next invoice; commit the register "
                                 "and the invoices: git add issued.yaml invoices && "
                                 f"git commit -m 'Issue {client} through {through}'")
        return outcome
    start, end = periods.bounds(period)
    if start > issued_on:
        outcome.refusal = f"period {period} has not started on {issued_on}"
        return outcome
    with register_lock(root):
        issue_locked(root, period, issued_on, priced, commit, outcome, progress or Progress("issuing"))
    if outcome.records and issued_on < end:
        outcome.notes.append(f"period {period} runs until {end}: entries dated after today in it will count "
                             "as changes to issued invoices")
    if outcome.records:
        outcome.notes.append("commit the register and the invoices: git add issued.yaml invoices && "
                             f"git commit -m 'Issue {period}'")
    return outcome


def client_refusal(priced: PricedBooks, client: str, through: datetime.date, issued_on: datetime.date) -> str:
    """Why `issue --client` cannot invoice `client` up to `through` ('' when it can, as far as the books say)."""
    if priced.books.contract(client) is None:
        known = ", ".join(sorted(contract.id for contract in priced.books.contracts)) or "none"
        return f"unknown client {client!r}: the clients are {known} (contracts/<id>.yaml)"
    if through > issued_on:
        return (f"--through {through} is after the issue date {issued_on}: an invoice covers work done by the "
                "day it is issued")
    return ""


def documents_to_issue(priced: PricedBooks, records: list[IssuedRecord], period: str, client: str,
                       through: datetime.date | None) -> tuple[list, str]:
    """(document, contract, through) of every invoice to issue, and why none can be ('' when they can)."""
    if client:
        try:
            docs = client_documents(priced, records, client, through)
        except CoverageRefusal as refusal:
            return [], str(refusal)
        if not docs:
            return [], (f"nothing to invoice for {client} through {through}: no period of its work up to that "
                        "day that is not invoiced yet has a non-zero total")
        return docs, ""
    already = [record for record in records if record.period == period and record.through is None]
    if already:
        return [], (f"period {period} was already issued on {already[0].issued}: "
                    + ", ".join(f"{r.number} ({r.client})" for r in already)
                    + "; an issued invoice never changes: correct it with a #correction entry in an open period")
    return period_documents(priced, records, period), ""


def issue_locked(root: Path, period: str, issued_on: datetime.date, priced: PricedBooks, commit: str,
                 outcome: IssueOutcome, progress: Progress, client: str = "",
                 through: datetime.date | None = None) -> None:
    """The part of `issue` that holds the register's lock: read it, number, write PDFs, append."""
    remove_stale_temp_files(root)
    records, problems, old_bytes = read_verified_register(root)
    if not problems:
        problems = check_append_only(git_committed_register(root), old_bytes, os.path.lexists(root / REGISTER))
    if problems:
        outcome.diagnostics = sorted_diagnostics(outcome.diagnostics, problems)
        outcome.refusal = "the register issued.yaml has errors (above)"
        return
    pieces, outcome.refusal = documents_to_issue(priced, records, period, client, through)
    if outcome.refusal:
        return
    outcome.refusal = register_refusal(root) or date_refusal(issued_on, records, issued_checks.real_today())
    if outcome.refusal:
        return
    pieces.sort(key=lambda piece: (piece[0].period, piece[0].kind != INVOICE, piece[0].client, piece[0].corrects))
    docs = [(doc, contract) for doc, contract, _ in pieces]
    if not docs:
        outcome.notes.append(f"nothing to invoice in {period}: no client has a non-zero total; nothing written")
        return
    settings = priced.books.settings
    legal = [problem for doc, contract in docs for problem in legal_problems(doc, contract, settings)]
    if legal:
        outcome.diagnostics = sorted_diagnostics(outcome.diagnostics, legal)
        outcome.refusal = "an invoice would lack what the law asks for (above)"
        return
    planned = [replace(record, through=piece[2])
               for record, piece in zip(plan_records(docs, records, settings, issued_on, commit), pieces)]
    clashes = name_clashes(planned, records)
    if clashes:
        outcome.refusal = ("; ".join(clashes) + ": make the number patterns in hourbook.yaml (invoice: number, "
                           "credit_number) tell the series apart by more than case or punctuation")
        return
    issued_by_number = {record.number: record for record in records}
    incidents = {client.contract.id: number_incidents([line for s in client.statements for line in s.lines],
                                                      client.contract) for client in priced.clients}
    # Gather every file before writing any (STYLE §1).
    progress.expect(pdfs=len(planned))
    pdfs = {}
    try:
        for (doc, contract), record in zip(docs, planned):
            invoice = make_invoice(doc, record, contract, settings, issued_by_number.get(doc.corrects),
                                   wording=invoice_wording(contract), incidents=incidents.get(contract.id))
            if doc.kind == INVOICE:             # one client's work up to a date: its own service days
                start, end = service_days(doc, records, record.through)
                invoice = replace(invoice, period_start=start, period_end=end)
            pdfs[record.pdf] = invoice_pdf(invoice, root)
            progress.advance(pdfs=1)
    except TemplateProblem as problem:          # templates/invoice.html failed for an invoice check did not try
        outcome.diagnostics = sorted_diagnostics(outcome.diagnostics, [problem.diagnostic])
        outcome.refusal = "a template of the books failed (above)"
        return
    in_the_way, same = existing_pdfs(root, pdfs)
    if in_the_way:
        outcome.refusal = (f"{', '.join(in_the_way)} {'is' if len(in_the_way) == 1 else 'are'} already there, "
                           "and an invoice file is never written over; no record in issued.yaml has it (left by "
                           "an interrupted `hourbook issue` of another day, or put there by hand): if that invoice "
                           "was never sent, move the file out of invoices/ and issue again")
        return
    planned = seal_with_pdfs(planned, pdfs, records[-1].hash if records else GENESIS)
    new_bytes = appended_register(old_bytes, planned)
    try:
        created = write_invoices(root, pdfs, same)
    except FileExistsError as exc:
        outcome.refusal = (f"{exc.filename} appeared while the invoices were written; an invoice file is never "
                           "written over")
        return
    crash_point("after-pdfs")
    write_register(root, new_bytes, created)
    crash_point("after-register")
    outcome.records = planned
