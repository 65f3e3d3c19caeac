"""A cold `price --json` reads each books file once, and keys its cache by the bytes it read.

With no price report in `.hourbook-cache/`, nothing could be reused: the key of the cache is
worked out after the run from what the loader read (`files.recorded_reads`), not by reading
every file a second time (thousands of small logbooks cost two opens each).
"""

from __future__ import annotations

import datetime
import io
import os
import time
from collections import Counter

import pytest

from hourbook.build import file_index
from hourbook.build import price_run
from hourbook.load import files
from hourbook.output.json import json_text
from hourbook.output.json import priced_json
from hourbook.pipeline import load_and_price

AS_OF = datetime.date(2026, 12, 31)
BOOKS = {
    "hourbook.yaml": "seller: {name: Ana IT}\ncurrency: EUR\nlocale: en\n",
    "contracts/acme.yaml": "name: ACME S.L.\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60}\n",
    "logbook/2026/11.md": "# 2026-11-03\n\n## acme\n- 1h printer\n- 30m mailbox\n",
    "logbook/2026/12.md": "# 2026-12-01\n\n## acme\n- 2h backup\n",
}


def priced_text(root) -> str:
    priced, diagnostics = load_and_price(root, AS_OF)
    return json_text(priced_json(priced, diagnostics)) + "\n"


def run(root, jobs: int = 1) -> str:
    out = io.StringIO()
    price_run.price_run(root, AS_OF, out=out, jobs=jobs)
    return out.getvalue()


@pytest.fixture
def opened(monkeypatch):
    """Each file the loader (`os.open`) and the file index (`open`) open, counted by name."""
    counts: Counter = Counter()

    def counting(name, *args, _open=open, **kwargs):
        counts[str(name)] += 1
        return _open(name, *args, **kwargs)

    def counting_descriptor(name, *args, _open=os.open, **kwargs):
        counts[str(name)] += 1
        return _open(name, *args, **kwargs)

    monkeypatch.setattr(file_index, "open", counting, raising=False)
    monkeypatch.setattr(files.os, "open", counting_descriptor)
    return counts


def test_a_cold_price_reads_each_file_once_and_a_warm_one_none(books, opened, monkeypatch):
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)      # the files were written just now
    root = books(BOOKS)
    time.sleep(0.01)
    reference = priced_text(root)
    opened.clear()
    assert run(root) == reference
    logbooks = [str(root / "logbook/2026/11.md"), str(root / "logbook/2026/12.md")]
    assert [opened[name] for name in logbooks] == [1, 1]
    assert opened[str(root / "contracts/acme.yaml")] == 1
    opened.clear()
    assert run(root) == reference        # from the cache: no logbook opened
    assert [opened[name] for name in logbooks] == [0, 0]


def test_a_file_changed_while_it_was_priced_is_priced_again_by_the_next_run(books, monkeypatch):
    """The key names the bytes that were priced: a logbook changed after it was read, before the
    key was worked out, does not leave its old figures in the cache under its new bytes."""
    root = books(BOOKS)
    before = priced_text(root)
    real = price_run.stream_priced_books

    def then_edit(*args, **kwargs):
        result = real(*args, **kwargs)
        path = root / "logbook/2026/12.md"
        path.write_text(path.read_text().replace("2h backup", "5h backup"))
        return result

    monkeypatch.setattr(price_run, "stream_priced_books", then_edit)
    first = run(root)
    monkeypatch.setattr(price_run, "stream_priced_books", real)
    assert first == before
    again = run(root)
    assert again == priced_text(root) != before


def test_logbooks_read_by_other_processes_are_not_read_again(books, monkeypatch, opened):
    """Forked processes tell what they read with the entries they send back."""
    from hourbook.build import workers
    from hourbook.load import warm

    monkeypatch.setattr(workers, "PARALLEL_LOAD_BYTES", 0)
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)
    # Not counted here: whether the logbooks are in memory, which opens up to 32 of them once more
    # and reads none (load/warm.py, tests/test_warm.py).
    monkeypatch.setattr(warm, "on_disk", lambda paths: False)
    root = books({**BOOKS, **{f"logbook/2025/{month:02}.md": f"# 2025-{month:02}-03\n\n## acme\n- 1h printer\n"
                              for month in range(1, 13)}})
    time.sleep(0.01)
    reference = priced_text(root)
    opened.clear()
    assert run(root, jobs=2) == reference
    here = [name for name in opened if "/logbook/" in name]
    assert all(opened[name] == 1 for name in here)       # read here once, or by the other process
    opened.clear()
    assert run(root, jobs=2) == reference
    assert not [name for name in opened if "/logbook/" in name]


