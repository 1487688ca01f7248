"""The library's front door: a graph and a config in, a ready-to-run propagation out.

    session = prepare(graph, config)      # or open_session("graph.csv", config)
    for result in session.propagate():   # round 0 (input), 1, 2, ...
        ...
    session.meta()                        # what ran, where, and why it stopped

Nothing here prints or knows about the command line.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import torch

from ..config.names import DTYPES as DTYPE_NAMES
from ..config.schema import Config
from ..device import resolve_device
from . import memory
from ..errors import ConfigError
from ..guards import check_fits_dtype
from ..graph import DeviceGraph, Graph, with_default_features, with_reverse_edges
from ..layers import build, resolve_kind
from ..layers.base import LayerKind
from ..weights import load_weights
from . import reorder
from .loop import FusedKernel, Kernel, Propagation, ReferenceKernel, Start
from .rounds import RoundBook, RoundPlan, check_widths, plan_rounds

#: config name -> torch dtype, for every name the config allows
DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}


@dataclass
class Session:
    config: Config
    graph: Graph                  # with features filled in
    kind: LayerKind
    params: torch.nn.Module       # the layer's parameters (for PyG and user layers, the layer itself)
    device: torch.device
    dtype: torch.dtype
    x0: torch.Tensor              # [N, F] input features on device
    dgraph: DeviceGraph
    plan: RoundPlan
    kernel: Kernel | None = None  # chosen by prepare() once the session exists (the reference kernel calls .layer)
    out_dim: int = 0              # the layer's output width
    engine_note: str = ""         # why this kernel (e.g. why not fused)
    reorder: Any = None           # the node order the kernel runs in (engine.reorder.Choice)
    allow_nonfinite: bool = False
    propagation: Propagation | None = None
    started: float = field(default_factory=time.perf_counter)
    _layer: torch.nn.Module | None = field(default=None, repr=False)

    @property
    def layer(self) -> torch.nn.Module:
        """The layer's PyG ``MessagePassing`` form (built on first use; it shares ``params``' tensors)."""
        if self._layer is None:
            self._layer = self.kind.reference(self.params)
        return self._layer

    @property
    def in_dim(self) -> int:
        return int(self.x0.shape[1])

    @property
    def width(self) -> int:
        """The widest row any round has (the input's or the layer's output's)."""
        return max(self.in_dim, self.out_dim)

    @property
    def numpy_dtype(self):
        """The run's dtype as numpy names it (what its numbers are written in)."""
        return self.x0.new_empty(0).cpu().numpy().dtype

    @property
    def aggr(self) -> str:
        """The aggregation the layer really uses, as text."""
        return self.kind.aggr_text(self.params)

    @property
    def nonfinite_round(self) -> int | None:
        """The first round with an inf or nan in a run that allows them, else None."""
        return self.propagation.nonfinite_round if self.propagation else None

    def propagate(self, start: Start | None = None) -> Propagation:
        """The rounds, from round 0 (or from a resumed run's ``start``)."""
        self.started = time.perf_counter()
        self.propagation = Propagation(self.dgraph, self.x0, self.plan, self.kernel, node_ids=self.graph.node_ids,
                                       allow_nonfinite=self.allow_nonfinite, start=start)
        return self.propagation

    def meta(self) -> dict[str, Any]:
        """What ran, where, and why it stopped (:func:`gnnprop.engine.run.meta`)."""
        from .run import meta

        p = self.propagation
        return meta(self.config, p.book if p else RoundBook(self.plan), aggr=self.aggr, device=str(self.device),
                    dtype=str(self.dtype).replace("torch.", ""), engine=self.kernel.name,
                    engine_note=self.engine_note, reorder=self.reorder.name if self.reorder else "none",
                    num_nodes=self.graph.num_nodes, num_edges=self.graph.num_edges,
                    seconds=p.seconds if p else 0.0, extra=reorder.meta_fields(self.reorder))


def probe_width(kind: LayerKind, params: torch.nn.Module, in_dim: int, g: Graph) -> int:
    """The layer's output width: the kind's own answer, or one call on a 2-node, 1-edge graph
    (on a copy of the layer).

    Catches widths that cannot work before the real graph is touched; a copy keeps
    caches (GCN's ``cached=True``) clean.
    """
    known = kind.out_width(params)
    if known is not None:
        return known
    probe = copy.deepcopy(params).to(torch.float32)
    dg = DeviceGraph(
        edge_index=torch.tensor([[0], [1]]),
        edge_weight=None if g.edge_weight is None else torch.ones(1),
        num_nodes=2,
        edge_attr=None if g.edge_attr is None else torch.zeros(1, g.edge_attr.shape[1]),
    )
    name = kind.label(params)
    try:
        with torch.inference_mode():
            out = kind.caller(kind.reference(probe))(torch.zeros(2, in_dim), dg)
    except (RuntimeError, ValueError, IndexError, TypeError, AssertionError, KeyError, NotImplementedError,
            AttributeError) as e:
        why = str(e).splitlines()[0] if str(e).strip() else f"{type(e).__name__} in {type(params).__name__}.forward"
        raise ConfigError(f"the {name} layer cannot run on this graph with {in_dim} input features: {why}",
                          key="layer") from None
    if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[0] != 2:
        raise ConfigError(f"the {name} layer must return a [num_nodes, width] tensor, "
                          f"got {type(out).__name__} {tuple(getattr(out, 'shape', ()))}", key="layer")
    return int(out.shape[1])


def prepare(graph: Graph, config: Config, *, allow_nonfinite: bool = False, weights: str | None = None) -> Session:
    """Check the combination of graph and config and build everything a run needs.

    Raises :class:`ConfigError` (exit 2) for a layer whose widths cannot work for
    the rounds asked, and :class:`UsageError` for a device that is not there,
    before any round is computed. ``weights`` loads the layer's parameters from a
    ``.safetensors`` (or ``.pt``, tensors only) file.
    """
    cfg = config
    memory.check_features(graph.num_nodes, graph.x is not None, cfg.graph_cfg.features, cfg.graph_cfg.feature_dim)
    g = with_default_features(graph, cfg.graph_cfg.features, cfg.graph_cfg.feature_dim, cfg.seed)
    device = resolve_device(cfg.device)
    dtype = DTYPES[cfg.dtype]
    in_dim = int(g.x.shape[1])
    check_widths(cfg.layer.type, g.source, in_dim, in_dim, None)  # no features: before the layer is built
    if g.edge_attr is not None and g.edge_attr.shape[1] == 0:
        g = replace(g, edge_attr=None)  # "edge_attr": [] on a graph with no edges
    edge_dim = None if g.edge_attr is None else int(g.edge_attr.shape[1])
    check_fits_dtype(g.x, dtype, g.node_ids, g.source)
    if g.edge_weight is not None:
        check_fits_dtype(g.edge_weight, dtype, g.node_ids, g.source, "edge_weight")
    kind = resolve_kind(cfg.layer.type)

    def build_params():
        return build(kind, cfg.layer, in_dim, cfg.aggregation(), cfg.seed, aggr_mode=cfg.aggr_mode, edge_dim=edge_dim)

    if not kind.runs_user_code:  # estimating a user's layer would run their code twice
        _check_layer_memory(build_params, cfg, in_dim, g, torch.finfo(dtype).bits // 8)
    params = build_params()
    if weights is not None:
        load_weights(params, weights)
    x0 = g.x.to(device=device, dtype=dtype)
    plan = plan_rounds(cfg.rounds, x0, g)
    out_dim = probe_width(kind, params, in_dim, g)
    check_widths(cfg.layer.type, g.source, in_dim, out_dim, plan, heads="heads" in cfg.layer.args)
    params = params.to(device=device, dtype=dtype)
    # Indices were range-checked by the loader; they move to the device only now.
    dgraph = DeviceGraph(
        edge_index=g.edge_index.to(device),
        edge_weight=None if g.edge_weight is None else g.edge_weight.to(device=device, dtype=dtype),
        num_nodes=g.num_nodes,
        edge_attr=None if g.edge_attr is None else g.edge_attr.to(device=device, dtype=dtype),
    )
    session = Session(cfg, g, kind, params, device, dtype, x0, dgraph, plan, out_dim=out_dim,
                      allow_nonfinite=allow_nonfinite)
    session.kernel, session.engine_note = choose_kernel(cfg.engine, session)
    session.kernel, session.reorder = reorder.apply(cfg.reorder, session.kernel, dgraph.edge_index, g.num_nodes,
                                                    device)
    if session.kernel.name == "reference":
        memory.check_reference_memory(g.source, g.num_edges,
                                      max(in_dim, out_dim, getattr(params, "hidden_channels", 0) or 0),
                                      torch.finfo(dtype).bits // 8, session.engine_note)
    return session


def _check_layer_memory(build_params, cfg: Config, in_dim: int, g: Graph, itemsize: int) -> None:
    """Refuse a layer whose parameters or per-round tensors cannot fit, before building it
    (``layer.hidden_dim: 1e9``): estimated from a build on torch's ``meta`` device."""
    lc = cfg.layer
    said = [f"{in_dim:,} input features"]
    said += [f"layer.{k} = {v:,}" for k, v in (("hidden_dim", lc.hidden_dim), ("out_dim", lc.out_dim)) if v]
    widths = (in_dim, lc.hidden_dim or in_dim, lc.out_dim or in_dim)
    memory.check_layer(build_params, f"layer {lc.type} with {', '.join(said)}", lc.type,
                       rows=g.num_nodes + g.num_edges, widths=widths, itemsize=itemsize)


def open_session(graph: str | Graph, config: Config, *, input_format: str | None = None,
                 node_features: str | None = None, weights: str | None = None, allow_nonfinite: bool = False,
                 loaded: Callable[[Graph], None] | None = None) -> Session:
    """Load ``graph`` (a path, ``-`` for stdin, or a loaded :class:`Graph`), add the reverse
    edges the config asks for, and :func:`prepare` the run: what ``run``, ``inspect``,
    ``plot`` and the Python API all do first. ``loaded`` sees the graph as loaded (before
    features are filled in), e.g. to report what the loader noted."""
    if isinstance(graph, Graph):
        g = with_reverse_edges(graph) if config.graph_cfg.undirected else graph
    else:
        from ..io import load_graph

        g = load_graph(graph, input_format=input_format, node_features=node_features,
                       undirected=config.graph_cfg.undirected)
    if loaded is not None:
        loaded(g)
    return prepare(g, config, allow_nonfinite=allow_nonfinite, weights=weights)


def choose_kernel(engine: str, session: Session) -> tuple[Kernel, str]:
    """The kernel for ``engine`` (auto | fused | reference) and a note on the choice.

    The reference kernel calls ``session.layer``, the PyG form ``inspect`` listens to."""
    kind = session.kind
    if engine == "spark":
        raise ConfigError("inspect explains a node on the local engine (a Spark run is explained from its run "
                          "folder: inspect --from-run OUT); use engine auto, fused or reference here", key="engine")
    if engine == "reference":
        return ReferenceKernel(kind.caller(session.layer)), "asked for"
    fused = kind.fused(session.params, session.dgraph)
    if isinstance(fused, str):
        if engine == "fused":
            raise ConfigError(f"fused is not possible here: {fused}; use engine auto or reference", key="engine")
        return ReferenceKernel(kind.caller(session.layer)), fused
    return FusedKernel(fused, session.dtype), "exact for this layer and aggregation"
