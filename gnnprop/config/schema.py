"""Typed run configuration, closed to typos: the schema and its structural checks.

Every key is optional; defaults are the tutorial's. :func:`fill` reads
plain data (parsed YAML) into the dataclasses, rejecting unknown keys (naming
the full key path and the valid keys), wrong types and invalid values;
:func:`check` checks the values that need no knowledge of layer kinds. What a
layer kind accepts (its type name, its keyword arguments, its formulas) is
checked by the kind itself: :mod:`gnnprop.configure` joins the two. This
module imports nothing from the layers, so the layers can import it.

The type of every field (``int``, ``float?``, ...) is read from the dataclass
annotations: the schema is written once.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .. import expr
from ..aggregation import resolve_aggr
from ..errors import ConfigError
from ..resolver import did_you_mean, resolve

from .names import AGGR_MODES, DTYPES, ENGINES, EXCHANGES, FEATURES, MAX_ROUNDS, ORDERS, ROUND_MODES  # noqa: F401  (the schema's names)


@dataclass
class LayerConfig:
    type: str = "fixed"                   # fixed | nn | residual | a PyG conv (gcn, GATv2Conv, ...) | file.py:Class
    message: str = "0.5 * x_i + 2 * x_j"  # fixed: message from source j to target i
    update: str = "x + 0.5 * aggr_out"    # fixed: new value of node i
    hidden_dim: int | None = None         # nn: message width (default: input width)
    out_dim: int | None = None            # nn / residual: output width (default: input width)
    project: bool = False                 # residual: learned projection on the skip path
    args: dict[str, Any] = field(default_factory=dict)  # PyG / user layers: constructor keyword arguments


@dataclass
class RoundsConfig:
    mode: str = "static"          # static | rule | converge
    n: int = 10                   # static: number of rounds
    if_: str | None = None        # rule: condition (YAML key "if")
    then: int | None = None       # rule: rounds when the condition holds
    else_: int | None = None      # rule: rounds otherwise (YAML key "else")
    tol: float = 1e-6             # converge: stop when max |x_r - x_(r-1)| <= tol
    max_rounds: int = 100         # converge: give up after this many rounds


@dataclass
class GraphConfig:
    undirected: bool = False           # add the reverse of every edge that lacks one
    features: str = "ones"             # features for graphs without any: ones | degree | onehot | random
    feature_dim: int | None = None     # width for ones / random


@dataclass
class SparkConfig:
    master: str = "local[*]"           # local[*], spark://host:7077, yarn, k8s://...; under spark-submit its own
    partitions: int | None = None      # shuffle partitions and the node/edge partitioning (default: Spark's)
    checkpoint_dir: str | None = None  # reliable checkpoints (a cluster file system); unset: local checkpoints
    driver_memory: str | None = None   # e.g. 4g (only when gnnprop starts the driver)
    exchange: str = "auto"             # auto | blocks | rows | broadcast | shuffle: how the rounds are laid out
    collect_limit: int = 10_000_000    # most values (nodes x features x rounds) json/csv/npy/table may collect
    conf: dict[str, Any] = field(default_factory=dict)  # extra Spark settings, e.g. spark.executor.memory: 4g


@dataclass(frozen=True)
class LayerFacts:
    """What the layer's kind says about a config, recorded when it is checked."""

    default_aggr: str | None      # the kind's aggregation when ``aggr`` is not set (None: the layer's own)
    fields: tuple[str, ...]       # the LayerConfig keys the kind reads (for ``config show``)


