"""Pictures of a propagation (``gnnprop plot``), drawn with matplotlib.

Three kinds (:data:`KINDS`):

* ``graph``: the graph, nodes coloured by one feature after one round, with a
  colour bar; ids as labels on small graphs. Larger graphs are refused unless a
  ``sample`` of nodes is asked for (a breadth-first ball around the chosen node
  or the busiest one): a drawing of thousands of nodes is a hairball.
* ``evolution``: one feature of every node across the rounds: a line per node on
  small graphs, a node x round heatmap on larger ones (at most
  :data:`HEATMAP_ROWS` rows, chosen evenly by final value).
* ``derivation``: one node's round as ``gnnprop inspect`` explains it: the
  in-neighbours, their messages on the arrows, the aggregation (winners of a
  max/min drawn bold) and the update.

matplotlib is an optional dependency (``pip install 'gnnprop[plot]'``);
:func:`require_matplotlib` says how to install it. The layout is our own
seeded Fruchterman-Reingold (numpy), so the same graph and seed give the same
picture. Figures are built without pyplot (no global state, no display).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import IO, Any, Callable

import numpy as np

from .errors import UsageError, setting

from .plotnames import DERIVATION_MESSAGES, KINDS, LAYOUTS  # noqa: F401  (re-exported: the CLI reads them without numpy)

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: Nodes drawn with their ids as labels / evolution lines instead of a heatmap / heatmap rows.
LABEL_NODES, LINE_NODES, HEATMAP_ROWS = 40, 20, 2000
#: In-neighbours (messages) a derivation draws by default (the rest are counted).
#: Past these a log scale is suggested: growth of the largest |value| over the rounds, and the
#: largest |value| over the median one in a single round.
GROWTH, SPREAD = 100.0, 1000.0

INSTALL = "pip install 'gnnprop[plot]' (or pip install matplotlib)"


@dataclass
class PlotSpec:
    kind: str = "graph"
    feature: int = 0
    round: int | None = None       # graph / derivation: default the last round (derivation: 1)
    node: Any = None               # derivation: required; graph sample: the centre
    log: bool = False
    layout: str = "spring"
    max_nodes: int = 1000
    sample: int | None = None
    size: tuple[float, float] = (8.0, 6.0)
    dpi: int = 100
    title: str | None = None
    max_neighbours: int = DERIVATION_MESSAGES  # derivation: messages drawn (0: all)


def require_matplotlib():
    import logging

    # "Matplotlib is building the font cache" (first use) would break the one-line stderr contract
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError:
        raise UsageError(f"gnnprop plot needs matplotlib, which is not installed: {INSTALL}") from None
    return matplotlib


def figure_format(path: str) -> str:
    import os

    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise UsageError(f"{path!r}: the picture format comes from the extension: "
                         f"{', '.join(FORMATS)}", key="output")
    return FORMATS[ext]


def _figure(spec: PlotSpec):
    from matplotlib.figure import Figure

    return Figure(figsize=spec.size, dpi=spec.dpi, layout="constrained")


def save(fig, stream: IO, fmt: str) -> None:
    meta = {"Software": None} if fmt == "png" else ({"Date": None} if fmt == "svg" else {"CreationDate": None})
    import warnings

    with warnings.catch_warnings():  # a figure too small for its text is still drawn; no stderr noise
        warnings.filterwarnings("ignore", message="constrained_layout not applied", category=UserWarning)
        fig.savefig(stream, format=fmt, metadata=meta)  # no timestamps: the same run gives the same file


def _norm(values: np.ndarray, log: bool):
    """Colour normalisation: linear, or for ``log`` log (all positive) / symlog."""
    from matplotlib import colors

    finite = values[np.isfinite(values)]
    if not log or finite.size == 0:
        return colors.Normalize(*(_limits(finite)))
    if (finite > 0).all():
        return colors.LogNorm(finite.min(), max(finite.max(), finite.min() * (1 + 1e-12)))
    nonzero = np.abs(finite[finite != 0])
    return colors.SymLogNorm(linthresh=float(nonzero.min()) if nonzero.size else 1.0,
                             vmin=float(finite.min()), vmax=float(finite.max()), base=10)


def _limits(finite: np.ndarray) -> tuple[float, float]:
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


def explodes(values: np.ndarray) -> bool:
    """Whether a log scale would read better: for a series ``[rounds + 1, N]`` the largest
    magnitude grows more than :data:`GROWTH` times from the input to the last round; for one
    round the largest magnitude is more than :data:`SPREAD` times the median one."""
    mags = np.abs(np.where(np.isfinite(values), values, 0.0))
    if values.ndim == 2 and len(values) > 1:
        first, last = float(mags[0].max(initial=0)), float(mags[-1].max(initial=0))
        return last > GROWTH * max(first, np.finfo(np.float64).tiny)
    top, mid = float(mags.max(initial=0)), float(np.median(mags)) if mags.size else 0.0
    return top > SPREAD * max(mid, np.finfo(np.float64).tiny) and top > 0


# --- layout --------------------------------------------------------------------

def layout(n: int, edges: np.ndarray, kind: str = "spring", seed: int = 0, iterations: int = 80) -> np.ndarray:
    """``[n, 2]`` positions in [0, 1]^2. ``edges``: ``[2, E]`` positions (direction ignored).

    ``spring`` is Fruchterman-Reingold with a seeded start and a cooling
    schedule, dense (n is at most a few thousand here); ``circle`` is a ring.
    """
    if n == 0:
        return np.zeros((0, 2))
    if kind == "circle" or n == 1:
        t = 2 * np.pi * np.arange(n) / max(n, 1)
        return 0.5 + 0.45 * np.stack([np.cos(t), np.sin(t)], axis=1)
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    a = np.zeros((n, n))
    if edges.size:
        a[edges[0], edges[1]] = 1.0
        a = np.maximum(a, a.T)
        np.fill_diagonal(a, 0.0)
    k = math.sqrt(1.0 / n)
    temperature = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta ** 2).sum(axis=2))
        np.clip(dist, 0.01, None, out=dist)
        force = k * k / dist ** 2 - a * dist / k      # repulsion - attraction, along delta / dist
        disp = (delta * force[:, :, None]).sum(axis=1)
        length = np.sqrt((disp ** 2).sum(axis=1))
        np.clip(length, 0.01, None, out=length)
        pos += disp * (temperature / length)[:, None]
        temperature -= 0.1 / (iterations + 1)
    pos -= pos.min(axis=0)
    span = pos.max(axis=0)
    span[span == 0] = 1
    return 0.05 + 0.9 * pos / span


def sample_nodes(n: int, edge_index: np.ndarray, count: int, centre: int | None) -> tuple[np.ndarray, int]:
    """``count`` node positions, sorted: breadth-first from ``centre`` (default the node with
    the most edges) over edges in both directions, then from the next busiest unvisited node.
    Returns them and the centre."""
    src, dst = edge_index
    both_src = np.concatenate([src, dst])
    both_dst = np.concatenate([dst, src])
    order = np.argsort(both_src, kind="stable")
    nbr = both_dst[order]
    start = np.searchsorted(both_src[order], np.arange(n + 1))
    degree = np.diff(start)
    seeds = np.argsort(-degree, kind="stable")
    seen = np.zeros(n, bool)
    picked: list[int] = []
    queue_seeds = ([centre] if centre is not None else []) + seeds.tolist()
    for s in queue_seeds:
        if len(picked) >= count:
            break
        if seen[s]:
            continue
        seen[s] = True
        frontier = [s]
        picked.append(s)
        while frontier and len(picked) < count:
            nxt = []
            for u in frontier:
                for v in nbr[start[u]:start[u + 1]]:
                    if not seen[v]:
                        seen[v] = True
                        picked.append(int(v))
                        nxt.append(int(v))
                        if len(picked) >= count:
                            break
                if len(picked) >= count:
                    break
            frontier = nxt
    return np.array(sorted(picked), dtype=np.int64), int(picked[0])


# --- the three kinds ---------------------------------------------------------------

def draw_graph(values: np.ndarray, node_ids: list, edge_index: np.ndarray, spec: PlotSpec, title: str,
               seed: int = 0):
    """``values``: the feature of every node ([N]); returns the figure."""
    n = len(node_ids)
    nodes = np.arange(n)
    note = ""
    if spec.sample is not None and spec.sample < n:
        centre = spec.node
        nodes, first = sample_nodes(n, edge_index, spec.sample, centre)
        note = f" ({len(nodes):,} of {n:,} nodes, around node {node_ids[first]})"
    elif n > spec.max_nodes:
        raise UsageError(f"the graph has {n:,} nodes; a drawing of more than {spec.max_nodes:,} is a hairball: "
                         f"use {setting('sample', 300)} (the nodes around {setting('node')}, or the busiest node), "
                         f"{setting('kind', 'evolution')} (a heatmap), or {setting('max_nodes', n)}")
    keep = np.zeros(n, bool)
    keep[nodes] = True
    where = np.full(n, -1)
    where[nodes] = np.arange(len(nodes))
    inside = keep[edge_index[0]] & keep[edge_index[1]]
    sub = where[edge_index[:, inside]]
    pos = layout(len(nodes), sub, spec.layout, seed)
    vals = values[nodes]
    fig = _figure(spec)
    ax = fig.add_subplot()
    from matplotlib.collections import LineCollection

    directed = _directed(sub)
    small = len(nodes) <= LABEL_NODES
    if sub.size:
        if directed and small:
            for s, d in sub.T:
                if s != d:
                    ax.annotate("", xy=pos[d], xytext=pos[s], zorder=1,
                                arrowprops=dict(arrowstyle="-|>", color="0.6", lw=0.8, shrinkA=9, shrinkB=9))
        else:
            segs = np.stack([pos[sub[0]], pos[sub[1]]], axis=1)
            ax.add_collection(LineCollection(segs, colors="0.7", linewidths=0.6 if len(nodes) > 200 else 1.0,
                                             zorder=1))
    size = 300 if small else max(8, 4000 / max(len(nodes), 1))
    sc = ax.scatter(pos[:, 0], pos[:, 1], c=vals, cmap="viridis", norm=_norm(vals, spec.log), s=size,
                    edgecolors="0.2", linewidths=0.5, zorder=2)
    if small:
        for k, p in zip(nodes, pos):
            ax.text(p[0], p[1], str(node_ids[k]), ha="center", va="center", fontsize=7, zorder=3,
                    color="white" if _dark(sc, values[k]) else "black")
    bar = fig.colorbar(sc, ax=ax, shrink=0.8)
    bar.set_label(f"x{spec.feature}" + (" (log scale)" if spec.log else ""))
    ax.set_title(spec.title or title + note, fontsize=10)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.margins(0.05)
    return fig


def _directed(sub: np.ndarray) -> bool:
    pairs = set(map(tuple, sub.T.tolist()))
    return any((d, s) not in pairs for s, d in pairs)


def _dark(sc, value: float) -> bool:
    if not math.isfinite(value):
        return False
    r, g, b, _ = sc.cmap(sc.norm(value))
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.5


def draw_evolution(series: np.ndarray, node_ids: list, spec: PlotSpec, title: str):
    """``series``: ``[rounds + 1, N]``, the feature after each round (row 0 = the input)."""
    rounds, n = series.shape
    fig = _figure(spec)
    ax = fig.add_subplot()
    xs = np.arange(rounds)
    if n <= LINE_NODES:
        for k in range(n):
            ax.plot(xs, series[:, k], marker="o", markersize=3, label=str(node_ids[k]))
        if n <= 12:
            ax.legend(title="node", fontsize=7, title_fontsize=8, loc="best")
        if spec.log:
            finite = series[np.isfinite(series)]
            ax.set_yscale("log" if finite.size and (finite > 0).all() else "symlog")
        ax.set_xlabel("round")
        ax.set_ylabel(f"x{spec.feature}" + (" (log scale)" if spec.log else ""))
        ax.set_xticks(xs if rounds <= 20 else np.linspace(0, rounds - 1, 11).round())
        ax.grid(alpha=0.3)
        ax.set_title(spec.title or title, fontsize=10)
        return fig
    rows = np.arange(n)
    note = ""
    if n > HEATMAP_ROWS:  # evenly spaced by final value, so the spread stays visible
        by_final = np.argsort(series[-1], kind="stable")
        rows = by_final[np.linspace(0, n - 1, HEATMAP_ROWS).round().astype(np.int64)]
        note = f" ({HEATMAP_ROWS:,} of {n:,} nodes, evenly spaced by final value)"
    data = series[:, rows].T
    im = ax.imshow(data, aspect="auto", interpolation="nearest", cmap="viridis", norm=_norm(data, spec.log))
    ax.set_xlabel("round")
    ax.set_ylabel("node")
    ax.set_xticks(xs if rounds <= 20 else np.linspace(0, rounds - 1, 11).round())
    if len(rows) <= LABEL_NODES:
        ax.set_yticks(np.arange(len(rows)), [str(node_ids[k]) for k in rows], fontsize=6)
    else:
        ax.set_yticks([])
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    bar.set_label(f"x{spec.feature}" + (" (log scale)" if spec.log else ""))
    ax.set_title(spec.title or title + note, fontsize=10)
    return fig


def pick_messages(messages: list, winners: set, cap: int) -> list:
    """The messages a derivation draws: all, or at most ``cap`` (0: all) with the winners of a max/min first."""
    if cap <= 0 or len(messages) <= cap:
        return list(messages)
    first = [m for m in messages if m.source in winners]
    return (first + [m for m in messages if m.source not in winners])[:cap]


def arc_positions(count: int, centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    """``[count, 2]`` points on an arc bowing left of ``centre``, top to bottom, evenly spaced in height
    (so labels one line high never overlap); the ends stay well left of the centre."""
    half = min(1.0, 0.3 * (count - 1))  # a few neighbours sit close to the level of the centre
    ys = np.linspace(half, -half, count) if count > 1 else np.zeros(1)
    bow = 0.4 + 0.6 * np.sqrt(np.clip(1.0 - ys ** 2, 0.0, 1.0))
    return np.stack([centre[0] - radii[0] * bow, centre[1] + radii[1] * ys], axis=1)


def _wrap(lines: list[str], width: int) -> list[str]:
    import textwrap

    out = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        out += textwrap.wrap(line, width, subsequent_indent=" " * (indent + 2), break_on_hyphens=False) or [""]
    return out


def _mark(check, value, what: str) -> list[str]:
    """A value inspect marks as not its formula on the inputs shown (the engine added in another order):
    the size of the difference, in ulp (``gnnprop inspect`` says why)."""
    from .tracing.checks import ulps

    if check is None or check.exact is not False:
        return []
    n = ulps(value, check.redone)
    return [f"  ≠ {what} ({n:,} ulp)" if n is not None else f"  ≠ {what}"]


def draw_derivation(ex, step, params, spec: PlotSpec, fmt: Callable[[float], str]):
    """One node's round: in-neighbours on an arc, each with its message, arrows to the node, and a
    panel with the aggregation and the update. At most ``spec.max_neighbours`` messages are drawn
    (the winners of a max/min first); the rest are counted."""
    from matplotlib.patches import FancyArrowPatch

    from .tracing import aggregation_detail, aggregation_lines, message_text, update_text, vector_text

    vec = (lambda v: vector_text(v, fmt))
    detail = aggregation_detail(step, ex.aggr)
    winners = set(detail.get("argmax") or detail.get("argmin") or [])
    msgs = pick_messages(step.messages, winners, spec.max_neighbours)
    hidden = len(step.messages) - len(msgs)
    fig = _figure(spec)
    grid = fig.add_gridspec(1, 2, width_ratios=[3, 2])
    ax = fig.add_subplot(grid[0, 0])
    ax.set_xlim(-1.25, 1.25)
    ax.set_ylim(-1.2, 1.2)
    ax.set_axis_off()
    centre = (0.85, 0.0)
    small = len(msgs) > 8
    node_box = dict(boxstyle="round,pad=0.45", fc="#fff4d6", ec="#c08a00", lw=1.2)
    target = ax.text(*centre, f"node {ex.node}\nx = {vec(step.x)}", ha="center", va="center", fontsize=9,
                     bbox=node_box, zorder=3)
    points = arc_positions(len(msgs), centre, (0.95, 1.0))
    for m, p in zip(msgs, points):
        won = m.source in winners
        text = message_text(params, m, fmt)
        value = vec(m.value)
        label = f"node {m.source}: " + (value if text is None or text == value else f"{text} = {value}")
        box = dict(boxstyle="round,pad=0.3", fc="#ffd9d9" if won else "#e6f0ff", ec="#b00000" if won else "#3060a0")
        src = ax.text(*p, label, ha="right", va="center", fontsize=7 if small else 8, zorder=3, bbox=box,
                      fontweight="bold" if won else "normal")
        ax.add_patch(FancyArrowPatch(p, centre, patchA=src.get_bbox_patch(), patchB=target.get_bbox_patch(),
                                     arrowstyle="-|>", mutation_scale=11, shrinkA=1, shrinkB=3,
                                     color="#b00000" if won else "0.45", lw=1.8 if won else 0.9, zorder=2))
    if hidden:
        low = points[-1] if len(points) else np.array(centre)
        ax.text(low[0], max(low[1] - 0.17, -1.18), f"and {hidden:,} more (gnnprop inspect lists them all)",
                ha="right", va="center", fontsize=7, style="italic", color="0.35")
    if not step.messages:
        ax.text(centre[0] - 0.6, centre[1], "no incoming edges", ha="right", va="center", fontsize=8,
                style="italic", color="0.35")

    n = len(step.messages)
    lines = []
    if step.aggregated is None:
        lines.append("aggregate: not observed")
    else:
        lines.append(f"aggregate: {ex.aggr} of {n:,} message{'s' if n != 1 else ''}")
        lines.append(f"  = {vec(step.aggregated)}")
        if step.messages:
            lines += ["  " + line for line in aggregation_lines(step, ex.aggr, fmt)]
        lines += _mark(step.aggregate_check, step.aggregated, "messages in order")
    lines.append("")
    up = update_text(params, step, fmt)
    if up is not None:
        lines += [f"update: {up}", f"  = {vec(step.output)}"]
    else:
        lines += [f"update: {ex.formulas['update']}", f"  = {vec(step.output)}"]
    lines += _mark(step.update_check, step.output, "formula on these")
    panel = fig.add_subplot(grid[0, 1])
    panel.set_axis_off()
    panel.set_xlim(0, 1)
    panel.set_ylim(0, 1)
    width_chars = max(16, int(spec.size[0] * 0.4 * 72 / (0.6 * 9)))  # monospace 9 pt: about 0.6 em a character
    panel.text(0.02, 0.5, "\n".join(_wrap(lines, width_chars)), ha="left", va="center", fontsize=9,
               family="monospace", linespacing=1.5,
               bbox=dict(boxstyle="round,pad=0.8", fc="#f7f7f7", ec="0.6"))
    fig.suptitle(spec.title or f"node {ex.node}, round {step.round}: {ex.layer} layer, {ex.aggr} aggregation\n"
                 f"message: {ex.formulas['message']}", fontsize=9)
    return fig
