"""The fused engine: a round as node-level dense work plus one sparse reduction.

PyG's generic ``propagate`` gathers an E x F tensor for every ``x_i`` / ``x_j``
and scatters it back. Where the layer's math allows, the same round is computed
here from node-level tensors and one CSR product over the graph (built once per
run, by target), with no per-round sorting and no E x F temporaries:

- ``fixed`` layers whose message is affine in ``x_i``, ``x_j`` (and, for sum and
  mean, ``edge_weight``):
    sum:      a*deg_i*x_i + b*sum_j x_j + c*deg_i        (weighted terms use A_w)
    mean:     the sum divided by deg_i
    max/min:  the message formula itself at x_i and max_j x_j (b >= 0) or
              min_j x_j (b < 0); a monotone map commutes with max, so this is
              exactly PyG's value
- ``nn``: ``W_m [x_i || x_j] + b = (W_i x_i + b) + W_j x_j``: both parts at node
  level, then one reduction of ``x W_j^T``;
- ``residual``: ``lin(x_j)`` reduced is ``reduce_j(x W^T) + b`` (``deg_i * b`` for sum);
- PyG layers with their own ``message_and_aggregate`` (GCN, SAGE, GraphConv,
  GIN, SG, APPNP, ...): they get the sparse adjacency, so PyG's fused path runs.

Nodes without incoming edges aggregate to 0, as in PyG. Anything else (non-affine
messages, std/var/mul, several aggregations, users' layers) runs on the
reference path; :func:`fused_plan` says why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import torch
from torch_geometric.nn import MessagePassing

from . import expr
from .engine import DeviceGraph

# (x part, power of edge_weight) -> coefficient
Poly = dict[tuple[str, int], float]


def affine(node: expr.Node) -> Poly | None:
    """The message as a sum of monomials in {1, x_i, x_j} x {1, edge_weight}, or None."""
    if isinstance(node, expr.Num):
        return {("1", 0): node.value}
    if isinstance(node, expr.Name):
        if node.id == "edge_weight":
            return {("1", 1): 1.0}
        return {(node.id, 0): 1.0}
    if isinstance(node, expr.Neg):
        p = affine(node.operand)
        return None if p is None else {k: -v for k, v in p.items()}
    if isinstance(node, expr.BinOp):
        a, b = affine(node.left), affine(node.right)
        if a is None or b is None:
            return None
        if node.op in "+-":
            out = dict(a)
            for k, v in b.items():
                out[k] = out.get(k, 0.0) + (v if node.op == "+" else -v)
            return out
        if node.op == "*":
            out: Poly = {}
            for (xa, wa), va in a.items():
                for (xb, wb), vb in b.items():
                    if (xa != "1" and xb != "1") or wa + wb > 1:
                        return None
                    key = (xa if xa != "1" else xb, wa + wb)
                    out[key] = out.get(key, 0.0) + va * vb
            return out
        if node.op == "/":
            if set(b) != {("1", 0)} or b[("1", 0)] == 0:
                return None
            return {k: v / b[("1", 0)] for k, v in a.items()}
    return None


@dataclass
class Adjacency:
    """The graph by target, built once per run."""

    ones: torch.Tensor            # CSR [N, N], values 1
    weighted: torch.Tensor | None  # CSR [N, N], values edge_weight
    deg: torch.Tensor             # [N, 1] in-degree, in the run's dtype
    wdeg: torch.Tensor | None     # [N, 1] weighted in-degree
    has: torch.Tensor             # [N, 1] bool: at least one incoming edge
    src_sorted: torch.Tensor      # [E] sources in CSR order (for CUDA max/min)
    dst_sorted: torch.Tensor      # [E] targets in CSR order


def build_adjacency(graph: DeviceGraph, dtype: torch.dtype) -> Adjacency:
    src, dst = graph.edge_index
    n = graph.num_nodes
    perm = torch.argsort(dst, stable=True)
    col = src[perm]
    counts = torch.bincount(dst, minlength=n)
    rowptr = torch.zeros(n + 1, dtype=torch.long, device=dst.device)
    rowptr[1:] = torch.cumsum(counts, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
        ones = torch.sparse_csr_tensor(rowptr, col, torch.ones(col.numel(), dtype=dtype, device=dst.device),
                                       size=(n, n))
        weighted = None
        wdeg = None
        if graph.edge_weight is not None:
            w = graph.edge_weight[perm].to(dtype)
            weighted = torch.sparse_csr_tensor(rowptr, col, w, size=(n, n))
            wdeg = torch.zeros(n, dtype=dtype, device=dst.device).index_add_(0, dst, graph.edge_weight.to(dtype))
            wdeg = wdeg.unsqueeze(1)
    deg = counts.to(dtype).unsqueeze(1)
    return Adjacency(ones, weighted, deg, wdeg, (counts > 0).unsqueeze(1), col, dst[perm])


def reduce(adj: Adjacency, q: torch.Tensor, op: str, weighted: bool = False) -> torch.Tensor:
    """``op`` over each node's in-neighbours of the rows of ``q`` (0 where there are none)."""
    a = adj.weighted if weighted else adj.ones
    if op == "sum":
        return torch.sparse.mm(a, q)
    if op == "mean":
        return torch.sparse.mm(a, q) / adj.deg.clamp(min=1)
    if q.device.type == "cpu":
        out = torch.sparse.mm(a, q, reduce="amax" if op == "max" else "amin")
    else:  # torch.sparse has no CUDA max/min reduction: scatter_reduce over the gathered rows
        init = torch.zeros(q.shape[0], q.shape[1], dtype=q.dtype, device=q.device)
        idx = adj.dst_sorted.unsqueeze(1).expand(-1, q.shape[1])
        out = init.scatter_reduce(0, idx, q[adj.src_sorted], reduce="amax" if op == "max" else "amin",
                                  include_self=False)
    return torch.where(adj.has, out, torch.zeros((), dtype=q.dtype, device=q.device))


