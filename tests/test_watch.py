"""Watch mode: flag under a Condition, debounce, build, survive failures (STYLE §6).

The loop is driven by a fake watcher (no file system events, no sleeps to tune);
one test runs the real watchdog watcher against an editor that saves by rename.
Waits have generous timeouts and nothing asserts how fast anything is.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import threading
import time
from pathlib import Path

import pytest

from conftest import TEST_SECRET
from hourbook.site.secret import SECRET_ENV
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.build.cache_folder import WATCH_STATUS
from hourbook.build.builder import Builder
from hourbook.build.caches import FileHashes
from hourbook.build.publish import PublishedSite
from hourbook.commands.watch import SiteBuilder
from hourbook.commands.watch import WatchdogWatcher
from hourbook.commands.watch import WatcherBase
from hourbook.commands.watch import WatchLoop
from hourbook.commands.watch import is_input
from hourbook.commands.watch import saved_by

AS_OF = datetime.date(2026, 12, 31)
WAIT = 30  # seconds: only a bound for a hung test

BOOKS = {
    "contracts/acme.yaml": """\
        name: ACME S.L.
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 60
    """,
    "logbook/2026/11.md": """\
        # 2026-11-03

        ## acme
        - 1h printer driver
    """,
}


class FakeWatcher(WatcherBase):
    def __init__(self):
        self.on_change = None
        self.started = threading.Event()
        self.stopped = False

    def start(self, root, on_change):
        self.on_change = on_change
        self.started.set()

    def stop(self):
        self.stopped = True


class CountingBuild:
    """A build function that counts its calls and can be told to fail."""

    def __init__(self, fail_first: int = 0):
        self.calls = 0
        self.fail_first = fail_first
        self.condition = threading.Condition()

    def __call__(self):
        with self.condition:
            self.calls += 1
            self.condition.notify_all()
            if self.calls <= self.fail_first:
                raise RuntimeError("boom")

    def wait_for(self, calls: int) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: self.calls >= calls, timeout=WAIT)


def start_loop(build, watcher, tmp_path, debounce=0.05):
    log = io.StringIO()
    loop = WatchLoop(build, watcher, tmp_path, debounce=debounce, log=log)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert watcher.started.wait(WAIT)
    return loop, thread, log


def test_builds_once_at_start_then_once_per_burst_of_changes(tmp_path):
    build, watcher = CountingBuild(), FakeWatcher()
    loop, thread, _ = start_loop(build, watcher, tmp_path)
    assert build.wait_for(1)
    with loop.condition:              # a burst: all notices arrive before the loop can look
        for _ in range(20):
            watcher.on_change()
    assert build.wait_for(2)
    loop.stop()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert build.calls == 2
    assert watcher.stopped


class IdleBuild(CountingBuild):
    """A build that notes when the loop tells it the books were quiet (`SiteBuilder.idle`)."""

    def __init__(self):
        super().__init__()
        self.idled: list[int] = []          # the builds done when each idle() came

    def idle(self):
        with self.condition:
            self.idled.append(self.calls)
            self.condition.notify_all()

    def wait_for_idle(self, count: int) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: len(self.idled) >= count, timeout=WAIT)


def test_idle_comes_once_after_a_quiet_spell_and_not_between_quick_changes(tmp_path):
    build, watcher = IdleBuild(), FakeWatcher()
    loop = WatchLoop(build, watcher, tmp_path, debounce=0.01, idle=1.0, log=io.StringIO())
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert build.wait_for(1)
    for calls in range(2, 6):               # changes 0.05 s apart: never quiet for 1 s
        time.sleep(0.05)
        watcher.on_change()
        assert build.wait_for(calls)
    assert build.idled == []
    assert build.wait_for_idle(1)
    assert build.idled == [5]
    time.sleep(2.2)                         # quiet on: told once, not again
    assert build.idled == [5]
    watcher.on_change()
    assert build.wait_for(6)
    assert build.wait_for_idle(2)
    assert build.idled == [5, 6]
    loop.stop()
    thread.join(WAIT)
    assert not thread.is_alive()


def test_a_change_while_idle_is_built_after_it(tmp_path):
    build, watcher = IdleBuild(), FakeWatcher()
    changed = threading.Event()

    def idle():
        watcher.on_change()                 # comes while idle() runs, outside the lock
        changed.set()
        IdleBuild.idle(build)

    build.idle = idle
    loop = WatchLoop(build, watcher, tmp_path, debounce=0.01, idle=0.1, log=io.StringIO())
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert changed.wait(WAIT)
    assert build.wait_for(2)
    loop.stop()
    thread.join(WAIT)
    assert not thread.is_alive()


def test_the_callback_only_sets_a_flag(tmp_path):
    loop = WatchLoop(CountingBuild(), FakeWatcher(), tmp_path)
    loop.notify()
    assert loop.changed is True


@pytest.mark.parametrize("event_type, is_directory, saved", [
    ("closed", False, True),        # a file closed after writing: the write is done
    ("moved", False, True),         # renamed into place
    ("modified", False, False),     # a write may go on
    ("created", False, False),
    ("deleted", False, False),
    ("created", True, False),
    ("modified", True, None),       # a folder's own change says nothing of the write
])
def test_a_change_that_ends_a_save_is_told_apart(event_type, is_directory, saved):
    assert saved_by(event_type, is_directory) is saved


def test_the_quiet_waited_for_is_short_only_after_a_change_that_ended_a_save(tmp_path):
    loop = WatchLoop(CountingBuild(), FakeWatcher(), tmp_path, debounce=0.05, saved=0.01)
    loop.notify()
    assert loop.quiet_time() == 0.05
    loop.notify(True)                 # the file closed after writing
    assert loop.quiet_time() == 0.01
    loop.notify(None)                 # its folder's own change keeps it so
    assert loop.quiet_time() == 0.01
    loop.notify(False)                # another write began
    assert loop.quiet_time() == 0.05
    loop.notify(True)
    assert loop.wait_for_change()     # a change is pending: it returns after the quiet
    assert loop.saved is False        # the next change starts from the long wait


def test_a_failing_build_is_reported_and_watching_goes_on(tmp_path):
    build, watcher = CountingBuild(fail_first=2), FakeWatcher()
    loop, thread, log = start_loop(build, watcher, tmp_path)
    assert build.wait_for(1)
    watcher.on_change()
    assert build.wait_for(2)
    watcher.on_change()
    assert build.wait_for(3)
    loop.stop()
    thread.join(WAIT)
    assert log.getvalue().count("an error happened during the rebuild; still watching") == 2
    assert "RuntimeError: boom" in log.getvalue()


def test_stop_while_waiting_ends_the_loop(tmp_path):
    build, watcher = CountingBuild(), FakeWatcher()
    loop, thread, _ = start_loop(build, watcher, tmp_path)
    assert build.wait_for(1)
    loop.stop()
    thread.join(WAIT)
    assert not thread.is_alive() and build.calls == 1


def test_inputs_are_the_books_not_the_site_or_the_cache(tmp_path):
    assert is_input(tmp_path, str(tmp_path / "logbook" / "2026" / "11.md"))
    assert is_input(tmp_path, str(tmp_path / "contracts" / "acme.yaml"))
    assert is_input(tmp_path, str(tmp_path / "hourbook.yaml"))
    assert is_input(tmp_path, str(tmp_path / "templates" / "base.html"))
    assert not is_input(tmp_path, str(tmp_path / "site" / "owner" / "index.html"))
    assert not is_input(tmp_path, str(tmp_path / CACHE_DIR / "build.state"))
    assert not is_input(tmp_path, str(tmp_path / ".git" / "index"))
    assert not is_input(tmp_path, "/etc/passwd")


def test_site_builder_keeps_the_old_site_after_errors_and_prints_them(books, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    root = books(BOOKS)
    log = io.StringIO()
    builder = SiteBuilder(root, lambda: AS_OF, pdf=False, log=log)
    assert builder().ok
    page = next((root / "site" / "owner" / "acme").glob("2026-11.html"))
    before = page.read_bytes()
    log_file = root / "logbook" / "2026" / "11.md"
    log_file.write_text(log_file.read_text().replace("- 1h printer", "- 1x printer"), encoding="utf-8")
    result = builder()
    assert not result.ok
    assert "logbook/2026/11.md:4: error: cannot read the time '1x'" in log.getvalue()
    assert "the site was left as it was; still watching" in log.getvalue()
    assert page.read_bytes() == before
    status = json.loads((root / CACHE_DIR / WATCH_STATUS).read_text())
    assert status["builds"] == 2 and status["ok"] is False
    log_file.write_text(log_file.read_text().replace("- 1x printer", "- 2h printer"), encoding="utf-8")
    assert builder().ok
    assert page.read_bytes() != before and b"printer" in page.read_bytes()


@pytest.mark.parametrize("name, text, line", [
    ("statement.html", "{% extends 'base.html' %}\n{% block content %}\n{% if %}\n{% endblock %}\n", 3),
    ("owner.html", "{% extends 'base.html' %}\n{% block content %}\n{{ nothing.here }}\n{% endblock %}\n", 3)])
def test_a_watch_cycle_reports_a_broken_books_template_at_its_line(books, monkeypatch, name, text, line):
    """The loop as `hourbook watch` runs it: a template broken mid-watch is a located diagnostic,
    never a traceback; the site stays; fixed, the next cycle builds."""
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    root = books(BOOKS)
    log = io.StringIO()
    site_builder = SiteBuilder(root, lambda: AS_OF, pdf=False, log=log)
    loop, thread, loop_log = start_loop(site_builder, FakeWatcher(), root)
    status = root / CACHE_DIR / WATCH_STATUS

    def builds_done(count: int) -> dict:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                done = json.loads(status.read_text(encoding="utf-8"))
                if done["builds"] >= count:
                    return done
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise AssertionError(log.getvalue())

    try:
        assert builds_done(1)["ok"]
        before = {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
        (root / "templates").mkdir()
        (root / "templates" / name).write_text(text, encoding="utf-8")
        loop.notify()
        broken = builds_done(2)
        assert broken["ok"] is False and broken["error"] == ""
        assert [d.split(": error: ")[0] for d in broken["diagnostics"]] == [f"templates/{name}:{line}"]
        assert f"templates/{name}:{line}: error: template" in log.getvalue()
        assert "the site was left as it was; still watching" in log.getvalue()
        assert "Traceback" not in log.getvalue() + loop_log.getvalue()
        assert {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()} == before
        (root / "templates" / name).unlink()
        loop.notify()
        assert builds_done(3)["ok"]
    finally:
        loop.stop()
        thread.join(WAIT)


def test_watchdog_sees_an_editor_that_saves_by_rename(tmp_path):
    root = tmp_path / "books"
    (root / "logbook").mkdir(parents=True)
    target = root / "logbook" / "log.md"
    target.write_text("# 2026-11-03\n", encoding="utf-8")
    (root / "site").mkdir()
    seen = threading.Event()
    saves = []
    told: list = []                   # the paths each event says changed (`changed_paths`)

    def on_change(saved, paths):
        saves.append(saved)
        told.append(paths)
        seen.set()

    watcher = WatchdogWatcher()
    watcher.start(root, on_change)
    try:
        (root / "site" / "index.html").write_text("not an input", encoding="utf-8")
        assert not seen.wait(0.5)
        # vim-style: write a new file beside it, then rename it over the old one.
        temp = root / "logbook" / ".log.md.swp"
        temp.write_text("# 2026-11-04\n", encoding="utf-8")
        os.replace(temp, target)
        assert seen.wait(WAIT)
        deadline = time.monotonic() + WAIT
        while not any(paths and str(target) in paths for paths in told) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert any(paths and str(target) in paths for paths in told)   # the rename names the file
        seen.clear()
        # ... and the next save, to the new inode, is seen too; its close ends the save.
        saves.clear()
        target.write_text("# 2026-11-05\n", encoding="utf-8")
        assert seen.wait(WAIT)
        deadline = time.monotonic() + WAIT
        while True not in saves and time.monotonic() < deadline:
            time.sleep(0.01)
        # The close that ends the save is told as one; an event that may follow it (an open or a
        # close without writing, from whoever reads the file next) only makes the wait longer.
        assert True in saves
        seen.clear()
        # A templates/ folder made after the start is watched too.
        told.clear()
        (root / "templates").mkdir()
        assert seen.wait(WAIT)
        deadline = time.monotonic() + WAIT  # an event of the save before may come first
        while None not in told and time.monotonic() < deadline:
            time.sleep(0.01)
        assert None in told                # a folder made: which files came with it is not told
        seen.clear()
        (root / "templates" / "base.html").write_text("<p>local</p>", encoding="utf-8")
        assert seen.wait(WAIT)
        time.sleep(0.5)   # the write's last events (close) come a moment later
        seen.clear()
        # The site is not watched at all: builds replace its folders wholesale.
        (root / "site" / "owner").mkdir()
        (root / "site" / "owner" / "index.html").write_text("page", encoding="utf-8")
        assert not seen.wait(0.5)
    finally:
        watcher.stop()


def test_watch_and_serve_commands_exist():
    from hourbook.commands.cli import make_parser

    parser = make_parser()
    args = parser.parse_args(["watch", "books", "--no-pdf"])
    assert args.books == "books" and args.no_pdf
    args = parser.parse_args(["serve"])
    assert args.host == "127.0.0.1" and args.port == 8000 and Path(args.books) == Path(".")


def test_the_loop_tells_each_build_what_changed_and_builds_again_after_a_missed_change(tmp_path):
    """Each build is told the paths the watcher reported since the last began (None: not known,
    at the start and after a folder's change); a build that says it missed a change (its walk
    of the books found one the file system did not tell) is followed by one told nothing."""

    class ToldBuild(CountingBuild):
        def __init__(self):
            super().__init__()
            self.told: list = []
            self.missed_a_change = False

        def changes(self, paths, waiting):
            self.told.append(None if paths is None else sorted(paths))
            self.missed_a_change = paths == {"logbook/b.md"}       # this one "misses" a change

    build, watcher = ToldBuild(), FakeWatcher()
    loop, thread, _ = start_loop(build, watcher, tmp_path)
    assert build.wait_for(1)
    watcher.on_change(True, ("logbook/a.md",))
    assert build.wait_for(2)
    with loop.condition:
        watcher.on_change(False, ("logbook/a.md",))
        watcher.on_change(True, ())                 # a folder's own change: nothing more to look at
    assert build.wait_for(3)
    watcher.on_change(True, ("logbook/b.md",))
    assert build.wait_for(5), build.told             # ... and the build its miss asks for
    loop.stop()
    thread.join(WAIT)
    assert build.told == [None, ["logbook/a.md"], ["logbook/a.md"], ["logbook/b.md"], None]


def test_watch_reads_the_books_ahead_when_its_first_build_finds_the_site_up_to_date(tmp_path, monkeypatch):
    """`Builder.warm`: a watch started on a site already built reads and prices the books after
    its first build, so that the first edit parses its file only, and writes a clean build's site."""
    from test_incremental import AS_OF, clean_build, tree
    from conftest import copy_example_books

    root = copy_example_books(tmp_path / "books")
    for _ in range(2):          # the first makes the link secret, an input: the second finds it
        assert Builder(root, lambda: AS_OF, pdf=False).build().ok
    site_builder = SiteBuilder(root, lambda: AS_OF, pdf=False, log=io.StringIO())
    first = site_builder()
    assert first.ok and first.up_to_date
    parsed = site_builder.builder.logbooks.parsed
    assert site_builder.builder.logbooks.files             # read ahead: every logbook in memory
    # ... and every client's files on disk known, and their hashes: the edit looks at its client's only.
    assert len(site_builder.builder.pages.clients) == 6
    looked_at, hashed = [], []
    files_on_disk, of_files = PublishedSite.files_on_disk, FileHashes.of_files
    monkeypatch.setattr(PublishedSite, "files_on_disk",
                        lambda self, cid, key: looked_at.append(cid) or files_on_disk(self, cid, key))
    monkeypatch.setattr(FileHashes, "of_files",
                        lambda self, files, manifest: hashed.append(of_files(self, files, manifest)[1]) or of_files(self, files, manifest))
    logbook = root / "logbook" / "2026" / "11.md"
    with open(logbook, "a", encoding="utf-8") as handle:
        handle.write("\n# 2026-11-28\n\n## acme\n- 10m read ahead <b>entry</b> #support\n")
    site_builder.changes({str(logbook)})
    assert site_builder().ok
    assert site_builder.builder.logbooks.parsed == parsed + 1 and site_builder.builder.relisted
    assert looked_at == ["acme"]
    first_write = hashed[0]
    assert first_write and [rel for rel in first_write if not rel.startswith(("public/acme-", "owner/acme/"))
                            and rel.count("/") > 1] == []
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_watch_says_it_is_ready_once_it_has_read_the_books_ahead(tmp_path, monkeypatch):
    """watch.json's first status comes after `Builder.warm`: a tool (or the benchmark) that edits
    once the watcher says it is ready does not find its edit waiting for the reading ahead."""
    from test_incremental import AS_OF
    from conftest import copy_example_books

    root = copy_example_books(tmp_path / "books")
    for _ in range(2):
        assert Builder(root, lambda: AS_OF, pdf=False).build().ok
    status = root / ".hourbook-cache" / "watch.json"
    status.unlink(missing_ok=True)
    seen = []
    warm = Builder.warm
    monkeypatch.setattr(Builder, "warm", lambda self: seen.append(status.exists()) or warm(self))
    site_builder = SiteBuilder(root, lambda: AS_OF, pdf=False, log=io.StringIO())
    assert site_builder().up_to_date
    assert seen == [False]
    assert json.loads(status.read_text(encoding="utf-8"))["builds"] == 1


def test_a_failure_reading_ahead_is_said_and_watch_goes_on(tmp_path, monkeypatch):
    from test_incremental import AS_OF
    from conftest import copy_example_books

    root = copy_example_books(tmp_path / "books")
    for _ in range(2):
        assert Builder(root, lambda: AS_OF, pdf=False).build().ok
    log = io.StringIO()
    site_builder = SiteBuilder(root, lambda: AS_OF, pdf=False, log=log)
    monkeypatch.setattr(Builder, "warm", lambda self: 1 / 0)
    assert site_builder().ok and "reading the books ahead" in log.getvalue()
