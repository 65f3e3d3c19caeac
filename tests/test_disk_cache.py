"""Records on disk (`build.disk_cache`): a new process re-reads only the files that changed, and a
record that cannot be trusted is made again: the site is always a clean build's bytes.

Each test builds with one `Builder`, changes the books, and builds again with a NEW `Builder`
(what a new `hourbook build` process has: nothing in memory, only .hourbook-cache/ and the site).
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import shutil
from pathlib import Path

import pytest

from test_incremental import AS_OF
from test_incremental import BOOKS
from test_incremental import clean_build
from test_incremental import edit
from test_incremental import tree

from hourbook.build import disk_cache
from hourbook.build import entries_memo
from hourbook.build import file_index
from hourbook.build.builder import Builder
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.build.cache_folder import out_key
from hourbook.build.digests import code_digest
from hourbook.build.digests import values_digest
from hourbook.output.json import diagnostic_json
from hourbook.pipeline import load_and_price



@pytest.fixture(autouse=True)
def trusted_index(monkeypatch):
    """The file index trusts the files these tests wrote a moment ago (`file_index.RACY_SECONDS`
    of 0), so that a new process finds unchanged files by their `stat`, as it does days later."""
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)


APPENDED = "\n# 2026-11-05\n\n## initech\n- 20m appended lighthouse entry #support\n"


def new_process_build(root: Path, pdf: bool = False):
    """A build as a new `hourbook build` process makes it: a fresh Builder, the disk cache on."""
    builder = Builder(root, lambda: AS_OF, pdf=pdf, jobs=1)
    result = builder.build()
    assert result.ok, result.diagnostics
    return builder, result


def records(root: Path, kind: str) -> list[Path]:
    return sorted((root / CACHE_DIR / disk_cache.RECORDS / kind).iterdir())


def record(payload: bytes, version: bytes) -> bytes:
    """A record as `RecordStore.put` writes it, of any payload and version."""
    return disk_cache.MAGIC + version + hashlib.blake2b(payload, digest_size=20).digest() + payload


def truncate(data: bytes) -> bytes:
    return data[: len(data) // 2]


def flip(data: bytes) -> bytes:
    middle = len(data) * 3 // 4             # inside the payload: the header is some 76 bytes
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]


def other_version(data: bytes) -> bytes:
    """The same payload, its digest right, under another hourbook version's code digest."""
    head = len(disk_cache.MAGIC) + len(code_digest()) + 20
    return record(data[head:], ("0" * 40).encode())


def empty(unused: bytes) -> bytes:
    return b""


def garbage_with_right_header(unused: bytes) -> bytes:
    """A whole, well-formed record of this version whose payload is not what `get` expects.
    (It cannot be made by accident: its digest is right. The loader still never raises.)"""
    return record(b"not a pickle at all", code_digest().encode())


CORRUPTIONS = [truncate, flip, other_version, empty]


ONE_MORE = "\n# 2026-10-20\n\n## acme\n- 10m one more #support\n"


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as logbook:
        logbook.write(text)


@pytest.mark.parametrize("kind", [disk_cache.PACK_KIND, "logbook", "contract", "priced", "report"])
@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=[c.__name__ for c in CORRUPTIONS])
def test_a_corrupt_record_is_made_again_and_the_site_is_a_clean_builds(books, tmp_path, kind, corrupt):
    root = books(BOOKS)
    new_process_build(root)
    if kind == "logbook":                   # a file's own record: made when the pack is behind the file
        append(root / "logbook/2026/10.md", ONE_MORE)
        new_process_build(root)
    kept = records(root, kind)
    assert kept                              # the builds left records of this kind
    for path in kept:
        path.write_bytes(corrupt(path.read_bytes()))
    append(root / "logbook/2026/11.md", APPENDED)    # a change, so that the build reads the books again
    builder, result = new_process_build(root)
    # Every corrupt record was refused and its file read again (the appended file has a new key).
    # (The appended client's report and priced client are made anew under a new key: their old
    # records are not asked for.)
    assert builder.records.rejected == len(kept) - (kind in ("report", "priced"))
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)
    # ... and rewritten whole: the next process reads them all from disk.
    append(root / "logbook/2026/10.md", ONE_MORE)
    builder, _ = new_process_build(root)
    assert builder.records.rejected == 0
    assert (builder.logbooks.parsed, builder.contracts.parsed) == (1, 0)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-2", pdf=False)


