"""The items of a contract's lists -> records: `terms:` -> Term, `prepaid:` -> PrepaidBlock, `quotes:` -> Quote,
`estimates:` -> Estimate.

Each item is read by its schema and checked on its own (a retainer's fee, a block's hours or
incidents, a quote's approval); an item with an error is None, reported, and `contracts`
then leaves the whole contract out.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from hourbook.core.money import minor_digits
from hourbook.core.records import Estimate
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Quote
from hourbook.core.records import Source
from hourbook.core.records import Term
from hourbook.load.block_rules import fee_field
from hourbook.load.block_rules import read_used_before
from hourbook.load.fields import Field
from hourbook.load.fields import amount_field
from hourbook.load.fields import count_field
from hourbook.load.fields import duration_by_tag_field
from hourbook.load.fields import hours_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import tag_map_field
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.problems import Problems
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
TERM_FIELDS = {
    "from": Field(parse_date, required=True),
    "until": Field(parse_date),
    "kind": Field(text_field, required=True),
    "label": Field(text_field),
    "rate": Field(amount_field),
    "rates": Field(tag_map_field(amount_field)),
    "increment": Field(parse_duration),
    "free_under": Field(duration_by_tag_field),
    "free_up_to": Field(duration_by_tag_field),
    "deductible": Field(duration_by_tag_field),
    "minimum": Field(parse_duration),
    "surcharge": Field(tag_map_field(parse_percent)),
    "no_charge": Field(parse_tags),
    "fee": Field(fee_field),        # an amount per period, or {year: AMOUNT}
    "covers": Field(parse_tags),
    "included": Field(parse_duration),
    "planned": Field(parse_duration),   # hours planned per period: not billed (core.alerts)
}
RETAINER_ONLY = ("fee", "covers", "included", "planned")
BLOCK_FIELDS = {
    "id": Field(text_field, required=True),
    "bought": Field(parse_date, required=True),
    "hours": Field(hours_field),
    "incidents": Field(count_field),
    "bonus": Field(hours_field),
    "price": Field(amount_field),
    "expires": Field(parse_date),
    "used_before": Field(raw_field),    # minutes, or incidents for a pack: read by block_rules
}
QUOTE_FIELDS = {
    "id": Field(parse_tag, required=True),
    "title": Field(text_field),
    "price": Field(amount_field),
    "estimate": Field(hours_field),
    "approved": Field(raw_field),
    "invoice": Field(parse_date),
}
ESTIMATE_FIELDS = {
    "id": Field(text_field, required=True),
    "hours": Field(hours_field, required=True),
    "tag": Field(parse_tag, required=True),
    "description": Field(text_field),
}


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
    fee_per = ""
    if isinstance(values.get("fee"), tuple):    # fee: {year: 1200}
        fee_per, values["fee"] = values["fee"]
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
    elif "fee" not in values and item.get("fee") is None:    # a fee that cannot be read is reported already
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
        **threshold_values(values),
        minimum=values.get("minimum", 0),
        surcharge=values.get("surcharge", ()),
        no_charge=frozenset(values.get("no_charge", ())),
        fee=values.get("fee"),
        covers=frozenset(values["covers"]) if "covers" in values else None,
        included=values.get("included"),
        fee_per=fee_per,
        planned=values.get("planned"),
    )


def threshold_values(values: dict) -> dict:
    """`free_under`, `free_up_to` and `deductible` as read (minutes, or ((tag, minutes), ...)) -> Term's fields:
    a duration is the term-wide value, a map by tag goes to `<name>_tags` (core/thresholds.py)."""
    fields = {}
    for name in ("free_under", "free_up_to", "deductible"):
        value = values.get(name, 0)
        if isinstance(value, tuple):
            fields[name + "_tags"] = value
        else:
            fields[name] = value
    return fields


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
    used_before = read_used_before(item, values.get("incidents"), rel, diags)
    if used_before is None:
        return None
    return PrepaidBlock(
        id=values["id"],
        bought=values["bought"],
        source=Source(rel, line),
        minutes=values.get("hours", 0) + bonus,
        bonus_minutes=bonus,
        incidents=values.get("incidents"),
        price=values.get("price"),
        expires=values.get("expires"),
        used_before=used_before,
    )


def parse_quote(item, line: int, rel: str, diags: Problems, contacts, code: str | None = None) -> Quote | None:
    """One item of quotes: -> Quote, its approval read as `<date> <contact>`; None when it has an error."""
    values = read_fields(item, QUOTE_FIELDS, rel, line, "quote", diags)
    if values is None or "id" not in values:
        return None
    if not check_minor_units(values, item, "price", code, rel, "quote", diags):
        return None
    if "price" not in values:
        if item.get("price") is None:   # a price that cannot be read is reported already
            written = str(item.get("id")).strip().lstrip("#")
            diags.error(rel, line, f"quote {written!r} has no 'price': its work would be free; "
                        f"give its price (0 if it really is free)")
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


def parse_estimate(item, line: int, rel: str, diags: Problems) -> Estimate | None:
    """One item of estimates: -> Estimate (id, hours, tag, description); None when it has an error."""
    values = read_fields(item, ESTIMATE_FIELDS, rel, line, "estimate", diags)
    if values is None or not {"id", "hours", "tag"} <= values.keys():
        return None
    return Estimate(id=values["id"], minutes=values["hours"], tag=values["tag"], source=Source(rel, line),
                    description=values.get("description", ""))
