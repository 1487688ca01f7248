"""gnnprop: graph message passing, round by round.

The Python API (:mod:`gnnprop.api`) is the engine of the CLI without the CLI:

    import gnnprop
    res = gnnprop.propagate("sample_graphs/seed_example.json", aggr="max", rounds=10)
    res.x, res.rounds[1], res.stop_reason
    gnnprop.explain("sample_graphs/seed_example.json", node=0, round=1)["steps"][0]

Lower level: ``load_graph``, ``load_config``, ``prepare`` (a :class:`Session`
whose ``propagate()`` yields the rounds one at a time). Names are imported on
first use, so ``gnnprop --version`` does not import torch.
"""

__version__ = "0.1.0"

_LAZY = {
    "load_graph": "io", "load_config": "configure", "Config": "config", "prepare": "engine.session",
    "Session": "engine.session",
    "Graph": "graph", "GnnpropError": "errors",
    **{name: "api" for name in ("propagate", "explain", "make_config", "as_graph", "Result", "from_pyg", "to_pyg",
                                "from_networkx", "to_networkx", "save_graph")},
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'gnnprop' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["__version__", *_LAZY]
