"""Issue 13, items 1 and 2: no-charge before held; `free_up_to` and `deductible` (docs/pricing.md).

The examples of docs/pricing.md's "Thresholds" section are read from the page itself (each
`### Example:` and its files, fenced with `title="path"`), priced, and checked against the
figures the page gives, computed by hand here beside each assertion. Then the rules' edges:
the exact thresholds, per-tag maps, splits, the owner's dashboard and the contract's errors.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from conftest import period
from conftest import price_json
from conftest import run_cli
from conftest import write_books
from hourbook.core.records import ERROR
from hourbook.pipeline import load_and_price
from hourbook.render import render_site
from hourbook.render.dashboard import make_dashboard
from hourbook.render.filters import describe_reason
from hourbook.render.locale_files import language_words

DOCS = Path(__file__).resolve().parent.parent / "docs" / "pricing.md"
# An example runs to the next heading of the page; `## acme` inside a logbook is a client (lowercase), not one.
EXAMPLE = re.compile(r"^### Example: (?P<title>.+?)\n(?P<body>.*?)(?=^### |^## [A-Z]|\Z)", re.M | re.S)
FENCE = re.compile(r'^```\w+ title="(?P<path>[^"]+)"\n(?P<text>.*?)^```', re.M | re.S)
LOGBOOK = "logbook/2026-11.md"


def doc_examples() -> dict[str, dict[str, str]]:
    """Example title -> {path: text} as docs/pricing.md writes them."""
    page = DOCS.read_text(encoding="utf-8")
    return {m["title"]: {f["path"]: f["text"] for f in FENCE.finditer(m["body"])} for m in EXAMPLE.finditer(page)}


def doc_section(title: str) -> str:
    page = DOCS.read_text(encoding="utf-8")
    return next(m["body"] for m in EXAMPLE.finditer(page) if m["title"] == title)


def price_example(tmp_path: Path, title: str) -> dict:
    files = doc_examples()[title]
    assert set(files) == {"contracts/acme.yaml", LOGBOOK}
    data = price_json(write_books(tmp_path / "books", files))
    assert [d for d in data["diagnostics"] if d["severity"] == "error"] == []
    return period(data, "acme", "2026-11")


def at(per: dict, line: int) -> list[dict]:
    """The lines (one, or the parts of a split) of logbook line `line`."""
    return [ln for ln in per["lines"] if ln["source"] == f"{LOGBOOK}:{line}"]


def one(per: dict, line: int) -> dict:
    found = at(per, line)
    assert len(found) == 1, found
    return found[0]


def status(ln: dict) -> tuple:
    return ln["status"], ln["reason"], ln["logged_minutes"], ln["billed_minutes"], ln["value"], ln["amount"]


def test_the_page_has_the_examples_this_file_checks():
    assert set(doc_examples()) >= {"free whoever asked", "over 15 minutes is billed",
                                   "the first 10 minutes are free", "by tag",
                                   "a deductible spares a prepaid block"}


# --- the examples of docs/pricing.md ----------------------------------------------------


def test_example_free_whoever_asked(tmp_path):
    per = price_example(tmp_path, "free whoever asked")
    warranty = one(per, 3)
    # 45 min at 60/h: value 45 × 60 / 60 = 45.00, amount 0; pedro stays the requester
    assert status(warranty) == ("no-charge", "warranty", 45, 45, "45.00", "0.00")
    assert warranty["by"] == "pedro"
    held = one(per, 4)
    assert status(held) == ("held", "requester 'pedro' is not an authorised contact", 30, 30, "30.00", "0.00")
    assert per["net"] == "0.00"
    assert (per["minutes"]["no_charge"], per["minutes"]["held"]) == (45, 30)
    assert "Net **0.00**" in doc_section("free whoever asked")


def test_example_free_whoever_asked_reaches_the_owner(tmp_path):
    root = write_books(tmp_path / "books", doc_examples()["free whoever asked"])
    priced, diagnostics = load_and_price(root, datetime.date(2026, 12, 31))
    assert [d for d in diagnostics if d.severity == ERROR] == []
    dashboard = make_dashboard(priced)
    assert [item.line.entry.source.line for item in dashboard.held] == [4]
    free = dashboard.free_held
    assert [(item.line.entry.source.line, item.line.reason, item.held_reason, item.line.entry.by)
            for item in free] == [(3, "warranty", "requester 'pedro' is not an authorised contact", "pedro")]


def test_example_over_15_minutes_is_billed(tmp_path):
    per = price_example(tmp_path, "over 15 minutes is billed")
    # 15 <= 15: free; value still shown, 15 × 60 / 60 = 15.00
    assert status(one(per, 3)) == ("no-charge", "free_up_to", 15, 15, "15.00", "0.00")
    # 16 > 15: billed 16 × 60 / 60 = 16.00
    assert status(one(per, 4)) == ("billed", None, 16, 16, "16.00", "16.00")
    assert per["net"] == "16.00"
    assert "Net **16.00**" in doc_section("over 15 minutes is billed")


def test_example_the_first_10_minutes_are_free(tmp_path):
    per = price_example(tmp_path, "the first 10 minutes are free")
    # 8 <= 10: nothing left to bill, no-charge, 0 billable minutes
    assert status(one(per, 3)) == ("no-charge", "deductible", 8, 0, "0.00", "0.00")
    # 25 − 10 = 15 -> minimum 30 -> already a multiple of 15: 30 × 60 / 60 = 30.00
    assert status(one(per, 4)) == ("billed", None, 25, 30, "30.00", "30.00")
    # 50 − 10 = 40 -> over the minimum -> up to 45: 45.00
    assert status(one(per, 5)) == ("billed", None, 50, 45, "45.00", "45.00")
    assert per["net"] == "75.00"                                   # 30 + 45
    assert (per["minutes"]["logged"], per["minutes"]["billed"]) == (83, 75)   # 8 + 25 + 50; 30 + 45
    assert "**75.00**" in doc_section("the first 10 minutes are free")


def test_example_the_first_10_minutes_without_minimum_or_increment(tmp_path):
    """The page's last sentence: without minimum and increment, the 25-minute call bills 15 minutes."""
    files = dict(doc_examples()["the first 10 minutes are free"])
    files["contracts/acme.yaml"] = files["contracts/acme.yaml"].replace("    minimum: 30m\n    increment: 15m\n", "")
    per = period(price_json(write_books(tmp_path / "books", files)), "acme", "2026-11")
    # 25 − 10 = 15 × 60 / 60 = 15.00 ; 50 − 10 = 40: 40.00
    assert status(one(per, 4)) == ("billed", None, 25, 15, "15.00", "15.00")
    assert status(one(per, 5)) == ("billed", None, 50, 40, "40.00", "40.00")
    assert "would bill 15 minutes (15.00)" in doc_section("the first 10 minutes are free")


