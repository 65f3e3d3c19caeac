"""hourbook.yaml -> `Settings`: the seller, defaults for the contracts, the team, the site, invoices.

Every problem is a located error and the rest is still read; with no usable file the books
get fallback settings (a seller named `(no seller)`) so that their other files are checked too.
"""

from __future__ import annotations

import os
import re
import string
from pathlib import Path

from hourbook.core.records import HOURS_CLOCK
from hourbook.core.records import LocalText
from hourbook.core.records import Party
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import TeamMember
from hourbook.core.records import VatExemption
from hourbook.load.block_rules import bonus_rule_field
from hourbook.load.exchange_rates import read_exchange_rates
from hourbook.load.client_view import hours_form_field
from hourbook.load.client_view import read_show_tags
from hourbook.load.fields import Field
from hourbook.load.fields import amount_field
from hourbook.load.fields import currency_field
from hourbook.load.fields import handle_field
from hourbook.load.fields import lines_field
from hourbook.load.fields import local_text_field
from hourbook.load.fields import locale_field
from hourbook.load.fields import period_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import report_case_twins
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.files import load_yaml_file
from hourbook.load.listing import SETTINGS_FILE
from hourbook.load.scalars import parse_percent
from hourbook.load.problems import Problems
from hourbook.load.reminder_fields import settings_reminders
from hourbook.load.tag_aliases import alias_shown_tags
from hourbook.load.tag_aliases import read_tag_aliases
from hourbook.load.yaml_reader import YMap

# A BIC (ISO 9362): bank (4 letters), country (2 letters), location (2), and a branch (3) or none.
BIC_SHAPE = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
NUMBER_FORMAT = "{year}-{seq:04d}"                 # invoice numbers when hourbook.yaml says none
CREDIT_NUMBER_FORMAT = "R{year}-{seq:04d}"         # corrective invoices', in a series of their own


def bic_field(value) -> str:
    """The seller's BIC, 8 or 11 characters (`CAIXESBB`, `CAIXESBBXXX`), read without spaces and in capitals."""
    text = text_field(value).replace(" ", "").upper()
    if not BIC_SHAPE.fullmatch(text):
        raise ValueError(f"expected a BIC of 8 or 11 letters and digits (bank, country, location, branch), "
                         f"like CAIXESBBXXX, got {str(value)!r}")
    return text


PARTY_FIELDS = {
    "name": Field(text_field, required=True),
    "address": Field(lines_field),
    "tax_id": Field(text_field),
    "email": Field(text_field),
    "iban": Field(text_field),
    "bic": Field(bic_field),
}
SETTINGS_FIELDS = {
    "seller": Field(raw_field, required=True),
    "currency": Field(currency_field),
    "locale": Field(locale_field),
    "period": Field(period_field),
    "cost": Field(amount_field),
    "team": Field(raw_field),
    "site": Field(raw_field),
    "invoice": Field(raw_field),
    "show_tags": Field(raw_field),
    "reasons": Field(raw_field),                # tags that say why clients ask: docs/requests.md
    "hours": Field(hours_form_field),
    "tags": Field(raw_field),                   # aliases: load.tag_aliases
    "bonus_rule": Field(bonus_rule_field),
    "reminders": Field(raw_field),              # reminders and late_interest: load.reminder_fields
    "late_interest": Field(raw_field),
    "owner_currency": Field(currency_field),    # the owner's pages' currency (docs/owner.md)
    "exchange_rates": Field(raw_field),         # load.exchange_rates
    "alerts": Field(raw_field),                 # {given_away: 20%}: core.alerts
}
ALERT_FIELDS = {"given_away": Field(parse_percent)}
TEAM_MEMBER_FIELDS = {"name": Field(text_field), "cost": Field(amount_field)}


