"""Options shared by the commands: the config flags (run, inspect, plot, config show) and the graph flags.

Each flag maps to one dotted config path; flags override the YAML file.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any, Callable, Optional

import typer

from ..aggr import AGGREGATIONS
from ..aggr import ALIASES as AGGR_ALIASES
from ..config import AGGR_MODES, DTYPES, ENGINES, FEATURES, ORDERS, Config, apply_overrides, load_config, parse_yaml
from ..errors import UsageError


def complete(*names) -> Callable[[str], list[str]]:
    """Shell completion (``gnnprop --install-completion``) of an option's value from ``names``."""
    def values(incomplete: str) -> list[str]:
        return [n for n in names if n.startswith(incomplete)]
    return values


def _layer_names() -> tuple[str, ...]:
    from ..layers import LAYERS
    from ..layers.pyg import FRIENDLY

    return (*LAYERS, *FRIENDLY)


def _complete_layer(incomplete: str) -> list[str]:
    return complete(*_layer_names())(incomplete)


def _complete_aggr(incomplete: str) -> list[str]:
    """A name, or the next name of a comma list (``mean,m`` -> ``mean,max``, ``mean,min``, ...)."""
    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    return [prefix + n for n in (*AGGREGATIONS, *AGGR_ALIASES) if n.startswith(last)]


G = "Graph"
C = "Config (flags override the file)"

GraphArg = Annotated[str, typer.Argument(metavar="GRAPH", help="Graph file (.json, .csv, .txt/.edgelist/.tsv/.cites, .parquet), or - for stdin.",
                                         show_default=False)]
InputFormat = Annotated[Optional[str], typer.Option("--input-format", help="json | csv | edgelist | parquet (default: from the extension).",
                                                    rich_help_panel=G, autocompletion=complete("json", "csv", "edgelist", "parquet"))]
NodeFeatures = Annotated[Optional[str], typer.Option("--node-features", help="Node table for CSV / edge lists / Parquet: id,f1,f2,... (.parquet: id and x or feature columns)",
                                                     rich_help_panel=G)]
Undirected = Annotated[Optional[bool], typer.Option("--undirected/--directed", help="Add the reverse of every edge that lacks one.",
                                                    rich_help_panel=G, show_default=False)]
Features = Annotated[Optional[str], typer.Option("--features", help="Features for graphs without any: ones | degree | onehot | random.",
                                                 rich_help_panel=G, autocompletion=complete(*FEATURES))]
FeatureDim = Annotated[Optional[int], typer.Option("--feature-dim", help="Width of ones / random features.", rich_help_panel=G)]

ConfigFile = Annotated[Optional[str], typer.Option("-c", "--config", help="YAML config file.", rich_help_panel=C)]
Layer = Annotated[Optional[str], typer.Option("--layer", help="fixed | nn | residual, a PyG layer (gcn, sage, gat, ...: "
                                               "see gnnprop layers), or your own file.py:Class.", rich_help_panel=C,
                                               autocompletion=_complete_layer)]
Aggr = Annotated[Optional[str], typer.Option("--aggr", help="sum (add) | mean | max | min | mul | std | var; "
                                             "a comma list (mean,max) for several.", rich_help_panel=C,
                                             autocompletion=_complete_aggr)]
AggrMode = Annotated[Optional[str], typer.Option("--aggr-mode", help="With several aggregations: cat | sum | mean | "
                                                 "max | min | std | var | logsumexp.", rich_help_panel=C,
                                                 autocompletion=complete(*AGGR_MODES))]
Arg = Annotated[Optional[list[str]], typer.Option("--arg", help="Layer keyword argument KEY=VALUE for PyG and your "
                                                 "own layers (repeatable; VALUE is read as YAML).", rich_help_panel=C)]
Weights = Annotated[Optional[str], typer.Option("--weights", help="Load the layer's parameters (.safetensors; .pt "
                                                "tensors only).", rich_help_panel=C)]
SaveWeights = Annotated[Optional[str], typer.Option("--save-weights", help="Write the layer's parameters after "
                                                    "initialisation (.safetensors).", rich_help_panel=C)]
Rounds = Annotated[Optional[int], typer.Option("--rounds", help="A fixed number of rounds (replaces the config's rounds).",
                                               rich_help_panel=C)]
Message = Annotated[Optional[str], typer.Option("--message", help="fixed layer: message formula in x_i, x_j, edge_weight.",
                                                rich_help_panel=C)]
