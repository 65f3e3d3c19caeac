"""The rendering stage: priced books -> every file of the static site, as bytes by path.

`render_site` renders everything in memory and returns it; the site writer decides
where and when to write. It is the one way pages are made: `hourbook build` renders
through it too, a few clients at a time, its caches passed as arguments. Layout (paths relative to site/):

    public/robots.txt                      "Allow: /", so crawlers read each page's noindex (names no client)
    public/<folder>/index.html             a shared client's statements, newest first
    public/<folder>/<period>.html|.pdf     a statement, web page and PDF
    public/<folder>/invoices/<name>.pdf    the client's invoice PDFs, copied from the books (`account`)
    owner/index.html                       the owner's dashboard (never published)
    owner/receivables.html                 who owes what: ageing, overdue invoices, cash by month
    owner/people.html                      who did the work: hours, cost, billed value, utilisation (render.people)
    owner/requests.html                    requests across all clients: age, speed, repeats, reasons
    owner/owner.js                         the owner's tables sort, filter and download as CSV
    owner/<client>/dashboard.html          one client's report for the owner
    owner/<client>/index.html              every client's statements, owner copies
    owner/<client>/<period>.html           ... and for clients not shared, the PDF too
    owner/<client>/invoices/<name>.pdf     ... and the invoice PDFs of a client not shared

    <every folder above with pages>/style.css   the stylesheet (`page_stylesheet`), the same bytes in each

Pages link their stylesheet from their own folder, so a client's folder is self-contained
and names nothing outside it; the writer stores the identical copies once (hard links,
`build.publish`). An overriding template that wants a logo embeds it as a `data:` URL
(allowed by the pages' CSP and by the PDF's URL fetcher). A public page links only to its
own folder; nothing under public/ names another client or owner/.

`check_books_templates` meets the problems of the books' own templates (templates/)
without building: `check` reports them as a build would.

Modules: `html` (the Jinja2 environment and filters), `pages` (one function per page),
`locale_files` (the words of each language, `locales/<language>/*.yaml`), `statement`,
`dashboard` and `monthly` (what pages show), `client_words` (tags, surcharges, incidents,
expiry and mailto links in the client's words), `tax_ids` (tax-id names by country, why no
VAT), `filters`, `charts` (SVG, drawn wide and narrow), `reflow` (tables that stack on phones),
`invoice` (the invoice page) and `pdf` (the only PDF writer).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path

from hourbook.core.records import Diagnostic
from hourbook.core.records import sorted_diagnostics
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.git import Provenance
from hourbook.render.account import INVOICES_FOLDER
from hourbook.render.account import AccountView
from hourbook.render.account import client_account
from hourbook.render.account import invoice_pdfs
from hourbook.render.account import published_numbers
from hourbook.render.dashboard import client_report
from hourbook.render.dashboard import make_dashboard
from hourbook.render.html import BOOKS_TEMPLATES
from hourbook.render.html import LINKS_OUTSIDE
from hourbook.render.html import TemplateProblem
from hourbook.render.html import books_template_problem
from hourbook.render.html import books_templates_folder
from hourbook.render.html import make_environment
from hourbook.render.pages import OWNER_SCRIPT
from hourbook.render.pages import render_client_index
from hourbook.render.pages import render_owner
from hourbook.render.pages import render_owner_client
from hourbook.render.pages import render_receivables
from hourbook.render.people import render_people
from hourbook.render.requests import render_requests
from hourbook.render.pages import render_statement
from hourbook.render.html import template_folders
from hourbook.render.invoice import sample_invoice_pages

__all__ = ["TemplateProblem", "books_template_problem", "check_books_templates", "page_stylesheet", "render_site"]

# Crawlers must be allowed to fetch the pages, or they never see their noindex.
ROBOTS = b"User-agent: *\nAllow: /\n"
# The owner's tables sort, filter and download as CSV (templates/owner.js; owner pages only, never public/).
OWNER_SCRIPT_BYTES = (Path(__file__).parent / "templates" / OWNER_SCRIPT).read_bytes()
# The HTML pages `owner_files` makes from every client: owner/index.html, receivables.html, requests.html, people.html.
OWNER_PAGE_COUNT = 4
_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The books' files that are pages or parts of pages, compiled by `check`; others (images, CSS
# loaded by url()) are not templates, and what a page includes is checked by rendering it.
TEMPLATE_SUFFIXES = (".html", ".htm", ".j2", ".jinja", ".jinja2")
STYLESHEET = "style.css"         # beside every page (base.html links it), rendered once per environment


def page_stylesheet(env) -> str:
    """The pages' stylesheet: the `style.css` template (the books' own when they have one), rendered once
    per environment and kept on it, as the compiled templates are."""
    css = getattr(env, "hourbook_stylesheet", None)
    if css is None:
        css = env.get_template(STYLESHEET).render()
        env.hourbook_stylesheet = css
    return css


def render_site(priced: PricedBooks, root: Path, folders: dict[str, str], *, pdf: bool = True,
                provenance: Provenance | None = None, clients: Iterable[PricedClient] | None = None,
                owner: bool = True, documents: bool = True, environment=None,
                to_pdf: Callable[[str], bytes] | None = None, report_of=client_report,
                every_entry_pages=None, version=None) -> dict[str, bytes]:
    """Every file of the site, by path relative to site/ -> bytes.

    The one way pages are rendered: `hourbook build` (`hourbook.build.builder`) renders
    through here too, a few clients at a time, with its caches as the last four arguments.

    Args:
        priced: the priced books.
        root: the books folder; `root/templates/<name>` overrides a built-in template.
        folders: client id -> public folder name, for clients with `share: true`. A client
            without a folder, or with `share: false`, is rendered under owner/ only.
        pdf: also render each statement as PDF.
        provenance: the commit the books were built from (`git.provenance`), or None. Only the
            owner's pages show it (dashboard and client reports); a client's statements, index
            and PDFs never do, and do not depend on it.
        clients: the clients whose files to render (default: all of `priced.clients`). A
            client's files depend on that client, the settings and the templates only (and
            its owner report on `provenance`).
        owner: also render the files made from every client (robots.txt, the owner's dashboard).
        documents: render the clients' statements, indexes and PDFs; False: of each client in
            `clients` only its owner report (after a commit, the one page of it that changed).
        environment: the Jinja2 environment of `make_environment(root)`, when the caller keeps one.
        to_pdf: a statement's HTML -> its PDF (default: WeasyPrint, loading files from
            `template_folders(root)` only).
        report_of: as for `make_dashboard`.
        every_entry_pages: as for `owner_files`.
        version: the statements the site keeps as they are (`build.versions.KeptVersions`): a page
            that would read the same but for its version's date is the page on disk; None: rendered.

    Returns:
        {relative path: content}; nothing is written.

    Raises:
        TemplateProblem: a template in `root/templates` failed (a books error, located).
        ValueError: a folder name that is not a single safe path segment (a bug in the caller).
    """
    env = environment if environment is not None else make_environment(root)
    if to_pdf is None:
        allowed = template_folders(root)

        def to_pdf(html: str) -> bytes:
            from hourbook.render.pdf import html_to_pdf  # WeasyPrint is slow to import: only when a PDF is made
            return html_to_pdf(html, allowed, stylesheet=page_stylesheet(env))

    files: dict[str, bytes] = {}
    for client in priced.clients if clients is None else clients:
        if documents:
            files.update(client_files(env, priced, client, folders, pdf=pdf, to_pdf=to_pdf, root=root,
                                      version=version))
        files.update(client_report_files(env, priced, client, folders, provenance=provenance, report_of=report_of))
    if owner:
        files.update(owner_files(env, priced, folders, provenance=provenance, report_of=report_of,
                                 every_entry_pages=every_entry_pages))
    return files


# --------------------------------------------------------------- check the books' templates


def check_books_templates(root: Path, priced: PricedBooks) -> list[Diagnostic]:
    """Every problem of the books' own templates that a build would meet, without building.

    Each page template compiled (syntax, encoding), then every kind of page rendered once
    for one client (its first statement) to meet what fails only when run: an undefined
    name, an include that is not there, endless recursion. One diagnostic per template
    file at most. Nothing when there is no templates/ folder. A link out of the books is
    not read, and not reported here: the listing of the books' files reports it at its
    path (`hourbook.load.listing`). A failure that is not in a books template is left to the
    build, which reports it; here it would only be a guess. The invoice's page is tried too
    when the books override one of its templates (`invoice.sample_invoice_pages`).
    """
    if not os.path.lexists(Path(root) / BOOKS_TEMPLATES):
        return []
    env = checking_environment(root)
    renders = [lambda name=name: env.get_template(name) for name in page_templates(root)]
    renders += sample_pages(env, priced) + sample_invoice_pages(Path(root), priced)
    problems: dict[str, Diagnostic] = {}
    for render in renders:
        try:
            render()
        except Exception as exc:  # noqa: BLE001 - what is not a books template's is the build's to report
            problem = books_template_problem(exc, root)
            if problem is not None and problem.diagnostic.message != LINKS_OUTSIDE:
                problems.setdefault(problem.diagnostic.source.path, problem.diagnostic)
    return sorted_diagnostics(problems.values())


_CHECKING: dict = {}     # the last environment `check_books_templates` made, by what it was made from


def checking_environment(root: Path):
    """`make_environment(root)`, kept while templates/ lists the same files with the same times.

    Compiling the templates is most of the cost of trying them, and watch mode tries them
    on every edit. Jinja sees an edited template by its time; a file added or removed
    changes which template a name finds, so it makes a new environment.
    """
    folder = books_templates_folder(root)        # a folder linked out is not walked
    key = [os.path.abspath(root), folder is None]
    for base, _, files in os.walk(folder) if folder is not None else ():
        for name in sorted(files):
            try:
                info = os.stat(Path(base, name))
                key.append((base, name, info.st_mtime_ns, info.st_size))
            except OSError:
                key.append((base, name))
    key = tuple(key)
    if _CHECKING.get("key") != key:
        _CHECKING.update(key=key, env=make_environment(root))
    return _CHECKING["env"]


def page_templates(root: Path) -> list[str]:
    """The names of the books' page templates (`statement.html`, `parts/header.html`)."""
    folder = books_templates_folder(root)
    names = []
    for base, _, files in os.walk(folder) if folder is not None else ():
        for name in files:
            if name.lower().endswith(TEMPLATE_SUFFIXES):
                names.append(Path(base, name).relative_to(folder).as_posix())
    return sorted(names)


