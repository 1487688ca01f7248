"""``gnnprop layers``: what can be asked for, and what each layer needs before it runs.

In a pipe every entry is one line, ``KIND  NAME  TEXT`` (``gnnprop layers | grep '^aggr'``); on a
terminal the entries are grouped under headings and wrapped between words to the terminal's width.
PyG layers that need something gnnprop cannot fill in say what (``needs layer.num_layers``,
``needs edge attributes``); the ones no config makes run are listed last, each with the reason.
"""

from __future__ import annotations

import textwrap

import typer

from . import helptext
from .app import app
from .env import get_env

#: The terminal view's headings, by entry kind.
HEADINGS = {
    "layer": "Layer types (layer.type; PyG arguments: layer.NAME or --arg NAME=VALUE)",
    "cannot": "PyG layers gnnprop cannot run",
    "aggr": "Aggregations (aggr)",
    "aggr_mode": "Aggregation modes (aggr_mode, for a list of aggregations)",
    "rounds": "Round modes (rounds)",
    "rule": "Round rules (rounds.if)",
    "features": "Generated features (graph.features)",
}
#: Where a terminal entry's text starts, and the narrowest width wrapped to.
TEXT_COLUMN, MIN_WIDTH = 18, 40


def entries() -> list[tuple[str, str, str]]:
    """``(kind, name, text)`` for every entry, in the order listed."""
    from ..aggregation import AGGREGATIONS, MODES
    from ..config.names import FEATURES, ROUND_MODES
    from ..layers import KINDS
    from ..layers import pyg
    from ..layers.user import UserKind

    lines = []
    for name, kind in KINDS.items():
        lines.append(("layer", name, f"{kind.describe()} (default aggr: {kind.default_aggr})"))
    cannot = []
    for name in pyg.all_names():
        kind = pyg.PygKind(pyg.lookup(name))
        need = kind.needs()
        if need is not None and need.startswith("cannot run"):
            cannot.append(("cannot", name, need.removeprefix("cannot run in gnnprop: ")))
            continue
        lines.append(("layer", name, kind.describe()))
    lines.append(("layer", "FILE.py:Class", UserKind("FILE.py:Class").describe()))
    lines += cannot
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
    return lines


def plain(lines: list[tuple[str, str, str]]) -> str:
    """One line an entry, columns aligned: for grep and other programs."""
    lines = [("layer", b, f"cannot run in gnnprop: {c}") if a == "cannot" else (a, b, c) for a, b, c in lines]
    w0 = max(len(a) for a, _, _ in lines)
    w1 = max(len(b) for _, b, _ in lines)
    return "".join(f"{a:<{w0}}  {b:<{w1}}  {c}\n" for a, b, c in lines)


def wrapped(lines: list[tuple[str, str, str]], width: int) -> str:
    """Entries under a heading per kind, each wrapped between words to ``width`` columns, its text
    from column :data:`TEXT_COLUMN` (a longer name pushes its first line's text right)."""
    width = max(width, MIN_WIDTH)
    out: list[str] = []
    kind = None
    for k, name, text in lines:
        if k != kind:
            if kind is not None:
                out.append("")
            out += textwrap.wrap(HEADINGS[k], width, subsequent_indent="  ", break_on_hyphens=False)
            kind = k
        head = f"  {name}  "
        head = head.ljust(TEXT_COLUMN) if len(head) <= TEXT_COLUMN else head
        out += textwrap.wrap(text, width, initial_indent=head, subsequent_indent=" " * TEXT_COLUMN,
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(out) + "\n"


@app.command(**helptext.spec("layers"))
def layers(ctx: typer.Context) -> None:
    """List layer types (gnnprop's and PyG's, with their arguments and what each needs), aggregations,
    round modes, features."""
    env = get_env(ctx.obj)
    lines = entries()
    env.out.write(wrapped(lines, env.term_width()) if env.out_is_tty() else plain(lines))
