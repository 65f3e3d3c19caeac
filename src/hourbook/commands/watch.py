"""Watch mode: rebuild the site whenever the books change, and keep going when a build fails.

The file watcher's callback only sets a flag under a `threading.Condition`; one loop
waits for it, waits again until the books have been quiet for a moment (editors
write a file in several steps, some by writing a temporary file and renaming it
over the old one), then builds. The moment is shorter when the last change ended a
save (a file closed after writing, or renamed into place): what follows a save comes
within a millisecond or two. A build with errors prints its diagnostics and
leaves the site as it was; the loop goes on watching. The watcher sits behind
`WatcherBase`, so tests drive the loop with a fake one.

Builds are incremental (`hourbook.build.builder.Builder`): an edit re-parses one
file, re-prices the clients whose entries it touched and rewrites only the pages
that changed. After every build the loop writes `.hourbook-cache/watch.json`
(build count, time, outcome), which the benchmark and tools can poll.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import json
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable
from typing import Iterable
from typing import Iterator

from hourbook.build.builder import Builder
from hourbook.build.build_result import BuildResult
from hourbook.build.cache_folder import cache_dir_of
from hourbook.build.cache_folder import WATCH_STATUS
from hourbook.core import memory
from hourbook.core.register import REGISTER
from hourbook.load.listing import BOOKS_PARTS
from hourbook.load.listing import SECRET_FILE
from hourbook.load.listing import SETTINGS_FILE
from hourbook.output.progress import make_progress
from hourbook.output.text import counted
from hourbook.output.text import format_diagnostic
from hourbook.output.text import shown_diagnostics
from hourbook.output.text import summary_line
from hourbook.render.pages import STATEMENT_PAGES

DEBOUNCE_SECONDS = 0.05      # editors save in a few writes or a rename, all within milliseconds
SAVED_SECONDS = 0.01         # the quiet waited for after a change that ended a save (`saved_by`)
KEPT_STATEMENT_PAGES = 2000     # statement pages a watching process keeps with their inputs (`StatementPages`)
IDLE_SECONDS = 5.0           # quiet after a build before the cycles it let go are freed (`SiteBuilder.idle`)
UNSETTLED_BUILDS = 8         # builds after which they are freed at once, however busy the books are
# What a build reads, relative to the books root: a change anywhere else never rebuilds.
WATCHED = (*BOOKS_PARTS, REGISTER, SECRET_FILE)


def paths_to_watch(root: Path) -> list[Path]:
    """The books' inputs: hourbook.yaml, contracts/, logbook/, templates/ (watched from the root,
    so that a folder created later is seen too)."""
    return [root / name for name in WATCHED]


def is_input(root: Path, path: str) -> bool:
    """Whether a changed path is one of the books' inputs (not the site, the cache or .git)."""
    try:
        rel = Path(path).resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return False
    return bool(rel.parts) and rel.parts[0] in WATCHED


def saved_by(event_type: str, is_directory: bool) -> bool | None:
    """Whether a file system event ends a save: True for a file closed after writing or renamed
    (into place); None for a folder's own change, which only comes with its files' events and
    says nothing of a write under way; False for anything else (a write may go on)."""
    if is_directory and event_type == "modified":
        return None
    return not is_directory and event_type in ("closed", "moved")


def changed_paths(event_type: str, is_directory: bool, paths: list[str]) -> tuple[str, ...] | None:
    """The files an event says changed, for a build to look at (`Builder.build`'s `changed`): a file's
    own path (and where it was moved to); none for a folder's own change (the change of a file in
    it, which comes with the file's own event); None (any file may have changed) for a folder made,
    removed or moved, whose files come with no event of their own."""
    if is_directory:
        return () if event_type in ("modified", "closed", "closed_no_write", "opened") else None
    return tuple(path for path in paths if path)


def report_bug(log, doing: str) -> None:
    """An exception of watch's own code (a bug, not bad books) while `doing`: said on `log` with its
    traceback; the watch goes on."""
    print(f"hourbook: an error happened {doing}; still watching:", file=log)
    traceback.print_exc(file=log)


