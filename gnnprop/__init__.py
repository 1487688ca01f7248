"""gnnprop: graph message passing, round by round.

The library (no CLI imports):

    from gnnprop import load_graph, load_config, prepare
    graph = load_graph("sample_graphs/seed_example.json")
    session = prepare(graph, load_config(None))
    for result in session.propagate():
        print(result.round, result.x)
"""

__version__ = "0.1.0"


def __getattr__(name):  # lazy, so ``gnnprop --version`` does not import torch
    if name in ("load_graph",):
        from .io import load_graph

        return load_graph
    if name in ("load_config", "Config"):
        from . import config

        return getattr(config, name)
    if name in ("prepare", "Session"):
        from . import session

        return getattr(session, name)
    if name == "Graph":
        from .graph import Graph

        return Graph
    raise AttributeError(name)


__all__ = ["__version__", "load_graph", "load_config", "Config", "prepare", "Session", "Graph"]
