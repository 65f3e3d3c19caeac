"""HTML text -> PDF bytes with WeasyPrint: the only PDF writer.

The statement's own HTML (print CSS, A4, DejaVu Sans from the system) goes to
WeasyPrint with a URL fetcher that serves only `data:` URLs and files inside the
allowed template folders, with every link and `..` resolved first: a logo in
templates/ that links to /etc/passwd is refused like /etc/passwd itself. Everything
else, the network above all, is refused: a statement never makes a request,
whatever its text links to.

The same HTML gives the same bytes: the fonts embedded in a PDF are subset by
fontTools, which stamps each subset with the current time unless
`SOURCE_DATE_EPOCH` is set, so it is set while WeasyPrint writes (to the
caller's value when there is one). Invoices (Factur-X, PDF/A-3) go through here
too, with their variant, attachment and finisher.

A statement's page links its stylesheet (`<link href="style.css">`); its PDF gets the
stylesheet's text instead (`stylesheet=`), parsed once per process and kept with one
`FontConfiguration` (`parsed_stylesheet`): a build makes hundreds of PDFs in each worker,
and parsing the same CSS and looking up the same fonts for each was a third of a PDF's cost.

What a page holds for screens only goes before WeasyPrint reads it (`paper_only`): each
chart's phone drawing and its table of figures for screen readers (`render.charts`), which
style.css never shows on paper. WeasyPrint still parsed and styled them, a quarter of a
statement's PDF; the pages on paper are the same (`tests/test_pdf_paper_only.py`). A chart's
font, which a browser takes from style.css, is written on its drawing there: WeasyPrint lays
an inline SVG out with the drawing's own attributes, not the page's CSS.
"""

from __future__ import annotations

import contextlib
import functools
import mimetypes
import os
import re
from pathlib import Path
from typing import Callable
from typing import Iterable
from typing import Iterator
from urllib.parse import unquote
from urllib.parse import urlparse

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher
from weasyprint.urls import URLFetcherResponse


STYLESHEET_LINK = '<link rel="stylesheet" href="style.css">'     # as base.html writes it


class RefusedURL(ValueError):
    """A resource the PDF may not load."""


class AssetFetcher(URLFetcher):
    """Serves `data:` URLs and files under `allowed` folders; refuses anything else."""

    def __init__(self, allowed: Iterable[Path]) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.allowed = tuple(folder.resolve() for folder in allowed)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """A `data:` URL, or a file in an allowed folder with its type guessed from its name; else `RefusedURL`."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.allowed_file(url)
            if path is not None:
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise RefusedURL(f"refused to fetch {url!r}: only data: URLs and the templates' own files are allowed")

    def allowed_file(self, url: str) -> Path | None:
        """The regular file a `file:` URL names, every link and `..` resolved, when it is in an allowed folder."""
        try:
            path = Path(unquote(urlparse(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(folder) for folder in self.allowed):
                return path
        except (OSError, ValueError):      # a NUL in the name, a loop of links
            pass
        return None


@contextlib.contextmanager
def fixed_font_timestamps() -> Iterator[None]:
    """fontTools stamps font subsets with `SOURCE_DATE_EPOCH`, else with the clock: fix it."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def fast_font_subsetting() -> bool:
    """Whether WeasyPrint subsets the PDFs' fonts with HarfBuzz-Subset (a C library) rather than
    fontTools, which costs about 2.5 times the CPU a statement (0.27 s against 0.65 s on the
    bench's 5 000-entry books). `pip` cannot install the library: the system's package manager
    does (Debian and Ubuntu: libharfbuzz-subset0). True when it cannot be told."""
    try:
        from weasyprint.text.ffi import harfbuzz
        from weasyprint.text.ffi import harfbuzz_subset
        return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
    except (ImportError, AttributeError):
        return True


SLOW_SUBSETTING_NOTE = ("the PDFs' fonts were subset with fontTools, about 2.5 times the CPU of "
                        "HarfBuzz-Subset: install it for faster PDFs (Debian, Ubuntu: apt-get install "
                        "libharfbuzz-subset0; macOS: brew install harfbuzz)")


