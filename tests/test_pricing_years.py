"""Years as periods, annual retainer fees, retainers older than the books, `used_before` and
`bonus_rule` (issue 13 items 4, 5, 6): the worked examples of docs/pricing.md, read from that page
and priced, and hand-priced cases around them.

Every figure is computed by hand; the arithmetic is in the comment beside each assertion.
"""

from __future__ import annotations

import re
from decimal import Decimal
import textwrap
from pathlib import Path

import pytest

from conftest import SELLER
from conftest import period
from conftest import periods
from conftest import price_json
from conftest import run_cli
from conftest import write_books

from hourbook.core import periods as period_names
from hourbook.invoicing.issue import parse_period
from hourbook.render.filters import format_period

DOCS = Path(__file__).resolve().parent.parent / "docs" / "pricing.md"
SECTION = "## Years, starting mid-way and bonus rules"


def doc_examples() -> dict[str, dict[str, str]]:
    """Each `### Example: …` of the section -> {file path: text}, from the page's fenced blocks
    (the first line of a block names its file: `# contracts/x.yaml` or `<!-- logbook/x.md -->`)."""
    text = DOCS.read_text(encoding="utf-8")
    lines, fenced = [], False
    for number, row in enumerate(text[text.index(SECTION):].splitlines()):
        fenced = fenced != row.startswith("```")
        if number and not fenced and row.startswith("## "):
            break                   # the next section (a `## ` inside a block is a logbook's heading)
        lines.append(row)
    section = "\n".join(lines) + "\n"
    examples = {}
    for chunk in section.split("\n### Example: ")[1:]:
        title = chunk.splitlines()[0].strip()
        files = {}
        for block in re.findall(r"```[a-z]*\n(.*?)```", chunk, re.S):
            first, _, rest = block.partition("\n")
            name = re.sub(r"^(#|<!--)\s*|\s*-->$", "", first.strip())
            files[name] = rest
        examples[title] = files
    return examples


EXAMPLES = doc_examples()


def doc_books(tmp_path, title: str) -> Path:
    return write_books(tmp_path / "books", EXAMPLES[title])


def no_errors(data: dict) -> None:
    assert [d for d in data["diagnostics"] if d["severity"] == "error"] == []


def blocks(per: dict) -> dict:
    return {b["id"]: b for b in per["prepaid"]}


def test_the_page_has_every_example():
    assert set(EXAMPLES) == {"an annual fee on yearly statements", "an annual fee on monthly statements",
                             "a block half used when the books begin", "a bonus rule"}


# --- the page's examples -------------------------------------------------------------------


def test_doc_annual_fee_on_yearly_statements(tmp_path):
    data = price_json(doc_books(tmp_path, "an annual fee on yearly statements"))
    no_errors(data)
    # Books begin 2026-02-10: nothing for 2019-2025 although the term is from 2019-03-01.
    assert periods(data, "lena") == ["2026"]
    per = period(data, "lena", "2026")
    # The anniversary 2026-03-01 bills the annual fee once.
    assert [(f["label"], f["amount"]) for f in per["fees"]] == [("Annual support fee", "1200.00")]
    # included 10h = 600 min: 360 (6h) + 240 of 330 (5h30m) covered; 90 min billed at 60 = 90.00.
    assert per["minutes"]["covered"] == 600 and per["minutes"]["billed"] == 90
    # net 1200 + 90 = 1290.00; tax 1290 x 0.21 = 270.90; total 1560.90.
    assert (per["net"], per["tax"], per["total"]) == ("1290.00", "270.90", "1560.90")


def test_doc_annual_fee_on_monthly_statements(tmp_path):
    data = price_json(doc_books(tmp_path, "an annual fee on monthly statements"))
    no_errors(data)
    # Books begin 2026-01-20: the 2025-06-15 fee is before them; the 2026-06-15 anniversary bills 600.
    assert periods(data, "mira") == ["2026-01", "2026-06"]
    assert period(data, "mira", "2026-01")["net"] == "0.00"           # 90 min covered, no cap
    assert period(data, "mira", "2026-01")["minutes"]["covered"] == 90
    june = period(data, "mira", "2026-06")
    assert [f["amount"] for f in june["fees"]] == ["600.00"] and june["net"] == "600.00"


