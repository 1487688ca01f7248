"""CSV with a header: edge files and node-feature files.

Edge file columns: ``src,dst`` or ``source,target`` (case and surrounding
spaces ignored, in any order) and optionally ``weight``. Node file: the first
column is the id whatever its header says, the others are features. Comment
lines (``#``) may come before the header; blank lines are skipped. Messages give
the file line and the data row (counted from 1 after the header).
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from ..errors import InputError
from ..graph import Graph
from .source import gc_paused
from .tables import EdgeRows, NodeTable, build_graph, build_node_table, fields

SOURCE_COLUMNS = ("src", "source")
TARGET_COLUMNS = ("dst", "target")
WEIGHT_COLUMN = "weight"
EXPECTED = "src,dst or source,target (and optionally weight)"


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of each non-blank row; comment lines before the first row are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    started = False
    try:
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if not started and cells[0].lstrip().startswith("#"):
                continue
            started = True
            yield reader.line_num, cells
    except csv.Error as e:
        hint = " (a quote is not closed?)" if "end of data" in str(e) else ""
        raise InputError(f"{source}: line {reader.line_num}: malformed CSV: {e}{hint}") from None


def read_edges(text: str, source: str) -> EdgeRows:
    """Split a CSV edge file into :class:`EdgeRows`, checking the header and field counts."""
    rows_iter = _rows(text, source)
    header_line, raw_header = next(rows_iter, (0, []))
    if not raw_header:
        raise InputError(f"{source}: the file is empty")
    header = [h.strip().lower() for h in raw_header]
    seen: dict[str, int] = {}
    for j, name in enumerate(header):
        if name in seen:
            raise InputError(f"{source}: line {header_line}: column {raw_header[j].strip()!r} appears twice in the header")
        seen[name] = j
    s = next((seen[n] for n in SOURCE_COLUMNS if n in seen), None)
    t = next((seen[n] for n in TARGET_COLUMNS if n in seen), None)
    if s is None or t is None:
        raise InputError(f"{source}: line {header_line}: the header must have {EXPECTED} columns, "
                         f"got {','.join(h.strip() for h in raw_header)}")
    known = {s, t, seen.get(WEIGHT_COLUMN, -1)}
    for j, name in enumerate(header):
        if j not in known:
            raise InputError(f"{source}: line {header_line}: unknown column {raw_header[j].strip()!r}; "
                             f"the columns are {EXPECTED}")
    w = seen.get(WEIGHT_COLUMN)
    width = len(header)
    rows = EdgeRows(source=source, data_rows=True, weight=None if w is None else [])
    src, dst, weight, lines = rows.src, rows.dst, rows.weight, rows.lines
    names = [h.strip() for h in raw_header]
    for line, cells in rows_iter:
        if len(cells) != width:
            raise InputError(f"{source}: line {line} (data row {len(lines) + 1}): {fields(len(cells))}, "
                             f"expected {width} ({','.join(names)})")
        a, b = cells[s].strip(), cells[t].strip()
        if not a or not b:
            raise InputError(f"{source}: line {line} (data row {len(lines) + 1}): "
                             f"empty {names[s] if not a else names[t]}")
        src.append(a)
        dst.append(b)
        if weight is not None:
            weight.append(cells[w].strip())
        lines.append(line)
    return rows


def load(text: str, source: str, nodes: NodeTable | None = None) -> Graph:
    """The graph of a CSV edge file (node features and order from ``nodes``)."""
    with gc_paused():
        return build_graph(read_edges(text, source), nodes)


def read_nodes(text: str, source: str) -> NodeTable:
    """A node file with a header ``id,<feature columns...>``."""
    with gc_paused():
        return _read_nodes(text, source)


def _read_nodes(text: str, source: str) -> NodeTable:
    rows_iter = _rows(text, source)
    header_line, raw_header = next(rows_iter, (0, []))
    if not raw_header:
        raise InputError(f"{source}: the file is empty")
    names = [h.strip() for h in raw_header]
    width = len(names)
    id_tokens: list[str] = []
    lines: list[int] = []
    features: list[str] = []
    for line, cells in rows_iter:
        if len(cells) != width:
            raise InputError(f"{source}: line {line} (data row {len(lines) + 1}): {fields(len(cells))}, "
                             f"expected {width} ({','.join(names)})")
        id_tokens.append(cells[0].strip())
        lines.append(line)
        features.extend(cells[1:])
    return build_node_table(source, id_tokens, lines, features, width - 1,
                            lambda j: f"column {j + 2} ({names[j + 1]!r})")
