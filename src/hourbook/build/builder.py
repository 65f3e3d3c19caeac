"""Incremental builds: reuse what unchanged inputs gave last time, and get the same bytes.

A build is the pipeline (load -> check -> price -> compare -> try templates), then render
and write, as `hourbook build` does; a `Builder` keeps what each step made, keyed by its
inputs, and redoes only what an input change reaches:

- when no input changed since the last build of the site (the link secret a first build makes
  among them), nothing is loaded: the build reports the site up to date (`digests.inputs_digest`);
- a logbook or contract file is read again only when it changed on disk, and a client is
  priced again only when its contract or entries changed (`caches`, plugged into
  `pipeline.load_and_price`; on disk too, `disk_cache`);
- a client's pages are rendered again only when a digest of everything they are made from
  changed: its contract and entries, its account (invoice states, payments, invoice PDFs:
  `render.account.account_inputs`), settings, as-of date, the books' first day and its
  late moves (pricing inputs beside its entries), public folder, PDF switch, the
  template files and hourbook's own code. The digest and the files it gave are kept
  in the build state, so a new process (`hourbook build`) reuses the pages of the site on
  disk too (`publish.PublishedSite.files_on_disk`);
- the commit the books are at (`git.provenance`) is shown on the owner's pages only, so a
  commit, or an edit that turns the books dirty, re-renders no statement and no PDF: the
  owner's pages are restamped (`restamping`), or rendered alone when that cannot be told;
- pages are rendered by `render.render_site`, the one render entry, in processes when many
  clients changed; a PDF only when its HTML is not in the PDF cache (`rendering`);
- the site is put in place whole, or in watch mode folder by folder (`publish`); errors: nothing.

The owner's index is rendered on every build, from the reports of the clients that did not change
(on disk too, by the client's page digest: `disk_cache.DiskReportCache`). An incremental build gives
a clean build's bytes but for the date of a statement a later day left as it was (`versions`).
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from pathlib import Path
from typing import Callable
from typing import Iterable

from hourbook import git
from hourbook import pipeline
from hourbook.load import listing
from hourbook.load import relisting
from hourbook.build import cache_folder
from hourbook.build.cache_folder import FORMAT
from hourbook.build.cache_folder import diagnostics_from_json
from hourbook.build.caches import ContractCache
from hourbook.build.caches import LogbookCache
from hourbook.build.caches import PageCache
from hourbook.build.caches import PricingCache
from hourbook.build.caches import ValidationCache
from hourbook.build.order_cache import PricingOrderCache
from hourbook.build.caches import RenderedClient
from hourbook.build.caches import ReportCache
from hourbook.build.digests import code_digest
from hourbook.build.digests import digest_of
from hourbook.build.digests import inputs_digest
from hourbook.build.digests import stable_form
from hourbook.build.digests import templates_digest
from hourbook.build.digests import values_digest
from hourbook.build.disk_cache import DiskContractCache
from hourbook.build.disk_cache import DiskLogbookCache
from hourbook.build.disk_cache import DiskPricingCache
from hourbook.build.disk_cache import DiskReportCache
from hourbook.build.disk_cache import RecordStore
from hourbook.build.file_index import FileIndex
from hourbook.build.page_shelf import shelved_pages
from hourbook.build.read_ahead import read_ahead
from hourbook.build.publish import PublishedSite
from hourbook.build.build_result import BuildResult
from hourbook.build.restamping import ReportsMade
from hourbook.build.restamping import report_restamper
from hourbook.build.restamping import reports_made_again
from hourbook.build.template_cache import TemplateCodeCache
from hourbook.build.restamping import restamped_site
from hourbook.build.site_units import top_level_files
from hourbook.build.spool import OnDisk
from hourbook.build.spool import Spool
from hourbook.build.versions import kept_versions
from hourbook.build.rendering import EveryEntryPages
from hourbook.build.rendering import PdfWorkers
from hourbook.build.rendering import SiteWork
from hourbook.build.rendering import fill_pdfs
from hourbook.build.rendering import render_changed_clients
from hourbook.build.rendering import render_waiting_pdfs
from hourbook.build.workers import ForkedChecks
from hourbook.build.workers import cpu_count
from hourbook.core.memory import no_cyclic_gc
from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.output.json import diagnostic_json
from hourbook.output.progress import Progress
from hourbook.render.account import account_inputs
from hourbook.render import OWNER_PAGE_COUNT
from hourbook.render import client_page_count
from hourbook.render import page_stylesheet
from hourbook.render import render_site
from hourbook.render.html import TemplateProblem
from hourbook.render.html import make_environment
from hourbook.render.html import template_folders
from hourbook.render.restamp import shows_provenance
from hourbook.site.files import SiteError
from hourbook.site.folder import SITE_MARKER
from hourbook.site.secret import public_folders
from hourbook.site.secret import read_secret
from hourbook.site.secret import secret_file_mode

OWNER_FILES = ("public/robots.txt", "owner/index.html")     # made from every client, not one


class Builder:
    """Builds one books folder's site again and again, redoing only what changed.

    Args:
        root: the books folder.
        as_of: the pricing date (a function, so that a long watch follows the calendar).
        out: the site folder (default: root/site).
        pdf: render PDFs.
        jobs: processes for rendering (default: the machine's cores).
        disk_cache: keep the build state and the PDFs in root/.hourbook-cache/.
    """

    def __init__(self, root: Path, as_of: Callable[[], datetime.date], *, out: Path | None = None, pdf: bool = True,
                 jobs: int | None = None, disk_cache: bool = True):
        self.root = Path(root)
        self.as_of = as_of
        self.out = (Path(out) if out else self.root / "site").absolute()
        self.pdf = pdf
        self.jobs = jobs or cpu_count()
        self.cache_dir = cache_folder.cache_dir_of(self.root) if disk_cache else None
        self.logbooks = LogbookCache()
        self.contracts = ContractCache()
        self.pricing = PricingCache()
        self.validation = ValidationCache()
        self.order = PricingOrderCache()        # the entries' sort into pricing order (order_cache)
        self.records = None                     # records on disk behind the two file caches above (disk_cache)
        self.file_index = FileIndex()           # the digests of the books files' bytes (file_index)
        self.listed: listing.BooksFiles | None = None   # the last build's listing of the books (`listing`)
        self.changed: set[str] | None = None            # what this build was told changed, as listed (`build`)
        self.relisted = False                   # whether the last listing came from `relisting.relist`
        self.stopped_walk: Exception | None = None      # `listing_is_current`'s, until the next build ends
        if self.cache_dir is not None:
            self.records = RecordStore(self.cache_dir)
            self.file_index = FileIndex(self.records)
            self.logbooks = DiskLogbookCache(self.records, self.file_index)
            self.contracts = DiskContractCache(self.records, self.file_index)
            self.pricing = DiskPricingCache(self.records, self.logbooks)
        self.reports = ReportCache() if self.records is None else DiskReportCache(self.records)
        self.pages = PageCache()
        self.env = None                         # ((templates digest, template folders), Jinja2 environment)
        self.git_status = git.BooksStatus()     # watch: git asked about the changed files only
        self.background_cleanup = False         # watch mode: swap changed folders only, clean up in threads
        self.published = PublishedSite(self.root, self.out, self.cache_dir)
        self.pdf_workers: PdfWorkers | None = None      # a one-off build's, forked as it begins

    def site_folder_problem(self) -> str | None:
        """Why the site must not be written where it goes, or None (`PublishedSite.folder_problem`)."""
        return self.published.folder_problem()

    def flush(self) -> None:
        """Wait until the state saved in the background (watch mode) is on disk."""
        self.published.flush()

    def build(self, on_pages: Callable[[], None] | None = None, progress: Progress | None = None,
              changed: Iterable[str] | None = None) -> BuildResult:
        """Check, price, render what changed and write the site; never raises for bad books.

        Args:
            on_pages: watch mode: when few pages changed, write the clients' pages first, call
                this, then render and write the owner dashboard (which depends on every client,
                and takes longest). Without it, everything is written at once.
            progress: told what the build is doing and how many pages and PDFs it has made
                (`output.progress`); the caller closes it.
            changed: watch mode: the only paths that changed since the last build, when the file
                system said so; the books are then listed from the last listing (`relisting.relist`)
                rather than walked again. None: walked.
        """
        self.changed = relisting.as_listed(self.root, changed) if changed is not None else None
        progress = progress or Progress()
        started = time.perf_counter()
        refusal = self.site_folder_problem()       # before anything is loaded, written or renamed
        if refusal:
            return BuildResult(False, [], error=refusal, seconds=time.perf_counter() - started)
        as_of = self.as_of()
        provenance = self.git_status.start(self.root, self.changed)     # git answers while the books are read
        self.file_index.begin(self.changed)
        self.logbooks.changed = self.changed
        self.logbooks.keep_whole = self.background_cleanup      # watch: the next build splices its edit in
        try:
            return self._build_if_changed(as_of, provenance, progress, on_pages, started)
        finally:
            provenance.result()                 # read in any case: the next build asks from this answer
            self.save_caches()
            self.stopped_walk = None

    def listing(self) -> listing.BooksFiles:
        """The books' files now: from the last listing and the paths `build` was told changed, when
        that can be told exactly (`relisting.relist`), else listed again."""
        listed = None
        if self.changed is not None and self.listed is not None:
            listed = relisting.relist(self.listed, self.changed)
        self.relisted = listed is not None
        self.listed = listed if listed is not None else listing.list_books(self.root)
        return self.listed

    def listing_is_current(self, stop: Callable[[], bool] | None = None) -> bool | None:
        """Whether the last build's listing is what a walk of the books gives now: a build that
        took it from the changes it was told (`listing`) is checked after it (watch), in case
        the file system missed one (a full event queue). None: `stop` said to stop first."""
        if self.listed is None:
            return False
        listed = self.listed
        try:
            return relisting.same_listing(listing.list_books(self.root, stop), listed, stop)
        except listing.ListingStopped as stopped:
            # What the walk had made (its traceback holds it: up to 88 000 paths and marks) is let
            # go once the next build is written, not while that build waits: freeing it took 45 ms.
            self.stopped_walk = stopped
            return None

    def save_caches(self) -> None:
        """Keep on disk what this build read and priced that the disk did not hold (each a no-op
        when nothing is new since its last save)."""
        self.file_index.save()
        self.logbooks.save()
        self.pricing.save()

    def _build_if_changed(self, as_of: datetime.date, pending: git.Pending, progress: Progress,
                          on_pages: Callable[[], None] | None, started: float) -> BuildResult:
        """`build` once the site folder may be written: nothing when no input changed."""
        # Every input but the commit; the commit is shown on the owner's pages only (`_restamp`).
        listed = self.listing()                     # once, for the digest and for reading the books
        secret = read_secret(self.root)             # made now when missing: the digest holds it
        books_digest = inputs_digest(self.root, as_of.isoformat(), f"pdf={self.pdf}", self.published.out_key,
                                     secret_file_mode(self.root), index=self.file_index, listed=listed)
        state = self.published.state
        same_books = state.get("books") == books_digest
        if same_books:                              # the commit alone may have changed: it is wanted now
            provenance = pending.result()
            digest = digest_of(books_digest.encode(), repr(provenance).encode())
            if state.get("inputs") == digest and self.published.intact():
                self.published.remove_litter()      # a build killed after its site was in place
                return self._result(state, started, up_to_date=True)
        if not self.background_cleanup:
            self.published.link_early(self.jobs)    # the site's links made, its files looked at, as the books are read
            self.pdf_workers = PdfWorkers.start(self.jobs) if self.pdf and not same_books else None
        try:
            if same_books and not self.background_cleanup:
                restamped = self._restamp(provenance, digest, started)
                if restamped is not None:
                    return restamped
            return self._build(as_of, pending, books_digest, progress, on_pages, started, listed, secret)
        finally:
            self.published.discard_early(check=True)    # what the build did not use (it wrote nothing)
            self.pdf_workers = PdfWorkers.stop(self.pdf_workers)

    def _result(self, state: dict, started: float, **counts) -> BuildResult:
        """The result of a build that kept the last build's books: its diagnostics and counts."""
        return BuildResult(True, diagnostics_from_json(state.get("diagnostics", [])),
                           files=len(state["manifest"]) - (SITE_MARKER in state["manifest"]),
                           statements=state.get("statements", 0), clients=state.get("clients", 0),
                           shared=state.get("shared", 0), seconds=time.perf_counter() - started, **counts)

    def _restamp(self, provenance: git.Provenance | None, digest: str, started: float) -> BuildResult | None:
        """No input changed but the commit (a `git commit`, or its files committed): the site on disk
        with the owner's pages made to show the new commit (`render.restamp`), nothing rendered.

        None when that cannot be done safely, and the site is then built as usual: no commit shown
        before or now (outside git), a site changed since it was written, books templates that show
        the commit themselves, or a page that does not show it where `base.html` puts it.
        """
        state = self.published.state
        old = state.get("provenance")
        old = git.Provenance(*old) if old else None
        locale = state.get("owner_locale")
        if old is None or provenance is None or locale is None or not self.published.intact() \
                or shows_provenance(self.root):
            return None
        site = restamped_site(self.out, state["manifest"], old, provenance, locale)
        if site is None:
            return None
        files, pages = site
        manifest, written = self.published.write(files)
        self.published.save_state({**state, "inputs": digest, "manifest": manifest,
                                   "probe": self.published.probe(manifest), "provenance": provenance},
                                  in_background=False)
        for cid, page in self.pages.clients.items():     # a builder kept in memory: what its clients' files are now
            report = f"owner/{cid}/dashboard.html"
            if report in page.files and report in files:
                self.pages.clients[cid] = dataclasses.replace(page, files={**page.files, report: files[report]},
                                                              provenance=provenance)
        return self._result(state, started, written=written, restamped=len(pages))

    def _load_and_price(self, as_of: datetime.date,
                        listed: listing.BooksFiles | None) -> tuple[PricedBooks, list[Diagnostic]]:
        """`pipeline.load_and_price` through this builder's caches (big books checked meanwhile: `ForkedChecks`;
        watch, which has threads and no fork, checks again only what changed: `ValidationCache`)."""
        checks = ForkedChecks(1, self.validation) if self.background_cleanup else ForkedChecks(self.jobs)
        with no_cyclic_gc(), checks:
            priced, diagnostics = pipeline.load_and_price(self.root, as_of, logbook_cache=self.logbooks,
                                                          contract_cache=self.contracts, price_one=self.pricing,
                                                          validator=checks, listed=listed, sort=self.order)
            diagnostics = checks.merged(diagnostics)
        for cache in (self.logbooks, self.contracts):
            cache.forget_missing(priced.books.files)
        return priced, diagnostics

    def warm(self) -> bool:
        """`read_ahead.read_ahead`: watch, after a first build that found the site up to date (and
        so read nothing), reads the books while the user reads; whether it did."""
        return read_ahead(self)

    def _build(self, as_of: datetime.date, pending: git.Pending, books_digest: str,
               progress: Progress, on_pages: Callable[[], None] | None, started: float,
               listed: listing.BooksFiles | None, secret: tuple[bytes | None, list[Diagnostic]]) -> BuildResult:
        """`build` once the site is known to be out of date; `pending`: the commit the books are at,
        asked of git when the build began and read once the books are."""
        progress.status("reading and pricing the books")
        priced, diagnostics = self._load_and_price(as_of, listed)
        if not self.background_cleanup:
            # Now, not after the site is written: pickling the books' records for the disk takes tens of MB
            # for a moment, on top of what the process holds then, and a one-off build's peak was that
            # moment. Watch keeps them after the pages, which it writes first.
            self.save_caches()
        provenance = pending.result()
        digest = digest_of(books_digest.encode(), repr(provenance).encode())
        secret, secret_problems = secret
        diagnostics = [*diagnostics, *secret_problems]
        if pipeline.has_errors(diagnostics):
            return BuildResult(False, diagnostics, seconds=time.perf_counter() - started)
        folders = public_folders(priced, secret)
        meanwhile = spool = None
        environment = self.environment()        # the templates as they are now, once a build
        try:
            if not self.background_cleanup:      # no fork beside a watcher's threads
                meanwhile = EveryEntryPages.start(environment, priced, provenance, self.jobs, self.pricing)
                # A new process keeps what it rendered on disk until it writes the site (watch keeps the bytes).
                spool = Spool.open(self.cache_dir) if self.cache_dir is not None else None
            progress.status("rendering")
            files, rendered, pdfs, stale, pdf_note = self.render(priced, folders, provenance, progress,
                                                                 keep=spool.keeper(self.published) if spool is not None else None)
            reports = ReportsMade()
            progress.status("writing the site")
            manifest, written = self._write(priced, folders, provenance, files, on_pages, meanwhile,
                                            lambda: self.stale_reports(priced, folders, provenance, stale, reports, progress))
            if spool is not None:
                self.pages.written()            # the pages kept for the next build are in the site now
            progress.advance(pages=OWNER_PAGE_COUNT)        # the owner's dashboard, receivables and requests pages
        except SiteError as exc:
            return BuildResult(False, diagnostics, error=str(exc), seconds=time.perf_counter() - started)
        except TemplateProblem as problem:        # a books template that fails for a client check did not try
            return BuildResult(False, [*diagnostics, problem.diagnostic], seconds=time.perf_counter() - started)
        finally:
            if meanwhile is not None:
                meanwhile.close()
            if spool is not None:
                spool.remove()
        statements = sum(c.statement_count for c in priced.clients)
        self.published.save_state({
            "format": FORMAT, "out": self.published.out_key, "inputs": digest, "books": books_digest,
            "manifest": manifest, "probe": self.published.probe(manifest),
            "statements": statements, "clients": len(priced.clients), "shared": len(folders), "as_of": as_of.isoformat(),
            "pages": {cid: [page.key, sorted(page.files)] for cid, page in self.pages.clients.items()},
            "provenance": provenance,               # what every client's owner report shows
            "owner_locale": priced.books.settings.locale,   # the language of the owner's pages (`_restamp`)
            "diagnostics": [diagnostic_json(d) for d in diagnostics],
        }, in_background=self.background_cleanup)
        if self.records is not None:
            self.records.prune()                # the records this build did not use are of inputs gone
        return BuildResult(True, diagnostics, files=len(files), written=written, rendered_clients=rendered,
                           rendered_pdfs=pdfs, pdf_note=pdf_note, rendered_reports=reports.rendered,
                           restamped=reports.restamped, statements=statements,
                           clients=len(priced.clients), shared=len(folders), seconds=time.perf_counter() - started)

    def _write(self, priced: PricedBooks, folders: dict[str, str], provenance: git.Provenance | None, files: dict,
               on_pages: Callable[[], None] | None, meanwhile: EveryEntryPages | None = None,
               stale_reports: Callable[[], dict[str, bytes]] = dict) -> tuple[dict, int]:
        """Add the owner's files to the clients' `files` and write them all (`PublishedSite.write`);
        in watch mode the clients' pages first when the site is intact (see `build`). The owner
        reports that only show a new commit (`stale_reports`) come with the owner's files: after
        the first edit since a commit, or an edit undone, they are one in each of 500 folders at
        100 000 entries, 1.1 s to swap in, and the edited client's pages do not wait for them."""
        old = self.published.state.get("manifest") or {}
        written = 0
        if on_pages is not None and self.published.intact() and all(rel in old for rel in OWNER_FILES):
            # The files made from every client (the owner's pages, owner.js, robots.txt: the top-level
            # ones) stay as they are until the second write makes them.
            first = {**{rel: OnDisk(old[rel][0]) for rel in top_level_files(old)}, **files}
            manifest, written = self.published.write(first, watch=self.background_cleanup)
            self.published.state = {**self.published.state, "manifest": manifest}
            on_pages()
        files.update(stale_reports())
        files.update(render_site(priced, self.root, folders, pdf=self.pdf, provenance=provenance, clients=(),
                                 environment=self.env[1], report_of=self.reports,
                                 every_entry_pages=meanwhile))
        manifest, more = self.published.write(files, watch=self.background_cleanup)
        return manifest, written + more

    def environment(self):
        """The Jinja2 environment of the books' templates as they are now: compiled templates are
        kept from one build to the next (and on disk, for a new process)."""
        key = (templates_digest(self.root), template_folders(self.root))
        if self.env is None or self.env[0] != key:
            self.env = (key, make_environment(self.root))
            if self.records is not None:
                self.env[1].bytecode_cache = TemplateCodeCache(self.records)
        return self.env[1]

    def render(self, priced: PricedBooks, folders: dict[str, str], provenance: git.Provenance | None,
               progress: Progress | None = None, keep: Callable[[dict], dict] | None = None) -> tuple:
        """Every client's files: unchanged clients' reused, the others rendered (in processes when many).

        The provenance is no input of a client's documents: when it alone changed (a commit, or an
        edit that made the books dirty), a kept client's files are given as they were, and its
        owner report is made again later (`stale_reports`).

        Returns:
            (site path -> bytes or `OnDisk`, clients rendered, PDFs made, the kept clients whose owner
            report shows another commit (`stale_reports` makes them), the note `rendering.pdf_note`).

        Raises:
            TemplateProblem: one of the books' templates failed (for a client whose data the
                pipeline's try of the templates did not meet); a problem in the books, located.
        """
        progress = progress or Progress()
        kept, todo, common = self.kept_clients(priced, folders)
        (templates, template_dirs), _ = self.env    # template_dirs: what a PDF may load, never a folder linked out
        stale = [cid for cid, page in kept.items() if page.provenance != provenance]
        changed = [priced.clients[index] for index, _, _ in todo]
        progress.expect(pages=sum(client_page_count(client, folders) for client in changed) + len(stale) + OWNER_PAGE_COUNT,
                        pdfs=sum(len(client.statements) for client in changed) if self.pdf else 0)
        pdf_cache = cache_folder.usable_folder(self.cache_dir, cache_folder.PDF_FOLDER)
        versions = kept_versions(self.root, self.out, self.published.state, priced, self.records, pdf=self.pdf,
                                 templates=templates, contract_form=self.pricing.contract_form)
        work = SiteWork(self.root, priced, folders, self.pdf, provenance, pdf_cache, templates, self.reports, versions)
        with shelved_pages(None if self.background_cleanup else self.records, common, priced,
                           indexes := [index for index, _, _ in todo], self.jobs, self.pricing.contract_form):
            rendered = render_changed_clients(self.env[1], work, indexes, self.jobs, progress, keep=keep)
        waiting = {key: html for _, client_waiting in rendered for key, html in client_waiting.items()}
        progress.expect(pdfs=len(waiting))                  # the others were in the PDF cache
        pdfs, pdf_note = render_waiting_pdfs(waiting, template_dirs, pdf_cache, self.jobs, progress,
                                             page_stylesheet(self.env[1]) if waiting else None, self.pdf_workers)
        for (index, key, context), (files, _) in zip(todo, rendered):
            fill_pdfs(files, pdfs)
            kept[priced.clients[index].contract.id] = RenderedClient(key, files, priced.clients[index], context,
                                                                     provenance)
        self.pages.replace(kept)
        site_files = {}
        for page in kept.values():
            site_files.update(page.files)
        return site_files, len(todo), len(waiting), stale, pdf_note

    def kept_clients(self, priced: PricedBooks, folders: dict[str, str]) -> tuple[dict, list, str]:
        """The clients whose files need no rendering (kept from the last build, in memory or on disk),
        and the others as (index in `priced.clients`, inputs digest, context); and what every
        client's digest holds (settings, date, templates, code)."""
        if self.env is None:                    # `build` made it for this build's templates
            self.environment()
        (templates, _), _ = self.env
        common = values_digest(stable_form(priced.books.settings), priced.as_of, self.pdf, templates, code_digest())
        on_disk = self.published.state.get("provenance")         # what the reports on disk show
        on_disk = git.Provenance(*on_disk) if on_disk else None
        kept: dict[str, RenderedClient] = {}
        todo: list[tuple[int, str, tuple]] = []
        for index, client in enumerate(priced.clients):
            cid = client.contract.id
            # What its pages show of its account: invoice states, payments, invoice PDFs (render/account.py).
            account = digest_of(account_inputs(self.root, priced, client))
            context = (common, folders.get(cid) if client.contract.share else None, account)
            same = self.pages.same_client(client, context)
            if same is not None:
                kept[cid] = same
                continue
            # The books' first day and the late moves too: a retainer bills from the books' first day
            # (`core.period_figures.books_begin`), which another client's entry can move.
            key = values_digest(common, self.pricing.contract_form(client.contract),
                                self.logbooks.entries_digest(cid, self.pricing.entries_of(client)), context[1], account,
                                stable_form(self.pricing.priced_with(client)))
            if isinstance(self.reports, DiskReportCache):
                self.reports.expect(client, key)     # its owner report: on disk under the same key
            same = self.pages.same_key(cid, key)
            files = same.files if same is not None else self.published.files_on_disk(cid, key)
            if files is not None:
                kept[cid] = RenderedClient(key, files, client, context,
                                           same.provenance if same is not None else on_disk)
            else:
                todo.append((index, key, context))
        return kept, todo, common

    def stale_reports(self, priced: PricedBooks, folders: dict[str, str], provenance: git.Provenance | None,
                      stale: list[str], made: ReportsMade, progress: Progress) -> dict[str, bytes]:
        """The owner reports of the kept clients `stale` (of `render`) made to show `provenance`
        (`restamping.reports_made_again`, counted in `made`). A commit, or the books made dirty by an
        edit or clean by its undoing: of a kept client only its owner report shows it. `_write`
        asks for them with the owner's pages, after watch has written the edited client's: one in
        each of 500 folders at 100 000 entries."""
        restamp = report_restamper(self.root, self.out, provenance, priced.books.settings.locale) if stale else None
        return reports_made_again(self.pages.clients, stale, provenance, restamp, lambda page: render_site(
            priced, self.root, folders, provenance=provenance, clients=[page.client], owner=False, documents=False,
            environment=self.env[1], report_of=self.reports), made, progress)
