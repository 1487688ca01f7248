"""Build the explorer's page: one self-contained HTML file (no network, everything inlined).

The graph is drawn as SVG from positions computed here (:mod:`.layout`); the page's script only
colours it, moves through the rounds and shows what was recorded. Node colours are levels per
round (:mod:`.data`); every number a reader sees is a recorded derivation
(:func:`gnnprop.tracing.batch.explain_many`, the records ``inspect --format json`` writes). The
data travel deflated and base64-encoded (the browser inflates them with its own
``DecompressionStream``).
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import zlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable

import numpy as np

from .. import __version__
from ..engine.session import Session
from ..errors import UsageError
from ..tracing.batch import explain_many
from . import data, sample
from .layout import layout

#: Defaults: nodes drawn, and the estimated size of the recorded derivations (bytes).
MAX_NODES = 3000
BUDGET = 3_000_000
#: Drawing: the SVG's width and margin in its own units, and graphs drawn with an arrow on every edge.
WIDTH = 10000.0
MARGIN = 400.0
ARROWS = 400
#: Graphs of at most this many drawn nodes show their ids beside the nodes.
LABELS = 60


@dataclass
class ExploreSpec:
    centres: list[Any] = field(default_factory=list)  # node ids: the sample's centre, first in the table
    max_nodes: int = MAX_NODES                         # nodes drawn (a breadth-first ball beyond)
    budget: float = BUDGET                             # bytes of derivations, about
    derivations: int | None = None                     # record exactly this many nodes' derivations
    feature: int | None = None                         # the colour shown first (None: the norm)
    title: str | None = None
    source: str = ""                                   # the graph as the user named it
    rerun: str = ""                                    # the command, with NODE where --nodes goes


@dataclass
class Report:
    html: str
    nodes: int
    drawn: int
    explained: int
    rounds: int
    sampled: bool


def build_report(session: Session, spec: ExploreSpec, progress: Callable[[str], None] | None = None) -> Report:
    """The page for ``session`` as ``spec`` asks. Unknown ``centres`` are an input error naming them."""
    g = session.graph
    n = g.num_nodes
    ei = g.edge_index.numpy()
    if spec.max_nodes < 1:
        raise UsageError("max_nodes: draw at least 1 node", key="max_nodes")
    centres = [g.lookup(c) for c in spec.centres]
    order = sample.ball(n, ei, centres, min(n, spec.max_nodes))
    drawn = np.sort(order)
    sampled = drawn.size < n
    rounds = session.plan.max_rounds
    in_degree = np.bincount(ei[1], minlength=n) if ei.size else np.zeros(n, np.int64)
    cost = sample.estimate_bytes(in_degree, rounds, session.width, session.config.dtype)
    chosen = sample.explained(order, cost, spec.budget, spec.derivations, centres)

    where = np.full(n, -1)
    where[drawn] = np.arange(drawn.size)
    names = data.channels(session.width)
    per_round: list[np.ndarray] = []
    ranges: list[list] = []
    dtype = session.numpy_dtype

    def each_round(result) -> None:
        x = result.x[drawn].detach().to("cpu").numpy()
        lv, rg = data.levels(x, names, dtype)
        per_round.append(lv)
        ranges.append(rg)
        if progress is not None and result.round:
            progress(f"round {result.round} recorded")

    explanations = explain_many(session, chosen, each_round=each_round)
    rounds_run = len(per_round) - 1
    pool = data.Pool(dtype)
    records, formulas, plan = {}, session.kind.formulas(session.params), {}
    for v, ex in explanations.items():
        formulas, plan = ex.formulas, ex.plan
        records[str(int(where[v]))] = data.encode(ex, pool)
    x0 = session.x0.detach().to("cpu").numpy()
    inputs = {str(int(where[v])): pool.add(x0[v]) for v in explanations} if rounds_run == 0 else {}
    meta = session.meta()

    inside = (where[ei[0]] >= 0) & (where[ei[1]] >= 0) if ei.size else np.zeros(0, bool)
    sub = where[ei[:, inside]] if ei.size else np.zeros((2, 0), np.int64)
    pos = _scaled(layout(drawn.size, sub, seed=session.config.seed))
    first = centres[0] if centres else int(order[0])
    start = int(where[first])
    pinned = [int(where[c]) for c in dict.fromkeys(centres)] or ([start] if str(start) in records else [])
    channel = 0 if spec.feature is None else 1 + spec.feature
    if channel >= len(names):
        raise UsageError(f"--feature: {spec.feature} is beyond the colours offered (x0 to x{len(names) - 2})",
                         key="feature")
    explained_note = _explained_note(len(records), drawn.size, spec, g.node_ids, centres, order)
    payload = {
        "vectors": "@@VECTORS@@",  # first: the one place the pool's text goes in
        "ids": [g.node_ids[v] for v in drawn.tolist()],
        "rounds": rounds_run, "channels": names, "channel": channel, "ranges": ranges,
        "palette": _viridis(), "records": records, "inputs": inputs,
        "layer": session.config.layer.type, "aggr": session.aggr, "formulas": formulas, "plan": plan,
        "stopReason": meta["stop_reason"], "start": start, "pinned": pinned,
        "explainedShort": f"it records those of the {len(records):,} nodes nearest node {g.node_ids[first]}",
        "rerun": spec.rerun,
    }
    levels = np.stack(per_round).tobytes() if per_round else b""
    title = spec.title or f"{spec.source or 'graph'}: {session.config.layer.type} layer, {session.aggr} aggregation"
    summary = (f"{n:,} nodes, {g.num_edges:,} edges; {meta['stop_reason']}; {session.config.dtype}; "
               f"engine {meta['engine']}")
    notes = [_drawn_note(drawn.size, n, sampled, spec, g.node_ids, centres, order), explained_note]
    page = _page(title, summary, notes, rounds_run, _svg(pos, sub, _directed(sub), payload["ids"]), payload,
                 pool.texts(), levels)
    return Report(page, n, int(drawn.size), len(records), rounds_run, sampled)


def _drawn_note(drawn: int, n: int, sampled: bool, spec: ExploreSpec, ids, centres, order) -> str:
    if not sampled:
        return f"All {n:,} nodes are drawn."
    around = ", ".join(f"node {ids[c]}" for c in centres[:3]) if centres else f"node {ids[order[0]]}, the busiest"
    return (f"{drawn:,} of {n:,} nodes are drawn (at most {spec.max_nodes:,}: --max-nodes), breadth-first "
            f"around {around}; the colours and values are those of the run on the whole graph.")


def _explained_note(k: int, drawn: int, spec: ExploreSpec, ids, centres, order) -> str:
    if k >= drawn:
        return f"Derivations are recorded for every drawn node ({k:,})."
    around = ", ".join(f"node {ids[c]}" for c in centres[:3]) if centres else f"node {ids[order[0]]}"
    why = (f"--derivations {spec.derivations}" if spec.derivations is not None
           else f"about {spec.budget / 1e6:g} MB of numbers")
    return (f"Derivations are recorded for {k:,} of the {drawn:,} drawn nodes (solid), the nearest to {around} "
            f"({why}); the others (dashed) show their colour only.")


def _scaled(pos: np.ndarray) -> np.ndarray:
    """Positions in the SVG's units (whole numbers): WIDTH wide, or as tall; a margin around."""
    if len(pos) == 0:
        return pos
    span = max(float(pos.max()), 1e-9)
    return np.round(MARGIN + pos / span * (WIDTH - 2 * MARGIN))


