"""Node positions for the explorer's drawing: deterministic, in numpy, near-linear in the edges.

:func:`layout` is Fruchterman-Reingold ("Graph drawing by force-directed placement", 1991) with
the paper's own grid variant of the repulsion: a node is pushed only by the nodes within ``2k``
of it (found through a grid of cells ``2k`` wide), so a round of forces costs about 40 pairs per
node instead of ``n``. Attraction acts along the edges (direction ignored). Components are laid
out one by one, largest first, and packed in rows; the start is a seeded random placement, so
the same graph and seed always give the same picture.

Why not networkx's ``spring_layout``: for 500 nodes and more it needs scipy (not a dependency of
gnnprop), and gnnprop's own dense layout (:func:`gnnprop.plot.layout`, every pair every round)
takes about 45 s for 2,708 nodes on a 2-core machine; this one takes about 1 s.
"""

from __future__ import annotations

import math

import numpy as np

#: Force rounds after the pivot MDS start, and the number of pivots.
ITERATIONS = 40
PIVOTS = 50


def layout(n: int, edges: np.ndarray, seed: int = 0, iterations: int = ITERATIONS) -> np.ndarray:
    """``[n, 2]`` positions in [0, 1]^2 (aspect kept). ``edges``: ``[2, E]`` node positions."""
    if n == 0:
        return np.zeros((0, 2))
    edges = np.asarray(edges, dtype=np.int64).reshape(2, -1)
    edges = edges[:, edges[0] != edges[1]]
    label = components(n, edges)
    sizes = np.bincount(label)
    order = np.argsort(-sizes, kind="stable")  # largest component first
    rng = np.random.default_rng(seed)
    boxes = []
    for c in order:
        nodes = np.flatnonzero(label == c)
        where = np.full(n, -1)
        where[nodes] = np.arange(nodes.size)
        inside = edges[:, label[edges[0]] == c]
        boxes.append((nodes, _component(nodes.size, where[inside], rng, iterations)))
    pos = _pack(n, boxes)
    pos -= pos.min(axis=0)
    span = float(pos.max()) or 1.0
    return pos / span


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """A component label per node (the smallest position in it), by min-label propagation."""
    label = np.arange(n)
    if edges.size == 0:
        return label
    a, b = edges
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping: follow labels to their roots
        if np.array_equal(new, label):
            return np.unique(label, return_inverse=True)[1]
        label = new


def _component(n: int, edges: np.ndarray, rng: np.random.Generator, iterations: int) -> np.ndarray:
    """Positions of one connected component (edge length about 1): pivot MDS, then force rounds."""
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[0.0, 0.0], [1.0, 0.0]])
    a = np.concatenate([edges[0], edges[1]])
    b = np.concatenate([edges[1], edges[0]])
    order = np.argsort(a, kind="stable")
    nbr = b[order]
    start = np.searchsorted(a[order], np.arange(n + 1))
    pos = pivot_mds(n, nbr, start)
    spread = float(np.sqrt(pos.var(axis=0).sum()))
    pos *= 0.4 * math.sqrt(n) / max(spread, 1e-9)  # about one node per unit of area, as the forces want
    pos += rng.normal(scale=0.1, size=(n, 2))  # nodes that MDS puts on one spot part
    temperature = 0.5
    cool = temperature / (iterations + 1)
    for _ in range(iterations):
        disp = _repulsion(pos, 1.0)
        delta = pos[a] - pos[b]
        dist = np.sqrt((delta ** 2).sum(axis=1))
        np.maximum(dist, 1e-9, out=dist)
        _add(disp, a, -delta * dist[:, None])
        length = np.sqrt((disp ** 2).sum(axis=1))
        np.maximum(length, 1e-9, out=length)
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cool
    return pos - pos.min(axis=0)


def bfs(n: int, nbr: np.ndarray, start: np.ndarray, source: int) -> np.ndarray:
    """Hop distances from ``source`` over the CSR ``(start, nbr)``; -1 where unreachable."""
    dist = np.full(n, -1, dtype=np.int64)
    dist[source] = 0
    frontier = np.array([source])
    level = 0
    while frontier.size:
        level += 1
        count = start[frontier + 1] - start[frontier]
        total = int(count.sum())
        if total == 0:
            break
        offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        reached = nbr[np.repeat(start[frontier], count) + offset]
        reached = np.unique(reached[dist[reached] < 0])
        dist[reached] = level
        frontier = reached
    return dist


