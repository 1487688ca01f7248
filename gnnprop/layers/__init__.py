"""Layer kinds: one module per kind (its config keys, parameters, formulas, PyG form and fused
form), a registry, and the one resolver of layer names.

- gnnprop's own kinds: :data:`KIND_MODULES` (``fixed``, ``nn``, ``residual``);
- PyG's built-in convolutions by friendly or class name: :mod:`.pyg`;
- a user's own ``MessagePassing`` class, ``path/to/file.py:ClassName``: :mod:`.user`.

**Adding a kind** is one module defining ``KIND`` (a :class:`~.base.LayerKind`;
:class:`~.base.OwnKind` holds what gnnprop's kinds share) and one line in
:data:`KIND_MODULES`. The registry (:mod:`.registry`: ``KINDS``, ``resolve_kind``,
``build``, ...) is imported on first use, so the names here cost no torch import.
"""

from importlib import import_module

#: gnnprop's own layer kinds: name -> the module of this package that defines its ``KIND``.
KIND_MODULES: dict[str, str] = {
    "fixed": "fixed",
    "nn": "nn",
    "residual": "residual",
}

#: PyG's best-known convolutions by friendly name -> class name (the ones the docs and
#: ``gnnprop layers`` lead with).
PYG_FRIENDLY: dict[str, str] = {
    "gcn": "GCNConv", "sage": "SAGEConv", "graphconv": "GraphConv", "gin": "GINConv", "gat": "GATConv",
    "gatv2": "GATv2Conv", "cheb": "ChebConv", "sg": "SGConv", "appnp": "APPNP",
}

_REGISTRY = ("KINDS", "build", "check_config", "is_native", "resolve_kind")


def __getattr__(name):
    if name in _REGISTRY:
        return getattr(import_module(".registry", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KIND_MODULES", "PYG_FRIENDLY", *_REGISTRY]
