"""Watch told what changed: the books' files taken from the last listing and the changed paths
(`relisting.relist`), the file index and the logbook cache keeping what did not change, and a walk
after the build for what the file system did not tell (`Builder.listing_is_current`).

Books of tens of thousands of small logbooks cost a second to walk; an edit costs its own file.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from conftest import copy_example_books
from hourbook.build import file_index
from hourbook.build.builder import Builder
from hourbook.build.file_index import FileIndex
from hourbook.commands.watch import changed_paths
from hourbook.load import listing
from hourbook.load import relisting

AS_OF = datetime.date(2026, 12, 3)

FOLDERS = ["logbook", "logbook/2026", "logbook/2026/11", "logbook/team", "logbook/.hidden"]
NAMES = ["a.md", "b.yaml", "c.MD", "notes.txt", ".swap.md", "backup.md~", "#autosave.md", "z.md"]


def same_listing(a: listing.BooksFiles, b: listing.BooksFiles) -> bool:
    return (a == b and a.marks == b.marks and a.names == b.names and a.logbook_names == b.logbook_names
            and a.logbook_sizes == b.logbook_sizes and a.printable_logbooks == b.printable_logbooks)


operations = st.lists(st.tuples(st.sampled_from(["write", "append", "remove", "folder"]),
                                 st.sampled_from(FOLDERS), st.sampled_from(NAMES)), min_size=1, max_size=8)


@settings(max_examples=80, deadline=None)
@given(before=operations, after=operations, relative=st.booleans())
def test_relist_gives_what_a_walk_gives_or_declines(before, after, relative):
    """After any file changes, `relist` of the paths touched is `list_books` of the books, field
    for field, or None (a folder made or gone, a link): never a listing a walk would not give."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "books"
        (root / "logbook").mkdir(parents=True)
        apply(root, before)
        here = os.getcwd()
        try:
            if relative:                    # `hourbook watch` run in the books folder: paths as named there
                os.chdir(root)
                root = Path(".")
            previous = listing.list_books(root)
            assert previous.printable_logbooks is not None      # worked out: `relist` may carry it over
            touched = apply(root, after)
            names = relisting.as_listed(root, [os.path.abspath(path) for path in touched])
            assert names is not None
            now = relisting.relist(previous, names)
            walked = listing.list_books(root)
            assert now is None or same_listing(now, walked)
            assert relisting.same_listing(previous, walked) == (previous == walked and previous.marks == walked.marks)
            assert relisting.same_listing(walked, listing.list_books(root))
            if not any(kind == "folder" for kind, _, _ in after) and now is None:
                assert walked.problems or walked.links or previous.problems
        finally:
            os.chdir(here)


def apply(root: Path, steps) -> list[Path]:
    """Do `steps` to the books; the paths each touched, as the file system would tell them."""
    touched = []
    for kind, folder, name in steps:
        place = root / folder
        path = place / name
        if kind == "folder":
            if place.is_dir() and folder != "logbook":
                shutil.rmtree(place)
            else:
                place.mkdir(parents=True, exist_ok=True)
            touched.append(place)
        elif kind == "remove":
            if path.is_file():
                path.unlink()
                touched.append(path)
        elif place.is_dir():
            with open(path, "a" if kind == "append" else "w", encoding="utf-8") as handle:
                handle.write(f"# 2026-11-0{len(touched) % 9 + 1}\n")
            touched.append(path)
    return touched


def test_relist_declines_folders_links_and_files_outside_logbook(tmp_path):
    root = tmp_path / "books"
    (root / "logbook").mkdir(parents=True)
    (root / "logbook" / "a.md").write_text("x", encoding="utf-8")
    (root / "contracts").mkdir()
    previous = listing.list_books(root)
    (root / "logbook" / "sub").mkdir()
    assert relisting.relist(previous, {str(root / "logbook" / "sub")}) is None       # a folder
    assert relisting.relist(previous, {str(root / "contracts" / "acme.yaml")}) is None
    assert relisting.relist(previous, {str(root / "hourbook.yaml")}) is None
    (root / "logbook" / "link.md").symlink_to(root / "logbook" / "a.md")
    assert relisting.relist(previous, {str(root / "logbook" / "link.md")}) is None
    with_link = listing.list_books(root)
    assert with_link.links == 1 and relisting.relist(with_link, {str(root / "logbook" / "a.md")}) is None
    assert relisting.as_listed(root, [str(tmp_path / "elsewhere.md")]) is None


@pytest.mark.parametrize("event, folder, expected", [
    ("modified", False, ("/b/logbook/a.md",)),
    ("closed", False, ("/b/logbook/a.md",)),
    ("moved", False, ("/b/logbook/a.md", "/b/logbook/b.md")),
    ("modified", True, ()),              # a folder's own change: its files tell their own
    ("created", True, None),             # a folder made, removed or moved: its files are not told
    ("deleted", True, None),
    ("moved", True, None),
])
def test_an_event_tells_the_files_it_changed(event, folder, expected):
    paths = ["/b/logbook/a.md", "/b/logbook/b.md" if event == "moved" else ""]
    assert changed_paths(event, folder, paths) == expected


