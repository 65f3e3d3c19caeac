"""A Markdown logbook -> entries: `# 2026-11-03` and `## acme` headings, one list item an entry.

    ---
    client: acme            (front matter: defaults for the file's entries)
    ---
    # 2026-11-03
    ## acme
    - 09:10-10:25 printer driver @laura #urgent
        details, indented under the item
    - expense 45.50 cables
    - [ ] a request; [x] a done one

Lines are the file's own, front matter included. A list item that is not an entry is prose
and is skipped; a line that looks like an entry but is not read as one (`1. 2h`, `-2h`) gets
a warning that says how to write it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from hourbook.core.records import EXPENSE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import Source
from hourbook.load import limits
from hourbook.load.fields import Field
from hourbook.load.fields import client_id_field
from hourbook.load.fields import handle_field
from hourbook.load.fields import read_fields
from hourbook.load.logbook_words import APPROVED
from hourbook.load.logbook_words import MAX_OVERNIGHT
from hourbook.load.logbook_words import FileDefaults
from hourbook.load.logbook_words import read_duration
from hourbook.load.logbook_words import read_range
from hourbook.load.logbook_words import read_tag
from hourbook.load.logbook_words import remember
from hourbook.load.logbook_words import warn_overnight
from hourbook.load.problems import Problems
from hourbook.load.scalars import RANGE
from hourbook.load.scalars import check_bidi
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_money
from hourbook.load.scalars import parse_range
from hourbook.load.scalars import shown
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import parse_yaml

# The title is what follows; trailing '#'s and spaces are cut off in code, since a pattern
# like `(.*?)\s*#*\s*$` backtracks cubically over a long run of spaces.
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ITEM = re.compile(r"^[-*+]\s+(.*)$")
_CHECKBOX = re.compile(r"^\[([ xX])\]\s*(.*)$")
_DATE_TEXT = re.compile(r"^(\d{4}-\d{2}-\d{2})\b")
_DURATION_WORD = re.compile(r"^(?:\d+(?:\.\d+)?h(?:\d+m?)?|\d+m|\d+:[0-5]\d)$", re.IGNORECASE)
# A duration at the start of an item, spaces allowed between a number and its unit: `1h30`,
# `1 h 30`, `1h 30m`, `1 h 30 m`. Minutes after a space are read without their 'm' only as two
# digits (`1h 30`): `2h 3 servers` is two hours and "3 servers", as it always was.
_DURATION_START = re.compile(r"^(\d+(?:\.\d+)?\s*h(?:\s*\d+\s*m|\s+\d\d|\d+)?|\d+\s*m|\d+:[0-5]\d)(?:\s+|$)(.*)$",
                             re.IGNORECASE | re.DOTALL)
_RANGE_START = re.compile(r"^(\d{1,2}:\d{2}\s*[-\u2013]\s*\d{1,2}:\d{2})(?:\s+|$)(.*)$")
_FENCE = re.compile(r"^(```|~~~)")
_NOT_DETAILS = frozenset("#-*+")   # first characters of lines that end details (neither blank nor indented)
_CLIENT_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*\Z")    # a heading of one word names a client
FRONT_MATTER_FIELDS = {"client": Field(client_id_field), "worker": Field(handle_field), "date": Field(parse_date)}


@dataclass(frozen=True, slots=True)
class _Scope:
    """A heading: the date or client it names, in force until a heading of its level or above."""

    level: int
    date: datetime.date | None = None
    client: str | None = None
    bad_date: str = ""          # a date heading whose date is no date: the error says so


# Headings by their line: the same `# 2026-11-03` and `## acme` head every worker's files.
_HEADINGS: dict[str, _Scope] = {}
_HEADINGS_KEPT = 100_000


def _read_heading(line: str) -> _Scope | None:
    """A heading line -> its scope (neither date nor client for a heading that names neither), None
    for a line that is no heading; remembered."""
    heading = _HEADING.match(line)
    if not heading:
        return None
    level, title = len(heading.group(1)), heading.group(2).rstrip().rstrip("#").rstrip()
    date_match = _DATE_TEXT.match(title)
    if date_match:
        try:
            scope = _Scope(level, date=datetime.date.fromisoformat(date_match.group(1)))
        except ValueError:
            scope = _Scope(level, bad_date=date_match.group(1))
    elif _CLIENT_WORD.match(title):   # `## ACME` too: the checks say it is not 'acme'
        scope = _Scope(level, client=title)
    else:
        scope = _Scope(level)
    if len(_HEADINGS) < _HEADINGS_KEPT:
        _HEADINGS[line] = scope
    return scope


def parse_markdown_logbook(text: str, rel: str, diags: Problems) -> list[Entry]:
    """A Markdown logbook -> entries. Lines are the file's own, front matter included."""
    lines = text.split("\n")
    defaults, first = parse_front_matter(lines, rel, diags)
    max_entries = limits.MAX_ENTRIES
    entries: list[Entry] = []
    scopes: list[_Scope] = []
    fence = None
    day = client = None  # of the innermost scopes; both None: to be looked up
    index = first
    while index < len(lines):
        line = lines[index]
        lineno = index + 1
        index += 1
        if not line:
            continue  # blank: neither a fence, a heading nor an item (the commonest line)
        first_char = line[0]
        # The patterns below only match from these first characters: a test of one is cheaper.
        fence_match = _FENCE.match(line) if first_char in "`~" else None
        if fence is not None:
            if fence_match and line.startswith(fence):
                fence = None
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        heading = (_HEADINGS.get(line) or _read_heading(line)) if first_char == "#" else None
        if heading:
            level = heading.level
            scopes = [scope for scope in scopes if scope.level < level]
            if heading.bad_date:
                diags.error(rel, lineno, f"{heading.bad_date!r} is not a valid date")
            if heading.date is not None or heading.client is not None:
                scopes.append(heading)
            day = client = None
            continue
        item = _ITEM.match(line) if first_char in "-*+" else None
        if not item:
            if first_char in _MISREAD_FIRST:
                warn_unread_entry(line, rel, lineno, diags)
            continue
        # Details: the indented lines (and blank lines between them) that follow. Most items have
        # none: the next line, or the one after a blank, starts a heading or an item.
        if index >= len(lines) or lines[index][:1] in _NOT_DETAILS or (
                not lines[index] and (index + 1 >= len(lines) or lines[index + 1][:1] in _NOT_DETAILS)):
            detail_lines = ()
        else:
            details_end = _details_end(lines, index)
            detail_lines = lines[index:details_end]
            index = details_end
        if client is None:  # the scopes changed (a found client is text, maybe ""): look again
            day = next((s.date for s in reversed(scopes) if s.date is not None), defaults.date)
            client = next((s.client for s in reversed(scopes) if s.client is not None), defaults.client)
        if len(entries) > max_entries:
            break  # load_logbooks reports it; reading on would only use memory
        entry = parse_item(item.group(1), day, client, defaults.worker, Source(rel, lineno),
                           _dedent(detail_lines) if detail_lines else "", diags)
        if entry is not None:
            entries.append(entry)
    return entries


