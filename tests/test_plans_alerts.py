"""Plans, estimates and the alerts that matter (core/alerts.py, docs/alerts.md, docs/pricing.md "Plans and estimates").

Every figure is computed by hand in the comments: the seller's hour costs 35 (conftest SELLER),
increments are 1 minute unless a term says otherwise, and each alert is checked on both sides
of its threshold (79 % / 80 %, 30 / 31 days, 90 / 91 days).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from conftest import SELLER
from conftest import price_json
from conftest import run_cli
from conftest import client as json_client

from hypothesis import given
from hypothesis import strategies as st

from hourbook.core import alerts
from hourbook.pipeline import load_and_price
from hourbook.render.alert_words import alert_message
from hourbook.render.alert_words import alert_records
from hourbook.render.dashboard import make_dashboard
from hourbook.render.locale_files import language_words

D = datetime.date


def priced_client(books, files: dict[str, str], as_of: D, cid: str = "acme"):
    """Write the books, price them on `as_of`, return (priced books, the client `cid`)."""
    root = books(files)
    priced, problems = load_and_price(root, as_of)
    assert not [p for p in problems if p.severity == "error"], problems
    return priced, next(c for c in priced.clients if c.contract.id == cid)


def logbook(*days: tuple[str, list[str]], cid: str = "acme") -> str:
    """A Markdown logbook: (date, [entry, ...]) per day, all for `cid`."""
    return "".join(f"# {day}\n\n## {cid}\n" + "".join(f"- {entry}\n" for entry in entries) + "\n"
                   for day, entries in days)


# --------------------------------------------------------------- plans

RETAINER_PLAN = """\
    name: ACME
    terms:
      - from: 2026-01-01
        kind: retainer
        fee: 400
        included: 20h
        planned: 10h
        rate: 50
    quotes:
      - id: Q-1
        price: 900
        approved: 2026-10-01
"""


def plan_books(november: str) -> dict[str, str]:
    # October: 9h of support plus 3h on quote Q-1 (quote work is left out of the plan): 540 of 600 minutes.
    return {"contracts/acme.yaml": RETAINER_PLAN,
            "logbook/2026-11.md": logbook(("2026-10-05", ["9h support #support", "3h migration #q-1"]),
                                          ("2026-11-03", [f"{november} support #support"]))}


def test_planned_hours_against_the_time_worked_per_period(books):
    # November 7h54m = 474 minutes; the plan is 10h = 600 minutes a month.
    _, client = priced_client(books, plan_books("7h54m"), D(2026, 11, 20))
    rows = alerts.plan_periods(client, D(2026, 11, 20))
    assert [(r.period, r.planned, r.actual) for r in rows] == [("2026-10", 600, 540), ("2026-11", 600, 474)]
    assert rows[0].share == Decimal("0.9")             # 540 / 600
    # 474 / 600 = 79 %: no alert; October's 90 % is over and under its plan: no alert either.
    assert alerts.plan_alerts(client, D(2026, 11, 20)) == []


def test_a_plan_at_80_percent_of_the_period_in_progress_is_an_alert(books):
    # 8h = 480 of 600 minutes = 80 % exactly.
    _, client = priced_client(books, plan_books("8h"), D(2026, 11, 20))
    [alert] = alerts.plan_alerts(client, D(2026, 11, 20))
    assert (alert.kind, alert.period, alert.used, alert.limit, alert.share) == (
        alerts.PLAN_NEAR, "2026-11", 480, 600, Decimal("0.8"))


def test_a_plan_reached_is_past_and_an_ended_period_over_its_plan_stays_an_alert(books):
    # November 10h = 600 of 600: PLAN_PAST while it runs, and still on 2026-12-02 (the last ended period).
    _, client = priced_client(books, plan_books("10h"), D(2026, 11, 20))
    assert [(a.kind, a.period) for a in alerts.plan_alerts(client, D(2026, 11, 20))] == [(alerts.PLAN_PAST, "2026-11")]
    _, client = priced_client(books, plan_books("10h"), D(2026, 12, 2))
    assert [(a.kind, a.period) for a in alerts.plan_alerts(client, D(2026, 12, 2))] == [(alerts.PLAN_PAST, "2026-11")]
    # Two periods later (December ended, 0 of 600) November's overrun is old news.
    _, client = priced_client(books, plan_books("10h"), D(2027, 1, 5))
    assert alerts.plan_alerts(client, D(2027, 1, 5)) == []
    # 9h59m = 599 minutes in an ended period: under the plan, no alert.
    _, client = priced_client(books, plan_books("9h59m"), D(2026, 12, 2))
    assert alerts.plan_alerts(client, D(2026, 12, 2)) == []


# --------------------------------------------------------------- estimates

HOURLY_ESTIMATE = """\
    name: ACME
    terms:
      - from: 2026-01-01
        kind: hourly
        rate: 60
    estimates:
      - id: web
        hours: 5
        tag: website
        description: New website
