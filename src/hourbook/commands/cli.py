"""The command line: thin verbs over the pipeline. Exit 0 ok, 1 errors in the books, 2 usage."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import threading
import traceback
from pathlib import Path

from hourbook.build.price_run import price_run
from hourbook.commands.payments import add_match_arguments
from hourbook.commands.payments import match_statement
from hourbook.core import memory
from hourbook.core.records import sorted_diagnostics
from hourbook.output import export
from hourbook.pipeline import has_errors
from hourbook.pipeline import load_and_price
from hourbook.core.printable import escape_controls
from hourbook.output.json import diagnostic_json
from hourbook.output.json import json_text
from hourbook.output.text import counted
from hourbook.output.progress import make_progress
from hourbook.output.text import format_diagnostic
from hourbook.output.text import shown_diagnostics
from hourbook.output.text import summary_line
from hourbook.site.secret import client_urls
from hourbook.site.secret import read_secret

TODAY_ENV = "HOURBOOK_TODAY"
DEBUG_ENV = "HOURBOOK_DEBUG"      # set to 1: an unexpected exception prints its traceback too
EXIT_INTERNAL = 70                # EX_SOFTWARE: a bug in hourbook, not a problem in the books
REPORT_TO = "please report it with the command you ran (README, 'Reporting a bug')"
QUIET_HELP = "no progress, no warnings and no notes: the errors, if any, and the summary line"


class UsageError(Exception):
    """A command line that can't be run as given (exit 2)."""


def parse_as_of(text: str | None) -> datetime.date:
    """The as-of date: `--as-of`, else $HOURBOOK_TODAY, else today; a text that is no date is a usage error."""
    text = text or os.environ.get(TODAY_ENV)
    if not text:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of expects a date like 2026-11-30, got {text!r}") from None


def port_number(text: str) -> int:
    """`--port`: 0 (any free port) to 65535; anything else is a usage error."""
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {port}")
    return port


def books_root(text: str) -> Path:
    """The books folder as given; one that is not a folder is a usage error."""
    root = Path(text)
    if not root.is_dir():
        raise UsageError(f"books folder {text!r} does not exist")
    return root


def print_diagnostics(diagnostics, stream=None) -> None:
    """One `path:line: severity: message` line per diagnostic, on stderr unless given a stream."""
    stream = stream or sys.stderr
    for diagnostic in diagnostics:
        print(format_diagnostic(diagnostic), file=stream)




# ----------------------------------------------------------------- commands


def cmd_check(args) -> int:
    """`check`: the diagnostics and a count line on stderr, or with --json only the diagnostics as
    JSON on stdout. Exit 1 on an error, or with --strict on any diagnostic."""
    root = books_root(args.books)
    run = price_run(root, parse_as_of(args.as_of))
    diagnostics = run.diagnostics
    if args.json:
        sys.stdout.write(json_text({"diagnostics": [diagnostic_json(d) for d in diagnostics]}) + "\n")
    else:
        print_diagnostics(diagnostics)
        print(f"{counted(run.clients, 'client')}, {counted(run.entries, 'entry', 'entries')}: {summary_line(diagnostics)}",
              file=sys.stderr)
    return 1 if has_errors(diagnostics) or (args.strict and diagnostics) else 0


def cmd_price(args) -> int:
    """`price`: one line per statement on stdout, or with --json the JSON of SPEC §8, streamed.
    The statements are printed even when the books have errors; exit 1 then."""
    root = books_root(args.books)
    if args.json:
        run = price_run(root, parse_as_of(args.as_of), out=sys.stdout)   # the pipeline, its JSON streamed
        return 1 if has_errors(run.diagnostics) else 0
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    print_diagnostics(diagnostics)
    for client in priced.clients:
        for statement in client.statements:
            print(f"{client.contract.id:<20} {statement.period:<8} {statement.minutes.logged / 60:>8.2f}h "
                  f"net {statement.net:>12} tax {statement.tax:>10} total {statement.total:>12} "
                  f"{client.contract.currency}")
    return 1 if has_errors(diagnostics) else 0