@dataclass
class Config:
    layer: LayerConfig = field(default_factory=LayerConfig)
    aggr: str | list[str] | None = None  # default: the layer's own (fixed: max, nn: mean, residual: sum)
    aggr_mode: str | None = None  # with a list of aggregations: cat (default) | sum | mean | max | min | ...
    rounds: RoundsConfig = field(default_factory=RoundsConfig)
    engine: str = "auto"          # auto | fused | reference: how a round is computed
    reorder: str = "auto"         # auto | none | degree | bfs | rcm: node order for the fused engine
    device: str = "auto"          # auto | cpu | cuda | cuda:N | mps
    dtype: str = "float32"        # float32 | float64
    seed: int = 0                 # initialises parameters and random features
    graph_cfg: GraphConfig = field(default_factory=GraphConfig)
    spark: SparkConfig = field(default_factory=SparkConfig)  # engine spark only
    #: set when the config is checked against the layer kinds (gnnprop.configure); not a YAML key
    facts: LayerFacts | None = field(default=None, repr=False, compare=False)

    def aggregation(self) -> str | list[str] | None:
        """The aggregation asked for: ``aggr`` if set, else the layer kind's default
        (``None`` for PyG and user layers, which bring their own)."""
        if self.aggr is not None:
            return self.aggr
        return self.facts.default_aggr if self.facts else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``config show`` (YAML key names, rounds by mode, the layer's own keys)."""
        r = self.rounds
        rounds: dict[str, Any] = {"mode": r.mode}
        if r.mode == "static":
            rounds["n"] = r.n
        elif r.mode == "rule":
            rounds.update({"if": r.if_, "then": r.then, "else": r.else_})
        else:
            rounds.update({"tol": r.tol, "max_rounds": r.max_rounds})
        layer = dataclasses.asdict(self.layer)
        used = set(self.facts.fields) if self.facts else set(layer)
        layer = {k: v for k, v in layer.items() if k == "type" or (k in used and (k != "args" or v))}
        out: dict[str, Any] = {"layer": layer, "aggr": self.aggregation()}
        if self.aggr_mode is not None:  # right after aggr
            out["aggr_mode"] = self.aggr_mode
        out.update({"rounds": rounds, "engine": self.engine, "reorder": self.reorder, "device": self.device,
                    "dtype": self.dtype,
                    "seed": self.seed, "graph": dataclasses.asdict(self.graph_cfg)})
        if self.engine == "spark" or self.spark != SparkConfig():
            out["spark"] = dataclasses.asdict(self.spark)
        return out

    def copy(self) -> "Config":
        """A copy whose nested parts can be changed without touching this one."""
        return dataclasses.replace(self, layer=dataclasses.replace(self.layer, args=dict(self.layer.args)),
                                   rounds=dataclasses.replace(self.rounds),
                                   graph_cfg=dataclasses.replace(self.graph_cfg),
                                   spark=dataclasses.replace(self.spark, conf=dict(self.spark.conf)))


# YAML key -> dataclass field, where they differ
RENAMES = {"if": "if_", "else": "else_", "graph": "graph_cfg"}
_MODE_KEYS = {"static": {"n"}, "rule": {"if", "then", "else"}, "converge": {"tol", "max_rounds"}}


def key_name(f: dataclasses.Field) -> str:
    return {v: k for k, v in RENAMES.items()}.get(f.name, f.name)


def yaml_fields(cls: type) -> dict[str, dataclasses.Field]:
    """YAML key -> field of a config dataclass (derived fields excluded)."""
    return {key_name(f): f for f in dataclasses.fields(cls) if f.name != "facts"}


def field_kind(cls: type, name: str) -> str:
    """The scalar kind of a field from its annotation: ``int``, ``float``, ``bool``, ``str``, ``aggr``
    (a name or a list of names), ``args`` (a mapping) or ``section`` (a nested dataclass); ``?``
    marks optional."""
    hint = typing.get_type_hints(cls)[name]
    if dataclasses.is_dataclass(hint):
        return "section"
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    args = typing.get_args(hint) if union else (hint,)
    optional = type(None) in args
    core = [a for a in args if a is not type(None)]
    origin = [typing.get_origin(a) or a for a in core]
    if dict in origin:
        kind = "args"
    elif list in origin:
        kind = "aggr"
    else:
        kind = {int: "int", float: "float", bool: "bool", str: "str"}[core[0]]
    return kind + ("?" if optional else "")


def coerce(value: Any, kind: str, path: str) -> Any:
    """Check one scalar against ``kind`` (int, float, bool, str, aggr, with '?' for optional)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        if optional:
            return None
        raise ConfigError(f"expected {_article(kind)}, got null", key=path)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"expected an integer, got {show(value)}", key=path)
        return value
    if kind == "float":
        if isinstance(value, bool):
            raise ConfigError(f"expected a number, got {show(value)}", key=path)
        if isinstance(value, str):
            # YAML 1.1 reads 1e-6 (no dot) as a string: accept it as the number it means.
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"expected a number, got {show(value)}", key=path) from None
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"expected a finite number, got {show(value)}", key=path)
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {show(value)}", key=path)
        return value
    if kind == "aggr":
        if isinstance(value, list):
            if not value:
                raise ConfigError("expected an aggregation name or a non-empty list of them", key=path)
            return [coerce(v, "str", f"{path}[{k}]") for k, v in enumerate(value)]
        return coerce(value, "str", path)
    if kind == "str":
        if isinstance(value, bool):
            raise ConfigError(
                f"expected a string, got {show(value)} "
                f"(YAML reads unquoted yes/no/on/off/true/false as booleans; quote the value)", key=path)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise ConfigError(f"expected a string, got {show(value)}", key=path)
        return value
    raise AssertionError(kind)


def _article(kind: str) -> str:
    return {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
            "aggr": "an aggregation name"}[kind]


def show(value: Any) -> str:
    """A value as a message shows it (``true``, ``a mapping``, ``'text'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


#: Is this layer type one of gnnprop's own kinds (whose keys are the LayerConfig fields,
#: without ``args``)? Given by the layer registry; a PyG or user layer takes unknown keys as args.
IsNative = Callable[[str], bool]


def fill(obj: Any, data: Mapping[str, Any], prefix: str, is_native: IsNative) -> None:
    """Read ``data`` into the dataclass ``obj`` (nested sections too), checking keys and types."""
    if not isinstance(data, Mapping):
        hint = f"; write {prefix}: {{type: {data}}}" if isinstance(data, str) and hasattr(obj, "type") else ""
        raise ConfigError(f"expected a mapping, got {show(data)}{hint}", key=prefix or "config")
    fields = yaml_fields(type(obj))
    native = True
    if isinstance(obj, LayerConfig):
        if "type" in data:
            obj.type = coerce(data["type"], "str", f"{prefix}.type")
        native = is_native(obj.type)
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in fields:
            if not native:  # a PyG or user layer: its keyword arguments, checked when it is resolved
                obj.args[str(key)] = value
                continue
            raise ConfigError(f"unknown key; {did_you_mean(str(key), fields)}valid keys here: {', '.join(fields)}",
                              key=path)
        f = fields[key]
        kind = field_kind(type(obj), f.name)
        if kind == "args":
            if not isinstance(value, Mapping):
                raise ConfigError(f"expected a mapping of keyword arguments, got {show(value)}", key=path)
            if isinstance(obj, LayerConfig) and native and value:
                raise ConfigError(f"the {obj.type} layer takes no args; "
                                  "args are for PyG layers and your own layer classes", key=path)
            getattr(obj, f.name).update({str(k): v for k, v in value.items()})
        elif f.name == "rounds":
            obj.rounds = _rounds(value, path, is_native)
        elif kind == "section":
            fill(getattr(obj, f.name), value, path, is_native)
        else:
            setattr(obj, f.name, coerce(value, kind, path))


def _rounds(value: Any, path: str, is_native: IsNative) -> RoundsConfig:
    if isinstance(value, bool) or (not isinstance(value, (int, Mapping))):
        raise ConfigError(f"expected a number of rounds or a mapping with 'mode', got {show(value)}", key=path)
    if isinstance(value, int):
        return RoundsConfig(n=value)
    r = RoundsConfig()
    mode = value.get("mode", "static")
    mode = resolve(coerce(mode, "str", f"{path}.mode"), ROUND_MODES, what="round mode", key=f"{path}.mode")[0]
    for key in value:
        if key != "mode" and key in set().union(*_MODE_KEYS.values()) and key not in _MODE_KEYS[mode]:
            owner = next(m for m, ks in _MODE_KEYS.items() if key in ks)
            raise ConfigError(f"only used with mode {owner}, not mode {mode}", key=f"{path}.{key}")
    fill(r, value, path, is_native)
    r.mode = mode
    return r


def check(cfg: Config) -> Config:
    """Check the values that need no layer kind (names resolve, numbers in range, the rule parses)."""
    if cfg.aggr is not None:
        if isinstance(cfg.aggr, list):
            cfg.aggr = [resolve_aggr(a, key=f"aggr[{k}]") for k, a in enumerate(cfg.aggr)]
        else:
            cfg.aggr = resolve_aggr(cfg.aggr)
    if cfg.aggr_mode is not None:
        if not isinstance(cfg.aggr, list):
            raise ConfigError("only used with a list of aggregations (aggr: [mean, max])", key="aggr_mode")
        cfg.aggr_mode = resolve(cfg.aggr_mode, AGGR_MODES, what="aggregation mode", key="aggr_mode")[0]
    for name in ("hidden_dim", "out_dim"):
        v = getattr(cfg.layer, name)
        if v is not None and v < 1:
            raise ConfigError(f"expected a positive integer, got {v}", key=f"layer.{name}")
    r = cfg.rounds
    if r.mode == "static":
        _check_count(r.n, "rounds")
    elif r.mode == "rule":
        for key, v in (("if", r.if_), ("then", r.then), ("else", r.else_)):
            if v is None:
                raise ConfigError("required with mode rule (e.g. {mode: rule, if: \"mean(x) > 0\", then: 3, "
                                  "else: 1})", key=f"rounds.{key}")
        expr.parse(r.if_, expr.RULE, "rounds.if")
        _check_count(r.then, "rounds.then")
        _check_count(r.else_, "rounds.else")
    else:
        if r.tol < 0:
            raise ConfigError(f"expected a number >= 0, got {r.tol}", key="rounds.tol")
        _check_count(r.max_rounds, "rounds.max_rounds", minimum=1)
    cfg.dtype = resolve(cfg.dtype, {d: d for d in DTYPES}, what="dtype", key="dtype")[0]
    cfg.engine = resolve(cfg.engine, ENGINES, what="engine", key="engine")[0]
    cfg.reorder = resolve(cfg.reorder, ORDERS, what="node order", key="reorder")[0]
    cfg.graph_cfg.features = resolve(cfg.graph_cfg.features, FEATURES, what="feature initialiser",
                                     key="graph.features")[0]
    if cfg.graph_cfg.feature_dim is not None and cfg.graph_cfg.feature_dim < 1:
        raise ConfigError(f"expected a positive integer, got {cfg.graph_cfg.feature_dim}", key="graph.feature_dim")
    _check_spark(cfg.spark)
    if cfg.seed < 0 or cfg.seed >= 2**63:
        raise ConfigError(f"expected an integer in [0, 2**63), got {cfg.seed}", key="seed")
    return cfg


def _check_spark(s: SparkConfig) -> None:
    s.exchange = resolve(s.exchange, EXCHANGES, what="exchange", key="spark.exchange")[0]
    if s.partitions is not None and s.partitions < 1:
        raise ConfigError(f"expected a positive integer, got {s.partitions}", key="spark.partitions")
    if s.collect_limit < 0:
        raise ConfigError(f"expected an integer >= 0, got {s.collect_limit}", key="spark.collect_limit")
    if not s.master.strip():
        raise ConfigError("expected a Spark master URL (local[*], spark://host:7077, yarn, ...)", key="spark.master")
    for k, v in s.conf.items():
        if isinstance(v, (dict, list)) or v is None:
            raise ConfigError(f"expected a scalar value, got {show(v)}", key=f"spark.conf.{k}")
    # what gnnprop itself reads, and what the JVM reads before Spark could say what is wrong
    if s.driver_memory is not None:
        _check_memory_size(s.driver_memory, "spark.driver_memory")
    for k in ("spark.driver.memory", "spark.executor.memory"):
        if k in s.conf:
            _check_memory_size(s.conf[k], f"spark.conf.{k}")
    if "spark.sql.shuffle.partitions" in s.conf:
        v = s.conf["spark.sql.shuffle.partitions"]
        if isinstance(v, bool) or not str(v).strip().isdigit() or int(str(v)) < 1:
            raise ConfigError(f"expected a positive integer, got {show(v)}", key="spark.conf.spark.sql.shuffle.partitions")


#: A JVM memory size: a number of bytes, or of k, m, g or t (what -Xmx takes: 512m, 4g).
MEMORY_SIZE = re.compile(r"[1-9][0-9]*[kKmMgGtT]?")


def _check_memory_size(value: Any, key: str) -> None:
    if isinstance(value, bool) or not MEMORY_SIZE.fullmatch(str(value).strip()):
        raise ConfigError(f"expected a memory size such as 512m or 4g, got {show(value)}", key=key)


def _check_count(n: int, path: str, minimum: int = 0) -> None:
    if not minimum <= n <= MAX_ROUNDS:
        raise ConfigError(f"expected a number of rounds from {minimum} to {MAX_ROUNDS}, got {n}", key=path)


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"layer.type": "gcn", "aggr": "max"}`` -> ``{"layer": {"type": "gcn"}, "aggr": "max"}``
    (``None`` values are left out: not given)."""
    data: dict[str, Any] = {}
    for path, value in values.items():
        if value is None:
            continue
        node = data
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return data
