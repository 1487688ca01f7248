"""Graphs to and from PyG ``Data`` and networkx graphs.

networkx is imported only when a networkx graph is asked for; PyG only for ``Data``.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..errors import InputError, UsageError
from ..graph import Graph

GraphLike = Any  # str | os.PathLike | Graph | torch_geometric.data.Data | networkx.Graph


def as_graph(graph: GraphLike, *, node_features: str | None = None, input_format: str | None = None) -> Graph:
    """A :class:`Graph` from a path, a Graph, a PyG ``Data`` or a networkx graph."""
    import os

    if isinstance(graph, Graph):
        return graph
    if isinstance(graph, (str, os.PathLike)):
        from . import load_graph

        return load_graph(str(graph), input_format=input_format, node_features=node_features)
    if _is_pyg_data(graph):
        return from_pyg(graph)
    if _is_networkx(graph):
        return from_networkx(graph)
    raise UsageError(f"expected a path, a gnnprop Graph, a PyG Data or a networkx graph, "
                     f"got {type(graph).__name__}", key="graph")


def _is_pyg_data(obj: Any) -> bool:
    if not (type(obj).__module__ or "").startswith("torch_geometric."):
        return False  # not imported to find out: PyG's import takes seconds
    from torch_geometric.data import Data

    return isinstance(obj, Data)


def _is_networkx(obj: Any) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith("networkx.") and hasattr(obj, "nodes") and hasattr(obj, "edges")


def _float64(t: Any, what: str, rows: int | None = None) -> torch.Tensor | None:
    if t is None:
        return None
    t = torch.as_tensor(t)
    if not (t.is_floating_point() or t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
                                                    torch.bool)):
        raise InputError(f"{what}: expected numbers, got {t.dtype}")
    t = t.detach().to("cpu", torch.float64)
    if rows is not None and t.shape[0] != rows:
        raise InputError(f"{what}: expected {rows} rows, got {t.shape[0]}")
    return t


def from_pyg(data: Any, *, node_ids: Sequence[Any] | None = None) -> Graph:
    """A :class:`Graph` from a PyG ``Data``: ``edge_index``, ``x``, ``edge_weight``,
    ``edge_attr``, ``y``; node ids from ``node_ids`` (or ``data.node_ids``), else 0..N-1."""
    source = "<PyG Data>"
    n = int(data.num_nodes) if data.num_nodes is not None else 0
    ei = data.edge_index
    if ei is None:
        ei = torch.zeros(2, 0, dtype=torch.long)
    ei = torch.as_tensor(ei).detach().to("cpu", torch.long)
    if ei.dim() != 2 or ei.shape[0] != 2:
        raise InputError(f"{source}: edge_index: expected shape [2, E], got {list(ei.shape)}")
    if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= n):
        raise InputError(f"{source}: edge_index: node indices must lie in 0..{n - 1}")
    e = ei.shape[1]
    ids = list(node_ids if node_ids is not None else getattr(data, "node_ids", None) or range(n))
    if len(ids) != n:
        raise InputError(f"{source}: node_ids: expected {n} ids, got {len(ids)}")
    x = _float64(data.x, f"{source}: x", n)
    if x is not None and x.dim() == 1:
        x = x.unsqueeze(1)
    w = _float64(getattr(data, "edge_weight", None), f"{source}: edge_weight", e)
    a = _float64(getattr(data, "edge_attr", None), f"{source}: edge_attr", e)
    if a is not None and a.dim() == 1:
        a = a.unsqueeze(1)
    y = getattr(data, "y", None)
    return Graph(ei.contiguous(), ids, x=x, edge_weight=None if w is None else w.reshape(-1), edge_attr=a,
                 y=None if y is None else y.tolist() if hasattr(y, "tolist") else y, source=source)


def to_pyg(graph: GraphLike, x: torch.Tensor | None = None):
    """A PyG ``Data`` with the graph's tensors (``x``: these features instead, e.g.
    a :class:`Result`'s ``x``); ``node_ids`` rides along as an attribute."""
    from torch_geometric.data import Data

    g = as_graph(graph)
    data = Data(x=g.x if x is None else x, edge_index=g.edge_index, num_nodes=g.num_nodes)
    if g.edge_weight is not None:
        data.edge_weight = g.edge_weight
    if g.edge_attr is not None:
        data.edge_attr = g.edge_attr
    if g.y is not None:
        data.y = torch.as_tensor(g.y)
    data.node_ids = list(g.node_ids)
    return data


