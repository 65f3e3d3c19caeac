"""Books folder -> records: hourbook.yaml, contracts/*.yaml, logbook/**/*.md|yaml.

Reads files and turns them into the immutable records of `core.records`, each
with its file and line. Never raises for bad input: every problem becomes a
located `Diagnostic` and loading goes on. It does not check what needs the whole
books (unknown clients, overlaps, terms): that is `validation` and `pricing`.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import string
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from babel import Locale
from babel import UnknownLocaleError
from babel.numbers import list_currencies

from hourbook.core.memory import no_cyclic_gc
from hourbook.core.money import minor_digits
from hourbook.core.periods import KINDS as PERIOD_KINDS
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import Party
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Quote
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import TeamMember
from hourbook.core.records import VatExemption
from hourbook.core.records import Term
from hourbook.load.listing import BooksFiles
from hourbook.load.listing import Problems
from hourbook.load.listing import list_books
from hourbook.load.listing import list_folder
from hourbook.load.listing import relative
from hourbook.load.scalars import BIDI
from hourbook.load.scalars import CLIENT_ID
from hourbook.load.scalars import FILE_CONTROLS
from hourbook.load.scalars import LINE_CONTROLS
from hourbook.load.scalars import RANGE
from hourbook.load.scalars import character_name
from hourbook.load.scalars import check_bidi
from hourbook.load.scalars import check_line
from hourbook.load.scalars import check_lines
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
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap
from hourbook.load.yaml_reader import parse_yaml

# What hourbook reads at most (docs/limits.md): beyond these it reports an error rather than
# run for hours or out of memory. YAML costs some 60 bytes of memory per byte of file.
MAX_FILE_BYTES = 64 * 1024 * 1024           # one Markdown file
MAX_YAML_BYTES = 16 * 1024 * 1024           # one YAML file
MAX_LOGBOOK_BYTES = 512 * 1024 * 1024       # all the logbooks together
MAX_ENTRIES = 2_000_000                     # entries in all the logbooks
MAX_CLIENT_ID = 100                         # characters: site/public/<id>-<32 hex digits>/ and the names
                                            # staged beside it stay well under 255 bytes
MAX_SHOWN_LINES = 20                        # lines with control characters reported one by one, per file
TERM_KINDS = ("hourly", "retainer", "prepaid", "free")
APPROVED = "approved"


class Diagnostics(Problems):
    """The diagnostics of one load, added with their place (`error(path, line, message)`).

    `dropped` counts the fields whose value could not be read and was left out: a record read
    without one of its own rules must not be used as if that rule were not there.
    """

    dropped = 0


# ------------------------------------------------------------------ files


def read_text(root: Path, path: Path, diags: Diagnostics) -> str | None:
    """A file's text as UTF-8 (a BOM is allowed); None, with an error, if it can't be read."""
    rel = relative(root, path)
    yaml_file = path.suffix.lower() in (".yaml", ".yml")
    limit = MAX_YAML_BYTES if yaml_file else MAX_FILE_BYTES
    try:
        size = path.stat().st_size
        if size <= limit:
            data = path.read_bytes()
            size = len(data)  # the file may have grown, or be one whose size stat does not tell
        if size > limit:
            kind = "YAML files" if yaml_file else "files"
            diags.error(rel, 1, f"file is {size} bytes; hourbook reads {kind} up to {limit} bytes"
                        + (" (split it, e.g. one file per year)" if yaml_file and rel.startswith("logbook/") else ""))
            return None
    except OSError as exc:
        diags.error(rel, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diags.error(rel, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "save the file as UTF-8")
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        diags.error(rel, line, "file contains a NUL byte; is it a text file?")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if data.translate(None, _PLAIN_BYTES) and not report_controls(text, rel, diags):
        return None
    return text


# Bytes that are neither a control character nor the start of one in UTF-8 (C1 controls begin
# with 0xC2; U+2028, U+2029 with 0xE2; U+FEFF with 0xEF): a file of only these needs no closer look,
# and deleting them is a hundred times faster than searching the text.
_PLAIN_BYTES = bytes([*range(0x20, 0x7F), *b"\t\n\r", *(b for b in range(0x80, 0x100) if b not in b"\xc2\xe2\xef")])


def report_controls(text: str, rel: str, diags: Diagnostics) -> bool:
    """Report each line with a character no books file may hold; True when there is none.

    A control character would reach a document, a journal or a terminal (where an escape
    sequence acts); a byte-order mark inside a file is a sign of files joined together.
    """
    found = FILE_CONTROLS.search(text)
    line, counted_to, reported = 1, 0, 0
    while found is not None:
        line += text.count("\n", counted_to, found.start())
        counted_to = found.start()
        if reported == MAX_SHOWN_LINES:
            diags.error(rel, line, "this line and more after it hold control characters; is it a text file?")
            break
        char = found.group()
        if char == "\ufeff":
            diags.error(rel, line, "line holds a byte-order mark (U+FEFF) inside the file: was it joined "
                        "from two files? remove it")
        else:
            diags.error(rel, line, f"line holds {character_name(char)}: remove it (documents, journals "
                        "and terminals act on control characters)")
        reported += 1
        next_line = text.find("\n", found.start())
        found = None if next_line < 0 else FILE_CONTROLS.search(text, next_line)
    return reported == 0


def load_yaml_file(root: Path, path: Path, diags: Diagnostics):
    text = read_text(root, path, diags)
    if text is None:
        return None
    try:
        return parse_yaml(text)
    except YamlError as exc:
        diags.error(relative(root, path), exc.line, exc.message)
        return None


def logbook_files(root: Path) -> list[Path]:
    """Every logbook file under logbook/, in path order (see `hourbook.load.listing`)."""
    return list_folder(root, "logbook")[0]


def contract_files(root: Path) -> list[Path]:
    """Every contract file in contracts/, in path order (see `hourbook.load.listing`)."""
    return list_folder(root, "contracts")[0]


# ------------------------------------------------------------------ fields

Reader = Callable[[object], object]


@dataclass(frozen=True)
class Field:
    read: Reader
    required: bool = False


def read_fields(mapping, schema: dict[str, Field], path: str, line: int, what: str,
                diags: Diagnostics) -> dict | None:
    """Check a mapping against a schema; return the values read (bad ones left out).

    Args:
        mapping: what YAML gave (a YMap, or anything else, which is an error).
        schema: field name -> Field.
        path, line: where the mapping is, for errors about it as a whole.
        what: how the user calls this thing ("contract", "term").

    Returns:
        The values read, by field name; None when `mapping` is not a mapping.
    """
    if not isinstance(mapping, YMap):
        diags.error(path, getattr(mapping, "line", line), f"{what} must be a mapping of fields, got {_kind(mapping)}")
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


def report_case_twins(data, rel: str, diags: Diagnostics) -> None:
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


def _kind(value) -> str:
    if isinstance(value, YList):
        return "a list"
    if isinstance(value, YMap):
        return "a mapping"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {shown(value)}"


def text(value) -> str:
    """One line of text (a name, an id, a title): no line break, tab or control character."""
    if isinstance(value, (YMap, YList)) or value is None:
        raise ValueError(f"expected text, got {_kind(value)}")
    if isinstance(value, bool):
        raise ValueError(f"expected text, got {value!r} (quote it)")
    return check_line(str(value))


def lines_text(value) -> str:
    """Text of one or more lines (an address, a note, details): line breaks and tabs allowed."""
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")    # written as escapes: "\r\n"
    if isinstance(value, (YMap, YList)) or value is None or isinstance(value, bool):
        return text(value)      # says what it is instead
    return check_lines(str(value))


def folded_text(value) -> str:
    """Text read as one line: its line breaks and runs of spaces become one space each.

    A YAML entry's `note` is the description, one line as in a Markdown logbook; more lines
    go under `details`.
    """
    return " ".join(lines_text(value).split())


def boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def currency(value) -> str:
    code = text(value).strip().upper()
    if not re.match(r"^[A-Z]{3}\Z", code):
        raise ValueError(f"expected an ISO 4217 currency code like EUR, got {shown(value)}")
    if code not in iso_currencies():
        raise ValueError(f"{code} is not an ISO 4217 currency code; use one like EUR, USD, GBP or JPY")
    return code


@functools.cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes, current and past, as Babel (CLDR) knows them."""
    return frozenset(list_currencies())


