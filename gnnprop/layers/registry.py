"""The registry of layer kinds and the one resolver of layer names.

Three families of layer type:

- gnnprop's own kinds (``fixed``, ``nn``, ``residual``): :data:`KINDS`, one
  module each;
- PyG's built-in convolutions, by friendly or class name (``gcn``, ``GATv2Conv``):
  :mod:`.pyg`;
- a user's own ``MessagePassing`` class, ``path/to/file.py:ClassName``: :mod:`.user`.

:func:`resolve_kind` turns a name into its :class:`~.base.LayerKind`;
:func:`build` draws a kind's parameters from the run's seed.
"""

from __future__ import annotations

from typing import Any

import torch

from ..config.schema import Config, LayerConfig, LayerFacts
from ..errors import ConfigError
from ..resolver import normalize, resolve
from importlib import import_module

from . import KIND_MODULES
from .base import LayerKind

#: gnnprop's own layer kinds: name -> kind (each module's ``KIND``), in the order of :data:`KIND_MODULES`.
KINDS: dict[str, LayerKind] = {name: import_module(f".{module}", __package__).KIND
                               for name, module in KIND_MODULES.items()}


def is_native(type_name: str) -> bool:
    """Whether ``type_name`` names one of gnnprop's own kinds (any spelling)."""
    return isinstance(type_name, str) and normalize(type_name) in {normalize(k) for k in KINDS}


def resolve_kind(name: Any) -> LayerKind:
    """The kind ``name`` refers to: one of :data:`KINDS`, a user's ``file.py:Class``, or a PyG
    convolution by friendly or class name (a trailing ``conv`` optional). A miss is a
    :class:`ConfigError` listing the closest names of all three families."""
    if not isinstance(name, str):
        raise ConfigError(f"expected a layer name, got {name!r}", key="layer.type")
    if is_native(name):
        return KINDS[resolve(name, KINDS, what="layer", key="layer.type")[0]]
    from . import user

    if user.is_user_spec(name):
        return user.UserKind(name)
    from . import pyg

    cls_name = pyg.lookup(name)
    if cls_name is None:
        names = {**{k: k for k in KINDS}, **{n: n for n in pyg.all_names()}}
        resolve(name, names, what="layer", key="layer.type", shown=5,
                hint=lambda near: _also(near))
    return pyg.PygKind(cls_name)


def _also(near: list[str]) -> str:
    """What a miss adds after the closest names: gnnprop's own kinds not already among them."""
    others = [k for k in KINDS if k not in near]
    kinds = f"also {', '.join(others)}, or " if others else "or "
    return kinds + "path/to/file.py:ClassName; `gnnprop layers` lists all"


def check_config(cfg: Config) -> Config:
    """The layer's part of checking a config: resolve ``layer.type`` to its canonical name,
    let the kind check its own keys, and record what ``config show`` and the defaults need."""
    kind = resolve_kind(cfg.layer.type)
    cfg.layer.type = kind.name
    kind.check(cfg.layer)
    cfg.facts = LayerFacts(default_aggr=kind.default_aggr, fields=kind.fields)
    return cfg


def build(kind: LayerKind, cfg: LayerConfig, in_dim: int, aggr: Any, seed: int, *, aggr_mode: str | None = None,
          edge_dim: int | None = None) -> torch.nn.Module:
    """The kind's parameters for inputs of width ``in_dim``.

    Drawn from a generator seeded with ``seed`` (in float32, on the CPU), so the
    same config gives the same weights on every device and dtype.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        params = kind.build(cfg, in_dim, aggr, aggr_mode, edge_dim)
    return params.eval()


__all__ = ["KINDS", "build", "check_config", "is_native", "resolve_kind"]
