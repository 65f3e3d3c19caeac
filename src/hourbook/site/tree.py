"""Writing the site: secret links, then every file into a fresh folder swapped in at once.

Gathers every page first (the render stage returns bytes by path), writes them
into a temporary folder beside `site/`, and swaps it in with one atomic rename
exchange where the system has it. A failed or interrupted build leaves the
previous site as it was.

The swap replaces the site's folder as a whole, so `check_site_folder` decides
first whether a folder may be replaced at all: never the books or anything in
them but the site, never a folder hourbook did not write (every site carries
`SITE_MARKER`). It does not decide what goes into the site (the render stage does).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import hmac
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterable

from hourbook.core.records import ERROR
from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import Source
from hourbook.load.listing import SECRET_FILE
from hourbook.output.text import escape_controls

SECRET_ENV = "HOURBOOK_SECRET"
TOKEN_HEX_DIGITS = 32  # 128 bits
MIN_SECRET_BITS = 256  # 32 random bytes
MAX_SECRET_BYTES = 64 * 1024
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
SECRET_SOURCE = Source(SECRET_FILE, 1)
ENV_SOURCE = Source("<environment>", 0)

SITE_MARKER = ".hourbook-site"  # at the top of every site hourbook writes: the folder may be replaced
SITE_MARKER_TEXT = (b"This folder is a site written by hourbook: every `hourbook build` replaces it as a whole.\n"
                    b"Keep nothing else in it.\n")
# Folders of the books the site must never be, be inside, or contain (the cache: incremental.CACHE_DIR).
BOOKS_FOLDERS = ("logbook", "contracts", "templates", "invoices", "payments", ".git", ".hourbook-cache")
# What `new_staging` and a swap leave beside the site: mkdtemp's 8 characters, or token_hex(4).
STAGING_SUFFIX = r"\.(?:new|old)-[a-z0-9_]{8}"


class SiteError(Exception):
    """The site could not be written (disk full, permissions): not a problem in the books."""


# ---------------------------------------------------------------- the link secret


def load_secret(root: Path) -> bytes:
    """The secret behind client links (see `read_secret`); raises SiteError when it cannot be used."""
    secret, problems = read_secret(root)
    if secret is None:
        raise SiteError(next(d.message for d in problems if d.severity == ERROR))
    return secret


def read_secret(root: Path) -> tuple[bytes | None, list[Diagnostic]]:
    """The secret behind client links: $HOURBOOK_SECRET, or `.hourbook-secret` in the books.

    Only a missing file is made (64 random hex digits, mode 0600): an empty, unreadable
    or weak secret is an error, never replaced, as a new secret changes every client's link.

    Returns:
        (secret, diagnostics): the secret is None when an error among the diagnostics says
        why there is none; a warning (a secret file other users can read) leaves it usable.
    """
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        value = os.fsencode(from_env)  # the bytes as set, even when they are not UTF-8
        weak = weak_secret(value)
        if weak:
            return None, [Diagnostic(ENV_SOURCE, f"${SECRET_ENV} is too weak for client links: {weak}; set it to "
                                                 f"the output of {MAKE_SECRET} (this changes every client's link)")]
        return value, []
    return _secret_file(root / SECRET_FILE)


def _secret_file(path: Path) -> tuple[bytes | None, list[Diagnostic]]:
    """`.hourbook-secret`: read (never blocking on a FIFO), judged, made only when missing."""
    keep = "do not replace it: a new secret changes every client's link"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if os.path.lexists(path):
            return None, [Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is a link to {_link_target(path)}, which does "
                                                    f"not exist: restore what it points to, or remove the link to "
                                                    f"make a new secret (this changes every client's link)")]
        return _make_secret(path)
    except OSError as exc:
        return None, [Diagnostic(SECRET_SOURCE, f"cannot read {SECRET_FILE}: {exc.strerror or exc}; make it "
                                                f"readable by you (chmod 600 {SECRET_FILE}), {keep}")]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, [Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is not a file (it is {_kind(info.st_mode)}): "
                                                    f"remove it to make a new secret (this changes every client's "
                                                    f"link), or set ${SECRET_ENV}")]
        data = _read_at_most(fd, MAX_SECRET_BYTES + 1)
    except OSError as exc:
        return None, [Diagnostic(SECRET_SOURCE, f"cannot read {SECRET_FILE}: {exc.strerror or exc}; {keep}")]
    finally:
        os.close(fd)
    return _judge_secret_file(data.strip(), info.st_mode, len(data) > MAX_SECRET_BYTES)


def _judge_secret_file(value: bytes, mode: int, too_large: bool) -> tuple[bytes | None, list[Diagnostic]]:
    """The secret file's value with what is wrong with it: empty, too large, weak, readable by others."""
    problems = []
    if too_large:
        problems.append(Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is over {MAX_SECRET_BYTES // 1024} KiB: it is not "
                                                  f"a secret hourbook made; check what it holds"))
    elif not value:
        problems.append(Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is empty: restore it from a backup, or remove it "
                                                  f"to make a new secret (this changes every client's link)"))
    else:
        weak = weak_secret(value)
        if weak:
            problems.append(Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is too weak for client links: {weak}; make a "
                                                      f"strong one with {MAKE_SECRET} > {SECRET_FILE} (this "
                                                      f"changes every client's link)"))
    if mode & 0o044:
        problems.append(Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} can be read by other users of this machine "
                                                  f"(mode {stat.S_IMODE(mode):o}), and with it every client's "
                                                  f"link: chmod 600 {SECRET_FILE}", WARNING))
    usable = not any(problem.severity == ERROR for problem in problems)
    return (value if usable else None), problems


