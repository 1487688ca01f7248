"""The library's front door: a graph and a config in, a ready-to-run propagation out.

    session = prepare(graph, config)
    for result in session.propagate():   # round 0 (input), 1, 2, ...
        ...
    session.meta()                        # what ran, where, and why it stopped

Nothing here prints or knows about the command line.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch_geometric.nn import MessagePassing

from . import reorder
from .config import Config
from .device import resolve_device
from .engine import KERNELS, DeviceGraph, Kernel, Propagation
from .errors import ConfigError, RunError
from .graph import Graph, with_default_features
from .layers import aggr_name, build_layer, make_caller
from .rounds import RoundPlan, plan_rounds
from .weights import load_weights

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
    out_dim: int = 0              # the layer's output width (probed)
    engine_note: str = ""         # why this kernel (e.g. why not fused)
    reorder: Any = None           # the node order the kernel runs in (gnnprop.reorder.Choice)
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
            "aggr": aggr_name(self.layer),
            "rounds_run": p.rounds_run if p else 0,
            "stop_reason": p.stop_reason if p else "not started",
            "converged": p.converged if p else None,
            "device": str(self.device),
            "dtype": str(self.dtype).replace("torch.", ""),
            "engine": self.kernel.name,
            "engine_note": self.engine_note,
            "reorder": self.reorder.name if self.reorder else "none",
            "seed": self.config.seed,
            "num_nodes": self.graph.num_nodes,
            "num_edges": self.graph.num_edges,
            "seconds": round(time.perf_counter() - self.started, 6),
        }


def probe_width(layer: MessagePassing, in_dim: int, g: Graph) -> int:
    """The layer's output width, from one call on a 2-node, 1-edge graph (on a copy of the layer).

    Catches widths that cannot work (e.g. a ``cat`` aggregation a formula cannot
    take) before the real graph is touched; a copy keeps caches (GCN's
    ``cached=True``) clean.
    """
    probe = copy.deepcopy(layer).to(torch.float32)
    dg = DeviceGraph(
        edge_index=torch.tensor([[0], [1]]),
        edge_weight=None if g.edge_weight is None else torch.ones(1),
        num_nodes=2,
        edge_attr=None if g.edge_attr is None else torch.zeros(1, g.edge_attr.shape[1]),
    )
    try:
        with torch.inference_mode():
            out = make_caller(probe)(torch.zeros(2, in_dim), dg)
    except (RuntimeError, ValueError, IndexError, TypeError, AssertionError, KeyError, NotImplementedError,
            AttributeError) as e:
        why = str(e).splitlines()[0] if str(e).strip() else f"{type(e).__name__} in {type(layer).__name__}.forward"
        raise ConfigError(f"layer: the {graph_layer_name(layer)} layer cannot run on this graph with {in_dim} "
                          f"input features: {why}") from None
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 2:
        raise ConfigError(f"layer: the {graph_layer_name(layer)} layer must return a [num_nodes, width] tensor, "
                          f"got {type(out).__name__} {tuple(getattr(out, 'shape', ()))}")
    return int(out.shape[1])


def graph_layer_name(layer: MessagePassing) -> str:
    source = getattr(layer, "_gnnprop_source", None)
    return f"{source[0]}:{source[1]}" if source else type(layer).__name__


def prepare(graph: Graph, config: Config, *, allow_nonfinite: bool = False, weights: str | None = None) -> Session:
    """Check the combination of graph and config and build everything a run needs.

    Raises :class:`ConfigError` (exit 2) for a layer whose widths cannot work for
    the rounds asked, and :class:`UsageError` for a device that is not there,
    before any round is computed. ``weights`` loads the layer's parameters from a
    ``.safetensors`` (or ``.pt``, tensors only) file.
    """
    cfg = config
    g = with_default_features(graph, cfg.graph_cfg.features, cfg.graph_cfg.feature_dim, cfg.seed)
    device = resolve_device(cfg.device)
    dtype = DTYPES[cfg.dtype]
    in_dim = int(g.x.shape[1])
    if in_dim == 0:
        raise ConfigError(f"{g.source}: the node features have width 0; nothing to propagate")
    if g.edge_attr is not None and g.edge_attr.shape[1] == 0:
        g = replace(g, edge_attr=None)  # "edge_attr": [] on a graph with no edges
    edge_dim = None if g.edge_attr is None else int(g.edge_attr.shape[1])
    layer = build_layer(cfg.layer, in_dim, cfg.aggregation(), cfg.seed, aggr_mode=cfg.aggr_mode, edge_dim=edge_dim)
    if weights is not None:
        load_weights(layer, weights)
    x0 = g.x.to(device=device, dtype=dtype)
    plan = plan_rounds(cfg.rounds, x0, g)
    out_dim = probe_width(layer, in_dim, g)
    if out_dim != in_dim and (plan.max_rounds > 1 or plan.mode == "converge"):
        why = plan.explanation if plan.mode != "static" else f"{plan.max_rounds} rounds"
        raise ConfigError(
            f"layer: the {cfg.layer.type} layer maps width {in_dim} to width {out_dim}, so its output cannot "
            f"be fed back in: it can run only 1 round, but the config asks for {why}; "
            f"set layer.out_dim to {in_dim}{' (and concat: false for a multi-head layer)' if 'heads' in cfg.layer.args else ''}"
            f" or rounds to 1")
    layer = layer.to(device=device, dtype=dtype)
    # Indices were range-checked by the loader; they move to the device only now.
    dgraph = DeviceGraph(
        edge_index=g.edge_index.to(device),
        edge_weight=None if g.edge_weight is None else g.edge_weight.to(device=device, dtype=dtype),
        num_nodes=g.num_nodes,
        edge_attr=None if g.edge_attr is None else g.edge_attr.to(device=device, dtype=dtype),
    )
    kernel, engine_note = choose_kernel(cfg.engine, layer, dgraph, dtype)
    if kernel.name == "reference":
        check_reference_memory(g, max(in_dim, out_dim, getattr(layer, "hidden_channels", 0) or 0), dtype,
                               engine_note)
    kernel, order = reorder.apply(cfg.reorder, kernel, dgraph.edge_index, g.num_nodes, device)
    return Session(cfg, g, layer, device, dtype, x0, dgraph, plan, kernel, out_dim=out_dim,
                   allow_nonfinite=allow_nonfinite, engine_note=engine_note, reorder=order)


def proc_bytes(path: str, key: str) -> int | None:
    """A ``key:   N kB`` line of a Linux /proc file, in bytes; ``None`` where there is none."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory() -> int | None:
    """Bytes the OS says are available (Linux /proc/meminfo), or None."""
    return proc_bytes("/proc/meminfo", "MemAvailable")


