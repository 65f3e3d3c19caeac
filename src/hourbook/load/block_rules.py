"""What a prepaid block says beyond its size: `used_before` (the books start half-way through it)
and the bonus that a `bonus_rule` gives it; and a retainer's annual `fee: {year: 1200}`.

`bonus_rule: {every: 20h, bonus: 1h}` in hourbook.yaml or a contract (the contract's wins) gives
every block of hours `bonus` for each whole `every` bought: a 40 h block gets 2 h. A block that
writes its own `bonus` keeps it; when the rule gives another figure that is a warning at the
block's `bonus` line. `used_before: 8h30m` (or a number of incidents for an incident pack) is what
a block had given before the books begin: its figures start from there.
"""

from __future__ import annotations

import dataclasses

from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import Source
from hourbook.load.fields import amount_field
from hourbook.load.fields import hours_field
from hourbook.load.fields import yaml_kind
from hourbook.load.problems import Problems
from hourbook.load.scalars import shown
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

BonusRule = tuple[int, int]             # (every: minutes bought, bonus: minutes given for each)
RULE_HELP = "a mapping like {every: 20h, bonus: 1h}"


def bonus_rule_field(value) -> BonusRule:
    """`{every: 20h, bonus: 1h}` -> (1200, 60); bare numbers are hours. `every` must be above 0."""
    if not isinstance(value, YMap):
        raise ValueError(f"expected {RULE_HELP}, got {yaml_kind(value)}")
    unknown = [key for key in value if key not in ("every", "bonus")]
    if unknown:
        raise ValueError(f"expected {RULE_HELP}, got the field {shown(unknown[0])}")
    if "every" not in value or "bonus" not in value:
        raise ValueError(f"expected {RULE_HELP}: it needs both 'every' and 'bonus'")
    every = hours_field(value["every"])
    bonus = hours_field(value["bonus"])
    if every <= 0:
        raise ValueError(f"'every' must be more than 0, got {shown(value['every'])}")
    return every, bonus


def fee_field(value):
    """A retainer's `fee`: an amount billed every period, or `{year: 1200}` billed once a year
    (on the term's `from` and each anniversary): the amount, or ("year", amount)."""
    if isinstance(value, YMap):
        if list(value) != ["year"]:
            raise ValueError(f"expected an amount per period, or {{year: AMOUNT}} for an annual fee, "
                             f"got the field{'s' if len(value) > 1 else ''} {', '.join(shown(k) for k in value)}")
        if value["year"] is None:
            raise ValueError("{year: AMOUNT} needs an amount")
        return ("year", amount_field(value["year"]))
    return amount_field(value)


def rule_bonus(rule: BonusRule, bought_minutes: int) -> int:
    """The bonus minutes a rule gives for `bought_minutes`: `bonus` for each whole `every`."""
    every, bonus = rule
    return bought_minutes // every * bonus


def read_used_before(item: YMap, incidents: int | None, rel: str, diags: Problems) -> int | None:
    """A block's `used_before` as minutes (a block of hours) or incidents (an incident pack); 0 when
    absent, None when it cannot be read (reported at its line)."""
    raw = item.get("used_before")
    if raw is None:
        return 0
    line = item.line_of("used_before")
    try:
        if incidents is not None:
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise ValueError(f"for an incident pack, a whole number of incidents, got {shown(raw)}")
            return raw
        return hours_field(raw)
    except ValueError as exc:
        diags.error(rel, line, f"prepaid block field 'used_before': {exc}")
        return None


def check_used_before(block: PrepaidBlock, item: YMap, rel: str, diags: Problems) -> bool:
    """More used before the books than the block holds is an error (False); True when it fits."""
    size = block.incidents if block.incidents is not None else block.minutes
    if block.used_before <= size:
        return True
    what = (f"{block.used_before} incidents, more than the pack's {size}" if block.incidents is not None else
            f"{hours_text(block.used_before)}, more than the block's {hours_text(size)}"
            + (f" (with its {hours_text(block.bonus_minutes)} bonus)" if block.bonus_minutes else ""))
    diags.error(rel, item.line_of("used_before"), f"prepaid block {block.id!r}: used_before is {what}")
    return False


def hours_text(minutes: int) -> str:
    """`20h`, `8h30m`, `0h45m`: hours as the contract writes them."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h" + (f"{rest}m" if rest else "")


def settle_blocks(blocks: list[PrepaidBlock], raw, rule: BonusRule | None, rel: str,
                  diags: Problems) -> list[PrepaidBlock]:
    """The blocks with their bonus and `used_before` settled.

    Blocks of hours with no `bonus` of their own get the rule's; a written one that differs is a
    warning. A block that used more before the books than it holds (bonus included) is an error
    and is left out (then so is its contract: it would price entries by a block it does not have).
    """
    if not isinstance(raw, YList):
        return blocks
    items = {raw.line_of(index): item for index, item in enumerate(raw) if isinstance(item, YMap)}
    result = []
    for block in blocks:
        item = items.get(block.source.line)
        if item is None:
            result.append(block)
            continue
        block = bonus_by_rule(block, item, rule, rel, diags)
        if check_used_before(block, item, rel, diags):
            result.append(block)
    return result


def bonus_by_rule(block: PrepaidBlock, item: YMap, rule: BonusRule | None, rel: str,
                  diags: Problems) -> PrepaidBlock:
    """The block with the rule's bonus when it writes none; a warning when its own differs from the rule's."""
    if rule is None or block.incidents is not None:
        return block
    bought = block.minutes - block.bonus_minutes
    given = rule_bonus(rule, bought)
    if "bonus" not in item:
        return dataclasses.replace(block, minutes=bought + given, bonus_minutes=given)
    if given != block.bonus_minutes:
        every, bonus = rule
        message = (f"prepaid block {block.id!r} has bonus {hours_text(block.bonus_minutes)}, but bonus_rule "
                   f"({hours_text(bonus)} for every {hours_text(every)}) gives {hours_text(given)} for "
                   f"{hours_text(bought)}: the block's own bonus is used")
        diags.append(Diagnostic(Source(rel, item.line_of("bonus")), message, WARNING))
    return block