def test_a_record_of_the_right_version_that_is_not_a_pickle_is_refused(books, tmp_path):
    root = books(BOOKS)
    new_process_build(root)
    for path in records(root, disk_cache.PACK_KIND):
        path.write_bytes(garbage_with_right_header(path.read_bytes()))
    edit(root / "contracts/acme.yaml", "rate: 60", "rate: 61")
    builder, _ = new_process_build(root)
    assert builder.records.rejected == 1 and builder.logbooks.parsed == 2     # the pack of both logbooks
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_what_a_killed_writer_left_is_ignored_and_removed(books, tmp_path):
    root = books(BOOKS)
    new_process_build(root)
    append(root / "logbook/2026/10.md", ONE_MORE)
    new_process_build(root)                 # the pack, and 10.md's own record
    folder = root / CACHE_DIR / disk_cache.RECORDS / "logbook"
    [victim] = records(root, "logbook")
    # A writer killed before its rename leaves a temporary file; one killed on a file system
    # without atomic rename could leave a short file under a key's name.
    (folder / ".tmp-killed").write_bytes(truncate(victim.read_bytes()))
    victim.write_bytes(truncate(victim.read_bytes()))
    edit(root / "contracts/acme.yaml", "rate: 60", "rate: 62")
    builder, _ = new_process_build(root)
    assert builder.records.rejected == 1 and builder.logbooks.parsed == 1
    assert not (folder / ".tmp-killed").exists()            # pruned with the records no build uses
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_an_appended_entry_is_on_the_rebuilt_pages_and_only_its_file_and_client_are_redone(books, tmp_path):
    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    builder, result = new_process_build(root)
    # 2 logbooks and 3 contracts in the books: the appended logbook is the one file parsed,
    # the other logbook and every contract come from their records.
    assert (builder.logbooks.parsed, builder.contracts.parsed) == (1, 0)
    # ... and the priced clients and owner reports of the 2 clients that did not change (acme,
    # globex) too, and every compiled template this build used (none compiled again).
    assert builder.env[1].bytecode_cache.compiled == 0
    # ... and the file index, by which no file was read but the appended logbook (once) and the
    # link secret the first build made (too new then to be kept: `file_index.RACY_SECONDS`), with
    # the digests of its runs of files (`FileIndex.kept_runs`), two records; and initech's statement
    # pages on the shelf (`page_shelf`), one record; and the last build's entries digests
    # (`entries_memo`), one record.
    assert builder.records.hits == 2 + 3 + 2 + 2 + len(records(root, "template")) + 1 + 1 + 1
    assert builder.pricing.priced == 1                      # initech only
    assert builder.file_index.read == 2
    assert builder.reports.made == 1                        # initech's owner report only
    assert result.rendered_clients == 1                     # initech's pages only
    pages = {rel: data for rel, data in tree(root / "site").items() if "appended lighthouse entry" in
             data.decode("utf-8", "replace")}
    assert pages and all("initech" in rel for rel in pages), sorted(pages)
    assert any(rel.startswith("owner/") for rel in pages) and any(not rel.startswith("owner/") for rel in pages)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


@pytest.mark.parametrize("how", ["moved", "copied"])
def test_books_moved_or_copied_with_their_site_and_cache_render_nothing_again(books, tmp_path, how):
    # The build state named the site by its absolute path: books moved (`mv`) or copied (`cp -a`)
    # with site and cache rendered every page again (48 s instead of 3 at 100 000 entries).
    root = books(BOOKS)
    new_process_build(root)
    before = tree(root / "site")
    moved = tmp_path / "elsewhere" / "books"
    moved.parent.mkdir()
    if how == "moved":
        root.rename(moved)
    else:
        shutil.copytree(root, moved, symlinks=True, copy_function=shutil.copy2)   # keeps mtimes, as cp -a
    builder, result = new_process_build(moved)
    assert result.up_to_date and result.rendered_clients == 0
    append(moved / "logbook/2026/11.md", APPENDED)
    builder, result = new_process_build(moved)
    assert result.rendered_clients == 1                     # initech's pages only
    assert tree(moved / "site") != before
    assert tree(moved / "site") == clean_build(moved, tmp_path / "clean", pdf=False)


