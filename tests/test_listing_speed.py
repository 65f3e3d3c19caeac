"""The per-file shortcuts of a new process on books of many small logbooks, each pinned to the plain
way it stands in for: `listing.child_path` to `/`, `file_kind.has_suffix` to `os.path.splitext`,
the listing's own names and sizes to the properties worked out from scratch, `FileIndex.digests`
to `FileIndex.digest`, `DiskLogbookCache.load_files` to its file-by-file `__call__`, and watch's
inputs digest by runs of files to the one made from scratch."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from test_disk_cache import append
from test_disk_cache import new_process_build
from test_disk_cache import trusted_index  # noqa: F401 (an autouse fixture)
from test_incremental import AS_OF
from test_incremental import BOOKS

from hourbook.build.builder import Builder
from hourbook.build import digests
from hourbook.build.digests import inputs_digest
from hourbook.build.disk_cache import DiskLogbookCache
from hourbook.build.file_index import FileIndex
from hourbook.build.record_store import RecordStore
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.load import file_kind
from hourbook.load import listing
from hourbook.load import path_names
from hourbook.load import relisting
from hourbook.load.books import load_logbook

NAMES = st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)), min_size=1, max_size=12)


@pytest.mark.parametrize("folder", [Path("."), Path("logbook"), Path("books/logbook/2026"), Path("/tmp/books"),
                                    Path("/")])
@given(name=NAMES.filter(lambda name: name not in (".", "..")))
def test_a_child_path_is_the_folder_slash_the_name(folder, name):
    plain = folder / name
    # With the text `os.scandir` gives the path (`DirEntry.path`: the folder's text, a slash, the name).
    for made in (listing.child_path(folder, name), listing.child_path(folder, name, os.path.join(folder, name))):
        assert made == plain and str(made) == str(plain) and type(made) is type(plain)
        assert made.name == plain.name and made.parent == plain.parent and made.suffix == plain.suffix
        assert os.fspath(made) == os.fspath(plain) and made.as_posix() == plain.as_posix()


def test_a_listed_file_s_text_is_the_text_of_its_parts(tmp_path, monkeypatch):
    # The listing keeps the text `os.scandir` names each file by as the path's own: the same as
    # the path's parts make, whether the books are named relatively, absolutely, or as ".".
    for rel in ("logbook/2026/11.md", "logbook/a/b/c.yaml", "logbook/top.md", "contracts/acme.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path.parent)
    for root in (tmp_path, Path(tmp_path.name), Path("./" + tmp_path.name), Path(tmp_path.name, ".")):
        listed = listing.list_books(root)
        assert len(listed.logbooks) == 3 and len(listed.contracts) == 1
        for path in listed.paths():
            assert str(path) == str(Path(*path.parts)) and str(path) in listed.marks
    monkeypatch.chdir(tmp_path)
    listed = listing.list_books(Path("."))
    assert [str(p) for p in listed.logbooks] == ["logbook/2026/11.md", "logbook/a/b/c.yaml", "logbook/top.md"]


@given(name=st.text(st.sampled_from("ab.MDmdyamlYAML~#-"), min_size=1, max_size=10))
def test_has_suffix_is_splitexts_extension(name):
    for suffixes in (file_kind.LOGBOOK_SUFFIXES, file_kind.CONTRACT_SUFFIXES):
        assert file_kind.has_suffix(name, suffixes) == (os.path.splitext(name)[1].lower() in suffixes)
    assert file_kind.is_yaml(f"logbook/{name}") == (os.path.splitext(name)[1].lower() in (".yaml", ".yml"))


def without_known_properties(listed: listing.BooksFiles) -> listing.BooksFiles:
    """The same listing with its cached properties to be worked out from scratch."""
    return listing.BooksFiles(listed.settings, listed.contracts, listed.logbooks, listed.templates, listed.problems,
                              listed.payments, listed.root, listed.marks, listed.names, listed.links)


def many_logbooks(root: Path) -> None:
    """Logbooks in folders, some names that sort apart from their bytes, a folder reached by a link
    (its logbook listed without a mark) and files that are none."""
    for day in range(1, 13):
        folder = root / "logbook" / "2026" / f"{day:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for client in ("acme", "Zeta", "ñandú", "a b"):
            (folder / f"{client}.md").write_text(f"# 2026-11-{day:02d}\n\n## acme\n- 10m call #support\n")
    (root / "logbook" / "2026" / "notes.txt").write_text("not a logbook\n")
    (root / "logbook" / "2026" / ".hidden.md").write_text("# 2026-11-01\n")
    (root / "extra").mkdir()
    (root / "extra" / "linked.md").write_text("# 2026-11-02\n\n## acme\n- 15m linked #support\n")
    (root / "logbook" / "2026" / "01" / "more").symlink_to(root / "extra")


def test_the_listings_own_names_and_sizes_are_those_worked_out_from_its_files(books):
    root = books(BOOKS)
    many_logbooks(root)
    for top in (root, Path(os.path.relpath(root))):
        listed = listing.list_books(top)
        assert listed.links == 1 and len(listed.logbooks) > 48
        plain = without_known_properties(listed)
        assert listed.logbook_names == plain.logbook_names
        assert listed.logbook_sizes == plain.logbook_sizes
        assert list(listed.logbook_names) == sorted(listed.logbook_names)
        for path in listed.logbooks:        # the marks are under `str` of each path, of its own `lstat`
            if "/more/" not in str(path):
                assert listed.marks[str(path)] == path_names.stat_mark(os.lstat(path))
            assert listed.names[str(path)] == path.relative_to(top).as_posix()


def test_the_index_digests_in_one_loop_what_it_digests_file_by_file(books, tmp_path):
    root = books(BOOKS)
    many_logbooks(root)
    new_process_build(root)
    append(root / "logbook/2026/03/acme.md", "- 5m appended #support\n")
    listed = listing.list_books(root)
    names = [str(path) for path in listed.paths()] + [str(root / "missing.md")]
    store = RecordStore(root / CACHE_DIR)
    one, other = FileIndex(store), FileIndex(store)
    assert one.digests(names, listed.marks) == [other.digest(name, listed.marks.get(name))[0] for name in names]
    assert (one.met, one.seen, one.listed, one.read) == (other.met, other.seen, other.listed, other.read) \
        and one.read == 1
    assert one.digests(names, listed.marks) == [other.digest(name, listed.marks.get(name))[0] for name in names]


def test_the_pack_in_one_loop_gives_what_the_files_give_one_by_one(books, tmp_path):
    """A new process's `load_files`: entries, diagnostics and what the cache holds after, as
    `__call__` file by file gives them; a file changed since the pack goes the long way."""
    root = books(BOOKS)
    many_logbooks(root)
    (root / "logbook" / "2026" / "05" / "bad.md").write_text("# 2026-13-40\n\n## acme\n- 10m x\n")
    assert not Builder(root, lambda: AS_OF, pdf=False, jobs=1).build().ok     # the pack is kept all the same
    append(root / "logbook/2026/03/acme.md", "- 5m appended #support\n")
    listed = listing.list_books(root)
    files = list(zip(listed.logbooks, listed.logbook_names))

    shutil.copytree(root / CACHE_DIR, tmp_path / "copy")    # each its own records: the first keeps one

    def cache(folder: Path) -> DiskLogbookCache:
        store = RecordStore(folder)
        index = FileIndex(store)
        inputs_digest(root, index=index, listed=listed)     # as a build asks it first
        return DiskLogbookCache(store, index)

    batch, plain = cache(root / CACHE_DIR), cache(tmp_path / "copy")
    together = list(batch.load_files(root, files, load_logbook))
    one_by_one = [plain(root, path, rel, load_logbook) for path, rel in files]
    assert together == one_by_one and any(diags for _, diags in together)
    for field in ("files", "current", "client_digests", "behind", "parsed"):
        assert getattr(batch, field) == getattr(plain, field), field
    assert batch.parsed == 1 and batch.behind == {"logbook/2026/03/acme.md"}


OPERATIONS = st.lists(st.tuples(st.sampled_from(["edit", "edit", "append", "add", "remove"]), st.integers(0, 10 ** 6)),
                      min_size=1, max_size=8)


def thirty_logbooks(root: Path) -> None:
    """Books of a contract and thirty one-entry logbooks, one a folder."""
    (root / "contracts").mkdir()
    (root / "contracts" / "acme.yaml").write_text("name: ACME\n")
    for day in range(1, 31):
        (root / "logbook" / f"{day:02d}").mkdir(parents=True)
        (root / "logbook" / f"{day:02d}" / "acme.md").write_text(f"# 2026-11-{day:02d}\n\n## acme\n- 10m call\n")


def operate(listed: listing.BooksFiles, step: int, operation: str, pick: int) -> Path:
    """One of OPERATIONS on a logbook of `listed`; the path it changed."""
    logbooks = sorted(str(path) for path in listed.logbooks)
    path = Path(logbooks[pick % len(logbooks)])
    if operation == "edit":         # the same size: only the bytes (and the time) tell
        text = path.read_text()
        path.write_text(text[:-2] + ("y\n" if text.endswith("x\n") else "x\n"))
    elif operation == "append":
        path.write_text(path.read_text() + f"- {step + 1}m more\n")
    elif operation == "add":
        path = path.with_name(f"new-{step}.md")
        path.write_text(f"# 2026-11-01\n\n## acme\n- {step + 1}m new\n")
    elif len(logbooks) > 1:
        path.unlink()
    return path


@settings(max_examples=25, deadline=None)
@given(operations=OPERATIONS)
def test_the_inputs_digest_by_runs_of_files_is_the_digest_made_from_scratch(operations):
    """Watch's digest (`FileIndex.begin` told what changed, only the runs of parts that hold a changed
    file digested again, the listing taken from the last one) equals a new process's, over edits,
    appends, new files and removed ones; runs of 4 files here, so that there are many."""
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(digests, "BLOCK_FILES", 4):
        root = Path(folder)
        thirty_logbooks(root)
        index, listed = FileIndex(), listing.list_books(root)
        index.begin(None)
        digests.inputs_digest(root, "x", index=index, listed=listed)
        for step, (operation, pick) in enumerate(operations):
            changed = {str(operate(listed, step, operation, pick))}
            index.begin(changed)
            listed = relisting.relist(listed, changed) or listing.list_books(root)
            told = digests.inputs_digest(root, "x", index=index, listed=listed)
            assert told == digests.inputs_digest(root, "x", index=FileIndex(), listed=listing.list_books(root))


@settings(max_examples=25, deadline=None)
@given(operations=OPERATIONS)
def test_a_new_process_s_inputs_digest_from_the_last_one_s_runs_is_the_digest_made_from_scratch(operations):
    """A new process takes the digest of each run of unchanged files from the last process's
    (`FileIndex.known_run`, `kept_runs`): over edits, appends, new files and removed ones, the digest
    is the one made from scratch, and after an edit or an append only the run that holds the file
    is made again (its parts); runs of 4 files here."""
    with tempfile.TemporaryDirectory() as folder, mock.patch.object(digests, "BLOCK_FILES", 4):
        root = Path(folder)
        thirty_logbooks(root)
        store = RecordStore(root / CACHE_DIR)

        def new_process() -> tuple[str, FileIndex, listing.BooksFiles]:
            index, listed = FileIndex(store), listing.list_books(root)
            made = digests.inputs_digest(root, "x", index=index, listed=listed)
            index.save()
            return made, index, listed

        made, index, listed = new_process()
        assert index.read == 31 and len(index.runs) == 8       # the first process: every run made, and kept
        for step, (operation, pick) in enumerate(operations):
            operate(listed, step, operation, pick)
            made, index, listed = new_process()
            assert made == digests.inputs_digest(root, "x", index=FileIndex(), listed=listing.list_books(root))
            if operation in ("edit", "append"):
                assert index.read == 1 and 1 <= len(index.parts) <= 4   # one run of 4 (the last is 3)


def test_a_run_s_digest_is_taken_only_for_the_very_digests_it_was_made_of(tmp_path):
    # The index of the files and the record of the runs are two records: a process killed between
    # the two writes leaves runs of other bytes beside the index. A run's fingerprint holds its
    # files' digests, so such a run is never taken: the digest is the one made from scratch.
    with mock.patch.object(digests, "BLOCK_FILES", 4):
        thirty_logbooks(tmp_path)
        store = RecordStore(tmp_path / CACHE_DIR)

        def new_process(save_runs: bool = True) -> str:
            index = FileIndex(store)
            made = digests.inputs_digest(tmp_path, "x", index=index, listed=listing.list_books(tmp_path))
            if not save_runs:
                index.runs = index.kept_runs        # killed before the runs were written
            index.save()
            return made

        new_process()
        append(tmp_path / "logbook/07/acme.md", "- 5m appended #support\n")
        new_process(save_runs=False)                # the index knows the new bytes, the runs the old
        scratch = digests.inputs_digest(tmp_path, "x", index=FileIndex(), listed=listing.list_books(tmp_path))
        assert new_process() == scratch
