"""`hourbook remind`: a reminder letter (HTML and PDF) for each invoice overdue as of a day.

The books are priced as by every command; with an error in them nothing is written. The
letters go only into the site's owner folder, `SITE/owner/reminders/<as-of>/<client>/<number>-<level>.html`
and `.pdf`, each file written whole (`site.files.write_file_atomically`), and only when
`site.folder.check_site_folder` says the folder is a site hourbook may write (or nothing
yet: then it becomes one, with the marker, so that `hourbook build` may later replace it;
every build carries `owner/reminders/` over, `site.tree.carry_over`). The books are never
written; sending the letters is the user's.
"""

from __future__ import annotations

import datetime
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from hourbook.core.reminders import Reminder
from hourbook.core.reminders import make_reminders
from hourbook.output.text import format_diagnostic
from hourbook.output.text import shown_diagnostics
from hourbook.output.text import summary_line
from hourbook.pipeline import has_errors
from hourbook.pipeline import load_and_price
from hourbook.render.html import books_template_problem
from hourbook.render.reminder import ListedLetter
from hourbook.render.reminder import reminder_pdf
from hourbook.render.reminder import render_reminders_index
from hourbook.render.reminder import render_reminder_html
from hourbook.site.files import write_file_atomically
from hourbook.site.folder import SITE_MARKER
from hourbook.site.folder import SITE_MARKER_TEXT
from hourbook.site.folder import check_site_folder

REMINDERS_FOLDER = "owner/reminders"


@dataclass(frozen=True)
class Letter:
    """One reminder and the files it is written to, relative to the site folder."""

    reminder: Reminder
    html_path: str
    pdf_path: str


def letter_paths(reminder: Reminder, as_of: datetime.date) -> tuple[str, str]:
    """`owner/reminders/2026-12-03/volga/2026-0007-final.html` and its `.pdf`: one folder a day, one a client."""
    number = reminder.invoice.record.number.replace("/", "-")
    stem = f"{REMINDERS_FOLDER}/{as_of.isoformat()}/{reminder.contract.id}/{number}-{reminder.level}"
    return f"{stem}.html", f"{stem}.pdf"


LETTER_NAME = re.compile(r"(?P<number>.+)-(?P<level>friendly|second|final)\.(?P<kind>html|pdf)")


def listed_letters(folder: Path) -> list[ListedLetter]:
    """Every letter in the reminders folder, by day, client and invoice: what earlier runs wrote too."""
    found: dict[tuple, dict] = {}
    for path in sorted(folder.glob("*/*/*")):
        rel = path.relative_to(folder)
        match = LETTER_NAME.fullmatch(path.name)
        try:
            letter_day = datetime.date.fromisoformat(rel.parts[0])
        except ValueError:
            continue
        if match is None or not path.is_file():
            continue
        key = (letter_day, rel.parts[1], match["number"], match["level"])
        found.setdefault(key, {})[match["kind"]] = rel.as_posix()
    return [ListedLetter(*key, html=kinds.get("html", ""), pdf=kinds.get("pdf", "")) for key, kinds in found.items()]


def letter_line(letter: Letter, out: Path) -> str:
    """One line of stdout: client, invoice, days overdue, level, outstanding, interest, compensation, path."""
    reminder = letter.reminder
    invoice = reminder.invoice
    currency = invoice.record.currency
    interest = f"{reminder.interest} {currency}" if reminder.interest is not None else "-"
    compensation = f"{reminder.compensation} {currency}" if reminder.compensation is not None else "-"
    return (f"{reminder.contract.id}\t{invoice.record.number}\t{invoice.days_overdue} days overdue\t{reminder.level}\t"
            f"outstanding {invoice.outstanding} {currency}\tinterest {interest}\tcompensation {compensation}\t"
            f"{out / letter.pdf_path}")


def remind(root: Path, as_of: datetime.date, out: Path, *, pdf: bool = True, quiet: bool = False,
           stdout=None, stderr=None) -> int:
    """Price the books, write a letter for each overdue invoice into `out`'s owner folder; the exit code.

    Args:
        root: the books folder. as_of: the letters' date and the day invoices are overdue as of.
        out: the site folder. pdf: write the PDFs too. quiet: warnings not shown.

    Returns:
        0 when the letters were written (or none were due), 1 on errors in the books or a folder
        that is not a site.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    priced, diagnostics = load_and_price(root, as_of)
    for diagnostic in shown_diagnostics(diagnostics, quiet=quiet):
        print(format_diagnostic(diagnostic), file=stderr)
    if has_errors(diagnostics):
        print(f"remind stopped: {summary_line(diagnostics)}; no letter was written", file=stderr)
        return 1
    problem = check_site_folder(root, out)
    if problem:
        print(f"hourbook: error: {problem.replace('the site', 'the reminders', 1)}", file=stderr)
        return 1
    contracts = {contract.id: contract for contract in priced.books.contracts}
    reminders = make_reminders(priced.receivables, contracts)
    files: dict[str, bytes] = {}
    letters = []
    seller = priced.books.settings.seller
    try:
        for reminder in reminders:
            html_path, pdf_path = letter_paths(reminder, as_of)
            html = render_reminder_html(reminder, seller, as_of, root)
            files[html_path] = html.encode("utf-8")
            if pdf:
                files[pdf_path] = reminder_pdf(html, root)
            letters.append(Letter(reminder, html_path, pdf_path if pdf else html_path))
    except Exception as exc:  # noqa: BLE001 - a books template that fails is a located problem, not a bug
        found = books_template_problem(exc, root)
        if found is None:
            raise
        print(f"{found.diagnostic.source}: error: {found.diagnostic.message}", file=stderr)
        return 1
    # Gather everything, then write: each letter whole; the marker makes a new folder a site.
    if files and not (out / SITE_MARKER).exists():
        write_file_atomically(out / SITE_MARKER, SITE_MARKER_TEXT)
    for rel, data in sorted(files.items()):
        write_file_atomically(out / rel, data)
    if letters:
        index = render_reminders_index(listed_letters(out / REMINDERS_FOLDER), priced.books.settings.locale)
        write_file_atomically(out / REMINDERS_FOLDER / "index.html", index.encode("utf-8"))
    for letter in letters:
        print(letter_line(letter, out), file=stdout)
    print(f"{len(letters)} reminder{'' if len(letters) == 1 else 's'} as of {as_of.isoformat()}"
          + (f" in {out / REMINDERS_FOLDER / as_of.isoformat()}" if letters else "")
          + f"; {summary_line(diagnostics)}", file=stdout)
    return 0
