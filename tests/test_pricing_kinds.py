"""Hand-priced acceptance tests: every contract kind (SPEC §3, §5, §8 and docs/pricing.md).

Every figure is computed by hand from the spec; the arithmetic is in the
comment beside each assertion. Books are written with the `books` fixture
(every file is dedented, so the first line of a logbook is line 1).
"""

from __future__ import annotations

from conftest import period
from conftest import periods
from conftest import price_json


# --- helpers -----------------------------------------------------------------


def parts(per: dict, source: str) -> list[dict]:
    return [ln for ln in per["lines"] if ln["source"] == source]


def line(per: dict, source: str) -> dict:
    matches = parts(per, source)
    assert len(matches) == 1, [ln["source"] for ln in per["lines"]]
    return matches[0]


def part(per: dict, source: str, status: str, cover=None) -> dict:
    """The one part of a (possibly split) entry with this status (and cover)."""
    matches = [ln for ln in parts(per, source)
               if ln["status"] == status and (cover is None or ln["cover"] == cover)]
    assert len(matches) == 1, parts(per, source)
    return matches[0]


def blocks(per: dict) -> dict:
    return {b["id"]: b for b in per["prepaid"]}


def no_errors(data: dict) -> None:
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert errors == []


def minutes(logged=0, billed=0, covered=0, no_charge=0, held=0, quote=0, uncovered=0) -> dict:
    return {"logged": logged, "billed": billed, "covered": covered, "no_charge": no_charge,
            "held": held, "quote": quote, "uncovered": uncovered}


# --- (a) tax-inclusive prepaid contingent split across months ----------------------

GLOBEX_PREPAID = {
    "contracts/globex.yaml": """\
        name: Globex GmbH
        tax: 21%
        prices_include_tax: true
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 90
            increment: 15m
        prepaid:
          - id: K-2026-09
            bought: 2026-09-28
            hours: 5
            price: 400
    """,
    "logbook/globex.md": """\
        ---
        client: globex
        ---
        # 2026-10-06
        - 2h server update #support

        # 2026-10-20
        - 50m log rotation #support

        # 2026-11-03
        - 1h40m backup restore test

        # 2026-11-10
        - 50m certificate renewal

        # 2026-11-20
        - 1h mail migration
    """,
}


