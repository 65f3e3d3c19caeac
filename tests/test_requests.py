"""Requests across the books (core/requests.py, owner/requests.html, docs/requests.md).

The figures are computed by hand in the comments beside each assertion; the book of
`test_worked_example` is the worked example of docs/requests.md.
"""

from __future__ import annotations

import datetime
import re
import textwrap
from decimal import Decimal

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook import pipeline
from hourbook.checks.requests import reason_tags
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import Entry
from hourbook.core.records import Source
from hourbook.core.requests import figures_of
from hourbook.core.requests import requests_of
from hourbook.core.requests import requests_of_client
from hourbook.core.requests import plain_same_text
from hourbook.core.requests import same_text
from hourbook.core.requests import studio_figures
from hourbook.output.text import format_diagnostic
from hourbook.render import render_site
from conftest import REPO

D = datetime.date

CONTRACT = """\
    name: ACME Industries
    terms:
      - from: 2026-01-01
        kind: hourly
        rate: 60
        surcharge: {urgent: 50%}
"""
SETTINGS = """\
    seller: {name: Ana Ruiz Consulting}
    currency: EUR
    locale: en
    period: month
    reasons: [printer, hardware, urgent]
"""
# The worked example of docs/requests.md (as of 2026-11-30).
LOGBOOK = """\
    # 2026-10-01

    ## acme
    - [x] 2026-10-05 printer jams #printer
    - [ ] new laptop for Ana #hardware

    # 2026-10-10

    ## acme
    - 1h printer drivers #ticket-7 #printer

    # 2026-10-12

    ## acme
    - 30m more drivers #ticket-7

    # 2026-11-04

    ## acme
    - [x] Printer  JAMS! #printer

    # 2026-11-05

    ## acme
    - [ ] drivers broken again #ticket-7

    # 2026-11-20

    ## acme
    - [ ] call about <billing> #urgent
"""
AS_OF = D(2026, 11, 30)


def example(books) -> tuple:
    root = books({"hourbook.yaml": SETTINGS, "contracts/acme.yaml": CONTRACT, "logbook/2026-11.md": LOGBOOK})
    priced, diagnostics = pipeline.load_and_price(root, AS_OF)
    return root, priced, diagnostics


def test_worked_example(books):
    _, priced, diagnostics = example(books)
    # urgent is a surcharge tag of the contract: a flag, never a reason, and check says so
    assert [format_diagnostic(d) for d in diagnostics] == [
        "hourbook.yaml:5: warning: reasons: #urgent is a surcharge tag, a flag, not a reason why a client asks; "
        "it is not counted as a reason"]
    assert reason_tags(priced.books) == ("printer", "hardware")
    studio, clients, requests = studio_figures(priced.books.entries, ("printer", "hardware"), AS_OF, "month")
    by_text = {r.text: r for r in requests}
    assert sorted(by_text) == ["Printer JAMS!", "call about <billing>", "new laptop for Ana", "printer drivers",
                               "printer jams"]
    jams, laptop, ticket = by_text["printer jams"], by_text["new laptop for Ana"], by_text["printer drivers"]
    again, billing = by_text["Printer JAMS!"], by_text["call about <billing>"]
    # printer jams: opened 10-01, closed 10-05 -> 4 days
    assert (jams.opened, jams.closed, jams.days_to_close()) == (D(2026, 10, 1), D(2026, 10, 5), 4)
    # ticket-7: three entries; worked 10-10 and 10-12 (closed 10-12), re-opened by the [ ] item of 11-05
    assert ticket.ticket == "ticket-7" and len(ticket.entries) == 3
    assert (ticket.closed, ticket.reopened, ticket.age(AS_OF)) == (None, 1, 51)   # 10-10 -> 11-30: 21 + 30
    # the same text as "printer jams" (case, spacing, punctuation aside), closed 30 days before it opened
    assert again.again and again.again_of == jams.source and again.days_to_close() == 0
    assert (laptop.age(AS_OF), billing.age(AS_OF)) == (60, 10)   # 10-01 -> 11-30: 30 + 30; 11-20 -> 11-30
    assert billing.reasons == () and laptop.reasons == ("hardware",)
    assert studio.total == 5 and (studio.open, studio.closed) == (3, 2)
    assert studio.open_by_age == (0, 1, 2, 0)               # 10 days in 8-30; 51 and 60 in 31-90
    assert [r.text for r in studio.oldest] == ["new laptop for Ana", "printer drivers", "call about <billing>"]
    assert studio.median_days == Decimal(2)                 # days to close 4 and 0: (0 + 4) / 2
    assert studio.mean_days == Decimal("2.0")
    assert (studio.again, studio.reopened, studio.without_reason) == (1, 1, 1)
    # printer: jams, ticket-7, the repeat; hardware: the laptop
    assert [(c.tag, c.requests) for c in studio.reasons] == [("printer", 3), ("hardware", 1)]
    assert studio.periods == ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
    assert studio.reasons[0].per_period == (0, 0, 0, 0, 2, 1)   # October: jams, ticket-7; November: the repeat
    # opened: October jams, laptop, ticket-7; November the repeat and billing. Closed: jams (10-05), repeat (11-04)
    assert [(p.period, p.opened, p.closed, p.again) for p in studio.trend[-2:]] == [
        ("2026-10", 3, 1, 0), ("2026-11", 2, 1, 1)]
    assert [c.client for c in clients] == ["acme"] and clients[0].total == 5


