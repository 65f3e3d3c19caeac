"""Reading a YAML mapping by a schema: each field's reader, and the errors at each field's line.

A schema maps field names to `Field(reader, required)`. A reader takes what YAML gave for one
field and returns the value as hourbook uses it, or raises `ValueError` saying what was
expected and what was found; `read_fields` turns that into an error at the field's line and
goes on with the other fields. The readers here are named `<what>_field`; the small values
they are built on (durations, money, dates, tags) are read by `scalars`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from babel import Locale
from babel import UnknownLocaleError
from babel.numbers import list_currencies

from hourbook.core.periods import KINDS as PERIOD_KINDS
from hourbook.core.records import LocalText
from hourbook.core.records import Source
from hourbook.load.problems import Problems
from hourbook.load.scalars import CLIENT_ID
from hourbook.load.scalars import check_line
from hourbook.load.scalars import check_lines
from hourbook.load.scalars import did_you_mean
from hourbook.load.scalars import parse_duration
from hourbook.load.scalars import parse_money
from hourbook.load.scalars import parse_tag
from hourbook.load.scalars import shown
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

Reader = Callable[[object], object]


@dataclass(frozen=True)
class Field:
    """One field of a schema: how its value is read, and whether the mapping must have it."""

    read: Reader
    required: bool = False


def read_fields(mapping, schema: dict[str, Field], path: str, line: int, what: str,
                diags: Problems) -> dict | None:
    """Check a mapping against a schema; return the values read (bad ones left out).

    Args:
        mapping: what YAML gave (a YMap, or anything else, which is an error).
        schema: field name -> Field.
        path, line: where the mapping is, for errors about it as a whole.
        what: how the user calls this thing ("contract", "term").
        diags: where the errors go; a value that could not be read counts in `diags.dropped`.

    Returns:
        The values read, by field name; None when `mapping` is not a mapping.
    """
    if not isinstance(mapping, YMap):
        diags.error(path, getattr(mapping, "line", line), f"{what} must be a mapping of fields, got {yaml_kind(mapping)}")
        return None
    values = {}
    for key, raw in mapping.items():
        key_line = mapping.line_of(key)
        field = schema.get(key)
        if field is None:
            diags.error(path, key_line, f"unknown {what} field {shown(key)}{did_you_mean(key, schema)}")
            continue
        if raw is None:
            if field.required:
                diags.error(path, key_line, f"{what} field {key!r} is empty")
            continue
        try:
            values[key] = field.read(raw)
        except ValueError as exc:
            diags.error(path, key_line, f"{what} field {key!r}: {exc}")
            diags.dropped += 1
        except TypeError as exc:
            diags.error(path, key_line, f"{what} field {key!r}: {exc}")
            diags.dropped += 1
    for key, field in schema.items():
        if field.required and key not in mapping:
            diags.error(path, mapping.line, f"{what} needs a {key!r} field")
    return values


def report_case_twins(data, rel: str, diags: Problems) -> None:
    """An error for each key of a mapping that differs from an earlier key only in case.

    Tags, handles and ids are read without case, so `urgent:` and `Urgent:` in one surcharge
    map would both apply, and `OnSite`/`onsite` rates would race: one must go. Counted as a
    value that could not be read, so a contract with one is left out whole.
    """
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, YMap):
            first: dict[str, str] = {}
            for key in node:
                folded = key.lower()
                if folded in first:
                    diags.error(rel, node.line_of(key), f"key {shown(key)} differs from {shown(first[folded])} "
                                f"(line {node.line_of(first[folded])}) only in case, and hourbook reads them as "
                                "one: keep one of them")
                    diags.dropped += 1
                else:
                    first[folded] = key
            stack.extend(node.values())
        elif isinstance(node, YList):
            stack.extend(node)


def yaml_kind(value) -> str:
    """What YAML gave, for a message: `a list`, `a mapping`, `nothing`, `str 'sixty'`."""
    if isinstance(value, YList):
        return "a list"
    if isinstance(value, YMap):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {shown(value)}"


# ------------------------------------------------------------------ the readers


def raw_field(value):
    """The value as YAML gave it (a mapping or list read on by its own schema, or by its caller)."""
    return value


def text_field(value) -> str:
    """One line of text (a name, an id, a title): no line break, tab or control character."""
    if isinstance(value, (YMap, YList)) or value is None:
        raise ValueError(f"expected text, got {yaml_kind(value)}")
    if isinstance(value, bool):
        raise ValueError(f"expected text, got {value!r} (quote it)")
    return check_line(str(value))


def lines_field(value) -> str:
    """Text of one or more lines (an address, a note, details): line breaks and tabs allowed."""
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")    # written as escapes: "\r\n"
    if isinstance(value, (YMap, YList)) or value is None or isinstance(value, bool):
        return text_field(value)      # says what it is instead
    return check_lines(str(value))


def folded_text_field(value) -> str:
    """Text read as one line: its line breaks and runs of spaces become one space each.

    A YAML entry's `note` is the description, one line as in a Markdown logbook; more lines
    go under `details`.
    """
    return " ".join(lines_field(value).split())


def flag_field(value) -> bool:
    """`true` or `false`, and nothing else (no `yes`, no 1)."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def currency_field(value) -> str:
    """An ISO 4217 currency code, in capitals: `eur` reads as EUR."""
    code = text_field(value).strip().upper()
    if not re.match(r"^[A-Z]{3}\Z", code):
        raise ValueError(f"expected an ISO 4217 currency code like EUR, got {shown(value)}")
    if code not in iso_currencies():
        raise ValueError(f"{code} is not an ISO 4217 currency code; use one like EUR, USD, GBP or JPY")
    return code


