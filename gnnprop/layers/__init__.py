"""The layer registry: layer type name -> :class:`LayerSpec`.

A spec knows its default aggregation and how to build the module for a given
input width. Every layer is a PyG ``MessagePassing`` subclass whose ``forward``
is ``forward(x, edge_index, edge_weight=None)``, with ``in_channels`` and
``out_channels`` attributes; the engine relies on nothing else, so any kernel can
run any layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch_geometric.nn import MessagePassing

from ..config import LayerConfig
from .fixed import FixedLayer, build_fixed
from .nn import NNLayer, build_nn
from .residual import ResidualLayer, build_residual


@dataclass(frozen=True)
class LayerSpec:
    name: str
    description: str
    default_aggr: str
    build: Callable[[LayerConfig, int, str], MessagePassing]


LAYERS: dict[str, LayerSpec] = {
    "fixed": LayerSpec(
        "fixed", "hand-written formulas (seed 000): message 0.5*x_i + 2*x_j, update x + 0.5*aggr_out",
        "max", build_fixed),
    "nn": LayerSpec(
        "nn", "learned (seed 000): message Linear([x_i || x_j]), update Linear([x || aggr_out])",
        "mean", build_nn),
    "residual": LayerSpec(
        "residual", "residual (seed 003): message Linear(x_j), update aggr_out + x",
        "sum", build_residual),
}


def build_layer(cfg: LayerConfig, in_dim: int, aggr: str, seed: int) -> MessagePassing:
    """Build the configured layer for inputs of width ``in_dim``.

    Parameters are drawn from a generator seeded with ``seed`` (in float32, on the
    CPU), so the same config gives the same weights on every device and dtype.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = LAYERS[cfg.type].build(cfg, in_dim, aggr)
    return layer.eval()


__all__ = ["LAYERS", "LayerSpec", "build_layer", "FixedLayer", "NNLayer", "ResidualLayer"]
