"""The benchmarks' graphs: simple random graphs drawn reproducibly (uniform, R-MAT), written as CSV fast."""

from __future__ import annotations

import numpy as np

def random_edges(nodes: int, edges: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``edges`` distinct directed edges without self loops, uniformly at random.

    Returns ``(src, dst)``, int64 arrays in the order drawn (not sorted).
    Requires ``edges <= nodes * (nodes - 1) / 2`` so that redrawing duplicates ends quickly.
    """
    rng = np.random.default_rng(seed)
    src = np.empty(0, dtype=np.int64)
    dst = np.empty(0, dtype=np.int64)
    while src.size < edges:
        want = edges - src.size
        draw = want + want // 50 + 16
        s = rng.integers(0, nodes, draw, dtype=np.int64)
        d = (s + rng.integers(1, nodes, draw, dtype=np.int64)) % nodes  # never s itself
        src, dst = np.concatenate([src, s]), np.concatenate([dst, d])
        _, first = np.unique(src * nodes + dst, return_index=True)
        first.sort()  # keep the first copy of each edge, in drawing order
        first = first[:edges]
        src, dst = src[first], dst[first]
    return src, dst


#: Graph500's R-MAT quadrant probabilities (the fourth, d, is 1 - a - b - c).
RMAT_ABC = (0.57, 0.19, 0.19)


def rmat_edges(nodes: int, edges: int, seed: int, abc: tuple[float, float, float] = RMAT_ABC
               ) -> tuple[np.ndarray, np.ndarray]:
    """``edges`` distinct directed R-MAT edges without self loops (Chakrabarti et al., as Graph500 draws them).

    Each edge picks one quadrant of the adjacency matrix per level, ``scale =
    ceil(log2(nodes))`` levels, with probabilities ``a, b, c, d``; endpoints
    ``>= nodes`` (when ``nodes`` is not a power of two), self loops and duplicates
    are drawn again, as in :func:`random_edges`. Node ids are then shuffled with a
    random permutation, so that the heavy nodes are not the low ids (the order of
    the ids carries no locality). Returns ``(src, dst)`` int64 in the order drawn.
    """
    a, b, c = abc
    rng = np.random.default_rng(seed)
    scale = max(1, (nodes - 1).bit_length())
    src = np.empty(0, dtype=np.int64)
    dst = np.empty(0, dtype=np.int64)
    while src.size < edges:
        want = edges - src.size
        draw = want + want // 4 + 16
        s = np.zeros(draw, np.int64)
        d = np.zeros(draw, np.int64)
        for _ in range(scale):
            r = rng.random(draw)
            s <<= 1
            d <<= 1
            s += r >= a + b
            d += ((r >= a) & (r < a + b)) | (r >= a + b + c)
        keep = (s < nodes) & (d < nodes) & (s != d)
        src, dst = np.concatenate([src, s[keep]]), np.concatenate([dst, d[keep]])
        _, first = np.unique(src * nodes + dst, return_index=True)
        first.sort()
        first = first[:edges]
        src, dst = src[first], dst[first]
    perm = rng.permutation(nodes)
    return perm[src], perm[dst]


#: Graphs ``bench --graph`` draws; anything else names a graph file.
GRAPHS = {"uniform": random_edges, "rmat": rmat_edges}


def _digits(v: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """ASCII digits of non-negative ``v``, right-aligned in ``width`` columns, and which are real."""
    chars = np.empty((v.size, width), dtype=np.uint8)
    keep = np.empty((v.size, width), dtype=bool)
    rest = v.copy()
    for k in range(width - 1, -1, -1):
        chars[:, k] = rest % 10 + 48
        keep[:, k] = (rest > 0) if k < width - 1 else True  # a leading zero goes, the units digit stays
        rest //= 10
    return chars, keep


def write_edge_csv(path: str, src: np.ndarray, dst: np.ndarray, chunk: int = 1 << 22) -> int:
    """Write ``src,dst`` rows under a ``src,dst`` header, vectorised; returns the file size in bytes."""
    width = len(str(int(max(src.max(initial=0), dst.max(initial=0)))))
    with open(path, "wb") as f:
        f.write(b"src,dst\n")
        for start in range(0, src.size, chunk):
            s, d = src[start:start + chunk], dst[start:start + chunk]
            cs, ks = _digits(s, width)
            cd, kd = _digits(d, width)
            sep = np.full((s.size, 1), ord(","), dtype=np.uint8)
            end = np.full((s.size, 1), ord("\n"), dtype=np.uint8)
            yes = np.ones((s.size, 1), dtype=bool)
            rows = np.hstack([cs, sep, cd, end])
            keep = np.hstack([ks, yes, kd, yes])
            f.write(rows[keep].tobytes())
        return f.tell()
