"""HTML pages from priced books: the Jinja2 environment, messages, and one function per page.

The environment looks for a template first in the books' own `templates/` folder,
then in the package's, so a books folder overrides a built-in template by giving a
file the same name. Every template is autoescaped whatever its name; the only HTML
marked safe is nh3-cleaned Markdown (`filters.render_markdown`) and the SVG that
`charts.py` builds with every text escaped.

Messages come from `locales/<language>.yaml`, merged over `en.yaml`, so a missing
key falls back to English and a new language is one new file. Pages are returned
as text; nothing here writes files.
"""

from __future__ import annotations

import datetime
import functools
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Mapping

import jinja2
import yaml

from hourbook.core.records import STATUSES
from hourbook.core.records import Contract
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Statement
from hourbook.render import charts
from hourbook.render import filters
from hourbook.render.dashboard import ClientReport
from hourbook.render.dashboard import Dashboard
from hourbook.render.figures import add_months
from hourbook.render.figures import client_lines
from hourbook.render.figures import first_date
from hourbook.render.figures import last_months
from hourbook.render.figures import minutes_by_month
from hourbook.render.statement import block_balance
from hourbook.render.statement import block_size
from hourbook.render.statement import format_hours_unit
from hourbook.render.statement import requester_name
from hourbook.render.statement import make_view

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
LOCALES_DIR = PACKAGE_DIR / "locales"
OWNER_LOCALE = "en"
STATEMENT_CHART_MONTHS = 12
INDEX_CHART_MONTHS = 18
DASHBOARD_CHART_MONTHS = 18


# --------------------------------------------------------------- messages


@functools.lru_cache(maxsize=None)
def _read_messages(language: str) -> dict[str, str]:
    path = LOCALES_DIR / f"{language}.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # `invoice:` holds the invoices' words (einvoice.labels_for), not a message of a page.
    return {str(key): str(value) for key, value in data.items() if not isinstance(value, dict)}


def load_messages(locale: str) -> dict[str, str]:
    """The messages for a locale's language, English filling every gap."""
    return {**_read_messages(OWNER_LOCALE), **_read_messages(filters.language_of(locale))}


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
    search = []
    if root is not None and (root / "templates").is_dir():
        search.append(jinja2.FileSystemLoader(str(root / "templates")))
    search.append(jinja2.FileSystemLoader(str(TEMPLATES_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(search),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

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
