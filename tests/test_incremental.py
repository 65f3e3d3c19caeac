"""Incremental builds: after any change, the same bytes as a clean build; only what changed is redone.

Each test builds a books folder with `hourbook.build.builder.Builder`, changes one input,
builds again, and compares the site with a clean build (a fresh Builder, no cache,
another folder) and with `render_site` itself. PDFs are faked (a digest of the
HTML) except in one test that runs WeasyPrint on a single statement.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path

import pytest

from conftest import SELLER
from conftest import TEST_SECRET
from conftest import slow_after_the_first

from hourbook import git
from hourbook.build import cache_folder
from hourbook.output.json import json_text
from hourbook.output.json import priced_json
from hourbook.build import price_run
from hourbook.build import price_shares
from hourbook.build import rendering
from hourbook.build import workers
from hourbook.site.folder import SITE_MARKER
from hourbook.site.folder import SITE_MARKER_TEXT
from hourbook.site.secret import SECRET_ENV
from hourbook.site.secret import load_secret
from hourbook.site.secret import public_folders
from hourbook.build.builder import Builder
from hourbook.pipeline import load_and_price
from hourbook.render import render_site

AS_OF = datetime.date(2026, 12, 31)

BOOKS = {
    "hourbook.yaml": SELLER + "exchange_rates: [{date: 2026-01-01, GBP: 1.1650}]   # Initech's pounds on the owner's pages\n",
    "contracts/acme.yaml": """\
        name: ACME S.L.
        tax: 21%
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 60
            increment: 15m
    """,
    "contracts/globex.yaml": """\
        name: Globex GmbH
        share: false
        terms:
          - from: 2026-01-01
            kind: retainer
            fee: 300
            included: 2h
            rate: 70
    """,
    "contracts/initech.yaml": """\
        name: Initech Ltd
        currency: GBP
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: 80
        prepaid:
          - id: B-1
            bought: 2026-09-01
            hours: 5
            price: 350
    """,
    "logbook/2026/11.md": """\
        # 2026-11-03

        ## acme
        - 09:10-10:25 printer driver #support

        ## globex
        - 1h30m network check #support

        # 2026-11-04

        ## initech
        - 45m mailbox #support
    """,
    "logbook/2026/10.md": """\
        # 2026-10-12

        ## acme
        - 2h server update #maintenance

        ## initech
        - 1h backup #support
    """,
}


@pytest.fixture(autouse=True)
def fake_pdf(monkeypatch):
    """PDFs as a digest of their HTML (WeasyPrint is slow); counts the PDFs made."""
    made = []

    def render_pdf(html, unused_template_dirs, unused_stylesheet=None):
        made.append(html)
        return b"%PDF-fake " + hashlib.sha256(html.encode("utf-8")).hexdigest().encode()

    monkeypatch.setattr(rendering, "render_pdf", render_pdf)
    monkeypatch.setattr(rendering, "PARALLEL_PDFS", 10**9)      # in this process, so calls are counted ...
    monkeypatch.setattr(rendering.PdfWorkers, "start", classmethod(lambda cls, jobs: None))    # ... none ahead
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    return made


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def clean_build(root: Path, out: Path, pdf: bool = True) -> dict[str, bytes]:
    result = Builder(root, lambda: AS_OF, out=out, pdf=pdf, disk_cache=False, jobs=1).build()
    assert result.ok, result.diagnostics
    return tree(out)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_clean_build_is_render_site(books, tmp_path):
    root = books(BOOKS)
    files = clean_build(root, tmp_path / "clean", pdf=False)
    priced, _ = load_and_price(root, AS_OF)
    folders = public_folders(priced, load_secret(root))
    assert files.pop(SITE_MARKER) == SITE_MARKER_TEXT   # build marks what it wrote
    assert files == render_site(priced, root, folders, pdf=False, provenance=git.provenance(root))


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
def test_the_owner_pages_made_in_another_process_are_the_ones_made_here(books, tmp_path, monkeypatch):
    """Big books have the people and requests pages made in a forked process meanwhile (`EveryEntryPages`),
    the people page from each client's sums kept on disk: the site is byte for byte the one-process build's."""
    root = books(BOOKS)
    plain = clean_build(root, tmp_path / "plain", pdf=False)
    monkeypatch.setattr(rendering, "PARALLEL_OWNER_ENTRIES", 0)      # the example books count as big
    made = []
    real = rendering.EveryEntryPages.result
    monkeypatch.setattr(rendering.EveryEntryPages, "result", lambda self: made.append(real(self)) or made[-1])
    result = Builder(root, lambda: AS_OF, out=tmp_path / "forked", pdf=False, disk_cache=False, jobs=2).build()
    assert result.ok
    assert [sorted(pages) for pages in made] == [["owner/people.html", "owner/requests.html"]]  # from the fork
    forked = tree(tmp_path / "forked")
    assert forked == plain
    assert "· People ·".encode() in forked["owner/people.html"] and "· Requests ·".encode() in forked["owner/requests.html"]


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="no fork here")
@pytest.mark.parametrize("fails", [False, True], ids=["forked", "failed there"])
def test_the_checks_made_in_another_process_give_the_diagnostics_made_here(books, tmp_path, monkeypatch, fails):
    """Big books are checked in a forked process while this one prices them (`ForkedChecks`): the
    build's diagnostics (warnings and errors) are those of the pipeline in one process; when the
    process fails, the checks are made here."""
    root = books({**BOOKS, "logbook/2026/12.md": (
        "# 2026-12-01\n\n## acme\n- 09:00-10:00 first\n- 09:30-10:30 overlapping\n- 5m #suport\n\n"
        "## nobody\n- 10m unknown client\n")})
    _, plain = load_and_price(root, AS_OF)
    assert any(d.severity == "error" for d in plain) and any(d.severity == "warning" for d in plain)
    monkeypatch.setattr(workers, "PARALLEL_CHECK_ENTRIES", 0)       # the example books count as big
    here = os.getpid()
    real = workers.validate
    calls = tmp_path / "calls"
    calls.mkdir()

    def checked(books_, as_of):
        (calls / ("here" if os.getpid() == here else "forked")).touch()
        if fails and os.getpid() != here:
            raise RuntimeError("the forked checks fail")
        return real(books_, as_of)

    monkeypatch.setattr(workers, "validate", checked)
    result = Builder(root, lambda: AS_OF, out=tmp_path / "site", pdf=False, disk_cache=False, jobs=2).build()
    assert not result.ok and result.diagnostics == plain
    assert sorted(path.name for path in calls.iterdir()) == (["forked", "here"] if fails else ["forked"])
    assert Builder(root, lambda: AS_OF, out=tmp_path / "one", pdf=False, disk_cache=False, jobs=1).build().diagnostics == plain


CHANGES = [
    ("one logbook line", "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox"),
    ("a new entry", "logbook/2026/10.md", "- 1h backup #support", "- 1h backup #support\n- 30m restore test"),
    ("a contract rate", "contracts/acme.yaml", "rate: 60", "rate: 65"),
    ("a client made private", "contracts/acme.yaml", "tax: 21%", "tax: 21%\nshare: false"),
    ("the seller", "hourbook.yaml", "Ana Ruiz Consulting", "Ana Ruiz Consultora"),
]


@pytest.mark.parametrize("watch", slow_after_the_first([False, True]), ids=["build", "watch"])
@pytest.mark.parametrize("what, rel, old, new", slow_after_the_first(CHANGES), ids=[c[0] for c in CHANGES])
def test_rebuild_after_a_change_is_byte_identical_to_a_clean_build(books, tmp_path, what, rel, old, new, watch):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    builder.background_cleanup = watch           # watch mode swaps only the folders that changed
    assert builder.build().ok
    edit(root / rel, old, new)
    result = builder.build()
    assert result.ok and not result.up_to_date
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")
    # And a new process (a later `hourbook build`) reusing the disk cache agrees too.
    edit(root / rel, new, old)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-again")


def test_watch_swaps_only_the_changed_folders_and_a_killed_watch_is_not_trusted(books, tmp_path):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    builder.background_cleanup = True
    assert builder.build().ok
    out = root / "site"
    site_inode = out.stat().st_ino
    untouched = {rel: (out / rel).stat().st_ino for rel in tree(out) if rel.startswith("owner/globex/")}
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")      # initech only
    assert builder.build().ok
    assert out.stat().st_ino == site_inode                                   # not a whole-site swap
    assert {rel: (out / rel).stat().st_ino for rel in untouched} == untouched  # globex's files left alone
    assert tree(out) == clean_build(root, tmp_path / "clean")
    builder.flush()                                                          # the state is saved in a thread
    assert not (root / cache_folder.CACHE_DIR / cache_folder.WRITING_MARK).exists()
    # A watch killed while swapping folders leaves the mark: the next process trusts no manifest.
    (root / cache_folder.CACHE_DIR / cache_folder.WRITING_MARK).touch()
    assert Builder(root, lambda: AS_OF, jobs=1).published.state == {}
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    assert tree(out) == clean_build(root, tmp_path / "clean-again")


def test_watch_checks_again_only_the_file_and_day_an_edit_changed(books):
    # An overlap made and unmade by edits: watch's diagnostics are always a fresh pipeline's.
    root = books({**BOOKS, "hourbook.yaml": BOOKS["hourbook.yaml"] + "team:\n  ivan: {name: Iván Petrov, cost: 28}\n",
                  "logbook/ivan/2026-11.md": "---\nworker: ivan\n---\n# 2026-11-03\n\n## acme\n- 10:00-11:00 cabling\n"})
    builder = Builder(root, lambda: AS_OF, jobs=1)
    builder.background_cleanup = True
    assert builder.build().ok and builder.validation.checked == 0
    overlap = "10:00-10:30 overlaps 09:10-10:25 on 2026-11-03 at logbook/2026/11.md:4"
    for old, new, shown in [("- 09:10-10:25 printer driver #support\n",
                             "- 09:10-10:25 printer driver #support\n- 10:00-10:30 toner #support\n", True),
                            ("- 10:00-10:30 toner #support\n", "", False)]:
        edit(root / "logbook/2026/11.md", old, new)
        result = builder.build()
        assert result.ok
        assert result.diagnostics == load_and_price(root, AS_OF)[1]
        assert any(d.message == overlap for d in result.diagnostics) is shown
    assert builder.validation.checked == 4       # the edited file and its day, once an edit; never Iván's


def test_template_override_rebuilds_every_page_that_uses_it(books, tmp_path):
    from hourbook.render.html import TEMPLATES_DIR

    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    assert builder.build().ok
    before = tree(root / "site")
    (root / "templates").mkdir()
    base = (TEMPLATES_DIR / "base.html").read_text(encoding="utf-8")
    (root / "templates" / "base.html").write_text(base.replace("<body", "<!-- local -->\n<body", 1), encoding="utf-8")
    result = builder.build()
    assert result.ok and result.rendered_clients == 3
    after = tree(root / "site")
    assert after == clean_build(root, tmp_path / "clean")
    assert all(b"<!-- local -->" in data for rel, data in after.items() if rel.endswith(".html"))
    assert after != before


def test_removed_logbook_removes_its_statements(books, tmp_path):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    assert builder.build().ok
    assert any("acme" in rel and "2026-10" in rel for rel in tree(root / "site"))
    assert "logbook/2026/10.md" in builder.logbooks.files
    (root / "logbook/2026/10.md").unlink()
    assert builder.build().ok
    site_files = tree(root / "site")
    assert not any("acme" in rel and "2026-10" in rel for rel in site_files)
    assert site_files == clean_build(root, tmp_path / "clean")
    assert "logbook/2026/10.md" not in builder.logbooks.files     # the caches forgot it
    assert "logbook/2026/10.md" not in builder.logbooks.current
    (root / "logbook/2026/11.md").write_text((root / "logbook/2026/11.md").read_text() + "\n", encoding="utf-8")
    assert builder.build().ok                                   # the same files: nothing to forget
    assert set(builder.logbooks.files) == {rel for rel in builder.logbooks.books_files if rel.startswith("logbook/")}


def test_only_the_changed_client_is_rendered_and_only_its_changed_pdf(books, fake_pdf):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    first = builder.build()
    assert first.ok and first.rendered_clients == 3
    assert first.rendered_pdfs == len(fake_pdf) > 0
    fake_pdf.clear()
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")
    second = builder.build()
    assert second.ok and second.rendered_clients == 1
    # initech's November statement changed; its October one did not, so its PDF is kept.
    assert len(fake_pdf) == 1 and "mailbox" in fake_pdf[0]


def test_pdfs_are_reused_by_a_new_process(books, fake_pdf):
    root = books(BOOKS)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    made = len(fake_pdf)
    fake_pdf.clear()
    (root / "site").rename(root / "old-site")        # even without the old site, the PDF cache answers
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and result.rendered_pdfs == 0 and fake_pdf == [] and made > 0


def test_a_first_build_reports_each_of_the_sites_files_written_once(books):
    # The marker that makes the folder a site is not one of the files a build reports
    # (watch printed "138 of 137 files changed" on a first build).
    root = books(BOOKS)
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and result.written == result.files > 0


def test_no_change_rebuild_writes_nothing(books):
    root = books(BOOKS)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    before = {p: p.stat().st_mtime_ns for p in (root / "site").rglob("*")}
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and result.up_to_date and result.written == 0
    assert {p: p.stat().st_mtime_ns for p in (root / "site").rglob("*")} == before


def test_a_site_changed_by_hand_is_rebuilt(books, tmp_path):
    root = books(BOOKS)
    assert Builder(root, lambda: AS_OF, jobs=1).build().ok
    page = next((root / "site" / "owner").glob("*/index.html"))
    page.write_text("tampered", encoding="utf-8")
    result = Builder(root, lambda: AS_OF, jobs=1).build()
    assert result.ok and not result.up_to_date
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")


def test_errors_leave_the_site_as_it_was(books):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    assert builder.build().ok
    before = tree(root / "site")
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 45x mailbox")
    result = builder.build()
    assert not result.ok
    assert [f"{d.source}: {d.message}" for d in result.diagnostics if d.severity == "error"] == [
        "logbook/2026/11.md:12: cannot read the time '45x': expected a range like 09:10-10:25 "
        "or a duration like 45m, 1h30m, 1.5h or 0:45"]
    assert tree(root / "site") == before


@pytest.mark.slow  # forked rendering workers
def test_parallel_rendering_gives_the_same_bytes(books, tmp_path, monkeypatch):
    root = books(BOOKS)
    serial = clean_build(root, tmp_path / "serial")
    monkeypatch.setattr(rendering, "PARALLEL_CLIENTS", 1)
    result = Builder(root, lambda: AS_OF, out=tmp_path / "parallel", disk_cache=False, jobs=2).build()
    assert result.ok
    assert tree(tmp_path / "parallel") == serial


def test_few_clients_of_many_statements_are_rendered_in_processes(books, tmp_path, monkeypatch):
    """Two or more clients that hold `PARALLEL_STATEMENTS` statements between them are rendered in
    forked processes however few they are (`rendering.rendered_in_processes`), to the bytes one
    process makes."""
    root = books(BOOKS)
    priced, _ = load_and_price(root, AS_OF)
    indexes = list(range(len(priced.clients)))
    statements = sum(len(client.statements) for client in priced.clients)
    assert len(indexes) < rendering.PARALLEL_CLIENTS
    monkeypatch.setattr(rendering, "PARALLEL_STATEMENTS", statements)
    assert rendering.rendered_in_processes(priced, indexes, 2)
    assert not rendering.rendered_in_processes(priced, indexes, 1)         # one core
    assert not rendering.rendered_in_processes(priced, indexes[:1], 2)     # one client is not split
    monkeypatch.setattr(rendering, "PARALLEL_STATEMENTS", statements + 1)
    assert not rendering.rendered_in_processes(priced, indexes, 2)
    monkeypatch.setattr(rendering, "PARALLEL_STATEMENTS", statements)
    forked = []
    fork_pool = rendering.fork_pool
    monkeypatch.setattr(rendering, "fork_pool", lambda *args, **values: forked.append(values) or fork_pool(*args, **values))
    serial = clean_build(root, tmp_path / "serial")
    assert forked == []
    result = Builder(root, lambda: AS_OF, out=tmp_path / "parallel", disk_cache=False, jobs=2).build()
    assert result.ok and [sorted(values) for values in forked] == [["environment", "keep", "work"]]
    assert tree(tmp_path / "parallel") == serial


def test_a_rebuild_swaps_a_new_folder_in_and_links_what_did_not_change(books, tmp_path):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    assert builder.build().ok
    edit(root / "hourbook.yaml", "Ana Ruiz Consulting", "Ana Ruiz Consultora")
    assert builder.build().ok
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")
    assert not list(root.glob(".site.new-*")) and not list(root.glob(".site.old-*"))
    kept = {p: p.stat().st_ino for p in (root / "site").rglob("*") if p.is_file()}
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")
    assert builder.build().ok
    after = {p: p.stat().st_ino for p in (root / "site").rglob("*") if p.is_file()}
    same = [p for p in after if kept.get(p) == after[p]]
    assert same and len(same) < len(after)       # unchanged pages are the same files, linked


def test_real_pdf_is_deterministic_and_cached(books, monkeypatch):
    monkeypatch.undo()
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    root = books({
        "contracts/acme.yaml": "name: ACME\nterms:\n  - from: 2026-01-01\n    kind: hourly\n    rate: 60\n",
        "logbook/log.md": "# 2026-11-03\n\n## acme\n- 1h printer\n",
    })
    first = Builder(root, lambda: AS_OF, jobs=1).build()
    assert first.ok and first.rendered_pdfs == 1
    pdfs = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "site").rglob("*.pdf")}
    assert len(pdfs) == 1 and next(iter(pdfs.values())).startswith(b"%PDF")
    (root / "site").rename(root / "old")
    again = Builder(root, lambda: AS_OF, jobs=1).build()
    assert again.ok and again.rendered_pdfs == 0
    assert {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "site").rglob("*.pdf")} == pdfs


def test_check_and_price_json_split_over_processes_give_the_same_bytes(books, monkeypatch):
    import io


    def run(root, jobs):
        out = io.StringIO()
        result = price_run.price_run(root, AS_OF, out=out, jobs=jobs)
        return out.getvalue(), result

    def run_to_file(root, jobs):
        # A file as standard output is: the chunks' bytes go to its buffer as they are (`write_utf8`).
        path = root.parent / "price.json"
        with open(path, "w", encoding="utf-8") as out:
            out.write("")               # text before the bytes stays before them
            price_run.price_run(root, AS_OF, out=out, jobs=jobs)
        return path.read_text(encoding="utf-8")

    root = books(BOOKS)
    priced, diagnostics = load_and_price(root, AS_OF)
    reference = json_text(priced_json(priced, diagnostics)) + "\n"
    monkeypatch.setattr(price_shares, "PARALLEL_PRICING_ENTRIES", 0)
    for jobs in (1, 2, 3):
        text, result = run(root, jobs)
        assert text == reference
        assert result.diagnostics == diagnostics and result.clients == 3
        cached, result = run(root, jobs)     # from .hourbook-cache/
        assert cached == reference and result.diagnostics == diagnostics
        assert run_to_file(root, jobs) == reference
        price_run.price_run(root, AS_OF)    # check does not spoil the cached JSON
        assert run(root, jobs)[0] == reference
        monkeypatch.setenv(price_run.NO_CACHE_ENV, "1")
        assert run(root, jobs)[0] == reference
        monkeypatch.delenv(price_run.NO_CACHE_ENV)
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m buzón, ñandú — 東京")
    priced, diagnostics = load_and_price(root, AS_OF)
    reference = json_text(priced_json(priced, diagnostics)) + "\n"
    assert "東京" in reference
    assert run(root, 2)[0] == reference and run_to_file(root, 2) == reference
    monkeypatch.setenv(price_run.NO_CACHE_ENV, "1")
    assert run_to_file(root, 2) == reference


def test_price_json_of_books_without_clients(books):
    import io


    root = books({"logbook/log.md": "# 2026-11-03\n\n## acme\n- 1h printer\n"})
    priced, diagnostics = load_and_price(root, AS_OF)
    out = io.StringIO()
    price_run.price_run(root, AS_OF, out=out)
    assert out.getvalue() == json_text(priced_json(priced, diagnostics)) + "\n"


def test_watch_mode_writes_the_pages_then_the_dashboard(books, tmp_path):
    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    assert builder.build().ok
    dashboard = (root / "site" / "owner" / "index.html").read_bytes()
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")
    seen = {}

    def on_pages():
        site_files = tree(root / "site")
        seen["dashboard"] = site_files["owner/index.html"]
        seen["pages"] = [rel for rel, data in site_files.items() if b"1h45" in data or b"1:45" in data]

    assert builder.build(on_pages=on_pages).ok
    assert seen["dashboard"] == dashboard                       # not yet...
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")   # ... but in the end, all of it
    assert (root / "site" / "owner" / "index.html").read_bytes() != dashboard


@pytest.mark.slow  # three processes, each with its own hash seed
def test_page_keys_are_the_same_in_every_process(books, tmp_path):
    """A new process (another string hash seed) reuses every client's pages: nothing is rendered."""
    import os
    import subprocess
    import sys

    root = books({**BOOKS, "contracts/globex.yaml": BOOKS["contracts/globex.yaml"].replace(
        "rate: 70", "rate: 70\n            covers: [support, maintenance, network, backup]")})
    code = ("import datetime, sys; from pathlib import Path; from hourbook.build.builder import Builder; "
            "r = Builder(Path(sys.argv[1]), lambda: datetime.date(2026, 12, 31), pdf=False, jobs=1).build(); "
            "print(r.ok, r.up_to_date, r.rendered_clients)")
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.append(subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True,
                                      text=True, check=True).stdout.split())
        (root / "logbook/2026/10.md").write_text((root / "logbook/2026/10.md").read_text() + f"\n<!-- {seed} -->\n")
    assert outputs[0] == ["True", "False", "3"]
    assert outputs[1] == ["True", "False", "0"] and outputs[2] == ["True", "False", "0"]


