"""Text and JSON forms of diagnostics and priced books: the only place they are formatted."""

from __future__ import annotations

import json

from decimal import ROUND_HALF_UP

from hourbook.core.money import format_money
from hourbook.core.printable import escape_controls
from hourbook.core.records import BlockState
from hourbook.core.records import Diagnostic
from hourbook.core.money import quantum
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Statement


def format_diagnostic(diagnostic: Diagnostic) -> str:
    """`path:line: severity: message`, as editors read it; a file name's control characters escaped."""
    return f"{escape_controls(diagnostic.source.path)}:{diagnostic.source.line}: {diagnostic.severity}: {diagnostic.message}"


def counted(number: int, noun: str, plural: str = "") -> str:
    """`1 client`, `2 clients`, `1 entry`, `0 entries`."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def summary_line(diagnostics) -> str:
    """`2 errors, 1 warning`: how a command's diagnostics add up."""
    errors = sum(1 for d in diagnostics if d.severity == "error")
    return f"{counted(errors, 'error')}, {counted(len(diagnostics) - errors, 'warning')}"


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


# ---------------------------------------------------------------- the same text, straight from the records
#
# `client_text` writes what `_emit` writes for one client of `priced_json` (depth 2), without the
# dicts in between: a priced line, the bulk of the text, is one template with only its free text
# escaped. tests/test_incremental.py pins `price --json` (which uses it) to dump_json(priced_json(...)).

_I5, _I6, _I7, _I8 = _INDENTS[5], _INDENTS[6], _INDENTS[7], _INDENTS[8]
_texts: dict = {}                                 # short repeated strings (kinds, statuses, reasons, ids)
_dates: dict = {}                                 # date -> '"YYYY-MM-DD"'
_paths: dict = {}                                 # path -> '"path' (escaped, the closing quote left off)
_tag_lists: dict = {}                             # tags tuple -> its JSON list at depth 7


def _text(value) -> str:
    """A repeated string (or None) as JSON, escaped once."""
    text = _texts.get(value)
    if text is None:
        text = _texts[value] = "null" if value is None else _encode_string(value)
    return text


def _tags_text(tags: tuple) -> str:
    text = _tag_lists.get(tags)
    if text is None:
        text = ("[" + _I8 + ("," + _I8).join(map(_encode_string, tags)) + _I7 + "]") if tags else "[]"
        _tag_lists[tags] = text
    return text


def _lines_text(lines, currency: str) -> str:
    """The "lines" list of a statement at depth 5, as `_emit` writes `[line_json(...), ...]`."""
    if not lines:
        return "[]"
    unit = quantum(currency)
    half_up = ROUND_HALF_UP
    encode = _encode_string
    texts, dates, paths = _texts, _dates, _paths
    parts = []
    append = parts.append
    for line in lines:
        entry = line.entry
        date = dates.get(entry.date)
        if date is None:
            date = dates[entry.date] = '"' + entry.date.isoformat() + '"'
        source = entry.source
        path = paths.get(source.path)
        if path is None:
            path = paths[source.path] = encode(source.path)[:-1]
        kind = texts.get(entry.kind) or _text(entry.kind)
        status = texts.get(line.status) or _text(line.status)
        reason = texts.get(line.reason) or _text(line.reason)
        by = texts.get(entry.by or None) or _text(entry.by or None)
        cover = texts.get(line.cover) or _text(line.cover)
        tags = _tag_lists.get(entry.tags) or _tags_text(entry.tags)
        rate = "null" if line.rate is None else '"' + str(line.rate.quantize(unit, half_up)) + '"'
        append(
            f'{{{_I7}"date": {date},{_I7}"source": {path}:{source.line}",{_I7}"kind": {kind},'
            f'{_I7}"status": {status},{_I7}"reason": {reason},{_I7}"by": {by},{_I7}"tags": {tags},'
            f'{_I7}"logged_minutes": {line.logged_minutes},{_I7}"billed_minutes": {line.billed_minutes},'
            f'{_I7}"rate": {rate},{_I7}"value": "{line.value.quantize(unit, half_up)}",'
            f'{_I7}"amount": "{line.amount.quantize(unit, half_up)}",{_I7}"cover": {cover},'
            f'{_I7}"description": {encode(entry.description)}{_I6}}}')
    return "[" + _I6 + ("," + _I6).join(parts) + _I5 + "]"


def statement_text(statement: Statement, currency: str) -> str:
    """`_emit(statement_json(statement, currency), 4)`: by template, but for prepaid blocks and quotes."""
    unit = quantum(currency)
    fees = statement.fees
    if fees:
        fees_text = "[" + _I6 + ("," + _I6).join(
            f'{{{_I7}"kind": {_text(fee.kind)},{_I7}"label": {_encode_string(fee.label)},'
            f'{_I7}"amount": "{fee.amount.quantize(unit, ROUND_HALF_UP)}"{_I6}}}' for fee in fees) + _I5 + "]"
    else:
        fees_text = "[]"
    minutes = statement.minutes
    text = (f'{{{_I5}"period": {_text(statement.period)},{_I5}"lines": {_lines_text(statement.lines, currency)},'
            f'{_I5}"fees": {fees_text},{_I5}"net": "{statement.net.quantize(unit, ROUND_HALF_UP)}",'
            f'{_I5}"tax": "{statement.tax.quantize(unit, ROUND_HALF_UP)}",'
            f'{_I5}"total": "{statement.total.quantize(unit, ROUND_HALF_UP)}",{_I5}"minutes": {{'
            f'{_I6}"logged": {minutes.logged},{_I6}"billed": {minutes.billed},{_I6}"covered": {minutes.covered},'
            f'{_I6}"no_charge": {minutes.no_charge},{_I6}"held": {minutes.held},{_I6}"quote": {minutes.quote},'
            f'{_I6}"uncovered": {minutes.uncovered}{_I5}}},{_I5}"prepaid": ')
    rest: list[str] = [text]
    _emit([block_json(state) for state in statement.prepaid], 5, rest)
    rest.append("," + _I5 + '"quotes": ')
    _emit([{"id": state.quote.id, "used_minutes": state.used_minutes, "estimate_minutes": state.quote.estimate}
           for state in statement.quotes], 5, rest)
    rest.append(_INDENTS[4] + "}")
    return "".join(rest)


def client_text(client: PricedClient) -> str:
    """`_emit` of one client of `priced_json` at depth 2 (its place in the whole JSON), from the records."""
    currency = client.contract.currency
    head = (f'{{{_INDENTS[3]}"id": {_encode_string(client.contract.id)},'
            f'{_INDENTS[3]}"currency": {_encode_string(currency)},{_INDENTS[3]}"periods": ')
    if not client.statements:
        return head + "[]" + _INDENTS[2] + "}"
    inner = _INDENTS[4]
    return (head + "[" + inner + ("," + inner).join(statement_text(s, currency) for s in client.statements)
            + _INDENTS[3] + "]" + _INDENTS[2] + "}")
