"""The table view of node features: one table per round, fitted to the terminal.

Numbers are the shortest decimal that reads back to the value in the run's
dtype (what JSON and CSV write), with a whole number's ``.0`` dropped
(``12.5``, ``6``, ``-0``, ``1e+20``, ``nan``). ``precision`` (``--precision N``)
keeps at most N digits after the point (of the mantissa, in scientific
notation) and marks a number it cut with ``…`` (``0.3333…``, ``1.23…e+30``):
the digits shown are always the first digits of the full text, never rounded.
Positional numbers line up on the units digit, scientific ones on the right.

A table is laid out as lines of text: the node column, then as many feature
columns as fit the width (the first and the last, with a ``…`` column between,
as numpy and pandas do), never cutting a number. Node ids are shown with
control characters escaped (``\\x1b``), and shortened in the middle when long.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from ..output.numbers import format_grid

ELLIPSIS = "…"
#: The box view's column separators (the lines of Rich's heavy-head box).
HEAD_SEP, RULE_SEP, ROW_SEP = " ┃ ", "╇", " │ "
PLAIN_SEP = "  "


def pick_rows(n: int, max_rows: int) -> tuple[list[int], list[int]]:
    """Head and tail positions to show when there are more than ``max_rows`` nodes."""
    if max_rows <= 0 or n <= max_rows:
        return list(range(n)), []
    head = (max_rows + 1) // 2
    tail = max_rows - head
    return list(range(head)), list(range(n - tail, n))


def pick_cols(f: int, max_cols: int) -> tuple[list[int], list[int]]:
    """The first and last of ``f`` columns when more than ``max_cols`` are asked (0: all)."""
    if max_cols <= 0 or f <= max_cols:
        return list(range(f)), []
    head = (max_cols + 1) // 2
    return list(range(head)), list(range(f - (max_cols - head), f))


# --- numbers ------------------------------------------------------------------

#: How much wider than its longest number a column may grow to line up the points.
ALIGN_SLACK = 6


def _split(text: str) -> tuple[str, str]:
    """``("-12", ".5")``: the sign and whole digits, then the rest (point, fraction, cut mark)."""
    i = text.find(".")
    if i < 0:
        i = text.find(ELLIPSIS)
    return (text, "") if i < 0 else (text[:i], text[i:])


def align(values: Sequence[str]) -> list[str]:
    """Pad number texts to one width.

    Positional numbers line up on the units digit (``inf`` and ``nan`` end
    there too); numbers in scientific notation are right-aligned to the column.
    Where lining up would widen the column by more than ``ALIGN_SLACK`` cells
    (``100000000`` over ``0.00012345678``), every text is right-aligned instead.
    An empty list gives an empty list.
    """
    if not values:
        return []
    longest = max(map(len, values))
    sci = [("e-" in v or "e+" in v) for v in values]
    parts = [None if e else _split(v) for v, e in zip(values, sci)]
    left = max((len(p[0]) for p in parts if p), default=0)
    right = max((len(p[1]) for p in parts if p), default=0)
    if left + right > longest + ALIGN_SLACK:
        return [v.rjust(longest) for v in values]
    width = max(longest, left + right)
    return [v.rjust(width) if p is None else (p[0].rjust(left) + p[1].ljust(right)).rjust(width)
            for v, p in zip(values, parts)]


def column_texts(values: np.ndarray, precision: int | None) -> list[str]:
    """The aligned texts of one column of values: each the shortest text that reads back to it in
    its own dtype (made in bulk), ``.0`` dropped, cut to ``precision`` with ``…``."""
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    grid = format_grid(np.ascontiguousarray(values))
    texts = [t.decode("ascii") for t in grid.view(f"S{grid.shape[1]}").ravel().tolist()] if len(values) else []
    return align([_shorten(t, precision) for t in texts])


def _shorten(text: str, precision: int | None) -> str:
    """A shortest ``text`` as the table shows it: a whole number's ``.0`` dropped; with ``precision``,
    at most that many digits after the point (of the mantissa), a cut one ending in ``…``."""
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        return _shorten(mantissa, precision) + "e" + exponent
    if text.endswith(".0"):
        return text[:-2]
    if precision is not None:
        point = text.find(".")
        if point >= 0 and len(text) - point - 1 > precision:
            return (text[:point + 1 + precision] if precision else text[:point]) + ELLIPSIS
    return text


# --- node ids -----------------------------------------------------------------

def escape_id(node_id: Any) -> str:
    """The id as the terminal may show it: control and other unprintable characters
    escaped (``\\x1b``, ``\\u200b``), so no escape sequence reaches the terminal raw."""
    text = str(node_id)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        else:
            o = ord(ch)
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
    return "".join(out)


def shorten_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, its middle replaced by ``…`` when longer."""
    if cell_len(text) <= width:
        return text
    width = max(width, 3)
    head_cells = (width - 1 + 1) // 2
    tail_cells = width - 1 - head_cells
    head, used = [], 0
    for ch in text:
        if used + cell_len(ch) > head_cells:
            break
        head.append(ch)
        used += cell_len(ch)
    tail, used = [], 0
    for ch in reversed(text):
        if used + cell_len(ch) > tail_cells:
            break
        tail.append(ch)
        used += cell_len(ch)
    return "".join(head) + ELLIPSIS + "".join(reversed(tail))