def _make_secret(path: Path) -> tuple[bytes | None, list[Diagnostic]]:
    """A new secret in a missing `.hourbook-secret` (mode 0600); never over a file made meanwhile."""
    value = secrets.token_hex(32).encode("ascii")
    try:
        write_new_file(path, value + b"\n", mode=0o600)
    except FileExistsError:
        return _secret_file(path)       # another process made it first
    except OSError as exc:
        return None, [Diagnostic(SECRET_SOURCE, f"cannot create {SECRET_FILE}: {exc.strerror or exc}; make the "
                                                f"books folder writable, or set ${SECRET_ENV}")]
    return value, []


def secret_file_mode(root: Path) -> str:
    """The secret file's permissions, for the build's inputs digest: a `chmod 600` is a change
    (its warning goes), though the secret's bytes are the same."""
    try:
        return f"secret-mode={stat.S_IMODE(os.stat(root / SECRET_FILE).st_mode):o}"
    except (OSError, ValueError):
        return "secret-mode="


def weak_secret(value: bytes) -> str:
    """Why `value` is too weak to key client links ('' when it is strong enough).

    A generous estimate of its randomness: 4 bits a character for hex, 6 for base64
    (standard or URL-safe), 8 a byte for anything else; a value that repeats a shorter
    piece counts that piece once, and one made of 4 or fewer different characters counts
    at most the bits that few characters can hold.
    """
    if not value:
        return "it is empty"
    piece = value[:_period(value)]
    repeats = len(piece) < len(value)
    if re.fullmatch(rb"[0-9a-fA-F]+", piece):
        kind, per_char = "hex digits", 4.0
    elif re.fullmatch(rb"[A-Za-z0-9+/_-]+=*", piece):
        kind, per_char = "base64 characters", 6.0
        piece = piece.rstrip(b"=")
    else:
        kind, per_char = "bytes", 8.0
    distinct = len(set(piece))
    if distinct <= 4:
        per_char = min(per_char, math.log2(distinct))
    bits = int(len(piece) * per_char)
    if bits >= MIN_SECRET_BITS:
        return ""
    how = ("it is one character repeated" if len(piece) == 1 else
           f"it repeats a piece of {len(piece)} {kind}" if repeats else
           f"it has only {distinct} different character{'s' if distinct != 1 else ''}" if distinct <= 4 else
           f"{len(piece)} {kind}")
    return f"about {bits} bits of randomness ({how}), and it needs {MIN_SECRET_BITS} (32 random bytes)"


def _period(value: bytes) -> int:
    """The length of the shortest piece `value` repeats (at least twice), else its length."""
    border = [0] * len(value)           # the prefix function of Knuth-Morris-Pratt
    for i in range(1, len(value)):
        k = border[i - 1]
        while k and value[i] != value[k]:
            k = border[k - 1]
        border[i] = k + (value[i] == value[k])
    period = len(value) - (border[-1] if value else 0)
    return period if 2 * period <= len(value) else len(value)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _link_target(path: Path) -> str:
    try:
        return escape_controls(os.readlink(path))
    except OSError:
        return "a place that cannot be read"


def _kind(mode: int) -> str:
    """`a folder`, `a FIFO`, ...: what a path is, for messages."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a file"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a file"


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


def write_new_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file that must not exist yet, whole or not at all: temp file, fsync, hard link.

    The link fails if anything is at `path`, so nothing is ever written over; where the file
    system has no hard links, the file is renamed into place after a last look.

    Raises:
        FileExistsError: something is at `path`.
        OSError: the write failed (full disk, read-only folder...), naming `path`.
    """
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                                 errno.ENOSYS):
                raise
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, "File exists", str(path)) from None
            os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)


# ---------------------------------------------------------------- where the site may go


def check_site_folder(root: Path, out: Path, known: Iterable[str] = ()) -> str | None:
    """Why the site must not be written to `out`, or None when it may (the one place that decides).

    A build replaces `out` as a whole, so `out` must not be the books folder, contain it, or
    be, contain or be inside one of its `BOOKS_FOLDERS` (compared by real path and by the
    file system's identity of each folder, so `..`, symbolic links and a case-insensitive
    file system change nothing). What is at `out` must be nothing yet, an empty folder, or a
    site hourbook wrote: a folder with `SITE_MARKER` at its top.

    Args:
        root: the books folder.
        out: where the site goes.
        known: the files the last build recorded writing to `out` (its cache manifest): a
            site written before sites carried the marker is recognised by holding only those.
    """
    shown = escape_controls(str(out))
    overlap = _books_overlap(root, out)
    if overlap:
        return (f"refusing to write the site to {shown}: {overlap}, and every build replaces the whole site "
                f"folder; give --out another folder, such as {escape_controls(str(Path(root) / 'site'))}")
    try:
        mode = os.lstat(out).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot use {shown} for the site: {exc.strerror or exc}"
    if stat.S_ISLNK(mode):
        return (f"{shown} is a symbolic link (to {_link_target(out)}): hourbook replaces the site folder "
                f"itself, so give --out the real folder, or remove the link")
    if not stat.S_ISDIR(mode):
        return (f"{shown} is {_kind(mode)}, not a site folder: hourbook will not replace it; move it away or "
                f"give --out another folder")
    return _foreign_folder(out, shown, known)


