"""What a layer kind is, and what every kind shares.

A layer kind is the unit of gnnprop's layers: one module per kind holds its
config checks, its parameters, its formulas (for ``inspect``, ``plot`` and the
docs) and each of its lowerings:

- ``reference(params)``: the PyG ``MessagePassing`` form, run by PyG's generic
  ``propagate``: the definition of what the layer computes, and what
  ``inspect`` listens to through PyG's hooks;
- ``fused(params, graph)``: the same round as node-level tensor work plus
  sparse reductions (:mod:`gnnprop.engine.csr`), or the reason there is none;
- ``spark(params, ops)`` (optional): the round as a Spark DataFrame
  transformation, built from the toolbox ``ops`` the Spark engine hands it
  (:mod:`gnnprop.engine.spark.ops`), or the reason there is none. The kind
  imports neither pyspark nor the engine; a kind without the method does not
  run on Spark.

gnnprop's own kinds keep their parameters in plain torch modules and build
their PyG form only when asked, so a fused run never imports PyG. Adding a
kind is one module defining a :class:`LayerKind` and one line in
:data:`gnnprop.layers.KINDS`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import torch

from ..config.schema import LayerConfig
from ..aggregation import SPARK, by_pyg_class
from ..engine.csr import Adjacency
from ..errors import ConfigError
from ..graph import DeviceGraph

#: One fused round: ``(x, adjacency) -> x'``.
Step = Callable[[torch.Tensor, Adjacency], torch.Tensor]
#: One reference round: ``(x, graph) -> x'``.
Caller = Callable[[torch.Tensor, DeviceGraph], torch.Tensor]


@dataclass(frozen=True)
class Fused:
    """A kind's fused lowering for one run.

    ``aggregate`` and ``update``, where given, are the step's two halves: ``step(x, adj)`` is
    ``update(aggregate(x, adj), x)`` bit for bit, so ``inspect`` can show the engine's own
    ``aggr_out`` (:class:`gnnprop.engine.loop.FusedKernel` runs the halves for a watched round).
    ``composed`` says, where the step computes the round without forming ``aggr_out`` at all, how
    it does (the halves then only show what ``aggr_out`` is). ``how`` says how ``aggregate`` forms
    the aggregation (what ``inspect`` writes when that differs from the messages reduced in order).
    """

    step: Step
    compact: bool = True  # the step takes int32 CSR indices (gnnprop's own kernels; PyG's layers want int64)
    #: the step reaches the neighbours only through :func:`gnnprop.engine.csr.reduce` / ``reduce_raw``, so a
    #: node order can run inside the reductions, bit for bit (PyG's layers use the adjacency themselves)
    reductions_only: bool = True
    aggregate: Callable[[torch.Tensor, Adjacency], torch.Tensor] | None = None
    update: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None
    composed: str = ""
    how: str = ""


def halves(aggregate: Callable[[torch.Tensor, Adjacency], torch.Tensor],
           update: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], how: str, **more) -> Fused:
    """A :class:`Fused` whose step is ``update(aggregate(x, adj), x)``."""
    return Fused(lambda x, adj: update(aggregate(x, adj), x), aggregate=aggregate, update=update, how=how, **more)


@dataclass(frozen=True)
class Arithmetic:
    """A kind's formulas as arithmetic on edges' and one node's values (numpy, in the values' dtype,
    in the order the formulas are written: :mod:`gnnprop.layers.inorder`), for ``inspect`` to redo
    what it shows: ``message(inputs)`` takes the message's ``inputs`` by name, E edges' rows at once
    (``[E, F]``; ``edge_weight`` ``[E]``), and gives ``[E, width]``, each row computed as on its own;
    ``update(x, aggr_out)`` one node's. ``products`` names the modules whose matrix products the
    formulas hold (the engines, through BLAS, add their terms in another order than written)."""

    message: Callable[[dict[str, Any]], Any]
    update: Callable[[Any, Any], Any]
    inputs: tuple[str, ...] = ("x_i", "x_j")
    products: str = ""


class LayerKind(Protocol):
    name: str                  # the canonical type name (``fixed``, ``gcn``, ``file.py:Class``)
    default_aggr: str | None   # the aggregation when the config sets none (None: the layer's own)
    fields: tuple[str, ...]    # the LayerConfig keys this kind reads
    is_local: bool             # a node's new value depends only on itself and its in-edges
    runs_user_code: bool       # building or calling it runs the user's own Python
    has_spark: bool            # it has a Spark form (``spark(params, ops)``) for some configs

    def describe(self) -> str:
        """One line for ``gnnprop layers``."""

    def check(self, cfg: LayerConfig) -> None:
        """Config-time checks of the kind's own keys (formulas parse, keyword arguments exist)."""

    def build(self, cfg: LayerConfig, in_dim: int, aggr: Any, aggr_mode: str | None,
              edge_dim: int | None) -> torch.nn.Module:
        """The parameters for inputs of width ``in_dim``, drawn from torch's current generator."""

    def label(self, params: torch.nn.Module) -> str:
        """The layer's name in messages."""

    def aggr_text(self, params: torch.nn.Module) -> str:
        """The aggregation the layer really uses (``max``, ``[mean, max] (cat)``)."""

    def out_width(self, params: torch.nn.Module) -> int | None:
        """The output width, or None when only a call can tell."""

    def formulas(self, params: torch.nn.Module) -> dict[str, str]:
        """``message`` / ``aggregate`` / ``update`` (and ``layer``) in words, with shapes."""

    def reference(self, params: torch.nn.Module) -> torch.nn.Module:
        """The PyG ``MessagePassing`` form, sharing ``params``' tensors."""

    def caller(self, layer: torch.nn.Module) -> Caller:
        """One reference round of ``layer``, the kind's PyG form (what :meth:`reference` gave)."""

    def fused(self, params: torch.nn.Module, graph: DeviceGraph) -> Fused | str:
        """The fused lowering, or why there is none."""


