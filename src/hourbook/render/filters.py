"""Pure formatting functions behind the templates' filters: money, hours, dates, Markdown.

Every function here takes what it formats plus the locale (or messages) it needs and
returns text; none reads files. The number and date formatters remember what they
returned (`_remembered`): a site formats the same few amounts, hours and dates
hundreds of thousands of times, and Babel takes tens of microseconds for each. `html.py` binds them to a page's
locale and currency and registers them as Jinja2 filters. Money is quantized half up
with `round_money` *before* Babel sees it, because Babel rounds half-even.
"""

from __future__ import annotations

import datetime
import functools
import re
import threading
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Mapping

import markdown
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
import nh3
from babel import Locale
from babel import UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from babel.numbers import format_percent
from markupsafe import Markup
from markupsafe import escape

from hourbook.core.money import round_money
from hourbook.core.records import HOURS_CLOCK
from hourbook.core.records import HOURS_DECIMAL
from hourbook.render.money_text import currency_writer

if TYPE_CHECKING:
    from hourbook.git import Provenance

DEFAULT_LOCALE = "en"
HOUR_QUANTUM = Decimal("0.01")
RATE_QUANTUM = Decimal("0.0001")    # tax and surcharge rates: 7.25 %
SHARE_QUANTUM = Decimal("0.01")     # shares shown as whole percentages
MINUTES_PER_DAY = 24 * 60

# What survives in an entry's details: text formatting, lists, code, tables, links.
# No images (they would load from elsewhere), no forms, no styles, no scripts.
DETAIL_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "dd", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
DETAIL_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
DETAIL_URL_SCHEMES = frozenset({"http", "https", "mailto"})
MARKDOWN_EXTENSIONS = ("fenced_code", "tables", "sane_lists")
# The same, as the classes Python-Markdown names so: given by name, the first converter of a process
# looked the names up among the installed packages' entry points (importlib.metadata), 28 ms.
_MARKDOWN_EXTENSION_CLASSES = (FencedCodeExtension, TableExtension, SaneListExtension)

# Reasons pricing gives (docs/pricing.md, "Status, first match wins").
_UNAUTHORISED = re.compile(r"^requester '(?P<who>.*)' is not an authorised contact$")
_UNAPPROVED = re.compile(r"^quote (?P<quote>\S+) is not approved$")
_KNOWN_REASONS = ("warranty", "goodwill", "free_under", "free_up_to", "deductible", "included")
_LIST_ITEM = re.compile(r"^\s{0,3}([-*+]|\d+[.)])\s+\S")
MAX_DETAIL_NESTING = 32
_NESTING_PREFIX = re.compile(r"(?:[ \t>]|(?:[-*+]|\d{1,9}[.)])(?=[ \t]))*")
_LIST_MARKER = re.compile(r"(?:^|(?<=[ \t>]))(?:[-*+]|\d{1,9}[.)])(?=[ \t])")
_BRACKETS = re.compile(r"[\[\]]")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*?(/?)>")
_VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                            "track", "wbr"})
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


REMEMBERED = 1 << 16     # results kept per formatter, at most


def _remembered(function):
    """Keep the results of a pure formatter of hashable values.

    A Decimal is keyed by its exact digits, not its value: 75 and 75.00, 0 and -0 are equal
    numbers but may print differently, and a page must not depend on which came first.
    """
    cache: dict = {}

    @functools.wraps(function)
    def remembered(*args):
        key = args
        for arg in args:
            if type(arg) is Decimal:    # (a Decimal's text is its digits, sign and exponent, exactly)
                key = tuple([(Decimal, str(arg)) if type(arg) is Decimal else arg for arg in args])
                break
        try:
            return cache[key]
        except KeyError:
            pass
        if len(cache) >= REMEMBERED:
            cache.clear()
        result = cache[key] = function(*args)
        return result
    return remembered


# --------------------------------------------------------------- locales