def check_minor_units(values: dict, item: YMap, key: str, code: str | None, rel: str, what: str,
                      diags: Diagnostics) -> bool:
    """An amount invoiced as written (a fee, a price) must fit the currency's minor unit; False if not.

    Rates may have more decimals: a price per hour is not an amount an invoice shows as such
    (EN 16931 allows unit prices of any precision), and each line's amount is rounded.
    `code` None: the contract's currency could not be read (that is reported), nothing to check.
    """
    amount = values.get(key)
    if amount is None or code is None:
        return True
    digits = minor_digits(code)
    if amount == amount.quantize(Decimal(1).scaleb(-digits)):
        return True
    diags.error(rel, item.line_of(key), f"{what} field {key!r}: {amount} has more decimals than {code} has "
                f"({digits}); an invoice cannot show it: round it")
    diags.dropped += 1
    return False


def locale(value) -> str:
    name = text(value).strip().replace("-", "_")
    try:
        Locale.parse(name)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown locale {value!r}; use a code like en, es, de, ru, bg") from None
    return name


def period_kind(value) -> str:
    name = text(value).strip()
    if name not in PERIOD_KINDS:
        raise ValueError(f"expected one of {', '.join(PERIOD_KINDS)}, got {value!r}")
    return name


def hours(value) -> int:
    return parse_duration(value, hours_if_number=True)


def duration(value) -> int:
    return parse_duration(value, hours_if_number=False)


def non_negative_money(value):
    amount = parse_money(value)
    if amount < 0:
        raise ValueError(f"cannot be negative: {value!r}")
    return amount


def positive_int(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"expected a whole number above 0, got {value!r}")
    return value


def tag_map(read_value: Reader) -> Reader:
    def read(value):
        if not isinstance(value, YMap):
            raise ValueError(f"expected a mapping of tag: value, got {_kind(value)}")
        result = []
        for key, item in value.items():
            try:
                result.append((parse_tag(key), read_value(item)))
            except ValueError as exc:
                raise ValueError(f"{key!r}: {exc}") from None
        return tuple(result)
    return read


# ------------------------------------------------------------------ hourbook.yaml

PARTY_FIELDS = {
    "name": Field(text, required=True),
    "address": Field(lines_text),
    "tax_id": Field(text),
    "email": Field(text),
    "iban": Field(text),
}


def load_settings(root: Path, path: Path | None, diags: Diagnostics) -> Settings:
    """hourbook.yaml -> Settings; `path` None when the listing found no file to read there."""
    rel = "hourbook.yaml"
    fallback = Settings(seller=Party(name="(no seller)"))
    if path is None:
        if not os.path.lexists(root / rel):    # else the listing said what it is instead
            diags.error(rel, 1, "hourbook.yaml is missing: every books folder needs one with at least "
                        "seller: {name: ...}")
        return fallback
    before = len(diags)
    data = load_yaml_file(root, path, diags)
    if data is None:
        if len(diags) == before:
            diags.error(rel, 1, "hourbook.yaml is empty: it needs at least seller: {name: ...}")
        return fallback
    report_case_twins(data, rel, diags)
    schema = {
        "seller": Field(lambda v: v, required=True),
        "currency": Field(currency),
        "locale": Field(locale),
        "period": Field(period_kind),
        "cost": Field(non_negative_money),
        "team": Field(lambda v: v),
        "site": Field(lambda v: v),
        "invoice": Field(lambda v: v),
    }
    values = read_fields(data, schema, rel, 1, "hourbook.yaml", diags)
    if values is None:
        return fallback
    seller = fallback.seller
    if "seller" in values:
        fields = read_fields(values["seller"], PARTY_FIELDS, rel, data.line_of("seller"), "seller", diags)
        if fields and "name" in fields:
            seller = Party(**fields)
    team = []
    if "team" in values:
        team_map = values["team"]
        if not isinstance(team_map, YMap):
            diags.error(rel, data.line_of("team"), "team must be a mapping of id: {name, cost}")
        else:
            for member_id, member in team_map.items():
                try:
                    worker = handle(member_id)     # as `worker:` is read: one word, any case
                except ValueError as exc:
                    diags.error(rel, team_map.line_of(member_id), f"team member id: {exc} (letters, digits, "
                                "'.', '-', '_'), as written after worker:")
                    continue
                fields = read_fields(member, {"name": Field(text), "cost": Field(non_negative_money)},
                                     rel, team_map.line_of(member_id), f"team member {member_id!r}", diags)
                if fields is not None:
                    team.append(TeamMember(worker, fields.get("name", worker), fields.get("cost")))
    base_url = ""
    if "site" in values:
        fields = read_fields(values["site"], {"base_url": Field(text)}, rel, data.line_of("site"), "site", diags)
        base_url = (fields or {}).get("base_url", "").rstrip("/")
    invoice = {}
    if "invoice" in values:
        invoice = read_fields(values["invoice"], INVOICE_FIELDS, rel, data.line_of("invoice"), "invoice", diags) or {}
        if invoice.get("number", "{year}-{seq:04d}") == invoice.get("credit_number", "R{year}-{seq:04d}"):
            diags.error(rel, values["invoice"].line_of("credit_number"),
                        "invoice field 'credit_number' must differ from 'number': corrective invoices "
                        "are numbered in a series of their own")
        if "exemptions" in invoice:
            invoice["exemptions"] = read_exemptions(invoice["exemptions"], rel, values["invoice"], diags)
    return Settings(
        seller=seller,
        currency=values.get("currency", "EUR"),
        locale=values.get("locale", "en"),
        period=values.get("period", "month"),
        cost=values.get("cost"),
        team=tuple(team),
        base_url=base_url,
        number_format=invoice.get("number", "{year}-{seq:04d}"),
        credit_number_format=invoice.get("credit_number", "R{year}-{seq:04d}"),
        invoice_note=invoice.get("note", ""),
        due_days=invoice.get("due_days", 30),
        vat_exemptions=invoice.get("exemptions", ()),
    )