def font_subsetting_note() -> str | None:
    """The note for a build that made PDFs without HarfBuzz-Subset (`fast_font_subsetting`), or None."""
    return None if fast_font_subsetting() else SLOW_SUBSETTING_NOTE


@functools.lru_cache(maxsize=1)
def font_configuration() -> FontConfiguration:
    """One FontConfiguration per process, shared by every statement's PDF and its stylesheet."""
    return FontConfiguration()


@functools.lru_cache(maxsize=8)
def parsed_stylesheet(css: str, folders: tuple[Path, ...]) -> weasyprint.CSS:
    """The pages' stylesheet parsed for print, once per process and text (its `url()`s load as the page's do)."""
    base = folders[0].resolve().as_uri() + "/" if folders else None
    return weasyprint.CSS(string=css, base_url=base, url_fetcher=AssetFetcher(folders), media_type="print",
                          font_config=font_configuration())


def folder_stylesheet(folders: list[Path], fetcher: AssetFetcher) -> str | None:
    """The first allowed `style.css` of `folders` (the books' templates before the built-in
    ones), as text; None when there is none. The build hands over the rendered template instead."""
    for folder in folders:
        path = fetcher.allowed_file((folder.resolve() / "style.css").as_uri())
        if path is not None:
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
    return None


# The chart markup `render.charts` writes for screens: the phone's drawing, and the figures for a
# screen reader. Their text is escaped there, so neither can hold its own closing tag.
_SCREEN_ONLY = re.compile(r'<svg [^>]*class="chart chart-narrow"[^>]*>.*?</svg>|<text class="ph"[^>]*>[^<]*</text>'
                          r'|<div class="visually-hidden"><table class="chart-data">.*?</table></div>', re.S)


# A chart's text: DejaVu Sans, charts.FONT_SIZE units high (style.css's `svg.chart`).
_CHART_FONT = '<svg font-family="DejaVu Sans, sans-serif" font-size="12" class="chart'


def paper_only(html: str) -> str:
    """`html` without what is shown on screens only, its charts with their font (see the module):
    the same pages on paper."""
    return _SCREEN_ONLY.sub("", html).replace('<svg class="chart', _CHART_FONT)


def html_to_pdf(html: str, allowed: Iterable[Path], *, variant: str | None = None, attachments: Iterable = (),
                finisher: Callable | None = None, adjust: Callable | None = None, stylesheet: str | None = None) -> bytes:
    """Lay out `html` on A4 pages (its print CSS) and return the PDF.

    Args:
        html: a complete page, as rendered for the web.
        allowed: folders whose files the page may load (the template folders);
            relative URLs resolve against the first.
        variant: a WeasyPrint PDF variant, e.g. "pdf/a-3b" for a Factur-X invoice.
        attachments: WeasyPrint `Attachment`s to embed.
        finisher: WeasyPrint's hook on the PDF objects before they are written.
        adjust: called with the laid-out document before it is written (its metadata).
        stylesheet: the text of the `style.css` the page links (`STYLESHEET_LINK`), used in
            its place, parsed once per process; a page that does not link it is laid out as it is.
            None: the first `style.css` of the allowed folders (`folder_stylesheet`).
    """
    folders = [Path(folder) for folder in allowed]
    fetcher = AssetFetcher(folders)
    base = folders[0].resolve().as_uri() + "/" if folders else None
    sheets = None
    if stylesheet is None and STYLESHEET_LINK in html:
        stylesheet = folder_stylesheet(folders, fetcher)
    if stylesheet is not None and STYLESHEET_LINK in html:
        html = html.replace(STYLESHEET_LINK, "", 1)
        sheets = [parsed_stylesheet(stylesheet, tuple(folders))]
    document = weasyprint.HTML(string=paper_only(html), base_url=base, url_fetcher=fetcher, media_type="print").render(
        stylesheets=sheets, font_config=font_configuration())
    if adjust is not None:
        adjust(document)
    with fixed_font_timestamps():
        return document.write_pdf(pdf_variant=variant, attachments=list(attachments) or None, finisher=finisher)