def parse_front_matter(lines: list[str], rel: str, diags: Problems) -> tuple[FileDefaults, int]:
    """Front matter between `---` lines at the top -> (defaults, index of the first body line)."""
    if not lines or lines[0].strip() != "---":
        return FileDefaults(), 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            break
    else:
        diags.error(rel, 1, "front matter starts with '---' but never ends: add a closing '---' line")
        return FileDefaults(), len(lines)
    text = "\n".join(lines[1:index])
    known = _FRONT_MATTERS.get(text)     # many files, one front matter (`worker: laura`): read once
    if known is not None:
        return known, index + 1
    try:
        data = parse_yaml(text, first_line=2)
    except YamlError as exc:
        diags.error(rel, exc.line, exc.message)
        return FileDefaults(), index + 1
    if data is None:
        return FileDefaults(), index + 1
    problems = len(diags)
    values = read_fields(data, FRONT_MATTER_FIELDS, rel, 2, "front matter", diags) or {}
    defaults = FileDefaults(values.get("client", ""), values.get("worker", ""), values.get("date"))
    if len(diags) == problems and len(_FRONT_MATTERS) < _FRONT_MATTERS_KEPT:
        _FRONT_MATTERS[text] = defaults     # one that says something wrong is read (and reported) every time
    return defaults, index + 1


# Front matters read without a problem, by their text: what one says depends on nothing else.
_FRONT_MATTERS: dict[str, FileDefaults] = {}
_FRONT_MATTERS_KEPT = 10_000


