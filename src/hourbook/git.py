"""hourbook's one door to git: what commit the books are at and what is not committed as it is.

Every question goes through `git(root, *args)`, which runs git in the books folder and
answers None when git is missing or fails to start: outside git, or without git, the
answers are "no commit" and "nothing to report". `issue` asks for the commit a record
names and refuses books or a register that git does not hold as they are; `build` shows
the commit on the owner's pages (`provenance`), never on a client's; `check` compares the
register with its committed version.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable
from typing import NamedTuple

from hourbook.core.register import REGISTER
from hourbook.load.listing import BOOKS_PARTS

GIT_TIMEOUT = 30                                # seconds: git answers these in milliseconds, or is stuck


def git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    """Run git in the books folder (bytes out); None when git is missing, fails to start or hangs."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None


def git_head(root: Path) -> str | None:
    """The full commit hash the books are at; None outside git or before the first commit."""
    result = git(root, "rev-parse", "--verify", "-q", "HEAD")
    if result is None or result.returncode != 0:
        return None
    return result.stdout.decode().strip()


class Provenance(NamedTuple):
    """What the books were built from: for the owner's pages only, never a client's document."""

    commit: str             # the full hash of HEAD
    uncommitted: bool       # the books' own files differ from it

    @property
    def short(self) -> str:
        """The commit as people quote it: its first 7 hex digits."""
        return self.commit[:7]


def provenance(root: Path) -> Provenance | None:
    """The commit the books are at, and whether their files differ from it; None outside git."""
    commit = git_head(root)
    if commit is None:
        return None
    return Provenance(commit, bool(git_uncommitted_books(root)))


class BooksStatus:
    """`provenance` for the builds of one process (watch): after the first, a build told which
    files changed asks git about those files and the ones it found uncommitted before, not
    about every file of the books (`git status` of 88 000 small logbooks: 0.25 s an edit).

    Everything is asked again when the commit or git's index changed (a commit, `git add`,
    a checkout), when a changed path is outside the books' parts (a `.gitignore`), or when the
    build was not told what changed. `start` sets git going and gives a `Pending` answer, so
    that the build reads the books meanwhile.
    """

    def __init__(self) -> None:
        self.root: Path | None = None
        self.places: tuple[str, str, str] | None = None     # the work tree's top, the books' prefix, the index
        self.known: tuple | None = None                     # (commit, index stamp) of `dirty`
        self.dirty: set[str] = set()                        # uncommitted paths, from the work tree's top

    def provenance(self, root: Path, changed: set[str] | None) -> Provenance | None:
        """As `provenance(root)`; `changed`: the paths changed since the last call (as the
        books' listing names them: `str(root / rel)`), or None when not known."""
        return self.start(root, changed).result()

    def start(self, root: Path, changed: set[str] | None) -> Pending:
        """`provenance`, with git asked now and answered when `result()` is called (always call
        it: what the next build asks depends on this answer)."""
        commit = git_head(root)
        if commit is None:
            self.known = None
            return Pending(lambda: None)
        if root != self.root:
            self.root, self.places, self.known = root, _places(root), None
        if self.places is None:
            return Pending(lambda: Provenance(commit, bool(git_uncommitted_books(root))))
        top, prefix, index = self.places
        asked = _books_paths(root, changed)
        whole = self.known != (commit, _stamp(index)) or asked is None
        if whole:
            asked = [prefix + part for part in BOOKS_PARTS]
        else:
            asked = sorted({*(prefix + rel for rel in asked), *self.dirty})
        process = _start_status(top, asked, optional_locks=whole) if asked else None

        def answer() -> Provenance:
            found = _finish_status(process) if process is not None else set()
            dirty = found if whole or found is None else (self.dirty - set(asked)) | found
            if dirty is None:
                self.known = None
                return Provenance(commit, False)
            self.dirty, self.known = dirty, (commit, _stamp(index))   # after: status may refresh the index
            return Provenance(commit, bool(dirty))

        return Pending(answer)


class Pending:
    """An answer asked for and not yet read: `result()` waits for it, once."""

    def __init__(self, answer: Callable[[], Provenance | None]) -> None:
        self.answer: Callable[[], Provenance | None] | None = answer
        self.value: Provenance | None = None

    def result(self) -> Provenance | None:
        """The answer, waited for the first time."""
        if self.answer is not None:
            answer, self.answer = self.answer, None
            self.value = answer()
        return self.value


def _places(root: Path) -> tuple[str, str, str] | None:
    """(the work tree's top, the books folder's path in it ending in "/" or "", git's index file)."""
    result = git(root, "rev-parse", "--show-toplevel", "--show-prefix", "--git-path", "index")
    if result is None or result.returncode != 0:
        return None
    lines = os.fsdecode(result.stdout).split("\n")
    if len(lines) < 3:
        return None
    top, prefix, index = lines[0], lines[1], lines[2]
    return top, prefix, os.path.join(root, index)


