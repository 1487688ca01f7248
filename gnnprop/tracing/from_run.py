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
from .recorder import Explanation, _replayed, plan_record


def round_rows(folder: str, r: int, ids: list, width: int, dtype: torch.dtype) -> dict:
    """``{id: row}`` of round ``r`` in the run folder, for ``ids`` (a missing round or id is an error).

    The round's files are read through :mod:`gnnprop.io.parquetsafe` (checksums verified, the
    declared size bounded); a round that is not what gnnprop writes (columns missing or of another
    type, a node with no row or with two, an empty value) is one :class:`InputError` naming it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..io.parquetsafe import check_round, read_folder

    path = os.path.join(folder, f"round={r}")
    if not os.path.isdir(path):
        kept = sorted(int(n.split("=", 1)[1]) for n in os.listdir(folder) if n.startswith("round=")
                      and n.split("=", 1)[1].isdigit()) if os.path.isdir(folder) else []
        raise UsageError(f"{folder} has no round {r} (rounds kept: {', '.join(map(str, kept)) or 'none'}; "
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


def explain_from_run(session: Session, folder: str, node, r: int) -> Explanation:
    """How ``node``'s value after round ``r`` of the run in ``folder`` was derived (see the module)."""
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: no such folder (a run written with -f parquet -o OUT/, or by the Spark "
                         "engine)", key="from_run")
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
    ex.steps.append(_replayed(session, pos, x_prev, r, out_row.to(session.device)))
    meta = session.meta()
    for key in ("rounds_run", "stop_reason", "converged", "seconds"):
        meta.pop(key)
    meta["from_run"] = folder
    ex.meta = meta
    return ex
