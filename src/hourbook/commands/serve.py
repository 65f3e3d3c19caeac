"""`hourbook serve`: watch mode plus a local preview server that reloads the open page.

The server listens on 127.0.0.1 unless told otherwise, serves the site folder, and
answers three paths of its own:

    /                       the preview's start page: the owner dashboard and every
                            client's statements, and the last build's problems
    /__hourbook/events      Server-Sent Events: `reload` after each build that changed
                            the site, `problems` when a build stops on errors
    /__hourbook/status      the last build, as JSON

The site's pages forbid scripts (a Content-Security-Policy meta tag). Only in the
responses of this server, never in the files on disk, each HTML page gets a small
script (allowed by a nonce added to that page's policy, with `connect-src 'self'`
for the event stream) that reloads the page on `reload` and shows the build's errors
in a panel over the page.
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import json
import mimetypes
import re
import secrets
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import unquote_to_bytes
from urllib.parse import urlsplit

from hourbook.build.build_result import BuildResult
from hourbook.output.text import format_diagnostic
from hourbook.commands.watch import SiteBuilder
from hourbook.commands.watch import WatcherBase
from hourbook.commands.watch import refuse_site_folder
from hourbook.commands.watch import watch_books

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
HEARTBEAT_SECONDS = 15
STOP_POLL_SECONDS = 0.05            # how long stopping the preview server may wait (serve_forever's default: 0.5 s)
_CSP_META = re.compile(r'(<meta\s+http-equiv="Content-Security-Policy"\s+content=")([^"]*)(")', re.IGNORECASE)

RELOAD_SCRIPT = """
(function () {
  var state = %(state)s;
  function panel(problems) {
    var old = document.getElementById("hourbook-preview-problems");
    if (old) { old.remove(); }
    if (!problems || !problems.length) { return; }
    var box = document.createElement("div");
    box.id = "hourbook-preview-problems";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:45%%;overflow:auto;z-index:99999;" +
      "background:#fff4f4;color:#5c0000;border-top:3px solid #b00020;padding:0.8em 1em;" +
      "font:13px/1.4 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 -2px 8px rgba(0,0,0,.2)";
    var title = document.createElement("strong");
    title.textContent = "hourbook: the last build stopped; the site shows the build before it\\n";
    box.appendChild(title);
    box.appendChild(document.createTextNode(problems.join("\\n")));
    document.body.appendChild(box);
  }
  panel(state.problems);
  var source = new EventSource("/__hourbook/events?since=" + state.build);
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("problems", function (event) { panel(JSON.parse(event.data)); });
})();
"""

# What docs/server.md asks a real server to send with every file, PDFs included: the
# preview sends it too, so what is previewed is what is published.
PRIVATE_HEADERS = (("X-Robots-Tag", "noindex, nofollow"), ("Referrer-Policy", "no-referrer"))


class PreviewState:
    """The last build, and a Condition that event streams wait on."""

    def __init__(self):
        self.condition = threading.Condition()
        self.build = 0              # counts builds that changed the site
        self.event = 0              # counts every build
        self.problems: list[str] = []
        self.closed = False

    def on_build(self, result: BuildResult) -> None:
        """Record a build and wake the event streams: a success clears the problems and, when the site
        changed, counts a build (a reload); a failure records its errors."""
        with self.condition:
            self.event += 1
            if result.ok:
                self.problems = []
                if not result.up_to_date:
                    self.build += 1
            else:
                self.problems = ([result.error] if result.error else []) + \
                    [format_diagnostic(d) for d in result.diagnostics if d.severity == "error"]
            self.condition.notify_all()

    def on_pages(self) -> None:
        """The clients' pages changed on disk (the dashboard follows): reload the open pages now."""
        with self.condition:
            self.event += 1
            self.build += 1
            self.problems = []
            self.condition.notify_all()

    def close(self) -> None:
        """The server is stopping: wake every event stream so that it ends."""
        with self.condition:
            self.closed = True
            self.condition.notify_all()


def inject_reload(page: str, state: PreviewState) -> str:
    """The page with the preview script, allowed by a nonce in its own policy (a copy: never on disk)."""
    nonce = secrets.token_urlsafe(16)
    with state.condition:
        data = {"build": state.build, "problems": state.problems}
    script = RELOAD_SCRIPT % {"state": json.dumps(data).replace("</", "<\\/")}

    def relax(match: re.Match) -> str:
        policy = match.group(2)
        if "script-src 'self'" in policy:       # an owner's page already loads owner/owner.js: one script-src
            policy = policy.replace("script-src 'self'", f"script-src 'self' 'nonce-{nonce}'", 1)
            return f"{match.group(1)}{policy}; connect-src 'self'{match.group(3)}"
        return f"{match.group(1)}{policy}; script-src 'nonce-{nonce}'; connect-src 'self'{match.group(3)}"

    page, count = _CSP_META.subn(relax, page, count=1)
    tag = f'<script nonce="{nonce}">{script}</script>'
    if "</body>" in page:
        head, _, tail = page.rpartition("</body>")
        return f"{head}{tag}</body>{tail}"
    return page + tag


