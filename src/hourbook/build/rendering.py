"""Rendering in a build: the clients whose pages changed, in processes when many, then their PDFs.

Pages go through `render.render_site`, the one render entry, a few clients at a time. A
statement's PDF is not made while its pages render: `DeferredPdfs` stands in for the PDF
writer, answers from the PDF cache (.hourbook-cache/pdf/, by the digest of the HTML and
the templates) or leaves a placeholder; the PDFs still missing are made once every page
is rendered, spread over the cores (WeasyPrint holds the GIL), and put in place of their
placeholders by `fill_pdfs`. Results are put in place by path, so the output is the same
in any order and with any number of processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
from concurrent.futures import as_completed
from pathlib import Path
from typing import Callable

from hourbook.build.digests import code_digest
from hourbook.build.client_parts import DiskClientRequests
from hourbook.build.client_parts import DiskPeopleSums
from hourbook.build.disk_cache import DiskPricingCache
from hourbook.build.digests import digest_of
from hourbook.build.versions import KeptVersions
from hourbook.build.workers import fork_pool
from hourbook.build.workers import handed_down
from hourbook.checks.requests import reason_tags
from hourbook.core.records import PricedBooks
from hourbook.git import Provenance
from hourbook.output.progress import Progress
from hourbook.render import PEOPLE_PAGE
from hourbook.render import REQUESTS_PAGE
from hourbook.render import every_entry_files
from hourbook.render.dashboard import client_report
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render import render_site
from hourbook.site.files import write_file_atomically

PARALLEL_CLIENTS = 24               # render clients in processes when at least this many must be ...
PARALLEL_STATEMENTS = 600           # ... or two or more of them that hold this many statements
PARALLEL_PDFS = 4                   # ... and PDFs when at least this many must be
PARALLEL_OWNER_ENTRIES = 5_000     # ... and the owner's every-entry pages beside them, from this many entries
_PENDING = b"\0hourbook-pdf-pending:"


@dataclasses.dataclass(frozen=True)
class SiteWork:
    """What rendering any client's files takes besides the client: the same for every client of a build."""

    root: Path
    priced: PricedBooks
    folders: dict[str, str]
    pdf: bool
    provenance: Provenance | None   # shown on the clients' owner reports only
    pdf_cache: Path | None          # where PDFs made before are kept (None: nowhere)
    templates: str                  # digest of the books' templates (`digests.templates_digest`)
    report_of: Callable = client_report   # a client's owner report (the builder's cache: a forked
    #                                       process's reports reach the dashboard through its records)
    version: KeptVersions | None = None     # the statements kept as they are on disk, and their digests


class DeferredPdfs:
    """The PDF writer while pages render: a PDF made before at once, else a placeholder.

    The HTML of each PDF still to make waits in `waiting`, by the PDF's cache key.
    """

    def __init__(self, cache: Path | None, templates: str):
        self.cache = cache
        self.templates = templates
        self.waiting: dict[str, str] = {}          # cache key -> HTML

    def __call__(self, html: str) -> bytes:
        """The PDF of `html` from the cache, or a placeholder for it (`fill_pdfs` replaces it)."""
        key = digest_of(self.templates.encode(), code_digest().encode(), html.encode("utf-8"))
        if self.cache is not None:
            try:
                return (self.cache / f"{key}.pdf").read_bytes()
            except OSError:
                pass
        self.waiting[key] = html
        return _PENDING + key.encode() + b"\0"


def render_clients(environment, work: SiteWork, indexes: list[int]) -> list[tuple[int, dict, dict[str, str]]]:
    """The files of the clients at `indexes` (of `work.priced.clients`), one client at a time.

    Returns:
        (index, files, HTML of the PDFs still to make) for each client, in order.
    """
    rendered = []
    for index in indexes:
        pdfs = DeferredPdfs(work.pdf_cache, work.templates)
        files = render_site(work.priced, work.root, work.folders, pdf=work.pdf, provenance=work.provenance,
                            clients=[work.priced.clients[index]], owner=False, environment=environment, to_pdf=pdfs,
                            report_of=work.report_of, version=work.version)
        if work.version is not None:
            work.version.save(work.priced.clients[index].contract.id)
        rendered.append((index, files, pdfs.waiting))
    return rendered


def render_changed_clients(environment, work: SiteWork, indexes: list[int], jobs: int,
                           progress: Progress | None = None,
                           keep: Callable[[dict], dict] | None = None) -> list[tuple[dict, dict[str, str]]]:
    """`render_clients`, in `jobs` forked processes when there are many (same results, same order).

    Args:
        progress: told of each client's pages as they come back to this process.
        keep: each client's files go through it as they are rendered (`spool.Spool.keep`: the
            bytes wait on disk rather than in memory), in the process that rendered them: a forked
            process hands back where its pages wait, not their bytes (at 100 000 entries some 70 MB
            a chunk of clients, which this process held twice, pickled and not, at its peak).

    Raises:
        TemplateProblem: a books template failed for one of the clients (located).
    """
    progress = progress or Progress()
    keep = keep or (lambda files: files)
    pool = None
    if rendered_in_processes(work.priced, indexes, jobs):
        compile_templates(environment)
        pool = fork_pool(jobs, work=work, environment=environment, keep=keep)
    if pool is None:
        rendered = []
        for index in indexes:
            (_, files, waiting), = render_clients(environment, work, [index])
            progress.advance(pages=count_pages(files))
            rendered.append((keep(files), waiting))
        return rendered
    chunks = [indexes[i::jobs * 4] for i in range(min(len(indexes), jobs * 4))]
    by_index = {}
    with pool:
        for future in as_completed([pool.submit(_render_clients_forked, chunk) for chunk in chunks]):
            for index, files, waiting in future.result():
                progress.advance(pages=count_pages(files))
                by_index[index] = (files, waiting)
    return [by_index[index] for index in indexes]


