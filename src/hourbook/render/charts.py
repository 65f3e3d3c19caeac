"""Inline SVG charts, built as strings: stacked bars, lines, and progress bars.

No JavaScript and no plotting library: the same markup shows in a browser and in
WeasyPrint's PDF. Colours are presentation attributes (not page CSS) so both
renderers agree. Every piece of text is escaped here; the result is `Markup`.
Coordinates are floats, which is fine: they are geometry, never money.

Accessible (WCAG 2.1 AA): every colour stands at least 3:1 against the white page and
text at least 4.5:1 (`tests/test_accessibility.py` computes both); colour is never the
only cue (stacked bars carry a pattern per series and white gaps between segments,
lines a marker shape and a dash per series, in the legend too); and a chart given a
`row_header` is followed by a visually hidden table of its figures, the same numbers
for a screen reader (`data_table`).

An SVG scales with its width, text included, so one drawing cannot keep its labels
readable from a phone to A4. A stacked-bar chart is one drawing that a phone sees a window
of: its last slots at the same spacing, the bars and labels moved left (style.css, from the
drawing's own `--dx`, `--pw` and `--ph`) under a white band that keeps the y axis clear, so
that its text keeps its size (`_phone_window`); its legend is HTML under the drawing, which
wraps as the page does, and lists on a phone only the series its window shows. A line chart
is drawn twice, a wide drawing (screens above 720 px, and paper) and a narrow one of the
last `NARROW_MONTHS` months (phones); style.css shows one of them. Text is `FONT_SIZE` units
high in every drawing, so that it stays >= 11 px on any screen where its drawing is shown and
>= 9 pt on A4. A row of x labels is moved down once (`translate`), each label carrying its x alone.
"""

from __future__ import annotations

import hashlib
import math
from typing import Sequence

from markupsafe import Markup

from hourbook.core.records import BILLED
from hourbook.core.records import COVERED
from hourbook.core.records import HELD
from hourbook.core.records import NO_CHARGE
from hourbook.core.records import QUOTE
from hourbook.core.records import UNCOVERED
from hourbook.render.chart_series import Axis
from hourbook.render.chart_series import Format
from hourbook.render.chart_series import Number
from hourbook.render.chart_series import Series
from hourbook.render.chart_series import last_slots
from hourbook.render.chart_table import data_table
from hourbook.render.chart_table import escape

# Each at least 3:1 against white (WCAG 1.4.11), the same hues as the pages' swatches (style.css).
STATUS_COLOURS = {
    BILLED: "#2f6fab",
    COVERED: "#358f6e",
    QUOTE: "#8c6bc0",
    NO_CHARGE: "#a87a12",
    HELD: "#d0573c",
    UNCOVERED: "#7c8592",
}
# A second cue beside the colour: the pattern drawn over each status's segments and swatch.
STATUS_PATTERNS = {BILLED: "", COVERED: "stripes", QUOTE: "grid", NO_CHARGE: "dots", HELD: "back", UNCOVERED: "cross"}
PATTERNS = ("", "stripes", "dots", "back", "cross", "grid")
LINE_COLOURS = ("#2f6fab", "#d0573c", "#358f6e", "#8c6bc0", "#a87a12", "#4a4a4a", "#1b7f8c", "#b5487a")
MARKERS = ("circle", "square", "diamond", "ring", "box", "rhombus", "plus", "cross")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
OTHERS_COLOUR = "#1f2937"   # the grouped rest of a chart's clients: near black, 14.7:1 on white
AXIS = "#6b7280"
GRID = "#e5e7eb"
LEGEND_TEXT = "#374151"
FONT_SIZE = 12          # text height in SVG units, in both drawings
NARROW_WIDTH = 320      # what a phone shows of a chart: 292-480 px wide, text 11-18 px
NARROW_HEIGHT = 220
NARROW_MONTHS = 6
MIN_PLOT = 110          # the least height of the plot area, whatever the legend takes



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
    """A coordinate with one decimal at most: 12.0 -> "12", 12.25 -> "12.2"."""
    text = "%.1f" % value
    return text[:-2] if text.endswith(".0") else text


