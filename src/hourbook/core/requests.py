"""Requests across the books: which entries make one request, when it opened and closed, which came
back, and why clients ask (docs/requests.md). Pure: entries and dates in, frozen records out.

A request is
  - every entry of a client that carries the same `#ticket-…` tag (its first one): opened on the day
    of its first entry; in date order, a `- [ ]` item opens it (re-opens it, when it was closed), a
    `- [x]` item closes it, and work logged while no `- [ ]` item is waiting closes it on its day;
  - else each `- [ ]` / `- [x]` item on its own: opened on its day, closed on the date written after
    `[x]` (`- [x] 2026-11-05 …`), or on its own day when none is written.
Time entries and expenses without a ticket belong to no request. So every entry belongs to at most
one request, and every request is either open or closed on `as_of` (`requests_of`, `figures_of`).

A request is *logged again* when one of its entries carries `#again`, or when an earlier request of
the same client has the same text (`same_text`) and was still open on the day the later one opened,
or closed at most `AGAIN_WITHIN_DAYS` days before it. Reasons are the tags the owner lists under
`reasons:` in hourbook.yaml; flags (`#urgent`, `#goodwill`…) are never reasons (checks.requests).

This module neither formats nor translates: `render.requests` does, `report --json` can serialise
the records as they are.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Callable
from typing import Iterable

from hourbook.core import periods
from hourbook.core.records import REQUEST
from hourbook.core.records import ClientId
from hourbook.core.records import Entry
from hourbook.core.records import Source
from hourbook.core.records import Tag

TICKET_PREFIX = "ticket-"
AGAIN_TAG = "again"
AGAIN_WITHIN_DAYS = 30
# Open requests by age in days: (first day, last day or None for "and over").
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 7), (8, 30), (31, 90), (91, None))
OLDEST_SHOWN = 10
TREND_PERIODS = 6


@dataclass(frozen=True)
class Request:
    """One request of one client, as of a day."""

    client: ClientId
    ticket: Tag                             # the `ticket-…` tag that groups it; "" for a lone item
    text: str                               # the description of its first entry that has one
    opened: datetime.date
    closed: datetime.date | None            # None: still open on as_of
    source: Source                          # where it was first logged
    entries: tuple[Source, ...]             # every entry that belongs to it
    reasons: tuple[Tag, ...] = ()           # its tags listed under `reasons:`, in the order they appear
    reopened: int = 0                       # times a `- [ ]` item re-opened it after a `- [x]` one
    again: bool = False                     # logged again (#again, or the same text within 30 days)
    again_of: Source | None = None          # the earlier request with the same text, if that is why

    def days_to_close(self) -> int | None:
        """Days from opening to closing (0: closed the day it opened); None while open."""
        return None if self.closed is None else (self.closed - self.opened).days

    def age(self, as_of: datetime.date) -> int:
        """Days since it opened, on `as_of`."""
        return (as_of - self.opened).days


# `requests_of_client`'s signature: (client, its entries that are requests or carry a ticket, with
# the ticket, the reasons, the day) -> the client's requests.
ClientRequests = Callable[[ClientId, list, frozenset, datetime.date], tuple[Request, ...]]


@dataclass(frozen=True)
class ReasonCount:
    """How many requests had one reason: in all, and in each period of the trend."""

    tag: Tag
    requests: int
    per_period: tuple[int, ...]             # one count per `RequestFigures.periods`


@dataclass(frozen=True)
class PeriodCount:
    """One period of the trend: requests opened, closed and logged again in it."""

    period: str
    opened: int
    closed: int
    again: int


@dataclass(frozen=True)
class RequestFigures:
    """The request figures of one client, or of the whole studio (client "")."""

    client: ClientId
    total: int
    open: int
    closed: int
    open_by_age: tuple[int, ...]            # one count per AGE_BUCKETS
    oldest: tuple[Request, ...]             # the oldest open ones, oldest first, at most OLDEST_SHOWN
    median_days: Decimal | None             # days to close over every closed request; None: none closed
    mean_days: Decimal | None               # rounded half up to one decimal
    again: int
    reopened: int                           # requests re-opened at least once
    reasons: tuple[ReasonCount, ...]        # most requests first, then by tag
    without_reason: int                     # requests with none of the reasons
    without_reason_per_period: tuple[int, ...]  # ... by the period they opened in
    periods: tuple[str, ...]                # the trend's periods, oldest first
    trend: tuple[PeriodCount, ...]


def same_text(text: str) -> str:
    """The text two requests must share to be "the same request": accents, case, punctuation and
    spacing left out (`Impresora  NO imprime!` and `impresora no imprime` are the same).

    It is `plain_same_text`, worked out in C rather than a character at a time (the requests
    page of books whose descriptions run to paragraphs went through millions of characters):
    the combining marks dropped from the runs of characters that are not ASCII, the words (runs of characters `str.isalnum`
    takes) found by a regular expression. `tests/test_requests.py` pins the two together.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():                 # ASCII has no combining mark
        decomposed = _NOT_ASCII.sub(_without_combining, decomposed)
    return " ".join(_WORD.findall(decomposed.casefold()))


