"""How the records a build keeps on disk pickle: fast, and the same bytes in every process."""

from __future__ import annotations

import operator
from dataclasses import fields


def pickled_as_arguments(cls: type) -> type:
    """Pickle `cls` (a frozen dataclass with slots) as its constructor's arguments.

    The dataclass default for slots calls `fields()` for every record pickled and again for every
    record loaded: most of the time a build spends on the logbooks in its disk cache, and on the
    digests of each client's entries. The arguments, in field order, give the same record.
    """
    values = field_values(cls)
    cls.__reduce__ = lambda self: (cls, values(self))
    return cls


def field_values(cls: type):
    """A function giving a record of dataclass `cls` as the tuple of its fields' values, in field
    order (one `attrgetter`, which gives a lone value rather than a tuple for one field)."""
    names = tuple(f.name for f in fields(cls))
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        one = operator.attrgetter(names[0])
        return lambda record: (one(record),)
    return lambda record: ()


def pickled_as_values(cls: type) -> type:
    """Pickle `cls` (a frozen dataclass without slots) as its fields' values, put back into a new
    instance's `__dict__` as pickle's default does (no `__init__` run), without the field names:
    an owner report holds some 120 figures and rows, and reading 500 of them back was a tenth of
    a new process's build after an edit (0.14 -> 0.10 s)."""
    _NAMES[cls] = tuple(f.name for f in fields(cls))
    values = field_values(cls)
    cls.__reduce__ = lambda self: (_from_values, (cls, values(self)))
    return cls


def _from_values(cls: type, values: tuple):
    """An instance of `cls` (`pickled_as_values`) with these values of its fields."""
    obj = object.__new__(cls)
    obj.__dict__.update(zip(_NAMES[cls], values))
    return obj


_NAMES: dict[type, tuple[str, ...]] = {}
