"""Client isolation: no byte of one client's data under another client's folder, nothing of the owner's in public.

Two shared clients with distinctive data (names, addresses, contacts, descriptions,
details, tags, quote and block ids, amounts) and one client that is not shared are
built with PDFs. Then:

- nothing of the other client appears in any file of a client's public folder: not in
  the HTML, not in the bytes of the PDFs, not in their text (pdftotext, when installed);
  amounts are looked for in every way a locale writes them;
- site/public/ holds the shared clients' folders and robots.txt: no listing, no page
  naming several clients, nothing of the unshared client, no owner figures (costs);
  a public page links only inside its own folder;
- folder tokens are unguessable: 128 bits, different under another secret, not a plain
  hash of the id, and the secret file is private.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import textwrap
import zlib
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from urllib.parse import urlparse

import pytest

from conftest import run_cli
from hourbook.load.listing import SECRET_FILE
from hourbook.site.files import SiteError
from hourbook.site.secret import SECRET_ENV
from hourbook.site.secret import client_token
from hourbook.site.secret import load_secret
from hourbook.site.secret import public_folders

AS_OF = "2026-11-25"
SECRET = "isolation-test-secret: 4c1f9e0b7a3d62e58f0c2b9a7d4e1f63"

# Every string here belongs to one client only; the test looks for each under the other's folder.
CLIENTS = {
    "acme": {
        "name": "Acme Quillfeather Logistics", "address": "Zorrilla Street 77", "tax_id": "ESA11223344",
        "contact": "Marisol Quintanilla", "description": "Xylophone printer driver on the warehouse PCs",
        "details": "Replaced the Kestrelwood firmware", "tag": "umbrellaops", "quote": "Q-ACME-KIWI",
        "quote_title": "Juniper migration", "block": "B-ACME-OTTER", "rate": "61.37", "expense": "4711.19",
    },
    "globex": {
        "name": "Globex Vandermeer GmbH", "address": "Yttriumweg 3", "tax_id": "DE998877665",
        "contact": "Hildegard Obermaier", "description": "Wombat mailbox quota for Hildegard",
        "details": "Archived the Pelicanbay mailbox", "tag": "zebraops", "quote": "Q-GLOBEX-LYNX",
        "quote_title": "Sequoia rollout", "block": "B-GLOBEX-HERON", "rate": "83.19", "expense": "5822.93",
    },
}
HIDDEN = {"name": "Initech Hushhush Ltd", "description": "Confidential mantis audit", "rate": "97.41"}
OWNER = {"cost": "35.17", "team_cost": "28.13"}  # what the owner's time costs: for margins, never shown to clients
TEAM_NAME = "Ivo Costaplenty"


def contract(cid: str, data: dict, locale: str, currency: str) -> str:
    return f"""\
        name: {data['name']}
        address: {data['address']}
        tax_id: {data['tax_id']}
        currency: {currency}
        locale: {locale}
        tax: 21%
        contacts:
          boss: {data['contact']}
        terms:
          - from: 2026-01-01
            kind: prepaid
            rate: {data['rate']}
        prepaid:
          - {{id: {data['block']}, bought: 2026-10-01, hours: 1, price: 1500}}
        quotes:
          - {{id: {data['quote']}, title: {data['quote_title']}, price: 2500, estimate: 10h,
              approved: "2026-10-01 boss", invoice: 2026-11-20}}
        """


def entries(cid: str, data: dict) -> str:
    return f"""\
        ## {cid}
        - 09:00-11:15 @boss {data['description']} #{data['tag']}
          {data['details']}
        - 1h30m @boss Work on the quote #{data['quote']}
        - expense {data['expense']} Hardware for {data['name']}
        """


def write_books(root: Path) -> Path:
    files = {
        "hourbook.yaml": f"""\
            seller:
              name: Ana Ruiz Consulting
              tax_id: ESB12345678
            currency: EUR
            locale: en
            cost: {OWNER['cost']}
            team:
              ivo: {{name: {TEAM_NAME}, cost: {OWNER['team_cost']}}}
            """,
        "contracts/acme.yaml": contract("acme", CLIENTS["acme"], "es", "EUR"),
        "contracts/globex.yaml": contract("globex", CLIENTS["globex"], "de", "EUR"),
        "contracts/initech.yaml": f"""\
            name: {HIDDEN['name']}
            share: false
            terms:
              - {{from: 2026-01-01, kind: hourly, rate: {HIDDEN['rate']}}}
            """,
        "logbook/2026-11.md": "# 2026-11-03\n\n" + textwrap.dedent(entries("acme", CLIENTS["acme"]))
        + "\n" + textwrap.dedent(entries("globex", CLIENTS["globex"]))
        + f"\n## initech\n- 2h {HIDDEN['description']}\n",
        "logbook/ivo.md": "---\nworker: ivo\n---\n# 2026-11-04\n\n## globex\n- 45m Backup check #zebraops\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def build(root: Path, secret: str, *extra: str) -> None:
    os.environ[SECRET_ENV] = secret
    try:
        code, _, err = run_cli("build", str(root), "--as-of", AS_OF, *extra)
    finally:
        del os.environ[SECRET_ENV]
    assert code == 0, err


def amounts(root: Path, cid: str) -> set[str]:
    """Every money figure of a client's statements, as the JSON writes it."""
    code, out, err = run_cli("price", str(root), "--json", "--as-of", AS_OF)
    assert code == 0, err
    found = set()
    for client in json.loads(out)["clients"]:
        if client["id"] != cid:
            continue
        for period in client["periods"]:
            found |= {period["net"], period["tax"], period["total"]}
            found |= {fee["amount"] for fee in period["fees"]}
            found |= {line[key] for line in period["lines"] for key in ("amount", "value", "rate") if line[key]}
    return found


