"""What the machine has, and refusing work that would not fit before allocating it."""

from __future__ import annotations

import torch

from ..errors import RunError, setting


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
    """Bytes the OS says are available (Linux /proc/meminfo), or None."""
    return proc_bytes("/proc/meminfo", "MemAvailable")


def check_reference_memory(source: str, num_edges: int, width: int, dtype: torch.dtype, why_not_fused: str) -> None:
    """Refuse a reference run whose per-edge tensors would not fit, before allocating them.

    PyG's propagate gathers x_i and x_j ([E, F] each), computes the messages and
    scatters them: about four E x F tensors at once.
    """
    need = 4 * num_edges * width * torch.finfo(dtype).bits // 8
    have = available_memory()
    if have is None or need <= have:
        return
    gb = 1024 ** 3
    smaller = f" or {setting('dtype', 'float32')}" if dtype == torch.float64 else ""
    raise RunError(f"{source}: the reference path would need about {need / gb:.1f} GiB for its per-edge "
                   f"tensors ({num_edges} edges x {width} features x 4), and {have / gb:.1f} GiB is available; "
                   f"the fused engine avoids them but cannot run here ({why_not_fused}); "
                   f"use a layer and aggregation it supports{smaller}")