class WatcherBase(abc.ABC):
    """Calls `on_change(saved, paths)` from any thread when something under the books root may have
    changed; `saved` as `saved_by` says of the change, `paths` the files it changed (`changed_paths`),
    or None when it cannot tell which (then every file is looked at again)."""

    @abc.abstractmethod
    def start(self, root: Path, on_change: Callable[[], None]) -> None:
        """Begin watching `root` (recursively)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop watching; no call to `on_change` after this returns."""


class WatchdogWatcher(WatcherBase):
    """inotify (or the platform's equivalent) through watchdog, on the books' inputs only.

    The root is watched on its own (hourbook.yaml, issued.yaml, and folders created later),
    contracts/, logbook/ and templates/ with everything under them; never site/, whose
    folders every build replaces. Watching folders rather than files is what survives
    editors that save by renaming a new file over the old one.
    """

    FOLDERS = tuple(part for part in BOOKS_PARTS if part != SETTINGS_FILE)

    def __init__(self):
        self._observer = None
        self._scheduled: set[str] = set()
        self._lock = threading.Lock()

    def start(self, root: Path, on_change: Callable[[], None]) -> None:
        """Watch the root on its own and each of FOLDERS that exists with all under it; one made
        later is added when it appears. `on_change` is called only for a path of the inputs."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                """Ignore opens and reads; watch a new top folder of FOLDERS; call back for an input."""
                if event.event_type in ("opened", "closed_no_write"):
                    return
                paths = [event.src_path, getattr(event, "dest_path", "") or ""]
                if event.is_directory:
                    for path in paths:  # contracts/, logbook/ or templates/ made after the start
                        if path and Path(path).parent == root and Path(path).name in watcher.FOLDERS:
                            watcher._watch_folder(root, Path(path).name, self)
                if any(p and is_input(root, p) for p in paths):
                    on_change(saved_by(event.event_type, event.is_directory),
                              changed_paths(event.event_type, event.is_directory, paths))

        handler = Handler()
        self._observer = Observer()
        self._observer.schedule(handler, str(root), recursive=False)
        for name in self.FOLDERS:
            self._watch_folder(root, name, handler)
        self._observer.daemon = True
        self._observer.start()

    def _watch_folder(self, root: Path, name: str, handler) -> None:
        with self._lock:
            if name in self._scheduled or not (root / name).is_dir() or self._observer is None:
                return
            self._scheduled.add(name)
            self._observer.schedule(handler, str(root / name), recursive=True)

    def stop(self) -> None:
        """Stop the observer and wait (at most 5 s) for its thread; a second call does nothing."""
        with self._lock:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)


class WatchLoop:
    """Flag under a Condition, debounce, build, repeat (`mkdocs/livereload:_build_loop`).

    Args:
        build: builds once; returns anything. An exception is printed and the loop goes on.
        watcher: where change notices come from.
        root: the books folder.
        debounce: seconds of quiet to wait for after a change before building.
        saved: seconds of quiet to wait for when the last change ended a save (`saved_by`).
        idle: seconds with no change after which `build.idle()`, when it has one, is called.
    """

    def __init__(self, build: Callable[[], object], watcher: WatcherBase, root: Path,
                 debounce: float = DEBOUNCE_SECONDS, log=None, saved: float = SAVED_SECONDS,
                 idle: float = IDLE_SECONDS):
        self.build = build
        self.idle = idle
        self.watcher = watcher
        self.root = root
        self.debounce = debounce
        self.saved_quiet = min(saved, debounce)
        self.log = log or sys.stderr
        self.condition = threading.Condition()
        self.changed = False
        self.paths: set[str] | None = None  # what changed since the last build began (None: not known)
        self.saved = False                  # whether the last change that said so ended a save
        self.stopped = False
        self.builds = 0

    def notify(self, saved: bool | None = False, paths: Iterable[str] | None = None) -> None:
        """The watcher's callback: only sets the flags (`saved`: as `saved_by` says; None leaves it)
        and notes the changed `paths` (None: not known, so the next build looks at every file)."""
        with self.condition:
            self.changed = True
            if saved is not None:
                self.saved = saved
            if paths is None:
                self.paths = None
            elif self.paths is not None:
                self.paths.update(paths)
            self.condition.notify_all()

    def quiet_time(self) -> float:
        """Seconds of quiet to wait for now: short when the last change ended a save."""
        return self.saved_quiet if self.saved else self.debounce

    def stop(self) -> None:
        """Make `wait_for_change` return False, so `run` ends once the build under way is done."""
        with self.condition:
            self.stopped = True
            self.condition.notify_all()

    def wait_for_change(self) -> bool:
        """Block until a change has been followed by `debounce` seconds of quiet; False when stopped.

        After `idle` seconds with no change the build's `idle()` is called once (watch frees the
        last builds' cycles then, `SiteBuilder.idle`), outside the lock: a change meanwhile is
        noted, and built after it.
        """
        with self.condition:
            idled = getattr(self.build, "idle", None) is None
            while not self.changed and not self.stopped:
                if idled:
                    self.condition.wait()
                elif not self.condition.wait(timeout=self.idle):
                    idled = True
                    self.condition.release()
                    try:
                        self.build.idle()
                    except Exception:  # a bug, not bad books: say so, keep watching
                        report_bug(self.log, "while idle")
                    finally:
                        self.condition.acquire()
            while not self.stopped:
                self.changed = False
                self.condition.wait(timeout=self.quiet_time())
                if not self.changed:
                    break
            self.saved = False
            return not self.stopped

    def run_build(self) -> None:
        """Build once and count it; an exception is printed to the log and the loop goes on.

        A build that can be told what changed (`SiteBuilder.changes`) is told the paths heard of
        since the last one began, and how to know that a change is waiting; when it says it missed
        a change (one the file system did not tell), that is a change.
        """
        with self.condition:
            paths, self.paths = self.paths, set()
        told = getattr(self.build, "changes", None)
        if told is not None:
            told(paths, lambda: self.changed)
        try:
            self.build()
            if getattr(self.build, "missed_a_change", False):
                self.notify(None, None)
        except Exception:  # a bug, not bad books: say so, keep watching
            report_bug(self.log, "during the rebuild")
        self.builds += 1

    def run(self) -> None:
        """Build once, then after every change until `stop()` (or Ctrl-C)."""
        self.watcher.start(self.root, self.notify)
        try:
            self.run_build()
            while self.wait_for_change():
                self.run_build()
        finally:
            self.watcher.stop()
            flush = getattr(self.build, "flush", None)
            if flush is not None:
                flush()                     # the last build's state, saved in a thread, is on disk


class SiteBuilder:
    """A `Builder` that reports each build: diagnostics on stderr, status in .hourbook-cache/watch.json.

    Args:
        on_build: called with each BuildResult (serve uses it to reload the open pages).
        quiet: no progress, and of the diagnostics only the errors: each build says one line.
    """

    def __init__(self, root: Path, as_of: Callable[[], datetime.date], *, out: Path | None = None,
                 pdf: bool = True, on_build: Callable[[BuildResult], None] | None = None,
                 on_pages: Callable[[], None] | None = None, log=None, quiet: bool = False):
        self.builder = Builder(root, as_of, out=out, pdf=pdf)
        self.builder.background_cleanup = True   # a long-running process: the old site goes in a thread
        # After an edit, the edited client's statements that did not change are not rendered again.
        STATEMENT_PAGES.keep(KEPT_STATEMENT_PAGES)
        self.root = root
        self.changed: set[str] | None = None     # what the next build is told changed (`changes`)
        self.waiting: Callable[[], bool] = lambda: False     # whether a change waits (`changes`)
        self.missed_a_change = False            # the last build missed a change the file system did not tell
        self.on_build = on_build
        self.on_pages = on_pages
        self.pages_finished = None
        self.log = log or sys.stderr
        self.quiet = quiet
        self.count = 0
        self.last: BuildResult | None = None
        self.pdf_noted = False              # the note on slow PDF font subsetting was said (`report`)
        self.unsettled = 0                  # builds whose cycles are not freed yet (`idle`)

    def changes(self, paths: set[str] | None, waiting: Callable[[], bool] | None = None) -> None:
        """What the next build is told changed (`WatchLoop.run_build`; None: not known), and
        `waiting`: whether a change waits for the build after it."""
        self.changed = paths
        self.waiting = waiting or (lambda: False)

    def __call__(self) -> BuildResult:
        self.pages_finished = None
        changed, self.changed = self.changed, None          # told for this build only
        # The first build makes every page and PDF: it shows its progress; the later ones are quick.
        progress = make_progress(self.log, quiet=self.quiet) if self.count == 0 else None
        try:
            result = self.builder.build(on_pages=self.pages_written, progress=progress, changed=changed)
        except Exception:
            result = BuildResult(False, [], error="an error happened during the build:\n" + traceback.format_exc())
        finally:
            if progress is not None:
                progress.close()
        self.count += 1
        self.last = result
        self.report(result)
        # A first build that found the site up to date read nothing: the books are read now, so
        # that the first edit costs the edit (`Builder.warm`), and before the status says the
        # watcher is ready: an edit made meanwhile waits for the reading (1.9 s at 100 000 entries).
        warmed = self.count == 1 and result.ok and result.up_to_date and not self.waiting() and self.warm()
        self.write_status(result)
        if self.on_build is not None:
            self.on_build(result)
        # While the user reads the page, unless the next change is there already: a build that took
        # the books' files from what it was told changed looks for a change the file system did
        # not tell (a walk of the books, stopped by the next change: that build is looked at in
        # its turn). The cycles the build let go are freed later (core/memory.py; a build that
        # loaded nothing left none).
        self.missed_a_change = (changed is not None and self.builder.relisted
                                and self.builder.listing_is_current(self.waiting) is False)
        # Freeing the cycles walks every object the process holds (0.45 s at 100 000 entries, 0.75 s
        # on 88 000 small logbooks) and cannot stop for an edit: it waits for a quiet moment (`idle`),
        # unless builds came one after the other so long that their cycles would pile up (even
        # with the next change waiting: some 5 MB a build).
        if warmed or not result.up_to_date:
            self.unsettled += 1
            if self.unsettled >= UNSETTLED_BUILDS:
                self.idle()
        return result

    def idle(self) -> None:
        """The books have been quiet for a while (`WatchLoop`): free the cycles the builds since the
        last time let go, and keep the rest out of later collections (`memory.settle`)."""
        if self.unsettled:
            self.unsettled = 0
            memory.settle()

    def warm(self) -> bool:
        """`Builder.warm`; a failure there (a bug) is said, and the next build reads what it needs."""
        try:
            return self.builder.warm()
        except Exception:  # noqa: BLE001 - the edit's build reads the books itself
            report_bug(self.log, "while reading the books ahead")
            return False

    def flush(self) -> None:
        """Wait for what the last build still saves in the background."""
        self.builder.flush()

    def pages_written(self) -> None:
        """The clients' pages are on disk; the owner dashboard comes next."""
        self.pages_finished = time.time()
        if self.on_pages is not None:
            self.on_pages()

    def report(self, result: BuildResult) -> None:
        """The build's diagnostics (not again when the site was up to date), then one time-stamped line
        saying what it did, on the log."""
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        if not result.up_to_date:
            for diagnostic in shown_diagnostics(result.diagnostics, quiet=self.quiet):
                print(format_diagnostic(diagnostic), file=self.log)
        counts = summary_line(result.diagnostics)
        if result.error:
            print(f"[{stamp}] hourbook: error: {result.error}; the site was left as it was", file=self.log)
        elif not result.ok:
            print(f"[{stamp}] build stopped: {counts}; the site was left as it was; still watching", file=self.log)
        elif result.up_to_date:
            print(f"[{stamp}] site is up to date ({result.files} files)", file=self.log)
        else:
            print(f"[{stamp}] built {self.builder.out}: {result.written} of {result.files} files changed, "
                  f"{counted(result.rendered_clients, 'client')} and {counted(result.rendered_pdfs, 'PDF')} rendered, "
                  f"{result.seconds:.2f} s; {counts}", file=self.log)
            if result.rendered_pdfs and not self.quiet and not self.pdf_noted:
                self.pdf_noted = True             # once a watch: the library will not appear meanwhile
                if result.pdf_note:
                    print(f"[{stamp}] hourbook: note: {result.pdf_note}", file=self.log)
        self.log.flush()

    def write_status(self, result: BuildResult) -> None:
        """Replace .hourbook-cache/watch.json (count, times, outcome, diagnostics) by rename; a write
        the system refuses is skipped."""
        finished = time.time()
        status = {"builds": self.count, "finished": finished, "pages_finished": self.pages_finished or finished,
                  "ok": result.ok, "seconds": result.seconds,
                  "up_to_date": result.up_to_date, "written": result.written, "error": result.error,
                  "diagnostics": [format_diagnostic(d) for d in result.diagnostics]}
        folder = cache_dir_of(self.root)
        if folder is None:
            return
        try:
            folder.mkdir(exist_ok=True)
            tmp = folder / f".{WATCH_STATUS}.tmp"
            tmp.write_text(json.dumps(status), encoding="utf-8")
            tmp.replace(folder / WATCH_STATUS)
        except OSError:
            pass


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """While inside, SIGTERM stops hourbook as Ctrl-C does (it raises KeyboardInterrupt).

    A shell starts a background job (`hourbook watch &`, `make test &`) with SIGINT ignored,
    and service managers, `kill` and `timeout` send SIGTERM: either way the watch ends the
    one clean way, with the last build's state saved and the preview server closed. Only
    the main thread may set a handler; anywhere else (a test running the loop in a thread)
    nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def refuse_site_folder(builder: SiteBuilder) -> bool:
    """Say so and return True when the site folder is no place for a site (`site.folder.check_site_folder`):
    a watch would only report it again on every edit."""
    problem = builder.builder.site_folder_problem()
    if problem:
        print(f"hourbook: error: {problem}; nothing was written", file=sys.stderr)
    return bool(problem)


def watch_books(root: Path, as_of: Callable[[], datetime.date], *, out: Path | None = None, pdf: bool = True,
                watcher: WatcherBase | None = None, on_build=None, on_pages=None, ready=None,
                builder: SiteBuilder | None = None, quiet: bool = False) -> int:
    """`hourbook watch`: build, then rebuild on every change until Ctrl-C or SIGTERM. Returns the exit
    code: 0, or 1 when the site folder is no place for a site (nothing is watched then).

    Args:
        ready: called with the WatchLoop before it starts (serve and tests use it to stop the loop).
        builder: the SiteBuilder to use (serve makes its own, to check the site folder before it listens).
        quiet: `--quiet`: one line a build (`SiteBuilder`), and not the line saying what is watched.
    """
    builder = builder or SiteBuilder(root, as_of, out=out, pdf=pdf, on_build=on_build, on_pages=on_pages,
                                     quiet=quiet)
    if refuse_site_folder(builder):
        return 1
    loop = WatchLoop(builder, watcher or WatchdogWatcher(), root)
    if ready is not None:
        ready(loop)
    if not quiet:
        print(f"hourbook: watching {root} (Ctrl-C to stop)", file=sys.stderr)
    with stop_on_sigterm():
        try:
            loop.run()
        except KeyboardInterrupt:
            loop.stop()
    return 0
