"""A reminder letter for one overdue invoice: HTML and PDF, in the client's language (docs/reminders.md).

The letter is rendered from `reminder_templates/reminder.html` with the seller's letterhead
(the statements' brand partial, `brand.html`, or the books' own in templates/) and the
words of `locales/<language>/reminders.yaml`. Its figures are `core.reminders.Reminder`'s;
nothing here computes money. The PDF goes through `render.pdf`, the one PDF writer.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hourbook.core.records import Party
from hourbook.core.reminders import Reminder
from hourbook.render import filters
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import books_environment
from hourbook.render.html import books_templates_folder
from hourbook.render.html import load_messages

REMINDER_TEMPLATES = Path(__file__).resolve().parent / "reminder_templates"
TEMPLATE = "reminder.html"
PAY_WITHIN_DAYS = 7                             # the second and final letters ask for payment within a week


def payment_deadline(as_of: datetime.date) -> datetime.date:
    """The date a second or final letter asks the client to pay by: a week after the letter's date."""
    return as_of + datetime.timedelta(days=PAY_WITHIN_DAYS)


def render_reminder_html(reminder: Reminder, seller: Party, as_of: datetime.date, root: Path | None = None) -> str:
    """The letter as a complete HTML page in the contract's language.

    Args:
        reminder: the overdue invoice, its level and interest (`core.reminders.make_reminders`).
        seller: hourbook.yaml's seller (letterhead, IBAN, BIC).
        as_of: the letter's date.
        root: the books folder, whose templates/brand.html replaces the built-in letterhead.
    """
    contract = reminder.contract
    locale = filters.babel_locale(contract.locale)
    messages = load_messages(locale)
    currency = reminder.invoice.record.currency
    rule = contract.late_interest

    def days(count: int) -> str:
        return filters.translate(messages, filters.plural_key(messages, "remind_days", count, locale), count=count)

    env = books_environment(root, REMINDER_TEMPLATES, TEMPLATES_DIR)
    return env.get_template(TEMPLATE).render(
        r=reminder, seller=seller, client=contract.party, as_of=as_of, deadline=payment_deadline(as_of),
        lang=locale.replace("_", "-"), w=messages, t=functools.partial(filters.translate, messages),
        title=messages[f"remind_title_{reminder.level}"],
        money=lambda value: filters.format_money(value, currency, locale),
        day=lambda value: filters.format_date(value, locale, "long"),
        rate=lambda value: filters.format_rate(value, locale),
        points=points_text(rule.points * 100, locale) if rule is not None else "",
        days=days,
    )


def reminder_pdf(html: str, root: Path | None = None) -> bytes:
    """The letter's PDF from its HTML (A4, print CSS), loading files only from the templates' folders."""
    from hourbook.render.pdf import html_to_pdf  # deferred: WeasyPrint takes most of a second to import

    books = books_templates_folder(root)
    return html_to_pdf(html, [REMINDER_TEMPLATES, TEMPLATES_DIR] + ([books] if books is not None else []))


def points_text(points: Decimal, locale: str) -> str:
    """Percentage points as a plain number by the locale: 8 -> `8`, 8.5 -> `8,5` (es)."""
    return filters.format_amount(points, locale)


@dataclass(frozen=True)
class ListedLetter:
    """A letter found in the reminders folder: by its path, `<day>/<client>/<number>-<level>.html|.pdf`."""

    day: datetime.date
    client: str
    number: str
    level: str
    html: str = ""                              # relative to the index page; "" when that file is not there
    pdf: str = ""


def render_reminders_index(letters: list[ListedLetter], locale: str) -> str:
    """The owner's list of letters (owner/reminders/index.html) in the books' language, newest day first."""
    locale = filters.babel_locale(locale)
    messages = load_messages(locale)
    days: dict[datetime.date, list[ListedLetter]] = {}
    for letter in sorted(letters, key=lambda item: (item.client, item.number)):
        days.setdefault(letter.day, []).append(letter)
    env = books_environment(None, REMINDER_TEMPLATES, TEMPLATES_DIR)
    return env.get_template("reminder_index.html").render(
        days=sorted(days.items(), reverse=True), lang=locale.replace("_", "-"), w=messages,
        t=functools.partial(filters.translate, messages), day=lambda value: filters.format_date(value, locale, "long"))
