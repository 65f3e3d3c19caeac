"""Which files make the books: hourbook.yaml, contracts/*.yaml, logbook/**, templates/**, payments/**.

The one place that lists them, for the loader and for the build's digests. It opens no
file. It follows a symbolic link only when the link stays inside the books folder: one
that leads out (to `/etc/passwd`, say), to the link secret or into `.git`, or nowhere, or
round in a loop, is an error at its own path and is never followed, read or walked into.
A folder that cannot be listed is an error too, since its files would be silently
missing, and so is anything where a file or folder should be that is neither.

What the files say is the loader's business; which names it wants is said here.
"""

from __future__ import annotations

import errno
import functools
import heapq
import operator
import os
import stat
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Callable
from typing import Iterable
from typing import Sequence

from hourbook.core.memory import no_cyclic_gc
from hourbook.core.records import Diagnostic
from hourbook.load.file_kind import CONTRACT_SUFFIXES
from hourbook.load.file_kind import LOGBOOK_SUFFIXES
from hourbook.load.file_kind import file_kind
from hourbook.load.file_kind import has_suffix
from hourbook.load.file_kind import not_a_plain_file
from hourbook.load.path_names import child_path
from hourbook.load.path_names import relative
from hourbook.load.path_names import relative_posix
from hourbook.load.path_names import relative_text
from hourbook.load.path_names import shown
from hourbook.load.problems import Problems

SETTINGS_FILE = "hourbook.yaml"
BOOKS_PARTS = (SETTINGS_FILE, "contracts", "logbook", "templates", "payments")   # what hourbook reads as the books
SECRET_FILE = ".hourbook-secret"            # the link secret (hourbook.site.secret): no link may lead to it


class ListingStopped(Exception):
    """`list_books` was told to stop."""


@dataclass(frozen=True)
class BooksFiles:
    """The files a books folder is made of, by kind, and what is wrong with its links and folders."""

    settings: Path | None                   # hourbook.yaml, when it is a file that can be read
    contracts: tuple[Path, ...]
    logbooks: tuple[Path, ...]
    templates: tuple[Path, ...]
    problems: tuple[Diagnostic, ...]
    payments: tuple[Path, ...] = ()         # payments/**/*.yaml (docs/payments.md)
    root: Path = Path(".")                  # the books folder the paths are under
    # What `lstat` said of each file listed by its own name (not through a link), by `str(path)`,
    # when it was listed, as its `stat_mark`: one `stat` a file a run (books of 70 000 small
    # logbooks), not three; five numbers, not the 620 bytes of an `os.stat_result`.
    marks: dict = field(default_factory=dict, compare=False, repr=False)
    # Each listed file's `relative_posix` name, by `str(path)`: worked out once, for the order.
    names: dict = field(default_factory=dict, compare=False, repr=False)
    links: int = 0                          # symbolic links met on the way (`relist` leaves such books alone)

    @functools.cached_property
    def logbook_sizes(self) -> tuple[int | None, ...]:
        """Each logbook's size in bytes as `stat` gives it (None: it cannot be `stat`ed; reading it says why).

        Asked once: thousands of small logbooks are weighed before any is read, to refuse books too
        big to read and to share them among processes.
        """
        sizes = []
        for path in self.logbooks:
            listed = self.marks.get(str(path))
            if listed is not None:
                sizes.append(listed[0])
                continue
            try:
                sizes.append(os.stat(path).st_size)
            except OSError:
                sizes.append(None)
        return tuple(sizes)

    @functools.cached_property
    def logbook_names(self) -> tuple[str, ...]:
        """Each logbook's path as diagnostics show it (`relative`)."""
        return tuple(shown(self.posix_name(path)) for path in self.logbooks)

    def logbook_names_from(self, root: Path) -> Sequence[str]:
        """`logbook_names` of the books read from `root`: the listing's own, worked out once, when
        it listed that folder (as every command does)."""
        return self.logbook_names if self.root == root else [relative(root, path) for path in self.logbooks]

    @functools.cached_property
    def printable_logbooks(self) -> tuple[tuple[Path, str], ...] | None:
        """(path, shown name) of each logbook when every name is printable, else None (the loader
        then says which is not). Worked out once a listing, and kept by `relisting.relist` when no
        logbook came or went: 25 ms of every watch edit on 88 000 small logbooks."""
        names = self.logbook_names
        return tuple(zip(self.logbooks, names)) if all(map(str.isprintable, names)) else None

    def posix_name(self, path: Path) -> str:
        """`relative_posix(self.root, path)`, as the listing worked it out."""
        name = self.names.get(str(path))
        return name if name is not None else relative_posix(self.root, path)

    def paths(self) -> list[Path]:
        """Every file, hourbook.yaml first."""
        return ([self.settings] if self.settings else []) + [*self.contracts, *self.logbooks, *self.templates,
                                                              *self.payments]


