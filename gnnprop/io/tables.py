"""What the text readers (CSV, edge list) share: raw rows in, a :class:`Graph` out.

A reader's exact path splits its file into :class:`EdgeRows` (tokens plus the
line each came from) or a :class:`NodeTable`; its bulk path (:mod:`.bulk`)
gives :class:`EdgeArrays`, ids and numbers already parsed. Ids, numbers and
node order are resolved here, vectorised, the same way for both.

The numbers of all edges (per edge its weight, then its edge attributes in
file order) travel as one row-major list of tokens and are converted in one
pass, so an error names the first bad value, edge by edge in file order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from ..errors import InputError
from ..graph import Graph, NodeId
from . import ids


@dataclass
class EdgeRows:
    """Edges as read from a text file, before ids and numbers are resolved.

    ``lines[i]`` is the file line of edge ``i``; for CSV (``data_rows``) messages
    also give the data row, counted from 1 after the header.

    ``values`` holds the numeric cells of every edge, row-major: edge ``i`` owns
    ``values[i * K:(i + 1) * K]`` where ``K = len(value_names)``. When
    ``has_weight`` the first of them is the edge weight, the rest are the edge
    attributes in file order. ``value_names[j]`` names column ``j`` in messages.
    """

    source: str
    src: list[str] = field(default_factory=list)
    dst: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    data_rows: bool = False
    values: list[str] = field(default_factory=list)
    value_names: list[str] = field(default_factory=list)
    has_weight: bool = False

    def where(self, i: int) -> str:
        """Message prefix for edge ``i``: ``file: line 8`` or ``file: line 8 (data row 7)``."""
        row = f" (data row {i + 1})" if self.data_rows else ""
        return f"{self.source}: line {self.lines[i]}{row}"


@dataclass
class EdgeArrays:
    """Edges read in bulk: ``ids [2, E]`` int64 (source and target ids as written)
    and ``values [E, K]`` float64 (the weight first when ``has_weight``, then the
    edge attributes in file order)."""

    ids: np.ndarray
    values: np.ndarray
    has_weight: bool


@dataclass
class NodeTable:
    """The nodes of a node-feature file: it fixes the node set and order.

    ``int_index`` is ``(ids, positions)`` int64 of the integer ids, when the
    bulk reader already has them (else :func:`ids.int_keys` derives them from ``index``).
    """

    source: str
    node_ids: list[NodeId]
    x: torch.Tensor | None
    index: dict[NodeId, int] | None  # None: built on first use (:meth:`id_index`)
    int_index: tuple[np.ndarray, np.ndarray] | None = None

    def id_index(self) -> dict[NodeId, int]:
        """``id -> position`` of every node (built once, when first asked for)."""
        if self.index is None:
            self.index = dict(zip(self.node_ids, range(len(self.node_ids))))
        return self.index


def fields(n: int) -> str:
    """``"1 field"``, ``"3 fields"``."""
    return f"{n} field" if n == 1 else f"{n} fields"


def to_floats(tokens: Sequence[str], where: Callable[[int], str]) -> np.ndarray:
    """``[len(tokens)]`` float64 of the tokens; a non-number or non-finite one is an error.

    ``where(k)`` is the message prefix for token ``k``, place and value name
    (``"e.csv: line 3 (data row 2): weight"``); it is only computed for an error.
    """
    try:
        values = np.fromiter(map(float, tokens), dtype=np.float64, count=len(tokens))
    except ValueError:
        for k, token in enumerate(tokens):
            try:
                float(token)
            except ValueError:
                raise InputError(f"{where(k)}: expected a number, got {token!r}") from None
        raise  # pragma: no cover - the loop finds the token map(float) failed on
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"{where(k)}: expected a finite number, got {tokens[k]!r}")
    return values


def build_node_table(source: str, id_tokens: list[str], lines: list[int], features: list[str],
                     width: int, column: Callable[[int], str]) -> NodeTable:
    """A :class:`NodeTable` from node ids and their features (``width`` per node, row-major).

    ``column(j)`` names feature column ``j`` in messages.
    """
    if not id_tokens:
        raise InputError(f"{source}: has no nodes")
    index: dict[NodeId, int] = {}
    for k, token in enumerate(id_tokens):
        value = ids.parse_token(token)
        if not token or (type(value) is int and not ids.fits_int64(value)):
            ids.check_token_id(token, f"{source}: line {lines[k]}")
        first = index.setdefault(value, k)
        if first != k:
            raise InputError(f"{source}: line {lines[k]}: duplicate node id {ids.show_id(value)} "
                             f"(first on line {lines[first]})")
    x = None
    if width:
        def where(k: int) -> str:
            return f"{source}: line {lines[k // width]}, {column(k % width)}: feature"

        values = to_floats(features, where)
        x = torch.from_numpy(values.reshape(len(id_tokens), width))
    return NodeTable(source=source, node_ids=list(index), x=x, index=index)


def build_node_table_bulk(source: str, node_ids: np.ndarray, features: np.ndarray) -> NodeTable | None:
    """A :class:`NodeTable` from int64 ids and their float64 features ``[N, F]`` read in bulk.

    ``None`` when there are no nodes or an id comes twice: the exact path says where.
    """
    _, distinct = ids.rank_ints(node_ids)
    if not len(node_ids) or len(distinct) != len(node_ids):
        return None
    id_list: list[NodeId] = node_ids.tolist()
    return NodeTable(source=source, node_ids=id_list, x=torch.from_numpy(features) if features.shape[1] else None,
                     index=None,
                     int_index=(node_ids, np.arange(len(node_ids), dtype=np.int64)))


def build_graph(rows: EdgeRows, nodes: NodeTable | None) -> Graph:
    """Resolve ids (against ``nodes`` when given), weights and edge attributes of ``rows``."""
    n_edges = len(rows.src)
    tokens: list[str] = [""] * (2 * n_edges)  # file order, src and dst of each edge in turn
    tokens[0::2] = rows.src
    tokens[1::2] = rows.dst

    def where(k: int) -> str:
        return rows.where(k // 2)

    if nodes is None:
        position, node_ids = ids.index_tokens(tokens, where)
        x = None
    else:
        position = ids.index_tokens_in(tokens, nodes.id_index(), where, nodes.source)
        node_ids, x = nodes.node_ids, nodes.x
    if not node_ids:
        raise InputError(f"{rows.source}: has no edges and no nodes")
    weight, attr = edge_values(rows)
    return Graph(
        edge_index=torch.from_numpy(np.ascontiguousarray(position.reshape(n_edges, 2).T)),
        node_ids=node_ids,
        x=x,
        edge_weight=weight,
        edge_attr=attr,
        source=rows.source,
    )


def build_graph_bulk(edges: EdgeArrays, source: str, nodes: NodeTable | None) -> Graph | None:
    """The graph of ``edges`` as :func:`build_graph` makes it from the same file's rows.

    ``None`` when an id is not in the node table: the exact path then says where.
    """
    if nodes is None:
        position, distinct = ids.rank_ints(edges.ids)
        node_ids: list[NodeId] = distinct.tolist()
        x = None
    else:
        keys = nodes.int_index if nodes.int_index is not None else ids.int_keys(nodes.id_index())
        position, hit = ids.lookup_ints(edges.ids, *keys)
        if not hit.all():
            return None
        node_ids, x = nodes.node_ids, nodes.x
    if not node_ids:
        return None
    values = edges.values
    first = 1 if edges.has_weight else 0
    return Graph(
        edge_index=torch.from_numpy(np.ascontiguousarray(position)),
        node_ids=node_ids,
        x=x,
        edge_weight=torch.from_numpy(values[:, 0].copy()) if edges.has_weight else None,
        edge_attr=torch.from_numpy(np.ascontiguousarray(values[:, first:])) if values.shape[1] > first else None,
        source=source,
    )


def edge_values(rows: EdgeRows) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """``(edge_weight [E], edge_attr [E, D])`` float64 of ``rows``, each ``None`` when absent."""
    width = len(rows.value_names)
    if not width:
        return None, None
    names = rows.value_names

    def where(k: int) -> str:
        return f"{rows.where(k // width)}: {names[k % width]}"

    table = to_floats(rows.values, where).reshape(len(rows.src), width)
    first = 1 if rows.has_weight else 0
    weight = torch.from_numpy(table[:, 0].copy()) if rows.has_weight else None
    attr = torch.from_numpy(np.ascontiguousarray(table[:, first:])) if width > first else None
    return weight, attr
