"""load/warm.py: logbooks on disk asked for all at once, only when most of a sample is out of memory; the same JSON either way."""

from __future__ import annotations

import os
import shutil

import pytest

from hourbook.build import digests
from hourbook.build import file_index
from hourbook.build import price_run
from hourbook.build import price_shares
from hourbook.build import workers
from hourbook.load import listing
from hourbook.load import warm
from conftest import copy_example_books
from conftest import run_cli


def files(tmp_path, count: int) -> list:
    paths = []
    for number in range(count):
        path = tmp_path / f"{number:03d}.md"
        path.write_text(f"# 2026-11-{number % 28 + 1:02d}\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_most_of_the_sample_out_of_memory_is_on_disk(tmp_path, monkeypatch):
    paths = files(tmp_path, 100)
    assert warm.on_disk(paths) is False                     # just written: in memory
    uncached = set(map(str, paths[::3]))                    # the sample (every third) and more: half is out
    names = {}
    real_open, real_preadv = os.open, os.preadv

    def opening(path, flags, *rest):
        fd = real_open(path, flags, *rest)
        names[fd] = str(path)
        return fd

    def preadv(fd, buffers, offset, flags=0):
        assert flags == os.RWF_NOWAIT                       # never waits on the disk
        if names[fd] in uncached:
            raise BlockingIOError
        return real_preadv(fd, buffers, offset, flags)

    monkeypatch.setattr(warm.os, "open", opening)
    monkeypatch.setattr(warm.os, "preadv", preadv)
    assert warm.on_disk(paths) is True
    uncached = set(map(str, paths[::9]))                    # a third of the sample out of memory: in memory
    assert warm.on_disk(paths) is False
    assert warm.on_disk([]) is False


def test_a_file_system_that_cannot_tell_asks_for_nothing(tmp_path, monkeypatch):
    def refused(fd, buffers, offset, flags=0):
        raise OSError(95, "Operation not supported")
    monkeypatch.setattr(warm.os, "preadv", refused)
    assert warm.on_disk(files(tmp_path, 10)) is False


def test_the_sample_is_spread_over_the_files_and_never_waits_on_a_fifo(tmp_path, monkeypatch):
    paths = files(tmp_path, 100)
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    given = [fifo, *paths, tmp_path / "missing.md"]
    opened = []
    real_open = os.open
    monkeypatch.setattr(warm.os, "open", lambda path, flags, *rest: opened.append(path) or real_open(path, flags, *rest))
    warm.on_disk(given)
    assert opened == given[::len(given) // warm.SAMPLE][:warm.SAMPLE]


def test_each_regular_file_is_asked_for_once_and_the_others_are_left_to_the_reader(tmp_path, monkeypatch):
    paths = files(tmp_path, 5)
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    (tmp_path / "folder.md").mkdir()
    advised = []
    monkeypatch.setattr(warm.os, "posix_fadvise", lambda fd, offset, length, advice: advised.append(
        (os.readlink(f"/proc/self/fd/{fd}"), offset, length, advice)))
    asked = warm.ask_ahead([*paths, fifo, tmp_path / "folder.md", tmp_path / "missing.md"])
    assert asked == 5
    assert advised == [(str(path), 0, 0, os.POSIX_FADV_WILLNEED) for path in paths]


@pytest.mark.parametrize("cold", [False, True])
def test_price_gives_the_same_json_whether_the_logbooks_were_asked_for_or_not(tmp_path, monkeypatch, cold):
    root = copy_example_books(tmp_path / "books")
    monkeypatch.setattr(workers, "PARALLEL_LOAD_BYTES", 1)        # the example books through the forked loader
    monkeypatch.setattr(price_shares, "PARALLEL_PRICING_ENTRIES", 1)
    monkeypatch.setenv(price_run.NO_CACHE_ENV, "1")
    asked = []
    real_ask = warm.ask_ahead
    monkeypatch.setattr(warm, "on_disk", lambda paths: cold)
    monkeypatch.setattr(warm, "ask_ahead", lambda paths: asked.append(len(paths)) or real_ask(paths))
    code, out, err = run_cli("price", "--json", str(root), "--as-of", "2026-12-31")
    monkeypatch.setattr(warm, "on_disk", lambda paths: False)
    plain = run_cli("price", "--json", str(root), "--as-of", "2026-12-31")
    assert (code, out) == plain[:2] and code == 0
    assert asked == ([len(list((root / "logbook").rglob("*.*")))] if cold else [])


def site_bytes(site) -> dict:
    return {path.relative_to(site).as_posix(): path.read_bytes() for path in sorted(site.rglob("*")) if path.is_file()}


def test_a_clean_build_asks_for_every_input_when_they_are_on_disk_and_builds_the_same_site(tmp_path, monkeypatch):
    root = copy_example_books(tmp_path / "books")
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)      # files just copied are known after a build all the same
    asked = []
    real_ask = warm.ask_ahead
    monkeypatch.setattr(warm, "on_disk", lambda paths: True)
    monkeypatch.setattr(warm, "ask_ahead", lambda paths: asked.append(len(paths)) or real_ask(paths))
    args = ("build", "--no-pdf", "--as-of", "2026-12-31", str(root))
    assert run_cli(*args)[0] == 0
    assert asked == [len(digests.input_files(root, listing.list_books(root)))]   # every input, once; no site file
    first = site_bytes(root / "site")
    assert run_cli(*args)[0] == 0 and len(asked) == 1           # known now: not asked again
    shutil.rmtree(root / "site")
    shutil.rmtree(root / ".hourbook-cache")
    monkeypatch.setattr(warm, "on_disk", lambda paths: False)
    assert run_cli(*args)[0] == 0
    assert site_bytes(root / "site") == first
