"""What the two logbook formats read alike: the defaults a file gives its entries, time ranges,
durations and tags (each word read once and remembered), the `#approved` tag, and the warning
for a range over midnight that is probably written the wrong way round.

The same few hundred words recur on every line of a logbook; reading each once is what makes
a million entries load in seconds. What a word reads as never depends on where it stands, so
remembering it changes no entry and no diagnostic.
"""

from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass
from typing import Callable

from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.load.problems import Problems
from hourbook.load.scalars import format_clock
from hourbook.load.scalars import parse_duration
from hourbook.load.scalars import parse_range
from hourbook.load.scalars import parse_tag
from hourbook.load.scalars import shown

APPROVED = "approved"      # the tag that marks an entry approved (`#approved`, or tags: [approved])
MAX_OVERNIGHT = 16 * 60    # minutes: a range over midnight longer than this is probably the wrong way round


@dataclass(frozen=True)
class FileDefaults:
    """What a logbook file says for all its entries: a Markdown file's front matter, a YAML file's top."""

    client: str = ""
    worker: str = ""
    date: datetime.date | None = None


# What words of logbook lines read as, remembered: the same few hundred recur on every line.
_RANGES: dict[str, tuple[int, int]] = {}
_DURATIONS: dict[str, int] = {}
_TAGS: dict[str, str] = {}
_REMEMBERED = 100_000       # per kind of word, then it starts again (memory stays bounded)


def remember(memo: dict, text: str, read: Callable):
    """`read(text)`, kept in `memo` when it reads (a ValueError goes to the caller every time)."""
    value = read(text)
    if len(memo) >= _REMEMBERED:
        memo.clear()
    memo[text] = sys.intern(value) if type(value) is str else value
    return value


def read_range(word: str) -> tuple[int, int]:
    """`parse_range(word)`, remembered: (start, end) minutes of the day."""
    return _RANGES.get(word) or remember(_RANGES, word, parse_range)


def read_duration(word: str) -> int:
    """`parse_duration(word)`, remembered: minutes."""
    minutes = _DURATIONS.get(word)
    return remember(_DURATIONS, word, parse_duration) if minutes is None else minutes


def read_tag(word: str) -> str:
    """`parse_tag(word)`, remembered: the tag in lowercase, without its '#'."""
    return _TAGS.get(word) or remember(_TAGS, word, parse_tag)


def warn_overnight(written: str, start: int, end: int, source: Source, diags: Problems) -> None:
    """A range that crosses midnight and lasts more than MAX_OVERNIGHT: a warning, the time still counts."""
    hours, minutes = divmod(end - start, 60)
    diags.append(Diagnostic(source, f"the range {shown(written.strip())} crosses midnight and lasts "
                            f"{hours}h{minutes:02d}m; if that is so, split it at midnight to say so, else write "
                            f"{format_clock(end)}-{format_clock(start)}", WARNING))
