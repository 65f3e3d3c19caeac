"""A priced client whose statements are made the first time they are asked for.

`build.disk_cache.DiskPricingCache` reads a client back from the disk cache with its requests
and diagnostics, and its statements as the record's bytes: after an edit, a build keeps the pages
and owner report of every other client and never looks into their statements (0.3 s of the 500
clients of the 100 000-entry bench books). `core.records.PricedClient` is made so by `deferred`;
once made, the statements are the instance's field like any client's, so the client is equal,
hashed, pickled and copied as if priced here.
"""

from __future__ import annotations

from typing import Callable


class DeferredStatements:
    """What `PricedClient` needs to be made with its statements deferred (its base class)."""

    @classmethod
    def deferred(cls, contract, requests: tuple,
                 statements: Callable[[], tuple], count: int) -> DeferredStatements:
        """A client of `contract` and `requests` whose `count` statements `statements()` makes the first
        time they are asked for (once)."""
        client = object.__new__(cls)
        object.__setattr__(client, "contract", contract)
        object.__setattr__(client, "requests", requests)
        object.__setattr__(client, "_statements", (statements, count))
        return client

    @property
    def statement_count(self) -> int:
        """`len(self.statements)`, without making a deferred client's statements."""
        waiting = self.__dict__.get("_statements")
        return waiting[1] if waiting is not None else len(self.statements)

    def __getattr__(self, name: str):
        # Only asked for an attribute the instance does not have: a deferred client's statements.
        waiting = self.__dict__.get("_statements") if name == "statements" else None
        if waiting is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        statements = waiting[0]()
        object.__setattr__(self, "statements", statements)
        self.__dict__.pop("_statements", None)
        return statements

    def __getstate__(self) -> dict:
        self.statements         # noqa: B018 - a deferred client's statements made, to be pickled
        return {key: value for key, value in self.__dict__.items() if key != "_statements"}