def pivot_mds(n: int, nbr: np.ndarray, start: np.ndarray, pivots: int = PIVOTS) -> np.ndarray:
    """Brandes and Pich's pivot MDS ("Eigensolver methods for progressive multidimensional scaling of
    large data", 2006): hop distances to ``pivots`` nodes chosen far apart (the busiest node first,
    then each time the node farthest from those chosen), double-centred, projected on the two
    leading directions. ``[n, 2]``, up to scale; signs fixed so that the result does not depend on the
    eigensolver."""
    k = min(pivots, n)
    degree = np.diff(start)
    chosen = [int(np.argmax(degree))]
    cols = []
    nearest = np.full(n, np.inf)
    for _ in range(k):
        d = bfs(n, nbr, start, chosen[-1]).astype(np.float64)
        cols.append(d)
        nearest = np.minimum(nearest, d)
        if len(chosen) < k:
            chosen.append(int(np.argmax(nearest)))
    d2 = np.stack(cols, axis=1) ** 2
    c = -0.5 * (d2 - d2.mean(axis=0) - d2.mean(axis=1, keepdims=True) + d2.mean())
    values, vectors = np.linalg.eigh(c.T @ c)
    top = vectors[:, np.argsort(-values)[:2]]
    pos = c @ top
    if pos.shape[1] < 2:
        pos = np.hstack([pos, np.zeros((n, 1))])
    for j in range(2):  # the coordinate of largest magnitude is positive
        if pos[np.argmax(np.abs(pos[:, j])), j] < 0:
            pos[:, j] = -pos[:, j]
    return pos


def _repulsion(pos: np.ndarray, k: float) -> np.ndarray:
    """sum over nodes j within 2k of i of k^2 / d_ij along (p_i - p_j) / d_ij, through a grid of 2k cells."""
    n = len(pos)
    cell = 2 * k
    lo = pos.min(axis=0)
    ij = np.floor((pos - lo) / cell).astype(np.int64)
    cols = int(ij[:, 1].max()) + 3
    key = (ij[:, 0] + 1) * cols + (ij[:, 1] + 1)  # a border of empty cells: neighbours never wrap
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    disp = np.zeros_like(pos)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            target = key + dx * cols + dy
            start = np.searchsorted(sorted_key, target, side="left")
            count = np.searchsorted(sorted_key, target, side="right") - start
            total = int(count.sum())
            if total == 0:
                continue
            i = np.repeat(np.arange(n), count)
            offset = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
            j = order[np.repeat(start, count) + offset]
            keep = i != j
            i, j = i[keep], j[keep]
            delta = pos[i] - pos[j]
            d2 = (delta ** 2).sum(axis=1)
            near = d2 < cell * cell
            i, delta, d2 = i[near], delta[near], d2[near]
            np.maximum(d2, 1e-6, out=d2)
            _add(disp, i, delta * (k * k / d2)[:, None])
    return disp


def _add(out: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``out[index] += values`` with repeated indices summed (bincount: far faster than ``np.add.at``)."""
    for c in range(out.shape[1]):
        out[:, c] += np.bincount(index, weights=values[:, c], minlength=len(out))


def _pack(n: int, boxes: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Place the components' drawings in rows (shelves), largest first, in a square-ish frame."""
    pos = np.zeros((n, 2))
    widths = [float(p[:, 0].max()) + 1.5 for _, p in boxes]
    heights = [float(p[:, 1].max()) + 1.5 for _, p in boxes]
    area = sum(w * h for w, h in zip(widths, heights))
    shelf = max(math.sqrt(area) * 1.1, max(widths))
    x = y = row = 0.0
    for (nodes, p), w, h in zip(boxes, widths, heights):
        if x > 0 and x + w > shelf:
            x, y, row = 0.0, y + row, 0.0
        pos[nodes] = p + (x, y)
        x += w
        row = max(row, h)
    return pos
