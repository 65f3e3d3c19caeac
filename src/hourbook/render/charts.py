"""Inline SVG charts, built as strings: stacked bars, lines, and progress bars.

No JavaScript and no plotting library: the same markup shows in a browser and in
WeasyPrint's PDF. Colours are presentation attributes (not page CSS) so both
renderers agree. Every piece of text is escaped here; the result is `Markup`.
Coordinates are floats, which is fine: they are geometry, never money.

An SVG scales with its width, text included, so one drawing cannot keep its labels
readable from a phone to A4. Each chart is therefore drawn twice: a wide one (the
screen above 720 px, and paper, where it spans the page) and a narrow one of the last
`NARROW_MONTHS` months with fewer, larger labels (phones); style.css shows one of them.
Text is `FONT_SIZE` units high in both, so that it stays >= 11 px on any screen where
its drawing is shown and >= 9 pt on A4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable
from typing import Sequence

from markupsafe import Markup
from markupsafe import escape

from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import UNCOVERED

STATUS_COLOURS = {
    BILLED: "#2f6fab",
    COVERED: "#3f9e7b",
    QUOTE: "#8c6bc0",
    NO_CHARGE: "#d9a520",
    HELD: "#d0573c",
    UNCOVERED: "#9aa3ad",
}
LINE_COLOURS = ("#2f6fab", "#d0573c", "#3f9e7b", "#8c6bc0", "#d9a520", "#4a4a4a", "#1b9aaa", "#b5487a")
AXIS = "#6b7280"
GRID = "#e5e7eb"
FONT = "font-family=\"DejaVu Sans, sans-serif\""
FONT_SIZE = 12          # text height in SVG units, in both drawings
NARROW_WIDTH = 320      # the phone drawing: shown 292-480 px wide, text 11-18 px
NARROW_HEIGHT = 220
NARROW_MONTHS = 6
MIN_PLOT = 110          # the least height of the plot area, whatever the legend takes

Number = float | int | Decimal
Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named row of values, one per x label; None is a gap."""

    label: str
    colour: str
    values: tuple[Number | None, ...]


@dataclass(frozen=True)
class Axis:
    """The x labels of a chart: a short label per slot, and an optional second line (the year)."""

    labels: tuple[str, ...]
    sublabels: tuple[str, ...] = ()


def nice_ceiling(value: float, ticks: int = 4) -> tuple[float, float]:
    """A round top for an axis and its step: 37 -> (40, 10); 0 -> (1, 0.25)."""
    if value <= 0:
        return 1.0, 1.0 / ticks
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step * ticks >= value:
            return step * ticks, step
    return 10 * magnitude * ticks, 10 * magnitude  # pragma: no cover - the loop always returns


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, title: str, body: list[str], css_class: str = "chart", extra: str = "",
         font: int = FONT_SIZE) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}"{extra} viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" {FONT} font-size="{font}">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part escaped above


def _char(font: int) -> float:
    """The width of an average character of DejaVu Sans at `font`, for laying out labels."""
    return 0.64 * font


def _legend_rows(series: Sequence[Series], width: float, font: int = FONT_SIZE) -> int:
    """How many rows `_legend` takes: it wraps the same way."""
    rows, cursor = 1, 0.0
    for item in series:
        size = 18 + _char(font) * len(item.label)
        if cursor + size > width and cursor > 0:
            rows, cursor = rows + 1, 0.0
        cursor += size + 12
    return rows


def _legend(series: Sequence[Series], x: float, y: float, width: float, font: int = FONT_SIZE) -> list[str]:
    parts, cursor, row = [], x, y
    for item in series:
        size = 18 + _char(font) * len(item.label)
        if cursor + size > x + width and cursor > x:
            cursor, row = x, row + font + 5
        parts.append(f'<rect x="{_num(cursor)}" y="{_num(row - 9)}" width="10" height="10" rx="2" fill="{item.colour}"/>'
                     f'<text x="{_num(cursor + 14)}" y="{_num(row)}" fill="#374151">{escape(item.label)}</text>')
        cursor += size + 12
    return parts


