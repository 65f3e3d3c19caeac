"""`core.slots.quick_init`: the records made by the hundred thousand are the records the dataclass makes."""

from __future__ import annotations

import dataclasses
import datetime
import pickle
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbook.core.records import Entry
from hourbook.core.records import Line
from hourbook.core.records import Source
from hourbook.core.slots import PLAIN_INIT
from hourbook.core.slots import quick_init

texts = st.text(max_size=12)
sources = st.builds(Source, texts, st.integers(0, 10**6))
entry_fields = {
    "kind": st.sampled_from(["time", "expense", "request"]),
    "date": st.dates(),
    "client": texts,
    "source": sources,
    "minutes": st.integers(0, 10**5),
    "start": st.none() | st.integers(0, 1440),
    "end": st.none() | st.integers(0, 2880),
    "amount": st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    "by": texts,
    "tags": st.lists(texts, max_size=3).map(tuple),
    "approved": st.booleans(),
    "description": texts,
    "details": texts,
    "worker": texts,
    "done": st.booleans(),
    "closed": st.none() | st.dates(),
}
REQUIRED = ("kind", "date", "client", "source")


def plain(cls, *args, **kwargs):
    """The record as the dataclass's own __init__ makes it."""
    record = object.__new__(cls)
    PLAIN_INIT[cls](record, *args, **kwargs)
    return record


def same_record(quick, slow) -> None:
    assert quick == slow
    assert hash(quick) == hash(slow)
    assert repr(quick) == repr(slow)
    assert pickle.dumps(quick) == pickle.dumps(slow)
    assert pickle.loads(pickle.dumps(quick)) == slow


@given(st.fixed_dictionaries({name: entry_fields[name] for name in REQUIRED},
                             optional={name: strategy for name, strategy in entry_fields.items()
                                       if name not in REQUIRED}),
       st.integers(0, len(entry_fields)))
def test_an_entry_made_quickly_is_the_dataclass_entry(values, positional):
    names = [field.name for field in dataclasses.fields(Entry)]
    # As many leading fields positionally as are given in a row, the rest by keyword.
    given_in_order = [name for name in names if name in values]
    cut = 0
    while cut < min(positional, len(given_in_order)) and given_in_order[cut] == names[cut]:
        cut += 1
    args = [values[name] for name in names[:cut]]
    kwargs = {name: value for name, value in values.items() if name not in names[:cut]}
    same_record(Entry(*args, **kwargs), plain(Entry, *args, **kwargs))


@given(sources, st.integers(0, 600), st.integers(0, 600), st.decimals(allow_nan=False, allow_infinity=False, places=2),
       st.none() | st.text(max_size=5))
def test_a_line_and_a_source_made_quickly_are_the_dataclass_ones(source, logged, billed, amount, cover):
    entry = Entry("time", datetime.date(2026, 11, 3), "acme", source, logged)
    args = (entry, "billed", None, logged, billed, Decimal(85), amount, amount)
    same_record(Line(*args, cover=cover), plain(Line, *args, cover=cover))
    same_record(Line(*args), plain(Line, *args))
    same_record(Source(source.path, source.line), plain(Source, source.path, source.line))


def test_the_signature_is_the_dataclass_one():
    with pytest.raises(TypeError):
        Entry("time", datetime.date(2026, 11, 3), "acme")                   # a required field missing
    with pytest.raises(TypeError):
        Entry("time", datetime.date(2026, 11, 3), "acme", Source("a", 1), colour="red")
    with pytest.raises(TypeError):
        Entry("time", datetime.date(2026, 11, 3), "acme", Source("a", 1), kind="time")
    entry = Entry("time", datetime.date(2026, 11, 3), "acme", Source("a", 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.minutes = 5                                                   # still frozen
    assert Entry.__init__.__qualname__ == "Entry.__init__"


def test_what_it_cannot_make_quickly_is_refused():
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithPostInit:
        value: int

        def __post_init__(self):
            pass

    @dataclasses.dataclass(frozen=True)
    class WithoutSlots:
        value: int

    for cls in (WithFactory, WithPostInit, WithoutSlots):
        with pytest.raises(TypeError):
            quick_init(cls)
