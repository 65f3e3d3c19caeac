"""Memory habits of hourbook's big passes, and of a process that keeps the books (watch)."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector for the block, then restore it as it was.

    Loading and pricing make millions of small objects (YAML nodes, entries, priced lines) and
    no reference cycles, so the collector's passes over them (a sixth of a big load, a tenth of
    a price run) find nothing. Reference counting still frees everything as usual.

    A build reads, checks and prices, and writes the site, in such blocks (not while it renders:
    a page leaves a hundred-odd objects in cycles, which add up over a clean build's 50 000
    pages). A watching process holds the books for good (at 100 000 entries millions of objects,
    the pages kept to compare with the next build's): a full collection in the middle of an
    edit walks all of them, 0.3-0.4 s on two cores, unless `settle` froze them.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What the block made (the books, a listing of 88 000 files) is frozen with the rest: the
        # collector would otherwise walk all of it, in vain, at the first allocation after it is on
        # again, then twice more as it ages (0.2-0.5 s of an `hourbook build` after an append at
        # 100 000 entries). A cycle frozen so is freed when `settle` thaws it (watch), or never (a
        # one-off build, which ends).
        gc.freeze()
        if collecting:
            gc.enable()


def settle() -> None:
    """Between two watch builds: free the reference cycles the last one let go, and keep what
    survived (the books) out of later collections (`gc.freeze`).

    Each settle thaws what the one before froze first, so a cycle let go by a build is freed at
    the next settle: memory stays the books plus at most one build's cycles.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


_KEPT: list = []


def keep_until_exit(value):
    """`value`, held until the process ends (`hourbook`'s `run` leaves without taking it apart) or
    the next command asks (tests run many in one process): what a build or a price run read and
    priced is some 300 MB of objects at 100 000 entries, and freeing them one by one when the
    command returns cost 0.1-0.2 s."""
    _KEPT[:] = [value]
    return value
