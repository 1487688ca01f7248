"""``gnnprop layers``: what can be asked for, one line each."""

from __future__ import annotations

import typer

from ..aggr import AGGREGATIONS, ALIASES
from ..config import FEATURES, ROUND_MODES
from ..config import AGGR_MODES
from ..layers import LAYERS, pyg
from . import helptext
from .app import app
from .env import get_env


@app.command(**helptext.spec("layers"))
def layers(ctx: typer.Context) -> None:
    """List layer types (gnnprop's and PyG's, with their arguments), aggregations, round modes, features."""
    env = get_env(ctx.obj)
    lines = []
    for name, spec in LAYERS.items():
        lines.append(("layer", name, f"{spec.description} (default aggr: {spec.default_aggr})"))
    for name in pyg.all_names():
        cls_name = pyg.lookup(name)
        args = [a for a in pyg.accepted_kwargs(pyg.classes()[cls_name]) if a not in pyg.BASE_KWARGS]
        title = f"PyG {cls_name}" if name != cls_name else "PyG"
        lines.append(("layer", name, f"{title}; args: {', '.join(args) or 'none'}"))
    lines.append(("layer", "FILE.py:Class", "your own MessagePassing subclass (runs your code; args under layer.args)"))
    alias_of = {v: k for k, v in ALIASES.items()}
    for name, text in AGGREGATIONS.items():
        lines.append(("aggr", name + (f" ({alias_of[name]})" if name in alias_of else ""), text))
    for name, text in AGGR_MODES.items():
        lines.append(("aggr_mode", name, text))
    for name, text in ROUND_MODES.items():
        lines.append(("rounds", name, text))
    lines.append(("rule", "std(x)", "in rounds.if: the sample standard deviation of every value of x (divides by "
                  "N*F - 1; not aggr std's population one); mean, min, max, sum, norm(x) are over every value too"))
    for name, text in FEATURES.items():
        lines.append(("features", name, text))
    w0 = max(len(a) for a, _, _ in lines)
    w1 = max(len(b) for _, b, _ in lines)
    env.out.write("".join(f"{a:<{w0}}  {b:<{w1}}  {c}\n" for a, b, c in lines))
