"""Watch's whole result of the logbooks, spliced from the last one (`build/splice.py`): after any
run of edits it is what reading every file gives, entries and diagnostics, in order."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.build.caches import LogbookCache
from hourbook.load.books import load_logbook

FILES = [f"logbook/2026/{day:02d}.md" for day in range(1, 7)]
LINES = st.sampled_from(["- 10m call #support", "- 1h server update", "- 25m @ana printer #onsite",
                         "- 3x nonsense", "## initech", "## acme", "", "- 2h30m migration #project"])
TEXTS = st.lists(LINES, max_size=5).map(lambda lines: "\n".join(["# 2026-11-03", "", "## acme", *lines, ""]))
EDITS = st.lists(st.tuples(st.sampled_from(FILES), TEXTS), min_size=1, max_size=3)


def plain(root: Path, files) -> tuple[list, list]:
    entries, diags = [], []
    for path, rel in files:
        more, problems = load_logbook(root, path, rel)
        entries += more
        diags += problems
    return entries, diags


@settings(max_examples=60, deadline=None)
@given(first=st.lists(TEXTS, min_size=len(FILES), max_size=len(FILES)), rounds=st.lists(EDITS, min_size=1, max_size=6))
def test_the_spliced_logbooks_are_what_reading_every_file_gives(first, rounds):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "logbook" / "2026").mkdir(parents=True)
        for rel, text in zip(FILES, first):
            (root / rel).write_text(text)
        files = [(root / rel, rel) for rel in FILES]
        cache = LogbookCache()
        cache.keep_whole = True
        assert cache.load_all(root, files, load_logbook) == plain(root, files)
        for edits in rounds:
            for rel, text in edits:
                path = root / rel
                path.write_text(text)
                os.utime(path, ns=(1, len(text) * 1_000 + os.stat(path).st_mtime_ns % 1_000))   # a new stat
            cache.changed = {str(root / rel) for rel, _ in edits}
            spliced = cache.load_all(root, files, load_logbook)
            assert spliced == plain(root, files)
            assert spliced[0] is not cache.spliced.entries     # the caller's own list


def test_new_files_or_no_word_of_what_changed_read_the_files_again(tmp_path):
    (tmp_path / "logbook").mkdir()
    first, second = tmp_path / "logbook/a.md", tmp_path / "logbook/b.md"
    first.write_text("# 2026-11-03\n\n## acme\n- 10m call #support\n")
    cache = LogbookCache()
    cache.keep_whole = True
    cache.load_all(tmp_path, [(first, "logbook/a.md")], load_logbook)
    second.write_text("# 2026-11-04\n\n## acme\n- 20m call #support\n")
    files = [(first, "logbook/a.md"), (second, "logbook/b.md")]
    cache.changed = {str(second)}
    assert cache.load_all(tmp_path, files, load_logbook) == plain(tmp_path, files)   # another set of files
    first.write_text("# 2026-11-03\n\n## acme\n- 15m call #support\n")
    cache.changed = None                                    # not told: every file looked at
    assert cache.load_all(tmp_path, files, load_logbook) == plain(tmp_path, files)
    cache.keep_whole = False                                # a one-off build: nothing kept
    assert cache.load_all(tmp_path, files, load_logbook) is None and cache.spliced is None
