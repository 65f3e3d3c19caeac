"""The benchmark: whole `hourbook` commands on synthetic books, medians of several runs,
each judged against the targets of issue #16.

    make bench                                  # 10k and 100k entries
    BENCH_SIZES=10000,100000,1000000 make bench # the scaling curve, 1M included
    python bench/run.py --sizes 100000 --runs 5 --out BENCHMARKS.md

For each size it generates the books once (bench/generate.py, seed 1, 500
clients) into BENCH_DIR (default: $TMPDIR/hourbook-bench) and makes them a git
repository with everything committed, as users keep their books (site/ and
.hourbook-cache/ ignored; the owner's pages show the commit, and the first edit
makes the books dirty), then times, as separate processes, from start to exit:

- `hourbook check` and `hourbook price --json` (stdout to a file), cold (no
  `.hourbook-cache/`) and warm;
- `hledger -f sessions.timeclock bal` on the same sessions, when `hledger` is
  on PATH: the ratio targets are against this time, taken in the same run;
- `hourbook build --no-pdf` from clean (no site, no cache), a no-change
  rebuild, a rebuild after a one-line edit (the line named in
  `bench.json`, toggled each run so every run is a real change), and a
  rebuild after appending one entry to that logbook (a new one each run,
  looked for after each run on its client's rebuilt pages in site/owner/, and
  the row says on how many runs it was there; `--append-only` times just that
  row, cold `price --json` and hledger);
- in `hourbook watch --no-pdf`, the time from saving the one-line edit to the
  site being rewritten (read from `.hourbook-cache/watch.json`, which the
  watcher writes after each build);
- with BENCH_APPEND_PDF=1 only (a full PDF build at 100 000 entries takes over
  an hour): a build with PDFs over that site, once, then the rebuild with PDFs
  after appending one entry;
- after the clean build, the site's size (files, bytes stored: a hard-linked
  file once) and the CPU time of a statement's PDF, on a sample of the site's
  statements in one warm process (BENCH_ROWS=site: only the clean build and
  these two rows);
- at 100 000 entries, the same work in many small files (`generate.py
  --small-files`: a Markdown logbook a day and client, some 88 000 files): cold
  `price --json`, the clean build, the append rebuild and watch's edit, against
  hledger on the same sessions (BENCH_SMALL_FILES=0 leaves it out);
- at 100 000 entries, books of other contract kinds only (BENCH_MIX, default
  `prepaid,incidents`: `generate.py --profiles`): cold `price --json` against
  hledger on their sessions (BENCH_MIX= leaves it out);
- at 100 000 entries, the same work with long descriptions (`generate.py
  --long-descriptions`: 30 to 60 words more in every entry, in its client's
  language, in the sessions too): hledger, cold `price --json` and the append
  rebuild (BENCH_LONG=0 leaves it out).

Then, on smaller books (BENCH_PDF_ENTRIES / BENCH_PDF_CLIENTS, default 5000
entries for 20 clients, the books of issue #16's `git commit` target; 0
entries skips it): hledger on their sessions, a full build with PDFs (once),
the edit rebuild with PDFs, the append rebuild with PDFs (unless
BENCH_APPEND_PDF=1 took it on the big books), the build with PDFs after a `git
commit` (the books made a git repository, site/ and .hourbook-cache/ ignored,
an empty commit before each run), the first build with PDFs of each of the
next days (`--as-of` one day later a run: every statement shows the as-of
date), and WeasyPrint's own time for one statement page, to compare the cost
per PDF.

Peak memory is the largest resident set of the command's process tree
(`wait4` rusage; the largest single process when it forks workers). The load
average is recorded before and after each size and the PDF section. Results
go to BENCHMARKS.md with the machine they were taken on, a table of issue
#16's targets (met, NOT met, or not measured and why) and each row against its
target: ratio and seconds targets are judged at 100 000 entries (the `git
commit` build on 5 000 entries / 20 clients), memory for the clean build at
100 000 and for `price --json` at 1 000 000; at other sizes a figure is shown
and not judged. A target is met or not on *this* machine: see the machine
table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GIB = 1024 ** 3
DEFAULT_SIZES = "10000,100000"

MIB = 1024 ** 2
TARGET_SIZE = 100_000               # the books issue #16's targets are set at (500 clients)
PDF_TARGET_BOOKS = (5000, 20)       # entries, clients: the books of the `git commit` target
# Issue #16's targets, in the issue's order, keyed by the report row they judge. kind: "ratio" (the
# row's median over `hledger -f sessions.timeclock bal` on the same books, timed in the same run),
# "seconds" (the row's median) or "memory" (the row's peak RSS at `size` entries). Ratio and seconds
# rows are judged at TARGET_SIZE (build_pdf_commit: on PDF_TARGET_BOOKS); at other sizes the figure
# is shown without met / NOT met. The site size and CPU per PDF are SITE_TARGET and PDF_CPU_TARGET.
TARGETS = {
    "build_pdf_commit": {"kind": "seconds", "limit": 1.0, "row": "build_pdf_commit",
                         "path": "`hourbook build` with PDFs after `git commit`, 5 000 entries / 20 clients"},
    "rebuild_append": {"kind": "ratio", "limit": 0.25, "row": "rebuild_append",
                       "path": "`hourbook build --no-pdf`, new process, after appending one entry to one logbook"},
    "rebuild_append_pdf": {"kind": "ratio", "limit": 0.4, "row": "rebuild_append_pdf",
                           "path": "the same with PDFs on (only the changed statements' PDFs made)"},
    "build_html": {"kind": "ratio", "limit": 3.0, "row": "build_html",
                   "path": "`hourbook build --no-pdf`, clean (no cache, no site)"},
    "price_cold": {"kind": "ratio", "limit": 0.75, "row": "price_cold", "path": "`hourbook price --json`, cold"},
    "watch_edit": {"kind": "seconds", "limit": 0.3, "row": "watch_edit",
                   "path": "watch: edit to the client's pages on disk"},
    "build_html_rss": {"kind": "memory", "limit": 512 * MIB, "row": "build_html", "size": 100_000,
                       "path": "peak memory, clean build (`build --no-pdf`) at 100 000 entries"},
    "price_cold_rss": {"kind": "memory", "limit": 1 * GIB, "row": "price_cold", "size": 1_000_000,
                       "path": "peak memory, `price --json` (cold) at 1 000 000 entries"},
}
MEMORY_TARGET = 1 * GIB             # rows without a memory target of their own: noted when over this
SITE_TARGET = 250 * 1000 * 1000     # bytes stored at TARGET_SIZE (issue 16)
PDF_CPU_TARGET = 0.12               # CPU seconds per statement PDF (issue 16)
PDF_SAMPLE = 24                     # statement pages the CPU per PDF is taken on


# --------------------------------------------------------------- running things


def hourbook_command() -> list[str]:
    script = Path(sys.executable).parent / "hourbook"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hourbook"]


def run_once(argv: list[str], *, cwd: Path | None = None, stdout_path: Path | None = None,
             env: dict | None = None) -> dict:
    """Run a whole command; return seconds, exit code, peak RSS (bytes), stderr tail."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    err_path = Path(tempfile.mkstemp(prefix="bench-err-")[1])
    try:
        with open(err_path, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        tail = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
    finally:
        if stdout_path:
            out.close()
        err_path.unlink(missing_ok=True)
    return {"seconds": seconds, "code": proc.returncode, "rss": usage.ru_maxrss * 1024, "stderr": tail,
            "cpu": usage.ru_utime + usage.ru_stime}  # with the processes it waited for (its workers)


def timed(argv: list[str], runs: int, *, before=None, after=None, **kwargs) -> dict:
    """Median of `runs` runs; `before()` runs untimed before each one, `after()` untimed after each
    that succeeded (what it returns is kept, a list of one a run, as "after")."""
    results, checks = [], []
    for _ in range(runs):
        if before:
            before()
        results.append(run_once(argv, **kwargs))
        if results[-1]["code"] not in (0,):
            break
        if after:
            checks.append(after())
    seconds = [r["seconds"] for r in results]
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "runs": len(results),
            "rss": max(r["rss"] for r in results), "code": results[-1]["code"], "stderr": results[-1]["stderr"],
            "cpu": statistics.median(r["cpu"] for r in results), **({"after": checks} if after else {})}


