"""Hostile content: markup, script, template syntax and path tricks in the books stay text.

Names, addresses, ids, tags, descriptions and details carry `<script>`, event
handlers, `javascript:` and `data:` URLs, CSS, Jinja syntax and `../` paths. A build
of such books must succeed, write nothing outside `site/`, run no template code, and
produce pages where none of it is markup:

- static: every HTML page parsed; no element or attribute comes from the books
  (each payload carries the marker `HBX`, which may only ever appear as text or
  in a harmless attribute), no script, no event handler, no `javascript:`/`data:`
  link; a Content-Security-Policy that forbids scripts comes first in every page;
  the PDFs hold no JavaScript, launch or link action;
- in a browser: headless Chromium opens a page of each kind (every page with
  HOURBOOK_BROWSER_ALL=1, the acceptance run); the payloads would change the
  title or set `data-pwned` on the root, and neither happens, and no dialog blocks it.
  (A control page with the same payloads, unescaped, shows the detector works.)
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import textwrap
import zlib
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import TEST_SECRET
from conftest import run_cli

AS_OF = "2026-11-25"
MARK = "HBX"
# Each runs script in a page if it ever becomes markup: the title changes, the root gets data-pwned.
JS = "document.title='PWNED';document.documentElement.setAttribute('data-pwned','1')"
PAYLOADS = [
    f"<script>{JS}</script>{MARK}1",
    f"<img src=x onerror=\"{JS}\">{MARK}2",
    f"\"><svg onload=\"{JS}\">{MARK}3",
    f"'><details open ontoggle=\"{JS}\">{MARK}4",
    f"</title><script>{JS}</script>{MARK}5",
    f"</style><style>body{{display:none}}</style>{MARK}6",
    f"<iframe srcdoc=\"<script>parent.{JS}</script>\"></iframe>{MARK}7",
    f"<input autofocus onfocus=\"{JS}\">{MARK}8",
    f"<a href=\"javascript:{JS}\">{MARK}9</a>",
    f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:{JS}\">{MARK}10",
    f"<base href=\"javascript:{JS}//\">{MARK}11",
    f"<object data=\"data:text/html,<script>{JS}</script>\"></object>{MARK}12",
    f"<div style=\"background:url(javascript:{JS})\">{MARK}13</div>",
    f"x\" onmouseover=\"{JS}\" {MARK}14=\"",
    f"{{{{ 1234*5678 }}}}{{% for x in range(3) %}}LOOP{{% endfor %}}{MARK}15",
    f"{{{{ self.__init__.__globals__ }}}}{{{{ config }}}}{MARK}16",
]
TEMPLATE_RESULTS = ("7006652", "LOOPLOOP")  # what the template syntax would give if it ran
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "data",
                  "srcset", "ping", "codebase", "cite", "longdesc", "usemap", "manifest"}
FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input",
                  "button", "textarea", "select", "base", "link", "marquee", "video", "audio", "source",
                  "details", "template", "portal", "math"}


def yaml_str(text: str) -> str:
    """A YAML double-quoted string (JSON's escaping is YAML's)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def hostile_books(root: Path, outside: Path) -> Path:
    """Books with a payload in every text field, tag, id and detail; path tricks aimed at `outside`."""
    p = [yaml_str(x) for x in PAYLOADS]
    escape = "../" * 12 + str(outside).lstrip("/")
    files = {
        "hourbook.yaml": f"""\
            seller:
              name: {p[0]}
              address: {p[1]}
              tax_id: {p[14]}
              email: {p[8]}
              iban: {p[5]}
            currency: EUR
            locale: en
            cost: 35
            team:
              ivan: {{name: {p[2]}, cost: 28}}
            """,
        "contracts/acme.yaml": f"""\
            name: {p[4]}
            address: {p[15]}
            tax_id: {p[13]}
            email: {p[13]}
            tax: 21%
            contacts:
              ana: {p[6]}
            terms:
              - from: 2026-01-01
                kind: prepaid
                label: {p[3]}
                rate: 60
                rates: {{"../../../etc": 70}}
            prepaid:
              - id: {yaml_str(escape + "-block")}
                bought: 2026-01-10
                hours: 20
                price: 1000
              - id: {yaml_str(str(outside) + "-abs")}
                bought: 2026-02-10
                hours: 1
                price: 10
              - id: {p[7]}
                bought: 2026-03-10
                hours: 1
                price: 10
            quotes:
              - id: "../../q-1"
                title: {p[9]}
                price: 4500
                estimate: 40h
                approved: "2026-02-01 ana"
                invoice: 2026-11-30
            """,
        "contracts/globex.yaml": f"""\
            name: {p[10]}
            address: {p[11]}
            terms:
              - {{from: 2026-01-01, kind: retainer, fee: 300, included: 1h, rate: 80, label: {p[12]}}}
            """,
        "logbook/2026-11.md": f"""\
            ---
            client: acme
            ---
            # 2026-11-03 {PAYLOADS[0]}

            ## acme
            - 09:10-10:25 @ana {PAYLOADS[1]} printer #support #../../../etc #a/b
              Details: {PAYLOADS[0]} and [link](javascript:{JS}) and ![i](data:image/svg+xml;base64,PHN2Zz4=)
              {PAYLOADS[2]} {PAYLOADS[11]} {PAYLOADS[12]}
              <style>body{{display:none}}</style>{MARK}17 <form action="javascript:{JS}"><button>{MARK}18</button></form>
              {PAYLOADS[9]} {PAYLOADS[10]} {PAYLOADS[14]} {PAYLOADS[15]}
            - 1h @ana {PAYLOADS[3]} update #../../q-1
            - 30m javascript:{JS} {PAYLOADS[13]} #support
            - expense 12.50 {PAYLOADS[4]} #travel
            - [ ] @ana {PAYLOADS[6]} #change

            ## globex
            - 2h {PAYLOADS[5]} {PAYLOADS[7]} {PAYLOADS[8]} #support
            """,
        "logbook/hostile.yaml": f"""\
            client: globex
            entries:
              - date: 2026-11-04
                duration: 45m
                by: ana
                tags: ["../../../etc/passwd", "{escape}"]
                note: {p[14]}
                details: {yaml_str(PAYLOADS[0] + chr(10) + chr(10) + PAYLOADS[1] + chr(10) + PAYLOADS[15])}
            """,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def tree(folder: Path, skip: tuple[str, ...] = ()) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if not p.relative_to(folder).as_posix().startswith(skip)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The hostile books, built with PDFs; (root, outside, files of the folder before the build)."""
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "pwned"
    root = hostile_books(base / "books", outside)
    before = tree(base)
    os.environ["HOURBOOK_SECRET"] = TEST_SECRET
    try:
        code, out, err = run_cli("build", str(root), "--as-of", AS_OF)
    finally:
        del os.environ["HOURBOOK_SECRET"]
    assert code == 0, err
    return root, outside, before, err


def pages(root: Path) -> list[Path]:
    found = sorted((root / "site").rglob("*.html"))
    assert found
    return found


class Page(HTMLParser):
    """Tags, attributes and the text of <style>, <script> and <title>, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.raw_text: list[tuple[str, str]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]

    def handle_data(self, data):
        if self.open and self.open[-1] in ("style", "script", "title"):
            self.raw_text.append((self.open[-1], data))


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def script_policy(csp: str) -> set[str]:
    """The sources a policy allows scripts from (script-src, else default-src; none: anything)."""
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), {w.lower() for w in words[1:]})
    return directives.get("script-src", directives.get("default-src", {"*"}))


