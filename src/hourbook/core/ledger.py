"""The ledger: what a client has consumed so far while its entries are priced in order.

Retainer allowances used per period, prepaid-block draws (minutes and incidents, with running
sums so that "used by a day" is a bisection), ticket-to-block assignments and the work logged on
each quote. `core.pricing` writes it entry by entry; `core.period_figures` reads it for each
period's block and quote states.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field


@dataclass
class Ledger:
    """What a client has consumed so far, while its entries are priced in order."""

    allowance_used: dict = field(default_factory=lambda: defaultdict(int))   # (term start, period) -> minutes
    orders: dict = field(default_factory=dict)                               # id(blocks) -> draw_order(blocks)
    tickets: dict = field(default_factory=dict)                              # ticket tag -> block id
    quote_work: list = field(default_factory=list)                           # (date, quote id, logged minutes)
    # block id -> ([draw dates], [minutes drawn up to each], [incidents up to each]), in the order drawn:
    # what a block has given so far is the last of the sums, and what it had given by a day a
    # bisection, not a pass over its draws for every statement.
    running: dict = field(default_factory=dict)
    in_order: bool = True                                                    # draws came in date order
    # (id(term), kind, minutes, tags, amount) -> `pricing.entry_figures`: what an entry costs before
    # anything is drawn depends on no more, and the same few recur on every line.
    figures: dict = field(default_factory=dict)
    zeros: dict = field(default_factory=dict)                                # currency -> zero in its minor unit

    def block_used(self, block_id: str) -> tuple[int, int]:
        """(minutes, incidents) the block has given so far."""
        running = self.running.get(block_id)
        return (running[1][-1], running[2][-1]) if running is not None else (0, 0)

    def used_by(self, block) -> tuple[int, int]:
        """(minutes, incidents) the block has given so far, counting what it gave before the books (`used_before`)."""
        minutes, incidents = self.block_used(block.id)
        if block.incidents is not None:
            return minutes, incidents + block.used_before
        return minutes + block.used_before, incidents

    def used_on(self, block_id: str, day: datetime.date) -> tuple[int, int]:
        """(minutes, incidents) the block had given by the close of `day` (without `used_before`)."""
        running = self.running.get(block_id)
        if running is None:
            return 0, 0
        days, minutes, incidents = running
        if self.in_order:
            drawn = bisect.bisect_right(days, day)
            return (minutes[drawn - 1], incidents[drawn - 1]) if drawn else (0, 0)
        used = used_incidents = before_minutes = before_incidents = 0
        for drawn_on, minutes_so_far, incidents_so_far in zip(days, minutes, incidents):
            if drawn_on <= day:
                used += minutes_so_far - before_minutes
                used_incidents += incidents_so_far - before_incidents
            before_minutes, before_incidents = minutes_so_far, incidents_so_far
        return used, used_incidents

    def draw(self, day: datetime.date, block_id: str, minutes: int, incidents: int) -> None:
        """Record that an entry of `day` drew minutes (or incidents) from the block."""
        running = self.running.get(block_id)
        if running is None:
            self.running[block_id] = ([day], [minutes], [incidents])
            return
        days, minutes_so_far, incidents_so_far = running
        if day < days[-1]:
            self.in_order = False
        days.append(day)
        minutes_so_far.append(minutes_so_far[-1] + minutes)
        incidents_so_far.append(incidents_so_far[-1] + incidents)