def test_example_by_tag(tmp_path):
    per = price_example(tmp_path, "by tag")
    assert status(one(per, 3)) == ("no-charge", "free_up_to", 15, 15, "15.00", "0.00")
    assert status(one(per, 4)) == ("billed", None, 15, 15, "15.00", "15.00")     # #email has no threshold
    # #phone's 15m does not make 40 free; #remote's deductible: 40 − 10 = 30 -> 30.00
    assert status(one(per, 5)) == ("billed", None, 40, 30, "30.00", "30.00")
    assert per["net"] == "45.00"
    assert "Net 15.00 + 30.00 = **45.00**" in doc_section("by tag")


def test_example_a_deductible_spares_a_prepaid_block(tmp_path):
    per = price_example(tmp_path, "a deductible spares a prepaid block")
    # 70 − 10 = 60 billable: the whole 1h block
    assert [status(ln) + (ln["cover"],) for ln in at(per, 3)] == [("covered", None, 70, 60, "60.00", "0.00", "B-1")]
    # 25 − 10 = 15 billable, the block is empty: 15 × 60 / 60 = 15.00
    assert status(one(per, 4)) == ("billed", None, 25, 15, "15.00", "15.00")
    assert per["fees"][0]["amount"] == "50.00"
    assert per["net"] == "65.00"                                    # 50 + 15
    assert (per["minutes"]["covered"], per["minutes"]["billed"]) == (70, 15)
    assert per["prepaid"][0]["remaining_minutes"] == 0
    assert "**65.00**" in doc_section("a deductible spares a prepaid block")