def aggr_width_factor(aggr: Any, aggr_mode: str | None) -> int:
    """How many times wider ``aggr_out`` is than one message (``cat`` of k aggregations: k)."""
    if isinstance(aggr, list) and (aggr_mode or "cat") == "cat":
        return len(aggr)
    return 1


def width_keeping_modes() -> str:
    """The ``aggr_mode`` values that keep ``aggr_out`` one message wide (every mode but ``cat``), in words."""
    from ..aggregation import MODES

    modes = [m for m in MODES if m != "cat"]
    return f"{', '.join(modes[:-1])} or {modes[-1]}"


def spark_aggr(aggr: Any) -> str | list[str] | None:
    """What a Spark lowering reduces with: an aggregation the Spark engine has (:data:`gnnprop.aggregation.SPARK`),
    or a list of them (combined by the layer's ``aggr_mode``); ``None`` for anything else."""
    names = [aggr] if isinstance(aggr, str) else list(aggr) if isinstance(aggr, (list, tuple)) else []
    if not names or any(n not in SPARK for n in names):
        return None
    return names[0] if isinstance(aggr, str) else names


def aggr_text(aggr: Any, aggr_mode: str | None) -> str:
    """An aggregation as text: ``max``, or ``[mean, max] (cat)`` for several."""
    if isinstance(aggr, (list, tuple)):
        return f"[{', '.join(aggr)}] ({aggr_mode or 'cat'})"
    return str(aggr)


def mp_kwargs(aggr: Any, aggr_mode: str | None) -> dict[str, Any]:
    """``MessagePassing.__init__``'s aggregation arguments."""
    return {"aggr": aggr, "aggr_kwargs": {"mode": aggr_mode} if aggr_mode else None}


def module_aggr_text(layer: torch.nn.Module) -> str:
    """The aggregation a built PyG layer really uses, read from its ``aggr_module``.

    Not from ``layer.aggr``: a class may assign ``self.aggr`` after ``__init__``
    (the tutorial's NN layer does), which PyG ignores.
    """
    module = getattr(layer, "aggr_module", None)
    if module is None:
        a = getattr(layer, "aggr", None)
        return a if isinstance(a, str) else "none"
    name = type(module).__name__
    if name == "MultiAggregation":
        parts = [by_pyg_class(type(m).__name__) for m in module.aggrs]
        return f"[{', '.join(parts)}] ({module.mode})"
    return by_pyg_class(name)


