"""What a client reads instead of the freelancer's codes: tag names, surcharges and rates in words,
incidents, expiring blocks, and the "confirm by e-mail" links. Pure: records and messages in, text out.

- A tag is shown on a client document only when `show_tags:` lists it (`Contract.show_tags`, the
  books' and the contract's merged by `load.client_view`). Its name is, first found: the
  contract's name for the page's locale, then for its language, then the one name for every
  language; the built-in name (`tag_<tag>` in the messages); the tag itself.
- A surcharge or a per-tag rate always names its tag, shown or not, by that name: the client
  must see why a line costs more ("urgent, +50 %").
- The mailto links carry the seller's address, a subject and a body in the client's language,
  each part percent-encoded (RFC 6068); the template escapes the whole as any attribute.
"""

from __future__ import annotations

import datetime
from typing import Iterable
from typing import Mapping
from urllib.parse import quote

from babel.units import format_unit

from hourbook.core.incidents import IncidentUse
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Quote
from hourbook.core.records import ShownTag
from hourbook.load.client_view import ALL_LANGUAGES
from hourbook.render.filters import babel_locale
from hourbook.render.filters import format_rate
from hourbook.render.filters import language_of
from hourbook.render.filters import translate

MAIL_LINES = 20                 # held lines named in a mail at most (mail programs cut long links)
EXPIRY_WARNING_DAYS = 30        # a block expiring within this many days, with something left, is flagged
TICKET_TAG = "ticket-"


def tag_name(tag: str, contract: Contract, messages: Mapping[str, str], locale: str) -> str:
    """A tag as a client reads it in `locale` (see the module's docstring for the order)."""
    return name_of_tag(tag, contract.show_tags, messages, locale)


def name_of_tag(tag: str, show_tags: tuple[ShownTag, ...], messages: Mapping[str, str], locale: str) -> str:
    """`tag_name` from the shown tags themselves (an invoice carries them without its contract)."""
    for shown in show_tags:
        if shown.tag == tag:
            names = dict(shown.names)
            for key in (babel_locale(locale), language_of(locale), ALL_LANGUAGES):
                if key in names:
                    return names[key]
            break
    if tag.startswith(TICKET_TAG) and len(tag) > len(TICKET_TAG):
        return translate(messages, "tag_ticket", number=tag[len(TICKET_TAG):])
    built_in = messages.get(f"tag_{tag}")
    return built_in if built_in else tag


def shown_tags(tags: Iterable[str], contract: Contract, messages: Mapping[str, str], locale: str) -> tuple[str, ...]:
    """The names of the tags the client may see, in the entry's order; the others are left out."""
    return names_of_shown(tags, contract.show_tags, messages, locale)


def names_of_shown(tags: Iterable[str], show_tags: tuple[ShownTag, ...], messages: Mapping[str, str],
                   locale: str) -> tuple[str, ...]:
    """`shown_tags` from the shown tags themselves."""
    listed = {shown.tag for shown in show_tags}
    return tuple(name_of_tag(tag, show_tags, messages, locale) for tag in tags if tag in listed)


def surcharge_words(entry: Entry, contract: Contract, messages: Mapping[str, str], locale: str) -> str:
    """`urgent, +50 %`, one per surcharged tag of the entry, joined by `; `; "" without any."""
    term = contract.term_on(entry.date)
    if term is None or entry.kind != "time":
        return ""
    return "; ".join(translate(messages, "surcharge_named", tag=tag_name(tag, contract, messages, locale),
                               rate=format_rate(rate, locale))
                     for tag, rate in term.surcharge if tag in entry.tags)


def rate_words(entry: Entry, contract: Contract, messages: Mapping[str, str], locale: str) -> str:
    """`on-site rate` when the entry's rate is a per-tag rate of its term (`rates:`); "" for the usual rate."""
    term = contract.term_on(entry.date)
    if term is None or entry.kind != "time":
        return ""
    rates = dict(term.rates)
    for tag in entry.tags:
        if tag in rates:
            return translate(messages, "rate_named", tag=tag_name(tag, contract, messages, locale))
    return ""


def incident_words(use: IncidentUse | None, messages: Mapping[str, str]) -> str:
    """`incident 3 of 10, ticket 201`, or without the ticket; "" for a line not on a pack."""
    if use is None:
        return ""
    if use.tickets:
        return translate(messages, "incident_of_ticket", number=use.number, of=use.of, ticket=", ".join(use.tickets))
    return translate(messages, "incident_of", number=use.number, of=use.of)


def days_to_expiry(expires: datetime.date | None, remaining: int, as_of: datetime.date) -> int | None:
    """Days from `as_of` to a block's last day when that is within EXPIRY_WARNING_DAYS and something is left."""
    if expires is None or remaining <= 0 or expires < as_of:
        return None
    days = (expires - as_of).days
    return days if days <= EXPIRY_WARNING_DAYS else None


def format_days(days: int, locale: str) -> str:
    """`12 days`, `12 días`, `12 дней`: a count of days with its plural, by Babel."""
    return format_unit(days, "duration-day", length="long", locale=babel_locale(locale))


# --------------------------------------------------------------- confirm by e-mail


def mailto(address: str, subject: str, body: str) -> str:
    """A `mailto:` URL with the subject and body percent-encoded; "" without an address."""
    if not address:
        return ""
    return (f"mailto:{quote(address, safe='@')}?subject={quote(subject, safe='')}"
            f"&body={quote(body.replace(chr(13), '').replace(chr(10), chr(13) + chr(10)), safe='')}")


def held_mailto(address: str, client: str, period: str, rows: list[str], messages: Mapping[str, str]) -> str:
    """The link confirming a statement's held lines; `rows`: one text per line (date, work, hours, value)."""
    subject = translate(messages, "mail_held_subject", client=client, period=period)
    named = [f"- {row}" for row in rows[:MAIL_LINES]]
    if len(rows) > MAIL_LINES:
        named.append(translate(messages, "mail_more_lines", count=len(rows) - MAIL_LINES))
    body = "\n".join([translate(messages, "mail_greeting"), "",
                      translate(messages, "mail_held_body", period=period), "",
                      *named, "",
                      translate(messages, "mail_regards"), ""])
    return mailto(address, subject, body)


def quote_mailto(address: str, client: str, quote: Quote, price: str, estimate: str,
                 messages: Mapping[str, str]) -> str:
    """The link approving a quote: its id, title, price and estimate in subject and body."""
    title = quote.title
    untitled = "" if title else "_untitled"
    subject = translate(messages, "mail_quote_subject" + untitled, id=quote.id, title=title, client=client)
    facts = [translate(messages, "mail_quote_price", price=price)] if price else []
    if estimate:
        facts.append(translate(messages, "mail_quote_estimate", estimate=estimate))
    body = "\n".join([translate(messages, "mail_greeting"), "",
                      translate(messages, "mail_quote_body" + untitled, id=quote.id, title=title), "",
                      *(f"- {fact}" for fact in facts), "",
                      translate(messages, "mail_regards"), ""])
    return mailto(address, subject, body)


def line_row(day: str, work: str, hours: str, value: str) -> str:
    """One held line in a mail body: `3 Nov 2026 – printer driver – 1:15 – 75,00 €` (empty parts left out)."""
    return " – ".join(part for part in (day, work, hours, value) if part)

