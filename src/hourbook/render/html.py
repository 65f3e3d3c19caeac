"""HTML pages from priced books: the Jinja2 environment, messages, and one function per page.

The environment looks for a template first in the books' own `templates/` folder,
then in the package's, so a books folder overrides a built-in template by giving a
file the same name. Every template is autoescaped whatever its name; the only HTML
marked safe is nh3-cleaned Markdown (`filters.render_markdown`) and the SVG that
`charts.py` builds with every text escaped.

The books' templates are the owner's text, not hourbook's code: `BooksLoader` reads
them as UTF-8 and never through a link that leaves the books folder, and
`BooksEnvironment` (sandboxed when the books have templates) turns any failure of
one into a `TemplateProblem` located at its file and line, which the commands
report as a diagnostic. The invoice's environment (`render/invoice.py`) is made here too.

Messages come from `locales/<language>/` (`render.locale_files`), merged over English, so a missing
key falls back to English and a new language is one new file. Pages are returned
as text; nothing here writes files.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import stat
import traceback
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Mapping

import jinja2
import jinja2.sandbox

from hourbook.core.records import STATUSES
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Source
from hourbook.core.records import Statement
from hourbook.render import charts
from hourbook.render import filters
from hourbook.render.locale_files import language_words
from hourbook.render.reflow import label_cells
from hourbook.render.dashboard import ClientReport
from hourbook.render.dashboard import Dashboard
from hourbook.render.monthly import add_months
from hourbook.render.monthly import client_lines
from hourbook.render.monthly import first_date
from hourbook.render.monthly import last_months
from hourbook.render.monthly import minutes_by_month
from hourbook.render.statement import block_balance
from hourbook.render.statement import block_size
from hourbook.render.statement import format_hours_unit
from hourbook.render.statement import requester_name
from hourbook.render.statement import make_view
from hourbook.load.listing import books_place

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
OWNER_LOCALE = "en"
STATEMENT_CHART_MONTHS = 12
INDEX_CHART_MONTHS = 18
DASHBOARD_CHART_MONTHS = 18


# --------------------------------------------------------------- messages


@functools.lru_cache(maxsize=None)
def _read_messages(language: str) -> dict[str, str]:
    data = language_words(language)
    # `invoice:` holds the invoices' words (invoice.labels_for), not a message of a page.
    return {str(key): str(value) for key, value in data.items() if not isinstance(value, dict)}


def load_messages(locale: str) -> dict[str, str]:
    """The messages for a locale's language, English filling every gap."""
    return {**_read_messages(OWNER_LOCALE), **_read_messages(filters.language_of(locale))}


# --------------------------------------------------------------- the books' templates

BOOKS_TEMPLATES = "templates"
LINKS_OUTSIDE = ("links outside the books folder, to the link secret or into .git; hourbook reads templates "
                 "only from the books: copy the file into templates/ instead of linking to it")