def test_doc_block_half_used(tmp_path):
    data = price_json(doc_books(tmp_path, "a block half used when the books begin"))
    no_errors(data)
    # No 2025-09 statement: the block's price was invoiced before the books.
    assert periods(data, "hofmann") == ["2026-01", "2026-02"]
    january = period(data, "hofmann", "2026-01")
    # 1200 - 990 = 210 left; January draws 120: used 990 + 120 = 1110, remaining 90.
    assert blocks(january)["B-2025-09"]["used_minutes"] == 1110
    assert blocks(january)["B-2025-09"]["remaining_minutes"] == 90
    assert january["net"] == "0.00"
    february = period(data, "hofmann", "2026-02")
    # 120 min: 90 from the block, 30 billed at 80 = 40.00.
    assert february["net"] == "40.00" and february["minutes"]["covered"] == 90
    assert blocks(february)["B-2025-09"]["used_minutes"] == 1200
    assert blocks(february)["B-2025-09"]["remaining_minutes"] == 0


def test_doc_bonus_rule(tmp_path):
    data = price_json(doc_books(tmp_path, "a bonus rule"))
    no_errors(data)
    per = period(data, "northpole", "2026-01")
    state = blocks(per)
    # P-40: 40h + 40/20 x 1h = 42h = 2520 min; P-10: 10h < 20h, no bonus; P-20 keeps its own 2h.
    assert state["P-40"]["remaining_minutes"] == 2520
    assert state["P-10"]["remaining_minutes"] == 600
    assert state["P-20"]["remaining_minutes"] == 1320
    assert "Prepaid block P-40 (40h + 2h bonus)" in [f["label"] for f in per["fees"]]
    assert per["net"] == "3500.00"                                    # 2000 + 500 + 1000
    warnings = [d for d in data["diagnostics"] if d["severity"] == "warning"]
    assert [(d["path"], d["line"]) for d in warnings] == [("contracts/northpole.yaml", 9)]
    assert "gives 1h for 20h" in warnings[0]["message"]


# --- years ---------------------------------------------------------------------------------


def test_year_periods_are_named_by_the_year():
    import datetime

    assert period_names.period_of(datetime.date(2026, 7, 4), "year") == "2026"
    assert period_names.bounds("2026") == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert period_names.periods_between(datetime.date(2025, 5, 1), datetime.date(2026, 2, 1), "year") == [
        "2025", "2026"]
    assert parse_period(" 2026 ") == "2026"
    assert format_period("2026", "de") == "2026"


def test_issue_takes_a_year(tmp_path, monkeypatch):
    from test_invoicing import GIT_IDENTITY
    from test_invoicing import make_repo

    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    root = make_repo(tmp_path / "books", {
        "hourbook.yaml": SELLER.replace("period: month", "period: year"),
        "contracts/acme.yaml": """\
            name: ACME
            address: "Calle 1, Madrid"
            tax_id: ESA87654321
            tax: 21%
            terms:
              - {from: 2025-01-01, kind: hourly, rate: 60}
            """,
        "logbook/a.md": "# 2025-03-02\n## acme\n- 1h30m fix\n",
    })
    data = price_json(root, "2026-01-15")
    # 90 min x 60 / 60 = 90.00, one statement for the year.
    assert periods(data, "acme") == ["2025"] and period(data, "acme", "2025")["net"] == "90.00"
    code, out, err = run_cli("issue", "2025", str(root), "--as-of", "2026-01-15")
    assert code == 0, err
    register = (root / "issued.yaml").read_text(encoding="utf-8")
    # 90.00 + 21 % (18.90) = 108.90, recorded for the period "2025" and read back by the next check.
    assert 'period: "2025"' in register and 'total: "108.90"' in register
    code, out, err = run_cli("check", str(root), "--as-of", "2026-01-15")
    assert code == 0, err + out


def test_monthly_fee_starts_with_the_books(books):
    root = books({
        "contracts/old.yaml": """\
            name: Old Client
            terms:
              - {from: 2019-01-01, kind: retainer, fee: 100}
            """,
        "logbook/a.md": "# 2026-10-05\n## old\n- 1h check\n",
    })
    data = price_json(root)
    # Books begin 2026-10-05: fees for 2026-10, 11, 12 only (not 2019-01 .. 2026-09).
    assert periods(data, "old") == ["2026-10", "2026-11", "2026-12"]
    assert [period(data, "old", p)["net"] for p in ("2026-10", "2026-11", "2026-12")] == ["100.00"] * 3