def load_settings(root: Path, path: Path | None, diags: Problems) -> Settings:
    """hourbook.yaml -> Settings; `path` None when the listing found no file to read there."""
    rel = SETTINGS_FILE
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
    values = read_fields(data, SETTINGS_FIELDS, rel, 1, "hourbook.yaml", diags)
    if values is None:
        return fallback
    seller = fallback.seller
    if "seller" in values:
        fields = read_fields(values["seller"], PARTY_FIELDS, rel, data.line_of("seller"), "seller", diags)
        if fields and "name" in fields:
            seller = Party(**fields)
    team = read_team(values["team"], rel, data.line_of("team"), diags) if "team" in values else ()
    base_url = ""
    if "site" in values:
        fields = read_fields(values["site"], {"base_url": Field(text_field)}, rel, data.line_of("site"), "site", diags)
        base_url = (fields or {}).get("base_url", "").rstrip("/")
    locale = values.get("locale", "en")
    aliases = read_tag_aliases(values["tags"], rel, data.line_of("tags"), diags) if "tags" in values else ()
    show_tags = read_show_tags(values["show_tags"], data, rel, diags) if "show_tags" in values else ()
    invoice = read_invoice(values["invoice"], rel, data.line_of("invoice"), locale, diags) if "invoice" in values else {}
    owner_currency = values.get("owner_currency", values.get("currency", "EUR"))
    rates = (read_exchange_rates(values["exchange_rates"], rel, data.line_of("exchange_rates"), owner_currency, diags)
             if "exchange_rates" in values else ())
    alerts = (read_fields(values["alerts"], ALERT_FIELDS, rel, data.line_of("alerts"), "alerts", diags) or {}
              if "alerts" in values else {})
    return Settings(
        seller=seller,
        currency=values.get("currency", "EUR"),
        locale=locale,
        period=values.get("period", "month"),
        bonus_rule=values.get("bonus_rule"),
        cost=values.get("cost"),
        team=team,
        base_url=base_url,
        number_format=invoice.get("number", NUMBER_FORMAT),
        credit_number_format=invoice.get("credit_number", CREDIT_NUMBER_FORMAT),
        invoice_note=invoice.get("note", LocalText()),
        due_days=invoice.get("due_days", 30),
        vat_exemptions=invoice.get("exemptions", ()),
        show_tags=alias_shown_tags(show_tags, aliases),
        hours=values.get("hours", HOURS_CLOCK),
        tag_aliases=aliases,
        **settings_reminders(values, data, rel, values.get("currency", "EUR"), diags),
        owner_currency=values.get("owner_currency", ""),
        exchange_rates=rates,
        exchange_rates_line=data.line_of("exchange_rates") if "exchange_rates" in values else 0,
        **({"given_away_alert": alerts["given_away"]} if "given_away" in alerts else {}),
        reasons=alias_shown_tags(read_show_tags(values["reasons"], data, rel, diags, "reasons"), aliases)
        if "reasons" in values else (),
        reasons_line=data.line_of("reasons") if "reasons" in values else 0,
    )


def read_team(team_map, rel: str, line: int, diags: Problems) -> tuple[TeamMember, ...]:
    """team: {id: {name, cost}} -> the team members; a member whose id can't be read is left out."""
    if not isinstance(team_map, YMap):
        diags.error(rel, line, "team must be a mapping of id: {name, cost}")
        return ()
    team = []
    for member_id, member in team_map.items():
        try:
            worker = handle_field(member_id)     # as `worker:` is read: one word, any case
        except ValueError as exc:
            diags.error(rel, team_map.line_of(member_id), f"team member id: {exc} (letters, digits, "
                        "'.', '-', '_'), as written after worker:")
            continue
        fields = read_fields(member, TEAM_MEMBER_FIELDS, rel, team_map.line_of(member_id),
                             f"team member {member_id!r}", diags)
        if fields is not None:
            team.append(TeamMember(worker, fields.get("name", worker), fields.get("cost")))
    return tuple(team)


# ------------------------------------------------------------------ invoice:


def read_invoice(invoice_map, rel: str, line: int, books_locale: str, diags: Problems) -> dict:
    """invoice: {number, credit_number, note, due_days, exemptions} -> the values read, by field name.

    `note` and each exemption's note may be a map by language; a plain string is in `books_locale`.
    """
    invoice = read_fields(invoice_map, INVOICE_FIELDS, rel, line, "invoice", diags) or {}
    if "note" in invoice:
        invoice["note"] = local_text_field(invoice["note"], books_locale, rel, invoice_map.line_of("note"),
                                           "invoice field 'note'", diags)
    if invoice.get("number", NUMBER_FORMAT) == invoice.get("credit_number", CREDIT_NUMBER_FORMAT):
        diags.error(rel, invoice_map.line_of("credit_number"),
                    "invoice field 'credit_number' must differ from 'number': corrective invoices "
                    "are numbered in a series of their own")
    if "exemptions" in invoice:
        invoice["exemptions"] = read_exemptions(invoice["exemptions"], rel, invoice_map, books_locale, diags)
    return invoice


