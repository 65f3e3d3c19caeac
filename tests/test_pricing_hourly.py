"""Hand-priced acceptance tests: hourly pricing (SPEC §5, §8 and docs/pricing.md).

Every figure is computed by hand from the spec; the arithmetic is in the
comment beside each assertion. Books are written with the `books` fixture
(every file is dedented, so the first line of a logbook is line 1).
"""

from __future__ import annotations

from conftest import client
from conftest import period
from conftest import periods
from conftest import price_json


# --- helpers -----------------------------------------------------------------


def line(per: dict, source: str) -> dict:
    matches = [ln for ln in per["lines"] if ln["source"] == source]
    assert len(matches) == 1, [ln["source"] for ln in per["lines"]]
    return matches[0]


def no_errors(data: dict) -> None:
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert errors == []


def minutes(logged=0, billed=0, covered=0, no_charge=0, held=0, quote=0, uncovered=0) -> dict:
    return {"logged": logged, "billed": billed, "covered": covered, "no_charge": no_charge,
            "held": held, "quote": quote, "uncovered": uncovered}


# --- JSON shape ----------------------------------------------------------------

def test_json_has_exactly_the_spec_keys_for_a_line_and_a_period(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "logbook/2026/11.md": """\
            # 2026-11-03
            ## acme
            - 09:10-10:25 @ana printer driver on their side #support
        """,
    })
    data = price_json(root)
    assert set(data) == {"clients", "diagnostics"}
    assert data["diagnostics"] == []
    acme = client(data, "acme")
    assert set(acme) == {"id", "currency", "periods"}
    assert acme["currency"] == "EUR"  # hourbook.yaml default
    per = period(data, "acme", "2026-11")
    assert set(per) == {"period", "lines", "fees", "net", "tax", "total",
                        "minutes", "prepaid", "quotes"}
    assert set(per["minutes"]) == {"logged", "billed", "covered", "no_charge",
                                   "held", "quote", "uncovered"}
    assert per["fees"] == [] and per["prepaid"] == [] and per["quotes"] == []
    ln = line(per, "logbook/2026/11.md:3")
    assert set(ln) == {"date", "source", "kind", "status", "reason", "by", "tags",
                       "logged_minutes", "billed_minutes", "rate", "value", "amount",
                       "cover", "description"}
    # 09:10-10:25 = 75 min; 75 × 60 / 60 = 75.00; tax 75.00 × 0.21 = 15.75; total 90.75
    assert ln == {
        "date": "2026-11-03", "source": "logbook/2026/11.md:3", "kind": "time",
        "status": "billed", "reason": None, "by": "ana", "tags": ["support"],
        "logged_minutes": 75, "billed_minutes": 75, "rate": "60.00",
        "value": "75.00", "amount": "75.00", "cover": None,
        "description": "printer driver on their side",
    }
    assert (per["net"], per["tax"], per["total"]) == ("75.00", "15.75", "90.75")
    assert per["minutes"] == minutes(logged=75, billed=75)


# --- free_under, increment, minimum -----------------------------------------------

