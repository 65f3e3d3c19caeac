"""The preview server: pages with a reload script only in its responses, events, errors in the page.

Servers listen on 127.0.0.1 on a free port and are stopped by each test; requests
go only to them. Waits have timeouts, and nothing asserts how fast anything is.
"""

from __future__ import annotations

import datetime
import http.client
import json
import re
import threading

import pytest

from conftest import TEST_SECRET

from hourbook.site.secret import SECRET_ENV
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.build.build_result import BuildResult
from hourbook.commands.serve import PreviewServer
from hourbook.commands.serve import PreviewState
from hourbook.commands.serve import inject_reload
from hourbook.commands.serve import serve_books
from hourbook.commands.watch import WatcherBase

AS_OF = datetime.date(2026, 12, 31)
WAIT = 30

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' 'self'; img-src 'self' data:">
<title>Statement</title>
</head>
<body>
<p>ACME, November</p>
</body>
</html>
"""


def get(server: PreviewServer, path: str) -> tuple[int, str, str]:
    host, port = server.httpd.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=WAIT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


class EventReader(threading.Thread):
    """Reads a Server-Sent Events stream and keeps the events (name, data)."""

    def __init__(self, server: PreviewServer, since: int = 0):
        super().__init__(daemon=True)
        host, port = server.httpd.server_address[:2]
        self.connection = http.client.HTTPConnection(host, port, timeout=WAIT)
        self.since = since
        self.events: list[tuple[str, str]] = []
        self.connected = threading.Event()
        self.got = threading.Condition()

    def run(self):
        self.connection.request("GET", f"/__hourbook/events?since={self.since}")
        response = self.connection.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        self.connected.set()
        name = None
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    with self.got:
                        self.events.append((name, line[6:]))
                        self.got.notify_all()
                    name = None
        except OSError:
            pass

    def wait_for(self, name: str) -> bool:
        with self.got:
            return self.got.wait_for(lambda: any(n == name for n, _ in self.events), timeout=WAIT)


@pytest.fixture
def server(tmp_path):
    site_dir = tmp_path / "site"
    (site_dir / "owner" / "acme").mkdir(parents=True)
    (site_dir / "public" / "acme-0123").mkdir(parents=True)
    (site_dir / "owner" / "index.html").write_text(PAGE, encoding="utf-8")
    (site_dir / "owner" / "acme" / "index.html").write_text(PAGE, encoding="utf-8")
    (site_dir / "public" / "acme-0123" / "2026-11.html").write_text(PAGE, encoding="utf-8")
    (site_dir / "public" / "acme-0123" / "2026-11.pdf").write_bytes(b"%PDF-1.7 fake")
    server = PreviewServer(site_dir, "127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


def test_the_script_goes_into_served_pages_with_a_nonce_and_never_onto_disk(server, tmp_path):
    status, kind, body = get(server, "/public/acme-0123/2026-11.html")
    assert status == 200 and kind == "text/html; charset=utf-8"
    nonce = re.search(r'<script nonce="([^"]+)">', body).group(1)
    assert (f"default-src 'none'; style-src 'unsafe-inline' 'self'; img-src 'self' data:; "
            f"script-src 'nonce-{nonce}'; connect-src 'self'") in body
    assert body.index("<script") < body.index("</body>")
    assert "EventSource" in body
    on_disk = (tmp_path / "site" / "public" / "acme-0123" / "2026-11.html").read_text(encoding="utf-8")
    assert on_disk == PAGE


def test_each_page_gets_its_own_nonce():
    state = PreviewState()
    first, second = inject_reload(PAGE, state), inject_reload(PAGE, state)
    assert re.search(r"nonce-([^']+)", first).group(1) != re.search(r"nonce-([^']+)", second).group(1)


def test_an_owner_page_keeps_one_script_src_with_its_own_script_and_the_nonce():
    owner_page = PAGE.replace("default-src 'none';", "default-src 'none'; script-src 'self';", 1)
    assert owner_page != PAGE
    served = inject_reload(owner_page, PreviewState())
    nonce = re.search(r'<script nonce="([^"]+)">', served).group(1)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', served).group(1)
    # A second script-src would be ignored by the browser: the nonce joins owner.js's 'self'.
    assert policy.count("script-src") == 1
    assert f"script-src 'self' 'nonce-{nonce}'" in policy and policy.endswith("; connect-src 'self'")


def test_other_files_are_served_as_they_are(server):
    status, kind, body = get(server, "/public/acme-0123/2026-11.pdf")
    assert status == 200 and kind == "application/pdf" and body == "%PDF-1.7 fake"


def test_pdfs_and_pages_are_sent_with_noindex_and_no_referrer(server):
    host, port = server.httpd.server_address[:2]
    for path in ("/public/acme-0123/2026-11.pdf", "/public/acme-0123/2026-11.html"):
        connection = http.client.HTTPConnection(host, port, timeout=WAIT)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.getheader("X-Robots-Tag") == "noindex, nofollow", path
        assert response.getheader("Referrer-Policy") == "no-referrer", path
        connection.close()


def test_start_page_lists_the_dashboard_and_every_client(server):
    status, _, body = get(server, "/")
    assert status == 200
    assert 'href="/owner/index.html"' in body
    assert 'href="/owner/acme/index.html"' in body and 'href="/public/acme-0123/index.html"' in body


def test_nothing_outside_the_site_is_served(server, tmp_path):
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/public/../../secret.txt", "/nope.html"):
        status, _, body = get(server, path)
        assert status in (400, 404) and "secret" not in body   # a path that climbs out is bad (400)


def test_a_build_that_changed_the_site_sends_reload(server):
    reader = EventReader(server)
    reader.start()
    assert reader.connected.wait(WAIT)
    server.state.on_build(BuildResult(True, [], up_to_date=True))       # no change: no reload
    server.state.on_build(BuildResult(True, [], files=3, written=1))
    assert reader.wait_for("reload")
    assert [name for name, _ in reader.events] == ["reload"]


def test_a_page_loaded_before_the_last_build_reloads_at_once(server):
    server.state.on_build(BuildResult(True, [], files=3, written=1))
    reader = EventReader(server, since=0)
    reader.start()
    assert reader.wait_for("reload")


def test_errors_are_sent_and_shown_in_the_page(server):
    reader = EventReader(server, since=0)
    reader.start()
    assert reader.connected.wait(WAIT)
    problem = Diagnostic(Source("logbook/2026/11.md", 4), "cannot read the time '1x'")
    server.state.on_build(BuildResult(False, [problem]))
    assert reader.wait_for("problems")
    # Under load an earlier event may arrive first: look at the problems event itself.
    problems = [data for name, data in reader.events if name == "problems"]
    assert json.loads(problems[0]) == ["logbook/2026/11.md:4: error: cannot read the time '1x'"]
    _, _, body = get(server, "/owner/index.html")
    assert "logbook/2026/11.md:4: error: cannot read the time" in body
    assert "hourbook-preview-problems" in body


def test_listens_on_loopback_by_default():
    from hourbook.commands.serve import DEFAULT_HOST

    assert DEFAULT_HOST == "127.0.0.1"


class ManualWatcher(WatcherBase):
    def __init__(self):
        self.on_change = None
        self.started = threading.Event()

    def start(self, root, on_change):
        self.on_change = on_change
        self.started.set()

    def stop(self):
        pass


def test_an_edit_during_serve_reaches_the_open_page(books, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    root = books({
        "contracts/acme.yaml": "name: ACME\nterms:\n  - from: 2026-01-01\n    kind: hourly\n    rate: 60\n",
        "logbook/2026/11.md": "# 2026-11-03\n\n## acme\n- 1h printer driver\n",
    })
    watcher = ManualWatcher()
    handles = {}
    ready = threading.Event()

    def on_ready(loop, server):
        handles.update(loop=loop, server=server)
        ready.set()

    thread = threading.Thread(target=serve_books, args=(root, lambda: AS_OF),
                              kwargs=dict(pdf=False, port=0, watcher=watcher, ready=on_ready), daemon=True)
    thread.start()
    assert ready.wait(WAIT) and watcher.started.wait(WAIT)
    server, loop = handles["server"], handles["loop"]
    with server.state.condition:
        assert server.state.condition.wait_for(lambda: server.state.build >= 1, timeout=WAIT)
    page = "/owner/acme/2026-11.html"
    status, _, body = get(server, page)
    assert status == 200 and "printer driver" in body
    since = int(re.search(r'"build": (\d+)', body).group(1))
    reader = EventReader(server, since=since)
    reader.start()
    assert reader.connected.wait(WAIT)
    log = root / "logbook" / "2026" / "11.md"
    log.write_text(log.read_text().replace("printer driver", "scanner driver"), encoding="utf-8")
    watcher.on_change()
    assert reader.wait_for("reload")
    _, _, body = get(server, page)
    assert "scanner driver" in body and "printer driver" not in body
    loop.stop()
    thread.join(WAIT)
    assert not thread.is_alive()


# --- a real browser ---------------------------------------------------------------


class DevTools:
    """Just enough of the Chrome DevTools Protocol over a WebSocket (stdlib only) to read a page."""

    def __init__(self, url: str):
        import base64
        import os
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        assert b" 101 " in response.split(b"\r\n")[0]
        self.next_id = 0

    def _recv_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, text: str) -> None:
        import os
        import struct

        payload = text.encode()
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _recv(self) -> str:
        import struct

        first, second = self._recv_exact(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack(">H", self._recv_exact(2))[0]
        elif size == 127:
            size = struct.unpack(">Q", self._recv_exact(8))[0]
        return self._recv_exact(size).decode("utf-8", "replace")

    def evaluate(self, expression: str):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                               "params": {"expression": expression, "returnByValue": True}}))
        while True:
            message = json.loads(self._recv())
            if message.get("id") == self.next_id:
                return message.get("result", {}).get("result", {}).get("value")

    def close(self):
        self.sock.close()


def wait_until(check, timeout: float = WAIT) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow  # browser: Chromium
@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="needs chromium (apt-get install chromium)")
def test_an_open_page_in_chromium_shows_the_edit_without_a_manual_reload(books, monkeypatch, tmp_path):
    import subprocess
    import urllib.request

    monkeypatch.setenv(SECRET_ENV, TEST_SECRET)
    root = books({
        "contracts/acme.yaml": "name: ACME\nterms:\n  - from: 2026-01-01\n    kind: hourly\n    rate: 60\n",
        "logbook/2026/11.md": "# 2026-11-03\n\n## acme\n- 1h printer driver\n",
    })
    watcher = ManualWatcher()
    handles = {}
    ready = threading.Event()

    def on_ready(loop, server):
        handles.update(loop=loop, server=server)
        ready.set()

    thread = threading.Thread(target=serve_books, args=(root, lambda: AS_OF),
                              kwargs=dict(pdf=False, port=0, watcher=watcher, ready=on_ready), daemon=True)
    thread.start()
    assert ready.wait(WAIT)
    server, loop = handles["server"], handles["loop"]
    with server.state.condition:
        assert server.state.condition.wait_for(lambda: server.state.build >= 1, timeout=WAIT)
    profile = tmp_path / "chromium-profile"
    browser = subprocess.Popen(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}",
         server.url + "owner/acme/2026-11.html"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tools = None
    try:
        port_file = profile / "DevToolsActivePort"
        assert wait_until(lambda: port_file.is_file() and port_file.read_text().strip())
        port = int(port_file.read_text().split()[0])

        def page_socket():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=WAIT) as response:
                pages = [t for t in json.load(response) if t.get("type") == "page" and "2026-11" in t.get("url", "")]
            return pages[0]["webSocketDebuggerUrl"] if pages else None

        assert wait_until(lambda: page_socket() is not None)
        tools = DevTools(page_socket())
        text = lambda: tools.evaluate("document.body ? document.body.innerText : ''") or ""  # noqa: E731
        assert wait_until(lambda: "printer driver" in text())
        # The page connected to the event stream (the script ran despite the page's own policy).
        assert wait_until(lambda: tools.evaluate("document.readyState") == "complete")
        log = root / "logbook" / "2026" / "11.md"
        log.write_text(log.read_text().replace("printer driver", "scanner driver"), encoding="utf-8")
        watcher.on_change()
        assert wait_until(lambda: "scanner driver" in text())
    finally:
        if tools is not None:
            tools.close()
        browser.terminate()
        try:
            browser.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            browser.kill()
        loop.stop()
        thread.join(WAIT)