_NUMBER_SPEC = re.compile(r"^(?:0?[1-9][0-9]?)?d?$")  # '', 'd', '4', '04d': a width below 100


def number_pattern(value) -> str:
    """An invoice number pattern: text with {year} and {seq}, which may have a width ({seq:04d}).

    Only those two fields, with no attribute, index or conversion: the pattern comes from
    the books and is formatted by `str.format`, which would otherwise reach into objects
    (`{seq.real}`) or build strings of any size (`{seq:0999999999d}`).
    """
    pattern = text(value)
    example = "like '{year}-{seq:04d}'"
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)
                  if name is not None]
    except ValueError as exc:
        raise ValueError(f"expected a pattern with {{year}} and {{seq}}, {example}: {exc}") from None
    for name, spec, conversion in fields:
        if name not in ("year", "seq") or conversion or not _NUMBER_SPEC.match(spec or ""):
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(f"{shown} cannot be used: an invoice number takes {{year}} and {{seq}} (a width below 100), "
                             f"{example}")
    if not any(name == "seq" for name, _, _ in fields):
        raise ValueError("an invoice number pattern needs {seq}")
    return pattern


def payment_days(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
        raise ValueError(f"expected a number of days from 0 to 3650, got {value!r}")
    return value


INVOICE_FIELDS = {
    "number": Field(number_pattern),
    "credit_number": Field(number_pattern),
    "note": Field(lines_text),
    "due_days": Field(payment_days),
    "exemptions": Field(lambda v: v),
}
# EN 16931 VAT categories for invoices without VAT; every one but Z needs a note (BT-120).
VAT_EXEMPTION_CATEGORIES = {
    "E": "exempt", "AE": "reverse charge", "K": "intra-community supply",
    "G": "export outside the EU", "O": "not subject to VAT", "Z": "zero rated",
}


def read_exemptions(value, rel: str, invoice: YMap, diags: Diagnostics) -> tuple[VatExemption, ...]:
    """invoice: {exemptions: {client: {category: AE, note: "..."}}} -> VatExemption records."""
    line = invoice.line_of("exemptions")
    if not isinstance(value, YMap):
        diags.error(rel, line, f"invoice field 'exemptions' must be a mapping of client: {{category, note}}, "
                    f"got {_kind(value)}")
        return ()
    codes = ", ".join(f"{code} ({name})" for code, name in VAT_EXEMPTION_CATEGORIES.items())
    result = []
    for client, item in value.items():
        item_line = value.line_of(client)
        fields = read_fields(item, {"category": Field(text, required=True), "note": Field(lines_text)},
                             rel, item_line, f"exemption for {client!r}", diags)
        if not fields or "category" not in fields:
            continue
        category = fields["category"].strip().upper()
        if category not in VAT_EXEMPTION_CATEGORIES:
            diags.error(rel, item.line_of("category"), f"unknown VAT category {fields['category']!r}; use one of {codes}")
            continue
        note = fields.get("note", "").strip()
        if not note and category != "Z":
            diags.error(rel, item_line, f"exemption for {client!r} needs a note: the invoice must say why no VAT "
                        "is charged (e.g. 'Reverse charge: art. 196 Directive 2006/112/EC')")
            continue
        result.append(VatExemption(str(client), category, note, Source(rel, item_line)))
    return tuple(result)


# ------------------------------------------------------------------ contracts

TERM_FIELDS = {
    "from": Field(parse_date, required=True),
    "until": Field(parse_date),
    "kind": Field(text, required=True),
    "label": Field(text),
    "rate": Field(non_negative_money),
    "rates": Field(tag_map(non_negative_money)),
    "increment": Field(duration),
    "free_under": Field(duration),
    "minimum": Field(duration),
    "surcharge": Field(tag_map(parse_percent)),
    "no_charge": Field(parse_tags),
    "fee": Field(non_negative_money),
    "covers": Field(parse_tags),
    "included": Field(duration),
}
RETAINER_ONLY = ("fee", "covers", "included")

BLOCK_FIELDS = {
    "id": Field(text, required=True),
    "bought": Field(parse_date, required=True),
    "hours": Field(hours),
    "incidents": Field(positive_int),
    "bonus": Field(hours),
    "price": Field(non_negative_money),
    "expires": Field(parse_date),
}

QUOTE_FIELDS = {
    "id": Field(parse_tag, required=True),
    "title": Field(text),
    "price": Field(non_negative_money),
    "estimate": Field(hours),
    "approved": Field(lambda v: v),
    "invoice": Field(parse_date),
}


def contract_schema(unused_settings: Settings) -> dict[str, Field]:
    return {
        "name": Field(text, required=True),
        "address": Field(lines_text),
        "tax_id": Field(text),
        "email": Field(text),
        "currency": Field(currency),
        "locale": Field(locale),
        "period": Field(period_kind),
        "tax": Field(parse_percent),
        "prices_include_tax": Field(boolean),
        "share": Field(boolean),
        "contacts": Field(lambda v: v),
        "terms": Field(lambda v: v, required=True),
        "prepaid": Field(lambda v: v),
        "quotes": Field(lambda v: v),
    }


def load_contracts(root: Path, settings: Settings, diags: Diagnostics,
                   cache=None, listed: BooksFiles | None = None) -> tuple[list[Contract], set[str]]:
    """Every contract that reads without errors, and the ids of those that don't.

    A contract with errors is left out whole and its id returned as broken, so its
    entries are not reported again as unknown clients or entries without terms.
    `cache(root, path, rel, load, settings)` may answer for an unchanged file (see incremental).
    `listed`: the books' files, when the caller has listed them already.
    """
    contracts: list[Contract] = []
    broken: set[str] = set()
    seen: dict[str, str] = {}
    for path in (listed.contracts if listed is not None else contract_files(root)):
        rel = relative(root, path)
        client_id = path.stem
        if path.suffix not in (".yaml", ".yml"):
            diags.error(rel, 1, f"contract files end in '.yaml', in lowercase: rename {shown(path.name)} "
                        f"to {shown(client_id + '.yaml')}")
            broken.add(client_id.lower())       # its entries are not also unknown clients
            continue
        if not CLIENT_ID.match(client_id):
            diags.error(rel, 1, f"client id {shown(client_id)} (the file name) must be lowercase letters, "
                        "digits and '-', starting with a letter or digit")
            continue
        if len(client_id) > MAX_CLIENT_ID:
            diags.error(rel, 1, f"the client id (the file name) is {len(client_id)} characters long; it names "
                        f"folders and files of the site, so it may have up to {MAX_CLIENT_ID}: rename the file")
            continue
        if client_id in seen:
            diags.error(rel, 1, f"duplicate client id {client_id!r}: also {seen[client_id]}")
            continue
        seen[client_id] = rel
        if cache is None:
            contract, file_diags = load_contract(root, path, rel, settings)
        else:
            contract, file_diags = cache(root, path, rel, load_contract, settings)
        diags.extend(file_diags)
        if contract is None:
            broken.add(client_id)
        else:
            contracts.append(contract)
    return contracts, broken


def load_contract(root: Path, path: Path, rel: str, settings: Settings) -> tuple[Contract | None, list[Diagnostic]]:
    """One contract file -> (the contract, or None when it has errors; its diagnostics)."""
    diags = Diagnostics()
    data = load_yaml_file(root, path, diags)
    if data is None:
        if not diags:
            diags.error(rel, 1, "contract is empty: it needs name: and terms:")
        return None, list(diags)
    report_case_twins(data, rel, diags)
    contract = parse_contract(path.stem, data, rel, settings, diags)
    if diags.dropped:
        # A field whose value could not be read would price the entries by a rule the contract
        # does not say (a rate of 'sixty' read as no rate at all): leave the contract out whole,
        # rather than report made-up follow-on problems. An unknown field name is ignored and
        # reported; the rest of the contract still checks its entries in the same run.
        contract = None
    return contract, list(diags)


def parse_contract(client_id: str, data, rel: str, settings: Settings, diags: Diagnostics) -> Contract | None:
    """One contract file's mapping -> Contract (None when it can't be used at all)."""
    values = read_fields(data, contract_schema(settings), rel, 1, "contract", diags)
    if values is None or "name" not in values:
        return None
    # The currency amounts are in; None when the contract names one that cannot be read.
    code = values.get("currency", settings.currency) if "currency" in values or "currency" not in data else None
    contacts = parse_contacts(values.get("contacts"), data, rel, diags)
    terms = parse_terms(values.get("terms"), data, rel, diags, code)
    prepaid = parse_list(values.get("prepaid"), data, "prepaid", rel, diags,
                         lambda item, line, r, d: parse_block(item, line, r, d, code))
    quotes = parse_list(values.get("quotes"), data, "quotes", rel, diags,
                        lambda item, line, r, d: parse_quote(item, line, r, d, contacts, code))
    check_unique(prepaid, "prepaid block", rel, diags)
    check_unique(quotes, "quote", rel, diags)
    # A contract missing a term, block or quote would price its entries wrongly:
    # leave it out whole rather than report made-up follow-on problems.
    for key, parsed in (("terms", terms), ("prepaid", prepaid), ("quotes", quotes)):
        raw = data.get(key)
        if raw is not None and (not isinstance(raw, YList) or len(raw) != len(parsed)):
            return None
    if not terms:
        return None
    return Contract(
        id=client_id,
        party=Party(name=values["name"], address=values.get("address", ""),
                    tax_id=values.get("tax_id", ""), email=values.get("email", "")),
        source=Source(rel, 1),
        currency=values.get("currency", settings.currency),
        locale=values.get("locale", settings.locale),
        period=values.get("period", settings.period),
        tax=values.get("tax", parse_percent(0)),
        prices_include_tax=values.get("prices_include_tax", False),
        share=values.get("share", True),
        contacts=contacts,
        terms=tuple(terms),
        prepaid=tuple(prepaid),
        quotes=tuple(quotes),
    )


def parse_contacts(raw, data: YMap, rel: str, diags: Diagnostics) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    line = data.line_of("contacts")
    if isinstance(raw, YList):
        items = [(item, "") for item in raw]
    elif isinstance(raw, YMap):
        items = list(raw.items())
    else:
        diags.error(rel, line, f"contacts must be a mapping of handle: description, got {_kind(raw)}")
        return ()
    contacts = []
    for handle, description in items:
        handle_text = str(handle).strip().lstrip("@").lower()
        if not re.match(r"^[\w.-]+\Z", handle_text):
            diags.error(rel, line, f"contact handle {shown(handle)} must be one word (letters, digits, '.', '-', '_')")
            continue
        try:
            contacts.append((handle_text, "" if description is None else text(description)))
        except ValueError as exc:
            diags.error(rel, raw.line_of(handle) if isinstance(raw, YMap) else line, f"contact {handle_text!r}: {exc}")
            diags.dropped += 1
    return tuple(contacts)


def parse_list(raw, data: YMap, key: str, rel: str, diags: Diagnostics, parse_item) -> list:
    if raw is None:
        return []
    if not isinstance(raw, YList):
        diags.error(rel, data.line_of(key), f"{key} must be a list, got {_kind(raw)}")
        return []
    result = []
    for index, item in enumerate(raw):
        parsed = parse_item(item, raw.line_of(index), rel, diags)
        if parsed is not None:
            result.append(parsed)
    return result


def check_unique(records, what: str, rel: str, diags: Diagnostics) -> None:
    seen = {}
    for record in records:
        key = record.id.lower()
        if key in seen:
            diags.error(rel, record.source.line, f"duplicate {what} id {record.id!r} (first at line {seen[key]})")
        else:
            seen[key] = record.source.line


def parse_terms(raw, data: YMap, rel: str, diags: Diagnostics, code: str | None) -> list[Term]:
    if raw is None:
        return []
    terms = parse_list(raw, data, "terms", rel, diags, lambda item, line, r, d: parse_term(item, line, r, d, code))
    if isinstance(raw, YList) and not raw:
        diags.error(rel, data.line_of("terms"), "terms is empty: a contract needs at least one term")
    starts: dict[datetime.date, int] = {}
    for term in terms:
        if term.start in starts:
            diags.error(rel, term.source.line,
                        f"two terms start on {term.start} (the other at line {starts[term.start]})")
        starts[term.start] = term.source.line
    return terms


def parse_term(item, line: int, rel: str, diags: Diagnostics, code: str | None = None) -> Term | None:
    values = read_fields(item, TERM_FIELDS, rel, line, "term", diags)
    if values is None or "from" not in values or "kind" not in values:
        return None
    if not check_minor_units(values, item, "fee", code, rel, "term", diags):
        return None
    kind = values["kind"]
    if kind not in TERM_KINDS:
        diags.error(rel, item.line_of("kind"),
                    f"term kind must be one of {', '.join(TERM_KINDS)}, got {kind!r}{did_you_mean(kind, TERM_KINDS)}")
        return None
    ok = True
    if kind != "retainer":
        for key in RETAINER_ONLY:
            if key in values:
                diags.error(rel, item.line_of(key), f"{key!r} only applies to retainer terms (this term is {kind})")
                ok = False
    elif "fee" not in values:
        diags.error(rel, line, "a retainer term needs a 'fee' (use 0 if it has none)")
        ok = False
    if "until" in values and values["until"] < values["from"]:
        diags.error(rel, item.line_of("until"), f"term ends ({values['until']}) before it starts ({values['from']})")
        ok = False
    if values.get("increment") == 0:
        diags.error(rel, item.line_of("increment"), "increment must be at least 1m")
        ok = False
    if not ok:
        return None
    return Term(
        kind=kind,
        start=values["from"],
        until=values.get("until"),
        source=Source(rel, line),
        label=values.get("label", ""),
        rate=values.get("rate"),
        rates=values.get("rates", ()),
        increment=values.get("increment", 1),
        free_under=values.get("free_under", 0),
        minimum=values.get("minimum", 0),
        surcharge=values.get("surcharge", ()),
        no_charge=frozenset(values.get("no_charge", ())),
        fee=values.get("fee"),
        covers=frozenset(values["covers"]) if "covers" in values else None,
        included=values.get("included"),
    )


def parse_block(item, line: int, rel: str, diags: Diagnostics, code: str | None = None) -> PrepaidBlock | None:
    values = read_fields(item, BLOCK_FIELDS, rel, line, "prepaid block", diags)
    if values is None or "id" not in values or "bought" not in values:
        return None
    if not check_minor_units(values, item, "price", code, rel, "prepaid block", diags):
        return None
    if ("hours" in item) == ("incidents" in item):  # as written: a bad value is reported on its own
        diags.error(rel, line, f"prepaid block {values['id']!r} needs either 'hours' or 'incidents'")
        return None
    if "incidents" in values and "bonus" in values:
        diags.error(rel, item.line_of("bonus"), "an incident pack takes no 'bonus' hours")
        return None
    if values.get("expires") and values["expires"] < values["bought"]:
        diags.error(rel, item.line_of("expires"),
                    f"prepaid block expires ({values['expires']}) before it is bought ({values['bought']})")
        return None
    bonus = values.get("bonus", 0)
    return PrepaidBlock(
        id=values["id"],
        bought=values["bought"],
        source=Source(rel, line),
        minutes=values.get("hours", 0) + bonus,
        bonus_minutes=bonus,
        incidents=values.get("incidents"),
        price=values.get("price"),
        expires=values.get("expires"),
    )


def parse_quote(item, line: int, rel: str, diags: Diagnostics, contacts, code: str | None = None) -> Quote | None:
    values = read_fields(item, QUOTE_FIELDS, rel, line, "quote", diags)
    if values is None or "id" not in values:
        return None
    if not check_minor_units(values, item, "price", code, rel, "quote", diags):
        return None
    approved_on, approved_by = None, ""
    raw = values.get("approved")
    if raw is not None:
        approved_line = item.line_of("approved")
        words = str(raw).split() if not isinstance(raw, datetime.date) else [raw.isoformat()]
        approved_by = " ".join(words[1:]).lstrip("@").lower()
        try:
            approved_on = parse_date(words[0] if words else "")
            check_line(approved_by)
        except ValueError:
            diags.error(rel, approved_line, f"quote field 'approved': expected a date and a contact, "
                        f"like \"2026-02-01 laura\", got {shown(raw)}")
            return None
        handles = [handle for handle, _ in contacts]
        if approved_by and contacts and approved_by not in handles:
            diags.error(rel, approved_line, f"quote approved by {approved_by!r}, who is not among the contacts "
                        f"({', '.join(handles)}){did_you_mean(approved_by, handles)}")
    return Quote(
        id=str(item.get("id")).strip().lstrip("#"),  # as written (case kept), minus the '#' parse_tag allows
        title=values.get("title", ""),
        source=Source(rel, line),
        price=values.get("price"),
        estimate=values.get("estimate"),
        approved_on=approved_on,
        approved_by=approved_by,
        invoice=values.get("invoice"),
    )


# ------------------------------------------------------------------ logbooks

# The title is what follows; trailing '#'s and spaces are cut off in code, since a pattern
# like `(.*?)\s*#*\s*$` backtracks cubically over a long run of spaces.
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^[-*+]\s+(.*)$")
_CHECKBOX = re.compile(r"^\[([ xX])\]\s*(.*)$")
_DATE_TEXT = re.compile(r"^(\d{4}-\d{2}-\d{2})\b")
_DURATION_WORD = re.compile(r"^(?:\d+(?:\.\d+)?h(?:\d+m)?|\d+m|\d+:[0-5]\d)$", re.IGNORECASE)
_RANGE_START = re.compile(r"^(\d{1,2}:\d{2}\s*[-\u2013]\s*\d{1,2}:\d{2})(?:\s+|$)(.*)$")
_FENCE = re.compile(r"^(```|~~~)")
FRONT_MATTER_FIELDS = ("client", "worker", "date")


@dataclass(frozen=True)
class Defaults:
    client: str = ""
    worker: str = ""
    date: datetime.date | None = None


def load_logbooks(root: Path, diags: Diagnostics, cache=None, listed: BooksFiles | None = None) -> list[Entry]:
    """Every logbook's entries; `cache(root, path, rel, load_logbook)` may answer for a file (see incremental).

    `listed`: the books' files, when the caller has listed them already.
    """
    entries: list[Entry] = []
    paths = [path for path in (listed.logbooks if listed is not None else logbook_files(root))
             if readable_name(relative(root, path), diags)]
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # read_text reports it
        if total > MAX_LOGBOOK_BYTES:  # before reading any: all that reading would be for nothing
            diags.error(relative(root, path), 1, f"the logbooks are more than {MAX_LOGBOOK_BYTES} bytes in all "
                        "(up to this file), more than hourbook reads; none was read (see docs/limits.md)")
            return entries
    for path in paths:
        rel = relative(root, path)
        file_entries, file_diags = (load_logbook(root, path, rel) if cache is None
                                    else cache(root, path, rel, load_logbook))
        entries.extend(file_entries)
        diags.extend(file_diags)
        if len(entries) > MAX_ENTRIES:
            diags.append(Diagnostic(entries[MAX_ENTRIES].source, f"more than {MAX_ENTRIES} entries in all, more than "
                                    "hourbook reads: it stops at this one (see docs/limits.md)", ERROR))
            del entries[MAX_ENTRIES:]
            break
    return entries


def readable_name(rel: str, diags: Diagnostics) -> bool:
    """True for a logbook's path that can name the entries' source; else an error, and the file is not read.

    Entries carry their file's path to every page, export and message: a line break or an
    escape sequence in it would reach them all.
    """
    if rel.isprintable():
        return True
    bad = LINE_CONTROLS.search(rel) or BIDI.search(rel)
    if bad is None:
        return True
    diags.error(rel, 1, f"the file's name holds {character_name(bad.group())}: rename the file "
                "(its entries are not read, since their source would carry it)")
    return False


def load_logbook(root: Path, path: Path, rel: str) -> tuple[list[Entry], list[Diagnostic]]:
    """One logbook file -> (its entries, its diagnostics): depends on nothing but the file."""
    diags = Diagnostics()
    text_ = read_text(root, path, diags)
    if text_ is None:
        return [], list(diags)
    if path.suffix.lower() in (".md", ".markdown"):
        return parse_markdown_logbook(text_, rel, diags), list(diags)
    return parse_yaml_logbook(text_, rel, diags), list(diags)


def parse_front_matter(lines: list[str], rel: str, diags: Diagnostics) -> tuple[Defaults, int]:
    """Front matter between `---` lines at the top -> (defaults, index of the first body line)."""
    if not lines or lines[0].strip() != "---":
        return Defaults(), 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        diags.error(rel, 1, "front matter starts with '---' but never ends: add a closing '---' line")
        return Defaults(), len(lines)
    try:
        data = parse_yaml("\n".join(lines[1:index]), first_line=2)
    except YamlError as exc:
        diags.error(rel, exc.line, exc.message)
        return Defaults(), index + 1
    if data is None:
        return Defaults(), index + 1
    schema = {"client": Field(client_id), "worker": Field(handle), "date": Field(parse_date)}
    values = read_fields(data, schema, rel, 2, "front matter", diags) or {}
    return Defaults(values.get("client", ""), values.get("worker", ""), values.get("date")), index + 1


def client_id(value) -> str:
    name = text(value).strip()
    if not CLIENT_ID.match(name):
        raise ValueError(f"expected a client id (a contract's file name), got {value!r}")
    return name


def handle(value) -> str:
    name = text(value).strip().lstrip("@").lower()
    if not re.match(r"^[\w.-]+\Z", name):
        raise ValueError(f"expected one word, got {shown(value)}")
    return name


@dataclass
class _Scope:
    level: int
    date: datetime.date | None = None
    client: str | None = None


def parse_markdown_logbook(text_: str, rel: str, diags: Diagnostics) -> list[Entry]:
    """A Markdown logbook -> entries. Lines are the file's own, front matter included."""
    lines = text_.split("\n")
    defaults, first = parse_front_matter(lines, rel, diags)
    entries: list[Entry] = []
    scopes: list[_Scope] = []
    fence = None
    day = client = None  # of the innermost scopes; both None: to be looked up
    index = first
    while index < len(lines):
        line = lines[index]
        lineno = index + 1
        index += 1
        if not line:
            continue  # blank: neither a fence, a heading nor an item (the commonest line)
        first_char = line[0]
        # The patterns below only match from these first characters: a test of one is cheaper.
        fence_match = _FENCE.match(line) if first_char in "`~" else None
        if fence is not None:
            if fence_match and line.startswith(fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        heading = _HEADING.match(line) if first_char == "#" else None
        if heading:
            level, title = len(heading.group(1)), heading.group(2).rstrip().rstrip("#").rstrip()
            scopes = [scope for scope in scopes if scope.level < level]
            date_match = _DATE_TEXT.match(title)
            if date_match:
                try:
                    scopes.append(_Scope(level, date=datetime.date.fromisoformat(date_match.group(1))))
                except ValueError:
                    diags.error(rel, lineno, f"{date_match.group(1)!r} is not a valid date")
                    scopes.append(_Scope(level, date=None, client=None))
            elif _CLIENT_WORD.match(title):   # `## ACME` too: validation says it is not 'acme'
                scopes.append(_Scope(level, client=title))
            day = client = None
            continue
        item = _ITEM.match(line) if first_char in "-*+" else None
        if not item:
            if first_char in _MISREAD_FIRST:
                warn_unread_entry(line, rel, lineno, diags)
            continue
        # Details: the indented lines (and blank lines between them) that follow. Most items have
        # none: the next line, or the one after a blank, starts a heading or an item.
        if index >= len(lines) or lines[index][:1] in _NOT_DETAILS or (
                not lines[index] and (index + 1 >= len(lines) or lines[index + 1][:1] in _NOT_DETAILS)):
            detail_lines = ()
        else:
            details_end = _details_end(lines, index)
            detail_lines = lines[index:details_end]
            index = details_end
        if client is None:  # the scopes changed (a found client is text, maybe ""): look again
            day = next((s.date for s in reversed(scopes) if s.date is not None), defaults.date)
            client = next((s.client for s in reversed(scopes) if s.client is not None), defaults.client)
        if len(entries) > MAX_ENTRIES:
            break  # load_logbooks reports it; reading on would only use memory
        entry = parse_item(item.group(1), day, client, defaults.worker, Source(rel, lineno),
                           _dedent(detail_lines) if detail_lines else "", diags)
        if entry is not None:
            entries.append(entry)
    return entries


_NOT_DETAILS = frozenset("#-*+")   # first characters of lines that end details (neither blank nor indented)
_CLIENT_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*\Z")    # a heading of one word names a client
# Lines that look like entries but are not read: what each is, and how to write it.
_MISREAD_FIRST = frozenset("#-*+ \t0123456789")
_TIME_WORD = r"(?:\d{1,2}:\d{2}\s*[-\u2013]\s*\d{1,2}:\d{2}|\d+(?:\.\d+)?h(?:\d+m)?|\d+m|\d+:[0-5]\d|expense)(?:\s|$)"
_MISREAD = (
    (re.compile(r"^(\d+[.)])\s+" + _TIME_WORD, re.IGNORECASE),
     "a numbered list item is not read as an entry: start the line with '- ' instead of {0!r}"),
    (re.compile(r"^([-*+])" + _TIME_WORD, re.IGNORECASE),
     "{1} is not read as an entry: put a space after {0!r}"),
    (re.compile(r"^[ \t]+([-*+]|\d+[.)])\s+" + _TIME_WORD, re.IGNORECASE),
     "an indented list item is not read as an entry (only items at the start of a line are): "
     "remove the indentation"),
    (re.compile(r"^(#{1,6})\d{4}-\d{2}-\d{2}\b|^(#{2,6})[A-Za-z0-9][A-Za-z0-9-]*\s*$"),
     "{1} is not read as a heading: put a space after {0!r}"),
)


def warn_unread_entry(line: str, rel: str, lineno: int, diags: Diagnostics) -> None:
    """A warning for a line that looks like an entry or a heading but is not read as one."""
    for pattern, message in _MISREAD:
        match = pattern.match(line)
        if match:
            mark = next((group for group in match.groups() if group), "")
            diags.append(Diagnostic(Source(rel, lineno), message.format(mark, shown(line.split()[0])), WARNING))
            return


def _details_end(lines: list[str], index: int) -> int:
    """The end of the details from `index`: indented lines, and blank lines followed by one.

    One pass: a run of blank lines is scanned once, whatever follows it.
    """
    end = scan = index
    while scan < len(lines):
        line = lines[scan]
        if line.startswith((" ", "\t")):
            end = scan + 1
        elif line.strip():
            break
        scan += 1
    return end


def _dedent(lines: list[str]) -> str:
    """Details as text: blank lines around them dropped, the common indent removed."""
    lines = [line.expandtabs(4).rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    first = next((index for index, line in enumerate(lines) if line), len(lines))
    lines = lines[first:]
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def parse_item(body: str, day, client: str, worker: str, source: Source, details: str,
               diags: Diagnostics) -> Entry | None:
    """One list item of a Markdown logbook -> an Entry, None for prose (or an error)."""
    rel, lineno = source.path, source.line
    kind, done = TIME, False
    checkbox = _CHECKBOX.match(body) if body[:1] == "[" else None
    if checkbox:
        done = checkbox.group(1) != " "
        body = checkbox.group(2)
    words = body.split(maxsplit=1)
    first_word = words[0] if words else ""
    rest = words[1] if len(words) > 1 else ""
    minutes, start, end, amount = 0, None, None, None
    range_match = _RANGE_START.match(body)
    try:
        if not body.isascii():
            check_bidi(body)
        if range_match:
            start, end = _RANGES.get(range_match.group(1)) or _remember(_RANGES, range_match.group(1), parse_range)
            minutes = end - start
            rest = range_match.group(2)
            if minutes > MAX_OVERNIGHT and end > 1440:
                warn_overnight(range_match.group(1), start, end, source, diags)
        elif _DURATION_WORD.match(first_word):
            minutes = _DURATIONS.get(first_word)
            if minutes is None:
                minutes = _remember(_DURATIONS, first_word, parse_duration)
            if minutes == 0:
                raise ValueError(f"the duration {first_word!r} is zero")
        elif first_word.lower() == "expense":
            amount_word, _, rest = rest.partition(" ")
            kind = EXPENSE
            amount = parse_money(amount_word)
        elif first_word[:1].isdigit():
            if RANGE.match(first_word) is None and re.match(r"^\d{1,2}:\d{2}[-\u2013]", first_word):
                parse_range(first_word)  # raises with the precise reason
            raise ValueError(f"cannot read the time {first_word!r}: expected a range like 09:10-10:25 "
                             f"or a duration like 45m, 1h30m, 1.5h or 0:45")
        elif checkbox:
            kind = REQUEST
            rest = body
        else:
            if first_word[:1] in _MISREAD_SIGNS and _misread_time(first_word):
                diags.append(Diagnostic(source, f"{shown(first_word)} is not read as a time: "
                                        + ("a time cannot be negative" if first_word[0] != "." else
                                           f"write {shown('0' + first_word)}"), WARNING))
            return None
    except ValueError as exc:
        diags.error(rel, lineno, str(exc))
        return None
    if day is None or not client:
        what = {TIME: "entry", EXPENSE: "expense", REQUEST: "request"}[kind]
        missing = " and ".join(name for name, ok in (("date", day is not None), ("client", bool(client))) if not ok)
        diags.error(rel, lineno, f"{what} without a {missing}: put it under a "
                    + ("'# YYYY-MM-DD' heading" if day is None else "client heading ('## acme')")
                    + ("" if day is None else " or set client: in the front matter"))
        return None
    by, tags, approved, description = parse_words(rest, rel, lineno, diags)
    return Entry(kind=kind, date=day, client=client, source=source, minutes=minutes, start=start, end=end,
                 amount=amount, by=by, tags=tags, approved=approved, description=description,
                 details=details, worker=worker, done=done)


def parse_words(rest: str, rel: str, lineno: int, diags: Diagnostics) -> tuple[str, tuple[str, ...], bool, str]:
    """The rest of an entry line -> (requester, tags, approved, description)."""
    by, approved, words, conflict = "", False, [], False
    tags: dict[str, None] = {}  # ordered, and a membership test in constant time (a line may hold 10^5 tags)
    for word in rest.split():
        first = word[0]     # split() gives no empty word
        if first != "@" and first != "#":
            words.append(word)  # the commonest word: description
        elif first == "@" and len(word) > 1:
            name = word[1:].rstrip(".,;:").lower()
            if by and name != by:
                if not conflict:  # once per entry, however many more there are
                    diags.error(rel, lineno, f"two requesters, @{by} and @{name}: an entry has one")
                conflict = True
            by = sys.intern(name)  # a handful of names and tags, repeated on every line: share them
        elif first == "#" and len(word) > 1:
            tag_text = word[1:].rstrip(".,;:)")
            tag = _TAGS.get(tag_text)
            if tag is None:
                try:
                    tag = _remember(_TAGS, tag_text, parse_tag)
                except ValueError:
                    words.append(word)
                    continue
            if tag == APPROVED:
                approved = True
            elif tag not in tags:
                tags[sys.intern(tag)] = None
        else:
            words.append(word)
    tags_tuple = tuple(tags)
    return by, _TAG_TUPLES.setdefault(tags_tuple, tags_tuple), approved, " ".join(words)


_TAG_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}
# What words of logbook lines read as, remembered: the same few hundred recur on every line.
_RANGES: dict[str, tuple[int, int]] = {}
_DURATIONS: dict[str, int] = {}
_TAGS: dict[str, str] = {}
_REMEMBERED = 100_000       # per kind of word, then it starts again (memory stays bounded)


def _remember(memo: dict, text: str, read: Callable):
    """`read(text)`, kept in `memo` when it reads (a ValueError goes to the caller every time)."""
    value = read(text)
    if len(memo) >= _REMEMBERED:
        memo.clear()
    memo[text] = sys.intern(value) if type(value) is str else value
    return value


MAX_OVERNIGHT = 16 * 60    # minutes: a range over midnight longer than this is probably the wrong way round
_MISREAD_SIGNS = frozenset(".-\u2212")     # (a set: "" is in every string)


def _misread_time(word: str) -> bool:
    """`-1h`, `−09:00-10:00`, `.5h`: a time with a sign or without its leading zero, not read as one."""
    if word[0] == ".":
        return _DURATION_WORD.match("0" + word) is not None
    return _DURATION_WORD.match(word[1:]) is not None or RANGE.match(word[1:]) is not None


def warn_overnight(written: str, start: int, end: int, source: Source, diags: Diagnostics) -> None:
    """A range that crosses midnight and lasts more than MAX_OVERNIGHT: a warning, the time still counts."""
    hours, minutes = divmod(end - start, 60)
    diags.append(Diagnostic(source, f"the range {shown(written.strip())} crosses midnight and lasts "
                            f"{hours}h{minutes:02d}m; if that is so, split it at midnight to say so, else write "
                            f"{format_clock(end)}-{format_clock(start)}", WARNING))


ENTRY_FIELDS = ("date", "client", "worker", "time", "duration", "expense", "by", "tags", "note",
                "details", "approved", "request", "done")


def parse_yaml_logbook(text_: str, rel: str, diags: Diagnostics) -> list[Entry]:
    try:
        data = parse_yaml(text_)
    except YamlError as exc:
        diags.error(rel, exc.line, exc.message)
        return []
    if data is None:
        return []
    schema = {"client": Field(client_id), "worker": Field(handle), "entries": Field(lambda v: v)}
    values = read_fields(data, schema, rel, 1, "logbook", diags)
    if values is None:
        return []
    raw = values.get("entries")
    if raw is None:
        return []
    if not isinstance(raw, YList):
        diags.error(rel, data.line_of("entries"), f"entries must be a list, got {_kind(raw)}")
        return []
    defaults = Defaults(values.get("client", ""), values.get("worker", ""))
    entries = []
    for index, item in enumerate(raw):
        entry = parse_yaml_entry(item, raw.line_of(index), rel, defaults, diags)
        if entry is not None:
            entries.append(entry)
    return entries


def parse_yaml_entry(item, line: int, rel: str, defaults: Defaults, diags: Diagnostics) -> Entry | None:
    values = _read_entry_fast(item)
    if values is None:      # something to say about the fields: read_fields says it
        before = len(diags)
        values = read_fields(item, _YAML_ENTRY_FIELDS, rel, line, "entry", diags)
        if values is None or len(diags) > before:
            return None
    kinds = [key for key in ("time", "duration", "expense") if key in values]
    if values.get("request"):
        kind, minutes, start, end = REQUEST, 0, None, None
        if kinds:
            diags.error(rel, line, "a request has no time, duration or expense")
            return None
    elif len(kinds) != 1:
        diags.error(rel, line, "an entry needs exactly one of time:, duration: or expense:"
                    + (f" (it has {' and '.join(kinds)})" if kinds else ""))
        return None
    else:
        kind, minutes, start, end = TIME, 0, None, None
        if kinds[0] == "time":
            try:
                start, end = _RANGES.get(values["time"]) or _remember(_RANGES, values["time"], parse_range)
            except ValueError as exc:
                diags.error(rel, item.line_of("time"), str(exc))
                return None
            minutes = end - start
            if minutes > MAX_OVERNIGHT and end > 1440:
                warn_overnight(values["time"], start, end, Source(rel, item.line_of("time")), diags)
        elif kinds[0] == "duration":
            minutes = values["duration"]
        else:
            kind = EXPENSE
    client = values.get("client", defaults.client)
    if not client:
        diags.error(rel, line, "entry without a client: add client: to the entry or to the file")
        return None
    tags = list(values.get("tags", ()))
    approved = values.get("approved", False) or APPROVED in tags
    tags = tuple(dict.fromkeys(tag for tag in tags if tag != APPROVED))
    return Entry(kind=kind, date=values["date"], client=client, source=Source(rel, line), minutes=minutes,
                 start=start, end=end, amount=values.get("expense"), by=values.get("by", ""), tags=tags,
                 approved=approved, description=values.get("note", ""), details=values.get("details", ""),
                 worker=values.get("worker", defaults.worker), done=values.get("done", False))


def _read_entry_fast(item) -> dict | None:
    """What `read_fields(item, _YAML_ENTRY_FIELDS, ...)` gives a well-formed entry, for a third of
    the time: the same readers, but the words that recur on every entry (workers, durations,
    tags) are read once. None at the first thing `read_fields` would have a word about (or a
    null, which it skips): it then reads the entry again and says it, so diagnostics don't change."""
    if type(item) is not YMap or item.get("date") is None:
        return None
    values = {}
    for key, raw in item.items():
        field = _YAML_ENTRY_FIELDS.get(key)
        if field is None or raw is None:
            return None
        kind = type(raw)
        try:
            if kind is str and key in _ENTRY_WORDS:
                memo = _ENTRY_WORDS[key]
                value = memo.get(raw)
                if value is None:
                    value = _remember(memo, raw, field.read)
            elif kind is YList and key == "tags":
                tags = []
                for tag in raw:
                    if type(tag) is not str:
                        return None
                    tags.append(_TAGS.get(tag) or _remember(_TAGS, tag, parse_tag))
                value = tuple(tags)
            else:
                value = field.read(raw)
        except (ValueError, TypeError):
            return None
        values[key] = value
    return values


def _yaml_duration(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"a bare number is ambiguous: write {value}m or {value}h")
    minutes = parse_duration(value)
    if minutes == 0:
        raise ValueError(f"the duration {value!r} is zero")
    return minutes


_YAML_ENTRY_FIELDS = {   # made once, not for every entry
    "date": Field(parse_date, required=True),
    "client": Field(client_id),
    "worker": Field(handle),
    "time": Field(text),
    "duration": Field(_yaml_duration),
    "expense": Field(parse_money),
    "by": Field(handle),
    "tags": Field(parse_tags),
    "note": Field(folded_text),
    "details": Field(lines_text),
    "approved": Field(boolean),
    "request": Field(boolean),
    "done": Field(boolean),
}
# Fields whose text values recur from entry to entry, each with what its texts read as (str keys
# only: True == 1, so a bool or a number must never find a text's value).
_ENTRY_WORDS: dict[str, dict] = {key: {} for key in ("date", "client", "worker", "duration", "by", "tags")}


# ------------------------------------------------------------------ all of it


def load_books(root: Path, logbook_cache=None, contract_cache=None) -> tuple[Books, list[Diagnostic]]:
    """Read a whole books folder.

    Args:
        logbook_cache: optional `cache(root, path, rel, load_logbook)` that may reuse what an
            unchanged logbook file gave last time (watch mode; see `hourbook.build.builder`).
        contract_cache: the same for contract files, `cache(root, path, rel, load_contract, settings)`.

    Returns:
        (books, diagnostics): entries sorted by date, then path, then line.
    """
    with no_cyclic_gc():
        return _load_books(root, logbook_cache, contract_cache)


def _load_books(root: Path, logbook_cache, contract_cache) -> tuple[Books, list[Diagnostic]]:
    diags = Diagnostics()
    listed = list_books(root)
    diags.extend(listed.problems)
    settings = load_settings(root, listed.settings, diags)
    contracts, broken = load_contracts(root, settings, diags, contract_cache, listed)
    entries = load_logbooks(root, diags, logbook_cache, listed)
    entries.sort(key=lambda e: (e.date, e.source.path, e.source.line))
    files = ["hourbook.yaml"] if listed.settings else []
    files += [relative(root, p) for p in (*listed.contracts, *listed.logbooks)]
    books = Books(settings=settings, contracts=tuple(contracts), entries=tuple(entries), files=tuple(files),
                  broken_clients=frozenset(broken))
    return books, list(diags)