def plain_same_text(text: str) -> str:
    """`same_text` as its definition says it, a character at a time."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join("".join(char if char.isalnum() else " " for char in letters).split())


_NOT_ASCII = re.compile("[^\x00-\x7f]+")
_KEPT_OF: dict[str, str] = {}                    # a run of characters that are not ASCII -> it without its combining marks


def _without_combining(run: re.Match) -> str:
    text = run.group()
    kept = _KEPT_OF.get(text)
    if kept is None:
        kept = "".join(char for char in text if not unicodedata.combining(char))
        if len(_KEPT_OF) < 100_000:              # the accents of a few languages: few runs
            _KEPT_OF[text] = kept
    return kept


# A run of the characters `str.isalnum` takes: for text, `\w` is those and "_" (CPython's sre).
_WORD = re.compile(r"[^\W_]+")


def ticket_of(entry: Entry) -> Tag:
    """The entry's first `#ticket-…` tag, "" when it has none."""
    for tag in entry.tags:
        if tag.startswith(TICKET_PREFIX) and len(tag) > len(TICKET_PREFIX):
            return tag
    return ""


def requests_of(entries: Iterable[Entry], reasons: Iterable[Tag], as_of: datetime.date,
                client_requests: ClientRequests | None = None) -> tuple[Request, ...]:
    """Every request in `entries` dated up to `as_of`, by client, then opening day, then source.

    Args:
        entries: the books' entries (any order; each client's are taken in date, file, line order).
        reasons: the tags that count as reasons (hourbook.yaml `reasons:`).
        as_of: the day of the figures; later entries are left out.
        client_requests: stands in for `requests_of_client` (same arguments and result), e.g. to
            take a client's requests from a build before (`build.disk_cache.DiskClientRequests`).

    Returns:
        The requests, each entry in at most one of them.
    """
    reason_set = frozenset(reasons)
    # Only requests and ticketed entries are sorted: on big books most entries are neither.
    tickets: dict[tuple[Tag, ...], Tag] = {}     # tags tuples are shared by the loaders: one look a kind
    found: dict[ClientId, list[tuple[Entry, Tag]]] = defaultdict(list)
    for entry in entries:
        tags = entry.tags
        ticket = tickets.get(tags)
        if ticket is None:
            ticket = tickets[tags] = ticket_of(entry)
        if (ticket or entry.kind == REQUEST) and entry.date <= as_of:
            found[entry.client].append((entry, ticket))
    make = client_requests or requests_of_client
    made: list[Request] = []
    for client in sorted(found):             # a client's requests depend on its own entries only
        made += make(client, found[client], reason_set, as_of)
    return tuple(made)


