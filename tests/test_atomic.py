"""Atomic output: a build or an issue killed at any moment leaves the old state or the new one.

`hourbook build` writes the site into a folder beside `site/` and swaps it in; `hourbook
issue` writes `issued.yaml` by temp file and rename. These tests run the real command in a
subprocess and SIGKILL it: after random delays, and right after it starts writing (when
its staging folder appears). Afterwards `site/` is, byte for byte, either the site of
the old books or that of the new ones; `issued.yaml` parses, its numbers have no gap or
duplicate, and a killed period is issued entirely or not at all.

CI runs a few kills of each; `HOURBOOK_KILL_RUNS=200` runs 200 of each (the acceptance run).
"""

from __future__ import annotations

import datetime
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TEST_SECRET
import yaml

from hourbook.site.files import SiteError
from conftest import copy_example_books

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("HOURBOOK_KILL_RUNS", "0"))
BUILD_RUNS = RUNS or 16
ISSUE_RUNS = RUNS or 4
AS_OF = "2026-12-20"
ENV = {**os.environ, "HOURBOOK_SECRET": TEST_SECRET, "HOURBOOK_TODAY": AS_OF,
       "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

DECEMBER = """\
# 2026-12-02

## acme
- 09:00-11:15 @marta Migración del servidor de ficheros #support
  Copiados 2 TB; verificadas las sumas de control.

## globex
- 1h @klaus Neuer Drucker im Lager #support
"""


def hourbook(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hourbook", *args], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kwargs)


def run_hourbook(*args: str) -> tuple[int, str]:
    process = hourbook(*args)
    out, err = process.communicate(timeout=300)
    return process.returncode, out.decode() + err.decode()


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path; folders as None."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = path.read_bytes() if path.is_file() else None
    return found


def litter(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith((".site.new-", ".site.old-")))


def example_books(root: Path) -> Path:
    """The repository's example books, copied (the project is a books folder itself)."""
    return copy_example_books(root)


def kill_at(process: subprocess.Popen, root: Path, rng: random.Random, longest: float) -> str:
    """SIGKILL the process: after a random delay, or a random moment after its staging folder appears.

    Returns:
        The phase it was in: "starting", "writing" (a staging folder existed) or "done".
    """
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0, longest))
    else:
        deadline = time.monotonic() + longest * 3
        while not litter(root) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.05))
    phase = "done" if process.poll() is not None else ("writing" if litter(root) else "starting")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    return phase


# ------------------------------------------------------------------ build


