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
    """``{id: row}`` of round ``r`` in the run folder, for ``ids`` (a missing round or id is an error)."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    path = os.path.join(folder, f"round={r}")
    if not os.path.isdir(path):
        kept = sorted(int(n.split("=", 1)[1]) for n in os.listdir(folder) if n.startswith("round=")
                      and n.split("=", 1)[1].isdigit()) if os.path.isdir(folder) else []
        raise UsageError(f"{folder} has no round {r} (rounds kept: {', '.join(map(str, kept)) or 'none'}; "
                         "write every round, without --every or --last, to explain any of them)", key="from_run")
    table = ds.dataset(path, format="parquet").to_table()
    names = ["id", *(f"x{k}" for k in range(width))]
    missing = [n for n in names if n not in table.schema.names]
    if missing:
        raise InputError(f"{path}: no column {missing[0]!r}; expected {', '.join(names[:3])}, ...")
    id_type = table.schema.field("id").type
    wanted = [int(i) if str(id_type).startswith(("int", "uint")) else str(i) for i in ids]
    table = table.filter(pc.is_in(table.column("id"), value_set=__import__("pyarrow").array(wanted, id_type)))
    found = {}
    columns = [table.column(n).to_pylist() for n in names[1:]]
    for k, i in enumerate(table.column("id").to_pylist()):
        found[i] = torch.tensor([c[k] for c in columns], dtype=dtype)
    for i in wanted:
        if i not in found:
            raise InputError(f"{path}: no row for node {i!r}")
    return {str(i): found[i] for i in wanted}


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
    ex.steps.append(replayed(session, pos, x_prev, r, out_row.to(session.device), local=True))
    meta = session.meta()
    for key in ("rounds_run", "stop_reason", "converged", "seconds"):
        meta.pop(key)
    meta["from_run"] = folder
    ex.meta = meta
    return ex
