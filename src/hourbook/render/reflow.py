"""Table cells labelled by their column's header, so that a table can stack on a phone.

On a narrow screen a table of seven columns cannot fit, and a table that scrolls
sideways hides the figures a client checks. style.css stacks such tables into one
block per row below 600 px, each cell preceded by its column's name, which CSS reads
from the cell's `data-label` (`td::before { content: attr(data-label) }`). The labels
are written here, from the rendered page, rather than by hand in every template: they
are always the header the table shows, in the page's language, whichever template
(hourbook's or the books' own) made the table.

Only tables with a `<thead>` are touched: such a `<table>` gets `data-reflow`, each
body cell of one column its header's text as `data-label`, and a cell with nothing
in it `data-empty` (hidden when stacked). Everything else is left byte for byte.
A label is text from the page itself, escaped again as an attribute.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser

from markupsafe import Markup


@dataclass
class _Cell:
    at: int                  # where an attribute goes in the cell's start tag
    header: bool
    column: int
    span: int
    text: list[str] = field(default_factory=list)
    filled: bool = False


@dataclass
class _Table:
    at: int
    headers: list[str] = field(default_factory=list)
    head_row: list[str] = field(default_factory=list)
    in_head: bool = False
    column: int = 0
    cell: _Cell | None = None


class _Labeller(HTMLParser):
    """Walks a page once and notes which attribute goes where (offsets in the page)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.lines = [0] + [match.end() for match in re.finditer("\n", page)]
        self.tables: list[_Table] = []
        self.inserts: list[tuple[int, str]] = []

    def _tag_end(self) -> int:
        line, column = self.getpos()
        raw = self.get_starttag_text() or ""
        start = self.lines[line - 1] + column
        return start + len(raw) - (2 if raw.endswith("/>") else 1)

    def handle_starttag(self, tag: str, attrs) -> None:
        """Note tables, header rows and cells; anything inside a cell makes it not empty."""
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None and tag not in ("td", "th", "tr"):
            table.cell.filled = True
        if tag == "table":
            self.tables.append(_Table(at=self._tag_end()))
        elif table is None:
            return
        elif tag == "thead":
            table.in_head = True
        elif tag in ("tbody", "tfoot"):
            self._close_cell(table)
            table.in_head = False
        elif tag == "tr":
            self._close_cell(table)
            table.column = 0
            if table.in_head:
                table.head_row = []
        elif tag in ("td", "th"):
            self._close_cell(table)
            span = dict(attrs).get("colspan") or "1"
            span_count = int(span) if span.isdigit() and int(span) > 0 else 1
            table.cell = _Cell(at=self._tag_end(), header=tag == "th", column=table.column, span=span_count)
            table.column += span_count

    def handle_startendtag(self, tag: str, attrs) -> None:
        """A self-closed tag (`<br/>`, an SVG shape) in a cell is content too."""
        if self.tables and self.tables[-1].cell is not None:
            self.tables[-1].cell.filled = True

    def handle_data(self, data: str) -> None:
        """Text in a cell: a header's words, or what makes a body cell not empty."""
        if self.tables and self.tables[-1].cell is not None and data.strip():
            self.tables[-1].cell.text.append(data)
            self.tables[-1].cell.filled = True

    def handle_endtag(self, tag: str) -> None:
        """Close cells, header rows and tables; a table closed with a header row is marked."""
        if not self.tables:
            return
        table = self.tables[-1]
        if tag in ("td", "th"):
            self._close_cell(table)
        elif tag == "thead":
            self._close_cell(table)
            table.headers = table.head_row
            table.in_head = False
        elif tag == "table":
            self._close_cell(table)
            self.tables.pop()
            if any(table.headers):
                self.inserts.append((table.at, " data-reflow"))

    def _close_cell(self, table: _Table) -> None:
        cell, table.cell = table.cell, None
        if cell is None:
            return
        if table.in_head:
            words = " ".join(" ".join(cell.text).split())
            table.head_row += [words] + [""] * (cell.span - 1)
        elif not cell.filled:
            self.inserts.append((cell.at, " data-empty"))
        elif not cell.header and cell.span == 1 and cell.column < len(table.headers) and table.headers[cell.column]:
            label = html.escape(table.headers[cell.column], quote=True)
            self.inserts.append((cell.at, f' data-label="{label}"'))


def label_cells(page: str) -> Markup:
    """`page` with each body cell of a table with a header row labelled by its column's header.

    Args:
        page: rendered HTML (trusted: it comes out of an autoescaping template).

    Returns:
        The same HTML, with `data-reflow` on such tables, `data-label="<header text>"` on
        their body cells and `data-empty` on their empty cells; nothing else changes.
    """
    labeller = _Labeller(str(page))
    labeller.feed(str(page))
    labeller.close()
    text, parts, last = str(page), [], 0
    for at, attribute in sorted(labeller.inserts):
        parts += [text[last:at], attribute]
        last = at
    parts.append(text[last:])
    return Markup("".join(parts))  # noqa: S704 - the page was escaped by its template; labels are escaped above