def _networkx():
    try:
        import networkx
    except ImportError:
        raise UsageError("networkx is not installed (torch normally brings it): pip install networkx") \
            from None
    return networkx


def from_networkx(G: Any, *, features: str = "x", weight: str = "weight", edge_attr: str = "edge_attr") -> Graph:
    """A :class:`Graph` from a networkx graph, in ``G.nodes`` order.

    Edges come in networkx's adjacency order. Node ids that are not int or str
    become their ``str``. An undirected graph
    gets both directions of every edge (a self loop once). Node attribute
    ``features`` (a number or a list), edge attributes ``weight`` and
    ``edge_attr`` are taken when every node / edge has them; some but not all is
    an error naming the first one without.
    """
    source = "<networkx graph>"
    nodes = list(G.nodes)
    index = {v: k for k, v in enumerate(nodes)}
    ids = [v if type(v) in (int, str) else str(v) for v in nodes]
    if len(set(ids)) != len(ids):
        raise InputError(f"{source}: two nodes have the same id once written as text")
    src, dst, ws, attrs = [], [], [], []
    for u, v, d in G.edges(data=True):
        pairs = [(u, v)] if G.is_directed() or u == v else [(u, v), (v, u)]
        for a, b in pairs:
            src.append(index[a])
            dst.append(index[b])
            ws.append(d.get(weight))
            attrs.append(d.get(edge_attr))
    ei = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)

    def all_or_none(values: list, what: str, where: str):
        present = [v is not None for v in values]
        if not any(present):
            return None
        if not all(present):
            raise InputError(f"{source}: {where} {present.index(False)} has no {what!r} (others do)")
        try:
            t = torch.tensor(values, dtype=torch.float64)
        except (TypeError, ValueError):
            raise InputError(f"{source}: {what!r} must be numbers or equal-length lists of numbers") from None
        return t.unsqueeze(1) if t.dim() == 1 else t

    x = all_or_none([G.nodes[v].get(features) for v in nodes], features, "node at position")
    w = all_or_none(ws, weight, "edge")
    a = all_or_none(attrs, edge_attr, "edge")
    return Graph(ei, ids, x=x, edge_weight=None if w is None else w.reshape(-1), edge_attr=a, source=source)


def to_networkx(graph: GraphLike, x: torch.Tensor | None = None):
    """A ``networkx.DiGraph`` (``MultiDiGraph`` when edges repeat): node attribute
    ``x`` (a list; ``x=`` replaces the graph's features), edge ``weight`` and ``edge_attr``."""
    nx = _networkx()
    g = as_graph(graph)
    feats = g.x if x is None else x
    src, dst = g.edge_index.tolist()
    multi = len(set(zip(src, dst))) != len(src)
    G = nx.MultiDiGraph() if multi else nx.DiGraph()
    for k, node in enumerate(g.node_ids):
        G.add_node(node, **({} if feats is None else {"x": feats[k].tolist()}))
    w = None if g.edge_weight is None else g.edge_weight.tolist()
    a = None if g.edge_attr is None else g.edge_attr.tolist()
    for e, (s, d) in enumerate(zip(src, dst)):
        data = {}
        if w is not None:
            data["weight"] = w[e]
        if a is not None:
            data["edge_attr"] = a[e]
        G.add_edge(g.node_ids[s], g.node_ids[d], **data)
    return G


