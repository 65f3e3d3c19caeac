"""The digest of each books file's bytes, known without reading it while the file is unchanged.

A new process needs a digest of every books file twice: for `digests.inputs_digest` (has
anything changed at all?) and for the key of each logbook's and contract's record
(`disk_cache`). Reading and hashing every file for that costs what parsing costs on books of
many small files (0.4 s for 9 000 files of 10 000 entries, twice). The index keeps, from one
run to the next, each file's digest beside what `stat` said of it then (size, modification and
change times in nanoseconds, inode, device), as git's index does: a file whose `stat` is the
same is not read again.

A file changed within the same tick of the file system's clock as it was read could keep its
`stat` and change its bytes ("racy git"). So a digest is kept for later runs only when the
file's change time is `RACY_SECONDS` older than the moment this run started: a file changed
just before or during the run is read again by the next one. The change time cannot be set
by hand (`touch` sets the modification time only). The index is one record of the cache
folder (`record_store.RecordStore`): a torn or foreign one is ignored and made again.
"""

from __future__ import annotations

import operator
import os
import time
from pathlib import Path

from hourbook.load.files import content_digest
from hourbook.load.path_names import stat_mark

INDEX_KIND = "index"
INDEX_KEY = "files"
RUNS_KEY = "runs"
RACY_SECONDS = 2
_MARK, _DIGEST = operator.itemgetter(0), operator.itemgetter(1)     # of a known (mark, digest)