_NUMBER_SPEC = re.compile(r"^(?:0?[1-9][0-9]?)?d?$")  # '', 'd', '4', '04d': a width below 100


def number_pattern_field(value) -> str:
    """An invoice number pattern: text with {year} and {seq}, which may have a width ({seq:04d}).

    Only those two fields, with no attribute, index or conversion: the pattern comes from
    the books and is formatted by `str.format`, which would otherwise reach into objects
    (`{seq.real}`) or build strings of any size (`{seq:0999999999d}`).
    """
    pattern = text_field(value)
    example = "like '{year}-{seq:04d}'"
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)
                  if name is not None]
    except ValueError as exc:
        raise ValueError(f"expected a pattern with {{year}} and {{seq}}, {example}: {exc}") from None
    for name, spec, conversion in fields:
        if name not in ("year", "seq") or conversion or not _NUMBER_SPEC.match(spec or ""):
            written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise ValueError(f"{written} cannot be used: an invoice number takes {{year}} and {{seq}} (a width below 100), "
                             f"{example}")
    if not any(name == "seq" for name, _, _ in fields):
        raise ValueError("an invoice number pattern needs {seq}")
    return pattern


def due_days_field(value) -> int:
    """Days an invoice gives for payment: a whole number from 0 to 3650."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
        raise ValueError(f"expected a number of days from 0 to 3650, got {value!r}")
    return value


INVOICE_FIELDS = {
    "number": Field(number_pattern_field),
    "credit_number": Field(number_pattern_field),
    "note": Field(raw_field),                   # text, or a map by language: local_text_field
    "due_days": Field(due_days_field),
    "exemptions": Field(raw_field),
}
# EN 16931 VAT categories for invoices without VAT; every one but Z needs a note (BT-120).
VAT_EXEMPTION_CATEGORIES = {
    "E": "exempt", "AE": "reverse charge", "K": "intra-community supply",
    "G": "export outside the EU", "O": "not subject to VAT", "Z": "zero rated",
}
EXEMPTION_FIELDS = {"category": Field(text_field, required=True), "note": Field(raw_field)}


def read_exemptions(value, rel: str, invoice: YMap, books_locale: str, diags: Problems) -> tuple[VatExemption, ...]:
    """invoice: {exemptions: {client: {category: AE, note: "..."}}} -> VatExemption records."""
    line = invoice.line_of("exemptions")
    if not isinstance(value, YMap):
        diags.error(rel, line, f"invoice field 'exemptions' must be a mapping of client: {{category, note}}, "
                    f"got {yaml_kind(value)}")
        return ()
    codes = ", ".join(f"{code} ({name})" for code, name in VAT_EXEMPTION_CATEGORIES.items())
    result = []
    for client, item in value.items():
        item_line = value.line_of(client)
        fields = read_fields(item, EXEMPTION_FIELDS, rel, item_line, f"exemption for {client!r}", diags)
        if not fields or "category" not in fields:
            continue
        category = fields["category"].strip().upper()
        if category not in VAT_EXEMPTION_CATEGORIES:
            diags.error(rel, item.line_of("category"), f"unknown VAT category {fields['category']!r}; use one of {codes}")
            continue
        note = LocalText()
        if "note" in fields:
            note = local_text_field(fields["note"], books_locale, rel, item.line_of("note"),
                                    f"the note of the exemption for {client!r}", diags)
        if not note and category != "Z":
            diags.error(rel, item_line, f"exemption for {client!r} needs a note: the invoice must say why no VAT "
                        "is charged (e.g. 'Reverse charge: art. 196 Directive 2006/112/EC')")
            continue
        result.append(VatExemption(str(client), category, note, Source(rel, item_line)))
    return tuple(result)
