"""The cycle collector around builds (core/memory.py): off while a build reads, prices and
writes, on while it renders; between watch builds a ring the last build let go is freed and the
books are frozen."""

from __future__ import annotations

import datetime
import gc
import io
import weakref

import pytest

from hourbook import pipeline
from hourbook.build.builder import Builder
from hourbook.build.build_result import BuildResult
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.build.cache_folder import WATCH_STATUS
from hourbook.build.caches import FileHashes
from hourbook.commands.watch import SiteBuilder
from hourbook.commands.watch import UNSETTLED_BUILDS
from hourbook.core import memory
from conftest import copy_example_books


class Ring:
    """Two of these pointing at each other are freed only by the cycle collector."""

    other = None


def ring() -> weakref.ref:
    a, b = Ring(), Ring()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def thawed():
    yield
    gc.unfreeze()
    gc.enable()


def test_no_cyclic_gc_turns_the_collector_off_inside_and_back_on_after():
    assert gc.isenabled()
    with memory.no_cyclic_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_no_cyclic_gc_leaves_a_collector_that_was_off_off():
    gc.disable()
    with memory.no_cyclic_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_no_cyclic_gc_turns_the_collector_back_on_when_the_build_raises():
    with pytest.raises(RuntimeError):
        with memory.no_cyclic_gc():
            raise RuntimeError("a bug in a build")
    assert gc.isenabled()


def test_what_a_no_collection_block_made_is_frozen_so_no_collection_after_it_walks_it():
    gc.unfreeze()
    gc.collect()
    with memory.no_cyclic_gc():
        made = [[index] for index in range(50_000)]     # as loading the books makes them, no cycles
    assert gc.get_freeze_count() >= len(made)
    in_generations = sum(len(gc.get_objects(generation)) for generation in range(3))
    assert in_generations < len(made)           # none of them: a collection after the block walks none
    assert made[-1] == [49_999]


def test_settle_frees_a_ring_let_go_since_the_last_settle_and_freezes_the_rest():
    kept = ring()
    alive = kept()                         # still held: it survives and is frozen
    memory.settle()
    assert gc.get_freeze_count() > 0
    with memory.no_cyclic_gc():
        dropped = ring()                   # let go during a build, while the collector is off
        assert dropped() is not None
    memory.settle()
    assert dropped() is None
    assert kept() is alive
    del alive
    memory.settle()                     # thawed first: a frozen ring let go later is freed too
    assert kept() is None


def test_a_watch_build_settles_when_idle_not_at_once(tmp_path):
    class FakeBuilder:
        out = tmp_path / "site"

        def build(self, on_pages=None, progress=None, changed=None):
            assert gc.get_freeze_count() == 0
            return BuildResult(True, [], files=3, written=1, rendered_clients=1)

    gc.unfreeze()
    site_builder = SiteBuilder(tmp_path, lambda: datetime.date(2026, 12, 4), log=io.StringIO())
    site_builder.builder = FakeBuilder()
    site_builder()
    assert (tmp_path / CACHE_DIR / WATCH_STATUS).is_file()
    assert gc.get_freeze_count() == 0       # not yet: an edit right after the page must not wait for it
    site_builder.idle()
    assert gc.get_freeze_count() > 0        # settled: what the build left is frozen
    gc.unfreeze()
    site_builder.idle()                     # nothing built since: nothing to settle
    assert gc.get_freeze_count() == 0


def test_watch_builds_one_after_the_other_settle_every_few(tmp_path):
    class FakeBuilder:
        out = tmp_path / "site"

        def build(self, on_pages=None, progress=None, changed=None):
            return BuildResult(True, [], files=3, written=1, rendered_clients=1)

    site_builder = SiteBuilder(tmp_path, lambda: datetime.date(2026, 12, 4), log=io.StringIO())
    site_builder.builder = FakeBuilder()
    settled = []
    for _ in range(UNSETTLED_BUILDS * 2):
        gc.unfreeze()
        site_builder()
        settled.append(gc.get_freeze_count() > 0)
    assert settled == ([False] * (UNSETTLED_BUILDS - 1) + [True]) * 2


def test_a_build_reads_prices_and_writes_with_the_collector_off_and_renders_with_it_on(tmp_path, monkeypatch):
    root = copy_example_books(tmp_path / "books")
    seen = {}

    def spy(name, function):
        def spied(*args, **kwargs):
            seen.setdefault(name, gc.isenabled())
            return function(*args, **kwargs)
        return spied

    monkeypatch.setattr(pipeline, "load_and_price", spy("price", pipeline.load_and_price))
    monkeypatch.setattr(FileHashes, "of_files", spy("write", FileHashes.of_files))
    monkeypatch.setattr(Builder, "render", spy("render", Builder.render))
    result = Builder(root, lambda: datetime.date(2026, 12, 4), pdf=False, jobs=1).build()
    assert result.ok
    assert seen == {"price": False, "render": True, "write": False}
    assert gc.isenabled()


def test_keep_until_exit_holds_the_last_commands_value_only():
    class Made:
        pass

    first, second = Made(), Made()
    assert memory.keep_until_exit(first) is first
    gone = weakref.ref(first)
    del first
    assert gone() is not None               # held: not freed one object at a time as the command returns
    memory.keep_until_exit(second)
    assert gone() is None                   # the next command's lets it go: tests run many in one process