def test_prepaid_tax_inclusive_contingent_split_across_months(books):
    data = price_json(books(GLOBEX_PREPAID), as_of="2026-12-31")
    no_errors(data)
    # Sep: price only; Oct, Nov: entries; Dec: nothing (no line, no fee)
    assert periods(data, "globex") == ["2026-09", "2026-10", "2026-11"]

    sep = period(data, "globex", "2026-09")
    assert sep["lines"] == []
    assert [f["amount"] for f in sep["fees"]] == ["400.00"]  # block price, in the bought period
    # gross 400.00; net 400 / 1.21 = 330.5785… → 330.58; tax 400 − 330.58 = 69.42
    assert (sep["net"], sep["tax"], sep["total"]) == ("330.58", "69.42", "400.00")
    assert sep["minutes"] == minutes()
    # 5h = 300 min, nothing used yet
    assert sep["prepaid"] == [{"id": "K-2026-09", "used_minutes": 0,
                               "remaining_minutes": 300, "expired_minutes": 0}]

    oct_ = period(data, "globex", "2026-10")
    a = line(oct_, "logbook/globex.md:5")
    assert (a["status"], a["cover"]) == ("covered", "K-2026-09")
    assert (a["logged_minutes"], a["billed_minutes"], a["amount"]) == (120, 120, "0.00")
    b = line(oct_, "logbook/globex.md:8")
    assert (b["status"], b["cover"]) == ("covered", "K-2026-09")
    # 50 logged → 60 billable (increment 15m); the block counts billable minutes
    assert (b["logged_minutes"], b["billed_minutes"], b["amount"]) == (50, 60, "0.00")
    assert oct_["fees"] == []
    assert (oct_["net"], oct_["tax"], oct_["total"]) == ("0.00", "0.00", "0.00")
    # logged 120 + 50 = 170, all covered
    assert oct_["minutes"] == minutes(logged=170, covered=170)
    # used 120 + 60 = 180; remaining 300 − 180 = 120
    assert oct_["prepaid"] == [{"id": "K-2026-09", "used_minutes": 180,
                                "remaining_minutes": 120, "expired_minutes": 0}]

    nov = period(data, "globex", "2026-11")
    c = line(nov, "logbook/globex.md:11")
    # 1h40m = 100 logged → 105 billable; block 120 → 15 left
    assert (c["status"], c["cover"]) == ("covered", "K-2026-09")
    assert (c["logged_minutes"], c["billed_minutes"], c["amount"]) == (100, 105, "0.00")
    assert len(parts(nov, "logbook/globex.md:14")) == 2
    # 50 logged → 60 billable: 15 covered (block end), 45 billed remainder
    d1 = part(nov, "logbook/globex.md:14", "covered")
    assert d1["cover"] == "K-2026-09"
    # covered part takes logged up to its billable share: min(50, 15) = 15
    assert (d1["logged_minutes"], d1["billed_minutes"], d1["amount"]) == (15, 15, "0.00")
    d2 = part(nov, "logbook/globex.md:14", "billed")
    assert d2["cover"] is None
    # last part takes what is left: 50 − 15 = 35 logged; 45 × 90 / 60 = 67.50 (gross)
    assert (d2["logged_minutes"], d2["billed_minutes"]) == (35, 45)
    assert (d2["rate"], d2["value"], d2["amount"]) == ("90.00", "67.50", "67.50")
    e = line(nov, "logbook/globex.md:17")
    assert (e["status"], e["cover"]) == ("billed", None)  # no block left
    assert (e["logged_minutes"], e["billed_minutes"], e["amount"]) == (60, 60, "90.00")  # 60 × 90 / 60
    assert nov["fees"] == []
    # gross 67.50 + 90.00 = 157.50; net 157.50 / 1.21 = 130.1652… → 130.17; tax 27.33
    assert (nov["net"], nov["tax"], nov["total"]) == ("130.17", "27.33", "157.50")
    # logged 100 + 50 + 60 = 210; covered 100 + 15 = 115; billed (billable of billed lines) 45 + 60 = 105
    assert nov["minutes"] == minutes(logged=210, billed=105, covered=115)
    # used 180 + 105 + 15 = 300; remaining 0; the block has no expiry
    assert nov["prepaid"] == [{"id": "K-2026-09", "used_minutes": 300,
                               "remaining_minutes": 0, "expired_minutes": 0}]


# --- (b) blocks with a bonus, expiring half-used; draw order ------------------------

INITECH = {
    "contracts/initech.yaml": """\
        name: Initech
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 80
        prepaid:
          - id: B-1
            bought: 2026-09-01
            hours: 10
            bonus: 1h
            price: 700
            expires: 2026-11-15
          - id: B-2
            bought: 2026-07-01
            hours: 2
            price: 150
          - id: B-0
            bought: 2026-08-01
            hours: 1
            price: 80
            expires: 2026-11-15
    """,
    "logbook/initech.md": """\
        ---
        client: initech
        ---
        # 2026-10-05
        - 2h onboarding

        # 2026-11-02
        - 4h data import

        # 2026-11-15
        - 30m last usable day of B-1

        # 2026-11-16
        - 1h after the expiry

        # 2026-12-01
        - 1h30m year-end report
    """,
}


