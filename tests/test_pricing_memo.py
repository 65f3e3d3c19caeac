"""What an entry costs before anything is drawn is kept by its kind, minutes, tags and amount
(`Ledger.figures`, read by `pricing.price_entry`): the priced books are those of pricing every
entry from scratch."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

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
