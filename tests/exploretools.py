"""The explorer's tests' tools: a page's data read back in Python (as its script reads them), and a
Cora-sized graph."""

from __future__ import annotations

import base64
import json
import pathlib
import re
import time
import zlib
from dataclasses import dataclass

import numpy as np

from .clitools import cli


def page_data(html: str) -> tuple[dict, np.ndarray]:
    """The page's data and colour levels, inflated as its script inflates them."""
    def blob(name: str) -> bytes:
        text = re.search(rf'<script type="application/octet-stream" id="{name}">(.*?)</script>', html, re.S).group(1)
        return zlib.decompress(base64.b64decode(text))

    data = json.loads(blob("data"))
    return data, np.frombuffer(blob("levels"), dtype=np.uint8)


def decode_step(s: list, pool: list) -> dict:
    """One recorded step in ``inspect --format json``'s shape (explore.js's decodeStep, in Python)."""
    def vec(i):
        return None if i < 0 else pool[i]

    def check(c):
        if c == 0:
            return None
        if c == 1:
            return {"exact": True}
        if c[0] is None:
            return {"exact": None, "why": c[1]}
        return {"exact": False, "redone": vec(c[1]), "difference": vec(c[2]), "ulp": c[3], "why": c[4]}

    rnd, x, names, msgs, agg, upd, value, computed_by, labels = s
    aggregation = {"op": agg[0], "value": vec(agg[1]), "count": agg[2]}
    if agg[3] != 0:
        aggregation[agg[3][0]] = agg[3][1]
    if agg[4] != -2:
        aggregation["sum"] = vec(agg[4])
    aggregation["check"] = check(agg[5])
    return {"round": rnd, "computed_by": computed_by, "inputs": {"x": vec(x)}, "labels": labels,
            "messages": [{"from": m[0], "edge": m[1], "inputs": {k: vec(m[2][j]) for j, k in enumerate(names)},
                          "value": vec(m[3]), "check": check(m[4])} for m in msgs],
            "aggregation": aggregation,
            "update": {"inputs": {"x": vec(upd[0]), "aggr_out": vec(upd[1])}, "value": vec(value),
                       "check": check(upd[2])}}


def recorded_steps(data: dict) -> dict:
    """{node id: steps} for every node whose derivations the page recorded."""
    return {data["ids"][int(i)]: [decode_step(s, data["vectors"]) for s in rec] for i, rec in data["records"].items()}


@dataclass
class CoraPage:
    folder: pathlib.Path
    edges: pathlib.Path
    nodes: pathlib.Path
    page: pathlib.Path
    stderr: str
    seconds: float


def cora_sized_page(folder: pathlib.Path) -> CoraPage:
    """A random directed graph the size of Cora (2,708 nodes, 10,556 distinct edges, 16 float32
    features), and ``gnnprop explore`` on it with --undirected, mean, 10 rounds."""
    rng = np.random.default_rng(7)
    n, e, f = 2708, 10556, 16
    codes = np.unique(rng.integers(0, n, 3 * e) * n + rng.integers(0, n, 3 * e))
    codes = codes[codes // n != codes % n]
    codes = rng.permutation(codes)[:e]
    edges = folder / "cora.csv"
    edges.write_text("src,dst\n" + "".join(f"{c // n},{c % n}\n" for c in sorted(codes.tolist())))
    x = rng.standard_normal((n, f)).astype(np.float32)
    nodes = folder / "cora.nodes.csv"
    nodes.write_text("id," + ",".join(f"f{k}" for k in range(f)) + "\n"
                     + "".join(f"{i}," + ",".join(str(v) for v in row) + "\n" for i, row in enumerate(x)))
    page = folder / "cora.html"
    t = time.perf_counter()
    out = cli("explore", edges, "--node-features", nodes, "--undirected", "--aggr", "mean", "--rounds", "10",
              "-o", page)
    assert out.code == 0, out.stderr
    return CoraPage(folder, edges, nodes, page, out.stderr, time.perf_counter() - t)
