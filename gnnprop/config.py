"""Typed run configuration, read from YAML and closed to typos.

Every key is optional; defaults are the seed documents'. :func:`from_mapping`
rejects unknown keys (naming the full key path and the valid keys), wrong types
and invalid values; :func:`load_config` adds the file name to every message.
Command-line flags are applied with :func:`apply_overrides`, after the file.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from . import expr
from .aggr import resolve_aggr
from .errors import ConfigError
from .resolver import resolve

DTYPES = ("float32", "float64")
FEATURES = {
    "ones": "a constant 1 per node (width feature_dim, default 1)",
    "degree": "the in-degree of each node (width 1)",
    "onehot": "the identity: node k gets the k-th unit vector (width = number of nodes)",
    "random": "standard normal values from the seed (width feature_dim, default 16)",
}
ROUND_MODES = {
    "static": "a fixed number of rounds: rounds: 10 or {mode: static, n: 10}",
    "rule": "a count chosen from the input: {mode: rule, if: \"mean(x) > 0\", then: 3, else: 1}",
    "converge": "until the largest change is <= tol: {mode: converge, tol: 1e-6, max_rounds: 100}",
}
MAX_ROUNDS = 1_000_000
ENGINES = {
    "auto": "fused where it is exact for the layer and aggregation, else reference",
    "fused": "node-level dense work plus one sparse reduction per round (an error where impossible)",
    "reference": "PyG's generic propagate (gathers E x F tensors)",
}
#: Node orders for the fused engine (``reorder``; computed in :mod:`gnnprop.reorder`).
ORDERS = {
    "auto": "reorder only where it pays: nowhere yet (no order has paid in the measurements, see the README)",
    "none": "keep the file's node order",
    "degree": "nodes by degree, highest first",
    "bfs": "breadth-first from the highest-degree node",
    "rcm": "reverse Cuthill-McKee on the symmetrised graph",
}
AGGR_MODES = {
    "cat": "concatenate the aggregations (the width grows k-fold)",
    "sum": "sum of the aggregations", "mean": "mean of the aggregations", "max": "elementwise max",
    "min": "elementwise min", "std": "elementwise std", "var": "elementwise var",
    "logsumexp": "elementwise logsumexp",
}


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
class Config:
    layer: LayerConfig = field(default_factory=LayerConfig)
    aggr: str | list[str] | None = None  # default: the layer's own (fixed: max, nn: mean, residual: sum)
    aggr_mode: str | None = None  # with a list of aggregations: cat (default) | sum | mean | max | min | ...
    rounds: RoundsConfig = field(default_factory=RoundsConfig)
    engine: str = "auto"          # auto | fused | reference: how a round is computed
    reorder: str = "auto"         # auto | none | degree | bfs | rcm: node order for the fused engine (gnnprop.reorder)
    device: str = "auto"          # auto | cpu | cuda | cuda:N | mps
    dtype: str = "float32"        # float32 | float64
    seed: int = 0                 # initialises parameters and random features

    def aggregation(self) -> str | list[str] | None:
        """The aggregation asked for: ``aggr`` if set, else the layer type's default
        (``None`` for PyG and user layers, which bring their own)."""
        from .layers import LAYERS

        if self.aggr is not None:
            return self.aggr
        spec = LAYERS.get(self.layer.type)
        return spec.default_aggr if spec else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``config show`` (YAML key names, rounds by mode)."""
        r = self.rounds
        rounds: dict[str, Any] = {"mode": r.mode}
        if r.mode == "static":
            rounds["n"] = r.n
        elif r.mode == "rule":
            rounds.update({"if": r.if_, "then": r.then, "else": r.else_})
        else:
            rounds.update({"tol": r.tol, "max_rounds": r.max_rounds})
        layer = dataclasses.asdict(self.layer)
        if layer["type"] != "fixed":
            layer.pop("message"), layer.pop("update")
        if layer["type"] != "residual":
            layer.pop("project")
        if not layer["args"]:
            layer.pop("args")
        out = {
            "layer": layer, "aggr": self.aggregation(), "rounds": rounds, "engine": self.engine, "reorder": self.reorder,
            "device": self.device,
            "dtype": self.dtype, "seed": self.seed, "graph": dataclasses.asdict(self.graph_cfg),
        }
        if self.aggr_mode is not None:  # right after aggr
            out = {k: v for key, value in out.items()
                   for k, v in ([(key, value), ("aggr_mode", self.aggr_mode)] if key == "aggr" else [(key, value)])}
        return out

    graph_cfg: GraphConfig = field(default_factory=GraphConfig)


# YAML key -> dataclass field, where they differ
_RENAMES = {"if": "if_", "else": "else_", "graph": "graph_cfg"}
_MODE_KEYS = {"static": {"n"}, "rule": {"if", "then", "else"}, "converge": {"tol", "max_rounds"}}


def _key_name(f: dataclasses.Field) -> str:
    return {v: k for k, v in _RENAMES.items()}.get(f.name, f.name)


