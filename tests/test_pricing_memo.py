"""What an entry costs before anything is drawn is kept by its kind, minutes, tags and amount
(`Ledger.figures`, read by `pricing.price_entry`): the priced books are those of pricing every
entry from scratch."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbook.core import pricing
from hourbook.core.late import plan_late
from hourbook.core.ledger import Ledger
from hourbook.load.books import load_books

REPO = Path(__file__).resolve().parent.parent


class _Forgets(dict):
    """A dict that keeps nothing: every entry is priced from scratch."""

    def __setitem__(self, key, value):
        pass


class _LedgerWithoutMemo(Ledger):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures = _Forgets()


def _books(tmp_path: Path, which: str) -> Path:
    if which == "example":
        return REPO
    root = tmp_path / "bench"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--entries", "4000", "--clients", "40",
                    "--seed", "11", "--out", str(root)], check=True, capture_output=True)
    return root


@pytest.mark.parametrize("which", ["example", "bench"])
def test_kept_entry_figures_price_as_fresh_ones(tmp_path, monkeypatch, which):
    books, _ = load_books(_books(tmp_path, which))
    as_of = datetime.date(2026, 12, 31)
    kept = pricing.price_books(books, as_of, late=plan_late(books, []))
    hits = []
    original = pricing.entry_figures
    monkeypatch.setattr(pricing, "entry_figures", lambda *args: hits.append(args) or original(*args))
    pricing.price_books(books, as_of, late=plan_late(books, []))
    kept_calls = len(hits)
    monkeypatch.setattr(pricing, "Ledger", _LedgerWithoutMemo)
    hits.clear()
    fresh = pricing.price_books(books, as_of, late=plan_late(books, []))
    assert fresh == kept
    priced_entries = sum(len(statement.lines) > 0 for client in fresh.clients for statement in client.statements)
    assert priced_entries > 0
    assert len(hits) > kept_calls      # the memo was used: fewer entries priced from scratch


@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["A", "B"]), st.integers(0, 600),
                          st.integers(0, 1)), max_size=30),
       st.integers(-1, 41))
def test_what_a_block_had_used_by_a_day_is_the_sum_of_its_draws_up_to_it(draws, offset):
    """`Ledger.used_on` (a bisection while draws come in date order, a pass when they do not, as late
    approvals make them) gives the sum of the block's draws dated up to the day; `block_used` all of them."""
    ledger = Ledger()
    start = datetime.date(2026, 1, 1)
    for days, block, minutes, incidents in draws:
        ledger.draw(start + datetime.timedelta(days=days), block, minutes, incidents)
    day = start + datetime.timedelta(days=offset)
    for block in ("A", "B", "C"):
        mine = [(start + datetime.timedelta(days=d), m, i) for d, b, m, i in draws if b == block]
        assert ledger.used_on(block, day) == (sum(m for d, m, _ in mine if d <= day),
                                              sum(i for d, _, i in mine if d <= day))
        assert ledger.block_used(block) == (sum(m for _, m, _ in mine), sum(i for _, _, i in mine))
    ordered = [start + datetime.timedelta(days=d) for d, *_ in draws]
    assert ledger.in_order or any(b < a for a, b in zip(ordered, ordered[1:]))