@pytest.mark.slow  # kill: build killed at every step
def test_killed_build_leaves_old_or_new_site(tmp_path):
    root = example_books(tmp_path / "books")
    out = root / "site"
    december = root / "logbook" / "2026" / "12.md"

    # The two sites any moment may show: the old books' and the new books'.
    assert run_hourbook("build", str(root), "--no-pdf")[0] == 0
    old = tree(out)
    december.write_text(DECEMBER, encoding="utf-8")
    started = time.monotonic()
    code, output = run_hourbook("build", str(root), "--no-pdf", "--out", str(tmp_path / "new-site"))
    longest = (time.monotonic() - started) * 1.2
    assert code == 0, output
    new = tree(tmp_path / "new-site")
    assert old and new and old != new and set(old) != set(new)  # they differ in files and in bytes
    december.unlink()

    rng = random.Random(int(os.environ.get("HOURBOOK_KILL_SEED", "7")))
    phases: dict[str, int] = {}
    for run in range(BUILD_RUNS):
        # Switch the books to the other version, build, and kill the build on the way.
        if december.exists():
            december.unlink()
            target = old
        else:
            december.write_text(DECEMBER, encoding="utf-8")
            target = new
        process = hourbook("build", str(root), "--no-pdf")
        phase = kill_at(process, root, rng, longest)
        phases[phase] = phases.get(phase, 0) + 1
        found = tree(out)
        assert found in (old, new), (
            f"run {run}: after a kill while {phase}, site/ is neither the old site nor the new one: "
            f"{len(found)} files, missing {sorted(set(target) - set(found))[:5]}, "
            f"extra {sorted(set(found) - set(old) - set(new))[:5]}")

    # Kills landed while the new site was being written, not only before or after.
    print("kill phases:", phases)
    assert phases.get("writing", 0) >= min(3, BUILD_RUNS // 4), phases
    # A build that runs to the end leaves no staging folder behind, whatever earlier kills left.
    assert run_hourbook("build", str(root), "--no-pdf")[0] == 0
    assert litter(root) == []


def test_links_made_early_are_used_or_removed(tmp_path):
    """A build links the old site into its staging folder while it reads the books
    (`PublishedSite.link_early`): a good build swaps that folder in (the site equals a clean
    build's), a build that fails on the books removes it and leaves the old site as it was."""
    root = example_books(tmp_path / "books")
    out = root / "site"
    assert run_hourbook("build", str(root), "--no-pdf")[0] == 0
    december = root / "logbook" / "2026" / "12.md"
    december.write_text(DECEMBER, encoding="utf-8")
    assert run_hourbook("build", str(root), "--no-pdf")[0] == 0
    assert litter(root) == []
    clean = tmp_path / "clean"
    assert run_hourbook("build", str(root), "--no-pdf", "--out", str(clean))[0] == 0
    assert tree(out) == tree(clean)
    good = tree(out)
    december.write_text(DECEMBER + "\n## no-such-client\n- 1h work for a client without a contract\n", encoding="utf-8")
    code, output = run_hourbook("build", str(root), "--no-pdf")
    assert code != 0 and "error" in output
    assert litter(root) == [] and tree(out) == good


def test_a_big_old_site_is_removed_after_the_build(tmp_path, monkeypatch):
    """The old site of a big one goes in an `rm` that outlives the build (`old_sites.remove_detached`): the
    new site is in place when the build returns, the old one gone soon after, and what a killed
    `rm` left is taken for litter by the next build."""
    from hourbook.build import publish

    monkeypatch.setattr(publish, "DETACHED_REMOVAL_FILES", 1)     # the example books' site counts as big
    out = tmp_path / "site"
    writer = site_writer(tmp_path, out)
    writer.state = {"manifest": {}}
    first = writer.write({"public/a.html": b"a", "owner/index.html": b"one"})[0]
    writer.state = {"manifest": first, "probe": sorted(first)}
    writer.write({"public/a.html": b"a", "owner/index.html": b"two"})
    assert (out / "owner" / "index.html").read_bytes() == b"two"
    deadline = time.monotonic() + 20
    while litter(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert litter(tmp_path) == []
    # An old site an `rm` did not finish (killed): the next build removes it.
    left = tmp_path / ".site.old-abcd1234"
    (left / "public").mkdir(parents=True)
    (left / "public" / "x.html").write_bytes(b"x")
    site_writer(tmp_path, out).write({"public/a.html": b"a", "owner/index.html": b"three"})
    deadline = time.monotonic() + 20
    while litter(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert litter(tmp_path) == [] and (out / "owner" / "index.html").read_bytes() == b"three"


def site_writer(tmp_path: Path, out: Path):
    """The writer `hourbook build` uses: a Builder's `PublishedSite`, on an empty books folder."""
    from hourbook.build.builder import Builder

    (tmp_path / "books").mkdir(exist_ok=True)
    return Builder(tmp_path / "books", lambda: datetime.date(2026, 11, 30), out=out, pdf=False,
                   disk_cache=False).published


def test_failed_write_leaves_old_site_and_no_litter(tmp_path, monkeypatch):
    """In-process: the disk refusing the n-th file leaves the old site whole and no staging folder."""
    out = tmp_path / "site"
    site_writer(tmp_path, out).write({"public/a.html": b"old a", "owner/index.html": b"old owner"})
    old = tree(out)
    new_files = {f"public/p{n}.html": f"new {n}".encode() for n in range(10)}
    real = Path.write_bytes
    for fail_at in (0, 1, 5, 9):
        calls = []

        def write_bytes(path, data, fail_at=fail_at, calls=calls):
            calls.append(path)
            if len(calls) > fail_at:
                raise OSError(28, "No space left on device")
            return real(path, data)

        with monkeypatch.context() as patch:
            patch.setattr(Path, "write_bytes", write_bytes)
            with pytest.raises(SiteError, match="No space left on device"):
                site_writer(tmp_path, out).write(new_files)
        assert tree(out) == old
        assert litter(tmp_path) == []


def test_site_paths_cannot_leave_the_site(tmp_path):
    for rel in ("../escape.html", "public/../../escape.html", "/tmp/escape.html", "public/a\x00b.html"):
        with pytest.raises(SiteError):
            site_writer(tmp_path, tmp_path / "site").write({"public/ok.html": b"x", rel: b"y"})
        assert not (tmp_path / "escape.html").exists()
        assert not (tmp_path / "site").exists()
        assert litter(tmp_path) == []


# ------------------------------------------------------------------ issue

ISSUE_BOOKS = {
    "hourbook.yaml": """\
        seller:
          name: Ana Ruiz Consulting
          address: "Calle Mayor 1, 28013 Madrid"
          tax_id: ESB12345678
        currency: EUR
        locale: en
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
        terms:
          - {from: 2026-01-01, kind: hourly, rate: 80}
        """,
    "contracts/initech.yaml": """\
        name: Initech Ltd
        address: "1 High St, London"
        tax_id: GB123456789
        tax: 20%
        terms:
          - {from: 2026-01-01, kind: hourly, rate: 70}
        """,
    "logbook/2026.md": """\
        # 2026-09-10

        ## acme
        - 2h printer driver #support

        # 2026-10-06

        ## acme
        - 1h30m server migration #support

        ## globex
        - 45m mailbox quota #support

        ## initech
        - 3h network audit #support
        """,
}


def issue_available() -> bool:
    return run_hourbook("issue", "--help")[0] == 0  # argparse: 0 with help, 2 for an unknown command


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], env=ENV, check=True, capture_output=True)


def register(root: Path) -> list[dict]:
    """issued.yaml, parsed; [] when there is none. Fails if it does not parse or is not a list."""
    path = root / "issued.yaml"
    if not path.exists():
        return []
    records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    assert isinstance(records, list), type(records)
    return records


def assert_gap_free(records: list[dict]) -> None:
    numbers = [str(r["number"]) for r in records]
    assert len(numbers) == len(set(numbers)), f"duplicate numbers: {numbers}"
    by_series: dict[str, list[int]] = {}
    for record in records:
        series = str(record.get("scope") or record.get("type") or "invoice")
        seq = int(record["seq"]) if "seq" in record else int(str(record["number"]).rsplit("-", 1)[-1])
        by_series.setdefault(series, []).append(seq)
    for series, seqs in by_series.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"series {series}: {seqs} has a gap or a duplicate"


@pytest.mark.slow  # kill: issue killed at every step
def test_killed_issue_leaves_a_whole_register(tmp_path):
    import textwrap

    if not issue_available():
        pytest.skip("`hourbook issue` does not exist yet")
    if shutil.which("git") is None:
        pytest.skip("git is not installed (issue needs the books in git)")
    root = tmp_path / "books"
    for rel, text in ISSUE_BOOKS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "books")

    # September issued for good; the reference: October issued without interruption.
    code, output = run_hourbook("issue", "2026-09", str(root), "--as-of", "2026-10-02")
    assert code == 0, output
    git(root, "add", "-A")                  # the register is committed before the next issue
    git(root, "commit", "-q", "-m", "September issued")
    baseline = (root / "issued.yaml").read_bytes()
    baseline_invoices = tree(root / "invoices")
    started = time.monotonic()
    code, output = run_hourbook("issue", "2026-10", str(root), "--as-of", "2026-11-05")
    longest = (time.monotonic() - started) * 1.1
    assert code == 0, output
    reference = [(r["number"], r["client"], r["period"]) for r in register(root)]
    assert len(reference) == 4 and len({p for _, _, p in reference}) == 2, reference

    rng = random.Random(int(os.environ.get("HOURBOOK_KILL_SEED", "7")))
    outcomes = {"nothing": 0, "whole": 0}
    for run in range(ISSUE_RUNS):
        (root / "issued.yaml").write_bytes(baseline)
        shutil.rmtree(root / "invoices")
        (root / "invoices").mkdir()
        for rel, data in baseline_invoices.items():
            (root / "invoices" / rel).write_bytes(data)
        process = hourbook("issue", "2026-10", str(root), "--as-of", "2026-11-05")
        time.sleep(rng.uniform(0, longest))
        process.send_signal(signal.SIGKILL)
        process.communicate()

        records = register(root)  # parses
        assert_gap_free(records)
        issued = [(r["number"], r["client"], r["period"]) for r in records]
        assert issued in (reference[:1], reference), f"run {run}: October issued in part: {issued}"
        outcomes["whole" if issued == reference else "nothing"] += 1

        # Issuing again finishes the job (or says it is done), and the register is the reference.
        code, output = run_hourbook("issue", "2026-10", str(root), "--as-of", "2026-11-05")
        assert code == 0 or "already issued" in output, output
        assert [(r["number"], r["client"], r["period"]) for r in register(root)] == reference
        assert run_hourbook("check", str(root), "--as-of", "2026-11-05")[0] == 0
    assert sum(outcomes.values()) == ISSUE_RUNS
