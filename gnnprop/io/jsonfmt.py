"""JSON graphs, in either of two forms.

* Tensor form (PyG-like)::

    {"x": [[...], ...], "edge_index": [[src...], [dst...]],
     "edge_weight"?: [...], "edge_attr"?: [[...], ...], "y"?: [...],
     "node_ids"?: [...], "num_nodes"?: int}

  ``edge_index`` holds node positions 0..N-1. N is ``len(x)``, else
  ``len(node_ids)``, else ``num_nodes``, else ``max(edge_index) + 1``.
* Node-link form, as ``networkx.node_link_data`` writes it::

    {"directed": bool, "multigraph": bool, "graph": {...},
     "nodes": [{"id": ..., "x"?: [...]}, ...],
     "links" | "edges": [{"source": id, "target": id, "weight"?: number,
                          "edge_attr"?: [number, ...]}, ...]}

  Node order is the order of ``nodes``; ``"directed": false`` adds reverse edges
  (with the weight and ``edge_attr`` of the edge they reverse). ``x``,
  ``weight`` and ``edge_attr`` are given for all nodes or links or for none;
  every ``x`` has the same width, and so does every ``edge_attr``.

Parsing is strict: duplicate keys, ``NaN``/``Infinity``, numbers that overflow,
unknown top-level keys and values of the wrong type or nesting are errors that
name their place (``x[3][1]``, ``links[4].target``). ``null`` is the same as an
absent optional key.
"""

from __future__ import annotations

import json
import math
from itertools import chain
from typing import Any, Callable

import numpy as np
import torch

from ..errors import InputError
from ..graph import Graph, NodeId, with_reverse_edges
from ..engine.memory import check_node_count
from .ids import check_json_id, show
from .source import gc_paused

TENSOR_KEYS = ("x", "edge_index", "edge_weight", "edge_attr", "y", "node_ids", "num_nodes")
NODE_LINK_KEYS = ("directed", "multigraph", "graph", "nodes", "links", "edges")
#: An inferred node count (``max(edge_index) + 1``) above this is taken for a typo.
MAX_INFERRED_EXTRA_NODES = 1_000_000
_NUMBER = {int, float}


class _Bad:
    """A number JSON cannot give as a finite float (``NaN``, ``1e400``), kept so the error can name its place."""

    __slots__ = ("text", "reason")

    def __init__(self, text: str, reason: str = "is not a finite number"):
        self.text = text if len(text) <= 24 else f"{text[:12]}...({len(text)} digits)"
        self.reason = reason

    def __str__(self) -> str:
        return self.text


def _parse_float(text: str) -> float | _Bad:
    value = float(text)
    return value if math.isfinite(value) else _Bad(text, "overflows a 64-bit float")


def _parse_int(text: str) -> int | _Bad:
    return int(text) if len(text) <= 300 else _Bad(text, "is out of range")


def parse(text: str, source: str) -> dict:
    """The top-level object of a JSON document, parsed strictly."""

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise InputError(f"{source}: duplicate key {show(key)} in a JSON object "
                                     f"(keys: {', '.join(obj)})")
                seen.add(key)
        return obj

    try:
        obj = json.loads(text, object_pairs_hook=unique_keys, parse_constant=_Bad,
                         parse_float=_parse_float, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}:{e.lineno}:{e.colno}: malformed JSON: {e.msg}") from None
    except RecursionError:
        raise InputError(f"{source}: malformed JSON: nested too deeply") from None
    if type(obj) is not dict:
        raise InputError(f"{source}: expected a JSON object at the top level, got {show(obj)}")
    return obj


def load(text: str, source: str) -> Graph:
    """The graph in a JSON document, in tensor or node-link form."""
    with gc_paused():
        obj = parse(text, source)
        if "nodes" in obj:
            return from_node_link(obj, source)
        if "edge_index" in obj or "x" in obj:
            return from_tensors(obj, source)
    got = f"got keys: {', '.join(obj)}" if obj else "got an empty object"
    raise InputError(f'{source}: expected a graph: "edge_index" (and "x", tensor form) or '
                     f'"nodes" and "links" (node-link form); {got}')


# -- value checks ----------------------------------------------------------------


def _check_keys(obj: dict, allowed: tuple[str, ...], source: str, form: str) -> None:
    for key in obj:
        if key not in allowed:
            raise InputError(f"{source}: unknown key {show(key)} in a {form} graph; "
                             f"the keys are {', '.join(allowed)}")


def _number(value: Any, path: str, source: str) -> None:
    kind = type(value)
    if kind is int or kind is float:
        return
    if kind is _Bad:
        raise InputError(f"{source}: {path}: {value.text} {value.reason}")
    raise InputError(f"{source}: {path}: expected a number, got {show(value)}")


