"""Each client's entries digest as the last process left it, kept while none of its files changed.

A client's entries digest (`caches.LogbookCache.entries_digest`, part of the key of its priced
record and of its pages) is made from the digest of its entries in each file that holds some of
them (`client_digests`: rel -> {client id: digest}). Making it for 500 clients walks every entry
for its file (100 000 at the bench's size) and looks each file up: 0.3-0.4 s of every new
process, after an edit of one logbook as after none.

The last process's digests are kept in one small record with what they were made from, told
against the logbook pack (`disk_cache.DiskLogbookCache`): the pack's seal (the digest of the
version read or written) and the client digests of the files that were not as the pack holds
them (edited, new, or gone). In the next process, reading the same pack, a file's client digests
then and now are each the record's or this process's for such a file, else the pack's; a client
whose files all read the same then and now has the same parts as the plain digest is made of, so
the same digest, and is answered from the record. A client in a file that differs is digested
again; every client is when the pack was written again since (its seal differs), when a loaded
file has no client digests (one read without the disk cache), or when a client is asked with
another number of entries than it was kept with. A few edited files cost a few look-ups, whatever
the books' size (88 000 small logbooks: a record of all their client digests took 0.5 s a build).
`tests/test_entries_memo.py` pins it to the plain digest through edits of every kind.
"""

from __future__ import annotations

from typing import Callable
from typing import Mapping

from hourbook.build.record_store import RecordStore

MEMO_KIND = "entries-digests"
MEMO_KEY = "last"

# What a build's logbooks are, against the pack: (the pack's seal, the pack (rel -> (digest, entries,
# diagnostics, client digests)), {rel: client digests, or None when gone} of the files not as it holds them).
State = tuple[bytes | None, Mapping[str, tuple], Mapping[str, Mapping[str, str] | None]]


class EntriesMemo:
    """The kept digests valid in this build (`lookup`), and what to keep for the next (`save`)."""

    def __init__(self, store: RecordStore):
        self.store = store
        self.kept: tuple | None = None          # the record read or written: (seal, differing, clients)
        self.valid: dict[str, tuple[int, str]] | None = None
        self.asked: set[str] = set()            # the clients whose digest was asked since the last save
        self.served: list[str] = []             # the clients answered from the record, for tests

    def lookup(self, client_id: str, count: int, state: Callable[[], State | None]) -> str | None:
        """The kept digest of `client_id`'s `count` entries, when its files did not change; None
        when it must be made. `state()`: this build's logbooks against the pack, None when a loaded
        file has no client digests."""
        if self.valid is None:
            self.valid = self._still_valid(state())
        hit = self.valid.get(client_id)
        if hit is None or hit[0] != count:
            return None
        self.served.append(client_id)
        return hit[1]

    def _still_valid(self, now: State | None) -> dict[str, tuple[int, str]]:
        record = self.kept or self.store.get(MEMO_KIND, MEMO_KEY)
        if not (isinstance(record, tuple) and len(record) == 3 and isinstance(record[1], dict)
                and isinstance(record[2], dict)):
            return {}
        self.kept = record
        seal, then, clients = record
        if now is None or seal is None or seal != now[0]:
            return {}                           # another pack, or a file whose entries are unknown
        pack, differing = now[1], now[2]

        def digests(side: Mapping, rel: str):
            if rel in side:
                return side[rel]
            packed = pack.get(rel)
            return packed[3] if packed is not None else None

        touched: set[str] = set()
        for rel in then.keys() | differing.keys():
            before, after = digests(then, rel), digests(differing, rel)
            if before != after:
                touched.update(before or ())
                touched.update(after or ())
        return {client: kept for client, kept in clients.items() if client not in touched}

    def save(self, state: Callable[[], State | None], digested: Mapping[str, tuple]) -> None:
        """Keep the digests asked for since the last save (`digested`: client id -> (entries, digest))
        with `state()` (`lookup`'s, after the pack was written if it was): ready for the next build.
        Nothing is kept when a loaded file has no client digests (a digest was made from entries)."""
        if not self.asked:
            return                              # none asked since the last save: the record holds
        now = state()
        if now is None:
            seal, differing, clients = None, {}, {}
        else:
            seal, differing = now[0], dict(now[2])
            clients = {client: (len(digested[client][0]), digested[client][1])
                       for client in self.asked if client in digested}
            if self.kept is not None and self.kept[:2] == (seal, differing):
                clients = {**self.kept[2], **clients}   # the record's hold for the same files
        record = (seal, differing, clients)
        if self.kept != record:
            self.store.put(MEMO_KIND, MEMO_KEY, record)
        self.kept, self.valid, self.asked = record, None, set()
