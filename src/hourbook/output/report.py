"""The owner's figures as JSON (`hourbook report --json`, SPEC §9) and as a short text summary.

Everything here is serialised from the records the owner's pages are rendered from, never
computed a second way: `render.dashboard.make_dashboard` (each client's figures by period and in
total, revenue earned and cash, cost, margin, what blocks still owe, quotes, plans, estimates,
the retainer report and the alerts), `core.ageing.make_ageing` (the receivables page) and
`render.requests.make_requests_page` (the requests page). tests/test_report_json.py renders the pages
and the JSON from the same books and checks that the figures agree.

Money is a string with the currency's minor digits (`core.money.format_money`), in the owner's
currency (`owner_currency`, default `currency`) except the receivables, which are owed in each
invoice's own currency and say which; minutes are integers; dates ISO; shares are strings with four
decimals (0.2500 = 25 %). Keys are written in a fixed order (`output.json.json_text`). The fields
are documented one by one in docs/report.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import ROUND_HALF_UP
from decimal import Decimal

from hourbook.core.ageing import Ageing
from hourbook.core.ageing import ClientAgeing
from hourbook.core.ageing import make_ageing
from hourbook.core.exchange import rates_used
from hourbook.core.money import format_money
from hourbook.core.people import workers
from hourbook.core.records import STATUSES
from hourbook.core.records import PricedBooks
from hourbook.core.requests import AGE_BUCKETS
from hourbook.core.requests import RequestFigures
from hourbook.output.text import counted
from hourbook.render.alert_words import alert_records
from hourbook.render.dashboard import ClientReport
from hourbook.render.dashboard import Dashboard
from hourbook.render.dashboard import Figures
from hourbook.render.dashboard import RetainerReport
from hourbook.render.dashboard import make_dashboard
from hourbook.render.html import page_context
from hourbook.render.requests import make_requests_page

SHARE = Decimal("0.0001")


def share_text(value: Decimal | None) -> str | None:
    """A fraction as a string with four decimals, half up (0.25 -> "0.2500"); None stays None."""
    return None if value is None else str(value.quantize(SHARE, rounding=ROUND_HALF_UP))


def money(amount: Decimal | None, currency: str) -> str | None:
    """An amount as SPEC §8/§9 writes money; None stays None."""
    return None if amount is None else format_money(amount, currency)


def day_text(day: datetime.date | None) -> str | None:
    """A date in ISO form; None stays None."""
    return None if day is None else day.isoformat()


# ---------------------------------------------------------------- figures and clients


def minutes_json(figures: Figures) -> dict:
    """A Figures' logged minutes by status, and the billable minutes charged (`charged`)."""
    return {"logged": figures.logged, "billed": figures.billed, "charged": figures.billed_minutes,
            "covered": figures.covered, "quote": figures.quote, "no_charge": figures.no_charge,
            "held": figures.held, "uncovered": figures.uncovered}


def figures_json(figures: Figures) -> dict:
    """The money and minutes of a period, a client or all clients, in the owner's currency."""
    currency = figures.currency
    return {
        "revenue_earned": money(figures.revenue, currency),
        "revenue_cash": money(figures.revenue_cash, currency),
        "expired": money(figures.expired, currency),
        "cost": money(figures.cost, currency),
        "cost_known": figures.cost_known,
        "margin": money(figures.margin, currency),
        "margin_share": share_text(figures.margin_share),
        "effective_rate": money(figures.rate, currency),
        "given_away": money(figures.given_away, currency),
        "held_value": money(figures.held_value, currency),
        "minutes": minutes_json(figures),
    }


def owed_json(report: ClientReport, currency: str) -> dict:
    """What a client's prepaid blocks and packs still owe it: in total and block by block."""
    return {
        "minutes": sum(row.minutes for row in report.owed),
        "incidents": sum(row.incidents for row in report.owed),
        "amount": money(report.owed_amount, currency),
        "blocks": [{"id": row.block_id, "minutes": row.minutes, "incidents": row.incidents,
                    "amount": money(row.amount, currency), "expires": day_text(row.expires)} for row in report.owed],
    }