def test_prepaid_blocks_bonus_expiry_and_draw_order(books):
    data = price_json(books(INITECH), as_of="2026-12-31")
    no_errors(data)
    # every bought period has a fee; Oct–Dec have entries
    assert periods(data, "initech") == ["2026-07", "2026-08", "2026-09",
                                        "2026-10", "2026-11", "2026-12"]

    jul = period(data, "initech", "2026-07")
    assert jul["lines"] == []
    assert [f["amount"] for f in jul["fees"]] == ["150.00"]  # B-2 price
    assert (jul["net"], jul["tax"], jul["total"]) == ("150.00", "0.00", "150.00")  # no tax
    # only B-2 is bought yet: 2h = 120 min
    assert jul["prepaid"] == [{"id": "B-2", "used_minutes": 0, "remaining_minutes": 120,
                               "expired_minutes": 0}]

    aug = period(data, "initech", "2026-08")
    assert [f["amount"] for f in aug["fees"]] == ["80.00"]  # B-0 price
    assert (aug["net"], aug["total"]) == ("80.00", "80.00")
    assert set(blocks(aug)) == {"B-2", "B-0"}

    sep = period(data, "initech", "2026-09")
    assert [(f["label"], f["amount"]) for f in sep["fees"]] == [
        ("Prepaid block B-1 (10h + 1h bonus)", "700.00")]
    assert (sep["net"], sep["total"]) == ("700.00", "700.00")
    # B-1: 10h + 1h bonus = 660 min
    assert blocks(sep) == {
        "B-2": {"id": "B-2", "used_minutes": 0, "remaining_minutes": 120, "expired_minutes": 0},
        "B-0": {"id": "B-0", "used_minutes": 0, "remaining_minutes": 60, "expired_minutes": 0},
        "B-1": {"id": "B-1", "used_minutes": 0, "remaining_minutes": 660, "expired_minutes": 0},
    }

    oct_ = period(data, "initech", "2026-10")
    # draw order: B-0 and B-1 both expire 2026-11-15 → earliest bought first (B-0, 08-01),
    # then B-1 (09-01); B-2 has no expiry → last. 120 min = 60 from B-0 + 60 from B-1
    assert len(parts(oct_, "logbook/initech.md:5")) == 2
    p0 = part(oct_, "logbook/initech.md:5", "covered", "B-0")
    assert (p0["logged_minutes"], p0["billed_minutes"], p0["amount"]) == (60, 60, "0.00")
    p1 = part(oct_, "logbook/initech.md:5", "covered", "B-1")
    assert (p1["logged_minutes"], p1["billed_minutes"], p1["amount"]) == (60, 60, "0.00")
    assert oct_["fees"] == []
    assert (oct_["net"], oct_["tax"], oct_["total"]) == ("0.00", "0.00", "0.00")
    assert oct_["minutes"] == minutes(logged=120, covered=120)
    assert blocks(oct_) == {
        "B-0": {"id": "B-0", "used_minutes": 60, "remaining_minutes": 0, "expired_minutes": 0},
        # 660 − 60 = 600
        "B-1": {"id": "B-1", "used_minutes": 60, "remaining_minutes": 600, "expired_minutes": 0},
        "B-2": {"id": "B-2", "used_minutes": 0, "remaining_minutes": 120, "expired_minutes": 0},
    }

    nov = period(data, "initech", "2026-11")
    a = line(nov, "logbook/initech.md:8")
    assert (a["status"], a["cover"], a["billed_minutes"]) == ("covered", "B-1", 240)
    b = line(nov, "logbook/initech.md:11")  # expires is inclusive: still B-1 on 11-15
    assert (b["status"], b["cover"], b["billed_minutes"]) == ("covered", "B-1", 30)
    c = line(nov, "logbook/initech.md:14")  # B-1 and B-0 gone after 11-15: B-2
    assert (c["status"], c["cover"], c["billed_minutes"]) == ("covered", "B-2", 60)
    assert (nov["net"], nov["tax"], nov["total"]) == ("0.00", "0.00", "0.00")
    # logged 240 + 30 + 60 = 330, all covered
    assert nov["minutes"] == minutes(logged=330, covered=330)
    assert blocks(nov) == {
        # B-0 expired empty
        "B-0": {"id": "B-0", "used_minutes": 60, "remaining_minutes": 0, "expired_minutes": 0},
        # B-1 used 60 + 240 + 30 = 330 of 660; 660 − 330 = 330 expired on 2026-11-15
        "B-1": {"id": "B-1", "used_minutes": 330, "remaining_minutes": 0, "expired_minutes": 330},
        # B-2 used 60 of 120
        "B-2": {"id": "B-2", "used_minutes": 60, "remaining_minutes": 60, "expired_minutes": 0},
    }

    dec = period(data, "initech", "2026-12")
    # 90 min: 60 left in B-2, 30 billed at 80
    assert len(parts(dec, "logbook/initech.md:17")) == 2
    d1 = part(dec, "logbook/initech.md:17", "covered", "B-2")
    assert (d1["logged_minutes"], d1["billed_minutes"], d1["amount"]) == (60, 60, "0.00")
    d2 = part(dec, "logbook/initech.md:17", "billed")
    assert d2["cover"] is None
    # 30 × 80 / 60 = 40.00
    assert (d2["logged_minutes"], d2["billed_minutes"]) == (30, 30)
    assert (d2["rate"], d2["value"], d2["amount"]) == ("80.00", "40.00", "40.00")
    assert (dec["net"], dec["tax"], dec["total"]) == ("40.00", "0.00", "40.00")
    assert dec["minutes"] == minutes(logged=90, billed=30, covered=60)
    # expired blocks appear up to the period they expired in (Nov): only B-2 left
    assert dec["prepaid"] == [{"id": "B-2", "used_minutes": 120, "remaining_minutes": 0,
                               "expired_minutes": 0}]


