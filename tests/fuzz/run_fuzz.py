"""Fuzz hourbook: check, price and build on broken books; count tracebacks, hangs and blow-ups.

    python tests/fuzz/run_fuzz.py --count 100000          # `make fuzz`
    python -m tests.fuzz.run_fuzz --count 500 --seed 7
    python tests/fuzz/run_fuzz.py --replay .hypothesis/fuzz-failures/traceback-123-check/books

Hypothesis draws each input (`strategies.fuzz_case`: valid books, then mutated) in
this process; worker processes write it to a fresh folder and run `hourbook check`,
`hourbook price --json` and `hourbook build --no-pdf` through `hourbook.commands.cli.main`,
in-process. Every input must end with diagnostics or success:

- traceback: an exception escaped `cli.main` (MemoryError counts as `memory`);
- hang: the input took longer than --timeout seconds (the worker is killed);
- crash: the worker died (a segfault, or the kernel's OOM killer);
- violation: an exit code other than 0/1, exit 1 with no error reported, output
  that UTF-8 cannot carry, `price --json` that is not JSON, a file of the books
  changed, or a file written outside site/ (and the secret and cache hourbook keeps).

Workers run under an address-space limit (--memory-mb), so a memory blow-up ends
as MemoryError instead of taking the machine down. Failing inputs are written to
--save (default .hypothesis/fuzz-failures/) as books folders with a report, at most three per
distinct failure. The exit code is 1 if anything failed.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import io
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import resource
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, so that `fuzz` is a package whatever the entry point

from fuzz.strategies import AS_OF  # noqa: E402
from fuzz.strategies import Case  # noqa: E402
from fuzz.strategies import fuzz_case  # noqa: E402

FAILURES = ("traceback", "memory", "hang", "crash", "violation")
DIAGNOSTIC = re.compile(r"^(?P<path>.*?):(?P<line>\d+): (?P<severity>error|warning): (?P<message>.*)$")
ALLOWED_NEW = re.compile(r"^(site(/.*)?|\.hourbook-secret|\.hourbook-cache(/.*)?)$")
BATCH = 1000  # examples per Hypothesis run: its bookkeeping grows with the examples of one run


# ------------------------------------------------------------------ one input, in a worker


def write_case(case: Case, root: Path) -> None:
    """Write a case into `root` (created): files, then folders, then symlinks."""
    root.mkdir(parents=True)
    base = os.fsencode(root)
    for rel, data in case.files.items():
        path = os.path.join(base, rel)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
        except OSError:
            pass  # a name the file system refuses (a folder in the way): the case goes on without it
    for rel in case.folders:
        with contextlib.suppress(OSError):
            os.makedirs(os.path.join(base, rel), exist_ok=True)
    for rel, target in case.symlinks:
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(os.path.join(base, rel)), exist_ok=True)
            os.symlink(target, os.path.join(base, rel))


def snapshot(root: Path) -> dict[bytes, tuple]:
    """Every entry under root (links not followed): kind, size, mtime and a hash of its bytes."""
    found = {}
    base = os.fsencode(root)
    for folder, dirs, files in os.walk(base):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, base)
            info = os.lstat(path)
            if os.path.islink(path):
                found[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                found[rel] = ("dir",)
            else:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                found[rel] = ("file", info.st_size, info.st_mtime_ns, digest)
    return found


def commands_for(index: int, pdf_every: int) -> list[list[str]]:
    build = ["build", "--as-of", AS_OF]
    if not pdf_every or index % pdf_every:
        build.append("--no-pdf")
    return [["check", "--as-of", AS_OF], ["price", "--json", "--as-of", AS_OF], build]


def run_command(argv: list[str]) -> dict:
    """`hourbook ARGV` in-process; what happened, judged."""
    from hourbook.commands import cli

    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    except BaseException as exc:  # noqa: BLE001 - SystemExit, MemoryError and RecursionError included
        kind = "memory" if isinstance(exc, MemoryError) else "traceback"
        text = "".join(traceback.format_exception(exc))
        return {"argv": argv, "outcome": kind, "seconds": time.monotonic() - started,
                "signature": signature(exc), "detail": text[-6000:], "stderr": err.getvalue()[-2000:]}
    result = {"argv": argv, "outcome": "ok", "code": code, "seconds": time.monotonic() - started}
    problems = judge(argv[0], code, out.getvalue(), err.getvalue())
    if problems:
        result.update(outcome="violation", signature=f"{argv[0]}: {problems[0]}",
                      detail="\n".join(problems) + "\n--- stderr ---\n" + err.getvalue()[-3000:]
                      + "\n--- stdout ---\n" + out.getvalue()[:2000])
    return result


def signature(exc: BaseException) -> str:
    """Exception type and the innermost frame of hourbook's own code: one line per distinct bug."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/hourbook/" in f.filename.replace(os.sep, "/")] or frames
    place = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} in {ours[-1].name}" if ours else "?"
    return f"{type(exc).__name__} at {place}"


