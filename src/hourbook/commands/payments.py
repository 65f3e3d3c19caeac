"""`hourbook payments match FILE [BOOKS]`: a bank statement in, proposed payment records out.

Reads the statement (`load.bank_statement`), the register issued.yaml, the contracts'
names and what `payments/` already records (`load.payments`), matches the credit
lines (`core.matching`) and prints the proposals as YAML on stdout
(`output.payment_proposals`). It never writes into the books: the user reads the
proposal, then saves it under `payments/`. Exit 0, or 1 when the statement or the register
cannot be read (located errors on stderr, nothing on stdout).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from hourbook.core.matching import match_lines
from hourbook.core.records import ERROR
from hourbook.load.bank_statement import CsvColumns
from hourbook.load.bank_statement import read_statement
from hourbook.load.contracts import load_contracts
from hourbook.load.payments import load_payments
from hourbook.load.listing import list_books
from hourbook.load.problems import Problems
from hourbook.load.register import read_register
from hourbook.load.settings import load_settings
from hourbook.output.payment_proposals import proposals_yaml
from hourbook.output.text import counted
from hourbook.output.text import format_diagnostic


def add_match_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE, then the CSV column mapping flags (camt.053 XML needs none)."""
    parser.add_argument("file", metavar="FILE", help="the bank statement: camt.053 XML, or CSV with a header line")
    csv_flags = parser.add_argument_group("CSV columns (a header name, or a number from 1)")
    csv_flags.add_argument("--date-column", default="Date", metavar="COLUMN", help="booking date (default: Date)")
    csv_flags.add_argument("--amount-column", default="Amount", metavar="COLUMN",
                           help="signed amount; credits are positive, other rows are left out (default: Amount)")
    csv_flags.add_argument("--text-column", action="append", metavar="COLUMN",
                           help="remittance text; give it again for text split over columns (default: Description)")
    csv_flags.add_argument("--ref-column", default="", metavar="COLUMN", help="the bank's reference of the line")
    csv_flags.add_argument("--payer-column", default="", metavar="COLUMN", help="the payer's name")
    csv_flags.add_argument("--currency-column", default="", metavar="COLUMN",
                           help="currency code (default: every row in the books' currency)")
    csv_flags.add_argument("--date-format", default="%Y-%m-%d", metavar="FORMAT",
                           help="strptime format of the dates, e.g. %%d.%%m.%%Y (default: %%Y-%%m-%%d)")
    csv_flags.add_argument("--decimal-comma", action="store_true", help="amounts like 1.234,56")
    csv_flags.add_argument("--delimiter", default="", metavar="CHAR", help="field separator (default: guessed: , ; or tab)")
    csv_flags.add_argument("--encoding", default="utf-8", metavar="NAME", help="text encoding (default: utf-8)")


def match_statement(args, root: Path) -> int:
    """`payments match`: the proposals on stdout, a count line (and any errors) on stderr.

    Args:
        args: the parsed command line (`add_match_arguments`).
        root: the books folder, known to be a folder.

    Returns:
        The exit code: 0, or 1 when the statement or the register cannot be read.
    """
    diags = Problems()
    listed = list_books(root)
    settings = load_settings(root, listed.settings, diags)
    contracts, _ = load_contracts(root, settings, diags, listed)   # errors in them are `check`'s to report
    records, register_problems, _ = read_register(root)
    columns = CsvColumns(date=args.date_column, amount=args.amount_column,
                         text=tuple(args.text_column or ("Description",)), ref=args.ref_column,
                         payer=args.payer_column, currency=args.currency_column,
                         default_currency=settings.currency, date_format=args.date_format,
                         decimal_comma=args.decimal_comma, delimiter=args.delimiter, encoding=args.encoding)
    lines, problems = read_statement(Path(args.file), args.file, columns)
    problems = [*register_problems, *problems]
    for problem in problems:
        print(format_diagnostic(problem), file=sys.stderr)
    if any(problem.severity == ERROR for problem in problems):
        print("payments match stopped: nothing was proposed", file=sys.stderr)
        return 1
    if not records:
        print("hourbook: note: no invoice has been issued (issued.yaml): lines can only be matched to a client "
              "by the payer's name", file=sys.stderr)
    # What payments/ already records (read by the books' own loader; `check` reports its problems).
    recorded = load_payments(root, listed.payments, Problems())
    refs = frozenset(payment.ref for payment in recorded if payment.ref)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    client_paid: dict[str, Decimal] = defaultdict(Decimal)
    for payment in recorded:
        if payment.invoice:
            paid[payment.invoice] += payment.amount
        elif payment.client:
            client_paid[payment.client] += payment.amount
    proposals = match_lines(lines, records, {contract.id: contract.party.name for contract in contracts},
                            refs, dict(paid), dict(client_paid))
    sys.stdout.write(proposals_yaml(proposals, f"hourbook payments match {Path(args.file).name}"))
    matched = sum(1 for proposal in proposals if proposal.matched)
    print(f"{counted(len(proposals), 'credit line')}: {matched} proposed, {len(proposals) - matched} not",
          file=sys.stderr)
    return 0
