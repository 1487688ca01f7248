"""``gnnprop config show``: the resolved config, as YAML."""

from __future__ import annotations

from typing import Any

import typer

from . import helptext
from . import options as o
from .app import app
from .env import get_env

config_app = typer.Typer(help="Show the config a run would use.", no_args_is_help=True,
                         epilog=helptext.examples_text("config"))
app.add_typer(config_app, name="config", short_help=helptext.SUMMARIES["config"])


@config_app.command("show", **helptext.spec("config show"))
@o.config_command
def show(
    ctx: typer.Context,
    **flags: Any,
) -> None:
    """Print the config that a run with these flags would use (file, then flags, then defaults)."""
    from ..config import dump_yaml

    cfg = o.build_config(**flags)
    get_env(ctx.obj).out.write(dump_yaml(cfg))