def test_a_later_retainer_bills_its_quiet_periods(books):
    root = books({
        "contracts/later.yaml": """\
            name: Later Client
            terms:
              - {from: 2026-01-01, kind: hourly, rate: 50}
              - {from: 2026-09-01, kind: retainer, fee: 100}
            """,
        "logbook/a.md": "# 2026-02-05\n## later\n- 1h check\n",
    })
    data = price_json(root)
    # 2026-02: 1h at 50 = 50.00; the retainer bills 100 in 09, 10, 11, 12 without any work.
    assert periods(data, "later") == ["2026-02", "2026-09", "2026-10", "2026-11", "2026-12"]
    assert period(data, "later", "2026-02")["net"] == "50.00"


def test_a_new_clients_retainer_bills_from_its_from_before_its_first_work(books):
    root = books({
        "contracts/old.yaml": """\
            name: Old Client
            terms:
              - {from: 2019-01-01, kind: retainer, fee: 100}
            """,
        "contracts/new.yaml": """\
            name: New Client
            terms:
              - {from: 2026-03-01, kind: retainer, fee: 250}
            """,
        "logbook/a.md": "# 2026-01-10\n## old\n- 1h check\n\n# 2026-05-12\n## new\n- 1h first call\n",
    })
    data = price_json(root)
    # The books begin 2026-01-10 (the old client's entry): the old retainer bills from 2026-01, not 2019;
    # the new one is owed from its own from, 2026-03, although its first call is in May: 250.00 in 03 and 04.
    assert periods(data, "old")[0] == "2026-01"
    assert periods(data, "new")[:3] == ["2026-03", "2026-04", "2026-05"]
    assert [period(data, "new", p)["net"] for p in ("2026-03", "2026-04")] == ["250.00", "250.00"]


def test_annual_fee_from_29_february(books):
    root = books({
        "contracts/leap.yaml": """\
            name: Leap
            terms:
              - {from: 2024-02-29, kind: retainer, fee: {year: 365}}
            """,
        "logbook/a.md": "# 2025-01-10\n## leap\n- 1h check\n",
    })
    data = price_json(root)
    # Books begin 2025-01-10: anniversaries 2025-02-28 and 2026-02-28 (no 29th in those years).
    assert periods(data, "leap") == ["2025-01", "2025-02", "2026-02"]
    assert period(data, "leap", "2026-02")["fees"][0]["amount"] == "365.00"


def test_annual_fee_ends_with_its_term(books):
    root = books({
        "contracts/end.yaml": """\
            name: End
            terms:
              - {from: 2025-04-01, until: 2026-03-31, kind: retainer, fee: {year: 900}}
              - {from: 2026-04-01, kind: hourly, rate: 40}
            """,
        "logbook/a.md": "# 2025-04-02\n## end\n- 1h check\n",
    })
    data = price_json(root)
    # One contract year: 900 on 2025-04-01; the 2026-04-01 anniversary is after the term's end.
    fees = [f["amount"] for c in data["clients"] for p in c["periods"] for f in p["fees"]]
    assert fees == ["900.00"]


@pytest.mark.parametrize("fee, message", [
    ("{month: 100}", "{year: AMOUNT}"),
    ("{year: -5}", "cannot be negative"),
    ("{year: 10.005}", "more decimals than EUR"),
])
def test_bad_annual_fees(books, fee, message):
    root = books({
        "contracts/bad.yaml": f"""\
            name: Bad
            terms:
              - from: 2026-01-01
                kind: retainer
                fee: {fee}
            """,
    })
    data = price_json(root)
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    # One error, at the fee's line (not also "a retainer term needs a 'fee'" at the term's).
    assert len(errors) == 1 and errors[0]["line"] == 5 and message in errors[0]["message"], errors


# --- used_before ---------------------------------------------------------------------------


