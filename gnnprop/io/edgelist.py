"""Whitespace-separated text: edge lists and node-feature files.

Edge list: one edge per line, ``src dst``, ``src dst weight`` or
``src dst weight a1 a2 ...`` (fields 4 and on are the edge attributes); blank
lines and lines starting with ``#`` or ``%`` are skipped. Every data line has
the same number of fields, so every edge has a weight or none does, and all
have the same attributes. Node file: ``id f1 f2 ...`` per line, no header, same
width throughout. Lines in messages are 1-based file lines, comments included.
"""

from __future__ import annotations

from itertools import chain

from ..errors import InputError
from ..graph import Graph
from . import bulk
from .source import COMMENT_CHARS, data_lines, gc_paused
from .tables import EdgeArrays, EdgeRows, NodeTable, build_graph, build_node_table, build_node_table_bulk, fields

LAYOUT = "source target [weight [edge attributes...]]"


def layout(width: int) -> str:
    """What a line of ``width`` fields holds: ``"source target weight and 2 edge attributes"``."""
    if width == 2:
        return "source target"
    if width == 3:
        return "source target weight"
    n = width - 3
    return f"source target weight and {n} edge attribute{'s' if n > 1 else ''}"


def read_edges(text: str, source: str) -> EdgeRows:
    """Split an edge list into :class:`EdgeRows`, checking field counts."""
    lines, rows = data_lines(text)
    width = len(rows[0]) if rows else 2
    if set(map(len, rows)) - {width} or width < 2:
        for line, row in zip(lines, rows):
            n = len(row)
            if n < 2:
                comma = ("; fields are separated by whitespace, not commas (a comma-separated file is read "
                         "as CSV, with a header line src,dst)") if n == 1 and "," in row[0] else ""
                raise InputError(f"{source}: line {line}: {fields(n)}, expected 2 or more ({LAYOUT}){comma}")
            if n != width:
                raise InputError(f"{source}: line {line}: {fields(n)}, expected {width} as on line {lines[0]} "
                                 f"({layout(width)}; every line has the same number of fields)")
    edges = EdgeRows(source=source, src=[f[0] for f in rows], dst=[f[1] for f in rows], lines=lines)
    if width > 2:
        edges.has_weight = True
        edges.value_names = ["weight"] + [f"edge attribute {j - 2} (column {j + 1})" for j in range(3, width)]
        # weight and attributes of each line, row-major; one column needs no flattening
        edges.values = [f[2] for f in rows] if width == 3 else list(chain.from_iterable(f[2:] for f in rows))
    return edges


def _first_data_line(data: bytes, start: int) -> tuple[int, int] | None:
    """``(offset, number of fields)`` of the first line that is not blank or a comment."""
    for offset, line in bulk.lines_from(data, start):
        row = line.decode("ascii").split()
        if row and row[0][0] not in COMMENT_CHARS:
            return offset, len(row)
    return None


def scan(data: bytes) -> EdgeArrays | None:
    """The edges of an edge list read in bulk (:mod:`.bulk`), or ``None``: then read it exactly."""
    start = bulk.ascii_text(data)
    first = None if start is None else _first_data_line(data, start)
    if first is None or first[1] < 2:
        return None
    offset, width = first
    columns = bulk.read(data, offset, width, [0, 1], list(range(2, width)), csv=False)
    if columns is None:
        return None
    return EdgeArrays(ids=columns.ids, values=columns.values, has_weight=width > 2)


def scan_nodes(data: bytes, source: str) -> NodeTable | None:
    """A node file read in bulk (:mod:`.bulk`): integer ids and numeric features; else ``None``."""
    start = bulk.ascii_text(data)
    first = None if start is None else _first_data_line(data, start)
    if first is None:
        return None
    offset, width = first
    columns = bulk.read(data, offset, width, [0], list(range(1, width)), csv=False)
    return None if columns is None else build_node_table_bulk(source, columns.ids[0], columns.values)


def load(text: str, source: str, nodes: NodeTable | None = None) -> Graph:
    """The graph of an edge-list file (node features and order from ``nodes``)."""
    with gc_paused():
        return build_graph(read_edges(text, source), nodes)


def read_nodes(text: str, source: str) -> NodeTable:
    """A node file ``id f1 f2 ...`` without header."""
    with gc_paused():
        lines, rows = data_lines(text)
        if len(set(map(len, rows))) > 1:
            width = len(rows[0])
            for line, row in zip(lines, rows):
                if len(row) != width:
                    raise InputError(f"{source}: line {line}: {fields(len(row))}, expected {width} "
                                     f"(an id and {width - 1} features, as on line {lines[0]})")
        width = len(rows[0]) - 1 if rows else 0
        features = [value for row in rows for value in row[1:]]
        return build_node_table(source, [f[0] for f in rows], lines, features, width,
                                lambda j: f"column {j + 2}")
