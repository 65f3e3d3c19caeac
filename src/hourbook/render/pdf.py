"""HTML text -> PDF bytes with WeasyPrint: the only PDF writer.

The statement's own HTML (print CSS, A4, DejaVu Sans from the system) goes to
WeasyPrint with a URL fetcher that serves only `data:` URLs and files inside the
allowed template folders. Everything else, the network above all, is refused: a
statement never makes a request, whatever its text links to.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Iterable
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
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(folder) for folder in self.allowed):
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise RefusedURL(f"refused to fetch {url!r}: only data: URLs and the templates' own files are allowed")


def html_to_pdf(html: str, allowed: Iterable[Path]) -> bytes:
    """Lay out `html` on A4 pages (its print CSS) and return the PDF.

    Args:
        html: a complete page, as rendered for the web.
        allowed: folders whose files the page may load (the template folders);
            relative URLs resolve against the first.
    """
    folders = [Path(folder) for folder in allowed]
    fetcher = AssetFetcher(folders)
    base = folders[0].resolve().as_uri() + "/" if folders else None
    document = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher, media_type="print")
    return document.write_pdf()
