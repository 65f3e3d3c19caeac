"""The benchmark: whole `hourbook` commands on synthetic books, medians of several runs.

    make bench                                  # 10k and 100k entries
    BENCH_SIZES=10000,100000,1000000 make bench # the scaling curve, 1M included
    python bench/run.py --sizes 100000 --runs 5 --out BENCHMARKS.md

For each size it generates the books once (bench/generate.py, seed 1, 500
clients) into BENCH_DIR (default: $TMPDIR/hourbook-bench), then times, as
separate processes, from start to exit:

- `hourbook check` and `hourbook price --json` (stdout to a file), cold (no
  `.hourbook-cache/`) and warm;
- `hledger -f sessions.timeclock bal` on the same sessions, when `hledger` is
  on PATH;
- `hourbook build --no-pdf` from clean (no site, no cache), a no-change
  rebuild, a rebuild after a one-line edit (the line named in
  `bench.json`, toggled each run so every run is a real change), and a
  rebuild after appending one entry to that logbook (a new one each run;
  `--append-only` times just that row, cold `price --json` and hledger);
- in `hourbook watch --no-pdf`, the time from saving the one-line edit to the
  site being rewritten (read from `.hourbook-cache/watch.json`, which the
  watcher writes after each build);
- after the clean build, the site's size (files, bytes stored: a hard-linked
  file once) and the CPU time of a statement's PDF, on a sample of the site's
  statements in one warm process (BENCH_ROWS=site: only the clean build and
  these two rows);
- a full build with PDFs, once, on smaller books (BENCH_PDF_ENTRIES, default
  1000 entries for 40 clients; 0 skips it), the edit rebuild with PDFs, and
  WeasyPrint's own time for one statement page, to compare the cost per PDF.

Peak memory is the largest resident set of the command's process tree
(`wait4` rusage; the largest single process when it forks workers). Results go
to BENCHMARKS.md with the machine they were taken on, each figure against its
target (a target is met or not on *this* machine: see the machine table).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
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

TARGETS = {  # (command key, size) -> seconds; memory is checked separately
    "price": 2.0,
    "build_html": 6.0,
    "watch_edit": 0.3,
    "rebuild_nochange": 0.5,
}
TARGET_SIZE = 100_000
MEMORY_TARGET = 1 * GIB
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


def timed(argv: list[str], runs: int, *, before=None, **kwargs) -> dict:
    """Median of `runs` runs; `before()` runs untimed before each one."""
    results = []
    for _ in range(runs):
        if before:
            before()
        results.append(run_once(argv, **kwargs))
        if results[-1]["code"] not in (0,):
            break
    seconds = [r["seconds"] for r in results]
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "runs": len(results),
            "rss": max(r["rss"] for r in results), "code": results[-1]["code"], "stderr": results[-1]["stderr"],
            "cpu": statistics.median(r["cpu"] for r in results)}


def clean(books: Path, *, site: bool = True, cache: bool = True) -> None:
    if site:
        shutil.rmtree(books / "site", ignore_errors=True)
    if cache:
        shutil.rmtree(books / ".hourbook-cache", ignore_errors=True)


# --------------------------------------------------------------- books


def ensure_books(work: Path, entries: int, clients: int, seed: int = 1) -> Path:
    books = work / f"books-{entries}-{clients}-{seed}"
    manifest = books / "bench.json"
    if manifest.is_file():
        return books
    shutil.rmtree(books, ignore_errors=True)
    print(f"bench: generating {entries} entries for {clients} clients into {books}", file=sys.stderr)
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--entries", str(entries), "--clients", str(clients),
                    "--seed", str(seed), "--out", str(books)], check=True, stdout=subprocess.DEVNULL)
    return books


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


def bench_size(books: Path, size: int, runs: int, as_of: str, watch: bool, build: bool = True) -> dict:
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
        results["hledger"] = timed(["hledger", "-f", str(books / "sessions.timeclock"), "bal"], runs,
                                   stdout_path=books.parent / f"{books.name}.hledger.txt")
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
    out.unlink(missing_ok=True)
    results["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return results


class Append:
    """One new entry appended to the logbook bench.json names, a new one each run (each a real
    change); `restore` puts the file back as it was generated."""

    def __init__(self, books: Path):
        self.path = books / json.loads((books / "bench.json").read_text(encoding="utf-8"))["edit"]["path"]
        self.original = self.path.read_bytes()
        self.count = 0

    def apply(self) -> None:
        self.count += 1
        with open(self.path, "a", encoding="utf-8") as logbook:   # under the file's last day and client
            logbook.write(f"\n- {self.count * 5}m appended entry {self.count} #support\n")

    def restore(self) -> None:
        self.path.write_bytes(self.original)


def timed_append(books: Path, argv: list[str], runs: int) -> dict:
    """A new process `build --no-pdf` after appending one entry, the site and cache there already."""
    append = Append(books)
    try:
        return timed(argv, runs, before=append.apply)
    finally:
        append.restore()


def bench_append_only(books: Path, runs: int, as_of: str) -> dict:
    """`--append-only`: hledger, `price --json` cold and the append rebuild, in one run (no clean-build
    timings: one untimed clean build makes the site and the cache first)."""
    hb = hourbook_command()

    def cmd(*args):
        return [*hb, *args, str(books), "--as-of", as_of]

    load_before = os.getloadavg()[0]
    results = {}
    if shutil.which("hledger"):
        results["hledger"] = timed(["hledger", "-f", str(books / "sessions.timeclock"), "bal"], runs,
                                   stdout_path=books.parent / f"{books.name}.hledger.txt")
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


def bench_pdf(books: Path, as_of: str, runs: int) -> dict:
    """A full build with PDFs (once), the edit rebuild with PDFs, and WeasyPrint's own cost per page."""
    hb = hourbook_command()
    cmd = [*hb, "build", str(books), "--as-of", as_of]
    print(f"bench: PDFs, {books.name}", file=sys.stderr)
    results = {"build_nopdf": timed([*cmd, "--no-pdf"], 1, before=lambda: clean(books)),
               "build_pdf": timed(cmd, 1, before=lambda: clean(books))}
    if results["build_pdf"]["code"] != 0:
        return results
    pdfs = sorted((books / "site").rglob("*.pdf"))
    results["pdf_count"] = len(pdfs)
    results["rebuild_nochange_pdf"] = timed(cmd, runs)
    edit = Edit(books)
    results["rebuild_edit_pdf"] = timed(cmd, runs, before=edit.apply)
    edit.restore()
    pages = statement_pages(books, pdfs)
    if pages:
        results["weasyprint_page"] = weasyprint_cost(pages)
    return results


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
]
PDF_LABELS = [
    ("build_nopdf", "hourbook build --no-pdf, clean (1 run)"),
    ("build_pdf", "hourbook build with PDFs, clean (1 run)"),
    ("rebuild_nochange_pdf", "rebuild with PDFs, no change"),
    ("rebuild_edit_pdf", "rebuild with PDFs after a one-line edit"),
]


