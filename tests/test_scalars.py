"""The small values of the books format (`hourbook.load.scalars`): what each reads as, and what
it says about what it cannot read. Expected values and messages are written out by hand.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from hourbook.load.scalars import character_name
from hourbook.load.scalars import check_bidi
from hourbook.load.scalars import check_line
from hourbook.load.scalars import check_lines
from hourbook.load.scalars import described
from hourbook.load.scalars import did_you_mean
from hourbook.load.scalars import format_clock
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_duration
from hourbook.load.scalars import parse_money
from hourbook.load.scalars import parse_percent
from hourbook.load.scalars import parse_range
from hourbook.load.scalars import parse_tag
from hourbook.load.scalars import parse_tags
from hourbook.load.scalars import shown

DURATION_HELP = "expected a duration like 45m, 1h, 1h30m, 1.5h or 0:45"


def error_of(read, *args, **kwargs) -> str:
    with pytest.raises(ValueError) as caught:
        read(*args, **kwargs)
    return str(caught.value)


# ------------------------------------------------------------------ durations


@pytest.mark.parametrize("written, minutes", [
    ("45m", 45), ("1h", 60), ("1h30m", 90), ("1.5h", 90), ("0:45", 45), ("2:05", 125),
    ("1H30M", 90), (" 1h 30m ", 90), ("0.25h", 15), ("0m", 0), ("100000h", 6_000_000),
])
def test_parse_duration(written, minutes):
    assert parse_duration(written) == minutes


@pytest.mark.parametrize("written, minutes", [
    # Minutes without their 'm', as people type them (issue 13): two digits, 00 to 59.
    ("1h30", 90), ("1 h 30", 90), ("1 h 30 m", 90), ("1h 30m", 90), ("1h05", 65), ("0h45", 45), ("2H59", 179),
])
def test_parse_duration_reads_minutes_without_their_m(written, minutes):
    assert parse_duration(written) == minutes


@pytest.mark.parametrize("value, message", [
    ("1h5", "cannot tell the minutes of '1h5': write 1h05 for 5 minutes, or 1h50 for 50"),
    ("1h90", "minutes after the hours are 00 to 59, got '1h90': write 1h90m if you mean 90 minutes"),
    ("1h100", "minutes after the hours are 00 to 59, got '1h100': write 1h100m if you mean 100 minutes"),
    ("1.5h30", f"{DURATION_HELP}, got '1.5h30'"),
    ("1 5m", f"{DURATION_HELP}, got '1 5m'"),        # a space inside a number is not between a number and its unit
    ("1 h 3 0", f"{DURATION_HELP}, got '1 h 3 0'"),
])
def test_parse_duration_refuses_what_it_would_have_to_guess(value, message):
    assert error_of(parse_duration, value) == message


def test_parse_duration_reads_a_bare_number_as_hours_only_when_asked():
    assert parse_duration(20, hours_if_number=True) == 1200
    assert parse_duration(Decimal("1.5"), hours_if_number=True) == 90
    assert error_of(parse_duration, 20) == f"{DURATION_HELP}, got 20"


@pytest.mark.parametrize("value, message", [
    ("", f"{DURATION_HELP}, got ''"),
    ("h", f"{DURATION_HELP}, got 'h'"),
    ("90", f"{DURATION_HELP}, got '90'"),
    ("1:60", f"{DURATION_HELP}, got '1:60'"),
    ("-1h", f"{DURATION_HELP}, got '-1h'"),
    ("sixty", f"{DURATION_HELP}, got 'sixty'"),
    (True, f"{DURATION_HELP}, got true (a yes/no value)"),
    (None, f"{DURATION_HELP}, got nothing"),
    (datetime.date(2026, 1, 1), f"{DURATION_HELP}, got a date (2026-01-01)"),
    ("1.01h", "'1.01h' is not a whole number of minutes"),
    ("100001h", "'100001h' is more than hourbook takes (100000 hours)"),
])
def test_parse_duration_says_what_it_cannot_read(value, message):
    assert error_of(parse_duration, value) == message


def test_parse_duration_refuses_negative_hours():
    assert error_of(parse_duration, -2, hours_if_number=True) == "a duration cannot be negative: -2"


# ------------------------------------------------------------------ time ranges


@pytest.mark.parametrize("written, expected", [
    ("09:10-10:25", (550, 625)),
    ("9:10-10:25", (550, 625)),
    ("09:10 - 10:25", (550, 625)),
    ("09:10\u201310:25", (550, 625)),          # an en dash, as word processors write it
    (" 00:00-24:00 ", (0, 1440)),
    ("22:00-01:30", (1320, 1530)),             # over midnight: the end is on the next day
    ("23:59-00:00", (1439, 1440)),
])
def test_parse_range(written, expected):
    assert parse_range(written) == expected


@pytest.mark.parametrize("written, message", [
    ("09:10", "expected a time range like 09:10-10:25, got '09:10'"),
    ("9-10", "expected a time range like 09:10-10:25, got '9-10'"),
    ("09:10-10:25-11:00", "expected a time range like 09:10-10:25, got '09:10-10:25-11:00'"),
    ("24:00-01:00", "24:00 is not a time of day"),
    ("09:60-10:00", "09:60 is not a time of day"),
    ("09:00-24:30", "24:30 is not a time of day"),
    ("09:00-25:00", "25:00 is not a time of day"),
    ("10:00-10:00", "the range '10:00-10:00' ends when it starts"),
])
def test_parse_range_says_what_it_cannot_read(written, message):
    assert error_of(parse_range, written) == message


@pytest.mark.parametrize("minute, shown_as", [(0, "00:00"), (625, "10:25"), (1440, "00:00"), (1530, "01:30")])
def test_format_clock(minute, shown_as):
    assert format_clock(minute) == shown_as


# ------------------------------------------------------------------ money and percentages


@pytest.mark.parametrize("value, amount", [
    (60, Decimal("60")), ("45.50", Decimal("45.50")), (" 45.5 ", Decimal("45.5")), (Decimal("0.01"), Decimal("0.01")),
    ("-12.30", Decimal("-12.30")), ("+7", Decimal("7")), ("999999999999.99", Decimal("999999999999.99")),
])
def test_parse_money(value, amount):
    read = parse_money(value)
    assert read == amount and str(read) == str(amount)      # as written: 45.50 stays 45.50


@pytest.mark.parametrize("value, message", [
    ("45,50", "expected an amount like 60 or 45.50, got '45,50' (write decimals with a point: 45.50)"),
    ("€45", "expected an amount like 60 or 45.50, got '€45'"),
    ("1e3", "expected an amount like 60 or 45.50, got '1e3'"),
    ("", "expected an amount like 60 or 45.50, got ''"),
    (True, "expected an amount like 60 or 45.50, got true (a yes/no value)"),
    (None, "expected an amount like 60 or 45.50, got nothing"),
    (1.5, "expected an amount like 60 or 45.50, got 1.5"),
    ([1], "expected an amount like 60 or 45.50, got a list [1]"),
    ({"eur": 1}, "expected an amount like 60 or 45.50, got a mapping {'eur': 1}"),
    (10**12, "1000000000000 is more than hourbook takes (amounts below 1,000,000,000,000)"),
    ("-1000000000000", "'-1000000000000' is more than hourbook takes (amounts below 1,000,000,000,000)"),
])
def test_parse_money_says_what_it_cannot_read(value, message):
    assert error_of(parse_money, value) == message


@pytest.mark.parametrize("value, fraction", [
    ("21%", Decimal("0.21")), ("21 %", Decimal("0.21")), (21, Decimal("0.21")), ("7.5", Decimal("0.075")),
    (Decimal("50"), Decimal("0.5")), ("0%", Decimal("0")), ("1000%", Decimal("10")),
])
def test_parse_percent(value, fraction):
    assert parse_percent(value) == fraction


@pytest.mark.parametrize("value, message", [
    ("21 percent", "expected a percentage like 21%, got '21 percent'"),
    ("%", "expected a percentage like 21%, got '%'"),
    (False, "expected a percentage like 21%, got false (a yes/no value)"),
    (None, "expected a percentage like 21%, got nothing"),
    ("-5%", "a percentage cannot be negative: '-5%'"),
    (1001, "1001 is more than hourbook takes (1000% at most)"),
])
def test_parse_percent_says_what_it_cannot_read(value, message):
    assert error_of(parse_percent, value) == message


# ------------------------------------------------------------------ dates and tags


@pytest.mark.parametrize("value, day", [
    (datetime.date(2026, 11, 3), datetime.date(2026, 11, 3)),
    ("2026-11-03", datetime.date(2026, 11, 3)),
    (" 2026-11-03 ", datetime.date(2026, 11, 3)),
])
def test_parse_date(value, day):
    assert parse_date(value) == day


@pytest.mark.parametrize("value, message", [
    ("03.11.2026", "expected a date like 2026-11-03, got '03.11.2026'"),
    ("2026-02-30", "not a valid date: '2026-02-30' (there is no such day)"),
    (20261103, "expected a date like 2026-11-03, got 20261103"),
    (None, "expected a date like 2026-11-03, got nothing"),
])
def test_parse_date_says_what_it_cannot_read(value, message):
    assert error_of(parse_date, value) == message


@pytest.mark.parametrize("value, tag", [
    ("urgent", "urgent"), ("#Urgent", "urgent"), (" OnSite ", "onsite"), ("q-1", "q-1"),
    ("a/b.c_d", "a/b.c_d"), (42, "42"), ("café", "café"),
])
def test_parse_tag(value, tag):
    assert parse_tag(value) == tag


@pytest.mark.parametrize("value, message", [
    ("", "expected a tag of letters, digits, '-', '_', '.', '/', got ''"),
    ("#", "expected a tag of letters, digits, '-', '_', '.', '/', got '#'"),
    ("two words", "expected a tag of letters, digits, '-', '_', '.', '/', got 'two words'"),
    ("tag!", "expected a tag of letters, digits, '-', '_', '.', '/', got 'tag!'"),
    ("##double", "expected a tag of letters, digits, '-', '_', '.', '/', got '##double'"),
    (True, "expected a tag of letters, digits, '-', '_', '.', '/', got True"),
])
def test_parse_tag_says_what_it_cannot_read(value, message):
    assert error_of(parse_tag, value) == message


@pytest.mark.parametrize("value, tags", [
    (["urgent", "#OnSite"], ("urgent", "onsite")),
    ("urgent, onsite", ("urgent", "onsite")),
    ("urgent onsite,,  #q-1 ", ("urgent", "onsite", "q-1")),
    ("", ()),
    ([], ()),
    (["a", "a"], ("a", "a")),                   # as written: the readers drop the repeats
])
def test_parse_tags(value, tags):
    assert parse_tags(value) == tags


def test_parse_tags_says_what_it_cannot_read():
    assert error_of(parse_tags, 7) == "expected a list of tags, got 7"
    assert error_of(parse_tags, ["ok", "not ok"]) == "expected a tag of letters, digits, '-', '_', '.', '/', got 'not ok'"


# ------------------------------------------------------------------ near misses


@pytest.mark.parametrize("word, known, hint", [
    ("rat", ["rate", "rates", "fee"], " (did you mean 'rate'?)"),
    ("ACME", ["acme", "beta"], " (did you mean 'acme'?)"),     # only the case differs
    ("Rate", ["rate"], " (did you mean 'rate'?)"),
    ("rate", ["rates", "fee"], " (did you mean 'rates'?)"),
    ("xyz", ["rate", "fee"], ""),
    ("weekly", ("hourly", "retainer", "prepaid", "free"), ""),
    ("r" * 101, ["r" * 100], ""),                                # too long for a near miss
    ("retainr", ("hourly", "retainer"), " (did you mean 'retainer'?)"),
])
def test_did_you_mean(word, known, hint):
    """Asked for a word that is not among `known` (an unknown field, kind, contact)."""
    assert did_you_mean(word, known) == hint


# ------------------------------------------------------------------ one line, lines, direction


@pytest.mark.parametrize("text", ["Acme GmbH", "Café Ünïcödé", "", "\u202bשלום\u202c", "a\u2066b\u2069c"])
def test_check_line_passes_plain_text(text):
    assert check_line(text) == text


@pytest.mark.parametrize("text, message", [
    ("two\nlines", "'two\\nlines' holds a line break; this field is one line of plain text"),
    ("a\tb", "'a\\tb' holds a tab; this field is one line of plain text"),
    ("bell\x07", "'bell\\x07' holds the control character U+0007; this field is one line of plain text"),
    ("esc\x1b[31m", "'esc\\x1b[31m' holds the control character U+001B; this field is one line of plain text"),
    ("c1\x85", "'c1\\x85' holds the control character U+0085; this field is one line of plain text"),
    ("a\u2028b", "'a\\u2028b' holds a line separator (U+2028); this field is one line of plain text"),
    ("a\u2029b", "'a\\u2029b' holds a paragraph separator (U+2029); this field is one line of plain text"),
    ("a\ufeffb", "'a\\ufeffb' holds a byte-order mark (U+FEFF); this field is one line of plain text"),
    ("\u202eevil", "'\\u202eevil' holds U+202E, a direction change that is never closed (with U+202C): it would "
                   "turn the text after it around; close it or remove it"),
])
def test_check_line_says_what_is_in_the_text(text, message):
    assert error_of(check_line, text) == message


def test_check_lines_allows_tabs_and_line_breaks_only():
    assert check_lines("Main St. 1\n\t10115 Berlin") == "Main St. 1\n\t10115 Berlin"
    assert error_of(check_lines, "a\n\x1b") == "'a\\n\\x1b' holds the control character U+001B; write plain text"
    assert error_of(check_lines, "a\n\u2067b") == ("'a\\n\\u2067b' holds U+2067, a direction change that is never "
                                                    "closed (with U+2069): it would turn the text after it around; "
                                                    "close it or remove it")


@pytest.mark.parametrize("text, message", [
    ("a\u202cb", "'a\\u202cb' holds U+202C, which closes no direction change opened before it; remove it"),
    ("\u2069", "'\\u2069' holds U+2069, which closes no direction change opened before it; remove it"),
    # An isolate closed by the embeddings' closer is not closed: the closers must match, in order.
    ("\u2066a\u202c", "'\\u2066a\\u202c' holds U+202C, which closes no direction change opened before it; remove it"),
    ("\u202ba\u2067b\u202c\u2069", "'\\u202ba\\u2067b\\u202c\\u2069' holds U+202C, which closes no direction "
                                   "change opened before it; remove it"),
    ("\u202b\u202ea\u202c", "'\\u202b\\u202ea\\u202c' holds U+202B, a direction change that is never closed "
                            "(with U+202C): it would turn the text after it around; close it or remove it"),
])
def test_check_bidi_says_what_is_not_closed(text, message):
    assert error_of(check_bidi, text) == message


@pytest.mark.parametrize("text", ["plain", "\u202ba\u202c", "\u2067a\u2069 \u202db\u202c", "\u202ba\u2067b\u2069c\u202c"])
def test_check_bidi_passes_closed_changes(text):
    assert check_bidi(text) == text


# ------------------------------------------------------------------ how values are shown


def test_character_name():
    assert character_name("\t") == "a tab"
    assert character_name("\n") == "a line break"
    assert character_name("\x00") == "the control character U+0000"
    assert character_name("\u202e") == "the direction control U+202E"


def test_shown_cuts_long_values_by_their_ends():
    assert shown("short") == "'short'"
    long = "a" * 100 + "END"
    assert shown(long) == "'" + "a" * 47 + "…aaaaEND' (105 characters)"


@pytest.mark.parametrize("value, words", [
    (True, "true (a yes/no value)"), (datetime.date(2026, 1, 2), "a date (2026-01-02)"), (None, "nothing"),
    ([1, "a"], "a list [1, 'a']"), ({"a": 1}, "a mapping {'a': 1}"), ("x", "'x'"), (Decimal("1.50"), "Decimal('1.50')"),
])
def test_described(value, words):
    assert described(value) == words