def rendered_in_processes(priced: PricedBooks, indexes: list[int], jobs: int) -> bool:
    """Whether `render_changed_clients` renders the clients at `indexes` (of `priced.clients`) in
    forked processes: with more than one core, when they are many, or when two or more of them
    hold many statements. Twenty clients of five years (54 statements each), rendered again on a
    new day, took 2 s in one process while the other core waited. Not for a few: an edit that
    reaches five such clients renders a dozen statements of each, the rest from the statement-pages
    shelf (`page_shelf`), which only this process fills."""
    if jobs < 2 or not indexes:
        return False
    return len(indexes) >= PARALLEL_CLIENTS or (
        len(indexes) > 1 and sum(len(priced.clients[index].statements) for index in indexes) >= PARALLEL_STATEMENTS)


def count_pages(files: dict) -> int:
    """The HTML pages among a client's files (what `render.client_page_count` foretold)."""
    return sum(rel.endswith(".html") for rel in files)


def _render_clients_forked(indexes: list[int]) -> list[tuple[int, dict, dict[str, str]]]:
    """In a forked process: `render_clients` with the work and the environment handed down (its
    templates compiled before the fork, `compile_templates`), each client's files through `keep`."""
    keep = handed_down("keep")
    return [(index, keep(files), waiting)
            for index, files, waiting in render_clients(handed_down("environment"), handed_down("work"), indexes)]


def compile_templates(environment) -> None:
    """Load hourbook's page templates (or the books' own in their place) now, so that the processes
    forked next inherit them compiled: each used to compile them again, some 0.4 s of CPU a process.

    A template that fails to load is left to the process that renders with it, which reports
    it as a located problem in the books, as it did before.
    """
    for path in sorted(TEMPLATES_DIR.glob("*.html")):
        try:
            environment.get_template(path.name)
        except Exception:           # noqa: BLE001 - reported where it is rendered
            continue


def render_pdf(html: str, template_dirs: list[str], stylesheet: str | None = None) -> bytes:
    """One statement's PDF, loading files from `template_dirs` only, with the pages' `stylesheet`
    (parsed once per process: `render.pdf.parsed_stylesheet`)."""
    from hourbook.render.pdf import html_to_pdf   # WeasyPrint is slow to import: only when a PDF is made

    return html_to_pdf(html, [Path(folder) for folder in template_dirs], stylesheet=stylesheet)


def render_waiting_pdfs(waiting: dict[str, str], template_dirs: list[Path], cache: Path | None,
                        jobs: int, progress: Progress | None = None, stylesheet: str | None = None,
                        workers: PdfWorkers | None = None) -> tuple[dict[str, bytes], str | None]:
    """Make the PDFs that `DeferredPdfs` left waiting, in processes when many, and keep them in the cache.

    Args:
        progress: told of each PDF as it comes back to this process.
        stylesheet: the text of the style.css the pages link (`render.page_stylesheet`).
        workers: processes started for them as the build began, which make them all, however few.

    Returns:
        (cache key -> PDF bytes, the note on how their fonts were subset or None: `pdf_note`,
        asked of a process that made them; none when none was made).
    """
    if not waiting:
        return {}, None
    progress = progress or Progress()
    keys = sorted(waiting)
    dirs = [str(path) for path in template_dirs]
    if workers is not None:
        pool, ours = workers.used(), contextlib.nullcontext()
    else:
        pool = fork_pool(min(jobs, len(keys))) if jobs > 1 and len(keys) >= PARALLEL_PDFS else None
        ours = pool
    made = []
    if pool is None:
        for key in keys:
            made.append(render_pdf(waiting[key], dirs, stylesheet))
            progress.advance(pdfs=1)
        note = pdf_note()
    else:
        with ours:
            for pdf in pool.map(render_pdf, [waiting[key] for key in keys], [dirs] * len(keys),
                                [stylesheet] * len(keys), chunksize=1):
                made.append(pdf)
                progress.advance(pdfs=1)
            note = pool.submit(pdf_note).result()
    pdfs = dict(zip(keys, made))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        for key, data in pdfs.items():
            write_file_atomically(cache / f"{key}.pdf", data)
    return pdfs, note