def test_check_split_over_processes_reports_what_one_process_does(books, monkeypatch):
    """`check` prices on every core too (no JSON): the same diagnostics, in the same order."""
    root = books({**BOOKS, "logbook/2026/12.md": (
        "# 2026-12-01\n\n## acme\n- 09:00-10:00 first\n- 09:30-10:30 overlapping\n\n"
        "## initech\n- 2025 odd line\n- 10h beyond the block #support\n\n## nobody\n- 1h who\n")})
    monkeypatch.setenv(price_run.NO_CACHE_ENV, "1")
    _, reference = load_and_price(root, AS_OF)
    assert {d.severity for d in reference} == {"error", "warning"}
    monkeypatch.setattr(price_shares, "PARALLEL_PRICING_ENTRIES", 0)
    monkeypatch.setattr(workers, "PARALLEL_LOAD_BYTES", 0)
    for jobs in (1, 2, 3):
        assert price_run.price_run(root, AS_OF, jobs=jobs).diagnostics == reference, jobs


def test_price_json_with_a_register_is_priced_whole_and_written_on_every_core(books, monkeypatch):
    """With issued.yaml the books are priced whole in one process (the register is compared with
    all of them); the other processes only write their share's JSON: the same bytes."""
    import io


    root = books({**BOOKS, "issued.yaml": "# Register of issued invoices, written only by `hourbook issue`.\n"})
    monkeypatch.setenv(price_run.NO_CACHE_ENV, "1")
    priced, diagnostics = load_and_price(root, AS_OF)
    reference = json_text(priced_json(priced, diagnostics)) + "\n"
    monkeypatch.setattr(price_shares, "PARALLEL_PRICING_ENTRIES", 0)
    forked = []
    write_later_shares = price_shares.ClientShares.write_later_shares

    def spy(shares, priced):
        write_later_shares(shares, priced)
        forked.append((shares.split, shares.pool is not None))

    monkeypatch.setattr(price_shares.ClientShares, "write_later_shares", spy)
    for jobs in (1, 2, 3):
        out = io.StringIO()
        result = price_run.price_run(root, AS_OF, out=out, jobs=jobs)
        assert out.getvalue() == reference and result.diagnostics == diagnostics
    assert forked == [(False, False), (False, True), (False, True)]


