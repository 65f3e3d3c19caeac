"""The entries digests a new process takes from the last one's record (`build.entries_memo`) are
the plain ones (`LogbookCache._entries_digest`), after every kind of edit; only the clients whose
files changed are digested again."""

from __future__ import annotations

import datetime

import pytest

from test_disk_cache import APPENDED
from test_disk_cache import apply_edit
from test_disk_cache import EDITS
from test_disk_cache import new_process_build
from test_incremental import AS_OF
from test_incremental import BOOKS

from hourbook.build import entries_memo
from hourbook.build.builder import Builder
from hourbook.build.caches import LogbookCache

MOVED = ("an entry moved to another client", "logbook/2026/11.md", "## initech", "## acme")


def plain_and_used(builder: Builder) -> tuple[dict, dict]:
    """{client id: its entries' plain digest} and {client id: the digest this build used}."""
    logbooks = builder.logbooks
    plain = {cid: LogbookCache._entries_digest(logbooks, cid, priced[2])
             for cid, priced in builder.pricing.clients.items()}
    return plain, {cid: logbooks.digested[cid][1] for cid in plain}


@pytest.mark.parametrize("what, rel, old, new", [*EDITS, MOVED], ids=[e[0] for e in [*EDITS, MOVED]])
def test_a_digest_from_the_record_is_the_plain_digest(books, what, rel, old, new):
    root = books(BOOKS)
    new_process_build(root)
    apply_edit(root, rel, old, new)
    builder = Builder(root, lambda: AS_OF, pdf=False, jobs=1)
    builder.build()
    plain, used = plain_and_used(builder)
    assert used == plain                 # (nothing priced when the edit changed no byte)
    # And a third process a day later (the same entries, all priced again): every digest from the
    # record, all plain.
    again = Builder(root, lambda: AS_OF + datetime.timedelta(days=1), pdf=False, jobs=1)
    again.build()
    later, used = plain_and_used(again)
    assert later and used == later and set(again.logbooks.memo.served) == set(later)
    assert not plain or later == plain


def test_only_the_clients_of_a_changed_file_are_digested_again(books, monkeypatch):
    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)                 # an entry of initech's
    served = []
    lookup = entries_memo.EntriesMemo.lookup

    def spy(self, client_id, *args):
        found = lookup(self, client_id, *args)
        served.append((client_id, found is not None))
        return found
    monkeypatch.setattr(entries_memo.EntriesMemo, "lookup", spy)
    builder, _ = new_process_build(root)
    # logbook/2026/11.md holds entries of every client of these books: all of them are digested again.
    assert {cid for cid, hit in served if hit} == set()
    # An appended logbook of one client's: the others come from the record.
    served.clear()
    with open(root / "logbook/2026/12.md", "w", encoding="utf-8") as logbook:
        logbook.write("# 2026-12-01\n\n## globex\n- 1h new month #support\n")
    builder, _ = new_process_build(root)
    assert {cid for cid, hit in served if hit} == set(builder.pricing.clients) - {"globex"}
    plain, used = plain_and_used(builder)
    assert used == plain


def test_a_record_is_used_only_against_the_same_pack_and_for_the_same_number_of_entries(books):
    root = books(BOOKS)
    builder, _ = new_process_build(root)
    seal, differing, clients = builder.records.get(entries_memo.MEMO_KIND, entries_memo.MEMO_KEY)
    assert seal and differing == {} and clients        # a clean build: every file as the pack holds it
    pack = builder.logbooks.pack
    client, (count, digest) = next(iter(clients.items()))

    def memo():
        return entries_memo.EntriesMemo(builder.records)
    assert memo().lookup(client, count, lambda: (seal, pack, {})) == digest
    assert memo().lookup(client, count + 1, lambda: (seal, pack, {})) is None
    assert memo().lookup(client, count, lambda: (b"another pack", pack, {})) is None
    assert memo().lookup(client, count, lambda: None) is None           # a file without client digests
    # A file of this client's now differs from the pack: it is digested again; a file of no client's
    # of these books does not touch it.
    rel = next(rel for rel, packed in pack.items() if client in packed[3])
    assert memo().lookup(client, count, lambda: (seal, pack, {rel: {client: "other"}})) is None
    assert memo().lookup(client, count, lambda: (seal, pack, {rel: None})) is None   # gone
    assert memo().lookup(client, count, lambda: (seal, pack, {"logbook/new.md": {"someone": "x"}})) == digest


def test_the_record_stays_small_whatever_the_number_of_files(books):
    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/12.md", "w", encoding="utf-8") as logbook:
        logbook.write("# 2026-12-01\n\n## globex\n- 1h new month #support\n")
    builder, _ = new_process_build(root)
    seal, differing, clients = builder.records.get(entries_memo.MEMO_KIND, entries_memo.MEMO_KEY)
    assert list(differing) == ["logbook/2026/12.md"] and set(clients) == set(builder.pricing.clients)


def test_a_process_that_digested_a_client_digests_it_again_without_the_record(books, monkeypatch):
    # Watch: after an edit, the edited client's digest is made again, not looked for in the record
    # (which this process wrote itself, of the files before the edit); the digests stay the plain ones.
    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/12.md", "w", encoding="utf-8") as logbook:
        logbook.write("# 2026-12-01\n\n## globex\n- 1h new month #support\n")
    builder = Builder(root, lambda: AS_OF, pdf=False, jobs=1)
    assert not builder.build().up_to_date
    asked = []
    lookup = entries_memo.EntriesMemo.lookup

    def spy(self, client_id, *args):
        asked.append(client_id)
        return lookup(self, client_id, *args)
    monkeypatch.setattr(entries_memo.EntriesMemo, "lookup", spy)
    with open(root / "logbook/2026/12.md", "w", encoding="utf-8") as logbook:
        logbook.write("# 2026-12-01\n\n## globex\n- 2h new month #support\n")
    before = builder.logbooks.digested["globex"][1]
    result = builder.build()
    assert result.ok and not result.up_to_date
    plain, used = plain_and_used(builder)
    assert asked == [] and used == plain and used["globex"] != before
