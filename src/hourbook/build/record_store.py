"""Records in the cache folder: `records/<kind>/<key>` files, each whole and of this version or ignored.

The store the disk caches (`disk_cache`) and the file index (`file_index`) keep their records
in. A record is one file: a header (magic, hourbook's code digest, the BLAKE2b of the payload)
and the payload, a pickle of hourbook's own records. It is written to a temporary file and
renamed into place, so a reader sees a whole record or none; a truncated, flipped, empty or
foreign file fails the header or the digest and is made again (and rewritten), never trusted.
It imports no renderer: `price` and `check` use it too.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from hourbook.build.cache_folder import usable_folder
from hourbook.build.digests import code_digest

RECORDS = "records"
MAGIC = b"hourbook-record\n"
_DIGEST = 20                        # bytes of a BLAKE2b digest in the header


class RecordStore:
    """`records/<kind>/<key>` files in the cache folder: `get` gives what `put` stored, or None.

    A kind's folder that is a link, or under a link (`cache_folder.usable_folder`), is neither
    read, written nor pruned: it could lead into logbook/ or anywhere. The counters say what a
    run did, for tests (never timed).
    """

    def __init__(self, folder: Path):
        self.cache = Path(folder)
        self.folder = self.cache / RECORDS
        self.usable: set[str] = set()       # kinds whose folder was found usable
        self.version = code_digest().encode("ascii")
        self.hits = 0
        self.misses = 0
        self.rejected = 0                   # present, but not a whole record of this version
        self.used: dict[str, set[str]] | None = {}  # kind -> keys asked for or stored since the last prune
        # (kind, key) -> the digest of the payload read or written last under it in this process: which
        # version of a record another was made from (`entries_memo`: the logbook pack).
        self.seals: dict[tuple[str, str], bytes] = {}

    def _kind_folder(self, kind: str) -> Path | None:
        """records/<kind>, or None when it may not be used (a link or a file on the way)."""
        if kind in self.usable:
            return self.folder / kind
        folder = usable_folder(self.cache.parent, self.cache.name, RECORDS, kind)
        if folder is not None:
            self.usable.add(kind)
        return folder

    def get(self, kind: str, key: str):
        """The value stored under `key`, or None when there is none or it cannot be trusted."""
        if self.used is not None:
            self.used.setdefault(kind, set()).add(key)
        folder = self._kind_folder(kind)
        try:
            data = (folder / key).read_bytes() if folder is not None else None
        except OSError:
            data = None
        if data is None:
            self.misses += 1
            return None
        value = self._decode(data)
        if value is None:
            self.rejected += 1
            self.misses += 1
            return None
        self.hits += 1
        head = len(MAGIC) + len(self.version)
        self.seals[(kind, key)] = data[head:head + _DIGEST]
        return value[0]

    def _decode(self, data: bytes):
        """(value,) when `data` is a whole record of this version, else None."""
        head = len(MAGIC) + len(self.version)
        if len(data) < head + _DIGEST or not data.startswith(MAGIC) or data[len(MAGIC):head] != self.version:
            return None
        payload = memoryview(data)[head + _DIGEST:]      # not copied: a pack is tens of MB
        if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != data[head:head + _DIGEST]:
            return None
        try:
            return (pickle.loads(payload),)
        except Exception:           # a payload whose digest matches is ours; still, never a traceback
            return None

    def put(self, kind: str, key: str, value) -> None:
        """Store `value` under `key`: a temporary file renamed into place (no fsync: a torn record
        fails its digest and is made again). A read-only books folder keeps nothing."""
        payload = pickle.dumps(value, protocol=5)
        # The header and the payload written one after the other: a pack of every logbook's entries
        # is tens of MB, not to be copied once more to be joined.
        seal = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
        header = MAGIC + self.version + seal
        folder = self._kind_folder(kind)
        self.seals.pop((kind, key), None)
        if folder is None:
            return
        if self.used is not None:
            self.used.setdefault(kind, set()).add(key)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(header)
                    out.write(payload)
                os.replace(temp, folder / key)
                self.seals[(kind, key)] = seal
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            pass

    def keep(self, kind: str, keys) -> None:
        """Count `keys` of `kind` as used by this build (another process reads or writes them): the
        next prune keeps them."""
        if self.used is not None:
            self.used.setdefault(kind, set()).update(keys)

    def drop(self, kind: str) -> None:
        """Remove every record of `kind` (what another record now holds)."""
        try:
            folder = self._kind_folder(kind)
            names = os.listdir(folder) if folder is not None else []
        except OSError:
            return
        for name in names:
            try:
                os.unlink(folder / name)
            except OSError:
                pass

    def prune(self) -> None:
        """Remove the records of the kinds used since the last prune that were not used (inputs that
        changed or went), and the temporary files of a killed writer. Only the first build of a
        process asks the disk for every file; later ones (watch) answer most from memory, so
        pruning is done once."""
        if self.used is None:
            return
        for kind, keys in self.used.items():
            try:
                folder = self._kind_folder(kind)
                names = os.listdir(folder) if folder is not None else []
            except OSError:
                continue
            for name in names:
                if name not in keys:
                    try:
                        os.unlink(folder / name)
                    except OSError:
                        pass
        self.used = None