def _coerce(value: Any, kind: str, path: str) -> Any:
    """Check one scalar against ``kind`` (int, float, bool, str, with '?' for optional)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{path}: expected {_article(kind)}, got null")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"{path}: expected an integer, got {_show(value)}")
        return value
    if kind == "float":
        if isinstance(value, bool):
            raise ConfigError(f"{path}: expected a number, got {_show(value)}")
        if isinstance(value, str):
            # YAML 1.1 reads 1e-6 (no dot) as a string: accept it as the number it means.
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{path}: expected a number, got {_show(value)}") from None
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{path}: expected a finite number, got {_show(value)}")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {_show(value)}")
        return value
    if kind == "aggr":
        if isinstance(value, list):
            if not value:
                raise ConfigError(f"{path}: expected an aggregation name or a non-empty list of them")
            return [_coerce(v, "str", f"{path}[{k}]") for k, v in enumerate(value)]
        return _coerce(value, "str", path)
    if kind == "str":
        if isinstance(value, bool):
            raise ConfigError(
                f"{path}: expected a string, got {_show(value)} "
                f"(YAML reads unquoted yes/no/on/off/true/false as booleans; quote the value)")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {_show(value)}")
        return value
    raise AssertionError(kind)


def _article(kind: str) -> str:
    return {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}[kind]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


_KINDS = {
    "LayerConfig": {"type": "str", "message": "str", "update": "str", "hidden_dim": "int?",
                    "out_dim": "int?", "project": "bool"},
    "RoundsConfig": {"mode": "str", "n": "int", "if_": "str?", "then": "int?", "else_": "int?",
                     "tol": "float", "max_rounds": "int"},
    "GraphConfig": {"undirected": "bool", "features": "str", "feature_dim": "int?"},
    "Config": {"aggr": "aggr?", "aggr_mode": "str?", "engine": "str", "reorder": "str", "device": "str", "dtype": "str",
               "seed": "int"},
}


def _fill(obj: Any, data: Mapping[str, Any], prefix: str) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix or 'config'}: expected a mapping, got {_show(data)}")
    fields = {_key_name(f): f for f in dataclasses.fields(obj)}
    kinds = _KINDS[type(obj).__name__]
    native = True
    if isinstance(obj, LayerConfig):
        from .layers import LAYERS

        if "type" in data:
            obj.type = _coerce(data["type"], "str", f"{prefix}.type")
        native = _is_native(obj.type, LAYERS)
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in fields:
            if not native:  # a PyG or user layer: its keyword arguments, checked when it is resolved
                obj.args[str(key)] = value
                continue
            raise ConfigError(f"{path}: unknown key; valid keys here: {', '.join(fields)}")
        f = fields[key]
        if f.name == "args":
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path}: expected a mapping of keyword arguments, got {_show(value)}")
            if native and value:
                raise ConfigError(f"{path}: the {obj.type} layer takes no args; "
                                  "args are for PyG layers and your own layer classes")
            obj.args.update({str(k): v for k, v in value.items()})
        elif f.name == "rounds":
            obj.rounds = _rounds(value, path)
        elif dataclasses.is_dataclass(getattr(obj, f.name)):
            _fill(getattr(obj, f.name), value, path)
        else:
            setattr(obj, f.name, _coerce(value, kinds[f.name], path))


def _is_native(type_name: str, layers: Mapping[str, Any]) -> bool:
    from .resolver import normalize

    return normalize(type_name) in {normalize(k) for k in layers}


def _rounds(value: Any, path: str) -> RoundsConfig:
    if isinstance(value, bool) or (not isinstance(value, (int, Mapping))):
        raise ConfigError(f"{path}: expected a number of rounds or a mapping with 'mode', got {_show(value)}")
    if isinstance(value, int):
        return RoundsConfig(n=value)
    r = RoundsConfig()
    mode = value.get("mode", "static")
    mode = resolve(_coerce(mode, "str", f"{path}.mode"), ROUND_MODES, what="round mode", key=f"{path}.mode")[0]
    for key in value:
        if key != "mode" and key in set().union(*_MODE_KEYS.values()) and key not in _MODE_KEYS[mode]:
            owner = next(m for m, ks in _MODE_KEYS.items() if key in ks)
            raise ConfigError(f"{path}.{key}: only used with mode {owner}, not mode {mode}")
    _fill(r, value, path)
    r.mode = mode
    return r


def from_mapping(data: Mapping[str, Any] | None) -> Config:
    """Build and check a :class:`Config` from plain data (parsed YAML)."""
    cfg = Config()
    if data is not None:
        _fill(cfg, data, "")
    return validate(cfg)


def validate(cfg: Config) -> Config:
    """Check values (names resolve, numbers in range, expressions parse); normalise names."""
    from .layers import resolve_layer_type

    cfg.layer.type = resolve_layer_type(cfg.layer.type, cfg.layer.args)
    if cfg.aggr is not None:
        if isinstance(cfg.aggr, list):
            cfg.aggr = [resolve_aggr(a, key=f"aggr[{k}]") for k, a in enumerate(cfg.aggr)]
        else:
            cfg.aggr = resolve_aggr(cfg.aggr)
    if cfg.aggr_mode is not None:
        if not isinstance(cfg.aggr, list):
            raise ConfigError("aggr_mode: only used with a list of aggregations (aggr: [mean, max])")
        cfg.aggr_mode = resolve(cfg.aggr_mode, AGGR_MODES, what="aggregation mode", key="aggr_mode")[0]
    for name in ("hidden_dim", "out_dim"):
        v = getattr(cfg.layer, name)
        if v is not None and v < 1:
            raise ConfigError(f"layer.{name}: expected a positive integer, got {v}")
    if cfg.layer.type == "fixed":
        expr.parse(cfg.layer.message, expr.MESSAGE, "layer.message")
        expr.parse(cfg.layer.update, expr.UPDATE, "layer.update")
    r = cfg.rounds
    if r.mode == "static":
        _check_count(r.n, "rounds")
    elif r.mode == "rule":
        for key, v in (("if", r.if_), ("then", r.then), ("else", r.else_)):
            if v is None:
                raise ConfigError(f"rounds.{key}: required with mode rule "
                                  f"(e.g. {{mode: rule, if: \"mean(x) > 0\", then: 3, else: 1}})")
        expr.parse(r.if_, expr.RULE, "rounds.if")
        _check_count(r.then, "rounds.then")
        _check_count(r.else_, "rounds.else")
    else:
        if r.tol < 0:
            raise ConfigError(f"rounds.tol: expected a number >= 0, got {r.tol}")
        _check_count(r.max_rounds, "rounds.max_rounds", minimum=1)
    cfg.dtype = resolve(cfg.dtype, {d: d for d in DTYPES}, what="dtype", key="dtype")[0]
    cfg.engine = resolve(cfg.engine, ENGINES, what="engine", key="engine")[0]
    cfg.reorder = resolve(cfg.reorder, ORDERS, what="node order", key="reorder")[0]
    cfg.graph_cfg.features = resolve(cfg.graph_cfg.features, FEATURES, what="feature initialiser",
                                     key="graph.features")[0]
    if cfg.graph_cfg.feature_dim is not None and cfg.graph_cfg.feature_dim < 1:
        raise ConfigError(f"graph.feature_dim: expected a positive integer, got {cfg.graph_cfg.feature_dim}")
    if cfg.seed < 0 or cfg.seed >= 2**63:
        raise ConfigError(f"seed: expected an integer in [0, 2**63), got {cfg.seed}")
    return cfg


def _check_count(n: int, path: str, minimum: int = 0) -> None:
    if not minimum <= n <= MAX_ROUNDS:
        raise ConfigError(f"{path}: expected a number of rounds from {minimum} to {MAX_ROUNDS}, got {n}")


# --- YAML --------------------------------------------------------------------

class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys and alias bombs."""

    max_aliases = 100

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.max_aliases:
                mark = self.peek_event().start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {self.max_aliases} aliases (*name); refusing to expand them", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        place = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        what = e.problem or e.context or "invalid YAML"
        raise ConfigError(f"{source}{place}: {what}") from None
    except yaml.YAMLError as e:  # e.g. a ReaderError for control characters
        pos = getattr(e, "position", None)
        where = f" (character {pos + 1})" if isinstance(pos, int) else ""
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(f"{source}{where}: {first}") from None