def _foreign_folder(out: Path, shown: str, known: Iterable[str]) -> str | None:
    """Why the existing folder `out` is not a site hourbook may replace, or None."""
    try:
        if stat.S_ISREG(os.lstat(out / SITE_MARKER).st_mode):
            return None
    except OSError:
        pass
    try:
        empty = not os.listdir(out)
    except OSError as exc:
        return f"cannot use {shown} for the site: {exc.strerror or exc}"
    if empty or _only_known(out, frozenset(known)):
        return None
    return (f"{shown} is a folder hourbook did not write (it has no {SITE_MARKER}): a build would replace "
            f"everything in it; give --out a new or empty folder, or move what is in it away (a site an older "
            f"hourbook wrote can be removed: the build writes it anew)")


def _only_known(out: Path, known: frozenset[str]) -> bool:
    """`out` holds nothing but files the last build recorded writing there (a site from before the marker)."""
    if not known:
        return False
    for folder, folders, names in os.walk(out):
        base = Path(folder).relative_to(out)
        for name in names + [name for name in folders if os.path.islink(os.path.join(folder, name))]:
            if (base / name).as_posix() not in known:
                return False
    return True


def _books_overlap(root: Path, out: Path) -> str:
    """How `out` overlaps the books folder or one of its own folders ('' when it does not)."""
    real_root = os.path.realpath(root)
    real_out = os.path.realpath(out)
    guarded = {f"the books' {name}/ folder": os.path.realpath(os.path.join(real_root, name)) for name in BOOKS_FOLDERS}
    git = _enclosing_git(real_root)
    if git:
        guarded["the git repository's .git folder"] = git
    out_chain = [(path, _identity(path)) for path in _chain(real_out)]
    root_id = _identity(real_root)
    if real_out == real_root or (root_id is not None and out_chain[0][1] == root_id):
        return "it is the books folder itself"
    if _contains(out_chain[0], real_root):
        return f"it holds the books folder {escape_controls(real_root)}"
    for name, folder in guarded.items():
        folder_id = _identity(folder)
        for depth, (path, identity) in enumerate(out_chain):
            if path == folder or (folder_id is not None and identity == folder_id):
                return f"it is {name}" if depth == 0 else f"it is inside {name}"
        if _contains(out_chain[0], folder):
            return f"it holds {name}"
    return ""


def _contains(out: tuple[str, tuple[int, int] | None], path: str) -> bool:
    """Whether the folder `out` (real path, identity) holds `path` (a real path), at any depth."""
    real_out, out_id = out
    for ancestor in _chain(path)[1:]:
        if ancestor == real_out or (out_id is not None and _identity(ancestor) == out_id):
            return True
    return False


def _chain(path: str) -> list[str]:
    """`path` and every folder above it, up to the file system's root."""
    chain = [path]
    while os.path.dirname(chain[-1]) != chain[-1]:
        chain.append(os.path.dirname(chain[-1]))
    return chain


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of what `path` leads to: the same for two names of one folder; None when missing."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _enclosing_git(real_root: str) -> str:
    """The `.git` of the repository the books are in (in the books folder or above it), or ''."""
    for folder in _chain(real_root):
        candidate = os.path.join(folder, ".git")
        if os.path.lexists(candidate):
            return os.path.realpath(candidate)
    return ""


# ---------------------------------------------------------------- writing it


def new_staging(out: Path, keep: frozenset[Path] | set[Path] = frozenset()) -> Path:
    """A fresh, empty folder beside `out` to build the next site in.

    What earlier builds left beside `out` (killed half-way: a staging folder, an old site
    not yet removed) goes first, except the folders in `keep` (being removed elsewhere).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out, keep)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))


def remove_stale(out: Path, keep: frozenset[Path] | set[Path] = frozenset()) -> None:
    """Remove what killed builds left beside `out`, except the folders in `keep`.

    Only real folders named exactly as `new_staging` and `swap_in` name them go: never a
    file, a link, or a folder of the owner's that merely starts like one.
    """
    ours = re.compile(re.escape(f".{out.name}") + STAGING_SUFFIX)
    try:
        names = os.listdir(out.parent)
    except OSError:
        return
    for name in names:
        stale = out.parent / name
        if ours.fullmatch(name) and stale not in keep and _is_folder(stale):
            remove_folder(stale)


def _is_folder(path: Path) -> bool:
    """A folder itself, not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


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
    if not os.path.lexists(out):
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