"""


def estimate_books(november: str, estimates: bool = True) -> dict[str, str]:
    contract = HOURLY_ESTIMATE if estimates else HOURLY_ESTIMATE.split("    estimates:")[0]
    return {"contracts/acme.yaml": contract,
            "logbook/2026-11.md": logbook(("2026-10-05", ["2h layout #website", "1h printer #support"]),
                                          ("2026-11-03", [f"{november} pages #website"]))}


def test_an_estimate_sums_the_work_under_its_tag_by_period(books):
    # October 2h (120) under #website, the 1h #support left out; November 1h59m (119): 239 of 300 = 79.7 %.
    _, client = priced_client(books, estimate_books("1h59m"), D(2026, 11, 30))
    [state] = alerts.estimate_states(client, D(2026, 11, 30))
    assert state.used == 239
    assert [(p.period, p.minutes, p.total) for p in state.periods] == [("2026-10", 120, 120), ("2026-11", 119, 239)]
    assert alerts.estimate_alerts(client, D(2026, 11, 30)) == []


def test_an_estimate_alerts_at_80_and_100_percent(books):
    # 120 + 120 = 240 of 300 = 80 %; 120 + 180 = 300 = 100 %.
    _, client = priced_client(books, estimate_books("2h"), D(2026, 11, 30))
    [alert] = alerts.estimate_alerts(client, D(2026, 11, 30))
    assert (alert.kind, alert.ref, alert.used, alert.limit, alert.share) == (
        alerts.ESTIMATE_NEAR, "web", 240, 300, Decimal("0.8"))
    _, client = priced_client(books, estimate_books("3h"), D(2026, 11, 30))
    [alert] = alerts.estimate_alerts(client, D(2026, 11, 30))
    assert (alert.kind, alert.used, alert.share) == (alerts.ESTIMATE_PAST, 300, Decimal(1))


def test_an_estimate_changes_no_price(books, tmp_path):
    # November 3h at 60 = 180.00 with or without the estimate.
    with_it = price_json(books(estimate_books("3h")), "2026-11-30")
    without = price_json(books(estimate_books("3h", estimates=False)), "2026-11-30")
    assert json_client(with_it, "acme")["periods"] == json_client(without, "acme")["periods"]
    assert [p["net"] for p in json_client(with_it, "acme")["periods"]] == ["180.00", "180.00"]


# --------------------------------------------------------------- quotes

def quote_books(minutes: str) -> dict[str, str]:
    return {"contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 60
        quotes:
          - id: Q-1
            price: 1000
            estimate: 4h
            approved: 2026-11-01
        """,
            "logbook/2026-11.md": logbook(("2026-11-03", [f"{minutes} migration #q-1"]))}


def test_a_quote_past_its_estimate(books):
    # 3h59m = 239 of 240 minutes: not yet; 4h = 240: reached.
    _, client = priced_client(books, quote_books("3h59m"), D(2026, 11, 30))
    assert alerts.quote_alerts(client, D(2026, 11, 30)) == []
    _, client = priced_client(books, quote_books("4h"), D(2026, 11, 30))
    [alert] = alerts.quote_alerts(client, D(2026, 11, 30))
    assert (alert.kind, alert.ref, alert.used, alert.limit, alert.share) == (alerts.QUOTE_PAST, "Q-1", 240, 240, 1)


