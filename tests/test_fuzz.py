"""The fuzzer, briefly, for CI: a few hundred broken books through check, price and build.

The full run is `make fuzz` (100,000 inputs, a few hours on two cores); this one runs
200 by default (`HOURBOOK_FUZZ_COUNT`, `HOURBOOK_FUZZ_SEED` to change) in well under a
minute. Every input must end in diagnostics or success: no traceback, no hang, no
memory blow-up, no file written outside site/. See tests/fuzz/run_fuzz.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from conftest import run_cli  # noqa: E402
from fuzz import run_fuzz  # noqa: E402
from fuzz.strategies import AS_OF  # noqa: E402
from fuzz.strategies import valid_books  # noqa: E402
from fuzz.strategies import write_tree  # noqa: E402

COUNT = int(os.environ.get("HOURBOOK_FUZZ_COUNT", "200"))
SEED = int(os.environ.get("HOURBOOK_FUZZ_SEED", "1"))
# Failures already reported and not yet fixed, by the start of their signature, each with the
# reason; each should have a strict xfail test that starts to pass once it is fixed (then remove
# both). Empty: every failure fails this test.
KNOWN: dict[str, str] = {}


@pytest.mark.slow  # fuzz: 200 broken books through check, price and build
def test_short_fuzz_run(tmp_path):
    summary = run_fuzz.run(COUNT, seed=SEED, workers=2, timeout=60, memory_mb=3072, pdf_every=0,
                           save=tmp_path / "failures")
    assert summary.inputs == COUNT
    unknown = {sig: n for sig, n in summary.signatures.items() if not sig.startswith(tuple(KNOWN))}
    assert not unknown, (f"{sum(unknown.values())} failures in {COUNT} inputs:\n{run_fuzz.report(summary)}\n"
                         f"inputs saved under {tmp_path / 'failures'}")
    # The run reached every stage: books that pass, books that fail, and full builds.
    for outcome in ("check exit 0", "check exit 1", "price exit 0", "build exit 0", "build exit 1"):
        assert summary.outcomes[outcome] > 0, summary.outcomes


@pytest.mark.slow  # fuzz: the generator's books, through check
def test_valid_books_are_valid(tmp_path):
    """The generator's books are well-formed: what check says about them is about their consistency.

    If they were not, the fuzzer would mostly test the YAML parser and never reach pricing
    and rendering.
    """
    from hypothesis import HealthCheck
    from hypothesis import Phase
    from hypothesis import given
    from hypothesis import settings

    consistency = ("unknown client", "overlaps", "after the as-of date", "entry before any term", "no term in force",
                   "no rate to bill it at", "two terms start on", "unknown worker", "unknown quote id",
                   "quote approved by", "term ends", "expires (", "two requesters", "only applies to retainer",
                   "duplicate prepaid block id", "needs either 'hours' or 'incidents'",
                   "has more decimals than",
                   "no exchange rate for")     # clients in other currencies than the owner's, without rates
    clean = [0, 0]

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              derandomize=True, phases=[Phase.generate])
    @given(valid_books())
    def check(trees):
        clean[1] += 1
        root = tmp_path / f"books-{clean[1]}"
        for rel, tree in trees.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(write_tree(tree))
        code, _, err = run_cli("check", str(root), "--as-of", AS_OF)
        clean[0] += code == 0
        for line in err.splitlines()[:-1]:
            assert any(kind in line for kind in consistency), line

    check()
    # Derandomized, Hypothesis still draws a few different books depending on what ran before in the
    # process (7 to 14 of 40 check clean here; 7 once a test file was added before this one): at
    # least one in eight is the bar. Every error of the others is one of consistency (above).
    assert clean[0] >= clean[1] // 8, f"only {clean[0]} of {clean[1]} valid books check clean"


def test_file_name_that_is_not_utf8(tmp_path):
    root = tmp_path / "books"
    (root / "contracts").mkdir(parents=True)
    (root / "logbook").mkdir()
    (root / "hourbook.yaml").write_text("seller: {name: Ana}\n", encoding="utf-8")
    (root / "contracts" / "acme.yaml").write_text(
        "name: ACME\nterms:\n  - {from: 2026-01-01, kind: hourly, rate: 60}\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(root / "logbook"), b"caf\xe9.md"), "wb") as handle:
        handle.write(b"# 2026-11-03\n## acme\n- 1h printer\n")
    code, out, err = run_cli("price", str(root), "--json", "--as-of", AS_OF)
    assert code == 0, err
    out.encode("utf-8")  # what a UTF-8 stdout has to carry
    assert '"source": "logbook/caf\\\\xe9.md:3"' in out
