"""`check` and `price --json`: the books through the pipeline, the JSON streamed client by client.

The books go through `pipeline.load_and_price`, as for every command. What makes big
books fast plugs into it through its arguments:

- `ForkedLogbooks` (its `logbook_cache`): forked processes parse the later logbooks while
  this process reads the contracts and the first ones (`build/workers.py`);
- `ClientShares` (its `on_loaded` and `price_one`): once the books are loaded, forked
  processes price a share of the clients each, inheriting the books, while this process
  checks the books and prices the first share; each process writes its share's JSON.

The JSON of SPEC §8 is the same bytes as `dump_json(priced_json(priced, diagnostics))`,
written client by client (never held as one text; tests pin it). The report and the JSON
are kept in the cache folder and given again while no input changed.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime
import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hourbook import pipeline
from hourbook.build.cache_folder import cache_dir_of
from hourbook.build.cache_folder import PRICE_REPORT
from hourbook.build.cache_folder import PRICE_TEXT
from hourbook.build.cache_folder import diagnostics_from_json
from hourbook.build.digests import inputs_digest
from hourbook.build.record_store import RecordStore
from hourbook.build.file_index import FileIndex
from hourbook.build.workers import Claims
from hourbook.build.workers import ForkedLogbooks
from hourbook.build.workers import cpu_count
from hourbook.build.workers import fork_pool
from hourbook.build.workers import handed_down
from hourbook.core.memory import no_cyclic_gc
from hourbook.core.pricing import price_client
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import sorted_diagnostics
from hourbook.core.register import REGISTER
from hourbook.load import files
from hourbook.load import listing
from hourbook.output.json import client_text
from hourbook.output.json import diagnostic_json
from hourbook.output.json import json_text
from hourbook.output.json import outstanding_json
from hourbook.site.files import write_file_atomically

NO_CACHE_ENV = "HOURBOOK_NO_CACHE"
PARALLEL_PRICING_ENTRIES = 5_000    # price the clients on every core from this many entries
_CHUNK = 1 << 20


@dataclasses.dataclass
class PriceRun:
    """What `check` and `price --json` report: the diagnostics and the counts (the JSON is streamed)."""

    diagnostics: list[Diagnostic]
    clients: int
    entries: int


def price_run(root: Path, as_of: datetime.date, *, out=None, jobs: int | None = None) -> PriceRun:
    """Load, check and price the books; with `out` (a text stream), write the JSON of SPEC §8 to it.

    Args:
        root: the books folder.
        as_of: the pricing date.
        out: where the JSON goes; None for `check`, which wants the report only.
        jobs: processes to use on big books (default: the machine's cores).

    Returns:
        The diagnostics, sorted, and how many clients and entries the books have.
    """
    folder = cache_dir_of(root)
    use_cache = not os.environ.get(NO_CACHE_ENV) and folder is not None
    key = ""
    listed = listing.list_books(root)       # once: thousands of files are not listed for nothing
    index = FileIndex(RecordStore(folder)) if use_cache else None
    # With no report kept, nothing can be reused: the key is worked out after the run, from the
    # bytes the loader read (`files.recorded_reads`), instead of reading every file twice.
    cold = not use_cache or not (folder / PRICE_REPORT).is_file()
    if index is not None and not cold:
        key = inputs_digest(root, as_of.isoformat(), "price", index=index, listed=listed)
        index.save()
        cached = _read_price_cache(folder, key, out)
        if cached is not None:
            return cached
    sinks = [out] if out is not None else []
    cache_text = None
    if use_cache and out is not None:
        try:
            folder.mkdir(exist_ok=True)
            fd, cache_path = tempfile.mkstemp(prefix=".price.", dir=folder)
            cache_text = os.fdopen(fd, "w", encoding="utf-8")
            sinks.append(cache_text)
        except OSError:
            cache_text = None
    recording = files.recorded_reads() if index is not None and cold else contextlib.nullcontext({})
    try:
        with no_cyclic_gc(), recording as reads:
            run = stream_priced_books(root, as_of, sinks, jobs or cpu_count(), listed)
        if index is not None and cold:
            index.learn(reads)
            key = inputs_digest(root, as_of.isoformat(), "price", index=index, listed=listed)
            index.save()
    except BaseException:
        if cache_text is not None:
            cache_text.close()
            Path(cache_path).unlink(missing_ok=True)
        raise
    if index is not None:
        wrote_text = False
        if cache_text is not None:
            cache_text.close()
            try:
                os.replace(cache_path, folder / PRICE_TEXT)
                wrote_text = True
            except OSError:
                Path(cache_path).unlink(missing_ok=True)
        _write_price_cache(folder, key, run, wrote_text)
    return run


def stream_priced_books(root: Path, as_of: datetime.date, sinks: list, jobs: int,
                        listed: listing.BooksFiles | None = None) -> PriceRun:
    """`pipeline.load_and_price`, its JSON written to each of `sinks` (none for `check`), on `jobs` cores.

    On big books, forked processes parse part of the logbooks, then price and write a share of
    the clients each (or only write them, when an issued.yaml register asks for the whole
    priced books at once: `ClientShares`).
    """
    listed = listed or listing.list_books(root)
    logbooks = ForkedLogbooks.start(root, jobs, listed) if jobs > 1 else None
    shares = ClientShares(root, jobs, writes_json=bool(sinks))

    def on_loaded(books: Books) -> None:
        if logbooks is not None:
            logbooks.close()            # every logbook is read: its processes go before others fork
        shares.start(books, as_of)

    try:
        priced, diagnostics = pipeline.load_and_price(root, as_of, logbook_cache=logbooks,
                                                      price_one=shares.price_one, on_loaded=on_loaded, listed=listed)
        books = priced.books
        run = PriceRun(diagnostics, len(books.contracts) + len(books.broken_clients), len(books.entries))
        if sinks:
            _write_json(priced, shares, sinks, run)
        elif shares.split:
            run.diagnostics = sorted_diagnostics(diagnostics, *(more for _, _, more in shares.results()))
    finally:
        if logbooks is not None:
            logbooks.close()
        shares.close()
    return run


def _write_json(priced: PricedBooks, shares: ClientShares, sinks: list, run: PriceRun) -> None:
    """The JSON of `dump_json(priced_json(...))`: the clients in order, then the diagnostics."""
    def write(chunk: str) -> None:
        for sink in sinks:
            sink.write(chunk)

    def write_encoded(data: bytes) -> None:
        for sink in sinks:
            write_utf8(sink, data)

    count = len(priced.books.contracts)
    write('{\n  "clients": [\n    ' if count else '{\n  "clients": []')
    if shares.split:
        run.diagnostics = sorted_diagnostics(run.diagnostics, *shares.write_chunks(priced, write, write_encoded))
    else:
        _write_shares(priced, shares, sinks, write, run)
    if count:
        write("\n  ]")
    for key, value in outstanding_json(priced.receivables).items():
        write(f',\n  "{key}": ' + json_text(value, 1))
    write(',\n  "diagnostics": ' + json_text([diagnostic_json(d) for d in run.diagnostics], 1) + "\n}\n")


def _write_shares(priced: PricedBooks, shares: ClientShares, sinks: list, write, run: PriceRun) -> None:
    """The clients of books priced whole here: the first share written here, the others by the
    processes of `write_later_shares` (one share each), copied in order."""
    shares.write_later_shares(priced)
    first, last = shares.bounds[0] if shares.pool is not None else (0, len(priced.books.contracts))
    write_clients(priced, first, last, sinks)
    more = []
    for (first, last), (path, diagnostics) in zip(shares.bounds[1:], shares.results()):
        more.append(diagnostics)
        try:
            if last > first:
                write(",\n    ")
                with open(path, encoding="utf-8") as share_text:
                    while chunk := share_text.read(_CHUNK):
                        write(chunk)
        finally:
            os.unlink(path)
    run.diagnostics = sorted_diagnostics(run.diagnostics, *more)


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
        self._price, self.mine = claimed_pricer(books, chunks, claims)
        self.futures = [self.pool.submit(_price_chunks_forked) for _ in range(self.jobs - 1)]

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

    def write_chunks(self, priced: PricedBooks, write, write_encoded) -> list[list[Diagnostic]]:
        """Split: every chunk's JSON in order, `,\\n    `-separated, to `write` (text) and `write_encoded`
        (the same as UTF-8 bytes): this process's written to a temporary file first (while the others
        write theirs), then all copied. The others' diagnostics."""
        files, more = {}, []
        try:
            own = chunks_json(priced, self.chunks, self.mine)
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