def _list(value: Any, path: str, what: str, source: str) -> list:
    if type(value) is not list:
        raise InputError(f"{source}: {path}: expected {what}, got {show(value)}")
    return value


def _vector(value: Any, path: str, source: str) -> np.ndarray:
    """``[L]`` float64 of a list of numbers."""
    _list(value, path, "a list of numbers", source)
    if not set(map(type, value)) <= _NUMBER:
        for j, v in enumerate(value):
            _number(v, f"{path}[{j}]", source)
    return np.array(value, dtype=np.float64)


def _matrix(rows: list, row_path: Callable[[int], str], noun: str, source: str) -> np.ndarray:
    """``[R, C]`` float64 of equally long, non-empty lists of numbers; ``row_path(i)`` names row ``i``."""
    if not rows:
        return np.zeros((0, 0), dtype=np.float64)
    if (all(type(r) is list for r in rows) and len({len(r) for r in rows}) == 1 and rows[0]
            and set(map(type, chain.from_iterable(rows))) <= _NUMBER):
        return np.array(rows, dtype=np.float64)
    width = -1
    for i, row in enumerate(rows):
        if type(row) is not list:
            raise InputError(f"{source}: {row_path(i)}: expected a list of numbers, got {show(row)}")
        if width < 0:
            width = len(row)
            if not width:
                raise InputError(f"{source}: {row_path(i)}: no {noun}; expected a list of numbers")
        elif len(row) != width:
            raise InputError(f"{source}: {row_path(i)} has {len(row)} {noun}, expected {width} "
                             f"(as in {row_path(0)})")
        for j, v in enumerate(row):
            _number(v, f"{row_path(i)}[{j}]", source)
    raise AssertionError("unreachable: the fast path refused a valid matrix")  # pragma: no cover


def _indices(row: list, path: str, n: int | None, source: str) -> np.ndarray:
    """int64 node positions, each ``>= 0`` and ``< n`` when ``n`` is known."""
    arr = None
    if set(map(type, row)) <= {int}:
        try:
            arr = np.array(row, dtype=np.int64)
        except OverflowError:
            pass
    if arr is None:
        for j, v in enumerate(row):
            if type(v) is not int:
                raise InputError(f"{source}: {path}[{j}]: expected a node index (an integer), got {show(v)}")
            if not -(2**63) <= v < 2**63:
                raise InputError(f"{source}: {path}[{j}]: node index {v} does not fit in a 64-bit integer")
        arr = np.array(row, dtype=np.int64)  # pragma: no cover - the loop raises first
    bad = arr < 0
    if bad.any():
        j = int(np.argmax(bad))
        raise InputError(f"{source}: {path}[{j}]: node index {arr[j]} is negative")
    if n is not None:
        bad = arr >= n
        if bad.any():
            j = int(np.argmax(bad))
            raise InputError(f"{source}: {path}[{j}]: node index {arr[j]} is out of range "
                             f"for {n} nodes (valid: 0..{n - 1})")
    return arr


def _shape(value: Any) -> str:
    if type(value) is not list:
        return show(value)
    if value and all(type(r) is list for r in value):
        lengths = {len(r) for r in value}
        return f"[{len(value)}, {lengths.pop() if len(lengths) == 1 else 'ragged'}]"
    return f"[{len(value)}]"


def _find_bad(value: Any, path: str) -> str | None:
    """Path of the first NaN/Infinity/overflow inside ``value``, if any."""
    if type(value) is _Bad:
        return path
    if type(value) is list:
        return next((p for j, v in enumerate(value) if (p := _find_bad(v, f"{path}[{j}]"))), None)
    if type(value) is dict:
        return next((p for k, v in value.items() if (p := _find_bad(v, f"{path}.{k}"))), None)
    return None


def _unique_ids(values: list, path: Callable[[int], str], source: str) -> tuple[list[NodeId], dict[NodeId, int]]:
    index: dict[NodeId, int] = {}
    for i, value in enumerate(values):
        node_id = check_json_id(value, f"{source}: {path(i)}")
        first = index.setdefault(node_id, i)
        if first != i:
            raise InputError(f"{source}: {path(i)}: duplicate node id {show(node_id)} (also {path(first)})")
    return list(index), index


# -- tensor form ---------------------------------------------------------------------


