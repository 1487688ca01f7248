"""The Python API: the engine of ``gnnprop run`` and ``gnnprop inspect`` without the CLI.

    import gnnprop
    res = gnnprop.propagate("sample_graphs/seed_example.json", layer="fixed", aggr="max", rounds=10)
    res.x                      # [N, F] after the last round
    res.rounds[1]              # after round 1 (res.rounds[0] is the input)
    res.stop_reason            # "static: 10 rounds"
    rec = gnnprop.explain("sample_graphs/seed_example.json", node=0, round=1)
    rec["steps"][0]["update"]["value"]   # [12.5, 8.0]

Graphs may be given as a path (any format ``gnnprop run`` reads), a
:class:`~gnnprop.graph.Graph`, a PyG ``Data`` or a networkx graph. The config is
a :class:`~gnnprop.config.Config`, a YAML file, a mapping shaped like the YAML,
or nothing (the defaults); keyword arguments override it the way ``run``'s flags
override a config file (``layer=``, ``aggr=``, ``rounds=``, ``dtype=``, ...; see
:data:`OVERRIDES`). Errors are :class:`~gnnprop.errors.GnnpropError` subclasses
with the same one-line messages the CLI prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from .config import Config, apply_overrides, from_mapping, load_config
from .errors import InputError, UsageError
from .graph import Graph, with_reverse_edges
from .session import Session, prepare

#: Keyword arguments of :func:`propagate` / :func:`explain` / :func:`make_config`
#: and the config path each one sets (the same as ``run``'s flags).
OVERRIDES: dict[str, str] = {
    "layer": "layer.type", "message": "layer.message", "update": "layer.update",
    "hidden_dim": "layer.hidden_dim", "out_dim": "layer.out_dim", "project": "layer.project",
    "args": "layer.args", "aggr": "aggr", "aggr_mode": "aggr_mode", "rounds": "rounds",
    "engine": "engine", "reorder": "reorder", "device": "device", "dtype": "dtype", "seed": "seed",
    "undirected": "graph.undirected", "features": "graph.features", "feature_dim": "graph.feature_dim",
}

GraphLike = Any  # str | os.PathLike | Graph | torch_geometric.data.Data | networkx.Graph
ConfigLike = Config | Mapping[str, Any] | str | os.PathLike | None


def make_config(config: ConfigLike = None, **overrides: Any) -> Config:
    """A checked :class:`Config` from a Config, a YAML path, a mapping or nothing,
    with ``overrides`` (names from :data:`OVERRIDES`) applied.

    >>> make_config(layer="fixed", aggr="sum", rounds=3).rounds.n
    3
    """
    unknown = sorted(set(overrides) - set(OVERRIDES))
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], list(OVERRIDES), n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise UsageError(f"unknown keyword argument {unknown[0]!r}; {hint}valid: {', '.join(OVERRIDES)}")
    if isinstance(config, Config):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = from_mapping(config)
    elif config is None or isinstance(config, (str, os.PathLike)):
        cfg = load_config(config)
    else:
        raise UsageError(f"config: expected a Config, a mapping or a YAML path, got {type(config).__name__}")
    aggr = overrides.get("aggr")
    if isinstance(aggr, (list, tuple)):
        overrides["aggr"] = list(aggr)
    values = {OVERRIDES[k]: v for k, v in overrides.items()}
    return apply_overrides(cfg, values, {path: name for name, path in OVERRIDES.items()})


def as_graph(graph: GraphLike, *, node_features: str | None = None, input_format: str | None = None) -> Graph:
    """A :class:`Graph` from a path, a Graph, a PyG ``Data`` or a networkx graph."""
    if isinstance(graph, Graph):
        return graph
    if isinstance(graph, (str, os.PathLike)):
        from .io import load_graph

        return load_graph(str(graph), input_format=input_format, node_features=node_features)
    if _is_pyg_data(graph):
        return from_pyg(graph)
    if _is_networkx(graph):
        return from_networkx(graph)
    raise UsageError(f"graph: expected a path, a gnnprop Graph, a PyG Data or a networkx graph, "
                     f"got {type(graph).__name__}")


@dataclass
class Result:
    """What :func:`propagate` returns.

    Attributes:
        rounds: the features after each kept round, ``{round: tensor [N, F]}`` in
            order; round 0 is the input (with ``keep="last"`` only the last round).
        node_ids: the original id of each row.
        stop_reason: why the propagation stopped (``"static: 10 rounds"``,
            ``"converged after 7 rounds (...)"``, the rule and its statistic).
        rounds_run: how many rounds were computed.
        converged: in converge mode whether it converged, else ``None``.
        deltas: in converge mode the largest change of every round.
        meta: the summary ``run`` prints (layer, aggr, engine, device, dtype, seconds, ...).
        session: the prepared :class:`Session` (layer, plan, kernel).
    """

    rounds: dict[int, torch.Tensor]
    node_ids: list
    stop_reason: str
    rounds_run: int
    converged: bool | None
    deltas: list[float]
    meta: dict[str, Any]
    session: Session = field(repr=False)

    @property
    def x(self) -> torch.Tensor:
        """The features after the last round computed."""
        return self.rounds[max(self.rounds)]

    @property
    def layer(self) -> torch.nn.Module:
        return self.session.layer


def propagate(graph: GraphLike, config: ConfigLike = None, *, keep: str = "all", weights: str | None = None,
              allow_nonfinite: bool = False, node_features: str | None = None, **overrides: Any) -> Result:
    """Run the propagation ``gnnprop run`` runs and return every round's features.

    Args:
        graph: a path, :class:`Graph`, PyG ``Data`` or networkx graph.
        config: a :class:`Config`, YAML path, mapping or ``None`` (defaults: the
            fixed layer, 10 rounds, float32).
        keep: ``"all"`` keeps every round (round 0 is the input), ``"last"`` only
            the last (memory stays flat however many rounds run).
        weights: a ``.safetensors`` / ``.pt`` file with the layer's parameters.
        allow_nonfinite: keep going when a value becomes inf or nan (otherwise a
            :class:`~gnnprop.errors.RunError` names the round, node and feature).
        node_features: for a CSV / edge-list path, the node file.
        **overrides: config values by name (:data:`OVERRIDES`), e.g.
            ``layer="gcn", aggr="max", rounds=3, dtype="float64"``.

    Tensors are on the run's device, in its dtype.
    """
    if keep not in ("all", "last"):
        raise UsageError(f"keep: expected 'all' or 'last', got {keep!r}")
    session = _session(graph, config, overrides, node_features, weights, allow_nonfinite)
    kept: dict[int, torch.Tensor] = {}
    prop = session.propagate()
    for result in prop:
        if keep == "last":
            kept.clear()
        kept[result.round] = result.x
    return Result(kept, list(session.graph.node_ids), prop.stop_reason, prop.rounds_run, prop.converged,
                  list(prop.deltas), session.meta(), session)


def explain(graph: GraphLike, config: ConfigLike = None, *, node: Any, round: int | Sequence[int] = 1,
            all_rounds: bool = False, weights: str | None = None, node_features: str | None = None,
            **overrides: Any) -> dict[str, Any]:
    """How ``node``'s new value was derived: the record ``gnnprop inspect --format json`` prints.

    ``node`` is the node's id (as in the file); ``round`` one round or a list;
    ``all_rounds`` every round the run computes. The record holds, per round,
    the node's input, every incoming message with its inputs, the aggregation
    (with argmax/argmin or sum and count) and the update, plus the formulas and
    the round plan; its layout is in the README ("JSON record of inspect").
    """
    from .tracing import explain as _explain, to_dict

    session = _session(graph, config, overrides, node_features, weights, False)
    rounds = [round] if isinstance(round, int) else list(round)
    ex = _explain(session, node, rounds, all_rounds=all_rounds)
    return to_dict(ex, session.x0.cpu().numpy().dtype)


def _session(graph, config, overrides, node_features, weights, allow_nonfinite) -> Session:
    cfg = make_config(config, **overrides)
    g = as_graph(graph, node_features=node_features)
    if cfg.graph_cfg.undirected:
        g = with_reverse_edges(g)
    return prepare(g, cfg, allow_nonfinite=allow_nonfinite, weights=weights)


# --- PyG and networkx ---------------------------------------------------------

def _is_pyg_data(obj: Any) -> bool:
    try:
        from torch_geometric.data import Data
    except ImportError:  # pragma: no cover - PyG is a dependency
        return False
    return isinstance(obj, Data)


def _is_networkx(obj: Any) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith("networkx.") and hasattr(obj, "nodes") and hasattr(obj, "edges")


def _float64(t: Any, what: str, rows: int | None = None) -> torch.Tensor | None:
    if t is None:
        return None
    t = torch.as_tensor(t)
    if not (t.is_floating_point() or t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8,
                                                    torch.bool)):
        raise InputError(f"{what}: expected numbers, got {t.dtype}")
    t = t.detach().to("cpu", torch.float64)
    if rows is not None and t.shape[0] != rows:
        raise InputError(f"{what}: expected {rows} rows, got {t.shape[0]}")
    return t


def from_pyg(data: Any, *, node_ids: Sequence[Any] | None = None) -> Graph:
    """A :class:`Graph` from a PyG ``Data``: ``edge_index``, ``x``, ``edge_weight``,
    ``edge_attr``, ``y``; node ids from ``node_ids`` (or ``data.node_ids``), else 0..N-1."""
    source = "<PyG Data>"
    n = int(data.num_nodes) if data.num_nodes is not None else 0
    ei = data.edge_index
    if ei is None:
        ei = torch.zeros(2, 0, dtype=torch.long)
    ei = torch.as_tensor(ei).detach().to("cpu", torch.long)
    if ei.dim() != 2 or ei.shape[0] != 2:
        raise InputError(f"{source}: edge_index: expected shape [2, E], got {list(ei.shape)}")
    if ei.numel() and (int(ei.min()) < 0 or int(ei.max()) >= n):
        raise InputError(f"{source}: edge_index: node indices must lie in 0..{n - 1}")
    e = ei.shape[1]
    ids = list(node_ids if node_ids is not None else getattr(data, "node_ids", None) or range(n))
    if len(ids) != n:
        raise InputError(f"{source}: node_ids: expected {n} ids, got {len(ids)}")
    x = _float64(data.x, f"{source}: x", n)
    if x is not None and x.dim() == 1:
        x = x.unsqueeze(1)
    w = _float64(getattr(data, "edge_weight", None), f"{source}: edge_weight", e)
    a = _float64(getattr(data, "edge_attr", None), f"{source}: edge_attr", e)
    if a is not None and a.dim() == 1:
        a = a.unsqueeze(1)
    y = getattr(data, "y", None)
    return Graph(ei.contiguous(), ids, x=x, edge_weight=None if w is None else w.reshape(-1), edge_attr=a,
                 y=None if y is None else y.tolist() if hasattr(y, "tolist") else y, source=source)


def to_pyg(graph: GraphLike, x: torch.Tensor | None = None):
    """A PyG ``Data`` with the graph's tensors (``x``: these features instead, e.g.
    a :class:`Result`'s ``x``); ``node_ids`` rides along as an attribute."""
    from torch_geometric.data import Data

    g = as_graph(graph)
    data = Data(x=g.x if x is None else x, edge_index=g.edge_index, num_nodes=g.num_nodes)
    if g.edge_weight is not None:
        data.edge_weight = g.edge_weight
    if g.edge_attr is not None:
        data.edge_attr = g.edge_attr
    if g.y is not None:
        data.y = torch.as_tensor(g.y)
    data.node_ids = list(g.node_ids)
    return data