def fmt_seconds(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def fmt_bytes(value: int) -> str:
    return f"{value / 1024 / 1024:.0f} MiB" if value else "—"


def verdict(key: str, size: int, result: dict, results: dict) -> str:
    if result.get("code") not in (0, None):
        return "failed: " + " / ".join(result.get("stderr") or [f"exit {result.get('code')}"])[:200]
    notes = []
    if size == TARGET_SIZE and key in TARGETS:
        target = TARGETS[key]
        notes.append(f"target < {target:g} s: {'met' if result['median'] < target else 'NOT met'}")
    if key in ("price", "price_cold") and "hledger" in results and results["hledger"].get("code") == 0:
        faster = result["median"] < results["hledger"]["median"]
        notes.append(f"{'faster' if faster else 'SLOWER'} than hledger bal "
                     f"({results['hledger']['median'] / result['median']:.1f}×)")
    if key in ("rebuild_append", "build_html") and results.get("hledger", {}).get("code") == 0:
        notes.append(f"{result['median'] / results['hledger']['median']:.2f}× hledger bal")
    if result.get("rss", 0) > MEMORY_TARGET:
        notes.append("memory over 1 GiB")
    return "; ".join(notes)


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


def report(info: dict, sizes: dict, pdf: dict | None, pdf_books: str, runs: int, when: str) -> str:
    out = ["# hourbook benchmarks", "",
           "Made by `make bench` (bench/run.py; books from bench/generate.py, seed 1, 500 clients over every "
           "contract kind, five years). Whole commands, from process start to exit; the median of "
           f"{runs} runs unless a row says otherwise; peak memory is the largest resident set of the "
           "command's processes. Re-run it on your machine: the targets of issue #6 are for a 2-core machine.",
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
        out += ["## PDFs", "", f"On smaller books ({pdf_books}): a clean build renders every statement's PDF "
                "(there are some 26 000 statements at 100 000 entries: about 70 minutes of WeasyPrint on "
                "2 cores, so the full-size PDF build is not part of `make bench`; set BENCH_PDF_ENTRIES=100000 "
                "to take it).", "",
                "| command | median | runs | peak memory | note |", "| --- | --- | --- | --- | --- |"]
        for key, label in PDF_LABELS:
            result = pdf.get(key)
            if result is None:
                continue
            note = "" if result.get("code") == 0 else "failed: " + " / ".join(result.get("stderr") or [])[:200]
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
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="hourbook benchmark")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", DEFAULT_SIZES),
                        help="entries, comma-separated (default: $BENCH_SIZES or 10000,100000)")
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 500)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)))
    parser.add_argument("--pdf-entries", type=int, default=int(os.environ.get("BENCH_PDF_ENTRIES", 1000)))
    parser.add_argument("--pdf-clients", type=int, default=int(os.environ.get("BENCH_PDF_CLIENTS", 40)))
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
                                              build=args.build_up_to is None or size <= args.build_up_to)}
    pdf = None
    pdf_books = ""
    if args.pdf_entries and not args.append_only:
        books = ensure_books(args.work, args.pdf_entries, args.pdf_clients)
        manifest = json.loads((books / "bench.json").read_text(encoding="utf-8"))
        pdf_books = f"{args.pdf_entries:,} entries for {args.pdf_clients} clients".replace(",", " ")
        pdf = bench_pdf(books, manifest["as_of"], min(args.runs, 3))
    text = report(info, by_size, pdf, pdf_books, args.runs, when)
    args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "sizes": by_size, "pdf": pdf}, indent=2, default=str))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
