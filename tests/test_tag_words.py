"""Issue 13, items 7 and 8: tags in the user's language, aliases, and names people type.

The example of docs/pricing.md ("Tags in your language, aliases and names people type") is
read from the page itself and priced; its durations table is read and checked row by row.
The rest pins the table of names (`load.tag_names`), the aliases of hourbook.yaml
(`load.tag_aliases`), the accent warnings (`checks.spelling`), and durations wherever they are
read, with hand-computed figures; property tests check that a tag's name or alias never
changes a figure, and that every way of writing a duration reads the same minutes.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from conftest import price_json
from conftest import run_cli
from conftest import write_books
from hourbook.checks.spelling import check_requester_spelling
from hourbook.checks.spelling import check_tag_spelling
from hourbook.core.pricing import BUILT_IN_NO_CHARGE
from hourbook.core.pricing import price_books
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.load.logbook_words import APPROVED
from hourbook.load.markdown_logbook import parse_markdown_logbook
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_duration
from hourbook.load.scalars import parse_tag
from hourbook.load.tag_aliases import alias_contract
from hourbook.load.tag_aliases import alias_entries
from hourbook.load.tag_names import CANONICAL
from hourbook.load.tag_names import TAG_NAMES
from hourbook.load.tag_names import TICKET_PREFIXES
from hourbook.load.tag_names import fold
from hourbook.output.json import priced_json
from test_properties import TAGS
from test_properties import books as generated_books
from test_properties import law_amounts_add_up
from test_properties import law_every_minute_once

DOCS = Path(__file__).parent.parent / "docs" / "pricing.md"
SECTION = "## Tags in your language, aliases and names people type"
LANGUAGES = ("en", "es", "de", "ru", "bg")


def docs_section() -> str:
    """The section of docs/pricing.md, up to the next `## ` heading outside a fenced block."""
    lines = DOCS.read_text(encoding="utf-8").split("\n")
    start = lines.index(SECTION)
    fenced = False
    for index in range(start + 1, len(lines)):
        fenced ^= lines[index].startswith("```")
        if not fenced and lines[index].startswith("## "):
            return "\n".join(lines[start:index])
    return "\n".join(lines[start:])


def docs_files() -> dict[str, str]:
    """The fenced blocks of the section whose info string names a file (```yaml hourbook.yaml)."""
    blocks = re.findall(r"^```\w+ (\S+)\n(.*?)^```$", docs_section(), re.MULTILINE | re.DOTALL)
    return dict(blocks)


# ------------------------------------------------------------------ the docs' example


def test_the_docs_example_prices_as_the_docs_say(tmp_path):
    files = docs_files()
    root = write_books(tmp_path, {name: text for name, text in files.items() if "/" in name or name.endswith(".yaml")})
    data = price_json(root, "2026-11-25")
    (statement,) = data["clients"][0]["periods"]
    got = [(line["source"].rsplit(":", 1)[1], line["status"], line["reason"], line["tags"], line["logged_minutes"],
            line["value"], line["amount"]) for line in statement["lines"]]
    # Hand-computed (the table of the docs): minutes x rate / 60, x 1.5 for urgent.
    assert got == [
        ("4", "no-charge", "warranty", ["warranty"], 90, "90.00", "0.00"),    # 1h30 #garantía
        ("5", "billed", None, ["urgent"], 90, "135.00", "135.00"),           # 1 h 30, 90 x 60 / 60 x 1.5
        ("6", "billed", None, ["phone"], 45, "30.00", "30.00"),              # 45 x 40 / 60
        ("7", "billed", None, ["teléfono"], 15, "15.00", "15.00"),           # not the alias: at 60
        ("8", "held", "requester 'lucía' is not an authorised contact", [], 20, "20.00", "0.00"),
        ("9", "no-charge", "goodwill", ["goodwill"], 30, "30.00", "0.00"),   # #Kulanz
    ]
    assert statement["net"] == "180.00" and statement["total"] == "180.00"   # 135 + 30 + 15
    assert "net = 135.00 + 30.00 + 15.00 = **180.00**" in docs_section()
    # The warnings the docs show, as `hourbook check` prints them.
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-25")
    assert code == 0
    assert [line for line in err.splitlines() if ": warning: " in line] == files["check"].strip().splitlines()
    code, _, _ = run_cli("check", str(root), "--as-of", "2026-11-25", "--strict")
    assert code == 1        # the accent warnings fail a strict run


def docs_durations() -> list[tuple[str, str]]:
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \|$", docs_section(), re.MULTILINE)
    return [(written, result) for written, result in rows if result[:1].isdigit() or result.startswith("error")]


def test_the_docs_durations_table_is_read_as_it_says():
    rows = docs_durations()
    assert len(rows) == 8
    for written, result in rows:
        if result.startswith("error: `"):
            with pytest.raises(ValueError) as caught:
                parse_duration(written)
            assert f"error: `{caught.value}`" == result
        elif result.startswith("error"):
            pytest.raises(ValueError, parse_duration, written)
        else:
            assert parse_duration(written) == int(result), written


# ------------------------------------------------------------------ the table of names


def test_every_built_in_tag_has_names_in_every_language():
    for tag, names in TAG_NAMES.items():
        assert set(names) == set(LANGUAGES), tag
        assert names["en"][0] == tag                          # the English name is the tag itself
        for language_names in names.values():
            for name in language_names:
                assert name == name.lower() and parse_tag(name) == tag, name
                assert parse_tag(name.upper()) == tag and parse_tag(f"#{name.title()}") == tag
    assert set(BUILT_IN_NO_CHARGE) | {APPROVED} == set(TAG_NAMES)
    assert set(TICKET_PREFIXES) == set(LANGUAGES)


def test_no_name_stands_for_two_tags():
    seen: dict[str, str] = {}
    for tag, names in TAG_NAMES.items():
        for language_names in names.values():
            for name in language_names:
                assert seen.setdefault(name, tag) == tag, name


@pytest.mark.parametrize("written, tag", [
    ("#Garantía", "warranty"), ("garantia", "warranty"), ("Gewährleistung", "warranty"), ("гарантия", "warranty"),
    ("гаранция", "warranty"), ("Kulanz", "goodwill"), ("cortesía", "goodwill"), ("бесплатно", "goodwill"),
    ("безплатно", "goodwill"), ("aprobado", "approved"), ("одобрено", "approved"), ("заявка-201", "ticket-201"),
    ("incidencia-7", "ticket-7"), ("тикет-3", "ticket-3"), ("заявка-", "заявка-"), ("support", "support"),
    ("garanti\u0301a", "warranty"),       # the accent as a combining mark (NFD): the same letter
    ("gewahrleistung", "gewahrleistung"),  # not a name: accents are not guessed (a warning says so)
])
def test_a_name_is_read_as_its_built_in_tag(written, tag):
    assert parse_tag(written) == tag


def test_fold_drops_accents_and_case():
    assert fold("Garantía") == fold("garantia") == "garantia"
    assert fold("удалённо") == fold("удаленно")
    assert fold("Lucía") == "lucia"


def test_names_in_a_markdown_and_a_yaml_logbook_price_as_the_built_in_tags(books):
    root = books({
        "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- 1h #Gewährleistung fix\n- 30m @pedro #aprobado call\n",
        "logbook/2026-11.yaml": "client: acme\nentries:\n"
                                "  - {date: 2026-11-04, duration: 1 h 30, tags: [гарантия], note: fix}\n"
                                "  - {date: 2026-11-04, duration: 0h45, by: pedro, tags: [genehmigt], note: call}\n",
        "contracts/acme.yaml": "name: ACME\ncontacts: {ana: Ana}\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60}\n",
    })
    lines = price_json(root, "2026-11-25")["clients"][0]["periods"][0]["lines"]
    # 60 and 90 min of warranty: no charge; 30 and 45 min by pedro, approved by name: 30.00 and 45.00.
    assert [(l["logged_minutes"], l["status"], l["reason"], l["tags"], l["amount"]) for l in lines] == [
        (60, "no-charge", "warranty", ["warranty"], "0.00"),
        (30, "billed", None, [], "30.00"),
        (90, "no-charge", "warranty", ["warranty"], "0.00"),
        (45, "billed", None, [], "45.00"),
    ]


# ------------------------------------------------------------------ aliases


BASE = {
    "hourbook.yaml": "seller: {name: Ana}\ntags: {telefono: phone, visto-bueno: approved, garantia: warranty}\n",
    "contracts/acme.yaml": "name: ACME\ncontacts: {ana: Ana}\nterms:\n"
                           "  - {from: 2026-01-01, kind: hourly, rate: 60, rates: {telefono: 30}, no_charge: [cortesia]}\n",
}


def test_aliases_reach_the_entries_and_the_contract(books):
    root = books({**BASE, "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- 1h #Telefono call\n"
                  "- 30m @pedro #visto-bueno ok\n- 20m #garantia\n"})
    lines = price_json(root, "2026-11-25")["clients"][0]["periods"][0]["lines"]
    # 60 min of phone at the contract's rates: {telefono: 30} -> 30.00; pedro approved by the alias:
    # 30 min at 60 = 30.00; the built-in name given as an alias changes nothing: warranty.
    assert [(l["tags"], l["rate"], l["amount"], l["status"]) for l in lines] == [
        (["phone"], "30.00", "30.00", "billed"), ([], "60.00", "30.00", "billed"), (["warranty"], "60.00", "0.00", "no-charge"),
    ]
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-25", "--strict")
    assert (code, err.splitlines()[0]) == (0, "1 client, 3 entries: 0 errors, 0 warnings")


def test_an_unchanged_entry_stays_the_very_same_object():
    # The caches of watch mode tell an unchanged client by identity (build/caches.py).
    day = datetime.date(2026, 11, 3)
    from hourbook.core.records import Entry
    entries = [Entry("time", day, "acme", Source("l.md", 4), 60, tags=("telefono",)),
               Entry("time", day, "acme", Source("l.md", 5), 60, tags=("support",))]
    aliases = (("telefono", "phone"),)
    first, second = alias_entries(entries, aliases), alias_entries(list(entries), aliases)
    assert first[0].tags == ("phone",) and all(a is b for a, b in zip(first, second))
    assert first[1] is entries[1] and alias_entries(entries, ()) is entries


def test_alias_contract_rewrites_every_tag_field_and_keeps_an_unaliased_contract():
    from hourbook.core.records import Contract, Party, ShownTag, Term
    term = Term("hourly", datetime.date(2026, 1, 1), None, Source("c.yaml", 3), rate=Decimal(60),
                rates=(("tel", Decimal(30)),), surcharge=(("urg", Decimal("0.5")),), no_charge=frozenset({"free"}),
                covers=frozenset({"tel", "x"}))
    contract = Contract("acme", Party("ACME"), Source("c.yaml", 1), terms=(term,), show_tags=(ShownTag("tel"),))
    aliased = alias_contract(contract, (("tel", "phone"), ("urg", "urgent"), ("free", "gratis")))
    (new,) = aliased.terms
    assert new.rates == (("phone", Decimal(30)),) and new.surcharge == (("urgent", Decimal("0.5")),)
    assert new.no_charge == frozenset({"gratis"}) and new.covers == frozenset({"phone", "x"})
    assert aliased.show_tags == (ShownTag("phone"),)
    assert alias_contract(contract, (("other", "thing"),)) is contract


# ------------------------------------------------------------------ accent warnings


def _books(entries, contract, aliases=()) -> Books:
    return Books(settings=Settings(seller=contract.party, tag_aliases=aliases), contracts=(contract,),
                 entries=tuple(entries))


def test_accent_only_differences_are_warnings_naming_the_known_tag():
    from hourbook.core.records import Contract, Entry, Party, Term
    day = datetime.date(2026, 11, 3)
    term = Term("hourly", day, None, Source("contracts/acme.yaml", 3), rate=Decimal(60),
                surcharge=(("urgente", Decimal("0.5")),))
    contract = Contract("acme", Party("ACME"), Source("contracts/acme.yaml", 1), terms=(term,),
                        contacts=(("lucia", ""),))
    rel = "logbook/2026/11.md"
    entries = [
        Entry("time", day, "acme", Source(rel, 14), 60, tags=("garantïa",)),          # a built-in name
        Entry("time", day, "acme", Source(rel, 15), 60, tags=("urgénte", "support")),  # the contract's
        Entry("time", day, "acme", Source(rel, 16), 60, tags=("teléfono",)),           # an alias
        Entry("time", day, "acme", Source(rel, 17), 60, tags=("support",), by="lucía"),
        Entry("time", day, "acme", Source(rel, 18), 60, tags=("urgente",), by="lucia"),  # all known: nothing
    ]
    books_ = _books(entries, contract, aliases=(("telefono", "phone"),))
    assert check_tag_spelling(books_, day) == [
        Diagnostic(Source(rel, 14), "tag 'garantïa' is not known; did you mean 'garantía'?", WARNING),
        Diagnostic(Source(rel, 15), "tag 'urgénte' is not known; did you mean 'urgente'?", WARNING),
        Diagnostic(Source(rel, 16), "tag 'teléfono' is not known; did you mean 'telefono'?", WARNING),
    ]
    assert check_requester_spelling(books_, day) == [
        Diagnostic(Source(rel, 17), "requester 'lucía' is not a contact of 'acme'; did you mean 'lucia'?", WARNING),
    ]


def test_a_contract_tag_is_suggested_before_a_built_in_name_of_the_same_letters():
    # The contract's `garantia` and the built-in Spanish `garantía` fold alike: the contract's is
    # named; a client without a contract is told the built-in one.
    from hourbook.core.records import Contract, Entry, Party, Term
    day = datetime.date(2026, 11, 3)
    term = Term("hourly", day, None, Source("contracts/acme.yaml", 3), rate=Decimal(60),
                surcharge=(("garantia", Decimal("0.5")),))
    contract = Contract("acme", Party("ACME"), Source("contracts/acme.yaml", 1), terms=(term,))
    entries = [Entry("time", day, "acme", Source("l.md", 4), 60, tags=("garantïa",)),
               Entry("time", day, "other", Source("l.md", 5), 60, tags=("garantïa",))]
    assert [d.message for d in check_tag_spelling(_books(entries, contract), day)] == [
        "tag 'garantïa' is not known; did you mean 'garantia'?",
        "tag 'garantïa' is not known; did you mean 'garantía'?"]


def test_a_requester_is_not_checked_without_contacts():
    from hourbook.core.records import Contract, Entry, Party
    contract = Contract("acme", Party("ACME"), Source("contracts/acme.yaml", 1))
    entry = Entry("time", datetime.date(2026, 11, 3), "acme", Source("l.md", 4), 60, by="lucía")
    assert check_requester_spelling(_books([entry], contract), entry.date) == []


# ------------------------------------------------------------------ durations wherever they are read


@pytest.mark.parametrize("item, minutes, description", [
    ("1h30 a", 90, "a"), ("1 h 30 b", 90, "b"), ("1 h 30 m c", 90, "c"), ("1h 30m d", 90, "d"),
    ("2h 3 servers rebooted", 120, "3 servers rebooted"), ("30 m z", 30, "z"), ("1 h", 60, ""),
    ("1.5 h w", 90, "w"), ("1h 30 meetings", 90, "meetings"),
])
def test_a_markdown_item_reads_the_whole_duration(item, minutes, description):
    diags = Problems()
    (entry,) = parse_markdown_logbook(f"# 2026-11-03\n## acme\n- {item}\n", "l.md", diags)
    assert (entry.minutes, entry.description, list(diags)) == (minutes, description, [])


def test_contract_durations_read_minutes_without_their_m(books):
    root = books({
        "contracts/acme.yaml": "name: ACME\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60, minimum: 0h45, "
                               "increment: 0 h 15}\nquotes:\n  - {id: Q-1, title: Work, price: 100, estimate: 1 h 30, "
                               "approved: 2026-11-01}\n",
        "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- 10m call\n- 50m fix\n- 1h Q-1 #Q-1\n",
    })
    period = price_json(root, "2026-11-25")["clients"][0]["periods"][0]
    # 10m -> minimum 45m -> 45 x 60 / 60 = 45.00; 50m -> rounded up to 60m -> 60.00.
    assert [(l["billed_minutes"], l["amount"]) for l in period["lines"][:2]] == [(45, "45.00"), (60, "60.00")]
    assert period["quotes"] == [{"id": "Q-1", "used_minutes": 60, "estimate_minutes": 90}]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 99), st.integers(0, 59))
