"""What a client sees, can check and can do (issue 12, items 4-6), with hand-computed figures.

Tags hidden unless `show_tags` lists them, requesters by name, surcharges and rates in words;
an hours card that adds up to the line groups; hours as h:mm or decimal; incidents numbered;
blocks expiring soon flagged; "confirm by e-mail" links; quotes awaiting approval listed.
"""

from __future__ import annotations

import datetime
import html as html_lib
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.core.documents import split_statement
from hourbook.core.incidents import number_incidents
from hourbook.core.invoice import make_invoice
from hourbook.core.pricing import price_client
from hourbook.core.records import ERROR
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Party
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import ShownTag
from hourbook.core.records import Source
from hourbook.core.records import Term
from hourbook.core.register import plan_records
from hourbook.load.client_view import merge_show_tags
from hourbook.pipeline import load_and_price
from hourbook.render import render_site
from hourbook.render.html import load_messages
from hourbook.render.invoice import render_html
from hourbook.render.statement import client_statement

EXAMPLE_BOOKS = Path(__file__).resolve().parent.parent

SETTINGS = """\
    seller:
      name: Ana Ruiz Consulting
      email: ana@example.com
    currency: EUR
    locale: en
    show_tags: [urgent]
"""

CONTRACT = """\
    name: Acme Ltd
    tax: 21%
    contacts:
      marta: Marta Sánchez (CTO)
    show_tags:
      onsite: {en: on-site visit, es: presencial}
    terms:
      - from: 2026-01-01
        kind: hourly
        rate: 60
        rates: {onsite: 80}
        increment: 15m
        surcharge: {urgent: 50%}
    quotes:
      - id: Q-7
        title: New firewall & VPN
        price: 1200
        estimate: 16h
"""

LOGBOOK = """\
    ---
    client: acme
    ---
    # 2026-11-03
    - 1h10m @marta network fix #onsite #urgent #internal
    - 20m question about mail #support
    - 45m @pedro admin access <for> R&D #support
    - 1h router at home #goodwill
"""


def priced_books(root: Path, as_of: str):
    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(as_of))
    assert [d for d in diagnostics if d.severity == ERROR] == []
    return priced


def pages(root: Path, as_of: str) -> dict[str, str]:
    priced = priced_books(root, as_of)
    folders = {c.contract.id: f"{c.contract.id}-0123abcd" for c in priced.clients}
    files = render_site(priced, root, folders, pdf=False)
    return {path: data.decode() for path, data in files.items() if path.endswith(".html")}


def text_of(page: str) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def mailtos(page: str) -> list[tuple[str, str, str]]:
    """(address, subject, body) of every mailto link of a page, decoded as a mail program would."""
    found = []
    for href in re.findall(r'href="(mailto:[^"]*)"', page):
        url = html_lib.unescape(href)
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert " " not in url and "\n" not in url and "<" not in url      # percent-encoded
        found.append((unquote(parts.path), query["subject"][0], query["body"][0]))
    return found


def test_statement_hides_tags_names_people_and_says_surcharges_in_words(books):
    root = books({"hourbook.yaml": SETTINGS, "contracts/acme.yaml": CONTRACT, "logbook/n.md": LOGBOOK})
    page = pages(root, "2026-11-30")["public/acme-0123abcd/2026-11.html"]
    text = text_of(page)
    # 1h10m at the on-site rate 80, rounded to 1h15m, +50 % urgent: 80 × 1.25 × 1.5 = 150.00.
    assert "on-site visit rate" in text and "urgent, +50%" in text and "€150.00" in text
    assert '<span class="tag">on-site visit</span>' in page and '<span class="tag">urgent</span>' in page
    for hidden in ("#", "internal", "support", "@marta", "@pedro", "+50% surcharge"):
        assert hidden not in text, hidden
    assert "requested by Marta Sánchez (CTO)" in text
    assert "Requested by pedro, who is not an authorised contact" in text   # no name known: the handle
    # The card: logged 70 + 20 + 45 + 60 = 195 min = 3:15; billed 75 + 30 = 105 min = 1:45.
    assert "Hours worked 3:15 Hours billed 1:45" in text
    # Goodwill is named in the reason, not again as a chip.
    assert "Goodwill" in text and '<span class="tag">goodwill</span>' not in page