def _y_axis(left: float, top: float, plot_w: float, plot_h: float, top_value: float, step: float,
            fmt: Format) -> list[str]:
    parts = []
    ticks = round(top_value / step) if step else 0
    for index in range(ticks + 1):
        value = step * index
        y = top + plot_h - plot_h * value / top_value
        parts.append(f'<line x1="{_num(left)}" x2="{_num(left + plot_w)}" y1="{_num(y)}" y2="{_num(y)}" '
                     f'stroke="{GRID if index else AXIS}" stroke-width="1"/>'
                     f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end" fill="{AXIS}">{escape(fmt(value))}</text>')
    return parts


def _x_axis(axis: Axis, left: float, slot: float, baseline: float, font: int = FONT_SIZE) -> list[str]:
    parts = []
    widest = max((len(label) for label in axis.labels), default=0) * _char(font) + 4
    every = max(1, math.ceil(widest / slot)) if slot else 1
    for index, label in enumerate(axis.labels):
        x = left + slot * (index + 0.5)
        if index % every == 0:
            parts.append(f'<text x="{_num(x)}" y="{_num(baseline + font + 3)}" text-anchor="middle" fill="{AXIS}">{escape(label)}</text>')
        sub = axis.sublabels[index] if index < len(axis.sublabels) else ""
        if sub:
            parts.append(f'<text x="{_num(x)}" y="{_num(baseline + 2 * font + 5)}" text-anchor="middle" fill="{AXIS}">'
                         f'{escape(sub)}</text>')
    return parts


def last_slots(axis: Axis, series: Sequence[Series], count: int) -> tuple[Axis, list[Series]]:
    """The last `count` slots of a chart: its axis and every series cut to them."""
    first = max(len(axis.labels) - count, 0)
    subs = axis.sublabels[first:]
    if axis.sublabels and first < len(axis.sublabels) and not subs[0]:
        # The first slot shown names its year even when the slot before it, now left out, did.
        subs = (next((s for s in reversed(axis.sublabels[:first + 1]) if s), ""),) + subs[1:]
    return (Axis(axis.labels[first:], subs),
            [Series(s.label, s.colour, s.values[first:]) for s in series])


def wide_and_narrow(wide: Markup, narrow: Markup) -> Markup:
    """Both drawings of a chart, one after the other; style.css shows the one that fits the screen."""
    return Markup(str(wide).replace('class="chart"', 'class="chart chart-wide"', 1)  # noqa: S704 - both are Markup
                  + str(narrow).replace('class="chart"', 'class="chart chart-narrow"', 1))


def stacked_bars(axis: Axis, series: Sequence[Series], *, title: str, fmt: Format,
                 width: int = 640, height: int = 230, narrow: bool = True) -> Markup:
    """Bars stacked by series (e.g. hours per month by status), with a y axis and a legend.

    Args:
        axis: one label per bar.
        series: stacked bottom-up in order; series that are all zero are left out.
        title: the chart's accessible name (and tooltip).
        fmt: formats a y value for ticks and tooltips.
        narrow: also draw the phone's drawing, the last `NARROW_MONTHS` slots (`wide_and_narrow`).
    """
    if narrow:
        cut_axis, cut_series = last_slots(axis, series, NARROW_MONTHS)
        return wide_and_narrow(
            stacked_bars(axis, series, title=title, fmt=fmt, width=width, height=height, narrow=False),
            stacked_bars(cut_axis, cut_series, title=title, fmt=fmt, width=NARROW_WIDTH, height=NARROW_HEIGHT,
                         narrow=False))
    shown = [s for s in series if any(v for v in s.values)]
    left, right, top = 46.0, 8.0, 10.0
    legend_rows = _legend_rows(shown, width - left - right)
    bottom = 2 * FONT_SIZE + 24.0 + (FONT_SIZE + 5) * legend_rows
    height = max(height, int(top + MIN_PLOT + bottom))      # a long legend makes the drawing taller
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(float(s.values[i] or 0) for s in shown) for i in range(len(axis.labels))]
    top_value, step = nice_ceiling(max(totals, default=0))
    slot = plot_w / max(len(axis.labels), 1)
    bar = min(slot * 0.7, 42)
    body = _y_axis(left, top, plot_w, plot_h, top_value, step, fmt)
    for index, label in enumerate(axis.labels):
        y = top + plot_h
        x = left + slot * index + (slot - bar) / 2
        for item in shown:
            value = float(item.values[index] or 0)
            if value <= 0:
                continue
            h = plot_h * value / top_value
            y -= h
            body.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" height="{_num(h)}" fill="{item.colour}">'
                        f"<title>{escape(label)} · {escape(item.label)}: {escape(fmt(value))}</title></rect>")
    body += _x_axis(axis, left, slot, top + plot_h)
    body += _legend(shown, left, height - (FONT_SIZE + 5) * legend_rows + 4, plot_w)
    return _svg(width, height, title, body)