# Lines that look like entries but are not read: what each is, and how to write it.
_MISREAD_FIRST = frozenset("#-*+ \t0123456789")
_TIME_WORD = r"(?:\d{1,2}:\d{2}\s*[-\u2013]\s*\d{1,2}:\d{2}|\d+(?:\.\d+)?h(?:\d+m?)?|\d+m|\d+:[0-5]\d|expense)(?:\s|$)"
_MISREAD = (
    (re.compile(r"^(\d+[.)])\s+" + _TIME_WORD, re.IGNORECASE),
     "a numbered list item is not read as an entry: start the line with '- ' instead of {0!r}"),
    (re.compile(r"^([-*+])" + _TIME_WORD, re.IGNORECASE),
     "{1} is not read as an entry: put a space after {0!r}"),
    (re.compile(r"^[ \t]+([-*+]|\d+[.)])\s+" + _TIME_WORD, re.IGNORECASE),
     "an indented list item is not read as an entry (only items at the start of a line are): "
     "remove the indentation"),
    (re.compile(r"^(#{1,6})\d{4}-\d{2}-\d{2}\b|^(#{2,6})[A-Za-z0-9][A-Za-z0-9-]*\s*$"),
     "{1} is not read as a heading: put a space after {0!r}"),
)


def warn_unread_entry(line: str, rel: str, lineno: int, diags: Problems) -> None:
    """A warning for a line that looks like an entry or a heading but is not read as one."""
    for pattern, message in _MISREAD:
        match = pattern.match(line)
        if match:
            mark = next((group for group in match.groups() if group), "")
            diags.append(Diagnostic(Source(rel, lineno), message.format(mark, shown(line.split()[0])), WARNING))
            return


def _details_end(lines: list[str], index: int) -> int:
    """The end of the details from `index`: indented lines, and blank lines followed by one.

    One pass: a run of blank lines is scanned once, whatever follows it.
    """
    end = scan = index
    while scan < len(lines):
        line = lines[scan]
        if line.startswith((" ", "\t")):
            end = scan + 1
        elif line.strip():
            break
        scan += 1
    return end