# --- (c) retainer with an allowance, beside a fixed-price quote ----------------------

UMBRELLA = {
    "contracts/umbrella.yaml": """\
        name: Umbrella Corp
        tax: 21%
        terms:
          - from: 2026-10-15
            kind: retainer
            fee: 300
            included: 5h
            covers: [support]
            rate: 70
        quotes:
          - id: Q-2026-07
            title: Update to v3
            price: 4500
            estimate: 40h
            approved: "2026-10-15 ana"
            invoice: 2026-11-30
    """,
    "logbook/umbrella.md": """\
        ---
        client: umbrella
        ---
        # 2026-10-16
        - 3h mail outage #support
        - 1h new report #feature

        # 2026-10-19
        - 2h30m printer fleet #support
        - 4h v3 migration #Q-2026-07

        # 2026-10-20
        - 1h vpn reset #support

        # 2026-11-03
        - 6h v3 migration #Q-2026-07
        - 1h password reset #support
    """,
}


def test_retainer_allowance_runs_out_mid_entry_beside_a_quote(books):
    data = price_json(books(UMBRELLA), as_of="2026-12-15")
    no_errors(data)
    # fee in every period in force up to the as-of period (Dec), none after
    assert periods(data, "umbrella") == ["2026-10", "2026-11", "2026-12"]
    retainer_fee = {"kind": "retainer", "label": "Support retainer", "amount": "300.00"}

    oct_ = period(data, "umbrella", "2026-10")
    a = line(oct_, "logbook/umbrella.md:5")
    # 180 of the 300 included minutes
    assert (a["status"], a["cover"]) == ("covered", "retainer")
    assert (a["logged_minutes"], a["billed_minutes"], a["amount"]) == (180, 180, "0.00")
    b = line(oct_, "logbook/umbrella.md:6")
    # #feature is not in covers: billed at rate, 60 × 70 / 60 = 70.00
    assert (b["status"], b["cover"], b["rate"], b["amount"]) == ("billed", None, "70.00", "70.00")
    assert len(parts(oct_, "logbook/umbrella.md:9")) == 2
    c1 = part(oct_, "logbook/umbrella.md:9", "covered")
    # 300 − 180 = 120 left in the allowance
    assert c1["cover"] == "retainer"
    assert (c1["logged_minutes"], c1["billed_minutes"], c1["amount"]) == (120, 120, "0.00")
    c2 = part(oct_, "logbook/umbrella.md:9", "billed")
    # 150 − 120 = 30 beyond the cap: 30 × 70 / 60 = 35.00
    assert c2["cover"] is None
    assert (c2["logged_minutes"], c2["billed_minutes"]) == (30, 30)
    assert (c2["rate"], c2["value"], c2["amount"]) == ("70.00", "35.00", "35.00")
    q = line(oct_, "logbook/umbrella.md:10")
    assert (q["status"], q["logged_minutes"], q["amount"]) == ("quote", 240, "0.00")
    d = line(oct_, "logbook/umbrella.md:13")
    # allowance used up: 60 × 70 / 60 = 70.00
    assert (d["status"], d["cover"], d["amount"]) == ("billed", None, "70.00")
    assert oct_["fees"] == [retainer_fee]  # from 2026-10-15: in force on some days of October
    # net 70 + 35 + 70 + 300 = 475.00; tax 475 × 0.21 = 99.75; total 574.75
    assert (oct_["net"], oct_["tax"], oct_["total"]) == ("475.00", "99.75", "574.75")
    # logged 180+60+150+240+60 = 690; covered 180+120 = 300; quote 240; billed 60+30+60 = 150
    assert oct_["minutes"] == minutes(logged=690, billed=150, covered=300, quote=240)
    # 40h = 2400 min
    assert oct_["quotes"] == [{"id": "Q-2026-07", "used_minutes": 240, "estimate_minutes": 2400}]

    nov = period(data, "umbrella", "2026-11")
    q2 = line(nov, "logbook/umbrella.md:16")
    assert (q2["status"], q2["logged_minutes"], q2["amount"]) == ("quote", 360, "0.00")
    e = line(nov, "logbook/umbrella.md:17")
    # a new period, a new allowance
    assert (e["status"], e["cover"], e["billed_minutes"], e["amount"]) == ("covered", "retainer", 60, "0.00")
    assert sorted((f["label"], f["amount"]) for f in nov["fees"]) == [
        ("Quote Q-2026-07: Update to v3", "4500.00"),  # invoice 2026-11-30
        ("Support retainer", "300.00"),
    ]
    # net 300 + 4500 = 4800.00; tax 4800 × 0.21 = 1008.00; total 5808.00
    assert (nov["net"], nov["tax"], nov["total"]) == ("4800.00", "1008.00", "5808.00")
    assert nov["minutes"] == minutes(logged=420, covered=60, quote=360)
    # used 240 + 360 = 600 by the end of November
    assert nov["quotes"] == [{"id": "Q-2026-07", "used_minutes": 600, "estimate_minutes": 2400}]

    dec = period(data, "umbrella", "2026-12")
    # no entries: a statement with just the fee
    assert dec["lines"] == []
    assert dec["fees"] == [retainer_fee]
    # tax 300 × 0.21 = 63.00; total 363.00
    assert (dec["net"], dec["tax"], dec["total"]) == ("300.00", "63.00", "363.00")
    assert dec["minutes"] == minutes()
    assert dec["quotes"] == []  # invoiced in November: not shown after its invoice period
    assert dec["prepaid"] == []