def test_free_under_entry_is_no_charge_with_value_shown(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                free_under: 15m
        """,
        "logbook/2026-11.md": """\
            ---
            client: acme
            ---
            # 2026-11-03
            - 10m quick question on the phone #support
            - 14m another quick one #support
            - 15m exactly the threshold #support
            - 1h printer driver #support
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")

    a = line(per, "logbook/2026-11.md:5")
    assert (a["status"], a["reason"]) == ("no-charge", "free_under")  # 10 < 15
    assert (a["logged_minutes"], a["billed_minutes"]) == (10, 10)
    assert a["rate"] == "60.00"
    assert a["value"] == "10.00"   # 10 × 60 / 60 = 10.00
    assert a["amount"] == "0.00"

    b = line(per, "logbook/2026-11.md:6")
    assert (b["status"], b["reason"]) == ("no-charge", "free_under")  # 14 < 15
    assert b["value"] == "14.00"   # 14 × 60 / 60
    assert b["amount"] == "0.00"

    c = line(per, "logbook/2026-11.md:7")
    assert (c["status"], c["reason"]) == ("billed", None)  # 15 is not below 15
    assert (c["logged_minutes"], c["billed_minutes"]) == (15, 15)
    assert c["amount"] == "15.00"  # 15 × 60 / 60

    d = line(per, "logbook/2026-11.md:8")
    assert d["status"] == "billed"
    assert d["amount"] == "60.00"  # 60 × 60 / 60

    # net 15.00 + 60.00 = 75.00; tax 75.00 × 0.21 = 15.75; total 90.75
    assert (per["net"], per["tax"], per["total"]) == ("75.00", "15.75", "90.75")
    # logged 10+14+15+60 = 99; billed (billed lines) 15+60 = 75; no_charge (logged) 10+14 = 24
    assert per["minutes"] == minutes(logged=99, billed=75, no_charge=24)


def test_free_under_looks_at_logged_time_and_no_charge_keeps_billable_minutes(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                free_under: 15m
                minimum: 30m
                increment: 15m
        """,
        "logbook/2026-11.md": """\
            # 2026-11-04
            ## acme
            - 10m quick check
            - 20m short fix
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    a = line(per, "logbook/2026-11.md:3")
    assert (a["status"], a["reason"]) == ("no-charge", "free_under")  # logged 10 < 15
    # billable = max(10, 30) = 30, rounded up to 15 → 30; value 30 × 60 / 60 = 30.00
    assert (a["logged_minutes"], a["billed_minutes"]) == (10, 30)
    assert (a["value"], a["amount"]) == ("30.00", "0.00")
    b = line(per, "logbook/2026-11.md:4")
    assert b["status"] == "billed"  # logged 20 >= 15
    # billable = max(20, 30) = 30 → 30; 30 × 60 / 60 = 30.00
    assert (b["logged_minutes"], b["billed_minutes"]) == (20, 30)
    assert (b["value"], b["amount"]) == ("30.00", "30.00")
    # no tax on this contract: net 30.00, tax 0.00, total 30.00
    assert (per["net"], per["tax"], per["total"]) == ("30.00", "0.00", "30.00")
    # logged 10+20 = 30; billed 30 (line b only); no_charge logged 10
    assert per["minutes"] == minutes(logged=30, billed=30, no_charge=10)


def test_increment_rounds_billed_time_up(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 72
                increment: 15m
        """,
        "logbook/2026-11.md": """\
            # 2026-11-05
            ## acme
            - 1m typo
            - 15m call
            - 16m call that ran over
            - 44m review
            - 46m review that ran over
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    expected = {
        3: (1, 15, "18.00"),    # 1 → 15; 15 × 72 / 60 = 18.00
        4: (15, 15, "18.00"),   # 15 → 15; 18.00
        5: (16, 30, "36.00"),   # 16 → 30; 30 × 72 / 60 = 36.00
        6: (44, 45, "54.00"),   # 44 → 45; 45 × 72 / 60 = 54.00
        7: (46, 60, "72.00"),   # 46 → 60; 60 × 72 / 60 = 72.00
    }
    for n, (logged, billed, amount) in expected.items():
        ln = line(per, f"logbook/2026-11.md:{n}")
        assert ln["status"] == "billed"
        assert ln["rate"] == "72.00"
        assert (ln["logged_minutes"], ln["billed_minutes"]) == (logged, billed)
        assert (ln["value"], ln["amount"]) == (amount, amount)
    # net 18+18+36+54+72 = 198.00; tax 198 × 0.21 = 41.58; total 239.58
    assert (per["net"], per["tax"], per["total"]) == ("198.00", "41.58", "239.58")
    # logged 1+15+16+44+46 = 122; billed 15+15+30+45+60 = 165
    assert per["minutes"] == minutes(logged=122, billed=165)


def test_minimum_then_increment(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 90
                minimum: 20m
                increment: 15m
        """,
        "logbook/2026-11.md": """\
            # 2026-11-06
            ## acme
            - 5m call-out for a reboot
            - 25m call-out
            - 31m call-out
            - 2h long job
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    expected = {
        3: (5, 30, "45.00"),     # max(5, 20) = 20 → up to 15s → 30; 30 × 90 / 60 = 45.00
        4: (25, 30, "45.00"),    # max(25, 20) = 25 → 30; 45.00
        5: (31, 45, "67.50"),    # 31 → 45; 45 × 90 / 60 = 67.50
        6: (120, 120, "180.00"),  # 120 → 120; 120 × 90 / 60 = 180.00
    }
    for n, (logged, billed, amount) in expected.items():
        ln = line(per, f"logbook/2026-11.md:{n}")
        assert ln["status"] == "billed"
        assert (ln["logged_minutes"], ln["billed_minutes"]) == (logged, billed)
        assert (ln["value"], ln["amount"]) == (amount, amount)
    # net 45 + 45 + 67.50 + 180 = 337.50; tax 337.50 × 0.21 = 70.875 → 70.88; total 408.38
    assert (per["net"], per["tax"], per["total"]) == ("337.50", "70.88", "408.38")
    # logged 5+25+31+120 = 181; billed 30+30+45+120 = 225
    assert per["minutes"] == minutes(logged=181, billed=225)


# --- surcharges and per-tag rates ------------------------------------------------

def test_surcharges_add_up_and_never_apply_to_expenses(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                surcharge: {urgent: 50%, weekend: 25%}
        """,
        "logbook/2026-11.md": """\
            # 2026-11-07
            ## acme
            - 1h server down #urgent
            - 1h server down again #urgent #weekend
            - 30m patching #weekend
            - 1h routine #support
            - expense 20.00 courier #urgent
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    a = line(per, "logbook/2026-11.md:3")
    assert a["rate"] == "60.00"
    assert a["amount"] == "90.00"      # 60 × 60 / 60 × (1 + 0.50) = 90.00
    b = line(per, "logbook/2026-11.md:4")
    assert b["amount"] == "105.00"     # 60 × (1 + 0.50 + 0.25) = 105.00
    assert b["tags"] == ["urgent", "weekend"]
    c = line(per, "logbook/2026-11.md:5")
    assert c["amount"] == "37.50"      # 30 × 60 / 60 × 1.25 = 37.50
    d = line(per, "logbook/2026-11.md:6")
    assert d["amount"] == "60.00"      # no surcharge tag
    e = line(per, "logbook/2026-11.md:7")
    assert e["kind"] == "expense"
    assert (e["value"], e["amount"]) == ("20.00", "20.00")  # surcharge never applies to expenses
    for ln in (a, b, c, d, e):
        assert ln["status"] == "billed"
    # net 90 + 105 + 37.50 + 60 + 20 = 312.50; tax 312.50 × 0.21 = 65.625 → 65.63; total 378.13
    assert (per["net"], per["tax"], per["total"]) == ("312.50", "65.63", "378.13")
    # logged 60+60+30+60 = 210, all billed
    assert per["minutes"] == minutes(logged=210, billed=210)


def test_bare_numbers_are_percent(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                surcharge: {urgent: 50}
        """,
        "logbook/2026-11.md": """\
            # 2026-11-09
            ## acme
            - 1h outage #urgent
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    assert line(per, "logbook/2026-11.md:3")["amount"] == "90.00"  # 60 × 1.50
    # tax 90 × 0.21 = 18.90; total 108.90
    assert (per["net"], per["tax"], per["total"]) == ("90.00", "18.90", "108.90")


def test_per_tag_rates_first_tag_found_wins(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                rates: {onsite: 80, travel: 40}
                surcharge: {urgent: 50%}
        """,
        "logbook/2026-11.md": """\
            # 2026-11-10
            ## acme
            - 1h rack install #onsite
            - 1h drive there and set up #travel #onsite
            - 1h rack cabling #support #onsite
            - 30m remote follow-up #support
            - 1h30m emergency visit #onsite #urgent
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    expected = {
        3: ("80.00", "80.00"),    # onsite: 60 × 80 / 60 = 80.00
        4: ("40.00", "40.00"),    # first tag found in rates is travel: 60 × 40 / 60 = 40.00
        5: ("80.00", "80.00"),    # support not in rates, onsite is: 80.00
        6: ("60.00", "30.00"),    # no tag in rates: 30 × 60 / 60 = 30.00
        7: ("80.00", "180.00"),   # 90 × 80 / 60 = 120 × 1.50 = 180.00
    }
    for n, (rate, amount) in expected.items():
        ln = line(per, f"logbook/2026-11.md:{n}")
        assert ln["status"] == "billed"
        assert ln["rate"] == rate
        assert (ln["value"], ln["amount"]) == (amount, amount)
    # net 80 + 40 + 80 + 30 + 180 = 410.00; tax 410 × 0.21 = 86.10; total 496.10
    assert (per["net"], per["tax"], per["total"]) == ("410.00", "86.10", "496.10")
    # logged 60+60+60+30+90 = 300
    assert per["minutes"] == minutes(logged=300, billed=300)


# --- no-charge tags and held requesters ----------------------------------------------

def test_no_charge_tags_and_builtin_warranty_goodwill(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                no_charge: [training]
        """,
        "logbook/2026-11.md": """\
            ---
            client: acme
            ---
            # 2026-11-11
            - 1h fix rounding in invoice export #warranty
            - 30m extra help #goodwill
            - 45m onboarding session #training
            - 20m broken link #support #warranty
            - expense 20.00 replacement cable #goodwill
            - 15m password reset #support
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    expected = {
        5: ("warranty", 60, "60.00"),   # 60 × 60 / 60
        6: ("goodwill", 30, "30.00"),   # 30 × 60 / 60
        7: ("training", 45, "45.00"),   # 45 × 60 / 60
        8: ("warranty", 20, "20.00"),   # 20 × 60 / 60
    }
    for n, (reason, mins, value) in expected.items():
        ln = line(per, f"logbook/2026-11.md:{n}")
        assert (ln["status"], ln["reason"]) == ("no-charge", reason)
        assert (ln["logged_minutes"], ln["billed_minutes"]) == (mins, mins)
        assert ln["rate"] == "60.00"
        assert (ln["value"], ln["amount"]) == (value, "0.00")
    exp = line(per, "logbook/2026-11.md:9")
    assert exp["kind"] == "expense"
    assert (exp["status"], exp["reason"]) == ("no-charge", "goodwill")
    assert (exp["value"], exp["amount"]) == ("20.00", "0.00")
    billed = line(per, "logbook/2026-11.md:10")
    assert (billed["status"], billed["amount"]) == ("billed", "15.00")  # 15 × 60 / 60
    # net 15.00; tax 15 × 0.21 = 3.15; total 18.15
    assert (per["net"], per["tax"], per["total"]) == ("15.00", "3.15", "18.15")
    # logged 60+30+45+20+15 = 170; billed 15; no_charge 60+30+45+20 = 155
    assert per["minutes"] == minutes(logged=170, billed=15, no_charge=155)


def test_held_requesters_approved_and_clients_without_contacts(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            contacts:
              ana: Ana García (CTO)
              laura: Laura Gómez (CFO)
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "contracts/globex.yaml": """\
            name: Globex GmbH
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 50
        """,
        "logbook/2026/11.md": """\
            # 2026-11-10

            ## acme
            - 1h @ana new user accounts #support
            - 1h @pedro wants a bigger logo #change
            - 30m @pedro #approved export fix
            - 15m @pedro #warranty broken link
            - 1h backups check
            - expense 12.50 @pedro courier

            ## globex
            - 1h @pedro network check
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")

    ana = line(per, "logbook/2026/11.md:4")
    assert (ana["status"], ana["by"], ana["amount"]) == ("billed", "ana", "60.00")  # 60 × 60 / 60

    pedro = line(per, "logbook/2026/11.md:5")
    assert pedro["status"] == "held"
    assert pedro["by"] == "pedro"
    assert pedro["reason"] == "requester 'pedro' is not an authorised contact"
    assert (pedro["logged_minutes"], pedro["billed_minutes"]) == (60, 60)
    assert (pedro["value"], pedro["amount"]) == ("60.00", "0.00")  # value 60 × 60 / 60 shown

    approved = line(per, "logbook/2026/11.md:6")
    assert (approved["status"], approved["by"]) == ("billed", "pedro")
    assert approved["amount"] == "30.00"  # 30 × 60 / 60

    free_first = line(per, "logbook/2026/11.md:7")
    # no-charge is checked before held (issue 13): warranty work is free whoever asked; the requester stays named
    assert (free_first["status"], free_first["reason"], free_first["by"]) == ("no-charge", "warranty", "pedro")
    assert (free_first["value"], free_first["amount"]) == ("15.00", "0.00")  # 15 × 60 / 60

    nobody = line(per, "logbook/2026/11.md:8")
    assert (nobody["status"], nobody["by"], nobody["amount"]) == ("billed", None, "60.00")

    expense = line(per, "logbook/2026/11.md:9")
    assert (expense["kind"], expense["status"]) == ("expense", "held")
    assert (expense["value"], expense["amount"]) == ("12.50", "0.00")

    # net 60 + 30 + 60 = 150.00; tax 150 × 0.21 = 31.50; total 181.50
    assert (per["net"], per["tax"], per["total"]) == ("150.00", "31.50", "181.50")
    # logged 60+60+30+15+60 = 225; billed 60+30+60 = 150; held 60; no-charge 15
    assert per["minutes"] == minutes(logged=225, billed=150, held=60, no_charge=15)

    gper = period(data, "globex", "2026-11")
    g = line(gper, "logbook/2026/11.md:12")
    # globex has no contacts: anyone may incur charges; 60 × 50 / 60 = 50.00
    assert (g["status"], g["by"], g["amount"]) == ("billed", "pedro", "50.00")
    assert (gper["net"], gper["tax"], gper["total"]) == ("50.00", "0.00", "50.00")


# --- expenses and tax --------------------------------------------------------------

def test_expenses_and_tax_added_half_up(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                rates: {travel: 40}
        """,
        "logbook/2026-11.md": """\
            ---
            client: acme
            ---
            # 2026-11-12
            - 1h on-site visit #support
            - expense 40.00 taxi to the office #travel
            - expense 12.50 parking
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    taxi = line(per, "logbook/2026-11.md:6")
    assert taxi["kind"] == "expense"
    assert taxi["status"] == "billed"
    assert (taxi["logged_minutes"], taxi["billed_minutes"]) == (0, 0)
    assert taxi["rate"] is None
    assert (taxi["value"], taxi["amount"]) == ("40.00", "40.00")  # the expense, not a tag rate
    assert taxi["tags"] == ["travel"]
    assert taxi["description"] == "taxi to the office"
    parking = line(per, "logbook/2026-11.md:7")
    assert (parking["kind"], parking["rate"], parking["amount"]) == ("expense", None, "12.50")
    assert line(per, "logbook/2026-11.md:5")["amount"] == "60.00"  # 60 × 60 / 60
    # net 60 + 40 + 12.50 = 112.50; tax 112.50 × 0.21 = 23.625 → half up 23.63; total 136.13
    assert (per["net"], per["tax"], per["total"]) == ("112.50", "23.63", "136.13")
    # expenses have no minutes
    assert per["minutes"] == minutes(logged=60, billed=60)


def test_prices_include_tax(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            prices_include_tax: true
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "logbook/2026-11.md": """\
            ---
            client: acme
            ---
            # 2026-11-13
            - 1h audit
            - 30m report
            - expense 10.00 parking
            # 2026-12-01
            - 1h follow-up
        """,
    })
    data = price_json(root)
    no_errors(data)
    nov = period(data, "acme", "2026-11")
    assert line(nov, "logbook/2026-11.md:5")["amount"] == "60.00"   # gross: 60 × 60 / 60
    assert line(nov, "logbook/2026-11.md:6")["amount"] == "30.00"   # 30 × 60 / 60
    assert line(nov, "logbook/2026-11.md:7")["amount"] == "10.00"
    # gross 60 + 30 + 10 = 100.00; net 100 / 1.21 = 82.6446… → 82.64; tax 100 − 82.64 = 17.36
    assert (nov["net"], nov["tax"], nov["total"]) == ("82.64", "17.36", "100.00")
    dec = period(data, "acme", "2026-12")
    assert line(dec, "logbook/2026-11.md:9")["amount"] == "60.00"
    # gross 60.00; net 60 / 1.21 = 49.5867… → 49.59; tax 60 − 49.59 = 10.41
    assert (dec["net"], dec["tax"], dec["total"]) == ("49.59", "10.41", "60.00")


# --- times and dates ----------------------------------------------------------------

def test_range_crossing_midnight_is_dated_on_start_day(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "logbook/2026-11.md": """\
            # 2026-11-30
            ## acme
            - 23:30-01:15 night migration #support

            # 2026-12-01
            ## acme
            - 09:00-09:30 follow-up check
        """,
    })
    data = price_json(root)
    no_errors(data)
    assert periods(data, "acme") == ["2026-11", "2026-12"]
    nov = period(data, "acme", "2026-11")
    night = line(nov, "logbook/2026-11.md:3")
    assert night["date"] == "2026-11-30"
    # 23:30 → 24:00 = 30 min, 00:00 → 01:15 = 75 min; 105 min × 60 / 60 = 105.00
    assert (night["logged_minutes"], night["billed_minutes"]) == (105, 105)
    assert night["amount"] == "105.00"
    assert len(nov["lines"]) == 1
    # tax 105 × 0.21 = 22.05; total 127.05
    assert (nov["net"], nov["tax"], nov["total"]) == ("105.00", "22.05", "127.05")
    dec = period(data, "acme", "2026-12")
    assert len(dec["lines"]) == 1
    morning = line(dec, "logbook/2026-11.md:7")
    assert (morning["date"], morning["logged_minutes"], morning["amount"]) == ("2026-12-01", 30, "30.00")
    # tax 30 × 0.21 = 6.30; total 36.30
    assert (dec["net"], dec["tax"], dec["total"]) == ("30.00", "6.30", "36.30")


def test_durations_in_every_form(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "logbook/2026-11.md": """\
            # 2026-11-16
            ## acme
            - 1h plain hours
            - 1h30m hours and minutes
            - 45m minutes
            - 1.5h decimal hours
            - 0:45 clock duration
            - 09:00\u201310:00 en dash range
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    expected = {3: 60, 4: 90, 5: 45, 6: 90, 7: 45, 8: 60}
    for n, mins in expected.items():
        ln = line(per, f"logbook/2026-11.md:{n}")
        assert (ln["logged_minutes"], ln["billed_minutes"]) == (mins, mins)
        assert ln["amount"] == f"{mins}.00"  # rate 60: minutes × 60 / 60 = minutes
    # 60+90+45+90+45+60 = 390 → 390.00; tax 390 × 0.21 = 81.90; total 471.90
    assert (per["net"], per["tax"], per["total"]) == ("390.00", "81.90", "471.90")
    assert per["minutes"] == minutes(logged=390, billed=390)


def test_rate_rise_across_two_terms_in_one_month(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                until: 2026-11-15
              - from: 2026-11-16
                kind: hourly
                rate: 66
        """,
        "logbook/2026-11.md": """\
            ---
            client: acme
            ---
            # 2026-11-15
            - 1h last day of the old rate
            # 2026-11-16
            - 1h first day of the new rate
            # 2026-11-30
            - 30m month end
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    old = line(per, "logbook/2026-11.md:5")
    assert (old["rate"], old["amount"]) == ("60.00", "60.00")   # until is inclusive: 60 × 60 / 60
    new = line(per, "logbook/2026-11.md:7")
    assert (new["rate"], new["amount"]) == ("66.00", "66.00")   # 60 × 66 / 60
    end = line(per, "logbook/2026-11.md:9")
    assert (end["rate"], end["amount"]) == ("66.00", "33.00")   # 30 × 66 / 60
    # net 60 + 66 + 33 = 159.00; tax 159 × 0.21 = 33.39; total 192.39
    assert (per["net"], per["tax"], per["total"]) == ("159.00", "33.39", "192.39")


def test_quarterly_periods(books):
    root = books({
        "hourbook.yaml": """\
            seller:
              name: Ana Ruiz Consulting
              address: "C/ Mayor 1, 28013 Madrid"
              tax_id: ESB12345678
            currency: EUR
            locale: en
            period: quarter
            cost: 35
        """,
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "logbook/2026.md": """\
            ---
            client: acme
            ---
            # 2026-09-30
            - 1h end of Q3
            # 2026-10-01
            - 1h start of Q4
            # 2026-11-15
            - 30m mid Q4
            # 2026-12-31
            - 15m end of Q4
        """,
    })
    data = price_json(root, as_of="2026-12-31")
    no_errors(data)
    assert periods(data, "acme") == ["2026-Q3", "2026-Q4"]
    q3 = period(data, "acme", "2026-Q3")
    assert [ln["source"] for ln in q3["lines"]] == ["logbook/2026.md:5"]
    # 60.00; tax 60 × 0.21 = 12.60; total 72.60
    assert (q3["net"], q3["tax"], q3["total"]) == ("60.00", "12.60", "72.60")
    q4 = period(data, "acme", "2026-Q4")
    assert sorted(ln["source"] for ln in q4["lines"]) == [
        "logbook/2026.md:11", "logbook/2026.md:7", "logbook/2026.md:9"]
    # 60 + 30 + 15 = 105.00; tax 105 × 0.21 = 22.05; total 127.05
    assert (q4["net"], q4["tax"], q4["total"]) == ("105.00", "22.05", "127.05")
    assert q4["minutes"] == minutes(logged=105, billed=105)


# --- logbook forms ------------------------------------------------------------------

def test_markdown_logbook_front_matter_and_headings(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "contracts/globex.yaml": """\
            name: Globex GmbH
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 50
        """,
        "logbook/2026-11.md": """\
            ---
            client: acme
            ---
            # 2026-11-03
            - 09:10-10:25 @ana printer driver on their side #support
              They replaced the driver afterwards.
            - 30m #communication call about renewal

            Some prose about the day, ignored.

            ## globex
            - 1h network check #onsite

            # 2026-11-04
            - 45m export fix
        """,
    })
    data = price_json(root)
    no_errors(data)
    acme = period(data, "acme", "2026-11")
    assert sorted(ln["source"] for ln in acme["lines"]) == [
        "logbook/2026-11.md:15", "logbook/2026-11.md:5", "logbook/2026-11.md:7"]
    a = line(acme, "logbook/2026-11.md:5")
    assert (a["date"], a["kind"], a["by"], a["tags"]) == ("2026-11-03", "time", "ana", ["support"])
    assert a["description"] == "printer driver on their side"
    assert (a["logged_minutes"], a["amount"]) == (75, "75.00")  # 09:10-10:25 = 75 min × 60 / 60
    b = line(acme, "logbook/2026-11.md:7")
    assert (b["date"], b["by"], b["tags"]) == ("2026-11-03", None, ["communication"])
    assert b["description"] == "call about renewal"
    assert (b["logged_minutes"], b["amount"]) == (30, "30.00")
    # the `# 2026-11-04` heading ends `## globex`: back to the front matter client
    c = line(acme, "logbook/2026-11.md:15")
    assert (c["date"], c["logged_minutes"], c["amount"]) == ("2026-11-04", 45, "45.00")
    # net 75 + 30 + 45 = 150.00; tax 31.50; total 181.50
    assert (acme["net"], acme["tax"], acme["total"]) == ("150.00", "31.50", "181.50")

    globex = period(data, "globex", "2026-11")
    g = line(globex, "logbook/2026-11.md:12")
    assert (g["date"], g["tags"]) == ("2026-11-03", ["onsite"])
    assert (g["rate"], g["amount"]) == ("50.00", "50.00")  # 60 × 50 / 60
    assert len(globex["lines"]) == 1
    # no tax on globex
    assert (globex["net"], globex["tax"], globex["total"]) == ("50.00", "0.00", "50.00")


def test_yaml_logbook(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
                surcharge: {urgent: 50%}
        """,
        "contracts/globex.yaml": """\
            name: Globex GmbH
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 50
        """,
        "logbook/2026/acme.yaml": """\
            client: acme
            entries:
              - date: 2026-11-03
                time: "09:10-10:25"
                by: ana
                tags: [support]
                note: printer driver on their side
              - date: 2026-11-04
                duration: 1h15m
                tags: [urgent]
              - date: 2026-11-05
                expense: 12.50
                note: courier
              - date: 2026-11-06
                client: globex
                duration: 30m
        """,
    })
    data = price_json(root)
    no_errors(data)
    per = period(data, "acme", "2026-11")
    a = line(per, "logbook/2026/acme.yaml:3")
    assert (a["date"], a["kind"], a["by"], a["tags"]) == ("2026-11-03", "time", "ana", ["support"])
    assert (a["logged_minutes"], a["amount"]) == (75, "75.00")   # 75 × 60 / 60
    b = line(per, "logbook/2026/acme.yaml:8")
    assert (b["logged_minutes"], b["amount"]) == (75, "112.50")  # 75 × 60 / 60 × 1.50
    c = line(per, "logbook/2026/acme.yaml:11")
    assert (c["kind"], c["amount"]) == ("expense", "12.50")
    assert len(per["lines"]) == 3
    # net 75 + 112.50 + 12.50 = 200.00; tax 200 × 0.21 = 42.00; total 242.00
    assert (per["net"], per["tax"], per["total"]) == ("200.00", "42.00", "242.00")
    g = line(period(data, "globex", "2026-11"), "logbook/2026/acme.yaml:14")
    assert (g["logged_minutes"], g["amount"]) == (30, "25.00")  # 30 × 50 / 60


# --- rounding -------------------------------------------------------------------------

def test_rounding_half_up_per_line(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 50
        """,
        "contracts/globex.yaml": """\
            name: Globex GmbH
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 45
                surcharge: {urgent: 50%}
        """,
        "logbook/2026-11.md": """\
            # 2026-11-20
            ## acme
            - 7m tiny fix

            ## globex
            - 1m #urgent ping
            - 1m #urgent ping again
            - 1m #urgent and again
            - 1m no surcharge
        """,
    })
    data = price_json(root)
    no_errors(data)
    acme = period(data, "acme", "2026-11")
    # 7 × 50 / 60 = 5.8333… → 5.83
    assert line(acme, "logbook/2026-11.md:3")["amount"] == "5.83"
    # tax 5.83 × 0.21 = 1.2243 → 1.22; total 7.05
    assert (acme["net"], acme["tax"], acme["total"]) == ("5.83", "1.22", "7.05")
    globex = period(data, "globex", "2026-11")
    for n in (6, 7, 8):
        ln = line(globex, f"logbook/2026-11.md:{n}")
        # 1 × 45 / 60 = 0.75 × 1.50 = 1.125 → half up 1.13 (not banker's 1.12)
        assert (ln["value"], ln["amount"]) == ("1.13", "1.13")
    assert line(globex, "logbook/2026-11.md:9")["amount"] == "0.75"  # 1 × 45 / 60
    # per line: 3 × 1.13 + 0.75 = 4.14 (not round(3 × 1.125 + 0.75) = 4.13)
    assert (globex["net"], globex["tax"], globex["total"]) == ("4.14", "0.00", "4.14")
