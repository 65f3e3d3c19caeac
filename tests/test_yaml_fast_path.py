"""The YAML entry fast path reads exactly what the full field reader reads (Hypothesis).

`yaml_logbook.read_entry_fast` reads a well-formed entry without `read_fields`, remembering
the words that recur (dates, clients, workers, durations, requesters, tags). The laws, over
generated YAML logbooks with every shape of field (time ranges, durations, expenses, by, tags
as a list or as text, note, details, dates written as dates or as text, flags), in block and
flow style:

- an entry the full reader reads without a word (and without a null, which it skips) takes
  the fast path, and the fast path gives the same values, of the same types;
- an entry the full reader has a word about never takes the fast path (its diagnostics would
  be lost);
- a whole logbook gives the same entries and the same diagnostics with the fast path as
  without it, the first time and again once every word is remembered.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hourbook.load import yaml_logbook
from hourbook.load.fields import read_fields
from hourbook.load.problems import Problems
from hourbook.load.yaml_logbook import ENTRY_FIELDS
from hourbook.load.yaml_logbook import parse_yaml_logbook
from hourbook.load.yaml_logbook import read_entry_fast
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import YMap
from hourbook.load.yaml_reader import parse_yaml

REL = "logbook/2026.yaml"
# Each list of values with the few that are reported (mostly drawn well-formed, see `mostly`).
CLIENTS = (["acme", "beta-labs", "c0", " acme "], ["ACME"])
HANDLES = (["laura", "Ana", "@pedro", "j.doe", "x_y-z", " Laura "], ["@", "two words"])
TAGS = (["urgent", "Onsite", "#support", "approved", "q-1", "a/b", "x.y", "under_score", "#Approved"], ["bad tag!"])
WORDS = ["printer", "driver", "café", "日本語", "Ünïcödé", "a:b", "#not-a-tag", "@nobody", "-", "'quoted'",
         "\"dq\"", "42", "true", "null", "x\ty", "\u202bשלום\u202c"]
DECIMAL_HOURS = {6: ".1", 15: ".25", 30: ".5", 45: ".75"}
FLAGS = (["true", "false", "True", "FALSE"], ["yes", "1"])


# ------------------------------------------------------------------ how a value is written


def rarely(draw, odds: int = 20) -> bool:
    """True once in `odds` draws: most entries are well-formed, so that most take the fast path."""
    return draw(st.integers(1, odds)) == odds


@st.composite
def mostly(draw, values: tuple[list[str], list[str]]) -> str:
    """One of the well-formed values, or, rarely, one that is reported."""
    good, bad = values
    return draw(st.sampled_from(bad if rarely(draw) else good))


@st.composite
def written(draw, text: str, flow: bool) -> str:
    """`text` as a YAML scalar: plain when it reads back as itself and is drawn so, else quoted."""
    how = draw(st.sampled_from(["plain", "single", "double"]))
    if how == "plain" and reads_as_itself(text, flow):
        return text
    if how == "single" and "\n" not in text and "\t" not in text and text.isprintable():
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=draw(st.booleans()))


def reads_as_itself(text: str, flow: bool) -> bool:
    """True when `text`, written plain as a value (in a flow mapping or a block one), is read as that text."""
    try:
        return parse_yaml(f"{{key: {text}}}" if flow else f"key: {text}") == {"key": text}
    except YamlError:
        return False


def block_scalar(text: str, indent: str, folded: bool) -> str:
    """A literal (`|`) or folded (`>`) block scalar holding the lines of `text`."""
    lines = text.split("\n")
    return (">" if folded else "|") + "\n" + "\n".join(indent + line if line else "" for line in lines)


# ------------------------------------------------------------------ field values


@st.composite
def dates(draw) -> str:
    day = draw(st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)))
    shape = draw(mostly((["date", "text", "spaced", "basic"], ["bad"])))
    if shape == "date":
        return day.isoformat()                                  # YAML reads a date
    if shape == "text":
        return json.dumps(day.isoformat())                      # text of a date
    if shape == "spaced":
        return json.dumps(f" {day.isoformat()} ")
    if shape == "basic":
        return json.dumps(day.strftime("%Y%m%d"))               # fromisoformat reads it too
    return json.dumps(day.strftime("%d.%m.%Y"))                 # not a date: reported


@st.composite
def clock(draw, hour_max: int = 23) -> tuple[int, int, str]:
    hour = draw(st.integers(0, hour_max))
    minute = 0 if hour == 24 else draw(st.sampled_from([0, 5, 10, 15, 25, 30, 45, 59]))
    text = f"{hour}:{minute:02d}" if hour < 10 and draw(st.booleans()) else f"{hour:02d}:{minute:02d}"
    return hour, minute, text


@st.composite
def time_ranges(draw, flow: bool) -> str:
    start, end = draw(clock()), draw(clock(24))
    dash = draw(st.sampled_from(["-", " - ", "\u2013", " \u2013 "]))
    text = f"{start[2]}{dash}{end[2]}"                          # the same start and end: reported
    return draw(written(text, flow))


@st.composite
def durations(draw, flow: bool) -> str:
    minutes = draw(st.integers(0 if rarely(draw) else 1, 3000))  # 0: reported
    hours, rest = divmod(minutes, 60)
    shapes = [f"{minutes}m", f"{hours}:{rest:02d}", f"{hours}h{rest}m" if hours else f"{rest}m",
              f"{hours}H{rest}M", f" {minutes}m "]
    if rest == 0:
        shapes.append(f"{hours}h")
    if rest in DECIMAL_HOURS:
        shapes.append(f"{hours}{DECIMAL_HOURS[rest]}h")         # 1.5h
    text = draw(st.sampled_from(shapes))
    if rarely(draw):
        return str(minutes)                                     # a bare number: ambiguous, reported
    return draw(written(text, flow))


@st.composite
def expenses(draw) -> str:
    amount = draw(st.decimals(min_value=-1000, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
    shape = draw(mostly((["decimal", "whole", "text"], ["comma"])))
    if shape == "decimal":
        return str(amount)                                      # YAML reads a Decimal
    if shape == "whole":
        return str(int(amount))                                 # an int
    if shape == "text":
        return json.dumps(str(amount))
    return json.dumps(str(amount).replace(".", ","))            # 45,50: reported


@st.composite
def tag_values(draw, flow: bool) -> str:
    tags = draw(st.lists(mostly(TAGS), max_size=4))
    shape = draw(st.sampled_from(["flow list", "text", "one"]))
    if shape == "text":
        separator = draw(st.sampled_from([" ", ", ", ","]))
        return json.dumps(separator.join(tags))
    if shape == "one" and tags:
        return draw(written(tags[0], flow))
    items = [draw(written(tag, flow=True)) for tag in tags]
    if rarely(draw):
        items.append("7")                                       # a number among the tags: not the fast path
    return "[" + ", ".join(items) + "]"


@st.composite
def texts(draw, lines: bool) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
    if not lines:
        return " ".join(words)
    breaks = draw(st.lists(st.sampled_from([" ", " ", "\n", "\n\n", "  ", "\r\n"]), min_size=len(words),
                           max_size=len(words)))
    return "".join(word + gap for word, gap in zip(words, breaks)).rstrip(" ")


@st.composite
def text_values(draw, flow: bool, indent: str) -> str:
    text = draw(texts(lines=draw(st.booleans())))
    if not flow and "\r" not in text and "\t" not in text and draw(st.booleans()) and text.strip():
        return block_scalar(text.strip("\n"), indent, folded=draw(st.booleans()))
    return draw(written(text, flow))


# ------------------------------------------------------------------ entries and logbooks


@st.composite
def entries(draw, flow: bool) -> dict[str, str]:
    """One entry's fields as written (in an order of its own), mostly well-formed."""
    indent = "      "
    fields = {"date": draw(dates())}
    kind = draw(st.sampled_from(["time", "duration", "expense", "request", "two", "none"]))
    if kind in ("time", "two"):
        fields["time"] = draw(time_ranges(flow))
    if kind in ("duration", "two"):
        fields["duration"] = draw(durations(flow))
    if kind == "expense":
        fields["expense"] = draw(expenses())
    if kind == "request":
        fields["request"] = "true"
        if draw(st.booleans()):
            fields["done"] = draw(mostly(FLAGS))
    optional = {
        "client": lambda: draw(written(draw(mostly(CLIENTS)), flow)),
        "worker": lambda: draw(written(draw(mostly(HANDLES)), flow)),
        "by": lambda: draw(written(draw(mostly(HANDLES)), flow)),
        "tags": lambda: draw(tag_values(flow)),
        "note": lambda: draw(text_values(flow, indent)),
        "details": lambda: draw(text_values(flow, indent)),
        "approved": lambda: draw(mostly(FLAGS)),
        "done": lambda: draw(mostly(FLAGS)),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        fields[key] = optional[key]()
    if rarely(draw):
        fields[draw(st.sampled_from(sorted(fields)))] = "null" if flow else ""    # a null: not the fast path
    if rarely(draw):
        fields["notes"] = "typo"                                # an unknown field: reported
    order = draw(st.permutations(sorted(fields)))
    return {key: fields[key] for key in order}


@st.composite
def logbooks(draw) -> str:
    """A YAML logbook: maybe a client and worker for the file, then entries in block or flow style."""
    head = []
    if draw(st.booleans()):
        head.append(f"client: {draw(st.sampled_from(['acme', 'beta-labs']))}")
    if draw(st.booleans()):
        head.append(f"worker: {draw(st.sampled_from(['laura', 'ana']))}")
    lines = [*head, "entries:"]
    for _ in range(draw(st.integers(1, 6))):
        flow = draw(st.booleans())
        fields = draw(entries(flow))
        if flow:
            lines.append("  - {" + ", ".join(f"{key}: {value}" for key, value in fields.items()) + "}")
        else:
            for number, (key, value) in enumerate(fields.items()):
                lines.append(("  - " if number == 0 else "    ") + f"{key}: {value}".rstrip(" "))
    return "\n".join(lines) + "\n"


def typed(values: dict) -> dict:
    """Values with their types and exact forms: Decimal('45.5') is not Decimal('45.50') on an invoice."""
    return {key: (type(value), repr(value)) for key, value in values.items()}


def yaml_entries(text: str) -> YList:
    data = parse_yaml(text)
    assert isinstance(data, YMap) and isinstance(data["entries"], YList), text
    return data["entries"]


# ------------------------------------------------------------------ the laws


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logbooks())
def test_fast_path_reads_what_the_field_reader_reads(text):
    items = yaml_entries(text)
    for index, item in enumerate(items):
        diags = Problems()
        full = read_fields(item, ENTRY_FIELDS, REL, items.line_of(index), "entry", diags)
        fast = read_entry_fast(item)
        skips_a_null = any(value is None for value in item.values())
        untyped_tags = isinstance(item.get("tags"), YList) and any(type(tag) is not str for tag in item["tags"])
        if diags:
            assert fast is None, (text, index, list(diags))     # else its diagnostics would be lost
        elif not skips_a_null and not untyped_tags:
            assert fast is not None, (text, index)              # a well-formed entry takes the fast path
        event("fast path" if fast is not None else "full reader" + (" (a word)" if diags else ""))
        if fast is not None:
            assert typed(fast) == typed(full), (text, index)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logbooks())
