"""A YAML logbook -> entries: `client:` and `worker:` for the file, then `entries:`, one mapping each.

    client: acme
    entries:
      - {date: 2026-11-03, time: "09:10-10:25", note: printer driver, by: laura, tags: [urgent]}
      - {date: 2026-11-04, duration: 1h30m, note: invoices}
      - {date: 2026-11-04, expense: 45.50, note: cables}

Each entry is read by the schema `ENTRY_FIELDS`. A well-formed entry takes a fast path,
`read_entry_fast`, which gives what the schema gives (tests/test_yaml_fast_path.py pins it);
anything it would have a word about goes through `read_fields`, which says it.
"""

from __future__ import annotations

from hourbook.core.records import EXPENSE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import Entry
from hourbook.core.records import Source
from hourbook.load.fields import Field
from hourbook.load.fields import client_id_field
from hourbook.load.fields import flag_field
from hourbook.load.fields import folded_text_field
from hourbook.load.fields import handle_field
from hourbook.load.fields import lines_field
from hourbook.load.fields import raw_field
from hourbook.load.fields import read_fields
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.logbook_words import APPROVED
from hourbook.load.logbook_words import MAX_OVERNIGHT
from hourbook.load.logbook_words import FileDefaults
from hourbook.load.logbook_words import read_range
from hourbook.load.logbook_words import read_tag
from hourbook.load.logbook_words import remember
from hourbook.load.logbook_words import warn_overnight
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_date
from hourbook.load.scalars import parse_duration
from hourbook.load.scalars import parse_money
from hourbook.load.scalars import parse_tags
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap
from hourbook.load.yaml_reader import parse_yaml

LOGBOOK_FIELDS = {"client": Field(client_id_field), "worker": Field(handle_field), "entries": Field(raw_field)}


def entry_duration_field(value) -> int:
    """An entry's `duration:`, in minutes: text like 45m or 1h30m (a bare number could be either), above 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"a bare number is ambiguous: write {value}m or {value}h")
    minutes = parse_duration(value)
    if minutes == 0:
        raise ValueError(f"the duration {value!r} is zero")
    return minutes


ENTRY_FIELDS = {   # made once, not for every entry
    "date": Field(parse_date, required=True),
    "client": Field(client_id_field),
    "worker": Field(handle_field),
    "time": Field(text_field),
    "duration": Field(entry_duration_field),
    "expense": Field(parse_money),
    "by": Field(handle_field),
    "tags": Field(parse_tags),
    "note": Field(folded_text_field),
    "details": Field(lines_field),
    "approved": Field(flag_field),
    "request": Field(flag_field),
    "done": Field(flag_field),
    "closed": Field(parse_date),            # a done request's closing day (docs/requests.md)
}
# Fields whose text values recur from entry to entry, each with what its texts read as (str keys
# only: True == 1, so a bool or a number must never find a text's value).
_ENTRY_WORDS: dict[str, dict] = {key: {} for key in ("date", "client", "worker", "duration", "by", "tags")}


def parse_yaml_logbook(text: str, rel: str, diags: Problems) -> list[Entry]:
    """A YAML logbook -> entries; an entry with an error is left out (and reported)."""
    try:
        data = parse_yaml(text)
    except YamlError as exc:
        diags.error(rel, exc.line, exc.message)
        return []
    if data is None:
        return []
    values = read_fields(data, LOGBOOK_FIELDS, rel, 1, "logbook", diags)
    if values is None:
        return []
    raw = values.get("entries")
    if raw is None:
        return []
    if not isinstance(raw, YList):
        diags.error(rel, data.line_of("entries"), f"entries must be a list, got {yaml_kind(raw)}")
        return []
    defaults = FileDefaults(values.get("client", ""), values.get("worker", ""))
    entries = []
    for index, item in enumerate(raw):
        entry = parse_yaml_entry(item, raw.line_of(index), rel, defaults, diags)
        if entry is not None:
            entries.append(entry)
    return entries


def parse_yaml_entry(item, line: int, rel: str, defaults: FileDefaults, diags: Problems) -> Entry | None:
    """One item of entries: -> Entry, None when it has an error (reported)."""
    values = read_entry_fast(item)
    if values is None:      # something to say about the fields: read_fields says it
        before = len(diags)
        values = read_fields(item, ENTRY_FIELDS, rel, line, "entry", diags)
        if values is None or len(diags) > before:
            return None
    kinds = [key for key in ("time", "duration", "expense") if key in values]
    if values.get("request"):
        kind, minutes, start, end = REQUEST, 0, None, None
        if kinds:
            diags.error(rel, line, "a request has no time, duration or expense")
            return None
    elif len(kinds) != 1:
        diags.error(rel, line, "an entry needs exactly one of time:, duration: or expense:"
                    + (f" (it has {' and '.join(kinds)})" if kinds else ""))
        return None
    else:
        kind, minutes, start, end = TIME, 0, None, None
        if kinds[0] == "time":
            try:
                start, end = read_range(values["time"])
            except ValueError as exc:
                diags.error(rel, item.line_of("time"), str(exc))
                return None
            minutes = end - start
            if minutes > MAX_OVERNIGHT and end > 1440:
                warn_overnight(values["time"], start, end, Source(rel, item.line_of("time")), diags)
        elif kinds[0] == "duration":
            minutes = values["duration"]
        else:
            kind = EXPENSE
    client = values.get("client", defaults.client)
    if not client:
        diags.error(rel, line, "entry without a client: add client: to the entry or to the file")
        return None
    tags = list(values.get("tags", ()))
    approved = values.get("approved", False) or APPROVED in tags
    tags = tuple(dict.fromkeys(tag for tag in tags if tag != APPROVED))
    return Entry(kind=kind, date=values["date"], client=client, source=Source(rel, line), minutes=minutes,
                 start=start, end=end, amount=values.get("expense"), by=values.get("by", ""), tags=tags,
                 approved=approved, description=values.get("note", ""), details=values.get("details", ""),
                 worker=values.get("worker", defaults.worker),
                 done=values.get("done", False) or "closed" in values, closed=values.get("closed"))


def read_entry_fast(item) -> dict | None:
    """What `read_fields(item, ENTRY_FIELDS, ...)` gives a well-formed entry, in a third of the time.

    The same readers, but the words that recur on every entry (workers, durations, tags) are
    read once. None at the first thing `read_fields` would have a word about (or a null, which
    it skips): the caller then reads the entry again with `read_fields`, which says it, so the
    diagnostics don't change.
    """
    if type(item) is not YMap or item.get("date") is None:
        return None
    values = {}
    for key, raw in item.items():
        field = ENTRY_FIELDS.get(key)
        if field is None or raw is None:
            return None
        kind = type(raw)
        try:
            if kind is str and key in _ENTRY_WORDS:
                memo = _ENTRY_WORDS[key]
                value = memo.get(raw)
                if value is None:
                    value = remember(memo, raw, field.read)
            elif kind is YList and key == "tags":
                tags = []
                for tag in raw:
                    if type(tag) is not str:
                        return None
                    tags.append(read_tag(tag))
                value = tuple(tags)
            else:
                value = field.read(raw)
        except (ValueError, TypeError):
            return None
        values[key] = value
    return values