def test_the_file_index_keeps_what_it_met_of_the_files_that_did_not_change(tmp_path, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("one", encoding="utf-8")
    b.write_text("two", encoding="utf-8")
    index = FileIndex()
    index.begin()
    first = index.digest(a)[0], index.digest(b)[0]
    assert index.read == 2
    a.write_text("ONE", encoding="utf-8")
    index.begin({str(a)})
    again = index.digest(a)[0], index.digest(b)[0]
    assert index.read == 3 and again[0] != first[0] and again[1] == first[1]    # only a read again
    assert set(index.seen) == {str(a), str(b)}                                  # both kept for the disk
    index.begin()
    index.digest(a), index.digest(b)
    assert index.read == 3                      # told nothing: looked at by their stat, both unchanged


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_told_what_changed_writes_a_clean_builds_site_and_a_missed_change_is_found(tmp_path):
    root = copy_example_books(tmp_path / "books")
    builder = Builder(root, lambda: AS_OF, pdf=False)
    builder.background_cleanup = True
    assert builder.build().ok and not builder.relisted
    november = root / "logbook" / "2026" / "11.md"
    november.write_text(november.read_text(encoding="utf-8").replace("- 45m mailbox", "- 1h45m mailbox"),
                        encoding="utf-8")
    extra = root / "logbook" / "2026" / "extra.md"
    extra.write_text("# 2026-11-20\n\n## acme\n- 25m told of by the watcher #support\n", encoding="utf-8")
    assert builder.build(changed=[str(november), str(extra), str(root / "logbook" / "2026" / ".extra.md.swp")]).ok
    assert builder.relisted and builder.listing_is_current()
    clean = tmp_path / "clean"
    assert Builder(root, lambda: AS_OF, out=clean, pdf=False, disk_cache=False).build().ok
    assert tree(root / "site") == tree(clean)
    assert b"told of by the watcher" in b"".join(tree(root / "site").values())
    extra.unlink()
    assert builder.build(changed=[str(extra)]).ok and builder.relisted
    # A change the file system did not tell: the build misses it, the walk after it finds it.
    (root / "logbook" / "2026" / "untold.md").write_text("# 2026-11-21\n\n## acme\n- 5m untold #support\n",
                                                          encoding="utf-8")
    assert builder.build(changed=[str(november)]).ok and builder.relisted
    assert not builder.listing_is_current()
    assert builder.build().ok and not builder.relisted and builder.listing_is_current()
    clean = tmp_path / "clean-2"
    assert Builder(root, lambda: AS_OF, out=clean, pdf=False, disk_cache=False).build().ok
    assert tree(root / "site") == tree(clean)


def test_the_walk_after_a_build_stops_for_the_next_change(tmp_path):
    """Watch walks the books after a build told what changed; a change arriving meanwhile stops the
    walk (`stop`), which is then neither a yes nor a no: the next build is checked in its turn."""
    root = copy_example_books(tmp_path / "books")
    with pytest.raises(listing.ListingStopped):
        listing.list_books(root, stop=lambda: True)
    builder = Builder(root, lambda: AS_OF, pdf=False)
    assert builder.build().ok
    assert builder.listing_is_current(lambda: True) is None
    assert builder.stopped_walk is not None         # what it made is let go after the next build
    assert builder.build().ok and builder.stopped_walk is None
    assert builder.listing_is_current(lambda: False) is True


def test_the_walk_stops_within_a_folder_of_many_logbooks(tmp_path):
    """A month's folder of 1 500 small logbooks is a long look: the walk asks `stop` while in it
    (every `STOP_EVERY` names), not only between folders."""
    folder = tmp_path / "logbook" / "2026" / "11"
    folder.mkdir(parents=True)
    for number in range(1_000):
        (folder / f"{number:04d}.md").write_text("# 2026-11-03\n")
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 4            # the top folders, the year, the month, then within it

    with pytest.raises(listing.ListingStopped):
        listing.list_books(tmp_path, stop=stop)
    assert len(asked) == 5
    assert len(listing.list_books(tmp_path, stop=lambda: False).logbooks) == 1_000


def test_comparing_two_listings_stops_for_the_next_change(tmp_path, monkeypatch):
    """The comparison after watch's walk asks `stop` between slices of the logbooks' paths."""
    monkeypatch.setattr(relisting, "COMPARED_AT_ONCE", 2)
    for number in range(5):
        (tmp_path / "logbook").mkdir(exist_ok=True)
        (tmp_path / "logbook" / f"{number}.md").write_text("# 2026-11-03\n")
    one, other = listing.list_books(tmp_path), listing.list_books(tmp_path)
    asked = []
    assert relisting.same_listing(one, other, lambda: asked.append(True) or False) and len(asked) == 4
    with pytest.raises(listing.ListingStopped):
        relisting.same_listing(one, other, lambda: len(asked) > 5 or asked.append(True) or False)