def _svg(width: int, height: int, title: str, body: list[str], css_class: str = "chart", extra: str = "",
         desc: str = "") -> Markup:
    """An inline drawing named by its <title> (its accessible name and tooltip). No font: a page's
    text is DejaVu Sans, and style.css sets a chart's to `FONT_SIZE` units (`render.pdf.paper_only`
    writes both on the drawing for WeasyPrint, which lays an SVG out apart from the page's CSS)."""
    # No xmlns: an <svg> in an HTML page is in SVG's namespace as parsed (a browser's, WeasyPrint's).
    head = (f'<svg class="{css_class}"{extra} viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img"><title>{escape(title)}</title>' + (f"<desc>{escape(desc)}</desc>" if desc else ""))
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text part escaped above


def _char(font: int) -> float:
    """The width of an average character of DejaVu Sans at `font`, for laying out labels."""
    return 0.64 * font


def _legend_size(item: Series, font: int) -> float:
    """The width one item of a line chart's legend takes: its line and marker, and its label."""
    return 30 + _char(font) * len(item.label)


def _legend_rows(series: Sequence[Series], width: float, font: int = FONT_SIZE) -> int:
    """How many rows `_legend` takes: it wraps the same way."""
    rows, cursor = 1, 0.0
    for item in series:
        size = _legend_size(item, font)
        if cursor + size > width and cursor > 0:
            rows, cursor = rows + 1, 0.0
        cursor += size + 12
    return rows


def _chart_id(title: str, axis: Axis, series: Sequence[Series]) -> str:
    """A prefix for the ids of the chart's patterns, the same for the same chart: two charts on one
    page differ, by their figures if by nothing else."""
    text = "\x1f".join([title, *axis.labels, *(f"{s.label}\x1e{s.values}" for s in series)])
    return "c" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:5]


def _patterns(prefix: str, fills: set[tuple[str, str]]) -> str:
    """<defs> of each (pattern, colour) the chart fills with: white strokes over the colour
    (stripes, dots, back(ward stripes), cross(hatch), grid), so that one shape draws both."""
    shapes = {
        "stripes": '<path d="M-1 1l2-2M0 6l6-6M5 7l2-2" stroke="#fff" stroke-width="1.6"/>',
        "back": '<path d="M-1 5l2 2M0 0l6 6M5-1l2 2" stroke="#fff" stroke-width="1.6"/>',
        "dots": '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
        "cross": '<path d="M0 0l6 6M6 0l-6 6" stroke="#fff" stroke-width="1.1"/>',
        "grid": '<path d="M3 0v6M0 3h6" stroke="#fff" stroke-width="1.2"/>',
    }
    defs = "".join(f'<pattern id="{_pattern_id(prefix, kind, colour)}" width="6" height="6" patternUnits="userSpaceOnUse">'
                   f'<rect width="6" height="6" fill="{colour}"/>{shapes[kind]}</pattern>'
                   for kind, colour in sorted(fills) if kind in shapes)
    return f"<defs>{defs}</defs>" if defs else ""


def _pattern_id(prefix: str, kind: str, colour: str) -> str:
    """The id of a pattern in a colour: the kind's first letter is enough (each of PATTERNS has its own)."""
    return f"{prefix}-{kind[0]}{colour.lstrip('#')}"


def _fill(prefix: str, pattern: str, colour: str) -> str:
    """`colour`, or its pattern drawn over the colour (`_patterns`)."""
    return f"url(#{_pattern_id(prefix, pattern, colour)})" if pattern else colour


def _bar(x: int, y: int, w: int, h: int, tip: str) -> str:
    """A bar with its tooltip (`tip`, already escaped): a rectangle, as a path, in fewer bytes than a <rect>,
    on whole units (a unit is at most 1.2 px on a screen and 0.3 mm on A4)."""
    return f'<path d="M{x} {y}h{w}v{h}h-{w}z"><title>{tip}</title></path>'


