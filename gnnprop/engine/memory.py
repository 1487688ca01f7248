"""How much memory a run will need, estimated before the big allocations.

An allocation that cannot be served (``layer.hidden_dim: 1e9``) makes torch fail
with a traceback, or lets the kernel kill the process, or makes the machine swap
for minutes. Where the size is known in advance, :func:`require` refuses first,
with the config key that asks for it: "layer.hidden_dim = 1,000,000,000: the nn
layer's parameters need about 14.9 GiB, and this machine has 21.3 GiB available".

The estimates are lower bounds (what must exist at once), so a refusal is sure.
Standard library only, but for :func:`layer_bytes` (which builds the layer on
torch's ``meta`` device: shapes without storage).
"""

from __future__ import annotations

from typing import Any

from ..errors import RunError, setting

GiB = 1024 ** 3
#: Bytes a node costs at the least: a float64 feature, its float32 copy, an id in a Python list.
BYTES_PER_NODE = 64


def proc_bytes(path: str, key: str) -> int | None:
    """A ``key:   N kB`` line of a Linux /proc file, in bytes; ``None`` where there is none."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory() -> int | None:
    """Bytes the OS says are available now (Linux /proc/meminfo ``MemAvailable``), or ``None``."""
    return proc_bytes("/proc/meminfo", "MemAvailable")


def process_headroom() -> tuple[int, str] | None:
    """``(bytes, why)``: what this process may still allocate under its own limits, the smallest of
    ``ulimit -v`` / ``ulimit -d`` (less what it holds now) and its cgroup's ``memory.max`` (less
    what the cgroup uses), when any is set; else ``None``. (``MemAvailable`` does not see these.)"""
    import resource

    limits: list[tuple[int, str]] = []
    for res, status, name in ((resource.RLIMIT_AS, "VmSize", "ulimit -v"), (resource.RLIMIT_DATA, "VmData",
                                                                          "ulimit -d")):
        try:
            soft = resource.getrlimit(res)[0]
        except (OSError, ValueError):
            continue
        used = proc_bytes("/proc/self/status", status)
        if soft != resource.RLIM_INFINITY and used is not None:
            limits.append((max(soft - used, 0), name))
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            top = f.read().strip()
        if top != "max":
            with open("/sys/fs/cgroup/memory.current") as f:
                limits.append((max(int(top) - int(f.read().strip()), 0), "the cgroup's memory.max"))
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def usable_memory() -> tuple[int, str] | None:
    """``(bytes, said)``: what an allocation may take now, the smaller of the machine's available
    memory and this process's limits (:func:`process_headroom`), and that said in words
    ("this machine has 3.1 GiB available"); ``None`` when neither is known."""
    have = [(n, f"this machine has {size_text(n)} available") for n in (available_memory(),) if n is not None]
    limit = process_headroom()
    if limit is not None:
        have.append((limit[0], f"this process may allocate {size_text(limit[0])} more ({limit[1]})"))
    return min(have) if have else None


def size_text(n: float) -> str:
    return f"{n / GiB:,.1f} GiB" if n >= GiB / 10 else f"{n / 1024 ** 2:,.1f} MiB"


def require(need: int, what: str, *, have: int | None = None, hint: str = "") -> None:
    """Raise :class:`RunError` when ``need`` bytes exceed what is available (nothing when unknown).

    ``what`` says who needs it, with the config key: "graph.feature_dim = 10**9: the features".
    """
    have = available_memory() if have is None else have
    if have is None or need <= have:
        return
    raise RunError(f"{what} needs about {size_text(need)}, and this machine "
                   f"has {size_text(have)} available{'; ' + hint if hint else ''}")


def check_node_count(n: int, source: str, key: str) -> None:
    """A declared node count that could not even be held in memory (``num_nodes: 10**12``)."""
    have = available_memory()
    if have is None:
        return
    limit = have // BYTES_PER_NODE
    if n > limit:
        raise RunError(f"{source}: {key}: {n:,} nodes need about {size_text(n * BYTES_PER_NODE)} at the least, and "
                       f"this machine has {size_text(have)} available (limit about {limit:,} nodes)")


def check_features(num_nodes: int, has_x: bool, kind: str, dim: int | None) -> None:
    """Generated features (``graph.features``) of ``num_nodes`` x ``dim`` float64 values."""
    if has_x or dim is None or kind in ("degree", "onehot"):
        return
    require(num_nodes * dim * 8 * 2, f"graph.feature_dim = {dim:,}: generating {num_nodes:,} nodes x {dim:,} "
                                     f"features (float64, then the run's copy)")


def layer_bytes(build: Any) -> int | None:
    """Bytes of the parameters ``build()`` would allocate, from a build on the ``meta`` device (no storage).

    ``None`` when the layer cannot be built there (then nothing is estimated).
    """
    import torch

    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            layer = build()
        return sum(t.numel() * t.element_size() for t in [*layer.parameters(), *layer.buffers()])
    except Exception:  # noqa: BLE001 - an estimate only: the real build reports real errors
        return None


def check_layer(build: Any, key: str, what: str, *, rows: int, widths: tuple[int, ...], itemsize: int) -> None:
    """Refuse a layer whose parameters, or whose per-round tensors, cannot fit.

    The parameters exist at once as built (float32), as probed (a float32 copy) and
    in the run's dtype; a round holds at least an input and an output row per node
    and a message row per edge (``rows``) at the widest width.
    """
    params = layer_bytes(build)
    if params is None:
        return
    in_run = params // 4 * itemsize
    require(2 * params + in_run, f"{key}: storing its {params // 4:,} parameters")
    require(rows * max(widths) * itemsize, f"{key}: a round on {rows:,} node and edge rows x "
                                          f"{max(widths):,} features")


def check_reference_memory(source: str, num_edges: int, width: int, itemsize: int, why_not_fused: str) -> None:
    """Refuse a reference run whose per-edge tensors would not fit, before allocating them.

    PyG's propagate gathers x_i and x_j ([E, F] each), computes the messages and
    scatters them: about four E x F tensors at once.
    """
    need = 4 * num_edges * width * itemsize
    have = available_memory()
    if have is None or need <= have:
        return
    smaller = f" or {setting('dtype', 'float32')}" if itemsize == 8 else ""
    raise RunError(f"{source}: the reference path would need about {need / GiB:.1f} GiB for its per-edge "
                   f"tensors ({num_edges} edges x {width} features x 4), and {have / GiB:.1f} GiB is available; "
                   f"the fused engine avoids them but cannot run here ({why_not_fused}); "
                   f"use a layer and aggregation it supports{smaller}")
