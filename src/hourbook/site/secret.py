"""The secret behind client links: reading it, judging it, making it; the links it keys.

A shared client's pages are at `public/<id>-<token>/`, the token an HMAC of the id under
the secret: unguessable without it, the same on every build with it. The secret is
$HOURBOOK_SECRET or `.hourbook-secret` in the books; only a missing file is made, since
a new secret changes every client's link. What is wrong with a secret is a located
diagnostic (`.hourbook-secret:1`), never a secret quietly replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import stat
from pathlib import Path

from hourbook.core.records import ERROR
from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import Source
from hourbook.load.listing import SECRET_FILE
from hourbook.load.file_kind import file_kind
from hourbook.site.files import SiteError
from hourbook.site.files import link_target
from hourbook.site.files import write_new_file

SECRET_ENV = "HOURBOOK_SECRET"
TOKEN_HEX_DIGITS = 32  # 128 bits
MIN_SECRET_BITS = 256  # 32 random bytes
MAX_SECRET_BYTES = 64 * 1024
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
SECRET_SOURCE = Source(SECRET_FILE, 1)
ENV_SOURCE = Source("<environment>", 0)


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
            return None, [Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is a link to {link_target(path)}, which does "
                                                    f"not exist: restore what it points to, or remove the link to "
                                                    f"make a new secret (this changes every client's link)")]
        return _make_secret(path)
    except OSError as exc:
        return None, [Diagnostic(SECRET_SOURCE, f"cannot read {SECRET_FILE}: {exc.strerror or exc}; make it "
                                                f"readable by you (chmod 600 {SECRET_FILE}), {keep}")]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = file_kind(info.st_mode, fifo="a FIFO")
            return None, [Diagnostic(SECRET_SOURCE, f"{SECRET_FILE} is not a file (it is {kind}): "
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
    """Up to `limit` bytes from `fd`, however many reads that takes."""
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def client_token(client_id: str, secret: bytes) -> str:
    """An HMAC of the client id: unguessable without the secret, stable with it."""
    return hmac.new(secret, client_id.encode("utf-8"), hashlib.sha256).hexdigest()[:TOKEN_HEX_DIGITS]


def public_folders(priced: PricedBooks, secret: bytes) -> dict[str, str]:
    """Client id -> `<id>-<token>` for every client with share: true."""
    return {client.contract.id: f"{client.contract.id}-{client_token(client.contract.id, secret)}"
            for client in priced.clients if client.contract.share}


def client_urls(priced: PricedBooks, secret: bytes, base_url: str) -> dict[str, str]:
    """Client id -> the link to its pages, for every client with share: true.

    Args:
        base_url: where the site's `public/` folder is published (`site: base_url:` in
            hourbook.yaml): links are `<base_url>/<id>-<token>/`. Without one, a link is the
            page's path in the books folder, `site/public/<id>-<token>/index.html`.
    """
    folders = public_folders(priced, secret)
    if not base_url:
        return {client_id: f"site/public/{folder}/index.html" for client_id, folder in folders.items()}
    base = base_url.rstrip("/")
    return {client_id: f"{base}/{folder}/" for client_id, folder in folders.items()}