class TemplateProblem(Exception):
    """A template of the books (templates/<name>) failed: a problem in the books, not a bug.

    `diagnostic` says where (`templates/statement.html:12`) and what. A failure in a
    built-in template is a bug and is not turned into this.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.source}: {diagnostic.message}")
        self.diagnostic = diagnostic

    def __reduce__(self):
        # Raised in a rendering process, it crosses back to the builder by pickle.
        return (type(self), (self.diagnostic,))


def inside_books(path: Path | str, root: Path) -> bool:
    """`path`, every link in it followed, is in the books folder, and is neither the link
    secret nor in .git (a template could put them on a page): `listing.books_place`."""
    return books_place(os.path.realpath(path), os.path.realpath(root)) == ""


def books_templates_folder(root: Path | None) -> Path | None:
    """The books' templates/ folder, when there is one inside the books (not linked out, nor to the books
    folder itself, whose every file a page could then load)."""
    if root is None:
        return None
    folder = Path(root) / BOOKS_TEMPLATES
    if not folder.is_dir() or not inside_books(folder, root) or os.path.samefile(folder, root):
        return None
    return folder


def template_folders(root: Path | None) -> list[Path]:
    """Where a statement's PDF may load files from: the books' templates, then the built-in ones."""
    books = books_templates_folder(root)
    return ([books] if books is not None else []) + [TEMPLATES_DIR]


def books_problem(rel: str, line: int, message: str) -> TemplateProblem:
    """A `TemplateProblem` (an error) at `rel:line`, `rel` a path like `templates/statement.html`."""
    return TemplateProblem(Diagnostic(Source(rel, line), message))


class BooksLoader(jinja2.BaseLoader):
    """The books' templates/: UTF-8 text files inside the books folder, nothing else.

    A name that is not there is `TemplateNotFound` (the built-in template is used); a
    file that is there but links out of the books, is not a regular file, cannot be
    read or is not UTF-8 is a `TemplateProblem` at its path.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = os.path.abspath(self.root / BOOKS_TEMPLATES)

    def get_source(self, environment: jinja2.Environment, template: str):
        """Jinja's (text, path, up-to-date check) for `templates/<template>`; refused as the class says."""
        pieces = jinja2.loaders.split_template_path(template)   # no `..`, no absolute names
        path = os.path.join(self.folder, *pieces)
        rel = "/".join([BOOKS_TEMPLATES, *pieces])
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        if not inside_books(path, self.root) or books_templates_folder(self.root) is None:
            raise books_problem(rel, 1, LINKS_OUTSIDE)
        try:
            info = os.stat(path)
            if stat.S_ISDIR(info.st_mode):
                raise jinja2.TemplateNotFound(template)
            if not stat.S_ISREG(info.st_mode):
                raise books_problem(rel, 1, "not a regular file: a template must be a text file")
            data = Path(path).read_bytes()
        except OSError as exc:
            raise books_problem(rel, 1, f"cannot read the template: {exc.strerror or exc}") from exc
        return decode_template(data, rel), path, lambda: _unchanged(path, info.st_mtime_ns)

    def load(self, environment: jinja2.Environment, name: str, globals=None):
        """The compiled template; a template too deeply nested to compile is a problem at its path."""
        try:
            return super().load(environment, name, globals)
        except (TemplateProblem, jinja2.TemplateError):
            raise
        except (RecursionError, MemoryError, SyntaxError) as exc:
            rel = "/".join([BOOKS_TEMPLATES, *jinja2.loaders.split_template_path(name)])
            raise books_problem(rel, 1, f"cannot compile the template ({type(exc).__name__}): its "
                                "expressions or blocks are nested too deeply; simplify them") from exc


