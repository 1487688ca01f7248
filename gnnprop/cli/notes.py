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


def warn_about_graph(err: IO, g: Graph, cfg: Any = None, flags: dict | None = None) -> None:
    """Write the loader's notes on ``g`` and, for a run's config, the features note, to ``err``.

    With a run's config this is the ``loaded`` hook of :func:`~gnnprop.engine.session.open_session`:
    what comes next is the layer, built and tried once (a user's ``__init__`` and ``forward``), which
    an interruption then names instead of the graph already read."""
    notes = list(g.notes)
    if cfg is not None:
        note = features_note(g, cfg.graph_cfg.features, (flags or {}).get("features"))
        if note:
            notes.append(note)
    for note in notes:
        err.write(f"gnnprop: warning: {note}\n")
    if cfg is not None:
        from . import faults

        faults.doing(f"preparing the {cfg.layer.type} layer")
