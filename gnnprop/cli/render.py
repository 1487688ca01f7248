"""Rich views of node features: one table per round, numbers aligned on the point."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.table import Table
from rich.text import Text

from ..output.numbers import format_number


def pick_rows(n: int, max_rows: int) -> tuple[list[int], list[int]]:
    """Head and tail positions to show when there are more than ``max_rows`` nodes."""
    if max_rows <= 0 or n <= max_rows:
        return list(range(n)), []
    head = (max_rows + 1) // 2
    tail = max_rows - head
    return list(range(head)), list(range(n - tail, n))


def pick_cols(f: int, max_cols: int) -> tuple[list[int], list[int]]:
    if max_cols <= 0 or f <= max_cols:
        return list(range(f)), []
    head = (max_cols + 1) // 2
    return list(range(head)), list(range(f - (max_cols - head), f))


def align(values: Sequence[str]) -> list[str]:
    """Pad decimal strings to one width so their points line up in a left-justified column.

    Scientific and non-finite values are right-aligned to the same width.
    """
    def plain(v: str) -> bool:
        return "e" not in v and v not in ("nan", "inf", "-inf")

    frac = max(((len(v) - v.index(".")) if "." in v else 0) for v in values if plain(v)) if values else 0
    padded = [v + " " * (frac - ((len(v) - v.index(".")) if "." in v else 0)) if plain(v) else v for v in values]
    width = max((len(v) for v in padded), default=0)
    return [v.rjust(width) for v in padded]


def round_table(x: np.ndarray, node_ids: Sequence, rows: tuple[list[int], list[int]],
                precision: int, max_cols: int, total_nodes: int) -> Table:
    head, tail = rows
    f = x.shape[1]
    cols_head, cols_tail = pick_cols(f, max_cols)
    cols = cols_head + cols_tail
    shown = head + tail
    texts = {k: align([format_number(v, precision) for v in x[shown, k].tolist()]) for k in cols}
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("node", justify="left", style="cyan", no_wrap=True)

    def column(k: int) -> None:
        width = max(len(texts[k][0]) if texts[k] else 0, len(f"x{k}"))
        table.add_column(Text(f"x{k}".rjust(width)), justify="left", no_wrap=True)

    for k in cols_head:
        column(k)
    if cols_tail:
        table.add_column("…", justify="center", no_wrap=True)
        for k in cols_tail:
            column(k)

    def add(i: int, pos: int) -> None:
        cells = [texts[k][pos].rjust(len(f"x{k}")) for k in cols_head]
        if cols_tail:
            cells += ["…"] + [texts[k][pos].rjust(len(f"x{k}")) for k in cols_tail]
        table.add_row(Text(str(node_ids[i])), *cells)
    for pos, i in enumerate(head):
        add(i, pos)
    if tail:
        more = total_nodes - len(shown)
        table.add_row(Text(f"… {more} more node{'s' if more != 1 else ''}", style="dim"),
                      *([""] * (len(cols) + (1 if cols_tail else 0))))
        for pos, i in enumerate(tail, start=len(head)):
            add(i, pos)
    return table
