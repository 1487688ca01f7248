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
    deg1: torch.Tensor            # [N, 1] in-degree, at least 1 (the divisor of mean)
    wdeg: torch.Tensor | None     # [N, 1] weighted in-degree
    has: torch.Tensor             # [N, 1] bool: at least one incoming edge
    empty: torch.Tensor           # [N, 1] bool: no incoming edge
    src_sorted: torch.Tensor      # [E] sources in CSR order (for CUDA max/min)
    dst_sorted: torch.Tensor      # [E] targets in CSR order


def build_adjacency(graph: DeviceGraph, dtype: torch.dtype, compact: bool = False) -> Adjacency:
    """CSR by target. ``compact``: int32 indices where they fit (CPU only; about 10%
    faster sums and half the index memory; PyG's layers get int64)."""
    src, dst = graph.edge_index
    n = graph.num_nodes
    perm = torch.argsort(dst, stable=True)
    col = src[perm]
    counts = torch.bincount(dst, minlength=n)
    rowptr = torch.zeros(n + 1, dtype=torch.long, device=dst.device)
    rowptr[1:] = torch.cumsum(counts, 0)
    if compact and dst.device.type == "cpu" and col.numel() < 2**31 and n < 2**31:
        rowptr, col_idx = rowptr.to(torch.int32), col.to(torch.int32)
    else:
        col_idx = col
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
        ones = torch.sparse_csr_tensor(rowptr, col_idx, torch.ones(col.numel(), dtype=dtype, device=dst.device),
                                       size=(n, n))
        weighted = None
        wdeg = None
        if graph.edge_weight is not None:
            w = graph.edge_weight[perm].to(dtype)
            weighted = torch.sparse_csr_tensor(rowptr, col_idx, w, size=(n, n))
            wdeg = torch.zeros(n, dtype=dtype, device=dst.device).index_add_(0, dst, graph.edge_weight.to(dtype))
            wdeg = wdeg.unsqueeze(1)
    deg = counts.to(dtype).unsqueeze(1)
    has = (counts > 0).unsqueeze(1)
    return Adjacency(ones, weighted, deg, deg.clamp(min=1), wdeg, has, ~has, col, dst[perm])


def _reduce_raw(adj: Adjacency, q: torch.Tensor, op: str, weighted: bool = False) -> torch.Tensor:
    """Like :func:`reduce`, but rows without incoming edges are left unspecified."""
    a = adj.weighted if weighted else adj.ones
    if op == "sum":
        return torch.sparse.mm(a, q)
    if op == "mean":
        return torch.sparse.mm(a, q).div_(adj.deg1)
    if q.device.type == "cpu":
        return torch.sparse.mm(a, q, reduce="amax" if op == "max" else "amin")
    # torch.sparse has no CUDA max/min reduction: scatter_reduce over the gathered rows
    init = torch.zeros(q.shape[0], q.shape[1], dtype=q.dtype, device=q.device)
    idx = adj.dst_sorted.unsqueeze(1).expand(-1, q.shape[1])
    return init.scatter_reduce_(0, idx, q[adj.src_sorted], reduce="amax" if op == "max" else "amin",
                                include_self=False)


def reduce(adj: Adjacency, q: torch.Tensor, op: str, weighted: bool = False) -> torch.Tensor:
    """``op`` over each node's in-neighbours of the rows of ``q`` (0 where there are none)."""
    return _reduce_raw(adj, q, op, weighted).masked_fill_(adj.empty, 0)


# --- evaluating an expression with fewer [N, F] temporaries -------------------
#
# Every node-level temporary of a 1M x 16 graph is a fresh 64 MB allocation (page
# faults included, about as slow as the arithmetic). ``_eval`` computes the same
# IEEE operations as ``Expression.eval`` in the same order, but writes into a
# temporary it created itself whenever the result has that temporary's shape:
# a + b == b + a and a * b == b * a exactly, a - b == -(b) + a exactly.