def id_width_cap(width: int) -> int:
    """The widest the node column gets before ids are shortened: a third of the line, 8 to 40 cells."""
    return max(8, min(40, width // 3))


# --- the table ----------------------------------------------------------------

@dataclass
class Layout:
    """The columns one table shows: feature positions before and after the ``…`` column."""
    head: list[int]
    tail: list[int]
    total: int
    texts: dict[int, list[str]] = field(default_factory=dict)

    @property
    def hidden(self) -> int:
        return self.total - len(self.head) - len(self.tail)


def _width(texts: list[str], k: int) -> int:
    return max(max((len(t) for t in texts), default=0), len(f"x{k}"))


def layout(x: np.ndarray, shown: list[int], precision: int | None, max_cols: int | None,
           room: int, sep: int) -> Layout:
    """Choose the feature columns of ``x`` (rows ``shown``) to show.

    ``max_cols`` None: as many as fit in ``room`` cells (the line less the node
    column), each costing its width plus ``sep``, taking the first, the last, the
    second, the second last, ...; at least one. ``max_cols`` 0: all; N: the first
    and last N between them, whatever the width.
    """
    f = x.shape[1]
    texts: dict[int, list[str]] = {}

    def text(k: int) -> list[str]:
        if k not in texts:
            texts[k] = column_texts(x[shown, k], precision)
        return texts[k]

    if max_cols is not None:
        head, tail = pick_cols(f, max_cols)
        for k in head + tail:
            text(k)
        return Layout(head, tail, f, texts)
    order = [k for pair in zip(range(f), range(f - 1, -1, -1)) for k in pair][:f]
    used, taken = 0, []
    for k in order:
        cost = _width(text(k), k) + sep
        if used + cost > room:
            break
        used += cost
        taken.append(k)
    if len(taken) < f:
        while taken and used + 1 + sep > room and len(taken) > 1:  # room for the … column
            k = taken.pop()
            used -= _width(texts[k], k) + sep
        taken = taken or [0]
        text(taken[0])
    head = sorted(taken[0::2])  # the order alternates: first, last, second, second last, ...
    tail = sorted(taken[1::2])
    if len(taken) == f:
        head, tail = list(range(f)), []
    return Layout(head, tail, f, texts)


def round_lines(x: np.ndarray, node_ids: Sequence, rows: tuple[list[int], list[int]], *,
                precision: int | None = None, max_cols: int | None = None, width: int = 80,
                box: bool = True, total_nodes: int | None = None) -> tuple[list, Layout]:
    """One round's table as lines, and the columns it shows: styled :class:`Text` lines
    for the box view, plain strings without it.

    ``rows`` are the head and tail row positions (:func:`pick_rows`); ``width``
    the line to fit (only when ``max_cols`` is None); ``box`` draws Rich's
    heavy-head box, else the columns are separated by spaces (``-o FILE.txt``).
    """
    head_rows, tail_rows = rows
    shown = head_rows + tail_rows
    total_nodes = len(node_ids) if total_nodes is None else total_nodes
    cap = id_width_cap(width) if max_cols is None else max(id_width_cap(width), 40)
    ids = [shorten_middle(escape_id(node_ids[i]), cap) for i in shown]
    id_w = max([cell_len("node")] + [cell_len(t) for t in ids])
    sep = len(ROW_SEP) if box else len(PLAIN_SEP)
    lay = layout(x, shown, precision, max_cols, width - id_w, sep)
    cols: list[int | None] = [*lay.head] + ([None] if lay.hidden else []) + [*lay.tail]
    widths = [1 if k is None else _width(lay.texts[k], k) for k in cols]

    def pad_id(t: str) -> str:
        return t + " " * (id_w - cell_len(t))

    rsep = ROW_SEP if box else PLAIN_SEP
    columns = [[ELLIPSIS] * len(shown) if k is None else [t.rjust(w) for t in lay.texts[k]]
               for k, w in zip(cols, widths)]
    rows_text = [rsep.join([pad_id(i), *cells]).rstrip() for i, *cells in zip(ids, *columns)] if columns \
        else [pad_id(i).rstrip() for i in ids]
    headers = [ELLIPSIS if k is None else f"x{k}".rjust(w) for k, w in zip(cols, widths)]
    head = (HEAD_SEP if box else PLAIN_SEP).join([pad_id("node"), *headers]).rstrip()
    more = total_nodes - len(shown)
    gap = f"{ELLIPSIS} {more:,} more node{'s' if more != 1 else ''}" if tail_rows else None
    if not box:
        lines: list = [head] + rows_text[:len(head_rows)] + ([gap] if gap else []) + rows_text[len(head_rows):]
        return lines, lay
    rule = "━" * (id_w + 1) + "".join(RULE_SEP + "━" * (w + 2) for w in widths)
    lines = [Text(head, style="bold"), Text(rule[:-1] if widths else rule)]

    def styled(line: str) -> Text:
        text = Text(line)
        text.stylize("cyan", 0, id_w)
        return text

    lines += [styled(r) for r in rows_text[:len(head_rows)]]
    if gap:
        lines.append(Text(gap, style="dim"))
        lines += [styled(r) for r in rows_text[len(head_rows):]]
    return lines, lay


def wrap_fields(fields: Sequence[str], width: int, sep: str = "; ") -> list[str]:
    """Join ``fields`` with ``sep`` into lines of at most ``width`` cells, breaking only
    between fields; a field too long for a line of its own is broken between words."""
    lines: list[str] = []
    line = ""
    mark = sep.rstrip()
    for i, f in enumerate(fields):
        candidate = f if not line else line + sep + f
        if cell_len(candidate) + len(mark) <= width or (not line and cell_len(f) <= width):
            line = candidate
            continue
        if line:
            lines.append(line + mark)
        if cell_len(f) + len(mark) <= width:
            line = f
        else:
            *whole, line = textwrap.wrap(f, max(width - len(mark), 1), break_long_words=False,
                                         break_on_hyphens=False) or [""]
            lines.extend(whole)
    if line:
        lines.append(line)
    return lines
