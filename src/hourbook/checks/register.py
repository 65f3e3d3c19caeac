"""The register's own checks: a whole hash chain, gap-free numbers, only ever appended, its PDFs as issued.

Each check is a function over the records read by `hourbook.load.register`, returning
located diagnostics. Whether the issued invoices still agree with the books is
`hourbook.checks.issued`, which runs these too.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from hourbook.core.documents import sha256
from hourbook.core.records import ERROR
from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.core.register import GENESIS
from hourbook.core.register import INVOICES_DIR
from hourbook.core.register import REGISTER
from hourbook.core.register import IssuedRecord
from hourbook.core.register import record_hash
from hourbook.load.register import NotAFile
from hourbook.load.register import read_register
from hourbook.load.register import read_register_text
from hourbook.load.register import read_regular


def read_verified_register(root: Path) -> tuple[list[IssuedRecord], list[Diagnostic], bytes]:
    """Read BOOKS/issued.yaml (no file: no records) and verify its chain and numbers (`verify_register`).

    Returns:
        (records, diagnostics, the file's bytes).
    """
    records, problems, data = read_register(root)
    return records, problems + verify_register(records), data


def verify_register(records: list[IssuedRecord]) -> list[Diagnostic]:
    """The hash chain, gap-free sequences per series, unique numbers. Pure.

    A record whose hash does not match its fields was edited; one whose `previous`
    does not match the record before it follows a removed or reordered record.
    """
    problems = []

    def error(record: IssuedRecord, message: str) -> None:
        problems.append(Diagnostic(record.source, message, ERROR))

    previous_hash, previous_number = GENESIS, None
    last_seq: dict[str, int] = {}
    numbers: dict[str, IssuedRecord] = {}
    for record in records:
        if (record.read_hash or record_hash(record.fields())) != record.hash:
            error(record, f"record {record.number} was changed after it was written: its hash does not match "
                  "its fields; restore issued.yaml from git (git checkout -- issued.yaml)")
        if record.previous != previous_hash:
            after = f"the record before it ({previous_number})" if previous_number else "the start of the register"
            error(record, f"record {record.number} does not follow {after}: its 'previous' hash does not match, "
                  "so a record was removed, reordered or edited; restore issued.yaml from git")
        expected = last_seq.get(record.scope, 0) + 1
        if record.seq != expected:
            error(record, f"number {record.number} is number {record.seq} of series {record.scope!r}, "
                  f"but the series is at {expected - 1}: the series must have no gaps and no repeats")
        last_seq[record.scope] = max(record.seq, last_seq.get(record.scope, 0))
        if record.number.lower() in numbers:
            error(record, f"number {record.number} is used twice (also at {numbers[record.number.lower()].source})")
        numbers.setdefault(record.number.lower(), record)
        previous_hash, previous_number = record.hash, record.number
    return problems


def check_append_only(committed: bytes | None, current: bytes, exists: bool = True) -> list[Diagnostic]:
    """The register may only grow: the committed version must be where the current one starts. Pure.

    Args:
        committed: issued.yaml at git HEAD (None: not committed, or outside git).
        current: the working register's bytes (b"" when it is missing or empty).
        exists: whether there is a working register at all.
    """
    if not committed or current.startswith(committed):
        return []
    if not current.strip():
        count = len(read_register_text(committed.decode("utf-8", "replace"))[0])
        state = "empty" if exists else "missing"
        return [Diagnostic(Source(REGISTER, 1), f"issued.yaml is {state}, but the last commit has it with "
                           f"{count} record{'' if count == 1 else 's'}: the register is append-only, so issued "
                           "invoices never disappear; restore it with git checkout -- issued.yaml", ERROR)]
    old, new = committed.decode("utf-8", "replace").split("\n"), current.decode("utf-8", "replace").split("\n")
    line = next((i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
    return [Diagnostic(Source(REGISTER, line), "issued.yaml differs from the committed version from this line on: "
                       "the register is append-only, so committed records must never change or disappear; "
                       "restore it with git checkout -- issued.yaml", ERROR)]


def check_issue_dates(records: list[IssuedRecord], today: datetime.date) -> list[Diagnostic]:
    """No record is dated after today (a day of grace for clocks in other time zones). Pure."""
    return [Diagnostic(record.source, f"{record.label} is dated {record.issued}, after today ({today}): an invoice "
                       "is never dated in the future; restore issued.yaml from git (git checkout -- issued.yaml)",
                       ERROR)
            for record in records if record.issued > today + datetime.timedelta(days=1)]


def orphan_pdfs(root: Path, records: list[IssuedRecord]) -> list[Diagnostic]:
    """invoices/*.pdf without a record: left by an interrupted `hourbook issue` (a warning)."""
    folder = root / INVOICES_DIR
    if not folder.is_dir():
        return []
    known = {record.pdf for record in records}
    return [Diagnostic(Source(f"{INVOICES_DIR}/{path.name}", 1),
                       "invoice PDF without a record in issued.yaml (left by an interrupted `hourbook issue`?); "
                       "running `hourbook issue` for its period again with the same --date finishes it; an invoice "
                       "PDF is never written over", WARNING)
            for path in sorted(folder.glob("*.pdf")) if f"{INVOICES_DIR}/{path.name}" not in known]


def check_pdfs(root: Path, records: list[IssuedRecord]) -> list[Diagnostic]:
    """Each record's PDF is there, a regular file, with the SHA-256 the record holds.

    Records written before `pdf_sha256` existed can only be checked for a missing file.
    Every problem is an error at the record's line.
    """
    problems = []
    for record in records:
        how = f"restore it from git (git checkout -- {record.pdf}); an issued invoice is kept as it was sent"
        try:
            data = read_regular(root / record.pdf)
        except NotAFile as exc:
            problems.append(Diagnostic(record.source, f"the PDF of {record.label}, {record.pdf}, is {exc.kind}, "
                                       f"not a file: move it away and {how}", ERROR))
            continue
        except OSError as exc:
            problems.append(Diagnostic(record.source, f"cannot read the PDF of {record.label}, {record.pdf}: "
                                       f"{exc.strerror or exc}; {how}", ERROR))
            continue
        if data is None:
            problems.append(Diagnostic(record.source, f"the PDF of {record.label}, {record.pdf}, is missing: {how}",
                                       ERROR))
        elif record.pdf_sha256 and sha256(data) != record.pdf_sha256:
            problems.append(Diagnostic(record.source, f"the PDF of {record.label}, {record.pdf}, was changed or "
                                       "replaced after it was issued (its SHA-256 is not the one in issued.yaml): "
                                       f"{how}", ERROR))
    return problems
