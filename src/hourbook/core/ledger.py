"""The ledger: what a client has consumed so far while its entries are priced in order.

Retainer allowances used per period, prepaid-block draws (minutes and incidents, with running
sums so that "used by a day" is a bisection), ticket-to-block assignments and the work logged on
each quote. `core.pricing` writes it entry by entry; `core.period_figures` reads it for each
period's block and quote states.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field




@dataclass
class Ledger:
    """What a client has consumed so far, while its entries are priced in order."""

    allowance_used: dict = field(default_factory=lambda: defaultdict(int))   # (term start, period) -> minutes
    block_draws: list = field(default_factory=list)                          # (date, block id, minutes, incidents)
    block_totals: dict = field(default_factory=dict)                         # block id -> (minutes, incidents)
    draws_by_block: dict = field(default_factory=lambda: defaultdict(list))  # block id -> [(date, minutes, incidents)]
    orders: dict = field(default_factory=dict)                               # id(blocks) -> draw_order(blocks)
    tickets: dict = field(default_factory=dict)                              # ticket tag -> block id
    quote_work: list = field(default_factory=list)                           # (date, quote id, logged minutes)
    # block id -> ([draw dates], [minutes drawn up to each], [incidents up to each]): what a block had
    # used by a day is a bisection, not a pass over its draws for every statement.
    running: dict = field(default_factory=dict)
    in_order: bool = True                                                    # draws came in date order
    # (id(term), kind, minutes, tags, amount) -> `pricing.entry_figures`: what an entry costs before
    # anything is drawn depends on no more, and the same few recur on every line.
    figures: dict = field(default_factory=dict)

    def block_used(self, block_id: str) -> tuple[int, int]:
        """(minutes, incidents) the block has given so far."""
        return self.block_totals.get(block_id, (0, 0))

    def used_by(self, block) -> tuple[int, int]:
        """(minutes, incidents) the block has given so far, counting what it gave before the books (`used_before`)."""
        minutes, incidents = self.block_used(block.id)
        if block.incidents is not None:
            return minutes, incidents + block.used_before
        return minutes + block.used_before, incidents

    def draw(self, day: datetime.date, block_id: str, minutes: int, incidents: int) -> None:
        """Record that an entry of `day` drew minutes (or incidents) from the block."""
        self.block_draws.append((day, block_id, minutes, incidents))
        self.draws_by_block[block_id].append((day, minutes, incidents))
        running = self.running.get(block_id)
        if running is None:
            self.running[block_id] = ([day], [minutes], [incidents])
        else:
            days, minutes_so_far, incidents_so_far = running
            self.in_order = self.in_order and day >= days[-1]
            days.append(day)
            minutes_so_far.append(minutes_so_far[-1] + minutes)
            incidents_so_far.append(incidents_so_far[-1] + incidents)
        used_minutes, used_incidents = self.block_used(block_id)
        self.block_totals[block_id] = (used_minutes + minutes, used_incidents + incidents)
