"""Incremental builds: reuse what unchanged inputs gave last time, and get the same bytes.

A build is load -> validate -> price -> render -> write, like `hourbook build`; a
`Builder` keeps what each stage made, keyed by that stage's inputs, and redoes only
what an input change reaches:

- a logbook file is parsed again only when its size, mtime or inode changed
  (in memory, for watch and serve);
- a client is priced again only when its contract or the identity of its entries
  changed (unchanged files give the very same Entry objects);
- a client's pages are rendered again only when a digest of everything they are made
  from changed: its contract and entries, settings, as-of date, public folder, PDF
  switch, build info, the template files and hourbook's own code. The digest and the
  list of files it gave are kept in `.hourbook-cache/` so a new process (`hourbook
  build`) reuses the pages of the site on disk too;
- a PDF is rendered only when its statement's HTML (with the templates) hashes to a
  PDF not yet in `.hourbook-cache/pdf/`;
- clients and PDFs that must be rendered are spread over the machine's cores, in
  processes (WeasyPrint holds the GIL); results are put in place by path, so the
  output is the same in any order;
- the site is written as a whole, a fresh folder swapped in at once, but only the
  changed files are written: the others are hard-linked from the current site; a
  build with errors writes nothing, a killed build leaves the old site or the new;
- when no input changed at all since the last build of the same site, nothing is
  loaded: the build reports the site up to date.

The owner's index page depends on every client and is rendered on every build, from
client reports kept for the clients that did not change; each client's own report page
(owner/<client>/dashboard.html) goes with that client's pages. Tests
check that an incremental build and a clean build give byte-identical sites.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

from hourbook.load import limits
from hourbook.load import listing
from hourbook.load.books import load_logbook
from hourbook import git
from hourbook import pipeline
from hourbook.checks.issued import register_inputs
from hourbook.core.register import REGISTER
from hourbook.site.files import SiteError
from hourbook.site.files import write_file_atomically
from hourbook.site.folder import SITE_MARKER
from hourbook.site.folder import SITE_MARKER_TEXT
from hourbook.site.folder import check_site_folder
from hourbook.site.secret import SECRET_ENV
from hourbook.site.secret import public_folders
from hourbook.site.secret import read_secret
from hourbook.site.secret import secret_file_mode
from hourbook.site.tree import child_dies_with
from hourbook.site.tree import new_staging
from hourbook.site.tree import remove_folder
from hourbook.site.tree import remove_stale
from hourbook.site.tree import swap_in
from hourbook.core.memory import no_cyclic_gc
from hourbook.core.pricing import price_client
from hourbook.core.records import ERROR
from hourbook.core.records import Diagnostic
from hourbook.core.records import sorted_diagnostics
from hourbook.core.records import PricedBooks
from hourbook.output.json import client_text
from hourbook.output.json import diagnostic_json
from hourbook.output.json import json_text
from hourbook.render.html import TemplateProblem

CACHE_DIR = ".hourbook-cache"
STATE_FILE = "build.json"
WATCH_STATUS = "watch.json"
FORMAT = 1                          # bump when the cache layout changes
PARALLEL_CLIENTS = 24               # render clients in processes when at least this many must be
PARALLEL_PDFS = 4                   # ... and PDFs when at least this many must be
PARALLEL_PRICING_ENTRIES = 20_000   # price --json formats the clients on every core from this many entries
PACKAGE = Path(__file__).resolve().parent.parent   # the hourbook package
OWNER_FILES = ("public/robots.txt", "owner/index.html")     # made from every client, not one


@dataclasses.dataclass
class BuildResult:
    """What one build did."""

    ok: bool
    diagnostics: list[Diagnostic]
    files: int = 0                  # files in the site
    written: int = 0                # files written or removed
    rendered_clients: int = 0
    rendered_pdfs: int = 0
    statements: int = 0
    clients: int = 0
    shared: int = 0
    up_to_date: bool = False
    error: str = ""                 # a site that could not be written (not a problem in the books)
    seconds: float = 0.0


# ---------------------------------------------------------------- digests


def _hash(*parts: bytes) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


_CODE_DIGEST: list[str] = []


def code_digest() -> str:
    """hourbook's own files (code, templates, locales): a new version renders anew."""
    if not _CODE_DIGEST:
        parts = []
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                parts.append(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
        _CODE_DIGEST.append(_hash(f"{FORMAT} {sys.version}".encode(), *parts))
    return _CODE_DIGEST[0]


def input_files(root: Path, listed: listing.BooksFiles | None = None) -> list[Path]:
    """Every file a build reads from the books folder, as `hourbook.load.listing` lists them: no link
    that leads out of the books is followed (`listed`: that listing, when the caller has it)."""
    listed = listed or listing.list_books(root)
    found = listed.paths()
    found += [path for path in (listing.top_file(root, name) for name in ("issued.yaml", listing.SECRET_FILE)) if path]
    return sorted(found)


def inputs_digest(root: Path, *extra: str) -> str:
    """A digest of every input file's path and bytes, plus `extra` (as-of date, switches).

    Also what `check` reads besides files: the names of invoices/*.pdf and, when there is a
    register, issued.yaml as committed in git (the register must only grow).
    """
    digest = hashlib.blake2b(digest_size=20)
    listed = listing.list_books(root)
    # What the listing found wrong (a link out, a folder that cannot be read) is an input too.
    problems = [f"{problem.source}: {problem.message}" for problem in listed.problems]
    for part in (code_digest().encode(), os.environ.get(SECRET_ENV, "").encode(), *(e.encode() for e in extra),
                 "\0".join(problems).encode("utf-8", "surrogateescape")):
        digest.update(len(part).to_bytes(8, "little") + part)
    for path in input_files(root, listed):   # one file at a time: a million entries are 100 MB of logbooks
        try:
            data = path.read_bytes()
        except OSError:
            data = b"<unreadable>"
        name = os.fsencode(path.relative_to(root).as_posix())   # names need not be UTF-8
        digest.update(len(name).to_bytes(8, "little") + name + len(data).to_bytes(8, "little"))
        digest.update(data)
    return _hash(digest.hexdigest().encode(), register_inputs(root))


def templates_digest(root: Path) -> str:
    """The books' templates/ files, names and bytes (no link out of the books followed, see
    `hourbook.load.listing`), and what is wrong with its links."""
    base = root / "templates"
    paths, problems = listing.list_folder(root, "templates")
    parts = [f"{problem.source}: {problem.message}".encode("utf-8", "surrogateescape") for problem in problems]
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"<unreadable>"
        parts.append(os.fsencode(path.relative_to(base).as_posix()) + b"\0" + data)
    return _hash(*parts)


# ---------------------------------------------------------------- load and price, in memory


class LogbookCache:
    """Logbook file -> (entries, diagnostics), parsed again only when the file changed on disk."""

    def __init__(self):
        self.files: dict[str, tuple] = {}

    def __call__(self, root: Path, path: Path, rel: str, load: Callable):
        try:
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
        except OSError:
            return load(root, path, rel)
        hit = self.files.get(rel)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        entries, diags = load(root, path, rel)
        if hit is not None and isinstance(entries, list):
            # A logbook holds many clients' entries (one file per worker and month): keep the
            # very objects of the entries an edit did not touch, so that only the clients whose
            # entries changed are priced again (`PricingCache` compares by identity).
            before = {entry: entry for entry in hit[1]}
            entries = [before.get(entry, entry) for entry in entries]
        self.files[rel] = (key, entries, diags)
        return entries, diags

    def forget_missing(self, seen: set[str]) -> None:
        for rel in set(self.files) - seen:
            del self.files[rel]


class ContractCache(LogbookCache):
    """Contract file -> (contract, diagnostics), read again when the file or hourbook.yaml changed."""

    def __call__(self, root: Path, path: Path, rel: str, load: Callable, settings=None):
        try:
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, settings)
        except OSError:
            return load(root, path, rel, settings)
        hit = self.files.get(rel)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        contract, diags = load(root, path, rel, settings)
        self.files[rel] = (key, contract, diags)
        return contract, diags


