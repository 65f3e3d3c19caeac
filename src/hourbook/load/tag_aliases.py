"""`tags:` in hourbook.yaml: the names the books' authors type for a tag, and the tag each stands for.

    tags:
      telefono: phone         # `#telefono` in a logbook is `#phone`
      urgente: urgent
      garantia: warranty      # a built-in name already (load.tag_names): accepted, changes nothing

Aliases are applied once the books are read (`load_books`): an entry's tags become the tags
they stand for, and so do the tags a contract names (its terms' `rates`, `surcharge`,
`no_charge`, `covers` and any other tag field, and `show_tags`), so pricing and every later
stage see one name. An alias of `approved` marks the entry approved, as `#approved` does.

A logbook file is read without the settings (a cache keeps what an unchanged file gave), so the
aliases are applied after it is read, here; an entry the aliases change is made again only when
it changed, so that an unchanged entry stays the very same object from one build to the next
(the invariant of `build/caches.py`).
"""

from __future__ import annotations

import dataclasses

from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import ShownTag
from hourbook.core.records import Tag
from hourbook.load.fields import yaml_kind
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_tag
from hourbook.load.scalars import plain_tag
from hourbook.load.tag_names import CANONICAL
from hourbook.load.tag_names import canonical_tag
from hourbook.load.yaml_reader import YMap

APPROVED = "approved"       # as load.logbook_words.APPROVED: the marker, not a tag
Aliases = tuple[tuple[Tag, Tag], ...]


def read_tag_aliases(value, rel: str, line: int, diags: Problems) -> Aliases:
    """hourbook.yaml's `tags: {name: tag}` -> ((name, tag), ...), in file order.

    A name is read as a tag is written (lowercase, one word); what it stands for as a tag is
    read (a built-in name stands for the built-in tag). A built-in name that would stand for
    another tag, a name given twice and an alias of an alias are errors; a name that stands for
    itself, or a built-in name for its own tag, changes nothing and is left out.
    """
    if not isinstance(value, YMap):
        diags.error(rel, line, "tags must be a mapping of the name typed: the tag it stands for, like "
                    f"{{telefono: phone}}, got {yaml_kind(value)}")
        return ()
    aliases: dict[Tag, Tag] = {}
    lines: dict[Tag, int] = {}
    for key, target in value.items():
        key_line = value.line_of(key)
        try:
            name = plain_tag(key)
            if not isinstance(target, str):
                raise ValueError(f"expected the tag {key!r} stands for, got {yaml_kind(target)}")
            tag = parse_tag(target)
        except ValueError as exc:
            diags.error(rel, key_line, f"tags: {exc}")
            continue
        built_in = canonical_tag(name)      # `garantia` -> warranty, `заявка-7` -> ticket-7; else the name
        built_in = built_in if built_in != name or name in CANONICAL else None
        if built_in is not None and built_in != tag:
            what = "a built-in tag" if built_in == name else f"a name of the built-in tag {built_in!r}"
            diags.error(rel, key_line, f"tags: {name!r} is {what}; it cannot stand for {tag!r}")
        elif name in lines:
            diags.error(rel, key_line, f"tags: {name!r} is given twice (names are read in lowercase, without a '#')")
        elif built_in is None and name != tag:
            aliases[name], lines[name] = tag, key_line
        else:
            lines[name] = key_line       # stands for itself: nothing to do, but a second one is still twice
    for name, tag in list(aliases.items()):
        if tag in aliases:
            diags.error(rel, lines[name], f"tags: {name!r} stands for {tag!r}, which stands for "
                        f"{aliases[tag]!r} itself: write {name}: {aliases[tag]}")
    return tuple((name, tag) for name, tag in aliases.items() if tag not in aliases)


# --------------------------------------------------------------- applying them

# Entry -> the same entry with its tags aliased, for the last aliases seen: an entry that did not
# change gives the very same object again (see the module's docstring).
_MADE: dict = {"aliases": None, "entries": {}}
_MAX_MADE = 1_000_000