def _stamp(path: str) -> tuple | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _books_paths(root: Path, changed: set[str] | None) -> list[str] | None:
    """`changed` relative to the books folder, when each is in one of the books' parts; else None."""
    if changed is None:
        return None
    start = len(str(root)) + 1
    paths = []
    for name in changed:
        rel = name[start:].replace(os.sep, "/")
        if not name.startswith(str(root)) or rel.split("/", 1)[0] not in BOOKS_PARTS:
            return None
        paths.append(rel)
    return paths


def _start_status(top: str, paths: list[str], optional_locks: bool) -> subprocess.Popen | None:
    """`git status` of `paths` (from the work tree's top) set going; None when git cannot start."""
    options = [] if optional_locks else ["--no-optional-locks"]
    try:
        return subprocess.Popen(["git", *options, "--literal-pathspecs", "status", "--porcelain", "-z",
                                 "--untracked-files=all", "--", *paths], cwd=top, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None


def _finish_status(process: subprocess.Popen | None) -> set[str] | None:
    """The paths the `git status` of `_start_status` lists; None when git failed or hung."""
    if process is None:
        return None
    try:
        output, _ = process.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    if process.returncode != 0:
        return None
    found, fields = set(), output.split(b"\0")
    index = 0
    while index < len(fields):
        field = fields[index]
        index += 1
        if len(field) < 4:
            continue
        found.add(os.fsdecode(field[3:]))
        if field[:2].strip(b" ")[:1] in (b"R", b"C"):     # a rename or copy: its source follows
            found.add(os.fsdecode(fields[index]) if index < len(fields) else "")
            index += 1
    found.discard("")
    return found


def git_uncommitted_books(root: Path) -> list[str]:
    """`git status --porcelain` lines for the books' own files (untracked ones too)."""
    result = git(root, "status", "--porcelain", "--untracked-files=all", "--", *BOOKS_PARTS)
    if result is None or result.returncode != 0:
        return []
    return [line for line in result.stdout.decode("utf-8", "replace").splitlines() if line.strip()]


def _git_names(root: Path, *args: str) -> list[str]:
    """The NUL-separated names a `git ls-files -z ...` prints ([] when git fails)."""
    result = git(root, "ls-files", "-z", *args)
    if result is None or result.returncode != 0:
        return []
    return [os.fsdecode(name) for name in result.stdout.split(b"\0") if name]


def hourbook_reads(name: str) -> bool:
    """Whether `issue` reads this file of the books: hidden files and editor backups
    (a part starting with `.` or `#`, or ending with `~`) under contracts/ and logbook/ it never reads."""
    parts = name.split("/")
    if parts[0] in ("contracts", "logbook"):
        return not any(part.startswith((".", "#")) or part.endswith("~") for part in parts[1:])
    return True


def git_unrecorded(root: Path, paths: tuple[str, ...]) -> list[str]:
    """Files under `paths` that git does not record as they are, each `NAME: why, and what to do`.

    A file git ignores or does not track is not in the commit; one marked assume-unchanged or
    skip-worktree may differ from it without `git status` saying so. Either way the commit
    would not reproduce what was read.
    """
    found = {}
    for listed in _git_names(root, "-v", "--", *paths):
        tag, name = listed[:1], listed[2:]
        if tag in ("S", "s"):
            found[name] = (f"git is told to skip it (skip-worktree, as a sparse checkout does), so its changes are "
                           f"not seen; run git update-index --no-skip-worktree -- {name}, then commit it")
        elif tag.islower():
            found[name] = (f"git is told to assume it unchanged (assume-unchanged), so its changes are not seen; "
                           f"run git update-index --no-assume-unchanged -- {name}, then commit it")
    for name in _git_names(root, "--others", "--exclude-standard", "--", *paths):
        found[name] = f"not in git (untracked); git add -- {name}, then commit it"
    for name in _git_names(root, "--others", "--ignored", "--exclude-standard", "--", *paths):
        if hourbook_reads(name):
            found[name] = (f"ignored by git (a .gitignore rule, .git/info/exclude or core.excludesFile; see git "
                           f"check-ignore -v -- {name}); take it out of the ignore rules, git add it and commit it")
    return [f"{name}: {why}" for name, why in sorted(found.items())]


def git_register_uncommitted(root: Path) -> bool:
    """Whether issued.yaml differs from its committed version (staged, changed, added or removed)."""
    result = git(root, "status", "--porcelain", "--", REGISTER)
    return result is not None and result.returncode == 0 and bool(result.stdout.strip())


def git_committed_register(root: Path) -> bytes | None:
    """issued.yaml as committed at HEAD; None when it isn't (or outside git)."""
    result = git(root, "show", f"HEAD:./{REGISTER}")
    if result is None or result.returncode != 0:
        return None
    return result.stdout
