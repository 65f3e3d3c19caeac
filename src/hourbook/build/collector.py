"""Python's cycle collector, kept out of a watch build's way.

A watching process holds the books for good: at 100 000 entries, millions of objects
(entries, priced statements, the pages kept to compare with the next build's). Every
full collection walks all of them, 0.3-0.4 s on two cores, and a build that allocates
a site's worth of paths and pages sets one off now and then, in the middle of the edit
the user is waiting for. Reference counting frees nearly everything a build drops;
the cycle collector only finds rings of objects that point at one another.

So a watch build runs with the collector paused (`paused`), and between builds, once
the site and `watch.json` are written, `settle` collects once and freezes what
survived (`gc.freeze`): the collector then skips the books until the next `settle`,
which thaws them first, so a ring that the last build let go is freed one build
later. Memory stays the books plus at most one build's rings.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cycle collection inside; the collector as it was afterwards (on, unless it was off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def settle() -> None:
    """Between builds: free the rings the last build let go, and keep what survived out of the
    next collections (`gc.freeze`)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
