"""Reading the small values of the books format: durations, time ranges, percents, money, tags.

Each reader takes what YAML or a logbook line gave and returns a typed value, or
raises `ValueError` whose text says what was expected and what was found. The
callers turn that into a located diagnostic.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from decimal import Decimal

from hourbook.core.money import D
from hourbook.load.tag_names import canonical_tag

DURATION_HELP = "a duration like 45m, 1h, 1h30m, 1.5h or 0:45"

_HM = re.compile(r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+)m)?$")
_H_MM = re.compile(r"^(?P<h>\d+)h(?P<mm>\d+)$")      # 1h30, 1 h 30: minutes without their 'm'
_CLOCK = re.compile(r"^(?P<h>\d+):(?P<m>[0-5]\d)$")
RANGE = re.compile(r"^(?P<a>\d{1,2}):(?P<am>\d{2})\s*[-\u2013]\s*(?P<b>\d{1,2}):(?P<bm>\d{2})$")
TAG = re.compile(r"^[\w./-]+\Z")
CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")  # \Z: not before a final line break, as $ would
AMOUNT = re.compile(r"^[-+]?\d+(?:\.\d+)?$")

# Bounds on what one value may be. Far beyond any real books, and low enough that no sum of
# lines can outgrow the 28 digits of Decimal's default context (where rounding to cents would
# fail): 10^12 per amount, 100,000 hours per duration, 1000% per percentage.
MAX_AMOUNT = Decimal(10) ** 12
MAX_MINUTES = 100_000 * 60
MAX_PERCENT = Decimal(1000)
SHOWN_CHARS = 60


# Characters no books file holds anywhere: C0 controls but tab and line feed (a carriage return
# is read as a line end before this is asked), DEL, C1 controls, the Unicode line and paragraph
# separators, and a byte-order mark after the start (where it is dropped).
FILE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
# ... nor a one-line field (a name, an id, a title): no tab or line break either.
LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
# Directional formatting: embeddings and overrides (closed by U+202C), isolates (closed by U+2069).
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BIDI_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c",
                 "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
_CHARACTER_NAMES = {"\t": "a tab", "\n": "a line break", "\u2028": "a line separator (U+2028)",
                    "\u2029": "a paragraph separator (U+2029)", "\ufeff": "a byte-order mark (U+FEFF)"}


def character_name(char: str) -> str:
    """How a message names a character that must not be there: `a tab`, `the control character U+001B`."""
    if char in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[char]
    kind = "direction control" if BIDI.match(char) else "control character"
    return f"the {kind} U+{ord(char):04X}"


def check_line(text: str) -> str:
    """`text` when it can stand on one line of a document; else ValueError saying what is in it.

    One line: no line break, tab or other control character, and every right-to-left override
    or isolate closed again (an unclosed one turns the text after it around, in the document
    and in any file or terminal it is copied to). Closed ones are allowed: names in Arabic or
    Hebrew script may need them.
    """
    if text.isprintable():
        return text     # nearly every value: no control, no formatting character
    return check_bidi(_check_controls(text, LINE_CONTROLS, "this field is one line of plain text"))


def check_lines(text: str) -> str:
    """`text` when it can stand as lines of a document (an address, a note): tabs and line breaks
    allowed, other control characters and unclosed overrides not."""
    if text.isprintable():
        return text
    return check_bidi(_check_controls(text, FILE_CONTROLS, "write plain text"))


def _check_controls(text: str, controls: re.Pattern, advice: str) -> str:
    control = controls.search(text)
    if control:
        raise ValueError(f"{shown(text)} holds {character_name(control.group())}; {advice}")
    return text


def check_bidi(text: str) -> str:
    """`text` when its directional formatting characters are closed, in order; else ValueError."""
    if BIDI.search(text) is None:
        return text
    expected: list[str] = []
    for char in BIDI.findall(text):
        closer = _BIDI_OPENERS.get(char)
        if closer is not None:
            expected.append(char)
        elif not expected or _BIDI_OPENERS[expected[-1]] != char:
            raise ValueError(f"{shown(text)} holds U+{ord(char):04X}, which closes no direction change "
                             "opened before it; remove it")
        else:
            expected.pop()
    if expected:
        raise ValueError(f"{shown(text)} holds U+{ord(expected[-1]):04X}, a direction change that is never "
                         f"closed (with U+{ord(_BIDI_OPENERS[expected[-1]]):04X}): it would turn the text after "
                         "it around; close it or remove it")
    return text


def described(value: object) -> str:
    """What a value is, for a message: `a date (2026-01-01)`, `a list`, `true (a yes/no value)`, `'sixty'`."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, list):
        return f"a list {shown(list(value))}"
    if isinstance(value, dict):
        return f"a mapping {shown(dict(value))}"
    if value is None:
        return "nothing"
    return shown(value)


