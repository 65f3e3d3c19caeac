"""The priced books and diagnostics as JSON (SPEC §8), and the one encoder that writes JSON text.

Three layers, each pinned to the one below it by tests/test_output_json.py:

- `priced_json` and its parts (`client_json`, `statement_json`, `line_json`, `block_json`,
  `diagnostic_json`) make JSON-ready data: dicts, lists, strings, ints, None. This is
  what SPEC §8 describes; read it here.
- `json_text(value, depth)` writes any such value as `json.dumps(value, indent=2,
  ensure_ascii=False)` does, byte for byte, several times faster (the standard encoder
  takes its pure-Python path as soon as `indent` is set).
- `client_text` (with `statement_text`) writes what `json_text(client_json(client), 2)`
  writes straight from the records, without the dicts in between: a priced line, the bulk
  of `price --json`, is one template with only its free text escaped.

Nothing here reads or writes files; `hourbook price --json` and the build stream the text.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP

from hourbook.core.money import ZERO
from hourbook.core.money import format_money
from hourbook.core.money import quantum
from hourbook.core.records import BlockState
from hourbook.core.records import Diagnostic
from hourbook.core.records import Line
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import QuoteState
from hourbook.core.records import Statement
from hourbook.core.receivables import ClientReceivables
from hourbook.core.receivables import InvoiceState
from hourbook.core.receivables import Receivables

# ---------------------------------------------------------------- the data of SPEC §8


def diagnostic_json(diagnostic: Diagnostic) -> dict:
    """A diagnostic as `{path, line, severity, message}`."""
    return {"path": diagnostic.source.path, "line": diagnostic.source.line,
            "severity": diagnostic.severity, "message": diagnostic.message}


def line_json(line: Line, currency: str) -> dict:
    """A priced line: its entry's date, source, kind, by, tags and description, and how it was priced."""
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
    } | held_from_json(line)


def held_from_json(line: Line) -> dict:
    """`held_from` for a held line approved or waived after its invoice was issued (docs/pricing.md,
    "Late approval"): the invoice it was held in, that invoice's date and period; {} for every other line."""
    held = line.held_from
    if held is None:
        return {}
    return {"held_from": {"invoice": held.number or None, "issued": held.issued.isoformat(), "period": held.period}}


def block_json(state: BlockState) -> dict:
    """A prepaid block at the end of a period: minutes used, remaining, expired (and incidents, if counted)."""
    result = {"id": state.block.id, "used_minutes": state.used_minutes,
              "remaining_minutes": state.remaining_minutes, "expired_minutes": state.expired_minutes}
    if state.block.incidents is not None:
        result.update(incidents=state.block.incidents, used_incidents=state.used_incidents,
                      remaining_incidents=state.remaining_incidents, expired_incidents=state.expired_incidents)
    return result


def quote_json(state: QuoteState) -> dict:
    """A quote at the end of a period: the minutes used against its estimate."""
    return {"id": state.quote.id, "used_minutes": state.used_minutes, "estimate_minutes": state.quote.estimate}


def statement_json(statement: Statement, currency: str) -> dict:
    """One period of one client: its lines, fees, totals, minutes by status, prepaid blocks and quotes."""
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
        "quotes": [quote_json(state) for state in statement.quotes],
    }


def client_json(client: PricedClient, receivables: Receivables | None = None) -> dict:
    """One client: its id, currency and every period's statement; with receivables to show (a
    register or payments), its invoices, what it owes and its credit (SPEC §8 "Receivables")."""
    currency = client.contract.currency
    return {"id": client.contract.id, "currency": currency,
            "periods": [statement_json(statement, currency) for statement in client.statements]
            } | client_receivables_json(client, receivables)


def client_receivables_json(client: PricedClient, receivables: Receivables | None) -> dict:
    """`invoices`, `outstanding` and `credit` of a client; {} when the books have no register and no payments."""
    if receivables is None or not receivables.shown:
        return {}
    currency = client.contract.currency
    found = receivables.client(client.contract.id) or ClientReceivables(client.contract.id, currency, (), ZERO, ZERO)
    return {"invoices": [invoice_json(state) for state in found.invoices],
            "outstanding": format_money(found.outstanding, found.currency or currency),
            "credit": format_money(found.credit, found.currency or currency)}


def invoice_json(state: InvoiceState) -> dict:
    """An issued invoice or credit note as of the as-of date: due date, payments, state and outstanding."""
    record = state.record
    currency = record.currency
    return {
        "number": record.number, "kind": record.type, "corrects": record.corrects or None, "period": record.period,
        "date": record.issued.isoformat(), "due": state.due.isoformat(), "total": format_money(record.total, currency),
        "credited": format_money(state.credited, currency), "paid": format_money(state.paid, currency),
        "outstanding": format_money(state.outstanding, currency), "state": state.state,
        "days_overdue": state.days_overdue,
        "payments": [{"date": part.payment.date.isoformat(), "amount": format_money(part.amount, currency),
                      "source": str(part.payment.source), "from_credit": part.from_credit}
                     for part in state.payments],
    }


def outstanding_json(receivables: Receivables | None) -> dict:
    """`{"outstanding": {currency: amount}}` for the top level; {} without a register and payments."""
    if receivables is None or not receivables.shown:
        return {}
    return {"outstanding": {currency: format_money(amount, currency)
                            for currency, amount in receivables.outstanding().items()}}


