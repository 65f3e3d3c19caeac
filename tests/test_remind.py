"""Reminders (issue 14, item 5): `hourbook remind`, its levels, late-payment interest and where letters go.

Every interest figure is worked by hand in a comment (Decimal, to the day, /365, rounded half
up once per invoice); docs/reminders.md's worked example is restated by `test_docs_example`.
The end-to-end tests use a copy of the example books, where volga's 2026-0007 (78.75 EUR, due
2026-10-02) and 2026-0012 (90.00 EUR, due 2026-11-01) are overdue on 2026-12-03.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import copy_example_books
from conftest import run_cli
from conftest import write_books
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.core.receivables import make_receivables
from hourbook.core.records import LateInterest
from hourbook.core.records import Payment
from hourbook.core.records import ReminderRules
from hourbook.core.records import Source
from hourbook.core.register import IssuedRecord
from hourbook.core.reminders import FINAL
from hourbook.core.reminders import FRIENDLY
from hourbook.core.reminders import SECOND
from hourbook.core.reminders import late_interest
from hourbook.core.reminders import outstanding_on
from hourbook.core.reminders import reminder_level
from hourbook.load.books import load_books
from hourbook.render.locale_files import LOCALES_DIR

D = Decimal
day = datetime.date.fromisoformat
DOCS = Path(__file__).resolve().parent.parent / "docs" / "reminders.md"
AS_OF = "2026-12-03"


def record(number: str, issued: str, total: str, due: str) -> IssuedRecord:
    return IssuedRecord(number=number, type="invoice", corrects="", scope="invoice/2026",
                        seq=int(number.rsplit("-", 1)[-1]), client="acme", period="2026-10", issued=day(issued),
                        currency="EUR", rate=D(0), net=D(total), tax=D(0), total=D(total), content="", commit="",
                        pdf=f"invoices/{number}.pdf", lines=(), previous="", due=day(due))


def state(rec: IssuedRecord, as_of: str, *payments: tuple[str, str]):
    paid = [Payment(date=day(date), amount=D(amount), source=Source("payments/x.yaml", 2), invoice=rec.number)
            for date, amount in payments]
    receivables = make_receivables([rec], paid, {"acme": 30}, day(as_of))
    return receivables.clients[0].invoices[0]


def rule(rate: str = "0.0215", points: str = "0.08", rates=None) -> LateInterest:
    return LateInterest(rates=rates or ((None, D(rate)),), points=D(points), compensation=(("EUR", D(40)),),
                        source=Source("hourbook.yaml", 1))


# ---------------------------------------------------------------- interest, by hand


def test_interest_to_the_day_worked_example():
    # 78.75 EUR due 2026-10-02, as of 2026-12-03: 62 days overdue at 2.15 % + 8 = 10.15 % a year.
    # 78.75 x 0.1015 x 62 / 365 = 1.357736... -> 1.36
    invoice = state(record("2026-0007", "2026-09-02", "78.75", "2026-10-02"), AS_OF)
    assert invoice.days_overdue == 62
    assert late_interest(invoice, rule(), day(AS_OF)) == D("1.36")


def test_a_part_payment_lowers_the_principal_from_its_date():
    # 40.00 paid on 2026-11-01: 2026-10-03..2026-10-31 is 29 days on 78.75, 2026-11-01..2026-12-03
    # 33 days on 38.75. 78.75 x 0.1015 x 29 / 365 = 0.635070... ; 38.75 x 0.1015 x 33 / 365 = 0.355597...
    # sum 0.990667... -> 0.99 (rounded once: 0.64 + 0.36 would be 1.00)
    invoice = state(record("2026-0007", "2026-09-02", "78.75", "2026-10-02"), AS_OF, ("2026-11-01", "40.00"))
    assert invoice.outstanding == D("38.75")
    assert outstanding_on(invoice, day("2026-10-31")) == D("78.75")
    assert outstanding_on(invoice, day("2026-11-01")) == D("38.75")
    assert late_interest(invoice, rule(), day(AS_OF)) == D("0.99")


def test_the_rate_in_force_on_each_day():
    # 100.00 due 2026-06-01, as of 2026-08-01 (61 days). Reference 2.40 % until 2026-06-30, 2.15 % from
    # 2026-07-01: 2026-06-02..06-30 is 29 days at 10.40 %, 2026-07-01..08-01 32 days at 10.15 %.
    # 100 x 0.104 x 29 / 365 = 0.826301... ; 100 x 0.1015 x 32 / 365 = 0.889863... ; 1.716164... -> 1.72
    invoice = state(record("2026-0001", "2026-05-02", "100.00", "2026-06-01"), "2026-08-01")
    dated = rule(rates=((day("2026-01-01"), D("0.024")), (day("2026-07-01"), D("0.0215"))))
    assert invoice.days_overdue == 61
    assert late_interest(invoice, dated, day("2026-08-01")) == D("1.72")


@settings(max_examples=60, deadline=None)
@given(total=st.integers(1, 10**7), overdue=st.integers(1, 400), paid_on=st.integers(1, 400),
       part=st.integers(0, 100), rate=st.integers(0, 1500))
def test_interest_is_the_plain_daily_sum(total, overdue, paid_on, part, rate):
    """Law: the interest equals the plain loop over the days (outstanding that day x rate / 365), rounded once."""
    amount = D(total) / 100
    due = day("2026-01-31")
    as_of = due + datetime.timedelta(days=overdue)
    rec = record("2026-0001", "2026-01-01", str(amount), due.isoformat())
    paid = (amount * part / 100).quantize(D("0.01"))
    payments = [((due + datetime.timedelta(days=paid_on)).isoformat(), str(paid))] if paid > 0 else []
    invoice = state(rec, as_of.isoformat(), *payments)
    interest_rule = rule(rate=str(D(rate) / 10000))
    plain = D(0)
    for offset in range(1, overdue + 1):
        today = due + datetime.timedelta(days=offset)
        owed = amount - sum((p.amount for p in invoice.payments if p.date <= today), D(0))
        plain += owed * (D(rate) / 10000 + D("0.08")) / 365
    assert late_interest(invoice, interest_rule, as_of) == plain.quantize(D("0.01"), "ROUND_HALF_UP")


# ---------------------------------------------------------------- levels


def test_levels_by_days_overdue():
    defaults = ReminderRules()                      # second from 15 days overdue, final from 30
    assert [reminder_level(days, defaults) for days in (1, 14, 15, 29, 30, 62)] == \
        [FRIENDLY, FRIENDLY, SECOND, SECOND, FINAL, FINAL]
    own = ReminderRules(second=10, final=60)
    assert [reminder_level(days, own) for days in (9, 10, 59, 60)] == [FRIENDLY, SECOND, SECOND, FINAL]


# ---------------------------------------------------------------- the command

INTEREST = """
late_interest:
  rate: 2.15%