def test_the_build_after_the_first_is_up_to_date_though_the_first_made_the_link_secret(books):
    # The secret, an input, was made after the inputs' digest: the second build of unchanged books
    # read every record and checked every client (6 s instead of 1.8 on 88 000 small logbooks).
    root = books(BOOKS)
    (root / ".hourbook-secret").unlink(missing_ok=True)
    new_process_build(root)
    assert (root / ".hourbook-secret").is_file()
    builder, result = new_process_build(root)
    assert result.up_to_date and builder.logbooks.parsed == 0 and builder.pricing.priced == 0


def test_a_site_outside_the_books_is_named_by_its_absolute_path(tmp_path):
    assert out_key(tmp_path / "books", tmp_path / "books" / "site") == "books:site"
    assert out_key(tmp_path / "books", tmp_path / "books" / "out" / "web") == "books:out/web"
    assert out_key(tmp_path / "books", tmp_path / "web") == str(tmp_path / "web")
    assert out_key(tmp_path / "books", tmp_path / "books-site") == str(tmp_path / "books-site")


def test_owner_reports_from_disk_equal_the_plain_ones(books, tmp_path):
    """The seam `DiskReportCache` pinned to `render.dashboard.client_report`: a new process's
    reports read from disk are equal, field by field, to reports made afresh."""
    from hourbook.render.dashboard import client_report

    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    builder, _ = new_process_build(root)
    assert builder.reports.made == 1
    priced, _ = load_and_price(root, AS_OF)
    for client in priced.clients:
        cached = builder.reports.reports[client.contract.id][3]
        assert cached == client_report(client, priced.books.settings, AS_OF), client.contract.id
    # Nothing changed in the books' reports: a third process reads every one of them from disk
    # (the build is up to date, so force a read by a change that reaches no client).
    edit(root / "logbook/2026/11.md", APPENDED, APPENDED + "\n")
    builder, _ = new_process_build(root)
    assert builder.reports.made == 0
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_priced_clients_from_disk_equal_the_plain_ones_and_hold_the_loaded_entries(books, tmp_path):
    """The seam `DiskPricingCache` pinned to `core.pricing.price_client`: a new process's priced
    clients read from disk are equal, field by field, to clients priced afresh, and their lines
    hold the very entries the process loaded (not copies kept in the record)."""
    from hourbook.core.pricing import price_books

    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    builder, _ = new_process_build(root)
    assert builder.pricing.priced == 1                      # initech; acme and globex from their records
    priced, _ = load_and_price(root, AS_OF)
    plain = {client.contract.id: client for client in priced.clients}
    for cid, hit in builder.pricing.clients.items():
        contract, _, entries, (client, problems), _ = hit
        assert client == plain[cid], cid
        assert client.contract is contract
        loaded = {id(entry) for entry in entries}
        assert all(id(line.entry) in loaded for statement in client.statements for line in statement.lines), cid
    assert {cid for cid in builder.pricing.clients} == set(plain)
    assert price_books(priced.books, AS_OF).clients == priced.clients


def test_a_priced_record_that_refers_to_an_entry_the_client_has_not_is_refused(books):
    """A priced client's record refers to its entries by their places; read back with fewer
    entries than it names (a record of other entries under a colliding key), it is refused."""
    root = books(BOOKS)
    builder, _ = new_process_build(root)
    pricing = builder.pricing
    contract, (as_of, begins), entries, result, late = max(pricing.clients.values(), key=lambda hit: len(hit[2]))
    assert len(entries) > 1
    key = pricing.key_of(contract, entries, as_of, begins, late)
    priced_on = (as_of, begins, late)
    assert pricing._read(key, contract, entries, priced_on) == result
    assert pricing._read(key, contract, entries[:-1], priced_on) is None
    assert pricing._read("no such key", contract, entries, priced_on) is None