def cmd_build(args) -> int:
    """`build`: the site into --out, else BOOKS/site. Errors in the books or a failed build write
    nothing and leave the site as it was (exit 1)."""
    from hourbook.build.builder import Builder   # the renderer (Jinja2) is slow to import: only to build

    root = books_root(args.books)
    as_of = parse_as_of(args.as_of)
    out = Path(args.out) if args.out else root / "site"
    progress = make_progress(sys.stderr, quiet=args.quiet)
    builder = memory.keep_until_exit(Builder(root, lambda: as_of, out=out, pdf=not args.no_pdf))
    try:
        result = builder.build(progress=progress)
    finally:
        progress.close()
    print_diagnostics(shown_diagnostics(result.diagnostics, quiet=args.quiet))
    if not result.ok and not result.error:
        print(f"build stopped: {summary_line(result.diagnostics)}; the site was left as it was", file=sys.stderr)
        return 1
    if result.error:
        print(f"hourbook: error: {result.error}; the site was left as it was", file=sys.stderr)
        return 1
    print(f"built {out}: {counted(result.files, 'file')}, {counted(result.statements, 'statement')} for "
          f"{counted(result.clients, 'client')} "
          f"({result.shared} shared); {summary_line(result.diagnostics)}", file=sys.stderr)
    if result.pdf_note and not args.quiet:      # PDFs were made, and could have cost less CPU
        print(f"hourbook: note: {result.pdf_note}", file=sys.stderr)
    return 0


def cmd_watch(args) -> int:
    """`watch`: build, then rebuild on every change. A bad --as-of is refused at once; the date is
    taken anew for each build, so without one a watch running past midnight prices as of the new day."""
    from hourbook.commands.watch import watch_books  # deferred: watchdog and its threads, only for watch

    root = books_root(args.books)
    parse_as_of(args.as_of)  # a bad date is a usage error now, not in the loop
    return watch_books(root, lambda: parse_as_of(args.as_of), out=Path(args.out) if args.out else None,
                       pdf=not args.no_pdf, quiet=args.quiet)


def cmd_serve(args) -> int:
    """`serve`: `watch` plus the preview server on --host and --port; the date as for `watch`."""
    from hourbook.commands.serve import serve_books  # deferred: watchdog and the HTTP server, only for serve

    root = books_root(args.books)
    parse_as_of(args.as_of)
    return serve_books(root, lambda: parse_as_of(args.as_of), out=Path(args.out) if args.out else None,
                       pdf=not args.no_pdf, host=args.host, port=args.port)


