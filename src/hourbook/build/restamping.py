"""The owner's pages of the site on disk made to show a new commit, as the builder uses them.

The commit is shown on the owner's pages only (`render.restamp`, which rewrites the three places
`base.html` puts it). After a commit alone, every owner's page of the site is restamped
(`restamped_site`); after an edit that turned the books dirty or clean, each kept client's
owner report (`report_restamper`). A page is taken only as the last build wrote it: its bytes
must have the digest that build recorded, else it is rendered again.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Callable

from hourbook.build.caches import RenderedClient
from hourbook.build.spool import OnDisk
from hourbook.build.spool import as_written
from hourbook.git import Provenance
from hourbook.output.progress import Progress
from hourbook.render.restamp import restamped
from hourbook.render.restamp import shows_provenance
from hourbook.site.folder import SITE_MARKER

# The owner's pages, which show the commit the books are at (no other page does).
OWNER_PAGES = re.compile(r"^owner/(?:[^/]+\.html|[^/]+/dashboard\.html)$")


def restamped_file(path: Path, sha256: str, old: Provenance, new: Provenance, locale: str) -> bytes | None:
    """The page at `path`, which the last build wrote with digest `sha256` showing `old`, as it
    would be rendered showing `new`; None when it cannot be told (gone, changed by hand since, or
    not showing `old` where `base.html` puts it)."""
    data = as_written(path, sha256)
    return restamped(data, old, new, locale) if data is not None else None


def restamped_site(out: Path, manifest: dict, old: Provenance, new: Provenance,
                   locale: str) -> tuple[dict[str, bytes | OnDisk], list[str]] | None:
    """Every file of the site `manifest` describes, its owner's pages restamped from `old` to `new`,
    and those pages' paths; None when one of them cannot be."""
    files: dict[str, bytes | OnDisk] = {rel: OnDisk(entry[0]) for rel, entry in manifest.items() if rel != SITE_MARKER}
    pages = [rel for rel in files if OWNER_PAGES.match(rel)]
    for rel in pages:
        page = restamped_file(out / rel, manifest[rel][0], old, new, locale)
        if page is None:
            return None
        files[rel] = page
    return files, pages


def report_restamper(root: Path, out: Path, provenance: Provenance | None,
                     locale: str) -> Callable[[str, RenderedClient], dict[str, bytes] | None] | None:
    """How a kept client's owner report is made to show `provenance` without rendering it: a
    function of the client's id and kept pages that gives {path: new bytes}, or None for that
    client (its report is then rendered). None when no report can be: outside git, or books
    templates that show the commit themselves (`shows_provenance`)."""
    if provenance is None or shows_provenance(root):
        return None

    def restamp(cid: str, page: RenderedClient) -> dict[str, bytes] | None:
        rel = f"owner/{cid}/dashboard.html"
        kept = page.files.get(rel)
        if page.provenance is None:
            return None
        if isinstance(kept, bytes):
            new = restamped(kept, page.provenance, provenance, locale)
        elif isinstance(kept, OnDisk):
            new = restamped_file(out / rel, kept.sha256, page.provenance, provenance, locale)
        else:
            return None
        return None if new is None else {rel: new}

    return restamp


@dataclasses.dataclass
class ReportsMade:
    """How the kept clients' owner reports were made to show a new commit (`Builder.stale_reports`)."""

    rendered: int = 0
    restamped: int = 0


def reports_made_again(clients: dict[str, RenderedClient], stale: list[str], provenance: Provenance | None,
                       restamp: Callable[[str, RenderedClient], dict[str, bytes] | None] | None,
                       render: Callable[[RenderedClient], dict[str, bytes]], made: ReportsMade,
                       progress: Progress) -> dict[str, bytes]:
    """The owner reports of the kept clients `stale` (ids in `clients`, the builder's kept pages,
    updated here) made to show `provenance`: restamped, else rendered (`render`); counted in
    `made`. Returns {site path: bytes}."""
    files: dict[str, bytes] = {}
    for cid in stale:
        page = clients[cid]
        report = restamp(cid, page) if restamp is not None else None
        if report is None:
            report = render(page)
            made.rendered += 1
        else:
            made.restamped += 1
        clients[cid] = dataclasses.replace(page, files={**page.files, **report}, provenance=provenance)
        files.update(report)
        progress.advance(pages=1)
    return files