def _read_back(root: Path):
    """A new process's builder after an edit, and its biggest client as priced (plain: made by
    `price_client`, or read and made already) and as read back from disk again, statements deferred."""
    new_process_build(root)
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    builder, _ = new_process_build(root)
    pricing = builder.pricing
    contract, (as_of, begins), entries, (plain, problems), late = max(pricing.clients.values(), key=lambda hit: len(hit[2]))
    key = pricing.key_of(contract, entries, as_of, begins, late)
    return pricing, key, (contract, entries, (as_of, begins, late)), plain, problems


def test_statements_read_back_are_made_when_first_asked_for_and_are_then_as_priced(books):
    """The seam `DeferredStatements` pinned to a client priced here: a client read back from disk
    has its requests and diagnostics, its statements unmade until asked for; once made (once) it is
    equal to the plain client, and pickled and copied as one."""
    pricing, key, (contract, entries, priced_on), plain, problems = _read_back(books(BOOKS))
    client, diagnostics = pricing._read(key, contract, entries, priced_on)
    assert "_statements" in vars(client)                    # not made
    assert client.statement_count == len(plain.statements) > 1
    assert client.requests == plain.requests and diagnostics == problems and client.contract is contract
    assert "_statements" in vars(client)                    # still not made: the count is known without
    assert client == plain
    assert "_statements" not in vars(client) and client.statements is client.statements
    assert all(line.entry in entries for statement in client.statements for line in statement.lines)
    again, _ = pricing._read(key, contract, entries, priced_on)
    assert pickle.loads(pickle.dumps(again)) == plain and "_statements" not in vars(again)
    assert copy.copy(pricing._read(key, contract, entries, priced_on)[0]) == plain
    with pytest.raises(AttributeError):
        again.no_such_field


def test_statements_that_do_not_unpickle_are_priced_again(books):
    """A record whose statements' bytes cannot be read (never, with a right digest and key; still) gives
    the client priced again when they are asked for, not a traceback."""
    pricing, key, (contract, entries, priced_on), plain, problems = _read_back(books(BOOKS))
    ids = {id(entry): index for index, entry in enumerate(entries)}
    ids[id(contract)] = -1
    bad = disk_cache._pickled((len(entries), plain.requests, problems, len(plain.statements), b"not a pickle"), ids)
    pricing.store.put("priced", key, bad)
    client, _ = pricing._read(key, contract, entries, priced_on)
    assert "_statements" in vars(client)
    assert client.statements == plain.statements


def counted_builds(root: Path, tmp_path: Path, monkeypatch, maker: str, client_id):
    """A new process's build of `root` with the owner's every-entry pages in their own process even
    on small books, that says which clients' parts `client_parts.<maker>` made (in any process:
    each call leaves a file named by `client_id(first argument)`), sorted."""
    import os

    from hourbook.build import client_parts
    from hourbook.build import rendering

    monkeypatch.setattr(rendering, "PARALLEL_OWNER_ENTRIES", 0)      # the example books count as big
    calls = tmp_path / "calls"
    calls.mkdir()
    real = getattr(client_parts, maker)

    def counted(client, *args):
        (calls / f"{client_id(client)}-{os.getpid()}").touch()
        return real(client, *args)

    monkeypatch.setattr(client_parts, maker, counted)

    def build() -> list[str]:
        result = Builder(root, lambda: AS_OF, pdf=False, jobs=2).build()
        assert result.ok, result.diagnostics
        made = sorted(path.name.split("-")[0] for path in calls.iterdir())
        for path in calls.iterdir():
            path.unlink()
        return made
    return build


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_the_people_page_sums_only_the_changed_clients_statements(books, tmp_path, monkeypatch):
    """`DiskPeopleSums` pinned to `core.people.client_sums`: in the people page's process, a new process
    after an edit sums the changed client's lines only, the others' sums come from their records,
    and the site is a clean build's bytes; the records the other process wrote are kept by the prune."""
    root = books(BOOKS)
    build = counted_builds(root, tmp_path, monkeypatch, "client_sums", lambda client: client.contract.id)
    assert build() == ["acme", "globex", "initech"]
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    assert build() == ["initech"]
    assert len(records(root, "people")) == 3            # the old record of initech's sums pruned
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


