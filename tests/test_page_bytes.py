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
