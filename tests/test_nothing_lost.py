"""Nothing lost: hourbook never writes to the books, and never reads text it cannot decode as text.

- Every command, on good books and on books with errors, leaves `logbook/`,
  `contracts/`, `templates/` and `hourbook.yaml` as they were: the same files and
  folders, the same bytes, the same modification times (a folder's mtime changes
  when a file is created in it, even one removed again).
- A file that is not UTF-8 is an error at the line of its first bad byte, in every
  kind of file; its text is never loaded with replacement characters; `build` stops
  and leaves the old site. A UTF-8 byte-order mark is fine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import TEST_SECRET
from conftest import run_cli
from conftest import slow_after_the_first
from hourbook.commands import cli

AS_OF = "2026-11-05"
BOOKS_PARTS = ("hourbook.yaml", "contracts", "logbook", "templates")
GOOD = {
    "hourbook.yaml": """\
        seller:
          name: Ana Ruiz Consulting
          address: "Calle Mayor 1, 28013 Madrid"
          tax_id: ESB12345678
        currency: EUR
        locale: es
        """,
    "contracts/acme.yaml": """\
        name: ACME Industries S.L.
        address: "Av. Diagonal 1, Barcelona"
        tax_id: ESA87654321
        tax: 21%
        terms:
          - {from: 2026-01-01, kind: hourly, rate: 60}
        """,
    "contracts/globex.yaml": """\
        name: Globex GmbH
        address: "Hauptstr. 1, Berlin"
        tax_id: DE123456789
        tax: 19%
        share: false
        terms:
          - {from: 2026-01-01, kind: retainer, fee: 300, included: 2h, rate: 80}
        """,
    "logbook/2026/10.md": """\
        # 2026-10-06

        ## acme
        - 09:00-10:30 Migración del servidor #support
          Copiados los datos; verificado.
        - [ ] @ana logo más grande

        ## globex
        - 45m Postfach-Kontingent #support
        """,
    "logbook/northwind.yaml": """\
        client: acme
        entries:
          - {date: 2026-10-20, duration: 30m, note: Café con el cliente, tags: [support]}
        """,
    "templates/README.txt": "Overrides of the built-in templates go here.\n",
}
BAD = {
    **GOOD,
    "contracts/initech.yaml": "name: Initech\nterms:\n  - {from: 2026-01-01, kind: hourli, rate: 70}\n",
    "logbook/2026/11.md": b"# 2026-11-03\n\n## acme\n- 1h Caf\xe9\n- 25:00-26:00 x\n",
}


def write(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else textwrap.dedent(text).encode("utf-8"))
    return root


def git_commit(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "books"]):
        subprocess.run(["git", "-C", str(root), *args], env=env, check=True, capture_output=True)


def books_state(root: Path) -> dict[str, tuple]:
    """Every file and folder of the books: kind, size, mtime, and a hash of the bytes."""
    state = {}
    for part in BOOKS_PARTS:
        top = root / part
        if not top.exists():
            continue
        for path in [top, *sorted(top.rglob("*"))] if top.is_dir() else [top]:
            info = path.lstat()
            rel = path.relative_to(root).as_posix()
            if path.is_dir():
                state[rel] = ("dir", info.st_mtime_ns, info.st_mode)
            else:
                state[rel] = ("file", info.st_size, info.st_mtime_ns, info.st_mode,
                              hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Every command of the CLI, with its arguments; a new command must be added here.
SHORT = {
    "check": [["check"], ["check", "--json"], ["check", "--strict"]],
    "price": [["price"], ["price", "--json"]],
    "build": [["build"], ["build", "--no-pdf"]],
    "links": [["links"]],
    "export": [["export"]],
    "report": [["report"], ["report", "--json"]],
    "issue": [["issue", "2026-10"], ["issue", "--client", "acme"]],
    "payments": [["payments", "match"]],
    "remind": [["remind"], ["remind", "--no-pdf"]],
}
LONG_RUNNING = {
    "watch": lambda: ["watch", "--no-pdf"],
    "serve": lambda: ["serve", "--no-pdf", "--port", str(free_port())],
}


def cli_commands() -> set[str]:
    parser = cli.make_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return set(subparsers.choices)


def test_every_command_is_covered():
    assert cli_commands() <= set(SHORT) | set(LONG_RUNNING), cli_commands() - set(SHORT) - set(LONG_RUNNING)


@pytest.fixture(params=["good", "bad"])
def books(request, tmp_path):
    root = write(tmp_path / "books", GOOD if request.param == "good" else BAD)
    if shutil.which("git"):
        git_commit(root)  # `issue` needs committed books
    return root


@pytest.mark.parametrize("argv", [pytest.param(argv, marks=pytest.mark.slow)      # PDFs, and the other output forms
                                  if argv == ["build"] or "--json" in argv or "--strict" in argv else argv
                                  for name, forms in SHORT.items() for argv in forms], ids=" ".join)
def test_commands_never_write_to_the_books(books, argv, tmp_path):
    if argv[0] not in cli_commands():
        pytest.skip(f"`hourbook {argv[0]}` does not exist yet")
    before = books_state(books)
    time.sleep(0.01)  # a write now would show a later mtime even on coarse clocks
    if argv[0] == "payments":
        # A bank statement from outside the books; what it proposes goes to stdout only.
        statement = tmp_path / "bank.csv"
        statement.write_text("Date,Amount,Description\n2026-11-20,10.00,Invoice 2026-0001\n", encoding="utf-8")
        code, _, err = run_cli("payments", "match", str(statement), str(books))
    elif argv[:2] == ["issue", "--client"]:
        code, _, err = run_cli("issue", *argv[1:], str(books), "--as-of", AS_OF)
    else:
        code, _, err = run_cli(argv[0], *(argv[1:2] if argv[0] == "issue" else []), str(books),
                               *argv[2 if argv[0] == "issue" else 1:], "--as-of", AS_OF)
    assert code in (0, 1), err
    assert books_state(books) == before


@pytest.mark.slow  # watch and serve in processes of their own
@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_long_running_commands_never_write_to_the_books(books, name):
    if name not in cli_commands():
        pytest.skip(f"`hourbook {name}` does not exist yet")
    before = books_state(books)
    argv = LONG_RUNNING[name]()
    env = {**os.environ, "HOURBOOK_SECRET": TEST_SECRET}
    process = subprocess.Popen([sys.executable, "-m", "hourbook", argv[0], str(books), *argv[1:], "--as-of", AS_OF],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(process.stderr), daemon=True)
    reader.start()
    try:
        # Until the first build is reported (built, or stopped by the errors), then a moment of watching.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None and not any(
                "built" in line or "build stopped" in line for line in said):
            time.sleep(0.05)
        time.sleep(1.0)
    finally:
        process.send_signal(signal.SIGTERM)     # stops it as Ctrl-C does; SIGINT is ignored in a background job
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert any("built" in line or "build stopped" in line for line in said), said
    assert books_state(books) == before


# ------------------------------------------------------------------ non-UTF-8 input


NOT_UTF8 = {
    "markdown logbook": ("logbook/2026/10.md", "# 2026-10-06\n\n## acme\n- 1h Caf\xe9 con el cliente\n", "latin-1", 4),
    "YAML logbook": ("logbook/northwind.yaml",
                     "client: acme\nentries:\n  - {date: 2026-10-20, duration: 30m, note: Caf\xe9}\n", "cp1252", 3),
    "contract": ("contracts/acme.yaml", "name: Acme Log\xedstica\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60}\n",
                 "latin-1", 1),
    "settings": ("hourbook.yaml", "seller:\n  name: Ana\n  address: M\xfcnchen\n", "latin-1", 3),
    "UTF-16": ("logbook/2026/10.md", "# 2026-10-06\n\n## acme\n- 1h printer\n", "utf-16", 1),
    "Cyrillic in KOI8-R": ("logbook/2026/10.md", "# 2026-10-06\n\n## acme\n- 1h Принтер\n", "koi8-r", 4),
}


@pytest.mark.parametrize("case", slow_after_the_first(sorted(NOT_UTF8)))
def test_non_utf8_is_a_located_error(case, tmp_path):
    rel, text, encoding, line = NOT_UTF8[case]
    root = write(tmp_path / "books", GOOD)
    code, _, err = run_cli("build", str(root), "--no-pdf", "--as-of", AS_OF)
    assert code == 0, err
    site_before = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
    data = text.encode(encoding)
    (root / rel).write_bytes(data)
    with pytest.raises(UnicodeDecodeError) as bad:
        data.decode("utf-8-sig")
    first_bad = bad.value.start

    code, _, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert code == 1
    assert (f"{rel}:{line}: error: not valid UTF-8 (byte 0x{data[first_bad]:02x} at offset {first_bad}); "
            "save the file as UTF-8") in err.splitlines()
    # Not read with replacement characters: nothing of the file reaches the priced books.
    code, out, _ = run_cli("price", str(root), "--json", "--as-of", AS_OF)
    assert code == 1 and "\ufffd" not in out
    sources = {ln["source"].rsplit(":", 1)[0] for c in json.loads(out)["clients"] for p in c["periods"] for ln in p["lines"]}
    assert rel not in sources
    # The build refuses, and the site stays as it was.
    code, _, err = run_cli("build", str(root), "--no-pdf", "--as-of", AS_OF)
    assert code == 1
    assert {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()} == site_before


def test_utf8_bom_and_crlf_are_fine(tmp_path):
    root = write(tmp_path / "books", GOOD)
    for rel in ("logbook/2026/10.md", "contracts/acme.yaml", "hourbook.yaml"):
        path = root / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    code, _, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert code == 0, err
    data = json.loads(run_cli("price", str(root), "--json", "--as-of", AS_OF)[1])
    lines = [ln for c in data["clients"] for p in c["periods"] for ln in p["lines"]]
    assert {ln["source"] for ln in lines} >= {"logbook/2026/10.md:4", "logbook/2026/10.md:9"}
    assert all("\ufeff" not in ln["description"] and "\r" not in ln["description"] for ln in lines)


@pytest.mark.slow  # hourbook in a process of its own
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    """`hourbook price | head -1`: the pipe closes under hourbook; it stops quietly (exit 141)."""
    root = write(tmp_path / "books", GOOD)
    process = subprocess.Popen([sys.executable, "-m", "hourbook", "price", str(root), "--as-of", AS_OF],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()                      # the reader is gone before hourbook writes a line
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
