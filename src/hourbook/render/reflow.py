"""Table cells labelled by their column's header, so that a table can stack on a phone.

On a narrow screen a table of seven columns cannot fit, and a table that scrolls
sideways hides the figures a client checks. style.css stacks such tables into one
block per row below 600 px, each cell preceded by its column's name, which CSS reads
from the cell's `data-label` (`td::before { content: attr(data-label) }`). The labels
are written here, from the rendered page, rather than by hand in every template: they
are always the header the table shows, in the page's language, whichever template
(hourbook's or the books' own) made the table.

Only tables with a `<thead>` are touched: such a `<table>` gets `data-reflow` and its
columns' names once, as CSS strings in its `style` (`--l1:'Fecha';--l2:'Trabajo'`): style.css
shows the name of column N before each body cell that is the N-th of its row
(`td:nth-child(N)`). A cell that is not where its column's number says (after a cell
spanning columns) gets its header's text as `data-label`; a cell of no column's name (it
spans columns, or its header is empty) `data-nolabel`; a cell with nothing in it
`data-empty` (hidden when stacked). A table that has a `style` of its own gets `data-label`
on every labelled cell instead. Everything else is left byte for byte. A label is text from
the page itself, escaped again (as a CSS string, or as an attribute).

The names once a table rather than once a cell: the phone labels were 8 % of the bytes of a
site of 100 000 entries (a fifth of the index pages and of the owner's dashboards).

Only the tags that shape a table are read (one regular expression), not the whole page; a
chart's table of figures (`chart_table.data_table`, hidden, no header row) is passed over whole:
about 40 MB of page a second, 0.6 s for the 2,100 pages of 5,000 entries and 20
clients. base.html and invoice.html pass their content through `label_cells`.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from dataclasses import field

from markupsafe import Markup


# The tags that make a table's shape, found without reading the rest of the page (a tokenizer
# over all of it took longer than rendering the page). Comments, scripts and styles are
# matched to be skipped; quoted attribute values may hold ">".
TOKENS = re.compile(
    r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<table class=\"chart-data\">.*?</table>"
    r"|<(/?)(table|thead|tbody|tfoot|tr|td|th)\b((?:[^>\"']+|\"[^\"]*\"|'[^']*')*)>",
    re.S | re.I)
NOT_SPACE = re.compile(r"\S")
COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.I)
STYLE = re.compile(r"(?:^|\s)style\s*=", re.I)
NAMED_COLUMNS = 12       # the columns named in a table's style (style.css sets `--l` for as many)
TAG = re.compile(r"<[^>]*>")


@dataclass(slots=True)
class _Cell:
    at: int                  # where an attribute goes in the cell's start tag
    header: bool
    column: int
    index: int               # its place among the cells of its row (what `nth-child` counts), from 0
    span: int
    start: int               # where its content starts
    filled: bool = False     # a table inside it


@dataclass(slots=True)
class _Table:
    at: int
    styled: bool = False     # a `style` of its own: its cells are labelled one by one
    headers: list[str] = field(default_factory=list)
    head_row: list[str] = field(default_factory=list)
    in_head: bool = False
    column: int = 0
    index: int = 0
    cell: _Cell | None = None


def _close_cell(page: str, table: _Table, end: int, inserts: list[tuple[int, str]]) -> None:
    """The cell open in `table` ends at `end`: a header's words are kept, a body cell labelled."""
    cell, table.cell = table.cell, None
    if table.in_head:
        words = " ".join(html.unescape(TAG.sub(" ", page[cell.start:end])).split())
        table.head_row += [words] + [""] * (cell.span - 1)
    elif not (cell.filled or NOT_SPACE.search(page, cell.start, end)):
        inserts.append((cell.at, " data-empty"))
    elif cell.header:
        return
    elif cell.span == 1 and cell.column < len(table.headers) and table.headers[cell.column]:
        if table.styled or cell.index != cell.column or cell.column >= NAMED_COLUMNS:
            inserts.append((cell.at, _label(table.headers[cell.column])))
    elif any(table.headers):
        inserts.append((cell.at, " data-nolabel"))


@functools.lru_cache(maxsize=4096)     # a site's tables have a few hundred column names
def _label(name: str) -> str:
    """A cell's `data-label` attribute naming its column."""
    return f' data-label="{html.escape(name, quote=True)}"'


def _names(headers: list[str]) -> str:
    """A table's `style` naming its columns (`--l1:'Fecha';--l3:'Horas'`; an empty header names none)."""
    return ";".join(f"--l{column + 1}:{_css_string(name)}" for column, name in enumerate(headers[:NAMED_COLUMNS])
                    if name)


def _css_string(text: str) -> str:
    """`text` as a CSS string that needs no escaping in a double-quoted attribute: quotes,
    backslashes and `<>&` written as CSS escapes (`\\27 `)."""
    return "'" + "".join(f"\\{ord(ch):x} " if ch in "\\'\"<>&" or not ch.isprintable() else ch
                         for ch in text) + "'"


def _insertions(page: str) -> list[tuple[int, str]]:
    """Where each attribute goes, as (offset in the page, text)."""
    tables: list[_Table] = []
    inserts: list[tuple[int, str]] = []
    table = None                                         # the innermost open table (`tables[-1]`)
    for match in TOKENS.finditer(page):
        if match.lastindex != 4:                         # a comment, a script, a style, a chart's table
            continue
        slash, tag, attributes = match.group(2, 3, 4)
        if not tag.islower():
            tag = tag.lower()
        if tag == "table":
            if not slash:
                if table is not None and table.cell is not None:
                    table.cell.filled = True
                table = _Table(at=match.end() - 1, styled=STYLE.search(attributes) is not None)
                tables.append(table)
            elif table is not None:
                if table.cell is not None:
                    _close_cell(page, table, match.start(), inserts)
                tables.pop()
                if any(table.headers):
                    named = "" if table.styled else f' style="{_names(table.headers)}"'
                    inserts.append((table.at, f" data-reflow{named}"))
                table = tables[-1] if tables else None
            continue
        if table is None:
            continue
        if table.cell is not None:
            _close_cell(page, table, match.start(), inserts)
        if tag == "td" or tag == "th":
            if not slash:
                span = COLSPAN.search(attributes) if "colspan" in attributes.lower() else None
                count = max(int(span.group(1)), 1) if span else 1
                end = match.end()
                table.cell = _Cell(end - (2 if page[end - 2] == "/" else 1), tag == "th", table.column,
                                   table.index, count, end)
                table.column += count
                table.index += 1
        elif tag == "tr":
            if not slash:
                table.column = table.index = 0
                if table.in_head:
                    table.head_row = []
        elif tag == "thead":
            if slash:
                table.headers = table.head_row
            table.in_head = not slash
        else:                                            # tbody, tfoot
            table.in_head = False
    return inserts


def label_cells(page: str) -> Markup:
    """`page` with each body cell of a table with a header row labelled by its column's header.

    Args:
        page: rendered HTML (trusted: it comes out of an autoescaping template).

    Returns:
        The same HTML, with `data-reflow` and the columns' names (`style`) on such tables, and on
        their body cells `data-label`, `data-nolabel` or `data-empty` where the module's
        docstring says; nothing else changes.
    """
    text, parts, last = str(page), [], 0
    for at, attribute in sorted(_insertions(text)):
        parts += [text[last:at], attribute]
        last = at
    parts.append(text[last:])
    return Markup("".join(parts))  # noqa: S704 - the page was escaped by its template; labels are escaped above