def _eval(node: expr.Node, env: dict, owned: set[int]):
    if isinstance(node, expr.Name):
        return env[node.id]
    if isinstance(node, expr.Num):
        return node.value
    if isinstance(node, expr.Neg):
        v = _eval(node.operand, env, owned)
        return v.neg_() if _mine(v, v, owned) else _own(-v, owned)
    if isinstance(node, expr.BinOp):
        a, b = _eval(node.left, env, owned), _eval(node.right, env, owned)
        if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
            return expr.BinOp(node.op, expr.Num(a), expr.Num(b)).eval({})
        op = node.op
        if _mine(a, b, owned):
            return {"+": a.add_, "-": a.sub_, "*": a.mul_, "/": a.div_}[op](b)
        if op in "+*" and _mine(b, a, owned):
            return b.add_(a) if op == "+" else b.mul_(a)
        if op == "-" and _mine(b, a, owned):
            return b.neg_().add_(a)
        return _own({"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op](), owned)
    return _own(node.eval(env), owned)  # calls, and anything else: evaluated as written


def _mine(t, other, owned: set[int]) -> bool:
    """``t`` is a temporary of ours that can hold ``t (op) other`` in place."""
    if not isinstance(t, torch.Tensor) or id(t) not in owned:
        return False
    if not isinstance(other, torch.Tensor):
        return True
    return (other.dtype == t.dtype and other.device == t.device
            and torch.broadcast_shapes(t.shape, other.shape) == t.shape)


def _own(v, owned: set[int]):
    if isinstance(v, torch.Tensor):
        owned.add(id(v))
    return v


def eval_into(expression: expr.Expression, env: dict, temporaries: tuple[torch.Tensor, ...],
              like: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``expression`` at ``env``, reusing ``temporaries`` (tensors in ``env`` nobody
    else holds). Returns the value shaped like ``like`` and whether it is ours to modify."""
    uses: dict[str, int] = {}
    stack = [expression.tree]
    while stack:
        node = stack.pop()
        if isinstance(node, expr.Name):
            uses[node.id] = uses.get(node.id, 0) + 1
        stack.extend(node.children())
    # a temporary named twice must not be overwritten by its first use
    owned = {id(t) for t in temporaries
             if sum(uses.get(k, 0) for k, v in env.items() if v is t) <= 1}
    v = _eval(expression.tree, env, owned)
    if not isinstance(v, torch.Tensor):
        return torch.full_like(like, float(v)), True
    mine = id(v) in owned and v.shape == like.shape and v.dtype == like.dtype
    if v.shape != like.shape:
        v = v.expand_as(like)
    return v.to(like.dtype), mine


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

    def update(aggr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        out, _ = eval_into(layer.update_expr, {"x": x, "aggr_out": aggr}, (aggr,), x)
        return out

    if op in ("max", "min"):
        if weighted:
            return None, f"a message with edge_weight has no fused {op}"
        b = poly.get(("x_j", 0), 0.0)
        pick = op if b >= 0 else ("min" if op == "max" else "max")

        def step(x, adj):
            m = _reduce_raw(adj, x, pick)
            aggr, mine = eval_into(layer.message_expr, {"x_i": x, "x_j": m}, (m,), x)
            aggr = aggr.masked_fill_(adj.empty, 0) if mine else aggr.masked_fill(adj.empty, 0)
            return update(aggr, x)
        return step, "fused"

    composed = _composed_step(poly, layer.update_expr, op)
    if composed is not None:
        return composed, "fused"

    def step(x, adj):
        total = None
        for (var, w), c in poly.items():
            if c == 0:
                continue
            if var == "x_j":
                term = _reduce_raw(adj, x, "sum", weighted=bool(w))
                term = term if c == 1 else term.mul_(c)
                total = term if total is None else total.add_(term)
                continue
            if total is None:
                total = torch.zeros_like(x)
            scale = adj.wdeg if w else adj.deg
            if var == "x_i":
                total.addcmul_(scale, x, value=c)
            else:
                total.add_(scale, alpha=c)
        if total is None:
            total = torch.zeros_like(x)
        return update(total.div_(adj.deg1) if op == "mean" else total, x)
    return step, "fused"


def _composed_step(poly: Poly, update_expr: expr.Expression, op: str) -> Step | None:
    """A sum/mean round whose update is affine too, as one reduction and one pass.

    With the message ``a x_i + b x_j + c`` (terms possibly times ``edge_weight``)
    and the update ``p x + q aggr_out + r``, the round is
    ``out = q b S + (p + q a D) x + (r + q c D)`` where ``S`` is the (weighted)
    sum over the in-neighbours and ``D`` the (weighted) in-degree, all divided by
    the in-degree for mean: a per-node scale of ``x`` instead of three passes over
    [N, F]. Reassociated, so equal to the reference within rounding (as every
    fused sum is). ``None`` when the update is not affine or ignores ``aggr_out``.
    """
    upoly = affine(update_expr.tree)
    if upoly is None or any(w or v not in ("x", "aggr_out", "1") for (v, w) in upoly):
        return None
    p, q, r = (upoly.get((v, 0), 0.0) for v in ("x", "aggr_out", "1"))
    if q == 0:
        return None
    sums = [(bool(w), q * c) for (v, w), c in poly.items() if v == "x_j" and c != 0]
    scaled = [(v, bool(w), q * c) for (v, w), c in poly.items() if v in ("x_i", "1") and c != 0]

    def step(x, adj):
        mean = op == "mean"
        out = None
        for weighted, k in sums:
            s = _reduce_raw(adj, x, "sum", weighted=weighted)
            if mean:
                s.mul_(k / adj.deg1)
            elif k != 1:
                s.mul_(k)
            out = s if out is None else out.add_(s)
        if out is None:
            out = torch.zeros_like(x)
        alpha = beta = None
        for v, weighted, k in scaled:
            term = k * (adj.wdeg if weighted else adj.deg)
            term = term / adj.deg1 if mean else term
            if v == "x_i":
                alpha = term if alpha is None else alpha + term
            else:
                beta = term if beta is None else beta + term
        if alpha is not None:
            out.addcmul_(alpha + p, x)
        elif p != 0:
            out.add_(x, alpha=p)
        if beta is not None:
            out.add_(beta + r)
        elif r != 0:
            out.add_(r)
        return out
    return step


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
        q = x @ w_j.T                     # the x_j part, reduced over neighbours
        aggr = _reduce_raw(adj, q, op)
        del q
        p = torch.addmm(lin.bias, x, w_i.T)  # the x_i part and the bias, per node
        aggr = aggr.addcmul_(adj.deg, p) if op == "sum" else aggr.add_(p)
        return layer.update(aggr.masked_fill_(adj.empty, 0), x)
    return step, "fused"


def _residual_step(layer) -> tuple[Step | None, str]:
    op = _op(layer)
    if op is None:
        return None, f"the {layer.aggr} aggregation has no fused form"
    lin = layer.lin

    def step(x, adj):
        aggr = _reduce_raw(adj, x @ lin.weight.T, op)
        if op == "sum":
            aggr.addcmul_(adj.deg, lin.bias)
        else:
            aggr.add_(lin.bias).masked_fill_(adj.empty, 0)
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
        from .layers import FixedLayer, NNLayer, ResidualLayer

        # our own steps take int32 indices; PyG's layers are given what they expect
        return build_adjacency(graph, self.dtype, compact=isinstance(layer, (FixedLayer, NNLayer, ResidualLayer)))

    def step(self, layer, x, graph, state):
        return self._step(x, state)
