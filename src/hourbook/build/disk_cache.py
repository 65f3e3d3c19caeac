"""Caches that survive the process: `caches`' memory caches, backed by records in .hourbook-cache/.

A new process (`hourbook build` after an edit) finds there what the last one made, keyed by
content, never by time:

    DiskLogbookCache    logbook file -> (entries, diagnostics)    key: its path and bytes
    DiskContractCache   contract file -> (contract, diagnostics)  key: its path, bytes and the settings
    DiskPricingCache    contract, entries, date -> priced client   key: contract, entries' digest, date, moves
    DiskReportCache     priced client -> its owner report          key: the digest of its pages' inputs
    TemplateCodeCache   template source -> Jinja2's compiled code  key: its name, file and source

A file's bytes are known by their digest (`file_index.FileIndex`, which reads only the files
whose `stat` changed). The logbooks' records are kept together in one pack, read with one open
(books of thousands of small logbooks), a file changed since with a record of its own beside it. A logbook's record also holds, for each client in the file, a digest of
that client's entries there: the builder puts a client's entries' digest together from them
(`caches.LogbookCache.entries_digest`) instead of pickling every entry again.

A priced client (`DiskPricingCache`) is kept without its entries: they are stored as their
places among the entries it was priced from (pickle's persistent ids), and a new process puts
back its own loaded entries there. Reading one back costs a quarter of pricing it again (0.38 s
against 1.5 s for the 500 clients of the 100 000-entry bench books); a priced client that held
its entries cost as much to read as to price (docs/performance.md). Its statements are read only
when asked for (`core.deferred`): after an edit, the other clients' pages and owner reports are
kept, and the process that writes the site never reads their statements.

Each is the memory cache of `caches` (watch mode keeps using memory first) with the disk behind it,
so they plug into the same seams of `pipeline.load_and_price`. Every key also holds hourbook's own
code digest (`digests.code_digest`): a record of another version is never looked up.

A record is one file, `records/<kind>/<key>` (`record_store`): whole and of this version, or
ignored and made again.
Checks that span files (overlaps, duplicates, contract gaps) are not kept on disk: a new process
runs them over all the entries (`checks.books.validate`), so a cached file cannot hide a problem
another file makes (watch keeps them in memory by worker, `caches.ValidationCache`). Only a file's
own parse diagnostics are kept with its entries.
"""

from __future__ import annotations

import datetime
import io
import os
import pickle
from pathlib import Path
from typing import Callable
from typing import Iterator


from hourbook.build.caches import ContractCache
from hourbook.build.caches import LogbookCache
from hourbook.build.caches import PricingCache
from hourbook.build.caches import ReportCache
from hourbook.build.digests import code_digest
from hourbook.build.digests import digest_of
from hourbook.build.digests import stable_form
from hourbook.build.digests import values_digest
from hourbook.build.entries_memo import EntriesMemo
from hourbook.build.file_index import FileIndex
from hourbook.build.record_store import MAGIC  # noqa: F401 (tests build records by hand)
from hourbook.build.record_store import RECORDS  # noqa: F401
from hourbook.build.record_store import RecordStore
from hourbook.core.memory import no_cyclic_gc
from hourbook.core.pricing import price_client
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings
from hourbook.core.records import Statement

def file_key(kind: str, rel: str, digest: str, *extra: bytes) -> str:
    """The key of a file's record: its kind, path and the digest of its bytes (`file_index`), and
    what else its reading depends on."""
    return digest_of(kind.encode(), code_digest().encode(), os.fsencode(rel), digest.encode(), *extra)


def _plain_file(index: FileIndex, path: Path) -> str | None:
    """The digest of the bytes of `path` when it is a regular file (no link: the loader judges
    those), else None."""
    if not index.plain(path):               # the listing said so: no `lstat` again
        try:
            if path.is_symlink():
                return None
        except OSError:
            return None
    return index.digest(path)[0]


PACK_KIND = "logbook-pack"
PACK_KEY = "pack"
PACK_SLACK = 64             # files the pack may be behind by before it is written again ...
PACK_SHARE = 50             # ... or one in this many of the logbooks, if more