def test_incident_pack_used_before(books):
    root = books({
        "contracts/pack.yaml": """\
            name: Pack
            terms:
              - {from: 2026-01-01, kind: prepaid, rate: 70}
            prepaid:
              - {id: I-5, bought: 2025-11-01, incidents: 5, used_before: 4, price: 900}
            """,
        "logbook/a.md": "# 2026-01-10\n## pack\n- 1h one\n- 30m two\n",
    })
    data = price_json(root)
    per = period(data, "pack", "2026-01")
    # 5 - 4 = 1 incident left: the first entry takes it; the second (30 min at 70) is billed: 35.00.
    assert per["net"] == "35.00"
    state = blocks(per)["I-5"]
    assert (state["used_incidents"], state["remaining_incidents"]) == (5, 0)


def test_used_before_forfeits_less_at_expiry(books):
    root = books({
        "contracts/exp.yaml": """\
            name: Exp
            terms:
              - {from: 2026-01-01, kind: prepaid}
            prepaid:
              - {id: B, bought: 2025-12-01, hours: 10, used_before: 7h, expires: 2026-02-28}
            """,
        "logbook/a.md": "# 2026-01-10\n## exp\n- 1h one\n# 2026-02-10\n## exp\n- 30m two\n",
    })
    data = price_json(root)
    # 600 - 420 = 180 left; 60 then 30 drawn; expires with 90 forfeited.
    february = blocks(period(data, "exp", "2026-02"))["B"]
    assert (february["used_minutes"], february["remaining_minutes"], february["expired_minutes"]) == (510, 0, 90)


@pytest.mark.parametrize("block, message", [
    ("{id: B, bought: 2025-12-01, hours: 10, used_before: 10h30m}",
     "prepaid block 'B': used_before is 10h30m, more than the block's 10h"),
    ("{id: B, bought: 2025-12-01, incidents: 3, used_before: 4}",
     "prepaid block 'B': used_before is 4 incidents, more than the pack's 3"),
    ("{id: B, bought: 2025-12-01, hours: 10, used_before: lots}", "prepaid block field 'used_before'"),
    ("{id: B, bought: 2025-12-01, incidents: 3, used_before: 1h}", "whole number of incidents"),
])
def test_bad_used_before(books, block, message):
    root = books({
        "contracts/bad.yaml": f"""\
            name: Bad
            terms:
              - {{from: 2026-01-01, kind: prepaid}}
            prepaid:
              - {block}
            """,
    })
    data = price_json(root)
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["line"] == 5 and message in errors[0]["message"], errors


def test_used_before_fits_with_the_rule_bonus(books):
    root = books({
        "hourbook.yaml": SELLER + "bonus_rule: {every: 10h, bonus: 1h}\n",
        "contracts/fit.yaml": """\
            name: Fit
            terms:
              - {from: 2026-01-01, kind: prepaid}
            prepaid:
              - {id: B, bought: 2026-01-01, hours: 10, used_before: 10h30m}
            """,
        "logbook/a.md": "# 2026-01-10\n## fit\n- 20m call\n",
    })
    data = price_json(root)
    # 10h + 1h bonus = 11h = 660 min: 630 used before fits; 30 left, 20 drawn: 10 left.
    no_errors(data)
    assert blocks(period(data, "fit", "2026-01"))["B"]["remaining_minutes"] == 10


# --- bonus rules ---------------------------------------------------------------------------


def test_contract_bonus_rule_wins(books):
    root = books({
        "hourbook.yaml": SELLER + "bonus_rule: {every: 20h, bonus: 1h}\n",
        "contracts/own.yaml": """\
            name: Own
            bonus_rule: {every: 10, bonus: 1.5}
            terms:
              - {from: 2026-01-01, kind: prepaid}
            prepaid:
              - {id: B, bought: 2026-01-01, hours: 25, price: 100}
            """,
    })
    data = price_json(root)
    no_errors(data)
    # The contract's rule: 25h // 10h = 2 x 1h30m = 3h; 28h = 1680 min.
    per = period(data, "own", "2026-01")
    assert blocks(per)["B"]["remaining_minutes"] == 1680
    assert per["fees"][0]["label"] == "Prepaid block B (25h + 3h bonus)"


