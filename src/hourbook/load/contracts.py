"""contracts/<client>.yaml -> `Contract`: the client, its contacts, and its terms, prepaid blocks and
quotes (each item read by `contract_parts`).

A contract with an error is left out whole (and its client named broken), rather than price
its entries by a rule it does not say; its other problems are still reported in the same run.
Whether the terms fit the entries (gaps, overlaps, kinds) is for `checks` and `core.pricing`.
"""

from __future__ import annotations

import re
from pathlib import Path

from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Party
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.load import limits
from hourbook.load.block_rules import settle_blocks
from hourbook.load.block_rules import bonus_rule_field
from hourbook.load.client_view import hours_form_field
from hourbook.load.reminder_fields import contract_reminders
from hourbook.load.settings import due_days_field
from hourbook.load.client_view import merge_show_tags
from hourbook.load.client_view import read_show_tags
from hourbook.load.contract_parts import parse_block
from hourbook.load.contract_parts import parse_list
from hourbook.load.contract_parts import parse_estimate
from hourbook.load.contract_parts import parse_quote
from hourbook.load.contract_parts import parse_terms
from hourbook.load.fields import Field
from hourbook.load.fields import currency_field
from hourbook.load.fields import flag_field
from hourbook.load.fields import lines_field
from hourbook.load.fields import locale_field
from hourbook.load.fields import period_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import report_case_twins
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.files import load_yaml_file
from hourbook.load.listing import BooksFiles
from hourbook.load.listing import relative
from hourbook.load.problems import Problems
from hourbook.load.scalars import CLIENT_ID
from hourbook.load.scalars import parse_percent
from hourbook.load.fee_fields import markup_warning
from hourbook.load.scalars import shown
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

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
    "estimates": Field(raw_field),
    "show_tags": Field(raw_field),
    "hours": Field(hours_form_field),
    "due_days": Field(due_days_field),
    "bonus_rule": Field(bonus_rule_field),
    "business": Field(flag_field),              # business, reminders, late_interest: load.reminder_fields
    "reminders": Field(raw_field),
    "late_interest": Field(raw_field),
    "markup": Field(parse_percent),             # on the cost, for the suggested fee (docs/owner.md)
}

# Client ids that would share a folder of the site with something else: owner/<client>/ is a client's.
RESERVED_IDS = {"reminders": "owner/reminders/ holds the letters `hourbook remind` writes"}


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
        if client_id in RESERVED_IDS:
            diags.error(rel, 1, f"the client id {client_id!r} (the file name) is taken: {RESERVED_IDS[client_id]}; "
                        "rename the file")
            broken.add(client_id)               # its entries are not also unknown clients
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
    # A contract's bonus_rule wins over hourbook.yaml's (a bad one is reported, and the contract left out).
    prepaid = settle_blocks(prepaid, values.get("prepaid"), values.get("bonus_rule", settings.bonus_rule),
                            rel, diags)
    quotes = parse_list(values.get("quotes"), data, "quotes", rel, diags,
                        lambda item, line, r, d: parse_quote(item, line, r, d, contacts, code))
    show_tags = read_show_tags(values["show_tags"], data, rel, diags) if "show_tags" in values else ()
    check_unique(prepaid, "prepaid block", rel, diags)
    check_unique(quotes, "quote", rel, diags)
    # Estimates change no price: one with an error is reported and left out, the contract kept.
    estimates = parse_list(values.get("estimates"), data, "estimates", rel, diags, parse_estimate)
    check_unique(estimates, "estimate", rel, diags)
    check_estimate_tags(estimates, quotes, rel, diags)
    # A contract missing a term, block or quote would price its entries wrongly:
    # leave it out whole rather than report made-up follow-on problems.
    for key, parsed in (("terms", terms), ("prepaid", prepaid), ("quotes", quotes)):
        raw = data.get(key)
        if raw is not None and (not isinstance(raw, YList) or len(raw) != len(parsed)):
            return None
    if not terms:
        return None
    markup_warning(values.get("markup"), rel, data.line_of("markup"), diags)
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
        estimates=tuple(estimates),
        show_tags=merge_show_tags(settings.show_tags, show_tags),
        hours=values.get("hours", settings.hours),
        due_days=values.get("due_days"),
        markup=values.get("markup"),
        **contract_reminders(values, data, rel, settings, values.get("currency", settings.currency), diags),
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


def check_estimate_tags(estimates, quotes, rel: str, diags: Problems) -> None:
    """An error for an estimate whose tag another estimate or a quote already has: the work would count twice."""
    seen = {quote.id.lower(): f"quote {quote.id!r}" for quote in quotes}
    for estimate in estimates:
        if estimate.tag in seen:
            diags.error(rel, estimate.source.line, f"estimate {estimate.id!r}: its tag {estimate.tag!r} already "
                        f"counts the work of {seen[estimate.tag]}; give each estimate a tag of its own")
        else:
            seen[estimate.tag] = f"estimate {estimate.id!r}"


def check_unique(records, what: str, rel: str, diags: Problems) -> None:
    """An error for each record whose id (in any case) an earlier one has."""
    seen = {}
    for record in records:
        key = record.id.lower()
        if key in seen:
            diags.error(rel, record.source.line, f"duplicate {what} id {record.id!r} (first at line {seen[key]})")
        else:
            seen[key] = record.source.line