def sample_pages(env, priced: PricedBooks) -> list:
    """Every kind of page, for one client (the first with a statement), as calls that render them."""
    client = next((c for c in priced.clients if c.statements), priced.clients[0] if priced.clients else None)
    sample = dataclasses.replace(priced, clients=(client,) if client is not None else ())
    settings = priced.books.settings
    links = {c.contract.id: f"{c.contract.id}/dashboard.html" for c in sample.clients}
    pages = [lambda: render_owner(env, sample, make_dashboard(sample, client_report), links, provenance=None),
             lambda: render_receivables(env, sample, provenance=None),
             lambda: render_requests(env, sample, links),
             lambda: render_people(env, sample, provenance=None)]
    if client is None:
        return pages
    pages += [
        lambda: render_client_index(env, sample, client, pdf=True, dashboard_href="../index.html"),
        lambda: render_owner_client(env, sample, client_report(client, settings, priced.as_of), "index.html",
                                    provenance=None),
    ]
    if client.statements:
        pages.append(lambda: render_statement(env, sample, client, client.statements[0], pdf_href="statement.pdf",
                                              index_href="index.html"))
    return pages


# --------------------------------------------------------------- the site's files


def client_files(env, priced: PricedBooks, client: PricedClient, folders: dict[str, str], *, pdf: bool,
                 to_pdf, root: Path | None = None, version=None) -> dict[str, bytes]:
    """One client's documents: its statements, index and PDFs (public and the owner's copies), and
    its invoice PDFs from the books (`root`) under `invoices/` of its folder, that folder only.

    They depend on this client, its receivables, its invoice PDFs, the settings and the templates
    only, never on another client nor on the commit: an incremental build re-renders them when
    one of those changes (`account.account_inputs`).
    """
    cid = client.contract.id
    folder = public_folder(client, folders)
    invoices = invoice_pdfs(root, priced, client)
    account = client_account(priced, client, published_numbers(priced, client, invoices))
    base = f"public/{folder}/" if folder is not None else f"owner/{cid}/"
    files = client_pages(env, priced, client, base, pdf=pdf, pdf_prefix="", to_pdf=to_pdf, account=account,
                         version=version)
    files.update({f"{base}{INVOICES_FOLDER}/{name}": data for name, data in invoices.items()})
    if folder is not None:
        # The owner's copies point at the published PDFs rather than making them twice. Without PDFs
        # a statement's owner copy is the public page itself (nothing on it says where it lies), unless
        # it links the period's invoices, which are published in the public folder only.
        linked = {line.period for line in account.invoices if line.pdf}
        same = {f"owner/{cid}/{rel[len(f'public/{folder}/'):]}": data for rel, data in files.items()
                if not pdf and rel.endswith(".html") and not rel.endswith("/index.html")
                and rel[len(f'public/{folder}/'):-len(".html")] not in linked}
        files.update(same)
        files.update(client_pages(env, priced, client, f"owner/{cid}/", pdf=pdf, pdf_prefix=f"../../public/{folder}/",
                                  to_pdf=None, account=account, skip=same, version=version))
    return files


