"""What each invoice of a client and period covers: its lines up to a date, or the rest of the period. Pure.

`hourbook issue --client ID --through DATE` invoices one client's work up to DATE without
closing the period for anyone else; its register record says so with `through: DATE`. A
record without `through` (every record of `hourbook issue PERIOD`, and every record written
before `through` existed) covers the rest of its period. So a client and period may have
several invoices, in register order, each covering the lines and fees dated after the
previous one's `through` and up to its own (`covered_pieces`): no line can be on two of them,
and a fee (a retainer, a block's price) goes on the first invoice whose dates include its date.

Here are the pieces of a document that the register's records cover, the piece still open,
and what `issue` invoices next, for a period (`period_documents`) or for a client up to a date
(`client_documents`). Nothing here reads, numbers or writes anything.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from hourbook.core import periods
from hourbook.core.documents import Document
from hourbook.core.documents import split_statement
from hourbook.core.period_figures import totals
from hourbook.core.records import ClientId
from hourbook.core.records import Contract
from hourbook.core.records import PricedBooks
from hourbook.core.register import client_numbers


class CoverageRefusal(ValueError):
    """Why `client_documents` cannot invoice up to the date asked (a message for `issue` to print)."""


def full_periods(records) -> set[str]:
    """The periods issued for everyone: those with a record that covers the rest of its period (no `through`)."""
    return {record.period for record in records if record.through is None}


def records_by_key(records) -> dict[tuple, list]:
    """Document key -> the register's records of that client, period, kind and corrected number, in order."""
    grouped: dict[tuple, list] = {}
    for record in records:
        grouped.setdefault(record.key, []).append(record)
    return grouped


def slice_document(doc: Document, contract: Contract, after: datetime.date | None,
                   through: datetime.date | None) -> Document:
    """The part of `doc` dated after `after` (None: from the start) and up to `through` (None: to the end),
    with its own totals (SPEC §5 on its own net). A late-approved line counts by its own date."""
    def inside(day: datetime.date) -> bool:
        return (after is None or day > after) and (through is None or day <= through)
    lines = [line for line in doc.lines if inside(line.entry.date)]
    fees = [fee for fee in doc.fees if inside(fee.date)]
    net, tax, total = totals(contract, lines, fees)
    return replace(doc, lines=tuple(lines), fees=tuple(fees), net=net, tax=tax, total=total)


def covered_pieces(doc: Document, contract: Contract, records) -> tuple[list[tuple[object, Document]], Document | None]:
    """The piece of `doc` each record covers, and the piece no record covers yet (None when a record
    covered the rest of the period).

    Args:
        doc: a document as the books price it now.
        records: the register's records with `doc.key`, in register order.
    """
    pieces = []
    after: datetime.date | None = None
    closed = False
    for record in records:
        if closed:                              # after the rest of the period: nothing left to cover
            pieces.append((record, slice_document(doc, contract, datetime.date.max, None)))
            continue
        pieces.append((record, slice_document(doc, contract, after, record.through)))
        if record.through is None:
            closed = True
        else:
            after = record.through if after is None else max(after, record.through)
    return pieces, None if closed else slice_document(doc, contract, after, None)


def last_through(records) -> datetime.date | None:
    """The latest `through` of these records (None if none has one)."""
    dates = [record.through for record in records if record.through is not None]
    return max(dates) if dates else None


def period_documents(priced: PricedBooks, records, period: str) -> list[tuple[Document, Contract, None]]:
    """What `hourbook issue PERIOD` invoices: every document of the period, less what earlier invoices
    of that client and period covered (`--client`), with a non-zero total; no `through`."""
    grouped = records_by_key(records)
    result = []
    for client in priced.clients:
        numbers = client_numbers(records, client.contract.id)
        for statement in client.statements:
            if statement.period != period:
                continue
            for doc in split_statement(statement, client.contract, numbers):
                earlier = grouped.get(doc.key, [])
                piece = slice_document(doc, client.contract, last_through(earlier), None) if earlier else doc
                if piece.total != 0:
                    result.append((piece, client.contract, None))
    return result


def client_documents(priced: PricedBooks, records, client_id: ClientId,
                     through: datetime.date) -> list[tuple[Document, Contract, datetime.date]]:
    """What `hourbook issue --client ID --through DATE` invoices: the client's work up to DATE not yet
    invoiced, one document per period (and corrected invoice) with a non-zero total, each with the
    `through` its record keeps (DATE, or the period's last day for an earlier period).

    Periods issued for everyone, and the client's periods already invoiced to their end, are left out.

    Raises:
        CoverageRefusal: DATE is before the `through` of an earlier invoice of the client's period.
    """
    client = next((c for c in priced.clients if c.contract.id == client_id), None)
    if client is None:
        return []
    grouped = records_by_key(records)
    closed = full_periods(records)
    numbers = client_numbers(records, client_id)
    result = []
    for statement in client.statements:
        start, end = periods.bounds(statement.period)
        if start > through or statement.period in closed:
            continue
        upto = min(through, end)
        for doc in split_statement(statement, client.contract, numbers):
            earlier = grouped.get(doc.key, [])
            if any(record.through is None for record in earlier):
                continue
            after = last_through(earlier)
            if after is not None and upto < after:
                last = next(r for r in reversed(earlier) if r.through == after)
                raise CoverageRefusal(f"{through} is before {after}, the date invoice {last.number} "
                                      f"({client_id}, {statement.period}) was issued through: its work up to "
                                      "that day is invoiced; give a later --through")
            piece = slice_document(doc, client.contract, after, upto)
            if piece.total != 0:
                result.append((piece, client.contract, upto))
    return result



def covering_record(records, day: datetime.date):
    """The record (of one document key, in register order) whose dates hold `day`; None if none does yet."""
    after: datetime.date | None = None
    for record in records:
        if (after is None or day > after) and (record.through is None or day <= record.through):
            return record
        if record.through is None:
            return None
        after = record.through if after is None else max(after, record.through)
    return None


def service_days(doc: Document, records, through: datetime.date | None) -> tuple[datetime.date, datetime.date]:
    """The first and last day an invoice of `doc` covers: from the day after the `through` of the client's
    earlier invoice of the period (else the period's first day) to `through` (else the period's last day)."""
    start, end = periods.bounds(doc.period)
    after = last_through(records_by_key(records).get(doc.key, []))
    return (after + datetime.timedelta(days=1) if after is not None else start,
            through if through is not None else end)
