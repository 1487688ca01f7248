"""The Python API: the engine of ``gnnprop run`` and ``gnnprop inspect`` without the CLI.

    import gnnprop
    res = gnnprop.propagate("sample_graphs/seed_example.json", layer="fixed", aggr="max", rounds=10)
    res.x                      # [N, F] after the last round
    res.rounds[1]              # after round 1 (res.rounds[0] is the input)
    res.stop_reason            # "10 rounds (static)"
    rec = gnnprop.explain("sample_graphs/seed_example.json", node=0, round=1)
    rec["steps"][0]["update"]["value"]   # [12.5, 8.0]

Graphs may be given as a path (any format ``gnnprop run`` reads), a
:class:`~gnnprop.graph.Graph`, a PyG ``Data`` or a networkx graph. The config is
a :class:`~gnnprop.config.Config`, a YAML file, a mapping shaped like the YAML,
or nothing (the defaults); keyword arguments override it the way ``run``'s flags
override a config file (``layer=``, ``aggr=``, ``rounds=``, ``dtype=``, ...; see
:data:`OVERRIDES`). Errors are :class:`~gnnprop.errors.GnnpropError` subclasses
whose messages name these keywords.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch

from .config import Config
from .config.flags import OVERRIDES
from .configure import apply_overrides, from_mapping, load_config
from .engine.session import Session, open_session
from .errors import ConfigError, UsageError
from .io.interop import GraphLike, as_graph, from_networkx, from_pyg, to_networkx, to_pyg
from .io.save import save_graph

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
        raise UsageError(f"expected a Config, a mapping or a YAML path, got {type(config).__name__}", key="config")
    aggr = overrides.get("aggr")
    if isinstance(aggr, (list, tuple)):
        overrides["aggr"] = list(aggr)
    try:
        return apply_overrides(cfg, {OVERRIDES[k]: v for k, v in overrides.items()})
    except ConfigError as e:
        if not e.override:
            raise
        keyword = next(k for k, path in OVERRIDES.items() if path == e.key)
        raise ConfigError(e.render(key_text=f"{keyword} ({e.key})")) from None


@dataclass
class Result:
    """What :func:`propagate` returns.

    Attributes:
        rounds: the features after each kept round, ``{round: tensor [N, F]}`` in
            order; round 0 is the input (with ``keep="last"`` only the last round).
        node_ids: the original id of each row.
        stop_reason: why the propagation stopped (``"10 rounds (static)"``,
            ``"converged after 7 rounds (...)"``, the rule and its statistic).
        rounds_run: how many rounds were computed.
        converged: in converge mode whether it converged, else ``None``.
        deltas: in converge mode the largest change of every round.
        meta: the summary ``run`` prints (layer, aggr, engine, device, dtype, seconds, ...).
        run: the run (:class:`~gnnprop.engine.run.Run`: the local engine's or Spark's).
        session: the local engine's prepared :class:`~gnnprop.engine.session.Session` (layer, plan,
            kernel); ``None`` for a Spark run.
    """

    rounds: dict[int, torch.Tensor]
    node_ids: list
    stop_reason: str
    rounds_run: int
    converged: bool | None
    deltas: list[float]
    meta: dict[str, Any]
    run: Any = field(repr=False, default=None)
    session: Session | None = field(repr=False, default=None)

    @property
    def x(self) -> torch.Tensor:
        """The features after the last round computed."""
        return self.rounds[max(self.rounds)]

    @property
    def layer(self) -> torch.nn.Module:
        """The layer's parameters as a torch module (for PyG and user layers, the layer itself)."""
        return self.run.params


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
            ``layer="gcn", aggr="max", rounds=3, dtype="float64"``; ``engine="spark"`` runs on
            Apache Spark (``graph`` a path Spark reads; the rounds are collected to this process,
            within ``spark.collect_limit``).

    Tensors are on the run's device, in its dtype (a Spark run's on the CPU).
    """
    from .engine.run import open_run

    if keep not in ("all", "last"):
        raise UsageError(f"expected 'all' or 'last', got {keep!r}", key="keep")
    cfg = make_config(config, **overrides)
    if not isinstance(graph, (str, os.PathLike)):
        graph = as_graph(graph)
    kept: dict[int, torch.Tensor] = {}
    with open_run(os.fspath(graph) if isinstance(graph, os.PathLike) else graph, cfg, node_features=node_features,
                  weights=weights, allow_nonfinite=allow_nonfinite) as run:
        local = run.engine == "local"
        run.will_collect(1 if keep == "last" else run.plan.max_rounds + 1)
        last = None
        for result in run.rounds():
            if keep == "last":
                kept.clear()
                last = result
            if local:
                kept[result.round] = result.x
            elif keep == "all":
                kept[result.round] = torch.from_numpy(run.array(result))
        if not local and last is not None:
            kept[last.round] = torch.from_numpy(run.array(last))
        node_ids, meta, book = list(run.node_ids()), run.meta(), run.book
    return Result(kept, node_ids, book.stop_reason, book.rounds_run, book.converged, list(book.deltas), meta,
                  run=run, session=getattr(run, "session", None))


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
    return to_dict(ex, session.numpy_dtype)


def _session(graph, config, overrides, node_features, weights, allow_nonfinite) -> Session:
    cfg = make_config(config, **overrides)
    if not isinstance(graph, (str, os.PathLike)):
        graph = as_graph(graph)
    return open_session(os.fspath(graph) if isinstance(graph, os.PathLike) else graph, cfg,
                        node_features=node_features, weights=weights, allow_nonfinite=allow_nonfinite)


__all__ = ["OVERRIDES", "Result", "as_graph", "explain", "from_networkx", "from_pyg", "make_config", "propagate",
           "save_graph", "to_networkx", "to_pyg"]