def test_every_way_of_writing_a_duration_reads_the_same_minutes(hours, minutes):
    expected = hours * 60 + minutes
    forms = [f"{hours}h{minutes:02d}", f"{hours} h {minutes:02d}", f"{hours}h {minutes}m", f"{hours} h {minutes} m",
             f"{hours}h{minutes}m", f"{hours}:{minutes:02d}"]
    for form in forms:
        assert parse_duration(form) == expected, form
        if expected:
            diags = Problems()
            (entry,) = parse_markdown_logbook(f"# 2026-11-03\n## acme\n- {form} note\n", "l.md", diags)
            assert (entry.minutes, entry.description, list(diags)) == (expected, "note", []), form


# ------------------------------------------------------------------ a name or an alias never changes a figure


NAMES = {tag: [name for names in TAG_NAMES[tag].values() for name in names] for tag in TAG_NAMES}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_books(), st.data())
def test_names_and_aliases_price_exactly_as_the_tags_they_stand_for(books_, data):
    """Typed with names (read by parse_tag) and aliases (applied by the loader), generated books
    price to the very same figures, and every logged minute is still accounted for once."""
    aliases = tuple((f"alias-{tag}", tag) for tag in TAGS)
    typed = []
    for entry in books_.entries:
        words = [data.draw(st.sampled_from([tag, f"alias-{tag}", *NAMES.get(tag, ())])) for tag in entry.tags]
        typed.append(dataclasses.replace(entry, tags=tuple(dict.fromkeys(parse_tag(word) for word in words))))
    (contract,) = books_.contracts
    aliased_contract = alias_contract(dataclasses.replace(contract, terms=tuple(
        dataclasses.replace(term, rates=tuple((f"alias-{tag}", rate) for tag, rate in term.rates))
        for term in contract.terms)), aliases)
    read = dataclasses.replace(books_, entries=tuple(alias_entries(typed, aliases)), contracts=(aliased_contract,))
    as_of = datetime.date(2026, 12, 31)
    priced, again = price_books(books_, as_of), price_books(read, as_of)
    law_every_minute_once(read, again)
    law_amounts_add_up(read, again)
    assert priced_json(again, list(again.diagnostics)) == priced_json(priced, list(priced.diagnostics))


