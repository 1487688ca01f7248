"""The benchmark's cases: gnnprop's layers, each beside the plain PyG class it is measured against.

The reference classes are written the way PyG's tutorial and the dynamic-rounds snippet write them
(:class:`SeedFixed`, :class:`SeedNN`, :class:`SeedDynamic`), or are PyG's own (``GCNConv``); each
carries gnnprop's weights (``load_state_dict``) so that the two compute the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn as nn
from torch_geometric.nn import MessagePassing  # the reference classes below are PyG's, by design

from ..errors import ConfigError, UsageError
from ..resolver import resolve

# --- the reference path: the tutorial's and the snippet's classes -------------

class SeedFixed(MessagePassing):
    """The tutorial's hand-written layer, with the aggregation as a parameter."""

    def __init__(self, aggr="max"):
        super(SeedFixed, self).__init__(aggr=aggr)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x)

    def message(self, x_i, x_j):
        return 0.5 * x_i + 2 * x_j

    def update(self, aggr_out, x):
        return x + 0.5 * aggr_out


class SeedNN(MessagePassing):
    """The tutorial's learned layer (the aggregation passed to ``MessagePassing.__init__``)."""

    def __init__(self, input_dim, hidden_dim, output_dim, aggr="mean"):
        super(SeedNN, self).__init__(aggr=aggr)
        self.messageNN = nn.Linear(input_dim * 2, hidden_dim)
        self.updateNN = nn.Linear(input_dim + hidden_dim, output_dim)

    def forward(self, x, edge_index):
        return self.propagate(edge_index, x=x, messageNN=self.messageNN, updateNN=self.updateNN)

    def message(self, x_i, x_j, messageNN):
        return messageNN(torch.cat((x_i, x_j), dim=-1))

    def update(self, aggr_out, x, updateNN):
        return updateNN(torch.cat((x, aggr_out), dim=-1))


class SeedDynamic(MessagePassing):
    """The dynamic-rounds snippet's ``DynamicGNN`` (gnnprop's ``residual`` layer)."""

    def __init__(self, in_channels, out_channels, aggr="add"):
        super(SeedDynamic, self).__init__(aggr=aggr)
        self.lin = torch.nn.Linear(in_channels, out_channels)

    def forward(self, x, edge_index, num_iterations):
        for _ in range(num_iterations):
            x = self.propagate(edge_index, x=x)
        return x

    def message(self, x_j):
        return self.lin(x_j)

    def update(self, aggr_out, x):
        new_x = aggr_out + x
        return new_x


Reference = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x, edge_index) -> x'


def _with_weights(module: torch.nn.Module, layer: torch.nn.Module) -> torch.nn.Module:
    module.load_state_dict(layer.state_dict())
    return module.eval()


def _fixed_ref(aggr: str) -> Callable[[MessagePassing], Reference]:
    def build(layer):
        return SeedFixed(aggr)
    return build


def _nn_ref(layer) -> Reference:
    return _with_weights(SeedNN(layer.in_channels, layer.hidden_channels, layer.out_channels, aggr="mean"), layer)


def _residual_ref(layer) -> Reference:
    m = _with_weights(SeedDynamic(layer.in_channels, layer.out_channels, aggr="add"), layer)
    return lambda x, edge_index: m(x, edge_index, 1)


def _gcn_ref(layer) -> Reference:
    from torch_geometric.nn import GCNConv

    return _with_weights(GCNConv(layer.in_channels, layer.out_channels), layer)


@dataclass(frozen=True)
class Case:
    config: dict[str, Any]                           # gnnprop config (from_mapping keys)
    reference: Callable[[MessagePassing], Reference]  # gnnprop's built layer -> the reference


#: The cases, in the order they run.
CASES: dict[str, Case] = {
    "fixed/max": Case({"layer": {"type": "fixed"}, "aggr": "max"}, _fixed_ref("max")),
    "fixed/sum": Case({"layer": {"type": "fixed"}, "aggr": "sum"}, _fixed_ref("sum")),
    "nn/mean": Case({"layer": {"type": "nn"}, "aggr": "mean"}, _nn_ref),
    "residual/add": Case({"layer": {"type": "residual"}, "aggr": "add"}, _residual_ref),
    "gcn": Case({"layer": {"type": "gcn"}}, _gcn_ref),
}


#: The benchmarks ``bench --engine`` picks from.
ENGINES: dict[str, str] = {
    "local": "gnnprop's engine against plain PyG: one round of each case (gnnprop.bench.local)",
    "spark": "the Spark engine against gnnprop's engine: load, rounds and memory (gnnprop.bench.spark)",
}


def resolve_engine(name: str) -> str:
    """The canonical name in :data:`ENGINES` (``Spark`` -> ``spark``); else a :class:`UsageError` with
    the closest names."""
    try:
        return resolve(name, ENGINES, what="engine", key="engine")[0]
    except ConfigError as e:
        raise UsageError(e.message, key="engine", argument=True) from None


def resolve_cases(names: Sequence[str] | None) -> list[str]:
    """Canonical case names, in :data:`CASES` order (``None`` or ``all``: every case)."""
    if names is None or [n.strip().lower() for n in names] == ["all"]:
        return list(CASES)
    def canonical(n: str) -> str:  # fixed-max and fixed_max mean fixed/max
        return resolve(n.strip().replace("-", "/").replace("_", "/"), CASES, what="case", key="cases")[0]  # "cases" is no config key

    picked = {canonical(n) for n in names if n.strip()}
    if not picked:
        raise UsageError(f"no case given; valid: {', '.join(CASES)}", key="cases", argument=True)
    return [c for c in CASES if c in picked]
