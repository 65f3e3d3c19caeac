"""Each client's part of the owner's pages made from every entry (the people page, the requests
page), kept on disk by the key of the client's priced record (`disk_cache.DiskPricingCache`).

Those pages are made in a process of their own beside the dashboard (`rendering.EveryEntryPages`),
from every client. After an edit, a client whose priced record is the last build's has the same
part: its people sums (`core.people.client_sums`, made from its statements, which then stay
unread: `core.deferred`) and its requests (`core.requests.requests_of_client`, made from its
entries that are requests or carry a ticket, whose "logged again" marks compare every request's
text) are read back, and only the changed clients' are made. The building process marks the
records the build uses, which the other process reads and writes (`keep`), so that pruning keeps
them. `tests/test_disk_cache.py` pins each page to a clean build's bytes.
"""

from __future__ import annotations

import datetime

from hourbook.build.digests import digest_of
from hourbook.build.digests import stable_form
from hourbook.build.digests import values_digest
from hourbook.core.people import client_sums
from hourbook.core.records import ClientId
from hourbook.core.records import Entry
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings
from hourbook.core.records import Tag
from hourbook.core.requests import Request
from hourbook.core.requests import requests_of_client


class _ClientParts:
    """Records of one kind, one a client, by its priced record's key and what the part also depends on."""

    kind = ""

    def __init__(self, pricing, settings: Settings, as_of: datetime.date):
        self.store = pricing.store
        self.keys = pricing.keys
        self.common = values_digest(self.kind, stable_form(settings), as_of)

    def key(self, client: ClientId, *more) -> str | None:
        """The record's key: None for a client this build's pricing cache has no key for."""
        priced = self.keys.get(client)
        return digest_of(priced.encode(), self.common.encode(), *more) if priced is not None else None

    def keep(self, clients: list[PricedClient], *more) -> None:
        """In the building process: the records of `clients` are this build's, though another reads them."""
        self.store.keep(self.kind, filter(None, (self.key(client.contract.id, *more) for client in clients)))


class DiskPeopleSums(_ClientParts):
    """`core.people.client_sums` of each client, kept on disk by the key of its priced record and the
    settings, so that the people page (`render.people`) reads no statement of a client whose sums are
    there: in the people page's process after an edit, the clients read back from the disk cache
    keep their statements unmade (`core.deferred`). The building process marks the records the
    build uses, which the other process reads and writes (`keep`), so that pruning keeps them."""

    kind = "people"

    def __init__(self, pricing, settings: Settings, as_of: datetime.date):
        super().__init__(pricing, settings, as_of)
        self.settings, self.as_of = settings, as_of

    def __call__(self, client: PricedClient) -> tuple[dict, dict]:
        key = self.key(client.contract.id)
        found = self.store.get(self.kind, key) if key is not None else None
        if isinstance(found, tuple) and len(found) == 2 and all(type(part) is dict for part in found):
            return found
        sums = client_sums(client, self.settings, self.as_of)
        if key is not None:
            self.store.put(self.kind, key, sums)
        return sums


class DiskClientRequests(_ClientParts):
    """`core.requests.requests_of_client` of each client (its `client_requests` stand-in), kept on disk
    by the key of its priced record, the settings, the day and the reasons."""

    kind = "requests"
    reasons: tuple | None = None        # (the reasons last asked with, their part of the keys)

    def __call__(self, client: ClientId, found: list[tuple[Entry, Tag]], reasons: frozenset[Tag],
                 as_of: datetime.date) -> tuple[Request, ...]:
        if self.reasons is None or self.reasons[0] != reasons:      # the same for every client of a page
            self.reasons = (reasons, self.reasons_part(reasons))
        key = self.key(client, *self.reasons[1])
        made = self.store.get(self.kind, key) if key is not None else None
        if isinstance(made, tuple) and all(type(request) is Request for request in made):
            return made
        made = requests_of_client(client, found, reasons, as_of)
        if key is not None:
            self.store.put(self.kind, key, made)
        return made

    @staticmethod
    def reasons_part(reasons) -> tuple[bytes]:
        """The reasons as a part of a record's key (`key`'s `more`)."""
        return (values_digest("reasons", tuple(sorted(reasons))).encode(),)
