"""contracts/<client>.yaml -> `Contract`: the client, its terms, prepaid blocks, quotes and contacts.

A contract with an error is left out whole (and its client named broken), rather than price
its entries by a rule it does not say; its other problems are still reported in the same run.
Whether the terms fit the entries (gaps, overlaps, kinds) is for `checks` and `core.pricing`.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

from hourbook.core.money import minor_digits
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Party
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Quote
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import Term
from hourbook.load import limits
from hourbook.load.fields import Field
from hourbook.load.fields import amount_field
from hourbook.load.fields import count_field
from hourbook.load.fields import currency_field
from hourbook.load.fields import flag_field
from hourbook.load.fields import hours_field
from hourbook.load.fields import lines_field
from hourbook.load.fields import locale_field
from hourbook.load.fields import period_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import report_case_twins
from hourbook.load.fields import tag_map_field
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.files import load_yaml_file
from hourbook.load.listing import BooksFiles
from hourbook.load.listing import relative
from hourbook.load.problems import Problems
from hourbook.load.scalars import CLIENT_ID
from hourbook.load.scalars import check_line
from hourbook.load.scalars import did_you_mean
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_duration
from hourbook.load.scalars import parse_percent
from hourbook.load.scalars import parse_tag
from hourbook.load.scalars import parse_tags
from hourbook.load.scalars import shown
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

TERM_KINDS = ("hourly", "retainer", "prepaid", "free")
CONTRACT_FIELDS = {
    "name": Field(text_field, required=True),
    "address": Field(lines_field),
    "tax_id": Field(text_field),
    "email": Field(text_field),
    "currency": Field(currency_field),
    "locale": Field(locale_field),
    "period": Field(period_field),
    "tax": Field(parse_percent),
    "prices_include_tax": Field(flag_field),
    "share": Field(flag_field),
    "contacts": Field(raw_field),
    "terms": Field(raw_field, required=True),
    "prepaid": Field(raw_field),
    "quotes": Field(raw_field),
}
TERM_FIELDS = {
    "from": Field(parse_date, required=True),
    "until": Field(parse_date),
    "kind": Field(text_field, required=True),
    "label": Field(text_field),
    "rate": Field(amount_field),
    "rates": Field(tag_map_field(amount_field)),
    "increment": Field(parse_duration),
    "free_under": Field(parse_duration),
    "minimum": Field(parse_duration),
    "surcharge": Field(tag_map_field(parse_percent)),
    "no_charge": Field(parse_tags),
    "fee": Field(amount_field),
    "covers": Field(parse_tags),
    "included": Field(parse_duration),
}
RETAINER_ONLY = ("fee", "covers", "included")
BLOCK_FIELDS = {
    "id": Field(text_field, required=True),
    "bought": Field(parse_date, required=True),
    "hours": Field(hours_field),
    "incidents": Field(count_field),
    "bonus": Field(hours_field),
    "price": Field(amount_field),
    "expires": Field(parse_date),
}
QUOTE_FIELDS = {
    "id": Field(parse_tag, required=True),
    "title": Field(text_field),
    "price": Field(amount_field),
    "estimate": Field(hours_field),
    "approved": Field(raw_field),
    "invoice": Field(parse_date),
}


def load_contracts(root: Path, settings: Settings, diags: Problems, listed: BooksFiles,
                   cache=None) -> tuple[list[Contract], set[str]]:
    """Every contract that reads without errors, and the ids of those that don't.

    A contract with errors is left out whole and its id returned as broken, so its
    entries are not reported again as unknown clients or entries without terms.

    Args:
        root: the books folder.
        settings: hourbook.yaml, for what a contract does not say.
        diags: where the problems go.
        listed: the books' files (`listing.list_books`).
        cache: optional `cache(root, path, rel, load_contract, settings)`, which may answer for
            an unchanged file (see `hourbook.build.builder`).
    """
    contracts: list[Contract] = []
    broken: set[str] = set()
    seen: dict[str, str] = {}
    for path in listed.contracts:
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
        if len(client_id) > limits.MAX_CLIENT_ID:
            diags.error(rel, 1, f"the client id (the file name) is {len(client_id)} characters long; it names "
                        f"folders and files of the site, so it may have up to {limits.MAX_CLIENT_ID}: rename the file")
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
    diags = Problems()
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


def parse_contract(client_id: str, data, rel: str, settings: Settings, diags: Problems) -> Contract | None:
    """One contract file's mapping -> Contract (None when it can't be used at all)."""
    values = read_fields(data, CONTRACT_FIELDS, rel, 1, "contract", diags)
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


def parse_contacts(raw, data: YMap, rel: str, diags: Problems) -> tuple[tuple[str, str], ...]:
    """contacts: a mapping of handle: description, or a list of handles -> ((handle, description), ...)."""
    if raw is None:
        return ()
    line = data.line_of("contacts")
    if isinstance(raw, YList):
        items = [(item, "") for item in raw]
    elif isinstance(raw, YMap):
        items = list(raw.items())
    else:
        diags.error(rel, line, f"contacts must be a mapping of handle: description, got {yaml_kind(raw)}")
        return ()
    contacts = []
    for handle, description in items:
        handle_text = str(handle).strip().lstrip("@").lower()
        if not re.match(r"^[\w.-]+\Z", handle_text):
            diags.error(rel, line, f"contact handle {shown(handle)} must be one word (letters, digits, '.', '-', '_')")
            continue
        try:
            contacts.append((handle_text, "" if description is None else text_field(description)))
        except ValueError as exc:
            diags.error(rel, raw.line_of(handle) if isinstance(raw, YMap) else line, f"contact {handle_text!r}: {exc}")
            diags.dropped += 1
    return tuple(contacts)


def parse_list(raw, data: YMap, key: str, rel: str, diags: Problems, parse_item) -> list:
    """A list field (`terms`, `prepaid`, `quotes`) -> what `parse_item(item, line, rel, diags)` made of each item."""
    if raw is None:
        return []
    if not isinstance(raw, YList):
        diags.error(rel, data.line_of(key), f"{key} must be a list, got {yaml_kind(raw)}")
        return []
    result = []
    for index, item in enumerate(raw):
        parsed = parse_item(item, raw.line_of(index), rel, diags)
        if parsed is not None:
            result.append(parsed)
    return result


def check_unique(records, what: str, rel: str, diags: Problems) -> None:
    """An error for each record whose id (in any case) an earlier one has."""
    seen = {}
    for record in records:
        key = record.id.lower()
        if key in seen:
            diags.error(rel, record.source.line, f"duplicate {what} id {record.id!r} (first at line {seen[key]})")
        else:
            seen[key] = record.source.line


def check_minor_units(values: dict, item: YMap, key: str, code: str | None, rel: str, what: str,
                      diags: Problems) -> bool:
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


# ------------------------------------------------------------------ terms, blocks, quotes


def parse_terms(raw, data: YMap, rel: str, diags: Problems, code: str | None) -> list[Term]:
    """terms: [...] -> the terms that read; an error for an empty list and for two terms starting on one day."""
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


def parse_term(item, line: int, rel: str, diags: Problems, code: str | None = None) -> Term | None:
    """One item of terms: -> Term, None when it has an error (reported)."""
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


def parse_block(item, line: int, rel: str, diags: Problems, code: str | None = None) -> PrepaidBlock | None:
    """One item of prepaid: -> PrepaidBlock (hours, or an incident pack), None when it has an error."""
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


def parse_quote(item, line: int, rel: str, diags: Problems, contacts, code: str | None = None) -> Quote | None:
    """One item of quotes: -> Quote, its approval read as `<date> <contact>`; None when it has an error."""
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
