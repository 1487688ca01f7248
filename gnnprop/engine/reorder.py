"""Node orders for locality: renumber the nodes once so that a round's gathers hit the cache.

A fused round reads, for every edge, the row of ``x`` of its source. On a graph
whose rows do not fit in the cache, the order of the node ids decides how many of
those reads come from memory. Real graphs (citation, social, web) have hubs and
communities; numbering the hubs together, or neighbours near each other, turns
random reads into cached ones. A random graph has nothing to exploit.

Pure functions of ``edge_index [2, E]`` (int64, numpy) and ``n``; each returns
``order [n]`` int64, ``order[k]`` = the node placed at position ``k``:

* :func:`degree_order`: by degree (in + out), highest first: the hot rows together;
* :func:`bfs_order`: breadth-first from the highest-degree node over the
  symmetrised graph, level by level, each node after the first of its
  neighbours placed before it: neighbours near each other;
* :func:`rcm_order`: reverse Cuthill-McKee (the same search, from a
  pseudo-peripheral node, each node's new neighbours by increasing degree, the
  whole order reversed): the classic bandwidth-reducing order.

Nodes the search does not reach (other components, isolated nodes) follow in
degree order. :func:`choose` picks an order (``auto``: only where it pays, which
on every graph measured so far is nowhere) and :func:`apply` runs a kernel in it:
gnnprop's own kinds run only their sparse reductions in the new order, bit for bit
the rounds of the file's order; PyG's layers run whole rounds on the renumbered rows
(:class:`ReorderedKernel`), where their matrix products may round differently in the
last bits (the bound, measured, is in :data:`ROWS`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

def degrees(edge_index: np.ndarray, n: int) -> np.ndarray:
    """``[n]`` int64: in-degree + out-degree."""
    return np.bincount(edge_index.ravel(), minlength=n).astype(np.int64)


def degree_order(edge_index: np.ndarray, n: int) -> np.ndarray:
    """Nodes by degree, highest first (ties: lower id first)."""
    return np.argsort(-degrees(edge_index, n), kind="stable")


def symmetric_csr(edge_index: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(indptr [n+1], indices)``: both directions of every edge, grouped by node (self loops dropped)."""
    src, dst = edge_index
    keep = src != dst
    a = np.concatenate([src[keep], dst[keep]])
    b = np.concatenate([dst[keep], src[keep]])
    by = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    return indptr, b[by]


def _search(indptr: np.ndarray, indices: np.ndarray, start: int, visited: np.ndarray,
            by_degree: bool) -> list[np.ndarray]:
    """Breadth-first levels from ``start``: each level's nodes in the order of the first
    node of the previous level that reaches them (Cuthill-McKee's queue order, one
    level at a time); ``by_degree``: a parent's new neighbours by increasing degree."""
    degree = np.diff(indptr)
    frontier = np.array([start], np.int64)
    visited[start] = True
    levels = [frontier]
    while frontier.size:
        counts = degree[frontier]
        total = int(counts.sum())
        if not total:
            break
        parent = np.repeat(np.arange(frontier.size), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        reached = indices[np.repeat(indptr[frontier], counts) + offsets]
        new = ~visited[reached]
        reached, parent = reached[new], parent[new]
        if not reached.size:
            break
        if by_degree:
            sort = np.lexsort((reached, degree[reached], parent))
            reached, parent = reached[sort], parent[sort]
        _, first = np.unique(reached, return_index=True)  # a node goes with its first parent
        first.sort()
        frontier = reached[first]
        visited[frontier] = True
        levels.append(frontier)
    return levels


def _rest(order_parts: list[np.ndarray], visited: np.ndarray, deg: np.ndarray) -> np.ndarray:
    rest = np.flatnonzero(~visited)
    rest = rest[np.argsort(-deg[rest], kind="stable")]
    return np.concatenate(order_parts + [rest]).astype(np.int64)


def bfs_order(edge_index: np.ndarray, n: int) -> np.ndarray:
    """Breadth-first from the highest-degree node; unreached nodes after, by degree."""
    if not n:
        return np.zeros(0, np.int64)
    indptr, indices = symmetric_csr(edge_index, n)
    deg = np.diff(indptr)
    visited = np.zeros(n, bool)
    return _rest(_search(indptr, indices, int(np.argmax(deg)), visited, by_degree=False), visited, deg)


def rcm_order(edge_index: np.ndarray, n: int) -> np.ndarray:
    """Reverse Cuthill-McKee from a pseudo-peripheral node of the highest-degree node's component.

    The start is found as George and Liu do, once: a lowest-degree node of the
    last level of a search from the hub. Unreached nodes come first (the order is
    reversed), by increasing degree.
    """
    if not n:
        return np.zeros(0, np.int64)
    indptr, indices = symmetric_csr(edge_index, n)
    deg = np.diff(indptr)
    probe = _search(indptr, indices, int(np.argmax(deg)), np.zeros(n, bool), by_degree=False)
    last = probe[-1]
    start = int(last[np.argmin(deg[last])])
    visited = np.zeros(n, bool)
    return _rest(_search(indptr, indices, start, visited, by_degree=True), visited, deg)[::-1].copy()


ORDER_FUNCTIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "degree": degree_order, "bfs": bfs_order, "rcm": rcm_order,
}


#: What a node order does to the rounds where it runs inside the reductions (gnnprop's own kinds).
EXACT = "bit-identical: only the sparse reductions run in this order, each node's in-edges in the same order"
#: The measured bound of :data:`ROWS`, in units of the run's dtype's machine epsilon (docs/exactness.md).
ROWS_BOUND_EPS = 4
#: ... and where the layer's own dense work sees the rows in the new order (PyG's layers).
ROWS = ("the layer's matrix products run on the rows in this order and may round differently: the rounds "
        f"stay normwise within {ROWS_BOUND_EPS} machine epsilons of the file's order's (measured)")


