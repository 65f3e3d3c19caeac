"""A statement whose content did not change keeps its last version: the page, and so its PDF.

Every statement says which day it was made (`Version of 21 November 2026`, in the screen and the
print footers), and that day is the build's as-of date: today, unless `--as-of` says otherwise.
So the first build of each day made every statement's page and PDF again for that date alone:
on five years of 20 clients, 2 000 pages and some 1 000 PDFs (two minutes of WeasyPrint); at
100 000 entries, 50 000 pages and 26 000 PDFs. The date of a version is now the day its content
last changed, and a statement that did not change is the page on disk, byte for byte; its PDF
(made from the same text) then comes from the PDF cache rather than from WeasyPrint.

Two ways to tell, both in `KeptVersions.page`:

- **Before rendering**, by the digest of what the statement is made of with the as-of date left
  out (kept when the statement is of a period still in progress, whose page says "as of" that
  day; and always, when the books' own templates use the date). One record per client in
  `records/statement-versions/` holds each statement's digest and the sha256 of the page made of
  it; an equal digest, the page on disk being that page, gives it unrendered. Only the first
  build of a day (as of a later day than the last build) reads and records them: it is the one
  that would render every statement again. A digest costs a third of a rendering, and on the
  same day a client that did not change keeps its pages whole, a changed one its unchanged
  statements (`render.pages.STATEMENT_PAGES`).
- **After rendering**, by the page: one that is the page on disk but for the text of its
  `<span class="version">` is that page (a digest the record does not have yet, or inputs that
  changed in what does not show).

A page on disk is taken only when it is still what the last build wrote (its sha256 is the
manifest's), and only by a build whose as-of date is not before the last build's, so that no
page is dated after the day the books are priced on. Logbook text cannot write a version span
(entry details keep no `class`: `render.filters.DETAIL_ATTRIBUTES`); books templates that write
the date without it make a new version each day. Pinned to a clean build's pages by
tests/test_versions.py.
"""

from __future__ import annotations

import datetime
import hashlib
import pickle
import re
from pathlib import Path
from typing import Callable

from hourbook.build.digests import code_digest
from hourbook.build.digests import contracts_by_digest
from hourbook.build.digests import digest_of
from hourbook.build.digests import stable_form
from hourbook.build.digests import values_digest
from hourbook.build.record_store import RecordStore
from hourbook.build.spool import as_written
from hourbook.core.records import Contract
from hourbook.core.records import PricedBooks
from hourbook.render.html import templates_name

KIND = "statement-versions"
VERSION = re.compile(r'<span class="version">[^<]*</span>')
BLANK = '<span class="version"></span>'


def content(page: str) -> str:
    """A statement page without the dates of its version."""
    return VERSION.sub(BLANK, page)


def _sha256(page: str) -> str:
    return hashlib.sha256(page.encode("utf-8")).hexdigest()


