"""The residual layer of the dynamic-rounds snippet (its ``DynamicGNN``), applied once per round.

    m_ij = lin(x_j)                 Linear(F, O): W x_j + b
    a_i  = AGGR_{j -> i} m_ij       default sum
    x_i' = a_i + x_i                (+ P x_i, a learned Linear(F, O, bias=False),
                                     when project is on and O != F)

Shapes: x [N, F] -> [N, O]; messages [E, O]. The skip connection adds ``x``
itself, so ``O`` must equal ``F`` unless ``project`` is on: the snippet's own
example (16 -> 32) crashes there, and gnnprop refuses it before running.

Fused form: ``lin(x_j)`` reduced is ``reduce_j(x W^T) + b`` (``deg_i * b`` for sum).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch
from torch import nn

from ..engine.csr import fused_op, reduce_raw
from ..errors import ConfigError
from . import inorder
from .base import Arithmetic, Fused, OwnKind, aggr_width_factor, halves, mp_kwargs, spark_aggr, width_keeping_modes


class ResidualParams(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, aggr="sum", project: bool = False, aggr_mode: str | None = None):
        super().__init__()
        self.in_channels, self.out_channels = in_dim, out_dim
        self.aggr, self.aggr_mode = aggr, aggr_mode
        self.lin = nn.Linear(in_dim, out_dim)
        self.skip = nn.Linear(in_dim, out_dim, bias=False) if project and out_dim != in_dim else None

    def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return aggr_out + (self.skip(x) if self.skip is not None else x)


@cache
def _layer_class():
    from torch_geometric.nn import MessagePassing

    class ResidualLayer(MessagePassing):
        def __init__(self, params: ResidualParams):
            super().__init__(**mp_kwargs(params.aggr, params.aggr_mode))
            self.in_channels, self.out_channels = params.in_channels, params.out_channels
            self.lin, self.skip = params.lin, params.skip

        def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
            return self.propagate(edge_index, x=x)

        def message(self, x_j: torch.Tensor) -> torch.Tensor:
            return self.lin(x_j)

        def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            return aggr_out + (self.skip(x) if self.skip is not None else x)

    return ResidualLayer


class ResidualKind(OwnKind):
    name = "residual"
    default_aggr = "sum"
    fields = ("out_dim", "project")
    summary = "residual (the dynamic-rounds snippet's DynamicGNN): message Linear(x_j), update aggr_out + x"

    def build(self, cfg, in_dim, aggr, aggr_mode, edge_dim) -> ResidualParams:
        out_dim = cfg.out_dim or in_dim
        k = aggr_width_factor(aggr, aggr_mode)
        if k != 1:
            raise ConfigError(f"cat makes aggr_out {k} x {out_dim} wide, but the residual update adds x "
                              f"(width {out_dim}); use aggr_mode {width_keeping_modes()}", key="aggr_mode")
        if out_dim != in_dim and not cfg.project:
            raise ConfigError(
                f"the residual layer adds x (width {in_dim}) to the aggregated messages "
                f"(width {out_dim}), so the widths must match; set layer.out_dim to {in_dim}, "
                f"or layer.project: true to learn a projection on the skip path "
                f"(the dynamic-rounds snippet's own 16 -> 32 example crashes exactly here)", key="layer.out_dim")
        return ResidualParams(in_dim, out_dim, aggr, project=cfg.project, aggr_mode=aggr_mode)

    def formulas(self, p: ResidualParams) -> dict[str, str]:
        f, o = p.in_channels, p.out_channels
        skip = f"P x_i   (P: {o} x {f}, no bias)" if p.skip is not None else "x_i"
        return {"message": f"m_ij = W x_j + b   (W: {o} x {f}, b: {o}; lin)",
                "aggregate": f"a_i = {p.aggr} over the incoming messages",
                "update": f"x_i' = a_i + {skip}"}

    def reference(self, p: ResidualParams):
        return _layer_class()(p).eval()

    def spark(self, p: ResidualParams, ops):
        """The Spark lowering: ``x W^T`` per node reduced over the in-neighbours (one join, one
        ``groupBy``, every aggregation of a list in it), plus ``b`` (``deg_i b`` for sum), combined
        by ``aggr_mode``, plus the skip path; the linear maps as ``ops.linear_map`` applies them
        (literals for narrow features, a per-partition matrix product for wide ones)."""
        op = spark_aggr(p.aggr)
        if op is None:
            return f"the aggregation {self.aggr_text(p)} has no Spark form"
        f = p.in_channels
        w, b = p.lin.weight.tolist(), p.lin.bias.tolist()
        skip = p.skip.weight.tolist() if p.skip is not None else None

        def plus_bias(o, cols):  # every message's bias: deg_i times for sum
            return [ops.arith("+", a, ops.arith("*", ops.degree(), bh) if o == "sum" else bh) for a, bh in zip(cols, b)]

        def step(nodes):
            x = ops.x(f)
            df, q = ops.linear_map(nodes, w, None, x, "_q")
            df, kept = ops.linear_map(df, skip, None, x, "_k") if skip is not None else (df, x)
            df = ops.reduce(df, q, op)
            aggr = ops.reduced(len(w), op, p.aggr_mode, plus_bias)
            return ops.output(df, [ops.arith("+", a, k) for a, k in zip(aggr, kept)])
        return ops.step(step, p.out_channels)

    def fused(self, p: ResidualParams, graph) -> Fused | str:
        if isinstance(p.aggr, (list, tuple)):
            return "several aggregations have no fused form"
        op = fused_op(p.aggr)
        if op is None:
            return f"the {p.aggr} aggregation has no fused form"
        lin = p.lin

        def aggregate(x, adj):
            aggr = reduce_raw(adj, x @ lin.weight.T, op)
            if op == "sum":
                return aggr.addcmul_(adj.deg, lin.bias)
            return aggr.add_(lin.bias).masked_fill_(adj.empty, 0)
        times = "deg_i*b" if op == "sum" else "b"
        return halves(aggregate, p.update, f"the fused engine computes W x_j for every node, takes the {op} over the "
                                           f"in-neighbours, then adds {times}")

    def arithmetic(self, p: ResidualParams) -> Arithmetic:
        w, b = _np(p.lin.weight), _np(p.lin.bias)
        skip = None if p.skip is None else _np(p.skip.weight)
        return Arithmetic(lambda e: inorder.linear(w, b, e["x_j"]),
                          lambda x, a: a + (x if skip is None else inorder.linear(skip, None, x)), ("x_j",),
                          products="lin" if skip is None else "lin and the skip projection")


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu").numpy()


KIND = ResidualKind()