def _dedent(lines: list[str]) -> str:
    """Details as text: blank lines around them dropped, the common indent removed."""
    lines = [line.expandtabs(4).rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    first = next((index for index, line in enumerate(lines) if line), len(lines))
    lines = lines[first:]
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def parse_item(body: str, day, client: str, worker: str, source: Source, details: str,
               diags: Problems) -> Entry | None:
    """One list item of a Markdown logbook -> an Entry, None for prose (or an error)."""
    rel, lineno = source.path, source.line
    kind, done = TIME, False
    checkbox = _CHECKBOX.match(body) if body[:1] == "[" else None
    closed = None
    if checkbox:
        done = checkbox.group(1) != " "
        body = checkbox.group(2)
        if done and (closed_match := _DATE_TEXT.match(body)):
            # `- [x] 2026-11-05 ...`: the day it was closed (docs/requests.md)
            try:
                closed = datetime.date.fromisoformat(closed_match.group(1))
            except ValueError:
                diags.error(rel, lineno, f"cannot read the closing date {closed_match.group(1)!r}: "
                            "expected YYYY-MM-DD, as in - [x] 2026-11-05 ...")
                return None
            body = body[closed_match.end():].lstrip()
    words = body.split(maxsplit=1)
    first_word = words[0] if words else ""
    rest = words[1] if len(words) > 1 else ""
    minutes, start, end, amount = 0, None, None, None
    range_match = _RANGE_START.match(body)
    try:
        if not body.isascii():
            check_bidi(body)
        if range_match:
            start, end = read_range(range_match.group(1))
            minutes = end - start
            rest = range_match.group(2)
            if minutes > MAX_OVERNIGHT and end > 1440:
                warn_overnight(range_match.group(1), start, end, source, diags)
        elif first_word[:1].isdigit() and (duration := _DURATION_START.match(body)):
            written, rest = duration.groups()
            minutes = read_duration(written)
            if minutes == 0:
                raise ValueError(f"the duration {written!r} is zero")
        elif first_word.lower() == "expense":
            amount_word, _, rest = rest.partition(" ")
            kind = EXPENSE
            amount = parse_money(amount_word)
        elif first_word[:1].isdigit():
            if RANGE.match(first_word) is None and re.match(r"^\d{1,2}:\d{2}[-\u2013]", first_word):
                parse_range(first_word)  # raises with the precise reason
            raise ValueError(f"cannot read the time {first_word!r}: expected a range like 09:10-10:25 "
                             f"or a duration like 45m, 1h30m, 1.5h or 0:45")
        elif checkbox:
            kind = REQUEST
            rest = body
            if closed is not None and day is not None and closed < day:
                raise ValueError(f"the request is closed on {closed.isoformat()}, before the day it is "
                                 f"logged under ({day.isoformat()}): log it under the day it was opened")
        else:
            if first_word[:1] in _MISREAD_SIGNS and _misread_time(first_word):
                diags.append(Diagnostic(source, f"{shown(first_word)} is not read as a time: "
                                        + ("a time cannot be negative" if first_word[0] != "." else
                                           f"write {shown('0' + first_word)}"), WARNING))
            return None
    except ValueError as exc:
        diags.error(rel, lineno, str(exc))
        return None
    if day is None or not client:
        what = {TIME: "entry", EXPENSE: "expense", REQUEST: "request"}[kind]
        missing = " and ".join(name for name, ok in (("date", day is not None), ("client", bool(client))) if not ok)
        diags.error(rel, lineno, f"{what} without a {missing}: put it under a "
                    + ("'# YYYY-MM-DD' heading" if day is None else "client heading ('## acme')")
                    + ("" if day is None else " or set client: in the front matter"))
        return None
    by, tags, approved, description = parse_words(rest, rel, lineno, diags)
    return Entry(kind=kind, date=day, client=client, source=source, minutes=minutes, start=start, end=end,
                 amount=amount, by=by, tags=tags, approved=approved, description=description,
                 details=details, worker=worker, done=done, closed=closed)


def parse_words(rest: str, rel: str, lineno: int, diags: Problems) -> tuple[str, tuple[str, ...], bool, str]:
    """The rest of an entry line -> (requester, tags, approved, description)."""
    if "@" not in rest and "#" not in rest:
        return "", (), False, " ".join(rest.split())    # no requester and no tag: all description
    by, approved, words, conflict = "", False, [], False
    tags: dict[str, None] = {}  # ordered, and a membership test in constant time (a line may hold 10^5 tags)
    for word in rest.split():
        first = word[0]     # split() gives no empty word
        if (first != "@" and first != "#") or len(word) == 1:
            words.append(word)  # the commonest word: description
        elif first == "@":
            name = _REQUESTERS.get(word)
            if name is None:
                name = remember(_REQUESTERS, word, _requester)
            if by and name != by:
                if not conflict:  # once per entry, however many more there are
                    diags.error(rel, lineno, f"two requesters, @{by} and @{name}: an entry has one")
                conflict = True
            by = name
        else:
            tag = _TAG_WORDS.get(word)
            if tag is None:
                try:
                    tag = remember(_TAG_WORDS, word, _tag)
                except ValueError:
                    words.append(word)
                    continue
            if tag == APPROVED:
                approved = True
            elif tag not in tags:
                tags[tag] = None
    tags_tuple = tuple(tags)
    return by, _TAG_TUPLES.setdefault(tags_tuple, tags_tuple), approved, " ".join(words)


def _requester(word: str) -> str:
    """`@Lucía,` -> 'lucía': the requester a word names (NFC, so that an accent typed apart is the same)."""
    name = word[1:].rstrip(".,;:").lower()
    return name if name.isascii() else unicodedata.normalize("NFC", name)


def _tag(word: str) -> str:
    """`#Urgent.` -> 'urgent' (ValueError for a word that is no tag)."""
    return read_tag(word[1:].rstrip(".,;:)"))


# What `@` and `#` words read as, the words whole (interned, and shared by every entry).
_REQUESTERS: dict[str, str] = {}
_TAG_WORDS: dict[str, str] = {}


# The tags of an entry, shared by every entry with the same ones (a few hundred kinds, a million entries).
_TAG_TUPLES: dict[tuple[str, ...], tuple[str, ...]] = {}
_MISREAD_SIGNS = frozenset(".-\u2212")     # (a set: "" is in every string)


def _misread_time(word: str) -> bool:
    """`-1h`, `−09:00-10:00`, `.5h`: a time with a sign or without its leading zero, not read as one."""
    if word[0] == ".":
        return _DURATION_WORD.match("0" + word) is not None
    return _DURATION_WORD.match(word[1:]) is not None or RANGE.match(word[1:]) is not None