def retainer_json(retainer: RetainerReport | None, currency: str) -> dict | None:
    """The retainer's fee against the work done, period by period (oldest first, as every `periods` here), in
    the contract's currency;
    None for a client without a retainer."""
    if retainer is None:
        return None
    return {
        "currency": currency,
        "fee": money(retainer.fee, currency),
        "average_shortfall": money(retainer.average_shortfall, currency),
        "basis": list(retainer.basis),
        "periods": [{"period": row.period, "fee": money(row.fee, currency), "work_value": money(row.work_value, currency),
                     "billed": money(row.billed, currency), "shortfall": money(row.shortfall, currency)}
                    for row in reversed(retainer.periods)],
    }


def suggested_fee_json(report: ClientReport) -> dict | None:
    """SPEC §9 `suggested_fee`: the fee the client's report suggests (core.fee), with the inputs shown beside
    it: {amount, window_periods, average_minutes, cost_per_hour, markup, round_to} in the owner's currency,
    plus `currency`, `window` (its periods) and `cost_known`. None when the report suggests nothing.
    """
    fee = report.fee
    if fee is None:
        return None
    return {"amount": money(fee.amount, fee.currency), "currency": fee.currency,
            "window_periods": len(fee.window), "window": list(fee.window),
            "average_minutes": fee.average_minutes, "cost_per_hour": money(fee.cost_per_hour, fee.currency),
            "markup": percent(fee.markup), "round_to": format(fee.round_to.normalize(), "f"),
            "cost_known": fee.cost_known}


def percent(share: Decimal) -> str:
    """A fraction as SPEC §9 writes a markup: 0.5 -> "50%", 0.375 -> "37.5%"."""
    return f"{format((share * 100).normalize(), 'f')}%"


def schemes_json(report: ClientReport, currency: str) -> list[dict]:
    """SPEC §9 `schemes`: what the window's work would have cost the client, and left the owner, under each
    scheme (core.schemes, `ClientReport.schemes`), in the owner's
    currency: {scheme, client_pays, owner_margin, units, size, left_minutes, left_incidents, cheapest,
    best_margin}."""
    return [{"scheme": s.scheme, "client_pays": money(s.client_pays, currency),
             "owner_margin": money(s.owner_margin, currency), "units": s.units, "size": s.size,
             "left_minutes": s.left_minutes, "left_incidents": s.left_incidents,
             "cheapest": s.cheapest, "best_margin": s.best_margin}
            for s in report.schemes]


def worker_figures_json(figures, currency: str) -> dict:
    """A worker's minutes and money (core.people.WorkerFigures) over some lines."""
    share = figures.utilisation
    return {"minutes": figures.minutes, "paid_minutes": figures.paid_minutes, "cost": money(figures.cost, currency),
            "cost_known": figures.cost_known, "billed_value": money(figures.billed_value, currency),
            "no_charge_value": money(figures.no_charge_value, currency), "utilisation": share_text(share)}


def workers_json(priced: PricedBooks, currency: str) -> list[dict]:
    """SPEC §9 `workers`: each worker's minutes, cost, billed and no-charge value and utilisation, in total,
    per client and per period, as owner/people.html shows them (issue #15 item 5, core.people)."""
    return [{"id": w.id, "name": w.name, **worker_figures_json(w.total, currency),
             "clients": [{"client": client, **worker_figures_json(f, currency)} for client, f in w.clients],
             "periods": [{"period": period, **worker_figures_json(f, currency)} for period, f in w.periods]}
            for w in workers(priced)]


def client_json(report: ClientReport, currency: str) -> dict:
    """One client's figures: totals, what it is still owed, fee, schemes, retainer, quotes, plans,
    estimates, top tags, the minutes of its hours chart by month and status, and periods (oldest first)."""
    contract = report.contract
    return {
        "id": contract.id,
        "name": contract.party.name,
        "contract_currency": contract.currency,
        **figures_json(report.total),
        "owed": owed_json(report, currency),
        "suggested_fee": suggested_fee_json(report),
        "schemes": schemes_json(report, currency),
        "retainer": retainer_json(report.retainer, contract.currency),
        "quotes": [{"id": row.quote.id, "price": money(row.price, currency), "used_minutes": row.used_minutes,
                    "earned": money(row.earned, currency), "cost": money(row.cost, currency),
                    "cost_known": row.cost_known, "margin": money(row.margin, currency)}
                   for row in report.quote_rows],
        "plans": [{"period": plan.period, "planned_minutes": plan.planned, "actual_minutes": plan.actual,
                   "share": share_text(plan.share)} for plan in report.plans],
        "estimates": [{"id": state.estimate.id, "tag": state.estimate.tag, "estimate_minutes": state.estimate.minutes,
                       "used_minutes": state.used, "share": share_text(state.share),
                       "periods": [{"period": p.period, "minutes": p.minutes, "total": p.total} for p in state.periods]}
                      for state in report.estimates],
        "top_tags": [{"tag": tag, "count": count, "minutes": minutes} for tag, count, minutes in report.tags],
        "hours_by_month": [{"month": f"{month.year}-{month.month:02d}", **{status.replace("-", "_"): minutes.get(status, 0)
                                                                         for status in STATUSES}}
                           for month, minutes in sorted(report.monthly.items())],
        "periods": [{"period": row.period, **figures_json(row.figures)} for row in reversed(report.rows)],
    }