def test_hours_card_adds_up_to_the_groups_on_every_example_statement():
    priced = priced_books(EXAMPLE_BOOKS, "2026-12-31")
    checked = 0
    for client in priced.clients:
        messages = load_messages(client.contract.locale)
        for statement in client.statements:
            view, _ = client_statement(client, statement, messages, client.contract.locale, priced.as_of, "")
            assert view.logged_minutes == sum(group.logged_minutes for group in view.groups) == statement.minutes.logged
            assert view.billed_minutes == sum(group.billed_minutes for group in view.groups) == statement.minutes.billed
            assert view.billed_minutes == sum(line.billed_minutes for line in statement.lines
                                              if line.status == "billed" and line.entry.kind == "time")
            checked += 1
    assert checked > 30


def test_hours_follow_the_contract_or_the_books(books):
    root = books({"hourbook.yaml": SETTINGS + "    hours: decimal\n", "contracts/acme.yaml": CONTRACT,
                  "contracts/beta.yaml": CONTRACT.replace("name: Acme Ltd", "name: Beta\n    hours: h:mm"),
                  "logbook/n.md": LOGBOOK, "logbook/b.md": LOGBOOK.replace("client: acme", "client: beta")})
    site = pages(root, "2026-11-30")
    assert "Hours worked 3.25 Hours billed 1.75" in text_of(site["public/acme-0123abcd/2026-11.html"])
    assert "Hours worked 3:15 Hours billed 1:45" in text_of(site["public/beta-0123abcd/2026-11.html"])


def test_bad_show_tags_and_hours_are_located_errors(books):
    root = books({"hourbook.yaml": SETTINGS + "    hours: fractions\n",
                  "contracts/acme.yaml": CONTRACT.replace("onsite: {en: on-site visit, es: presencial}",
                                                          "onsite: {xx: visit}\n      bad tag!: \n      urgent: [a]"),
                  "logbook/n.md": LOGBOOK})
    _, diagnostics = load_and_price(root, datetime.date(2026, 11, 30))
    messages = {f"{d.source}: {d.message}" for d in diagnostics if d.severity == ERROR}
    assert "hourbook.yaml:7: hourbook.yaml field 'hours': expected one of h:mm, decimal, got 'fractions'" in messages
    assert "contracts/acme.yaml:6: show_tags: unknown language 'xx'; use a code like en, es, de, ru, bg (or en_GB)" \
        in messages
    assert any(m.startswith("contracts/acme.yaml:7: show_tags: expected a tag") for m in messages)
    assert "contracts/acme.yaml:8: show_tags: tag 'urgent': expected a name, or a mapping of language: name, " \
           "got a list" in messages


def test_contract_show_tags_add_to_and_override_the_books():
    books = (ShownTag("urgent", (("es", "urgente"), ("en", "rush"))), ShownTag("onsite"))
    contract = (ShownTag("urgent", (("en", "urgent"),)), ShownTag("travel", (("*", "Reise"),)))
    assert merge_show_tags(books, contract) == (
        ShownTag("urgent", (("es", "urgente"), ("en", "urgent"))), ShownTag("onsite"),
        ShownTag("travel", (("*", "Reise"),)))


def test_incidents_are_numbered_by_ticket(books):
    root = books({"contracts/help.yaml": """\
        name: Help Desk Client
        locale: en
        terms:
          - from: 2026-09-01
            kind: prepaid
            rate: 50
        prepaid:
          - id: P-1
            bought: 2026-09-01
            incidents: 3
            price: 300
    """, "logbook/h.md": """\
        ---
        client: help
        ---
        # 2026-09-01
        - 1h printer down #ticket-201
        # 2026-09-02
        - 30m printer checked again #ticket-201
        # 2026-09-03
        - 20m password reset
        # 2026-10-01
        - 45m backup failed #ticket-202
    """})
    priced = priced_books(root, "2026-10-31")
    client = priced.clients[0]
    uses = number_incidents([line for s in client.statements for line in s.lines], client.contract)
    assert sorted((key[0].line, use.number, use.tickets) for key, use in uses.items()) == [
        (5, 1, ("201",)), (7, 1, ("201",)), (9, 2, ()), (11, 3, ("202",))]
    # Pricing drew as many incidents as the numbering counts.
    assert client.statements[-1].prepaid[0].used_incidents == 3
    # The invoice lists the covered lines with their incidents too.
    settings = priced.books.settings
    doc = split_statement(client.statements[0], client.contract, {})[0]
    record = plan_records([(doc, client.contract)], [], settings, datetime.date(2026, 10, 1), "0" * 40)[0]
    invoice = text_of(render_html(make_invoice(doc, record, client.contract, settings, None, incidents=uses)))
    assert "from prepaid block P-1: incident 1 of 3, ticket 201" in invoice
    assert "from prepaid block P-1: incident 2 of 3" in invoice
    site = pages(root, "2026-10-31")
    september = text_of(site["public/help-0123abcd/2026-09.html"])
    assert september.count("Incident pack P-1: incident 1 of 3, ticket 201") == 2
    assert "Incident pack P-1: incident 2 of 3" in september
    assert "incident 3 of 3, ticket 202" in text_of(site["public/help-0123abcd/2026-10.html"])