def decode_template(data: bytes, rel: str) -> str:
    """A template's text, with newlines as Python's text files give them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise books_problem(rel, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                            "save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unchanged(path: str, mtime_ns: int) -> bool:
    try:
        return os.stat(path).st_mtime_ns == mtime_ns
    except OSError:
        return False


class BooksEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """Jinja2 for templates the books may override: what fails in one of the books' templates
    (syntax, runtime, an include that is not there, endless recursion) is a `TemplateProblem`.

    Sandboxed: a books template reaches the values it is given, not Python's insides
    (`__class__`, `__globals__`), so it cannot read a file or run a command.
    """

    def __init__(self, root: Path, builtin: Path, **options) -> None:
        super().__init__(**options)
        self.books_root = Path(root)
        self.builtin = builtin

    def handle_exception(self, source: str | None = None):
        """Raise what failed in a books template as a `TemplateProblem` at its place; anything else as Jinja does."""
        try:
            super().handle_exception(source)
        except TemplateProblem:
            raise
        except Exception as exc:
            problem = books_template_problem(exc, self.books_root, self.builtin)
            if problem is None:
                raise
            raise problem from exc


def books_environment(root: Path | None, builtin: Path, *shared: Path, **options) -> jinja2.Environment:
    """Jinja2 over the books' templates (when `root` has a templates/ folder) before `builtin`, then `shared`.

    Books without templates get a plain environment over the built-in templates (the
    sandbox costs time on every attribute, and hourbook's own templates need none).
    """
    options = dict(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   **options)
    builtin_loader = jinja2.FileSystemLoader([str(builtin), *map(str, shared)])
    if root is None or not os.path.lexists(Path(root) / BOOKS_TEMPLATES):
        return jinja2.Environment(loader=builtin_loader, **options)
    return BooksEnvironment(root, builtin, loader=jinja2.ChoiceLoader([BooksLoader(root), builtin_loader]), **options)


def books_template_problem(exc: BaseException, root: Path, builtin: Path = TEMPLATES_DIR) -> TemplateProblem | None:
    """The located problem when `exc` comes from a template in `root/templates`, else None.

    The place is the innermost frame of the traceback in one of the books' templates (Jinja
    gives template frames their file and line), or a syntax error's own place.
    """
    if isinstance(exc, TemplateProblem):
        return exc
    folder = Path(os.path.abspath(Path(root) / BOOKS_TEMPLATES))
    places = []
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        places.append((exc.filename, exc.lineno or 1))
    places += [(frame.filename, frame.lineno or 1) for frame in reversed(traceback.extract_tb(exc.__traceback__))]
    for filename, line in places:
        path = Path(os.path.abspath(filename))
        if path.is_relative_to(folder):
            rel = "/".join([BOOKS_TEMPLATES, *path.relative_to(folder).parts])
            return books_problem(rel, line, template_message(exc, rel, builtin))
    return None


def template_message(exc: BaseException, rel: str, builtin: Path) -> str:
    """What went wrong in a books template, and what to do about it (`builtin`: the templates it overrides)."""
    name = rel.split("/", 1)[1]
    fix = "fix the template, or remove it to use hourbook's own" if (builtin / name).is_file() else "fix the template"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template syntax error: {exc.message}; {fix}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template error: no template named {exc.name!r}, in templates/ or built in; {fix}"
    if isinstance(exc, RecursionError):
        return f"template error: it includes, extends or calls itself without end; {fix}"
    if isinstance(exc, jinja2.TemplateError):
        return f"template error: {exc.message}; {fix}"
    name = type(exc).__name__
    detail = str(exc)
    if not detail or detail.startswith("[<class "):     # decimal's signals say only their own names
        detail = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()   # DivisionByZero: division by zero
    return f"template failed: {name}: {detail}; {fix}"


# --------------------------------------------------------------- environment


def with_locale(function: Callable[[Any, str], str]) -> Callable[..., str]:
    """A filter `value|name` calling `function(value, locale)` with the page's locale."""
    @jinja2.pass_context
    def bound(context: jinja2.runtime.Context, value: Any) -> str:
        return function(value, context.resolve("locale"))
    return bound


def make_environment(root: Path | None) -> jinja2.Environment:
    """Jinja2 with the books' templates before the built-in ones, and the page filters.

    Filters that depend on the page (money, dates, messages) read `locale`, `currency`
    and `messages` from the template context, so templates write `amount|money`.
    """
    env = books_environment(root, TEMPLATES_DIR, keep_trailing_newline=True)

    @jinja2.pass_context
    def money(context: jinja2.runtime.Context, amount: Any, currency: str | None = None) -> str:
        return filters.format_money(amount, currency or context.resolve("currency"), context.resolve("locale"))

    @jinja2.pass_context
    def date(context: jinja2.runtime.Context, day: datetime.date, style: str = "long") -> str:
        return filters.format_date(day, context.resolve("locale"), style)

    @jinja2.pass_context
    def reason(context: jinja2.runtime.Context, text: str | None) -> str:
        return filters.describe_reason(text, context.resolve("messages"))

    @jinja2.pass_context
    def translate(context: jinja2.runtime.Context, key: str, **values: Any) -> str:
        return filters.translate(context.resolve("messages"), key, **values)

    env.filters.update(
        money=money,
        date=date,
        reason=reason,
        hours=with_locale(filters.format_hours),
        hours_unit=with_locale(format_hours_unit),
        percent=with_locale(filters.format_rate),
        day=with_locale(filters.format_day),
        period=with_locale(filters.format_period),
        timerange=lambda entry: filters.format_time_range(entry.start, entry.end),
        markdown=filters.render_markdown,
        capfirst=filters.capitalize,
        share=with_locale(filters.format_share),
    )
    env.globals.update(t=translate)
    env.filters["label_cells"] = label_cells        # base.html: tables stack on phones (render/reflow.py)
    return env