def test_contracts_parsed_by_another_process_are_the_same_and_not_read_again(books, monkeypatch, opened):
    """ForkedContracts: the other process's contracts and diagnostics are what this one would make."""
    from hourbook.build import workers

    monkeypatch.setattr(workers, "PARALLEL_CONTRACTS", 0)
    monkeypatch.setattr(workers, "CONTRACT_CHUNK", 3)
    monkeypatch.setattr(file_index, "RACY_SECONDS", 0)
    contracts = {f"contracts/client-{n:02}.yaml": f"name: Client {n}\nterms:\n  - {{from: 2026-01-01, kind: hourly, rate: {50 + n}}}\n"
                 for n in range(20)}
    contracts["contracts/client-07.yaml"] = "name: Client 7\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: sixty}\n"
    contracts["contracts/client-18.yaml"] = "name: [not, a, name]\n"
    logbook = "# 2026-11-03\n\n" + "".join(f"## client-{n:02}\n- 1h printer\n\n" for n in range(20))
    root = books({**BOOKS, **contracts, "contracts/Bad Name.yaml": "name: x\n", "logbook/2026/10.md": logbook})
    time.sleep(0.01)
    reference = priced_text(root)
    assert "rate" in reference and "Bad Name" in reference          # the broken ones are reported
    parsed_here = []
    real = workers.ForkedContracts.__call__

    def counting(self, root, path, rel, load, settings):
        result = real(self, root, path, rel, load, settings)
        parsed_here.append((str(path), self.mine.get(self.place.get(os.fspath(path), 0) // workers.CONTRACT_CHUNK)))
        return result
    monkeypatch.setattr(workers.ForkedContracts, "__call__", counting)
    real_start = workers.ForkedContracts.__init__

    def start_and_let_it_claim(self, *args):        # this process is quicker at 21 small contracts
        real_start(self, *args)
        deadline = time.monotonic() + 30
        while not self.claims.taken[len(self.claims.taken) - 1] and time.monotonic() < deadline:
            time.sleep(0.001)
    monkeypatch.setattr(workers.ForkedContracts, "__init__", start_and_let_it_claim)
    opened.clear()
    assert run(root, jobs=2) == reference
    there = [name for name, here in parsed_here if here is False]
    assert there                                                    # some came from the other process
    here = [name for name in opened if "/contracts/" in name]
    assert all(opened[name] == 1 for name in here) and not set(there) & set(here)   # read here once, or there
    opened.clear()
    assert run(root, jobs=2) == reference                          # from the cache: none read
    assert not [name for name in opened if "/contracts/" in name]


def test_contracts_are_parsed_here_when_the_other_process_fails(books, monkeypatch):
    from hourbook.build import workers

    monkeypatch.setattr(workers, "PARALLEL_CONTRACTS", 0)
    monkeypatch.setattr(workers, "CONTRACT_CHUNK", 1)
    root = books({**BOOKS, "contracts/globex.yaml": "name: Globex\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 70}\n"})
    reference = priced_text(root)
    real_start = workers.ForkedContracts.__init__

    def failing(self, paths, claims, pool):
        with claims.taken.get_lock():           # the other process holds every chunk, then dies
            for chunk in range(len(claims.taken)):
                claims.taken[chunk] = 1
        pool.submit(os._exit, 3)
        real_start(self, paths, claims, pool)
    monkeypatch.setattr(workers.ForkedContracts, "__init__", failing)
    monkeypatch.setattr(workers, "_load_contracts_forked", lambda: os._exit(3))
    assert run(root, jobs=2) == reference
