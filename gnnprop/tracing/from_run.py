"""Explaining a node from a finished run's per-round Parquet output, without recomputing the rounds.

A run written as ``OUT/round=R/*.parquet`` (``id, x0..``; by ``-f parquet -o OUT/``
or by the Spark engine) holds every node's value after each kept round. For
gnnprop's own layers a node's value after round R depends only on its own and
its in-neighbours' values after round R-1, so :func:`explain_from_run` reads
those rows (and the node's row of round R, the run's answer) and replays the
layer's reference form on that small subgraph: the same derivation ``inspect``
shows, at the cost of reading a few rows.
"""

from __future__ import annotations

import os

import torch

from ..engine.session import Session
from ..errors import InputError, UsageError
from .derive import replayed
from .recorder import Explanation, plan_record


def round_rows(folder: str, r: int, ids: list, width: int, dtype: torch.dtype) -> dict:
    """``{id: row}`` of round ``r`` in the run folder, for ``ids`` (a missing round or id is an error).

    The round's files are read through :mod:`gnnprop.output.parquetsafe` (checksums verified, the
    declared size bounded); a round that is not what gnnprop writes (columns missing or of another
    type, a node with no row or with two, an empty value) is one :class:`InputError` naming it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..output.parquetsafe import check_round, read_folder

    path = os.path.join(folder, f"round={r}")
    if not os.path.isdir(path):
        kept = sorted(int(n.split("=", 1)[1]) for n in os.listdir(folder) if n.startswith("round=")
                      and n.split("=", 1)[1].isdigit()) if os.path.isdir(folder) else []
        raise UsageError(f"{os.path.basename(folder)} has no round {r} (rounds kept: "
                         f"{', '.join(map(str, kept)) or 'none'}; "
                         "write every round, without --every or --last, to explain any of them)", key="from_run")
    table = read_folder(path)
    check_round(table, path, width)
    names = ["id", *(f"x{k}" for k in range(width))]
    column = table.column("id")
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    integer = pa.types.is_integer(column.type)
    if integer and column.type != pa.int64():
        try:
            column = column.cast(pa.int64())
        except pa.ArrowInvalid:
            raise InputError(f"{path}: column 'id' holds {column.type} values beyond 64-bit integers") from None
    wanted = {str(i): _as_id(i, integer) for i in ids}
    values = pa.array([w for w in wanted.values() if w is not None], column.type)
    keep = pc.is_in(column, value_set=values)
    rows = table.select(names[1:]).filter(keep)
    found_ids = column.filter(keep).to_pylist()
    found: dict = {}
    for k, i in enumerate(found_ids):
        if i in found:
            raise InputError(f"{path}: node {i!r} has more than one row")
        found[i] = k
    for text, i in wanted.items():
        if i is None or i not in found:
            raise InputError(f"{path}: no row for node {text!r}")
    x = np.empty((len(found_ids), width), dtype=np.float64)
    for j, n in enumerate(names[1:]):
        x[:, j] = rows.column(n).to_numpy()
    return {text: torch.tensor(x[found[i]], dtype=dtype) for text, i in wanted.items()}


def _as_id(node_id, integer: bool):
    """A graph's node id as a round's id column holds it (None: it cannot be in such a column)."""
    if not integer:
        return str(node_id)
    if isinstance(node_id, int):
        return node_id
    text = str(node_id)
    return int(text) if text.lstrip("-").isdigit() and text == str(int(text)) else None


#: How far a recomputed update may be from the run's stored value, norm-wise and relative, where the
#: aggregation is not max or min (those are bit-exact): the engines may sum in another order.
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def check_recomputed(step, aggr: str, dtype: str, shown: str, node) -> None:
    """Refuse a derivation whose recomputed update is not the run's stored value: bit for bit where the
    aggregation is max or min, else within :data:`TOLERANCE` norm-wise. A mismatch means the folder was
    not written by the run its manifest describes (or was changed since)."""
    import numpy as np

    if step.recomputed is None:
        return
    got, want = np.asarray(step.recomputed, dtype=np.float64), np.asarray(step.output, dtype=np.float64)
    if got.shape == want.shape:
        from ..aggregation import get

        if getattr(get(aggr), "order_free", False):
            if np.array_equal(got, want, equal_nan=True):
                return
        else:
            scale = max(float(np.linalg.norm(want)), np.finfo(np.float64).tiny)
            if float(np.linalg.norm(got - want)) <= TOLERANCE.get(dtype, 1e-12) * scale:
                return
    raise InputError(f"{shown}: round {step.round} of node {node}: the run's stored value {want.tolist()} is not "
                     f"what its config computes from round {step.round - 1} ({got.tolist()}); the folder does not "
                     "hold what its manifest describes")


def explain_from_run(session: Session, folder: str, node, r: int, shown: str | None = None) -> Explanation:
    """How ``node``'s value after round ``r`` of the run in ``folder`` was derived (see the module);
    refused when the recomputed update is not the stored value (:func:`check_recomputed`)."""
    shown = shown or folder
    if not os.path.isdir(folder):
        raise UsageError(f"{shown}: no such folder (a run folder: gnnprop run ... -o OUT/)", key="from_run")
    if r < 1:
        raise UsageError(f"round {r} is the input; explain a round from 1 on", key="round")
    if not session.kind.is_local:
        raise UsageError(f"the {session.config.layer.type} layer's value depends on more than a node's in-edges; "
                         "only gnnprop's own layers (fixed, nn, residual) are explained from a run's rows",
                         key="from_run")
    g = session.graph
    pos = g.lookup(node)
    ei = session.dgraph.edge_index
    sources = ei[0, (ei[1] == pos).nonzero().squeeze(1)].tolist()
    need = sorted({pos, *sources})
    width = session.in_dim if r == 1 else session.out_dim
    prev_rows = round_rows(folder, r - 1, [g.node_ids[k] for k in need], width, session.dtype)
    out_row = round_rows(folder, r, [g.node_ids[pos]], session.out_dim, session.dtype)[str(g.node_ids[pos])]
    x_prev = torch.zeros(g.num_nodes, width, dtype=session.dtype, device=session.device)
    for k in need:
        x_prev[k] = prev_rows[str(g.node_ids[k])]
    ex = Explanation(node=g.node_ids[pos], position=pos, layer=session.config.layer.type, aggr=session.aggr,
                     formulas=session.kind.formulas(session.params), plan=plan_record(session))
    step = replayed(session, pos, x_prev, r, out_row.to(session.device), local=True)
    check_recomputed(step, session.aggr, str(session.dtype).replace("torch.", ""), shown, g.node_ids[pos])
    ex.steps.append(step)
    meta = session.meta()
    for key in ("rounds_run", "stop_reason", "converged", "seconds"):
        meta.pop(key)
    meta["from_run"] = shown
    ex.meta = meta
    return ex