Update = Annotated[Optional[str], typer.Option("--update", help="fixed layer: update formula in x, aggr_out.", rich_help_panel=C)]
HiddenDim = Annotated[Optional[int], typer.Option("--hidden-dim", help="nn layer: message width.", rich_help_panel=C)]
OutDim = Annotated[Optional[int], typer.Option("--out-dim", help="nn / residual layer: output width.", rich_help_panel=C)]
Project = Annotated[Optional[bool], typer.Option("--project/--no-project", help="residual: learned projection on the skip path.",
                                                 rich_help_panel=C, show_default=False)]
Engine = Annotated[Optional[str], typer.Option("--engine", help="auto | fused | reference: how a round is computed.",
                                               rich_help_panel=C, autocompletion=complete(*ENGINES))]
Reorder = Annotated[Optional[str], typer.Option("--reorder", help="auto | none | degree | bfs | rcm: node order "
                                                "for the fused engine (outputs keep the file's order).",
                                                rich_help_panel=C, autocompletion=complete(*ORDERS))]
Device = Annotated[Optional[str], typer.Option("--device", help="auto | cpu | cuda | cuda:N | mps.", rich_help_panel=C,
                                               autocompletion=complete("auto", "cpu", "cuda", "mps"))]
Dtype = Annotated[Optional[str], typer.Option("--dtype", help="float32 | float64.", rich_help_panel=C,
                                              autocompletion=complete(*DTYPES))]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Seed for parameters and random features.", rich_help_panel=C)]


#: The flags that make a config (with -c/--config first), in help order: every command
#: that runs or shows a config takes all of them, through :func:`config_command`.
CONFIG_OPTIONS: dict[str, Any] = {
    "config": ConfigFile, "layer": Layer, "aggr": Aggr, "aggr_mode": AggrMode, "rounds": Rounds,
    "message": Message, "update": Update, "hidden_dim": HiddenDim, "out_dim": OutDim, "project": Project,
    "arg": Arg, "engine": Engine, "reorder": Reorder, "device": Device, "dtype": Dtype, "seed": Seed,
    "undirected": Undirected, "features": Features, "feature_dim": FeatureDim,
}


def config_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the config flags: ``func`` declares ``**flags`` and receives them
    there (``build_config(**flags)``). Typer reads the parameters from ``__signature__``."""
    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    required = [p for p in own if p.default is inspect.Parameter.empty]
    extra = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=kind)
             for name, kind in CONFIG_OPTIONS.items()]  # after the required ones, as they were written

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    rest = [p for p in own if p.default is not inspect.Parameter.empty]
    command.__signature__ = sig.replace(parameters=required + extra + rest)  # type: ignore[attr-defined]
    return command


def build_config(config: Optional[str], *, layer=None, aggr=None, rounds=None, message=None, update=None,
                 hidden_dim=None, out_dim=None, project=None, device=None, dtype=None, seed=None,
                 undirected=None, features=None, feature_dim=None, aggr_mode=None, arg=None,
                 engine=None, reorder=None) -> Config:
    """The config file (or the defaults) with the command line's flags applied."""
    cfg = load_config(config)
    if aggr is not None and "," in aggr:
        aggr = [a.strip() for a in aggr.split(",") if a.strip()]
    values = {
        "layer.type": layer, "layer.message": message, "layer.update": update,
        "layer.hidden_dim": hidden_dim, "layer.out_dim": out_dim, "layer.project": project,
        "aggr": aggr, "rounds": rounds, "device": device, "dtype": dtype, "seed": seed,
        "graph.undirected": undirected, "graph.features": features, "graph.feature_dim": feature_dim,
        "aggr_mode": aggr_mode, "layer.args": parse_args(arg), "engine": engine,
        "reorder": reorder,
    }
    return apply_overrides(cfg, values, FLAGS)


def parse_args(items: Optional[list[str]]) -> dict[str, Any] | None:
    """``["heads=2", "concat=false"]`` -> ``{"heads": 2, "concat": False}`` (values read as YAML scalars)."""
    if not items:
        return None
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"--arg: expected KEY=VALUE, got {item!r}")
        out[key.strip()] = parse_yaml(value, f"--arg {key.strip()}") if value.strip() else None
    return out


FLAGS = {
    "layer.type": "--layer", "layer.message": "--message", "layer.update": "--update",
    "layer.hidden_dim": "--hidden-dim", "layer.out_dim": "--out-dim", "layer.project": "--project",
    "aggr": "--aggr", "rounds": "--rounds", "device": "--device", "dtype": "--dtype", "seed": "--seed",
    "graph.undirected": "--undirected", "graph.features": "--features", "graph.feature_dim": "--feature-dim",
    "aggr_mode": "--aggr-mode", "layer.args": "--arg", "engine": "--engine", "reorder": "--reorder",
}