@pytest.mark.parametrize("pattern", ["all here", "all in the other process", "every other chunk"])
def test_price_json_is_the_same_whichever_process_takes_which_clients(books, monkeypatch, pattern):
    """The chunks of clients go to whichever process claims them first: every way they can fall gives
    the bytes of one process, and check's diagnostics. A payment makes every client's JSON show its
    receivables (no register: none issued, the payment as credit), which each process writes with
    the chunks it prices."""
    import io
    import os as os_

    root = books({**BOOKS, "logbook/2026/12.md": (
        "# 2026-12-01\n\n## acme\n- 09:00-10:00 first\n- 09:30-10:30 overlapping\n\n"
        "## initech\n- 10h beyond the block #support\n"),
        "payments/2026/bank.yaml": "payments:\n  - {date: 2026-11-20, client: globex, amount: 50.00, ref: CB-1}\n"})
    monkeypatch.setenv(price_run.NO_CACHE_ENV, "1")
    priced, diagnostics = load_and_price(root, AS_OF)
    reference = json_text(priced_json(priced, diagnostics)) + "\n"
    here = os_.getpid()

    class Decided:
        """Claims decided in advance: this process's chunks by the pattern, the other's the rest."""

        def __init__(self, chunks):
            self.chunks = chunks

        def claim(self, chunk):
            ours = {"all here": True, "all in the other process": False, "every other chunk": chunk % 2 == 0}[pattern]
            return ours == (os_.getpid() == here)

    monkeypatch.setattr(price_shares, "PARALLEL_PRICING_ENTRIES", 0)
    monkeypatch.setattr(price_shares, "Claims", Decided)
    taken = []
    claimed_pricer = price_shares.claimed_pricer

    def spy(books_, chunks, claims, texts=None):
        price_one, mine = claimed_pricer(books_, chunks, claims, texts)
        if os_.getpid() == here:
            taken.append((len(chunks), mine))
        return price_one, mine

    monkeypatch.setattr(price_shares, "claimed_pricer", spy)
    out = io.StringIO()
    result = price_run.price_run(root, AS_OF, out=out, jobs=2)
    assert '"credit": "50.00"' in reference
    assert out.getvalue() == reference and result.diagnostics == diagnostics
    assert price_run.price_run(root, AS_OF, jobs=2).diagnostics == diagnostics
    chunks, mine = taken[0]
    assert chunks == 3 and mine == {"all here": [0, 1, 2], "all in the other process": [],
                                    "every other chunk": [0, 2]}[pattern]


