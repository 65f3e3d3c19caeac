"""hourbook.yaml's `fee:`: how the owner's pages suggest a fee and which schemes they compare (docs/owner.md).

A record of its own so that `core.records` stays small; `core.fee` and `core.schemes` use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MARKUP_LOW = Decimal("0.3")             # the sane markup range: a markup outside it is warned about
MARKUP_HIGH = Decimal("1")


@dataclass(frozen=True)
class FeeRules:
    """`fee: {window: 6, markup: 50%, round_to: 50, blocks: [10, 20, 40], incident_pack: {incidents: 10, price: 400}}`."""

    window: int = 6                             # periods of history the fee is averaged over
    markup: Decimal = Decimal("0.5")            # on top of the cost of the work (a contract's `markup:` wins)
    round_to: Decimal = Decimal("50")           # the fee is rounded up to a multiple of this
    blocks: tuple[int, ...] = ()                # prepaid block sizes the owner sells, in hours
    incident_pack: tuple[int, Decimal] | None = None    # (incidents, price) of the pack the owner sells
