"""Seed 000's hand-written layer, with the formulas taken from the config.

    m_ij = message(x_i, x_j, edge_weight)      default 0.5 * x_i + 2 * x_j
    a_i  = AGGR_{j -> i} m_ij                   default max
    x_i' = update(x_i, a_i)                     default x + 0.5 * aggr_out

Shapes: x [N, F] -> [N, F]; messages [E, F]. ``edge_weight`` is ``[E]`` and is
broadcast over the features (1 for every edge when the graph has none).
"""

from __future__ import annotations

import torch
from torch_geometric.nn import MessagePassing

from .. import expr
from ..config import LayerConfig
from ..errors import ConfigError


def _fit(value, like: torch.Tensor) -> torch.Tensor:
    """Broadcast an expression's value (a number or a tensor) to ``like``'s shape."""
    if not isinstance(value, torch.Tensor):
        return torch.full_like(like, float(value))
    if value.shape != like.shape:
        value = value.expand_as(like)
    return value.to(like.dtype)


class FixedLayer(MessagePassing):
    def __init__(self, message: expr.Expression, update: expr.Expression, channels: int, aggr="max",
                 aggr_mode: str | None = None):
        super().__init__(aggr=aggr, aggr_kwargs={"mode": aggr_mode} if aggr_mode else None)
        self.message_expr = message
        self.update_expr = update
        self.in_channels = self.out_channels = channels
        self.uses_edge_weight = "edge_weight" in message.names()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None):
        if self.uses_edge_weight and edge_weight is None:
            edge_weight = torch.ones(edge_index.shape[1], dtype=x.dtype, device=x.device)
        return self.propagate(edge_index, x=x, edge_weight=edge_weight)

    def message(self, x_i: torch.Tensor, x_j: torch.Tensor, edge_weight: torch.Tensor | None) -> torch.Tensor:
        env = {"x_i": x_i, "x_j": x_j}
        if self.uses_edge_weight:
            env["edge_weight"] = edge_weight.to(x_j.dtype).view(-1, 1)
        return _fit(self.message_expr.eval(env), x_j)

    def update(self, aggr_out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return _fit(self.update_expr.eval({"x": x, "aggr_out": aggr_out}), x)

    def describe(self) -> dict[str, str]:
        f = self.in_channels
        return {"message": f"m_ij = {self.message_expr.source}   (x_i, x_j: [{f}])",
                "aggregate": f"a_i = {self.aggr} over the incoming messages",
                "update": f"x_i' = {self.update_expr.source}   (x = x_i, aggr_out = a_i)"}

    def extra_repr(self) -> str:
        return f"message={self.message_expr.source!r}, update={self.update_expr.source!r}, aggr={self.aggr!r}"


def build_fixed(cfg: LayerConfig, in_dim: int, aggr, aggr_mode: str | None = None) -> FixedLayer:
    from . import aggr_width_factor

    k = aggr_width_factor(aggr, aggr_mode)
    if k != 1:
        raise ConfigError(f"aggr_mode: cat makes aggr_out {k} x {in_dim} wide, but the fixed layer's update "
                          f"combines it with x (width {in_dim}); use aggr_mode sum, mean, max or min")
    return FixedLayer(
        expr.parse(cfg.message, expr.MESSAGE, "layer.message"),
        expr.parse(cfg.update, expr.UPDATE, "layer.update"),
        in_dim, aggr, aggr_mode,
    )