# ------------------------------------------------------------------ static checks


@pytest.mark.slow  # the hostile books built whole, PDFs included
def test_build_writes_nothing_outside_the_site(built):
    root, outside, before, _ = built
    after = tree(root.parent)
    new = {rel for rel in after - before if not rel.startswith(("books/site", "books/.hourbook-"))}
    assert new == set()
    assert not list(outside.parent.glob("pwned*"))
    assert not Path(str(outside) + "-abs").exists()


@pytest.mark.slow  # the hostile books built whole, PDFs included
def test_no_template_code_runs(built):
    root, *_ = built
    text = "".join(p.read_text(encoding="utf-8") for p in pages(root))
    for result in TEMPLATE_RESULTS:
        assert result not in text
    assert "{{ 1234*5678 }}" in html.unescape(text)  # shown, as written


@pytest.mark.slow  # the hostile books built whole, PDFs included
def test_no_markup_from_the_books(built):
    root, *_ = built
    problems = []
    for path in pages(root):
        page = parse(path)
        rel = path.relative_to(root / "site")
        for tag, attrs in page.tags:
            # The one stylesheet beside every page, and on the owner's own pages the one script of
            # their tables (owner/owner.js, with its words in data- attributes): hourbook's, not the books'.
            ours = ((tag == "link" and dict(attrs) == {"rel": "stylesheet", "href": "style.css"})
                    or (tag == "script" and str(rel).startswith("owner/") and dict(attrs).get("src", "").endswith("owner.js")))
            if (tag in FORBIDDEN_TAGS and not ours) or MARK.lower() in tag:
                problems.append(f"{rel}: <{tag}>")
            if tag == "meta" and not {name for name, _ in attrs} <= {"charset", "http-equiv", "content", "name"}:
                problems.append(f"{rel}: <meta {attrs}>")
            for name, value in attrs:
                value = value or ""
                squashed = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
                if name.startswith("on") or MARK.lower() in name or name == "srcdoc":
                    problems.append(f"{rel}: <{tag} {name}=...>")
                picture = tag == "img" and name == "src" and squashed.startswith("data:image/")  # a logo
                if name in URL_ATTRIBUTES and squashed.startswith(("javascript:", "vbscript:", "data:")) and not picture:
                    problems.append(f"{rel}: <{tag} {name}={value[:40]!r}>")
                if name == "style" and (MARK in value or "url(" in squashed or "expression(" in squashed):
                    problems.append(f"{rel}: <{tag} style={value[:40]!r}>")
        for element, text in page.raw_text:
            if element in ("style", "script") and (MARK in text or "PWNED" in text):
                problems.append(f"{rel}: book text inside <{element}>")
    assert problems == []


