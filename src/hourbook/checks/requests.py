"""Checks of `reasons:` (hourbook.yaml, docs/requests.md): a reason says why a client asked, so a
flag that says how the work is charged or handled is never one.

Flags are the built-in tags (`#warranty`, `#goodwill`, `#approved`), `#again`, `#ticket-…` tags,
quote ids, and every tag a contract prices by (`surcharge:`, `rates:`, `no_charge:`), such as
`#urgent`. Each flag listed as a reason is a warning at the line of `reasons:`, and it is not
counted as a reason (`reason_tags`).
"""

from __future__ import annotations

import datetime

from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.core.records import Tag
from hourbook.core.requests import AGAIN_TAG
from hourbook.core.requests import TICKET_PREFIX
from hourbook.load.tag_names import TAG_NAMES


def flag_tags(books: Books) -> dict[Tag, str]:
    """Every flag of the books -> why it is one (English, for the owner's diagnostics)."""
    flags: dict[Tag, str] = {tag: "a built-in tag" for tag in TAG_NAMES}
    flags[AGAIN_TAG] = "the mark of a request logged again"
    for contract in books.contracts:
        for quote in contract.quotes:
            flags.setdefault(quote.id.lower(), "a quote id")
        for term in contract.terms:
            for tag, _ in term.surcharge:
                flags.setdefault(tag, "a surcharge tag")
            for tag, _ in term.rates:
                flags.setdefault(tag, "a tag with its own rate")
            for tag in term.no_charge:
                flags.setdefault(tag, "a no-charge tag")
    return flags


def reason_tags(books: Books) -> tuple[Tag, ...]:
    """The `reasons:` tags that count: the flags left out, in the owner's order."""
    flags = flag_tags(books)
    return tuple(item.tag for item in books.settings.reasons
                 if item.tag not in flags and not item.tag.startswith(TICKET_PREFIX))


def check_reasons(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """A warning for each flag listed under `reasons:`; it is not counted as a reason."""
    flags = flag_tags(books)
    problems = []
    for item in books.settings.reasons:
        why = "a ticket" if item.tag.startswith(TICKET_PREFIX) else flags.get(item.tag)
        if why:
            problems.append(Diagnostic(
                Source(books.settings.source.path, books.settings.reasons_line),
                f"reasons: #{item.tag} is {why}, a flag, not a reason why a client asks; "
                "it is not counted as a reason", WARNING))
    return problems