def test_watch_looks_only_at_the_files_whose_bytes_changed_and_writes_the_same_site(books, tmp_path, monkeypatch):
    from hourbook.build.caches import FileHashes

    root = books(BOOKS)
    builder = Builder(root, lambda: AS_OF, jobs=1)
    builder.background_cleanup = True
    looked = []
    of_files = FileHashes.of_files

    def spied(self, files, manifest):
        hashes, fresh = of_files(self, files, manifest)
        looked.append((len(files), len(fresh)))
        return hashes, fresh

    monkeypatch.setattr(FileHashes, "of_files", spied)
    assert builder.build().ok
    assert looked[0][0] == looked[0][1]                  # the first build: every file
    edit(root / "logbook/2026/11.md", "- 45m mailbox", "- 1h45m mailbox")      # initech only
    looked.clear()
    assert builder.build().ok
    ((total, fresh),) = looked
    assert 0 < fresh < total / 2                        # Initech's pages and the owner's, not the rest
    assert tree(root / "site") == clean_build(root, tmp_path / "clean")
    # A manifest the last write did not make (a state read from disk) is trusted for nothing.
    files = {"public/robots.txt": b"x"}
    hashes = FileHashes()
    assert hashes.of_files(files, {})[1] == ["public/robots.txt"]
    hashes.replace(files, {"public/robots.txt": "0" * 64}, manifest := {"public/robots.txt": ["0" * 64, 1, 1]})
    assert hashes.of_files(files, manifest)[1] == [] and hashes.of_files(files, dict(manifest))[1] == ["public/robots.txt"]