def start_page(site_dir: Path) -> str:
    """The preview's own start page: links to the dashboard and to every client's statements."""
    owner = site_dir / "owner"
    public = site_dir / "public"
    items = []
    if (owner / "index.html").is_file():
        items.append('<li><a href="/owner/index.html"><strong>Owner dashboard</strong></a></li>')
    shared = {}
    if public.is_dir():
        for folder in sorted(p for p in public.iterdir() if p.is_dir()):
            client = folder.name.rsplit("-", 1)[0]
            shared[client] = folder.name
    if owner.is_dir():
        for folder in sorted(p for p in owner.iterdir() if p.is_dir()):
            cid = html.escape(folder.name)
            link = f'<a href="/owner/{cid}/index.html">{cid}</a>'
            if folder.name in shared:
                link += f' · <a href="/public/{html.escape(shared[folder.name])}/index.html">shared page</a>'
            else:
                link += " · owner only"
            items.append(f"<li>{link}</li>")
    body = "\n".join(items) or "<li>No site yet: the first build has not finished, or it stopped on errors.</li>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<title>hourbook preview</title><style>body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;"
            "max-width:40em;padding:0 1em}li{margin:.2em 0}</style></head><body>"
            f"<h1>hourbook preview</h1><p>{html.escape(str(site_dir))}</p><ul>\n{body}\n</ul></body></html>\n")


LOOPBACK_NAMES = ("localhost", "127.0.0.1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")
MAX_PATH_CHARS = 2048
MAX_NAME_BYTES = 255


def host_allowed(header: str | None, bound: tuple[str, int], given: str = "") -> bool:
    """Whether a request's `Host` names this server: its bound address, the `--host` given,
    `localhost` or `127.0.0.1`, with no port or the bound one.

    A page on another site can make a browser send requests here under its own name (DNS
    rebinding); its Host is that name, never one of these. Bound to every address (0.0.0.0,
    ::), any IP address is this server too: a rebinding attack needs a name, not an address.
    """
    if not header:
        return False
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return False
        name, rest = value[:end + 1], value[end + 1:]
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
    address, port_number = bound[0], bound[1]
    if rest and rest != f":{port_number}":
        return False
    allowed = {*LOOPBACK_NAMES, _host_form(address), _host_form(given)}
    if name in allowed - {""}:
        return True
    return address in WILDCARD_ADDRESSES and _is_address(name)


def _host_form(address: str) -> str:
    """An address as a Host header spells it: IPv6 in brackets, lower case."""
    address = address.lower()
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") and name.endswith("]") else name)
    except ValueError:
        return False
    return True


def request_path(target: str) -> str | None:
    """The decoded path of a request target, or None when no file of a site could have it.

    Refused: a target not starting with `/`, control characters (NUL included, raw or
    `%00`), encoded slashes or backslashes, percent-escapes that are not UTF-8, `.` or
    `..` parts, and over-long paths or names.
    """
    if not target.startswith("/") or len(target) > 3 * MAX_PATH_CHARS:
        return None
    raw = target.split("?", 1)[0].split("#", 1)[0]
    if re.search(r"%(?:2f|5c)", raw, re.IGNORECASE):
        return None
    try:
        path = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts = path.split("/")
    if (len(path) > MAX_PATH_CHARS or any(ord(char) < 32 or 127 <= ord(char) < 160 for char in path)
            or "\\" in path or any(part in (".", "..") for part in parts)
            or any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in parts)):
        return None
    return path