def test_a_block_expiring_within_30_days_with_hours_left_is_flagged(books):
    root = books({"contracts/pre.yaml": """\
        name: Prepaid Client
        locale: es
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 50
        prepaid:
          - id: B-1
            bought: 2026-10-01
            hours: 5
            price: 250
            expires: 2026-12-15
          - id: B-2
            bought: 2026-10-01
            hours: 5
            price: 250
            expires: 2027-06-30
    """, "logbook/p.md": """\
        ---
        client: pre
        ---
        # 2026-10-05
        - 1h setup
        # 2026-11-05
        - 30m check
    """})
    site = pages(root, "2026-12-03")
    # 5 h - 1 h - 0:30 = 3:30 left, 12 days before 15 December.
    latest = text_of(site["public/pre-0123abcd/2026-11.html"])
    assert latest.count("caduca en 12 días; quedan 3:30 h") == 1            # B-2 is months away
    assert "caduca en" in text_of(site["public/pre-0123abcd/index.html"])
    assert "caduca en" not in text_of(site["public/pre-0123abcd/2026-10.html"])   # an old statement's state


def test_held_lines_and_pending_quotes_have_mailto_links(books):
    root = books({"hourbook.yaml": SETTINGS, "contracts/acme.yaml": CONTRACT, "logbook/n.md": LOGBOOK})
    site = pages(root, "2026-11-30")
    page = site["public/acme-0123abcd/2026-11.html"]
    links = mailtos(page)
    assert [address for address, _, _ in links] == ["ana@example.com", "ana@example.com"]
    held, quote = links
    assert held[1] == "Confirmation of held work: Acme Ltd, November 2026"
    assert "- Nov 3, 2026 – admin access <for> R&D – 0:45 – €45.00\r\n" in held[2]
    assert quote[1] == "Approval of quote Q-7: New firewall & VPN"
    assert "- Price: €1,200.00\r\n- Estimate: 16:00 h\r\n" in quote[2]
    text = text_of(page)
    # The quote has no work yet and is not approved: listed with its title, price and estimate.
    assert "Q-7 New firewall & VPN Awaiting approval Approve by e-mail €1,200.00 16:00 0:00" in text
    assert "Approve by e-mail" in text_of(site["public/acme-0123abcd/index.html"])


def test_no_address_no_link(books):
    root = books({"hourbook.yaml": SETTINGS.replace("      email: ana@example.com\n", ""),
                  "contracts/acme.yaml": CONTRACT, "logbook/n.md": LOGBOOK})
    page = pages(root, "2026-11-30")["public/acme-0123abcd/2026-11.html"]
    assert "mailto:" not in page and "Confirm by e-mail" not in page


def test_invoice_lines_speak_the_clients_words(books):
    root = books({"hourbook.yaml": SETTINGS, "contracts/acme.yaml": CONTRACT
                  + "    locale: es\n", "logbook/n.md": LOGBOOK})
    priced = priced_books(root, "2026-11-30")
    client = priced.clients[0]
    settings = priced.books.settings
    doc = split_statement(client.statements[0], client.contract, {})[0]
    record = plan_records([(doc, client.contract)], [], settings, datetime.date(2026, 12, 1), "0" * 40)[0]
    page = render_html(make_invoice(doc, record, client.contract, settings, None))
    text = text_of(page)
    assert "Marta Sánchez (CTO); tarifa presencial; urgente, +50 %" in text
    assert "1:15 h" in text and "0:30 h" in text
    assert "#" not in text and "@" not in text.replace("ana@example.com", "")


def minutes_of(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours.replace("−", "-")) * 60 + int(minutes)