class PdfWorkers:
    """The processes that make a build's PDFs, forked as the build begins, before the books are read,
    each loading WeasyPrint (0.45 s of a process) while this one reads, prices and renders the HTML.
    They are niced (`PDF_NICENESS`), so that this process is not slowed meanwhile. The PDFs of an
    edit (a dozen statements whose chart moved) then start at once, on every core, with nothing to
    load; and a single PDF is no longer made here after loading WeasyPrint here too.

    A build that makes no PDF (all in the cache, or errors in the books) stops them, loaded or not.
    """

    def __init__(self, pool):
        self.pool = pool
        self.asked = False

    @classmethod
    def start(cls, jobs: int) -> PdfWorkers | None:
        """Fork them, or None where there is no fork or one core (the PDFs are then made as before)."""
        pool = fork_pool(jobs, ready=_ready_for_pdfs) if jobs > 1 else None
        if pool is None:
            return None
        pool.submit(int)                    # the processes fork at the first task
        return cls(pool)

    def used(self):
        """The pool, to make PDFs with."""
        self.asked = True
        return self.pool

    @staticmethod
    def stop(workers: PdfWorkers | None) -> None:
        """`close` them, if any: None, the builder's workers once stopped."""
        if workers is not None:
            workers.close()

    def close(self) -> None:
        """Stop the processes: at once when they made no PDF (they may still be loading WeasyPrint)."""
        if not self.asked:
            # The executor's own processes (no public way before Python 3.14's `terminate_workers`).
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.kill()
        self.pool.shutdown(wait=True, cancel_futures=True)


PDF_NICENESS = 10


def _ready_for_pdfs() -> None:
    """In a PDF process as it starts: lower its priority, and load WeasyPrint."""
    try:
        os.nice(PDF_NICENESS)
    except OSError:
        pass
    importlib.import_module("hourbook.render.pdf")     # WeasyPrint: here, never in the building process


def pdf_note() -> str | None:
    """`render.pdf.font_subsetting_note`, asked of a process that made PDFs: it has WeasyPrint
    loaded. A process that made none (this one, when forked processes made them) would load
    WeasyPrint for the note alone: half a second, after every build that made a PDF."""
    from hourbook.render.pdf import font_subsetting_note   # deferred: WeasyPrint, where PDFs are made

    return font_subsetting_note()


def fill_pdfs(files: dict, pdfs: dict[str, bytes]) -> None:
    """Put each PDF made by `render_waiting_pdfs` in place of its placeholder in `files`."""
    for rel, data in files.items():
        if isinstance(data, bytes) and data.startswith(_PENDING):
            files[rel] = pdfs[data[len(_PENDING):-1].decode()]


class EveryEntryPages:
    """The owner's people and requests pages (`render.every_entry_files`), made in a forked process
    while this one renders the changed clients' pages and the owner's dashboard. The people page is
    made from each client's sums (`core.people.client_sums`), the requests page from each client's
    requests (`core.requests.requests_of_client`), both kept on disk by its priced record
    (`client_parts`): after an edit, only the changed clients' statements are read, and their
    requests made. Without those sums the process made every client's statements (0.3 s at
    100 000 entries) and summed every line, and this one made the requests page so as not to wait
    for it; without those requests, the requests of descriptions a paragraph long were a quarter
    of its time.

    The same bytes as made here: the process inherits the priced books and the compiled
    templates. When it fails, `result` gives None and the caller makes them itself (a books
    template that fails is then reported from this process, located).
    """

    pages = (REQUESTS_PAGE, PEOPLE_PAGE)    # what it makes: `render.owner_files` makes the others

    def __init__(self, pool, future):
        self.pool = pool
        self.future = future

    @classmethod
    def start(cls, environment, priced: PricedBooks, provenance: Provenance | None, jobs: int,
              pricing=None) -> EveryEntryPages | None:
        """Start making them; None when the books are too small to gain from it, or there is one core.
        With the builder's `DiskPricingCache` as `pricing`, each client's part of the pages is kept on
        disk by its priced record (`client_parts`)."""
        if jobs < 2 or len(priced.books.entries) < PARALLEL_OWNER_ENTRIES:
            return None
        people = requests = None
        if isinstance(pricing, DiskPricingCache):
            books = priced.books
            people = DiskPeopleSums(pricing, books.settings, priced.as_of)
            requests = DiskClientRequests(pricing, books.settings, priced.as_of)
        pool = fork_pool(1, every_entry=(environment, priced, provenance, people, requests))
        if pool is None:
            return None
        if people is not None:
            people.keep(priced.clients)
            requests.keep(priced.clients, *requests.reasons_part(reason_tags(priced.books)))
        return cls(pool, pool.submit(_every_entry_forked))

    def result(self) -> dict[str, bytes] | None:
        """The pages, or None (made here then)."""
        try:
            return self.future.result()
        except Exception:           # noqa: BLE001 - any failure there: the caller renders them here
            return None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the process (when the build ends before asking for the pages)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def _every_entry_forked() -> dict[str, bytes]:
    """In the forked process: `every_entry_files` of what was handed down."""
    environment, priced, provenance, people, requests = handed_down("every_entry")
    return every_entry_files(environment, priced, provenance=provenance, pages=EveryEntryPages.pages, people=people,
                             requests=requests)