def time_hledger(books: Path, runs: int) -> dict:
    """`hledger -f sessions.timeclock bal` on the books' sessions, as `timed` times a command."""
    return timed(["hledger", "-f", str(books / "sessions.timeclock"), "bal"], runs,
                 stdout_path=books.parent / f"{books.name}.hledger.txt")


def clean(books: Path, *, site: bool = True, cache: bool = True) -> None:
    if site:
        shutil.rmtree(books / "site", ignore_errors=True)
    if cache:
        shutil.rmtree(books / ".hourbook-cache", ignore_errors=True)


# --------------------------------------------------------------- books


def ensure_books(work: Path, entries: int, clients: int, seed: int = 1, small_files: bool = False,
                 profiles: str = "", long_descriptions: bool = False) -> Path:
    books = work / (f"books-{entries}-{clients}-{seed}{'-small' if small_files else ''}"
                    + (f"-{profiles.replace(',', '-')}" if profiles else "") + ("-long" if long_descriptions else ""))
    manifest = books / "bench.json"
    if manifest.is_file():
        if not (books / ".git").is_dir():        # books of a run before they were kept in git
            commit_books(books)
        return books
    shutil.rmtree(books, ignore_errors=True)
    print(f"bench: generating {entries} entries for {clients} clients into {books}", file=sys.stderr)
    result = subprocess.run([sys.executable, str(HERE / "generate.py"), "--entries", str(entries), "--clients",
                             str(clients), "--seed", str(seed), "--out", str(books),
                             *(["--small-files"] if small_files else []),
                             *(["--profiles", profiles] if profiles else []),
                             *(["--long-descriptions"] if long_descriptions else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        raise RuntimeError(f"bench/generate.py could not make {entries} entries for {clients} clients: {last}")
    problem = commit_books(books)
    if problem:
        print(f"bench: {books.name} left outside git ({problem})", file=sys.stderr)
    return books


def git_command(books: Path) -> list[str]:
    return ["git", "-C", str(books), "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


def commit_books(books: Path) -> str | None:
    """The books made a git repository, as users keep them (site/ and .hourbook-cache/ ignored),
    and everything in them committed; or, when they already are one, what differs committed.
    The owner's pages show the commit, and an edit turns the books dirty: the rows meet that
    cost as users do. None, or why it could not be done."""
    git = git_command(books)
    commit = [*git, "commit", "--no-gpg-sign", "-q"]
    try:
        if not (books / ".git").is_dir():
            (books / ".gitignore").write_text("site/\n.hourbook-cache/\n", encoding="utf-8")
            subprocess.run([*git, "init", "-q"], check=True, capture_output=True)
            subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
            subprocess.run([*commit, "-m", "bench books"], check=True, capture_output=True)
        else:
            subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
            subprocess.run([*commit, "--allow-empty", "-m", "bench books"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        message = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip().splitlines()[-1:]
        return message[0] if message else f"git: {exc}"
    return None


class Edit:
    """The one-line edit of bench.json, toggled: every apply() is a real change."""

    def __init__(self, books: Path):
        spec = json.loads((books / "bench.json").read_text(encoding="utf-8"))["edit"]
        self.path = books / spec["path"]
        self.line = spec["line"]
        self.texts = (spec["before"], spec["after"])
        self.state = 0

    def apply(self) -> None:
        self.state ^= 1
        self._write(self.texts[self.state])

    def restore(self) -> None:
        if self.state:
            self.state = 0
            self._write(self.texts[0])

    def _write(self, text: str) -> None:
        lines = self.path.read_text(encoding="utf-8").split("\n")
        lines[self.line - 1] = text
        # Written in place, as most editors do on save.
        self.path.write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------- the measures


def bench_size(books: Path, size: int, runs: int, as_of: str, watch: bool, build: bool = True,
               append_pdf: bool = False) -> dict:
    hb = hourbook_command()
    results = {}
    out = books.parent / f"{books.name}.price.json"

    def cmd(*args):
        return [*hb, *args, str(books), "--as-of", as_of]

    print(f"bench: {books.name}", file=sys.stderr)
    load_before = os.getloadavg()[0]
    clean(books)
    only_site = os.environ.get("BENCH_ROWS") == "site"
    if not only_site:
        results["check_cold"] = timed(cmd("check"), runs, before=lambda: clean(books))
        results["check"] = timed(cmd("check"), runs)
        results["price_cold"] = timed(cmd("price", "--json"), runs, before=lambda: clean(books), stdout_path=out)
        results["price"] = timed(cmd("price", "--json"), runs, stdout_path=out)
    if shutil.which("hledger") and not only_site:
        results["hledger"] = time_hledger(books, runs)
    if not build:
        out.unlink(missing_ok=True)
        results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
        return results
    # A clean build renders every page: minutes at 100 000 entries, so fewer runs there.
    results["build_html"] = timed(cmd("build", "--no-pdf"), runs if size < 50_000 else 1, before=lambda: clean(books))
    if results["build_html"]["code"] == 0:
        results["site_size"] = site_size(books / "site")
        results["pdf_cpu"] = weasyprint_cost(statement_pages(books, sorted((books / "site" / "public").rglob("*.pdf"))
                                                             or site_statements(books / "site"), count=PDF_SAMPLE))
    if results["build_html"]["code"] == 0 and not only_site:
        results["rebuild_nochange"] = timed(cmd("build", "--no-pdf"), runs)
        edit = Edit(books)
        results["rebuild_edit"] = timed(cmd("build", "--no-pdf"), runs, before=edit.apply)
        edit.restore()
        results["rebuild_append"] = timed_append(books, cmd("build", "--no-pdf"), runs)
        if watch:
            results["watch_edit"], results["watch_edit_all"] = watch_latency(books, as_of, runs, edit)
        if append_pdf:
            # BENCH_APPEND_PDF=1: every statement's PDF made once over the --no-pdf site (over an hour at
            # 100 000 entries), then the append rebuild with PDFs on these books.
            results["build_pdf_full"] = timed(cmd("build"), 1)
            if results["build_pdf_full"]["code"] == 0:
                results["rebuild_append_pdf"] = timed_append(books, cmd("build"), runs)
    out.unlink(missing_ok=True)
    results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return results


def bench_small_files(books: Path, runs: int, as_of: str, watch: bool) -> dict:
    """The same work in many small files (`generate.py --small-files`): hledger on its sessions,
    cold `price --json`, the clean build (once), the new-process build after appending one entry,
    and watch's edit."""
    hb = hourbook_command()

    def cmd(*args):
        return [*hb, *args, str(books), "--as-of", as_of]

    print(f"bench: {books.name}", file=sys.stderr)
    results = {}
    load_before = os.getloadavg()[0]
    if shutil.which("hledger"):
        results["hledger"] = time_hledger(books, runs)
    results["price_cold"] = timed(cmd("price", "--json"), runs, before=lambda: clean(books),
                                  stdout_path=books.parent / f"{books.name}.price.json")
    results["build_html"] = timed(cmd("build", "--no-pdf"), 1, before=lambda: clean(books))
    if results["build_html"]["code"] == 0:
        results["rebuild_append"] = timed_append(books, cmd("build", "--no-pdf"), runs)
        if watch:
            results["watch_edit"], results["watch_edit_all"] = watch_latency(books, as_of, runs, Edit(books))
    results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return results


def bench_mix(books: Path, runs: int, as_of: str) -> dict:
    """Books of other contract kinds (`generate.py --profiles`): hledger on their sessions and cold
    `price --json`, whose pricing and JSON depend on the contracts."""
    out = books.parent / f"{books.name}.price.json"
    print(f"bench: {books.name}", file=sys.stderr)
    load_before = os.getloadavg()[0]
    results = {}
    if shutil.which("hledger"):
        results["hledger"] = time_hledger(books, runs)
    results["price_cold"] = timed([*hourbook_command(), "price", "--json", str(books), "--as-of", as_of], runs,
                                  before=lambda: clean(books), stdout_path=out)
    results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return results


class Append:
    """One new entry appended to the logbook bench.json names, a new one each run (each a real
    change); `restore` puts the file back as it was generated."""

    def __init__(self, books: Path):
        self.books = books
        self.path = books / json.loads((books / "bench.json").read_text(encoding="utf-8"))["edit"]["path"]
        self.original = self.path.read_bytes()
        self.count = 0

    def apply(self) -> None:
        self.count += 1
        with open(self.path, "a", encoding="utf-8") as logbook:   # under the file's last day and client
            logbook.write(f"\n- {self.count * 5}m appended entry {self.count} #support\n")

    def restore(self) -> None:
        self.path.write_bytes(self.original)

    def client(self) -> str:
        """The client the appended entry is under: the file's last `## client` heading, or its
        front matter's `client:`."""
        text = self.original.decode("utf-8")
        headings = re.findall(r"(?m)^## (\S+)\s*$", text)
        if headings:
            return headings[-1]
        front = re.search(r"(?m)^client:\s*(\S+)\s*$", text)
        return front.group(1) if front else ""

    def shown(self) -> bool:
        """Whether the last appended entry is on one of its client's rebuilt pages (site/owner/<client>/)."""
        text = f"appended entry {self.count}<"
        folder = self.books / "site" / "owner" / self.client()
        return any(text in page.read_text(encoding="utf-8") for page in sorted(folder.glob("*.html")))


def timed_append(books: Path, argv: list[str], runs: int) -> dict:
    """A new process `argv` (`build --no-pdf`, or `build` with PDFs) after appending one entry, the
    site and cache there already; after each run, whether the entry is on its client's rebuilt pages."""
    append = Append(books)
    try:
        return timed(argv, runs, before=append.apply, after=append.shown)
    finally:
        append.restore()


def bench_append_only(books: Path, runs: int, as_of: str) -> dict:
    """hledger, `price --json` cold and the append rebuild, in one run (no clean-build timings: one
    untimed clean build makes the site and the cache first): `--append-only`, and the books of long
    descriptions."""
    hb = hourbook_command()

    def cmd(*args):
        return [*hb, *args, str(books), "--as-of", as_of]

    load_before = os.getloadavg()[0]
    results = {}
    if shutil.which("hledger"):
        results["hledger"] = time_hledger(books, runs)
    out = books.parent / f"{books.name}.price.json"
    results["price_cold"] = timed(cmd("price", "--json"), runs, before=lambda: clean(books), stdout_path=out)
    out.unlink(missing_ok=True)
    clean(books)
    run_once(cmd("build", "--no-pdf"))
    results["rebuild_append"] = timed_append(books, cmd("build", "--no-pdf"), runs)
    results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return results


def watch_latency(books: Path, as_of: str, runs: int, edit: Edit) -> tuple[dict, dict]:
    """Seconds from saving the edit to the edited client's pages, and to the whole site (with the
    owner dashboard), being rewritten by the watcher (medians of runs)."""
    status = books / ".hourbook-cache" / "watch.json"
    status.unlink(missing_ok=True)
    log = books.parent / f"{books.name}.watch.log"
    with open(log, "wb") as handle:
        proc = subprocess.Popen([*hourbook_command(), "watch", str(books), "--as-of", as_of, "--no-pdf"],
                                stdout=handle, stderr=subprocess.STDOUT)
    seconds, whole, rss = [], [], 0
    try:
        last = wait_status(status, 0, timeout=600)
        if last is None:
            failed = {"median": float("nan"), "min": float("nan"), "max": float("nan"), "runs": 0, "rss": 0,
                      "code": proc.poll() or 1, "stderr": log.read_text(errors="replace").splitlines()[-3:]}
            return failed, failed
        for _ in range(runs):
            time.sleep(0.5)
            start = time.time()
            edit.apply()
            done = wait_status(status, last["builds"], timeout=120)
            if done is None:
                break
            last = done
            seconds.append(max(0.0, done.get("pages_finished", done["finished"]) - start))
            whole.append(max(0.0, done["finished"] - start))
        rss = read_rss(proc.pid)
    finally:
        edit.restore()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if not seconds:
        failed = {"median": float("nan"), "min": float("nan"), "max": float("nan"), "runs": 0, "rss": rss, "code": 1,
                  "stderr": log.read_text(errors="replace").splitlines()[-3:]}
        return failed, failed

    def summary(values):
        return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values),
                "rss": rss, "code": 0, "stderr": []}

    return summary(seconds), summary(whole)


def wait_status(status: Path, after: int, timeout: float) -> dict | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            data = json.loads(status.read_text(encoding="utf-8"))
            if data.get("builds", 0) > after and data.get("ok"):
                return data
        except (OSError, ValueError):
            pass
        time.sleep(0.002)
    return None


def read_rss(pid: int) -> int:
    """Peak RSS (VmHWM) of a running process, bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def bench_pdf(books: Path, as_of: str, runs: int, append_pdf: bool = True) -> dict:
    """A full build with PDFs (once), hledger on the same sessions, the edit rebuild with PDFs, the
    append rebuild with PDFs (unless BENCH_APPEND_PDF=1 takes it on the big books), the build after
    a `git commit`, and WeasyPrint's own cost per page."""
    hb = hourbook_command()
    cmd = [*hb, "build", str(books), "--as-of", as_of]
    print(f"bench: PDFs, {books.name}", file=sys.stderr)
    load_before = os.getloadavg()[0]
    results = {}
    if shutil.which("hledger"):
        results["hledger"] = time_hledger(books, runs)
    results["build_nopdf"] = timed([*cmd, "--no-pdf"], 1, before=lambda: clean(books))
    results["build_pdf"] = timed(cmd, 1, before=lambda: clean(books))
    if results["build_pdf"]["code"] != 0:
        results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
        return results
    pdfs = sorted((books / "site").rglob("*.pdf"))
    results["pdf_count"] = len(pdfs)
    results["rebuild_nochange_pdf"] = timed(cmd, runs)
    edit = Edit(books)
    results["rebuild_edit_pdf"] = timed(cmd, runs, before=edit.apply)
    edit.restore()
    if append_pdf:
        results["rebuild_append_pdf"] = timed_append(books, cmd, runs)
    results["build_pdf_commit"] = timed_commit(books, cmd, runs)
    results["rebuild_next_day_pdf"] = timed_next_day(cmd, as_of, runs)
    pages = statement_pages(books, pdfs)
    if pages:
        results["weasyprint_page"] = weasyprint_cost(pages)
    results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return results


def timed_commit(books: Path, argv: list[str], runs: int) -> dict:
    """The books made a git repository (site/ and .hourbook-cache/ ignored) and committed, a build
    with PDFs made untimed, then per run an empty commit (`git commit --allow-empty`) before the
    timed new process `argv`: the build after `git commit` (a hook's, say)."""
    commit = [*git_command(books), "commit", "--no-gpg-sign", "-q"]
    problem = commit_books(books)
    if problem:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "runs": 0, "rss": 0,
                "code": 1, "stderr": [problem], "cpu": float("nan")}
    run_once(argv)   # the whole site with PDFs as of this commit

    def empty_commit() -> None:
        subprocess.run([*commit, "--allow-empty", "-m", "x"], check=True, capture_output=True)

    return timed(argv, runs, before=empty_commit)


def timed_next_day(argv: list[str], as_of: str, runs: int) -> dict:
    """The new process `argv` (ending `--as-of as_of`, its site there) as of the next day, then the
    day after, one run a day: the first build of each day, whose as-of date every statement shows."""
    day = datetime.date.fromisoformat(as_of)
    results = [timed([*argv[:-1], (day + datetime.timedelta(days=n)).isoformat()], 1) for n in range(1, runs + 1)]
    seconds = [result["median"] for result in results]
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "runs": len(results),
            "rss": max(result["rss"] for result in results), "code": max(result["code"] for result in results),
            "stderr": results[-1]["stderr"], "cpu": statistics.median(result["cpu"] for result in results)}


def statement_pages(books: Path, pdfs: list[Path], count: int = 40) -> list[Path]:
    """Up to `count` statement pages that have a PDF beside them (or, given pages, those), a fixed
    sample (every n-th)."""
    pages = [pdf.with_suffix(".html") for pdf in sorted(pdfs) if pdf.with_suffix(".html").is_file()]
    step = max(1, len(pages) // count)
    return pages[::step][:count]


def site_statements(site: Path) -> list[Path]:
    """The public statement pages of a site built without PDFs, as the PDFs they would have (for
    `statement_pages`, which samples them by their pages)."""
    return [page.with_suffix(".pdf") for page in sorted((site / "public").rglob("*.html")) if page.name != "index.html"]


def site_size(site: Path) -> dict:
    """What a site holds: its files, their bytes as listed, the bytes stored (a hard-linked file
    once, as `du` counts) and the files stored."""
    files = [path for path in site.rglob("*") if path.is_file() and not path.is_symlink()]
    inodes = {}
    for path in files:
        info = path.stat()
        inodes[info.st_ino] = info.st_size
    return {"files": len(files), "listed": sum(path.stat().st_size for path in files),
            "stored": sum(inodes.values()), "inodes": len(inodes)}


def weasyprint_cost(pages: list[Path]) -> dict:
    """WeasyPrint alone, through hourbook's own PDF writer, in one warm process: the mean time
    per page over a sample of the site's statement pages (each page made once, after a warm-up)."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from hourbook.render.pdf import html_to_pdf\n"
        "from hourbook.render.html import TEMPLATES_DIR\n"
        "pages = [Path(p).read_text(encoding='utf-8') for p in sys.argv[1:]]\n"
        "css = Path(sys.argv[1]).with_name('style.css')\n"                  # as the build hands it over
        "css = {'stylesheet': css.read_text(encoding='utf-8')} if css.is_file() else {}\n"
        "html_to_pdf(pages[0], [TEMPLATES_DIR], **css)\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        "for page in pages:\n"
        "    html_to_pdf(page, [TEMPLATES_DIR], **css)\n"
        "print((time.perf_counter() - t) / len(pages), (time.process_time() - c) / len(pages))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *map(str, pages)], capture_output=True, text=True)
    if result.returncode != 0:
        return {"median": float("nan"), "error": result.stderr.strip().splitlines()[-1:]}
    wall, cpu = (float(x) for x in result.stdout.split())
    return {"median": wall, "cpu": cpu, "pages": len(pages)}


# --------------------------------------------------------------- the machine


def machine() -> dict:
    info = {"cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu": "", "ram": "", "python": platform.python_version(), "system": platform.platform(terse=True)}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    for name, argv in (("weasyprint", [sys.executable, "-c", "import weasyprint; print(weasyprint.__version__)"]),
                       ("hledger", ["hledger", "--version"]),
                       ("commit", ["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"])):
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            info[name] = result.stdout.strip().split(",")[0] if result.returncode == 0 else "not available"
        except (OSError, subprocess.SubprocessError):
            info[name] = "not available"
    try:
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "bench"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        if dirty and info.get("commit") not in ("", "not available"):
            info["commit"] += " (with uncommitted changes)"
    except (OSError, subprocess.SubprocessError):
        pass
    return info


# --------------------------------------------------------------- the report

LABELS = [
    ("check_cold", "hourbook check (no cache)"),
    ("check", "hourbook check (warm cache)"),
    ("price_cold", "hourbook price --json (no cache)"),
    ("price", "hourbook price --json (warm cache)"),
    ("hledger", "hledger bal, same sessions (timeclock)"),
    ("build_html", "hourbook build --no-pdf, clean"),
    ("rebuild_nochange", "rebuild, no change"),
    ("rebuild_edit", "rebuild after a one-line edit"),
    ("rebuild_append", "new process `build --no-pdf` after appending one entry"),
    ("watch_edit", "one-line edit: the client's pages rewritten, watch mode"),
    ("watch_edit_all", "one-line edit: whole site with owner dashboard, watch mode"),
    ("build_pdf_full", "hourbook build with PDFs over the --no-pdf site (1 run, BENCH_APPEND_PDF=1)"),
    ("rebuild_append_pdf", "new process `build` with PDFs after appending one entry (BENCH_APPEND_PDF=1)"),
]
PDF_LABELS = [
    ("hledger", "hledger bal, same sessions (timeclock)"),
    ("build_nopdf", "hourbook build --no-pdf, clean (1 run)"),
    ("build_pdf", "hourbook build with PDFs, clean (1 run)"),
    ("rebuild_nochange_pdf", "rebuild with PDFs, no change"),
    ("rebuild_edit_pdf", "rebuild with PDFs after a one-line edit"),
    ("rebuild_append_pdf", ("new process `build` with PDFs after appending one entry (on these PDF books, not "
                            "the 100 000-entry ones: BENCH_APPEND_PDF=1 takes it there)")),
    ("build_pdf_commit", "new process `build` with PDFs after `git commit` (an empty commit before each run)"),
    ("rebuild_next_day_pdf", ("new process `build` with PDFs as of the next day (one day later each run: the first "
                              "build of a day; the first of them in a new month)")),
]


def fmt_seconds(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def fmt_bytes(value: int) -> str:
    return f"{value / 1024 / 1024:.0f} MiB" if value else "—"


def fmt_count(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def fmt_limit(name: str) -> str:
    target = TARGETS[name]
    limit = target["limit"]
    if target["kind"] == "ratio":
        return f"< {limit:g}x hledger"
    if target["kind"] == "seconds":
        return f"< {limit:g} s"
    return f"< {limit / GIB:g} GiB" if limit >= GIB else f"< {limit / MIB:g} MiB"


def ok(result: dict | None) -> bool:
    return bool(result) and result.get("code") == 0 and result.get("median") == result.get("median")


def assess(name: str, result: dict, hledger: dict | None, judged: bool) -> tuple[str, str | None]:
    """A target's figure from its row (`0.18x hledger`, `0.210 s`, `312 MiB`) and, when `judged`,
    "met" or "NOT met" (None: not judged, or nothing to judge by)."""
    target = TARGETS[name]
    if target["kind"] == "ratio":
        if not ok(hledger) or not hledger["median"]:
            return "no hledger time in this run", None
        value = result["median"] / hledger["median"]
        text = f"{value:.2f}x hledger"
    elif target["kind"] == "seconds":
        value = result["median"]
        text = fmt_seconds(value)
    else:
        value = result.get("rss", 0)
        text = fmt_bytes(value)
    if math.isnan(value) or not judged:
        return text, None
    return text, "met" if value < target["limit"] else "NOT met"


def verdict(key: str, size: int | None, result: dict, results: dict, judged: bool | None = None) -> str:
    """The row's figures against issue #16's targets. `size`: the books' entries (None: the PDF
    books); `judged`: whether the row's target is judged on these books (default: at TARGET_SIZE)."""
    if result.get("code") not in (0, None):
        return "failed: " + " / ".join(result.get("stderr") or [f"exit {result.get('code')}"])[:200]
    notes = []
    hledger = results.get("hledger")
    if key in TARGETS and TARGETS[key]["kind"] != "memory":
        at_target = size == TARGET_SIZE if judged is None else judged
        text, status = assess(key, result, hledger, at_target)
        if status:
            notes.append(f"{text}; target {fmt_limit(key)}: {status}")
        elif at_target or text.startswith("no hledger"):
            notes.append(f"{text}; target {fmt_limit(key)}: not judged")
        else:
            where = ("5 000 entries / 20 clients" if key == "build_pdf_commit"
                     else f"{fmt_count(TARGET_SIZE)} entries")
            notes.append(f"{text} (target {fmt_limit(key)} at {where}: not judged on these books)")
    elif key in ("price", "check", "check_cold", "rebuild_nochange", "rebuild_edit") and ok(hledger):
        notes.append(f"{result['median'] / hledger['median']:.2f}x hledger")
    checks = result.get("after")
    if checks is not None and key.startswith("rebuild_append"):
        shown = sum(1 for check in checks if check)
        notes.append(f"the appended entry on its client's rebuilt pages after {shown} of {len(checks)} runs"
                     + ("" if shown == len(checks) else " (NOT after every run)"))
    memory = [name for name, target in TARGETS.items() if target["kind"] == "memory" and target["row"] == key]
    for name in memory:
        if size == TARGETS[name]["size"]:
            text, status = assess(name, result, hledger, True)
            notes.append(f"peak memory {text}; target {fmt_limit(name)}: {status}")
    if not memory and key != "hledger" and result.get("rss", 0) > MEMORY_TARGET:   # hourbook's own rows
        notes.append("memory over 1 GiB")
    return "; ".join(notes)


def summary_rows(sizes: dict, pdf: dict | None, pdf_books: tuple | None, options: dict) -> list[str]:
    """The table of issue #16's targets: one line each, what was measured, met / NOT met / not
    measured (and why)."""
    run_sizes = ", ".join(fmt_count(size) for size in sizes) or "none"

    def missing(name: str, size: int) -> str:
        """Why a size-section row has no figure at `size` entries."""
        target = TARGETS.get(name, {})
        row = target.get("row", name)
        if size not in sizes:
            more = " (BENCH_SIZES=...,1000000)" if size == 1_000_000 else ""
            return f"{fmt_count(size)} entries not run{more}; sizes run: {run_sizes}"
        results = sizes[size]["results"]
        if options.get("append_only") and row not in ("price_cold", "rebuild_append"):
            return "--append-only run"
        if options.get("only_site") and row not in ("build_html",):
            return "BENCH_ROWS=site"
        if "build_html" not in results and row not in ("price_cold",):
            return f"builds not timed above --build-up-to {fmt_count(options.get('build_up_to') or 0)}"
        if row != "build_html" and row != "price_cold" and not ok(results.get("build_html")):
            return "the clean build failed"
        if row == "watch_edit" and not options.get("watch"):
            return "--no-watch"
        if row == "rebuild_append_pdf" and not options.get("append_pdf"):
            return "the full-size PDF build is not part of `make bench` (over an hour at 100 000 entries): " \
                   "BENCH_APPEND_PDF=1 takes it"
        if row == "rebuild_append_pdf" and not ok(results.get("build_pdf_full")):
            return "the full-size build with PDFs failed"
        if target.get("kind") == "ratio" and "hledger" not in results:
            return "hledger not on PATH"
        return "row not run"

    def elsewhere(name: str, skip: int) -> str:
        """The row's figure at the largest other size run, as an indication."""
        for size in sorted(sizes, reverse=True):
            result = sizes[size]["results"].get(TARGETS[name]["row"])
            if size != skip and ok(result):
                text, _ = assess(name, result, sizes[size]["results"].get("hledger"), False)
                return f"{text} at {fmt_count(size)} entries"
        return "—"

    lines = []
    for name, target in TARGETS.items():
        row = target["row"]
        status, measured = None, "—"
        if name == "build_pdf_commit":
            result = (pdf or {}).get(row)
            if pdf is None:
                status = "not measured: " + (options.get("pdf_error")
                                             or "no PDF section (BENCH_PDF_ENTRIES=0 or --append-only)")
            elif not result:
                status = "not measured: the PDF build failed"
            elif result.get("code") != 0:
                status = "NOT met: failed: " + " / ".join(result.get("stderr") or [])[:120]
            else:
                at_target = tuple(pdf_books) == PDF_TARGET_BOOKS
                measured, status = assess(name, result, pdf.get("hledger"), at_target)
                measured += f" at {fmt_count(pdf_books[0])} entries / {pdf_books[1]} clients"
                if status is None:
                    status = "not measured at 5 000 entries / 20 clients: the PDF books were " \
                             f"{fmt_count(pdf_books[0])} / {pdf_books[1]} (BENCH_PDF_ENTRIES / BENCH_PDF_CLIENTS)"
        else:
            size = target.get("size", TARGET_SIZE)
            results = sizes.get(size, {}).get("results", {})
            result = results.get(row)
            if result and result.get("code") != 0:
                status = "NOT met: failed: " + " / ".join(result.get("stderr") or [])[:120]
            elif ok(result):
                measured, status = assess(name, result, results.get("hledger"), True)
                if status is None:
                    status = f"not measured: {measured}"
                    measured = "—"
                else:
                    measured += f" at {fmt_count(size)} entries"
            else:
                status = "not measured: " + missing(name, size)
                measured = elsewhere(name, size)
                if name == "rebuild_append_pdf" and ok((pdf or {}).get(row)) and pdf_books:
                    text, _ = assess(name, pdf[row], pdf.get("hledger"), False)
                    measured = f"{text} on the PDF books ({fmt_count(pdf_books[0])} entries / {pdf_books[1]} clients)"
        lines.append(f"| {target['path']} | {measured} | {fmt_limit(name)} | {status} |")
    # The site's size and the CPU per statement PDF (site_rows): at TARGET_SIZE, and the CPU at any size.
    site = sizes.get(TARGET_SIZE, {}).get("results", {}).get("site_size")
    if site:
        measured = f"{site['stored'] / 1e6:.1f} MB stored at {fmt_count(TARGET_SIZE)} entries"
        status = "met" if site["stored"] < SITE_TARGET else "NOT met"
    else:
        status = "not measured: " + missing("build_html", TARGET_SIZE)
        other = [(size, data["results"]["site_size"]) for size, data in sizes.items()
                 if data["results"].get("site_size")]
        measured = f"{other[-1][1]['stored'] / 1e6:.1f} MB at {fmt_count(other[-1][0])} entries" if other else "—"
    lines.append(f"| site size at {fmt_count(TARGET_SIZE)} entries | {measured} | "
                 f"< {SITE_TARGET / 1e6:.0f} MB | {status} |")
    cpu = []
    for size, data in sizes.items():
        pdf_cpu = data["results"].get("pdf_cpu") or {}
        if pdf_cpu.get("cpu", float("nan")) == pdf_cpu.get("cpu"):   # there, and not NaN
            cpu.append((size, pdf_cpu))
    cpu.sort(key=lambda item: (item[0] == TARGET_SIZE, item[0]))
    if cpu:
        size, pdf_cpu = cpu[-1]
        measured = f"{pdf_cpu['cpu']:.3f} s (mean of {pdf_cpu['pages']} statements at {fmt_count(size)} entries)"
        status = "met" if pdf_cpu["cpu"] < PDF_CPU_TARGET else "NOT met"
    else:
        measured, status = "—", "not measured: no clean build timed (or its PDF sample failed)"
    lines.append(f"| CPU per statement PDF | {measured} | < {PDF_CPU_TARGET:g} s | {status} |")
    intro = (f"Each target of issue #16 against this run: ratio targets over `hledger -f sessions.timeclock bal` "
             f"on the same books in the same run, judged at {fmt_count(TARGET_SIZE)} entries (500 clients by "
             "default); the `git commit` build on 5 000 entries / 20 clients. A figure measured only at another "
             "size is shown for information and not judged.")
    return ["## Issue #16 targets", "", intro, "",
            "| path | measured | target | verdict |", "| --- | --- | --- | --- |", *lines, ""]


def site_rows(size: int, results: dict) -> list[str]:
    """The site a clean --no-pdf build wrote, and the CPU time of a statement's PDF on its pages."""
    rows = []
    site, pdf = results.get("site_size"), results.get("pdf_cpu")
    if site:
        target = f" (target at {TARGET_SIZE:,} entries: under {SITE_TARGET / 1e6:.0f} MB".replace(",", " ") + (
            f": {'met' if site['stored'] < SITE_TARGET else 'NOT met'})" if size == TARGET_SIZE else ")")
        rows.append(f"Site of the clean build: {site['files']} files, {site['stored'] / 1e6:.1f} MB stored in "
                    f"{site['inodes']} files (identical files are hard links), {site['listed'] / 1e6:.1f} MB as "
                    f"listed{target}.")
    if pdf and pdf.get("median") == pdf.get("median"):
        rows.append(f"CPU per statement PDF: {pdf['cpu']:.3f} s ({pdf['median']:.3f} s wall), mean of "
                    f"{pdf['pages']} statements of this site through hourbook's PDF writer in one warm process "
                    f"(target under {PDF_CPU_TARGET} s: {'met' if pdf['cpu'] < PDF_CPU_TARGET else 'NOT met'}).")
    return rows + [""] if rows else []


# The sections of books of another shape: (key in `report`'s options, title, what the books are),
# the title and the text made from the books' manifest (`bench.json`).
SHAPE_SECTIONS = (
    ("small_files",
     lambda m: f"{m['entries']:,} entries in many small files".replace(",", " "),
     lambda m: f"The same work written as `bench/generate.py --small-files` writes it: {m['logbook_files']} "
               f"logbook files ({m['markdown_files']} Markdown, one a day and client; {m['yaml_files']} "
               f"YAML), {m['logbook_bytes'] / 1e6:.1f} MB. The same targets, on books of another shape "
               "(BENCH_SMALL_FILES=0 leaves this out)."),
    ("mix",
     lambda m: "Other contract mixes",
     lambda m: f"{m['entries']:,} entries for {m['clients']} clients whose contracts are all of the kinds "
               f"{' and '.join(m['profiles'])} (`bench/generate.py --profiles {','.join(m['profiles'])}`): "
               "their pricing and their JSON (85 MB) cost more than the usual mix's. BENCH_MIX names the kinds "
               "(BENCH_MIX= leaves this out)."),
    ("long",
     lambda m: "Long descriptions",
     lambda m: f"The same work as the usual {fmt_count(m['entries'])} entries, with every entry's description 30 to "
               "60 words longer, in its client's language (`bench/generate.py --long-descriptions`): "
               f"{m['logbook_bytes'] / 1e6:.1f} MB of logbooks. hledger's sessions carry the same descriptions. "
               "One untimed clean build makes the site before the append rows (BENCH_LONG=0 leaves this out)."),
)


def shape_section(title: str, text: str, entries: int, results: dict, info: dict) -> list[str]:
    """A section of BENCHMARKS.md for books of another shape: what they are, the load, the rows measured."""
    out = [f"## {title}", "", text, ""]
    load = results.get("load")
    if load:
        out += [f"Load average (1 min) before and after these runs: {load['before']:.2f}, {load['after']:.2f} "
                f"on {info['cores']} cores.", ""]
    out += ["| command | median | min | max | runs | peak memory | against target |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for key, label in LABELS:
        result = results.get(key)
        if result is None:
            continue
        out.append(f"| {label} | {fmt_seconds(result['median'])} | {fmt_seconds(result['min'])} | "
                   f"{fmt_seconds(result['max'])} | {result['runs']} | {fmt_bytes(result.get('rss', 0))} | "
                   f"{verdict(key, entries, result, results)} |")
    return out + [""]


def report(info: dict, sizes: dict, pdf: dict | None, pdf_books: tuple | None, runs: int, when: str,
           options: dict | None = None) -> str:
    options = options or {}
    books_text = f"{fmt_count(pdf_books[0])} entries for {pdf_books[1]} clients" if pdf_books else ""
    out = ["# hourbook benchmarks", "",
           "Made by `make bench` (bench/run.py; books from bench/generate.py, seed 1, 500 clients over every "
           "contract kind, five years). Whole commands, from process start to exit; the median of "
           f"{runs} runs unless a row says otherwise; peak memory is the largest resident set of the "
           "command's processes. Re-run it on your machine: the targets of issue #16 are for a 2-core machine.",
           "", "## Machine", "",
           "| | |", "| --- | --- |",
           f"| taken | {when} |",
           f"| cores (nproc) | {info['cores']} |",
           f"| CPU | {info['cpu'] or 'unknown'} |",
           f"| RAM | {info['ram'] or 'unknown'} |",
           f"| Python | {info['python']} |",
           f"| system | {info['system']} |",
           f"| WeasyPrint | {info.get('weasyprint', '')} |",
           f"| hledger | {info.get('hledger', '')} |",
           f"| hourbook commit | {info.get('commit', '')} |", ""]
    out += summary_rows(sizes, pdf, pdf_books, options)
    for size, data in sizes.items():
        manifest = data["manifest"]
        out += [f"## {size:,} entries".replace(",", " "), "",
                f"{manifest['clients']} clients, {manifest['logbook_files']} logbook files "
                f"({manifest['markdown_files']} Markdown, {manifest['yaml_files']} YAML, "
                f"{manifest['logbook_bytes'] / 1e6:.1f} MB), contracts {manifest['contract_bytes'] / 1e3:.0f} kB, "
                f"{manifest['timeclock_sessions']} timeclock sessions.", ""]
        load = data["results"].get("load")
        if load:
            out += [f"Load average (1 min) before and after these runs: {load['before']:.2f}, {load['after']:.2f} "
                    f"on {info['cores']} cores; above the core count, other processes competed for the CPU and "
                    "the times are pessimistic.", ""]
        out += ["| command | median | min | max | runs | peak memory | against target |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for key, label in LABELS:
            result = data["results"].get(key)
            if result is None:
                continue
            out.append(f"| {label} | {fmt_seconds(result['median'])} | {fmt_seconds(result['min'])} | "
                       f"{fmt_seconds(result['max'])} | {result['runs']} | {fmt_bytes(result.get('rss', 0))} | "
                       f"{verdict(key, size, result, data['results'])} |")
        out.append("")
        out += site_rows(size, data["results"])
    for key, title, text in SHAPE_SECTIONS:
        shape = options.get(key)
        if shape:
            out += shape_section(title(shape["manifest"]), text(shape["manifest"]), shape["manifest"]["entries"],
                                 shape["results"], info)
    if len(sizes) > 1:
        out += ["## Scaling", "", "| entries | " + " | ".join(label for key, label in LABELS[:6]) + " |",
                "| --- |" + " --- |" * 6]
        for size, data in sizes.items():
            cells = []
            for key, _ in LABELS[:6]:
                result = data["results"].get(key)
                cells.append("—" if result is None or result.get("code") else
                             f"{fmt_seconds(result['median'])}, {fmt_bytes(result.get('rss', 0))}")
            out.append(f"| {size:,} | ".replace(",", " ") + " | ".join(cells) + " |")
        out.append("")
    if pdf is not None:
        out += ["## PDFs", "", f"On smaller books ({books_text}): a clean build renders every statement's PDF "
                "(there are some 26 000 statements at 100 000 entries: about 70 minutes of WeasyPrint on "
                "2 cores, so the full-size PDF build is not part of `make bench`; set BENCH_PDF_ENTRIES=100000 "
                "to take it, or BENCH_APPEND_PDF=1 for the append rebuild with PDFs on the big books). "
                "Ratios are over hledger on these books' sessions, timed in the same run.", ""]
        load = pdf.get("load")
        if load:
            out += [(f"Load average (1 min) before and after these runs: {load['before']:.2f}, "
                     f"{load['after']:.2f} on {info['cores']} cores."), ""]
        out += ["| command | median | runs | peak memory | note |", "| --- | --- | --- | --- | --- |"]
        at_target = bool(pdf_books) and tuple(pdf_books) == PDF_TARGET_BOOKS
        for key, label in PDF_LABELS:
            result = pdf.get(key)
            if result is None or (key == "rebuild_append_pdf" and options.get("append_pdf")):
                continue
            note = verdict(key, None, result, pdf, judged=at_target if key == "build_pdf_commit" else False)
            out.append(f"| {label} | {fmt_seconds(result['median'])} | {result['runs']} | "
                       f"{fmt_bytes(result.get('rss', 0))} | {note} |")
        page = pdf.get("weasyprint_page")
        count = pdf.get("pdf_count")
        if count and pdf.get("build_pdf", {}).get("code") == 0 and pdf.get("build_nopdf", {}).get("code") == 0:
            wall = (pdf["build_pdf"]["median"] - pdf["build_nopdf"]["median"]) / count
            cpu = (pdf["build_pdf"]["cpu"] - pdf["build_nopdf"]["cpu"]) / count
            note = (f"{count} PDFs. What the PDFs add to a clean build, per PDF: {wall:.3f} s of wall time on "
                    f"{info['cores']} cores, {cpu:.3f} s of CPU time (all processes)")
            if page and page.get("median") == page.get("median"):
                note += (f"; WeasyPrint alone (hourbook's PDF writer, one warm process, {page['pages']} of these "
                         f"statements) takes {page['median']:.3f} s ({page['cpu']:.3f} s of CPU) a page: cost per PDF "
                         f"{'no higher than' if cpu <= page['cpu'] * 1.1 else 'HIGHER than'} WeasyPrint's own "
                         "(CPU time, 10 % tolerance)")
            out += ["", note + ". After a one-line edit only the changed statement's PDF is made again; the "
                    "others are kept by the digest of their HTML."]
        out.append("")
    elif options.get("pdf_error"):
        out += ["## PDFs", "", f"Not taken: {options['pdf_error']}.", ""]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="hourbook benchmark")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", DEFAULT_SIZES),
                        help="entries, comma-separated (default: $BENCH_SIZES or 10000,100000)")
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 500)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 3)))
    parser.add_argument("--pdf-entries", type=int, default=int(os.environ.get("BENCH_PDF_ENTRIES", 5000)))
    parser.add_argument("--pdf-clients", type=int, default=int(os.environ.get("BENCH_PDF_CLIENTS", 20)))
    parser.add_argument("--work", type=Path,
                        default=Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "hourbook-bench")))
    parser.add_argument("--no-watch", action="store_true", help="skip the watch-mode latency")
    parser.add_argument("--build-up-to", type=int, default=int(os.environ.get("BENCH_BUILD_UP_TO", 0)) or None,
                        help="time builds only for books of at most this many entries (default: all)")
    parser.add_argument("--append-only", action="store_true",
                        help="only hledger, cold `price --json` and the build after appending one entry")
    parser.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    append_pdf = os.environ.get("BENCH_APPEND_PDF") == "1"
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    info = machine()
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    by_size = {}
    for size in sizes:
        books = ensure_books(args.work, size, args.clients)
        manifest = json.loads((books / "bench.json").read_text(encoding="utf-8"))
        runs = args.runs if size <= 200_000 else max(1, min(args.runs, 3))
        if args.append_only:
            by_size[size] = {"manifest": manifest, "results": bench_append_only(books, runs, manifest["as_of"])}
            continue
        by_size[size] = {"manifest": manifest,
                         "results": bench_size(books, size, runs, manifest["as_of"], watch=not args.no_watch,
                                              build=args.build_up_to is None or size <= args.build_up_to,
                                              append_pdf=append_pdf)}
    small = None
    if (TARGET_SIZE in sizes and not args.append_only and os.environ.get("BENCH_SMALL_FILES", "1") != "0"
            and (args.build_up_to is None or TARGET_SIZE <= args.build_up_to)):
        books = ensure_books(args.work, TARGET_SIZE, args.clients, small_files=True)
        manifest = json.loads((books / "bench.json").read_text(encoding="utf-8"))
        small = {"manifest": manifest,
                 "results": bench_small_files(books, args.runs, manifest["as_of"], watch=not args.no_watch)}
    mix = None
    profiles = os.environ.get("BENCH_MIX", "prepaid,incidents")
    if TARGET_SIZE in sizes and not args.append_only and profiles:
        books = ensure_books(args.work, TARGET_SIZE, args.clients, profiles=profiles)
        manifest = json.loads((books / "bench.json").read_text(encoding="utf-8"))
        mix = {"manifest": manifest, "results": bench_mix(books, args.runs, manifest["as_of"])}
    long = None
    if TARGET_SIZE in sizes and not args.append_only and os.environ.get("BENCH_LONG", "1") != "0":
        books = ensure_books(args.work, TARGET_SIZE, args.clients, long_descriptions=True)
        manifest = json.loads((books / "bench.json").read_text(encoding="utf-8"))
        print(f"bench: {books.name}", file=sys.stderr)
        long = {"manifest": manifest, "results": bench_append_only(books, args.runs, manifest["as_of"])}
    pdf = None
    pdf_books = None
    pdf_error = ""
    if args.pdf_entries and not args.append_only:
        try:
            books = ensure_books(args.work, args.pdf_entries, args.pdf_clients)
        except RuntimeError as exc:   # the generator's edit line is missing for some small sizes
            pdf_error = str(exc)
            print(f"bench: {pdf_error}; no PDF section", file=sys.stderr)
        else:
            manifest = json.loads((books / "bench.json").read_text(encoding="utf-8"))
            pdf_books = (args.pdf_entries, args.pdf_clients)
            pdf = bench_pdf(books, manifest["as_of"], min(args.runs, 3), append_pdf=not append_pdf)
    options = {"watch": not args.no_watch, "append_only": args.append_only, "build_up_to": args.build_up_to,
               "append_pdf": append_pdf, "only_site": os.environ.get("BENCH_ROWS") == "site",
               "pdf_error": pdf_error, "small_files": small, "mix": mix, "long": long}
    text = report(info, by_size, pdf, pdf_books, args.runs, when, options)
    args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        raw = {"machine": info, "sizes": by_size, "pdf": pdf, "small_files": small, "mix": mix, "long": long}
        args.json.write_text(json.dumps(raw, indent=2, default=str))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