def client_page_count(client: PricedClient, folders: dict[str, str]) -> int:
    """How many HTML pages `client_files` and `client_report_files` make for `client` (progress totals)."""
    copies = 2 if public_folder(client, folders) is not None else 1      # public, and the owner's copies
    return copies * (len(client.statements) + 1) + 1


def client_report_files(env, priced: PricedBooks, client: PricedClient, folders: dict[str, str], *,
                        provenance: Provenance | None, report_of=client_report) -> dict[str, bytes]:
    """One client's report for the owner (owner/<client>/dashboard.html), which shows the provenance.

    Args:
        report_of: as for `make_dashboard`.
    """
    cid = client.contract.id
    folder = public_folder(client, folders)
    statements = f"../../public/{folder}/index.html" if folder is not None else "index.html"
    report = report_of(client, priced.books.settings, priced.as_of)
    html = render_owner_client(env, priced, report, statements, provenance=provenance)
    return {f"owner/{cid}/dashboard.html": html.encode("utf-8"), f"owner/{cid}/{STYLESHEET}": stylesheet_bytes(env)}


def owner_files(env, priced: PricedBooks, folders: dict[str, str], *, provenance: Provenance | None,
                report_of=client_report,
                every_entry_pages=None) -> dict[str, bytes]:
    """robots.txt, the owner's dashboard and receivables: the files that depend on every client.

    Args:
        report_of: as for `make_dashboard`.
        every_entry_pages: some of the pages of `every_entry_files` being made meanwhile by the
            caller (in another process: `build.rendering.EveryEntryPages`), or None: its `pages`,
            and `result()`, which gives them, or None when they could not be made there. It is
            asked once everything else is made here, so that both processes work at once.
    """
    links = {client.contract.id: f"{client.contract.id}/dashboard.html" for client in priced.clients}
    html = render_owner(env, priced, make_dashboard(priced, report_of), links, provenance=provenance)
    receivables = render_receivables(env, priced, provenance=provenance)
    elsewhere = every_entry_pages.pages if every_entry_pages is not None else ()
    pages = every_entry_files(env, priced, provenance=provenance,
                              pages=[page for page in (REQUESTS_PAGE, PEOPLE_PAGE) if page not in elsewhere])
    if elsewhere:
        pages.update(every_entry_pages.result() or every_entry_files(env, priced, provenance=provenance,
                                                                     pages=elsewhere))
    every_entry_pages = pages
    return {"public/robots.txt": ROBOTS, "owner/index.html": html.encode("utf-8"),
            "owner/receivables.html": receivables.encode("utf-8"), **every_entry_pages,
            f"owner/{STYLESHEET}": stylesheet_bytes(env), f"owner/{OWNER_SCRIPT}": OWNER_SCRIPT_BYTES}


