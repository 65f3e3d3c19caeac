"""A chart's figures as a table for screen readers: the text alternative of `render.charts`'
drawings, the same numbers, visually hidden and not printed."""

from __future__ import annotations

from typing import Any
from typing import Callable
from typing import Sequence

from markupsafe import Markup

# markupsafe.escape's entities, as a plain string: a chart escapes a hundred labels and figures,
# and a `Markup` made for each was a third of its cost.
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def escape(text) -> str:
    """`text` as markupsafe.escape writes it (the same bytes), as a plain string for a drawing's markup:
    what is already HTML (`__html__`, Markup) passes through as it is."""
    html = getattr(text, "__html__", None)
    return str(html()) if html is not None else str(text).translate(_ENTITIES)


def data_table(axis: Any, series: Sequence[Any], *, caption: str, row_header: str, fmt: Callable[[float], str],
               total_header: str = "") -> Markup:
    """The chart's figures as a table a screen reader reads (visually hidden; not printed).
    `axis` and `series` are `charts.Axis` and `charts.Series` (which import this module).

    One row per slot (its full name from `axis.names`), one column per series, and a
    total column when `total_header` is given (stacked bars). A gap is "–".
    """
    names = axis.names or axis.labels
    head = "".join(f'<th scope="col">{escape(item.label)}</th>' for item in series)
    if total_header:
        head += f'<th scope="col">{escape(total_header)}</th>'
    rows = []
    for index, name in enumerate(names):
        values = [item.values[index] if index < len(item.values) else None for item in series]
        cells = "".join(f'<td>{"–" if value is None else escape(fmt(float(value)))}</td>' for value in values)
        if total_header:
            cells += f"<td>{escape(fmt(sum(float(value or 0) for value in values)))}</td>"
        rows.append(f'<tr><th scope="row">{escape(name)}</th>{cells}</tr>')
    # The wrapper hides the table: a table grows to its content whatever its own width and height.
    # No <thead>: the column headers are named by scope, and a table no one sees needs no labels
    # for a phone (`reflow.label_cells` labels only tables with a <thead>).
    return Markup(f'<div class="visually-hidden"><table class="chart-data"><caption>{escape(caption)}</caption>'  # noqa: S704
                  f'<tr><th scope="col">{escape(row_header)}</th>{head}</tr>'
                  f'{"".join(rows)}</table></div>')