@_remembered
def babel_locale(locale: str) -> str:
    """A locale Babel knows (`es`, `en_GB`, `de-AT` …), or `en` for anything else."""
    try:
        return str(Locale.parse((locale or DEFAULT_LOCALE).replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        return DEFAULT_LOCALE


@_remembered
def _babel(locale: str) -> Locale:
    """The Babel `Locale` of `babel_locale(locale)`, parsed once."""
    return Locale.parse(babel_locale(locale))


def language_of(locale: str) -> str:
    """The language part of a locale: `en_GB` -> `en`; names the messages file."""
    return babel_locale(locale).split("_")[0]


def translate(messages: Mapping[str, str], key: str, **values: object) -> str:
    """The message `key` with `{name}` placeholders filled; the key itself if unknown.

    Args:
        messages: one language's messages, already merged over the English ones.
        key: the message name.
        values: placeholder values, inserted as text (the template escapes the result).
    """
    text = messages.get(key)
    if text is None:
        return key
    return text.format(**values) if values else text


def provenance_words(provenance: Provenance | None, messages: Mapping[str, str]) -> str:
    """`built from commit abc1234` (marked when the books had uncommitted changes) in `messages`' language."""
    if not provenance:
        return ""
    key = "built_from_uncommitted" if provenance.uncommitted else "built_from"
    return translate(messages, key, commit=provenance.short)


def translate_markup(messages: Mapping[str, str], key: str, **values: object) -> Markup:
    """`translate` for templates: the message escaped, each value escaped unless it is already HTML
    (a macro's output, such as a signed amount in its coloured span), so a sentence may hold markup."""
    text = messages.get(key)
    if text is None:
        return escape(key)
    return escape(text).format(**values) if values else escape(text)


def plural_key(messages: Mapping[str, str], key: str, count: int, locale: str) -> str:
    """The message of `key` for `count` by the locale's plural rule: `key_one`, `key_few`, `key_many`,
    else `key_other` (every language's files have the four; CLDR's `zero` and `two` read `_other`)."""
    form = _babel(locale).plural_form(abs(count))
    return f"{key}_{form}" if f"{key}_{form}" in messages else f"{key}_other"


# --------------------------------------------------------------- numbers


@_remembered
def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """`1.234,50 €` (es), `€1,234.50` (en): half up to the minor unit, then as Babel writes it
    (`money_text.currency_writer`: Babel's layout, read once a currency and locale)."""
    return _money_writer(currency, locale)(round_money(amount, currency))


@_remembered
def _money_writer(currency: str, locale: str):
    return currency_writer(currency, _babel(locale))


def hours_of(minutes: int) -> Decimal:
    """Minutes as decimal hours, 2 places, half up: 20 -> 0.33, 75 -> 1.25."""
    return (Decimal(minutes) / 60).quantize(HOUR_QUANTUM, rounding=ROUND_HALF_UP)


@_remembered
def format_hours(minutes: int, locale: str, form: str = HOURS_CLOCK) -> str:
    """Hours as `h:mm` (75 -> `1:15`, the default), or decimal in the locale's digits
    (`form="decimal"`: 75 -> `1.25` in en, `1,25` in es)."""
    if form == HOURS_DECIMAL:
        return format_decimal(hours_of(minutes), format="#,##0.00", locale=_babel(locale))
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}"


@_remembered
def format_rate(fraction: Decimal, locale: str) -> str:
    """A tax or surcharge rate as a percentage, up to 2 decimals: 0.21 -> `21 %` (es), 0.075 -> `7.5%` (en)."""
    exact = Decimal(fraction).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP).normalize()
    return format_percent(exact, locale=_babel(locale), decimal_quantization=False)


@_remembered
def format_share(fraction: Decimal, locale: str) -> str:
    """A share as a whole percentage, half up: 0.6919 -> `69%`; for margins and usage."""
    whole = Decimal(fraction).quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP)
    return format_percent(whole, locale=_babel(locale))