@dataclass
class Choice:
    """The order a run takes: its name (``none`` or a key of :data:`ORDER_FUNCTIONS`),
    ``order`` (``None`` for none), what it does to the results or why none was taken (``why``),
    how long choosing and computing it took, and whether the rounds are bit for bit those of the
    file's order (``exact``: ``None`` when no order runs)."""

    name: str
    order: np.ndarray | None
    why: str
    seconds: float
    exact: bool | None = None


def choose(kind: str, edge_index: np.ndarray, n: int) -> Choice:
    """The order for ``reorder: kind`` on this graph.

    ``auto`` is ``none``: measured on R-MAT graphs (2^19 nodes / 5 M edges and
    2^20 / 10 M, hubs holding half the edges) and on uniform ones, no order made
    a fused round faster on the machines measured (the README has the figures),
    because a round there is bound by the work per gathered row, not by where the
    row is in memory. The explicit orders stay, to measure on other machines.
    """
    t0 = time.perf_counter()
    if kind == "none":
        return Choice("none", None, "the file's order, as asked", 0.0)
    if kind == "auto":
        return Choice("none", None, "auto: no order has paid in the measurements", 0.0)
    order = ORDER_FUNCTIONS[kind](edge_index, n)
    return Choice(kind, order, "asked for", time.perf_counter() - t0)


def apply(kind: str, kernel: Any, edge_index: torch.Tensor, n: int, device: torch.device) -> tuple[Any, Choice]:
    """``kernel`` in the order ``reorder: kind`` asks for, and the choice made.

    - gnnprop's own kinds on the fused engine: the order runs inside the sparse reductions
      (:func:`gnnprop.engine.csr.build_adjacency`), so the rounds are bit for bit the file order's;
    - PyG's layers on the fused engine: the whole round runs on the renumbered rows
      (:class:`ReorderedKernel`); their matrix products may then round differently, within
      :data:`ROWS_BOUND_EPS` machine epsilons normwise (measured);
    - the reference engine is never reordered (it gathers per edge in the edge list's order anyway):
      the choice says so.
    """
    if kernel.name == "reference" and kind not in ("none", "auto"):
        return kernel, Choice("none", None, f"{kind} not applied: the reference engine computes per edge, "
                                            "in the edge list's order", 0.0)
    choice = choose(kind, edge_index.cpu().numpy(), n)
    if choice.order is None:
        return kernel, choice
    if getattr(kernel, "reorders_exactly", False):
        kernel.order = torch.from_numpy(choice.order).to(device)
        choice.exact, choice.why = True, EXACT
        if torch.device(device).type != "cpu":  # the CPU's sparse sums add a row's terms in order; cuSPARSE's
            choice.exact, choice.why = None, f"{EXACT}; bit-identical on the CPU, not measured on {device}"
        return kernel, choice
    choice.exact, choice.why = False, ROWS
    return ReorderedKernel(kernel, choice.order, device), choice


def meta_fields(choice: Choice | None) -> dict[str, Any]:
    """A run's meta on its node order: ``reorder_exact`` (``None`` where no order ran) and ``reorder_note``
    (what the order did to the results, or why none ran)."""
    if choice is None:
        return {"reorder_exact": None, "reorder_note": ""}
    return {"reorder_exact": choice.exact, "reorder_note": choice.why}


def summary(meta: dict[str, Any]) -> str:
    """The node order in a run's closing summary: ``, node order rcm (bit-identical)``, or what was
    asked and not applied; nothing for the file's order."""
    name, note = meta.get("reorder", "none"), meta.get("reorder_note", "")
    if name != "none":
        exact = meta.get("reorder_exact")
        within = f" (may differ in the last bits: normwise within {ROWS_BOUND_EPS} eps)"
        return f", node order {name}" + (" (bit-identical)" if exact else within if exact is False else "")
    return f", {note}" if " not applied: " in note else ""


def inverse(order: np.ndarray) -> np.ndarray:
    """``inv[node] = position``: the inverse permutation of ``order``."""
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order), dtype=order.dtype)
    return inv


@dataclass
class _State:
    inner: Any
    graph: Any
    last: torch.Tensor | None = None       # the last output given back (original order)
    permuted: torch.Tensor | None = None   # the same in the kernel's order


class ReorderedKernel:
    """Run ``inner`` on the graph renumbered by ``order``; inputs and outputs stay in the original order.

    The graph is renumbered once (``prepare``); a round permutes its input only
    when it is not the previous round's output (whose renumbered copy is kept), and
    gives its output back in the original order: one row gather of [N, F] a round.
    """

    def __init__(self, inner: Any, order: np.ndarray, device: torch.device):
        self.inner = inner
        self.name = inner.name
        self.order = torch.from_numpy(order).to(device)
        self.inv = torch.from_numpy(inverse(order)).to(device)

    def prepare(self, graph):
        renumbered = type(graph)(edge_index=self.inv[graph.edge_index], edge_weight=graph.edge_weight,
                                 num_nodes=graph.num_nodes, edge_attr=graph.edge_attr)
        return _State(self.inner.prepare(renumbered), renumbered)

    def step(self, x, graph, state: _State):
        px = state.permuted if x is state.last else x.index_select(0, self.order)
        py = self.inner.step(px, state.graph, state.inner)
        y = py.index_select(0, self.inv)
        state.last, state.permuted = y, py
        return y