def _networkx():
    try:
        import networkx
    except ImportError:
        raise UsageError("networkx is not installed (torch normally brings it): pip install networkx") \
            from None
    return networkx


def from_networkx(G: Any, *, features: str = "x", weight: str = "weight", edge_attr: str = "edge_attr") -> Graph:
    """A :class:`Graph` from a networkx graph, in ``G.nodes`` order.

    Edges come in networkx's adjacency order. Node ids that are not int or str
    become their ``str``. An undirected graph
    gets both directions of every edge (a self loop once). Node attribute
    ``features`` (a number or a list), edge attributes ``weight`` and
    ``edge_attr`` are taken when every node / edge has them; some but not all is
    an error naming the first one without.
    """
    source = "<networkx graph>"
    nodes = list(G.nodes)
    index = {v: k for k, v in enumerate(nodes)}
    ids = [v if type(v) in (int, str) else str(v) for v in nodes]
    if len(set(ids)) != len(ids):
        raise InputError(f"{source}: two nodes have the same id once written as text")
    src, dst, ws, attrs = [], [], [], []
    for u, v, d in G.edges(data=True):
        pairs = [(u, v)] if G.is_directed() or u == v else [(u, v), (v, u)]
        for a, b in pairs:
            src.append(index[a])
            dst.append(index[b])
            ws.append(d.get(weight))
            attrs.append(d.get(edge_attr))
    ei = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)

    def all_or_none(values: list, what: str, where: str):
        present = [v is not None for v in values]
        if not any(present):
            return None
        if not all(present):
            raise InputError(f"{source}: {where} {present.index(False)} has no {what!r} (others do)")
        try:
            t = torch.tensor(values, dtype=torch.float64)
        except (TypeError, ValueError):
            raise InputError(f"{source}: {what!r} must be numbers or equal-length lists of numbers") from None
        return t.unsqueeze(1) if t.dim() == 1 else t

    x = all_or_none([G.nodes[v].get(features) for v in nodes], features, "node at position")
    w = all_or_none(ws, weight, "edge")
    a = all_or_none(attrs, edge_attr, "edge")
    return Graph(ei, ids, x=x, edge_weight=None if w is None else w.reshape(-1), edge_attr=a, source=source)