class PricingCache:
    """`price_client` that answers from the last build when contract, entries and date are the same."""

    def __init__(self):
        self.clients: dict[str, tuple] = {}
        self.priced = 0

    def __call__(self, contract, entries, as_of):
        hit = self.clients.get(contract.id)
        if (hit is not None and hit[1] == as_of and len(hit[2]) == len(entries)
                and all(a is b for a, b in zip(hit[2], entries)) and hit[0] == contract):
            return hit[3]
        result = price_client(contract, entries, as_of)
        self.priced += 1
        self.clients[contract.id] = (contract, as_of, tuple(entries), result)
        return result


def load_and_price(root: Path, as_of: datetime.date, logbooks: LogbookCache | None = None,
                   pricing: PricingCache | None = None,
                   contracts: ContractCache | None = None) -> tuple[PricedBooks, list[Diagnostic]]:
    """`pipeline.load_and_price` with the caches (the same result)."""
    priced, diagnostics = pipeline.load_and_price(root, as_of, logbook_cache=logbooks, contract_cache=contracts,
                                                  price_one=pricing)
    for cache in (logbooks, contracts):
        if cache is not None:
            cache.forget_missing(set(priced.books.files))
    return priced, diagnostics


# ---------------------------------------------------------------- rendering one client


def client_files(env, priced: PricedBooks, client, folders: dict[str, str], *, pdf: bool, to_pdf,
                 build_info: str) -> dict[str, bytes]:
    """The files of one client, as `render_site` makes them."""
    from hourbook import render

    return render.client_files(env, priced, client, folders, pdf=pdf, to_pdf=to_pdf, build_info=build_info)


def owner_files(env, priced: PricedBooks, folders: dict[str, str], build_info: str,
                reports: ReportCache | None = None) -> dict[str, bytes]:
    """robots.txt and the owner dashboard, as `render_site` makes them."""
    from hourbook import render

    if reports is None:
        return render.owner_files(env, priced, folders, build_info=build_info)
    return render.owner_files(env, priced, folders, build_info=build_info, report_of=reports)


class ReportCache:
    """`client_report` that answers from the last build for a client priced to the very same object.

    `PricingCache` gives an unchanged client the same `PricedClient` object, so identity tells
    that its report (figures, retainer, top tags) is the same too.
    """

    def __init__(self):
        self.reports: dict[str, tuple] = {}

    def __call__(self, client, settings, as_of):
        from hourbook.render.dashboard import client_report

        hit = self.reports.get(client.contract.id)
        if hit is not None and hit[0] is client and hit[2] == as_of and hit[1] == settings:
            return hit[3]
        report = client_report(client, settings, as_of)
        self.reports[client.contract.id] = (client, settings, as_of, report)
        return report


class PdfJobs:
    """Stands in for the PDF writer while pages render: answers from the PDF cache, else notes a job."""

    def __init__(self, cache_dir: Path | None, template_dirs: list[Path], tdigest: str):
        self.cache_dir = cache_dir
        self.template_dirs = template_dirs
        self.tdigest = tdigest
        self.jobs: dict[str, str] = {}          # placeholder/key -> html

    def key(self, html: str) -> str:
        return _hash(self.tdigest.encode(), code_digest().encode(), html.encode("utf-8"))

    def __call__(self, html: str) -> bytes:
        key = self.key(html)
        if self.cache_dir is not None:
            try:
                return (self.cache_dir / "pdf" / f"{key}.pdf").read_bytes()
            except OSError:
                pass
        self.jobs[key] = html
        return _placeholder(key)


def _placeholder(key: str) -> bytes:
    return f"\0hourbook-pdf-pending:{key}\0".encode()


def _pending_key(data) -> str | None:
    if isinstance(data, bytes) and data.startswith(b"\0hourbook-pdf-pending:"):
        return data[len(b"\0hourbook-pdf-pending:"):-1].decode()
    return None


def render_pdf(html: str, template_dirs: list[str]) -> bytes:
    """One statement's PDF (WeasyPrint is imported here, when a PDF is made)."""
    from hourbook.render.pdf import html_to_pdf

    return html_to_pdf(html, [Path(folder) for folder in template_dirs])


# Work for forked processes: set before the pool starts, read by index in the children.
_WORK: dict = {}


