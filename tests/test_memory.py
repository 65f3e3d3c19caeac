"""The cycle collector around watch builds (core/memory.py): off during a build, a ring the
last build let go freed by the next settle, and the books frozen between builds."""

from __future__ import annotations

import datetime
import gc
import io
import weakref

import pytest

from hourbook.core import memory
from hourbook.build.builder import BuildResult
from hourbook.commands.watch import SiteBuilder


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


def test_a_watch_build_runs_with_the_collector_off_and_settles_after(tmp_path):
    seen = []

    class FakeBuilder:
        out = tmp_path / "site"

        def build(self, on_pages=None, progress=None):
            seen.append(gc.isenabled())
            return BuildResult(True, [], up_to_date=True)

    site_builder = SiteBuilder(tmp_path, lambda: datetime.date(2026, 12, 4), log=io.StringIO())
    site_builder.builder = FakeBuilder()
    site_builder()
    assert seen == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0       # settled: the objects the build left are frozen
