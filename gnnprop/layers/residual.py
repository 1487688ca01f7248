"""Seed 003's residual layer (``DynamicGNN``), applied once per round.

    m_ij = lin(x_j)                 Linear(F, O): W x_j + b
    a_i  = AGGR_{j -> i} m_ij       default sum
    x_i' = a_i + x_i                (+ P x_i, a learned Linear(F, O, bias=False),
                                     when project is on and O != F)

Shapes: x [N, F] -> [N, O]; messages [E, O]. The skip connection adds ``x``
itself, so ``O`` must equal ``F`` unless ``project`` is on: the seed's own example
(16 -> 32) crashes there, and gnnprop refuses it before running.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import MessagePassing

from ..config import LayerConfig
from ..errors import ConfigError


class ResidualLayer(MessagePassing):
    def __init__(self, in_dim: int, out_dim: int, aggr="sum", project: bool = False, aggr_mode: str | None = None):
        super().__init__(aggr=aggr, aggr_kwargs={"mode": aggr_mode} if aggr_mode else None)
        self.in_channels, self.out_channels = in_dim, out_dim
        self.lin = nn.Linear(in_dim, out_dim)
        self.skip = nn.Linear(in_dim, out_dim, bias=False) if project and out_dim != in_dim else None

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
        return self.propagate(edge_index, x=x)

    def message(self, x_j: torch.Tensor) -> torch.Tensor:
        return self.lin(x_j)

    def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return aggr_out + (self.skip(x) if self.skip is not None else x)


    def describe(self) -> dict[str, str]:
        f, o = self.in_channels, self.out_channels
        skip = f"P x_i   (P: {o} x {f}, no bias)" if self.skip is not None else "x_i"
        return {"message": f"m_ij = W x_j + b   (W: {o} x {f}, b: {o}; lin)",
                "aggregate": f"a_i = {self.aggr} over the incoming messages",
                "update": f"x_i' = a_i + {skip}"}


def build_residual(cfg: LayerConfig, in_dim: int, aggr, aggr_mode: str | None = None) -> ResidualLayer:
    from . import aggr_width_factor

    out_dim = cfg.out_dim or in_dim
    k = aggr_width_factor(aggr, aggr_mode)
    if k != 1:
        raise ConfigError(f"aggr_mode: cat makes aggr_out {k} x {out_dim} wide, but the residual update adds x "
                          f"(width {out_dim}); use aggr_mode sum, mean, max or min")
    if out_dim != in_dim and not cfg.project:
        raise ConfigError(
            f"layer.out_dim: the residual layer adds x (width {in_dim}) to the aggregated messages "
            f"(width {out_dim}), so the widths must match; set layer.out_dim to {in_dim}, "
            f"or layer.project: true to learn a projection on the skip path "
            f"(the seed document's own 16 -> 32 example crashes exactly here)")
    return ResidualLayer(in_dim, out_dim, aggr, project=cfg.project, aggr_mode=aggr_mode)