def shown(value: object) -> str:
    """`repr(value)`, cut short for messages: a 10 MB value is quoted by its ends."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS - 12]}…{text[-8:]} ({len(text)} characters)"


def parse_duration(value: object, *, hours_if_number: bool = False) -> int:
    """Minutes from `45m`, `1h`, `1h30m`, `1.5h`, `0:45`, and `1h30`, `1 h 30`, `1h 30m` (spaces anywhere).

    Args:
        value: text, or a number when `hours_if_number` (so `hours: 20` is 20 hours).
        hours_if_number: read a bare number as hours.

    Returns:
        Whole minutes, zero or more.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}, got {described(value)}")
    if isinstance(value, (int, Decimal)) and hours_if_number:
        minutes = D(value) * 60
    elif isinstance(value, str):
        text = value.strip().lower()
        # Spaces may stand between a number and its unit (`1 h 30`), never inside a number (`1 5m`).
        text = "" if re.search(r"[\d.]\s+[\d.]", text) else text.replace(" ", "")
        match = _HM.match(text)
        clock = _CLOCK.match(text)
        if match and (match["h"] or match["m"]):
            minutes = D(match["h"] or 0) * 60 + int(match["m"] or 0)
        elif _H_MM.match(text):
            minutes = _hours_and_minutes(value, _H_MM.match(text))
        elif clock:
            minutes = D(int(clock["h"]) * 60 + int(clock["m"]))
        else:
            raise ValueError(f"expected {DURATION_HELP}, got {shown(value)}")
    else:
        raise ValueError(f"expected {DURATION_HELP}, got {described(value)}")
    if minutes < 0:
        raise ValueError(f"a duration cannot be negative: {shown(value)}")
    if minutes > MAX_MINUTES:
        raise ValueError(f"{shown(value)} is more than hourbook takes ({MAX_MINUTES // 60} hours)")
    if minutes != minutes.to_integral_value():
        raise ValueError(f"{shown(value)} is not a whole number of minutes")
    return int(minutes)


def _hours_and_minutes(value: str, match: re.Match) -> Decimal:
    """Minutes of `1h30` (minutes without their 'm'): two digits from 00 to 59, else ValueError.

    `1h5` could be 1h05m or 1h50m and `1h90` 2h30m or a slip: neither is guessed.
    """
    hours, digits = D(match["h"]), match["mm"]     # D: any number of digits (the caller bounds it)
    if len(digits) == 1:
        raise ValueError(f"cannot tell the minutes of {shown(value)}: write {hours}h0{digits} for "
                         f"{digits} minutes, or {hours}h{digits}0 for {digits}0")
    if len(digits) > 2 or int(digits) > 59:
        raise ValueError(f"minutes after the hours are 00 to 59, got {shown(value)}: write "
                         f"{hours}h{digits}m if you mean {int(digits)} minutes")
    return hours * 60 + int(digits)


