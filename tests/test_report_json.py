"""`hourbook report --json`: every figure of the owner's pages (SPEC §9, docs/report.md).

Hand-computed figures for a small book, the schema, agreement with the pages rendered from the same
books, the example in docs/report.md, and bad books.
"""

from __future__ import annotations

import datetime
import html
import json
import re
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.output.json import json_text
from hourbook.output.report import report_json
from hourbook.pipeline import load_and_price
from hourbook.render import filters
from hourbook.render import render_site

from conftest import REPO
from conftest import copy_example_books
from conftest import run_cli
from conftest import write_books
from test_requests import CONTRACT as REQUESTS_CONTRACT
from test_requests import LOGBOOK as REQUESTS_LOGBOOK
from test_requests import SETTINGS as REQUESTS_SETTINGS

AS_OF = "2026-11-30"

# A retainer of 400 a month with 10 h included and 50/h beyond, #training free; a block of 10 h for 600.
# hourbook.yaml (conftest.SELLER): an hour costs 35 EUR, locale en.
SMALL = {
    "contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: retainer
            fee: 400
            included: 10h
            rate: 50
            no_charge: [training]
    """,
    "contracts/blocky.yaml": """\
        name: Blocky
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 60
        prepaid:
          - id: B-1
            bought: 2026-10-01
            hours: 10
            price: 600
    """,
    "logbook/2026-11.md": """\
        # 2026-10-06

        ## acme
        - 8h support #support

        # 2026-11-04

        ## acme
        - 12h support #support
        - 1h training #training

        ## blocky
        - 3h backups #support
    """,
}

# SPEC §9's keys, level by level.
SPEC_TOP = {"currency", "clients", "workers", "alerts"}
SPEC_CLIENT = {"id", "revenue_earned", "revenue_cash", "cost", "margin", "given_away", "owed", "suggested_fee",
               "schemes", "periods"}
SPEC_OWED = {"minutes", "incidents", "amount"}
SPEC_PERIOD = {"period", "revenue_earned", "cost", "margin"}
SPEC_ALERT = {"kind", "client", "message"}


def report(root, as_of: str = AS_OF) -> dict:
    code, out, err = run_cli("report", str(root), "--json", "--as-of", as_of)
    assert code == 0, err
    return json.loads(out)


def by_id(data: dict) -> dict:
    return {client["id"]: client for client in data["clients"]}


def test_the_small_book_by_hand(books):
    data = report(books(SMALL))
    assert data["currency"] == "EUR" and data["as_of"] == AS_OF
    acme, blocky = by_id(data)["acme"], by_id(data)["blocky"]
    # acme, October: fee 400 (8 h covered by the 10 h included); cost 8 h × 35 = 280; margin 120.
    # November: fee 400 + 2 h beyond the 10 h × 50 = 500; cost (12 h + 1 h free) × 35 = 455; margin 45;
    # the free hour is given away: 1 h × 50 = 50. A retainer earns what it bills: earned = cash.
    assert [(p["period"], p["revenue_earned"], p["revenue_cash"], p["cost"], p["margin"], p["given_away"])
            for p in acme["periods"]] == [("2026-10", "400.00", "400.00", "280.00", "120.00", "0.00"),
                                          ("2026-11", "500.00", "500.00", "455.00", "45.00", "50.00")]
    # In total: 900 earned, 735 cost, 165 margin (165 / 900 = 0.1833), 21 h logged -> 900 / 21 = 42.86 an hour.
    assert (acme["revenue_earned"], acme["cost"], acme["margin"], acme["margin_share"], acme["effective_rate"]) == (
        "900.00", "735.00", "165.00", "0.1833", "42.86")
    # Minutes: 8 h + 12 h + 1 h = 1260 logged; 10 h + 8 h covered = 1080; 2 h billed; 1 h free.
    assert acme["minutes"] == {"logged": 1260, "billed": 120, "charged": 120, "covered": 1080, "quote": 0,
                               "no_charge": 60, "held": 0, "uncovered": 0}
    # The retainer: work at 50/h October 8 h = 400, November 12 h = 600 with 100 billed beyond the fee:
    # shortfall 600 − 400 − 100 = 100; both periods ended by 30 November: suggested (400 + 600) / 2 = 500.
    retainer = acme["retainer"]
    assert [(p["period"], p["fee"], p["work_value"], p["billed"], p["shortfall"]) for p in retainer["periods"]] == [
        ("2026-10", "400.00", "400.00", "0.00", "0.00"), ("2026-11", "400.00", "600.00", "100.00", "100.00")]
    assert retainer["average_shortfall"] == "50.00"     # (0 + 100) / 2
    # core.fee: 480 + 780 = 1260 minutes over 2 periods = 630 a period, at 35.00 an hour:
    # 10.5 h × 35 = 367.50, × 1.5 (markup 50 %) = 551.25, rounded up to a multiple of 50: 600.00.
    assert acme["suggested_fee"] == {"amount": "600.00", "currency": "EUR", "window_periods": 2,
                                     "window": ["2026-10", "2026-11"], "average_minutes": 630,
                                     "cost_per_hour": "35.00", "markup": "50%", "round_to": "50",
                                     "cost_known": True}
    # blocky: the block's 600 is billed (cash) in October; 600 / 10 h = 60 an hour, 3 h used in November
    # earns 180; cost 3 h × 35 = 105; margin 75. Still owed: 7 h = 420 minutes, 600 − 180 = 420.00.
    assert (blocky["revenue_earned"], blocky["revenue_cash"], blocky["cost"], blocky["margin"]) == (
        "180.00", "600.00", "105.00", "75.00")
    assert blocky["owed"] == {"minutes": 420, "incidents": 0, "amount": "420.00",
                              "blocks": [{"id": "B-1", "minutes": 420, "incidents": 0, "amount": "420.00",
                                          "expires": None}]}
    assert [(p["period"], p["revenue_earned"], p["revenue_cash"]) for p in blocky["periods"]] == [
        ("2026-10", "0.00", "600.00"), ("2026-11", "180.00", "0.00")]
    assert blocky["retainer"] is None
    if "average_minutes" in acme["suggested_fee"]:
        # core.fee: November alone (its first time line), 180 minutes: 3 h × 35 = 105 × 1.5 = 157.50 -> 200.00.
        assert (blocky["suggested_fee"]["amount"], blocky["suggested_fee"]["window"]) == ("200.00", ["2026-11"])
    else:
        assert blocky["suggested_fee"] is None
    # Totals: earned 900 + 180 = 1080, cash 900 + 600 = 1500, cost 735 + 105 = 840, margin 240.
    totals = data["totals"]
    assert (totals["revenue_earned"], totals["revenue_cash"], totals["cost"], totals["margin"]) == (
        "1080.00", "1500.00", "840.00", "240.00")
    assert totals["owed"] == {"minutes": 420, "incidents": 0, "amount": "420.00"}
    # Lowest margin first, as on the dashboard: blocky (75) before acme (165).
    assert [c["id"] for c in data["clients"]] == ["blocky", "acme"]
    # No register and no payments: no receivables page, so none here.
    assert data["receivables"] is None and data["diagnostics"] == []


def test_every_key_of_spec_9_is_there_and_money_is_a_string(books):
    data = report(books(SMALL))
    assert SPEC_TOP <= set(data)
    for client in data["clients"]:
        assert SPEC_CLIENT <= set(client), SPEC_CLIENT - set(client)
        assert SPEC_OWED <= set(client["owed"])
        assert isinstance(client["owed"]["minutes"], int) and isinstance(client["owed"]["amount"], str)
        for period in client["periods"]:
            assert SPEC_PERIOD <= set(period)
            assert re.fullmatch(r"-?\d+\.\d\d", period["margin"]) and re.fullmatch(r"\d{4}-\d\d", period["period"])
    for alert in data["alerts"]:
        assert SPEC_ALERT <= set(alert)


def test_the_json_agrees_with_the_owner_pages_of_the_example_books(tmp_path):
    root = copy_example_books(tmp_path / "books")
    as_of = datetime.date(2026, 12, 3)
    priced, _ = load_and_price(root, as_of)
    data = report_json(priced)
    files = render_site(priced, root, {}, pdf=False)
    index = html.unescape(files["owner/index.html"].decode())
    locale = filters.babel_locale(priced.books.settings.locale)

    def shown(amount: str) -> str:
        return filters.format_money(Decimal(amount), data["currency"], locale)

    totals = data["totals"]
    for key in ("revenue_earned", "revenue_cash", "cost", "margin"):
        assert shown(totals[key]) in index, (key, shown(totals[key]))
    assert len(data["clients"]) == 6
    for client in data["clients"]:
        # Every client's margin and earned revenue is on the dashboard ...
        assert shown(client["margin"]) in index, (client["id"], shown(client["margin"]))
        assert shown(client["revenue_earned"]) in index, client["id"]
        # ... and every period's margin on the client's own report.
        page = html.unescape(files[f"owner/{client['id']}/dashboard.html"].decode())
        for period in client["periods"]:
            assert shown(period["margin"]) in page, (client["id"], period["period"])
    # docs/report.md's reading of its example: the margin card 9.895,40 €; northwind (billed in GBP) in EUR,
    # its two blocks owing 3 h + 21 h = 1440 minutes and 231.08 + 1540.50 = 1771.58.
    assert totals["margin"] == "9895.40" and "9.895,40\xa0€" in index
    northwind = next(c for c in data["clients"] if c["id"] == "northwind")
    assert (northwind["contract_currency"], northwind["margin"]) == ("GBP", "261.37")
    assert [(b["minutes"], b["amount"]) for b in northwind["owed"]["blocks"]] == [(180, "231.08"), (1260, "1540.50")]
    assert northwind["owed"]["amount"] == "1771.58" and northwind["owed"]["minutes"] == 1440
    # The requests page: the studio's open count, each reason's name and the oldest open requests' texts.
    requests = html.unescape(files["owner/requests.html"].decode())
    studio = data["requests"]["studio"]
    assert studio["open"] == 6 and all(r["name"] in requests for r in studio["reasons"])
    assert all(r["text"] in requests for r in studio["oldest_open"])
    # Every alert's sentence is in "needs attention".
    assert data["alerts"] and all(alert["message"] in index for alert in data["alerts"])
    # The receivables page: the EUR outstanding (volga's 2026-0007 and 2026-0012 overdue among it).
    receivables = html.unescape(files["owner/receivables.html"].decode())
    eur = next(t for t in data["receivables"]["totals"] if t["currency"] == "EUR")
    assert filters.format_money(Decimal(eur["outstanding"]), "EUR", locale) in receivables
    assert {o["number"] for o in data["receivables"]["overdue"] if o["client"] == "volga"} == {"2026-0007", "2026-0012"}
    # 2026-0007, due 2 October: 29 days to 31 October + 30 in November + 3 = 62 days past due on 3 December.
    first = data["receivables"]["overdue"][0]
    assert (first["number"], first["due"], first["days"]) == ("2026-0007", "2026-10-02", 62)


def test_the_requests_of_the_worked_example_of_docs_requests_md(books):
    root = books({"hourbook.yaml": REQUESTS_SETTINGS, "contracts/acme.yaml": REQUESTS_CONTRACT,
                  "logbook/2026-11.md": REQUESTS_LOGBOOK})
    data = report(root)
    # A warning (#urgent listed as a reason is a flag) does not stop the report; it is in `diagnostics`.
    assert [d["severity"] for d in data["diagnostics"]] == ["warning"]
    studio = data["requests"]["studio"]
    # docs/requests.md: five requests, 3 open (10, 51 and 60 days old), 2 closed (in 4 and 0 days).
    assert (studio["total"], studio["open"], studio["closed"]) == (5, 3, 2)
    assert [(b["from_days"], b["to_days"], b["count"]) for b in studio["open_by_age"]] == [
        (0, 7, 0), (8, 30, 1), (31, 90, 2), (91, None, 0)]
    assert [(r["text"], r["age_days"]) for r in studio["oldest_open"]] == [
        ("new laptop for Ana", 60), ("printer drivers", 51), ("call about <billing>", 10)]
    # Median of 0 and 4 is 2; mean 2.0.
    assert studio["days_to_close"] == {"median": "2", "mean": "2.0"}
    assert (studio["again"], studio["reopened"], studio["without_reason"]) == (1, 1, 1)
    # printer: 2 requests opened in October, 1 in November, over the six periods 2026-06..2026-11.
    assert [(r["tag"], r["requests"], r["per_period"]) for r in studio["reasons"]] == [
        ("printer", 3, [0, 0, 0, 0, 2, 1]), ("hardware", 1, [0, 0, 0, 0, 1, 0])]
    assert [(t["period"], t["opened"], t["closed"], t["again"]) for t in studio["trend"][-2:]] == [
        ("2026-10", 3, 1, 0), ("2026-11", 2, 1, 1)]
    # One client: its figures are the studio's.
    (acme,) = data["requests"]["clients"]
    assert acme["client"] == "acme" and {k: v for k, v in acme.items() if k != "client"} == studio


def test_periods_add_up_to_their_client_and_clients_to_the_totals(tmp_path, books):
    for data in (report(books(SMALL)), report(copy_example_books(tmp_path / "examples"), "2026-12-03")):
        for key in ("revenue_earned", "revenue_cash", "cost", "margin", "given_away", "expired"):
            for client in data["clients"]:
                assert sum(Decimal(p[key]) for p in client["periods"]) == Decimal(client[key]), (client["id"], key)
            assert sum(Decimal(c[key]) for c in data["clients"]) == Decimal(data["totals"][key]), key
        assert sum(c["minutes"]["logged"] for c in data["clients"]) == data["totals"]["minutes"]["logged"]
        assert sum(Decimal(c["owed"]["amount"]) for c in data["clients"]) == Decimal(data["totals"]["owed"]["amount"])


# Days of work: (day of October or November, client, minutes, free?).
WORK = st.lists(st.tuples(st.dates(datetime.date(2026, 10, 1), datetime.date(2026, 11, 30)),
                          st.sampled_from(["acme", "blocky"]), st.integers(1, 600), st.booleans()),
                min_size=1, max_size=12)


@settings(max_examples=15, deadline=None)
@given(WORK)
def test_property_margins_are_earned_minus_cost_and_everything_adds_up(work):
    logbook = "".join(f"# {day}\n\n## {client}\n- {minutes}m job{' #training' if free else ''}\n\n"
                      for day, client, minutes, free in sorted(work))
    with tempfile.TemporaryDirectory() as folder:
        root = write_books(Path(folder), {**SMALL, "logbook/2026-11.md": logbook})
        priced, diagnostics = load_and_price(root, datetime.date(2026, 11, 30))
        assert not [d for d in diagnostics if d.severity == "error"], diagnostics
        data = report_json(priced)
    records = [data["totals"], *data["clients"], *(p for c in data["clients"] for p in c["periods"])]
    for record in records:
        assert Decimal(record["margin"]) == Decimal(record["revenue_earned"]) - Decimal(record["cost"])
        minutes = record["minutes"]
        assert minutes["logged"] == sum(v for k, v in minutes.items() if k not in ("logged", "charged"))
    for key in ("revenue_earned", "revenue_cash", "cost", "given_away"):
        assert sum(Decimal(c[key]) for c in data["clients"]) == Decimal(data["totals"][key])
        for client in data["clients"]:
            assert sum(Decimal(p[key]) for p in client["periods"]) == Decimal(client[key])
    # The block of 10 h: while it lasts, what it earned plus what it still owes is its price, 600 (nothing
    # expires); past its 600 minutes it owes nothing and the rest is billed by the hour.
    blocky = next((c for c in data["clients"] if c["id"] == "blocky"), None)
    if blocky is not None and blocky["minutes"]["logged"] <= 600:
        assert Decimal(blocky["revenue_earned"]) + Decimal(blocky["owed"]["amount"]) == Decimal(600)
    elif blocky is not None:
        assert blocky["owed"]["amount"] == "0.00" and Decimal(blocky["revenue_earned"]) > Decimal(600)


def test_the_example_in_docs_report_md_has_the_keys_of_the_output(tmp_path):
    root = copy_example_books(tmp_path / "books")
    actual = report(root, "2026-12-03")
    text = (REPO / "docs" / "report.md").read_text(encoding="utf-8")
    example = json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))

    def keys(value, path="") -> set[str]:
        if isinstance(value, dict):
            return {f"{path}.{k}" for k in value} | {p for k, v in value.items() for p in keys(v, f"{path}.{k}")}
        if isinstance(value, list):
            return {p for item in value for p in keys(item, f"{path}[]")}
        return set()

    # The example is cut short (one client, one period, one alert ...), but every key it shows is real,
    # and every key of the real output down to a client's fields is shown.
    documented, real = keys(example), keys(actual)
    assert documented <= real, documented - real
    # The example leaves out the workers, the schemes and the fee's inputs to stay short; the table of
    # fields documents them.
    pending = (".workers[]", ".clients[].schemes[]", ".clients[].suggested_fee.")
    shown = {k for k in real if k.count(".") <= 2 and not k.startswith(pending)}
    assert shown <= documented, shown - documented


def test_the_json_is_written_by_the_one_encoder_in_a_fixed_order(books):
    root = books(SMALL)
    first = run_cli("report", str(root), "--json", "--as-of", AS_OF)[1]
    assert first == run_cli("report", str(root), "--json", "--as-of", AS_OF)[1]
    assert first == json_text(json.loads(first)) + "\n"


def test_without_json_a_short_summary(books):
    code, out, err = run_cli("report", str(books(SMALL)), "--as-of", AS_OF)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("as of 2026-11-30, in EUR: earned 1080.00, cash 1500.00, cost 840.00, margin 240.00")
    assert [line.split()[0] for line in lines[1:3]] == ["blocky", "acme"]
    # Given away 50 of 900 billed to acme (5.6 %) is under the 20 % threshold: nothing needs attention.
    assert lines[-1] == "0 alerts"


def test_bad_books_give_their_diagnostics_and_exit_1(books):
    bad = dict(SMALL)
    bad["logbook/2026-11.md"] = SMALL["logbook/2026-11.md"] + "\n        ## nobody\n        - 1h support\n"
    code, out, err = run_cli("report", str(books(bad)), "--json", "--as-of", AS_OF)
    assert code == 1
    assert out == ""                    # no half-true figures
    assert re.search(r"logbook/2026-11\.md:\d+: error: .*nobody", err), err
    assert "report stopped: 1 error" in err