# --- edges -----------------------------------------------------------------------------


def books_with(tmp_path, term: str, log: str, head: str = "") -> dict:
    contract = ("name: ACME\n" + head + "terms:\n  - from: 2026-01-01\n    kind: hourly\n    rate: 60\n"
                + "".join(f"    {line}\n" for line in term.splitlines()))
    data = price_json(write_books(tmp_path / "books", {"contracts/acme.yaml": contract,
                                                       LOGBOOK: "# 2026-11-03\n## acme\n" + log}))
    return data


def test_free_under_stays_strictly_below_beside_free_up_to(tmp_path):
    data = books_with(tmp_path, "free_under: 15m", "- 14m a\n- 15m b\n")
    per = period(data, "acme", "2026-11")
    assert status(one(per, 3)) == ("no-charge", "free_under", 14, 14, "14.00", "0.00")
    assert status(one(per, 4)) == ("billed", None, 15, 15, "15.00", "15.00")    # 15 is not under 15


def test_free_under_by_tag(tmp_path):
    data = books_with(tmp_path, "free_under: {phone: 10m}", "- 9m #phone a\n- 9m #mail b\n")
    per = period(data, "acme", "2026-11")
    assert one(per, 3)["reason"] == "free_under"
    assert status(one(per, 4)) == ("billed", None, 9, 9, "9.00", "9.00")


def test_the_first_tag_found_in_a_map_wins(tmp_path):
    # #remote (5m) comes first on line 3, #phone (20m) on line 4: 12 min is free only under #phone
    data = books_with(tmp_path, "free_up_to: {phone: 20m, remote: 5m}",
                      "- 12m #remote #phone a\n- 12m #phone #remote b\n")
    per = period(data, "acme", "2026-11")
    assert status(one(per, 3)) == ("billed", None, 12, 12, "12.00", "12.00")
    assert one(per, 4)["reason"] == "free_up_to"


def test_deductible_exactly_at_the_limit_and_one_minute_over(tmp_path):
    data = books_with(tmp_path, "deductible: 10m", "- 10m a\n- 11m b\n- expense 20.00 c\n")
    per = period(data, "acme", "2026-11")
    assert status(one(per, 3)) == ("no-charge", "deductible", 10, 0, "0.00", "0.00")
    assert status(one(per, 4)) == ("billed", None, 11, 1, "1.00", "1.00")       # 11 − 10 = 1 min
    assert one(per, 5)["amount"] == "20.00"                                     # expenses have no deductible
    assert per["net"] == "21.00"


def test_deductible_with_a_surcharge_and_a_tag_rate(tmp_path):
    # onsite at 80/h, +50 % urgent: (40 − 10) × 80 / 60 × 1.5 = 60.00
    data = books_with(tmp_path, "rates: {onsite: 80}\nsurcharge: {urgent: 50%}\ndeductible: 10m",
                      "- 40m #onsite #urgent a\n")
    per = period(data, "acme", "2026-11")
    assert status(one(per, 3)) == ("billed", None, 40, 30, "60.00", "60.00")


def test_a_no_charge_tag_and_an_unapproved_quote(tmp_path):
    # no-charge wins over every held reason, the unapproved quote's too
    data = books_with(tmp_path, "no_charge: [training]", "- 1h #Q-1 #training a\n- 1h #Q-1 b\n",
                      head="quotes:\n  - {id: Q-1, title: Work, price: 500}\n")
    per = period(data, "acme", "2026-11")
    assert status(one(per, 3)) == ("no-charge", "training", 60, 60, "60.00", "0.00")
    assert one(per, 4)["status"] == "held"