def _marker(shape: str, x: float, y: float, colour: str, tip: str = "") -> str:
    """A point of a line chart, one shape per series (MARKERS): filled, hollow, or two strokes."""
    inner = f"<title>{tip}</title>" if tip else ""
    solid = f'fill="{colour}"'
    hollow = f'fill="#fff" stroke="{colour}" stroke-width="1.8"'
    if shape in ("circle", "ring"):
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" {solid if shape == "circle" else hollow}>{inner}</circle>'
    if shape in ("square", "box"):
        return (f'<rect x="{_num(x - 3.2)}" y="{_num(y - 3.2)}" width="6.4" height="6.4" '
                f'{solid if shape == "square" else hollow}>{inner}</rect>')
    if shape in ("diamond", "rhombus"):
        return (f'<polygon points="{_num(x)},{_num(y - 4.5)} {_num(x + 4.5)},{_num(y)} {_num(x)},{_num(y + 4.5)} '
                f'{_num(x - 4.5)},{_num(y)}" {solid if shape == "diamond" else hollow}>{inner}</polygon>')
    if shape == "plus":
        strokes = f"M{_num(x - 4)},{_num(y)} h8 M{_num(x)},{_num(y - 4)} v8"
    else:
        strokes = f"M{_num(x - 3.5)},{_num(y - 3.5)} l7,7 M{_num(x + 3.5)},{_num(y - 3.5)} l-7,7"
    return f'<path d="{strokes}" fill="none" stroke="{colour}" stroke-width="2.2">{inner}</path>'


def _legend(series: Sequence[Series], x: float, y: float, width: float,
            styles: Sequence[tuple[str, str]] = (), font: int = FONT_SIZE) -> list[str]:
    """A line chart's legend: one line (its marker and dash, `styles`) and label per series, wrapping."""
    parts, cursor, row = [], x, y
    for item, (marker, dash) in zip(series, styles):
        size = _legend_size(item, font)
        if cursor + size > x + width and cursor > x:
            cursor, row = x, row + font + 5
        dash_part = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{_num(cursor)}" x2="{_num(cursor + 22)}" y1="{_num(row - 4)}" y2="{_num(row - 4)}" '
                     f'stroke="{item.colour}" stroke-width="2"{dash_part}/>')
        if marker:
            parts.append(_marker(marker, cursor + 11, row - 4, item.colour))
        parts.append(f'<text x="{_num(cursor + 26)}" y="{_num(row)}" fill="{LEGEND_TEXT}">{escape(item.label)}</text>')
        cursor += size + 12
    return parts


def _describe(axis: Axis, series: Sequence[Series]) -> str:
    """The chart's <desc>: its span and its series, in the page's own words."""
    names = axis.names or axis.labels
    span = f"{names[0]} – {names[-1]}" if len(names) > 1 else "".join(names)
    return f"{span}: {', '.join(item.label for item in series)}" if series else span


def _y_axis(left: float, top: float, plot_w: float, plot_h: float, top_value: float, step: float,
            fmt: Format, whole: bool = False) -> tuple[list[str], list[str]]:
    """The y axis: its lines (the axis and the grid over the plot) and its labels, apart, for a
    bar chart draws its bars between them; on whole units with `whole` (as a bar chart's bars are)."""
    grid, labels = [], []
    ticks = round(top_value / step) if step else 0
    for index in range(ticks + 1):
        value = step * index
        y = top + plot_h - plot_h * value / top_value
        y = round(y) if whole else y
        grid.append(f"M{_num(left)} {_num(y)}H{_num(left + plot_w)}")
        labels.append(f'<text x="{_num(left - 6)}" y="{_num(y + 4)}">{escape(fmt(value))}</text>')
    if not grid:
        return [], []
    # The axis (the first line) and the grid above it: one path each, a line a segment.
    lines = [f'<path d="{grid[0]}" stroke="{AXIS}"/>'] + ([f'<path d="{"".join(grid[1:])}" stroke="{GRID}"/>']
                                                        if len(grid) > 1 else [])
    return (['<g stroke-width="1" fill="none">', *lines, "</g>"],
            [f'<g text-anchor="end" fill="{AXIS}">', *labels, "</g>"])


def _y_label(text: str, top: float, plot_h: float) -> list[str]:
    """The y axis's name and unit ("Hours (h)", "EUR per hour"), turned up along the axis at the left edge."""
    if not text:
        return []
    middle = top + plot_h / 2
    return [f'<text x="{_num(FONT_SIZE)}" y="{_num(middle)}" text-anchor="middle" fill="{AXIS}" '
            f'transform="rotate(-90 {_num(FONT_SIZE)} {_num(middle)})" class="y-label">{escape(text)}</text>']