def test_a_file_that_changed_alone_in_its_folder_is_replaced_alone():
    """`site_units.lone_files`: a folder in which one file alone changed is that file (renamed into
    place); a folder with more than one change, a file added or a file removed is made anew."""
    from hourbook.build.site_units import lone_files
    from hourbook.build.site_units import site_units

    old = {rel: ["digest", 1, 1] for rel in ("owner/index.html", "owner/acme/dashboard.html", "owner/acme/2026-11.html",
                                             "owner/globex/dashboard.html", "owner/initech/dashboard.html",
                                             "owner/initech/2026-10.html", "public/acme-x/2026-11.html",
                                             "public/acme-x/index.html")}
    changed = ["owner/index.html", "owner/acme/dashboard.html", "owner/globex/dashboard.html",
               "owner/globex/2026-12.html", "public/acme-x/2026-11.html", "public/acme-x/index.html"]
    removed = ["owner/initech/2026-10.html"]
    assert lone_files(site_units(changed + removed), changed, removed, old) == {
        "owner/index.html",               # a top-level file, as before
        "owner/acme/dashboard.html",      # alone in its folder: replaced by rename
        "owner/globex",                   # a file added beside the changed one: the folder anew
        "owner/initech",                  # a file removed: the folder anew
        "public/acme-x",                  # two files changed: the folder anew
    }


def test_the_top_level_files_are_those_of_the_manifest_asked_about():
    """`site_units.top_level_files`, remembered for the very manifest last asked about: another
    manifest, even an equal one made anew, is looked at again."""
    from hourbook.build.site_units import top_level_files

    first = {rel: ["digest", 1, 1] for rel in ("owner/index.html", "owner/acme/dashboard.html", "public/robots.txt",
                                               "public/acme-x/index.html", ".hourbook-site")}
    assert top_level_files(first) == ("owner/index.html", "public/robots.txt")
    second = {**first, "owner/people.html": ["digest", 1, 1]}
    assert top_level_files(second) == ("owner/index.html", "public/robots.txt", "owner/people.html")
    assert top_level_files(first) == ("owner/index.html", "public/robots.txt")
