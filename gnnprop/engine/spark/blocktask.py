"""What runs inside Spark's executors for the vectorised rounds: one task is one block of nodes.

The driver's side is :mod:`.blocks`; this module is what its ``mapInArrow`` functions call, in
the executors' Python workers. A block's data travels as rows of one table (:data:`SCHEMA`):
``key`` (hashes to the block's partition), ``kind`` (what the row holds), ``blk`` (the block it
comes from), ``part`` (a chunk of a long value) and ``data`` (the value, pickled), and the
round's checks beside the ``X`` rows (nodes, non-finite rows, the largest change).

Row kinds:

- ``STATIC``: the block's graph (:class:`BlockGraph`): its in-edges with sources numbered
  locally (own nodes first, then the other blocks' nodes they read, the "ghosts"), and
  which of its own rows each other block reads ("routes");
- ``IDS``: its nodes' ids (a pyarrow array, in the block's order);
- ``X``: its nodes' rows of the current round (numpy ``[n, F]`` in the run's dtype);
- ``H``: its nodes' rows between two propagations of one round (sg, appnp);
- ``PIECE``: rows of block ``blk`` that the target block reads (shuffle exchange);
- ``ROUTE``: while the graph is laid out, the rows of the target block that block ``blk`` reads.

Only numpy, pyarrow and pickle are imported here at module level; the rounds import torch and
the layer kinds (once per Python worker, cached with the run's layer by a token).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import numpy as np

STATIC, IDS, X, H, PIECE, ROUTE = range(6)
KIND_NAMES = ("STATIC", "IDS", "X", "H", "PIECE", "ROUTE")

#: Longest ``data`` of one row (a longer value is split over several rows) and most bytes of one
#: Arrow batch a task yields: small enough that a JVM of 1 GB holds what two tasks have in flight.
CHUNK = 8 << 20
BATCH_BYTES = 32 << 20

SCHEMA = "key long, kind int, blk int, part int, data binary, n long, bad long, delta double"
_FIELDS = ("key", "kind", "blk", "part", "data", "n", "bad", "delta")


@dataclass
class BlockGraph:
    """Block ``d``'s in-edges, numbered locally: nodes ``0..n-1`` are the block's own, ``n..m-1`` the
    ghosts (other blocks' nodes the block reads), in the order of ``ghosts`` (source block ascending,
    then local index ascending). Edges sorted by target, then source block and local index (a CSR
    by target: ``rowptr`` over all ``m`` rows, the ghosts' empty)."""

    d: int
    n: int                                  # own nodes
    m: int                                  # own nodes + ghosts
    ghosts: list[tuple[int, np.ndarray]]    # (source block, its local indices), in local order
    src: np.ndarray                         # int32 [E] local source, CSR order
    w: np.ndarray | None                    # float64 [E] edge weights (or the normalised ones), CSR order
    rowptr: np.ndarray                      # int64 [m + 1]: the edges of target i are rowptr[i]:rowptr[i + 1]
    gpos: np.ndarray                        # int64 [m - n] the ghosts' positions in the whole node order
    routes: dict[int, np.ndarray] = field(default_factory=dict)  # target block -> own rows it reads


# --- rows ---------------------------------------------------------------------------------

def rows(key: int, kind: int, blk: int, value: Any, **checks: Any) -> list[tuple]:
    """``value`` pickled as one or more rows (chunks of at most :data:`CHUNK` bytes); ``checks`` on the first."""
    data = pickle.dumps(value, protocol=5)
    out = []
    for part, at in enumerate(range(0, max(len(data), 1), CHUNK)):
        extra = checks if part == 0 else {}
        out.append((key, kind, blk, part, data[at:at + CHUNK], extra.get("n"), extra.get("bad"), extra.get("delta")))
    return out


def batches(out: Iterable[tuple]) -> Iterator[Any]:
    """Rows as Arrow record batches of at most :data:`BATCH_BYTES` of data each."""
    import pyarrow as pa

    types = (pa.int64(), pa.int32(), pa.int32(), pa.int32(), pa.binary(), pa.int64(), pa.int64(), pa.float64())
    schema = pa.schema(list(zip(_FIELDS, types)))

    def batch(group: list[tuple]):
        cols = list(zip(*group))
        return pa.RecordBatch.from_arrays([pa.array(c, type=t) for c, t in zip(cols, types)], schema=schema)

    group, size = [], 0
    for row in out:
        if group and size + len(row[4]) > BATCH_BYTES:
            yield batch(group)
            group, size = [], 0
        group.append(row)
        size += len(row[4])
    if group:
        yield batch(group)
    else:
        yield pa.RecordBatch.from_arrays([pa.array([], type=t) for t in types], schema=schema)


def read(arrow_batches: Iterable[Any], keys: list[int] | None, kinds: set[int] | None = None
         ) -> tuple[int | None, dict[tuple[int, int], Any]]:
    """The block a task computes (None: it was given nothing) and the values it was given, by
    ``(kind, blk)`` (chunks joined, unpickled; only rows of ``kinds`` when given)."""
    chunks: dict[tuple[int, int], dict[int, bytes]] = {}
    d = None
    for b in arrow_batches:
        if d is None and b.num_rows and keys is not None:
            d = keys.index(int(b.column("key")[0].as_py()))
        kind = b.column("kind").to_numpy(zero_copy_only=False)
        blks = b.column("blk").to_numpy(zero_copy_only=False)
        parts = b.column("part").to_numpy(zero_copy_only=False)
        data = b.column("data")
        for i in range(b.num_rows):
            if kinds is None or kind[i] in kinds:
                chunks.setdefault((int(kind[i]), int(blks[i])), {})[int(parts[i])] = data[i].as_buffer()
    return d, {k: _value(pieces) for k, pieces in chunks.items()}


def _value(pieces: dict[int, Any]) -> Any:
    return pickle.loads(pieces[0] if len(pieces) == 1 else b"".join(bytes(pieces[p]) for p in sorted(pieces)))


# --- laying the graph out (once a run) ---------------------------------------------------------

def build_static(arrow_batches, keys: list[int], sizes: list[int], weighted: bool) -> Iterator[Any]:
    """Block ``d``'s in-edges (columns ``db, sb, sl, dl[, w]``: the target's block, source block and local
    index, target's local index) as its :class:`BlockGraph` (a ``STATIC`` row), and for every other block
    ``s`` the rows of ``s`` it reads (a ``ROUTE`` row to ``s``). A block without in-edges has no rows here."""
    import pyarrow as pa

    d = None
    cols = {"sb": [], "sl": [], "dl": [], "w": []}
    for b in arrow_batches:
        if d is None and b.num_rows:
            d = int(b.column("db")[0].as_py())
        for name in ("sb", "sl", "dl") + (("w",) if weighted else ()):
            cols[name].append(b.column(name))
    if d is None:
        return
    take = {k: (pa.chunked_array(v).to_numpy() if v else np.zeros(0)) for k, v in cols.items() if v or k != "w"}
    sb, sl, dl = (take[k].astype(np.int64) for k in ("sb", "sl", "dl"))
    w = take["w"].astype(np.float64) if weighted else None
    n = sizes[d]
    order = np.lexsort((sl, sb, dl))   # by target, then source block and local index: deterministic
    sb, sl, dl = sb[order], sl[order], dl[order]
    w = None if w is None else w[order]
    src = np.empty(len(sl), dtype=np.int64)
    own = sb == d
    src[own] = sl[own]
    ghosts, gpos, at = [], [], n
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    out = []
    for s in np.unique(sb[~own]):
        mask = sb == s
        idx, inverse = np.unique(sl[mask], return_inverse=True)
        src[mask] = at + inverse
        ghosts.append((int(s), idx))
        gpos.append(offsets[s] + idx)
        at += len(idx)
        out += rows(keys[int(s)], ROUTE, d, idx)
    m = at
    counts = np.bincount(dl, minlength=m)
    rowptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=rowptr[1:])
    graph = BlockGraph(d, n, m, ghosts, src.astype(np.int32), w, rowptr,
                       np.concatenate(gpos) if gpos else np.zeros(0, dtype=np.int64))
    yield from batches(rows(keys[d], STATIC, d, graph) + out)