def load_config(path: str | Path | None) -> Config:
    """Read a YAML config file (``None``: all defaults)."""
    if path is None:
        return from_mapping(None)
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{source}: cannot read the config file: {e}") from None
    data = parse_yaml(text, source)
    try:
        return from_mapping(data)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None


def apply_overrides(cfg: Config, overrides: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Config:
    """Apply command-line values (dotted config paths; ``None`` means not given).

    ``names`` maps a config path to the flag that set it, for error messages.
    """
    data: dict[str, Any] = {}
    for path, value in overrides.items():
        if value is None:
            continue
        node = data
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    if not data:
        return cfg
    new = dataclasses.replace(cfg, layer=dataclasses.replace(cfg.layer, args=dict(cfg.layer.args)),
                              rounds=dataclasses.replace(cfg.rounds), graph_cfg=dataclasses.replace(cfg.graph_cfg))
    if overrides.get("layer.type") is not None and overrides["layer.type"] != cfg.layer.type:
        new.layer.args = {}  # the file's keyword arguments were for another layer
    try:
        _fill(new, data, "")
        return validate(new)
    except ConfigError as e:
        text = str(e)
        for path, flag in (names or {}).items():
            if overrides.get(path) is not None and text.startswith(path + ":"):
                raise ConfigError(f"{flag} ({path}){text[len(path):]}") from None
        raise ConfigError(f"command line: {text}") from None


def dump_yaml(cfg: Config) -> str:
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False, default_flow_style=False)
