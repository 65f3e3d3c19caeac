"""Reading the books safely (issue #10, points 5, 8, 9 and 11).

- Links stay inside the books: a symbolic link under logbook/, contracts/ or templates/ (or
  hourbook.yaml, or one of those folders) that leads out is an error at its path and is never
  read, not even by the build's digests; loops end; a folder that cannot be read is an error.
- Control characters never reach a document: not in one-line fields, not in a logbook line,
  not in a logbook's file name; direction overrides must be closed.
- No work is silently dropped or misdated: lines that look like entries but are not read are
  warnings, so is a range over midnight longer than 16 hours; a byte-order mark inside a file
  and contract keys that differ only in case are errors.
- Messages say what is wrong: not a regular file, use .yaml, did you mean 'acme', got a date,
  an id too long, a currency that is not ISO 4217, more decimals than the currency has.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from conftest import SELLER
from conftest import run_cli
from hourbook.build import digests
from hourbook.load import listing
from hourbook.load.books import load_books

AS_OF = "2026-11-25"
CONTRACT = """\
name: ACME Industries
terms:
  - from: 2026-01-01
    kind: hourly
    rate: 60
"""
LOGBOOK = """\
# 2026-11-03

## acme
- 1h printer
"""


@pytest.fixture
def base(books):
    """Valid books with one client and one entry, plus any files given."""
    def make(files: dict[str, str] | None = None) -> Path:
        return books({"contracts/acme.yaml": CONTRACT, "logbook/2026-11.md": LOGBOOK, **(files or {})})
    return make


def check(root: Path) -> tuple[int, list[str]]:
    """`hourbook check`: exit code and the diagnostic lines (the summary line dropped)."""
    code, out, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err.splitlines()[:-1]


def check_in_time(root: Path, hung: str, seconds: float = 30) -> tuple[int, list[str]]:
    """`check` run in a thread that must end within `seconds` (a walk that loops, or a FIFO
    opened, would block it for ever): its exit code and lines, else the test fails with `hung`."""
    result = []
    worker = threading.Thread(target=lambda: result.append(check(root)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, hung
    return result[0]


def descriptions(root: Path) -> list[str]:
    books, _ = load_books(root)
    return [entry.description for entry in books.entries]


# ------------------------------------------------------------------ 5. links stay inside the books


@pytest.fixture
def outside(tmp_path):
    """A file outside the books whose text must never be read."""
    path = tmp_path / "outside" / "secret.md"
    path.parent.mkdir()
    path.write_text("# 2026-11-03\n## acme\n- 9h OUTSIDE-TEXT\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("rel", ["logbook/evil.md", "logbook/2026/evil.yaml", "contracts/globex.yaml",
                                 "templates/statement.html", "templates/style.css"])

def test_a_link_out_of_the_books_is_an_error_at_its_path(base, outside, rel):
    root = base()
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, root / rel)
    code, lines = check(root)
    assert code == 1
    assert lines == [f"{rel}:1: error: links outside the books folder (to {outside}); hourbook never follows "
                     "such a link: copy the file into the books, or remove the link"]
    assert "OUTSIDE-TEXT" not in descriptions(root)


@pytest.mark.parametrize("name", ["logbook", "contracts", "templates"])
def test_a_linked_folder_out_of_the_books_is_an_error(base, outside, name):
    root = base()
    if (root / name).exists():
        (root / name).rename(root / f"{name}-old")
    os.symlink(outside.parent, root / name)
    code, lines = check(root)
    assert code == 1
    assert f"{name}:1: error: links outside the books folder (to {outside.parent}); hourbook never follows " \
           "such a link: copy the file into the books, or remove the link" in lines


def test_hourbook_yaml_that_links_out_is_an_error(base, tmp_path):
    root = base()
    elsewhere = tmp_path / "elsewhere.yaml"
    (root / "hourbook.yaml").rename(elsewhere)
    os.symlink(elsewhere, root / "hourbook.yaml")
    code, lines = check(root)
    assert code == 1
    assert lines == [f"hourbook.yaml:1: error: links outside the books folder (to {elsewhere}); hourbook never "
                     "follows such a link: copy the file into the books, or remove the link"]


def test_links_that_stay_inside_are_followed(base):
    root = base({"archive/2026-10.md": "# 2026-10-05\n## acme\n- 30m archived\n", "shared/README": "contracts\n"})
    (root / "contracts" / "acme.yaml").rename(root / "shared" / "acme.yaml")
    os.symlink("../shared/acme.yaml", root / "contracts" / "acme.yaml")
    os.symlink("../archive", root / "logbook" / "archive")
    code, lines = check(root)
    assert (code, lines) == (0, [])
    assert sorted(descriptions(root)) == ["archived", "printer"]


def test_a_link_to_the_secret_or_into_git_is_refused(base):
    root = base({".hourbook-secret": "ab" * 32 + "\n", ".git/config": "[core]\n"})
    (root / "templates").mkdir()
    os.symlink("../.hourbook-secret", root / "templates" / "statement.html")
    os.symlink("../.git/config", root / "logbook" / "config.md")
    code, lines = check(root)
    assert code == 1
    assert lines == ["logbook/config.md:1: error: links to .git/config, which is not part of the books; remove the link",
                     "templates/statement.html:1: error: links to .hourbook-secret, which is not part of the books; "
                     "remove the link"]


def test_a_file_or_folder_read_twice_through_a_link_is_an_error(base):
    root = base({"logbook/2026/10.md": "# 2026-10-05\n## acme\n- 30m october\n"})
    os.symlink("2026-11.md", root / "logbook" / "again.md")
    os.symlink("2026", root / "logbook" / "this-year")
    code, lines = check(root)
    assert code == 1
    assert lines == [
        "logbook/again.md:1: error: is the same file as logbook/2026-11.md (a link to it): its entries would count "
        "twice; remove the link",
        "logbook/this-year:1: error: links to logbook/2026, a folder that is read already: its entries would count "
        "twice; remove the link"]
    assert sorted(descriptions(root)) == ["october", "printer"]     # each entry once


def test_link_loops_end_in_errors(base):
    root = base()
    os.symlink(".", root / "logbook" / "loop")
    os.symlink("..", root / "logbook" / "up")
    os.symlink("self.md", root / "logbook" / "self.md")
    (root / "templates").mkdir()
    os.symlink(".", root / "templates" / "again")
    code, lines = check_in_time(root, "check did not finish: a link loop was walked")
    assert code == 1
    assert lines == [
        "logbook/loop:1: error: links to logbook, a folder that is read already: its entries would count twice; "
        "remove the link",
        "logbook/self.md:1: error: is a link that never reaches a file (the links go round in a loop); remove it",
        "logbook/up:1: error: links to the books folder itself, a folder that is read already: its entries would "
        "count twice; remove the link"]


def test_a_broken_link_is_an_error_not_missing_work(base):
    root = base()
    os.symlink("2025/12.md", root / "logbook" / "2025-12.md")
    code, lines = check(root)
    assert (code, lines) == (1, ["logbook/2025-12.md:1: error: links to logbook/2025/12.md, which does not exist; "
                                 "restore it, or remove the link"])


def test_the_build_digests_never_read_outside_the_books(base, outside):
    root = base()
    (root / "templates").mkdir()
    os.symlink(outside, root / "templates" / "statement.html")
    os.symlink(outside, root / "logbook" / "evil.md")
    assert outside not in digests.input_files(root)
    assert all(listing.relative(root, path) for path in digests.input_files(root))
    templates, inputs = digests.templates_digest(root), digests.inputs_digest(root, "x")
    outside.write_text("changed, and never read\n", encoding="utf-8")
    assert digests.templates_digest(root) == templates
    assert digests.inputs_digest(root, "x") == inputs
    (root / "logbook" / "evil.md").unlink()     # but the link itself is an input: its going counts
    assert digests.inputs_digest(root, "x") != inputs


def test_a_folder_that_cannot_be_read_is_an_error(base, monkeypatch):
    root = base({"logbook/2026/10.md": "# 2026-10-05\n## acme\n- 30m october\n"})
    locked = str(root / "logbook" / "2026")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == locked:    # the tests may run as root, who reads any folder: refuse it here
            raise PermissionError(13, "Permission denied", locked)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, lines = check(root)
    assert (code, lines) == (1, ["logbook/2026:1: error: cannot read the folder: Permission denied; "
                                 "the files in it are not read"])


def test_a_fifo_is_reported_and_never_opened(base):
    root = base()
    os.mkfifo(root / "logbook" / "pipe.md")     # opening it would block check for ever
    (root / "hourbook.yaml").unlink()
    os.mkfifo(root / "hourbook.yaml")
    code, lines = check_in_time(root, "check opened a FIFO and blocked")
    assert code == 1
    assert lines == [
        "hourbook.yaml:1: error: hourbook.yaml is not a regular file (it is a named pipe (FIFO)): make hourbook.yaml "
        "a plain text file",
        "logbook/pipe.md:1: error: is a named pipe (FIFO), not a file: hourbook reads only plain files here; "
        "remove it or rename it"]


# ------------------------------------------------------------------ 8. control characters


@pytest.mark.parametrize("field, value, what", [
    ("email", '"ana@acme.example\\nBcc: x@evil.example"', "a line break"),
    ("tax_id", '"ESA\\t87654321"', "a tab"),
    ("tax_id", '"ESA\\r87654321"', "the control character U+000D"),
    ("email", '"a@b.c\\u2028"', "a line separator (U+2028)"),
])
def test_a_one_line_field_holds_no_line_break_or_control(base, field, value, what):
    root = base({"contracts/acme.yaml": CONTRACT + f"{field}: {value}\n"})
    code, lines = check(root)
    assert code == 1
    if "U+2028" in what:        # an escape may not bring in what the file itself may not hold
        assert lines == ["contracts/acme.yaml:6: error: YAML text cannot contain the control character U+2028"]
    else:
        shown = value.strip('"')
        assert lines == [f"contracts/acme.yaml:6: error: contract field {field!r}: '{shown}' holds {what}; "
                         "this field is one line of plain text"]


@pytest.mark.parametrize("yaml_text, line", [
    ("terms:\n  - {from: 2026-01-01, kind: hourly, rate: 60, label: \"Support\\n= 1000\"}\n", 3),
    ("terms:\n  - {from: 2026-01-01, kind: prepaid}\nprepaid:\n  - {id: \"B-1\\n\", bought: 2026-01-10, hours: 2}\n", 5),
    ("terms:\n  - {from: 2026-01-01, kind: hourly, rate: 60}\nquotes:\n  - {id: Q-1, price: 100, title: \"v3\\nupdate\"}\n", 5),
])
def test_labels_ids_and_titles_are_one_line(base, yaml_text, line):
    root = base({"contracts/acme.yaml": "name: ACME\n" + yaml_text})
    code, lines = check(root)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith(f"contracts/acme.yaml:{line}: error: ")
    assert "holds a line break; this field is one line of plain text" in lines[0]


def test_addresses_and_notes_may_have_lines_but_no_controls(base):
    root = base({"contracts/acme.yaml": CONTRACT + 'address: "Av. Diagonal 1\\n08019 Barcelona"\n',
                 "hourbook.yaml": 'seller:\n  name: Ana\n  address: "C/ Mayor 1\\r\\n28013 Madrid"\n'
                                  'invoice:\n  note: "Pay within\\t30 days\\nIBAN ES91"\n'})
    assert check(root) == (0, [])
    books, _ = load_books(root)
    assert books.settings.seller.address == "C/ Mayor 1\n28013 Madrid"
    assert books.contracts[0].party.address == "Av. Diagonal 1\n08019 Barcelona"


def test_invoice_number_patterns_are_one_line(base):
    root = base({"hourbook.yaml": 'seller: {name: Ana}\ninvoice:\n  number: "{year}\\n{seq:04d}"\n'})
    code, lines = check(root)
    assert code == 1
    assert lines == ["hourbook.yaml:3: error: invoice field 'number': '{year}\\n{seq:04d}' holds a line break; "
                     "this field is one line of plain text"]


def test_escapes_cannot_bring_in_c1_controls_or_separators(base):
    root = base({"contracts/acme.yaml": CONTRACT + 'address: "Av. Diagonal\\N1"\n'})
    code, lines = check(root)
    assert (code, lines) == (1, ["contracts/acme.yaml:6: error: YAML text cannot contain the control character U+0085"])


@pytest.mark.parametrize("char, name", [("\x1b", "the control character U+001B"), ("\x0b", "the control character U+000B"),
                                        ("\x85", "the control character U+0085"),
                                        ("\u2028", "a line separator (U+2028)")])
def test_a_logbook_line_with_a_control_character_is_an_error(base, char, name):
    root = base({"logbook/2026-11.md": LOGBOOK + f"- 30m call{char}[31m about it\n"})
    code, lines = check(root)
    assert (code, lines) == (1, [f"logbook/2026-11.md:5: error: line holds {name}: remove it (documents, journals "
                                 "and terminals act on control characters)"])


def test_direction_overrides_must_be_closed(base):
    closed = "\u202eevil\u202c"     # Arabic and Hebrew names may need them: closed ones are fine
    root = base({"contracts/acme.yaml": CONTRACT.replace("ACME Industries", f"ACME {closed}"),
                 "logbook/2026-11.md": LOGBOOK + f"- 30m call {closed} done\n- 15m note \u2066 open\n"})
    code, lines = check(root)
    assert code == 1
    assert lines == ["logbook/2026-11.md:6: error: '15m note \\u2066 open' holds U+2066, a direction change that is "
                     "never closed (with U+2069): it would turn the text after it around; close it or remove it"]
    root = base({"contracts/acme.yaml": CONTRACT.replace("ACME Industries", "ACME \u202eseirtsudnI")})
    assert check(root)[1] == [
        "contracts/acme.yaml:1: error: contract field 'name': 'ACME \\u202eseirtsudnI' holds U+202E, a direction change "
        "that is never closed (with U+202C): it would turn the text after it around; close it or remove it"]


def test_a_yaml_note_is_folded_into_one_line(base):
    root = base({"logbook/2026-11.md": "",
                 "logbook/desk.yaml": 'client: acme\nentries:\n  - date: 2026-11-03\n    duration: 1h\n'
                                      '    note: "printer\\n  driver\\tfixed"\n    details: "line one\\nline two"\n'})
    assert check(root) == (0, [])
    books, _ = load_books(root)
    assert [(e.description, e.details) for e in books.entries] == [("printer driver fixed", "line one\nline two")]


@pytest.mark.parametrize("name", ["2026\n11.md", "2026\x1b[31m11.md", "2026\u202e11.md"])
def test_a_logbook_file_name_with_control_characters_is_reported(base, name):
    root = base({f"logbook/{name}": "# 2026-11-04\n## acme\n- 2h from a strange file\n"})
    code, lines = check(root)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("logbook/2026\\")
    assert ":1: error: the file's name holds " in lines[0] and "rename the file" in lines[0]
    assert "from a strange file" not in descriptions(root)


# ------------------------------------------------------------------ 9. no work silently dropped or misdated


@pytest.mark.parametrize("line, message", [
    ("1. 1h fix the printer", "a numbered list item is not read as an entry: start the line with '- ' instead of '1.'"),
    ("2) 09:00-10:00 fix", "a numbered list item is not read as an entry: start the line with '- ' instead of '2)'"),
    ("-1h fix the printer", "'-1h' is not read as an entry: put a space after '-'"),
    ("*30m fix", "'*30m' is not read as an entry: put a space after '*'"),
    ("- .5h fix the printer", "'.5h' is not read as a time: write '0.5h'"),
    ("- -1h fix the printer", "'-1h' is not read as a time: a time cannot be negative"),
    ("#2026-10-05", "'#2026-10-05' is not read as a heading: put a space after '#'"),
    ("##globex", "'##globex' is not read as a heading: put a space after '##'"),
    ("  - 1h fix the printer", "an indented list item is not read as an entry (only items at the start of a line "
                               "are): remove the indentation"),
])
def test_a_line_that_looks_like_an_entry_but_is_not_read_is_a_warning(base, line, message):
    root = base({"logbook/2026-11.md": "# 2026-11-03\n\n## acme\n\n" + line + "\n"})
    code, lines = check(root)
    assert (code, lines) == (0, [f"logbook/2026-11.md:5: warning: {message}"])


def test_prose_and_star_items_are_not_warned_about(base):
    root = base({"logbook/2026-11.md": LOGBOOK + "* 30m star items are entries\n\n2 things to remember:\n"
                                                 "- the printer is old\n# Notes\n1. buy toner\n"})
    assert check(root) == (0, [])
    assert "star items are entries" in descriptions(root)


@pytest.mark.parametrize("logbook, line", [
    (LOGBOOK + "- 23:00-15:30 server move\n", 5),
    ("client: acme\nentries:\n  - date: 2026-11-03\n    time: \"23:00-15:30\"\n", 4),
])
def test_a_range_over_midnight_longer_than_16_hours_is_a_warning(base, logbook, line):
    rel = "logbook/2026-11.md" if logbook.startswith("#") else "logbook/2026-11.yaml"
    root = base({"logbook/2026-11.md": "", rel: logbook})
    code, lines = check(root)
    assert (code, lines) == (0, [f"{rel}:{line}: warning: the range '23:00-15:30' crosses midnight and lasts 16h30m; "
                                 "if that is so, split it at midnight to say so, else write 15:30-23:00"])


def test_an_empty_list_item_is_prose(base):
    root = base({"logbook/2026-11.md": LOGBOOK + "- \n-\t\n"})
    assert check(root) == (0, [])


def test_a_night_shift_is_fine(base):
    root = base({"logbook/2026-11.md": LOGBOOK + "- 22:00-06:00 migration\n"})
    assert check(root) == (0, [])


def test_a_byte_order_mark_inside_a_file_is_an_error(base):
    root = base()
    path = root / "logbook" / "2026-11.md"
    path.write_bytes(b"\xef\xbb\xbf" + LOGBOOK.encode() + b"\xef\xbb\xbf# 2026-11-04\n- 30m call\n")
    code, lines = check(root)
    assert (code, lines) == (1, ["logbook/2026-11.md:5: error: line holds a byte-order mark (U+FEFF) inside the file: "
                                 "was it joined from two files? remove it"])


@pytest.mark.parametrize("extra, line, key, first", [
    ("    surcharge: {urgent: 50%, Urgent: 25%}\n", 6, "Urgent", "urgent"),
    ("    rates: {OnSite: 80, onsite: 90}\n", 6, "onsite", "OnSite"),
    ("contacts:\n  ana: CTO\n  Ana: CFO\n", 8, "Ana", "ana"),
])
def test_contract_keys_that_differ_only_in_case_are_errors(base, extra, line, key, first):
    root = base({"contracts/acme.yaml": CONTRACT + extra})
    code, lines = check(root)
    assert code == 1
    assert f"contracts/acme.yaml:{line}: error: key {key!r} differs from {first!r} (line {line - (extra.count(chr(10)) > 1)}) " \
           "only in case, and hourbook reads them as one: keep one of them" in lines


def test_a_contract_with_case_twins_is_left_out_whole(base):
    """Both surcharges would apply (50% + 25%): the contract is not used to price anything."""
    root = base({"contracts/acme.yaml": CONTRACT + "    surcharge: {urgent: 50%, Urgent: 25%}\n"})
    books, _ = load_books(root)
    assert books.contracts == () and books.broken_clients == frozenset({"acme"})


# ------------------------------------------------------------------ 11. messages that say what is wrong


def test_hourbook_yaml_that_is_a_folder_is_not_missing(base):
    root = base()
    (root / "hourbook.yaml").unlink()
    (root / "hourbook.yaml").mkdir()
    assert check(root) == (1, ["hourbook.yaml:1: error: hourbook.yaml is not a regular file (it is a folder): "
                               "make hourbook.yaml a plain text file"])


@pytest.mark.parametrize("name", ["acme.YAML", "acme.Yaml", "acme.YML"])
def test_a_contract_file_in_the_wrong_case_says_use_yaml(base, name):
    root = base()
    (root / "contracts" / "acme.yaml").rename(root / "contracts" / name)
    code, lines = check(root)
    assert (code, lines) == (1, [f"contracts/{name}:1: error: contract files end in '.yaml', in lowercase: "
                                 f"rename '{name}' to 'acme.yaml'"])


def test_a_client_heading_in_the_wrong_case(base):
    root = base({"logbook/2026-11.md": LOGBOOK.replace("## acme", "## ACME")})
    assert check(root) == (1, ["logbook/2026-11.md:4: error: unknown client 'ACME' (did you mean 'acme'?)"])


@pytest.mark.parametrize("value, got", [
    ("2026-01-01", "a date (2026-01-01)"),
    ("[60, 70]", "a list [60, 70]"),
    ("{eur: 60}", "a mapping {'eur': 60}"),
    ("true", "true (a yes/no value)"),
])
def test_an_amount_of_the_wrong_kind_says_what_it_got(base, value, got):
    root = base({"contracts/acme.yaml": CONTRACT.replace("rate: 60", f"rate: {value}")})
    assert check(root) == (1, [f"contracts/acme.yaml:5: error: term field 'rate': expected an amount like 60 or "
                               f"45.50, got {got}"])


def test_a_client_id_too_long_for_a_file_name(base):
    long_id, longest = "a" * 101, "b" * 100
    root = base({f"contracts/{long_id}.yaml": CONTRACT, f"contracts/{longest}.yaml": CONTRACT})
    code, lines = check(root)
    assert (code, lines) == (1, [f"contracts/{long_id}.yaml:1: error: the client id (the file name) is 101 characters "
                                 "long; it names folders and files of the site, so it may have up to 100: "
                                 "rename the file"])


@pytest.mark.parametrize("code", ["EUX", "ABC", "XYZ"])
def test_currency_must_be_iso_4217(base, code):
    root = base({"contracts/acme.yaml": CONTRACT + f"currency: {code}\n"})
    assert check(root) == (1, [f"contracts/acme.yaml:6: error: contract field 'currency': {code} is not an ISO 4217 "
                               "currency code; use one like EUR, USD, GBP or JPY"])


def test_the_settings_currency_must_be_iso_4217_too(base):
    root = base({"hourbook.yaml": "seller: {name: Ana}\ncurrency: ABC\n"})
    assert check(root)[1] == ["hourbook.yaml:2: error: hourbook.yaml field 'currency': ABC is not an ISO 4217 currency "
                              "code; use one like EUR, USD, GBP or JPY"]


@pytest.mark.parametrize("currency, field, amount, digits", [
    ("JPY", "fee", "1000.5", 0),
    ("EUR", "fee", "10.005", 2),
    ("BHD", "fee", "1.2345", 3),
])
def test_a_fee_has_no_more_decimals_than_its_currency(base, currency, field, amount, digits):
    contract = (f"name: ACME\ncurrency: {currency}\nterms:\n  - from: 2026-01-01\n    kind: retainer\n"
                f"    rate: 60\n    {field}: {amount}\n")
    root = base({"contracts/acme.yaml": contract})
    assert check(root) == (1, [f"contracts/acme.yaml:7: error: term field {field!r}: {amount} has more decimals than "
                               f"{currency} has ({digits}); an invoice cannot show it: round it"])


def test_prices_and_expenses_fit_the_currency_but_rates_may_not(base):
    contract = ("name: ACME\ncurrency: JPY\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 1000.5}\n"
                "quotes:\n  - {id: Q-1, price: 5000.25}\n")
    root = base({"contracts/acme.yaml": contract})
    assert check(root)[1] == ["contracts/acme.yaml:6: error: quote field 'price': 5000.25 has more decimals than JPY "
                              "has (0); an invoice cannot show it: round it"]
    contract = "name: ACME\ncurrency: BHD\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 10.125}\n"
    rates = SELLER + "exchange_rates: [{date: 2026-01-01, BHD: 2.4400}]\n"     # the owner's pages convert dinars
    root = base({"contracts/acme.yaml": contract, "hourbook.yaml": rates,
                 "logbook/2026-11.md": LOGBOOK + "- expense 4.125 taxi\n- expense 4.1255 bus\n"})
    assert check(root) == (1, ["logbook/2026-11.md:6: error: expense 4.1255 has more decimals than BHD has (3), the "
                               "currency of 'acme': round it"])


def test_team_ids_are_words_read_like_worker(base):
    root = base({"hourbook.yaml": "seller: {name: Ana}\nteam:\n  Ivan: {name: Iván, cost: 28}\n  \"iv an\": {cost: 1}\n",
                 "logbook/2026-11.md": "---\nworker: ivan\n---\n" + LOGBOOK})
    assert check(root) == (1, ["hourbook.yaml:4: error: team member id: expected one word, got 'iv an' (letters, "
                               "digits, '.', '-', '_'), as written after worker:"])
    books, _ = load_books(root)
    assert [member.id for member in books.settings.team] == ["ivan"]