# ---------------------------------------------------------------- attention


def attention_json(dashboard: Dashboard) -> dict:
    """The rest of "needs attention": blocks running low or expiring, quotes near their estimate, held
    lines, free lines that would have been held, open requests (minutes, or incidents for a pack)."""
    return {
        "blocks": [{"client": a.contract.id, "block": a.balance.block.id, "used": a.balance.used,
                    "remaining": a.balance.remaining, "incidents": a.balance.block.incidents is not None,
                    "left_share": share_text(a.left_share), "days_left": a.days_left, "low": a.low,
                    "expiring": a.expiring} for a in dashboard.blocks],
        "quotes": [{"client": a.contract.id, "quote": a.state.quote.id, "used_minutes": a.state.used_minutes,
                    "estimate_minutes": a.state.quote.estimate, "share": share_text(a.used_share)}
                   for a in dashboard.quotes],
        "held": [{"client": h.contract.id, "period": h.period, "date": h.line.entry.date.isoformat(),
                  "source": str(h.line.entry.source), "reason": h.line.reason, "minutes": h.line.logged_minutes,
                  "value": money(h.line.value, h.contract.currency), "currency": h.contract.currency}
                 for h in dashboard.held],
        "free_held": [{"client": h.contract.id, "period": h.period, "date": h.line.entry.date.isoformat(),
                       "source": str(h.line.entry.source), "reason": h.held_reason,
                       "minutes": h.line.logged_minutes} for h in dashboard.free_held],
        "open_requests": [{"client": r.contract.id, "date": r.entry.date.isoformat(), "source": str(r.entry.source),
                           "age_days": r.age_days} for r in dashboard.requests],
    }


# ---------------------------------------------------------------- receivables


def client_receivables_json(client: ClientAgeing) -> dict:
    """One client's outstanding, credit, ageing buckets and days to pay, in its invoices' currency."""
    currency = client.currency
    return {
        "client": client.client, "currency": currency,
        "outstanding": money(client.outstanding, currency), "overdue": money(client.overdue, currency),
        "credit": money(client.credit, currency),
        "buckets": {name: money(amount, currency) for name, amount in client.buckets.items()},
        "average_days_to_pay": None if client.average_days_to_pay is None else str(client.average_days_to_pay),
        "average_days_late": None if client.average_days_late is None else str(client.average_days_late),
        "paid_invoices": client.paid_invoices,
    }


def receivables_json(ageing: Ageing) -> dict | None:
    """The owner's receivables page: totals per currency, each client, the overdue invoices (most
    overdue first) and cash against invoiced revenue per month; None when the books have neither a
    register nor payments."""
    if not ageing.shown:
        return None
    return {
        "totals": [{"currency": t.currency, "outstanding": money(t.outstanding, t.currency),
                    "overdue": money(t.overdue, t.currency), "overdue_count": t.overdue_count,
                    "credit": money(t.credit, t.currency),
                    "buckets": {name: money(amount, t.currency) for name, amount in t.buckets.items()}}
                   for t in ageing.totals],
        "clients": [client_receivables_json(c) for c in ageing.clients],
        "overdue": [{"client": o.client, "number": o.invoice.record.number, "currency": o.invoice.record.currency,
                     "due": day_text(o.invoice.due), "days": o.days, "amount": money(o.amount, o.invoice.record.currency)}
                    for o in ageing.overdue],
        "months": [{"month": f"{m.month.year}-{m.month.month:02d}", "currency": m.currency,
                    "cash": money(m.cash, m.currency), "revenue": money(m.revenue, m.currency),
                    "invoiced": money(m.invoiced, m.currency)} for m in ageing.months],
    }


