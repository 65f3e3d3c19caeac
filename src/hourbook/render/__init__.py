"""The rendering stage: priced books -> every file of the static site, as bytes by path.

`render_site` renders everything in memory and returns it; the site writer decides
where and when to write. Layout (paths relative to site/):

    public/robots.txt                      "Allow: /", so crawlers read each page's noindex (names no client)
    public/<folder>/index.html             a shared client's statements, newest first
    public/<folder>/<period>.html|.pdf     a statement, web page and PDF
    owner/index.html                       the owner's dashboard (never published)
    owner/<client>/dashboard.html          one client's report for the owner
    owner/<client>/index.html              every client's statements, owner copies
    owner/<client>/<period>.html           ... and for clients not shared, the PDF too

Pages carry their CSS inline, so there are no asset files; an overriding template
that wants a logo embeds it as a `data:` URL (allowed by the pages' CSP and by the
PDF's URL fetcher). A public page links only to its own folder; nothing under
public/ names another client or owner/.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import jinja2

from hourbook.core.records import Diagnostic
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Source
from hourbook.render.dashboard import client_report
from hourbook.render.dashboard import make_dashboard
from hourbook.render.html import TEMPLATES_DIR
from hourbook.render.html import make_environment
from hourbook.render.html import render_client_index
from hourbook.render.html import render_owner
from hourbook.render.html import render_owner_client
from hourbook.render.html import render_statement

__all__ = ["TemplateProblem", "render_site"]

# Crawlers must be allowed to fetch the pages, or they never see their noindex.
ROBOTS = b"User-agent: *\nAllow: /\n"
_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class TemplateProblem(Exception):
    """A template of the books (templates/<name>) failed: a problem in the books, not a bug.

    `diagnostic` says where (`templates/statement.html:12`) and what. A failure in a
    built-in template is a bug and is not turned into this.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.source}: {diagnostic.message}")
        self.diagnostic = diagnostic


def books_template_problem(exc: Exception, root: Path) -> TemplateProblem | None:
    """The located problem when `exc` comes from a template in `root/templates`, else None."""
    folder = (Path(root) / "templates").resolve()
    places = []
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        places.append((exc.filename, exc.lineno or 0))
    places += [(frame.filename, frame.lineno or 0) for frame in reversed(traceback.extract_tb(exc.__traceback__))]
    for filename, line in places:
        path = Path(filename).resolve()
        if path.is_relative_to(folder):
            rel = path.relative_to(Path(root).resolve()).as_posix()
            message = f"template failed: {type(exc).__name__}: {exc}"
            return TemplateProblem(Diagnostic(Source(rel, line), message))
    return None


def render_site(priced: PricedBooks, root: Path, folders: dict[str, str], *, pdf: bool = True,
                build_info: str = "") -> dict[str, bytes]:
    """Every file of the site, by path relative to site/ -> bytes.

    Args:
        priced: the priced books.
        root: the books folder; `root/templates/<name>` overrides a built-in template.
        folders: client id -> public folder name, for clients with `share: true`. A client
            without a folder, or with `share: false`, is rendered under owner/ only.
        pdf: also render each statement as PDF.
        build_info: shown in page footers (e.g. "built from commit abc1234"); may be empty.

    Returns:
        {relative path: content}; nothing is written.

    Raises:
        TemplateProblem: a template in `root/templates` failed (a books error, located).
        ValueError: a folder name that is not a single safe path segment (a bug in the caller).
    """
    try:
        return render_files(priced, root, folders, pdf=pdf, build_info=build_info)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        problem = books_template_problem(exc, root)
        if problem is None:
            raise
        raise problem from exc


def render_files(priced: PricedBooks, root: Path, folders: dict[str, str], *, pdf: bool,
                 build_info: str) -> dict[str, bytes]:
    """`render_site` without the translation of template failures."""
    env = make_environment(root)
    template_dirs = [path for path in (Path(root) / "templates", TEMPLATES_DIR) if path.is_dir()]

    def to_pdf(html: str) -> bytes:
        from hourbook.render.pdf import html_to_pdf  # WeasyPrint is slow to import: only when a PDF is made
        return html_to_pdf(html, template_dirs)

    files: dict[str, bytes] = {}
    for client in priced.clients:
        files.update(client_files(env, priced, client, folders, pdf=pdf, to_pdf=to_pdf, build_info=build_info))
    files.update(owner_files(env, priced, folders, build_info=build_info))
    return files


def client_files(env, priced: PricedBooks, client: PricedClient, folders: dict[str, str], *, pdf: bool, to_pdf,
                 build_info: str) -> dict[str, bytes]:
    """Every file of one client: its statements (public and the owner's copies) and its owner report.

    They depend on this client, the settings and the templates only, never on another client:
    an incremental build re-renders them when that client changes.
    """
    cid = client.contract.id
    folder = public_folder(client, folders)
    if folder is not None:
        files = client_pages(env, priced, client, f"public/{folder}/", pdf=pdf, pdf_prefix="",
                             to_pdf=to_pdf, build_info=build_info)
        # The owner's copies point at the published PDFs rather than making them twice.
        files.update(client_pages(env, priced, client, f"owner/{cid}/", pdf=pdf, pdf_prefix=f"../../public/{folder}/",
                                  to_pdf=None, build_info=build_info))
        statements = f"../../public/{folder}/index.html"
    else:
        files = client_pages(env, priced, client, f"owner/{cid}/", pdf=pdf, pdf_prefix="", to_pdf=to_pdf,
                             build_info=build_info)
        statements = "index.html"
    report = client_report(client, priced.books.settings, priced.as_of)
    files[f"owner/{cid}/dashboard.html"] = render_owner_client(env, priced, report, statements,
                                                               build_info=build_info).encode("utf-8")
    return files


def owner_files(env, priced: PricedBooks, folders: dict[str, str], *, build_info: str,
                report_of=client_report) -> dict[str, bytes]:
    """robots.txt and the owner's dashboard: the files that depend on every client.

    Args:
        report_of: as for `make_dashboard`.
    """
    links = {client.contract.id: f"{client.contract.id}/dashboard.html" for client in priced.clients}
    html = render_owner(env, priced, make_dashboard(priced, report_of), links, build_info=build_info)
    return {"public/robots.txt": ROBOTS, "owner/index.html": html.encode("utf-8")}


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
                 to_pdf, build_info: str) -> dict[str, bytes]:
    """A client's index and statements under `prefix`; PDFs too when `to_pdf` is given.

    Args:
        pdf_prefix: where the pages find the PDFs, relative to `prefix` ("" = alongside).
    """
    files: dict[str, bytes] = {}
    for statement in client.statements:
        html = render_statement(env, priced, client, statement,
                                pdf_href=f"{pdf_prefix}{statement.period}.pdf" if pdf else None,
                                index_href="index.html", build_info=build_info)
        files[f"{prefix}{statement.period}.html"] = html.encode("utf-8")
        if pdf and to_pdf is not None:
            files[f"{prefix}{statement.period}.pdf"] = to_pdf(html)
    dashboard_href = "../index.html" if prefix.startswith("owner/") else None
    files[f"{prefix}index.html"] = render_client_index(env, priced, client, pdf=pdf, pdf_prefix=pdf_prefix,
                                                       dashboard_href=dashboard_href,
                                                       build_info=build_info).encode("utf-8")
    return files