def requests_of_client(client: ClientId, found: list[tuple[Entry, Tag]], reasons: frozenset[Tag],
                       as_of: datetime.date) -> tuple[Request, ...]:
    """One client's requests: `requests_of` of its entries that are requests or carry a ticket
    (`found`: each with its ticket, "" for none, dated up to `as_of`, in the books' order)."""
    found = sorted(found, key=lambda pair: (pair[0].date, pair[0].source.path, pair[0].source.line))
    groups: dict[Tag, list[Entry]] = defaultdict(list)
    lone: list[Entry] = []
    for entry, ticket in found:
        if ticket:
            groups[ticket].append(entry)
        else:
            lone.append(entry)
    made = [_ticket_request(client, ticket, group, reasons, as_of) for ticket, group in groups.items()]
    made += [_ticket_request(client, "", [entry], reasons, as_of) for entry in lone]
    made.sort(key=lambda r: (r.opened, r.source.path, r.source.line))
    return tuple(_mark_again(made))


def _ticket_request(client: ClientId, ticket: Tag, group: list[Entry], reasons: frozenset[Tag],
                    as_of: datetime.date) -> Request:
    """The request made of `group` (date order): its opening, closing and re-openings."""
    closed: datetime.date | None = None
    waiting = False                          # a `- [ ]` item is open: work alone does not close it
    reopened = 0
    for entry in group:
        if entry.kind != REQUEST:
            if not waiting:                  # work on a ticket nobody left open: done that day
                closed = entry.date if closed is None else max(closed, entry.date)
        elif entry.done:
            closed, waiting = entry.closed or entry.date, False
        else:
            if closed is not None:
                reopened += 1
            closed, waiting = None, True
    if closed is not None and closed > as_of:
        closed = None                        # closed after the day of the figures: open on that day
    first_text = next((e.description for e in group if e.description), "")
    seen: dict[Tag, None] = {}
    for entry in group:
        for tag in entry.tags:
            if tag in reasons:
                seen[tag] = None
    return Request(client=client, ticket=ticket, text=first_text, opened=group[0].date, closed=closed,
                   source=group[0].source, entries=tuple(e.source for e in group),
                   reasons=tuple(seen), reopened=reopened,
                   again=any(AGAIN_TAG in e.tags for e in group))


def _mark_again(made: list[Request]) -> list[Request]:
    """Each request marked `again` when an earlier one of its client has the same text and was
    open on its opening day or closed at most AGAIN_WITHIN_DAYS days before it."""
    latest: dict[tuple[ClientId, str], Request] = {}
    result = []
    for request in made:
        key = (request.client, same_text(request.text))
        earlier = latest.get(key) if key[1] else None
        if earlier is not None and (earlier.closed is None or earlier.closed >= request.opened
                                    or (request.opened - earlier.closed).days <= AGAIN_WITHIN_DAYS):
            request = Request(**{**request.__dict__, "again": True, "again_of": earlier.source})
        if key[1]:
            latest[key] = request
        result.append(request)
    return result