def _x_axis(axis: Axis, left: float, slot: float, baseline: float, font: int = FONT_SIZE,
            phone_first: int | None = None, whole: bool = False) -> list[str]:
    """The x labels under `baseline`: their row moved down once (`translate`), so that a label
    carries its x alone and a year under it the distance between the rows. `phone_first`: the
    first slot a phone shows (`_phone_window`), which gets its year, for phones only, if it has none;
    `whole`: each label at a whole unit."""
    parts = [f'<g text-anchor="middle" fill="{AXIS}" transform="translate(0 {_num(baseline + font + 3)})">']
    widest = max((len(label) for label in axis.labels), default=0) * _char(font) + 4
    every = max(1, math.ceil(widest / slot)) if slot else 1
    for index, label in enumerate(axis.labels):
        x = left + slot * (index + 0.5)
        x = round(x) if whole else x
        if index % every == 0:
            parts.append(f'<text x="{_num(x)}">{escape(label)}</text>')
        sub = axis.sublabels[index] if index < len(axis.sublabels) else ""
        if sub:
            parts.append(f'<text x="{_num(x)}" y="{font + 2}">{escape(sub)}</text>')
        elif index == phone_first:
            year = next((axis.sublabels[i] for i in range(min(index, len(axis.sublabels) - 1), -1, -1)
                         if axis.sublabels[i]), "")
            if year:        # shown on phones only (style.css; `render.pdf.paper_only` leaves it off paper)
                parts.append(f'<text class="ph" x="{_num(x)}" y="{font + 2}">{escape(year)}</text>')
    return parts + ["</g>"]


def wide_and_narrow(wide: Markup, narrow: Markup) -> Markup:
    """Both drawings of a chart, one after the other; style.css shows the one that fits the screen."""
    return Markup(str(wide).replace('class="chart"', 'class="chart chart-wide"', 1)  # noqa: S704 - both are Markup
                  + str(narrow).replace('class="chart"', 'class="chart chart-narrow"', 1))


def stacked_bars(axis: Axis, series: Sequence[Series], *, title: str, fmt: Format,
                 width: int = 640, height: int = 200, row_header: str = "", total_header: str = "",
                 narrow: bool = True, y_label: str = "", slots: int = 0) -> Markup:
    """Bars stacked by series (e.g. hours per month by status), with a y axis, and a legend under them.

    Segments are parted by a white gap and carry their series' pattern (PATTERNS by
    position when no series names one), so no two are told apart by colour alone.

    Args:
        axis: one label per bar.
        series: stacked bottom-up in order; series that are all zero are left out.
        title: the chart's accessible name (and tooltip).
        fmt: formats a y value for ticks and tooltips.
        row_header: when given, the chart is followed by `data_table` of its figures, this its first header.
        total_header: the table's last column, each bar's total; left out when one series is drawn
            (its column is the total).
        narrow: a phone shows the last slots of the same drawing (`_phone_window`).
        y_label: the y axis's name with its unit, written up its left side ("" = none, as before).
        slots: lay the bars out as if the axis had this many slots, the axis's own at the right (a
            client's first months take a twelve-month chart's last places, at its spacing).
    """
    shown = [s for s in series if any(v for v in s.values)]
    table = data_table(axis, shown, caption=title, row_header=row_header, fmt=fmt,
                       total_header=total_header if len(shown) > 1 else "") if row_header else Markup()
    if not any(s.pattern for s in shown):
        shown = [Series(s.label, s.colour, s.values, PATTERNS[i % len(PATTERNS)]) for i, s in enumerate(shown)]
    prefix = _chart_id(title, axis, shown)
    left, right, top = 46.0 + (FONT_SIZE + 6 if y_label else 0), 8.0, 10.0
    bottom = 2 * FONT_SIZE + 10.0                               # the x labels and the years under them
    height = max(height, int(top + MIN_PLOT + bottom))
    plot_w, plot_h = width - left - right, height - top - bottom
    count = len(axis.labels)
    places = max(slots, count, 1)
    totals = [sum(float(s.values[i] or 0) for s in shown) for i in range(count)]
    top_value, step = nice_ceiling(max(totals, default=0))
    slot = plot_w / places
    start = left + slot * (places - count)                      # the first slot's left edge
    bar = round(min(slot * 0.7, 42))
    grid, ticks = _y_axis(left, top, plot_w, plot_h, top_value, step, fmt, whole=True)
    segments: list[list[str]] = [[] for _ in shown]             # each series' segments, bottom-up per bar
    for index, label in enumerate(axis.labels):
        y = top + plot_h
        x = round(start + slot * index + (slot - bar) / 2)
        for number, item in enumerate(shown):
            value = float(item.values[index] or 0)
            if value <= 0:
                continue
            lower = round(y)                                    # each edge rounded once: segments still meet
            y -= plot_h * value / top_value
            if lower > round(y):
                segments[number].append(_bar(x, round(y), bar, lower - round(y),
                                             tip=f"{escape(label)} · {escape(item.label)}: {escape(fmt(value))}"))
    bars = ['<g stroke="#fff" stroke-width="1">']                # a white gap between segments
    for item, drawn in zip(shown, segments):                    # one fill a series: segments never overlap
        if drawn:
            bars += [f'<g fill="{_fill(prefix, item.pattern, item.colour)}">', *drawn, "</g>"]
    bars.append("</g>")
    window = _phone_window(count, places, slot, left, right) if narrow else None
    labels = _x_axis(axis, start, slot, top + plot_h, phone_first=count - window[0] if window else None, whole=True)
    body = [_patterns(prefix, {(s.pattern, s.colour) for s in shown}), *grid]
    extra = ""
    if window:
        shown_count, shift, visible = window
        # On a phone (style.css) the bars and their labels move left by `shift`, under a white band
        # that keeps the y axis's labels clear, and the drawing shows its first `visible` units.
        body += ['<g class="sh">', *bars, *labels, "</g>", f'<rect width="{_num(left)}" height="{height}" fill="#fff"/>']
        style = f"--pw:{_num(visible)};--ph:{height};--dx:-{_num(shift)}px"
        extra = ' preserveAspectRatio="xMinYMin slice"' + (f' style="{style}"' if style != USUAL_WINDOW else "")
        phone = [any(s.values[i] for i in range(count - shown_count, count)) for s in shown]
    else:
        body += bars + labels
        phone = [True] * len(shown)
    body += ticks + _y_label(y_label, top, plot_h)
    svg = _svg(width, height, title, body, css_class="chart chart-bars" if window else "chart", extra=extra,
               desc=_describe(axis, shown))
    return svg + _html_legend(shown, phone) + table


