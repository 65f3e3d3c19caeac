"""Every logbook's entries in one list, made again from the last build's by splicing in the files
that changed (watch on books of tens of thousands of small logbooks, one edited).

`load.books.load_logbooks` puts each file's entries after the last's, in the listing's order. When
the files are those of the last build, in the same order, and the file system said which of them
may have changed (`LogbookCache.changed`), the result is the last one with those files' entries put
in their place: a copy of the list and a few slices, instead of a pass over every file (0.07 s
at 88 000 files). `LogbookCache.load_all` uses it; `tests/test_splice.py` pins it to the pass.
"""

from __future__ import annotations

import itertools
import operator
from pathlib import Path
from typing import Callable


_NAME = operator.itemgetter(1)


class Spliced:
    """The last whole result of the logbooks: the files it was made of, each one's entries' place
    in it, and the files that had diagnostics."""

    def __init__(self, files: list[tuple[Path, str]], loaded: list[tuple[list, list]]):
        self.names = tuple(map(_NAME, files))
        self.places = {str(path): index for index, (path, _) in enumerate(files)}
        self.lengths = [len(entries) for entries, _ in loaded]
        self.starts = list(itertools.accumulate(self.lengths, initial=0))
        self.entries = [entry for entries, _ in loaded for entry in entries]
        self.diagnostics = {index: diags for index, (_, diags) in enumerate(loaded) if diags}

    def same_files(self, files: list[tuple[Path, str]]) -> bool:
        """Whether `files` are the files (by name, in order) this result was made of."""
        return len(files) == len(self.names) and tuple(map(_NAME, files)) == self.names

    def splice(self, files: list[tuple[Path, str]], changed: set[str],
               load_one: Callable[[Path, str], tuple[list, list]]) -> None:
        """Put in the entries and diagnostics of those of `files` (the same files) named in
        `changed` (as `str` of their paths), each loaded with `load_one(path, rel)`."""
        places = sorted(self.places[name] for name in changed if name in self.places)
        if not places:
            return
        pieces, last = [], 0
        for index in places:
            path, rel = files[index]
            entries, diags = load_one(path, rel)
            pieces.append(self.entries[self.starts[last]:self.starts[index]] if index > last else [])
            pieces.append(entries)
            self.lengths[index] = len(entries)
            last = index + 1
            if diags:
                self.diagnostics[index] = diags
            else:
                self.diagnostics.pop(index, None)
        pieces.append(self.entries[self.starts[last]:])
        self.entries = list(itertools.chain.from_iterable(pieces))
        self.starts = list(itertools.accumulate(self.lengths, initial=0))

    def result(self) -> tuple[list, list]:
        """(every entry, in file order; every diagnostic, in file order): the entries a list of
        the caller's own."""
        return list(self.entries), [d for index in sorted(self.diagnostics) for d in self.diagnostics[index]]