REQUESTS = """
# 2026-11-05

## acme
- [ ] Printer jams again #ticket-7
- [x] Printer jams again
- [ ] Backup failed #again

## globex
- [ ] VPN drops

## initech
- [x] New mailbox for Ana
"""


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_the_requests_page_makes_only_the_changed_client_s_requests(books, tmp_path, monkeypatch):
    """`DiskClientRequests` pinned to `core.requests.requests_of_client`: in the requests page's
    process, a new process after an edit makes the changed client's requests only, the others come
    from their records, and the site is a clean build's bytes; a changed `reasons:` makes them all
    again; the records the other process wrote are kept by the prune, the old ones go."""
    root = books({**BOOKS, "logbook/2026/12.md": REQUESTS})
    build = counted_builds(root, tmp_path, monkeypatch, "requests_of_client", lambda client: client)
    assert build() == ["acme", "globex", "initech"]
    page = (root / "site/owner/requests.html").read_text(encoding="utf-8")
    assert "Printer jams again" in page and "VPN drops" in page
    with open(root / "logbook/2026/12.md", "a", encoding="utf-8") as logbook:
        logbook.write("\n## globex\n- [ ] VPN drops\n")      # logged again: globex's requests change
    assert build() == ["globex"]
    assert len(records(root, "requests")) == 3            # the old record of globex's requests pruned
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)
    edit(root / "hourbook.yaml", "exchange_rates:", "reasons: [printer]\nexchange_rates:")
    assert build() == ["acme", "globex", "initech"]       # other reasons: other records
    assert tree(root / "site") == clean_build(root, tmp_path / "clean2", pdf=False)


@pytest.mark.parametrize("corrupt", CORRUPTIONS + [garbage_with_right_header], ids=lambda c: c.__name__)
def test_compiled_templates_come_from_records_and_a_bad_one_is_compiled_again(books, tmp_path, corrupt):
    """The seam `TemplateCodeCache` pinned to Jinja2 compiling: a new process compiles no template
    the last one compiled, and the site is a clean build's bytes; a record that cannot be trusted
    is compiled again."""
    root = books(BOOKS)
    first, _ = new_process_build(root)
    assert first.env[1].bytecode_cache.compiled > 0
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    builder, _ = new_process_build(root)
    assert builder.env[1].bytecode_cache.compiled == 0
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)
    kept = records(root, "template")
    for path in kept:
        path.write_bytes(corrupt(path.read_bytes()))
    edit(root / "logbook/2026/11.md", APPENDED, APPENDED + "\n- 5m one more #support\n")
    builder, _ = new_process_build(root)
    assert builder.env[1].bytecode_cache.compiled == len(kept)
    assert builder.records.rejected >= len(kept)
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-2", pdf=False)


def test_a_problem_across_files_is_found_with_the_other_file_from_its_record(books):
    """An overlap between an edited file and one read from its record: the check spans all entries."""
    files = dict(BOOKS)
    files["logbook/2026/11.md"] = BOOKS["logbook/2026/11.md"].replace("- 45m mailbox", "- 11:00-12:00 mailbox")
    root = books(files)
    new_process_build(root)
    with open(root / "logbook/2026/10.md", "a", encoding="utf-8") as logbook:
        logbook.write("\n# 2026-11-04\n\n## acme\n- 11:30-12:15 overlapping call #support\n")
    builder = Builder(root, lambda: AS_OF, pdf=False, jobs=1)
    result = builder.build()
    assert builder.logbooks.parsed == 1                     # 11.md came from its record
    overlaps = [d for d in result.diagnostics if "overlaps" in d.message]
    assert overlaps, result.diagnostics
    plain = load_and_price(root, AS_OF)[1]
    assert [diagnostic_json(d) for d in result.diagnostics] == [diagnostic_json(d) for d in plain]