def page_context(locale: str, currency: str, build_info: str) -> dict[str, Any]:
    """What every page's template may use: its locale, currency and messages."""
    return {
        "locale": filters.babel_locale(locale),
        "lang": filters.babel_locale(locale).replace("_", "-"),
        "currency": currency,
        "messages": load_messages(locale),
        "build_info": build_info,
    }


# --------------------------------------------------------------- charts


def status_labels(messages: Mapping[str, str]) -> dict[str, str]:
    """Each status's label in `messages` (`status_<status>`), for chart legends."""
    return {status: filters.translate(messages, f"status_{status}") for status in STATUSES}


def hours_chart(client: PricedClient, upto: datetime.date, months: int,
                locale: str, messages: Mapping[str, str]) -> str:
    """A client's hours per month by status, stacked, for the months up to `upto`; "" without logged time."""
    lines = client_lines(client, upto)
    return monthly_chart(minutes_by_month(lines), first_date(lines), upto, months, locale, messages)


def monthly_chart(monthly: Mapping[datetime.date, Mapping[str, int]], first: datetime.date | None,
                  upto: datetime.date, months: int, locale: str, messages: Mapping[str, str]) -> str:
    """`hours_chart` from minutes already counted by month (`figures.minutes_by_month`)."""
    if not any(sum(v.values()) for v in monthly.values()):
        return ""
    axis_months = last_months(upto, months, first)
    labels = status_labels(messages)
    series = [charts.Series(labels[status], charts.STATUS_COLOURS[status],
                            tuple(monthly.get(month, {}).get(status, 0) / 60 for month in axis_months))
              for status in STATUSES]
    axis = month_axis(axis_months, locale)
    return charts.stacked_bars(axis, series, title=filters.translate(messages, "chart_hours"),
                               fmt=lambda value: filters.format_amount(value, locale))


def month_axis(months: list[datetime.date], locale: str) -> charts.Axis:
    """Month names, with the year under the first month and under every January."""
    return charts.Axis(
        tuple(filters.capitalize(filters.format_month(month, locale)) for month in months),
        tuple(str(month.year) if index == 0 or month.month == 1 else "" for index, month in enumerate(months)))


# --------------------------------------------------------------- pages


def render_statement(env: jinja2.Environment, priced: PricedBooks, client: PricedClient, statement: Statement,
                     *, pdf_href: str | None, index_href: str | None, build_info: str) -> str:
    """A client's statement for one period, in the contract's language (HTML that also feeds the PDF)."""
    contract = client.contract
    context = page_context(contract.locale, contract.currency, build_info)
    view = make_view(statement, contract, context["messages"], context["locale"], priced.as_of)
    chart = hours_chart(client, min(statement.end, priced.as_of), STATEMENT_CHART_MONTHS,
                        context["locale"], context["messages"])
    return env.get_template("statement.html").render(
        **context, view=view, statement=statement, contract=contract, seller=priced.books.settings.seller,
        as_of=priced.as_of, pdf_href=pdf_href, index_href=index_href, chart=chart,
        block_size=lambda block: block_size(block, context["messages"], context["locale"]),
        contact=lambda handle: requester_name(handle, contract),
        bar=bar_for(context["messages"], context["locale"]))


def render_client_index(env: jinja2.Environment, priced: PricedBooks, client: PricedClient,
                        *, pdf: bool, pdf_prefix: str = "", dashboard_href: str | None = None,
                        build_info: str) -> str:
    """A client's list of statements, newest first, with its current balances and an hours chart.

    Args:
        pdf_prefix: where the PDFs are, relative to the page ("" = alongside).
        dashboard_href: a link back to the owner's dashboard, for the owner's copies only.
    """
    contract = client.contract
    context = page_context(contract.locale, contract.currency, build_info)
    statements = sorted(client.statements, key=lambda s: s.start, reverse=True)
    latest = statements[0] if statements else None
    chart = hours_chart(client, priced.as_of, INDEX_CHART_MONTHS, context["locale"], context["messages"])
    return env.get_template("client_index.html").render(
        **context, contract=contract, seller=priced.books.settings.seller, statements=statements,
        latest=latest, as_of=priced.as_of, pdf=pdf, dashboard_href=dashboard_href,
        balances=[block_balance(state, priced.as_of) for state in latest.prepaid] if latest else [], pdf_prefix=pdf_prefix, chart=chart,
        block_size=lambda block: block_size(block, context["messages"], context["locale"]),
        contact=lambda handle: requester_name(handle, contract),
        bar=bar_for(context["messages"], context["locale"]))