def no_edges(d: int, n: int, weighted: bool) -> BlockGraph:
    """The graph of a block whose nodes have no in-edges."""
    none = np.zeros(0, dtype=np.int32)
    return BlockGraph(d, n, n, [], none, np.zeros(0) if weighted else None, np.zeros(n + 1, dtype=np.int64),
                      np.zeros(0, dtype=np.int64))


def build_nodes(arrow_batches, keys: list[int], width: int, dtype: str, with_ids: bool) -> Iterator[Any]:
    """Block ``d``'s nodes (columns ``blk, loc, id, x0..``) as its ``X`` row (rows placed by ``loc``, cast to
    the run's dtype) and, with ``with_ids``, its ``IDS`` row."""
    import pyarrow as pa

    d = None
    locs, ids, xs = [], [], [[] for _ in range(width)]
    for b in arrow_batches:
        if d is None and b.num_rows:
            d = int(b.column("blk")[0].as_py())
        locs.append(b.column("loc"))
        ids.append(b.column("id"))
        for k in range(width):
            xs[k].append(b.column(f"x{k}"))
    if d is None:
        return
    loc = pa.chunked_array(locs, type=pa.int64()).to_numpy()
    n = len(loc)
    x = np.empty((n, width), dtype=np.dtype(dtype))
    for k in range(width):
        x[loc, k] = pa.chunked_array(xs[k], type=pa.float64()).to_numpy().astype(dtype) if n else []
    out = rows(keys[d], X, d, x, n=n, bad=0, delta=0.0)
    if with_ids:
        order = np.argsort(loc)
        out += rows(keys[d], IDS, d, pa.chunked_array(ids).combine_chunks().take(pa.array(order)) if n else None)
    yield from batches(out)


