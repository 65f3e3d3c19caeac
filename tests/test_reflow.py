"""Pages that fit a phone, without a browser: cells labelled for stacking (render/reflow.py),
and bar charts a phone sees a window of (render/charts.py). tests/test_screens.py measures
the result in Chromium; these pin the pieces."""

from __future__ import annotations

import re

from hourbook.render import charts
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.reflow import label_cells

TABLE = """\
<table class="lines">
  <thead><tr><th class="c-date">Fecha</th><th>Trabajo &amp; notas</th><th class="num">Horas</th><th></th></tr></thead>
  <tbody>
    <tr><td class="c-date">3 nov</td><td><div class="desc">Driver</div></td><td class="num">1:15</td><td>
    </td></tr>
    <tr class="subtotal"><td colspan="2">Subtotal</td><td class="num">1:15</td><td><svg class="bar"/></td></tr>
  </tbody>
</table>
<table class="totals"><tr><td>Total</td><td class="num">75,00 €</td></tr></table>"""


def test_body_cells_are_labelled_by_their_column_header():
    page = label_cells(TABLE)
    # The columns' names once, on the table: style.css labels the N-th cell of a row with --lN.
    assert ('<table class="lines" data-reflow style="--l1:\'Fecha\';--l2:\'Trabajo \\26  notas\';'
            '--l3:\'Horas\'">') in page
    assert '<td class="c-date">3 nov</td>' in page                   # the first of its row: --l1
    assert '<td><div class="desc">' in page
    assert '<td data-empty>\n    </td>' in page                     # nothing in it: hidden when stacked
    assert '<td colspan="2" data-nolabel>Subtotal</td>' in page       # a cell spanning columns: no name
    assert '<td class="num" data-label="Horas">1:15</td><td data-nolabel><svg' in page   # 2nd of its row, column 3;
                                                                     # no header for the last column: no label
    assert '<table class="totals"><tr><td>Total</td>' in page         # no header row: left as it was


def test_labelling_adds_attributes_and_changes_nothing_else():
    page = label_cells(TABLE)
    assert re.sub(r' data-(?:reflow(?: style="[^"]*")?|empty|nolabel|label="[^"]*")', "", page) == TABLE
    assert label_cells("<p>no table</p>") == "<p>no table</p>"


def test_a_table_with_a_style_of_its_own_has_its_cells_labelled_one_by_one():
    page = label_cells('<table style="width:50%"><thead><tr><th>A "quoted" name</th><th>B</th></tr></thead>'
                       '<tbody><tr><td>1</td><td>2</td></tr></tbody></table>')
    assert page == ('<table style="width:50%" data-reflow><thead><tr><th>A "quoted" name</th><th>B</th></tr>'
                    '</thead><tbody><tr><td data-label="A &quot;quoted&quot; name">1</td><td data-label="B">2</td>'
                    '</tr></tbody></table>')


def test_a_name_is_a_css_string_that_cannot_leave_its_attribute():
    page = label_cells('<table><thead><tr><th>It\'s &lt;b&gt; "x" \\ &amp;</th></tr></thead>'
                       '<tbody><tr><td>1</td></tr></tbody></table>')
    named = re.search(r'style="([^"]*)"', page).group(1)
    assert named == "--l1:'It\\27 s \\3c b\\3e  \\22 x\\22  \\5c  \\26 '"
    assert not set("<>&\"") & set(named)


def test_a_header_with_markup_is_labelled_by_its_words():
    page = label_cells('<table><thead><tr><th scope="col"><abbr title="hours">H</abbr>\n  logged</th></tr></thead>'
                       '<tbody><tr><th scope="row">x</th></tr><tr><td>1</td></tr></tbody></table>')
    assert "style=\"--l1:'H logged'\"" in page and "<td>1</td>" in page
    assert '<th scope="row">x</th>' in page                           # a row header is a card's title