def to_networkx(graph: GraphLike, x: torch.Tensor | None = None):
    """A ``networkx.DiGraph`` (``MultiDiGraph`` when edges repeat): node attribute
    ``x`` (a list; ``x=`` replaces the graph's features), edge ``weight`` and ``edge_attr``."""
    nx = _networkx()
    g = as_graph(graph)
    feats = g.x if x is None else x
    src, dst = g.edge_index.tolist()
    multi = len(set(zip(src, dst))) != len(src)
    G = nx.MultiDiGraph() if multi else nx.DiGraph()
    for k, node in enumerate(g.node_ids):
        G.add_node(node, **({} if feats is None else {"x": feats[k].tolist()}))
    w = None if g.edge_weight is None else g.edge_weight.tolist()
    a = None if g.edge_attr is None else g.edge_attr.tolist()
    for e, (s, d) in enumerate(zip(src, dst)):
        data = {}
        if w is not None:
            data["weight"] = w[e]
        if a is not None:
            data["edge_attr"] = a[e]
        G.add_edge(g.node_ids[s], g.node_ids[d], **data)
    return G


def save_graph(graph: GraphLike, path: str | os.PathLike, *, fmt: str | None = None,
               nodes_path: str | os.PathLike | None = None) -> None:
    """Write ``graph`` as ``gnnprop convert`` does (format from the extension unless
    ``fmt``); ``nodes_path`` also writes the node file of a CSV / edge-list graph."""
    from .io import EXTENSIONS
    from .io.save import SAVE_FORMATS, graph_texts

    g = as_graph(graph)
    fmt = fmt or EXTENSIONS.get(Path(path).suffix.lower())
    if fmt not in SAVE_FORMATS:
        raise UsageError(f"{path}: cannot tell the format; pass fmt= one of {', '.join(SAVE_FORMATS)}")
    if nodes_path is not None and fmt == "json":
        raise UsageError("nodes_path: a JSON graph carries its nodes itself")
    edges, nodes = graph_texts(g, fmt, nodes_path is not None, str(path))
    Path(path).write_text("".join(edges), encoding="utf-8")
    if nodes is not None:
        Path(nodes_path).write_text("".join(nodes), encoding="utf-8")


__all__ = ["OVERRIDES", "Result", "as_graph", "explain", "from_networkx", "from_pyg", "make_config", "propagate",
           "save_graph", "to_networkx", "to_pyg"]