@pytest.mark.parametrize("rule, message", [
    ("{every: 0h, bonus: 1h}", "'every' must be more than 0"),
    ("{every: 20h}", "needs both 'every' and 'bonus'"),
    ("{each: 20h, bonus: 1h}", "got the field 'each'"),
    ("20h", "a mapping like {every: 20h, bonus: 1h}"),
])
def test_bad_bonus_rules(books, rule, message):
    root = books({"hourbook.yaml": SELLER + f"bonus_rule: {rule}\n"})
    data = price_json(root)
    errors = [d for d in data["diagnostics"] if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["path"] == "hourbook.yaml" and message in errors[0]["message"], errors


def test_matching_bonus_is_no_warning(books):
    root = books({
        "hourbook.yaml": SELLER + "bonus_rule: {every: 20h, bonus: 1h}\n",
        "contracts/ok.yaml": """\
            name: Ok
            terms:
              - {from: 2026-01-01, kind: prepaid}
            prepaid:
              - {id: B, bought: 2026-01-01, hours: 40, bonus: 2h}
            """,
    })
    assert price_json(root)["diagnostics"] == []


def test_doc_files_are_at_the_left_margin():
    # The page's blocks are written at the left margin, as files are.
    for files in EXAMPLES.values():
        for text in files.values():
            assert text == textwrap.dedent(text)


def test_owner_weighs_an_annual_fee_against_the_year(tmp_path):
    import datetime

    from hourbook.pipeline import load_and_price
    from hourbook.render.dashboard import retainer_report

    root = write_books(tmp_path / "books", {
        "contracts/ann.yaml": """\
            name: Annual
            terms:
              - {from: 2026-02-01, kind: retainer, fee: {year: 1200}, rate: 60}
            """,
        "logbook/a.md": "# 2026-02-03\n## ann\n- 2h one\n# 2026-05-04\n## ann\n- 3h two\n",
    })
    priced, _ = load_and_price(root, datetime.date(2026, 12, 31))
    client = next(c for c in priced.clients if c.contract.id == "ann")
    report = retainer_report(client, datetime.date(2026, 12, 31))
    # One row for the contract year from 2026-02-01: 5h covered at 60 = 300.00 of work for 1200.00.
    assert [(r.period, r.fee, r.work_value) for r in report.periods] == [("2026-02", 1200, 300)]


def test_a_request_is_not_work_but_a_quote_invoice_is_a_fee(books):
    root = books({
        "contracts/req.yaml": """\
            name: Req
            terms:
              - {from: 2019-01-01, kind: retainer, fee: 100}
            quotes:
              - {id: Q-1, title: Shop, price: 500, invoice: 2026-11-20}
            """,
        "logbook/a.md": "# 2026-09-01\n## req\n- [ ] a bigger logo\n# 2026-12-02\n## req\n- 1h check\n",
    })
    data = price_json(root)
    # The request of 2026-09 does not begin the books; the quote's invoice (2026-11-20) does:
    # 2026-11 = 100 + 500 = 600.00, 2026-12 = 100.00 (the 1h is covered).
    assert periods(data, "req") == ["2026-11", "2026-12"]
    assert [period(data, "req", p)["net"] for p in ("2026-11", "2026-12")] == ["600.00", "100.00"]


def test_owner_alert_counts_what_was_used_before(tmp_path):
    import datetime

    from hourbook.pipeline import load_and_price
    from hourbook.render.attention import block_alerts

    root = write_books(tmp_path / "books", {
        "contracts/low.yaml": """\
            name: Low
            terms:
              - {from: 2026-01-01, kind: prepaid, rate: 60}
            prepaid:
              - {id: B, bought: 2025-10-01, hours: 10, used_before: 7h}
            """,
        "logbook/a.md": "# 2026-03-02\n## low\n- 1h30m fix\n",
    })
    priced, _ = load_and_price(root, datetime.date(2026, 3, 31))
    client = next(c for c in priced.clients if c.contract.id == "low")
    alerts = block_alerts(client, datetime.date(2026, 3, 31))
    # 600 - 420 - 90 = 90 min left: 90 / 600 = 15 % < 20 %, running low (without used_before: 85 % left).
    assert len(alerts) == 1 and alerts[0].low and alerts[0].left_share == Decimal("0.15")
