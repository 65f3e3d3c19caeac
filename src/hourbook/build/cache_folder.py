"""The cache folder, .hourbook-cache/ in the books folder: what one run leaves for the next.

    build.state      the last build's state: inputs digest, manifest, pages (build/publish.py;
                     a checked pickle: `encode_state`, `decode_state`)
    writing          there while watch mode swaps folders: build.state is stale (build/publish.py)
    watch.json       what watch mode's last build did (commands/watch.py)
    pdf/<key>.pdf    statements' PDFs by the digest of their HTML and templates (build/rendering.py)
    price.json       the last `check`/`price --json` run's inputs digest and report (build/price_run.py)
    price.txt        ... and the JSON that `price --json` wrote
    records/<kind>/<key>  what a run made that the next may take again, by a digest of what it was
                     made of: logbooks and contracts parsed, clients priced, owner reports, each
                     client's people sums and requests, the file index (build/disk_cache.py,
                     build/client_parts.py, build/file_index.py, build/record_store.py)
    site-spare-<token>/   the site a build of a big site swapped out, hard links mostly to the
                     site's own files: the next build's staging folder (build/spare_site.py)

Any of it may go at any time: the next run only takes longer. Diagnostics are kept as
`output.text.diagnostic_json` writes them.

The cache folder and its folders are written in only when each is a folder itself, or not
there yet (`usable_folder`): a link there could lead into logbook/ or anywhere, and a record
store prunes what it does not know. Where one is a link, nothing is kept there, read or
removed: the run takes as long as with no cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.load.listing import relative_posix
from hourbook.site.files import is_folder

CACHE_DIR = ".hourbook-cache"
FORMAT = 1                          # bump when the layout of the cache folder changes
STATE_FILE = "build.state"
WRITING_MARK = "writing"
WATCH_STATUS = "watch.json"
PDF_FOLDER = "pdf"
PRICE_REPORT = "price.json"
PRICE_TEXT = "price.txt"


def usable_folder(base: Path | None, *names: str) -> Path | None:
    """`base`/`names`, when each folder below `base` on the way may be written, read and pruned: a
    folder itself, or not there yet (to be made), never a link nor a file; else None (and None for
    a `base` of None: no cache)."""
    if base is None:
        return None
    folder = base
    for name in names:
        folder = folder / name
        if not (is_folder(folder) or not os.path.lexists(folder)):
            return None
    return folder


def cache_dir_of(root: Path) -> Path | None:
    """The books' cache folder, or None when it may not be used (see the module)."""
    return usable_folder(root, CACHE_DIR)


def diagnostics_from_json(items: list[dict]) -> list[Diagnostic]:
    """Diagnostics kept as `diagnostic_json` wrote them, read back."""
    return [Diagnostic(Source(item["path"], item["line"]), item["message"], item["severity"]) for item in items]


_STATE_MAGIC = b"hourbook-state\n"
_STATE_DIGEST = 20


def encode_state(state: dict) -> bytes:
    """The build state as saved: a magic line, the BLAKE2b of the payload, the payload (a pickle)."""
    payload = pickle.dumps(state, protocol=5)
    return _STATE_MAGIC + hashlib.blake2b(payload, digest_size=_STATE_DIGEST).digest() + payload


def decode_state(data: bytes) -> dict:
    """What `encode_state` saved, or {} for anything else (truncated, changed, foreign, another format)."""
    head = len(_STATE_MAGIC) + _STATE_DIGEST
    payload = data[head:]
    if not data.startswith(_STATE_MAGIC) or \
            hashlib.blake2b(payload, digest_size=_STATE_DIGEST).digest() != data[len(_STATE_MAGIC):head]:
        return {}
    try:
        state = pickle.loads(payload)
    except Exception:                   # noqa: BLE001 - whole and ours, yet not loadable: not trusted
        return {}
    return state if isinstance(state, dict) else {}


def out_key(root: Path, out: Path) -> str:
    """The site folder as the state names it: its path in the books when there (books moved or
    copied with their site and cache keep their state), else its absolute path."""
    books, site = Path(os.path.abspath(root)), Path(os.path.abspath(out))
    if site != books and site.is_relative_to(books):
        return "books:" + relative_posix(books, site)
    return str(site)
