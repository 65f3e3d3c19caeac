"""An alert of core.alerts -> one sentence in the owner's language (locales/<lang>/alerts.yaml).

The owner's dashboard lists them in "needs attention" and each client's report shows its own;
the same sentence is the `message` of an alert in JSON (`core.alerts.to_json`).
"""

from __future__ import annotations

from collections.abc import Mapping

from hourbook.core import alerts as rules
from hourbook.core.records import HOURS_CLOCK
from hourbook.render import filters


def alert_message(alert: rules.Alert, messages: Mapping[str, str], locale: str, hours_form: str = HOURS_CLOCK,
                  threshold=None) -> str:
    """The sentence saying what `alert` is, its figures formatted for `locale`.

    `threshold`: hourbook.yaml's `alerts.given_away` (a fraction), named in a GIVEN_AWAY sentence.
    """
    def t(key: str, **values) -> str:
        return filters.translate(messages, key, **values)

    def tn(key: str, count: int, **values) -> str:
        return filters.translate(messages, filters.plural_key(messages, key, count, locale), count=count, **values)

    def hours(minutes: int) -> str:
        return t("alert_hours", hours=filters.format_hours(minutes, locale, hours_form))

    def left(count: int) -> str:
        return tn("alert_incidents", count) if alert.incidents else hours(count)

    def share() -> str:
        return filters.format_share(alert.share, locale) if alert.share is not None else ""

    def money(index: int) -> str:
        return filters.format_money(alert.amounts[index], alert.currency, locale)

    kind = alert.kind
    if kind == rules.RETAINER_LOSING:
        first, second = alert.period.split()
        return t("alert_retainer_losing", first=money(0), second=money(1),
                 first_period=filters.format_period(first, locale), second_period=filters.format_period(second, locale))
    if kind == rules.GIVEN_AWAY:
        limit = filters.format_share(threshold, locale) if threshold is not None else ""
        if alert.share is None:
            return t("alert_given_away_nothing_billed", given=money(0))
        return t("alert_given_away", given=money(0), billed=money(1), share=share(), threshold=limit)
    if kind in (rules.BLOCK_EXPIRING, rules.BLOCK_EXPIRED):
        day = filters.format_date(alert.day, locale, "medium")
        if kind == rules.BLOCK_EXPIRED:
            return t("alert_block_expired", block=alert.ref, date=day, left=left(alert.limit))
        when = t("owner_expires_today") if alert.days == 0 else tn("owner_in_days", alert.days)
        return t("alert_block_expiring", block=alert.ref, date=day, when=when, left=left(alert.limit))
    if kind == rules.QUOTE_PAST:
        return t("alert_quote_past", quote=alert.ref, used=hours(alert.used), estimate=hours(alert.limit),
                 share=share())
    if kind in (rules.ESTIMATE_NEAR, rules.ESTIMATE_PAST):
        key = "alert_estimate_past" if kind == rules.ESTIMATE_PAST else "alert_estimate_near"
        return t(key, estimate=alert.ref, used=hours(alert.used), hours=hours(alert.limit), share=share())
    key = "alert_plan_past" if kind == rules.PLAN_PAST else "alert_plan_near"
    return t(key, period=filters.format_period(alert.period, locale), used=hours(alert.used),
             planned=hours(alert.limit), share=share())


def alert_records(items, messages: Mapping[str, str], locale: str, hours_form: str = HOURS_CLOCK,
                  threshold=None) -> list[dict]:
    """The dashboard's alerts ((contract, alert) pairs) as SPEC §9 "alerts" gives them, each with its sentence."""
    return [rules.to_json(alert, alert_message(alert, messages, locale, hours_form, threshold)) for _, alert in items]
