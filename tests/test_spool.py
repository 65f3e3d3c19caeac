"""The spool: a new `hourbook build` keeps the pages it rendered on disk until it writes the site
(`build.spool`), never in a way that can change, lose or leave behind a page."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from conftest import copy_example_books
from hourbook.build.builder import Builder
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.build.spool import SPOOL_BYTES
from hourbook.build.spool import SPOOL_PREFIX
from hourbook.build.spool import Spool
from hourbook.build.spool import Spooled

AS_OF = datetime.date(2026, 12, 3)


def tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_a_spooled_build_writes_the_site_a_build_in_memory_writes_and_leaves_no_spool(tmp_path):
    root = copy_example_books(tmp_path / "books")
    spooled = Builder(root, lambda: AS_OF, out=tmp_path / "spooled", pdf=False).build()
    in_memory = Builder(root, lambda: AS_OF, out=tmp_path / "memory", pdf=False, disk_cache=False).build()
    assert spooled.ok and in_memory.ok
    assert tree(tmp_path / "spooled") == tree(tmp_path / "memory")
    assert not list((root / CACHE_DIR).glob(f"{SPOOL_PREFIX}*"))


def test_a_long_lived_builder_keeps_spooled_pages_as_pages_on_disk(tmp_path):
    """After the spool goes, the pages a builder keeps for its next build are the site's files."""
    root = copy_example_books(tmp_path / "books")
    builder = Builder(root, lambda: AS_OF, pdf=False)
    assert builder.build().ok
    kept = [data for page in builder.pages.clients.values() for data in page.files.values()]
    assert kept and not any(isinstance(data, Spooled) for data in kept)
    november = root / "logbook" / "2026" / "11.md"
    november.write_text(november.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (root / "hourbook.yaml").write_text((root / "hourbook.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert builder.build().ok          # every page again, some kept from the first build's spool
    fresh = tmp_path / "fresh"
    assert Builder(root, lambda: AS_OF, out=fresh, pdf=False, disk_cache=False).build().ok
    assert tree(root / "site") == tree(fresh)


def test_a_spool_that_cannot_be_written_keeps_the_bytes(tmp_path, monkeypatch):
    spool = Spool.open(tmp_path / "cache")
    big, small = b"x" * SPOOL_BYTES, b"small"
    kept = spool.keep({"a.html": big, "b.html": small, "c.html": big})
    assert isinstance(kept["a.html"], Spooled) and kept["b.html"] is small
    assert kept["a.html"] == kept["c.html"] and len(list(spool.folder.iterdir())) == 1   # the same bytes once
    assert Path(kept["a.html"].path).read_bytes() == big

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    other = b"y" * SPOOL_BYTES
    assert spool.keep({"d.html": other})["d.html"] is other      # kept in memory, nothing half-written
    assert len(list(spool.folder.iterdir())) == 1
    spool.remove()
    assert not spool.folder.exists()


def test_no_spool_where_the_cache_cannot_be_made(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    assert Spool.open(blocker / CACHE_DIR) is None


def test_forked_processes_spool_the_pages_they_render_and_hand_back_no_page_bytes(tmp_path, monkeypatch):
    """A new build renders the clients in forked processes: each writes its pages to the spool
    itself and hands back where they wait. The process that writes the site never holds them (it
    held a chunk of clients' pages twice, pickled and not, some 70 MB at 100 000 entries)."""
    from hourbook.build import rendering

    root = copy_example_books(tmp_path / "books")
    monkeypatch.setattr(rendering, "PARALLEL_CLIENTS", 1)      # the example's six clients, forked
    handed_back: list = []
    completed = rendering.as_completed

    def looked_at(futures):
        for future in completed(futures):
            handed_back.extend((index, dict(files), waiting) for index, files, waiting in future.result())
            yield future           # (copied: the builder makes its kept pages `OnDisk` once written)

    monkeypatch.setattr(rendering, "as_completed", looked_at)
    keepers = tmp_path / "keepers"
    keep = Spool.keep

    def noted(self, files, written=None):
        with open(keepers, "a", encoding="utf-8") as note:      # a forked process's memory stays there
            note.write(f"{os.getpid()}\n")
        return keep(self, files, written)

    monkeypatch.setattr(Spool, "keep", noted)
    assert Builder(root, lambda: AS_OF, out=tmp_path / "forked", pdf=False, jobs=2).build().ok
    pages = [data for _, files, _ in handed_back for rel, data in files.items() if rel.endswith(".html")]
    assert len(handed_back) == 6 and pages and all(isinstance(data, Spooled) or len(data) < SPOOL_BYTES
                                                   for data in pages)
    assert any(isinstance(data, Spooled) for data in pages)
    assert str(os.getpid()) not in keepers.read_text(encoding="utf-8").split()   # kept where rendered
    assert Builder(root, lambda: AS_OF, out=tmp_path / "memory", pdf=False, disk_cache=False, jobs=1).build().ok
    assert tree(tmp_path / "forked") == tree(tmp_path / "memory")
