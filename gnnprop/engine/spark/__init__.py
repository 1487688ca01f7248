"""The Spark engine: the same config, run on Apache Spark DataFrames.

A graph that does not fit one machine is read by Spark (CSV edge files, edge
lists, Parquet), never collected to the driver, and propagated round by round
with plain DataFrame joins and aggregations:

- nodes are a DataFrame ``id, x0..x{F-1}`` (double, or float for float32 runs,
  cast after every operation), hash-partitioned by ``id``;
- edges are ``src, dst[, w]``, partitioned by ``src``, so joining a round's
  nodes to the edges' sources moves no node row;
- each layer kind owns its Spark lowering (``kind.spark(params, ops)``), built
  from the helpers of :mod:`.ops` (the expression language compiled to Spark
  Columns, linear maps with the weights as literals, reductions);
- every round is checkpointed, so the plan does not grow with the rounds.

pyspark is imported only inside this package (and lazily by the kinds' ``spark``
methods through the ops they are given); ``import gnnprop`` never needs it.
"""

from __future__ import annotations

from ...aggregation import SPARK
from ...errors import ConfigError

#: What the Spark engine runs: the layer kinds that have a Spark form say so themselves (``has_spark``).
AGGREGATIONS = SPARK  # the aggregations whose unit says the Spark engine reduces with them
FEATURES = ("ones", "degree")


def layers() -> tuple[str, ...]:
    """The layer types with a Spark form: gnnprop's own kinds, then PyG's by friendly name."""
    from ...layers import KINDS, PYG_FRIENDLY, resolve_kind

    own = [name for name, kind in KINDS.items() if kind.has_spark]
    return (*own, *[name for name in PYG_FRIENDLY if resolve_kind(name).has_spark])


def supported() -> str:
    return (f"layers {', '.join(layers())}; aggregations {', '.join(AGGREGATIONS)} or a list of them; "
            f"rounds static, rule or converge; features from a node file or {' or '.join(FEATURES)}")


def check_supported(cfg) -> None:
    """Refuse, before Spark starts, what the Spark engine cannot run (listing what it can)."""
    from ...layers import resolve_kind

    if not resolve_kind(cfg.layer.type).has_spark:
        raise ConfigError(f"the spark engine does not run the {cfg.layer.type} layer; it supports {supported()}",
                          key="layer.type")
    aggr = cfg.aggregation()  # None: a PyG layer's own, which its Spark form checks
    names = [aggr] if isinstance(aggr, str) else list(aggr) if isinstance(aggr, list) else []
    if aggr is not None and (not names or any(a not in AGGREGATIONS for a in names)):
        shown = f"[{', '.join(aggr)}]" if isinstance(aggr, list) else aggr
        raise ConfigError(f"the spark engine does not run the aggregation {shown}; it supports {supported()}",
                          key="aggr")
    if cfg.graph_cfg.features not in FEATURES:
        raise ConfigError(f"the spark engine cannot make {cfg.graph_cfg.features} features (they would need "
                          f"every node on the driver); it supports {supported()}", key="graph.features")
    if cfg.reorder not in ("auto", "none"):  # a node order is the local fused engine's (its memory locality)
        raise ConfigError(f"the spark engine keeps no node order (its nodes are hash-partitioned by id), so "
                          f"{cfg.reorder} would be ignored; it is the local engine's: drop it (or use auto or none)",
                          key="reorder")
    if cfg.device not in ("auto", "cpu"):
        raise ConfigError(f"the spark engine runs on Spark's executors, not on device {cfg.device}", key="device")


def open_spark_run(*args, **kwargs):
    """See :func:`.runner.open_spark_run` (imported when used)."""
    from .runner import open_spark_run as open_run

    return open_run(*args, **kwargs)


def pyspark_missing() -> str | None:
    """Why pyspark cannot be used here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed; install the extra: pip install 'gnnprop[spark]'"
    return None
