"""Checks that need the whole books: clients, workers, quotes, overlapping time, dates.

Each check is `check_x(books, as_of) -> list[Diagnostic]`, run in the order of
`VALIDATIONS`. They only report; they never change records. Pricing reports
what it finds itself (no term in force, uncovered time).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from babel import Locale
from babel import UnknownLocaleError

from hourbook.core.exchange import missing_rates
from hourbook.core.exchange import owner_currency
from hourbook.core.exchange import rate_on
from hourbook.core.money import minor_digits
from hourbook.core.money import quantum
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import TIME
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import SortedEntries
from hourbook.core.records import Source
from hourbook.checks.spelling import check_requester_spelling
from hourbook.checks.spelling import check_tag_spelling
from hourbook.checks.requests import check_reasons
from hourbook.load.scalars import did_you_mean
from hourbook.load.scalars import format_clock
from hourbook.load.scalars import shown


def check_clients(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """Entries whose client has no contract, with a near miss (a client whose contract has errors is known)."""
    known = {contract.id for contract in books.contracts} | books.broken_clients
    return [
        Diagnostic(entry.source, f"unknown client {shown(entry.client)}{_near_client(entry.client, known)}", ERROR)
        for entry in books.entries if entry.client not in known
    ]


def _near_client(client: str, known: set[str]) -> str:
    """What to add to `unknown client X`: a near miss, or why there is none."""
    if not known:
        return " (there are no contracts in contracts/)"
    near = did_you_mean(client, known)
    if near or client == client.lower():
        return near
    return " (client ids are lowercase: a heading of one word names a client)"


def check_expenses(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """An expense is invoiced as written: it must fit its client's currency (JPY 0 decimals, BHD 3)."""
    currencies = {contract.id: contract.currency for contract in reversed(books.contracts)}
    problems = []
    for entry in books.entries:
        if entry.kind != EXPENSE or entry.client not in currencies:
            continue
        code = currencies[entry.client]
        digits = minor_digits(code)
        if entry.amount != entry.amount.quantize(quantum(code)):
            problems.append(Diagnostic(entry.source, f"expense {entry.amount} has more decimals than {code} has "
                                       f"({digits}), the currency of {entry.client!r}: round it", ERROR))
    return problems