def module_formulas(layer: torch.nn.Module, whole: str | None = None) -> dict[str, str]:
    """What a ``MessagePassing`` class computes, from its own methods: their signatures (and
    ``whole``, the layer's formula in words, where it is known)."""
    def params(fn) -> str:
        try:
            return ", ".join(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return "..."

    name = type(layer).__name__
    out = {"message": f"{name}.message({params(layer.message)})",
           "update": f"{name}.update({params(layer.update)}), then the rest of {name}.forward"}
    if whole is not None:
        out["layer"] = whole
    out["aggregate"] = f"{module_aggr_text(layer)} over the incoming messages"
    return out


KNOWN = ("x", "edge_index", "edge_weight", "edge_attr", "num_iterations")


def make_caller(layer: torch.nn.Module, what: str | None = None) -> Caller:
    """Call any ``MessagePassing`` layer the same way: ``caller(x, graph) -> x'``.

    Layers' ``forward`` signatures differ (GCN takes ``edge_weight``, GAT
    ``edge_attr``, the snippet's ``DynamicGNN`` a ``num_iterations``); this reads the
    signature once and passes what the layer accepts and the graph has.
    ``num_iterations`` is always 1, so gnnprop's rounds stay in charge. A tuple
    result (``(x, attention)``) gives its first element.
    """
    params = dict(inspect.signature(layer.forward).parameters)
    names = [n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    required = [n for n in names if params[n].default is inspect.Parameter.empty]
    # x and the edge list go first, whatever their names; a forward naming edge_index later (x, x_0,
    # edge_index) needs what comes between
    by_name = "edge_index" in names[2:]
    unknown = [n for n in (required[1:] if by_name else required[2:]) if n not in KNOWN]
    what = what or type(layer).__name__
    if len(required) < 2 and not (len(names) >= 2):
        raise ConfigError(f"{what}.forward must take (x, edge_index, ...)", key="layer")
    if unknown:
        raise ConfigError(f"{what}.forward needs {', '.join(repr(u) for u in unknown)}, which gnnprop "
                          f"cannot supply (it passes x, edge_index, edge_weight, edge_attr, num_iterations=1)",
                          key="layer")
    takes_weight = "edge_weight" in names
    takes_attr = "edge_attr" in names
    takes_iter = "num_iterations" in names

    def call(x: torch.Tensor, graph: DeviceGraph) -> torch.Tensor:
        kwargs: dict[str, Any] = {}
        if takes_weight and graph.edge_weight is not None:
            kwargs["edge_weight"] = graph.edge_weight
        if takes_attr and graph.edge_attr is not None:
            kwargs["edge_attr"] = graph.edge_attr
        if takes_iter:
            kwargs["num_iterations"] = 1
        out = layer(x, edge_index=graph.edge_index, **kwargs) if by_name else layer(x, graph.edge_index, **kwargs)
        if isinstance(out, tuple):  # e.g. (x, attention) from layers asked to return more
            out = out[0]
        return out

    return call


class OwnKind:
    """What gnnprop's own kinds (fixed, nn, residual) share: parameters in a plain torch
    module that records ``aggr`` and ``aggr_mode``, a PyG form built on demand, local rounds."""

    name = ""
    default_aggr: str | None = None
    fields: tuple[str, ...] = ()
    is_local = True
    runs_user_code = False
    summary = ""

    @property
    def has_spark(self) -> bool:
        return hasattr(self, "spark")

    def describe(self) -> str:
        return self.summary

    def check(self, cfg: LayerConfig) -> None:
        pass

    def label(self, params) -> str:
        return self.name

    def aggr_text(self, params) -> str:
        return aggr_text(params.aggr, params.aggr_mode)

    def out_width(self, params) -> int | None:
        return params.out_channels

    def caller(self, layer) -> Caller:
        return make_caller(layer)

    def spark_blocks(self, params):
        """The round on a block of nodes (:mod:`.blocks`): local to a node and its in-edges."""
        from .blocks import Local

        return Local(self, params)

    def reference(self, params) -> torch.nn.Module:  # pragma: no cover - every kind defines it
        raise NotImplementedError
