"""The clients of big books priced on every core (`ClientShares`), for `price_run`: in chunks that
each process claims as it comes to them, each chunk's JSON written by the process that priced it.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections import Counter
from pathlib import Path

from hourbook import pipeline
from hourbook.build.workers import Claims
from hourbook.build.workers import fork_pool
from hourbook.build.workers import handed_down
from hourbook.core.pricing import price_client
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.register import REGISTER
from hourbook.load.register import read_register
from hourbook.output.json import client_text

PARALLEL_PRICING_ENTRIES = 5_000    # price the clients on every core from this many entries


def write_clients(priced: PricedBooks, first: int, last: int, sinks: list) -> None:
    """The JSON texts of clients [first, last), `,\\n    `-separated, written one by one to each sink."""
    for index in range(first, last):
        chunk = client_text(priced.clients[index], priced.receivables)
        if index > first:
            chunk = ",\n    " + chunk
        for sink in sinks:
            sink.write(chunk)


# ---------------------------------------------------------------- shares of the clients


class ClientShares:
    """The clients of big books priced on every core, in chunks (runs of clients in id order, the
    order of `price_books`) that each process takes as it comes to them.

    Plugs into `pipeline.load_and_price`: `start` runs from its `on_loaded`, `price_one` is its
    `price_one`. Once the books are loaded, forked processes (which inherit them) go through the
    clients in order, each pricing the chunks no other process has claimed (`workers.Claims`),
    while this process checks the books first and then does the same. A process that falls behind
    (this one, which checks the books; or one the machine slows down) takes fewer chunks: no
    share is fixed in advance. Each process writes its chunks' JSON to a temporary file, and this
    one copies them out in order. The clients a process does not price it takes as having no
    statements; what `check_issued` says about them is then nothing, since with no issued.yaml
    register (the only case the clients are priced apart) it only looks at exemptions (the same
    in every process; duplicates go) and at each client's own lines.

    With a register, the books are priced whole here (the register is compared with all of
    them) and the processes only write a share of the JSON each, from the priced books they
    inherit (`write_later_shares`).
    """

    def __init__(self, root: Path, jobs: int, *, writes_json: bool):
        self.root = root
        self.jobs = jobs
        self.writes_json = writes_json      # `check` writes none: processes help only when they price
        self.pool = None
        self.split = False                  # the clients are priced apart, in claimed chunks (else all here)
        self.shares = 1                     # with a register: the processes that write the JSON
        self.bounds: list[tuple[int, int]] = []   # with a register: each process's clients [first, last)
        self.chunks: list[tuple[int, int]] = []   # split: each chunk's clients [first, last), in id order
        self.mine: list[int] = []           # split: the chunks this process priced
        self.texts: ChunkTexts | None = None    # split, with JSON: this process's chunks' JSON, as they are priced
        self._price = price_client          # what `price_one` does: all clients, or the claimed chunks'
        self.futures: list = []

    def start(self, books: Books, as_of: datetime.date) -> None:
        """Cut the clients in chunks when the books are big, and start the processes that price them."""
        count = len(books.contracts)
        if len(books.entries) < PARALLEL_PRICING_ENTRIES or count < self.jobs or self.jobs < 2:
            return
        if (self.root / REGISTER).exists():
            if self.writes_json:
                self.shares = self.jobs
                self.bounds = [(count * share // self.jobs, count * (share + 1) // self.jobs)
                               for share in range(self.jobs)]
            return
        chunks = client_chunks(books, as_of, max(self.jobs * CHUNKS_PER_PROCESS, len(books.entries) // CHUNK_ENTRIES))
        claims = Claims(len(chunks))
        self.pool = fork_pool(self.jobs - 1, books=books, as_of=as_of, root=self.root, writes_json=self.writes_json,
                              chunks=chunks, claims=claims)
        if self.pool is None:
            return
        self.split = True
        self.chunks = chunks
        self.futures = [self.pool.submit(_price_chunks_forked) for _ in range(self.jobs - 1)]
        # Opened once the processes are forked (at the first submit): theirs are their own.
        self.texts = ChunkTexts(self.root, books, as_of, chunks) if self.writes_json else None
        self._price, self.mine = claimed_pricer(books, chunks, claims, self.texts)

    def price_one(self, contract, entries, as_of: datetime.date, begins: datetime.date | None = None, late=None):
        """`price_client`; once the clients are priced apart, for the chunks this process claims only."""
        return self._price(contract, entries, as_of, begins, late)

    def write_later_shares(self, priced: PricedBooks) -> None:
        """With the books priced whole here: start the processes that write the later shares' JSON."""
        if self.split or self.shares < 2:
            return
        self.pool = fork_pool(self.shares - 1, priced=priced)
        if self.pool is not None:
            self.futures = [self.pool.submit(_write_share_forked, first, last) for first, last in self.bounds[1:]]

    def write_chunks(self, write, write_encoded) -> list[list[Diagnostic]]:
        """Split: every chunk's JSON in order, `,\\n    `-separated, to `write` (text) and `write_encoded`
        (the same as UTF-8 bytes): each process's was written to a temporary file as it priced the chunk
        (`ChunkTexts`), and all are copied here. The others' diagnostics."""
        files, more = {}, []
        try:
            own = self.texts.close()
            files[own[0]] = None
            pieces = {chunk: (own[0], start, end) for chunk, start, end in own[1]}
            for path, their_pieces, diagnostics in self.results():
                files[path] = None
                more.append(diagnostics)
                pieces.update((chunk, (path, start, end)) for chunk, start, end in their_pieces)
            for path in files:
                files[path] = open(path, "rb")
            for chunk in range(len(self.chunks)):
                path, start, end = pieces[chunk]
                text = files[path]
                text.seek(start)
                if chunk:
                    write(",\n    ")
                write_encoded(text.read(end - start))
        finally:
            for path, text in files.items():
                if text is not None:
                    text.close()
                os.unlink(path)
        return more

    def results(self):
        """Each other process's result, as they come: split, (file of its chunks' JSON or None,
        [(chunk, start, end)] in it, diagnostics); with a register, (file of its share's JSON, [])."""
        for future in self.futures:
            result = future.result()
            yield result if self.split else (result, [])

    def close(self) -> None:
        """Shut the processes down (after the results, or on the way out of a failure)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.texts is not None:
            self.texts.remove()


CHUNKS_PER_PROCESS = 16     # chunks of clients a process, at least: a slow process gives up little
CHUNK_ENTRIES = 20_000      # at most about this many entries a chunk (its JSON is read back whole)


def client_chunks(books: Books, as_of: datetime.date, chunks: int) -> list[tuple[int, int]]:
    """About `chunks` runs of clients in id order (the order of `price_books`), about as many entries each."""
    counts = Counter(entry.client for entry in books.entries if entry.date <= as_of)
    sizes = [counts.get(contract.id, 0) + 1 for contract in sorted(books.contracts, key=lambda c: c.id)]
    total, bounds, first, done = sum(sizes), [], 0, 0
    for index, size in enumerate(sizes):
        done += size
        if done * chunks >= total * (len(bounds) + 1) or index == len(sizes) - 1:
            bounds.append((first, index + 1))
            first = index + 1
    return bounds


def claimed_pricer(books: Books, chunks: list[tuple[int, int]], claims: Claims, texts: ChunkTexts | None = None):
    """A `price_one` that prices the clients of the chunks it claims as it comes to them (in id order,
    as `price_books` goes), the others as having no statements, each claimed chunk's JSON written to
    `texts` once its last client is priced; and the list of the chunks it claimed."""
    ids = sorted(contract.id for contract in books.contracts)
    chunk_of = {client: chunk for chunk, (first, last) in enumerate(chunks) for client in ids[first:last]}
    decided: dict[int, bool] = {}
    mine: list[int] = []
    priced: list[PricedClient] = []     # the clients of the chunk being priced, so far

    def price_one(contract, entries, as_of, begins=None, late=None):
        chunk = chunk_of[contract.id]
        ours = decided.get(chunk)
        if ours is None:
            ours = decided[chunk] = claims.claim(chunk)
            if ours:
                mine.append(chunk)
        if not ours:
            return PricedClient(contract, ()), []
        result = price_client(contract, entries, as_of, begins, late)
        if texts is not None:
            priced.append(result[0])
            if contract.id == ids[chunks[chunk][1] - 1]:
                texts.add(chunk, priced)
                priced.clear()
        return result

    return price_one, mine


class ChunkTexts:
    """The JSON of the chunks of clients one process prices, written to a temporary file (UTF-8) as
    each is priced, so that pricing and writing are shared between the processes as one piece of
    work a chunk (`Claims`): the process that checks the books prices fewer chunks and writes fewer."""

    def __init__(self, root: Path, books: Books, as_of: datetime.date, chunks: list[tuple[int, int]]):
        self.root, self.books, self.as_of = root, books, as_of
        self.chunks = chunks
        self.receivables = None         # made at the first chunk (no register here: `ClientShares.start`)
        fd, self.path = tempfile.mkstemp(prefix="hourbook-price-")
        self.sink = os.fdopen(fd, "wb")
        self.pieces: list[tuple[int, int, int]] = []    # (chunk, first byte, end byte)

    def add(self, chunk: int, clients: list[PricedClient]) -> None:
        """Chunk `chunk`'s clients, priced: their JSON, `,\\n    `-separated."""
        if self.receivables is None:
            self.receivables = pipeline.books_receivables_of(self.books, read_register(self.root)[0], self.as_of)[0]
        start = self.sink.tell()
        text = ",\n    ".join(client_text(client, self.receivables) for client in clients)
        self.sink.write(text.encode("utf-8"))
        self.pieces.append((chunk, start, self.sink.tell()))

    def close(self) -> tuple[str, list[tuple[int, int, int]]]:
        """(the file's path, [(chunk, first byte, end byte)]): the file is the caller's to remove."""
        self.sink.close()
        path, self.path = self.path, None
        return path, self.pieces

    def remove(self) -> None:
        """The file gone, unless `close` gave it away."""
        self.sink.close()
        if self.path is not None:
            Path(self.path).unlink(missing_ok=True)


def _price_chunks_forked() -> tuple[str | None, list, list[Diagnostic]]:
    """In a forked process: price the chunks of clients no other process has claimed, with the pipeline's
    stages after the checks, and write their JSON to a temporary file (none for `check`): the file,
    [(chunk, first byte, end byte)] in it, and the diagnostics."""
    books, as_of, root = handed_down("books"), handed_down("as_of"), handed_down("root")
    chunks = handed_down("chunks")
    texts = ChunkTexts(root, books, as_of, chunks) if handed_down("writes_json") else None
    try:
        price_one, _ = claimed_pricer(books, chunks, handed_down("claims"), texts)
        _, diagnostics = pipeline.price_and_check(root, books, as_of, price_one=price_one)
        if texts is None:
            return None, [], diagnostics
        path, pieces = texts.close()
        return path, pieces, diagnostics
    finally:
        if texts is not None:
            texts.remove()


def _write_share_forked(first: int, last: int) -> str:
    """In a forked process (the priced books are inherited, not copied): JSON to a temporary file."""
    fd, path = tempfile.mkstemp(prefix="hourbook-price-")
    with os.fdopen(fd, "w", encoding="utf-8") as sink:
        write_clients(handed_down("priced"), first, last, [sink])
    return path