"""


def books(tmp_path: Path, hourbook_extra: str = INTEREST, volga: tuple[tuple[str, str], ...] = ()) -> Path:
    root = copy_example_books(tmp_path / "books")
    settings_file = root / "hourbook.yaml"
    # The example books' own reminders and late_interest (EUR and GBP compensation) give way to the test's.
    text = settings_file.read_text(encoding="utf-8").split("# Reminder letters", 1)[0]
    settings_file.write_text(text + hourbook_extra, encoding="utf-8")
    contract = root / "contracts" / "volga.yaml"
    text = contract.read_text(encoding="utf-8")
    for old, new in volga:
        assert old in text
        text = text.replace(old, new)
    contract.write_text(text, encoding="utf-8")
    return root


def tree_digest(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_remind_writes_a_letter_per_overdue_invoice_and_only_in_the_owner_folder(tmp_path):
    root = books(tmp_path)
    before = tree_digest(root)
    site = tmp_path / "site"
    code, out, err = run_cli("remind", str(root), "--out", str(site), "--as-of", AS_OF, "--no-pdf")
    assert code == 0, err
    # volga (a tax_id: a business) at 2.15 % + 8 = 10.15 %:
    # 2026-0007: 78.75 x 0.1015 x 62 / 365 = 1.3577 -> 1.36; 62 >= 30 days: final.
    # 2026-0012: 90.00 x 0.1015 x 32 / 365 = 0.8009 -> 0.80; 32 >= 30 days: final. Compensation 40.00 EUR each.
    folder = site / "owner" / "reminders" / AS_OF / "volga"
    assert out.splitlines() == [
        f"volga\t2026-0007\t62 days overdue\tfinal\toutstanding 78.75 EUR\tinterest 1.36 EUR\t"
        f"compensation 40.00 EUR\t{folder / '2026-0007-final.html'}",
        f"volga\t2026-0012\t32 days overdue\tfinal\toutstanding 90.00 EUR\tinterest 0.80 EUR\t"
        f"compensation 40.00 EUR\t{folder / '2026-0012-final.html'}",
        f"2 reminders as of {AS_OF} in {site / 'owner' / 'reminders' / AS_OF}; 0 errors, 1 warning",
    ]
    # The warning: northwind bills in GBP and the books state a compensation in EUR only.
    assert ("contracts/northwind.yaml:1: warning: late_interest states no compensation amount in GBP, "
            "this client's currency") in err
    assert sorted(tree_digest(site)) == [".hourbook-site", f"owner/reminders/{AS_OF}/volga/2026-0007-final.html",
                                         f"owner/reminders/{AS_OF}/volga/2026-0012-final.html",
                                         "owner/reminders/index.html"]
    # The owner's list, in the books' language (es), links each letter by a text that names its invoice.
    index = (site / "owner" / "reminders" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Cartas de recordatorio</h1>" in index
    assert f'<a href="{AS_OF}/volga/2026-0007-final.html">Abrir la carta de la factura 2026-0007</a>' in index
    assert tree_digest(root) == before          # nothing written into the books


def test_a_contract_overrides_the_thresholds_and_turns_interest_off(tmp_path):
    root = books(tmp_path, volga=(("tax: 0%", "tax: 0%\nreminders: {final: 60}\nlate_interest: false"),))
    code, out, err = run_cli("remind", str(root), "--out", str(tmp_path / "site"), "--as-of", AS_OF, "--no-pdf")
    assert code == 0, err
    # 62 days: final (>= 60); 32 days: second (>= 15, < 60). No interest, no compensation.
    assert [line.split("\t")[1:7] for line in out.splitlines()[:2]] == [
        ["2026-0007", "62 days overdue", "final", "outstanding 78.75 EUR", "interest -", "compensation -"],
        ["2026-0012", "32 days overdue", "second", "outstanding 90.00 EUR", "interest -", "compensation -"]]


def test_a_consumer_gets_no_interest(tmp_path):
    root = books(tmp_path, volga=(("tax: 0%", "tax: 0%\nbusiness: false"),))
    code, out, err = run_cli("remind", str(root), "--out", str(tmp_path / "site"), "--as-of", AS_OF, "--no-pdf")
    assert code == 0, err
    assert "interest -\tcompensation -" in out.splitlines()[0]


def letter(tmp_path: Path, volga=(), number: str = "2026-0007-final") -> str:
    root = books(tmp_path, volga=volga)
    site = tmp_path / "site"
    code, _, err = run_cli("remind", str(root), "--out", str(site), "--as-of", AS_OF, "--no-pdf")
    assert code == 0, err
    return (site / "owner" / "reminders" / AS_OF / "volga" / f"{number}.html").read_text(encoding="utf-8")


def visible_text(html: str) -> str:
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def english_words() -> set[str]:
    words = yaml.safe_load((LOCALES_DIR / "en" / "reminders.yaml").read_text(encoding="utf-8"))
    return {word.lower() for text in words.values() for word in re.findall(r"[A-Za-z]{4,}", text)}


def test_the_russian_letter_is_all_russian(tmp_path):
    text = visible_text(letter(tmp_path))
    assert "Последнее напоминание об оплате" in text
    assert "62 дня" in text and "Остаток к оплате" in text and "78,75" in text and "1,36" in text
    assert "Назначение платежа" in text and "ES91 2100 0418 4502 0005 1332" in text and "CAIXESBBXXX" in text
    # Latin letters only in the seller's own details (name, address, e-mail, IBAN, BIC) and the tagline.
    for own in ("Ana Ruiz Consulting", "ana@anaruiz-consulting.example.com", "Calle de Fuencarral 45, 3.º B, 28004 "
                "Madrid, España", "ES91 2100 0418 4502 0005 1332", "CAIXESBBXXX", "IBAN", "BIC"):
        text = text.replace(own, " ")
    assert re.findall(r"[A-Za-z]{2,}", text) == []


def test_the_spanish_letter_is_all_spanish(tmp_path):
    text = visible_text(letter(tmp_path, volga=(("locale: ru", "locale: es"),)))
    assert "Último aviso de pago" in text and "Intereses de demora" in text and "62 días" in text
    assert "Concepto de la transferencia" in text and "1,36 €" in text and "40,00 €" in text
    left = {word.lower() for word in re.findall(r"[A-Za-z]{4,}", text)} & english_words()
    assert left <= {"iban", "consulting", "total"}, left       # "total" is Spanish too


def test_refuses_a_folder_that_is_not_a_site(tmp_path):
    root = books(tmp_path)
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"not a site")
    code, out, err = run_cli("remind", str(root), "--out", str(mine), "--as-of", AS_OF, "--no-pdf")
    assert code == 1
    assert "is a folder hourbook did not write (it has no .hourbook-site)" in err
    assert sorted(p.name for p in mine.rglob("*")) == ["holiday.jpg"]
    code, _, err = run_cli("remind", str(root), "--out", str(root / "logbook"), "--as-of", AS_OF, "--no-pdf")
    assert code == 1 and "refusing to write the reminders to" in err


def test_bad_books_write_nothing(tmp_path):
    root = books(tmp_path, hourbook_extra="\nreminders: {second: 40, final: 30}\n")
    site = tmp_path / "site"
    code, out, err = run_cli("remind", str(root), "--out", str(site), "--as-of", AS_OF, "--no-pdf")
    assert code == 1 and out == ""
    assert "hourbook.yaml:" in err and "reminders: 'final' (30 days) must come after 'second' (40 days)" in err
    assert not site.exists()


def test_a_build_after_remind_keeps_the_letters(tmp_path):
    root = books(tmp_path)
    site = tmp_path / "site"
    code, _, err = run_cli("build", str(root), "--out", str(site), "--as-of", AS_OF, "--no-pdf", "--quiet")
    assert code == 0, err
    code, _, err = run_cli("remind", str(root), "--out", str(site), "--as-of", AS_OF, "--no-pdf")
    assert code == 0, err
    letters = {rel: digest for rel, digest in tree_digest(site).items() if rel.startswith("owner/reminders/")}
    assert len(letters) == 3                    # two letters and the owner's list
    code, _, err = run_cli("build", str(root), "--out", str(site), "--as-of", AS_OF, "--no-pdf", "--quiet")
    assert code == 0, err
    after = tree_digest(site)
    assert {rel: after.get(rel) for rel in letters} == letters
    assert not any(rel.startswith("public/") and "remind" in rel for rel in after)


@pytest.mark.slow
def test_the_pdfs_open(tmp_path):
    root = books(tmp_path)
    site = tmp_path / "site"
    code, out, err = run_cli("remind", str(root), "--out", str(site), "--as-of", AS_OF)
    assert code == 0, err
    pdfs = sorted((site / "owner" / "reminders" / AS_OF / "volga").glob("*.pdf"))
    assert [pdf.name for pdf in pdfs] == ["2026-0007-final.pdf", "2026-0012-final.pdf"]
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF-")
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            assert "Последнее напоминание об оплате" in info
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            assert "Остаток к оплате" in text


# ---------------------------------------------------------------- the fields, located


def test_bad_fields_are_located(tmp_path):
    root = write_books(tmp_path / "books", {
        "hourbook.yaml": """\
            seller: {name: Ana}
            reminders: {second: 0}
            late_interest:
              rate: [{from: 2026-07-01, rate: 2%}, {from: 2026-01-01, rate: 3%}]
              compensation: {EUR: lots}
            """,
        "contracts/acme.yaml": """\
            name: Acme
            late_interest: yes please
            business: maybe
            terms:
              - {kind: hourly, from: 2026-01-01, rate: 60}
            """})
    _, diagnostics = load_books(root)
    assert sorted(f"{d.source}: {d.message}" for d in diagnostics) == [
        "contracts/acme.yaml:2: late_interest must be false or a mapping {rate, points, compensation}, got str 'yes please'",
        "contracts/acme.yaml:3: contract field 'business': expected true or false, got 'maybe'",
        "hourbook.yaml:2: reminders field 'second': expected a number of days overdue from 1 to 3650, got 0",
        "hourbook.yaml:4: late_interest rate from 2026-01-01 must come after the one from 2026-07-01: list the "
        "rates oldest first, one per date",
        "hourbook.yaml:5: late_interest compensation 'EUR': expected an amount like 60 or 45.50, got 'lots'",
    ]


# ---------------------------------------------------------------- docs/reminders.md


def test_docs_example():
    """docs/reminders.md's worked example: the figures it prints are these."""
    text = DOCS.read_text(encoding="utf-8")
    unpaid = state(record("2026-0007", "2026-09-02", "78.75", "2026-10-02"), AS_OF)
    assert late_interest(unpaid, rule(), day(AS_OF)) == D("1.36")
    invoice = state(record("2026-0007", "2026-09-02", "78.75", "2026-10-02"), AS_OF, ("2026-11-01", "40.00"))
    assert late_interest(invoice, rule(), day(AS_OF)) == D("0.99")
    changed = state(record("2026-0001", "2026-05-02", "100.00", "2026-06-01"), "2026-08-01")
    dated = rule(rates=((day("2026-01-01"), D("0.024")), (day("2026-07-01"), D("0.0215"))))
    assert late_interest(changed, dated, day("2026-08-01")) == D("1.72")
    for figure in ("78.75 × 0.1015 × 62 / 365 = 1.357736… → **1.36 EUR**",
                   "78.75 × 0.1015 × 29 / 365 = 0.635070", "38.75 × 0.1015 × 33 / 365 = 0.355597",
                   "0.990667… → **0.99 EUR**", "= 1.716164… → **1.72**", "reminders: {second: 15, final: 30}"):
        assert figure in text, figure


@pytest.mark.parametrize("locale", ["en", "es", "de", "ru", "bg"])
def test_every_language_has_its_own_letter(tmp_path, locale):
    """The letter in each of the five languages: its own title, and no English sentence left in it."""
    html = letter(tmp_path, volga=(("locale: ru", f"locale: {locale}"),))
    words = yaml.safe_load((LOCALES_DIR / locale / "reminders.yaml").read_text(encoding="utf-8"))
    text = visible_text(html)
    assert f'<html lang="{locale}">' in html
    assert words["remind_title_final"] in text and words["remind_next_step_final"] in text
    if locale != "en":
        english = yaml.safe_load((LOCALES_DIR / "en" / "reminders.yaml").read_text(encoding="utf-8"))
        left = [key for key, value in english.items() if len(value) > 8 and value in text]
        assert left == [], left