def claimed_pricer(books: Books, chunks: list[tuple[int, int]], claims: Claims):
    """A `price_one` that prices the clients of the chunks it claims as it comes to them (in id order,
    as `price_books` goes), the others as having no statements; and the list of the chunks it claimed."""
    ids = sorted(contract.id for contract in books.contracts)
    chunk_of = {client: chunk for chunk, (first, last) in enumerate(chunks) for client in ids[first:last]}
    decided: dict[int, bool] = {}
    mine: list[int] = []

    def price_one(contract, entries, as_of, begins=None, late=None):
        chunk = chunk_of[contract.id]
        ours = decided.get(chunk)
        if ours is None:
            ours = decided[chunk] = claims.claim(chunk)
            if ours:
                mine.append(chunk)
        if ours:
            return price_client(contract, entries, as_of, begins, late)
        return PricedClient(contract, ()), []

    return price_one, mine


def chunks_json(priced: PricedBooks, chunks: list[tuple[int, int]], mine: list[int]) -> tuple[str, list]:
    """The JSON of the clients of chunks `mine`, chunk after chunk, in a temporary file (UTF-8):
    (its path, [(chunk, first byte, end byte)])."""
    fd, path = tempfile.mkstemp(prefix="hourbook-price-")
    pieces = []
    with os.fdopen(fd, "wb") as sink:
        for chunk in mine:
            first, last = chunks[chunk]
            start = sink.tell()
            for index in range(first, last):
                text = client_text(priced.clients[index], priced.receivables)
                sink.write((text if index == first else ",\n    " + text).encode("utf-8"))
            pieces.append((chunk, start, sink.tell()))
    return path, pieces


