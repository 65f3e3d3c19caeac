"""How far a long `build`, `watch` or `issue` has come, on stderr: the one place progress is shown.

The work reports to a `Progress` what it is doing (`status`), how much there is to do
(`expect`, pages and PDFs) and what is done (`advance`); the parent process counts, as
forked workers hand their results back. What is shown depends on where stderr goes:

- a terminal: a status line at once ("reading and pricing the books"), then a tqdm bar
  over the pages and PDFs with their counts and the time left, cleared before the summary;
- anything else (a log, CI): a plain line every few seconds,
  `building: 120/460 pages, 30/46 PDFs, 12 s left`, and nothing at all when the work is
  done before the first one is due;
- `--quiet`, and any caller that passes none: nothing (`Progress()` is the silent base).

stdout is never touched: what a command prints there (JSON, invoice lines) stays as it is.
The time left weighs pages and PDFs by what each has cost so far (a PDF costs a hundred
pages), and guesses until the first of a kind is done.
"""

from __future__ import annotations

import os
import time
from typing import TextIO

PROGRESS_INTERVAL_ENV = "HOURBOOK_PROGRESS_INTERVAL"   # seconds between plain lines (tests make it 0)
PLAIN_INTERVAL = 5.0            # off a terminal: a line every this many seconds, the first after as long
BAR_STEPS = 1000                # the bar's resolution (it is filled by time, see `fraction_done`)
DEFAULT_COLUMNS, DEFAULT_ROWS = 80, 24    # a terminal's size when it tells none
REDRAW_INTERVAL = 0.1           # on a terminal: redraw the bar at most this often
UNITS = {"pages": "pages", "pdfs": "PDFs"}          # what is counted, and its name in a line
GUESS_SECONDS = {"pages": 0.005, "pdfs": 0.25}          # the cost of one, before the first is done


class Progress:
    """Progress that shows nothing: what a library caller gets, and `--quiet`.

    Subclasses show it (`PlainProgress`, `BarProgress`); the counting is here, so that
    every kind says the same counts and the same time left.
    """

    def __init__(self, verb: str = "building"):
        self.verb = verb
        self.text = ""                                  # what is being done, while nothing is counted
        self.total = {unit: 0 for unit in UNITS}
        self.done = {unit: 0 for unit in UNITS}
        self.started = {unit: 0.0 for unit in UNITS}    # when the work of each unit began

    def status(self, text: str) -> None:
        """Say what is being done now ("reading and pricing the books", "writing the site")."""
        self.text = text
        self.changed(force=True)

    def expect(self, **totals: int) -> None:
        """How many pages and PDFs there are to make in all (`pages=`, `pdfs=`); a unit's clock starts
        when it is first expected, or expected again before any of it is done."""
        now = time.monotonic()
        self.text = ""                                  # what is counted now is what is being done
        for unit, total in totals.items():
            if self.done[unit] == 0:
                self.started[unit] = now
            self.total[unit] = max(total, self.done[unit])
        self.changed(force=True)

    def advance(self, **counts: int) -> None:
        """`counts` more pages or PDFs are done."""
        for unit, count in counts.items():
            self.done[unit] += count
            self.total[unit] = max(self.total[unit], self.done[unit])
        self.changed()

    def close(self) -> None:
        """The work is over: leave the terminal clean for the summary line."""

    def changed(self, force: bool = False) -> None:
        """Show the new state, when this kind of progress shows anything (here: never)."""

    # -- what every kind shows

    def counts(self) -> str:
        """`120/460 pages, 30/46 PDFs` (the units there is work of), or '' before any is expected."""
        return ", ".join(f"{self.done[unit]}/{self.total[unit]} {UNITS[unit]}" for unit in UNITS
                         if self.total[unit])

    def seconds_left(self) -> float | None:
        """The time the expected work still takes, each unit at the pace it has had; None when none is expected."""
        if not any(self.total.values()):
            return None
        now = time.monotonic()
        left = 0.0
        for unit in UNITS:
            remaining = self.total[unit] - self.done[unit]
            if remaining <= 0:
                continue
            done = self.done[unit]
            each = (now - self.started[unit]) / done if done else GUESS_SECONDS[unit]
            left += remaining * each
        return left

    def fraction_done(self) -> float:
        """How much of the expected work is done, by time (a PDF weighs what it costs, not what a page does)."""
        left = self.seconds_left()
        if left is None:
            return 0.0
        begun = [self.started[unit] for unit in UNITS if self.total[unit]]
        spent = time.monotonic() - min(begun)
        return 1.0 if spent + left <= 0 else spent / (spent + left)

    def line(self) -> str:
        """`building: 120/460 pages, 30/46 PDFs, 12 s left`, or `building: reading and pricing the books`."""
        counts = self.counts()
        if not counts:
            return f"{self.verb}: {self.text}" if self.text else self.verb
        left = self.seconds_left()
        words = [counts]
        if left is not None and any(self.done[unit] < self.total[unit] for unit in UNITS):
            words.append(f"{format_seconds(left)} left")
        elif self.text:
            words.append(self.text)
        return f"{self.verb}: {', '.join(words)}"