@functools.cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes, current and past, as Babel (CLDR) knows them."""
    return frozenset(list_currencies())


def locale_field(value) -> str:
    """A locale Babel knows, as people write it: `en`, `en_GB`, `en-GB`, `de_AT`, `es_MX`; read as
    Babel spells it (`en-gb` -> `en_GB`), so the pages, the invoices and the messages agree on it."""
    name = text_field(value).strip().replace("-", "_")
    try:
        return str(Locale.parse(name))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown locale {value!r}; use a code like en, es, de, ru, bg") from None


def local_text_field(value, books_locale: str, path: str, line: int, what: str, diags: Problems) -> LocalText:
    """Free text that may be given by language: a plain string (in the books' locale), or a map
    `{es: …, en: …}` of locale -> text. A key that is not a locale, or a text that cannot be read,
    is an error at its line; the other languages are still read."""
    if not isinstance(value, YMap):
        try:
            return LocalText(((books_locale, lines_field(value).strip()),), Source(path, line), plain=True)
        except ValueError as exc:
            diags.error(path, line, f"{what}: {exc} (or a map by language, like {{es: …, en: …}})")
            diags.dropped += 1
            return LocalText(source=Source(path, line))
    texts = []
    for key, text in value.items():
        key_line = value.line_of(key)
        try:
            texts.append((locale_field(key), lines_field(text).strip()))
        except ValueError as exc:
            diags.error(path, key_line, f"{what} in {shown(key)}: {exc}")
            diags.dropped += 1
    return LocalText(tuple(texts), Source(path, line))


def period_field(value) -> str:
    """The kind of billing period: one of `core.periods.KINDS`."""
    name = text_field(value).strip()
    if name not in PERIOD_KINDS:
        raise ValueError(f"expected one of {', '.join(PERIOD_KINDS)}, got {value!r}")
    return name


def hours_field(value) -> int:
    """Minutes from a duration, where a bare number is hours (`hours: 20`)."""
    return parse_duration(value, hours_if_number=True)


def amount_field(value):
    """An amount of money, zero or more (a rate, a fee, a price, a cost)."""
    amount = parse_money(value)
    if amount < 0:
        raise ValueError(f"cannot be negative: {value!r}")
    return amount


def count_field(value) -> int:
    """A whole number above 0 (a number of incidents)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a whole number above 0, got {value!r}")
    return value


def tag_map_field(read_value: Reader) -> Reader:
    """A reader of `{tag: value}` mappings, each value read by `read_value`: ((tag, value), ...)."""
    def read(value):
        if not isinstance(value, YMap):
            raise ValueError(f"expected a mapping of tag: value, got {yaml_kind(value)}")
        result = []
        for key, item in value.items():
            try:
                result.append((parse_tag(key), read_value(item)))
            except ValueError as exc:
                raise ValueError(f"{key!r}: {exc}") from None
        return tuple(result)
    return read


def duration_by_tag_field(value):
    """A duration for every entry (`15m`: minutes), or durations by tag (`{phone: 15m}`: ((tag, minutes), ...))."""
    if isinstance(value, YMap):
        return tag_map_field(parse_duration)(value)
    return parse_duration(value)


def client_id_field(value) -> str:
    """A client id, as a contract's file name spells it (`acme`, `acme-labs`)."""
    name = text_field(value).strip()
    if not CLIENT_ID.match(name):
        raise ValueError(f"expected a client id (a contract's file name), got {value!r}")
    return name


def handle_field(value) -> str:
    """A person's handle (a worker, a requester): one word, lowercased, an `@` before it dropped."""
    name = text_field(value).strip().lstrip("@").lower()
    if not name.isascii():
        name = unicodedata.normalize("NFC", name)       # an accent typed apart is the same letter
    if not re.match(r"^[\w.-]+\Z", name):
        raise ValueError(f"expected one word, got {shown(value)}")
    return name
