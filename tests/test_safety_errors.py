"""No traceback, anywhere (issue #10, points 10 and 5 for templates).

A problem in the books' own templates/ is a located diagnostic from `check`, `build`
(and so watch, which runs the same Builder) and `issue`, and a failed build leaves the
old site as it was. The Jinja loader of the books' templates never follows a link out of
the books, and the PDFs never load a file from outside the books or the package. A
deeply nested Markdown detail and dates at the end of the calendar (year 9999) render.
The command line's last resort is one line and exit 70 for a bug, exit 1 for a write
the system refuses.
"""

from __future__ import annotations

import datetime
import errno
import os
import pickle
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import run_cli
from conftest import write_books
from conftest import slow_after_the_first

from hourbook.commands import cli
from hourbook.build import rendering
from hourbook.build.builder import Builder
from hourbook import pipeline
from hourbook.core import periods
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.render import TemplateProblem
from hourbook.render import check_books_templates
from hourbook.render import render_site
from hourbook.render.monthly import last_months
from hourbook.render.filters import render_markdown
from hourbook.render.html import LINKS_OUTSIDE
from hourbook.render.html import make_environment
from hourbook.render.html import template_folders
from hourbook.render.invoice import sample_invoice_pages
from hourbook.render.pdf import AssetFetcher
from hourbook.render.pdf import RefusedURL

AS_OF = "2026-11-25"
ACME = """\
name: ACME Industries
address: "Av. Diagonal 1, 08019 Barcelona, España"
tax_id: ESA87654321
share: true
terms:
  - from: 2026-01-01
    kind: hourly
    rate: 60
"""
ZETA = ACME.replace("ACME Industries", "Zeta Labs")
NOVEMBER = """\
# 2026-11-03

## acme
- 09:00-10:00 printer driver #support
  They replaced the driver afterwards.
"""
ZETA_NOVEMBER = NOVEMBER.replace("## acme", "## zeta").replace("09:00-10:00", "11:00-12:00")
ZETA_ONLY = "{% if contract.id == 'zeta' %}\n{{ nothing }}\n{% endif %}\n"      # fails for that client only
BOOKS = {"contracts/acme.yaml": ACME, "logbook/2026-11.md": NOVEMBER}
PAGE = '{% extends "base.html" %}\n{% block content %}\n'

# kind -> (template file, its text, the line reported, a piece of the message)
BROKEN = {
    "syntax": ("statement.html", PAGE + "{% if %}\n{% endblock %}\n", 3, "template syntax error"),
    "undefined": ("statement.html", PAGE + "{{ nothing.here }}\n{% endblock %}\n", 3, "'nothing' is undefined"),
    "runtime": ("statement.html", "<p>\n{{ 1 / 0 }}\n</p>\n", 2, "ZeroDivisionError: division by zero"),
    "include-itself": ("brand.html", "<b>\n{% include 'brand.html' %}\n</b>\n", 2, "itself without end"),
    "macro-recursion": ("statement.html", "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n", 1,
                        "itself without end"),
    "extends-itself": ("owner.html", "{% extends 'owner.html' %}\n", 1, "itself without end"),
    "include-missing": ("client_index.html", PAGE + "\n{% include 'header.html' %}\n{% endblock %}\n", 4,
                        "no template named 'header.html'"),
    "not-utf8": ("statement.html", b"<p>\nCaf\xe9\n</p>\n", 2, "not valid UTF-8 (byte 0xe9"),
    "nested-too-deep": ("statement.html", "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", 1, "nested too deeply"),
    "python-insides": ("statement.html", "<p>\n{{ cycler.__init__.__globals__.os.popen('id').read() }}\n", 2,
                       "unsafe"),
}


@pytest.fixture(autouse=True)
def _no_secret_from_outside(monkeypatch):
    monkeypatch.delenv("HOURBOOK_SECRET", raising=False)


