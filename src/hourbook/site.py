"""Writing the site: secret links, then every file into a fresh folder swapped in at once.

Gathers every page first (the render stage returns bytes by path), writes them
into a temporary folder beside `site/`, and swaps it in with one atomic rename
exchange where the system has it. A failed or interrupted build leaves the
previous site as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import hmac
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from hourbook.core.records import PricedBooks

SECRET_FILE = ".hourbook-secret"
SECRET_ENV = "HOURBOOK_SECRET"
TOKEN_HEX_DIGITS = 32  # 128 bits


class SiteError(Exception):
    """The site could not be written (disk full, permissions): not a problem in the books."""


def load_secret(root: Path) -> bytes:
    """The secret behind client links: $HOURBOOK_SECRET, or .hourbook-secret (created on first use)."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env.encode("utf-8")
    path = root / SECRET_FILE
    try:
        if path.is_file():
            value = path.read_bytes().strip()  # bytes: an HMAC key need not be text
            if value:
                return value
        elif path.exists() or path.is_symlink():
            raise SiteError(f"{SECRET_FILE} is not a file: remove it (a new secret changes every link) "
                            f"or set ${SECRET_ENV}")
        new = secrets.token_hex(32)
        write_file_atomically(path, (new + "\n").encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise SiteError(f"cannot read or create {SECRET_FILE}: {exc.strerror or exc}") from exc
    return new.encode("utf-8")


def client_token(client_id: str, secret: bytes) -> str:
    """An HMAC of the client id: unguessable without the secret, stable with it."""
    return hmac.new(secret, client_id.encode("utf-8"), hashlib.sha256).hexdigest()[:TOKEN_HEX_DIGITS]


def public_folders(priced: PricedBooks, secret: bytes) -> dict[str, str]:
    """Client id -> `<id>-<token>` for every client with share: true."""
    return {client.contract.id: f"{client.contract.id}-{client_token(client.contract.id, secret)}"
            for client in priced.clients if client.contract.share}


def client_urls(priced: PricedBooks, secret: bytes, base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/") if base_url else "site"
    return {client_id: f"{base}/{folder}/" if base_url else f"site/public/{folder}/index.html"
            for client_id, folder in public_folders(priced, secret).items()}


def build_info(root: Path) -> str:
    """`built from commit abc1234`, marked when the books have uncommitted changes; '' outside git."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"],
                                capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return ""
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                 "hourbook.yaml", "contracts", "logbook", "templates"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    dirty = " (with uncommitted changes)" if status.stdout.strip() else ""
    return f"built from commit {commit.stdout.strip()}{dirty}"


def write_file_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Temp file in the same folder, fsync, rename: the file is whole or as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def new_staging(out: Path, keep: frozenset[Path] | set[Path] = frozenset()) -> Path:
    """A fresh, empty folder beside `out` to build the next site in.

    What earlier builds left beside `out` (killed half-way: a staging folder, an old site
    not yet removed) goes first, except the folders in `keep` (being removed elsewhere).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out, keep)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))


def remove_stale(out: Path, keep: frozenset[Path] | set[Path] = frozenset()) -> None:
    """Remove what killed builds left beside `out`, except the folders in `keep`."""
    for stale in [*out.parent.glob(f".{out.name}.new-*"), *out.parent.glob(f".{out.name}.old-*")]:
        if stale not in keep:
            remove_folder(stale)


def remove_folder(folder: Path, patience: float = 2.0) -> None:
    """Remove a folder and everything in it, even while a dying process still adds to it.

    A killed build's `cp` may still be linking files into its staging folder for a moment
    after hourbook died: keep removing, a little slower each time, for up to `patience` seconds.
    """
    deadline = time.monotonic() + patience
    pause = 0.001
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder) or time.monotonic() > deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def child_dies_with(parent: int):
    """A `preexec_fn` for a child process: the kernel kills it when hourbook dies, so a killed
    build leaves no `cp` behind still writing into a staging folder (Linux; elsewhere a no-op).

    Args:
        parent: hourbook's process id, taken before the fork: when hourbook died between the
            fork and the `prctl`, the child is already an orphan and ends at once.
    """
    def preexec() -> None:
        libc_name = ctypes.util.find_library("c")
        if libc_name:
            pr_set_pdeathsig = 1
            ctypes.CDLL(libc_name).prctl(pr_set_pdeathsig, 9)  # SIGKILL
            if os.getppid() != parent:
                os._exit(1)
    return preexec


_RENAME_EXCHANGE = 2


def _renameat2():
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    return getattr(libc, "renameat2", None)


def swap_in(staging: Path, out: Path, remove_old=None) -> None:
    """Make `staging` the site at `out`: an atomic exchange on Linux, two renames elsewhere.

    Args:
        remove_old: removes the old site's folder (default: at once, `shutil.rmtree`);
            watch mode hands it to a background thread.
    """
    remove_old = remove_old or (lambda folder: shutil.rmtree(folder, ignore_errors=True))
    if not out.exists():
        os.rename(staging, out)
        return
    renameat2 = _renameat2()
    at_fdcwd = -100
    if renameat2 is not None:
        result = renameat2(at_fdcwd, os.fsencode(staging), at_fdcwd, os.fsencode(out), _RENAME_EXCHANGE)
        if result == 0:
            remove_old(staging)  # now holds the old site
            return
    old = out.with_name(f".{out.name}.old-{secrets.token_hex(4)}")
    os.rename(out, old)
    os.rename(staging, out)
    remove_old(old)
