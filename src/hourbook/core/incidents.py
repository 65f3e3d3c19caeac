"""Which incident of a pack each covered line used: "incident 3 of 10, ticket 201". Pure.

Pricing (`core.pricing.draw_blocks`) draws one incident of a pack for an entry, or none when one
of the entry's `#ticket-…` tags already drew on that pack. This module replays those draws over
a client's priced lines, in pricing order, and numbers them: the n-th incident drawn from a pack
is incident n, and every later line of the same ticket on that pack shares its number. It
reads lines only; it changes no price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from hourbook.core.pricing import TICKET_PREFIX
from hourbook.core.records import COVERED
from hourbook.core.records import Contract
from hourbook.core.records import Line
from hourbook.core.records import Source


@dataclass(frozen=True)
class IncidentUse:
    """The incident of a pack a line used: its number, the pack's size, and the line's tickets."""

    block: str
    number: int             # 1-based
    of: int                 # the pack's incidents
    tickets: tuple[str, ...]   # ticket numbers as written after `#ticket-` (`201`)


def ticket_numbers(tags: Iterable[str]) -> tuple[str, ...]:
    """`('ticket-201', 'urgent')` -> `('201',)`."""
    return tuple(tag[len(TICKET_PREFIX):] for tag in tags if tag.startswith(TICKET_PREFIX) and len(tag) > len(TICKET_PREFIX))


def number_incidents(lines: Iterable[Line], contract: Contract) -> dict[tuple[Source, str], IncidentUse]:
    """Each line covered by an incident pack -> the incident it used, keyed by (entry source, pack id).

    Args:
        lines: every priced line of the client, any order (they are put in pricing order here).
        contract: the client's contract, for its packs.
    """
    packs = {block.id: block.incidents for block in contract.prepaid if block.incidents is not None}
    if not packs:
        return {}                                   # most clients: nothing to sort
    drawn: dict[str, int] = {}                      # pack id -> incidents drawn so far
    ticket_of: dict[str, tuple[str, int]] = {}      # ticket tag -> (pack id, incident number)
    uses: dict[tuple[Source, str], IncidentUse] = {}
    ordered = sorted(lines, key=lambda line: (line.entry.date, line.entry.source.path, line.entry.source.line))
    for line in ordered:
        if line.status != COVERED or line.cover not in packs:
            continue
        pack = line.cover
        key = (line.entry.source, pack)
        if key in uses:
            continue
        tickets = [tag for tag in line.entry.tags if tag.startswith(TICKET_PREFIX)]
        known = [ticket_of[tag][1] for tag in tickets if ticket_of.get(tag, ("", 0))[0] == pack]
        if known:
            number = known[0]
        else:
            drawn[pack] = drawn.get(pack, 0) + 1
            number = drawn[pack]
            for tag in tickets:
                ticket_of.setdefault(tag, (pack, number))
        uses[key] = IncidentUse(pack, number, packs[pack], ticket_numbers(line.entry.tags))
    return uses
