"""Seed 000's learned layer.

    m_ij = messageNN([x_i || x_j])        Linear(2F, H):  W_m [x_i || x_j] + b_m
    a_i  = AGGR_{j -> i} m_ij             default mean
    x_i' = updateNN([x_i || a_i])         Linear(F + H, O): W_u [x_i || a_i] + b_u

Shapes: x [N, F] -> [N, O]; messages [E, H]. The parameter names are the seed's
(``messageNN``, ``updateNN``), so its class can load gnnprop's weights as they are.

Note: the seed's class as printed sets ``self.aggr = aggr`` after
``super().__init__()``; PyG then keeps its default ``add`` aggregation, so that
class sums. gnnprop passes the aggregation to PyG, so ``aggr`` takes effect.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import MessagePassing

from ..config import LayerConfig


class NNLayer(MessagePassing):
    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, aggr="mean", aggr_mode: str | None = None):
        from . import aggr_width_factor

        super().__init__(aggr=aggr, aggr_kwargs={"mode": aggr_mode} if aggr_mode else None)
        self.in_channels, self.hidden_channels, self.out_channels = in_dim, hidden_dim, out_dim
        self.aggr_channels = hidden_dim * aggr_width_factor(aggr, aggr_mode)  # k x H with cat of k aggregations
        self.messageNN = nn.Linear(2 * in_dim, hidden_dim)
        self.updateNN = nn.Linear(in_dim + self.aggr_channels, out_dim)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
        return self.propagate(edge_index, x=x)

    def message(self, x_i: torch.Tensor, x_j: torch.Tensor) -> torch.Tensor:
        return self.messageNN(torch.cat((x_i, x_j), dim=-1))

    def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.updateNN(torch.cat((x, aggr_out), dim=-1))


    def describe(self) -> dict[str, str]:
        f, h, o = self.in_channels, self.hidden_channels, self.out_channels
        return {"message": f"m_ij = W_m [x_i || x_j] + b_m   (W_m: {h} x {2 * f}, b_m: {h}; messageNN)",
                "aggregate": f"a_i = {self.aggr} over the incoming messages",
                "update": f"x_i' = W_u [x_i || a_i] + b_u   (W_u: {o} x {f + self.aggr_channels}, b_u: {o}; updateNN)"}


def build_nn(cfg: LayerConfig, in_dim: int, aggr, aggr_mode: str | None = None) -> NNLayer:
    return NNLayer(in_dim, cfg.hidden_dim or in_dim, cfg.out_dim or in_dim, aggr, aggr_mode)