def from_tensors(obj: dict, source: str) -> Graph:
    _check_keys(obj, TENSOR_KEYS, source, "tensor-form")
    get = {k: v for k, v in obj.items() if v is not None}
    counts: list[tuple[int, str]] = []  # (node count, how the file says it)
    x = None
    if "x" in get:
        rows = _list(get["x"], "x", "a list of rows (a list of numbers per node)", source)
        x = _matrix(rows, lambda i: f"x[{i}]", "features", source)
        counts.append((len(rows), f"x has {len(rows)} rows"))
    node_ids = None
    if "node_ids" in get:
        values = _list(get["node_ids"], "node_ids", "a list of node ids", source)
        node_ids, _ = _unique_ids(values, lambda i: f"node_ids[{i}]", source)
        counts.append((len(node_ids), f"node_ids has {len(node_ids)} ids"))
    if "num_nodes" in get:
        num = get["num_nodes"]
        if type(num) is not int or num < 0:
            raise InputError(f"{source}: num_nodes: expected a count (an integer >= 0), got {show(num)}")
        if not counts:  # nothing else allocates the nodes: the declared count alone would
            check_node_count(num, source, "num_nodes")
        counts.append((num, f"num_nodes is {num}"))
    for count, said in counts[1:]:
        if count != counts[0][0]:
            raise InputError(f"{source}: the node counts disagree: {counts[0][1]} but {said}")
    n = counts[0][0] if counts else None

    if "edge_index" not in get:
        raise InputError(f'{source}: missing "edge_index" (use [[], []] for a graph without edges)')
    ei = get["edge_index"]
    if not (type(ei) is list and len(ei) == 2 and all(type(r) is list for r in ei) and len(ei[0]) == len(ei[1])):
        hint = ""
        if _shape(ei).endswith(", 2]"):
            hint = "; write it as [[sources...], [targets...]], not as a list of pairs"
        raise InputError(f"{source}: edge_index must have shape [2, E] (sources, targets), got {_shape(ei)}{hint}")
    src = _indices(ei[0], "edge_index[0]", n, source)
    dst = _indices(ei[1], "edge_index[1]", n, source)
    n_edges = len(src)
    if n is None:
        n = int(max(src.max(), dst.max())) + 1 if n_edges else 0
        if n > 10 * n_edges + MAX_INFERRED_EXTRA_NODES:
            raise InputError(f"{source}: edge_index has node index {n - 1} but only {n_edges} edges; "
                             "give num_nodes, node_ids or x if the graph really has that many nodes")
    if n == 0:
        raise InputError(f"{source}: the graph has no nodes")

    weight = None
    if "edge_weight" in get:
        weight = _vector(get["edge_weight"], "edge_weight", source)
        if len(weight) != n_edges:
            raise InputError(f"{source}: edge_weight has {len(weight)} values, expected {n_edges} (one per edge)")
    attr = None
    if "edge_attr" in get:
        rows = _list(get["edge_attr"], "edge_attr", "a list of rows (a list of numbers per edge)", source)
        if rows and set(map(type, rows)) <= _NUMBER:
            raise InputError(f"{source}: edge_attr must have shape [E, D] (a list of numbers per edge), "
                             f"got a flat list {_shape(rows)}; write [[a, ...], ...], or use edge_weight "
                             "for one number per edge")
        attr = _matrix(rows, lambda i: f"edge_attr[{i}]", "values", source)
        if len(rows) != n_edges:
            raise InputError(f"{source}: edge_attr has {len(rows)} rows, expected {n_edges} (one per edge)")
    y = None
    if "y" in get:
        y = _list(get["y"], "y", "a list (one label per node)", source)
        if len(y) != n:
            raise InputError(f"{source}: y has {len(y)} labels, expected {n} (one per node)")
        bad = _find_bad(y, "y")
        if bad:
            raise InputError(f"{source}: {bad}: not a finite number")
    return Graph(
        edge_index=torch.from_numpy(np.stack([src, dst])),
        node_ids=node_ids if node_ids is not None else list(range(n)),
        x=None if x is None else torch.from_numpy(x),
        edge_weight=None if weight is None else torch.from_numpy(weight),
        edge_attr=None if attr is None else torch.from_numpy(attr),
        y=y,
        source=source,
    )


# -- node-link form ------------------------------------------------------------------


def _all_or_none(has: list[bool], what: str, path: Callable[[int], str], label: Callable[[int], str],
                 source: str) -> bool:
    if all(has) or not any(has):
        return bool(has) and has[0]
    i = has.index(not has[0])
    have, lack = (i, 0) if has[i] else (0, i)
    raise InputError(f'{source}: {path(lack)}{label(lack)} has no "{what}" but {path(have)}{label(have)} has one '
                     f'(give "{what}" for all or for none)')