def check_reference_memory(g: Graph, width: int, dtype: torch.dtype, why_not_fused: str) -> None:
    """Refuse a reference run whose per-edge tensors would not fit, before allocating them.

    PyG's propagate gathers x_i and x_j ([E, F] each), computes the messages and
    scatters them: about four E x F tensors at once.
    """
    need = 4 * g.num_edges * width * torch.finfo(dtype).bits // 8
    have = available_memory()
    if have is None or need <= have:
        return
    gb = 1024 ** 3
    smaller = " or --dtype float32" if dtype == torch.float64 else ""
    raise RunError(f"{g.source}: the reference path would need about {need / gb:.1f} GiB for its per-edge "
                   f"tensors ({g.num_edges} edges x {width} features x 4), and {have / gb:.1f} GiB is available; "
                   f"the fused engine avoids them but cannot run here ({why_not_fused}); "
                   f"use a layer and aggregation it supports{smaller}")


def choose_kernel(engine: str, layer: MessagePassing, dgraph: DeviceGraph, dtype: torch.dtype) -> tuple[Kernel, str]:
    """The kernel for ``engine`` (auto | fused | reference) and a note on the choice."""
    from .fused import FusedKernel, fused_plan

    if engine == "reference":
        return KERNELS["reference"], "asked for"
    step, why = fused_plan(layer, dgraph)
    if step is None:
        if engine == "fused":
            raise ConfigError(f"engine: fused is not possible here: {why}; use engine auto or reference")
        return KERNELS["reference"], why
    return FusedKernel(step, dtype), "exact for this layer and aggregation"
