"""Every output, byte for byte, as recorded in `tests/golden/outputs.json`.

The example books and small bench books are built, priced, checked, exported and
invoiced, and each file or stream is hashed. A refactor must leave every hash as
it was; a change that means to alter output (a new label, a new field) records
the new hashes on purpose:

    HOURBOOK_GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/test_same_outputs.py

and the diff of `outputs.json` shows which files changed, for the reviewer.
The books are committed to a fresh git repository with fixed names and dates,
so the commit (which statements name today) is the same on every machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_SECRET
from conftest import run_cli
from conftest import copy_example_books

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "outputs.json"
UPDATE_ENV = "HOURBOOK_GOLDEN_UPDATE"
AS_OF = "2026-12-31"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ana Ruiz", "GIT_AUTHOR_EMAIL": "ana@example.com",
    "GIT_COMMITTER_NAME": "Ana Ruiz", "GIT_COMMITTER_EMAIL": "ana@example.com",
    "GIT_AUTHOR_DATE": "2026-12-01T09:00:00+00:00", "GIT_COMMITTER_DATE": "2026-12-01T09:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}


def commit_books(root: Path) -> None:
    """`git init` + one commit, with fixed names and dates: the same commit id everywhere."""
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "books"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_digests(folder: Path, prefix: str) -> dict[str, str]:
    """sha256 of every file under `folder`, keyed `prefix/relative/path`."""
    return {f"{prefix}/{path.relative_to(folder).as_posix()}": digest(path.read_bytes())
            for path in sorted(folder.rglob("*")) if path.is_file()}


def run(*args: str) -> tuple[int, str, str]:
    code, out, err = run_cli(*args)
    assert code in (0, 1), (args, code, err)
    return code, out, err


def outputs_of(root: Path, work: Path, *, pdf: bool, invoice: str | None) -> dict[str, str]:
    """Hashes of everything hourbook writes for the books at `root`."""
    found: dict[str, str] = {}
    for name, args in (("price.json", ("price", str(root), "--json", "--as-of", AS_OF)),
                       ("price.txt", ("price", str(root), "--as-of", AS_OF)),
                       ("check.json", ("check", str(root), "--json", "--as-of", AS_OF)),
                       ("links.txt", ("links", str(root), "--as-of", AS_OF))):
        code, out, err = run(*args)
        found[name] = digest(f"{code}\n{out}\n{err}".encode())
    site = work / "site"
    build = ("build", str(root), "--out", str(site), "--as-of", AS_OF) + (() if pdf else ("--no-pdf",))
    code, _, err = run(*build)
    assert code == 0, err
    found.update(tree_digests(site, "site"))
    if invoice:
        code, out, err = run("issue", invoice, str(root), "--date", "2026-12-01")
        assert code == 0, err
        found["issue.txt"] = digest(out.encode())
        found.update(tree_digests(root / "invoices", "invoices"))
        found["issued.yaml"] = digest((root / "issued.yaml").read_bytes())
    code, out, err = run("export", str(root), "--out", str(work / "export"), "--as-of", AS_OF)
    assert code == 0, err
    found.update(tree_digests(work / "export", "export"))
    return found


def example_books(tmp_path: Path) -> Path:
    root = tmp_path / "books"
    copy_example_books(root)
    (root / ".hourbook-secret").write_text(TEST_SECRET + "\n", encoding="utf-8")
    (root / ".hourbook-secret").chmod(0o600)
    (root / ".gitignore").write_text("/site/\n/.hourbook-secret\n/.hourbook-cache/\n/export/\n", encoding="utf-8")
    commit_books(root)
    return root


def bench_books(tmp_path: Path) -> Path:
    root = tmp_path / "bench"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--entries", "3000", "--clients", "24",
                    "--seed", "7", "--out", str(root)], check=True, capture_output=True)
    (root / ".hourbook-secret").write_text(TEST_SECRET + "\n", encoding="utf-8")
    (root / ".hourbook-secret").chmod(0o600)
    return root


def compare(name: str, found: dict[str, str]) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    if os.environ.get(UPDATE_ENV):
        golden[name] = found
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    assert name in golden, f"no recorded outputs for {name}: run with {UPDATE_ENV}=1 once"
    expected = golden[name]
    changed = sorted(k for k in found.keys() & expected.keys() if found[k] != expected[k])
    missing = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    assert not (changed or missing or extra), f"changed: {changed}\nmissing: {missing}\nnew: {extra}"


def test_example_books_outputs_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.delenv("HOURBOOK_SECRET", raising=False)
    monkeypatch.delenv("HOURBOOK_TODAY", raising=False)
    monkeypatch.setenv("HOURBOOK_NO_CACHE", "1")
    root = example_books(tmp_path)
    compare("example", outputs_of(root, tmp_path, pdf=True, invoice="2026-11"))


def test_bench_books_outputs_are_unchanged(tmp_path, monkeypatch):
    monkeypatch.delenv("HOURBOOK_SECRET", raising=False)
    monkeypatch.delenv("HOURBOOK_TODAY", raising=False)
    root = bench_books(tmp_path)
    compare("bench", outputs_of(root, tmp_path, pdf=False, invoice=None))
