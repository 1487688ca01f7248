"""``gnnprop config show``: the resolved config, as YAML."""

from __future__ import annotations

import typer

from ..config import dump_yaml
from . import options as o
from .app import app
from .env import get_env

config_app = typer.Typer(help="Inspect configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def show(
    ctx: typer.Context,
    config: o.ConfigFile = None,
    layer: o.Layer = None,
    aggr: o.Aggr = None,
    aggr_mode: o.AggrMode = None,
    rounds: o.Rounds = None,
    message: o.Message = None,
    update: o.Update = None,
    hidden_dim: o.HiddenDim = None,
    out_dim: o.OutDim = None,
    project: o.Project = None,
    arg: o.Arg = None,
    engine: o.Engine = None,
    device: o.Device = None,
    dtype: o.Dtype = None,
    seed: o.Seed = None,
    undirected: o.Undirected = None,
    features: o.Features = None,
    feature_dim: o.FeatureDim = None,
) -> None:
    """Print the config that a run with these flags would use (file, then flags, then defaults)."""
    cfg = o.build_config(config, **o.config_flags(locals()))
    get_env(ctx.obj).out.write(dump_yaml(cfg))
