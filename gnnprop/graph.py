"""The in-memory graph every loader produces and every command consumes.

Nodes are numbered 0..N-1 in the order the loader fixed (see ``gnnprop.io``);
``node_ids[k]`` is node k's original id (int or str) and every output names
nodes by it. Edge direction follows PyG: ``edge_index[0]`` is the source
(``x_j``), ``edge_index[1]`` the target (``x_i``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import torch

from .errors import ConfigError, InputError

NodeId = int | str


@dataclass
class Graph:
    """A loaded graph.

    Attributes:
        edge_index: ``[2, E]`` int64, row 0 = source, row 1 = target.
        node_ids: original id of each node, length ``N``.
        x: ``[N, F]`` float64 node features, or ``None`` when the file has none.
        edge_weight: ``[E]`` float64, or ``None``.
        edge_attr: ``[E, D]`` float64, or ``None``.
        y: per-node labels, kept for round-tripping, or ``None``.
        source: the file it came from (for messages).
        notes: what the loader ignored or read differently from how it was given
            (a key it does not use, say), one sentence each, for a warning.
    """

    edge_index: torch.Tensor
    node_ids: list[NodeId]
    x: torch.Tensor | None = None
    edge_weight: torch.Tensor | None = None
    edge_attr: torch.Tensor | None = None
    y: Any = None
    source: str = "<graph>"
    _index: dict[str, int] | None = field(default=None, repr=False, compare=False)
    notes: list[str] = field(default_factory=list, repr=False, compare=False)

    @property
    def num_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.shape[1])

    @property
    def num_features(self) -> int | None:
        return None if self.x is None else int(self.x.shape[1])

    def in_degree(self) -> torch.Tensor:
        """``[N]`` int64: number of incoming edges of each node."""
        return torch.bincount(self.edge_index[1], minlength=self.num_nodes)

    def lookup(self, node: str | int) -> int:
        """Position of the node whose id, written as text, is ``str(node)``.

        Raises :class:`InputError` naming the id and, where there are few, the valid ones.
        """
        if self._index is None:
            self._index = {str(i): k for k, i in enumerate(self.node_ids)}
        key = str(node)
        if key in self._index:
            return self._index[key]
        ids = [str(i) for i in self.node_ids]
        if len(ids) <= 20:
            hint = f"; the nodes are: {', '.join(ids)}"
        else:
            import difflib

            near = difflib.get_close_matches(key, ids, n=5, cutoff=0.6)
            hint = f"; nearby ids: {', '.join(near)}" if near else f" ({len(ids)} nodes)"
        raise InputError(f"{self.source}: no node with id {key!r}{hint}")


@dataclass
class DeviceGraph:
    """The graph's tensors on the run's device and dtype (what a round computes on)."""

    edge_index: torch.Tensor
    edge_weight: torch.Tensor | None
    num_nodes: int
    edge_attr: torch.Tensor | None = None

    def is_simple(self) -> bool:
        """No self loops and no duplicate edges."""
        src, dst = self.edge_index
        if bool((src == dst).any()):
            return False
        return int(torch.unique(src * max(self.num_nodes, 1) + dst).numel()) == src.numel()


def with_reverse_edges(g: Graph) -> Graph:
    """Add the reverse of every edge that lacks one (weights and attributes copied).

    Self loops are their own reverse. Runs in O(E log E), vectorised.
    """
    if g.num_edges == 0:
        return g
    src, dst = g.edge_index
    n = max(g.num_nodes, 1)
    key = src * n + dst
    rkey = dst * n + src
    present = torch.isin(rkey, key)
    add = ~present
    if not bool(add.any()):
        return g
    new_ei = torch.cat([g.edge_index, torch.stack([dst[add], src[add]])], dim=1)
    ew = None if g.edge_weight is None else torch.cat([g.edge_weight, g.edge_weight[add]])
    ea = None if g.edge_attr is None else torch.cat([g.edge_attr, g.edge_attr[add]])
    return replace(g, edge_index=new_ei, edge_weight=ew, edge_attr=ea)


def with_default_features(g: Graph, kind: str, dim: int | None, seed: int) -> Graph:
    """Give a feature-less graph features (``ones``, ``degree``, ``onehot``, ``random``)."""
    if g.x is not None:
        return g
    n = g.num_nodes
    if kind == "ones":
        x = torch.ones(n, dim or 1, dtype=torch.float64)
    elif kind == "degree":
        if dim not in (None, 1):
            raise ConfigError(f"the degree feature has width 1, got {dim}", key="graph.feature_dim")
        x = g.in_degree().to(torch.float64).unsqueeze(1)
    elif kind == "onehot":
        if dim not in (None, n):
            raise ConfigError(f"onehot features have width = number of nodes ({n}), got {dim}", key="graph.feature_dim")
        if n > 20_000:
            raise ConfigError(f"onehot on {n} nodes would need an {n} x {n} matrix; "
                              "use ones, degree or random", key="graph.features")
        x = torch.eye(n, dtype=torch.float64)
    elif kind == "random":
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(n, dim or 16, generator=gen, dtype=torch.float64)
    else:  # pragma: no cover - config validation resolves the name
        raise ConfigError(f"unknown feature initialiser {kind!r}", key="graph.features")
    return replace(g, x=x)


@dataclass
class GraphReport:
    num_nodes: int
    num_edges: int
    num_features: int | None
    isolated_nodes: int
    self_loops: int
    duplicate_edges: int
    has_edge_weight: bool
    has_edge_attr: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def report(g: Graph) -> GraphReport:
    """Counts for ``gnnprop validate``: isolated nodes have no edge in or out."""
    src, dst = g.edge_index
    touched = torch.zeros(g.num_nodes, dtype=torch.bool)
    touched[src] = True
    touched[dst] = True
    n = max(g.num_nodes, 1)
    dupes = g.num_edges - int(torch.unique(src * n + dst).numel()) if g.num_edges else 0
    return GraphReport(
        num_nodes=g.num_nodes,
        num_edges=g.num_edges,
        num_features=g.num_features,
        isolated_nodes=int((~touched).sum()),
        self_loops=int((src == dst).sum()),
        duplicate_edges=dupes,
        has_edge_weight=g.edge_weight is not None,
        has_edge_attr=g.edge_attr is not None,
    )