class KeptVersions:
    """The statements of the site on disk that this build keeps as they are (see the module).

    Args:
        out: the site folder.
        manifest: the last build's {site path: [sha256, size, mtime_ns]}.
        store: where each client's statement digests are kept (None: compared after rendering only).
        common: the digest of what every statement is made of besides its own inputs (settings, PDF
            or not, templates, code; not the date).
        as_of: the build's as-of date.
        dated: the books' templates use the as-of date: it is part of every statement's digest.
        contract_form: a contract's stable form (`caches.PricingCache.contract_form`, which keeps it).
    """

    def __init__(self, out: Path, manifest: dict[str, list], store: RecordStore | None = None, common: str = "",
                 as_of: datetime.date | None = None, dated: bool = False,
                 contract_form: Callable[[Contract], tuple] | None = None):
        self.out = f"{out}/"
        self.manifest = manifest
        self.as_of = as_of
        self.store = store
        self.common = common
        self.dated = dated
        # client id -> site path -> (digest of the inputs, sha256 of the page made of them), as read
        self.recorded: dict[str, dict[str, tuple[str, str]]] = {}
        self.now: dict[str, dict[str, tuple[str, str]]] = {}    # ... as this build made them
        self.table = contracts_by_digest(contract_form)
        self.kept = 0                       # pages given as they were on disk, for tests
        self.unrendered = 0                 # ... of them, without rendering them

    def page(self, client: str, rel: str, inputs: tuple, in_progress: bool, render: Callable[[], str]) -> str:
        """The statement at `rel` (of `client`) made of `inputs` (the as-of date left out; the
        period still `in_progress` on that day shows it): the page on disk when it would read the
        same but for its version's date, else `render()`."""
        if self.store is None:
            return self(rel, render())
        day = self.as_of if in_progress or self.dated else None
        try:
            digest = values_digest(self.common, rel, day, inputs, table=self.table)
        except (pickle.PicklingError, TypeError, ValueError, AttributeError, RecursionError):
            return self(rel, render())      # not to be told by its digest: compared once rendered
        recorded = self._recorded(client).get(rel)
        entry = self.manifest.get(rel)
        # The page on disk is the one made of these inputs (not one a build that stopped before
        # writing the site left there): its digest is the record's.
        if recorded is not None and recorded[0] == digest and entry is not None and entry[0] == recorded[1]:
            page = self.on_disk(rel)
            if page is not None:
                self.kept += 1
                self.unrendered += 1
                self.now.setdefault(client, {})[rel] = recorded
                return page
        page, sha256 = self._kept(rel, render())
        self.now.setdefault(client, {})[rel] = (digest, sha256)
        return page

    def __call__(self, rel: str, page: str) -> str:
        """`page`, or the page on disk at `rel` when `page` is that page but for its version's date."""
        return self._kept(rel, page)[0]

    def _kept(self, rel: str, page: str) -> tuple[str, str]:
        """`__call__`, with the sha256 of the page given."""
        sha256 = _sha256(page)
        entry = self.manifest.get(rel)
        if entry is None or sha256 == entry[0] or '<span class="version">' not in page:
            return page, sha256
        old = self.on_disk(rel)
        if old is None or content(old) != content(page):
            return page, sha256
        self.kept += 1
        return old, entry[0]

    def on_disk(self, rel: str) -> str | None:
        """The page the last build wrote at `rel`, when it is still that page (`spool.as_written`)."""
        entry = self.manifest.get(rel)
        data = as_written(self.out + rel, entry[0], entry[1]) if entry is not None else None
        try:
            return data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            return None

    def save(self, client: str) -> None:
        """Keep the digests of the statements of `client` made since (called once its files are
        rendered, in the process that rendered them)."""
        made = self.now.pop(client, None)
        if self.store is not None and made is not None:
            self.store.put(KIND, record_name(client), made)

    def _recorded(self, client: str) -> dict[str, tuple[str, str]]:
        recorded = self.recorded.get(client)
        if recorded is None:
            data = self.store.get(KIND, record_name(client))
            valid = isinstance(data, dict) and all(
                type(k) is str and type(v) is tuple and len(v) == 2 and all(type(d) is str for d in v)
                for k, v in data.items())
            recorded = self.recorded[client] = data if valid else {}
        return recorded


def record_name(client_id: str) -> str:
    """The record of a client's statement digests: named for the client, so that the next build finds it."""
    return digest_of(b"versions", client_id.encode("utf-8", "surrogatepass"))


def kept_versions(root: Path, out: Path, state: dict, priced: PricedBooks, store: RecordStore | None, *, pdf: bool,
                  templates: str, contract_form: Callable[[Contract], tuple] | None = None) -> KeptVersions | None:
    """The versions of the site at `out` as the last build (`state`) wrote them, for a build of the
    books at `root` (`priced`; with or without PDFs; `templates`: their templates' digest); None
    when there is nothing to keep (no site, or the last build priced a later day).

    The digests are read and recorded by a build as of a later day than the last only: they cost
    about a third of rendering a statement, and that build is the one that would render every
    statement again for the date (on the same day a client's pages are kept whole when it did not
    change, and its statements by `render.pages.STATEMENT_PAGES`). The records of every client of
    the books are kept at the store's prune (a forked process reads and writes those of the
    clients it renders).
    """
    if store is not None and store.used is not None:
        store.used.setdefault(KIND, set()).update(record_name(client.contract.id) for client in priced.clients)
    manifest = state.get("manifest") or {}
    last = state.get("as_of")
    if not manifest or not isinstance(last, str) or last > priced.as_of.isoformat():
        return None
    common = values_digest("statement", stable_form(priced.books.settings), pdf, templates, code_digest())
    return KeptVersions(out, manifest, store if last < priced.as_of.isoformat() else None, common, priced.as_of,
                        templates_name(root, (b"as_of",)), contract_form)