@dataclass(frozen=True)
class _Folder:
    """How one folder of the books is listed."""

    name: str
    wanted: Callable[[str], bool]           # a file name that is read
    skipped: Callable[[str], bool]          # a name that is not part of the books (hidden, backups)
    recursive: bool
    once: bool                              # a file reached twice (by a link) is an error: it would count twice


def _is_logbook(name: str) -> bool:
    return has_suffix(name, LOGBOOK_SUFFIXES)


def _is_contract(name: str) -> bool:
    return has_suffix(name, CONTRACT_SUFFIXES)


def _hidden_or_backup(name: str) -> bool:
    return name.startswith((".", "#")) or name.endswith("~")


FOLDERS = {
    "contracts": _Folder("contracts", _is_contract, lambda name: name.startswith("."), recursive=False, once=False),
    "logbook": _Folder("logbook", _is_logbook, _hidden_or_backup, recursive=True, once=True),
    "templates": _Folder("templates", lambda name: True, lambda name: False, recursive=True, once=False),
    # Payments count money: a file reached twice by a link would count its payments twice.
    "payments": _Folder("payments", _is_contract, _hidden_or_backup, recursive=True, once=True),
}


def list_books(root: Path, stop: Callable[[], bool] | None = None) -> BooksFiles:
    """Every file of the books folder `root` that hourbook reads, and the problems met on the way.

    Args:
        root: the books folder.
        stop: asked before each folder is read: when it says True, `ListingStopped` is raised
            (watch checks the books between two builds, and stops for the next one).

    Returns:
        The files by kind, each list in path order; paths are under `root` as named (a link
        that stays inside is listed by its own name).
    """
    with no_cyclic_gc():            # a path and a mark for each file, no cycles
        return _list_books(root, stop)


def _list_books(root: Path, stop: Callable[[], bool] | None) -> BooksFiles:
    walk = _Walk(root, stop)
    settings = walk.top_file(SETTINGS_FILE)
    contracts = walk.folder(FOLDERS["contracts"])
    logbooks = walk.folder(FOLDERS["logbook"])
    templates = walk.folder(FOLDERS["templates"])
    payments = walk.folder(FOLDERS["payments"])
    listed = BooksFiles(settings, tuple(contracts), tuple(logbooks), tuple(templates), tuple(walk.diags),
                        tuple(payments), root, walk.marks, walk.names, walk.links)
    if "logbook" in walk.keys:              # the cached properties, known already (a look-up less a file)
        marks = walk.marks
        listed.__dict__["logbook_names"] = walk.shown_names["logbook"]
        if all(key in marks for key in walk.keys["logbook"]):
            listed.__dict__["logbook_sizes"] = tuple(marks[key][0] for key in walk.keys["logbook"])
    return listed


def list_folder(root: Path, name: str) -> tuple[list[Path], list[Diagnostic]]:
    """One folder of the books (`contracts`, `logbook`, `templates` or `payments`): (its files, the problems)."""
    walk = _Walk(root)
    return walk.folder(FOLDERS[name]), list(walk.diags)


def top_file(root: Path, name: str) -> Path | None:
    """A file at the top of the books (issued.yaml, the secret) when it can be read as one: a
    regular file, or a link to one inside the books; None otherwise (its owner says why)."""
    return _Walk(root).top_file(name)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def books_place(real: str, real_root: str) -> str:
    """Where a real path (links followed) is, for the books: '' inside them, `outside` the books
    folder, or `private` (the link secret, or in .git: never part of the books, never on a page)."""
    if not _within(real, real_root):
        return "outside"
    if real == os.path.join(real_root, SECRET_FILE) or _within(real, os.path.join(real_root, ".git")):
        return "private"
    return ""