def median(values: list[int]) -> Decimal | None:
    """The median of whole days, as a Decimal (the mean of the two middle ones for an even count)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def mean(values: list[int]) -> Decimal | None:
    """The mean of whole days, rounded half up to one decimal."""
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def age_bucket(days: int) -> int:
    """The index in AGE_BUCKETS of an open request `days` old."""
    for index, (_, last) in enumerate(AGE_BUCKETS):
        if last is None or days <= last:
            return index
    return len(AGE_BUCKETS) - 1


def trend_periods(as_of: datetime.date, kind: str, count: int = TREND_PERIODS) -> tuple[str, ...]:
    """The `count` periods ending with the one that holds `as_of`, oldest first."""
    names = [periods.period_of(as_of, kind)]
    while len(names) < count:
        start = periods.bounds(names[-1])[0]
        if start <= datetime.date.min:
            break                               # the calendar's first period has none before it
        names.append(periods.period_of(start - datetime.timedelta(days=1), kind))
    return tuple(reversed(names))


def figures_of(client: ClientId, requests: Iterable[Request], reasons: Iterable[Tag], as_of: datetime.date,
               period_kind: str) -> RequestFigures:
    """The figures of `requests` (one client's, or all of them for the studio, client "").

    Args:
        client: the client id, "" for the whole studio.
        requests: the requests to count (from `requests_of`).
        reasons: the reason tags, in the owner's order (ties in the counts keep it).
        as_of: the day ages are measured on.
        period_kind: `month` or `quarter`, for the trend.

    Returns:
        Counts, ages, days to close, repeats, reasons and the per-period trend.
    """
    requests = list(requests)
    names = trend_periods(as_of, period_kind)
    index = {name: position for position, name in enumerate(names)}
    open_ones = [r for r in requests if r.closed is None]
    closed_days = [r.days_to_close() for r in requests if r.closed is not None]
    by_age = [0] * len(AGE_BUCKETS)
    for request in open_ones:
        by_age[age_bucket(request.age(as_of))] += 1
    oldest = sorted(open_ones, key=lambda r: (r.opened, r.client, r.source.path, r.source.line))[:OLDEST_SHOWN]
    opened, closed, again, unexplained = ([0] * len(names) for _ in range(4))
    reason_totals: Counter = Counter()
    reason_trend: dict[Tag, list[int]] = defaultdict(lambda: [0] * len(names))
    for request in requests:
        at = index.get(periods.period_of(request.opened, period_kind))
        if at is not None:
            opened[at] += 1
            again[at] += request.again
            unexplained[at] += not request.reasons
        if request.closed is not None and (end := index.get(periods.period_of(request.closed, period_kind))) is not None:
            closed[end] += 1
        for tag in request.reasons:
            reason_totals[tag] += 1
            if at is not None:
                reason_trend[tag][at] += 1
    order = {tag: position for position, tag in enumerate(reasons)}
    reason_counts = tuple(ReasonCount(tag, count, tuple(reason_trend[tag]))
                          for tag, count in sorted(reason_totals.items(),
                                                   key=lambda item: (-item[1], order.get(item[0], len(order)), item[0])))
    return RequestFigures(
        client=client, total=len(requests), open=len(open_ones), closed=len(closed_days),
        open_by_age=tuple(by_age), oldest=tuple(oldest),
        median_days=median(closed_days), mean_days=mean(closed_days),
        again=sum(r.again for r in requests), reopened=sum(1 for r in requests if r.reopened),
        reasons=reason_counts, without_reason=sum(1 for r in requests if not r.reasons),
        without_reason_per_period=tuple(unexplained),
        periods=names,
        trend=tuple(PeriodCount(name, opened[i], closed[i], again[i]) for i, name in enumerate(names)))


def studio_figures(entries: Iterable[Entry], reasons: tuple[Tag, ...], as_of: datetime.date,
                   period_kind: str, client_requests: ClientRequests | None = None
                   ) -> tuple[RequestFigures, tuple[RequestFigures, ...], tuple[Request, ...]]:
    """The studio's figures, each client's (by id) and the requests they were made of.

    Args:
        entries: the books' entries.
        reasons: hourbook.yaml `reasons:` tags.
        as_of: the day of the figures.
        period_kind: the books' period.
        client_requests: stands in for `requests_of_client` (see `requests_of`).

    Returns:
        (studio-wide figures, per-client figures for each client with a request, the requests).
    """
    requests = requests_of(entries, reasons, as_of, client_requests)
    by_client: dict[ClientId, list[Request]] = defaultdict(list)
    for request in requests:
        by_client[request.client].append(request)
    clients = tuple(figures_of(client, group, reasons, as_of, period_kind) for client, group in sorted(by_client.items()))
    return figures_of("", requests, reasons, as_of, period_kind), clients, requests