# ---------------------------------------------------------------- the whole report


def request_figures_json(figures: RequestFigures, names: Mapping[str, str], as_of: datetime.date) -> dict:
    """One client's (or the studio's) request figures as owner/requests.html shows them (docs/requests.md)."""
    return {
        "total": figures.total, "open": figures.open, "closed": figures.closed,
        "open_by_age": [{"from_days": first, "to_days": last, "count": count}
                        for (first, last), count in zip(AGE_BUCKETS, figures.open_by_age)],
        "oldest_open": [{"client": r.client, "ticket": r.ticket or None, "text": r.text, "opened": r.opened.isoformat(),
                         "age_days": r.age(as_of), "source": str(r.source)} for r in figures.oldest],
        "days_to_close": {"median": None if figures.median_days is None else str(figures.median_days),
                          "mean": None if figures.mean_days is None else str(figures.mean_days)},
        "again": figures.again, "reopened": figures.reopened,
        "reasons": [{"tag": count.tag, "name": names.get(count.tag, count.tag), "requests": count.requests,
                     "per_period": list(count.per_period)} for count in figures.reasons],
        "without_reason": figures.without_reason,
        "without_reason_per_period": list(figures.without_reason_per_period),
        "trend": [{"period": row.period, "opened": row.opened, "closed": row.closed, "again": row.again}
                  for row in figures.trend],
    }


def requests_json(priced: PricedBooks, messages: Mapping[str, str], locale: str) -> dict:
    """The requests page (owner/requests.html, `render.requests.make_requests_page`): the studio's figures
    and each client's with a request, by id; reasons named in the books' language."""
    page = make_requests_page(priced, messages, locale)
    return {"studio": request_figures_json(page.studio, page.reason_names, priced.as_of),
            "clients": [{"client": figures.client, **request_figures_json(figures, page.reason_names, priced.as_of)}
                        for figures in page.clients]}


def report_json(priced: PricedBooks, dashboard: Dashboard | None = None) -> dict:
    """Every figure of the owner's pages as JSON-ready data (SPEC §9), in a fixed key order.

    Args:
        dashboard: the dashboard already made from `priced` (the build has one); made here otherwise.
    """
    dashboard = dashboard if dashboard is not None else make_dashboard(priced)
    settings = dashboard.settings
    currency = dashboard.totals[0].currency
    minutes, incidents, owed = dashboard.owed_totals
    messages = page_context(settings.locale, settings.currency, hours_form=settings.hours)["messages"]
    contract_currencies = {report.contract.currency for report in dashboard.clients} | {settings.currency}
    return {
        "as_of": dashboard.as_of.isoformat(),
        "currency": currency,
        "exchange_rates": [{"from": day.isoformat(), "currency": other, "rate": str(rate)}
                           for day, other, rate in rates_used(settings, contract_currencies)],
        "totals": {**figures_json(dashboard.totals[0]),
                   "owed": {"minutes": minutes, "incidents": incidents, "amount": money(owed, currency)}},
        "clients": [client_json(report, currency) for report in dashboard.clients],
        "workers": workers_json(priced, currency),
        "alerts": alert_records(dashboard.alerts, messages, settings.locale, settings.hours,
                                settings.given_away_alert),
        "attention": attention_json(dashboard),
        "receivables": receivables_json(make_ageing(priced.receivables, priced.as_of)),
        "requests": requests_json(priced, messages, settings.locale),
    }


def report_summary(report: dict) -> list[str]:
    """The report in a few lines for a terminal: totals, then one line per client (lowest margin first)."""
    currency = report["currency"]
    totals = report["totals"]
    lines = [f"as of {report['as_of']}, in {currency}: earned {totals['revenue_earned']}, cash {totals['revenue_cash']}, "
             f"cost {totals['cost']}, margin {totals['margin']}, given away {totals['given_away']}, "
             f"owed to clients {totals['owed']['amount']}"]
    for client in report["clients"]:
        lines.append(f"{client['id']:<20} earned {client['revenue_earned']:>12} cost {client['cost']:>12} "
                     f"margin {client['margin'] or '-':>12} given away {client['given_away']:>10}")
    lines.append(counted(len(report["alerts"]), "alert"))
    return lines
