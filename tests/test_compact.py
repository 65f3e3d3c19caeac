"""render/compact.py: a page without the end tags HTML lets it leave out is the same page.

The pages of the example books, rendered with and without `compact`, parse to the same tree
(tinyhtml5, the parser WeasyPrint reads HTML with), but for the whitespace between the parts
of a table or a list of terms, which no browser draws. The end tags go only where the HTML
standard lets them: the cases below keep those it does not.
"""

from __future__ import annotations

import datetime

import pytest
import tinyhtml5
from markupsafe import Markup

from hourbook.core.records import ERROR
from hourbook.git import Provenance
from hourbook.pipeline import load_and_price
from hourbook.render import html as render_html
from hourbook.render import render_site
from hourbook.render.compact import compact
from conftest import copy_example_books

AS_OF = datetime.date(2026, 12, 31)
TABLE_PARTS = {"table", "thead", "tbody", "tfoot", "tr", "dl"}


def tree(page: str) -> tuple:
    """The parsed page, without comments and without whitespace-only text in a table's parts or a `<dl>`."""
    def node(element) -> tuple:
        tag = element.tag.rpartition("}")[2]
        def kept(text):
            return None if tag in TABLE_PARTS and text is not None and not text.strip() else text
        children = []
        for child in element:
            if isinstance(child.tag, str):
                children += [node(child), kept(child.tail)]
        return tag, tuple(sorted(element.attrib.items())), kept(element.text), tuple(children)
    return node(tinyhtml5.parse(page))


def site_pages(root, monkeypatch, compacted: bool) -> dict[str, str]:
    if not compacted:
        monkeypatch.setitem(render_html.DOCUMENT_FILTERS, "compact", lambda page: Markup(page))
    priced, diagnostics = load_and_price(root, AS_OF)
    assert [d for d in diagnostics if d.severity == ERROR] == []
    folders = {c.contract.id: f"{c.contract.id}-0123abcd" for c in priced.clients if c.contract.share}
    files = render_site(priced, root, folders, pdf=True, to_pdf=lambda html: b"%PDF-",
                        provenance=Provenance("abc1234" * 5 + "abcde", False))
    monkeypatch.undo()
    return {path: data.decode("utf-8") for path, data in files.items() if path.endswith(".html")}


def test_every_page_of_the_example_books_parses_to_the_same_tree_in_fewer_bytes(tmp_path, monkeypatch):
    root = copy_example_books(tmp_path / "books")
    plain = site_pages(root, monkeypatch, compacted=False)
    short = site_pages(root, monkeypatch, compacted=True)
    assert plain.keys() == short.keys() and len(plain) > 50
    differ = [path for path in plain if tree(plain[path]) != tree(short[path])]
    assert differ == []
    assert all("</td>" in plain[path] for path in plain if path.endswith("/2026-11.html"))   # the plain pages had them
    assert not any("</td>" in page or "</tr>" in page or "</dd>" in page for page in short.values())
    saved = 1 - sum(map(len, short.values())) / sum(map(len, plain.values()))
    assert saved > 0.04


@pytest.mark.parametrize(("page", "expected"), [
    ("<table>\n<tr>\n<td>a</td>\n<td>b</td></tr>\n<tr><th>c</th></tr>\n</table>",
     "<table>\n<tr>\n<td>a<td>b<tr><th>c</table>"),
    # <thead> ends where a <tbody> starts, not before a bare row (that row would join the head).
    ("<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>",
     "<table><thead><tr><th>h<tbody><tr><td>1</table>"),
    ("<table><thead><tr><th>h</th></tr></thead><tr><td>1</td></tr></table>",
     "<table><thead><tr><th>h</thead><tr><td>1</table>"),
    # A description followed by a <div> (a group of a <dl>) keeps its end tag; a term before its description not.
    ("<dl><dt>a</dt>\n<dd>1</dd>\n<div><dt>b</dt><dd>2</dd></div></dl>",
     "<dl><dt>a<dd>1</dd>\n<div><dt>b<dd>2</dd></div></dl>"),
    # A cell followed by text or another element keeps it, and so does whitespace inside a cell.
    ("<tr><td> a </td> x <td>b</td><p>c</p></tr>", "<tr><td> a </td> x <td>b</td><p>c</p></tr>"),
    # Raw text and comments are passed over whole, whatever their case.
    ("<STYLE>td::after { content: '</td><td>' }</STYLE><tr><td>a</td><td>b</td></tr>",
     "<STYLE>td::after { content: '</td><td>' }</STYLE><tr><td>a<td>b</tr>"),
    ("<!-- </td><td> --><td>a</td><td>b</td>", "<!-- </td><td> --><td>a<td>b</td>"),
    ("<script>var s = '</dd><dd>';</script><dd>x</dd><dd>y</dd>", "<script>var s = '</dd><dd>';</script><dd>x<dd>y</dd>"),
    ("<p>no table</p>", "<p>no table</p>"),
])
def test_end_tags_go_only_where_the_standard_lets_them(page, expected):
    assert compact(page) == expected
    assert tree(compact(page)) == tree(page)
