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