def test_the_docs_show_this_example():
    docs = (REPO / "docs" / "requests.md").read_text(encoding="utf-8")
    worked = docs.split("## Worked example", 1)[1]
    assert "```yaml\n" + textwrap.dedent(SETTINGS) + "```" in worked
    assert "```markdown\n" + textwrap.dedent(LOGBOOK) + "```" in worked
    for figure in ("**4 days**", "**60 days**", "**51 days**", "median **(0 + 4) / 2 = 2**", "mean **2.0**",
                   "printer **3**", "**0 0 0 0 2 1**", "hourbook.yaml:5: warning: reasons: #urgent is a"):
        assert figure in worked, figure


def entry(day: D, text: str, *, kind: str = REQUEST, done: bool = True, closed: D | None = None,
          tags: tuple[str, ...] = (), line: int = 1, client: str = "acme") -> Entry:
    return Entry(kind=kind, date=day, client=client, source=Source("logbook/x.md", line), minutes=30 if kind == TIME else 0,
                 description=text, tags=tags, done=done, closed=closed)


def test_again_within_30_days_not_31():
    # the first one closed 10-05: a later one with the same text on 11-04 (30 days) is logged again,
    # on 11-05 (31 days) it is a new request
    first = entry(D(2026, 10, 1), "Impresora no imprime", closed=D(2026, 10, 5), line=1)
    thirty = entry(D(2026, 11, 4), "impresora  NO imprimé", line=2)
    thirty_one = entry(D(2026, 11, 5), "impresora no imprime", line=2)
    assert [r.again for r in requests_of([first, thirty], (), AS_OF)] == [False, True]
    assert [r.again for r in requests_of([first, thirty_one], (), AS_OF)] == [False, False]


def test_again_while_the_first_is_open_and_by_tag():
    first = entry(D(2026, 1, 1), "backup failed", done=False, line=1)
    later = entry(D(2026, 6, 1), "Backup failed.", line=2)           # months later, but the first is still open
    tagged = entry(D(2026, 6, 2), "something else", tags=("again",), line=3)
    other_client = entry(D(2026, 6, 3), "backup failed", client="globex", line=4)
    flags = {r.text: r.again for r in requests_of([first, later, tagged, other_client], (), AS_OF)}
    assert flags == {"backup failed": False, "Backup failed.": True, "something else": True}
    assert [r.again for r in requests_of([other_client], (), AS_OF)] == [False]