class FileIndex:
    """Path -> the digest of its bytes, from the index when its `stat` did not change.

    Args:
        store: the cache folder's records (`record_store.RecordStore`); None keeps nothing.
    """

    def __init__(self, store=None):
        self.store = store
        self.started = time.time_ns()
        known = store.get(INDEX_KIND, INDEX_KEY) if store is not None else None
        self.known: dict[str, tuple] = known if isinstance(known, dict) else {}
        self.seen: dict[str, tuple] = {}     # what this run met and may keep
        self.met: dict[str, tuple] = {}      # what this run met (racy ones too): a file is read once a run
        self.saved: dict[str, tuple] = {}    # what `save` last kept (a build saves early, then at its end)
        self.read = 0                       # files read and hashed (not answered by the index), for tests
        self.listed: set[str] = set()       # the files this run's listing found plain (`digest`'s `listed`)
        # A file's part of `digests.inputs_digest` (its name and digest), kept as long as `met` keeps it.
        self.parts: dict[str, bytes] = {}
        # `digests.inputs_digest`'s digests of runs of parts, and the parts dropped since it made them
        # (`begin`): a run none of whose parts went is the same, and is not digested again.
        self.blocks = None
        self.dropped: set[str] = set()
        # The digests of runs of parts the last process made (`digests._files_part`), by a fingerprint of
        # what each was made of: a new process finds the runs of unchanged files there (`known_run`).
        kept = store.get(INDEX_KIND, RUNS_KEY) if store is not None else None
        self.kept_runs: dict[bytes, bytes] = kept if isinstance(kept, dict) else {}
        self.runs: dict[bytes, bytes] = {}      # this process's, kept for the next by `save`

    def begin(self, changed: set[str] | None = None) -> None:
        """A new run of the same process (watch): what the last one met is what is known.

        Args:
            changed: the only files that may have changed since the last run, as this index names
                them (the file system said so: watch). What the last run met of every other file
                still holds and is met again without a look (tens of thousands of small logbooks
                cost a third of a second to look at). None: every file is looked at again.
        """
        self.started = time.time_ns()
        if changed is None:
            self.met, self.listed, self.parts = {}, set(), {}
            self.blocks, self.dropped = None, set()
            self.runs = {}
            if self.seen:
                self.known, self.seen = self.seen, {}
            return
        self.known, self.seen = self.seen, dict(self.seen)
        for name in changed:
            for kept in (self.met, self.seen, self.parts):
                kept.pop(name, None)
            self.listed.discard(name)
        self.dropped.update(changed)

    def digest(self, path: Path, listed: tuple | None = None) -> tuple[str | None, bytes | None]:
        """(digest of the file's bytes, the bytes when they had to be read, else None).

        (None, None) when the file cannot be read. Links are followed, as reading them does.

        Args:
            listed: what `lstat` said of the file when this run listed it, if it is no link, as its
                `stat_mark` (`listing.BooksFiles.marks`): taken for its `stat`, which is not asked
                again, and the file is known for a plain file (`plain`).
        """
        name = os.fsdecode(path)
        met = self.met.get(name)
        if met is not None:             # once a run: the digest and the records looked up by it agree
            return met[1], None
        if listed is not None:
            mark = listed
            self.listed.add(name)
        else:
            try:
                mark = stat_mark(os.stat(name))
            except OSError:
                return None, None
        known = self.known.get(name)
        if known is not None and known[0] == mark:
            self.seen[name] = self.met[name] = known
            return known[1], None
        try:
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError:
            return None, None
        self.read += 1
        digest = content_digest(data)
        self._meet(name, mark, digest, len(data) == mark[0])
        return digest, data

    def digests(self, names: list[str], marks: dict[str, tuple]) -> list[str | None]:
        """`digest(name, marks.get(name))[0]` of each of `names` (as `str` of their paths), in one
        loop: books of 88 000 small logbooks ask it of each, in every new process."""
        met, known, seen, listed = self.met, self.known, self.seen, self.listed
        found = []
        for name in names:
            hit = met.get(name)
            if hit is None:
                mark = marks.get(name)
                hit = known.get(name)
                if mark is None or hit is None or hit[0] != mark:
                    found.append(self.digest(name, mark)[0])
                    continue
                listed.add(name)
                seen[name] = met[name] = hit
            found.append(hit[1])
        return found

    def known_run(self, names: list[str], marks: dict[str, tuple]) -> list[str] | None:
        """`digests(names, marks)` when every one of `names` is a file this run has not met yet,
        listed with the very `stat` the index knows it by (nothing to read): worked out a run at a
        time, in C, rather than a file at a time (88 000 small logbooks in every new process).
        None when one is not: then ask `digests`."""
        known = self.known
        hits = list(map(known.get, names))
        if None in hits or list(map(_MARK, hits)) != list(map(marks.get, names)) or not self.met.keys().isdisjoint(names):
            return None
        pairs = dict(zip(names, hits))
        self.met.update(pairs)
        self.seen.update(pairs)
        self.listed.update(names)
        return list(map(_DIGEST, hits))

    def _meet(self, name: str, mark: tuple, digest: str, whole: bool = True) -> None:
        met = self.met[name] = (mark, digest)
        if mark[2] < self.started - RACY_SECONDS * 1_000_000_000 and whole:
            self.seen[name] = met

    def learn(self, reads: dict[str, tuple]) -> None:
        """What the loader read in this run (`files.recorded_reads`): the digest of those files, for the
        rest of the run, is of the bytes it read, whatever the file holds now (not `stat`ed again):
        what was made of them is what the digest names."""
        for name, (mark, digest) in reads.items():
            self._meet(name, mark, digest)

    def plain(self, path: Path) -> bool:
        """Whether this run's listing found `path` a plain file, no link (else: not known)."""
        return os.fsdecode(path) in self.listed

    def mark(self, path: Path) -> tuple | None:
        """What `stat` said of the file when this run first asked for its digest, or None."""
        met = self.met.get(os.fsdecode(path))
        return met[0] if met is not None else None

    def save(self) -> None:
        """Keep the digests of the files this run met (and could trust) for the next run, and the
        digests of the runs of parts it made."""
        if self.store is not None and self.seen != self.known and self.seen != self.saved:
            self.store.put(INDEX_KIND, INDEX_KEY, self.seen)
            self.saved = dict(self.seen)
        if self.store is not None and self.runs and self.runs != self.kept_runs:
            self.store.put(INDEX_KIND, RUNS_KEY, self.runs)
            self.kept_runs = self.runs