def make_handler(site_dir: Path, state: PreviewState):
    """The request handler class: the site's files (HTML pages with the reload script), the start
    page, /__hourbook/status and /__hourbook/events, only for a Host naming this server."""
    site_root = site_dir.resolve() if site_dir.exists() else site_dir.absolute()

    class Handler(BaseHTTPRequestHandler):
        server_version = "hourbook-preview"
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            """No line per request."""
            pass

        def do_HEAD(self):
            """As GET, without the body."""
            self.do_GET(head=True)

        def do_GET(self, head: bool = False):
            """421 for a Host not naming this server, 400 for a path no site file could have, then the
            preview's own paths, then the site's files (404 for any other)."""
            hosts = self.headers.get_all("Host") or []
            if len(hosts) != 1 or not host_allowed(hosts[0], self.server.server_address[:2],
                                                   getattr(self.server, "given_host", "")):
                return self.send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8",
                                 b"this preview answers only to its own address\n", head)
            path = request_path(self.path)
            if path is None:
                return self.send(HTTPStatus.BAD_REQUEST, "text/plain; charset=utf-8", b"bad request\n", head)
            if path == "/__hourbook/events":
                return self.events()
            if path == "/__hourbook/status":
                with state.condition:
                    data = {"build": state.build, "events": state.event, "problems": state.problems}
                return self.send(HTTPStatus.OK, "application/json", json.dumps(data).encode(), head)
            if path in ("/", "/index.html"):
                page = inject_reload(start_page(site_dir), state)
                return self.send(HTTPStatus.OK, "text/html; charset=utf-8", page.encode("utf-8"), head)
            target = self.resolve(path)
            if target is None:
                return self.send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", head)
            try:
                data = target.read_bytes()
            except OSError:
                return self.send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", head)
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind == "text/html":
                data = inject_reload(data.decode("utf-8", errors="replace"), state).encode("utf-8")
                kind = "text/html; charset=utf-8"
            return self.send(HTTPStatus.OK, kind, data, head)

        def resolve(self, path: str) -> Path | None:
            """A file inside the site folder, or None (no escaping it, no folder listings)."""
            try:
                root = site_dir.resolve() if site_dir.exists() else site_root
                target = (root / path.lstrip("/")).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if root != target and root not in target.parents:
                    return None
                return target if target.is_file() else None
            except (OSError, ValueError):         # a name the system refuses (too long, a loop)
                return None

        def send(self, status: HTTPStatus, kind: str, body: bytes, head: bool = False) -> None:
            """A whole response, never cached, with the headers a real server sends (`PRIVATE_HEADERS`)."""
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in PRIVATE_HEADERS:
                self.send_header(name, value)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def events(self) -> None:
            """Server-Sent Events until the client goes away or the server stops."""
            query = urlsplit(self.path).query
            match = re.search(r"(?:^|&)since=(\d+)", query)
            # What the client has seen is taken before it can know it is connected: a build
            # that ends in between is then sent, not lost.
            with state.condition:
                seen_build = int(match.group(1)) if match else state.build
                seen_event = state.event
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(b"retry: 1000\n\n")
                if state.build != seen_build:
                    self.wfile.write(b"event: reload\ndata: {}\n\n")
                    self.wfile.flush()
                    return
                self.wfile.flush()
                while True:
                    with state.condition:
                        state.condition.wait_for(lambda: state.event != seen_event or state.closed,
                                                 timeout=HEARTBEAT_SECONDS)
                        if state.closed:
                            return
                        changed = state.event != seen_event
                        seen_event = state.event
                        build, problems = state.build, list(state.problems)
                    if not changed:
                        self.wfile.write(b": still here\n\n")
                    elif problems:
                        self.wfile.write(b"event: problems\ndata: " + json.dumps(problems).encode() + b"\n\n")
                    elif build != seen_build:
                        self.wfile.write(b"event: reload\ndata: {}\n\n")
                        self.wfile.flush()
                        return
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

    return Handler


class _HTTPServer(ThreadingHTTPServer):
    """The standard threading server, knowing the `--host` it was given, and with one line,
    not a traceback, for a request it could not answer."""

    daemon_threads = True
    given_host = ""

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return                          # the browser went away: nothing to say
        print(f"hourbook: preview: could not answer a request: {type(error).__name__}", file=sys.stderr)


class PreviewServer:
    """The HTTP side of `hourbook serve`, in a thread of its own."""

    def __init__(self, site_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 state: PreviewState | None = None):
        self.state = state or PreviewState()
        self.httpd = _HTTPServer((host, port), make_handler(site_dir, self.state))
        self.httpd.given_host = host
        # serve_forever looks for a stop this often: stop() (Ctrl-C, SIGTERM) waits at most that long.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": STOP_POLL_SECONDS},
                                       name="hourbook-preview", daemon=True)

    @property
    def url(self) -> str:
        """Where the server listens, as a browser's URL (an IPv6 address in brackets)."""
        host, port = self.httpd.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def start(self) -> None:
        """Serve in the server's own thread."""
        self.thread.start()

    def stop(self) -> None:
        """End the event streams, stop serving (waits at most `STOP_POLL_SECONDS`) and close the socket."""
        self.state.close()
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_books(root: Path, as_of: Callable[[], datetime.date], *, out: Path | None = None, pdf: bool = True,
                host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, watcher: WatcherBase | None = None,
                ready=None) -> int:
    """`hourbook serve`: the preview server, then watch mode until Ctrl-C or SIGTERM (`watch_books`
    stops on either; the server closes after it). Returns the exit code.

    A site folder that is no place for a site (the books, a folder hourbook did not write)
    is refused before the server listens: it would serve that folder.
    """
    site_dir = (out or root / "site").absolute()
    state = PreviewState()
    builder = SiteBuilder(root, as_of, out=out, pdf=pdf, on_build=state.on_build, on_pages=state.on_pages)
    if refuse_site_folder(builder):
        return 1
    try:
        server = PreviewServer(site_dir, host, port, state=state)
    except OSError as exc:
        print(f"hourbook: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    server.start()
    print(f"hourbook: previewing {site_dir} at {server.url}"
          + ("" if host in ("127.0.0.1", "localhost", "::1") else " (not only this machine: anyone who can "
                                                                     "reach it sees every client)"), file=sys.stderr)

    def loop_ready(loop):
        if ready is not None:
            ready(loop, server)

    try:
        return watch_books(root, as_of, watcher=watcher, ready=loop_ready, builder=builder)
    finally:
        server.stop()
