"""``gnnprop layers``: what can be asked for, one line each."""

from __future__ import annotations

import typer

from ..aggr import AGGREGATIONS, ALIASES
from ..config import FEATURES, ROUND_MODES
from ..layers import LAYERS
from .app import app
from .env import get_env


@app.command()
def layers(ctx: typer.Context) -> None:
    """List layer types, aggregations, round modes and feature initialisers."""
    env = get_env(ctx.obj)
    lines = []
    for name, spec in LAYERS.items():
        lines.append(("layer", name, f"{spec.description} (default aggr: {spec.default_aggr})"))
    alias_of = {v: k for k, v in ALIASES.items()}
    for name, text in AGGREGATIONS.items():
        lines.append(("aggr", name + (f" ({alias_of[name]})" if name in alias_of else ""), text))
    for name, text in ROUND_MODES.items():
        lines.append(("rounds", name, text))
    for name, text in FEATURES.items():
        lines.append(("features", name, text))
    w0 = max(len(a) for a, _, _ in lines)
    w1 = max(len(b) for _, b, _ in lines)
    env.out.write("".join(f"{a:<{w0}}  {b:<{w1}}  {c}\n" for a, b, c in lines))
