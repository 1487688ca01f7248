"""PyG's built-in convolution layers, by friendly name or class name.

Any class exported by ``torch_geometric.nn.conv`` that subclasses
``MessagePassing`` can be named: ``gcn``, ``GCNConv`` and ``gcn-conv`` all
resolve to ``GCNConv`` (case, ``-``, ``_`` and a trailing ``conv`` ignored, as
PyG's own resolver does). Keyword arguments come from the config and are
checked against the class's signature. ``in_channels`` / ``out_channels`` /
``channels`` default to the graph's feature width (``out_dim`` if set), and a
few layers get the defaults they need to run from a YAML file: ChebConv ``K=2``,
APPNP ``K=10, alpha=0.1``, GIN/GINE an MLP ``Linear(F, F) -> ReLU -> Linear(F, F)``,
``edge_dim`` from the graph's edge attributes.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Mapping

import torch
from torch_geometric.nn import MessagePassing

from ..errors import ConfigError
from ..resolver import choices, normalize

# friendly name -> class name (the ones the docs and `gnnprop layers` lead with)
FRIENDLY: dict[str, str] = {
    "gcn": "GCNConv", "sage": "SAGEConv", "graphconv": "GraphConv", "gin": "GINConv", "gat": "GATConv",
    "gatv2": "GATv2Conv", "cheb": "ChebConv", "sg": "SGConv", "appnp": "APPNP",
}
# defaults that let a layer run from a plain YAML file
DEFAULTS: dict[str, dict[str, Any]] = {"ChebConv": {"K": 2}, "APPNP": {"K": 10, "alpha": 0.1}}
MODULE_ARGS = {"GINConv": "nn", "GINEConv": "nn"}
# MessagePassing's own keyword arguments, accepted by convs that pass **kwargs on
BASE_KWARGS = ("aggr", "aggr_kwargs", "flow", "node_dim", "decomposed_layers")


@lru_cache(maxsize=1)
def classes() -> dict[str, type]:
    """Class name -> class, for every MessagePassing conv PyG exports."""
    import torch_geometric.nn.conv as conv

    out = {}
    for name in getattr(conv, "__all__", dir(conv)):
        obj = getattr(conv, name, None)
        if isinstance(obj, type) and issubclass(obj, MessagePassing) and obj is not MessagePassing:
            out[name] = obj
    return out


def lookup(name: str) -> str | None:
    """The PyG class name ``name`` refers to, or ``None``."""
    key = normalize(name)
    for friendly, cls in FRIENDLY.items():
        if key == friendly:
            return cls
    for cls_name in classes():
        n = normalize(cls_name)
        if key in (n, n.removesuffix("conv")):
            return cls_name
    return None


def friendly_name(cls_name: str) -> str:
    return next((f for f, c in FRIENDLY.items() if c == cls_name), cls_name)


def all_names() -> list[str]:
    return list(FRIENDLY) + [c for c in classes() if c not in FRIENDLY.values()]


def suggestions(name: str) -> list[str]:
    return choices(name, all_names())


def signature(cls: type) -> tuple[dict[str, inspect.Parameter], bool]:
    """``__init__`` parameters (without self) and whether it takes ``**kwargs``."""
    params = dict(inspect.signature(cls.__init__).parameters)
    params.pop("self", None)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    params = {k: p for k, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return params, var_kw


def accepted_kwargs(cls: type) -> list[str]:
    params, var_kw = signature(cls)
    return list(params) + ([k for k in BASE_KWARGS if k not in params] if var_kw else [])


def check_args(cls_name: str, args: Mapping[str, Any]) -> None:
    valid = accepted_kwargs(classes()[cls_name])
    for key in args:
        if key not in valid:
            close = choices(key, valid)[:3]
            raise ConfigError(f"layer.{key}: {cls_name} takes no argument {key!r}; "
                              f"closest: {', '.join(close)} (all: {', '.join(valid)})")
        if key in MODULE_ARGS.values() and cls_name in MODULE_ARGS:
            raise ConfigError(f"layer.{key}: {cls_name}'s {key!r} is a torch module; gnnprop builds one "
                              "(Linear -> ReLU -> Linear); it cannot come from YAML")


def build(cls_name: str, args: Mapping[str, Any], in_dim: int, out_dim: int | None, aggr: Any,
          aggr_mode: str | None, edge_dim: int | None) -> MessagePassing:
    cls = classes()[cls_name]
    params, var_kw = signature(cls)
    kwargs: dict[str, Any] = dict(DEFAULTS.get(cls_name, {}))
    kwargs.update(args)
    width = out_dim or in_dim
    if "in_channels" in params:
        kwargs.setdefault("in_channels", in_dim)
    if "out_channels" in params:
        kwargs.setdefault("out_channels", width)
    if "channels" in params:
        kwargs.setdefault("channels", in_dim)
    if edge_dim is not None and "edge_dim" in params:
        kwargs.setdefault("edge_dim", edge_dim)
    if cls_name in MODULE_ARGS:
        kwargs[MODULE_ARGS[cls_name]] = torch.nn.Sequential(
            torch.nn.Linear(in_dim, width), torch.nn.ReLU(), torch.nn.Linear(width, width))
    if aggr is not None:
        if "aggr" not in params and not var_kw:
            raise ConfigError(f"aggr: {cls_name} fixes its own aggregation; remove aggr to use it")
        kwargs["aggr"] = aggr
        if aggr_mode is not None:
            kwargs["aggr_kwargs"] = {"mode": aggr_mode}
    missing = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in kwargs]
    if missing:
        raise ConfigError(f"layer: {cls_name} needs {', '.join(repr(m) for m in missing)}; "
                          f"give {'it' if len(missing) == 1 else 'them'} in the layer mapping "
                          f"(layer: {{type: {friendly_name(cls_name)}, {missing[0]}: ...}})")
    try:
        return cls(**kwargs)
    except TypeError as e:
        if aggr is not None and "aggr" in str(e):
            own = getattr(_plain(cls_name, args, in_dim, out_dim, edge_dim), "aggr", "its own")
            raise ConfigError(f"aggr: {cls_name} uses {own!r} aggregation and cannot take another") from None
        raise ConfigError(f"layer: cannot build {cls_name}({_show(kwargs)}): {e}") from None
    except (ValueError, AssertionError, RuntimeError, NotImplementedError) as e:
        raise ConfigError(f"layer: cannot build {cls_name}({_show(kwargs)}): {e}") from None


def _plain(cls_name, args, in_dim, out_dim, edge_dim):
    try:
        return build(cls_name, args, in_dim, out_dim, None, None, edge_dim)
    except ConfigError:
        return None


def _show(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={'<module>' if isinstance(v, torch.nn.Module) else repr(v)}" for k, v in kwargs.items())
