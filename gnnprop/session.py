"""The library's front door: a graph and a config in, a ready-to-run propagation out.

    session = prepare(graph, config)
    for result in session.propagate():   # round 0 (input), 1, 2, ...
        ...
    session.meta()                        # what ran, where, and why it stopped

Nothing here prints or knows about the command line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch_geometric.nn import MessagePassing

from .config import Config
from .device import resolve_device
from .engine import KERNELS, DeviceGraph, Kernel, Propagation
from .errors import ConfigError
from .graph import Graph, with_default_features
from .layers import build_layer
from .rounds import RoundPlan, plan_rounds

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Session:
    config: Config
    graph: Graph                  # with features filled in
    layer: MessagePassing
    device: torch.device
    dtype: torch.dtype
    x0: torch.Tensor              # [N, F] input features on device
    dgraph: DeviceGraph
    plan: RoundPlan
    kernel: Kernel
    allow_nonfinite: bool = False
    propagation: Propagation | None = None
    started: float = field(default_factory=time.perf_counter)

    def propagate(self) -> Propagation:
        self.started = time.perf_counter()
        self.propagation = Propagation(self.layer, self.dgraph, self.x0, self.plan, self.kernel,
                                       node_ids=self.graph.node_ids, allow_nonfinite=self.allow_nonfinite)
        return self.propagation

    def meta(self) -> dict[str, Any]:
        p = self.propagation
        return {
            "layer": self.config.layer.type,
            "aggr": self.config.aggregation(),
            "rounds_run": p.rounds_run if p else 0,
            "stop_reason": p.stop_reason if p else "not started",
            "converged": p.converged if p else None,
            "device": str(self.device),
            "dtype": str(self.dtype).replace("torch.", ""),
            "engine": self.kernel.name,
            "seed": self.config.seed,
            "num_nodes": self.graph.num_nodes,
            "num_edges": self.graph.num_edges,
            "seconds": round(time.perf_counter() - self.started, 6),
        }


def prepare(graph: Graph, config: Config, *, allow_nonfinite: bool = False) -> Session:
    """Check the combination of graph and config and build everything a run needs.

    Raises :class:`ConfigError` (exit 2) for a layer whose widths cannot work for
    the rounds asked, and :class:`UsageError` for a device that is not there,
    before any round is computed.
    """
    cfg = config
    g = with_default_features(graph, cfg.graph_cfg.features, cfg.graph_cfg.feature_dim, cfg.seed)
    device = resolve_device(cfg.device)
    dtype = DTYPES[cfg.dtype]
    in_dim = int(g.x.shape[1])
    if in_dim == 0:
        raise ConfigError(f"{g.source}: the node features have width 0; nothing to propagate")
    aggr = cfg.aggregation()
    layer = build_layer(cfg.layer, in_dim, aggr, cfg.seed)
    x0 = g.x.to(device=device, dtype=dtype)
    plan = plan_rounds(cfg.rounds, x0, g)
    out_dim = int(layer.out_channels)
    if out_dim != in_dim and (plan.max_rounds > 1 or plan.mode == "converge"):
        why = plan.explanation if plan.mode != "static" else f"{plan.max_rounds} rounds"
        raise ConfigError(
            f"layer: the {cfg.layer.type} layer maps width {in_dim} to width {out_dim}, so its output cannot "
            f"be fed back in: it can run only 1 round, but the config asks for {why}; "
            f"set layer.out_dim to {in_dim} or rounds to 1")
    layer = layer.to(device=device, dtype=dtype)
    # Indices were range-checked by the loader; they move to the device only now.
    dgraph = DeviceGraph(
        edge_index=g.edge_index.to(device),
        edge_weight=None if g.edge_weight is None else g.edge_weight.to(device=device, dtype=dtype),
        num_nodes=g.num_nodes,
    )
    return Session(cfg, g, layer, device, dtype, x0, dgraph, plan, KERNELS["reference"],
                   allow_nonfinite=allow_nonfinite)
