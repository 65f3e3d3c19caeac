"""Issue #10, points 1, 6 and 7: the site never lands on the books, the link secret cannot be
guessed, and the preview server answers only to its own address and never with a traceback.

Servers listen on 127.0.0.1 (or ::1) on a free port and are stopped by each test.
"""

from __future__ import annotations

import datetime
import os
import secrets
import socket
import stat
from pathlib import Path

import pytest

from conftest import run_cli
from conftest import write_books
from hourbook.load.listing import SECRET_FILE
from hourbook.site.files import SiteError
from hourbook.site.folder import SITE_MARKER
from hourbook.site.folder import SITE_MARKER_TEXT
from hourbook.site.secret import SECRET_ENV
from hourbook.site.secret import load_secret
from hourbook.site.secret import read_secret
from hourbook.build.builder import Builder
from hourbook.commands.serve import PreviewServer
from hourbook.commands.serve import host_allowed
from hourbook.commands.serve import request_path
from hourbook.commands.serve import serve_books
from hourbook.commands.watch import WatcherBase
from hourbook.commands.watch import watch_books

AS_OF = "2026-11-25"
STRONG = "5f0c3e7a9b1d2f4e6a8c0b2d4f6e8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f"
BOOKS = {
    "contracts/acme.yaml": """\
        name: ACME
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 60
        """,
    "logbook/2026-11.md": "# 2026-11-03\n\n## acme\n- 1h printer driver\n",
    "templates/README.txt": "my templates\n",
    "invoices/2026-1.pdf": "%PDF-1.7 an issued invoice\n",
}


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every file, link and folder under `folder`, with its bytes (a link: where it points)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            found[rel] = path.read_bytes()
        else:
            found[rel] = "folder"
    return found


@pytest.fixture
def root(books, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, STRONG)
    folder = books(BOOKS)
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return folder


def build(root: Path, *args: str) -> tuple[int, str]:
    code, out, err = run_cli("build", str(root), "--as-of", AS_OF, "--no-pdf", *args)
    assert out == ""
    return code, err


def refused(root: Path, out: str, why: str) -> None:
    """`build --out OUT` refuses with `why`, and nothing in the books' folder tree changed."""
    before = tree(root.parent)
    code, err = build(root, "--out", out)
    assert code == 1, err
    assert err.startswith("hourbook: error: ") and why in err and err.endswith("; the site was left as it was\n"), err
    assert "Traceback" not in err and "internal error" not in err
    assert tree(root.parent) == before


# ------------------------------------------------------------------ 1. the site folder


def test_out_logbook_is_refused(root):
    refused(root, str(root / "logbook"), "it is the books' logbook/ folder, and every build replaces the whole "
                                         f"site folder; give --out another folder, such as {root / 'site'}")


def test_out_dot_is_the_books_folder(root, monkeypatch):
    monkeypatch.chdir(root)
    before = tree(root.parent)
    code, out, err = run_cli("build", ".", "--as-of", AS_OF, "--no-pdf", "--out", ".")
    assert code == 1
    assert err == (f"hourbook: error: refusing to write the site to {root}: it is the books folder itself, and every "
                   "build replaces the whole site folder; give --out another folder, such as site; the site was left "
                   "as it was\n")
    assert tree(root.parent) == before


@pytest.mark.parametrize("out, why", [
    ("contracts/x", "it is inside the books' contracts/ folder"),
    ("templates", "it is the books' templates/ folder"),
    ("invoices/site", "it is inside the books' invoices/ folder"),
    ("payments", "it is the books' payments/ folder"),
    (".git", "it is the books' .git/ folder"),
    (".git/site", "it is inside the books' .git/ folder"),
    (".hourbook-cache", "it is the books' .hourbook-cache/ folder"),
    ("logbook/../logbook", "it is the books' logbook/ folder"),
    ("site/../logbook/new", "it is inside the books' logbook/ folder"),
])
def test_out_inside_the_books_own_folders_is_refused(root, out, why):
    refused(root, str(root / out), why)


def test_out_holding_the_books_is_refused(root):
    refused(root, str(root.parent), f"it holds the books folder {root}")
    refused(root, "/", f"it holds the books folder {root}")


def test_out_inside_the_repository_of_the_books_is_refused(tmp_path, monkeypatch):
    """Books in a subfolder of a repository: the repository's .git is guarded too."""
    monkeypatch.setenv(SECRET_ENV, STRONG)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    books = repo / "books"
    write_books(books, BOOKS)
    refused(books, str(repo / ".git" / "site"), "it is inside the git repository's .git folder")