def line_chart(axis: Axis, series: Sequence[Series], *, title: str, fmt: Format,
               reference: tuple[str, float] | None = None, width: int = 640, height: int = 230,
               narrow: bool = True) -> Markup:
    """Lines over time (e.g. effective hourly rate per client), gaps where a value is None.

    Values far above the rest (over 3× the median) would flatten every other line, so the
    axis stops there and such points sit on the top edge as a triangle; their tooltip
    keeps the true value.

    Args:
        reference: a dashed horizontal line, (label, value), e.g. the cost of an hour.
        narrow: also draw the phone's drawing, the last `NARROW_MONTHS` slots (`wide_and_narrow`).
    """
    if narrow:
        cut_axis, cut_series = last_slots(axis, series, NARROW_MONTHS)
        return wide_and_narrow(
            line_chart(axis, series, title=title, fmt=fmt, reference=reference, width=width, height=height,
                       narrow=False),
            line_chart(cut_axis, cut_series, title=title, fmt=fmt, reference=reference, width=NARROW_WIDTH,
                       height=NARROW_HEIGHT, narrow=False))
    shown = [s for s in series if any(v is not None for v in s.values)]
    values = sorted(float(v) for s in shown for v in s.values if v is not None)
    left, right, top = 46.0, 8.0, 10.0
    legend_items = shown + ([Series(reference[0], AXIS, ())] if reference else [])
    legend_rows = _legend_rows(legend_items, width - left - right)
    bottom = 2 * FONT_SIZE + 24.0 + (FONT_SIZE + 5) * legend_rows
    height = max(height, int(top + MIN_PLOT + bottom))      # a long legend makes the drawing taller
    plot_w, plot_h = width - left - right, height - top - bottom
    cap = max(values, default=0.0)
    if values:
        median = values[(len(values) - 1) // 2]   # the lower median: one spike of two is still a spike
        if median > 0:
            cap = min(cap, 3 * median)
    if reference:
        cap = max(cap, reference[1] * 1.2)
    top_value, step = nice_ceiling(cap)
    slot = plot_w / max(len(axis.labels), 1)
    body = _y_axis(left, top, plot_w, plot_h, top_value, step, fmt)

    def point(index: int, value: float) -> tuple[float, float]:
        return left + slot * (index + 0.5), top + plot_h - plot_h * min(value, top_value) / top_value

    if reference:
        y = point(0, reference[1])[1]
        body.append(f'<line x1="{_num(left)}" x2="{_num(left + plot_w)}" y1="{_num(y)}" y2="{_num(y)}" '
                    f'stroke="{AXIS}" stroke-width="1.5" stroke-dasharray="5 4"/>')
    for item in shown:
        segment: list[str] = []
        segments = [segment]
        marks = []
        for index, value in enumerate(item.values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x, y = point(index, float(value))
            segment.append(f"{_num(x)},{_num(y)}")
            tip = f"<title>{escape(item.label)} · {escape(axis.labels[index])}: {escape(fmt(float(value)))}</title>"
            if float(value) > top_value:
                marks.append(f'<path d="M{_num(x - 5)},{_num(y + 7)} L{_num(x + 5)},{_num(y + 7)} L{_num(x)},{_num(y - 1)} Z" '
                             f'fill="{item.colour}">{tip}</path>')
            else:
                marks.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{item.colour}">{tip}</circle>')
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{item.colour}" '
                            f'stroke-width="2" stroke-linejoin="round"/>')
        body += marks
    body += _x_axis(axis, left, slot, top + plot_h)
    body += _legend(legend_items, left, height - (FONT_SIZE + 5) * legend_rows + 4, plot_w)
    return _svg(width, height, title, body)


def progress_bar(used: Number, total: Number, *, title: str, width: int = 120, height: int = 10) -> Markup:
    """A horizontal bar of `used` against `total` (quote burn, block use).

    Green up to 80 %, amber up to 100 %, red beyond; past 100 % the bar is full and a
    tick marks where 100 % falls.
    """
    share = float(used) / float(total) if total else 0.0
    colour = "#3f9e7b" if share < 0.8 else "#d9a520" if share <= 1 else "#d0573c"
    scale = max(share, 1.0)
    fill = width * min(share, scale) / scale
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" rx="3" fill="{GRID}"/>',
            f'<rect x="0" y="0" width="{_num(fill)}" height="{height}" rx="3" fill="{colour}"/>']
    if share > 1:
        mark = width / scale
        body.append(f'<line x1="{_num(mark)}" x2="{_num(mark)}" y1="0" y2="{height}" stroke="#111827" stroke-width="2"/>')
    # A bar stretches to its cell, whatever the cell's width.
    return _svg(width, height, title, body, css_class="bar", extra=' preserveAspectRatio="none"')
