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
from . import bulk
from .source import gc_paused
from .tables import EdgeArrays, EdgeRows, NodeTable, build_graph, build_node_table, build_node_table_bulk, fields

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


def _columns(names: list[str], at: str, table: bool = False) -> tuple[int, int, int | None, list[int]]:
    """``(src, dst, weight or None, attribute columns)`` of a stripped edge-file header, or of a
    table's column names (``table``: Parquet, which has no header line to add).

    A header without source and target, or with a column twice or unnamed, is an
    :class:`InputError` prefixed with ``at`` (``"e.csv: line 1"``).
    """
    where = "the table" if table else "the header"
    seen: dict[str, int] = {}
    for j, name in enumerate(names):
        first = seen.setdefault(name.lower(), j)
        if first != j and name:
            raise InputError(f"{at}: column {name!r} appears twice in {where}")
    s = next((seen[n] for n in SOURCE_COLUMNS if n in seen), None)
    t = next((seen[n] for n in TARGET_COLUMNS if n in seen), None)
    if s is None or t is None:
        if table:
            raise InputError(f"{at}: the table must have {EXPECTED}, got {','.join(names) or 'no columns'}; "
                             "name its id columns src and dst")
        raise InputError(f"{at}: the header must have {EXPECTED}, got {','.join(names)}{_headerless_hint(names)}")
    for group in (SOURCE_COLUMNS, TARGET_COLUMNS):
        both = [names[j] for j in sorted(seen[n] for n in group if n in seen)]
        if len(both) > 1:
            raise InputError(f"{at}: {where} has both {both[0]!r} and {both[1]!r} columns; keep one")
    if "" in names:
        raise InputError(f"{at}: column {names.index('') + 1} has no name in {where} ({','.join(names)}); "
                         "name every column (columns other than src, dst and weight are edge attributes)")
    w = seen.get(WEIGHT_COLUMN)
    return s, t, w, [j for j in range(len(names)) if j not in (s, t, w)]


def _headerless_hint(names: list[str]) -> str:
    """When the first line may be data (``0,1``): the header line to add above it."""
    if len(names) < 2 or not names[0] or not names[1] or not all(_number(n) for n in names[2:]):
        return ""
    header = ["src", "dst"] + (["weight"] if len(names) > 2 else []) + [f"a{k}" for k in range(1, len(names) - 2)]
    looks = "that line looks like an edge" if _number(names[0]) and _number(names[1]) else "if that line is an edge"
    return f"; {looks}, add a header line above it: {','.join(header)}"


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_edges(text: str, source: str) -> EdgeRows:
    """Split a CSV edge file into :class:`EdgeRows`, checking the header and field counts."""
    rows_iter = _rows(text, source)
    header_line, raw_header = next(rows_iter, (0, []))
    if not raw_header:
        raise InputError(f"{source}: the file is empty")
    names = [h.strip() for h in raw_header]
    s, t, w, attr = _columns(names, f"{source}: line {header_line}")
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


def _header(data: bytes, start: int) -> tuple[list[str], int] | None:
    """The stripped header cells and where the data lines start, for :func:`scan`.

    Comment and blank lines before the header are skipped as :func:`_rows` skips
    them; ``None`` for a head that only the csv module can read (quotes, stray CRs).
    """
    for offset, line in bulk.lines_from(data, start):
        text = line.decode("ascii").removesuffix("\r")
        if not text.replace("\t", " ").isprintable() or '"' in text:
            return None
        blank = "," not in text and not text.strip()
        if blank or text.lstrip().startswith("#"):
            continue
        return [cell.strip() for cell in text.split(",")], offset + len(line) + 1
    return None


def scan(data: bytes) -> EdgeArrays | None:
    """The edges of a CSV edge file read in bulk (:mod:`.bulk`), or ``None``: then read it exactly."""
    start = bulk.ascii_text(data)
    head = None if start is None else _header(data, start)
    if head is None:
        return None
    names, body = head
    try:
        s, t, w, attr = _columns(names, "")
    except InputError:
        return None
    numeric = attr if w is None else [w] + attr
    columns = bulk.read(data, body, len(names), [s, t], numeric, csv=True)
    if columns is None:
        return None
    return EdgeArrays(ids=columns.ids, values=columns.values, has_weight=w is not None)


def scan_nodes(data: bytes, source: str) -> NodeTable | None:
    """A node file read in bulk (:mod:`.bulk`): integer ids and numeric features; else ``None``."""
    start = bulk.ascii_text(data)
    head = None if start is None else _header(data, start)
    if head is None:
        return None
    names, body = head
    columns = bulk.read(data, body, len(names), [0], list(range(1, len(names))), csv=True)
    return None if columns is None else build_node_table_bulk(source, columns.ids[0], columns.values)


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