def parse_range(text: str) -> tuple[int, int]:
    """(start, end) minutes of the day from `09:10-10:25`; an end before the start crosses midnight.

    The end may be 24:00. Returns an end above 1440 for ranges that cross midnight.
    """
    match = RANGE.match(text.strip())
    if not match:
        raise ValueError(f"expected a time range like 09:10-10:25, got {shown(text)}")
    start_h, start_m, end_h, end_m = (int(match[k]) for k in ("a", "am", "b", "bm"))
    if start_h > 23 or start_m > 59:
        raise ValueError(f"{match['a']}:{match['am']} is not a time of day")
    if end_h > 24 or end_m > 59 or (end_h == 24 and end_m):
        raise ValueError(f"{match['b']}:{match['bm']} is not a time of day")
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start == end:
        raise ValueError(f"the range {text.strip()!r} ends when it starts")
    if end < start:
        end += 1440
    return start, end


def format_clock(minute: int) -> str:
    """`09:05` for a minute of the day; minutes past midnight (1440 and over) wrap round."""
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_money(value: object) -> Decimal:
    """An amount: a number, or text of digits with a decimal point."""
    if isinstance(value, bool) or value is None or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"expected an amount like 60 or 45.50, got {described(value)}")
    if isinstance(value, (int, Decimal)):
        amount = D(value)
    else:
        text = value.strip()
        if not AMOUNT.match(text):
            hint = " (write decimals with a point: 45.50)" if re.match(r"^\d+,\d+$", text) else ""
            raise ValueError(f"expected an amount like 60 or 45.50, got {shown(value)}{hint}")
        amount = D(text)
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"{shown(value)} is more than hourbook takes (amounts below {MAX_AMOUNT:,})")
    return amount


def parse_percent(value: object) -> Decimal:
    """A fraction from `21%` or a bare number of percent (`21`)."""
    if isinstance(value, bool) or value is None or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"expected a percentage like 21%, got {described(value)}")
    text = str(value).strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    if not AMOUNT.match(text):
        raise ValueError(f"expected a percentage like 21%, got {shown(value)}")
    percent = D(text)
    if percent < 0:
        raise ValueError(f"a percentage cannot be negative: {shown(value)}")
    if percent > MAX_PERCENT:
        raise ValueError(f"{shown(value)} is more than hourbook takes ({MAX_PERCENT}% at most)")
    return percent / 100


_DAY_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")     # a date's shape, whether or not the day exists


def parse_date(value: object) -> datetime.date:
    """A date from a YAML date or ISO text (`2026-11-03`)."""
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            if _DAY_SHAPE.fullmatch(value.strip()):
                raise ValueError(f"not a valid date: {described(value)} (there is no such day)") from None
    raise ValueError(f"expected a date like 2026-11-03, got {described(value)}")


def parse_tag(value: object) -> str:
    """A tag, lowercased and without its `#`: letters, digits, `-`, `_`, `.` and `/`; a built-in
    tag's name in another language is the built-in tag (`garantía` is `warranty`, `load.tag_names`)."""
    return canonical_tag(plain_tag(value))


def plain_tag(value: object) -> str:
    """A tag as written, lowercased and without its `#` (no built-in name is translated)."""
    text = str(value).strip()
    if text.startswith("#"):
        text = text[1:]
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)   # an accent typed as a combining mark is a letter too
    if not text or not TAG.match(text) or isinstance(value, bool):
        raise ValueError(f"expected a tag of letters, digits, '-', '_', '.', '/', got {shown(value)}")
    return text.lower()


def parse_tags(value: object) -> tuple[str, ...]:
    """A list of tags, or one string of tags separated by spaces or commas."""
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = [item for item in re.split(r"[\s,]+", value) if item]
    else:
        raise ValueError(f"expected a list of tags, got {shown(value)}")
    return tuple(parse_tag(item) for item in items)


def did_you_mean(word: str, known) -> str:
    """` (did you mean 'rate'?)` for a near miss, else ''."""
    if len(word) > 100:
        return ""  # no near miss is that long, and difflib's cost grows with it
    by_lower = {str(name).lower(): name for name in known}
    lower = word.lower()
    if lower in by_lower and by_lower[lower] != word:
        return f" (did you mean {by_lower[lower]!r}?)"      # only the case differs: ACME for acme
    matches = difflib.get_close_matches(lower, list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[matches[0]]!r}?)" if matches else ""
