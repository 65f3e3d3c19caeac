"""Text and JSON forms of diagnostics and priced books: the only place they are formatted."""

from __future__ import annotations

import json

from hourbook.core.money import format_money
from hourbook.core.records import BlockState
from hourbook.core.records import Diagnostic
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import Statement


def format_diagnostic(diagnostic: Diagnostic) -> str:
    """`path:line: severity: message`, as editors read it."""
    return f"{diagnostic.source.path}:{diagnostic.source.line}: {diagnostic.severity}: {diagnostic.message}"


def diagnostic_json(diagnostic: Diagnostic) -> dict:
    return {"path": diagnostic.source.path, "line": diagnostic.source.line,
            "severity": diagnostic.severity, "message": diagnostic.message}


def line_json(line: Line, currency: str) -> dict:
    entry = line.entry
    return {
        "date": entry.date.isoformat(),
        "source": str(entry.source),
        "kind": entry.kind,
        "status": line.status,
        "reason": line.reason,
        "by": entry.by or None,
        "tags": list(entry.tags),
        "logged_minutes": line.logged_minutes,
        "billed_minutes": line.billed_minutes,
        "rate": None if line.rate is None else format_money(line.rate, currency),
        "value": format_money(line.value, currency),
        "amount": format_money(line.amount, currency),
        "cover": line.cover,
        "description": entry.description,
    }


def block_json(state: BlockState) -> dict:
    result = {"id": state.block.id, "used_minutes": state.used_minutes,
              "remaining_minutes": state.remaining_minutes, "expired_minutes": state.expired_minutes}
    if state.block.incidents is not None:
        result.update(incidents=state.block.incidents, used_incidents=state.used_incidents,
                      remaining_incidents=state.remaining_incidents, expired_incidents=state.expired_incidents)
    return result


def statement_json(statement: Statement, currency: str) -> dict:
    minutes = statement.minutes
    return {
        "period": statement.period,
        "lines": [line_json(line, currency) for line in statement.lines],
        "fees": [{"kind": fee.kind, "label": fee.label, "amount": format_money(fee.amount, currency)}
                 for fee in statement.fees],
        "net": format_money(statement.net, currency),
        "tax": format_money(statement.tax, currency),
        "total": format_money(statement.total, currency),
        "minutes": {"logged": minutes.logged, "billed": minutes.billed, "covered": minutes.covered,
                    "no_charge": minutes.no_charge, "held": minutes.held, "quote": minutes.quote,
                    "uncovered": minutes.uncovered},
        "prepaid": [block_json(state) for state in statement.prepaid],
        "quotes": [{"id": state.quote.id, "used_minutes": state.used_minutes,
                    "estimate_minutes": state.quote.estimate} for state in statement.quotes],
    }


def priced_json(priced: PricedBooks, diagnostics: list[Diagnostic]) -> dict:
    """SPEC §8: the priced books as JSON-ready data."""
    return {
        "clients": [
            {"id": client.contract.id, "currency": client.contract.currency,
             "periods": [statement_json(s, client.contract.currency) for s in client.statements]}
            for client in priced.clients
        ],
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }


def dump_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