def test_the_canonical_names_cover_the_generated_tags():
    # The property above types built-in tags by their names: warranty is among the generated tags.
    assert "warranty" in TAGS and all(CANONICAL[name] == "warranty" for name in NAMES["warranty"])


def test_the_readme_logbook_tour_says_what_hourbook_reads():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("Durations: `45m`"):readme.index("The YAML form has the same fields")]
    tour = " ".join(tour.split())
    claims = re.findall(r"((?:`#[^`]+`(?:, | and )?)+) (?:are|is) `#(\w+)`", tour)
    assert len(claims) == 3
    for names, tag in claims:
        for name in re.findall(r"`#([^`]+)`", names):
            assert parse_tag(name) == tag, name
    for written in re.findall(r"`([^`]+)`", tour[:tour.index("or a range")]):
        assert parse_duration(written) > 0, written
    assert "`1h5` is an error" in tour
    pytest.raises(ValueError, parse_duration, "1h5")


def test_a_contract_names_built_in_tags_in_any_language(books):
    root = books({
        "contracts/acme.yaml": "name: ACME\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60, "
                               "no_charge: [Kulanz], surcharge: {urgente: 50%}}\n",
        "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- 1h #goodwill call\n- 1h #cortesía call\n- 1h #urgente fix\n",
    })
    lines = price_json(root, "2026-11-25")["clients"][0]["periods"][0]["lines"]
    # Both goodwill lines are free (the contract's `Kulanz` is goodwill too); 60 x 60 / 60 x 1.5 = 90.00.
    assert [(l["status"], l["reason"], l["amount"]) for l in lines] == [
        ("no-charge", "goodwill", "0.00"), ("no-charge", "goodwill", "0.00"), ("billed", None, "90.00")]