def test_links_cannot_get_around_the_check(root, tmp_path):
    (tmp_path / "to-logbook").symlink_to(root / "logbook")
    refused(root, str(tmp_path / "to-logbook"), "it is the books' logbook/ folder")
    (tmp_path / "to-contracts").symlink_to(root / "contracts")
    refused(root, str(tmp_path / "to-contracts" / "site"), "it is inside the books' contracts/ folder")
    (tmp_path / "to-books").symlink_to(root)
    refused(root, str(tmp_path / "to-books"), "it is the books folder itself")


def test_a_symlink_where_the_site_goes_is_refused(root, tmp_path):
    elsewhere = tmp_path / "www"
    elsewhere.mkdir()
    (root / "site").symlink_to(elsewhere)
    refused(root, str(root / "site"), f"{root / 'site'} is a symbolic link (to {elsewhere}): hourbook replaces the "
                                      "site folder itself, so give --out the real folder, or remove the link")
    assert list(elsewhere.iterdir()) == []


def test_a_folder_hourbook_did_not_write_is_left_alone(root, tmp_path):
    mine = tmp_path / "mine"
    (mine / "notes").mkdir(parents=True)
    (mine / "notes" / "thesis.txt").write_bytes(b"three years of work\n")
    refused(root, str(mine), f"{mine} is a folder hourbook did not write (it has no .hourbook-site): a build would "
                             "replace everything in it; give --out a new or empty folder, or move what is in it away")
    assert (mine / "notes" / "thesis.txt").read_bytes() == b"three years of work\n"


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_a_file_named_site_is_an_error_not_renamed_aside(root, kind):
    target = root / "site"
    if kind == "file":
        target.write_bytes(b"my notes about the site\n")
    else:
        os.mkfifo(target)
    what = "a file" if kind == "file" else "a FIFO"
    before = tree(root)
    code, err = build(root)
    assert code == 1
    assert err == (f"hourbook: error: {target} is {what}, not a site folder: hourbook will not replace it; move it "
                   "away or give --out another folder; the site was left as it was\n")
    assert tree(root) == before and not any(p.name.startswith(".site.") for p in root.iterdir())


