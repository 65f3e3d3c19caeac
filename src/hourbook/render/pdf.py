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
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
from pathlib import Path
from typing import Callable
from typing import Iterable
from typing import Iterator
from urllib.parse import unquote
from urllib.parse import urlparse

import weasyprint
from weasyprint.urls import URLFetcher
from weasyprint.urls import URLFetcherResponse


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


def html_to_pdf(html: str, allowed: Iterable[Path], *, variant: str | None = None, attachments: Iterable = (),
                finisher: Callable | None = None, adjust: Callable | None = None) -> bytes:
    """Lay out `html` on A4 pages (its print CSS) and return the PDF.

    Args:
        html: a complete page, as rendered for the web.
        allowed: folders whose files the page may load (the template folders);
            relative URLs resolve against the first.
        variant: a WeasyPrint PDF variant, e.g. "pdf/a-3b" for a Factur-X invoice.
        attachments: WeasyPrint `Attachment`s to embed.
        finisher: WeasyPrint's hook on the PDF objects before they are written.
        adjust: called with the laid-out document before it is written (its metadata).
    """
    folders = [Path(folder) for folder in allowed]
    fetcher = AssetFetcher(folders)
    base = folders[0].resolve().as_uri() + "/" if folders else None
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher, media_type="print").render()
    if adjust is not None:
        adjust(document)
    with fixed_font_timestamps():
        return document.write_pdf(pdf_variant=variant, attachments=list(attachments) or None, finisher=finisher)