def judge(command: str, code, out: str, err: str) -> list[str]:
    """What is wrong with an answer that did not raise."""
    problems = []
    for name, text in (("stdout", out), ("stderr", err)):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            problems.append(f"{name} cannot be written as UTF-8: {exc}")
    if code not in (0, 1):
        problems.append(f"exit code {code!r}")
    errors = [line for line in err.splitlines() if (m := DIAGNOSTIC.match(line)) and m["severity"] == "error"]
    errors += [line for line in err.splitlines() if line.startswith("hourbook: error:")]
    if command == "price":
        try:
            data = json.loads(out)
        except ValueError as exc:
            problems.append(f"price --json printed no JSON: {exc}")
        else:
            errors += [d for d in data.get("diagnostics", []) if d.get("severity") == "error"]
    if code == 1 and not errors:
        problems.append("exit 1 without an error")
    if code == 0 and errors and command != "price":
        problems.append("exit 0 with an error")
    return problems


def run_case(case: Case, commands: list[list[str]], tmp_root: str) -> dict:
    """Write the case, run the commands on it, check that the books were not touched."""
    folder = Path(tempfile.mkdtemp(prefix="case-", dir=tmp_root))
    root = folder / "books"
    try:
        write_case(case, root)
        before = snapshot(root)
        results = [run_command([argv[0], str(root), *argv[1:]]) for argv in commands]
        after = snapshot(root)
        changed = [rel for rel, state in before.items() if after.get(rel) != state]
        added = [rel for rel in after if rel not in before
                 and not ALLOWED_NEW.match(rel.decode("utf-8", "backslashreplace"))]
        if changed or added:
            shown = [r.decode("utf-8", "backslashreplace") for r in changed[:5] + added[:5]]
            results.append({"argv": ["(books folder)"], "outcome": "violation", "seconds": 0,
                            "signature": "books folder touched: " + ("changed" if changed else "new file"),
                            "detail": "changed: " + ", ".join(shown[:len(changed[:5])])
                            + "\nnew: " + ", ".join(shown[len(changed[:5]):])})
        return {"results": results}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def worker_main(conn, seed: int, memory_mb: int, tmp_root: str, pdf_every: int) -> None:
    """Draw inputs batch by batch and run them; tell the parent when each starts and ends.

    The parent sends (batch number, size); the worker answers ("start", case) and
    ("done", result) per input, then ("batch", made). A worker killed for a hang
    loses the rest of its batch; the parent asks another worker for as many more.
    """
    if memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, resource.RLIM_INFINITY))
    import logging

    logging.disable(logging.WARNING)  # WeasyPrint and fontTools talk on the real stderr
    import hourbook.commands.cli  # noqa: F401 - imported once, before the first deadline runs

    with contextlib.suppress(ImportError):
        import hourbook.render  # noqa: F401
    conn.send(("ready",))
    while True:
        message = conn.recv()
        if message is None:
            return
        batch_number, size = message
        made = [0]

        def feed(case: Case) -> None:
            number = batch_number * BATCH + made[0]
            made[0] += 1
            conn.send(("start", case))
            try:
                result = run_case(case, commands_for(number, pdf_every), tmp_root)
            except BaseException as exc:  # noqa: BLE001 - the harness itself failed: still report it
                result = {"results": [{"argv": ["(harness)"], "outcome": "traceback", "seconds": 0,
                                       "signature": "harness " + signature(exc),
                                       "detail": "".join(traceback.format_exception(exc))[-6000:]}]}
            conn.send(("done", result))

        try:
            generate_batch(seed, batch_number, size, feed)
        except Exception as exc:  # noqa: BLE001 - Hypothesis itself failed: the harness's bug, reported
            conn.send(("harness", "".join(traceback.format_exception(exc))[-4000:]))
        conn.send(("batch", made[0]))


