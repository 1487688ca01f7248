"""Warnings about what the user gave that gnnprop did not use as given."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..graph import Graph


def features_note(g: Graph, features: str, flag: str | None) -> str | None:
    """A sentence when a feature initialiser was asked for a graph that has features of its own.

    ``features`` is the config's ``graph.features``; ``flag`` the ``--features`` value when it was
    given on the command line. The graph's own features win (an initialiser only fills in
    graphs without any).
    """
    if g.x is None or (flag is None and features == "ones"):
        return None
    said = f"--features {flag}" if flag is not None else f"graph.features: {features}"
    return (f"{said} is not used: {g.source} has node features of its own ({g.x.shape[1]} per node); "
            "an initialiser only fills in a graph without any")


def lost_rows_note(g: Graph, cfg: Any) -> str | None:
    """A sentence when an update that ignores the node's own value (``aggr_out``, a smoothing
    recipe) meets nodes that send messages but receive none: from round 1 on those rows hold
    only what aggregating nothing gives (0; 1 for mul), which on a directed graph (a citation
    file) is rarely what was meant. ``--undirected`` adds the reverse edges."""
    layer = cfg.layer
    if layer.type != "fixed" or g.num_nodes == 0 or g.num_edges == 0:
        return None
    from .. import expr

    try:
        if "x" in expr.parse(layer.update, expr.UPDATE, "layer.update").names():
            return None
    except Exception:  # a bad formula is reported by the config's own check
        return None
    import numpy as np

    ei = g.edge_index.numpy()
    has_in = np.bincount(ei[1], minlength=g.num_nodes) > 0
    has_out = np.bincount(ei[0], minlength=g.num_nodes) > 0
    senders_only = int((~has_in & has_out).sum())
    if senders_only == 0:
        return None
    isolated = int((~has_in & ~has_out).sum())
    verb = "sends messages but receives" if senders_only == 1 else "send messages but receive"
    also = f"; {isolated:,} more have no edge at all, which --undirected does not change" if isolated else ""
    return (f"{senders_only:,} of {g.num_nodes:,} nodes {verb} none (the graph is directed: messages go "
            f"from src to dst), and the update '{layer.update}' does not use x, so those rows are 0 (1 for mul) "
            f"from round 1 on; --undirected adds the reverse edges{also}")


def warn_about_graph(err: IO, g: Graph, cfg: Any = None, flags: dict | None = None) -> None:
    """Write the loader's notes on ``g`` and, for a run's config, the features note and the
    lost-rows note, to ``err``.

    With a run's config this is the ``loaded`` hook of :func:`~gnnprop.engine.session.open_session`:
    what comes next is the layer, built and tried once (a user's ``__init__`` and ``forward``), which
    an interruption then names instead of the graph already read."""
    notes = list(g.notes)
    if cfg is not None:
        for note in (features_note(g, cfg.graph_cfg.features, (flags or {}).get("features")),
                     lost_rows_note(g, cfg)):
            if note:
                notes.append(note)
    for note in notes:
        err.write(f"gnnprop: warning: {note}\n")
    if cfg is not None:
        from . import faults

        faults.doing(f"preparing the {cfg.layer.type} layer")