class _Walk:
    """One listing of a books folder; what is wrong is collected in `diags`."""

    def __init__(self, root: Path, stop: Callable[[], bool] | None = None):
        self.root = root
        self.stop = stop                                # `list_books`' stop
        self.real_root = os.path.realpath(root)
        self.diags = Problems()
        self.marks: dict[str, tuple] = {}               # `BooksFiles.marks`
        self.names: dict[str, str] = {}                 # `BooksFiles.names`
        self.links = 0                                  # `BooksFiles.links`
        self.shown_names: dict[str, tuple[str, ...]] = {}   # folder -> its files' `shown` names, as listed
        self.keys: dict[str, list[str]] = {}            # folder -> `str` of its files, as listed

    def rel(self, path: Path) -> str:
        """A path as diagnostics show it."""
        return relative(self.root, path)

    def shown(self, real: str) -> str:
        """A link's target as the owner knows it: relative inside the books, else absolute."""
        if real == self.real_root:
            text = "the books folder itself"
        elif _within(real, self.real_root):
            text = Path(real).relative_to(self.real_root).as_posix()
        else:
            text = real
        # A target is any bytes: say it as a terminal can show it.
        return text if text.isprintable() else repr(text)[1:-1]

    def link_target(self, path: Path) -> str | None:
        """The real path a link leads to, when it stays in the books; None (reported) when not."""
        target = os.path.realpath(path)
        real_root = self.real_root
        diags = self.diags
        place = books_place(target, real_root)
        if place == "outside":
            diags.error(self.rel(path), 1, f"links outside the books folder (to {self.shown(target)}); hourbook "
                        "never follows such a link: copy the file into the books, or remove the link")
            return None
        if place == "private":
            diags.error(self.rel(path), 1, f"links to {self.shown(target)}, which is not part of the books; "
                        "remove the link")
            return None
        return target

    def followed(self, path: Path) -> tuple[str, os.stat_result] | None:
        """(real path, stat) of what a link inside the books leads to; None, reported, otherwise."""
        target = self.link_target(path)
        if target is None:
            return None
        diags = self.diags
        try:
            return target, os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                diags.error(self.rel(path), 1, "is a link that never reaches a file (the links go round in a loop); "
                            "remove it")
            else:
                missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
                diags.error(self.rel(path), 1, f"links to {self.shown(target)}, which "
                            + ("does not exist" if missing else f"cannot be reached ({exc.strerror or exc})")
                            + "; restore it, or remove the link")
            return None

    def top_file(self, name: str) -> Path | None:
        """A file at the top of the books (hourbook.yaml): its path when it is a file to read."""
        path = self.root / name
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None                     # missing: the loader says what it needs
        if stat.S_ISLNK(mode):
            found = self.followed(path)
            if found is None:
                return None
            mode = found[1].st_mode
        if not stat.S_ISREG(mode):
            diags = self.diags
            diags.error(name, 1, f"{name} is not a regular file (it is {file_kind(mode)}): make {name} a plain text file")
            return None
        return path

    def folder(self, spec: _Folder) -> list[Path]:
        """The wanted files of one folder of the books, in path order."""
        base = self.root / spec.name
        try:
            mode = os.lstat(base).st_mode
        except OSError:
            return []                       # no such folder: the books have none of these
        real_base = os.path.join(self.real_root, spec.name)
        if stat.S_ISLNK(mode):
            found = self.followed(base)
            if found is None:
                return []
            real_base, mode = found[0], found[1].st_mode
        if not stat.S_ISDIR(mode):
            diags = self.diags
            diags.error(spec.name, 1, f"{spec.name} is {file_kind(mode)}, not a folder: hourbook reads the files in "
                        f"a folder {spec.name}/")
            return []
        listing = _Listing(self, spec, real_base)
        listing.scan(base, real_base)
        listing.follow_links()
        names, root, top = self.names, self.root, str(self.root)
        shown_names = []
        append = shown_names.append
        # `relative_text`'s first case, the root's text cut off, at one test a file (88 000 small logbooks).
        head = top + "/" if os.sep == "/" and top != "/" else None
        cut = len(top) + 1
        for path, key in zip(listing.files, listing.keys):
            if head is not None and key.startswith(head):
                name = names[key] = key[cut:]
            else:
                name = names[key] = relative_text(top, key) or relative_posix(root, path)
            append(name if name.isascii() else shown(name))
        files, keys = listing.files, listing.keys
        order = sorted(zip(shown_names, range(len(files))))
        self.shown_names[spec.name] = tuple(name for name, _ in order)
        self.keys[spec.name] = [keys[i] for _, i in order]
        return [files[i] for _, i in order]


_entry_name = operator.attrgetter("name")     # a DirEntry's


STOP_EVERY = 128        # names of a folder looked at between two asks of `stop` (a folder may hold thousands)


def _stopping(found: list, stop: Callable[[], bool]) -> Iterable:
    """The names of a folder, asking `stop` every `STOP_EVERY` (`ListingStopped` when it says so):
    a folder of thousands of logbooks is a long look, which watch's next build would wait for."""
    for start in range(0, len(found), STOP_EVERY):
        if start and stop():
            raise ListingStopped
        yield from found[start:start + STOP_EVERY]