def test_a_logbook_reads_the_same_with_and_without_the_fast_path(text):
    def parsed() -> tuple[str, list]:
        diags = Problems()
        found = parse_yaml_logbook(text, REL, diags)
        return repr(found), list(diags)

    with mock.patch.object(yaml_logbook, "read_entry_fast", lambda item: None):
        slow = parsed()
    assert parsed() == slow, text       # the words of this logbook may be new to the fast path
    assert parsed() == slow, text       # ... and now they are all remembered


def test_every_shape_of_a_well_formed_entry_takes_the_fast_path():
    """The laws above would hold if the fast path never answered: it answers for all of these."""
    text = "\n".join([
        "client: acme",
        "entries:",
        "  - {date: 2026-11-03, time: '09:10-10:25', note: printer driver, by: '@Laura', tags: [urgent, '#Onsite']}",
        "  - date: '2026-11-04'",
        "    duration: 1h30m",
        "    worker: Ana",
        "    tags: 'urgent, support approved'",
        "    note: |",
        "      two lines",
        "      of note",
        "    details: |",
        "      - step one",
        "      - step two",
        "  - {date: 2026-11-04, duration: '0:45', client: beta-labs, approved: true}",
        "  - {date: 2026-11-05, duration: 1.5h, done: false}",
        "  - {date: 2026-11-05, time: 22:00 \u2013 01:30}",
        "  - {date: 2026-11-06, expense: 45.50, note: cables}",
        "  - {date: 2026-11-06, expense: '12', note: parking}",
        "  - {date: 2026-11-07, request: true, done: true, note: a request}",
        "",
    ])
    items = yaml_entries(text)
    for index, item in enumerate(items):
        diags = Problems()
        full = read_fields(item, ENTRY_FIELDS, REL, items.line_of(index), "entry", diags)
        assert not diags, list(diags)
        fast = read_entry_fast(item)
        assert fast is not None, item
        assert typed(fast) == typed(full)
    diags = Problems()
    found = parse_yaml_logbook(text, REL, diags)
    assert list(diags) == [] and len(found) == len(items)
    assert found[0].tags == ("urgent", "onsite") and found[0].by == "laura" and found[0].minutes == 75
    assert found[1].tags == ("urgent", "support") and found[1].approved and found[1].description == "two lines of note"
    assert found[4].minutes == 210 and found[5].amount == Decimal("45.50")
