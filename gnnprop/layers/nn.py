"""The tutorial's learned layer.

    m_ij = messageNN([x_i || x_j])        Linear(2F, H):  W_m [x_i || x_j] + b_m
    a_i  = AGGR_{j -> i} m_ij             default mean
    x_i' = updateNN([x_i || a_i])         Linear(F + H, O): W_u [x_i || a_i] + b_u

Shapes: x [N, F] -> [N, O]; messages [E, H]. The parameter names are the tutorial's
(``messageNN``, ``updateNN``), so its class can load gnnprop's weights as they are.

Note: the tutorial's class as printed sets ``self.aggr = aggr`` after
``super().__init__()``; PyG then keeps its default ``add`` aggregation, so that
class sums. gnnprop passes the aggregation to PyG, so ``aggr`` takes effect.

Fused form: ``W_m [x_i || x_j] + b = (W_i x_i + b) + W_j x_j``: both parts at
node level, then one reduction of ``x W_j^T``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from torch import nn

from ..engine.csr import fused_op, reduce_raw
from . import inorder
from .base import Arithmetic, Fused, OwnKind, aggr_width_factor, halves, mp_kwargs, spark_aggr



class NNParams(nn.Module):
    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, aggr="mean", aggr_mode: str | None = None):
        super().__init__()
        self.in_channels, self.hidden_channels, self.out_channels = in_dim, hidden_dim, out_dim
        self.aggr, self.aggr_mode = aggr, aggr_mode
        self.aggr_channels = hidden_dim * aggr_width_factor(aggr, aggr_mode)  # k x H with cat of k aggregations
        self.messageNN = nn.Linear(2 * in_dim, hidden_dim)
        self.updateNN = nn.Linear(in_dim + self.aggr_channels, out_dim)

    def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.updateNN(torch.cat((x, aggr_out), dim=-1))


@cache
def _layer_class():
    from torch_geometric.nn import MessagePassing

    class NNLayer(MessagePassing):
        def __init__(self, params: NNParams):
            super().__init__(**mp_kwargs(params.aggr, params.aggr_mode))
            self.in_channels, self.hidden_channels = params.in_channels, params.hidden_channels
            self.out_channels, self.aggr_channels = params.out_channels, params.aggr_channels
            self.messageNN, self.updateNN = params.messageNN, params.updateNN

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
            return self.propagate(edge_index, x=x)

        def message(self, x_i: torch.Tensor, x_j: torch.Tensor) -> torch.Tensor:
            return self.messageNN(torch.cat((x_i, x_j), dim=-1))

        def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return self.updateNN(torch.cat((x, aggr_out), dim=-1))

    return NNLayer


class NNKind(OwnKind):
    name = "nn"
    default_aggr = "mean"
    fields = ("hidden_dim", "out_dim")
    summary = "learned (the tutorial's): message Linear([x_i || x_j]), update Linear([x || aggr_out])"

    def build(self, cfg, in_dim, aggr, aggr_mode, edge_dim) -> NNParams:
        return NNParams(in_dim, cfg.hidden_dim or in_dim, cfg.out_dim or in_dim, aggr, aggr_mode)

    def formulas(self, p: NNParams) -> dict[str, str]:
        f, h, o = p.in_channels, p.hidden_channels, p.out_channels
        return {"message": f"m_ij = W_m [x_i || x_j] + b_m   (W_m: {h} x {2 * f}, b_m: {h}; messageNN)",
                "aggregate": f"a_i = {p.aggr} over the incoming messages",
                "update": f"x_i' = W_u [x_i || a_i] + b_u   (W_u: {o} x {f + p.aggr_channels}, b_u: {o}; updateNN)"}

    def reference(self, p: NNParams):
        return _layer_class()(p).eval()

    def spark(self, p: NNParams, ops):
        """The Spark lowering: ``x W_j^T`` per node, reduced over the in-neighbours (one join, one
        ``groupBy``, every aggregation of a list in it), plus ``W_i x + b`` per node (times the
        in-degree for sum), combined by ``aggr_mode``, then ``updateNN``. The linear maps are
        literals in the plan for narrow features, a per-partition matrix product for wide ones
        (``ops.linear_map``)."""
        op = spark_aggr(p.aggr)
        if op is None:
            return f"the aggregation {self.aggr_text(p)} has no Spark form"
        f = p.in_channels
        w = p.messageNN.weight.tolist()
        w_i, w_j = [r[:f] for r in w], [r[f:] for r in w]
        b = p.messageNN.bias.tolist()
        w_u, b_u = p.updateNN.weight.tolist(), p.updateNN.bias.tolist()

        def step(nodes):
            x = ops.x(f)
            df, q = ops.linear_map(nodes, w_j, None, x, "_q")
            df, part = ops.linear_map(df, w_i, b, x, "_p")
            df = ops.reduce(df, q, op)

            def plus_part(o, cols):  # the x_i part and the bias of every message: deg_i times for sum
                return [ops.arith("+", a, ops.arith("*", ops.degree(), v) if o == "sum" else v)
                        for a, v in zip(cols, part)]
            df, aggr = ops.stage(df, ops.reduced(p.hidden_channels, op, p.aggr_mode, plus_part), "_g")
            df, out = ops.linear_map(df, w_u, b_u, x + aggr, "_u")
            return ops.output(df, out)
        return ops.step(step, p.out_channels)

    def fused(self, p: NNParams, graph) -> Fused | str:
        if isinstance(p.aggr, (list, tuple)):
            return "several aggregations have no fused form"
        op = fused_op(p.aggr)
        if op is None:
            return f"the {p.aggr} aggregation has no fused form"
        f = p.in_channels
        lin = p.messageNN

        def aggregate(x, adj):
            w_i, w_j = lin.weight[:, :f], lin.weight[:, f:]
            q = x @ w_j.T                     # the x_j part, reduced over neighbours
            aggr = reduce_raw(adj, q, op)
            del q
            part = torch.addmm(lin.bias, x, w_i.T)  # the x_i part and the bias, per node
            aggr = aggr.addcmul_(adj.deg, part) if op == "sum" else aggr.add_(part)
            return aggr.masked_fill_(adj.empty, 0)
        times = "deg_i*" if op == "sum" else ""
        return halves(aggregate, p.update, f"the fused engine computes W_j x_j for every node, takes the {op} over "
                                           f"the in-neighbours, then adds {times}(W_i x_i + b_m), W_m = [W_i | W_j]")

    def arithmetic(self, p: NNParams) -> Arithmetic:
        w_m, b_m = _np(p.messageNN.weight), _np(p.messageNN.bias)
        w_u, b_u = _np(p.updateNN.weight), _np(p.updateNN.bias)
        return Arithmetic(lambda e: inorder.linear(w_m, b_m, np.concatenate([e["x_i"], e["x_j"]], axis=-1)),
                          lambda x, a: inorder.linear(w_u, b_u, np.concatenate([x, a])), ("x_i", "x_j"),
                          products="messageNN and updateNN")


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu").numpy()


KIND = NNKind()