def make_books(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """Books with ACME, plus `files` (bytes written as they are)."""
    write_books(root, {**BOOKS, **{rel: text for rel, text in (files or {}).items() if isinstance(text, str)}})
    for rel, data in (files or {}).items():
        if isinstance(data, bytes):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
    return root


def break_template(root: Path, kind: str) -> tuple[str, int, str]:
    """Write the broken template of `kind`; (its path as reported, line, piece of message)."""
    name, text, line, piece = BROKEN[kind]
    path = root / "templates" / name
    path.parent.mkdir(exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return f"templates/{name}", line, piece


def site_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def diagnostic_line(err: str, path: str, line: int) -> str:
    """The one line of `err` that reports an error at path:line."""
    found = [text for text in err.splitlines() if text.startswith(f"{path}:{line}: error: ")]
    assert len(found) == 1, err
    return found[0]


def priced_books(root: Path, as_of: str = AS_OF):
    priced, _ = pipeline.load_and_price(root, datetime.date.fromisoformat(as_of))
    return priced


# ---------------------------------------------------------------- broken templates: check and build


@pytest.mark.parametrize("kind", slow_after_the_first(sorted(BROKEN)))
def test_check_reports_a_broken_template_at_its_line(tmp_path, kind):
    root = make_books(tmp_path / "books")
    path, line, piece = break_template(root, kind)
    code, out, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert code == 1 and out == ""
    assert piece in diagnostic_line(err, path, line)
    assert "Traceback" not in err and "internal error" not in err
    # Cached (.hourbook-cache/price.json) or not, the same report; fixed, it goes.
    assert run_cli("check", str(root), "--as-of", AS_OF)[2] == err
    (root / path).unlink()
    code, _, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert code == 0 and "templates/" not in err


@pytest.mark.parametrize("kind", slow_after_the_first(sorted(BROKEN)))
def test_build_stops_at_a_broken_template_and_keeps_the_old_site(tmp_path, kind):
    root = make_books(tmp_path / "books")
    code, _, err = run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf")
    assert code == 0, err
    before = site_files(root / "site")
    path, line, piece = break_template(root, kind)
    code, out, err = run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf")
    assert code == 1 and out == ""
    assert piece in diagnostic_line(err, path, line)
    assert "Traceback" not in err and "internal error" not in err
    assert "the site was left as it was" in err
    assert site_files(root / "site") == before


@pytest.mark.parametrize("kind", ["syntax", "undefined"])
def test_the_builder_of_watch_reports_a_broken_template(tmp_path, kind):
    """watch and serve run `Builder.build` on every change: the result carries the diagnostic."""
    root = make_books(tmp_path / "books")
    path, line, piece = break_template(root, kind)
    result = Builder(root, lambda: datetime.date.fromisoformat(AS_OF), pdf=False, jobs=1).build()
    assert not result.ok and not (root / "site").exists()
    assert [(str(d.source), piece in d.message) for d in result.diagnostics] == [(f"{path}:{line}", True)]


def test_every_problem_of_every_template_in_one_run(tmp_path):
    root = make_books(tmp_path / "books")
    for kind in ("syntax", "include-itself", "include-missing", "extends-itself"):
        break_template(root, kind)
    code, _, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert code == 1
    assert [text.split(": error:")[0] for text in err.splitlines()[:-1]] == [
        "templates/brand.html:2", "templates/client_index.html:4", "templates/owner.html:1",
        "templates/statement.html:3"]


def test_a_failure_for_one_client_only_is_located_by_the_builder(tmp_path, monkeypatch):
    """`check` tries the templates on one client; what fails only for another is still located
    when the Builder renders it, in this process or in a rendering process."""
    root = make_books(tmp_path / "books", {"contracts/zeta.yaml": ZETA, "logbook/zeta.md": ZETA_NOVEMBER,
                                           "templates/statement.html": ZETA_ONLY})
    priced = priced_books(root)
    assert check_books_templates(root, priced) == []
    expected = Diagnostic(Source("templates/statement.html", 2), "template error: 'nothing' is undefined; "
                          "fix the template, or remove it to use hourbook's own")
    for jobs in (1, 2):
        monkeypatch.setattr(rendering, "PARALLEL_CLIENTS", 1 if jobs > 1 else 10**6)
        builder = Builder(root, lambda: priced.as_of, pdf=False, jobs=jobs, disk_cache=False)
        with pytest.raises(TemplateProblem) as caught:
            builder.render(priced, {}, None)
        assert caught.value.diagnostic == expected


@pytest.mark.parametrize("name, text", [
    ("statement.html", ZETA_ONLY),
    ("owner.html", PAGE + "{% for c in dashboard.clients %}{% if c.contract.id == 'zeta' %}\n{{ c.nothing }}"
                   "{% endif %}{% endfor %}{% endblock %}\n")])
def test_build_locates_a_failure_for_one_client_only(tmp_path, name, text):
    root = make_books(tmp_path / "books", {"contracts/zeta.yaml": ZETA, "logbook/zeta.md": ZETA_NOVEMBER})
    assert run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf")[0] == 0
    before = site_files(root / "site")
    make_books(root, {f"templates/{name}": text})
    code, _, err = run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf")
    assert code == 1 and "Traceback" not in err and "internal error" not in err
    assert "nothing" in diagnostic_line(err, f"templates/{name}", 4 if name == "owner.html" else 2)
    assert site_files(root / "site") == before


def test_a_template_problem_crosses_processes_whole():
    problem = TemplateProblem(Diagnostic(Source("templates/statement.html", 7), "template error: x"))
    again = pickle.loads(pickle.dumps(problem))
    assert isinstance(again, TemplateProblem) and again.diagnostic == problem.diagnostic
    assert str(again) == "templates/statement.html:7: template error: x"


def test_templates_that_work_change_nothing(tmp_path):
    """Books with a templates/ folder get the sandboxed, checked environment: pages are the same bytes."""
    plain = make_books(tmp_path / "plain")
    own = make_books(tmp_path / "own", {"templates/README.txt": "Overrides go here.\n",
                                        "templates/note.html": "{{ 1 + 1 }}\n"})
    assert check_books_templates(own, priced_books(own)) == []
    folders = {"acme": "acme-0123abcd"}
    assert render_site(priced_books(plain), plain, folders, pdf=False) == \
        render_site(priced_books(own), own, folders, pdf=False)


# ---------------------------------------------------------------- issue: the invoice's template


def git(root: Path, *args: str) -> None:
    identity = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
                "GIT_COMMITTER_EMAIL": "test@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **identity})


def test_issue_refuses_with_the_invoice_templates_problem_located(tmp_path):
    root = make_books(tmp_path / "books", {"logbook/2026-11.md": NOVEMBER.replace("2026-11-03", "2026-10-06"),
                                           "templates/invoice.html": "<html>\n<p>{{ invoice.total / 0 }}</p>\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "books")
    code, out, err = run_cli("issue", "2026-10", str(root), "--as-of", "2026-11-05")
    assert code == 1 and out == ""
    assert "DivisionByZero: division by zero" in diagnostic_line(err, "templates/invoice.html", 2)
    assert "Traceback" not in err and "internal error" not in err
    assert not (root / "issued.yaml").exists() and not (root / "invoices").exists()


def test_the_invoice_page_raises_a_template_problem(tmp_path):
    """What `invoicing.issue` catches when an invoice template fails for one invoice only."""
    root = make_books(tmp_path / "books", {"templates/invoice.html": "<html>\n{{ invoice.nope.x }}\n"})
    (render,) = sample_invoice_pages(root, priced_books(root))
    with pytest.raises(TemplateProblem) as caught:
        render()
    assert str(caught.value.diagnostic.source) == "templates/invoice.html:2"


def test_check_books_templates_tries_the_invoice_page_itself(tmp_path):
    """`render.check_books_templates` renders the sample invoice (no caller passes it in), so `check` reports it."""
    root = make_books(tmp_path / "books", {"templates/invoice.html": "<html>\n{{ invoice.nope.x }}\n"})
    assert [str(d.source) for d in check_books_templates(root, priced_books(root))] == ["templates/invoice.html:2"]
    code, _, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert code == 1 and "nope" in diagnostic_line(err, "templates/invoice.html", 2)


# ---------------------------------------------------------------- links out of the books


def test_the_loader_never_reads_a_template_that_links_out(tmp_path):
    outside = tmp_path / "outside.html"
    outside.write_text("SECRET FROM OUTSIDE", encoding="utf-8")
    root = make_books(tmp_path / "books", {"templates/statement.html": "{% include 'part.html' %}\n",
                                           "templates/mine.html": "mine\n"})
    (root / "templates" / "part.html").symlink_to(outside)
    (root / "templates" / "key.html").symlink_to(root / ".hourbook-secret")
    (root / ".hourbook-secret").write_text("k" * 64, encoding="utf-8")
    (root / "templates" / "ok.html").symlink_to(root / "templates" / "mine.html")   # inside: fine
    env = make_environment(root)
    assert env.get_template("ok.html").render() == "mine\n"
    for name in ("part.html", "key.html", "statement.html"):
        with pytest.raises(TemplateProblem) as caught:
            env.get_template(name).render(**{})
        assert caught.value.diagnostic.message == LINKS_OUTSIDE
        assert caught.value.diagnostic.source.path in ("templates/part.html", "templates/key.html")
    code, _, err = run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf")
    assert code == 1 and "templates/part.html:1: error: links outside the books folder" in err
    assert not (root / "site").exists() and "Traceback" not in err


def test_a_templates_folder_that_links_out_is_not_one(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "statement.html").write_text("SECRET FROM OUTSIDE", encoding="utf-8")
    root = make_books(tmp_path / "books")
    (root / "templates").symlink_to(outside)
    assert template_folders(root)[0].name == "templates" and template_folders(root)[0].parent.name == "render"
    with pytest.raises(TemplateProblem):
        make_environment(root).get_template("statement.html")
    inside = make_books(tmp_path / "other")
    (inside / "templates").symlink_to(".")              # the books folder itself: every file of it
    assert len(template_folders(inside)) == 1


def png(width: int = 2, height: int = 2) -> bytes:
    """A small valid PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_pdf_loads_no_file_that_links_out(tmp_path):
    from hourbook.render.pdf import html_to_pdf

    secret = tmp_path / "secret.png"
    secret.write_bytes(png())
    root = make_books(tmp_path / "books", {"templates/README.txt": "x\n"})
    (root / "templates" / "own.png").write_bytes(png())
    (root / "templates" / "logo.png").symlink_to(secret)
    (root / "logbook" / "copy.png").write_bytes(png())
    fetcher = AssetFetcher(template_folders(root))
    assert fetcher.fetch((root / "templates" / "own.png").as_uri()).read() == png()
    for url in ((root / "templates" / "logo.png").as_uri(), secret.as_uri(),
                (root / "templates").as_uri() + "/../logbook/copy.png", "file:///etc/passwd",
                (root / "templates").as_uri() + "/own%00.png"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    pdf = html_to_pdf('<img src="logo.png"><img src="../logbook/copy.png">', template_folders(root))
    assert b"/Subtype /Image" not in pdf
    assert b"/Subtype /Image" in html_to_pdf('<img src="own.png">', template_folders(root))


# ---------------------------------------------------------------- deep Markdown


def test_a_deeply_nested_detail_is_shown_as_text(tmp_path):
    deep = "\n".join("  " + "    " * level + "- level" for level in range(400))
    dashes = "  " + "- " * 3000 + "<script>x</script>"
    logbook = NOVEMBER + deep + "\n- 30m another\n" + dashes + "\n"
    root = make_books(tmp_path / "books", {"logbook/2026-11.md": logbook})
    code, _, err = run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf")
    assert code == 0 and "Traceback" not in err, err
    page = (root / "site" / "owner" / "acme" / "2026-11.html").read_text(encoding="utf-8")
    assert "- - - - -" in page and "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert page.count("<ul>") < 50


def test_details_of_ordinary_depth_are_still_markdown():
    html = render_markdown("Fixed:\n\n- one\n    - two\n\n> quoted\n\n[docs](https://example.com) <b>bold</b>")
    assert "<li>one<ul>" in html.replace("\n", "") and "<blockquote>" in html and "<b>bold</b>" in html
    flat = render_markdown("<blockquote>" * 200 + "deep")
    assert flat.startswith("<p>&lt;blockquote&gt;") and "<blockquote>" not in flat


# ---------------------------------------------------------------- the end of the calendar


def test_periods_at_the_end_of_the_calendar():
    assert periods.bounds("9999-12") == (datetime.date(9999, 12, 1), datetime.date(9999, 12, 31))
    assert periods.bounds("9999-Q4") == (datetime.date(9999, 10, 1), datetime.date(9999, 12, 31))
    assert periods.bounds("2028-02") == (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))
    assert periods.periods_between(datetime.date(9999, 11, 5), datetime.date.max, "month") == ["9999-11", "9999-12"]
    assert periods.periods_between(datetime.date(9999, 1, 1), datetime.date.max, "quarter") == [
        "9999-Q1", "9999-Q2", "9999-Q3", "9999-Q4"]
    assert last_months(datetime.date(1, 2, 10), 18) == [datetime.date(1, 1, 1), datetime.date(1, 2, 1)]


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_dates_in_year_9999_price_and_build(tmp_path, period):
    retainer = """\
        name: Last Client
        terms:
          - from: 9999-01-01
            kind: retainer
            fee: 500
            included: 5h
            rate: 60
          - from: 9999-12-01
            kind: prepaid
            rate: 60
            until: 9999-12-31
        prepaid:
          - id: B-1
            bought: 9999-11-01
            hours: 20
            price: 1000
            expires: 9999-12-31
        """
    root = make_books(tmp_path / "books", {
        "hourbook.yaml": f"seller:\n  name: Ana\n  tax_id: ESB12345678\ncurrency: EUR\nlocale: en\nperiod: {period}\n",
        "contracts/last.yaml": retainer,
        "logbook/9999.md": "# 9999-12-31\n\n## acme\n- 1h end of time\n\n## last\n- 2h the last fix\n- [ ] more\n"})
    for command in (["check"], ["price"], ["price", "--json"], ["build", "--no-pdf"], ["export"]):
        code, _, err = run_cli(*command, str(root), "--as-of", "9999-12-31")
        assert code == 0 and "Traceback" not in err and "internal error" not in err, (command, err)
    assert (root / "site" / "owner" / "last" / ("9999-12.html" if period == "month" else "9999-Q4.html")).is_file()


# ---------------------------------------------------------------- the command line's last resort


def test_an_unexpected_exception_is_one_line_and_exit_70(tmp_path, monkeypatch):
    def boom(args):
        raise RuntimeError("something broke\nsecond line")

    monkeypatch.setattr(cli, "cmd_check", boom)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    code, out, err = run_cli("check", str(tmp_path))
    assert code == cli.EXIT_INTERNAL == 70 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("hourbook: internal error: RuntimeError: something broke; this is a bug in hourbook")
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    assert "Traceback" in run_cli("check", str(tmp_path))[2]


def test_a_refused_write_is_one_line_and_exit_1(tmp_path, monkeypatch):
    def full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "site" / "index.html"))

    monkeypatch.setattr(cli, "cmd_build", full)
    code, out, err = run_cli("build", str(tmp_path))
    assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err == f"hourbook: error: cannot read or write {tmp_path / 'site' / 'index.html'}: No space left on device\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command", slow_after_the_first([["price"], ["price", "--json"], ["check", "--json"]]))
def test_stdout_on_a_full_disk_is_one_line_and_exit_1(tmp_path, command):
    root = make_books(tmp_path / "books")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "hourbook", *command, str(root), "--as-of", AS_OF],
                                stdout=full, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "HOURBOOK_NO_CACHE": "1"})
    assert result.returncode == 1
    assert result.stderr == "hourbook: error: No space left on device\n"
