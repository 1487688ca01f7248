"""Which nodes the explorer draws, and which of them carry their derivations.

A page can hold every node's colour for every round, but not every message of every round: on a
Cora-sized graph (2,708 nodes, 10,556 edges, 16 features, 10 rounds) that is about 1.7 million
numbers. So the page draws at most ``max_nodes`` nodes (a breadth-first ball around the chosen
nodes, else all) and records the derivations of the nodes nearest the chosen ones, in the same
breadth-first order, until an estimate of their size reaches the budget.
"""

from __future__ import annotations

import numpy as np

#: Bytes one recorded number adds to the page, by dtype (measured on random features: shortest
#: digits and a comma, deflated, in base64), and a message's other fields (sender, edge, places).
NUMBER_BYTES = {"float32": 7.0, "float64": 12.0}
MESSAGE_BYTES = 12


def ball(n: int, edge_index: np.ndarray, centres: list[int], count: int) -> np.ndarray:
    """Up to ``count`` node positions in breadth-first order from ``centres`` (all at distance 0;
    edges in both directions), then from the busiest node not yet reached, and so on."""
    count = min(count, n)
    src, dst = (edge_index[0], edge_index[1]) if edge_index.size else (np.zeros(0, np.int64),) * 2
    a = np.concatenate([src, dst])
    b = np.concatenate([dst, src])
    order = np.argsort(a, kind="stable")
    nbr = b[order]
    start = np.searchsorted(a[order], np.arange(n + 1))
    degree = np.diff(start)
    seen = np.zeros(n, bool)
    picked: list[np.ndarray] = []
    total = 0
    busiest = iter(np.argsort(-degree, kind="stable").tolist())
    frontier = np.unique(np.asarray(centres, dtype=np.int64))
    while total < count:
        if frontier.size == 0:  # this part is exhausted: go on from the busiest node not reached
            nxt = next((v for v in busiest if not seen[v]), None)
            if nxt is None:
                break
            frontier = np.array([nxt])
        seen[frontier] = True
        picked.append(frontier[: count - total])
        total += min(frontier.size, count - total)
        reach = start[frontier + 1] - start[frontier]
        size = int(reach.sum())
        if size == 0:
            frontier = np.zeros(0, np.int64)
            continue
        offset = np.arange(size) - np.repeat(np.cumsum(reach) - reach, reach)
        cand = nbr[np.repeat(start[frontier], reach) + offset]
        frontier = np.unique(cand[~seen[cand]])
    return np.concatenate(picked) if picked else np.zeros(0, np.int64)


def estimate_bytes(in_degree: np.ndarray, rounds: int, width: int, dtype: str = "float32") -> np.ndarray:
    """What recording each node's derivations adds to the page, about: every round, each message's
    value (``width`` numbers) and fields, and the node's own rows (input, aggregation, sum, output)."""
    number = NUMBER_BYTES.get(dtype, 12.0)
    per_round = (in_degree + 1) * (width * number + MESSAGE_BYTES) + 4 * width * number
    return per_round * max(rounds, 0)


def explained(order: np.ndarray, cost: np.ndarray, budget: float, limit: int | None,
              must: list[int]) -> np.ndarray:
    """The nodes whose derivations the page records: ``must`` (the chosen nodes), then the next of
    ``order`` while the estimated ``cost`` stays within ``budget`` bytes (or, with ``limit``, the first
    ``limit`` of ``order``, whatever their cost)."""
    chosen = list(dict.fromkeys(int(v) for v in must))
    taken = set(chosen)
    rest = [int(v) for v in order if int(v) not in taken]
    if limit is not None:
        return np.array(chosen + rest[: max(limit - len(chosen), 0)], dtype=np.int64)
    spent = float(cost[chosen].sum()) if chosen else 0.0
    for v in rest:
        if spent + cost[v] > budget:
            break
        chosen.append(v)
        spent += float(cost[v])
    return np.array(chosen, dtype=np.int64)