Step = Callable[[torch.Tensor, Adjacency], torch.Tensor]


def _fixed_step(layer) -> tuple[Step | None, str]:
    op = layer.aggr if isinstance(layer.aggr, str) else None
    if op not in ("sum", "add", "mean", "max", "min"):
        return None, f"the {layer.aggr} aggregation has no fused form"
    op = "sum" if op == "add" else op
    poly = affine(layer.message_expr.tree)
    if poly is None:
        return None, f"the message {layer.message_expr.source!r} is not affine in x_i, x_j"
    weighted = any(w for (_, w) in poly)
    if op in ("max", "min"):
        if weighted:
            return None, f"a message with edge_weight has no fused {op}"
        b = poly.get(("x_j", 0), 0.0)
        pick = op if b >= 0 else ("min" if op == "max" else "max")

        def step(x, adj):
            m = reduce(adj, x, pick)
            env = {"x_i": x, "x_j": m}
            aggr = _fit(layer.message_expr.eval(env), x)
            aggr = torch.where(adj.has, aggr, torch.zeros((), dtype=x.dtype, device=x.device))
            return layer.update(aggr, x)
        return step, "fused"

    def step(x, adj):
        total = torch.zeros_like(x)
        for (var, w), c in poly.items():
            if c == 0:
                continue
            if var == "x_j":
                term = reduce(adj, x, "sum", weighted=bool(w))
            else:
                scale = adj.wdeg if w else adj.deg
                term = scale * x if var == "x_i" else scale.expand_as(x)
            total = total + c * term
        aggr = total / adj.deg.clamp(min=1) if op == "mean" else total
        return layer.update(aggr, x)
    return step, "fused"


def _fit(value, like: torch.Tensor) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        return torch.full_like(like, float(value))
    return value.expand_as(like).to(like.dtype)


def _op(layer) -> str | None:
    a = layer.aggr if isinstance(layer.aggr, str) else None
    return {"add": "sum"}.get(a, a) if a in ("sum", "add", "mean", "max", "min") else None


