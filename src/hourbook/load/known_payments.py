"""What `payments/` already records, as far as `payments match` needs it: bank refs, amounts per invoice.

A minimal, forgiving reader of SPEC §8's payments files (`payments/**/*.yaml`, each a mapping
with `payments:` a list of `{date, amount, invoice | client, method?, ref?}`), so that a bank
line already recorded is not proposed again and an invoice part paid is matched on what is
left. It validates nothing: what it cannot read it leaves out, since `hourbook check` reports
it (the payments loader proper). Meant to be folded into that loader (`load/payments.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path

from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import parse_yaml

PAYMENTS_DIR = "payments"
MAX_PAYMENTS_FILE = 16 * 1024 * 1024


@dataclass(frozen=True)
class KnownPayments:
    """Bank references already in `payments/`, and how much each invoice number is already paid."""

    refs: frozenset[str]
    paid: dict[str, Decimal]                    # invoice number -> amount paid on it
    client_paid: dict[str, Decimal] = field(default_factory=dict)   # client -> paid without an invoice number


def read_known_payments(root: Path) -> KnownPayments:
    """Read BOOKS/payments/**/*.yaml (no folder: nothing known).

    Args:
        root: the books folder.

    Returns:
        KnownPayments; files and records that cannot be read are left out.
    """
    refs: set[str] = set()
    paid: dict[str, Decimal] = {}
    client_paid: dict[str, Decimal] = {}
    folder = root / PAYMENTS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return KnownPayments(frozenset(), {})
    for path in sorted(folder.rglob("*.yaml")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts) or not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_PAYMENTS_FILE:
                continue
            data = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YamlError):
            continue
        records = data.get("payments") if isinstance(data, dict) else None
        for record in records if isinstance(records, list) else ():
            if not isinstance(record, dict):
                continue
            ref = record.get("ref")
            if isinstance(ref, (str, int)) and not isinstance(ref, bool) and str(ref):
                refs.add(str(ref))
            invoice, client, amount = record.get("invoice"), record.get("client"), record.get("amount")
            if not isinstance(amount, (Decimal, int)) or isinstance(amount, bool):
                continue
            if isinstance(invoice, (str, int)) and not isinstance(invoice, bool):
                paid[str(invoice)] = paid.get(str(invoice), Decimal(0)) + Decimal(amount)
            elif isinstance(client, str):
                client_paid[client] = client_paid.get(client, Decimal(0)) + Decimal(amount)
    return KnownPayments(frozenset(refs), paid, client_paid)
