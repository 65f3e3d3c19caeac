"""The statement pages of the clients a new process renders again, kept on disk for the next one.

After an edit, `hourbook build` prices the edited client again whole and renders all its pages,
five years of statements of which one period and the twelve whose chart shows it changed. In a
watching process `render.pages.StatementPages` gives the others back from memory; a new process
has no memory of them, so it asks this shelf: one record per client (`records/statement-pages/`),
each statement page compressed under the digest of everything it is made of (the inputs
`StatementPages` compares, with the build's settings, date, templates and code). A page whose
digest is on the shelf is that text; any other is rendered. What a record holds afterwards is
the client's pages as this build made them, so it never grows.

The shelf is a one-off build's, for the few clients an edit changed: a clean build renders every
client in processes and writes no record (the digests would cost it more than they save), and
watch keeps its pages in memory. Pinned to rendering every page by tests/test_page_shelf.py.
"""

from __future__ import annotations

import contextlib
import pickle
import zlib
from typing import Callable

from hourbook.build.digests import contracts_by_digest
from hourbook.build.digests import digest_of
from hourbook.build.digests import stable_form
from hourbook.build.digests import values_digest
from hourbook.build.record_store import RecordStore
from hourbook.build.rendering import PARALLEL_CLIENTS
from hourbook.build.rendering import rendered_in_processes
from hourbook.core.records import Contract
from hourbook.core.records import PricedBooks
from hourbook.render import pages

KIND = "statement-pages"


@contextlib.contextmanager
def shelved_pages(store: RecordStore | None, common: str, priced: PricedBooks, rendering: list[int], jobs: int,
                  contract_form: Callable[[Contract], tuple] = stable_form):
    """The shelf where statements are rendered (`render.pages.STATEMENT_PAGES`) while a one-off build
    renders the clients at `rendering` again on `jobs` cores, when they are few and rendered in this
    process (`rendering.rendered_in_processes`) and there is a `store` (None: a watching process, or
    no cache folder); what they made is saved at the end.

    Args:
        common: the digest of what every page of the build is made of besides its own inputs
            (settings, date, PDF or not, templates, code).
        contract_form: a contract's stable form (`caches.PricingCache.contract_form`, which keeps it).
    """
    if store is None or not 0 < len(rendering) < PARALLEL_CLIENTS or rendered_in_processes(priced, rendering, jobs):
        yield None
        return
    shelf = pages.STATEMENT_PAGES.shelf = PageShelf(store, common, contract_form)
    try:
        yield shelf
    finally:
        pages.STATEMENT_PAGES.shelf = None
        shelf.save([client.contract.id for client in priced.clients])


def record_name(client_id: str) -> str:
    """The record of a client's pages: named for the client (a file name whatever its id), not its
    inputs, so that each client has one and the next build finds it."""
    return digest_of(client_id.encode("utf-8", "surrogatepass"))


class PageShelf:
    """Statement pages by the digest of their inputs, a record per client (see the module)."""

    def __init__(self, store: RecordStore, common: str, contract_form: Callable[[Contract], tuple] = stable_form):
        self.store = store
        self.common = common                # the build's settings, date, PDF or not, templates, code
        self.shelved: dict[str, dict[str, bytes]] = {}      # client id -> digest -> compressed page, as read
        self.now: dict[str, dict[str, bytes]] = {}          # ... as this build made them
        self.reused = 0                     # pages given back from the shelf, for tests
        # A contract is pickled as the digest of its stable form (`contract_form`: the pricing cache's).
        self.table = contracts_by_digest(contract_form)

    def page(self, slot: tuple, inputs: tuple, render: Callable[[], str]) -> str:
        """The page at `slot` (its first part the client's id) made of `inputs` (the environment
        first, left out: the templates' digest stands for it): from the shelf, or `render()`."""
        cid = slot[0]
        try:
            digest = self.digest(slot, inputs[1:])
        except (pickle.PicklingError, TypeError, ValueError, AttributeError, RecursionError):
            return render()                 # not to be told by its digest: rendered, not kept
        packed = self._shelved(cid).get(digest)
        text = _unpacked(packed) if packed is not None else None
        if text is None:
            text = render()
            packed = zlib.compress(text.encode("utf-8"), 1)
        else:
            self.reused += 1
        self.now.setdefault(cid, {})[digest] = packed
        return text

    def digest(self, slot: tuple, inputs: tuple) -> str:
        """The digest of a page's slot and inputs, the same in every process for equal values
        (a contract by its stable form)."""
        return values_digest(self.common, slot, inputs, table=self.table)

    def _shelved(self, cid: str) -> dict[str, bytes]:
        shelved = self.shelved.get(cid)
        if shelved is None:
            data = self.store.get(KIND, record_name(cid))
            valid = isinstance(data, dict) and all(type(k) is str and type(v) is bytes for k, v in data.items())
            shelved = self.shelved[cid] = data if valid else {}
        return shelved

    def save(self, clients: list[str]) -> None:
        """Write the pages of the clients rendered since the last save, and keep the records of
        `clients` (those of the books: the others' go at the store's prune)."""
        now, self.now = self.now, {}
        for cid, texts in now.items():
            self.store.put(KIND, record_name(cid), texts)
        if self.store.used is not None:
            self.store.used.setdefault(KIND, set()).update(record_name(cid) for cid in clients)


def _unpacked(packed: bytes) -> str | None:
    try:
        return zlib.decompress(packed).decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return None
