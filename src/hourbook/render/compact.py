"""A page's markup without the end tags HTML lets it leave out, so that a site holds fewer bytes.

HTML lets a table cell, a row, a table's head and body, and a term or description of a list
end where the next one starts: `<td>` needs no `</td>` before another `<td>` or the end of its
row (HTML Living Standard, "Optional tags"). At 100 000 entries those end tags, and the
newlines the templates put after them, were 7 % of a site's bytes: every statement's table
of entries, its chart's table of figures, its parties' lists of terms.

`compact` removes an end tag only where the next tag is one the standard names for it (a
`</dd>` before a `<div>` stays), with the whitespace between the two, which is no text inside
a table or between blocks; whitespace inside a cell stays. A browser and WeasyPrint (tinyhtml5)
build the same tree from the page: `tests/test_compact.py` parses every page of the example
books both ways and compares, and their PDFs are the same bytes. Comments, styles, scripts and
textareas are passed over whole (the books' own templates may have them). Text from the books
is escaped before it gets here, so a `</td>` elsewhere in the page is markup.

The whitespace removed is drawn nowhere in hourbook's own stylesheet, which lays cells and terms
out as a table, a grid or blocks. A books `style.css` that made them inline blocks would lose
the space between two of them (README, "On a phone and on paper").
"""

from __future__ import annotations

import re

from markupsafe import Markup


# Raw text (a style, a script, a textarea's text) and comments: passed over whole. The
# Content-Security-Policy of every page refuses an inline script and hourbook's templates
# have none of them, but the books' own templates may.
_RAW_START = re.compile(r"<(?:!--|[sS][cC][rR][iI][pP][tT]|[sS][tT][yY][lL][eE]|[tT][eE][xX][tT][aA][rR][eE][aA])")
_RAW = re.compile(r"(<!--.*?-->|<(script|style|textarea)\b.*?</\2\s*>)", re.S | re.I)
_END_TAGS = re.compile(
    r"</(?:t[dh]>\s*(?=<(?:t[dh]|/?tr|/?tbody|/thead|/?tfoot|/table)\b)"   # a cell: the next cell or row, or the end
    r"|tr>\s*(?=<(?:tr|/?tbody|/thead|/?tfoot|/table)\b)"
    r"|thead>\s*(?=<t(?:body|foot)\b)"
    r"|tbody>\s*(?=<(?:t(?:body|foot)|/table)\b)"
    r"|dt>\s*(?=<d[td]\b)"
    r"|dd>\s*(?=<(?:d[td]|/dl)\b)"
    r")")


def compact(page: str) -> Markup:
    """`page` without the end tags HTML lets it leave out and the whitespace after them.

    Args:
        page: rendered HTML (trusted: it comes out of an autoescaping template).

    Returns:
        The same document, as a browser parses it, in fewer bytes.
    """
    text = str(page)
    if _RAW_START.search(text) is None:
        return Markup(_END_TAGS.sub("", text))  # noqa: S704 - only markup is removed from escaped HTML
    parts = _RAW.split(text)             # text, raw, its tag name, text, ...
    return Markup("".join(_END_TAGS.sub("", part) if index % 3 == 0 else part if index % 3 == 1 else ""  # noqa: S704
                          for index, part in enumerate(parts)))