def test_a_bar_chart_is_one_drawing_a_phone_sees_the_last_months_of():
    axis = charts.Axis(tuple(f"m{i}" for i in range(12)), ("2026",) + ("",) * 11)
    svg = str(charts.stacked_bars(axis, [charts.Series("Billed", "#000", tuple(range(1, 13)))], title="Hours", fmt=str))
    (head,) = re.findall(r"<svg [^>]*>", svg)
    assert 'class="chart chart-bars"' in head and 'viewBox="0 0 640 ' in head
    # Its text is FONT_SIZE units everywhere (style.css; on paper, render.pdf.paper_only).
    assert "font-size" not in svg and "svg.chart { width: 100%; height: auto; max-width: 760px; display: block; " \
        f"font-size: {charts.FONT_SIZE}px; }}" in (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    # A phone's window: the last five months, the bars and labels moved left (`sh`), the first one's
    # year for phones only (`ph`), under a white band as wide as the y axis's labels.
    moved = svg[svg.index('<g class="sh">'):svg.index('<rect width="46" height="200" fill="#fff"/>')]
    assert ">m0<" in moved and ">m11<" in moved
    assert re.findall(r'<text class="ph" x="\d+" y="14">(\d+)</text>', svg) == ["2026"]


def test_the_phone_window_is_what_style_css_takes_unsaid():
    css = (TEMPLATES_DIR / "style.css").read_text(encoding="utf-8")
    pw, ph, dx = re.fullmatch(r"--pw:([\d.]+);--ph:(\d+);--dx:(-[\d.]+px)", charts.USUAL_WINDOW).groups()
    assert f"aspect-ratio: var(--pw, {pw}) / var(--ph, {ph});" in css and f"translateX(var(--dx, {dx}))" in css
    for pattern, colour in charts.LEGEND_COLOURS.items():
        assert (f"ul.legend .k-{pattern[0]} {{ --c: {colour}; }}" if pattern else f"ul.legend li {{ --c: {colour}; }}") in css


def test_the_narrow_drawing_keeps_its_labels_apart():
    axis = charts.Axis(("sept", "oct", "nov", "dic", "ene", "feb"))
    narrow = charts.stacked_bars(axis, [charts.Series("Facturado", "#000", (1,) * 6)], title="t", fmt=str,
                                 width=charts.NARROW_WIDTH, narrow=False)
    labels = re.search(r'<g text-anchor="middle"[^>]*>(.*?)</g>', narrow).group(1)    # the x axis's labels
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)">', labels)]         # one row: its y on the group
    assert len(xs) == 6                                               # every month named
    assert min(b - a for a, b in zip(xs, xs[1:])) >= 4 * charts.FONT_SIZE * 0.64   # four letters fit between


def test_quoted_brackets_comments_nesting_and_case_are_read_as_html():
    page = label_cells('<!-- <table><thead><tr><th>no</th></tr></thead></table> -->'
                       '<TABLE><THEAD><TR><TH title="a > b">Work</TH><TH>Hours</TH></TR></THEAD>'
                       '<TBODY><TR><TD title="x > y">Fix</TD><TD><table><tr><td>1</td></tr></table></TD></TR>'
                       '</TBODY></TABLE>')
    assert page.startswith("<!-- <table><thead><tr><th>no</th></tr></thead></table> -->")   # a comment: as it was
    assert '<TD title="x > y">Fix</TD>' in page
    assert '<TD><table><tr><td>1</td></tr></table></TD>' in page       # a table inside: its own
    assert "<TABLE data-reflow style=\"--l1:'Work';--l2:'Hours'\">" in page


def test_each_stylesheet_labels_as_many_columns_as_a_table_names():
    """style.css (the site's pages) and invoice.css (an invoice, a document of its own) each show
    name N before the N-th cell, for every N that `label_cells` may write on a table."""
    from hourbook.render.html import TEMPLATES_DIR
    from hourbook.render.invoice import INVOICE_TEMPLATES
    from hourbook.render.reflow import NAMED_COLUMNS

    rules = "".join(f"table[data-reflow] > tbody > tr > td:nth-child({n}) {{ --l: var(--l{n}); }}\n"
                    for n in range(1, NAMED_COLUMNS + 1))
    for sheet in (TEMPLATES_DIR / "style.css", INVOICE_TEMPLATES / "invoice.css"):
        text = sheet.read_text(encoding="utf-8")
        assert rules in text and text.count("td:nth-child(") == NAMED_COLUMNS, sheet
