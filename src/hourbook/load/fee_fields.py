"""hourbook.yaml's `fee:` and a contract's `markup:` -> `FeeRules` and a markup (docs/owner.md, "The right fee").

`fee: {window: 6, markup: 50%, round_to: 50, blocks: [10, 20, 40], incident_pack: {incidents: 10, price: 400}}`.
A markup outside MARKUP_LOW..MARKUP_HIGH (30 %..100 %) is read but warned about, at its line.
"""

from __future__ import annotations

from hourbook.core.fee_rules import MARKUP_HIGH
from hourbook.core.fee_rules import MARKUP_LOW
from hourbook.core.fee_rules import FeeRules
from hourbook.core.fee import percent_text
from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.load.fields import Field
from hourbook.load.fields import amount_field
from hourbook.load.fields import count_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_percent
from hourbook.load.yaml_reader import YMap


def block_sizes_field(value) -> tuple[int, ...]:
    """A list of block sizes in whole hours above 0: `[10, 20, 40]`."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a list of block sizes in hours, like [10, 20, 40], got {value!r}")
    return tuple(count_field(item) for item in value)


FEE_FIELDS = {
    "window": Field(count_field),
    "markup": Field(parse_percent),
    "round_to": Field(amount_field),
    "blocks": Field(block_sizes_field),
    "incident_pack": Field(raw_field),
}
PACK_FIELDS = {"incidents": Field(count_field, required=True), "price": Field(amount_field, required=True)}


def markup_warning(markup, rel: str, line: int, diags: Problems) -> None:
    """Warn about a markup outside the sane range (30 %..100 %); it is still used."""
    if markup is not None and not MARKUP_LOW <= markup <= MARKUP_HIGH:
        diags.append(Diagnostic(Source(rel, line), f"markup {percent_text(markup)} is outside the usual 30%..100%; "
                                f"the suggested fee uses it anyway: check it", WARNING))


def read_fee_rules(raw, rel: str, line: int, diags: Problems) -> FeeRules:
    """`fee:` -> FeeRules (the defaults for what is missing or cannot be read)."""
    values = read_fields(raw, FEE_FIELDS, rel, line, "fee", diags) or {}
    pack = None
    if "incident_pack" in values:
        pack_line = raw.line_of("incident_pack") if isinstance(raw, YMap) else line
        fields = read_fields(values["incident_pack"], PACK_FIELDS, rel, pack_line, "incident_pack", diags) or {}
        if "incidents" in fields and "price" in fields:
            pack = (fields["incidents"], fields["price"])
    if "markup" in values:
        markup_warning(values["markup"], rel, raw.line_of("markup"), diags)
    rules = {key: values[key] for key in ("window", "markup", "round_to", "blocks") if key in values}
    return FeeRules(**rules, incident_pack=pack)