PEOPLE_PAGE = "owner/people.html"
REQUESTS_PAGE = "owner/requests.html"


def every_entry_files(env, priced: PricedBooks, *, provenance: Provenance | None,
                      pages: Iterable[str] = (REQUESTS_PAGE, PEOPLE_PAGE), people=None,
                      requests=None) -> dict[str, bytes]:
    """The owner's pages made from every entry of every client rather than from the clients'
    reports: people and requests (or those of them in `pages`). Half the time of the owner's
    files on big books, and independent of the rest: `hourbook build` makes the people page,
    the longer (it reads every client's statements), in another process meanwhile. `people`: stands
    in for `core.people.client_sums` (`build.client_parts.DiskPeopleSums`), `requests` for
    `core.requests.requests_of_client` (`build.client_parts.DiskClientRequests`); the pages are the same."""
    files = {}
    if REQUESTS_PAGE in pages:
        links = {client.contract.id: f"{client.contract.id}/dashboard.html" for client in priced.clients}
        files[REQUESTS_PAGE] = render_requests(env, priced, links, provenance=provenance,
                                               client_requests=requests).encode("utf-8")
    if PEOPLE_PAGE in pages:
        files[PEOPLE_PAGE] = render_people(env, priced, provenance=provenance, sums_of=people).encode("utf-8")
    return files


