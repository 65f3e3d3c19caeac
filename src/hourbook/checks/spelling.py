"""Names typed with other accents: a tag or a requester that differs from a known one only by
accents (or case) is a warning that names the known one.

`#gewahrleistung` is not `#gewährleistung` (warranty: no charge) and `@lucía` is not the
contact `lucia` (the work is held): hourbook does not guess, it says so, and `--strict` fails.
Tags are compared in lowercase already (`#Support` is `support`), so what is left to tell is
accents: `load.tag_names.fold` drops them.

Known tags: the built-in ones and their names in every language (`load.tag_names`), the
aliases of hourbook.yaml and the tags they stand for, and every tag a client's contract names
(its terms' `rates`, `surcharge`, `no_charge`, `covers` and like fields, its quote ids,
`show_tags`). Each check is `check_x(books, as_of) -> list[Diagnostic]`, as in `checks.books`.
"""

from __future__ import annotations

import datetime

from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Settings
from hourbook.load.tag_aliases import tag_fields
from hourbook.load.tag_names import CANONICAL
from hourbook.load.tag_names import fold


def check_tag_spelling(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """A tag that is not known but differs from a known one only by accents: a warning naming it."""
    contracts = {contract.id: contract for contract in reversed(books.contracts)}  # the first of an id
    books_tags = _folded(_books_tags(books.settings))
    known_by_client: dict[str, tuple[frozenset[str], dict[str, str]]] = {}
    found: dict[tuple[str, tuple[str, ...]], tuple[tuple[str, str], ...]] = {}
    problems = []
    for entry in books.entries:
        if not entry.tags:
            continue
        key = (entry.client, entry.tags)
        near = found.get(key)
        if near is None:
            known = known_by_client.get(entry.client)
            if known is None:
                known = known_by_client[entry.client] = _known(contracts.get(entry.client), books_tags)
            names, folded = known
            near = found[key] = tuple((tag, folded[fold(tag)]) for tag in entry.tags
                                      if tag not in names and fold(tag) in folded)
        for tag, suggestion in near:
            problems.append(Diagnostic(entry.source, f"tag {tag!r} is not known; did you mean {suggestion!r}?",
                                       WARNING))
    return problems


def check_requester_spelling(books: Books, unused_as_of: datetime.date) -> list[Diagnostic]:
    """A requester who is not among the client's contacts but differs from one only by accents:
    a warning naming the contact (the line is held, or free, as for any other requester)."""
    contracts = {contract.id: contract for contract in reversed(books.contracts)}
    messages: dict[tuple[str, str], str | None] = {}    # (client, requester) -> the warning, or None
    problems = []
    for entry in books.entries:
        by = entry.by
        if not by:
            continue
        key = (entry.client, by)
        if key not in messages:
            messages[key] = _requester_message(contracts.get(entry.client), by)
        message = messages[key]
        if message is not None:
            problems.append(Diagnostic(entry.source, message, WARNING))
    return problems


def _requester_message(contract: Contract | None, by: str) -> str | None:
    """The warning for `by` as a requester of `contract`'s client, None when there is nothing to say."""
    if contract is None or not contract.contacts or any(by == handle for handle, _ in contract.contacts):
        return None
    folded = fold(by)
    near = next((handle for handle, _ in contract.contacts if fold(handle) == folded), None)
    return None if near is None else f"requester {by!r} is not a contact of {contract.id!r}; did you mean {near!r}?"


def _books_tags(settings: Settings) -> list[str]:
    """The tags every client knows, in the order a suggestion is taken from: the aliases and what
    they stand for, `show_tags` of hourbook.yaml, the built-in tags and their names."""
    tags = [name for name, _ in settings.tag_aliases] + [tag for _, tag in settings.tag_aliases]
    tags += [shown.tag for shown in settings.show_tags]
    return tags + list(CANONICAL.values()) + list(CANONICAL)


def _folded(tags: list[str]) -> tuple[frozenset[str], dict[str, str]]:
    """(`tags`, each folded form -> the first of `tags` of that form)."""
    folded: dict[str, str] = {}
    for tag in tags:
        folded.setdefault(fold(tag), tag)
    return frozenset(tags), folded


def _known(contract: Contract | None, books_tags: tuple[frozenset[str], dict[str, str]]
           ) -> tuple[frozenset[str], dict[str, str]]:
    """(the tags known for a client, each folded form -> the first known tag of that form): the
    contract's tags first, then `books_tags` (`_folded(_books_tags(...))`, folded once a run)."""
    if contract is None:
        return books_tags
    tags: list[str] = []
    for term in contract.terms:
        tags += sorted(tag_fields(term))
    tags += [quote.id.lower() for quote in contract.quotes]
    tags += [shown.tag for shown in contract.show_tags]
    names, folded = _folded(tags)
    return names | books_tags[0], {**books_tags[1], **folded}
