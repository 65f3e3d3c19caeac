"""What a long-lived builder (watch, serve) keeps in memory from one build to the next.

Each cache stands in for one call of the pipeline or the renderer and gives the same
result the call would; they plug into `pipeline.load_and_price` and `render.render_site`
through their arguments:

    LogbookCache    logbook file -> (entries, diagnostics)      `logbook_cache` of load_and_price
    ContractCache   contract file -> (contract, diagnostics)    `contract_cache`
    ValidationCache a worker's entries -> their diagnostics     `validator`
    PricingCache    (contract, entries, date) -> priced client  `price_one`
    ReportCache     priced client -> its owner report           `report_of` of render_site
    PageCache       priced client -> its rendered files        (the builder's, by client)
    FileHashes      bytes written -> their sha256              (the site writer's)

and, in `order_cache.py`, `PricingOrderCache` for the loader's sort (`sort` of load_and_price).

The invariant they share, stated once: **an unchanged input gives the very same object**,
so identity (`is`) tells that nothing changed, at no cost:

- a logbook file that did not change on disk gives the very same Entry objects, and an
  edited one keeps the objects of the entries the edit did not touch (`LogbookCache`);
- a worker whose entries are those very objects, under equal contracts, settings and date,
  has the same diagnostics of the checks that look at one entry or one worker's time
  (`ValidationCache`);
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
import operator
from pathlib import Path
from typing import Callable
from typing import Iterator

from hourbook.build.digests import stable_form
from hourbook.build.digests import values_digest
from hourbook.build.splice import Spliced
from hourbook.build.spool import OnDisk
from hourbook.build.spool import Spooled
from hourbook.checks.books import PER_ENTRY
from hourbook.checks.books import check_overlaps
from hourbook.checks.books import day_overlaps
from hourbook.checks.books import WHOLE_BOOKS
from hourbook.checks.books import validate
from hourbook.core.pricing import price_client
from hourbook.core.records import TIME
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
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
        self.digested: dict[str, tuple] = {}    # client id -> (entries, their digest): asked twice a build
        # The files (as the listing names them) that may have changed since the last build, when the
        # file system said which (watch; `load_files`); None: any may have.
        self.changed: set[str] | None = None
        self.keep_whole = False                 # watch: keep the whole result too, to splice (`load_all`)
        self.spliced: Spliced | None = None
        self.books_files: tuple[str, ...] | None = None     # the books' files `forget_missing` was last given

    def entries_digest(self, client_id: str, entries) -> str:
        """A digest of `entries` (one client's, as loaded from the files this cache read): from the
        digests of the client's entries in each file when every file has them, else of the entries
        themselves. Either way it changes exactly when the client's entries do (for the same
        settings, which alias their tags, and the same code)."""
        hit = self.digested.get(client_id)
        if hit is not None and hit[0] is entries:   # the very tuple (held here, so never another's id)
            return hit[1]
        digest = self._entries_digest(client_id, entries)
        self.digested[client_id] = (entries, digest)
        return digest

    def _entries_digest(self, client_id: str, entries) -> str:
        paths = sorted({entry.source.path for entry in entries})
        try:
            parts = tuple((rel, self.client_digests[rel][client_id]) for rel in paths)
        except KeyError:
            return values_digest("entries", tuple(entries))
        return values_digest("files", parts)

    def stat_key(self, path: Path) -> tuple:
        """What says the file changed: its size, modification and change times, inode (OSError if none)."""
        stat = path.stat()
        return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino

    def __call__(self, root: Path, path: Path, rel: str, load: Callable):
        """`load(root, path, rel)`, or what it gave last time for the same file."""
        try:
            key = self.stat_key(path)
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

    def load_files(self, root: Path, files: list[tuple[Path, str]], load: Callable) -> Iterator[tuple]:
        """(entries, diagnostics) of each of `files` ((path, rel) in order), as `__call__` gives them;
        a file that is not among `changed` is what it was last time, without a look at it (watch:
        tens of thousands of small logbooks, one edited)."""
        changed, kept = self.changed, self.files.get
        for path, rel in files:
            if changed is not None and str(path) not in changed:
                hit = kept(rel)
                if hit is not None:
                    yield hit[1], hit[2]
                    continue
            yield self(root, path, rel, load)

    def load_all(self, root: Path, files: list[tuple[Path, str]], load: Callable) -> tuple[list, list] | None:
        """(every entry, every diagnostic) of `files` in order, as `load_files` gives them file by
        file, when this cache keeps the whole result (`keep_whole`): then spliced from the last
        one when the files are the same and the file system said which may have changed
        (`splice.Spliced`). None: the caller goes file by file."""
        if not self.keep_whole:
            self.spliced = None
            return None
        whole = self.spliced
        if whole is not None and self.changed is not None and whole.same_files(files):
            whole.splice(files, self.changed, lambda path, rel: self(root, path, rel, load))
        else:
            whole = self.spliced = Spliced(files, list(self.load_files(root, files, load)))
        return whole.result()

    def forget_missing(self, books_files: tuple[str, ...]) -> None:
        """Drop the files that are no longer in the books (`books_files`: `Books.files` of the books
        loaded last). Most edits leave the same names as the last build's: comparing the two (the
        very strings, one look each) costs a millisecond at 88 000 files, sets of them 30."""
        if books_files == self.books_files:
            return                              # what was missing went at the last call
        self.books_files = books_files
        self.drop_missing(set(books_files))

    def drop_missing(self, seen: set[str]) -> None:
        """Drop the files not in `seen`."""
        for rel in set(self.files) - seen:
            del self.files[rel]
            self.client_digests.pop(rel, None)

    def save(self) -> None:
        """Keep what the next process may reuse: nothing, for a cache in memory."""


class ContractCache(LogbookCache):
    """Contract file -> (contract, diagnostics), read again when the file or hourbook.yaml changed."""

    def __call__(self, root: Path, path: Path, rel: str, load: Callable, settings=None):
        """`load(root, path, rel, settings)`, or what it gave last time for the same file and settings."""
        try:
            key = (*self.stat_key(path), settings)
        except OSError:
            return load(root, path, rel, settings)
        hit = self.files.get(rel)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        contract, diags = load(root, path, rel, settings)
        self.files[rel] = (key, contract, diags)
        return contract, diags


class ValidationCache:
    """`checks.books.validate` that checks again only what changed since the last build.

    The checks of `BY_WORKER` look at one entry, or at one worker's time: their diagnostics are
    kept by worker, and a worker whose entries are the very objects of the last build, under equal
    contracts, settings and date, has the same ones. Within a worker whose entries changed, the
    checks of one entry (`PER_ENTRY`) are kept by logbook file, and overlaps (`check_overlaps`) by
    day (`checks.books.day_overlaps`: a day whose time ranges are the very same entries, after the
    same latest range of the days before, has the same ones). So an edit costs the checks of its
    file and its day, whether the books have many workers or one (a freelancer's 100 000 entries
    are all one worker's). The checks of `WHOLE_BOOKS` run every time. The diagnostics are those
    of `validate`, in another order (the pipeline sorts).
    """

    def __init__(self):
        self.context: tuple | None = None   # (contracts, settings, broken clients, date) of the kept ones
        # worker -> (its entries, {file: (its entries, diagnostics)}, {date: (its ranges, latest range
        # before, diagnostics, latest after)}, all its diagnostics)
        self.workers: dict[str, tuple] = {}
        self.checked = 0                    # files and days checked apart (not kept, nor in a whole-books run), for tests

    def __call__(self, books: Books, as_of: datetime.date) -> list[Diagnostic]:
        """`validate(books, as_of)`, as a list in another order."""
        context = (books.contracts, books.settings, books.broken_clients, as_of)
        if self.context is None or not _same_context(self.context, context):
            self.workers = {}
        self.context = context
        by_worker: dict[str, list[Entry]] = {}
        for entry in books.entries:
            mine = by_worker.get(entry.worker)
            if mine is None:
                mine = by_worker[entry.worker] = []
            mine.append(entry)
        kept = self.workers
        fresh = None
        if not any(worker in kept for worker in by_worker):
            # Nothing to keep: every entry at once (a check's setup, once), then told apart by line.
            fresh = _by_worker(validate(books, as_of, PER_ENTRY), by_worker)
            if fresh is None:               # diagnostics that no one worker's lines tell apart: keep none
                self.workers = {}
                return validate(books, as_of)
        workers, found = {}, []
        for worker, mine in by_worker.items():
            hit = kept.get(worker)
            if hit is None or not _same_entries(hit[0], mine):
                hit = self._check_worker(books, as_of, mine, hit, fresh.get(worker, {}) if fresh is not None else None)
            workers[worker] = hit
            found += hit[3]
        self.workers = workers
        return found + validate(books, as_of, WHOLE_BOOKS)

    def _check_worker(self, books: Books, as_of: datetime.date, entries: list[Entry], hit: tuple | None,
                      fresh: dict[str, list[Diagnostic]] | None) -> tuple:
        """One worker's diagnostics, from those of its files and days that did not change (`hit`, the
        last build's) and the others checked again; `fresh`: those of `PER_ENTRY` by file, already made."""
        by_file: dict[str, list[Entry]] = {}
        by_day: dict[datetime.date, list[Entry]] = {}
        for entry in entries:
            mine = by_file.get(entry.source.path)
            if mine is None:
                mine = by_file[entry.source.path] = []
            mine.append(entry)
            if entry.kind == TIME and entry.start is not None:
                mine = by_day.get(entry.date)
                if mine is None:
                    mine = by_day[entry.date] = []
                mine.append(entry)
        kept_files = hit[1] if hit is not None else {}
        files = {}
        for rel, mine in by_file.items():
            if fresh is not None:
                files[rel] = (mine, fresh.get(rel, []))
                continue
            kept = kept_files.get(rel)
            if kept is None or not _same_entries(kept[0], mine):
                kept = (mine, validate(dataclasses.replace(books, entries=tuple(mine)), as_of, PER_ENTRY))
                self.checked += 1
            files[rel] = kept
        days = self._days(by_day, hit[2] if hit is not None else {}, counted=fresh is None)
        if days is None:                    # a range that starts outside its day: the worker's time whole
            days, overlaps = {}, check_overlaps(dataclasses.replace(books, entries=tuple(entries)), as_of)
        else:
            overlaps = [diagnostic for day in days.values() for diagnostic in day[2]]
        return entries, files, days, [diagnostic for _, mine in files.values() for diagnostic in mine] + overlaps

    def _days(self, by_day: dict[datetime.date, list[Entry]], kept: dict, counted: bool) -> dict | None:
        """A worker's days of time ranges, in order, kept or checked again (`day_overlaps`); None when a
        range starts outside its day (the days cannot be taken one by one)."""
        days, latest = {}, None
        for date in sorted(by_day):
            mine = by_day[date]
            if any(not 0 <= entry.start < MINUTES_A_DAY for entry in mine):
                return None
            hit = kept.get(date)
            if hit is None or not _same_entries(hit[0], mine) or not _same_latest(hit[1], latest):
                hit = (mine, latest, *day_overlaps(mine, latest))
                self.checked += counted
            days[date] = hit
            latest = hit[3]
        return days


def _by_worker(diagnostics: list[Diagnostic], by_worker: dict[str, list[Entry]]) -> dict[str, dict] | None:
    """`diagnostics` (each at an entry's line) by the worker of that entry and its file; None when a
    line holds entries of two workers, or a diagnostic is at no entry's line."""
    worker_at: dict = {}
    for worker, mine in by_worker.items():
        for entry in mine:
            if worker_at.setdefault(entry.source, worker) != worker:
                return None
    found: dict[str, dict[str, list[Diagnostic]]] = {worker: {} for worker in by_worker}
    for diagnostic in diagnostics:
        worker = worker_at.get(diagnostic.source)
        if worker is None:
            return None
        found[worker].setdefault(diagnostic.source.path, []).append(diagnostic)
    return found


MINUTES_A_DAY = 24 * 60


def _same_latest(kept: tuple | None, now: tuple | None) -> bool:
    """Whether two `day_overlaps` carries are the same range: same start and end, the very entry."""
    return kept is now or (kept is not None and now is not None and kept[0] == now[0] and kept[1] == now[1]
                           and kept[2] is now[2])


def _same_context(kept: tuple, now: tuple) -> bool:
    """Whether the contracts, settings, broken clients and date of two builds are equal (the
    contracts by identity first: `ContractCache` gives an unchanged one back)."""
    (contracts, settings, broken, as_of), (contracts_now, settings_now, broken_now, as_of_now) = kept, now
    return (as_of == as_of_now and broken == broken_now and len(contracts) == len(contracts_now)
            and all(a is b or a == b for a, b in zip(contracts, contracts_now))
            and (settings is settings_now or settings == settings_now))


def _same_entries(kept: list[Entry], entries: list[Entry]) -> bool:
    """Whether `entries` are the very objects of `kept`, in the same order."""
    return len(kept) == len(entries) and all(map(operator.is_, kept, entries))


class PricingCache:
    """`price_client` that answers from the last build when contract, entries and date are the same."""

    def __init__(self):
        self.clients: dict[str, tuple] = {}
        self.priced = 0                     # clients priced (not answered from the cache), for tests
        self.forms: dict[str, tuple] = {}   # client id -> (contract, its stable form)

    def __call__(self, contract: Contract, entries, as_of: datetime.date, begins: datetime.date | None = None,
                 late=None):
        """`price_client(contract, entries, as_of, begins, late)`, the very same result when nothing changed."""
        entries = tuple(entries)
        result = self.remembered(contract, entries, as_of, begins, late)
        if result is None:
            result = price_client(contract, entries, as_of, begins, late)
            self.priced += 1
            self.clients[contract.id] = (contract, (as_of, begins), entries, result, late)
        return result

    def contract_form(self, contract: Contract) -> tuple:
        """`digests.stable_form(contract)`, made once for each contract read (asked twice a build)."""
        hit = self.forms.get(contract.id)
        if hit is None or hit[0] is not contract:
            hit = self.forms[contract.id] = (contract, stable_form(contract))
        return hit[1]

    def remembered(self, contract: Contract, entries, as_of: datetime.date, begins: datetime.date | None, late):
        """The result kept for these very entries (by identity) and an equal contract, date and moves, or None."""
        hit = self.clients.get(contract.id)
        if (hit is not None and hit[1] == (as_of, begins) and len(hit[2]) == len(entries)
                and all(map(operator.is_, hit[2], entries)) and hit[0] == contract and hit[4] == late):
            return hit[3]
        return None

    def save(self) -> None:
        """Keep what the next process may reuse: nothing, for a cache in memory."""

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
    """Site path -> the bytes last written there and their sha256, and the manifest that write made."""

    def __init__(self):
        self.data: dict = {}                # rel -> the bytes (or `OnDisk`, `Spooled`) last written
        self.sha: dict[str, str] = {}       # rel -> their sha256
        self.manifest: dict | None = None   # the manifest of that write

    def of_files(self, files: dict, manifest: dict) -> tuple[dict[str, str], list[str]]:
        """Each path's sha256, and the paths that may differ from `manifest` (the others are as it says).

        When `manifest` is the very one the last write made, a path whose bytes are the very object
        written then is as it says, and only the others are looked at: a watching process's site of
        51 000 files after an edit, a few hundred (one loop over the paths, in C, not five in Python).
        Otherwise every path is looked at."""
        if manifest is self.manifest and manifest is not None:
            data = self.data
            fresh = [rel for rel, value in files.items() if data.get(rel) is not value]
            hashes = dict(self.sha)
            for rel in data.keys() - files.keys():
                del hashes[rel]
        else:
            fresh, hashes = list(files), {}
        for rel in fresh:
            value = files[rel]
            hashes[rel] = value.sha256 if isinstance(value, (OnDisk, Spooled)) else hashlib.sha256(value).hexdigest()
        return hashes, fresh

    def replace(self, files: dict, hashes: dict[str, str], manifest: dict) -> None:
        """The site just written: its files, their hashes and its manifest."""
        self.data, self.sha, self.manifest = files, hashes, manifest