def stylesheet_bytes(env) -> bytes:
    """`page_stylesheet` as the file written beside the pages."""
    return page_stylesheet(env).encode("utf-8")


def public_folder(client: PricedClient, folders: dict[str, str]) -> str | None:
    """The client's public folder, or None when it is not shared (whatever `folders` says)."""
    if not client.contract.share:
        return None
    folder = folders.get(client.contract.id)
    if folder is None:
        return None
    if not _FOLDER.match(folder) or folder in (".", ".."):
        raise ValueError(f"public folder name for {client.contract.id!r} must be one path segment, got {folder!r}")
    return folder


def client_pages(env, priced: PricedBooks, client: PricedClient, prefix: str, *, pdf: bool, pdf_prefix: str,
                 to_pdf, account: AccountView | None = None, skip: Iterable[str] = (), version=None) -> dict[str, bytes]:
    """A client's index and statements under `prefix`, and their stylesheet; PDFs too when `to_pdf` is given.

    Args:
        pdf_prefix: where the pages find the PDFs (statements' and invoices'), relative to `prefix`
            ("" = alongside).
        account: the client's invoices and balance (`account.client_account`); None: none shown.
        skip: paths the caller already has (a statement's owner copy equal to its public page).
        version: as for `render_site`.
    """
    files: dict[str, bytes] = {f"{prefix}{STYLESHEET}": stylesheet_bytes(env)}
    for statement in client.statements:
        if f"{prefix}{statement.period}.html" in skip:
            continue
        html = render_statement(env, priced, client, statement,
                                pdf_href=f"{pdf_prefix}{statement.period}.pdf" if pdf else None,
                                index_href="index.html", account=account, invoices_href=pdf_prefix,
                                version=version, rel=f"{prefix}{statement.period}.html")
        files[f"{prefix}{statement.period}.html"] = html.encode("utf-8")
        if pdf and to_pdf is not None:
            files[f"{prefix}{statement.period}.pdf"] = to_pdf(html)
    dashboard_href = "../index.html" if prefix.startswith("owner/") else None
    files[f"{prefix}index.html"] = render_client_index(env, priced, client, pdf=pdf, pdf_prefix=pdf_prefix,
                                                       dashboard_href=dashboard_href,
                                                       account=account).encode("utf-8")
    return files
