"""Worker processes: the one pool factory, and how forked workers get what they work on.

Every process pool of hourbook comes from `fork_pool`: processes forked from this one,
beside it (this process works too). A forked process inherits this one's memory, so the
priced books reach it without being pickled, which for big books would cost more than the
work; what it needs is *handed down*:

    with fork_pool(2, priced=priced, folders=folders) as pool:   # set before any process forks
        pool.map(render_share, shares)                          # forks at the first task
    ...
    def render_share(share):                                    # in a worker
        priced = handed_down("priced")

The values are set when the pool is made and cleared when it shuts down; a pool forks all
its processes at its first task, so they see the values as they were then. One pool at a
time hands values down. Where there is no fork (not on Linux or macOS), there is no pool
and the caller does the work itself, in the same order, to the same result.

Also here: `Claims`, chunks of work that the processes take as they come to them,
`ForkedLogbooks`, which has forked processes parse chunks of the logbook files while this
process reads the contracts and then parses chunks from the end (`price --json` on big books),
and `ForkedChecks`, the checks of the books made in a forked process while this one prices them
(`build` of big books).
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from operator import attrgetter
from pathlib import Path

from hourbook.checks.books import validate
from hourbook.core.memory import no_cyclic_gc
from hourbook.core.records import Entry
from hourbook.core.records import sorted_diagnostics
from hourbook.core.records import Source
from hourbook.load import files
from hourbook.load import limits
from hourbook.load.books import load_logbook
from hourbook.load.contracts import load_contract
from hourbook.load.problems import Problems
from hourbook.load.settings import load_settings
from hourbook.load.file_kind import is_yaml
from hourbook.load.warm import ask_ahead_if_on_disk
from hourbook.load import listing
from hourbook.site.tree import child_dies_with

PARALLEL_LOAD_BYTES = 500_000       # price --json parses the logbooks on every core from this many bytes
YAML_COST = 2                       # what reading a byte of a YAML logbook costs, against a Markdown one
FILE_COST = 2_000                   # ... and opening a file, in Markdown bytes
CHUNKS_PER_PROCESS = 16             # chunks of logbooks a process, at least: a slow process gives up little
PARALLEL_CONTRACTS = 100            # price --json parses the contracts on two cores from this many
CONTRACT_CHUNK = 16                 # ... in chunks of this many, taken by one process or the other

_HANDED_DOWN: dict[str, object] = {}     # the values of the pool that hands some down ...
_HANDED_DOWN_BY: list[ProcessPoolExecutor] = []   # ... and that pool


def cpu_count() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class _ForkPool(ProcessPoolExecutor):
    """A pool of forked processes that clears the values it handed down when it shuts down."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """`ProcessPoolExecutor.shutdown`, then the values this pool handed down go."""
        try:
            super().shutdown(wait=wait, cancel_futures=cancel_futures)
        finally:
            if _HANDED_DOWN_BY and _HANDED_DOWN_BY[0] is self:
                _HANDED_DOWN.clear()
                _HANDED_DOWN_BY.clear()


def fork_pool(workers: int, *, ready=None, **values) -> ProcessPoolExecutor | None:
    """`workers` forked processes beside this one, or None when `workers` < 1 or there is no fork.

    Args:
        workers: how many processes.
        ready: run in each process as it starts, before any task (`rendering.PdfWorkers`).
        values: what the processes read with `handed_down(name)` (see the module).

    Returns:
        The pool (use it in a `with` block, so that it shuts down), or None: do the work here.
    """
    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    # What this process holds now is what the forked ones inherit: frozen, the cyclic collector of
    # each never walks it again (nor writes to it, which would copy its memory page by page).
    gc.freeze()
    dies = child_dies_with(os.getpid())        # a killed build leaves none behind
    pool = _ForkPool(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                     initializer=dies if ready is None else lambda: (dies(), ready()))
    if values:
        _HANDED_DOWN.clear()
        _HANDED_DOWN.update(values)
        _HANDED_DOWN_BY[:] = [pool]
    return pool


def handed_down(name: str):
    """In a forked worker: a value its pool handed down (`fork_pool(..., name=value)`)."""
    return _HANDED_DOWN[name]


class Claims:
    """Chunks of work that processes forked from this one (and this one) take as they come.

    Made before the processes fork, so that all share it: each chunk is taken by the first
    process that claims it, whatever the order; a process that is slowed down (by the machine,
    or by work of its own first) simply takes fewer. Where there is no fork, this process
    claims every chunk.
    """

    def __init__(self, chunks: int):
        self.taken = multiprocessing.get_context("fork").Array("b", chunks) if chunks else None

    def claim(self, chunk: int) -> bool:
        """Take `chunk` for this process: True if no process had it."""
        with self.taken.get_lock():
            if self.taken[chunk]:
                return False
            self.taken[chunk] = 1
            return True

    def last_free(self, after: int) -> int | None:
        """The last chunk after `after` that no process has claimed yet, or None."""
        with self.taken.get_lock():
            for chunk in range(len(self.taken) - 1, after, -1):
                if not self.taken[chunk]:
                    return chunk
        return None


# ---------------------------------------------------------------- forked logbook loading


class ForkedLogbooks:
    """A `logbook_cache` for `pipeline.load_and_price` whose files forked processes parse meanwhile.

    The logbooks, in path order (as `load_logbooks` asks for them), are cut in chunks of about
    the same work. The forked processes go through the chunks from the first, each parsing the
    ones no process has claimed yet (`Claims`) and sending back their entries as tuples of fields
    (an Entry pickles field by field through Python code, slower). This process first reads the
    contracts; then, asked for a file of a chunk another process has, it takes chunks from the
    end while it waits, so that all finish together whatever the machine does. The entries are
    the same as this process would read.
    """

    def __init__(self, pool: ProcessPoolExecutor, files: list[tuple[Path, str]], chunks: list[range],
                 claims: Claims, futures: list):
        self.pool = pool
        self.files = files                  # (path, shown name) of each logbook, in order
        self.chunks = chunks                # each chunk's files, as a range of `files`
        self.claims = claims
        self.futures = futures
        # `str` of each path -> (its chunk, its place in it): two names may show the same, never two paths
        self.chunk_of = {os.fspath(files[index][0]): (chunk, place) for chunk, indexes in enumerate(chunks)
                         for place, index in enumerate(indexes)}
        self.here: dict[int, bool] = {}     # chunk -> parsed here (claimed in order, or taken from the end)
        self.read: dict[str, tuple] = {}    # `str` of a path -> (entries, diagnostics): what was read ahead

    @classmethod
    def start(cls, root: Path, jobs: int, listed: listing.BooksFiles) -> ForkedLogbooks | None:
        """Start parsing the logbooks (as `listing.list_books` lists them) in `jobs - 1` processes;
        None when the books are too small to gain from it (or too big to be read at all, or there
        is no fork)."""
        paths, sizes = listed.logbooks, listed.logbook_sizes
        if None in sizes:
            return None                         # the loader reports it, on its own
        total = sum(sizes)
        if total < PARALLEL_LOAD_BYTES or total > limits.MAX_LOGBOOK_BYTES or _ENTRY_FIELDS[3] != "source.line":
            return None
        files = list(zip(paths, listed.logbook_names_from(root)))
        # Chunks of about the same work: a YAML byte costs YAML_COST times a Markdown one, and every file
        # FILE_COST bytes' worth (opening and reading it), so that many small files weigh what they cost.
        weights = [FILE_COST + size * (YAML_COST if is_yaml(rel) else 1)
                   for (_, rel), size in zip(files, sizes)]
        count = min(len(paths), jobs * CHUNKS_PER_PROCESS)
        starts, done, whole = [0], 0, sum(weights)
        for index, weight in enumerate(weights):
            if index > starts[-1] and done * count >= whole * len(starts):
                starts.append(index)
            done += weight
        chunks = [range(first, last) for first, last in zip(starts, starts[1:] + [len(files)])]
        claims = Claims(len(chunks))
        # The processes inherit the files and the chunks; only a chunk's number is sent (the names
        # of 88 000 small logbooks took a third of a second to send).
        pool = fork_pool(jobs - 1, claims=claims, logbooks=(root, files, chunks))
        if pool is None:
            return None
        futures = [pool.submit(_load_chunk_forked, chunk) for chunk in range(len(chunks))]
        ask_ahead_if_on_disk(paths)     # not in memory: the kernel asked for them all at once (load/warm.py)
        return cls(pool, files, chunks, claims, futures)

    def __call__(self, root: Path, path: Path, rel: str, load):
        """The entries and diagnostics of one logbook: parsed here, or by the process that had it."""
        key = os.fspath(path)
        found = self.chunk_of.get(key)
        if found is None:
            return load(root, path, rel)
        if key in self.read:
            return self.read.pop(key)
        chunk, place = found
        here = self.here.get(chunk)
        if here is None:
            here = self.here[chunk] = self.claims.claim(chunk)
        if here:
            return load(root, path, rel)
        future = self.futures[chunk]
        while not future.done():        # the other process is at it: take a chunk from the end meanwhile
            spare = self.claims.last_free(chunk)
            if spare is None:
                break
            if self.claims.claim(spare):
                self.here[spare] = True
                for index in self.chunks[spare]:
                    spare_path, spare_rel = self.files[index]
                    self.read[os.fspath(spare_path)] = load(root, spare_path, spare_rel)
        rows, diagnostics, read = future.result()[place]
        if read is not None:
            files.record_read(key, *read)
        return [Entry(row[0], row[1], row[2], Source(rel, row[3]), *row[4:]) for row in rows], diagnostics

    def close(self) -> None:
        """Stop the processes (every logbook is read, or the load failed)."""
        for future in self.futures:
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


# Entry's fields as `attrgetter` takes them, the source sent as its line (the path is known).
_ENTRY_FIELDS = tuple("source.line" if f.name == "source" else f.name for f in dataclasses.fields(Entry))


def _load_chunk_forked(chunk: int) -> list | None:
    """In a forked process: a chunk of the logbooks handed down, if no process has claimed it yet:
    for each of its files in order, (entry fields with the source's line for the source,
    diagnostics, what `files.recorded_reads` noted of the file or None); None when another
    process has it."""
    if not handed_down("claims").claim(chunk):
        return None
    root, logbooks, chunks = handed_down("logbooks")
    fields = attrgetter(*_ENTRY_FIELDS)
    result = []
    with no_cyclic_gc(), files.recorded_reads() as reads:
        for index in chunks[chunk]:
            path, rel = logbooks[index]
            entries, diagnostics = load_logbook(root, path, rel)
            result.append(([fields(entry) for entry in entries], diagnostics, reads.get(os.fsdecode(path))))
    return result


# ---------------------------------------------------------------- forked contract loading


class ForkedContracts:
    """A `contract_cache` for `pipeline.load_and_price` whose files a forked process parses meanwhile.

    500 contracts cost `price --json` 0.3 s of parsing, as much as it takes to price 10 000
    entries. As the run begins one process is forked; it reads hourbook.yaml for itself (every
    contract needs it) and takes the contracts in chunks of `CONTRACT_CHUNK` from the last one
    back, while this one, once it has read hourbook.yaml, takes them from the first (`Claims`: each
    chunk is the first taker's), until they meet. A contract the other process parsed comes back
    pickled with its diagnostics and what `files.recorded_reads` noted of its file, as
    `load_contract` gives them here; all of them are parsed here again should that process have
    read other settings (hourbook.yaml changed in between). Where there is no fork, every contract
    is parsed here."""

    def __init__(self, paths: list[str], claims: Claims, pool):
        self.paths = paths
        self.place = {path: index for index, path in enumerate(paths)}
        self.claims = claims
        self.pool = pool
        self.future = pool.submit(_load_contracts_forked)
        self.mine: dict[int, bool] = {}     # chunk -> taken by this process
        self.theirs: dict | None = None     # path -> (contract, diagnostics, read) of the other process

    @classmethod
    def start(cls, root: Path, jobs: int, listed: listing.BooksFiles) -> ForkedContracts | None:
        """Start parsing the contracts in a forked process, for books of `PARALLEL_CONTRACTS` or more
        on two cores or more; None otherwise (or where there is no fork)."""
        if jobs < 2 or len(listed.contracts) < PARALLEL_CONTRACTS:
            return None
        paths = [os.fspath(path) for path in listed.contracts]
        claims = Claims(-(-len(paths) // CONTRACT_CHUNK))
        pool = fork_pool(1, claims=claims, contracts=(root, paths, listed.settings))
        return cls(paths, claims, pool) if pool is not None else None

    def __call__(self, root: Path, path: Path, rel: str, load, settings):
        """`load(root, path, rel, settings)` here, or what the other process made of the file."""
        key = os.fspath(path)
        index = self.place.get(key)
        if index is None:
            return load(root, path, rel, settings)
        chunk = index // CONTRACT_CHUNK
        if chunk not in self.mine:
            self.mine[chunk] = self.claims.claim(chunk)
        if self.mine[chunk]:
            return load(root, path, rel, settings)
        if self.theirs is None:
            try:
                read_with, done = self.future.result()
            except Exception:               # the process failed (killed, out of memory): parse here
                read_with, done = None, {}
            self.theirs = done if read_with == settings else {}
        found = self.theirs.get(key)
        if found is None:                   # read with other settings (or, never, not parsed there)
            return load(root, path, rel, settings)
        contract, diagnostics, read = found
        if read is not None:
            files.record_read(key, *read)
        return contract, diagnostics

    def close(self) -> None:
        """Stop the process (every contract is read, or the load failed)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _load_contracts_forked() -> tuple:
    """In a forked process: the settings it read, and the contracts of the chunks it claims, from the
    last back until a chunk is taken: path -> (contract, diagnostics, what `files.recorded_reads`
    noted of the file or None)."""
    claims = handed_down("claims")
    root, paths, settings_file = handed_down("contracts")
    done = {}
    with no_cyclic_gc(), files.recorded_reads() as reads:
        settings = load_settings(root, settings_file, Problems())
        for chunk in range(len(claims.taken) - 1, -1, -1):
            if not claims.claim(chunk):
                break
            for key in paths[chunk * CONTRACT_CHUNK:(chunk + 1) * CONTRACT_CHUNK]:
                path = Path(key)
                contract, diagnostics = load_contract(root, path, listing.relative(root, path), settings)
                done[key] = (contract, diagnostics, reads.get(key))
    return settings, done


# ---------------------------------------------------------------- the checks in a forked process


class ForkedChecks:
    """`checks.books.validate` in a forked process while this one prices the books (`build` of big
    books): the pipeline's `validator` stand-in, which starts the checks and gives nothing, their
    diagnostics added by `merged` once the books are priced. The books' diagnostics are a set, in
    one order (`sorted_diagnostics`), so they are the same. Where there is no fork, or the books are
    small, the checks are made in the call by `checker` (default: `validate`), as the pipeline
    would. Used as a context manager: the process stops on the way out."""

    def __init__(self, jobs: int, checker=None):
        self.jobs = jobs
        self.checker = checker or validate
        self.checked = None                 # (books, as_of) checked in the other process
        self.pool = self.future = None

    def __call__(self, books, as_of) -> list:
        if self.jobs >= 2 and len(books.entries) >= PARALLEL_CHECK_ENTRIES:
            self.pool = fork_pool(1, checked=(books, as_of))
        if self.pool is None:
            return self.checker(books, as_of)
        self.checked = (books, as_of)
        self.future = self.pool.submit(_validate_forked)
        return []

    def merged(self, diagnostics: list) -> list:
        """`diagnostics` with those of the checks the other process made, sorted (as they are when the
        call made them)."""
        if self.future is None:
            return diagnostics
        try:
            found = self.future.result()
        except Exception:       # noqa: BLE001 - any failure there: checked here
            found = validate(*self.checked)
        self.close()
        return sorted_diagnostics(diagnostics, found)

    def close(self) -> None:
        """Stop the process (after the result, or when the build ended before asking)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> ForkedChecks:
        return self

    def __exit__(self, *unused) -> None:
        self.close()


PARALLEL_CHECK_ENTRIES = 20_000     # from this many entries (the checks take 2 us an entry; a fork some 15 ms)


def _validate_forked() -> list:
    """In the forked process: the checks of the books handed down."""
    with no_cyclic_gc():
        return validate(*handed_down("checked"))