class DiskLogbookCache(LogbookCache):
    """`LogbookCache` (memory, by stat) with records on disk (by bytes) behind it.

    The records of a build's logbooks are kept together in one pack (rel -> digest of the bytes,
    entries, diagnostics, client digests), read with one open: books of thousands of small
    logbooks cost a record each to open otherwise, as much as reading the logbooks. A file whose
    bytes are not the pack's has a record of its own (`file_key`); the pack is written again when
    it is `PACK_SLACK` files (or one in `PACK_SHARE`) behind, so one appended entry does not cost
    writing every entry again. With no pack (a clean build) no file's own record is written: the
    pack written at the end holds them all.
    """

    def __init__(self, store: RecordStore, index: FileIndex):
        super().__init__()
        self.store = store
        self.index = index
        self.parsed = 0                     # files parsed (not answered from memory or disk), for tests
        self.pack: dict[str, tuple] | None = None   # the pack on disk, read when first needed
        self.current: dict[str, tuple] = {}  # rel -> (digest, entries, diagnostics, client digests) now
        self.behind: set[str] = set()        # the files whose bytes are not the pack's
        self.memo = EntriesMemo(store)

    def __call__(self, root: Path, path: Path, rel: str, load: Callable):
        """`load(root, path, rel)`, or what it gave for the same file in this process or a former one."""
        return super().__call__(root, path, rel, lambda *args: self._load(load, *args))

    def stat_key(self, path: Path) -> tuple:
        """The file's `stat` as the index took it in this run (for the inputs' digest), else asked now."""
        mark = self.index.mark(path)
        return mark[:4] if mark is not None else super().stat_key(path)

    def load_files(self, root: Path, files: list[tuple[Path, str]], load: Callable) -> Iterator[tuple]:
        """`LogbookCache.load_files`; in a process that has read no logbook yet (a new `hourbook
        build`), a file the listing found plain and whose digest this run knows (the inputs' digest
        asked for it) is taken from the pack in one look-up when the pack holds those bytes, as
        `__call__` would after its four (books of 88 000 small logbooks: 0.85 -> 0.2 s)."""
        if self.changed is not None or self.files:
            yield from super().load_files(root, files, load)
            return
        pack = self._pack()
        met, plain, kept, current, client_digests, behind = (self.index.met, self.index.listed, self.files,
                                                             self.current, self.client_digests, self.behind)
        for path, rel in files:
            name = str(path)
            known = met.get(name)
            packed = pack.get(rel) if known is not None and name in plain else None
            if packed is None or packed[0] != known[1]:
                yield self(root, path, rel, load)
                continue
            behind.discard(rel)
            current[rel] = packed
            client_digests[rel] = packed[3]
            entries, diags = list(packed[1]), list(packed[2])
            kept[rel] = (known[0][:4], entries, diags)
            yield entries, diags

    def entries_digest(self, client_id: str, entries) -> str:
        """`LogbookCache.entries_digest`, from the last process's when the client's files are the same
        (`entries_memo.EntriesMemo`)."""
        self.memo.asked.add(client_id)
        # Only a client this process has not digested yet is looked for in the record: once it has,
        # the record holds what this process left there itself, of files as they were then, and a
        # client whose entries changed since (watch, after an edit) is digested again in any case.
        # The look-up weighs every logbook against the pack (22 ms of each watch edit on 88 000
        # small logbooks), for a miss.
        if client_id not in self.digested:
            kept = self.memo.lookup(client_id, len(entries), self._memo_state)
            if kept is not None:
                self.digested[client_id] = (entries, kept)
        return super().entries_digest(client_id, entries)

    def _memo_state(self):
        """The logbooks against the pack, for `EntriesMemo` (None when a loaded file has no client digests)."""
        if any(rel not in self.client_digests for rel in self.files):
            return None
        pack = self._pack()
        differing = {rel: self.client_digests[rel] for rel in self.behind if rel in self.files}
        differing.update(dict.fromkeys(pack.keys() - self.files.keys()))   # gone since the pack
        return self.store.seals.get((PACK_KIND, PACK_KEY)), pack, differing

    def _pack(self) -> dict[str, tuple]:
        """The pack on disk (rel -> digest, entries, diagnostics, client digests), read once."""
        if self.pack is None:
            pack = self.store.get(PACK_KIND, PACK_KEY)
            self.pack = pack if isinstance(pack, dict) else {}
        return self.pack

    def _load(self, load: Callable, root: Path, path: Path, rel: str):
        self.client_digests.pop(rel, None)
        self.current.pop(rel, None)
        data = _plain_file(self.index, path)
        if data is None:
            self.parsed += 1
            self.behind.add(rel)
            return load(root, path, rel)
        packed = self._pack().get(rel)
        if packed is not None and packed[0] == data:
            self.behind.discard(rel)
            return self._keep(rel, packed)
        self.behind.add(rel)
        key = file_key("logbook", rel, data)
        hit = self.store.get("logbook", key) if self.pack else None
        if hit is not None and len(hit) == 3:
            return self._keep(rel, (data, *hit))
        self.parsed += 1
        entries, diags = load(root, path, rel)
        record = (tuple(entries), tuple(diags), client_entry_digests(entries))
        if self.pack:                       # else the pack written at the end holds it
            self.store.put("logbook", key, record)
        self._keep(rel, (data, *record))
        return entries, diags

    def _keep(self, rel: str, packed: tuple):
        self.current[rel] = packed
        self.client_digests[rel] = packed[3]
        return list(packed[1]), list(packed[2])

    def drop_missing(self, seen: set[str]) -> None:
        """Drop the files not in `seen`, from memory and from the next pack."""
        super().drop_missing(seen)
        for rel in set(self.current) - seen:
            del self.current[rel]
        self.behind &= seen

    def save(self) -> None:
        """Write the pack again when it is far behind the files (or there is none), and the entries
        digests asked for."""
        if self.pack is not None and self.current and (
                not self.pack or len(self.behind) > max(PACK_SLACK, len(self.current) // PACK_SHARE)):
            self.pack = dict(self.current)
            self.store.put(PACK_KIND, PACK_KEY, self.pack)
            self.store.drop("logbook")      # the files' own records: the pack holds them now
            self.behind = set()
        self.memo.save(lambda: self._memo_state() if self.pack is not None else None, self.digested)


def client_entry_digests(entries) -> dict[str, str]:
    """Client id -> a digest of its entries among `entries` (one logbook file's, in file order):
    what `LogbookCache.entries_digest` puts together, so that a new process digests a client's
    entries without pickling them (0.7 s at 100 000 entries)."""
    by_client: dict[str, list] = {}
    for entry in entries:
        by_client.setdefault(entry.client, []).append(entry)
    return {client: values_digest(tuple(mine)) for client, mine in by_client.items()}


class DiskContractCache(ContractCache):
    """`ContractCache` (memory, by stat and settings) with records on disk (by bytes and settings)."""

    def __init__(self, store: RecordStore, index: FileIndex):
        super().__init__()
        self.store = store
        self.index = index
        self.parsed = 0
        self.settings: tuple = ()           # (settings, their digest): the same for every contract of a build

    def __call__(self, root: Path, path: Path, rel: str, load: Callable, settings=None):
        """`load(root, path, rel, settings)`, or what it gave for the same file and settings before."""
        return super().__call__(root, path, rel, lambda *args: self._load(load, *args), settings)

    def _load(self, load: Callable, root: Path, path: Path, rel: str, settings):
        data = _plain_file(self.index, path)
        if data is None:
            self.parsed += 1
            return load(root, path, rel, settings)
        if not self.settings or self.settings[0] != settings:
            self.settings = (settings, values_digest(stable_form(settings)).encode())
        key = file_key("contract", rel, data, self.settings[1])
        hit = self.store.get("contract", key)
        if hit is not None:
            return hit[0], list(hit[1])
        self.parsed += 1
        contract, diags = load(root, path, rel, settings)
        self.store.put("contract", key, (contract, tuple(diags)))
        return contract, diags


class DiskPricingCache(PricingCache):
    """`PricingCache` (memory, by identity) with each priced client on disk behind it, so a new
    process prices again only the clients whose inputs changed.

    `price_client` reads nothing but its arguments, so the key is their digest: the contract, the
    client's entries (`LogbookCache.entries_digest`, from the logbooks' per-file digests), the date,
    the books' first day and the late moves. The record holds the result without the contract and
    the entries it was priced from: they are stored as references (pickle's persistent ids) and
    taken from this call's arguments, equal by value (same key), so what is read is small and its
    lines hold the very entries this process loaded. Priced clients are written by `save`, once
    the site is in place.

    A client read back has its requests and diagnostics at once, and its statements, kept as the
    record's bytes, are unpickled the first time they are asked for (`PricedClient.deferred`): after
    an edit, a build keeps the pages and owner reports of every other client and never looks into
    their statements in this process (0.3 s for the 500 clients of the 100 000-entry bench books).
    """

    def __init__(self, store: RecordStore, logbooks: LogbookCache):
        super().__init__()
        self.store = store
        self.logbooks = logbooks
        self.waiting: dict[str, tuple] = {}     # client id -> (key, contract, entries, result): to write
        self.keys: dict[str, str] = {}          # client id -> the key it was priced or read under, this build

    def __call__(self, contract: Contract, entries, as_of: datetime.date, begins: datetime.date | None = None,
                 late=None):
        """`price_client(contract, entries, as_of, begins, late)`: from memory, from disk, or priced."""
        entries = tuple(entries)            # one tuple: its digest is made once (`entries_digest`)
        result = self.remembered(contract, entries, as_of, begins, late)
        if result is not None:
            return result
        key = self.keys[contract.id] = self.key_of(contract, entries, as_of, begins, late)
        result = self._read(key, contract, entries, (as_of, begins, late))
        if result is None:
            result = price_client(contract, entries, as_of, begins, late)
            self.priced += 1
            self.waiting[contract.id] = (key, contract, entries, result)
        self.clients[contract.id] = (contract, (as_of, begins), entries, result, late)
        return result

    def key_of(self, contract: Contract, entries, as_of: datetime.date, begins: datetime.date | None, late) -> str:
        """The digest of everything `price_client` reads: the record's key."""
        return values_digest("priced", self.contract_form(contract), self.logbooks.entries_digest(contract.id, entries),
                             as_of, begins, stable_form(late))

    def _read(self, key: str, contract: Contract, entries, priced_on: tuple):
        """The priced client stored under `key` (its statements deferred), its references put back from
        `contract` and `entries`; None when there is none or it cannot be trusted. `priced_on`: the
        rest of `price_client`'s arguments, to price the client again should its statements not unpickle."""
        data = self.store.get("priced", key)
        if not isinstance(data, bytes):
            return None
        try:
            priced_from, requests, diagnostics, count, statements = _unpickled(data, contract, entries)
        except Exception:                   # a reference these entries have not (never trusted)
            return None
        # Other entries under a colliding key are refused here, not when the statements are made.
        if not (priced_from == len(entries) and isinstance(requests, tuple) and isinstance(diagnostics, list)
                and type(count) is int and isinstance(statements, bytes)):
            return None

        def made() -> tuple:
            try:
                # Thousands of lines and no cycle (the collector would walk a forked process's whole heap).
                with no_cyclic_gc():
                    found = _unpickled(statements, contract, entries)
            except Exception:               # never, for a record whose digest and key match; still
                found = None
            if isinstance(found, tuple) and len(found) == count and all(type(s) is Statement for s in found):
                return found
            return price_client(contract, entries, *priced_on)[0].statements

        return PricedClient.deferred(contract, requests, made, count), diagnostics

    def save(self) -> None:
        """Write the clients priced in this process (a clean build: all of them; after an edit: the
        edited ones): (how many entries, requests, diagnostics, how many statements, their own
        pickle), each entry and the contract as a reference."""
        waiting, self.waiting = self.waiting, {}
        for key, contract, entries, (client, diagnostics) in waiting.values():
            ids = {id(entry): index for index, entry in enumerate(entries)}
            ids[id(contract)] = -1
            statements = _pickled(client.statements, ids)
            self.store.put("priced", key, _pickled((len(entries), client.requests, diagnostics,
                                                    len(client.statements), statements), ids))


def _pickled(value, ids: dict[int, int]) -> bytes:
    """`value` pickled with the objects in `ids` (by `id`; entries and the contract) as references."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.persistent_id = lambda obj: ids.get(id(obj)) if type(obj) in _REFERENCED else None
    pickler.dump(value)
    return buffer.getvalue()


def _unpickled(data: bytes, contract: Contract, entries):
    """What `_pickled` gave, its references put back: -1 the contract, n the entry at place n."""
    unpickler = pickle.Unpickler(io.BytesIO(data))
    unpickler.persistent_load = lambda ref: contract if ref == -1 else _entry_at(entries, ref)
    return unpickler.load()


_REFERENCED = (Entry, Contract)     # what a stored priced client refers to rather than holds


def _entry_at(entries, ref) -> Entry:
    """The entry a stored priced client refers to by its place (ValueError for no such place)."""
    if type(ref) is not int or not 0 <= ref < len(entries):
        raise ValueError(f"no entry {ref!r} among {len(entries)}")
    return entries[ref]


class DiskReportCache(ReportCache):
    """`ReportCache` (memory, by identity) with each client's owner report on disk behind it, so a new
    process makes the owner's dashboard from the reports of the clients that did not change.

    The key is the digest the builder gives a client's pages (`Builder.render`: settings, date,
    contract, entries, account, code), which holds everything `client_report` reads; the builder
    tells it with `expect`. A client without one is reported afresh. The record holds the report
    without the priced client it was made from: the client and its contract are stored as
    references (pickle's persistent ids) and taken from the client priced in this process, equal by
    value (same key), so what is read is small and the report the very one `client_report` would
    give. A report holds no statement (its rows keep a period's name and first day), so reading it
    back does not make the statements of a client read back from disk (`DiskPricingCache`).
    """

    def __init__(self, store: RecordStore):
        super().__init__()
        self.store = store
        self.keys: dict[str, tuple[PricedClient, str]] = {}
        self.made = 0                       # reports made (not answered from memory or disk), for tests

    def expect(self, client: PricedClient, key: str) -> None:
        """`client`'s report is the one made from inputs with digest `key`."""
        self.keys[client.contract.id] = (client, key)

    def __call__(self, client: PricedClient, settings: Settings, as_of: datetime.date):
        hit = self.reports.get(client.contract.id)
        if hit is not None and hit[0] is client and hit[2] == as_of and hit[1] == settings:
            return hit[3]
        known = self.keys.get(client.contract.id)
        key = known[1] if known is not None and known[0] is client else None
        report = self._read(client, key) if key is not None else None
        if report is None:
            report = super().__call__(client, settings, as_of)
            self.made += 1
            if key is not None:
                self._write(client, key, report)
        self.reports[client.contract.id] = (client, settings, as_of, report)
        return report

    def _read(self, client: PricedClient, key: str):
        data = self.store.get("report", key)
        if not isinstance(data, bytes):
            return None
        refs = _references(client)
        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = lambda ref: refs[ref]
        try:
            with no_cyclic_gc():            # a report's hundreds of figures make no cycle
                return unpickler.load()
        except Exception:                   # a reference this client has not (never trusted)
            return None

    def _write(self, client: PricedClient, key: str, report) -> None:
        ids = {id(obj): ref for ref, obj in _references(client).items()}
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=5)
        pickler.persistent_id = lambda obj: ids.get(id(obj))
        pickler.dump(report)
        self.store.put("report", key, buffer.getvalue())


def _references(client: PricedClient) -> dict[str, object]:
    """What a stored report refers to rather than holds: the client and its contract (a report holds
    no statement: it is read back without them, `DiskPricingCache`)."""
    return {"client": client, "contract": client.contract}
