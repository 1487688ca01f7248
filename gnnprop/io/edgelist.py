"""Whitespace-separated text: edge lists and node-feature files.

Edge list: one edge per line, ``src dst`` or ``src dst weight``; blank lines
and lines starting with ``#`` or ``%`` are skipped. Every line has a weight or
none does. Node file: ``id f1 f2 ...`` per line, no header, same width
throughout. Lines in messages are 1-based file lines, comments included.
"""

from __future__ import annotations

from ..errors import InputError
from ..graph import Graph
from .source import data_lines, gc_paused
from .tables import EdgeRows, NodeTable, build_graph, build_node_table, fields


def read_edges(text: str, source: str) -> EdgeRows:
    """Split an edge list into :class:`EdgeRows`, checking field counts."""
    lines, rows = data_lines(text)
    widths = set(map(len, rows))
    if len(widths) > 1 or not widths <= {2, 3}:
        width = len(rows[0])
        for line, row in zip(lines, rows):
            n = len(row)
            if n not in (2, 3):
                raise InputError(f"{source}: line {line}: {fields(n)}, "
                                 "expected 2 (source target) or 3 (source target weight)")
            if n != width:
                raise InputError(f"{source}: line {line}: {fields(n)}, expected {width} as on line "
                                 f"{lines[0]} (every line has a weight or none does)")
    return EdgeRows(
        source=source,
        src=[f[0] for f in rows],
        dst=[f[1] for f in rows],
        weight=[f[2] for f in rows] if widths == {3} else None,
        lines=lines,
    )


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