HOOLI = {
    "contracts/hooli.yaml": """\
        name: Hooli
        terms:
          - from: 2026-11-01
            kind: retainer
            fee: 200
            included: 2h
            label: Hosting care
    """,
    "logbook/hooli.md": """\
        ---
        client: hooli
        ---
        # 2026-11-02
        - 1h30m server patching

        # 2026-11-03
        - 1h disk cleanup
    """,
}


def test_retainer_without_rate_reports_uncovered_with_a_warning(books):
    data = price_json(books(HOOLI), as_of="2026-12-31")
    no_errors(data)
    assert periods(data, "hooli") == ["2026-11", "2026-12"]
    nov = period(data, "hooli", "2026-11")
    a = line(nov, "logbook/hooli.md:5")
    assert (a["status"], a["cover"], a["billed_minutes"], a["amount"]) == ("covered", "retainer", 90, "0.00")
    assert len(parts(nov, "logbook/hooli.md:8")) == 2
    b1 = part(nov, "logbook/hooli.md:8", "covered")
    # 120 − 90 = 30 left in the allowance
    assert b1["cover"] == "retainer"
    assert (b1["logged_minutes"], b1["billed_minutes"], b1["amount"]) == (30, 30, "0.00")
    b2 = part(nov, "logbook/hooli.md:8", "uncovered")
    # 60 − 30 = 30 beyond the cap, no rate: amount 0, value 0.00, rate null
    assert (b2["logged_minutes"], b2["billed_minutes"]) == (30, 30)
    assert (b2["rate"], b2["value"], b2["amount"]) == (None, "0.00", "0.00")
    assert nov["fees"] == [{"kind": "retainer", "label": "Hosting care", "amount": "200.00"}]
    assert (nov["net"], nov["tax"], nov["total"]) == ("200.00", "0.00", "200.00")  # no tax
    # logged 90 + 60 = 150; covered 90 + 30 = 120; uncovered 30
    assert nov["minutes"] == minutes(logged=150, covered=120, uncovered=30)
    warnings = [d for d in data["diagnostics"] if d["severity"] == "warning"]
    assert any(d["path"] == "logbook/hooli.md" and d["line"] == 8 for d in warnings), warnings

    dec = period(data, "hooli", "2026-12")
    assert dec["lines"] == []
    assert [f["amount"] for f in dec["fees"]] == ["200.00"]
    assert (dec["net"], dec["tax"], dec["total"]) == ("200.00", "0.00", "200.00")


# --- (d) free term, then hourly with a surcharge and an unapproved quote ------------