def _render_chunk(indexes: list[int]) -> list[tuple[int, dict[str, bytes], dict[str, str]]]:
    from hourbook.render.html import make_environment

    work = _WORK
    env = make_environment(work["root"])
    out = []
    for index in indexes:
        jobs = PdfJobs(work["cache_dir"], work["template_dirs"], work["tdigest"])
        files = client_files(env, work["priced"], work["priced"].clients[index], work["folders"], pdf=work["pdf"],
                             to_pdf=jobs, build_info=work["build_info"])
        out.append((index, files, jobs.jobs))
    return out


def _pool(jobs: int) -> ProcessPoolExecutor | None:
    import multiprocessing

    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ---------------------------------------------------------------- the builder


class Builder:
    """Builds one books folder's site again and again, redoing only what changed.

    Args:
        root: the books folder.
        as_of: the pricing date (a function, so that a long watch follows the calendar).
        out: the site folder (default: root/site).
        pdf: render PDFs.
        jobs: processes for rendering (default: the machine's cores).
        disk_cache: keep the page and PDF caches in root/.hourbook-cache/.
    """

    def __init__(self, root: Path, as_of: Callable[[], datetime.date], *, out: Path | None = None, pdf: bool = True,
                 jobs: int | None = None, disk_cache: bool = True):
        self.root = Path(root)
        self.as_of = as_of
        self.out = (Path(out) if out else self.root / "site").absolute()
        self.pdf = pdf
        self.jobs = jobs or cpu_count()
        self.cache_dir = self.root / CACHE_DIR if disk_cache else None
        self.logbooks = LogbookCache()
        self.contracts = ContractCache()
        self.pricing = PricingCache()
        self.reports = ReportCache()
        self.env = None                         # (templates digest, Jinja2 environment)
        self.background_cleanup = False         # watch mode: remove the old site in a thread
        self.pages: dict[str, tuple] = {}       # client id -> (digest, files, priced client, common digest)
        self.hashes: dict[str, tuple[bytes, str]] = {}  # site path -> (the bytes last written, their sha256)
        self.state = self._read_state()
        self._saving = None                     # watch mode: the thread saving the last state

    # -- state on disk

    def _read_state(self) -> dict:
        if self.cache_dir is None:
            return {}
        try:
            state = json.loads((self.cache_dir / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if state.get("format") != FORMAT or state.get("out") != str(self.out):
            return {}
        if (self.cache_dir / WRITING_MARK).exists():
            return {}                               # a watch died while swapping folders
        return state

    def _write_state(self, state: dict) -> None:
        """Keep the state, and save it for the next process; in watch mode in a thread, as the
        manifest of a big site takes a third of a second to encode and the edit should not wait."""
        self.state = state
        if self.cache_dir is None:
            return
        self._wait_for_state()

        def save() -> None:
            self.cache_dir.mkdir(exist_ok=True)
            write_file_atomically(self.cache_dir / STATE_FILE, json.dumps(state).encode("utf-8"))
            self._mark_writing(False)

        if not self.background_cleanup:
            save()
            return
        import threading

        self._saving = threading.Thread(target=save, name="hourbook-save-state")
        self._saving.start()

    def flush(self) -> None:
        """Wait until the state saved in the background (watch mode) is on disk."""
        self._wait_for_state()

    def _wait_for_state(self) -> None:
        """The state saved in the background is on disk (or the save failed)."""
        saving, self._saving = getattr(self, "_saving", None), None
        if saving is not None:
            saving.join()

    def _site_intact(self) -> bool:
        """The site on disk is the one the state describes (nobody changed or removed it)."""
        manifest = self.state.get("manifest") or {}
        if not manifest or not self.out.is_dir():
            return False
        for rel in self.state.get("probe", []):
            entry = manifest.get(rel)
            try:
                stat = (self.out / rel).stat()
            except OSError:
                return False
            if entry is None or stat.st_size != entry[1] or stat.st_mtime_ns != entry[2]:
                return False
        return True

    def site_folder_problem(self) -> str | None:
        """Why the site must not be written to `self.out` (`check_site_folder`), or None.

        A site written before sites carried `SITE_MARKER` is known by the manifest this
        books folder's last build of the same folder recorded.
        """
        known = self.state.get("manifest") or {} if self.state.get("out") == str(self.out) else {}
        return check_site_folder(self.root, self.out, known)

    # -- one build

    def build(self, on_pages: Callable[[], None] | None = None) -> BuildResult:
        """Check, price, render what changed and write the site; never raises for bad books.

        Args:
            on_pages: watch mode: when few pages changed, write the clients' pages first, call
                this, then render and write the owner dashboard (which depends on every client,
                and takes longest). Without it, everything is written at once.
        """
        started = time.perf_counter()
        refusal = self.site_folder_problem()       # before anything is loaded, written or renamed
        if refusal:
            return BuildResult(False, [], error=refusal, seconds=time.perf_counter() - started)
        as_of = self.as_of()
        build_info = git.build_info(self.root)
        digest = inputs_digest(self.root, as_of.isoformat(), f"pdf={self.pdf}", build_info, str(self.out),
                               secret_file_mode(self.root))
        if self.state.get("inputs") == digest and self._site_intact():
            remove_stale(self.out, keep=_BEING_REMOVED)  # a build killed after its site was in place
            pages = len(self.state["manifest"]) - (SITE_MARKER in self.state["manifest"])
            result = BuildResult(True, [], files=pages, up_to_date=True,
                                 statements=self.state.get("statements", 0), clients=self.state.get("clients", 0),
                                 shared=self.state.get("shared", 0))
            result.diagnostics = [Diagnostic(_source(d), d["message"], d["severity"])
                                  for d in self.state.get("diagnostics", [])]
            result.seconds = time.perf_counter() - started
            return result
        priced, diagnostics = load_and_price(self.root, as_of, self.logbooks, self.pricing, self.contracts)
        secret, secret_problems = read_secret(self.root)
        diagnostics = [*diagnostics, *secret_problems]
        if any(d.severity == ERROR for d in diagnostics):
            return BuildResult(False, diagnostics, seconds=time.perf_counter() - started)
        folders = public_folders(priced, secret)
        try:
            files, rendered, pdfs = self.render(priced, folders, build_info)
        except TemplateProblem as problem:        # a books template that fails for a client check did not try
            return BuildResult(False, [*diagnostics, problem.diagnostic], seconds=time.perf_counter() - started)
        try:
            old = self.state.get("manifest") or {}
            if on_pages is not None and self._site_intact() and all(rel in old for rel in OWNER_FILES):
                first = dict(files)
                first.update({rel: OnDisk(old[rel][0]) for rel in OWNER_FILES})
                manifest, written = self.write(first)
                self.state = {**self.state, "manifest": manifest}
                on_pages()
            else:
                written = 0
            files.update(owner_files(self._environment(), priced, folders, build_info, self.reports))
            manifest, more = self.write(files)
            written += more
        except SiteError as exc:
            return BuildResult(False, diagnostics, error=str(exc), seconds=time.perf_counter() - started)
        except TemplateProblem as problem:
            return BuildResult(False, [*diagnostics, problem.diagnostic], seconds=time.perf_counter() - started)
        probe = sorted(manifest)[:: max(1, len(manifest) // 64)]
        self._write_state({
            "format": FORMAT, "out": str(self.out), "inputs": digest, "manifest": manifest, "probe": probe,
            "statements": sum(len(c.statements) for c in priced.clients), "clients": len(priced.clients),
            "shared": len(folders), "pages": {cid: [page[0], sorted(page[1])] for cid, page in self.pages.items()},
            "diagnostics": [{"path": d.source.path, "line": d.source.line, "severity": d.severity,
                             "message": d.message} for d in diagnostics],
        })
        return BuildResult(True, diagnostics, files=len(files), written=written, rendered_clients=rendered,
                           rendered_pdfs=pdfs, statements=sum(len(c.statements) for c in priced.clients),
                           clients=len(priced.clients), shared=len(folders), seconds=time.perf_counter() - started)

    # -- render

    def render(self, priced: PricedBooks, folders: dict[str, str], build_info: str):
        """Every client's files: cached clients reused, the others rendered (in processes when many).

        Raises:
            TemplateProblem: one of the books' templates failed (for a client whose data the
                pipeline's try of the templates did not meet); a problem in the books, located.
        """
        from hourbook.render.html import make_environment
        from hourbook.render.html import template_folders

        template_dirs = template_folders(self.root)   # what a PDF may load: never a folder linked out
        tdigest = templates_digest(self.root)
        if self.env is None or self.env[0] != (tdigest, template_dirs):
            self.env = ((tdigest, template_dirs), make_environment(self.root))  # compiled templates are kept
        env = self.env[1]
        common = _hash(pickle.dumps((canonical(priced.books.settings), priced.as_of, self.pdf, build_info, tdigest,
                                     code_digest()), protocol=5)).encode()
        files: dict[str, bytes] = {}
        todo: list[tuple[int, str]] = []
        previous_site = self.state.get("manifest") or {}
        disk_pages = self.state.get("pages") or {}
        keep: dict[str, tuple] = {}
        for index, client in enumerate(priced.clients):
            cid = client.contract.id
            folder = folders.get(cid) if client.contract.share else None
            hit = self.pages.get(cid)
            if hit is not None and hit[2] is client and hit[3] == (common, folder):
                files.update(hit[1])        # the very same priced client: no need to digest it again
                keep[cid] = hit
                continue
            # Entries pickle the same in every process; contracts hold frozensets, whose order does not.
            key = _hash(common, pickle.dumps((canonical(client.contract), _client_entries(self.pricing, client), folder),
                                             protocol=5))
            if hit is not None and hit[0] == key:
                files.update(hit[1])
                keep[cid] = (key, hit[1], client, (common, folder))
                continue
            reused = self._from_site(disk_pages.get(cid), key, previous_site)
            if reused is not None:
                files.update(reused)
                keep[cid] = (key, reused, client, (common, folder))
                continue
            todo.append((index, key))
        jobs = PdfJobs(self.cache_dir, template_dirs, tdigest)
        rendered = self._render_clients(env, priced, folders, build_info, todo, jobs, template_dirs, tdigest)
        for (index, key), (client_files_, pdf_jobs) in zip(todo, rendered):
            jobs.jobs.update(pdf_jobs)
            client = priced.clients[index]
            folder = folders.get(client.contract.id) if client.contract.share else None
            keep[client.contract.id] = (key, client_files_, client, (common, folder))
            files.update(client_files_)
        pdfs = self._render_pdfs(jobs, template_dirs)
        for rel, data in files.items():
            pending = _pending_key(data)
            if pending is not None:
                files[rel] = pdfs[pending]
        for cid, (key, client_files_, client, extra) in keep.items():
            keep[cid] = (key, {rel: files[rel] for rel in client_files_}, client, extra)
        self.pages = keep
        return files, len(todo), len(jobs.jobs)

    def _environment(self):
        return self.env[1]

    def _from_site(self, recorded, key: str, manifest: dict) -> dict[str, OnDisk] | None:
        """A client's files left on disk, when the last build made them from the same inputs.

        They are not read: a file whose size and mtime are still those the last build wrote
        is kept as it is (and hard-linked when a new folder is swapped in).
        """
        if not recorded or recorded[0] != key:
            return None
        files = {}
        for rel in recorded[1]:
            entry = manifest.get(rel)
            try:
                stat = (self.out / rel).stat()
            except OSError:
                return None
            if entry is None or stat.st_size != entry[1] or stat.st_mtime_ns != entry[2]:
                return None
            files[rel] = OnDisk(entry[0])
        return files

    def _render_clients(self, env, priced, folders, build_info, todo, jobs, template_dirs, tdigest):
        if not todo:
            return []
        pool = _pool(self.jobs) if len(todo) >= PARALLEL_CLIENTS else None
        if pool is None:
            results = []
            for index, _ in todo:
                client_jobs = PdfJobs(self.cache_dir, template_dirs, tdigest)
                files = client_files(env, priced, priced.clients[index], folders, pdf=self.pdf, to_pdf=client_jobs,
                                     build_info=build_info)
                results.append((files, client_jobs.jobs))
            return results
        _WORK.clear()
        _WORK.update(root=self.root, priced=priced, folders=folders, pdf=self.pdf, build_info=build_info,
                     cache_dir=self.cache_dir, template_dirs=template_dirs, tdigest=tdigest)
        indexes = [index for index, _ in todo]
        chunks = [indexes[i::self.jobs * 4] for i in range(min(len(indexes), self.jobs * 4))]
        by_index = {}
        try:
            with pool:
                for chunk in pool.map(_render_chunk, chunks):
                    for index, files, pdf_jobs in chunk:
                        by_index[index] = (files, pdf_jobs)
        finally:
            _WORK.clear()
        return [by_index[index] for index in indexes]

    def _render_pdfs(self, jobs: PdfJobs, template_dirs: list[Path]) -> dict[str, bytes]:
        if not jobs.jobs:
            return {}
        keys = sorted(jobs.jobs)
        dirs = [str(path) for path in template_dirs]
        pool = _pool(min(self.jobs, len(keys))) if len(keys) >= PARALLEL_PDFS else None
        if pool is None:
            results = [render_pdf(jobs.jobs[key], dirs) for key in keys]
        else:
            with pool:
                results = list(pool.map(render_pdf, [jobs.jobs[key] for key in keys], [dirs] * len(keys),
                                        chunksize=1))
        pdfs = dict(zip(keys, results))
        if self.cache_dir is not None:
            folder = self.cache_dir / "pdf"
            folder.mkdir(parents=True, exist_ok=True)
            for key, data in pdfs.items():
                write_file_atomically(folder / f"{key}.pdf", data)
        return pdfs

    # -- write

    def write(self, files: dict[str, bytes]) -> tuple[dict[str, list], int]:
        """Write the site: as a whole (`build`), or client folder by client folder (watch).

        `hourbook build` fills a new folder and swaps it in at once (`swap_in`);
        unchanged files are hard-linked from the current site rather than written again,
        so the cost is a link per file plus the changed bytes. A build killed at any
        moment leaves the old site or the new one, never a mix.

        Watch mode, when an edit reached a few folders only (`MAX_UNIT_SWAPS`), swaps just
        those: each changed client folder is made anew beside the site and exchanged with
        the old one, each changed top-level file replaced by rename (`_write_units`).
        Linking the whole site again would cost more than the edit (50 000 links at
        100 000 entries). Every folder and file is whole at every moment; a watch killed
        between two swaps leaves folders one edit apart, which the next build rewrites.

        Returns:
            The new manifest {path: [sha256, size, mtime_ns]} and the number of files that
            changed or went away.

        Raises:
            SiteError: `self.out` is no place for the site (`site_folder_problem`), checked
                before anything is written; or the site could not be written.
        """
        problem = self.site_folder_problem()
        if problem:
            raise SiteError(problem)
        files = {**files, SITE_MARKER: SITE_MARKER_TEXT}   # the folder is a site: the next build may replace it
        hashes = {}
        for rel, data in files.items():
            known = self.hashes.get(rel)
            if isinstance(data, OnDisk):
                hashes[rel] = data.sha256
            else:
                hashes[rel] = known[1] if known is not None and known[0] is data else hashlib.sha256(data).hexdigest()
        old = self.state.get("manifest") or {}
        changed = [rel for rel in files if rel not in old or old[rel][0] != hashes[rel]]
        removed = [rel for rel in old if rel not in files]
        units = site_units(changed + removed) if self.background_cleanup and self._site_intact() else None
        if units is not None and len(units) <= MAX_UNIT_SWAPS:
            linked = self._write_units(files, hashes, old, units)
        else:
            linked = self._write_swap(files, hashes, old)
        self.hashes = {rel: (data, hashes[rel]) for rel, data in files.items()}
        manifest = {}
        for rel in files:
            if rel in linked:
                manifest[rel] = old[rel]          # the same inode: same size and mtime
            else:
                stat = (self.out / rel).stat()
                manifest[rel] = [hashes[rel], stat.st_size, stat.st_mtime_ns]
        return manifest, len(changed) + len(removed)

    def _write_swap(self, files: dict[str, bytes], hashes: dict[str, str], old: dict) -> set[str]:
        """Fill a new folder beside the site (linking what did not change) and swap it in; the linked paths."""
        out = self.out
        intact = self._site_intact()
        for rel in files:
            _check_relative(rel)
        staging = new_staging(out, keep=_BEING_REMOVED)
        same = {rel for rel in files if intact and rel in old and old[rel][0] == hashes[rel]}
        try:
            linked = _link_tree(out, staging, old, same) if same else set()
            made = set()
            for rel in sorted(files):
                if rel in linked:
                    continue
                target = staging / rel
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                target.unlink(missing_ok=True)       # a link to the old site's file: never write through it
                data = files[rel]
                if isinstance(data, OnDisk):
                    shutil.copyfile(out / rel, target)   # no hard links here: copy what is on disk
                else:
                    target.write_bytes(data)
            os.chmod(staging, 0o755)
            swap_in(staging, out, remove_old=_remove_in_background if self.background_cleanup else None)
            remove_stale(out, keep=_BEING_REMOVED)   # what a killed build's child left meanwhile
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise SiteError(f"cannot write the site: {exc}") from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return linked

    def _write_units(self, files: dict[str, bytes], hashes: dict[str, str], old: dict, units: set[str]) -> set[str]:
        """Watch mode: make each changed folder anew beside the site and swap it in; replace changed
        top-level files by rename. Returns the paths left as they were (the same inode)."""
        out = self.out
        kept = set()                # outside the changed units every file is as it was (`site_units`)
        members: dict[str, list[str]] = {unit: [] for unit in units}
        for rel in files:
            unit = unit_of(rel)
            if unit not in members:
                kept.add(rel)
            elif rel != unit:
                members[unit].append(rel)
        for unit, rels in members.items():
            for rel in rels or [unit]:
                _check_relative(rel)
        self._mark_writing(True)
        for unit in sorted(units):
            staging = new_staging(out, keep=_BEING_REMOVED)
            try:
                if members[unit] or (out / unit).is_dir():
                    folder = staging / "unit"
                    folder.mkdir()
                    for rel in members[unit]:
                        target = folder / rel[len(unit) + 1:]
                        if rel in old and old[rel][0] == hashes[rel]:
                            os.link(out / rel, target)
                            kept.add(rel)
                        elif isinstance(files[rel], OnDisk):
                            shutil.copyfile(out / rel, target)
                        else:
                            target.write_bytes(files[rel])
                    if members[unit]:
                        os.chmod(folder, 0o755)
                        (out / unit).parent.mkdir(parents=True, exist_ok=True)
                        swap_in(folder, out / unit)      # the old folder: a client's, removed at once
                    else:
                        os.rename(out / unit, folder)          # the folder went: out of the site at once
                elif unit in files:
                    target = staging / "file"
                    data = files[unit]
                    if isinstance(data, OnDisk):
                        shutil.copyfile(out / unit, target)
                    else:
                        target.write_bytes(data)
                    os.chmod(target, 0o644)
                    (out / unit).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(target, out / unit)
                else:
                    (out / unit).unlink(missing_ok=True)
            except OSError as exc:
                self.state = {}                                  # the site is no longer what the state says
                raise SiteError(f"cannot write the site: {exc}") from exc
            except BaseException:
                self.state = {}
                raise
            finally:
                remove_folder(staging)
        return kept

    def _mark_writing(self, on: bool) -> None:
        """While folders are swapped one by one, the state on disk no longer describes the site:
        a process that starts meanwhile (after a kill) must not link from it."""
        if self.cache_dir is None:
            return
        mark = self.cache_dir / WRITING_MARK
        if on:
            self._wait_for_state()          # its end would take the mark away
            self.cache_dir.mkdir(exist_ok=True)
            mark.touch()
        else:
            mark.unlink(missing_ok=True)


MAX_UNIT_SWAPS = 16   # watch mode swaps folders one by one up to this many; beyond, the whole site
WRITING_MARK = "writing"   # in the cache folder while watch mode swaps folders: the state on disk is stale


def site_units(paths: list[str]) -> set[str] | None:
    """The folders (`public/<folder>`, `owner/<client>`) and top-level files that `paths` fall in.

    None when a path is not in that layout (then only a whole-site swap is safe).
    """
    units = set()
    for rel in paths:
        parts = rel.split("/")
        if len(parts) == 2 or (len(parts) == 3 and parts[0] in ("public", "owner")):
            units.add("/".join(parts[:2]))
        else:
            return None
    return units


def unit_of(rel: str) -> str:
    """`public/acme-x/2026-11.html` -> `public/acme-x`; a top-level file is its own unit."""
    second = rel.find("/", rel.find("/") + 1)
    return rel if second < 0 else rel[:second]


_BEING_REMOVED: set[Path] = set()


def _remove_in_background(folder: Path) -> None:
    """Watch mode: the old site's folder goes in a thread (unlinking 50 000 files takes seconds)."""
    import threading

    old = folder.with_name(folder.name.replace(".new-", ".old-", 1))
    try:
        os.rename(folder, old)
    except OSError:
        old = folder
    _BEING_REMOVED.add(old)

    def remove():
        shutil.rmtree(old, ignore_errors=True)
        _BEING_REMOVED.discard(old)

    threading.Thread(target=remove, name="hourbook-remove-old-site", daemon=True).start()


def _link_tree(out: Path, staging: Path, old: dict, same: set[str]) -> set[str]:
    """Hard-link the old site into `staging` (GNU `cp -al` when there is one: one process for
    fifty thousand links), then drop what is not to be kept. Returns the paths kept."""
    cp = shutil.which("cp")
    done = False
    if cp is not None:
        result = subprocess.run([cp, "-al", "--", f"{out}/.", str(staging)], capture_output=True,
                                preexec_fn=child_dies_with(os.getpid()) if sys.platform == "linux" else None)
        done = result.returncode == 0
    if not done:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for rel in sorted(same):
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(out / rel, staging / rel)
        return set(same)
    # What the last build wrote and is not kept as it is (changed or removed) goes ...
    for rel in set(old) - same:
        try:
            (staging / rel).unlink()
        except FileNotFoundError:
            pass
    count = sum(len(names) for _, _, names in os.walk(staging))
    if count != len(same):
        # ... and so does anything else found in the site (not ours): the full walk.
        for path in sorted(staging.rglob("*"), reverse=True):
            if not (path.is_dir() and not path.is_symlink()) and path.relative_to(staging).as_posix() not in same:
                path.unlink()
    for folder, _, _ in sorted(os.walk(staging), reverse=True):
        if folder != str(staging):
            try:
                os.rmdir(folder)              # only empty folders go
            except OSError:
                pass
    return set(same)


@dataclasses.dataclass(frozen=True)
class OnDisk:
    """A site file the last build wrote and nothing changed since: its digest, not its bytes."""

    sha256: str


def _check_relative(rel: str) -> None:
    """A site path stays inside the site: relative, `/`-separated, no `.` or `..` parts."""
    if (rel.startswith("/") or "\\" in rel or "\x00" in rel
            or any(part in ("", ".", "..") for part in rel.split("/"))):
        raise SiteError(f"refusing to write {rel!r}: outside the site folder")


def canonical(value):
    """A record as nested tuples that pickle to the same bytes in every process (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(canonical(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (frozenset, set)):
        return ("set",) + tuple(sorted((canonical(item) for item in value), key=repr))
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted(((canonical(k), canonical(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (tuple, list)):
        return tuple(canonical(item) for item in value)
    return value


def _client_entries(pricing: PricingCache, client) -> tuple:
    hit = pricing.clients.get(client.contract.id)
    return hit[2] if hit is not None and hit[3][0] is client else ()


def _source(data: dict):
    from hourbook.core.records import Source

    return Source(data["path"], data["line"])


# ---------------------------------------------------------------- check and price, whole commands

NO_CACHE_ENV = "HOURBOOK_NO_CACHE"
_CHUNK = 1 << 20


@dataclasses.dataclass
class PriceRun:
    """What `check` and `price --json` report: the diagnostics and the counts (the JSON is streamed)."""

    diagnostics: list[Diagnostic]
    clients: int
    entries: int


def price_run(root: Path, as_of: datetime.date, *, out=None, jobs: int | None = None) -> PriceRun:
    """Load, validate and price; with `out` (a text stream), write the JSON of SPEC §8 to it.

    The books go through `pipeline.load_and_price` as for every command. The JSON is the
    same bytes as `json_text(priced_json(...))`, written client by client (never held as one
    text), and reused from .hourbook-cache/ when no input changed. On big books the clients'
    JSON is formatted on every core (forked processes inherit the priced books), in id order.
    """
    use_cache = not os.environ.get(NO_CACHE_ENV)
    folder = root / CACHE_DIR
    key = inputs_digest(root, as_of.isoformat(), "price") if use_cache else ""
    if use_cache:
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
    # A short-lived run over a heap of 100 000 entries and their priced lines: the collector
    # would scan them again and again (a tenth of the run) to find cycles that pricing never makes.
    try:
        with no_cyclic_gc():
            run = _price_run(root, as_of, sinks, jobs or cpu_count())
    except BaseException:
        if cache_text is not None:
            cache_text.close()
            Path(cache_path).unlink(missing_ok=True)
        raise
    if use_cache:
        wrote_text = False
        if cache_text is not None:
            cache_text.close()
            try:
                os.replace(cache_path, folder / "price.txt")
                wrote_text = True
            except OSError:
                Path(cache_path).unlink(missing_ok=True)
        _write_price_meta(folder, key, run, wrote_text)
    return run


def _read_price_cache(folder: Path, key: str, out) -> PriceRun | None:
    try:
        meta = json.loads((folder / "price.json").read_text(encoding="utf-8"))
        if meta.get("key") != key or (out is not None and meta.get("text_key") != key):
            return None
        if out is not None:
            with open(folder / "price.txt", encoding="utf-8") as cached:
                while chunk := cached.read(_CHUNK):
                    out.write(chunk)
    except (OSError, ValueError):
        return None
    return PriceRun([Diagnostic(_source(d), d["message"], d["severity"]) for d in meta["diagnostics"]],
                    meta["clients"], meta["entries"])


def _write_price_meta(folder: Path, key: str, run: PriceRun, wrote_text: bool) -> None:
    try:
        folder.mkdir(exist_ok=True)
        meta = {"key": key, "clients": run.clients, "entries": run.entries,
                "diagnostics": [{"path": d.source.path, "line": d.source.line, "severity": d.severity,
                                 "message": d.message} for d in run.diagnostics]}
        if wrote_text:
            meta["text_key"] = key
        else:
            try:
                old = json.loads((folder / "price.json").read_text(encoding="utf-8"))
                if old.get("text_key") == key:
                    meta["text_key"] = key
            except (OSError, ValueError):
                pass
        write_file_atomically(folder / "price.json", json.dumps(meta).encode("utf-8"))
    except OSError:
        pass  # a read-only books folder: no cache, same output


def _write_clients(priced: PricedBooks, first: int, last: int, sinks: list) -> int:
    """The JSON texts of clients [first, last), `,\n    `-separated, written one by one."""
    for index in range(first, last):
        chunk = client_text(priced.clients[index])
        if index > first:
            chunk = ",\n    " + chunk
        for sink in sinks:
            sink.write(chunk)
    return last - first


_SHARE: dict = {}
PARALLEL_LOAD_BYTES = 2_000_000     # price --json parses the logbooks on every core from this many bytes
_CHILD_COST = 1.25                  # what parsing a file costs a forked process, against the parent


def _write_clients_forked(first: int, last: int) -> str:
    """In a forked process (the priced books are inherited, not copied): JSON to a temporary file."""
    fd, path = tempfile.mkstemp(prefix="hourbook-price-")
    with os.fdopen(fd, "w", encoding="utf-8") as sink:
        _write_clients(_SHARE["priced"], first, last, [sink])
    return path


def _price_run(root: Path, as_of: datetime.date, sinks: list, jobs: int) -> PriceRun:
    """`pipeline.load_and_price`, then the JSON of `json_text(priced_json(...))` written client by
    client. On big books every core works: forked processes parse part of the logbooks, then
    price and format a share of the clients each (or only format them, when an issued.yaml
    register asks for the whole priced books at once)."""

    def write(chunk: str) -> None:
        for sink in sinks:
            sink.write(chunk)

    prefetch = _ForkedLogbooks.start(root, jobs) if jobs > 1 else None
    try:
        books, diagnostics = pipeline.load_books(root, logbook_cache=prefetch)
    finally:
        if prefetch is not None:
            prefetch.close()
    count = len(books.contracts)
    shares = jobs if len(books.entries) >= PARALLEL_PRICING_ENTRIES and count >= jobs else 1
    can_split = not (root / REGISTER).exists()
    # `check` (no sinks) has no JSON to format: other processes help only when they price.
    pool = _fork_pool(shares - 1) if shares > 1 and (sinks or can_split) else None
    split = pool is not None and can_split
    if not split:  # validated here; when split, while the other processes price (pipeline.load_and_check)
        diagnostics += pipeline.validate(books, as_of)
        priced, more = pipeline.price_and_check(root, books, as_of)
        diagnostics = sorted_diagnostics(diagnostics, more)
    run = PriceRun(diagnostics, count + len(books.broken_clients), len(books.entries))  # broken: still clients
    if not sinks and not split:
        return run
    if pool is None:
        shares = 1
    bounds = _client_bounds(books, as_of, shares) if split else [
        (count * share // shares, count * (share + 1) // shares) for share in range(shares)]
    write('{\n  "clients": [\n    ' if count else '{\n  "clients": []')
    if pool is None:
        _write_clients(priced, 0, count, sinks)
    else:
        _SHARE.update(priced=None if split else priced, books=books, as_of=as_of, root=root, format=bool(sinks))
        try:
            with pool:
                task = _price_clients_forked if split else _write_clients_forked
                futures = [pool.submit(task, first, last) for first, last in bounds[1:]]
                if split:
                    diagnostics += pipeline.validate(books, as_of)
                    diagnostics += _price_clients(root, books, as_of, *bounds[0], sinks)
                else:
                    _write_clients(priced, *bounds[0], sinks)
                for (first, last), future in zip(bounds[1:], futures):
                    path, more = future.result() if split else (future.result(), [])
                    diagnostics += more
                    if path is None:                  # `check`: priced for the diagnostics only
                        continue
                    try:
                        if last > first:
                            write(",\n    ")
                            with open(path, encoding="utf-8") as share_text:
                                while chunk := share_text.read(_CHUNK):
                                    write(chunk)
                    finally:
                        os.unlink(path)
        finally:
            _SHARE.clear()
    if split:
        run.diagnostics = diagnostics = sorted_diagnostics(diagnostics)
    if count:
        write("\n  ]")
    write(',\n  "diagnostics": ' + json_text([diagnostic_json(d) for d in diagnostics], 1) + "\n}\n")
    return run


def _client_bounds(books, as_of: datetime.date, shares: int) -> list[tuple[int, int]]:
    """Shares of the clients in id order (the order of `price_books`), about as many entries each."""
    from collections import Counter

    counts = Counter(entry.client for entry in books.entries if entry.date <= as_of)
    sizes = [counts.get(contract.id, 0) + 1 for contract in sorted(books.contracts, key=lambda c: c.id)]
    # This process validates the books first, some 15% of the work of pricing them: it takes less.
    done = len(books.entries) * 15 // 100
    total, bounds, first = sum(sizes) + done, [], 0
    for index, size in enumerate(sizes):
        done += size
        if len(bounds) < shares - 1 and done * shares >= total * (len(bounds) + 1):
            bounds.append((first, index + 1))
            first = index + 1
    bounds.append((first, len(sizes)))
    return bounds + [(len(sizes), len(sizes))] * (shares - len(bounds))


def _price_clients(root: Path, books, as_of: datetime.date, first: int, last: int, sinks: list) -> list:
    """Price the clients [first, last) in id order, write their JSON; their diagnostics.

    The other clients are priced as having no statements, so what `check_issued` says about
    them is nothing: with no issued.yaml register (the only case this runs in) it only looks at
    exemptions (the same in every share; duplicates go) and at each client's own lines.
    """
    from hourbook.core.records import PricedClient

    wanted = {contract.id for contract in sorted(books.contracts, key=lambda c: c.id)[first:last]}

    def price_one(contract, entries, day):
        if contract.id in wanted:
            return price_client(contract, entries, day)
        return PricedClient(contract, ()), []

    priced, diagnostics = pipeline.price_and_check(root, books, as_of, price_one=price_one)
    if sinks:
        _write_clients(priced, first, last, sinks)
    return diagnostics


def _price_clients_forked(first: int, last: int) -> tuple[str | None, list]:
    """In a forked process (the books are inherited): `_price_clients` to a temporary file
    (none for `check`, which wants the diagnostics only)."""
    if not _SHARE["format"]:
        return None, _price_clients(_SHARE["root"], _SHARE["books"], _SHARE["as_of"], first, last, [])
    fd, path = tempfile.mkstemp(prefix="hourbook-price-")
    with os.fdopen(fd, "w", encoding="utf-8") as sink:
        diagnostics = _price_clients(_SHARE["root"], _SHARE["books"], _SHARE["as_of"], first, last, [sink])
    return path, diagnostics


class _ForkedLogbooks:
    """A `logbook_cache` for `load_books` whose later files are parsed by forked processes meanwhile.

    The parent parses the first share of the files (in path order, as `load_logbooks` asks for
    them) while each process parses one of the other shares and sends back its entries as
    tuples of fields (an Entry pickles field by field through Python code, ten times slower).
    """

    def __init__(self, pool, futures: list):
        self.pool = pool
        self.share_of = {path: index for index, (paths_, _) in enumerate(futures) for path in paths_}
        self.futures = [future for _, future in futures]
        self.results: dict = {}

    @classmethod
    def start(cls, root: Path, jobs: int) -> _ForkedLogbooks | None:
        paths = listing.logbook_files(root)
        try:
            sizes = [path.stat().st_size for path in paths]
            weights = [size * (1.5 if path.suffix.lower() in (".yaml", ".yml") else 1)   # YAML: 1.5 times the work a byte
                       for path, size in zip(paths, sizes)]
        except OSError:
            return None                         # the loader reports it, on its own
        total = sum(sizes)
        if total < PARALLEL_LOAD_BYTES or total > limits.MAX_LOGBOOK_BYTES or _entry_fields()[3] != "source.line":
            return None
        pool = _fork_pool(jobs - 1)
        if pool is None:
            return None
        # The parent first reads the contracts (some 2.5 times the work of a logbook byte). A forked
        # process takes a quarter longer for the same files (it pickles what it read): so that all
        # finish together, the parent's share is `own` and each other share `own / CHILD_COST`.
        done = 2.5 * sum(path.stat().st_size for path in listing.contract_files(root))
        own = (done + sum(weights)) / (1 + (jobs - 1) / _CHILD_COST)
        shares, first = [], 0
        for index, weight in enumerate(weights):
            done += weight
            if done >= own + len(shares) * own / _CHILD_COST and len(shares) < jobs - 1:
                shares.append((first, index + 1))
                first = index + 1
        shares.append((first, len(paths)))
        futures = [(paths[a:b], pool.submit(_load_logbooks_forked, str(root), [str(p) for p in paths[a:b]]))
                   for a, b in shares[1:]]
        return cls(pool, futures)

    def __call__(self, root: Path, path: Path, rel: str, load):
        share = self.share_of.get(path)
        if share is None:
            return load(root, path, rel)
        if share not in self.results:
            self.results[share] = self.futures[share].result()
        from hourbook.core.records import Entry
        from hourbook.core.records import Source

        rows, diagnostics = self.results[share].pop(str(path))
        return [Entry(row[0], row[1], row[2], Source(rel, row[3]), *row[4:]) for row in rows], diagnostics

    def close(self) -> None:
        for future in self.futures:
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _entry_fields() -> tuple:
    """Entry's fields as `attrgetter` takes them, the source sent as its line (the path is known)."""
    from hourbook.core.records import Entry

    return tuple("source.line" if f.name == "source" else f.name for f in dataclasses.fields(Entry))


def _load_logbooks_forked(root: str, paths: list[str]) -> dict:
    """In a forked process: path -> (entry fields with the source's line for the source, diagnostics)."""
    from operator import attrgetter

    fields = attrgetter(*_entry_fields())
    result = {}
    with no_cyclic_gc():
        for path in paths:
            entries, diagnostics = load_logbook(Path(root), Path(path), listing.relative(Path(root), Path(path)))
            result[path] = ([fields(entry) for entry in entries], diagnostics)
    return result


def _fork_pool(workers: int) -> ProcessPoolExecutor | None:
    """`workers` forked processes beside this one (which works too), or None where there is no fork."""
    import multiprocessing

    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
