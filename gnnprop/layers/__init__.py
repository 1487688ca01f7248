"""The layer registry and the one way to build and call a layer.

Three kinds of layer type:

- gnnprop's own (``fixed``, ``nn``, ``residual``): :data:`LAYERS`, a name ->
  :class:`LayerSpec` registry with each layer's default aggregation;
- PyG's built-in convolutions, by friendly or class name (``gcn``, ``GATv2Conv``):
  :mod:`.pyg`;
- a user's own ``MessagePassing`` class, ``path/to/file.py:ClassName``: :mod:`.user`.

Every built layer is a PyG ``MessagePassing`` module; :func:`make_caller` gives
the one function the engine uses to run it, whatever its ``forward`` takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch_geometric.nn import MessagePassing

from ..config import LayerConfig
from ..errors import ConfigError
from ..resolver import closest, normalize, resolve
from . import pyg, user
from .call import make_caller
from .fixed import FixedLayer, build_fixed
from .nn import NNLayer, build_nn
from .residual import ResidualLayer, build_residual


@dataclass(frozen=True)
class LayerSpec:
    name: str
    description: str
    default_aggr: str
    build: Callable[..., MessagePassing]  # (cfg, in_dim, aggr, aggr_mode) -> layer


LAYERS: dict[str, LayerSpec] = {
    "fixed": LayerSpec(
        "fixed", "hand-written formulas (the tutorial's): message 0.5*x_i + 2*x_j, update x + 0.5*aggr_out",
        "max", build_fixed),
    "nn": LayerSpec(
        "nn", "learned (the tutorial's): message Linear([x_i || x_j]), update Linear([x || aggr_out])",
        "mean", build_nn),
    "residual": LayerSpec(
        "residual", "residual (the dynamic-rounds snippet's DynamicGNN): message Linear(x_j), update aggr_out + x",
        "sum", build_residual),
}


def kind_of(type_name: str) -> str:
    """``native`` | ``pyg`` | ``user`` for a resolved layer type."""
    if type_name in LAYERS:
        return "native"
    if user.is_user_spec(type_name):
        return "user"
    return "pyg"


def resolve_layer_type(name: Any, args: dict[str, Any]) -> str:
    """Canonical layer type for ``name``; checks a PyG layer's keyword arguments.

    Unknown names are a :class:`ConfigError` listing the closest valid names.
    """
    if not isinstance(name, str):
        raise ConfigError(f"layer.type: expected a layer name, got {name!r}")
    if normalize(name) in {normalize(k) for k in LAYERS}:
        return resolve(name, LAYERS, what="layer", key="layer.type")[0]
    if user.is_user_spec(name):
        user.split_spec(name)
        return name
    cls_name = pyg.lookup(name)
    if cls_name is None:
        close = closest(name, [*LAYERS, *pyg.all_names()], 5) or pyg.suggestions(name)[:5]
        raise ConfigError(f"layer.type: unknown layer {name!r}; closest: {', '.join(close)} "
                          f"(also fixed, nn, residual, or path/to/file.py:ClassName; `gnnprop layers` lists all)")
    pyg.check_args(cls_name, args)
    return pyg.friendly_name(cls_name)


def build_layer(cfg: LayerConfig, in_dim: int, aggr: Any, seed: int, *, aggr_mode: str | None = None,
                edge_dim: int | None = None) -> MessagePassing:
    """Build the configured layer for inputs of width ``in_dim``.

    Parameters are drawn from a generator seeded with ``seed`` (in float32, on the
    CPU), so the same config gives the same weights on every device and dtype.
    """
    kind = kind_of(cfg.type)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "native":
            layer = LAYERS[cfg.type].build(cfg, in_dim, aggr, aggr_mode)
        elif kind == "pyg":
            layer = pyg.build(pyg.lookup(cfg.type), cfg.args, in_dim, cfg.out_dim, aggr, aggr_mode, edge_dim)
        else:
            layer = user.build(cfg.type, cfg.args, in_dim, cfg.hidden_dim, cfg.out_dim, aggr)
    return layer.eval()


def aggr_width_factor(aggr: Any, aggr_mode: str | None) -> int:
    """How many times wider ``aggr_out`` is than one message (``cat`` of k aggregations: k)."""
    if isinstance(aggr, list) and (aggr_mode or "cat") == "cat":
        return len(aggr)
    return 1


_AGGR_CLASSES = {"SumAggregation": "sum", "MeanAggregation": "mean", "MaxAggregation": "max",
                 "MinAggregation": "min", "MulAggregation": "mul", "StdAggregation": "std", "VarAggregation": "var"}


def aggr_name(layer: MessagePassing) -> str:
    """The aggregation a built layer really uses, as text (``max``, ``[mean, max] (cat)``).

    Read from PyG's ``aggr_module``, not from ``layer.aggr``: a class may assign
    ``self.aggr`` after ``__init__`` (the seed's NN layer does), which PyG ignores.
    """
    module = getattr(layer, "aggr_module", None)
    if module is None:
        a = getattr(layer, "aggr", None)
        return a if isinstance(a, str) else "none"
    name = type(module).__name__
    if name == "MultiAggregation":
        parts = [_AGGR_CLASSES.get(type(m).__name__, type(m).__name__) for m in module.aggrs]
        return f"[{', '.join(parts)}] ({module.mode})"
    return _AGGR_CLASSES.get(name, name)


__all__ = ["LAYERS", "LayerSpec", "build_layer", "make_caller", "kind_of", "resolve_layer_type", "aggr_name",
           "aggr_width_factor", "FixedLayer", "NNLayer", "ResidualLayer"]
