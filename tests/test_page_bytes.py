"""Bytes a page does not need are not written: its templates' indentation, a chart's repeated attributes.

Issue 16 (a site of 50 000 pages): what never shows is not repeated on every page. The pages
look the same (tests/test_render.py's golden statement differs only in white space and in the
charts' markup; tests/test_screens.py measures the pages in a browser).
"""

from __future__ import annotations

import re

from hourbook.render import charts
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import make_environment


def test_hourbook_page_templates_lose_their_indentation_and_the_books_own_keep_it(tmp_path):
    env = make_environment(None)
    on_disk = (TEMPLATES_DIR / "statement.html").read_text(encoding="utf-8")
    source = env.loader.get_source(env, "statement.html")[0]
    assert re.search(r"^[ \t]+<", on_disk, re.M)                     # indented where it is written
    assert not re.search(r"^[ \t]", source, re.M)
    assert source.count("\n") == on_disk.count("\n")                # the same lines: errors keep their line
    assert re.sub(r"\s+", " ", source) == re.sub(r"\s+", " ", on_disk)      # only white space went
    books = tmp_path / "books"
    (books / "templates").mkdir(parents=True)
    own = "<div>\n    <pre>\n  kept as written\n    </pre>\n</div>\n"
    (books / "templates" / "statement.html").write_text(own, encoding="utf-8")
    env = make_environment(books)
    assert env.loader.get_source(env, "statement.html")[0] == own


def test_a_charts_segments_share_their_series_fill_and_its_grid_is_one_path():
    axis = charts.Axis(tuple(f"m{index}" for index in range(12)))
    series = [charts.Series("Billed", "#2f6fab", (1,) * 12), charts.Series("Held", "#d0573c", (0.5,) * 12)]
    svg = str(charts.stacked_bars(axis, series, title="Hours", fmt=str, narrow=False))
    bars = re.search(r'<g stroke="#fff" stroke-width="1">(.*)</g><g text-anchor="middle"', svg).group(1)
    assert bars.count("<path d=\"M") == 24 and bars.count("fill=") == 2      # one fill a series, not a bar
    assert bars.count('<g fill="#2f6fab">') == 1 and bars.count('<g fill="url(#') == 1
    assert svg.count("<line") == 0 and svg.count('stroke="#e5e7eb"') == 1   # the grid: one path


def test_a_bar_charts_shapes_sit_on_whole_units_and_still_meet():
    # 1 + 1.2 + 0.7 hours on an axis of 4 hours over 156 units, from 166 up: edges at 127, 80.2 -> 80
    # and 52.9 -> 53, each rounded once, so that a segment starts where the one under it ends.
    axis = charts.Axis(("a",))
    series = [charts.Series(name, "#2f6fab", (value,), pattern)
              for name, value, pattern in (("one", 1, ""), ("two", 1.2, "stripes"), ("three", 0.7, "dots"))]
    svg = str(charts.stacked_bars(axis, series, title="t", fmt=str, slots=12))
    heights = re.findall(r'<path d="M(\d+) (\d+)h(\d+)v(\d+)h-\3z">', svg)
    assert [(int(y), int(h)) for _, y, _, h in heights] == [(127, 39), (80, 47), (53, 27)]
    assert {x for x, _, _, _ in heights} == {str(round(46 + 11 * 586 / 12 + (586 / 12 - 34) / 2))}


def test_a_share_is_a_few_bytes_that_style_css_draws():
    assert str(charts.progress_bar(7, 8, title="88 % used")) == (
        '<span class="bar near" style="--v:87.5%" role="img" aria-label="88 % used" title="88 % used"></span>')
    assert str(charts.progress_bar(1, 4, title="25 %")).startswith('<span class="bar" style="--v:25%"')
    # Past 100 %: full, red, and a tick where 100 % falls (3 of 3.5 hours: 85.7 %).
    assert str(charts.progress_bar(3.5, 3, title="117 %")) == (
        '<span class="bar over" style="--v:100%" role="img" aria-label="117 %" title="117 %">'
        '<i style="left:85.7%"></i></span>')
    assert "<svg" not in str(charts.progress_bar(0, 0, title="0 %"))


def test_a_charts_escape_writes_what_markupsafe_writes():
    from markupsafe import Markup
    from markupsafe import escape as markupsafe_escape

    from hourbook.render.chart_table import escape
    for text in ("a & b < c > d \" e ' f", "plain", Markup("<b>kept</b>"), 12.5, "", "Ü€ – ·", "&amp;"):
        assert escape(text) == str(markupsafe_escape(text)) and type(escape(text)) is str