def _directed(sub: np.ndarray) -> bool:
    if sub.size == 0:
        return False
    fwd = set(zip(sub[0].tolist(), sub[1].tolist()))
    return any((b, a) not in fwd for a, b in fwd if a != b)


def _svg(pos: np.ndarray, sub: np.ndarray, directed: bool, ids: list) -> str:
    """The drawing: the edges (one path, each pair of nodes once; arrows on a small directed graph),
    then a circle a node, in node order (the page's script finds node i as the i-th circle)."""
    n = len(pos)
    height = float(pos[:, 1].max()) + MARGIN if n else 1000.0
    radius = round(min(120.0, max(25.0, 2600 / math.sqrt(max(n, 1)))))
    parts = [f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
             f'tabindex="0" role="group" aria-label="The graph: {n:,} nodes. Arrow keys move between nodes, '
             f'Enter shows a node\'s derivation.">']
    keep = sub[:, sub[0] != sub[1]] if sub.size else np.zeros((2, 0), np.int64)
    arrows = directed and keep.shape[1] <= ARROWS
    if not arrows and keep.size:  # one line per pair of nodes
        pairs = np.unique(np.sort(keep, axis=0), axis=1)
        keep = pairs
    if arrows:
        parts.append('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                     'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#8c959f"/>'
                     '</marker></defs>')
    if keep.size:
        a, b = pos[keep[0]], pos[keep[1]]
        if arrows:  # stop at the circle so that the head shows
            d = b - a
            length = np.maximum(np.sqrt((d ** 2).sum(axis=1)), 1e-9)[:, None]
            b = np.round(b - d / length * (radius + 15))
            lines = "".join(f'<line x1="{p[0]:.0f}" y1="{p[1]:.0f}" x2="{q[0]:.0f}" y2="{q[1]:.0f}"/>'
                            for p, q in zip(a, b))
            parts.append(f'<g class="e" marker-end="url(#arrow)">{lines}</g>')
        else:
            d = "".join(f"M{p[0]:.0f} {p[1]:.0f}L{q[0]:.0f} {q[1]:.0f}" for p, q in zip(a, b))
            parts.append(f'<path class="e" d="{d}"/>')
    parts.append('<g id="overlay"></g><g>')
    parts.append("".join(f'<circle class="n" cx="{p[0]:.0f}" cy="{p[1]:.0f}" r="{radius}" tabindex="-1"/>'
                         for p in pos))
    parts.append("</g>")
    if n <= LABELS:  # a small graph shows its ids
        size = round(radius * 1.3)
        parts.append(f'<g class="lab" font-size="{size}">' + "".join(
            f'<text x="{p[0] + radius * 1.2:.0f}" y="{p[1] - radius * 1.2:.0f}">{html.escape(str(i))}</text>'
            for p, i in zip(pos, ids)) + "</g>")
    parts.append("</svg>")
    return "".join(parts)