def bar_for(messages: Mapping[str, str], locale: str) -> Callable[[int, int], str]:
    """A template function drawing a usage bar, its tooltip in the page's language."""
    def bar(used: int, total: int) -> str:
        share = filters.format_share(filters.share_of(used, total), locale)
        return charts.progress_bar(used, total, title=filters.translate(messages, "bar_used", share=share))
    return bar


def render_owner(env: jinja2.Environment, priced: PricedBooks, dashboard: Dashboard, links: Mapping[str, str],
                 *, build_info: str) -> str:
    """The owner's dashboard, in English. `links`: client id -> its report page, relative."""
    settings = priced.books.settings
    context = page_context(OWNER_LOCALE, settings.currency, build_info)
    messages, locale = context["messages"], context["locale"]
    return env.get_template("owner.html").render(
        **context, dashboard=dashboard, settings=settings, seller=settings.seller, as_of=priced.as_of, links=links,
        hours_chart=monthly_chart(add_months(report.monthly for report in dashboard.clients),
                                  min((r.first_day for r in dashboard.clients if r.first_day), default=None),
                                  priced.as_of, DASHBOARD_CHART_MONTHS, locale, messages),
        rate_chart=rate_chart(dashboard, locale),
        bar=bar_for(messages, locale), block_size=lambda block: block_size(block, messages, locale))


def render_owner_client(env: jinja2.Environment, priced: PricedBooks, report: ClientReport, statements_href: str,
                        *, build_info: str) -> str:
    """One client's report for the owner, in English: verdict, retainer, figures by period, chart, top reasons.

    It depends on this client and the settings only, so a build re-renders it with the client's pages.
    """
    settings = priced.books.settings
    context = page_context(OWNER_LOCALE, settings.currency, build_info)
    messages, locale = context["messages"], context["locale"]
    return env.get_template("owner_client.html").render(
        **context, report=report, settings=settings, seller=settings.seller, as_of=priced.as_of,
        statements_href=statements_href,
        chart=monthly_chart(report.monthly, report.first_day, priced.as_of, DASHBOARD_CHART_MONTHS, locale, messages))


def rate_chart(dashboard: Dashboard, locale: str) -> str:
    """Effective hourly rate per client and period, against the cost of an hour; "" without data."""
    points = {report.contract.id: dict(report.rates) for report in dashboard.clients if report.rates}
    if not points:
        return ""
    first = min(day for values in points.values() for day in values)
    months = last_months(dashboard.as_of, DASHBOARD_CHART_MONTHS, first)
    series = []
    for index, report in enumerate(dashboard.clients):
        values = points.get(report.contract.id)
        if not values:
            continue
        label = client_label(report.contract, dashboard.settings.currency)
        series.append(charts.Series(label, charts.LINE_COLOURS[index % len(charts.LINE_COLOURS)],
                                    tuple(values.get(month) for month in months)))
    cost = dashboard.settings.cost
    reference = None
    if cost is not None:
        reference = (f"cost of an hour ({filters.format_money(cost, dashboard.settings.currency, locale)})", float(cost))
    return charts.line_chart(month_axis(months, locale), series, title="Effective hourly rate per client",
                             fmt=lambda value: filters.format_amount(round(value), locale), reference=reference)


def client_label(contract: Contract, seller_currency: str) -> str:
    """A client's short name for legends, with its currency when it is not the seller's."""
    name = contract.party.name
    short = name if len(name) <= 24 else name[:22].rstrip() + "…"
    return short if contract.currency == seller_currency else f"{short} ({contract.currency})"