def merge_routes(arrow_batches, keys: list[int], sizes: list[int], weighted: bool) -> Iterator[Any]:
    """Block ``d``'s graph with the routes other blocks asked of it, and its ids: the run's graph rows."""
    d, got = read(arrow_batches, keys)
    if d is None:
        return
    graph: BlockGraph = got.pop((STATIC, d), None) or no_edges(d, sizes[d], weighted)
    graph.routes = {t: v for (kind, t), v in sorted(got.items()) if kind == ROUTE}
    yield from batches(rows(keys[d], STATIC, d, graph) + rows(keys[d], IDS, d, got.get((IDS, d))))


def expand(arrow_batches, width: int, dtype: str, id_type: str) -> Iterator[Any]:
    """A block's ``X`` and ``IDS`` rows (others are passed over) as the round's table: ``id, x0..``."""
    import pyarrow as pa

    _, got = read(arrow_batches, None, {X, IDS})
    x, ids = None, None
    for (kind, _), v in got.items():
        if kind == X:
            x = v
        elif kind == IDS:
            ids = v
    t = pa.float32() if dtype == "float32" else pa.float64()
    names = ["id"] + [f"x{k}" for k in range(width)]
    if x is None or not len(x):
        yield pa.RecordBatch.from_arrays([pa.array([], type=pa.int64() if id_type == "long" else pa.string())]
                                         + [pa.array([], type=t) for _ in range(width)], names=names)
        return
    cols = np.ascontiguousarray(x.T)
    ids = ids.cast(pa.int64() if id_type == "long" else pa.string())
    yield pa.RecordBatch.from_arrays([ids] + [pa.array(c, type=t) for c in cols], names=names)


