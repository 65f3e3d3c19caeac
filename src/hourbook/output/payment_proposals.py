"""Proposed payment records as YAML, ready to save under `payments/` (SPEC §8 "Receivables").

One flow-style record a line, the reason it was matched in a comment beside it; the bank
lines not proposed follow as comments, each with its place in the statement and why. The
text is YAML that `load.yaml_reader` reads back as the same values: a number, client or
reference that would read as something else (`0001` an integer, `true` a boolean) is quoted.
"""

from __future__ import annotations

import json

from hourbook.core.matching import Proposal
from hourbook.core.money import format_money
from hourbook.core.printable import escape_controls
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import parse_yaml

MAX_SHOWN_TEXT = 60                             # characters of remittance text in a comment


def yaml_text(value: str) -> str:
    """A string as a YAML scalar that reads back as itself: plain when it does, else double-quoted."""
    try:
        plain = parse_yaml(f"- {{x: {value}, y: 1}}\n")      # as it stands in a record: inside a flow mapping
    except YamlError:
        plain = None
    if isinstance(plain, list) and plain[0] == {"x": value, "y": 1} and isinstance(plain[0]["x"], str) \
            and not any(char in value for char in "#&*!|>'\"%@`"):
        return value
    return json.dumps(value, ensure_ascii=False)


def comment_text(text: str) -> str:
    """Free text fit for a one-line comment: controls escaped, cut at MAX_SHOWN_TEXT characters."""
    one_line = escape_controls(" ".join(text.split()))
    return one_line if len(one_line) <= MAX_SHOWN_TEXT else one_line[: MAX_SHOWN_TEXT - 1] + "…"


def record_line(proposal: Proposal) -> str:
    """`  - {date: 2026-11-10, invoice: 2026-0001, amount: 226.88, method: transfer, ref: X}  # why`."""
    line = proposal.line
    fields = [f"date: {line.date.isoformat()}"]
    fields.append(f"invoice: {yaml_text(proposal.invoice)}" if proposal.invoice
                  else f"client: {yaml_text(proposal.client)}")
    fields.append(f"amount: {format_money(line.amount, line.currency)}")
    fields.append("method: transfer")
    if line.ref:
        fields.append(f"ref: {yaml_text(line.ref)}")
    return f"  - {{{', '.join(fields)}}}   # {escape_controls(' '.join(proposal.how.split()))}"


def unmatched_line(proposal: Proposal) -> str:
    """`#   statement.xml:57: 2026-11-20 99.00 EUR from "X", "text" (ref R): why`."""
    line = proposal.line
    parts = [f"{line.date.isoformat()} {format_money(line.amount, line.currency)} {line.currency}"]
    if line.payer:
        parts.append(f"from {json.dumps(comment_text(line.payer), ensure_ascii=False)}")
    if line.text:
        parts.append(json.dumps(comment_text(line.text), ensure_ascii=False))
    if line.ref:
        parts.append(f"(ref {comment_text(line.ref)})")
    return f"#   {escape_controls(str(line.source))}: {' '.join(parts)}: {proposal.skipped}"


def proposals_yaml(proposals: list[Proposal], command: str) -> str:
    """The whole output: a header comment, `payments:` with each match, then the lines left out.

    Args:
        proposals: what `core.matching.match_lines` made of the statement's credit lines.
        command: the command as shown in the header (`hourbook payments match statement.xml`).
    """
    matched = [proposal for proposal in proposals if proposal.matched]
    left = [proposal for proposal in proposals if not proposal.matched]
    out = [f"# Proposed by `{escape_controls(command)}`: check each record, then save it under payments/.",
           "payments:" if matched else "payments: []"]
    out.extend(record_line(proposal) for proposal in matched)
    if left:
        out.append("# Not proposed (credit lines of the statement):")
        out.extend(unmatched_line(proposal) for proposal in left)
    return "\n".join(out) + "\n"