def _phone_window(count: int, places: int, slot: float, left: float, right: float) -> tuple[int, float, float] | None:
    """What a phone shows of a bar chart of `places` slots (the last `count` drawn): (how many of the
    last slots, how far they move left, the width shown), as many as fit `NARROW_WIDTH` at the wide
    drawing's spacing, so that its text keeps its size; None when all of them fit (a phone shows the whole)."""
    fit = max(1, int((NARROW_WIDTH - left - right) // slot))
    if fit >= places:
        return None
    shown = min(fit, count)
    return shown, slot * (places - fit), left + slot * fit + right


# What style.css takes when a chart does not say (`--pw`, `--ph`, `--dx`; a legend item's `--c`): a
# statement's twelve months, and each pattern in the colour of the status it stands for, so that
# most charts say none of it (tests/test_page_bytes.py holds style.css to these).
USUAL_WINDOW = "--pw:298.2;--ph:200;--dx:-341.8px"
LEGEND_COLOURS = {pattern: STATUS_COLOURS[status] for status, pattern in STATUS_PATTERNS.items()}


def _html_legend(shown: Sequence[Series], phone: Sequence[bool]) -> Markup:
    """A bar chart's legend, under its drawing: one swatch (its series' colour and pattern, style.css)
    and label each, wrapping as the page does; an item whose series a phone's window does not show is
    for wider screens only (`w`)."""
    items = []
    for item, on_phone in zip(shown, phone):
        classes = " ".join(filter(None, (f"k-{item.pattern[0]}" if item.pattern else "", "" if on_phone else "w")))
        colour = "" if LEGEND_COLOURS.get(item.pattern) == item.colour else f' style="--c:{item.colour}"'
        items.append(f'<li{f" class={chr(34)}{classes}{chr(34)}" if classes else ""}{colour}>{escape(item.label)}')
    return Markup(f'<ul class="legend">{"".join(items)}</ul>') if items else Markup()  # noqa: S704 - labels escaped


def line_chart(axis: Axis, series: Sequence[Series], *, title: str, fmt: Format,
               reference: tuple[str, float] | None = None, width: int = 640, height: int = 230,
               row_header: str = "", narrow: bool = True, y_label: str = "") -> Markup:
    """Lines over time (e.g. effective hourly rate per client), gaps where a value is None.

    Values far above the rest (over 3× the median) would flatten every other line, so the
    axis stops there and such points sit on the top edge as a triangle; their tooltip
    keeps the true value. Each line has its own marker shape and dash (MARKERS, DASHES).

    Args:
        reference: a dashed horizontal line, (label, value), e.g. the cost of an hour.
        row_header: when given, the chart is followed by `data_table` of its figures, this its first header.
        narrow: also draw the phone's drawing, the last `NARROW_MONTHS` slots (`wide_and_narrow`).
        y_label: the y axis's name with its unit, written up its left side ("" = none).
    """
    shown = [s for s in series if any(v is not None for v in s.values)]
    if narrow:
        cut_axis, cut_series = last_slots(axis, series, NARROW_MONTHS)
        drawings = wide_and_narrow(
            line_chart(axis, series, title=title, fmt=fmt, reference=reference, width=width, height=height,
                       narrow=False, y_label=y_label),
            line_chart(cut_axis, cut_series, title=title, fmt=fmt, reference=reference, width=NARROW_WIDTH,
                       height=NARROW_HEIGHT, narrow=False, y_label=y_label))
        return drawings + data_table(axis, shown, caption=title, row_header=row_header, fmt=fmt) if row_header else drawings
    values = sorted(float(v) for s in shown for v in s.values if v is not None)
    left, right, top = 46.0 + (FONT_SIZE + 6 if y_label else 0), 8.0, 10.0
    styles = [(MARKERS[i % len(MARKERS)], DASHES[i % len(DASHES)]) for i in range(len(shown))]
    legend_items = shown + ([Series(reference[0], AXIS, ())] if reference else [])
    legend_styles = styles + ([("", "5 4")] if reference else [])
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
    grid, ticks = _y_axis(left, top, plot_w, plot_h, top_value, step, fmt)
    body = grid + ticks + _y_label(y_label, top, plot_h)

    def point(index: int, value: float) -> tuple[float, float]:
        return left + slot * (index + 0.5), top + plot_h - plot_h * min(value, top_value) / top_value

    if reference:
        y = point(0, reference[1])[1]
        body.append(f'<line x1="{_num(left)}" x2="{_num(left + plot_w)}" y1="{_num(y)}" y2="{_num(y)}" '
                    f'stroke="{AXIS}" stroke-width="1.5" stroke-dasharray="5 4"/>')
    for item, (marker, dash) in zip(shown, styles):
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
            tip = f"{escape(item.label)} · {escape(axis.labels[index])}: {escape(fmt(float(value)))}"
            if float(value) > top_value:
                marks.append(f'<path d="M{_num(x - 5)},{_num(y + 7)} L{_num(x + 5)},{_num(y + 7)} L{_num(x)},{_num(y - 1)} Z" '
                             f'fill="{item.colour}"><title>{tip}</title></path>')
            else:
                marks.append(_marker(marker, x, y, item.colour, tip))
        dash_part = f' stroke-dasharray="{dash}"' if dash else ""
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{item.colour}" '
                            f'stroke-width="2" stroke-linejoin="round"{dash_part}/>')
        body += marks
    body += _x_axis(axis, left, slot, top + plot_h)
    body += _legend(legend_items, left, height - (FONT_SIZE + 5) * legend_rows + 4, plot_w, styles=legend_styles)
    svg = _svg(width, height, title, body, desc=_describe(axis, shown))
    return svg + data_table(axis, shown, caption=title, row_header=row_header, fmt=fmt) if row_header else svg


def progress_bar(used: Number, total: Number, *, title: str) -> Markup:
    """A horizontal bar of `used` against `total` (quote burn, block use): an empty element that
    style.css draws (`span.bar`), its share filled (`--v`), in a few bytes where an SVG took 300.

    Green up to 80 %, amber up to 100 %, red beyond; past 100 % the bar is full and a
    tick marks where 100 % falls.
    """
    share = float(used) / float(total) if total else 0.0
    kind = "" if share < 0.8 else " near" if share <= 1 else " over"
    scale = max(share, 1.0)
    tick = f'<i style="left:{_num(100 / scale)}%"></i>' if share > 1 else ""
    label = escape(title)
    return Markup(f'<span class="bar{kind}" style="--v:{_num(100 * min(share, scale) / scale)}%" role="img" '  # noqa: S704
                  f'aria-label="{label}" title="{label}">{tick}</span>')
