"""The built-in tags' names in every supported language, and how tags compare without accents.

A logbook is written in its author's language: `#garantía` is `#warranty`, `#Kulanz` is
`#goodwill`, `#одобрено` is `#approved`, `#заявка-201` is `#ticket-201`. Reading a tag gives the
built-in tag itself (`parse_tag` in `scalars`), so pricing and every later stage see one name,
whatever language it was typed in. Names are accepted in every language, not only the client's:
the one who writes the logbook is the seller, who may bill clients in other languages.

The names are one-word tags (letters, digits, `-`, `_`, `.`, `/`), lowercase. A name a language
writes in several words is written with `-` (`жест-доброй-воли`); a single word people would tag
with comes first where there is one (`бесплатно`, "free of charge", for goodwill in Russian).
ASCII spellings of accented names are listed too (`garantia`, `gewaehrleistung`): people type
them on keyboards without the accent.

This module holds data and pure functions only: `scalars` reads tags with it.
"""

from __future__ import annotations

import unicodedata

# Built-in tag -> language -> its names there, the first one the usual one. The English name
# is the built-in tag itself (core.pricing.BUILT_IN_NO_CHARGE, load.logbook_words.APPROVED).
TAG_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "warranty": {
        "en": ("warranty",),
        "es": ("garantía", "garantia"),
        "de": ("gewährleistung", "gewaehrleistung", "garantie"),
        "ru": ("гарантия",),
        "bg": ("гаранция",),
    },
    "goodwill": {
        "en": ("goodwill",),
        "es": ("cortesía", "cortesia"),
        "de": ("kulanz",),
        "ru": ("бесплатно", "жест-доброй-воли"),
        "bg": ("безплатно", "жест-на-добра-воля"),
    },
    "approved": {          # a marker, not a tag: the requester was approved after the fact
        "en": ("approved",),
        "es": ("aprobado", "aprobada"),
        "de": ("freigegeben", "genehmigt"),
        "ru": ("утверждено", "одобрено"),
        "bg": ("одобрено",),
    },
}
# `#ticket-201` in each language: the prefix of tags that name one incident of a pack.
TICKET_PREFIX = "ticket-"
TICKET_PREFIXES: dict[str, tuple[str, ...]] = {
    "en": ("ticket-",),
    "es": ("incidencia-",),
    "de": ("ticket-",),
    "ru": ("заявка-", "тикет-"),
    "bg": ("заявка-", "тикет-"),
}

# Every name -> its built-in tag (the built-in tags themselves included).
CANONICAL: dict[str, str] = {
    name: tag for tag, languages in TAG_NAMES.items() for names in languages.values() for name in names
}
_OTHER_TICKET_PREFIXES = tuple(sorted({prefix for prefixes in TICKET_PREFIXES.values() for prefix in prefixes}
                                      - {TICKET_PREFIX}))


def canonical_tag(tag: str) -> str:
    """The built-in tag that `tag` (lowercase) is a name of, `ticket-N` for a ticket in another
    language; else `tag` itself."""
    if tag.isascii() and "-" not in tag and tag not in CANONICAL:
        return tag          # nearly every tag: none of the names
    name = CANONICAL.get(tag)
    if name is not None:
        return name
    for prefix in _OTHER_TICKET_PREFIXES:
        if tag.startswith(prefix) and len(tag) > len(prefix):
            return TICKET_PREFIX + tag[len(prefix):]
    return tag


def fold(text: str) -> str:
    """`text` without accents and case, to tell names that differ only by them
    (`Garantía`, `garantia` -> `garantia`; `удалённо` -> `удаленно`)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