def check_workers(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """Entries by a worker not on the `team:` of hourbook.yaml (no worker: the seller, always known)."""
    team = {member.id for member in books.settings.team}
    return [
        Diagnostic(entry.source, f"unknown worker {shown(entry.worker)}: add it to team: in hourbook.yaml"
                   + did_you_mean(entry.worker, team), ERROR)
        for entry in books.entries if entry.worker and entry.worker not in team
    ]


def check_quote_tags(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """A tag shaped like a quote id (`#q-…`) must name one of the client's quotes."""
    problems = []
    by_id = {contract.id: contract for contract in reversed(books.contracts)}  # the first of an id, as Books.contract
    quote_like: dict[tuple[str, ...], bool] = {}  # entries share a few tag tuples: look at each once
    for entry in books.entries:
        tags = entry.tags
        if not tags:
            continue
        has = quote_like.get(tags)
        if has is None:
            has = quote_like[tags] = any(tag.startswith("q-") for tag in tags)
        contract = by_id.get(entry.client) if has else None
        if contract is None:
            continue
        ids = [quote.id for quote in contract.quotes]
        unknown = [tag for tag in entry.tags if tag.startswith("q-") and contract.quote(tag) is None]
        if unknown:  # one message per entry, however many tags a line holds
            tag = unknown[0]
            known = f" (its quotes: {', '.join(ids)})" if ids else " (it has no quotes)"
            more = f"; and {len(unknown) - 1} more unknown quote ids on this entry" if len(unknown) > 1 else ""
            problems.append(Diagnostic(
                entry.source, f"unknown quote id {shown(tag)} for client {entry.client!r}{known}"
                + did_you_mean(tag, [i.lower() for i in ids]) + more, ERROR))
    return problems


def check_overlaps(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """Time ranges of one worker that overlap (a warning: one person, one thing at a time)."""
    by_worker = defaultdict(list)
    for index, entry in enumerate(books.entries):
        if entry.kind == TIME and entry.start is not None:
            base = entry.date.toordinal() * 1440
            source = entry.source
            # Plain tuples sort fast; start, then source order (path, line); the index breaks any tie.
            by_worker[entry.worker].append((base + entry.start, source.path, source.line, index, base + entry.end, entry))
    problems = []
    for spans in by_worker.values():
        spans.sort()
        problems += _overlaps(spans, None)[0]
    return problems


def _overlaps(spans: list[tuple], latest: tuple | None) -> tuple[list[Diagnostic], tuple | None]:
    """The overlaps among one worker's `spans` (sorted, as `check_overlaps` makes them), after ranges
    of which the one that ends latest is `latest` ((start, end, entry), or None): (the diagnostics,
    the range that ends latest after them)."""
    problems = []
    for start, _, _, _, end, entry in spans:
        if latest is not None and start < latest[1]:
            other = latest[2]
            problems.append(Diagnostic(
                entry.source,
                f"{format_clock(entry.start)}-{format_clock(entry.end)} overlaps "
                f"{format_clock(other.start)}-{format_clock(other.end)} on {other.date} at {other.source}",
                WARNING))
        if latest is None or end > latest[1]:
            latest = (start, end, entry)
    return problems, latest


def day_overlaps(entries: list[Entry], latest: tuple | None) -> tuple[list[Diagnostic], tuple | None]:
    """`check_overlaps` one day at a time: the overlaps among one worker's time ranges of one day
    (`entries`, each with a start within the day, in the books' order), after that worker's days
    before it, of whose ranges the one that ends latest is `latest` (or None). Returns the
    diagnostics and the range that ends latest after the day, for the next one. Going over a
    worker's days in order, one after the other, gives what `check_overlaps` gives
    (`build.caches.ValidationCache` keeps each day's answer)."""
    spans = []
    for index, entry in enumerate(entries):
        base = entry.date.toordinal() * 1440
        spans.append((base + entry.start, entry.source.path, entry.source.line, index, base + entry.end, entry))
    spans.sort()
    return _overlaps(spans, latest)


def check_future(books: Books, as_of: datetime.date) -> list[Diagnostic]:
    """Entries dated after `as_of` (a warning: the statements leave them out)."""
    return [
        Diagnostic(entry.source, f"entry dated {entry.date}, after the as-of date {as_of}: "
                   "it is left out of the statements", WARNING)
        for entry in books.entries if entry.date > as_of
    ]


def check_note_languages(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """A warning for each language of the clients that hourbook.yaml's free text has no text in.

    `invoice.note` is printed on every client's invoices, an exemption's note on its client's:
    each in the client's locale, never in another language (`LocalText.text_for`). A client whose
    language has none gets no note (an exemption then says why by its VAT category), and check says so.
    """
    settings = books.settings
    texts = [("invoice.note", settings.invoice_note, books.contracts)]
    texts += [(f"invoice.exemptions.{exemption.client}.note", exemption.note,
               [c for c in books.contracts if c.id == exemption.client and c.tax == 0])
              for exemption in settings.vat_exemptions if exemption.note]
    problems = []
    for name, text, contracts in texts:
        if not text:
            continue
        lacking: dict[str, list[str]] = defaultdict(list)
        for contract in contracts:
            if not text.text_for(contract.locale):
                lacking[contract.locale].append(contract.id)
        for locale, clients in sorted(lacking.items()):
            plain = (f" (one text is taken to be in the books' locale, {language_name(text.texts[0][0])}: write "
                     f"a map by language, {{{text.texts[0][0]}: …, {locale}: …}})" if text.plain else "")
            problems.append(Diagnostic(text.source, f"{name} has no text in {language_name(locale)}, used by "
                                       f"{', '.join(clients)}{plain}", WARNING))
    return problems


def language_name(locale: str) -> str:
    """`German (de)`, `English (en_GB)`: a locale's language named for a diagnostic."""
    try:
        name = Locale.parse(Locale.parse(locale).language).get_display_name("en")
    except (ValueError, UnknownLocaleError):
        name = None
    return f"{name} ({locale})" if name else locale


def check_exchange_rates(books: Books, as_of: datetime.date) -> list[Diagnostic]:
    """A warning for each currency the owner's pages convert (a client's, or the seller's costs when
    `owner_currency` differs) that has no rate in force on its first dated amount (core.exchange)."""
    settings = books.settings
    owner = owner_currency(settings)
    first: dict[str, datetime.date] = {}

    def seen(currency: str, day: datetime.date) -> None:
        if currency != owner and day <= as_of and (currency not in first or day < first[currency]):
            first[currency] = day

    earliest: dict[str, datetime.date] = {}     # client -> its first priced day on or before as_of
    # Entries in date order (the loader's) are gone through only until every contract's first day is seen.
    in_order = type(books.entries) is SortedEntries
    wanted = {contract.id for contract in books.contracts}
    for entry in books.entries:
        day = entry.date
        if in_order and (day > as_of or not wanted):
            break
        if entry.kind in (TIME, EXPENSE) and day <= as_of:
            known = earliest.get(entry.client)
            if known is None or day < known:
                earliest[entry.client] = day
                wanted.discard(entry.client)
    for contract in books.contracts:
        if contract.id in earliest:
            seen(contract.currency, earliest[contract.id])
            seen(settings.currency, earliest[contract.id])
        for block in contract.prepaid:
            if block.price is not None:     # a block's price is converted on the day it was bought
                seen(contract.currency, block.bought)
        for quote in contract.quotes:
            if quote.price is not None and quote.invoice is not None:
                seen(contract.currency, quote.invoice)
    line = settings.exchange_rates_line or settings.source.line
    where = "exchange_rates" if settings.exchange_rates_line else "hourbook.yaml (no exchange_rates)"
    problems = []
    for currency, day in missing_rates(settings, first):
        rate, since = rate_on(settings, currency, day)
        then = (f"the owner's pages use the first listed rate ({since.isoformat()}: {rate})" if since else
                f"the owner's pages count it 1 {currency} = 1 {owner} until a rate is added")
        problems.append(Diagnostic(Source(settings.source.path, line),
                                   f"no exchange rate for {currency} on or before {day.isoformat()} in {where}, "
                                   f"needed to show it in {owner}; {then}", WARNING))
    return problems


VALIDATIONS = [check_clients, check_workers, check_quote_tags, check_overlaps, check_future, check_expenses,
               check_note_languages, check_tag_spelling, check_requester_spelling,
               check_exchange_rates, check_reasons]


# The checks that look at one entry at a time, or at one worker's time (`check_overlaps`), each
# diagnostic at its entry's line: over any split of the entries that keeps each worker's together,
# their diagnostics are those over the whole books. `build.caches.ValidationCache` (watch mode)
# checks again only the workers whose entries changed; the others, `WHOLE_BOOKS`, run every time.
BY_WORKER = (check_clients, check_workers, check_quote_tags, check_overlaps, check_future, check_expenses,
             check_tag_spelling, check_requester_spelling)
# Of those, the ones that look at one entry at a time: over any split of the entries at all, their
# diagnostics are those over the whole books (the cache keeps them by logbook file).
PER_ENTRY = tuple(check for check in BY_WORKER if check is not check_overlaps)
WHOLE_BOOKS = tuple(check for check in VALIDATIONS if check not in BY_WORKER)


def validate(books: Books, as_of: datetime.date, checks=VALIDATIONS) -> list[Diagnostic]:
    """The diagnostics of every check in `checks` (all of `VALIDATIONS` by default), in that order."""
    problems = []
    for check in checks:
        problems.extend(check(books, as_of))
    return problems