def _price_chunks_forked() -> tuple[str | None, list, list[Diagnostic]]:
    """In a forked process: price the chunks of clients no other process has claimed, with the pipeline's
    stages after the checks, and write their JSON to a temporary file (none for `check`): the file,
    [(chunk, first byte, end byte)] in it, and the diagnostics."""
    books, as_of, root = handed_down("books"), handed_down("as_of"), handed_down("root")
    chunks = handed_down("chunks")
    price_one, mine = claimed_pricer(books, chunks, handed_down("claims"))
    priced, diagnostics = pipeline.price_and_check(root, books, as_of, price_one=price_one)
    if not handed_down("writes_json"):
        return None, [], diagnostics
    path, pieces = chunks_json(priced, chunks, mine)
    return path, pieces, diagnostics


def _write_share_forked(first: int, last: int) -> str:
    """In a forked process (the priced books are inherited, not copied): JSON to a temporary file."""
    fd, path = tempfile.mkstemp(prefix="hourbook-price-")
    with os.fdopen(fd, "w", encoding="utf-8") as sink:
        write_clients(handed_down("priced"), first, last, [sink])
    return path


# ---------------------------------------------------------------- the cached report


def write_utf8(sink, data: bytes) -> None:
    """`data`, UTF-8 text whole, to the text stream `sink`: as bytes to the buffer under it when it writes
    UTF-8 and translates no newline (a file, standard output: 70 MB of JSON not decoded and encoded
    again, 0.1 s at 100 000 entries), else as text."""
    raw = _raw_buffer(sink)
    if raw is None:
        sink.write(data.decode("utf-8"))
    else:
        sink.flush()                        # what was written as text goes first
        raw.write(data)


def _raw_buffer(sink):
    """The byte stream under `sink` when bytes written to it are what `sink.write` of their text would
    write (UTF-8, newlines as they are), else None."""
    buffer, encoding = getattr(sink, "buffer", None), getattr(sink, "encoding", None)
    if buffer is None or not isinstance(encoding, str) or os.linesep != "\n":
        return None
    try:
        return buffer if codecs.lookup(encoding).name == "utf-8" else None
    except LookupError:
        return None


def _read_price_cache(folder: Path, key: str, out) -> PriceRun | None:
    """The last run's report when its inputs digest is `key`, its JSON copied to `out`; else None."""
    try:
        report = json.loads((folder / PRICE_REPORT).read_text(encoding="utf-8"))
        if report.get("key") != key or (out is not None and report.get("text_key") != key):
            return None
        raw = _raw_buffer(out) if out is not None else None
        if raw is not None:
            out.flush()
            with open(folder / PRICE_TEXT, "rb") as cached:
                shutil.copyfileobj(cached, raw, _CHUNK)
        elif out is not None:
            with open(folder / PRICE_TEXT, encoding="utf-8") as cached:
                while chunk := cached.read(_CHUNK):
                    out.write(chunk)
    except (OSError, ValueError):
        return None
    return PriceRun(diagnostics_from_json(report["diagnostics"]), report["clients"], report["entries"])


def _write_price_cache(folder: Path, key: str, run: PriceRun, wrote_text: bool) -> None:
    """Keep the report; `text_key` says which inputs the kept JSON (price.txt) is of."""
    try:
        folder.mkdir(exist_ok=True)
        report = {"key": key, "clients": run.clients, "entries": run.entries,
                  "diagnostics": [diagnostic_json(d) for d in run.diagnostics]}
        if wrote_text:
            report["text_key"] = key
        else:
            try:
                old = json.loads((folder / PRICE_REPORT).read_text(encoding="utf-8"))
                if old.get("text_key") == key:
                    report["text_key"] = key
            except (OSError, ValueError):
                pass
        write_file_atomically(folder / PRICE_REPORT, json.dumps(report).encode("utf-8"))
    except OSError:
        pass  # a read-only books folder: no cache, same output
