"""What a long-lived builder (watch, serve) keeps in memory from one build to the next.

Each cache stands in for one call of the pipeline or the renderer and gives the same
result the call would; they plug into `pipeline.load_and_price` and `render.render_site`
through their arguments:

    LogbookCache    logbook file -> (entries, diagnostics)      `logbook_cache` of load_and_price
    ContractCache   contract file -> (contract, diagnostics)    `contract_cache`
    PricingCache    (contract, entries, date) -> priced client  `price_one`
    ReportCache     priced client -> its owner report           `report_of` of render_site
    PageCache       priced client -> its rendered files        (the builder's, by client)
    FileHashes      bytes written -> their sha256              (the site writer's)

The invariant they share, stated once: **an unchanged input gives the very same object**,
so identity (`is`) tells that nothing changed, at no cost:

- a logbook file that did not change on disk gives the very same Entry objects, and an
  edited one keeps the objects of the entries the edit did not touch (`LogbookCache`);
- a client whose contract and date are equal and whose entries are those very objects is
  answered with the very same PricedClient (`PricingCache`);
- a client priced to the very same object has the same report (`ReportCache`) and the
  same pages (`PageCache`), whose bytes are the very same objects, with the same sha256
  (`FileHashes`).

Every cache compares the rest (contract, settings, date) by value. Only a cache can hand
out an object it made before, so no other code needs to know this.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from pathlib import Path
from typing import Callable

from hourbook.build.digests import values_digest
from hourbook.build.spool import OnDisk
from hourbook.build.spool import Spooled
from hourbook.core.pricing import price_client
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings
from hourbook.git import Provenance
from hourbook.render.dashboard import client_report


class LogbookCache:
    """Logbook file -> (entries, diagnostics), parsed again only when the file changed on disk
    (its size, times or inode)."""

    def __init__(self):
        self.files: dict[str, tuple] = {}
        # rel -> {client id: digest of that client's entries in the file}, for the files whose
        # entries have such digests (`disk_cache.DiskLogbookCache`); see `entries_digest`.
        self.client_digests: dict[str, dict[str, str]] = {}

    def entries_digest(self, client_id: str, entries) -> str:
        """A digest of `entries` (one client's, as loaded from the files this cache read): from the
        digests of the client's entries in each file when every file has them, else of the entries
        themselves. Either way it changes exactly when the client's entries do (for the same
        settings, which alias their tags, and the same code)."""
        paths = sorted({entry.source.path for entry in entries})
        try:
            parts = tuple((rel, self.client_digests[rel][client_id]) for rel in paths)
        except KeyError:
            return values_digest("entries", tuple(entries))
        return values_digest("files", parts)

    def __call__(self, root: Path, path: Path, rel: str, load: Callable):
        """`load(root, path, rel)`, or what it gave last time for the same file."""
        try:
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        except OSError:
            return load(root, path, rel)
        hit = self.files.get(rel)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        entries, diags = load(root, path, rel)
        if hit is not None and isinstance(entries, list):
            # A logbook holds many clients' entries (one file per worker and month): keep the
            # very objects of the entries the edit did not touch (see the module's invariant).
            before = {entry: entry for entry in hit[1]}
            entries = [before.get(entry, entry) for entry in entries]
        self.files[rel] = (key, entries, diags)
        return entries, diags

    def forget_missing(self, seen: set[str]) -> None:
        """Drop the files that are no longer in the books (`seen`: the files loaded last)."""
        for rel in set(self.files) - seen:
            del self.files[rel]
            self.client_digests.pop(rel, None)


class ContractCache(LogbookCache):
    """Contract file -> (contract, diagnostics), read again when the file or hourbook.yaml changed."""

    def __call__(self, root: Path, path: Path, rel: str, load: Callable, settings=None):
        """`load(root, path, rel, settings)`, or what it gave last time for the same file and settings."""
        try:
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, settings)
        except OSError:
            return load(root, path, rel, settings)
        hit = self.files.get(rel)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        contract, diags = load(root, path, rel, settings)
        self.files[rel] = (key, contract, diags)
        return contract, diags


class PricingCache:
    """`price_client` that answers from the last build when contract, entries and date are the same."""

    def __init__(self):
        self.clients: dict[str, tuple] = {}
        self.priced = 0                     # clients priced (not answered from the cache), for tests

    def __call__(self, contract: Contract, entries, as_of: datetime.date, begins: datetime.date | None = None,
                 late=None):
        """`price_client(contract, entries, as_of, begins, late)`, the very same result when nothing changed."""
        hit = self.clients.get(contract.id)
        if (hit is not None and hit[1] == (as_of, begins) and len(hit[2]) == len(entries)
                and all(a is b for a, b in zip(hit[2], entries)) and hit[0] == contract and hit[4] == late):
            return hit[3]
        result = price_client(contract, entries, as_of, begins, late)
        self.priced += 1
        self.clients[contract.id] = (contract, (as_of, begins), tuple(entries), result, late)
        return result

    def priced_with(self, client: PricedClient) -> tuple:
        """What else `client` was priced from: ((as_of, the books' first day), its late moves);
        () when this cache did not price it."""
        hit = self.clients.get(client.contract.id)
        return (hit[1], hit[4]) if hit is not None and hit[3][0] is client else ()

    def entries_of(self, client: PricedClient) -> tuple[Entry, ...]:
        """The entries `client` was priced from; () when this cache did not price it."""
        hit = self.clients.get(client.contract.id)
        return hit[2] if hit is not None and hit[3][0] is client else ()


class ReportCache:
    """`client_report` that answers from the last build for a client priced to the very same object."""

    def __init__(self):
        self.reports: dict[str, tuple] = {}

    def __call__(self, client: PricedClient, settings: Settings, as_of: datetime.date):
        """`client_report(client, settings, as_of)`, the very same report when nothing changed."""
        hit = self.reports.get(client.contract.id)
        if hit is not None and hit[0] is client and hit[2] == as_of and hit[1] == settings:
            return hit[3]
        report = client_report(client, settings, as_of)
        self.reports[client.contract.id] = (client, settings, as_of, report)
        return report


@dataclasses.dataclass(frozen=True)
class RenderedClient:
    """One client's files as a build rendered (or kept) them."""

    key: str                    # digest of everything the files are made from (`build.digests`)
    files: dict                 # site path -> bytes, or `spool.OnDisk` (`spool.Spooled`) for a file kept on disk
    client: PricedClient        # the priced client they were made from
    context: tuple              # what else they depend on that the client does not hold (digests, folder)
    provenance: Provenance | None = None    # the commit its owner report shows (no other file shows one)


class PageCache:
    """Client id -> the files the last build made for it (`RenderedClient`)."""

    def __init__(self):
        self.clients: dict[str, RenderedClient] = {}

    def same_client(self, client: PricedClient, context: tuple) -> RenderedClient | None:
        """The last files of `client` when it is the very same priced client in the same context:
        no need to digest it again."""
        hit = self.clients.get(client.contract.id)
        return hit if hit is not None and hit.client is client and hit.context == context else None

    def same_key(self, client_id: str, key: str) -> RenderedClient | None:
        """The last files of the client when they were made from inputs with the same digest."""
        hit = self.clients.get(client_id)
        return hit if hit is not None and hit.key == key else None

    def replace(self, clients: dict[str, RenderedClient]) -> None:
        """What this build rendered or kept, for the next one (clients that went are forgotten)."""
        self.clients = clients

    def written(self) -> None:
        """The site is written: files that waited in the spool (`Spooled`, about to go) are now in
        the site, as a file the last build wrote is (`OnDisk`)."""
        for page in self.clients.values():
            for rel, data in page.files.items():
                if isinstance(data, Spooled):
                    page.files[rel] = OnDisk(data.sha256)


class FileHashes:
    """Site path -> (the bytes last written there, their sha256)."""

    def __init__(self):
        self.files: dict[str, tuple[bytes, str]] = {}

    def sha256(self, rel: str, data: bytes) -> str:
        """The sha256 of `data`, known without hashing when they are the very bytes last written to `rel`."""
        known = self.files.get(rel)
        return known[1] if known is not None and known[0] is data else hashlib.sha256(data).hexdigest()

    def replace(self, files: dict[str, tuple[bytes, str]]) -> None:
        """The bytes and hashes of the site just written."""
        self.files = files