EDITS = [
    ("append an entry", "logbook/2026/11.md", None, APPENDED),
    ("change a line", "logbook/2026/10.md", "- 2h server update", "- 2h15m server update"),
    ("a line that is wrong", "logbook/2026/10.md", "- 1h backup", "- 1x backup"),
    ("a new logbook", "logbook/2026/12.md", None, "# 2026-12-01\n\n## globex\n- 1h new month #support\n"),
    ("remove a logbook", "logbook/2026/10.md", None, None),
    ("a contract", "contracts/initech.yaml", "rate: 80", "rate: 85"),
    ("hourbook.yaml", "hourbook.yaml", "Ana Ruiz Consulting", "Ana Ruiz Consultora"),
    ("back as it was", "logbook/2026/10.md", "- 2h server update", "- 2h server update"),
    # The books' first day moves back (acme's new entry): globex's retainer bills from then on,
    # though neither its contract nor its entries changed (`core.period_figures.books_begin`).
    ("an earlier first day", "logbook/2026/03.md", None, "# 2026-03-02\n\n## acme\n- 1h early work #support\n"),
]


def apply_edit(root: Path, rel: str, old: str | None, new: str | None) -> None:
    """One of `EDITS`: the file removed (`new` None), `new` appended (`old` None), or `old` replaced by `new`."""
    path = root / rel
    if new is None:
        path.unlink()
    elif old is None:
        with open(path, "a", encoding="utf-8") as out:
            out.write(new)
    else:
        edit(path, old, new)


@pytest.mark.parametrize("what, rel, old, new", EDITS, ids=[e[0] for e in EDITS])
def test_the_disk_cache_never_changes_a_result(books, tmp_path, what, rel, old, new):
    root = books(BOOKS)
    new_process_build(root)
    apply_edit(root, rel, old, new)
    builder = Builder(root, lambda: AS_OF, pdf=False, jobs=1)
    result = builder.build()
    plain = Builder(root, lambda: AS_OF, out=tmp_path / "clean", pdf=False, disk_cache=False, jobs=1).build()
    assert [diagnostic_json(d) for d in result.diagnostics] == [diagnostic_json(d) for d in plain.diagnostics]
    assert result.ok == plain.ok
    if result.ok:
        assert tree(root / "site") == tree(tmp_path / "clean")


def test_a_read_only_cache_folder_keeps_nothing_and_changes_nothing(books, tmp_path):
    root = books(BOOKS)
    (root / CACHE_DIR).mkdir()
    (root / CACHE_DIR / disk_cache.RECORDS).write_text("a file where the records folder goes")
    _, result = new_process_build(root)
    assert result.ok
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_values_digest_follows_values_not_shared_objects():
    """Entries read from records share fewer strings than freshly parsed ones: same digest."""
    word = "".join(["sup", "port"])
    shared = (word, word)
    apart = ("support", "".join(["su", "pport"]))
    assert shared[0] is shared[1] and apart[0] is not apart[1]
    assert values_digest(shared) == values_digest(apart)
    assert values_digest(("a",)) != values_digest(("b",))


def test_the_pack_of_logbooks_is_written_again_only_when_it_is_far_behind(books, tmp_path, monkeypatch):
    """One appended entry costs its file's own record, not the whole pack written again; the pack
    catches up once it is more than `PACK_SLACK` files behind, and the files' own records then go."""
    monkeypatch.setattr(disk_cache, "PACK_SLACK", 1)
    root = books(BOOKS)
    new_process_build(root)
    [pack] = records(root, disk_cache.PACK_KIND)
    assert not (root / CACHE_DIR / disk_cache.RECORDS / "logbook").exists()     # a clean build: the pack only
    first = pack.read_bytes()
    append(root / "logbook/2026/10.md", ONE_MORE)
    builder, _ = new_process_build(root)
    assert pack.read_bytes() == first and len(records(root, "logbook")) == 1 and builder.logbooks.parsed == 1
    append(root / "logbook/2026/11.md", APPENDED)
    builder, _ = new_process_build(root)        # two files behind: the pack is written again
    assert pack.read_bytes() != first and builder.logbooks.parsed == 1
    edit(root / "contracts/acme.yaml", "rate: 60", "rate: 61")
    builder, _ = new_process_build(root)
    assert builder.logbooks.parsed == 0 and not records(root, "logbook")
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


