"""`check` and `price --json`: the books through the pipeline, the JSON streamed client by client.

The books go through `pipeline.load_and_price`, as for every command. What makes big
books fast plugs into it through its arguments:

- `ForkedLogbooks` (its `logbook_cache`): forked processes parse the later logbooks while
  this process reads the contracts and the first ones (`build/workers.py`);
- `ClientShares` (its `on_loaded` and `price_one`, `build/price_shares.py`): once the books
  are loaded, forked processes price chunks of the clients, inheriting the books, while this
  process checks the books and then prices chunks too; each process writes the JSON of a
  chunk as soon as it has priced it.

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
from pathlib import Path

from hourbook import pipeline
from hourbook.build.cache_folder import cache_dir_of
from hourbook.build.cache_folder import PRICE_REPORT
from hourbook.build.cache_folder import PRICE_TEXT
from hourbook.build.cache_folder import diagnostics_from_json
from hourbook.build.digests import inputs_digest
from hourbook.build.price_shares import ClientShares
from hourbook.build.price_shares import write_clients
from hourbook.build.record_store import RecordStore
from hourbook.build.file_index import FileIndex
from hourbook.build.workers import ForkedContracts
from hourbook.build.workers import ForkedLogbooks
from hourbook.build.workers import cpu_count
from hourbook.core.memory import no_cyclic_gc
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import sorted_diagnostics
from hourbook.load import files
from hourbook.load import listing
from hourbook.output.json import diagnostic_json
from hourbook.output.json import json_text
from hourbook.output.json import outstanding_json
from hourbook.site.files import write_file_atomically

NO_CACHE_ENV = "HOURBOOK_NO_CACHE"
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
    contracts = ForkedContracts.start(root, jobs, listed)
    shares = ClientShares(root, jobs, writes_json=bool(sinks))

    def close_loaders() -> None:
        for loader in (logbooks, contracts):
            if loader is not None:
                loader.close()

    def on_loaded(books: Books) -> None:
        close_loaders()                 # every file is read: its processes go before others fork
        shares.start(books, as_of)

    try:
        priced, diagnostics = pipeline.load_and_price(root, as_of, logbook_cache=logbooks, contract_cache=contracts,
                                                      price_one=shares.price_one, on_loaded=on_loaded, listed=listed)
        books = priced.books
        run = PriceRun(diagnostics, len(books.contracts) + len(books.broken_clients), len(books.entries))
        if sinks:
            _write_json(priced, shares, sinks, run)
        elif shares.split:
            run.diagnostics = sorted_diagnostics(diagnostics, *(more for _, _, more in shares.results()))
    finally:
        close_loaders()
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
        run.diagnostics = sorted_diagnostics(run.diagnostics, *shares.write_chunks(write, write_encoded))
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
