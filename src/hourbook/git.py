"""hourbook's one door to git: what commit the books are at and what is not committed yet."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hourbook.load.listing import BOOKS_PARTS


def build_info(root: Path) -> str:
    """`built from commit abc1234`, marked when the books have uncommitted changes; '' outside git."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"],
                                capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return ""
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                 *BOOKS_PARTS],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    dirty = " (with uncommitted changes)" if status.stdout.strip() else ""
    return f"built from commit {commit.stdout.strip()}{dirty}"
