"""The engine: a graph and a config in, rounds out.

:mod:`.run` is the seam every command and the API see (one run, any engine);
:mod:`.session` prepares a local run, :mod:`.loop` iterates its rounds through a
kernel, :mod:`.csr` holds the sparse reductions the fused kernels are built from,
:mod:`.rounds` decides how many rounds and keeps a run's record, :mod:`.reorder`
renumbers nodes, :mod:`.memory` refuses work that would not fit, :mod:`.runfolder`
writes and reads run folders, and :mod:`.spark` is the Spark engine.

Names are imported on first use: the layer kinds import :mod:`.csr` (their fused
forms are built from it) without loading the engine that runs them.
"""

from importlib import import_module

_LAZY = {
    **{name: "loop" for name in ("FusedKernel", "Kernel", "Propagation", "ReferenceKernel", "RoundResult")},
    **{name: "rounds" for name in ("RoundPlan", "plan_rounds")},
    **{name: "session" for name in ("DTYPES", "Session", "prepare")},
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(_LAZY)