def test_a_quote_without_a_price_is_an_error_not_free_work(books):
    root = books({"contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 60
        quotes:
          - id: Q-1
            estimate: 4h
            approved: 2026-11-01
        """, "logbook/2026-11.md": logbook(("2026-11-03", ["4h migration #q-1"]))})
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-30")
    assert code == 1
    assert ("contracts/acme.yaml:7: error: quote 'Q-1' has no 'price': its work would be free; "
            "give its price (0 if it really is free)") in err


# --------------------------------------------------------------- given away

def given_away_books(goodwill: str, threshold: str | None = None) -> dict[str, str]:
    files = {"contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 60
        """, "logbook/2026-11.md": logbook(("2026-11-03", ["5h server #support", f"{goodwill} printer #goodwill"]))}
    if threshold:
        files["hourbook.yaml"] = SELLER + f"alerts:\n  given_away: {threshold}\n"
    return files


def test_work_given_away_at_the_threshold_is_an_alert(books):
    # Billed 5h at 60 = 300.00; goodwill 1h at 60 = 60.00: 60 / 300 = 20 %, the default threshold.
    priced, client = priced_client(books, given_away_books("1h"), D(2026, 11, 30))
    assert priced.books.settings.given_away_alert == Decimal("0.2")
    [alert] = alerts.given_away_alert(client, D(2026, 11, 30), Decimal("0.2"))
    assert (alert.kind, alert.amounts, alert.share, alert.currency) == (
        alerts.GIVEN_AWAY, (Decimal("60.00"), Decimal("300.00")), Decimal("0.2"), "EUR")


def test_work_given_away_under_the_threshold_is_not(books):
    # 59m at 60 = 59.00; 59 / 300 = 19.67 %: under 20 %.
    _, client = priced_client(books, given_away_books("59m"), D(2026, 11, 30))
    assert alerts.given_away_alert(client, D(2026, 11, 30), Decimal("0.2")) == []
    # hourbook.yaml's alerts.given_away: 25% raises the threshold over 1h's 20 %: no alert on the dashboard.
    priced, _ = priced_client(books, given_away_books("1h", "25%"), D(2026, 11, 30))
    assert priced.books.settings.given_away_alert == Decimal("0.25")
    assert [a for _, a in make_dashboard(priced).alerts if a.kind == alerts.GIVEN_AWAY] == []


# --------------------------------------------------------------- prepaid blocks

def block_books(expires: str, used: str = "4h") -> dict[str, str]:
    return {"contracts/acme.yaml": f"""\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 60
        prepaid:
          - id: B-1
            bought: 2026-10-01
            hours: 10
            price: 550
            expires: {expires}
        """, "logbook/2026-10.md": logbook(("2026-10-05", [f"{used} backup #support"]))}


def test_a_block_expiring_within_30_days_with_hours_left(books):
    # 10h − 4h = 6h (360 minutes) left; 2026-11-20 -> 2026-12-20 is 30 days: an alert; from 2026-11-19, 31: none.
    _, client = priced_client(books, block_books("2026-12-20"), D(2026, 11, 20))
    [alert] = alerts.block_alerts(client, D(2026, 11, 20))
    assert (alert.kind, alert.ref, alert.limit, alert.day, alert.days) == (
        alerts.BLOCK_EXPIRING, "B-1", 360, D(2026, 12, 20), 30)
    _, client = priced_client(books, block_books("2026-12-20"), D(2026, 11, 19))
    assert alerts.block_alerts(client, D(2026, 11, 19)) == []
    # All 10h used: nothing left to lose.
    _, client = priced_client(books, block_books("2026-12-20", used="10h"), D(2026, 11, 20))
    assert alerts.block_alerts(client, D(2026, 11, 20)) == []


def test_a_block_that_expired_unused_in_the_last_90_days(books):
    # Expired 2026-10-31 with 6h (360) unused; 2027-01-29 is 90 days later: an alert; 2027-01-30 (91): none.
    _, client = priced_client(books, block_books("2026-10-31"), D(2027, 1, 29))
    [alert] = alerts.block_alerts(client, D(2027, 1, 29))
    assert (alert.kind, alert.limit, alert.days) == (alerts.BLOCK_EXPIRED, 360, -90)
    _, client = priced_client(books, block_books("2026-10-31"), D(2027, 1, 30))
    assert alerts.block_alerts(client, D(2027, 1, 30)) == []


# --------------------------------------------------------------- a retainer losing money

def losing_books(november: str) -> dict[str, str]:
    return {"contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-10-01
            kind: retainer
            fee: 100
            rate: 50
        """, "logbook/2026-11.md": logbook(("2026-10-05", ["3h support #support"]),
                                            ("2026-11-03", [f"{november} support #support"]))}


def test_a_retainer_losing_money_two_periods_running(books):
    # Fee 100 a month; 3h at a cost of 35 = 105.00: margin −5.00 in October and in November.
    priced, _ = priced_client(books, losing_books("3h"), D(2026, 12, 5))
    [(contract, alert)] = [(c, a) for c, a in make_dashboard(priced).alerts if a.kind == alerts.RETAINER_LOSING]
    assert (contract.id, alert.period, alert.amounts) == (
        "acme", "2026-10 2026-11", (Decimal("-5.00"), Decimal("-5.00")))
    assert alert_message(alert, language_words("en"), "en") == (
        "The retainer lost money two periods running: a margin of -€5.00 (October 2026) and -€5.00 (November 2026).")


def test_a_retainer_losing_money_one_period_only_is_not_an_alert(books):
    # November 2h51m = 171 minutes at 35 = 99.75: margin +0.25, so only October lost money.
    priced, _ = priced_client(books, losing_books("2h51m"), D(2026, 12, 5))
    assert [a for _, a in make_dashboard(priced).alerts if a.kind == alerts.RETAINER_LOSING] == []
    # On 2026-11-20 November has not ended: one ended period, no alert whatever it holds.
    priced, _ = priced_client(books, losing_books("3h"), D(2026, 11, 20))
    assert [a for _, a in make_dashboard(priced).alerts if a.kind == alerts.RETAINER_LOSING] == []


def test_a_retainer_that_ended_is_no_longer_losing_money(books):
    # The term ends 2026-11-30: on 2027-01-05 its last periods (October, November) are not the one just before.
    files = losing_books("3h")
    files["contracts/acme.yaml"] = files["contracts/acme.yaml"].replace("fee: 100", "fee: 100\n            until: 2026-11-30")
    priced, _ = priced_client(books, files, D(2026, 12, 5))
    assert [a.kind for _, a in make_dashboard(priced).alerts] == [alerts.RETAINER_LOSING]
    priced, _ = priced_client(books, files, D(2027, 1, 5))
    assert [a.kind for _, a in make_dashboard(priced).alerts] == []


def test_losing_alert_needs_both_margins_negative():
    assert alerts.losing_alert("a", [("2026-10", Decimal("-1")), ("2026-11", Decimal(0))], "EUR") == []
    assert alerts.losing_alert("a", [("2026-10", None), ("2026-11", Decimal("-1"))], "EUR") == []
    [alert] = alerts.losing_alert("a", [("2026-09", Decimal(5)), ("2026-10", Decimal("-1")),
                                        ("2026-11", Decimal("-2"))], "EUR")
    assert alert.amounts == (Decimal("-1"), Decimal("-2"))


# --------------------------------------------------------------- words and JSON

def test_alerts_are_worded_in_the_owners_language(books):
    _, client = priced_client(books, block_books("2026-12-20"), D(2026, 11, 20))
    [alert] = alerts.block_alerts(client, D(2026, 11, 20))
    assert alert_message(alert, language_words("en"), "en") == (
        "Prepaid block B-1 expires on Dec 20, 2026 (in 30 days) with 6:00 h left.")
    assert alert_message(alert, language_words("es"), "es") == (
        "El bono B-1 caduca el 20 dic 2026 (dentro de 30 días) y le quedan 6:00 h.")
    assert alerts.to_json(alert, "m") == {"kind": "block_expiring", "client": "acme", "message": "m", "ref": "B-1",
                                          "minutes": {"used": 0, "limit": 360}, "day": "2026-12-20", "days": 30}


def test_the_dashboard_links_each_alert_to_the_clients_report(books, tmp_path):
    root = books(given_away_books("1h"))
    out = tmp_path / "site"
    code, _, err = run_cli("build", str(root), "--out", str(out), "--as-of", "2026-11-30")
    assert code == 0, err
    page = (out / "owner" / "index.html").read_text(encoding="utf-8")
    assert ('<li class="alert alert-given-away"><a href="acme/dashboard.html">ACME</a>: Work given away worth '
            "€60.00, 20% of what was billed (€300.00); the limit is 20%.</li>") in page
    report = (out / "owner" / "acme" / "dashboard.html").read_text(encoding="utf-8")
    assert "Work given away worth €60.00" in report
    # Owner data never goes to the client's pages.
    assert not [p for p in (out / "public").rglob("*.html") if "given away" in p.read_text(encoding="utf-8")]


def test_the_dashboards_alerts_as_json(books):
    # The given-away case above: 60.00 of 300.00 = 20 %.
    priced, _ = priced_client(books, given_away_books("1h"), D(2026, 11, 30))
    records = alert_records(make_dashboard(priced).alerts, language_words("en"), "en", threshold=Decimal("0.2"))
    assert records == [{"kind": "given_away", "client": "acme", "share": "0.2000", "amounts": ["60.00", "300.00"],
                        "currency": "EUR", "message": "Work given away worth €60.00, 20% of what was billed "
                                                      "(€300.00); the limit is 20%."}]


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=1, max_value=5000))
def test_a_share_alert_is_near_from_80_and_past_from_100_percent(used, limit):
    # In whole numbers: near when 5 × used >= 4 × limit, past when used >= limit.
    kind = alerts.share_kind(Decimal(used) / limit, alerts.ESTIMATE_NEAR, alerts.ESTIMATE_PAST)
    expected = alerts.ESTIMATE_PAST if used >= limit else alerts.ESTIMATE_NEAR if 5 * used >= 4 * limit else None
    assert kind == expected


# --------------------------------------------------------------- the worked example of docs/pricing.md

def test_the_worked_example_of_docs_pricing(books):
    """docs/pricing.md "Plans and estimates": a 12h plan with 9h36m worked is 80 %; an estimate of 20h with
    7h + 9h30m logged is 16h30m = 82.5 %."""
    files = {"contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: retainer
            fee: 900
            planned: 12h
            rate: 80
        estimates:
          - id: shop
            hours: 20
            tag: shop
            description: Online shop
        """, "logbook/2026-11.md": logbook(("2026-10-06", ["7h catalogue #shop"]),
                                            ("2026-11-04", ["9h30m checkout #shop", "6m backup #support"]))}
    _, client = priced_client(books, files, D(2026, 11, 20))
    plans = alerts.plan_periods(client, D(2026, 11, 20))
    assert [(p.period, p.planned, p.actual) for p in plans] == [("2026-10", 720, 420), ("2026-11", 720, 576)]
    [state] = alerts.estimate_states(client, D(2026, 11, 20))
    assert (state.used, state.share) == (990, Decimal("0.825"))
    kinds = [a.kind for a in alerts.client_alerts(client, D(2026, 11, 20), Decimal("0.2"))]
    assert kinds == [alerts.ESTIMATE_NEAR, alerts.PLAN_NEAR]       # 576 / 720 = 80 %
