"""The command line: thin verbs over the pipeline. Exit 0 ok, 1 errors in the books, 2 usage."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

from hourbook.pipeline import has_errors
from hourbook.pipeline import load_and_price
from hourbook.printer import dump_json
from hourbook.printer import format_diagnostic
from hourbook.printer import priced_json

TODAY_ENV = "HOURBOOK_TODAY"


class UsageError(Exception):
    """A command line that can't be run as given (exit 2)."""


def parse_as_of(text: str | None) -> datetime.date:
    text = text or os.environ.get(TODAY_ENV)
    if not text:
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of expects a date like 2026-11-30, got {text!r}") from None


def books_root(text: str) -> Path:
    root = Path(text)
    if not root.is_dir():
        raise UsageError(f"books folder {text!r} does not exist")
    return root


def print_diagnostics(diagnostics, stream=None) -> None:
    stream = stream or sys.stderr
    for diagnostic in diagnostics:
        print(format_diagnostic(diagnostic), file=stream)


def summary_line(diagnostics) -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


# ----------------------------------------------------------------- commands


def cmd_check(args) -> int:
    root = books_root(args.books)
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    if args.json:
        sys.stdout.write(dump_json({"diagnostics": priced_json(priced, diagnostics)["diagnostics"]}))
    else:
        print_diagnostics(diagnostics)
        entries = sum(1 for e in priced.books.entries)
        print(f"{len(priced.books.contracts)} clients, {entries} entries: {summary_line(diagnostics)}",
              file=sys.stderr)
    return 1 if has_errors(diagnostics) or (args.strict and diagnostics) else 0


def cmd_price(args) -> int:
    root = books_root(args.books)
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    if args.json:
        sys.stdout.write(dump_json(priced_json(priced, diagnostics)))
    else:
        print_diagnostics(diagnostics)
        for client in priced.clients:
            for statement in client.statements:
                print(f"{client.contract.id:<20} {statement.period:<8} {statement.minutes.logged / 60:>8.2f}h "
                      f"net {statement.net:>12} tax {statement.tax:>10} total {statement.total:>12} "
                      f"{client.contract.currency}")
    return 1 if has_errors(diagnostics) else 0


def cmd_build(args) -> int:
    from hourbook import site
    from hourbook.render import render_site

    root = books_root(args.books)
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    print_diagnostics(diagnostics)
    if has_errors(diagnostics):
        print(f"build stopped: {summary_line(diagnostics)}; the site was left as it was", file=sys.stderr)
        return 1
    secret = site.load_secret(root)
    folders = site.public_folders(priced, secret)
    files = render_site(priced, root, folders, pdf=not args.no_pdf, build_info=site.build_info(root))
    out = Path(args.out) if args.out else root / "site"
    try:
        site.write_site(files, out)
    except site.SiteError as exc:
        print(f"hourbook: error: {exc}; the site was left as it was", file=sys.stderr)
        return 1
    statements = sum(len(c.statements) for c in priced.clients)
    print(f"built {out}: {len(files)} files, {statements} statements for {len(priced.clients)} clients "
          f"({len(folders)} shared); {summary_line(diagnostics)}", file=sys.stderr)
    return 0


def cmd_links(args) -> int:
    from hourbook import site

    root = books_root(args.books)
    priced, diagnostics = load_and_price(root, parse_as_of(args.as_of))
    print_diagnostics(diagnostics)
    secret = site.load_secret(root)
    base_url = priced.books.settings.base_url
    if not base_url:
        print("hourbook: note: set site: {base_url: https://…} in hourbook.yaml for full links", file=sys.stderr)
    for client_id, url in site.client_urls(priced, secret, base_url).items():
        print(f"{client_id}\t{url}")
    return 1 if has_errors(diagnostics) else 0


# ----------------------------------------------------------------- parser


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hourbook", description="Plain-text support hours in, priced statements out.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
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
    command("links", cmd_links, "print each shared client's secret statement link")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"hourbook: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