def test_an_empty_folder_becomes_a_site_with_its_marker(root, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    code, err = build(root, "--out", str(out))
    assert code == 0, err
    assert (out / SITE_MARKER).read_bytes() == SITE_MARKER_TEXT
    assert (out / "owner" / "index.html").is_file()
    code, err = build(root, "--out", str(out))          # a site of ours: replaced again
    assert code == 0, err


def test_a_site_from_before_the_marker_is_known_by_the_last_builds_manifest(root):
    assert build(root)[0] == 0
    (root / "site" / SITE_MARKER).unlink()         # as a site an older hourbook wrote
    (root / "logbook" / "2026-11.md").write_text("# 2026-11-03\n\n## acme\n- 2h printer driver\n")
    code, err = build(root)
    assert code == 0, err
    assert (root / "site" / SITE_MARKER).is_file()
    (root / "site" / SITE_MARKER).unlink()
    (root / "site" / "owner" / "mine.txt").write_text("not written by hourbook\n")
    refused(root, str(root / "site"), "is a folder hourbook did not write")


def test_builder_write_checks_the_folder_itself(root):
    """The check is in the Builder's writer, so every caller (build, watch, serve) has it."""
    builder = Builder(root, lambda: datetime.date(2026, 11, 25), out=root / "logbook", pdf=False, disk_cache=False)
    before = tree(root)
    with pytest.raises(SiteError, match="it is the books' logbook/ folder"):
        builder.published.write({"owner/index.html": b"x"})
    assert tree(root) == before


def test_stale_sweep_removes_only_our_staging_folders(root):
    assert build(root)[0] == 0
    mine = root / ".site.new-notes"                     # the owner's, merely named alike
    mine.mkdir()
    (mine / "keep.txt").write_text("keep\n")
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep\n")
    (root / ".site.old-abcd1234").symlink_to(outside)   # our pattern, but a link
    (root / ".site.new-zz99aa11").write_text("a file\n")
    stale = root / ".site.new-k3j4h5g6"                 # what a killed build leaves
    stale.mkdir()
    (stale / "page.html").write_text("half\n")
    (root / "logbook" / "2026-11.md").write_text("# 2026-11-03\n\n## acme\n- 2h printer driver\n")
    assert build(root)[0] == 0
    assert (mine / "keep.txt").read_text() == "keep\n"
    assert (outside / "keep.txt").read_text() == "keep\n" and (root / ".site.old-abcd1234").is_symlink()
    assert (root / ".site.new-zz99aa11").read_text() == "a file\n"
    assert not stale.exists()


class IdleWatcher(WatcherBase):
    def __init__(self):
        self.started = False

    def start(self, root, on_change):
        self.started = True

    def stop(self):
        pass


def test_watch_refuses_before_it_starts(root, capsys):
    watcher = IdleWatcher()
    before = tree(root)
    code = watch_books(root, lambda: datetime.date(2026, 11, 25), out=root / "contracts", pdf=False, watcher=watcher,
                       ready=lambda loop: loop.stop())     # (had it started: one build, then it ends)
    assert code == 1 and not watcher.started
    assert tree(root) == before
    assert "it is the books' contracts/ folder" in capsys.readouterr().err


def test_serve_refuses_before_it_listens(root, capsys, monkeypatch):
    made = []
    monkeypatch.setattr("hourbook.commands.serve.PreviewServer", lambda *a, **k: made.append(a))
    watcher = IdleWatcher()
    code = serve_books(root, lambda: datetime.date(2026, 11, 25), out=root, pdf=False, port=0, watcher=watcher)
    assert code == 1 and made == [] and not watcher.started
    err = capsys.readouterr().err
    assert f"hourbook: error: refusing to write the site to {root}: it is the books folder itself" in err
    assert err.endswith("; nothing was written\n")


# ------------------------------------------------------------------ 6. the link secret


@pytest.fixture
def secret_books(books, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    return books({rel: text for rel, text in BOOKS.items() if not rel.startswith("invoices/")})


def secret_file(root: Path, data: bytes, mode: int = 0o600) -> Path:
    path = root / SECRET_FILE
    path.write_bytes(data)
    os.chmod(path, mode)
    return path


def test_a_missing_secret_file_is_made_strong_and_private(secret_books):
    secret, problems = read_secret(secret_books)
    path = secret_books / SECRET_FILE
    assert problems == [] and len(secret) == 64 and int(secret, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == secret + b"\n"
    assert read_secret(secret_books) == (secret, [])


@pytest.mark.parametrize("value", [
    secrets.token_hex(32).encode(),                        # what hourbook makes: 256 bits
    secrets.token_urlsafe(32).encode(),                    # 43 base64 characters: 258 bits
    secrets.token_urlsafe(48).encode() + b"==",            # base64 with its padding
    bytes(range(128, 160)),                                # 32 bytes that are not text
])
def test_strong_secrets_are_used_as_they_are(secret_books, value):
    path = secret_file(secret_books, value + b"\n")
    assert read_secret(secret_books) == (value, [])
    assert path.read_bytes() == value + b"\n"


@pytest.mark.parametrize("value, why", [
    (b"hunter2", "about 42 bits of randomness (7 base64 characters)"),
    (b"0123456789abcdef" * 4, "about 64 bits of randomness (it repeats a piece of 16 hex digits)"),
    (b"a" * 200, "about 0 bits of randomness (it is one character repeated)"),
    (b"ab" * 7 + b"ba" * 60, "about 134 bits of randomness (it has only 2 different characters)"),
    (secrets.token_hex(32)[:63].encode(), "about 252 bits of randomness (63 hex digits)"),
    (b"correct horse battery staple", "about 224 bits of randomness (28 bytes)"),
])
def test_a_weak_secret_file_is_an_error_and_left_as_it_is(secret_books, value, why):
    path = secret_file(secret_books, value + b"\n")
    secret, problems = read_secret(secret_books)
    assert secret is None
    assert [(str(d.source), d.severity, d.message) for d in problems] == [(
        ".hourbook-secret:1", "error",
        f".hourbook-secret is too weak for client links: {why}, and it needs 256 (32 random bytes); make a strong "
        "one with python3 -c 'import secrets; print(secrets.token_hex(32))' > .hourbook-secret (this changes every "
        "client's link)")]
    assert path.read_bytes() == value + b"\n"
    with pytest.raises(SiteError, match="too weak"):
        load_secret(secret_books)


def test_a_weak_secret_stops_the_build_with_a_located_error(secret_books):
    path = secret_file(secret_books, b"hunter2\n")
    code, err = build(secret_books)
    assert code == 1
    assert err.startswith(".hourbook-secret:1: error: .hourbook-secret is too weak for client links: about 42 bits")
    assert err.endswith("build stopped: 1 error, 0 warnings; the site was left as it was\n")
    assert not (secret_books / "site").exists() and path.read_bytes() == b"hunter2\n"


def test_a_weak_environment_secret_stops_the_build(secret_books, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test-secret")
    code, err = build(secret_books)
    assert code == 1
    assert err == ("<environment>:0: error: $HOURBOOK_SECRET is too weak for client links: about 66 bits of "
                   "randomness (11 base64 characters), and it needs 256 (32 random bytes); set it to the output of "
                   "python3 -c 'import secrets; print(secrets.token_hex(32))' (this changes every client's link)\n"
                   "build stopped: 1 error, 0 warnings; the site was left as it was\n")
    assert not (secret_books / "site").exists() and not (secret_books / SECRET_FILE).exists()


def test_a_strong_environment_secret_wins_over_the_file(secret_books, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, STRONG)
    secret_file(secret_books, b"hunter2\n")
    assert read_secret(secret_books) == (STRONG.encode(), [])


@pytest.mark.parametrize("data", [b"", b"  \n\t\n"])
def test_an_empty_secret_file_is_an_error_never_replaced(secret_books, data):
    path = secret_file(secret_books, data)
    secret, problems = read_secret(secret_books)
    assert secret is None
    assert [(str(d.source), d.severity, d.message) for d in problems] == [(
        ".hourbook-secret:1", "error", ".hourbook-secret is empty: restore it from a backup, or remove it to make a "
                                       "new secret (this changes every client's link)")]
    assert path.read_bytes() == data
    code, err = build(secret_books)
    assert code == 1 and path.read_bytes() == data and not (secret_books / "site").exists()


def test_an_unreadable_secret_file_is_an_error_never_replaced(secret_books, monkeypatch):
    path = secret_file(secret_books, STRONG.encode() + b"\n", 0o000)
    real_open = os.open

    def refuse(name, flags, *args, **kwargs):   # the tests may run as root, which reads any mode
        if Path(name) == path:
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", refuse)
        secret, problems = read_secret(secret_books)
    assert secret is None
    assert [(str(d.source), d.severity, d.message) for d in problems] == [(
        ".hourbook-secret:1", "error", "cannot read .hourbook-secret: Permission denied; make it readable by you "
                                       "(chmod 600 .hourbook-secret), do not replace it: a new secret changes every "
                                       "client's link")]
    assert path.read_bytes() == STRONG.encode() + b"\n"


def test_a_secret_that_is_not_a_file_is_an_error_and_a_fifo_never_blocks(secret_books):
    path = secret_books / SECRET_FILE
    os.mkfifo(path)
    secret, problems = read_secret(secret_books)       # would hang if the FIFO were opened to read
    assert secret is None and [d.message for d in problems] == [
        ".hourbook-secret is not a file (it is a FIFO): remove it to make a new secret (this changes every client's "
        "link), or set $HOURBOOK_SECRET"]
    assert stat.S_ISFIFO(os.lstat(path).st_mode)
    path.unlink()
    path.symlink_to(secret_books / "nowhere")
    secret, problems = read_secret(secret_books)
    assert secret is None and "is a link to" in problems[0].message and path.is_symlink()


def test_a_secret_others_can_read_is_a_warning(secret_books):
    path = secret_file(secret_books, STRONG.encode() + b"\n", 0o644)
    secret, problems = read_secret(secret_books)
    assert secret == STRONG.encode()
    assert [(str(d.source), d.severity, d.message) for d in problems] == [(
        ".hourbook-secret:1", "warning", ".hourbook-secret can be read by other users of this machine (mode 644), and "
                                         "with it every client's link: chmod 600 .hourbook-secret")]
    code, err = build(secret_books)
    assert code == 0 and err.startswith(".hourbook-secret:1: warning: ") and "1 warning" in err
    os.chmod(path, 0o600)                                   # the next build knows the warning went
    code, err = build(secret_books)
    assert code == 0 and "0 warnings" in err and ".hourbook-secret:1" not in err


# ------------------------------------------------------------------ 7. the preview server


@pytest.fixture
def preview(tmp_path):
    """A preview server on 127.0.0.1 over a small site, with a secret file just outside it."""
    site_dir = tmp_path / "site"
    (site_dir / "owner" / "empty").mkdir(parents=True)
    (site_dir / "owner" / "index.html").write_text("<html><body>dashboard</body></html>")
    (tmp_path / "secret.txt").write_text("TOP SECRET\n")
    (site_dir / "owner" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (site_dir / "owner" / "leakdir").symlink_to(tmp_path)
    server = PreviewServer(site_dir, "127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


def raw_request(server: PreviewServer, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (no client library tidies them) and read the status and body."""
    host, port = server.httpd.server_address[:2]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect((host, port))
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def get(server: PreviewServer, path: bytes, host: bytes | None = None) -> tuple[int, bytes]:
    if host is None:
        host = f"127.0.0.1:{server.httpd.server_address[1]}".encode()
    header = b"Host: " + host + b"\r\n" if host != b"-" else b""
    return raw_request(server, b"GET " + path + b" HTTP/1.1\r\n" + header + b"Connection: close\r\n\r\n")


def test_the_server_answers_its_own_host_names(preview):
    port = str(preview.httpd.server_address[1]).encode()
    for host in (b"127.0.0.1:" + port, b"127.0.0.1", b"localhost:" + port, b"LOCALHOST", b"localhost"):
        status, body = get(preview, b"/owner/index.html", host)
        assert status == 200 and b"dashboard" in body, host


def test_a_foreign_host_is_refused_without_the_page(preview, capsys):
    port = str(preview.httpd.server_address[1]).encode()
    for host in (b"evil.example", b"evil.example:" + port, b"localhost.evil.example:" + port, b"127.0.0.1.nip.io",
                 b"localhost:1", b"[::1]:" + port, b"-", b""):
        for path in (b"/owner/index.html", b"/", b"/__hourbook/status", b"/__hourbook/events"):
            status, body = get(preview, path, host)
            assert status in (400, 421) and b"dashboard" not in body and b"problems" not in body, (host, path)
    request = (b"GET /owner/index.html HTTP/1.1\r\nHost: 127.0.0.1:" + port + b"\r\nHost: evil.example\r\n"
               b"Connection: close\r\n\r\n")
    assert raw_request(preview, request)[0] == 421
    assert "Traceback" not in capsys.readouterr().err


def test_host_allowed_on_other_bindings():
    assert host_allowed("[::1]:8000", ("::1", 8000)) and host_allowed("[::1]", ("::1", 8000))
    assert not host_allowed("[::1]:8000", ("127.0.0.1", 8000))
    assert host_allowed("my-laptop.local:8000", ("192.168.1.5", 8000), "my-laptop.local")
    assert host_allowed("192.168.1.5:8000", ("0.0.0.0", 8000))       # every address: any IP is this server
    assert not host_allowed("evil.example:8000", ("0.0.0.0", 8000))
    assert not host_allowed(None, ("127.0.0.1", 8000)) and not host_allowed("[::1", ("::1", 8000))


def test_the_server_answers_on_ipv6_loopback(tmp_path):
    try:
        server = PreviewServer(tmp_path, "::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    (tmp_path / "a.html").write_text("<p>ipv6</p>")
    server.start()
    try:
        port = str(server.httpd.server_address[1]).encode()
        assert get(server, b"/a.html", b"[::1]:" + port)[0] == 200
        assert get(server, b"/a.html", b"evil.example:" + port)[0] == 421
    finally:
        server.stop()


@pytest.mark.parametrize("path, expected", [
    (b"/owner/%00index.html", 400),
    (b"/owner/\x00index.html", 400),
    (b"/owner/" + b"a" * 300 + b".html", 400),
    (b"/owner/" + b"%61" * 300, 400),
    (b"/" + b"a/" * 1500, 400),
    (b"/../../etc/passwd", 400),
    (b"/owner/../../secret.txt", 400),
    (b"/owner/..%2f..%2fsecret.txt", 400),
    (b"/owner%2Findex.html", 400),
    (b"/owner/%5c..%5csecret.txt", 400),
    (b"/owner/%ff%fe.html", 400),
    (b"/owner/%c3%28.html", 400),
    (b"/owner/%1b[31m.html", 400),
    (b"owner/index.html", 400),
    (b"http://evil.example/owner/index.html", 400),
    (b"/owner/empty", 404),
    (b"/owner/empty/", 404),
    (b"/owner/leak.txt", 404),
    (b"/owner/leakdir/secret.txt", 404),
    (b"/nothing-here.html", 404),
])
def test_bad_paths_answer_400_or_404_without_a_traceback(preview, capsys, path, expected):
    status, body = get(preview, path)
    assert status == expected, body
    assert b"TOP SECRET" not in body and b"Traceback" not in body
    assert get(preview, b"/owner/index.html")[0] == 200             # and the server still answers
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err


def test_request_path():
    assert request_path("/owner/acme/2026-11.html?x=1#top") == "/owner/acme/2026-11.html"
    assert request_path("/public/caf%C3%A9-1234/index.html") == "/public/café-1234/index.html"
    assert request_path("/owner/%2e%2e/x") is None and request_path("/a\x7fb") is None