def _nn_step(layer) -> tuple[Step | None, str]:
    op = _op(layer)
    if op is None:
        return None, f"the {layer.aggr} aggregation has no fused form"
    f = layer.in_channels
    lin = layer.messageNN

    def step(x, adj):
        w_i, w_j = lin.weight[:, :f], lin.weight[:, f:]
        p = x @ w_i.T + lin.bias          # the x_i part and the bias, per node
        q = x @ w_j.T                     # the x_j part, reduced over neighbours
        if op == "sum":
            aggr = adj.deg * p + reduce(adj, q, "sum")
        else:
            aggr = p + reduce(adj, q, op)
        aggr = torch.where(adj.has, aggr, torch.zeros((), dtype=x.dtype, device=x.device))
        return layer.update(aggr, x)
    return step, "fused"


def _residual_step(layer) -> tuple[Step | None, str]:
    op = _op(layer)
    if op is None:
        return None, f"the {layer.aggr} aggregation has no fused form"
    lin = layer.lin

    def step(x, adj):
        q = x @ lin.weight.T
        if op == "sum":
            aggr = reduce(adj, q, "sum") + adj.deg * lin.bias
        else:
            aggr = reduce(adj, q, op) + lin.bias
            aggr = torch.where(adj.has, aggr, torch.zeros((), dtype=x.dtype, device=x.device))
        return layer.update(aggr, x)
    return step, "fused"


# PyG layers whose sparse path is checked against their edge_index path (tests/test_fused.py).
# The gcn_norm family treats self loops and duplicate edges differently on the two paths,
# so they fuse only on graphs without them. ``cached`` there caches the normalised
# adjacency (SGConv's would cache the propagated features, so it stays off).
PYG_FUSED = {"SAGEConv", "GraphConv", "GINConv", "GCNConv", "SGConv", "APPNP"}
GCN_NORM = {"GCNConv", "SGConv", "APPNP"}
CACHE_ADJ = {"GCNConv", "APPNP"}


def _simple(graph: DeviceGraph) -> bool:
    """No self loops and no duplicate edges."""
    src, dst = graph.edge_index
    if bool((src == dst).any()):
        return False
    return int(torch.unique(src * max(graph.num_nodes, 1) + dst).numel()) == src.numel()


def _pyg_step(layer, graph: DeviceGraph) -> tuple[Step | None, str]:
    name = type(layer).__name__
    if name not in PYG_FUSED:
        return None, f"{name} has no fused path checked in gnnprop"
    if name in GCN_NORM and not _simple(graph):
        return None, (f"{name} normalises self loops and duplicate edges differently on PyG's sparse path, "
                      "and this graph has them")
    import inspect

    takes_weight = "edge_weight" in inspect.signature(layer.forward).parameters
    if name in CACHE_ADJ:
        layer.cached = True  # the graph is the same every round: normalise it once

    def step(x, adj):
        a = adj.weighted if (takes_weight and adj.weighted is not None) else adj.ones
        out = layer(x, a)
        return out[0] if isinstance(out, tuple) else out
    return step, "fused"


def fused_plan(layer: MessagePassing, graph: DeviceGraph) -> tuple[Step | None, str]:
    """A fused round for ``layer``, or ``(None, why not)``."""
    from .layers import FixedLayer, NNLayer, ResidualLayer

    if getattr(layer, "_gnnprop_source", None) is not None:
        return None, "users' own layers run on the reference path"
    if isinstance(layer.aggr, (list, tuple)):
        return None, "several aggregations have no fused form"
    if isinstance(layer, FixedLayer):
        return _fixed_step(layer)
    if isinstance(layer, NNLayer):
        return _nn_step(layer)
    if isinstance(layer, ResidualLayer):
        return _residual_step(layer)
    if graph.edge_attr is not None and "edge_attr" in __import__("inspect").signature(layer.forward).parameters:
        return None, f"{type(layer).__name__} with edge attributes runs on the reference path"
    return _pyg_step(layer, graph)


class FusedKernel:
    """Runs a :func:`fused_plan` step; the adjacency is built once, in ``prepare``."""

    name = "fused"

    def __init__(self, step: Step, dtype: torch.dtype):
        self._step, self.dtype = step, dtype

    def prepare(self, layer, graph: DeviceGraph) -> Adjacency:
        return build_adjacency(graph, self.dtype)

    def step(self, layer, x, graph, state):
        return self._step(x, state)
