"""`hourbook watch` and `serve` stop cleanly on Ctrl-C and on SIGTERM, even started as a background job.

A shell starts a background job (`hourbook watch &`, `make test &`) with SIGINT ignored,
and the child inherits that; SIGTERM (what `kill`, `timeout` and service managers send)
stops it the same clean way as Ctrl-C: exit 0, no traceback, the build state saved.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import TEST_SECRET
from conftest import slow_after_the_first
from conftest import write_books
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.build.cache_folder import STATE_FILE
from hourbook.build.cache_folder import WATCH_STATUS
from hourbook.build.cache_folder import WRITING_MARK

WAIT = 30  # seconds: only a bound for a hung test

BOOKS = {
    "contracts/acme.yaml": """\
        name: ACME S.L.
        terms:
          - {from: 2026-01-01, kind: hourly, rate: 60}
    """,
    "logbook/2026/11.md": """\
        # 2026-11-03

        ## acme
        - 1h printer driver
    """,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ctrl_c_ignored() -> None:
    """In the child, before hourbook starts: what a shell does for a job started with `&`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ctrl_c_default() -> None:
    """In the child, before hourbook starts: a job in the foreground (whatever this test run ignores)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("command", slow_after_the_first(["watch", "serve"]))
@pytest.mark.parametrize("stop, background", slow_after_the_first([
    (signal.SIGTERM, True), (signal.SIGTERM, False), (signal.SIGINT, False)]),
    ids=["sigterm-background", "sigterm", "ctrl-c"])
def test_a_watch_stops_cleanly_on_ctrl_c_and_on_sigterm(tmp_path, command, stop, background):
    root = write_books(tmp_path / "books", BOOKS)
    port = ["--port", str(free_port())] if command == "serve" else []
    process = subprocess.Popen([sys.executable, "-m", "hourbook", command, str(root), "--no-pdf",
                                "--as-of", "2026-12-31", *port],
                               env={**os.environ, "HOURBOOK_SECRET": TEST_SECRET}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=ctrl_c_ignored if background else ctrl_c_default)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(process.stderr), daemon=True)
    reader.start()
    status = root / CACHE_DIR / WATCH_STATUS
    try:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and process.poll() is None and not status.exists():
            time.sleep(0.05)
        assert status.exists(), said
        process.send_signal(stop)
        code = process.wait(WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(WAIT)
    assert code == 0, said
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in said), said
    assert json.loads(status.read_text())["ok"] is True
    assert (root / CACHE_DIR / STATE_FILE).is_file()          # the last build's state is on disk ...
    assert not (root / CACHE_DIR / WRITING_MARK).exists()     # ... and whole
    assert (root / "site" / "owner" / "acme").is_dir()
