"""What a party's tax id is called, by the id's country; and why a 0 % tax line charges none.

A tax id is named as its own country names it, whatever the page's language: a Spanish
`ESB87245130` is a NIF-IVA on a German invoice too, a Bulgarian `BG204671358` an ИН по ДДС
on a Spanish statement. The country is the id's two-letter prefix; an id without one (a
Russian ИНН, a Kazakh БИН are digits) takes the country of the party's address, else the
country of the locale the party is written for (`ru` -> RU, `en_GB` -> GB). Countries
without a name of their own in `COUNTRY_LABELS` get the page's own word for a VAT id
(`tax_id_vat`) or for any other tax id (`tax_id_other`).

Pure: no files; the words come from the page's messages.
"""

from __future__ import annotations

from typing import Mapping

from babel import Locale
from babel import UnknownLocaleError
from babel.core import get_global

from hourbook.core.invoice import country_of
from hourbook.core.invoice import exemption_for
from hourbook.core.invoice import vat_id
from hourbook.core.records import Contract
from hourbook.core.records import Party
from hourbook.core.records import Settings
from hourbook.render.filters import translate

# Country -> (name of its VAT id, with the country prefix; name of its tax id without one).
COUNTRY_LABELS = {
    "ES": ("NIF-IVA", "NIF"),
    "DE": ("USt-IdNr.", "Steuernummer"),
    "AT": ("UID", "Steuernummer"),
    "BG": ("ИН по ДДС", "ЕИК"),
    "RU": ("ИНН", "ИНН"),
    "KZ": ("БИН", "БИН"),
}


def locale_country(locale: str) -> str | None:
    """The country a locale is written for: its region (`en_GB` -> GB), else its language's most
    likely one by CLDR (`ru` -> RU, `bg` -> BG, `en` -> US)."""
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    if parsed.territory:
        return parsed.territory
    likely = get_global("likely_subtags").get(parsed.language, "")
    region = likely.split("_")[-1]
    return region if len(region) == 2 and region.isalpha() else None


def tax_id_label(party: Party, messages: Mapping[str, str], locale: str) -> str:
    """What `party`'s tax id is called: by its prefix's country, else by its address's, else by `locale`'s.

    Args:
        party: the seller or the client; its `tax_id` should not be empty.
        messages: the page's messages, for the words of countries without a name of their own.
        locale: the locale the party is written for (the contract's, or the books' for the seller).
    """
    prefixed = vat_id(party)
    if prefixed:
        country = country_of(Party(name="", tax_id=prefixed))
        if country in COUNTRY_LABELS:
            return COUNTRY_LABELS[country][0]
        if country is not None:
            return translate(messages, "tax_id_vat")
    country = (country_of(Party(name="", address=party.address)) if party.address else None) or locale_country(locale)
    if country in COUNTRY_LABELS:
        return COUNTRY_LABELS[country][1]
    return translate(messages, "tax_id_other")


def vat_reason(contract: Contract, settings: Settings, messages: Mapping[str, str]) -> str:
    """Why a contract charges no tax, in its language: the exemption's note in hourbook.yaml for the
    contract's locale, else the word for its VAT category (`vat_reason_AE` …); "" when it charges tax
    or hourbook.yaml says nothing (check then reports the exemption missing before any invoice)."""
    if contract.tax != 0:
        return ""
    exemption = exemption_for(contract.id, settings)
    if exemption is None:
        return ""
    return exemption.note.text_for(contract.locale) or translate(messages, f"vat_reason_{exemption.category}")


def statement_tax_words(contract: Contract, settings: Settings, messages: Mapping[str, str]) -> dict:
    """What a statement's template gets: `tax_label(party)` (the seller's id named for the books' locale,
    the client's for the contract's) and `tax_reason` (why its 0 % tax row charges none, or "")."""
    def label(party: Party) -> str:
        return tax_id_label(party, messages, settings.locale if party is settings.seller else contract.locale)

    return {"tax_label": label, "tax_reason": vat_reason(contract, settings, messages)}


def vat_reasons(messages: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Every VAT category's reason in `messages`' language, for `core.invoice.Wording`."""
    return tuple((category, translate(messages, f"vat_reason_{category}")) for category in VAT_CATEGORIES)


VAT_CATEGORIES = ("E", "AE", "K", "G", "O", "Z")
