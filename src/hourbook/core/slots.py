"""A quicker constructor for the records made by the hundred thousand (entries, their sources, priced lines).

A frozen dataclass's `__init__` sets each field through `object.__setattr__`, a global
lookup and a call per field: for an Entry's sixteen fields that is most of the three
microseconds a new entry costs, a tenth of reading a logbook. A class with slots has a
descriptor per field whose `__set__` stores the value directly; `quick_init` gives the class
an `__init__` with the same signature (names, order, defaults) that calls those, and
nothing else. The record made is the same (equal, same hash, same pickle): the tests build
each record both ways and compare.
"""

from __future__ import annotations

import dataclasses

PLAIN_INIT: dict[type, object] = {}     # each class's own dataclass __init__, which the tests compare with


def quick_init(cls: type) -> type:
    """Replace the `__init__` of `cls`, a frozen dataclass with slots, by one that sets the slots directly.

    Only for plain fields: a field with a default factory, one left out of `__init__`, or a
    `__post_init__` would need the dataclass's own code, and is refused.
    """
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init wants a dataclass with slots and no __post_init__")
    names, params, scope = [], [], {"_new": object.__new__}
    for field in dataclasses.fields(cls):
        if not field.init or field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: quick_init takes plain fields only")
        names.append(field.name)
        scope[f"_set_{field.name}"] = cls.__dict__[field.name].__set__
        if field.default is dataclasses.MISSING:
            params.append(field.name)
        else:
            scope[f"_default_{field.name}"] = field.default
            params.append(f"{field.name}=_default_{field.name}")
    body = "".join(f"    _set_{name}(self, {name})\n" for name in names)
    source = f"def __init__(self, {', '.join(params)}):\n{body or '    pass'}\n"
    exec(source, scope)   # noqa: S102 - the code is made from the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    PLAIN_INIT[cls] = cls.__init__
    cls.__init__ = init
    return cls