def test_free_time_is_free_whoever_asked_and_approved_requests_still_bill(tmp_path):
    data = books_with(tmp_path, "free_up_to: 15m", "- 10m @pedro a\n- 20m @pedro b\n- 20m @pedro #approved c\n",
                      head="contacts: {ana: Ana}\n")
    per = period(data, "acme", "2026-11")
    assert (one(per, 3)["status"], one(per, 3)["by"]) == ("no-charge", "pedro")
    assert one(per, 4)["status"] == "held"
    assert one(per, 5)["amount"] == "20.00"


@pytest.mark.parametrize("field, written, message", [
    ("free_up_to", "lots", "term field 'free_up_to': expected a duration"),
    ("deductible", "{phone: soon}", "term field 'deductible': 'phone': expected a duration"),
    ("deductible", "[10m]", "term field 'deductible': expected a duration"),
])
def test_a_bad_threshold_is_an_error_at_its_line(tmp_path, field, written, message):
    root = write_books(tmp_path / "books", {
        "contracts/acme.yaml": f"name: ACME\nterms:\n  - from: 2026-01-01\n    kind: hourly\n    rate: 60\n"
                               f"    {field}: {written}\n",
        LOGBOOK: "# 2026-11-03\n## acme\n- 1h a\n"})
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-25")
    assert code == 1
    assert f"contracts/acme.yaml:6: error: {message}" in err


@pytest.mark.parametrize("language", ["en", "es", "de", "ru", "bg"])
def test_the_reasons_have_words_in_every_language(language):
    words = language_words(language)
    for reason in ("free_up_to", "deductible"):
        shown = describe_reason(reason, words)
        assert shown and reason not in shown
        assert words["invoice"][f"reason_{reason}"]
    assert describe_reason("free_up_to", words) == describe_reason("free_under", words)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_owner_page_lists_free_work_an_unauthorised_contact_asked_for(tmp_path, language):
    files = dict(doc_examples()["free whoever asked"])
    files["hourbook.yaml"] = ("seller: {name: Ana Ruiz Consulting}\ncurrency: EUR\n"
                              f"locale: {language}\nperiod: month\n")
    root = write_books(tmp_path / "books", files)
    priced, _ = load_and_price(root, datetime.date(2026, 12, 31))
    owner = render_site(priced, root, {"acme": "acme-0123abcd"}, pdf=False)["owner/index.html"].decode("utf-8")
    words = language_words(language)
    section = owner[owner.index(words["owner_free_held_title"]):]
    section = section[:section.index("</table>")]
    assert "login broke after our update" in section and "pedro" in section
    assert describe_reason("warranty", words) in section
    assert describe_reason("requester 'pedro' is not an authorised contact", words) in section
    assert "new report" not in section          # the held line is in the held table, not here


def test_the_clients_statement_names_who_asked_for_the_free_work(tmp_path):
    root = write_books(tmp_path / "books", doc_examples()["free whoever asked"])
    priced, _ = load_and_price(root, datetime.date(2026, 12, 31))
    page = render_site(priced, root, {"acme": "acme-0123abcd"}, pdf=False)["public/acme-0123abcd/2026-11.html"]
    html = page.decode("utf-8")
    row = html[html.index("login broke after our update"):]
    row = row[:row.index("<tr")]                             # the next row
    assert "requested by pedro" in row
    assert "Warranty (fixing our own work)" in row           # pages.yaml reason_warranty, English books


def test_each_entry_gets_its_own_deductible_even_on_one_ticket(tmp_path):
    # 25 − 10 = 15 and 20 − 10 = 10: 25.00 in all (not 45 − 10 = 35)
    data = books_with(tmp_path, "deductible: 10m", "- 25m #ticket-7 a\n- 20m #ticket-7 b\n")
    per = period(data, "acme", "2026-11")
    assert [one(per, n)["amount"] for n in (3, 4)] == ["15.00", "10.00"]
    assert per["net"] == "25.00"