def test_same_text():
    assert same_text("  Impresora: NO imprime!! ") == same_text("impresora no imprime") == "impresora no imprime"
    assert same_text("Über Drucker") == same_text("uber drucker")
    assert same_text("Принтерът") == "принтерът"
    assert same_text("printer") != same_text("printers")


@settings(max_examples=500, deadline=None)
@given(st.text() | st.text(alphabet="aeiouÜüñÑçİıß_ -!\u0301\u0308\u034f\u0903\u00b2\u2163\u3000\u00a0\ufb01"))
def test_same_text_is_its_plain_definition(text):
    # In C (translate and a regular expression) what the definition says a character at a time:
    # combining marks dropped (ccc, not the Mn category: U+034F and U+0903), case folded, the
    # words taken by `str.isalnum` (digits of every kind, no "_").
    assert same_text(text) == plain_same_text(text)


def test_reasons_are_tags_listed_and_never_flags(books):
    root = books({"hourbook.yaml": SETTINGS.replace("[printer, hardware, urgent]", "[printer, goodwill, ticket-7, again]"),
                  "contracts/acme.yaml": CONTRACT, "logbook/2026-11.md": LOGBOOK})
    priced, diagnostics = pipeline.load_and_price(root, AS_OF)
    assert sorted(d.message.split(",")[0] for d in diagnostics) == [
        "reasons: #again is the mark of a request logged again", "reasons: #goodwill is a built-in tag",
        "reasons: #ticket-7 is a ticket"]
    assert reason_tags(priced.books) == ("printer",)


def test_reasons_not_a_list_is_a_located_error(books):
    root = books({"hourbook.yaml": SETTINGS.replace("[printer, hardware, urgent]", "printer"),
                  "contracts/acme.yaml": CONTRACT, "logbook/2026-11.md": LOGBOOK})
    priced, diagnostics = pipeline.load_and_price(root, AS_OF)
    assert [format_diagnostic(d) for d in diagnostics] == [
        "hourbook.yaml:5: error: reasons must be a list of tags, or a mapping of tag: {language: name}, got str 'printer'"]
    assert priced.books.settings.reasons == ()


def test_reason_names_by_language_and_their_errors(books):
    root = books({"hourbook.yaml": SETTINGS.replace("[printer, hardware, urgent]",
                                                    "\n      printer: {es: impresora, xx: bad}\n      hardware: Hardware"),
                  "contracts/acme.yaml": CONTRACT, "logbook/2026-11.md": LOGBOOK})
    priced, diagnostics = pipeline.load_and_price(root, AS_OF)
    assert [format_diagnostic(d) for d in diagnostics] == [
        "hourbook.yaml:6: error: reasons: unknown language 'xx'; use a code like en, es, de, ru, bg (or en_GB)"]
    assert [(r.tag, r.names) for r in priced.books.settings.reasons] == [
        ("printer", (("es", "impresora"),)), ("hardware", (("*", "Hardware"),))]


def test_closing_a_request_after_as_of_leaves_it_open():
    request = entry(D(2026, 11, 28), "toner", closed=D(2026, 12, 2))
    (made,) = requests_of([request], (), AS_OF)
    assert made.closed is None and made.age(AS_OF) == 2


def test_yaml_logbook_closed_field(books):
    root = books({"hourbook.yaml": SETTINGS, "contracts/acme.yaml": CONTRACT, "logbook/r.yaml": """\
        client: acme
        entries:
          - {date: 2026-11-02, request: true, closed: 2026-11-09, note: new mailbox}
    """})
    priced, diagnostics = pipeline.load_and_price(root, AS_OF)
    (made,) = requests_of(priced.books.entries, (), AS_OF)
    assert (made.closed, made.days_to_close()) == (D(2026, 11, 9), 7)