class PlainProgress(Progress):
    """Off a terminal: `line()` every `interval` seconds, the first after `interval` (quick work prints nothing)."""

    def __init__(self, stream: TextIO, verb: str = "building", interval: float = PLAIN_INTERVAL):
        super().__init__(verb)
        self.stream = stream
        self.interval = interval
        self.last = time.monotonic()           # the first line is due one interval after the start
        self.shown = ""

    def changed(self, force: bool = False) -> None:
        """Print the line when one is due and it says something new."""
        now = time.monotonic()
        if now - self.last < self.interval:
            return
        text = self.line()
        if text == self.shown:
            return
        self.last, self.shown = now, text
        print(text, file=self.stream, flush=True)


class BarProgress(Progress):
    """On a terminal: the status at once, then a bar with counts and time left; cleared when closed."""

    def __init__(self, stream: TextIO, verb: str = "building"):
        super().__init__(verb)
        self.stream = stream
        self.bar = None
        self.drawn = 0.0

    def changed(self, force: bool = False) -> None:
        """Redraw the bar (at most every `REDRAW_INTERVAL`, unless `force`)."""
        now = time.monotonic()
        if not force and now - self.drawn < REDRAW_INTERVAL:
            return
        self.drawn = now
        bar = self._bar()
        total = sum(self.total.values())
        # tqdm draws the bar; the words are this module's (`line`), in the place of tqdm's description.
        if total:
            bar.bar_format = self.verb + ": {percentage:3.0f}%|{bar}| {desc}"
            bar.total, bar.n = BAR_STEPS, round(BAR_STEPS * self.fraction_done())
            bar.set_description_str(self.line().split(": ", 1)[1], refresh=False)
        else:
            bar.bar_format = self.verb + ": {desc}"
            bar.set_description_str(self.text, refresh=False)
        bar.refresh()

    def _bar(self):
        if self.bar is None:
            from tqdm import tqdm  # the bar's library, only when a terminal shows one

            tqdm.monitor_interval = 0   # no monitor thread: the build forks its workers while the bar is up
            # A terminal that tells no width (some containers' pseudo-terminals) would get a bar of none.
            known = terminal_columns(self.stream) > 0
            self.bar = tqdm(total=0, file=self.stream, leave=False, dynamic_ncols=known,
                            ncols=None if known else DEFAULT_COLUMNS, nrows=None if known else DEFAULT_ROWS,
                            mininterval=REDRAW_INTERVAL, desc=self.text,
                            bar_format=self.verb + ": {desc}")
        return self.bar

    def close(self) -> None:
        """Clear the bar's line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def make_progress(stream: TextIO, *, quiet: bool = False, verb: str = "building") -> Progress:
    """The progress a command shows on `stream` (its stderr): a bar on a terminal, plain lines elsewhere,
    nothing when `quiet`. `$HOURBOOK_PROGRESS_INTERVAL` sets the seconds between plain lines."""
    if quiet:
        return Progress(verb)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return BarProgress(stream, verb)
    try:
        interval = float(os.environ.get(PROGRESS_INTERVAL_ENV, PLAIN_INTERVAL))
    except ValueError:
        interval = PLAIN_INTERVAL
    return PlainProgress(stream, verb, interval=max(interval, 0.0))


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal `stream` writes to; 0 when it tells none."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


def format_seconds(seconds: float) -> str:
    """`12 s`, `4 min 05 s`, `1 h 02 min`: a time left as people read it."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