def priced_json(priced: PricedBooks, diagnostics: list[Diagnostic]) -> dict:
    """SPEC §8: the priced books as JSON-ready data, with the diagnostics that came with them."""
    return {
        "clients": [client_json(client, priced.receivables) for client in priced.clients],
        **outstanding_json(priced.receivables),
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }


# ---------------------------------------------------------------- the encoder


def json_text(value, depth: int = 0) -> str:
    """`value` as JSON text: `json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte.

    Priced books have a few hundred thousand small dicts, so this writer handles dicts and
    lists of scalars in one loop and leaves only strings to the C escaper json.dumps uses.
    What it does not handle itself (floats, subclasses, deep nesting) goes to json.dumps,
    and what json.dumps refuses (a Decimal, a tuple as key) raises the same error here.

    Args:
        value: dicts, lists, tuples, strings, ints, floats, bools and None.
        depth: how deep `value` sits in the text it is written into: every line after the
            first is indented by 2 × `depth` more spaces (a value at the top: 0).

    Returns:
        The text, without a final newline.
    """
    out: list[str] = []
    _emit(value, depth, out)
    return "".join(out)


_INDENTS = ["\n" + "  " * depth for depth in range(64)]
_encode_string = json.encoder.encode_basestring  # the C escaper when available, as json.dumps uses
_int_text = int.__repr__
_keys: dict = {}                                  # key -> '"key": ', keys repeat a lot
_SHAPES: dict[tuple, list[str]] = {}              # (depth, keys) -> the text before each value


def _key(key) -> str:
    """A dict key as json.dumps writes it, with its `: `."""
    text = _keys.get(key) if type(key) is str else None
    if text is None:
        name = key if isinstance(key, str) else next(iter(json.loads(json.dumps({key: 0}))))
        text = _encode_string(name) + ": "
        if type(key) is str:
            _keys[key] = text
    return text


def _emit(value, depth: int, out: list[str]) -> None:
    """Append the text of `value`, nested `depth` levels deep, to `out`."""
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
        out.append(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * depth))
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


# ---------------------------------------------------------------- the same text, straight from the records
#
# `client_text` writes `json_text(client_json(client), 2)` (a client's place in the whole JSON)
# without the dicts in between. tests/test_output_json.py pins it to that for every shape of line.

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
    """An entry's tags as the JSON list at depth 7."""
    text = _tag_lists.get(tags)
    if text is None:
        text = ("[" + _I8 + ("," + _I8).join(map(_encode_string, tags)) + _I7 + "]") if tags else "[]"
        _tag_lists[tags] = text
    return text


def _lines_text(lines, currency: str) -> str:
    """The "lines" list of a statement at depth 5: `json_text([line_json(...), ...], 5)`."""
    if not lines:
        return "[]"
    unit = quantum(currency)
    half_up = ROUND_HALF_UP
    encode = _encode_string
    texts, dates, paths = _texts, _dates, _paths
    parts = []
    append = parts.append
    for line in lines:
        if line.held_from is not None:      # rare: the plain writer, which it is pinned to
            append(json_text(line_json(line, currency), 6))
            continue
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


def _prepaid_text(states) -> str:
    """A statement's "prepaid" list at depth 5: `json_text([block_json(state), ...], 5)`."""
    parts = []
    for state in states:
        block = state.block
        text = (f'{{{_I7}"id": {_encode_string(block.id)},{_I7}"used_minutes": {state.used_minutes},'
                f'{_I7}"remaining_minutes": {state.remaining_minutes},'
                f'{_I7}"expired_minutes": {state.expired_minutes}')
        if block.incidents is not None:
            text += (f',{_I7}"incidents": {block.incidents},{_I7}"used_incidents": {state.used_incidents},'
                     f'{_I7}"remaining_incidents": {state.remaining_incidents},'
                     f'{_I7}"expired_incidents": {state.expired_incidents}')
        parts.append(text + _I6 + "}")
    return "[" + _I6 + ("," + _I6).join(parts) + _I5 + "]"


def statement_text(statement: Statement, currency: str) -> str:
    """`json_text(statement_json(statement, currency), 4)`, by template but for prepaid blocks and quotes."""
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
    # Most statements have neither blocks nor quotes: `json_text([], 5)` is "[]", written without the call.
    prepaid = _prepaid_text(statement.prepaid) if statement.prepaid else "[]"
    quotes = json_text([quote_json(state) for state in statement.quotes], 5) if statement.quotes else "[]"
    return text + prepaid + "," + _I5 + '"quotes": ' + quotes + _INDENTS[4] + "}"


def client_text(client: PricedClient, receivables: Receivables | None = None) -> str:
    """`json_text(client_json(client, receivables), 2)`, straight from the records: a client's place in
    `price --json` (its receivables, few, through `json_text`)."""
    currency = client.contract.currency
    head = (f'{{{_INDENTS[3]}"id": {_encode_string(client.contract.id)},'
            f'{_INDENTS[3]}"currency": {_encode_string(currency)},{_INDENTS[3]}"periods": ')
    tail = "".join(f',{_INDENTS[3]}{_key(key)}{json_text(value, 3)}'
                   for key, value in client_receivables_json(client, receivables).items())
    if not client.statements:
        return head + "[]" + tail + _INDENTS[2] + "}"
    inner = _INDENTS[4]
    return (head + "[" + inner + ("," + inner).join(statement_text(s, currency) for s in client.statements)
            + _INDENTS[3] + "]" + tail + _INDENTS[2] + "}")