def alias_entries(entries: list[Entry], aliases: Aliases) -> list[Entry]:
    """`entries` with their tags replaced by the tags they stand for; the very list without aliases."""
    if not aliases:
        return entries
    table = dict(aliases)
    if _MADE["aliases"] != aliases or len(_MADE["entries"]) > _MAX_MADE:
        _MADE["aliases"], _MADE["entries"] = aliases, {}
    made = _MADE["entries"]
    by_tags: dict[tuple[Tag, ...], tuple | None] = {}    # entries share a few hundred tag tuples
    result = []
    for entry in entries:
        tags = entry.tags
        if not tags:
            result.append(entry)
            continue
        change = by_tags.get(tags, False)
        if change is False:
            change = by_tags[tags] = _aliased(tags, table)
        if change is None:
            result.append(entry)
            continue
        aliased = made.get(entry)
        if aliased is None:
            new_tags, approved = change
            aliased = made[entry] = dataclasses.replace(entry, tags=new_tags, approved=entry.approved or approved)
        result.append(aliased)
    return result


def _aliased(tags: tuple[Tag, ...], table: dict[Tag, Tag]) -> tuple[tuple[Tag, ...], bool] | None:
    """(the tags aliased, whether one stood for `approved`), or None when no tag is an alias."""
    if not any(tag in table for tag in tags):
        return None
    new = tuple(dict.fromkeys(table.get(tag, tag) for tag in tags))
    return tuple(tag for tag in new if tag != APPROVED), APPROVED in new


def alias_contract(contract: Contract, aliases: Aliases) -> Contract:
    """`contract` with the tags it names replaced by the tags they stand for; the very contract
    when it names no alias."""
    if not aliases:
        return contract
    table = dict(aliases)
    terms = tuple(_alias_record(term, table) for term in contract.terms)
    shown = alias_shown_tags(contract.show_tags, aliases)
    if all(a is b for a, b in zip(terms, contract.terms)) and shown is contract.show_tags:
        return contract
    return dataclasses.replace(contract, terms=terms, show_tags=shown)


def alias_shown_tags(shown: tuple[ShownTag, ...], aliases: Aliases) -> tuple[ShownTag, ...]:
    """`show_tags` with each tag that is an alias replaced by the tag it stands for; the very
    tuple when none is."""
    table = dict(aliases)
    if not any(item.tag in table for item in shown):
        return shown
    return tuple(ShownTag(table[item.tag], item.names) if item.tag in table else item for item in shown)


def _alias_record(record, table: dict[Tag, Tag]):
    """A term with every field that holds tags aliased: a set or tuple of tags, or (tag, value)
    pairs (`rates`, `surcharge`, and per-tag fields the term may gain)."""
    changes = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        new = alias_tag_field(value, table)
        if new is not value:
            changes[field.name] = new
    return dataclasses.replace(record, **changes) if changes else record


def alias_tag_field(value, table: dict[Tag, Tag]):
    """A field's value with its tags aliased; the very value when it holds no tag or no alias."""
    if isinstance(value, (frozenset, tuple)) and value and all(isinstance(item, str) for item in value):
        if not any(item in table for item in value):
            return value
        return type(value)(table.get(item, item) for item in value)
    if isinstance(value, tuple) and value and all(
            isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in value):
        if not any(item[0] in table for item in value):
            return value
        return tuple((table.get(key, key), item) for key, item in value)
    return value


def tag_fields(record) -> set[Tag]:
    """Every tag a term names (`rates`, `surcharge`, `no_charge`, `covers` and the like), as
    `alias_tag_field` finds them."""
    found: set[Tag] = set()
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, (frozenset, tuple)) and value and all(isinstance(item, str) for item in value):
            found.update(value)
        elif isinstance(value, tuple) and value and all(
                isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in value):
            found.update(key for key, _ in value)
    return found
