"""Options shared by the commands that load a graph and a config (run, validate, config show).

Each flag maps to one dotted config path; flags override the YAML file.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..config import Config, apply_overrides, load_config

G = "Graph"
C = "Config (flags override the file)"

GraphArg = Annotated[str, typer.Argument(metavar="GRAPH", help="Graph file (.json, .csv, .txt/.edgelist/.tsv/.cites), or - for stdin.",
                                         show_default=False)]
InputFormat = Annotated[Optional[str], typer.Option("--input-format", help="json | csv | edgelist (default: from the extension).",
                                                    rich_help_panel=G)]
NodeFeatures = Annotated[Optional[str], typer.Option("--node-features", help="Node table for CSV / edge lists: id,f1,f2,...",
                                                     rich_help_panel=G)]
Undirected = Annotated[Optional[bool], typer.Option("--undirected/--directed", help="Add the reverse of every edge that lacks one.",
                                                    rich_help_panel=G, show_default=False)]
Features = Annotated[Optional[str], typer.Option("--features", help="Features for graphs without any: ones | degree | onehot | random.",
                                                 rich_help_panel=G)]
FeatureDim = Annotated[Optional[int], typer.Option("--feature-dim", help="Width of ones / random features.", rich_help_panel=G)]

ConfigFile = Annotated[Optional[str], typer.Option("-c", "--config", help="YAML config file.", rich_help_panel=C)]
Layer = Annotated[Optional[str], typer.Option("--layer", help="fixed | nn | residual.", rich_help_panel=C)]
Aggr = Annotated[Optional[str], typer.Option("--aggr", help="sum (add) | mean | max | min | mul | std | var.", rich_help_panel=C)]
Rounds = Annotated[Optional[int], typer.Option("--rounds", help="A fixed number of rounds (replaces the config's rounds).",
                                               rich_help_panel=C)]
Message = Annotated[Optional[str], typer.Option("--message", help="fixed layer: message formula in x_i, x_j, edge_weight.",
                                                rich_help_panel=C)]
Update = Annotated[Optional[str], typer.Option("--update", help="fixed layer: update formula in x, aggr_out.", rich_help_panel=C)]
HiddenDim = Annotated[Optional[int], typer.Option("--hidden-dim", help="nn layer: message width.", rich_help_panel=C)]
OutDim = Annotated[Optional[int], typer.Option("--out-dim", help="nn / residual layer: output width.", rich_help_panel=C)]
Project = Annotated[Optional[bool], typer.Option("--project/--no-project", help="residual: learned projection on the skip path.",
                                                 rich_help_panel=C, show_default=False)]
Device = Annotated[Optional[str], typer.Option("--device", help="auto | cpu | cuda | cuda:N | mps.", rich_help_panel=C)]
Dtype = Annotated[Optional[str], typer.Option("--dtype", help="float32 | float64.", rich_help_panel=C)]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Seed for parameters and random features.", rich_help_panel=C)]


def build_config(config: Optional[str], *, layer=None, aggr=None, rounds=None, message=None, update=None,
                 hidden_dim=None, out_dim=None, project=None, device=None, dtype=None, seed=None,
                 undirected=None, features=None, feature_dim=None) -> Config:
    cfg = load_config(config)
    values = {
        "layer.type": layer, "layer.message": message, "layer.update": update,
        "layer.hidden_dim": hidden_dim, "layer.out_dim": out_dim, "layer.project": project,
        "aggr": aggr, "rounds": rounds, "device": device, "dtype": dtype, "seed": seed,
        "graph.undirected": undirected, "graph.features": features, "graph.feature_dim": feature_dim,
    }
    return apply_overrides(cfg, values, FLAGS)


FLAGS = {
    "layer.type": "--layer", "layer.message": "--message", "layer.update": "--update",
    "layer.hidden_dim": "--hidden-dim", "layer.out_dim": "--out-dim", "layer.project": "--project",
    "aggr": "--aggr", "rounds": "--rounds", "device": "--device", "dtype": "--dtype", "seed": "--seed",
    "graph.undirected": "--undirected", "graph.features": "--features", "graph.feature_dim": "--feature-dim",
}