def issue_scope(args, parse_period) -> tuple[str, str, datetime.date | None]:
    """(period, client, through) of `issue PERIOD` or `issue --client ID [--through DATE]`; UsageError else."""
    if args.client:
        if args.period is not None and args.books == ".":
            args.period, args.books = None, args.period    # `issue --client acme BOOKS`: the one word is BOOKS
        if args.period is not None:
            raise UsageError("give PERIOD or --client ID, not both: --client invoices the client's work up to "
                             "--through (default: the issue date) in every period not invoiced yet")
        through = None
        if args.through is not None:
            try:
                through = datetime.date.fromisoformat(args.through)
            except ValueError:
                raise UsageError(f"--through expects a date like 2026-11-15, got {args.through!r}") from None
        return "", args.client, through
    if args.through is not None:
        raise UsageError("--through goes with --client ID: issue PERIOD invoices the whole period")
    if args.period is None:
        raise UsageError("issue needs a PERIOD (2026-10) or --client ID")
    try:
        return parse_period(args.period), "", None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_issue(args) -> int:
    """`issue PERIOD`: the issue date is --date, else the as-of date (--as-of, $HOURBOOK_TODAY, today);
    `invoicing.issue` refuses one after the real date, and takes the books priced as on it."""
    from hourbook.invoicing import issue as invoicing  # deferred: the invoice's PDF and XML libraries

    period, client, through = issue_scope(args, invoicing.parse_period)
    root = books_root(args.books)
    issued_on = parse_as_of(args.as_of)
    if args.date is not None:
        try:
            on_date = datetime.date.fromisoformat(args.date)
        except ValueError:
            raise UsageError(f"--date expects a date like 2026-11-30, got {args.date!r}") from None
        if args.as_of and on_date != issued_on:
            raise UsageError("--date and --as-of both name the issue date; give one of them")
        issued_on = on_date
    refusal = invoicing.future_date_refusal(issued_on)   # before pricing: a far-future day cannot be priced
    if refusal:
        outcome = invoicing.IssueOutcome(refusal=refusal)
    else:
        progress = make_progress(sys.stderr, quiet=args.quiet, verb="issuing")
        try:
            progress.status("reading and pricing the books")
            priced, diagnostics = load_and_price(root, issued_on)
            outcome = invoicing.issue(root, period, issued_on, priced, diagnostics, progress, client=client,
                                      through=through)
        finally:
            progress.close()
    print_diagnostics(shown_diagnostics(outcome.diagnostics, quiet=args.quiet))
    if outcome.refusal:
        print(f"hourbook: issue refused: {outcome.refusal}; nothing was written", file=sys.stderr)
        return 1
    for record in outcome.records:
        print(f"{record.number:<14} {record.type:<8} {record.client:<16} {record.period:<8} net {record.net:>10} "
              f"tax {record.tax:>9} total {record.total:>10} {record.currency}  {record.pdf}")
    for note in outcome.notes if not args.quiet else ():
        print(f"hourbook: {note}", file=sys.stderr)
    return 0


def priced_or_stopped(root: Path, args, stopped: str):
    """(priced books, diagnostics) of `root` on `args.as_of`, every diagnostic printed; None when there
    are errors, after `stopped` (its `{}` the summary of the diagnostics) on stderr."""
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    print_diagnostics(diagnostics)
    if has_errors(diagnostics):
        print(stopped.format(summary_line(diagnostics)), file=sys.stderr)
        return None
    return priced, diagnostics


def cmd_export(args) -> int:
    """`export`: the exports into --out, else BOOKS/export, each path printed; with errors in the
    books nothing is written (exit 1)."""
    root = books_root(args.books)
    loaded = priced_or_stopped(root, args, "export stopped: {}; nothing was written")
    if loaded is None:
        return 1
    priced, _ = loaded
    for path in export.write_exports(priced, root, Path(args.out) if args.out else root / "export"):
        print(path)
    return 0


def cmd_report(args) -> int:
    """`report`: the owner's figures, with --json every one of them as SPEC §9 on stdout, else a short
    summary. Diagnostics go to stderr; with errors in the books no figure is printed (exit 1)."""
    root = books_root(args.books)
    loaded = priced_or_stopped(root, args, "report stopped: {}; no figure was printed")
    if loaded is None:
        return 1
    priced, diagnostics = loaded
    # deferred: the report pulls in the renderer (Jinja2, Markdown, Babel), a third of `price`'s start-up
    from hourbook.output.report import report_json, report_summary
    report = report_json(priced)
    if args.json:
        report["diagnostics"] = [diagnostic_json(d) for d in diagnostics]
        sys.stdout.write(json_text(report) + "\n")
    else:
        print("\n".join(report_summary(report)))
    return 0


def cmd_links(args) -> int:
    """`links`: `client<TAB>link` on stdout for each shared client. Without a usable link secret
    no link is printed (exit 1); errors in the books print the links and exit 1 too."""
    root = books_root(args.books)
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    secret, secret_problems = read_secret(root)
    diagnostics = sorted_diagnostics(diagnostics, secret_problems)
    print_diagnostics(diagnostics)
    if secret is None:
        print(f"links stopped: {summary_line(diagnostics)}; no link was printed", file=sys.stderr)
        return 1
    base_url = priced.books.settings.base_url
    if not base_url:
        print("hourbook: note: set site: {base_url: https://…} in hourbook.yaml for full links", file=sys.stderr)
    for client_id, url in client_urls(priced, secret, base_url).items():
        print(f"{client_id}\t{url}")
    return 1 if has_errors(diagnostics) else 0


