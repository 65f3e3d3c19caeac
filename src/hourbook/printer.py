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
    """`json.dumps(data, ensure_ascii=False, indent=2)` and a newline, byte for byte, several times faster.

    The standard encoder goes through its pure-Python path as soon as `indent` is set; priced books
    have a few hundred thousand small dicts, so this writer handles dicts of scalars in one loop
    and leaves only strings to the C escaper.
    """
    out: list[str] = []
    _emit(data, 0, out)
    out.append("\n")
    return "".join(out)


_INDENTS = ["\n" + "  " * depth for depth in range(64)]
_encode_string = json.encoder.encode_basestring  # the C escaper when available, as json.dumps uses
_int_text = int.__repr__
_keys: dict = {}                                  # key -> '"key": ', keys repeat a lot


def _key(key) -> str:
    text = _keys.get(key) if type(key) is str else None
    if text is None:
        name = key if isinstance(key, str) else next(iter(json.loads(json.dumps({key: 0}))))
        text = _encode_string(name) + ": "
        if type(key) is str:
            _keys[key] = text
    return text


def _emit(value, depth: int, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))
    elif kind is int:
        out.append(_int_text(value))
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if value else "false")
    elif depth >= len(_INDENTS) - 1 or not isinstance(value, (dict, list, tuple)):
        # Deep nesting, floats and subclasses: the reference encoder (never for priced books).
        out.append(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", _INDENTS[depth]))
    elif not value:
        out.append("{}" if isinstance(value, dict) else "[]")
    else:
        inner = _INDENTS[depth + 1]
        if isinstance(value, dict):
            shape = (depth, tuple(value))
            prefixes = _SHAPES.get(shape)
            if prefixes is None:
                prefixes = [("{" if i == 0 else ",") + inner + _key(key) for i, key in enumerate(shape[1])]
                if all(type(key) is str for key in shape[1]):  # True == 1: only text keys are cached
                    _SHAPES[shape] = prefixes
            items = zip(prefixes, value.values())
            closing = _INDENTS[depth] + "}"
        else:
            rest = "," + inner
            items = zip(["[" + inner] + [rest] * (len(value) - 1), value)
            closing = _INDENTS[depth] + "]"
        parts = []
        append = parts.append
        for prefix, item in items:
            kind = type(item)
            if kind is str:
                append(prefix + _encode_string(item))
            elif kind is int:
                append(prefix + _int_text(item))
            elif item is None:
                append(prefix + "null")
            elif kind is bool:
                append(prefix + ("true" if item else "false"))
            else:
                sub: list[str] = []
                _emit(item, depth + 1, sub)
                append(prefix + "".join(sub))
        append(closing)
        out.append("".join(parts))


_SHAPES: dict[tuple, list[str]] = {}  # (depth, keys) -> the text before each value