# ------------------------------------------------------------------ the pool, in the parent


@dataclass
class Worker:
    process: multiprocessing.Process
    conn: multiprocessing.connection.Connection
    batch: tuple | None = None          # (batch number, size, made so far)
    case: Case | None = None            # the input it is running
    started: float = 0.0


@dataclass
class Summary:
    inputs: int = 0
    seconds: float = 0.0
    outcomes: collections.Counter = field(default_factory=collections.Counter)   # "check exit 1" -> count
    failures: collections.Counter = field(default_factory=collections.Counter)   # outcome -> count
    signatures: collections.Counter = field(default_factory=collections.Counter)
    mutations: collections.Counter = field(default_factory=collections.Counter)
    mutation_seconds: collections.Counter = field(default_factory=collections.Counter)
    slowest: list = field(default_factory=list)                                  # (seconds, mutations)
    saved: list = field(default_factory=list)
    harness: list = field(default_factory=list)                                  # the fuzzer's own errors

    @property
    def failed(self) -> int:
        return sum(self.failures.values()) + len(self.harness)

    def to_json(self) -> dict:
        return {"inputs": self.inputs, "seconds": round(self.seconds, 1), "failed": self.failed,
                "failures": dict(self.failures), "signatures": dict(self.signatures),
                "outcomes": dict(sorted(self.outcomes.items())), "slowest": self.slowest[:5],
                "saved": self.saved, "harness": self.harness[:3]}