@pytest.mark.parametrize("corrupt", CORRUPTIONS + [garbage_with_right_header], ids=lambda c: c.__name__)
def test_a_build_state_that_cannot_be_trusted_is_ignored(books, tmp_path, corrupt):
    """The build state (`publish.encode_state`: the manifest and each client's page digest)
    truncated, flipped, emptied or foreign: the next process trusts none of it, renders every
    client again, and the site is a clean build's bytes."""
    from hourbook.build.cache_folder import STATE_FILE
    from hourbook.build.cache_folder import decode_state
    from hourbook.build.cache_folder import encode_state

    root = books(BOOKS)
    new_process_build(root)
    path = root / CACHE_DIR / STATE_FILE
    state = decode_state(path.read_bytes())
    assert state["clients"] == 3 and state == decode_state(encode_state(state))
    path.write_bytes(corrupt(path.read_bytes()))
    assert decode_state(path.read_bytes()) == {}
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    builder, result = new_process_build(root)
    assert result.rendered_clients == 3
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_a_build_keeps_its_records_before_it_renders_and_writes_each_once(books, monkeypatch):
    """A one-off build puts its records on disk once the books are read and priced, before the
    pages: pickling them is a moment of tens of MB, which then no longer comes on top of the written
    site's bookkeeping (the build's peak memory). Saved again at the end, nothing is written twice."""
    root = books(BOOKS)
    puts: list[tuple[str, str]] = []
    on_disk_when_rendering: list[set[str]] = []
    put = disk_cache.RecordStore.put
    monkeypatch.setattr(disk_cache.RecordStore, "put",
                        lambda self, kind, key, value: (puts.append((kind, key)), put(self, kind, key, value))[1])
    render = Builder.render

    def rendering(self, *args, **kwargs):
        on_disk_when_rendering.append({kind for kind, _ in puts})
        return render(self, *args, **kwargs)

    monkeypatch.setattr(Builder, "render", rendering)
    new_process_build(root)
    assert on_disk_when_rendering == [{file_index.INDEX_KIND, disk_cache.PACK_KIND, "contract", "priced",
                                       entries_memo.MEMO_KIND}]
    assert len(puts) == len(set(puts))                  # each record once, though saved twice
    assert {kind for kind, _ in puts} >= {file_index.INDEX_KIND, disk_cache.PACK_KIND, "priced", "report"}


@pytest.mark.parametrize("link", [CACHE_DIR, f"{CACHE_DIR}/records", f"{CACHE_DIR}/records/priced",
                                  f"{CACHE_DIR}/records/statement-pages", f"{CACHE_DIR}/pdf"])
def test_a_cache_folder_that_is_a_link_is_never_written_read_or_pruned(books, tmp_path, link):
    # A link in the cache folder could lead into logbook/: nothing is kept, read or pruned through
    # it (a record store prunes what it does not know), and the site is a clean build's.
    import shutil
    from hourbook.build.price_run import price_run
    root = books(BOOKS)
    pdf = link.endswith("/pdf")
    new_process_build(root, pdf=pdf)
    target = root / link
    shutil.rmtree(target, ignore_errors=True)
    target.symlink_to(root / "logbook", target_is_directory=True)
    append(root / "logbook/2026/11.md", APPENDED)
    logbook = tree(root / "logbook")
    new_process_build(root, pdf=pdf)
    price_run(root, AS_OF, out=None, jobs=1)
    assert tree(root / "logbook") == logbook
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=pdf)