@pytest.mark.slow  # the hostile books built whole, PDFs included
def test_every_page_forbids_scripts_first(built):
    root, *_ = built
    for path in pages(root):
        page = parse(path)
        policies = [(index, dict(attrs).get("content", "")) for index, (tag, attrs) in enumerate(page.tags)
                    if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(policies) == 1, f"{path}: {len(policies)} CSP meta elements"
        index, csp = policies[0]
        # Client pages run no script; the owner's dashboards and tables run their own file only ('self').
        owner_tables = path.relative_to(root / "site").parts[0] == "owner" and any(
            tag == "script" and (dict(attrs).get("src") or "").endswith("owner.js") for tag, attrs in page.tags)
        assert script_policy(csp) == ({"'self'"} if owner_tables else {"'none'"}), f"{path}: scripts allowed by {csp!r}"
        loads = [i for i, (tag, _) in enumerate(page.tags) if tag in ("script", "style", "link", "img", "svg", "body")]
        assert index < min(loads), f"{path}: the CSP comes after content it should govern"


def pdf_objects(data: bytes) -> bytes:
    """A PDF's bytes with every Flate stream inflated (object streams hold the annotations)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        start = match.end()
        end = data.find(b"endstream", start)
        try:
            parts.append(zlib.decompressobj().decompress(data[start:end]))
        except zlib.error:
            continue
    return b"\n".join(parts)


@pytest.mark.slow  # the hostile books built whole, PDFs included
def test_pdfs_hold_no_actions(built):
    root, *_ = built
    pdfs = sorted((root / "site").rglob("*.pdf"))
    assert pdfs
    for path in pdfs:
        content = pdf_objects(path.read_bytes())
        for action in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/SubmitForm", b"/ImportData", b"/RichMedia"):
            assert action not in content, f"{path}: {action!r}"
        for uri in re.findall(rb"/URI\s*\(([^)]*)\)", content):
            assert uri.lower().startswith((b"http:", b"https:", b"mailto:")), f"{path}: link to {uri!r}"


def test_yaml_escapes_cannot_smuggle_control_characters(tmp_path):
    """A NUL (a path trick in an id) or a terminal escape, written as a YAML escape, is refused."""
    root = tmp_path / "books"
    (root / "contracts").mkdir(parents=True)
    (root / "hourbook.yaml").write_text('seller: {name: "Ana\\e[31m"}\n', encoding="utf-8")
    (root / "contracts" / "acme.yaml").write_text(
        'name: ACME\nterms:\n  - {from: 2026-01-01, kind: prepaid, rate: 60}\n'
        'prepaid:\n  - {id: "B-1\\0../../x", bought: 2026-01-10, hours: 20}\n', encoding="utf-8")
    code, _, err = run_cli("build", str(root), "--as-of", AS_OF)
    assert code == 1
    assert err.splitlines()[:2] == [
        "contracts/acme.yaml:5: error: YAML text cannot contain the control character U+0000",
        "hourbook.yaml:1: error: YAML text cannot contain the control character U+001B"]
    assert not (root / "site").exists()


# ------------------------------------------------------------------ in a browser

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)


def open_in_chromium(path: Path, profile: Path) -> tuple[bool, str]:
    """(finished, DOM after scripts had their chance); not finished means the page blocked (a dialog)."""
    command = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
               "--dump-dom", path.as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return False, ""
    return True, done.stdout.decode("utf-8", "replace")


def browser_pages(root: Path) -> list[Path]:
    """Every page with HOURBOOK_BROWSER_ALL=1; else the first page of each kind (the static checks see all).

    Kinds: the owner's dashboard, an owner client index and statement, a public index and statement.
    """
    every = pages(root)
    if os.environ.get("HOURBOOK_BROWSER_ALL") == "1":
        return every
    kinds: dict[tuple, Path] = {}
    for path in every:
        parts = path.relative_to(root / "site").parts
        kinds.setdefault((parts[0], len(parts), path.name == "index.html"), path)
    return sorted(kinds.values())


def title_of(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def ran_script(dom: str) -> bool:
    return bool(re.search(r"<html[^>]*\sdata-pwned=", dom)) or title_of(dom) == "PWNED"


@pytest.mark.slow  # browser: Chromium
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_no_script_runs_in_a_browser(built, tmp_path):
    root, *_ = built
    # The detector first: the payloads in a page as markup, without a policy, do run.
    control = tmp_path / "control.html"
    control.write_text(f"<!doctype html><html><head><title>control</title></head><body>"
                       f"{PAYLOADS[1]}{PAYLOADS[3]}</body></html>", encoding="utf-8")
    finished, dom = open_in_chromium(control, tmp_path / "profile-control")
    if not finished or not dom:
        pytest.skip("headless Chromium did not run here")
    assert ran_script(dom), "the detector does not see a script that runs"

    def visit(item):
        number, path = item
        return path, parse(path), open_in_chromium(path, tmp_path / f"profile-{number}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(visit, enumerate(browser_pages(root))))
    for path, page, (finished, dom) in results:
        assert finished, f"{path}: the page blocked the browser (a dialog?)"
        assert dom.lstrip().lower().startswith("<!doctype html>") or "<html" in dom[:200], f"{path}: no DOM"
        assert not ran_script(dom), f"{path}: a script ran"
        written = next(text for element, text in page.raw_text if element == "title")
        assert title_of(dom) == written.strip(), f"{path}: the title changed"