def test_page_is_owner_only_escaped_and_says_the_figures(books):
    root, priced, _ = example(books)
    files = render_site(priced, root, {}, pdf=False)
    assert "owner/requests.html" in files and not any(path.startswith("public/") and "request" in path for path in files)
    html = files["owner/requests.html"].decode()
    assert "call about &lt;billing&gt;" in html and "<billing>" not in html
    # The one script: owner/owner.js, the owner's tables' sorting (docs/owner.md, "Reading the pages").
    assert html.count("<script") == 1 and '<script src="owner.js" defer' in html
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Open 3 of 5 in all" in text
    assert "Days to close (median) 2 mean: 2" in text
    assert "printer 3 0 0 0 0 2 1" in text                  # the reasons' trend row
    assert 'href="requests.html"' in files["owner/index.html"].decode()


# ----------------------------------------------------------------------------- properties

DAYS = st.integers(min_value=0, max_value=120).map(lambda n: D(2026, 8, 1) + datetime.timedelta(days=n))
ENTRIES = st.lists(st.tuples(DAYS, st.sampled_from(["acme", "globex"]), st.sampled_from([REQUEST, TIME]),
                             st.booleans(), st.sampled_from(["", "ticket-1", "ticket-2"]),
                             st.sampled_from(["printer", "Printer!", "email", ""]),
                             st.one_of(st.none(), st.integers(min_value=0, max_value=40))),
                   max_size=30)


def generated_entries(rows) -> list[Entry]:
    """ENTRIES' rows as entries, one a line of one logbook."""
    return [Entry(kind=kind, date=day, client=client, source=Source("logbook/x.md", line + 1),
                  minutes=30 if kind == TIME else 0, tags=(ticket,) if ticket else (), description=text,
                  done=done, closed=day + datetime.timedelta(days=late) if done and late is not None else None)
            for line, (day, client, kind, done, ticket, text, late) in enumerate(rows)]


@settings(max_examples=150, deadline=None)
@given(ENTRIES, st.randoms(use_true_random=False))
def test_a_client_s_requests_are_made_of_its_own_entries_in_any_order(rows, shuffler):
    # What lets the build keep each client's requests by its priced record (build.disk_cache.
    # DiskClientRequests): the requests of the books are each client's, made from that client's
    # entries alone, whatever the order of the entries and whoever else has some.
    entries = generated_entries(rows)
    as_of = D(2026, 11, 15)
    whole = requests_of(entries, ("printer",), as_of)
    shuffled = list(entries)
    shuffler.shuffle(shuffled)
    assert requests_of(shuffled, ("printer",), as_of) == whole
    by_client = [request for client in ("acme", "globex")
                 for request in requests_of([e for e in entries if e.client == client], ("printer",), as_of)]
    assert tuple(by_client) == whole
    asked = []

    def spy(client, found, reasons, day):
        asked.append(client)
        return requests_of_client(client, found, reasons, day)
    assert requests_of(entries, ("printer",), as_of, client_requests=spy) == whole
    assert asked == sorted({request.client for request in whole})


@settings(max_examples=150, deadline=None)
@given(ENTRIES)
def test_every_request_open_or_closed_once_and_every_entry_in_at_most_one(rows):
    entries = generated_entries(rows)
    as_of = D(2026, 11, 15)
    requests = requests_of(entries, ("printer",), as_of)
    studio = figures_of("", requests, ("printer",), as_of, "month")
    assert studio.open + studio.closed == studio.total == len(requests)
    assert sum(studio.open_by_age) == studio.open
    owners: dict = {}
    for request in requests:
        for source in request.entries:
            assert source not in owners, "an entry in two requests"
            owners[source] = request
    for item in entries:
        counted = item.date <= as_of and (item.kind == REQUEST or bool(item.tags))
        assert (item.source in owners) == counted
    for request in requests:
        assert request.closed is None or request.opened <= request.closed <= as_of
