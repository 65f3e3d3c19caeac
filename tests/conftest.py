"""Shared fixtures: books folders written from `{path: text}` dicts, and the CLI run in-process."""

from __future__ import annotations

import io
import json
import shutil
import textwrap
from contextlib import redirect_stderr
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from hourbook.commands import cli

REPO = Path(__file__).resolve().parent.parent
# The repository is a books folder itself: the example books are these parts of it (issued.yaml and
# invoices/ are the register of the invoices issued for 2026-07..10, payments/ the money received).
EXAMPLE_PARTS = ("hourbook.yaml", "contracts", "logbook", "templates", "issued.yaml", "invoices", "payments")


def copy_example_books(root: Path, parts: tuple[str, ...] = EXAMPLE_PARTS) -> Path:
    """Copy the repository's example books (`parts` of them) into `root`, created if needed."""
    root.mkdir(parents=True, exist_ok=True)
    for name in parts:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.exists():
            shutil.copy2(source, root / name)
    return root


# A link secret as strong as hourbook asks for (32 random bytes, as hex): tests that set one use it.
TEST_SECRET = "5f0e3c9a7b2d41e6a8c4f19b0d7e2a63c1b8f4d90e6a2c7b35d1f08e4a9c6b27"

SELLER = """\
seller:
  name: Ana Ruiz Consulting
  address: "C/ Mayor 1, 28013 Madrid"
  tax_id: ESB12345678
currency: EUR
locale: en
period: month
cost: 35
"""


def write_books(root: Path, files: dict[str, str]) -> Path:
    """Write a books folder: every value is dedented; hourbook.yaml defaults to SELLER."""
    files = {"hourbook.yaml": SELLER, **files}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def slow_after_the_first(cases: list) -> list:
    """The cases of an exhaustive `parametrize` matrix: `make test-fast` runs the first, `make test` all.

    Args:
        cases: one value per case for a test of one argument, else a tuple of the arguments.
    """
    return [case if index == 0 else pytest.param(*(case if isinstance(case, tuple) else (case,)),
                                                  marks=pytest.mark.slow)
            for index, case in enumerate(cases)]


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `hourbook ARGS` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def price_json(root: Path, as_of: str = "2026-12-31") -> dict:
    """`hourbook price ROOT --json --as-of AS_OF`, parsed."""
    code, out, err = run_cli("price", str(root), "--json", "--as-of", as_of)
    assert code in (0, 1), err
    return json.loads(out)


def client(data: dict, cid: str) -> dict:
    """The one client `cid` of `price --json` output."""
    matches = [c for c in data["clients"] if c["id"] == cid]
    assert len(matches) == 1, [c["id"] for c in data["clients"]]
    return matches[0]


def periods(data: dict, cid: str) -> list[str]:
    return [p["period"] for p in client(data, cid)["periods"]]


def period(data: dict, cid: str, name: str) -> dict:
    """The one period `name` of client `cid`."""
    matches = [p for p in client(data, cid)["periods"] if p["period"] == name]
    assert len(matches) == 1, periods(data, cid)
    return matches[0]


@pytest.fixture(autouse=True)
def no_statement_pages_kept():
    """A test that watches (or keeps pages itself) leaves the next one rendering every page."""
    yield
    from hourbook.render.pages import STATEMENT_PAGES
    STATEMENT_PAGES.keep(0)


@pytest.fixture
def books(tmp_path):
    """Return a function that writes `{path: text}` into a fresh books folder."""
    def make(files: dict[str, str]) -> Path:
        return write_books(tmp_path / "books", files)
    return make