class Pool:
    """Workers that draw and run inputs; this side hands out batches, keeps time and counts."""

    def __init__(self, size: int, seed: int, memory_mb: int, timeout: float, pdf_every: int, tmp_root: str,
                 save: Path | None, summary: Summary):
        self.context = multiprocessing.get_context("fork")
        self.seed, self.memory_mb, self.timeout, self.pdf_every = seed, memory_mb, timeout, pdf_every
        self.tmp_root, self.save, self.summary = tmp_root, save, summary
        self.next_batch = 0
        self.workers = [self.spawn() for _ in range(size)]

    def spawn(self) -> Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            # Not a daemon: the PDF stage may start processes of its own, which daemons cannot.
            target=worker_main, args=(child, self.seed, self.memory_mb, self.tmp_root, self.pdf_every))
        process.start()
        child.close()
        if not parent.poll(120) or parent.recv() != ("ready",):
            raise RuntimeError("a fuzz worker did not start")
        return Worker(process, parent)

    def run(self, count: int, progress=None) -> None:
        """Hand out batches until `count` inputs have been run."""
        promised = 0  # inputs handed out and not lost
        last_report = 0
        while self.summary.inputs < count:
            for worker in self.workers:
                if worker.batch is None and promised < count:
                    size = min(BATCH, count - promised, max(1, -(-count // (4 * len(self.workers)))))
                    worker.batch = (self.next_batch, size, 0)
                    self.next_batch += 1
                    promised += size
                    worker.conn.send(worker.batch[:2])
            promised -= self.collect()
            if progress and self.summary.inputs - last_report >= 1000:
                last_report = self.summary.inputs
                progress(self.summary)

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()

    def collect(self) -> int:
        """Take what the workers said; return how many promised inputs were lost."""
        busy = [w for w in self.workers if w.batch is not None]
        running = [w.started + self.timeout for w in busy if w.case is not None]
        wait = max(0.0, min(running) - time.monotonic()) if running else self.timeout
        ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=wait)
        lost = 0
        for worker in busy:
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    lost += self.replace(worker, "crash", f"worker died (exit code {worker.process.exitcode})")
                    continue
                if message[0] == "start":
                    worker.case, worker.started = message[1], time.monotonic()
                elif message[0] == "done":
                    number, size, made = worker.batch
                    worker.batch = (number, size, made + 1)
                    self.record(worker.case, message[1]["results"], time.monotonic() - worker.started)
                    worker.case = None
                elif message[0] == "harness":
                    self.summary.harness.append(message[1])
                elif message[0] == "batch":
                    number, size, made = worker.batch
                    lost += size - made  # Hypothesis may stop a batch early
                    worker.batch = None
            elif worker.case is not None and time.monotonic() - worker.started > self.timeout:
                lost += self.replace(worker, "hang", f"no answer after {self.timeout:.0f} s")
        return lost

    def replace(self, worker: Worker, outcome: str, detail: str) -> int:
        """Kill a worker, record its input as failed, start another; return the inputs its batch loses."""
        case, seconds = worker.case, time.monotonic() - worker.started
        number, size, made = worker.batch
        worker.process.kill()
        worker.process.join(10)
        worker.conn.close()
        self.workers[self.workers.index(worker)] = self.spawn()
        if case is not None:
            self.record(case, [{"argv": ["(worker)"], "outcome": outcome, "seconds": seconds,
                                "signature": f"{outcome}: {detail.split(' (')[0]}", "detail": detail}], seconds)
            made += 1
        return size - made

    def record(self, case: Case, results: list[dict], seconds: float) -> None:
        summary = self.summary
        summary.inputs += 1
        kinds = sorted({":".join(m.split(":")[:2]) for m in case.mutations}) or ["(valid books)"]
        for kind in kinds:
            summary.mutations[kind] += 1
            summary.mutation_seconds[kind] += seconds
        summary.slowest = sorted([*summary.slowest, (round(seconds, 2), case.mutations)], reverse=True)[:10]
        for result in results:
            command = result["argv"][0]
            if result["outcome"] == "ok":
                summary.outcomes[f"{command} exit {result['code']}"] += 1
                continue
            summary.failures[result["outcome"]] += 1
            summary.signatures[result["signature"]] += 1
            if self.save is not None and summary.signatures[result["signature"]] <= 3:
                summary.saved.append(str(save_failure(self.save, summary.inputs, case, result)))


def save_failure(save: Path, index: int, case: Case, result: dict) -> Path:
    folder = save / f"{result['outcome']}-{index}-{result['argv'][0].strip('()').replace(' ', '-')}"
    shutil.rmtree(folder, ignore_errors=True)
    write_case(case, folder / "books")
    (folder / "report.txt").write_text(
        f"{result['signature']}\ncommand: hourbook {' '.join(result['argv'])} (books: {folder / 'books'})\n"
        f"mutations: {case.mutations}\nseconds: {result['seconds']:.2f}\n\n{result.get('detail', '')}\n",
        encoding="utf-8", errors="backslashreplace")
    return folder


# ------------------------------------------------------------------ driving it


def generate_batch(seed: int, batch_number: int, size: int, feed) -> None:
    """Call `feed(case)` for up to `size` cases drawn by one seeded Hypothesis run."""
    from hypothesis import HealthCheck
    from hypothesis import Phase
    from hypothesis import given
    from hypothesis import settings
    from hypothesis import seed as hypothesis_seed

    @hypothesis_seed(seed * 1_000_003 + batch_number)
    @settings(max_examples=size, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(fuzz_case())
    def batch(case):
        feed(case)

    batch()


def run(count: int, *, seed: int = 1, workers: int = 2, timeout: float = 60.0, memory_mb: int = 3072,
        pdf_every: int = 0, save: Path | None = None, tmp: str | None = None, progress=None) -> Summary:
    """Fuzz `count` inputs; return what happened."""
    summary = Summary()
    tmp_root = tempfile.mkdtemp(prefix="hourbook-fuzz-", dir=tmp or _default_tmp())
    started = time.monotonic()
    pool = Pool(workers, seed, memory_mb, timeout, pdf_every, tmp_root, save, summary)
    try:
        pool.run(count, progress and (lambda s: progress(s, time.monotonic() - started)))
    finally:
        pool.close()
        shutil.rmtree(tmp_root, ignore_errors=True)
    summary.seconds = time.monotonic() - started
    return summary


def _default_tmp() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def report(summary: Summary) -> str:
    lines = [f"hourbook fuzz: {summary.inputs} inputs in {summary.seconds:.0f} s "
             f"({summary.inputs / max(summary.seconds, 1e-9):.1f}/s)"]
    by_command = collections.defaultdict(list)
    for key, number in sorted(summary.outcomes.items()):
        command, _, rest = key.partition(" ")
        by_command[command].append(f"{rest}: {number}")
    for command, parts in by_command.items():
        lines.append(f"  {command:<6} {', '.join(parts)}")
    labels = {"traceback": "tracebacks", "memory": "memory blow-ups", "hang": "hangs", "crash": "crashes",
              "violation": "violations"}
    lines.append("  " + ", ".join(f"{labels[name]}: {summary.failures.get(name, 0)}" for name in FAILURES))
    for sig, number in summary.signatures.most_common():
        lines.append(f"    {number:>6} x {sig}")
    lines.append("  slowest inputs: " + "; ".join(f"{s:.1f} s {m[:3]}" for s, m in summary.slowest[:3]))
    lines.append("  mutations (inputs, mean seconds): " + ", ".join(
        f"{k} {v} {summary.mutation_seconds[k] / v:.2f}" for k, v in summary.mutations.most_common()))
    if summary.harness:
        lines.append(f"  the fuzzer itself failed {len(summary.harness)} times:\n{summary.harness[0]}")
    if summary.saved:
        lines.append(f"  saved: {len(summary.saved)} failing inputs, e.g. {summary.saved[0]}")
    return "\n".join(lines)


def replay(folder: str, pdf: bool) -> int:
    """Run the commands on a saved books folder (on a copy: build writes site/) and print what happened."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "books"
        shutil.copytree(folder, root, symlinks=True)
        for argv in commands_for(1 if not pdf else 0, 1):
            result = run_command([argv[0], str(root), *argv[1:]])
            print(f"hourbook {' '.join(argv)}: {result['outcome']} "
                  f"({result['seconds']:.2f} s{', exit ' + str(result['code']) if 'code' in result else ''})")
            if result["outcome"] != "ok":
                print(result.get("detail", ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="inputs to run (default 1000)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("HOURBOOK_FUZZ_SEED", "1")))
    parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds an input may take (all commands)")
    parser.add_argument("--memory-mb", type=int, default=3072, help="address space of a worker")
    parser.add_argument("--pdf-every", type=int, default=500, help="build with PDF for every Nth input (0: never)")
    parser.add_argument("--save", default=".hypothesis/fuzz-failures",
                        help="where failing inputs go ('' to keep none; .hypothesis/ is ignored by git)")
    parser.add_argument("--summary", help="write the summary as JSON here")
    parser.add_argument("--tmp", help="where cases are written (default /dev/shm when there is one)")
    parser.add_argument("--replay", metavar="BOOKS", help="run the commands on one saved books folder")
    parser.add_argument("--pdf", action="store_true", help="with --replay: build the PDFs too")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay, args.pdf)

    def progress(summary: Summary, seconds: float) -> None:
        print(f"  {summary.inputs} inputs, {seconds:.0f} s, failures {dict(summary.failures) or 0}",
              file=sys.stderr, flush=True)

    summary = run(args.count, seed=args.seed, workers=args.workers, timeout=args.timeout,
                  memory_mb=args.memory_mb, pdf_every=args.pdf_every,
                  save=Path(args.save) if args.save else None, tmp=args.tmp, progress=progress)
    print(report(summary))
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary.to_json(), indent=2, default=str) + "\n")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