def test_the_rendered_hours_card_adds_up_to_the_subtotal_rows_on_every_example_statement():
    priced = priced_books(EXAMPLE_BOOKS, "2026-12-31")
    folders = {c.contract.id: c.contract.id for c in priced.clients}
    files = render_site(priced, EXAMPLE_BOOKS, folders, pdf=False)
    decimal = {c.contract.id for c in priced.clients if c.contract.hours == "decimal"}
    checked = 0
    for path, data in files.items():
        client = path.split("/")[1]
        if not re.search(r"/\d{4}-\d{2}\.html$", path) or not path.startswith("public/") or client in decimal:
            continue
        page = data.decode()
        card = re.search(r'<div class="summary-card">.*?</dl>', page, flags=re.S).group()
        worked, billed = (minutes_of(value) for value in re.findall(r"<dd>([−\d]+:\d\d)<", card))
        logged_rows = billed_rows = 0
        for section in re.findall(r'<section class="group group-([a-z-]+)">(.*?)</section>', page, flags=re.S):
            key, body = section
            row = re.search(r'<tr class="subtotal">.*?<td class="num"[^>]*>\s*([\d:]+)\s*(?:<div class="sub">(.*?)</div>)?',
                            body, flags=re.S)
            hours = minutes_of(row.group(1))
            logged = minutes_of(re.search(r"\d+:\d\d", row.group(2)).group()) if row.group(2) else hours
            logged_rows += logged
            billed_rows += hours if key == "billed" else 0
        assert (worked, billed) == (logged_rows, billed_rows), path
        checked += 1
    assert checked > 25


# --- the card's law, on generated books -------------------------------------------------

NOV = datetime.date(2026, 11, 1)


def generated_contract(kind: str) -> Contract:
    term = Term(kind, datetime.date(2026, 1, 1), None, Source("c.yaml", 1), rate=Decimal(60), increment=15,
                free_under=10, minimum=30, deductible=5, free_up_to_tags=(("x", 20),), surcharge=(("urgent", Decimal("0.5")),), rates=(("onsite", Decimal(80)),),
                fee=Decimal(300) if kind == "retainer" else None, included=120 if kind == "retainer" else None)
    blocks = (PrepaidBlock("B", datetime.date(2026, 1, 1), Source("c.yaml", 2), minutes=180),
              PrepaidBlock("P", datetime.date(2026, 1, 1), Source("c.yaml", 3), incidents=2))
    return Contract("gen", Party("Generated"), Source("c.yaml", 1), contacts=(("marta", "Marta"),), terms=(term,),
                    prepaid=blocks if kind == "prepaid" else ())


entry_strategy = st.tuples(st.integers(0, 59), st.integers(1, 300), st.sampled_from(["", "marta", "pedro"]),
                           st.lists(st.sampled_from(["urgent", "onsite", "goodwill", "ticket-1", "ticket-2", "x"]),
                                    max_size=3, unique=True), st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["hourly", "retainer", "prepaid"]), st.lists(entry_strategy, max_size=25))
def test_card_figures_are_the_sums_of_the_groups(kind, rows):
    contract = generated_contract(kind)
    entries = [Entry("expense" if expense else "time", NOV + datetime.timedelta(days=day), "gen",
                     Source("l.md", index + 1), minutes=0 if expense else minutes,
                     amount=Decimal(minutes) if expense else None, by=by, tags=tuple(tags))
               for index, (day, minutes, by, tags, expense) in enumerate(rows)]
    entries.sort(key=lambda e: (e.date, e.source.path, e.source.line))
    client, _ = price_client(contract, entries, datetime.date(2027, 3, 1))
    messages = load_messages("en")
    for statement in client.statements:
        view, _ = client_statement(client, statement, messages, "en", datetime.date(2027, 3, 1), "a@b.c")
        logged = sum(e.minutes for e in entries if e.kind == "time" and statement.start <= e.date <= statement.end)
        # Every logged minute lands in exactly one group, and the card says the groups' sums.
        assert view.logged_minutes == sum(g.logged_minutes for g in view.groups) == logged == statement.minutes.logged
        assert view.billed_minutes == sum(g.billed_minutes for g in view.groups) == statement.minutes.billed
        billed_group = [g for g in view.groups if g.key == "billed"]
        assert view.billed_minutes == (billed_group[0].minutes if billed_group else 0)
    # The incidents numbered are the incidents pricing drew.
    uses = number_incidents([line for s in client.statements for line in s.lines], contract)
    if client.statements and kind == "prepaid":
        pack = next(state for state in client.statements[-1].prepaid if state.block.id == "P")
        assert max((use.number for use in uses.values()), default=0) == pack.used_incidents


def test_a_long_held_list_is_cut_short_in_the_mail(books):
    entries = "".join(f"- 30m @pedro request number {n}\n" for n in range(25))
    root = books({"hourbook.yaml": SETTINGS, "contracts/acme.yaml": CONTRACT,
                  "logbook/n.md": "---\nclient: acme\n---\n# 2026-11-03\n" + entries})
    page = pages(root, "2026-11-30")["public/acme-0123abcd/2026-11.html"]
    body = mailtos(page)[0][2]
    assert body.count("\r\n- Nov 3, 2026 – request number") == 20
    assert "… and 5 more on the statement" in body
