"""The graph by target as a CSR matrix, its reductions, and the algebra the fused forms share.

Every fused round is node-level dense work plus reductions over each node's
in-neighbours; this module holds what the layer kinds share for that:

- :func:`build_adjacency`: the CSR adjacency by target, built once per run;
- :func:`reduce` / :func:`reduce_raw`: sum, mean, max or min of rows over the
  in-neighbours (0 where a node has none, as in PyG);
- :func:`affine`: whether a formula is affine in its vector variables, as a
  table of coefficients (what makes a message fusable);
- :func:`eval_into`: an expression evaluated with fewer ``[N, F]`` temporaries.

Plain torch; nothing here imports PyG.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from .. import expr
from ..aggregation import FUSED
from ..graph import DeviceGraph

# (variable, power of edge_weight) -> coefficient
Poly = dict[tuple[str, int], float]

#: The reductions the fused engine has (the aggregations whose unit says ``fused``).
OPS = FUSED


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
    order: torch.Tensor | None = None  # [N] the node order the reductions run in (None: the graph's own)
    inv: torch.Tensor | None = None    # [N] its inverse: inv[node] = the node's position in ``order``


def build_adjacency(graph: DeviceGraph, dtype: torch.dtype, compact: bool = False,
                    order: torch.Tensor | None = None) -> Adjacency:
    """CSR by target. ``compact``: int32 indices where they fit (CPU only; about 10%
    faster sums and half the index memory; PyG's layers get int64).

    ``order`` (``order[k]`` = the node placed at position k; :mod:`gnnprop.engine.reorder`):
    the reductions run on the graph renumbered so, for locality, and give their rows back in
    the graph's own order; everything per node (degrees, ``has``, ``empty``) stays in that order.
    Each node's in-edges keep the edge list's order in either numbering, so every reduction adds
    the same terms in the same order: the results are bit for bit the same."""
    src, dst = graph.edge_index
    n = graph.num_nodes
    inv = None
    if order is not None:
        inv = torch.empty_like(order)
        inv[order] = torch.arange(n, dtype=order.dtype, device=order.device)
        src, dst = inv[src], inv[dst]
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
    if order is not None:  # per node, in the graph's own order
        counts = counts.index_select(0, inv)
        wdeg = None if wdeg is None else wdeg.index_select(0, inv)
    deg = counts.to(dtype).unsqueeze(1)
    has = (counts > 0).unsqueeze(1)
    return Adjacency(ones, weighted, deg, deg.clamp(min=1), wdeg, has, ~has, col, dst[perm], order, inv)


def reduce_raw(adj: Adjacency, q: torch.Tensor, op: str, weighted: bool = False) -> torch.Tensor:
    """Like :func:`reduce`, but rows without incoming edges are left unspecified."""
    if adj.order is not None:  # in the adjacency's node order, the rows given back in the graph's
        out = _reduce(adj, q.index_select(0, adj.order), "sum" if op == "mean" else op, weighted)
        out = out.index_select(0, adj.inv)
        return out.div_(adj.deg1) if op == "mean" else out
    return _reduce(adj, q, op, weighted)


def _reduce(adj: Adjacency, q: torch.Tensor, op: str, weighted: bool) -> torch.Tensor:
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
    return reduce_raw(adj, q, op, weighted).masked_fill_(adj.empty, 0)


def fused_op(aggr) -> str | None:
    """The reduction a single (canonical) aggregation name needs, or ``None``."""
    return aggr if isinstance(aggr, str) and aggr in OPS else None


# --- affine formulas ---------------------------------------------------------------

def affine(node: expr.Node) -> Poly | None:
    """The formula as a sum of monomials in {1, a vector variable} x {1, edge_weight}, or None."""
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


# --- evaluating an expression with fewer [N, F] temporaries -------------------
#
# Every node-level temporary of a 1M x 16 graph is a fresh 64 MB allocation (page
# faults included, about as slow as the arithmetic). ``_eval`` computes the same
# IEEE operations as ``Expression.eval`` in the same order, but writes into a
# temporary it created itself whenever the result has that temporary's shape:
# a + b == b + a and a * b == b * a exactly, a - b == -(b) + a exactly.

_IN_PLACE = {"+": torch.Tensor.add_, "-": torch.Tensor.sub_, "*": torch.Tensor.mul_, "/": torch.Tensor.div_}


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
            return expr.arithmetic(node.op, a, b)
        op = node.op
        if _mine(a, b, owned):
            return _IN_PLACE[op](a, b)
        if op in "+*" and _mine(b, a, owned):
            return b.add_(a) if op == "+" else b.mul_(a)
        if op == "-" and _mine(b, a, owned):
            return b.neg_().add_(a)
        return _own(expr.arithmetic(op, a, b), owned)
    return _own(node.eval(env), owned)  # calls, and anything else: evaluated as written


def _mine(t, other, owned: set[int]) -> bool:
    """``t`` is a temporary of ours that can hold ``t (op) other`` in place."""
    if not isinstance(t, torch.Tensor) or id(t) not in owned:
        return False
    if not isinstance(other, torch.Tensor):
        return True
    return other.dtype == t.dtype and other.device == t.device and _broadcasts_to(other.shape, t.shape)


def _broadcasts_to(small: tuple, big: tuple) -> bool:
    """Whether ``small`` broadcasts to ``big`` exactly (not ``torch.broadcast_shapes``: its first
    call imports torch's reference ops and sympy, most of a second)."""
    return len(small) <= len(big) and all(s in (1, b) for s, b in zip(reversed(small), reversed(big)))


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