def _pack(raw: bytes) -> str:
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def _page(title: str, summary: str, notes: list[str], rounds: int, svg: str, payload: dict, vectors: str,
          levels: bytes) -> str:
    static = resources.files(__package__) / "static"
    text = (static / "page.html").read_text(encoding="utf-8")
    blob = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace('"@@VECTORS@@"', vectors, 1)
    blob = blob.encode("utf-8")
    fills = {
        "@@VERSION@@": __version__,
        "@@TITLE@@": html.escape(title),
        "@@SUMMARY@@": html.escape(summary),
        "@@NOTES@@": "".join(f"<li>{html.escape(note)}</li>" for note in notes),
        "@@ROUNDS@@": str(rounds),
        "@@CSS@@": (static / "explore.css").read_text(encoding="utf-8"),
        "@@SVG@@": svg,
        "@@DATA@@": _pack(blob),
        "@@LEVELS@@": _pack(levels),
        "@@JS@@": (static / "explore.js").read_text(encoding="utf-8"),
    }
    return re.sub(r"@@[A-Z]+@@", lambda m: fills[m.group()], text)  # one pass: no filling is read again


def _viridis() -> list[str]:
    """255 colours from dark blue to yellow: viridis, interpolated from 9 of its stops."""
    stops = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"]
    rgb = np.array([[int(s[i:i + 2], 16) for i in (1, 3, 5)] for s in stops], dtype=np.float64)
    t = np.linspace(0, len(stops) - 1, 255)
    lo = np.floor(t).astype(int).clip(0, len(stops) - 2)
    f = (t - lo)[:, None]
    mix = rgb[lo] * (1 - f) + rgb[lo + 1] * f
    return ["#%02x%02x%02x" % tuple(int(round(c)) for c in row) for row in mix]