def from_node_link(obj: dict, source: str) -> Graph:
    _check_keys(obj, NODE_LINK_KEYS, source, "node-link")
    for key in ("directed", "multigraph"):
        if key in obj and type(obj[key]) is not bool:
            raise InputError(f"{source}: {key}: expected true or false, got {show(obj[key])}")
    directed = obj.get("directed", True)
    if "links" in obj and "edges" in obj:
        raise InputError(f'{source}: has both "links" and "edges"; give one')
    lk = "edges" if "edges" in obj else "links"
    if lk not in obj:
        raise InputError(f'{source}: missing "links" (the node-link form has "nodes" and "links")')
    nodes = _list(obj["nodes"], "nodes", "a list of node objects", source)
    links = _list(obj[lk], lk, "a list of link objects", source)

    for i, node in enumerate(nodes):
        if type(node) is not dict or "id" not in node:
            got = show(node) if type(node) is not dict else "an object without one"
            raise InputError(f'{source}: nodes[{i}]: expected an object with an "id", got {got}')
    node_ids, index = _unique_ids([node["id"] for node in nodes], lambda i: f"nodes[{i}].id", source)
    if not node_ids:
        raise InputError(f"{source}: the graph has no nodes")

    def node_path(i: int) -> str:
        return f"nodes[{i}]"

    def node_label(i: int) -> str:
        return f" (id {show(node_ids[i])})"

    x = None
    if _all_or_none([node.get("x") is not None for node in nodes], "x", node_path, node_label, source):
        x = _matrix([node["x"] for node in nodes], lambda i: f"nodes[{i}].x", "features", source)

    ends = np.empty((2, len(links)), dtype=np.int64)
    for k, link in enumerate(links):
        if type(link) is not dict:
            raise InputError(f'{source}: {lk}[{k}]: expected an object with "source" and "target", got {show(link)}')
        for row, end in enumerate(("source", "target")):
            if end not in link:
                raise InputError(f'{source}: {lk}[{k}]: missing "{end}"')
            node_id = check_json_id(link[end], f"{source}: {lk}[{k}].{end}")
            pos = index.get(node_id)
            if pos is None:
                other = str(node_id) if type(node_id) is int else node_id
                twin = next((i for i in node_ids if type(i) is not type(node_id) and str(i) == other), None)
                hint = f"; there is a node {show(twin)} (ids keep their JSON type)" if twin is not None else ""
                raise InputError(f"{source}: {lk}[{k}].{end}: no node with id {show(node_id)}{hint}")
            ends[row, k] = pos

    weight = None
    if _all_or_none([link.get("weight") is not None for link in links], "weight",
                    lambda k: f"{lk}[{k}]", lambda k: "", source):
        for k, link in enumerate(links):
            _number(link["weight"], f"{lk}[{k}].weight", source)
        weight = torch.tensor([link["weight"] for link in links], dtype=torch.float64)
    attr = None
    if _all_or_none([link.get("edge_attr") is not None for link in links], "edge_attr",
                    lambda k: f"{lk}[{k}]", lambda k: "", source):
        attr = _matrix([link["edge_attr"] for link in links], lambda k: f"{lk}[{k}].edge_attr", "values", source)

    graph = Graph(
        edge_index=torch.from_numpy(ends),
        node_ids=node_ids,
        x=None if x is None else torch.from_numpy(x),
        edge_weight=weight,
        edge_attr=None if attr is None else torch.from_numpy(attr),
        source=source,
    )
    features = 'node features are read from "x"'
    if x is None:
        features += "; the graph has none, so they come from graph.features (default: ones)"
    graph.notes += unread_keys(nodes, NODE_KEYS, "nodes", source, features)
    graph.notes += unread_keys(links, LINK_KEYS, lk, source,
                               'edge weights are read from "weight", edge attributes from "edge_attr"')
    return graph if directed else with_reverse_edges(graph)


#: The keys the node-link form reads on a node and on a link ("key" is networkx's multigraph edge key).
NODE_KEYS = frozenset({"id", "x"})
LINK_KEYS = frozenset({"source", "target", "weight", "edge_attr", "key"})


def unread_keys(items: list[dict], known: frozenset, where: str, source: str, instead: str) -> list[str]:
    """A note naming the keys of ``items`` that gnnprop does not read, or none.

    ``'g.json: nodes have keys gnnprop does not read: "features" (4 of 4 nodes, lists of numbers), "club"
    (34 of 34); node features are read from "x"'``.
    """
    keys = set().union(*items) - known if items else set()
    if not keys:
        return []
    parts = []
    for key in sorted(keys, key=str):
        having = [item[key] for item in items if key in item]
        numbers = all(type(v) is list and v and set(map(type, v)) <= _NUMBER for v in having[:1000])
        parts.append(f"{json.dumps(key)} ({len(having):,} of {len(items):,}{', lists of numbers' if numbers else ''})")
    return [f"{source}: {where} have {'a key' if len(parts) == 1 else 'keys'} gnnprop does not read: "
            f"{', '.join(parts)}; {instead}"]