# --- the rounds --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerSpec:
    """The run's layer, as the executors rebuild it (once per Python worker): its config, the
    parameters' values, the dtype; ``token`` names the run."""

    token: str
    layer: Any                 # LayerConfig
    in_dim: int
    aggr: Any
    aggr_mode: str | None
    seed: int
    state: dict[str, Any]      # the parameters (CPU tensors), as the driver holds them
    dtype: str


@dataclass(frozen=True)
class Pass:
    """One pass over the blocks: ``stage`` of a round's ``stages`` (-1: a round's start laid out, nothing
    computed); ``shuffle``: other blocks' rows come as ``PIECE`` rows (else from a broadcast);
    ``measure``: the largest change (converge mode)."""

    keys: tuple[int, ...]
    stage: int
    stages: int
    shuffle: bool
    measure: bool
    dtype: str


_PROGRAMS: dict[str, Any] = {}


def program(spec: LayerSpec) -> Any:
    """The layer's block form (:mod:`gnnprop.layers.blocks`) for the run ``spec`` names, built once per
    Python worker (the last two runs' are kept)."""
    form = _PROGRAMS.get(spec.token)
    if form is not None:
        return form
    import torch

    from ...layers import build, resolve_kind

    torch.set_num_threads(1)  # a task is one core's work: Spark runs as many tasks as it has cores
    kind = resolve_kind(spec.layer.type)
    params = build(kind, spec.layer, spec.in_dim, spec.aggr, spec.seed, aggr_mode=spec.aggr_mode)
    params.load_state_dict(spec.state)
    params = params.to(torch.float32 if spec.dtype == "float32" else torch.float64)
    form = kind.spark_blocks(params)
    if isinstance(form, str):  # pragma: no cover - the driver asked the same kind
        raise RuntimeError(form)
    while len(_PROGRAMS) >= 2:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    _PROGRAMS[spec.token] = form
    _freeze_imports()
    return form


_FROZEN = False


def _freeze_imports() -> None:
    """Once a Python worker has imported torch and the layer kinds (a cluster's executors fork theirs from
    PySpark's own daemon, which has not): hide them from the collector, which PySpark runs in a reused worker
    after every task (0.25 s over torch's heap, before each next task; see :mod:`.daemon`)."""
    global _FROZEN
    if not _FROZEN:
        import gc

        gc.freeze()
        _FROZEN = True


class BlockView:
    """A :class:`BlockGraph` as a layer's block form sees it (:class:`gnnprop.layers.blocks.Block`)."""

    def __init__(self, g: BlockGraph, dtype):
        self.g, self.n, self.dtype = g, g.n, dtype
        self._dg = None
        self._adj: dict[bool, Any] = {}

    def device_graph(self):
        import torch

        from ...graph import DeviceGraph

        if self._dg is None:
            g = self.g
            dst = np.repeat(np.arange(g.m, dtype=np.int64), np.diff(g.rowptr))
            ei = torch.from_numpy(np.stack([g.src.astype(np.int64), dst]))
            w = None if g.w is None else torch.from_numpy(g.w).to(self.dtype)
            self._dg = DeviceGraph(edge_index=ei, edge_weight=w, num_nodes=g.m)
        return self._dg

    def adjacency(self, compact: bool):
        from ..csr import build_adjacency

        if compact not in self._adj:
            self._adj[compact] = build_adjacency(self.device_graph(), self.dtype, compact=compact)
        return self._adj[compact]


_VIEWS: dict[tuple[str, int], BlockView] = {}
#: Blocks' graphs (their torch form and CSR) a Python worker keeps between rounds: a block's CSR is
#: built once a run in each worker that computes it (about 0.3 s for 500K in-edges), not every round.
VIEWS_KEPT = 4