def spellings(amount: str) -> set[str]:
    """The ways a page may write an amount: 4711.19, 4,711.19, 4.711,19, 4 711,19 (plain and narrow spaces)."""
    whole, _, cents = amount.partition(".")
    groups = f"{int(whole):,}"
    found = {amount, f"{whole},{cents}"}
    for thousands, decimal in ((",", "."), (".", ","), ("\u00a0", ","), ("\u202f", ","), (" ", ","), ("'", ".")):
        found.add(groups.replace(",", thousands) + decimal + cents)
    return found


def holds(text: str, value: str) -> bool:
    """`value` in `text` as a whole token: not inside a longer number such as a PDF coordinate
    (`428.139108` holds no `28.13`), so a drawing's geometry never looks like a leaked amount."""
    return re.search(rf"(?<![0-9.,]){re.escape(value)}(?![0-9])", text) is not None


def public_text(folder: Path) -> str:
    """Everything under a folder as text: files decoded, PDF streams inflated, PDF text extracted."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts.append(data.decode("utf-8", "replace"))
        if path.suffix == ".pdf":
            for match in re.finditer(rb"stream\r?\n", data):
                try:
                    parts.append(zlib.decompressobj().decompress(data[match.end():]).decode("latin-1"))
                except zlib.error:
                    pass
            if shutil.which("pdftotext"):
                text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True).stdout
                assert text.strip(), f"pdftotext found no text in {path}"
                parts.append(text.decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    root = write_books(tmp_path_factory.mktemp("isolation") / "books")
    build(root, SECRET)
    folders = public_folders(_priced(root), SECRET.encode())
    return root, folders


def _priced(root: Path):
    from hourbook.pipeline import load_and_price
    import datetime

    priced, diagnostics = load_and_price(root, datetime.date.fromisoformat(AS_OF))
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    return priced


@pytest.mark.slow  # two clients built whole, PDFs included
def test_no_byte_of_one_client_under_the_other(books):
    root, folders = books
    public = root / "site" / "public"
    assert set(folders) == {"acme", "globex"}
    for cid, other in (("acme", "globex"), ("globex", "acme")):
        folder = public / folders[cid]
        assert sorted(p.suffix for p in folder.iterdir() if p.is_file()).count(".pdf") >= 1
        text = public_text(folder)
        # The folder's own data is there: the search would find the other's if it were.
        assert CLIENTS[cid]["name"] in text and CLIENTS[cid]["description"] in text
        leaks = [value for key, value in CLIENTS[other].items() if key not in ("rate", "expense") and value in text]
        leaks += [other, folders[other]] if folders[other] in text else []
        own = amounts(root, cid)
        for amount in amounts(root, other) - own:
            if len(amount.replace(".", "").lstrip("0")) >= 4:  # "0.00" or "5.00" prove nothing
                leaks += [spelling for spelling in spellings(amount) if holds(text, spelling)]
        leaks += [value for value in HIDDEN.values() if holds(text, value)]
        leaks += [value for value in OWNER.values() if holds(text, value)]
        assert leaks == [], f"{cid}'s folder holds data of others: {leaks}"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("href", "src", "action") and value]


@pytest.mark.slow  # two clients built whole, PDFs included
def test_public_holds_no_listing_and_no_owner_data(books):
    root, folders = books
    public = root / "site" / "public"
    entries_ = sorted(p.name for p in public.iterdir())
    assert entries_ == sorted([*folders.values(), "robots.txt"])  # no index, no listing, no unshared client
    assert "initech" not in "".join(entries_)
    robots = (public / "robots.txt").read_text(encoding="utf-8")
    assert not any(cid in robots for cid in ("acme", "globex", "initech"))  # names no client
    text = public_text(public)
    for value in [*HIDDEN.values(), *OWNER.values()]:
        assert not holds(text, value), value
    # The owner's copy has what the public one must not: the test looks in the right place.
    owner = public_text(root / "site" / "owner")
    assert HIDDEN["name"] in owner and OWNER["cost"] in owner


@pytest.mark.slow  # two clients built whole, PDFs included
def test_public_pages_link_only_inside_their_folder(books):
    root, folders = books
    public = (root / "site" / "public").resolve()
    for path in public.rglob("*.html"):
        parser = Links()
        parser.feed(path.read_text(encoding="utf-8"))
        own = public / path.relative_to(public).parts[0]
        for url in parser.urls:
            parsed = urlparse(url)
            if parsed.scheme in ("http", "https", "mailto") or url.startswith("#"):
                continue
            assert not parsed.scheme and not parsed.netloc, f"{path}: {url}"
            target = (path.parent / unquote(parsed.path)).resolve()
            assert own == target or own in target.parents, f"{path} links outside its folder: {url}"


@pytest.mark.slow  # two clients built whole, PDFs included
def test_tokens_are_unguessable(books, tmp_path):
    root, folders = books
    tokens = {cid: folder.removeprefix(f"{cid}-") for cid, folder in folders.items()}
    for cid, token in tokens.items():
        assert re.fullmatch(r"[0-9a-f]{32,}", token), token  # 128 bits at least
        for algorithm in ("md5", "sha1", "sha256", "sha512", "blake2b", "sha3_256"):
            digest = hashlib.new(algorithm, cid.encode()).hexdigest()
            assert token not in digest and digest[:len(token)] != token, f"{cid}'s token is {algorithm}(id)"
    assert len(set(tokens.values())) == len(tokens)
    # Another secret, other folders: the id alone does not give the token.
    other = write_books(tmp_path / "books")
    build(other, "another secret: 9b2e7d4c1a0f58e36b7c2d9a0e4f1b85", "--no-pdf")
    other_folders = sorted(p.name for p in (other / "site" / "public").iterdir() if p.is_dir())
    assert len(other_folders) == 2 and not set(other_folders) & set(folders.values())
    assert {name.rsplit("-", 1)[0] for name in other_folders} == {"acme", "globex"}


def test_secret_file_is_private_and_random(tmp_path):
    roots = [write_books(tmp_path / name) for name in ("one", "two")]
    secrets_ = []
    for root in roots:
        env = os.environ.pop(SECRET_ENV, None)
        try:
            secret = load_secret(root)
        finally:
            if env is not None:
                os.environ[SECRET_ENV] = env
        path = root / SECRET_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(secret) >= 32 and load_secret(root) == secret  # stable once made
        secrets_.append(secret)
    assert secrets_[0] != secrets_[1]
    assert client_token("acme", secrets_[0]) != client_token("acme", secrets_[1])
    assert Decimal(len(client_token("acme", secrets_[0])) * 4) >= 128


def test_secret_file_may_hold_any_bytes_and_must_be_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    path = tmp_path / SECRET_FILE
    key = bytes(range(200, 256)) + b" not text \x00"   # 56 distinct bytes that are not UTF-8, and a NUL
    path.write_bytes(key + b"\n")
    assert load_secret(tmp_path) == key
    path.unlink()
    path.mkdir()
    with pytest.raises(SiteError, match="is not a file"):
        load_secret(tmp_path)