class _Listing:
    """The files of one folder: real folders first, then the links, in path order.

    Real files and folders come first so that a link to one of them, not the file itself,
    is what is reported as read twice.
    """

    def __init__(self, walk: _Walk, spec: _Folder, real_base: str):
        self.walk = walk
        self.spec = spec
        self.real_base = real_base
        self.files: list[Path] = []
        self.keys: list[str] = []               # `str` of each of `files`
        self.real_files: dict[str, Path] = {}   # real path -> the path it was listed by
        self.seen_folders = {real_base}
        self.links: list[tuple[str, Path]] = []  # a heap by shown path

    def scan(self, folder: Path, real_folder: str) -> None:
        """Every file and folder under `folder` that is not a link; the links are kept for later.

        Paths are made from the text `os.scandir` gives (`child_path`, the marks under the
        entry's own `path`, which is `str` of the file's path): once for each of tens of
        thousands of small logbooks.
        """
        stack = [(folder, real_folder)]
        walk, spec = self.walk, self.spec
        stop, marks, skipped, wanted = walk.stop, walk.marks, spec.skipped, spec.wanted
        real_files, files, keys = self.real_files, self.files, self.keys
        while stack:
            if stop is not None and stop():
                raise ListingStopped
            current, real_current = stack.pop()
            real_prefix = real_current if real_current.endswith(os.sep) else real_current + os.sep
            try:
                with os.scandir(current) as entries:
                    found = sorted(entries, key=_entry_name)
                for entry in found if stop is None else _stopping(found, stop):
                    name = entry.name
                    if skipped(name):
                        continue
                    if entry.is_symlink():
                        path = child_path(current, name)
                        heapq.heappush(self.links, (walk.rel(path), path))
                        walk.links += 1
                    elif entry.is_dir(follow_symlinks=False):
                        real = real_prefix + name
                        if spec.recursive and real not in self.seen_folders:   # (seen: through a link already)
                            self.seen_folders.add(real)
                            stack.append((child_path(current, name), real))
                    elif wanted(name):
                        key = entry.path
                        path = child_path(current, name, key)
                        real = real_prefix + name
                        if not entry.is_file(follow_symlinks=False):
                            self.not_a_file(path, entry.stat(follow_symlinks=False).st_mode)
                            continue
                        if real in real_files:          # reached before by a link: `add` says so
                            if not self.add(path, real, key):
                                continue
                        else:                           # `add`, for the file met first (nearly all)
                            real_files[real] = path
                            files.append(path)
                            keys.append(key)
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except OSError:                 # gone since: reading it says so
                            continue
                        marks[key] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino,
                                      info.st_dev)     # `stat_mark`
            except OSError as exc:      # unreadable, or gone (or a name in it) between listing and looking
                diags = walk.diags
                diags.error(walk.rel(current), 1, f"cannot read the folder: {exc.strerror or exc}; "
                            "the files in it are not read")

    def add(self, path: Path, real: str, key: str | None = None) -> bool:
        """List a file, unless (in logbook/) it was listed already by another path; whether it was.

        Args:
            key: `str(path)`, when the caller has it.
        """
        first = self.real_files.get(real)
        if first is not None and self.spec.once:
            diags = self.walk.diags
            diags.error(self.walk.rel(path), 1, f"is the same file as {self.walk.rel(first)} (a link to it): its "
                        "entries would count twice; remove the link")
            return False
        self.real_files.setdefault(real, path)
        self.files.append(path)
        self.keys.append(key if key is not None else str(path))
        return True

    def not_a_file(self, path: Path, mode: int) -> None:
        """A FIFO, socket or device with a wanted name: reported, never opened (a FIFO would block)."""
        diags = self.walk.diags
        diags.error(self.walk.rel(path), 1, not_a_plain_file(mode))

    def follow_links(self) -> None:
        """Each link in path order: followed when it stays in the books, else reported."""
        while self.links:
            _, path = heapq.heappop(self.links)
            found = self.walk.followed(path)
            if found is None:
                continue
            target, status = found
            if stat.S_ISDIR(status.st_mode):
                if self.spec.recursive:
                    self.follow_folder(path, target)
            elif not self.spec.wanted(path.name):
                continue
            elif stat.S_ISREG(status.st_mode):
                self.add(path, target)
            else:
                self.not_a_file(path, status.st_mode)

    def follow_folder(self, path: Path, target: str) -> None:
        """A link to a folder: walked when it is new, reported when it would be read twice."""
        if target in self.seen_folders or _within(self.real_base, target):
            if self.spec.once:
                diags = self.walk.diags
                diags.error(self.walk.rel(path), 1, f"links to {self.walk.shown(target)}, a folder that is read "
                            "already: its entries would count twice; remove the link")
            return
        self.seen_folders.add(target)
        self.scan(path, target)
