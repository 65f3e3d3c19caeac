"""A statement whose content did not change keeps its last version: the page, and so its PDF.

Every statement says which day it was made (`Version of 21 November 2026`, in the screen and the
print footers), and that day is the build's as-of date: today, unless `--as-of` says otherwise.
So the first build of each day made every statement's page and PDF again for that date alone:
on five years of 20 clients, 2 000 pages and some 1 000 PDFs (145 s of WeasyPrint); at 100 000
entries, 26 000 PDFs (over an hour). The date of a version is now the day its content last
changed: a statement that this build renders the same as the page on disk, but for the day in
its `<span class="version">`, is given as that page, byte for byte, and its PDF (made from the
same text) comes from the PDF cache rather than from WeasyPrint.

A page on disk is taken only when it is still what the last build wrote (its sha256 is the
manifest's), and only by a build whose as-of date is not before the last build's: a page is
never dated after the day the books are priced on. The content compared is everything outside
the version spans; logbook text cannot write such a span (entry details keep no `class`,
`render.filters.DETAIL_ATTRIBUTES`), so only the templates' footers are left out. Books
templates that write the date without the span make a new version each day, as before.
Pinned to a clean build's pages by tests/test_versions.py.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

VERSION = re.compile(r'<span class="version">[^<]*</span>')
BLANK = '<span class="version"></span>'


def content(page: str) -> str:
    """A statement page without the dates of its version."""
    return VERSION.sub(BLANK, page)


class KeptVersions:
    """`version(rel, page)`: the site's page at `rel` when it is `page` but for its version's date,
    else `page` (see the module)."""

    def __init__(self, out: Path, manifest: dict[str, list]):
        self.out = f"{out}/"
        self.manifest = manifest
        self.kept = 0                       # pages given as they were on disk, for tests

    def __call__(self, rel: str, page: str) -> str:
        entry = self.manifest.get(rel)
        if entry is None or '<span class="version">' not in page:
            return page
        try:
            with open(self.out + rel, "rb") as file:
                data = file.read()
        except OSError:
            return page
        if hashlib.sha256(data).hexdigest() != entry[0]:
            return page                     # not what the last build wrote
        try:
            old = data.decode("utf-8")
        except UnicodeDecodeError:
            return page
        if old == page or content(old) != content(page):
            return page
        self.kept += 1
        return old


def kept_versions(out: Path, state: dict, as_of: datetime.date) -> KeptVersions | None:
    """The versions of the site at `out` as the last build (`state`) wrote them, for a build as of
    `as_of`; None when there is nothing to keep (no site, or the last build priced a later day)."""
    manifest = state.get("manifest")
    last = state.get("as_of")
    if not manifest or not isinstance(last, str) or last > as_of.isoformat():
        return None
    return KeptVersions(out, manifest)