def test_pages_rendered_again_the_same_are_kept_on_disk_not_spooled_again(books, tmp_path, monkeypatch):
    """After an edit, a client's pages that read the same as the site's (and that the site still holds
    as written) stay `OnDisk`; a page changed by hand in the site is written again."""
    from collections import Counter

    from hourbook.build.spool import Spool

    root = books(BOOKS)
    new_process_build(root)
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    changed_by_hand = next(path for path in (root / "site" / "owner" / "initech").glob("*.html")
                           if "appended lighthouse" not in path.read_text(encoding="utf-8")
                           and path.name not in ("index.html", "dashboard.html"))
    changed_by_hand.write_text(changed_by_hand.read_text(encoding="utf-8") + "<!-- by hand -->", encoding="utf-8")
    kept: list[dict] = []
    keep = Spool.keep

    def noted(self, files, written=None):
        result = keep(self, files, written)
        kept.append(dict(result))       # (copied: the builder makes its spooled pages `OnDisk` once written)
        return result
    monkeypatch.setattr(Spool, "keep", noted)
    new_process_build(root)
    kinds = Counter(type(value).__name__ for files in kept for value in files.values())
    assert kinds["OnDisk"] and kinds["Spooled"], kinds      # the pages that read the same, and the new ones
    rel = changed_by_hand.relative_to(root / "site").as_posix()
    assert [type(files[rel]).__name__ for files in kept if rel in files] == ["Spooled"]
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_pages_removed_or_changed_by_hand_in_the_site_are_put_back(books, tmp_path, monkeypatch):
    """Files the last build wrote and someone removed from the site since, in a client whose inputs
    did not change and in the edited one, are in the next new process's site: the site it links
    from is not taken to hold every file the manifest lists. A file changed in place there is
    written again, not linked: its bytes are no longer those of the manifest. (`intact` looks at one file in 64 of
    a big site: here at the first only, so that the removed ones are not among those it looks at.)"""
    from hourbook.build.publish import PublishedSite

    monkeypatch.setattr(PublishedSite, "probe", staticmethod(lambda manifest: sorted(manifest)[:1]))
    root = books(BOOKS)
    new_process_build(root)
    removed = [sorted((root / "site" / "owner" / client).glob("20*.html"))[0] for client in ("globex", "initech")]
    for path in removed:
        path.unlink()
    changed = sorted((root / "site" / "owner" / "globex").glob("20*.html"))[-1]
    with open(changed, "a", encoding="utf-8") as page:     # in place: the same file, other bytes
        page.write("<!-- by hand -->")
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write(APPENDED)
    new_process_build(root)
    assert all(path.is_file() for path in removed)
    assert "by hand" not in changed.read_text(encoding="utf-8")
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_stable_forms_kept_by_type_are_the_plain_ones():
    """`digests.stable_form` decides once for each type what to do; the forms, and their pickled
    bytes (what the records' keys are made of), are those of the plain recursion, for the example
    books' settings, contracts, entries, priced clients and their statements."""
    import datetime

    from hourbook.build.digests import plain_stable_form
    from hourbook.build.digests import stable_form

    root = Path(__file__).resolve().parent.parent
    priced, _ = load_and_price(root, datetime.date(2026, 12, 3))
    values = [priced.books.settings, *priced.books.contracts, *priced.books.entries, *priced.clients,
              {"b": {2, 1}, "a": frozenset({"y", "x"})}, [(), [1, "two"]], None, 3, "text"]
    for value in values:
        assert pickle.dumps(stable_form(value)) == pickle.dumps(plain_stable_form(value))


def test_figures_pickled_as_their_values_read_back_as_pickle_would_make_them():
    """`pickling.pickled_as_values` (an owner report's figures and rows): what is read back equals
    the record, hashes the same and holds the same fields, as pickle's default would give."""
    import datetime
    from decimal import Decimal

    from hourbook.render.dashboard import Figures
    from hourbook.render.dashboard import PeriodRow

    figures = Figures("EUR", "CHF", logged=95, billed=60, revenue=Decimal("112.50"), cost_known=False)
    row = PeriodRow("2026-11", datetime.date(2026, 11, 1), figures)
    for value in (figures, row, (row, row)):
        back = pickle.loads(pickle.dumps(value, protocol=5))
        assert back == value and hash(back) == hash(value)
    back = pickle.loads(pickle.dumps(row, protocol=5))
    assert vars(back) == vars(row) and vars(back.figures) == vars(figures)
    assert b"figures" not in pickle.dumps(row, protocol=5)      # the values only, not the field names
