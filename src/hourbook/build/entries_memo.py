"""Each client's entries digest as the last process left it, kept while none of its files changed.

A client's entries digest (`caches.LogbookCache.entries_digest`, part of the key of its priced
record and of its pages) is made from the digest of its entries in each file that holds some of
them (`client_digests`: rel -> {client id: digest}). Making it for 500 clients walks every entry
for its file (100 000 at the bench's size) and looks each file up: 0.3-0.4 s of every new
process, after an edit of one logbook as after none.

The last process's digests are kept in one record with what they were made from, each file's
client digests. In the next process a client's digest is taken from it when every file that held
some of its entries then, and every file that holds some now, has the same client digests: the
very parts the plain digest is made of, so the same digest. A client in a changed, new or removed
file is digested again, as is any client when a loaded file has no client digests (one read
without the disk cache), and any client asked with another number of entries than it was kept
with. `tests/test_entries_memo.py` pins it to the plain digest through edits of every kind.
"""

from __future__ import annotations

from typing import Mapping

from hourbook.build.record_store import RecordStore

MEMO_KIND = "entries-digests"
MEMO_KEY = "last"


class EntriesMemo:
    """The kept digests valid in this build (`valid`), and what to keep for the next (`save`)."""

    def __init__(self, store: RecordStore):
        self.store = store
        self.kept: Mapping | None = None        # the record read this build: (files, clients)
        self.valid: dict[str, tuple[int, str]] | None = None
        self.asked: set[str] = set()            # the clients whose digest was asked since the last save
        self.served: list[str] = []             # the clients answered from the record, for tests

    def lookup(self, client_id: str, count: int, client_digests: Mapping[str, Mapping[str, str]],
               loaded: Mapping) -> str | None:
        """The kept digest of `client_id`'s `count` entries, when its files did not change; None
        when it must be made. `client_digests` and `loaded` (rel -> what was loaded) are this build's."""
        if self.valid is None:
            self.valid = self._still_valid(client_digests, loaded)
        hit = self.valid.get(client_id)
        if hit is None or hit[0] != count:
            return None
        self.served.append(client_id)
        return hit[1]

    def _still_valid(self, client_digests: Mapping[str, Mapping[str, str]], loaded: Mapping) -> dict:
        record = self.store.get(MEMO_KIND, MEMO_KEY)
        if not (isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], dict)
                and isinstance(record[1], dict)):
            return {}
        self.kept = record
        files, clients = record
        if any(rel not in client_digests for rel in loaded):
            return {}                           # a file without client digests: whose entries, unknown
        touched: set[str] = set()
        for rel in files.keys() | client_digests.keys():
            before, now = files.get(rel), client_digests.get(rel)
            if before != now:
                touched.update(before or ())
                touched.update(now or ())
        return {client: kept for client, kept in clients.items() if client not in touched}

    def save(self, client_digests: Mapping[str, Mapping[str, str]], loaded: Mapping,
             digested: Mapping[str, tuple]) -> None:
        """Keep the digests this build asked for (`digested`: client id -> (entries, digest)) with the
        client digests of every file, when they differ from the record read; ready for the next build.
        None is kept when a loaded file has no client digests: a digest was then made from entries."""
        if not self.asked:
            return                              # none asked since the last save: the record holds
        whole = all(rel in client_digests for rel in loaded)
        clients = {client: (len(digested[client][0]), digested[client][1])
                   for client in self.asked if client in digested} if whole else {}
        files = dict(client_digests)
        if whole and self.kept is not None and self.kept[0] == files:
            clients = {**self.kept[1], **clients}   # the record's hold for the same files
        record = (files, clients)
        if self.kept != record:
            self.store.put(MEMO_KIND, MEMO_KEY, record)
        self.kept, self.valid, self.asked = record, None, set()
