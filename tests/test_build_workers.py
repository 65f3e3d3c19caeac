"""The one pool factory: forked workers read what their pool handed down, and only while it runs."""

from __future__ import annotations

import multiprocessing

import pytest

from hourbook.build.workers import fork_pool
from hourbook.build.workers import handed_down

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")


def total_of(name: str) -> int:
    """In a worker: the sum of a list its pool handed down."""
    return sum(handed_down(name))


def test_workers_read_what_their_pool_handed_down_without_pickling_it():
    numbers = list(range(100_000))
    with fork_pool(2, numbers=numbers) as pool:
        assert list(pool.map(total_of, ["numbers"] * 4)) == [sum(numbers)] * 4
    with pytest.raises(KeyError):
        handed_down("numbers")                 # gone with the pool


def test_a_pool_that_hands_nothing_down_leaves_another_pools_values():
    with fork_pool(1, numbers=[1, 2, 3]) as pool:
        with fork_pool(1) as other:
            assert other.submit(sum, [4, 5]).result() == 9
        assert pool.submit(total_of, "numbers").result() == 6
        assert handed_down("numbers") == [1, 2, 3]


def test_no_pool_for_no_workers():
    assert fork_pool(0) is None
    assert fork_pool(0, numbers=[1]) is None
    with pytest.raises(KeyError):
        handed_down("numbers")


# ---------------------------------------------------------------- logbooks parsed on every core


def _logbooks(root):
    """Twelve logbooks (Markdown and YAML), some lines wrong, two clients."""
    (root / "contracts").mkdir(parents=True)
    for client in ("acme", "globex"):
        (root / "contracts" / f"{client}.yaml").write_text(
            f"client: {client}\nname: {client.title()}\ncurrency: EUR\nterms:\n  - from: 2026-01-01\n"
            "    kind: hourly\n    rate: 80\n", encoding="utf-8")
    for month in range(1, 13):
        folder = root / "logbook" / "2026"
        folder.mkdir(parents=True, exist_ok=True)
        if month % 4 == 0:
            (folder / f"{month:02d}.yaml").write_text(
                f"client: globex\nentries:\n  - date: 2026-{month:02d}-02\n    time: 1h\n    description: backup {month}\n"
                f"  - date: 2026-{month:02d}-40\n    time: 1h\n", encoding="utf-8")
        else:
            (folder / f"{month:02d}.md").write_text(
                f"# 2026-{month:02d}-03\n\n## acme\n- 09:00-10:{month:02d} printer {month} @laura #urgent\n"
                f"- 2025 not a time\n\n## globex\n- {month}h server\n", encoding="utf-8")


@pytest.mark.parametrize("pattern", ["real", "all here", "all in the other process", "every other chunk",
                                     "the other process is slow"])
def test_logbooks_parsed_on_every_core_are_the_books_one_process_reads(tmp_path, monkeypatch, pattern):
    """Chunks of logbooks go to whichever process claims them (this one takes them from the end
    while it waits): every way they fall gives the entries and diagnostics of one process."""
    import os
    import time

    from hourbook.build import workers
    from hourbook.load.books import load_books

    _logbooks(tmp_path)
    reference = load_books(tmp_path)
    assert reference[0].entries and reference[1]
    monkeypatch.setattr(workers, "PARALLEL_LOAD_BYTES", 0)
    monkeypatch.setattr(workers, "CHUNKS_PER_PROCESS", 3)         # 6 chunks of 2 files
    here = os.getpid()
    if pattern == "the other process is slow":
        load_logbook = workers.load_logbook

        def slow(*args):
            if os.getpid() != here:
                time.sleep(0.2)
            return load_logbook(*args)

        monkeypatch.setattr(workers, "load_logbook", slow)
    elif pattern != "real":
        class Decided(workers.Claims):
            def claim(self, chunk):
                ours = {"all here": True, "all in the other process": False,
                        "every other chunk": chunk % 2 == 0}[pattern]
                return ours == (os.getpid() == here)

            def last_free(self, after):
                return None

        monkeypatch.setattr(workers, "Claims", Decided)
    from hourbook.load import listing

    logbooks = workers.ForkedLogbooks.start(tmp_path, 2, listing.list_books(tmp_path))
    if pattern == "the other process is slow":
        deadline = time.monotonic() + 10
        while not logbooks.claims.taken[0] and time.monotonic() < deadline:
            time.sleep(0.01)                                    # the other process has the first chunk
    try:
        assert load_books(tmp_path, logbook_cache=logbooks) == reference
    finally:
        logbooks.close()
    parsed_here = sorted(chunk for chunk, ours in logbooks.here.items() if ours)
    assert len(logbooks.chunks) == 6
    expected = {"all here": [0, 1, 2, 3, 4, 5], "all in the other process": [], "every other chunk": [0, 2, 4]}
    if pattern in expected:
        assert parsed_here == expected[pattern]
    elif pattern == "the other process is slow":
        assert 0 not in parsed_here and parsed_here == list(range(6 - len(parsed_here), 6)) and 5 in parsed_here   # taken from the end while it waited


def test_a_killed_build_leaves_no_worker_behind(tmp_path):
    """A pool's workers die with the process that forked them (`site.tree.child_dies_with`): a
    build killed while they render leaves none waiting for ever on a pipe nobody reads."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pids = tmp_path / "pids"
    code = (
        "import os, time\n"
        "from hourbook.build.workers import fork_pool\n"
        "pool = fork_pool(2)\n"
        "futures = [pool.submit(time.sleep, 600) for _ in range(2)]\n"
        "time.sleep(1)\n"
        f"open({str(pids)!r}, 'w').write(' '.join(map(str, pool._processes)))\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert done.returncode == -signal.SIGKILL
    workers = [int(pid) for pid in pids.read_text().split()]
    assert len(workers) == 2

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        with open(f"/proc/{pid}/stat") as stat:         # a zombie waiting for init is gone too
            return stat.read().split(") ", 1)[1][0] != "Z"
    deadline = time.monotonic() + 10
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers))