STARK = {
    "contracts/stark.yaml": """\
        name: Stark Industries
        tax: 21%
        terms:
          - from: 2026-09-01
            kind: free
            rate: 60
            until: 2026-11-15
          - from: 2026-11-16
            kind: hourly
            rate: 60
            surcharge: {urgent: 50%}
        quotes:
          - id: Q-2026-12
            title: New dashboard
            price: 2000
            estimate: 20h
    """,
    "logbook/stark.md": """\
        ---
        client: stark
        ---
        # 2026-11-15
        - 1h setup help #urgent

        # 2026-11-20
        - 1h outage #urgent
        - 2h dashboard mockups #Q-2026-12
        - 30m questions
    """,
}


def test_free_term_then_hourly_with_surcharge_and_unapproved_quote(books):
    data = price_json(books(STARK), as_of="2026-12-31")
    no_errors(data)
    # Sep/Oct: no entries and no fees; Dec: nothing
    assert periods(data, "stark") == ["2026-11"]
    nov = period(data, "stark", "2026-11")
    a = line(nov, "logbook/stark.md:5")
    # the free term runs until 2026-11-15 inclusive; it has no surcharge: value 60 × 60 / 60
    assert (a["status"], a["reason"]) == ("no-charge", "included")
    assert (a["logged_minutes"], a["billed_minutes"]) == (60, 60)
    assert (a["rate"], a["value"], a["amount"]) == ("60.00", "60.00", "0.00")
    b = line(nov, "logbook/stark.md:8")
    # 60 × 60 / 60 × 1.50 = 90.00
    assert (b["status"], b["rate"], b["value"], b["amount"]) == ("billed", "60.00", "90.00", "90.00")
    c = line(nov, "logbook/stark.md:9")
    assert c["status"] == "held"
    assert c["reason"] == "quote Q-2026-12 is not approved"
    # value 120 × 60 / 60 = 120.00 shown, amount 0
    assert (c["logged_minutes"], c["billed_minutes"]) == (120, 120)
    assert (c["value"], c["amount"]) == ("120.00", "0.00")
    d = line(nov, "logbook/stark.md:10")
    assert (d["status"], d["amount"]) == ("billed", "30.00")  # 30 × 60 / 60
    assert nov["fees"] == []  # the quote has no invoice date
    # net 90 + 30 = 120.00; tax 120 × 0.21 = 25.20; total 145.20
    assert (nov["net"], nov["tax"], nov["total"]) == ("120.00", "25.20", "145.20")
    # logged 60+60+120+30 = 270; billed 60+30 = 90; no_charge 60; held 120
    assert nov["minutes"] == minutes(logged=270, billed=90, no_charge=60, held=120)


# --- (e) incident pack -----------------------------------------------------------------

WAYNE = {
    "contracts/wayne.yaml": """\
        name: Wayne Enterprises
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 100
        prepaid:
          - id: I-1
            bought: 2026-11-01
            incidents: 3
            price: 300
    """,
    "logbook/wayne.md": """\
        ---
        client: wayne
        ---
        # 2026-11-02
        - 2h mail down #ticket-101

        # 2026-11-03
        - 30m mail follow-up #ticket-101
        - 1h printer jam #ticket-102

        # 2026-11-04
        - 45m password reset
        - 1h mail down again #ticket-101
        - 1h vpn broken #ticket-103
    """,
}


def test_incident_pack_one_incident_per_ticket(books):
    data = price_json(books(WAYNE), as_of="2026-12-31")
    no_errors(data)
    nov = period(data, "wayne", "2026-11")
    covered = {
        5: 120,   # ticket-101: incident 1
        8: 30,    # ticket-101 again: same incident
        9: 60,    # ticket-102: incident 2
        12: 45,   # no ticket: incident 3
        13: 60,   # ticket-101, already paid for: covered while the pack is usable
    }
    for n, mins in covered.items():
        ln = line(nov, f"logbook/wayne.md:{n}")
        assert (ln["status"], ln["cover"]) == ("covered", "I-1"), n
        assert (ln["logged_minutes"], ln["billed_minutes"], ln["amount"]) == (mins, mins, "0.00")
    last = line(nov, "logbook/wayne.md:14")
    # ticket-103: no incident left → 60 × 100 / 60 = 100.00
    assert (last["status"], last["cover"], last["amount"]) == ("billed", None, "100.00")
    assert [f["amount"] for f in nov["fees"]] == ["300.00"]
    # net 300 + 100 = 400.00; no tax
    assert (nov["net"], nov["tax"], nov["total"]) == ("400.00", "0.00", "400.00")
    # logged 120+30+60+45+60+60 = 375; covered 375 − 60 = 315; billed 60
    assert nov["minutes"] == minutes(logged=375, billed=60, covered=315)
    pack = blocks(nov)["I-1"]
    assert (pack["incidents"], pack["used_incidents"], pack["remaining_incidents"]) == (3, 3, 0)


