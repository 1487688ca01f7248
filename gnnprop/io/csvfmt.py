"""CSV with a header: edge files and node-feature files.

Edge file columns: ``src,dst`` or ``source,target`` (case and surrounding
spaces ignored, in any order), optionally ``weight``, and any other columns
are edge attributes, in header order (``src,dst,weight,len,cost`` gives each
edge a weight and a 2-wide ``edge_attr``); every cell of those must be a finite
number. Node file: the first column is the id whatever its header says, the
others are features. Comment lines (``#``) may come before the header; blank
lines are skipped. Messages give the file line and the data row (counted from 1
after the header).
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
EXPECTED = "src,dst or source,target columns (any others are an optional weight and edge attributes)"


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
    names = [h.strip() for h in raw_header]
    at = f"{source}: line {header_line}"
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        first = seen.setdefault(name.lower(), j)
        if first != j and name:
            raise InputError(f"{at}: column {name!r} appears twice in the header")
    s = next((seen[n] for n in SOURCE_COLUMNS if n in seen), None)
    t = next((seen[n] for n in TARGET_COLUMNS if n in seen), None)
    if s is None or t is None:
        raise InputError(f"{at}: the header must have {EXPECTED}, got {','.join(names)}")
    for group in (SOURCE_COLUMNS, TARGET_COLUMNS):
        both = [names[j] for j in sorted(seen[n] for n in group if n in seen)]
        if len(both) > 1:
            raise InputError(f"{at}: the header has both {both[0]!r} and {both[1]!r} columns; keep one")
    if "" in names:
        raise InputError(f"{at}: column {names.index('') + 1} has no name in the header ({','.join(names)}); "
                         "name every column (columns other than src, dst and weight are edge attributes)")
    w = seen.get(WEIGHT_COLUMN)
    attr = [j for j in range(len(names)) if j not in (s, t, w)]
    numeric = attr if w is None else [w] + attr  # weight first, then the attributes in header order
    rows = EdgeRows(source=source, data_rows=True, has_weight=w is not None)
    rows.value_names = [WEIGHT_COLUMN] if w is not None else []
    rows.value_names += [f"edge attribute {names[j]!r} (column {j + 1})" for j in attr]
    src, dst, values, lines = rows.src, rows.dst, rows.values, rows.lines
    width = len(names)
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
        if numeric:
            values += [cells[j].strip() for j in numeric]
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
