"""Books folder -> records: hourbook.yaml, contracts/*.yaml, logbook/**/*.md|yaml.

Reads files and turns them into the immutable records of `core.records`, each
with its file and line. Never raises for bad input: every problem becomes a
located `Diagnostic` and loading goes on. It does not check what needs the whole
books (unknown clients, overlaps, terms): that is `validation` and `pricing`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from babel import Locale
from babel import UnknownLocaleError

from hourbook.core.periods import KINDS as PERIOD_KINDS
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
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
from hourbook.core.records import Term
from hourbook.values import CLIENT_ID
from hourbook.values import RANGE
from hourbook.values import did_you_mean
from hourbook.values import parse_date
from hourbook.values import parse_duration
from hourbook.values import parse_money
from hourbook.values import parse_percent
from hourbook.values import parse_range
from hourbook.values import parse_tag
from hourbook.values import parse_tags
from hourbook.yamlfile import YamlError
from hourbook.yamlfile import YList
from hourbook.yamlfile import YMap
from hourbook.yamlfile import parse_yaml

MAX_FILE_BYTES = 64 * 1024 * 1024
LOGBOOK_SUFFIXES = (".md", ".markdown", ".yaml", ".yml")
TERM_KINDS = ("hourly", "retainer", "prepaid", "free")
APPROVED = "approved"


class Diagnostics(list):
    """The diagnostics of one load, added with their place."""

    def error(self, path: str, line: int, message: str) -> None:
        self.append(Diagnostic(Source(path, line), message, ERROR))


# ------------------------------------------------------------------ files


def read_text(root: Path, path: Path, diags: Diagnostics) -> str | None:
    """A file's text as UTF-8 (a BOM is allowed); None, with an error, if it can't be read."""
    rel = relative(root, path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            diags.error(rel, 1, f"file is {size} bytes; hourbook reads files up to {MAX_FILE_BYTES} bytes")
            return None
        data = path.read_bytes()
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
    return text.replace("\r\n", "\n").replace("\r", "\n")


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


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
    """Every logbook file under logbook/, in path order; hidden and editor backup files skipped."""
    base = root / "logbook"
    if not base.is_dir():
        return []
    found = []
    for path in base.rglob("*"):
        rel_parts = path.relative_to(base).parts
        if any(part.startswith((".", "#")) or part.endswith("~") for part in rel_parts):
            continue
        if path.suffix.lower() in LOGBOOK_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found, key=lambda p: relative(root, p))


def contract_files(root: Path) -> list[Path]:
    base = root / "contracts"
    if not base.is_dir():
        return []
    return sorted((p for p in base.iterdir()
                   if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")),
                  key=lambda p: p.name)


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
            diags.error(path, key_line, f"unknown {what} field {key!r}{did_you_mean(key, schema)}")
            continue
        if raw is None:
            if field.required:
                diags.error(path, key_line, f"{what} field {key!r} is empty")
            continue
        try:
            values[key] = field.read(raw)
        except ValueError as exc:
            diags.error(path, key_line, f"{what} field {key!r}: {exc}")
        except TypeError as exc:
            diags.error(path, key_line, f"{what} field {key!r}: {exc}")
    for key, field in schema.items():
        if field.required and key not in mapping:
            diags.error(path, mapping.line, f"{what} needs a {key!r} field")
    return values


def _kind(value) -> str:
    if isinstance(value, YList):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def text(value) -> str:
    if isinstance(value, (YMap, YList)) or value is None:
        raise ValueError(f"expected text, got {_kind(value)}")
    if isinstance(value, bool):
        raise ValueError(f"expected text, got {value!r} (quote it)")
    return str(value)


def boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def currency(value) -> str:
    code = text(value).strip().upper()
    if not re.match(r"^[A-Z]{3}$", code):
        raise ValueError(f"expected an ISO 4217 currency code like EUR, got {value!r}")
    return code


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
    "address": Field(text),
    "tax_id": Field(text),
    "email": Field(text),
    "iban": Field(text),
}


def load_settings(root: Path, diags: Diagnostics) -> Settings:
    path = root / "hourbook.yaml"
    rel = "hourbook.yaml"
    fallback = Settings(seller=Party(name="(no seller)"))
    if not path.is_file():
        diags.error(rel, 1, "hourbook.yaml is missing: every books folder needs one with at least seller: {name: ...}")
        return fallback
    before = len(diags)
    data = load_yaml_file(root, path, diags)
    if data is None:
        if len(diags) == before:
            diags.error(rel, 1, "hourbook.yaml is empty: it needs at least seller: {name: ...}")
        return fallback
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
                fields = read_fields(member, {"name": Field(text), "cost": Field(non_negative_money)},
                                     rel, team_map.line_of(member_id), f"team member {member_id!r}", diags)
                if fields is not None:
                    team.append(TeamMember(str(member_id), fields.get("name", str(member_id)), fields.get("cost")))
    base_url = ""
    if "site" in values:
        fields = read_fields(values["site"], {"base_url": Field(text)}, rel, data.line_of("site"), "site", diags)
        base_url = (fields or {}).get("base_url", "").rstrip("/")
    number_format = "{year}-{seq:04d}"
    if "invoice" in values:
        fields = read_fields(values["invoice"], {"number": Field(number_pattern)},
                             rel, data.line_of("invoice"), "invoice", diags)
        number_format = (fields or {}).get("number", number_format)
    return Settings(
        seller=seller,
        currency=values.get("currency", "EUR"),
        locale=values.get("locale", "en"),
        period=values.get("period", "month"),
        cost=values.get("cost"),
        team=tuple(team),
        base_url=base_url,
        number_format=number_format,
    )


def number_pattern(value) -> str:
    pattern = text(value)
    try:
        pattern.format(year=2026, seq=1)
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"expected a pattern with {{year}} and {{seq}}, like '{{year}}-{{seq:04d}}': {exc}") from None
    if "{seq" not in pattern:
        raise ValueError("an invoice number pattern needs {seq}")
    return pattern


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
        "address": Field(text),
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


def load_contracts(root: Path, settings: Settings, diags: Diagnostics) -> tuple[list[Contract], set[str]]:
    """Every contract that reads without errors, and the ids of those that don't.

    A contract with errors is left out whole and its id returned as broken, so its
    entries are not reported again as unknown clients or entries without terms.
    """
    contracts: list[Contract] = []
    broken: set[str] = set()
    seen: dict[str, str] = {}
    for path in contract_files(root):
        rel = relative(root, path)
        client_id = path.stem
        if not CLIENT_ID.match(client_id):
            diags.error(rel, 1, f"client id {client_id!r} (the file name) must be lowercase letters, "
                        "digits and '-', starting with a letter or digit")
            continue
        if client_id in seen:
            diags.error(rel, 1, f"duplicate client id {client_id!r}: also {seen[client_id]}")
            continue
        seen[client_id] = rel
        before = len(diags)
        data = load_yaml_file(root, path, diags)
        if data is None:
            if len(diags) == before:
                diags.error(rel, 1, "contract is empty: it needs name: and terms:")
            broken.add(client_id)
            continue
        contract = parse_contract(client_id, data, rel, settings, diags)
        if contract is None:
            broken.add(client_id)
        else:
            contracts.append(contract)
    return contracts, broken


def parse_contract(client_id: str, data, rel: str, settings: Settings, diags: Diagnostics) -> Contract | None:
    """One contract file's mapping -> Contract (None when it can't be used at all)."""
    values = read_fields(data, contract_schema(settings), rel, 1, "contract", diags)
    if values is None or "name" not in values:
        return None
    contacts = parse_contacts(values.get("contacts"), data, rel, diags)
    terms = parse_terms(values.get("terms"), data, rel, diags)
    prepaid = parse_list(values.get("prepaid"), data, "prepaid", rel, diags, parse_block)
    quotes = parse_list(values.get("quotes"), data, "quotes", rel, diags,
                        lambda item, line, r, d: parse_quote(item, line, r, d, contacts))
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
        if not re.match(r"^[\w.-]+$", handle_text):
            diags.error(rel, line, f"contact handle {handle!r} must be one word (letters, digits, '.', '-', '_')")
            continue
        contacts.append((handle_text, "" if description is None else str(description)))
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


def parse_terms(raw, data: YMap, rel: str, diags: Diagnostics) -> list[Term]:
    if raw is None:
        return []
    terms = parse_list(raw, data, "terms", rel, diags, parse_term)
    if isinstance(raw, YList) and not raw:
        diags.error(rel, data.line_of("terms"), "terms is empty: a contract needs at least one term")
    starts: dict[datetime.date, int] = {}
    for term in terms:
        if term.start in starts:
            diags.error(rel, term.source.line,
                        f"two terms start on {term.start} (the other at line {starts[term.start]})")
        starts[term.start] = term.source.line
    return terms


def parse_term(item, line: int, rel: str, diags: Diagnostics) -> Term | None:
    values = read_fields(item, TERM_FIELDS, rel, line, "term", diags)
    if values is None or "from" not in values or "kind" not in values:
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


def parse_block(item, line: int, rel: str, diags: Diagnostics) -> PrepaidBlock | None:
    values = read_fields(item, BLOCK_FIELDS, rel, line, "prepaid block", diags)
    if values is None or "id" not in values or "bought" not in values:
        return None
    if ("hours" in values) == ("incidents" in values):
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


def parse_quote(item, line: int, rel: str, diags: Diagnostics, contacts) -> Quote | None:
    values = read_fields(item, QUOTE_FIELDS, rel, line, "quote", diags)
    if values is None or "id" not in values:
        return None
    approved_on, approved_by = None, ""
    raw = values.get("approved")
    if raw is not None:
        approved_line = item.line_of("approved")
        words = str(raw).split() if not isinstance(raw, datetime.date) else [raw.isoformat()]
        try:
            approved_on = parse_date(words[0] if words else "")
        except ValueError:
            diags.error(rel, approved_line, f"quote field 'approved': expected a date and a contact, "
                        f"like \"2026-02-01 laura\", got {raw!r}")
            return None
        approved_by = " ".join(words[1:]).lstrip("@").lower()
        handles = [handle for handle, _ in contacts]
        if approved_by and contacts and approved_by not in handles:
            diags.error(rel, approved_line, f"quote approved by {approved_by!r}, who is not among the contacts "
                        f"({', '.join(handles)}){did_you_mean(approved_by, handles)}")
    return Quote(
        id=str(item.get("id")).strip(),
        title=values.get("title", ""),
        source=Source(rel, line),
        price=values.get("price"),
        estimate=values.get("estimate"),
        approved_on=approved_on,
        approved_by=approved_by,
        invoice=values.get("invoice"),
    )


# ------------------------------------------------------------------ logbooks

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
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


def load_logbooks(root: Path, diags: Diagnostics) -> list[Entry]:
    entries: list[Entry] = []
    for path in logbook_files(root):
        rel = relative(root, path)
        text_ = read_text(root, path, diags)
        if text_ is None:
            continue
        if path.suffix.lower() in (".md", ".markdown"):
            entries.extend(parse_markdown_logbook(text_, rel, diags))
        else:
            entries.extend(parse_yaml_logbook(text_, rel, diags))
    return entries


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
    if not re.match(r"^[\w.-]+$", name):
        raise ValueError(f"expected one word, got {value!r}")
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
    index = first
    while index < len(lines):
        line = lines[index]
        lineno = index + 1
        index += 1
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and line.startswith(fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        heading = _HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            scopes = [scope for scope in scopes if scope.level < level]
            date_match = _DATE_TEXT.match(title)
            if date_match:
                try:
                    scopes.append(_Scope(level, date=datetime.date.fromisoformat(date_match.group(1))))
                except ValueError:
                    diags.error(rel, lineno, f"{date_match.group(1)!r} is not a valid date")
                    scopes.append(_Scope(level, date=None, client=None))
            elif CLIENT_ID.match(title):
                scopes.append(_Scope(level, client=title))
            continue
        item = _ITEM.match(line)
        if not item:
            continue
        # Details: the indented lines (and blank lines between them) that follow.
        detail_lines = []
        while index < len(lines) and (lines[index].startswith((" ", "\t")) or
                                      (not lines[index].strip() and _indented_follows(lines, index))):
            detail_lines.append(lines[index])
            index += 1
        day = next((s.date for s in reversed(scopes) if s.date is not None), defaults.date)
        client = next((s.client for s in reversed(scopes) if s.client is not None), defaults.client)
        entry = parse_item(item.group(1), day, client, defaults.worker, Source(rel, lineno),
                           _dedent(detail_lines), diags)
        if entry is not None:
            entries.append(entry)
    return entries


def _indented_follows(lines: list[str], index: int) -> bool:
    for later in lines[index:]:
        if later.strip():
            return later.startswith((" ", "\t"))
    return False


def _dedent(lines: list[str]) -> str:
    lines = [line.expandtabs(4).rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def parse_item(body: str, day, client: str, worker: str, source: Source, details: str,
               diags: Diagnostics) -> Entry | None:
    """One list item of a Markdown logbook -> an Entry, None for prose (or an error)."""
    rel, lineno = source.path, source.line
    kind, done = TIME, False
    checkbox = _CHECKBOX.match(body)
    if checkbox:
        done = checkbox.group(1) != " "
        body = checkbox.group(2)
    words = body.split(maxsplit=1)
    first_word = words[0] if words else ""
    rest = words[1] if len(words) > 1 else ""
    minutes, start, end, amount = 0, None, None, None
    range_match = _RANGE_START.match(body)
    try:
        if range_match:
            start, end = parse_range(range_match.group(1))
            minutes = end - start
            rest = range_match.group(2)
        elif _DURATION_WORD.match(first_word):
            minutes = parse_duration(first_word)
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
    by, tags, approved, words = "", [], False, []
    for word in rest.split():
        if word.startswith("@") and len(word) > 1:
            name = word[1:].rstrip(".,;:").lower()
            if by and name != by:
                diags.error(rel, lineno, f"two requesters, @{by} and @{name}: an entry has one")
            by = name
        elif word.startswith("#") and len(word) > 1:
            tag_text = word[1:].rstrip(".,;:)")
            try:
                tag = parse_tag(tag_text)
            except ValueError:
                words.append(word)
                continue
            if tag == APPROVED:
                approved = True
            elif tag not in tags:
                tags.append(tag)
        else:
            words.append(word)
    return by, tuple(tags), approved, " ".join(words)


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
    schema = {
        "date": Field(parse_date, required=True),
        "client": Field(client_id),
        "worker": Field(handle),
        "time": Field(text),
        "duration": Field(_yaml_duration),
        "expense": Field(parse_money),
        "by": Field(handle),
        "tags": Field(parse_tags),
        "note": Field(text),
        "details": Field(text),
        "approved": Field(boolean),
        "request": Field(boolean),
        "done": Field(boolean),
    }
    before = len(diags)
    values = read_fields(item, schema, rel, line, "entry", diags)
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
                start, end = parse_range(values["time"])
            except ValueError as exc:
                diags.error(rel, item.line_of("time"), str(exc))
                return None
            minutes = end - start
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


def _yaml_duration(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"a bare number is ambiguous: write {value}m or {value}h")
    minutes = parse_duration(value)
    if minutes == 0:
        raise ValueError(f"the duration {value!r} is zero")
    return minutes


# ------------------------------------------------------------------ all of it


def load_books(root: Path) -> tuple[Books, list[Diagnostic]]:
    """Read a whole books folder.

    Returns:
        (books, diagnostics): entries sorted by date, then path, then line.
    """
    diags = Diagnostics()
    settings = load_settings(root, diags)
    contracts, broken = load_contracts(root, settings, diags)
    entries = load_logbooks(root, diags)
    entries.sort(key=lambda e: (e.date, e.source.path, e.source.line))
    files = ["hourbook.yaml"] if (root / "hourbook.yaml").is_file() else []
    files += [relative(root, p) for p in contract_files(root)] + [relative(root, p) for p in logbook_files(root)]
    books = Books(settings=settings, contracts=tuple(contracts), entries=tuple(entries), files=tuple(files),
                  broken_clients=frozenset(broken))
    return books, list(diags)
