"""Calling any layer the same way: ``caller(x, graph) -> x'``.

Layers' ``forward`` signatures differ (GCN takes ``edge_weight``, GAT
``edge_attr``, seed 003's ``DynamicGNN`` a ``num_iterations``). :func:`make_caller`
reads the signature once and returns a function that passes what the layer
accepts and the graph has; ``num_iterations`` is always 1, so gnnprop's rounds
stay in charge. Exceptions from a user's own layer become :class:`UserCodeError`
with the user's traceback.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch

from ..errors import ConfigError
from ..guards import OutputShape, user_code
from .user import UserCodeError, user_traceback

KNOWN = ("x", "edge_index", "edge_weight", "edge_attr", "num_iterations")


def make_caller(layer: torch.nn.Module) -> Callable[[torch.Tensor, Any], torch.Tensor]:
    params = dict(inspect.signature(layer.forward).parameters)
    names = [n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    required = [n for n in names if params[n].default is inspect.Parameter.empty]
    unknown = [n for n in required[2:] if n not in KNOWN]
    source = getattr(layer, "_gnnprop_source", None)
    what = f"{source[0]}:{source[1]}" if source else type(layer).__name__
    if len(required) < 2 and not (len(names) >= 2):
        raise ConfigError(f"layer: {what}.forward must take (x, edge_index, ...)")
    if unknown:
        raise ConfigError(f"layer: {what}.forward needs {', '.join(repr(u) for u in unknown)}, which gnnprop "
                          f"cannot supply (it passes x, edge_index, edge_weight, edge_attr, num_iterations=1)")
    takes_weight = "edge_weight" in names
    takes_attr = "edge_attr" in names
    takes_iter = "num_iterations" in names
    shape = OutputShape(what) if source is not None else None

    def call(x: torch.Tensor, graph) -> torch.Tensor:
        kwargs: dict[str, Any] = {}
        if takes_weight and graph.edge_weight is not None:
            kwargs["edge_weight"] = graph.edge_weight
        if takes_attr and graph.edge_attr is not None:
            kwargs["edge_attr"] = graph.edge_attr
        if takes_iter:
            kwargs["num_iterations"] = 1
        if source is None:
            out = layer(x, graph.edge_index, **kwargs)
        else:
            try:
                with user_code(what, source[0]):
                    out = layer(x, graph.edge_index, **kwargs)
            except UserCodeError:
                raise
            except Exception as e:
                raise UserCodeError(f"{what}: {type(e).__name__}: {e}", user_traceback(e, source[0])) from None
        if isinstance(out, tuple):  # e.g. (x, attention) from layers asked to return more
            out = out[0]
        if shape is not None:
            shape(out, x, getattr(layer, "_gnnprop_width", None))
        return out

    return call