def view(token: str, g: BlockGraph, dtype) -> BlockView:
    """Block ``g``'s :class:`BlockView` for the run ``token`` (kept in this worker for its next rounds)."""
    key = (token, g.d)
    found = _VIEWS.get(key)
    if found is not None and found.g.m == g.m and len(found.g.src) == len(g.src):
        return found
    while len(_VIEWS) >= VIEWS_KEPT:
        _VIEWS.pop(next(iter(_VIEWS)))
    _VIEWS[key] = made = BlockView(g, dtype)
    return made


def _split(arrow_batches, keep: set[int], keys) -> tuple[int | None, list, dict[tuple[int, int], Any]]:
    """The block of the task (None: it was given nothing), the rows of kinds ``keep`` as they came (Arrow
    batches: passed on untouched), and every other row's value."""
    import pyarrow as pa

    kept, chunks, d = [], {}, None
    for b in arrow_batches:
        if d is None and b.num_rows:
            d = keys.index(int(b.column("key")[0].as_py()))
        kinds = b.column("kind").to_numpy(zero_copy_only=False)
        mask = np.isin(kinds, list(keep))
        if mask.any():
            kept.append(b.filter(pa.array(mask)))
        blks = b.column("blk").to_numpy(zero_copy_only=False)
        parts = b.column("part").to_numpy(zero_copy_only=False)
        data = b.column("data")
        for i in range(b.num_rows):
            if kinds[i] != IDS:
                chunks.setdefault((int(kinds[i]), int(blks[i])), {})[int(parts[i])] = data[i].as_buffer()
    return d, kept, {k: _value(pieces) for k, pieces in chunks.items()}


def _checks(out: np.ndarray, x: np.ndarray, measure: bool) -> dict[str, Any]:
    """The round's checks of a block: its nodes, rows with a non-finite value, the largest change (in the
    run's dtype, as the local engine measures it)."""
    checks: dict[str, Any] = {"n": int(out.shape[0]), "bad": int((~np.isfinite(out).all(axis=1)).sum())}
    if measure:
        checks["delta"] = float(np.abs(out - x).max()) if out.size else 0.0
    return checks


def round_pass(arrow_batches, spec: Pass, layer: Any, ghosts: Any) -> Iterator[Any]:
    """One pass of a round over block ``d`` (given its graph and round rows): at a round's start (``stage``
    -1) its ``X`` passed on and sent where it is read; else stage ``k`` of its layer's block form on its own
    rows and the ghosts' (from ``PIECE`` rows, or the broadcast ``ghosts``): at the last stage the new
    ``X`` with the round's checks, before it the ``H`` rows (and ``X`` passed on); each sent where it is
    read (with a shuffle). The graph's rows are not passed on: every pass is given them."""
    k, last = spec.stage, spec.stage == spec.stages - 1
    d, kept, got = _split(arrow_batches, {X} if spec.stage < 0 or not last else set(), spec.keys)
    if d is None:
        return
    g: BlockGraph = got[(STATIC, d)]
    out_rows: list[tuple] = []
    if spec.stage < 0:
        new = got[(X, d)]
    else:
        import torch

        form = program(layer.value)
        dtype = torch.float32 if spec.dtype == "float32" else torch.float64
        x = got[(X, d)]
        own = x if k == 0 else got[(H, d)]
        if ghosts is not None:
            far = ghosts.value[g.gpos]
        else:
            far = [got[(PIECE, s)] for s, _ in g.ghosts]
            far = np.concatenate(far) if far else own[:0]
        inp = torch.from_numpy(np.concatenate([own, far]) if len(far) else own)
        with torch.inference_mode():
            new = form.stage(k, inp, torch.from_numpy(x), view(layer.value.token, g, dtype)).contiguous().numpy()
        if last:
            same = new.shape == x.shape
            out_rows += rows(spec.keys[d], X, d, new, **_checks(new, x, spec.measure and same))
        else:
            out_rows += rows(spec.keys[d], H, d, new)
    if spec.shuffle:
        for t, idx in g.routes.items():
            out_rows += rows(spec.keys[t], PIECE, d, new[idx])
    yield from kept
    if out_rows:
        yield from batches(out_rows)