def cmd_payments_match(args) -> int:
    """`payments match FILE`: proposed payment records from a bank statement, as YAML on stdout."""
    return match_statement(args, books_root(args.books))


def cmd_remind(args) -> int:
    """`remind`: a reminder letter (HTML and PDF) per overdue invoice into SITE/owner/reminders/ (docs/reminders.md)."""
    from hourbook.commands.remind import remind  # the renderer (Jinja2, WeasyPrint) is slow to import: only here

    root = books_root(args.books)
    out = Path(args.out) if args.out else root / "site"
    return remind(root, parse_as_of(args.as_of), out, pdf=not args.no_pdf, quiet=args.quiet)


# ----------------------------------------------------------------- parser


def installed_version() -> str:
    """hourbook's version as installed (pyproject.toml's `version`), or `unknown` from a bare checkout."""
    import importlib.metadata  # deferred: only --version asks, and it costs every command to import

    try:
        return importlib.metadata.version("hourbook")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _VersionOnAsking(argparse._VersionAction):
    """`--version`, its text looked up only when asked for: importlib.metadata costs every command 13 ms."""

    def __call__(self, parser, namespace, values, option_string=None):
        self.version = f"hourbook {installed_version()}"
        super().__call__(parser, namespace, values, option_string)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per verb, each taking BOOKS (default .) and --as-of, its
    `cmd_*` function set as `func`."""
    parser = argparse.ArgumentParser(prog="hourbook", description="Plain-text support hours in, priced statements out.")
    parser.add_argument("--version", action=_VersionOnAsking)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_text: str, *before_books: tuple[str, str]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        for argument, argument_help, *optional in before_books:
            sub.add_argument(argument, help=argument_help, **({"nargs": "?"} if optional else {}))
        sub.add_argument("books", nargs="?", default=".", metavar="BOOKS", help="books folder (default: .)")
        sub.add_argument("--as-of", metavar="DATE",
                         help=f"price as on this date (default: ${TODAY_ENV}, else today)")
        sub.set_defaults(func=func)
        return sub

    check = command("check", cmd_check, "validate the books; exit 1 on any error")
    check.add_argument("--json", action="store_true", help="diagnostics as JSON on stdout")
    check.add_argument("--strict", action="store_true", help="warnings fail too")
    price = command("price", cmd_price, "the priced books (SPEC §8 with --json)")
    price.add_argument("--json", action="store_true", help="JSON on stdout")
    build = command("build", cmd_build, "check, price and write site/ (HTML + PDF)")
    build.add_argument("--no-pdf", action="store_true", help="HTML only")
    build.add_argument("--out", metavar="DIR", help="site folder (default: BOOKS/site)")
    build.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    for name, func, help_text in (("watch", cmd_watch, "build, then rebuild the site on every change"),
                                  ("serve", cmd_serve, "watch + a local preview server that reloads the open page")):
        sub = command(name, func, help_text)
        sub.add_argument("--no-pdf", action="store_true", help="HTML only (faster previews)")
        sub.add_argument("--out", metavar="DIR", help="site folder (default: BOOKS/site)")
        if name == "watch":
            sub.add_argument("--quiet", action="store_true", help=QUIET_HELP)
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
            sub.add_argument("--port", type=port_number, default=8000, help="port (default: 8000; 0: any free port)")
    command("links", cmd_links, "print each shared client's secret statement link")
    issue_ = command("issue", cmd_issue, "number and freeze the period's invoices in issued.yaml; write "
                     "invoices/*.pdf", ("period", "the period to invoice: 2026-10, 2026-Q4 for quarterly clients, "
                                        "2026 for yearly ones (not with --client)", "optional"))
    issue_.add_argument("--date", metavar="DATE", help="the issue date, to back-date (default: the --as-of date, "
                        "else today); never after today, nor before the last invoice's date")
    issue_.add_argument("--client", metavar="ID", help="invoice only this client's work not invoiced yet, up to "
                        "--through, leaving the period open for everyone else (instead of PERIOD)")
    issue_.add_argument("--through", metavar="DATE", help="with --client: the last day of work to invoice "
                        "(default: the issue date)")
    commands.choices["issue"].add_argument("--quiet", action="store_true", help=QUIET_HELP)
    report_ = command("report", cmd_report, "the owner's figures: margins, what is owed, receivables, alerts "
                      "(SPEC §9 with --json)")
    report_.add_argument("--json", action="store_true", help="JSON on stdout")
    export_ = command("export", cmd_export, "priced lines as CSV; issued invoices as hledger and beancount journals")
    export_.add_argument("--out", metavar="DIR", help="folder to write (default: BOOKS/export)")
    remind_ = command("remind", cmd_remind, "a reminder letter (HTML and PDF, in the client's language) for each "
                      "overdue invoice, into SITE/owner/reminders/; sending is yours")
    remind_.add_argument("--out", metavar="SITE", help="site folder (default: BOOKS/site)")
    remind_.add_argument("--no-pdf", action="store_true", help="HTML only")
    remind_.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    payments = commands.add_parser("payments", help="payments: `payments match FILE` proposes records from a bank "
                                   "statement", description="payments received")
    payment_verbs = payments.add_subparsers(dest="payments_command", required=True, metavar="VERB")
    match = payment_verbs.add_parser("match", help="bank statement (camt.053 XML or CSV) -> proposed payments "
                                     "as YAML on stdout; never edits the books",
                                     description="Read a bank statement and print proposed payment records as "
                                     "YAML, to check and save under payments/. Never edits the books.")
    add_match_arguments(match)
    match.add_argument("books", nargs="?", default=".", metavar="BOOKS", help="books folder (default: .)")
    match.set_defaults(func=cmd_payments_match)
    return parser


def run() -> None:
    """The `hourbook` command: `main`, then out of the process without taking it apart.

    A build or a price run at 100 000 entries leaves some 300 MB of objects; Python frees them one
    by one on the way out, 0.3 s of a 4 s build. When no thread but this one is left (nothing is
    being written meanwhile: every file is whole and closed by then), the process ends at once
    after its output is flushed; else it exits as usual.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):           # a reader gone, a stream closed: Python's usual way out
        sys.exit(code)
    if threading.active_count() == 1:
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run one command; every way out is an exit code and at most a line or two on stderr.

    0 done, 1 problems in the books or a file that could not be written, 2 usage,
    70 a bug in hourbook (one line saying so; $HOURBOOK_DEBUG=1 adds the traceback),
    130 interrupted, 141 the reader of stdout went away.
    """
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        code = args.func(args)
        sys.stdout.flush()                      # `>/dev/full` fails here, inside the boundary
        return code
    except UsageError as exc:
        print(f"hourbook: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`hourbook price | head`): stop quietly, as cat does, and keep
        # Python from complaining again when it flushes stdout on the way out.
        _silence_stdout()
        return 141
    except OSError as exc:
        # A write the system refused (full disk, read-only folder, a file where a folder goes).
        _silence_stdout()
        print(f"hourbook: error: {os_error_text(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected exception is turned into a line
        _silence_stdout()
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        detail = str(exc).splitlines()[0] if str(exc) else ""
        print(f"hourbook: internal error: {type(exc).__name__}{': ' + detail if detail else ''}; this is a bug in "
              f"hourbook, not in your books: {REPORT_TO}", file=sys.stderr)
        return EXIT_INTERNAL


def os_error_text(exc: OSError) -> str:
    """`cannot write invoices/x.pdf: No space left on device`: an OSError as one line."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    name = exc.filename if exc.filename is not None else ""
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    where = f" {escape_controls(str(name))}" if name != "" else ""
    return f"cannot read or write{where}: {reason}" if where else reason


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's final flush at exit cannot fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