def test_read_tag_aliases_says_what_it_cannot_take():
    from hourbook.load.tag_aliases import read_tag_aliases
    from hourbook.load.yaml_reader import parse_yaml
    diags = Problems()
    text = ("tags:\n  заявка-7: q-1\n  warranty: support\n  garantia: warranty\n  tel: phone\n  phone: phone\n"
            "  Aprobada2: approved\n")
    aliases = read_tag_aliases(parse_yaml(text)["tags"], "hourbook.yaml", 1, diags)
    # A built-in name for its own tag and a tag for itself are left out; the names are read in lowercase.
    assert aliases == (("tel", "phone"), ("aprobada2", "approved"))
    assert [(d.source.line, d.message) for d in diags] == [
        (2, "tags: 'заявка-7' is a name of the built-in tag 'ticket-7'; it cannot stand for 'q-1'"),
        (3, "tags: 'warranty' is a built-in tag; it cannot stand for 'support'"),
    ]


def test_an_accent_typed_apart_is_the_same_letter_in_a_requester(books):
    root = books({
        "contracts/acme.yaml": "name: ACME\ncontacts: {lucía: Lucía}\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60}\n",
        "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- 1h @Luci\u0301a call\n",      # i + U+0301 (NFD)
    })
    data = price_json(root, "2026-11-25")
    (line,) = data["clients"][0]["periods"][0]["lines"]
    assert (line["by"], line["status"], line["amount"], data["diagnostics"]) == ("lucía", "billed", "60.00", [])
