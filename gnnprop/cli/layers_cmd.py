"""``gnnprop layers``: what can be asked for, one line each."""

from __future__ import annotations

import typer

from . import helptext
from .app import app
from .env import get_env


@app.command(**helptext.spec("layers"))
def layers(ctx: typer.Context) -> None:
    """List layer types (gnnprop's and PyG's, with their arguments), aggregations, round modes, features."""
    from ..aggregation import AGGREGATIONS, MODES
    from ..config.names import FEATURES, ROUND_MODES
    from ..layers import KINDS
    from ..layers import pyg
    from ..layers.user import UserKind

    env = get_env(ctx.obj)
    lines = []
    for name, kind in KINDS.items():
        lines.append(("layer", name, f"{kind.describe()} (default aggr: {kind.default_aggr})"))
    for name in pyg.all_names():
        lines.append(("layer", name, pyg.PygKind(pyg.lookup(name)).describe()))
    lines.append(("layer", "FILE.py:Class", UserKind("FILE.py:Class").describe()))
    for name, a in AGGREGATIONS.items():
        lines.append(("aggr", name + (f" ({', '.join(a.aliases)})" if a.aliases else ""), a.description))
    for name, mode in MODES.items():
        lines.append(("aggr_mode", name, mode.description))
    for name, text in ROUND_MODES.items():
        lines.append(("rounds", name, text))
    lines.append(("rule", "std(x)", "in rounds.if: the sample standard deviation of every value of x (divides by "
                  "N*F - 1; not aggr std's population one); mean, min, max, sum, norm(x) are over every value too"))
    for name, text in FEATURES.items():
        lines.append(("features", name, text))
    w0 = max(len(a) for a, _, _ in lines)
    w1 = max(len(b) for _, b, _ in lines)
    env.out.write("".join(f"{a:<{w0}}  {b:<{w1}}  {c}\n" for a, b, c in lines))