@_remembered
def format_amount(value: float | Decimal, locale: str) -> str:
    """A plain quantity with at most 2 decimals, for chart axes: 2.5 -> `2,5` (es)."""
    return format_decimal(Decimal(str(value)).quantize(HOUR_QUANTUM, rounding=ROUND_HALF_UP), format="#,##0.##",
                          locale=_babel(locale))


def share_of(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """part / whole, 0 when there is no whole; for bars and percentages."""
    if not whole:
        return Decimal(0)
    return Decimal(part) / Decimal(whole)


# --------------------------------------------------------------- dates and times


@_remembered
def format_date(day: datetime.date, locale: str, style: str = "long") -> str:
    """A date by the locale: style `long` (3 de noviembre de 2026), `medium`, `short`."""
    return babel_format_date(day, style, locale=_babel(locale))


@_remembered
def format_day(day: datetime.date, locale: str) -> str:
    """A short day for a statement's lines, weekday included: `mar, 3 nov`, `Tue, Nov 3`."""
    return format_skeleton("MMMEd", day, locale=_babel(locale))


@_remembered
def format_month(day: datetime.date, locale: str) -> str:
    """A month's short stand-alone name for chart axes: `Nov`, `нояб.`, `ное`."""
    return babel_format_date(day, "LLL", locale=_babel(locale))


@_remembered
def format_period(period: str, locale: str) -> str:
    """A period name for people: `2026-11` -> `Noviembre de 2026`, `2026-Q4` -> `4.º trimestre 2026`;
    a year is its number: `2026`."""
    year_text, _, part = period.partition("-")
    if not part:
        return year_text
    if part.startswith("Q"):
        day = datetime.date(int(year_text), (int(part[1:]) - 1) * 3 + 1, 1)
        text = babel_format_date(day, "QQQQ y", locale=_babel(locale))
    else:
        day = datetime.date(int(year_text), int(part), 1)
        text = format_skeleton("yMMMM", day, locale=_babel(locale))
    return text[:1].upper() + text[1:]


def format_clock(minute: int) -> str:
    """A minute of the day as `HH:MM`; minutes past midnight wrap: 1515 -> `01:15`."""
    hours, minutes = divmod(minute % MINUTES_PER_DAY, 60)
    return f"{hours:02d}:{minutes:02d}"


def format_time_range(start: int | None, end: int | None) -> str:
    """`09:10–10:25`; a range crossing midnight is marked: `23:30–01:15 (+1)`; "" without one."""
    if start is None or end is None:
        return ""
    text = f"{format_clock(start)}–{format_clock(end)}"
    days = end // MINUTES_PER_DAY - start // MINUTES_PER_DAY
    return f"{text} (+{days})" if days > 0 else text


# --------------------------------------------------------------- text


def render_markdown(text: str) -> Markup:
    """An entry's details: Markdown to HTML, then cleaned by nh3; only this is marked safe.

    Raw HTML in the text goes through Markdown untouched and is then cut down by nh3 to
    `DETAIL_TAGS`: no script, no event handler, no `javascript:` link, no image.

    Details nested deeper than `MAX_DETAIL_NESTING` (lists, quotes, links or HTML elements
    inside each other) are shown as they were written, escaped: Python-Markdown recurses
    once per level (thousands of levels overflow the stack) and nh3 takes time that grows
    with the square of the depth. No real note nests so deep.
    """
    if not text.strip():
        return Markup("")
    if nesting_depth(text) > MAX_DETAIL_NESTING:
        return plain_text(text)
    try:
        html = markdown_to_html(loosen_lists(text))
    except RecursionError:
        return plain_text(text)
    clean = nh3.clean(html, tags=_CLEAN_TAGS, attributes=_CLEAN_ATTRIBUTES, url_schemes=_CLEAN_URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 - cleaned by nh3 just above


_CLEAN_TAGS = set(DETAIL_TAGS)
_CLEAN_ATTRIBUTES = {tag: set(names) for tag, names in DETAIL_ATTRIBUTES.items()}
_CLEAN_URL_SCHEMES = set(DETAIL_URL_SCHEMES)
_converters = threading.local()


def markdown_to_html(text: str) -> str:
    """`markdown.markdown(text)` with `MARKDOWN_EXTENSIONS`, by one converter per thread, reset
    before each text (Python-Markdown's own way to reuse one): making a converter (its
    extensions, its processors) was two thirds of a short detail's 0.7 ms, some 7 s of a clean
    build of 100 000 entries. A converter that failed on a text is not used again."""
    converter = getattr(_converters, "markdown", None)
    if converter is None:
        converter = markdown.Markdown(extensions=[kind() for kind in _MARKDOWN_EXTENSION_CLASSES],
                                      output_format="html")
    _converters.markdown = None
    html = converter.reset().convert(text)
    _converters.markdown = converter
    return html


def plain_text(text: str) -> Markup:
    """Text shown as written: escaped, one line a line."""
    return Markup("<p>") + Markup("<br>\n").join(text.splitlines()) + Markup("</p>")


def nesting_depth(text: str) -> int:
    """How deep a detail nests: the most list, quote and indentation levels that start a line,
    and the most `[` brackets or HTML elements open at once."""
    deepest = 0
    for line in text.splitlines():
        prefix = _NESTING_PREFIX.match(line).group()
        levels = prefix.count(">") + len(_LIST_MARKER.findall(prefix))
        deepest = max(deepest, levels + len(prefix.expandtabs(4)) // 4)
    brackets = 0
    for char in _BRACKETS.findall(text):
        brackets = brackets + 1 if char == "[" else max(0, brackets - 1)
        deepest = max(deepest, brackets)
    elements = 0
    for closing, name, self_closing in _TAG.findall(text):
        if closing:
            elements = max(0, elements - 1)
        elif not self_closing and name.lower() not in _VOID_ELEMENTS:
            elements += 1
            deepest = max(deepest, elements)
    return deepest


def loosen_lists(text: str) -> str:
    """Put a blank line before a list that follows a paragraph line.

    People write a line and then `- item` lines right under it; Python-Markdown only
    sees a list after a blank line and would run the items into the paragraph.
    Fenced code is left alone.
    """
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif (not fenced and _LIST_ITEM.match(line) and out and out[-1].strip()
              and not _LIST_ITEM.match(out[-1]) and not out[-1].startswith((" ", "\t"))):
            out.append("")
        out.append(line)
    return "\n".join(out)


def describe_reason(reason: str | None, messages: Mapping[str, str]) -> str:
    """Why a line is held or not charged, in the statement's language.

    Known shapes get their own message: a built-in tag (`warranty`, `goodwill`),
    `free_under`, `free_up_to`, `deductible`, `included`, an unauthorised requester, an unapproved quote. Any other
    reason is a tag from the contract's `no_charge` list and is shown as `#tag`.
    """
    if not reason:
        return ""
    if reason in _KNOWN_REASONS:
        return translate(messages, f"reason_{reason}")
    match = _UNAUTHORISED.match(reason)
    if match:
        return translate(messages, "reason_unauthorised", who=match["who"])
    match = _UNAPPROVED.match(reason)
    if match:
        return translate(messages, "reason_unapproved", quote=match["quote"])
    return translate(messages, "reason_tag", tag=reason)


def reason_tag(reason: str | None) -> str | None:
    """The tag a no-charge reason names (a contract's `no_charge` tag), or None for a reason of another shape."""
    if not reason or reason in _KNOWN_REASONS or _UNAUTHORISED.match(reason) or _UNAPPROVED.match(reason):
        return None
    return reason


def capitalize(text: str) -> str:
    """First letter up, the rest untouched (Jinja's `capitalize` lowers the rest)."""
    return text[:1].upper() + text[1:]