# --- statements and requests ------------------------------------------------------------

def test_statement_for_a_period_with_only_a_quote_fee(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
            quotes:
              - id: Q-2026-07
                title: Update to v3
                price: 4500
                estimate: 40h
                approved: "2026-11-01 ana"
                invoice: 2026-12-15
        """,
        "logbook/acme.md": """\
            ---
            client: acme
            ---
            # 2026-11-05
            - 2h v3 groundwork #Q-2026-07
            - 1h unrelated fix
        """,
    })
    data = price_json(root, as_of="2026-12-31")
    no_errors(data)
    assert periods(data, "acme") == ["2026-11", "2026-12"]
    nov = period(data, "acme", "2026-11")
    assert line(nov, "logbook/acme.md:5")["status"] == "quote"
    assert line(nov, "logbook/acme.md:6")["amount"] == "60.00"   # 60 × 60 / 60
    assert nov["fees"] == []
    # tax 60 × 0.21 = 12.60; total 72.60
    assert (nov["net"], nov["tax"], nov["total"]) == ("60.00", "12.60", "72.60")
    assert nov["minutes"] == minutes(logged=180, billed=60, quote=120)
    assert nov["quotes"] == [{"id": "Q-2026-07", "used_minutes": 120, "estimate_minutes": 2400}]
    dec = period(data, "acme", "2026-12")
    assert dec["lines"] == []
    assert [(f["label"], f["amount"]) for f in dec["fees"]] == [
        ("Quote Q-2026-07: Update to v3", "4500.00")]
    # tax 4500 × 0.21 = 945.00; total 5445.00
    assert (dec["net"], dec["tax"], dec["total"]) == ("4500.00", "945.00", "5445.00")
    assert dec["minutes"] == minutes()
    assert dec["quotes"] == [{"id": "Q-2026-07", "used_minutes": 120, "estimate_minutes": 2400}]


def test_requests_are_not_priced_lines(books):
    root = books({
        "contracts/acme.yaml": """\
            name: ACME Industries S.L.
            tax: 21%
            contacts:
              ana: Ana García (CTO)
            terms:
              - from: 2026-01-01
                kind: hourly
                rate: 60
        """,
        "logbook/acme.md": """\
            ---
            client: acme
            ---
            # 2026-11-03
            - [ ] @pedro wants a bigger logo on the login page #change
            - [x] @ana renew the TLS certificate
            - 1h @ana certificate renewal #support

            # 2026-12-02
            - [ ] @ana dark mode #change
        """,
    })
    data = price_json(root, as_of="2026-12-31")
    no_errors(data)
    # December has only a request: no line, no fee, no statement
    assert periods(data, "acme") == ["2026-11"]
    nov = period(data, "acme", "2026-11")
    assert [ln["source"] for ln in nov["lines"]] == ["logbook/acme.md:7"]
    assert line(nov, "logbook/acme.md:7")["amount"] == "60.00"  # 60 × 60 / 60
    # tax 60 × 0.21 = 12.60; total 72.60
    assert (nov["net"], nov["tax"], nov["total"]) == ("60.00", "12.60", "72.60")
    assert nov["minutes"] == minutes(logged=60, billed=60)


def test_retainer_fee_stops_when_a_later_term_begins(books, tmp_path):
    # A retainer with no `until` is superseded by an hourly term from 2026-03-01:
    # its fee is due for January and February only (2 × 500.00), not up to the as-of date.
    root = books({
        "contracts/r.yaml": """\
            name: R
            terms:
              - {from: 2026-01-01, kind: retainer, fee: 500}
              - {from: 2026-03-01, kind: hourly, rate: 60}
        """,
    })
    data = price_json(root, as_of="2026-06-30")
    periods = [(p["period"], [f["amount"] for f in p["fees"]]) for p in data["clients"][0]["periods"]]
    assert periods == [("2026-01", ["500.00"]), ("2026-02", ["500.00"])]
